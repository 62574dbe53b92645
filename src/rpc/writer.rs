//! The write side shared by client and server: one gob [`Encoder`] per stream, and a writer
//! task that puts each encoded header+body on the wire unsplit, the messages queued together
//! in one `write_all`.
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
    /// The capacity to give the next message's buffer: the last message's size, at most
    /// [`MAX_SIZE_HINT`], so that a reply of a few kilobytes is encoded without growing its
    /// buffer a dozen times.
    size_hint: usize,
}

/// The largest buffer reserved ahead for a message (below glibc's 128 KiB threshold for
/// giving a block its own mapping): a larger message grows its buffer from there.
const MAX_SIZE_HINT: usize = 64 * 1024;

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
                size_hint: 0,
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
        let mut bytes = Vec::with_capacity(st.size_hint);
        let encoded = st
            .enc
            .encode_into(&header(seq), &mut bytes)
            .and_then(|()| st.enc.encode_into(body, &mut bytes));
        match encoded {
            Ok(()) => {
                st.size_hint = bytes.len().min(MAX_SIZE_HINT);
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
    if let Err((seqs, err)) = r {
        for seq in seqs {
            on_error(seq, err.clone());
        }
        fail_queued(rx, err, &*on_error, &failed).await;
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), io.shutdown()).await;
}

/// Messages already queued are written together, in chunks of about this size.
const BATCH: usize = 64 * 1024;

/// Writes queued messages until the queue is closed or, after `cancel`, empty.
///
/// Messages that are queued together leave together: small ones are copied into one buffer
/// of up to [`BATCH`] bytes and written with one `write_all` (on a yamux stream: one frame;
/// on a socket: one `write`), large ones are written as they are. The flush is shared by
/// everything queued. A failed write reports the sequence numbers of every message it
/// carried.
async fn pump<W>(
    io: &mut W,
    rx: &mut mpsc::Receiver<Outgoing>,
    cancel: &CancellationToken,
) -> Result<(), (Vec<u64>, RpcError)>
where
    W: AsyncWrite + Unpin,
{
    let mut batch = Vec::new();
    let mut seqs = Vec::new();
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
            if msg.bytes.len() >= BATCH {
                write_batch(io, &mut batch, &mut seqs).await?;
                io.write_all(&msg.bytes)
                    .await
                    .map_err(|e| (vec![msg.seq], RpcError::io(e)))?;
            } else {
                batch.extend_from_slice(&msg.bytes);
                seqs.push(msg.seq);
                if batch.len() >= BATCH {
                    write_batch(io, &mut batch, &mut seqs).await?;
                }
            }
            next = rx.try_recv().ok();
        }
        write_batch(io, &mut batch, &mut seqs).await?;
        io.flush()
            .await
            .map_err(|e| (Vec::new(), RpcError::io(e)))?;
    }
}

/// Writes and empties `batch`; on failure returns the sequence numbers it carried.
async fn write_batch<W>(
    io: &mut W,
    batch: &mut Vec<u8>,
    seqs: &mut Vec<u64>,
) -> Result<(), (Vec<u64>, RpcError)>
where
    W: AsyncWrite + Unpin,
{
    if batch.is_empty() {
        return Ok(());
    }
    match io.write_all(batch).await {
        Ok(()) => {
            batch.clear();
            seqs.clear();
            Ok(())
        }
        Err(e) => Err((std::mem::take(seqs), RpcError::io(e))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::wire::Request;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Records every `poll_write` (whole buffers are accepted), or fails every write.
    #[derive(Clone, Default)]
    struct Recorder {
        writes: Arc<StdMutex<Vec<Vec<u8>>>>,
        fail: bool,
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if self.fail {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            self.writes.lock().expect("lock").push(buf.to_vec());
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn header(seq: u64) -> Request {
        Request {
            service_method: "Echo.Bytes".into(),
            seq,
        }
    }

    /// Queues one message per body (seqs from 0) and returns the bytes a fresh encoder
    /// produces for each.
    async fn queue(w: &WriteSide, bodies: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut enc = Encoder::new();
        let mut expected = Vec::new();
        for (seq, body) in (0u64..).zip(bodies) {
            let got = w.send(|| Ok(seq), header, body).await;
            assert!(matches!(got, Ok(s) if s == seq), "send {seq}");
            let mut bytes = Vec::new();
            enc.encode_into(&header(seq), &mut bytes).expect("encode");
            enc.encode_into(body, &mut bytes).expect("encode");
            expected.push(bytes);
        }
        expected
    }

    /// A writer over `rec` that ignores write errors.
    fn quiet_writer(rec: &Recorder) -> WriteSide {
        WriteSide::spawn(
            rec.clone(),
            64,
            CancellationToken::new(),
            None,
            Box::new(|_, _| {}),
        )
    }

    // The writer task runs only when the test awaits something that yields (current-thread
    // runtime), so every message below is queued before it writes anything.

    #[tokio::test(flavor = "current_thread")]
    async fn messages_queued_together_leave_in_one_write() {
        let rec = Recorder::default();
        let w = quiet_writer(&rec);
        let bodies: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10 + i as usize]).collect();
        let expected = queue(&w, &bodies).await;
        w.close().await;
        let writes = rec.writes.lock().expect("lock").clone();
        assert_eq!(writes, vec![expected.concat()]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_large_message_is_written_on_its_own() {
        let rec = Recorder::default();
        let w = quiet_writer(&rec);
        let bodies = vec![
            vec![1u8; 100],
            vec![2u8; BATCH],
            vec![3u8; 100],
            vec![4u8; 100],
        ];
        let expected = queue(&w, &bodies).await;
        w.close().await;
        let writes = rec.writes.lock().expect("lock").clone();
        assert_eq!(
            writes,
            vec![
                expected[0].clone(),
                expected[1].clone(),
                [expected[2].clone(), expected[3].clone()].concat()
            ]
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_failed_write_reports_every_message_it_carried() {
        let rec = Recorder {
            fail: true,
            ..Recorder::default()
        };
        let failed = Arc::new(StdMutex::new(Vec::new()));
        let on_error = {
            let failed = failed.clone();
            Box::new(move |seq: u64, e: RpcError| {
                failed.lock().expect("lock").push((seq, e.to_string()));
            })
        };
        let w = WriteSide::spawn(rec, 64, CancellationToken::new(), None, on_error);
        queue(&w, &[vec![1], vec![2], vec![3]]).await;
        w.close().await;
        let failed = failed.lock().expect("lock").clone();
        let seqs: Vec<u64> = failed.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, vec![0, 1, 2]);
        assert!(failed.iter().all(|(_, e)| e == &failed[0].1), "{failed:?}");
        // Later messages are refused with the write error.
        let later = w.send(|| Ok(9), header, &vec![9u8]).await;
        assert!(matches!(later, Err(SendError::NotSent(_))));
    }
}
