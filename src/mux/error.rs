//! Errors of the mux layer and the reason a session ended.

use std::{fmt, io, sync::Arc, time::Duration};

/// A failure of the yamux connection itself. Opaque so that the pinned `yamux` crate's error
/// type stays out of this crate's API: it is this error's [`source`](std::error::Error::source)
/// (a `yamux::ConnectionError`, for a caller that pins the same `yamux` version and wants to
/// downcast). Displays as yamux's own text.
#[derive(Debug, Clone)]
pub struct ConnectionFailure(Arc<yamux::ConnectionError>);

impl ConnectionFailure {
    pub(crate) fn new(e: yamux::ConnectionError) -> Self {
        ConnectionFailure(Arc::new(e))
    }

    /// The socket error underneath, if the failure was one (the TLS side of the host reads
    /// a refused handshake from it).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn io_error(&self) -> Option<&io::Error> {
        use yamux::{ConnectionError, FrameDecodeError};
        match &*self.0 {
            ConnectionError::Io(io) | ConnectionError::Decode(FrameDecodeError::Io(io)) => Some(io),
            _ => None,
        }
    }
}

impl fmt::Display for ConnectionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for ConnectionFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Why a yamux session ended; what [`Session::closed`](super::Session::closed) resolves to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CloseReason {
    /// [`Session::close`](super::Session::close) was called, or every
    /// [`Session`](super::Session) handle was dropped.
    Local,
    /// The peer ended the session: socket EOF, a GoAway frame (rust-yamux
    /// ends the connection on any GoAway and cannot tell the two apart), or a
    /// socket error that only a vanished peer causes (broken pipe, reset,
    /// truncated frame). This is how a Go peer's `Session.Close` or exit looks.
    ///
    /// As with hashicorp/yamux, a write that fails because the peer is gone
    /// ends the session at once, so frames the peer sent just before closing
    /// and that were not read yet are lost.
    Peer,
    /// The connection failed: socket error, undecodable frame (for example
    /// `FrameTooLarge`), or too many streams opened here.
    Failed(ConnectionFailure),
    /// The peer broke the yamux protocol with a frame that decodes but may not be sent (a
    /// window update beyond 2^32, a stream beyond `max_num_streams`, data beyond a
    /// stream's window, a SYN for a stream that exists): GoAway with error `code` (1:
    /// protocol error, 2: internal error) was sent and the session closed, as
    /// hashicorp/yamux does. (rust-yamux alone would send the GoAway and go on, with the
    /// offending frame dropped.) Noticed with `MuxConfig::buffered_socket` (the default).
    ProtocolViolation {
        /// The GoAway code sent.
        code: u32,
    },
    /// The driver task stopped without reporting a reason (runtime shut down
    /// or the task panicked).
    DriverStopped,
}

impl CloseReason {
    /// Classifies the error that ended a connection.
    pub(crate) fn from_error(e: yamux::ConnectionError) -> Self {
        use yamux::{ConnectionError, FrameDecodeError};
        let io = match &e {
            ConnectionError::Closed => return CloseReason::Peer,
            ConnectionError::Io(io) => Some(io),
            ConnectionError::Decode(FrameDecodeError::Io(io)) => Some(io),
            _ => None,
        };
        match io.map(io::Error::kind) {
            Some(
                io::ErrorKind::BrokenPipe
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::UnexpectedEof,
            ) => CloseReason::Peer,
            _ => CloseReason::Failed(ConnectionFailure::new(e)),
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Local => f.write_str("closed locally"),
            CloseReason::Peer => f.write_str("closed by the peer"),
            CloseReason::Failed(e) => write!(f, "connection failed: {e}"),
            CloseReason::ProtocolViolation { code } => write!(
                f,
                "the peer broke the yamux protocol (GoAway with error code {code} sent)"
            ),
            CloseReason::DriverStopped => f.write_str("mux driver task stopped"),
        }
    }
}

/// Errors returned by the mux layer. Each variant names what failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MuxError {
    /// A [`MuxConfig`](super::MuxConfig) value is out of range.
    #[error("invalid mux configuration: {0}")]
    InvalidConfig(&'static str),
    /// [`Session::new`](super::Session::new) was called outside a tokio runtime.
    #[error("a yamux session needs a tokio runtime to run its driver task")]
    NoRuntime,
    /// The session has ended; the operation cannot proceed.
    #[error("yamux session is closed ({0})")]
    SessionClosed(CloseReason),
    /// Opening another stream would exceed `max_num_streams`, which rust-yamux
    /// would punish by failing the whole connection.
    #[error("cannot open a stream: {limit} streams are already open")]
    TooManyStreams {
        /// The configured `max_num_streams`.
        limit: usize,
    },
    /// The peer reset a stream we opened instead of acknowledging it (Go does
    /// this when its accept backlog is full or it is going away).
    #[error("the peer reset stream {id} instead of acknowledging it")]
    OpenRejected {
        /// The stream id.
        id: u32,
    },
    /// Queuing the eager SYN (open) or ACK (accept) frame failed.
    #[error("could not queue the {flag} frame of stream {id}: {source}")]
    Handshake {
        /// "SYN" or "ACK".
        flag: &'static str,
        /// The stream id.
        id: u32,
        /// The stream's write error.
        #[source]
        source: io::Error,
    },
    /// Flushing and closing the connection failed (the socket is closed anyway).
    #[error("closing the yamux connection failed: {0}")]
    CloseFailed(#[source] ConnectionFailure),
    /// Flushing queued frames took longer than `close_timeout`; the socket was
    /// dropped with frames unsent.
    #[error("closing the yamux connection timed out after {0:?}")]
    CloseTimedOut(Duration),
}
