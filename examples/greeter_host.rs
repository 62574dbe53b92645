//! Rust port of go-plugin v1.4.3's `examples/basic` host: runs `./plugin/greeter` (the Go or
//! the Rust greeter plugin), dispenses `greeter`, calls `Plugin.Greet` and prints the greeting.
//!
//! Like the Go host it logs at debug level to stdout (the plugin's hclog lines re-logged),
//! prints the greeting on its own line, and kills the plugin at the end.
//!
//! `--auto-mtls` turns on go-plugin's AutoMTLS (Go's host would set `AutoMTLS: true`) and logs
//! the negotiated TLS version.

use tilores_plugin::gob::Interface;
use tilores_plugin::plugin::{ClientConfig, HandshakeConfig, PluginClient, PluginCommand};

#[tokio::main]
async fn main() {
    tracing_subscriber_init();
    let handshake = HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "BASIC_PLUGIN".into(),
        magic_cookie_value: "hello".into(),
    };
    #[allow(unused_mut)] // without the `tls` feature
    let mut config = ClientConfig::new(handshake).plugins(["greeter"]);
    if std::env::args().skip(1).any(|a| a == "--auto-mtls") {
        #[cfg(feature = "tls")]
        {
            config.auto_mtls = true;
        }
        #[cfg(not(feature = "tls"))]
        fatal("--auto-mtls needs the `tls` feature");
    }
    let mut client = match PluginClient::start(PluginCommand::new("./plugin/greeter"), config).await
    {
        Ok(c) => c,
        Err(e) => fatal(e),
    };
    #[cfg(feature = "tls")]
    if let Some(tls) = client.tls() {
        tracing::info!(version = ?tls.protocol_version, "TLS negotiated");
    }
    let result = async {
        let greeter = client.dispense("greeter").await?;
        let greeting: String = greeter.call("Plugin.Greet", &Interface::nil()).await?;
        Ok::<_, Box<dyn std::error::Error>>(greeting)
    }
    .await;
    match result {
        Ok(greeting) => println!("{greeting}"),
        Err(e) => {
            client.kill().await;
            fatal(e)
        }
    }
    client.kill().await;
}

/// Go's `log.Fatal`: the error on stderr, exit status 1.
fn fatal(e: impl std::fmt::Display) -> ! {
    eprintln!("{e}");
    std::process::exit(1)
}

/// The Go host logs through hclog at debug level to stdout; a plain text subscriber here.
fn tracing_subscriber_init() {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
}
