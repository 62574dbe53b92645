//! Bytes → a stream of dynamic `Value`s. Every decoded value must re-encode, and the
//! re-encoding must decode to a value that re-encodes to the very same bytes (a float-safe
//! round-trip oracle: NaN payloads and -0 survive by bits).
#![no_main]

use gob::{Decoder, Encoder, Step, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut dec = Decoder::new();
    let mut input = data;
    let mut values = Vec::new();
    // Streaming first: a prefix that is not complete must ask for more, never fail oddly.
    let half = &input[..input.len() / 2];
    let _ = Decoder::new().decode_next::<Value>(half, false);
    while values.len() < 64 {
        match dec.decode_next::<Value>(input, true) {
            Ok(Step::Value { value: v, used }) => {
                assert!(used > 0 && used <= input.len());
                input = &input[used..];
                values.push(v);
            }
            Ok(Step::End { .. }) | Err(_) => break,
            // A complete input ends in a value, an end or an error, never "need more".
            Ok(Step::NeedMore) => panic!("a complete input asked for more bytes"),
        }
    }
    // Whatever the decoder accepts, the encoder writes back (the encoder's depth bound is
    // above the decoder's).
    let mut enc = Encoder::new();
    let mut bytes = Vec::new();
    for (i, v) in values.iter().enumerate() {
        if let Err(e) = enc.encode_into(v, &mut bytes) {
            panic!("decoded value {i} does not re-encode: {e}");
        }
    }
    let again = match Decoder::new().decode_all::<Value>(&bytes) {
        Ok(a) => a,
        Err(e) => panic!("Rust cannot decode its own re-encoding: {e}"),
    };
    assert_eq!(again.len(), values.len());
    let mut enc2 = Encoder::new();
    let mut bytes2 = Vec::new();
    for v in &again {
        enc2.encode_into(v, &mut bytes2)
            .unwrap_or_else(|e| panic!("re-decoded value does not re-encode: {e}"));
    }
    assert_eq!(bytes, bytes2, "re-encoding is not stable");
});
