//! A map whose wire form repeats a key (Go never sends one, a hostile peer may): the later
//! entry wins, as Go's decoder (`reflect.Value.SetMapIndex` in wire order) does, for every
//! Rust map type and both ways a `BTreeMap` is put together (small maps are inserted into
//! directly, large ones sorted and built in bulk).

use std::collections::{BTreeMap, HashMap};

use gob::{Type, Value};

/// `map[string]int` with entries `(key, value)` in wire order.
fn wire_map(entries: &[(&str, i64)]) -> Vec<u8> {
    let value = Value::new_map(
        Type::map("", Type::String, Type::Int),
        entries
            .iter()
            .map(|(k, v)| (Value::String((*k).into()), Value::Int(*v)))
            .collect(),
    );
    gob::to_vec(&value).expect("encode")
}

#[test]
fn the_later_of_repeated_keys_wins_in_small_and_large_maps() {
    for size in [3usize, 11, 12, 40] {
        // Keys k0..k{size-1}, then k1 again with a new value, in a scrambled order.
        let mut entries: Vec<(String, i64)> = (0..size)
            .map(|i| (format!("k{}", (i * 7) % size), i as i64))
            .collect();
        entries.push(("k1".to_string(), -1));
        let borrowed: Vec<(&str, i64)> = entries.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let bytes = wire_map(&borrowed);

        let mut want: BTreeMap<String, i64> = BTreeMap::new();
        for (k, v) in &entries {
            want.insert(k.clone(), *v);
        }
        assert_eq!(want["k1"], -1);

        let tree: BTreeMap<String, i64> = gob::from_slice(&bytes).expect("BTreeMap");
        assert_eq!(tree, want, "BTreeMap of {size} entries");
        let hash: HashMap<String, i64> = gob::from_slice(&bytes).expect("HashMap");
        assert_eq!(
            hash.into_iter().collect::<BTreeMap<_, _>>(),
            want,
            "HashMap of {size}"
        );
    }
}
