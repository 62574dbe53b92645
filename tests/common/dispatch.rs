//! Dispatcher scripts and output comparison shared by the dispatcher interop tests.

use serde_json::Value;
use tilores_plugin_test_support::mask;

/// The Go host's answer to the call in flight when its plugin died (both fakes exit as Go's
/// panicking fake does): the text races in the Go host between net/rpc's read (`unexpected
/// EOF`) and yamux noticing the session end (`session shutdown`), whichever fake it is.
const PLUGIN_GONE: &str = r#"{"error":"<the plugin exited>"}"#;

/// `transcript` with the first racing line (see [`PLUGIN_GONE`]) made one.
fn plugin_gone(transcript: &str) -> String {
    let racing = [
        r#"{"error":"unexpected EOF"}"#,
        r#"{"error":"session shutdown"}"#,
    ];
    let mut seen = false;
    let mut out: Vec<&str> = Vec::new();
    for line in transcript.split('\n') {
        if !seen && racing.contains(&line) {
            seen = true;
            out.push(PLUGIN_GONE);
        } else {
            out.push(line);
        }
    }
    out.join("\n")
}

/// Compares line by line with the script line in the message.
pub fn assert_same(what: &str, script: &str, go: &str, rust: &str) {
    let (go, rust) = (plugin_gone(&mask(go)), plugin_gone(&mask(rust)));
    let scripts: Vec<&str> = script.lines().filter(|l| !l.trim().is_empty()).collect();
    let (gl, rl): (Vec<&str>, Vec<&str>) = (go.lines().collect(), rust.lines().collect());
    for (i, (g, r)) in gl.iter().zip(&rl).enumerate() {
        let s: String = scripts.get(i).unwrap_or(&"?").chars().take(200).collect();
        assert_eq!(g, r, "{what}: line {} differs; script line: {s}", i + 1);
    }
    assert_eq!(gl.len(), rl.len(), "{what}: line counts differ");
    // One answer per script line: two empty (or equally truncated) outputs are no match.
    assert_eq!(
        gl.len(),
        scripts.len(),
        "{what}: {} answers to {} script lines",
        gl.len(),
        scripts.len()
    );
    assert_eq!(go, rust, "{what}: outputs differ (newlines?)");
}

/// All five methods with rich data and Go's error paths, for the fake dispatcher. Ends with
/// the search that crashes the Go fake (nil parameters with records stored); lines after
/// it show the client's connection errors.
pub fn fake_script() -> String {
    let lines = [
        r#"{"call":"entity","input":{"id":"empty"}}"#,
        r#"{"call":"search","input":{"parameters":{"isOdd":true}}}"#,
        r#"{"call":"submit","input":{"records":[{"id":"1","data":{"isOdd":true,"n":1,"name":"ünïcödé ✓ 😀 \u2028 \u0001 <&>","nested":{"list":[1,"two",null,{"deep":[[]]},[],{}],"nil":null,"big":123456789012345678901234567890,"small":1e-7,"neg":-0,"exp":1e21}},"empty":{}}]}}"#,
        r#"{"call":"submit","input":{"records":[{"id":"2","data":{"isOdd":false,"n":2}},{"id":"3","data":null},{"id":"4"},{"id":"5","data":{"isOdd":true,"n":"5"}}]}}"#,
        r#"{"call":"entity","input":{"id":"e1"},"deadline_ms":5000}"#,
        r#"{"call":"search","input":{"parameters":{"isOdd":true}}}"#,
        r#"{"call":"search","input":{"parameters":{"n":1}}}"#,
        r#"{"call":"search","input":{"parameters":{"n":"5","isOdd":false}}}"#,
        r#"{"call":"search","input":{"parameters":{"missing":null}}}"#,
        r#"{"call":"search","input":{"parameters":{"n":7}}}"#,
        r#"{"call":"search","input":{"parameters":{}}}"#,
        r#"{"call":"disassemble","input":{"reference":"ref","edges":[{"a":"1","b":"2"}],"recordIDs":["1"],"createConnectionBan":true,"meta":{"user":"u","reason":"why"},"timeout":1000000000}}"#,
        r#"{"call":"removeConnectionBan","input":{"reference":"ref","entityID":"e1","others":["e2"],"meta":{"user":"u","reason":"why"}}}"#,
        // Malformed lines and inputs: Go's encoding/json texts.
        "this is not json",
        r#"{"call":"entity","input":{"id":5}}"#,
        r#"{"call":5}"#,
        "[1,2]",
        "\"\\u00e9\"",
        "null",
        "-1.5e+3",
        "tru",
        r#"{"a":-}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":1e}"#,
        r#"{"call":"entity"} trailing"#,
        r#"{"call":"entity""#,
        r#"{"call":"entity",}"#,
        r#"{"call":"entity" "x"}"#,
        r#"{"call":"entity","input":{"id":"\x"}}"#,
        r#"{"call":"entity","input":{"id":"\u12"}}"#,
        "{\"call\":\"entity\",\"input\":{\"id\":\"tab\there\"}}",
        "{\"call\":\"entity\",\"input\":{\"id\":\"\u{e9}\"}, \u{e9}}",
        r#"{"call":"submit","input":{"records":[{"id":"r","data":[1]}]}}"#,
        r#"{"call":"submit","input":{"records":"x"}}"#,
        r#"{"call":"submit","input":{"records":[5]}}"#,
        r#"{"call":"submit","input":{"records":[{"id":"big","data":{"n":1e400}}]}}"#,
        r#"{"call":"search","input":{"parameters":[1]}}"#,
        r#"{"call":"disassemble","input":{"timeout":"5s"}}"#,
        r#"{"call":"disassemble","input":{"timeout":1.5}}"#,
        r#"{"call":"disassemble","input":{"edges":[{"a":1}]}}"#,
        r#"{"call":"disassemble","input":{"edges":[3]}}"#,
        r#"{"call":"disassemble","input":{"meta":{"user":true}}}"#,
        r#"{"call":"disassemble","input":{"createConnectionBan":"yes"}}"#,
        r#"{"call":"removeConnectionBan","input":{"others":[1]}}"#,
        r#"{"call":"removeConnectionBan","input":{"meta":[]}}"#,
        r#"{"call":"entity","input":{"id":"x"},"deadline_ms":"soon"}"#,
        r#"{"call":"entity","input":{"id":"x"},"deadline_ms":99999999999999999999}"#,
        r#"{"call":"frobnicate","input":{}}"#,
        r#"{"CALL":"entity","Input":{"ID":"case-insensitive keys"}}"#,
        // Keys match fields by Go's simple case folding: ſ (U+017F) is an s, the Kelvin
        // sign a k, and ı/İ match nothing (found by tests/dispatcher_random.rs).
        r#"{"call":"search","input":{"parameterſ":{"n":1e400}}}"#,
        r#"{"call":"submit","input":{"recordſ":"x"}}"#,
        r#"{"call":"entity","input":{"ıd":"dotless i","İD":"dotted I"}}"#,
        r#"{"call":"entity","ınput":{"id":"no input"},"deadline_mſ":60000}"#,
        r#"{"call":"entity","input":{"id":"a","id":"later wins"},"input":{"id":"last input wins"}}"#,
        r#"{"call":"entity","input":{"id":"\ud83d\ude00 \ud800 \udc00"}}"#,
        r#"{"call":"entity","input":null}"#,
        "   ",
        r#"{"call":"entity","input":{"id":"after blank"}}"#,
        // The Go fake panics here (nil *SearchParameters with records stored).
        r#"{"call":"search"}"#,
        r#"{"call":"entity","input":{"id":"after crash"}}"#,
    ];
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// A script with a 1 MiB string and a submit of 10,000 records.
pub fn big_script() -> String {
    let big: String = "ü€x".repeat((1 << 20) / 6);
    let records: Vec<String> = (0..10_000)
        .map(|i| {
            format!(
                r#"{{"id":"r{i}","data":{{"i":{i},"odd":{},"s":"v{i}"}}}}"#,
                i % 2 == 1
            )
        })
        .collect();
    format!(
        "{}\n{}\n{}\n{}\n",
        format_args!(
            r#"{{"call":"submit","input":{{"records":[{{"id":"big","data":{{"s":"{big}"}}}}]}}}}"#
        ),
        r#"{"call":"entity","input":{"id":"with big"}}"#,
        format_args!(
            r#"{{"call":"submit","input":{{"records":[{}]}}}}"#,
            records.join(",")
        ),
        r#"{"call":"entity","input":{"id":"last ten"}}"#,
    )
}

/// One JSON spelling for the answers of hosts of different versions: object keys with a
/// lower-case first letter (`ID`: `id`) (v0.2.0–v0.5.0's `api.Entity`/`Record` have no json tags), `null`
/// `edges`/`duplicates`/`hits` dropped (fields those versions lack), and the bare entity /
/// entity list of v0.2.0–v0.3.0 outputs wrapped as v0.6.0 does. Lines a host answers with
/// `unknown call` (its version has no such method) are left out of both.
pub fn normalize(out: &str, legacy: bool) -> Vec<String> {
    fn walk(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .filter(|(k, v)| {
                        !(v.is_null() && ["edges", "duplicates", "hits"].contains(&&*lower(k)))
                    })
                    .map(|(k, v)| (lower(&k), walk(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(walk).collect()),
            other => other,
        }
    }
    fn lower(k: &str) -> String {
        if k == "ID" {
            return "id".into();
        }
        let mut c = k.chars();
        match c.next() {
            Some(f) => f.to_lowercase().chain(c).collect(),
            None => String::new(),
        }
    }
    out.lines()
        .map(|line| {
            let mut v: Value = serde_json::from_str(line).expect("answer is JSON");
            if legacy {
                if let Some(output) = v.get_mut("output") {
                    let wrapped = match output.take() {
                        Value::Object(m) if m.contains_key("RecordsAdded") => Value::Object(m),
                        Value::Object(m) => serde_json::json!({ "entity": m }),
                        list => serde_json::json!({ "entities": list }),
                    };
                    *output = wrapped;
                }
            }
            mask(&walk(v).to_string())
        })
        .collect()
}
