//! Typed encoding through the derive macro, checked against bytes Go wrote
//! (go-plugin-netrpc.md §4.3, §6 of gob-conformance.md).
use gob::{Decoder, Encoder, Gob, Step};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

#[derive(Gob, Debug, Default, PartialEq, Clone)]
#[gob(go_type = "rpc.Request")]
struct Request {
    #[gob(name = "ServiceMethod")]
    service_method: String,
    seq: u64,
}

#[derive(Gob, Debug, Default, PartialEq, Clone)]
#[gob(go_type = "main.Args")]
struct Args {
    a: i64,
    b: i64,
}

#[test]
fn net_rpc_client_stream_matches_go_with_first_id_64() {
    // Go 1.23, fresh process: two Arith.Multiply calls with {7,8} and {2,3}.
    let go = hex("2e 7f 03 01 01 07 52 65 71 75 65 73 74 01 ff 80 00 01 02 01 0d 53 65 72 76 69 63 65 4d 65 74 68 6f 64 01 0c 00 01 03 53 65 71 01 06 00 00 00
        13 ff 80 01 0e 41 72 69 74 68 2e 4d 75 6c 74 69 70 6c 79 00
        1e ff 81 03 01 01 04 41 72 67 73 01 ff 82 00 01 02 01 01 41 01 04 00 01 01 42 01 04 00 00 00
        07 ff 82 01 0e 01 10 00
        15 ff 80 01 0e 41 72 69 74 68 2e 4d 75 6c 74 69 70 6c 79 01 01 00
        07 ff 82 01 04 01 06 00");
    let mut enc = Encoder::new();
    let mut out = Vec::new();
    for (seq, (a, b)) in [(0u64, (7, 8)), (1, (2, 3))] {
        let req = Request {
            service_method: "Arith.Multiply".into(),
            seq,
        };
        enc.encode_into(&req, &mut out).unwrap();
        enc.encode_into(&Args { a, b }, &mut out).unwrap();
    }
    assert_eq!(out, go);

    let mut dec = Decoder::new();
    let mut input = &go[..];
    let mut got = Vec::new();
    for _ in 0..2 {
        let Step::Value { value: r, used: n } = dec.decode_next::<Request>(input, true).unwrap()
        else {
            panic!()
        };
        input = &input[n..];
        let Step::Value { value: a, used: n } = dec.decode_next::<Args>(input, true).unwrap()
        else {
            panic!()
        };
        input = &input[n..];
        got.push((r, a));
    }
    assert_eq!(got[1].0.seq, 1);
    assert_eq!(got[1].1, Args { a: 2, b: 3 });
}

#[test]
fn dispense_request_matches_go_with_first_id_65() {
    // go-plugin v1.4.3 host (Go 1.19) on the control stream.
    let go = hex("2f ff 81 03 01 01 07 52 65 71 75 65 73 74 01 ff 82 00 01 02 01 0d 53 65 72 76 69 63 65 4d 65 74 68 6f 64 01 0c 00 01 03 53 65 71 01 06 00 00 00
        17 ff 82 01 12 44 69 73 70 65 6e 73 65 72 2e 44 69 73 70 65 6e 73 65 00
        0d 0c 00 0a 64 69 73 70 61 74 63 68 65 72");
    let mut enc = Encoder::with_first_id(65);
    let mut out = Vec::new();
    enc.encode_into(
        &Request {
            service_method: "Dispenser.Dispense".into(),
            seq: 0,
        },
        &mut out,
    )
    .unwrap();
    enc.encode_into("dispatcher", &mut out).unwrap();
    assert_eq!(out, go);
}

#[test]
fn wrong_field_type_is_a_typed_error_with_path() {
    #[derive(Gob, Debug, Default)]
    #[gob(go_type = "main.Args")]
    struct WrongArgs {
        a: String,
    }
    let bytes = gob::to_vec(&Args { a: 1, b: 2 }).unwrap();
    let err = Decoder::new().decode_all::<WrongArgs>(&bytes).unwrap_err();
    assert!(
        matches!(err.kind(), gob::ErrorKind::TypeMismatch { .. }),
        "{err}"
    );
    assert_eq!(err.path(), ".A");
}
