//! `GobType`, `Encode` and `Decode` for Rust's standard types, following gob's mapping:
//! integers of every width share the int/uint wire types (with range checks on decode),
//! `Vec<u8>` is `[]byte`, `Option<T>`/`Box<T>` are Go pointers (flattened on the wire),
//! `HashMap`/`BTreeMap` are maps, arrays are arrays.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::decode::{Dec, Decode};
use crate::encode::{Enc, Encode, GoTypeName, GobType, Schema};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{ids, WireId, WireKind, WireType};
use crate::value::{Concrete, GoStr, Interface, Value};

/// Integer widths: `$id` is the wire type (int or uint), `$wide` the 64-bit type it travels as,
/// `$put`/`$get` the encoder and decoder primitives.
macro_rules! integers {
    ($id:expr, $wide:ty, $put:ident, $get:ident; $($t:ty => $go:literal),*) => {$(
        impl GobType for $t {
            fn go_type() -> GoTypeName { GoTypeName::named($go) }
            fn describe(_: &mut Schema, _: &str) -> Result<WireId> { Ok($id) }
        }
        impl Encode for $t {
            fn wire_type(&self, _: &mut Schema) -> Result<WireId> { Ok($id) }
            #[inline]
            fn encode(&self, e: &mut Enc<'_>) -> Result<()> { e.$put(*self as $wide); Ok(()) }
            #[inline]
            fn omit_in_struct(&self) -> bool { *self == 0 }
        }
        impl Decode for $t {
            #[inline]
            fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
                d.expect($id, w, $go)?;
                let v = d.$get()?;
                <$t>::try_from(v).map_err(|_| Error::new(ErrorKind::OutOfRange(format!("{v} does not fit {}", $go))))
            }
            fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
                d.expect($id, w, $go)
            }
        }
    )*};
}
integers!(ids::INT, i64, put_int, int; i8 => "int8", i16 => "int16", i32 => "int32", i64 => "int64", isize => "int");
integers!(ids::UINT, u64, put_uint, uint; u8 => "uint8", u16 => "uint16", u32 => "uint32", u64 => "uint64", usize => "uint");

impl GobType for bool {
    fn go_type() -> GoTypeName {
        GoTypeName::named("bool")
    }
    fn describe(_: &mut Schema, _: &str) -> Result<WireId> {
        Ok(ids::BOOL)
    }
}
impl Encode for bool {
    fn wire_type(&self, _: &mut Schema) -> Result<WireId> {
        Ok(ids::BOOL)
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        e.put_uint(*self as u64);
        Ok(())
    }
    fn omit_in_struct(&self) -> bool {
        !*self
    }
}
impl Decode for bool {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        d.expect(ids::BOOL, w, "bool")?;
        // Go treats any non-zero value as true.
        Ok(d.uint()? != 0)
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        d.expect(ids::BOOL, w, "bool")
    }
}

impl GobType for f64 {
    fn go_type() -> GoTypeName {
        GoTypeName::named("float64")
    }
    fn describe(_: &mut Schema, _: &str) -> Result<WireId> {
        Ok(ids::FLOAT)
    }
}
impl Encode for f64 {
    fn wire_type(&self, _: &mut Schema) -> Result<WireId> {
        Ok(ids::FLOAT)
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        e.put_float(*self);
        Ok(())
    }
    fn omit_in_struct(&self) -> bool {
        *self == 0.0
    }
}
impl Decode for f64 {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        d.expect(ids::FLOAT, w, "float64")?;
        d.float()
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        d.expect(ids::FLOAT, w, "float64")
    }
}
impl GobType for f32 {
    fn go_type() -> GoTypeName {
        GoTypeName::named("float32")
    }
    fn describe(_: &mut Schema, _: &str) -> Result<WireId> {
        Ok(ids::FLOAT)
    }
}
impl Encode for f32 {
    fn wire_type(&self, _: &mut Schema) -> Result<WireId> {
        Ok(ids::FLOAT)
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        e.put_float(*self as f64);
        Ok(())
    }
    fn omit_in_struct(&self) -> bool {
        *self == 0.0
    }
}
impl Decode for f32 {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        d.expect(ids::FLOAT, w, "float32")?;
        let v = d.float()?;
        // Go: finite values beyond float32's range overflow; infinities and NaN are fine.
        if v.is_finite() && v.abs() > f32::MAX as f64 {
            return Err(Error::new(ErrorKind::OutOfRange(format!(
                "{v} does not fit float32"
            ))));
        }
        Ok(v as f32)
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        d.expect(ids::FLOAT, w, "float32")
    }
}

/// `String` and [`GoStr`] both travel as Go `string`; decoding refuses invalid UTF-8 (only
/// [`Value`] keeps such strings, as raw bytes).
macro_rules! strings {
    ($($t:ty),*) => {$(
        impl GobType for $t {
            fn go_type() -> GoTypeName {
                GoTypeName::named("string")
            }
            fn describe(_: &mut Schema, _: &str) -> Result<WireId> {
                Ok(ids::STRING)
            }
        }
        impl Decode for $t {
            fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
                d.expect(ids::STRING, w, "string")?;
                Ok(<$t>::from(utf8(d.owned_bytes(0)?)?))
            }
            fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
                d.expect(ids::STRING, w, "string")
            }
        }
    )*};
}
strings!(String, GoStr);

fn utf8(b: &[u8]) -> Result<&str> {
    crate::wire::utf8(b).map_err(|e| {
        Error::new(ErrorKind::Corrupt(format!(
            "string is not valid UTF-8 ({e}); decode into gob::Value to keep raw bytes"
        )))
        .go_reads_it()
    })
}

/// Every string type is sent as Go `string`.
macro_rules! string_encode {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn wire_type(&self, _: &mut Schema) -> Result<WireId> {
                Ok(ids::STRING)
            }
            fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
                e.put_bytes(self.as_bytes());
                Ok(())
            }
            fn omit_in_struct(&self) -> bool {
                self.is_empty()
            }
        }
    )*};
}
string_encode!(str, String, GoStr);

impl<T: Encode + ?Sized> Encode for &T {
    fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
        (**self).wire_type(s)
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        (**self).encode(e)
    }
    fn omit_in_struct(&self) -> bool {
        (**self).omit_in_struct()
    }
    fn omit_behind_pointer(&self) -> bool {
        (**self).omit_behind_pointer()
    }
    fn is_struct(&self) -> bool {
        (**self).is_struct()
    }
}

fn is_u8<T: 'static>() -> bool {
    TypeId::of::<T>() == TypeId::of::<u8>()
}

impl<T: GobType> GobType for Vec<T> {
    fn go_type() -> GoTypeName {
        GoTypeName::unnamed(format!("[]{}", T::go_type().full()))
    }
    fn describe(s: &mut Schema, name: &str) -> Result<WireId> {
        if is_u8::<T>() {
            return Ok(ids::BYTES);
        }
        s.describe_unnamed::<Self>(
            || Self::go_type().string,
            |s| s.describe_slice::<Self, T>(name),
        )
    }
    fn describe_as<O: 'static>(s: &mut Schema, name: &str) -> Result<WireId> {
        if is_u8::<T>() {
            return Ok(ids::BYTES);
        }
        s.describe_slice::<O, T>(name)
    }
}
impl<T: GobType + Encode> Encode for Vec<T> {
    fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
        <Self as GobType>::describe(s, "")
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        if let Some(b) = (self as &dyn Any).downcast_ref::<Vec<u8>>() {
            e.put_bytes(b);
            return Ok(());
        }
        e.put_uint(self.len() as u64);
        for (i, v) in self.iter().enumerate() {
            e.value(v).map_err(|err| err.in_path(format!("[{i}]")))?;
        }
        Ok(())
    }
    fn omit_in_struct(&self) -> bool {
        self.is_empty()
    }
}
impl<T: Decode + 'static> Decode for Vec<T> {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        if is_u8::<T>() {
            d.expect(ids::BYTES, w, "[]byte")?;
            let b = d.owned_bytes(0)?.to_vec();
            let boxed: Box<dyn Any> = Box::new(b);
            return boxed
                .downcast::<Vec<T>>()
                .map(|b| *b)
                .map_err(|_| Error::corrupt("internal: byte slice downcast"));
        }
        let (elem, n) = d.slice_header(w)?;
        let mut out = d.reserve(n, 1)?;
        d.each_element(n, |d, _| {
            out.push(T::decode(d, elem)?);
            Ok(())
        })?;
        Ok(out)
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        if is_u8::<T>() {
            return d.expect(ids::BYTES, w, "[]byte");
        }
        d.check_composite::<Self>(|d| match &*d.check_kind(w, WireKind::Slice, "slice")? {
            WireType::Slice { elem, .. } => T::check_wire(d, *elem),
            _ => Err(d.mismatch("slice", w)),
        })
    }
}

impl<T: GobType, const N: usize> GobType for [T; N] {
    fn go_type() -> GoTypeName {
        GoTypeName::unnamed(format!("[{N}]{}", T::go_type().full()))
    }
    fn describe(s: &mut Schema, name: &str) -> Result<WireId> {
        s.describe_unnamed::<Self>(
            || Self::go_type().string,
            |s| s.describe_array::<Self, T>(name, N),
        )
    }
}
impl<T: GobType + Encode, const N: usize> Encode for [T; N] {
    fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
        <Self as GobType>::describe(s, "")
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        e.put_uint(N as u64);
        for v in self {
            e.value(v)?;
        }
        Ok(())
    }
}
impl<T: Decode, const N: usize> Decode for [T; N] {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        let wt = d
            .wire_for(w, WireKind::Array, "array")
            .map_err(|_| d.mismatch(&format!("[{N}]array"), w))?;
        let WireType::Array { elem, len, .. } = &*wt else {
            return Err(d.mismatch(&format!("[{N}]array"), w));
        };
        let elem = *elem;
        if *len != N as i64 {
            return Err(d.mismatch(&format!("[{N}]array"), w));
        }
        let n = d.count(1)?;
        if n != N {
            return Err(Error::new(ErrorKind::ArrayLengthMismatch {
                want: N,
                got: n as u64,
            }));
        }
        let mut out = d.reserve(N, 1)?;
        for i in 0..N {
            d.element(i, N)?;
            out.push(
                d.nested(|d| T::decode(d, elem))
                    .map_err(|e| e.in_path(format!("[{i}]")))?,
            );
        }
        out.try_into().map_err(|_| {
            Error::new(ErrorKind::ArrayLengthMismatch {
                want: N,
                got: n as u64,
            })
        })
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        let local = format!("[{N}]array");
        d.check_composite::<Self>(|d| match &*d.check_kind(w, WireKind::Array, &local)? {
            WireType::Array { elem, len, .. } if *len == N as i64 => T::check_wire(d, *elem),
            _ => Err(d.mismatch(&local, w)),
        })
    }
}

macro_rules! map_impl {
    ($m:ident, $($bound:tt)*) => {
        impl<K: GobType, V: GobType> GobType for $m<K, V> {
            fn go_type() -> GoTypeName {
                GoTypeName::unnamed(format!("map[{}]{}", K::go_type().full(), V::go_type().full()))
            }
            fn describe(s: &mut Schema, name: &str) -> Result<WireId> {
                s.describe_unnamed::<Self>(
                    || Self::go_type().string,
                    |s| s.describe_map::<Self, K, V>(name),
                )
            }
            fn describe_as<O: 'static>(s: &mut Schema, name: &str) -> Result<WireId> {
                s.describe_map::<O, K, V>(name)
            }
        }
        impl<K: GobType + Encode, V: GobType + Encode> Encode for $m<K, V> {
            fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
                <Self as GobType>::describe(s, "")
            }
            fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
                e.put_uint(self.len() as u64);
                for (k, v) in self {
                    e.value(k)?;
                    e.value(v)?;
                }
                Ok(())
            }
            // A Rust map is never nil: an empty one is sent, like Go's empty non-nil map.
        }
        impl<K: Decode + $($bound)*, V: Decode> Decode for $m<K, V> {
            fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
                let (key, elem) = d.wire_for_with(w, WireKind::Map, "map", |wt| match wt {
                    WireType::Map { key, elem, .. } => Some((*key, *elem)),
                    _ => None,
                })?;
                let n = d.count(2)?;
                let cap = d.capacity(n, 2);
                d.charge(cap.saturating_mul(std::mem::size_of::<(K, V)>()))?;
                let mut out = <$m<K, V> as MapBuild<K, V>>::builder(cap);
                for i in 0..n {
                    d.element(i, n)?;
                    let k = d.nested(|d| K::decode(d, key))?;
                    let v = d.nested(|d| V::decode(d, elem))?;
                    <$m<K, V> as MapBuild<K, V>>::push(&mut out, k, v);
                }
                // Later duplicates win, as in Go.
                Ok(<$m<K, V> as MapBuild<K, V>>::build(out))
            }
            fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
                d.check_composite::<Self>(|d| match &*d.check_kind(w, WireKind::Map, "map")? {
                    WireType::Map { key, elem, .. } => {
                        let (key, elem) = (*key, *elem);
                        K::check_wire(d, key)?;
                        V::check_wire(d, elem)
                    }
                    _ => Err(d.mismatch("map", w)),
                })
            }
        }
    };
}
/// How a decoded map is put together: a `HashMap` is filled as entries arrive; a small
/// `BTreeMap` too, a large one is built once from all entries (one sort and a bulk build
/// instead of a search from the root per entry). Either way a later duplicate key replaces
/// an earlier one, as in Go.
trait MapBuild<K, V>: Sized {
    /// What the entries are collected in.
    type Builder;
    fn builder(capacity: usize) -> Self::Builder;
    fn push(b: &mut Self::Builder, k: K, v: V);
    fn build(b: Self::Builder) -> Self;
}
impl<K: Eq + Hash, V> MapBuild<K, V> for HashMap<K, V> {
    type Builder = HashMap<K, V>;
    fn builder(capacity: usize) -> Self {
        HashMap::with_capacity(capacity)
    }
    fn push(b: &mut Self, k: K, v: V) {
        b.insert(k, v);
    }
    fn build(b: Self) -> Self {
        b
    }
}
/// Entries of a map being decoded into a `BTreeMap`.
enum TreeBuilder<K, V> {
    /// A small map (most `map[string]interface{}` values: a record's fields) is inserted into
    /// directly: one leaf node, no staging vector, no sort.
    Direct(BTreeMap<K, V>),
    /// A large one is collected, sorted once and built in bulk (no search from the root per
    /// entry).
    Bulk(Vec<(K, V)>),
}

/// Largest entry count inserted directly: what one B-tree leaf holds (11 keys).
const DIRECT_TREE_ENTRIES: usize = 11;

impl<K: Ord, V> MapBuild<K, V> for BTreeMap<K, V> {
    type Builder = TreeBuilder<K, V>;
    fn builder(capacity: usize) -> TreeBuilder<K, V> {
        if capacity <= DIRECT_TREE_ENTRIES {
            TreeBuilder::Direct(BTreeMap::new())
        } else {
            TreeBuilder::Bulk(Vec::with_capacity(capacity))
        }
    }
    fn push(b: &mut TreeBuilder<K, V>, k: K, v: V) {
        match b {
            TreeBuilder::Direct(map) => {
                map.insert(k, v);
            }
            TreeBuilder::Bulk(entries) => entries.push((k, v)),
        }
    }
    fn build(b: TreeBuilder<K, V>) -> Self {
        match b {
            TreeBuilder::Direct(map) => map,
            // `FromIterator` sorts stably and keeps the last of equal keys.
            TreeBuilder::Bulk(entries) => entries.into_iter().collect(),
        }
    }
}

map_impl!(HashMap, Eq + Hash);
map_impl!(BTreeMap, Ord);

macro_rules! pointer_impl {
    ($p:ident) => {
        impl<T: GobType> GobType for $p<T> {
            fn go_type() -> GoTypeName {
                let mut t = T::go_type();
                t.pointer = true;
                t
            }
            fn describe(s: &mut Schema, name: &str) -> Result<WireId> {
                T::describe(s, name)
            }
        }
    };
}
pointer_impl!(Option);
pointer_impl!(Box);

impl<T: Encode> Encode for Option<T> {
    fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
        match self {
            Some(v) => v.wire_type(s),
            None => Err(Error::encode("cannot encode nil pointer")),
        }
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        match self {
            Some(v) => v.encode(e),
            None => Err(Error::encode("cannot encode nil pointer (nil element)")),
        }
    }
    fn omit_in_struct(&self) -> bool {
        self.as_ref().is_none_or(|v| v.omit_behind_pointer())
    }
    fn omit_behind_pointer(&self) -> bool {
        self.omit_in_struct()
    }
    fn is_struct(&self) -> bool {
        self.as_ref().is_some_and(|v| v.is_struct())
    }
}
impl<T: Decode> Decode for Option<T> {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        Ok(Some(T::decode(d, w)?))
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        d.check_composite::<Self>(|d| d.check_base::<T>(w))
    }
}
impl<T: Encode + ?Sized> Encode for Box<T> {
    fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
        (**self).wire_type(s)
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        (**self).encode(e)
    }
    fn omit_in_struct(&self) -> bool {
        (**self).omit_behind_pointer()
    }
    fn omit_behind_pointer(&self) -> bool {
        self.omit_in_struct()
    }
    fn is_struct(&self) -> bool {
        (**self).is_struct()
    }
}
impl<T: Decode> Decode for Box<T> {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        Ok(Box::new(T::decode(d, w)?))
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        d.check_composite::<Self>(|d| d.check_base::<T>(w))
    }
}

// How an encoder writes dynamic values and interfaces: here, above both the encoder and the
// value model, so that `encode` does not import `value` (which imports `encode` for
// `Concrete`). The methods are `Enc`'s all the same.
impl Enc<'_> {
    /// Writes a nested dynamic value; `interface` says whether its position (element, key
    /// or field) is of type `interface{}`, where the value may be stored bare.
    #[inline]
    pub(crate) fn value_at(&mut self, interface: bool, v: &Value) -> Result<()> {
        if interface {
            self.nested(|e| e.interface_position(v))
        } else {
            self.value(v)
        }
    }

    /// Writes an interface value.
    pub fn interface(&mut self, iface: &Interface) -> Result<()> {
        // A dynamic value (most interface values) without the `Concrete` trait object: what
        // `DynConcrete`'s methods do, as direct calls.
        if let Some((name, value)) = iface.dyn_parts() {
            return self.named_value(
                name,
                value.is_struct(),
                |s| value.wire_type(s),
                |e| value.encode(e),
            );
        }
        let Some(c) = iface.concrete() else {
            self.put_uint(0);
            return Ok(());
        };
        self.named_value(
            c.go_name(),
            c.is_struct(),
            |s| c.wire_type(s),
            |e| c.encode_concrete(e),
        )
    }

    /// Writes `v`, which is in an `interface{}` position: a [`Value::Interface`] as itself,
    /// [`Value::Nil`] as the nil interface, a
    /// bare value as the interface value it stands for (its default Go name, see [`Value`]).
    pub fn interface_position(&mut self, v: &Value) -> Result<()> {
        match v {
            Value::Interface(i) => self.interface(i),
            Value::Nil => {
                self.put_uint(0);
                Ok(())
            }
            v => self.named_value(
                &v.default_go_name_ref(),
                v.is_struct(),
                |s| v.wire_type(s),
                |e| v.encode(e),
            ),
        }
    }
}

impl GobType for Interface {
    fn go_type() -> GoTypeName {
        GoTypeName::unnamed("interface {}")
    }
    fn describe(_: &mut Schema, _: &str) -> Result<WireId> {
        Ok(ids::INTERFACE)
    }
}
impl Encode for Interface {
    fn wire_type(&self, _: &mut Schema) -> Result<WireId> {
        Ok(ids::INTERFACE)
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        e.interface(self)
    }
    fn omit_in_struct(&self) -> bool {
        self.is_nil()
    }
}

impl Encode for Value {
    fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
        // A composite's type by reference: `ty()` would clone (and drop) its shared type.
        let ty = match self {
            Value::Slice(c) | Value::Array(c) => &c.ty,
            Value::Map(c) => &c.ty,
            Value::Struct(c) => &c.ty,
            Value::Marshaled(c) => &c.ty,
            // Builtins (most interface values) without a call: their ids are fixed.
            Value::Bool(_) => return Ok(ids::BOOL),
            Value::Int(_) => return Ok(ids::INT),
            Value::Uint(_) => return Ok(ids::UINT),
            Value::Float(_) => return Ok(ids::FLOAT),
            Value::Complex(..) => return Ok(ids::COMPLEX),
            Value::String(_) | Value::RawString(_) => return Ok(ids::STRING),
            Value::Bytes(_) => return Ok(ids::BYTES),
            Value::Nil | Value::Interface(_) => return Ok(ids::INTERFACE),
        };
        s.describe_dyn(ty)
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        match self {
            Value::Bool(b) => e.put_uint(*b as u64),
            Value::Int(i) => e.put_int(*i),
            Value::Uint(u) => e.put_uint(*u),
            Value::Float(f) => e.put_float(*f),
            Value::Complex(r, i) => {
                e.put_float(*r);
                e.put_float(*i);
            }
            Value::String(s) => e.put_bytes(s.as_bytes()),
            Value::RawString(b) | Value::Bytes(b) => e.put_bytes(b),
            // Elements, keys and fields of type `interface{}` may be stored bare (see `Value`).
            Value::Slice(c) | Value::Array(c) => {
                let (_, iface) = c.ty.interface_positions();
                e.put_uint(c.items.len() as u64);
                for (i, v) in c.items.iter().enumerate() {
                    e.value_at(iface, v)
                        .map_err(|err| err.in_path(format!("[{i}]")))?;
                }
            }
            Value::Map(c) => {
                let (key_iface, elem_iface) = c.ty.interface_positions();
                e.put_uint(c.items.len() as u64);
                for (k, v) in &c.items {
                    e.value_at(key_iface, k)?;
                    e.value_at(elem_iface, v)?;
                }
            }
            Value::Struct(c) => {
                let mut prev = -1i64;
                for (i, v) in &c.items {
                    let n = *i as i64;
                    if n <= prev {
                        return Err(Error::encode("struct fields out of order"));
                    }
                    e.put_uint((n - prev) as u64);
                    e.value_at(c.ty.field_is_interface(*i), v)?;
                    prev = n;
                }
                e.end_struct();
            }
            // A nil interface value is its empty name.
            Value::Nil => e.put_uint(0),
            Value::Interface(i) => e.interface(i)?,
            Value::Marshaled(c) => e.put_bytes(&c.items),
        }
        Ok(())
    }
    fn omit_in_struct(&self) -> bool {
        // A dynamic struct only holds the fields that were present on the wire; absence is
        // expressed by leaving the field out, so a present value is always sent.
        false
    }
    fn is_struct(&self) -> bool {
        matches!(self, Value::Struct(..))
    }
}

/// Go's empty struct `struct{}`: the body of net/rpc error replies and `Control.Ping` replies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Empty;

impl GobType for Empty {
    fn go_type() -> GoTypeName {
        GoTypeName::unnamed("struct {}")
    }
    fn describe(s: &mut Schema, name: &str) -> Result<WireId> {
        match s.begin_struct::<Empty>(name) {
            Ok(id) => Ok(id),
            Err(b) => Ok(b.finish(s)),
        }
    }
}
impl Encode for Empty {
    fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
        <Self as GobType>::describe(s, "")
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        e.end_struct();
        Ok(())
    }
    fn is_struct(&self) -> bool {
        true
    }
}
impl Decode for Empty {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        // Decoding into struct{} accepts any struct and ignores its fields (Go does the same).
        d.decode_struct(w, "struct {}", &[], |_, _, _| Ok(()))?;
        Ok(Empty)
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        d.check_composite::<Empty>(|d| {
            d.check_struct::<Empty>(w, "struct {}", &[], |_, _, _| Ok(()))
        })
    }
}

/// Every type with a registered Go name can travel inside an [`Interface`].
impl<T> Concrete for T
where
    T: crate::registry::GoName
        + Encode
        + Clone
        + PartialEq
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    fn go_name(&self) -> &str {
        T::GO_NAME
    }
    fn wire_type(&self, schema: &mut Schema) -> Result<WireId> {
        Encode::wire_type(self, schema)
    }
    fn encode_concrete(&self, enc: &mut Enc<'_>) -> Result<()> {
        Encode::encode(self, enc)
    }
    fn is_struct(&self) -> bool {
        Encode::is_struct(self)
    }
    fn clone_box(&self) -> Box<dyn Concrete> {
        Box::new(self.clone())
    }
    fn eq_dyn(&self, other: &dyn Concrete) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
