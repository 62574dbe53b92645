//! Go `encoding/gob`, byte-compatible with Go in both directions.
//!
//! ```
//! use gob::Gob;
//!
//! #[derive(Gob, Debug, Default, PartialEq)]
//! #[gob(go_type = "main.Point")]
//! struct Point {
//!     x: i64,
//!     y: i64,
//! }
//!
//! # fn main() -> gob::Result<()> {
//! let bytes = gob::to_vec(&Point { x: 22, y: 33 })?; // what Go's gob.NewEncoder(w).Encode writes
//! let p: Point = gob::from_slice(&bytes)?;
//! assert_eq!(p, Point { x: 22, y: 33 });
//! # Ok(())
//! # }
//! ```
//!
//! - [`to_vec`] / [`from_slice`]: one value as a whole stream. [`Encoder`] / [`Decoder`]: one
//!   per byte stream, as Go's; type definitions are sent and remembered once per stream.
//!   [`Decoder::iter`] reads every value of a stream; [`Decoder::decode_next`] reads a stream
//!   as it arrives ([`Step::NeedMore`] when a value is not all there yet).
//! - Typed values through [`Encode`] / [`Decode`] (derive them with `#[derive(Gob)]`; by hand
//!   with the pieces in [`raw`]), dynamic values through [`Value`], Go `interface{}` slots
//!   through [`Interface`] (typed payloads: [`register`]).
//! - The encoder allocates type ids like a fresh Go (≥ 1.21) process (first user id 64) and
//!   splits messages around interface values exactly where Go does, so for deterministic
//!   values the bytes equal Go's.
//! - The decoder follows Go's compatibility rules and is hardened against hostile input
//!   ([`Limits`]): bounded messages, nesting depth, counts checked against the input before
//!   allocating, typed errors naming the path.

mod bootstrap;
mod decode;
mod dyntype;
mod encode;
mod error;
mod idhash;
mod impls;
mod registry;
mod time;
mod types;
mod value;

// The wire primitives: a test and benchmark reach-in (Go-generated vectors are checked
// message by message), not part of the API.
#[doc(hidden)]
pub mod wire;

pub mod gotext;
#[cfg(feature = "json")]
pub mod json;

pub use decode::{Decode, Decoder, Discard, Iter, Limits, Step};
pub use dyntype::{DefKind, GroupDef, Type, TypeDef, TypeGroup, TypeRef};
pub use encode::{Encode, Encoder, GobType, GO_MAX_MESSAGE};
pub use error::{Error, ErrorKind, Result};
pub use impls::Empty;
pub use registry::{register, register_name, GoName};
pub use time::GoTime;
pub use value::{Composite, Concrete, ConcreteName, GoStr, Interface, Value};

#[cfg(feature = "derive")]
pub use tilores_gob_derive::Gob;

// Crate-internal shorthand (`crate::WireId`); the public path is `raw::WireId`.
use types::WireId;

pub mod raw {
    //! Implementing [`Encode`](crate::Encode) and [`Decode`](crate::Decode) by hand (what
    //! `#[derive(Gob)]` generates): the per-stream [`Schema`] of type definitions, the value
    //! writer [`Enc`] and reader [`Dec`], and Go's wire types and ids.
    pub use crate::bootstrap::go_type_string;
    pub use crate::decode::{Dec, TypeTable};
    pub use crate::encode::{Enc, GoTypeName, Schema, StructBuilder};
    pub use crate::types::{ids, CommonType, FieldType, WireId, WireKind, WireType};
}

/// What `#[derive(Gob)]` expands to: the derive names only paths in here, so the layout of
/// the public API may change without breaking derived code. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::decode::{Dec, Decode};
    pub use crate::encode::{Enc, Encode, GoTypeName, GobType, Schema};
    pub use crate::error::Result;
    pub use crate::registry::GoName;
    pub use crate::types::WireId;
    /// The derive as re-exported by `tilores-plugin` (its generated paths start at
    /// `::tilores_plugin::gob`).
    #[cfg(feature = "derive")]
    pub use tilores_gob_derive::GobViaPlugin;
}

/// Encodes `value` as a whole gob stream: its type definitions, then the value (the bytes Go's
/// `gob.NewEncoder(w).Encode(value)` writes). Several values on one stream: [`Encoder`].
pub fn to_vec<T: Encode + ?Sized>(value: &T) -> Result<Vec<u8>> {
    Encoder::new().encode(value)
}

/// Decodes a stream that holds exactly one value (as [`to_vec`] writes it).
///
/// An empty stream or one cut short is [`ErrorKind::UnexpectedEof`]; bytes after the value
/// are [`ErrorKind::TrailingData`] (a stream of several values: [`Decoder::iter`]).
pub fn from_slice<T: Decode>(bytes: &[u8]) -> Result<T> {
    let mut dec = Decoder::new();
    let mut values = dec.iter::<T>(bytes);
    let value = match values.next() {
        Some(v) => v?,
        None => return Err(Error::new(ErrorKind::UnexpectedEof).at_offset(values.used())),
    };
    if values.used() < bytes.len() {
        return Err(Error::new(ErrorKind::TrailingData).at_offset(values.used()));
    }
    Ok(value)
}
