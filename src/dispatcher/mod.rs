//! The TiloRes dispatcher plugin API (tilores-plugin-api v0.6.0, and the go-plugin-era
//! versions before it: see [`ApiVersion`]) over net/rpc, both sides.
//!
//! Every method is declared once, in the method table of `methods.rs`; the trait, the client,
//! the server, the script runner and [`methods`] derive from it.
//!
//! - [`types`]: `api.Entity`, `api.Record`, ... and the dispatcher inputs/outputs, with Go's
//!   gob names and JSON tags and Go's nil-versus-empty behaviour.
//! - [`Dispatcher`]: the five calls, each with a [`CallContext`] carrying the caller's
//!   deadline (the only part of Go's context that crosses the wire).
//! - [`DispatcherClient`]: calls a plugin's `Plugin.*` methods over an [`rpc::Client`]
//!   exactly like Go's client (host side).
//! - [`rpc_server`] / [`register`]: serves a [`Dispatcher`] as service `Plugin` on an
//!   [`rpc::Server`] with Go's argument checks and error texts (provider side), answering
//!   hosts of every go-plugin-era API version.
//! - [`FakeDispatcher`]: tilores-plugin-fake-dispatcher v0.5.2.
//! - [`run_script`]: the JSON-lines script runner of `tilores-plugin dispatch`, whose output
//!   equals go-interop's `dispatcher-host -script`.
//!
//! - [`initialize`] / [`serve_dispatcher`]: the go-plugin wiring (tilores-plugin-api's
//!   `Initialize` and a dispatcher plugin's `main`).
//! - [`http`]: TiloRes' HTTP plugin protocol of tilores-plugin-api v0.7.x, both sides.
//!
//! The adapters work on any net/rpc stream; the go-plugin machinery (handshake, Dispense,
//! broker) lives in [`crate::plugin`].
//!
//! [`rpc::Client`]: crate::rpc::Client
//! [`rpc::Server`]: crate::rpc::Server
//!
//! ```
//! use std::sync::Arc;
//! use tilores_plugin::dispatcher::*;
//! use tilores_plugin::rpc::Client;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = rpc_server(Arc::new(FakeDispatcher::new()));
//! let (host_io, plugin_io) = tokio::io::duplex(64 * 1024);
//! tokio::spawn(async move { server.serve(plugin_io).await });
//!
//! let plugin = DispatcherClient::new(Client::new(host_io));
//! let out = plugin
//!     .entity(CallContext::background(), EntityInput { id: "e1".into() })
//!     .await
//!     .unwrap();
//! assert_eq!(out.entity.unwrap().id, "e1");
//! let err = plugin
//!     .disassemble(CallContext::background(), DisassembleInput::default())
//!     .await
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "not implemented for fake dispatcher");
//! # }
//! ```

mod client;
mod fake;
pub mod gojson;
pub mod http;
mod methods;
mod plugin;
mod script;
mod server;
mod service;
pub mod types;

pub use client::DispatcherClient;
pub use fake::{go_equal, uuid_v4, FakeDispatcher, PanicPolicy, FAKE_CAPACITY, NOT_IMPLEMENTED};
pub use methods::{methods, ApiVersion, MethodInfo};
pub use plugin::{
    client_config, handshake, initialize, initialize_with, plugin_set, serve_dispatcher,
    serve_fake_dispatcher, DispatcherPlugin, PLUGIN_NAME,
};
pub use script::{run_line, run_script, ScriptOptions, ScriptSummary};
pub use server::{register, rpc_server};
pub use service::{CallContext, DispatchError, Dispatcher};
pub use types::*;

#[cfg(test)]
mod tests;
