//! Hostile input: corrupted, truncated, lying and deeply nested streams give typed errors,
//! never a panic, a hang or an allocation larger than the input justifies.
use gob::{wire::put_uint, Decoder, ErrorKind, Limits, Value};
use tilores_plugin_test_support::gob_vector;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// Holder/Branch/Leaf stream from Go (message splitting inside a value).
fn holder() -> Vec<u8> {
    hex("1f 7f 03 01 01 06 48 6f 6c 64 65 72 01 ff 80 00 01 02 01 01 56 01 10 00 01 01 57 01 04 00 00 00
    36 ff 80 01 0b 6d 61 69 6e 2e 42 72 61 6e 63 68 ff 81 03 01 01 06 42 72 61 6e 63 68 01 ff 82 00 01 02 01 04 4e 61 6d 65 01 0c 00 01 04 4b 69 64 73 01 ff 86 00 00 00
    1a ff 85 02 01 01 0b 5b 5d 6d 61 69 6e 2e 4c 65 61 66 01 ff 86 00 01 ff 84 00 00
    18 ff 83 03 01 01 04 4c 65 61 66 01 ff 84 00 01 01 01 01 4e 01 04 00 00 00
    0f ff 82 09 01 01 62 01 01 01 02 00 00 01 12 00")
}

#[test]
fn one_byte_corruption_sweep_never_panics() {
    let base = holder();
    let mut errors = 0;
    for i in 0..base.len() {
        for b in 0..=255u8 {
            let mut s = base.clone();
            s[i] = b;
            if Decoder::new().decode_all::<Value>(&s).is_err() {
                errors += 1;
            }
        }
    }
    assert!(
        errors > base.len() * 100,
        "corruption mostly detected ({errors})"
    );
}

#[test]
fn truncation_is_eof_only_at_value_boundaries() {
    let s = holder();
    assert!(Decoder::new().decode_all::<Value>(&s).is_ok());
    for cut in 1..s.len() {
        let err = Decoder::new()
            .decode_all::<Value>(&s[..cut])
            .expect_err("truncated stream must fail");
        assert_eq!(err.kind(), &ErrorKind::UnexpectedEof, "cut at {cut}: {err}");
    }
}

#[test]
fn hostile_counts_do_not_allocate() {
    // map[string]int definition, then a value claiming 2^40 entries in 3 bytes.
    let mut s = hex("0d 7f 04 01 02 ff 80 00 01 0c 01 04 00 00");
    let mut v = hex("ff 80 00");
    put_uint(&mut v, 1 << 40);
    v.extend_from_slice(&[1, 0x61, 2]);
    put_uint(&mut s, v.len() as u64);
    s.extend_from_slice(&v);
    let err = Decoder::new().decode_all::<Value>(&s).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LengthExceedsInput { .. }),
        "{err}"
    );
    // A message length far beyond the limit is refused before reading it.
    let huge = hex("fb 05 00 00 00 00");
    let err = Decoder::new().decode_all::<Value>(&huge).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MessageTooLarge { .. }),
        "{err}"
    );
}

#[test]
fn deep_nesting_hits_the_depth_limit_not_the_stack() {
    // type T []T, value nested 200,000 levels deep.
    let def = hex("0c 7f 02 01 02 ff 80 00 01 ff 80 00 00");
    let mut v = hex("ff 80 00");
    v.extend(std::iter::repeat_n(1u8, 200_000));
    v.push(0);
    let mut s = def;
    put_uint(&mut s, v.len() as u64);
    s.extend_from_slice(&v);
    let mut limits = Limits::default();
    limits.max_depth = 100;
    let err = Decoder::with_limits(limits)
        .iter::<Value>(&s)
        .collect::<gob::Result<Vec<_>>>()
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::DepthLimitExceeded(100)),
        "{err}"
    );
}

#[test]
fn bad_definitions_are_typed_errors() {
    // Id below 64.
    let e = Decoder::new()
        .decode_all::<Value>(&hex("04 7d 05 01 00"))
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::DuplicateType(63)), "{e}");
    // Redefinition of 64.
    let mut s = hex("0d 7f 04 01 02 ff 80 00 01 0c 01 04 00 00");
    s.extend(hex("0d 7f 04 01 02 ff 80 00 01 0c 01 04 00 00"));
    let e = Decoder::new().decode_all::<Value>(&s).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::DuplicateType(64)), "{e}");
    // Value of an undefined type.
    let e = Decoder::new()
        .decode_all::<Value>(&hex("03 ff 80 00"))
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::UnknownTypeId(64)), "{e}");
    // Non-zero singleton delta.
    let e = Decoder::new()
        .decode_all::<Value>(&hex("03 04 01 06"))
        .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::NonZeroSingletonDelta);
}

/// `[]int` definition (id 64) then a value message `ff 80 00 <count> 02` (one element).
fn int_slice_claiming(count: u64) -> Vec<u8> {
    let mut s = gob::Encoder::new().encode(&vec![1i64]).expect("encode");
    // Drop the value message Rust wrote: `05 ff 80 00 01 02`.
    let value_len = 6;
    s.truncate(s.len() - value_len);
    let mut v = hex("ff 80 00");
    put_uint(&mut v, count);
    v.push(2);
    put_uint(&mut s, v.len() as u64);
    s.extend_from_slice(&v);
    s
}

#[test]
fn counts_beyond_the_message_fail_per_element_without_allocating() {
    // Sanity: the honest stream decodes.
    let ok = Decoder::new().decode_all::<Value>(&int_slice_claiming(1));
    assert!(ok.is_ok(), "{ok:?}");
    // Five elements claimed, one present, a later message follows: elements may only continue
    // in later messages after an interface's definitions, so this fails at element 1.
    let mut s = int_slice_claiming(5);
    s.extend(hex("09 04 00 07 01 02 03 04 05 06"));
    let err = Decoder::new().decode_all::<Value>(&s).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::LengthExceedsInput {
                count: 5,
                remaining: 0
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("[1]"), "{err}");
    // On a stream that may still grow, a huge count is not "incomplete": it fails at the end
    // of the message that holds the elements, and nothing near 2^40 elements is allocated.
    let s = int_slice_claiming(1 << 40);
    let err = Decoder::new()
        .decode_next::<Vec<i64>>(&s, false)
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::LengthExceedsInput { .. }),
        "{err}"
    );
}

/// Found by `cargo fuzz` (LeakSanitizer, seed `recursive_slice_type`): Go's
/// `type recursiveSlice []recursiveSlice` stream. Dynamic types of recursive wire types were
/// `Arc` cycles, so they outlived both the decoder and every value (a peer could leak up to
/// `Limits::max_types` definitions, names included, per stream). Now a recursive type is one
/// `TypeGroup` whose definitions refer to each other by index: the group must be freed with
/// the last value and the decoder.
#[test]
fn recursive_types_are_freed_with_their_values() {
    let s = gob_vector("recursive_slice_type");
    let weak = {
        let mut dec = Decoder::new();
        let vals = dec.decode_all::<Value>(&s).expect("Go's stream decodes");
        match vals[0].ty() {
            gob::Type::Def(d) => {
                // The slice's element is the slice itself, inside the same group.
                assert!(matches!(
                    d.shape(),
                    gob::DefKind::Slice(gob::TypeRef::Local(0))
                ));
                std::sync::Arc::downgrade(d.group())
            }
            other => panic!("slice type expected, got {other:?}"),
        }
    };
    assert!(weak.upgrade().is_none(), "recursive type leaked");
}

/// Decodes `T` refusing every interface name but `main.Branch` (or all, with `NONE`).
struct OnlyKnown<T, const NONE: bool>(T);

impl<T: gob::Decode, const NONE: bool> gob::Decode for OnlyKnown<T, NONE> {
    fn decode(d: &mut gob::raw::Dec<'_, '_>, wire: gob::raw::WireId) -> gob::Result<Self> {
        let known: fn(&str) -> bool = if NONE {
            |_| false
        } else {
            |n| n == "main.Branch"
        };
        d.with_known_names(known, |d| T::decode(d, wire))
            .map(OnlyKnown)
    }
}

/// `Dec::with_known_names` refuses a name as soon as it is read, as Go's decoder does: the
/// value's definitions and rest (later messages, here never sent) are not waited for, and
/// the error ends at the name's message, where Go's next `Decode` starts. (Seed 5476 of the
/// session fuzzer: a peer sent those messages to another stream and got no answer.)
#[test]
fn known_names_refuse_an_unknown_name_before_the_rest_of_the_value_arrives() {
    let s = holder();
    let whole: Vec<Value> = Decoder::new().decode_all(&s).expect("plain decode");
    let checked: Vec<OnlyKnown<Value, false>> =
        Decoder::new().decode_all(&s).expect("main.Branch is known");
    assert_eq!(checked.into_iter().map(|v| v.0).collect::<Vec<_>>(), whole);

    // The Holder definition (31 bytes) and the message with the name and Branch's first
    // definition (54 bytes); three definitions and the value's rest would follow.
    let head = &s[..32 + 55];
    assert!(matches!(
        Decoder::new().decode_next::<Value>(head, false),
        Ok(gob::Step::NeedMore)
    ));
    let e = match Decoder::new().decode_next::<OnlyKnown<Value, true>>(head, false) {
        Err(e) => e,
        Ok(_) => panic!("an unknown name must be refused"),
    };
    assert_eq!(
        e.kind(),
        &ErrorKind::UnregisteredName("main.Branch".into()),
        "{e}"
    );
    assert_eq!(e.message_end(), Some(head.len()));
}

/// A Holder without its interface field: Go's `ignoreInterface` does not look the skipped
/// value's name up, and neither does `with_known_names`.
#[test]
fn known_names_do_not_check_skipped_values() {
    #[derive(gob::Gob, Debug, Default, PartialEq)]
    #[gob(go_type = "main.Holder")]
    struct OnlyW {
        #[gob(name = "W")]
        w: i64,
    }
    let got: Vec<OnlyKnown<OnlyW, true>> = Decoder::new().decode_all(&holder()).expect("decode");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, OnlyW { w: 9 });
}
