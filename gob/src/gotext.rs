//! Go's text formats, byte for byte, in one place for every layer: `encoding/json`'s float,
//! string and `[]byte` (base64) encoders and the proleptic Gregorian calendar behind
//! `time.Time`'s text forms.
//! (RFC 3339 of a [`GoTime`](crate::GoTime): [`GoTime::to_rfc3339`](crate::GoTime::to_rfc3339);
//! a `SystemTime` becomes a `GoTime` by `From`.) And `strconv.Quote` ([`go_quote`]).

mod goprint;

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
    let exp_form = if bits == 32 {
        let a = abs as f32;
        a != 0.0 && !(1e-6..1e21).contains(&a)
    } else {
        abs != 0.0 && !(1e-6..1e21).contains(&abs)
    };
    let (digits, e) = if bits == 32 {
        shortest_digits(f as f32)
    } else {
        shortest_digits(f)
    };
    let mut out = String::with_capacity(digits.len() + 8);
    if f.is_sign_negative() {
        out.push('-');
    }
    let n = digits.len() as i32;
    if exp_form {
        // Go's `%e` with the shortest precision; encoding/json trims `e-07` to `e-7`.
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        if e < 0 {
            out.push_str(&format!("e-{}", -e));
        } else {
            out.push_str(&format!("e+{e:02}"));
        }
    } else if e >= n - 1 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (e - (n - 1)) as usize));
    } else if e >= 0 {
        let (int, frac) = digits.split_at(e as usize + 1);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-e - 1) as usize));
        out.push_str(&digits);
    }
    Some(out)
}

/// A float type whose shortest round-trip digits [`json_float`] needs.
trait ShortestFloat: Copy + PartialEq + std::fmt::LowerExp + std::str::FromStr {
    /// The fewest shortest digits at which two candidates can both read back as the value:
    /// their spacing, at least `x / 10^n`, must not exceed an ulp, `x / 2^52` (`x / 2^23`).
    const TIE_DIGITS: usize;
    /// Enough digits for the exact decimal expansion of any power of two of the type.
    const EXACT_DIGITS: usize;
    /// For a normal power of two, Dragonbox's binary exponent (`e - mantbits`).
    fn power_of_two_exponent(self) -> Option<i32>;
}
impl ShortestFloat for f64 {
    const TIE_DIGITS: usize = 16;
    const EXACT_DIGITS: usize = 800;
    fn power_of_two_exponent(self) -> Option<i32> {
        let b = self.to_bits();
        let biased = ((b >> 52) & 0x7ff) as i32;
        (b & ((1 << 52) - 1) == 0 && biased != 0).then_some(biased - 1075)
    }
}
impl ShortestFloat for f32 {
    const TIE_DIGITS: usize = 7;
    const EXACT_DIGITS: usize = 200;
    fn power_of_two_exponent(self) -> Option<i32> {
        let b = self.to_bits();
        let biased = ((b >> 23) & 0xff) as i32;
        (b & ((1 << 23) - 1) == 0 && biased != 0).then_some(biased - 150)
    }
}

/// The shortest decimal digits that read back as `x` (no sign, no trailing zeros, `"0"` for
/// zero) and the decimal exponent of the first digit, as Go's `strconv` (Dragonbox, Go 1.26)
/// chooses them: of the shortest candidates the one nearest to `x`, ties to even, except at
/// a power of two (whose rounding interval is narrower below), where Dragonbox rounds a tie
/// up unless the binary exponent is −77 (Go checks −77 for `float32` too).
///
/// Rust's `{:e}` finds the shortest length but may break an exact tie upwards
/// (`34158179052624.0625` → `…624.063`, Go `…624.062`), so at lengths where two candidates
/// can both read back, the digits are Rust's exact, ties-to-even formatting at that length
/// when they read back as `x` (they are then the nearest), else `{:e}`'s.
fn shortest_digits<F: ShortestFloat>(x: F) -> (String, i32) {
    fn split(s: &str) -> (String, i32) {
        let s = s.trim_start_matches('-');
        let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
        (mant.replace('.', ""), exp.parse().unwrap_or(0))
    }
    let shortest = format!("{x:e}");
    let (digits, e) = split(&shortest);
    let n = digits.len();
    if n < F::TIE_DIGITS {
        return (digits, e);
    }
    let exact = format!("{x:.*e}", n - 1);
    if exact.parse::<F>().ok() != Some(x) {
        return (digits, e);
    }
    if let Some(exp2) = x.power_of_two_exponent() {
        let (all, e_all) = split(&format!("{x:.*e}", F::EXACT_DIGITS));
        let tie = all
            .get(n..)
            .is_some_and(|rest| rest.trim_end_matches('0') == "5");
        if tie && exp2 != -77 {
            // Dragonbox's `yru`: the candidate above.
            let mut up: Vec<u8> = all.as_bytes()[..n].to_vec();
            let mut i = n;
            while i > 0 && up[i - 1] == b'9' {
                up[i - 1] = b'0';
                i -= 1;
            }
            let e_up = if i == 0 {
                up.insert(0, b'1');
                e_all + 1
            } else {
                up[i - 1] += 1;
                e_all
            };
            let up = String::from_utf8_lossy(&up)
                .trim_end_matches('0')
                .to_owned();
            return (up, e_up);
        }
    }
    let (d, e) = split(&exact);
    (d.trim_end_matches('0').to_owned(), e)
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

/// Go's `strconv.Quote` of `string(b)` (what `%q` prints for a string or `[]byte`): `"` and
/// `\` escaped, the usual C escapes, every byte that does not start a valid UTF-8 sequence
/// as `\xNN`, a rune Go does not print as `\xNN` (below U+0080), `\uNNNN` or `\UNNNNNNNN`.
///
/// Printability is Go's `strconv.IsPrint`, from a table generated by Go.
pub fn go_quote(b: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(b.len() + 2);
    out.push('"');
    let mut rest = b;
    while let Some(&first) = rest.first() {
        let Some((c, n)) = decode_rune(rest) else {
            let _ = write!(out, "\\x{first:02x}");
            rest = &rest[1..];
            continue;
        };
        rest = &rest[n..];
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if go_is_print(c) => out.push(c),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint`: ASCII's graphic characters and space, and above ASCII the ranges
/// Go's tables give (generated from Go, see `goprint`).
fn go_is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    goprint::PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < u {
                std::cmp::Ordering::Less
            } else if lo > u {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
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
