//! Issue 14, a Rust host facing hostile plugins (`examples/hostile_plugin.rs` and the fake
//! dispatcher under signals): bad handshake lines, bad yamux frames, huge frame lengths and
//! window updates, 10,000 streams, SYNs never ACKed, GoAway, replies for unknown sequence
//! numbers, huge gob lengths and counts, floods of stdout/stderr and hclog lines, replies
//! cut off mid-way, SIGKILL and SIGSTOP mid-call, a host short of file descriptors.
//!
//! Every case but the file-descriptor one (which runs the CLI under `prlimit`, a process of its
//! own anyway) runs in a process of its own (`common::hostile::isolated`): it ends within its
//! stated time, the host's peak resident set stays within its stated bound, the error is
//! typed, no plugin process survives, and where the connection can go on, a well-behaved
//! call on it still gets its answer.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::hostile::{assert_gone, isolated};
use tilores_plugin::gob::ErrorKind;
use tilores_plugin::plugin::{
    BrokerError, ClientConfig, ClientError, HandshakeConfig, HandshakeError, LaunchError,
    PluginClient, PluginCommand, StdioSink,
};
use tilores_plugin::rpc::{self, RpcError};
use tilores_plugin_test_support::{example_bin, limit_sync, pid_alive, TempDir};

fn handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "HOSTILE_PLUGIN".into(),
        magic_cookie_value: "plugin".into(),
    }
}

/// The host's configuration: short limits, so every fault ends fast.
fn config() -> ClientConfig {
    let mut c = ClientConfig::new(handshake()).plugins(["echo"]);
    c.launch.start_timeout = Duration::from_secs(5);
    c.connect_timeout = Duration::from_secs(1);
    c.control_timeout = Duration::from_secs(1);
    c.quit_timeout = Duration::from_millis(500);
    c.exit_timeout = Duration::from_millis(500);
    c.broker.dial_timeout = Duration::from_secs(1);
    c
}

/// The hostile plugin with `env`, writing its pid to a file in `dir`.
fn hostile(dir: &TempDir, env: &[(&str, &str)]) -> (PluginCommand, PathBuf) {
    let pidfile = dir.path().join("pid");
    let mut cmd = PluginCommand::new(example_bin("hostile_plugin"))
        .env("HOSTILE_PIDFILE", pidfile.as_os_str());
    for (k, v) in env {
        cmd = cmd.env(*k, *v);
    }
    (cmd, pidfile)
}

fn pid_of(pidfile: &std::path::Path) -> u32 {
    std::fs::read_to_string(pidfile)
        .expect("the plugin wrote its pid")
        .trim()
        .parse()
        .expect("pid")
}

const SEC: Duration = Duration::from_secs(1);

async fn echo(client: &rpc::Client, s: &str) -> Result<String, RpcError> {
    client
        .call_timeout("Plugin.Echo", &s.to_string(), 5 * SEC)
        .await
}

/// A started hostile plugin with `echo` dispensed and answering.
async fn started(env: &[(&str, &str)]) -> (PluginClient, rpc::Client, u32, TempDir) {
    let dir = TempDir::new("hostile");
    let (cmd, pidfile) = hostile(&dir, env);
    let host = PluginClient::start(cmd, config()).await.expect("start");
    let client = host.dispense("echo").await.expect("dispense");
    assert_eq!(echo(&client, "hello").await.expect("echo"), "hello");
    let pid = pid_of(&pidfile);
    (host, client, pid, dir)
}

/// Kills the plugin within `limit` (Quit, or SIGKILL when it does not answer) and checks the
/// process is gone.
async fn kill_within(mut host: PluginClient, pid: u32, limit: Duration) {
    let start = Instant::now();
    tokio::time::timeout(limit, host.kill())
        .await
        .expect("kill within its bound");
    assert!(host.exited());
    assert_gone(pid, SEC);
    assert!(start.elapsed() < limit);
}

// ------------------------------------------------------------------- handshake

/// Garbage, binary, overlong, wrong-protocol and wrong-version first lines, and an exit
/// before any line: each launch fails within 5 s with its typed error, the plugin is killed
/// and reaped before `start` returns, and the 1 MiB line costs the host no more than its
/// 64 KiB line buffer (peak 40 MiB for the whole process).
#[test]
fn bad_handshake_lines_fail_the_launch_with_typed_errors() {
    isolated(30 * SEC, 40, || async {
        type Check = fn(&ClientError) -> bool;
        let cases: [(&str, Check); 6] = [
            ("garbage", |e| {
                matches!(e, ClientError::Launch(LaunchError::Handshake(_)))
            }),
            ("binary", |e| {
                matches!(e, ClientError::Launch(LaunchError::Handshake(_)))
            }),
            ("long", |e| {
                matches!(e, ClientError::Launch(LaunchError::LineTooLong))
            }),
            ("grpc", |e| {
                matches!(
                    e,
                    ClientError::Launch(LaunchError::Handshake(
                        HandshakeError::UnsupportedProtocol { .. }
                    ))
                )
            }),
            ("version", |e| {
                matches!(
                    e,
                    ClientError::Launch(LaunchError::Handshake(HandshakeError::IncompatibleApp {
                        plugin: 99,
                        ..
                    }))
                )
            }),
            ("exit", |e| match e {
                ClientError::Launch(LaunchError::Exited { status, stderr }) => {
                    status.and_then(|s| s.code()) == Some(3)
                        && stderr.iter().any(|l| l.contains("giving up"))
                }
                _ => false,
            }),
        ];
        for (kind, check) in cases {
            let dir = TempDir::new("hostile-hs");
            let (cmd, pidfile) = hostile(&dir, &[("HOSTILE_HANDSHAKE", kind)]);
            let start = Instant::now();
            let err = PluginClient::start(cmd, config())
                .await
                .expect_err("a bad handshake");
            assert!(check(&err), "{kind}: {err:?}");
            assert!(start.elapsed() < 5 * SEC, "{kind}: {:?}", start.elapsed());
            // Killed and reaped before start returned.
            let pid = pid_of(&pidfile);
            assert!(!pid_alive(pid), "{kind}: pid {pid} left");
        }
    })
}

// ------------------------------------------------------------------- yamux frames

/// A raw frame on the connection, mid-call, ends the session: the call fails at once with a
/// connection error (not at its 5 s limit), later calls fail with `connection is shut down`,
/// `kill` ends within 3 s (Quit cannot be answered: SIGKILL) and the plugin is gone.
#[test]
fn bad_yamux_frames_end_the_session_with_an_error() {
    isolated(40 * SEC, 48, || async {
        for kind in [
            "bad-version",
            "bad-type",
            "huge-length",
            "huge-window",
            "goaway",
        ] {
            let (host, client, pid, _dir) = started(&[]).await;
            let start = Instant::now();
            let err = echo(&client, &format!("frame:{kind}"))
                .await
                .expect_err(kind);
            assert!(err.is_connection_error(), "{kind}: {err:?}");
            assert!(start.elapsed() < 2 * SEC, "{kind}: {:?}", start.elapsed());
            let next = echo(&client, "next").await.expect_err(kind);
            assert!(next.is_shutdown(), "{kind}: {next:?}");
            tokio::time::timeout(SEC, async {
                while !host.is_disconnected() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
            .await
            .unwrap_or_else(|_| panic!("{kind}: the session is still up"));
            kill_within(host, pid, 3 * SEC).await;
        }
    })
}

/// 10,000 streams opened by the plugin at once, beyond the host's 64 per connection: the
/// host ends the session (a protocol violation; no 10,000 streams' memory, peak 48 MiB),
/// the waiting call fails with a connection error at once, and `kill` ends within 3 s.
#[test]
fn ten_thousand_streams_from_the_plugin_end_the_session() {
    isolated(20 * SEC, 48, || async {
        let (host, client, pid, _dir) = started(&[]).await;
        let start = Instant::now();
        let err = echo(&client, "frame:syn-flood")
            .await
            .expect_err("no reply");
        assert!(err.is_connection_error(), "{err:?}");
        assert!(start.elapsed() < 2 * SEC, "{:?}", start.elapsed());
        // The call's error can come before the session's end is recorded (as in
        // bad_yamux_frames_end_the_session_with_an_error): wait for it, bounded.
        tokio::time::timeout(SEC, async {
            while !host.is_disconnected() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the session ends");
        kill_within(host, pid, 3 * SEC).await;
    })
}

/// Data for a stream that was never opened is dropped: the connection goes on and the next
/// calls are answered.
#[test]
fn data_for_an_unknown_stream_is_ignored() {
    isolated(20 * SEC, 40, || async {
        let (host, client, pid, _dir) = started(&[]).await;
        // No reply to the injecting call: it ends at its deadline, the connection lives.
        let err = client
            .call_timeout::<_, String>("Plugin.Echo", &"frame:unknown-stream".to_string(), SEC)
            .await
            .expect_err("no reply");
        assert!(err.is_deadline_exceeded(), "{err:?}");
        for i in 0..10 {
            let s = format!("after {i}");
            assert_eq!(echo(&client, &s).await.expect("echo"), s);
        }
        host.ping().await.expect("ping");
        kill_within(host, pid, 3 * SEC).await;
    })
}

/// Streams the plugin never ACKs: none of the host's three control streams → the start
/// fails with `ConnectTimeout` at `connect_timeout` (1 s); only the dispensed stream → the
/// dispense fails at the broker's `dial_timeout` (1 s), and the control connection still
/// answers a ping.
#[test]
fn syns_never_acked_end_at_the_connect_and_dial_timeouts() {
    isolated(20 * SEC, 40, || async {
        let dir = TempDir::new("hostile-syn");
        let (cmd, pidfile) = hostile(&dir, &[("HOSTILE_DROP_SYN_AFTER", "0")]);
        let start = Instant::now();
        let err = PluginClient::start(cmd, config())
            .await
            .expect_err("no ACK");
        let took = start.elapsed();
        assert!(matches!(err, ClientError::ConnectTimeout { .. }), "{err:?}");
        assert!(took >= SEC && took < 3 * SEC, "{took:?}");
        assert_gone(pid_of(&pidfile), SEC);

        let dir = TempDir::new("hostile-syn");
        let (cmd, pidfile) = hostile(&dir, &[("HOSTILE_DROP_SYN_AFTER", "3")]);
        let host = PluginClient::start(cmd, config()).await.expect("start");
        let start = Instant::now();
        let err = host.dispense("echo").await.expect_err("no ACK");
        let took = start.elapsed();
        assert!(
            matches!(err, ClientError::Broker(BrokerError::DialTimeout { .. })),
            "{err:?}"
        );
        assert!(took < 3 * SEC, "{took:?}");
        host.ping().await.expect("the control stream still answers");
        kill_within(host, pid_of(&pidfile), 3 * SEC).await;
    })
}

/// A plugin that accepts the connection but never answers `Control.Ping` or
/// `Dispenser.Dispense`: both end at the host's `control_timeout` (1 s here) with
/// `context deadline exceeded` instead of waiting forever as go-plugin does.
#[test]
fn unanswered_control_calls_end_at_the_control_timeout() {
    isolated(20 * SEC, 40, || async {
        let dir = TempDir::new("hostile-control");
        let (cmd, pidfile) = hostile(&dir, &[("HOSTILE_STALL_CONTROL", "1")]);
        let host = PluginClient::start(cmd, config()).await.expect("start");
        for what in ["dispense", "ping"] {
            let start = Instant::now();
            let err = match what {
                "dispense" => host.dispense("echo").await.map(|_| ()),
                _ => host.ping().await,
            }
            .expect_err(what);
            assert!(
                matches!(err, ClientError::Rpc(RpcError::DeadlineExceeded)),
                "{what}: {err:?}"
            );
            let took = start.elapsed();
            assert!(took >= SEC && took < 2 * SEC, "{what}: {took:?}");
        }
        kill_within(host, pid_of(&pidfile), 3 * SEC).await;
    })
}

// ------------------------------------------------------------------- net/rpc replies

/// Replies (and an error reply) for sequence numbers never used, u64::MAX among them, are
/// read and dropped: the call gets its own reply, nothing stays pending, the next calls are
/// answered.
#[test]
fn replies_for_unknown_sequence_numbers_are_dropped() {
    isolated(20 * SEC, 40, || async {
        let (host, client, pid, _dir) = started(&[]).await;
        for _ in 0..3 {
            assert_eq!(
                echo(&client, "unknown-seq").await.expect("its own reply"),
                "unknown-seq"
            );
            assert_eq!(echo(&client, "next").await.expect("next"), "next");
        }
        assert_eq!(client.pending_calls(), 0);
        kill_within(host, pid, 3 * SEC).await;
    })
}

/// A reply claiming a 2^40-byte gob message, a string claiming 2^50 bytes and a slice
/// claiming 2^50 elements in small messages: each call fails at once with a typed error
/// (the message cap, or a count checked against the input), nothing is allocated for the
/// claims (peak 48 MiB), and a stream dispensed anew on the same connection answers.
#[test]
fn huge_gob_lengths_and_counts_are_refused() {
    isolated(20 * SEC, 48, || async {
        let (host, _first, pid, _dir) = started(&[]).await;
        for kind in ["huge-length", "huge-string", "huge-count"] {
            let client = host.dispense("echo").await.expect("dispense");
            let start = Instant::now();
            let err = client
                .call_timeout::<_, tilores_plugin::gob::Value>(
                    "Plugin.Echo",
                    &kind.to_string(),
                    5 * SEC,
                )
                .await
                .expect_err(kind);
            assert!(start.elapsed() < SEC, "{kind}: {:?}", start.elapsed());
            let RpcError::ReadingBody(gob) = &err else {
                panic!("{kind}: {err:?}")
            };
            let expected = match (kind, gob.kind()) {
                ("huge-length", ErrorKind::MessageTooLarge { len, .. }) => *len == 1 << 40,
                ("huge-string" | "huge-count", ErrorKind::LengthExceedsInput { count, .. }) => {
                    *count == 1 << 50
                }
                _ => false,
            };
            assert!(expected, "{kind}: {err:?}");
            // That stream is done; the connection is not.
            assert!(client.is_shut_down(), "{kind}");
            let fresh = host.dispense("echo").await.expect("dispense again");
            assert_eq!(echo(&fresh, "fine").await.expect("echo"), "fine");
        }
        kill_within(host, pid, 3 * SEC).await;
    })
}

/// A 10 MB reply of 10 million nil interface values: decoded (as Go decodes it) with at most
/// 24 bytes of heap per wire byte, so the host's peak stays within 24 × 10 MB plus its base
/// and the message buffer (it was 1.28 GiB when each nil took a boxed 112 bytes); the
/// connection goes on.
#[test]
fn a_reply_of_ten_million_nil_interfaces_stays_within_its_budget() {
    isolated(60 * SEC, 24 * 10 + 64, || async {
        let (host, client, pid, _dir) = started(&[]).await;
        let v = client
            .call_timeout::<_, tilores_plugin::gob::Value>(
                "Plugin.Echo",
                &"nil-flood".to_string(),
                50 * SEC,
            )
            .await
            .expect("decoded");
        let tilores_plugin::gob::Value::Slice(list) = &v else {
            panic!("not a slice: {:?}", v.ty())
        };
        assert_eq!(list.items.len(), 10_000_000);
        assert!(list
            .items
            .iter()
            .all(|x| matches!(x, tilores_plugin::gob::Value::Nil)));
        drop(v);
        assert_eq!(echo(&client, "fine").await.expect("echo"), "fine");
        kill_within(host, pid, 3 * SEC).await;
    })
}

/// Half a reply, then the stream closed: that call fails with `unexpected EOF` at once, and
/// a stream dispensed anew answers. Half a reply, then the process gone: the call fails with
/// a connection error at once, `kill` ends within 3 s and the process is reaped.
#[test]
fn replies_cut_off_midway_fail_the_call() {
    isolated(20 * SEC, 40, || async {
        let (host, client, pid, _dir) = started(&[]).await;
        let start = Instant::now();
        let err = echo(&client, "half-reply-close").await.expect_err("cut");
        assert!(err.is_unexpected_eof(), "{err:?}");
        assert!(start.elapsed() < SEC, "{:?}", start.elapsed());
        let fresh = host.dispense("echo").await.expect("dispense again");
        assert_eq!(echo(&fresh, "fine").await.expect("echo"), "fine");

        let start = Instant::now();
        let err = echo(&fresh, "half-reply-exit").await.expect_err("cut");
        assert!(err.is_connection_error(), "{err:?}");
        assert!(start.elapsed() < 2 * SEC, "{:?}", start.elapsed());
        let outcome = tokio::time::timeout(3 * SEC, async {
            let mut host = host;
            let o = host.kill().await;
            (o, host)
        })
        .await
        .expect("kill within 3 s");
        assert_eq!(outcome.0.status.and_then(|s| s.code()), Some(7));
        assert_gone(pid, SEC);
    })
}

// ------------------------------------------------------------------- floods

/// The plugin floods 32 MiB on its stdout, 32 MiB on its stderr (16 MiB of hclog lines and
/// a 16 MiB line), and 32 MiB on each of the stdout and stderr streams, while the host keeps
/// calling: every call is answered correctly, the flooding call too, within 30 s, and the
/// host's peak stays within 64 MiB (nothing of the floods is held).
#[test]
fn floods_of_output_and_log_lines_are_drained_in_bounded_memory() {
    isolated(45 * SEC, 64, || async {
        let dir = TempDir::new("hostile-flood");
        let (cmd, pidfile) = hostile(&dir, &[]);
        let stream_bytes = Count::default();
        let stderr_bytes = Count::default();
        let mut config = config();
        config.stdout = StdioSink::writer(stream_bytes.clone());
        config.launch.stderr = Some(Box::new(stderr_bytes.clone()));
        let host = PluginClient::start(cmd, config).await.expect("start");
        let client = host.dispense("echo").await.expect("dispense");
        let pid = pid_of(&pidfile);
        let flooding = {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .call_timeout::<_, String>("Plugin.Echo", &"flood".to_string(), 30 * SEC)
                    .await
            })
        };
        let mut answered = 0;
        while !flooding.is_finished() {
            let s = format!("during {answered}");
            assert_eq!(echo(&client, &s).await.expect("echo during the flood"), s);
            answered += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            flooding.await.expect("task").expect("the flooding call"),
            "flood"
        );
        assert!(answered > 0);
        // All of it went through (the stdout stream's copy, the raw stderr's copy).
        assert_eq!(stream_bytes.get(), 32 << 20);
        tokio::time::timeout(5 * SEC, async {
            while stderr_bytes.get() < (16 << 20) + (16 << 10) * 950 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("stderr copied: {} bytes", stderr_bytes.get()));
        kill_within(host, pid, 3 * SEC).await;
    })
}

/// Counts the bytes written to it (both as a tokio and a std writer).
#[derive(Clone, Default)]
struct Count(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Count {
    fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn add(&self, n: usize) -> usize {
        self.0.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        n
    }
}

impl std::io::Write for Count {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        Ok(self.add(b.len()))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncWrite for Count {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        b: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Ok(self.add(b.len())))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

// ------------------------------------------------------------------- signals

fn signal(pid: u32, sig: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid"));
    nix::sys::signal::kill(pid, sig).expect("signal");
}

/// SIGKILL of the plugin while a call waits (its limit 10 s): the call fails with a
/// connection error within 1 s, the client reports the process exited, `kill` returns at
/// once (not graceful) and the process is reaped.
#[test]
fn sigkill_of_the_plugin_mid_call_fails_the_call_at_once() {
    isolated(20 * SEC, 40, || async {
        let (mut host, client, pid, _dir) = started(&[]).await;
        let call = tokio::spawn({
            let client = client.clone();
            async move {
                client
                    .call_timeout::<_, String>("Plugin.Echo", &"stall".to_string(), 10 * SEC)
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let start = Instant::now();
        signal(pid, nix::sys::signal::Signal::SIGKILL);
        let err = call.await.expect("task").expect_err("killed");
        assert!(err.is_connection_error(), "{err:?}");
        assert!(start.elapsed() < SEC, "{:?}", start.elapsed());
        let outcome = tokio::time::timeout(3 * SEC, host.kill())
            .await
            .expect("kill within 3 s");
        assert!(!outcome.graceful);
        assert_gone(pid, SEC);
    })
}

/// SIGSTOP of the plugin while a call waits: the call ends at its deadline (1 s) with
/// `context deadline exceeded`; with a 4 MiB call stuck in the stopped plugin's window,
/// `kill` gives up on Quit after `quit_timeout` (0.5 s), SIGKILLs the stopped process and
/// reaps it within 3 s (it waited 5.5 s, flushing the session, before), and the stuck call
/// then fails with a connection error.
#[test]
fn sigstop_of_the_plugin_mid_call_ends_the_call_at_its_deadline() {
    isolated(20 * SEC, 40, || async {
        let (mut host, client, pid, _dir) = started(&[]).await;
        let call = tokio::spawn({
            let client = client.clone();
            async move {
                client
                    .call_timeout::<_, String>("Plugin.Echo", &"stall".to_string(), SEC)
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        signal(pid, nix::sys::signal::Signal::SIGSTOP);
        let start = Instant::now();
        let err = call.await.expect("task").expect_err("stopped");
        assert!(err.is_deadline_exceeded(), "{err:?}");
        let err = client
            .call_timeout::<_, String>("Plugin.Echo", &"stopped".to_string(), SEC)
            .await
            .expect_err("a stopped plugin answers nothing");
        assert!(err.is_deadline_exceeded(), "{err:?}");
        // A 4 MiB argument cannot leave (the stopped plugin grants no window): the writer
        // is stuck mid-message when `kill` runs.
        let big = client.clone();
        let stuck = tokio::spawn(async move {
            big.call_timeout::<_, String>("Plugin.Echo", &"x".repeat(4 << 20), 10 * SEC)
                .await
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let start_kill = Instant::now();
        let outcome = tokio::time::timeout(3 * SEC, host.kill())
            .await
            .expect("kill within 3 s");
        assert!(!outcome.graceful);
        assert!(start_kill.elapsed() < 3 * SEC);
        assert_gone(pid, SEC);
        let err = tokio::time::timeout(SEC, stuck)
            .await
            .expect("the stuck call ends with the kill")
            .expect("task")
            .expect_err("killed");
        assert!(err.is_connection_error(), "{err:?}");
        assert!(start.elapsed() < 10 * SEC);
    })
}

// ------------------------------------------------------------------- file descriptors

/// The host (`tilores-plugin dispatch` with the fake dispatcher) under `prlimit --nofile=N`
/// for N from 8 to 64: each run ends within 15 s, without a panic, either with the right
/// answer or with a clear "Too many open files" error, and leaves no plugin process behind.
#[test]
fn a_host_short_of_file_descriptors_fails_cleanly() {
    limit_sync(|| {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let cli = PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin"));
        let fake = PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"));
        let mut outcomes = Vec::new();
        for n in [8, 12, 16, 20, 22, 23, 24, 32, 64] {
            let mark = format!("nofile-{n}-{}", std::process::id());
            let start = Instant::now();
            let mut child = Command::new("prlimit")
                .arg(format!("--nofile={n}:{n}"))
                .arg("--")
                .arg(&cli)
                .args(["dispatch", "--plugin"])
                .arg(&fake)
                .env("HOSTILE_MARK", &mark)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            let mut stdin = child.stdin.take().expect("stdin");
            // The host may be gone before it reads its script.
            let _ = stdin.write_all(b"{\"call\":\"entity\",\"input\":{\"id\":\"a\"}}\n");
            drop(stdin);
            let pid = child.id();
            let waiter = std::thread::spawn(move || child.wait_with_output());
            while !waiter.is_finished() {
                assert!(
                    start.elapsed() < 15 * SEC,
                    "nofile={n}: the host still runs after 15 s"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            let out = waiter.join().expect("thread").expect("output");
            let took = start.elapsed();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert!(
                !stderr.contains("panicked"),
                "nofile={n}: the host panicked: {stderr}"
            );
            let answered =
                out.status.success() && stdout.contains(r#"{"output":{"entity":{"id":"a""#);
            let refused =
                stdout.contains("Too many open files") || stderr.contains("Too many open files");
            assert!(
                answered || refused,
                "nofile={n} ({}): neither an answer nor a clear error:\n{stdout}\n{stderr}",
                out.status
            );
            assert_gone(pid, SEC);
            common::hostile::assert_no_marked_process("HOSTILE_MARK", &mark, 3 * SEC);
            outcomes.push(format!(
                "nofile={n}: {} in {took:?}",
                if answered { "answered" } else { "refused" }
            ));
        }
        eprintln!("{}", outcomes.join("\n"));
        assert!(
            outcomes[0].contains("refused")
                && outcomes.last().is_some_and(|o| o.contains("answered"))
        );
    })
}
