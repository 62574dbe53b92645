//! The seeded mutations of the session fuzzers (`tests/fuzz_sessions.rs` mutates what a host
//! sends to our provider; `examples/hostile_plugin.rs` with `HOSTILE_FUZZ_SEED` mutates what a
//! plugin sends to our host): yamux frames with fields replaced by boundary values,
//! duplicated, dropped or reordered; gob messages with their length, type id or an inner
//! count replaced by boundary values; raw bit flips, inserted, deleted and duplicated bytes,
//! and a cut. Every mutation is logged, so a failing seed shows what it did.
#![allow(dead_code)]

use super::raw;
use super::seeded::Rng;

/// A yamux frame with every header field free (its length need not match its body).
#[derive(Debug, Clone)]
pub struct Frame {
    pub version: u8,
    pub kind: u8,
    pub flags: u16,
    pub stream: u32,
    pub length: u32,
    pub body: Vec<u8>,
}

impl Frame {
    /// A valid frame: version 0, and for data frames the body's length.
    pub fn new(kind: u8, flags: u16, stream: u32, length: u32, body: Vec<u8>) -> Frame {
        Frame {
            version: 0,
            kind,
            flags,
            stream,
            length,
            body,
        }
    }

    /// A data frame carrying `body`.
    pub fn data(flags: u16, stream: u32, body: Vec<u8>) -> Frame {
        let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
        Frame::new(raw::DATA, flags, stream, len, body)
    }

    /// Parses a frame as `raw::read_frame` returns it.
    pub fn from_raw(f: &raw::Frame) -> Frame {
        Frame {
            version: f.header[0],
            kind: f.kind(),
            flags: f.flags(),
            stream: f.stream(),
            length: f.length(),
            body: f.body.clone(),
        }
    }

    /// Header and body as on the wire.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = raw::header(
            self.version,
            self.kind,
            self.flags,
            self.stream,
            self.length,
        )
        .to_vec();
        b.extend_from_slice(&self.body);
        b
    }
}

/// Gob's signed integer encoding (a type id).
pub fn gob_int(v: i64) -> Vec<u8> {
    let u = if v < 0 {
        (!(v as u64) << 1) | 1
    } else {
        (v as u64) << 1
    };
    raw::gob_uint(u)
}

/// Reads a gob unsigned integer at the start of `b`: (value, bytes used).
pub fn read_gob_uint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    if first < 128 {
        return Some((first as u64, 1));
    }
    let n = (first as i8).unsigned_abs() as usize;
    if n > 8 || b.len() < 1 + n {
        return None;
    }
    Some((
        b[1..=n].iter().fold(0u64, |a, x| (a << 8) | *x as u64),
        1 + n,
    ))
}

/// The gob messages of a stream, as (start, length-prefix bytes, end); stops at the first
/// message that is cut off or malformed.
pub fn messages(b: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((len, n)) = read_gob_uint(&b[at..]) {
        let end = at.saturating_add(n).saturating_add(len as usize);
        if len > b.len() as u64 || end > b.len() {
            break;
        }
        out.push((at, n, end));
        at = end;
    }
    out
}

/// A seeded source of mutations that logs each one it makes.
pub struct Mutator {
    pub rng: Rng,
    pub log: Vec<String>,
}

impl Mutator {
    pub fn new(seed: u64) -> Mutator {
        Mutator {
            rng: Rng(seed),
            log: Vec::new(),
        }
    }

    /// 0, 1, 2^31 - 1, 2^31, u32::MAX, or a random value.
    pub fn boundary_u32(&mut self) -> u32 {
        match self.rng.below(6) {
            0 => 0,
            1 => 1,
            2 => (1 << 31) - 1,
            3 => 1 << 31,
            4 => u32::MAX,
            _ => self.rng.next_u64() as u32,
        }
    }

    /// 0, 1, 127, 128, 2^31, u32::MAX, 2^40, u64::MAX, or a random value.
    pub fn boundary_u64(&mut self) -> u64 {
        match self.rng.below(9) {
            0 => 0,
            1 => 1,
            2 => 127,
            3 => 128,
            4 => 1 << 31,
            5 => u32::MAX as u64,
            6 => 1 << 40,
            7 => u64::MAX,
            _ => self.rng.next_u64() >> self.rng.below(64),
        }
    }

    /// A type id: 0, ±1, a builtin one, the first user one (65), a large one, a random one.
    fn boundary_type_id(&mut self) -> i64 {
        match self.rng.below(8) {
            0 => 0,
            1 => -1,
            2 => 1 + self.rng.below(26) as i64,
            3 => 65,
            4 => -65,
            5 => i32::MAX as i64,
            6 => i64::MIN,
            _ => self.rng.next_u64() as i64 >> self.rng.below(63),
        }
    }

    /// One gob-level mutation of the gob stream `b` (which must stay one frame body or one
    /// stream's bytes: lengths outside the gob are the caller's). Returns false when `b`
    /// holds no complete message.
    pub fn gob(&mut self, what: &str, b: &mut Vec<u8>) -> bool {
        let msgs = messages(b);
        if msgs.is_empty() {
            return false;
        }
        let (start, n, end) = msgs[self.rng.below_usize(msgs.len())];
        let content = b[start + n..end].to_vec();
        let (new_message, desc) = match self.rng.below(4) {
            0 => {
                // The length prefix alone: what follows is read as this message.
                let v = self.boundary_u64();
                let mut m = raw::gob_uint(v);
                m.extend_from_slice(&content);
                (m, format!("gob length {} -> {v}", content.len()))
            }
            1 => {
                let id = self.boundary_type_id();
                let skip = read_gob_uint(&content).map_or(0, |(_, k)| k);
                let mut c = gob_int(id);
                c.extend_from_slice(&content[skip..]);
                (raw::gob_message(&c), format!("gob type id -> {id}"))
            }
            2 if content.len() > 1 => {
                // A count, length or field delta inside the message.
                let at = 1 + self.rng.below_usize(content.len() - 1);
                let v = self.boundary_u64();
                let mut c = content[..at].to_vec();
                c.extend(raw::gob_uint(v));
                c.extend_from_slice(&content[at + 1..]);
                (
                    raw::gob_message(&c),
                    format!("gob uint at content byte {at} -> {v}"),
                )
            }
            _ => {
                let mut c = content.clone();
                if c.is_empty() {
                    c.push(0);
                }
                let at = self.rng.below_usize(c.len());
                let bit = self.rng.below(8);
                c[at] ^= 1 << bit;
                (
                    raw::gob_message(&c),
                    format!("gob content byte {at} bit {bit} flipped"),
                )
            }
        };
        self.log
            .push(format!("{what}: message at {start}..{end}: {desc} (body)"));
        b.splice(start..end, new_message);
        true
    }

    /// One field of `f` replaced by a boundary or random value.
    pub fn field(&mut self, what: &str, f: &mut Frame) {
        let desc = match self.rng.below(5) {
            0 => {
                f.version = [1, 7, 255][self.rng.below_usize(3)];
                format!("version -> {}", f.version)
            }
            1 => {
                f.kind = [0, 1, 2, 3, 4, 255][self.rng.below_usize(6)];
                format!("type -> {}", f.kind)
            }
            2 => {
                f.flags = match self.rng.below(5) {
                    0 => 0,
                    1 => 1 << self.rng.below(4),
                    2 => 0xffff,
                    3 => f.flags ^ (1 << self.rng.below(4)),
                    _ => self.rng.next_u64() as u16,
                };
                format!("flags -> {:#x}", f.flags)
            }
            3 => {
                f.stream = self.boundary_u32();
                format!("stream -> {}", f.stream)
            }
            _ => {
                f.length = self.boundary_u32();
                format!("length -> {}", f.length)
            }
        };
        self.log.push(format!("{what}: {desc}"));
    }

    /// One mutation of a frame list: a field replaced, a frame duplicated, dropped or
    /// swapped with another.
    pub fn frames(&mut self, frames: &mut Vec<Frame>) {
        if frames.is_empty() {
            return;
        }
        let i = self.rng.below_usize(frames.len());
        match self.rng.below(5) {
            0 | 1 => {
                let what = format!("frame {i}");
                self.field(&what, &mut frames[i]);
            }
            2 => {
                frames.insert(i, frames[i].clone());
                self.log.push(format!("frame {i} duplicated"));
            }
            3 => {
                frames.remove(i);
                self.log.push(format!("frame {i} dropped"));
            }
            _ => {
                let j = self.rng.below_usize(frames.len());
                frames.swap(i, j);
                self.log.push(format!("frames {i} and {j} swapped"));
            }
        }
    }

    /// One raw mutation of `b`: a bit flipped, bytes inserted, deleted or duplicated.
    pub fn bytes(&mut self, what: &str, b: &mut Vec<u8>) {
        if b.is_empty() {
            return;
        }
        let at = self.rng.below_usize(b.len());
        let n = (1 + self.rng.below_usize(8)).min(b.len() - at);
        match self.rng.below(4) {
            0 => {
                let bit = self.rng.below(8);
                b[at] ^= 1 << bit;
                self.log
                    .push(format!("{what}: byte {at} bit {bit} flipped"));
            }
            1 => {
                let ins: Vec<u8> = (0..n).map(|_| self.rng.next_u64() as u8).collect();
                self.log
                    .push(format!("{what}: {ins:02x?} inserted at byte {at}"));
                b.splice(at..at, ins);
            }
            2 => {
                b.drain(at..at + n);
                self.log
                    .push(format!("{what}: bytes {at}..{} deleted", at + n));
            }
            _ => {
                let dup = b[at..at + n].to_vec();
                b.splice(at..at, dup);
                self.log
                    .push(format!("{what}: bytes {at}..{} duplicated", at + n));
            }
        }
    }

    /// Cuts `b` at a random point.
    pub fn truncate(&mut self, what: &str, b: &mut Vec<u8>) {
        let at = self.rng.below_usize(b.len().max(1));
        self.log
            .push(format!("{what}: cut at byte {at} of {}", b.len()));
        b.truncate(at);
    }
}
