//! Issue 14: the heap that decoding one message takes, per wire byte, measured with a
//! counting allocator for the shapes that cost most per byte; and the budget
//! (`Limits::heap_per_byte`) that refuses a message needing more, with the path of the value
//! that crossed it. Go's figures for the same shapes: `go run ./cmd/gobmem` in go-interop.
// The counting allocator below is the only unsafe code: see its SAFETY comment.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use gob::{Decoder, ErrorKind, Interface, Limits, Type, Value};

/// Counts the bytes live on the heap and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's own arguments, so `System`'s
// guarantees are passed on unchanged; the counters are plain atomics and never affect the
// memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The tests share the counters: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Decodes the one value of `stream` and returns it with the peak heap the decode took
/// above what was live before, per byte of the value's message.
fn decode_measured(stream: &[u8], limits: Limits) -> (gob::Result<Value>, f64, usize) {
    let mut dec = Decoder::with_limits(limits);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let v = dec.decode_all::<Value>(stream).map(|mut v| v.remove(0));
    let peak = PEAK.load(Ordering::Relaxed) - before;
    (v, peak as f64 / stream.len() as f64, peak)
}

fn stream_of(v: &Value) -> Vec<u8> {
    gob::Encoder::new().encode(v).expect("encodes")
}

const N: usize = 1 << 20;

/// The shapes that cost most per wire byte, each a message of about a million elements.
fn shapes() -> Vec<(&'static str, Value, f64)> {
    let ints = Type::slice("", Type::Int);
    let empty_struct = Type::structure("T", vec![("A".into(), Type::Int)]);
    vec![
        // The case: one wire byte per nil interface.
        (
            "[]interface{} of nil",
            Value::new_slice(Type::interface_slice(), vec![Value::Nil; N]),
            24.0,
        ),
        (
            "[]bool",
            Value::new_slice(Type::slice("", Type::Bool), vec![Value::Bool(false); N]),
            24.0,
        ),
        (
            "[]int of small numbers",
            Value::new_slice(ints.clone(), vec![Value::Int(5); N]),
            24.0,
        ),
        (
            "[]string, empty",
            Value::new_slice(
                Type::slice("", Type::String),
                vec![Value::String("".into()); N],
            ),
            24.0,
        ),
        (
            "[]string of 24 bytes (inline)",
            Value::new_slice(
                Type::slice("", Type::String),
                vec![Value::String("abcdefghijklmnopqrstuvwx".into()); N / 8],
            ),
            24.0,
        ),
        (
            "[]string of 25 bytes (heap)",
            Value::new_slice(
                Type::slice("", Type::String),
                vec![Value::String("abcdefghijklmnopqrstuvwxy".into()); N / 8],
            ),
            24.0,
        ),
        (
            "map[string]interface{} of nil",
            Value::new_map(
                Type::string_interface_map(),
                (0..N / 4)
                    .map(|i| (Value::String(format!("{i:x}").into()), Value::Nil))
                    .collect(),
            ),
            24.0,
        ),
        (
            "[]interface{} of int64 (boxed)",
            Value::new_slice(
                Type::interface_slice(),
                vec![Value::from(Interface::from(7i64)); N / 8],
            ),
            24.0,
        ),
        // A composite that is empty on the wire: its slot and its box (24 + 40).
        (
            "[][]int, empty",
            Value::new_slice(
                Type::slice("", ints.clone()),
                vec![Value::new_slice(ints, vec![]); N],
            ),
            64.0,
        ),
        (
            "[]struct, zero",
            Value::new_slice(
                Type::slice("", empty_struct.clone()),
                vec![Value::new_struct(empty_struct, vec![]); N],
            ),
            64.0,
        ),
    ]
}

#[test]
fn a_value_is_24_bytes() {
    assert_eq!(std::mem::size_of::<Value>(), 24);
}

/// An interface holding a dynamic value: its one-pointer name and the value. (A
/// `map[string]interface{}` entry is then 56 bytes, and a 10-field map's table stays within
/// glibc's per-thread cache of freed blocks, at most 1,032 bytes.)
#[test]
fn an_interface_is_32_bytes() {
    assert_eq!(std::mem::size_of::<gob::Interface>(), 32);
    assert_eq!(std::mem::size_of::<gob::ConcreteName>(), 8);
}

/// Peak heap per wire byte of decoding each shape into `Value`s: at most 24 bytes for
/// leaves (nil interfaces, booleans, numbers, strings), 64 for empty composites, which is
/// what the default budget admits.
#[test]
fn peak_heap_per_wire_byte_is_bounded() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut table = String::new();
    for (name, v, bound) in shapes() {
        let stream = stream_of(&v);
        let (back, per_byte, peak) = decode_measured(&stream, Limits::default());
        assert_eq!(back.expect(name), v, "{name}");
        table += &format!(
            "{name:34} {:>10} wire bytes {:>12} peak heap bytes {per_byte:>6.2} per byte (bound {bound})\n",
            stream.len(),
            peak
        );
        assert!(
            per_byte <= bound,
            "{name}: {per_byte:.2} bytes per wire byte > {bound}"
        );
    }
    println!("{table}");
}

/// A budget below what a message needs refuses it with `MemoryBudget`, naming the budget and
/// the element that crossed it; the default budget admits the same message.
#[test]
fn a_message_beyond_its_budget_is_refused_with_the_path() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let ints = Type::slice("", Type::Int);
    let v = Value::new_slice(
        Type::slice("", ints.clone()),
        vec![Value::new_slice(ints, vec![]); 100_000],
    );
    let stream = stream_of(&v);
    let mut tight = Limits::default();
    tight.heap_per_byte = 32;
    tight.heap_allowance = 0;
    let (back, _, peak) = decode_measured(&stream, tight);
    let err = back.expect_err("over budget");
    let ErrorKind::MemoryBudget { budget, message } = err.kind() else {
        panic!("{err:?}")
    };
    assert!(
        *message > 100_000 && *message < stream.len() as u64,
        "{err}"
    );
    assert_eq!(*budget, message * 32);
    // Refused before the heap went far past the budget.
    assert!(
        peak as u64 <= budget + (1 << 16),
        "peak {peak} > budget {budget}"
    );
    let path = err.path();
    assert!(
        path.starts_with('[') && path.ends_with(']'),
        "path {path:?} in {err}"
    );
    assert!(err.to_string().contains("heap budget"), "{err}");

    let (back, _, _) = decode_measured(&stream, Limits::default());
    assert_eq!(back.expect("default budget"), v);
}

/// Typed destinations are charged too: zero structs (one wire byte each) decoded into a
/// Rust struct of 328 bytes are refused, not allocated; the same stream into a small struct
/// is decoded.
#[test]
fn typed_destinations_are_charged() {
    #[derive(gob::Gob, Debug, Default, Clone, PartialEq)]
    struct Small {
        a: i64,
    }
    #[derive(gob::Gob, Debug, Default, Clone, PartialEq)]
    struct Wide {
        a: i64,
        pad: [[u64; 20]; 2],
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let stream = gob::Encoder::new()
        .encode(&vec![Small::default(); 100_000])
        .expect("encodes");
    let err = Decoder::new()
        .decode_all::<Vec<Wide>>(&stream)
        .expect_err("328 bytes per wire byte");
    assert!(
        matches!(err.kind(), ErrorKind::MemoryBudget { .. }),
        "{err}"
    );
    let small = Decoder::new()
        .decode_all::<Vec<Small>>(&stream)
        .expect("8 bytes per wire byte");
    assert_eq!(small[0].len(), 100_000);
}
