//! The write side shared by client and server: one gob [`Encoder`] per stream, and a writer
//! task that puts each encoded header+body on the wire with one `write_all`.
//!
//! Encoding and queueing happen under one async mutex, after a queue slot has been reserved,
//! so the order of type definitions on the wire is the order of encoding, and a caller that
//! is cancelled at an `.await` never leaves a half-queued message behind.

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use gob::{Encode, Encoder};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::RpcError;

/// One encoded header+body, with the client's sequence number (for failing it if the write
/// fails).
pub(crate) struct Outgoing {
    pub(crate) seq: u64,
    pub(crate) bytes: Vec<u8>,
}

struct EncState {
    enc: Encoder,
    tx: Option<mpsc::Sender<Outgoing>>,
    /// Set once encoding failed: the encoder may have recorded type definitions as sent that
    /// never reached the wire, so nothing more may be written on this stream (later sends
    /// fail with `Shutdown`).
    poisoned: bool,
}

/// Encodes messages and hands them to the writer task.
pub(crate) struct WriteSide {
    state: Mutex<EncState>,
    /// The first write error, reported to later writers.
    failed: Arc<StdMutex<Option<RpcError>>>,
    task: StdMutex<Option<JoinHandle<()>>>,
}

/// Called by the writer task for a message that could not be written.
pub(crate) type OnWriteError = Box<dyn Fn(u64, RpcError) + Send + Sync>;

impl WriteSide {
    /// Starts the writer task on `io`. The task ends (shutting the stream down) when the
    /// `WriteSide` is closed or `cancel` fires. With `linger`, messages already queued when
    /// `cancel` fires are still written, for at most that long; without, they are dropped.
    pub(crate) fn spawn<W>(
        io: W,
        queue: usize,
        cancel: CancellationToken,
        linger: Option<Duration>,
        on_error: OnWriteError,
    ) -> Self
    where
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let failed = Arc::new(StdMutex::new(None));
        let task = tokio::spawn(write_loop(io, rx, cancel, linger, on_error, failed.clone()));
        WriteSide {
            state: Mutex::new(EncState {
                enc: Encoder::new(),
                tx: Some(tx),
                poisoned: false,
            }),
            failed,
            task: StdMutex::new(Some(task)),
        }
    }

    fn write_error(&self) -> RpcError {
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or(RpcError::Shutdown)
    }

    /// Encodes `header` and `body` and queues them as one message.
    ///
    /// `register` runs once a queue slot is secured, right before encoding (the client
    /// assigns and registers its sequence number there); it returns the sequence number the
    /// message stands for. If it fails nothing is written.
    pub(crate) async fn send<H, B>(
        &self,
        register: impl FnOnce() -> Result<u64, RpcError>,
        header: impl FnOnce(u64) -> H,
        body: &B,
    ) -> Result<u64, SendError>
    where
        H: Encode,
        B: Encode + ?Sized,
    {
        let mut st = self.state.lock().await;
        if st.poisoned {
            return Err(SendError::NotSent(RpcError::Shutdown));
        }
        let Some(tx) = st.tx.clone() else {
            return Err(SendError::NotSent(self.write_error()));
        };
        let permit = match tx.reserve_owned().await {
            Ok(p) => p,
            Err(_) => return Err(SendError::NotSent(self.write_error())),
        };
        let seq = register().map_err(SendError::NotSent)?;
        let mut bytes = Vec::new();
        let encoded = st
            .enc
            .encode_into(&header(seq), &mut bytes)
            .and_then(|()| st.enc.encode_into(body, &mut bytes));
        match encoded {
            Ok(()) => {
                permit.send(Outgoing { seq, bytes });
                Ok(seq)
            }
            Err(e) => {
                let err = RpcError::Encode(e);
                // The encoder may now believe it sent type definitions that were dropped with
                // the failed message: write nothing more. The writer task writes what is
                // queued, shuts the stream down and ends.
                st.poisoned = true;
                st.tx = None;
                Err(SendError::Encode(seq, err))
            }
        }
    }

    /// Stops accepting messages; the writer task writes what is queued, shuts the stream
    /// down and ends. Waits for it.
    pub(crate) async fn close(&self) {
        self.state.lock().await.tx = None;
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }
}

/// Why [`WriteSide::send`] failed.
pub(crate) enum SendError {
    /// Nothing was registered or written.
    NotSent(RpcError),
    /// `register` ran for this sequence number, then encoding failed.
    Encode(u64, RpcError),
}

async fn write_loop<W>(
    mut io: W,
    mut rx: mpsc::Receiver<Outgoing>,
    cancel: CancellationToken,
    linger: Option<Duration>,
    on_error: OnWriteError,
    failed: Arc<StdMutex<Option<RpcError>>>,
) where
    W: AsyncWrite + Send + Unpin + 'static,
{
    let deadline = async {
        cancel.cancelled().await;
        if let Some(d) = linger {
            tokio::time::sleep(d).await;
        }
    };
    let r = tokio::select! {
        biased;
        _ = deadline => Ok(()),
        r = pump(&mut io, &mut rx, &cancel) => r,
    };
    if let Err((seq, err)) = r {
        if let Some(seq) = seq {
            on_error(seq, err.clone());
        }
        fail_queued(rx, err, &*on_error, &failed).await;
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), io.shutdown()).await;
}

/// Writes queued messages until the queue is closed or, after `cancel`, empty. Each message
/// goes out with one `write_all`; the flush is shared by the messages already queued.
async fn pump<W>(
    io: &mut W,
    rx: &mut mpsc::Receiver<Outgoing>,
    cancel: &CancellationToken,
) -> Result<(), (Option<u64>, RpcError)>
where
    W: AsyncWrite + Unpin,
{
    loop {
        let first = if cancel.is_cancelled() {
            match rx.try_recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            }
        } else {
            tokio::select! {
                biased;
                m = rx.recv() => match m {
                    Some(m) => m,
                    None => return Ok(()),
                },
                _ = cancel.cancelled() => continue,
            }
        };
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            io.write_all(&msg.bytes)
                .await
                .map_err(|e| (Some(msg.seq), RpcError::io(e)))?;
            next = rx.try_recv().ok();
        }
        io.flush().await.map_err(|e| (None, RpcError::io(e)))?;
    }
}

/// After a write error: remember it and fail every message still queued.
async fn fail_queued(
    mut rx: mpsc::Receiver<Outgoing>,
    err: RpcError,
    on_error: &(dyn Fn(u64, RpcError) + Send + Sync),
    failed: &StdMutex<Option<RpcError>>,
) {
    *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(err.clone());
    rx.close();
    while let Some(m) = rx.recv().await {
        on_error(m.seq, err.clone());
    }
}
