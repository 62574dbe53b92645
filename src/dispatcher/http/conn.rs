//! A server connection whose header timeout starts with a request's first byte, as Go's
//! `net/http` server does (it peeks for the next request before arming `ReadHeaderTimeout`),
//! so that idle keep-alive connections stay open as long as the host likes. hyper's own
//! header timeout also runs while a connection is idle: a Go host reusing a connection the
//! server just closed fails its POST (not replayable) and go-plugin then restarts the plugin.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::mux::UnixSocket;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Requests of one connection being handled (shared with the request handler, which holds
/// an [`InRequest`] while it runs: the headers have arrived).
#[derive(Debug, Default)]
pub(super) struct Handling {
    /// Requests whose handler runs.
    active: AtomicUsize,
    /// Requests whose handler started, ever.
    started: AtomicUsize,
}

/// Marks a request as handled while alive.
pub(super) struct InRequest(Arc<Handling>);

impl InRequest {
    pub(super) fn new(h: &Arc<Handling>) -> InRequest {
        h.started.fetch_add(1, Ordering::SeqCst);
        h.active.fetch_add(1, Ordering::SeqCst);
        InRequest(h.clone())
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The connection: a unix stream whose reads fail with `TimedOut` when a request's headers
/// do not complete within `timeout` of its first byte.
pub(super) struct TimedConn {
    inner: UnixSocket,
    handling: Arc<Handling>,
    timeout: Duration,
    /// The running header clock and the handler count when it started: a handler started
    /// since then means those headers arrived.
    clock: Option<(Pin<Box<Sleep>>, usize)>,
}

impl TimedConn {
    pub(super) fn new(inner: UnixSocket, handling: Arc<Handling>, timeout: Duration) -> Self {
        TimedConn {
            inner,
            handling,
            timeout,
            clock: None,
        }
    }
}

impl AsyncRead for TimedConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let busy = this.handling.active.load(Ordering::SeqCst) > 0;
        let started = this.handling.started.load(Ordering::SeqCst);
        if busy || this.clock.as_ref().is_some_and(|(_, at)| *at != started) {
            // A handler runs or ran: the headers are in (its own body timeout applies).
            this.clock = None;
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(())))
            && buf.filled().len() > before
            && !busy
            && this.clock.is_none()
        {
            this.clock = Some((Box::pin(tokio::time::sleep(this.timeout)), started));
        }
        if r.is_pending() {
            if let Some((clock, _)) = this.clock.as_mut() {
                if clock.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "request headers not received in time",
                    )));
                }
            }
        }
        r
    }
}

impl AsyncWrite for TimedConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
