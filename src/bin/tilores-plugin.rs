//! `tilores-plugin`: command-line tools.
//!
//! - `tilores-plugin gob decode`: reads a gob stream on stdin, prints one typed-JSON document
//!   per top-level value (see `gob::json`), Go's types kept.
//! - `tilores-plugin gob encode`: reads typed-JSON documents (one per line) on stdin and writes
//!   the gob stream to stdout.
//!
//! Malformed input exits non-zero with a message on stderr that says what and where.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use tilores_plugin::gob::{self, json as gjson, Decoder, Encoder, Step, Value};

const USAGE: &str = "usage:
  tilores-plugin gob decode   < stream.gob   > values.jsonl
  tilores-plugin gob encode   < values.jsonl > stream.gob";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gob", "decode"] => gob_decode(),
        ["gob", "encode"] => gob_encode(),
        ["-h"] | ["--help"] | ["help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown command {:?}\n{USAGE}", args.join(" "))),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tilores-plugin: {e}");
            ExitCode::FAILURE
        }
    }
}

fn gob_decode() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let mut dec = Decoder::with_limits(gob::Limits {
        max_message: gob::GO_MAX_MESSAGE,
        ..gob::Limits::default()
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut offset = 0usize;
    let mut index = 0usize;
    loop {
        match dec.decode_next::<Value>(&input[offset..], true) {
            Ok(Step::Value(v, used)) => {
                let line = serde_json::to_string(&gjson::to_typed_json(&v))
                    .map_err(|e| format!("value {index}: {e}"))?;
                writeln!(out, "{line}").map_err(|e| format!("writing stdout: {e}"))?;
                offset += used;
                index += 1;
            }
            Ok(Step::End(_)) => break,
            Err(e) => {
                let at = e.offset().map(|o| o + offset).unwrap_or(offset);
                return Err(format!(
                    "malformed gob stream: value {index} (starting at byte {offset}), error at byte {at}: {e}"
                ));
            }
        }
    }
    out.flush().map_err(|e| format!("writing stdout: {e}"))
}

fn gob_encode() -> Result<(), String> {
    let stdin = std::io::stdin();
    let mut enc = Encoder::new();
    let mut buf = Vec::new();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let doc: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| format!("line {}: invalid JSON: {e}", n + 1))?;
        let v = gjson::from_typed_json(&doc).map_err(|e| format!("line {}: {e}", n + 1))?;
        enc.encode_into(&v, &mut buf)
            .map_err(|e| format!("line {}: cannot encode: {e}", n + 1))?;
    }
    std::io::stdout()
        .write_all(&buf)
        .and_then(|_| std::io::stdout().flush())
        .map_err(|e| format!("writing stdout: {e}"))
}
