//! The CLI `tilores-plugin gob decode | tilores-plugin gob encode` on every stream Go wrote
//! without error (testdata/gob): Go decodes each result to a value deeply equal to its own
//! (`gobvectors check-all`). Malformed input: non-zero exit, a message saying what and where.

use std::io::Write;
use std::process::{Command, Stdio};

use tilores_plugin_test_support as support;

fn cli() -> &'static str {
    env!("CARGO_BIN_EXE_tilores-plugin")
}

/// Runs `tilores-plugin gob <sub>` with `input` on stdin.
fn gob_cmd(sub: &str, input: &[u8]) -> std::process::Output {
    let mut child = Command::new(cli())
        .args(["gob", sub])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the CLI");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for the CLI");
    let _ = writer.join();
    out
}

#[test]
fn decode_then_encode_gives_streams_go_reads_back() {
    let dir = support::repo_root().join("testdata/gob");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    let out = support::TempDir::new("gob-cli");
    // Streams beyond the (deliberately stricter than Go's) default gob::Limits: the CLI must
    // refuse them with the typed error (tests/gob_vectors.rs RUST_LIMITS).
    let beyond_limits = [
        ("deep_linked_list", "invalid nesting depth"),
        ("deep_nested_iface", "invalid nesting depth"),
        ("depth_arrays_10001", "type"),
        ("iface_name_too_long", "name"),
    ];
    let mut piped = 0;
    for case in manifest["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let limited = beyond_limits.iter().find(|(n, _)| *n == name);
        if limited.is_none() && !case["error"].is_null() {
            continue;
        }
        let input = std::fs::read(dir.join(format!("{name}.gob"))).expect("case file");
        let decoded = gob_cmd("decode", &input);
        if let Some((_, what)) = limited {
            let err = String::from_utf8_lossy(&decoded.stderr);
            assert!(
                !decoded.status.success(),
                "{name}: accepted beyond the limits"
            );
            assert!(
                err.contains("malformed gob stream") && err.contains(what),
                "{name}: {err}"
            );
            assert!(err.len() < 1000, "{name}: unreadably long message: {err}");
            continue;
        }
        assert!(
            decoded.status.success(),
            "{name}: gob decode failed: {}",
            String::from_utf8_lossy(&decoded.stderr)
        );
        let encoded = gob_cmd("encode", &decoded.stdout);
        assert!(
            encoded.status.success(),
            "{name}: gob encode failed: {}",
            String::from_utf8_lossy(&encoded.stderr)
        );
        std::fs::write(out.path().join(format!("{name}.gob")), &encoded.stdout).expect("write");
        piped += 1;
    }
    assert!(piped >= 90, "only {piped} valid cases piped");
    let check = Command::new(support::go_bin("gobvectors"))
        .args(["check-all", "-dir"])
        .arg(&dir)
        .arg("-rust-dir")
        .arg(out.path())
        .output()
        .expect("run gobvectors check-all");
    let report = String::from_utf8_lossy(&check.stdout);
    let bad: Vec<&str> = report
        .lines()
        .filter(|l| !l.starts_with("ok") && !l.starts_with("summary") && !l.trim().is_empty())
        .collect();
    assert!(
        bad.is_empty(),
        "Go rejects CLI round trips:\n{}",
        bad.join("\n")
    );
    let oks = report.lines().filter(|l| l.starts_with("ok")).count();
    assert_eq!(oks, piped, "Go checked {oks} of {piped} streams: {report}");
}

#[test]
fn malformed_input_fails_with_what_and_where() {
    let input = std::fs::read(support::repo_root().join("testdata/gob/point_struct.gob"))
        .expect("case file");
    let truncated = &input[..input.len() - 3];
    let out = gob_cmd("decode", truncated);
    assert!(!out.status.success(), "truncated stream accepted");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("malformed gob stream") && err.contains("byte"),
        "stderr: {err}"
    );
    let out = gob_cmd("encode", b"{\"type\": \"nonsense\"}\n");
    assert!(!out.status.success(), "bad typed JSON accepted");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1"), "stderr: {err}");
}
