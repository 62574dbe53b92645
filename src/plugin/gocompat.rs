//! Small re-implementations of Go standard-library behaviour whose exact output ends up in
//! go-plugin error texts or on the wire: `strconv.Quote`, `strconv.Atoi`, `fmt`'s `%d` of an int
//! slice, `base64.RawStdEncoding.DecodeString`, the outer framing checks of
//! `x509.ParseCertificate`, and `encoding/json`'s string and float encoders.

use std::fmt::Write as _;

/// Go `strconv.Quote` (what `%q` prints for a string): [`gob::gotext::go_quote`].
pub(crate) fn go_quote(s: &str) -> String {
    gob::gotext::go_quote(s.as_bytes())
}

/// Go `strconv.Atoi` on a 64-bit platform. The error is Go's exact `NumError` text, e.g.
/// `strconv.Atoi: parsing "x": invalid syntax`.
pub(crate) fn go_atoi(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.Atoi: parsing {}: invalid syntax", go_quote(s));
    let range = || format!("strconv.Atoi: parsing {}: value out of range", go_quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    let mut n: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return Err(syntax());
        }
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
        {
            Some(v) => v,
            None => return Err(range()),
        };
    }
    if neg {
        if n > 1u64 << 63 {
            return Err(range());
        }
        // n <= 2^63, so the wrapping negation is exact (2^63 maps to i64::MIN).
        Ok((n as i64).wrapping_neg())
    } else {
        i64::try_from(n).map_err(|_| range())
    }
}

/// Go `fmt.Sprintf("%d", []int{...})`: `[1 2 3]`, `[]` when empty.
pub(crate) fn go_int_slice<T: std::fmt::Display>(v: &[T]) -> String {
    let mut out = String::from("[");
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{x}");
    }
    out.push(']');
    out
}

fn base64_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Go `base64.RawStdEncoding.DecodeString` (standard alphabet, no padding, `\r`/`\n` skipped,
/// non-strict). The error is Go's `CorruptInputError` text with the same byte offset.
pub(crate) fn go_raw_std_base64_decode(src: &[u8]) -> Result<Vec<u8>, String> {
    let corrupt = |at: usize| format!("illegal base64 data at input byte {at}");
    let mut out = Vec::with_capacity(src.len() * 3 / 4);
    let mut si = 0usize;
    while si < src.len() {
        // One quantum of up to four symbols (Go `decodeQuantum` with NoPadding).
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut j = 0usize;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                if j == 1 {
                    return Err(corrupt(si - j));
                }
                dlen = j;
                break;
            }
            let c = src[si];
            si += 1;
            if let Some(v) = base64_value(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            return Err(corrupt(si - 1));
        }
        let val = (u32::from(dbuf[0]) << 18)
            | (u32::from(dbuf[1]) << 12)
            | (u32::from(dbuf[2]) << 6)
            | u32::from(dbuf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
    }
    Ok(out)
}

/// Reads one DER element like `cryptobyte.String.ReadASN1Element`: returns (tag, header length,
/// total length) or `None` when the framing is malformed or truncated.
fn der_element(s: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *s.first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers are not supported by cryptobyte
    }
    let len_byte = *s.get(1)?;
    let (header, length) = if len_byte & 0x80 == 0 {
        (2usize, usize::from(len_byte))
    } else {
        let len_len = usize::from(len_byte & 0x7f);
        if len_len == 0 || len_len > 4 || s.len() < 2 + len_len {
            return None;
        }
        let mut l: u32 = 0;
        for &b in &s[2..2 + len_len] {
            l = (l << 8) | u32::from(b);
        }
        // DER: minimal length encoding only.
        if l < 128 || (l >> ((len_len - 1) * 8)) == 0 {
            return None;
        }
        (2 + len_len, usize::try_from(l).ok()?)
    };
    let total = header.checked_add(length)?;
    (s.len() >= total).then_some((tag, header, total))
}

/// The first checks of Go's `x509.ParseCertificate` (outer SEQUENCE, trailing data, the
/// TBSCertificate SEQUENCE), with Go's error texts. Deeper X.509 validation is left to the TLS
/// stack that will actually use the certificate (AutoMTLS).
pub(crate) fn go_x509_outer_check(der: &[u8]) -> Result<(), String> {
    const SEQUENCE: u8 = 0x30;
    let (tag, header, total) =
        der_element(der).ok_or_else(|| "x509: malformed certificate".to_string())?;
    if tag != SEQUENCE {
        return Err("x509: malformed certificate".into());
    }
    let body = &der[header..total];
    match der_element(body) {
        Some((SEQUENCE, _, _)) => {}
        _ => return Err("x509: malformed tbs certificate".into()),
    }
    if total != der.len() {
        return Err("x509: trailing data".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_like_go() {
        assert_eq!(go_quote("x"), r#""x""#);
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\u{1}\u{a0}é\u{200b}"), r#""\x01\u00a0é\u200b""#);
        assert_eq!(go_quote("\t\n\u{7f}"), r#""\t\n\x7f""#);
    }

    #[test]
    fn atoi_like_go() {
        // Expected texts produced by Go 1.26 strconv.Atoi (unchanged since Go 1.0).
        assert_eq!(go_atoi("1"), Ok(1));
        assert_eq!(go_atoi("+1"), Ok(1));
        assert_eq!(go_atoi("-1"), Ok(-1));
        assert_eq!(go_atoi("007"), Ok(7));
        assert_eq!(go_atoi("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            go_atoi("x").unwrap_err(),
            r#"strconv.Atoi: parsing "x": invalid syntax"#
        );
        assert_eq!(
            go_atoi("").unwrap_err(),
            r#"strconv.Atoi: parsing "": invalid syntax"#
        );
        assert_eq!(
            go_atoi("+").unwrap_err(),
            r#"strconv.Atoi: parsing "+": invalid syntax"#
        );
        assert_eq!(
            go_atoi("1 ").unwrap_err(),
            r#"strconv.Atoi: parsing "1 ": invalid syntax"#
        );
        assert_eq!(
            go_atoi("99999999999999999999").unwrap_err(),
            r#"strconv.Atoi: parsing "99999999999999999999": value out of range"#
        );
        assert_eq!(
            go_atoi("9223372036854775808").unwrap_err(),
            r#"strconv.Atoi: parsing "9223372036854775808": value out of range"#
        );
    }

    #[test]
    fn int_slice() {
        assert_eq!(go_int_slice::<u32>(&[]), "[]");
        assert_eq!(go_int_slice(&[1u32, 2]), "[1 2]");
    }

    #[test]
    fn base64_like_go() {
        assert_eq!(go_raw_std_base64_decode(b"").unwrap(), b"");
        assert_eq!(go_raw_std_base64_decode(b"TWFu").unwrap(), b"Man");
        assert_eq!(go_raw_std_base64_decode(b"TWE").unwrap(), b"Ma");
        assert_eq!(go_raw_std_base64_decode(b"TQ").unwrap(), b"M");
        assert_eq!(go_raw_std_base64_decode(b"TW\nFu").unwrap(), b"Man");
        assert_eq!(
            go_raw_std_base64_decode(b"TQ==").unwrap_err(),
            "illegal base64 data at input byte 2"
        );
        assert_eq!(
            go_raw_std_base64_decode(b"TWFuT").unwrap_err(),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(
            go_raw_std_base64_decode(b"TW!u").unwrap_err(),
            "illegal base64 data at input byte 2"
        );
    }

    #[test]
    fn x509_outer() {
        assert_eq!(
            go_x509_outer_check(b"").unwrap_err(),
            "x509: malformed certificate"
        );
        assert_eq!(
            go_x509_outer_check(&[0x30, 0x02, 0x02, 0x00]).unwrap_err(),
            "x509: malformed tbs certificate"
        );
        assert_eq!(
            go_x509_outer_check(&[0x30, 0x02, 0x30, 0x00, 0xff]).unwrap_err(),
            "x509: trailing data"
        );
        assert!(go_x509_outer_check(&[0x30, 0x02, 0x30, 0x00]).is_ok());
        // non-minimal long-form length
        assert!(go_x509_outer_check(&[0x30, 0x81, 0x02, 0x30, 0x00]).is_err());
    }
}
