//! Values in `interface{}` positions (elements, keys, struct fields): stored bare when the
//! interface's Go name is the default name of its value, boxed as `Value::Interface`
//! otherwise; both forms encode to the same bytes and compare equal.

use gob::{Encoder, Interface, Type, Value};

fn boxed(name: &str, v: Value) -> Value {
    Value::Interface(Box::new(Interface::new(name, v)))
}

fn encode(v: &Value) -> Vec<u8> {
    Encoder::new().encode(v).expect("encode")
}

fn decode_one(bytes: &[u8]) -> Value {
    let mut vals = gob::Decoder::new()
        .decode_all::<Value>(bytes)
        .expect("decode");
    assert_eq!(vals.len(), 1);
    vals.remove(0)
}

/// `[]interface{}{"a", int64(5), nil, 1.5, true, []interface{}{"x"}}`, every element boxed.
fn all_boxed() -> Value {
    Value::new_slice(
        Type::interface_slice(),
        vec![
            boxed("string", Value::String("a".into())),
            boxed("int64", Value::Int(5)),
            Value::Interface(Box::new(Interface::nil())),
            boxed("float64", Value::Float(1.5)),
            boxed("bool", Value::Bool(true)),
            boxed(
                "[]interface {}",
                Value::new_slice(
                    Type::interface_slice(),
                    vec![boxed("string", Value::String("x".into()))],
                ),
            ),
        ],
    )
}

#[test]
fn decoder_stores_default_names_bare_and_others_boxed() {
    let Value::Slice(c) = decode_one(&encode(&all_boxed())) else {
        panic!("not a slice")
    };
    let items = &c.items;
    assert!(
        matches!(&items[0], Value::String(s) if s == "a"),
        "{:?}",
        items[0]
    );
    match &items[1] {
        Value::Interface(i) => {
            assert_eq!(i.name(), Some("int64"));
            assert_eq!(i.value(), Some(&Value::Int(5)));
        }
        other => panic!("int64 must stay boxed, got {other:?}"),
    }
    assert!(
        matches!(&items[2], Value::Nil),
        "a nil interface element is Value::Nil"
    );
    assert!(matches!(items[3], Value::Float(f) if f == 1.5));
    assert!(matches!(items[4], Value::Bool(true)));
    match &items[5] {
        Value::Slice(c) => assert!(matches!(&c.items[0], Value::String(s) if s == "x")),
        other => panic!("nested []interface {{}} must be bare, got {other:?}"),
    }
}

#[test]
fn both_forms_encode_alike_and_compare_equal() {
    let decoded = decode_one(&encode(&all_boxed()));
    assert_eq!(encode(&decoded), encode(&all_boxed()));
    assert_eq!(decoded, all_boxed());
    assert_eq!(all_boxed(), decoded);
    // A different name is a different value.
    assert_ne!(
        Value::String("a".into()),
        boxed("main.Name", Value::String("a".into()))
    );
    assert_ne!(Value::Int(5), boxed("int64", Value::Int(5)));
}

#[test]
fn top_level_interface_values_stay_boxed() {
    // Go's bytes for `Encode(&iface)` with iface = interface{}("a") (also a Go vector:
    // testdata/gob/toplevel_iface_default_names.gob).
    let go = [
        0x0e, 0x10, 0x00, 0x06, b's', b't', b'r', b'i', b'n', b'g', 0x0c, 0x03, 0x00, 0x01, b'a',
    ];
    let v = decode_one(&go);
    assert!(
        matches!(&v, Value::Interface(i) if i.name() == Some("string")),
        "{v:?}"
    );
    assert_eq!(encode(&v), go);
}

#[test]
fn equality_of_the_two_forms_needs_the_same_level() {
    let a = || Value::String("a".into());
    let twice = Value::Interface(Box::new(Interface::new(
        "string",
        Value::Interface(Box::new(Interface::new("string", a()))),
    )));
    assert_ne!(twice, a());
    assert_ne!(a(), twice);
}

#[test]
fn from_interface_is_canonical() {
    assert_eq!(
        Value::from(Interface::from("a")),
        Value::String("a".into()),
        "string is the default name of a string"
    );
    assert!(matches!(
        Value::from(Interface::from(5i64)),
        Value::Interface(_)
    ));
    assert!(matches!(Value::from(Interface::nil()), Value::Nil));
    // An interface holding an interface value keeps its level.
    let nested = Interface::new("interface {}", boxed("string", Value::String("a".into())));
    assert!(matches!(Value::from(nested), Value::Interface(_)));
}

#[test]
fn map_keys_values_and_struct_fields_follow_the_same_rule() {
    let map = Value::new_map(
        Type::map("", Type::Interface, Type::Interface),
        vec![
            (
                boxed("string", Value::String("k".into())),
                boxed("int32", Value::Int(1)),
            ),
            (
                boxed("int", Value::Int(2)),
                boxed("float64", Value::Float(2.5)),
            ),
        ],
    );
    let Value::Map(c) = decode_one(&encode(&map)) else {
        panic!("not a map")
    };
    let entries = &c.items;
    assert!(matches!(&entries[0].0, Value::String(s) if s == "k"));
    assert!(matches!(&entries[0].1, Value::Interface(i) if i.name() == Some("int32")));
    assert!(matches!(entries[1].0, Value::Int(2)));
    assert!(matches!(entries[1].1, Value::Float(f) if f == 2.5));

    let ty = Type::structure(
        "T",
        vec![("A".into(), Type::Interface), ("B".into(), Type::String)],
    );
    let st = Value::new_struct(
        ty,
        vec![
            (0, boxed("string", Value::String("a".into()))),
            (1, Value::String("b".into())),
        ],
    );
    let decoded = decode_one(&encode(&st));
    assert_eq!(decoded.field("A"), Some(&Value::String("a".into())));
    assert!(matches!(decoded.field("A"), Some(Value::String(_))));
    assert_eq!(encode(&decoded), encode(&st));
}

#[cfg(feature = "json")]
#[test]
fn typed_json_shows_bare_elements_as_interfaces() {
    let decoded = decode_one(&encode(&all_boxed()));
    let json = gob::json::to_typed_json(&decoded);
    let items = json["value"].as_array().expect("array");
    assert_eq!(items[0]["name"], "string");
    assert_eq!(items[0]["value"], "a");
    assert_eq!(items[1]["name"], "int64");
    assert!(items[2].is_null());
    let back = gob::json::from_typed_json(&json).expect("parse");
    assert_eq!(encode(&back), encode(&all_boxed()));

    // A top-level interface document rebuilds a top-level interface value.
    let top = Value::Interface(Box::new(Interface::from("a")));
    let back = gob::json::from_typed_json(&gob::json::to_typed_json(&top)).expect("parse");
    assert!(matches!(&back, Value::Interface(_)), "{back:?}");
    assert_eq!(encode(&back), encode(&top));
}

/// [`Interface::into_shared`]: clones share the value (same address), while bytes, equality,
/// the canonical `Value` and the value stay those of the unshared interface.
#[test]
fn shared_interfaces_share_clones_and_behave_like_the_value() {
    let nested = Value::new_slice(
        Type::interface_slice(),
        vec![Value::String("x".into()), Value::Float(2.5)],
    );
    for (name, v) in [
        (
            "string",
            Value::String("a string longer than twenty-four bytes".into()),
        ),
        ("[]interface {}", nested.clone()),
        ("int32", Value::Int(7)),
    ] {
        let plain = Interface::new(name, v.clone());
        let shared = plain.clone().into_shared();
        let copy = shared.clone();
        assert!(std::ptr::eq(shared.value().unwrap(), copy.value().unwrap()));
        assert!(!std::ptr::eq(
            plain.value().unwrap(),
            plain.clone().value().unwrap()
        ));
        assert_eq!(shared, plain);
        assert_eq!(shared.name(), Some(name));
        let top = |i: Interface| encode(&Value::Interface(Box::new(i)));
        assert_eq!(top(shared.clone()), top(plain.clone()), "{name}");
        let in_slice = |i: Interface| {
            encode(&Value::new_slice(
                Type::interface_slice(),
                vec![Value::from(i)],
            ))
        };
        assert_eq!(in_slice(copy.clone()), in_slice(plain.clone()), "{name}");
        assert_eq!(Value::from(copy), Value::from(plain.clone()), "{name}");
        assert_eq!(shared.value(), Some(&v));
    }
    assert!(Interface::nil().into_shared().is_nil());
}
