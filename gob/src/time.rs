//! Go's `time.Time`, which gob carries as a GobEncoder type named `Time` whose payload is
//! `Time.MarshalBinary` (version 1, or version 2 when the zone offset has a seconds part).

use crate::decode::{Dec, Decode};
use crate::encode::{Enc, Encode, GoTypeName, GobType, Schema};
use crate::error::{Error, ErrorKind, Result};
use crate::registry::GoName;
use crate::types::{WireId, WireKind};

/// Seconds from 0001-01-01T00:00:00Z (Go's internal epoch) to the Unix epoch.
const UNIX_TO_INTERNAL: i64 = 62_135_596_800;

/// A Go `time.Time`: an instant with nanoseconds and a zone offset (zone names never travel
/// in gob). The default value is Go's zero time (0001-01-01 00:00:00 UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoTime {
    /// Seconds since the Unix epoch.
    pub unix_secs: i64,
    /// Nanoseconds within the second (0..1e9).
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

    /// An instant in UTC.
    pub fn from_unix(unix_secs: i64, nanos: u32) -> Self {
        GoTime {
            unix_secs,
            nanos,
            offset: None,
        }
    }

    /// The current time, in UTC.
    pub fn now() -> Self {
        GoTime::from(std::time::SystemTime::now())
    }

    /// True for Go's zero time (gob omits it as a struct field).
    pub fn is_zero(&self) -> bool {
        self.unix_secs == -UNIX_TO_INTERNAL && self.nanos == 0
    }

    /// `Time.MarshalBinary`.
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
        b.extend_from_slice(&(self.nanos as i32).to_be_bytes());
        b.extend_from_slice(&offset_min.to_be_bytes());
        if version == 2 {
            b.push(offset_sec as u8);
        }
        Ok(b)
    }

    /// `Time.UnmarshalBinary`. The version-2 seconds byte is sign-extended (Go reads it as
    /// unsigned, which shifts negative offsets with seconds by 256 s; we decode the offset that
    /// was meant and re-encode the same bytes).
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
        let secs = i64::from_be_bytes(rest[0..8].try_into().map_err(|_| bad("invalid length"))?);
        let nanos = i32::from_be_bytes(rest[8..12].try_into().map_err(|_| bad("invalid length"))?);
        let off_min =
            i16::from_be_bytes(rest[12..14].try_into().map_err(|_| bad("invalid length"))?);
        if !(0..1_000_000_000).contains(&nanos) {
            return Err(bad("nanoseconds out of range"));
        }
        let offset = if off_min == -1 {
            None
        } else {
            let mut o = off_min as i32 * 60;
            if version == 2 {
                o += rest[14] as i8 as i32;
            }
            Some(o)
        };
        Ok(GoTime {
            unix_secs: secs.wrapping_sub(UNIX_TO_INTERNAL),
            nanos: nanos as u32,
            offset,
        })
    }

    /// RFC 3339 with nanoseconds, as Go's `encoding/json` writes a `time.Time`.
    pub fn to_rfc3339(&self) -> String {
        let off = self.offset.unwrap_or(0);
        let local = self.unix_secs + off as i64;
        let days = local.div_euclid(86_400);
        let sod = local.rem_euclid(86_400);
        let (y, m, d) = crate::gotext::civil_from_days(days);
        let mut s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        );
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        if off == 0 {
            s.push('Z');
        } else {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            s.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a / 60) % 60));
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
        self.is_zero()
    }
}

impl Decode for GoTime {
    fn decode(d: &mut Dec<'_, '_>, w: WireId) -> Result<Self> {
        // time.Time is a GobDecoder: Go's compatibleType wants `GobEncoderT` and no other
        // marshaler field, and ignores whatever else the definition sets.
        d.wire_for(w, WireKind::GobEncoder, "time.Time (GobEncoder)")?;
        GoTime::unmarshal_binary(d.bytes()?)
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
        assert_eq!(
            GoTime::unmarshal_binary(&odd.marshal_binary().unwrap()).unwrap(),
            odd
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
