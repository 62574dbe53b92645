//! Equal dynamic composite types built separately share one type id on a stream, as the
//! identical Go types do: a long-lived stream sending JSON-derived values (a fresh
//! `map[string]interface {}` type per value) must not define the type again for each value.

use gob::{Encoder, Type, Value};

fn string_map(entries: &[(&str, &str)]) -> Value {
    // A fresh type definition per value, as JSON conversion creates them.
    Value::new_map(
        Type::string_interface_map(),
        entries
            .iter()
            .map(|(k, v)| {
                (
                    Value::String((*k).into()),
                    Value::from(gob::Interface::from(*v)),
                )
            })
            .collect(),
    )
}

#[test]
fn separately_built_equal_maps_share_one_definition() {
    let mut shared = Encoder::new();
    let mut fresh = Encoder::new();
    let first = string_map(&[("a", "1")]);
    let second = string_map(&[("b", "2")]);
    let reused = match &first {
        Value::Map(c) => Value::new_map(
            c.ty.clone(),
            vec![(
                Value::String("b".into()),
                Value::from(gob::Interface::from("2")),
            )],
        ),
        _ => unreachable!(),
    };
    shared.encode(&first).unwrap();
    let a2 = shared.encode(&reused).unwrap();
    let b1 = fresh.encode(&first).unwrap();
    let b2 = fresh.encode(&second).unwrap();
    assert_eq!(
        b2, a2,
        "the second map's type is not defined again (same bytes as with one shared type)"
    );
    // And a different shape still gets its own definition.
    let other = Value::new_map(
        Type::map("", Type::String, Type::Int),
        vec![(Value::String("n".into()), Value::Int(1))],
    );
    let b3 = fresh.encode(&other).unwrap();
    // A decoder reading the whole stream knows the new type: it was defined on the stream.
    let stream = [b1, b2, b3].concat();
    let vals = gob::Decoder::new()
        .decode_all::<Value>(&stream)
        .unwrap_or_else(|e| panic!("{e}: {stream:02x?}"));
    assert_eq!(vals, vec![first, second, other]);
}
