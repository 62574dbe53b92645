//! The TiloRes dispatcher plugin API (tilores-plugin-api v0.6.0, and the go-plugin-era
//! versions before it: see [`ApiVersion`]) over net/rpc, both sides.
//!
//! Every method is declared once, in the method table of `methods.rs`; the trait, the client,
//! the server, the script runner and [`methods`] derive from it.
//!
//! - The values: [`Entity`], [`Record`], ... and the inputs and outputs of each method, with
//!   Go's gob names and JSON tags and Go's nil-versus-empty behaviour (see below).
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
//! - [`methods`]: what the method table declares (Go name, script name, HTTP path, version).
//!
//! - [`initialize`] / [`serve_dispatcher`]: the go-plugin wiring (tilores-plugin-api's
//!   `Initialize` and a dispatcher plugin's `main`).
//! - [`http`]: TiloRes' HTTP plugin protocol of tilores-plugin-api v0.7.x, both sides.
//!
//! The adapters work on any net/rpc stream; the go-plugin machinery (handshake, Dispense,
//! broker) lives in [`crate::plugin`].
//!
//! # nil versus empty
//!
//! Go distinguishes nil from empty slices and maps, and its `encoding/json` shows the
//! difference (`null` versus `[]`/`{}`). Gob carries only part of it, and these types carry
//! exactly that part, so that a value means the same on both sides of the wire:
//!
//! - **Slices** are `Vec`s. Gob omits empty slices, so a Go peer always decodes an empty slice
//!   as nil; an empty `Vec` therefore stands for Go's nil slice and renders as JSON `null`
//!   (what a Go host prints for it after the wire), e.g. `Entity.edges`. Over the HTTP
//!   protocol, whose JSON does carry `[]`, [`run_script`] prints `[]` where the plugin's answer
//!   held it.
//! - **Maps** are `Option<map>`. Gob sends a non-nil empty map (count 0) and omits a nil one,
//!   so `Some(empty)` arrives as Go's `{}` and `None` as `null` — the fake dispatcher's empty
//!   `Duplicates`/`Hits` are `Some(empty)`.
//! - **Pointers** are `Option`s (`EntityOutput.entity`, `SearchInput.parameters`,
//!   `DisassembleInput.timeout`).
//!
//! Values inside `interface{}` slots ([`Record::data`], [`SearchParameters`]) are
//! [`gob::Interface`]s carrying their Go dynamic type (`float64`,
//! `string`, `map[string]interface {}`, `time.Time`, ...), which matters to Go code comparing
//! them.
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
mod gojson;
mod golocal;
pub mod http;
mod methods;
mod plugin;
mod script;
mod server;
mod service;
mod types;

pub use client::DispatcherClient;
pub use fake::{FakeDispatcher, PanicPolicy};
pub use methods::{methods, ApiVersion, MethodInfo};
pub use plugin::{
    client_config, handshake, initialize, initialize_with, plugin_set, serve_dispatcher,
    DispatcherPlugin, PLUGIN_NAME,
};
pub use script::{run_script, ScriptOptions, ScriptSummary};
pub use server::{register, rpc_server};
pub use service::{CallContext, DispatchError, Dispatcher};
pub use types::{
    DisassembleEdge, DisassembleInput, DisassembleMeta, DisassembleOutput, Duplicates, Edges,
    Entity, EntityInput, EntityOutput, Hits, InterfaceMap, Record, RemoveConnectionBanInput,
    RemoveConnectionBanMeta, SearchInput, SearchOutput, SearchParameters, SubmitInput,
    SubmitOutput,
};
#[cfg(test)]
pub(crate) use types::{EchoInput, EchoOutput};

/// Not a public API: what the `tilores-plugin` and `tilores-plugin-fake-dispatcher` binaries
/// and this crate's own tests reach into. Unstable; may change in any release.
#[doc(hidden)]
pub mod __cli {
    pub use super::http::launch::{probe_protocol, serve_fake_dispatcher_for_env};
    pub use super::plugin::serve_fake_dispatcher;
    pub use super::script::run_line;
}

#[cfg(test)]
mod tests;
