//! [`Dec`], the value reader handed to [`Decode`] implementations: primitives, structs,
//! interface headers and structural skipping.

use std::sync::Arc;

use crate::bootstrap::builtin_type;
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ids, WireId, WireKind, WireType};
use crate::value::ConcreteName;
use crate::wire::Reader;

use super::limits::Limits;
use super::names::{
    default_name_id, lookup, name_kind, DecodeFn, Header, Name, NameEntry, NameShape,
};
use super::table::{define, definition_id, type_id, Plan, TypeTable};
use super::Decode;

/// Go compiles a decoder for every struct definition a value reaches, typed or skipped, and
/// refuses one with a field of no name there.
pub(super) fn check_field_names(w: &WireType) -> Result<()> {
    if let WireType::Struct { common, fields } = w {
        if fields.iter().any(|f| f.name.is_empty()) {
            return Err(Error::corrupt(format!(
                "empty name for remote field of type {}",
                common.name
            )));
        }
    }
    Ok(())
}

/// The common interface header, read from the bytes left in the message: a name of 1 to
/// 127 bytes (one length byte), a type id of a value (not a definition: non-negative) in one
/// byte or in the two-byte form of ids up to 127 (`0xff`, then the zig-zag byte; read as
/// [`Reader::uint`] reads it), and a value
/// byte count under 128, all present. Gives the name's length, the type id and the bytes
/// used; `None` for anything else, which [`Dec::header`] reads the general way.
#[inline]
fn short_header(rest: &[u8]) -> Option<(usize, WireId, usize)> {
    let len = usize::from(*rest.first()?);
    if len == 0 || len >= 0x80 {
        return None;
    }
    let (id, width) = match *rest.get(1 + len)? {
        b if b < 0x80 => (b, 1),
        0xff => (*rest.get(2 + len)?, 2),
        _ => return None,
    };
    // Zig-zag: an odd value is negative (a type definition follows).
    if id & 1 != 0 {
        return None;
    }
    let count = *rest.get(1 + len + width)?;
    if count >= 0x80 {
        return None;
    }
    Some((len, WireId::from(id >> 1), 2 + len + width))
}

/// The value reader handed to [`Decode::decode`].
pub struct Dec<'a, 'b> {
    pub(super) r: &'b mut Reader<'a>,
    /// This message's heap budget ([`Limits::heap_per_byte`]), what is left of it, and the
    /// message's size.
    pub(super) budget: u64,
    pub(super) heap_left: u64,
    pub(super) message: u64,
    pub(super) types: &'b mut TypeTable,
    pub(super) limits: &'b Limits,
    pub(super) depth: usize,
    /// Set while the next struct decoded is a whole value (top level or interface payload),
    /// where Go checks that at least one field name matches.
    pub(super) top: bool,
    pub(super) added: &'b mut Vec<WireId>,
}

impl<'a, 'b> Dec<'a, 'b> {
    pub(super) fn top_value<T: Decode>(&mut self, id: WireId) -> Result<T> {
        // Go compiles the decoder for the whole destination type first (`compileDec`).
        self.whole_value(id, |d, id| {
            d.check_whole::<T>(id)?;
            T::decode(d, id)
        })
    }

    /// Decodes a whole value (top level or interface payload): struct fields directly, any
    /// other type after the singleton marker. For a definition that sets `StructT` beside
    /// other fields the form depends on the destination (Go's `decodeValue`: a local struct
    /// is decoded as a struct, anything else as a singleton), so the marker is read by
    /// [`Dec::wire_for`] once the destination's kind is known.
    fn whole_value<T>(
        &mut self,
        id: WireId,
        f: impl FnOnce(&mut Self, WireId) -> Result<T>,
    ) -> Result<T> {
        self.types.begin_value(id, self.limits.max_depth);
        if !self.types.is_struct(id) {
            if builtin_type(id).is_none() && self.types.get(id).is_none() {
                return Err(self.unknown_value_type(id, f));
            }
            self.singleton_marker()?;
        }
        self.top = true;
        let v = f(self, id);
        self.top = false;
        v
    }

    /// The error for a whole value of an undefined type `id`, as Go's decoder words it for
    /// the destination: it compiles the destination's decoder before reading anything, so
    /// a struct gets `unknown type id or corrupted data` (one of gob's reserved ids 9..=15:
    /// a type mismatch), `Decode(nil)` gets `bad data: undefined type …` and anything else a
    /// type mismatch naming the remote type. The destination's decoder `f` is asked (it fails
    /// on the id before it reads); only its type mismatch or undefined-type error is kept.
    #[cold]
    fn unknown_value_type<T>(
        &mut self,
        id: WireId,
        f: impl FnOnce(&mut Self, WireId) -> Result<T>,
    ) -> Error {
        let unknown = || Error::new(ErrorKind::UnknownTypeId(id));
        let reserved = (ids::INTERFACE + 1..16).contains(&id);
        self.top = true;
        let e = match f(self, id) {
            Ok(_) => return unknown(),
            Err(e) => e,
        };
        self.top = false;
        match e.kind() {
            ErrorKind::UndefinedType(_) if e.path().is_empty() => e,
            ErrorKind::TypeMismatch { want, .. }
                if e.path().is_empty() && (reserved || !want.starts_with("struct ")) =>
            {
                e
            }
            _ => unknown(),
        }
    }

    /// Reads an unsigned integer.
    #[inline]
    pub fn uint(&mut self) -> Result<u64> {
        self.r.uint()
    }
    /// Reads a signed integer.
    #[inline]
    pub fn int(&mut self) -> Result<i64> {
        self.r.int()
    }
    /// Reads a float.
    #[inline]
    pub fn float(&mut self) -> Result<f64> {
        self.r.float()
    }
    /// Reads a length-prefixed byte string (borrowed from the input).
    #[inline]
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        self.r.bytes()
    }

    /// An array's element count, which must be the definition's length `len` (Go's
    /// `decodeArray` / `ignoreArray`: "length mismatch").
    pub(crate) fn array_count(&mut self, len: i64) -> Result<usize> {
        let at = self.r.pos();
        let n = self.count(1)?;
        if n as i64 != len {
            return Err(Error::new(ErrorKind::ArrayLengthMismatch {
                want: usize::try_from(len).unwrap_or(usize::MAX),
                got: n as u64,
            })
            .at_offset(at));
        }
        Ok(n)
    }

    /// Reads the element count of a slice, array or map, rejecting counts that everything
    /// still to come could not hold.
    ///
    /// Elements may continue in later messages (after inline type definitions of interface
    /// elements), so the count is not bounded by the current message: pre-allocate at most
    /// [`Dec::capacity`] and call [`Dec::element`] before each element.
    #[inline]
    pub fn count(&mut self, min_bytes_each: usize) -> Result<usize> {
        self.r.value_count(min_bytes_each)
    }

    /// Reads the start of a slice of wire type `wire`: its element type and element count.
    /// Decode the `n` elements with [`Dec::each_element`], as `Vec<T>` does.
    pub fn slice_header(&mut self, wire: WireId) -> Result<(WireId, usize)> {
        let elem = self.wire_for_with(wire, WireKind::Slice, "slice", |w| match w {
            WireType::Slice { elem, .. } => Some(*elem),
            _ => None,
        })?;
        Ok((elem, self.count(1)?))
    }

    /// Checks, before element `i` of `n`, that the current message still has input (Go's
    /// "length exceeds input size" check; every element takes at least one byte).
    #[inline]
    pub fn element(&self, i: usize, n: usize) -> Result<()> {
        if self.r.remaining() == 0 {
            return Err(self.element_error(i, n));
        }
        Ok(())
    }

    /// [`Dec::element`]'s error, out of line so that the check inlines into element loops.
    #[cold]
    #[inline(never)]
    fn element_error(&self, i: usize, n: usize) -> Error {
        Error::new(ErrorKind::LengthExceedsInput {
            count: n as u64,
            remaining: 0,
        })
        .at_offset(self.r.pos())
        .in_path(format!("[{i}]"))
    }

    /// Decodes `n` elements in order with `f` (called with the element's index): checks
    /// before each that input is left ([`Dec::element`]), runs it one level deeper
    /// ([`Dec::nested`]) and puts `[i]` into the path of its error.
    #[inline]
    pub fn each_element(
        &mut self,
        n: usize,
        mut f: impl FnMut(&mut Self, usize) -> Result<()>,
    ) -> Result<()> {
        for i in 0..n {
            self.element(i, n)?;
            self.nested(|d| f(d, i))
                .map_err(|e| e.in_path(format!("[{i}]")))?;
        }
        Ok(())
    }

    /// The definition of a wire id: for one that sets several of Go's `wireType` fields, the
    /// field Go's type-free order takes (array, map, slice, struct, the marshalers). A
    /// decoder for a local type of a known kind asks [`Dec::wire_for`] instead.
    pub fn wire(&self, id: WireId) -> Result<Arc<WireType>> {
        self.types
            .get(id)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::UnknownTypeId(id)))
    }

    /// The field `kind` of wire id `id`'s definition, as Go's decoder takes it for a local
    /// type of that kind (`compatibleType`): the definition's marshaler fields must match
    /// the local type's external decoder exactly (none for a plain array, slice, map or
    /// struct; only `GobEncoderT` for a `GobDecoder`, and so on), then the field of `kind`
    /// must be set. Anything else is a [`ErrorKind::TypeMismatch`] naming `local` (the
    /// local type) and the wire type. Array lengths and element types are the caller's to
    /// check; whole struct values go through [`Dec::decode_struct`].
    ///
    /// Call it before reading the value: for a whole value whose definition also sets
    /// `StructT`, it reads the singleton marker that the destination's kind calls for.
    #[inline]
    pub fn wire_for(&mut self, id: WireId, kind: WireKind, local: &str) -> Result<Arc<WireType>> {
        if self.types.several.is_empty() {
            // Every definition sets one field (every stream Go wrote): the hot path.
            if let Some(w) = self.types.get(id).filter(|w| w.kind() == kind) {
                return Ok(w.clone());
            }
        }
        self.wire_for_slow(id, kind, local)
    }

    /// [`Dec::wire_for`], handing the definition's field to `f` instead of a shared handle
    /// to it: on a stream whose definitions each set one field (every stream Go wrote) the
    /// definition is borrowed, not reference-counted (an atomic increment and decrement per
    /// map, slice or time value, a measurable share of decoding small values). `f` gives
    /// `None` for a definition of `kind` it does not take (a caller's own check, reported as
    /// a mismatch for `local`).
    #[inline]
    pub(crate) fn wire_for_with<R>(
        &mut self,
        id: WireId,
        kind: WireKind,
        local: &str,
        f: impl FnOnce(&WireType) -> Option<R>,
    ) -> Result<R> {
        if self.types.several.is_empty() {
            if let Some(w) = self.types.get(id).filter(|w| w.kind() == kind) {
                return f(w).ok_or_else(|| self.mismatch(local, id));
            }
        }
        let w = self.wire_for_slow(id, kind, local)?;
        f(&w).ok_or_else(|| self.mismatch(local, id))
    }

    /// [`Dec::wire_for`] on a stream with definitions that set several fields, or for a
    /// definition that does not fit.
    #[cold]
    #[inline(never)]
    fn wire_for_slow(&mut self, id: WireId, kind: WireKind, local: &str) -> Result<Arc<WireType>> {
        let Some(w) = self.types.compatible(id, kind).cloned() else {
            return Err(self.mismatch(local, id));
        };
        if self.top && kind != WireKind::Struct && self.types.struct_among_several(id) {
            self.top = false;
            self.singleton_marker()?;
        }
        Ok(w)
    }

    /// Reads the singleton marker of a whole value that is not a struct (a zero delta).
    #[inline]
    pub(super) fn singleton_marker(&mut self) -> Result<()> {
        if self.r.uint()? != 0 {
            return Err(Error::new(ErrorKind::NonZeroSingletonDelta));
        }
        Ok(())
    }

    /// Describes a wire id for messages.
    pub fn describe(&self, id: WireId) -> String {
        self.types.describe(id)
    }

    /// A type-mismatch error for `want` against wire id `got`.
    pub fn mismatch(&self, want: &str, got: WireId) -> Error {
        Error::mismatch(want, self.describe(got))
    }

    /// Checks that `wire` is the builtin `want`.
    #[inline]
    pub fn expect(&self, want: WireId, got: WireId, local: &str) -> Result<()> {
        if want == got {
            Ok(())
        } else {
            Err(self.mismatch(local, got))
        }
    }

    /// Runs `f` one level deeper, failing past the depth limit.
    #[inline]
    pub fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            self.depth -= 1;
            return Err(Error::new(ErrorKind::DepthLimitExceeded(
                self.limits.max_depth,
            )));
        }
        let top = std::mem::replace(&mut self.top, false);
        let r = f(self);
        self.top = top;
        self.depth -= 1;
        r
    }

    /// Decodes a struct whose local fields are `local_fields` (Go names) into `f`, which is
    /// called with the local field index and the field's wire type; wire fields without a
    /// local counterpart are skipped.
    pub fn decode_struct(
        &mut self,
        wire: WireId,
        local_type: &str,
        local_fields: &'static [&'static str],
        mut f: impl FnMut(&mut Self, usize, WireId) -> Result<()>,
    ) -> Result<()> {
        let top = std::mem::replace(&mut self.top, false);
        // A whole struct value (Go's `compileDec`, reached without `compatibleType`) needs
        // `StructT` only, whatever else the definition sets; a nested one also needs no
        // marshaler field (`compatibleType` checked it first).
        if !top
            && self.types.several_of(wire).is_some()
            && self.types.compatible(wire, WireKind::Struct).is_none()
        {
            return Err(Error::mismatch(
                format!("struct {local_type}"),
                self.describe(wire),
            ));
        }
        let local = local_fields.as_ptr() as usize;
        let known = self
            .types
            .plans
            .get(wire)
            .and_then(|ps| ps.iter().position(|(l, _)| *l == local));
        let at = match known {
            Some(at) => at,
            None => self.new_plan(wire, local_type, local_fields)?,
        };
        // The plan stays in the table (no shared handle to it: an atomic increment and
        // decrement per struct value); each field's entry is looked up by its index.
        let plan = self.types.plan(wire, at);
        let nfields = plan.len();
        // Go's `decodeValue` looks the wire struct up among the definitions received on the
        // stream only: a value of one of gob's own bootstrap structs (`fieldType`, id 21)
        // matching no field decodes as the zero value.
        if top
            && wire >= ids::FIRST_USER
            && !local_fields.is_empty()
            && !plan.is_empty()
            && plan.iter().all(|(l, _)| l.is_none())
        {
            return Err(Error::new(ErrorKind::NoFieldsMatched(
                local_type.to_string(),
            )));
        }
        let mut field: i64 = -1;
        while let Some(i) = self.next_field(&mut field, nfields)? {
            // Plans only grow while a value is decoded: the entry is there.
            let Some(&(local, fid)) = self.types.plan(wire, at).get(i) else {
                return Err(Error::corrupt("internal: struct plan changed"));
            };
            match local {
                Some(li) => self
                    .nested(|d| f(d, li as usize, fid))
                    .map_err(|e| e.in_path(format!(".{}", local_fields[li as usize])))?,
                None => self.skip(fid)?,
            }
        }
        Ok(())
    }

    /// Makes the plan of a struct definition for a local struct type (its wire fields' local
    /// indices), once per stream and local type; returns its index among the definition's
    /// plans.
    #[cold]
    #[inline(never)]
    fn new_plan(
        &mut self,
        wire: WireId,
        local_type: &str,
        local_fields: &'static [&'static str],
    ) -> Result<usize> {
        let Some(w) = self.types.get_kind(wire, WireKind::Struct).cloned() else {
            return Err(Error::mismatch(
                format!("struct {local_type}"),
                self.describe(wire),
            ));
        };
        let WireType::Struct { fields, .. } = &*w else {
            return Err(Error::mismatch(
                format!("struct {local_type}"),
                self.describe(wire),
            ));
        };
        check_field_names(&w)?;
        let plan: Plan = fields
            .iter()
            .map(|wf| {
                (
                    local_fields
                        .iter()
                        .position(|n| *n == wf.name)
                        .map(|i| i as u16),
                    wf.id,
                )
            })
            .collect();
        // Go compiles the skipping of every field the local struct lacks before it decodes
        // (`decIgnoreOpFor`), whether the value holds it or not.
        for (local, fid) in plan.iter() {
            if local.is_none() {
                self.check_skippable(*fid)?;
            }
        }
        let entry = (local_fields.as_ptr() as usize, plan);
        match self.types.plans.get_mut(wire) {
            Some(ps) => {
                ps.push(entry);
                Ok(ps.len() - 1)
            }
            None => {
                self.types.plans.insert(wire, vec![entry]);
                Ok(0)
            }
        }
    }

    /// Reads the next field of a struct with `nfields` wire fields, `field` being the
    /// previous one (-1 at the start): `None` at the end of the struct, which is a zero delta
    /// or, as Go tolerates, the end of the message.
    #[inline]
    pub(super) fn next_field(&mut self, field: &mut i64, nfields: usize) -> Result<Option<usize>> {
        if self.r.remaining() == 0 {
            return Ok(None);
        }
        let delta = self.r.uint()?;
        if delta == 0 {
            return Ok(None);
        }
        *field = match i64::try_from(delta).ok().and_then(|d| field.checked_add(d)) {
            Some(f) if (f as u64) < nfields as u64 => f,
            _ => return Err(Error::new(ErrorKind::FieldNumberOutOfBounds)),
        };
        Ok(Some(*field as usize))
    }

    /// Reads the header of an interface value: `None` for nil, else the concrete type's name
    /// and wire id, after receiving any type definitions that come with it (possibly pulling
    /// further messages, as Go's decoder does).
    pub fn interface_header(&mut self) -> Result<Option<(String, WireId)>> {
        Ok(self
            .header()?
            .map(|(name, id)| (self.name_str(&name).to_string(), id)))
    }

    /// Decodes with `f`, refusing every interface value whose concrete type name `known`
    /// does not accept ([`ErrorKind::UnregisteredName`]) as soon as the name is read.
    ///
    /// This is Go's decoder in a process whose registry holds exactly those names: Go looks
    /// the name up before it reads the value's definitions and payload, which may follow in
    /// later messages, so a peer that never sends them still gets its answer. (Without this,
    /// an unregistered name decodes dynamically.) Skipped values are not checked, as Go's
    /// `ignoreInterface` does not check them either.
    pub fn with_known_names<T>(
        &mut self,
        known: fn(&str) -> bool,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let outer = self.types.known_names.replace(known);
        let out = f(self);
        self.types.known_names = outer;
        out
    }

    /// [`Dec::interface_header`] with the name interned for this stream and its registered
    /// decoder, if any.
    /// Inlined (its general path is not), so that the name and id reach the caller in
    /// registers: returned through memory, the caller's wide reload of the narrower stores
    /// that wrote them is not forwarded by the processor (a stall per interface value).
    #[inline(always)]
    pub(super) fn header(&mut self) -> Result<Option<Header>> {
        if let Some((len, id, used)) = short_header(self.r.message_rest()) {
            // What the general path below does for such a header, without its checks that
            // cannot fail here: a name of 1 to 127 bytes, then a type id of a value (no
            // definitions), then the value's byte count, all in this message.
            let rest = self.r.message_rest();
            let raw = rest.get(1..1 + len).unwrap_or_default();
            if let Some(known) = self.types.known_names {
                if !std::str::from_utf8(raw).is_ok_and(known) {
                    // The general path refuses it (see `Dec::with_known_names`).
                    return self.header_general();
                }
            }
            self.r.advance(used);
            self.types.name_message_end = Some(self.r.message_end());
            let name = self.intern(raw);
            self.types.begin_value(id, self.limits.max_depth);
            return Ok(Some((name, id)));
        }
        self.header_general()
    }

    /// [`Dec::header`] for any header: a nil interface, a long name or type id, type
    /// definitions before the value, a header that continues in the next message, and every
    /// error.
    #[inline(never)]
    fn header_general(&mut self) -> Result<Option<Header>> {
        let at = self.r.pos();
        let n = self.r.uint()?;
        if n == 0 {
            return Ok(None);
        }
        if n > 1024 {
            return Err(Error::new(ErrorKind::NameTooLong(n)).at_offset(at));
        }
        if n > self.r.remaining() as u64 {
            return Err(Error::new(ErrorKind::UnexpectedEof).at_offset(at));
        }
        let raw = self.r.take(n as usize)?;
        self.types.name_message_end = Some(self.r.message_end());
        if let Some(known) = self.types.known_names {
            if !std::str::from_utf8(raw).is_ok_and(known) {
                return Err(Error::new(ErrorKind::UnregisteredName(raw.to_vec())).at_offset(at));
            }
        }
        let name = self.intern(raw);
        loop {
            if self.r.remaining() == 0 {
                let at = self.r.pos();
                if !self.r.next_message()? {
                    return Err(Error::new(ErrorKind::UnexpectedEof));
                }
                // The value goes on in this message (after the definitions of an interface
                // value's type, which Go sends in the middle of it): its budget grows too.
                self.grow_budget((self.r.message_end() - at) as u64);
            }
            let id = type_id(self.r.int()?);
            if id >= 0 {
                // The byte count that follows is not a reliable delimiter (Go ignores it too).
                self.r.uint()?;
                // Before anything builds the payload's dynamic type (the default-name check).
                self.types.begin_value(id, self.limits.max_depth);
                return Ok(Some((name, id)));
            }
            let id = definition_id(id)?;
            define(self.types, self.limits, self.r, id, self.added)?;
            if self.r.remaining() > 0 {
                self.r.uint()?;
            }
        }
    }

    /// Interns an interface name for this stream with its registry lookup, in a small
    /// per-stream table (a stream uses few names; the table is dropped when the registry
    /// changes, and holds at most 64 names).
    ///
    /// Inlined: returned from a call, the name came back through memory in two stores that
    /// [`Dec::header`] read back as one 16-byte load, which the processor cannot forward
    /// from the stores (perf put most of the header's time on that load).
    #[inline(always)]
    pub(super) fn intern(&mut self, raw: &[u8]) -> Name {
        let (head, tail) = NameEntry::keys(raw);
        if let Some(i) = self.types.names.find(raw, head, tail) {
            return Name::in_slot(i);
        }
        self.intern_new(raw, head, tail)
    }

    /// [`Dec::intern`] for a name not in the table yet (once per name and stream).
    #[cold]
    #[inline(never)]
    fn intern_new(&mut self, raw: &[u8], head: u64, tail: u64) -> Name {
        let name = ConcreteName::from(String::from_utf8_lossy(raw).into_owned());
        let decode = lookup(&name);
        if self.types.names.is_full() {
            return Name::owned(name, decode);
        }
        let shape = name_kind(&name);
        let default_of = default_name_id(&name);
        let slot = self.types.names.push(NameEntry {
            len: raw.len(),
            head,
            tail,
            name,
            decode,
            default_for: None,
            shape,
            default_of,
        });
        Name::in_slot(slot)
    }

    fn name_entry(&self, slot: usize) -> Option<&NameEntry> {
        self.types.names.get(slot)
    }

    /// The text of an interned name.
    pub(super) fn name_str<'n>(&'n self, name: &'n Name) -> &'n str {
        match name.own() {
            Some((n, _)) => n,
            None => name
                .slot()
                .and_then(|i| self.name_entry(i))
                .map_or("", |e| &e.name),
        }
    }

    /// What an interned name tells of its Go type.
    pub(super) fn name_shape(&self, name: &Name) -> Option<NameShape> {
        match name.own() {
            Some((n, _)) => name_kind(n),
            None => name
                .slot()
                .and_then(|i| self.name_entry(i))
                .and_then(|e| e.shape),
        }
    }

    /// A shared handle to an interned name and its registered decoder, if any.
    pub(super) fn name_parts(&self, name: Name) -> (ConcreteName, Option<DecodeFn>) {
        match name.into_own() {
            Ok(parts) => parts,
            Err(i) => self.name_entry(i).map_or_else(
                || (ConcreteName::from(""), None),
                |e| (e.name.clone(), e.decode),
            ),
        }
    }

    /// Decodes an interface value's concrete payload with `f` (struct or singleton form).
    pub fn interface_payload<T>(
        &mut self,
        id: WireId,
        f: impl FnOnce(&mut Self, WireId) -> Result<T>,
    ) -> Result<T> {
        self.nested(|d| d.whole_value(id, f))
    }

    /// Skips a value of wire type `id` structurally (never trusting interface byte counts).
    pub fn skip(&mut self, id: WireId) -> Result<()> {
        // Go's `ignoreInterface` does not look names up (see `Dec::with_known_names`).
        let known = self.types.known_names.take();
        let out = self.nested(|d| d.skip_inner(id));
        self.types.known_names = known;
        out
    }

    /// Skips a whole value (Go's `decodeIgnoredValue`): a definition that sets `StructT` is
    /// skipped as that struct whatever else it sets (no singleton marker: see
    /// [`Dec::whole_value`]); any other as [`Dec::skip`] does.
    pub(super) fn skip_whole(&mut self, id: WireId) -> Result<()> {
        // Go compiles the whole skip before reading (`decodeIgnoredValue`).
        self.check_skippable(id)?;
        if !self.skip_struct_form(id)? {
            self.skip(id)?;
        }
        Ok(())
    }

    /// Skips a whole value of a definition that sets `StructT` beside other fields as that
    /// struct; false (nothing read) for any other.
    fn skip_struct_form(&mut self, id: WireId) -> Result<bool> {
        if !(self.top && self.types.struct_among_several(id)) {
            return Ok(false);
        }
        self.top = false;
        let Some(w) = self.types.get_kind(id, WireKind::Struct).cloned() else {
            return Ok(false);
        };
        check_field_names(&w)?;
        if let WireType::Struct { fields, .. } = &*w {
            self.skip_fields(fields)?;
        }
        Ok(true)
    }

    /// Skips the fields of a struct value whose wire fields are `fields`.
    fn skip_fields(&mut self, fields: &[crate::types::FieldType]) -> Result<()> {
        let mut field: i64 = -1;
        while let Some(i) = self.next_field(&mut field, fields.len())? {
            self.skip(fields[i].id)?;
        }
        Ok(())
    }

    /// Go's `decIgnoreOpFor`: a value of wire type `id` can be skipped only through the
    /// basic types, interfaces and the definitions received on the stream; gob's other
    /// bootstrap types (its own `wireType` structs, ids 9..=63) and undefined ids cannot
    /// ([`ErrorKind::UndefinedType`]), at any depth. The walk visits each definition once.
    fn check_skippable(&self, id: WireId) -> Result<()> {
        let mut seen: Vec<WireId> = Vec::new();
        let mut todo = vec![id];
        while let Some(id) = todo.pop() {
            if (ids::BOOL..=ids::INTERFACE).contains(&id) {
                continue;
            }
            if id < ids::FIRST_USER {
                return Err(Error::new(ErrorKind::UndefinedType(id)));
            }
            if seen.contains(&id) || seen.len() >= 1024 {
                continue;
            }
            seen.push(id);
            // What Go's skip takes for a definition that sets several fields (array, map,
            // slice, struct, then the marshalers); an undefined id fails when it is used.
            let Some(w) = self.types.get(id) else {
                if self.types.empty_defs.contains(&id) {
                    continue;
                }
                return Err(Error::new(ErrorKind::UndefinedType(id)));
            };
            match &**w {
                WireType::Array { elem, .. } | WireType::Slice { elem, .. } => todo.push(*elem),
                WireType::Map { key, elem, .. } => todo.extend([*key, *elem]),
                WireType::Struct { fields, .. } => todo.extend(fields.iter().map(|f| f.id)),
                _ => {}
            }
        }
        Ok(())
    }

    fn skip_inner(&mut self, id: WireId) -> Result<()> {
        match id {
            ids::BOOL | ids::INT | ids::UINT | ids::FLOAT => {
                self.r.uint()?;
            }
            ids::COMPLEX => {
                self.r.uint()?;
                self.r.uint()?;
            }
            ids::BYTES | ids::STRING => {
                self.r.bytes()?;
            }
            ids::INTERFACE => {
                if let Some((_, cid)) = self.header()? {
                    self.interface_payload(cid, |d, w| {
                        if d.skip_struct_form(w)? {
                            return Ok(());
                        }
                        d.skip_inner(w)
                    })?;
                }
            }
            _ => {
                if id < ids::FIRST_USER {
                    return Err(Error::new(ErrorKind::UndefinedType(id)));
                }
                let w = self.wire(id)?;
                check_field_names(&w)?;
                match &*w {
                    WireType::Struct { fields, .. } => self.skip_fields(fields)?,
                    WireType::Array { elem, len, .. } => {
                        // Go's ignoreArray checks the length too.
                        let n = self.array_count(*len)?;
                        for i in 0..n {
                            self.element(i, n)?;
                            self.skip(*elem)?;
                        }
                    }
                    WireType::Slice { elem, .. } => {
                        let n = self.count(1)?;
                        for i in 0..n {
                            self.element(i, n)?;
                            self.skip(*elem)?;
                        }
                    }
                    WireType::Map { key, elem, .. } => {
                        let n = self.count(2)?;
                        for i in 0..n {
                            self.element(i, n)?;
                            self.skip(*key)?;
                            self.skip(*elem)?;
                        }
                    }
                    WireType::GobEncoder(_)
                    | WireType::BinaryMarshaler(_)
                    | WireType::TextMarshaler(_) => {
                        self.r.bytes()?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::short_header;

    /// The short form takes exactly the headers whose every part is one byte (or the
    /// two-byte form of a type id up to 127) and present; everything else goes the general
    /// way (nil, long names or ids, definitions, truncation).
    #[test]
    fn short_header_takes_only_complete_one_byte_parts() {
        // "string" (6 bytes), id 6 (zig-zag 12), byte count 3.
        let h = [6, b's', b't', b'r', b'i', b'n', b'g', 12, 3, 0xaa];
        assert_eq!(short_header(&h), Some((6, 6, 9)));
        // Id 65 in its two-byte form (0xff, zig-zag 130).
        assert_eq!(short_header(&[1, b'T', 0xff, 130, 5]), Some((1, 65, 5)));
        for bad in [
            &[][..],                   // nothing
            &[0, 12, 3],               // nil interface
            &[0x80, 1],                // a name of 128 bytes or more
            &[1, b'T', 13, 3],         // negative id: a definition follows
            &[1, b'T', 0xff, 131, 3],  // the same in two bytes
            &[1, b'T', 0xfe, 1, 2, 3], // an id of two bytes
            &[1, b'T', 12, 0x80],      // a long byte count
            &[1, b'T', 12],            // no byte count
            &[1, b'T', 0xff],          // id cut short
            &[3, b'a', b'b'],          // name cut short
        ] {
            assert_eq!(short_header(bad), None, "{bad:?}");
        }
    }
}
