//! A failed `Encoder::encode_into` leaves the stream exactly as before the call: the type
//! definitions the failed value would have carried go out with the next value that needs
//! them, under the same ids a fresh encoder would use.
use gob::{Decoder, DefKind, Encoder, Gob, Interface, Type, TypeDef, Value};

#[derive(Gob, Debug, Default, PartialEq, Clone)]
#[gob(go_type = "main.Inner")]
struct Inner {
    n: i64,
}

/// Encodes `good` on a fresh encoder.
fn fresh<T: gob::Encode + ?Sized>(good: &T) -> Vec<u8> {
    Encoder::new().encode(good).expect("good value encodes")
}

#[test]
fn failed_typed_value_does_not_mark_its_types_sent() {
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    // The nil element fails after []*Inner and Inner were written (and marked sent).
    let bad = vec![Some(Inner { n: 1 }), None];
    let err = enc.encode_into(&bad, &mut out).unwrap_err();
    assert!(err.to_string().contains("nil"), "{err}");
    assert!(out.is_empty(), "a failed encode appends nothing");
    let good = vec![Some(Inner { n: 2 })];
    enc.encode_into(&good, &mut out)
        .expect("good value encodes");
    assert_eq!(out, fresh(&good), "same bytes as a fresh encoder");
    let back: Vec<Vec<Inner>> = Decoder::new().decode_all(&out).expect("decodes");
    assert_eq!(back, vec![vec![Inner { n: 2 }]]);
}

/// Dynamic types are identified by their shared definition, as decoded values share them.
struct Types {
    point: Type,
    slice: Type,
}

impl Types {
    fn new() -> Self {
        Types {
            point: Type::Def(TypeDef::new(
                "Point",
                DefKind::Struct(vec![("X".into(), Type::Int)]),
            )),
            slice: Type::Def(TypeDef::new("", DefKind::Slice(Type::Interface))),
        }
    }

    fn point(&self, x: i64) -> Interface {
        let v = Value::new_struct(self.point.clone(), vec![(0, Value::Int(x))]);
        Interface::new("main.Point", v)
    }

    fn ifaces(&self, items: Vec<Interface>) -> Value {
        let items = items.into_iter().map(Value::from).collect();
        Value::new_slice(self.slice.clone(), items)
    }
}

#[test]
fn failed_dynamic_value_with_inline_definitions_rolls_back() {
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    // Element 0 sends Point's definition inline (mid-value); element 1 has no type name.
    let t = Types::new();
    let nameless = Interface::new("", Value::Int(3));
    let bad = t.ifaces(vec![t.point(1), nameless]);
    let err = enc.encode_into(&bad, &mut out).unwrap_err();
    assert!(err.to_string().contains("empty type name"), "{err}");
    assert!(out.is_empty());
    // A different slice value whose element type shares Point's definition.
    let good = t.ifaces(vec![t.point(7), t.point(8)]);
    enc.encode_into(&good, &mut out)
        .expect("good value encodes");
    assert_eq!(out, fresh(&good), "same bytes as a fresh encoder");
    let back = Decoder::new().decode_all::<Value>(&out).expect("decodes");
    assert_eq!(back, vec![good.clone()]);
    // And the stream continues normally: the definitions are now really sent.
    let before = out.len();
    enc.encode_into(&good, &mut out).expect("again");
    let back = Decoder::new().decode_all::<Value>(&out).expect("decodes");
    assert_eq!(back, vec![good.clone(), good]);
    assert!(
        out.len() - before < before,
        "second copy carries no definitions"
    );
}
