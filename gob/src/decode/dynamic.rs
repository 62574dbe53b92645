//! Dynamic decoding: wire definitions built into dynamic [`Type`]s and values decoded into
//! [`Value`] and [`Interface`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::dyntype::{go_type_string, DefKind, GroupDef, Type, TypeGroup, TypeRef};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ids, WireId, WireKind, WireType};
use crate::value::{Composite, ConcreteName, GoStr, Interface, Value};

use super::dec::{check_field_names, Dec};
use super::names::{name_kind, DecodeFn, Name, NameShape};
use super::Decode;

/// The longest string a [`GoStr`] holds without an allocation.
const GO_STR_INLINE: usize = std::mem::size_of::<GoStr>();

/// Tarjan's state while building dynamic types: each definition on the stack with its visit
/// order and the lowest visit order it reaches (a finished component leaves `seen`: its types
/// are in the stream's table then).
#[derive(Default)]
struct Scc {
    seen: HashMap<WireId, (usize, usize)>,
    stack: Vec<WireId>,
    next: usize,
}

impl<'a, 'b> Dec<'a, 'b> {
    /// The dynamic [`Type`] for a wire id (built once per stream).
    #[inline]
    pub fn dyn_type(&mut self, id: WireId) -> Result<Type> {
        if let Some(t) = self.types.known_type(id) {
            return Ok(t);
        }
        self.build_dyn_types(id)
    }

    /// The field of `id`'s definition that its dynamic type is built from (for a definition
    /// Go wrote, its only one; with several set, [`WireKinds::dynamic`](crate::types::WireKinds)).
    pub(super) fn dyn_wire(&self, id: WireId) -> Result<Arc<WireType>> {
        self.types
            .dynamic(id)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::UnknownTypeId(id)))
    }

    /// Builds the dynamic types of `id` and of every definition it reaches that has none yet:
    /// one [`TypeGroup`] per strongly connected component of the wire type graph (Tarjan's
    /// algorithm, which completes a component only after every component it refers to), so
    /// recursion stays inside a group and groups never refer to each other in a cycle.
    #[cold]
    #[inline(never)]
    fn build_dyn_types(&mut self, id: WireId) -> Result<Type> {
        let mut scc = Scc::default();
        self.scc_visit(id, &mut scc, 0)?;
        self.types
            .dyn_types
            .get(id)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::UnknownTypeId(id)))
    }

    fn scc_visit(&mut self, id: WireId, scc: &mut Scc, depth: usize) -> Result<()> {
        if depth > self.limits.max_depth {
            return Err(Error::new(ErrorKind::DepthLimitExceeded(
                self.limits.max_depth,
            )));
        }
        let w = self.dyn_wire(id)?;
        let order = scc.next;
        scc.next += 1;
        scc.seen.insert(id, (order, order));
        scc.stack.push(id);
        for child in self.types.dyn_children(id, &w) {
            if self.types.known_type(child).is_some() {
                continue;
            }
            let low = match scc.seen.get(&child) {
                // Still on the stack (finished components are in `dyn_types`): a cycle.
                Some(&(child_order, _)) => child_order,
                None => {
                    self.scc_visit(child, scc, depth + 1)?;
                    match scc.seen.get(&child) {
                        Some(&(_, child_low)) => child_low,
                        None => continue,
                    }
                }
            };
            if let Some(e) = scc.seen.get_mut(&id) {
                e.1 = e.1.min(low);
            }
        }
        if scc.seen.get(&id) != Some(&(order, order)) {
            return Ok(());
        }
        // `id` roots a component: everything above it on the stack.
        let at = scc.stack.iter().rposition(|m| *m == id).unwrap_or(0);
        let members = scc.stack.split_off(at);
        for m in &members {
            scc.seen.remove(m);
        }
        self.build_group(&members)
    }

    /// Makes the group of one strongly connected component; every definition outside it that
    /// it refers to already has its type.
    fn build_group(&mut self, members: &[WireId]) -> Result<()> {
        let local: HashMap<WireId, usize> =
            members.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        let mut defs = Vec::with_capacity(members.len());
        for &m in members {
            let w = self.dyn_wire(m)?;
            check_field_names(&w)?;
            let r = |c: WireId| -> Result<TypeRef> {
                if let Some(i) = local.get(&c) {
                    return Ok(TypeRef::Local(*i));
                }
                self.types
                    .known_type(c)
                    .map(TypeRef::Type)
                    .ok_or_else(|| Error::new(ErrorKind::UnknownTypeId(c)))
            };
            let kind = def_kind(&w, r)?;
            let marshaler = w.is_marshaler();
            let companions = match self.types.companions.get(&m) {
                Some(cs) => cs.iter().map(|c| r(*c)).collect::<Result<_>>()?,
                None => Vec::new(),
            };
            defs.push(GroupDef {
                name: w.common().name.clone(),
                kind,
                pointer_id: marshaler && w.common().id != m,
                companions,
                skip_ids: self.types.skips.get(&m).copied().unwrap_or(0),
            });
        }
        let types = TypeGroup::build(defs)?;
        for (m, t) in members.iter().zip(types) {
            self.types.dyn_types.insert(*m, t);
        }
        Ok(())
    }

    /// Decodes any value dynamically.
    ///
    /// Composite values are decoded by small separate functions so that each nesting level
    /// costs only the frames of the kind being decoded (this keeps the default depth limit
    /// within a 2 MiB stack even in unoptimised builds).
    ///
    /// A value of type `interface{}` (an interface value at top level, or the payload of one
    /// whose concrete type is itself an interface) comes back as [`Value::Interface`].
    pub fn value(&mut self, id: WireId) -> Result<Value> {
        if id == ids::INTERFACE {
            self.charge(std::mem::size_of::<Interface>())?;
            return Ok(Value::Interface(Box::new(self.dyn_interface()?)));
        }
        self.position_value(id)
    }

    /// [`Dec::value`] for an element, key or field of a dynamic value, where an interface
    /// value takes the form described at [`Value`] (bare under its default name).
    fn position_value(&mut self, id: WireId) -> Result<Value> {
        match id {
            ids::BOOL..=ids::COMPLEX => self.scalar_value(id),
            ids::INTERFACE => self.interface_value(),
            _ => self.composite_value(id),
        }
    }

    /// A value of a builtin wire id other than `interface{}` (`BOOL..=COMPLEX`). Inlined
    /// where an interface value's payload is read, so the value is built in place: returned
    /// through memory, its caller's wide reload of the narrower stores that wrote it is not
    /// forwarded by the processor.
    #[inline(always)]
    fn scalar_value(&mut self, id: WireId) -> Result<Value> {
        Ok(match id {
            ids::BOOL => Value::Bool(self.r.uint()? != 0),
            ids::INT => Value::Int(self.r.int()?),
            ids::UINT => Value::Uint(self.r.uint()?),
            ids::FLOAT => Value::Float(self.r.float()?),
            ids::COMPLEX => Value::Complex(self.r.float()?, self.r.float()?),
            ids::BYTES => Value::Bytes(self.owned_bytes(0)?.into()),
            ids::STRING => {
                let b = self.owned_bytes(GO_STR_INLINE)?;
                match crate::wire::utf8(b) {
                    Ok(s) => Value::String(GoStr::from(s)),
                    Err(_) => Value::RawString(b.into()),
                }
            }
            _ => return Err(Error::corrupt(format!("internal: {id} is not a scalar id"))),
        })
    }

    /// A value of a definition that sets several of Go's `wireType` fields is decoded as one
    /// that some Go destination decodes it as: a whole value (top level or interface
    /// payload) whose definition sets `StructT` as that struct (Go's `Decode(nil)` and every
    /// local struct do: `compileDec` looks at `StructT` alone), any other as
    /// [`WireKinds::dynamic`](crate::types::WireKinds) says; one with several marshaler
    /// fields is refused there (no Go destination has two external decoders).
    #[inline(never)]
    fn composite_value(&mut self, id: WireId) -> Result<Value> {
        if self.types.several_of(id).is_some() {
            return self.several_value(id);
        }
        // A slice, array or map needs only its element (and key) ids: read them from the
        // borrowed definition instead of taking a shared handle (an atomic increment and
        // decrement per value).
        let shape = match self.types.get(id).map(|w| &**w) {
            None => return Err(Error::new(ErrorKind::UnknownTypeId(id))),
            Some(WireType::Slice { elem, .. }) => Some((None, *elem, None)),
            Some(WireType::Array { elem, len, .. }) => Some((None, *elem, Some(*len))),
            Some(WireType::Map { key, elem, .. }) => Some((Some(*key), *elem, None)),
            Some(_) => None,
        };
        let ty = self.dyn_type(id)?;
        match shape {
            Some((None, elem, None)) => self.slice_value(ty, elem),
            Some((None, elem, Some(len))) => self.array_value(ty, elem, len),
            Some((Some(key), elem, _)) => self.map_entries(ty, key, elem),
            None => {
                let w = self.dyn_wire(id)?;
                self.composite_with(&w, ty)
            }
        }
    }

    /// [`Dec::composite_value`] for a definition that sets several fields.
    #[cold]
    #[inline(never)]
    fn several_value(&mut self, id: WireId) -> Result<Value> {
        let view = match self.types.get_kind(id, WireKind::Struct) {
            Some(s) if self.top => s.clone(),
            _ if self.types.several_marshalers(id) => {
                return Err(self.mismatch("a type with at most one marshaler field", id))
            }
            _ => self.dyn_wire(id)?,
        };
        self.view_value(id, &view)
    }

    /// A value of `id` decoded as its definition's field `view`: through the stream's
    /// dynamic type of `id` when that is built from `view`, else through a type of its own.
    fn view_value(&mut self, id: WireId, view: &Arc<WireType>) -> Result<Value> {
        let ty = match self.types.dynamic(id) {
            Some(dw) if Arc::ptr_eq(dw, view) => self.dyn_type(id)?,
            _ => self.view_type(view)?,
        };
        self.composite_with(view, ty)
    }

    /// Decodes a composite value of definition `w` (one field of a wire definition) whose
    /// dynamic type is `ty`.
    fn composite_with(&mut self, w: &WireType, ty: Type) -> Result<Value> {
        match w {
            WireType::Struct { fields, .. } => {
                self.charge(std::mem::size_of::<Composite<(usize, Value)>>())?;
                self.struct_value(ty, fields)
            }
            WireType::Slice { elem, .. } => self.slice_value(ty, *elem),
            WireType::Array { elem, len, .. } => self.array_value(ty, *elem, *len),
            WireType::Map { key, elem, .. } => self.map_entries(ty, *key, *elem),
            WireType::GobEncoder(_) | WireType::BinaryMarshaler(_) | WireType::TextMarshaler(_) => {
                self.charge(std::mem::size_of::<Composite<u8>>())?;
                Ok(Value::new_marshaled(ty, self.owned_bytes(0)?.to_vec()))
            }
        }
    }

    fn slice_value(&mut self, ty: Type, elem: WireId) -> Result<Value> {
        self.charge(std::mem::size_of::<Composite<Value>>())?;
        let items = self.elements(elem)?;
        Ok(Value::new_slice(ty, items))
    }

    fn array_value(&mut self, ty: Type, elem: WireId, len: i64) -> Result<Value> {
        let n = self.array_count(len)?;
        self.charge(std::mem::size_of::<Composite<Value>>())?;
        let items = self.elements_n(elem, n)?;
        Ok(Value::new_array(ty, items))
    }

    fn map_entries(&mut self, ty: Type, key: WireId, elem: WireId) -> Result<Value> {
        self.charge(std::mem::size_of::<Composite<(Value, Value)>>())?;
        self.map_value(ty, key, elem)
    }

    #[inline(never)]
    fn struct_value(&mut self, ty: Type, fields: &[crate::types::FieldType]) -> Result<Value> {
        self.top = false;
        let mut out = Vec::new();
        let mut field: i64 = -1;
        while let Some(i) = self.next_field(&mut field, fields.len())? {
            let fd = &fields[i];
            // Each present field takes a delta and a value: two wire bytes or more.
            self.charge(std::mem::size_of::<(usize, Value)>())?;
            let v = self
                .nested(|d| d.position_value(fd.id))
                .map_err(|e| e.in_path(format!(".{}", fd.name)))?;
            out.push((i, v));
        }
        Ok(Value::new_struct(ty, out))
    }

    /// A slice's count and elements.
    #[inline(never)]
    fn elements(&mut self, elem: WireId) -> Result<Vec<Value>> {
        let n = self.count(1)?;
        self.elements_n(elem, n)
    }

    #[inline(never)]
    fn elements_n(&mut self, elem: WireId, n: usize) -> Result<Vec<Value>> {
        let mut out = self.reserve(n, 1)?;
        self.each_element(n, |d, _| {
            out.push(d.position_value(elem)?);
            Ok(())
        })?;
        Ok(out)
    }

    #[inline(never)]
    fn map_value(&mut self, ty: Type, key: WireId, elem: WireId) -> Result<Value> {
        // A struct takes no bytes at the end of a message (Go's decoder ends it there), so an
        // entry needs a byte for each side that is not a struct.
        let (key_struct, elem_struct) = (self.types.is_struct(key), self.types.is_struct(elem));
        let min = usize::from(!key_struct) + usize::from(!elem_struct);
        let n = self.r.map_count(min)?;
        let mut out = self.reserve(n, min.max(1))?;
        for i in 0..n {
            if self.r.remaining() == 0 && key_struct && elem_struct {
                // Go reads every entry left as the zero key and element, and its map keeps one
                // of them: so does this one (a count the input cannot hold costs no memory).
                let k = self.nested(|d| d.position_value(key))?;
                let v = self.nested(|d| d.position_value(elem))?;
                out.push((k, v));
                break;
            }
            self.element(i, n)?;
            let k = self.nested(|d| d.position_value(key))?;
            let v = self
                .nested(|d| d.position_value(elem))
                .map_err(|e| e.in_path(format!("[{k:?}]")))?;
            out.push((k, v));
        }
        Ok(Value::new_map(ty, out))
    }

    /// An interface value in a dynamic `interface{}` position: bare when its name is Go's
    /// default name for its value, boxed otherwise (the form described at [`Value`]).
    #[inline(never)]
    fn interface_value(&mut self) -> Result<Value> {
        let Some((name, id)) = self.header()? else {
            return Ok(Value::Nil);
        };
        if self.is_default_name(&name, id) {
            if (ids::BOOL..=ids::COMPLEX).contains(&id) {
                return self
                    .builtin_payload(id)
                    .map_err(|e| e.in_path(format!("({})", self.name_str(&name))));
            }
            let shape = self.name_shape(&name);
            return self
                .named_payload(shape, id)
                .map_err(|e| e.in_path(format!("({})", self.name_str(&name))));
        }
        self.charge(std::mem::size_of::<Interface>())?;
        let slot = name.slot();
        let (name, _) = self.name_parts(name);
        self.typed_payload(name, None, slot, id)
            .map(|i| Value::Interface(Box::new(i)))
    }

    /// The payload of an interface value named `name` (not registered here) of wire type
    /// `id`, decoded as Go decodes it into the Go type registered under that name
    /// (`decodeInterface` → `decodeValue`): for a name that spells a map, slice, array or
    /// `time.Time`, Go's `compatibleType` for that kind decides which field of the
    /// definition counts and whether it is accepted ([`Dec::wire_for`]); any other name
    /// (a named Go type, whose kind the name does not tell) is decoded by the dynamic rule
    /// ([`Dec::value`]).
    ///
    /// `shape` is [`name_kind`] of the name: where it knows the key and element types (Go's
    /// builtins), they are checked as Go's `compatibleType` checks them, as is an array's
    /// length.
    fn named_payload(&mut self, shape: Option<NameShape>, id: WireId) -> Result<Value> {
        let Some(shape) = shape else {
            return self.interface_payload(id, |d, w| d.value(w));
        };
        self.interface_payload(id, |d, w| {
            let local = kind_label(shape.kind);
            // A definition that sets several fields gives the one Go takes (and reads a
            // singleton marker it calls for); any other is looked at in place.
            let view = match d.types.several_of(w) {
                Some(_) => Some(d.wire_for(w, shape.kind, local)?),
                None => None,
            };
            let wire = match &view {
                Some(v) => Some(&**v),
                None => d.types.get(w).map(|v| &**v).filter(|v| v.kind() == shape.kind),
            };
            let (key, elem, len) = match wire {
                Some(WireType::Array { elem, len, .. }) => (None, Some(*elem), Some(*len)),
                Some(WireType::Slice { elem, .. }) => (None, Some(*elem), None),
                Some(WireType::Map { key, elem, .. }) => (Some(*key), Some(*elem), None),
                Some(_) => (None, None, None),
                None => return Err(d.mismatch(local, w)),
            };
            let differs = |want: Option<WireId>, have: Option<WireId>| {
                matches!((want, have), (Some(w), Some(h)) if w != h)
            };
            if differs(shape.len(), len) || differs(shape.key(), key) || differs(shape.elem(), elem)
            {
                return Err(d.mismatch(local, w));
            }
            match view {
                Some(v) => d.view_value(w, &v),
                // The definition's only field: the stream's dynamic type of it.
                None => d.value(w),
            }
        })
    }

    /// The dynamic type of one field of a definition that sets several (a one-off: such
    /// definitions come from no Go encoder); the types it refers to are the usual ones.
    #[cold]
    fn view_type(&mut self, view: &WireType) -> Result<Type> {
        check_field_names(view)?;
        let kind = def_kind(view, |c| Ok(TypeRef::Type(self.dyn_type(c)?)))?;
        TypeGroup::build(vec![GroupDef::new(view.common().name.clone(), kind)])?
            .pop()
            .ok_or_else(|| Error::corrupt("internal: empty type group"))
    }

    /// The payload of an interface value of a builtin type other than `interface{}` (most
    /// values of JSON-shaped data): what [`Dec::interface_payload`] reads for it (the
    /// singleton marker, then the value, one level deeper), without its generic steps.
    ///
    /// `id` is in `BOOL..=COMPLEX` (every caller checks).
    #[inline(always)]
    fn builtin_payload(&mut self, id: WireId) -> Result<Value> {
        self.types.begin_value(id, self.limits.max_depth);
        if self.depth >= self.limits.max_depth {
            return Err(Error::new(ErrorKind::DepthLimitExceeded(
                self.limits.max_depth,
            )));
        }
        if self.r.uint()? != 0 {
            return Err(Error::new(ErrorKind::NonZeroSingletonDelta));
        }
        self.scalar_value(id)
    }

    /// Whether `name` is Go's default interface name ([`Value::default_go_name`]) for the
    /// values of wire type `id`; false for ids that are not (yet) valid, whose payload then
    /// fails as usual.
    fn is_default_name(&mut self, name: &Name, id: WireId) -> bool {
        let Some(slot) = name.slot() else {
            return self.check_default_name(name, id);
        };
        match self.types.names.get(slot).and_then(|e| e.default_for) {
            Some((last, yes)) if last == id => yes,
            _ => {
                let yes = self.check_default_name(name, id);
                if let Some(e) = self.types.names.get_mut(slot) {
                    e.default_for = Some((id, yes));
                }
                yes
            }
        }
    }

    /// [`Dec::is_default_name`] without the per-name cache.
    fn check_default_name(&mut self, name: &Name, id: WireId) -> bool {
        if id == ids::INTERFACE {
            // Never a concrete type; keep such a payload boxed, whatever it is called.
            return false;
        }
        match self.dyn_type(id) {
            // The same rule as `Value::default_go_name`.
            Ok(t) => *go_type_string(&t, 4) == *self.name_str(name),
            Err(_) => false,
        }
    }

    /// Decodes an interface value dynamically (registered typed names are ignored here).
    pub fn dyn_interface(&mut self) -> Result<Interface> {
        match self.header()? {
            None => Ok(Interface::nil()),
            Some((name, id)) => {
                let slot = name.slot();
                let (name, _) = self.name_parts(name);
                self.typed_payload(name, None, slot, id)
            }
        }
    }

    /// Decodes the payload of an interface value whose header was read with
    /// [`Dec::interface_header`]: a registered name as its Rust type, any other dynamically
    /// (what decoding the whole value as [`Interface`] gives).
    pub fn interface_after_header(&mut self, name: &str, id: WireId) -> Result<Interface> {
        let name = self.intern(name.as_bytes());
        let slot = name.slot();
        let (name, registered) = self.name_parts(name);
        self.typed_payload(name, registered, slot, id)
    }

    /// Decodes an interface value, materialising registered names as their Rust types.
    pub fn typed_interface(&mut self) -> Result<Interface> {
        let Some((name, id)) = self.header()? else {
            return Ok(Interface::nil());
        };
        let Some(slot) = name.slot() else {
            let (name, registered) = self.name_parts(name);
            return self.typed_payload(name, registered, None, id);
        };
        let entry = self.types.names.get(slot);
        if entry.is_some_and(|e| e.decode.is_none() && e.default_of == Some(id)) {
            // A builtin value under its default name (`string`, `float64`, `bool`: most
            // interface values of JSON-shaped data): what `typed_payload` does for it, the
            // value keeping no handle to the name.
            return match self.builtin_payload(id) {
                Ok(v) => Ok(Interface::builtin(v)),
                Err(e) => {
                    let name = self.types.names.get(slot).map_or("", |e| &e.name);
                    Err(e.in_path(format!("({name})")))
                }
            };
        }
        if let Some(f) = entry.and_then(|e| e.decode) {
            // A registered type keeps its own name: no handle to the stream's copy (an
            // atomic increment and decrement per value).
            return self
                .interface_payload(id, |d, w| f(d, w))
                .map(Interface::from_box)
                .map_err(|e| {
                    let name = self.types.names.get(slot).map_or("", |e| &e.name);
                    e.in_path(format!("({name})"))
                });
        }
        let (name, registered) = self.name_parts(name);
        self.typed_payload(name, registered, Some(slot), id)
    }

    /// What the name of an interface value tells of its Go type: from the stream's name table
    /// (`slot`, worked out once per stream) or from the name itself.
    fn shape_of(&self, name: &str, slot: Option<usize>) -> Option<NameShape> {
        match slot.and_then(|i| self.types.names.get(i)) {
            Some(e) => e.shape,
            None => name_kind(name),
        }
    }

    /// The payload of an interface value named `name` (interned at `slot`, when it is) of
    /// wire type `id`: through the registered decoder when there is one, else dynamically.
    fn typed_payload(
        &mut self,
        name: ConcreteName,
        registered: Option<DecodeFn>,
        slot: Option<usize>,
        id: WireId,
    ) -> Result<Interface> {
        if registered.is_none() && (ids::BOOL..=ids::COMPLEX).contains(&id) {
            // Only a name that starts like a pointer, map, slice, array or time.Time spells
            // one (most names here are builtins': "string", "float64", ...).
            let composite = matches!(name.as_bytes().first(), Some(b'*' | b'm' | b'[' | b't'));
            if let Some(shape) = composite
                .then(|| self.shape_of(&name, slot))
                .flatten()
                .filter(|s| {
                    // A slice of a named type may be a slice of bytes (`[]main.MyByte`).
                    !(s.kind == WireKind::Slice && s.elem().is_none() && id == ids::BYTES)
                })
            {
                // Go's compatibleType: a map, slice, array or GobDecoder never takes a
                // builtin wire type other than a byte slice's.
                return Err(self
                    .mismatch(kind_label(shape.kind), id)
                    .in_path(format!("({name})")));
            }
            return match self.builtin_payload(id) {
                Ok(v) => Ok(Interface::new(name, v)),
                Err(e) => Err(e.in_path(format!("({name})"))),
            };
        }
        let decoded = match registered {
            Some(f) => self.interface_payload(id, |d, w| f(d, w)),
            None => match self.named_payload(self.shape_of(&name, slot), id) {
                // The name moves into the value: no second reference count per interface.
                Ok(v) => return Ok(Interface::new(name, v)),
                Err(e) => Err(e),
            },
        };
        decoded
            .map(Interface::from_box)
            .map_err(|e| e.in_path(format!("({name})")))
    }
}

/// What a local type of `kind` is called in a mismatch error.
/// The shape of a wire definition as a dynamic type's definition, its references made by `r`
/// (a type of the group being built, or one known already).
fn def_kind(
    w: &WireType,
    mut r: impl FnMut(WireId) -> Result<TypeRef>,
) -> Result<DefKind<TypeRef>> {
    Ok(match w {
        WireType::Struct { fields, .. } => DefKind::Struct(
            fields
                .iter()
                .map(|f| Ok((f.name.clone(), r(f.id)?)))
                .collect::<Result<_>>()?,
        ),
        WireType::Slice { elem, .. } => DefKind::Slice(r(*elem)?),
        WireType::Array { elem, len, .. } => {
            let len = u64::try_from(*len)
                .map_err(|_| Error::corrupt(format!("negative array length {len}")))?;
            DefKind::Array(len, r(*elem)?)
        }
        WireType::Map { key, elem, .. } => DefKind::Map(r(*key)?, r(*elem)?),
        WireType::GobEncoder(_) => DefKind::GobEncoder,
        WireType::BinaryMarshaler(_) => DefKind::BinaryMarshaler,
        WireType::TextMarshaler(_) => DefKind::TextMarshaler,
    })
}

fn kind_label(kind: WireKind) -> &'static str {
    match kind {
        WireKind::Array => "array",
        WireKind::Slice => "slice",
        WireKind::Struct => "struct",
        WireKind::Map => "map",
        WireKind::GobEncoder => "time.Time (GobEncoder)",
        WireKind::BinaryMarshaler => "BinaryUnmarshaler",
        WireKind::TextMarshaler => "TextUnmarshaler",
    }
}

impl Decode for Value {
    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> Result<Self> {
        d.value(wire)
    }
}

impl Decode for Interface {
    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> Result<Self> {
        if wire != ids::INTERFACE {
            return Err(Error::mismatch("interface {}", d.describe(wire)));
        }
        d.typed_interface()
    }
    fn check_wire(d: &mut Dec<'_, '_>, wire: WireId) -> Result<()> {
        if wire != ids::INTERFACE {
            return Err(Error::mismatch("interface {}", d.describe(wire)));
        }
        Ok(())
    }
}
