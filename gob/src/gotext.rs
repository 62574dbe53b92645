//! Go's text formats, byte for byte, in one place for every layer: `encoding/json`'s float,
//! string and `[]byte` (base64) encoders and the proleptic Gregorian calendar behind
//! `time.Time`'s text forms.
//! (RFC 3339 of a [`GoTime`](crate::GoTime): [`GoTime::to_rfc3339`](crate::GoTime::to_rfc3339);
//! a `SystemTime` becomes a `GoTime` by `From`.)

/// Go `encoding/json`'s text of a float (`floatEncoder.encode`): a `float64` for `bits == 64`,
/// a `float32` (its shortest digits) for `bits == 32`. `None` for NaN and ±Inf, which
/// `json.Marshal` refuses (`json: unsupported value: NaN`).
///
/// Plain digits for magnitudes in [1e-6, 1e21) (and zero), otherwise an exponent spelled as
/// Go spells it: `1e+21`, `1.5e-10` (encoding/json trims Go's `e-07` to `e-7`).
pub fn json_float(f: f64, bits: u32) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    let exp = if bits == 32 {
        let a = abs as f32;
        a != 0.0 && !(1e-6..1e21).contains(&a)
    } else {
        abs != 0.0 && !(1e-6..1e21).contains(&abs)
    };
    // Rust's `{}`/`{:e}` print the shortest digits that round-trip, as Go's
    // `strconv.AppendFloat(.., -1, bits)` does; only the exponent spelling differs.
    let s = match (bits == 32, exp) {
        (true, false) => format!("{}", f as f32),
        (false, false) => format!("{f}"),
        (true, true) => format!("{:e}", f as f32),
        (false, true) => format!("{f:e}"),
    };
    if !exp {
        return Some(s);
    }
    Some(match s.split_once('e') {
        Some((mant, e)) if !e.starts_with('-') => format!("{mant}e+{e:0>2}"),
        _ => s,
    })
}

/// Appends Go `encoding/json`'s quoted text of a Go string (any bytes) to `out` (Go ≥ 1.22,
/// `encodeState.string`): `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other control bytes as
/// `\u00XX`, U+2028 and U+2029 escaped, and each byte of invalid UTF-8 as `\ufffd`; with
/// `escape_html` (what `json.Marshal` does, unlike a `json.Encoder` with
/// `SetEscapeHTML(false)`) also `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`.
pub fn json_string(out: &mut Vec<u8>, s: &[u8], escape_html: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut i = 0;
    let mut start = 0;
    while i < s.len() {
        let c = s[i];
        if c < 0x80 {
            let esc: Option<&[u8]> = match c {
                b'"' => Some(b"\\\""),
                b'\\' => Some(b"\\\\"),
                b'\n' => Some(b"\\n"),
                b'\r' => Some(b"\\r"),
                b'\t' => Some(b"\\t"),
                0x08 => Some(b"\\b"),
                0x0c => Some(b"\\f"),
                b'<' if escape_html => Some(b"\\u003c"),
                b'>' if escape_html => Some(b"\\u003e"),
                b'&' if escape_html => Some(b"\\u0026"),
                _ => None,
            };
            if let Some(e) = esc {
                out.extend_from_slice(&s[start..i]);
                out.extend_from_slice(e);
                start = i + 1;
            } else if c < 0x20 {
                out.extend_from_slice(&s[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 15)]);
                start = i + 1;
            }
            i += 1;
            continue;
        }
        match decode_rune(&s[i..]) {
            None => {
                out.extend_from_slice(&s[start..i]);
                out.extend_from_slice(b"\\ufffd");
                i += 1;
                start = i;
            }
            Some((ch, n)) => {
                if ch == '\u{2028}' || ch == '\u{2029}' {
                    out.extend_from_slice(&s[start..i]);
                    out.extend_from_slice(if ch == '\u{2028}' {
                        b"\\u2028"
                    } else {
                        b"\\u2029"
                    });
                    start = i + n;
                }
                i += n;
            }
        }
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

/// Standard base64 with padding, as Go's `encoding/json` writes `[]byte` values.
pub fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// One UTF-8 sequence at the start of `b`: the char and its length, or `None` when the
/// first byte does not start a valid sequence (Go's `utf8.DecodeRune` answering
/// `RuneError` with width 1).
pub fn decode_rune(b: &[u8]) -> Option<(char, usize)> {
    let n = match b.first()? {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(b.get(..n)?).ok()?;
    s.chars().next().map(|c| (c, n))
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar, as Go's
/// `time` package counts (H. Hinnant's `civil_from_days`); any `i64` day count that keeps
/// the year in range, negative ones included.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // doy < 366 and mp < 12, so both fit.
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_go_json_marshal() {
        // Go 1.26: json.Marshal(float64(x)) / json.Marshal(float32(x)).
        for (f, want) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (f64::MAX, "1.7976931348623157e+308"),
        ] {
            assert_eq!(json_float(f, 64).as_deref(), Some(want), "{f}");
        }
        assert_eq!(json_float(f64::from(0.1f32), 32).as_deref(), Some("0.1"));
        assert_eq!(json_float(f64::from(1e-7f32), 32).as_deref(), Some("1e-7"));
        assert_eq!(json_float(f64::NAN, 64), None);
        assert_eq!(json_float(f64::NEG_INFINITY, 32), None);
    }

    #[test]
    fn strings_like_go_json_without_html_escaping() {
        let mut out = Vec::new();
        json_string(
            &mut out,
            b"<&>\"\\\n\x08\x0c\x01\x7f\xe2\x80\xa8\xff\xc3\xa9",
            false,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"<&>\\\"\\\\\\n\\b\\f\\u0001\x7f\\u2028\\ufffd\u{e9}\""
        );
        // json.Marshal("<a&b>"): "\u003ca\u0026b\u003e"
        let mut out = Vec::new();
        json_string(&mut out, b"<a&b>", true);
        assert_eq!(out, b"\"\\u003ca\\u0026b\\u003e\"");
    }

    #[test]
    fn base64_like_go_json_marshal_of_bytes() {
        // Go: json.Marshal([]byte(x)) is the quoted base64.StdEncoding text.
        for (b, want) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"\xff\xfe\xfd\x00", "//79AA=="),
        ] {
            assert_eq!(base64(b), want);
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        // Go's zero time, 0001-01-01: -62135596800 s.
        assert_eq!(civil_from_days(-62_135_596_800 / 86_400), (1, 1, 1));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
    }
}
