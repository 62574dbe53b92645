//! The interface-name registry: which Rust type a Go name decodes into when it arrives inside
//! an `interface{}` (Go's `gob.Register`). Unregistered names decode as dynamic values.

use std::any::TypeId;

use crate::decode::{register_decoder, Dec, Decode};
use crate::error::Result;
use crate::types::WireId;
use crate::value::Concrete;

fn decode_as<T: Decode + Concrete>(d: &mut Dec<'_, '_>, w: WireId) -> Result<Box<dyn Concrete>> {
    // Go's decodeInterface decodes the payload like a top-level value: compiled first.
    d.check_whole::<T>(w)?;
    Ok(Box::new(T::decode(d, w)?))
}

/// A Rust type that travels inside `interface{}` under a fixed Go name
/// (e.g. `*dispatcher.EntityInput`). Derive it with `#[gob(interface = "...")]`.
pub trait GoName {
    /// The Go name written on the wire.
    const GO_NAME: &'static str;
}

/// Registers `T` under its Go name so that interface values with that name decode into `T`.
/// Registering the same type twice is fine; a different type under a taken name is an error
/// (Go panics there).
pub fn register<T: Decode + Concrete + GoName>() -> Result<()> {
    register_name::<T>(T::GO_NAME)
}

/// Registers `T` under an explicit name.
pub fn register_name<T: Decode + Concrete>(name: &str) -> Result<()> {
    register_decoder(name, TypeId::of::<T>(), decode_as::<T>)
}
