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

use std::time::Duration;

use common::{fail, Flags};

fn main() {
    let f = Flags::parse(0).unwrap_or_else(|e| {
        eprintln!("floor: {e}");
        std::process::exit(2)
    });
    if let Some(path) = f.get("child-echo-socket") {
        let size = f.num("size", 64).unwrap_or(64);
        if let Err(e) = common::floor_echo_child(path, size) {
            eprintln!("floor echo child: {e}");
            std::process::exit(1);
        }
        return;
    }
    let run = || -> Result<serde_json::Value, String> {
        let duration = f.duration("duration", Duration::from_secs(3))?;
        let warmup = f.duration("warmup", Duration::from_millis(500))?;
        let size: usize = f.num("size", 64)?;
        common::blocking_floor(&[], duration, warmup, size)
    };
    match run() {
        Ok(v) => println!("{v}"),
        Err(e) => fail(e),
    }
}
