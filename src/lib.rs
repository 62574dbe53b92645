//! HashiCorp go-plugin (net/rpc protocol) in Rust, wire-compatible with Go.
//!
//! Layout (each layer usable on its own):
//! - [`gob`] (re-exported codec crate): Go `encoding/gob` values.
//! - [`rpc`]: Go `net/rpc` client and server over any byte stream.
//! - [`mux`]: a yamux session that behaves like hashicorp/yamux.
//! - [`plugin`]: go-plugin host and provider (handshake, broker, control, stdio, logs).
//! - [`dispatcher`]: the TiloRes dispatcher API (tilores-plugin-api v0.6.0).

pub use gob;

pub mod dispatcher;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod mux;
pub mod plugin;
pub mod rpc;
