//! Rust port of go-plugin v1.4.3's `examples/negotiated/plugin-go`, its protocol-version-2
//! half (net/rpc): a drop-in for the Go binary `./kv-plugin` that go-plugin's unmodified
//! `examples/negotiated` host runs with `KV_PROTO=netrpc`.
//!
//! Handshake `BASIC_PLUGIN=hello`; app protocol version 2 only (the Go plugin also serves
//! version 3 over gRPC, which this crate does not speak: a host asking for 3 alone gets
//! version 2 back, as go-plugin's fallback gives, and go-plugin's host then reports the
//! mismatch). Plugin `kv` with go-plugin's `examples/grpc/shared` RPC shape:
//! `Plugin.Put(map[string]interface{}{"key": string, "value": []byte})` writes
//! `kv_<key>` with the value and "\n\nWritten from plugin version 2\n";
//! `Plugin.Get(key string) []byte` returns that file and "Read by plugin version 2\n".
//! File errors are Go's `*PathError` texts (`open kv_x: no such file or directory`).
//!
//! ```text
//! cargo build --example negotiated_kv_plugin && cp target/debug/examples/negotiated_kv_plugin kv-plugin
//! KV_PROTO=netrpc ./kv put hello world   # go-plugin's examples/negotiated host
//! ```

use std::collections::HashMap;

use tilores_plugin::gob::{Interface, Value};
use tilores_plugin::plugin::{self, HandshakeConfig, PluginSet, ServeConfig};
use tilores_plugin::rpc::Server;

/// go-plugin's `examples/grpc/shared.Handshake`.
fn handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "BASIC_PLUGIN".into(),
        magic_cookie_value: "hello".into(),
    }
}

/// Go's `*fs.PathError` text: `op path: errno text` (Go's errno texts are the C library's,
/// first letter lower-cased, without Rust's "(os error N)").
fn path_error(op: &str, path: &str, e: &std::io::Error) -> String {
    let text = match e.raw_os_error() {
        Some(code) => {
            let t = std::io::Error::from_raw_os_error(code).to_string();
            let t = t.split(" (os error").next().unwrap_or(&t).to_string();
            let mut c = t.chars();
            c.next()
                .map(|f| f.to_lowercase().chain(c).collect())
                .unwrap_or_default()
        }
        None => e.to_string(),
    };
    format!("{op} {path}: {text}")
}

/// `KV.Put` of the version-2 plugin.
fn put(args: &HashMap<String, Interface>) -> Result<Interface, String> {
    let field = |name: &str| args.get(name).and_then(|i| i.concrete()?.as_value());
    // Go's `args["key"].(string)` and `args["value"].([]byte)`.
    let key = field("key")
        .and_then(Value::as_str)
        .ok_or("Plugin.Put: \"key\" is not a string")?;
    let value = match field("value") {
        Some(Value::Bytes(b)) => b.to_vec(),
        _ => return Err("Plugin.Put: \"value\" is not a []byte".into()),
    };
    let path = format!("kv_{key}");
    let mut content = value;
    content.extend_from_slice(b"\n\nWritten from plugin version 2\n");
    std::fs::write(&path, content).map_err(|e| path_error("open", &path, &e))?;
    Ok(Interface::nil())
}

/// `KV.Get` of the version-2 plugin.
fn get(key: &str) -> Result<Vec<u8>, String> {
    let path = format!("kv_{key}");
    let mut d = std::fs::read(&path).map_err(|e| path_error("open", &path, &e))?;
    d.extend_from_slice(b"Read by plugin version 2\n");
    Ok(d)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Exits with go-plugin's message unless started by a host.
    plugin::check_cookie_or_exit(&handshake());
    let plugins = PluginSet::new().plugin("kv", |_broker| {
        let server = Server::new();
        server.register_fn(
            "Plugin",
            "Put",
            |args: HashMap<String, Interface>| async move { put(&args) },
        )?;
        server.register_fn("Plugin", "Get", |key: String| async move { get(&key) })?;
        Ok(server)
    });
    let mut config = ServeConfig::new(handshake(), plugins);
    config.versions = vec![2];
    if let Err(e) = plugin::serve(config).await {
        eprintln!("kv-plugin: {e}");
        std::process::exit(1);
    }
}
