//! Type definitions that set several of Go's `wireType` fields, decoded here as Go decodes
//! them (`go-interop/cmd/gobwiretypes`).
//!
//! Go's encoder sets one field per definition, but its decoder stores every field a
//! definition sets and each decode site picks its own: `compatibleType` (marshaler fields
//! must match the destination's external decoder; then the destination's kind), `compileDec`
//! (a whole struct value needs `StructT` only), `decIgnoreOpFor` (a skipped value takes the
//! first of array, map, slice, struct, the marshalers), `decodeIgnoredValue` (`Decode(nil)`
//! skips a definition with `StructT` as that struct). `gobwiretypes` assembles such streams
//! (a value at top level, in a struct field, or in an `interface{}` under a registered name)
//! and decodes each into destinations of every kind: maps, slices, arrays, a struct,
//! `time.Time` (a `GobDecoder`), a `BinaryUnmarshaler`, a struct that lacks the field (so it
//! is skipped), an interface holding registered types, and `Decode(nil)`.
//!
//! Checked per stream and destination, both ways: Go refuses ⇒ the Rust twin refuses; Go
//! accepts ⇒ the Rust twin accepts the same value. The dynamic decoder ([`Value`]), which has
//! no destination, must decode a value as a kind only where Go's destination of that kind
//! takes it (whenever the stream's shape fits that destination: its element types, length
//! and bytes), with the same value.
//!
//! CI runs `WIRETYPES_STREAMS` (default 3,000) streams from `WIRETYPES_SEED` (default 1); a
//! longer run: `WIRETYPES_SEED=1000000 WIRETYPES_STREAMS=200000 cargo test -p tilores-gob
//! --release --test several_kinds_go`.

use std::collections::BTreeMap;
use std::process::Command;

use gob::raw::{Dec, Enc, GoTypeName, Schema, WireId, WireKind};
use gob::{Decode, Discard, Encode, GoName, GoTime, Gob, GobType, Interface, Value};
use serde_json::{json, Value as Json};
use tilores_plugin_test_support as support;

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.S", interface = "main.S")]
struct S {
    a: i64,
    b: String,
}

/// Go's `main.Bin`: a `BinaryMarshaler` that is no `GobDecoder`, written as a user of
/// [`Dec::wire_for`] would write one.
#[derive(Debug, Default, Clone, PartialEq)]
struct Bin(Vec<u8>);

impl GobType for Bin {
    fn go_type() -> GoTypeName {
        GoTypeName::named("main.Bin")
    }
    fn describe(s: &mut Schema, name: &str) -> gob::Result<WireId> {
        s.describe_marshaler::<Bin>(name, true)
    }
}
impl Encode for Bin {
    fn wire_type(&self, s: &mut Schema) -> gob::Result<WireId> {
        <Self as GobType>::describe(s, "Bin")
    }
    fn encode(&self, e: &mut Enc<'_>) -> gob::Result<()> {
        e.put_bytes(&self.0);
        Ok(())
    }
}
impl Decode for Bin {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> gob::Result<Self> {
        d.wire_for(w, WireKind::BinaryMarshaler, "main.Bin")?;
        Ok(Bin(d.bytes()?.to_vec()))
    }
}
impl GoName for Bin {
    const GO_NAME: &'static str = "main.Bin";
}

macro_rules! wrapper {
    ($name:ident, $go:literal, $t:ty) => {
        #[derive(Gob, Debug, Default, Clone, PartialEq)]
        #[gob(go_type = $go)]
        struct $name {
            a: i64,
            f: $t,
        }
    };
}
wrapper!(WMap, "main.WMap", BTreeMap<String, i64>);
wrapper!(WSlice, "main.WSlice", Vec<i64>);
wrapper!(WArray, "main.WArray", [i64; 2]);
wrapper!(WStruct, "main.WStruct", S);
wrapper!(WTime, "main.WTime", GoTime);
wrapper!(WBin, "main.WBin", Bin);
wrapper!(WIface, "main.WIface", Interface);

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.WIgnore")]
struct WIgnore {
    a: i64,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The JSON shapes `gobwiretypes` prints, from Rust values.
trait ToJson {
    fn to_json(&self) -> Json;
}
impl ToJson for BTreeMap<String, i64> {
    fn to_json(&self) -> Json {
        json!(self)
    }
}
impl ToJson for Vec<i64> {
    fn to_json(&self) -> Json {
        json!(self)
    }
}
impl ToJson for [i64; 2] {
    fn to_json(&self) -> Json {
        json!(self)
    }
}
impl ToJson for S {
    fn to_json(&self) -> Json {
        json!({"A": self.a, "B": self.b})
    }
}
impl ToJson for GoTime {
    fn to_json(&self) -> Json {
        json!(hex(&self.marshal_binary().expect("a time Go accepted")))
    }
}
impl ToJson for Bin {
    fn to_json(&self) -> Json {
        json!(hex(&self.0))
    }
}
impl ToJson for Interface {
    fn to_json(&self) -> Json {
        let Some(name) = self.name() else {
            return Json::Null;
        };
        let value = if let Some(s) = self.downcast_ref::<S>() {
            s.to_json()
        } else if let Some(b) = self.downcast_ref::<Bin>() {
            b.to_json()
        } else if let Some(t) = self.downcast_ref::<GoTime>() {
            t.to_json()
        } else {
            match self.value() {
                Some(v) => dyn_json(v),
                None => json!("unexpected concrete type"),
            }
        };
        json!({"name": name, "value": value})
    }
}
macro_rules! wrapper_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn to_json(&self) -> Json {
                json!({"A": self.a, "F": self.f.to_json()})
            }
        }
    )*};
}
wrapper_json!(WMap, WSlice, WArray, WStruct, WTime, WBin, WIface);
impl ToJson for WIgnore {
    fn to_json(&self) -> Json {
        json!({"A": self.a})
    }
}

/// A dynamic value in the same shapes: elements as themselves, a struct by field name
/// (`S`'s fields, zero when absent, as Go's `S` holds them), a marshaler's bytes in hex.
fn dyn_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => json!(i),
        Value::String(s) => json!(s.as_str()),
        Value::Slice(c) | Value::Array(c) => Json::Array(c.items.iter().map(dyn_json).collect()),
        Value::Map(c) => Json::Object(
            c.items
                .iter()
                .map(|(k, v)| {
                    let k = match k {
                        Value::String(s) => s.as_str().to_string(),
                        other => format!("{other:?}"),
                    };
                    (k, dyn_json(v))
                })
                .collect(),
        ),
        Value::Struct(_) => json!({
            "A": v.field("A").map_or(json!(0), dyn_json),
            "B": v.field("B").map_or(json!(""), dyn_json),
        }),
        Value::Marshaled(c) => json!(hex(&c.items)),
        Value::Interface(i) => i.to_json(),
        Value::Nil => Json::Null,
        other => json!(format!("{other:?}")),
    }
}

/// The destination (of the stream's form) of the kind a dynamic value was decoded as.
fn dyn_destination(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Map(_) => "map",
        Value::Slice(_) => "slice",
        Value::Array(_) => "array",
        Value::Struct(_) => "struct",
        Value::Marshaled(c) => match c.ty.def().map(|d| d.kind()) {
            Some(gob::DefKind::GobEncoder) => "time",
            Some(gob::DefKind::BinaryMarshaler) => "binary",
            _ => return None,
        },
        _ => return None,
    })
}

fn decode<T: Decode + ToJson>(stream: &[u8]) -> Result<Json, String> {
    gob::from_slice::<T>(stream)
        .map(|v| v.to_json())
        .map_err(|e| e.to_string())
}

#[test]
fn several_wire_type_fields_decode_as_go_decodes_them() {
    gob::register::<S>().expect("register S");
    gob::register::<Bin>().expect("register Bin");
    gob::register::<GoTime>().expect("register time.Time");
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (seed, streams) = (env("WIRETYPES_SEED", 1), env("WIRETYPES_STREAMS", 3000));
    let out = Command::new(support::go_bin("gobwiretypes"))
        .args(["-seed", &seed.to_string(), "-count", &streams.to_string()])
        .output()
        .expect("run gobwiretypes");
    assert!(
        out.status.success(),
        "gobwiretypes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut failures = Vec::new();
    let mut checked = 0usize;
    let mut accepted = 0usize;
    let mut dyn_checked = 0usize;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let rec: Json = serde_json::from_str(line).expect("a JSON line");
        let stream = unhex(rec["stream"].as_str().expect("stream"));
        let form = rec["form"].as_str().expect("form");
        let results = rec["results"].as_object().expect("results");
        let fits = |k: &str| {
            rec["fits"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(k)))
        };
        let mut fail =
            |what: String| failures.push(format!("seed {}: {what}\n  {rec}", rec["seed"]));
        for (dest, go) in results {
            let ours = match (form, dest.as_str()) {
                ("top", "map") => decode::<BTreeMap<String, i64>>(&stream),
                ("top", "slice") => decode::<Vec<i64>>(&stream),
                ("top", "array") => decode::<[i64; 2]>(&stream),
                ("top", "struct") => decode::<S>(&stream),
                ("top", "time") => decode::<GoTime>(&stream),
                ("top", "binary") => decode::<Bin>(&stream),
                ("field", "map") => decode::<WMap>(&stream),
                ("field", "slice") => decode::<WSlice>(&stream),
                ("field", "array") => decode::<WArray>(&stream),
                ("field", "struct") => decode::<WStruct>(&stream),
                ("field", "time") => decode::<WTime>(&stream),
                ("field", "binary") => decode::<WBin>(&stream),
                ("field", "ignore") => decode::<WIgnore>(&stream),
                ("iface", "iface") => decode::<WIface>(&stream),
                // Go skips an unread interface value by its byte count (`ignoreInterface`);
                // ours is skipped structurally on purpose (a count is never trusted), so
                // only Go's refusals are compared there.
                ("iface", "discard") if go["ok"].as_bool() == Some(true) => continue,
                (_, "discard") => gob::from_slice::<Discard>(&stream)
                    .map(|_| Json::Null)
                    .map_err(|e| e.to_string()),
                _ => panic!("unknown destination {form}/{dest}"),
            };
            checked += 1;
            match (go["ok"].as_bool() == Some(true), ours) {
                (true, Ok(v)) => {
                    accepted += 1;
                    if dest != "discard" && v != go["value"] {
                        fail(format!("{dest}: Go decodes {}, we decode {v}", go["value"]));
                    }
                }
                (true, Err(e)) => fail(format!("{dest}: Go accepts, we refuse: {e}")),
                // An empty slice or map whose element type does not fit is refused on both
                // sides: the element type is checked before any value is read
                // (`Decode::check_wire`, Go's `compileDec`).
                (false, Ok(v)) => fail(format!(
                    "{dest}: Go refuses ({}), we decode {v}",
                    go["error"]
                )),
                (false, Err(_)) => {}
            }
        }
        // The dynamic decoder: a kind only where Go's destination of that kind takes it.
        if let Ok(v) = gob::from_slice::<Value>(&stream) {
            let (kind_value, outer_a) = match form {
                "top" => (Some(v.clone()), None),
                "field" => (
                    v.field("F").cloned(),
                    Some(v.field("A").map_or(json!(0), dyn_json)),
                ),
                _ => (None, None),
            };
            if let Some(dest) = kind_value.as_ref().and_then(dyn_destination) {
                if fits(dest) {
                    dyn_checked += 1;
                    let go = &results[dest];
                    let ours = match outer_a {
                        None => dyn_json(kind_value.as_ref().expect("a value")),
                        Some(a) => {
                            json!({"A": a, "F": dyn_json(kind_value.as_ref().expect("a value"))})
                        }
                    };
                    if go["ok"].as_bool() != Some(true) {
                        fail(format!(
                            "dynamic: decoded as {dest} ({ours}), which Go refuses: {}",
                            go["error"]
                        ));
                    } else if go["value"] != ours {
                        fail(format!(
                            "dynamic as {dest}: Go decodes {}, we decode {ours}",
                            go["value"]
                        ));
                    }
                }
            }
            if form == "iface" {
                // A name that spells a map, slice, array (their element types are checked
                // by name) or time.Time (whose bytes must be a time): Go's one destination
                // decides. A registered struct or marshaler's name tells no kind.
                let name = rec["name"].as_str().unwrap_or("");
                if !name.starts_with("main.") && (name != "time.Time" || fits("time")) {
                    dyn_checked += 1;
                    let go = &results["iface"];
                    let f = match v.field("F") {
                        None | Some(Value::Nil) => Json::Null,
                        Some(Value::Interface(i)) => i.to_json(),
                        // Bare under its default name (see `Value`).
                        Some(bare) => json!({"name": name, "value": dyn_json(bare)}),
                    };
                    let ours = json!({"A": v.field("A").map_or(json!(0), dyn_json), "F": f});
                    if go["ok"].as_bool() != Some(true) {
                        fail(format!(
                            "dynamic: decoded {ours}, which Go refuses: {}",
                            go["error"]
                        ));
                    } else if go["value"] != ours {
                        fail(format!(
                            "dynamic: Go decodes {}, we decode {ours}",
                            go["value"]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} decodes differ from Go's:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    // The generator reaches both decisions and the dynamic check.
    assert!(
        accepted > checked / 20 && accepted < checked - checked / 20,
        "{accepted} of {checked} accepted"
    );
    assert!(
        dyn_checked > streams as usize / 20,
        "{dyn_checked} dynamic checks"
    );
    eprintln!("{checked} decodes ({accepted} accepted by Go), {dyn_checked} dynamic checks");
}
