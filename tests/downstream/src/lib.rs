//! Compiles against `tilores-plugin` as a dependent crate does (see `Cargo.toml`).
//!
//! The README's Rust examples are this crate's doctests, so they compile (and the gob one
//! runs) with `tilores-plugin` as the only library dependency; `tests/derive.rs` checks the
//! derive reached through `tilores_plugin::gob` against bytes Go wrote.
#![doc = include_str!("../../../README.md")]

use tilores_plugin::gob::{self, Gob};

/// A type of this crate with the derive as a dependent crate names it (no attribute needed:
/// the re-exported derive's generated code starts at `::tilores_plugin::gob`).
#[derive(Gob, Debug, Default, PartialEq, Clone)]
#[gob(go_type = "main.Point")]
pub struct Point {
    /// Go's `X`.
    pub x: i64,
    /// Go's `Y`.
    pub y: i64,
}

/// A newtype (Go's `type Points []Point`) through the fully qualified derive path.
#[derive(tilores_plugin::gob::Gob, Debug, Default, PartialEq, Clone)]
#[gob(go_type = "main.Points")]
pub struct Points(pub Vec<Point>);

/// The same struct with the crate path spelled out, as a crate that re-exports
/// `tilores_plugin::gob` under yet another path would write it.
#[derive(Gob, Debug, Default, PartialEq, Clone)]
#[gob(crate = "tilores_plugin::gob", go_type = "main.Point")]
pub struct ExplicitPoint {
    /// Go's `X`.
    pub x: i64,
    /// Go's `Y`.
    pub y: i64,
}

/// Encodes `p` as a one-value gob stream.
pub fn encode(p: &Point) -> gob::Result<Vec<u8>> {
    gob::to_vec(p)
}
