//! Issue 14, "every wait bounded, every peer's bytes budgeted", end to end through plugin
//! processes: hostile plugins (a reply trickled byte by byte) end the host's calls at their
//! deadline with Go's text, and well-behaved calls on the same connection still get their
//! answers.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn cli() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin"))
}

/// Runs `program args` with `stdin` and extra environment, within `limit`; returns stdout,
/// stderr and how long it took (panics on a non-zero exit or past the limit).
async fn run(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
    limit: Duration,
) -> (String, String, Duration) {
    use tokio::io::AsyncWriteExt;
    let start = Instant::now();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("stdin");
    drop(input);
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} {args:?} still running after {limit:?}",
                program.display()
            )
        })
        .expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{} {args:?} failed: {stderr}",
        program.display()
    );
    (
        String::from_utf8(out.stdout).expect("utf-8 output"),
        stderr,
        start.elapsed(),
    )
}

/// The bug: a plugin trickling its reply at a byte a second wedged `tilores-plugin dispatch`
/// forever although the call carried `deadline_ms`. Now the call ends at its deadline with
/// Go's text and the run (kill included: the Quit reply trickles too) ends in bounded time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_ends_a_call_whose_reply_trickles_at_a_byte_a_second() {
    limit(async {
        let plugin = example_bin("dispatcher_test_plugin");
        let p = plugin.to_str().expect("utf-8 path");
        let script = r#"{"call":"entity","input":{"id":"trickle"},"deadline_ms":500}
"#;
        let (out, err, took) = run(
            &cli(),
            &["dispatch", "--plugin", p],
            &[("DISPATCHER_TEST_PLUGIN_TRICKLE_MS", "1000")],
            script,
            Duration::from_secs(30),
        )
        .await;
        assert_eq!(
            out, "{\"error\":\"context deadline exceeded\"}\n",
            "stderr: {err}"
        );
        // 0.5 s deadline, then Kill: Control.Quit (its reply trickles: 2 s), SIGKILL, reap.
        assert!(took < Duration::from_secs(10), "took {took:?}");
    })
    .await
}

/// The late reply of a call that passed its deadline is dropped without harm: the next
/// call on the same connection gets its own answer, and a call without `deadline_ms` gets
/// the CLI's default deadline (the plugin sees one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_goes_on_after_a_deadline_with_correct_answers() {
    limit(async {
        let plugin = example_bin("dispatcher_test_plugin");
        let p = plugin.to_str().expect("utf-8 path");
        let script = r#"{"call":"entity","input":{"id":"abcd"}}
{"call":"entity","input":{"id":"trickle"},"deadline_ms":200}
{"call":"entity","input":{"id":"abcd"},"deadline_ms":20000}
{"call":"entity","input":{"id":"abcd"}}
"#;
        let (out, err, took) = run(
            &cli(),
            &["dispatch", "--plugin", p, "--deadline-ms", "0"],
            &[("DISPATCHER_TEST_PLUGIN_TRICKLE_MS", "5")],
            script,
            Duration::from_secs(30),
        )
        .await;
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}\nstderr: {err}");
        // --deadline-ms 0: no default deadline.
        assert!(
            lines[0].starts_with(r#"{"output":{"entity":{"id":"abcd""#)
                && lines[0].contains(r#""deadlineExists":false"#),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], r#"{"error":"context deadline exceeded"}"#);
        for l in &lines[2..3] {
            assert!(l.starts_with(r#"{"output":{"entity":{"id":"abcd""#), "{l}");
            assert!(l.contains(r#""deadlineExists":true"#), "{l}");
        }
        assert!(
            lines[3].contains(r#""deadlineExists":false"#),
            "{}",
            lines[3]
        );
        assert!(took < Duration::from_secs(20), "took {took:?}");

        // Without --deadline-ms, a call without deadline_ms carries the default deadline.
        let (out, err, _) = run(
            &cli(),
            &["dispatch", "--plugin", p],
            &[],
            "{\"call\":\"entity\",\"input\":{\"id\":\"abcd\"}}\n",
            Duration::from_secs(30),
        )
        .await;
        assert!(
            out.contains(r#""deadlineExists":true"#),
            "{out}\nstderr: {err}"
        );
    })
    .await
}

// ------------------------------------------------------------------- provider limits

use tilores_plugin::plugin::{
    ClientConfig, ExitPolicy, HandshakeConfig, PluginAddr, PluginClient, PluginServer, PluginSet,
    Protocol, ReattachConfig, ServeConfig,
};
use tilores_plugin::rpc;
use tilores_plugin_test_support::{example_bin, limit, SharedBytes, TempDir};
use tokio::io::AsyncReadExt;

fn echo_handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "RELIABILITY".into(),
        magic_cookie_value: "test".into(),
    }
}

/// A provider (connection part) serving `Plugin.Echo` on a socket in `dir`, with `tune`
/// applied to its config; returns the reattach config a host connects with.
fn echo_provider(dir: &TempDir, tune: impl FnOnce(&mut ServeConfig)) -> ReattachConfig {
    let plugins = PluginSet::new().plugin("echo", |_broker| {
        let server = rpc::Server::new();
        server.register_fn(
            "Plugin",
            "Echo",
            |s: String| async move { Ok::<_, String>(s) },
        )?;
        Ok(server)
    });
    let mut config = ServeConfig::new(echo_handshake(), plugins);
    tune(&mut config);
    let server = PluginServer::with_config(&config);
    let path = dir.path().join("p.sock");
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    tokio::spawn(async move { server.run(&listener, ExitPolicy::QuitOnly).await });
    ReattachConfig {
        protocol: Protocol::NetRpc,
        protocol_version: 0,
        addr: PluginAddr::Unix(path),
        pid: std::process::id(),
        test: true,
    }
}

/// A well-behaved host: connects, dispenses `echo`, gets a correct answer.
async fn echo_round_trip(rc: &ReattachConfig) {
    let config = ClientConfig::new(echo_handshake()).plugins(["echo"]);
    let mut host = PluginClient::reattach(rc, config).await.expect("reattach");
    let echo = host.dispense("echo").await.expect("dispense");
    let got: String = echo
        .call_timeout("Plugin.Echo", &"hi".to_string(), Duration::from_secs(5))
        .await
        .expect("echo");
    assert_eq!(got, "hi");
    host.kill().await;
}

/// A connection that opens no streams is closed after `streams_timeout` (go-plugin holds it
/// forever); a host connected meanwhile is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_closed_after_the_streams_timeout() {
    limit(async {
        let dir = TempDir::new("rel-silent");
        let rc = echo_provider(&dir, |c| c.streams_timeout = Duration::from_millis(300));
        let PluginAddr::Unix(path) = &rc.addr else {
            unreachable!()
        };
        let mut silent = tokio::net::UnixStream::connect(path)
            .await
            .expect("connect");
        let start = Instant::now();
        echo_round_trip(&rc).await;
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut rest))
            .await
            .expect("closed by the provider within 5 s")
            .expect("read");
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    })
    .await
}

/// With `max_connections` held by silent connections, the next host waits in the backlog
/// until they are closed, then is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_max_connections_wait_their_turn() {
    limit(async {
        let dir = TempDir::new("rel-maxconn");
        let rc = echo_provider(&dir, |c| {
            c.max_connections = 2;
            c.streams_timeout = Duration::from_millis(1500);
        });
        let PluginAddr::Unix(path) = &rc.addr else {
            unreachable!()
        };
        let _a = tokio::net::UnixStream::connect(path)
            .await
            .expect("connect");
        let _b = tokio::net::UnixStream::connect(path)
            .await
            .expect("connect");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let start = Instant::now();
        tokio::time::timeout(Duration::from_secs(10), echo_round_trip(&rc))
            .await
            .expect("served within 10 s");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(1200),
            "served after {took:?}, before the silent connections were closed"
        );
    })
    .await
}

// ------------------------------------------------------------------- SIGTERM

/// SIGTERM ends a Rust provider gracefully: it stops serving, removes its private socket
/// directory and exits on its own (status 0), promptly. (A Go plugin dies of the signal and
/// leaves its socket file behind; before the handler the Rust one left its directory too.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_a_provider_and_removes_its_socket_directory() {
    limit(async {
        use tilores_plugin::dispatcher::{initialize, CallContext, Dispatcher, EntityInput};
        let fake = PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"));
        let mut plugin = initialize(tilores_plugin::plugin::PluginCommand::new(&fake), None)
            .await
            .expect("start the fake");
        let out = plugin
            .dispatcher()
            .entity(
                CallContext::with_timeout(Duration::from_secs(5)),
                EntityInput { id: "e".into() },
            )
            .await
            .expect("entity");
        assert!(out.entity.is_some());
        let rc = plugin.reattach_config();
        let PluginAddr::Unix(socket) = &rc.addr else {
            panic!("unix socket expected: {rc:?}")
        };
        let dir = socket.parent().expect("socket directory").to_path_buf();
        assert!(dir.exists());
        let pid = nix::unistd::Pid::from_raw(i32::try_from(rc.pid).expect("pid"));
        let start = Instant::now();
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        while !plugin.plugin().exited() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "still running 5 s after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!dir.exists(), "{} left behind", dir.display());
        let outcome = plugin.kill().await;
        assert_eq!(
            outcome.status.and_then(|s| s.code()),
            Some(0),
            "{outcome:?}"
        );
    })
    .await
}

// ------------------------------------------------------------------- provider log

/// The Rust provider logged one TRACE line per yamux stream into the host's log; a Go plugin
/// logs nothing per stream, and neither does it now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_logs_nothing_per_stream() {
    limit(async {
        use tilores_plugin::dispatcher::{client_config, PLUGIN_NAME};
        let fake = PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"));
        let lines = SharedBytes::default();
        let mut config = client_config();
        config.launch.stderr = Some(Box::new(lines.clone()));
        let mut plugin =
            PluginClient::start(tilores_plugin::plugin::PluginCommand::new(&fake), config)
                .await
                .expect("start");
        // Control, stdout, stderr and five dispensed streams.
        for _ in 0..5 {
            let rpc = plugin.dispense(PLUGIN_NAME).await.expect("dispense");
            rpc.close().await.expect("close");
        }
        plugin.ping().await.expect("ping");
        let outcome = plugin.kill().await;
        assert!(outcome.graceful, "{outcome:?}");
        let text = lines.text();
        assert!(
            text.contains("plugin address"),
            "the log was captured: {text}"
        );
        assert!(
            !text.contains("stream"),
            "per-stream lines in the host's log:\n{text}"
        );
        assert!(
            !text.contains("\"@level\":\"trace\""),
            "trace lines in the host's log:\n{text}"
        );
    })
    .await
}
