//! Helpers of the hostile-peer suites (`tests/hostile_plugin.rs`, `tests/hostile_host.rs`,
//! `tests/fuzz_sessions.rs`): memory figures from `/proc`, orphan checks by an environment
//! mark, each test body in a process of its own, net/rpc requests as a Go client encodes them.

use std::future::Future;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A `/proc/PID/status` figure in KiB (`VmHWM`: peak resident set; `VmRSS`: current).
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// Peak resident set of a live process, in KiB.
pub fn peak_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM").unwrap_or_else(|| panic!("no VmHWM for pid {pid}"))
}

/// Pids of running (not zombie) processes whose environment holds `KEY=value`: a mark set
/// on a host lets a test find every plugin it started, wherever they were reparented.
pub fn marked(key: &str, value: &str) -> Vec<u32> {
    let want = format!("{key}={value}");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|kv| kv == want.as_bytes()))
                .unwrap_or(false)
        })
        .filter(|pid| tilores_plugin_test_support::pid_running(*pid))
        .collect()
}

/// Waits until no process carries the mark; panics with the survivors after `limit`.
pub fn assert_no_marked_process(key: &str, value: &str, limit: Duration) {
    let start = Instant::now();
    loop {
        let left = marked(key, value);
        if left.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "orphans after {limit:?}: pids {left:?} still run"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `pid` no longer runs (gone or a zombie); panics after `limit`.
pub fn assert_gone(pid: u32, limit: Duration) {
    let start = Instant::now();
    while tilores_plugin_test_support::pid_running(pid) {
        assert!(
            start.elapsed() < limit,
            "process {pid} still runs after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Which test body a child process of the test binary runs.
const ISOLATED: &str = "HOSTILE_ISOLATED_TEST";

/// The figures a test body reports.
#[derive(Debug)]
pub struct Figures {
    /// Wall time of the body.
    pub took: Duration,
    /// Peak resident set of the process that ran it, KiB.
    pub peak_kib: u64,
}

/// Runs a test body in a fresh process of its own (this test binary, re-run on this test
/// alone), so its peak memory is its own and a hang or a crash is caught from outside.
/// The body must end within `limit`, and the process's peak resident set (VmHWM) must stay
/// within `peak_mib`. The figures are printed (`--nocapture` shows them).
pub fn isolated<F, Fut>(limit: Duration, peak_mib: u64, body: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let name = std::thread::current()
        .name()
        .expect("a test thread has the test's name")
        .to_owned();
    if std::env::var(ISOLATED).as_deref() == Ok(name.as_str()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let start = Instant::now();
        runtime.block_on(async {
            tokio::time::timeout(limit, body())
                .await
                .unwrap_or_else(|_| panic!("{name}: still running after {limit:?}"))
        });
        let took = start.elapsed();
        runtime.shutdown_timeout(Duration::from_secs(1));
        let peak = peak_kib(std::process::id());
        println!(
            "HOSTILE-FIGURES took_ms={} peak_kib={peak}",
            took.as_millis()
        );
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(ISOLATED, &name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-run the test binary");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    // The body's own limit, plus the process's start and end.
    let outer = limit + Duration::from_secs(10);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > outer {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{name}: hung, killed after {outer:?}\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (out, err) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    assert!(status.success(), "{name} failed ({status}):\n{out}\n{err}");
    // What the body reported (shown with --nocapture).
    eprint!("{err}");
    let figures = out
        .lines()
        .find_map(|l| Some(l.split_once("HOSTILE-FIGURES ")?.1))
        .unwrap_or_else(|| panic!("{name}: no figures in\n{out}"));
    let field = |k: &str| -> u64 {
        figures
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('=')?.parse().ok())
            .expect("figure")
    };
    let figures = Figures {
        took: Duration::from_millis(field("took_ms")),
        peak_kib: field("peak_kib"),
    };
    eprintln!(
        "{name}: {:?} (limit {limit:?}), peak RSS {:.1} MiB (bound {peak_mib} MiB)",
        figures.took,
        figures.peak_kib as f64 / 1024.0
    );
    assert!(
        figures.peak_kib <= peak_mib * 1024,
        "{name}: peak RSS {} KiB over the bound of {peak_mib} MiB",
        figures.peak_kib
    );
}

/// A net/rpc request (header and argument) as a Go client's encoder writes it (the first on
/// a fresh encoder carries the type definitions).
pub fn request<A: tilores_plugin::gob::Encode + ?Sized>(
    enc: &mut tilores_plugin::gob::Encoder,
    method: &str,
    seq: u64,
    arg: &A,
) -> Vec<u8> {
    let mut b = enc
        .encode(&tilores_plugin::rpc::Request {
            service_method: method.into(),
            seq,
        })
        .expect("encode header");
    b.extend(enc.encode(arg).expect("encode argument"));
    b
}
