//! Go `encoding/gob`, byte-compatible with Go in both directions.
//!
//! - [`Encoder`] / [`Decoder`]: one per byte stream, as Go's; type definitions are sent and
//!   remembered once per stream.
//! - Typed values through [`Encode`] / [`Decode`] (derive them with `#[derive(Gob)]`), dynamic
//!   values through [`Value`], Go `interface{}` slots through [`Interface`].
//! - The encoder allocates type ids like a fresh Go (≥ 1.21) process (first user id 64) and
//!   splits messages around interface values exactly where Go does, so for deterministic
//!   values the bytes equal Go's.
//! - The decoder follows Go's compatibility rules and is hardened against hostile input
//!   ([`Limits`]): bounded messages, nesting depth, counts checked against the input before
//!   allocating, typed errors naming the path.

mod decode;
mod encode;
mod error;
mod impls;
pub mod registry;
mod time;
mod types;
mod value;
pub mod wire;

#[cfg(feature = "tokio")]
pub mod codec;
#[cfg(feature = "json")]
pub mod json;

pub use decode::{decode_values, Dec, Decode, Decoder, Limits, Step, TypeTable};
pub use encode::{
    Enc, Encode, Encoder, GoTypeName, GobType, Schema, StructBuilder, GO_MAX_MESSAGE,
};
pub use error::{Error, ErrorKind, Result};
pub use impls::Empty;
pub use registry::{register, register_name, GoName};
pub use time::GoTime;
pub use types::{ids, CommonType, FieldType, WireId, WireType};
pub use value::{
    Composite, Concrete, DefKind, DynConcrete, GoStr, GroupDef, Interface, Type, TypeDef,
    TypeGroup, TypeRef, Value,
};

#[cfg(feature = "derive")]
pub use tilores_gob_derive::Gob;

/// Encodes values into a fresh stream (one encoder for all of them).
pub fn to_bytes<T: Encode + ?Sized>(values: &[&T]) -> Result<Vec<u8>> {
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    for v in values {
        enc.encode_into(*v, &mut out)?;
    }
    Ok(out)
}
