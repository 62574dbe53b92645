//! The depth an interface value's payload costs, and the error a non-zero singleton marker
//! gives, are the same whether the payload is a builtin (decoded by a shorter path) or not.
use gob::{Decoder, ErrorKind, Interface, Limits, Step, Type, Value};

/// `[]interface{}{[]interface{}{... leaf}}`, `levels` slices deep, as a top-level interface.
fn nested(levels: usize, leaf: Value) -> Vec<u8> {
    let mut v = leaf;
    for _ in 0..levels {
        v = Value::new_slice(Type::interface_slice(), vec![v]);
    }
    gob::to_vec(&Interface::from_value(v)).unwrap()
}

/// The smallest `max_depth` that decodes `bytes`.
fn least_depth(bytes: &[u8]) -> usize {
    (1..64)
        .find(|&max_depth| {
            let mut limits = Limits::default();
            limits.max_depth = max_depth;
            let mut dec = Decoder::with_limits(limits);
            match dec.decode_next::<Interface>(bytes, true) {
                Ok(Step::Value { .. }) => true,
                Err(e) if matches!(e.kind(), ErrorKind::DepthLimitExceeded(_)) => false,
                other => panic!("{other:?}"),
            }
        })
        .expect("decodes within 64 levels")
}

#[test]
fn builtin_leaves_cost_the_depth_of_any_leaf() {
    let empty = || Value::new_slice(Type::interface_slice(), vec![]);
    for levels in [0, 1, 5] {
        let composite = least_depth(&nested(levels, empty()));
        for leaf in [
            Value::String("x".into()),
            Value::Float(1.5),
            Value::Bool(true),
            Value::Int(-3),
        ] {
            // One level more than an empty slice leaf's own elements need: none.
            assert_eq!(
                least_depth(&nested(levels, leaf.clone())),
                composite,
                "{leaf:?} under {levels} slices"
            );
        }
    }
}

#[test]
fn non_zero_singleton_marker_in_a_builtin_interface_is_refused() {
    let mut bytes = gob::to_vec(&Interface::from_value(Value::String("abc".into()))).unwrap();
    // The top-level interface's payload ends with: marker 0, length 3, "abc".
    let at = bytes.len() - 5;
    assert_eq!(bytes[at..], [0, 3, b'a', b'b', b'c']);
    bytes[at] = 1;
    let err = Decoder::new()
        .decode_next::<Interface>(&bytes, true)
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NonZeroSingletonDelta, "{err}");
}
