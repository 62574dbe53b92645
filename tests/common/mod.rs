//! Shared helpers for the interop tests: Go peers built once per test process, temp paths,
//! child processes killed on drop. A missing Go toolchain fails the tests loudly.
#![allow(dead_code)]

pub mod dispatch;
pub mod hostile;

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The repository root.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Path of a Go peer binary built by `go-interop/build.sh` (built once per test process).
/// Panics with a clear message when Go is missing or the build fails: interop tests never skip.
pub fn go_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_root().join("go-interop/build.sh"))
            .output()
            .map_err(|e| format!("cannot run go-interop/build.sh: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "go-interop/build.sh failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(e) = built {
        panic!("interop test needs the Go peers (Go toolchain required): {e}");
    }
    let p = repo_root().join("go-interop/bin").join(name);
    assert!(
        p.exists(),
        "Go peer {} was not built by go-interop/build.sh",
        p.display()
    );
    p
}

/// Path of an example binary (`examples/NAME.rs`). `cargo test` builds the examples next to
/// the test binaries' `deps` directory; a missing one fails with the command to build it.
pub fn example_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let p = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory")
        .join("examples")
        .join(name);
    assert!(
        p.exists(),
        "example {} not built: run `cargo test` (which builds the examples) or `cargo build --examples`",
        p.display()
    );
    p
}

/// A fresh private temp directory (removed on drop).
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a directory under the system temp dir with a unique name.
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("tp-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process that is killed and reaped when dropped.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How long one test body may run before it counts as hung. Generous: every test takes a
/// few seconds, so only a hang (which would otherwise run into CI's job limit with no
/// information) reaches it.
pub const TEST_LIMIT: Duration = Duration::from_secs(120);

/// How much longer the watchdog waits before ending the process when an async test body is
/// stuck in a blocking call (a `std::process::Command`, a blocking read), where the async
/// limit cannot fire because the blocked thread is the one polling it.
const WATCHDOG_GRACE: Duration = Duration::from_secs(30);

thread_local! {
    /// The step of the test running on this thread (see [`step`]).
    static STEP: RefCell<Option<Arc<Mutex<String>>>> = const { RefCell::new(None) };
}

/// Records what the current test is doing, for the message if it exceeds [`TEST_LIMIT`].
/// Call it from the test body (not from spawned tasks).
pub fn step(what: impl Into<String>) {
    STEP.with(|s| {
        if let Some(step) = &*s.borrow() {
            *step.lock().unwrap_or_else(|p| p.into_inner()) = what.into();
        }
    });
}

/// Runs an async test body within [`TEST_LIMIT`]; past it the test panics with its name
/// and last [`step`]. `#[tokio::test]` polls the body on the test's own thread, whose name
/// is the test's.
pub async fn limit<F: Future>(body: F) -> F::Output {
    let limit = Limit::arm(TEST_LIMIT + WATCHDOG_GRACE);
    match tokio::time::timeout(TEST_LIMIT, body).await {
        Ok(out) => out,
        Err(_) => {
            let msg = limit.message();
            // Also straight to stderr: the harness prints a panic message only once the
            // test has been torn down, which may hang too.
            let _ = writeln!(std::io::stderr(), "{msg}");
            panic!("{msg}");
        }
    }
}

/// Runs a synchronous test body; if it is still running after [`TEST_LIMIT`] the watchdog
/// reports the test and its last [`step`] and ends the test process (a blocked thread
/// cannot be made to panic).
pub fn limit_sync<T>(body: impl FnOnce() -> T) -> T {
    let _limit = Limit::arm(TEST_LIMIT);
    body()
}

/// The armed limit of one test: its step record and a watchdog thread that ends the process
/// if the test is still running after its time (disarmed on drop).
struct Limit {
    test: String,
    step: Arc<Mutex<String>>,
    _disarm: mpsc::Sender<()>,
}

impl Limit {
    fn arm(watchdog_after: Duration) -> Limit {
        let test = std::thread::current()
            .name()
            .unwrap_or("<unnamed test>")
            .to_owned();
        let step = Arc::new(Mutex::new(String::from("(no step recorded)")));
        STEP.with(|s| *s.borrow_mut() = Some(step.clone()));
        let (disarm, disarmed) = mpsc::channel::<()>();
        let (t, s) = (test.clone(), step.clone());
        std::thread::spawn(move || {
            // Only the sender's drop ends the wait early.
            if let Err(RecvTimeoutError::Timeout) = disarmed.recv_timeout(watchdog_after) {
                let _ = writeln!(
                    std::io::stderr(),
                    "{}; the test thread is blocked, ending the test process",
                    message(&t, &s, watchdog_after)
                );
                std::process::exit(101);
            }
        });
        Limit {
            test,
            step,
            _disarm: disarm,
        }
    }

    fn message(&self) -> String {
        message(&self.test, &self.step, TEST_LIMIT)
    }
}

impl Drop for Limit {
    fn drop(&mut self) {
        STEP.with(|s| *s.borrow_mut() = None);
    }
}

fn message(test: &str, step: &Mutex<String>, after: Duration) -> String {
    let step = step.lock().unwrap_or_else(|p| p.into_inner());
    format!("test `{test}` still running after {after:?} (hung?) at step: {step}")
}

/// Whether a process with this pid exists and may be signalled (`kill(pid, 0)`); a zombie
/// counts as alive. (The library's own pid helpers are internal.)
pub fn pid_alive(pid: u32) -> bool {
    match i32::try_from(pid) {
        Ok(p) if p > 0 => nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), None).is_ok(),
        _ => false,
    }
}

/// Whether the process still runs: [`pid_alive`] and not a zombie (`/proc/<pid>/stat`).
pub fn pid_running(pid: u32) -> bool {
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rfind(')')
                .and_then(|i| s[i + 1..].split_whitespace().next().map(|st| st == "Z"))
        })
        .unwrap_or(false);
    pid_alive(pid) && !zombie
}

/// Bytes a plugin or host writes to a sink the test hands over (a stderr copy, a stdout stream,
/// a log layer), shared with the test: `std::io::Write` and tokio's `AsyncWrite`.
#[derive(Clone, Default)]
pub struct SharedBytes(Arc<Mutex<Vec<u8>>>);

impl SharedBytes {
    /// The text so far (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// The text once it is `n` bytes long, or whatever there is after `limit`.
    pub async fn wait_len(&self, n: usize, limit: Duration) -> String {
        let start = std::time::Instant::now();
        loop {
            let t = self.text();
            if t.len() >= n || start.elapsed() > limit {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The text once it contains `needle`; panics after 10 s.
    pub async fn wait_for(&self, needle: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let t = self.text();
            if t.contains(needle) {
                return t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "never contained {needle:?}: {t:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl std::io::Write for SharedBytes {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncWrite for SharedBytes {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// Runs `program args` with extra environment `env` and `stdin`; returns stdout and stderr.
/// Panics on a non-zero exit (with stderr) or after 120 s.
pub async fn run_with_stdin(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> (String, String) {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.as_bytes().to_vec();
    let writer = tokio::spawn(async move {
        let _ = input.write_all(&data).await;
    });
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("finished within 120 s")
        .expect("wait");
    let _ = writer.await;
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).expect("utf-8 output"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
