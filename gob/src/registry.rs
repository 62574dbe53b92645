//! The interface-name registry: which Rust type a Go name decodes into when it arrives inside
//! an `interface{}` (Go's `gob.Register`). Unregistered names decode as dynamic values.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};

use crate::decode::{Dec, Decode};
use crate::error::{Error, Result};
use crate::types::WireId;
use crate::value::Concrete;

/// Decodes a registered concrete type from an interface payload.
pub type DecodeFn = fn(&mut Dec<'_, '_>, WireId) -> Result<Box<dyn Concrete>>;

struct Entry {
    rust: TypeId,
    decode: DecodeFn,
}

fn table() -> &'static RwLock<HashMap<String, Entry>> {
    static T: OnceLock<RwLock<HashMap<String, Entry>>> = OnceLock::new();
    T.get_or_init(|| RwLock::new(HashMap::new()))
}

fn decode_as<T: Decode + Concrete>(d: &mut Dec<'_, '_>, w: WireId) -> Result<Box<dyn Concrete>> {
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
    let mut t = table().write().unwrap_or_else(|p| p.into_inner());
    match t.get(name) {
        Some(e) if e.rust == TypeId::of::<T>() => Ok(()),
        Some(_) => Err(Error::encode(format!(
            "gob: registering duplicate types for {name:?}"
        ))),
        None => {
            GENERATION.fetch_add(1, Ordering::Release);
            t.insert(
                name.to_string(),
                Entry {
                    rust: TypeId::of::<T>(),
                    decode: decode_as::<T>,
                },
            );
            Ok(())
        }
    }
}

/// The decoder registered for a Go name.
pub fn lookup(name: &str) -> Option<DecodeFn> {
    let t = table().read().unwrap_or_else(|p| p.into_inner());
    t.get(name).map(|e| e.decode)
}

/// Bumped by every new registration, so decoders can cache lookups.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The registry's generation: changes whenever a name is registered.
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}
