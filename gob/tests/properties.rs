//! Properties of the wire primitives and of the typed JSON, over seeded random values of every
//! class: integers at every width boundary, floats of every bit-pattern class (zeros,
//! subnormals, normals, infinities, NaNs with payloads, float32-widened values), strings and
//! byte strings of every length class. Go's side of the same properties is the differential
//! fuzzer (`tests/gob_differential.rs`).

use gob::json::{parse_typed_json, TypedJsonReader, TypedJsonWriter};
use gob::wire::{put_float, put_int, put_uint, Reader};
use gob::{Decoder, Encoder, Type, Value};

/// A small seeded generator (xorshift64*): the same seed gives the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Integers at every boundary: each power of two and its neighbours, each byte-width limit.
fn boundary_uints() -> Vec<u64> {
    let mut v = vec![0, 1, 127, 128, 255, 256, u64::MAX];
    for k in 1..64 {
        let p = 1u64 << k;
        v.extend([p - 1, p, p + 1]);
    }
    v
}

/// One message holding `payload`, and a reader positioned at its start.
fn message(payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    put_uint(&mut m, payload.len() as u64);
    m.extend_from_slice(payload);
    m
}

#[test]
fn unsigned_and_signed_integers_round_trip_in_minimal_form() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut us = boundary_uints();
    us.extend((0..10_000).map(|_| rng.next() >> rng.below(64)));
    for u in us {
        let mut b = Vec::new();
        put_uint(&mut b, u);
        // Minimal: one byte below 128, else a count byte and the big-endian bytes without
        // leading zeros.
        let want_len = if u < 128 {
            1
        } else {
            1 + (8 - u.leading_zeros() as usize / 8)
        };
        assert_eq!(b.len(), want_len, "{u}: {b:02x?}");
        let m = message(&b);
        let mut r = Reader::new(&m, true, 1 << 20);
        assert!(r.next_message().expect("message"));
        assert_eq!(r.uint().expect("uint"), u, "{b:02x?}");
        assert_eq!(r.remaining(), 0);

        for i in [u as i64, (u as i64).wrapping_neg(), !(u as i64)] {
            let mut b = Vec::new();
            put_int(&mut b, i);
            let m = message(&b);
            let mut r = Reader::new(&m, true, 1 << 20);
            assert!(r.next_message().expect("message"));
            assert_eq!(r.int().expect("int"), i, "{b:02x?}");
        }
    }
}

/// Floats of every class, as f64 bits.
fn float_cases(rng: &mut Rng) -> Vec<u64> {
    let f32w = |f: f32| (f as f64).to_bits();
    let mut v = vec![
        0,
        1 << 63,
        f64::INFINITY.to_bits(),
        f64::NEG_INFINITY.to_bits(),
        f64::NAN.to_bits(),
        f64::MAX.to_bits(),
        f64::MIN.to_bits(),
        f64::MIN_POSITIVE.to_bits(),
        1,                     // smallest subnormal
        0x000f_ffff_ffff_ffff, // largest subnormal
        0x7ff0_0000_0000_0001, // signalling NaN, smallest payload
        0xfff8_0000_0000_0001, // negative quiet NaN with a payload
        f32w(f32::MAX),
        f32w(f32::MIN),
        f32w(f32::MIN_POSITIVE),
        f32w(f32::from_bits(1)), // smallest float32 subnormal
        f32w(f32::MAX / 3.0),
        (-1.349630489419929e-08f64).to_bits(),
        0.1f64.to_bits(),
        (1.0f64 / 3.0).to_bits(),
    ];
    for _ in 0..20_000 {
        let bits = match rng.below(6) {
            0 => rng.next(),                                            // any pattern
            1 => rng.next() & 0x800f_ffff_ffff_ffff,                    // subnormal
            2 => rng.next() | 0x7ff0_0000_0000_0000,                    // NaN or infinity
            3 => f32w(f32::from_bits(rng.next() as u32)),               // a widened float32
            4 => f32w(f32::from_bits(rng.next() as u32 & 0x807f_ffff)), // float32 subnormal
            _ => (rng.next() as i64 as f64 / (1u64 << rng.below(64)) as f64).to_bits(),
        };
        v.push(bits);
    }
    v
}

#[test]
fn floats_of_every_class_round_trip_by_bits_on_the_wire_and_through_typed_json() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let cases = float_cases(&mut rng);
    // The wire: each float, bit for bit.
    for &bits in &cases {
        let mut b = Vec::new();
        put_float(&mut b, f64::from_bits(bits));
        let m = message(&b);
        let mut r = Reader::new(&m, true, 1 << 20);
        assert!(r.next_message().expect("message"));
        assert_eq!(r.float().expect("float").to_bits(), bits);
    }
    // Typed JSON: the decimal text (or the bits, for NaN, ±Inf and -0) reads back to the very
    // same bits, as a float field, a complex and a float32-range value alike.
    let point = Type::structure(
        "P",
        vec![("F".into(), Type::Float), ("C".into(), Type::Complex)],
    );
    let mut writer = TypedJsonWriter::new();
    let mut reader = TypedJsonReader::new();
    for pair in cases.chunks(2) {
        let (a, b) = (
            f64::from_bits(pair[0]),
            f64::from_bits(*pair.last().unwrap_or(&0)),
        );
        let v = Value::new_struct(
            point.clone(),
            vec![(0, Value::Float(a)), (1, Value::Complex(b, a))],
        );
        let text = serde_json::to_string(&writer.document(&v)).expect("JSON text");
        let back = reader
            .value(&parse_typed_json(&text).expect("parses"))
            .expect("rebuilds");
        let Value::Struct(c) = &back else {
            panic!("not a struct: {back:?}")
        };
        let bits: Vec<u64> = c
            .items
            .iter()
            .flat_map(|(_, f)| match f {
                Value::Float(x) => vec![x.to_bits()],
                Value::Complex(r, i) => vec![r.to_bits(), i.to_bits()],
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(bits, vec![a.to_bits(), b.to_bits(), a.to_bits()], "{text}");
    }
}

#[test]
fn decimal_text_is_read_correctly_rounded_as_go_does() {
    // Go's encoding/json and strconv.ParseFloat round correctly (to nearest, ties to even);
    // so does Rust's `str::parse`. The typed JSON must read numbers the same way.
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..20_000 {
        let digits: String = (0..1 + rng.below(25))
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        let digits = digits.trim_start_matches('0');
        let digits = if digits.is_empty() { "1" } else { digits };
        let exp = rng.below(660) as i64 - 345;
        let sign = if rng.below(2) == 0 { "" } else { "-" };
        let text = format!("{sign}{digits}e{exp}");
        let want: f64 = text.parse().expect("std parses");
        if !want.is_finite() {
            continue;
        }
        let doc = format!(r#"{{"type":"float","types":{{}},"value":{text}}}"#);
        let got = TypedJsonReader::new()
            .value(&parse_typed_json(&doc).expect("parses"))
            .expect("rebuilds");
        assert_eq!(got, Value::Float(want), "{text}");
        let Value::Float(g) = got else { unreachable!() };
        assert_eq!(g.to_bits(), want.to_bits(), "{text}");
    }
}

/// Lengths of every class: empty, one byte, around each length-prefix width.
fn length_classes(rng: &mut Rng) -> Vec<usize> {
    let mut v = vec![
        0,
        1,
        2,
        127,
        128,
        129,
        255,
        256,
        257,
        65_535,
        65_536,
        1 << 20,
    ];
    v.extend((0..40).map(|_| rng.below(5_000) as usize));
    v
}

#[test]
fn strings_and_bytes_of_every_length_class_round_trip() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let lengths = length_classes(&mut rng);
    let mut values = Vec::new();
    for &n in &lengths {
        let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        let ascii: String = (0..n)
            .map(|_| char::from(b' ' + rng.below(95) as u8))
            .collect();
        let multi: String = (0..n / 3)
            .map(|_| char::from_u32(0x80 + rng.below(0x10_ff00) as u32).unwrap_or('é'))
            .collect();
        values.push(Value::Bytes(bytes.clone().into()));
        values.push(Value::String(ascii.as_str().into()));
        values.push(Value::String(multi.as_str().into()));
        match String::from_utf8(bytes.clone()) {
            Ok(s) => values.push(Value::String(s.as_str().into())),
            Err(_) => values.push(Value::RawString(bytes.into())),
        }
    }
    let mut enc = Encoder::new();
    let mut stream = Vec::new();
    for v in &values {
        enc.encode_into(v, &mut stream).expect("encodes");
    }
    let back = Decoder::new()
        .decode_all::<Value>(&stream)
        .expect("decodes");
    assert_eq!(back, values);
    let mut writer = TypedJsonWriter::new();
    let mut reader = TypedJsonReader::new();
    for v in &values {
        let text = serde_json::to_string(&writer.document(v)).expect("JSON text");
        let b = reader
            .value(&parse_typed_json(&text).expect("parses"))
            .expect("rebuilds");
        assert_eq!(&b, v);
    }
}

#[test]
fn integers_at_every_width_boundary_round_trip_through_typed_json() {
    let mut writer = TypedJsonWriter::new();
    let mut reader = TypedJsonReader::new();
    for u in boundary_uints() {
        for v in [
            Value::Uint(u),
            Value::Int(u as i64),
            Value::Int((u as i64).wrapping_neg()),
        ] {
            let text = serde_json::to_string(&writer.document(&v)).expect("JSON text");
            let b = reader
                .value(&parse_typed_json(&text).expect("parses"))
                .expect("rebuilds");
            assert_eq!(b, v, "{text}");
        }
    }
}

#[test]
fn typed_json_nesting_is_bounded_before_parsing() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = parse_typed_json(&deep).expect_err("refused");
    assert!(e.to_string().contains("nested 100000 deep"), "{e}");
    // Brackets inside strings do not count.
    let text = format!(
        r#"{{"type":"string","types":{{}},"value":"{}"}}"#,
        "[".repeat(5000)
    );
    assert!(parse_typed_json(&text).is_ok());
    assert!(parse_typed_json(r#"{"a":1} x"#).is_err());
}
