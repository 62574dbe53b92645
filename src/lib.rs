// The README is the front page. Its examples are compiled (and the gob one run) as doctests
// of `tests/downstream`, a crate that depends only on this one, not here a second time.
#![cfg_attr(not(doctest), doc = include_str!("../README.md"))]
//!
//! ## Modules
//!
//! Each layer usable on its own:
//! - [`gob`] (re-exported codec crate): Go `encoding/gob` values.
//! - [`rpc`]: Go `net/rpc` client and server over any byte stream.
//! - [`mux`]: a yamux session that behaves like hashicorp/yamux.
//! - [`plugin`]: go-plugin host and provider (handshake, broker, control, stdio, logs).
//! - [`dispatcher`]: the TiloRes dispatcher API (tilores-plugin-api v0.6.0).

/// Go `encoding/gob` values: the `tilores-gob` crate, re-exported whole.
///
/// One difference from depending on `tilores-gob` directly: [`gob::Gob`] here is the derive
/// whose generated code names `::tilores_plugin::gob`, so a crate that depends only on
/// `tilores-plugin` writes `#[derive(tilores_plugin::gob::Gob)]` and nothing else.
pub mod gob {
    #[doc(inline)]
    pub use ::gob::*;
    // Shadows the glob's `Gob` (an explicit import wins over a glob one).
    #[doc(inline)]
    pub use ::gob::__private::GobViaPlugin as Gob;
}

pub mod dispatcher;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod mux;
pub mod plugin;
pub mod rpc;
