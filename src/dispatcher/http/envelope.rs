//! The request envelope `{"Context":{"Deadline":..},"Payload":..}` as go-plugin's server
//! decodes it (`json.NewDecoder(req.Body).Decode(&requestWithContext{Payload: params})`),
//! with Go's error texts, and Go's strict RFC 3339 parsing of the deadline.

use gob::GoTime;

use super::super::gojson::{self, DecodeJson, Decoder, Node};

/// The first JSON value of `body`, as `json.Decoder.Decode` reads it: what follows the value
/// is ignored; an empty body is `EOF`, a value cut short `unexpected EOF`; syntax errors have
/// Go's texts.
/// Deepest nesting of objects and arrays accepted in a body. Go accepts 10,000 levels (its
/// stacks grow); decoding, comparing and dropping such values here recurses, and 10,000
/// levels overflowed an 8 MiB thread stack (the fake dispatcher aborted). 512 levels leave
/// record data some 500 levels, beyond the net/rpc side's gob limit of 256.
pub(super) const MAX_DEPTH: usize = 512;

pub(crate) fn first_value(body: &[u8]) -> Result<Node, String> {
    let start = body
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .ok_or("EOF")?;
    let end = value_end(&body[start..])?.map_or(body.len(), |n| start + n);
    let value = &body[start..end];
    gojson::parse(value).map_err(|e| {
        // `json.Decoder` answers `unexpected EOF` for any value the input ends inside, where
        // `json.Unmarshal` (whose checks `parse` follows) may name the space its scanner is
        // fed at the end (`{"a":fa` is `invalid character ' ' in literal false`): an error
        // that changes when a byte is appended was caused by the end.
        let at_end = e == "unexpected end of JSON input"
            || gojson::parse(&[value, b"\0"].concat()).err().as_ref() != Some(&e);
        if at_end {
            "unexpected EOF".to_string()
        } else {
            e
        }
    })
}

/// Where the first value of `b` (starting at a non-space byte) ends, as Go's scanner sees it
/// for well-formed input: after the bracket closing the first `{`/`[`, after a string's
/// closing quote, after a literal's last letter or a number's last digit. Malformed input
/// may end elsewhere; the parser then reports Go's syntax error inside that prefix. Nesting
/// beyond [`MAX_DEPTH`] is refused with the text of Go's own depth error.
fn value_end(b: &[u8]) -> Result<Option<usize>, String> {
    let Some(first) = b.first() else {
        return Ok(None);
    };
    Ok(match first {
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut in_string = false;
            let mut escaped = false;
            for (i, &c) in b.iter().enumerate() {
                if in_string {
                    match c {
                        _ if escaped => escaped = false,
                        b'\\' => escaped = true,
                        b'"' => in_string = false,
                        _ => {}
                    }
                    continue;
                }
                match c {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Err(format!(
                                "invalid character '{}' exceeded max depth",
                                char::from(c)
                            ));
                        }
                    }
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Ok(Some(i + 1));
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        b'"' => {
            let mut escaped = false;
            for (i, &c) in b.iter().enumerate().skip(1) {
                match c {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => return Ok(Some(i + 1)),
                    _ => {}
                }
            }
            None
        }
        b't' | b'n' => Some(4.min(b.len())),
        b'f' => Some(5.min(b.len())),
        // Go's scanner decides where a number ends, and names the byte that breaks one.
        b'-' | b'0'..=b'9' => Some(gojson::stream_number_end(b)?),
        _ => Some(
            b.iter()
                .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .unwrap_or(b.len())
                .max(1),
        ),
    })
}

/// A decoded request: the deadline and the payload (`None`: the body's `"Payload"` was
/// `null`, which leaves Go's interface nil).
pub(super) struct Request<T> {
    pub deadline: Option<GoTime>,
    pub payload: Option<T>,
}

/// Decodes an envelope whose payload is a `T` (Go: `requestWithContext{Payload: &T{}}`).
pub(super) fn decode_request<T: DecodeJson>(node: &Node) -> Result<Request<T>, String> {
    let mut out = Request {
        deadline: None,
        payload: Some(T::default()),
    };
    let mut d = Decoder::new();
    d.decode_struct(
        node,
        "plugin.requestWithContext",
        "requestWithContext",
        &["Context", "Payload"],
        |d, i, n| {
            if i == 0 {
                d.decode_struct(
                    n,
                    "plugin.requestContext",
                    "requestContext",
                    &["Deadline"],
                    |_, _, n| {
                        out.deadline = match n {
                            Node::Null => None,
                            // Go parses the bytes between the quotes, escapes and all.
                            Node::String(s, raw) => {
                                Some(parse_rfc3339(raw.as_deref().unwrap_or(s.as_bytes()))?)
                            }
                            _ => {
                                return Err("Time.UnmarshalJSON: input is not a JSON string".into())
                            }
                        };
                        Ok(())
                    },
                )
            } else if let Node::Null = n {
                // Go's decoder sets an interface holding a pointer to nil on null.
                out.payload = None;
                Ok(())
            } else {
                // A second "Payload" member decodes into a fresh value again, as Go's
                // interface then holds whatever the first one left (the same pointer).
                let p = out.payload.get_or_insert_with(T::default);
                p.decode_json(d, n)
            }
        },
    )?;
    Ok(out)
}

const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

/// Go's `time.quote` (the quoting of `time.ParseError`), on the bytes Go parsed: `"` and
/// `\\` escaped with a backslash, every byte of a control or non-ASCII character (or of
/// invalid UTF-8) as `\xNN`, the rest as is (found by the random wire test).
fn quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        if b < b' ' || !b.is_ascii() {
            out.push_str(&format!("\\x{b:02x}"));
        } else {
            if b == b'"' || b == b'\\' {
                out.push('\\');
            }
            out.push(char::from(b));
        }
    }
    out.push('"');
    out
}

fn cannot_parse(value: &[u8], elem: &[u8], layout_elem: &str) -> String {
    format!(
        "parsing time {} as {}: cannot parse {} as {}",
        quote(value),
        quote(RFC3339.as_bytes()),
        quote(elem),
        quote(layout_elem.as_bytes())
    )
}

fn out_of_range(value: &[u8], what: &str) -> String {
    format!("parsing time {}: {what} out of range", quote(value))
}

/// Go's `time.Parse(time.RFC3339, s)` (what `Time.UnmarshalJSON` falls back to), with its
/// error texts: `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`.
pub(super) fn parse_rfc3339(s: &[u8]) -> Result<GoTime, String> {
    let b = s;
    let mut at = 0usize;
    let digits = |at: usize, n: usize| -> Option<i64> {
        let part = b.get(at..at + n)?;
        if part.iter().all(u8::is_ascii_digit) {
            Some(part.iter().fold(0i64, |a, d| a * 10 + i64::from(d - b'0')))
        } else {
            None
        }
    };
    let rest = |at: usize| b.get(at..).unwrap_or(&[]);
    let literal = |at: usize, lit: u8| -> Result<usize, String> {
        if b.get(at) == Some(&lit) {
            Ok(at + 1)
        } else {
            Err(cannot_parse(s, rest(at), &char::from(lit).to_string()))
        }
    };
    let year = digits(at, 4).ok_or_else(|| cannot_parse(s, rest(at), "2006"))?;
    at = literal(at + 4, b'-')?;
    let month = digits(at, 2).ok_or_else(|| cannot_parse(s, rest(at), "01"))?;
    if !(1..=12).contains(&month) {
        return Err(out_of_range(s, "month"));
    }
    at = literal(at + 2, b'-')?;
    let day = digits(at, 2).ok_or_else(|| cannot_parse(s, rest(at), "02"))?;
    at = literal(at + 2, b'T')?;
    // Go reads the hour with a non-fixed width (one or two digits).
    let (hour, n) = match (digits(at, 2), digits(at, 1)) {
        (Some(h), _) => (h, 2),
        (None, Some(h)) => (h, 1),
        _ => return Err(cannot_parse(s, rest(at), "15")),
    };
    if hour >= 24 {
        return Err(out_of_range(s, "hour"));
    }
    at = literal(at + n, b':')?;
    let minute = digits(at, 2).ok_or_else(|| cannot_parse(s, rest(at), "04"))?;
    if minute >= 60 {
        return Err(out_of_range(s, "minute"));
    }
    at = literal(at + 2, b':')?;
    let second = digits(at, 2).ok_or_else(|| cannot_parse(s, rest(at), "05"))?;
    if second >= 60 {
        return Err(out_of_range(s, "second"));
    }
    at += 2;
    let mut nanos = 0u32;
    if matches!(b.get(at), Some(b'.' | b',')) && b.get(at + 1).is_some_and(u8::is_ascii_digit) {
        let mut end = at + 1;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let frac = &b[at + 1..end];
        for i in 0..9 {
            nanos = nanos * 10 + frac.get(i).map_or(0, |d| u32::from(d - b'0'));
        }
        at = end;
    }
    let offset = match b.get(at) {
        Some(b'Z') => {
            at += 1;
            None
        }
        _ => {
            let tz = rest(at);
            let sign = match b.get(at) {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(cannot_parse(s, tz, "Z07:00")),
            };
            let (Some(hh), Some(b':'), Some(mm)) =
                (digits(at + 1, 2), b.get(at + 3), digits(at + 4, 2))
            else {
                return Err(cannot_parse(s, tz, "Z07:00"));
            };
            at += 6;
            Some(i32::try_from(sign * (hh * 3600 + mm * 60)).unwrap_or(0))
        }
    };
    if at < b.len() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            quote(s),
            quote(rest(at))
        ));
    }
    if day < 1 || day > days_in(month, year) {
        return Err(out_of_range(s, "day"));
    }
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + hour * 3600 + minute * 60 + second;
    let unix = local - i64::from(offset.unwrap_or(0));
    Ok(GoTime {
        unix_secs: unix,
        nanos,
        offset,
    })
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text here was checked against Go 1.26's `json.Unmarshal` into a `time.Time`.
    #[test]
    fn rfc3339_like_go() {
        let t = parse_rfc3339(b"2026-12-07T01:46:55.818854786+01:00").unwrap();
        assert_eq!((t.nanos, t.offset), (818_854_786, Some(3600)));
        assert_eq!(t.to_rfc3339(), "2026-12-07T01:46:55.818854786+01:00");
        assert_eq!(
            parse_rfc3339(b"1970-01-01T00:00:00Z").unwrap(),
            GoTime::from_unix(0, 0)
        );
        // Go's Parse takes a one-digit hour and a comma before the fraction.
        assert_eq!(
            parse_rfc3339(b"1970-01-01T1:00:00,5Z").unwrap(),
            GoTime::from_unix(3600, 500_000_000)
        );
        let layout = "\"2006-01-02T15:04:05Z07:00\"";
        assert_eq!(
            parse_rfc3339(b"x").unwrap_err(),
            format!("parsing time \"x\" as {layout}: cannot parse \"x\" as \"2006\"")
        );
        assert_eq!(
            parse_rfc3339(b"2026-12-07 01:00:00Z").unwrap_err(),
            format!("parsing time \"2026-12-07 01:00:00Z\" as {layout}: cannot parse \" 01:00:00Z\" as \"T\"")
        );
        assert_eq!(
            parse_rfc3339(b"2026-13-01T00:00:00Z").unwrap_err(),
            "parsing time \"2026-13-01T00:00:00Z\": month out of range"
        );
        assert_eq!(
            parse_rfc3339(b"2026-02-30T00:00:00Z").unwrap_err(),
            "parsing time \"2026-02-30T00:00:00Z\": day out of range"
        );
        assert_eq!(
            parse_rfc3339(b"2026-02-03T00:00:00+0100").unwrap_err(),
            format!("parsing time \"2026-02-03T00:00:00+0100\" as {layout}: cannot parse \"+0100\" as \"Z07:00\"")
        );
        assert_eq!(
            parse_rfc3339(b"2026-02-03T00:00:00.Z").unwrap_err(),
            format!("parsing time \"2026-02-03T00:00:00.Z\" as {layout}: cannot parse \".Z\" as \"Z07:00\"")
        );
        assert_eq!(
            parse_rfc3339(b"2026-02-03T24:00:00Z").unwrap_err(),
            "parsing time \"2026-02-03T24:00:00Z\": hour out of range"
        );
        assert_eq!(
            parse_rfc3339(b"2026-02-03T00:00:00Zjunk").unwrap_err(),
            "parsing time \"2026-02-03T00:00:00Zjunk\": extra text: \"junk\""
        );
        // Go quotes the bytes it parsed (escapes are not decoded first), each byte of a
        // control or non-ASCII character as \xNN: texts of Go 1.26's json.Unmarshal.
        assert_eq!(
            parse_rfc3339(b"2099-01-01T00:,\\u202800:00Z").unwrap_err(),
            format!("parsing time \"2099-01-01T00:,\\\\u202800:00Z\" as {layout}: cannot parse \",\\\\u202800:00Z\" as \"04\"")
        );
        assert_eq!(
            parse_rfc3339(b"2099-01-01T00:00:00Z\\\"\\\\\\u007f\\u0001\xc3\xa9").unwrap_err(),
            "parsing time \"2099-01-01T00:00:00Z\\\\\\\"\\\\\\\\\\\\u007f\\\\u0001\\xc3\\xa9\": extra text: \"\\\\\\\"\\\\\\\\\\\\u007f\\\\u0001\\xc3\\xa9\""
        );
        assert_eq!(
            parse_rfc3339(b"\xff\x01\x7f").unwrap_err(),
            format!("parsing time \"\\xff\\x01\x7f\" as {layout}: cannot parse \"\\xff\\x01\x7f\" as \"2006\"")
        );
    }

    #[test]
    fn first_value_like_go_decoder() {
        assert_eq!(first_value(b"").unwrap_err(), "EOF");
        assert_eq!(first_value(b" \n").unwrap_err(), "EOF");
        assert_eq!(first_value(b"{\"a\":").unwrap_err(), "unexpected EOF");
        assert_eq!(
            first_value(b"{\"a\":1} junk").unwrap(),
            Node::Object(vec![("a".into(), Node::Number("1".into()))])
        );
        assert_eq!(
            first_value(b"\"s\" x").unwrap(),
            Node::String("s".into(), None)
        );
        assert_eq!(first_value(b"truex").unwrap(), Node::Bool(true));
        assert_eq!(first_value(b"12 3").unwrap(), Node::Number("12".into()));
        // Numbers end where Go's scanner ends them (found by the random wire test: `1."`).
        assert_eq!(first_value(b"1.5.3").unwrap(), Node::Number("1.5".into()));
        assert_eq!(first_value(b"12-").unwrap(), Node::Number("12".into()));
        assert_eq!(first_value(b"0123").unwrap(), Node::Number("0".into()));
        assert_eq!(first_value(b"-0e5x").unwrap(), Node::Number("-0e5".into()));
        assert_eq!(
            first_value(b"1.\"x\"").unwrap_err(),
            "invalid character '\"' after decimal point in numeric literal"
        );
        assert_eq!(
            first_value(b"-x").unwrap_err(),
            "invalid character 'x' in numeric literal"
        );
        // A real error before the end keeps its text, a space included.
        assert_eq!(
            first_value(b"{\"a\":f ").unwrap_err(),
            "invalid character ' ' in literal false (expecting 'a')"
        );
        assert_eq!(
            first_value(b"1e+}").unwrap_err(),
            "invalid character '}' in exponent of numeric literal"
        );
        for cut in [
            "1.",
            "-",
            "1e",
            "1e+",
            "-0.5E",
            "{\"a\":fa",
            "{\"a\":1.",
            "[tr",
            "{\"a\"",
            "{",
        ] {
            assert_eq!(
                first_value(cut.as_bytes()).unwrap_err(),
                "unexpected EOF",
                "{cut}"
            );
        }
        assert_eq!(
            first_value(b"{\"a\":1]").unwrap_err(),
            "invalid character ']' after object key:value pair"
        );
        // Brackets inside strings do not end the value.
        assert_eq!(
            first_value(b"[\"]\\\"\"]").unwrap(),
            Node::Array(vec![Node::String(
                "]\"".into(),
                Some(b"]\\\"".as_slice().into())
            )])
        );
    }
}
