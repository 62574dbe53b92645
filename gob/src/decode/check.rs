//! Go's compile-time check of a typed destination against a wire type ([`Decode::check_wire`]):
//! the primitives the implementations of `check_wire` are written with.

use std::any::TypeId;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::types::{WireId, WireKind, WireType};

use super::dec::{check_field_names, Dec};
#[cfg(doc)]
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
        for wf in fields {
            if let Some(i) = local_fields.iter().position(|n| *n == wf.name) {
                // Go: "wrong type (T) for received field S.F".
                check(self, i, wf.id).map_err(|e| e.in_path(format!(".{}", wf.name)))?;
            }
        }
        Ok(())
    }
}
