//! Interop regression tests against a real Go hashicorp/yamux peer
//! (`go-interop/cmd/yamux-peer`, yamux commit 0bc27b27 as in go-plugin v1.4.3).
//!
//! These are the six regression cases of yamux-crate-interop.md A.5, plus a
//! graceful-close check. Each case also runs with its workaround switched off
//! (`MuxConfig` fields) and asserts the failure the workaround prevents, so the
//! tests prove the workaround is what makes them pass.
//!
//! The Go peer is built once per test process by go-interop/build.sh. Without a Go
//! toolchain these tests FAIL (they never skip): interop is the point of the
//! mux layer. Every wait is bounded; peers are killed when dropped.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc, Mutex as StdMutex,
    },
    time::{Duration, Instant},
};

use serde_json::Value;
use tilores_plugin_test_support::{go_bin, TempDir};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines},
    net::{UnixListener, UnixStream},
    process::{Child, ChildStdout, Command},
};

use tilores_plugin::mux::{CloseReason, MuxConfig, Role, Session, Stream};

const MIB: usize = 1024 * 1024;
/// Size of the bulk transfers of cases 1 and 2.
const BULK: usize = 64 * MIB;

/// The deterministic content of bulk transfers; must match `pattern` in the Go peer.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// Fills `buf` with the pattern starting at absolute offset `offset`.
fn fill_pattern(buf: &mut [u8], offset: usize) {
    for (k, b) in buf.iter_mut().enumerate() {
        *b = pattern(offset + k);
    }
}

/// Awaits `fut` for at most `limit`, failing the test with `what` otherwise.
async fn within<F: std::future::Future>(limit: Duration, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(limit, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

// ---------------------------------------------------------------------------
// Go peer harness
// ---------------------------------------------------------------------------

/// `go-interop/bin/yamux-peer`, built once per test process by go-interop/build.sh.
fn go_peer_binary() -> PathBuf {
    go_bin("yamux-peer")
}

/// A running Go peer process.
struct GoPeer {
    /// The process; killed on drop (`kill_on_drop`).
    child: Child,
    /// Its stdout lines: READY, then the result JSON.
    stdout: Lines<BufReader<ChildStdout>>,
    /// Everything it wrote to stderr so far (yamux logs), for diagnostics.
    stderr: Arc<StdMutex<String>>,
    /// Holds the socket; removed when the peer is dropped.
    _dir: TempDir,
}

impl GoPeer {
    /// What the peer logged on stderr so far.
    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Reads the next stdout line.
    async fn line(&mut self, limit: Duration, what: &str) -> String {
        match tokio::time::timeout(limit, self.stdout.next_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => panic!(
                "Go peer closed stdout while waiting for {what}; stderr:\n{}",
                self.stderr()
            ),
            Ok(Err(e)) => panic!("reading Go peer stdout ({what}): {e}"),
            Err(_) => panic!(
                "timed out after {limit:?} waiting for {what} from the Go peer; stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// Waits for the result line and the exit; checks that the exit status
    /// agrees with `ok`.
    async fn result(&mut self, limit: Duration) -> Value {
        let line = self.line(limit, "the result line").await;
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("Go peer printed invalid JSON ({e}): {line}"));
        let status = within(Duration::from_secs(5), "Go peer exit", self.child.wait())
            .await
            .expect("wait for the Go peer");
        assert_eq!(
            status.success(),
            value["ok"] == Value::Bool(true),
            "exit status {status} disagrees with result {value}"
        );
        value
    }
}

/// A Rust session connected to a Go peer running one scenario.
struct Rig {
    /// The Rust side.
    session: Session,
    /// The Go side.
    peer: GoPeer,
    /// Largest data frame Go sent, when the link is a [`delay_link`].
    go_max_frame: Option<Arc<AtomicU32>>,
}

/// Starts the Go peer with `-role go_role -scenario scenario extra...` and
/// connects a Rust session with the opposite role and `config`.
async fn start(scenario: &str, go_role: Role, config: MuxConfig, extra: &[&str]) -> Rig {
    start_via(scenario, go_role, config, extra, None).await
}

/// Like [`start`], with an optional one-way delay added in both directions
/// between the two sessions (see [`delay_link`]).
async fn start_via(
    scenario: &str,
    go_role: Role,
    config: MuxConfig,
    extra: &[&str],
    latency: Option<Duration>,
) -> Rig {
    let binary = go_peer_binary();
    let dir = TempDir::new("mux-it");
    let socket = dir.path().join("yamux.sock");
    let role_flag = match go_role {
        Role::Client => "client",
        Role::Server => "server",
    };
    // Go as client dials, so the Rust side must listen before it starts.
    let listener = match go_role {
        Role::Client => Some(UnixListener::bind(&socket).expect("bind unix socket")),
        Role::Server => None,
    };
    let mut child = Command::new(&binary)
        .arg("-socket")
        .arg(&socket)
        .args(["-role", role_flag, "-scenario", scenario])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let stderr = Arc::new(StdMutex::new(String::new()));
    if let Some(pipe) = child.stderr.take() {
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
    }
    let mut peer = GoPeer {
        child,
        stdout,
        stderr,
        _dir: dir,
    };
    let limit = Duration::from_secs(10);
    let (socket, rust_role) = match listener {
        Some(listener) => {
            let (conn, _) = within(limit, "Go peer dialing in", listener.accept())
                .await
                .expect("accept the Go peer");
            (conn, Role::Server)
        }
        None => {
            let ready = peer.line(limit, "READY").await;
            assert_eq!(ready, "READY");
            let conn = UnixStream::connect(&socket)
                .await
                .expect("connect to the Go peer");
            (conn, Role::Client)
        }
    };
    if rust_role == Role::Server {
        let ready = peer.line(limit, "READY").await;
        assert_eq!(ready, "READY");
    }
    let (session, go_max_frame) = match latency {
        None => (Session::new(socket, rust_role, config), None),
        Some(one_way) => {
            let (near, far) = UnixStream::pair().expect("socket pair");
            let max_frame = Arc::new(AtomicU32::new(0));
            tokio::spawn(delay_link(far, socket, one_way, Arc::clone(&max_frame)));
            (Session::new(near, rust_role, config), Some(max_frame))
        }
    };
    Rig {
        session: session.expect("start the Rust session"),
        peer,
        go_max_frame,
    }
}

/// Forwards bytes between `near` (Rust) and `far` (Go), delivering each chunk
/// `one_way` after it was read, in both directions, without limiting
/// throughput (a delay line, not a rate limit). Records the largest data frame
/// Go sent in `go_max_frame`. Ends when both directions saw EOF or an error.
///
/// It raises the round-trip time rust-yamux measures with its own pings to
/// about `2 × one_way`, which makes its window auto-tuning (grow when half a
/// window arrives within 2 RTTs) happen reliably even in a loaded debug
/// build, where a sub-millisecond local RTT would make it timing-dependent.
async fn delay_link(
    near: UnixStream,
    far: UnixStream,
    one_way: Duration,
    go_max_frame: Arc<AtomicU32>,
) {
    let (near_read, near_write) = near.into_split();
    let (far_read, far_write) = far.into_split();
    tokio::join!(
        delay_direction(near_read, far_write, one_way, None),
        delay_direction(far_read, near_write, one_way, Some(go_max_frame))
    );
}

/// Tracks yamux frame boundaries in a byte stream to find data frame sizes.
#[derive(Default)]
struct FrameScanner {
    /// Bytes of the current frame header seen so far.
    header: Vec<u8>,
    /// Body bytes of the current data frame still to skip.
    skip: usize,
}

impl FrameScanner {
    /// Consumes `bytes`; returns the largest data frame length whose header they completed.
    fn feed(&mut self, mut bytes: &[u8]) -> u32 {
        let mut max = 0;
        while !bytes.is_empty() {
            if self.skip > 0 {
                let k = self.skip.min(bytes.len());
                self.skip -= k;
                bytes = &bytes[k..];
                continue;
            }
            let k = (12 - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..k]);
            bytes = &bytes[k..];
            if self.header.len() == 12 {
                let len = u32::from_be_bytes([
                    self.header[8],
                    self.header[9],
                    self.header[10],
                    self.header[11],
                ]);
                // Type 0 is a data frame: its length counts body bytes.
                if self.header[1] == 0 {
                    max = max.max(len);
                    self.skip = len as usize;
                }
                self.header.clear();
            }
        }
        max
    }
}

/// One direction of [`delay_link`]; records data frame sizes if `max_frame` is set.
async fn delay_direction(
    mut from: tokio::net::unix::OwnedReadHalf,
    mut to: tokio::net::unix::OwnedWriteHalf,
    one_way: Duration,
    max_frame: Option<Arc<AtomicU32>>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 256 * 1024];
        let mut scanner = FrameScanner::default();
        while let Ok(n @ 1..) = from.read(&mut buf).await {
            if let Some(max_frame) = &max_frame {
                max_frame.fetch_max(scanner.feed(&buf[..n]), Ordering::Relaxed);
            }
            if tx
                .send((tokio::time::Instant::now() + one_way, buf[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

/// Reads up to `len` bytes from `stream`, checking the bulk pattern; returns
/// the byte count, short if the stream ended or failed first.
///
/// The check is a slice comparison (memcmp) so the reader keeps up with Go
/// even in a debug build; a slow reader would hide window auto-tuning.
async fn read_pattern(stream: &mut Stream, len: usize) -> usize {
    const BUF: usize = 256 * 1024;
    let mut expected = vec![0u8; BUF + 251];
    fill_pattern(&mut expected, 0);
    let mut buf = vec![0u8; BUF];
    let mut total = 0usize;
    while total < len {
        let want = BUF.min(len - total);
        let n = match stream.read(&mut buf[..want]).await {
            Ok(0) | Err(_) => return total,
            Ok(n) => n,
        };
        let start = total % 251;
        assert!(
            buf[..n] == expected[start..start + n],
            "content mismatch within bytes {total}..{}",
            total + n
        );
        total += n;
    }
    total
}

/// Writes `len` bytes of the bulk pattern to `stream`, one `write_all` per MiB
/// (slices of a precomputed buffer, so a debug build is not the bottleneck).
async fn write_pattern(stream: &mut Stream, len: usize) -> std::io::Result<()> {
    let mut source = vec![0u8; MIB + 251];
    fill_pattern(&mut source, 0);
    let mut offset = 0;
    while offset < len {
        let n = MIB.min(len - offset);
        let start = offset % 251;
        stream.write_all(&source[start..start + n]).await?;
        offset += n;
    }
    Ok(())
}

/// `bool` field of a Go result.
fn flag(v: &Value, key: &str) -> bool {
    v[key].as_bool().unwrap_or(false)
}

/// Integer field of a Go result (0 if absent).
fn int(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

// ---------------------------------------------------------------------------
// Case 1: Go writes 64 MiB in a single Write to Rust.
// Workaround: windows capped at 1 MiB (256 KiB each + 768 KiB shared growth).
// ---------------------------------------------------------------------------

/// Runs case 1 with `config`: Go writes `size` bytes in one `Write`, Rust
/// reads and checks them. Returns the Rust byte count, the Go result and the rig.
async fn go_writes_bulk(
    config: MuxConfig,
    size: usize,
    latency: Option<Duration>,
) -> (usize, Value, Rig) {
    // Rust is the go-plugin host (yamux client); the Go side opens the stream
    // and writes, as a plugin answering with a large reply would.
    let mut rig = start_via(
        "write",
        Role::Server,
        config,
        &["-size", &size.to_string(), "-timeout", "40s"],
        latency,
    )
    .await;
    let mut stream = within(
        Duration::from_secs(10),
        "stream from Go",
        rig.session.accept(),
    )
    .await
    .expect("Go opens a stream");
    let received = within(
        Duration::from_secs(40),
        "reading the bulk write",
        read_pattern(&mut stream, size),
    )
    .await;
    // Tell Go how much arrived (ignored if the connection is gone).
    let _ = stream.write_all(&(received as u64).to_be_bytes()).await;
    let _ = stream.shutdown().await;
    let result = rig.peer.result(Duration::from_secs(40)).await;
    (received, result, rig)
}

/// Asserts a complete case-1 transfer of `size` bytes and a clean session end.
async fn check_bulk_received(size: usize, (received, result, rig): (usize, Value, Rig)) -> Value {
    assert_eq!(
        received,
        size,
        "Go result: {result}; stderr:\n{}",
        rig.peer.stderr()
    );
    assert!(flag(&result, "ok"), "Go result: {result}");
    assert_eq!(int(&result, "peer_bytes"), size as u64);
    // Go exits after reporting; the session must end by that EOF, not by a failure.
    let reason = within(Duration::from_secs(10), "session end", rig.session.closed()).await;
    assert!(matches!(reason, CloseReason::Peer), "reason: {reason}");
    result
}

/// One-way delay used to make window auto-tuning deterministic in case 1.
const TUNING_DELAY: Duration = Duration::from_millis(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case1_go_writes_64mib_in_one_write() {
    let started = Instant::now();
    let run = go_writes_bulk(MuxConfig::default(), BULK, None).await;
    let result = check_bulk_received(BULK, run).await;
    println!(
        "case 1: Go→Rust 64 MiB single write: {:.0} MiB/s (Go-measured), test {:?}",
        result["mib_per_s"].as_f64().unwrap_or(0.0),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case1_pinned_windows_hold_when_auto_tuning_would_kick_in() {
    // Same link as the failing variant below (10 ms RTT), windows capped:
    // auto-tuning may grow a window to 1 MiB but no further, so every Go frame
    // stays within rust-yamux's 1 MiB frame limit. 16 MiB keeps the test short.
    let size = 16 * MIB;
    let run = go_writes_bulk(MuxConfig::default(), size, Some(TUNING_DELAY)).await;
    let max_frame = run.2.go_max_frame.clone().expect("delay link");
    check_bulk_received(size, run).await;
    let max_frame = max_frame.load(Ordering::Relaxed);
    assert!(
        max_frame as usize <= 1024 * 1024,
        "Go sent a {max_frame}-byte frame: the window grew past 1 MiB"
    );
    assert!(max_frame > 0, "the link saw no data frames");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case1_without_pinned_windows_connection_fails_with_frame_too_large() {
    let mut config = MuxConfig::default();
    config.pinned_windows = false;
    let (received, result, rig) = go_writes_bulk(config, BULK, Some(TUNING_DELAY)).await;
    assert!(
        received < BULK,
        "expected the transfer to break, got all bytes"
    );
    let max_frame = rig
        .go_max_frame
        .as_ref()
        .map_or(0, |m| m.load(Ordering::Relaxed));
    assert!(
        max_frame as usize > MIB,
        "Go's largest frame was {max_frame} bytes"
    );
    assert!(!flag(&result, "ok"), "Go must see the failure: {result}");
    let reason = within(Duration::from_secs(10), "session end", rig.session.closed()).await;
    match &reason {
        // The pinned yamux crate's error is the failure's source.
        CloseReason::Failed(e) => match std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<yamux::ConnectionError>())
        {
            Some(yamux::ConnectionError::Decode(yamux::FrameDecodeError::FrameTooLarge(n))) => {
                assert!(*n > MIB, "frame of {n} bytes")
            }
            other => panic!("expected FrameTooLarge, got {other:?} ({e})"),
        },
        other => panic!("expected a connection failure, got {other}"),
    }
    println!("case 1 without pinned windows: {reason} after {received} bytes; Go: {result}");
}

// ---------------------------------------------------------------------------
// Case 2: Rust writes 64 MiB to Go with no reader pending.
// Workaround: the continuously polled driver task.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case2_rust_writes_64mib_with_no_reader_pending() {
    let started = Instant::now();
    let mut rig = start(
        "read",
        Role::Server,
        MuxConfig::default(),
        &[
            "-size",
            &BULK.to_string(),
            "-delay",
            "500ms",
            "-timeout",
            "40s",
        ],
    )
    .await;
    let mut stream = within(Duration::from_secs(5), "open", rig.session.open())
        .await
        .expect("open");
    // Nobody reads this stream on the Rust side while writing; Go starts
    // reading only after 500 ms.
    within(
        Duration::from_secs(40),
        "writing 64 MiB",
        write_pattern(&mut stream, BULK),
    )
    .await
    .expect("write 64 MiB");
    stream.shutdown().await.expect("FIN");
    let result = rig.peer.result(Duration::from_secs(40)).await;
    assert!(
        flag(&result, "ok"),
        "Go result: {result}; stderr:\n{}",
        rig.peer.stderr()
    );
    assert_eq!(int(&result, "bytes"), BULK as u64);
    println!(
        "case 2: Rust→Go 64 MiB: {:.0} MiB/s (Go-measured), test {:?}",
        result["mib_per_s"].as_f64().unwrap_or(0.0),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case2_without_continuous_driving_writer_stalls() {
    let mut config = MuxConfig::default();
    config.drive_continuously = false;
    let mut rig = start(
        "read",
        Role::Server,
        config,
        &["-size", &BULK.to_string(), "-delay", "0s", "-timeout", "2s"],
    )
    .await;
    let mut stream = within(Duration::from_secs(5), "open", rig.session.open())
        .await
        .expect("open");
    let write =
        tokio::time::timeout(Duration::from_secs(2), write_pattern(&mut stream, BULK)).await;
    assert!(
        write.is_err(),
        "the write must stall without a driven connection"
    );
    let result = rig.peer.result(Duration::from_secs(10)).await;
    assert!(!flag(&result, "ok"), "Go must not get the data: {result}");
    assert_eq!(int(&result, "bytes"), 0, "nothing may reach Go: {result}");
}

// ---------------------------------------------------------------------------
// Case 3: Go opens three streams, Rust accepts and never writes; with a 2 s
// StreamOpenTimeout the session must survive. Workaround: eager ACK.
// ---------------------------------------------------------------------------

/// Runs case 3; returns the Go result and the rig (with the accepted streams alive).
async fn go_opens_three_idle_streams(config: MuxConfig) -> (Value, Rig, Vec<Stream>) {
    // Rust is the plugin (yamux server), Go the host opening control/stdout/stderr.
    let mut rig = start(
        "idle-open",
        Role::Client,
        config,
        &[
            "-streams",
            "3",
            "-open-timeout",
            "2s",
            "-idle",
            "3s",
            "-timeout",
            "20s",
        ],
    )
    .await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let s = within(Duration::from_secs(5), "accept", rig.session.accept())
            .await
            .expect("Go opens three streams");
        streams.push(s);
    }
    let result = rig.peer.result(Duration::from_secs(15)).await;
    (result, rig, streams)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case3_idle_accepted_streams_survive_go_open_timeout() {
    let (result, rig, streams) = go_opens_three_idle_streams(MuxConfig::default()).await;
    assert!(
        flag(&result, "ok") && flag(&result, "survived"),
        "Go result: {result}; stderr:\n{}",
        rig.peer.stderr()
    );
    let ids: Vec<u32> = streams.iter().map(Stream::id).collect();
    assert_eq!(ids, [1, 3, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case3_without_eager_ack_go_kills_the_session() {
    let mut config = MuxConfig::default();
    config.eager_ack = false;
    let (result, rig, _streams) = go_opens_three_idle_streams(config).await;
    assert!(!flag(&result, "survived"), "Go result: {result}");
    // Not before the 2 s open timeout; "not after" is implied by
    // survived=false at the end of the 3 s idle period.
    let closed_after = int(&result, "closed_after_ms");
    assert!(
        closed_after >= 1_900,
        "Go should close the session at its 2 s open timeout, closed after {closed_after} ms"
    );
    assert!(
        rig.peer.stderr().contains("aborted stream open"),
        "stderr:\n{}",
        rig.peer.stderr()
    );
    let reason = within(Duration::from_secs(5), "session end", rig.session.closed()).await;
    assert!(matches!(reason, CloseReason::Peer), "reason: {reason}");
}

// ---------------------------------------------------------------------------
// Case 4: Rust opens three streams and writes to the last one first; Go must
// accept them in open order. Workaround: eager SYN (and open_acked).
// ---------------------------------------------------------------------------

/// Opens three streams (waiting for each ACK if `acked`), writes "C", "B",
/// "A" to the third, second, first; returns Go's result.
async fn rust_opens_three(config: MuxConfig, acked: bool) -> (Value, Rig) {
    let mut rig = start(
        "accept-order",
        Role::Server,
        config,
        &["-streams", "3", "-timeout", "10s"],
    )
    .await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let open = async {
            if acked {
                rig.session.open_acked().await
            } else {
                rig.session.open().await
            }
        };
        streams.push(
            within(Duration::from_secs(5), "open", open)
                .await
                .expect("open"),
        );
    }
    for (stream, byte) in streams.iter_mut().rev().zip([b'C', b'B', b'A']) {
        stream.write_all(&[byte]).await.expect("write first byte");
    }
    let result = rig.peer.result(Duration::from_secs(15)).await;
    for mut s in streams {
        let _ = s.shutdown().await;
    }
    (result, rig)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case4_go_accepts_streams_in_open_order() {
    for acked in [false, true] {
        let (result, rig) = rust_opens_three(MuxConfig::default(), acked).await;
        assert!(
            flag(&result, "ok"),
            "acked={acked}: Go result: {result}; stderr:\n{}",
            rig.peer.stderr()
        );
        assert_eq!(result["ids"], serde_json::json!([1, 3, 5]), "acked={acked}");
        assert_eq!(result["first_bytes"], "ABC", "acked={acked}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case4_without_eager_syn_go_accepts_in_write_order() {
    let mut config = MuxConfig::default();
    config.eager_syn = false;
    let (result, _rig) = rust_opens_three(config, false).await;
    assert!(!flag(&result, "ok"), "Go result: {result}");
    // The SYN rides on the first data frame, so Go sees the streams in the
    // order they were written to.
    assert_eq!(
        result["ids"],
        serde_json::json!([5, 3, 1]),
        "Go result: {result}"
    );
    assert_eq!(result["first_bytes"], "CBA");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case4_without_eager_syn_open_acked_never_completes() {
    let mut config = MuxConfig::default();
    config.eager_syn = false;
    let rig = start(
        "accept-order",
        Role::Server,
        config,
        &["-streams", "3", "-timeout", "5s"],
    )
    .await;
    let open = tokio::time::timeout(Duration::from_secs(1), rig.session.open_acked()).await;
    assert!(
        open.is_err(),
        "no SYN is ever sent, so the ACK cannot come: {open:?}"
    );
}

// ---------------------------------------------------------------------------
// Case 5: Go keepalive at 200 ms with a 300 ms reply wait.
// Workaround: the continuously polled driver task.
// ---------------------------------------------------------------------------

/// Runs case 5 with `config`; returns Go's result and the rig.
async fn go_keepalive(config: MuxConfig) -> (Value, Rig) {
    let mut rig = start(
        "keepalive",
        Role::Client,
        config,
        &[
            "-keepalive-interval",
            "200ms",
            "-write-timeout",
            "300ms",
            "-idle",
            "2s",
            "-timeout",
            "10s",
        ],
    )
    .await;
    let result = rig.peer.result(Duration::from_secs(10)).await;
    (result, rig)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case5_go_keepalive_pings_are_answered_while_idle() {
    let (result, rig) = go_keepalive(MuxConfig::default()).await;
    assert!(
        flag(&result, "ok") && flag(&result, "survived"),
        "Go result: {result}; stderr:\n{}",
        rig.peer.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case5_without_continuous_driving_go_keepalive_kills_the_session() {
    let mut config = MuxConfig::default();
    config.drive_continuously = false;
    let (result, rig) = go_keepalive(config).await;
    assert!(!flag(&result, "survived"), "Go result: {result}");
    // One 200 ms interval plus the 300 ms reply wait at the earliest; "not
    // after" is implied by survived=false at the end of the 2 s idle period.
    let closed_after = int(&result, "closed_after_ms");
    assert!(
        closed_after >= 450,
        "expected Go to give up after one 200 ms interval + 300 ms wait, got {closed_after} ms"
    );
    assert!(
        rig.peer.stderr().contains("keepalive failed"),
        "stderr:\n{}",
        rig.peer.stderr()
    );
}

// ---------------------------------------------------------------------------
// Case 6: concurrent small-message echo, 64 streams × 100 round trips.
// ---------------------------------------------------------------------------

const ECHO_STREAMS: usize = 64;
const ECHO_ROUNDS: usize = 100;
const ECHO_SIZE: usize = 128;

/// The message `round` of stream `index`, distinct per stream and round.
fn echo_message(index: usize, round: usize) -> [u8; ECHO_SIZE] {
    let mut msg = [0u8; ECHO_SIZE];
    for (k, b) in msg.iter_mut().enumerate() {
        *b = (index * 31 + round * 7 + k) as u8;
    }
    msg
}

/// One client stream: `ECHO_ROUNDS` sequential round trips, then FIN and EOF.
async fn echo_client(session: Session, index: usize) -> Result<(), String> {
    let mut stream = session.open().await.map_err(|e| format!("open: {e}"))?;
    let mut back = [0u8; ECHO_SIZE];
    for round in 0..ECHO_ROUNDS {
        let msg = echo_message(index, round);
        stream
            .write_all(&msg)
            .await
            .map_err(|e| format!("stream {}: write: {e}", stream.id()))?;
        stream
            .read_exact(&mut back)
            .await
            .map_err(|e| format!("stream {}: read: {e}", stream.id()))?;
        if back != msg {
            return Err(format!("stream {} round {round}: wrong echo", stream.id()));
        }
    }
    stream
        .shutdown()
        .await
        .map_err(|e| format!("shutdown: {e}"))?;
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .await
        .map_err(|e| format!("read to EOF: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "stream {}: {} stray bytes",
            stream.id(),
            rest.len()
        ));
    }
    Ok(())
}

/// Runs the echo load; returns the elapsed time of the Rust side.
async fn echo_load(config: MuxConfig, limit: Duration) -> Result<(Duration, Value, Rig), String> {
    let mut rig = start(
        "echo",
        Role::Server,
        config,
        &["-streams", &ECHO_STREAMS.to_string(), "-timeout", "30s"],
    )
    .await;
    let started = Instant::now();
    let tasks: Vec<_> = (0..ECHO_STREAMS)
        .map(|i| tokio::spawn(echo_client(rig.session.clone(), i)))
        .collect();
    let all = async {
        let mut errors = Vec::new();
        for t in tasks {
            match t.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => errors.push(e),
                Err(e) => errors.push(format!("task: {e}")),
            }
        }
        errors
    };
    let errors = match tokio::time::timeout(limit, all).await {
        Ok(errors) => errors,
        Err(_) => return Err(format!("echo load did not finish within {limit:?}")),
    };
    let elapsed = started.elapsed();
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    let result = rig.peer.result(Duration::from_secs(10)).await;
    Ok((elapsed, result, rig))
}

/// Asserts a complete echo run and prints its rate.
fn check_echo(label: &str, run: Result<(Duration, Value, Rig), String>) {
    let (elapsed, result, rig) = run.unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(
        flag(&result, "ok"),
        "{label}: Go result: {result}; stderr:\n{}",
        rig.peer.stderr()
    );
    assert_eq!(int(&result, "streams"), ECHO_STREAMS as u64);
    assert_eq!(
        int(&result, "bytes"),
        (ECHO_STREAMS * ECHO_ROUNDS * ECHO_SIZE) as u64
    );
    let round_trips = (ECHO_STREAMS * ECHO_ROUNDS) as f64;
    println!(
        "case 6 ({label}): {ECHO_STREAMS} streams × {ECHO_ROUNDS} × {ECHO_SIZE} B echoes in {elapsed:?} \
         ({:.0} round trips/s, debug build)",
        round_trips / elapsed.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case6_concurrent_small_message_echo() {
    let run = echo_load(MuxConfig::default(), Duration::from_secs(30)).await;
    check_echo("default config", run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case6_performance_switches_off_still_correct() {
    // buffered_socket and split_send_size are throughput settings only (A.4);
    // this control shows removing them does not break correctness.
    let mut config = MuxConfig::default();
    config.buffered_socket = false;
    config.split_send_size = 16 * 1024;
    let run = echo_load(config, Duration::from_secs(30)).await;
    check_echo("no BufWriter, 16 KiB split", run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case6_without_continuous_driving_echo_stalls() {
    let mut config = MuxConfig::default();
    config.drive_continuously = false;
    match echo_load(config, Duration::from_secs(2)).await {
        Err(e) => assert!(e.contains("did not finish"), "{e}"),
        Ok((elapsed, result, _)) => {
            panic!("echo completed in {elapsed:?} without a driver: {result}")
        }
    }
}

// ---------------------------------------------------------------------------
// Graceful close: queued data and FIN reach Go before the session ends.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_flushes_queued_frames_and_go_ends_its_session() {
    let mut rig = start(
        "close",
        Role::Server,
        MuxConfig::default(),
        &["-timeout", "10s"],
    )
    .await;
    // open_acked: once Go's session has ended, its AcceptStream can no longer
    // return a stream (it races acceptCh against shutdownCh, and the ACK it
    // must send fails with "session shutdown"), so data on a stream Go has
    // not accepted yet would be lost by Go, not by us.
    let mut stream = within(Duration::from_secs(5), "open", rig.session.open_acked())
        .await
        .expect("open");
    // Go writes one byte once its AcceptStream returned: the ACK alone does not say so, and
    // an AcceptStream still waiting for its ACK's send result when the session ends picks
    // at random between that result and "session shutdown".
    let mut accepted = [0u8];
    within(
        Duration::from_secs(5),
        "accepted marker",
        stream.read_exact(&mut accepted),
    )
    .await
    .expect("accepted marker");
    assert_eq!(accepted, [b'A']);
    // 200 KiB fits Go's window, so write_all returns once it is queued, before
    // the driver necessarily wrote it to the socket.
    let len = 200 * 1024;
    let mut data = vec![0u8; len];
    fill_pattern(&mut data, 0);
    stream.write_all(&data).await.expect("queue data");
    stream.shutdown().await.expect("FIN");
    within(Duration::from_secs(10), "close", rig.session.close())
        .await
        .expect("graceful close");
    assert!(matches!(
        rig.session.close_reason(),
        Some(CloseReason::Local)
    ));
    let result = rig.peer.result(Duration::from_secs(10)).await;
    assert!(
        flag(&result, "ok"),
        "Go result: {result}; stderr:\n{}",
        rig.peer.stderr()
    );
    assert_eq!(int(&result, "bytes"), len as u64);
    let stderr = rig.peer.stderr();
    assert!(
        !stderr.contains("[ERR]"),
        "Go logged errors on a graceful close:\n{stderr}"
    );
    // Writing after close fails instead of hanging.
    assert!(stream.write_all(b"late").await.is_err());
}

// ---------------------------------------------------------------------------
// A stream shut down and dropped while Go still writes.
// ---------------------------------------------------------------------------

/// Go writes 1 MiB in one `Write`; we shut our side down, read nothing and drop the stream
/// once Go's window is used up. Go's `Write` must end, not wait forever for a window update
/// (rust-yamux alone forgets such a stream silently; see `mux::Stream`): it completes, as
/// the dropped stream lingers and discards, and Go's read of our answer then sees EOF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_shut_down_stream_ends_a_blocked_go_writer() {
    let mut rig = start(
        "write",
        Role::Client,
        MuxConfig::default(),
        &["-size", "1048576", "-timeout", "10s"],
    )
    .await;
    let mut stream = within(Duration::from_secs(5), "accept", rig.session.accept())
        .await
        .expect("Go's stream");
    stream.shutdown().await.expect("FIN");
    // Go's Write has used up its 256 KiB window by now and waits for an update.
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(stream);
    let result = rig.peer.result(Duration::from_secs(15)).await;
    assert_eq!(
        result["error"].as_str(),
        Some("reading the peer's byte count: EOF"),
        "Go's Write must complete (then find no answer): {result}"
    );
    assert_eq!(int(&result, "bytes"), 1 << 20, "{result}");
}
