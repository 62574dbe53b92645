//! `time.Time` as gob carries it (`Time.GobEncode` = `MarshalBinary`), against Go: seeded
//! random byte strings, most of them bytes Go's own encoder never writes (nanoseconds out of
//! range or negative, offsets with a seconds part, negative ones included, seconds near
//! `i64`'s ends, wrong versions and lengths), decoded by Go's `Time.GobDecode`
//! (`go-interop/cmd/gotime`) and by [`GoTime::unmarshal_binary`]. Go's verdict and everything
//! Go then makes of the value must be ours: Unix seconds and nanoseconds, UTC or the zone
//! offset, the bytes `GobEncode` writes back (or its error), `MarshalJSON`'s text (or its
//! error), and whether gob omits the value as a struct field.
//!
//! CI runs one seed of 4,000 strings under two local zones (the zone only decides whether
//! Go picks `Local` or a fixed zone, never the outputs); a longer run:
//! `GOTIME_SEED=1 GOTIME_SEEDS=200 GOTIME_CASES=20000 cargo test --test gob_time -- --nocapture`.

#[allow(dead_code)] // `fill` is for the mux tests
#[path = "common/seeded.rs"]
mod seeded;

use std::process::Command;

use serde_json::Value as Json;
use tilores_plugin::gob::{Encode, ErrorKind, GoTime};
use tilores_plugin_test_support as support;

use seeded::Rng;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One byte string for `Time.GobDecode`.
fn case(r: &mut Rng) -> Vec<u8> {
    let version: u8 = match r.below(20) {
        0 => r.below(256) as u8,
        1..=9 => 1,
        _ => 2,
    };
    let secs: i64 = match r.below(8) {
        0 => 0,
        1 => [i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1][r.below_usize(4)],
        2 => (r.next_u64() >> r.below(64)) as i64,
        3 => r.next_u64() as i64,
        // Years 1..=9999 in Go's internal seconds (from year 1).
        _ => r.below(315_537_897_600) as i64,
    };
    let nanos: i32 = match r.below(10) {
        0..=3 => r.below(1_000_000_000) as i32,
        4 => (1_000_000_000 + r.below((1 << 30) - 1_000_000_000)) as i32,
        5 => ((1 << 30) + r.below(1 << 30)) as i32,
        6 | 7 => r.next_u64() as i32 | i32::MIN,
        _ => [
            0,
            -1,
            i32::MIN,
            i32::MAX,
            999_999_999,
            1_000_000_000,
            (1 << 30) - 1,
            1 << 30,
        ][r.below_usize(8)],
    };
    let off_min: i16 = match r.below(8) {
        0 | 1 => -1,
        2 => 0,
        3 => [i16::MIN, i16::MAX, -2, 1, 1439, -1440, 1440][r.below_usize(7)],
        4 => r.next_u64() as i16,
        _ => (r.below(2 * 1440) as i16) - 1440,
    };
    let off_sec: u8 = match r.below(4) {
        0 => 0,
        1 => [60, 196, 255, 1, 59, 128][r.below_usize(6)],
        _ => r.below(256) as u8,
    };
    let mut b = vec![version];
    b.extend_from_slice(&secs.to_be_bytes());
    b.extend_from_slice(&nanos.to_be_bytes());
    b.extend_from_slice(&off_min.to_be_bytes());
    if version == 2 {
        b.push(off_sec);
    }
    match r.below(40) {
        0 => b.truncate(r.below_usize(b.len())),
        1 => b.push(r.below(256) as u8),
        _ => {}
    }
    b
}

/// The text of one of our `time` errors, as Go's `err.Error()`.
fn go_text(e: &tilores_plugin::gob::Error) -> String {
    match e.kind() {
        ErrorKind::Marshal(m) => m.clone(),
        other => panic!("time error of an unexpected kind: {other:?}"),
    }
}

/// What we make of `b`, in the Go probe's JSON shape.
fn ours(b: &[u8]) -> Json {
    let t = match GoTime::unmarshal_binary(b) {
        Ok(t) => t,
        Err(e) => return serde_json::json!({ "err": go_text(&e) }),
    };
    let mut m = serde_json::json!({
        "unix": t.unix_secs,
        "nsec": t.nanosecond(),
        "utc": t.offset.is_none(),
        "offset": t.offset.unwrap_or(0),
        "gob": "",
        "json": "",
        "gob_omits": t.omit_in_struct(),
    });
    match t.marshal_binary() {
        Ok(g) => m["gob"] = Json::String(hex(&g)),
        Err(e) => m["gob_err"] = Json::String(go_text(&e)),
    }
    match t.marshal_json() {
        Ok(j) => m["json"] = Json::String(j),
        Err(e) => m["json_err"] = Json::String(go_text(&e)),
    }
    m
}

/// Go's answers for `cases`, one per line, with `TZ` set to `tz`.
fn go_answers(cases: &[Vec<u8>], tz: &str) -> Vec<Json> {
    let input: String = cases.iter().map(|c| hex(c) + "\n").collect();
    let out = support::run_command_with_stdin(
        Command::new(support::go_bin("gotime")).env("TZ", tz),
        &input,
    );
    assert!(out.status.success(), "gotime failed: {}", out.status);
    let answers: Vec<Json> = String::from_utf8(out.stdout)
        .expect("gotime writes UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("gotime writes JSON lines"))
        .collect();
    assert_eq!(answers.len(), cases.len(), "gotime answered every line");
    answers
}

#[test]
fn random_time_bytes_decode_and_reencode_as_go_does() {
    support::limit_sync(|| {
        let first = support::env_u64("GOTIME_SEED", 1);
        let seeds = support::env_u64("GOTIME_SEEDS", 1);
        let n = support::env_u64("GOTIME_CASES", 4000) as usize;
        let (mut refused, mut unnormal, mut reencode_refused, mut json_refused) = (0, 0, 0, 0);
        for seed in first..first + seeds {
            let mut r = Rng(seed);
            let cases: Vec<Vec<u8>> = (0..n).map(|_| case(&mut r)).collect();
            for tz in ["Europe/Berlin", "UTC"] {
                let go = go_answers(&cases, tz);
                for (i, (c, g)) in cases.iter().zip(&go).enumerate() {
                    let o = ours(c);
                    assert_eq!(
                        &o,
                        g,
                        "seed {seed} case {i} (TZ={tz}): bytes {}: ours (left) differ from Go's \
                     (right); repeat with GOTIME_SEED={seed} GOTIME_SEEDS=1 GOTIME_CASES={n}",
                        hex(c)
                    );
                    if tz == "UTC" {
                        refused += usize::from(g.get("err").is_some());
                        unnormal +=
                            usize::from(g["nsec"].as_u64().is_some_and(|x| x >= 1_000_000_000));
                        reencode_refused += usize::from(g.get("gob_err").is_some());
                        json_refused += usize::from(g.get("json_err").is_some());
                    }
                }
            }
        }
        println!(
            "gob_time: seeds {first}..{}, {n} cases each: {refused} refused by both, {unnormal} \
         decoded with nanoseconds ≥ 1e9, {reencode_refused} not re-encodable, {json_refused} \
         refused by MarshalJSON, all alike",
            first + seeds
        );
        // The generator must reach each of Go's branches, or the comparison proves little.
        let total = (n as u64 * seeds) as usize;
        for (what, count) in [
            ("refused", refused),
            ("unnormalised nanoseconds", unnormal),
            ("re-encode refused", reencode_refused),
            ("MarshalJSON refused", json_refused),
        ] {
            assert!(
                count > 0 && count < total,
                "{what}: {count} of {total} cases"
            );
        }
    })
}
