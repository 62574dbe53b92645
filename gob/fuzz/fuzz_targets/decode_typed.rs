//! Bytes → the dispatcher's `EntityOutput` (pointers, maps, named slices, `interface{}` values
//! holding maps, lists and `time.Time`). Decoded values must re-encode and decode back equal.
#![no_main]

use std::collections::HashMap;
use std::sync::Once;

use gob::{Decoder, Encoder, GoTime, Gob, Interface, Step};
use libfuzzer_sys::fuzz_target;

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.EntityOutput")]
struct EntityOutput {
    entity: Option<Box<Entity>>,
}

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.Entity")]
struct Entity {
    #[gob(name = "ID")]
    id: String,
    records: Vec<Record>,
    edges: Edges,
    duplicates: Duplicates,
    hits: Hits,
}

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.Edges")]
struct Edges(Vec<String>);

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.Duplicates")]
struct Duplicates(HashMap<String, Vec<String>>);

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.Hits")]
struct Hits(HashMap<String, Vec<String>>);

#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.Record")]
struct Record {
    #[gob(name = "ID")]
    id: String,
    data: HashMap<String, Interface>,
}

static REGISTER: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    REGISTER.call_once(|| {
        let _ = gob::register::<GoTime>();
    });
    let mut dec = Decoder::new();
    let mut input = data;
    let mut n = 0;
    while n < 16 {
        match dec.decode_next::<EntityOutput>(input, true) {
            Ok(Step::Value { value: v, used }) => {
                assert!(used > 0 && used <= input.len());
                input = &input[used..];
                n += 1;
                check_round_trip(&v);
            }
            Ok(Step::End { .. }) | Err(_) => break,
            // A complete input ends in a value, an end or an error, never "need more".
            Ok(Step::NeedMore) => panic!("a complete input asked for more bytes"),
        }
    }
});

fn check_round_trip(v: &EntityOutput) {
    let Ok(bytes) = Encoder::new().encode(v) else {
        return;
    };
    let back: Vec<EntityOutput> = Decoder::new()
        .decode_all(&bytes)
        .unwrap_or_else(|e| panic!("Rust cannot decode its own encoding: {e}"));
    assert_eq!(back.len(), 1);
    // Values compare by `==` (maps are unordered); NaN never equals itself, so values
    // holding one are only checked for decoding.
    if back[0] != *v && !format!("{v:?}").contains("NaN") {
        panic!("typed round trip changed the value:\n{v:?}\n{:?}", back[0]);
    }
}
