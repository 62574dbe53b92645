//! go-plugin host and provider against real Go binaries (go-interop), for go-plugin v1.4.3 and
//! the newest v1.x (bin/latest):
//! - a Go host (`plugin-host`, plugin.NewClient) drives the Rust kv plugin (examples/kv_plugin);
//! - the Rust host (`PluginClient`) drives the Go kv plugin (`kvplugin`);
//! - go-plugin's own examples/basic host and greeter (v1.4.3 and v1.8.0) against the Rust
//!   greeter twins;
//! - go-plugin's own examples/negotiated host and plugin against the Rust kv twin, and the
//!   Rust host against them and examples/grpc's net/rpc kv plugin;
//! - Rust host ↔ Rust plugin.
//!
//! With the `tls` feature every pairing also runs under go-plugin's AutoMTLS (and the kv
//! pairings under the user TLS path, `TLSConfig` / `TLSProvider`, with certificates the test
//! generates); each run proves TLS was negotiated (the Go host's `VerifyConnection` report, or
//! [`PluginClient::tls`] on the Rust side).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tilores_plugin::gob::Interface;
use tilores_plugin::plugin::{
    self, ClientConfig, ClientError, HandshakeConfig, LaunchError, PluginClient, PluginCommand,
    SecureConfig, StdioSink,
};
use tilores_plugin::rpc::{RpcError, Server};

/// How a scenario's connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// No TLS (go-plugin's default).
    Plain,
    /// go-plugin's AutoMTLS.
    #[cfg(feature = "tls")]
    AutoMtls,
    /// go-plugin's user TLS path: the host's `TLSConfig`, the plugin's `TLSProvider`
    /// (`KVPLUGIN_TLS_DIR`), with certificates generated here.
    #[cfg(feature = "tls")]
    UserTls,
}

/// Every mode this build can run.
fn securities() -> Vec<Security> {
    #[allow(unused_mut)] // without the `tls` feature
    let mut v = vec![Security::Plain];
    #[cfg(feature = "tls")]
    v.extend([Security::AutoMtls, Security::UserTls]);
    v
}

/// Certificates for [`Security::UserTls`] in the files the Go and Rust kv plugins and the Go
/// kv host read (`server.pem`, `server-key.pem`, `client.pem`, `client-key.pem`).
#[cfg(feature = "tls")]
struct TlsFiles {
    dir: TempDir,
    server: plugin::tls::Identity,
    client: plugin::tls::Identity,
}

#[cfg(feature = "tls")]
impl TlsFiles {
    fn new() -> Self {
        use plugin::tls::Identity;
        let dir = TempDir::new("tls");
        let server = Identity::generate().expect("server certificate");
        let client = Identity::generate().expect("client certificate");
        for (name, text) in [
            ("server.pem", server.pem()),
            ("server-key.pem", server.key_pem()),
            ("client.pem", client.pem()),
            ("client-key.pem", client.key_pem()),
        ] {
            std::fs::write(dir.path().join(name), text).expect("write certificate");
        }
        TlsFiles {
            dir,
            server,
            client,
        }
    }

    fn dir(&self) -> &str {
        self.dir.path().to_str().expect("utf-8 path")
    }

    /// The Rust host's user TLS configuration: this client certificate, the server pinned.
    fn client_config(&self) -> plugin::tls::TlsClientConfig {
        plugin::tls::pinned_client_config(self.server.der().clone(), &self.client)
            .expect("client config")
    }
}

/// Hex SHA-256 (as the Go host's TLS report prints certificates).
#[cfg(feature = "tls")]
fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Asserts the Go host's TLS report (`"tls"` of its JSON line) for `security`: none for
/// [`Security::Plain`], else TLS 1.3 with the plugin's P-521/SHA-512 certificate verified and
/// pinned (exactly the certificate of the handshake line, or `server.pem`).
fn assert_go_tls(v: &Json, security: Security, what: &str) {
    match security {
        Security::Plain => assert_eq!(v["tls"], Json::Null, "{what}: {v}"),
        #[cfg(feature = "tls")]
        Security::AutoMtls | Security::UserTls => {
            let t = &v["tls"];
            assert_eq!(t["version"], "TLS 1.3", "{what}: {v}");
            assert_eq!(t["verified"], true, "{what}: {v}");
            assert_eq!(t["peer_is_root"], true, "{what}: {v}");
            assert_eq!(t["peer_sig"], "ECDSA-SHA512", "{what}: {v}");
            assert_eq!(t["peer_cn"], "localhost", "{what}: {v}");
        }
    }
}

/// Go host arguments and environment for `security` (`files` for [`Security::UserTls`]).
#[cfg(feature = "tls")]
fn go_host_tls_args(
    security: Security,
    files: &TlsFiles,
) -> (Vec<String>, Vec<(&'static str, String)>) {
    match security {
        Security::Plain => (vec![], vec![]),
        Security::AutoMtls => (vec!["-automtls".into()], vec![]),
        Security::UserTls => (
            vec!["-tls-dir".into(), files.dir().into()],
            // The plugin inherits the host's environment.
            vec![("KVPLUGIN_TLS_DIR", files.dir().into())],
        ),
    }
}

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
    limit_sync(|| {
        let plugin = example_bin("kv_plugin");
        let p = plugin.to_str().expect("utf-8 path");
        #[cfg(feature = "tls")]
        let files = TlsFiles::new();
        for security in securities() {
            #[cfg(feature = "tls")]
            let (tls_args, tls_env) = go_host_tls_args(security, &files);
            #[cfg(not(feature = "tls"))]
            let (tls_args, tls_env): (Vec<String>, Vec<(&str, String)>) = (vec![], vec![]);
            let env: Vec<(&str, &str)> = tls_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            for (host, version) in go_hosts() {
                let run = |scenario: &str| {
                    let mut args = vec!["-plugin", p, "-scenario", scenario];
                    args.extend(tls_args.iter().map(String::as_str));
                    let v = run_go_host(&host, &args, &env);
                    let what = format!("{version} {security:?} {scenario}");
                    assert_ok(&v, &what);
                    assert_eq!(v["go_plugin"], version);
                    assert_go_tls(&v, security, &what);
                    v
                };
                for scenario in ["stdio", "logs", "concurrent", "kill-only"] {
                    run(scenario);
                }
                let v = run("basic");
                assert_eq!(v["get_missing_error"], "no such key: missing");
                assert_eq!(v["get_missing_is_server_error"], true);
                assert_eq!(v["kill_graceful"], true, "{v}");
                assert_eq!(v["process_gone"], true, "{v}");
                assert_eq!(v["reattach"]["Addr"]["Network"], "unix");
                #[cfg(feature = "tls")]
                if security == Security::UserTls {
                    assert_eq!(v["tls"]["peer_sha256"], sha256_hex(files.server.der()));
                }
                let v = run("callback");
                assert_eq!(v["reply"], "hello kvplugin from host");
                assert_eq!(v["broker_id"], 1);
            }
        }
    })
}

/// The Go kv host's Go baseline for the TLS modes: the Go kv plugin under AutoMTLS and the
/// user TLS path (so a Rust failure above is not a Go host problem).
#[cfg(feature = "tls")]
#[test]
fn go_host_tls_baseline_with_go_plugin() {
    limit_sync(|| {
        let files = TlsFiles::new();
        for security in [Security::AutoMtls, Security::UserTls] {
            let (tls_args, tls_env) = go_host_tls_args(security, &files);
            let env: Vec<(&str, &str)> = tls_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            for ((host, version), (plugin, _)) in go_hosts().into_iter().zip(go_plugins()) {
                let p = plugin.to_str().expect("utf-8 path");
                let mut args = vec!["-plugin", p, "-scenario", "callback"];
                args.extend(tls_args.iter().map(String::as_str));
                let v = run_go_host(&host, &args, &env);
                let what = format!("Go {version} {security:?} Go plugin");
                assert_ok(&v, &what);
                assert_go_tls(&v, security, &what);
            }
        }
    })
}

#[test]
fn go_host_drains_chatty_rust_plugin() {
    limit_sync(|| {
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
    limit_sync(|| {
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
    limit_sync(|| {
        let plugin = example_bin("kv_plugin");
        let p = plugin.to_str().expect("utf-8 path");
        for (host, version) in go_hosts() {
            let v = run_go_host(&host, &["-plugin", p, "-scenario", "die-after-start"], &[]);
            assert_ok(&v, version);
            let pid = v["pid"].as_u64().expect("pid") as u32;
            let start = Instant::now();
            while pid_running(pid) {
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
    limit_sync(|| {
        let plugin = example_bin("kv_plugin");
        let out = Command::new(&plugin)
            .env_remove("TILORES_TEST_PLUGIN")
            .output()
            .expect("run plugin");
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            plugin::CookieError::NotAPlugin.to_string()
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
use tilores_plugin_test_support::{
    example_bin, go_bin, limit, limit_sync, pid_alive, pid_running, scoped_subscriber, step,
    SharedBytes, TempDir,
};

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

/// [`kv_config`] and the plugin command for `security` (`files` for [`Security::UserTls`]).
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn secured(
    security: Security,
    cmd: PluginCommand,
    #[cfg(feature = "tls")] files: &TlsFiles,
) -> (ClientConfig, PluginCommand) {
    let config = kv_config();
    match security {
        Security::Plain => (config, cmd),
        #[cfg(feature = "tls")]
        Security::AutoMtls => (config.auto_mtls(true), cmd),
        #[cfg(feature = "tls")]
        Security::UserTls => {
            let mut config = config;
            config.tls = Some(files.client_config());
            (config, cmd.env("KVPLUGIN_TLS_DIR", files.dir()))
        }
    }
}

/// Asserts what [`PluginClient::tls`] reports for `security`: nothing when plain, else TLS
/// 1.3 with the plugin's certificate (`server.pem` on the user path).
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn assert_rust_tls(
    client: &PluginClient,
    security: Security,
    #[cfg(feature = "tls")] files: &TlsFiles,
    what: &str,
) {
    #[cfg(feature = "tls")]
    {
        use plugin::tls::rustls::ProtocolVersion;
        let tls = client.tls();
        match security {
            Security::Plain => assert!(tls.is_none(), "{what}: {tls:?}"),
            Security::AutoMtls | Security::UserTls => {
                let tls = tls.unwrap_or_else(|| panic!("{what}: no TLS"));
                assert_eq!(
                    tls.protocol_version,
                    Some(ProtocolVersion::TLSv1_3),
                    "{what}"
                );
                let peer = tls.peer_certificate.as_ref().expect("peer certificate");
                if security == Security::UserTls {
                    assert_eq!(peer, files.server.der(), "{what}");
                } else {
                    assert_ne!(peer, files.server.der(), "{what}: a fresh certificate");
                }
            }
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn rust_host_drives_go_plugin() {
    limit(async {
        #[cfg(feature = "tls")]
        let files = TlsFiles::new();
        for (security, (bin, version)) in securities()
            .into_iter()
            .flat_map(|s| go_plugins().map(|p| (s, p)))
        {
            let version = format!("{version} {security:?}");
            step(format!("Rust host → Go kv plugin {version}"));
            // Capture the re-logged plugin stderr as JSON lines (level, message, fields).
            let logs = SharedBytes::default();
            let subscriber = {
                use tracing_subscriber::layer::SubscriberExt;
                tracing_subscriber::registry()
                    .with(plugin::HclogLayer::with_writer(logs.clone()).module_from_target(true))
            };
            let _guard = scoped_subscriber(subscriber);

            let (out, err) = (SharedBytes::default(), SharedBytes::default());
            let (mut config, cmd) = secured(
                security,
                PluginCommand::new(&bin),
                #[cfg(feature = "tls")]
                &files,
            );
            config.stdout = StdioSink::writer(out.clone());
            config.stderr = StdioSink::writer(err.clone());
            let mut client = PluginClient::start(cmd, config)
                .await
                .unwrap_or_else(|e| panic!("{version}: start: {e}"));
            assert_rust_tls(
                &client,
                security,
                #[cfg(feature = "tls")]
                &files,
                &version,
            );
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
                let text = logs.text();
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
            // The Go plugin's own word that AutoMTLS is on (go-plugin server.go logs it).
            let logged = logs.text();
            assert_eq!(
                logged.contains("configuring server automatic mTLS"),
                cfg!(feature = "tls") && version.ends_with("AutoMtls"),
                "{version}"
            );
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
            // AutoMTLS cannot reattach (no certificate in the reattach config), as in Go.
            let rc = client.reattach_config();
            let json = serde_json::to_string(&rc).unwrap();
            let rc2 = serde_json::from_str(&json).unwrap();
            let (reattach_config, _) = secured(
                security,
                PluginCommand::new(&bin),
                #[cfg(feature = "tls")]
                &files,
            );
            let second = match PluginClient::reattach(&rc2, reattach_config).await {
                Ok(second) => {
                    let kv2 = second
                        .dispense("kv")
                        .await
                        .expect("dispense after reattach");
                    let got: String = kv2.call("Plugin.Get", &"a".to_string()).await.unwrap();
                    assert_eq!(got, "1", "{version}: same process state after reattach");
                    Some((second, kv2))
                }
                #[cfg(feature = "tls")]
                Err(ClientError::Tls {
                    source: plugin::tls::TlsError::AutoMtlsReattach,
                    ..
                }) if security == Security::AutoMtls => None,
                Err(e) => panic!("{version}: reattach: {e}"),
            };

            let pid = client.pid();
            let outcome = client.kill().await;
            assert!(outcome.graceful, "{version}: {outcome:?}");
            assert_eq!(outcome.status.and_then(|s| s.code()), Some(0));
            assert!(client.exited());
            assert!(!pid_alive(pid));
            // The reattached client sees the plugin gone.
            if let Some((mut second, kv2)) = second {
                let e = kv2
                    .call::<_, String>("Plugin.Get", &"a".to_string())
                    .await
                    .expect_err("the plugin is gone");
                assert!(e.is_connection_error(), "{version}: {e}");
                second.kill().await;
            }
        }
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn rust_host_kill_with_calls_pending_and_crash() {
    limit(async {
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
    limit(async {
        let (bin, _) = &go_plugins()[0];
        for round in 0..5 {
            step(format!("round {round}"));
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
    limit(async {
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
        config.launch.secure = Some(SecureConfig::sha256({
            use sha2::Digest;
            sha2::Sha256::digest(std::fs::read(bin).expect("read plugin")).to_vec()
        }));
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
    limit(async {
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
    limit(async {
        #[cfg(feature = "tls")]
        let files = TlsFiles::new();
        for security in securities() {
            step(format!("Rust host ↔ Rust plugin {security:?}"));
            let bin = example_bin("kv_plugin");
            let out = SharedBytes::default();
            let (mut config, cmd) = secured(
                security,
                PluginCommand::new(&bin),
                #[cfg(feature = "tls")]
                &files,
            );
            config.stdout = StdioSink::writer(out.clone());
            let mut client = PluginClient::start(cmd, config).await.unwrap();
            assert_rust_tls(
                &client,
                security,
                #[cfg(feature = "tls")]
                &files,
                &format!("{security:?}"),
            );
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
            // Broker timeout when nobody dials (once: 5 s).
            if security == Security::Plain {
                let lonely = client.broker().next_id();
                let start = Instant::now();
                let e = client.broker().accept(lonely).await.unwrap_err();
                assert_eq!(e.to_string(), "timeout waiting for accept");
                assert!(start.elapsed() >= Duration::from_secs(5) - Duration::from_millis(50));
            }
            client.ping().await.unwrap();
            let outcome = client.kill().await;
            assert!(outcome.graceful, "{outcome:?}");
            assert_eq!(outcome.status.and_then(|s| s.code()), Some(0));
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// go-plugin's examples/basic
// ---------------------------------------------------------------------------------------------

/// Runs `host args` in a directory where `./plugin/greeter` is `greeter`; returns stdout.
fn run_basic(host: &Path, greeter: &Path, args: &[&str]) -> String {
    let dir = TempDir::new("basic");
    std::fs::create_dir(dir.path().join("plugin")).unwrap();
    std::fs::copy(greeter, dir.path().join("plugin/greeter")).unwrap();
    let out = Command::new(host)
        .args(args)
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
    limit_sync(|| {
        let rust_greeter = example_bin("greeter_plugin");
        let rust_host = example_bin("greeter_host");
        let go_host = go_bin("basic-host");
        let go_greeter = go_bin("basic-greeter");
        let latest_host = go_bin("latest/basic-host");
        let latest_greeter = go_bin("latest/basic-greeter");
        for (host, greeter) in [
            (&go_host, &rust_greeter),
            (&latest_host, &rust_greeter),
            (&rust_host, &go_greeter),
            (&rust_host, &latest_greeter),
            (&rust_host, &rust_greeter),
            (&go_host, &go_greeter),
            (&latest_host, &latest_greeter),
        ] {
            let out = run_basic(host, greeter, &[]);
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

// ---------------------------------------------------------------------------------------------
// go-plugin's examples/negotiated and examples/grpc/plugin-go-netrpc
// ---------------------------------------------------------------------------------------------

/// Runs go-plugin's examples/negotiated `host` (`KV_PROTO=proto`, `args`) in `dir`, where
/// `./kv-plugin` is the plugin; returns (exit code, stdout).
fn run_negotiated(host: &Path, dir: &Path, proto: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(host)
        .args(args)
        .env("KV_PROTO", proto)
        .current_dir(dir)
        .output()
        .expect("run examples/negotiated");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Processes whose working directory is `dir` (or below it).
fn processes_in(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let e = e.ok()?;
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cwd = std::fs::read_link(e.path().join("cwd")).ok()?;
            cwd.starts_with(dir).then_some(pid)
        })
        .collect()
}

/// go-plugin's unmodified examples/negotiated host, v1.4.3 and v1.8.0 (it asks for app
/// protocol version 2 over net/rpc with `KV_PROTO=netrpc`, version 3 over gRPC with
/// `KV_PROTO=grpc`), with its own Go plugin and with the Rust port
/// (examples/negotiated_kv_plugin): the same output, exit codes and files, Go's texts for a
/// missing file; asked for version 3 only, the Rust plugin falls back to 2 as go-plugin's
/// server does, and the host reports go-plugin's version mismatch.
#[test]
fn go_negotiated_host_runs_rust_kv_plugin() {
    limit_sync(|| {
        let stored = "wörld\n\nWritten from plugin version 2\n";
        let pairs = [
            ("negotiated-host", "negotiated-kv-plugin"),
            ("latest/negotiated-host", "latest/negotiated-kv-plugin"),
        ];
        for (host, plugin, what) in pairs.iter().flat_map(|(host, go_plugin)| {
            [
                (go_bin(host), go_bin(go_plugin), "Go"),
                (go_bin(host), example_bin("negotiated_kv_plugin"), "Rust"),
            ]
        }) {
            let what = format!("{} → {what}", host.display());
            let dir = TempDir::new("negotiated");
            std::fs::copy(&plugin, dir.path().join("kv-plugin")).expect("copy plugin");
            let run = |proto, args: &[&str]| run_negotiated(&host, dir.path(), proto, args);
            assert_eq!(
                run("netrpc", &["put", "hello", "wörld"]),
                (Some(0), String::new()),
                "{what}: put"
            );
            assert_eq!(
                std::fs::read_to_string(dir.path().join("kv_hello")).expect("kv_hello"),
                stored,
                "{what}: the file the plugin wrote"
            );
            assert_eq!(
                run("netrpc", &["get", "hello"]),
                (Some(0), format!("{stored}Read by plugin version 2\n\n")),
                "{what}: get"
            );
            assert_eq!(
                run("netrpc", &["get", "nothere"]),
                (
                    Some(1),
                    "Error: open kv_nothere: no such file or directory\n".into()
                ),
                "{what}: get of a missing key"
            );
            // The host exits with os.Exit(1) on an error, skipping its deferred Kill: Go's
            // plugin stays behind (killed here); the Rust one sees its host gone and exits.
            let deadline = Instant::now() + Duration::from_secs(5);
            let rust = what.ends_with("Rust");
            let mut strays = processes_in(dir.path());
            while !strays.is_empty() && rust && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
                strays = processes_in(dir.path());
            }
            for pid in &strays {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            assert!(
                !rust || strays.is_empty(),
                "{what}: plugin processes left behind: {strays:?}"
            );
            if rust {
                assert_eq!(
                    run("grpc", &["get", "hello"]),
                    (
                        Some(1),
                        format!(
                            "Error: {}ncompatible API version with plugin. Plugin version: 2, \
                             Client versions: [3]\n",
                            // go-plugin v1.8.0 lower-cased the message.
                            if what.contains("latest/") { "i" } else { "I" }
                        )
                    ),
                    "{what}: a host asking for gRPC's version 3 only"
                );
            }
        }
    })
}

/// The Rust host drives go-plugin's unmodified net/rpc kv plugins (v1.4.3 and v1.8.0) with
/// go-plugin's `examples/grpc/shared` calls (`Plugin.Put` with a `map[string]interface{}`
/// holding a string and a `[]byte`, `Plugin.Get` returning `[]byte`):
/// examples/grpc/plugin-go-netrpc (app protocol version 1) and examples/negotiated/plugin-go
/// (asked for version 2 of its 2 and 3, so net/rpc), and the Rust port of the latter.
#[tokio::test(flavor = "current_thread")]
async fn rust_host_runs_go_plugin_examples_kv_plugins() {
    limit(async {
        let handshake = HandshakeConfig {
            protocol_version: 1,
            magic_cookie_key: "BASIC_PLUGIN".into(),
            magic_cookie_value: "hello".into(),
        };
        let v2 = (
            "\n\nWritten from plugin version 2\n",
            "Read by plugin version 2\n",
        );
        let netrpc = ("\n\nWritten from plugin-go-netrpc", "");
        for (plugin, version, (written, read)) in [
            (go_bin("kv-netrpc-plugin"), 1, netrpc),
            (go_bin("latest/kv-netrpc-plugin"), 1, netrpc),
            (go_bin("negotiated-kv-plugin"), 2, v2),
            (go_bin("latest/negotiated-kv-plugin"), 2, v2),
            (example_bin("negotiated_kv_plugin"), 2, v2),
        ] {
            let what = plugin.display().to_string();
            let dir = TempDir::new("kv-examples");
            let mut command = PluginCommand::new(&plugin);
            command.current_dir = Some(dir.path().to_path_buf());
            let mut config = ClientConfig::new(handshake.clone()).plugins(["kv"]);
            config.launch.host_versions = vec![version];
            let mut client = PluginClient::start(command, config)
                .await
                .unwrap_or_else(|e| panic!("{what}: start: {e}"));
            assert_eq!(client.negotiated_version(), version, "{what}");
            let kv = client.dispense("kv").await.expect("dispense kv");
            let value: Vec<u8> = b"v\x00\xff\xc3\xa9".to_vec();
            let mut args = std::collections::BTreeMap::new();
            args.insert("key".to_string(), Interface::from("k"));
            args.insert("value".to_string(), Interface::from(value.clone()));
            let _: Interface = kv
                .call("Plugin.Put", &args)
                .await
                .unwrap_or_else(|e| panic!("{what}: Put: {e}"));
            let mut want = value;
            want.extend_from_slice(written.as_bytes());
            assert_eq!(std::fs::read(dir.path().join("kv_k")).expect("kv_k"), want);
            let got: Vec<u8> = kv
                .call("Plugin.Get", &"k".to_string())
                .await
                .unwrap_or_else(|e| panic!("{what}: Get: {e}"));
            want.extend_from_slice(read.as_bytes());
            assert_eq!(got, want, "{what}: Get");
            let e = kv
                .call::<_, Vec<u8>>("Plugin.Get", &"nothere".to_string())
                .await
                .expect_err("a missing key");
            assert_eq!(
                e.to_string(),
                "open kv_nothere: no such file or directory",
                "{what}"
            );
            let outcome = client.kill().await;
            assert!(outcome.graceful, "{what}: {outcome:?}");
        }
    })
    .await
}

/// AutoMTLS with the greeters: the Rust greeter host (`--auto-mtls`) → go-plugin's own
/// examples/basic greeter (v1.4.3 and v1.8.0) and the Rust greeter; the Go kv host's
/// `greeter` scenario (go-plugin v1.4.3 and v1.8.0, `AutoMTLS: true`) → the Rust greeter and
/// both Go greeters.
#[cfg(feature = "tls")]
#[test]
fn greeters_under_auto_mtls() {
    limit_sync(|| {
        let rust_greeter = example_bin("greeter_plugin");
        let rust_host = example_bin("greeter_host");
        let greeters = [
            go_bin("basic-greeter"),
            go_bin("latest/basic-greeter"),
            rust_greeter,
        ];
        for greeter in &greeters {
            let out = run_basic(&rust_host, greeter, &["--auto-mtls"]);
            assert!(
                out.lines().any(|l| l == "Hello!"),
                "{}: {out}",
                greeter.display()
            );
            assert!(
                out.contains("TLS negotiated") && out.contains("TLSv1_3"),
                "{out}"
            );
            // The plugin's logs say it configured AutoMTLS (Go's text, kept by the Rust provider).
            assert!(out.contains("configuring server automatic mTLS"), "{out}");
        }
        for (host, version) in go_hosts() {
            for greeter in &greeters {
                let p = greeter.to_str().expect("utf-8 path");
                let v = run_go_host(
                    &host,
                    &["-plugin", p, "-scenario", "greeter", "-automtls"],
                    &[],
                );
                let what = format!("{version} → {}", greeter.display());
                assert_ok(&v, &what);
                assert_eq!(v["greeting"], "Hello!");
                assert_go_tls(&v, Security::AutoMtls, &what);
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// TLS failures: each a clear typed error; the provider keeps serving its legitimate host
// ---------------------------------------------------------------------------------------------

/// The plugins a legitimate AutoMTLS host runs in the negative cases: the Go kv plugin
/// (go-plugin v1.4.3) and the Rust one.
#[cfg(feature = "tls")]
fn tls_plugins() -> [(PathBuf, &'static str); 2] {
    [
        (go_bin("kvplugin"), "Go"),
        (example_bin("kv_plugin"), "Rust"),
    ]
}

/// The legitimate host still works: its stored value, a ping.
#[cfg(feature = "tls")]
async fn assert_still_serving(kv: &tilores_plugin::rpc::Client, client: &PluginClient, what: &str) {
    let got: String = kv
        .call("Plugin.Get", &"a".to_string())
        .await
        .unwrap_or_else(|e| panic!("{what}: the legitimate host lost its plugin: {e}"));
    assert_eq!(got, "1", "{what}");
    client.ping().await.expect("ping");
}

/// A legitimate AutoMTLS host of `bin` with `a=1` stored.
#[cfg(feature = "tls")]
async fn legit_auto_mtls(bin: &Path) -> (PluginClient, tilores_plugin::rpc::Client) {
    let client = PluginClient::start(PluginCommand::new(bin), kv_config().auto_mtls(true))
        .await
        .expect("legitimate AutoMTLS start");
    let kv = client.dispense("kv").await.expect("dispense");
    let put = Kv {
        key: "a".into(),
        value: "1".into(),
    };
    assert!(kv.call::<_, bool>("Plugin.Put", &put).await.expect("put"));
    (client, kv)
}

/// A Rust provider refuses a `PLUGIN_CLIENT_CERT` that is no PEM certificate: exit status 1,
/// no handshake line, and the reason on stderr (which a Rust host reports with the exit).
/// (A Go plugin logs `client cert provided but failed to parse` and serves a TLS that no
/// host can pass.)
#[cfg(feature = "tls")]
#[tokio::test(flavor = "current_thread")]
async fn bad_pem_in_plugin_client_cert() {
    limit(async {
        let bin = example_bin("kv_plugin");
        for (pem, reason) in [
            ("not a certificate", "no CERTIFICATE block"),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "x509: malformed certificate",
            ),
        ] {
            let want =
                format!("plugin serve: PLUGIN_CLIENT_CERT is not a PEM certificate: {reason}");
            let out = Command::new(&bin)
                .env("TILORES_TEST_PLUGIN", "interop")
                .env("PLUGIN_CLIENT_CERT", pem)
                .output()
                .expect("run kv_plugin");
            assert_eq!(out.status.code(), Some(1), "{pem:?}");
            assert!(out.stdout.is_empty(), "no handshake line: {out:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(&want), "{pem:?}: {stderr}");
            // Through the Rust host: the exit and that line.
            let cmd = PluginCommand::new(&bin).env("PLUGIN_CLIENT_CERT", pem);
            match PluginClient::start(cmd, kv_config()).await {
                Err(ClientError::Launch(LaunchError::Exited { status, stderr })) => {
                    assert_eq!(status.and_then(|s| s.code()), Some(1));
                    assert!(stderr.iter().any(|l| l.contains(&want)), "{stderr:?}");
                }
                other => panic!("{pem:?}: {other:?}"),
            }
        }
    })
    .await
}

/// A handshake certificate field (> 50 characters) that is no base64 DER certificate: the
/// Rust AutoMTLS host fails the launch with go-plugin's own error text, checked against the
/// Go host (v1.4.3 and v1.8.0) on the same plugin.
#[cfg(feature = "tls")]
#[tokio::test(flavor = "current_thread")]
async fn handshake_certificate_that_does_not_parse() {
    limit(async {
        let (bin, _) = &go_plugins()[0];
        let cmd = PluginCommand::new(bin).env("KVPLUGIN_MODE", "bad-cert");
        let e = PluginClient::start(cmd, kv_config().auto_mtls(true))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &e,
                ClientError::Launch(LaunchError::Handshake(
                    plugin::HandshakeError::ServerCert { .. }
                ))
            ),
            "{e:?}"
        );
        let p = bin.to_str().expect("utf-8 path");
        for (host, version) in go_hosts() {
            let v = run_go_host(
                &host,
                &["-plugin", p, "-scenario", "start-only", "-automtls"],
                &[("KVPLUGIN_MODE", "bad-cert")],
            );
            assert_eq!(v["step"], "start", "{version}: {v}");
            assert_eq!(v["error"], e.to_string(), "{version}: Go's text");
        }
    })
    .await
}

/// A peer presenting another certificate, both ways, against the Go and the Rust kv plugin
/// under a legitimate AutoMTLS host: a host expecting another server certificate fails with
/// [`TlsError::CertificateMismatch`]; a host presenting a certificate the plugin was not
/// given is refused by the plugin. The legitimate host keeps its plugin.
#[cfg(feature = "tls")]
#[tokio::test(flavor = "current_thread")]
async fn peer_presenting_another_certificate() {
    use plugin::tls::{pinned_client_config, Identity, TlsError};
    limit(async {
        for (bin, what) in tls_plugins() {
            let (mut client, kv) = legit_auto_mtls(&bin).await;
            let rc = client.reattach_config();
            let server_cert = client
                .tls()
                .and_then(|t| t.peer_certificate.clone())
                .expect("the plugin's certificate");
            let stranger = Identity::generate().unwrap();

            // The host pins a certificate the plugin does not have.
            let mut config = kv_config();
            config.tls = Some(pinned_client_config(stranger.der().clone(), &stranger).unwrap());
            match PluginClient::reattach(&rc, config).await {
                Err(ClientError::Tls {
                    source: TlsError::CertificateMismatch,
                    ..
                }) => {}
                other => panic!("{what}: {other:?}"),
            }
            assert_still_serving(&kv, &client, what).await;

            // The host presents a certificate the plugin was not given: refused by the plugin
            // (in TLS 1.3 after the client's Finished, so the host sees the plugin's alert or
            // the closed connection when it opens its first stream).
            let mut config = kv_config();
            config.tls = Some(pinned_client_config(server_cert, &stranger).unwrap());
            config.connect_timeout = Duration::from_secs(3);
            // Go answers UnknownCA, rustls CertificateUnknown; the alert can be lost to the
            // closed connection.
            match PluginClient::reattach(&rc, config).await {
                Err(ClientError::Tls {
                    source: TlsError::PeerRejected { alert },
                    ..
                }) => assert!(
                    ["UnknownCA", "CertificateUnknown"].contains(&alert.as_str()),
                    "{what}: {alert}"
                ),
                Err(ClientError::Tls {
                    source: TlsError::ClosedAfterHandshake,
                    ..
                }) => {}
                other => panic!("{what}: {other:?}"),
            }
            assert_still_serving(&kv, &client, what).await;
            assert!(client.kill().await.graceful, "{what}");
        }
    })
    .await
}

/// A plaintext peer on a TLS connection, both ways: a plaintext host connecting to an
/// AutoMTLS plugin (Go and Rust) is refused and the legitimate host keeps its plugin; an
/// AutoMTLS host whose plugin serves plaintext fails with [`TlsError::NoServerCert`] (no
/// certificate in the handshake) or, given a TLS config for a plaintext plugin, with
/// [`TlsError::NotTls`].
#[cfg(feature = "tls")]
#[tokio::test(flavor = "current_thread")]
async fn plaintext_peer_on_a_tls_connection() {
    use plugin::tls::{pinned_client_config, Identity, TlsError};
    limit(async {
        let logs = SharedBytes::default();
        let subscriber = {
            use tracing_subscriber::layer::SubscriberExt;
            tracing_subscriber::registry().with(plugin::HclogLayer::with_writer(logs.clone()))
        };
        let _guard = scoped_subscriber(subscriber);
        for (bin, what) in tls_plugins() {
            let (mut client, kv) = legit_auto_mtls(&bin).await;
            let mut plain = kv_config();
            plain.connect_timeout = Duration::from_secs(3);
            let e = PluginClient::reattach(&client.reattach_config(), plain)
                .await
                .unwrap_err();
            // The plugin closes the connection on the first bytes, which are no TLS record.
            assert!(
                matches!(
                    e,
                    ClientError::Mux(tilores_plugin::mux::MuxError::SessionClosed(
                        tilores_plugin::mux::CloseReason::Peer
                    ))
                ),
                "{what}: {e:?}"
            );
            assert_still_serving(&kv, &client, what).await;
            if what == "Rust" {
                // The provider's reason, from its log re-logged by the host.
                let deadline = Instant::now() + Duration::from_secs(5);
                loop {
                    let text = logs.text();
                    if text.contains("TLS handshake with a host failed")
                        && text.contains("the peer does not speak TLS")
                    {
                        break;
                    }
                    assert!(Instant::now() < deadline, "Rust provider log: {text}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            assert!(client.kill().await.graceful, "{what}");
        }

        // A Go plugin that ignores PLUGIN_CLIENT_CERT: no certificate to pin.
        let (bin, _) = &go_plugins()[0];
        let cmd = PluginCommand::new(bin).env("KVPLUGIN_MODE", "plaintext");
        match PluginClient::start(cmd, kv_config().auto_mtls(true)).await {
            Err(ClientError::Tls {
                source: TlsError::NoServerCert,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }

        // A TLS host on a plaintext plugin (Go and Rust).
        for (bin, what) in tls_plugins() {
            let mut client = PluginClient::start(PluginCommand::new(&bin), kv_config())
                .await
                .unwrap();
            let kv = client.dispense("kv").await.unwrap();
            let put = Kv {
                key: "a".into(),
                value: "1".into(),
            };
            assert!(kv.call::<_, bool>("Plugin.Put", &put).await.unwrap());
            let me = Identity::generate().unwrap();
            let mut config = kv_config();
            config.tls = Some(pinned_client_config(me.der().clone(), &me).unwrap());
            config.connect_timeout = Duration::from_secs(3);
            match PluginClient::reattach(&client.reattach_config(), config).await {
                Err(ClientError::Tls {
                    source: TlsError::NotTls { .. },
                    ..
                }) => {}
                other => panic!("{what}: {other:?}"),
            }
            assert_still_serving(&kv, &client, what).await;
            assert!(client.kill().await.graceful, "{what}");
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// `launch` against the real Go fake dispatcher (go-plugin v1.4.3): the handshake line, Go's
// hclog JSON on stderr, the cookie refusal and the version mismatch. (Moved here from the
// library's unit tests so `cargo test --lib` needs no Go.)
// ---------------------------------------------------------------------------------------------

fn dispatcher_handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "DISPATCHER_PLUGIN".into(),
        magic_cookie_value: "opsPsgZd3qsXpjgj69j5".into(),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn launch_go_fake_dispatcher_handshake_and_hclog() {
    use std::os::unix::fs::FileTypeExt;
    use std::os::unix::process::ExitStatusExt;
    use tilores_plugin::plugin::{launch, LaunchConfig, LogLevel, PluginAddr, Protocol};
    limit(async {
        let bin = go_bin("tilores-plugin-fake-dispatcher");
        let sink = SharedBytes::default();
        let mut cfg = LaunchConfig::new(dispatcher_handshake());
        cfg.stderr = Some(Box::new(sink.clone()));
        let mut p = launch(PluginCommand::new(&bin), cfg).await.expect("launch");
        let PluginAddr::Unix(path) = p.handshake().address.clone() else {
            panic!("expected a unix address: {:?}", p.handshake());
        };
        assert_eq!(p.handshake().protocol, Protocol::NetRpc);
        assert_eq!(p.handshake().app_version, 1);
        assert!(std::fs::metadata(&path)
            .expect("socket")
            .file_type()
            .is_socket());

        // Go's hclog JSON line, checked raw and through our host-side classifier.
        let text = sink.wait_for("plugin address").await;
        let line = text
            .lines()
            .find(|l| l.contains("plugin address"))
            .expect("line")
            .to_owned();
        let raw: Json = serde_json::from_str(&line).expect("hclog JSON");
        assert_eq!(raw["@level"], "debug", "{line}");
        assert_eq!(raw["@message"], "plugin address", "{line}");
        assert_eq!(raw["network"], "unix", "{line}");
        assert_eq!(raw["address"], path.to_str().expect("utf-8"), "{line}");
        assert_eq!(raw.as_object().map(|o| o.len()), Some(5), "{line}");
        let parsed = plugin::parse_stderr_line(&line);
        // `structured` also means the timestamp passed the Go `time.Parse` check.
        assert!(parsed.structured, "{line}");
        assert_eq!(parsed.level, LogLevel::Debug);
        assert_eq!(parsed.message, "plugin address");
        assert_eq!(parsed.timestamp.as_deref(), raw["@timestamp"].as_str());
        let fields: Vec<(&str, &Json)> =
            parsed.fields.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(
            fields,
            [("address", &raw["address"]), ("network", &raw["network"])]
        );

        let pid = p.pid();
        let status = p.kill().await;
        assert_eq!(status.and_then(|s| s.signal()), Some(9));
        common::hostile::assert_gone(pid, Duration::from_secs(5));
        // A SIGKILLed Go plugin leaves its socket behind (spec 3.3); clean up.
        let _ = std::fs::remove_file(&path);
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn launch_go_fake_dispatcher_without_cookie() {
    use tilores_plugin::plugin::{launch, CookieError, LaunchConfig};
    limit(async {
        let bin = go_bin("tilores-plugin-fake-dispatcher");
        assert!(
            std::env::var_os("DISPATCHER_PLUGIN").is_none(),
            "the test environment must not set DISPATCHER_PLUGIN"
        );
        let mut hs = dispatcher_handshake();
        hs.magic_cookie_key = "NOT_THE_DISPATCHER_COOKIE".into();
        let err = launch(PluginCommand::new(&bin), LaunchConfig::new(hs))
            .await
            .expect_err("must fail");
        match err {
            LaunchError::Exited { status, stderr } => {
                assert_eq!(status.and_then(|s| s.code()), Some(1));
                assert_eq!(
                    stderr.join("\n") + "\n",
                    CookieError::NotAPlugin.to_string(),
                    "Go plugin's message differs from ours"
                );
            }
            other => panic!("{other}"),
        }
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn launch_go_fake_dispatcher_version_mismatch() {
    use tilores_plugin::plugin::{launch, LaunchConfig};
    limit(async {
        let bin = go_bin("tilores-plugin-fake-dispatcher");
        let sink = SharedBytes::default();
        let mut cfg = LaunchConfig::new(dispatcher_handshake());
        cfg.host_versions = vec![2];
        cfg.stderr = Some(Box::new(sink.clone()));
        let err = launch(PluginCommand::new(&bin), cfg)
            .await
            .expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "Incompatible API version with plugin. Plugin version: 1, Client versions: [2]"
        );
        // The killed Go plugin leaves its socket behind; find it in its log and remove it.
        let text = sink.wait_for("plugin address").await;
        for line in text.lines() {
            let l = plugin::parse_stderr_line(line);
            if l.message == "plugin address" {
                for (k, v) in &l.fields {
                    if let (true, Some(path)) = (k == "address", v.as_str()) {
                        let _ = std::fs::remove_file(path);
                    }
                }
            }
        }
    })
    .await
}

/// The hclog JSON line a kv plugin writes to its stderr for `Plugin.Log` with `message` and
/// one field `field` (the `@timestamp` value masked), through a Rust host.
async fn kv_log_line(bin: &Path, message: &str) -> String {
    let sink = SharedBytes::default();
    let mut config = kv_config();
    config.launch.stderr = Some(Box::new(sink.clone()));
    let mut client = PluginClient::start(PluginCommand::new(bin), config)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let kv = client.dispense("kv").await.expect("dispense");
    let args = LogArgs {
        level: "info".into(),
        message: message.into(),
        fields: [("field".to_string(), message.to_string())].into(),
    };
    assert!(kv.call::<_, bool>("Plugin.Log", &args).await.expect("log"));
    let text = sink.wait_for("\"@message\":\"hclog-escapes").await;
    client.kill().await;
    let line = text
        .lines()
        .find(|l| l.contains("\"@message\":\"hclog-escapes"))
        .expect("line")
        .to_owned();
    let v: Json = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let ts = v["@timestamp"].as_str().expect("@timestamp");
    line.replacen(ts, "<timestamp>", 1)
}

#[tokio::test(flavor = "current_thread")]
async fn hclog_json_lines_are_byte_identical_to_go() {
    limit(async {
        // Every escape class of Go's JSON string encoder: quotes and backslash, the named
        // control escapes (`\b` and `\f` are spelled so since Go 1.22), other controls,
        // DEL (not escaped), HTML-sensitive bytes (escaped: hclog's json.Encoder keeps
        // SetEscapeHTML on), U+2028/U+2029 and non-ASCII text.
        let message = "hclog-escapes \" \\ \n \r \t \u{8} \u{c} \u{1} \u{1f} \u{7f} <a&b> \u{2028} \u{2029} é ☃";
        let go = kv_log_line(&go_bin("kvplugin"), message).await;
        let rust = kv_log_line(&example_bin("kv_plugin"), message).await;
        assert_eq!(rust, go, "Rust provider's hclog line differs from the Go plugin's");
        // What Go wrote, so a toolchain that spells these differently shows up here.
        for esc in [r"\b", r"\f", r"\u0001", r"\u003ca\u0026b\u003e", r"\u2028"] {
            assert!(go.contains(esc), "Go's line lacks {esc}: {go}");
        }
    })
    .await
}
