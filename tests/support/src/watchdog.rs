//! Time limits for test bodies: a hung test fails with its name and last step instead of
//! running into CI's job limit with no information.

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
