//! A go-plugin net/rpc plugin that misbehaves on purpose, for `tests/hostile_plugin.rs`
//! (a Rust host facing hostile plugins).
//!
//! Handshake cookie `HOSTILE_PLUGIN=plugin` (not checked), app protocol version 1, one
//! plugin `echo` whose `Plugin.Echo(string) string` answers its argument, except for the
//! arguments below, which make it misbehave.
//!
//! Environment switches:
//! - `HOSTILE_PIDFILE=PATH`: the plugin writes its pid there first (for orphan checks).
//! - `HOSTILE_HANDSHAKE=KIND`: the first stdout line is bad, then the plugin waits to be
//!   killed: `garbage` (text), `binary` (NUL and invalid UTF-8), `long` (1 MiB without a
//!   newline), `grpc` (a protocol the host does not allow), `version` (app version 99),
//!   `exit` (no line, a stderr line, exit status 3).
//! - `HOSTILE_STALL_CONTROL=1`: `Control.Ping` and `Dispenser.Dispense` are never answered.
//! - `HOSTILE_DROP_SYN_AFTER=N`: the first N streams the host opens are served; the SYNs of
//!   later ones (and all their frames) are dropped, so the host never sees them ACKed.
//! - `HOSTILE_FUZZ_SEED=S` (with `HOSTILE_FUZZ_MUTATIONS=M`, default 3): the session fuzzer
//!   of `tests/fuzz_sessions.rs`. From the seed (splitmix64), either the handshake line is
//!   mutated (1 in 5), or 1..=M of the first 16 frames this plugin sends are (the seeded
//!   mutations of `examples/support/sessfuzz.rs`: a gob length, type id or count replaced by
//!   a boundary value, a frame field replaced, a frame duplicated, dropped, delayed past the
//!   next one, bytes flipped, inserted, deleted, or the connection cut inside a frame).
//!   Each mutation is written to stderr as a line `SESSFUZZ <what>` (and appended to the
//!   file `HOSTILE_FUZZ_LOG` names, before the mutated bytes leave); those of a data frame
//!   end in `(data)`.
//!
//! Echo arguments that misbehave (on the dispensed stream):
//! - `unknown-seq`: first a reply and an error reply for sequence numbers never used, then
//!   the right reply.
//! - `huge-length`: the reply header, then a gob message claiming 2^40 bytes.
//! - `huge-string`: the reply header, then a small message whose string claims 2^50 bytes.
//! - `huge-count`: the reply header, then a small `[]int` message whose count is 2^50.
//! - `nil-flood`: a 10 MB reply of 10 million nil interface values (`[]interface{}`), one
//!   wire byte each.
//! - `half-reply-close`: half of the reply, then the stream is closed (FIN).
//! - `half-reply-exit`: half of the reply, then the process exits (status 7).
//! - `stall`: no reply, ever.
//! - `frame:KIND`: a raw yamux frame injected on the host connection, no reply:
//!   `bad-version`, `bad-type`, `huge-length` (a data frame of 2^32-1 bytes on this stream),
//!   `huge-window` (window updates of 2^32-1 on this stream), `goaway`, `syn-flood` (10,000
//!   streams opened at once), `unknown-stream` (data for a stream never opened).
//! - `flood`: 32 MiB on the real stdout (lines of 1 KiB), 32 MiB on the real stderr (hclog
//!   JSON lines, then a 16 MiB line without a newline), 32 MiB on each of the stdout and
//!   stderr streams; then the right reply.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tilores_plugin::gob::{Decode, Decoder, Empty, Encode, Encoder, Step, Type, Value};
use tilores_plugin::mux::{MuxConfig, Role, Session, Stream};
use tilores_plugin::plugin::{
    format_line, BrokerConfig, ListenerConfig, MuxBroker, PluginListener, Protocol,
};
use tilores_plugin::rpc::{self, Request, Response};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, Mutex};

#[path = "support/yamux_raw.rs"]
mod raw;
#[path = "../tests/common/seeded.rs"]
#[allow(dead_code)]
mod seeded;
#[path = "support/sessfuzz.rs"]
mod sessfuzz;

/// How many streams `frame:syn-flood` opens.
const SYN_FLOOD: u32 = 10_000;

#[tokio::main]
async fn main() {
    if let Ok(path) = std::env::var("HOSTILE_PIDFILE") {
        let _ = std::fs::write(path, std::process::id().to_string());
    }
    if let Ok(kind) = std::env::var("HOSTILE_HANDSHAKE") {
        bad_handshake(&kind);
    }
    let drop_after = std::env::var("HOSTILE_DROP_SYN_AFTER")
        .ok()
        .and_then(|v| v.parse::<usize>().ok());
    let listener = PluginListener::bind_with(&ListenerConfig::from_env()).unwrap_or_else(|e| {
        eprintln!("hostile_plugin: {e}");
        std::process::exit(1)
    });
    let line = format_line(1, &listener.addr(), Protocol::NetRpc, None).unwrap_or_else(|e| {
        eprintln!("hostile_plugin: {e}");
        std::process::exit(1)
    });
    let mut fuzz = std::env::var("HOSTILE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(|seed| {
            let most = std::env::var("HOSTILE_FUZZ_MUTATIONS")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(3);
            Fuzz::new(seed, most)
        });
    let line = match &mut fuzz {
        Some(f) => f.handshake(line),
        None => line.into_bytes(),
    };
    if let Some(f) = &mut fuzz {
        f.flush_log();
    }
    let mut out = std::io::stdout();
    let _ = out.write_all(&line).and_then(|()| out.flush());
    let fuzz = fuzz.map(|f| Arc::new(std::sync::Mutex::new(f)));
    while let Ok(socket) = listener.accept().await {
        tokio::spawn(connection(socket, drop_after, fuzz.clone()));
    }
}

/// Writes a bad first stdout line (or none) and waits to be killed.
fn bad_handshake(kind: &str) -> ! {
    let mut out = std::io::stdout();
    let _ = match kind {
        "garbage" => out.write_all(b"this is not a handshake line\n"),
        "binary" => out.write_all(b"\x00\xff\xfe|1|unix|\x07\x1b[2J\n"),
        "grpc" => out.write_all(b"1|1|unix|/tmp/nowhere.sock|grpc|\n"),
        "version" => out.write_all(b"1|99|unix|/tmp/nowhere.sock|netrpc|\n"),
        "long" => {
            // Blocks once the pipe is full: the host must stop reading and kill us.
            let chunk = vec![b'x'; 64 * 1024];
            (0..16).try_for_each(|_| out.write_all(&chunk))
        }
        "exit" => {
            eprintln!("hostile_plugin: giving up before the handshake");
            std::process::exit(3)
        }
        other => {
            eprintln!("hostile_plugin: unknown HOSTILE_HANDSHAKE {other}");
            std::process::exit(2)
        }
    }
    .and_then(|()| out.flush());
    std::thread::sleep(Duration::from_secs(60));
    std::process::exit(0)
}

/// What an `Echo` call asks the proxy to inject, with the dispensed stream's id.
type Inject = (String, u32);

/// The connection's shared parts the `Echo` handler uses.
struct Conn {
    inject: mpsc::UnboundedSender<Inject>,
    stdout: Mutex<Stream>,
    stderr: Mutex<Stream>,
}

/// Serves one host connection: a real yamux session behind a proxy that can drop the host's
/// SYNs and inject raw frames.
async fn connection(socket: UnixStream, drop_after: Option<usize>, fuzz: Option<SharedFuzz>) {
    let (plugin_end, proxy_end) = tokio::io::duplex(256 * 1024);
    let (inject_tx, inject_rx) = mpsc::unbounded_channel();
    tokio::spawn(proxy(socket, proxy_end, inject_rx, drop_after, fuzz));
    let Ok(session) = Session::new(plugin_end, Role::Server, MuxConfig::default()) else {
        return;
    };
    let (Some(control), Some(stdout), Some(stderr)) = (
        session.accept().await,
        session.accept().await,
        session.accept().await,
    ) else {
        return;
    };
    let broker = MuxBroker::new(session.clone(), BrokerConfig::default());
    tokio::spawn({
        let broker = broker.clone();
        async move { broker.run().await }
    });
    let conn = Arc::new(Conn {
        inject: inject_tx,
        stdout: Mutex::new(stdout),
        stderr: Mutex::new(stderr),
    });
    let stall = std::env::var_os("HOSTILE_STALL_CONTROL").is_some();
    let server = rpc::Server::new();
    let registered = server
        .register_fn("Control", "Ping", move |_: bool| async move {
            if stall {
                std::future::pending::<()>().await;
            }
            Ok::<_, String>(Empty)
        })
        .and_then(|()| {
            server.register_fn("Control", "Quit", |_: bool| {
                tokio::spawn(async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    std::process::exit(0)
                });
                async { Ok::<_, String>(Empty) }
            })
        })
        .and_then(|()| {
            server.register_fn("Dispenser", "Dispense", move |name: String| {
                let broker = broker.clone();
                let conn = conn.clone();
                async move {
                    if stall {
                        std::future::pending::<()>().await;
                    }
                    if name != "echo" {
                        return Err(format!("unknown plugin type: {name}"));
                    }
                    let id = broker.next_id();
                    tokio::spawn(async move {
                        if let Ok(stream) = broker.accept(id).await {
                            echo(stream, conn).await;
                        }
                    });
                    Ok(id)
                }
            })
        });
    if registered.is_ok() {
        let _ = server.serve(control).await;
    }
    session.closed().await;
}

/// Reads gob values off a stream.
struct GobReader<R> {
    io: R,
    buf: Vec<u8>,
    dec: Decoder,
    eof: bool,
}

impl<R: AsyncRead + Unpin> GobReader<R> {
    async fn next<T: Decode>(&mut self) -> Option<T> {
        loop {
            match self.dec.decode_next::<T>(&self.buf, self.eof) {
                Ok(Step::Value { value: v, used }) => {
                    self.buf.drain(..used);
                    return Some(v);
                }
                Ok(Step::End { .. }) => return None,
                Ok(Step::NeedMore) => {
                    let mut chunk = [0u8; 16 * 1024];
                    match self.io.read(&mut chunk).await {
                        Ok(0) | Err(_) => self.eof = true,
                        Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                    }
                }
                Err(_) => return None,
            }
        }
    }
}

/// Encodes a header and a body with the stream's encoder.
fn reply<T: Encode>(enc: &mut Encoder, seq: u64, error: &str, body: &T) -> Vec<u8> {
    let header = Response {
        service_method: "Plugin.Echo".into(),
        seq,
        error: error.into(),
    };
    let mut out = enc.encode(&header).unwrap_or_default();
    out.extend(enc.encode(body).unwrap_or_default());
    out
}

/// `Plugin.Echo` on a raw stream, misbehaving on request.
async fn echo(stream: Stream, conn: Arc<Conn>) {
    let id = stream.id();
    let (rd, wr) = tokio::io::split(stream);
    let wr = Arc::new(Mutex::new(wr));
    let mut reader = GobReader {
        io: rd,
        buf: Vec::new(),
        dec: Decoder::new(),
        eof: false,
    };
    let enc = Arc::new(Mutex::new(Encoder::new()));
    while let Some(req) = reader.next::<Request>().await {
        let Some(arg) = reader.next::<String>().await else {
            return;
        };
        let (wr, enc, conn) = (wr.clone(), enc.clone(), conn.clone());
        // Each call on its own task, so a stalled call does not hold up the others.
        tokio::spawn(async move {
            let bytes = answer(&req, &arg, id, &enc, &conn).await;
            let mut wr = wr.lock().await;
            match bytes {
                Answer::Bytes(b) => {
                    let _ = wr.write_all(&b).await;
                    let _ = wr.flush().await;
                }
                Answer::HalfThenClose(b) => {
                    let _ = wr.write_all(&b[..b.len() / 2]).await;
                    let _ = wr.shutdown().await;
                }
                Answer::HalfThenExit(b) => {
                    let _ = wr.write_all(&b[..b.len() / 2]).await;
                    let _ = wr.flush().await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    std::process::exit(7)
                }
                Answer::Nothing => {}
            }
        });
    }
}

enum Answer {
    Bytes(Vec<u8>),
    HalfThenClose(Vec<u8>),
    HalfThenExit(Vec<u8>),
    Nothing,
}

async fn answer(req: &Request, arg: &str, id: u32, enc: &Mutex<Encoder>, conn: &Conn) -> Answer {
    let seq = req.seq;
    if arg == "flood" {
        // Before the encoder is locked: other calls keep getting answers meanwhile.
        flood(conn).await;
    }
    let mut enc = enc.lock().await;
    match arg {
        "unknown-seq" => {
            let mut b = reply(&mut enc, seq + 1_000_000, "", &"bogus".to_string());
            b.extend(reply(&mut enc, seq + 2_000_000, "bogus error", &Empty));
            b.extend(reply(&mut enc, u64::MAX, "", &"bogus".to_string()));
            b.extend(reply(&mut enc, seq, "", &arg.to_string()));
            Answer::Bytes(b)
        }
        "huge-length" => {
            let mut b = reply_header(&mut enc, seq);
            b.extend(raw::gob_uint(1 << 40));
            b.extend_from_slice(&[12, 0, 1]);
            Answer::Bytes(b)
        }
        "huge-string" => {
            let mut b = reply_header(&mut enc, seq);
            b.extend(raw::gob_string_claiming(1 << 50, b"abc"));
            Answer::Bytes(b)
        }
        "huge-count" => {
            let mut b = reply_header(&mut enc, seq);
            // A real []int64 value (type definition and value), its count then patched.
            let ints = enc.encode(&vec![1i64, 2, 3]).unwrap_or_default();
            b.extend(patch_last_count(&ints, 1 << 50));
            Answer::Bytes(b)
        }
        "nil-flood" => {
            let nils = Value::new_slice(Type::interface_slice(), vec![Value::Nil; 10_000_000]);
            Answer::Bytes(reply(&mut enc, seq, "", &nils))
        }
        "half-reply-close" => Answer::HalfThenClose(reply(&mut enc, seq, "", &"x".repeat(4000))),
        "half-reply-exit" => Answer::HalfThenExit(reply(&mut enc, seq, "", &"x".repeat(4000))),
        "stall" => Answer::Nothing,
        other => match other.strip_prefix("frame:") {
            Some(kind) => {
                let _ = conn.inject.send((kind.to_owned(), id));
                Answer::Nothing
            }
            None => Answer::Bytes(reply(&mut enc, seq, "", &other.to_string())),
        },
    }
}

/// A success reply header alone.
fn reply_header(enc: &mut Encoder, seq: u64) -> Vec<u8> {
    let header = Response {
        service_method: "Plugin.Echo".into(),
        seq,
        error: String::new(),
    };
    enc.encode(&header).unwrap_or_default()
}

/// Splits a gob stream into its messages (length prefix included).
fn messages(mut b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some(&first) = b.first() {
        let (len, n) = if first < 128 {
            (first as usize, 1)
        } else {
            let k = (first as i8).unsigned_abs() as usize;
            let len = b[1..=k].iter().fold(0usize, |a, x| (a << 8) | *x as usize);
            (len, 1 + k)
        };
        out.push(&b[..n + len]);
        b = &b[n + len..];
    }
    out
}

/// The encoding of `vec![1i64, 2, 3]` with its element count replaced by `count`.
fn patch_last_count(stream: &[u8], count: u64) -> Vec<u8> {
    let msgs = messages(stream);
    let (last, defs) = msgs.split_last().expect("a value message");
    // The value message ends with: count 3, then the ints 1, 2, 3 (zig-zag: 2, 4, 6).
    let content = &last[1..];
    let head = &content[..content.len() - 4];
    let mut patched = head.to_vec();
    patched.extend(raw::gob_uint(count));
    patched.extend_from_slice(&[2, 4, 6]);
    let mut out: Vec<u8> = defs.concat();
    out.extend(raw::gob_message(&patched));
    out
}

/// Floods every output the host reads: the real stdout and stderr (fd 1 and 2), and the
/// stdout and stderr yamux streams.
async fn flood(conn: &Conn) {
    const MIB: usize = 1 << 20;
    let fds = tokio::task::spawn_blocking(|| {
        let line = format!("{}\n", "o".repeat(1023));
        let mut out = std::io::stdout().lock();
        for _ in 0..32 * 1024 {
            let _ = out.write_all(line.as_bytes());
        }
        let _ = out.flush();
        let log = format!(
            "{{\"@level\":\"info\",\"@message\":\"flood {}\",\"@timestamp\":\"2024-01-01T00:00:00.000000Z\",\"k\":1}}\n",
            "m".repeat(900)
        );
        let mut err = std::io::stderr().lock();
        for _ in 0..16 * 1024 {
            let _ = err.write_all(log.as_bytes());
        }
        let long = vec![b'e'; MIB];
        for _ in 0..16 {
            let _ = err.write_all(&long);
        }
        let _ = err.write_all(b"\n");
        let _ = err.flush();
    });
    let chunk = vec![b's'; 64 * 1024];
    let streams = async {
        let mut out = conn.stdout.lock().await;
        let mut err = conn.stderr.lock().await;
        for _ in 0..(32 * MIB / chunk.len()) {
            let _ = out.write_all(&chunk).await;
            let _ = err.write_all(&chunk).await;
        }
        let _ = out.flush().await;
        let _ = err.flush().await;
    };
    let (_, _) = tokio::join!(fds, streams);
}

/// Sits between the host's socket and the plugin's yamux session: forwards frames both ways,
/// drops the host's SYNs after `drop_after` streams, injects raw frames on request.
async fn proxy(
    host: UnixStream,
    plugin: tokio::io::DuplexStream,
    mut inject: mpsc::UnboundedReceiver<Inject>,
    drop_after: Option<usize>,
    fuzz: Option<SharedFuzz>,
) {
    let (mut host_rd, mut host_wr) = host.into_split();
    let (mut plugin_rd, mut plugin_wr) = tokio::io::split(plugin);
    tokio::spawn(async move {
        let mut opened = 0usize;
        let mut dropped = HashSet::new();
        while let Ok(Some(f)) = raw::read_frame(&mut host_rd, 16 << 20).await {
            if f.flags() & raw::SYN != 0 && matches!(f.kind(), raw::DATA | raw::WINDOW_UPDATE) {
                opened += 1;
                if drop_after.is_some_and(|n| opened > n) {
                    dropped.insert(f.stream());
                }
            }
            if dropped.contains(&f.stream()) {
                continue;
            }
            if plugin_wr.write_all(&f.bytes()).await.is_err() {
                break;
            }
        }
        let _ = plugin_wr.shutdown().await;
    });
    let (frames_tx, mut frames) = mpsc::channel::<Vec<u8>>(64);
    tokio::spawn(async move {
        while let Ok(Some(f)) = raw::read_frame(&mut plugin_rd, 16 << 20).await {
            if frames_tx.send(f.bytes()).await.is_err() {
                break;
            }
        }
    });
    loop {
        let bytes = tokio::select! {
            f = frames.recv() => match f {
                Some(f) => f,
                None => break,
            },
            Some((kind, id)) = inject.recv() => injected(&kind, id),
        };
        let (bytes, cut) = match &fuzz {
            Some(fuzz) => {
                let mut fuzz = fuzz.lock().unwrap_or_else(|p| p.into_inner());
                let out = fuzz.frame(bytes);
                fuzz.flush_log();
                out
            }
            None => (bytes, false),
        };
        if host_wr.write_all(&bytes).await.is_err() || cut {
            break;
        }
    }
    let _ = host_wr.shutdown().await;
}

type SharedFuzz = Arc<std::sync::Mutex<Fuzz>>;

/// The seeded mutations of `HOSTILE_FUZZ_SEED`.
struct Fuzz {
    m: sessfuzz::Mutator,
    /// Indices of the frames (in the order this plugin sends them) to mutate.
    frames: Vec<usize>,
    /// Frames sent so far.
    sent: usize,
    /// A frame held back to be sent after the next one.
    held: Option<Vec<u8>>,
    /// Log lines written so far.
    logged: usize,
}

impl Fuzz {
    fn new(seed: u64, most: u64) -> Fuzz {
        let mut m = sessfuzz::Mutator::new(seed);
        let n = 1 + m.rng.below(most.max(1));
        let frames = (0..n).map(|_| m.rng.below_usize(16)).collect();
        Fuzz {
            m,
            frames,
            sent: 0,
            held: None,
            logged: 0,
        }
    }

    /// Writes the mutations not yet logged to stderr, and to the file `HOSTILE_FUZZ_LOG`
    /// names (written before the mutated bytes are sent, so a host that sees their effect
    /// finds them there; stderr reaches it later).
    fn flush_log(&mut self) {
        let new = &self.m.log[self.logged..];
        if new.is_empty() {
            return;
        }
        let text: String = new.iter().map(|l| format!("SESSFUZZ {l}\n")).collect();
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
        if let Some(path) = std::env::var_os("HOSTILE_FUZZ_LOG") {
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(text.as_bytes()));
        }
        self.logged = self.m.log.len();
    }

    /// The handshake line, in 1 of 5 seeds mutated (then no frame is): a field replaced by
    /// a boundary or odd value, or its bytes mutated (which may remove its newline: the
    /// host then waits for the rest).
    fn handshake(&mut self, line: String) -> Vec<u8> {
        if self.m.rng.below(5) != 0 {
            return line.into_bytes();
        }
        self.frames.clear();
        let mut fields: Vec<String> = line.trim_end().split('|').map(str::to_owned).collect();
        if self.m.rng.below(2) == 0 {
            let i = self.m.rng.below_usize(fields.len() + 1);
            let v = [
                "",
                "0",
                "1",
                "2",
                "-1",
                "4294967295",
                "99999999999999999999",
                "tcp",
                "udp",
                "unix",
                "grpc",
                "netrpc",
                "/nonexistent.sock",
                "\u{0}",
                "127.0.0.1:1",
            ][self.m.rng.below_usize(15)]
            .to_string();
            self.m.log.push(format!("handshake field {i} -> {v:?}"));
            if i < fields.len() {
                fields[i] = v;
            } else {
                fields.push(v);
            }
            return format!("{}\n", fields.join("|")).into_bytes();
        }
        let mut b = line.into_bytes();
        self.m.bytes("handshake line", &mut b);
        b
    }

    /// The bytes to send for the next frame of the session (maybe none, maybe two frames),
    /// and whether to end the connection after them.
    fn frame(&mut self, bytes: Vec<u8>) -> (Vec<u8>, bool) {
        let index = self.sent;
        self.sent += 1;
        if let Some(held) = self.held.take() {
            let mut b = bytes;
            b.extend(held);
            return (b, false);
        }
        let hits = self.frames.iter().filter(|i| **i == index).count();
        if hits == 0 {
            return (bytes, false);
        }
        let Some(f) = parse_frame(&bytes) else {
            return (bytes, false);
        };
        let mut f = sessfuzz::Frame::from_raw(&f);
        let data = if f.kind == raw::DATA && !f.body.is_empty() {
            " (data)"
        } else {
            ""
        };
        let what = format!("frame {index} (type {} stream {}){data}", f.kind, f.stream);
        let mut cut = false;
        let mut raw_bytes: Option<Vec<u8>> = None;
        for _ in 0..hits {
            match self.m.rng.below(8) {
                0 | 1 if !data.is_empty() => {
                    if self.m.gob(&what, &mut f.body) {
                        f.length = u32::try_from(f.body.len()).unwrap_or(u32::MAX);
                    } else {
                        self.m.bytes(&what, &mut f.body);
                    }
                }
                0..=2 => self.m.field(&what, &mut f),
                3 => {
                    self.m.log.push(format!("{what}: duplicated"));
                    let mut b = f.bytes();
                    b.extend(f.bytes());
                    raw_bytes = Some(b);
                }
                4 => {
                    self.m.log.push(format!("{what}: dropped"));
                    raw_bytes = Some(Vec::new());
                }
                5 => {
                    self.m
                        .log
                        .push(format!("{what}: sent after the next frame"));
                    self.held = Some(f.bytes());
                    raw_bytes = Some(Vec::new());
                }
                6 => {
                    let mut b = f.bytes();
                    self.m.bytes(&what, &mut b);
                    raw_bytes = Some(b);
                }
                _ => {
                    let mut b = f.bytes();
                    self.m.truncate(&what, &mut b);
                    cut = true;
                    raw_bytes = Some(b);
                }
            }
            if raw_bytes.is_some() {
                break;
            }
        }
        (raw_bytes.unwrap_or_else(|| f.bytes()), cut)
    }
}

/// Parses the one frame in `bytes` (the proxy forwards one frame at a time).
fn parse_frame(bytes: &[u8]) -> Option<raw::Frame> {
    let header: [u8; raw::HEADER] = bytes.get(..raw::HEADER)?.try_into().ok()?;
    Some(raw::Frame {
        header,
        body: bytes[raw::HEADER..].to_vec(),
    })
}

/// The raw bytes of `frame:KIND` for dispensed stream `id`.
fn injected(kind: &str, id: u32) -> Vec<u8> {
    match kind {
        "bad-version" => raw::header(7, raw::DATA, 0, id, 0).to_vec(),
        "bad-type" => raw::header(0, 9, 0, id, 0).to_vec(),
        "huge-length" => {
            let mut f = raw::frame(raw::DATA, 0, id, u32::MAX, &[]);
            f.extend_from_slice(&[0u8; 4096]);
            f
        }
        "huge-window" => {
            let mut f = raw::frame(raw::WINDOW_UPDATE, 0, id, u32::MAX, &[]);
            f.extend(raw::frame(raw::WINDOW_UPDATE, 0, id, u32::MAX, &[]));
            f
        }
        "goaway" => raw::frame(raw::GO_AWAY, 0, 0, 0, &[]),
        "syn-flood" => (0..SYN_FLOOD)
            // The plugin (yamux server) opens even ids; far above those it uses itself.
            .flat_map(|i| raw::frame(raw::WINDOW_UPDATE, raw::SYN, 1_000_000 + 2 * i, 0, &[]))
            .collect(),
        "unknown-stream" => raw::data(0, 999_999, b"who am I"),
        _ => Vec::new(),
    }
}
