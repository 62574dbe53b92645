//! Shared by the typed-decoding tests (`decoded_as.rs`, `typed_random.rs`): the rendering of
//! a decoded value as testdata/gob/manifest.json renders Go's, its comparison, the class of a
//! Go error text, and twins of Go's complex types (which this crate has no typed counterpart
//! for).

#![allow(dead_code)]

use gob::raw::{ids, Dec, Enc, GoTypeName, Schema, WireId};
use gob::{Decode, Encode, ErrorKind, GobType, Value};
use serde_json::Value as Json;

/// A struct twin: Rust fields spelled as Go's (the derive keeps a leading capital, so the Go
/// field name is the Rust one).
macro_rules! go_struct {
    ($name:ident, $go:literal { $($f:ident : $t:ty),* $(,)? }) => {
        #[derive(Gob, Debug, Default, Clone, PartialEq)]
        #[gob(go_type = $go)]
        #[allow(non_snake_case)]
        struct $name { $($f: $t),* }
    };
}

/// Go's `complex64`, written with the raw API, with Go's `float32FromBits` range check on
/// each part (as `f32` fields get it).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct C64(pub f32, pub f32);

/// Go's `complex128`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct C128(pub f64, pub f64);

fn narrow(v: f64) -> gob::Result<f32> {
    if v.is_finite() && v.abs() > f32::MAX as f64 {
        return Err(ErrorKind::OutOfRange(format!("{v} does not fit float32")).into());
    }
    Ok(v as f32)
}

macro_rules! complex {
    ($t:ident, $go:literal, $narrow:expr) => {
        impl GobType for $t {
            fn go_type() -> GoTypeName {
                GoTypeName::named($go)
            }
            fn describe(_: &mut Schema, _: &str) -> gob::Result<WireId> {
                Ok(ids::COMPLEX)
            }
        }
        impl Encode for $t {
            fn wire_type(&self, _: &mut Schema) -> gob::Result<WireId> {
                Ok(ids::COMPLEX)
            }
            fn encode(&self, e: &mut Enc<'_>) -> gob::Result<()> {
                e.put_float(self.0 as f64);
                e.put_float(self.1 as f64);
                Ok(())
            }
            fn omit_in_struct(&self) -> bool {
                self.0 == 0.0 && self.1 == 0.0
            }
        }
        impl Decode for $t {
            fn decode(d: &mut Dec<'_, '_>, w: WireId) -> gob::Result<Self> {
                d.expect(ids::COMPLEX, w, $go)?;
                let (re, im) = (d.float()?, d.float()?);
                let n: fn(f64) -> gob::Result<_> = $narrow;
                Ok($t(n(re)?, n(im)?))
            }
            fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> gob::Result<()> {
                d.expect(ids::COMPLEX, w, $go)
            }
        }
    };
}
complex!(C64, "complex64", narrow);
complex!(C128, "complex128", Ok);

/// The manifest's rendering of a value: what it renders like once sent.
pub fn render<T: Encode>(v: &T) -> Json {
    let bytes = gob::to_vec(v)
        .unwrap_or_else(|e| panic!("re-encoding {}: {e}", std::any::type_name::<T>()));
    let back: Value = gob::from_slice(&bytes).expect("a Rust stream decodes dynamically");
    strip_types(&gob::json::to_typed_json(&back))
}

/// What a Go error's text says, as the class of Rust error that must answer it (`None`: any
/// error will do, e.g. Go's bare `EOF` for data missing inside a message).
pub fn same_class(go: &str, rust: &ErrorKind) -> bool {
    use ErrorKind as K;
    let has = |s: &str| go.contains(s);
    if has("out of range") && !has("unsigned integer") {
        matches!(rust, K::OutOfRange(_))
    } else if has("no fields matched") {
        matches!(rust, K::NoFieldsMatched(_))
    } else if has("wrong type")
        || has("decoding into local type")
        || has("type mismatch in decoder")
        || has("can only be decoded from remote interface type")
    {
        matches!(rust, K::TypeMismatch { .. })
    } else if has("duplicate type received") {
        matches!(rust, K::DuplicateType(_))
    } else if has("field numbers out of bounds") {
        matches!(rust, K::FieldNumberOutOfBounds)
    } else if has("extra data in buffer") {
        matches!(rust, K::ExtraData)
    } else if has("non-zero delta for singleton") {
        matches!(rust, K::NonZeroSingletonDelta)
    } else if has("name too long") {
        matches!(rust, K::NameTooLong(_))
    } else if has("invalid nesting depth") {
        // Rust's stricter limits stop such streams first (gob::Limits).
        matches!(rust, K::DepthLimitExceeded(_) | K::TooManyTypes(_))
    } else {
        true
    }
}

// The manifest's value rendering and comparison: `support::manifest`.
pub use tilores_plugin_test_support::manifest::{same, strip_types};
