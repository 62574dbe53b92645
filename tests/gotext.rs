//! `gob::gotext` against Go's `encoding/json` (`go-interop/cmd/gotext`): seeded random
//! floats and strings, each written by Go's `json.Marshal` and by us, byte for byte. These
//! texts are what the dispatcher host prints for a Go plugin's reply and what the HTTP
//! protocol sends, so every float and string a Go peer can hold must come out as Go's.
//!
//! Floats: random bit patterns (every exponent), decimal-looking values (`m × 10^k`), powers
//! of two (asymmetric rounding intervals) and the neighbours of the cut-overs between plain
//! digits and exponents (1e-6, 1e21), as float64 and float32; NaN and ±Inf must be refused
//! as Go refuses them. (This found Rust's `{}` breaking exact ties upwards where Go's
//! shortest formatting takes the even digit: `34158179052624.0625` is Go's `…624.062`.) Strings: random bytes
//! biased to what Go escapes (controls, `"`, `\`, HTML's `<>&`, U+2028/2029, invalid and
//! truncated UTF-8, any code point), each also through `strconv.Quote` (Go's `%q`, which our
//! error texts reproduce with `gotext::go_quote`).
//!
//! CI runs one seed of 20,000 floats and 5,000 strings; a longer run:
//! `GOTEXT_SEED=1 GOTEXT_SEEDS=100 GOTEXT_CASES=200000 cargo test --test gotext -- --nocapture`.

#[allow(dead_code)] // `fill` is for the mux tests
#[path = "common/seeded.rs"]
mod seeded;

use std::process::Command;

use tilores_plugin::gob::gotext;
use tilores_plugin_test_support as support;

use seeded::Rng;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Go's answer for each line of `input` (`lines` of them).
fn go_answers(input: String, lines: usize) -> Vec<String> {
    let out = support::run_command_with_stdin(&mut Command::new(support::go_bin("gotext")), &input);
    assert!(out.status.success(), "gotext failed: {}", out.status);
    let answers: Vec<String> = String::from_utf8(out.stdout)
        .expect("json.Marshal writes UTF-8")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(answers.len(), lines, "gotext answered every line");
    answers
}

/// A float64 worth formatting.
fn float64(r: &mut Rng) -> f64 {
    match r.below(7) {
        // A power of two: its rounding interval is narrower below than above.
        6 => f64::from_bits((r.below(2046) + 1) << 52 | r.below(2) << 63),
        0 | 1 => f64::from_bits(r.next_u64()),
        2 => {
            // m × 10^k: the values people write, where digit generation differs most.
            let m = (r.next_u64() >> r.below(64)) as f64;
            let k = r.below(60) as i32 - 30;
            let v = m * 10f64.powi(k);
            if r.below(2) == 0 {
                v
            } else {
                -v
            }
        }
        3 => {
            // Around the cut-overs: a few ulps either side of 1e-6 and 1e21.
            let base: f64 = [1e-6, 1e21, 1e-7, 1e20][r.below_usize(4)];
            let ulps = r.below(9) as i64 - 4;
            f64::from_bits((base.to_bits() as i64 + ulps) as u64)
        }
        4 => [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.1,
            1.0 / 3.0,
            123456789.0,
        ][r.below_usize(12)],
        _ => (r.next_u64() as i64) as f64 / (1u64 << r.below(64)) as f64,
    }
}

/// A float32's bits worth formatting.
fn float32(r: &mut Rng) -> f32 {
    match r.below(5) {
        4 => f32::from_bits(((r.below(254) + 1) << 23) as u32),
        0 | 1 => f32::from_bits(r.next_u64() as u32),
        2 => {
            let base: f32 = [1e-6, 1e21, 1e-7, 1e20][r.below_usize(4)];
            let ulps = r.below(9) as i32 - 4;
            f32::from_bits((base.to_bits() as i32 + ulps) as u32)
        }
        _ => float64(r) as f32,
    }
}

/// A string's bytes, biased to what `json.Marshal` escapes.
fn string(r: &mut Rng) -> Vec<u8> {
    let n = r.below_usize(24);
    let mut s = Vec::with_capacity(n * 3);
    for _ in 0..n {
        match r.below(12) {
            0 => s.push(r.below(0x20) as u8),
            1 => s.push([b'"', b'\\', b'<', b'>', b'&', 0x7f, b'/'][r.below_usize(7)]),
            2 => s.extend_from_slice(
                ["\u{2028}", "\u{2029}", "\u{fffd}"][r.below_usize(3)].as_bytes(),
            ),
            3 => s.push(0x80 + r.below(0x80) as u8), // a lone continuation or lead byte
            4 => {
                // A valid character of 2–4 bytes, sometimes cut short.
                let c = char::from_u32(0x80 + r.below(0x10_ff00) as u32).unwrap_or('\u{e9}');
                let mut buf = [0u8; 4];
                let enc = c.encode_utf8(&mut buf).as_bytes();
                let keep = if r.below(4) == 0 {
                    r.below_usize(enc.len())
                } else {
                    enc.len()
                };
                s.extend_from_slice(&enc[..keep]);
            }
            5 => s.extend_from_slice(&[0xed, 0xa0 + r.below(0x20) as u8, 0x80]), // a surrogate
            6 => s.push(r.below(256) as u8),
            _ => s.push(b' ' + r.below(95) as u8),
        }
    }
    s
}

#[test]
fn random_floats_and_strings_are_written_as_go_json_marshal_writes_them() {
    support::limit_sync(|| {
        let first = support::env_u64("GOTEXT_SEED", 1);
        let seeds = support::env_u64("GOTEXT_SEEDS", 1);
        let n = support::env_u64("GOTEXT_CASES", 20_000) as usize;
        let (mut refused, mut exponents) = (0, 0);
        for seed in first..first + seeds {
            let mut r = Rng(seed);
            // (what, our text or None for a refusal)
            let mut cases: Vec<(String, Option<String>)> = Vec::with_capacity(n + n / 4);
            let mut input = String::new();
            for _ in 0..n {
                let (line, ours) = if r.below(3) == 0 {
                    let f = float32(&mut r);
                    (
                        format!("32 {:x}", f.to_bits()),
                        gotext::json_float(f64::from(f), 32),
                    )
                } else {
                    let f = float64(&mut r);
                    (format!("64 {:x}", f.to_bits()), gotext::json_float(f, 64))
                };
                input.push_str(&line);
                input.push('\n');
                cases.push((line, ours));
            }
            if seed == first {
                // Every normal power of two of both types, positive and negative.
                for bits in (1..2047u64).flat_map(|e| [e << 52, e << 52 | 1 << 63]) {
                    let line = format!("64 {bits:x}");
                    input.push_str(&line);
                    input.push('\n');
                    cases.push((line, gotext::json_float(f64::from_bits(bits), 64)));
                }
                for bits in (1..255u32).map(|e| e << 23) {
                    let line = format!("32 {bits:x}");
                    input.push_str(&line);
                    input.push('\n');
                    cases.push((
                        line,
                        gotext::json_float(f64::from(f32::from_bits(bits)), 32),
                    ));
                }
            }
            for _ in 0..n / 4 {
                let s = string(&mut r);
                let mut ours = Vec::new();
                gotext::json_string(&mut ours, &s, true);
                let line = format!("str {}", hex(&s));
                input.push_str(&line);
                input.push('\n');
                cases.push((
                    line,
                    Some(String::from_utf8(ours).expect("our JSON is UTF-8")),
                ));
                // The same bytes through `strconv.Quote` (Go's `%q`).
                let line = format!("quote {}", hex(&s));
                input.push_str(&line);
                input.push('\n');
                cases.push((line, Some(gotext::go_quote(&s))));
            }
            let go = go_answers(input, cases.len());
            for ((line, ours), go) in cases.iter().zip(&go) {
                match ours {
                    Some(text) => assert_eq!(
                        text, go,
                        "seed {seed}, `{line}`: ours (left), Go's json.Marshal (right); repeat \
                     with GOTEXT_SEED={seed} GOTEXT_SEEDS=1 GOTEXT_CASES={n}"
                    ),
                    None => assert!(
                        go.starts_with("error: json: unsupported value: "),
                        "seed {seed}, `{line}`: we refuse it, Go wrote {go}"
                    ),
                }
                refused += usize::from(ours.is_none());
                exponents += usize::from(!line.starts_with("str") && go.contains('e'));
            }
        }
        println!(
            "gotext: seeds {first}..{}, {n} floats and {} strings (JSON and quoted) each, {refused} \
         refused (NaN, ±Inf), {exponents} in exponent form, all alike",
            first + seeds,
            n / 4
        );
        assert!(
            refused > 0 && exponents > 0,
            "the generator reaches refusals and exponents"
        );
    })
}

/// `gob/src/gotext/goprint.rs` (`strconv.IsPrint`'s table, behind `gotext::go_quote`) is what
/// the Go peer's toolchain generates: regenerate it with `go run ./cmd/gotext -print-ranges >
/// ../gob/src/gotext/goprint.rs` in `go-interop/` when this fails after a Go upgrade.
#[test]
fn the_print_table_is_the_go_toolchains() {
    let out = Command::new(support::go_bin("gotext"))
        .arg("-print-ranges")
        .output()
        .expect("run gotext -print-ranges");
    assert!(out.status.success(), "gotext -print-ranges: {}", out.status);
    let table = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("//"))
            .map(str::to_owned)
            .collect()
    };
    let ours = std::fs::read_to_string(support::repo_root().join("gob/src/gotext/goprint.rs"))
        .expect("read goprint.rs");
    let go = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(table(&go).len() > 700, "Go's table");
    assert!(table(&ours) == table(&go), "goprint.rs differs from Go's");
}
