//! [`Stream`]: one yamux stream as a tokio byte stream.

use std::{
    fmt,
    future::Future,
    io,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt};
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::driver::Shared;

/// A multiplexed stream of a [`Session`](super::Session), usable as a tokio
/// `AsyncRead + AsyncWrite`.
///
/// Semantics, as seen by a hashicorp/yamux peer:
/// - `shutdown()` sends FIN (half-close): the peer reads EOF, and this side
///   can still read until the peer closes too. **Normal code always shuts a
///   stream down before dropping it.**
/// - Dropping a stream that was not shut down sends RST (unless the peer had
///   already sent FIN, then a FIN), which a Go peer reports as
///   `connection reset`. That is for aborting only.
/// - Dropping a stream that was shut down while the peer has not sent FIN yet
///   hands it to the session's driver, which reads and discards what the peer
///   still sends (granting it window) until the peer's FIN, for at most
///   `close_timeout`; then the stream is forgotten and the peer's next frame on
///   it is answered with RST. rust-yamux 0.14.1 would forget it at once and
///   send nothing, so a Go peer blocked on an exhausted window would wait
///   forever (hashicorp/yamux resets a stream its side closed after
///   `StreamCloseTimeout` instead).
/// - A read returning 0 bytes means EOF *or* reset: rust-yamux folds RST into
///   EOF, so a protocol layer must treat EOF before a complete message as
///   "connection shut down".
/// - `flush()` only waits for room in the stream's queue to the driver task;
///   the driver writes queued frames to the socket as soon as it can, so no
///   flush is needed for data to leave.
/// - Writes are split into frames of at most `split_send_size` bytes and never
///   exceed the window the peer granted.
pub struct Stream {
    /// The yamux stream behind tokio's I/O traits (futures ↔ tokio compat); `None` only
    /// while being dropped (it may move to the driver to linger).
    io: Option<Compat<yamux::Stream>>,
    /// Where a dropped stream goes to linger (see the type's docs).
    linger: Option<LingerSender>,
    /// Cached stream id (yamux's `StreamId` has no public constructor we need).
    id: u32,
    /// Keeps the session's live-stream count accurate until this is dropped (or, for a
    /// lingering stream, until the driver lets it go).
    live: Option<LiveGuard>,
    /// Resolves once the session's driver has finished (see `Shared::ended`); polled by
    /// reads. A waiter wakes only the task that polled it last, and a split stream (net/rpc
    /// client and server) reads and writes from two tasks: with one waiter for both, a write
    /// that stalled after the reader's last poll left the reader waiting forever once the
    /// session ended.
    read_ended: Pin<Box<WaitForCancellationFutureOwned>>,
    /// The same, polled by writes, flushes and shutdowns.
    write_ended: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl Stream {
    /// Wraps a stream the driver just got from yamux and counts it as live.
    pub(super) fn new(inner: yamux::Stream, shared: &Shared) -> Self {
        let id = inner.id().val();
        Stream {
            io: Some(inner.compat()),
            linger: shared.linger.get().cloned(),
            id,
            live: Some(LiveGuard::new(&shared.live_streams)),
            read_ended: Box::pin(shared.ended.clone().cancelled_owned()),
            write_ended: Box::pin(shared.ended.clone().cancelled_owned()),
        }
    }

    /// Whether the session is gone, for a pending read: polled only when yamux itself has
    /// nothing, so it registers the reader's waker for the session's end.
    fn ended_for_read(&mut self, cx: &mut Context<'_>) -> bool {
        self.read_ended.as_mut().poll(cx).is_ready()
    }

    /// The same for a pending write, flush or shutdown (the writer's waker).
    fn ended_for_write(&mut self, cx: &mut Context<'_>) -> bool {
        self.write_ended.as_mut().poll(cx).is_ready()
    }

    /// The yamux stream id: odd if the client ([`Role::Client`](super::Role::Client))
    /// opened it, even if the server did.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Borrow of the yamux stream for the driver (state checks).
    pub(super) fn yamux(&self) -> Option<&yamux::Stream> {
        self.io.as_ref().map(Compat::get_ref)
    }

    /// The I/O object, or the error of a stream being dropped (cannot happen from outside).
    fn io(&mut self) -> io::Result<&mut Compat<yamux::Stream>> {
        self.io.as_mut().ok_or_else(session_gone)
    }

    /// Queues a zero-length data frame, which carries the pending SYN (our
    /// stream) or ACK (the peer's stream) right now instead of with the first
    /// real frame.
    ///
    /// rust-yamux 0.14.1 sends a frame for an empty write; the interop tests
    /// guard that behaviour. Pending only if the stream's queue is full or the
    /// send window is 0, neither of which happens on a fresh stream.
    pub(super) fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let io = self.io()?;
        futures::AsyncWrite::poll_write(Pin::new(io.get_mut()), cx, &[]).map_ok(|_| ())
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream").field("id", &self.id).finish()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // yamux reads into initialised memory; tokio-util's compat layer would zero all the
        // room the caller offers on every read (a caller reserving a 72 MB message made
        // reading it quadratic), so at most READ_WINDOW of it is zeroed and offered.
        let window = buf.initialize_unfilled_to(buf.remaining().min(super::READ_WINDOW));
        let io = self.io()?;
        match futures::AsyncRead::poll_read(Pin::new(io.get_mut()), cx, window) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // The session ended without yamux telling this stream: EOF.
            Poll::Pending if self.ended_for_read(cx) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(self.io()?).poll_write(cx, buf) {
            Poll::Pending if self.ended_for_write(cx) => Poll::Ready(Err(session_gone())),
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(self.io()?).poll_flush(cx) {
            Poll::Pending if self.ended_for_write(cx) => Poll::Ready(Err(session_gone())),
            other => other,
        }
    }

    /// Sends FIN (yamux `poll_close` through the compat layer).
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(self.io()?).poll_shutdown(cx) {
            // Nothing left to close.
            Poll::Pending if self.ended_for_write(cx) => Poll::Ready(Ok(())),
            other => other,
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let (Some(io), Some(live)) = (self.io.take(), self.live.take()) else {
            return;
        };
        let inner = io.into_inner();
        // Our FIN is sent, the peer's not yet: linger (see the type's docs). Any other
        // state: rust-yamux's own drop (RST, FIN or nothing) is right.
        if inner.is_write_closed() {
            if let Some(linger) = &self.linger {
                let _ = linger.send((inner, live));
            }
        }
    }
}

/// The driver's queue of dropped streams to linger on, each with its live-count guard.
pub(super) type LingerSender = tokio::sync::mpsc::UnboundedSender<(yamux::Stream, LiveGuard)>;

/// The error of a write on a stream whose session has ended.
fn session_gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "yamux session closed")
}

/// Counts a stream in the session's live-stream total while it exists.
///
/// The count lets `open` refuse cleanly at `max_num_streams` instead of
/// letting rust-yamux fail the connection.
pub(super) struct LiveGuard(Arc<AtomicUsize>);

impl LiveGuard {
    /// Increments the count.
    fn new(live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::Relaxed);
        LiveGuard(Arc::clone(live))
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
