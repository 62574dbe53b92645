//! Bytes → a stream of dynamic `Value`s. Every decoded value must re-encode, and the
//! re-encoding must decode to a value that re-encodes to the very same bytes (a float-safe
//! round-trip oracle: NaN payloads and -0 survive by bits). A streaming decode of the first
//! half must not end, and a "need more" must leave the decoder unchanged.
#![no_main]

use gob::{Decoder, Encoder, Step, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut dec = Decoder::new();
    let mut input = data;
    let mut values = Vec::new();
    // Streaming first: half the input, which may continue. It cannot end (only a complete
    // input ends), a value must lie within it, and after "need more" the decoder must be as
    // it was: the whole input then decodes exactly as in a fresh decoder.
    let half = &input[..input.len() / 2];
    let mut streaming = Decoder::new();
    match streaming.decode_next::<Value>(half, false) {
        Ok(Step::Value { used, .. }) => assert!(used > 0 && used <= half.len()),
        Ok(Step::End { .. }) => panic!("an input that may continue ended"),
        Ok(Step::NeedMore) => {
            let resumed = format!("{:?}", streaming.decode_next::<Value>(input, true));
            let fresh = format!("{:?}", Decoder::new().decode_next::<Value>(input, true));
            assert_eq!(resumed, fresh, "need more changed the decoder");
        }
        Err(_) => {}
    }
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
