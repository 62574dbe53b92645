//! JSON forms of dynamic values (feature `json`).
//!
//! **Typed JSON** keeps every Go wire type, so a stream can be printed and rebuilt exactly
//! (`tilores-plugin gob decode | tilores-plugin gob encode`). One document per top-level value:
//!
//! ```json
//! {"type": "#0", "types": {"#0": {"struct": "Point", "fields": [["X", "int"], ["Y", "int"]]}},
//!  "value": {"X": 22, "Y": 33}}
//! ```
//!
//! - `type`: a builtin (`bool`, `int`, `uint`, `float`, `complex`, `string`, `bytes`,
//!   `interface`), one of Go's own descriptor types by its bootstrap id (`@16` `wireType`
//!   to `@24` `gobEncoderType`), or a reference `#N` into `types`; composite definitions are
//!   `{"struct": NAME, "fields": [[FIELD, TYPE], ...]}`, `{"slice": NAME, "elem": TYPE}`,
//!   `{"array": NAME, "len": N, "elem": TYPE}`, `{"map": NAME, "key": TYPE, "elem": TYPE}`,
//!   `{"gob_encoder": NAME}`, `{"binary_marshaler": NAME}`, `{"text_marshaler": NAME}`
//!   (NAME is Go's informational type name, often empty); a marshaler may carry
//!   `"pointer_id": true` and `"companions": [TYPE, ...]`, any definition `"skip_ids": N`
//!   (see `GroupDef`). References are
//!   numbered in depth-first pre-order, so recursive types are expressible, and per stream
//!   ([`TypedJsonWriter`]): a type keeps its `#N` in every document of the stream, and
//!   [`TypedJsonReader`] gives it one identity, so it is defined once when re-encoded.
//! - values by wire kind: bool → `true`; int/uint → exact integers; float → a number, or
//!   `"0x<16 hex digits>"` (the IEEE bits) for NaN, ±Inf and -0; complex → `[re, im]`;
//!   string → a string, or `{"hex": ".."}` when not UTF-8; bytes → `{"bytes": "<hex>"}`;
//!   slice/array → an array; map → `{"map": [[key, value], ...]}`; struct → an object with the
//!   fields present on the wire; marshaler payloads (e.g. `time.Time`) →
//!   `{"marshaled": "<hex>"}` (plus `"time"` in RFC 3339 for readability when it is a
//!   `time.Time`); interface → `null` or `{"name": GO_NAME, "type": .., "types": {..},
//!   "value": ..}` with its own type table.
//!
//! **Plain JSON** ([`interface_from_plain_json`]) is what Go's `encoding/json` decodes into
//! an `interface{}` (numbers become `float64`).

use serde_json::{json, Map, Number, Value as Json};
use std::collections::HashMap;

use crate::dyntype::{DefKind, GroupDef, Type, TypeDef, TypeGroup, TypeRef};
use crate::error::{Error, Result};
use crate::value::{Interface, Value};
use crate::GoTime;

fn builtin_name(t: &Type) -> Option<&'static str> {
    Some(match t {
        Type::Bool => "bool",
        Type::Int => "int",
        Type::Uint => "uint",
        Type::Float => "float",
        Type::Complex => "complex",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Interface => "interface",
        Type::Def(_) => return None,
    })
}

/// The stream-wide numbering of composite types: the same definition keeps its `#N` in every
/// document of a stream, so a reader can give it one identity (Go defines a type once per
/// stream, by Go type, name included).
#[derive(Default)]
struct Refs {
    /// By definition identity; the `Type` keeps the definition (and so its address) alive.
    by_key: HashMap<usize, (String, Type)>,
}

/// One document's type table, numbered by the stream's [`Refs`].
struct DocNamer<'w> {
    refs: &'w mut Refs,
    table: Map<String, Json>,
}

impl DocNamer<'_> {
    fn name(&mut self, t: &Type) -> Json {
        if let Some(b) = builtin_name(t) {
            return Json::String(b.into());
        }
        let Type::Def(d) = t else {
            return Json::Null;
        };
        if let Some(id) = crate::bootstrap::bootstrap_id(d) {
            return Json::String(format!("@{id}"));
        }
        let key = d.key();
        let r = match self.refs.by_key.get(&key) {
            Some((r, _)) if self.table.contains_key(r) => return Json::String(r.clone()),
            Some((r, _)) => r.clone(),
            None => {
                let r = format!("#{}", self.refs.by_key.len());
                self.refs.by_key.insert(key, (r.clone(), t.clone()));
                r
            }
        };
        // A placeholder first: a recursive definition refers back to itself.
        self.table.insert(r.clone(), Json::Null);
        let name = d.name();
        let def = match d.shape() {
            DefKind::Struct(fields) => {
                let fs: Vec<Json> = fields
                    .iter()
                    .map(|(n, ft)| json!([n, self.name_ref(d, ft)]))
                    .collect();
                json!({"struct": name, "fields": fs})
            }
            DefKind::Slice(e) => json!({"slice": name, "elem": self.name_ref(d, e)}),
            DefKind::Array(n, e) => {
                json!({"array": name, "len": n, "elem": self.name_ref(d, e)})
            }
            DefKind::Map(k, v) => {
                json!({"map": name, "key": self.name_ref(d, k), "elem": self.name_ref(d, v)})
            }
            DefKind::GobEncoder => json!({"gob_encoder": name}),
            DefKind::BinaryMarshaler => json!({"binary_marshaler": name}),
            DefKind::TextMarshaler => json!({"text_marshaler": name}),
        };
        let companions: Vec<Json> = d.companions().map(|c| self.name(&c)).collect();
        let def = match def {
            Json::Object(mut m) => {
                if d.pointer_id() {
                    m.insert("pointer_id".into(), Json::Bool(true));
                }
                if !companions.is_empty() {
                    m.insert("companions".into(), Json::Array(companions));
                }
                if d.skip_ids() > 0 {
                    m.insert("skip_ids".into(), Json::from(d.skip_ids()));
                }
                Json::Object(m)
            }
            other => other,
        };
        self.table.insert(r.clone(), def);
        Json::String(r)
    }

    fn name_ref(&mut self, d: &TypeDef, r: &TypeRef) -> Json {
        match r {
            TypeRef::Type(t) => self.name(t),
            TypeRef::Local(_) => self.name(&d.resolve(r)),
        }
    }
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    if s.len() % 2 != 0 {
        return Err(Error::corrupt(format!("odd-length hex string {s:?}")));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16)
                .map_err(|_| Error::corrupt(format!("bad hex string {s:?}")))
        })
        .collect()
}

/// The fields of a struct type (none for any other type).
fn struct_fields(t: &Type) -> &[(String, TypeRef)] {
    match t.def().map(|d| d.shape()) {
        Some(DefKind::Struct(f)) => f,
        _ => &[],
    }
}

fn float_json(f: f64) -> Json {
    if f.is_finite() && !(f == 0.0 && f.is_sign_negative()) {
        if let Some(n) = Number::from_f64(f) {
            return Json::Number(n);
        }
    }
    Json::String(format!("0x{:016x}", f.to_bits()))
}

/// A typed-JSON document for one top-level value (a stream of one value; for several values
/// of one stream use [`TypedJsonWriter`], which keeps their shared types one type).
pub fn to_typed_json(v: &Value) -> Json {
    TypedJsonWriter::new().document(v)
}

/// Writes the typed-JSON documents of one stream's values.
///
/// Each document is complete on its own (its `types` table defines every type it uses), and
/// a type shared by several values, or by a value and an interface payload, has the same
/// `#N` reference in all of them, so [`TypedJsonReader`] rebuilds one type for it and the
/// encoder defines it once per stream, as Go does. Two distinct types with equal definitions
/// (Go's `[]uint64` in one place and `type U1 []uint64` in another can look alike on the
/// wire) keep distinct references.
#[derive(Default)]
pub struct TypedJsonWriter {
    refs: Refs,
}

impl TypedJsonWriter {
    /// A writer for a new stream.
    pub fn new() -> Self {
        TypedJsonWriter::default()
    }

    /// The document of the stream's next top-level value.
    pub fn document(&mut self, v: &Value) -> Json {
        let mut doc = DocNamer {
            refs: &mut self.refs,
            table: Map::new(),
        };
        let ty = doc.name(&v.ty());
        let value = doc.value_json(v);
        json!({"type": ty, "types": Json::Object(doc.table), "value": value})
    }
}

impl DocNamer<'_> {
    fn value_json(&mut self, v: &Value) -> Json {
        match v {
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::Number((*i).into()),
            Value::Uint(u) => Json::Number((*u).into()),
            Value::Float(f) => float_json(*f),
            Value::Complex(r, i) => json!([float_json(*r), float_json(*i)]),
            Value::String(s) => Json::String(s.to_string()),
            Value::RawString(b) => json!({"hex": hex(b)}),
            Value::Bytes(b) => json!({"bytes": hex(b)}),
            Value::Slice(c) | Value::Array(c) => {
                let (_, iface) = c.ty.interface_positions();
                Json::Array(
                    c.items
                        .iter()
                        .map(|v| self.value_json_at(iface, v))
                        .collect(),
                )
            }
            Value::Map(c) => {
                let (key_iface, elem_iface) = c.ty.interface_positions();
                json!({"map": c.items
                    .iter()
                    .map(|(k, v)| {
                        json!([self.value_json_at(key_iface, k), self.value_json_at(elem_iface, v)])
                    })
                    .collect::<Vec<_>>()})
            }
            Value::Struct(c) => {
                let names = struct_fields(&c.ty);
                let mut m = Map::new();
                for (i, fv) in &c.items {
                    let n = names
                        .get(*i)
                        .map(|(n, _)| n.clone())
                        .unwrap_or_else(|| format!("#{i}"));
                    m.insert(n, self.value_json_at(c.ty.field_is_interface(*i), fv));
                }
                Json::Object(m)
            }
            Value::Nil => Json::Null,
            Value::Interface(i) => self.interface_json(i),
            Value::Marshaled(c) => {
                let mut m = Map::new();
                m.insert("marshaled".into(), Json::String(hex(&c.items)));
                if c.ty.def().is_some_and(|d| d.name() == "Time") {
                    if let Ok(tm) = GoTime::unmarshal_binary(&c.items) {
                        m.insert("time".into(), Json::String(tm.to_rfc3339()));
                    }
                }
                Json::Object(m)
            }
        }
    }

    /// [`DocNamer::value_json`] for a value in a position that is `interface{}` or not: a
    /// bare value in an interface position is written as the interface value it stands for
    /// (see [`Value`]).
    fn value_json_at(&mut self, interface: bool, v: &Value) -> Json {
        match v {
            Value::Interface(_) | Value::Nil => self.value_json(v),
            v if interface => self.named_json(&v.default_go_name(), v),
            v => self.value_json(v),
        }
    }

    /// An interface value holding the dynamic value `v` under `name`: a document of its own,
    /// numbered like the rest of the stream.
    fn named_json(&mut self, name: &str, v: &Value) -> Json {
        let mut inner = DocNamer {
            refs: &mut *self.refs,
            table: Map::new(),
        };
        let ty = inner.name(&v.ty());
        let value = inner.value_json(v);
        json!({"name": name, "type": ty, "types": Json::Object(inner.table), "value": value})
    }

    fn interface_json(&mut self, i: &Interface) -> Json {
        let Some(c) = i.concrete() else {
            return Json::Null;
        };
        match c.as_value() {
            Some(v) => self.named_json(c.go_name(), v),
            None => json!({"name": c.go_name(), "typed": format!("{c:?}")}),
        }
    }
}

/// Rebuilds a value from a typed-JSON document made by [`to_typed_json`] (a stream of one
/// value; for the documents of one stream use [`TypedJsonReader`]).
pub fn from_typed_json(doc: &Json) -> Result<Value> {
    TypedJsonReader::new().value(doc)
}

/// Rebuilds the values of one stream from the documents of a [`TypedJsonWriter`].
///
/// A `#N` reference names one type for the whole stream: its first definition builds it, and
/// later documents (and interface payloads) that list it again must define it the same way.
#[derive(Default)]
pub struct TypedJsonReader {
    /// By reference: the definition as first read, and the type built from it.
    known: HashMap<String, (Json, Type)>,
}

impl TypedJsonReader {
    /// A reader for a new stream.
    pub fn new() -> Self {
        TypedJsonReader::default()
    }

    /// The value of the stream's next document.
    pub fn value(&mut self, doc: &Json) -> Result<Value> {
        let obj = doc
            .as_object()
            .ok_or_else(|| Error::corrupt("typed JSON document must be an object"))?;
        self.learn_types(obj.get("types"))?;
        let ty = self.resolve(obj.get("type").unwrap_or(&Json::Null))?;
        let value = obj.get("value").unwrap_or(&Json::Null);
        if matches!(ty, Type::Interface) {
            // A top-level interface value is always a `Value::Interface` (never bare, see
            // `Value`): it encodes with its name and type id.
            return Ok(Value::Interface(Box::new(self.interface(value, "value")?)));
        }
        self.parse_value(&ty, value, "value")
    }

    /// An interface value from its typed-JSON form: `null` or a document with a `name`.
    fn interface(&mut self, j: &Json, at: &str) -> Result<Interface> {
        if j.is_null() {
            return Ok(Interface::nil());
        }
        let name = j.get("name").and_then(|n| n.as_str()).ok_or_else(|| {
            Error::corrupt(format!(
                "{at}: expected an interface object with a name, got {j}"
            ))
        })?;
        Ok(Interface::new(name, self.value(j)?))
    }

    /// Adds a document's new definitions as one [`TypeGroup`] (references between them,
    /// cycles included, become group-local indices; references to types of earlier documents
    /// stay those types) and checks that the ones already known are defined as before.
    fn learn_types(&mut self, table: Option<&Json>) -> Result<()> {
        let Some(Json::Object(t)) = table else {
            return Ok(());
        };
        for (k, def) in t {
            if let Some((known, _)) = self.known.get(k) {
                if known != def {
                    return Err(Error::corrupt(format!(
                        "type {k} is defined as {def} here but as {known} before"
                    )));
                }
            }
        }
        let new: Vec<(&String, &Json)> = t
            .iter()
            .filter(|(k, _)| !self.known.contains_key(*k))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let index: HashMap<&str, usize> = new
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (k.as_str(), i))
            .collect();
        let r = |t: Option<&Json>| -> Result<TypeRef> {
            let s = type_str(t.unwrap_or(&Json::Null))?;
            if let Some(b) = builtin(s) {
                return Ok(TypeRef::Type(b));
            }
            if let Some(i) = index.get(s) {
                return Ok(TypeRef::Local(*i));
            }
            match self.known.get(s) {
                Some((_, t)) => Ok(TypeRef::Type(t.clone())),
                None => Err(Error::corrupt(format!("unknown type reference {s:?}"))),
            }
        };
        let mut defs = Vec::with_capacity(new.len());
        for (k, def) in &new {
            let name = [
                "struct",
                "slice",
                "array",
                "map",
                "gob_encoder",
                "binary_marshaler",
                "text_marshaler",
            ]
            .iter()
            .find_map(|key| def.get(*key).and_then(|n| n.as_str()))
            .ok_or_else(|| Error::corrupt(format!("type {k}: unknown definition {def}")))?;
            let kind = if def.get("struct").is_some() {
                let fields = def
                    .get("fields")
                    .and_then(|f| f.as_array())
                    .map(|f| &f[..])
                    .unwrap_or_default();
                let mut fs = Vec::with_capacity(fields.len());
                for f in fields {
                    let name = f.get(0).and_then(|n| n.as_str()).ok_or_else(|| {
                        Error::corrupt(format!("struct field must be [name, type], got {f}"))
                    })?;
                    fs.push((name.to_string(), r(f.get(1))?));
                }
                DefKind::Struct(fs)
            } else if def.get("slice").is_some() {
                DefKind::Slice(r(def.get("elem"))?)
            } else if def.get("array").is_some() {
                let n = def
                    .get("len")
                    .and_then(|n| n.as_u64())
                    .ok_or_else(|| Error::corrupt("array type needs a len"))?;
                DefKind::Array(n, r(def.get("elem"))?)
            } else if def.get("map").is_some() {
                DefKind::Map(r(def.get("key"))?, r(def.get("elem"))?)
            } else if def.get("gob_encoder").is_some() {
                DefKind::GobEncoder
            } else if def.get("binary_marshaler").is_some() {
                DefKind::BinaryMarshaler
            } else {
                DefKind::TextMarshaler
            };
            let companions = match def.get("companions") {
                Some(Json::Array(cs)) => cs.iter().map(|c| r(Some(c))).collect::<Result<_>>()?,
                _ => Vec::new(),
            };
            defs.push(GroupDef {
                name: name.to_string(),
                kind,
                pointer_id: def.get("pointer_id").and_then(|p| p.as_bool()) == Some(true),
                companions,
                skip_ids: def
                    .get("skip_ids")
                    .and_then(|n| n.as_u64())
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
            });
        }
        let types = TypeGroup::build(defs)?;
        for ((k, def), ty) in new.into_iter().zip(types) {
            self.known.insert(k.clone(), (def.clone(), ty));
        }
        Ok(())
    }

    /// A type reference of a document: a builtin or a type of the stream.
    fn resolve(&self, t: &Json) -> Result<Type> {
        let s = type_str(t)?;
        match builtin(s) {
            Some(b) => Ok(b),
            None => self
                .known
                .get(s)
                .map(|(_, t)| t.clone())
                .ok_or_else(|| Error::corrupt(format!("unknown type reference {s:?}"))),
        }
    }

    fn parse_value(&mut self, t: &Type, j: &Json, at: &str) -> Result<Value> {
        let bad = |what: &str| Error::corrupt(format!("{at}: expected {what}, got {j}"));
        Ok(match t {
            Type::Bool => Value::Bool(j.as_bool().ok_or_else(|| bad("a bool"))?),
            Type::Int => Value::Int(j.as_i64().ok_or_else(|| bad("an int64"))?),
            Type::Uint => Value::Uint(j.as_u64().ok_or_else(|| bad("a uint64"))?),
            Type::Float => Value::Float(parse_float(j, at)?),
            Type::Complex => {
                let a = j
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| bad("[re, im]"))?;
                Value::Complex(parse_float(&a[0], at)?, parse_float(&a[1], at)?)
            }
            Type::String => match j {
                Json::String(s) => Value::String(s.as_str().into()),
                Json::Object(m) => Value::RawString(
                    unhex(
                        m.get("hex")
                            .and_then(|h| h.as_str())
                            .ok_or_else(|| bad("a string"))?,
                    )?
                    .into(),
                ),
                _ => return Err(bad("a string")),
            },
            Type::Bytes => Value::Bytes(
                unhex(
                    j.get("bytes")
                        .and_then(|h| h.as_str())
                        .ok_or_else(|| bad("{\"bytes\": hex}"))?,
                )?
                .into(),
            ),
            // An element, key or field: bare under its default name (see `Value`).
            Type::Interface => Value::from(self.interface(j, at)?),
            Type::Def(d) => match d.shape() {
                DefKind::Slice(e) | DefKind::Array(_, e) => {
                    let a = j.as_array().ok_or_else(|| bad("an array"))?;
                    let e = d.resolve(e);
                    let items = a
                        .iter()
                        .enumerate()
                        .map(|(i, x)| self.parse_value(&e, x, &format!("{at}[{i}]")))
                        .collect::<Result<Vec<_>>>()?;
                    if let DefKind::Array(n, _) = d.shape() {
                        if items.len() as u64 != *n {
                            return Err(bad(&format!("{n} array elements")));
                        }
                        Value::new_array(t.clone(), items)
                    } else {
                        Value::new_slice(t.clone(), items)
                    }
                }
                DefKind::Map(k, v) => {
                    let a = j
                        .get("map")
                        .and_then(|m| m.as_array())
                        .ok_or_else(|| bad("{\"map\": [[k, v], ...]}"))?;
                    let (k, v) = (d.resolve(k), d.resolve(v));
                    let mut entries = Vec::with_capacity(a.len());
                    for e in a {
                        let pair = e
                            .as_array()
                            .filter(|p| p.len() == 2)
                            .ok_or_else(|| bad("[k, v] pairs"))?;
                        entries.push((
                            self.parse_value(&k, &pair[0], at)?,
                            self.parse_value(&v, &pair[1], &format!("{at}[{}]", pair[0]))?,
                        ));
                    }
                    Value::new_map(t.clone(), entries)
                }
                DefKind::Struct(fields) => {
                    let m = j.as_object().ok_or_else(|| bad("an object"))?;
                    let mut out = Vec::new();
                    for (i, (name, ft)) in fields.iter().enumerate() {
                        if let Some(fj) = m.get(name) {
                            let ft = d.resolve(ft);
                            out.push((i, self.parse_value(&ft, fj, &format!("{at}.{name}"))?));
                        }
                    }
                    if let Some(k) = m.keys().find(|k| !fields.iter().any(|(n, _)| n == *k)) {
                        return Err(Error::corrupt(format!("{at}: struct has no field {k:?}")));
                    }
                    Value::new_struct(t.clone(), out)
                }
                DefKind::GobEncoder | DefKind::BinaryMarshaler | DefKind::TextMarshaler => {
                    Value::new_marshaled(
                        t.clone(),
                        unhex(
                            j.get("marshaled")
                                .and_then(|h| h.as_str())
                                .ok_or_else(|| bad("{\"marshaled\": hex}"))?,
                        )?,
                    )
                }
            },
        })
    }
}

/// A builtin type name, if `s` is one.
fn builtin(s: &str) -> Option<Type> {
    Some(match s {
        "bool" => Type::Bool,
        "int" => Type::Int,
        "uint" => Type::Uint,
        "float" => Type::Float,
        "complex" => Type::Complex,
        "string" => Type::String,
        "bytes" => Type::Bytes,
        "interface" => Type::Interface,
        _ => {
            return s
                .strip_prefix('@')
                .and_then(|id| id.parse().ok())
                .and_then(crate::bootstrap::bootstrap_dyn_type)
        }
    })
}

fn type_str(t: &Json) -> Result<&str> {
    t.as_str()
        .ok_or_else(|| Error::corrupt(format!("type must be a string, got {t}")))
}

fn parse_float(j: &Json, at: &str) -> Result<f64> {
    match j {
        Json::Number(n) => n
            .as_f64()
            .ok_or_else(|| Error::corrupt(format!("{at}: bad float {n}"))),
        Json::String(s) if s.starts_with("0x") => u64::from_str_radix(&s[2..], 16)
            .map(f64::from_bits)
            .map_err(|_| Error::corrupt(format!("{at}: bad float bits {s:?}"))),
        _ => Err(Error::corrupt(format!("{at}: expected a float, got {j}"))),
    }
}

/// Deepest nesting of JSON arrays and objects [`parse_typed_json`] accepts: enough for every
/// value the decoder accepts within [`crate::Limits`]' default depth (a map level takes three
/// JSON levels, an interface level two), small enough for the parser's recursion.
pub const MAX_JSON_DEPTH: usize = 4 * 256 + 64;

/// Parses one typed-JSON document from text. Unlike `serde_json::from_str`, whose recursion
/// limit (128) is below what a deep gob value needs, it accepts nesting up to
/// [`MAX_JSON_DEPTH`] (checked before parsing, so hostile text cannot exhaust the stack).
pub fn parse_typed_json(text: &str) -> Result<Json> {
    let depth = json_depth(text.as_bytes());
    if depth > MAX_JSON_DEPTH {
        return Err(Error::corrupt(format!(
            "JSON nested {depth} deep, more than the {MAX_JSON_DEPTH} allowed"
        )));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let mut docs = de.into_iter::<Json>();
    let doc = match docs.next() {
        Some(d) => d.map_err(|e| Error::corrupt(format!("invalid JSON: {e}")))?,
        None => return Err(Error::corrupt("invalid JSON: no document")),
    };
    if !text[docs.byte_offset()..].trim().is_empty() {
        return Err(Error::corrupt(
            "invalid JSON: trailing characters after the document",
        ));
    }
    Ok(doc)
}

/// The deepest nesting of `[`/`{` outside strings (a malformed text may count wrong; the
/// parser rejects it anyway).
fn json_depth(b: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &c in b {
        if in_str {
            match c {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// What Go's `encoding/json` decodes into an `interface{}`: objects become
/// `map[string]interface {}`, arrays `[]interface {}`, numbers `float64`.
pub fn interface_from_plain_json(j: &Json) -> Interface {
    match j {
        Json::Null => Interface::nil(),
        Json::Bool(b) => Interface::from(*b),
        Json::Number(n) => Interface::from(n.as_f64().unwrap_or(0.0)),
        Json::String(s) => Interface::from(s.as_str()),
        Json::Array(a) => Interface::new(
            "[]interface {}",
            Value::new_slice(
                Type::interface_slice(),
                a.iter()
                    .map(|x| Value::from(interface_from_plain_json(x)))
                    .collect(),
            ),
        ),
        Json::Object(m) => Interface::new(
            "map[string]interface {}",
            Value::new_map(
                Type::string_interface_map(),
                m.iter()
                    .map(|(k, v)| {
                        (
                            Value::String(k.as_str().into()),
                            Value::from(interface_from_plain_json(v)),
                        )
                    })
                    .collect(),
            ),
        ),
    }
}
