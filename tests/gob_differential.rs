//! The gob codec against Go, on random types and values and on mutated streams
//! (`go-interop/cmd/gobfuzz`).
//!
//! Go writes random streams (random Go types: structs, slices, arrays, maps, pointers, named
//! and recursive types, interfaces holding registered types, `time.Time`, marshalers; several
//! values per stream sharing types). This side decodes each stream into dynamic
//! [`gob::Value`]s exactly as `tilores-plugin gob decode` does and re-encodes them two ways:
//! straight from the values, and after the typed-JSON round trip of `gob decode | gob encode`.
//! Go then decodes both re-encodings into its own types and compares them with its decoding
//! of its own stream (floats bitwise), and compares the bytes wherever Go is deterministic
//! (no map of two or more entries).
//!
//! The mutation pass flips, inserts, deletes, truncates, inflates and reorders Go's streams
//! and compares the decisions: a stream Go decodes must decode here to the same values.
//!
//! CI runs a fixed seed range; a long run sets the range and sizes with `GOBFUZZ_SEED`,
//! `GOBFUZZ_STREAMS` and `GOBFUZZ_MUTANTS`, in chunks of 5,000 streams (the command is in
//! `gob/fuzz/README.md`).

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use tilores_plugin::gob::{self, json as gjson, Decoder, Encoder, Value};
use tilores_plugin_test_support as support;

/// One record of gobfuzz's container files: a JSON header and byte payloads.
struct Record {
    header: Json,
    payloads: Vec<Vec<u8>>,
}

fn read_u32(b: &[u8], at: &mut usize) -> u32 {
    let v = u32::from_le_bytes(b[*at..*at + 4].try_into().expect("4 bytes"));
    *at += 4;
    v
}

fn read_container(path: &Path) -> Vec<Record> {
    let mut b = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut b))
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut at = 0;
    let mut out = Vec::new();
    while at < b.len() {
        let hlen = read_u32(&b, &mut at) as usize;
        let header = serde_json::from_slice(&b[at..at + hlen]).expect("record header is JSON");
        at += hlen;
        let n = read_u32(&b, &mut at);
        let mut payloads = Vec::new();
        for _ in 0..n {
            let len = read_u32(&b, &mut at) as usize;
            payloads.push(b[at..at + len].to_vec());
            at += len;
        }
        out.push(Record { header, payloads });
    }
    out
}

fn write_record(out: &mut impl Write, header: &Json, payloads: &[&[u8]]) {
    let h = serde_json::to_vec(header).expect("header");
    out.write_all(&(h.len() as u32).to_le_bytes())
        .expect("write");
    out.write_all(&h).expect("write");
    out.write_all(&(payloads.len() as u32).to_le_bytes())
        .expect("write");
    for p in payloads {
        out.write_all(&(p.len() as u32).to_le_bytes())
            .expect("write");
        out.write_all(p).expect("write");
    }
}

/// Every value of a stream, as `tilores-plugin gob decode` reads it (Go's message cap, the
/// default depth limit unless `max_depth` raises it), at most `max_values` of them: the values
/// decoded and the error that stopped it, if any.
fn decode_stream(
    input: &[u8],
    max_depth: Option<usize>,
    max_values: usize,
) -> (Vec<Value>, Option<gob::Error>) {
    let mut limits = gob::Limits::default();
    limits.max_message = gob::GO_MAX_MESSAGE;
    if let Some(d) = max_depth {
        limits.max_depth = d;
    }
    let mut dec = Decoder::with_limits(limits);
    let mut values = Vec::new();
    for v in dec.iter::<Value>(input).take(max_values) {
        match v {
            Ok(v) => values.push(v),
            Err(e) => return (values, Some(e)),
        }
    }
    (values, None)
}

/// Go has no depth limit; ours ([`gob::Limits::max_depth`], 256) is a documented one. A stream
/// refused only for it is decoded again with the limit raised (this thread's stack holds it)
/// and checked like the others, so exactness is proven beyond the limit too.
const DEEP: usize = 1 << 16;

fn is_depth_limit(e: &gob::Error) -> bool {
    matches!(e.kind(), gob::ErrorKind::DepthLimitExceeded(_))
}

/// The values re-encoded as one stream.
fn encode_values(values: &[Value]) -> Result<Vec<u8>, String> {
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        enc.encode_into(v, &mut out)
            .map_err(|e| format!("value {i}: {e}"))?;
    }
    Ok(out)
}

/// `gob decode | gob encode`: each value to a typed-JSON line and back, then encoded. `deep`
/// parses without a nesting limit, for the values decoded past the default depth limit.
fn json_round_trip(values: &[Value], deep: bool) -> Result<Vec<u8>, String> {
    let mut writer = gjson::TypedJsonWriter::new();
    let lines: Vec<String> = values
        .iter()
        .map(|v| serde_json::to_string(&writer.document(v)).expect("JSON text"))
        .collect();
    let mut reader = gjson::TypedJsonReader::new();
    let mut back = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let doc = if deep {
            let mut de = serde_json::Deserializer::from_str(line);
            de.disable_recursion_limit();
            de.into_iter::<Json>()
                .next()
                .expect("one document")
                .map_err(|e| format!("value {i}: {e}"))?
        } else {
            gjson::parse_typed_json(line).map_err(|e| format!("value {i}: {e}"))?
        };
        back.push(reader.value(&doc).map_err(|e| format!("value {i}: {e}"))?);
    }
    encode_values(&back)
}

fn opt(e: Option<String>) -> Json {
    e.map(Json::String).unwrap_or(Json::Null)
}

/// Runs `work` on a thread with a stack for the deepest values (debug builds recurse in big
/// frames), failing the test with `what` and the record being processed if it hangs.
fn watched<T: Send + 'static>(
    what: &str,
    limit: Duration,
    work: impl FnOnce(Arc<AtomicU64>) -> T + Send + 'static,
) -> T {
    let current = Arc::new(AtomicU64::new(u64::MAX));
    let (tx, rx) = std::sync::mpsc::channel();
    let c = current.clone();
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let _ = tx.send(work(c));
        })
        .expect("spawn");
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(_) => panic!(
            "{what}: no result within {limit:?}; stuck at record {}",
            current.load(Ordering::Relaxed)
        ),
    }
}

fn gobfuzz(args: &[&str]) -> Json {
    let bin = support::go_bin("gobfuzz");
    let out = Command::new(&bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running gobfuzz {args:?}: {e}"));
    assert!(
        out.status.success(),
        "gobfuzz {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    if last.trim().is_empty() {
        return Json::Null;
    }
    serde_json::from_str(last).unwrap_or_else(|e| panic!("gobfuzz {args:?} printed {text}: {e}"))
}

/// Fails with the summary when any failure class is non-zero.
fn assert_clean(what: &str, summary: &Json) {
    let by_class = summary["failures_by_class"]
        .as_object()
        .cloned()
        .unwrap_or_else(|| panic!("{what}: gobfuzz printed no failures_by_class: {summary}"));
    let failing: Vec<_> = by_class
        .iter()
        .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
        .collect();
    assert!(
        failing.is_empty(),
        "{what}: failures {failing:?}\nfirst failures:\n{}",
        serde_json::to_string_pretty(&summary["failures"]).unwrap_or_default()
    );
}

#[test]
fn random_go_streams_and_their_mutants_decode_and_reencode_exactly() {
    let from = support::env_u64("GOBFUZZ_SEED", 1);
    let count = support::env_u64("GOBFUZZ_STREAMS", 1000);
    let per = support::env_u64("GOBFUZZ_MUTANTS", 10);
    // One directory per run (runs may overlap), removed when the run passes and kept when it
    // fails, so a failure can be replayed with `gobfuzz show -seed S` and the files there.
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("gobfuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("work dir");
    println!("gobfuzz work dir: {}", dir.display());
    let streams = dir.join("streams.bin");
    let rust = dir.join("rust.bin");
    let mutants = dir.join("mutants.bin");
    let rust_mutants = dir.join("rust-mutants.bin");
    let crashes = dir.join("go-crashed-mutants.bin");
    let s = |p: &Path| p.to_str().expect("utf-8 path").to_string();

    let t = Instant::now();
    gobfuzz(&[
        "gen",
        "-from",
        &from.to_string(),
        "-count",
        &count.to_string(),
        "-out",
        &s(&streams),
    ]);
    let gen_time = t.elapsed();

    // Rust: decode, re-encode from the values and through typed JSON.
    let t = Instant::now();
    let records = read_container(&streams);
    let out_path = rust.clone();
    let (processed, values, depth_limited) =
        watched("decoding Go's streams", Duration::from_secs(600), {
            move |current| {
                let mut out =
                    std::io::BufWriter::new(std::fs::File::create(&out_path).expect("create"));
                let (mut processed, mut values, mut depth_limited) = (0u64, 0usize, 0usize);
                for r in &records {
                    let seed = r.header["seed"].as_u64().unwrap_or(0);
                    current.store(seed, Ordering::Relaxed);
                    if r.header.get("skip").is_some_and(|s| !s.is_null()) || r.payloads.is_empty() {
                        write_record(&mut out, &json!({"seed": seed, "skip": true}), &[]);
                        continue;
                    }
                    let (mut vals, mut err) = decode_stream(&r.payloads[0], None, usize::MAX);
                    let deep = err.as_ref().is_some_and(is_depth_limit);
                    if deep {
                        depth_limited += 1;
                        (vals, err) = decode_stream(&r.payloads[0], Some(DEEP), usize::MAX);
                    }
                    let err = err.map(|e| e.to_string());
                    let (plain, plain_err) = match err {
                        None => match encode_values(&vals) {
                            Ok(b) => (b, None),
                            Err(e) => (Vec::new(), Some(e)),
                        },
                        Some(_) => (Vec::new(), None),
                    };
                    let (via_json, json_err) = match err {
                        None => match json_round_trip(&vals, deep) {
                            Ok(b) => (b, None),
                            Err(e) => (Vec::new(), Some(e)),
                        },
                        Some(_) => (Vec::new(), None),
                    };
                    values += vals.len();
                    processed += 1;
                    let header = json!({
                        "seed": seed,
                        "decode_error": opt(err),
                        "values": vals.len(),
                        "value_error": opt(plain_err),
                        "json_error": opt(json_err),
                    });
                    write_record(&mut out, &header, &[&plain, &via_json]);
                }
                out.flush().expect("flush");
                (processed, values, depth_limited)
            }
        });
    let rust_time = t.elapsed();

    let t = Instant::now();
    let summary = gobfuzz(&["check", "-streams", &s(&streams), "-rust", &s(&rust)]);
    let check_time = t.elapsed();
    println!(
        "gobfuzz streams {from}..{}: {processed} streams, {values} values decoded \
         ({depth_limited} past the default depth limit, checked with it raised); \
         gen {gen_time:.1?}, rust {rust_time:.1?}, check {check_time:.1?}\n{summary}",
        from + count
    );
    assert_eq!(
        summary["streams"].as_u64(),
        Some(count),
        "gobfuzz check read every stream"
    );
    let streams_summary = summary;
    let check_streams = |summary: &Json| {
        assert_clean("random streams", summary);
        let checked = summary["byte_checked"].as_u64().unwrap_or(0);
        assert!(
            checked > count / 4,
            "too few map-free streams were byte-checked: {summary}"
        );
        assert_eq!(summary["byte_exact"].as_u64(), Some(checked), "{summary}");
    };
    if per == 0 {
        check_streams(&streams_summary);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let t = Instant::now();
    gobfuzz(&[
        "mutate",
        "-streams",
        &s(&streams),
        "-per",
        &per.to_string(),
        "-out",
        &s(&mutants),
        "-crashes",
        &s(&crashes),
    ]);
    let mutate_time = t.elapsed();
    let t = Instant::now();
    let records = read_container(&mutants);
    let n_mutants = records.len();
    // The mutants Go's decoder crashed on (a stack overflow, say) have no Go verdict to
    // compare with, but this side must still end each with a value or an error.
    let crashed = if crashes.exists() {
        read_container(&crashes)
    } else {
        Vec::new()
    };
    let out_path = rust_mutants.clone();
    let go_crashed = watched(
        "decoding the mutants",
        Duration::from_secs(1200),
        move |current| {
            let mut out =
                std::io::BufWriter::new(std::fs::File::create(&out_path).expect("create"));
            for (i, r) in records.iter().enumerate() {
                current.store(i as u64, Ordering::Relaxed);
                // Go decodes as many values as the original stream holds; so does this side.
                let input = r.payloads.first().map_or(&[][..], |p| p);
                let n = r.header["values"].as_u64().unwrap_or(u64::MAX) as usize;
                let (mut vals, mut err) = decode_stream(input, None, n);
                if err.as_ref().is_some_and(is_depth_limit) {
                    (vals, err) = decode_stream(input, Some(DEEP), n);
                }
                let err = err.map(|e| e.to_string());
                let (bytes, enc_err) = match encode_values(&vals) {
                    Ok(b) => (b, None),
                    Err(e) => (Vec::new(), Some(e)),
                };
                let header = json!({
                    "seed": r.header["seed"],
                    "mutant": r.header["mutant"],
                    "rust_values": vals.len(),
                    "rust_error": opt(err),
                    "encode_error": opt(enc_err),
                });
                write_record(&mut out, &header, &[&bytes]);
            }
            out.flush().expect("flush");
            for (i, r) in crashed.iter().enumerate() {
                current.store((records.len() + i) as u64, Ordering::Relaxed);
                let input = r.payloads.first().map_or(&[][..], |p| p);
                let (_, err) = decode_stream(input, None, usize::MAX);
                if err.as_ref().is_some_and(is_depth_limit) {
                    let _ = decode_stream(input, Some(DEEP), usize::MAX);
                }
            }
            crashed.len()
        },
    );
    let rust_time = t.elapsed();
    let t = Instant::now();
    let summary = gobfuzz(&[
        "check-mutants",
        "-mutants",
        &s(&mutants),
        "-rust",
        &s(&rust_mutants),
    ]);
    println!(
        "gobfuzz mutants: {n_mutants} mutants (and {go_crashed} that crashed Go, decoded here \
         without a crash); mutate {mutate_time:.1?}, rust {rust_time:.1?}, check {:.1?}\n{summary}",
        t.elapsed()
    );
    check_streams(&streams_summary);
    assert!(n_mutants > 0, "gobfuzz mutate wrote no mutants");
    assert_eq!(
        summary["mutants"].as_u64(),
        Some(n_mutants as u64),
        "gobfuzz check-mutants read every mutant"
    );
    assert!(
        summary["checked_values"].as_u64().unwrap_or(0) > 0,
        "no mutant value was compared: {summary}"
    );
    assert_clean("mutated streams", &summary);
    let _ = std::fs::remove_dir_all(&dir);
}
