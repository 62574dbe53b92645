//! Decoding: the per-stream [`Decoder`] (received type definitions), the [`Dec`] value reader
//! used by [`Decode`] implementations, dynamic decoding into [`Value`] and structural skipping.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::types::{builtin_name, ids, WireId, WireType};
use crate::value::{
    go_type_string, Composite, DefKind, GoStr, GroupDef, Interface, Type, TypeDef, TypeGroup,
    TypeRef, Value,
};

/// The longest string a [`GoStr`] holds without an allocation.
const GO_STR_INLINE: usize = std::mem::size_of::<GoStr>();
use crate::wire::Reader;

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

/// A value that can be decoded from gob.
pub trait Decode: Sized {
    /// Decodes a value whose wire type is `wire`. Implementations check that the wire type is
    /// compatible with `Self` (Go's rules) and return a [`ErrorKind::TypeMismatch`] otherwise.
    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> Result<Self>;
}

type Plan = Arc<[(Option<u16>, WireId)]>;

/// An interface header: the interned name (with its registered decoder) and the wire id.
type Header = (Name, WireId);

/// An interface name read from the stream: a slot of the stream's name table, or the name
/// itself once the table is full.
enum Name {
    Slot(usize),
    Own(Arc<str>, Option<crate::registry::DecodeFn>),
}

/// An interned interface name with its registered decoder. `head` and `tail` are the first
/// and last eight bytes of the name (a name shorter than eight bytes is packed into `head`),
/// so that with the length they tell names of up to 16 bytes (every builtin name) apart
/// without a byte-wise compare.
struct NameEntry {
    len: usize,
    head: u64,
    tail: u64,
    name: Arc<str>,
    decode: Option<crate::registry::DecodeFn>,
    /// The last wire id this name came with, and whether the name is Go's default name for
    /// that type's values (a name nearly always comes with one id).
    default_for: Option<(WireId, bool)>,
}

impl NameEntry {
    fn keys(raw: &[u8]) -> (u64, u64) {
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            u64::from_le_bytes(w)
        };
        if raw.len() >= 8 {
            (word(&raw[..8]), word(&raw[raw.len() - 8..]))
        } else {
            (raw.iter().fold(0, |a, &b| (a << 8) | u64::from(b)), 0)
        }
    }

    #[inline]
    fn is(&self, raw: &[u8], head: u64, tail: u64) -> bool {
        self.len == raw.len()
            && self.head == head
            && self.tail == tail
            && (raw.len() <= 16 || self.name.as_bytes() == raw)
    }
}

/// Ids Go allocates in sequence from 64: those below `64 + DIRECT` live in a vector (no
/// hashing on the hot path); any other id a peer may choose goes to a `HashMap`.
const DIRECT: usize = 1 << 14;

/// A map from wire ids to `V`, direct-indexed for the ids Go actually uses.
struct IdMap<V> {
    direct: Vec<Option<V>>,
    other: HashMap<WireId, V>,
    len: usize,
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
    fn get(&self, id: WireId) -> Option<&V> {
        match Self::slot(id) {
            Some(i) => self.direct.get(i).and_then(|v| v.as_ref()),
            None => self.other.get(&id),
        }
    }

    fn insert(&mut self, id: WireId, v: V) {
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

    fn remove(&mut self, id: WireId) {
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
    defs: IdMap<Arc<WireType>>,
    /// Ids defined with no `wireType` field set: Go accepts such a definition and fails only
    /// on a value that uses it (here: as an unknown type id).
    empty_defs: HashSet<WireId>,
    /// Ids defined since the last value (or interface payload) began, in the order received:
    /// the definitions Go sent for it, read by [`TypeTable::infer_companions`].
    pending: Vec<WireId>,
    /// Marshaler definitions and the definitions Go sent after them that no value refers to
    /// (see `GroupDef::companions`).
    companions: HashMap<WireId, Vec<WireId>>,
    /// One more than the highest id Go is known to have allocated (defined ids and the
    /// pointer ids inside marshaler definitions); 0 before the first definition.
    next_alloc: WireId,
    /// Definitions preceded by ids Go allocated and never sent (see `GroupDef::skip_ids`).
    skips: HashMap<WireId, u32>,
    /// The ids in `skips`, added up (at most [`MAX_SKIPPED_IDS`]).
    skipped: u32,
    dyn_types: IdMap<Type>,
    plans: HashMap<(WireId, usize), Plan>,
    /// Registry lookups of interface names seen on this stream (valid for `names_gen`; only
    /// appended to while a value is decoded, so a [`Name::Slot`] stays valid).
    names: Vec<NameEntry>,
    names_gen: u64,
}

impl TypeTable {
    /// Drops the interned names when the registry has changed since they were looked up
    /// (called before each value, never during one).
    fn refresh_names(&mut self) {
        let generation = crate::registry::generation();
        if self.names_gen != generation {
            self.names.clear();
            self.names_gen = generation;
        }
    }

    /// The definition of `id`: received on the stream, or one of Go's own bootstrap types.
    pub fn get(&self, id: WireId) -> Option<&Arc<WireType>> {
        if id < ids::FIRST_USER {
            return bootstrap_type(id);
        }
        self.defs.get(id)
    }

    /// The dynamic type of `id` when it needs no building: a builtin, a bootstrap type, or one
    /// already built on this stream.
    fn known_type(&self, id: WireId) -> Option<Type> {
        builtin_type(id)
            .or_else(|| bootstrap_dyn_type(id))
            .or_else(|| self.dyn_types.get(id).cloned())
    }

    /// True when `id` is defined as a struct.
    fn is_struct(&self, id: WireId) -> bool {
        matches!(self.get(id).map(|w| &**w), Some(WireType::Struct { .. }))
    }

    /// The ids a dynamic type of `id` refers to: its wire children and its companions.
    fn dyn_children(&self, id: WireId, w: &WireType) -> Vec<WireId> {
        let mut c = wire_children(w);
        if let Some(more) = self.companions.get(&id) {
            c.extend_from_slice(more);
        }
        c
    }

    /// What a value (top level or interface payload) of type `root` that begins now needs
    /// from the definitions received for it: Go's unsent ids and marshaler companions.
    #[inline]
    fn begin_value(&mut self, root: WireId, max_depth: usize) {
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

    fn describe(&self, id: WireId) -> String {
        if let Some(n) = builtin_name(id) {
            return n.to_string();
        }
        match self.get(id) {
            Some(w) => w.describe(),
            None => format!("unknown type id {id}"),
        }
    }
}

/// A gob stream decoder: one per byte stream, remembers the type definitions received.
pub struct Decoder {
    types: TypeTable,
    limits: Limits,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// What one step of stream decoding ([`Decoder::decode_next`]) found at the front of the input.
///
/// The three cases are all a byte stream can be in, so the enum is exhaustive.
#[derive(Debug)]
pub enum Step<T> {
    /// A value.
    Value {
        /// The value.
        value: T,
        /// Input bytes it used, the type definitions before it included.
        used: usize,
    },
    /// The input holds no whole value yet (only when it is not `complete`): the decoder is
    /// unchanged; call again with the same bytes and more after them.
    NeedMore,
    /// The input ended cleanly at a message boundary (only when it is `complete`).
    End {
        /// Input bytes used, type definitions only.
        used: usize,
    },
}

impl<T> Step<T> {
    /// The same step with the value mapped by `f` (e.g. stored aside, leaving a marker).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Value { value, used } => Step::Value {
                value: f(value),
                used,
            },
            Step::NeedMore => Step::NeedMore,
            Step::End { used } => Step::End { used },
        }
    }
}

impl Decoder {
    /// A decoder with default limits.
    pub fn new() -> Self {
        Decoder::with_limits(Limits::default())
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            types: TypeTable::default(),
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The definitions received so far.
    pub fn types(&self) -> &TypeTable {
        &self.types
    }

    /// Decodes the next value from `input`, the stream's bytes not consumed yet.
    ///
    /// `complete` says whether `input` is everything that will ever arrive. When it is false
    /// and `input` ends inside a message, the answer is [`Step::NeedMore`] (not an error) and
    /// the decoder state is unchanged, so the caller retries with more bytes. When it is true,
    /// input that ends inside a message is [`ErrorKind::UnexpectedEof`].
    ///
    /// ```
    /// # fn main() -> gob::Result<()> {
    /// let bytes = gob::to_vec(&7_i64)?;
    /// let mut dec = gob::Decoder::new();
    /// // Half a message: more bytes needed, nothing consumed.
    /// assert!(matches!(dec.decode_next::<i64>(&bytes[..1], false)?, gob::Step::NeedMore));
    /// match dec.decode_next::<i64>(&bytes, false)? {
    ///     gob::Step::Value { value, used } => assert_eq!((value, used), (7, bytes.len())),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn decode_next<T: Decode>(&mut self, input: &[u8], complete: bool) -> Result<Step<T>> {
        let mut added: Vec<WireId> = Vec::new();
        let next_alloc = self.types.next_alloc;
        let r = self.decode_next_inner(input, complete, &mut added);
        if let Err(e) = &r {
            if e.is_incomplete() && !added.is_empty() {
                self.types.next_alloc = next_alloc;
                let dropped: u32 = added
                    .iter()
                    .filter_map(|m| self.types.skips.remove(m))
                    .sum();
                self.types.skipped = self.types.skipped.saturating_sub(dropped);
                // Forget only what this attempt defined; plans of older types stay valid
                // (a large value read in pieces must not rebuild every plan each time).
                self.types.plans.retain(|(id, _), _| !added.contains(id));
                self.types.pending.retain(|p| !added.contains(p));
                self.types.companions.retain(|m, _| !added.contains(m));
                for id in added {
                    self.types.defs.remove(id);
                    self.types.empty_defs.remove(&id);
                    self.types.dyn_types.remove(id);
                }
                for e in &mut self.types.names {
                    e.default_for = None;
                }
            }
        }
        match r {
            // Only a stream that may continue is incomplete (`wire::Reader::need_more`).
            Err(e) if e.is_incomplete() => Ok(Step::NeedMore),
            r => r,
        }
    }

    fn decode_next_inner<T: Decode>(
        &mut self,
        input: &[u8],
        complete: bool,
        added: &mut Vec<WireId>,
    ) -> Result<Step<T>> {
        let mut r = Reader::new(input, complete, self.limits.max_message);
        let mut saw_def = false;
        loop {
            let at = r.pos();
            if !r.next_message()? {
                if saw_def {
                    return Err(Error::new(ErrorKind::UnexpectedEof).at_offset(at));
                }
                return Ok(Step::End { used: r.pos() });
            }
            let id = type_id(r.int().map_err(|e| e.at_offset(at))?);
            if id < 0 {
                let id = definition_id(id)?;
                define(&mut self.types, &self.limits, &mut r, id, added)
                    .map_err(|e| e.at_offset(at))?;
                if r.remaining() > 0 {
                    return Err(Error::new(ErrorKind::ExtraData).at_offset(r.pos()));
                }
                saw_def = true;
                continue;
            }
            self.types.refresh_names();
            let size = (r.message_end() - at) as u64;
            let budget = size
                .saturating_mul(self.limits.heap_per_byte)
                .saturating_add(self.limits.heap_allowance);
            let mut d = Dec {
                budget,
                heap_left: budget,
                message: size,
                r: &mut r,
                types: &mut self.types,
                limits: &self.limits,
                depth: 0,
                top: true,
                added,
            };
            let v = d.top_value::<T>(id).map_err(|e| e.at_offset(at))?;
            r.finish_message();
            return Ok(Step::Value {
                value: v,
                used: r.pos(),
            });
        }
    }

    /// Decodes every value of a complete in-memory stream (`iter(input).collect()`).
    pub fn decode_all<T: Decode>(&mut self, input: &[u8]) -> Result<Vec<T>> {
        self.iter(input).collect()
    }

    /// The values of a complete in-memory stream, one at a time, decoded by this decoder.
    ///
    /// The iterator ends after the last value or the first error (whose byte offset counts
    /// from the start of `input`); [`Iter::used`] tells how far it got.
    ///
    /// ```
    /// # fn main() -> gob::Result<()> {
    /// let mut enc = gob::Encoder::new();
    /// let mut bytes = enc.encode("one")?;
    /// bytes.extend(enc.encode("two")?);
    /// let all: Vec<String> = gob::Decoder::new().iter(&bytes).collect::<gob::Result<_>>()?;
    /// assert_eq!(all, ["one", "two"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn iter<'a, T: Decode>(&'a mut self, input: &'a [u8]) -> Iter<'a, T> {
        Iter {
            dec: self,
            input,
            used: 0,
            done: false,
            _t: std::marker::PhantomData,
        }
    }
}

/// The values of a complete stream ([`Decoder::iter`]).
pub struct Iter<'a, T> {
    dec: &'a mut Decoder,
    input: &'a [u8],
    used: usize,
    done: bool,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T> Iter<'_, T> {
    /// Input bytes consumed so far (the values returned and their definitions).
    pub fn used(&self) -> usize {
        self.used
    }
}

impl<T: Decode> Iterator for Iter<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        let rest = self.input.get(self.used..).unwrap_or_default();
        match self.dec.decode_next::<T>(rest, true) {
            Ok(Step::Value { value, used }) => {
                self.used += used;
                Some(Ok(value))
            }
            Ok(Step::End { used }) => {
                self.used += used;
                self.done = true;
                None
            }
            // A complete input never needs more; the arm keeps the match total.
            Ok(Step::NeedMore) => {
                self.done = true;
                Some(Err(
                    Error::new(ErrorKind::UnexpectedEof).at_offset(self.input.len())
                ))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e.shift_offset(self.used)))
            }
        }
    }
}

impl<T: Decode> std::iter::FusedIterator for Iter<'_, T> {}

fn define(
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
    match WireType::decode(r, limits.max_fields)? {
        Some(wire) => types.defs.insert(id, Arc::new(wire)),
        None => {
            types.empty_defs.insert(id);
        }
    }
    types.pending.push(id);
    added.push(id);
    Ok(())
}

/// The most unsent ids a stream's definitions may ask a re-encoder to leave (gaps beyond it
/// are not reproduced).
const MAX_SKIPPED_IDS: u32 = 4096;

/// A message's or an interface's type id as Go reads it: `typeId(int32)` of the integer, so
/// the high bits of a wider one are dropped.
#[inline]
fn type_id(wire: i64) -> WireId {
    WireId::from(wire as i32)
}

/// The id a negative type id defines (Go's `-id` in `int32`: `MinInt32` stays negative, which
/// Go reports as a duplicate type).
fn definition_id(id: WireId) -> Result<WireId> {
    match i32::try_from(id).ok().and_then(i32::checked_neg) {
        Some(d) => Ok(WireId::from(d)),
        None => Err(Error::new(ErrorKind::DuplicateType(id))),
    }
}

/// Go compiles a decoder for every struct definition a value reaches, typed or skipped, and
/// refuses one with a field of no name there.
fn check_field_names(w: &WireType) -> Result<()> {
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

/// Tarjan's state while building dynamic types: each definition on the stack with its visit
/// order and the lowest visit order it reaches (a finished component leaves `seen`: its types
/// are in the stream's table then).
#[derive(Default)]
struct Scc {
    seen: HashMap<WireId, (usize, usize)>,
    stack: Vec<WireId>,
    next: usize,
}

/// Go's own definitions of its type descriptors (`wireType` 16 to `gobEncoderType` 24, in
/// the order `encoding/gob`'s `init` allocates them; ids 9 to 15 are reserved and have no
/// definition). Go's decoder knows them on every stream, so a value may use them.
fn bootstrap_type(id: WireId) -> Option<&'static Arc<WireType>> {
    use crate::types::{CommonType, FieldType};
    static TYPES: std::sync::OnceLock<Vec<Arc<WireType>>> = std::sync::OnceLock::new();
    let types = TYPES.get_or_init(|| {
        let common = |name: &str, id| CommonType {
            name: name.to_string(),
            id,
        };
        let structure = |name: &str, id, fields: &[(&str, WireId)]| {
            Arc::new(WireType::Struct {
                common: common(name, id),
                fields: fields
                    .iter()
                    .map(|(n, t)| FieldType {
                        name: n.to_string(),
                        id: *t,
                    })
                    .collect(),
            })
        };
        vec![
            structure(
                "wireType",
                16,
                &[
                    ("ArrayT", 17),
                    ("SliceT", 19),
                    ("StructT", 20),
                    ("MapT", 23),
                    ("GobEncoderT", 24),
                    ("BinaryMarshalerT", 24),
                    ("TextMarshalerT", 24),
                ],
            ),
            structure(
                "arrayType",
                17,
                &[("CommonType", 18), ("Elem", ids::INT), ("Len", ids::INT)],
            ),
            structure("CommonType", 18, &[("Name", ids::STRING), ("Id", ids::INT)]),
            structure("sliceType", 19, &[("CommonType", 18), ("Elem", ids::INT)]),
            structure("structType", 20, &[("CommonType", 18), ("Field", 22)]),
            structure("fieldType", 21, &[("Name", ids::STRING), ("Id", ids::INT)]),
            Arc::new(WireType::Slice {
                common: common("[]gob.fieldType", 22),
                elem: 21,
            }),
            structure(
                "mapType",
                23,
                &[("CommonType", 18), ("Key", ids::INT), ("Elem", ids::INT)],
            ),
            structure("gobEncoderType", 24, &[("CommonType", 18)]),
        ]
    });
    let i = usize::try_from(id.checked_sub(16)?).ok()?;
    types.get(i)
}

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

/// The dynamic types of Go's bootstrap ids 16 to 24, one group shared by every stream, so
/// that an encoder writes a value of one of them under its bootstrap id, as Go would
/// ([`bootstrap_id`]).
fn bootstrap_dyn_types() -> &'static [Type] {
    static TYPES: std::sync::OnceLock<Vec<Type>> = std::sync::OnceLock::new();
    TYPES.get_or_init(|| {
        let r = |id: WireId| match builtin_type(id) {
            Some(t) => TypeRef::Type(t),
            None => TypeRef::Local(usize::try_from(id - 16).unwrap_or(0)),
        };
        let defs = (16..=24)
            .filter_map(bootstrap_type)
            .map(|w| {
                let kind = match &**w {
                    WireType::Struct { fields, .. } => {
                        DefKind::Struct(fields.iter().map(|f| (f.name.clone(), r(f.id))).collect())
                    }
                    WireType::Slice { elem, .. } => DefKind::Slice(r(*elem)),
                    _ => DefKind::Struct(Vec::new()),
                };
                GroupDef::new(w.common().name.clone(), kind)
            })
            .collect();
        // Nine definitions whose references stay within the group: the build cannot fail.
        TypeGroup::build(defs).unwrap_or_default()
    })
}

pub(crate) fn bootstrap_dyn_type(id: WireId) -> Option<Type> {
    let i = usize::try_from(id.checked_sub(16)?).ok()?;
    bootstrap_dyn_types().get(i).cloned()
}

/// The bootstrap id of a definition of [`bootstrap_dyn_types`]' group.
pub(crate) fn bootstrap_id(d: &TypeDef) -> Option<WireId> {
    match bootstrap_dyn_types().first() {
        Some(Type::Def(first)) if Arc::ptr_eq(first.group(), d.group()) => {
            WireId::try_from(d.index()).ok().map(|i| 16 + i)
        }
        _ => None,
    }
}

/// The dynamic type of a builtin wire id.
#[inline]
fn builtin_type(id: WireId) -> Option<Type> {
    Some(match id {
        ids::BOOL => Type::Bool,
        ids::INT => Type::Int,
        ids::UINT => Type::Uint,
        ids::FLOAT => Type::Float,
        ids::COMPLEX => Type::Complex,
        ids::STRING => Type::String,
        ids::BYTES => Type::Bytes,
        ids::INTERFACE => Type::Interface,
        _ => return None,
    })
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

/// The value reader handed to [`Decode::decode`].
pub struct Dec<'a, 'b> {
    r: &'b mut Reader<'a>,
    /// This message's heap budget ([`Limits::heap_per_byte`]), what is left of it, and the
    /// message's size.
    budget: u64,
    heap_left: u64,
    message: u64,
    types: &'b mut TypeTable,
    limits: &'b Limits,
    depth: usize,
    /// Set while the next struct decoded is a whole value (top level or interface payload),
    /// where Go checks that at least one field name matches.
    top: bool,
    added: &'b mut Vec<WireId>,
}

impl<'a, 'b> Dec<'a, 'b> {
    fn top_value<T: Decode>(&mut self, id: WireId) -> Result<T> {
        self.whole_value(id, T::decode)
    }

    /// Decodes a whole value (top level or interface payload): struct fields directly, any
    /// other type after the singleton marker.
    fn whole_value<T>(
        &mut self,
        id: WireId,
        f: impl FnOnce(&mut Self, WireId) -> Result<T>,
    ) -> Result<T> {
        self.types.begin_value(id, self.limits.max_depth);
        if !self.types.is_struct(id) {
            if builtin_type(id).is_none() && self.types.get(id).is_none() {
                return Err(Error::new(ErrorKind::UnknownTypeId(id)));
            }
            let delta = self.r.uint()?;
            if delta != 0 {
                return Err(Error::new(ErrorKind::NonZeroSingletonDelta));
            }
        }
        self.top = true;
        let v = f(self, id);
        self.top = false;
        v
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
        let elem = match self.types.get(wire).map(|w| &**w) {
            Some(WireType::Slice { elem, .. }) => *elem,
            _ => return Err(self.mismatch("slice", wire)),
        };
        Ok((elem, self.count(1)?))
    }

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
            None => Err(Error::new(ErrorKind::MemoryBudget {
                budget: self.budget,
                message: self.message,
            })
            .at_offset(self.r.pos())),
        }
    }

    /// Adds a message of `size` bytes that the value continues in to its heap budget.
    fn grow_budget(&mut self, size: u64) {
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

    /// Checks, before element `i` of `n`, that the current message still has input (Go's
    /// "length exceeds input size" check; every element takes at least one byte).
    #[inline]
    pub fn element(&self, i: usize, n: usize) -> Result<()> {
        if self.r.remaining() == 0 {
            return Err(Error::new(ErrorKind::LengthExceedsInput {
                count: n as u64,
                remaining: 0,
            })
            .at_offset(self.r.pos())
            .in_path(format!("[{i}]")));
        }
        Ok(())
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

    /// The definition of a wire id.
    pub fn wire(&self, id: WireId) -> Result<Arc<WireType>> {
        self.types
            .get(id)
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::UnknownTypeId(id)))
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
        let key = (wire, local_fields.as_ptr() as usize);
        let plan = match self.types.plans.get(&key) {
            Some(p) => p.clone(),
            None => {
                let w = self.wire(wire).map_err(|_| {
                    Error::mismatch(format!("struct {local_type}"), self.describe(wire))
                })?;
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
                self.types.plans.insert(key, plan.clone());
                plan
            }
        };
        if top
            && !local_fields.is_empty()
            && !plan.is_empty()
            && plan.iter().all(|(l, _)| l.is_none())
        {
            return Err(Error::new(ErrorKind::NoFieldsMatched(
                local_type.to_string(),
            )));
        }
        let mut field: i64 = -1;
        while let Some(i) = self.next_field(&mut field, plan.len())? {
            let (local, fid) = plan[i];
            match local {
                Some(li) => self
                    .nested(|d| f(d, li as usize, fid))
                    .map_err(|e| e.in_path(format!(".{}", local_fields[li as usize])))?,
                None => self.skip(fid)?,
            }
        }
        Ok(())
    }

    /// Reads the next field of a struct with `nfields` wire fields, `field` being the
    /// previous one (-1 at the start): `None` at the end of the struct, which is a zero delta
    /// or, as Go tolerates, the end of the message.
    #[inline]
    fn next_field(&mut self, field: &mut i64, nfields: usize) -> Result<Option<usize>> {
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

    /// [`Dec::interface_header`] with the name interned for this stream and its registered
    /// decoder, if any.
    fn header(&mut self) -> Result<Option<Header>> {
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
    fn intern(&mut self, raw: &[u8]) -> Name {
        let (head, tail) = NameEntry::keys(raw);
        let names = &mut self.types.names;
        if let Some(i) = names.iter().position(|e| e.is(raw, head, tail)) {
            return Name::Slot(i);
        }
        let name: Arc<str> = String::from_utf8_lossy(raw).into();
        let decode = crate::registry::lookup(&name);
        if names.len() >= 64 {
            return Name::Own(name, decode);
        }
        names.push(NameEntry {
            len: raw.len(),
            head,
            tail,
            name,
            decode,
            default_for: None,
        });
        Name::Slot(names.len() - 1)
    }

    fn name_entry(&self, slot: usize) -> Option<&NameEntry> {
        self.types.names.get(slot)
    }

    /// The text of an interned name.
    fn name_str<'n>(&'n self, name: &'n Name) -> &'n str {
        match name {
            Name::Slot(i) => self.name_entry(*i).map_or("", |e| &e.name),
            Name::Own(n, _) => n,
        }
    }

    /// A shared handle to an interned name and its registered decoder, if any.
    fn name_parts(&self, name: Name) -> (Arc<str>, Option<crate::registry::DecodeFn>) {
        match name {
            Name::Slot(i) => self
                .name_entry(i)
                .map_or_else(|| (Arc::from(""), None), |e| (e.name.clone(), e.decode)),
            Name::Own(n, f) => (n, f),
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
        self.nested(|d| d.skip_inner(id))
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
                    self.interface_payload(cid, |d, w| d.skip_inner(w))?;
                }
            }
            _ => {
                let w = self.wire(id)?;
                check_field_names(&w)?;
                match &*w {
                    WireType::Struct { fields, .. } => {
                        let mut field: i64 = -1;
                        while let Some(i) = self.next_field(&mut field, fields.len())? {
                            self.skip(fields[i].id)?;
                        }
                    }
                    WireType::Slice { elem, .. } | WireType::Array { elem, .. } => {
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

    /// The dynamic [`Type`] for a wire id (built once per stream).
    #[inline]
    pub fn dyn_type(&mut self, id: WireId) -> Result<Type> {
        if let Some(t) = self.types.known_type(id) {
            return Ok(t);
        }
        self.build_dyn_types(id)
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
        let w = self.wire(id)?;
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
            let w = self.wire(m)?;
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
            let kind = match &*w {
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
            };
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
            ids::INTERFACE => return self.interface_value(),
            _ => return self.composite_value(id),
        })
    }

    #[inline(never)]
    fn composite_value(&mut self, id: WireId) -> Result<Value> {
        let w = self.wire(id)?;
        let ty = self.dyn_type(id)?;
        match &*w {
            WireType::Struct { fields, .. } => {
                self.charge(std::mem::size_of::<Composite<(usize, Value)>>())?;
                self.struct_value(ty, fields)
            }
            WireType::Slice { elem, .. } => {
                self.charge(std::mem::size_of::<Composite<Value>>())?;
                let items = self.elements(*elem)?;
                Ok(Value::new_slice(ty, items))
            }
            WireType::Array { elem, len, .. } => {
                let at = self.r.pos();
                let n = self.count(1)?;
                if n as i64 != *len {
                    return Err(Error::new(ErrorKind::ArrayLengthMismatch {
                        want: usize::try_from(*len).unwrap_or(usize::MAX),
                        got: n as u64,
                    })
                    .at_offset(at));
                }
                self.charge(std::mem::size_of::<Composite<Value>>())?;
                let items = self.elements_n(*elem, n)?;
                Ok(Value::new_array(ty, items))
            }
            WireType::Map { key, elem, .. } => {
                self.charge(std::mem::size_of::<Composite<(Value, Value)>>())?;
                self.map_value(ty, *key, *elem)
            }
            WireType::GobEncoder(_) | WireType::BinaryMarshaler(_) | WireType::TextMarshaler(_) => {
                self.charge(std::mem::size_of::<Composite<u8>>())?;
                Ok(Value::new_marshaled(ty, self.owned_bytes(0)?.to_vec()))
            }
        }
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
            return self
                .interface_payload(id, |d, w| d.value(w))
                .map_err(|e| e.in_path(format!("({})", self.name_str(&name))));
        }
        self.charge(std::mem::size_of::<Interface>())?;
        let (name, _) = self.name_parts(name);
        self.typed_payload(name, None, id)
            .map(|i| Value::Interface(Box::new(i)))
    }

    /// Whether `name` is Go's default interface name ([`Value::default_go_name`]) for the
    /// values of wire type `id`; false for ids that are not (yet) valid, whose payload then
    /// fails as usual.
    fn is_default_name(&mut self, name: &Name, id: WireId) -> bool {
        let Name::Slot(slot) = *name else {
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
                let (name, _) = self.name_parts(name);
                self.typed_payload(name, None, id)
            }
        }
    }

    /// Decodes the payload of an interface value whose header was read with
    /// [`Dec::interface_header`]: a registered name as its Rust type, any other dynamically
    /// (what decoding the whole value as [`Interface`] gives).
    pub fn interface_after_header(&mut self, name: &str, id: WireId) -> Result<Interface> {
        let name = self.intern(name.as_bytes());
        let (name, registered) = self.name_parts(name);
        self.typed_payload(name, registered, id)
    }

    /// Decodes an interface value, materialising registered names as their Rust types.
    pub fn typed_interface(&mut self) -> Result<Interface> {
        match self.header()? {
            None => Ok(Interface::nil()),
            Some((name, id)) => {
                let (name, registered) = self.name_parts(name);
                self.typed_payload(name, registered, id)
            }
        }
    }

    /// The payload of an interface value named `name` of wire type `id`: through the
    /// registered decoder when there is one, else dynamically.
    fn typed_payload(
        &mut self,
        name: Arc<str>,
        registered: Option<crate::registry::DecodeFn>,
        id: WireId,
    ) -> Result<Interface> {
        let decoded = match registered {
            Some(f) => self
                .interface_payload(id, |d, w| f(d, w))
                .map(Interface::from_box),
            None => self
                .interface_payload(id, |d, w| d.value(w))
                .map(|v| Interface::new(name.clone(), v)),
        };
        decoded.map_err(|e| e.in_path(format!("({name})")))
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
}
