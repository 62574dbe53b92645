//! Shared by the bench targets: statistics, /proc readings and the JSON result line.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Nearest-rank percentile of sorted durations, in µs with 0.1 resolution (as the Go benches).
pub fn percentile_us(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    (sorted[rank].as_nanos() as f64 / 100.0).round() / 10.0
}

/// Median of durations (mean of the two middle ones for an even count).
pub fn median(d: &[Duration]) -> Duration {
    let mut s = d.to_vec();
    s.sort();
    let n = s.len();
    if n == 0 {
        Duration::ZERO
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2
    }
}

/// Milliseconds with 0.01 resolution.
pub fn ms(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1e4).round() / 100.0
}

/// One decimal.
pub fn round1(f: f64) -> f64 {
    (f * 10.0).round() / 10.0
}

/// A `Key:   N kB` line of `/proc/<pid>/status` (VmHWM, VmRSS).
pub fn proc_status_kb(pid: u32, key: &str) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no {key} in {path}"))
}

/// Command-line flags `-name value` / `--name value` / `--name=value`; `--bench` (added by
/// `cargo bench`) is ignored.
pub struct Flags(Vec<(String, String)>);

impl Flags {
    /// Parses `std::env::args()` after the program name (and after `skip` positional words).
    pub fn parse(skip: usize) -> Result<Flags, String> {
        let args: Vec<String> = std::env::args().skip(1 + skip).collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if a == "--bench" {
                continue;
            }
            let name = a.trim_start_matches('-');
            if name.len() == a.len() {
                return Err(format!("unexpected argument {a:?}"));
            }
            if let Some((k, v)) = name.split_once('=') {
                out.push((k.to_string(), v.to_string()));
            } else {
                let v = args.get(i).ok_or_else(|| format!("{a} needs a value"))?;
                i += 1;
                out.push((name.to_string(), v.clone()));
            }
        }
        Ok(Flags(out))
    }

    /// The raw value of a flag.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A parsed value, or `default`.
    pub fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("-{name}: bad value {v:?}")),
        }
    }

    /// A duration flag in Go syntax (`3s`, `500ms`, `0`), or `default`.
    pub fn duration(&self, name: &str, default: Duration) -> Result<Duration, String> {
        let Some(v) = self.get(name) else {
            return Ok(default);
        };
        // Go's time.ParseDuration takes a bare "0" (and only that) without a unit, so the two
        // bench hosts accept the same `-idle 0`.
        if v == "0" {
            return Ok(Duration::ZERO);
        }
        let bad = || format!("-{name}: bad duration {v:?}");
        let (num, unit) = v
            .find(|c: char| c.is_alphabetic())
            .map(|i| v.split_at(i))
            .ok_or_else(bad)?;
        let n: f64 = num.parse().map_err(|_| bad())?;
        let secs = match unit {
            "s" => n,
            "ms" => n / 1e3,
            "us" | "µs" => n / 1e6,
            "m" => n * 60.0,
            _ => return Err(bad()),
        };
        Duration::try_from_secs_f64(secs).map_err(|_| bad())
    }
}

/// Prints `{"ok":false,"error":...}` and exits 1.
pub fn fail(err: impl std::fmt::Display) -> ! {
    println!(
        "{}",
        serde_json::json!({"ok": false, "error": err.to_string()})
    );
    std::process::exit(1)
}

/// CPU time a process's live threads have used so far, in µs: the sum over
/// `/proc/<pid>/task/*/schedstat` of the first field (time on a CPU, in ns). Unlike the clock
/// ticks of `/proc/<pid>/stat` (10 ms) it resolves a single call; it misses threads that have
/// already exited, which a steady-state phase does not have. `pid` 0 reads this process. The
/// Go twin is `cpuUs` in go-interop/cmd/dispatcher-bench.
pub fn cpu_us(pid: u32) -> Result<f64, String> {
    let dir = if pid == 0 {
        "/proc/self/task".to_string()
    } else {
        format!("/proc/{pid}/task")
    };
    let mut ns: u64 = 0;
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))? {
        let path = entry
            .map_err(|e| format!("{dir}: {e}"))?
            .path()
            .join("schedstat");
        // A thread may exit between read_dir and the read: it simply no longer counts.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        ns += text
            .split_whitespace()
            .next()
            .and_then(|f| f.parse::<u64>().ok())
            .ok_or_else(|| format!("{}: bad schedstat", path.display()))?;
    }
    Ok(ns as f64 / 1e3)
}

/// The echo side of [`blocking_floor`]: connects to `path`, echoes `size`-byte messages until
/// the other side closes.
pub fn floor_echo_child(path: &str, size: usize) -> Result<(), String> {
    let mut conn = UnixStream::connect(path).map_err(|e| format!("connect {path}: {e}"))?;
    let mut buf = vec![0u8; size];
    loop {
        match conn.read_exact(&mut buf) {
            Ok(()) => {}
            // The parent closed the socket: done.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(format!("echo read: {e}")),
        }
        conn.write_all(&buf)
            .map_err(|e| format!("echo write: {e}"))?;
    }
}

/// The runtime-free floor (bench/benches/floor.rs): a blocking ping-pong of `size`-byte
/// messages with a child process, this executable re-run with `child_prefix` followed by
/// `-child-echo-socket PATH -size N` (the caller's `main` hands those to
/// [`floor_echo_child`]). One JSON object with sockfloor's keys.
pub fn blocking_floor(
    child_prefix: &[&str],
    duration: Duration,
    warmup: Duration,
    size: usize,
) -> Result<serde_json::Value, String> {
    if duration.is_zero() || size == 0 {
        return Err("-duration and -size must be positive".into());
    }
    let dir = tilores_plugin_test_support::TempDir::new("rsfloor");
    let sock = dir.path().join("s");
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).map_err(|e| format!("bind: {e}"))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut echo = Command::new(exe)
        .args(child_prefix)
        .arg("-child-echo-socket")
        .arg(&sock)
        .arg("-size")
        .arg(size.to_string())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawn echo child: {e}"))?;
    // Bounded wait for the child: accept in non-blocking mode with a deadline.
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let accept_by = Instant::now() + Duration::from_secs(10);
    let mut conn = loop {
        match listener.accept() {
            Ok((c, _)) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < accept_by => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(e) => {
                let _ = echo.kill();
                return Err(format!("accept echo child: {e}"));
            }
        }
    };
    conn.set_nonblocking(false).map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    drop(dir);

    let msg = vec![7u8; size];
    let mut back = vec![0u8; size];
    let start = Instant::now();
    let meas_start = start + warmup;
    let end = meas_start + duration;
    let mut lats = Vec::with_capacity(1 << 16);
    let mut cpu0 = None;
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        if cpu0.is_none() && t0 >= meas_start {
            cpu0 = Some((cpu_us(0)?, cpu_us(echo.id())?));
        }
        conn.write_all(&msg).map_err(|e| format!("write: {e}"))?;
        conn.read_exact(&mut back)
            .map_err(|e| format!("read: {e}"))?;
        let t1 = Instant::now();
        if t0 >= meas_start && t1 <= end {
            lats.push(t1 - t0);
        }
    }
    let (self1, child1) = (cpu_us(0)?, cpu_us(echo.id())?);
    drop(conn);
    let _ = echo.wait();
    lats.sort();
    let n = lats.len().max(1) as f64;
    let (self0, child0) = cpu0.unwrap_or((self1, child1));
    Ok(serde_json::json!({
        "roundtrips_per_sec": round1(lats.len() as f64 / duration.as_secs_f64()),
        "p50_us": percentile_us(&lats, 0.5),
        "p99_us": percentile_us(&lats, 0.99),
        "roundtrips": lats.len(),
        "size": size,
        "duration_s": duration.as_secs_f64(),
        "cpu_us_per_roundtrip_pinger": round1((self1 - self0) / n),
        "cpu_us_per_roundtrip_echo": round1((child1 - child0) / n),
        "runtime": "none (blocking std::os::unix::net)",
    }))
}
