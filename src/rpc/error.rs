//! Errors of the net/rpc layer, with Go's texts where Go has them.

use std::sync::Arc;

use gob::raw::WireId;
use gob::ErrorKind;

/// Why a call (or a connection) failed.
///
/// `Display` reproduces Go's `net/rpc` texts where Go has one, so messages can be passed on
/// verbatim (`connection is shut down`, `unexpected EOF`, `reading body …`, a server's text).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// The server answered with an error (Go's `rpc.ServerError`); the text is the server's,
    /// verbatim (e.g. `rpc: can't find service Nope.Echo` or a handler's message).
    #[error("{0}")]
    Server(String),
    /// The client was closed, or the connection had already ended when the call was made
    /// (Go's `rpc.ErrShutdown`).
    #[error("connection is shut down")]
    Shutdown,
    /// The connection ended while the call was pending (Go's `io.ErrUnexpectedEOF`).
    #[error("unexpected EOF")]
    UnexpectedEof,
    /// The reply body could not be decoded into the caller's reply type. As in Go this also
    /// terminates the client: the other pending calls fail with [`RpcError::Protocol`].
    #[error("reading body {0}")]
    ReadingBody(gob::Error),
    /// The body of an error reply (or of a reply nobody waits for) could not be skipped;
    /// terminates the client (Go: `reading error body: …`).
    #[error("reading error body: {0}")]
    ReadingErrorBody(gob::Error),
    /// The peer sent something that is not a valid net/rpc gob stream (e.g. an undecodable
    /// header); the connection is terminated and every pending call fails with it.
    #[error("{0}")]
    Protocol(gob::Error),
    /// A header or body (type definitions included) needed more than the configured
    /// [`Config::max_buffered`](super::Config::max_buffered) bytes.
    #[error("rpc: incoming value exceeds {limit} bytes")]
    TooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The call's arguments could not be gob-encoded. Nothing of the call was sent; the
    /// stream's write side is then closed and later calls fail with [`RpcError::Shutdown`]
    /// (see the module documentation).
    #[error("{0}")]
    Encode(gob::Error),
    /// A [`gob::Decode`] implementation panicked while a header or body was read (the text
    /// is the panic's message). The decoder's state is then unknown, so the connection ends:
    /// on a client every pending call fails with this error; a server answers the request
    /// whose argument panicked with an error reply, lets running calls reply, closes the
    /// connection and returns this error from [`Server::serve`](super::Server::serve).
    #[error("rpc: decoding a message panicked: {0}")]
    DecodePanicked(String),
    /// Reading from or writing to the transport failed.
    #[error("{0}")]
    Io(Arc<std::io::Error>),
    /// The call's deadline or timeout passed before its reply came
    /// ([`Client::call_timeout`](super::Client::call_timeout)). Only this call failed: it is
    /// no longer pending, a reply that comes later is read and dropped, and the connection
    /// stays usable for other calls. The text is Go's `context.DeadlineExceeded`, what a Go
    /// caller that waits under a context sees.
    #[error("context deadline exceeded")]
    DeadlineExceeded,
}

impl RpcError {
    /// True for [`RpcError::Shutdown`] (Go: `err == rpc.ErrShutdown`).
    pub fn is_shutdown(&self) -> bool {
        matches!(self, RpcError::Shutdown)
    }

    /// True for [`RpcError::UnexpectedEof`].
    pub fn is_unexpected_eof(&self) -> bool {
        matches!(self, RpcError::UnexpectedEof)
    }

    /// The server's text when this is an error reply (Go's `rpc.ServerError`).
    pub fn server_message(&self) -> Option<&str> {
        match self {
            RpcError::Server(s) => Some(s),
            _ => None,
        }
    }

    /// True for [`RpcError::DeadlineExceeded`] (Go:
    /// `errors.Is(err, context.DeadlineExceeded)`).
    pub fn is_deadline_exceeded(&self) -> bool {
        matches!(self, RpcError::DeadlineExceeded)
    }

    /// True when the error came from the connection rather than from the server's answer:
    /// the call may or may not have been executed, and the connection is unusable. A
    /// [`RpcError::DeadlineExceeded`] is not one (the connection stays usable).
    pub fn is_connection_error(&self) -> bool {
        !matches!(self, RpcError::Server(_) | RpcError::DeadlineExceeded)
    }

    pub(crate) fn io(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            RpcError::UnexpectedEof
        } else {
            RpcError::Io(Arc::new(e))
        }
    }
}

/// Why [`Server::register_fn`](super::Server::register_fn) refused a method.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The service name is empty, or the method name is empty or contains a `.` (Go looks
    /// services up by the text before the last `.`).
    #[error("rpc: invalid service/method name {0:?}")]
    InvalidName(String),
    /// `Service.Method` was registered before.
    #[error("rpc: method already defined: {0}")]
    Duplicate(String),
}

/// Go's name for a builtin wire type (`dec.typeString` of a builtin id).
fn builtin_go_name(id: WireId) -> Option<&'static str> {
    Some(match id {
        1 => "bool",
        2 => "int",
        3 => "uint",
        4 => "float",
        5 => "bytes",
        6 => "string",
        7 => "complex",
        8 => "interface",
        _ => return None,
    })
}

/// The text Go's gob decoder gives for a body that does not fit the argument type, when the
/// error is one of the type-compatibility checks Go performs before decoding (Go reports
/// those with its own wording); other errors keep this crate's text.
///
/// `remote` is the wire id of the value's type and the definitions received on the stream.
pub(crate) fn go_decode_error_text(
    err: &gob::Error,
    remote: Option<(WireId, &gob::raw::TypeTable)>,
) -> String {
    // Go's `typeString`: a basic type's name, gob's own types in full, a definition's name,
    // `unknown type` for an id nothing defined. (Go looks its process-global type table up
    // first, which another process cannot know: an id Go's own process has used for a type
    // of its own is named after that type there.)
    let remote_name = remote.map(|(id, types)| match builtin_go_name(id) {
        Some(n) => n.to_string(),
        None if (9..=24).contains(&id) => gob::raw::go_type_string(id).to_string(),
        None => types
            .get(id)
            .map_or_else(|| "unknown type".to_string(), |w| w.common().name.clone()),
    });
    // Go's "want struct type" error is about `StructT` alone (compileDec), whatever else a
    // definition sets.
    let remote_is_struct =
        remote.map(|(id, types)| types.get_kind(id, gob::raw::WireKind::Struct).is_some());
    let path = err.path();
    match err.kind() {
        ErrorKind::TypeMismatch { want, got } if path.is_empty() => {
            if let Some(local) = want.strip_prefix("struct ") {
                if remote_is_struct != Some(true) {
                    return format!(
                        "gob: type mismatch in decoder: want struct type {local}; got non-struct"
                    );
                }
            } else {
                let remote = remote_name.unwrap_or_else(|| got.clone());
                return format!(
                    "gob: decoding into local type *{want}, received remote type {remote}"
                );
            }
            err.to_string()
        }
        ErrorKind::TypeMismatch { want, .. }
            if path.starts_with('.') && !path[1..].contains(['.', '[', '(']) =>
        {
            // A field of the top-level struct: Go checks field compatibility when it compiles
            // the decoder.
            let local = want.strip_prefix("struct ").unwrap_or(want);
            let wire_struct = remote_name.unwrap_or_default();
            format!(
                "gob: wrong type ({local}) for received field {wire_struct}.{}",
                &path[1..]
            )
        }
        // Go's text carries neither path nor offset.
        ErrorKind::UnregisteredName(name) => {
            format!(
                "gob: name not registered for interface: {}",
                gob::gotext::go_quote(name)
            )
        }
        ErrorKind::NoFieldsMatched(local) if path.is_empty() => {
            let bare = local.rsplit('.').next().unwrap_or(local);
            format!("gob: type mismatch: no fields matched compiling decoder for {bare}")
        }
        // Go's texts for the stream's structural errors: no path or offset, and some without
        // the "gob: " prefix (Go returns those errors unwrapped).
        ErrorKind::FieldNumberOutOfBounds => "gob: bad data: field numbers out of bounds".into(),
        ErrorKind::UndefinedType(_) => format!("gob: {}", err.kind()),
        ErrorKind::DuplicateType(_) => "gob: duplicate type received".into(),
        ErrorKind::UintOutOfRange => "gob: encoded unsigned integer out of range".into(),
        ErrorKind::NonZeroSingletonDelta => {
            "gob: decode: corrupted data: non-zero delta for singleton".into()
        }
        ErrorKind::UnknownTypeId(_) => "gob: unknown type id or corrupted data".into(),
        ErrorKind::ExtraData => "extra data in buffer".into(),
        // An empty message leaves Go's decoder reading a type id from an empty buffer.
        ErrorKind::MessageTooLarge { len: 0, .. } => "EOF".into(),
        ErrorKind::MessageTooLarge { .. } => "invalid message length".into(),
        // Go's decoder runs off the end of a message it holds whole in `decodeUint`'s
        // `ReadByte`: `io.EOF`.
        ErrorKind::UnexpectedEof => "EOF".into(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_go() {
        assert_eq!(RpcError::Shutdown.to_string(), "connection is shut down");
        assert_eq!(RpcError::UnexpectedEof.to_string(), "unexpected EOF");
        assert_eq!(
            RpcError::Server("rpc: can't find service Nope.Echo".into()).to_string(),
            "rpc: can't find service Nope.Echo"
        );
        let e = gob::Error::new(ErrorKind::UnexpectedEof);
        assert_eq!(
            RpcError::ReadingBody(e.clone()).to_string(),
            "reading body gob: unexpected EOF"
        );
        assert_eq!(
            RpcError::ReadingErrorBody(e).to_string(),
            "reading error body: gob: unexpected EOF"
        );
        assert!(RpcError::Shutdown.is_shutdown());
        assert!(RpcError::Shutdown.is_connection_error());
        assert_eq!(RpcError::Server("x".into()).server_message(), Some("x"));
        assert!(!RpcError::Server("x".into()).is_connection_error());
        assert_eq!(
            RpcError::DeadlineExceeded.to_string(),
            "context deadline exceeded"
        );
        assert!(RpcError::DeadlineExceeded.is_deadline_exceeded());
        assert!(!RpcError::DeadlineExceeded.is_connection_error());
    }
}
