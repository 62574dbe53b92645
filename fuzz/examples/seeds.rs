//! Writes the protocol seeds of the `rpc_client` and `rpc_server` targets: a real
//! `DispatcherClient` making the target's calls (one round, and two) against the fake dispatcher's `rpc::Server`
//! over an in-memory stream, both directions recorded (client → server bytes seed
//! `rpc_server`, server → client bytes seed `rpc_client`).
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds` (from the repository root).

use std::sync::Arc;

use tilores_plugin::dispatcher::{rpc_server, DispatcherClient, FakeDispatcher};
use tilores_plugin::rpc::Client;
use tilores_plugin_fuzz::dispatcher_calls;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Copies `r` to `w` and returns what passed.
async fn tap<R, W>(mut r: R, mut w: W) -> Vec<u8>
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = w.shutdown().await;
                return seen;
            }
            Ok(n) => {
                seen.extend_from_slice(&buf[..n]);
                if w.write_all(&buf[..n]).await.is_err() {
                    return seen;
                }
            }
        }
    }
}

/// One connection with `rounds` rounds of the target's calls; returns the bytes of both
/// directions (requests, replies).
async fn record(rounds: usize) -> (Vec<u8>, Vec<u8>) {
    // host ⇄ (tap) ⇄ plugin
    let (host, host_peer) = tokio::io::duplex(64 * 1024);
    let (plugin_peer, plugin) = tokio::io::duplex(64 * 1024);
    let server = rpc_server(Arc::new(FakeDispatcher::new()));
    let serving = tokio::spawn(async move { server.serve(plugin).await });
    let (hr, hw) = tokio::io::split(host_peer);
    let (pr, pw) = tokio::io::split(plugin_peer);
    let requests = tokio::spawn(tap(hr, pw));
    let replies = tokio::spawn(tap(pr, hw));

    let client = DispatcherClient::new(Client::new(host));
    let mut ok = 0;
    for _ in 0..rounds {
        ok += dispatcher_calls(&client).await;
    }
    println!("{rounds} round(s): {ok} calls succeeded");
    client.rpc().close().await.expect("close");
    let requests = requests.await.expect("tap");
    let _ = serving.await;
    let replies = replies.await.expect("tap");
    (requests, replies)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    // The second round of a connection has no type definitions left to send.
    for rounds in [1, 2] {
        let (requests, replies) = record(rounds).await;
        for (target, bytes) in [("rpc_server", requests), ("rpc_client", replies)] {
            let d = dir.join(target);
            std::fs::create_dir_all(&d).expect("mkdir");
            let name = format!("dispatcher-calls-x{rounds}.bin");
            std::fs::write(d.join(&name), &bytes).expect("write");
            println!("{target}/{name}: {} bytes", bytes.len());
        }
    }
}
