//! The entry points (`to_vec`, `from_slice`, `Decoder::iter`, `Decoder::decode_next` on a
//! growing buffer) against a stream Go wrote (`testdata/gob/point_struct.gob`: `Point{22, 33}`
//! encoded twice by one `gob.Encoder`), and the derive's `crate` attribute.
use gob::{Decoder, ErrorKind, Gob, Step};

#[derive(Gob, Debug, Default, PartialEq, Clone)]
#[gob(go_type = "main.Point")]
struct Point {
    x: i64,
    y: i64,
}

fn go_stream() -> Vec<u8> {
    tilores_plugin_test_support::gob_vector("point_struct")
}

/// The second value's message (`07 ff 80 01 2c 01 42 00`): the definition is sent once.
const SECOND: usize = 8;

const P: Point = Point { x: 22, y: 33 };

#[test]
fn to_vec_writes_what_go_writes_for_one_value() {
    let go = go_stream();
    assert_eq!(gob::to_vec(&P).unwrap(), go[..go.len() - SECOND]);
}

#[test]
fn from_slice_reads_exactly_one_value() {
    let go = go_stream();
    let one = &go[..go.len() - SECOND];
    assert_eq!(gob::from_slice::<Point>(one).unwrap(), P);
    // A second value is trailing data, reported where it starts.
    let err = gob::from_slice::<Point>(&go).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TrailingData, "{err}");
    assert_eq!(err.offset(), Some(one.len()));
    // Nothing, or a stream cut short: unexpected EOF.
    let err = gob::from_slice::<Point>(&[]).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnexpectedEof, "{err}");
    let err = gob::from_slice::<Point>(&one[..one.len() - 1]).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnexpectedEof, "{err}");
    // Type checks still apply.
    let err = gob::from_slice::<String>(one).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::TypeMismatch { .. }),
        "{err}"
    );
}

#[test]
fn iter_reads_every_value_and_places_errors_in_the_whole_input() {
    let go = go_stream();
    let mut dec = Decoder::new();
    let mut values = dec.iter::<Point>(&go);
    assert_eq!(values.next().unwrap().unwrap(), P);
    assert_eq!(values.used(), go.len() - SECOND);
    assert_eq!(values.next().unwrap().unwrap(), P);
    assert!(values.next().is_none());
    assert_eq!(values.used(), go.len());

    // A third message announced as 5 bytes with 2 present: the error's offset counts from
    // the start of the input, and the iterator ends with it.
    let mut cut = go.clone();
    cut.extend([0x05, 0xff, 0x80]);
    let mut dec = Decoder::new();
    let mut values = dec.iter::<Point>(&cut);
    assert!(values.next().unwrap().is_ok());
    assert!(values.next().unwrap().is_ok());
    let err = values.next().unwrap().unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnexpectedEof, "{err}");
    assert!(err.offset().unwrap() >= go.len(), "{err}");
    assert!(values.next().is_none());
}

#[test]
fn decode_next_asks_for_more_without_an_error_and_without_forgetting() {
    let go = go_stream();
    let first = go.len() - SECOND;
    let mut dec = Decoder::new();
    // Every prefix of the first value (the definition message alone included) needs more,
    // and leaves the decoder as it was: the full value then decodes.
    for cut in 0..first {
        match dec.decode_next::<Point>(&go[..cut], false) {
            Ok(Step::NeedMore) => {}
            other => panic!("prefix {cut}: {other:?}"),
        }
    }
    match dec.decode_next::<Point>(&go, false).unwrap() {
        Step::Value { value, used } => assert_eq!((value, used), (P, first)),
        other => panic!("{other:?}"),
    }
    // The second value uses the definition remembered from the first.
    let rest = &go[first..];
    assert!(matches!(
        dec.decode_next::<Point>(&rest[..3], false),
        Ok(Step::NeedMore)
    ));
    match dec.decode_next::<Point>(rest, false).unwrap() {
        Step::Value { value, used } => assert_eq!((value, used), (P, SECOND)),
        other => panic!("{other:?}"),
    }
    // At the end: more may come (NeedMore), or the stream ended cleanly (End).
    assert!(matches!(
        dec.decode_next::<Point>(&[], false),
        Ok(Step::NeedMore)
    ));
    assert!(matches!(
        dec.decode_next::<Point>(&[], true),
        Ok(Step::End { used: 0 })
    ));
    // A complete input cut short is an error, not a request for more.
    let err = Decoder::new()
        .decode_next::<Point>(&go[..first - 1], true)
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UnexpectedEof, "{err}");
}

/// The gob crate under other paths: `#[gob(crate = "...")]` names it.
mod elsewhere {
    pub use gob as inner;
}
extern crate gob as renamed_gob;

#[derive(renamed_gob::Gob, Debug, Default, PartialEq)]
#[gob(crate = "renamed_gob", go_type = "main.Point")]
struct ViaRename {
    x: i64,
    y: i64,
}

#[derive(gob::Gob, Debug, Default, PartialEq)]
#[gob(go_type = "main.Point", crate = "crate::elsewhere::inner")]
struct ViaModule {
    x: i64,
    y: i64,
}

#[test]
fn the_crate_attribute_reaches_gob_by_any_path() {
    let go = go_stream();
    let one = &go[..go.len() - SECOND];
    assert_eq!(
        gob::from_slice::<ViaRename>(one).unwrap(),
        ViaRename { x: 22, y: 33 }
    );
    assert_eq!(
        gob::from_slice::<ViaModule>(one).unwrap(),
        ViaModule { x: 22, y: 33 }
    );
    assert_eq!(gob::to_vec(&ViaModule { x: 22, y: 33 }).unwrap(), one);
}

/// One encoder, messages whose length prefixes take 1, 2, 3 and 4 bytes in every order: the
/// encoder reserves the last prefix size of the type, so each guess is wrong in turn, and
/// every message must still be framed as Go frames it (the minimal prefix, then the body:
/// the `string` id, the singleton marker and the string).
#[test]
fn message_prefixes_are_minimal_whatever_came_before() {
    let mut enc = gob::Encoder::new();
    let mut dec = Decoder::new();
    for len in [3usize, 200, 70_000, 1, 130, 65_536, 2, 1 << 24, 5] {
        let s = "x".repeat(len);
        let mut out = Vec::new();
        enc.encode_into(&s, &mut out).unwrap();
        let mut body = vec![0x0c, 0x00];
        gob::wire::put_uint(&mut body, len as u64);
        body.extend_from_slice(s.as_bytes());
        let mut want = Vec::new();
        gob::wire::put_uint(&mut want, body.len() as u64);
        want.extend_from_slice(&body);
        assert!(out == want, "message of a {len}-byte string");
        match dec.decode_next::<String>(&out, true).unwrap() {
            Step::Value { value, .. } => assert_eq!(value.len(), len),
            other => panic!("{other:?}"),
        }
        // Between them, a small message of another type (as net/rpc alternates a header
        // and a body): `int` id 2, singleton marker, 7, zig-zagged.
        let mut small = Vec::new();
        enc.encode_into(&7i64, &mut small).unwrap();
        assert_eq!(small, [0x03, 0x04, 0x00, 0x0e], "after a {len}-byte string");
    }
}
