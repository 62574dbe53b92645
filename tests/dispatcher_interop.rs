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

use common::{go_bin, ChildGuard, TempDir};
use tilores_plugin::dispatcher::*;
use tilores_plugin::gob::{GoTime, Interface};
use tilores_plugin::rpc::Client;

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

/// The api test fixture (go-interop `internal/dispatchertest.TestDispatcher`) in Rust:
/// Entity's record reports the deadline it saw.
struct Fixture;

fn fixture_entity(data: InterfaceMap) -> Entity {
    Entity {
        id: "abcd".into(),
        records: vec![Record::new("12345", data)],
        edges: Edges(vec!["12345:12345:STATIC".into()]),
        duplicates: Some(Duplicates(BTreeMap::from([(
            "12345".to_string(),
            vec!["12345".to_string(), "duplicateID".to_string()],
        )]))),
        hits: Some(Hits(BTreeMap::from([(
            "12345".to_string(),
            vec!["someRuleName".to_string()],
        )]))),
    }
}

fn foo_bar() -> InterfaceMap {
    BTreeMap::from([("foo".to_string(), Interface::from("bar"))])
}

impl Dispatcher for Fixture {
    async fn entity(
        &self,
        call: CallContext,
        _: EntityInput,
    ) -> Result<EntityOutput, DispatchError> {
        let mut data = foo_bar();
        data.insert(
            "deadlineExists".into(),
            Interface::from(call.deadline.is_some()),
        );
        if let Some(d) = call.deadline {
            // Go: deadline.UTC().Format(time.RFC3339Nano).
            let utc = GoTime { offset: None, ..d };
            data.insert("deadline".into(), Interface::from(utc.to_rfc3339()));
        }
        Ok(EntityOutput {
            entity: Some(fixture_entity(data)),
        })
    }
    async fn submit(&self, _: CallContext, _: SubmitInput) -> Result<SubmitOutput, DispatchError> {
        Ok(SubmitOutput { records_added: 1 })
    }
    async fn search(&self, _: CallContext, _: SearchInput) -> Result<SearchOutput, DispatchError> {
        Ok(SearchOutput {
            entities: vec![fixture_entity(foo_bar())],
        })
    }
    async fn disassemble(
        &self,
        _: CallContext,
        _: DisassembleInput,
    ) -> Result<DisassembleOutput, DispatchError> {
        Ok(DisassembleOutput {
            deleted_edges: 1,
            deleted_records: 1,
            entity_ids: vec!["abcd".into()],
        })
    }
    async fn remove_connection_ban(
        &self,
        _: CallContext,
        _: RemoveConnectionBanInput,
    ) -> Result<(), DispatchError> {
        Err(DispatchError::new("forced remove connection ban error"))
    }
}

// -------------------------------------------------------------------------- masking

/// Replaces UUID-shaped substrings by `UUID` and RFC 3339 deadline strings by `DEADLINE`.
fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        if is_uuid(rest) {
            out.push_str("UUID");
            rest = &rest[36..];
        } else if let Some(after) = rest.strip_prefix("\"deadline\":\"") {
            let end = after.find('"').unwrap_or(after.len());
            out.push_str("\"deadline\":\"DEADLINE");
            rest = &after[end..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn is_uuid(s: &str) -> bool {
    s.len() >= 36
        && s.char_indices().take(36).all(|(j, c)| {
            if [8, 13, 18, 23].contains(&j) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Compares line by line with the script line in the message.
fn assert_same(what: &str, script: &str, go: &str, rust: &str) {
    let (go, rust) = (mask(go), mask(rust));
    let scripts: Vec<&str> = script.lines().filter(|l| !l.trim().is_empty()).collect();
    let (gl, rl): (Vec<&str>, Vec<&str>) = (go.lines().collect(), rust.lines().collect());
    for (i, (g, r)) in gl.iter().zip(&rl).enumerate() {
        let s: String = scripts.get(i).unwrap_or(&"?").chars().take(200).collect();
        assert_eq!(g, r, "{what}: line {} differs; script line: {s}", i + 1);
    }
    assert_eq!(gl.len(), rl.len(), "{what}: line counts differ");
    assert_eq!(go, rust, "{what}: outputs differ (newlines?)");
}

// -------------------------------------------------------------------------- scripts

/// All five methods with rich data and Go's error paths, for the fake dispatcher. Ends with
/// the search that crashes the Go fake (nil parameters with records stored); lines after
/// it show the client's connection errors.
fn fake_script() -> String {
    let lines = [
        r#"{"call":"entity","input":{"id":"empty"}}"#,
        r#"{"call":"search","input":{"parameters":{"isOdd":true}}}"#,
        r#"{"call":"submit","input":{"records":[{"id":"1","data":{"isOdd":true,"n":1,"name":"ünïcödé ✓ 😀 \u2028 \u0001 <&>","nested":{"list":[1,"two",null,{"deep":[[]]},[],{}],"nil":null,"big":123456789012345678901234567890,"small":1e-7,"neg":-0,"exp":1e21}},"empty":{}}]}}"#,
        r#"{"call":"submit","input":{"records":[{"id":"2","data":{"isOdd":false,"n":2}},{"id":"3","data":null},{"id":"4"},{"id":"5","data":{"isOdd":true,"n":"5"}}]}}"#,
        r#"{"call":"entity","input":{"id":"e1"},"deadline_ms":5000}"#,
        r#"{"call":"search","input":{"parameters":{"isOdd":true}}}"#,
        r#"{"call":"search","input":{"parameters":{"n":1}}}"#,
        r#"{"call":"search","input":{"parameters":{"n":"5","isOdd":false}}}"#,
        r#"{"call":"search","input":{"parameters":{"missing":null}}}"#,
        r#"{"call":"search","input":{"parameters":{"n":7}}}"#,
        r#"{"call":"search","input":{"parameters":{}}}"#,
        r#"{"call":"disassemble","input":{"reference":"ref","edges":[{"a":"1","b":"2"}],"recordIDs":["1"],"createConnectionBan":true,"meta":{"user":"u","reason":"why"},"timeout":1000000000}}"#,
        r#"{"call":"removeConnectionBan","input":{"reference":"ref","entityID":"e1","others":["e2"],"meta":{"user":"u","reason":"why"}}}"#,
        // Malformed lines and inputs: Go's encoding/json texts.
        "this is not json",
        r#"{"call":"entity","input":{"id":5}}"#,
        r#"{"call":5}"#,
        "[1,2]",
        "\"\\u00e9\"",
        "null",
        "-1.5e+3",
        "tru",
        r#"{"a":-}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":1e}"#,
        r#"{"call":"entity"} trailing"#,
        r#"{"call":"entity""#,
        r#"{"call":"entity",}"#,
        r#"{"call":"entity" "x"}"#,
        r#"{"call":"entity","input":{"id":"\x"}}"#,
        r#"{"call":"entity","input":{"id":"\u12"}}"#,
        "{\"call\":\"entity\",\"input\":{\"id\":\"tab\there\"}}",
        "{\"call\":\"entity\",\"input\":{\"id\":\"\u{e9}\"}, \u{e9}}",
        r#"{"call":"submit","input":{"records":[{"id":"r","data":[1]}]}}"#,
        r#"{"call":"submit","input":{"records":"x"}}"#,
        r#"{"call":"submit","input":{"records":[5]}}"#,
        r#"{"call":"submit","input":{"records":[{"id":"big","data":{"n":1e400}}]}}"#,
        r#"{"call":"search","input":{"parameters":[1]}}"#,
        r#"{"call":"disassemble","input":{"timeout":"5s"}}"#,
        r#"{"call":"disassemble","input":{"timeout":1.5}}"#,
        r#"{"call":"disassemble","input":{"edges":[{"a":1}]}}"#,
        r#"{"call":"disassemble","input":{"edges":[3]}}"#,
        r#"{"call":"disassemble","input":{"meta":{"user":true}}}"#,
        r#"{"call":"disassemble","input":{"createConnectionBan":"yes"}}"#,
        r#"{"call":"removeConnectionBan","input":{"others":[1]}}"#,
        r#"{"call":"removeConnectionBan","input":{"meta":[]}}"#,
        r#"{"call":"entity","input":{"id":"x"},"deadline_ms":"soon"}"#,
        r#"{"call":"entity","input":{"id":"x"},"deadline_ms":99999999999999999999}"#,
        r#"{"call":"frobnicate","input":{}}"#,
        r#"{"CALL":"entity","Input":{"ID":"case-insensitive keys"}}"#,
        r#"{"call":"entity","input":{"id":"a","id":"later wins"},"input":{"id":"last input wins"}}"#,
        r#"{"call":"entity","input":{"id":"\ud83d\ude00 \ud800 \udc00"}}"#,
        r#"{"call":"entity","input":null}"#,
        "   ",
        r#"{"call":"entity","input":{"id":"after blank"}}"#,
        // The Go fake panics here (nil *SearchParameters with records stored).
        r#"{"call":"search"}"#,
        r#"{"call":"entity","input":{"id":"after crash"}}"#,
    ];
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_matches_go_client_against_go_fixture() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_client_matches_against_rust_fake_and_go_fake() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_client_matches_against_rust_fixture_and_go_fixture() {
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
}

/// A script with a 1 MiB string and a submit of 10,000 records.
fn big_script() -> String {
    let big: String = "ü€x".repeat((1 << 20) / 6);
    let records: Vec<String> = (0..10_000)
        .map(|i| {
            format!(
                r#"{{"id":"r{i}","data":{{"i":{i},"odd":{},"s":"v{i}"}}}}"#,
                i % 2 == 1
            )
        })
        .collect();
    format!(
        "{}\n{}\n{}\n{}\n",
        format_args!(
            r#"{{"call":"submit","input":{{"records":[{{"id":"big","data":{{"s":"{big}"}}}}]}}}}"#
        ),
        r#"{"call":"entity","input":{"id":"with big"}}"#,
        format_args!(
            r#"{{"call":"submit","input":{{"records":[{}]}}}}"#,
            records.join(",")
        ),
        r#"{"call":"entity","input":{"id":"last ten"}}"#,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_values_match_in_both_directions() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_values_inside_interfaces_render_like_go() {
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
        ("utc".to_string(), Interface::from_concrete(t_utc)),
        ("plus".to_string(), Interface::from_concrete(t_plus)),
        ("zero".to_string(), Interface::from_concrete(GoTime::ZERO)),
        ("int64".to_string(), Interface::from(-7i64)),
        ("float32".to_string(), Interface::from(0.1f32)),
        ("bytes".to_string(), Interface::from(vec![1u8, 2, 3, 250])),
        ("nested".to_string(), nested),
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
                        "utc".to_string(),
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_callers() {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_record_fails_like_go_without_breaking_the_connection() {
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
}
