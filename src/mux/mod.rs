//! The yamux session adapter: rust-yamux 0.14.1 made to behave like
//! hashicorp/yamux (commit 0bc27b27, the one in go-plugin v1.4.3 binaries).
//!
//! Why this module exists, in short (details in
//! `shared/spec/yamux-crate-interop.md`, A.2 and A.5):
//! - rust-yamux sends SYN and ACK lazily, with a stream's first frame; Go sends
//!   them at open/accept time and go-plugin depends on that, so [`Session`]
//!   emits both at once (zero-length data frames);
//! - rust-yamux auto-tunes receive windows beyond the 1 MiB frame size it
//!   accepts while Go sends whole-window frames, so windows are capped at
//!   1 MiB (256 KiB per stream plus 768 KiB of shared growth);
//! - rust-yamux does all I/O inside `Connection::poll_next_inbound`, so a
//!   dedicated driver task polls it for the session's whole life (pings are
//!   answered even when idle);
//! - the socket sits behind read and write buffers, and the frames queued in
//!   one driver pass leave with one write (rust-yamux would flush after every
//!   frame and read every frame with two reads); frames are split at 64 KiB,
//!   for throughput;
//! - rust-yamux answers a peer's protocol violation (a window update past
//!   2^32, data beyond a window, a stream beyond `max_num_streams`) with
//!   GoAway and goes on reading; the driver then ends the session, as Go does
//!   ([`CloseReason::ProtocolViolation`]);
//! - rust-yamux forgets a stream dropped after its FIN and sends nothing, so a
//!   peer blocked on that stream's window would wait forever; such a stream
//!   lingers in the driver, discarding the peer's data, until the peer's FIN
//!   (see [`Stream`]);
//! - a write failing because the peer closed its socket does not end the
//!   session before what the peer wrote first has been read (`socket`).
//!
//! Layout: `config` (role, settings → `yamux::Config`), `driver` (the task
//! owning the connection), `socket` (the buffered socket), `stream` (tokio
//! I/O for one stream), `unix` (a unix socket that epoll wakes only for incoming data),
//! `error`.
//! Rust-only contract tests are in `tests`; the interop tests against a real
//! Go peer are `tests/mux_interop.rs`, and `tests/mux_random.rs` pits the session
//! against Go on seeded random traffic (so `cargo test --lib` needs no Go).

mod config;
mod driver;
mod error;
mod socket;
mod stream;
mod unix;

#[cfg(test)]
mod tests;

use std::sync::{atomic::Ordering, Arc};

use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio_util::compat::TokioAsyncReadCompatExt;

pub use config::{MuxConfig, Role, DEFAULT_MAX_NUM_STREAMS};
pub use error::{CloseReason, ConnectionFailure, MuxError};
pub use stream::Stream;
pub use unix::UnixSocket;

use driver::{Command, Driver, Shared};

/// Most of a caller's buffer that one read zeroes and fills ([`Stream`] and [`UnixSocket`]
/// need initialised memory to read into): more than a unix socket's default receive buffer
/// or a yamux frame holds.
const READ_WINDOW: usize = 256 * 1024;

/// A yamux session over one socket, cheap to clone.
///
/// Created with [`Session::new`], which spawns the driver task. Every clone
/// refers to the same session. The session ends when the peer closes it, the
/// connection fails, [`Session::close`] is called, or **the last handle is
/// dropped** (streams then read EOF); keep a handle for as long as streams are
/// in use.
#[derive(Clone)]
pub struct Session {
    /// State shared by all clones.
    inner: Arc<Inner>,
}

/// The shared part of a [`Session`]; dropping it ends the driver.
struct Inner {
    /// Which end of the connection this is.
    role: Role,
    /// Requests to the driver.
    commands: mpsc::UnboundedSender<Command>,
    /// Inbound streams, already ACKed. A mutex so `accept` can take `&self`.
    inbound: Mutex<mpsc::Receiver<Stream>>,
    /// `None` while running, then why the session ended.
    state: watch::Receiver<Option<CloseReason>>,
    /// Counters shared with the driver.
    shared: Arc<Shared>,
    /// Whether `accept` must poke the driver (see `MuxConfig::drive_continuously`).
    poke_on_accept: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.inner.role)
            .field("closed", &*self.inner.state.borrow())
            .finish()
    }
}

impl Session {
    /// Starts a yamux session on `socket` and spawns its driver task on the
    /// current tokio runtime.
    ///
    /// With `config.buffered_socket` the socket gets read and write buffers
    /// and its writes are flushed once per driver pass (`socket`); otherwise it
    /// is handed to rust-yamux as is (tokio → futures compat). Fails only on an invalid
    /// `config` or outside a tokio runtime.
    pub fn new<S>(socket: S, role: Role, config: MuxConfig) -> Result<Self, MuxError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let yamux_config = config.to_yamux()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MuxError::NoRuntime)?;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (inbound_tx, inbound_rx) = mpsc::channel(config.accept_backlog);
        let (state_tx, state) = watch::channel(None);
        let shared = Arc::new(Shared::default());
        let poke_on_accept = !config.drive_continuously;

        if config.buffered_socket {
            let (socket, flush) = socket::BufferedSocket::new(
                socket,
                config.read_buffer_capacity,
                config.write_buffer_capacity,
            );
            let conn = yamux::Connection::new(socket, yamux_config, role.mode());
            let driver = Driver::new(conn, config, command_rx, inbound_tx, Arc::clone(&shared))
                .with_flush(flush);
            runtime.spawn(driver.run(state_tx));
        } else {
            let conn = yamux::Connection::new(socket.compat(), yamux_config, role.mode());
            let driver = Driver::new(conn, config, command_rx, inbound_tx, Arc::clone(&shared));
            runtime.spawn(driver.run(state_tx));
        }

        Ok(Session {
            inner: Arc::new(Inner {
                role,
                commands,
                inbound: Mutex::new(inbound_rx),
                state,
                shared,
                poke_on_accept,
            }),
        })
    }

    /// This session's role.
    pub fn role(&self) -> Role {
        self.inner.role
    }

    /// Opens a stream; its SYN is queued before this returns and goes out
    /// ahead of any later stream's SYN (unless `eager_syn` is off).
    ///
    /// Does not wait for the peer's ACK; data may be written at once, as Go
    /// does. Fails with [`MuxError::TooManyStreams`] at `max_num_streams` and
    /// [`MuxError::SessionClosed`] once the session ended. Waits (like Go's
    /// `OpenStream`) while 256 opened streams are un-ACKed. Cancelling the
    /// call after the driver created the stream resets it (RST).
    pub async fn open(&self) -> Result<Stream, MuxError> {
        self.request_open(false).await
    }

    /// Opens a stream and waits until the peer ACKed it.
    ///
    /// The go-plugin host uses this for control, stdout and stderr, so the Go
    /// plugin is guaranteed to accept them in that order (go-plugin-netrpc.md
    /// §4.6 step 3). Waits without limit: wrap it in a timeout. Cancelling the
    /// wait resets the stream. Fails with [`MuxError::OpenRejected`] if the
    /// peer answers with RST. Never completes with `eager_syn` off, because no
    /// frame (so no SYN) is ever sent on the stream.
    pub async fn open_acked(&self) -> Result<Stream, MuxError> {
        self.request_open(true).await
    }

    /// Opens `N` streams whose SYNs go out in this order, all at once, then waits until the
    /// peer ACKed each: [`open_acked`](Self::open_acked) `N` times without a round trip
    /// between them. The go-plugin host's control, stdout and stderr streams: a Go plugin
    /// takes them in the order their SYNs arrive, and Go's host does not wait between its
    /// `Open`s either. Waits without limit: wrap it in a timeout.
    pub(crate) async fn open_acked_in_order<const N: usize>(
        &self,
    ) -> Result<[Stream; N], MuxError> {
        // Every request is queued before the first wait: the driver emits their SYNs in
        // queue order.
        let answers = [(); N].map(|()| self.send_open(true));
        let mut streams = Vec::with_capacity(N);
        for answer in answers {
            streams.push(self.open_answer(answer?).await?);
        }
        streams
            .try_into()
            .map_err(|_| MuxError::SessionClosed(self.current_reason()))
    }

    /// Sends an open request to the driver and waits for its answer.
    async fn request_open(&self, wait_for_ack: bool) -> Result<Stream, MuxError> {
        let answer = self.send_open(wait_for_ack)?;
        self.open_answer(answer).await
    }

    /// Queues an open request for the driver; the receiver gets its answer.
    fn send_open(
        &self,
        wait_for_ack: bool,
    ) -> Result<oneshot::Receiver<Result<Stream, MuxError>>, MuxError> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Open {
                wait_for_ack,
                reply,
            })
            .map_err(|_| MuxError::SessionClosed(self.current_reason()))?;
        Ok(answer)
    }

    /// The driver's answer to an open request.
    async fn open_answer(
        &self,
        answer: oneshot::Receiver<Result<Stream, MuxError>>,
    ) -> Result<Stream, MuxError> {
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(MuxError::SessionClosed(self.current_reason())),
        }
    }

    /// Waits for the next stream the peer opened, already ACKed (`eager_ack`,
    /// done by the driver as soon as the SYN arrives, so a slow acceptor never
    /// trips Go's `StreamOpenTimeout`).
    ///
    /// Returns `None` once the session ended and every queued stream was
    /// taken. Concurrent callers are served one at a time.
    pub async fn accept(&self) -> Option<Stream> {
        let _waiting = AcceptWaiter::new(&self.inner);
        self.inner.inbound.lock().await.recv().await
    }

    /// Closes the session gracefully: frames the streams already queued are
    /// sent, then GoAway(0), then the socket is shut down and closed.
    ///
    /// Go (yamux 0bc27b27) closes without GoAway; a GoAway(0) only makes it
    /// refuse new opens, and the EOF right after ends its session normally, so
    /// the peer sees the same as a Go `Session.Close`, minus lost frames.
    /// Bounded by `close_timeout`. Returns `Ok` if the session had already
    /// ended.
    ///
    /// A Go peer (yamux 0bc27b27) cannot accept a stream after its session
    /// ended: `AcceptStream` races the backlog against shutdown and its ACK
    /// fails with `session shutdown`. Data on a stream the Go side has not
    /// accepted yet is therefore lost on close; open such streams with
    /// [`open_acked`](Self::open_acked) when that matters.
    pub async fn close(&self) -> Result<(), MuxError> {
        let (reply, answer) = oneshot::channel();
        if self.inner.commands.send(Command::Close { reply }).is_err() {
            return Ok(());
        }
        answer.await.unwrap_or(Ok(()))
    }

    /// Resolves when the session has ended (the socket is closed by then),
    /// with the reason.
    pub async fn closed(&self) -> CloseReason {
        let mut state = self.inner.state.clone();
        let reason = match state.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone(),
            Err(_) => None,
        };
        reason.unwrap_or(CloseReason::DriverStopped)
    }

    /// Why the session ended, or `None` while it runs.
    pub fn close_reason(&self) -> Option<CloseReason> {
        // Read "driver gone" first: the driver publishes its reason before it
        // drops the command receiver, so a set reason always wins.
        let driver_gone = self.inner.commands.is_closed();
        let reason = self.inner.state.borrow().clone();
        match reason {
            Some(reason) => Some(reason),
            None if driver_gone => Some(CloseReason::DriverStopped),
            None => None,
        }
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.close_reason().is_some()
    }

    /// The reason to report when the driver is unreachable.
    fn current_reason(&self) -> CloseReason {
        self.close_reason().unwrap_or(CloseReason::DriverStopped)
    }
}

/// Marks a caller as waiting in `accept` for the driver
/// (only consulted without `drive_continuously`).
struct AcceptWaiter<'a>(&'a Inner);

impl<'a> AcceptWaiter<'a> {
    /// Registers the waiter and wakes the driver if it needs to know.
    fn new(inner: &'a Inner) -> Self {
        inner.shared.accept_waiters.fetch_add(1, Ordering::AcqRel);
        if inner.poke_on_accept {
            let _ = inner.commands.send(Command::Poke);
        }
        AcceptWaiter(inner)
    }
}

impl Drop for AcceptWaiter<'_> {
    fn drop(&mut self) {
        self.0.shared.accept_waiters.fetch_sub(1, Ordering::AcqRel);
    }
}
