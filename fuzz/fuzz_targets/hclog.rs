//! The host relaying a plugin's stderr: lines read like Go's `bufio.Reader.ReadLine` (the
//! first input byte picks the line buffer: 2–129 bytes, to reach the fragments of over-long
//! lines, or the real 64 KiB), copied raw to a sink, each classified as hclog JSON or a raw
//! line and re-logged as a `tracing` event (formatted by a fmt subscriber into nothing), the
//! last lines kept for error reports.
//!
//! Checks: no panic; the sink receives exactly the input with `\r\n` turned into `\n` and a
//! final `\n` added when missing (not after a last line that ended as a full-buffer fragment,
//! like Go); the kept tail is within its limits; the input as one line
//! classifies consistently (a raw line keeps the whole text and has no fields; a structured
//! one has its fields sorted without the `@message`/`@level`/`@timestamp` keys).
#![no_main]

use std::io::Write;
use std::sync::{Arc, Mutex, Once};

use libfuzzer_sys::fuzz_target;
use tilores_plugin::fuzzing::{relay_stderr, STDERR_BUFFER_SIZE, STDERR_TAIL_LIMITS};
use tilores_plugin::plugin::parse_stderr_line;

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::sink)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// What the sink must hold: every `\r\n` as `\n`, and a final `\n` when the input has none.
fn normalised(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 1);
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'\r' && input.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    if !input.is_empty() && input.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    out
}

fuzz_target!(|data: &[u8]| {
    init_tracing();
    let Some((&pick, stderr)) = data.split_first() else {
        return;
    };
    let buffer = if pick < 128 {
        2 + usize::from(pick)
    } else {
        STDERR_BUFFER_SIZE
    };
    let sink = Sink::default();
    let tail = relay_stderr(stderr, buffer, Some(Box::new(sink.clone())));
    // Input without a final newline: the relay adds one, except when the last line came as
    // buffer-sized fragments and its last fragment filled the buffer (Go's `ReadLine` marks
    // it as a prefix: EOF is only seen on the next read, and go-plugin's `logStderr` then
    // writes no newline either).
    let got = sink.0.lock().unwrap().clone();
    let want = normalised(stderr);
    let unterminated_fragment = stderr.last() != Some(&b'\n')
        && got.len() + 1 == want.len()
        && want.starts_with(&got)
        && stderr.len() - stderr.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) >= buffer - 1;
    assert!(got == want || unterminated_fragment);

    let (max_lines, max_line) = STDERR_TAIL_LIMITS;
    assert!(tail.len() <= max_lines);
    for line in &tail {
        assert!(line.len() <= max_line + '…'.len_utf8(), "{}", line.len());
    }

    if let Ok(text) = std::str::from_utf8(stderr) {
        let l = parse_stderr_line(text);
        if l.structured {
            assert!(l.fields.windows(2).all(|w| w[0].0 <= w[1].0));
            assert!(!l
                .fields
                .iter()
                .any(|(k, _)| matches!(k.as_str(), "@message" | "@level" | "@timestamp")));
        } else {
            assert_eq!(l.message, text);
            assert!(l.fields.is_empty() && l.timestamp.is_none());
        }
        let _ = l.fields_text();
        l.emit("fuzz");
    }
});
