//! go-plugin wiring of the dispatcher: tilores-plugin-api v0.6.0's `Handshake`,
//! `Initialize` (host side) and a one-call provider ([`serve_dispatcher`]).

use std::sync::Arc;

use super::{register, ApiVersion, Dispatcher, DispatcherClient, FakeDispatcher, PanicPolicy};
use crate::plugin::{
    serve, ClientConfig, ClientError, HandshakeConfig, KillOutcome, PluginClient, PluginCommand,
    PluginSet, ReattachConfig, ServeConfig, ServeEnd, ServeError, StdioSink,
};

/// The plugin-set name a dispatcher plugin is dispensed under.
pub const PLUGIN_NAME: &str = "dispatcher";

/// tilores-plugin-api's `dispatcher.Handshake`: protocol version 1, cookie
/// `DISPATCHER_PLUGIN=opsPsgZd3qsXpjgj69j5`.
pub fn handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "DISPATCHER_PLUGIN".into(),
        magic_cookie_value: "opsPsgZd3qsXpjgj69j5".into(),
    }
}

/// The host configuration `dispatcher.Initialize` uses: the dispatcher handshake and plugin
/// name, the plugin's stdout/stderr copied to this process's stdout/stderr.
pub fn client_config() -> ClientConfig {
    let mut config = ClientConfig::new(handshake()).plugins([PLUGIN_NAME]);
    config.stdout = StdioSink::writer(tokio::io::stdout());
    config.stderr = StdioSink::writer(tokio::io::stderr());
    config
}

/// A dispensed dispatcher plugin: the [`Dispatcher`] to call, the plugin connection (its
/// kill handle), and the reattach config (what Go's `Initialize` returns).
#[derive(Debug)]
pub struct DispatcherPlugin {
    dispatcher: DispatcherClient,
    plugin: PluginClient,
}

impl DispatcherPlugin {
    /// The dispatcher; clone it freely (calls share one stream, many in flight).
    pub fn dispatcher(&self) -> &DispatcherClient {
        &self.dispatcher
    }

    /// Speak the given tilores-plugin-api version to the plugin from now on (the default is
    /// v0.6.0, as Go's `Initialize` of that version).
    pub fn set_api(&mut self, api: ApiVersion) {
        self.dispatcher = DispatcherClient::with_api(self.dispatcher.rpc().clone(), api);
    }

    /// The plugin connection (ping, broker, exited state).
    pub fn plugin(&self) -> &PluginClient {
        &self.plugin
    }

    /// go-plugin's `ReattachConfig()`; serialisable as Go's JSON.
    pub fn reattach_config(&self) -> ReattachConfig {
        self.plugin.reattach_config()
    }

    /// Go's `KillFunc`: `Control.Quit`, wait up to 2 s, then SIGKILL.
    pub async fn kill(&mut self) -> KillOutcome {
        self.plugin.kill().await
    }
}

/// tilores-plugin-api's `dispatcher.Initialize(cmd, reattach)` with Go's configuration (see
/// [`client_config`]).
pub async fn initialize(
    cmd: PluginCommand,
    reattach: Option<&ReattachConfig>,
) -> Result<DispatcherPlugin, ClientError> {
    initialize_with(cmd, reattach, client_config, client_config).await
}

/// [`initialize`] with configurations of your own (`reattach_config` for the reattach
/// attempt, `launch_config` for the launch). As in Go: with a reattach config it first tries
/// to reattach and, on any error, silently launches `cmd` instead.
pub async fn initialize_with(
    cmd: PluginCommand,
    reattach: Option<&ReattachConfig>,
    reattach_config: impl FnOnce() -> ClientConfig,
    launch_config: impl FnOnce() -> ClientConfig,
) -> Result<DispatcherPlugin, ClientError> {
    if let Some(rc) = reattach {
        match PluginClient::reattach(rc, reattach_config()).await {
            // As in Go, a failed reattach client is dropped, not killed: the plugin may still
            // serve someone else.
            Ok(plugin) => match plugin.dispense(PLUGIN_NAME).await {
                Ok(rpc) => {
                    return Ok(DispatcherPlugin {
                        dispatcher: DispatcherClient::new(rpc),
                        plugin,
                    })
                }
                Err(e) => tracing::debug!(error = %e, "dispatcher reattach failed; launching"),
            },
            Err(e) => tracing::debug!(error = %e, "dispatcher reattach failed; launching"),
        }
    }
    let plugin = PluginClient::start(cmd, launch_config()).await?;
    dispense(plugin).await
}

/// Dispenses `dispatcher` from a launched plugin; kills it if that fails.
async fn dispense(mut plugin: PluginClient) -> Result<DispatcherPlugin, ClientError> {
    match plugin.dispense(PLUGIN_NAME).await {
        Ok(rpc) => Ok(DispatcherPlugin {
            dispatcher: DispatcherClient::new(rpc),
            plugin,
        }),
        Err(e) => {
            plugin.kill().await;
            Err(e)
        }
    }
}

/// The plugin set of a dispatcher provider: `dispatcher` served by `implementation` (one
/// implementation shared by every connection and dispense, as in Go).
pub fn plugin_set<D: Dispatcher + 'static>(implementation: Arc<D>) -> PluginSet {
    PluginSet::new().plugin(PLUGIN_NAME, move |_broker| {
        let server = crate::rpc::Server::new();
        register(&server, implementation.clone())?;
        Ok(server)
    })
}

/// The Rust fake dispatcher as a plugin process (the `main` of `tilores-plugin-fake-dispatcher`
/// and of the CLI's bundled plugin): like the Go fake v0.5.2 it ends the process (status 2)
/// where the Go fake panics.
pub async fn serve_fake_dispatcher() -> Result<ServeEnd, ServeError> {
    serve_dispatcher(Arc::new(FakeDispatcher::with_panic_policy(
        PanicPolicy::ExitProcess,
    )))
    .await
}

/// Serves `implementation` as a dispatcher plugin process (go-plugin's `Serve` with
/// tilores-plugin-api's handshake and plugin set). Call it from `main` and return afterwards.
///
/// ```no_run
/// use std::sync::Arc;
/// use tilores_plugin::dispatcher::{serve_dispatcher, FakeDispatcher};
///
/// #[tokio::main]
/// async fn main() {
///     if let Err(e) = serve_dispatcher(Arc::new(FakeDispatcher::new())).await {
///         eprintln!("{e}");
///         std::process::exit(1);
///     }
/// }
/// ```
pub async fn serve_dispatcher<D: Dispatcher + 'static>(
    implementation: Arc<D>,
) -> Result<ServeEnd, ServeError> {
    serve(ServeConfig::new(handshake(), plugin_set(implementation))).await
}
