//! go-plugin host and provider.
//!
//! Process-level parts of HashiCorp go-plugin v1.4.3 (Unix only):
//!
//! * [`handshake`]: the shared [`HandshakeConfig`] and the `1|1|unix|/path|netrpc|` line.
//! * [`env`](mod@env): the environment a host gives the plugin process.
//! * [`negotiate`]: provider start-up checks (magic cookie, app protocol version).
//! * [`listener`]: the provider's Unix socket in a private directory.
//! * [`process`]: host side launching, handshake wait, SecureConfig, reattach info, killing.
//! * [`broker`]: go-plugin's `MuxBroker` (extra streams by id, both directions).
//! * [`client`]: the host: launch or reattach, session, `Dispense`, `Ping`, `Kill`.
//! * [`server`]: the provider: `serve` (go-plugin's `Serve`) and the per-connection [`PluginServer`].
//! * [`hclog`]: plugin stderr logs in go-hclog's format, both directions.
//! * [`signals`]: the provider ignores SIGINT like a Go plugin.
//! * `tls` (cargo feature `tls`, default): AutoMTLS and user TLS configurations.

pub mod broker;
pub mod client;
pub mod env;
mod gocompat;
pub mod handshake;
pub mod hclog;
pub mod listener;
pub mod negotiate;
pub mod process;
pub mod server;
pub mod signals;
#[cfg(feature = "tls")]
pub mod tls;

#[cfg(test)]
mod tests;

pub use broker::{BrokerConfig, BrokerError, MuxBroker};
pub use client::{ClientConfig, ClientError, KillOutcome, PluginClient, StdioSink};
pub use handshake::{
    format_line, parse_line, Handshake, HandshakeConfig, HandshakeError, PluginAddr, Protocol,
};
pub use hclog::{hclog_subscriber, parse_stderr_line, HclogLayer, LogLevel, PluginLogLine};
pub use listener::{ListenerConfig, ListenerError, PluginListener};
pub use negotiate::{
    check_cookie, check_cookie_or_exit, negotiate_version, CookieError, Negotiation,
};
pub use process::{
    launch, LaunchConfig, LaunchError, PluginCommand, PluginProcess, ReattachConfig, SecureConfig,
};
pub use server::{
    serve, ExitPolicy, FactoryError, PluginFactory, PluginServer, PluginSet, ServeConfig, ServeEnd,
    ServeError, ENV_EXIT_POLICY,
};
pub use signals::ignore_interrupts;
