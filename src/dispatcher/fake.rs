//! [`FakeDispatcher`]: a port of tilores-plugin-fake-dispatcher v0.5.2 (`pkg.FakeDispatcher`).

use std::sync::Mutex;

use gob::{GoTime, Interface, Value};

use super::service::{CallContext, DispatchError, Dispatcher};
use super::types::*;

/// Slots of the fake's record ring (Go: `records [10]*api.Record`).
pub(crate) const FAKE_CAPACITY: usize = 10;

/// The error of the methods the fake does not implement (Disassemble, RemoveConnectionBan).
pub(crate) const NOT_IMPLEMENTED: &str = "not implemented for fake dispatcher";

/// What the fake does where the Go fake panics (and its plugin process dies): a search
/// without parameters while records are stored, or comparing two values of the same
/// uncomparable Go type (maps, slices).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PanicPolicy {
    /// Fail just that call with an error naming Go's panic; the fake keeps its records and
    /// keeps serving. The default: a library must not kill its host process.
    #[default]
    Error,
    /// Behave like the Go plugin: print Go's panic message to stderr and exit the process
    /// with status 2 (Go's exit status for an unrecovered panic). Only for a fake running as
    /// its own plugin process, where hosts then see the connection end as with Go.
    ExitProcess,
    /// Fail just that call with Go's panic text alone (e.g. `runtime error: invalid memory
    /// address or nil pointer dereference`): what tilotech/go-plugin's HTTP server answers
    /// (500) after recovering the Go fake v0.6.0's panic (`fmt.Errorf("%v", r)`).
    Recovered,
}

#[derive(Debug, Default)]
struct Ring {
    slots: [Option<Record>; FAKE_CAPACITY],
    /// Next slot to write (Go: `index`).
    next: usize,
    /// Filled slots (Go: `length`, at most 10).
    len: usize,
}

/// Frees a large value on a blocking-pool thread when inside a Tokio runtime (else here).
fn drop_in_background<T: Send + 'static>(value: T) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn_blocking(move || drop(value));
        }
        Err(_) => drop(value),
    }
}

/// The fake dispatcher of tilores-plugin-fake-dispatcher v0.5.2:
///
/// - **Submit** stores each record in a ring of 10 slots (the 11th overwrites
///   slot 0) and reports `RecordsAdded` = the number of input records.
/// - **Entity** returns an entity with the requested id and the stored records in slot
///   order (not insertion order once wrapped), no edges, empty (non-nil) duplicates and hits.
/// - **Search** returns one entity with a fresh random UUID v4 id holding every stored record
///   (slot order) for which *any* parameter equals the record's value under that key with
///   Go's interface equality (same dynamic type and equal value; a missing key is nil, so a
///   nil parameter matches records lacking the key); no match → no entities.
/// - **Disassemble** and **RemoveConnectionBan** fail with `not implemented for fake
///   dispatcher`.
///
/// Differences from Go: the state is behind a mutex (Go's fake races under concurrent
/// calls); parameters are tried in key order (Go's map order is random, which only matters
/// for which of several panicking/matching parameters is met first); where Go panics see
/// [`PanicPolicy`].
#[derive(Debug, Default)]
pub struct FakeDispatcher {
    ring: Mutex<Ring>,
    on_panic: PanicPolicy,
}

impl FakeDispatcher {
    /// An empty fake that reports Go's panics as errors.
    pub fn new() -> FakeDispatcher {
        FakeDispatcher::default()
    }

    /// An empty fake with the given behaviour where Go panics.
    pub fn with_panic_policy(on_panic: PanicPolicy) -> FakeDispatcher {
        FakeDispatcher {
            ring: Mutex::default(),
            on_panic,
        }
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        // A panic while holding the lock cannot leave the ring inconsistent (every update
        // is a single assignment), so a poisoned lock is still usable.
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn go_panic(&self, message: &str) -> DispatchError {
        match self.on_panic {
            PanicPolicy::Error => {
                DispatchError::new(format!("fake dispatcher: Go panics here: {message}"))
            }
            PanicPolicy::Recovered => DispatchError::new(message),
            PanicPolicy::ExitProcess => {
                eprintln!("panic: {message}\n\ngoroutine 1 [running]:");
                std::process::exit(2);
            }
        }
    }

    fn stored(&self) -> Vec<Record> {
        let ring = self.ring();
        ring.slots[..ring.len].iter().flatten().cloned().collect()
    }

    fn empty_entity(id: String, records: Vec<Record>) -> Entity {
        Entity {
            id,
            records,
            edges: Edges::default(),
            duplicates: Some(Duplicates::default()),
            hits: Some(Hits::default()),
        }
    }
}

impl Dispatcher for FakeDispatcher {
    async fn entity(
        &self,
        _call: CallContext,
        input: EntityInput,
    ) -> Result<EntityOutput, DispatchError> {
        Ok(EntityOutput {
            entity: Some(FakeDispatcher::empty_entity(input.id, self.stored())),
        })
    }

    async fn submit(
        &self,
        call: CallContext,
        input: SubmitInput,
    ) -> Result<SubmitOutput, DispatchError> {
        let sent = input.records.len();
        self.submit_tail(call, input, sent).await
    }

    /// Only the last 10 records of a submit survive the ring, so the server
    /// need not keep the others (see [`Dispatcher::SUBMIT_KEEPS_LAST`]).
    const SUBMIT_KEEPS_LAST: Option<usize> = Some(FAKE_CAPACITY);

    async fn submit_tail(
        &self,
        _call: CallContext,
        input: SubmitInput,
        sent: usize,
    ) -> Result<SubmitOutput, DispatchError> {
        debug_assert!(sent >= input.records.len(), "more records than were sent");
        let mut records = input.records;
        // Storing only the last FAKE_CAPACITY records gives the same slots. Over RPC the
        // server already dropped the others while decoding; a direct call with many records
        // frees them (and the records they overwrite) off the reply path: freeing a
        // 10,000-record submit took about half of the call's time.
        let kept = records.split_off(records.len().saturating_sub(FAKE_CAPACITY));
        let mut replaced = Vec::with_capacity(kept.len());
        {
            let mut ring = self.ring();
            let skipped = sent.saturating_sub(kept.len());
            ring.next = (ring.next + skipped) % FAKE_CAPACITY;
            ring.len = (ring.len + skipped).min(FAKE_CAPACITY);
            for mut record in kept {
                // Entity and Search answer with clones of what is stored (Go answers with
                // pointers to it): shared values make those clones reference counts.
                for value in record.data.iter_mut().flat_map(|data| data.values_mut()) {
                    *value = std::mem::take(value).into_shared();
                }
                let at = ring.next;
                replaced.push(ring.slots[at].replace(record));
                ring.next = (at + 1) % FAKE_CAPACITY;
                ring.len = (ring.len + 1).min(FAKE_CAPACITY);
            }
        }
        if !records.is_empty() {
            drop_in_background((records, replaced));
        }
        Ok(SubmitOutput {
            records_added: i64::try_from(sent).unwrap_or(i64::MAX),
        })
    }

    async fn search(
        &self,
        _call: CallContext,
        input: SearchInput,
    ) -> Result<SearchOutput, DispatchError> {
        let stored = self.stored();
        let mut matching = Vec::new();
        for record in stored {
            let Some(params) = &input.parameters else {
                // Go dereferences the nil *SearchParameters for the first stored record.
                return Err(self
                    .go_panic("runtime error: invalid memory address or nil pointer dereference"));
            };
            let mut hit = false;
            for (key, want) in &params.0 {
                let nil = Interface::nil();
                let have = record
                    .data
                    .as_ref()
                    .and_then(|d| d.get(key))
                    .unwrap_or(&nil);
                match go_equal(have, want) {
                    Ok(true) => {
                        hit = true;
                        break;
                    }
                    Ok(false) => {}
                    Err(go_type) => {
                        return Err(self.go_panic(&format!(
                            "runtime error: comparing uncomparable type {go_type}"
                        )))
                    }
                }
            }
            if hit {
                matching.push(record);
            }
        }
        if matching.is_empty() {
            return Ok(SearchOutput::default());
        }
        Ok(SearchOutput {
            entities: vec![FakeDispatcher::empty_entity(uuid_v4(), matching)],
        })
    }

    async fn disassemble(
        &self,
        _call: CallContext,
        _input: DisassembleInput,
    ) -> Result<DisassembleOutput, DispatchError> {
        Err(DispatchError::new(NOT_IMPLEMENTED))
    }

    async fn remove_connection_ban(
        &self,
        _call: CallContext,
        _input: RemoveConnectionBanInput,
    ) -> Result<(), DispatchError> {
        Err(DispatchError::new(NOT_IMPLEMENTED))
    }
}

/// Go's `==` on two `interface{}` values: equal when both are nil, or the dynamic types are
/// identical and the values equal. `Err(type)` where Go panics: identical types that are not
/// comparable (maps, slices, `[]byte`).
pub(crate) fn go_equal(a: &Interface, b: &Interface) -> Result<bool, String> {
    let (Some(na), Some(nb)) = (a.name(), b.name()) else {
        return Ok(a.is_nil() && b.is_nil());
    };
    if na != nb {
        return Ok(false);
    }
    // Pointers compare by address; two decoded values never share one.
    if na.starts_with('*') {
        return Ok(false);
    }
    if na == "time.Time" {
        return Ok(match (time_of(a), time_of(b)) {
            // Go compares time.Time structs field by field, Location pointer included. After
            // gob (`Time.UnmarshalBinary`) a UTC time has no location, a time at Local's
            // offset for its instant has `time.Local`, any other one `FixedZone("", offset)`,
            // which since Go 1.21 is one shared location per whole hour from -12 to +14
            // (found by the random Go-typed records, tests/dispatcher_gotypes.rs) and a
            // fresh one otherwise.
            (Some(x), Some(y)) => {
                x == y
                    && x.offset.is_none_or(|off| {
                        (off % 3600 == 0 && (-12..=14).contains(&(off / 3600)))
                            || super::golocal::offset_at(x.unix_secs) == Some(off)
                    })
            }
            _ => false,
        });
    }
    match (a.value(), b.value()) {
        (Some(x), Some(y)) => value_equal(x, y, na),
        _ => Ok(a == b),
    }
}

fn time_of(i: &Interface) -> Option<GoTime> {
    if let Some(t) = i.downcast_ref::<GoTime>() {
        return Some(*t);
    }
    match i.value() {
        Some(Value::Marshaled(c)) => GoTime::unmarshal_binary(&c.items).ok(),
        _ => None,
    }
}

/// Go's `==` on two array elements; `interface` says whether the element type is
/// `interface{}`, where an element is bare under its default name or a `Value::Interface`
/// (see `gob::Value`) and compares as the interface value it stands for.
fn element_equal(p: &Value, q: &Value, interface: bool, go_type: &str) -> Result<bool, String> {
    if !interface {
        return value_equal(p, q, go_type);
    }
    match (p, q) {
        (Value::Interface(x), Value::Interface(y)) => go_equal(x, y),
        (Value::Interface(x), Value::Nil) | (Value::Nil, Value::Interface(x)) => Ok(x.is_nil()),
        (Value::Interface(x), bare) | (bare, Value::Interface(x)) => {
            let name = bare.default_go_name();
            match x.value() {
                Some(v) if x.name() == Some(&*name) => value_equal(v, bare, &name),
                _ => Ok(false),
            }
        }
        (x, y) => {
            let name = x.default_go_name();
            if name != y.default_go_name() {
                return Ok(false);
            }
            value_equal(x, y, &name)
        }
    }
}

fn value_equal(a: &Value, b: &Value, go_type: &str) -> Result<bool, String> {
    match (a, b) {
        (Value::Slice(..), _) | (Value::Map(..), _) | (Value::Bytes(_), _) => {
            Err(go_type.to_string())
        }
        (Value::Array(a), Value::Array(b)) => {
            let (x, y) = (&a.items, &b.items);
            if x.len() != y.len() {
                return Ok(false);
            }
            let (_, interface) = a.ty.interface_positions();
            for (p, q) in x.iter().zip(y) {
                if !element_equal(p, q, interface, go_type)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Value::Interface(x), Value::Interface(y)) => go_equal(x, y),
        (Value::String(x), Value::RawString(y)) | (Value::RawString(y), Value::String(x)) => {
            Ok(x.as_bytes() == &y[..])
        }
        // Floats compare by value (NaN != NaN, 0 == -0), as `PartialEq` on f64 does.
        _ => Ok(a == b),
    }
}

/// A random (version 4) UUID in Go's `uuid.New().String()` form. Reads the kernel's random
/// source; if that is unavailable, falls back to std's randomly keyed SipHash, which is
/// unpredictable enough for ids of a fake.
pub(crate) fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    if !read_urandom(&mut b) {
        use std::hash::{BuildHasher, Hasher};
        for (i, chunk) in b.chunks_mut(8).enumerate() {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_usize(i);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos(),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn read_urandom(buf: &mut [u8]) -> bool {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::uuid_v4;

    /// Go's `uuid.New().String()`: 8-4-4-4-12 lower-case hex, version nibble 4, variant bits
    /// `10` (RFC 4122), and fresh randomness on every call.
    #[test]
    fn uuid_v4_has_the_version_and_variant_bits_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let u = uuid_v4();
            let b = u.as_bytes();
            assert_eq!(b.len(), 36, "{u}");
            for (i, c) in b.iter().enumerate() {
                if [8, 13, 18, 23].contains(&i) {
                    assert_eq!(*c, b'-', "{u}");
                } else {
                    assert!(matches!(c, b'0'..=b'9' | b'a'..=b'f'), "{u}");
                }
            }
            assert_eq!(b[14], b'4', "version nibble of {u}");
            assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "variant of {u}");
            assert!(seen.insert(u.clone()), "{u} repeated");
        }
        // The 122 random bits are all used: every hex position other than the fixed version
        // nibble takes more than one value over 1000 ids.
        let ids: Vec<&String> = seen.iter().collect();
        for i in (0..36).filter(|i| ![8, 13, 14, 18, 23].contains(i)) {
            let values: std::collections::HashSet<u8> =
                ids.iter().map(|u| u.as_bytes()[i]).collect();
            assert!(values.len() > 1, "position {i} never changes");
        }
    }
}
