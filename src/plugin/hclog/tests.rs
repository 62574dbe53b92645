use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tilores_plugin_test_support::{scoped_subscriber, SharedBytes};
use tracing_subscriber::layer::SubscriberExt;

use super::timestamp::format_timestamp_utc;
use super::*;

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

#[tokio::test]
async fn relay_fragments_sink_and_tail() {
    let sink = SharedBytes::default();
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
    assert_eq!(sink.bytes(), want);
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
        let sink = SharedBytes::default();
        let tail = Arc::new(Mutex::new(StderrTail::default()));
        relay_stderr_buffered(
            data,
            4,
            "p".into(),
            Some(Box::new(sink.clone())),
            Arc::downgrade(&tail),
        )
        .await;
        assert_eq!(sink.bytes(), want, "{data:?}");
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
    let buf = SharedBytes::default();
    let sub = tracing_subscriber::registry()
        .with(HclogLayer::with_writer(buf.clone()).module_from_target(true));
    {
        let _guard = scoped_subscriber(sub);
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
    }
    let text = String::from_utf8(buf.bytes()).unwrap();
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
    let buf = SharedBytes::default();
    let sub = tracing_subscriber::registry()
        .with(HclogLayer::with_writer(buf.clone()).module_from_target(true));
    {
        let _guard = scoped_subscriber(sub);
        parse_stderr_line(r#"{"@level":"warn","@message":"m","@timestamp":"2026-11-26T05:11:45.773853Z","k":"v w","n":3}"#)
            .emit("fake-dispatcher");
        parse_stderr_line("[ERROR] raw").emit("fake-dispatcher");
    }
    let text = String::from_utf8(buf.bytes()).unwrap();
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
