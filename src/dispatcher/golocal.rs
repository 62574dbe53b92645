//! Go's `time.Local` as a Go plugin process has it, for one question: the UTC offset in
//! effect at an instant. `Time.UnmarshalBinary` (how a `time.Time` arrives through gob) gives
//! a time whose offset equals Local's at that instant the `Local` location, any other offset
//! a fresh `FixedZone` and the special UTC offset no location; Go's `==` on two times
//! compares those location pointers. So two decoded times with the same instant and offset
//! are equal exactly when that offset is Local's (or UTC), which the fake's search follows.
//!
//! Local is chosen as Go's `initLocal` does on Unix: `TZ` unset reads `/etc/localtime`;
//! `TZ=""` is UTC; `TZ=":name"` is `name`; an absolute path is read as a file, `UTC` is UTC,
//! another name is looked up in `$ZONEINFO` (a directory; Go also reads a zip there) and in
//! Go's system zoneinfo directories; what fails to load is UTC. The zone file is TZif
//! (RFC 8536, versions 1 to 4). Where this model does not know the offset (an instant after
//! the last recorded transition of a zone whose footer rule has daylight saving time)
//! [`offset_at`] says `None`, and such times compare unequal.

use std::sync::OnceLock;

/// Go's zoneinfo directories on Unix (`platformZoneSources`).
const ZONE_SOURCES: [&str; 4] = [
    "/usr/share/zoneinfo/",
    "/usr/share/lib/zoneinfo/",
    "/usr/lib/locale/TZ/",
    "/etc/zoneinfo/",
];

/// Local's offset in seconds east of UTC at `unix_secs`, when known.
pub(crate) fn offset_at(unix_secs: i64) -> Option<i32> {
    static LOCAL: OnceLock<Zone> = OnceLock::new();
    LOCAL.get_or_init(load_local).offset_at(unix_secs)
}

/// A zone: its types (offset, daylight saving time), its transitions (instant, type index),
/// and the fixed offset of its footer rule when that rule has no daylight saving time.
#[derive(Debug, PartialEq)]
struct Zone {
    types: Vec<(i32, bool)>,
    transitions: Vec<(i64, usize)>,
    /// `None`: no footer; `Some(None)`: a footer this model cannot evaluate.
    footer: Option<Option<i32>>,
}

impl Zone {
    fn utc() -> Zone {
        Zone {
            types: vec![(0, false)],
            transitions: Vec::new(),
            footer: None,
        }
    }

    /// Go's `Location.lookup`, offsets only.
    fn offset_at(&self, t: i64) -> Option<i32> {
        let Some(&(last, last_type)) = self.transitions.last() else {
            return self.types.get(self.first_zone()).map(|z| z.0);
        };
        if t < self.transitions[0].0 {
            return self.types.get(self.first_zone()).map(|z| z.0);
        }
        if t >= last {
            if let Some(rule) = self.footer {
                return rule;
            }
            return self.types.get(last_type).map(|z| z.0);
        }
        let i = self.transitions.partition_point(|&(when, _)| when <= t) - 1;
        self.types.get(self.transitions[i].1).map(|z| z.0)
    }

    /// Go's `lookupFirstZone`: the zone of instants before the first transition.
    fn first_zone(&self) -> usize {
        if !self.transitions.iter().any(|&(_, i)| i == 0) {
            return 0;
        }
        if let Some(&(_, first)) = self.transitions.first() {
            if self.types.get(first).is_some_and(|z| z.1) {
                if let Some(i) = (0..first).rev().find(|&i| !self.types[i].1) {
                    return i;
                }
            }
        }
        self.types.iter().position(|z| !z.1).unwrap_or(0)
    }
}

fn load_local() -> Zone {
    let tz = std::env::var_os("TZ");
    let zone = match tz.as_ref().map(|t| t.to_str()) {
        None => read_zone("/etc/localtime"),
        // Not UTF-8: no file of Go's is named so. Go reads the bytes; assume it fails.
        Some(None) => None,
        Some(Some(tz)) => {
            let tz = tz.strip_prefix(':').unwrap_or(tz);
            if tz.starts_with('/') {
                read_zone(tz)
            } else if tz.is_empty() || tz == "UTC" || tz.contains("..") {
                None
            } else {
                let zoneinfo = std::env::var("ZONEINFO").ok().filter(|z| !z.is_empty());
                zoneinfo
                    .map(|dir| format!("{dir}/{tz}"))
                    .into_iter()
                    .chain(ZONE_SOURCES.iter().map(|dir| format!("{dir}{tz}")))
                    .find_map(|path| read_zone(&path))
            }
        }
    };
    zone.unwrap_or_else(Zone::utc)
}

fn read_zone(path: &str) -> Option<Zone> {
    // Go reads zone files of up to 10 MB.
    let bytes = std::fs::read(path).ok()?;
    (bytes.len() <= 10 << 20)
        .then(|| parse_tzif(&bytes))
        .flatten()
}

/// The six counts of a TZif header: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
fn header(b: &[u8]) -> Option<[usize; 6]> {
    if b.get(..4)? != b"TZif" {
        return None;
    }
    let mut counts = [0usize; 6];
    for (i, c) in counts.iter_mut().enumerate() {
        let at = 20 + 4 * i;
        *c = u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize;
    }
    Some(counts)
}

/// A TZif file (RFC 8536): the version 2+ data block with 64-bit times when there is one,
/// else the version 1 block.
fn parse_tzif(b: &[u8]) -> Option<Zone> {
    let v1 = header(b)?;
    let [isut, isstd, leap, time, typ, chars] = v1;
    let v1_len = time * 5 + typ * 6 + chars + leap * 8 + isstd + isut;
    let (data, counts, size) = if *b.get(4)? >= b'2' {
        let h2 = 44usize.checked_add(v1_len)?;
        let second = b.get(h2..)?;
        (second.get(44..)?, header(second)?, 8)
    } else {
        (b.get(44..)?, v1, 4)
    };
    let [isut, isstd, leap, time, typ, chars] = counts;
    if typ == 0 {
        return None;
    }
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = data.get(at..at.checked_add(n)?)?;
        at += n;
        Some(s)
    };
    let times = take(time.checked_mul(size)?)?;
    let indices = take(time)?;
    let infos = take(typ.checked_mul(6)?)?;
    take(chars)?;
    take(leap.checked_mul(size + 4)?)?;
    take(isstd)?;
    take(isut)?;
    let types: Vec<(i32, bool)> = infos
        .chunks_exact(6)
        .map(|z| (i32::from_be_bytes([z[0], z[1], z[2], z[3]]), z[4] != 0))
        .collect();
    let mut transitions = Vec::with_capacity(time);
    for (i, &index) in indices.iter().enumerate() {
        let raw = &times[i * size..(i + 1) * size];
        let when = if size == 8 {
            i64::from_be_bytes(raw.try_into().ok()?)
        } else {
            i64::from(i32::from_be_bytes(raw.try_into().ok()?))
        };
        let index = usize::from(index);
        if index >= types.len() {
            return None;
        }
        transitions.push((when, index));
    }
    let footer = if size == 8 {
        let rest = data.get(at..)?;
        let text = rest.strip_prefix(b"\n")?;
        let end = text.iter().position(|&c| c == b'\n')?;
        std::str::from_utf8(&text[..end])
            .ok()
            .filter(|f| !f.is_empty())
            .map(fixed_rule)
    } else {
        None
    };
    Some(Zone {
        types,
        transitions,
        footer,
    })
}

/// The offset of a POSIX TZ rule without daylight saving time (`JST-9`, `<+0330>-3:30`,
/// `UTC0`): the standard time's name and offset (hours west of UTC), nothing after them.
fn fixed_rule(rule: &str) -> Option<i32> {
    let rest = if let Some(quoted) = rule.strip_prefix('<') {
        &quoted[quoted.find('>')? + 1..]
    } else {
        let name = rule.bytes().take_while(u8::is_ascii_alphabetic).count();
        if name < 3 {
            return None;
        }
        &rule[name..]
    };
    let (sign, rest) = match rest.as_bytes().first()? {
        b'-' => (-1, &rest[1..]),
        b'+' => (1, &rest[1..]),
        _ => (1, rest),
    };
    let mut parts = rest.split(':');
    let mut seconds = 0i32;
    for (i, part) in (&mut parts).take(3).enumerate() {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v: i32 = part.parse().ok()?;
        seconds += v * [3600, 60, 1][i];
    }
    if parts.next().is_some() {
        return None;
    }
    // POSIX offsets are west of UTC; a time zone's offset is east.
    Some(-sign * seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_rules_without_daylight_saving_time() {
        assert_eq!(fixed_rule("UTC0"), Some(0));
        assert_eq!(fixed_rule("JST-9"), Some(9 * 3600));
        assert_eq!(fixed_rule("<+0330>-3:30"), Some(3 * 3600 + 1800));
        assert_eq!(fixed_rule("<-03>3"), Some(-3 * 3600));
        assert_eq!(fixed_rule("CET-1CEST,M3.5.0,M10.5.0/3"), None);
        assert_eq!(fixed_rule("X-1"), None);
    }

    /// Against the system's zone files (Debian's tzdata, which this machine and CI have):
    /// the offsets Go 1.26's `time.Unix(t, 0).In(time.LoadLocation(name)).Zone()` gives.
    #[test]
    fn system_zone_files() {
        let zone = |name: &str| {
            read_zone(&format!("/usr/share/zoneinfo/{name}"))
                .unwrap_or_else(|| panic!("zone file {name} (tzdata) missing or unreadable"))
        };
        assert_eq!(zone("Etc/UTC").offset_at(1_765_000_000), Some(0));
        let tokyo = zone("Asia/Tokyo");
        assert_eq!(tokyo.offset_at(1_765_000_000), Some(9 * 3600));
        // 1949-06-24: Japan's daylight saving time.
        assert_eq!(tokyo.offset_at(-647_654_400), Some(10 * 3600));
        let berlin = zone("Europe/Berlin");
        // 2025-12-17 (CET) and 2026-07-01 (CEST).
        assert_eq!(berlin.offset_at(1_766_000_000), Some(3600));
        assert_eq!(berlin.offset_at(1_782_864_000), Some(7200));
        // Before the first transition: local mean time, +0:53:28.
        assert_eq!(berlin.offset_at(-3_000_000_000), Some(3208));
        // After the last transition (2037) the footer's rule has daylight saving time,
        // which this model does not evaluate (Go: 3600 for 2049-03-22).
        assert_eq!(berlin.offset_at(2_500_000_000), None);
        assert_eq!(zone("Etc/GMT-3").offset_at(0), Some(3 * 3600));
    }

    #[test]
    fn bad_files_are_not_zones() {
        assert_eq!(parse_tzif(b""), None);
        assert_eq!(parse_tzif(b"TZif2"), None);
        let mut b = b"TZif2".to_vec();
        b.resize(44, 0);
        // No types.
        assert_eq!(parse_tzif(&b), None);
    }
}
