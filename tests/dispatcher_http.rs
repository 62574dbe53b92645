//! TiloRes' HTTP plugin protocol (tilores-plugin-api v0.7.x, tilotech/go-plugin v0.1.x)
//! against real Go peers built from the module proxy (go-interop/api/v0.7.0 and v0.7.1):
//! Go hosts ↔ the Rust fake and the Rust host ↔ the Go fake v0.6.0 give the transcript of Go
//! host ↔ Go fake v0.6.0; the wire answers (404/422/500, panics, deadlines) are the Go fake's
//! byte for byte; restart-and-retry, SIGTERM, the bounded ready wait and the socket's mode.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tilores_plugin::dispatcher::http::{
    serve_http, HttpClientConfig, HttpDispatcherClient, HttpError, HttpServerConfig, OutputTo,
    READY_TIMEOUT,
};
use tilores_plugin::dispatcher::*;
use tilores_plugin::plugin::PluginCommand;
use tilores_plugin_test_support::{
    env_u64, example_bin, go_bin, is_rfc3339, is_uuid_v4, limit, limit_sync, mask,
    run_command_with_stdin, ChildGuard, TempDir,
};

// The seeded PRNG only (`fill` is the mux suites' content function).
#[allow(dead_code)]
#[path = "common/seeded.rs"]
mod seeded;

const SCRIPT: &str = include_str!("data/http-transcript.jsonl");

fn rust_fake() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"))
}

fn go_fake() -> PathBuf {
    go_bin("tilores-plugin-fake-dispatcher-v0.6.0")
}

/// Runs go-interop's `dispatcher-http-host` of api `version` on `plugin` with the script;
/// its own TMPDIR, as go-plugin's socket is the fixed `$TMPDIR/dispatcher`.
fn go_host(version: &str, plugin: &Path) -> String {
    let tmp = TempDir::new("http-host");
    let out = run_command_with_stdin(
        Command::new(go_bin(&format!("api-{version}/dispatcher-http-host")))
            .arg("-plugin")
            .arg(plugin)
            .env("TMPDIR", tmp.path())
            .stderr(Stdio::inherit()),
        SCRIPT,
    );
    assert!(
        out.status.success(),
        "dispatcher-http-host {version} failed: {out:?}"
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The answer lines (JSON), the random Search ids replaced by `UUID` after checking each is
/// a version-4 UUID; the other lines are the plugin's own stdout.
fn answers(transcript: &str) -> Vec<String> {
    let id = "\"id\":\"";
    transcript
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            if !l.starts_with("{\"output\":{\"entities\":[{") {
                return l.to_string();
            }
            let at = l.find(id).expect("entity id") + id.len();
            let uuid = &l[at..at + 36];
            assert!(
                is_uuid_v4(uuid),
                "search entity id {uuid:?} is not a v4 UUID: {l}"
            );
            l.replacen(uuid, "UUID", 1)
        })
        .collect()
}

/// The Go reference: Go host (api v0.7.0) ↔ Go fake v0.6.0, with checks that it is the
/// transcript this script is about (so a broken setup cannot make two empty ones equal).
fn reference() -> Vec<String> {
    let t = go_host("v0.7.0", &go_fake());
    assert!(t.lines().any(|l| l == "plugin is ready"), "{t}");
    let a = answers(&t);
    assert_eq!(a.len(), SCRIPT.lines().count(), "{t}");
    for want in [
        r#"{"output":{"entities":[]}}"#,
        r#"{"output":{"entity":{"id":"e0","records":[],"edges":[],"duplicates":{},"hits":{}}}}"#,
        r#"{"output":{"recordsAdded":3}}"#,
        r#"{"error":"runtime error: comparing uncomparable type map[string]interface {}"}"#,
        r#"{"error":"runtime error: invalid memory address or nil pointer dereference"}"#,
        r#"{"error":"not implemented for fake dispatcher"}"#,
        r#"{"error":"unknown call: frobnicate"}"#,
    ] {
        assert!(
            a.iter().any(|l| l == want),
            "Go reference lacks {want}:\n{t}"
        );
    }
    assert_eq!(
        a.iter().filter(|l| l.contains("\"id\":\"UUID\"")).count(),
        2,
        "{t}"
    );
    a
}

#[test]
fn go_v07_hosts_get_the_go_fake_transcript_from_the_rust_fake() {
    limit_sync(|| {
        let want = reference();
        for version in ["v0.7.0", "v0.7.1"] {
            let got = go_host(version, &rust_fake());
            assert!(got.lines().any(|l| l == "plugin is ready"), "{got}");
            assert_eq!(answers(&got), want, "Go host {version} → Rust fake");
        }
    })
}

#[test]
fn rust_host_gets_the_go_host_transcript_from_the_go_fake() {
    limit_sync(|| {
        let want = reference();
        for protocol in ["auto", "http"] {
            let out = run_command_with_stdin(
                Command::new(env!("CARGO_BIN_EXE_tilores-plugin"))
                    .args(["dispatch", "--protocol", protocol, "--plugin"])
                    .arg(go_fake())
                    .stderr(Stdio::piped()),
                SCRIPT,
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{stdout}\n{stderr}");
            // The plugin's stdout goes to stderr, keeping stdout for the answers.
            assert!(stderr.lines().any(|l| l == "plugin is ready"), "{stderr}");
            assert_eq!(answers(&stdout), want, "--protocol {protocol}:\n{stderr}");
        }
    })
}

/// Starts `plugin` with `PLUGIN_SOCKET` and waits (bounded) for `plugin is ready`.
fn start_plugin(plugin: &Path, socket: &Path) -> ChildGuard {
    let mut child = Command::new(plugin)
        .env("PLUGIN_SOCKET", socket)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start plugin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next();
        let _ = tx.send(first);
        for _ in lines {}
    });
    let first = rx.recv_timeout(READY_TIMEOUT).expect("ready line in time");
    assert_eq!(first.expect("a line").expect("utf-8"), "plugin is ready");
    ChildGuard(child)
}

/// One raw HTTP/1.1 request on a fresh connection; the status code and body.
fn raw_post(socket: &Path, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = std::os::unix::net::UnixStream::connect(socket).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: plugin\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // One write: a server may answer (404) from the head alone and close, and a second write
    // would then race its close. A write error is left to the read below to explain.
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let wrote = s.write_all(&request);
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)
        .unwrap_or_else(|e| panic!("read answer to {path} (write: {wrote:?}): {e}"));
    let text = String::from_utf8_lossy(&answer).to_string();
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let split = text.find("\r\n\r\n").expect("end of head") + 4;
    let head = &text[..split];
    let mut body = answer[split..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&b[..eol]).expect("size"), 16)
            .expect("hex size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 4 + size..];
    }
}

/// Requests a Go host cannot send (its proxy only sends well-formed ones) and the answers
/// they get: the Go fake v0.6.0 and the Rust fake must answer each byte for byte alike.
const WIRE_CASES: &[(&str, &str)] = &[
    ("/frobnicate", r#"{"Payload":{}}"#),
    ("/Entity?x=1", ""),
    ("/entity", "this is not json"),
    ("/entity", ""),
    ("/entity", "   "),
    ("/entity", r#"{"Payload":{"id":"e"}"#),
    ("/entity", r#"{"Payload":{"id":5}}"#),
    ("/entity", r#"{"Payload":"x"}"#),
    ("/entity", r#"[1,2]"#),
    ("/entity", r#"{"Context":5,"Payload":{}}"#),
    ("/entity", r#"{"Context":{"Deadline":"x"},"Payload":{}}"#),
    (
        "/entity",
        r#"{"Context":{"Deadline":"2026-13-01T00:00:00Z"},"Payload":{}}"#,
    ),
    ("/entity", r#"{"Context":{"Deadline":5},"Payload":{}}"#),
    (
        "/entity",
        r#"{"Context":{"Deadline":"2026-12-07T01:46:55.818854786+01:00"},"Payload":{"id":"d<&>"}}"#,
    ),
    (
        "/entity",
        r#"{"Context":{"Deadline":null},"payload":{"ID":"case"}} trailing garbage"#,
    ),
    ("/entity", r#"{"Payload":null}"#),
    ("/removeconnectionban", r#"{"Payload":null}"#),
    (
        "/submit",
        r#"{"Payload":{"records":[{"id":"1","data":{"k":[],"m":{}}}]}}"#,
    ),
    ("/search", r#"{"Payload":{}}"#),
    ("/search", r#"{"Payload":{"parameters":{"k":"x"}}}"#),
    ("/disassemble", r#"{"Payload":{"timeout":"x"}}"#),
    ("/removeconnectionban", r#"{"Payload":{"others":["a"]}}"#),
    ("/entity", r#"{"Payload":{}}"#),
];

#[test]
fn wire_answers_equal_the_go_fake() {
    limit_sync(|| {
        let mut transcripts = Vec::new();
        for plugin in [go_fake(), rust_fake()] {
            let dir = TempDir::new("http-wire");
            let socket = dir.path().join("dispatcher");
            let _guard = start_plugin(&plugin, &socket);
            let t: Vec<(u16, String)> = WIRE_CASES
                .iter()
                .map(|(path, body)| {
                    let (status, answer) = raw_post(&socket, path, body.as_bytes());
                    (status, String::from_utf8_lossy(&answer).to_string())
                })
                .collect();
            transcripts.push(t);
        }
        let (go, rust) = (&transcripts[0], &transcripts[1]);
        let differ: Vec<String> = WIRE_CASES
            .iter()
            .enumerate()
            .filter(|(i, _)| rust[*i] != go[*i])
            .map(|(i, case)| format!("{case:?}: Go {:?}, Rust {:?}", go[i], rust[i]))
            .collect();
        assert!(differ.is_empty(), "answers differ:\n{}", differ.join("\n"));
        // What the cases are about, so that a change on both sides cannot go unnoticed.
        let statuses: Vec<u16> = go.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            statuses,
            [
                404, 404, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 200, 200, 500,
                500, 200, 500, 200, 422, 500, 200
            ]
        );
        assert_eq!(go[0].1, "\"invalid method /frobnicate\"\n");
        assert_eq!(go[1].1, "\"invalid method /Entity\"\n");
        assert_eq!(go[3].1, "\"EOF\"\n");
        assert_eq!(go[5].1, "\"unexpected EOF\"\n");
        assert!(go[18].1.contains("nil pointer dereference"), "{}", go[18].1);
    })
}

/// Valid requests of every method, the starting points of the random requests below.
const RANDOM_BASES: &[(&str, &str)] = &[
    (
        "/submit",
        r#"{"Context":{"Deadline":"2099-01-01T00:00:00Z"},"Payload":{"records":[{"id":"1","data":{"isOdd":true,"n":1,"name":"ünï <&>","nested":{"list":[1,"two",null,{"deep":[[]]}],"big":1e21}}},{"id":"2","data":{"isOdd":false,"n":2,"s":"x"}},{"id":"3","data":null}]}}"#,
    ),
    (
        "/entity",
        r#"{"Context":{"Deadline":"2099-01-01T00:00:00Z"},"Payload":{"id":"e1"}}"#,
    ),
    (
        "/search",
        r#"{"Payload":{"parameters":{"isOdd":true,"n":1}}}"#,
    ),
    (
        "/disassemble",
        r#"{"Payload":{"reference":"ref","edges":[{"a":"1","b":"2"}],"recordIDs":["1","2"],"createConnectionBan":true,"meta":{"user":"u","reason":"why"},"timeout":1000000000}}"#,
    ),
    (
        "/removeconnectionban",
        r#"{"Payload":{"reference":"ref","entityID":"e1","others":["e2","e3"],"meta":{"user":"u","reason":"why"}}}"#,
    ),
];

/// JSON tokens the mutations put in: every type, numbers at float64's edges, escapes Go
/// treats specially (a lone surrogate, `ſ` and the Kelvin sign that fold to `s` and `k`).
const RANDOM_TOKENS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-0",
    "1",
    "-1",
    "1.5",
    "1e400",
    "-1e400",
    "5e-324",
    "9223372036854775808",
    "01",
    "1.",
    "-",
    "\"\"",
    "\"x\"",
    "\"\\u00e9\"",
    "\"\\ud800\"",
    "\"\\u017f\"",
    "\"\\u212a\"",
    "\"2026-12-07T00:00:00Z\"",
    "\"1999-01-01T00:00:00Z\"",
    "[]",
    "{}",
    "[1,\"a\",null]",
    "{\"k\":1}",
    "{\"isOdd\":[]}",
    "\"\\x\"",
    "\u{2028}",
    "\u{0}",
];

/// A JSON text's tokens as byte ranges: strings (with escapes), literals and numbers (runs of
/// other non-space bytes), and each structural byte alone.
fn json_tokens(b: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'{' | b'}' | b'[' | b']' | b':' | b',' => i += 1,
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
            }
            _ => {
                while i < b.len() && !b" \t\n\r{}[]:,\"".contains(&b[i]) {
                    i += 1;
                }
            }
        }
        out.push(start..i);
    }
    out
}

/// One seeded mutation of a request body, and what it did (for the failure message).
fn mutate_body(rng: &mut seeded::Rng, body: &mut Vec<u8>) -> String {
    let tokens = json_tokens(body);
    let pick = |rng: &mut seeded::Rng| {
        tokens[rng
            .below_usize(tokens.len().max(1))
            .min(tokens.len().saturating_sub(1))]
        .clone()
    };
    match rng.below(9) {
        8 => {
            // An escape inside a string: the same text to a JSON decoder, other bytes to
            // Go's `Time.UnmarshalJSON` (which parses them unescaped).
            let strings: Vec<_> = tokens
                .iter()
                .filter(|t| t.len() >= 3 && body[t.start] == b'"' && body[t.end - 1] == b'"')
                .cloned()
                .collect();
            if strings.is_empty() {
                return "no string to escape".into();
            }
            let t = strings[rng.below_usize(strings.len())].clone();
            let at = t.start + 1 + rng.below_usize(t.len() - 2);
            let c = body[at];
            if !c.is_ascii() || c == b'\\' || c == b'"' {
                return format!("no escape at {at}");
            }
            let esc = match rng.below(3) {
                0 => format!("\\u{:04x}", c),
                1 => format!("\\u{:04X}", c),
                _ => format!("\\/{}", char::from(c)),
            };
            body.splice(at..at + 1, esc.clone().into_bytes());
            format!("escape byte {at} as {esc}")
        }
        0 | 1 if !tokens.is_empty() => {
            let t = pick(rng);
            let new = RANDOM_TOKENS[rng.below_usize(RANDOM_TOKENS.len())];
            body.splice(t.clone(), new.bytes());
            format!("replace {t:?} with {new}")
        }
        2 if !tokens.is_empty() => {
            let t = pick(rng);
            body.drain(t.clone());
            format!("delete {t:?}")
        }
        3 if !tokens.is_empty() => {
            let t = pick(rng);
            let copy = body[t.clone()].to_vec();
            body.splice(t.end..t.end, copy);
            format!("duplicate {t:?}")
        }
        4 if !tokens.is_empty() => {
            // A key (or any string) in another case, or with a folding letter (Go matches
            // keys to fields case-insensitively).
            let t = pick(rng);
            let text = String::from_utf8_lossy(&body[t.clone()]).to_string();
            let new = match rng.below(4) {
                0 => text.to_uppercase(),
                1 => text.to_lowercase(),
                2 => text.replacen('s', "ſ", 1).replacen('k', "\u{212a}", 1),
                _ => text.replacen('i', "ı", 1),
            };
            body.splice(t.clone(), new.bytes());
            format!("recase {t:?} as {new}")
        }
        5 => {
            let at = rng.below_usize(body.len() + 1);
            body.truncate(at);
            format!("truncate at {at}")
        }
        6 if !body.is_empty() => {
            let at = rng.below_usize(body.len());
            let byte = b"{}[]\":,0123456789-+.eEtfnulrs \\\x00\x7f\xff\xc3"[rng.below_usize(30)];
            body[at] = byte;
            format!("set byte {at} to {byte:#04x}")
        }
        _ => {
            let at = rng.below_usize(body.len() + 1);
            let new = RANDOM_TOKENS[rng.below_usize(RANDOM_TOKENS.len())];
            let sep = if rng.below(2) == 0 { "," } else { "" };
            body.splice(at..at, format!("{sep}{new}").into_bytes());
            format!("insert {sep}{new} at {at}")
        }
    }
}

/// Seeded random requests (valid ones of every method, mutated 0-3 times: tokens replaced,
/// deleted, duplicated or recased, bytes set, truncation) sent to the Go fake v0.6.0 and to
/// the Rust fake in the same order: every answer (status and body, ids masked) must be the
/// same. `HTTPRAND_SEED` (first seed, default 1) and `HTTPRAND_SEEDS` (default 12, 16
/// requests each) run more.
#[test]
fn random_wire_answers_equal_the_go_fake() {
    let (first, seeds) = (env_u64("HTTPRAND_SEED", 1), env_u64("HTTPRAND_SEEDS", 12));
    limit_sync(|| {
        let dir = TempDir::new("http-random");
        let (go_socket, rust_socket) = (dir.path().join("go"), dir.path().join("rust"));
        let _go = start_plugin(&go_fake(), &go_socket);
        let _rust = start_plugin(&rust_fake(), &rust_socket);
        let mut requests = 0;
        for seed in first..first + seeds {
            let mut rng = seeded::Rng(seed);
            for n in 0..16 {
                let (path, base) = RANDOM_BASES[rng.below_usize(RANDOM_BASES.len())];
                let mut body = base.as_bytes().to_vec();
                let steps: Vec<String> = (0..rng.below(4))
                    .map(|_| mutate_body(&mut rng, &mut body))
                    .collect();
                let go = raw_post(&go_socket, path, &body);
                let rust = raw_post(&rust_socket, path, &body);
                let text = |a: &(u16, Vec<u8>)| (a.0, mask(&String::from_utf8_lossy(&a.1)));
                assert_eq!(
                    text(&rust),
                    text(&go),
                    "seed {seed}, request {n}: POST {path} {:?} (from {base} by {steps:?})",
                    String::from_utf8_lossy(&body)
                );
                requests += 1;
            }
        }
        eprintln!("random_wire_answers_equal_the_go_fake: seeds {first}..{}, {requests} requests, all alike", first + seeds);
    })
}

/// An unknown path with a 100 KiB body the handler never reads (more than hyper's first read):
/// the Rust fake reads the rest before answering, as Go's server reads an unread body after
/// its handler (up to 256 KiB); answering and closing at once left bytes unread, and closing
/// a unix socket with unread bytes makes the client's read fail with ECONNRESET after the
/// complete answer (this test failed that way, and `wire_answers_equal_the_go_fake` now and
/// then under load). Go's server gets there by a 500 ms linger before its close, which a
/// loaded machine can outlast, so only the Rust fake is held to it here.
#[test]
fn an_unread_body_does_not_reset_the_connection() {
    limit_sync(|| {
        let body = format!(r#"{{"Payload":{{"id":"{}"}}}}"#, "x".repeat(100 << 10));
        let dir = TempDir::new("http-unread");
        let socket = dir.path().join("dispatcher");
        let _guard = start_plugin(&rust_fake(), &socket);
        for _ in 0..3 {
            let (status, answer) = raw_post(&socket, "/frobnicate", body.as_bytes());
            assert_eq!(status, 404);
            assert_eq!(answer, b"\"invalid method /frobnicate\"\n");
        }
    })
}

/// A provider whose RemoveConnectionBan succeeds and whose Entity reports the deadline it saw
/// (and panics for id `panic`), served in process.
struct Probe;

impl Dispatcher for Probe {
    async fn entity(
        &self,
        call: CallContext,
        input: EntityInput,
    ) -> Result<EntityOutput, DispatchError> {
        if input.id == "panic" {
            panic!("probe panicked");
        }
        let seen = call
            .deadline
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "none".into());
        Ok(EntityOutput {
            entity: Some(Entity {
                id: seen,
                ..Entity::default()
            }),
        })
    }
    async fn submit(
        &self,
        _: CallContext,
        input: SubmitInput,
    ) -> Result<SubmitOutput, DispatchError> {
        Ok(SubmitOutput {
            records_added: input.records.len() as i64,
        })
    }
    async fn search(&self, _: CallContext, _: SearchInput) -> Result<SearchOutput, DispatchError> {
        Ok(SearchOutput::default())
    }
    async fn disassemble(
        &self,
        _: CallContext,
        _: DisassembleInput,
    ) -> Result<DisassembleOutput, DispatchError> {
        Err(DispatchError::new("no <disassemble>"))
    }
    async fn remove_connection_ban(
        &self,
        _: CallContext,
        _: RemoveConnectionBanInput,
    ) -> Result<(), DispatchError> {
        Ok(())
    }
}

#[test]
fn provider_answers_rcb_null_deadlines_panics_and_limits() {
    limit_sync(|| {
        let dir = TempDir::new("http-probe");
        let socket = dir.path().join("probe");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let listener = rt
            .block_on(async { tokio::net::UnixListener::bind(&socket) })
            .expect("bind");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut config = HttpServerConfig::default();
        config.max_body = 2048;
        let server = rt.spawn(serve_http(Arc::new(Probe), listener, config, async {
            let _ = stopped.await;
        }));
        let post = |path: &str, body: &str| raw_post(&socket, path, body.as_bytes());
        assert_eq!(
            post("/removeconnectionban", r#"{"Payload":{}}"#),
            (200, b"null\n".to_vec())
        );
        assert_eq!(
            post("/entity", r#"{"Context":{"Deadline":"2026-12-07T01:46:55.5+01:00"},"Payload":{}}"#),
            (200, br#"{"entity":{"id":"2026-12-07T01:46:55.5+01:00","records":null,"edges":null,"duplicates":null,"hits":null}}"#.iter().copied().chain(*b"\n").collect())
        );
        assert_eq!(post("/entity", r#"{"Payload":{}}"#).1, b"{\"entity\":{\"id\":\"none\",\"records\":null,\"edges\":null,\"duplicates\":null,\"hits\":null}}\n");
        assert_eq!(
            post("/entity", r#"{"Payload":{"id":"panic"}}"#),
            (500, b"\"probe panicked\"\n".to_vec())
        );
        assert_eq!(
            post("/disassemble", r#"{}"#),
            (500, b"\"no \\u003cdisassemble\\u003e\"\n".to_vec())
        );
        let big = format!(r#"{{"Payload":{{"id":"{}"}}}}"#, "x".repeat(4000));
        assert_eq!(
            post("/entity", &big),
            (422, b"\"http: request body too large\"\n".to_vec())
        );
        // Nesting: 512 levels are decoded (on a 2 MiB worker stack), deeper is refused with
        // the text of Go's depth error (Go's own limit is 10,000; see the server docs).
        let nested = |levels: usize| {
            // The envelope holds the data 5 levels deep.
            let n = levels - 5;
            format!(
                r#"{{"Payload":{{"records":[{{"id":"1","data":{{"a":{}{}}}}}]}}}}"#,
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        assert_eq!(
            post("/submit", &nested(512)),
            (200, b"{\"recordsAdded\":1}\n".to_vec())
        );
        assert_eq!(
            post("/submit", &nested(513)),
            (
                422,
                b"\"invalid character '[' exceeded max depth\"\n".to_vec()
            )
        );
        // The server survived all of it.
        assert_eq!(
            post("/submit", r#"{"Payload":{"records":[{"id":"1"}]}}"#).1,
            b"{\"recordsAdded\":1}\n"
        );
        let _ = stop.send(());
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), server).await })
            .expect("server stops on shutdown")
            .expect("join");
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_host_restarts_a_killed_plugin_and_retries_once() {
    limit(async {
        let dir = TempDir::new("http-restart");
        let mut config = HttpClientConfig::default();
        config.socket = dir.path().join("dispatcher");
        config.stdout = OutputTo::Discard;
        let plugin = HttpDispatcherClient::start(PluginCommand::new(go_fake()), config)
            .await
            .expect("start the Go fake v0.6.0");
        let input = SubmitInput {
            records: vec![Record::new("1", Default::default())],
        };
        let added = plugin
            .submit(CallContext::background(), input)
            .await
            .expect("submit");
        assert_eq!(added.records_added, 1);
        let e = plugin
            .entity(CallContext::background(), EntityInput { id: "a".into() })
            .await
            .expect("entity");
        assert_eq!(e.entity.expect("entity").records.len(), 1);
        let first = plugin.pid().await.expect("pid");
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(first as i32),
            nix::sys::signal::SIGKILL,
        )
        .expect("kill");
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The call finds the plugin gone, starts a new one and retries: a fresh fake.
        let e = plugin
            .entity(CallContext::background(), EntityInput { id: "b".into() })
            .await
            .expect("entity after the restart");
        let e = e.entity.expect("entity");
        assert_eq!((e.id.as_str(), e.records.len()), ("b", 0));
        let second = plugin.pid().await.expect("pid");
        assert_ne!(first, second, "a new plugin process");
        plugin.terminate().await;
        assert!(plugin.pid().await.is_none());
        // Terminated: the next call restarts it once more (go-plugin does the same).
        let err = plugin
            .disassemble(CallContext::background(), DisassembleInput::default())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "not implemented for fake dispatcher");
        plugin.terminate().await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_wait_is_bounded_and_a_dead_plugin_fails_fast() {
    limit(async {
        assert_eq!(READY_TIMEOUT, Duration::from_secs(10));
        let dir = TempDir::new("http-ready");
        let mut config = HttpClientConfig::default();
        config.socket = dir.path().join("dispatcher");
        config.ready_timeout = Duration::from_secs(1);
        config.stdout = OutputTo::Discard;
        let started = Instant::now();
        let silent = PluginCommand::new("sleep").arg("30");
        let err = HttpDispatcherClient::start(silent, config.clone())
            .await
            .unwrap_err();
        assert!(matches!(err, HttpError::NotReady(_)), "{err}");
        assert_eq!(err.to_string(), "could not start plugin within 1 seconds");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let started = Instant::now();
        let err = HttpDispatcherClient::start(PluginCommand::new("true"), config)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "plugin failed to start");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    })
    .await
}

/// Both fakes: private socket (umask 0077), SIGTERM ends the process with status 0 and the
/// socket file goes (Go's listener `Close` unlinks it).
#[test]
fn sigterm_ends_the_fakes_and_their_sockets_are_private() {
    limit_sync(|| {
        for plugin in [go_fake(), rust_fake()] {
            let dir = TempDir::new("http-term");
            let socket = dir.path().join("dispatcher");
            let mut guard = start_plugin(&plugin, &socket);
            let mode = std::fs::metadata(&socket)
                .expect("socket")
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o777,
                0o700,
                "{}: umask 0077: {mode:o}",
                plugin.display()
            );
            assert_eq!(
                raw_post(&socket, "/entity", br#"{"Payload":{"id":"x"}}"#).0,
                200
            );
            let pid = nix::unistd::Pid::from_raw(guard.0.id() as i32);
            nix::sys::signal::kill(pid, nix::sys::signal::SIGTERM).expect("SIGTERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            let status = loop {
                if let Some(s) = guard.0.try_wait().expect("wait") {
                    break s;
                }
                assert!(
                    Instant::now() < deadline,
                    "{} did not end within 5 s of SIGTERM",
                    plugin.display()
                );
                std::thread::sleep(Duration::from_millis(20));
            };
            assert!(status.success(), "{}: {status}", plugin.display());
            assert!(
                !socket.exists(),
                "{}: the socket file is removed",
                plugin.display()
            );
        }
    })
}

#[test]
fn the_fake_picks_its_protocol_from_the_environment() {
    limit_sync(|| {
        // No PLUGIN_SOCKET, no cookie: go-plugin's "this is a plugin" refusal (net/rpc side).
        let out = Command::new(rust_fake())
            .env_remove("PLUGIN_SOCKET")
            .output()
            .expect("run");
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("plugin"),
            "{out:?}"
        );
        // The cookie wins over PLUGIN_SOCKET: the go-plugin handshake line.
        let dir = TempDir::new("http-env");
        let mut child = Command::new(rust_fake())
            .env("PLUGIN_SOCKET", dir.path().join("s"))
            .env("DISPATCHER_PLUGIN", "opsPsgZd3qsXpjgj69j5")
            .env("TMPDIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("line");
        let _guard = ChildGuard(child);
        assert!(first.starts_with("1|1|unix|"), "{first:?}");
    })
}

/// Calls with every input field, strings needing Go's escapes, numbers needing Go's float
/// formatting, and empty arrays beside `null`s (Go's host re-encodes `[]` as `[]`).
const REQUEST_SCRIPT: &str = r#"{"call":"entity","input":{"id":"e<1>&"}}
{"call":"entity","input":{"id":"e2"},"deadline_ms":5000}
{"call":"submit","input":{"records":[{"id":"1","data":{"f":1.5,"big":1e21,"small":1e-7,"s":"a<b>&\u2028é","b":true,"n":null,"m":{"k":[1,"x",null]}}},{"id":"2","data":null}]}}
{"call":"search","input":{"parameters":{"k":"v","n":2}}}
{"call":"search","input":{}}
{"call":"submit","input":{"records":[]}}
{"call":"submit","input":{"records":[{"id":"3","data":{"e":[],"n":null,"m":{"a":[[]]}}}],"Records":[{"id":"4","data":{"e":[]}}]}}
{"call":"disassemble","input":{"reference":"r","edges":[],"recordIDs":null}}
{"call":"disassemble","input":{"reference":"r","edges":[{"a":"1","b":"2"}],"recordIDs":["1"],"createConnectionBan":true,"meta":{"user":"u","reason":"why"},"timeout":1500000000}}
{"call":"removeConnectionBan","input":{"reference":"r","entityID":"e","others":["o"],"meta":{"user":"u","reason":"r"}}}
"#;

/// Runs `host` (a command line) with REQUEST_SCRIPT against the recorder plugin; returns its
/// answer lines and the recorded requests, deadlines checked as RFC 3339 and masked.
fn recorded(host: &mut Command) -> (Vec<String>, Vec<String>) {
    let dir = TempDir::new("http-rec");
    let file = dir.path().join("requests");
    let out = run_command_with_stdin(
        host.env("TMPDIR", dir.path())
            .env("HTTP_RECORD_FILE", &file)
            .stderr(Stdio::inherit()),
        REQUEST_SCRIPT,
    );
    assert!(out.status.success(), "{out:?}");
    let answers = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(str::to_string)
        .collect();
    let requests = std::fs::read_to_string(&file)
        .expect("recorded requests")
        .lines()
        .map(|l| {
            let key = r#""Deadline":""#;
            match l.find(key) {
                None => l.to_string(),
                Some(at) => {
                    let start = at + key.len();
                    let end = start + l[start..].find('"').expect("end of deadline");
                    let t = &l[start..end];
                    assert!(is_rfc3339(t), "deadline {t:?} is not RFC 3339");
                    format!("{}T{}", &l[..start], &l[end..])
                }
            }
        })
        .collect();
    (answers, requests)
}

#[test]
fn go_and_rust_hosts_send_the_same_requests() {
    limit_sync(|| {
        let recorder = example_bin("http_recorder_plugin");
        let (go_answers, go_requests) = recorded(
            Command::new(go_bin("api-v0.7.0/dispatcher-http-host"))
                .arg("-plugin")
                .arg(&recorder),
        );
        let (rust_answers, rust_requests) = recorded(
            Command::new(env!("CARGO_BIN_EXE_tilores-plugin"))
                .args([
                    "dispatch",
                    "--protocol",
                    "http",
                    "--deadline-ms",
                    "0",
                    "--plugin",
                ])
                .arg(&recorder),
        );
        assert_eq!(go_requests.len(), 10, "{go_requests:#?}");
        // Go's host re-encodes the `[]` of a script's input as `[]`, its `null` as `null`.
        assert_eq!(
            go_requests[5],
            r#"/submit {"Context":{"Deadline":null},"Payload":{"records":[]}}"#
        );
        assert_eq!(
            go_requests[7],
            r#"/disassemble {"Context":{"Deadline":null},"Payload":{"reference":"r","edges":[],"recordIDs":null,"createConnectionBan":false,"meta":{"user":"","reason":""},"timeout":null}}"#
        );
        assert_eq!(rust_requests, go_requests);
        assert_eq!(
            go_requests[0],
            r#"/entity {"Context":{"Deadline":null},"Payload":{"id":"e\u003c1\u003e\u0026"}}"#
        );
        assert_eq!(
            go_requests[1],
            r#"/entity {"Context":{"Deadline":"T"},"Payload":{"id":"e2"}}"#
        );
        // The deadline arrived where the Go host set one.
        assert_eq!(go_answers[1], rust_answers[1]);
        assert!(
            go_answers[1].contains(r#""id":"deadline""#),
            "{go_answers:?}"
        );
        assert!(go_answers[0].contains(r#""id":"none""#), "{go_answers:?}");
        // RemoveConnectionBan's 200 null: Go's own proxy fails on it (nil response target);
        // the Rust host reports success.
        assert_eq!(go_answers[9], r#"{"error":"json: Unmarshal(nil)"}"#);
        assert_eq!(rust_answers[9], r#"{"output":null}"#);
        assert_eq!(go_answers[..9], rust_answers[..9]);
    })
}

/// Reads one HTTP/1.1 answer with a Content-Length from `s`; `None` at EOF.
fn read_answer(s: &mut std::os::unix::net::UnixStream) -> Option<(u16, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(0) | Err(_) => return None,
            Ok(_) => head.push(byte[0]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))?
        .trim()
        .parse()
        .ok()?;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some((status, body))
}

#[test]
fn idle_connections_stay_open_and_slow_headers_are_cut() {
    limit_sync(|| {
        let dir = TempDir::new("http-idle");
        let socket = dir.path().join("probe");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let listener = rt
            .block_on(async { tokio::net::UnixListener::bind(&socket) })
            .expect("bind");
        let mut config = HttpServerConfig::default();
        config.header_read_timeout = Duration::from_millis(300);
        config.body_read_timeout = Duration::from_millis(300);
        let _server = rt.spawn(serve_http(
            Arc::new(Probe),
            listener,
            config,
            std::future::pending(),
        ));
        let request =
            b"POST /submit HTTP/1.1\r\nHost: plugin\r\nContent-Length: 14\r\n\r\n{\"Payload\":{}}";
        let mut s = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        for _ in 0..2 {
            s.write_all(request).expect("write");
            assert_eq!(
                read_answer(&mut s),
                Some((200, b"{\"recordsAdded\":0}\n".to_vec()))
            );
            // Idle for longer than the header timeout: Go keeps such connections, so do we.
            std::thread::sleep(Duration::from_millis(700));
        }
        // A request whose headers stall is cut after the header timeout.
        let started = Instant::now();
        s.write_all(b"POST /submit HTTP/1.1\r\nHost: plu")
            .expect("write");
        assert_eq!(read_answer(&mut s), None);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_secs(3),
            "{took:?}"
        );
        // A body that stalls is answered 422 after the body timeout and the connection closed.
        let mut s = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        s.write_all(b"POST /submit HTTP/1.1\r\nHost: plugin\r\nContent-Length: 100\r\n\r\n{\"Pay")
            .expect("write");
        let started = Instant::now();
        assert_eq!(
            read_answer(&mut s),
            Some((422, b"\"i/o timeout reading the request body\"\n".to_vec()))
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(read_answer(&mut s), None, "closed after the answer");
    })
}

/// The Rust host facing a plugin that misbehaves on the wire: the "plugin" is a shell that
/// says `plugin is ready`, and the test serves its socket with a hostile server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_host_bounds_a_hostile_plugin() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    limit(async {
        let dir = TempDir::new("http-hostile");
        let socket = dir.path().join("dispatcher");
        let mut config = HttpClientConfig::default();
        config.socket = socket.clone();
        config.timeout = Duration::from_millis(500);
        config.max_answer = 1024;
        config.stdout = OutputTo::Discard;
        let cmd = PluginCommand::new("sh").arg("-c").arg("echo plugin is ready; exec sleep 60");
        let plugin = HttpDispatcherClient::start(cmd, config).await.expect("start");
        let pid = plugin.pid().await.expect("pid");
        let listener = tokio::net::UnixListener::bind(&socket).expect("bind");
        // Each accepted connection: read the request head, then answer per the mode.
        let mode = Arc::new(std::sync::Mutex::new("stall"));
        let m = mode.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else { return };
                let what = *m.lock().expect("mode");
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let answer: Vec<u8> = match what {
                        "stall" => {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            return;
                        }
                        "huge" => {
                            let mut a = b"HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n".to_vec();
                            a.extend(std::iter::repeat_n(b' ', 64 * 1024));
                            let _ = s.write_all(&a).await;
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            return;
                        }
                        "object-error" => b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
                        "garbage" => b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnope!".to_vec(),
                        _ => return, // "hangup": close without an answer
                    };
                    let _ = s.write_all(&answer).await;
                });
            }
        });
        let entity = || plugin.entity(CallContext::background(), EntityInput { id: "x".into() });
        let started = Instant::now();
        let err = entity().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "Post \"http://plugin/entity\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        );
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert_eq!(plugin.pid().await, Some(pid), "a timeout is not retried");
        *mode.lock().expect("mode") = "huge";
        assert_eq!(entity().await.unwrap_err().to_string(), "plugin answer exceeds 1024 bytes");
        *mode.lock().expect("mode") = "object-error";
        assert_eq!(
            entity().await.unwrap_err().to_string(),
            "json: cannot unmarshal object into Go value of type string"
        );
        *mode.lock().expect("mode") = "garbage";
        assert!(entity().await.is_err());
        assert_eq!(plugin.pid().await, Some(pid), "answers are never retried");
        *mode.lock().expect("mode") = "hangup";
        // Gone: restarted (the new "plugin" removed the hostile socket) and retried once.
        let err = entity().await.unwrap_err().to_string();
        assert!(err.starts_with("Post \"http://plugin/entity\": dial unix "), "{err}");
        assert_ne!(plugin.pid().await, Some(pid), "the plugin was restarted");
        plugin.terminate().await;
    })
    .await
}

/// The child processes of `pid` (from /proc).
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(child);
        }
    }
    out
}

/// A Go host of api `version` runs a submit, its plugin is SIGKILLed, then an entity call:
/// the host's whole stdout, the socket directory masked.
fn go_host_after_a_kill(version: &str, plugin: &Path) -> Vec<String> {
    let tmp = TempDir::new("http-kill");
    let mut child = Command::new(go_bin(&format!("api-{version}/dispatcher-http-host")))
        .arg("-plugin")
        .arg(plugin)
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dispatcher-http-host");
    let host = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let _guard = ChildGuard(child);
    let mut lines = Vec::new();
    // Everything up to and including the next answer line.
    let until_answer = |lines: &mut Vec<String>| loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a line in time");
        let answer = line.starts_with('{');
        lines.push(line);
        if answer {
            return;
        }
    };
    writeln!(
        stdin,
        r#"{{"call":"submit","input":{{"records":[{{"id":"1"}}]}}}}"#
    )
    .expect("write");
    until_answer(&mut lines);
    let plugins = children(host);
    assert_eq!(plugins.len(), 1, "one plugin process: {plugins:?}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(plugins[0] as i32),
        nix::sys::signal::SIGKILL,
    )
    .expect("SIGKILL");
    // The host reaps it (go-plugin's cmd.Wait goroutine prints "signal: killed").
    let reaped = Instant::now();
    while children(host).contains(&plugins[0]) {
        assert!(
            reaped.elapsed() < Duration::from_secs(5),
            "plugin not reaped"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    writeln!(stdin, r#"{{"call":"entity","input":{{"id":"after"}}}}"#).expect("write");
    until_answer(&mut lines);
    drop(stdin);
    let dir = tmp.path().to_string_lossy().to_string();
    // The Go host's cmd.Wait goroutine prints "signal: killed" whenever it gets to it: before
    // the next answer or after the last one (then it is not read). It says nothing about the
    // plugin, Go or Rust, so it is left out of the comparison.
    lines
        .into_iter()
        .filter(|l| l != "signal: killed")
        .map(|l| l.replace(&dir, "$TMPDIR"))
        .collect()
}

#[test]
fn go_hosts_restart_the_rust_fake_as_they_restart_the_go_fake() {
    limit_sync(|| {
        for version in ["v0.7.0", "v0.7.1"] {
            let go = go_host_after_a_kill(version, &go_fake());
            let rust = go_host_after_a_kill(version, &rust_fake());
            assert_eq!(rust, go, "Go host {version}");
            let gone = "received an error indicating that the plugin is gone: Post \"http://plugin/entity\": dial unix $TMPDIR/dispatcher: connect: ";
            assert!(go.iter().any(|l| l.starts_with(gone)), "{version}: {go:#?}");
            let last = go.last().expect("answer");
            if version == "v0.7.0" {
                // go-plugin v0.1.0 never restarts a plugin that died: its TermFunc signals
                // the reaped process, fails with os.ErrProcessDone and the call returns that
                // (v0.1.2 takes ErrProcessDone as success).
                assert_eq!(last, r#"{"error":"os: process already finished"}"#);
            } else {
                // v0.1.2 removes it: a fresh plugin answers the retried call.
                assert_eq!(
                    last,
                    r#"{"output":{"entity":{"id":"after","records":[],"edges":[],"duplicates":{},"hits":{}}}}"#
                );
            }
        }
    })
}

/// `--protocol` forces a protocol: the Rust fake answers over net/rpc, the Go fake v0.5.2
/// (go-plugin only) cannot be started over HTTP; a bad value is refused. (Not run: the Go
/// fake v0.6.0 over net/rpc. Without `PLUGIN_SOCKET` its `ListenAndServe` blocks forever on
/// its never-started cancel goroutine, so the launch ends at go-plugin's 1-minute timeout.)
#[test]
fn dispatch_protocol_flag_forces_a_protocol() {
    limit_sync(|| {
        // The CLI may exit before it reads its input (a launch that fails at once): the
        // script is written from a thread whose write error is no test failure (it failed
        // once with EPIPE under CI's load); the exit status and output are what is checked.
        let run = |args: &[&str], plugin: &Path| {
            run_command_with_stdin(
                Command::new(env!("CARGO_BIN_EXE_tilores-plugin"))
                    .arg("dispatch")
                    .args(args)
                    .arg("--plugin")
                    .arg(plugin)
                    .stderr(Stdio::piped()),
                "{\"call\":\"entity\",\"input\":{\"id\":\"n\"}}\n",
            )
        };
        let out = run(&["--protocol", "netrpc"], &rust_fake());
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "{\"output\":{\"entity\":{\"id\":\"n\",\"records\":null,\"edges\":null,\"duplicates\":{},\"hits\":{}}}}\n"
        );
        // Built (once per test process) before the clock starts: the build is not the wait.
        let go_fake_v052 = go_bin("tilores-plugin-fake-dispatcher");
        let started = Instant::now();
        let out = run(&["--protocol", "http"], &go_fake_v052);
        assert!(!out.status.success(), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("starting the dispatcher plugin: plugin failed to start"),
            "{err}"
        );
        // The exit was noticed ("plugin failed to start"), well before the 10 s ready wait
        // ("could not start plugin within 10 seconds").
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let out = run(&["--protocol", "grpc"], &rust_fake());
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr)
            .contains("--protocol: expected auto, netrpc or http, got \"grpc\""));
    })
}
