//! Typed decoding against Go's on random remote values (`go-interop/cmd/gobtyped`).
//!
//! For each seed, Go builds one random remote value (random struct shapes through
//! `reflect.StructOf` with field names drawn from the local types' names, random values with
//! integers and floats at the edges of every width, pointers, slices, arrays, maps,
//! `interface{}`, `time.Time`), encodes it, and decodes the stream into every type of a fixed
//! local catalog, recording the value or the error. Here the same bytes are decoded into the
//! Rust twins of that catalog: where Go fails, Rust must fail with an error of the same class
//! (out of range, wrong type, no fields matched, ...); where Go decodes, Rust must decode the
//! same value (rendered as testdata/gob/manifest.json renders values).
//!
//! CI runs `TYPED_COUNT` (default 400) seeds from `TYPED_SEED` (default 1). A soak:
//! `TYPED_SEED=1000000 TYPED_COUNT=200000 cargo test -p tilores-gob --features json --release
//! --test typed_random`.

#[macro_use]
mod typed_common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use gob::{Decode, Decoder, Encode, GoTime, Gob, Interface, Step};
use serde_json::Value as Json;
use tilores_plugin_test_support as support;
use typed_common::{render, same, same_class, C128, C64};

// The catalog of go-interop/cmd/gobtyped/main.go.
go_struct!(Inner, "main.Inner" { A: i64, B: String, C: Vec<i64> });
go_struct!(Ints, "main.Ints" {
    I8: i8, I16: i16, I32: i32, I64: i64, I: isize,
    U8: u8, U16: u16, U32: u32, U64: u64, U: usize, Up: usize,
});
go_struct!(Scalars, "main.Scalars" {
    F32: f32, F64: f64, C64: C64, C128: C128, S: String, Bs: Vec<u8>, B: bool, I8: i8, A: i64,
});
go_struct!(Composite, "main.Composite" {
    Ints: Vec<i64>,
    I16s: Vec<i16>,
    Strs: Vec<String>,
    Arr: [i64; 3],
    Arr8: [u8; 2],
    M: HashMap<String, i64>,
    MI: HashMap<i8, String>,
    In: Inner,
    PIn: Option<Inner>,
    Ins: Vec<Inner>,
    PI: Option<i64>,
    PPS: Option<Box<Option<String>>>,
    Any: Interface,
    T: GoTime,
    Nest: HashMap<String, Vec<Inner>>,
    A: i64,
});
go_struct!(Small, "main.Small" {
    A: String, B: Vec<i64>, In: Option<Inner>, T: Option<GoTime>, Any: Interface,
});
go_struct!(EmptyT, "main.Empty" {});
go_struct!(Other, "main.Other" { Zed: i64 });

/// Decodes a whole one-value stream into the twin of a catalog target.
type Target = fn(&[u8]) -> gob::Result<Json>;

fn typed<T: Decode + Encode>(stream: &[u8]) -> gob::Result<Json> {
    match Decoder::new().decode_next::<T>(stream, true)? {
        Step::Value { value, .. } => Ok(render(&value)),
        Step::NeedMore | Step::End { .. } => panic!("a one-value stream gave no value"),
    }
}

fn target(name: &str) -> Target {
    match name {
        "Inner" => typed::<Inner>,
        "Ints" => typed::<Ints>,
        "Scalars" => typed::<Scalars>,
        "Composite" => typed::<Composite>,
        "Small" => typed::<Small>,
        "Empty" => typed::<EmptyT>,
        "Other" => typed::<Other>,
        "int8" => typed::<i8>,
        "int64" => typed::<i64>,
        "uint16" => typed::<u16>,
        "uint64" => typed::<u64>,
        "float32" => typed::<f32>,
        "float64" => typed::<f64>,
        "complex64" => typed::<C64>,
        "string" => typed::<String>,
        "bool" => typed::<bool>,
        "bytes" => typed::<Vec<u8>>,
        "[]int8" => typed::<Vec<i8>>,
        "[]int" => typed::<Vec<i64>>,
        "[3]int" => typed::<[i64; 3]>,
        "[2]uint8" => typed::<[u8; 2]>,
        "map[string]int" => typed::<HashMap<String, i64>>,
        "map[int8]string" => typed::<HashMap<i8, String>>,
        "map[string]Inner" => typed::<HashMap<String, Inner>>,
        "[]Inner" => typed::<Vec<Inner>>,
        "interface" => typed::<Interface>,
        "map[string]interface" => typed::<HashMap<String, Interface>>,
        "[]interface" => typed::<Vec<Interface>>,
        "time" => typed::<GoTime>,
        other => panic!("gobtyped target {other:?} has no Rust twin"),
    }
}

const SKIPS_IFACE: usize = 0;
const REUSES_OP: usize = 1;

/// Whether gobtyped found Go quirk `q` behind a destination's result on a valid stream.
fn has_quirk(result: &Json, case: &Json, q: &str) -> bool {
    case["self_ok"] == true
        && result["quirks"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == q))
}

/// The Go quirk a result is counted under: an interface value skipped (Go's skip bugs,
/// gob-conformance.md §1.8), else a local type's decoding operation reused for a second wire
/// type (decOpFor's in-progress map is keyed by the local type alone).
fn quirk(result: &Json, case: &Json) -> Option<usize> {
    if has_quirk(result, case, "skips_iface") {
        Some(SKIPS_IFACE)
    } else if reuses_op(result, case) {
        Some(REUSES_OP)
    } else {
        None
    }
}

/// Whether Go decoded through a reused operation (see [`quirk`]).
fn reuses_op(result: &Json, case: &Json) -> bool {
    has_quirk(result, case, "reuses_op")
}

/// Whether a Go decode error is about the destination type (what Go's `compileDec`,
/// `compatibleType`, `decodeValue` and its range checks say), not about the stream.
fn destination_error(go: &str) -> bool {
    [
        "wrong type",
        "decoding into local type",
        "type mismatch",
        "\" out of range", // `value for "F" out of range`, not "encoded unsigned integer"
        "no fields matched",
        "can only be decoded from remote interface type",
    ]
    .iter()
    .any(|s| go.contains(s))
}

/// A rendering without the struct fields that hold an empty map. Go omits a nil map field
/// and sends an empty one; a Rust map has no nil, so a twin re-sends the empty map Go's nil
/// decodes to. (Decoding is not what differs: both hold no entries.)
fn no_empty_maps(j: &Json) -> Json {
    match j {
        Json::Object(m) => {
            let is_struct = !["map", "bytes", "marshaled", "hex", "name"]
                .iter()
                .any(|k| m.contains_key(*k));
            Json::Object(
                m.iter()
                    .filter(|(_, v)| !(is_struct && **v == serde_json::json!({"map": []})))
                    .map(|(k, v)| (k.clone(), no_empty_maps(v)))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.iter().map(no_empty_maps).collect()),
        other => other.clone(),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Seeds per Go process.
const CHUNK: u64 = 2_000;

#[test]
fn typed_decoding_agrees_with_go_on_random_remote_values() {
    let seed = support::env_u64("TYPED_SEED", 1);
    let count = support::env_u64("TYPED_COUNT", 400);
    let (mut lines, mut decodes, mut values, mut errors) = (0u64, 0usize, 0usize, 0usize);
    let mut quirks = [0usize; 2];
    let mut failures = Vec::new();
    // One Go process per chunk of seeds: gob's type cache is copied whenever a new type
    // arrives, so one process slows down quadratically with the random types it has seen.
    let mut first = seed;
    while first < seed + count {
        let n = CHUNK.min(seed + count - first);
        let mut go = Command::new(support::go_bin("gobtyped"))
            .args(["-seed", &first.to_string(), "-count", &n.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("run gobtyped");
        let stdout = go.stdout.take().expect("gobtyped's stdout");
        // Go's lines are checked as they arrive (a soak's output is too big to hold).
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line of gobtyped's output");
            lines += 1;
            let case: Json = serde_json::from_str(&line).expect("a JSON line");
            let s = case["seed"].as_u64().expect("seed");
            if case.get("skip").is_some() {
                continue;
            }
            let stream = unhex(case["stream"].as_str().expect("stream"));
            let remote = case["remote"].as_str().unwrap_or("?");
            for r in case["results"].as_array().expect("results") {
                let t = r["target"].as_str().expect("target");
                decodes += 1;
                let got = target(t)(&stream);
                let verdict = match (r.get("error").and_then(Json::as_str), &got) {
                    // Go misreads the stream by a quirk (a field through its reused
                    // operation, or the bytes after a skipped interface) and fails there;
                    // ours refuses the field's type, or fails for a reason of its own later.
                    (Some(go), Err(_))
                        if reuses_op(r, &case)
                            || (!destination_error(go) && quirk(r, &case).is_some()) =>
                    {
                        quirks[quirk(r, &case).unwrap_or_default()] += 1;
                        None
                    }
                    (Some(go), Err(e)) => {
                        errors += 1;
                        (!same_class(go, e.kind()))
                            .then(|| format!("Go fails with {go:?}, Rust with another error: {e}"))
                    }
                    // A valid stream (Go decodes it into its own type) that Go misreads for
                    // this destination only, by one of its quirks (gobtyped's `quirks`):
                    // Go fails, or decodes another value; ours reads the stream as its
                    // types say. Counted, not failed.
                    (Some(go), Ok(_)) if !destination_error(go) && quirk(r, &case).is_some() => {
                        quirks[quirk(r, &case).unwrap_or_default()] += 1;
                        None
                    }
                    (Some(go), Ok(v)) => Some(format!("Go fails with {go:?}, Rust decodes {v}")),
                    // Go's reused operation accepts a wire type that does not fit.
                    (None, Err(e))
                        if matches!(e.kind(), gob::ErrorKind::TypeMismatch { .. })
                            && reuses_op(r, &case) =>
                    {
                        quirks[quirk(r, &case).unwrap_or(REUSES_OP)] += 1;
                        None
                    }
                    (None, Err(e)) => Some(format!("Go decodes {}, Rust fails: {e}", r["value"])),
                    (None, Ok(v)) => {
                        values += 1;
                        let differs = !same(&no_empty_maps(v), &no_empty_maps(&r["value"]));
                        match quirk(r, &case) {
                            Some(q) if differs => {
                                quirks[q] += 1;
                                None
                            }
                            _ => differs.then(|| format!("Go decodes {}, Rust {v}", r["value"])),
                        }
                    }
                };
                if let Some(why) = verdict {
                    failures.push(format!(
                        "seed {s} into {t} (remote {remote}, stream {}): {why}",
                        case["stream"].as_str().unwrap_or("")
                    ));
                }
            }
        }
        let status = go.wait().expect("wait for gobtyped");
        assert!(status.success(), "gobtyped failed: {status}");
        first += n;
    }
    assert_eq!(lines, count, "gobtyped wrote {lines} of {count} lines");
    eprintln!(
        "typed_random: seeds {seed}..{}: {decodes} decodes, {values} values and {errors} errors agreed, \
         Go's quirks (counted, not compared): {} skipped interfaces, {} reused operations; \
         {} differences",
        seed + count,
        quirks[SKIPS_IFACE],
        quirks[REUSES_OP],
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {decodes} typed decodes differ from Go (first 20; repeat one with \
         TYPED_SEED=<seed> TYPED_COUNT=1):\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .map(|f| format!("- {f}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // A generator that lost its variety (every decode an error) would check little (a run of
    // a few seeds, repeating one, may well have no values).
    assert!(
        count < 100 || values * 20 >= decodes,
        "only {values} of {decodes} decodes gave values"
    );
}
