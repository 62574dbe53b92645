//! The task that owns the `yamux::Connection`.
//!
//! rust-yamux does all socket I/O (reading frames, writing queued frames,
//! answering pings, applying window updates) inside
//! `Connection::poll_next_inbound`, so one task must poll it for as long as
//! the connection lives (A.1, A.5 "Driver"). This task does nothing else that
//! could block: open requests arrive over a channel, inbound streams leave
//! over a bounded channel with `try_send`, and stream I/O happens in the tasks
//! that own the [`Stream`]s.

use std::{
    collections::VecDeque,
    future::{poll_fn, Future},
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
};

use futures::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot, watch};

use super::{
    socket::FlushHandle,
    stream::{LingerSender, LiveGuard},
    CloseReason, MuxConfig, MuxError, Stream,
};

/// Requests from [`Session`](super::Session) handles to the driver.
pub(super) enum Command {
    /// Open an outbound stream.
    Open {
        /// Reply only once the peer ACKed the stream (`Session::open_acked`).
        wait_for_ack: bool,
        /// Where the stream (or the failure) goes.
        reply: oneshot::Sender<Result<Stream, MuxError>>,
    },
    /// Flush queued frames, send GoAway(0), close the socket.
    Close {
        /// Completion of the close.
        reply: oneshot::Sender<Result<(), MuxError>>,
    },
    /// Wake the driver: an `accept` started (matters only without
    /// `drive_continuously`).
    Poke,
}

/// Counters shared by the driver and the session handles.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Streams in existence (all [`Stream`] values, wherever they are).
    pub(super) live_streams: Arc<AtomicUsize>,
    /// Callers currently waiting in `Session::accept`.
    pub(super) accept_waiters: AtomicUsize,
    /// Cancelled when the driver has finished: streams then end their pending reads and
    /// writes. rust-yamux 0.14.1 wakes stream readers when the connection fails or is
    /// dropped while active, but not after a graceful `poll_close`, which would leave a
    /// reader of a locally closed session waiting forever.
    pub(super) ended: tokio_util::sync::CancellationToken,
    /// Where dropped streams go to linger (set by `Driver::new`; see `Stream`).
    pub(super) linger: std::sync::OnceLock<LingerSender>,
}

/// A stream dropped after its FIN while the peer's side was open: read and discarded
/// until the peer's FIN or `until` (see `Stream`).
struct Lingering {
    /// The yamux stream.
    stream: yamux::Stream,
    /// Keeps it counted: rust-yamux counts it against `max_num_streams` until it is gone.
    _live: LiveGuard,
    /// When it is let go of regardless.
    until: tokio::time::Instant,
}

/// An open request not yet answered.
struct OpenRequest {
    /// See [`Command::Open`].
    wait_for_ack: bool,
    /// See [`Command::Open`].
    reply: oneshot::Sender<Result<Stream, MuxError>>,
}

/// State once a close was requested.
struct Closing {
    /// Ends the flush after `close_timeout`.
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// Everyone waiting in `Session::close`.
    replies: Vec<oneshot::Sender<Result<(), MuxError>>>,
    /// Set when the close finished; sent to `replies` after the socket is gone.
    outcome: Option<Result<(), MuxError>>,
}

/// Owner of the connection and of everything in flight between it and the
/// session handles.
pub(super) struct Driver<T> {
    /// The yamux connection over the (possibly buffered) socket.
    conn: yamux::Connection<T>,
    /// The session's settings.
    cfg: MuxConfig,
    /// Requests from the handles.
    commands: mpsc::UnboundedReceiver<Command>,
    /// All handles are gone (the command channel reported its end).
    commands_done: bool,
    /// Open requests in arrival order, not yet given a yamux stream.
    opens: VecDeque<OpenRequest>,
    /// An opened stream whose SYN could not be queued yet. While set, no
    /// further stream is opened, so SYNs leave in open order.
    syn_pending: Option<(Stream, OpenRequest)>,
    /// Opened streams waiting for the peer's ACK (`open_acked`).
    awaiting_ack: Vec<(Stream, oneshot::Sender<Result<Stream, MuxError>>)>,
    /// Inbound streams not yet ACKed and handed to `accept`, in arrival order.
    inbound_pending: VecDeque<Stream>,
    /// Accepted streams on their way to `Session::accept`.
    inbound_tx: mpsc::Sender<Stream>,
    /// Counters shared with the handles.
    shared: Arc<Shared>,
    /// Set once a close was requested.
    closing: Option<Closing>,
    /// Writes out what yamux queued on a buffered socket; called once per
    /// pass (`None`: yamux flushes the socket itself after every frame).
    flush: Option<Arc<dyn FlushHandle>>,
    /// Dropped streams arriving to linger.
    linger_rx: mpsc::UnboundedReceiver<(yamux::Stream, LiveGuard)>,
    /// Streams lingering.
    lingering: Vec<Lingering>,
    /// Wakes the driver at the earliest `Lingering::until`.
    linger_timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> Driver<T>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Builds a driver for `conn`.
    pub(super) fn new(
        conn: yamux::Connection<T>,
        cfg: MuxConfig,
        commands: mpsc::UnboundedReceiver<Command>,
        inbound_tx: mpsc::Sender<Stream>,
        shared: Arc<Shared>,
    ) -> Self {
        let (linger_tx, linger_rx) = mpsc::unbounded_channel();
        let _ = shared.linger.set(linger_tx);
        Driver {
            conn,
            cfg,
            commands,
            commands_done: false,
            opens: VecDeque::new(),
            syn_pending: None,
            awaiting_ack: Vec::new(),
            inbound_pending: VecDeque::new(),
            inbound_tx,
            shared,
            closing: None,
            flush: None,
            linger_rx,
            lingering: Vec::new(),
            linger_timer: None,
        }
    }

    /// Makes the driver flush the buffered socket at the end of every pass.
    pub(super) fn with_flush(mut self, flush: Arc<dyn FlushHandle>) -> Self {
        self.flush = Some(flush);
        self
    }

    /// Runs the connection to its end, then closes the socket, answers every
    /// pending request and publishes the reason on `state`.
    pub(super) async fn run(mut self, state: watch::Sender<Option<CloseReason>>) {
        let reason = poll_fn(|cx| self.poll_drive(cx)).await;
        if let Some(flush) = &self.flush {
            // Best effort, without waiting: frames queued in the last pass (a GoAway, a
            // pong) go out if the socket takes them.
            poll_fn(|cx| {
                let _ = flush.poll_flush(cx);
                Poll::Ready(())
            })
            .await;
        }
        let self_ended = self.shared.ended.clone();
        let close_timeout = self.cfg.close_timeout;
        let Driver {
            conn,
            opens,
            syn_pending,
            awaiting_ack,
            closing,
            flush,
            ..
        } = self;
        tracing::debug!(%reason, "yamux session ended");
        // Publish the reason first, so whoever gets an answer below, or sees a stream end
        // when the connection is dropped, already sees the session as closed (dropping the
        // connection first let a call fail while `is_closed` still said false).
        state.send_replace(Some(reason.clone()));
        self_ended.cancel();
        // Dropping the connection closes the socket and ends every stream.
        drop(conn);
        let failed = || MuxError::SessionClosed(reason.clone());
        for req in opens {
            let _ = req.reply.send(Err(failed()));
        }
        if let Some((_, req)) = syn_pending {
            let _ = req.reply.send(Err(failed()));
        }
        for (_, reply) in awaiting_ack {
            let _ = reply.send(Err(failed()));
        }
        let mut graceful = false;
        if let Some(mut closing) = closing {
            let outcome = closing.outcome.take().unwrap_or(Ok(()));
            graceful = outcome.is_ok();
            let mut replies = closing.replies.into_iter();
            if let Some(first) = replies.next() {
                for other in replies {
                    let _ = other.send(match &outcome {
                        Ok(()) => Ok(()),
                        Err(_) => Err(MuxError::SessionClosed(reason.clone())),
                    });
                }
                let _ = first.send(outcome);
            }
        }
        if graceful {
            if let Some(flush) = flush {
                // Our write side is shut down; keep the read side open until the peer's
                // EOF (see `FlushHandle::poll_discard_until_eof`), after every caller has
                // its answer, so `close` does not wait for it.
                let _ = tokio::time::timeout(
                    close_timeout,
                    poll_fn(|cx| flush.poll_discard_until_eof(cx)),
                )
                .await;
            }
        }
    }

    /// One pass over everything, then one write of what the pass queued on a
    /// buffered socket; `Ready` when the connection is finished.
    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<CloseReason> {
        let polled = self.poll_pass(cx);
        if polled.is_pending() {
            if let Some(flush) = &self.flush {
                if let Poll::Ready(Err(e)) = flush.poll_flush(cx) {
                    // yamux sees the error at its next flush, which ends the connection.
                    tracing::debug!(error = %e, "yamux socket write failed");
                    cx.waker().wake_by_ref();
                }
                if let Some(code) = flush.error_goaway() {
                    // yamux answered a protocol violation with GoAway and would go on;
                    // end the session like hashicorp/yamux (the GoAway is flushed by
                    // `run` on the way out).
                    tracing::debug!(code, "yamux peer broke the protocol; closing");
                    return Poll::Ready(CloseReason::ProtocolViolation { code });
                }
            }
        }
        polled
    }

    /// Commands, connection I/O, opens and ACK checks.
    fn poll_pass(&mut self, cx: &mut Context<'_>) -> Poll<CloseReason> {
        self.poll_commands(cx);
        if self.closing.is_some() {
            return self.poll_closing(cx);
        }
        let drive =
            self.cfg.drive_continuously || self.shared.accept_waiters.load(Ordering::Acquire) > 0;
        // Connection first: it also retires dropped streams, so yamux's stream
        // count is current when `poll_opens` compares ours with the limit.
        if drive {
            if let Poll::Ready(reason) = self.poll_connection(cx) {
                return Poll::Ready(reason);
            }
        }
        let opened = match self.poll_opens(cx) {
            Ok(opened) => opened,
            Err(reason) => return Poll::Ready(reason),
        };
        // Again after opening: a new stream's SYN sits in a channel the
        // connection has never polled, so nothing would wake us to send it.
        if drive && opened {
            if let Poll::Ready(reason) = self.poll_connection(cx) {
                return Poll::Ready(reason);
            }
        }
        self.check_acks();
        if drive {
            self.poll_lingering(cx);
        }
        Poll::Pending
    }

    /// Reads and discards what the peer still sends on dropped, shut-down streams (which
    /// grants it window), until its FIN, an error or the stream's deadline; then drops them.
    fn poll_lingering(&mut self, cx: &mut Context<'_>) {
        while let Poll::Ready(Some((stream, live))) = self.linger_rx.poll_recv(cx) {
            self.lingering.push(Lingering {
                stream,
                _live: live,
                until: tokio::time::Instant::now() + self.cfg.close_timeout,
            });
        }
        let now = tokio::time::Instant::now();
        let mut scratch = [0u8; 8192];
        self.lingering.retain_mut(|l| {
            if l.until <= now {
                return false;
            }
            // Bounded per pass, so one fast peer cannot hold the driver.
            for _ in 0..32 {
                match Pin::new(&mut l.stream).poll_read(cx, &mut scratch) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return false,
                    Poll::Ready(Ok(_)) => {}
                    Poll::Pending => return true,
                }
            }
            cx.waker().wake_by_ref();
            true
        });
        match self.lingering.iter().map(|l| l.until).min() {
            None => self.linger_timer = None,
            Some(earliest) => {
                let timer = self
                    .linger_timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(earliest)));
                if timer.deadline() != earliest {
                    timer.as_mut().reset(earliest);
                }
                if timer.as_mut().poll(cx).is_ready() {
                    cx.waker().wake_by_ref();
                }
            }
        }
    }

    /// Takes every queued command.
    fn poll_commands(&mut self, cx: &mut Context<'_>) {
        while !self.commands_done {
            match self.commands.poll_recv(cx) {
                Poll::Ready(Some(Command::Open {
                    wait_for_ack,
                    reply,
                })) => {
                    if self.closing.is_some() {
                        let _ = reply.send(Err(MuxError::SessionClosed(CloseReason::Local)));
                    } else {
                        self.opens.push_back(OpenRequest {
                            wait_for_ack,
                            reply,
                        });
                    }
                }
                Poll::Ready(Some(Command::Close { reply })) => self.begin_close(Some(reply)),
                Poll::Ready(Some(Command::Poke)) => {}
                Poll::Ready(None) => {
                    // Every Session handle is gone: nobody can open or accept
                    // any more, so end the session like Go's Session.Close.
                    self.commands_done = true;
                    self.begin_close(None);
                }
                Poll::Pending => break,
            }
        }
    }

    /// Switches to closing: fails requests that can no longer succeed.
    fn begin_close(&mut self, reply: Option<oneshot::Sender<Result<(), MuxError>>>) {
        let closing = self.closing.get_or_insert_with(|| Closing {
            deadline: Box::pin(tokio::time::sleep(self.cfg.close_timeout)),
            replies: Vec::new(),
            outcome: None,
        });
        closing.replies.extend(reply);
        let failed = || Err(MuxError::SessionClosed(CloseReason::Local));
        for req in self.opens.drain(..) {
            let _ = req.reply.send(failed());
        }
        if let Some((_, req)) = self.syn_pending.take() {
            let _ = req.reply.send(failed());
        }
        for (_, reply) in self.awaiting_ack.drain(..) {
            let _ = reply.send(failed());
        }
    }

    /// Graceful close through yamux's `poll_close`: drains the frames streams
    /// already queued (data, FIN), sends GoAway(0), flushes the buffered
    /// writer and shuts the socket down for writing.
    ///
    /// Go (yamux 0bc27b27) treats GoAway(0) as "no new streams" and ends its
    /// session on the EOF that follows, just as when a Go peer closes; dropping
    /// the socket instead would lose frames still queued in the streams.
    fn poll_closing(&mut self, cx: &mut Context<'_>) -> Poll<CloseReason> {
        let Some(closing) = self.closing.as_mut() else {
            return Poll::Pending;
        };
        match self.conn.poll_close(cx) {
            Poll::Ready(Ok(())) => {
                closing.outcome = Some(Ok(()));
                Poll::Ready(CloseReason::Local)
            }
            Poll::Ready(Err(e)) => {
                closing.outcome = Some(Err(MuxError::CloseFailed(
                    super::error::ConnectionFailure::new(e),
                )));
                Poll::Ready(CloseReason::Local)
            }
            Poll::Pending => match closing.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    closing.outcome = Some(Err(MuxError::CloseTimedOut(self.cfg.close_timeout)));
                    Poll::Ready(CloseReason::Local)
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    /// Creates streams for queued open requests, strictly in request order.
    ///
    /// Returns whether a stream was created or its SYN queued, or a reason if
    /// yamux failed the connection: any error from `poll_new_outbound` moves
    /// rust-yamux's connection to its cleanup state.
    fn poll_opens(&mut self, cx: &mut Context<'_>) -> Result<bool, CloseReason> {
        let mut opened = false;
        if let Some((stream, req)) = self.syn_pending.take() {
            self.after_open(stream, req, cx);
            if self.syn_pending.is_some() {
                return Ok(false);
            }
            opened = true;
        }
        while let Some(req) = self.opens.front() {
            if req.reply.is_closed() {
                // The caller gave up before the stream existed.
                self.opens.pop_front();
                continue;
            }
            let limit = self.cfg.max_num_streams;
            if self.shared.live_streams.load(Ordering::Acquire) >= limit {
                if let Some(req) = self.opens.pop_front() {
                    let _ = req.reply.send(Err(MuxError::TooManyStreams { limit }));
                }
                continue;
            }
            match self.conn.poll_new_outbound(cx) {
                // 256 of our streams are un-ACKed (yamux's fixed ACK backlog);
                // yamux wakes us when an ACK arrives.
                Poll::Pending => return Ok(opened),
                Poll::Ready(Ok(inner)) => {
                    opened = true;
                    let stream = Stream::new(inner, &self.shared);
                    let Some(req) = self.opens.pop_front() else {
                        return Ok(opened);
                    };
                    self.after_open(stream, req, cx);
                    if self.syn_pending.is_some() {
                        return Ok(opened);
                    }
                }
                Poll::Ready(Err(e)) => {
                    // TooManyStreams (only if yamux still counted a dropped
                    // stream, see MuxConfig::max_num_streams) or NoMoreStreamIds.
                    let reason = CloseReason::from_error(e);
                    if let Some(req) = self.opens.pop_front() {
                        let _ = req.reply.send(Err(MuxError::SessionClosed(reason.clone())));
                    }
                    return Err(reason);
                }
            }
        }
        Ok(opened)
    }

    /// Emits the SYN of a new stream (`eager_syn`), then hands it out or parks
    /// it until the peer's ACK (`open_acked`).
    fn after_open(&mut self, mut stream: Stream, req: OpenRequest, cx: &mut Context<'_>) {
        if self.cfg.eager_syn {
            match stream.poll_handshake(cx) {
                Poll::Pending => {
                    self.syn_pending = Some((stream, req));
                    return;
                }
                Poll::Ready(Err(source)) => {
                    let id = stream.id();
                    let _ = req.reply.send(Err(MuxError::Handshake {
                        flag: "SYN",
                        id,
                        source,
                    }));
                    return;
                }
                Poll::Ready(Ok(())) => {}
            }
        }
        if req.wait_for_ack {
            self.awaiting_ack.push((stream, req.reply));
        } else {
            // If the caller is gone the stream is dropped here (RST).
            let _ = req.reply.send(Ok(stream));
        }
    }

    /// Polls the connection: socket I/O, pings, window updates, and inbound
    /// streams (ACKed at once with `eager_ack`, then queued for `accept`).
    fn poll_connection(&mut self, cx: &mut Context<'_>) -> Poll<CloseReason> {
        self.deliver_inbound(cx);
        loop {
            match self.conn.poll_next_inbound(cx) {
                Poll::Ready(Some(Ok(inner))) => {
                    // No log line per stream: a provider's log goes into the host's log
                    // (go-plugin re-logs plugin stderr), and a Go plugin logs none here.
                    let stream = Stream::new(inner, &self.shared);
                    self.inbound_pending.push_back(stream);
                    self.deliver_inbound(cx);
                }
                Poll::Ready(Some(Err(e))) => {
                    tracing::debug!(error = %e, "yamux connection ended with an error");
                    return Poll::Ready(CloseReason::from_error(e));
                }
                Poll::Ready(None) => return Poll::Ready(CloseReason::Peer),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// ACKs and hands out inbound streams in arrival order.
    ///
    /// Like Go's `AcceptBacklog`, a stream that finds the backlog full is
    /// reset (dropped without ACK) instead of stalling the connection.
    fn deliver_inbound(&mut self, cx: &mut Context<'_>) {
        while let Some(mut stream) = self.inbound_pending.pop_front() {
            let permit = match self.inbound_tx.try_reserve() {
                Ok(permit) => permit,
                Err(mpsc::error::TrySendError::Full(())) => {
                    tracing::warn!(
                        id = stream.id(),
                        "yamux accept backlog full; resetting stream"
                    );
                    continue;
                }
                // No Session handle is left to accept; the driver is closing.
                Err(mpsc::error::TrySendError::Closed(())) => continue,
            };
            if self.cfg.eager_ack {
                match stream.poll_handshake(cx) {
                    Poll::Pending => {
                        self.inbound_pending.push_front(stream);
                        return;
                    }
                    Poll::Ready(Err(e)) => {
                        tracing::debug!(id = stream.id(), error = %e, "could not ACK inbound stream");
                        continue;
                    }
                    Poll::Ready(Ok(())) => {}
                }
            }
            permit.send(stream);
        }
    }

    /// Hands out opened streams whose ACK (or RST) has arrived.
    ///
    /// Every frame is read inside `poll_connection`, and this runs after it in
    /// the same pass, so no ACK goes unnoticed.
    fn check_acks(&mut self) {
        if self.awaiting_ack.is_empty() {
            return;
        }
        for (stream, reply) in std::mem::take(&mut self.awaiting_ack) {
            if reply.is_closed() {
                continue;
            }
            let Some(inner) = stream.yamux() else {
                continue;
            };
            if inner.is_closed() {
                let id = stream.id();
                let _ = reply.send(Err(MuxError::OpenRejected { id }));
            } else if inner.is_pending_ack() {
                self.awaiting_ack.push((stream, reply));
            } else {
                let _ = reply.send(Ok(stream));
            }
        }
    }
}
