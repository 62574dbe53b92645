//! Dispatcher scripts and output comparison shared by the dispatcher interop tests.

/// Replaces UUID-shaped substrings by `UUID` and the strings of `"deadline"` keys by
/// `DEADLINE`, after checking that each is what may differ between two runs: a random
/// version-4 UUID (Go's `uuid.New()`, the fake's search ids) and an RFC 3339 time (Go's
/// `time.Time` JSON). Anything else there fails the test, so a broken id or deadline cannot
/// hide behind the mask.
pub fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        if is_uuid_shaped(rest) {
            let id = &rest[..36];
            assert!(
                is_uuid_v4(id),
                "{id:?} is UUID-shaped but not a random (v4) UUID: {s}"
            );
            out.push_str("UUID");
            rest = &rest[36..];
        } else if let Some(after) = rest.strip_prefix("\"deadline\":\"") {
            let end = after.find('"').unwrap_or(after.len());
            let t = &after[..end];
            assert!(is_rfc3339(t), "deadline {t:?} is not an RFC 3339 time: {s}");
            out.push_str("\"deadline\":\"DEADLINE");
            rest = &after[end..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn is_uuid_shaped(s: &str) -> bool {
    s.len() >= 36
        && s.char_indices().take(36).all(|(j, c)| {
            if [8, 13, 18, 23].contains(&j) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Go's `uuid.New().String()`: lower-case hex, version 4, RFC 4122 variant.
pub fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    is_uuid_shaped(s)
        && b.len() == 36
        && !b.iter().any(u8::is_ascii_uppercase)
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// `2006-01-02T15:04:05[.fraction](Z|±07:00)`, as Go's `time.Time` marshals (RFC 3339 with
/// up to nine fraction digits, trailing zeros dropped).
pub fn is_rfc3339(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
        || b[10] != b'T'
        || !(digits(11..13) && b[13] == b':' && digits(14..16) && b[16] == b':' && digits(17..19))
    {
        return false;
    }
    let mut at = 19;
    if b[at] == b'.' {
        let n = b[at + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if n == 0 || n > 9 || b[at + n] == b'0' {
            return false;
        }
        at += 1 + n;
    }
    let zone = &b[at..];
    zone == b"Z"
        || (zone.len() == 6
            && matches!(zone[0], b'+' | b'-')
            && zone[1..3].iter().all(u8::is_ascii_digit)
            && zone[3] == b':'
            && zone[4..6].iter().all(u8::is_ascii_digit))
}

#[test]
fn masks_check_what_they_hide() {
    assert_eq!(
        mask(
            r#"{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","deadline":"2026-12-07T06:00:00.5+01:00"}"#
        ),
        r#"{"id":"UUID","deadline":"DEADLINE"}"#
    );
    assert!(is_rfc3339("2026-12-07T06:00:00Z"));
    assert!(is_rfc3339("2026-12-07T06:00:00.123456789Z"));
    assert!(
        !is_rfc3339("2026-12-07T06:00:00.120Z"),
        "Go drops trailing zeros"
    );
    assert!(!is_rfc3339("2026-12-07 06:00:00Z"));
    assert!(!is_rfc3339("0001-01-01T00:00:00+0100"));
    assert!(!is_rfc3339(""));
    assert!(
        !is_uuid_v4("0f8fad5b-d9cb-169f-a165-70867728950e"),
        "version 1"
    );
    assert!(
        !is_uuid_v4("0f8fad5b-d9cb-469f-c165-70867728950e"),
        "variant"
    );
    assert!(std::panic::catch_unwind(|| mask("00000000-0000-0000-0000-000000000000")).is_err());
    assert!(std::panic::catch_unwind(|| mask(r#""deadline":"soon""#)).is_err());
}

/// Compares line by line with the script line in the message.
pub fn assert_same(what: &str, script: &str, go: &str, rust: &str) {
    let (go, rust) = (mask(go), mask(rust));
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
