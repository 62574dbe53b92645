//! The Go vectors' manifest (`testdata/gob/manifest.json`, written by Go) and how values are
//! compared with what it records: shared by the gob crate's typed-decoding tests and the
//! workspace's vector tests.

use serde_json::Value as Json;

/// The manifest, parsed.
pub fn manifest() -> Json {
    let p = crate::repo_root().join("testdata/gob/manifest.json");
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).expect("manifest.json is valid JSON")
}

/// Typed JSON without the type tables: the form the manifest records.
pub fn strip_types(j: &Json) -> Json {
    fn strip_value(v: &Json) -> Json {
        match v {
            Json::Object(m) if m.contains_key("name") && m.contains_key("types") => {
                let mut o = serde_json::Map::new();
                o.insert("name".into(), m["name"].clone());
                o.insert("value".into(), strip_value(&m["value"]));
                Json::Object(o)
            }
            Json::Object(m) => Json::Object(
                m.iter()
                    .filter(|(k, _)| k.as_str() != "time")
                    .map(|(k, v)| (k.clone(), strip_value(v)))
                    .collect(),
            ),
            Json::Array(a) => Json::Array(a.iter().map(strip_value).collect()),
            other => other.clone(),
        }
    }
    strip_value(&j["value"])
}

/// Equality of renderings: numbers by value, map entries as multisets, objects by keys.
pub fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            if let (Some(p), Some(q)) = (x.as_i64(), y.as_i64()) {
                return p == q;
            }
            if let (Some(p), Some(q)) = (x.as_u64(), y.as_u64()) {
                return p == q;
            }
            x.as_f64() == y.as_f64()
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            if let (Some(Json::Array(ex)), Some(Json::Array(ey))) = (x.get("map"), y.get("map")) {
                if x.len() == 1 && y.len() == 1 {
                    let mut used = vec![false; ey.len()];
                    return ex.len() == ey.len()
                        && ex.iter().all(|e| {
                            ey.iter().enumerate().any(|(i, f)| {
                                !used[i] && same(e, f) && {
                                    used[i] = true;
                                    true
                                }
                            })
                        });
                }
            }
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
