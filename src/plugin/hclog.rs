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

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use gob::gotext;

/// `tracing` target of the events produced by [`PluginLogLine::emit`].
pub const STDERR_TARGET: &str = "go_plugin::stderr";

/// Size of go-plugin's stderr line buffer: longer lines are split into fragments of this size.
pub const STDERR_BUFFER_SIZE: usize = 64 * 1024;

// hclog's JSON timestamp layout `TimeFormatJSON` is `2006-01-02T15:04:05.000000Z07:00` (Go
// reference time notation); `parse_go_timestamp` and `format_timestamp_utc` implement it.

/// The five levels go-plugin distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `trace`
    Trace,
    /// `debug`
    Debug,
    /// `info`
    Info,
    /// `warn`
    Warn,
    /// `error`
    Error,
}

impl LogLevel {
    /// hclog's name: `trace`, `debug`, `info`, `warn`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }

    /// hclog `LevelFromString` (trimmed, case-insensitive); `None` for anything else.
    pub fn from_hclog(s: &str) -> Option<Self> {
        match s.trim().to_lowercase().as_str() {
            "trace" => Some(LogLevel::Trace),
            "debug" => Some(LogLevel::Debug),
            "info" => Some(LogLevel::Info),
            "warn" => Some(LogLevel::Warn),
            "error" => Some(LogLevel::Error),
            _ => None,
        }
    }

    fn from_tracing(l: &Level) -> Self {
        match *l {
            Level::TRACE => LogLevel::Trace,
            Level::DEBUG => LogLevel::Debug,
            Level::INFO => LogLevel::Info,
            Level::WARN => LogLevel::Warn,
            Level::ERROR => LogLevel::Error,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One plugin stderr line as the host classifies it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginLogLine {
    /// Level to log at.
    pub level: LogLevel,
    /// `@message` of an hclog JSON line, else the whole raw line.
    pub message: String,
    /// The other keys of an hclog JSON line (including `@module`, `@caller`), sorted by key;
    /// empty for raw lines.
    pub fields: Vec<(String, Value)>,
    /// The `@timestamp` of an hclog JSON line (validated against hclog's `TimeFormatJSON` (`2006-01-02T15:04:05.000000Z07:00`)).
    pub timestamp: Option<String>,
    /// `true` when the line was an hclog JSON object with a known level.
    pub structured: bool,
}

impl PluginLogLine {
    fn raw(line: &str, level: LogLevel) -> Self {
        PluginLogLine {
            level,
            message: line.to_owned(),
            fields: Vec::new(),
            timestamp: None,
            structured: false,
        }
    }

    /// The fields as one `key=value …` string (see the module docs), with `timestamp=…` last
    /// when the line had one.
    pub fn fields_text(&self) -> String {
        let mut out = String::new();
        let pairs = self.fields.iter().map(|(k, v)| (k.as_str(), v));
        let ts = self.timestamp.as_ref().map(|t| Value::String(t.clone()));
        for (k, v) in pairs.chain(ts.as_ref().map(|t| ("timestamp", t))) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(k);
            out.push('=');
            match v {
                Value::String(s) if !needs_quoting(s) => out.push_str(s),
                Value::String(s) => {
                    let _ = write!(out, "{}", Value::String(s.clone()));
                }
                other => {
                    let _ = write!(out, "{other}");
                }
            }
        }
        out
    }

    /// Logs the line as a `tracing` event (target [`STDERR_TARGET`]) at its level, with fields
    /// `plugin = plugin_name` and `fields = self.fields_text()`.
    pub fn emit(&self, plugin_name: &str) {
        let fields = self.fields_text();
        macro_rules! ev {
            ($lvl:expr) => {
                tracing::event!(target: STDERR_TARGET, $lvl, plugin = plugin_name, fields = %fields, "{}", self.message)
            };
        }
        match self.level {
            LogLevel::Trace => ev!(Level::TRACE),
            LogLevel::Debug => ev!(Level::DEBUG),
            LogLevel::Info => ev!(Level::INFO),
            LogLevel::Warn => ev!(Level::WARN),
            LogLevel::Error => ev!(Level::ERROR),
        }
    }
}

fn needs_quoting(s: &str) -> bool {
    s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=')
}

/// Classifies one stderr line like go-plugin v1.4.3 (`logStderr` + `parseJSON`):
///
/// 1. A JSON **object** whose `@message`, `@level`, `@timestamp` (each optional) are strings and
///    whose `@timestamp`, if present, matches hclog's `TimeFormatJSON` (`2006-01-02T15:04:05.000000Z07:00`) exactly is structured: a known
///    level (see [`LogLevel::from_hclog`]) gives that level, `@message` and the other keys as
///    fields; an unknown or missing level logs the raw line at debug.
/// 2. Anything else (not JSON, not an object, bad timestamp, and — where a Go host would
///    crash — a non-string `@message`/`@level`/`@timestamp`) is a raw line: at the level of a
///    `[TRACE]`, `[DEBUG]`, `[INFO]`, `[WARN]` or `[ERROR]` prefix, else at debug.
pub fn parse_stderr_line(line: &str) -> PluginLogLine {
    if let Some(parsed) = parse_hclog_json(line) {
        return parsed;
    }
    let level = [
        ("[TRACE]", LogLevel::Trace),
        ("[DEBUG]", LogLevel::Debug),
        ("[INFO]", LogLevel::Info),
        ("[WARN]", LogLevel::Warn),
        ("[ERROR]", LogLevel::Error),
    ]
    .iter()
    .find(|(p, _)| line.starts_with(p))
    .map_or(LogLevel::Debug, |(_, l)| *l);
    PluginLogLine::raw(line, level)
}

fn parse_hclog_json(line: &str) -> Option<PluginLogLine> {
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(line) else {
        return None;
    };
    let mut take_str = |key: &str| -> Result<Option<String>, ()> {
        match map.remove(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(()),
        }
    };
    let message = take_str("@message").ok()?;
    let level = take_str("@level").ok()?;
    let timestamp = take_str("@timestamp").ok()?;
    if let Some(ts) = &timestamp {
        if !is_hclog_timestamp(ts) {
            return None;
        }
    }
    let Some(level) = level.as_deref().and_then(LogLevel::from_hclog) else {
        return Some(PluginLogLine::raw(line, LogLevel::Debug));
    };
    let mut fields: Vec<(String, Value)> = map.into_iter().collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    Some(PluginLogLine {
        level,
        message: message.unwrap_or_default(),
        fields,
        timestamp,
        structured: true,
    })
}

/// Whether `s` parses with Go's `time.Parse(TimeFormatJSON, s)` (Go ≥ 1.17 rules: 4-digit
/// year, 2-digit month/day/minute/second, 1- or 2-digit hour, exactly six fraction digits after
/// `.` or `,`, then `Z` or `±hh:mm`; ranges and days-in-month checked; nothing after).
pub fn is_hclog_timestamp(s: &str) -> bool {
    parse_go_timestamp(s.as_bytes()).is_some()
}

fn parse_go_timestamp(v: &[u8]) -> Option<()> {
    fn digits(v: &[u8], n: usize) -> Option<(u32, &[u8])> {
        let d = v.get(..n)?;
        d.iter().all(u8::is_ascii_digit).then_some(())?;
        let n = d.iter().fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
        Some((n, &v[d.len()..]))
    }
    fn lit(v: &[u8], c: u8) -> Option<&[u8]> {
        (v.first() == Some(&c)).then(|| &v[1..])
    }
    let (year, v) = digits(v, 4)?;
    let v = lit(v, b'-')?;
    let (month, v) = digits(v, 2)?;
    let v = lit(v, b'-')?;
    let (day, v) = digits(v, 2)?;
    let v = lit(v, b'T')?;
    // stdHour is not fixed-width in Go: one or two digits.
    let (hour, v) = match digits(v, 2) {
        Some(r) => r,
        None => digits(v, 1)?,
    };
    let v = lit(v, b':')?;
    let (minute, v) = digits(v, 2)?;
    let v = lit(v, b':')?;
    let (second, v) = digits(v, 2)?;
    if !(1..=12).contains(&month) || hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    // ".000000": separator, then six characters parsed with time's atoi (sign allowed).
    if !matches!(v.first(), Some(b'.' | b',')) {
        return None;
    }
    let frac = v.get(1..7)?;
    let (neg, fd) = match frac[0] {
        b'+' => (false, &frac[1..]),
        b'-' => (true, &frac[1..]),
        _ => (false, frac),
    };
    if !fd.iter().all(u8::is_ascii_digit) || (neg && fd.iter().any(|d| *d != b'0')) {
        return None;
    }
    let v = &v[7..];
    // "Z07:00"
    let v = if let Some(rest) = lit(v, b'Z') {
        rest
    } else {
        let tz = v.get(..6)?;
        if !matches!(tz[0], b'+' | b'-') || tz[3] != b':' {
            return None;
        }
        let (hh, _) = digits(&tz[1..3], 2)?;
        let (mm, _) = digits(&tz[4..6], 2)?;
        if hh > 24 || mm > 60 {
            return None;
        }
        &v[6..]
    };
    if !v.is_empty() {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days_in_month).contains(&day).then_some(())
}

/// Formats `t` in UTC with hclog's `TimeFormatJSON` (`2006-01-02T15:04:05.000000Z07:00`), e.g. `2026-11-26T05:11:45.773853Z` (the
/// fraction is truncated to microseconds, like Go).
pub fn format_timestamp_utc(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let micros = d.subsec_micros();
    let days = (secs / 86_400) as i64;
    let sod = secs % 86_400;
    let (y, m, dd) = gotext::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

// ---------------------------------------------------------------------------------------------
// Host side: reading stderr.

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

// ---------------------------------------------------------------------------------------------
// Provider side: the hclog JSON writer.

/// Appends `s` as go-hclog writes a string: Go `encoding/json` through a `json.Encoder`
/// whose HTML escaping is on (go-hclog v1.0.0 `logJSON`: `json.NewEncoder(w).Encode(vals)`),
/// so `<`, `>`, `&` become `\u003c`, `\u003e`, `\u0026`; `\b` and `\f` are spelled as Go
/// ≥ 1.22 spells them (`\b`, `\f`, not `\u0008`, `\u000c`), which is what a Go plugin built
/// with the toolchain here writes (`tests/plugin_interop.rs` compares a line of each).
fn json_string(out: &mut String, s: &str) {
    let mut b = Vec::with_capacity(s.len() + 2);
    gotext::json_string(&mut b, s.as_bytes(), true);
    // Valid UTF-8 in, valid UTF-8 out (only ASCII escapes are inserted): lossless.
    out.push_str(&String::from_utf8_lossy(&b));
}

#[derive(Debug, Clone, PartialEq)]
enum JsonVal {
    Str(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl JsonVal {
    fn write(&self, out: &mut String) {
        match self {
            JsonVal::Str(s) => json_string(out, s),
            JsonVal::I64(v) => {
                let _ = write!(out, "{v}");
            }
            JsonVal::U64(v) => {
                let _ = write!(out, "{v}");
            }
            JsonVal::F64(v) => match gotext::json_float(*v, 64) {
                Some(t) => out.push_str(&t),
                // Go's encoder refuses NaN/Inf (hclog then drops the line); write a string.
                None => json_string(out, &format!("{v}")),
            },
            JsonVal::Bool(v) => out.push_str(if *v { "true" } else { "false" }),
        }
    }
}

#[derive(Default)]
struct FieldVisitor {
    message: Option<String>,
    fields: Vec<(String, JsonVal)>,
}

impl FieldVisitor {
    fn put(&mut self, field: &Field, v: JsonVal) {
        if field.name() == "message" {
            self.message = Some(match v {
                JsonVal::Str(s) => s,
                other => {
                    let mut s = String::new();
                    other.write(&mut s);
                    s
                }
            });
        } else {
            self.fields.push((field.name().to_owned(), v));
        }
    }
}

impl Visit for FieldVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, JsonVal::F64(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, JsonVal::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, JsonVal::U64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, JsonVal::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, JsonVal::Str(value.to_owned()));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // hclog renders errors as their message.
        self.put(field, JsonVal::Str(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, JsonVal::Str(format!("{value:?}")));
    }
}

/// Span fields remembered for events inside the span.
struct SpanFields(Vec<(String, JsonVal)>);

type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// A `tracing_subscriber::Layer` that writes each event as one go-hclog JSON line.
///
/// Line shape (keys sorted like Go's encoder, compact, `\n`-terminated, strings escaped like Go's
/// `encoding/json` including `\u003c`/`\u003e`/`\u0026`):
/// `@level` (`trace`…`error`), `@message`, `@module` (only with [`HclogLayer::module_from_target`]),
/// `@timestamp` (UTC with `Z` — no local-offset lookup without extra dependencies; a Go host
/// accepts both), then the fields of the enclosing spans and of the event as JSON values
/// (integers, floats, booleans and strings; `Debug`-formatted values and errors become strings).
/// The three keys a Go host converts unchecked (`@level`, `@message`, `@timestamp`) are always
/// strings: event or span fields with those names are dropped. NaN/±Inf are written as strings
/// (Go's encoder would refuse the whole line).
pub struct HclogLayer {
    writer: SharedWriter,
    module_from_target: bool,
}

impl fmt::Debug for HclogLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HclogLayer")
            .field("module_from_target", &self.module_from_target)
            .finish_non_exhaustive()
    }
}

impl HclogLayer {
    /// Writes to the process's real stderr: a duplicate of file descriptor 2 taken now, so
    /// the lines keep going there after [`serve`](super::serve) redirects fd 2 to the host's
    /// stderr stream (as go-plugin's logger keeps the original `os.Stderr`).
    pub fn stderr() -> Self {
        use std::os::fd::AsFd;
        match io::stderr().as_fd().try_clone_to_owned() {
            Ok(fd) => Self::with_writer(std::fs::File::from(fd)),
            Err(_) => Self::with_writer(io::stderr()),
        }
    }

    /// Writes to `writer` (each line with a single `write_all`, then `flush`).
    pub fn with_writer(writer: impl Write + Send + 'static) -> Self {
        HclogLayer {
            writer: Arc::new(Mutex::new(Box::new(writer))),
            module_from_target: false,
        }
    }

    /// Also emit `@module` set to the event's target (e.g. `my_plugin::store`). Off by default,
    /// like the logger of Go's `plugin.Serve`, which has no name.
    pub fn module_from_target(mut self, on: bool) -> Self {
        self.module_from_target = on;
        self
    }

    fn format_line(
        &self,
        level: &Level,
        target: &str,
        message: Option<String>,
        fields: impl IntoIterator<Item = (String, JsonVal)>,
        now: SystemTime,
    ) -> String {
        let mut map: BTreeMap<String, JsonVal> = BTreeMap::new();
        if self.module_from_target {
            map.insert("@module".into(), JsonVal::Str(target.to_owned()));
        }
        for (k, v) in fields {
            if !matches!(k.as_str(), "@level" | "@message" | "@timestamp") {
                map.insert(k, v);
            }
        }
        map.insert(
            "@level".into(),
            JsonVal::Str(LogLevel::from_tracing(level).as_str().into()),
        );
        map.insert("@message".into(), JsonVal::Str(message.unwrap_or_default()));
        map.insert("@timestamp".into(), JsonVal::Str(format_timestamp_utc(now)));
        let mut out = String::with_capacity(128);
        out.push('{');
        for (i, (k, v)) in map.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_string(&mut out, k);
            out.push(':');
            v.write(&mut out);
        }
        out.push_str("}\n");
        out
    }
}

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut v = FieldVisitor::default();
        attrs.record(&mut v);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(v.fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut v = FieldVisitor::default();
        values.record(&mut v);
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            match ext.get_mut::<SpanFields>() {
                Some(f) => f.0.extend(v.fields),
                None => ext.insert(SpanFields(v.fields)),
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    fields.extend(f.0.iter().cloned());
                }
            }
        }
        let mut v = FieldVisitor::default();
        event.record(&mut v);
        fields.extend(v.fields);
        let meta = event.metadata();
        let line = self.format_line(
            meta.level(),
            meta.target(),
            v.message,
            fields,
            SystemTime::now(),
        );
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let _ = w.write_all(line.as_bytes());
        let _ = w.flush();
    }
}

/// A complete subscriber for a plugin process: hclog JSON lines on stderr for events at
/// `max_level` and more severe (go-plugin's default plugin logger uses trace). Install it with
/// `tracing::subscriber::set_global_default`.
pub fn hclog_subscriber(max_level: Level) -> impl Subscriber + Send + Sync + 'static {
    tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::from_level(
            max_level,
        ))
        .with(HclogLayer::stderr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_lines() {
        // The observed Go plugin line.
        let l = parse_stderr_line(
            r#"{"@level":"debug","@message":"plugin address","@timestamp":"2026-11-26T05:11:45.773853Z","address":"/tmp/plugin4222317626","network":"unix"}"#,
        );
        assert_eq!(l.level, LogLevel::Debug);
        assert_eq!(l.message, "plugin address");
        assert!(l.structured);
        assert_eq!(l.timestamp.as_deref(), Some("2026-11-26T05:11:45.773853Z"));
        assert_eq!(
            l.fields,
            vec![
                ("address".to_string(), json!("/tmp/plugin4222317626")),
                ("network".to_string(), json!("unix")),
            ]
        );
        assert_eq!(
            l.fields_text(),
            "address=/tmp/plugin4222317626 network=unix timestamp=2026-11-26T05:11:45.773853Z"
        );

        for (lvl, want) in [
            ("trace", LogLevel::Trace),
            ("debug", LogLevel::Debug),
            ("INFO", LogLevel::Info),
            (" warn ", LogLevel::Warn),
            ("Error", LogLevel::Error),
        ] {
            let l = parse_stderr_line(&format!(r#"{{"@level":"{lvl}","@message":"m"}}"#));
            assert_eq!(
                (l.level, l.structured, l.message.as_str()),
                (want, true, "m")
            );
        }

        let l = parse_stderr_line(
            r#"{"@level":"error","@message":"json err","@module":"sub","@timestamp":"2026-11-26T05:11:45.773853+01:00","key":"v","n":3,"s":"a b"}"#,
        );
        assert_eq!(l.level, LogLevel::Error);
        assert_eq!(
            l.fields_text(),
            "@module=sub key=v n=3 s=\"a b\" timestamp=2026-11-26T05:11:45.773853+01:00"
        );
    }

    #[test]
    fn json_fallbacks() {
        // Unknown / missing / "off" level → whole raw line at debug.
        for line in [
            r#"{"@level":"off","@message":"m"}"#,
            r#"{"@message":"m"}"#,
            r#"{"a":1}"#,
        ] {
            let l = parse_stderr_line(line);
            assert_eq!((l.level, l.structured), (LogLevel::Debug, false), "{line}");
            assert_eq!(l.message, line);
        }
        // Bad timestamp (5 or 7 fraction digits, no zone, bad day) → not JSON → prefix rules.
        for ts in [
            "2026-11-26T05:11:45.77385Z",
            "2026-11-26T05:11:45.7738531Z",
            "2026-11-26T05:11:45.773853",
            "2026-02-29T05:11:45.773853Z",
        ] {
            let line = format!(r#"{{"@level":"error","@message":"m","@timestamp":"{ts}"}}"#);
            let l = parse_stderr_line(&line);
            assert_eq!((l.level, l.structured), (LogLevel::Debug, false), "{ts}");
            assert_eq!(l.message, line);
        }
        // Non-string hclog keys (a Go host panics) → raw line.
        for line in [
            r#"{"@level":"error","@message":42}"#,
            r#"{"@level":["error"],"@message":"m"}"#,
            r#"{"@level":"error","@message":"m","@timestamp":1}"#,
        ] {
            let l = parse_stderr_line(line);
            assert_eq!((l.level, l.structured), (LogLevel::Debug, false), "{line}");
        }
        // Non-object JSON → raw line (prefix rules still apply).
        for line in ["[1,2]", "\"[ERROR] x\"", "null", "3"] {
            let l = parse_stderr_line(line);
            assert_eq!((l.level, l.structured), (LogLevel::Debug, false), "{line}");
        }
    }

    #[test]
    fn bracket_prefixes() {
        for (line, want) in [
            ("[TRACE] t", LogLevel::Trace),
            ("[DEBUG] d", LogLevel::Debug),
            ("[INFO] i", LogLevel::Info),
            ("[WARN] w", LogLevel::Warn),
            ("[ERROR] e", LogLevel::Error),
            ("[ERR] plugin: x", LogLevel::Debug),
            ("2026/11/26 05:10:15 [ERROR] x", LogLevel::Debug),
            ("[info] lower", LogLevel::Debug),
            ("plain", LogLevel::Debug),
            ("", LogLevel::Debug),
        ] {
            let l = parse_stderr_line(line);
            assert_eq!(l.level, want, "{line}");
            assert_eq!(l.message, line);
            assert!(l.fields.is_empty() && !l.structured);
        }
    }

    #[test]
    fn go_timestamp_rules() {
        // Each verdict checked against Go's time.Parse with the same layout.
        for (ts, ok) in [
            ("2026-11-26T05:11:45.773853Z", true),
            ("2026-11-26T5:11:45.773853Z", true),
            ("2026-11-26T05:11:45,773853Z", true),
            ("2026-11-26T05:11:45.+73853Z", true),
            ("2026-11-26T05:11:45.-00000Z", true),
            ("2024-02-29T05:11:45.773853+24:60", true),
            ("2024-02-29T05:11:45.773853-07:00", true),
            ("2026-11-26T05:11:45.7738531Z", false),
            ("2026-11-26T05:11:45.77385Z", false),
            ("2026-02-29T05:11:45.773853Z", false),
            ("2024-02-29T05:11:45.773853+25:00", false),
            ("2024-02-29T05:11:45.773853+01:00x", false),
            ("2024-02-29T24:11:45.773853Z", false),
            ("2024-02-29T05:11:60.773853Z", false),
            ("2024-02-29T05:11:45.773853", false),
            ("2024-13-01T05:11:45.773853Z", false),
            ("", false),
        ] {
            assert_eq!(is_hclog_timestamp(ts), ok, "{ts}");
        }
    }

    #[test]
    fn timestamp_format() {
        let t = UNIX_EPOCH + std::time::Duration::new(1_795_669_905, 773_853_999);
        assert_eq!(format_timestamp_utc(t), "2026-11-26T05:11:45.773853Z");
        assert_eq!(
            format_timestamp_utc(UNIX_EPOCH),
            "1970-01-01T00:00:00.000000Z"
        );
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(format_timestamp_utc(leap), "2000-02-29T00:00:00.000000Z");
        assert!(is_hclog_timestamp(&format_timestamp_utc(SystemTime::now())));
    }

    async fn read_all(data: &[u8], cap: usize) -> Vec<(Vec<u8>, bool)> {
        let mut r = LineReader::new(data, cap);
        let mut out = Vec::new();
        while let Some(x) = r.read_line().await.unwrap() {
            out.push(x);
        }
        out
    }

    #[tokio::test]
    async fn line_reader_like_bufio_readline() {
        let got = read_all(b"a\r\nb\n\nlast", 64).await;
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), false),
                (b"b".to_vec(), false),
                (b"".to_vec(), false),
                (b"last".to_vec(), false)
            ]
        );
        // 64 KiB fragmentation.
        let mut long = vec![b'x'; STDERR_BUFFER_SIZE * 2 + 10];
        long.push(b'\n');
        long.extend_from_slice(b"next\n");
        let got = read_all(&long, STDERR_BUFFER_SIZE).await;
        let shape: Vec<(usize, bool)> = got.iter().map(|(b, p)| (b.len(), *p)).collect();
        assert_eq!(
            shape,
            vec![
                (STDERR_BUFFER_SIZE, true),
                (STDERR_BUFFER_SIZE, true),
                (10, false),
                (4, false)
            ]
        );
        // "\r\n" straddling the buffer boundary: the '\r' is held back and stripped.
        let mut s = vec![b'y'; 7];
        s.extend_from_slice(b"\r\nz\n");
        let got = read_all(&s, 8).await;
        assert_eq!(
            got,
            vec![
                (b"yyyyyyy".to_vec(), true),
                (b"".to_vec(), false),
                (b"z".to_vec(), false)
            ]
        );
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn relay_fragments_sink_and_tail() {
        let sink = Buf::default();
        let tail = Arc::new(Mutex::new(StderrTail::default()));
        let mut data = b"[INFO] one\r\n".to_vec();
        data.extend(vec![b'q'; STDERR_BUFFER_SIZE + 5]);
        data.extend_from_slice(b"\n{\"@level\":\"warn\",\"@message\":\"w\"}\n");
        relay_stderr(
            &data[..],
            "p".into(),
            Some(Box::new(sink.clone())),
            Arc::downgrade(&tail),
        )
        .await;
        let mut want = b"[INFO] one\n".to_vec();
        want.extend(vec![b'q'; STDERR_BUFFER_SIZE + 5]);
        want.extend_from_slice(b"\n{\"@level\":\"warn\",\"@message\":\"w\"}\n");
        assert_eq!(*sink.0.lock().unwrap(), want);
        let t = tail.lock().unwrap().snapshot();
        assert_eq!(t.len(), 4);
        assert_eq!(t[0], "[INFO] one");
        assert_eq!(t[1], format!("{}…", "q".repeat(1024)));
        assert_eq!(t[2], "qqqqq");
        assert_eq!(t[3], r#"{"@level":"warn","@message":"w"}"#);
    }

    /// Found by the `hclog` fuzz target (its oracle, not a bug): an unterminated last line
    /// whose last fragment fills the buffer is a prefix (EOF is only seen by the next read),
    /// so no newline follows it in the sink — as with Go's `ReadLine` and `logStderr`. A
    /// shorter unterminated last line gets its newline.
    #[tokio::test]
    async fn relay_unterminated_last_fragment_like_go() {
        for (data, want) in [
            (&b"ab\nxxxxxxxx"[..], &b"ab\nxxxxxxxx"[..]),
            (&b"ab\nxxxxxxx"[..], &b"ab\nxxxxxxx\n"[..]),
            (&b"ab\r\nxx\r"[..], &b"ab\nxx\r\n"[..]),
        ] {
            let sink = Buf::default();
            let tail = Arc::new(Mutex::new(StderrTail::default()));
            relay_stderr_buffered(
                data,
                4,
                "p".into(),
                Some(Box::new(sink.clone())),
                Arc::downgrade(&tail),
            )
            .await;
            assert_eq!(*sink.0.lock().unwrap(), want, "{data:?}");
        }
    }

    fn ts_ok(v: &Value) -> bool {
        v.as_str().is_some_and(|s| {
            let b = s.as_bytes();
            // ^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$
            b.len() == 27
                && b.iter().enumerate().all(|(i, c)| match i {
                    4 | 7 => *c == b'-',
                    10 => *c == b'T',
                    13 | 16 => *c == b':',
                    19 => *c == b'.',
                    26 => *c == b'Z',
                    _ => c.is_ascii_digit(),
                })
                && is_hclog_timestamp(s)
        })
    }

    #[derive(Debug)]
    struct MyErr;
    impl fmt::Display for MyErr {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("boom <x>")
        }
    }
    impl std::error::Error for MyErr {}

    #[test]
    fn writer_output_parses_back() {
        let buf = Buf::default();
        let sub = tracing_subscriber::registry()
            .with(HclogLayer::with_writer(buf.clone()).module_from_target(true));
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("req", req_id = 7u64, path = "/x");
            let _g = span.enter();
            tracing::trace!(target: "my_plugin::store", count = 1i64, "plugin received interrupt signal, ignoring");
            let err = MyErr;
            tracing::error!(
                ratio = 0.5,
                big = 1e21,
                nan = f64::NAN,
                ok = true,
                dbg = ?vec![1, 2],
                error = &err as &(dyn std::error::Error + 'static),
                "@message" = 5,
                "@level" = 1,
                req_id = 8u64,
                "with <html> & \"quotes\"\n"
            );
            tracing::warn!(k = "v"); // no message at all
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(text.ends_with('\n'));
        let parsed: Vec<serde_json::Map<String, Value>> = lines
            .iter()
            .map(|l| match serde_json::from_str::<Value>(l).unwrap() {
                Value::Object(m) => m,
                other => panic!("not an object: {other}"),
            })
            .collect();
        for (line, obj) in lines.iter().zip(&parsed) {
            assert!(obj["@level"].is_string() && obj["@message"].is_string());
            assert!(ts_ok(&obj["@timestamp"]), "{line}");
            // keys sorted like Go's encoder
            let keys: Vec<&String> = obj.keys().collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted);
            // the host parser understands the writer
            assert!(parse_stderr_line(line).structured, "{line}");
        }
        let a = &parsed[0];
        assert_eq!(a["@level"], "trace");
        assert_eq!(a["@message"], "plugin received interrupt signal, ignoring");
        assert_eq!(a["@module"], "my_plugin::store");
        assert_eq!(a["count"], 1);
        assert_eq!(a["req_id"], 7);
        assert_eq!(a["path"], "/x");
        assert!(lines[0].starts_with(r#"{"@level":"trace","@message":"plugin received interrupt signal, ignoring","@module":"my_plugin::store","@timestamp":""#));

        let b = &parsed[1];
        assert_eq!(b["@level"], "error");
        assert_eq!(b["@message"], "with <html> & \"quotes\"\n");
        assert!(lines[1].contains(r#""@message":"with \u003chtml\u003e \u0026 \"quotes\"\n""#));
        assert_eq!(b["ratio"], 0.5);
        assert!(lines[1].contains(r#""big":1e+21"#));
        assert_eq!(b["nan"], "NaN");
        assert_eq!(b["ok"], true);
        assert_eq!(b["dbg"], "[1, 2]");
        assert_eq!(b["error"], "boom <x>");
        assert_eq!(b["req_id"], 8, "event field overrides span field");

        let c = &parsed[2];
        assert_eq!(c["@level"], "warn");
        assert_eq!(c["@message"], "");
        assert_eq!(c["k"], "v");
    }

    #[test]
    fn emit_relogs_at_level_with_fields() {
        let buf = Buf::default();
        let sub = tracing_subscriber::registry()
            .with(HclogLayer::with_writer(buf.clone()).module_from_target(true));
        tracing::subscriber::with_default(sub, || {
            parse_stderr_line(r#"{"@level":"warn","@message":"m","@timestamp":"2026-11-26T05:11:45.773853Z","k":"v w","n":3}"#)
                .emit("fake-dispatcher");
            parse_stderr_line("[ERROR] raw").emit("fake-dispatcher");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let v: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(v[0]["@level"], "warn");
        assert_eq!(v[0]["@message"], "m");
        assert_eq!(v[0]["@module"], STDERR_TARGET);
        assert_eq!(v[0]["plugin"], "fake-dispatcher");
        assert_eq!(
            v[0]["fields"],
            "k=\"v w\" n=3 timestamp=2026-11-26T05:11:45.773853Z"
        );
        assert_eq!(v[1]["@level"], "error");
        assert_eq!(v[1]["@message"], "[ERROR] raw");
        assert_eq!(v[1]["fields"], "");
    }
}
