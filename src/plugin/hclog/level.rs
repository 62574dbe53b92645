//! The log model: go-plugin's five [`LogLevel`]s and one classified stderr line,
//! [`PluginLogLine`], re-logged as a `tracing` event.

use std::fmt::{self, Write as _};

use serde_json::Value;
use tracing::Level;

use super::STDERR_TARGET;

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

    pub(super) fn from_tracing(l: &Level) -> Self {
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
    pub(super) fn raw(line: &str, level: LogLevel) -> Self {
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
