//! Rust port of go-plugin v1.4.3's `examples/basic/plugin` (the greeter plugin): a drop-in
//! replacement for the Go binary `./plugin/greeter` run by go-plugin's `examples/basic` host.
//!
//! Handshake `BASIC_PLUGIN=hello`, protocol version 1, plugin `greeter` whose method
//! `Plugin.Greet` takes an empty interface and returns `"Hello!"`. Logs (hclog JSON on stderr,
//! re-logged by the host) "message from plugin" with `foo=bar` at start and
//! "message from GreeterHello.Greet" on each call, at debug level.
//!
//! ```text
//! cargo build --example greeter_plugin && cp target/debug/examples/greeter_plugin plugin/greeter
//! ```

use tilores_plugin::gob::Interface;
use tilores_plugin::plugin::{self, HandshakeConfig, PluginSet, ServeConfig};
use tilores_plugin::rpc::Server;

/// go-plugin's examples/basic handshake.
fn handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "BASIC_PLUGIN".into(),
        magic_cookie_value: "hello".into(),
    }
}

/// What `GreeterHello.Greet` does.
fn greet() -> String {
    tracing::debug!("message from GreeterHello.Greet");
    "Hello!".to_string()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Exits with go-plugin's message unless started by a host, before anything is logged.
    plugin::check_cookie_or_exit(&handshake());
    let _ =
        tracing::subscriber::set_global_default(plugin::hclog_subscriber(tracing::Level::TRACE));
    tracing::debug!(foo = "bar", "message from plugin");

    let plugins = PluginSet::new().plugin("greeter", |_broker| {
        let server = Server::new();
        server.register_fn("Plugin", "Greet", |_: Interface| async {
            Ok::<_, String>(greet())
        })?;
        Ok(server)
    });
    if let Err(e) = plugin::serve(ServeConfig::new(handshake(), plugins)).await {
        eprintln!("greeter: {e}");
        std::process::exit(1);
    }
}
