//! net/rpc over yamux over a unix socket: Go↔Go, Rust client→Go server, Go client→Rust server,
//! Rust↔Rust (always two processes), plus two floors: a runtime-free blocking unix-socket
//! ping-pong (bench/benches/floor.rs, in this binary) and Go's (go-interop/cmd/sockfloor).
//!
//! ```text
//! cargo bench -p tilores-plugin-bench --bench netrpc   # builds the Go peers, runs everything
//! ```
//!
//! Environment: `NETRPC_RUNS` (repetitions, default 5), `NETRPC_DURATION_MS` (measured time per
//! run, default 2000), `NETRPC_WARMUP_MS` (discarded warm-up, default 500), `NETRPC_RUNTIME`
//! (`current` or `multi`: tokio flavor of the Rust peers, default `current`), `NETRPC_ONLY`
//! (comma-separated subset of `go-go`, `rust-go`, `go-rust`, `rust-rust`, `floor`),
//! `NETRPC_JSONL` (a file to append one JSON line per row and run to; `bash bench/run` uses it).
//!
//! Fair baselines (BENCHMARKS.md, "Method"): every pairing with a Go peer runs twice, with
//! `GOMAXPROCS=1` and with Go's default (both Go processes get the same setting); rows run in
//! an order that rotates each run; a ratio is computed per run against the faster Go↔Go of
//! that run and shown as the median of the per-run ratios with their range.
//!
//! Every measurement is one client process and one server process: the Go side is
//! `go-interop/cmd/rpc-peer` (`serve -mux`, `bench -mux`), the Rust side is this binary
//! re-executed as `peer-serve` or `peer-bench`. The workload is the Go peer's bench: `callers`
//! tasks share one net/rpc client on one yamux stream and call `Echo.Echo` with a small struct
//! back-to-back; every call that starts after the warm-up and ends within the measured window
//! counts. Numbers in the table are medians over the runs; ratios are against Go↔Go.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tilores_plugin::mux::{MuxConfig, Role, Session, Stream, UnixSocket};
use tilores_plugin::rpc::{Client, Server};
use tilores_plugin_test_support::{go_bin, TempDir};

#[path = "../../tests/common/echo_args.rs"]
mod echo_args;
use echo_args::EchoArgs;

/// The Go bench's argument: `EchoArgs{42, "bench", ["a","b"], 0..15, 1.5, {"k":"v"}}`.
fn bench_args() -> EchoArgs {
    EchoArgs {
        id: 42,
        name: "bench".into(),
        tags: vec!["a".into(), "b".into()],
        data: (0..16).collect(),
        score: 1.5,
        meta: [("k".to_string(), "v".to_string())].into_iter().collect(),
    }
}

mod common;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("peer-serve") => peer(|rt| rt.block_on(peer_serve(&args[2..]))),
        Some("floor-echo") => {
            flag(&args, "-child-echo-socket").and_then(|path| common::floor_echo_child(path, 64))
        }
        Some("peer-bench") => peer(|rt| rt.block_on(peer_bench(&args[2..]))),
        // `cargo bench` passes `--bench` (and maybe a filter); both are ignored.
        _ => orchestrate(),
    };
    if let Err(e) = result {
        eprintln!("netrpc bench: {e}");
        std::process::exit(1);
    }
}

// ------------------------------------------------------------------ Rust peers

/// Runs `f` on the tokio runtime flavor chosen by `NETRPC_RUNTIME`.
fn peer(f: impl FnOnce(&tokio::runtime::Runtime) -> Result<(), String>) -> Result<(), String> {
    let mut b = match std::env::var("NETRPC_RUNTIME").as_deref() {
        Ok("multi") => tokio::runtime::Builder::new_multi_thread(),
        Ok("current") | Err(_) => tokio::runtime::Builder::new_current_thread(),
        Ok(other) => return Err(format!("NETRPC_RUNTIME={other}: want current or multi")),
    };
    let rt = b.enable_all().build().map_err(|e| e.to_string())?;
    f(&rt)
}

/// The value of `--name` in `args`.
fn flag<'a>(args: &'a [String], name: &str) -> Result<&'a str, String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
        .ok_or_else(|| format!("missing {name}"))
}

fn num_flag(args: &[String], name: &str) -> Result<u64, String> {
    flag(args, name)?
        .parse()
        .map_err(|e| format!("{name}: {e}"))
}

/// Rust server: listens on `--socket`, prints READY, serves `Echo.Echo` on every stream of
/// every yamux session (yamux server), exits when stdin reaches EOF.
async fn peer_serve(args: &[String]) -> Result<(), String> {
    let path = PathBuf::from(flag(args, "--socket")?);
    let listener = tokio::net::UnixListener::bind(&path).map_err(|e| format!("bind: {e}"))?;
    let server = Server::new();
    server
        .register_fn(
            "Echo",
            "Echo",
            |a: EchoArgs| async move { Ok::<_, String>(a) },
        )
        .map_err(|e| e.to_string())?;
    let stdin_eof = tokio::task::spawn_blocking(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
    });
    println!("READY");
    let accept = async {
        while let Ok((conn, _)) = listener.accept().await {
            let server = server.clone();
            let Ok(conn) = UnixSocket::from_tokio(conn) else {
                continue;
            };
            let Ok(session) = Session::new(conn, Role::Server, MuxConfig::default()) else {
                continue;
            };
            tokio::spawn(async move {
                while let Some(stream) = session.accept().await {
                    let server = server.clone();
                    tokio::spawn(async move { server.serve(stream).await });
                }
            });
        }
    };
    tokio::select! {
        _ = accept => {}
        _ = stdin_eof => {}
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// Rust client: dials `--socket` as yamux client, opens one stream, and runs the Go peer's
/// bench on one net/rpc client; prints the same JSON line as `rpc-peer bench`.
async fn peer_bench(args: &[String]) -> Result<(), String> {
    let path = PathBuf::from(flag(args, "--socket")?);
    let callers = num_flag(args, "--callers")? as usize;
    let duration = Duration::from_millis(num_flag(args, "--duration-ms")?);
    let warmup = Duration::from_millis(num_flag(args, "--warmup-ms")?);
    let conn = tokio::net::UnixStream::connect(&path)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let conn = UnixSocket::from_tokio(conn).map_err(|e| format!("register: {e}"))?;
    let session =
        Session::new(conn, Role::Client, MuxConfig::default()).map_err(|e| e.to_string())?;
    let stream: Stream = session.open().await.map_err(|e| e.to_string())?;
    let client = Client::new(stream);
    let want = Arc::new(bench_args());
    let start = Instant::now();
    let (meas_start, meas_end) = (start + warmup, start + warmup + duration);
    let mut tasks = Vec::new();
    for _ in 0..callers {
        let (c, want) = (client.clone(), want.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(1 << 16);
            loop {
                let t0 = Instant::now();
                if t0 >= meas_end {
                    return Ok(lat);
                }
                let r: EchoArgs = c
                    .call("Echo.Echo", &*want)
                    .await
                    .map_err(|e| format!("Echo.Echo: {e}"))?;
                if r != *want {
                    return Err(format!("Echo.Echo: wrong reply {r:?}"));
                }
                let t1 = Instant::now();
                if t0 >= meas_start && t1 <= meas_end {
                    lat.push(t1 - t0);
                }
            }
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.map_err(|e| e.to_string())??);
    }
    let _ = client.close().await;
    let _ = session.close().await;
    lat.sort();
    let pct = |p: f64| {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((p * lat.len() as f64).ceil() as usize).clamp(1, lat.len()) - 1;
        (lat[i].as_secs_f64() * 1e7).round() / 10.0
    };
    let line = serde_json::json!({
        "mode": "rust-bench", "callers": callers, "calls": lat.len(),
        "calls_per_sec": lat.len() as f64 / duration.as_secs_f64(),
        "p50_us": pct(0.50), "p99_us": pct(0.99), "mux": true,
    });
    println!("{line}");
    Ok(())
}

// ------------------------------------------------------------------ orchestration

/// Who plays which side.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Go,
    Rust,
}

/// One client/server combination.
struct Pair {
    name: &'static str,
    label: &'static str,
    client: Side,
    server: Side,
}

const PAIRS: [Pair; 4] = [
    Pair {
        name: "go-go",
        label: "Go client → Go server",
        client: Side::Go,
        server: Side::Go,
    },
    Pair {
        name: "rust-go",
        label: "Rust client → Go server",
        client: Side::Rust,
        server: Side::Go,
    },
    Pair {
        name: "go-rust",
        label: "Go client → Rust server",
        client: Side::Go,
        server: Side::Rust,
    },
    Pair {
        name: "rust-rust",
        label: "Rust client → Rust server",
        client: Side::Rust,
        server: Side::Rust,
    },
];

const CALLERS: [usize; 2] = [1, 64];

/// One measurement's figures.
#[derive(Clone, Copy, Debug)]
struct Sample {
    per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    /// CPU time (user + system, all threads) per call of the client and the server process,
    /// in µs; NaN where not measured.
    client_cpu_us: f64,
    server_cpu_us: f64,
}

impl Sample {
    fn from_json(j: &Json, rate_key: &str) -> Result<Sample, String> {
        let get = |k: &str| {
            j[k].as_f64()
                .ok_or_else(|| format!("no number {k:?} in {j}"))
        };
        Ok(Sample {
            per_sec: get(rate_key)?,
            p50_us: get("p50_us")?,
            p99_us: get("p99_us")?,
            client_cpu_us: f64::NAN,
            server_cpu_us: f64::NAN,
        })
    }
}

/// Linux's fixed `USER_HZ`: the unit of the times in `/proc/*/stat`.
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// Fields of `/proc/<pid>/stat` after the command name: `[0]` is field 3 (state).
fn stat_fields(pid: &str) -> Result<Vec<u64>, String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    let rest = text
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| format!("/proc/{pid}/stat: no command name"))?;
    // The state (a letter) becomes 0; only the numeric fields are used.
    Ok(rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect())
}

/// CPU seconds (user + system) of process `pid` so far (fields 14 and 15).
fn process_cpu(pid: &str) -> Result<f64, String> {
    let f = stat_fields(pid)?;
    match (f.get(11), f.get(12)) {
        (Some(u), Some(s)) => Ok((u + s) as f64 / CLOCK_TICKS_PER_SEC),
        _ => Err(format!("/proc/{pid}/stat: too few fields")),
    }
}

/// CPU seconds of this process's waited-for children so far (fields 16 and 17).
fn reaped_children_cpu() -> Result<f64, String> {
    let f = stat_fields("self")?;
    match (f.get(13), f.get(14)) {
        (Some(u), Some(s)) => Ok((u + s) as f64 / CLOCK_TICKS_PER_SEC),
        _ => Err("/proc/self/stat: too few fields".into()),
    }
}

fn env_u64(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|e| format!("{name}={v}: {e}")),
        Err(_) => Ok(default),
    }
}

struct Settings {
    me: PathBuf,
    runs: u64,
    duration_ms: u64,
    warmup_ms: u64,
}

/// A measured row: a pairing and, where a Go process takes part, its GOMAXPROCS.
struct Row {
    name: String,
    label: String,
    pair: &'static Pair,
    /// `Some(1)`: GOMAXPROCS=1; `None`: unset (Go's default, the number of CPUs).
    gomaxprocs: Option<u32>,
}

fn rows(wanted: impl Fn(&str) -> bool) -> Vec<Row> {
    let mut out = Vec::new();
    for pair in PAIRS.iter().filter(|p| wanted(p.name)) {
        if pair.client == Side::Rust && pair.server == Side::Rust {
            out.push(Row {
                name: pair.name.into(),
                label: pair.label.into(),
                pair,
                gomaxprocs: None,
            });
            continue;
        }
        for (suffix, note, gomaxprocs) in [
            ("gmp1", "GOMAXPROCS=1", Some(1)),
            ("gmpdef", "GOMAXPROCS default", None),
        ] {
            out.push(Row {
                name: format!("{}-{suffix}", pair.name),
                label: format!("{}, {note}", pair.label),
                pair,
                gomaxprocs,
            });
        }
    }
    out
}

/// Sets or clears GOMAXPROCS for a Go process (a Rust peer ignores it).
fn go_env(cmd: &mut Command, gomaxprocs: Option<u32>) {
    match gomaxprocs {
        Some(n) => cmd.env("GOMAXPROCS", n.to_string()),
        None => cmd.env_remove("GOMAXPROCS"),
    };
}

fn orchestrate() -> Result<(), String> {
    let s = Settings {
        me: std::env::current_exe().map_err(|e| e.to_string())?,
        runs: env_u64("NETRPC_RUNS", 5)?.max(1),
        duration_ms: env_u64("NETRPC_DURATION_MS", 2000)?,
        warmup_ms: env_u64("NETRPC_WARMUP_MS", 500)?,
    };
    let only: Option<Vec<String>> = std::env::var("NETRPC_ONLY")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == name));
    // Built (with the other Go peers) once per process; a missing Go toolchain fails loudly.
    go_bin("rpc-peer");
    go_bin("sockfloor");
    let runtime = std::env::var("NETRPC_RUNTIME").unwrap_or_else(|_| "current".into());
    eprintln!(
        "netrpc: {} runs × {} ms (+{} ms warm-up) per measurement; Rust peers: tokio {runtime}-thread runtime",
        s.runs, s.duration_ms, s.warmup_ms
    );

    let load_before = loadavg();
    let rows = rows(wanted);
    let mut results: Results = HashMap::new();
    let mut floors: HashMap<&str, Vec<Sample>> = HashMap::new();
    let jsonl = std::env::var_os("NETRPC_JSONL").map(PathBuf::from);
    // Runs are interleaved (run 1 of everything, then run 2, …) and the order rotates by one
    // each run, so drifts in machine load spread over all rows instead of skewing one.
    for run in 1..=s.runs {
        if wanted("floor") {
            for (name, sample) in floors_once(&s)? {
                eprintln!("run {run} floor {name}: {sample:?}");
                floors.entry(name).or_default().push(sample);
            }
        }
        let k = (run as usize - 1) % rows.len().max(1);
        for row in rows[k..].iter().chain(&rows[..k]) {
            let mut line = serde_json::json!({"row": row.name, "run": run});
            for callers in CALLERS {
                let sample = measure(&s, row, callers)?;
                eprintln!("run {run} {} ×{callers}: {sample:?}", row.name);
                let tag = if callers == 1 {
                    "seq".to_string()
                } else {
                    format!("c{callers}")
                };
                line[format!("calls_per_sec_{tag}")] = serde_json::json!(sample.per_sec);
                line[format!("p50_us_{tag}")] = serde_json::json!(sample.p50_us);
                line[format!("p99_us_{tag}")] = serde_json::json!(sample.p99_us);
                line[format!("cpu_us_per_call_client_{tag}")] =
                    serde_json::json!(sample.client_cpu_us);
                line[format!("cpu_us_per_call_server_{tag}")] =
                    serde_json::json!(sample.server_cpu_us);
                results
                    .entry((row.name.clone(), callers))
                    .or_default()
                    .push((run, sample));
            }
            if let Some(path) = &jsonl {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                writeln!(f, "{line}").map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    let load = format!("{load_before} before, {} after", loadavg());
    print_table(&s, &runtime, &load, &rows, &results, &floors);
    Ok(())
}

/// Figures of every (row, callers) in run order: `(run, sample)`.
type Results = HashMap<(String, usize), Vec<(u64, Sample)>>;

/// One run of each floor: the runtime-free blocking ping-pong, and Go's at both GOMAXPROCS.
fn floors_once(s: &Settings) -> Result<Vec<(&'static str, Sample)>, String> {
    let mut out = Vec::new();
    let j = common::blocking_floor(
        &["floor-echo"],
        Duration::from_millis(s.duration_ms),
        Duration::from_millis(s.warmup_ms),
        64,
    )?;
    out.push(("blocking", Sample::from_json(&j, "roundtrips_per_sec")?));
    for (name, gomaxprocs) in [("go-gmp1", Some(1)), ("go-gmpdef", None)] {
        let mut cmd = Command::new(go_bin("sockfloor"));
        cmd.args([
            "-echo-process",
            "-duration",
            &format!("{}ms", s.duration_ms),
            "-warmup",
            &format!("{}ms", s.warmup_ms),
        ]);
        go_env(&mut cmd, gomaxprocs);
        out.push((
            name,
            Sample::from_json(&run_json(&mut cmd)?, "roundtrips_per_sec")?,
        ));
    }
    Ok(out)
}

/// The 1-minute load average (other work on the machine skews every number).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// A server process, killed on drop (stdin closed first: both peers exit on stdin EOF).
struct ServerProc {
    child: Child,
    _dir: TempDir,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(s: &Settings, row: &Row) -> Result<(ServerProc, PathBuf), String> {
    let dir = TempDir::new("netrpc-bench");
    let sock = dir.path().join("rpc.sock");
    let mut cmd = match row.pair.server {
        Side::Go => {
            let mut c = Command::new(go_bin("rpc-peer"));
            c.arg("serve").arg("-mux").arg("-socket").arg(&sock);
            go_env(&mut c, row.gomaxprocs);
            c
        }
        Side::Rust => {
            let mut c = Command::new(&s.me);
            c.arg("peer-serve").arg("--socket").arg(&sock);
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawn server: {e}"))?;
    let stdout = child.stdout.take().ok_or("no server stdout")?;
    let proc_ = ServerProc { child, _dir: dir };
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("server stdout: {e}"))?;
    if line.trim() != "READY" {
        return Err(format!("server printed {line:?} instead of READY"));
    }
    Ok((proc_, sock))
}

/// One measurement: a fresh server process, one client process.
///
/// CPU per call: the client's CPU time comes from this process's reaped-children times (the
/// client is the only child reaped meanwhile), the server's from its `/proc` entry before it
/// is stopped. Both cover the warm-up too, so they are divided by the calls of warm-up plus
/// measured window, estimated as `calls × (warmup + duration) / duration`.
fn measure(s: &Settings, row: &Row, callers: usize) -> Result<Sample, String> {
    let (server, sock) = start_server(s, row)?;
    let server_pid = server.child.id().to_string();
    let server_cpu0 = process_cpu(&server_pid)?;
    let callers_s = callers.to_string();
    let mut cmd = match row.pair.client {
        Side::Go => {
            let mut c = Command::new(go_bin("rpc-peer"));
            c.arg("bench").arg("-mux").arg("-socket").arg(&sock).args([
                "-callers",
                &callers_s,
                "-duration",
                &format!("{}ms", s.duration_ms),
                "-warmup",
                &format!("{}ms", s.warmup_ms),
            ]);
            go_env(&mut c, row.gomaxprocs);
            c
        }
        Side::Rust => {
            let mut c = Command::new(&s.me);
            c.arg("peer-bench").arg("--socket").arg(&sock).args([
                "--callers",
                &callers_s,
                "--duration-ms",
                &s.duration_ms.to_string(),
                "--warmup-ms",
                &s.warmup_ms.to_string(),
            ]);
            c
        }
    };
    let children0 = reaped_children_cpu()?;
    let j = run_json(&mut cmd)?;
    let client_cpu = reaped_children_cpu()? - children0;
    let server_cpu = process_cpu(&server_pid)? - server_cpu0;
    drop(server);
    let mut sample = Sample::from_json(&j, "calls_per_sec")?;
    let measured = j["calls"].as_f64().unwrap_or(f64::NAN);
    let all_calls = measured * (s.warmup_ms + s.duration_ms) as f64 / s.duration_ms as f64;
    sample.client_cpu_us = client_cpu * 1e6 / all_calls;
    sample.server_cpu_us = server_cpu * 1e6 / all_calls;
    Ok(sample)
}

/// Runs a measuring process and parses its one JSON line.
fn run_json(cmd: &mut Command) -> Result<Json, String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("spawn {cmd:?}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("{cmd:?} failed ({}): {stdout}", out.status));
    }
    serde_json::from_str(stdout.trim()).map_err(|e| format!("{cmd:?}: bad JSON ({e}): {stdout}"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn med(samples: &[Sample]) -> Sample {
    let m = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
    Sample {
        per_sec: m(|s| s.per_sec),
        p50_us: m(|s| s.p50_us),
        p99_us: m(|s| s.p99_us),
        client_cpu_us: m(|s| s.client_cpu_us),
        server_cpu_us: m(|s| s.server_cpu_us),
    }
}

/// Median of the per-run ratios `f(row sample, faster Go↔Go sample)`, with their range.
fn ratio(
    results: &Results,
    row: &str,
    callers: usize,
    f: impl Fn(&Sample, &Sample) -> f64,
    better: impl Fn(&Sample, &Sample) -> bool,
) -> String {
    let get = |name: &str| results.get(&(name.to_string(), callers));
    let (Some(samples), Some(g1), Some(gd)) = (get(row), get("go-go-gmp1"), get("go-go-gmpdef"))
    else {
        return "–".into();
    };
    let mut v: Vec<f64> = samples
        .iter()
        .filter_map(|(run, m)| {
            let a = g1.iter().find(|(r, _)| r == run)?.1;
            let b = gd.iter().find(|(r, _)| r == run)?.1;
            let base = if better(&a, &b) { a } else { b };
            Some(f(m, &base))
        })
        .collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => "–".into(),
        1 => format!("{:.2}×", v[0]),
        _ => format!(
            "{:.2}× [{:.2}–{:.2}]",
            median(v.clone()),
            v[0],
            v[v.len() - 1]
        ),
    }
}

fn print_table(
    s: &Settings,
    runtime: &str,
    load: &str,
    rows: &[Row],
    results: &Results,
    floors: &HashMap<&str, Vec<Sample>>,
) {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "Medians of {} runs, {} ms measured each (+{} ms warm-up); Rust peers on a tokio {runtime}-thread runtime; load average {load}; go {}; GOGC={}; GODEBUG={}.",
        s.runs,
        s.duration_ms,
        s.warmup_ms,
        go_version(),
        std::env::var("GOGC").unwrap_or_else(|_| "default (100)".into()),
        std::env::var("GODEBUG").unwrap_or_else(|_| "unset".into()),
    );
    let _ = writeln!(
        w,
        "Ratios: median of per-run ratios [range] against the faster Go↔Go (GOMAXPROCS=1 or default) of the same run.\n"
    );
    let _ = writeln!(
        w,
        "| pair | callers | calls/s | p50 µs | p99 µs | calls/s vs faster Go↔Go | p50 vs faster Go↔Go | CPU µs/call client | CPU µs/call server |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for callers in CALLERS {
        for row in rows {
            let Some(v) = results.get(&(row.name.clone(), callers)) else {
                continue;
            };
            let m = med(&v.iter().map(|(_, s)| *s).collect::<Vec<_>>());
            let rate = ratio(
                results,
                &row.name,
                callers,
                |m, b| m.per_sec / b.per_sec,
                |a, b| a.per_sec >= b.per_sec,
            );
            let lat = ratio(
                results,
                &row.name,
                callers,
                |m, b| m.p50_us / b.p50_us,
                |a, b| a.p50_us <= b.p50_us,
            );
            let _ = writeln!(
                w,
                "| {} | {callers} | {:.0} | {:.1} | {:.1} | {rate} | {lat} | {:.1} | {:.1} |",
                row.label, m.per_sec, m.p50_us, m.p99_us, m.client_cpu_us, m.server_cpu_us
            );
        }
    }
    for (name, label) in [
        (
            "blocking",
            "floor: blocking unix-socket ping-pong, no runtime, 64 B, two processes",
        ),
        (
            "go-gmp1",
            "floor: Go ping-pong (sockfloor -echo-process), GOMAXPROCS=1",
        ),
        (
            "go-gmpdef",
            "floor: Go ping-pong (sockfloor -echo-process), GOMAXPROCS default",
        ),
    ] {
        if let Some(v) = floors.get(name) {
            let m = med(v);
            let _ = writeln!(
                w,
                "| {label} | 1 | {:.0} round trips/s | {:.1} | {:.1} | | | | |",
                m.per_sec, m.p50_us, m.p99_us
            );
        }
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
}

/// `go version`'s version word (the Go peers are built by this toolchain).
fn go_version() -> String {
    Command::new("go")
        .arg("version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(2).map(str::to_string))
        .unwrap_or_else(|| "?".into())
}
