//! Go's `json.Unmarshal` into typed values: the [`Decoder`] (Go's rules and
//! `UnmarshalTypeError` texts) and the [`DecodeJson`] trait of the types it fills.

use std::collections::BTreeMap;

use gob::{Interface, Type, Value};

use super::super::types::*;
use super::parse::Node;

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

    pub(super) fn type_error(&self, value: &str, go_type: &str) -> String {
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
            Node::String(s, _) => {
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
            Node::String(s, _) => Interface::from(s.as_str()),
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
    a.chars().map(fold_char).eq(b.chars().map(fold_char))
}

/// One rune of a key as Go matches it against a struct field name (ASCII, as every json tag
/// of the dispatcher types): encoding/json compares `foldName`s, each rune replaced by the
/// smallest of its simple case-folding orbit (`unicode.SimpleFold`). ASCII letters fold to
/// one case, and so do the only two non-ASCII runes whose orbit holds an ASCII letter,
/// U+017F LATIN SMALL LETTER LONG S (`S`) and U+212A KELVIN SIGN (`K`) (Go's older fold.go
/// special-cased exactly these two); any other non-ASCII rune matches no ASCII name, even
/// `ı` and `İ` (Turkic foldings are not simple ones).
pub(super) fn fold_char(c: char) -> char {
    match c {
        '\u{17f}' => 's',
        '\u{212a}' => 'k',
        c => c.to_ascii_lowercase(),
    }
}

/// An input type decodable from JSON with Go's `json.Unmarshal` semantics.
pub trait DecodeJson: Default {
    /// Go's type name in top-level errors (`dispatcher.EntityInput`).
    const GO_TYPE: &'static str;
    /// Decodes `node` into `self` (which holds what was there before, as in Go).
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String>;
}

/// Decodes `node` into a fresh `T`, with Go's error texts.
pub fn decode<T: DecodeJson>(node: &Node) -> Result<T, String> {
    let mut out = T::default();
    out.decode_json(&mut Decoder::new(), node)?;
    Ok(out)
}
