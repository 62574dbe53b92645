//! Soak test (issue 14; not in CI): many dispatcher calls from many concurrent callers on one
//! plugin, every reply checked, the host's and the plugin's RSS sampled as it runs.
//!
//! ```sh
//! cargo run --release --example soak -- [--plugin PATH] [--calls 1000000] [--callers 256]
//! ```
//!
//! Without `--plugin` it runs the Rust fake dispatcher (`tilores-plugin serve-fake-dispatcher`,
//! the binary next to this one); `--plugin go-interop/bin/tilores-plugin-fake-dispatcher` runs
//! the Go fake (after `bash go-interop/build.sh`). Each call is an `Entity` for an id of its
//! own, which both fakes echo, so a reply that reached the wrong caller shows as a wrong id.
//! (`Submit` is not used: the Go fake v0.5.2 stores records in a ring without a lock and
//! panics, index out of range, under concurrent submits.) Exit status 1 when any call failed
//! or was answered wrongly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tilores_plugin::dispatcher::{initialize, CallContext, Dispatcher, EntityInput};
use tilores_plugin::plugin::PluginCommand;

/// Resident set size of a process in KiB (`VmRSS` of `/proc/PID/status`).
fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let calls: u64 = arg(&args, "--calls").map_or(1_000_000, |v| v.parse().expect("--calls N"));
    let callers: u64 = arg(&args, "--callers").map_or(256, |v| v.parse().expect("--callers N"));
    let cmd = match arg(&args, "--plugin") {
        Some(p) => PluginCommand::new(p),
        None => {
            let exe = std::env::current_exe().expect("current exe");
            let bin = exe
                .parent()
                .and_then(|d| d.parent())
                .expect("target dir")
                .join("tilores-plugin");
            PluginCommand::new(bin).arg("serve-fake-dispatcher")
        }
    };
    let mut plugin = initialize(cmd, None).await.expect("plugin starts");
    let plugin_pid = plugin.reattach_config().pid.to_string();
    let client = plugin.dispatcher().clone();
    let (done, failed, wrong) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..callers {
        let (client, done, failed, wrong) =
            (client.clone(), done.clone(), failed.clone(), wrong.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            while i < calls {
                let id = format!("e{i}");
                let call = CallContext::with_timeout(Duration::from_secs(30));
                match client.entity(call, EntityInput { id: id.clone() }).await {
                    Ok(out) if out.entity.as_ref().is_some_and(|e| e.id == id) => {}
                    Ok(out) => {
                        if wrong.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!(
                                "call {i}: asked for {id}, got {:?}",
                                out.entity.map(|e| e.id)
                            );
                        }
                    }
                    Err(e) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("call {i}: {e}");
                        }
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
                i += callers;
            }
        }));
    }
    let mut samples = Vec::new();
    let progress = {
        let done = done.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let d = done.load(Ordering::Relaxed);
                let (host, plug) = (rss_kib("self"), rss_kib(&plugin_pid));
                println!(
                    "{:>6.1} s  {d:>9} calls  host RSS {:>7} KiB  plugin RSS {:>7} KiB",
                    start.elapsed().as_secs_f64(),
                    host,
                    plug
                );
                samples.push((d, host, plug));
                if d >= calls {
                    return samples;
                }
            }
        }
    };
    let progress = tokio::spawn(progress);
    for t in tasks {
        t.await.expect("caller task");
    }
    let elapsed = start.elapsed();
    let samples = progress.await.expect("progress");
    let (done, failed, wrong) = (
        done.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        wrong.load(Ordering::Relaxed),
    );
    // RSS after warm-up (the first sample past 10 % of the calls) and at the end.
    let warm = samples
        .iter()
        .find(|(d, _, _)| *d >= calls / 10)
        .or(samples.first())
        .copied()
        .unwrap_or_default();
    let end = samples.last().copied().unwrap_or_default();
    println!(
        "soak: {done} calls from {callers} callers in {:.1} s ({:.0} calls/s): {failed} failed, \
         {wrong} answered wrongly; RSS after warm-up host {} KiB plugin {} KiB, at the end host \
         {} KiB plugin {} KiB",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        warm.1,
        warm.2,
        end.1,
        end.2
    );
    plugin.kill().await;
    if failed > 0 || wrong > 0 || done != calls {
        std::process::exit(1);
    }
}
