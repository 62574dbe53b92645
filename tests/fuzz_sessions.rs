//! Seeded mutated sessions against our provider and our host: what the hostile-peer suites
//! (`hostile_host.rs`, `hostile_plugin.rs`) do with cases we thought of, done here with
//! random ones.
//!
//! **Provider side**: per seed, a valid session as a Go host sends it (yamux SYNs, pings and
//! window updates; on the control stream `Control.Ping` and `Dispenser.Dispense`; the broker
//! stream dialed with its id; `Plugin.Entity`, `Submit`, `Search`, `Disassemble`,
//! `RemoveConnectionBan` calls with gob bodies encoded as Go's client encodes them), then
//! 1..=N seeded mutations (`examples/support/sessfuzz.rs`: gob lengths, type ids and counts
//! replaced by boundary values; frame fields replaced, frames duplicated, dropped, swapped;
//! bits flipped, bytes inserted, deleted, duplicated; a cut), written in random chunks with
//! short pauses to our fake dispatcher and to Go's (tilores-plugin-fake-dispatcher v0.5.2),
//! each on a fresh connection. Checked per seed: our provider answers or ends the connection
//! within 5 s of our side closing it, never panics and stays alive (unless Go's fake ended
//! too, where both end the process on purpose), stays under 256 MiB; a good host connected
//! during the hostile session and one connected after it get correct answers; and for every
//! net/rpc call both providers answered, the answers agree (error vs success, and equal
//! results).
//!
//! **Host side**: per seed, `examples/hostile_plugin.rs` with `HOSTILE_FUZZ_SEED` mutates its
//! handshake line or the frames of its valid session to our host; every start, dispense and
//! call ends within its limit with a typed error or the right answer (a wrong answer only
//! where a reply's body was mutated), nothing panics, `kill` ends the plugin, the host stays
//! within its memory bound.
//!
//! CI runs 24 fixed seeds each side; `SESSFUZZ_SEED` (first seed), `SESSFUZZ_SEEDS`
//! (provider seeds), `SESSFUZZ_HOST_SEEDS` (host seeds) and `SESSFUZZ_MUTATIONS` (most
//! mutations per seed; default 4 for the provider side, 3 for the host side) run a soak
//! (`cargo build --examples` first: `cargo test --test` does not rebuild `hostile_plugin`);
//! `SESSFUZZ_VERBOSE=1` prints each seed, `SESSFUZZ_DUMP=1` its frames. A failing seed
//! prints itself, its mutations and the command that repeats it.
//!
//! The differences from Go that a seed may show and that are kept on purpose are listed at
//! [`answered_by_go_only`]; the request bodies the fuzzer found us answering unlike Go are
//! pinned by [`request_bodies_the_fuzzer_found_are_answered_as_go_does`].

mod common;
use common::hostile::request;

#[path = "../examples/support/yamux_raw.rs"]
mod raw;
#[path = "common/seeded.rs"]
#[allow(dead_code)]
mod seeded;
#[path = "../examples/support/sessfuzz.rs"]
mod sessfuzz;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sessfuzz::{Frame, Mutator};
use tilores_plugin::dispatcher::{
    self, CallContext, DisassembleInput, Dispatcher, DispatcherClient, EntityInput, InterfaceMap,
    Record, RemoveConnectionBanInput, SearchInput, SearchParameters, SubmitInput,
};
use tilores_plugin::gob::{Decoder, Encoder, GoTime, Interface, Step, Value, GO_MAX_MESSAGE};
use tilores_plugin::plugin::{
    launch, ClientConfig, LaunchConfig, PluginAddr, PluginClient, PluginCommand, PluginProcess,
    ReattachConfig,
};
use tilores_plugin::rpc::Request;
use tilores_plugin_test_support as support;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;

const SEC: Duration = Duration::from_secs(1);

// ------------------------------------------------------------------- the valid session

/// A record of the seed's small vocabulary (so searches match some of them).
fn record(rng: &mut seeded::Rng) -> Record {
    let mut data = InterfaceMap::new();
    data.insert(
        "name".into(),
        Interface::from_value(Value::String(
            ["ann", "bob", "cy"][rng.below_usize(3)].into(),
        )),
    );
    if rng.below(2) == 0 {
        data.insert(
            "n".into(),
            Interface::from_value(Value::Int(rng.below(4) as i64)),
        );
    }
    Record::new(format!("r{}", rng.below(100)), data)
}

/// A dispatcher call's `map[string]interface{}` as tilores-plugin-api v0.6.0's client sends
/// it: `input`, and `deadline` when the call has one.
fn dispatcher_call(rng: &mut seeded::Rng) -> (&'static str, InterfaceMap) {
    let mut args = InterfaceMap::new();
    let method = match rng.below(6) {
        0 | 1 => {
            let input = EntityInput {
                id: format!("e-{}", rng.below(1000)),
            };
            args.insert("input".into(), Interface::from_concrete(input));
            "Plugin.Entity"
        }
        2 => {
            let records = (0..1 + rng.below(3)).map(|_| record(rng)).collect();
            args.insert(
                "input".into(),
                Interface::from_concrete(SubmitInput { records }),
            );
            "Plugin.Submit"
        }
        3 => {
            // Always with parameters: Go's fake panics (and ours ends its process) on a
            // search without them once records are stored.
            let mut p = InterfaceMap::new();
            p.insert(
                "name".into(),
                Interface::from_value(Value::String(
                    ["ann", "bob", "zed"][rng.below_usize(3)].into(),
                )),
            );
            let input = SearchInput {
                parameters: Some(SearchParameters(p)),
            };
            args.insert("input".into(), Interface::from_concrete(input));
            "Plugin.Search"
        }
        4 => {
            args.insert(
                "input".into(),
                Interface::from_concrete(DisassembleInput::default()),
            );
            "Plugin.Disassemble"
        }
        _ => {
            args.insert(
                "input".into(),
                Interface::from_concrete(RemoveConnectionBanInput::default()),
            );
            "Plugin.RemoveConnectionBan"
        }
    };
    if rng.below(2) == 0 {
        // An hour ahead: neither fake looks at it, but it is part of the real traffic.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        args.insert(
            "deadline".into(),
            Interface::from_concrete(GoTime::from_unix(now + 3600, 0)),
        );
    }
    (method, args)
}

/// Splits one stream's bytes into 1..=3 data frames.
fn chop(rng: &mut seeded::Rng, stream: u32, b: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut rest = b;
    let pieces = 1 + rng.below_usize(3);
    for i in 0..pieces {
        if rest.is_empty() {
            break;
        }
        let n = if i + 1 == pieces {
            rest.len()
        } else {
            1 + rng.below_usize(rest.len())
        };
        frames.push(Frame::data(0, stream, rest[..n].to_vec()));
        rest = &rest[n..];
    }
    frames
}

/// One seed's session: the valid frames a Go host sends, mutated; the bytes, in chunks.
struct Session {
    chunks: Vec<(Vec<u8>, Duration)>,
    log: Vec<String>,
    calls: usize,
    /// A `Submit` among the calls: see [`differ`].
    submits: bool,
    /// A mutation broke the yamux layer (not only gob bodies).
    framing_mutated: bool,
    /// A frame opens and resets a stream at once: see [`answered_by_go_only`].
    syn_rst: bool,
    /// The stream of a data frame cut off by the end of the session: see
    /// [`answered_by_go_only`].
    cut_stream: Option<u32>,
    /// Streams with a gob message claiming more than our limit and less than Go's: see
    /// [`answered_by_go_only`].
    big_claims: Vec<u32>,
}

/// The broker stream a Go host dials for the first `Dispense` of a connection: go-plugin's
/// `MuxBroker.NextId` starts at 1 on each connection, and the dialer writes the id as a
/// little-endian uint32 (`binary.Write(conn, binary.LittleEndian, id)`, mux_broker.go).
const BROKER_STREAM: u32 = 7;

fn session(seed: u64, max_mutations: u64) -> Session {
    let mut rng = seeded::Rng(seed);
    let mut m = Mutator::new(seeded::mix64(seed ^ 0x5E55));
    // Control stream: Ping, Dispense. Broker stream: 1..=6 dispatcher calls.
    let mut control_enc = Encoder::new();
    let mut control = Vec::new();
    let mut seq = 0;
    if rng.below(2) == 0 {
        control.extend(request(&mut control_enc, "Control.Ping", seq, &true));
        seq += 1;
    }
    control.extend(request(
        &mut control_enc,
        "Dispenser.Dispense",
        seq,
        dispatcher::PLUGIN_NAME,
    ));
    let mut broker_enc = Encoder::new();
    let mut broker = Vec::new();
    let calls = 1 + rng.below_usize(6);
    let mut submits = false;
    for seq in 0..calls {
        let (method, args) = dispatcher_call(&mut rng);
        submits |= method == "Plugin.Submit";
        broker.extend(request(&mut broker_enc, method, seq as u64, &args));
    }
    if std::env::var_os("SESSFUZZ_DUMP").is_some() {
        for (name, b) in [("control", &control), ("broker", &broker)] {
            for (start, _, end) in sessfuzz::messages(b) {
                eprintln!("{name} message {start}..{end}: {:02x?}", &b[start..end]);
            }
        }
    }
    let mutations = 1 + rng.below(max_mutations.max(1));
    // Which layer each mutation hits: 0 gob, 1 frames, 2 bytes, 3 a cut.
    let layers: Vec<u64> = (0..mutations)
        .map(|_| [0, 0, 0, 1, 1, 1, 2, 2, 2, 3][rng.below_usize(10)])
        .collect();
    for _ in layers.iter().filter(|l| **l == 0) {
        if rng.below(3) == 0 {
            m.gob("control stream", &mut control);
        } else {
            m.gob("broker stream", &mut broker);
        }
    }
    let mut frames: Vec<Frame> = [1, 3, 5]
        .iter()
        .map(|id| Frame::new(raw::WINDOW_UPDATE, raw::SYN, *id, 0, Vec::new()))
        .collect();
    if rng.below(3) == 0 {
        frames.push(Frame::new(
            raw::PING,
            raw::SYN,
            0,
            rng.below(1000) as u32,
            Vec::new(),
        ));
    }
    frames.extend(chop(&mut rng, 1, &control));
    frames.push(Frame::new(
        raw::WINDOW_UPDATE,
        raw::SYN,
        BROKER_STREAM,
        0,
        Vec::new(),
    ));
    frames.push(Frame::data(0, BROKER_STREAM, 1u32.to_le_bytes().to_vec()));
    if rng.below(3) == 0 {
        // A window update as Go's reader sends after consuming a reply.
        frames.push(Frame::new(
            raw::WINDOW_UPDATE,
            0,
            BROKER_STREAM,
            rng.below(4096) as u32,
            Vec::new(),
        ));
    }
    frames.extend(chop(&mut rng, BROKER_STREAM, &broker));
    if rng.below(4) == 0 {
        frames.push(Frame::new(
            raw::DATA,
            raw::FIN,
            BROKER_STREAM,
            0,
            Vec::new(),
        ));
    }
    for _ in layers.iter().filter(|l| **l == 1) {
        m.frames(&mut frames);
    }
    let mut bytes: Vec<u8> = frames.iter().flat_map(Frame::bytes).collect();
    for _ in layers.iter().filter(|l| **l == 2) {
        m.bytes("wire", &mut bytes);
    }
    if layers.contains(&3) {
        m.truncate("wire", &mut bytes);
    }
    if std::env::var_os("SESSFUZZ_DUMP").is_some() {
        dump(&bytes);
    }
    let syn_rst = headers(&bytes).iter().any(|f| {
        f.kind() <= raw::WINDOW_UPDATE && f.flags() & (raw::SYN | raw::RST) == raw::SYN | raw::RST
    });
    let mut chunks = Vec::new();
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        let n = (1 + rng.below_usize(4096)).min(rest.len());
        let pause = if rng.below(4) == 0 {
            Duration::from_millis(rng.below(4))
        } else {
            Duration::ZERO
        };
        chunks.push((rest[..n].to_vec(), pause));
        rest = &rest[n..];
    }
    Session {
        chunks,
        log: m.log.clone(),
        calls,
        submits,
        framing_mutated: layers.iter().any(|l| *l != 0),
        syn_rst,
        cut_stream: cut_data_frame(&bytes),
        big_claims: m
            .log
            .iter()
            .filter_map(|l| {
                let (what, rest) = l.split_once(": message at ")?;
                let v: u64 = rest.split_once(" -> ")?.1.split(' ').next()?.parse().ok()?;
                let stream = if what == "control stream" {
                    1
                } else {
                    BROKER_STREAM
                };
                let ours = tilores_plugin::rpc::DEFAULT_MAX_MESSAGE;
                (rest.contains("gob length") && v >= ours && v < GO_MAX_MESSAGE).then_some(stream)
            })
            .collect(),
    }
}

/// The frame headers of a byte stream as a yamux reader parses them (bodies skipped).
fn headers(mut b: &[u8]) -> Vec<raw::Frame> {
    let mut out = Vec::new();
    while b.len() >= raw::HEADER {
        let f = raw::Frame {
            header: b[..raw::HEADER].try_into().expect("header"),
            body: Vec::new(),
        };
        let body = if f.kind() == raw::DATA {
            f.length() as usize
        } else {
            0
        };
        b = &b[(raw::HEADER + body).min(b.len())..];
        out.push(f);
    }
    out
}

/// The stream of the last data frame when the bytes end inside its body.
fn cut_data_frame(mut b: &[u8]) -> Option<u32> {
    while b.len() >= raw::HEADER {
        let stream = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
        let len = u32::from_be_bytes([b[8], b[9], b[10], b[11]]) as usize;
        let body = if b[1] == raw::DATA { len } else { 0 };
        if raw::HEADER + body > b.len() {
            return Some(stream);
        }
        b = &b[raw::HEADER + body..];
    }
    None
}

/// Prints the frame headers of a byte stream.
fn dump(b: &[u8]) {
    for f in headers(b) {
        eprintln!(
            "frame v{} type {} flags {:#x} stream {} length {}",
            f.header[0],
            f.kind(),
            f.flags(),
            f.stream(),
            f.length()
        );
    }
}

// ------------------------------------------------------------------- one run

/// A reply: the error text, or the result as typed JSON with random ids masked.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Error(String),
    Result(String),
}

/// Replies of one stream, read as they come.
#[derive(Default)]
struct Replies {
    /// The broker's acknowledgement (id 1, little-endian) may come first: a dialed stream.
    /// (Not always the broker's: a session whose SYNs were reordered has its control
    /// stream there, whose replies start with a type definition.)
    ack_first: bool,
    data: Vec<u8>,
    dec: Decoder,
    /// Seq and error of the reply whose body comes next.
    header: Option<(u64, String)>,
    /// Why the replies could not be read on (then nothing more is read).
    broken: Option<String>,
}

impl Replies {
    fn push(&mut self, body: &[u8], out: &mut Vec<(u64, Outcome)>) {
        if self.broken.is_some() {
            return;
        }
        self.data.extend_from_slice(body);
        if self.ack_first {
            if self.data.len() < 4 {
                return;
            }
            self.ack_first = false;
            if self.data[..4] == 1u32.to_le_bytes() {
                self.data.drain(..4);
            }
        }
        loop {
            if self.header.is_none() {
                // As a Value: Go echoes a request's ServiceMethod, which may hold any bytes
                // (a Go string), and its error texts quote it.
                match self.dec.decode_next::<Value>(&self.data, false) {
                    Ok(Step::Value { value, used }) => {
                        self.data.drain(..used);
                        self.header = Some(reply_header(&value));
                    }
                    Ok(_) => return,
                    Err(e) => {
                        self.broken = Some(format!("a reply header: {e}"));
                        return;
                    }
                }
            }
            match self.dec.decode_next::<Value>(&self.data, false) {
                Ok(Step::Value { value, used }) => {
                    self.data.drain(..used);
                    let Some((seq, error)) = self.header.take() else {
                        return;
                    };
                    let outcome = if error.is_empty() {
                        let json = tilores_plugin::gob::json::to_typed_json(&value);
                        Outcome::Result(support::mask(&json["value"].to_string()))
                    } else {
                        Outcome::Error(error)
                    };
                    out.push((seq, outcome));
                }
                Ok(_) => return,
                Err(e) => {
                    self.broken = Some(format!("a reply body: {e}"));
                    return;
                }
            }
        }
    }
}

/// `Seq` and `Error` of an `rpc.Response` decoded as a Value.
fn reply_header(v: &Value) -> (u64, String) {
    let seq = match v.field("Seq") {
        Some(Value::Uint(n)) => *n,
        None => 0,
        other => panic!("a reply header with Seq {other:?}"),
    };
    let error = match v.field("Error") {
        Some(Value::String(s)) => s.to_string(),
        Some(Value::RawString(b)) => String::from_utf8_lossy(b).into_owned(),
        None => String::new(),
        other => panic!("a reply header with Error {other:?}"),
    };
    (seq, error)
}

/// What one provider did with one session.
#[derive(Debug, Default)]
struct Run {
    /// Replies by (stream, seq), in order.
    replies: BTreeMap<(u32, u64), Vec<Outcome>>,
    /// Streams whose replies could not be decoded, and why.
    undecodable: Vec<(u32, String)>,
    /// The provider ended the connection before we closed our side.
    closed_first: bool,
    /// From our side's close (write half) to the provider's end of the connection.
    close_took: Duration,
}

/// Sends the session on a fresh connection to `path`, reads until the provider is quiet for
/// 150 ms (or 3 s have passed, or it ended the connection), closes our side and waits at most
/// 5 s for the provider to end the connection.
async fn run(path: &Path, s: &Session) -> Result<Run, String> {
    run_quiet(path, s, Duration::from_millis(150)).await
}

/// [`run`], waiting for `quiet` without a frame before closing our side.
async fn run_quiet(path: &Path, s: &Session, quiet: Duration) -> Result<Run, String> {
    let sock = UnixStream::connect(path)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut rd, mut wr) = sock.into_split();
    let last = Arc::new(Mutex::new(Instant::now()));
    let reader = tokio::spawn({
        let last = last.clone();
        async move {
            let mut streams: BTreeMap<u32, Replies> = BTreeMap::new();
            let mut out = BTreeMap::<(u32, u64), Vec<Outcome>>::new();
            while let Ok(Some(f)) = raw::read_frame(&mut rd, 16 << 20).await {
                *last.lock().expect("lock") = Instant::now();
                if f.kind() == raw::DATA && !f.body.is_empty() && f.stream() != 3 && f.stream() != 5
                {
                    let mut got = Vec::new();
                    streams
                        .entry(f.stream())
                        .or_insert_with(|| Replies {
                            // The acceptor's `binary.Write(c, binary.LittleEndian, id)`
                            // (MuxBroker.Accept) before the replies on a dialed stream.
                            ack_first: f.stream() == BROKER_STREAM,
                            ..Replies::default()
                        })
                        .push(&f.body, &mut got);
                    if std::env::var_os("SESSFUZZ_DUMP").is_some() {
                        eprintln!("reply frame on {}: {:02x?}", f.stream(), &f.body);
                    }
                    for (seq, o) in got {
                        out.entry((f.stream(), seq)).or_default().push(o);
                    }
                }
            }
            let broken = streams
                .into_iter()
                .filter_map(|(id, r)| Some((id, r.broken?)))
                .collect::<Vec<_>>();
            (out, broken)
        }
    });
    for (chunk, pause) in &s.chunks {
        if wr.write_all(chunk).await.is_err() {
            break;
        }
        if !pause.is_zero() {
            tokio::time::sleep(*pause).await;
        }
    }
    let sent = Instant::now();
    *last.lock().expect("lock") = sent;
    while !reader.is_finished()
        && sent.elapsed() < 3 * SEC
        && last.lock().expect("lock").elapsed() < quiet
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let closed_first = reader.is_finished();
    let _ = wr.shutdown().await;
    let closing = Instant::now();
    let (replies, undecodable) = tokio::time::timeout(5 * SEC, reader)
        .await
        .map_err(|_| "the connection is still open 5 s after our side closed it".to_string())?
        .map_err(|e| format!("reader: {e}"))?;
    Ok(Run {
        replies,
        undecodable,
        closed_first,
        close_took: closing.elapsed(),
    })
}

// ------------------------------------------------------------------- providers

struct Provider {
    process: PluginProcess,
    path: PathBuf,
    stderr: support::SharedBytes,
}

async fn provider(program: &Path) -> Provider {
    let stderr = support::SharedBytes::default();
    let mut config = LaunchConfig::new(dispatcher::handshake());
    config.stderr = Some(Box::new(stderr.clone()));
    let process = launch(PluginCommand::new(program), config)
        .await
        .expect("launch the provider");
    let PluginAddr::Unix(path) = process.handshake().address.clone() else {
        panic!("unix socket expected")
    };
    Provider {
        process,
        path,
        stderr,
    }
}

/// A good host's dispatcher on a connection of its own.
async fn good_host(rc: &ReattachConfig) -> (PluginClient, DispatcherClient) {
    let config = ClientConfig::new(dispatcher::handshake()).plugins([dispatcher::PLUGIN_NAME]);
    let host = tokio::time::timeout(5 * SEC, PluginClient::reattach(rc, config))
        .await
        .expect("reattach within 5 s")
        .expect("reattach");
    let rpc = tokio::time::timeout(5 * SEC, host.dispense(dispatcher::PLUGIN_NAME))
        .await
        .expect("dispense within 5 s")
        .expect("dispense");
    (host, DispatcherClient::new(rpc))
}

async fn entity_ok(d: &DispatcherClient, id: &str) -> Result<(), String> {
    let out = d
        .entity(
            CallContext::with_timeout(5 * SEC),
            EntityInput { id: id.into() },
        )
        .await
        .map_err(|e| format!("entity {id}: {e}"))?;
    match out.entity {
        Some(e) if e.id == id => Ok(()),
        other => Err(format!("entity {id}: wrong answer {other:?}")),
    }
}

fn rss_kib(pid: u32) -> u64 {
    common::hostile::status_kib(pid, "VmRSS").unwrap_or(0)
}

/// Drops what depends on the order the calls of one session ran in: the stored records
/// (`Records`) and the search results (`Entities`).
fn without_state(json: &str) -> String {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                o.remove("Records");
                o.remove("Entities");
                o.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: serde_json::Value = serde_json::from_str(json).expect("our own JSON");
    strip(&mut v);
    v.to_string()
}

/// Whether calls Go answered and ours did not are a known, justified difference:
/// - ours ended the connection on a broken frame (`closed_first`): rust-yamux refuses a
///   data frame over its 16 MiB maximum (or beyond the window) even for a stream it does
///   not know, where Go's yamux reads and discards any length for an unknown stream
///   (`handleStreamMessage`: `io.CopyN(ioutil.Discard, ...)`, waiting for up to 4 GiB that
///   never come) and answers the calls it had read before meanwhile; replies not yet
///   written when a session ends are lost on both sides;
/// - the session ends inside a data frame's body: Go's yamux copies a body with `io.Copy`
///   from an `io.LimitedReader` (stream.go `readData`), which takes the early EOF for the
///   end of the body, so Go delivers the part that came and may answer a request in it;
///   rust-yamux only delivers whole frames, so a frame cut off is dropped;
/// - a gob message claims more than our limit (`rpc::DEFAULT_MAX_MESSAGE`, 128 MiB) and less than
///   Go's (8 GiB): we refuse it at once and end that stream; Go allocates the claimed size,
///   waits for the bytes and answers `unexpected EOF` only when the connection ends;
/// - a frame carries SYN and RST at once: Go's yamux opens the stream (`incomingStream`)
///   before it looks at the RST, so go-plugin's server still accepts it as one of the three
///   control streams; rust-yamux acts on the RST first and never opens it, so the streams
///   after it shift (the broker stream is taken as stderr and never served). A Go host
///   never sends both flags in one frame.
fn answered_by_go_only(s: &Session, ours: &Run, keys: &[&(u32, u64)]) -> Result<(), String> {
    if s.syn_rst {
        return Ok(());
    }
    if s.cut_stream.is_some() && keys.iter().all(|k| Some(k.0) == s.cut_stream) {
        return Ok(());
    }
    if keys.iter().all(|k| s.big_claims.contains(&k.0)) {
        return Ok(());
    }
    if ours.closed_first && s.framing_mutated {
        return Ok(());
    }
    if ours.closed_first {
        return Err("we ended a connection whose yamux frames were valid".into());
    }
    Err("our connection stayed open".into())
}

/// The first call both providers answered differently (error vs success, or two results).
/// With a `Submit` in the session the results are compared without the stored records:
/// Go's net/rpc server runs each call of a connection on a goroutine of its own
/// (`go service.call(...)` in `ServeCodec`), so a `Submit` and an `Entity` or `Search` sent
/// after it on the same stream may run in either order (and Go's fake, unlocked, races).
fn differ(a: &Run, b: &Run, submits: bool) -> Option<String> {
    // One key may have several replies (a sequence number repeated by a mutation); calls
    // run concurrently, so they come in any order: every reply of the side with fewer must
    // be among the other side's.
    let norm = |o: &Outcome| match o {
        Outcome::Error(_) => "error".to_string(),
        Outcome::Result(x) if submits => without_state(x),
        Outcome::Result(x) => x.clone(),
    };
    a.replies.iter().find_map(|(key, mine)| {
        let theirs = b.replies.get(key)?;
        let (few, many) = if mine.len() <= theirs.len() {
            (mine, theirs)
        } else {
            (theirs, mine)
        };
        let mut pool: Vec<String> = many.iter().map(norm).collect();
        let same = few.iter().map(norm).all(|o| {
            pool.iter()
                .position(|p| *p == o)
                .map(|i| pool.swap_remove(i))
                .is_some()
        });
        (!same).then(|| {
            format!(
                "stream {} seq {}: ours {:?}, Go {:?}",
                key.0, key.1, mine, theirs
            )
        })
    })
}

/// Seeds against our fake dispatcher and Go's, side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_host_sessions_against_our_provider_and_go() {
    let seeds = support::env_u64("SESSFUZZ_SEEDS", 24);
    let body = async {
        let first = support::env_u64("SESSFUZZ_SEED", 1);
        let max_mutations = support::env_u64("SESSFUZZ_MUTATIONS", 4);
        let ours_bin = PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"));
        let go_bin = support::go_bin("tilores-plugin-fake-dispatcher");
        let mut ours = provider(&ours_bin).await;
        let mut go = provider(&go_bin).await;
        let (mut _good_host, mut good) = good_host(&ours.process.reattach_config()).await;
        let (mut calls, mut replies, mut compared, mut mutations) = (0usize, 0usize, 0usize, 0);
        let (mut restarts, mut resyncs, mut only_go) = (0, 0, 0usize);
        let mut peak_rss = 0;
        let started = Instant::now();
        for seed in first..first + seeds {
            support::step(format!("seed {seed}"));
            let s = session(seed, max_mutations);
            calls += s.calls;
            mutations += s.log.len();
            let fail = |what: String| -> ! {
                panic!(
                    "SESSFUZZ seed {seed} failed: {what}\nreproduce: SESSFUZZ_SEED={seed} SESSFUZZ_SEEDS=1 SESSFUZZ_MUTATIONS={max_mutations} cargo test --test fuzz_sessions -- provider --nocapture\nmutations:\n  {}",
                    s.log.join("\n  ")
                )
            };
            let (a, b, during) = tokio::join!(run(&ours.path, &s), run(&go.path, &s), async {
                tokio::time::sleep(Duration::from_millis(2)).await;
                entity_ok(&good, &format!("during-{seed}")).await
            });
            let a = a.unwrap_or_else(|e| fail(format!("our provider: {e}")));
            let b = b.unwrap_or_else(|e| fail(format!("Go's provider: {e}")));
            if !a.undecodable.is_empty() {
                fail(format!("our replies do not decode: {:?}", a.undecodable));
            }
            // Give a provider that ends its process the time to do so.
            tokio::time::sleep(Duration::from_millis(5)).await;
            let log = ours.stderr.text();
            if log.contains("panicked") {
                fail(format!("our provider panicked:\n{log}"));
            }
            let ours_died = ours.process.exited();
            // When ours ended, Go's gets a second to end too.
            let go_died = go.process.exited()
                || (ours_died && tokio::time::timeout(SEC, go.process.wait()).await.is_ok());
            if ours_died || go_died {
                // Both fakes end their process where Go's panics (a search without
                // parameters once records are stored); only both at once is a match.
                if ours_died != go_died {
                    fail(format!(
                        "only {} provider ended (ours: {}, Go: {})",
                        if ours_died { "our" } else { "Go's" },
                        log,
                        go.stderr.text()
                    ));
                }
                if !log.contains("panic: runtime error") {
                    fail(format!("our provider ended without Go's reason: {log}"));
                }
                restarts += 1;
                ours = provider(&ours_bin).await;
                go = provider(&go_bin).await;
                (_good_host, good) = good_host(&ours.process.reattach_config()).await;
                continue;
            }
            if let Err(e) = during {
                fail(format!("the good host connected during the session: {e}"));
            }
            // A good host on a fresh connection after it.
            let (after_host, after) = good_host(&ours.process.reattach_config()).await;
            if let Err(e) = entity_ok(&after, &format!("after-{seed}")).await {
                fail(format!("the good host connected after the session: {e}"));
            }
            drop(after_host);
            let rss = rss_kib(ours.process.pid());
            peak_rss = peak_rss.max(rss);
            if rss > 256 * 1024 {
                fail(format!("our provider's RSS is {rss} KiB"));
            }
            if std::env::var_os("SESSFUZZ_VERBOSE").is_some() {
                eprintln!(
                    "seed {seed}: ours {:?} (closed first: {}, close {:?}), Go {:?} (closed first: {}); {:?}",
                    a.replies,
                    a.closed_first,
                    a.close_took,
                    b.replies,
                    b.closed_first,
                    s.log
                );
            }
            // The differential: every call both answered. The fakes keep state (the ring
            // of submitted records) across connections, and a session one of them handled
            // differently (see `differ`) can leave them apart: a difference is confirmed on
            // fresh providers before it fails the seed.
            replies += a.replies.values().map(Vec::len).sum::<usize>();
            compared += a
                .replies
                .keys()
                .filter(|k| b.replies.contains_key(k))
                .count();
            let go_only: Vec<_> = b
                .replies
                .keys()
                .filter(|k| !a.replies.contains_key(k))
                .collect();
            if !go_only.is_empty() {
                only_go += go_only.len();
                if let Err(e) = answered_by_go_only(&s, &a, &go_only) {
                    // Confirmed on our side with a second to answer (not 150 ms), so that a
                    // loaded machine does not fail the seed.
                    let again = run_quiet(&ours.path, &s, SEC)
                        .await
                        .unwrap_or_else(|e| fail(format!("our provider: {e}")));
                    if go_only.iter().any(|k| !again.replies.contains_key(k)) {
                        fail(format!(
                            "Go answered {go_only:?} and we did not ({e}): ours {:?}, Go {:?}",
                            again.replies, b.replies
                        ));
                    }
                }
            }
            if let Some(d) = differ(&a, &b, s.submits) {
                resyncs += 1;
                ours = provider(&ours_bin).await;
                go = provider(&go_bin).await;
                (_good_host, good) = good_host(&ours.process.reattach_config()).await;
                let (a, b) = tokio::join!(run(&ours.path, &s), run(&go.path, &s));
                let a = a.unwrap_or_else(|e| fail(format!("our provider: {e}")));
                let b = b.unwrap_or_else(|e| fail(format!("Go's provider: {e}")));
                if let Some(again) = differ(&a, &b, s.submits) {
                    fail(format!("{again} (first: {d})"));
                }
            }
        }
        eprintln!(
            "provider side: {seeds} seeds from {first} in {:?}: {mutations} mutations, {calls} dispatcher calls sent, {replies} replies from ours, {compared} compared with Go, {only_go} answered by Go only ({resyncs} differences gone on fresh providers), {restarts} restarts of both (Go's panic), our peak RSS {peak_rss} KiB",
            started.elapsed()
        );
    };
    // Every wait of a seed is bounded on its own (connections 3 + 5 s, good hosts 5 s); the
    // whole run is, too, unless it is a soak.
    if seeds <= 200 {
        support::limit(body).await
    } else {
        body.await
    }
}

// ------------------------------------------------------------------- host side

/// What one seed did to our host.
#[derive(Debug, Default)]
struct HostSeed {
    starts_failed: usize,
    dispenses_failed: usize,
    calls: usize,
    answered: usize,
    errors: usize,
    mutations: usize,
}

/// One seed against our host: `hostile_plugin` with `HOSTILE_FUZZ_SEED`. Every step ends
/// within its limit (start 1 s, dispense and each call 1 s; ours plus 1 s of slack), with a
/// typed error or the right answer (a wrong one only when a data frame was mutated);
/// `kill` ends the plugin within 3 s.
async fn host_seed(seed: u64, most: u64) -> Result<HostSeed, String> {
    let dir = support::TempDir::new("sessfuzz");
    host_run(seed, most, &dir).await.map_err(|e| {
        format!(
            "{e}\nmutations:\n  {}",
            fuzz_log(&dir.path().join("log")).join("\n  ")
        )
    })
}

/// The mutations the plugin logged (`HOSTILE_FUZZ_LOG`).
fn fuzz_log(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("SESSFUZZ ").map(str::to_owned))
        .collect()
}

async fn host_run(seed: u64, most: u64, dir: &support::TempDir) -> Result<HostSeed, String> {
    use tilores_plugin::plugin::HandshakeConfig;
    let pidfile = dir.path().join("pid");
    let cmd = PluginCommand::new(support::example_bin("hostile_plugin"))
        .env("HOSTILE_PIDFILE", pidfile.as_os_str())
        .env("HOSTILE_FUZZ_SEED", seed.to_string())
        .env("HOSTILE_FUZZ_MUTATIONS", most.to_string())
        .env("HOSTILE_FUZZ_LOG", dir.path().join("log").as_os_str());
    let log = dir.path().join("log");
    let mut config = ClientConfig::new(HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "HOSTILE_PLUGIN".into(),
        magic_cookie_value: "plugin".into(),
    })
    .plugins(["echo"]);
    config.launch.start_timeout = SEC;
    config.connect_timeout = SEC;
    config.control_timeout = SEC;
    config.quit_timeout = Duration::from_millis(500);
    config.exit_timeout = Duration::from_millis(500);
    config.broker.dial_timeout = SEC;
    let mut out = HostSeed::default();
    let within =
        |limit: Duration, what: &'static str| move |_| format!("{what} still runs after {limit:?}");
    let start = Instant::now();
    let started = tokio::time::timeout(3 * SEC, PluginClient::start(cmd, config))
        .await
        .map_err(within(3 * SEC, "start"))?;
    let pid = || -> Option<u32> { std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok() };
    let mutations = |log: &PathBuf| fuzz_log(log);
    let mut host = match started {
        Ok(host) => host,
        Err(e) => {
            // A typed error, and the plugin is gone before `start` returned.
            if e.to_string().is_empty() {
                return Err(format!("start failed with an empty error: {e:?}"));
            }
            if let Some(p) = pid() {
                if support::pid_running(p) {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if support::pid_running(p) {
                        return Err(format!("start failed ({e}) and left plugin {p} running"));
                    }
                }
            }
            out.mutations = mutations(&log).len();
            out.starts_failed += 1;
            if std::env::var_os("SESSFUZZ_VERBOSE").is_some() {
                eprintln!(
                    "host seed {seed}: start: {e} after {:?}; {:?}",
                    start.elapsed(),
                    mutations(&log)
                );
            }
            return Ok(out);
        }
    };
    let client = tokio::time::timeout(2 * SEC, host.dispense("echo"))
        .await
        .map_err(within(2 * SEC, "dispense"))?;
    if let Ok(client) = &client {
        for i in 0..3 {
            let arg = if i == 2 {
                format!("seed {seed} call {i} {}", "x".repeat(3000))
            } else {
                format!("seed {seed} call {i}")
            };
            out.calls += 1;
            let t = Instant::now();
            let r = tokio::time::timeout(
                2 * SEC,
                client.call_timeout::<_, String>("Plugin.Echo", &arg, SEC),
            )
            .await
            .map_err(within(2 * SEC, "a call"))?;
            if t.elapsed() > 2 * SEC {
                return Err(format!("a call took {:?}", t.elapsed()));
            }
            match r {
                Ok(s) if s == arg => out.answered += 1,
                Ok(s) => {
                    let data = mutations(&log).iter().any(|m| m.contains("(data)"));
                    if !data {
                        return Err(format!(
                            "call {i} answered {s:?} for {arg:?}, and no data frame was mutated"
                        ));
                    }
                    out.errors += 1;
                }
                Err(e) => {
                    if e.to_string().is_empty() {
                        return Err(format!("call {i}: an empty error {e:?}"));
                    }
                    out.errors += 1;
                }
            }
        }
    } else if let Err(e) = client {
        out.dispenses_failed += 1;
        if std::env::var_os("SESSFUZZ_VERBOSE").is_some() {
            eprintln!("host seed {seed}: dispense: {e}");
        }
    }
    if std::env::var_os("SESSFUZZ_VERBOSE").is_some() {
        eprintln!(
            "host seed {seed}: {out:?} after {:?}; {:?}",
            start.elapsed(),
            mutations(&log)
        );
    }
    let p = pid();
    let t = Instant::now();
    tokio::time::timeout(3 * SEC, host.kill())
        .await
        .map_err(within(3 * SEC, "kill"))?;
    if let Some(p) = p {
        while support::pid_running(p) {
            if t.elapsed() > 4 * SEC {
                return Err(format!("plugin {p} still runs after kill"));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    out.mutations = mutations(&log).len();
    Ok(out)
}

/// Seeds against our host, 4 plugins at a time, in a process of its own (its peak RSS is
/// the host's: bound 96 MiB). A panic anywhere in the host (a task of the mux driver, the
/// rpc reader) fails the test: a hook counts them.
#[test]
fn mutated_plugin_sessions_against_our_host() {
    // A soak's many seeds get their time: 0.5 s each (they take about 0.1 s).
    let limit = (SEC / 2 * support::env_u64("SESSFUZZ_HOST_SEEDS", 24) as u32).max(60 * SEC);
    common::hostile::isolated(limit, 96, || async {
        static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            previous(info);
        }));
        let first = support::env_u64("SESSFUZZ_SEED", 1);
        let seeds = support::env_u64("SESSFUZZ_HOST_SEEDS", 24);
        let most = support::env_u64("SESSFUZZ_MUTATIONS", 3);
        let started = Instant::now();
        let gate = Arc::new(tokio::sync::Semaphore::new(4));
        let mut tasks = tokio::task::JoinSet::new();
        for seed in first..first + seeds {
            let gate = gate.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await;
                (seed, host_seed(seed, most).await)
            });
        }
        let mut total = HostSeed::default();
        let mut failures = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (seed, r) = done.expect("a seed's task");
            match r {
                Ok(s) => {
                    total.starts_failed += s.starts_failed;
                    total.dispenses_failed += s.dispenses_failed;
                    total.calls += s.calls;
                    total.answered += s.answered;
                    total.errors += s.errors;
                    total.mutations += s.mutations;
                }
                Err(e) => failures.push(format!(
                    "SESSFUZZ host seed {seed} failed: {e}\nreproduce: SESSFUZZ_SEED={seed} SESSFUZZ_HOST_SEEDS=1 SESSFUZZ_MUTATIONS={most} cargo test --test fuzz_sessions -- host --nocapture (the plugin's stderr has its SESSFUZZ mutation lines)"
                )),
            }
        }
        eprintln!(
            "host side: {seeds} seeds from {first} in {:?}: {} mutations; {} starts and {} dispenses failed (typed errors); {} calls: {} answered right, {} typed errors",
            started.elapsed(),
            total.mutations,
            total.starts_failed,
            total.dispenses_failed,
            total.calls,
            total.answered,
            total.errors
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        let panics = PANICS.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(panics, 0, "{panics} panics in the host");
    })
}

// ------------------------------------------------------------------- regressions

/// Sends `bytes` on a fresh plain net/rpc connection (no yamux) to `socket`, closes our
/// side 500 ms after the last reply, and returns the replies as (seq, "error: <text>" or
/// the result) by seq, and whether the server ended the connection before we closed ours.
async fn plain_rpc(socket: &Path, bytes: &[u8]) -> (Vec<(u64, String)>, bool) {
    use tokio::io::AsyncReadExt;
    let mut sock = UnixStream::connect(socket).await.expect("connect");
    sock.write_all(bytes).await.expect("write");
    let mut replies = Replies::default();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let closed = loop {
        match tokio::time::timeout(Duration::from_millis(500), sock.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => replies.push(&buf[..n], &mut got),
            Err(_) => break false,
        }
    };
    assert!(replies.broken.is_none(), "{:?}", replies.broken);
    let mut out: Vec<_> = got
        .into_iter()
        .map(|(seq, o)| match o {
            Outcome::Error(e) => (seq, format!("error: {e}")),
            Outcome::Result(r) => (seq, r),
        })
        .collect();
    // Calls run concurrently: replies come in any order.
    out.sort();
    (out, closed)
}

/// Request bodies the session fuzzer found us answering unlike Go (fixed in `src/rpc` and
/// `gob`), sent to Go's net/rpc server with the real fake dispatcher v0.5.2
/// (`dispatcher-rpc-peer serve -impl fake`) and to ours (`rpc_server(FakeDispatcher)`), each
/// on a plain unix socket: both answer the same calls the same way, and end the connection
/// in the same cases.
/// - seed 1: a bad field number in an interface's value, which goes on in a later message:
///   Go drops that message only and serves the next request (we dropped one message too
///   few, read the rest as the next header and ended the connection);
/// - seed 10: a `ServiceMethod` that is not UTF-8: Go answers `rpc: can't find method`
///   and serves the next request (we refused the header and ended the connection);
/// - seed 131: a body message claiming 2^40 bytes: Go answers `invalid message length` and
///   then ends the connection on the bytes after the count (we ended it without an answer);
/// - seed 1095 (soak): an empty body message: Go answers `EOF` and serves the next request
///   (we ended the connection without an answer);
/// - seed 1633 (soak): a map key that is not UTF-8: Go reads the whole value (its strings
///   hold any bytes), answers `key input not found in args` and serves the next request (we
///   refused the string, stopped inside the value and read its rest as the next header);
/// - seed 5476 (soak): an unregistered interface name whose definitions and value never
///   come: Go refuses the name as soon as it has read it and answers (we decoded on, checked
///   the names after the whole value, waited for the rest and never answered);
/// - seed 6228 (soak): a deadline whose marshaled nanoseconds are out of range: Go's
///   `Time.UnmarshalBinary` does not check them and the call is answered (we refused the
///   value and answered with an error).
///
/// The error replies carry Go's texts (our decoder's path and byte offset are not sent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_the_fuzzer_found_are_answered_as_go_does() {
    support::limit(async {
        let dir = support::TempDir::new("sessfuzz-regress");
        let go_socket = dir.path().join("go.sock");
        let mut child = std::process::Command::new(support::go_bin("dispatcher-rpc-peer"))
            .args(["serve", "-socket"])
            .arg(&go_socket)
            .args(["-impl", "fake"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start dispatcher-rpc-peer serve");
        let stdout = child.stdout.take().expect("stdout");
        let _go = support::ChildGuard(child);
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("ready line");
        assert!(line.contains("\"ready\":true"), "{line}");
        let our_socket = dir.path().join("ours.sock");
        let listener = tokio::net::UnixListener::bind(&our_socket).expect("bind");
        let server = dispatcher::rpc_server(Arc::new(dispatcher::FakeDispatcher::new()));
        let _serving = tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve(s).await });
            }
        });

        let entity = |id: &str| {
            let mut args = InterfaceMap::new();
            args.insert(
                "input".into(),
                Interface::from_concrete(EntityInput { id: id.into() }),
            );
            args
        };
        // Seed 1: the EntityInput value (the request's last message) ends with a field
        // delta of 2^32 - 1 instead of the struct's end.
        let mut enc = Encoder::new();
        let mut a = request(&mut enc, "Plugin.Entity", 0, &entity("e-1"));
        let (start, n, end) = *sessfuzz::messages(&a).last().expect("a message");
        let mut content = a[start + n..end - 1].to_vec();
        content.extend(raw::gob_uint(u32::MAX as u64));
        a.truncate(start);
        a.extend(raw::gob_message(&content));
        a.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));
        // Seed 10: "Plugin.Entity" with a byte that is not UTF-8.
        let mut enc = Encoder::new();
        let mut b = request(&mut enc, "Plugin.Entity", 0, &entity("e-1"));
        let at = b
            .windows(13)
            .position(|w| w == b"Plugin.Entity")
            .expect("the method name");
        b[at + 7] = 0xff;
        b.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));
        // Seed 131: the body claims 2^40 bytes.
        let mut enc = Encoder::new();
        let mut c = enc
            .encode(&Request {
                service_method: "Plugin.Entity".into(),
                seq: 0,
            })
            .expect("header");
        c.extend(raw::gob_uint(1 << 40));
        c.extend_from_slice(&[1, 2, 3]);

        // Seed 1095: the body is an empty message, and a request follows.
        let mut enc = Encoder::new();
        let mut d = enc
            .encode(&Request {
                service_method: "Plugin.Entity".into(),
                seq: 0,
            })
            .expect("header");
        d.push(0);
        d.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));
        // Seed 1633 (soak): the key "input" with a byte that is not UTF-8 (Go reads the
        // whole value and answers that the key is missing).
        let mut enc = Encoder::new();
        let mut f = request(&mut enc, "Plugin.Entity", 0, &entity("e-1"));
        let at = f.windows(5).position(|w| w == b"input").expect("the key");
        f[at + 4] = 0xf4;
        f.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));
        // Seed 1790 (soak): a deadline whose interface name is "time.Tim%", registered
        // nowhere; its definitions came with an earlier call, so its value is in the
        // name's message and Go serves on.
        let deadline = |args: &mut InterfaceMap| {
            args.insert(
                "deadline".into(),
                Interface::from_concrete(GoTime::from_unix(4_000_000_000, 0)),
            );
        };
        let mut enc = Encoder::new();
        let mut args = entity("e-1");
        deadline(&mut args);
        let mut g = request(&mut enc, "Plugin.Entity", 0, &args);
        let first = g.len();
        g.extend(request(&mut enc, "Plugin.Entity", 1, &args));
        let at = first
            + g[first..]
                .windows(9)
                .position(|w| w == b"time.Time")
                .expect("the name");
        g[at + 8] = b'%';
        let mut args = entity("e-2");
        deadline(&mut args);
        g.extend(request(&mut enc, "Plugin.Entity", 2, &args));
        // The same name in the first call, whose definitions follow the name's message: Go
        // reads them as the next header and ends the connection.
        let mut enc = Encoder::new();
        let mut args = entity("e-1");
        deadline(&mut args);
        let mut h = request(&mut enc, "Plugin.Entity", 0, &args);
        let at = h
            .windows(9)
            .position(|w| w == b"time.Time")
            .expect("the name");
        h[at + 8] = b'%';
        h.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));
        // An unregistered name inside a record (a builtin concrete type: no definitions
        // follow it), as src/dispatcher/tests.rs sends it; `before` adds a key (sorted
        // before `input`) with an unregistered name of its own. Then an Entity call.
        let secret_submit = |before: Option<(&str, &str)>| {
            let mut enc = Encoder::new();
            let mut args = InterfaceMap::new();
            if let Some((key, name)) = before {
                args.insert(key.into(), Interface::new(name, Value::Int(3)));
            }
            let mut data = InterfaceMap::new();
            data.insert("k".into(), Interface::new("main.Secret", Value::Int(1)));
            args.insert(
                "input".into(),
                Interface::from_concrete(SubmitInput {
                    records: vec![Record::new("r", data)],
                }),
            );
            let mut out = request(&mut enc, "Plugin.Submit", 0, &args);
            out.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));
            out
        };
        let k = secret_submit(None);
        // Seed 5476 (soak): the same name in the first call, and the messages after the
        // name's never come (the session sent them to another stream): Go refuses the name
        // as soon as it has read it and answers; the connection stays open.
        let mut enc = Encoder::new();
        let mut args = entity("e-1");
        deadline(&mut args);
        let mut n = request(&mut enc, "Plugin.Entity", 0, &args);
        let at = n
            .windows(9)
            .position(|w| w == b"time.Time")
            .expect("the name");
        n[at + 8] = b'%';
        let (_, _, name_end) = sessfuzz::messages(&n)
            .into_iter()
            .find(|(start, _, end)| (*start..*end).contains(&at))
            .expect("the name's message");
        n.truncate(name_end);
        // Two unregistered names: Go stops at the first in wire order (our encoder writes
        // the keys in order), here in the message that also carries the submit input's
        // name and its first definition (Go's encoder flushes the value so far with a
        // definition), so the records' message, of a type Go never got, is read as the next
        // header and Go ends the connection.
        let q = secret_submit(Some(("aaa", "main.Earlier")));
        // Seed 741 (soak): the request header's type id replaced by 21, gob's own
        // `fieldType` (a struct of `Name` and `Id`): Go's compileDec takes any builtin
        // struct, matches no field and decodes an empty `Request`, answered
        // `rpc: service/method request ill-formed: `; the stream goes on.
        // An Entity call whose header's type id (64) is replaced by `id`, then another.
        let header_of_type = |id: u8| {
            let mut enc = Encoder::new();
            let mut out = request(&mut enc, "Plugin.Entity", 0, &entity("e-1"));
            let (start, count, end) = sessfuzz::messages(&out)[1];
            let id_at = start + count;
            assert_eq!(out[id_at..id_at + 2], [0xff, 0x80], "the header's type id");
            let mut content = vec![id * 2];
            content.extend_from_slice(&out[id_at + 2..end]);
            let rest = out.split_off(end);
            out.truncate(start);
            out.extend(raw::gob_message(&content));
            out.extend(rest);
            out.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));
            out
        };
        let p = header_of_type(21);
        // The same with id 17 (`arrayType`, whose `CommonType` field Request lacks): Go
        // cannot skip a field of gob's own types (`decIgnoreOpFor` knows only the
        // definitions received), so the header fails and Go ends the connection unanswered.
        let r17 = header_of_type(17);
        // Argument bodies of a reserved id (9), of gob's `structType` (20) and of an id
        // nothing defined (30): Go names the remote type in its answer, and serves on.
        let mut enc = Encoder::new();
        let mut ids = Vec::new();
        for (seq, id) in [(0u64, 9u8), (1, 20), (2, 30)] {
            ids.extend(
                enc.encode(&Request {
                    service_method: "Plugin.Entity".into(),
                    seq,
                })
                .expect("header"),
            );
            ids.extend(raw::gob_message(&[id * 2, 0, 0]));
        }
        ids.extend(request(&mut enc, "Plugin.Entity", 3, &entity("e-2")));
        // An empty `map[string]int` as the argument: Go compiles its decoder for the whole
        // destination first, so the element type fails though no element is sent; the
        // stream goes on.
        let mut enc = Encoder::new();
        let mut empty = request(
            &mut enc,
            "Plugin.Entity",
            0,
            &std::collections::BTreeMap::<String, i64>::new(),
        );
        empty.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));
        // Seed 6228 (soak): deadlines whose marshaled nanoseconds are out of range, which
        // Go's `Time.UnmarshalBinary` takes unchecked (negative: a time in 2157; 2^30 + 5:
        // bit 30 kept in the wall word), so the calls are answered.
        let marshaled = GoTime::from_unix(4_000_000_000, 0)
            .marshal_binary()
            .expect("marshal");
        let mut enc = Encoder::new();
        let mut m = Vec::new();
        for (seq, nanos) in [(0u64, i32::MIN + 7), (1, (1 << 30) + 5)] {
            let mut args = entity(if seq == 0 { "e-1" } else { "e-2" });
            deadline(&mut args);
            let mut req = request(&mut enc, "Plugin.Entity", seq, &args);
            let at = req
                .windows(marshaled.len())
                .position(|w| w == marshaled.as_slice())
                .expect("the deadline's bytes");
            req[at + 9..at + 13].copy_from_slice(&nanos.to_be_bytes());
            m.extend(req);
        }

        // Seed 2222: the definition of the arguments' map[string]interface{} ends with a
        // delta of 1 instead of its end, so it sets an empty GobEncoderT beside its MapT.
        // Go's compatibleType refuses a map for it (a GobEncoderT wants a GobDecoder) and
        // answers the call with an error, then ends the connection.
        let mut enc = Encoder::new();
        let mut args = entity("e-1");
        deadline(&mut args);
        let mut w = request(&mut enc, "Plugin.Entity", 0, &args);
        let (_, _, end) = sessfuzz::messages(&w)
            .into_iter()
            .find(|(start, n, end)| {
                // The map's definition: `-65`, then MapT (delta 4) with its CommonType.
                w[start + n..*end].starts_with(&[0xff, 0x81, 0x04])
            })
            .expect("the map's definition");
        assert_eq!(w[end - 1], 0, "the definition's end");
        w[end - 1] = 1;
        w.extend(request(&mut enc, "Plugin.Entity", 1, &entity("e-2")));

        let e1 = r#"{"Entity":{"Duplicates":{"map":[]},"Hits":{"map":[]},"ID":"e-1"}}"#;
        let e2 = r#"{"Entity":{"Duplicates":{"map":[]},"Hits":{"map":[]},"ID":"e-2"}}"#;
        // Name, bytes, the replies (seq, "error" or result), whether the server ends the
        // connection.
        type Case<'a> = (&'a str, &'a [u8], Vec<(u64, String)>, bool);
        let cases: [Case; 16] = [
            (
                "a bad field number in an interface's value",
                &a,
                vec![(0, "error".into()), (1, e2.into())],
                false,
            ),
            (
                "a ServiceMethod that is not UTF-8",
                &b,
                vec![(0, "error".into()), (1, e2.into())],
                false,
            ),
            (
                "a body claiming 2^40 bytes",
                &c,
                vec![(0, "error".into())],
                true,
            ),
            (
                "an empty body message",
                &d,
                vec![(0, "error".into()), (1, e2.into())],
                false,
            ),
            (
                "a map key that is not UTF-8",
                &f,
                vec![(0, "error".into()), (1, e2.into())],
                false,
            ),
            (
                "an unregistered name, its type defined before",
                &g,
                vec![(0, e1.into()), (1, "error".into()), (2, e2.into())],
                false,
            ),
            (
                "an unregistered name, its type defined after it",
                &h,
                vec![(0, "error".into())],
                true,
            ),
            (
                "an unregistered name in a record",
                &k,
                vec![(0, "error".into()), (1, e2.into())],
                false,
            ),
            (
                "an unregistered name whose definitions never come",
                &n,
                vec![(0, "error".into())],
                false,
            ),
            (
                "two unregistered names, the first before the submit input's",
                &q,
                vec![(0, "error".into())],
                true,
            ),
            (
                "a request header of gob's own fieldType",
                &p,
                vec![(0, "error".into()), (1, e2.into())],
                false,
            ),
            (
                "a request header of gob's own arrayType",
                &r17,
                vec![],
                true,
            ),
            (
                "argument bodies of gob's reserved, own and undefined ids",
                &ids,
                vec![
                    (0, "error".into()),
                    (1, "error".into()),
                    (2, "error".into()),
                    (3, e2.into()),
                ],
                false,
            ),
            (
                "an empty map[string]int as the argument",
                &empty,
                vec![(0, "error".into()), (1, e2.into())],
                false,
            ),
            (
                "deadlines with nanoseconds out of range",
                &m,
                vec![(0, e1.into()), (1, e2.into())],
                false,
            ),
            (
                "a map's definition that also sets GobEncoderT",
                &w,
                vec![(0, "error".into())],
                true,
            ),
        ];
        // Error replies are compared by Go's text, except where ours differs (see below).
        let error_only = |replies: &[(u64, String)]| -> Vec<(u64, String)> {
            replies
                .iter()
                .map(|(seq, r)| match r.starts_with("error: ") {
                    true => (*seq, "error".to_string()),
                    false => (*seq, r.clone()),
                })
                .collect()
        };
        for (name, bytes, want, closes) in cases {
            let (go, ours) =
                tokio::join!(plain_rpc(&go_socket, bytes), plain_rpc(&our_socket, bytes));
            assert_eq!(
                (error_only(&go.0), go.1),
                (want.clone(), closes),
                "{name}: Go"
            );
            assert_eq!(
                (error_only(&ours.0), ours.1),
                (want, closes),
                "{name}: ours"
            );
            // Texts that differ: ours refuses a map key that is not UTF-8 while decoding (our
            // typed map keys are Rust strings), where Go reads it and then misses the key
            // `input`; and Go names the remote type of a mismatch from its process-global
            // type table (`dec.typeString`: here ` = struct { }`, the `struct{}` its server
            // sent as the body of an earlier error reply), which another process cannot know.
            let other_text = [
                "a map key that is not UTF-8",
                "a map's definition that also sets GobEncoderT",
                "an empty map[string]int as the argument",
            ];
            if !other_text.contains(&name) {
                assert_eq!(ours.0, go.0, "{name}: the error texts");
            }
        }
    })
    .await
}
