//! Encoding: the per-stream [`Schema`] (type ids and definitions, each sent once per stream,
//! allocated and ordered exactly like Go's encoder), the [`Enc`] value writer (with Go's
//! message splitting around interface values) and the stream [`Encoder`].

use std::any::TypeId as RustTypeId;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::dyntype::{DefKind, Type, TypeDef, TypeGroup, TypeRef};
use crate::error::{Error, Result};
use crate::idhash::IdBuild;
use crate::types::{ids, CommonType, FieldType, WireId, WireType};
use crate::wire::{
    close_chunk, close_chunk_reserved, open_chunk, open_chunk_reserved, put_bytes, put_float,
    put_int, put_uint,
};

/// Go's limit on one message (`tooBig` on 64-bit Go): 8 GiB.
pub const GO_MAX_MESSAGE: u64 = 1 << 33;

/// How a Go type prints (`reflect.Type.String()`) with pointers stripped, and whether it is a
/// named type. Used to reproduce the informational names Go writes into type definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoTypeName {
    /// The type string, e.g. `main.Inner`, `[]*main.Node`, `map[string]int`, `int64`.
    pub string: String,
    /// True for named types (`main.Inner`, `int64`); false for `[]T`, `map[K]V`, ...
    pub named: bool,
    /// True when the Rust type is a Go pointer (`Option<T>`, `Box<T>`).
    pub pointer: bool,
}

impl GoTypeName {
    /// A named type (`pkg.Name` or a predeclared name).
    pub fn named(s: impl Into<String>) -> Self {
        GoTypeName {
            string: s.into(),
            named: true,
            pointer: false,
        }
    }

    /// An unnamed type (`[]T`, `map[K]V`, `[N]T`, `struct {}`).
    pub fn unnamed(s: impl Into<String>) -> Self {
        GoTypeName {
            string: s.into(),
            named: false,
            pointer: false,
        }
    }

    /// The type string as it appears inside other type strings (with `*` for pointers).
    pub fn full(&self) -> String {
        if self.pointer {
            format!("*{}", self.string)
        } else {
            self.string.clone()
        }
    }

    /// Go's `Name()`: the bare name (package stripped) of a named non-pointer type, else "".
    pub fn bare_name(&self) -> &str {
        if self.named && !self.pointer {
            bare(&self.string)
        } else {
            ""
        }
    }

    /// The name Go gives a type first reached as a struct field: the base type's bare name when
    /// named, else its type string.
    pub fn field_name(&self) -> &str {
        if self.named {
            bare(&self.string)
        } else {
            &self.string
        }
    }
}

fn bare(s: &str) -> &str {
    // `pkg.Name` or `example.com/x/pkg.Name` or `pkg.Pair[a.B,c.D]`: the part after the last dot
    // that precedes any type-argument list.
    let head = s.split('[').next().unwrap_or(s);
    match head.rfind('.') {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

/// A Rust type with a static Go type: the encoder can describe it without a value (needed for
/// element types of empty containers).
pub trait GobType: 'static {
    /// Go's type string and naming facts for this type.
    fn go_type() -> GoTypeName;
    /// Registers this type (and what it references) with the schema, allocating ids as Go
    /// would, and returns its wire id. `name` is the informational name Go would give the type
    /// in this position (see [`GoTypeName`]); it is used only when the type is new.
    fn describe(schema: &mut Schema, name: &str) -> Result<WireId>;
    /// Like [`GobType::describe`], but registers the definition under the Rust type `O` (a
    /// named newtype such as `Edges(Vec<String>)` gets a definition of its own).
    fn describe_as<O: 'static>(schema: &mut Schema, name: &str) -> Result<WireId> {
        Self::describe(schema, name)
    }
}

/// A value that can be gob-encoded.
pub trait Encode {
    /// The wire type id of this value's type on the schema's stream (registering it if new).
    fn wire_type(&self, schema: &mut Schema) -> Result<WireId>;
    /// Writes the value (without any field delta or singleton marker).
    fn encode(&self, enc: &mut Enc<'_>) -> Result<()>;
    /// Gob's rule for omitting a struct field holding this value.
    fn omit_in_struct(&self) -> bool {
        false
    }
    /// Gob's rule for omitting a struct field that holds this value behind a non-nil Go
    /// pointer (`Option<Self>`, `Box<Self>`): the pointed-to value's own rule, except for a
    /// marshaler that a pointer implements too (`time.Time`), whose zero test Go applies to
    /// the pointer (`gobEncodeOpFor`), so it is always sent.
    fn omit_behind_pointer(&self) -> bool {
        self.omit_in_struct()
    }
    /// True when the value is encoded as a struct (top-level values that are not structs get
    /// the singleton marker).
    fn is_struct(&self) -> bool {
        false
    }
}

struct Def {
    wire: WireType,
    /// Types sent after this one, in Go's order (struct fields, element, key then element).
    children: Vec<WireId>,
    sent: bool,
    /// A marshaler definition Go writes for a pointer type: its `CommonType.Id` is a fresh id
    /// allocated when the definition is sent (Go's `getTypeInfo(*T)`).
    pointer_id: bool,
    /// Types Go describes right after this marshaler definition (`GroupDef::companions`):
    /// described (ids allocated) and sent when this definition is sent, as Go does.
    companions: Vec<Type>,
}

/// One stream's encoder-side type state.
///
/// Ids are allocated per stream starting at 64, in the order Go allocates them in a fresh
/// process (a struct before its fields; slices, arrays and maps after their elements), so a
/// stream encoding the same values as a fresh Go process gets the same ids.
pub struct Schema {
    /// The first id this schema allocates: `defs` is indexed from it (a schema told to start
    /// at a high id must not hold a slot for every id below).
    base: WireId,
    next_id: WireId,
    by_rust: HashMap<RustTypeId, WireId, IdBuild>,
    by_dyn: HashMap<usize, WireId, IdBuild>,
    /// Stand-alone slice, array and map definitions (Go's unnamed composites, built with
    /// `Type::slice` and its siblings) by shape (kind, element ids, length; then name), so
    /// equal ones built separately share one id as in Go, where such types are identical.
    /// Definitions from a decoder or typed-JSON reader are never merged: equal-looking wire
    /// definitions can be distinct Go types (`[]uint64` and `type U1 []uint64`). Keyed
    /// without the name so a lookup allocates nothing; the few names per key are compared in
    /// place.
    by_shape: HashMap<Shape, Vec<(String, WireId)>>,
    /// Unnamed composites by Go type string (`map[string]interface {}`, `[]int64`): a Rust
    /// type such as `HashMap<GoStr, Interface>` and the dynamic `Type::string_interface_map()`
    /// are one Go type, so one id, as in Go (where the first use also fixes the name sent).
    by_go_type: HashMap<String, WireId>,
    /// Keeps the groups of dynamic definitions alive so their addresses stay unique keys.
    dyn_keep: Vec<Arc<TypeGroup>>,
    defs: Vec<Option<Def>>,
    /// Ids whose definitions were marked as sent since the last [`Schema::checkpoint`]; lets
    /// [`Schema::rollback`] undo a failed encode.
    sent_log: Vec<WireId>,
    /// Dynamic definitions whose description is under way (cycle detection).
    in_progress: HashSet<usize, IdBuild>,
}

/// A dynamic type's description: its id, or a placeholder for a definition that is still
/// being described (a cycle) and has no id yet.
enum Described {
    Id(WireId),
    Pending(TypeDef),
}

/// The identity of a composite that has no identity of its own in a dynamic value, short of
/// its name: kind, key and element ids, array length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Slice(WireId),
    Array(WireId, u64),
    Map(WireId, WireId),
}

/// The schema state before an encode, to restore if the encode fails.
#[derive(Debug, Clone, Copy)]
struct Checkpoint {
    next_id: WireId,
    dyn_keep: usize,
}

impl Default for Schema {
    fn default() -> Self {
        Schema::new()
    }
}

impl Schema {
    /// A fresh schema (ids from 64).
    pub fn new() -> Self {
        Schema::with_first_id(ids::FIRST_USER)
    }

    /// A fresh schema whose first user id is `first` (65 reproduces Go ≤ 1.20).
    pub fn with_first_id(first: WireId) -> Self {
        Schema {
            base: first.max(ids::FIRST_USER),
            next_id: first.max(ids::FIRST_USER),
            by_rust: HashMap::default(),
            by_dyn: HashMap::default(),
            by_shape: HashMap::new(),
            by_go_type: HashMap::new(),
            dyn_keep: Vec::new(),
            defs: Vec::new(),
            sent_log: Vec::new(),
            in_progress: HashSet::default(),
        }
    }

    /// Starts a transaction: everything allocated or marked as sent from here on can be undone
    /// with [`Schema::rollback`].
    fn checkpoint(&mut self) -> Checkpoint {
        self.sent_log.clear();
        Checkpoint {
            next_id: self.next_id,
            dyn_keep: self.dyn_keep.len(),
        }
    }

    /// Restores the state of `cp`: ids allocated since are freed (with their definitions and
    /// Rust/dynamic type bindings) and definitions marked as sent since are unsent again.
    fn rollback(&mut self, cp: Checkpoint) {
        for id in std::mem::take(&mut self.sent_log) {
            if let Some(d) = self.def_mut(id) {
                d.sent = false;
            }
        }
        let first_new = cp.next_id;
        self.by_rust.retain(|_, id| *id < first_new);
        self.by_dyn.retain(|_, id| *id < first_new);
        self.by_go_type.retain(|_, id| *id < first_new);
        self.by_shape.retain(|_, named| {
            named.retain(|(_, id)| *id < first_new);
            !named.is_empty()
        });
        self.dyn_keep.truncate(cp.dyn_keep);
        self.defs
            .truncate(usize::try_from(first_new - self.base).unwrap_or(0));
        self.next_id = first_new;
    }

    /// The id already allocated for the Rust type `T`, if any.
    pub fn lookup<T: 'static + ?Sized>(&self) -> Option<WireId> {
        self.by_rust.get(&RustTypeId::of::<T>()).copied()
    }

    /// Allocates the next id for the Rust type `T` (before its definition is known, as Go
    /// does for structs).
    pub fn reserve<T: 'static + ?Sized>(&mut self) -> WireId {
        let id = self.alloc();
        self.by_rust.insert(RustTypeId::of::<T>(), id);
        id
    }

    fn alloc(&mut self) -> WireId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Stores the definition of an allocated id; `children` are the types Go sends after it.
    pub fn define(&mut self, id: WireId, wire: WireType, children: Vec<WireId>) {
        let Some(idx) = self.slot(id) else {
            return;
        };
        if self.defs.len() <= idx {
            self.defs.resize_with(idx + 1, || None);
        }
        self.defs[idx] = Some(Def {
            wire,
            children,
            sent: false,
            pointer_id: false,
            companions: Vec::new(),
        });
    }

    /// Registers the Rust type `T` of an unnamed Go composite type `go_type()` with `describe`,
    /// unless the same Go type already has an id on this stream (described for another Rust
    /// type or as a dynamic type), which `T` then shares.
    pub(crate) fn describe_unnamed<T: 'static + ?Sized>(
        &mut self,
        go_type: impl FnOnce() -> String,
        describe: impl FnOnce(&mut Schema) -> Result<WireId>,
    ) -> Result<WireId> {
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let go = go_type();
        if let Some(id) = self.by_go_type.get(&go).copied() {
            self.by_rust.insert(RustTypeId::of::<T>(), id);
            return Ok(id);
        }
        let id = describe(self)?;
        if id >= ids::FIRST_USER {
            self.by_go_type.entry(go).or_insert(id);
        }
        Ok(id)
    }

    /// Registers a Rust slice type with element `E` (Go: element first, then the slice).
    pub fn describe_slice<T: 'static + ?Sized, E: GobType>(
        &mut self,
        name: &str,
    ) -> Result<WireId> {
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let et = E::go_type();
        let elem = E::describe(self, et.bare_name())?;
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let id = self.reserve::<T>();
        let wire = WireType::Slice {
            common: CommonType {
                name: name.to_string(),
                id,
            },
            elem,
        };
        self.define(id, wire, vec![elem]);
        Ok(id)
    }

    /// Registers a Rust array type `[E; len]`.
    pub fn describe_array<T: 'static + ?Sized, E: GobType>(
        &mut self,
        name: &str,
        len: usize,
    ) -> Result<WireId> {
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let elem = E::describe(self, "")?;
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let id = self.reserve::<T>();
        let wire = WireType::Array {
            common: CommonType {
                name: name.to_string(),
                id,
            },
            elem,
            len: len as i64,
        };
        self.define(id, wire, vec![elem]);
        Ok(id)
    }

    /// Registers a Rust map type with key `K` and element `V`.
    pub fn describe_map<T: 'static + ?Sized, K: GobType, V: GobType>(
        &mut self,
        name: &str,
    ) -> Result<WireId> {
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let key = K::describe(self, "")?;
        let elem = V::describe(self, "")?;
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let id = self.reserve::<T>();
        let wire = WireType::Map {
            common: CommonType {
                name: name.to_string(),
                id,
            },
            key,
            elem,
        };
        self.define(id, wire, vec![key, elem]);
        Ok(id)
    }

    /// Registers a GobEncoder (`binary == false`) or BinaryMarshaler type.
    pub fn describe_marshaler<T: 'static + ?Sized>(
        &mut self,
        name: &str,
        binary: bool,
    ) -> Result<WireId> {
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let id = self.reserve::<T>();
        let common = CommonType {
            name: name.to_string(),
            id,
        };
        let wire = if binary {
            WireType::BinaryMarshaler(common)
        } else {
            WireType::GobEncoder(common)
        };
        self.define(id, wire, Vec::new());
        Ok(id)
    }

    /// Starts a struct description: returns `Ok(id)` when the struct is already known, or
    /// `Err(builder)` with a freshly allocated id (structs get their id before their fields).
    pub fn begin_struct<T: 'static + ?Sized>(
        &mut self,
        name: &str,
    ) -> std::result::Result<WireId, StructBuilder> {
        if let Some(id) = self.lookup::<T>() {
            return Ok(id);
        }
        let id = self.reserve::<T>();
        Err(StructBuilder {
            id,
            name: name.to_string(),
            fields: Vec::new(),
            children: Vec::new(),
        })
    }

    /// Registers a dynamic type (from a decoded [`crate::Value`]).
    ///
    /// Recursive types (`type T []T`, maps and structs in cycles) are handled as Go's encoder
    /// handles them: a slice, array or map being described is a placeholder without an id
    /// until its own description completes (or until a struct field or an enclosing slice
    /// needs the id, which then allocates it), so ids come out in Go's order.
    pub fn describe_dyn(&mut self, t: &Type) -> Result<WireId> {
        let r = self.describe_dyn_depth(t, 0);
        self.in_progress.clear();
        let d = r?;
        Ok(self.resolve(d))
    }

    /// The id of a described type, allocating it now for a placeholder (Go's `setTypeId` on an
    /// element whose id is still 0).
    fn resolve(&mut self, d: Described) -> WireId {
        match d {
            Described::Id(id) => id,
            Described::Pending(def) => self.dyn_id(&def),
        }
    }

    /// The id bound to a dynamic definition, allocating and binding it if it has none yet.
    fn dyn_id(&mut self, d: &TypeDef) -> WireId {
        let key = d.key();
        if let Some(id) = self.by_dyn.get(&key) {
            return *id;
        }
        // Ids Go allocated (and never sent) just before this one.
        self.next_id = self.next_id.saturating_add(WireId::from(d.skip_ids()));
        let id = self.alloc();
        self.by_dyn.insert(key, id);
        self.dyn_keep.push(d.group().clone());
        id
    }

    /// The id of an already described composite of the same shape. The type object is not
    /// bound to it: a stream sending values with a fresh type object each (JSON-derived data)
    /// must not keep every one of them alive.
    fn same_shape(&self, d: &TypeDef, shape: Shape, name: &str) -> Option<WireId> {
        if !d.structural() {
            return None;
        }
        let named = self.by_shape.get(&shape)?;
        named.iter().find(|(n, _)| n == name).map(|(_, id)| *id)
    }

    /// [`Schema::describe_dyn_depth`] for a reference in the shape of `d`.
    fn describe_ref(&mut self, d: &TypeDef, r: &TypeRef, depth: usize) -> Result<Described> {
        match r {
            TypeRef::Type(t) => self.describe_dyn_depth(t, depth),
            TypeRef::Local(_) => self.describe_dyn_depth(&d.resolve(r), depth),
        }
    }

    fn describe_dyn_depth(&mut self, t: &Type, depth: usize) -> Result<Described> {
        if depth > 512 {
            return Err(Error::encode("type nesting too deep"));
        }
        let d = match t {
            Type::Bool => return Ok(Described::Id(ids::BOOL)),
            Type::Int => return Ok(Described::Id(ids::INT)),
            Type::Uint => return Ok(Described::Id(ids::UINT)),
            Type::Float => return Ok(Described::Id(ids::FLOAT)),
            Type::Complex => return Ok(Described::Id(ids::COMPLEX)),
            Type::String => return Ok(Described::Id(ids::STRING)),
            Type::Bytes => return Ok(Described::Id(ids::BYTES)),
            Type::Interface => return Ok(Described::Id(ids::INTERFACE)),
            Type::Def(d) => d,
        };
        let key = d.key();
        if self.in_progress.contains(&key) {
            // A cycle back into a definition still being described.
            return Ok(match self.by_dyn.get(&key) {
                Some(id) => Described::Id(*id),
                None => Described::Pending(d.clone()),
            });
        }
        if let Some(id) = self.by_dyn.get(&key) {
            return Ok(Described::Id(*id));
        }
        if let Some(id) = crate::bootstrap::bootstrap_id(d) {
            // One of Go's own descriptor types: known to every decoder, never defined.
            return Ok(Described::Id(id));
        }
        let well_known = d.well_known_go_type();
        if let Some(go) = well_known {
            if let Some(id) = self.by_go_type.get(go).copied() {
                return Ok(Described::Id(id));
            }
        }
        let common = |id| CommonType {
            name: d.name().to_string(),
            id,
        };
        self.in_progress.insert(key);
        let (id, wire, children) = match d.shape() {
            DefKind::Struct(fields) => {
                // Structs get their id before their fields.
                let id = self.dyn_id(d);
                let mut fs = Vec::with_capacity(fields.len());
                let mut children = Vec::with_capacity(fields.len());
                for (name, ft) in fields {
                    let fd = self.describe_ref(d, ft, depth + 1)?;
                    let fid = self.resolve(fd);
                    fs.push(FieldType {
                        name: name.clone(),
                        id: fid,
                    });
                    children.push(fid);
                }
                let wire = WireType::Struct {
                    common: common(id),
                    fields: fs,
                };
                (id, wire, children)
            }
            DefKind::Slice(e) => {
                let elem = self.describe_ref(d, e, depth + 1)?;
                if let Described::Id(elem) = elem {
                    if let Some(id) = self.same_shape(d, Shape::Slice(elem), d.name()) {
                        self.in_progress.remove(&key);
                        return Ok(Described::Id(id));
                    }
                }
                let id = self.dyn_id(d);
                let elem = self.resolve(elem);
                let wire = WireType::Slice {
                    common: common(id),
                    elem,
                };
                (id, wire, vec![elem])
            }
            DefKind::Array(n, e) => {
                let elem = self.describe_ref(d, e, depth + 1)?;
                if let Described::Id(elem) = elem {
                    if let Some(id) = self.same_shape(d, Shape::Array(elem, *n), d.name()) {
                        self.in_progress.remove(&key);
                        return Ok(Described::Id(id));
                    }
                }
                let id = self.dyn_id(d);
                let elem = self.resolve(elem);
                let wire = WireType::Array {
                    common: common(id),
                    elem,
                    len: i64::try_from(*n)
                        .map_err(|_| Error::encode(format!("array length {n} too large")))?,
                };
                (id, wire, vec![elem])
            }
            DefKind::Map(k, v) => {
                let key_d = self.describe_ref(d, k, depth + 1)?;
                let elem_d = self.describe_ref(d, v, depth + 1)?;
                if let (Described::Id(k), Described::Id(e)) = (&key_d, &elem_d) {
                    if let Some(id) = self.same_shape(d, Shape::Map(*k, *e), d.name()) {
                        self.in_progress.remove(&key);
                        return Ok(Described::Id(id));
                    }
                }
                let id = self.dyn_id(d);
                let key_id = self.resolve(key_d);
                let elem = self.resolve(elem_d);
                let wire = WireType::Map {
                    common: common(id),
                    key: key_id,
                    elem,
                };
                (id, wire, vec![key_id, elem])
            }
            DefKind::GobEncoder => {
                let id = self.dyn_id(d);
                (id, WireType::GobEncoder(common(id)), vec![])
            }
            DefKind::BinaryMarshaler => {
                let id = self.dyn_id(d);
                (id, WireType::BinaryMarshaler(common(id)), vec![])
            }
            DefKind::TextMarshaler => {
                let id = self.dyn_id(d);
                (id, WireType::TextMarshaler(common(id)), vec![])
            }
        };
        self.in_progress.remove(&key);
        let shape = match &wire {
            WireType::Slice { common, elem } => Some((Shape::Slice(*elem), &common.name)),
            WireType::Array { common, elem, len } => Some((
                Shape::Array(*elem, u64::try_from(*len).unwrap_or(u64::MAX)),
                &common.name,
            )),
            WireType::Map { common, key, elem } => Some((Shape::Map(*key, *elem), &common.name)),
            _ => None,
        };
        if let Some((shape, name)) = shape.filter(|_| d.structural()) {
            let named = self.by_shape.entry(shape).or_default();
            if !named.iter().any(|(n, _)| n == name) {
                named.push((name.clone(), id));
            }
        }
        if let Some(go) = well_known {
            self.by_go_type.entry(go.to_string()).or_insert(id);
        }
        self.define(id, wire, children);
        if let Some(def) = self.def_mut(id) {
            def.pointer_id = d.pointer_id();
            def.companions = d.companions().collect();
        }
        Ok(Described::Id(id))
    }

    /// The index of an id this schema allocated in `defs`.
    #[inline]
    fn slot(&self, id: WireId) -> Option<usize> {
        usize::try_from(id.checked_sub(self.base)?).ok()
    }

    fn def_mut(&mut self, id: WireId) -> Option<&mut Def> {
        let i = self.slot(id)?;
        self.defs.get_mut(i).and_then(|d| d.as_mut())
    }

    fn needs_send(&self, id: WireId) -> bool {
        self.slot(id)
            .and_then(|i| self.defs.get(i))
            .and_then(|d| d.as_ref())
            .is_some_and(|d| !d.sent)
    }
}

/// Collects a struct's fields while it is being described.
pub struct StructBuilder {
    id: WireId,
    name: String,
    fields: Vec<FieldType>,
    children: Vec<WireId>,
}

impl StructBuilder {
    /// The id allocated to the struct.
    pub fn id(&self) -> WireId {
        self.id
    }

    /// Adds a field of Rust type `F` under its Go field name.
    pub fn field<F: GobType>(&mut self, schema: &mut Schema, go_name: &str) -> Result<()> {
        let t = F::go_type();
        let fid = F::describe(schema, t.field_name())?;
        self.fields.push(FieldType {
            name: go_name.to_string(),
            id: fid,
        });
        self.children.push(fid);
        Ok(())
    }

    /// Stores the definition; returns the struct's id.
    pub fn finish(self, schema: &mut Schema) -> WireId {
        let wire = WireType::Struct {
            common: CommonType {
                name: self.name,
                id: self.id,
            },
            fields: self.fields,
        };
        schema.define(self.id, wire, self.children);
        self.id
    }
}

/// The value writer handed to [`Encode::encode`].
///
/// All output goes into one buffer. `region` is the start of the part Go would hold in its
/// current `encBuffer` (just after the byte reserved for that part's length prefix);
/// interface values that need new type definitions cut that part into a length-prefixed
/// chunk exactly where Go flushes it.
pub struct Enc<'a> {
    buf: &'a mut Vec<u8>,
    region: usize,
    /// The bytes reserved before `region` for its length (1 but for a message's first part).
    region_prefix: usize,
    schema: &'a mut Schema,
    depth: usize,
}

/// Maximum nesting of values the encoder follows (a guard against cyclic `Rc`-free but very
/// deep structures).
const MAX_ENCODE_DEPTH: usize = 1024;

impl<'a> Enc<'a> {
    /// Appends an unsigned integer.
    #[inline]
    pub fn put_uint(&mut self, v: u64) {
        put_uint(self.buf, v)
    }
    /// Appends a signed integer.
    #[inline]
    pub fn put_int(&mut self, v: i64) {
        put_int(self.buf, v)
    }
    /// Appends a float.
    #[inline]
    pub fn put_float(&mut self, v: f64) {
        put_float(self.buf, v)
    }
    /// Appends a length-prefixed byte string.
    #[inline]
    pub fn put_bytes(&mut self, b: &[u8]) {
        put_bytes(self.buf, b)
    }

    /// The stream's schema (to describe types of values about to be written).
    pub fn schema(&mut self) -> &mut Schema {
        self.schema
    }

    /// Writes one struct field: its delta from the previous field number and its value.
    /// Returns the new "previous field" number. Skips the field when gob omits it.
    #[inline]
    pub fn field<T: Encode + ?Sized>(&mut self, prev: i64, number: i64, v: &T) -> Result<i64> {
        if v.omit_in_struct() {
            return Ok(prev);
        }
        self.put_uint((number - prev) as u64);
        self.value(v)?;
        Ok(number)
    }

    /// Ends a struct.
    #[inline]
    pub fn end_struct(&mut self) {
        self.put_uint(0)
    }

    /// Writes a nested value, guarding the depth.
    #[inline]
    pub fn value<T: Encode + ?Sized>(&mut self, v: &T) -> Result<()> {
        self.nested(|e| v.encode(e))
    }

    /// Runs `f` one nesting level deeper, refusing values nested beyond `MAX_ENCODE_DEPTH`.
    #[inline]
    pub(crate) fn nested(&mut self, f: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        self.depth += 1;
        let r = if self.depth > MAX_ENCODE_DEPTH {
            Err(Error::encode("value nesting too deep"))
        } else {
            f(self)
        };
        self.depth -= 1;
        r
    }

    /// Sends every definition `id` still needs, Go's way: the first one is appended to the
    /// current part and the part is flushed as one chunk; the others follow as chunks of their
    /// own.
    #[inline]
    fn send_defs(&mut self, id: WireId) -> Result<()> {
        // Builtin and bootstrap ids (most interface values) are never defined.
        if id < ids::FIRST_USER || !self.schema.needs_send(id) {
            return Ok(());
        }
        self.send_new_defs(id)
    }

    /// [`Enc::send_defs`] once a definition is known to be due.
    #[inline(never)]
    fn send_new_defs(&mut self, id: WireId) -> Result<()> {
        let mut stack = vec![id];
        // Pre-order depth-first, children in order: Go's sendActualType recursion. Ids Go
        // allocates while sending (a pointer marshaler's second id, the companions of a
        // marshaler) are allocated here, in the same order.
        let mut order = Vec::new();
        while let Some(t) = stack.pop() {
            if !self.schema.needs_send(t) {
                continue;
            }
            let Some(def) = self.schema.def_mut(t) else {
                continue;
            };
            def.sent = true;
            let children = def.children.clone();
            let pointer_id = def.pointer_id;
            let companions = std::mem::take(&mut def.companions);
            self.schema.sent_log.push(t);
            if pointer_id {
                let inner = self.schema.alloc();
                if let Some(def) = self.schema.def_mut(t) {
                    def.wire.set_common_id(inner);
                }
            }
            order.push(t);
            let mut next = children;
            for c in &companions {
                next.push(self.schema.describe_dyn(c)?);
            }
            if let Some(def) = self.schema.def_mut(t) {
                def.companions = companions;
            }
            for c in next.into_iter().rev() {
                stack.push(c);
            }
        }
        for t in order {
            let Some(def) = self.schema.def_mut(t) else {
                continue;
            };
            let wire = def.wire.clone();
            put_int(self.buf, -t);
            wire.encode(self.buf);
            close_chunk_reserved(self.buf, self.region, self.region_prefix);
            self.region = open_chunk(self.buf);
            self.region_prefix = 1;
        }
        Ok(())
    }

    /// The body of a non-nil interface value: its name, the definitions and id of its type,
    /// and the value in a chunk of its own.
    pub(crate) fn named_value(
        &mut self,
        name: &str,
        is_struct: bool,
        wire_type: impl FnOnce(&mut Schema) -> Result<WireId>,
        encode: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        if name.is_empty() {
            return Err(Error::encode("interface value with an empty type name"));
        }
        self.put_bytes(name.as_bytes());
        let id = wire_type(self.schema)?;
        self.send_defs(id)?;
        self.put_int(id);
        let saved = (self.region, self.region_prefix);
        self.region = open_chunk(self.buf);
        self.region_prefix = 1;
        if !is_struct {
            self.put_uint(0);
        }
        self.nested(encode)
            .map_err(|e| e.in_path(format!("({name})")))?;
        close_chunk(self.buf, self.region);
        (self.region, self.region_prefix) = saved;
        Ok(())
    }
}

/// A gob stream encoder: one per byte stream, remembers which types it has sent.
///
/// Each [`Encoder::encode_into`] call is all or nothing: when a value fails to encode part
/// way (a nil pointer element, an interface without a name, nesting too deep, ...) the
/// output is left untouched and the stream state is rolled back, so type definitions that
/// the failed value would have carried are sent with the next value that needs them and the
/// peer never sees a reference to a type it was not told about.
pub struct Encoder {
    schema: Schema,
    max_message: u64,
    /// The encoded size of the last message's length, for the last few top-level types
    /// (net/rpc alternates a small header and a body of its own size): the bytes reserved
    /// for the length of the next message of that type.
    prefix_guess: [(WireId, u8); 4],
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new()
    }
}

impl Encoder {
    /// A fresh encoder (type ids from 64, Go's message limit).
    pub fn new() -> Self {
        Encoder {
            schema: Schema::new(),
            max_message: GO_MAX_MESSAGE,
            prefix_guess: [(0, 1); 4],
        }
    }

    /// A fresh encoder with a custom first type id (65 reproduces Go ≤ 1.20 byte for byte).
    pub fn with_first_id(first: WireId) -> Self {
        Encoder {
            schema: Schema::with_first_id(first),
            max_message: GO_MAX_MESSAGE,
            prefix_guess: [(0, 1); 4],
        }
    }

    /// Sets the largest message this encoder will write (Go refuses ≥ 8 GiB).
    pub fn set_max_message(&mut self, limit: u64) {
        self.max_message = limit;
    }

    /// Appends the messages for one top-level value (type definitions first, then the value,
    /// split where Go splits it) to `out`.
    ///
    /// On error nothing is appended and the encoder's stream state is exactly as before the
    /// call: type ids allocated and definitions marked as sent during the failed call are
    /// released, so a later value that needs the same types sends their definitions again.
    pub fn encode_into<T: Encode + ?Sized>(&mut self, value: &T, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        let cp = self.schema.checkpoint();
        let r = self.encode_inner(value, out);
        if r.is_err() {
            out.truncate(start);
            self.schema.rollback(cp);
        }
        r
    }

    fn encode_inner<T: Encode + ?Sized>(&mut self, value: &T, out: &mut Vec<u8>) -> Result<()> {
        let id = value.wire_type(&mut self.schema)?;
        // The message's length goes before it: reserve as many bytes as the length of the
        // last message of this type took, so that similar messages move nothing.
        let guess = self
            .prefix_guess
            .iter()
            .find(|(t, _)| *t == id)
            .map_or(1, |(_, n)| usize::from(*n));
        let region = open_chunk_reserved(out, guess);
        let mut enc = Enc {
            buf: out,
            region,
            region_prefix: guess,
            schema: &mut self.schema,
            depth: 0,
        };
        enc.send_defs(id)?;
        enc.put_int(id);
        if !value.is_struct() {
            enc.put_uint(0);
        }
        value.encode(&mut enc)?;
        let (last, prefix) = (enc.region, enc.region_prefix);
        if (enc.buf.len() - last) as u64 >= self.max_message {
            return Err(Error::encode("gob: encoder: message too big"));
        }
        let used = close_chunk_reserved(enc.buf, last, prefix);
        if last == region {
            // The most recent type first; the oldest of the four drops out.
            let slot = self
                .prefix_guess
                .iter()
                .position(|(t, _)| *t == id)
                .unwrap_or(self.prefix_guess.len() - 1);
            self.prefix_guess[..=slot].rotate_right(1);
            self.prefix_guess[0] = (id, used as u8);
        }
        Ok(())
    }

    /// Encodes one top-level value into a new buffer.
    pub fn encode<T: Encode + ?Sized>(&mut self, value: &T) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_into(value, &mut out)?;
        Ok(out)
    }
}
