//! The net/rpc client (Go's `rpc.Client` with the gob codec).

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard};

use gob::{Decode, Decoder, Encode, Step};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::RpcError;
use super::framed::{Frame, FrameReader, ReadError};
use super::wire::{Discard, Request, Response};
use super::writer::{SendError, WriteSide};
use super::Config;

/// A net/rpc client on one stream: many calls may be in flight at once (from any number of
/// tasks); replies are matched to calls by sequence number.
///
/// Cloning is cheap and shares the connection. The connection is closed by
/// [`Client::close`], or when the last clone is dropped.
///
/// Error semantics follow Go's `rpc.Client`:
/// - an error reply fails only its call, with [`RpcError::Server`] (the server's text);
/// - a reply body that does not decode into the caller's type fails that call with
///   [`RpcError::ReadingBody`] and ends the client (as in Go);
/// - when the connection ends, every pending call fails ([`RpcError::UnexpectedEof`] on an
///   unexpected end of stream, the ending error otherwise, [`RpcError::Shutdown`] after
///   [`Client::close`]) and every later call fails at once with [`RpcError::Shutdown`].
///
/// A call whose future is dropped is forgotten: its late reply is read and discarded.
/// [`Client::call`] waits for the reply without a time limit, as Go's `Call` does;
/// [`Client::call_timeout`] bounds the wait and fail with
/// [`RpcError::DeadlineExceeded`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    writer: WriteSide,
    cancel: CancellationToken,
    reader: StdMutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Last handle gone: stop the reader and writer tasks (this closes the stream).
        self.cancel.cancel();
    }
}

#[derive(Default)]
struct Shared {
    state: StdMutex<State>,
}

#[derive(Default)]
struct State {
    seq: u64,
    pending: HashMap<u64, Box<dyn ReplySlot>>,
    /// The user called `close`.
    closing: bool,
    /// The reader has ended; `ended` says why.
    shutdown: bool,
    ended: Option<RpcError>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self, seq: u64) -> Option<Box<dyn ReplySlot>> {
        self.lock().pending.remove(&seq)
    }

    /// Why calls fail now that the reader has ended.
    fn ended(&self) -> RpcError {
        self.lock().ended.clone().unwrap_or(RpcError::Shutdown)
    }
}

/// The reply destination of one pending call; decodes the body into the call's own type.
trait ReplySlot: Send {
    /// Tries to decode the reply body from the buffered input.
    fn decode(&mut self, dec: &mut Decoder, input: &[u8], complete: bool) -> gob::Result<Step<()>>;
    /// Delivers the decoded reply (`Ok`) or an error to the caller.
    fn finish(self: Box<Self>, result: Result<(), RpcError>);
}

struct Slot<R> {
    tx: oneshot::Sender<Result<R, RpcError>>,
    value: Option<R>,
}

impl<R: Decode + Send + 'static> ReplySlot for Slot<R> {
    fn decode(&mut self, dec: &mut Decoder, input: &[u8], complete: bool) -> gob::Result<Step<()>> {
        Ok(dec
            .decode_next::<R>(input, complete)?
            .map(|v| self.value = Some(v)))
    }

    fn finish(self: Box<Self>, result: Result<(), RpcError>) {
        let Slot { tx, value } = *self;
        let out = result.and_then(|()| value.ok_or(RpcError::UnexpectedEof));
        // The caller may have given up on the call; then nobody listens.
        let _ = tx.send(out);
    }
}

/// Removes a call's pending entry when its future is dropped before the reply came.
struct PendingGuard<'a> {
    shared: &'a Shared,
    seq: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.shared.take(self.seq);
    }
}

/// Runs `call` bounded by `timeout` ([`Client::call_timeout`]'s rule): a zero timeout fails
/// at once without polling it (no request is sent).
pub(crate) async fn within<R>(
    timeout: std::time::Duration,
    call: impl std::future::Future<Output = Result<R, RpcError>>,
) -> Result<R, RpcError> {
    if timeout.is_zero() {
        return Err(RpcError::DeadlineExceeded);
    }
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or(Err(RpcError::DeadlineExceeded))
}

/// A call whose request is written: its reply slot (removed by the guard should the call
/// be abandoned) and the receiver of its reply.
struct PendingCall<'a, R> {
    guard: PendingGuard<'a>,
    rx: oneshot::Receiver<Result<R, RpcError>>,
}

impl<R> PendingCall<'_, R> {
    /// Waits for the reply.
    async fn reply(self) -> Result<R, RpcError> {
        let PendingCall { guard, rx } = self;
        let reply = rx.await;
        // Whoever completed or dropped the sender has already removed the slot: the guard is
        // only for a call abandoned while waiting (no second lock per call).
        let shared = guard.shared;
        std::mem::forget(guard);
        match reply {
            Ok(r) => r,
            // The reader ended while it held this call's slot.
            Err(_) => Err(shared.ended()),
        }
    }
}

impl Client {
    /// Starts a client on `stream` with the default [`Config`]. Spawns the reader and writer
    /// tasks, so it must be called inside a tokio runtime.
    pub fn new<S>(stream: S) -> Client
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        Client::with_config(stream, Config::default())
    }

    /// Starts a client on `stream` with the given limits.
    pub fn with_config<S>(stream: S, config: Config) -> Client
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let (rd, wr) = tokio::io::split(stream);
        let shared = Arc::new(Shared::default());
        let cancel = CancellationToken::new();
        let on_error = {
            let shared = shared.clone();
            Box::new(move |seq: u64, err: RpcError| {
                if let Some(slot) = shared.take(seq) {
                    slot.finish(Err(err));
                }
            })
        };
        let writer = WriteSide::spawn(wr, config.write_queue, cancel.clone(), None, on_error);
        let reader = tokio::spawn(read_loop(
            FrameReader::new(rd, &config),
            shared.clone(),
            cancel.clone(),
        ));
        Client {
            inner: Arc::new(Inner {
                shared,
                writer,
                cancel,
                reader: StdMutex::new(Some(reader)),
            }),
        }
    }

    /// Calls `service_method` (`"Service.Method"`) with `args` and waits for the reply,
    /// decoded as `R`.
    ///
    /// Fails with [`RpcError::Server`] when the server answers with an error, with
    /// [`RpcError::Shutdown`] when the client is closed or the connection has ended, and with
    /// the connection's ending error when it ends while the call is pending. Cancel-safe:
    /// dropping the future abandons the call (its reply is discarded when it comes).
    pub async fn call<A, R>(&self, service_method: &str, args: &A) -> Result<R, RpcError>
    where
        A: Encode + Sync + ?Sized,
        R: Decode + Send + 'static,
    {
        let pending = self.send_request::<A, R>(service_method, args).await?;
        pending.reply().await
    }

    /// [`Client::call`] that takes its arguments and frees them once the request is
    /// written, while the server works, instead of after the reply (a bulk argument of
    /// thousands of records takes milliseconds to free).
    pub(crate) async fn call_owned<A, R>(
        &self,
        service_method: &str,
        args: A,
    ) -> Result<R, RpcError>
    where
        A: Encode + Sync,
        R: Decode + Send + 'static,
    {
        let pending = self.send_request::<A, R>(service_method, &args).await?;
        drop(args);
        pending.reply().await
    }

    /// Registers a call and writes its request; the reply is awaited with
    /// [`PendingCall::reply`].
    async fn send_request<A, R>(
        &self,
        service_method: &str,
        args: &A,
    ) -> Result<PendingCall<'_, R>, RpcError>
    where
        A: Encode + Sync + ?Sized,
        R: Decode + Send + 'static,
    {
        let shared = &*self.inner.shared;
        {
            let st = shared.lock();
            if st.closing || st.shutdown {
                return Err(RpcError::Shutdown);
            }
        }
        let (tx, rx) = oneshot::channel::<Result<R, RpcError>>();
        let slot: Box<dyn ReplySlot> = Box::new(Slot { tx, value: None });
        let register = move || {
            let mut st = shared.lock();
            if st.closing || st.shutdown {
                return Err(RpcError::Shutdown);
            }
            let seq = st.seq;
            st.seq += 1;
            st.pending.insert(seq, slot);
            Ok(seq)
        };
        let header = |seq| Request {
            service_method: service_method.to_string(),
            seq,
        };
        let seq = match self.inner.writer.send(register, header, args).await {
            Ok(seq) => seq,
            Err(SendError::NotSent(e)) => return Err(e),
            Err(SendError::Encode(seq, e)) => {
                shared.take(seq);
                return Err(e);
            }
        };
        Ok(PendingCall {
            guard: PendingGuard { shared, seq },
            rx,
        })
    }

    /// [`Client::call`] bounded by `timeout`: the whole call (queueing the request and
    /// waiting for the reply) must end within it, else it fails with
    /// [`RpcError::DeadlineExceeded`]. The call is then no longer pending (see
    /// [`Client::pending_calls`]); its reply, should it still come, is read and dropped
    /// without disturbing other calls, and the connection stays usable.
    ///
    /// A zero `timeout` (a deadline already passed) fails at once, without a request. The
    /// server is not told of a call that times out: a request already sent still runs there
    /// (net/rpc has no cancellation).
    pub async fn call_timeout<A, R>(
        &self,
        service_method: &str,
        args: &A,
        timeout: std::time::Duration,
    ) -> Result<R, RpcError>
    where
        A: Encode + Sync + ?Sized,
        R: Decode + Send + 'static,
    {
        within(timeout, self.call(service_method, args)).await
    }

    /// Closes the client: shuts the stream's write side down (FIN), stops reading, and fails
    /// every pending call with [`RpcError::Shutdown`]. Returns [`RpcError::Shutdown`] when
    /// the client was already closed (as Go's `Close`).
    pub async fn close(&self) -> Result<(), RpcError> {
        {
            let mut st = self.inner.shared.lock();
            if st.closing {
                return Err(RpcError::Shutdown);
            }
            st.closing = true;
        }
        self.inner.cancel.cancel();
        self.inner.writer.close().await;
        let reader = self
            .inner
            .reader
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(r) = reader {
            let _ = r.await;
        }
        Ok(())
    }

    /// True once the client is closed or its connection has ended: every call now fails
    /// with [`RpcError::Shutdown`].
    pub fn is_shut_down(&self) -> bool {
        let st = self.inner.shared.lock();
        st.closing || st.shutdown
    }

    /// Number of calls waiting for their reply.
    pub fn pending_calls(&self) -> usize {
        self.inner.shared.lock().pending.len()
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.inner.shared.lock();
        f.debug_struct("Client")
            .field("next_seq", &st.seq)
            .field("pending", &st.pending.len())
            .field("closing", &st.closing)
            .field("shutdown", &st.shutdown)
            .finish()
    }
}

/// How the reply loop ended.
enum Ending {
    /// End of stream at a message boundary (Go's `io.EOF`).
    CleanEof,
    /// Stopped by `close` or by dropping the client.
    Cancelled,
    Error(RpcError),
    /// The reply of this call could not be read: the call fails with its own error, the
    /// other calls with `RpcError`. The call is failed only after the client is marked shut
    /// down, so a call made after it learns of the failure gets `Shutdown`.
    CallFailed(Box<dyn ReplySlot>, RpcError, RpcError),
}

async fn read_loop<R>(mut reader: FrameReader<R>, shared: Arc<Shared>, cancel: CancellationToken)
where
    R: AsyncRead + Unpin,
{
    let ending = tokio::select! {
        biased;
        _ = cancel.cancelled() => Ending::Cancelled,
        e = read_replies(&mut reader, &shared) => e,
    };
    // Terminate the pending calls (Go's `input` epilogue).
    let (failed_call, pending, err) = {
        let mut st = shared.lock();
        st.shutdown = true;
        let (err, failed_call) = match ending {
            Ending::Cancelled => (RpcError::Shutdown, None),
            Ending::CleanEof if st.closing => (RpcError::Shutdown, None),
            Ending::CleanEof => (RpcError::UnexpectedEof, None),
            Ending::Error(e) => (e, None),
            Ending::CallFailed(slot, own, others) => (others, Some((slot, own))),
        };
        st.ended = Some(err.clone());
        let pending: Vec<Box<dyn ReplySlot>> = st.pending.drain().map(|(_, s)| s).collect();
        (failed_call, pending, err)
    };
    if let Some((slot, own)) = failed_call {
        slot.finish(Err(own));
    }
    for slot in pending {
        slot.finish(Err(err.clone()));
    }
    drop(reader);
}

async fn read_replies<R>(reader: &mut FrameReader<R>, shared: &Shared) -> Ending
where
    R: AsyncRead + Unpin,
{
    let mut budget = super::YieldBudget::default();
    loop {
        budget.tick().await;
        let resp = match reader
            .decode_with(|d, b, c| d.decode_next::<Response>(b, c))
            .await
        {
            Ok(Frame::Value(r)) => r,
            Ok(Frame::Eof) => return Ending::CleanEof,
            Err(ReadError::Gob(e)) => return Ending::Error(RpcError::Protocol(e)),
            Err(ReadError::Rpc(e)) => return Ending::Error(e),
        };
        let slot = shared.take(resp.seq);
        match slot {
            Some(mut slot) if resp.error.is_empty() => {
                match reader.decode_with(|d, b, c| slot.decode(d, b, c)).await {
                    Ok(Frame::Value(())) => slot.finish(Ok(())),
                    Ok(Frame::Eof) => {
                        let e = RpcError::UnexpectedEof;
                        return Ending::CallFailed(slot, e.clone(), e);
                    }
                    Err(ReadError::Gob(e)) => {
                        return Ending::CallFailed(
                            slot,
                            RpcError::ReadingBody(e.clone()),
                            RpcError::Protocol(e),
                        );
                    }
                    Err(ReadError::Rpc(e)) => return Ending::CallFailed(slot, e.clone(), e),
                }
            }
            slot => {
                // An error reply, or a reply nobody waits for: read and drop the body.
                if let Some(slot) = slot {
                    slot.finish(Err(RpcError::Server(resp.error)));
                }
                match reader
                    .decode_with(|d, b, c| d.decode_next::<Discard>(b, c))
                    .await
                {
                    Ok(Frame::Value(Discard)) => {}
                    Ok(Frame::Eof) => return Ending::Error(RpcError::UnexpectedEof),
                    Err(ReadError::Gob(e)) => return Ending::Error(RpcError::ReadingErrorBody(e)),
                    Err(ReadError::Rpc(e)) => return Ending::Error(e),
                }
            }
        }
    }
}
