//! Recursive dynamic types: each recursive wire type is one `TypeGroup` (definitions that
//! refer to each other by index), so values stay usable on their own, re-encode as Go wrote
//! them, and free their types when the last value and the decoder are gone.
//!
//! The expected bytes were written by Go 1.26 `encoding/gob`, each value by a fresh
//! `gob.NewEncoder` in a fresh process, for
//! `type T struct { Kids []T; Name string }` (package main).

use std::sync::{Arc, Weak};

use gob::{Decoder, DefKind, Encoder, GroupDef, Type, TypeDef, TypeGroup, TypeRef, Value};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// The two definitions Go sends for `T` (id 64) and `[]main.T` (id 65).
const T_DEFS: &str = "21 7f 03 01 01 01 54 01 ff 80 00 01 02 01 04 4b 69 64 73 01 ff 82 00
    01 04 4e 61 6d 65 01 0c 00 00 00
    17 ff 81 02 01 01 08 5b 5d 6d 61 69 6e 2e 54 01 ff 82 00 01 ff 80 00 00";

/// `T{Name: "root", Kids: []T{{Name: "a"}, {Name: "b", Kids: []T{{Name: "c"}}}}}`
fn go_root() -> Vec<u8> {
    hex(&format!(
        "{T_DEFS} 19 ff 80 01 02 02 01 61 00 01 01 02 01 63 00 01 01 62 00 01 04 72 6f 6f 74 00"
    ))
}

/// `T{Name: "b", Kids: []T{{Name: "c"}}}`
fn go_b() -> Vec<u8> {
    hex(&format!("{T_DEFS} 0c ff 80 01 01 02 01 63 00 01 01 62 00"))
}

fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    Encoder::new().encode_into(v, &mut out).expect("encodes");
    out
}

fn decode_one(bytes: &[u8]) -> Value {
    let mut vals = Decoder::new().decode_all::<Value>(bytes).expect("decodes");
    assert_eq!(vals.len(), 1);
    vals.remove(0)
}

fn group_of(v: &Value) -> Weak<TypeGroup> {
    match v.ty() {
        Type::Def(d) => Arc::downgrade(d.group()),
        other => panic!("composite type expected, got {other:?}"),
    }
}

#[test]
fn struct_slice_recursion_is_one_group_and_reencodes_as_go() {
    let root = decode_one(&go_root());
    assert_eq!(encode(&root), go_root());
    let Type::Def(t) = root.ty() else {
        panic!("struct expected")
    };
    // T and []T refer to each other: one group of two, with local references both ways.
    assert_eq!(t.group().defs().len(), 2);
    assert_eq!(t.name(), "T");
    let DefKind::Struct(fields) = t.shape() else {
        panic!("struct expected")
    };
    assert!(matches!(fields[0], (ref n, TypeRef::Local(_)) if n == "Kids"));
    assert!(matches!(fields[1], (ref n, TypeRef::Type(Type::String)) if n == "Name"));
    let kids_ty = t.resolve(&fields[0].1);
    let Some(kids_def) = kids_ty.def() else {
        panic!("slice expected")
    };
    assert_eq!(kids_def.name(), "[]main.T");
    assert!(Arc::ptr_eq(kids_def.group(), t.group()));
    match kids_def.kind() {
        DefKind::Slice(elem) => assert_eq!(elem.def().map(|d| d.same_def(&t)), Some(true)),
        _ => panic!("slice expected"),
    }
}

#[test]
fn inner_value_outlives_decoder_and_outer_value() {
    let (kids, b, weak) = {
        let mut dec = Decoder::new();
        let mut vals = dec.decode_all::<Value>(&go_root()).expect("decodes");
        let weak = group_of(&vals[0]);
        let Value::Struct(_, fields) = vals.remove(0) else {
            panic!("struct expected")
        };
        // Keep only the `Kids` slice; the outer struct and the decoder are dropped here.
        let kids = fields
            .into_iter()
            .find(|(i, _)| *i == 0)
            .map(|(_, v)| v)
            .expect("Kids present");
        let Value::Slice(_, items) = &kids else {
            panic!("slice expected, got {kids:?}")
        };
        let b = items[1].clone();
        (kids, b, weak)
    };
    assert!(weak.upgrade().is_some(), "the kept values hold their types");

    // A kept element of the recursive slice is a whole `T`: Go's bytes for it alone.
    assert_eq!(b.field("Name").and_then(|v| v.as_str()), Some("b"));
    assert_eq!(encode(&b), go_b());

    // The kept slice is inspectable and round-trips on its own.
    assert_eq!(kids.ty().short_name(), "slice []main.T");
    let again = decode_one(&encode(&kids));
    assert_eq!(again, kids);
    assert_eq!(encode(&again), encode(&kids));

    drop((kids, b, again));
    assert!(weak.upgrade().is_none(), "recursive type leaked");
}

#[test]
fn go_recursive_node_keeps_its_kids_slice() {
    // testdata/gob/recursive_node.gob: &Node{1, []*Node{{2, nil}}}, Node{Val int; Kids []*Node}.
    let go = hex(
        "23 7f 03 01 01 04 4e 6f 64 65 01 ff 80 00 01 02 01 03 56 61 6c 01 04 00 01 04 4b 69 64
        73 01 ff 82 00 00 00 1b ff 81 02 01 01 0c 5b 5d 2a 6d 61 69 6e 2e 4e 6f 64 65 01 ff 82
        00 01 ff 80 00 00 0a ff 80 01 02 01 01 01 04 00 00",
    );
    let node = decode_one(&go);
    assert_eq!(encode(&node), go);
    let weak = group_of(&node);
    let kids = node.field("Kids").cloned().expect("Kids present");
    drop(node);
    let again = decode_one(&encode(&kids));
    assert_eq!(again, kids);
    let Value::Slice(_, items) = &again else {
        panic!("slice expected")
    };
    assert_eq!(items[0].field("Val"), Some(&Value::Int(2)));
    drop((kids, again));
    assert!(weak.upgrade().is_none(), "recursive type leaked");
}

/// `T` and `[]main.T` built by hand, as one group.
fn hand_built() -> (Type, Type) {
    let types = TypeGroup::build(vec![
        GroupDef::new(
            "T",
            DefKind::Struct(vec![
                ("Kids".into(), TypeRef::Local(1)),
                ("Name".into(), TypeRef::Type(Type::String)),
            ]),
        ),
        GroupDef::new("[]main.T", DefKind::Slice(TypeRef::Local(0))),
    ])
    .expect("valid group");
    let mut it = types.into_iter();
    let (Some(t), Some(slice)) = (it.next(), it.next()) else {
        panic!("two types expected")
    };
    (t, slice)
}

#[test]
fn hand_built_recursive_type_encodes_as_go_and_is_freed() {
    let (t, slice) = hand_built();
    let weak = match &t {
        Type::Def(d) => Arc::downgrade(d.group()),
        _ => panic!("struct expected"),
    };
    let node = |name: &str, kids: Vec<Value>| {
        let mut fields = Vec::new();
        if !kids.is_empty() {
            fields.push((0, Value::Slice(slice.clone(), kids)));
        }
        fields.push((1, Value::String(name.into())));
        Value::Struct(t.clone(), fields)
    };
    let root = node(
        "root",
        vec![node("a", vec![]), node("b", vec![node("c", vec![])])],
    );
    assert_eq!(encode(&root), go_root());
    // Equal to the decoded value, types included.
    assert_eq!(decode_one(&go_root()), root);
    drop((t, slice, root));
    assert!(weak.upgrade().is_none(), "hand-built recursive type leaked");
}

#[test]
fn group_with_a_reference_past_its_end_is_refused() {
    let err = TypeGroup::build(vec![GroupDef::new("T", DefKind::Slice(TypeRef::Local(1)))])
        .expect_err("refused");
    assert!(matches!(err.kind(), gob::ErrorKind::Encode(_)), "{err}");
}

#[test]
fn non_recursive_definitions_are_groups_of_one() {
    let (t, _) = hand_built();
    let s = Type::structure("S", vec![("T".into(), t.clone()), ("N".into(), Type::Int)]);
    let Some(d) = s.def() else {
        panic!("struct expected")
    };
    assert_eq!(d.group().defs().len(), 1);
    let single = TypeDef::new("", DefKind::Slice(Type::Int));
    assert_eq!(single.group().defs().len(), 1);
}

/// `Type` stays two words (the group handle uses a niche), so `Value` does not grow.
#[test]
#[cfg(target_pointer_width = "64")]
fn type_is_two_words() {
    assert_eq!(std::mem::size_of::<Type>(), 16);
    assert_eq!(
        std::mem::size_of::<Type>(),
        std::mem::size_of::<Option<Type>>()
    );
}

#[cfg(feature = "json")]
#[test]
fn inner_value_converts_to_typed_json_and_back() {
    let kids = {
        let root = decode_one(&go_root());
        root.field("Kids").cloned().expect("Kids present")
    };
    let doc = gob::json::to_typed_json(&kids);
    let back = gob::json::from_typed_json(&doc).expect("typed JSON rebuilds");
    assert_eq!(back, kids);
    assert_eq!(encode(&back), encode(&kids));
}
