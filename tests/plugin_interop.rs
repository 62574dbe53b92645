//! go-plugin host and provider against real Go binaries (go-interop), for go-plugin v1.4.3 and
//! the newest v1.x (bin/latest):
//! - a Go host (`plugin-host`, plugin.NewClient) drives the Rust kv plugin (examples/kv_plugin);
//! - the Rust host (`PluginClient`) drives the Go kv plugin (`kvplugin`);
//! - go-plugin's own examples/basic host and greeter against the Rust greeter twins;
//! - Rust host ↔ Rust plugin.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tilores_plugin::plugin::{
    self, ClientConfig, ClientError, HandshakeConfig, LaunchError, PluginClient, PluginCommand,
    SecureConfig, StdioSink,
};
use tilores_plugin::rpc::{RpcError, Server};

use common::{example_bin, go_bin, TempDir};

/// Go host versions under test: the primary target and the newest go-plugin v1.x.
fn go_hosts() -> [(PathBuf, &'static str); 2] {
    [
        (go_bin("plugin-host"), "v1.4.3"),
        (go_bin("latest/plugin-host"), "v1.8.0"),
    ]
}

/// Runs a Go plugin-host scenario; returns its one JSON line.
fn run_go_host(host: &Path, args: &[&str], env: &[(&str, &str)]) -> Json {
    let mut cmd = Command::new(host);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run plugin-host");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let v: Json = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "plugin-host {args:?} printed no JSON ({e}): stdout {stdout:?} stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // plugin-host exits 0 iff "ok" is true: a host that printed ok and then failed (or
    // crashed after a failure line) must not pass.
    assert_eq!(
        out.status.success(),
        v["ok"] == Json::Bool(true),
        "plugin-host {args:?}: exit status {} disagrees with {v}; stderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    v
}

fn assert_ok(v: &Json, what: &str) {
    assert_eq!(v["ok"], Json::Bool(true), "{what}: {v}");
}

// ---------------------------------------------------------------------------------------------
// Go host → Rust plugin
// ---------------------------------------------------------------------------------------------

#[test]
fn go_host_drives_rust_plugin() {
    common::limit_sync(|| {
        let plugin = example_bin("kv_plugin");
        let p = plugin.to_str().expect("utf-8 path");
        for (host, version) in go_hosts() {
            for scenario in [
                "basic",
                "callback",
                "stdio",
                "logs",
                "concurrent",
                "kill-only",
            ] {
                let v = run_go_host(&host, &["-plugin", p, "-scenario", scenario], &[]);
                assert_ok(&v, &format!("{version} {scenario}"));
                assert_eq!(v["go_plugin"], version);
            }
            let v = run_go_host(&host, &["-plugin", p, "-scenario", "basic"], &[]);
            assert_eq!(v["get_missing_error"], "no such key: missing");
            assert_eq!(v["get_missing_is_server_error"], true);
            assert_eq!(v["kill_graceful"], true, "{v}");
            assert_eq!(v["process_gone"], true, "{v}");
            assert_eq!(v["reattach"]["Addr"]["Network"], "unix");
            let v = run_go_host(&host, &["-plugin", p, "-scenario", "callback"], &[]);
            assert_eq!(v["reply"], "hello kvplugin from host");
            assert_eq!(v["broker_id"], 1);
        }
    })
}

#[test]
fn go_host_drains_chatty_rust_plugin() {
    common::limit_sync(|| {
        let plugin = example_bin("kv_plugin");
        let p = plugin.to_str().expect("utf-8 path");
        let v = run_go_host(
            &go_bin("plugin-host"),
            &["-plugin", p, "-scenario", "chatty"],
            &[("KVPLUGIN_MODE", "chatty")],
        );
        assert_ok(&v, "chatty");
        assert_eq!(v["stdout_bytes"], 1 << 20);
        assert_eq!(v["stderr_bytes"], 1 << 20);
    })
}

#[test]
fn go_host_reattaches_to_rust_plugin() {
    common::limit_sync(|| {
        let plugin = example_bin("kv_plugin");
        let p = plugin.to_str().expect("utf-8 path");
        for (host, version) in go_hosts() {
            // The first host exits without Kill; with quit-only the plugin waits for the next one.
            let first = run_go_host(
                &host,
                &["-plugin", p, "-scenario", "reattach-print"],
                &[("TILORES_PLUGIN_EXIT_POLICY", "quit-only")],
            );
            assert_ok(&first, &format!("{version} reattach-print"));
            let rc = first["reattach"].to_string();
            let second = run_go_host(&host, &["-reattach", &rc, "-scenario", "reattach-use"], &[]);
            assert_ok(&second, &format!("{version} reattach-use"));
            assert_eq!(second["get"], "v");
            assert_eq!(second["pid"], first["pid"]);
            assert_eq!(second["process_gone"], true);
        }
    })
}

/// The host process dies without Kill: the Rust plugin (default exit policy) exits within 2 s.
#[test]
fn rust_plugin_exits_when_go_host_dies() {
    common::limit_sync(|| {
        let plugin = example_bin("kv_plugin");
        let p = plugin.to_str().expect("utf-8 path");
        for (host, version) in go_hosts() {
            let v = run_go_host(&host, &["-plugin", p, "-scenario", "die-after-start"], &[]);
            assert_ok(&v, version);
            let pid = v["pid"].as_u64().expect("pid") as u32;
            let start = Instant::now();
            while plugin::process::pid_running(pid) {
                assert!(
                    start.elapsed() < Duration::from_secs(2),
                    "{version}: Rust plugin {pid} still running 2 s after its host died"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    })
}

#[test]
fn rust_plugin_refuses_missing_or_wrong_cookie() {
    common::limit_sync(|| {
        let plugin = example_bin("kv_plugin");
        let out = Command::new(&plugin)
            .env_remove("TILORES_TEST_PLUGIN")
            .output()
            .expect("run plugin");
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            plugin::negotiate::NOT_A_PLUGIN_MESSAGE
        );
        assert!(out.stdout.is_empty());
        // The Go host's view of it (wrong cookie value sent).
        let p = plugin.to_str().expect("utf-8 path");
        let v = run_go_host(
            &go_bin("plugin-host"),
            &["-plugin", p, "-scenario", "start-only", "-cookie", "wrong"],
            &[],
        );
        assert_eq!(v["ok"], false);
        assert_eq!(v["step"], "start");
        assert!(
            v["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("Unrecognized remote plugin message: \n")),
            "{v}"
        );
    })
}

// ---------------------------------------------------------------------------------------------
// Rust host → Go plugin
// ---------------------------------------------------------------------------------------------

fn kv_handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "TILORES_TEST_PLUGIN".into(),
        magic_cookie_value: "interop".into(),
    }
}

#[path = "../examples/support/kv_types.rs"]
mod kv_types;
use kv_types::{Kv, LogArgs};

/// An in-memory AsyncWrite sink for the plugin's stdout/stderr streams.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
    async fn wait_len(&self, n: usize, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let t = self.text();
            if t.len() >= n || start.elapsed() > limit {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl tokio::io::AsyncWrite for SharedBuf {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0.lock().unwrap().extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
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

/// A std::io::Write buffer for a tracing layer.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Go kv plugins under test: the primary target and the newest go-plugin v1.x.
fn go_plugins() -> [(PathBuf, &'static str); 2] {
    [
        (go_bin("kvplugin"), "v1.4.3"),
        (go_bin("latest/kvplugin"), "v1.8.0"),
    ]
}

fn kv_config() -> ClientConfig {
    ClientConfig::new(kv_handshake()).plugins(["kv"])
}

#[tokio::test(flavor = "current_thread")]
async fn rust_host_drives_go_plugin() {
    common::limit(async {
        for (bin, version) in go_plugins() {
            // Capture the re-logged plugin stderr as JSON lines (level, message, fields).
            let logs = LogBuf::default();
            let subscriber = {
                use tracing_subscriber::layer::SubscriberExt;
                tracing_subscriber::registry()
                    .with(plugin::HclogLayer::with_writer(logs.clone()).module_from_target(true))
            };
            let _guard = tracing::subscriber::set_default(subscriber);

            let (out, err) = (SharedBuf::default(), SharedBuf::default());
            let mut config = kv_config();
            config.stdout = StdioSink::writer(out.clone());
            config.stderr = StdioSink::writer(err.clone());
            let mut client = PluginClient::start(PluginCommand::new(&bin), config)
                .await
                .unwrap_or_else(|e| panic!("{version}: start: {e}"));
            let kv = client.dispense("kv").await.expect("dispense");
            assert!(kv
                .call::<_, bool>(
                    "Plugin.Put",
                    &Kv {
                        key: "a".into(),
                        value: "1".into()
                    }
                )
                .await
                .expect("put"));
            let got: String = kv.call("Plugin.Get", &"a".to_string()).await.expect("get");
            assert_eq!(got, "1");
            let e = kv
                .call::<_, String>("Plugin.Get", &"missing".to_string())
                .await
                .unwrap_err();
            assert_eq!(
                e.server_message(),
                Some("no such key: missing"),
                "{version}"
            );
            client.ping().await.expect("ping");

            // Unknown plugin: refused locally, and by the plugin when the host does not check.
            assert!(matches!(
                client.dispense("nope").await,
                Err(ClientError::UnknownPlugin(n)) if n == "nope"
            ));

            // Callback: the host offers Host.Hello through the broker; the plugin dials it.
            let id = client.broker().next_id();
            let host_service = Server::new();
            host_service
                .register_fn("Host", "Hello", |name: String| async move {
                    Ok::<_, String>(format!("hello {name} from host"))
                })
                .unwrap();
            let broker = client.broker().clone();
            let offer =
                tokio::spawn(async move { broker.accept_and_serve(id, host_service).await });
            let reply: String = kv.call("Plugin.Callback", &id).await.expect("callback");
            assert_eq!(reply, "hello kvplugin from host", "{version}");
            drop(offer);

            // stdio: the plugin's os.Stdout/os.Stderr arrive in the sinks.
            assert!(kv
                .call::<_, bool>("Plugin.Print", &"hello-stdio\n".to_string())
                .await
                .expect("print"));
            assert_eq!(
                out.wait_len(12, Duration::from_secs(5)).await,
                "hello-stdio\n"
            );
            assert_eq!(
                err.wait_len(16, Duration::from_secs(5)).await,
                "err:hello-stdio\n"
            );

            // hclog levels: each plugin log line becomes a tracing event at its level.
            for level in ["trace", "debug", "info", "warn", "error"] {
                let args = LogArgs {
                    level: level.into(),
                    message: format!("kvlog {level}"),
                    fields: [("field".to_string(), format!("value-{level}"))].into(),
                };
                assert!(kv.call::<_, bool>("Plugin.Log", &args).await.expect("log"));
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            let lines: Vec<Json> = loop {
                let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
                let lines: Vec<Json> = text
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .filter(|j: &Json| {
                        j["@message"]
                            .as_str()
                            .is_some_and(|m| m.starts_with("kvlog "))
                    })
                    .collect();
                if lines.len() == 5 || Instant::now() > deadline {
                    break lines;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            assert_eq!(lines.len(), 5, "{version}: re-logged lines {lines:?}");
            for l in &lines {
                let msg = l["@message"].as_str().unwrap();
                let level = msg.trim_start_matches("kvlog ");
                assert_eq!(l["@level"], level, "{l}");
                assert_eq!(l["@module"], "go_plugin::stderr");
                assert!(
                    l["fields"]
                        .as_str()
                        .is_some_and(|f| f.contains(&format!("field=value-{level}"))),
                    "{l}"
                );
            }

            // Reattach from a second client while the first lives, then kill through it.
            let rc = client.reattach_config();
            let json = serde_json::to_string(&rc).unwrap();
            let rc2 = serde_json::from_str(&json).unwrap();
            let mut second = PluginClient::reattach(&rc2, kv_config())
                .await
                .expect("reattach");
            let kv2 = second
                .dispense("kv")
                .await
                .expect("dispense after reattach");
            let got: String = kv2.call("Plugin.Get", &"a".to_string()).await.unwrap();
            assert_eq!(got, "1", "{version}: same process state after reattach");

            let pid = client.pid();
            let outcome = client.kill().await;
            assert!(outcome.graceful, "{version}: {outcome:?}");
            assert_eq!(outcome.status.and_then(|s| s.code()), Some(0));
            assert!(client.exited());
            assert!(!plugin::process::pid_alive(pid));
            // The reattached client sees the plugin gone.
            let e = kv2
                .call::<_, String>("Plugin.Get", &"a".to_string())
                .await
                .expect_err("the plugin is gone");
            assert!(e.is_connection_error(), "{version}: {e}");
            second.kill().await;
        }
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn rust_host_kill_with_calls_pending_and_crash() {
    common::limit(async {
        let (bin, _) = &go_plugins()[0];
        let mut client = PluginClient::start(PluginCommand::new(bin), kv_config())
            .await
            .unwrap();
        let kv = client.dispense("kv").await.unwrap();
        // A call that never gets a reply: the plugin exits.
        let e = kv.call::<_, bool>("Plugin.Crash", &7i64).await.unwrap_err();
        assert!(e.is_connection_error(), "{e}");
        let later = kv.call::<_, String>("Plugin.Get", &"a".to_string()).await;
        assert!(matches!(later, Err(RpcError::Shutdown)), "{later:?}");
        let outcome = client.kill().await;
        assert_eq!(outcome.status.and_then(|s| s.code()), Some(7));
        assert!(client.exited());
    })
    .await
}

/// A call still waiting for its reply when the host kills the plugin ends with a connection
/// error instead of waiting forever. Regression: the dispensed client's reader and writer
/// shared one "session ended" waiter, and a request that stalled the writer (here 8 MiB
/// against the peer's window) took the reader's place in it, so after Kill's graceful
/// local close the reader was never woken (more than half of the runs hung).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_host_kill_ends_a_call_waiting_behind_a_stalled_write() {
    common::limit(async {
        let (bin, _) = &go_plugins()[0];
        for round in 0..5 {
            common::step(format!("round {round}"));
            let mut client = PluginClient::start(PluginCommand::new(bin), kv_config())
                .await
                .unwrap();
            let kv = client.dispense("kv").await.unwrap();
            let waiting = tokio::spawn({
                let kv = kv.clone();
                async move { kv.call::<_, i64>("Plugin.Sleep", &3000i64).await }
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
            let big = tokio::spawn({
                let kv = kv.clone();
                async move {
                    kv.call::<_, String>("Plugin.Get", &"k".repeat(8 << 20))
                        .await
                }
            });
            tokio::time::sleep(Duration::from_millis(5)).await;
            client.kill().await;
            let r = tokio::time::timeout(Duration::from_secs(5), waiting)
                .await
                .unwrap_or_else(|_| panic!("round {round}: the pending call never ended"))
                .expect("task");
            assert!(
                matches!(&r, Err(e) if e.is_connection_error()),
                "round {round}: {r:?}"
            );
            // The big call ends too: cut off by the kill, or (if it got through first) with
            // the plugin's missing-key error.
            let big = tokio::time::timeout(Duration::from_secs(5), big)
                .await
                .unwrap_or_else(|_| panic!("round {round}: the stalled write never ended"))
                .expect("task");
            assert!(
                matches!(&big, Err(e) if e.is_connection_error())
                    || matches!(&big, Err(RpcError::Server(_))),
                "round {round}: {big:?}"
            );
        }
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn rust_host_launch_failures_are_clear() {
    common::limit(async {
        let (bin, _) = &go_plugins()[0];
        let with_mode = |mode: &str| PluginCommand::new(bin).env("KVPLUGIN_MODE", mode);

        for (mode, quoted) in [
            // Garbage handshake: the error quotes the line.
            ("garbage", "this is not a handshake"),
            // Unknown network type (Go v1.4.3's host errs badly here).
            ("bad-network", "carrier-pigeon"),
            // Wrong app protocol version.
            ("bad-version", "Plugin version: 9"),
        ] {
            let e = PluginClient::start(with_mode(mode), kv_config())
                .await
                .unwrap_err();
            assert!(e.to_string().contains(quoted), "{mode}: {e}");
        }
        // Exits before the handshake, with its stderr in the error.
        let e = PluginClient::start(with_mode("exit-early"), kv_config())
            .await
            .unwrap_err();
        match &e {
            ClientError::Launch(LaunchError::Exited { status, stderr }) => {
                assert_eq!(status.and_then(|s| s.code()), Some(3));
                assert!(stderr.iter().any(|l| l.contains("exiting early")), "{e}");
            }
            other => panic!("exit-early: {other}"),
        }
        // Never answers: the start timeout.
        let mut config = kv_config();
        config.launch.start_timeout = Duration::from_millis(500);
        let start = Instant::now();
        let e = PluginClient::start(with_mode("never"), config)
            .await
            .unwrap_err();
        assert!(
            matches!(e, ClientError::Launch(LaunchError::Timeout { .. })),
            "{e}"
        );
        assert_eq!(e.to_string(), "timeout while waiting for plugin to start");
        assert!(start.elapsed() < Duration::from_secs(5));
        // Wrong cookie: the Go plugin refuses with go-plugin's text and exit status 1.
        let mut config = kv_config();
        config.launch.handshake.magic_cookie_value = "wrong".into();
        let e = PluginClient::start(PluginCommand::new(bin), config)
            .await
            .unwrap_err();
        match &e {
            ClientError::Launch(LaunchError::Exited { status, stderr }) => {
                assert_eq!(status.and_then(|s| s.code()), Some(1));
                assert!(
                    stderr.iter().any(|l| l.contains("This binary is a plugin")),
                    "{e}"
                );
            }
            other => panic!("wrong cookie: {other}"),
        }
        // SecureConfig: a checksum mismatch is refused before the binary runs.
        let mut config = kv_config();
        config.launch.secure = Some(SecureConfig::sha256(vec![0u8; 32]));
        let e = PluginClient::start(PluginCommand::new(bin), config)
            .await
            .unwrap_err();
        assert!(
            matches!(e, ClientError::Launch(LaunchError::ChecksumMismatch)),
            "{e}"
        );
        assert_eq!(e.to_string(), "checksums did not match");
        // ... and the right checksum is accepted.
        let mut config = kv_config();
        config.launch.secure = Some(SecureConfig::sha256(
            plugin::process::sha256_file(bin).unwrap().to_vec(),
        ));
        let mut client = PluginClient::start(PluginCommand::new(bin), config)
            .await
            .unwrap();
        client.ping().await.unwrap();
        client.kill().await;
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn reattach_to_a_dead_address_kills_the_pid() {
    common::limit(async {
        let tmp = TempDir::new("reattach");
        let mut sleeper = tokio::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = sleeper.id().unwrap();
        let rc = plugin::ReattachConfig {
            protocol: plugin::Protocol::NetRpc,
            protocol_version: 0,
            addr: plugin::PluginAddr::Unix(tmp.path().join("nobody.sock")),
            pid,
            test: false,
        };
        let e = PluginClient::reattach(&rc, kv_config()).await.unwrap_err();
        assert_eq!(e.to_string(), "Reattachment process not found");
        let status = tokio::time::timeout(Duration::from_secs(5), sleeper.wait())
            .await
            .expect("pid killed")
            .unwrap();
        assert!(!status.success());
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Rust host ↔ Rust plugin
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "current_thread")]
async fn rust_host_drives_rust_plugin() {
    common::limit(async {
        let bin = example_bin("kv_plugin");
        let out = SharedBuf::default();
        let mut config = kv_config();
        config.stdout = StdioSink::writer(out.clone());
        let mut client = PluginClient::start(PluginCommand::new(&bin), config)
            .await
            .unwrap();
        let kv = client.dispense("kv").await.unwrap();
        let put = Kv {
            key: "k".into(),
            value: "v".into(),
        };
        assert!(kv.call::<_, bool>("Plugin.Put", &put).await.unwrap());
        let got: String = kv.call("Plugin.Get", &"k".to_string()).await.unwrap();
        assert_eq!(got, "v");
        // The host offers Plugin.Hello only: the plugin falls back from Host.Hello as Go's does.
        let id = client.broker().next_id();
        let svc = Server::new();
        svc.register_fn("Plugin", "Hello", |n: String| async move {
            Ok::<_, String>(format!("hello {n} from host"))
        })
        .unwrap();
        let broker = client.broker().clone();
        tokio::spawn(async move { broker.accept_and_serve(id, svc).await });
        let reply: String = kv.call("Plugin.Callback", &id).await.unwrap();
        assert_eq!(reply, "hello kvplugin from host");
        assert!(kv
            .call::<_, bool>("Plugin.Print", &"rust-stdio\n".to_string())
            .await
            .unwrap());
        assert_eq!(
            out.wait_len(11, Duration::from_secs(5)).await,
            "rust-stdio\n"
        );
        // Broker timeout when nobody dials.
        let lonely = client.broker().next_id();
        let start = Instant::now();
        let e = client.broker().accept(lonely).await.unwrap_err();
        assert_eq!(e.to_string(), "timeout waiting for accept");
        assert!(start.elapsed() >= Duration::from_secs(5) - Duration::from_millis(50));
        client.ping().await.unwrap();
        let outcome = client.kill().await;
        assert!(outcome.graceful, "{outcome:?}");
        assert_eq!(outcome.status.and_then(|s| s.code()), Some(0));
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// go-plugin's examples/basic
// ---------------------------------------------------------------------------------------------

/// Runs `host` in a directory where `./plugin/greeter` is `greeter`; returns stdout.
fn run_basic(host: &Path, greeter: &Path) -> String {
    let dir = TempDir::new("basic");
    std::fs::create_dir(dir.path().join("plugin")).unwrap();
    std::fs::copy(greeter, dir.path().join("plugin/greeter")).unwrap();
    let out = Command::new(host)
        .current_dir(dir.path())
        .output()
        .expect("run host");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} with {}: {stdout} {}",
        host.display(),
        greeter.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn go_basic_host_runs_rust_greeter_and_back() {
    common::limit_sync(|| {
        let rust_greeter = example_bin("greeter_plugin");
        let rust_host = example_bin("greeter_host");
        let go_host = go_bin("basic-host");
        let go_greeter = go_bin("basic-greeter");
        for (host, greeter) in [
            (&go_host, &rust_greeter),
            (&rust_host, &go_greeter),
            (&rust_host, &rust_greeter),
            (&go_host, &go_greeter),
        ] {
            let out = run_basic(host, greeter);
            assert!(
                out.lines().any(|l| l == "Hello!"),
                "{} + {}: {out}",
                host.display(),
                greeter.display()
            );
            // The plugin's debug logs reach the host's log (stdout for both hosts).
            assert!(out.contains("message from plugin"), "{out}");
            assert!(out.contains("foo=bar"), "{out}");
            assert!(out.contains("message from GreeterHello.Greet"), "{out}");
        }
    })
}
