//! go-plugin host and provider.
//!
//! Process-level parts of HashiCorp go-plugin v1.4.3 (Unix only), all re-exported here:
//!
//! * the shared [`HandshakeConfig`] and the `1|1|unix|/path|netrpc|` line ([`format_line`],
//!   [`parse_line`]);
//! * the host: [`PluginClient`] (launch or reattach, session, `Dispense`, `Ping`, `Kill`),
//!   built on [`launch`] / [`PluginProcess`] (handshake wait, [`SecureConfig`],
//!   [`ReattachConfig`]);
//! * the provider: [`serve`] (go-plugin's `Serve`) and the per-connection [`PluginServer`],
//!   with its start-up checks ([`check_cookie`], [`negotiate_version`]), its Unix socket
//!   ([`PluginListener`]) and [`ignore_interrupts`] (a Go plugin ignores SIGINT);
//! * [`MuxBroker`]: go-plugin's `MuxBroker` (extra streams by id, both directions);
//! * plugin stderr logs in go-hclog's format, both directions ([`hclog_subscriber`],
//!   [`parse_stderr_line`]);
//! * `tls` (cargo feature `tls`, default): AutoMTLS and user TLS configurations.

// Private modules, one public path per item: the curated re-exports below.
mod broker;
mod client;
mod env;
mod gocompat;
pub(crate) mod handshake;
pub(crate) mod hclog;
mod listener;
mod negotiate;
pub(crate) mod process;
mod server;
mod signals;
#[cfg(feature = "tls")]
pub mod tls;

#[cfg(test)]
mod tests;

pub use broker::{
    BrokerConfig, BrokerError, MuxBroker, DEFAULT_ACCEPT_TIMEOUT, DEFAULT_DIAL_TIMEOUT,
};
pub use client::{
    ClientConfig, ClientError, KillOutcome, PluginClient, StdioSink, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_CONTROL_TIMEOUT, DEFAULT_EXIT_TIMEOUT, DEFAULT_QUIT_TIMEOUT,
};
pub use handshake::{
    format_line, parse_line, FormatError, Handshake, HandshakeConfig, HandshakeError, PluginAddr,
    Protocol,
};
pub use hclog::{
    hclog_subscriber, parse_stderr_line, HclogLayer, LogLevel, PluginLogLine, StderrSink,
    STDERR_TARGET,
};
pub use listener::{ListenerConfig, ListenerError, PluginListener};
pub use negotiate::{
    check_cookie, check_cookie_or_exit, negotiate_version, CookieError, InvalidVersion, Negotiation,
};
pub use process::{
    launch, LaunchConfig, LaunchError, PluginCommand, PluginProcess, ReattachConfig, SecureConfig,
    SecureConfigError, DEFAULT_START_TIMEOUT,
};
pub use server::{
    serve, ExitPolicy, FactoryError, PluginFactory, PluginServer, PluginSet, ServeConfig, ServeEnd,
    ServeError, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PENDING_DISPENSES, DEFAULT_STREAMS_TIMEOUT,
    ENV_EXIT_POLICY,
};
pub use signals::ignore_interrupts;
