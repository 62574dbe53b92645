//! Decoding: the per-stream [`Decoder`] (received type definitions), the [`Dec`] value reader
//! used by [`Decode`] implementations, dynamic decoding into [`Value`] and structural skipping.

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
}
