//! Decoding: the per-stream [`Decoder`] (received type definitions), the [`Dec`] value reader
//! used by [`Decode`] implementations, dynamic decoding into [`Value`] and structural skipping.

mod check;
mod dec;
mod dynamic;
mod limits;
mod names;
mod stream;
mod table;

pub use dec::Dec;
pub use limits::Limits;
pub use stream::{Decoder, Discard, Iter, Step};
pub use table::TypeTable;

pub(crate) use names::register_decoder;

use crate::error::Result;
// Named in the docs only.
use crate::types::WireId;
#[cfg(doc)]
use crate::{ErrorKind, Value};

/// A value that can be decoded from gob.
pub trait Decode: Sized {
    /// Decodes a value whose wire type is `wire`. Implementations check that the wire type is
    /// compatible with `Self` (Go's rules) and return a [`ErrorKind::TypeMismatch`] otherwise.
    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> Result<Self>;

    /// Checks, before any value is read, that `wire` can be decoded into `Self`, all the way
    /// down: Go compiles a decoder for the whole destination type when a value arrives
    /// (`compileDec`, `compatibleType`), so a struct field of the wrong type fails the value
    /// even when this value leaves the field out (zero), and so does the element type of an
    /// empty slice or map. The decoder calls it for every top-level value and registered
    /// interface payload; `#[derive(Gob)]` implements it. The default accepts everything and
    /// leaves the check to [`Decode::decode`], i.e. to values actually present (what a
    /// hand-written type that does not implement it gets).
    fn check_wire(d: &mut Dec<'_, '_>, wire: WireId) -> Result<()> {
        let _ = (d, wire);
        Ok(())
    }
}
