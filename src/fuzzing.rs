//! Entry points for the cargo-fuzz targets in `fuzz/` (cargo feature `fuzzing`, off by
//! default). Not a stable API: they run crate-private host-side readers on bytes a plugin
//! process would write, deterministically (no DNS, no processes).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use futures::executor::block_on;

use crate::plugin::handshake::{parse_line_with, Handshake, HandshakeError, Protocol};
use crate::plugin::hclog::{relay_stderr_buffered, StderrTail};
use crate::plugin::process::{first_line, handshake_reader};
use crate::plugin::LaunchError;

/// Size of go-plugin's stderr line buffer: longer lines are split into fragments of this size.
pub use crate::plugin::hclog::STDERR_BUFFER_SIZE;

/// A deterministic stand-in for the system resolver: `localhost` gives `[::1]` then
/// `127.0.0.1`, names starting with `v6` only an IPv6 address, `none` no address, anything
/// else an error (as an unknown host would).
fn fake_resolver(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port);
    match host {
        "localhost" => Ok(vec![v6, v4]),
        "none" => Ok(Vec::new()),
        h if h.starts_with("v6") => Ok(vec![v6]),
        h => Err(format!("lookup {h}: no such host")),
    }
}

/// [`parse_line`](crate::plugin::parse_line) with the fake resolver.
pub fn parse_handshake_line(
    line: &str,
    host_versions: &[u32],
    allowed_protocols: &[Protocol],
) -> Result<Handshake, HandshakeError> {
    parse_line_with(line, host_versions, allowed_protocols, &fake_resolver)
}

/// What the host makes of a plugin's stdout when it launches it: `launch`'s own reader and
/// first-line classification (`process::first_line`) over `stdout`, with the fake resolver.
/// `None` when stdout ends before any line (`launch` then reports how the process ended).
pub fn handshake_from_stdout(
    stdout: &[u8],
    host_versions: &[u32],
    allowed_protocols: &[Protocol],
) -> Option<Result<Handshake, LaunchError>> {
    let mut reader = handshake_reader(stdout);
    let read = block_on(reader.read_line());
    first_line(read, host_versions, allowed_protocols, &fake_resolver)
}

/// The host's stderr relay (`relay_stderr`) over `stderr` with a line buffer of `buffer`
/// bytes: raw lines are copied to `sink`, each line is re-logged as a `tracing` event; returns
/// the stderr tail the host would quote in a launch error.
pub fn relay_stderr(
    stderr: &[u8],
    buffer: usize,
    sink: Option<Box<dyn Write + Send>>,
) -> Vec<String> {
    let tail = Arc::new(Mutex::new(StderrTail::default()));
    block_on(relay_stderr_buffered(
        stderr,
        buffer,
        "fuzz".to_owned(),
        sink,
        Arc::downgrade(&tail),
    ));
    let lines = tail.lock().map(|t| t.snapshot()).unwrap_or_default();
    lines
}

/// Limits of the stderr tail: most lines kept, most bytes of a kept line (before the `…`).
pub const STDERR_TAIL_LIMITS: (usize, usize) = (StderrTail::MAX_LINES, StderrTail::MAX_LINE);
