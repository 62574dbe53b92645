//! The dynamic type model: [`Type`], a wire type graph with Go's names, built from
//! definitions in shared, immutable [`TypeGroup`]s. Below both the encoder (which describes
//! these types to a stream) and [`Value`](crate::Value) (which keeps its type), so that
//! neither has to import the other for it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};

/// A wire type as seen by the dynamic model.
///
/// Builtins are plain variants; composite types are definitions in shared, immutable
/// [`TypeGroup`]s. Definitions that refer to each other (recursive types such as
/// `type T []T`) live in one group and refer to each other by index, and a group refers
/// only to groups built before it, so the type graph holds no reference cycles: a type is
/// freed with the last value, decoder or encoder that uses it.
#[derive(Clone)]
pub enum Type {
    /// bool
    Bool,
    /// every signed integer kind
    Int,
    /// every unsigned integer kind
    Uint,
    /// float32 and float64
    Float,
    /// complex64 and complex128
    Complex,
    /// string
    String,
    /// `[]byte`
    Bytes,
    /// every interface type
    Interface,
    /// A composite definition (struct, slice, array, map, marshaler).
    Def(TypeDef),
}

/// The shape of a composite definition; `T` is how it refers to other types: [`Type`] for a
/// stand-alone definition, [`TypeRef`] inside a [`TypeGroup`].
#[derive(Clone, Debug)]
pub enum DefKind<T = Type> {
    /// A struct: fields in wire order.
    Struct(Vec<(String, T)>),
    /// `[]T`
    Slice(T),
    /// `[N]T`
    Array(u64, T),
    /// `map[K]V`
    Map(T, T),
    /// GobEncoder payload type.
    GobEncoder,
    /// BinaryMarshaler payload type.
    BinaryMarshaler,
    /// TextMarshaler payload type.
    TextMarshaler,
}

impl<T> DefKind<T> {
    /// The same shape with every type reference mapped by `f`.
    pub fn try_map<U, E>(
        self,
        mut f: impl FnMut(T) -> std::result::Result<U, E>,
    ) -> std::result::Result<DefKind<U>, E> {
        Ok(match self {
            DefKind::Struct(fields) => DefKind::Struct(
                fields
                    .into_iter()
                    .map(|(n, t)| Ok((n, f(t)?)))
                    .collect::<std::result::Result<_, E>>()?,
            ),
            DefKind::Slice(e) => DefKind::Slice(f(e)?),
            DefKind::Array(n, e) => DefKind::Array(n, f(e)?),
            DefKind::Map(k, v) => DefKind::Map(f(k)?, f(v)?),
            DefKind::GobEncoder => DefKind::GobEncoder,
            DefKind::BinaryMarshaler => DefKind::BinaryMarshaler,
            DefKind::TextMarshaler => DefKind::TextMarshaler,
        })
    }

    /// The same shape with every type reference mapped by `f`.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> DefKind<U> {
        match self.try_map(|t| Ok::<U, std::convert::Infallible>(f(t))) {
            Ok(k) => k,
            Err(never) => match never {},
        }
    }

    /// The kind's name for messages (`struct`, `slice`, ...).
    fn label(&self) -> &'static str {
        match self {
            DefKind::Struct(_) => "struct",
            DefKind::Slice(_) => "slice",
            DefKind::Array(..) => "array",
            DefKind::Map(..) => "map",
            DefKind::GobEncoder => "GobEncoder",
            DefKind::BinaryMarshaler => "BinaryMarshaler",
            DefKind::TextMarshaler => "TextMarshaler",
        }
    }
}

/// How a definition in a [`TypeGroup`] refers to another type.
#[derive(Clone, Debug)]
pub enum TypeRef {
    /// Another definition of the same group, by index (this is how recursion is expressed).
    Local(usize),
    /// A builtin or a definition of another, already built group.
    Type(Type),
}

impl From<Type> for TypeRef {
    fn from(t: Type) -> Self {
        TypeRef::Type(t)
    }
}

/// One definition of a [`TypeGroup`].
#[derive(Clone, Debug)]
pub struct GroupDef {
    /// Go's informational name (`CommonType.Name`), kept for byte-exact re-encoding.
    pub name: String,
    /// The shape; [`TypeRef::Local`] indices point into the same group.
    pub kind: DefKind<TypeRef>,
    /// True for a marshaler definition as Go writes it for a pointer type `*T`: Go defines the
    /// base type's id, but the definition's `CommonType.Id` is a second id that Go allocates
    /// for `*T` when it sends the definition (and the name is the pointer's, i.e. empty).
    /// Re-encoding reproduces that extra id so later ids match Go's.
    pub pointer_id: bool,
    /// For a marshaler definition: the types Go sends right after it although no value
    /// refers to them. Go's encoder describes the exported field types of a marshaler whose
    /// Go type is a struct (and the element types of a slice, array or map marshaler), in
    /// order; the decoder keeps them so that re-encoding sends the same definitions.
    pub companions: Vec<TypeRef>,
    /// Ids Go allocated, and never sent, just before this definition's id: Go's
    /// `getTypeInfo(*T)` for a marshaler `T` whose (non-pointer) definition was already sent,
    /// when a `*T` is encoded at top level or in an interface. The bytes of that value are
    /// the same as for a `T`; only the gap in later ids shows it. Re-encoding skips as many
    /// ids before allocating this definition's id, so later ids match Go's.
    pub skip_ids: u32,
}

impl GroupDef {
    /// A definition without Go's extra pointer-type id.
    pub fn new(name: impl Into<String>, kind: DefKind<TypeRef>) -> Self {
        GroupDef {
            name: name.into(),
            kind,
            pointer_id: false,
            companions: Vec::new(),
            skip_ids: 0,
        }
    }
}

/// An immutable group of composite definitions that may refer to each other by index.
///
/// The decoder makes one group per strongly connected component of the wire type graph (a
/// recursive type and the definitions in its cycles; any other definition is a group of one).
/// Because a group is complete when it is built, and can only refer to groups that already
/// exist, `Arc`s between groups never form a cycle.
#[derive(Debug)]
pub struct TypeGroup {
    defs: Box<[GroupDef]>,
    /// False for a stand-alone definition made by [`Type::slice`] and its siblings: those stand
    /// for Go's unnamed composite types, identical wherever their shape and name are (the
    /// encoder defines equal ones once). Groups built by [`TypeGroup::build`] (the decoder's,
    /// the typed-JSON reader's) are distinct types however they look, as Go's named types are.
    nominal: bool,
}

impl TypeGroup {
    /// Builds a group and returns the types of its definitions, in order.
    ///
    /// Fails if a [`TypeRef::Local`] index is out of range.
    pub fn build(defs: Vec<GroupDef>) -> Result<Vec<Type>> {
        let n = defs.len();
        if u32::try_from(n).is_err() {
            return Err(Error::encode(format!("type group of {n} definitions")));
        }
        let local = |r: &TypeRef| matches!(r, TypeRef::Local(i) if *i >= n);
        for (i, d) in defs.iter().enumerate() {
            let bad = d.companions.iter().any(local)
                || match &d.kind {
                    DefKind::Struct(fields) => fields.iter().any(|(_, r)| local(r)),
                    DefKind::Slice(e) | DefKind::Array(_, e) => local(e),
                    DefKind::Map(k, v) => local(k) || local(v),
                    _ => false,
                };
            if bad {
                return Err(Error::encode(format!(
                    "type group: definition {i} ({:?}) refers past the group's {n} definitions",
                    d.name
                )));
            }
        }
        let group = Arc::new(TypeGroup {
            defs: defs.into(),
            nominal: true,
        });
        Ok((0..n as u32)
            .map(|index| Type::Def(TypeDef::at(&group, index)))
            .collect())
    }

    /// The definitions.
    pub fn defs(&self) -> &[GroupDef] {
        &self.defs
    }
}

/// Never read: its 255 invalid values give [`Type`] a niche, which keeps `Type` (and so
/// [`Value`](crate::Value)) as small as a single pointer plus tag.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Niche {
    Zero = 0,
}

/// A composite type: one definition of a [`TypeGroup`] (a handle; cloning is cheap).
#[derive(Clone)]
pub struct TypeDef {
    group: Arc<TypeGroup>,
    index: u32,
    _niche: Niche,
}

impl TypeDef {
    /// The handle of definition `index`, which the caller has checked is in range.
    fn at(group: &Arc<TypeGroup>, index: u32) -> TypeDef {
        TypeDef {
            group: group.clone(),
            index,
            _niche: Niche::Zero,
        }
    }

    /// A stand-alone (non-recursive) definition.
    pub fn new(name: impl Into<String>, kind: DefKind) -> TypeDef {
        TypeDef::single(GroupDef::new(name, kind.into_refs()))
    }

    fn single(def: GroupDef) -> TypeDef {
        let group = Arc::new(TypeGroup {
            defs: Box::new([def]),
            nominal: false,
        });
        TypeDef::at(&group, 0)
    }

    #[inline]
    fn node(&self) -> &GroupDef {
        // In range: every handle is made by `TypeDef::at` with a checked index.
        &self.group.defs[self.index as usize]
    }

    /// Go's informational name (`CommonType.Name`).
    pub fn name(&self) -> &str {
        &self.node().name
    }

    /// True for a marshaler definition whose `CommonType.Id` is Go's extra pointer-type id
    /// (see [`GroupDef::pointer_id`]).
    pub fn pointer_id(&self) -> bool {
        self.node().pointer_id
    }

    /// Ids Go allocated and never sent right before this definition's id (see
    /// [`GroupDef::skip_ids`]).
    pub fn skip_ids(&self) -> u32 {
        self.node().skip_ids
    }

    /// The types Go sends after this (marshaler) definition without a value using them (see
    /// [`GroupDef::companions`]).
    pub fn companions(&self) -> impl Iterator<Item = Type> + '_ {
        self.node().companions.iter().map(|r| self.resolve(r))
    }

    /// The shape as stored: references to the same group are [`TypeRef::Local`] (see
    /// [`TypeDef::resolve`]).
    #[inline]
    pub fn shape(&self) -> &DefKind<TypeRef> {
        &self.node().kind
    }

    /// The type a reference of this definition's shape stands for. (Every `Local` index of
    /// a group's own shapes is in range; any other reads as `interface`.)
    pub fn resolve(&self, r: &TypeRef) -> Type {
        match r {
            TypeRef::Type(t) => t.clone(),
            // A `Local` index from this group's shapes is in range (checked when built).
            TypeRef::Local(i) => match u32::try_from(*i) {
                Ok(i) if (i as usize) < self.group.defs.len() => {
                    Type::Def(TypeDef::at(&self.group, i))
                }
                _ => Type::Interface,
            },
        }
    }

    /// The shape with every reference resolved to a [`Type`].
    pub fn kind(&self) -> DefKind {
        self.shape().clone().map(|t| self.resolve(&t))
    }

    /// True for struct definitions.
    pub fn is_struct(&self) -> bool {
        matches!(self.shape(), DefKind::Struct(_))
    }

    /// The group this definition belongs to.
    pub fn group(&self) -> &Arc<TypeGroup> {
        &self.group
    }

    /// The definition's index in its group.
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// True when both handles name the same definition (not merely an equal one).
    pub fn same_def(&self, other: &TypeDef) -> bool {
        self.index == other.index && Arc::ptr_eq(&self.group, &other.group)
    }

    /// Go's type string, for the definitions known to stand for one unnamed Go type: the
    /// shared [`Type::string_interface_map`] and [`Type::interface_slice`], and a definition
    /// of their shape that Go named with that very type string.
    pub(crate) fn well_known_go_type(&self) -> Option<&'static str> {
        let is = |t: &std::sync::OnceLock<Type>| matches!(t.get(), Some(Type::Def(d)) if d.same_def(self));
        if is(&STRING_INTERFACE_MAP) {
            return Some("map[string]interface {}");
        }
        if is(&INTERFACE_SLICE) {
            return Some("[]interface {}");
        }
        // A definition Go named with the type string itself is that unnamed type: Go names a
        // struct field's unnamed type by its String(), a named type by its bare name.
        match (self.shape(), self.name()) {
            (
                DefKind::Map(TypeRef::Type(Type::String), TypeRef::Type(Type::Interface)),
                "map[string]interface {}",
            ) => Some("map[string]interface {}"),
            (DefKind::Slice(TypeRef::Type(Type::Interface)), "[]interface {}") => {
                Some("[]interface {}")
            }
            _ => None,
        }
    }

    /// True when equal definitions of this kind are one type (see `TypeGroup::nominal`).
    pub(crate) fn structural(&self) -> bool {
        !self.group.nominal
    }

    /// An identity for the definition, valid while its group is alive (the address of the
    /// definition in its group).
    #[inline]
    pub(crate) fn key(&self) -> usize {
        self.node() as *const GroupDef as usize
    }
}

impl fmt::Debug for TypeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shallow on purpose, as for `Type`: recursive definitions must not recurse forever.
        write!(f, "{} {:?}", self.shape().label(), self.name())
    }
}

impl DefKind {
    /// The shape of a stand-alone definition: every reference is to an existing type.
    fn into_refs(self) -> DefKind<TypeRef> {
        self.map(TypeRef::Type)
    }
}

static STRING_INTERFACE_MAP: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
static INTERFACE_SLICE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();

impl Type {
    /// A struct type.
    pub fn structure(name: impl Into<String>, fields: Vec<(String, Type)>) -> Type {
        Type::Def(TypeDef::new(name, DefKind::Struct(fields)))
    }

    /// A slice type.
    pub fn slice(name: impl Into<String>, elem: Type) -> Type {
        Type::Def(TypeDef::new(name, DefKind::Slice(elem)))
    }

    /// A map type.
    pub fn map(name: impl Into<String>, key: Type, elem: Type) -> Type {
        Type::Def(TypeDef::new(name, DefKind::Map(key, elem)))
    }

    /// An array type.
    pub fn array(name: impl Into<String>, len: u64, elem: Type) -> Type {
        Type::Def(TypeDef::new(name, DefKind::Array(len, elem)))
    }

    /// Go's `map[string]interface {}` as a top-level or interface type (unnamed on the wire).
    /// One shared type, cheap to clone; on an encoder's stream it is the same type as a Rust
    /// map of `GoStr` (or `String`) to `Interface`.
    pub fn string_interface_map() -> Type {
        STRING_INTERFACE_MAP
            .get_or_init(|| Type::map("", Type::String, Type::Interface))
            .clone()
    }

    /// Go's `[]interface {}` (unnamed on the wire). One shared type, cheap to clone; on an
    /// encoder's stream it is the same type as a Rust `Vec<Interface>`.
    pub fn interface_slice() -> Type {
        INTERFACE_SLICE
            .get_or_init(|| Type::slice("", Type::Interface))
            .clone()
    }

    /// The definition, for composite types.
    pub fn def(&self) -> Option<&TypeDef> {
        match self {
            Type::Def(d) => Some(d),
            _ => None,
        }
    }

    /// True for struct types.
    pub fn is_struct(&self) -> bool {
        self.def().is_some_and(|d| d.is_struct())
    }

    /// A short name for messages: the builtin name or the definition's kind and name.
    pub fn short_name(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::Uint => "uint".into(),
            Type::Float => "float".into(),
            Type::Complex => "complex".into(),
            Type::String => "string".into(),
            Type::Bytes => "bytes".into(),
            Type::Interface => "interface".into(),
            Type::Def(d) => {
                let k = d.shape().label();
                if d.name().is_empty() {
                    k.to_string()
                } else {
                    format!("{k} {}", d.name())
                }
            }
        }
    }

    /// Structural equality, bounded in depth so recursive types terminate.
    fn same(&self, other: &Type, depth: usize) -> bool {
        match (self, other) {
            (Type::Def(a), Type::Def(b)) => {
                if a.same_def(b) {
                    return true;
                }
                if a.name() != b.name() {
                    return false;
                }
                if depth == 0 {
                    return true;
                }
                let same = |x: &TypeRef, y: &TypeRef| a.resolve(x).same(&b.resolve(y), depth - 1);
                match (a.shape(), b.shape()) {
                    (DefKind::Struct(x), DefKind::Struct(y)) => {
                        x.len() == y.len()
                            && x.iter().zip(y).all(|(p, q)| p.0 == q.0 && same(&p.1, &q.1))
                    }
                    (DefKind::Slice(x), DefKind::Slice(y)) => same(x, y),
                    (DefKind::Array(n, x), DefKind::Array(m, y)) => n == m && same(x, y),
                    (DefKind::Map(k1, v1), DefKind::Map(k2, v2)) => same(k1, k2) && same(v1, v2),
                    (DefKind::GobEncoder, DefKind::GobEncoder)
                    | (DefKind::BinaryMarshaler, DefKind::BinaryMarshaler)
                    | (DefKind::TextMarshaler, DefKind::TextMarshaler) => true,
                    _ => false,
                }
            }
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl PartialEq for Type {
    fn eq(&self, other: &Type) -> bool {
        self.same(other, 6)
    }
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shallow on purpose: recursive types must not recurse forever.
        f.write_str(&self.short_name())
    }
}

/// A best-effort Go type string for a dynamic type (used for default interface names).
pub(crate) fn go_type_string(t: &Type, depth: usize) -> Cow<'static, str> {
    let builtin = match t {
        Type::Bool => "bool",
        Type::Int => "int",
        Type::Uint => "uint",
        Type::Float => "float64",
        Type::Complex => "complex128",
        Type::String => "string",
        Type::Bytes => "[]uint8",
        Type::Interface => "interface {}",
        Type::Def(d) => {
            if !d.name().is_empty() || depth == 0 {
                return Cow::Owned(d.name().to_string());
            }
            match d.shape() {
                DefKind::Slice(TypeRef::Type(Type::Interface)) => "[]interface {}",
                DefKind::Map(TypeRef::Type(Type::String), TypeRef::Type(Type::Interface)) => {
                    "map[string]interface {}"
                }
                shape => {
                    let s = |r: &TypeRef| go_type_string(&d.resolve(r), depth - 1);
                    return Cow::Owned(match shape {
                        DefKind::Slice(e) => format!("[]{}", s(e)),
                        DefKind::Array(n, e) => format!("[{n}]{}", s(e)),
                        DefKind::Map(k, v) => format!("map[{}]{}", s(k), s(v)),
                        _ => String::new(),
                    });
                }
            }
        }
    };
    Cow::Borrowed(builtin)
}

impl Type {
    /// Whether a map's keys (`.0`) and the elements of a slice, array or map (`.1`) are
    /// `interface{}` values, which [`Value`](crate::Value) stores in its interface-position
    /// form.
    pub fn interface_positions(&self) -> (bool, bool) {
        let is = |r: &TypeRef| matches!(r, TypeRef::Type(Type::Interface));
        match self.def().map(|d| d.shape()) {
            Some(DefKind::Slice(e)) | Some(DefKind::Array(_, e)) => (false, is(e)),
            Some(DefKind::Map(k, v)) => (is(k), is(v)),
            _ => (false, false),
        }
    }

    /// Whether struct field `i` of this (struct) type is an `interface{}` field.
    pub fn field_is_interface(&self, i: usize) -> bool {
        match self.def().map(|d| d.shape()) {
            Some(DefKind::Struct(f)) => {
                matches!(f.get(i), Some((_, TypeRef::Type(Type::Interface))))
            }
            _ => false,
        }
    }
}
