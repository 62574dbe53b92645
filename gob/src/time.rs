//! Go's `time.Time`, which gob carries as a GobEncoder type named `Time` whose payload is
//! `Time.MarshalBinary` (version 1, or version 2 when the zone offset has a seconds part).

use crate::decode::{Dec, Decode};
use crate::encode::{Enc, Encode, GoTypeName, GobType, Schema};
use crate::error::{Error, ErrorKind, Result};
use crate::registry::GoName;
use crate::types::{WireId, WireKind};

/// Seconds from 0001-01-01T00:00:00Z (Go's internal epoch) to the Unix epoch.
const UNIX_TO_INTERNAL: i64 = 62_135_596_800;

/// Go's `wallToInternal`: seconds from year 1 to 1885-01-01, where the seconds of a time with
/// a monotonic reading count from.
const WALL_TO_INTERNAL: i64 = (1884 * 365 + 1884 / 4 - 1884 / 100 + 1884 / 400) * 86_400;
/// Go's `hasMonotonic`, `nsecShift` and `nsecMask`: the layout of a time's wall word.
const HAS_MONOTONIC: u64 = 1 << 63;
const NSEC_SHIFT: u32 = 30;
const NSEC_MASK: u64 = (1 << NSEC_SHIFT) - 1;

/// A Go `time.Time`: an instant with nanoseconds and a zone offset (zone names never travel
/// in gob). The default value is Go's zero time (0001-01-01 00:00:00 UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub unix_secs: i64,
    /// Nanoseconds within the second, 0..1e9 for every time Go creates. Strictly, Go's wall
    /// word as `Time.UnmarshalBinary` leaves it: it does not check the nanoseconds, so bytes
    /// Go never writes give values up to 2^30 − 1, and bit 30 of such bytes is kept, as Go
    /// keeps it, seen only by `==` and gob's zero test; [`GoTime::nanosecond`] is Go's
    /// `Nanosecond()`, and `MarshalBinary` writes that.
    pub nanos: u32,
    /// Zone offset in seconds east of UTC; `None` is UTC itself (Go's `time.UTC`, which
    /// marshals as the special offset -1).
    pub offset: Option<i32>,
}

/// The same instant in UTC (Go's `time.Now()` is a `SystemTime` reading). Instants beyond
/// what `i64` seconds hold saturate.
impl From<std::time::SystemTime> for GoTime {
    fn from(t: std::time::SystemTime) -> Self {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => GoTime::from_unix(
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            ),
            // Before 1970: whole seconds down, nanoseconds up (Go's representation).
            Err(before) => {
                let d = before.duration();
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                match d.subsec_nanos() {
                    0 => GoTime::from_unix(-secs, 0),
                    n => GoTime::from_unix((-secs).saturating_sub(1), 1_000_000_000 - n),
                }
            }
        }
    }
}

impl Default for GoTime {
    fn default() -> Self {
        GoTime::ZERO
    }
}

impl GoTime {
    /// Go's zero `time.Time`.
    pub const ZERO: GoTime = GoTime {
        unix_secs: -UNIX_TO_INTERNAL,
        nanos: 0,
        offset: None,
    };

    /// An instant in UTC. As Go's `time.Unix`, nanoseconds of a second or more carry into the
    /// seconds.
    pub fn from_unix(unix_secs: i64, nanos: u32) -> Self {
        GoTime {
            unix_secs: unix_secs.saturating_add(i64::from(nanos / 1_000_000_000)),
            nanos: nanos % 1_000_000_000,
            offset: None,
        }
    }

    /// Go's `Time.Nanosecond`: the nanoseconds within the second (the low 30 bits of
    /// [`GoTime::nanos`]).
    pub fn nanosecond(&self) -> u32 {
        (u64::from(self.nanos) & NSEC_MASK) as u32
    }

    /// The current time, in UTC.
    pub fn now() -> Self {
        GoTime::from(std::time::SystemTime::now())
    }

    /// Go's `Time.IsZero`: the instant 0001-01-01 00:00:00 UTC, in any zone.
    pub fn is_zero(&self) -> bool {
        self.unix_secs == -UNIX_TO_INTERNAL && self.nanosecond() == 0
    }

    /// `Time.MarshalBinary`; refuses what Go's refuses (an offset of −1 minute, or beyond
    /// `i16` minutes).
    pub fn marshal_binary(&self) -> Result<Vec<u8>> {
        let (version, offset_min, offset_sec): (u8, i16, i8) = match self.offset {
            None => (1, -1, 0),
            Some(off) => {
                let (v, sec) = if off % 60 != 0 {
                    (2, (off % 60) as i8)
                } else {
                    (1, 0)
                };
                let min = off / 60;
                if !(-32768..=32767).contains(&min) || min == -1 {
                    return Err(Error::new(ErrorKind::Marshal(
                        "Time.MarshalBinary: unexpected zone offset".into(),
                    )));
                }
                (v, min as i16, sec)
            }
        };
        let mut b = Vec::with_capacity(16);
        b.push(version);
        b.extend_from_slice(&(self.unix_secs.wrapping_add(UNIX_TO_INTERNAL)).to_be_bytes());
        b.extend_from_slice(&(self.nanosecond() as i32).to_be_bytes());
        b.extend_from_slice(&offset_min.to_be_bytes());
        if version == 2 {
            b.push(offset_sec as u8);
        }
        Ok(b)
    }

    /// `Time.UnmarshalBinary`, with Go's results also for bytes Go never writes:
    /// - the version-2 seconds byte is added unsigned (a negative offset with a seconds part,
    ///   −3661 s say, comes back as −3405 s, and an offset that comes out as −60 s is UTC);
    /// - nanoseconds are not checked: Go stores the `int32` sign-extended as the time's wall
    ///   word, so 1e9..2^30 stay as they are, bit 30 is kept beside them (see
    ///   [`GoTime::nanos`]), and a negative value sets the monotonic bit, which makes the
    ///   seconds the wall word's 33-bit field counted from 1885 (a time in 2157) whatever the
    ///   seconds bytes say; `setLoc` then strips it to the low 30 bits.
    ///
    /// What Go then holds is what this value holds: re-marshaling writes what Go's
    /// `MarshalBinary` would (which is not always the bytes read).
    pub fn unmarshal_binary(b: &[u8]) -> Result<Self> {
        let bad = |m: &str| Error::new(ErrorKind::Marshal(format!("Time.UnmarshalBinary: {m}")));
        let (&version, rest) = b.split_first().ok_or_else(|| bad("no data"))?;
        let want = match version {
            1 => 14,
            2 => 15,
            _ => return Err(bad("unsupported version")),
        };
        if rest.len() != want {
            return Err(bad("invalid length"));
        }
        let (Some(secs), Some(nanos), Some(off_min)) = (
            rest.get(0..8).and_then(|s| s.try_into().ok()),
            rest.get(8..12).and_then(|s| s.try_into().ok()),
            rest.get(12..14).and_then(|s| s.try_into().ok()),
        ) else {
            return Err(bad("invalid length"));
        };
        let secs = i64::from_be_bytes(secs);
        // Go: `t.wall = uint64(nsec)` with `nsec` an `int32`.
        let wall = i64::from(i32::from_be_bytes(nanos)) as u64;
        let (internal_secs, wall) = if wall & HAS_MONOTONIC != 0 {
            // Go's `Time.sec` of a time with a monotonic reading; `setLoc`'s `stripMono` then
            // keeps these seconds and the wall word's nanoseconds only.
            (
                WALL_TO_INTERNAL + ((wall << 1) >> (NSEC_SHIFT + 1)) as i64,
                wall & NSEC_MASK,
            )
        } else {
            (secs, wall) // below 2^31
        };
        let mut offset = i32::from(i16::from_be_bytes(off_min)) * 60;
        if version == 2 {
            offset += i32::from(rest[14]);
        }
        Ok(GoTime {
            unix_secs: internal_secs.wrapping_sub(UNIX_TO_INTERNAL),
            nanos: wall as u32,
            offset: (offset != -60).then_some(offset),
        })
    }

    /// Go's `Time.MarshalJSON`: the quoted RFC 3339 text, or Go's error for a year outside
    /// 0..=9999 or a zone of 24 hours or more (both reachable from gob bytes).
    pub fn marshal_json(&self) -> Result<String> {
        let s = self.to_rfc3339();
        let bad = |m: &str| Error::new(ErrorKind::Marshal(format!("Time.MarshalJSON: {m}")));
        // Go's `appendStrictRFC3339`: the year must be exactly four digits wide ...
        if s.as_bytes().get(4) != Some(&b'-') {
            return Err(bad("year outside of range [0,9999]"));
        }
        // ... and the zone's hours two digits below 24.
        if !s.ends_with('Z') {
            let tail = s.as_bytes();
            let c = tail[tail.len() - 6];
            let hours = (tail[tail.len() - 5] - b'0') * 10 + (tail[tail.len() - 4] - b'0');
            if c.is_ascii_digit() || hours >= 24 {
                return Err(bad("timezone hour outside of range [0,23]"));
            }
        }
        Ok(format!("\"{s}\""))
    }

    /// RFC 3339 with nanoseconds, as Go's `encoding/json` writes a `time.Time`.
    pub fn to_rfc3339(&self) -> String {
        let off = self.offset.unwrap_or(0);
        // Go adds the offset with wrap-around too (only seconds near i64's ends wrap, and
        // their years are out of JSON's range either way).
        let local = self.unix_secs.wrapping_add(i64::from(off));
        let days = local.div_euclid(86_400);
        let sod = local.rem_euclid(86_400);
        let (y, m, d) = crate::gotext::civil_from_days(days);
        // Go's `appendInt(year, 4)`: the sign, then at least four digits ("-0001").
        let sign = if y < 0 { "-" } else { "" };
        let mut s = format!(
            "{sign}{:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            y.unsigned_abs(),
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        );
        if self.nanosecond() != 0 {
            let frac = format!("{:09}", self.nanosecond());
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        if off == 0 {
            s.push('Z');
        } else {
            // Go signs the offset's whole minutes: −30 s is "+00:00".
            let min = off / 60;
            let sign = if min < 0 { '-' } else { '+' };
            let a = min.unsigned_abs();
            s.push_str(&format!("{sign}{:02}:{:02}", a / 60, a % 60));
        }
        s
    }
}

impl GobType for GoTime {
    fn go_type() -> GoTypeName {
        GoTypeName::named("time.Time")
    }
    fn describe(s: &mut Schema, name: &str) -> Result<WireId> {
        s.describe_marshaler::<GoTime>(name, false)
    }
}

impl Encode for GoTime {
    fn wire_type(&self, s: &mut Schema) -> Result<WireId> {
        <Self as GobType>::describe(s, "Time")
    }
    fn encode(&self, e: &mut Enc<'_>) -> Result<()> {
        e.put_bytes(&self.marshal_binary()?);
        Ok(())
    }
    fn omit_in_struct(&self) -> bool {
        // gob omits a field that is reflect's zero, `time.Time{}`: no wall bits, no location.
        self.unix_secs == -UNIX_TO_INTERNAL && self.nanos == 0 && self.offset.is_none()
    }
    fn omit_behind_pointer(&self) -> bool {
        // `*time.Time` implements GobEncoder itself: gob tests the pointer, never nil here.
        false
    }
}

impl Decode for GoTime {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        // time.Time is a GobDecoder: Go's compatibleType wants `GobEncoderT` and no other
        // marshaler field, and ignores whatever else the definition sets.
        d.wire_for_with(w, WireKind::GobEncoder, "time.Time (GobEncoder)", |_| {
            Some(())
        })?;
        GoTime::unmarshal_binary(d.bytes()?)
    }
    fn check_wire(d: &mut Dec<'_, '_>, w: WireId) -> Result<()> {
        d.check_kind(w, WireKind::GobEncoder, "time.Time (GobEncoder)")
            .map(drop)
    }
}

impl GoName for GoTime {
    const GO_NAME: &'static str = "time.Time";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marshals_like_go() {
        // 2009-11-10 23:00:00 UTC
        let t = GoTime::from_unix(1_257_894_000, 0);
        assert_eq!(
            t.marshal_binary().unwrap(),
            [1, 0, 0, 0, 0x0e, 0xc2, 0x8b, 0xe7, 0x70, 0, 0, 0, 0, 0xff, 0xff]
        );
        let plus1 = GoTime {
            unix_secs: 1_257_894_000 - 3600,
            nanos: 5,
            offset: Some(3600),
        };
        assert_eq!(
            plus1.marshal_binary().unwrap(),
            [1, 0, 0, 0, 0x0e, 0xc2, 0x8b, 0xd9, 0x60, 0, 0, 0, 5, 0, 0x3c]
        );
        assert_eq!(
            GoTime::ZERO.marshal_binary().unwrap(),
            [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        );
        let back = GoTime::unmarshal_binary(&plus1.marshal_binary().unwrap()).unwrap();
        assert_eq!(back, plus1);
        let odd = GoTime {
            unix_secs: 0,
            nanos: 0,
            offset: Some(-3661),
        };
        // Go adds the seconds byte unsigned: -61 min + 255 s (go-interop/cmd/gotime).
        assert_eq!(
            GoTime::unmarshal_binary(&odd.marshal_binary().unwrap()).unwrap(),
            GoTime {
                offset: Some(-3405),
                ..odd
            }
        );
    }

    #[test]
    fn from_system_time_either_side_of_the_epoch() {
        use std::time::{Duration, UNIX_EPOCH};
        let after = UNIX_EPOCH + Duration::new(1_700_000_000, 5);
        assert_eq!(GoTime::from(after), GoTime::from_unix(1_700_000_000, 5));
        let before = UNIX_EPOCH - Duration::new(1, 250_000_000);
        assert_eq!(GoTime::from(before), GoTime::from_unix(-2, 750_000_000));
        assert_eq!(
            GoTime::from(UNIX_EPOCH - Duration::from_secs(86_400)).to_rfc3339(),
            "1969-12-31T00:00:00Z"
        );
    }

    #[test]
    fn rfc3339_like_go_json() {
        assert_eq!(
            GoTime::from_unix(1_257_894_000, 0).to_rfc3339(),
            "2009-11-10T23:00:00Z"
        );
        let t = GoTime {
            unix_secs: 1_257_894_000,
            nanos: 123_456_789,
            offset: Some(-5 * 3600),
        };
        assert_eq!(t.to_rfc3339(), "2009-11-10T18:00:00.123456789-05:00");
        assert_eq!(GoTime::ZERO.to_rfc3339(), "0001-01-01T00:00:00Z");
    }
}
