//! Seeded random traffic between our yamux [`Session`] and a real Go hashicorp/yamux peer
//! (`go-interop/cmd/yamux-random`, yamux 0bc27b27 with `DefaultConfig()`, as go-plugin v1.4.3).
//!
//! Both sides derive the same script from a seed (splitmix64, [`script`] here and
//! `genScript` in Go): 1..=48 streams, each opened by a random side after a random delay
//! (so some open while others transfer); per stream and direction a random sequence of
//! writes (mostly 0..=64 KiB, some 256 KiB..`MUXRAND_BIG_KIB`, beyond the 256 KiB window, so
//! window updates matter) with random pauses; the content of every byte is a function of
//! (seed, stream, direction, offset) ([`fill`]). Readers use random buffer sizes and pauses.
//! The opener's first 4 bytes name the script stream (big-endian index).
//!
//! Closing, as far as both APIs define an outcome:
//! - Rust shuts its write side down (FIN) a random delay after its last write, whatever its
//!   reader is doing; Go must read every byte, then EOF.
//! - Go closes after its last write and either once it has every byte Rust sends (before
//!   Rust's FIN) or after reading EOF, then a random delay. Never earlier: at yamux 0bc27b27
//!   a locally closed stream reads EOF as soon as its buffer is empty (`Stream.Read`), so
//!   Go would lose data still in flight. (In the first case Go's final EOF is its own
//!   close's, so only the other half of the streams proves Rust's FIN follows its last
//!   byte.) Rust must read every byte, then EOF.
//! - About 1 stream in 8 is dropped by Rust after reading a random number of Go's bytes:
//!   - half of them without a FIN (RST): Go's reads must be a correct prefix ending in EOF
//!     or `connection reset`, its writes complete or fail with `connection reset`;
//!   - half after all its writes and its FIN: Go must read everything, then EOF; its writes
//!     complete (the dropped stream lingers, discarding them) or fail with `connection
//!     reset` (after `close_timeout`); rust-yamux alone left Go's writer waiting forever.
//!
//!   No side may hang. Go has no per-stream reset, so Go never aborts.
//!
//! Go reports every stream's outcome as JSON; this side checks it against the script and
//! checks its own receipts. Every seed has a deadline; on timeout the seed and each
//! unfinished stream's progress on both sides are printed.
//!
//! Go's yamux log must stay empty but for one benign warning ([`BENIGN_GO_WARNING`]).
//!
//! The same Go source is also built against go-plugin v1.8.0's yamux v0.1.2
//! (`go-interop/latest/cmd/yamux-random`, a symlink), [`random_traffic_latest_go`].
//!
//! CI runs 6 seeds per role with big writes capped at 512 KiB, and 2 per role against the
//! newer yamux. A soak (a debug build is fast enough; the figures are in README.md):
//!
//! ```text
//! MUXRAND_SEED=1000 MUXRAND_SEEDS=300 MUXRAND_LATEST_SEEDS=100 MUXRAND_BIG_KIB=4096 \
//!   nice -n 10 cargo test --test mux_random -- --test-threads=1 --nocapture
//! ```
//!
//! A failing seed reruns alone with `MUXRAND_SEED=<seed> MUXRAND_SEEDS=1` (and the same
//! `MUXRAND_BIG_KIB`). Without a Go toolchain these tests fail; they never skip.

use std::{
    fmt::Write as _,
    process::Stdio,
    sync::{
        atomic::{AtomicU64, AtomicU8, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use seeded::{fill, mix64, Rng};
use serde_json::Value;
use tilores_plugin::mux::{MuxConfig, Role, Session, Stream};
use tilores_plugin_test_support::{env_u64, go_bin, TempDir};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{UnixListener, UnixStream},
    process::Command,
    task::JoinSet,
};

#[path = "common/seeded.rs"]
mod seeded;

const KIB: usize = 1024;
/// hashicorp/yamux's initial stream window; "big" writes exceed it.
const WINDOW: usize = 256 * KIB;
/// Largest "small" write.
const MAX_SMALL: usize = 64 * KIB;
/// Largest read buffer either side uses.
const MAX_READ: usize = 128 * KIB;

// ---------------------------------------------------------------------------
// Script (mirrors go-interop/cmd/yamux-random)
// ---------------------------------------------------------------------------

/// One direction of a stream.
#[derive(Debug, Default)]
struct Direction {
    /// Write sizes, in order.
    writes: Vec<usize>,
    /// Pause after each write, in ms.
    pauses_ms: Vec<u64>,
    /// Wait after the last write before the writer may close, in ms.
    fin_delay_ms: u64,
}

impl Direction {
    fn total(&self) -> u64 {
        self.writes.iter().map(|&w| w as u64).sum()
    }
}

/// Direction indices: Rust to Go, Go to Rust.
const TO_GO: usize = 0;
const TO_RUST: usize = 1;

#[derive(Debug)]
struct StreamScript {
    go_opens: bool,
    start_ms: u64,
    dirs: [Direction; 2],
    /// Go closes once it has all of Rust's bytes instead of after Rust's FIN.
    go_fin_early: bool,
    /// Rust drops the stream after reading this many of Go's bytes: without its FIN (RST),
    /// or with `drop_after_fin` after it (the stream then lingers, see `mux::Stream`).
    abort_after: Option<u64>,
    drop_after_fin: bool,
}

/// The script of `seed`; `big_max` bounds the big writes. Same draws, same order as Go.
fn script(seed: u64, big_max: usize) -> Vec<StreamScript> {
    let mut r = Rng(seed);
    let n = 1 + r.below_usize(48);
    (0..n)
        .map(|_| {
            let go_opens = r.below(2) == 1;
            let start_ms = r.below(50);
            let mut dirs: [Direction; 2] = Default::default();
            for dir in &mut dirs {
                for _ in 0..r.below(9) {
                    let size = match r.below(16) {
                        0 if big_max > WINDOW => WINDOW + r.below_usize(big_max - WINDOW + 1),
                        1 => 0,
                        2 => r.below_usize(16),
                        _ => r.below_usize(MAX_SMALL + 1),
                    };
                    let pause = if r.below(4) == 0 { r.below(4) } else { 0 };
                    dir.writes.push(size);
                    dir.pauses_ms.push(pause);
                }
                if r.below(4) == 0 {
                    dir.fin_delay_ms = r.below(10);
                }
            }
            let go_fin_early = r.below(2) == 1;
            let abort_after = (r.below(8) == 0).then(|| r.below(dirs[TO_RUST].total() + 1));
            let drop_after_fin = abort_after.is_some() && r.below(2) == 1;
            StreamScript {
                go_opens,
                start_ms,
                dirs,
                go_fin_early,
                abort_after,
                drop_after_fin,
            }
        })
        .collect()
}

/// Names the byte sequence of one direction of one stream.
fn content_key(seed: u64, stream: usize, dir: usize) -> u64 {
    mix64(seed.wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul((2 * stream + dir + 1) as u64)))
}

// ---------------------------------------------------------------------------
// Rust driver
// ---------------------------------------------------------------------------

/// One stream's progress on the Rust side, for the timeout report.
#[derive(Default)]
struct Progress {
    sent: AtomicU64,
    received: AtomicU64,
    phase: AtomicU8,
}

const PHASES: [&str; 6] = [
    "not opened",
    "running",
    "written",
    "FIN sent",
    "done",
    "aborted",
];

impl Progress {
    fn set(&self, phase: usize) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }
}

/// Writes one direction; closes the write side afterwards unless `abort`.
async fn write_side(
    wr: &mut tokio::io::WriteHalf<Stream>,
    dir: &Direction,
    key: u64,
    progress: &Progress,
    abort: bool,
) -> Result<(), String> {
    let mut offset = 0u64;
    for (w, (&size, &pause)) in dir.writes.iter().zip(&dir.pauses_ms).enumerate() {
        let mut buf = vec![0; size];
        fill(&mut buf, key, offset);
        wr.write_all(&buf)
            .await
            .map_err(|e| format!("write {w} ({size} bytes at offset {offset}): {e}"))?;
        offset += size as u64;
        progress.sent.store(offset, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    progress.set(2);
    if abort {
        // The reader decides when the stream is dropped.
        return std::future::pending().await;
    }
    tokio::time::sleep(Duration::from_millis(dir.fin_delay_ms)).await;
    wr.shutdown().await.map_err(|e| format!("shutdown: {e}"))?;
    progress.set(3);
    Ok(())
}

/// Reads Go's bytes with random buffer sizes and pauses, checking each one: all of them
/// and then EOF, or exactly `limit` of them.
async fn read_side(
    rd: &mut tokio::io::ReadHalf<Stream>,
    expected: u64,
    limit: Option<u64>,
    key: u64,
    mut r: Rng,
    progress: &Progress,
) -> Result<(), String> {
    let mut buf = vec![0; MAX_READ];
    let mut want = vec![0; MAX_READ];
    let mut got = 0u64;
    loop {
        if limit == Some(got) {
            return Ok(());
        }
        let mut size = 1 + r.below_usize(MAX_READ);
        if r.below(4) == 0 {
            size = 1 + r.below_usize(16);
        }
        if let Some(limit) = limit {
            size = size.min((limit - got) as usize);
        }
        let n = rd
            .read(&mut buf[..size])
            .await
            .map_err(|e| format!("read at offset {got}: {e}"))?;
        if n == 0 {
            return if got == expected && limit.is_none() {
                Ok(())
            } else {
                Err(format!("EOF after {got} of {expected} bytes"))
            };
        }
        if got + n as u64 > expected {
            return Err(format!(
                "{} bytes beyond the {expected} Go sends",
                got + n as u64 - expected
            ));
        }
        fill(&mut want[..n], key, got);
        if let Some(k) = (0..n).find(|&k| buf[k] != want[k]) {
            return Err(format!("content mismatch at offset {}", got + k as u64));
        }
        got += n as u64;
        progress.received.store(got, Ordering::Relaxed);
        if r.below(8) == 0 {
            tokio::time::sleep(Duration::from_millis(r.below(3))).await;
        }
    }
}

/// Runs one stream to its end (or its abort) on the Rust side.
async fn drive(
    seed: u64,
    index: usize,
    s: &StreamScript,
    stream: Stream,
    p: &Progress,
) -> Result<(), String> {
    p.set(1);
    let rst = s.abort_after.is_some() && !s.drop_after_fin;
    let (mut rd, mut wr) = tokio::io::split(stream);
    let reader = read_side(
        &mut rd,
        s.dirs[TO_RUST].total(),
        s.abort_after,
        content_key(seed, index, TO_RUST),
        Rng(mix64(seed ^ (index as u64) << 32 ^ 0x52)),
        p,
    );
    let writer = write_side(
        &mut wr,
        &s.dirs[TO_GO],
        content_key(seed, index, TO_GO),
        p,
        rst,
    );
    if s.drop_after_fin {
        // Everything written and FIN sent, part of Go's data read: the drop below lingers.
        tokio::try_join!(reader, writer)?;
        p.set(5);
    } else if rst {
        // The writer never ends on its own here; dropping both halves resets the stream.
        tokio::select! {
            r = reader => r?,
            w = writer => w?,
        }
        p.set(5);
    } else {
        tokio::try_join!(reader, writer)?;
        p.set(4);
    }
    Ok(())
}

/// Opens the streams Rust opens and accepts Go's, driving each; returns one line per failure.
async fn run_rust_side(
    seed: u64,
    session: Session,
    plan: Arc<Vec<StreamScript>>,
    progress: Arc<Vec<Progress>>,
) -> Vec<String> {
    let mut tasks = JoinSet::new();
    for (index, s) in plan.iter().enumerate().filter(|(_, s)| !s.go_opens) {
        let (session, plan, progress) = (session.clone(), Arc::clone(&plan), Arc::clone(&progress));
        let start = Duration::from_millis(s.start_ms);
        tasks.spawn(async move {
            tokio::time::sleep(start).await;
            let mut stream = session.open().await.map_err(|e| format!("open: {e}"))?;
            stream
                .write_all(&(index as u32).to_be_bytes())
                .await
                .map_err(|e| format!("writing the header: {e}"))?;
            drive(seed, index, &plan[index], stream, &progress[index])
                .await
                .map_err(|e| format!("stream {index} (Rust opened): {e}"))
        });
    }
    let go_opened = plan.iter().filter(|s| s.go_opens).count();
    for _ in 0..go_opened {
        let Some(mut stream) = session.accept().await else {
            tasks.spawn(async { Err("session ended before Go opened every stream".to_string()) });
            break;
        };
        let (plan, progress) = (Arc::clone(&plan), Arc::clone(&progress));
        tasks.spawn(async move {
            let mut header = [0; 4];
            stream
                .read_exact(&mut header)
                .await
                .map_err(|e| format!("reading the header of stream id {}: {e}", stream.id()))?;
            let index = u32::from_be_bytes(header) as usize;
            match plan.get(index) {
                Some(s) if s.go_opens && progress[index].phase.load(Ordering::Relaxed) == 0 => {
                    drive(seed, index, s, stream, &progress[index])
                        .await
                        .map_err(|e| format!("stream {index} (Go opened): {e}"))
                }
                _ => Err(format!(
                    "stream id {} names script stream {index}, which Go does not open (or twice)",
                    stream.id()
                )),
            }
        });
    }
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(format!("stream task panicked: {e}")),
        }
    }
    failures
}

// ---------------------------------------------------------------------------
// Go peer and checker
// ---------------------------------------------------------------------------

/// The one line Go's yamux may log in these runs: a window update (type 1, no flags) for a
/// stream it has already closed and forgotten. It races with Go's FIN: Go closes once it
/// has all of Rust's bytes and Rust's FIN, while Rust is still reading Go's last bytes and
/// granting window for them (rust-yamux stops granting once the FIN arrived). A Go peer
/// does the same (its `Stream.Read` sends updates whatever the state) and Go drops the
/// frame (`Session.handleStreamMessage`). Any other log line (data for a missing stream, a
/// protocol error) fails the seed.
const BENIGN_GO_WARNING: &str = "[WARN] yamux: frame for missing stream: Vsn:0 Type:1 Flags:0 ";

/// Settings of a run, from the environment.
struct Settings {
    first: u64,
    count: u64,
    big_max: usize,
    deadline: Duration,
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            first: env_u64("MUXRAND_SEED", 1),
            count: env_u64("MUXRAND_SEEDS", 6),
            big_max: env_u64("MUXRAND_BIG_KIB", 512) as usize * KIB,
            deadline: Duration::from_secs(env_u64("MUXRAND_DEADLINE_SECS", 30)),
        }
    }
}

/// What one seed moved, for the summary line.
struct Outcome {
    streams: usize,
    bytes: u64,
}

/// Which hashicorp/yamux the Go peer is built with.
#[derive(Debug, Clone, Copy)]
enum GoYamux {
    /// 0bc27b27, as go-plugin v1.4.3 (tilores-plugin-api's).
    Pinned,
    /// v0.1.2, as go-plugin v1.8.0 (`go-interop/latest`, the same source).
    Latest,
}

impl GoYamux {
    fn binary(self) -> &'static str {
        match self {
            GoYamux::Pinned => "yamux-random",
            GoYamux::Latest => "latest/yamux-random",
        }
    }
}

/// Runs one seed with Go in `go_role`; `Err` describes every failure, with the seed.
async fn run_seed(
    seed: u64,
    peer: GoYamux,
    go_role: Role,
    big_max: usize,
    deadline: Duration,
) -> Result<Outcome, String> {
    let plan = Arc::new(script(seed, big_max));
    let progress: Arc<Vec<Progress>> = Arc::new(plan.iter().map(|_| Progress::default()).collect());
    let dir = TempDir::new("muxrand");
    let socket = dir.path().join("yamux.sock");
    let listener =
        (go_role == Role::Client).then(|| UnixListener::bind(&socket).expect("bind unix socket"));
    let binary = go_bin(peer.binary());
    let mut child = Command::new(&binary)
        .arg("-socket")
        .arg(&socket)
        .args([
            "-role",
            if go_role == Role::Client {
                "client"
            } else {
                "server"
            },
        ])
        .args(["-seed", &seed.to_string(), "-big-max", &big_max.to_string()])
        .args(["-timeout", &format!("{}ms", deadline.as_millis())])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let stderr = child.stderr.take().expect("piped stderr");
    let stderr = tokio::spawn(async move {
        let mut text = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut text).await;
        text
    });
    let limit = Duration::from_secs(10);
    let conn = match listener {
        Some(listener) => {
            tokio::time::timeout(limit, listener.accept())
                .await
                .map_err(|_| format!("seed {seed}: Go did not dial in"))?
                .map_err(|e| format!("seed {seed}: accept: {e}"))?
                .0
        }
        None => {
            let ready = tokio::time::timeout(limit, stdout.next_line()).await;
            if !matches!(&ready, Ok(Ok(Some(line))) if line == "READY") {
                return Err(format!("seed {seed}: no READY from Go: {ready:?}"));
            }
            UnixStream::connect(&socket)
                .await
                .map_err(|e| format!("seed {seed}: connect: {e}"))?
        }
    };
    let rust_role = if go_role == Role::Client {
        Role::Server
    } else {
        Role::Client
    };
    if rust_role == Role::Server {
        let ready = tokio::time::timeout(limit, stdout.next_line()).await;
        if !matches!(&ready, Ok(Ok(Some(line))) if line == "READY") {
            return Err(format!("seed {seed}: no READY from Go: {ready:?}"));
        }
    }
    let session =
        Session::new(conn, rust_role, MuxConfig::default()).expect("start the Rust session");
    let started = Instant::now();
    let rust = tokio::time::timeout(
        deadline,
        run_rust_side(
            seed,
            session.clone(),
            Arc::clone(&plan),
            Arc::clone(&progress),
        ),
    )
    .await;
    // Go prints its report when its streams are done or its own deadline (the same, started
    // a little earlier) passed.
    let go_wait = deadline.saturating_sub(started.elapsed()) + Duration::from_secs(5);
    let go_line = tokio::time::timeout(go_wait, stdout.next_line()).await;
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    drop(session);
    let _ = child.kill().await;
    let go_stderr = tokio::time::timeout(Duration::from_secs(2), stderr)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();

    let mut failures = match rust {
        Ok(failures) => failures,
        Err(_) => vec![format!("Rust side timed out after {deadline:?}")],
    };
    let report: Option<Value> = match go_line {
        Ok(Ok(Some(line))) => match serde_json::from_str(&line) {
            Ok(v) => Some(v),
            Err(e) => {
                failures.push(format!("Go printed invalid JSON ({e}): {line}"));
                None
            }
        },
        other => {
            failures.push(format!("no report from Go: {other:?}"));
            None
        }
    };
    let mut bytes = 0;
    if let Some(report) = &report {
        bytes = report["bytes"].as_u64().unwrap_or(0);
        check_go_report(report, &plan, &mut failures);
        let exit_ok = matches!(&status, Ok(Ok(s)) if s.success());
        if exit_ok != (report["ok"] == Value::Bool(true)) {
            failures.push(format!(
                "Go exit status {status:?} disagrees with its report"
            ));
        }
    }
    failures.extend(
        go_stderr
            .lines()
            .filter(|line| !line.contains(BENIGN_GO_WARNING))
            .map(|line| format!("Go logged: {line}")),
    );
    if failures.is_empty() {
        return Ok(Outcome {
            streams: plan.len(),
            bytes,
        });
    }
    let mut text = format!(
        "seed {seed} (Go as {go_role:?}, MUXRAND_BIG_KIB={}): {} stream(s) failed:\n",
        big_max / KIB,
        failures.len()
    );
    for f in &failures {
        let _ = writeln!(text, "  {f}");
    }
    let _ = writeln!(
        text,
        "unfinished streams (Rust: phase, sent/received; Go: sent/received):"
    );
    for (i, (s, p)) in plan.iter().zip(progress.iter()).enumerate() {
        let phase = PHASES[p.phase.load(Ordering::Relaxed) as usize];
        let go = report.as_ref().map(|r| &r["streams"][i]);
        let go_finished =
            go.is_some_and(|g| g["done"] == Value::Bool(true) && g["error"].is_null());
        if (phase == "done" || phase == "aborted") && go_finished {
            continue;
        }
        let _ = writeln!(
            text,
            "  {i}: {} opens, Rust {phase} {}/{} of {}/{}, abort {:?}, Go FIN early {}; Go {}",
            if s.go_opens { "Go" } else { "Rust" },
            p.sent.load(Ordering::Relaxed),
            p.received.load(Ordering::Relaxed),
            s.dirs[TO_GO].total(),
            s.dirs[TO_RUST].total(),
            s.abort_after,
            s.go_fin_early,
            go.map(|g| g.to_string()).unwrap_or_default(),
        );
    }
    let _ = writeln!(text, "Go stderr:\n{go_stderr}");
    Err(text)
}

/// Checks Go's per-stream report against the script: the same streams (so both sides
/// derived the same script), every byte received and EOF, except on aborted streams,
/// where Go must have a correct prefix and an end (EOF or reset).
fn check_go_report(report: &Value, plan: &[StreamScript], failures: &mut Vec<String>) {
    if report["ok"] != Value::Bool(true) {
        failures.push(format!("Go: {}", report["error"]));
    }
    let Some(streams) = report["streams"].as_array() else {
        failures.push("Go's report has no streams".into());
        return;
    };
    if streams.len() != plan.len() {
        failures.push(format!(
            "Go's script has {} streams, ours {}",
            streams.len(),
            plan.len()
        ));
        return;
    }
    let mut unstarted_aborts = 0;
    for (i, (g, s)) in streams.iter().zip(plan).enumerate() {
        let field = |name: &str| g[name].as_u64().unwrap_or(u64::MAX);
        let flag = |name: &str| g[name] == Value::Bool(true);
        let to_go = s.dirs[TO_GO].total();
        let mut wrong = Vec::new();
        if g["go_opened"] != Value::Bool(s.go_opens) || field("expected_in") != to_go {
            wrong.push("a different script".to_string());
        }
        if g["mismatch_at"] != -1 {
            wrong.push(format!("a mismatch at {}", g["mismatch_at"]));
        }
        if !g["error"].is_null() {
            wrong.push(format!("error {}", g["error"]));
        }
        // Every byte and a clean EOF for Go, unless Rust reset the stream.
        match s.abort_after.filter(|_| !s.drop_after_fin) {
            None => {
                if !(flag("done") && flag("eof") && !flag("reset")) {
                    wrong.push("no clean end (done, EOF, no reset)".into());
                }
                let sent_ok = s.drop_after_fin || field("sent") == s.dirs[TO_RUST].total();
                if field("received") != to_go || !sent_ok {
                    wrong.push(format!(
                        "received {} of {to_go}, sent {} of {}",
                        g["received"],
                        g["sent"],
                        s.dirs[TO_RUST].total()
                    ));
                }
            }
            Some(_) if !flag("started") && !s.go_opens => unstarted_aborts += 1,
            Some(_) => {
                if !(flag("done") && (flag("eof") || flag("reset"))) || field("received") > to_go {
                    wrong.push("no end (EOF or reset) or too many bytes".into());
                }
            }
        }
        if !wrong.is_empty() {
            failures.push(format!("Go stream {i}: {} ({g})", wrong.join(", ")));
        }
    }
    if report["unidentified_resets"] != unstarted_aborts {
        failures.push(format!(
            "Go reset {} unidentified streams, {unstarted_aborts} aborted streams unstarted",
            report["unidentified_resets"]
        ));
    }
}

/// Runs the seed range with Go in `go_role`, failing with every failed seed's report.
async fn run_seeds(peer: GoYamux, go_role: Role, count: u64) {
    let settings = Settings::from_env();
    let started = Instant::now();
    let (mut streams, mut bytes, mut failed) = (0, 0, Vec::new());
    for seed in settings.first..settings.first + count {
        match run_seed(seed, peer, go_role, settings.big_max, settings.deadline).await {
            Ok(outcome) => {
                streams += outcome.streams;
                bytes += outcome.bytes;
            }
            Err(text) => {
                eprintln!("{text}");
                failed.push(seed);
            }
        }
    }
    eprintln!(
        "mux_random, Go ({peer:?} yamux) as {go_role:?}: seeds {}..{}, {streams} streams, {:.1} MiB, {:.1} s, failed seeds: {failed:?}",
        settings.first,
        settings.first + count,
        bytes as f64 / (KIB * KIB) as f64,
        started.elapsed().as_secs_f64()
    );
    assert!(
        failed.is_empty(),
        "failed seeds (Go as {go_role:?}): {failed:?}; details above"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_traffic_go_client() {
    let count = Settings::from_env().count;
    run_seeds(GoYamux::Pinned, Role::Client, count).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_traffic_go_server() {
    let count = Settings::from_env().count;
    run_seeds(GoYamux::Pinned, Role::Server, count).await;
}

/// Fewer seeds against the newer yamux: the one the Rust side was made for is the pinned one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_traffic_latest_go() {
    let count = env_u64("MUXRAND_LATEST_SEEDS", 2);
    run_seeds(GoYamux::Latest, Role::Client, count).await;
    run_seeds(GoYamux::Latest, Role::Server, count).await;
}
