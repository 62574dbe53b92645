//! Plugin logs on stderr in go-hclog's format (v1.0.0, the go-plugin default).
//!
//! * Host side: [`parse_stderr_line`] turns one stderr line into a [`PluginLogLine`] exactly as
//!   go-plugin v1.4.3's `logStderr` classifies it, and [`PluginLogLine::emit`] re-logs it as a
//!   `tracing` event. The process launcher reads stderr in 64 KiB pieces like Go's
//!   `bufio.Reader.ReadLine` (longer lines arrive as fragments, each logged verbatim at debug).
//! * Provider side: [`HclogLayer`] is a `tracing_subscriber::Layer` writing every event as one
//!   hclog JSON line to stderr, so a Go host re-logs it at the right level with its fields.
//!
//! # How re-logged lines look in `tracing`
//!
//! `tracing` needs field names known at compile time, so the dynamic hclog keys cannot become
//! individual event fields. Each event (target [`STDERR_TARGET`]) carries:
//! `plugin` (the plugin name), `fields` (the other JSON keys as one `key=value key2=value2`
//! string, keys sorted, strings unquoted unless they contain spaces, `=`, quotes or control
//! characters, other JSON values compact) and the message. The hclog `@timestamp` is appended to
//! `fields` as `timestamp=…` like Go's host does.

mod layer;
mod level;
mod parse;
mod relay;
#[cfg(test)]
mod tests;
mod timestamp;

pub use layer::{hclog_subscriber, HclogLayer};
pub use level::{LogLevel, PluginLogLine};
pub use parse::parse_stderr_line;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use relay::relay_stderr_buffered;
pub use relay::StderrSink;
pub(crate) use relay::{relay_stderr, LineReader, StderrTail};
#[cfg(test)]
pub(crate) use timestamp::is_hclog_timestamp;

/// `tracing` target of the events produced by [`PluginLogLine::emit`].
pub const STDERR_TARGET: &str = "go_plugin::stderr";

/// Size of go-plugin's stderr line buffer: longer lines are split into fragments of this size.
pub const STDERR_BUFFER_SIZE: usize = 64 * 1024;
