//! The dynamic values: [`Value`] (a decoded value that keeps its Go wire type, a
//! [`Type`], so that it can be re-encoded for Go), plus [`Interface`], the Rust side of a Go
//! `interface{}` slot.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::dyntype::{go_type_string, DefKind, Type};
use crate::error::Result;

/// The string type of dynamic values: up to 24 bytes are stored inline, without an
/// allocation (most record fields, map keys and Go names are that short).
pub type GoStr = compact_str::CompactString;

/// A decoded gob value that keeps its wire type.
///
/// **Values in `interface{}` positions.** An element or key of a slice, array or map, or a
/// struct field, whose type is `interface{}` holds a Go interface value. When its Go name is
/// Go's default name for the value ([`Value::default_go_name`]: `string`, `float64`, `bool`,
/// `map[string]interface {}`, `[]interface {}`, ...) it is stored *bare*, as that value; a nil
/// interface is stored as [`Value::Nil`]; any other name (`int64`, `main.T`, `time.Time`,
/// ...) and an interface holding an interface are stored as [`Value::Interface`]. The decoder
/// and `From<Interface> for Value` produce this form (it saves an allocation per element of
/// JSON-shaped data); the encoder also accepts `Value::Interface` holding a default name or
/// nil there. A top-level interface value is always a `Value::Interface` (it is sent with its
/// name). `==` treats a bare value (or [`Value::Nil`]) and a `Value::Interface` holding it
/// under its default name (or nil) as equal wherever they are, although the two only encode
/// alike in an interface position.
///
/// **Size.** A `Value` is 24 bytes (a test checks it): composites keep their type and
/// contents behind one box, so that a decoded message of many small elements (nil
/// interfaces, booleans, small numbers, short strings: one or a few wire bytes each) holds at
/// most 24 bytes per wire byte.
#[derive(Clone, Debug)]
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
    RawString(Box<[u8]>),
    /// `[]byte`
    Bytes(Box<[u8]>),
    /// A slice; the type is the slice type.
    Slice(Box<Composite<Value>>),
    /// An array; the type is the array type.
    Array(Box<Composite<Value>>),
    /// A map, entries in wire order; the type is the map type.
    Map(Box<Composite<(Value, Value)>>),
    /// A struct: the struct type and the fields that were present, as (field index, value),
    /// in increasing field order.
    Struct(Box<Composite<(usize, Value)>>),
    /// A nil interface value in an `interface{}` position (see [`Value`]).
    Nil,
    /// An interface value: at top level, and in an `interface{}` position when its name is
    /// not the default one (see [`Value`]). Boxed: an [`Interface`] holds its dynamic value
    /// inline, so that typed containers of interfaces (`HashMap<String, Interface>`) need no
    /// allocation per entry.
    Interface(Box<Interface>),
    /// The payload of a GobEncoder / BinaryMarshaler type (e.g. `time.Time`): the type and
    /// the payload bytes.
    Marshaled(Box<Composite<u8>>),
}

/// The type and contents of a composite [`Value`]: a slice's or array's elements, a map's
/// entries, a struct's present fields, a marshaler's payload bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Composite<T> {
    /// The wire type of the value (the slice, array, map, struct or marshaler type).
    pub ty: Type,
    /// The contents.
    pub items: Vec<T>,
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Uint(a), Uint(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (Complex(a, b), Complex(c, d)) => a == c && b == d,
            (String(a), String(b)) => a == b,
            (RawString(a), RawString(b)) | (Bytes(a), Bytes(b)) => a == b,
            (Slice(a), Slice(b)) | (Array(a), Array(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Struct(a), Struct(b)) => a == b,
            (Marshaled(a), Marshaled(b)) => a == b,
            (Nil, Nil) => true,
            (Interface(a), Interface(b)) => a == b,
            // The two forms of a nil interface value and of one under its default name.
            (Interface(i), Nil) | (Nil, Interface(i)) => i.is_nil(),
            (Interface(i), v) | (v, Interface(i)) => i.holds_bare(v),
            _ => false,
        }
    }
}

impl Value {
    /// A slice value of slice type `ty`.
    pub fn new_slice(ty: Type, items: Vec<Value>) -> Value {
        Value::Slice(Box::new(Composite { ty, items }))
    }
    /// An array value of array type `ty`.
    pub fn new_array(ty: Type, items: Vec<Value>) -> Value {
        Value::Array(Box::new(Composite { ty, items }))
    }
    /// A map value of map type `ty`, entries in the order they are to be sent.
    pub fn new_map(ty: Type, entries: Vec<(Value, Value)>) -> Value {
        Value::Map(Box::new(Composite { ty, items: entries }))
    }
    /// A struct value of struct type `ty`: the fields present, as (field index, value), in
    /// increasing field order.
    pub fn new_struct(ty: Type, fields: Vec<(usize, Value)>) -> Value {
        Value::Struct(Box::new(Composite { ty, items: fields }))
    }
    /// A marshaler payload of marshaler type `ty`.
    pub fn new_marshaled(ty: Type, payload: Vec<u8>) -> Value {
        Value::Marshaled(Box::new(Composite { ty, items: payload }))
    }
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
            Value::Nil | Value::Interface(_) => Type::Interface,
            Value::Slice(c) | Value::Array(c) => c.ty.clone(),
            Value::Map(c) => c.ty.clone(),
            Value::Struct(c) => c.ty.clone(),
            Value::Marshaled(c) => c.ty.clone(),
        }
    }

    /// Looks up a present struct field by name.
    pub fn field(&self, name: &str) -> Option<&Value> {
        let Value::Struct(c) = self else {
            return None;
        };
        let (Type::Def(d), fields) = (&c.ty, &c.items) else {
            return None;
        };
        let DefKind::Struct(defs) = d.shape() else {
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
            Value::Map(c) => c
                .items
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Go's default interface name for this value when it has no better one
    /// (`int`, `float64`, `string`, `map[string]interface {}`, ...); borrowed for builtins
    /// and the JSON-shaped composites.
    pub fn default_go_name(&self) -> Cow<'static, str> {
        match self {
            Value::Slice(c) | Value::Array(c) => go_type_string(&c.ty, 4),
            Value::Map(c) => go_type_string(&c.ty, 4),
            Value::Struct(c) => go_type_string(&c.ty, 4),
            Value::Marshaled(c) => go_type_string(&c.ty, 4),
            // Nil and interface values: the empty interface.
            _ => Cow::Borrowed(builtin_go_name(self).unwrap_or("interface {}")),
        }
    }

    /// [`Value::default_go_name`], borrowed from the value's type when the type has a name
    /// (the encoder asks for it for every bare composite in an `interface{}` position, and
    /// an owned copy of the name per value was an allocation per value).
    pub(crate) fn default_go_name_ref(&self) -> Cow<'_, str> {
        let ty = match self {
            Value::Slice(c) | Value::Array(c) => &c.ty,
            Value::Map(c) => &c.ty,
            Value::Struct(c) => &c.ty,
            Value::Marshaled(c) => &c.ty,
            _ => return self.default_go_name(),
        };
        match ty {
            // What `go_type_string` gives for a named definition.
            Type::Def(d) if !d.name().is_empty() => Cow::Borrowed(d.name()),
            _ => self.default_go_name(),
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

/// The Go name of an interface value's concrete type (`string`, `time.Time`,
/// `*dispatcher.EntityInput`), shared by the values that carry it: cloning it is a reference
/// count, and it is one pointer wide, so that an [`Interface`] holding a dynamic value takes
/// 32 bytes (a `map[string]interface{}` entry 56, which keeps a 10-field map's table within
/// the allocator's per-thread cache).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConcreteName(Arc<String>);

impl ConcreteName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The default name of a builtin value (`bool`, `int`, `float64`, `string`, ...): a
    /// clone of this thread's copy, without an allocation.
    fn builtin(name: &'static str) -> ConcreteName {
        thread_local! {
            static BUILTINS: [ConcreteName; BUILTIN_NAMES.len()] =
                BUILTIN_NAMES.map(|n| ConcreteName(Arc::new(n.to_string())));
        }
        match BUILTIN_NAMES.iter().position(|n| *n == name) {
            Some(i) => BUILTINS.with(|names| names[i].clone()),
            None => ConcreteName(Arc::new(name.to_string())),
        }
    }
}

/// What [`Value::default_go_name`] gives for values that are not composites.
const BUILTIN_NAMES: [&str; 8] = [
    "bool",
    "int",
    "uint",
    "float64",
    "complex128",
    "string",
    "[]uint8",
    "interface {}",
];

impl std::ops::Deref for ConcreteName {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ConcreteName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for ConcreteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ConcreteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for ConcreteName {
    fn from(s: String) -> ConcreteName {
        ConcreteName(Arc::new(s))
    }
}

impl From<&str> for ConcreteName {
    fn from(s: &str) -> ConcreteName {
        ConcreteName(Arc::new(s.to_string()))
    }
}

impl From<&String> for ConcreteName {
    fn from(s: &String) -> ConcreteName {
        ConcreteName::from(s.as_str())
    }
}

impl From<Arc<str>> for ConcreteName {
    fn from(s: Arc<str>) -> ConcreteName {
        ConcreteName::from(&*s)
    }
}

impl From<Cow<'static, str>> for ConcreteName {
    fn from(s: Cow<'static, str>) -> ConcreteName {
        match s {
            Cow::Borrowed(b) => ConcreteName::builtin(b),
            Cow::Owned(o) => ConcreteName::from(o),
        }
    }
}

/// The default Go name of a builtin value ([`Value::default_go_name`]) as a static string;
/// `None` for composites, nil and interface values.
fn builtin_go_name(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint",
        Value::Float(_) => "float64",
        Value::Complex(..) => "complex128",
        Value::String(_) | Value::RawString(_) => "string",
        Value::Bytes(_) => "[]uint8",
        _ => return None,
    })
}

/// A dynamic concrete value: a Go name and a [`Value`].
#[derive(Clone, PartialEq)]
pub struct DynConcrete {
    /// The Go name on the wire (shared: a stream repeats few names); `None` for a builtin
    /// value under its default name ([`builtin_go_name`]), the name most interface values
    /// of JSON-shaped data travel under: such a value holds no handle to a name, whose
    /// reference count would cost an atomic increment and decrement per value. Always in
    /// this canonical form ([`DynConcrete::new`]), so the derived equality compares names.
    name: Option<ConcreteName>,
    /// The value.
    pub value: Value,
}

impl DynConcrete {
    /// `value` under `name`, in canonical form.
    fn new(name: ConcreteName, value: Value) -> DynConcrete {
        let name = match builtin_go_name(&value) {
            Some(n) if n == name.as_str() => None,
            _ => Some(name),
        };
        DynConcrete { name, value }
    }

    /// A builtin value under its default name.
    fn bare(value: Value) -> DynConcrete {
        DynConcrete { name: None, value }
    }

    /// The Go name.
    fn name(&self) -> &str {
        match &self.name {
            Some(n) => n.as_str(),
            None => builtin_go_name(&self.value).unwrap_or(""),
        }
    }
}

impl fmt::Debug for DynConcrete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynConcrete")
            .field("name", &self.name())
            .field("value", &self.value)
            .finish()
    }
}

impl Concrete for DynConcrete {
    fn go_name(&self) -> &str {
        self.name()
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
/// decoding `map[string]interface{}`), a typed one behind a box, a shared dynamic one (see
/// [`Interface::into_shared`]) behind a reference count.
#[derive(Default)]
enum Slot {
    #[default]
    Nil,
    Dyn(DynConcrete),
    Typed(Box<dyn Concrete>),
    Shared(Arc<DynConcrete>),
}

impl Interface {
    /// The nil interface.
    pub fn nil() -> Self {
        Interface(Slot::Nil)
    }

    /// A dynamic value under an explicit Go name.
    pub fn new(name: impl Into<ConcreteName>, value: Value) -> Self {
        Interface(Slot::Dyn(DynConcrete::new(name.into(), value)))
    }

    /// A builtin value (bool, integer, float, complex, string, bytes) under its default Go
    /// name ([`Value::default_go_name`]): what [`Interface::new`] makes of such a value and
    /// name, without a name to pass. The decoder uses it for the interface values whose
    /// name it has found to be that default.
    pub(crate) fn builtin(value: Value) -> Self {
        debug_assert!(builtin_go_name(&value).is_some(), "{value:?}");
        Interface(Slot::Dyn(DynConcrete::bare(value)))
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

    /// The same value in a form whose clones share it: cloning is a reference-count
    /// increment instead of a deep copy of the dynamic value. For values that are kept and
    /// sent many times (a store answering reads with what it was given, as Go answers with
    /// pointers to what it keeps). Typed and nil values are returned as they are.
    pub fn into_shared(self) -> Interface {
        match self.0 {
            Slot::Dyn(d) => Interface(Slot::Shared(Arc::new(d))),
            other => Interface(other),
        }
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
            Slot::Shared(d) => Some(d.as_ref()),
        }
    }

    /// The name and value of a dynamic concrete value (inline or shared), for the encoder:
    /// its calls need no dynamic dispatch.
    pub(crate) fn dyn_parts(&self) -> Option<(&str, &Value)> {
        match &self.0 {
            Slot::Dyn(d) => Some((d.name(), &d.value)),
            Slot::Shared(d) => Some((d.name(), &d.value)),
            Slot::Nil | Slot::Typed(_) => None,
        }
    }

    /// The dynamic value, when the concrete value is dynamic.
    pub fn value(&self) -> Option<&Value> {
        match &self.0 {
            Slot::Nil => None,
            Slot::Dyn(d) => Some(&d.value),
            Slot::Typed(c) => c.as_value(),
            Slot::Shared(d) => Some(&d.value),
        }
    }

    /// True when this interface holds `v` under `v`'s default Go name: what `v` means when
    /// stored bare in an `interface{}` position.
    fn holds_bare(&self, v: &Value) -> bool {
        let d = match &self.0 {
            Slot::Dyn(d) => d,
            Slot::Shared(d) => d.as_ref(),
            _ => return false,
        };
        !matches!(d.value, Value::Interface(_) | Value::Nil)
            && d.value == *v
            && *d.name() == *v.default_go_name()
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
            Slot::Shared(d) if (d.as_ref() as &dyn Any).is::<T>() => {
                let d = Arc::try_unwrap(d).unwrap_or_else(|shared| (*shared).clone());
                match (Box::new(d) as Box<dyn Any>).downcast::<T>() {
                    Ok(b) => Ok(*b),
                    Err(_) => Err(Interface(Slot::Nil)),
                }
            }
            other => Err(Interface(other)),
        }
    }
}

/// An interface value for an `interface{}` position, in the canonical form described at
/// [`Value`]: [`Value::Nil`] when nil, bare when it holds a dynamic value (other than an
/// interface value) under that value's default Go name, else boxed. (At top level, box it yourself:
/// `Value::Interface(Box::new(i))`.)
impl From<Interface> for Value {
    fn from(i: Interface) -> Value {
        match i.0 {
            Slot::Nil => Value::Nil,
            Slot::Dyn(d)
                if !matches!(d.value, Value::Interface(_) | Value::Nil)
                    && *d.value.default_go_name() == *d.name() =>
            {
                d.value
            }
            Slot::Shared(d)
                if !matches!(d.value, Value::Interface(_) | Value::Nil)
                    && *d.value.default_go_name() == *d.name() =>
            {
                Arc::try_unwrap(d).map_or_else(|shared| shared.value.clone(), |d| d.value)
            }
            slot => Value::Interface(Box::new(Interface(slot))),
        }
    }
}

impl Clone for Interface {
    fn clone(&self) -> Self {
        Interface(match &self.0 {
            Slot::Nil => Slot::Nil,
            Slot::Dyn(d) => Slot::Dyn(d.clone()),
            Slot::Typed(c) => Slot::Typed(c.clone_box()),
            Slot::Shared(d) => Slot::Shared(d.clone()),
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
    Vec<u8> => "[]uint8", |v: Vec<u8>| Value::Bytes(v.into());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowed default name is the default name, for named and unnamed composites and
    /// for builtins.
    #[test]
    fn borrowed_default_name_is_the_default_name() {
        let values = [
            Value::new_slice(Type::interface_slice(), vec![]),
            Value::new_slice(Type::slice("main.List", Type::Int), vec![]),
            Value::new_slice(Type::slice("", Type::Int), vec![]),
            Value::new_map(Type::string_interface_map(), vec![]),
            Value::String("x".into()),
            Value::Float(1.0),
            Value::Nil,
        ];
        for v in values {
            assert_eq!(v.default_go_name_ref(), v.default_go_name(), "{v:?}");
        }
    }
}
