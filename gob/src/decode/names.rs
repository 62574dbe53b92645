//! Interface names: the per-stream interning of the names read from the wire, each with
//! its registered decoder.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};

use crate::error::{Error, Result};
use crate::types::{ids, WireId, WireKind};
use crate::value::{Concrete, ConcreteName};

use super::dec::Dec;

/// An interface header: the interned name (with its registered decoder) and the wire id.
pub(super) type Header = (Name, WireId);

/// An interface name read from the stream: a slot of the stream's name table, or the name
/// itself once the table is full.
///
/// Two plain fields rather than an enum: the decoder's hot path passes a name between
/// inlined functions, and an enum with data was copied through memory as a blob, its
/// narrower stores reloaded by a wider load that the processor cannot forward (a stall per
/// interface value); the fields stay in registers.
pub(super) struct Name {
    /// The slot in the stream's name table (meaningless when `own` is set).
    slot: usize,
    /// The name and its registered decoder, when the table was full.
    own: Option<Box<(ConcreteName, Option<DecodeFn>)>>,
}

impl Name {
    /// The name in `slot` of the stream's table.
    #[inline]
    pub(super) fn in_slot(slot: usize) -> Name {
        Name { slot, own: None }
    }

    /// A name held here (the stream's table is full).
    pub(super) fn owned(name: ConcreteName, decode: Option<DecodeFn>) -> Name {
        Name {
            slot: usize::MAX,
            own: Some(Box::new((name, decode))),
        }
    }

    /// The name's slot in the stream's name table, if it has one.
    #[inline]
    pub(super) fn slot(&self) -> Option<usize> {
        match self.own {
            None => Some(self.slot),
            Some(_) => None,
        }
    }

    /// The name and its registered decoder, when held here.
    pub(super) fn own(&self) -> Option<&(ConcreteName, Option<DecodeFn>)> {
        self.own.as_deref()
    }

    /// The name and its registered decoder when held here, else the slot.
    pub(super) fn into_own(self) -> std::result::Result<(ConcreteName, Option<DecodeFn>), usize> {
        match self.own {
            Some(b) => Ok(*b),
            None => Err(self.slot),
        }
    }
}

/// An interned interface name with its registered decoder. `head` and `tail` are the first
/// and last eight bytes of the name (a name shorter than eight bytes is packed into `head`),
/// so that with the length they tell names of up to 16 bytes (every builtin name) apart
/// without a byte-wise compare.
pub(super) struct NameEntry {
    pub(super) len: usize,
    pub(super) head: u64,
    pub(super) tail: u64,
    pub(super) name: ConcreteName,
    pub(super) decode: Option<DecodeFn>,
    /// The last wire id this name came with, and whether the name is Go's default name for
    /// that type's values (a name nearly always comes with one id).
    pub(super) default_for: Option<(WireId, bool)>,
    /// What the name tells of its Go type ([`name_kind`]), worked out once per stream.
    pub(super) shape: Option<NameShape>,
    /// The builtin wire id whose values have this name as their default Go name
    /// ([`default_name_id`]), if any.
    pub(super) default_of: Option<WireId>,
}

/// The builtin wire id whose decoded values ([`crate::Value`]) have `name` as their default
/// Go name (`Value::default_go_name`): `bool`, `int`, `uint`, `float64`, `complex128`,
/// `string`, `[]uint8`.
pub(super) fn default_name_id(name: &str) -> Option<WireId> {
    Some(match name {
        "bool" => ids::BOOL,
        "int" => ids::INT,
        "uint" => ids::UINT,
        "float64" => ids::FLOAT,
        "complex128" => ids::COMPLEX,
        "string" => ids::STRING,
        "[]uint8" => ids::BYTES,
        _ => return None,
    })
}

impl NameEntry {
    /// The `head` and `tail` keys of a name: with the length they identify a name of up to
    /// 16 bytes (for four to eight bytes, `head` packs the first and the last four, which
    /// overlap or meet and so cover every byte).
    #[inline]
    pub(super) fn keys(raw: &[u8]) -> (u64, u64) {
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            u64::from_le_bytes(w)
        };
        let half = |b: &[u8]| {
            let mut w = [0u8; 4];
            w.copy_from_slice(b);
            u64::from(u32::from_le_bytes(w))
        };
        match raw.len() {
            8.. => (word(&raw[..8]), word(&raw[raw.len() - 8..])),
            4..=7 => (half(&raw[..4]) | half(&raw[raw.len() - 4..]) << 32, 0),
            _ => (raw.iter().fold(0, |a, &b| (a << 8) | u64::from(b)), 0),
        }
    }

    #[inline]
    pub(super) fn is(&self, raw: &[u8], head: u64, tail: u64) -> bool {
        self.len == raw.len()
            && self.head == head
            && self.tail == tail
            && (raw.len() <= 16 || self.name.as_bytes() == raw)
    }
}

/// The most names a stream's table holds (a stream uses few: Go's builtin names and the
/// types it registers); further names are looked up each time they come.
pub(super) const MAX_NAMES: usize = 64;

/// A stream's interned interface names, found by a small direct-mapped index on their keys
/// instead of a scan: an interface value's name is read for every value of a
/// `map[string]interface{}`, so this lookup is on the hottest path of JSON-shaped data.
pub(super) struct NameTable {
    entries: Vec<NameEntry>,
    /// Bucket (a hash of a name's keys) to slot + 1 of the last name that landed there; 0
    /// for none. A bucket shared by two names falls back to the scan.
    index: [u8; INDEX_BUCKETS],
}

const INDEX_BUCKETS: usize = 256;

impl Default for NameTable {
    fn default() -> Self {
        NameTable {
            entries: Vec::new(),
            index: [0; INDEX_BUCKETS],
        }
    }
}

impl NameTable {
    /// Two multiply rounds, the bucket from the top bits: Go's builtin names (`string`,
    /// `float64`, `bool`, `int64`, `time.Time`, `map[string]interface {}`, `[]interface {}`,
    /// ...) each get a bucket of their own, so JSON-shaped data never falls back to the scan.
    #[inline]
    fn bucket(len: usize, head: u64, tail: u64) -> usize {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let h = (head.wrapping_mul(K) ^ tail ^ len as u64).wrapping_mul(K);
        (h >> 56) as usize % INDEX_BUCKETS
    }

    /// The slot of `raw` (whose [`NameEntry::keys`] are `head`, `tail`), if interned.
    #[inline(always)]
    pub(super) fn find(&mut self, raw: &[u8], head: u64, tail: u64) -> Option<usize> {
        let b = Self::bucket(raw.len(), head, tail);
        let hint = usize::from(self.index[b]).wrapping_sub(1);
        if let Some(e) = self.entries.get(hint) {
            if e.is(raw, head, tail) {
                return Some(hint);
            }
        }
        let i = self.entries.iter().position(|e| e.is(raw, head, tail))?;
        self.index[b] = u8::try_from(i + 1).unwrap_or(0);
        Some(i)
    }

    /// True when no further name fits ([`MAX_NAMES`]).
    pub(super) fn is_full(&self) -> bool {
        self.entries.len() >= MAX_NAMES
    }

    /// Interns `e` (the table is not full); returns its slot.
    pub(super) fn push(&mut self, e: NameEntry) -> usize {
        let i = self.entries.len();
        // At most `MAX_NAMES` (64) entries: a slot + 1 fits the index's byte.
        self.index[Self::bucket(e.len, e.head, e.tail)] = u8::try_from(i + 1).unwrap_or(0);
        self.entries.push(e);
        i
    }

    pub(super) fn get(&self, slot: usize) -> Option<&NameEntry> {
        self.entries.get(slot)
    }

    pub(super) fn get_mut(&mut self, slot: usize) -> Option<&mut NameEntry> {
        self.entries.get_mut(slot)
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = &mut NameEntry> {
        self.entries.iter_mut()
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.index = [0; INDEX_BUCKETS];
    }
}

/// Decodes a registered concrete type from an interface payload.
pub(super) type DecodeFn = fn(&mut Dec<'_, '_>, WireId) -> Result<Box<dyn Concrete>>;

// The process-wide table behind `crate::register` lives here, below the registry's public
// front, so that the decoder's lookups do not import the module that imports the decoder.
struct Entry {
    rust: TypeId,
    decode: DecodeFn,
}

fn table() -> &'static RwLock<HashMap<String, Entry>> {
    static T: OnceLock<RwLock<HashMap<String, Entry>>> = OnceLock::new();
    T.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Registers `decode` for the Rust type `rust` under `name`. The same type twice is fine; a
/// different type under a taken name is an error (Go panics there).
pub(crate) fn register_decoder(name: &str, rust: TypeId, decode: DecodeFn) -> Result<()> {
    let mut t = table().write().unwrap_or_else(|p| p.into_inner());
    match t.get(name) {
        Some(e) if e.rust == rust => Ok(()),
        Some(_) => Err(Error::encode(format!(
            "gob: registering duplicate types for {name:?}"
        ))),
        None => {
            GENERATION.fetch_add(1, Ordering::Release);
            t.insert(name.to_string(), Entry { rust, decode });
            Ok(())
        }
    }
}

/// The decoder registered for a Go name.
pub(super) fn lookup(name: &str) -> Option<DecodeFn> {
    let t = table().read().unwrap_or_else(|p| p.into_inner());
    t.get(name).map(|e| e.decode)
}

/// Bumped by every new registration, so decoders can cache lookups.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The registry's generation: changes whenever a name is registered.
pub(super) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// What an interface name tells of the Go type registered under it (Go registers an unnamed
/// type under its type string, `gob.Register`): a map, a slice (not `[]uint8`, whose values
/// travel as the builtin bytes), an array (with its length) or `time.Time` (a
/// `GobDecoder`); pointers are their element type (Go's `userType`). Key and element types
/// are known where they are builtins (`map[string]int`, `[]interface {}`); other names (a
/// named Go type, whose kind the name does not tell) give `None`.
///
/// Kept small (16 bytes): it travels with every interface value decoded.
#[derive(Clone, Copy)]
pub(super) struct NameShape {
    pub(super) kind: WireKind,
    /// The key's and the element's builtin wire ids (0: not known from the name).
    key: u8,
    elem: u8,
    /// An array's length (-1: not an array).
    len: i64,
}

impl NameShape {
    /// The array length the name gives.
    pub(super) fn len(&self) -> Option<i64> {
        (self.len >= 0).then_some(self.len)
    }
    /// The key type the name gives, when a builtin.
    pub(super) fn key(&self) -> Option<WireId> {
        (self.key != 0).then_some(WireId::from(self.key))
    }
    /// The element type the name gives, when a builtin.
    pub(super) fn elem(&self) -> Option<WireId> {
        (self.elem != 0).then_some(WireId::from(self.elem))
    }
}

pub(super) fn name_kind(name: &str) -> Option<NameShape> {
    let base = name.trim_start_matches('*');
    let shape = |kind, len: Option<i64>, key: Option<u8>, elem: Option<u8>| {
        Some(NameShape {
            kind,
            len: len.unwrap_or(-1),
            key: key.unwrap_or(0),
            elem: elem.unwrap_or(0),
        })
    };
    if let Some(rest) = base.strip_prefix("map[") {
        // A builtin key has no brackets: the first `]` ends it.
        let (key, elem) = rest.split_once(']')?;
        return shape(WireKind::Map, None, builtin_id(key), builtin_id(elem));
    }
    if let Some(rest) = base.strip_prefix('[') {
        let (n, elem) = rest.split_once(']')?;
        if n.is_empty() {
            return (elem != "uint8" && elem != "byte")
                .then_some(())
                .and_then(|_| shape(WireKind::Slice, None, None, builtin_id(elem)));
        }
        return shape(
            WireKind::Array,
            Some(n.parse().ok()?),
            None,
            builtin_id(elem),
        );
    }
    (base == "time.Time")
        .then_some(())
        .and_then(|_| shape(WireKind::GobEncoder, None, None, None))
}

/// The wire id of the values of a builtin Go type's name.
fn builtin_id(name: &str) -> Option<u8> {
    let id = match name {
        "bool" => ids::BOOL,
        "int" | "int8" | "int16" | "int32" | "int64" => ids::INT,
        "uint" | "uint8" | "uint16" | "uint32" | "uint64" | "uintptr" => ids::UINT,
        "float32" | "float64" => ids::FLOAT,
        "[]uint8" => ids::BYTES,
        "string" => ids::STRING,
        "complex64" | "complex128" => ids::COMPLEX,
        "interface {}" => ids::INTERFACE,
        _ => return None,
    };
    u8::try_from(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> NameEntry {
        let (head, tail) = NameEntry::keys(name.as_bytes());
        NameEntry {
            len: name.len(),
            head,
            tail,
            name: ConcreteName::from(name),
            decode: None,
            default_for: None,
            shape: None,
            default_of: None,
        }
    }

    fn find(t: &mut NameTable, name: &str) -> Option<usize> {
        let (head, tail) = NameEntry::keys(name.as_bytes());
        t.find(name.as_bytes(), head, tail)
    }

    /// The names JSON-shaped Go data travels under never share an index bucket (the lookup
    /// of each is one probe).
    #[test]
    fn go_builtin_names_have_buckets_of_their_own() {
        let names = [
            "string",
            "float64",
            "bool",
            "int",
            "int64",
            "uint",
            "[]uint8",
            "complex128",
            "interface {}",
            "time.Time",
            "map[string]interface {}",
            "[]interface {}",
        ];
        let mut buckets: Vec<usize> = names
            .iter()
            .map(|n| {
                let (head, tail) = NameEntry::keys(n.as_bytes());
                NameTable::bucket(n.len(), head, tail)
            })
            .collect();
        buckets.sort_unstable();
        buckets.dedup();
        assert_eq!(buckets.len(), names.len());
    }

    /// Every name interned is found at its slot and no other name is, whatever the index's
    /// buckets share: names that differ in one byte at each position, in length only, and
    /// past 16 bytes (where the keys alone do not decide); more names than buckets.
    #[test]
    fn name_table_finds_each_name_and_only_it() {
        let mut names: Vec<String> = vec![
            "".into(),
            "a".into(),
            "ab".into(),
            "abc".into(),
            "bool".into(),
            "float64".into(),
            "time.Time".into(),
            "map[string]interface {}".into(),
            "map[string]interface {]".into(),
            "[]interface {}".into(),
        ];
        for len in [3, 5, 8, 12, 17, 30] {
            for at in 0..len {
                let mut b = vec![b'x'; len];
                b[at] = b'y';
                names.push(String::from_utf8(b).unwrap());
            }
        }
        let mut t = NameTable::default();
        let mut slots = Vec::new();
        for n in &names {
            if find(&mut t, n).is_some() {
                continue;
            }
            if t.is_full() {
                break;
            }
            slots.push((n.clone(), t.push(entry(n))));
        }
        assert_eq!(slots.len(), MAX_NAMES);
        // Twice: the second round reads the index as the first one left it.
        for _ in 0..2 {
            for (n, slot) in &slots {
                assert_eq!(find(&mut t, n), Some(*slot), "{n:?}");
            }
        }
        for n in ["abcd", "xxxxxxxxxxxxxxxxz", "map[string]interface{}", "c"] {
            assert_eq!(find(&mut t, n), None, "{n:?}");
        }
        t.clear();
        assert_eq!(find(&mut t, "bool"), None);
    }

    /// Kind, array length, key and element of a name's shape.
    type Parts = (WireKind, Option<i64>, Option<WireId>, Option<WireId>);

    fn parts(name: &str) -> Option<Parts> {
        name_kind(name).map(|s| (s.kind, s.len(), s.key(), s.elem()))
    }

    #[test]
    fn names_spell_go_kinds_as_gob_register_writes_them() {
        use WireKind::*;
        assert_eq!(
            parts("map[string]interface {}"),
            Some((Map, None, Some(ids::STRING), Some(ids::INTERFACE)))
        );
        assert_eq!(parts("map[[2]int]string"), Some((Map, None, None, None)));
        assert_eq!(
            parts("[]interface {}"),
            Some((Slice, None, None, Some(ids::INTERFACE)))
        );
        assert_eq!(parts("[]main.MyByte"), Some((Slice, None, None, None)));
        assert_eq!(
            parts("[][]uint8"),
            Some((Slice, None, None, Some(ids::BYTES)))
        );
        assert_eq!(
            parts("[3]uint8"),
            Some((Array, Some(3), None, Some(ids::UINT)))
        );
        assert_eq!(parts("*time.Time"), Some((GobEncoder, None, None, None)));
        // The builtin byte slice, named types and malformed names tell no kind.
        for name in [
            "[]uint8",
            "main.T",
            "*main.T",
            "string",
            "[x]int",
            "map[string",
        ] {
            assert!(parts(name).is_none(), "{name}");
        }
    }
}
