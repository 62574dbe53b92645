//! Every go-plugin-era tilores-plugin-api version against the Rust dispatcher, both ways, with
//! real Go peers built from the module proxy (`go-interop/api/<version>/`, one Go module per
//! version: `dispatcher-host`, Go's `dispatcher.Initialize` of that version running a script,
//! and `dispatcher-fake`, a Go plugin of that version with the fake dispatcher's semantics).
//! v0.6.0 (the Go fake v0.5.2 and go-interop's own host) is covered by `dispatcher_plugin.rs`.
//!
//! - Go host vX → Rust fake: the same transcript as Go host vX → Go plugin vX (random ids
//!   masked), for every method of vX, errors and the plugin's crash included.
//! - Rust host `--api vX` → Go plugin vX: the same answers as Go's own vX host gets from that
//!   plugin (compared after mapping both to one JSON spelling: vX's Go types have other json
//!   keys or none, and v0.2.0–v0.3.0 outputs are the bare entity/list), deadlines included.
//!
//! The Go toolchain is required (tests never skip).
mod common;

use std::path::{Path, PathBuf};

use common::dispatch::{assert_same, fake_script, normalize};
use tilores_plugin_test_support::{example_bin, go_bin, mask, run_with_stdin};

fn rust_fake() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"))
}

fn cli() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin"))
}

/// A Go peer of api `version` (`dispatcher-host` or `dispatcher-fake`).
fn peer(version: &str, name: &str) -> PathBuf {
    go_bin(&format!("api-{version}/{name}"))
}

/// Runs `program args` with `stdin` (and extra environment); returns stdout (panics on a
/// non-zero exit or after 120 s).
async fn run(program: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> String {
    run_with_stdin(program, args, env, stdin).await.0
}

async fn go_host(version: &str, plugin: &Path, env: &[(&str, &str)], script: &str) -> String {
    let p = plugin.to_str().expect("utf-8 path");
    run(
        &peer(version, "dispatcher-host"),
        &["-plugin", p],
        env,
        script,
    )
    .await
}

async fn rust_host(version: &str, plugin: &Path, env: &[(&str, &str)], script: &str) -> String {
    let p = plugin.to_str().expect("utf-8 path");
    // No default deadline: lines without deadline_ms carry none, as with Go's host.
    let args = [
        "dispatch",
        "--api",
        version,
        "--deadline-ms",
        "0",
        "--plugin",
        p,
    ];
    run(&cli(), &args, env, script).await
}

/// Go host vX → Go plugin vX and → Rust fake: identical transcripts; returns the Rust one.
async fn go_host_same_with_rust_fake(version: &str, script: &str) -> String {
    let go = go_host(version, &peer(version, "dispatcher-fake"), &[], script).await;
    let rust = go_host(version, &rust_fake(), &[], script).await;
    assert_same(
        &format!("Go host api {version}: Go plugin vs Rust fake"),
        script,
        &go,
        &rust,
    );
    rust
}

#[tokio::test]
async fn go_hosts_v0_2_0_and_v0_3_0_get_from_the_rust_fake_what_a_go_plugin_answers() {
    for version in ["v0.2.0", "v0.3.0"] {
        let out = go_host_same_with_rust_fake(version, &fake_script()).await;
        let lines: Vec<&str> = out.lines().collect();
        // The fake's semantics in that era's shapes: api.Entity, SubmissionResult,
        // []*api.Entity; no Disassemble/RemoveConnectionBan in the host's interface.
        assert_eq!(lines[0], r#"{"output":{"ID":"empty","Records":null}}"#);
        assert_eq!(lines[1], r#"{"output":null}"#);
        assert_eq!(lines[2], r#"{"output":{"RecordsAdded":1}}"#);
        assert_eq!(lines[3], r#"{"output":{"RecordsAdded":4}}"#);
        assert!(lines[4].starts_with(r#"{"output":{"ID":"e1","Records":[{"ID":"1","#));
        assert!(
            mask(lines[5]).starts_with(r#"{"output":[{"ID":"UUID","Records":[{"ID":"1","#),
            "{}",
            lines[5]
        );
        assert_eq!(lines[11], r#"{"error":"unknown call: disassemble"}"#);
        assert_eq!(
            lines[12],
            r#"{"error":"unknown call: removeConnectionBan"}"#
        );
    }
}

#[tokio::test]
async fn go_host_v0_5_0_gets_from_the_rust_fake_what_a_go_plugin_answers() {
    let out = go_host_same_with_rust_fake("v0.5.0", &fake_script()).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"output":{"entity":{"ID":"empty","Records":null,"Edges":null,"Duplicates":{}}}}"#
    );
    assert_eq!(lines[1], r#"{"output":{"entities":null,"hits":null}}"#);
    assert_eq!(lines[2], r#"{"output":{"recordsAdded":1}}"#);
    assert!(
        mask(lines[5]).starts_with(r#"{"output":{"entities":[{"ID":"UUID","Records":[{"ID":"1""#)
    );
    assert_eq!(
        lines[11],
        r#"{"error":"not implemented for fake dispatcher"}"#
    );
    assert_eq!(
        lines[12],
        r#"{"error":"not implemented for fake dispatcher"}"#
    );
}

/// v0.5.0 reads search hits from `SearchOutput.Hits` (v0.6.0 moved them into `api.Entity`):
/// the Rust provider sends both, so a v0.5.0 host sees the hits of a Rust dispatcher.
#[tokio::test]
async fn go_host_v0_5_0_gets_search_hits_from_a_rust_provider() {
    let script = r#"{"call":"search","input":{"parameters":{"foo":"bar"}}}"#.to_string() + "\n";
    let out = go_host(
        "v0.5.0",
        &example_bin("dispatcher_test_plugin"),
        &[],
        &script,
    )
    .await;
    assert_eq!(
        out,
        r#"{"output":{"entities":[{"ID":"abcd","Records":[{"ID":"12345","Data":{"foo":"bar"}}],"Edges":["12345:12345:STATIC"],"Duplicates":{"12345":["12345","duplicateID"]}}],"hits":{"12345":["someRuleName"]}}}"#
            .to_string()
            + "\n"
    );
}

/// Valid calls of every method, with and without deadlines (no malformed lines: those are
/// the hosts' own JSON decoding, whose texts name each host's Go types).
fn calls_script() -> String {
    let lines = [
        r#"{"call":"entity","input":{"id":"empty"},"deadline_ms":30000}"#,
        r#"{"call":"search","input":{"parameters":{"isOdd":true}}}"#,
        r#"{"call":"submit","input":{"records":[{"id":"1","data":{"isOdd":true,"n":1,"s":"ünï <&>","l":[1,"two",null,{"deep":[[]]}],"m":{"k":false},"nil":null}},{"id":"2","data":{"isOdd":false}},{"id":"3","data":null},{"id":"4"}]}}"#,
        r#"{"call":"entity","input":{"id":"e1"},"deadline_ms":30000}"#,
        r#"{"call":"entity","input":{"id":"e2"}}"#,
        r#"{"call":"search","input":{"parameters":{"isOdd":true}}}"#,
        r#"{"call":"search","input":{"parameters":{"n":1,"isOdd":false}}}"#,
        r#"{"call":"search","input":{"parameters":{"missing":null}}}"#,
        r#"{"call":"search","input":{"parameters":{"n":7}}}"#,
        r#"{"call":"submit","input":{"records":[{"id":"5"},{"id":"6"},{"id":"7"},{"id":"8"},{"id":"9"},{"id":"10"},{"id":"11","data":{"isOdd":true}}]}}"#,
        r#"{"call":"entity","input":{"id":"wrapped"},"deadline_ms":30000}"#,
        r#"{"call":"search","input":{"parameters":{"isOdd":true}}}"#,
        r#"{"call":"disassemble","input":{"reference":"ref","edges":[{"a":"1","b":"2"}],"recordIDs":["1"],"meta":{"user":"u"}},"deadline_ms":30000}"#,
        r#"{"call":"removeConnectionBan","input":{"entityID":"e1","others":["e2"]}}"#,
    ];
    lines.join("\n") + "\n"
}

/// Rust host `--api version` → Go plugin of that version: the answers Go's own host of
/// that version gets (the plugin reports each Entity call's deadline in an extra record).
async fn rust_host_matches_go_host(version: &str) -> Vec<String> {
    let plugin = peer(version, "dispatcher-fake");
    let script = calls_script();
    let env = [("DISPATCHER_FAKE_REPORT_DEADLINE", "1")];
    let go = go_host(version, &plugin, &env, &script).await;
    let rust = rust_host(version, &plugin, &env, &script).await;
    let legacy = version != "v0.5.0";
    let (go, rust) = (normalize(&go, legacy), normalize(&rust, false));
    // Go's host of v0.2.0/v0.3.0 has no Disassemble/RemoveConnectionBan; the Rust host
    // sends them and the plugin answers that it has no such method.
    let go_unknown = r#"{"error":"unknown call: disassemble"}"#;
    assert_eq!(go.len(), rust.len(), "{version}: answer counts");
    for (i, (g, r)) in go.iter().zip(&rust).enumerate() {
        if legacy && (g == go_unknown || g.contains("unknown call: removeConnectionBan")) {
            let method = if g == go_unknown {
                "Disassemble"
            } else {
                "RemoveConnectionBan"
            };
            assert_eq!(
                *r,
                format!(r#"{{"error":"rpc: can't find method Plugin.{method}"}}"#),
                "{version} line {}",
                i + 1
            );
            continue;
        }
        assert_eq!(g, r, "{version}: line {} differs", i + 1);
    }
    rust
}

#[tokio::test]
async fn rust_host_speaks_v0_5_0_to_a_go_v0_5_0_plugin() {
    let rust = rust_host_matches_go_host("v0.5.0").await;
    // The plugin saw the deadline of the lines that had one, and none otherwise.
    assert!(rust[0].contains(r#""deadlineExists":true"#), "{}", rust[0]);
    assert!(rust[0].contains(r#""deadline":"DEADLINE""#), "{}", rust[0]);
    assert!(rust[4].contains(r#""deadlineExists":false"#), "{}", rust[4]);
    assert!(rust[2].contains(r#""recordsAdded":4"#), "{}", rust[2]);
    assert!(rust[5].contains(r#""id":"UUID""#), "{}", rust[5]);
    assert_eq!(
        rust[12],
        r#"{"error":"not implemented for fake dispatcher"}"#
    );
    assert_eq!(
        rust[13],
        r#"{"error":"not implemented for fake dispatcher"}"#
    );
}

#[tokio::test]
async fn rust_host_speaks_v0_2_0_and_v0_3_0_to_go_plugins_of_those_versions() {
    for version in ["v0.2.0", "v0.3.0"] {
        let rust = rust_host_matches_go_host(version).await;
        assert!(
            rust[2].contains(r#""recordsAdded":4"#),
            "{version}: {}",
            rust[2]
        );
        assert!(rust[5].contains(r#""id":"UUID""#), "{}", rust[5]);
    }
}

/// The v0.6.0 Rust host → a v0.2.0 Go plugin: the first call carries a name that plugin never
/// registered; Go's server answers it and closes the connection, as for a Go v0.6.0 host.
#[tokio::test]
async fn v0_6_0_hosts_against_a_v0_2_0_plugin_fail_as_with_go() {
    let script = [
        r#"{"call":"submit","input":{"records":[{"id":"1"}]}}"#,
        r#"{"call":"entity","input":{"id":"e"}}"#,
        r#"{"call":"search","input":{"parameters":{}}}"#,
    ]
    .join("\n")
        + "\n";
    let plugin = peer("v0.2.0", "dispatcher-fake");
    let go = run(
        &go_bin("dispatcher-host"),
        &["-plugin", plugin.to_str().expect("utf-8 path")],
        &[],
        &script,
    )
    .await;
    let rust = rust_host("v0.6.0", &plugin, &[], &script).await;
    let lines: Vec<&str> = go.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"error":"gob: name not registered for interface: \"*dispatcher.SubmitInput\""}"#
    );
    for l in &lines[1..] {
        assert!(
            l.contains("connection is shut down") || l.contains("unexpected EOF"),
            "{l}"
        );
    }
    let rust_lines: Vec<&str> = rust.lines().collect();
    assert_eq!(rust_lines.len(), 3);
    assert_eq!(rust_lines[0], lines[0]);
    for l in &rust_lines[1..] {
        assert!(
            l.contains("connection is shut down") || l.contains("unexpected EOF"),
            "{l}"
        );
    }
}
