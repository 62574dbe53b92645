//! The resource limits on untrusted input and the per-message heap budget [`Dec`] charges.

use crate::error::{Error, ErrorKind, Result};
// Named in the docs only.
#[cfg(doc)]
use crate::{Decode, Value};

use super::dec::Dec;

/// Resource limits for decoding untrusted input.
///
/// Start from the defaults and change fields (more limits may come):
/// `let mut l = gob::Limits::default(); l.max_depth = 1024;`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Largest message accepted (Go accepts up to 8 GiB; the default here is 64 MiB).
    pub max_message: u64,
    /// Deepest nesting of values and types followed.
    pub max_depth: usize,
    /// Most type definitions accepted on one stream.
    pub max_types: usize,
    /// Most fields in one struct definition.
    pub max_fields: usize,
    /// Heap that decoding one message may take for the values it builds, as a multiple of
    /// the message's size on the wire; beyond `heap_per_byte × size + heap_allowance` the
    /// message is refused with [`ErrorKind::MemoryBudget`] and the path of the value that
    /// crossed it. What counts: the element storage of every slice, array and map (Rust
    /// sizes), the box of every composite [`Value`] and boxed interface, and string and byte
    /// contents that do not fit inline.
    ///
    /// The default, 64, admits everything Go's decoder admits into [`Value`]s: a
    /// [`Value`] is 24 bytes and a composite adds a 40-byte box, so the worst message, one
    /// of empty composites (one wire byte each), needs 64; nil interfaces, booleans, small
    /// numbers and short strings need at most 24. Typed destinations whose Rust size is far
    /// beyond their wire size (a `Vec` of large structs sent empty) can exceed it, as they
    /// would in Go.
    pub heap_per_byte: u64,
    /// Heap every message may take whatever its size (so that small messages are never
    /// refused), in bytes.
    pub heap_allowance: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 64 << 20,
            max_depth: 256,
            max_types: 10_000,
            max_fields: 10_000,
            heap_per_byte: 64,
            heap_allowance: 1 << 20,
        }
    }
}

impl<'a, 'b> Dec<'a, 'b> {
    /// How many of `n` elements (each at least `min_bytes_each` bytes on the wire) the rest
    /// of the current message can hold: what to pre-allocate (charged with
    /// [`Dec::charge`] first, as [`Dec::reserve`] does).
    #[inline]
    pub fn capacity(&self, n: usize, min_bytes_each: usize) -> usize {
        n.min(self.r.remaining() / min_bytes_each.max(1))
    }

    /// An empty vector with room for the `n` elements (each at least `min_bytes_each`
    /// bytes on the wire) that the rest of the message can hold, charged to the message's
    /// heap budget. Every element takes a byte or more ([`Dec::element`] checks), so the
    /// vector does not grow while the elements are read.
    #[inline]
    pub fn reserve<T>(&mut self, n: usize, min_bytes_each: usize) -> Result<Vec<T>> {
        let cap = self.capacity(n, min_bytes_each);
        self.charge(cap.saturating_mul(std::mem::size_of::<T>()))?;
        Ok(Vec::with_capacity(cap))
    }

    /// Charges `bytes` of heap to this message's budget ([`Limits::heap_per_byte`]): a
    /// [`Decode`] implementation that allocates in proportion to a count or length read
    /// from the peer calls this first. Past the budget the error is
    /// [`ErrorKind::MemoryBudget`]; the callers up the value add the path.
    #[inline]
    pub fn charge(&mut self, bytes: usize) -> Result<()> {
        match self.heap_left.checked_sub(bytes as u64) {
            Some(left) => {
                self.heap_left = left;
                Ok(())
            }
            None => Err(self.budget_error()),
        }
    }

    /// [`Dec::charge`]'s error, out of line so that the check inlines where heap is charged.
    #[cold]
    #[inline(never)]
    fn budget_error(&self) -> Error {
        Error::new(ErrorKind::MemoryBudget {
            budget: self.budget,
            message: self.message,
        })
        .at_offset(self.r.pos())
    }

    /// Adds a message of `size` bytes that the value continues in to its heap budget.
    pub(super) fn grow_budget(&mut self, size: u64) {
        let more = size.saturating_mul(self.limits.heap_per_byte);
        self.budget = self.budget.saturating_add(more);
        self.heap_left = self.heap_left.saturating_add(more);
        self.message = self.message.saturating_add(size);
    }

    /// A length-prefixed string or byte string, its heap (beyond `inline` bytes, which the
    /// destination stores without an allocation) charged to the budget.
    #[inline]
    pub(crate) fn owned_bytes(&mut self, inline: usize) -> Result<&'a [u8]> {
        let b = self.r.bytes()?;
        if b.len() > inline {
            self.charge(b.len())?;
        }
        Ok(b)
    }
}
