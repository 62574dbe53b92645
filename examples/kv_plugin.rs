//! Rust twin of `go-interop/plugin/kvplugin`, the go-plugin net/rpc test plugin the interop
//! tests run under Go hosts (`go-interop/cmd/plugin-host`) and the Rust host.
//!
//! Handshake: protocol version 1, cookie `TILORES_TEST_PLUGIN=interop`, plugin `kv`, service
//! `Plugin` with `Put`, `Get`, `Print`, `Log`, `Callback`, `Sleep`, `Crash` behaving like the
//! Go plugin (see go-interop/README.md). `KVPLUGIN_MODE=chatty` writes 1 MiB to stdout and to
//! stderr right after the handshake. One difference: `Log` emits only the fields `field` and
//! `other` (tracing field names are static); the interop scenarios use exactly those.
//! `TILORES_PLUGIN_EXIT_POLICY=quit-only` keeps it running after its host exits (reattach).
//! `KVPLUGIN_TLS_DIR=DIR` serves TLS of its own (go-plugin's `TLSProvider` path, as the Go
//! plugin does): `DIR/server.pem` + `DIR/server-key.pem`, client certificate required and
//! pinned to `DIR/client.pem`. Under an AutoMTLS host it serves AutoMTLS with no code here.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tilores_plugin::plugin::{self, HandshakeConfig, MuxBroker, PluginSet, ServeConfig};
use tilores_plugin::rpc::Server;

#[path = "support/kv_types.rs"]
mod kv_types;
use kv_types::{Kv, LogArgs};

/// The process-wide store shared by every dispensed server.
fn store() -> &'static Mutex<HashMap<String, String>> {
    static STORE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    STORE.get_or_init(Default::default)
}

fn handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "TILORES_TEST_PLUGIN".into(),
        magic_cookie_value: "interop".into(),
    }
}

fn log(args: LogArgs) -> Result<bool, String> {
    let field = args.fields.get("field").map(String::as_str);
    let other = args.fields.get("other").map(String::as_str);
    let m = args.message.as_str();
    match args.level.as_str() {
        "trace" => tracing::trace!(field, other, "{m}"),
        "debug" => tracing::debug!(field, other, "{m}"),
        "info" => tracing::info!(field, other, "{m}"),
        "warn" => tracing::warn!(field, other, "{m}"),
        "error" => tracing::error!(field, other, "{m}"),
        l => return Err(format!("unknown log level: {l:?}")),
    }
    Ok(true)
}

async fn callback(broker: MuxBroker, id: u32) -> Result<String, String> {
    let client = broker
        .dial_client(id)
        .await
        .map_err(|e| format!("broker dial {id}: {e}"))?;
    let reply = match client
        .call::<_, String>("Host.Hello", &"kvplugin".to_string())
        .await
    {
        Err(e) if e.to_string() == "rpc: can't find service Host.Hello" => {
            client
                .call::<_, String>("Plugin.Hello", &"kvplugin".to_string())
                .await
        }
        other => other,
    };
    let _ = client.close().await;
    reply.map_err(|e| e.to_string())
}

fn kv_server(broker: &MuxBroker) -> Result<Server, plugin::FactoryError> {
    let s = Server::new();
    s.register_fn("Plugin", "Put", |kv: Kv| async move {
        store()
            .lock()
            .map_err(|e| e.to_string())?
            .insert(kv.key, kv.value);
        Ok::<_, String>(true)
    })?;
    s.register_fn("Plugin", "Get", |key: String| async move {
        let v = store()
            .lock()
            .map_err(|e| e.to_string())?
            .get(&key)
            .cloned();
        v.ok_or_else(|| format!("no such key: {key}"))
    })?;
    s.register_fn("Plugin", "Print", |text: String| async move {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
        let mut err = std::io::stderr().lock();
        err.write_all(format!("err:{text}").as_bytes())
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(true)
    })?;
    s.register_fn("Plugin", "Log", |args: LogArgs| async move { log(args) })?;
    let b = broker.clone();
    s.register_fn("Plugin", "Callback", move |id: u32| callback(b.clone(), id))?;
    s.register_fn("Plugin", "Sleep", |ms: i64| async move {
        tokio::time::sleep(Duration::from_millis(ms.max(0) as u64)).await;
        Ok::<_, String>(ms)
    })?;
    s.register_fn("Plugin", "Crash", |code: i64| async move {
        std::process::exit(code as i32);
        #[allow(unreachable_code)]
        Ok::<bool, String>(true)
    })?;
    Ok(s)
}

/// 16384 lines of exactly 64 bytes, as the Go plugin's chatty mode writes.
fn chatty_text(name: &str) -> String {
    let mut s = String::with_capacity(1 << 20);
    for i in 0..(1 << 20) / 64 {
        let line = format!("chatty {name} line {i:05}");
        s.push_str(&format!("{line:<63}\n"));
    }
    s
}

/// The `TLSProvider` configuration of `KVPLUGIN_TLS_DIR` (see the module docs).
#[cfg(feature = "tls")]
fn server_tls(
    dir: &std::path::Path,
) -> Result<std::sync::Arc<plugin::tls::rustls::ServerConfig>, Box<dyn std::error::Error>> {
    use plugin::tls::{parse_pem_certificates, pinned_server_config, Identity};
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    let own = Identity::from_pem(&read("server.pem")?, &read("server-key.pem")?)?;
    let clients = parse_pem_certificates(&read("client.pem")?)?;
    Ok(pinned_server_config(clients, &own)?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    #[allow(unused_mut)] // without the `tls` feature
    let mut config = ServeConfig::new(handshake(), PluginSet::new().plugin("kv", kv_server));
    if let Some(dir) = std::env::var_os("KVPLUGIN_TLS_DIR").filter(|d| !d.is_empty()) {
        #[cfg(feature = "tls")]
        match server_tls(std::path::Path::new(&dir)) {
            Ok(tls) => config.tls = Some(tls),
            Err(e) => {
                eprintln!("kvplugin: KVPLUGIN_TLS_DIR: {e}");
                std::process::exit(2);
            }
        }
        #[cfg(not(feature = "tls"))]
        {
            eprintln!("kvplugin: KVPLUGIN_TLS_DIR {dir:?} needs the `tls` feature");
            std::process::exit(2);
        }
    }
    match std::env::var("KVPLUGIN_MODE").as_deref() {
        Err(_) | Ok("") => {}
        Ok("chatty") => {
            // serve() redirects fd 1/2 right after the handshake: wait until fd 1 and 2 point
            // somewhere new (as the Go plugin polls os.Stdout), then write; the writes block
            // until the host drains the streams.
            let inode = |fd: u32| {
                use std::os::unix::fs::MetadataExt;
                std::fs::metadata(format!("/proc/self/fd/{fd}"))
                    .map(|m| m.ino())
                    .ok()
            };
            let (out0, err0) = (inode(1), inode(2));
            std::thread::spawn(move || {
                while inode(1) == out0 || inode(2) == err0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
                let out = std::thread::spawn(|| {
                    use std::io::Write;
                    let _ = std::io::stdout()
                        .lock()
                        .write_all(chatty_text("stdout").as_bytes());
                });
                use std::io::Write;
                let _ = std::io::stderr()
                    .lock()
                    .write_all(chatty_text("stderr").as_bytes());
                let _ = out.join();
            });
        }
        Ok(mode) => {
            eprintln!("kvplugin: unknown KVPLUGIN_MODE {mode:?}");
            std::process::exit(2);
        }
    }
    if let Err(e) = plugin::serve(config).await {
        eprintln!("kv_plugin: {e}");
        std::process::exit(1);
    }
}
