//! Go's compile-time check of a typed destination against a wire type ([`Decode::check_wire`]):
//! the primitives the implementations of `check_wire` are written with.

use std::any::TypeId;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::types::{WireId, WireKind, WireType};

use super::dec::{check_field_names, Dec};
use super::Decode;

impl Dec<'_, '_> {
    /// Checks, without reading anything, that wire id `id` fits a local type of kind `kind`
    /// (Go's `compatibleType`, as [`Dec::wire_for`] applies it) and gives its definition.
    /// Array lengths and element types are the caller's to check.
    pub fn check_kind(&self, id: WireId, kind: WireKind, local: &str) -> Result<Arc<WireType>> {
        self.types
            .compatible(id, kind)
            .cloned()
            .ok_or_else(|| self.mismatch(local, id))
    }

    /// Go's `compileDec` for the local struct `T` (Go name `local_type`, field Go names
    /// `local_fields`) against wire id `wire`: the definition must be a struct whose fields
    /// all have names, and every wire field whose name matches local field `i` must pass
    /// `check(d, i, field's wire id)` (typically that field type's [`Decode::check_wire`]).
    /// Wire fields with no local counterpart are skipped when decoding and not checked.
    ///
    /// A pass is remembered for the stream (Go caches the compiled decoder per local type and
    /// wire id), which also ends the recursion of recursive types; a failure is not (Go
    /// drops a decoder that failed to compile).
    pub fn check_struct<T: 'static>(
        &mut self,
        wire: WireId,
        local_type: &str,
        local_fields: &[&str],
        check: impl Fn(&mut Self, usize, WireId) -> Result<()>,
    ) -> Result<()> {
        // compatibleType, for a struct field or element (a whole value's struct needs
        // `StructT` only): no marshaler field, then any struct will do.
        let c = &self.types.check;
        let whole = c.whole == Some((wire, c.seen.len()));
        if !whole && self.types.sets_marshaler(wire) {
            return Err(Error::mismatch(
                format!("struct {local_type}"),
                self.describe(wire),
            ));
        }
        if self.types.check.compat_only > 0 {
            return Ok(());
        }
        let key = (wire, TypeId::of::<T>());
        if !self.types.checked.insert(key) {
            return Ok(());
        }
        let out = self.check_struct_fields(wire, local_type, local_fields, check);
        if out.is_err() {
            self.types.checked.remove(&key);
        }
        out
    }

    fn check_struct_fields(
        &mut self,
        wire: WireId,
        local_type: &str,
        local_fields: &[&str],
        check: impl Fn(&mut Self, usize, WireId) -> Result<()>,
    ) -> Result<()> {
        let mismatch = |d: &Self| Error::mismatch(format!("struct {local_type}"), d.describe(wire));
        // Only `StructT` counts for a struct destination, whatever else the definition sets
        // (compileDec); a marshaler field beside it fails a nested one (compatibleType), which
        // decoding the field reports.
        let Some(w) = self.types.get_kind(wire, WireKind::Struct).cloned() else {
            return Err(mismatch(self));
        };
        let WireType::Struct { fields, .. } = &*w else {
            return Err(mismatch(self));
        };
        check_field_names(&w)?;
        // compileDec's `seen`: the local types met while compiling this struct's fields.
        self.types.check.seen.push(Vec::new());
        let out = fields.iter().try_for_each(|wf| {
            match local_fields.iter().position(|n| *n == wf.name) {
                // Go: "wrong type (T) for received field S.F".
                Some(i) => check(self, i, wf.id).map_err(|e| e.in_path(format!(".{}", wf.name))),
                None => Ok(()),
            }
        });
        self.types.check.seen.pop();
        out
    }

    /// Checks a whole value's destination `T` against wire id `id` (a top-level value, an
    /// interface payload): with its own set of local types met (Go's `compileSingle` and
    /// `compileDec` start one).
    pub(crate) fn check_whole<T: Decode>(&mut self, id: WireId) -> Result<()> {
        // A whole value may be an interface payload met while another is checked: start
        // afresh above the current state and put it back (without allocating once the
        // stack has grown).
        let c = &mut self.types.check;
        let depth = c.seen.len();
        let outer = (c.compat_only, c.base_next, c.whole);
        (c.compat_only, c.base_next, c.whole) = (0, false, Some((id, depth + 1)));
        c.seen.push(Vec::new());
        let out = T::check_wire(self, id);
        let c = &mut self.types.check;
        c.seen.truncate(depth);
        (c.compat_only, c.base_next, c.whole) = outer;
        out
    }

    /// The checks below a local composite type `L` (a struct, slice, array, map, or a Go
    /// pointer or named type around one), as Go's `decOpFor` makes them: in full the first
    /// time `L` is met while compiling the current struct's fields (or a whole value), and
    /// after that as compatibility checks only (`compatibleType`), because `decOpFor` then
    /// reuses the operation it built for `L` whatever the wire type (its in-progress map is
    /// keyed by the local type alone). So Go accepts a field whose struct type does not fit
    /// its wire type when the same local type came earlier in the struct and the value
    /// leaves the field out; [`Decode::check_wire`] of such a type calls `f` through here.
    ///
    /// A Go pointer or named type (`Option<T>`, `Box<T>`, a derived newtype) passes its inner
    /// type with [`Dec::check_base`]: Go records the pointer type and goes on with the base
    /// type's operation directly.
    pub fn check_composite<L: ?Sized>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let c = &mut self.types.check;
        if c.compat_only > 0 {
            return f(self);
        }
        let first = if std::mem::take(&mut c.base_next) {
            true
        } else {
            let name = std::any::type_name::<L>();
            match c.seen.last_mut() {
                Some(seen) if seen.contains(&name) => false,
                Some(seen) => {
                    seen.push(name);
                    true
                }
                None => true,
            }
        };
        if first {
            return f(self);
        }
        self.types.check.compat_only += 1;
        let out = f(self);
        self.types.check.compat_only -= 1;
        out
    }

    /// Checks `T`, the base of a Go pointer or named type, as part of that type (see
    /// [`Dec::check_composite`]).
    pub fn check_base<T: Decode>(&mut self, id: WireId) -> Result<()> {
        self.types.check.base_next = true;
        let out = T::check_wire(self, id);
        self.types.check.base_next = false;
        out
    }
}

/// The state of [`Decode::check_wire`] while it runs.
#[derive(Debug, Default)]
pub(super) struct CheckState {
    /// Per struct being compiled (innermost last): the local composite types met.
    seen: Vec<Vec<&'static str>>,
    /// Above zero below a local type met before: compatibility checks only.
    compat_only: u32,
    /// The next composite type is the base of a pointer or named type just recorded.
    base_next: bool,
    /// The wire id of the whole value being checked, and the depth of `seen` at its level
    /// (no struct entered yet).
    whole: Option<(WireId, usize)>,
}
