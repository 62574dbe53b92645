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
    gojson::parse(&body[start..end]).map_err(|e| {
        if e == "unexpected end of JSON input" {
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
                            Node::String(s) => Some(parse_rfc3339(s)?),
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

fn quote(s: &str) -> String {
    format!("{s:?}")
}

fn cannot_parse(value: &str, elem: &str, layout_elem: &str) -> String {
    format!(
        "parsing time {} as {}: cannot parse {} as {}",
        quote(value),
        quote(RFC3339),
        quote(elem),
        quote(layout_elem)
    )
}

fn out_of_range(value: &str, what: &str) -> String {
    format!("parsing time {}: {what} out of range", quote(value))
}

/// Go's `time.Parse(time.RFC3339, s)` (what `Time.UnmarshalJSON` falls back to), with its
/// error texts: `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`.
pub(super) fn parse_rfc3339(s: &str) -> Result<GoTime, String> {
    let b = s.as_bytes();
    let mut at = 0usize;
    let digits = |at: usize, n: usize| -> Option<i64> {
        let part = b.get(at..at + n)?;
        if part.iter().all(u8::is_ascii_digit) {
            Some(part.iter().fold(0i64, |a, d| a * 10 + i64::from(d - b'0')))
        } else {
            None
        }
    };
    let rest = |at: usize| s.get(at..).unwrap_or("");
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
        let t = parse_rfc3339("2026-12-07T01:46:55.818854786+01:00").unwrap();
        assert_eq!((t.nanos, t.offset), (818_854_786, Some(3600)));
        assert_eq!(t.to_rfc3339(), "2026-12-07T01:46:55.818854786+01:00");
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00Z").unwrap(),
            GoTime::from_unix(0, 0)
        );
        // Go's Parse takes a one-digit hour and a comma before the fraction.
        assert_eq!(
            parse_rfc3339("1970-01-01T1:00:00,5Z").unwrap(),
            GoTime::from_unix(3600, 500_000_000)
        );
        let layout = "\"2006-01-02T15:04:05Z07:00\"";
        assert_eq!(
            parse_rfc3339("x").unwrap_err(),
            format!("parsing time \"x\" as {layout}: cannot parse \"x\" as \"2006\"")
        );
        assert_eq!(
            parse_rfc3339("2026-12-07 01:00:00Z").unwrap_err(),
            format!("parsing time \"2026-12-07 01:00:00Z\" as {layout}: cannot parse \" 01:00:00Z\" as \"T\"")
        );
        assert_eq!(
            parse_rfc3339("2026-13-01T00:00:00Z").unwrap_err(),
            "parsing time \"2026-13-01T00:00:00Z\": month out of range"
        );
        assert_eq!(
            parse_rfc3339("2026-02-30T00:00:00Z").unwrap_err(),
            "parsing time \"2026-02-30T00:00:00Z\": day out of range"
        );
        assert_eq!(
            parse_rfc3339("2026-02-03T00:00:00+0100").unwrap_err(),
            format!("parsing time \"2026-02-03T00:00:00+0100\" as {layout}: cannot parse \"+0100\" as \"Z07:00\"")
        );
        assert_eq!(
            parse_rfc3339("2026-02-03T00:00:00.Z").unwrap_err(),
            format!("parsing time \"2026-02-03T00:00:00.Z\" as {layout}: cannot parse \".Z\" as \"Z07:00\"")
        );
        assert_eq!(
            parse_rfc3339("2026-02-03T24:00:00Z").unwrap_err(),
            "parsing time \"2026-02-03T24:00:00Z\": hour out of range"
        );
        assert_eq!(
            parse_rfc3339("2026-02-03T00:00:00Zjunk").unwrap_err(),
            "parsing time \"2026-02-03T00:00:00Zjunk\": extra text: \"junk\""
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
        assert_eq!(first_value(b"\"s\" x").unwrap(), Node::String("s".into()));
        assert_eq!(first_value(b"truex").unwrap(), Node::Bool(true));
        assert_eq!(first_value(b"12 3").unwrap(), Node::Number("12".into()));
        assert_eq!(
            first_value(b"{\"a\":1]").unwrap_err(),
            "invalid character ']' after object key:value pair"
        );
        // Brackets inside strings do not end the value.
        assert_eq!(
            first_value(b"[\"]\\\"\"]").unwrap(),
            Node::Array(vec![Node::String("]\"".into())])
        );
    }
}
