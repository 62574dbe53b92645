//! Provider side: the `tracing` layer writing go-hclog JSON lines.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use gob::gotext;

use super::level::LogLevel;
use super::timestamp::format_timestamp_utc;

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
    /// the lines keep going there after [`serve`](crate::plugin::serve) redirects fd 2 to the
    /// host's stderr stream (as go-plugin's logger keeps the original `os.Stderr`).
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
