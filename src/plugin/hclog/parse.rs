//! Host side: classifying one plugin stderr line as go-plugin's `logStderr` does.

use serde_json::Value;

use super::level::{LogLevel, PluginLogLine};
use super::timestamp::is_hclog_timestamp;

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
