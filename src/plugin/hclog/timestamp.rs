//! hclog's JSON timestamps: checking one as Go's `time.Parse` would, and writing one.

use std::time::{SystemTime, UNIX_EPOCH};

use gob::gotext;

// hclog's JSON timestamp layout `TimeFormatJSON` is `2006-01-02T15:04:05.000000Z07:00` (Go
// reference time notation); `parse_go_timestamp` and `format_timestamp_utc` implement it.
/// Whether `s` parses with Go's `time.Parse(TimeFormatJSON, s)` (Go ≥ 1.17 rules: 4-digit
/// year, 2-digit month/day/minute/second, 1- or 2-digit hour, exactly six fraction digits after
/// `.` or `,`, then `Z` or `±hh:mm`; ranges and days-in-month checked; nothing after).
pub fn is_hclog_timestamp(s: &str) -> bool {
    parse_go_timestamp(s.as_bytes()).is_some()
}

fn parse_go_timestamp(v: &[u8]) -> Option<()> {
    fn digits(v: &[u8], n: usize) -> Option<(u32, &[u8])> {
        let d = v.get(..n)?;
        d.iter().all(u8::is_ascii_digit).then_some(())?;
        let n = d.iter().fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
        Some((n, &v[d.len()..]))
    }
    fn lit(v: &[u8], c: u8) -> Option<&[u8]> {
        (v.first() == Some(&c)).then(|| &v[1..])
    }
    let (year, v) = digits(v, 4)?;
    let v = lit(v, b'-')?;
    let (month, v) = digits(v, 2)?;
    let v = lit(v, b'-')?;
    let (day, v) = digits(v, 2)?;
    let v = lit(v, b'T')?;
    // stdHour is not fixed-width in Go: one or two digits.
    let (hour, v) = match digits(v, 2) {
        Some(r) => r,
        None => digits(v, 1)?,
    };
    let v = lit(v, b':')?;
    let (minute, v) = digits(v, 2)?;
    let v = lit(v, b':')?;
    let (second, v) = digits(v, 2)?;
    if !(1..=12).contains(&month) || hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    // ".000000": separator, then six characters parsed with time's atoi (sign allowed).
    if !matches!(v.first(), Some(b'.' | b',')) {
        return None;
    }
    let frac = v.get(1..7)?;
    let (neg, fd) = match frac[0] {
        b'+' => (false, &frac[1..]),
        b'-' => (true, &frac[1..]),
        _ => (false, frac),
    };
    if !fd.iter().all(u8::is_ascii_digit) || (neg && fd.iter().any(|d| *d != b'0')) {
        return None;
    }
    let v = &v[7..];
    // "Z07:00"
    let v = if let Some(rest) = lit(v, b'Z') {
        rest
    } else {
        let tz = v.get(..6)?;
        if !matches!(tz[0], b'+' | b'-') || tz[3] != b':' {
            return None;
        }
        let (hh, _) = digits(&tz[1..3], 2)?;
        let (mm, _) = digits(&tz[4..6], 2)?;
        if hh > 24 || mm > 60 {
            return None;
        }
        &v[6..]
    };
    if !v.is_empty() {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days_in_month).contains(&day).then_some(())
}

/// Formats `t` in UTC with hclog's `TimeFormatJSON` (`2006-01-02T15:04:05.000000Z07:00`), e.g. `2026-11-26T05:11:45.773853Z` (the
/// fraction is truncated to microseconds, like Go).
pub fn format_timestamp_utc(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let micros = d.subsec_micros();
    let days = (secs / 86_400) as i64;
    let sod = secs % 86_400;
    let (y, m, dd) = gotext::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}
