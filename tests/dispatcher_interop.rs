//! Dispatcher interop without the plugin layer: the Rust adapters against Go's own
//! `dispatcher` server and client code (tilores-plugin-api v0.6.0) on a plain unix socket
//! (`go-interop/cmd/dispatcher-rpc-peer`), with the real fake dispatcher v0.5.2 and the
//! api test fixture as Go implementations.
//!
//! Every comparison runs the same JSON-lines script through a Go client and through the Rust
//! client / against a Go server and a Rust server, and compares the output lines (random
//! UUIDs and wall-clock deadlines masked). The Go toolchain is required (tests never skip).
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use common::dispatch::{assert_same, big_script, fake_script};
#[path = "../examples/support/dispatcher_fixture.rs"]
mod fixture;
use fixture::Fixture;
use tilores_plugin::dispatcher::*;
use tilores_plugin::gob::{GoTime, Interface};
use tilores_plugin::rpc::Client;
use tilores_plugin_test_support::{go_bin, limit, ChildGuard, TempDir};

// ------------------------------------------------------------------------ Go peers

/// A Go `dispatcher-rpc-peer serve` process.
struct GoServer {
    socket: PathBuf,
    _child: ChildGuard,
}

impl GoServer {
    /// Starts a Go server with implementation `fake` or `test`; waits until it listens.
    fn start(dir: &TempDir, name: &str, implementation: &str) -> GoServer {
        let socket = dir.path().join(format!("{name}.sock"));
        let mut child = std::process::Command::new(go_bin("dispatcher-rpc-peer"))
            .args(["serve", "-socket"])
            .arg(&socket)
            .args(["-impl", implementation])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start dispatcher-rpc-peer serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("read ready line");
        assert!(line.contains("\"ready\":true"), "peer said {line:?}");
        GoServer {
            socket,
            _child: ChildGuard(child),
        }
    }
}

/// Runs `script` with Go's dispatcher client (`dispatcher-rpc-peer call`) against the
/// server at `socket`; returns its stdout.
async fn go_call(dir: &TempDir, socket: &Path, script: &str, parallel: usize) -> String {
    let file = dir.path().join(format!("script-{}.jsonl", unique()));
    std::fs::write(&file, script).expect("write script");
    let out = tokio::process::Command::new(go_bin("dispatcher-rpc-peer"))
        .args(["call", "-socket"])
        .arg(socket)
        .arg("-script")
        .arg(&file)
        .args(["-parallel", &parallel.to_string()])
        .output()
        .await
        .expect("run dispatcher-rpc-peer call");
    assert!(
        out.status.success(),
        "Go client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("Go output is UTF-8")
}

fn unique() -> usize {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

// ---------------------------------------------------------------------- Rust peers

/// The Rust dispatcher client on a fresh connection to `socket`.
async fn rust_client(socket: &Path) -> DispatcherClient {
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .unwrap_or_else(|e| panic!("connect {}: {e}", socket.display()));
    DispatcherClient::new(Client::new(stream))
}

/// Runs `script` with the Rust client (a fresh connection) against `socket`.
async fn rust_call(socket: &Path, script: &str) -> String {
    let client = rust_client(socket).await;
    let mut out = Vec::new();
    run_script(
        &client,
        script.as_bytes(),
        &mut out,
        &ScriptOptions::default(),
    )
    .await
    .expect("run script");
    String::from_utf8(out).expect("Rust output is UTF-8")
}

/// Serves `dispatcher` as service `Plugin` on a unix socket in `dir`; returns the path.
async fn rust_server<D: Dispatcher + 'static>(dir: &TempDir, name: &str, d: Arc<D>) -> PathBuf {
    let socket = dir.path().join(format!("{name}.sock"));
    let listener = tokio::net::UnixListener::bind(&socket).expect("bind");
    let server = rpc_server(d);
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let server = server.clone();
            tokio::spawn(async move { server.serve(conn).await });
        }
    });
    socket
}

// -------------------------------------------------------------------------- masking

// -------------------------------------------------------------------------- scripts

/// The api test scenario as a script, for the fixture implementations.
const FIXTURE_SCRIPT: &str = r#"{"call":"entity","input":{"id":"abcd"},"deadline_ms":3000}
{"call":"entity","input":{"id":"abcd"}}
{"call":"search","input":{"parameters":{"foo":"bar"}}}
{"call":"submit","input":{"records":[{"id":"12345","data":{"foo":"bar"}}]}}
{"call":"disassemble","input":{"reference":"123123","edges":[{"a":"abc","b":"def"}],"recordIDs":["12345"],"createConnectionBan":true,"meta":{"user":"someUser","reason":"someReason"}}}
{"call":"removeConnectionBan","input":{"reference":"123123","entityID":"someID","others":["someOtherID"],"meta":{"user":"someUser","reason":"someReason"}}}
"#;

// ---------------------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_matches_go_client_against_go_fake() {
    limit(async {
        let dir = TempDir::new("disp-rc-gofake");
        let script = fake_script();
        // Fresh servers each: the fake's state is per process.
        let for_go = GoServer::start(&dir, "go", "fake");
        let for_rust = GoServer::start(&dir, "rust", "fake");
        let go = go_call(&dir, &for_go.socket, &script, 1).await;
        let rust = rust_call(&for_rust.socket, &script).await;
        assert_same("Rust client vs Go client, Go fake", &script, &go, &rust);
        // The crash is visible as Go shows it.
        let tail: Vec<&str> = rust.lines().rev().take(2).collect();
        assert_eq!(
            tail,
            [
                r#"{"error":"connection is shut down"}"#,
                r#"{"error":"unexpected EOF"}"#
            ]
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_matches_go_client_against_go_fixture() {
    limit(async {
        let dir = TempDir::new("disp-rc-gotest");
        let server = GoServer::start(&dir, "go", "test");
        let go = go_call(&dir, &server.socket, FIXTURE_SCRIPT, 1).await;
        let rust = rust_call(&server.socket, FIXTURE_SCRIPT).await;
        assert_same(
            "Rust client vs Go client, Go fixture",
            FIXTURE_SCRIPT,
            &go,
            &rust,
        );
        // The Go plugin saw the Rust client's deadline: about 3 s ahead, and none without one.
        let first = rust.lines().next().unwrap_or_default();
        assert!(first.contains(r#""deadlineExists":true"#), "{first}");
        let second = rust.lines().nth(1).unwrap_or_default();
        assert!(second.contains(r#""deadlineExists":false"#), "{second}");
        assert!(!second.contains(r#""deadline":"#), "{second}");
        assert_eq!(
            rust.lines().last(),
            Some(r#"{"error":"forced remove connection ban error"}"#)
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_client_matches_against_rust_fake_and_go_fake() {
    limit(async {
        let dir = TempDir::new("disp-gc-rustfake");
        // Without the crashing search: the Rust fake reports Go's panic as an error instead.
        let full = fake_script();
        let script: String = full
            .lines()
            .take_while(|l| *l != r#"{"call":"search"}"#)
            .map(|l| format!("{l}\n"))
            .collect();
        let go_server = GoServer::start(&dir, "go", "fake");
        let rust_socket = rust_server(&dir, "rust", Arc::new(FakeDispatcher::new())).await;
        let go = go_call(&dir, &go_server.socket, &script, 1).await;
        let rust = go_call(&dir, &rust_socket, &script, 1).await;
        assert_same("Go client: Go fake vs Rust fake", &script, &go, &rust);

        let crash = go_call(&dir, &rust_socket, "{\"call\":\"search\"}\n", 1).await;
        assert_eq!(
            crash,
            "{\"error\":\"fake dispatcher: Go panics here: runtime error: invalid memory address or nil pointer dereference\"}\n"
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_client_matches_against_rust_fixture_and_go_fixture() {
    limit(async {
        let dir = TempDir::new("disp-gc-rusttest");
        let go_server = GoServer::start(&dir, "go", "test");
        let rust_socket = rust_server(&dir, "rust", Arc::new(Fixture)).await;
        let go = go_call(&dir, &go_server.socket, FIXTURE_SCRIPT, 1).await;
        let rust = go_call(&dir, &rust_socket, FIXTURE_SCRIPT, 1).await;
        assert_same(
            "Go client: Go fixture vs Rust fixture",
            FIXTURE_SCRIPT,
            &go,
            &rust,
        );
        assert!(rust
            .lines()
            .next()
            .unwrap_or_default()
            .contains(r#""deadlineExists":true"#));
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_values_match_in_both_directions() {
    limit(async {
        let dir = TempDir::new("disp-big");
        let script = big_script();
        let go_a = GoServer::start(&dir, "go-a", "fake");
        let go_b = GoServer::start(&dir, "go-b", "fake");
        let rust_socket = rust_server(&dir, "rust", Arc::new(FakeDispatcher::new())).await;
        let go = go_call(&dir, &go_a.socket, &script, 1).await;
        let rust_client = rust_call(&go_b.socket, &script).await;
        let rust_server_out = go_call(&dir, &rust_socket, &script, 1).await;
        assert_same("big: Rust client", &script, &go, &rust_client);
        assert_same("big: Rust server", &script, &go, &rust_server_out);
        let lines: Vec<&str> = go.lines().collect();
        assert!(lines[1].len() > 1 << 20, "the 1 MiB string came back");
        assert_eq!(lines[2], r#"{"output":{"recordsAdded":10000}}"#);
        assert!(lines[3].contains(r#""id":"r9999""#) && !lines[3].contains(r#""id":"r9989""#));
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_values_inside_interfaces_render_like_go() {
    limit(async {
        let dir = TempDir::new("disp-time");
        let go_server = GoServer::start(&dir, "go", "fake");
        let rust_socket = rust_server(&dir, "rust", Arc::new(FakeDispatcher::new())).await;
        let t_utc = GoTime::from_unix(1_893_553_445, 6);
        let t_plus = GoTime {
            unix_secs: 1_893_553_445,
            nanos: 120_000_000,
            offset: Some(5 * 3600 + 30 * 60),
        };
        let nested = tilores_plugin::gob::json::interface_from_plain_json(&serde_json::json!({"k": 1}));
        let data = BTreeMap::from([
            ("utc".into(), Interface::from_concrete(t_utc)),
            ("plus".into(), Interface::from_concrete(t_plus)),
            ("zero".into(), Interface::from_concrete(GoTime::ZERO)),
            ("int64".into(), Interface::from(-7i64)),
            ("float32".into(), Interface::from(0.1f32)),
            ("bytes".into(), Interface::from(vec![1u8, 2, 3, 250])),
            ("nested".into(), nested),
        ]);
        let submit = SubmitInput {
            records: vec![Record::new("t", data)],
        };
        for socket in [&go_server.socket, &rust_socket] {
            let client = rust_client(socket).await;
            client
                .submit(CallContext::background(), submit.clone())
                .await
                .unwrap();
            // A search for the UTC time matches (Go compares UTC times equal after gob).
            let found = client
                .search(
                    CallContext::background(),
                    SearchInput {
                        parameters: Some(SearchParameters(BTreeMap::from([(
                            "utc".into(),
                            Interface::from_concrete(t_utc),
                        )]))),
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                found.entities.len(),
                1,
                "search by time on {}",
                socket.display()
            );
        }
        let script = "{\"call\":\"entity\",\"input\":{\"id\":\"t\"}}\n";
        let go = go_call(&dir, &go_server.socket, script, 1).await;
        let rust_reads_go = rust_call(&go_server.socket, script).await;
        let go_reads_rust = go_call(&dir, &rust_socket, script, 1).await;
        assert_eq!(
            go,
            "{\"output\":{\"entity\":{\"id\":\"t\",\"records\":[{\"id\":\"t\",\"data\":{\"bytes\":\"AQID+g==\",\"float32\":0.1,\"int64\":-7,\"nested\":{\"k\":1},\"plus\":\"2030-01-02T08:34:05.12+05:30\",\"utc\":\"2030-01-02T03:04:05.000000006Z\",\"zero\":\"0001-01-01T00:00:00Z\"}}],\"edges\":null,\"duplicates\":{},\"hits\":{}}}}\n"
        );
        assert_eq!(rust_reads_go, go);
        assert_eq!(go_reads_rust, go);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_callers() {
    limit(async {
        let dir = TempDir::new("disp-conc");
        let go_server = GoServer::start(&dir, "go", "test");
        let rust_socket = rust_server(&dir, "rust", Arc::new(Fixture)).await;
        // Without the deadline line: its output carries the wall-clock deadline, and the Go
        // peer compares its 64 outputs byte for byte.
        let script: String = FIXTURE_SCRIPT
            .lines()
            .filter(|l| !l.contains("deadline_ms"))
            .map(|l| format!("{l}\n"))
            .collect();
        let script = script.as_str();
        let expected = go_call(&dir, &go_server.socket, script, 1).await;
        assert_eq!(expected.lines().count(), 5);

        // 64 Rust callers sharing one connection to the Go server.
        let client = Arc::new(rust_client(&go_server.socket).await);
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let client = client.clone();
            let script = script.to_string();
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                run_script(
                    &*client,
                    script.as_bytes(),
                    &mut out,
                    &ScriptOptions::default(),
                )
                .await
                .map(|_| out)
            }));
        }
        for t in tasks {
            let out = t.await.expect("task").expect("script");
            assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
        }
        assert_eq!(client.rpc().pending_calls(), 0);

        // 64 Go goroutines sharing one Go client to the Rust server (the peer checks that all
        // 64 outputs are equal).
        let out = go_call(&dir, &rust_socket, script, 64).await;
        assert_eq!(out, expected);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_record_fails_like_go_without_breaking_the_connection() {
    limit(async {
        let dir = TempDir::new("disp-nil");
        let server = GoServer::start(&dir, "go", "fake");
        let script = "{\"call\":\"submit\",\"input\":{\"records\":[null]}}\n{\"call\":\"entity\",\"input\":{\"id\":\"x\"}}\n";
        let go = go_call(&dir, &server.socket, script, 1).await;
        // Go's client fails the call and corrupts its connection; the Rust client sends nothing.
        assert_eq!(
            go.lines().collect::<Vec<_>>(),
            [
                r#"{"error":"gob: encodeArray: nil element"}"#,
                r#"{"error":"unexpected EOF"}"#
            ]
        );
        let rust = rust_call(&server.socket, script).await;
        assert_eq!(
            rust.lines().collect::<Vec<_>>(),
            [
                r#"{"error":"gob: encodeArray: nil element"}"#,
                r#"{"output":{"entity":{"id":"x","records":null,"edges":null,"duplicates":{},"hits":{}}}}"#
            ]
        );
    })
    .await
}

/// A Go client whose gob encoder fails mid-request (a submit with a deadline and a `null`
/// record) leaves the request's header, and in one of Go's two map orders a torn message
/// whose interface type sequence runs on into the next request's header
/// (`go-interop/cmd/rpc-torn-request`). Go's server fails that request and, having read the
/// next header as part of it, then fails to read a header and closes the connection; the
/// Rust server must do the same (it answered the next call instead: found by
/// tests/dispatcher_random.rs, about 1 run in 20 of such a script).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_requests_of_a_failed_go_encode_end_the_connection_as_with_go() {
    limit(async {
        let dir = TempDir::new("disp-torn");
        // (seq, answered with an error) sorted by seq (the error reply may come first), and
        // whether the server closed the connection.
        async fn answers(socket: &Path, variant: &str) -> (Vec<(u64, bool)>, bool) {
            let out = tokio::process::Command::new(go_bin("rpc-torn-request"))
                .arg("-socket")
                .arg(socket)
                .args(["-variant", variant])
                .output()
                .await
                .expect("run rpc-torn-request");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "rpc-torn-request: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let mut replies = Vec::new();
            let mut closed = None;
            for line in stdout.lines() {
                let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
                match v.get("closed") {
                    Some(c) => closed = c.as_bool(),
                    None => replies.push((
                        v["seq"].as_u64().expect("seq"),
                        !v["error"].as_str().expect("error").is_empty(),
                    )),
                }
            }
            replies.sort_unstable();
            (replies, closed.expect("a closed line"))
        }
        for variant in ["input-first", "deadline-first"] {
            let go_server = GoServer::start(&dir, &format!("go-{variant}"), "fake");
            let rust_socket = rust_server(
                &dir,
                &format!("rust-{variant}"),
                Arc::new(FakeDispatcher::new()),
            )
            .await;
            let go = answers(&go_server.socket, variant).await;
            let rust = answers(&rust_socket, variant).await;
            // The first submit answered, the torn one failed, the third never answered.
            assert_eq!(
                go,
                (vec![(0, false), (1, true)], true),
                "Go server, {variant}"
            );
            assert_eq!(rust, go, "Rust server, {variant}");
        }
    })
    .await
}
