//! Seeded random net/rpc traffic from our `rpc::Client` over our yamux to Go's `net/rpc`
//! server on hashicorp/yamux (`go-interop/cmd/rpc-peer serve -mux`, which serves every
//! stream it accepts, as a go-plugin plugin serves its broker streams).
//!
//! Per seed: 1..=4 yamux streams, each with its own client, and 1..=200 calls started at
//! random times over them, all concurrent: mostly `Echo.Bytes` with 0..=64 KiB, some with
//! 256 KiB..2 MiB (beyond the 256 KiB stream window, so flow control and frame splitting
//! matter while other calls' replies interleave), some `Echo.Sleep` (replies out of call
//! order), and about 1 call in 16 abandoned after 0..2 ms (the client's futures are
//! cancel-safe: the reply is discarded and the stream stays usable). Every completed reply
//! must equal its request. The Go server only echoes, so the script lives here alone.
//!
//! The other way round, Go's `rpc.Client` (`rpc-peer call -mux -scenario random -seed N`,
//! one yamux stream as go-plugin's host uses) sends 1..=200 concurrent calls of the same
//! kinds (random bytes from Go's `math/rand`) to our `rpc::Server` over our yamux, and
//! checks every reply.
//!
//! CI runs 3 seeds each way. A longer run: `RPCRAND_SEED=100 RPCRAND_SEEDS=200 nice -n 10
//! cargo test --test rpc_random -- --test-threads=1 --nocapture`. Without a Go toolchain
//! these tests fail; they never skip.

use std::{
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use seeded::{fill, mix64, Rng};
use tilores_plugin::mux::{MuxConfig, Role, Session};
use tilores_plugin::rpc::{Client, Server};
use tilores_plugin_test_support::{go_bin, TempDir};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
    task::JoinSet,
};

#[path = "common/seeded.rs"]
mod seeded;

const KIB: usize = 1024;

/// One call of the script.
#[derive(Debug)]
enum Call {
    /// `Echo.Bytes` with this many bytes of content.
    Bytes(usize),
    /// `Echo.Sleep` for this many ms.
    Sleep(i64),
}

/// A call, its stream, its start and whether it is abandoned after some ms.
#[derive(Debug)]
struct Planned {
    stream: usize,
    start_ms: u64,
    call: Call,
    abandon_after_ms: Option<u64>,
}

/// The script of `seed`: the number of streams and the calls.
fn script(seed: u64) -> (usize, Vec<Planned>) {
    let mut r = Rng(seed);
    let streams = 1 + r.below_usize(4);
    let calls = 1 + r.below_usize(200);
    let plan = (0..calls)
        .map(|_| Planned {
            stream: r.below_usize(streams),
            start_ms: r.below(30),
            call: match r.below(16) {
                0 => Call::Bytes(256 * KIB + r.below_usize(1792 * KIB + 1)),
                1 | 2 => Call::Sleep(r.below(20) as i64),
                _ => Call::Bytes(r.below_usize(64 * KIB + 1)),
            },
            abandon_after_ms: (r.below(16) == 0).then(|| r.below(3)),
        })
        .collect();
    (streams, plan)
}

/// Runs one call; `Ok(true)` if it completed, `Ok(false)` if it was abandoned.
async fn run_call(seed: u64, index: usize, p: &Planned, client: &Client) -> Result<bool, String> {
    tokio::time::sleep(Duration::from_millis(p.start_ms)).await;
    let call = async {
        match p.call {
            Call::Bytes(size) => {
                let mut data = vec![0; size];
                fill(&mut data, mix64(seed ^ index as u64), 0);
                let back: Vec<u8> = client
                    .call("Echo.Bytes", &data)
                    .await
                    .map_err(|e| format!("Echo.Bytes({size} bytes): {e}"))?;
                match back.iter().zip(&data).position(|(a, b)| a != b) {
                    _ if back.len() != size => {
                        Err(format!("Echo.Bytes: {} of {size} bytes back", back.len()))
                    }
                    Some(at) => Err(format!(
                        "Echo.Bytes({size} bytes): reply differs at byte {at}"
                    )),
                    None => Ok(()),
                }
            }
            Call::Sleep(ms) => {
                let back: i64 = client
                    .call("Echo.Sleep", &ms)
                    .await
                    .map_err(|e| format!("Echo.Sleep({ms}): {e}"))?;
                if back == ms {
                    Ok(())
                } else {
                    Err(format!("Echo.Sleep({ms}) answered {back}"))
                }
            }
        }
    };
    match p.abandon_after_ms {
        None => call.await.map(|()| true),
        Some(ms) => match tokio::time::timeout(Duration::from_millis(ms), call).await {
            Ok(done) => done.map(|()| true),
            Err(_) => Ok(false),
        },
    }
}

/// Runs one seed against a fresh Go server; returns (calls completed, calls abandoned).
async fn run_seed(seed: u64) -> Result<(usize, usize), String> {
    let dir = TempDir::new("rpcrand");
    let path = dir.path().join("rpc.sock");
    let binary = go_bin("rpc-peer");
    let mut child = Command::new(&binary)
        .arg("serve")
        .arg("-socket")
        .arg(&path)
        .arg("-mux")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    if !matches!(&ready, Ok(Ok(Some(line))) if line == "READY") {
        return Err(format!("seed {seed}: no READY from rpc-peer: {ready:?}"));
    }
    let conn = tokio::net::UnixStream::connect(&path)
        .await
        .map_err(|e| format!("seed {seed}: connect: {e}"))?;
    let session = Session::new(conn, Role::Client, MuxConfig::default()).expect("yamux session");
    let (streams, plan) = script(seed);
    let mut clients = Vec::new();
    for _ in 0..streams {
        let stream = tokio::time::timeout(Duration::from_secs(10), session.open())
            .await
            .map_err(|_| format!("seed {seed}: open timed out"))?
            .map_err(|e| format!("seed {seed}: open: {e}"))?;
        clients.push(Arc::new(Client::new(stream)));
    }
    let plan = Arc::new(plan);
    let mut tasks = JoinSet::new();
    for index in 0..plan.len() {
        let (plan, client) = (Arc::clone(&plan), Arc::clone(&clients[plan[index].stream]));
        tasks.spawn(async move {
            run_call(seed, index, &plan[index], &client)
                .await
                .map_err(|e| format!("call {index} {:?}: {e}", plan[index]))
        });
    }
    let joined = tokio::time::timeout(Duration::from_secs(60), async {
        let (mut done, mut abandoned, mut failures) = (0, 0, Vec::new());
        while let Some(result) = tasks.join_next().await {
            match result {
                Ok(Ok(true)) => done += 1,
                Ok(Ok(false)) => abandoned += 1,
                Ok(Err(e)) => failures.push(e),
                Err(e) => failures.push(format!("call task panicked: {e}")),
            }
        }
        (done, abandoned, failures)
    })
    .await;
    let (done, abandoned, failures) = joined.map_err(|_| {
        format!(
            "seed {seed}: calls still pending after 60 s ({} streams, {} calls)",
            streams,
            plan.len()
        )
    })?;
    // After the abandoned calls, every stream must still carry a call.
    for (k, client) in clients.iter().enumerate() {
        let back: Result<i64, _> =
            tokio::time::timeout(Duration::from_secs(10), client.call("Echo.Sleep", &0i64))
                .await
                .map_err(|_| "timed out".to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
        if back != Ok(0) {
            return Err(format!(
                "seed {seed}: stream {k} unusable after the script: {back:?}"
            ));
        }
    }
    drop(child.stdin.take());
    if !failures.is_empty() {
        return Err(format!(
            "seed {seed}: {} call(s) failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        ));
    }
    Ok((done, abandoned))
}

/// The seed range: `RPCRAND_SEED` (first) and `RPCRAND_SEEDS` (count).
fn seed_range() -> (u64, u64) {
    let env = |name: &str, default: u64| {
        std::env::var(name).map_or(default, |v| {
            v.parse().unwrap_or_else(|e| panic!("{name}={v}: {e}"))
        })
    };
    (env("RPCRAND_SEED", 1), env("RPCRAND_SEEDS", 3))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_calls_to_a_go_server() {
    let (first, count) = seed_range();
    let started = Instant::now();
    let (mut done, mut abandoned, mut failed) = (0, 0, Vec::new());
    for seed in first..first + count {
        match run_seed(seed).await {
            Ok((d, a)) => {
                done += d;
                abandoned += a;
            }
            Err(text) => {
                eprintln!("{text}");
                failed.push(seed);
            }
        }
    }
    eprintln!(
        "rpc_random: seeds {first}..{}, {done} calls checked, {abandoned} abandoned, {:.1} s, failed seeds: {failed:?}",
        first + count,
        started.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "failed seeds: {failed:?}; details above");
    assert!(done > 0, "no call completed");
}

/// Our server for Go's random calls: `Echo.Bytes` and `Echo.Sleep` as in `rpc-peer serve`.
fn echo_server() -> Server {
    let server = Server::new();
    server
        .register_fn(
            "Echo",
            "Bytes",
            |b: Vec<u8>| async move { Ok::<_, String>(b) },
        )
        .expect("Echo.Bytes");
    server
        .register_fn("Echo", "Sleep", |ms: i64| async move {
            tokio::time::sleep(Duration::from_millis(ms.clamp(0, 1000) as u64)).await;
            Ok::<_, String>(ms)
        })
        .expect("Echo.Sleep");
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_calls_from_a_go_client() {
    let (first, count) = seed_range();
    let started = Instant::now();
    let (mut calls, mut bytes) = (0, 0);
    for seed in first..first + count {
        let dir = TempDir::new("rpcrand-go");
        let path = dir.path().join("rpc.sock");
        let listener = tokio::net::UnixListener::bind(&path).expect("bind unix socket");
        // As a go-plugin provider: the dialer is the yamux client; serve every stream.
        let serving = tokio::spawn(async move {
            let (conn, _) = listener.accept().await.expect("accept the Go client");
            let session =
                Session::new(conn, Role::Server, MuxConfig::default()).expect("yamux session");
            let server = echo_server();
            while let Some(stream) = session.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve(stream).await });
            }
        });
        let child = Command::new(go_bin("rpc-peer"))
            .arg("call")
            .arg("-socket")
            .arg(&path)
            .args(["-mux", "-scenario", "random", "-timeout", "30s"])
            .args(["-seed", &seed.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn rpc-peer call");
        let out = tokio::time::timeout(Duration::from_secs(40), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("seed {seed}: rpc-peer call -scenario random hung"))
            .expect("rpc-peer call");
        serving.abort();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "seed {seed}: bad output from rpc-peer ({e}): {stdout:?}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert!(
            out.status.success() && report["ok"] == serde_json::Value::Bool(true),
            "seed {seed}: Go client failed ({}): {report}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        calls += report["calls"].as_u64().unwrap_or(0);
        bytes += report["bytes"].as_u64().unwrap_or(0);
    }
    eprintln!(
        "rpc_random, Go client: seeds {first}..{}, {calls} calls checked by Go, {:.1} MiB, {:.1} s",
        first + count,
        bytes as f64 / (KIB * KIB) as f64,
        started.elapsed().as_secs_f64()
    );
    assert!(calls > 0, "no call made");
}
