//! Host side: reading a plugin's stderr line by line as go-plugin does, relaying and
//! re-logging each line.

use std::io::{self, Write};
use std::sync::Mutex;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::level::{LogLevel, PluginLogLine};
use super::parse::parse_stderr_line;
use super::{STDERR_BUFFER_SIZE, STDERR_TARGET};

/// Reads lines like Go's `bufio.NewReaderSize(r, 64 KiB).ReadLine()`: strips `\n` / `\r\n`;
/// a line longer than the buffer comes back in buffer-sized fragments marked as prefixes.
pub(crate) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    pub(crate) fn new(inner: R, capacity: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; capacity.max(2)],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// `Ok(None)` at EOF; otherwise the next line or fragment and whether it is a prefix (more
    /// of the same line follows).
    pub(crate) async fn read_line(&mut self) -> io::Result<Option<(Vec<u8>, bool)>> {
        loop {
            let data = &self.buf[self.start..self.end];
            if let Some(i) = data.iter().position(|b| *b == b'\n') {
                let mut line = &data[..i];
                if line.last() == Some(&b'\r') {
                    line = &line[..line.len() - 1];
                }
                let line = line.to_vec();
                self.start += i + 1;
                return Ok(Some((line, false)));
            }
            if data.len() == self.buf.len() {
                // Buffer full: hand out a fragment; keep a trailing '\r' for the next call in case
                // it belongs to a "\r\n" (Go does the same).
                let n = if data.last() == Some(&b'\r') {
                    data.len() - 1
                } else {
                    data.len()
                };
                let line = data[..n].to_vec();
                self.start += n;
                return Ok(Some((line, true)));
            }
            if self.eof {
                if data.is_empty() {
                    return Ok(None);
                }
                let line = data.to_vec();
                self.start = self.end;
                return Ok(Some((line, false)));
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let n = self.inner.read(&mut self.buf[self.end..]).await?;
            if n == 0 {
                self.eof = true;
            } else {
                self.end += n;
            }
        }
    }
}

/// The last stderr lines of a plugin, kept for error reports.
#[derive(Debug, Default)]
pub(crate) struct StderrTail {
    lines: std::collections::VecDeque<String>,
    bytes: usize,
}

impl StderrTail {
    pub(crate) const MAX_LINES: usize = 50;
    const MAX_BYTES: usize = 16 * 1024;

    pub(crate) const MAX_LINE: usize = 1024;

    fn push(&mut self, mut line: String) {
        if line.len() > Self::MAX_LINE {
            let mut cut = Self::MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        self.bytes += line.len();
        self.lines.push_back(line);
        while self.lines.len() > Self::MAX_LINES
            || (self.bytes > Self::MAX_BYTES && self.lines.len() > 1)
        {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.len();
            }
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<String> {
        self.lines.iter().cloned().collect()
    }
}

/// Sink receiving the raw stderr bytes (go-plugin `ClientConfig.Stderr`).
pub type StderrSink = Box<dyn Write + Send + 'static>;

/// go-plugin's `logStderr`: reads `r` to EOF, copies raw lines to `sink`, re-logs each line via
/// [`parse_stderr_line`] + [`PluginLogLine::emit`] (fragments of over-long lines verbatim at
/// debug) and remembers the last lines in `tail` while someone holds it (the launch, for its
/// error messages; afterwards nothing is kept).
pub(crate) async fn relay_stderr<R: AsyncRead + Unpin>(
    r: R,
    plugin_name: String,
    sink: Option<StderrSink>,
    tail: std::sync::Weak<Mutex<StderrTail>>,
) {
    relay_stderr_buffered(r, STDERR_BUFFER_SIZE, plugin_name, sink, tail).await;
}

/// [`relay_stderr`] with a line buffer of `buffer` bytes instead of [`STDERR_BUFFER_SIZE`]
/// (the fuzz targets use small ones to reach the fragments of over-long lines).
pub(crate) async fn relay_stderr_buffered<R: AsyncRead + Unpin>(
    r: R,
    buffer: usize,
    plugin_name: String,
    mut sink: Option<StderrSink>,
    tail: std::sync::Weak<Mutex<StderrTail>>,
) {
    let mut reader = LineReader::new(r, buffer);
    let mut continuation = false;
    loop {
        let (bytes, is_prefix) = match reader.read_line().await {
            Ok(Some(x)) => x,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(target: STDERR_TARGET, plugin = %plugin_name, error = %e, "reading plugin stderr");
                return;
            }
        };
        if let Some(s) = sink.as_mut() {
            let _ = s.write_all(&bytes);
            if !is_prefix {
                let _ = s.write_all(b"\n");
            }
            let _ = s.flush();
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Some(tail) = tail.upgrade() {
            if let Ok(mut t) = tail.lock() {
                t.push(text.clone().into_owned());
            }
        }
        if is_prefix || continuation {
            PluginLogLine::raw(&text, LogLevel::Debug).emit(&plugin_name);
            continuation = is_prefix;
            continue;
        }
        parse_stderr_line(&text).emit(&plugin_name);
    }
}
