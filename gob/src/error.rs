//! Errors of the gob codec.
//!
//! Every error names what was wrong and, where known, the path (type and field) at which it
//! happened, e.g. `gob: value for int8 out of range: 300 (at Outer.Inner.Small)`.

use std::fmt;

/// The category of a codec error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended inside a message or a value (Go: `unexpected EOF`).
    UnexpectedEof,
    /// A message length that is negative, zero-sized where not allowed, or above the limit.
    MessageTooLarge {
        /// The length announced by the peer.
        len: u64,
        /// The configured maximum.
        limit: u64,
    },
    /// An unsigned integer whose byte count exceeds 8 (Go: `encoded unsigned integer out of range`).
    UintOutOfRange,
    /// A type definition for an id below 64 or an id already defined on this stream
    /// (Go: `duplicate type received`).
    DuplicateType(i64),
    /// A value or field refers to a type id that was never defined.
    UnknownTypeId(i64),
    /// A value to be skipped (a wire field the local struct lacks) of one of gob's own
    /// bootstrap types other than the basic ones: Go skips by the definitions received on
    /// the stream only (`decIgnoreOpFor`), so it cannot skip these (Go: `bad data: undefined
    /// type …`).
    UndefinedType(i64),
    /// Bytes left over after a top-level type definition (Go: `extra data in buffer`).
    ExtraData,
    /// Bytes after the value of a stream that should hold one value (`from_slice`).
    TrailingData,
    /// A struct field delta beyond the wire struct's field count.
    FieldNumberOutOfBounds,
    /// A singleton value whose leading delta is not zero.
    NonZeroSingletonDelta,
    /// The wire type cannot be decoded into the local type.
    TypeMismatch {
        /// What the local type wanted.
        want: String,
        /// What the wire carried.
        got: String,
    },
    /// A top-level struct whose wire struct shares no field name with it.
    NoFieldsMatched(String),
    /// A value that does not fit the local type (e.g. 300 into an `i8`).
    OutOfRange(String),
    /// An element count or length larger than the input could possibly hold.
    LengthExceedsInput {
        /// The count read from the input.
        count: u64,
        /// Bytes left in the input.
        remaining: u64,
    },
    /// Decoding one message would take more heap than [`crate::Limits`] allows for a
    /// message of its size (a peer's few bytes must not make the decoder hold gigabytes).
    MemoryBudget {
        /// The heap allowed for this message, in bytes.
        budget: u64,
        /// The message's size on the wire, in bytes.
        message: u64,
    },
    /// Array length on the wire differs from the local array length.
    ArrayLengthMismatch {
        /// Local length.
        want: usize,
        /// Wire length.
        got: u64,
    },
    /// The nesting depth limit was reached.
    DepthLimitExceeded(usize),
    /// Too many type definitions, fields or bytes of definitions on one stream.
    TooManyTypes(usize),
    /// An interface type name longer than 1024 bytes.
    NameTooLong(u64),
    /// An interface value with a name that is not registered (typed decoding only): the
    /// name's bytes as sent (Go's text quotes them with `%q`).
    UnregisteredName(Vec<u8>),
    /// A malformed structure that has no more specific kind.
    Corrupt(String),
    /// An encoding-side error (nil pointer inside an interface, unregistered type, ...).
    Encode(String),
    /// A marshaler payload (e.g. `time.Time`) that could not be parsed.
    Marshal(String),
    /// An I/O error of the underlying stream.
    Io(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::UnexpectedEof => write!(f, "unexpected EOF"),
            ErrorKind::MessageTooLarge { len, limit } => {
                write!(f, "invalid message length {len} (limit {limit})")
            }
            ErrorKind::UintOutOfRange => write!(f, "encoded unsigned integer out of range"),
            ErrorKind::DuplicateType(id) => write!(f, "duplicate type received (id {id})"),
            ErrorKind::UnknownTypeId(id) => {
                write!(f, "unknown type id or corrupted data (id {id})")
            }
            ErrorKind::ExtraData => write!(f, "extra data in buffer"),
            ErrorKind::TrailingData => write!(f, "trailing data after the value"),
            ErrorKind::FieldNumberOutOfBounds => write!(f, "bad data: field numbers out of bounds"),
            ErrorKind::UndefinedType(id) => write!(
                f,
                "bad data: undefined type {}",
                crate::bootstrap::go_type_string(*id)
            ),
            ErrorKind::NonZeroSingletonDelta => {
                write!(f, "decode: corrupted data: non-zero delta for singleton")
            }
            ErrorKind::TypeMismatch { want, got } => {
                write!(
                    f,
                    "type mismatch: local type {want} cannot be decoded from remote type {got}"
                )
            }
            ErrorKind::NoFieldsMatched(t) => {
                write!(
                    f,
                    "type mismatch: no fields matched compiling decoder for {t}"
                )
            }
            ErrorKind::OutOfRange(what) => write!(f, "value out of range: {what}"),
            ErrorKind::LengthExceedsInput { count, remaining } => write!(
                f,
                "length exceeds input size: count {count} with {remaining} bytes left"
            ),
            ErrorKind::MemoryBudget { budget, message } => write!(
                f,
                "decoding a {message}-byte message needs more than its heap budget of {budget} bytes"
            ),
            ErrorKind::ArrayLengthMismatch { want, got } => {
                write!(
                    f,
                    "length mismatch in decodeArray: local {want}, remote {got}"
                )
            }
            ErrorKind::DepthLimitExceeded(d) => write!(f, "invalid nesting depth (limit {d})"),
            ErrorKind::TooManyTypes(n) => write!(f, "too many type definitions (limit {n})"),
            ErrorKind::NameTooLong(n) => write!(f, "interface type name too long ({n} bytes)"),
            ErrorKind::UnregisteredName(n) => write!(
                f,
                "name not registered for interface: {}",
                crate::gotext::go_quote(n)
            ),
            ErrorKind::Corrupt(m) => write!(f, "corrupted data: {m}"),
            ErrorKind::Encode(m) => write!(f, "encode: {m}"),
            ErrorKind::Marshal(m) => write!(f, "marshaler: {m}"),
            ErrorKind::Io(m) => write!(f, "i/o: {m}"),
        }
    }
}

/// Path segments shown at each end of an elided error path.
const PATH_ENDS: usize = 4;

/// A codec error: what went wrong and where.
///
/// One pointer wide (the details are boxed), so `Result<T>` stays small on the hot and deeply
/// recursive decoding paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    /// Path segments from the outermost value inwards (type names, field names, `[i]`).
    path: Vec<String>,
    /// Byte offset in the stream where the problem was detected, when known.
    offset: Option<usize>,
    /// End of the message the decoder failed in, from the start of its input, when known.
    message_end: Option<usize>,
    /// Go decodes what this error refuses (a string that is not UTF-8: Go strings hold any
    /// bytes), so Go's decoder would have read the whole value.
    go_reads_it: bool,
    /// The input of a stream that may continue ended inside a message: not an error to the
    /// caller, who gets `Step::NeedMore` from `Decoder::decode_next` instead.
    incomplete: bool,
}

impl Error {
    /// Creates an error of the given kind with an empty path.
    pub fn new(kind: ErrorKind) -> Self {
        Error(Box::new(Inner {
            kind,
            path: Vec::new(),
            offset: None,
            message_end: None,
            go_reads_it: false,
            incomplete: false,
        }))
    }

    /// More input is needed (see `Inner::incomplete`); reads as an unexpected EOF.
    pub(crate) fn incomplete() -> Self {
        let mut e = Error::new(ErrorKind::UnexpectedEof);
        e.0.incomplete = true;
        e
    }

    /// The category of this error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The path (outermost first) at which the error happened.
    pub fn path(&self) -> String {
        self.0.path.join("")
    }

    /// The byte offset in the stream, when known.
    pub fn offset(&self) -> Option<usize> {
        self.0.offset
    }

    /// For an error of [`Decoder::decode_next`](crate::Decoder::decode_next) on a complete
    /// message: where that message ends, in bytes from the start of the input. Go's
    /// `Decoder` drops the rest of the message it failed in (its next `Decode` resets its
    /// buffer) and goes on with the message after it, which may be the middle of the failed
    /// value when that value went on in later messages (an interface's type definitions
    /// and value); a reader that goes on after an error drops this many bytes to do the
    /// same. Where the error is a refusal of ours that Go does not share (a string that is
    /// not UTF-8), it is the end of the whole value, which Go would have read.
    pub fn message_end(&self) -> Option<usize> {
        self.0.message_end
    }

    /// Marks a refusal of ours that Go's decoder accepts (see `Inner::go_reads_it`).
    pub(crate) fn go_reads_it(mut self) -> Self {
        self.0.go_reads_it = true;
        self
    }

    /// See [`Error::go_reads_it`].
    pub(crate) fn is_read_by_go(&self) -> bool {
        self.0.go_reads_it
    }

    /// Sets where the value Go would have read ends (overriding the failed message's end).
    pub(crate) fn with_value_end(mut self, end: usize) -> Self {
        self.0.message_end = Some(end);
        self
    }

    /// Records the end of the message the error happened in (the first one recorded stays).
    pub(crate) fn in_message_ending(mut self, end: usize) -> Self {
        if self.0.message_end.is_none() {
            self.0.message_end = Some(end);
        }
        self
    }

    /// True when the error only means that more input is needed.
    pub(crate) fn is_incomplete(&self) -> bool {
        self.0.incomplete
    }

    /// The same error (path, offset, where its message ends) with another kind: a decoder
    /// that knows more than the one it wraps (the Go name of its local type) words it so.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.0.kind = kind;
        self
    }

    /// Prepends a path segment (used while unwinding out of nested values).
    pub fn in_path(mut self, segment: impl Into<String>) -> Self {
        self.0.path.insert(0, segment.into());
        self
    }

    /// Records the byte offset, keeping the innermost one.
    pub fn at_offset(mut self, offset: usize) -> Self {
        if self.0.offset.is_none() {
            self.0.offset = Some(offset);
        }
        self
    }

    /// Moves the offset by `base` (an error of a stream's tail, placed in the whole stream);
    /// the path keeps its segments (and so its elided display).
    pub(crate) fn shift_offset(mut self, base: usize) -> Self {
        if let Some(o) = &mut self.0.offset {
            *o += base;
        }
        self
    }

    pub(crate) fn corrupt(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Corrupt(msg.into()))
    }

    pub(crate) fn encode(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Encode(msg.into()))
    }

    pub(crate) fn mismatch(want: impl Into<String>, got: impl Into<String>) -> Self {
        Error::new(ErrorKind::TypeMismatch {
            want: want.into(),
            got: got.into(),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gob: {}", self.0.kind)?;
        if !self.0.path.is_empty() {
            // A path through deep nesting is elided in the middle; `path()` has it whole.
            let path = &self.0.path;
            if path.len() > 2 * PATH_ENDS {
                write!(
                    f,
                    " (at {}…[{} more]…{})",
                    path[..PATH_ENDS].join(""),
                    path.len() - 2 * PATH_ENDS,
                    path[path.len() - PATH_ENDS..].join("")
                )?;
            } else {
                write!(f, " (at {})", path.join(""))?;
            }
        }
        if let Some(off) = self.0.offset {
            write!(f, " (byte offset {off})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::new(ErrorKind::UnexpectedEof)
        } else {
            Error::new(ErrorKind::Io(e.to_string()))
        }
    }
}

/// Result alias of the codec.
pub type Result<T, E = Error> = std::result::Result<T, E>;
