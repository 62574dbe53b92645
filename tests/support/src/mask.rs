//! Masks for what legitimately differs between two runs of the same dispatcher script.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
