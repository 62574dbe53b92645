//! The derive as a dependent crate reaches it, against `testdata/gob/point_struct.gob` (Go:
//! `Point{22, 33}` encoded twice by one `gob.Encoder`).
use tilores_plugin::gob::{self, Decoder, Encoder};
use tilores_plugin_downstream::{encode, ExplicitPoint, Point, Points};

fn go_stream() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/gob/point_struct.gob"
    );
    std::fs::read(path).expect("Go vector testdata/gob/point_struct.gob")
}

#[test]
fn derived_types_write_and_read_what_go_wrote() {
    let go = go_stream();
    let p = Point { x: 22, y: 33 };
    // One value: the definition and the first value message (the second is 8 bytes).
    let one = &go[..go.len() - 8];
    assert_eq!(encode(&p).unwrap(), one);
    assert_eq!(gob::from_slice::<Point>(one).unwrap(), p);
    assert_eq!(
        gob::from_slice::<ExplicitPoint>(one).unwrap(),
        ExplicitPoint { x: 22, y: 33 }
    );
    // Both values through one encoder and one decoder, as Go's.
    let mut enc = Encoder::new();
    let mut both = enc.encode(&p).unwrap();
    both.extend(enc.encode(&p).unwrap());
    assert_eq!(both, go);
    let back: Vec<Point> = Decoder::new().decode_all(&go).unwrap();
    assert_eq!(back, [p.clone(), p]);
}

#[test]
fn derived_newtype_round_trips() {
    let ps = Points(vec![Point { x: 1, y: 2 }, Point { x: -3, y: 4 }]);
    let bytes = gob::to_vec(&ps).unwrap();
    assert_eq!(gob::from_slice::<Points>(&bytes).unwrap(), ps);
    // A Go named slice type on the wire: a dynamic decode sees its kind and name.
    let v: gob::Value = gob::from_slice(&bytes).unwrap();
    assert_eq!(v.ty().short_name(), "slice Points");
}
