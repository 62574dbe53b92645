//! The per-stream table of received type definitions ([`TypeTable`]) and what is inferred
//! from the order Go sent them in (unsent ids, marshaler companions).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::bootstrap::{bootstrap_dyn_type, bootstrap_type, builtin_type};
use crate::dyntype::Type;
use crate::error::{Error, ErrorKind, Result};
use crate::types::{builtin_name, ids, WireId, WireKind, WireKinds, WireType, MARSHALER_BITS};
use crate::wire::Reader;

use super::limits::Limits;
use super::names::{generation, NameTable};

pub(super) type Plan = Box<[(Option<u16>, WireId)]>;
/// Ids Go allocates in sequence from 64: those below `64 + DIRECT` live in a vector (no
/// hashing on the hot path); any other id a peer may choose goes to a `HashMap`.
const DIRECT: usize = 1 << 14;

/// A map from wire ids to `V`, direct-indexed for the ids Go actually uses.
pub(super) struct IdMap<V> {
    direct: Vec<Option<V>>,
    other: HashMap<WireId, V>,
    pub(super) len: usize,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            direct: Vec::new(),
            other: HashMap::new(),
            len: 0,
        }
    }
}

impl<V> IdMap<V> {
    #[inline]
    fn slot(id: WireId) -> Option<usize> {
        let i = usize::try_from(id.checked_sub(ids::FIRST_USER)?).ok()?;
        (i < DIRECT).then_some(i)
    }

    #[inline]
    pub(super) fn get(&self, id: WireId) -> Option<&V> {
        match Self::slot(id) {
            Some(i) => self.direct.get(i).and_then(|v| v.as_ref()),
            None => self.other.get(&id),
        }
    }

    pub(super) fn insert(&mut self, id: WireId, v: V) {
        let old = match Self::slot(id) {
            Some(i) => {
                if self.direct.len() <= i {
                    self.direct.resize_with(i + 1, || None);
                }
                self.direct[i].replace(v)
            }
            None => self.other.insert(id, v),
        };
        if old.is_none() {
            self.len += 1;
        }
    }

    #[inline]
    pub(super) fn get_mut(&mut self, id: WireId) -> Option<&mut V> {
        match Self::slot(id) {
            Some(i) => self.direct.get_mut(i).and_then(|v| v.as_mut()),
            None => self.other.get_mut(&id),
        }
    }

    pub(super) fn remove(&mut self, id: WireId) {
        let old = match Self::slot(id) {
            Some(i) => self.direct.get_mut(i).and_then(|v| v.take()),
            None => self.other.remove(&id),
        };
        if old.is_some() {
            self.len -= 1;
        }
    }
}

/// The type definitions received on one stream.
#[derive(Default)]
pub struct TypeTable {
    /// Each definition's field in Go's type-free order ([`WireKinds::first`]): for a
    /// definition Go wrote, its only one.
    pub(super) defs: IdMap<Arc<WireType>>,
    /// Every field of the definitions that set more than one (Go's encoder never writes
    /// them; a peer may, and Go's decoder keeps them all): empty for a stream Go wrote, so
    /// the rules below cost a length check there.
    pub(super) several: HashMap<WireId, WireKinds>,
    /// Ids defined with no `wireType` field set: Go accepts such a definition and fails only
    /// on a value that uses it (here: as an unknown type id).
    pub(super) empty_defs: HashSet<WireId>,
    /// Ids defined since the last value (or interface payload) began, in the order received:
    /// the definitions Go sent for it, read by [`TypeTable::infer_companions`].
    pub(super) pending: Vec<WireId>,
    /// Marshaler definitions and the definitions Go sent after them that no value refers to
    /// (see `GroupDef::companions`).
    pub(super) companions: HashMap<WireId, Vec<WireId>>,
    /// One more than the highest id Go is known to have allocated (defined ids and the
    /// pointer ids inside marshaler definitions); 0 before the first definition.
    pub(super) next_alloc: WireId,
    /// Definitions preceded by ids Go allocated and never sent (see `GroupDef::skip_ids`).
    pub(super) skips: HashMap<WireId, u32>,
    /// The ids in `skips`, added up (at most [`MAX_SKIPPED_IDS`]).
    pub(super) skipped: u32,
    pub(super) dyn_types: IdMap<Type>,
    /// Each struct definition's field plans, one per local struct type decoded from it (keyed
    /// by the address of the local type's field names): a vector slot per id Go allocates, no
    /// hashing per struct value.
    pub(super) plans: IdMap<Vec<(usize, Plan)>>,
    /// The local types [`Dec::check_struct`] passed against a wire struct on this stream.
    pub(super) checked: HashSet<(WireId, std::any::TypeId)>,
    /// `Decode::check_wire`'s state while it runs.
    pub(super) check: super::check::CheckState,
    /// Registry lookups of interface names seen on this stream (valid for `names_gen`; only
    /// appended to while a value is decoded, so a name's slot stays valid).
    pub(super) names: NameTable,
    names_gen: u64,
    /// End of the message the last interface name of the current value was read in (its
    /// definitions and value may follow in later messages): where Go's decoder, which fails
    /// on an unregistered name right after reading it, resumes.
    pub(super) name_message_end: Option<usize>,
    /// The interface names a value may carry, while [`Dec::with_known_names`] runs: any
    /// other fails at the name.
    pub(super) known_names: Option<fn(&str) -> bool>,
}

impl TypeTable {
    /// Drops the interned names when the registry has changed since they were looked up
    /// (called before each value, never during one).
    pub(super) fn refresh_names(&mut self) {
        let generation = generation();
        if self.names_gen != generation {
            self.names.clear();
            self.names_gen = generation;
        }
    }

    /// The definition of `id`: received on the stream, or one of Go's own bootstrap types.
    /// For a definition that sets several of Go's `wireType` fields, the one Go's type-free
    /// order takes (array, map, slice, struct, the marshalers); [`TypeTable::get_kind`]
    /// gives any other.
    #[inline]
    pub fn get(&self, id: WireId) -> Option<&Arc<WireType>> {
        if id < ids::FIRST_USER {
            return bootstrap_type(id);
        }
        self.defs.get(id)
    }

    /// The field `kind` of the definition of `id`, when it sets that field.
    #[inline]
    pub fn get_kind(&self, id: WireId, kind: WireKind) -> Option<&Arc<WireType>> {
        if self.several.is_empty() {
            return self.get(id).filter(|w| w.kind() == kind);
        }
        match self.several.get(&id) {
            Some(k) => k.get(kind),
            None => self.get(id).filter(|w| w.kind() == kind),
        }
    }

    /// Every field of `id`'s definition, when it sets several.
    #[inline]
    pub(super) fn several_of(&self, id: WireId) -> Option<&WireKinds> {
        if self.several.is_empty() {
            return None;
        }
        self.several.get(&id)
    }

    /// Go's `compatibleType` for a local type of kind `kind` (an external decoder for the
    /// marshaler kinds, else a plain array, slice, map or struct) against the definition of
    /// `id`: the marshaler fields must match the local type's external decoder exactly
    /// (`GobEncoderT != nil` iff it is a `GobDecoder`, and so on), then the field of the
    /// local kind must be set. Array lengths and element types are the caller's.
    #[inline]
    pub(super) fn compatible(&self, id: WireId, kind: WireKind) -> Option<&Arc<WireType>> {
        let want = if kind.is_marshaler() { kind.bit() } else { 0 };
        match self.several_of(id) {
            Some(k) if k.bits() & MARSHALER_BITS == want => k.get(kind),
            Some(_) => None,
            None => self.get(id).filter(|w| w.kind() == kind),
        }
    }

    /// Whether a received definition of `id` sets a marshaler field (Go's `compatibleType`
    /// then refuses every local type that is not that marshaler; gob's own ids have no
    /// received definition).
    pub(super) fn sets_marshaler(&self, id: WireId) -> bool {
        if id < ids::FIRST_USER {
            return false;
        }
        match self.several_of(id) {
            Some(k) => k.bits() & MARSHALER_BITS != 0,
            None => self.get(id).is_some_and(|w| w.kind().is_marshaler()),
        }
    }

    /// The field a value of `id` is decoded as where no Go type says which one counts
    /// ([`WireKinds::dynamic`]).
    #[inline]
    pub(super) fn dynamic(&self, id: WireId) -> Option<&Arc<WireType>> {
        match self.several_of(id) {
            Some(k) => k.dynamic(),
            None => self.get(id),
        }
    }

    /// True when the definition of `id` sets several marshaler fields, which no Go
    /// destination but a whole struct value takes.
    #[inline]
    pub(super) fn several_marshalers(&self, id: WireId) -> bool {
        self.several_of(id).is_some_and(|k| k.marshalers() > 1)
    }

    /// True when the definition of `id` sets `StructT` and other fields too: a whole value
    /// of it is in struct form (no singleton marker) for a local struct and in singleton
    /// form for any other destination, so the marker is read once the destination is known
    /// ([`Dec::wire_for`](super::Dec::wire_for)).
    #[inline]
    pub(super) fn struct_among_several(&self, id: WireId) -> bool {
        self.several_of(id)
            .is_some_and(|k| k.get(WireKind::Struct).is_some())
    }

    /// Plan `at` of struct definition `wire` ([`Dec::decode_struct`](super::Dec::decode_struct));
    /// empty when there is none.
    #[inline]
    pub(super) fn plan(&self, wire: WireId, at: usize) -> &[(Option<u16>, WireId)] {
        self.plans
            .get(wire)
            .and_then(|ps| ps.get(at))
            .map_or(&[], |(_, p)| &p[..])
    }

    /// The dynamic type of `id` when it needs no building: a builtin, a bootstrap type, or one
    /// already built on this stream.
    pub(super) fn known_type(&self, id: WireId) -> Option<Type> {
        builtin_type(id)
            .or_else(|| bootstrap_dyn_type(id))
            .or_else(|| self.dyn_types.get(id).cloned())
    }

    /// True when the definition of `id` sets `StructT` (where a whole value is in struct
    /// form for a local struct, and a skipped one always: Go's `decodeIgnoredValue`).
    #[inline]
    pub(super) fn is_struct(&self, id: WireId) -> bool {
        if self.several.is_empty() {
            return matches!(self.get(id).map(|w| &**w), Some(WireType::Struct { .. }));
        }
        self.get_kind(id, WireKind::Struct).is_some()
    }

    /// The ids a dynamic type of `id` refers to: its wire children and its companions.
    pub(super) fn dyn_children(&self, id: WireId, w: &WireType) -> Vec<WireId> {
        let mut c = wire_children(w);
        if let Some(more) = self.companions.get(&id) {
            c.extend_from_slice(more);
        }
        c
    }

    /// What a value (top level or interface payload) of type `root` that begins now needs
    /// from the definitions received for it: Go's unsent ids and marshaler companions.
    #[inline]
    pub(super) fn begin_value(&mut self, root: WireId, max_depth: usize) {
        if !self.pending.is_empty() {
            self.note_gaps();
            self.infer_companions(root, max_depth);
        }
    }

    /// Finds the ids Go allocated without sending them before the definitions received for
    /// the value that begins now. Go allocates ids in increasing order and all of a value's
    /// definitions (at top level or in one interface) come before it, so every id between the
    /// highest one accounted for earlier and one of these that is neither defined nor a
    /// marshaler's pointer id was allocated by Go and never sent (`getTypeInfo(*T)` for an
    /// already-sent marshaler `T`). The gap is recorded on the first definition after it.
    /// A leading gap on the stream's first definitions is Go <= 1.20's first id (65).
    fn note_gaps(&mut self) {
        let mut ids: Vec<(WireId, bool)> = Vec::with_capacity(self.pending.len());
        for &p in &self.pending {
            ids.push((p, true));
            if let Some(w) = self.defs.get(p) {
                if w.is_marshaler() && w.common().id != p && w.common().id >= ids::FIRST_USER {
                    ids.push((w.common().id, false));
                }
            }
        }
        ids.sort_unstable();
        for (id, defined) in ids {
            if self.next_alloc == 0 {
                self.next_alloc = id;
            }
            if id > self.next_alloc && defined {
                // Go allocates one unsent id per `*T` use, so a stream's gaps are few; a
                // hostile one could otherwise make a re-encoder allocate ids (and their
                // table) by the billion.
                let gap = id - self.next_alloc;
                if let Ok(gap) = u32::try_from(gap) {
                    if self.skipped + gap <= MAX_SKIPPED_IDS {
                        self.skipped += gap;
                        self.skips.insert(id, gap);
                    }
                }
            }
            self.next_alloc = self.next_alloc.max(id.saturating_add(1));
        }
    }

    /// Replays Go's encoder (`sendType`) over the definitions received for the value of type
    /// `root` that begins now, to find the definitions Go sent after a marshaler without a
    /// value referring to them. Go sends a type's definition, then those of its children in
    /// order (struct fields; element; key then element), each at most once per stream; after
    /// a marshaler it describes the Go type behind it instead. So whatever follows a
    /// marshaler's definition before the next definition the replay expects belongs to it.
    /// A stream that does not follow Go's order (not written by Go) gets no companions.
    fn infer_companions(&mut self, root: WireId, max_depth: usize) {
        let pending = std::mem::take(&mut self.pending);
        if !pending
            .iter()
            .any(|id| self.get(*id).is_some_and(|w| w.is_marshaler()))
        {
            return;
        }
        let mut replay = Replay {
            order: &pending,
            pos: 0,
            fresh: pending.iter().copied().collect(),
            found: Vec::new(),
            ok: true,
            max_depth,
        };
        replay.visit(self, root, &[], 0);
        if replay.ok {
            let found = replay.found;
            self.companions.extend(found);
        }
    }

    pub(super) fn describe(&self, id: WireId) -> String {
        if let Some(n) = builtin_name(id) {
            return n.to_string();
        }
        match self.get(id) {
            Some(w) => w.describe(),
            None => format!("unknown type id {id}"),
        }
    }
}

/// The most unsent ids a stream's definitions may ask a re-encoder to leave (gaps beyond it
/// are not reproduced).
const MAX_SKIPPED_IDS: u32 = 4096;

/// The state of [`TypeTable::infer_companions`]' replay of Go's sending order.
struct Replay<'p> {
    /// The definitions received, in order.
    order: &'p [WireId],
    /// How many of them the replay has matched.
    pos: usize,
    /// Received and not yet matched: Go sends these; any other id was sent before.
    fresh: HashSet<WireId>,
    /// Marshalers and their companions.
    found: Vec<(WireId, Vec<WireId>)>,
    /// False once the received order is not Go's.
    ok: bool,
    max_depth: usize,
}

impl Replay<'_> {
    /// Go's `sendType(id)`, with `cont` the ids to send after this one's subtree (in order).
    fn visit(&mut self, table: &TypeTable, id: WireId, cont: &[WireId], depth: usize) {
        if !self.ok {
            return;
        }
        if !self.fresh.contains(&id) {
            // Sent before, so defined by now: Go sends a definition before (or, for a child
            // of the one being sent, right after) any definition that refers to it. An id
            // still undefined is a forward reference Go's encoder never writes (Go's decoder
            // only resolves it when a value uses it): this is not Go's order.
            if builtin_type(id).is_none() && table.get(id).is_none() {
                self.ok = false;
            }
            return;
        }
        if depth > self.max_depth || self.order.get(self.pos) != Some(&id) {
            self.ok = false;
            return;
        }
        self.fresh.remove(&id);
        self.pos += 1;
        let Some(w) = table.get(id).cloned() else {
            // A definition with no type set: Go's encoder never sends one.
            self.ok = false;
            return;
        };
        match &*w {
            w if w.is_marshaler() => {
                let mut comps = Vec::new();
                loop {
                    let next = cont.iter().find(|c| self.fresh.contains(c));
                    match self.order.get(self.pos) {
                        Some(c) if Some(c) != next && self.fresh.contains(c) => {
                            let c = *c;
                            comps.push(c);
                            self.visit(table, c, cont, depth + 1);
                            if !self.ok {
                                return;
                            }
                        }
                        _ => break,
                    }
                }
                if !comps.is_empty() {
                    self.found.push((id, comps));
                }
            }
            other => {
                let children = wire_children(other);
                for (i, c) in children.iter().enumerate() {
                    let mut rest = children[i + 1..].to_vec();
                    rest.extend_from_slice(cont);
                    self.visit(table, *c, &rest, depth + 1);
                }
            }
        }
    }
}

/// The wire ids a definition refers to.
fn wire_children(w: &WireType) -> Vec<WireId> {
    match w {
        WireType::Struct { fields, .. } => fields.iter().map(|f| f.id).collect(),
        WireType::Slice { elem, .. } | WireType::Array { elem, .. } => vec![*elem],
        WireType::Map { key, elem, .. } => vec![*key, *elem],
        WireType::GobEncoder(_) | WireType::BinaryMarshaler(_) | WireType::TextMarshaler(_) => {
            Vec::new()
        }
    }
}

pub(super) fn define(
    types: &mut TypeTable,
    limits: &Limits,
    r: &mut Reader<'_>,
    id: WireId,
    added: &mut Vec<WireId>,
) -> Result<()> {
    if id < ids::FIRST_USER || types.defs.get(id).is_some() || types.empty_defs.contains(&id) {
        return Err(Error::new(ErrorKind::DuplicateType(id)));
    }
    if types.defs.len + types.empty_defs.len() >= limits.max_types {
        return Err(Error::new(ErrorKind::TooManyTypes(limits.max_types)));
    }
    let kinds = WireKinds::decode(r, limits.max_fields)?;
    match kinds.first() {
        Some(wire) => types.defs.insert(id, wire.clone()),
        None => {
            types.empty_defs.insert(id);
        }
    }
    if kinds.count() > 1 {
        types.several.insert(id, kinds);
    }
    types.pending.push(id);
    added.push(id);
    Ok(())
}

/// A message's or an interface's type id as Go reads it: `typeId(int32)` of the integer, so
/// the high bits of a wider one are dropped.
#[inline]
pub(super) fn type_id(wire: i64) -> WireId {
    WireId::from(wire as i32)
}

/// The id a negative type id defines (Go's `-id` in `int32`: `MinInt32` stays negative, which
/// Go reports as a duplicate type).
pub(super) fn definition_id(id: WireId) -> Result<WireId> {
    match i32::try_from(id).ok().and_then(i32::checked_neg) {
        Some(d) => Ok(WireId::from(d)),
        None => Err(Error::new(ErrorKind::DuplicateType(id))),
    }
}
