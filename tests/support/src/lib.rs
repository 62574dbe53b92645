//! Test support shared by the workspace's integration tests, unit tests and benches (never
//! published): the Go peers of `go-interop/` built once per process ([`go_bin`], which fails
//! loudly without Go: interop tests never skip), temp directories, child-process guards,
//! watchdogs for hung tests ([`limit`], [`limit_sync`], [`step`]), an output sink
//! ([`SharedBytes`]), a process runner ([`run_with_stdin`]), Go-generated vectors
//! ([`gob_vector`]), the masks for what differs between two runs ([`mask`]), a
//! reliable scoped `tracing` subscriber ([`scoped_subscriber`]) and the generators' seed
//! settings ([`env_u64`]).
//!
//! It depends on neither `tilores-plugin` nor `tilores-gob`, so both crates' tests can use it.

pub mod manifest;
mod mask;
mod paths;
mod process;
mod sink;
mod tracing_capture;
mod watchdog;

pub use mask::{is_rfc3339, is_uuid_v4, mask};
pub use paths::{example_bin, go_bin, gob_vector, repo_root, TempDir};
pub use process::{pid_alive, pid_running, run_command_with_stdin, run_with_stdin, ChildGuard};
pub use sink::SharedBytes;
pub use tracing_capture::scoped_subscriber;
pub use watchdog::{limit, limit_sync, step, TEST_LIMIT};

/// The number in environment variable `name` (a generator's seed or size), or `default`
/// when it is unset. A value that is not a number panics: a mistyped seed must not silently
/// run the default ones.
pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v} is not a number: {e}")),
        Err(_) => default,
    }
}
