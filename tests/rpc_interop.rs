//! net/rpc interop with real Go peers (`go-interop/cmd/rpc-peer`, Go's standard `net/rpc`).
//!
//! - Rust client → Go server (`rpc-peer serve`): overlapping calls, Go's error texts, 64 MiB
//!   bodies, the server process exiting with calls pending.
//! - Go client (`rpc-peer call -scenario …`) → Rust server implementing the same services,
//!   including the server shutting down or its connection being cut with calls pending.
//!
//! Every case runs over both transports ([`Transport`]): net/rpc straight on a unix socket,
//! and net/rpc on one yamux stream (`tilores_plugin::mux` against hashicorp/yamux, the dialer
//! being the yamux client as go-plugin's host is). The Go peer is told the matching flags.
//! The Go toolchain is required: a missing `go` or a failed build fails the tests (they never
//! skip).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use std::pin::Pin;
use std::task::{Context, Poll};

use tilores_plugin::mux::{self, MuxConfig};
use tilores_plugin::rpc::{Client, RpcError, Server};
use tilores_plugin_test_support as support;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader, ReadBuf};
use tokio::process::{Child, ChildStdin, Command};
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

#[path = "common/echo_args.rs"]
mod echo_args;
use echo_args::EchoArgs;

const BIG: usize = 64 << 20;

// ------------------------------------------------------------------ transport

/// A byte stream carrying one net/rpc connection.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}
type Stream = Box<dyn Io>;

/// How the Rust side reaches the Go peer.
#[derive(Debug, Clone, Copy)]
enum Transport {
    /// net/rpc directly on a unix socket connection.
    Unix,
    /// net/rpc on a yamux stream, as go-plugin does: the dialing side (the host) is the yamux
    /// client and opens the stream, the listening side (the plugin) is the yamux server and
    /// serves every stream it accepts (`rpc-peer -mux` does the same).
    Mux,
}

/// A mux stream that keeps its session alive (a session ends when its last handle drops).
struct SessionStream {
    stream: mux::Stream,
    _session: mux::Session,
}

impl AsyncRead for SessionStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SessionStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Transport {
    /// Extra flags for `rpc-peer` so that it uses the same transport.
    fn peer_flags(self) -> &'static [&'static str] {
        match self {
            Transport::Unix => &[],
            Transport::Mux => &["-mux"],
        }
    }

    /// Opens one net/rpc stream to a Go server listening on `path`.
    async fn connect(self, path: &Path) -> Stream {
        let conn = tokio::net::UnixStream::connect(path)
            .await
            .unwrap_or_else(|e| panic!("connect {}: {e}", path.display()));
        match self {
            Transport::Unix => Box::new(conn),
            Transport::Mux => {
                let session = mux::Session::new(conn, mux::Role::Client, MuxConfig::default())
                    .expect("yamux client session");
                let stream = timeout(Duration::from_secs(10), session.open())
                    .await
                    .expect("yamux open within 10 s")
                    .expect("yamux open");
                Box::new(SessionStream {
                    stream,
                    _session: session,
                })
            }
        }
    }

    /// Serves every net/rpc stream of every connection accepted on `listener` with `server`.
    ///
    /// Cancelling `cut` ends every connection at once, as if the serving process died: a unix
    /// connection is dropped (socket closed, running handlers abandoned); a mux session is
    /// closed (GoAway, then the socket is closed).
    fn serve_all(self, listener: tokio::net::UnixListener, server: Server, cut: CancellationToken) {
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let server = server.clone();
                let cut = cut.clone();
                match self {
                    Transport::Unix => {
                        tokio::spawn(async move {
                            tokio::select! {
                                _ = server.serve(conn) => {}
                                _ = cut.cancelled() => {}
                            }
                        });
                    }
                    Transport::Mux => {
                        let session =
                            mux::Session::new(conn, mux::Role::Server, MuxConfig::default())
                                .expect("yamux server session");
                        tokio::spawn(async move {
                            let accept_all = async {
                                while let Some(stream) = session.accept().await {
                                    let server = server.clone();
                                    tokio::spawn(async move { server.serve(stream).await });
                                }
                            };
                            tokio::select! {
                                _ = accept_all => {}
                                _ = cut.cancelled() => {
                                    let _ = session.close().await;
                                }
                            }
                        });
                    }
                }
            }
        });
    }
}

// ------------------------------------------------------------------ Go peers

/// A socket path in a fresh temp dir (kept alive by the returned guard).
fn socket_path() -> (support::TempDir, PathBuf) {
    let dir = support::TempDir::new("rpc");
    let path = dir.path().join("rpc.sock");
    (dir, path)
}

/// A running `rpc-peer serve`; killed on drop (its stdin is closed first).
struct GoServer {
    child: Child,
    stdin: Option<ChildStdin>,
    path: PathBuf,
    _dir: support::TempDir,
}

impl GoServer {
    async fn start(transport: Transport, extra: &[&str]) -> GoServer {
        let (dir, path) = socket_path();
        let mut child = Command::new(support::go_bin("rpc-peer"))
            .arg("serve")
            .arg("-socket")
            .arg(&path)
            .args(transport.peer_flags())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn rpc-peer serve");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("rpc-peer serve did not print READY within 20 s")
            .expect("read rpc-peer stdout");
        assert_eq!(first.as_deref(), Some("READY"), "rpc-peer serve output");
        GoServer {
            child,
            stdin,
            path,
            _dir: dir,
        }
    }

    async fn client(&self, transport: Transport) -> Client {
        Client::new(transport.connect(&self.path).await)
    }

    /// Waits (bounded) for the process to exit by itself.
    async fn wait_exit(&mut self) -> std::process::ExitStatus {
        timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("rpc-peer serve did not exit")
            .expect("wait")
    }
}

impl Drop for GoServer {
    fn drop(&mut self) {
        drop(self.stdin.take()); // the peer exits on stdin EOF
        let _ = self.child.start_kill();
    }
}

/// Runs `rpc-peer call -scenario NAME` against `path` and returns its JSON line.
async fn go_call(transport: Transport, path: &Path, scenario: &str) -> Json {
    let child = Command::new(support::go_bin("rpc-peer"))
        .arg("call")
        .arg("-socket")
        .arg(path)
        .args(transport.peer_flags())
        .args(["-scenario", scenario, "-timeout", "90s"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn rpc-peer call");
    let out = timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("rpc-peer call -scenario {scenario} hung"))
        .expect("rpc-peer call");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: Json = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "rpc-peer call -scenario {scenario}: bad output ({e}): {stdout:?}\nstderr:\n{stderr}"
        )
    });
    assert!(
        out.status.success() && json["ok"] == Json::Bool(true),
        "Go client scenario {scenario} failed ({}): {json}\nstderr:\n{stderr}",
        out.status
    );
    json
}

// ------------------------------------------------------------------ test data

/// Distinct arguments covering edge values (as the Go peer's overlap scenario does).
fn echo_args(i: i64) -> EchoArgs {
    if i == 0 {
        return EchoArgs::default();
    }
    let mut a = EchoArgs {
        id: i * 1_000_003 - 500_000_000,
        name: format!("call-{i}-ü€"),
        score: i as f64 * 1.25 - 300.5,
        ..EchoArgs::default()
    };
    match i {
        1 => (a.id, a.score) = (i64::MAX, f64::INFINITY),
        2 => (a.id, a.score) = (i64::MIN, f64::NEG_INFINITY),
        3 => (a.id, a.score) = (-1, f64::from_bits(1)),
        4 => (a.id, a.score) = (1 << 40, f64::MAX),
        _ => {}
    }
    a.tags = (0..i % 5).map(|t| format!("t{i}.{t}")).collect();
    if i % 7 == 3 {
        a.tags.push(String::new());
    }
    a.data = (0..(i * 37) % 1200).map(|k| (i + k * 13) as u8).collect();
    a.meta = (0..i % 4)
        .map(|k| (format!("k{k}"), format!("v{i}-{k}")))
        .collect();
    if i % 11 == 5 {
        a.meta = [("", ""), ("x", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }
    if i % 13 == 6 {
        a.name.clear();
    }
    a
}

/// The Go peer's 64 MiB pattern: xorshift32 from seed 2463534242, low byte per step.
fn big_pattern() -> Vec<u8> {
    let mut x: u32 = 2_463_534_242;
    (0..BIG)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

// ------------------------------------------------------------------ Rust client → Go server

async fn client_overlap(transport: Transport) {
    let go = GoServer::start(transport, &[]).await;
    let c = go.client(transport).await;
    let t0 = Instant::now();

    // Sleeps with decreasing durations, issued in order: they must complete out of order.
    let done_order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut sleeps = Vec::new();
    for (k, ms) in (0..100i64).map(|k| (k, (99 - k) / 5)) {
        let (c, done_order) = (c.clone(), done_order.clone());
        sleeps.push(tokio::spawn(async move {
            let r: i64 = c.call("Echo.Sleep", &ms).await.expect("Echo.Sleep");
            assert_eq!(r, ms, "Echo.Sleep #{k}");
            done_order.lock().expect("lock").push(k);
        }));
    }
    let mut echoes = Vec::new();
    for i in 0..1000i64 {
        let c = c.clone();
        echoes.push(tokio::spawn(async move {
            let a = echo_args(i);
            let r: EchoArgs = c.call("Echo.Echo", &a).await.expect("Echo.Echo");
            assert_eq!(r, a, "Echo.Echo #{i}: reply differs from request");
        }));
    }
    timeout(Duration::from_secs(60), async {
        for h in echoes.into_iter().chain(sleeps) {
            h.await.expect("call task");
        }
    })
    .await
    .expect("overlapping calls did not finish within 60 s");
    let order = done_order.lock().expect("lock").clone();
    assert_eq!(order.len(), 100);
    let out_of_order = order.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(
        out_of_order > 0,
        "Sleep replies came back in issue order: {order:?}"
    );
    assert_eq!(c.pending_calls(), 0);
    eprintln!(
        "[{transport:?}] 1000 Echo.Echo + 100 Echo.Sleep overlapping: {:?} ({out_of_order} sleeps out of order)",
        t0.elapsed()
    );
    c.close().await.expect("close");
}

async fn client_errors(transport: Transport) {
    let go = GoServer::start(transport, &[]).await;
    let c = go.client(transport).await;
    let follow_up = |n: i64| {
        let c = c.clone();
        async move {
            let a = echo_args(100 + n);
            let r: EchoArgs = c.call("Echo.Echo", &a).await.expect("follow-up Echo.Echo");
            assert_eq!(r, a);
        }
    };
    let cases = [
        ("Nope.Echo", "rpc: can't find service Nope.Echo"),
        ("Echo.Nope", "rpc: can't find method Echo.Nope"),
        ("NoDot", "rpc: service/method request ill-formed: NoDot"),
    ];
    for (n, (method, want)) in cases.iter().enumerate() {
        let e = c
            .call::<_, EchoArgs>(method, &echo_args(1 + n as i64))
            .await
            .expect_err(method);
        assert!(matches!(e, RpcError::Server(_)), "{method}: {e:?}");
        assert_eq!(e.to_string(), *want);
        follow_up(n as i64).await;
    }
    let e = c.call::<_, String>("Echo.Fail", "boom").await.unwrap_err();
    assert_eq!(e.server_message(), Some("boom"));
    follow_up(3).await;
    let e = c
        .call::<_, EchoArgs>("Echo.Echo", "not an EchoArgs")
        .await
        .unwrap_err();
    assert_eq!(
        e.server_message(),
        Some("gob: type mismatch in decoder: want struct type main.EchoArgs; got non-struct")
    );
    follow_up(4).await;
    // A reply that does not decode into the caller's type: that call fails with
    // `reading body …`, and (as in Go) the client is finished.
    let e = c.call::<_, String>("Echo.Sleep", &1i64).await.unwrap_err();
    assert!(matches!(e, RpcError::ReadingBody(_)), "{e:?}");
    assert!(e.to_string().starts_with("reading body gob: "), "{e}");
    let e = c.call::<_, i64>("Echo.Sleep", &1i64).await.unwrap_err();
    assert!(e.is_shutdown(), "{e:?}");
}

async fn client_big(transport: Transport) {
    let go = GoServer::start(transport, &[]).await;
    let c = go.client(transport).await;
    let data = big_pattern();
    let t0 = Instant::now();
    let back: Vec<u8> = timeout(Duration::from_secs(60), c.call("Echo.Bytes", &data))
        .await
        .expect("64 MiB Echo.Bytes within 60 s")
        .expect("Echo.Bytes");
    let rt = t0.elapsed();
    assert_eq!(back.len(), BIG);
    if let Some(i) = back.iter().zip(&data).position(|(a, b)| a != b) {
        panic!("64 MiB reply differs at byte {i}");
    }
    let t1 = Instant::now();
    let n: i64 = timeout(Duration::from_secs(60), c.call("Echo.Len", &data))
        .await
        .expect("Echo.Len within 60 s")
        .expect("Echo.Len");
    assert_eq!(n, BIG as i64);
    eprintln!(
        "[{transport:?}] Rust client, Go server: 64 MiB Echo.Bytes round trip {rt:?} ({:.0} MB/s), Echo.Len {:?}",
        BIG as f64 / 1e6 / rt.as_secs_f64(),
        t1.elapsed()
    );
}

async fn client_peer_exits_with_pending_calls(transport: Transport) {
    let mut go = GoServer::start(transport, &["-exit-after-calls", "10"]).await;
    let c = go.client(transport).await;
    let t0 = Instant::now();
    let mut hangs = Vec::new();
    for i in 0..10i64 {
        let c = c.clone();
        hangs.push(tokio::spawn(async move {
            let r = c.call::<_, i64>("Echo.Hang", &i).await;
            (r, Instant::now())
        }));
    }
    let mut failed_at = Vec::new();
    for h in hangs {
        let (r, at) = timeout(Duration::from_secs(10), h)
            .await
            .expect("a pending call hung after the peer exited")
            .expect("call task");
        let e = r.expect_err("Echo.Hang cannot succeed");
        assert!(e.is_unexpected_eof(), "pending call failed with {e:?}");
        assert_eq!(e.to_string(), "unexpected EOF");
        failed_at.push(at);
    }
    let first = failed_at.iter().min().copied().expect("ten calls");
    let last = failed_at.iter().max().copied().expect("ten calls");
    assert!(
        last - first < Duration::from_secs(1),
        "pending calls failed over {:?}",
        last - first
    );
    assert!(go.wait_exit().await.success());
    for _ in 0..3 {
        let e = timeout(
            Duration::from_secs(5),
            c.call::<_, i64>("Echo.Sleep", &0i64),
        )
        .await
        .expect("a later call hung")
        .unwrap_err();
        assert!(e.is_shutdown(), "later call failed with {e:?}");
        assert_eq!(e.to_string(), "connection is shut down");
    }
    assert!(c.is_shut_down());
    eprintln!(
        "[{transport:?}] 10 pending calls failed {:?} after being issued (spread {:?})",
        first - t0,
        last - first
    );
}

// ------------------------------------------------------------------ Go client → Rust server

/// The Go peer's services, in Rust. `hangs` counts started `Echo.Hang` calls.
fn echo_server(hangs: Arc<AtomicUsize>) -> Server {
    let s = Server::new();
    s.register_fn(
        "Echo",
        "Echo",
        |a: EchoArgs| async move { Ok::<_, String>(a) },
    )
    .expect("Echo.Echo");
    s.register_fn(
        "Echo",
        "Bytes",
        |b: Vec<u8>| async move { Ok::<_, String>(b) },
    )
    .expect("Echo.Bytes");
    s.register_fn(
        "Echo",
        "Fail",
        |m: String| async move { Err::<String, _>(m) },
    )
    .expect("Echo.Fail");
    s.register_fn("Echo", "Sleep", |ms: i64| async move {
        tokio::time::sleep(Duration::from_millis(ms.max(0) as u64)).await;
        Ok::<_, String>(ms)
    })
    .expect("Echo.Sleep");
    s.register_fn("Echo", "Hang", move |_: i64| {
        hangs.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<Result<i64, String>>()
    })
    .expect("Echo.Hang");
    s.register_fn("Echo", "Len", |b: Vec<u8>| async move {
        Ok::<_, String>(b.len() as i64)
    })
    .expect("Echo.Len");
    s
}

/// A Rust server on a fresh socket, serving every connection.
struct RustServer {
    _dir: support::TempDir,
    path: PathBuf,
    server: Server,
    /// Started `Echo.Hang` calls.
    hangs: Arc<AtomicUsize>,
    /// Cancel to cut every connection (see [`Transport::serve_all`]).
    cut: CancellationToken,
}

fn rust_server(transport: Transport) -> RustServer {
    let (dir, path) = socket_path();
    let listener = tokio::net::UnixListener::bind(&path).expect("bind unix socket");
    let hangs = Arc::new(AtomicUsize::new(0));
    let server = echo_server(hangs.clone());
    let cut = CancellationToken::new();
    transport.serve_all(listener, server.clone(), cut.clone());
    RustServer {
        _dir: dir,
        path,
        server,
        hangs,
        cut,
    }
}

async fn go_client_overlap(transport: Transport) {
    let rs = rust_server(transport);
    let r = go_call(transport, &rs.path, "overlap").await;
    assert_eq!(r["echo_ok"], 1000, "{r}");
    assert_eq!(r["sleep_ok"], 100, "{r}");
    assert!(r["sleep_out_of_order"].as_u64() > Some(0), "{r}");
    eprintln!("[{transport:?}] Go client, Rust server, overlap: {r}");
}

async fn go_client_errors(transport: Transport) {
    let rs = rust_server(transport);
    let r = go_call(transport, &rs.path, "errors").await;
    // The peer compares against Go net/rpc's own texts; check the important ones here too.
    assert_eq!(r["follow_ups_ok"], 5, "{r}");
    for key in [
        "unknown_service",
        "unknown_method",
        "ill_formed",
        "fail",
        "undecodable_args",
    ] {
        // Both sides of this comparison come from the Go peer: each must be a real text.
        assert!(r[key].as_str().is_some_and(|t| !t.is_empty()), "{key}: {r}");
        assert_eq!(r[key], r["expected"][key], "{key}: {r}");
    }
    assert_eq!(r["unknown_service"], "rpc: can't find service Nope.Echo");
    assert_eq!(
        r["undecodable_args"],
        "gob: type mismatch in decoder: want struct type main.EchoArgs; got non-struct"
    );
}

async fn go_client_big(transport: Transport) {
    let rs = rust_server(transport);
    let r = go_call(transport, &rs.path, "big").await;
    assert_eq!(r["bytes"], BIG, "{r}");
    assert_eq!(r["len_reply"], BIG, "{r}");
    eprintln!(
        "[{transport:?}] Go client, Rust server: 64 MiB round trip {} ms ({} MB/s), Len {} ms",
        r["round_trip_ms"], r["mb_per_s"], r["len_ms"]
    );
}

/// How the Rust server goes away while the Go client has calls pending.
#[derive(Debug, Clone, Copy)]
enum Departure {
    /// [`Server::shutdown`]: the rpc stream is closed (FIN), the connection stays.
    Shutdown,
    /// The whole connection is cut, as when the serving process dies.
    ConnectionCut,
}

async fn go_client_pending(transport: Transport, departure: Departure) {
    let rs = rust_server(transport);
    let call = tokio::spawn({
        let path = rs.path.clone();
        async move { go_call(transport, &path, "pending").await }
    });
    timeout(Duration::from_secs(30), async {
        while rs.hangs.load(Ordering::SeqCst) < 10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the Go client's 10 Hang calls did not all start");
    match departure {
        Departure::Shutdown => rs.server.shutdown(),
        Departure::ConnectionCut => rs.cut.cancel(),
    }
    // The Go client itself requires the 10 failures to come within 5 s of each other.
    let r = timeout(Duration::from_secs(30), call)
        .await
        .expect("Go client did not finish after the server went away")
        .expect("task");
    assert_eq!(r["failed"], 10, "{r}");
    let errors = r["errors"].as_array().expect("errors array");
    assert_eq!(errors.len(), 10);
    for e in errors {
        assert_eq!(e, "unexpected EOF", "{r}");
    }
    eprintln!(
        "[{transport:?}, {departure:?}] Go client: 10 pending calls failed {} ms after sending (spread {} ms)",
        r["first_failure_ms"], r["spread_ms"]
    );
}

async fn go_client_pending_shutdown(transport: Transport) {
    go_client_pending(transport, Departure::Shutdown).await;
}

async fn go_client_pending_connection_cut(transport: Transport) {
    go_client_pending(transport, Departure::ConnectionCut).await;
}

// ------------------------------------------------------------------ the test matrix

/// One `#[tokio::test]` per (case, transport): `$name_unix` and `$name_mux`.
macro_rules! per_transport {
    ($($case:ident => $name_unix:ident, $name_mux:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name_unix() {
            support::limit($case(Transport::Unix)).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name_mux() {
            support::limit($case(Transport::Mux)).await;
        }
    )*};
}

per_transport! {
    client_overlap => rust_client_go_server_overlapping_calls_unix,
        rust_client_go_server_overlapping_calls_mux;
    client_errors => rust_client_go_server_error_texts_unix,
        rust_client_go_server_error_texts_mux;
    client_big => rust_client_go_server_64mib_each_way_unix,
        rust_client_go_server_64mib_each_way_mux;
    client_peer_exits_with_pending_calls => rust_client_go_server_exits_with_calls_pending_unix,
        rust_client_go_server_exits_with_calls_pending_mux;
    go_client_overlap => go_client_rust_server_overlap_unix,
        go_client_rust_server_overlap_mux;
    go_client_errors => go_client_rust_server_errors_unix,
        go_client_rust_server_errors_mux;
    go_client_big => go_client_rust_server_64mib_each_way_unix,
        go_client_rust_server_64mib_each_way_mux;
    go_client_pending_shutdown => go_client_rust_server_shut_down_with_calls_pending_unix,
        go_client_rust_server_shut_down_with_calls_pending_mux;
    go_client_pending_connection_cut => go_client_rust_server_cut_with_calls_pending_unix,
        go_client_rust_server_cut_with_calls_pending_mux;
}
