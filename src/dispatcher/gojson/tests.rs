//! Go's texts and bytes, checked against values taken from Go.

use std::collections::BTreeMap;

use super::super::types::*;
use super::parse::UNEXPECTED_END;
use super::write::go_float;
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
    let raw: &[u8] = b"a\\u00e9\\ud83d\\ude00\\ud800x\xff";
    assert_eq!(
        n,
        Node::String("a\u{e9}\u{1f600}\u{fffd}x\u{fffd}".into(), Some(raw.into()))
    );
    // The raw bytes are kept only where they differ from the text.
    assert_eq!(
        parse("\"é <&>\"".as_bytes()).unwrap(),
        Node::String("é <&>".into(), None)
    );
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

/// Go matches keys to fields by simple case folding (`foldName`): `ſ` (U+017F) is an `s`
/// and the Kelvin sign (U+212A) a `k`, while `ı` and `İ` match nothing (checked with Go
/// 1.26's `json.Unmarshal`; found by tests/dispatcher_random.rs).
#[test]
fn keys_fold_like_go() {
    let ids = |doc: &str| {
        decode::<EntityInput>(&parse(doc.as_bytes()).unwrap())
            .unwrap()
            .id
    };
    assert_eq!(ids(r#"{"ID":"a"}"#), "a");
    assert_eq!(ids("{\"\u{131}d\":\"a\"}"), "");
    assert_eq!(ids("{\"\u{130}d\":\"a\"}"), "");
    let node = parse("{\"recordſ\":[{\"id\":\"r\"}]}".as_bytes()).unwrap();
    let input = decode::<SubmitInputJson>(&node)
        .unwrap()
        .into_input()
        .unwrap();
    assert_eq!(input.records.len(), 1);
    let node = parse("{\"parameterſ\":{\"n\":1e400}}".as_bytes()).unwrap();
    assert_eq!(
        decode::<SearchInput>(&node).unwrap_err(),
        "json: cannot unmarshal number 1e400 into Go struct field SearchInput.parameters of type float64"
    );
    let node = parse("{\"others\":[],\"\u{212a}\":1,\"otherſ\":null}".as_bytes()).unwrap();
    let input = decode::<RemoveConnectionBanInput>(&node).unwrap();
    assert!(input.others.is_empty());
    // Empty-array shapes fold keys the same way: `recordſ: []` is the field `records`.
    let node = parse("{\"entity\":{\"recordſ\":[]}}".as_bytes()).unwrap();
    let mut w = JsonWriter::new().keeping_empty_arrays(EmptyArrays::of("", &node));
    EntityOutput {
        entity: Some(Entity::default()),
    }
    .write_json(&mut w)
    .unwrap();
    assert!(String::from_utf8(w.into_bytes())
        .unwrap()
        .contains(r#""records":[]"#));
}
