//! The writer: Go's `encoding/json` output, byte for byte ([`JsonWriter`]), and the JSON of
//! Go `interface{}` values ([`write_interface`]).

use gob::{DefKind, GoTime, Interface, Type, Value};

use super::super::types::*;
use super::parse::Node;

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
    pub(super) fn empty_as_array(&self) -> bool {
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
        key.chars().map(super::decode::fold_char).collect()
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

/// Go's `encoding/json` float formatting ([`gob::gotext::json_float`]), with `json.Marshal`'s
/// error for NaN and ±Inf.
pub(super) fn go_float(f: f64, bits: u32) -> Result<String, JsonError> {
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

/// Go's `json.Marshal` of a `time.Time` (`Time.MarshalJSON`, errors in `encoding/json`'s words).
pub(crate) fn write_time(w: &mut JsonWriter, t: &GoTime) -> Result<(), JsonError> {
    match t.marshal_json() {
        Ok(quoted) => {
            w.raw(&quoted);
            Ok(())
        }
        Err(e) => {
            let text = match e.kind() {
                gob::ErrorKind::Marshal(m) => m.clone(),
                _ => e.to_string(),
            };
            Err(JsonError(format!(
                "json: error calling MarshalJSON for type time.Time: {text}"
            )))
        }
    }
}

pub(super) fn write_interface_map(w: &mut JsonWriter, m: &InterfaceMap) -> Result<(), JsonError> {
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

/// A type written as Go's `encoding/json` writes its Go counterpart.
pub trait WriteJson {
    /// Appends the JSON form.
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError>;
}
