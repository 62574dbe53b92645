//! The dynamic model: [`Type`] (a wire type graph with Go's names) and [`Value`] (a decoded
//! value that keeps its Go wire type, so that it can be re-encoded for Go), plus
//! [`Interface`], the Rust side of a Go `interface{}` slot.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::error::Result;

/// The string type of dynamic values: up to 24 bytes are stored inline, without an
/// allocation (most record fields, map keys and Go names are that short).
pub type GoStr = compact_str::CompactString;

/// A wire type as seen by the dynamic model.
///
/// Builtins are plain variants; composite types are shared definitions that may be recursive.
/// (Recursive definitions form `Arc` cycles; they live as long as the decoder or value that
/// holds them plus the cycle itself, which is bounded by the decoder's type-count limit.)
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
    Def(Arc<TypeDef>),
}

/// A composite type definition.
pub struct TypeDef {
    /// Go's informational name (`CommonType.Name`), kept for byte-exact re-encoding.
    pub name: String,
    kind: OnceLock<DefKind>,
    pointer_id: bool,
}

/// The shape of a composite definition.
#[derive(Clone)]
pub enum DefKind {
    /// A struct: fields in wire order.
    Struct(Vec<(String, Type)>),
    /// `[]T`
    Slice(Type),
    /// `[N]T`
    Array(u64, Type),
    /// `map[K]V`
    Map(Type, Type),
    /// GobEncoder payload type.
    GobEncoder,
    /// BinaryMarshaler payload type.
    BinaryMarshaler,
    /// TextMarshaler payload type.
    TextMarshaler,
}

impl TypeDef {
    /// A definition whose shape is set later (needed for recursive types).
    pub fn pending(name: impl Into<String>) -> Arc<TypeDef> {
        Arc::new(TypeDef {
            name: name.into(),
            kind: OnceLock::new(),
            pointer_id: false,
        })
    }

    /// A pending marshaler definition as Go writes it for a pointer type `*T`: Go defines the
    /// base type's id, but the definition's `CommonType.Id` is a second id that Go allocates
    /// for `*T` when it sends the definition (and the name is the pointer's, i.e. empty).
    /// Re-encoding reproduces that extra id so later ids match Go's.
    pub fn pending_pointer_id(name: impl Into<String>) -> Arc<TypeDef> {
        Arc::new(TypeDef {
            name: name.into(),
            kind: OnceLock::new(),
            pointer_id: true,
        })
    }

    /// True for a marshaler definition whose `CommonType.Id` is Go's extra pointer-type id
    /// (see [`TypeDef::pending_pointer_id`]).
    pub fn pointer_id(&self) -> bool {
        self.pointer_id
    }

    /// A complete definition.
    pub fn new(name: impl Into<String>, kind: DefKind) -> Arc<TypeDef> {
        let d = TypeDef::pending(name);
        let _ = d.kind.set(kind);
        d
    }

    /// Sets the shape of a pending definition; returns false if it was already set.
    pub fn complete(&self, kind: DefKind) -> bool {
        self.kind.set(kind).is_ok()
    }

    /// The shape. A pending definition that was never completed reads as an empty struct.
    pub fn kind(&self) -> &DefKind {
        static EMPTY: DefKind = DefKind::Struct(Vec::new());
        self.kind.get().unwrap_or(&EMPTY)
    }
}

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
    pub fn string_interface_map() -> Type {
        Type::map("", Type::String, Type::Interface)
    }

    /// Go's `[]interface {}` (unnamed on the wire).
    pub fn interface_slice() -> Type {
        Type::slice("", Type::Interface)
    }

    /// The definition, for composite types.
    pub fn def(&self) -> Option<&Arc<TypeDef>> {
        match self {
            Type::Def(d) => Some(d),
            _ => None,
        }
    }

    /// True for struct types.
    pub fn is_struct(&self) -> bool {
        matches!(self.def().map(|d| d.kind()), Some(DefKind::Struct(_)))
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
                let k = match d.kind() {
                    DefKind::Struct(_) => "struct",
                    DefKind::Slice(_) => "slice",
                    DefKind::Array(..) => "array",
                    DefKind::Map(..) => "map",
                    DefKind::GobEncoder => "GobEncoder",
                    DefKind::BinaryMarshaler => "BinaryMarshaler",
                    DefKind::TextMarshaler => "TextMarshaler",
                };
                if d.name.is_empty() {
                    k.to_string()
                } else {
                    format!("{k} {}", d.name)
                }
            }
        }
    }

    /// Structural equality, bounded in depth so recursive types terminate.
    fn same(&self, other: &Type, depth: usize) -> bool {
        match (self, other) {
            (Type::Def(a), Type::Def(b)) => {
                if Arc::ptr_eq(a, b) {
                    return true;
                }
                if a.name != b.name {
                    return false;
                }
                if depth == 0 {
                    return true;
                }
                match (a.kind(), b.kind()) {
                    (DefKind::Struct(x), DefKind::Struct(y)) => {
                        x.len() == y.len()
                            && x.iter()
                                .zip(y)
                                .all(|(p, q)| p.0 == q.0 && p.1.same(&q.1, depth - 1))
                    }
                    (DefKind::Slice(x), DefKind::Slice(y)) => x.same(y, depth - 1),
                    (DefKind::Array(n, x), DefKind::Array(m, y)) => n == m && x.same(y, depth - 1),
                    (DefKind::Map(k1, v1), DefKind::Map(k2, v2)) => {
                        k1.same(k2, depth - 1) && v1.same(v2, depth - 1)
                    }
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

/// A decoded gob value that keeps its wire type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// bool
    Bool(bool),
    /// Any signed integer kind.
    Int(i64),
    /// Any unsigned integer kind.
    Uint(u64),
    /// float32 or float64 (float32 travels widened).
    Float(f64),
    /// complex64 or complex128: (real, imaginary).
    Complex(f64, f64),
    /// A string that is valid UTF-8 (stored inline up to 24 bytes, see [`GoStr`]).
    String(GoStr),
    /// A string that is not valid UTF-8 (Go strings may hold any bytes).
    RawString(Vec<u8>),
    /// `[]byte`
    Bytes(Vec<u8>),
    /// A slice; the type is the slice type.
    Slice(Type, Vec<Value>),
    /// An array; the type is the array type.
    Array(Type, Vec<Value>),
    /// A map, entries in wire order; the type is the map type.
    Map(Type, Vec<(Value, Value)>),
    /// A struct: the struct type and the fields that were present, as (field index, value),
    /// in increasing field order.
    Struct(Type, Vec<(usize, Value)>),
    /// An interface value (possibly nil). Boxed: an [`Interface`] holds its dynamic value
    /// inline, so that typed containers of interfaces (`HashMap<String, Interface>`) need no
    /// allocation per entry.
    Interface(Box<Interface>),
    /// The payload of a GobEncoder / BinaryMarshaler type (e.g. `time.Time`).
    Marshaled(Type, Vec<u8>),
}

impl Value {
    /// The wire type of this value.
    pub fn ty(&self) -> Type {
        match self {
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Uint(_) => Type::Uint,
            Value::Float(_) => Type::Float,
            Value::Complex(..) => Type::Complex,
            Value::String(_) | Value::RawString(_) => Type::String,
            Value::Bytes(_) => Type::Bytes,
            Value::Interface(_) => Type::Interface,
            Value::Slice(t, _)
            | Value::Array(t, _)
            | Value::Map(t, _)
            | Value::Struct(t, _)
            | Value::Marshaled(t, _) => t.clone(),
        }
    }

    /// Looks up a present struct field by name.
    pub fn field(&self, name: &str) -> Option<&Value> {
        let Value::Struct(Type::Def(d), fields) = self else {
            return None;
        };
        let DefKind::Struct(defs) = d.kind() else {
            return None;
        };
        fields
            .iter()
            .find(|(i, _)| defs.get(*i).is_some_and(|(n, _)| n == name))
            .map(|(_, v)| v)
    }

    /// The string, for string values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up a map entry whose key is the given string.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(_, entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Go's default interface name for this value when it has no better one
    /// (`int`, `float64`, `string`, `map[string]interface {}`, ...).
    pub fn default_go_name(&self) -> String {
        match self {
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Uint(_) => "uint".into(),
            Value::Float(_) => "float64".into(),
            Value::Complex(..) => "complex128".into(),
            Value::String(_) | Value::RawString(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::Interface(_) => "interface {}".into(),
            Value::Slice(t, _)
            | Value::Array(t, _)
            | Value::Map(t, _)
            | Value::Struct(t, _)
            | Value::Marshaled(t, _) => go_type_string(t, 4),
        }
    }
}

/// A best-effort Go type string for a dynamic type (used for default interface names).
fn go_type_string(t: &Type, depth: usize) -> String {
    match t {
        Type::Bool => "bool".into(),
        Type::Int => "int".into(),
        Type::Uint => "uint".into(),
        Type::Float => "float64".into(),
        Type::Complex => "complex128".into(),
        Type::String => "string".into(),
        Type::Bytes => "[]uint8".into(),
        Type::Interface => "interface {}".into(),
        Type::Def(d) => {
            if !d.name.is_empty() || depth == 0 {
                return d.name.clone();
            }
            match d.kind() {
                DefKind::Slice(e) => format!("[]{}", go_type_string(e, depth - 1)),
                DefKind::Array(n, e) => format!("[{n}]{}", go_type_string(e, depth - 1)),
                DefKind::Map(k, v) => format!(
                    "map[{}]{}",
                    go_type_string(k, depth - 1),
                    go_type_string(v, depth - 1)
                ),
                _ => String::new(),
            }
        }
    }
}

/// The concrete value inside a non-nil [`Interface`]: either a dynamic [`Value`] or a typed
/// Rust value registered under its Go name.
pub trait Concrete: Any + Send + Sync + fmt::Debug {
    /// The Go name sent on the wire (e.g. `*dispatcher.EntityInput`, `float64`).
    fn go_name(&self) -> &str;
    /// Registers the concrete type with the stream's schema and returns its wire id.
    fn wire_type(&self, schema: &mut crate::encode::Schema) -> Result<crate::WireId>;
    /// Encodes the concrete value as gob would at top level (struct fields or a singleton).
    fn encode_concrete(&self, enc: &mut crate::encode::Enc<'_>) -> Result<()>;
    /// True when the concrete value is a struct (no singleton marker).
    fn is_struct(&self) -> bool;
    /// Clones into a box.
    fn clone_box(&self) -> Box<dyn Concrete>;
    /// Equality with another concrete value.
    fn eq_dyn(&self, other: &dyn Concrete) -> bool;
    /// For downcasting.
    fn as_any(&self) -> &dyn Any;
    /// For downcasting by value.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    /// The dynamic value, when this concrete value is dynamic.
    fn as_value(&self) -> Option<&Value> {
        None
    }
}

/// A dynamic concrete value: a Go name and a [`Value`].
#[derive(Debug, Clone, PartialEq)]
pub struct DynConcrete {
    /// The Go name on the wire (inline up to 24 bytes: copying it is cheaper than counting
    /// references to a shared name, and almost all Go type names are that short).
    pub name: Arc<str>,
    /// The value.
    pub value: Value,
}

impl Concrete for DynConcrete {
    fn go_name(&self) -> &str {
        &self.name
    }
    fn wire_type(&self, schema: &mut crate::encode::Schema) -> Result<crate::WireId> {
        crate::Encode::wire_type(&self.value, schema)
    }
    fn encode_concrete(&self, enc: &mut crate::encode::Enc<'_>) -> Result<()> {
        crate::Encode::encode(&self.value, enc)
    }
    fn is_struct(&self) -> bool {
        crate::Encode::is_struct(&self.value)
    }
    fn clone_box(&self) -> Box<dyn Concrete> {
        Box::new(self.clone())
    }
    fn eq_dyn(&self, other: &dyn Concrete) -> bool {
        other.as_any().downcast_ref::<DynConcrete>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
    fn as_value(&self) -> Option<&Value> {
        Some(&self.value)
    }
}

/// A Go `interface{}` value: nil, or a named concrete value.
#[derive(Default)]
pub struct Interface(Slot);

/// What an [`Interface`] holds. A dynamic value is stored inline (the common case when
/// decoding `map[string]interface{}`), a typed one behind a box.
#[derive(Default)]
enum Slot {
    #[default]
    Nil,
    Dyn(DynConcrete),
    Typed(Box<dyn Concrete>),
}

impl Interface {
    /// The nil interface.
    pub fn nil() -> Self {
        Interface(Slot::Nil)
    }

    /// A dynamic value under an explicit Go name.
    pub fn new(name: impl Into<Arc<str>>, value: Value) -> Self {
        Interface(Slot::Dyn(DynConcrete {
            name: name.into(),
            value,
        }))
    }

    /// A dynamic value under Go's default name for it (see [`Value::default_go_name`]).
    pub fn from_value(value: Value) -> Self {
        let name = value.default_go_name();
        Interface::new(name, value)
    }

    /// A typed concrete value (a type with a registered Go name, e.g. a derived struct with
    /// `#[gob(interface = "*pkg.T")]`, or [`crate::GoTime`]).
    pub fn from_concrete<T: Concrete>(value: T) -> Self {
        Interface::from_box(Box::new(value))
    }

    /// Wraps an already boxed concrete value.
    pub fn from_box(value: Box<dyn Concrete>) -> Self {
        if value.as_any().is::<DynConcrete>() {
            if let Ok(d) = value.into_any().downcast::<DynConcrete>() {
                return Interface(Slot::Dyn(*d));
            }
            // Unreachable: the type was just checked; an empty interface is the safe answer.
            return Interface(Slot::Nil);
        }
        Interface(Slot::Typed(value))
    }

    /// True for the nil interface.
    pub fn is_nil(&self) -> bool {
        matches!(self.0, Slot::Nil)
    }

    /// The Go name of the concrete value.
    pub fn name(&self) -> Option<&str> {
        self.concrete().map(|c| c.go_name())
    }

    /// The concrete value.
    pub fn concrete(&self) -> Option<&dyn Concrete> {
        match &self.0 {
            Slot::Nil => None,
            Slot::Dyn(d) => Some(d),
            Slot::Typed(c) => Some(c.as_ref()),
        }
    }

    /// The dynamic value, when the concrete value is dynamic.
    pub fn value(&self) -> Option<&Value> {
        match &self.0 {
            Slot::Nil => None,
            Slot::Dyn(d) => Some(&d.value),
            Slot::Typed(c) => c.as_value(),
        }
    }

    /// The typed concrete value, when it is a `T`.
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.concrete().and_then(|c| c.as_any().downcast_ref::<T>())
    }

    /// Takes the typed concrete value out, when it is a `T`.
    pub fn downcast<T: 'static>(self) -> std::result::Result<T, Interface> {
        match self.0 {
            Slot::Typed(c) if c.as_any().is::<T>() => match c.into_any().downcast::<T>() {
                Ok(b) => Ok(*b),
                Err(_) => Err(Interface(Slot::Nil)),
            },
            Slot::Dyn(d) if (&d as &dyn Any).is::<T>() => {
                match (Box::new(d) as Box<dyn Any>).downcast::<T>() {
                    Ok(b) => Ok(*b),
                    Err(_) => Err(Interface(Slot::Nil)),
                }
            }
            other => Err(Interface(other)),
        }
    }
}

impl From<Interface> for Value {
    fn from(i: Interface) -> Value {
        Value::Interface(Box::new(i))
    }
}

impl Clone for Interface {
    fn clone(&self) -> Self {
        Interface(match &self.0 {
            Slot::Nil => Slot::Nil,
            Slot::Dyn(d) => Slot::Dyn(d.clone()),
            Slot::Typed(c) => Slot::Typed(c.clone_box()),
        })
    }
}

impl PartialEq for Interface {
    fn eq(&self, other: &Self) -> bool {
        match (self.concrete(), other.concrete()) {
            (None, None) => true,
            (Some(a), Some(b)) => a.go_name() == b.go_name() && a.eq_dyn(b),
            _ => false,
        }
    }
}

impl fmt::Debug for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.concrete() {
            None => f.write_str("nil"),
            Some(c) => write!(f, "({}) {:?}", c.go_name(), c),
        }
    }
}

macro_rules! iface_from {
    ($($t:ty => $name:literal, $conv:expr;)*) => {$(
        impl From<$t> for Interface {
            fn from(v: $t) -> Self {
                #[allow(clippy::redundant_closure_call)]
                Interface::new($name, ($conv)(v))
            }
        }
    )*};
}

iface_from! {
    bool => "bool", Value::Bool;
    i64 => "int64", Value::Int;
    i32 => "int32", |v: i32| Value::Int(v.into());
    isize => "int", |v: isize| Value::Int(v as i64);
    u64 => "uint64", Value::Uint;
    f64 => "float64", Value::Float;
    f32 => "float32", |v: f32| Value::Float(v.into());
    String => "string", |v: String| Value::String(v.into());
    &str => "string", |v: &str| Value::String(v.into());
    Vec<u8> => "[]uint8", Value::Bytes;
}
