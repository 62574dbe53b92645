//! Typed decoding (`#[derive(Gob)]` twins of Go's local types) against what Go's own typed
//! decoding recorded in `testdata/gob/manifest.json` (written by `go-interop/cmd/gobvectors`):
//!
//! - every `decoded_as` entry: the stream decoded value by value into the Rust twin of each Go
//!   destination gives the value Go rendered (renamed, reordered and ignored fields,
//!   indirection, narrowing, marshalers, `Decode(nil)`);
//! - every error case with a `target`: Rust decoding into the twin of that target decodes the
//!   values Go decoded before its error and then fails too, with an error of the same class
//!   where Go's text names one (out of range, wrong type, no fields matched, ...).
//!
//! The twins mirror go-interop/cmd/gobvectors (types.go and the `cases_*.go` files): the same
//! Go names, field names and field types. A decoded value is rendered by encoding it with
//! this crate and reading the bytes back dynamically, which is what the manifest's rendering
//! of Go's decoded value means ("as if the decoded value were sent").

#[macro_use]
mod typed_common;

use std::collections::HashMap;

use gob::raw::{Dec, Enc, GoTypeName, Schema, WireId, WireKind};
use gob::Step;
use gob::{Decode, Decoder, Discard, Empty, Encode, ErrorKind, GoTime, Gob, GobType, Interface};
use serde_json::Value as Json;
use tilores_plugin_test_support as support;
use typed_common::{render, same, same_class, C64};

// ---- twins of go-interop/cmd/gobvectors/types.go ----

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.Point")]
struct Point {
    x: i64,
    y: i64,
}

go_struct!(Outf32, "main.outf32" { Maxf: f32, Minf: f32 });
go_struct!(Outc64, "main.outc64" { Maxc: C64, Minc: C64 });
go_struct!(Outi8, "main.outi8" { Maxi: i8, Mini: i8 });
go_struct!(Outi16, "main.outi16" { Maxi: i16, Mini: i16 });
go_struct!(Outi32, "main.outi32" { Maxi: i32, Mini: i32 });
go_struct!(Outu8, "main.outu8" { Maxu: u8 });
go_struct!(Outu16, "main.outu16" { Maxu: u16 });
go_struct!(Outu32, "main.outu32" { Maxu: u32 });
go_struct!(ET1, "main.ET1" { A: i64, Et2: Option<Box<ET2>>, Next: Option<Box<ET1>> });
go_struct!(ET2, "main.ET2" { X: String });
go_struct!(ET3, "main.ET3" { A: i64, Et2: Option<Box<ET2>>, DifferentNext: Option<Box<ET1>> });
go_struct!(ET4, "main.ET4" { A: i64, Et2: f64, Next: i64 });
go_struct!(ETList4, "main.ETList4" { A: i64, L: Vec<ET4> });
go_struct!(OpLocal, "main.OpLocal" { L: Vec<Point>, P: Point });
go_struct!(PtrTime, "main.PtrTime" { T: Option<GoTime>, N: i64 });
go_struct!(RT1, "main.RT1" { C: f64, B: String, A: i64, NotSet: String });
go_struct!(T0, "main.T0" { A: i64, B: i64, C: i64, D: i64 });
go_struct!(T1, "main.T1" {
    A: i64,
    B: Option<i64>,
    C: Option<Box<Option<i64>>>,
    D: Option<Box<Option<Box<Option<i64>>>>>,
});
go_struct!(T2, "main.T2" {
    A: Option<Box<Option<Box<Option<i64>>>>>,
    B: Option<Box<Option<i64>>>,
    C: Option<i64>,
    D: i64,
});
go_struct!(Type0, "main.Type0" { A: i64 });
go_struct!(Type1, "main.Type1" { A: u64 });
go_struct!(Type2, "main.Type2" { A: Option<Option<Option<Option<f64>>>> });
go_struct!(Type6, "main.Type6" { A: [String; 2] });
go_struct!(Struct, "main.Struct" { A: String });
go_struct!(Base, "main.Base" { A: i64 });
// Go's `Derived` embeds `Base`; Rust has no embedding, so the twin holds it as the field Go
// sends (named "Base"). Go's decoder also finds the promoted `Base.A` by name; see
// EMBEDDING below.
go_struct!(Derived, "main.Derived" { Base: Base, B: i64 });
go_struct!(Flat, "main.Flat" { A: i64, B: i64 });
go_struct!(NewType0, "main.NewType0" { S: String });
go_struct!(Direct, "main.Direct" { A: [i64; 3], S: Vec<i64>, M: HashMap<String, i64> });
go_struct!(Indirect, "main.Indirect" {
    A: Option<Option<Option<[i64; 3]>>>,
    S: Option<Option<Option<Vec<i64>>>>,
    M: Option<Option<Option<Option<HashMap<String, i64>>>>>,
});
go_struct!(NoInterfaceItem, "main.NoInterfaceItem" { I: i64, F: f64 });
go_struct!(SkipTarget, "main.SkipTarget" { X: i64, Y: i64 });
go_struct!(WithIface, "main.WithIface" { V: Interface });
go_struct!(GobTestIgnoreEncoder, "main.GobTestIgnoreEncoder" { X: i64 });
go_struct!(GobTest0, "main.GobTest0" { X: i64, G: Option<ByteStruct> });
go_struct!(GobTest1, "main.GobTest1" { X: i64, G: Option<StringStruct> });
go_struct!(GobTest2, "main.GobTest2" { X: i64, G: String });
go_struct!(GobTest5, "main.GobTest5" {
    X: i64,
    V: Option<ValueGobber>,
    BV: Option<BinaryValueGobber>,
    TV: Option<TextValueGobber>,
});
go_struct!(DepthTarget, "main.depthTarget" { Hello: i64, X: i64 });
go_struct!(Test, "main.Test" { A: String, B: i64 });
go_struct!(PartialT, "main.partialT" { X: Vec<i64>, Y: String });
// `struct { Z int }` (unnamed in Go).
go_struct!(ZOnly, "" { Z: i64 });

/// TestFuzzOneByte's `DT` (the field `I_nil` keeps its underscore).
#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.DT")]
#[allow(non_snake_case)]
struct DT {
    A: i64,
    B: String,
    C: f64,
    I: Interface,
    J: Interface,
    #[gob(name = "I_nil")]
    I_nil: Interface,
    M: HashMap<String, i64>,
    T: [i64; 3],
    S: Vec<String>,
}

/// `type NonStruct string`, `type TextValueGobber string` (gob sends it as a plain string).
#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.NonStruct")]
struct NonStruct(String);
#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.TextValueGobber")]
struct TextValueGobber(String);

/// A `GobDecoder` (or `BinaryUnmarshaler` when `binary`) twin: it holds the bytes its Go
/// methods would marshal after unmarshaling what was received (`$decode`, which mirrors the
/// Go method's checks).
macro_rules! marshaler {
    ($name:ident, $go:literal, $binary:expr, $decode:expr) => {
        #[derive(Debug, Default, Clone, PartialEq)]
        struct $name(Vec<u8>);
        impl GobType for $name {
            fn go_type() -> GoTypeName {
                GoTypeName::named($go)
            }
            fn describe(s: &mut Schema, name: &str) -> gob::Result<WireId> {
                s.describe_marshaler::<$name>(name, $binary)
            }
        }
        impl Encode for $name {
            fn wire_type(&self, s: &mut Schema) -> gob::Result<WireId> {
                let t = <Self as GobType>::go_type();
                <Self as GobType>::describe(s, t.bare_name())
            }
            fn encode(&self, e: &mut Enc<'_>) -> gob::Result<()> {
                e.put_bytes(&self.0);
                Ok(())
            }
        }
        impl Decode for $name {
            fn decode(d: &mut Dec<'_, '_>, w: WireId) -> gob::Result<Self> {
                let kind = if $binary {
                    WireKind::BinaryMarshaler
                } else {
                    WireKind::GobEncoder
                };
                d.wire_for(w, kind, $go)?;
                let f: fn(&[u8]) -> Result<Vec<u8>, String> = $decode;
                f(d.bytes()?)
                    .map($name)
                    .map_err(|e| ErrorKind::Marshal(e).into())
            }
        }
    };
}

/// `a, a+1, a+2, ...` as ByteStruct and StringStruct check it.
fn sequence(data: &[u8]) -> Result<u8, String> {
    let a = *data.first().ok_or("EOF")?;
    if data
        .iter()
        .enumerate()
        .any(|(i, c)| *c != a.wrapping_add(i as u8))
    {
        return Err("invalid data sequence".into());
    }
    Ok(a)
}

/// `fmt.Sscanf(data, "VALUE=%s", &s)`: the literal, then one space-free word.
fn value_word(data: &[u8]) -> Result<Vec<u8>, String> {
    let rest = data
        .strip_prefix(b"VALUE=")
        .ok_or("input does not match format")?;
    let word: Vec<u8> = rest
        .iter()
        .copied()
        .take_while(|c| !c.is_ascii_whitespace())
        .collect();
    if word.is_empty() {
        return Err("unexpected EOF".into());
    }
    Ok([b"VALUE=".as_slice(), &word].concat())
}

marshaler!(ByteStruct, "main.ByteStruct", false, |d| {
    let a = sequence(d)?;
    Ok(vec![a, a.wrapping_add(1), a.wrapping_add(2)])
});
marshaler!(StringStruct, "main.StringStruct", false, |d| {
    sequence(d)?;
    Ok(d.to_vec())
});
marshaler!(ValueGobber, "main.ValueGobber", false, value_word);
marshaler!(
    BinaryValueGobber,
    "main.BinaryValueGobber",
    true,
    value_word
);
marshaler!(GobDecoderBug0, "main.gobDecoderBug0", false, |_| Ok(
    b"foo-bar".to_vec()
));
marshaler!(GobOnly, "main.GobOnly", false, |d| d
    .first()
    .map(|b| vec![*b])
    .ok_or_else(|| "index out of range".to_string()));

// ---- decoding into a Go destination ----

/// Decodes the next value of `input` into one destination; a value is rendered as the
/// manifest renders Go's decoded value.
type Target = fn(&mut Decoder, &[u8]) -> gob::Result<Step<Json>>;

fn typed<T: Decode + Encode>(dec: &mut Decoder, input: &[u8]) -> gob::Result<Step<Json>> {
    Ok(dec.decode_next::<T>(input, true)?.map(|v| render(&v)))
}

fn discard(dec: &mut Decoder, input: &[u8]) -> gob::Result<Step<Json>> {
    Ok(dec.decode_next::<Discard>(input, true)?.map(|_| Json::Null))
}

/// The Rust twin of a Go destination as the manifest names it.
fn target(go: &str) -> Option<Target> {
    Some(match go {
        "nil" => discard,
        "*int" => typed::<i64>,
        "*uint8" => typed::<u8>,
        "*float32" => typed::<f32>,
        "*[]int" => typed::<Vec<i64>>,
        "*[]int8" => typed::<Vec<i8>>,
        "*[]*struct {}" => typed::<Vec<Option<Empty>>>,
        "*map[string]int" => typed::<HashMap<String, i64>>,
        "*interface {}" => typed::<Interface>,
        "*struct {}" => typed::<Empty>,
        "*struct { Z int }" => typed::<ZOnly>,
        "*time.Time" => typed::<GoTime>,
        "*main.Point" => typed::<Point>,
        "*main.outf32" => typed::<Outf32>,
        "*main.outc64" => typed::<Outc64>,
        "*main.outi8" => typed::<Outi8>,
        "*main.outi16" => typed::<Outi16>,
        "*main.outi32" => typed::<Outi32>,
        "*main.outu8" => typed::<Outu8>,
        "*main.outu16" => typed::<Outu16>,
        "*main.outu32" => typed::<Outu32>,
        "*main.ET2" => typed::<ET2>,
        "*main.ET3" => typed::<ET3>,
        "*main.ET4" => typed::<ET4>,
        "*main.RT1" => typed::<RT1>,
        "*main.ETList4" => typed::<ETList4>,
        "*main.OpLocal" => typed::<OpLocal>,
        "*[]main.ET4" => typed::<Vec<ET4>>,
        "*main.T0" => typed::<T0>,
        "*main.T1" => typed::<T1>,
        "*main.T2" => typed::<T2>,
        "**main.Type0" => typed::<Option<Box<Type0>>>,
        "*main.Type1" => typed::<Type1>,
        "****main.Type2" => typed::<Option<Option<Option<Type2>>>>,
        "*main.Type6" => typed::<Type6>,
        "*main.Struct" => typed::<Struct>,
        "*main.NonStruct" => typed::<NonStruct>,
        "*main.Flat" => typed::<Flat>,
        "*main.Derived" => typed::<Derived>,
        "*main.NewType0" => typed::<NewType0>,
        "*main.Direct" => typed::<Direct>,
        "*main.Indirect" => typed::<Indirect>,
        "*main.NoInterfaceItem" => typed::<NoInterfaceItem>,
        "*main.SkipTarget" => typed::<SkipTarget>,
        "*main.WithIface" => typed::<WithIface>,
        "*main.GobTestIgnoreEncoder" => typed::<GobTestIgnoreEncoder>,
        "*main.GobTest0" => typed::<GobTest0>,
        "*main.GobTest1" => typed::<GobTest1>,
        "*main.GobTest2" => typed::<GobTest2>,
        "*main.GobTest5" => typed::<GobTest5>,
        "*main.GobOnly" => typed::<GobOnly>,
        "**main.gobDecoderBug0" => typed::<Option<Box<GobDecoderBug0>>>,
        "*main.depthTarget" => typed::<DepthTarget>,
        "*main.Test" => typed::<Test>,
        "**main.partialT" => typed::<Option<Box<PartialT>>>,
        "*main.DT" => typed::<DT>,
        _ => return None,
    })
}

// ---- where Rust deliberately differs ----

/// Cases where Rust's typed decoding deliberately differs from Go's, with where the
/// difference is documented. The test fails when one of them starts to agree with Go.
const DIFFERENCES: &[(&str, &str)] = &[
    // Go's `Derived` embeds `Base`, and Go's decoder finds the wire field "A" as the promoted
    // `Derived.Base.A` (reflect's FieldByName). A Rust struct has no embedding: the twin
    // receives only Go's field "Base". Documented in gob/derive/src/lib.rs (crate docs).
    ("embedded_struct", "value 1"),
    // Go's interface-skipping bugs (gob-conformance.md §1.8): Go fails on a valid stream;
    // Rust skips the interface data correctly and yields {X:1, Y:2}.
    ("skip_nil_iface_bug", "Go fails"),
    ("skip_nested_inline_bug", "Go fails"),
    // Go fails because the interface name is not registered in its process; a Rust
    // `Interface` field decodes an unregistered name dynamically (gob::Interface docs,
    // tests/gob_vectors.rs KNOWN_GAPS; `Dec::with_known_names` gives Go's behaviour).
    ("unknown_iface_name", "Go fails"),
    ("corrupt_dt_178", "Go fails"),
];

// ---- the test ----

#[test]
fn typed_decoding_matches_go_decoded_as_and_typed_errors() {
    let root = support::repo_root();
    let text = std::fs::read_to_string(root.join("testdata/gob/manifest.json"))
        .expect("testdata/gob/manifest.json");
    let m: Json = serde_json::from_str(&text).expect("manifest JSON");
    let mut failures: Vec<(String, String)> = Vec::new();
    let (mut decoded_as, mut values_checked, mut errors_checked) = (0, 0, 0);
    for case in m["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let bytes = std::fs::read(root.join(format!("testdata/gob/{name}.gob"))).expect("stream");
        let (targets, want, go_error): (Vec<String>, Vec<Json>, Option<&str>) =
            if let Some(da) = case.get("decoded_as") {
                decoded_as += 1;
                let t = da["targets"].as_array().expect("targets");
                (
                    t.iter()
                        .map(|t| t.as_str().expect("target").to_string())
                        .collect(),
                    da["values"].as_array().expect("values").clone(),
                    None,
                )
            } else if let (Some(t), Some(err)) = (case["target"].as_str(), case["error"].as_str()) {
                if t == "main.Type4" {
                    // Decoding into a non-pointer is a Go API misuse with no Rust counterpart.
                    continue;
                }
                let n = case["values_before_error"].as_u64().unwrap_or(0) as usize;
                let want = case["values"].as_array().cloned().unwrap_or_default();
                assert_eq!(want.len(), n, "{name}: values before the error");
                (vec![t.to_string(); n + 1], want, Some(err))
            } else {
                continue;
            };
        match run_case(&bytes, &targets, &want, go_error) {
            Ok(n) => {
                values_checked += n;
                if go_error.is_some() {
                    errors_checked += 1;
                }
            }
            Err(e) => failures.push((name.to_string(), e)),
        }
    }
    let mut unexpected = Vec::new();
    for (name, why) in &failures {
        match DIFFERENCES.iter().find(|(n, _)| n == name) {
            Some((_, start)) if why.starts_with(start) => {
                eprintln!("documented difference {name}: {why}")
            }
            _ => unexpected.push(format!("- {name}: {why}")),
        }
    }
    let agreed: Vec<_> = DIFFERENCES
        .iter()
        .filter(|(n, _)| !failures.iter().any(|(f, _)| f == n))
        .map(|(n, _)| n)
        .collect();
    assert!(
        agreed.is_empty(),
        "documented differences now agree with Go, remove them: {agreed:?}"
    );
    assert!(
        unexpected.is_empty(),
        "typed decoding differs from Go:\n{}",
        unexpected.join("\n")
    );
    // Today's manifest: 21 decoded_as cases, 63 typed error cases; fewer means cases
    // silently dropped.
    assert!(
        decoded_as >= 21 && errors_checked >= 63 && values_checked >= 46,
        "{decoded_as} decoded_as cases, {errors_checked} error cases, {values_checked} values"
    );
    eprintln!("{decoded_as} decoded_as cases, {errors_checked} typed error cases, {values_checked} values checked");
}

/// Decodes `bytes` value by value into the twins of `targets`: the values must be `want`
/// and then, for an error case, the next decode must fail like `go_error`; a valid case must
/// end cleanly. Returns the number of values compared.
fn run_case(
    bytes: &[u8],
    targets: &[String],
    want: &[Json],
    go_error: Option<&str>,
) -> Result<usize, String> {
    let mut dec = Decoder::new();
    let mut pos = 0;
    for (i, t) in targets.iter().enumerate() {
        let f = target(t).unwrap_or_else(|| panic!("no Rust twin for Go type {t}"));
        match (f(&mut dec, &bytes[pos..]), want.get(i)) {
            (Ok(Step::Value { value, used }), Some(w)) => {
                pos += used;
                if !same(&value, w) {
                    return Err(format!("value {i} into {t}: Rust {value} != Go {w}"));
                }
            }
            (Ok(step), Some(w)) => {
                return Err(format!("value {i} into {t}: Rust {step:?}, Go {w}"))
            }
            (Err(e), Some(w)) => {
                return Err(format!("value {i} into {t}: Rust fails ({e}), Go {w}"))
            }
            (Err(e), None) => {
                let go = go_error.expect("an error case");
                if !same_class(go, e.kind()) {
                    return Err(format!(
                        "value {i}: Go fails with {go:?}, Rust with another error: {e}"
                    ));
                }
                return Ok(want.len());
            }
            // Go's io.EOF at a value boundary is the clean end of the stream.
            (Ok(Step::End { .. }), None) if go_error == Some("EOF") => return Ok(want.len()),
            (Ok(step), None) => {
                return Err(format!(
                    "Go fails with {:?} at value {i} into {t}; Rust: {step:?}",
                    go_error.unwrap_or("?")
                ))
            }
        }
    }
    match dec.decode_next::<Discard>(&bytes[pos..], true) {
        Ok(Step::End { .. }) => Ok(want.len()),
        other => Err(format!("after {} values: {other:?}", want.len())),
    }
}

/// A `*time.Time` field holding the zero time is sent (Go tests the pointer, which
/// implements GobEncoder too); a nil one is not. Go decodes the typed encoding to values
/// deeply equal to its own (`gobvectors check`), and the value messages are Go's bytes.
/// (The definition is not: Go defines a `*time.Time` field's type with an empty name and the
/// next id inside; ours is named `Time`, which Go accepts alike.)
#[test]
fn pointer_to_zero_time_is_sent_as_go_sends_it() {
    let go = std::fs::read(support::repo_root().join("testdata/gob/zero_time_pointer_field.gob"))
        .expect("testdata/gob/zero_time_pointer_field.gob");
    let mut enc = gob::Encoder::new();
    let mut ours = enc
        .encode(&PtrTime {
            T: Some(GoTime::ZERO),
            N: 1,
        })
        .expect("encode");
    let second = enc.encode(&PtrTime { T: None, N: 2 }).expect("encode");
    ours.extend(&second);
    // The value messages: `ff 80` then T (field 1: the zero time's 15 bytes) and N; N alone.
    let value1 = [
        0x16, 0xff, 0x80, 0x01, 0x0f, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x01,
        0x02, 0x00,
    ];
    assert!(go.ends_with(&[&value1[..], &second[..]].concat()));
    assert!(ours.ends_with(&[&value1[..], &second[..]].concat()));
    let back: Vec<PtrTime> = Decoder::new().decode_all(&go).expect("decode");
    assert_eq!(back[0].T, Some(GoTime::ZERO));
    assert_eq!(back[1].T, None);
    let dir = support::TempDir::new("ptrtime");
    let file = dir.path().join("ours.gob");
    std::fs::write(&file, &ours).expect("write");
    let check = std::process::Command::new(support::go_bin("gobvectors"))
        .args(["check", "-case", "zero_time_pointer_field", "-file"])
        .arg(&file)
        .output()
        .expect("run gobvectors check");
    assert!(
        check.status.success(),
        "Go refuses our stream: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
