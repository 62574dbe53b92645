//! Dispatcher-shaped payload benchmark: this crate against Go's `encoding/gob` (and the
//! crates.io crate `gobwire`) on the very same value and bytes, in one run.
//!
//! `cargo bench -p tilores-plugin-bench --bench payload` (builds the Go peers with
//! go-interop/build.sh on first use: needs Go).
//!
//! Go writes the payload (`gobbench write`: an `EntityOutput` with 100 records, each a
//! `map[string]interface{}` of 10 fields: strings, float64s, bools, a nested map, a list and a
//! `time.Time`) and times itself on it (`gobbench run -file`). Rust decodes Go's stream into
//! the same typed shape, then times, in steady state as net/rpc runs (one encoder/decoder per
//! stream, definitions already exchanged): encoding that value, and decoding the message Go's
//! encoder writes for it (`FILE.next`). Medians of `GOB_BENCH_REPS` (5) runs of
//! `GOB_BENCH_ITERS` (1000) operations. The typed shape holds a record's map as
//! `HashMap<GoStr, Interface>` (the target's row) and, in a second row, as the dispatcher's
//! ordered `BTreeMap<GoStr, Interface>`; the dynamic row decodes into `gob::Value`.
//!
//! `GOB_BENCH_ROUNDS` (3): interleaved rounds. `GOB_BENCH_JSONL=PATH`: also append one JSON line
//! per implementation and round (`{"row","round","encode_us","decode_us"}`; `bash bench/run`
//! uses it to report the gob targets with every table).
//!
//! Diagnostics: `GOB_BENCH_PROFILE=1` times only this crate's typed path, encode and decode
//! (`=decode`: decode only; `=encode`: encode only; `=ordered`: the `BTreeMap` one), for a profiler, and prints its
//! figures; `GOB_BENCH_CLOCK=cpu` times by the thread's CPU time instead of the wall clock
//! (A/B runs on a busy machine); `GOB_BENCH_FLOOR=1` times cloning and dropping the decoded value (the allocation
//! floor any decoder producing this value pays).
use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// This crate's typed payload, with `$map` as the Go `map[string]interface{}` of a record.
macro_rules! payload_types {
    ($module:ident, $map:ty) => {
        mod $module {
            use std::collections::HashMap;

            use gob::{Gob, Interface};

            #[derive(Gob, Debug, Default, Clone, PartialEq)]
            #[gob(go_type = "main.EntityOutput")]
            pub struct EntityOutput {
                pub entity: Option<Box<Entity>>,
            }

            impl EntityOutput {
                pub fn records(&self) -> usize {
                    self.entity.as_ref().map_or(0, |e| e.records.len())
                }
            }

            #[derive(Gob, Debug, Default, Clone, PartialEq)]
            #[gob(go_type = "main.Entity")]
            pub struct Entity {
                #[gob(name = "ID")]
                pub id: String,
                pub records: Vec<Box<Record>>,
                pub edges: Edges,
                pub duplicates: Duplicates,
                pub hits: Hits,
            }

            #[derive(Gob, Debug, Default, Clone, PartialEq)]
            #[gob(go_type = "main.Edges")]
            pub struct Edges(pub Vec<String>);

            #[derive(Gob, Debug, Default, Clone, PartialEq)]
            #[gob(go_type = "main.Duplicates")]
            pub struct Duplicates(pub HashMap<String, Vec<String>>);

            #[derive(Gob, Debug, Default, Clone, PartialEq)]
            #[gob(go_type = "main.Hits")]
            pub struct Hits(pub HashMap<String, Vec<String>>);

            #[derive(Gob, Debug, Default, Clone, PartialEq)]
            #[gob(go_type = "main.Record")]
            pub struct Record {
                #[gob(name = "ID")]
                pub id: String,
                pub data: $map,
            }
        }
    };
}

// A Go map as a hash map, the natural twin; and as the dispatcher's `InterfaceMap` (ordered
// like Go's JSON output), which costs a sort per record.
payload_types!(ours, HashMap<gob::GoStr, Interface>);
payload_types!(ours_ordered, std::collections::BTreeMap<gob::GoStr, Interface>);

mod theirs {
    use std::collections::HashMap;

    use gobwire::{Gob, Interface};

    #[derive(Gob, Debug, Default, Clone, PartialEq)]
    #[gob(name = "EntityOutput")]
    pub struct EntityOutput {
        #[gob(name = "Entity")]
        pub entity: Option<Box<Entity>>,
    }

    #[derive(Gob, Debug, Default, Clone, PartialEq)]
    #[gob(name = "Entity")]
    pub struct Entity {
        #[gob(name = "ID")]
        pub id: String,
        #[gob(name = "Records")]
        pub records: Vec<Record>,
        #[gob(name = "Edges")]
        pub edges: Vec<String>,
        #[gob(name = "Duplicates")]
        pub duplicates: HashMap<String, Vec<String>>,
        #[gob(name = "Hits")]
        pub hits: HashMap<String, Vec<String>>,
    }

    #[derive(Gob, Debug, Default, Clone, PartialEq)]
    #[gob(name = "Record")]
    pub struct Record {
        #[gob(name = "ID")]
        pub id: String,
        #[gob(name = "Data")]
        pub data: HashMap<String, Option<Interface>>,
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Median ns per operation of `reps` timed loops of `iters` calls.
fn time(reps: usize, iters: usize, mut op: impl FnMut()) -> f64 {
    let on_cpu = std::env::var("GOB_BENCH_CLOCK").is_ok_and(|c| c == "cpu");
    let runs = (0..reps)
        .map(|_| {
            let start = Instant::now();
            let cpu_start = if on_cpu { thread_cpu_ns() } else { 0 };
            for _ in 0..iters {
                op();
            }
            let ns = if on_cpu {
                (thread_cpu_ns() - cpu_start) as f64
            } else {
                start.elapsed().as_nanos() as f64
            };
            ns / iters as f64
        })
        .collect();
    median(runs)
}

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`, first field):
/// `GOB_BENCH_CLOCK=cpu` times with it, for A/B runs on a machine that is not quiet (time
/// spent waiting for a core is left out; cache effects of the other load are not).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat")
}

struct Row {
    name: &'static str,
    enc_ns: f64,
    dec_ns: f64,
    bytes: f64,
}

/// Where `go_checks` finds Go: the `gobbench` binary and the directory of Go's payload.
static GO: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();

/// The encoding being timed must be right: Go decodes `ours` (a fresh stream: definitions and
/// the value) to the value it decodes from its own stream `go`, and the content is as long as
/// Go's, within the variation of Go's own encodings (map order).
fn go_checks(name: &str, ours: &[u8], go: &[u8]) {
    let (bin, dir) = GO.get().expect("gobbench located");
    let file = dir.join(format!(
        "{}.gob",
        name.replace(|c: char| !c.is_alphanumeric(), "_")
    ));
    std::fs::write(&file, ours).expect("write encoding");
    let out = Command::new(bin)
        .args(["check", "-file"])
        .arg(&file)
        .arg("-want")
        .arg(dir.join("payload.gob"))
        .output()
        .expect("gobbench check");
    assert!(
        out.status.success(),
        "{name}: Go rejects the encoding: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (framed_body_len(ours), framed_body_len(go));
    assert!(
        a.abs_diff(b) <= MAP_ORDER_SLACK,
        "{name}: the encoding's content is {a} bytes, Go's {b} ({})",
        file.display()
    );
}

/// How much the content of Go's own encodings of the payload varies from run to run: map
/// order moves the point where an interface value first needs a type definition, and with it
/// where Go splits the value (measured: 54,684 or 54,685 bytes, in 11 or 12 messages).
const MAP_ORDER_SLACK: usize = 2;

/// The length of a stream without its message length prefixes (whose widths follow the split
/// points, see `MAP_ORDER_SLACK`).
fn framed_body_len(stream: &[u8]) -> usize {
    let mut r = gob::wire::Reader::new(stream, true, u64::MAX);
    let mut total = 0;
    while r.next_message().expect("well-framed stream") {
        total += r.remaining();
        r.finish_message();
    }
    total
}

/// Go's figures: `gobbench run` once with `GOMAXPROCS=1` and once with Go's default; each
/// measure (encode, decode) is the faster of the two (issue 18: ratios against the faster Go).
fn go_bench(bin: &Path, file: &Path, iters: usize) -> Row {
    let run = |gomaxprocs: Option<&str>| {
        let mut cmd = Command::new(bin);
        cmd.args(["run", "-iters", &iters.to_string(), "-file"])
            .arg(file);
        match gomaxprocs {
            Some(n) => cmd.env("GOMAXPROCS", n),
            None => cmd.env_remove("GOMAXPROCS"),
        };
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
        assert!(
            out.status.success(),
            "gobbench run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("gobbench JSON");
        let f = |k: &str| j[k].as_f64().unwrap_or_else(|| panic!("gobbench: no {k}"));
        (
            f("encode_ns_per_op"),
            f("decode_ns_per_op"),
            f("bytes_per_op"),
        )
    };
    let (e1, d1, bytes) = run(Some("1"));
    let (ed, dd, _) = run(None);
    Row {
        name: "Go encoding/gob",
        enc_ns: e1.min(ed),
        dec_ns: d1.min(dd),
        bytes,
    }
}

/// This crate's typed path on `T` (the payload's `EntityOutput`); `records` counts its records.
fn ours_bench<T: gob::Decode + gob::Encode + std::fmt::Debug>(
    name: &'static str,
    records: fn(&T) -> usize,
    first: &[u8],
    next: &[u8],
    reps: usize,
    iters: usize,
) -> Row {
    let _ = gob::register::<gob::GoTime>();
    let v: T = match gob::Decoder::new().decode_next(first, true) {
        Ok(gob::Step::Value { value: v, .. }) => v,
        other => panic!("tilores-gob cannot decode Go's payload: {other:?}"),
    };
    assert_eq!(records(&v), 100, "payload has 100 records");
    let mut enc = gob::Encoder::new();
    let mut buf = Vec::new();
    enc.encode_into(&v, &mut buf).expect("encode");
    go_checks(name, &buf, first);
    buf.clear();
    enc.encode_into(&v, &mut buf).expect("encode");
    assert!(
        framed_body_len(&buf).abs_diff(framed_body_len(next)) <= MAP_ORDER_SLACK,
        "{name}: the steady-state message differs in length from Go's"
    );
    let bytes = buf.len() as f64;
    let profile = std::env::var("GOB_BENCH_PROFILE").unwrap_or_default();
    let profile_decode = profile == "decode";
    let enc_ns = time(if profile_decode { 0 } else { reps }, iters, || {
        buf.clear();
        enc.encode_into(black_box(&v), &mut buf).expect("encode");
        black_box(&buf);
    });
    let mut dec = gob::Decoder::new();
    dec.decode_next::<T>(first, true).expect("warm-up");
    let dec_ns = time(
        if profile == "encode" { 0 } else { reps },
        iters,
        || match dec.decode_next::<T>(black_box(next), true) {
            Ok(gob::Step::Value { value: v, .. }) => {
                black_box(v);
            }
            other => panic!("steady-state decode: {other:?}"),
        },
    );
    Row {
        name,
        enc_ns,
        dec_ns,
        bytes,
    }
}

fn typed(first: &[u8], next: &[u8], reps: usize, iters: usize) -> Row {
    let records: fn(&ours::EntityOutput) -> usize = ours::EntityOutput::records;
    ours_bench(TYPED, records, first, next, reps, iters)
}

fn typed_ordered(first: &[u8], next: &[u8], reps: usize, iters: usize) -> Row {
    let records: fn(&ours_ordered::EntityOutput) -> usize = ours_ordered::EntityOutput::records;
    ours_bench(
        "tilores-gob (typed, BTreeMap)",
        records,
        first,
        next,
        reps,
        iters,
    )
}

/// The row the target is read from.
const TYPED: &str = "tilores-gob (typed)";

/// The records of the payload decoded as a dynamic value (`Entity` is a flattened pointer).
fn value_records(v: &gob::Value) -> usize {
    match v.field("Entity").and_then(|e| e.field("Records")) {
        Some(gob::Value::Slice(c)) => c.items.len(),
        _ => 0,
    }
}

fn ours_dynamic_bench(first: &[u8], next: &[u8], reps: usize, iters: usize) -> Row {
    ours_bench(
        "tilores-gob (dynamic Value)",
        value_records,
        first,
        next,
        reps,
        iters,
    )
}

/// Feeds every message of `bytes` to a gobwire decoder; returns the value when one completes.
fn gobwire_feed(dec: &mut gobwire::Decoder, mut bytes: &[u8]) -> Option<theirs::EntityOutput> {
    while !bytes.is_empty() {
        let (width, n) = gobwire::parse_length_prefix(bytes).ok()??;
        let body = &bytes[width..width + n];
        bytes = &bytes[width + n..];
        if dec.push_message(body).expect("gobwire push") == gobwire::Progress::Ready {
            return Some(dec.decode().expect("gobwire decode"));
        }
    }
    None
}

fn gobwire_bench(first: &[u8], next: &[u8], reps: usize, iters: usize) -> Row {
    let v =
        gobwire_feed(&mut gobwire::Decoder::new(), first).expect("gobwire decodes Go's payload");
    assert_eq!(v.entity.as_ref().map_or(0, |e| e.records.len()), 100);
    let mut enc = gobwire::Encoder::new();
    let mut buf = Vec::new();
    enc.encode_into(&v, &mut buf).expect("encode");
    buf.clear();
    enc.encode_into(&v, &mut buf).expect("encode");
    let bytes = buf.len() as f64;
    let enc_ns = time(reps, iters, || {
        buf.clear();
        enc.encode_into(black_box(&v), &mut buf).expect("encode");
        black_box(&buf);
    });
    let mut dec = gobwire::Decoder::new();
    gobwire_feed(&mut dec, first).expect("warm-up");
    let dec_ns = time(reps, iters, || {
        black_box(gobwire_feed(&mut dec, black_box(next)).expect("steady-state decode"));
    });
    Row {
        name: "gobwire 0.1 (typed)",
        enc_ns,
        dec_ns,
        bytes,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run passes nothing and
    // should not spend a minute here.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "payload benchmark: run with `cargo bench -p tilores-plugin-bench --bench payload`"
        );
        return;
    }
    // Built (with the other Go peers) on first use; a missing Go toolchain fails loudly.
    let bin = tilores_plugin_test_support::go_bin("gobbench");
    let iters = env_usize("GOB_BENCH_ITERS", 1000);
    let reps = env_usize("GOB_BENCH_REPS", 5);
    let dir = tilores_plugin_test_support::TempDir::new("tilores-gob-bench");
    let file = dir.path().join("payload.gob");
    let st = Command::new(&bin)
        .args(["write", "-out"])
        .arg(&file)
        .status()
        .expect("gobbench write");
    assert!(st.success(), "gobbench write failed");
    let first = std::fs::read(&file).expect("payload");
    let _ = GO.set((bin.clone(), dir.path().to_path_buf()));
    let next = std::fs::read(dir.path().join("payload.gob.next")).expect("payload.next");

    if std::env::var_os("GOB_BENCH_FLOOR").is_some() {
        // The allocation floor of the decoded value: cloning and dropping it.
        let _ = gob::register::<gob::GoTime>();
        let v: ours::EntityOutput = match gob::Decoder::new().decode_next(&first, true) {
            Ok(gob::Step::Value { value: v, .. }) => v,
            other => panic!("{other:?}"),
        };
        let ns = time(reps, iters, || {
            black_box(black_box(&v).clone());
        });
        println!("clone+drop of the decoded EntityOutput: {ns:.0} ns");
        return;
    }
    if std::env::var_os("GOB_BENCH_PROFILE").is_some() {
        // Only this crate's typed steady-state decode and encode, for a profiler.
        let row = if std::env::var("GOB_BENCH_PROFILE").is_ok_and(|p| p == "ordered") {
            typed_ordered(&first, &next, reps, iters)
        } else {
            typed(&first, &next, reps, iters)
        };
        if row.enc_ns.is_nan() {
            println!("{}: decode {:.0} ns/op", row.name, row.dec_ns);
        } else {
            println!(
                "{}: encode {:.0} ns/op, decode {:.0} ns/op",
                row.name, row.enc_ns, row.dec_ns
            );
        }
        return;
    }
    // Rounds interleave the implementations (Go, then each Rust column), so load that comes
    // and goes on a shared machine hits all of them alike; every figure is the median over
    // the rounds, ratios are medians of the per-round ratios.
    let rounds = env_usize("GOB_BENCH_ROUNDS", 3).max(1);
    let mut all: Vec<Vec<Row>> = Vec::new();
    for _ in 0..rounds {
        all.push(vec![
            go_bench(&bin, &file, iters),
            typed(&first, &next, reps, iters),
            typed_ordered(&first, &next, reps, iters),
            ours_dynamic_bench(&first, &next, reps, iters),
            gobwire_bench(&first, &next, reps, iters),
        ]);
    }
    drop(dir);
    if let Some(path) = std::env::var_os("GOB_BENCH_JSONL") {
        let mut text = String::new();
        for (round, rows) in all.iter().enumerate() {
            for r in rows {
                let line = serde_json::json!({"row": r.name, "round": round + 1,
                    "encode_us": r.enc_ns / 1e3, "decode_us": r.dec_ns / 1e3});
                text.push_str(&format!("{line}\n"));
            }
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("GOB_BENCH_JSONL file");
        std::io::Write::write_all(&mut f, text.as_bytes()).expect("GOB_BENCH_JSONL write");
    }

    let go_bytes = all[0][0].bytes;
    println!(
        "payload: EntityOutput, 100 records x 10 mixed interface fields; steady-state value message {go_bytes} bytes (Go's); medians of {rounds} interleaved rounds, each the median of {reps} x {iters} ops"
    );
    println!(
        "Go: {}, each measure the faster of GOMAXPROCS=1 and default; GOGC={}; GODEBUG={}",
        Command::new("go")
            .arg("version")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .unwrap_or_default()
            .trim(),
        std::env::var("GOGC").unwrap_or_else(|_| "default (100)".into()),
        std::env::var("GODEBUG").unwrap_or_else(|_| "unset".into()),
    );
    println!(
        "| {:<27} | {:>12} | {:>9} | {:>7} | {:>12} | {:>9} | {:>7} |",
        "implementation",
        "encode ns/op",
        "enc MB/s",
        "enc xGo",
        "decode ns/op",
        "dec MB/s",
        "dec xGo"
    );
    println!("|{}|", ["---"; 7].join("|"));
    let mut ratios: HashMap<&str, (f64, f64)> = HashMap::new();
    for col in 0..all[0].len() {
        let name = all[0][col].name;
        let pick = |f: &dyn Fn(&[Row]) -> f64| median(all.iter().map(|r| f(r)).collect());
        let enc_ns = pick(&|r| r[col].enc_ns);
        let dec_ns = pick(&|r| r[col].dec_ns);
        // Encoded sizes differ by a few bytes (map order, Rust's []Record element name).
        let enc_mbps = pick(&|r| r[col].bytes / r[col].enc_ns * 1e3);
        let dec_mbps = go_bytes / dec_ns * 1e3;
        let enc_x = pick(&|r| r[0].enc_ns / r[col].enc_ns);
        let dec_x = pick(&|r| r[0].dec_ns / r[col].dec_ns);
        println!(
            "| {name:<27} | {enc_ns:>12.0} | {enc_mbps:>9.1} | {enc_x:>6.2}x | {dec_ns:>12.0} | {dec_mbps:>9.1} | {dec_x:>6.2}x |"
        );
        ratios.insert(name, (enc_x, dec_x));
    }
    let (e, d) = ratios[TYPED];
    println!(
        "targets (issue 18, tilores-gob typed vs Go): encode {:.2}x {} (>= 8x), decode {:.2}x {} (>= 5x)",
        e,
        if e >= 8.0 { "met" } else { "MISSED" },
        d,
        if d >= 5.0 { "met" } else { "MISSED" }
    );
}
