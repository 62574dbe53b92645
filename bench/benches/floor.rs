//! The runtime-free floor: a blocking unix-socket ping-pong between two processes, no async
//! runtime, no RPC, no gob (std::os::unix::net only; the Go twin is go-interop/cmd/sockfloor
//! -echo-process, whose Go runtime adds its scheduler's wake-ups).
//!
//! ```text
//! cargo bench -p tilores-plugin-bench --bench floor -- [-duration 3s] [-size 64] [-warmup 500ms]
//! ```
//!
//! The parent listens on a unix stream socket in a fresh temp dir and re-executes itself as
//! the echo child (`-child-echo-socket PATH`), which reads `-size` bytes (read_exact) and
//! writes them back; the parent writes one message and reads the echo, timing each round
//! trip. Round trips during `-warmup` are discarded. Prints one JSON line with the keys of
//! sockfloor (`roundtrips_per_sec`, `p50_us`, `p99_us`, `roundtrips`, `size`, `duration_s`)
//! plus the CPU µs per round trip of each process (`common::cpu_us`).

mod common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{cpu_us, fail, percentile_us, round1, Flags};

fn child(path: &str, size: usize) -> Result<(), String> {
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

fn parent(f: &Flags) -> Result<serde_json::Value, String> {
    let duration = f.duration("duration", Duration::from_secs(3))?;
    let warmup = f.duration("warmup", Duration::from_millis(500))?;
    let size: usize = f.num("size", 64)?;
    if duration.is_zero() || size == 0 {
        return Err("-duration and -size must be positive".into());
    }
    let dir = std::env::temp_dir().join(format!("rsfloor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let sock = dir.join("s");
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).map_err(|e| format!("bind: {e}"))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut echo = Command::new(exe)
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
    let _ = std::fs::remove_dir_all(&dir);

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

fn main() {
    let f = Flags::parse(0).unwrap_or_else(|e| {
        eprintln!("floor: {e}");
        std::process::exit(2)
    });
    if let Some(path) = f.get("child-echo-socket") {
        let size = f.num("size", 64).unwrap_or(64);
        if let Err(e) = child(path, size) {
            eprintln!("floor echo child: {e}");
            std::process::exit(1);
        }
        return;
    }
    match parent(&f) {
        Ok(v) => println!("{v}"),
        Err(e) => fail(e),
    }
}
