//! Go `encoding/json`, as far as the dispatcher script format needs it, byte-for-byte:
//!
//! - [`JsonWriter`]: `json.Encoder` with `SetEscapeHTML(false)` — struct fields in
//!   declaration order, map keys sorted, Go's float formatting (`42`, `1e+21`, `1e-7`),
//!   `\u2028`/`\u2029` escaped, invalid UTF-8 as `\ufffd`, `time.Time` as RFC 3339 with
//!   nanoseconds, `[]byte` as base64, and Go's errors for NaN/±Inf and complex numbers.
//! - [`parse`]: Go's scanner, with its syntax error texts (`invalid character 'h' in literal
//!   true (expecting 'r')`, `unexpected end of JSON input`, ...).
//! - [`Decoder`] plus the `decode_*` functions: `json.Unmarshal` into the dispatcher inputs
//!   with Go's rules (case-insensitive keys, later duplicates win, `null` leaves strings,
//!   numbers and structs alone but clears slices, maps and pointers, numbers in `interface{}`
//!   become `float64`) and Go's `UnmarshalTypeError` texts.

use std::collections::BTreeMap;

use gob::{DefKind, GoTime, Interface, Type, Value};

use super::types::*;

// ------------------------------------------------------------------------------ writer

/// Why a value cannot be written as JSON (Go's `json.Marshal` error text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

/// Appends Go-formatted JSON to a byte buffer.
#[derive(Debug, Default)]
pub struct JsonWriter {
    buf: Vec<u8>,
    escape_html: bool,
    json_slices: bool,
    empty_slices: bool,
    /// With [`JsonWriter::keeping_empty_arrays`]: where the document held `[]`, and the path
    /// being written (segments as in [`EmptyArrays`]).
    shape: Option<(EmptyArrays, String)>,
}

impl JsonWriter {
    /// An empty writer.
    pub fn new() -> Self {
        JsonWriter::default()
    }

    /// For the bodies of TiloRes' HTTP plugin protocol: escapes `<`, `>` and `&` in strings
    /// as `\u003c`, `\u003e`, `\u0026`, as `json.Marshal` and a default `json.Encoder` do
    /// (the script format turns it off); and writes an empty slice inside an `interface{}`
    /// value as `[]`: such values were decoded from JSON, where Go keeps `[]` non-nil (after
    /// gob an empty slice is nil, so the default writes `null`).
    pub fn http_body(mut self) -> Self {
        self.escape_html = true;
        self.json_slices = true;
        self
    }

    /// Writes an empty slice of a dispatcher value as `[]` (Go's non-nil empty slice)
    /// instead of `null` (Go's nil slice, the default: see [`super::types`]). For
    /// implementations whose Go original builds every output slice non-nil, as the Go fake
    /// dispatcher v0.6.0 does (`api.Edges{}`, `records[0:length]`, `[]*api.Entity{}`).
    pub fn empty_slices_as_arrays(mut self) -> Self {
        self.empty_slices = true;
        self
    }

    /// Writes an empty slice as `[]` exactly where `shape` (the JSON the value was decoded
    /// from) held `[]`, and as `null` elsewhere; empty slices inside `interface{}` values as
    /// `[]` (they came from JSON, where Go keeps `[]` non-nil). So a value decoded from Go's
    /// JSON and written again reads as Go's `json.Marshal(json.Unmarshal(..))` of it, although
    /// the Rust types hold nil and empty slices alike (see [`super::types`]).
    pub(crate) fn keeping_empty_arrays(mut self, shape: EmptyArrays) -> Self {
        self.json_slices = true;
        self.shape = Some((shape, String::new()));
        self
    }

    /// True when an empty slice at the current position is written `[]`.
    fn empty_as_array(&self) -> bool {
        self.empty_slices
            || self
                .shape
                .as_ref()
                .is_some_and(|(shape, path)| shape.0.contains(path))
    }

    /// Runs `write` one path segment deeper (only tracked with a shape).
    fn nested(
        &mut self,
        segment: impl FnOnce() -> String,
        write: impl FnOnce(&mut JsonWriter) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        let Some((_, path)) = &mut self.shape else {
            return write(self);
        };
        let len = path.len();
        path.push(EmptyArrays::SEP);
        path.push_str(&segment());
        let r = write(self);
        if let Some((_, path)) = &mut self.shape {
            path.truncate(len);
        }
        r
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// `null`
    pub fn null(&mut self) -> Result<(), JsonError> {
        self.raw("null");
        Ok(())
    }

    /// `true` / `false`
    pub fn bool(&mut self, b: bool) -> Result<(), JsonError> {
        self.raw(if b { "true" } else { "false" });
        Ok(())
    }

    /// A signed integer.
    pub fn int(&mut self, i: i64) -> Result<(), JsonError> {
        self.raw(&i.to_string());
        Ok(())
    }

    /// An unsigned integer.
    pub fn uint(&mut self, u: u64) -> Result<(), JsonError> {
        self.raw(&u.to_string());
        Ok(())
    }

    /// A float as Go formats a `float64` (`bits == 64`) or `float32` (`bits == 32`).
    pub fn float(&mut self, f: f64, bits: u32) -> Result<(), JsonError> {
        let s = go_float(f, bits)?;
        self.raw(&s);
        Ok(())
    }

    /// A string (valid UTF-8).
    pub fn string(&mut self, s: &str) -> Result<(), JsonError> {
        self.string_bytes(s.as_bytes())
    }

    /// A Go string that may hold any bytes: invalid UTF-8 is written as `\ufffd`, byte by
    /// byte, as Go does ([`gob::gotext::json_string`]).
    pub fn string_bytes(&mut self, s: &[u8]) -> Result<(), JsonError> {
        gob::gotext::json_string(&mut self.buf, s, self.escape_html);
        Ok(())
    }

    /// Writes an object whose members `body` adds with [`ObjectWriter::field`].
    pub fn object(
        &mut self,
        body: impl FnOnce(&mut ObjectWriter<'_>) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.buf.push(b'{');
        let mut o = ObjectWriter {
            w: self,
            first: true,
        };
        body(&mut o)?;
        self.buf.push(b'}');
        Ok(())
    }

    /// Writes an array of `items`, each with `each`.
    pub fn array<T>(
        &mut self,
        items: &[T],
        mut each: impl FnMut(&mut JsonWriter, &T) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        self.buf.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.nested(|| i.to_string(), |w| each(w, item))?;
        }
        self.buf.push(b']');
        Ok(())
    }
}

/// Adds members to an object being written by [`JsonWriter::object`].
pub struct ObjectWriter<'a> {
    w: &'a mut JsonWriter,
    first: bool,
}

impl ObjectWriter<'_> {
    /// Writes `"key":` and then the value with `value`.
    pub fn field(
        &mut self,
        key: &str,
        value: impl FnOnce(&mut JsonWriter) -> Result<(), JsonError>,
    ) -> Result<(), JsonError> {
        if !self.first {
            self.w.buf.push(b',');
        }
        self.first = false;
        self.w.string(key)?;
        self.w.buf.push(b':');
        self.w.nested(|| EmptyArrays::fold(key), value)
    }
}

/// The places of a JSON document that held an empty array (`[]`), as paths from its root:
/// object keys case-folded (Go matches struct fields case-insensitively), array indexes in
/// decimal. Where an object repeats a key, a later member replaces what an earlier one left
/// under it (objects merge, as Go decodes both into the same struct; Go also decodes a
/// repeated array of objects element-wise into the earlier elements, a corner not
/// followed: there an inner `[]` of the earlier member is written `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EmptyArrays(std::collections::HashSet<String>);

impl EmptyArrays {
    /// Separates path segments (cannot occur in a key: Go's parser keeps it, but no dispatcher
    /// type has such a field, and a map key holding it only blurs `[]` versus `null`).
    const SEP: char = '\u{0}';

    fn fold(key: &str) -> String {
        key.to_lowercase()
    }

    /// The empty arrays of `node`, with paths starting at `root` (a key, or empty for the
    /// document itself).
    pub(crate) fn of(root: &str, node: &Node) -> EmptyArrays {
        let mut out = EmptyArrays::default();
        let mut path = if root.is_empty() {
            String::new()
        } else {
            format!("{}{}", Self::SEP, Self::fold(root))
        };
        out.collect(&mut path, node);
        out
    }

    fn collect(&mut self, path: &mut String, node: &Node) {
        match node {
            Node::Array(items) if items.is_empty() => {
                self.0.insert(path.clone());
            }
            Node::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push(Self::SEP);
                    path.push_str(&i.to_string());
                    self.collect(path, item);
                    path.truncate(len);
                }
            }
            Node::Object(members) => {
                for (key, value) in members {
                    let len = path.len();
                    path.push(Self::SEP);
                    path.push_str(&Self::fold(key));
                    if !matches!(value, Node::Object(_)) {
                        // A repeated key replaces what an earlier member left there.
                        let prefix = path.clone();
                        self.0.retain(|p| {
                            !(p == &prefix
                                || p.strip_prefix(prefix.as_str())
                                    .is_some_and(|rest| rest.starts_with(Self::SEP)))
                        });
                    }
                    self.collect(path, value);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
}

/// One UTF-8 sequence at the start of `b`: the char and its length, or `None` when the
/// first byte does not start a valid sequence (Go's `utf8.RuneError` with width 1).
fn decode_rune(b: &[u8]) -> Option<(char, usize)> {
    let n = match b.first()? {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(b.get(..n)?).ok()?;
    s.chars().next().map(|c| (c, n))
}

/// Go's `encoding/json` float formatting ([`gob::gotext::json_float`]), with `json.Marshal`'s
/// error for NaN and ±Inf.
fn go_float(f: f64, bits: u32) -> Result<String, JsonError> {
    gob::gotext::json_float(f, bits).ok_or_else(|| {
        let g = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        JsonError(format!("json: unsupported value: {g}"))
    })
}

// ------------------------------------------------------------------ interface values

/// Writes a Go `interface{}` value as `encoding/json` does.
pub fn write_interface(w: &mut JsonWriter, i: &Interface) -> Result<(), JsonError> {
    let Some(c) = i.concrete() else {
        return w.null();
    };
    if let Some(v) = c.as_value() {
        return write_value(w, c.go_name(), v, 0);
    }
    if let Some(t) = i.downcast_ref::<GoTime>() {
        return write_time(w, t);
    }
    if let Some(p) = i.downcast_ref::<SearchParameters>() {
        return write_interface_map(w, &p.0);
    }
    if let Some(x) = i.downcast_ref::<EntityInput>() {
        return x.write_json(w);
    }
    if let Some(x) = i.downcast_ref::<SearchInput>() {
        return x.write_json(w);
    }
    if let Some(x) = i.downcast_ref::<SubmitInput>() {
        return x.write_json(w);
    }
    if let Some(x) = i.downcast_ref::<DisassembleInput>() {
        return x.write_json(w);
    }
    if let Some(x) = i.downcast_ref::<RemoveConnectionBanInput>() {
        return x.write_json(w);
    }
    Err(JsonError(format!(
        "json: unsupported type: {}",
        c.go_name().trim_start_matches('*')
    )))
}

fn write_time(w: &mut JsonWriter, t: &GoTime) -> Result<(), JsonError> {
    let s = t.to_rfc3339();
    // Go's Time.MarshalJSON refuses years outside [0,9999].
    let year_ok = s.len() >= 4 && s.as_bytes()[4] == b'-' && !s.starts_with('-');
    if !year_ok {
        return Err(JsonError(
            "json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]"
                .into(),
        ));
    }
    w.string(&s)
}

fn write_interface_map(w: &mut JsonWriter, m: &InterfaceMap) -> Result<(), JsonError> {
    w.object(|o| {
        for (k, v) in m {
            o.field(k, |w| write_interface(w, v))?;
        }
        Ok(())
    })
}

/// Nesting beyond which Go's encoder reports a cycle; a decoded value cannot be cyclic, but
/// the bound keeps hostile depth from exhausting the stack.
const MAX_WRITE_DEPTH: usize = 1000;

/// Writes a dynamic value held under the Go type name `name`.
fn write_value(w: &mut JsonWriter, name: &str, v: &Value, depth: usize) -> Result<(), JsonError> {
    if depth > MAX_WRITE_DEPTH {
        return Err(JsonError(format!(
            "json: unsupported value: value nested deeper than {MAX_WRITE_DEPTH}"
        )));
    }
    // A bare value in an `interface{}` position (see `gob::Value`), or one without a type
    // hint, goes by its own type's name.
    let own;
    let name = if (name.is_empty() || name == "interface {}") && !matches!(v, Value::Interface(_)) {
        own = v.default_go_name();
        &*own
    } else {
        name
    };
    match v {
        Value::Bool(b) => w.bool(*b)?,
        Value::Int(i) => w.int(*i)?,
        Value::Uint(u) => w.uint(*u)?,
        Value::Float(f) => w.float(*f, if name == "float32" { 32 } else { 64 })?,
        Value::Complex(..) => {
            let t = if name == "complex64" {
                "complex64"
            } else {
                "complex128"
            };
            return Err(JsonError(format!("json: unsupported type: {t}")));
        }
        Value::String(s) => w.string(s)?,
        Value::RawString(b) => w.string_bytes(b)?,
        // Gob cannot carry an empty non-nil slice: Go decodes it as nil, which is `null`.
        Value::Bytes(b) if b.is_empty() => w.null()?,
        Value::Bytes(b) => w.string(&gob::gotext::base64(b))?,
        Value::Slice(c) if c.items.is_empty() && !w.json_slices => w.null()?,
        Value::Slice(c) | Value::Array(c) => {
            let elem = elem_name(name, &c.ty);
            w.array(&c.items, |w, x| write_value(w, &elem, x, depth + 1))?
        }
        // Go's encoding/json takes string, integer and TextMarshaler keys only: an
        // `interface{}` key type is refused whatever the keys hold.
        Value::Map(c) if c.ty.interface_positions().0 => {
            return Err(JsonError(format!("json: unsupported type: {name}")));
        }
        Value::Map(c) => {
            let elem = elem_name(name, &c.ty);
            let mut keyed = Vec::with_capacity(c.items.len());
            for (k, x) in &c.items {
                let key = match k {
                    Value::String(s) => s.to_string(),
                    Value::RawString(b) => String::from_utf8_lossy(b).into_owned(),
                    Value::Int(i) => i.to_string(),
                    Value::Uint(u) => u.to_string(),
                    _ => return Err(JsonError(format!("json: unsupported type: {name}"))),
                };
                keyed.push((key, x));
            }
            // Go sorts the keys as strings; later duplicates cannot occur in a Go map.
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            w.object(|o| {
                for (k, x) in keyed {
                    o.field(&k, |w| write_value(w, &elem, x, depth + 1))?;
                }
                Ok(())
            })?
        }
        Value::Struct(c) => {
            // A struct that is not one of the dispatcher types (those decode typed): Go would
            // use its JSON tags, which the wire does not carry; the Go field names are the
            // closest faithful rendering.
            let def = c.ty.def();
            let names = match def.map(|d| d.shape()) {
                Some(DefKind::Struct(f)) => &f[..],
                _ => &[],
            };
            w.object(|o| {
                for (i, x) in &c.items {
                    if let (Some(d), Some((n, ft))) = (def, names.get(*i)) {
                        let fname = type_name_hint(&d.resolve(ft));
                        o.field(n, |w| write_value(w, &fname, x, depth + 1))?;
                    }
                }
                Ok(())
            })?
        }
        Value::Nil => w.null()?,
        Value::Interface(i) => match i.concrete() {
            None => w.null()?,
            Some(c) => match c.as_value() {
                Some(v) => write_value(w, c.go_name(), v, depth + 1)?,
                None => write_interface(w, i)?,
            },
        },
        Value::Marshaled(c) => {
            if name == "time.Time" || name == "Time" {
                let t = GoTime::unmarshal_binary(&c.items).map_err(|e| {
                    JsonError(format!(
                        "json: error calling MarshalJSON for type time.Time: {e}"
                    ))
                })?;
                write_time(w, &t)?
            } else {
                return Err(JsonError(format!("json: unsupported type: {name}")));
            }
        }
    }
    Ok(())
}

/// The Go element type name of a slice or map type name (`[]float32` → `float32`), used to
/// keep float32 formatting for elements.
fn elem_name(name: &str, t: &Type) -> String {
    if let Some(e) = name.strip_prefix("[]") {
        return e.to_string();
    }
    if let Some(rest) = name.strip_prefix("map[") {
        if let Some(i) = rest.find(']') {
            return rest[i + 1..].to_string();
        }
    }
    let Some(d) = t.def() else {
        return String::new();
    };
    match d.shape() {
        DefKind::Slice(e) | DefKind::Array(_, e) | DefKind::Map(_, e) => {
            type_name_hint(&d.resolve(e))
        }
        _ => String::new(),
    }
}

fn type_name_hint(t: &Type) -> String {
    match t {
        Type::Def(d) if d.name() == "Time" => "time.Time".into(),
        Type::Def(d) => d.name().to_string(),
        _ => String::new(),
    }
}

/// An interface value as a `serde_json::Value` with Go's JSON semantics (for the serde
/// implementations of the dispatcher types).
pub(crate) fn interface_to_serde(i: &Interface) -> Result<serde_json::Value, JsonError> {
    let mut w = JsonWriter::new();
    write_interface(&mut w, i)?;
    serde_json::from_slice(&w.into_bytes()).map_err(|e| JsonError(e.to_string()))
}

// ----------------------------------------------------------- typed writers (outputs)

/// A type written as Go's `encoding/json` writes its Go counterpart.
pub trait WriteJson {
    /// Appends the JSON form.
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError>;
}

fn write_strings(w: &mut JsonWriter, v: &[String]) -> Result<(), JsonError> {
    if v.is_empty() && !w.empty_as_array() {
        return w.null();
    }
    w.array(v, |w, s| w.string(s))
}

fn write_slice<T: WriteJson>(w: &mut JsonWriter, v: &[T]) -> Result<(), JsonError> {
    if v.is_empty() && !w.empty_as_array() {
        return w.null();
    }
    w.array(v, |w, x| x.write_json(w))
}

fn write_string_slice_map(
    w: &mut JsonWriter,
    m: Option<&BTreeMap<String, Vec<String>>>,
) -> Result<(), JsonError> {
    match m {
        None => w.null(),
        Some(m) => w.object(|o| {
            for (k, v) in m {
                o.field(k, |w| write_strings(w, v))?;
            }
            Ok(())
        }),
    }
}

impl WriteJson for Record {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("id", |w| w.string(&self.id))?;
            o.field("data", |w| match &self.data {
                None => w.null(),
                Some(m) => write_interface_map(w, m),
            })
        })
    }
}

impl WriteJson for Entity {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("id", |w| w.string(&self.id))?;
            o.field("records", |w| write_slice(w, &self.records))?;
            o.field("edges", |w| write_strings(w, &self.edges.0))?;
            o.field("duplicates", |w| {
                write_string_slice_map(w, self.duplicates.as_ref().map(|d| &d.0))
            })?;
            o.field("hits", |w| {
                write_string_slice_map(w, self.hits.as_ref().map(|d| &d.0))
            })
        })
    }
}

impl WriteJson for EntityOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("entity", |w| match &self.entity {
                None => w.null(),
                Some(e) => e.write_json(w),
            })
        })
    }
}

impl WriteJson for SearchOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("entities", |w| write_slice(w, &self.entities)))
    }
}

impl WriteJson for SubmitOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("recordsAdded", |w| w.int(self.records_added)))
    }
}

impl WriteJson for DisassembleOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("deletedEdges", |w| w.int(self.deleted_edges.into()))?;
            o.field("deletedRecords", |w| w.int(self.deleted_records.into()))?;
            o.field("entityIDs", |w| write_strings(w, &self.entity_ids))
        })
    }
}

impl WriteJson for EntityInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("id", |w| w.string(&self.id)))
    }
}

impl WriteJson for SearchInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("parameters", |w| match &self.parameters {
                None => w.null(),
                Some(p) => write_interface_map(w, &p.0),
            })
        })
    }
}

impl WriteJson for SubmitInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("records", |w| write_slice(w, &self.records)))
    }
}

impl WriteJson for DisassembleInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("reference", |w| w.string(&self.reference))?;
            o.field("edges", |w| {
                if self.edges.is_empty() && !w.empty_as_array() {
                    return w.null();
                }
                w.array(&self.edges, |w, e| {
                    w.object(|o| {
                        o.field("a", |w| w.string(&e.a))?;
                        o.field("b", |w| w.string(&e.b))
                    })
                })
            })?;
            o.field("recordIDs", |w| write_strings(w, &self.record_ids))?;
            o.field("createConnectionBan", |w| {
                w.bool(self.create_connection_ban)
            })?;
            o.field("meta", |w| {
                w.object(|o| {
                    o.field("user", |w| w.string(&self.meta.user))?;
                    o.field("reason", |w| w.string(&self.meta.reason))
                })
            })?;
            o.field("timeout", |w| match self.timeout {
                None => w.null(),
                Some(t) => w.int(t),
            })
        })
    }
}

impl WriteJson for RemoveConnectionBanInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("reference", |w| w.string(&self.reference))?;
            o.field("entityID", |w| w.string(&self.entity_id))?;
            o.field("others", |w| write_strings(w, &self.others))?;
            o.field("meta", |w| {
                w.object(|o| {
                    o.field("user", |w| w.string(&self.meta.user))?;
                    o.field("reason", |w| w.string(&self.meta.reason))
                })
            })
        })
    }
}

/// No output (RemoveConnectionBan): Go's JSON of the nil it stands for.
impl WriteJson for () {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.null()
    }
}

/// Writes `value` with serde_json, for a type without a Go writer of its own (e.g. a new
/// method's output). Differs from Go only in float exponents (`1e21`, Go `1e+21`) and in not
/// escaping U+2028/U+2029.
pub fn write_json_via_serde<T: serde::Serialize>(
    value: &T,
    w: &mut JsonWriter,
) -> Result<(), JsonError> {
    let bytes = serde_json::to_vec(value).map_err(|e| JsonError(e.to_string()))?;
    w.buf.extend_from_slice(&bytes);
    Ok(())
}

/// Decodes `node` with serde_json, for a type without a Go decoder of its own (e.g. a new
/// method's input); errors are serde's, not Go's.
pub fn decode_json_via_serde<T: serde::de::DeserializeOwned>(node: &Node) -> Result<T, String> {
    serde_json::from_value(node_to_serde(node)).map_err(|e| e.to_string())
}

fn node_to_serde(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match node {
        Node::Null => J::Null,
        Node::Bool(b) => J::Bool(*b),
        // The scanner accepted the literal as a JSON number, so serde_json does too.
        Node::Number(lit) => serde_json::from_str(lit).unwrap_or(J::Null),
        Node::String(s) => J::String(s.clone()),
        Node::Array(items) => J::Array(items.iter().map(node_to_serde).collect()),
        Node::Object(members) => J::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), node_to_serde(v)))
                .collect(),
        ),
    }
}

// ------------------------------------------------------------------------------ parser

/// A parsed JSON value. Numbers keep their literal text (Go converts them only once the
/// target type is known); strings are already unescaped with Go's replacement rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number literal, as written.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, members in input order (duplicates kept: Go applies them in order).
    Object(Vec<(String, Node)>),
}

impl Node {
    /// What Go's `UnmarshalTypeError` calls this kind of value.
    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "bool",
            Node::Number(_) => "number",
            Node::String(_) => "string",
            Node::Array(_) => "array",
            Node::Object(_) => "object",
        }
    }
}

/// Go's scanner nesting limit (`maxNestingDepth`).
const MAX_NESTING: usize = 10_000;

/// Go's `quoteChar`: the offending byte as Go shows it in syntax errors (a byte ≥ 0x80 is
/// shown as the Latin-1 character of that value, as Go's `string(c)` does).
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        b'\\' => "'\\\\'".into(),
        0x07 => "'\\a'".into(),
        0x08 => "'\\b'".into(),
        0x0c => "'\\f'".into(),
        b'\n' => "'\\n'".into(),
        b'\r' => "'\\r'".into(),
        b'\t' => "'\\t'".into(),
        0x0b => "'\\v'".into(),
        0x00..=0x1f | 0x7f => format!("'\\x{c:02x}'"),
        // Not printable for Go's strconv.IsPrint: C1 controls, NBSP, soft hyphen.
        0x80..=0xa0 | 0xad => format!("'\\u{c:04x}'"),
        _ => format!("'{}'", char::from(c)),
    }
}

fn syntax(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

const UNEXPECTED_END: &str = "unexpected end of JSON input";

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

enum Frame {
    Array(Vec<Node>),
    Object(Vec<(String, Node)>, String),
}

/// Parses one JSON document like Go's `json.Unmarshal` checks it (the whole input first),
/// returning Go's syntax error text on failure.
pub fn parse(input: &[u8]) -> Result<Node, String> {
    let mut p = Parser { b: input, pos: 0 };
    let mut stack: Vec<Frame> = Vec::new();
    'value: loop {
        p.skip_ws();
        let c = p.peek().ok_or(UNEXPECTED_END)?;
        let mut node = match c {
            b'{' | b'[' => {
                if stack.len() + 1 > MAX_NESTING {
                    return Err(syntax(c, "exceeded max depth"));
                }
                p.pos += 1;
                p.skip_ws();
                let close = if c == b'{' { b'}' } else { b']' };
                if p.peek().ok_or(UNEXPECTED_END)? == close {
                    p.pos += 1;
                    if c == b'{' {
                        Node::Object(Vec::new())
                    } else {
                        Node::Array(Vec::new())
                    }
                } else if c == b'{' {
                    let key = p.key()?;
                    stack.push(Frame::Object(Vec::new(), key));
                    continue 'value;
                } else {
                    stack.push(Frame::Array(Vec::new()));
                    continue 'value;
                }
            }
            b'"' => Node::String(p.string()?),
            b'-' | b'0'..=b'9' => Node::Number(p.number()?),
            b't' => p.literal("true", Node::Bool(true))?,
            b'f' => p.literal("false", Node::Bool(false))?,
            b'n' => p.literal("null", Node::Null)?,
            _ => return Err(syntax(c, "looking for beginning of value")),
        };
        // A complete value: hand it to the enclosing containers, closing those that end.
        loop {
            match stack.last_mut() {
                None => {
                    p.skip_ws();
                    if let Some(c) = p.peek() {
                        return Err(syntax(c, "after top-level value"));
                    }
                    return Ok(node);
                }
                Some(Frame::Array(items)) => {
                    items.push(node);
                    p.skip_ws();
                    match p.peek().ok_or(UNEXPECTED_END)? {
                        b',' => {
                            p.pos += 1;
                            continue 'value;
                        }
                        b']' => {
                            p.pos += 1;
                            let items = std::mem::take(items);
                            stack.pop();
                            node = Node::Array(items);
                        }
                        c => return Err(syntax(c, "after array element")),
                    }
                }
                Some(Frame::Object(members, key)) => {
                    members.push((std::mem::take(key), node));
                    p.skip_ws();
                    match p.peek().ok_or(UNEXPECTED_END)? {
                        b',' => {
                            p.pos += 1;
                            p.skip_ws();
                            *key = p.key()?;
                            continue 'value;
                        }
                        b'}' => {
                            p.pos += 1;
                            let members = std::mem::take(members);
                            stack.pop();
                            node = Node::Object(members);
                        }
                        c => return Err(syntax(c, "after object key:value pair")),
                    }
                }
            }
        }
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The byte at the cursor, or — at the end of the input inside a number or literal —
    /// the space Go's scanner feeds itself at EOF (which then produces its error).
    fn next_or_space(&self) -> u8 {
        self.peek().unwrap_or(b' ')
    }

    /// An object key and the colon after it (the cursor is at the key's first byte).
    fn key(&mut self) -> Result<String, String> {
        let c = self.peek().ok_or(UNEXPECTED_END)?;
        if c != b'"' {
            return Err(syntax(c, "looking for beginning of object key string"));
        }
        let k = self.string()?;
        self.skip_ws();
        match self.peek().ok_or(UNEXPECTED_END)? {
            b':' => {
                self.pos += 1;
                Ok(k)
            }
            c => Err(syntax(c, "after object key")),
        }
    }

    fn literal(&mut self, word: &'static str, node: Node) -> Result<Node, String> {
        let w = word.as_bytes();
        for (i, &want) in w.iter().enumerate().skip(1) {
            let c = self.b.get(self.pos + i).copied().unwrap_or(b' ');
            if c != want {
                return Err(syntax(
                    c,
                    &format!("in literal {word} (expecting {})", quote_char(want)),
                ));
            }
        }
        self.pos += w.len();
        Ok(node)
    }

    fn number(&mut self) -> Result<String, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            let c = self.next_or_space();
            if !c.is_ascii_digit() {
                return Err(syntax(c, "in numeric literal"));
            }
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let c = self.next_or_space();
            if !c.is_ascii_digit() {
                return Err(syntax(c, "after decimal point in numeric literal"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let c = self.next_or_space();
            if !c.is_ascii_digit() {
                return Err(syntax(c, "in exponent of numeric literal"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        Ok(String::from_utf8_lossy(&self.b[start..self.pos]).into_owned())
    }

    /// A string literal (cursor at the opening quote), validated like Go's scanner and
    /// unescaped like Go's `unquote`: invalid UTF-8 bytes and lone surrogates become U+FFFD.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek().ok_or(UNEXPECTED_END)?;
            match c {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    self.pos += 1;
                    let e = self.peek().ok_or(UNEXPECTED_END)?;
                    self.pos += 1;
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(0x08),
                        b'f' => Some(0x0c),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(syntax(e, "in string escape code")),
                    };
                    if let Some(s) = simple {
                        out.push(s);
                        continue;
                    }
                    let r = self.hex4()?;
                    let ch = if (0xd800..0xdc00).contains(&r) {
                        // A high surrogate pairs only with an immediately following \u low
                        // surrogate; otherwise it is U+FFFD and the next escape stands alone.
                        let save = self.pos;
                        let low = if self.b.get(self.pos) == Some(&b'\\')
                            && self.b.get(self.pos + 1) == Some(&b'u')
                        {
                            self.pos += 2;
                            Some(self.hex4()?)
                        } else {
                            None
                        };
                        match low {
                            Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                                let v = 0x10000 + ((r - 0xd800) << 10) + (lo - 0xdc00);
                                char::from_u32(v).unwrap_or('\u{fffd}')
                            }
                            _ => {
                                self.pos = save;
                                '\u{fffd}'
                            }
                        }
                    } else {
                        char::from_u32(r).unwrap_or('\u{fffd}')
                    };
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                0x00..=0x1f => return Err(syntax(c, "in string literal")),
                0x20..=0x7f => {
                    out.push(c);
                    self.pos += 1;
                }
                _ => match decode_rune(&self.b[self.pos..]) {
                    Some((_, n)) => {
                        out.extend_from_slice(&self.b[self.pos..self.pos + n]);
                        self.pos += n;
                    }
                    None => {
                        out.extend_from_slice("\u{fffd}".as_bytes());
                        self.pos += 1;
                    }
                },
            }
        }
        // Only valid UTF-8 was appended above.
        Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..4 {
            let c = self.peek().ok_or(UNEXPECTED_END)?;
            let d = (c as char)
                .to_digit(16)
                .ok_or_else(|| syntax(c, "in \\u hexadecimal character escape"))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
}

// ---------------------------------------------------------------------- typed decoding

/// Go's decoding context for `UnmarshalTypeError` texts: the innermost struct being decoded
/// and the path of JSON field names (array indexes and map keys are not part of it).
#[derive(Debug, Default, Clone)]
pub struct Decoder {
    strukt: Option<&'static str>,
    fields: Vec<&'static str>,
}

impl Decoder {
    /// A decoder at the top level.
    pub fn new() -> Self {
        Decoder::default()
    }

    fn type_error(&self, value: &str, go_type: &str) -> String {
        match self.strukt {
            Some(s) => format!(
                "json: cannot unmarshal {value} into Go struct field {s}.{} of type {go_type}",
                self.fields.join(".")
            ),
            None => format!("json: cannot unmarshal {value} into Go value of type {go_type}"),
        }
    }

    /// Decodes an object into a struct named `go_struct` (bare Go name, e.g. `EntityInput`;
    /// `go_type` the full name for errors) with `field` handling each known member.
    /// Unknown members are ignored; names match exactly first, then case-insensitively.
    pub fn decode_struct(
        &mut self,
        node: &Node,
        go_type: &str,
        go_struct: &'static str,
        names: &[&'static str],
        mut field: impl FnMut(&mut Decoder, usize, &Node) -> Result<(), String>,
    ) -> Result<(), String> {
        let members = match node {
            Node::Null => return Ok(()),
            Node::Object(m) => m,
            other => return Err(self.type_error(other.kind(), go_type)),
        };
        for (key, value) in members {
            let idx = names
                .iter()
                .position(|n| n == key)
                .or_else(|| names.iter().position(|n| fold_eq(n, key)));
            let Some(idx) = idx else { continue };
            let saved = (self.strukt, self.fields.len());
            self.strukt = Some(go_struct);
            self.fields.push(names[idx]);
            let r = field(self, idx, value);
            self.strukt = saved.0;
            self.fields.truncate(saved.1);
            r?;
        }
        Ok(())
    }

    /// A Go `string` (null leaves it alone).
    pub fn string(&mut self, node: &Node, out: &mut String) -> Result<(), String> {
        match node {
            Node::Null => Ok(()),
            Node::String(s) => {
                out.clone_from(s);
                Ok(())
            }
            other => Err(self.type_error(other.kind(), "string")),
        }
    }

    /// A Go `bool`.
    pub fn bool(&mut self, node: &Node, out: &mut bool) -> Result<(), String> {
        match node {
            Node::Null => Ok(()),
            Node::Bool(b) => {
                *out = *b;
                Ok(())
            }
            other => Err(self.type_error(other.kind(), "bool")),
        }
    }

    /// A Go signed integer type named `go_type` (`int64`, `time.Duration`).
    pub fn int64(&mut self, node: &Node, go_type: &str, out: &mut i64) -> Result<(), String> {
        match node {
            Node::Null => Ok(()),
            Node::Number(lit) => {
                *out = parse_go_int(lit)
                    .ok_or_else(|| self.type_error(&format!("number {lit}"), go_type))?;
                Ok(())
            }
            other => Err(self.type_error(other.kind(), go_type)),
        }
    }

    /// A Go pointer to a signed integer (null makes it nil).
    pub fn int64_ptr(
        &mut self,
        node: &Node,
        go_type: &str,
        out: &mut Option<i64>,
    ) -> Result<(), String> {
        if let Node::Null = node {
            *out = None;
            return Ok(());
        }
        let v = out.get_or_insert(0);
        self.int64(node, go_type, v)
    }

    /// A Go `[]string` (null makes it nil).
    pub fn strings(&mut self, node: &Node, out: &mut Vec<String>) -> Result<(), String> {
        self.slice(node, "[]string", out, |d, n, s| d.string(n, s))
    }

    /// A Go slice of `T` (null makes it nil; elements decode into the existing ones, as
    /// Go reuses them).
    pub fn slice<T: Default>(
        &mut self,
        node: &Node,
        go_type: &str,
        out: &mut Vec<T>,
        mut elem: impl FnMut(&mut Decoder, &Node, &mut T) -> Result<(), String>,
    ) -> Result<(), String> {
        let items = match node {
            Node::Null => {
                out.clear();
                return Ok(());
            }
            Node::Array(items) => items,
            other => return Err(self.type_error(other.kind(), go_type)),
        };
        out.truncate(items.len());
        for (i, item) in items.iter().enumerate() {
            if i == out.len() {
                out.push(T::default());
            }
            elem(self, item, &mut out[i])?;
        }
        Ok(())
    }

    /// A Go `map[string]interface{}` (or a named type over it, `go_type`); null makes it
    /// nil, members are added to an existing map.
    pub fn interface_map(
        &mut self,
        node: &Node,
        go_type: &str,
        out: &mut Option<InterfaceMap>,
    ) -> Result<(), String> {
        let members = match node {
            Node::Null => {
                *out = None;
                return Ok(());
            }
            Node::Object(m) => m,
            other => return Err(self.type_error(other.kind(), go_type)),
        };
        let map = out.get_or_insert_with(BTreeMap::new);
        for (k, v) in members {
            let i = self.interface(v)?;
            map.insert(k.as_str().into(), i);
        }
        Ok(())
    }

    /// A Go `interface{}`: objects become `map[string]interface {}`, arrays
    /// `[]interface {}`, numbers `float64`.
    pub fn interface(&mut self, node: &Node) -> Result<Interface, String> {
        Ok(match node {
            Node::Null => Interface::nil(),
            Node::Bool(b) => Interface::from(*b),
            Node::String(s) => Interface::from(s.as_str()),
            Node::Number(lit) => Interface::from(self.float64(lit)?),
            Node::Array(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for x in items {
                    vals.push(Value::from(self.interface(x)?));
                }
                Interface::new(
                    "[]interface {}",
                    Value::new_slice(Type::interface_slice(), vals),
                )
            }
            Node::Object(members) => {
                // Later duplicates win, keeping the first position is irrelevant: Go's map
                // has no order and the writer sorts keys.
                let mut m: BTreeMap<&str, Value> = BTreeMap::new();
                for (k, v) in members {
                    m.insert(k, Value::from(self.interface(v)?));
                }
                Interface::new(
                    "map[string]interface {}",
                    Value::new_map(
                        Type::string_interface_map(),
                        m.into_iter()
                            .map(|(k, v)| (Value::String(k.into()), v))
                            .collect(),
                    ),
                )
            }
        })
    }

    fn float64(&self, lit: &str) -> Result<f64, String> {
        match lit.parse::<f64>() {
            // Go's ParseFloat fails only on overflow (±Inf); underflow quietly gives 0.
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err(self.type_error(&format!("number {lit}"), "float64")),
        }
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)` on a JSON number literal.
fn parse_go_int(lit: &str) -> Option<i64> {
    let digits = lit.strip_prefix('-').unwrap_or(lit);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    lit.parse::<i64>().ok()
}

/// Go's case-insensitive key match (`bytes.EqualFold` on the field name).
fn fold_eq(a: &str, b: &str) -> bool {
    let mut x = a.chars().flat_map(char::to_lowercase);
    let mut y = b.chars().flat_map(char::to_lowercase);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q => {}
            _ => return false,
        }
    }
}

/// An input type decodable from JSON with Go's `json.Unmarshal` semantics.
pub trait DecodeJson: Default {
    /// Go's type name in top-level errors (`dispatcher.EntityInput`).
    const GO_TYPE: &'static str;
    /// Decodes `node` into `self` (which holds what was there before, as in Go).
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String>;
}

impl DecodeJson for EntityInput {
    const GO_TYPE: &'static str = "dispatcher.EntityInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        d.decode_struct(node, Self::GO_TYPE, "EntityInput", &["id"], |d, _, n| {
            d.string(n, &mut self.id)
        })
    }
}

/// A record during decoding: Go's `*api.Record` can be nil (`null` element), which the
/// Go client then fails to encode.
type RecordSlot = Option<Record>;

fn decode_record(d: &mut Decoder, node: &Node, slot: &mut RecordSlot) -> Result<(), String> {
    if let Node::Null = node {
        *slot = None;
        return Ok(());
    }
    let rec = slot.get_or_insert_with(Record::default);
    d.decode_struct(node, "api.Record", "Record", &["id", "data"], |d, i, n| {
        if i == 0 {
            d.string(n, &mut rec.id)
        } else {
            d.interface_map(n, "map[string]interface {}", &mut rec.data)
        }
    })
}

/// [`SubmitInput`] as decoded from JSON, before the nil-record check.
#[derive(Debug, Default, Clone)]
pub struct SubmitInputJson {
    records: Vec<RecordSlot>,
}

impl SubmitInputJson {
    /// The input, or Go's gob encoding error when a record is `null` (Go's client cannot
    /// send a nil `*api.Record`).
    pub fn into_input(self) -> Result<SubmitInput, String> {
        let mut records = Vec::with_capacity(self.records.len());
        for r in self.records {
            records.push(r.ok_or("gob: encodeArray: nil element")?);
        }
        Ok(SubmitInput { records })
    }
}

impl DecodeJson for SubmitInputJson {
    const GO_TYPE: &'static str = "dispatcher.SubmitInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "SubmitInput",
            &["records"],
            |d, _, n| {
                d.slice(n, "[]*api.Record", &mut self.records, |d, n, r| {
                    // The element error names the pointed-to type, as Go's does.
                    match n {
                        Node::Null | Node::Object(_) => decode_record(d, n, r),
                        other => Err(d.type_error(other.kind(), "api.Record")),
                    }
                })
            },
        )
    }
}

impl DecodeJson for SearchInput {
    const GO_TYPE: &'static str = "dispatcher.SearchInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "SearchInput",
            &["parameters"],
            |d, _, n| {
                let mut m = self.parameters.take().map(|p| p.0);
                let r = d.interface_map(n, "api.SearchParameters", &mut m);
                self.parameters = m.map(SearchParameters);
                r
            },
        )
    }
}

impl DecodeJson for DisassembleInput {
    const GO_TYPE: &'static str = "dispatcher.DisassembleInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        const NAMES: &[&str] = &[
            "reference",
            "edges",
            "recordIDs",
            "createConnectionBan",
            "meta",
            "timeout",
        ];
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "DisassembleInput",
            NAMES,
            |d, i, n| match i {
                0 => d.string(n, &mut self.reference),
                1 => d.slice(
                    n,
                    "[]dispatcher.DisassembleEdge",
                    &mut self.edges,
                    |d, n, e| {
                        d.decode_struct(
                            n,
                            "dispatcher.DisassembleEdge",
                            "DisassembleEdge",
                            &["a", "b"],
                            |d, i, n| d.string(n, if i == 0 { &mut e.a } else { &mut e.b }),
                        )
                    },
                ),
                2 => d.strings(n, &mut self.record_ids),
                3 => d.bool(n, &mut self.create_connection_ban),
                4 => {
                    let m = &mut self.meta;
                    d.decode_struct(
                        n,
                        "dispatcher.DisassembleMeta",
                        "DisassembleMeta",
                        &["user", "reason"],
                        |d, i, n| d.string(n, if i == 0 { &mut m.user } else { &mut m.reason }),
                    )
                }
                _ => d.int64_ptr(n, "time.Duration", &mut self.timeout),
            },
        )
    }
}

impl DecodeJson for RemoveConnectionBanInput {
    const GO_TYPE: &'static str = "dispatcher.RemoveConnectionBanInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        const NAMES: &[&str] = &["reference", "entityID", "others", "meta"];
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "RemoveConnectionBanInput",
            NAMES,
            |d, i, n| match i {
                0 => d.string(n, &mut self.reference),
                1 => d.string(n, &mut self.entity_id),
                2 => d.strings(n, &mut self.others),
                _ => {
                    let m = &mut self.meta;
                    d.decode_struct(
                        n,
                        "dispatcher.RemoveConnectionBanMeta",
                        "RemoveConnectionBanMeta",
                        &["user", "reason"],
                        |d, i, n| d.string(n, if i == 0 { &mut m.user } else { &mut m.reason }),
                    )
                }
            },
        )
    }
}

#[cfg(test)]
impl WriteJson for EchoOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("text", |w| w.string(&self.text)))
    }
}

#[cfg(test)]
impl WriteJson for EchoInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("text", |w| w.string(&self.text)))
    }
}

#[cfg(test)]
impl DecodeJson for EchoInput {
    const GO_TYPE: &'static str = "dispatcher.EchoInput";
    fn decode_json(&mut self, _d: &mut Decoder, node: &Node) -> Result<(), String> {
        *self = decode_json_via_serde(node)?;
        Ok(())
    }
}

/// Decodes `node` into a fresh `T`, with Go's error texts.
pub fn decode<T: DecodeJson>(node: &Node) -> Result<T, String> {
    let mut out = T::default();
    out.decode_json(&mut Decoder::new(), node)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> String {
        parse(input.as_bytes()).unwrap_err()
    }

    #[test]
    fn syntax_errors_have_go_texts() {
        assert_eq!(
            err("this is not json"),
            "invalid character 'h' in literal true (expecting 'r')"
        );
        assert_eq!(err("{"), UNEXPECTED_END);
        assert_eq!(err("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            err("{\"a\":1 2}"),
            "invalid character '2' after object key:value pair"
        );
        assert_eq!(
            err("[1,]"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            err("{\"a\":1,}"),
            "invalid character '}' looking for beginning of object key string"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(err("{} x"), "invalid character 'x' after top-level value");
        assert_eq!(err("-"), "invalid character ' ' in numeric literal");
        assert_eq!(
            err("1.\n"),
            "invalid character '\\n' after decimal point in numeric literal"
        );
        assert_eq!(
            err("1e+x"),
            "invalid character 'x' in exponent of numeric literal"
        );
        assert_eq!(
            err("\"\\x\""),
            "invalid character 'x' in string escape code"
        );
        assert_eq!(
            err("\"\\u12g4\""),
            "invalid character 'g' in \\u hexadecimal character escape"
        );
        assert_eq!(err("\"a\tb\""), "invalid character '\\t' in string literal");
        assert_eq!(
            err("nul"),
            "invalid character ' ' in literal null (expecting 'l')"
        );
        assert_eq!(
            err("\u{e9}"),
            "invalid character '\u{c3}' looking for beginning of value"
        );
        assert_eq!(
            err("'a'"),
            "invalid character '\\'' looking for beginning of value"
        );
        let deep = "[".repeat(10_001);
        assert_eq!(err(&deep), "invalid character '[' exceeded max depth");
        assert_eq!(err(&"[".repeat(10_000)), UNEXPECTED_END);
    }

    #[test]
    fn strings_unescape_like_go() {
        let n = parse(b"\"a\\u00e9\\ud83d\\ude00\\ud800x\xff\"").unwrap();
        assert_eq!(n, Node::String("a\u{e9}\u{1f600}\u{fffd}x\u{fffd}".into()));
    }

    #[test]
    fn floats_format_like_go() {
        let cases: &[(f64, &str)] = &[
            (42.0, "42"),
            (-0.0, "-0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (1.5e-10, "1.5e-10"),
            (123456789.125, "123456789.125"),
            (1e100, "1e+100"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for (f, want) in cases {
            assert_eq!(go_float(*f, 64).unwrap(), *want, "{f}");
        }
        assert_eq!(go_float(0.1f32 as f64, 32).unwrap(), "0.1");
        assert_eq!(
            go_float(f64::NAN, 64).unwrap_err().0,
            "json: unsupported value: NaN"
        );
    }

    #[test]
    fn strings_escape_like_go_without_html_escaping() {
        let mut w = JsonWriter::new();
        w.string_bytes(b"<&>\"\\\n\x01\x7f\xe2\x80\xa8\xff\xc3\xa9")
            .unwrap();
        assert_eq!(
            String::from_utf8(w.into_bytes()).unwrap(),
            "\"<&>\\\"\\\\\\n\\u0001\x7f\\u2028\\ufffd\u{e9}\""
        );
    }

    #[test]
    fn empty_arrays_follow_the_document_they_were_decoded_from() {
        let doc = br#"{"Entity":{"id":"a","records":[],"edges":null,"hits":{"r":[]},
            "duplicates":{"r":["x"]}},"entity":{"edges":[]}}"#;
        let node = parse(doc).unwrap();
        let shape = EmptyArrays::of("", &node);
        let out = EntityOutput {
            entity: Some(Entity {
                id: "a".into(),
                hits: Some(Hits(BTreeMap::from([("r".to_string(), vec![])]))),
                duplicates: Some(Duplicates(BTreeMap::from([(
                    "r".to_string(),
                    vec!["x".to_string()],
                )]))),
                ..Entity::default()
            }),
        };
        let mut w = JsonWriter::new().keeping_empty_arrays(shape);
        out.write_json(&mut w).unwrap();
        // Case-insensitive keys merge into one struct; the later `edges` wins.
        assert_eq!(
            String::from_utf8(w.into_bytes()).unwrap(),
            r#"{"entity":{"id":"a","records":[],"edges":[],"duplicates":{"r":["x"]},"hits":{"r":[]}}}"#
        );
        // A later null replaces an earlier [] (Go: null clears the slice).
        let node = parse(br#"{"entities":[],"Entities":null}"#).unwrap();
        let mut w = JsonWriter::new().keeping_empty_arrays(EmptyArrays::of("", &node));
        SearchOutput::default().write_json(&mut w).unwrap();
        assert_eq!(w.into_bytes(), br#"{"entities":null}"#);
        // Without a shape: nil, as after gob.
        let mut w = JsonWriter::new();
        out.write_json(&mut w).unwrap();
        assert!(String::from_utf8(w.into_bytes())
            .unwrap()
            .contains(r#""records":null,"edges":null"#));
    }

    #[test]
    fn type_errors_have_go_texts() {
        let node = parse(br#"{"records":[{"id":5}]}"#).unwrap();
        assert_eq!(
            decode::<SubmitInputJson>(&node).unwrap_err(),
            "json: cannot unmarshal number into Go struct field Record.records.id of type string"
        );
        let node = parse(br#""x""#).unwrap();
        assert_eq!(
            decode::<EntityInput>(&node).unwrap_err(),
            "json: cannot unmarshal string into Go value of type dispatcher.EntityInput"
        );
        let node = parse(br#"{"TIMEOUT":1.5}"#).unwrap();
        assert_eq!(
            decode::<DisassembleInput>(&node).unwrap_err(),
            "json: cannot unmarshal number 1.5 into Go struct field DisassembleInput.timeout of type time.Duration"
        );
        let node = parse(br#"{"records":[null]}"#).unwrap();
        let input = decode::<SubmitInputJson>(&node).unwrap();
        assert_eq!(
            input.into_input().unwrap_err(),
            "gob: encodeArray: nil element"
        );
    }
}
