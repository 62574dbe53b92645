//! Worked examples from Go (gob-conformance.md §2), decoded and re-encoded.
use gob::{Decoder, Encoder, Value};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

fn reencode(values: &[Value]) -> Vec<u8> {
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    for v in values {
        enc.encode_into(v, &mut out).unwrap();
    }
    out
}

#[test]
fn point_twice_round_trips_byte_exact() {
    let stream = hex("1e 7f 03 01 01 05 50 6f 69 6e 74 01 ff 80 00 01 02 01 01 58 01 04 00 01 01 59 01 04 00 00 00 07 ff 80 01 2c 01 42 00 07 ff 80 01 2c 01 42 00");
    let vals = Decoder::new().decode_all::<Value>(&stream).unwrap();
    assert_eq!(vals.len(), 2);
    assert_eq!(vals[0].field("X"), Some(&Value::Int(22)));
    assert_eq!(vals[0].field("Y"), Some(&Value::Int(33)));
    assert_eq!(reencode(&vals), stream);
}

#[test]
fn holder_branch_split_messages_round_trip_byte_exact() {
    let stream = hex("1f 7f 03 01 01 06 48 6f 6c 64 65 72 01 ff 80 00 01 02 01 01 56 01 10 00 01 01 57 01 04 00 00 00
    36 ff 80 01 0b 6d 61 69 6e 2e 42 72 61 6e 63 68 ff 81 03 01 01 06 42 72 61 6e 63 68 01 ff 82 00 01 02 01 04 4e 61 6d 65 01 0c 00 01 04 4b 69 64 73 01 ff 86 00 00 00
    1a ff 85 02 01 01 0b 5b 5d 6d 61 69 6e 2e 4c 65 61 66 01 ff 86 00 01 ff 84 00 00
    18 ff 83 03 01 01 04 4c 65 61 66 01 ff 84 00 01 01 01 01 4e 01 04 00 00 00
    0f ff 82 09 01 01 62 01 01 01 02 00 00 01 12 00
    17 ff 80 01 0b 6d 61 69 6e 2e 42 72 61 6e 63 68 ff 82 04 01 01 63 00 00");
    let vals = Decoder::new().decode_all::<Value>(&stream).unwrap();
    assert_eq!(vals.len(), 2);
    assert_eq!(vals[0].field("W"), Some(&Value::Int(9)));
    let Some(Value::Interface(i)) = vals[0].field("V") else {
        panic!("V missing")
    };
    assert_eq!(i.name(), Some("main.Branch"));
    assert_eq!(
        i.value().unwrap().field("Name"),
        Some(&Value::String("b".into()))
    );
    assert_eq!(reencode(&vals), stream);
}

#[test]
fn nested_interfaces_with_inner_chunks_decode() {
    let stream = hex("28 10 00 0c 2a 6d 61 69 6e 2e 4f 75 74 65 72 32 7f 03 01 01 06 4f 75 74 65 72 32 01 ff 80 00 01 01 01 01 46 01 10 00 00 00
    40 ff 80 3d 01 0c 2a 6d 61 69 6e 2e 4f 75 74 65 72 32 ff 80 23 01 09 6d 61 69 6e 2e 4c 65 61 66 ff 81 03 01 01 04 4c 65 61 66 01 ff 82 00 01 01 01 01 4e 01 04 00 00 00 07 ff 82 03 01 0e 00 00 00");
    let vals = Decoder::new().decode_all::<Value>(&stream).unwrap();
    assert_eq!(vals.len(), 1);
    assert_eq!(reencode(&vals), stream);
}
