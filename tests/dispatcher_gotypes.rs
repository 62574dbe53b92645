//! Records holding every Go type a dispatcher plugin process can decode, from an unmodified
//! Go host: go-interop's `dispatcher-gotypes` (tilores-plugin-api v0.6.0
//! `dispatcher.Initialize`, go-plugin v1.4.3) submits seeded random records whose data are
//! the types gob registers itself (every int/uint/float/complex kind, uintptr, bool, string,
//! `[]byte` and slices of those) and what tilores-plugin-api registers (maps and slices of
//! `interface{}`, `time.Time` in UTC, fixed zones and the local zone, `*api.SearchParameters`),
//! with NaN, ±0, ±Inf and extreme integers, reads them back and searches with stored values,
//! converted ones and fresh ones (Go's `==` across types, uncomparable values that make the
//! fake panic). The Go fake v0.5.2 and the Rust fake must answer every call alike, in three
//! local time zones (a decoded time is `time.Local` when its offset is Local's, which
//! decides `==`). JSON scripts reach only float64, string, bool, nil, maps and slices.
//!
//! The other direction: go-interop's `gotypes-dispatcher` plugin answers with such records,
//! and the Rust host (`tilores-plugin dispatch`) must print what Go's `dispatcher-host` prints
//! for them (encoding/json of every kind, Go's errors for NaN, ±Inf and complex numbers).
//!
//! `GOTYPES_SEED` (first seed, default 1) and `GOTYPES_SEEDS` (default 8 per zone, 8 scripts
//! of 10 entity calls for the hosts) run more.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use tilores_plugin_test_support::{env_u64, go_bin, limit_sync, mask, run_command_with_stdin};

fn rust_fake() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"))
}

/// The Go host's transcript of `seed` against `plugin`, with `TZ` set as given (`None`:
/// unset, so Go reads /etc/localtime); the plugin inherits the environment.
fn transcript(plugin: &PathBuf, seed: u64, tz: Option<&str>) -> String {
    let mut host = Command::new(go_bin("dispatcher-gotypes"));
    host.args(["-seed", &seed.to_string(), "-plugin"])
        .arg(plugin)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    match tz {
        Some(tz) => host.env("TZ", tz),
        None => host.env_remove("TZ"),
    };
    let out = host.output().expect("run dispatcher-gotypes");
    assert!(
        out.status.success(),
        "dispatcher-gotypes -seed {seed} (TZ {tz:?}) failed: {:?}",
        out.status
    );
    mask(&String::from_utf8(out.stdout).expect("UTF-8 transcript"))
}

/// The last line of a transcript whose plugin died (both fakes exit as Go's panicking fake
/// does): the Go host's error text then races between net/rpc's read (`unexpected EOF`)
/// and yamux noticing the session end (`session shutdown`), whichever fake it is.
const PLUGIN_GONE: &str = "error <the plugin exited>";

/// `transcript` with the racing text of its last line (see [`PLUGIN_GONE`]) made one.
fn plugin_gone(transcript: &str) -> String {
    let mut lines: Vec<&str> = transcript.lines().collect();
    let last = lines.pop().map(|l| {
        for gone in ["error \"unexpected EOF\"", "error \"session shutdown\""] {
            if let Some(call) = l.strip_suffix(gone) {
                return format!("{call}{PLUGIN_GONE}");
            }
        }
        l.to_string()
    });
    let mut out: Vec<String> = lines.into_iter().map(str::to_owned).collect();
    out.extend(last);
    out.join("\n")
}

/// The first seed and how many: `GOTYPES_SEED` (1) and `GOTYPES_SEEDS` (8).
fn seeds() -> (u64, u64) {
    (env_u64("GOTYPES_SEED", 1), env_u64("GOTYPES_SEEDS", 8))
}

#[test]
fn go_typed_records_get_the_go_fakes_answers() {
    let (first, seeds) = seeds();
    limit_sync(|| {
        let go_fake = go_bin("tilores-plugin-fake-dispatcher");
        let (mut lines, mut hits, mut crashes) = (0, 0, 0);
        for tz in [None, Some("Asia/Tokyo"), Some("Europe/Berlin")] {
            for seed in first..first + seeds {
                let go = plugin_gone(&transcript(&go_fake, seed, tz));
                let rust = plugin_gone(&transcript(&rust_fake(), seed, tz));
                for (i, (g, r)) in go.lines().zip(rust.lines()).enumerate() {
                    assert_eq!(r, g, "seed {seed}, TZ {tz:?}, line {}", i + 1);
                }
                assert_eq!(
                    rust.lines().count(),
                    go.lines().count(),
                    "seed {seed}, TZ {tz:?}: line counts"
                );
                lines += go.lines().count();
                hits += go
                    .lines()
                    .filter(|l| l.starts_with("search") && l.contains("Entities:[&"))
                    .count();
                crashes += go.lines().filter(|l| l.ends_with(PLUGIN_GONE)).count();
            }
        }
        // What the runs were about, so that a generator gone dull cannot pass unnoticed.
        assert!(lines > 100 && hits > 5, "{lines} lines, {hits} search hits");
        if first == 1 && seeds >= 8 {
            assert!(crashes > 0, "no search made the fakes panic");
        }
        eprintln!(
            "go_typed_records: seeds {first}..{} in 3 zones: {lines} lines alike, {hits} search hits, {crashes} fake panics",
            first + seeds
        );
    })
}

/// Go's `dispatcher-host` and the Rust host on one script against `gotypes-dispatcher`: the
/// same lines, except where Go's encoder fails on a value JSON cannot hold (NaN, ±Inf,
/// complex): Go's host then exits with `write: <error>` on stderr, and the Rust host writes
/// `{"error":"<error>"}` and goes on (`run_script`'s documented difference).
#[test]
fn go_typed_replies_render_like_gos_host() {
    let (first, seeds) = seeds();
    limit_sync(|| {
        let plugin = go_bin("gotypes-dispatcher");
        let (mut alike, mut refused) = (0, 0);
        for seed in first..first + seeds {
            let mut script: String = (0..10)
                .map(|i| {
                    format!(
                        "{{\"call\":\"entity\",\"input\":{{\"id\":\"{}\"}}}}\n",
                        seed * 10 + i
                    )
                })
                .collect();
            script.push_str(&format!(
                "{{\"call\":\"search\",\"input\":{{\"parameters\":{{\"k{seed}\":1}}}}}}\n"
            ));
            let go = run_command_with_stdin(
                Command::new(go_bin("dispatcher-host"))
                    .arg("-plugin")
                    .arg(&plugin)
                    .stderr(Stdio::piped()),
                &script,
            );
            let rust = run_command_with_stdin(
                Command::new(env!("CARGO_BIN_EXE_tilores-plugin"))
                    .args(["dispatch", "--plugin"])
                    .arg(&plugin)
                    .stderr(Stdio::null()),
                &script,
            );
            assert!(
                rust.status.success(),
                "seed {seed}: Rust host failed: {:?}",
                rust.status
            );
            let (go_out, rust_out) = (
                String::from_utf8(go.stdout).expect("UTF-8"),
                String::from_utf8(rust.stdout).expect("UTF-8"),
            );
            let rust_lines: Vec<&str> = rust_out.lines().collect();
            assert_eq!(
                rust_lines.len(),
                11,
                "seed {seed}: one answer per line: {rust_out}"
            );
            let go_lines: Vec<&str> = go_out.lines().collect();
            for (i, g) in go_lines.iter().enumerate() {
                assert_eq!(rust_lines[i], *g, "seed {seed}, line {}", i + 1);
            }
            alike += go_lines.len();
            if go.status.success() {
                assert_eq!(go_lines.len(), 11, "seed {seed}: Go's answers");
            } else {
                let err = String::from_utf8_lossy(&go.stderr);
                let text = err
                    .lines()
                    .find_map(|l| l.strip_prefix("dispatcher-host: write: "))
                    .unwrap_or_else(|| panic!("seed {seed}: Go's host failed otherwise: {err}"));
                let line = serde_json::json!({ "error": text }).to_string();
                assert_eq!(
                    rust_lines[go_lines.len()],
                    line,
                    "seed {seed}, line {}: where Go's encoder failed",
                    go_lines.len() + 1
                );
                refused += 1;
            }
        }
        assert!(
            alike > 20 && refused > 0,
            "{alike} lines alike, {refused} refusals"
        );
        eprintln!(
            "go_typed_replies: seeds {first}..{}: {alike} lines alike, {refused} scripts ended by a value JSON cannot hold",
            first + seeds
        );
    })
}
