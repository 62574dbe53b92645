//! The same generic net/rpc echo call (a small struct, `Plugin.Echo`) Rust ↔ Rust through our
//! stack and through the crates.io crates goplugin 0.1, go-netrpc 0.1 and gobwire 0.1. Every
//! call crosses a process boundary: the server side is this binary re-executed as a child.
//!
//! | row | host side | plugin/server side | transport |
//! |---|---|---|---|
//! | `ours-plugin` | `PluginClient` + dispensed `rpc::Client` | `plugin::serve` + `rpc::Server` | go-plugin: yamux over a unix socket, brokered stream |
//! | `goplugin-plugin` | `goplugin::Client` + dispensed `go_netrpc::Client` | `goplugin::serve` + `go_netrpc::Server` | same, goplugin's own yamux |
//! | `ours-rpc-socket` | `rpc::Client` | `rpc::Server` | raw unix socket, no yamux |
//! | `go-netrpc-socket` | `go_netrpc::Client` | `go_netrpc::Server` | raw unix socket, no yamux |
//! | `ours-codec` / `gobwire-codec` | gob only, one process: encode `Request` header + argument on one stream, decode both back | | none |
//!
//! gobwire is a codec only (no RPC, no transport), so its row is the codec round trip next to
//! ours; go-netrpc has no multiplexer, so its rows use a plain socket (and our rpc layer the
//! same, for a like-for-like column).
//!
//! Both processes of every row run on a current-thread tokio runtime, as the dispatcher bench
//! host and this crate's plugin binaries do (a multi-thread runtime adds cross-thread wake-ups
//! to every call of an I/O-bound peer; see docs/benchmarks-history.md, net/rpc section).
//!
//! ```text
//! cargo bench -p tilores-plugin-bench --bench crates -- [-only ROW] [-seq-calls 5000]
//!     [-callers 64] [-duration 3s] [-codec-iters 200000]
//! ```
//!
//! One JSON line per row: `{"row","seq_p50_us","seq_p99_us","seq_calls_per_sec",
//! "conc_callers","conc_calls_per_sec","conc_p50_us","conc_p99_us"}`; codec rows
//! `{"row","codec_ns_per_call"}`.

mod common;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::{UnixListener, UnixStream};

use common::{fail, percentile_us, round1, Flags};

/// Our gob types.
mod ours {
    use gob::Gob;

    /// The echoed value.
    #[derive(Gob, Debug, Default, Clone, PartialEq)]
    #[gob(go_type = "main.Echo")]
    pub struct Echo {
        pub seq: i64,
        pub name: String,
        pub score: f64,
        pub active: bool,
    }
}

/// The same type for gobwire (go-netrpc, goplugin).
mod gw {
    use gobwire::Gob;

    /// The echoed value.
    #[derive(Gob, Debug, Default, Clone, PartialEq)]
    pub struct Echo {
        #[gob(name = "Seq")]
        pub seq: i64,
        #[gob(name = "Name")]
        pub name: String,
        #[gob(name = "Score")]
        pub score: f64,
        #[gob(name = "Active")]
        pub active: bool,
    }
}

const NAME: &str = "hello, bench";

fn ours_echo(seq: i64) -> ours::Echo {
    ours::Echo {
        seq,
        name: NAME.into(),
        score: 1.5,
        active: true,
    }
}

fn gw_echo(seq: i64) -> gw::Echo {
    gw::Echo {
        seq,
        name: NAME.into(),
        score: 1.5,
        active: true,
    }
}

const COOKIE_KEY: &str = "TILORES_BENCH_ECHO";
const COOKIE_VALUE: &str = "crates";

fn ours_handshake() -> tilores_plugin::plugin::HandshakeConfig {
    tilores_plugin::plugin::HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: COOKIE_KEY.into(),
        magic_cookie_value: COOKIE_VALUE.into(),
    }
}

fn goplugin_handshake() -> goplugin::HandshakeConfig {
    goplugin::HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: COOKIE_KEY.into(),
        magic_cookie_value: COOKIE_VALUE.into(),
    }
}

fn ours_server() -> Result<tilores_plugin::rpc::Server, tilores_plugin::rpc::RegisterError> {
    let server = tilores_plugin::rpc::Server::new();
    server.register_fn("Plugin", "Echo", |e: ours::Echo| async move {
        Ok::<_, String>(e)
    })?;
    Ok(server)
}

fn gonetrpc_server() -> go_netrpc::Server {
    let mut server = go_netrpc::Server::new();
    server.register("Plugin.Echo", |e: gw::Echo| async move {
        Ok::<_, go_netrpc::ServiceError>(e)
    });
    server
}

// ---- children (the server side of each row) ----

async fn child(mode: &str, arg: Option<&str>) -> Result<(), String> {
    match mode {
        "child-ours-plugin" => {
            tilores_plugin::plugin::check_cookie_or_exit(&ours_handshake());
            let plugins = tilores_plugin::plugin::PluginSet::new()
                .plugin("echo", |_broker| Ok(ours_server()?));
            tilores_plugin::plugin::serve(tilores_plugin::plugin::ServeConfig::new(
                ours_handshake(),
                plugins,
            ))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
        }
        "child-goplugin-plugin" => {
            let config = goplugin::ServeConfig::new(goplugin_handshake())
                .plugin("echo", |_broker: goplugin::MuxBroker| Ok(gonetrpc_server()));
            goplugin::serve(config).await.map_err(|e| e.to_string())
        }
        "child-ours-rpc" | "child-go-netrpc" => {
            let path = arg.ok_or("socket path missing")?;
            let stream = UnixStream::connect(path)
                .await
                .map_err(|e| format!("connect {path}: {e}"))?;
            if mode == "child-ours-rpc" {
                let server = ours_server().map_err(|e| e.to_string())?;
                server.serve(stream).await.map_err(|e| e.to_string())
            } else {
                Arc::new(gonetrpc_server())
                    .serve(stream)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
        other => Err(format!("unknown mode {other:?}")),
    }
}

// ---- measuring ----

struct Opts {
    only: Option<String>,
    seq_calls: usize,
    callers: usize,
    duration: Duration,
    codec_iters: usize,
}

/// Sequential (200 warm-up, `seq_calls` timed) and `callers` concurrent tasks (300 ms warm-up,
/// then `duration`).
async fn measure<F, Fut>(row: &str, o: &Opts, call: F) -> Result<serde_json::Value, String>
where
    F: Fn(i64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    for i in 0..200 {
        call(i).await?;
    }
    let mut lats = Vec::with_capacity(o.seq_calls);
    let start = Instant::now();
    for i in 0..o.seq_calls {
        let t0 = Instant::now();
        call(i as i64).await?;
        lats.push(t0.elapsed());
    }
    let total = start.elapsed();
    lats.sort();
    concurrent(&call, o.callers, Duration::from_millis(300)).await?;
    let clats = concurrent(&call, o.callers, o.duration).await?;
    Ok(json!({
        "row": row,
        "seq_calls": lats.len(),
        "seq_p50_us": percentile_us(&lats, 0.5),
        "seq_p99_us": percentile_us(&lats, 0.99),
        "seq_calls_per_sec": round1(lats.len() as f64 / total.as_secs_f64()),
        "conc_callers": o.callers,
        "conc_calls": clats.len(),
        "conc_calls_per_sec": round1(clats.len() as f64 / o.duration.as_secs_f64()),
        "conc_p50_us": percentile_us(&clats, 0.5),
        "conc_p99_us": percentile_us(&clats, 0.99),
    }))
}

async fn concurrent<F, Fut>(
    call: &F,
    callers: usize,
    dur: Duration,
) -> Result<Vec<Duration>, String>
where
    F: Fn(i64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let end = Instant::now() + dur;
    let mut tasks = Vec::new();
    for n in 0..callers {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut lats = Vec::with_capacity(4096);
            let mut seq = (n as i64) << 32;
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                call(seq).await?;
                seq += 1;
                let t1 = Instant::now();
                if t1 <= end {
                    lats.push(t1 - t0);
                }
            }
            Ok::<_, String>(lats)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(|e| format!("caller task: {e}"))??);
    }
    all.sort();
    Ok(all)
}

fn check(seq: i64, got: i64) -> Result<(), String> {
    if seq == got {
        Ok(())
    } else {
        Err(format!("echo returned seq {got}, sent {seq}"))
    }
}

fn exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("current_exe: {e}"))
}

async fn row_ours_plugin(o: &Opts) -> Result<serde_json::Value, String> {
    use tilores_plugin::plugin::{ClientConfig, PluginClient, PluginCommand};
    let cmd = PluginCommand::new(exe()?).arg("child-ours-plugin");
    let mut client =
        PluginClient::start(cmd, ClientConfig::new(ours_handshake()).plugins(["echo"]))
            .await
            .map_err(|e| format!("start: {e}"))?;
    let rpc = client
        .dispense("echo")
        .await
        .map_err(|e| format!("dispense: {e}"))?;
    let res = measure("ours-plugin", o, move |seq| {
        let rpc = rpc.clone();
        async move {
            let r: ours::Echo = rpc
                .call("Plugin.Echo", &ours_echo(seq))
                .await
                .map_err(|e| e.to_string())?;
            check(seq, r.seq)
        }
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(1), client.kill()).await;
    res
}

async fn row_goplugin_plugin(o: &Opts) -> Result<serde_json::Value, String> {
    let mut config = goplugin::ClientConfig::new(goplugin_handshake());
    config.cmd = Some(goplugin::PluginCommand::new(exe()?).arg("child-goplugin-plugin"));
    let client = goplugin::Client::start(config)
        .await
        .map_err(|e| format!("start: {e}"))?;
    let rpc = client
        .dispense("echo")
        .await
        .map_err(|e| format!("dispense: {e}"))?
        .client;
    let res = measure("goplugin-plugin", o, move |seq| {
        let rpc = rpc.clone();
        async move {
            let r: gw::Echo = rpc
                .call("Plugin.Echo", &gw_echo(seq))
                .await
                .map_err(|e| e.to_string())?;
            check(seq, r.seq)
        }
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(3), client.kill()).await;
    res
}

/// Listens on a fresh socket, starts the child server with its path, accepts it.
async fn socket_child(
    dir: &Path,
    mode: &str,
) -> Result<(UnixStream, tokio::process::Child), String> {
    let path = dir.join(format!("{mode}.sock"));
    let listener = UnixListener::bind(&path).map_err(|e| format!("bind: {e}"))?;
    let child = tokio::process::Command::new(exe()?)
        .arg(mode)
        .arg(&path)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .map_err(|_| "child did not connect".to_string())?
        .map_err(|e| format!("accept: {e}"))?;
    Ok((stream, child))
}

async fn row_ours_rpc(o: &Opts, dir: &Path) -> Result<serde_json::Value, String> {
    let (stream, mut child) = socket_child(dir, "child-ours-rpc").await?;
    let rpc = tilores_plugin::rpc::Client::new(stream);
    let c = rpc.clone();
    let res = measure("ours-rpc-socket", o, move |seq| {
        let rpc = c.clone();
        async move {
            let r: ours::Echo = rpc
                .call("Plugin.Echo", &ours_echo(seq))
                .await
                .map_err(|e| e.to_string())?;
            check(seq, r.seq)
        }
    })
    .await;
    let _ = rpc.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
    res
}

async fn row_gonetrpc(o: &Opts, dir: &Path) -> Result<serde_json::Value, String> {
    let (stream, mut child) = socket_child(dir, "child-go-netrpc").await?;
    let rpc = go_netrpc::Client::new(stream);
    let c = rpc.clone();
    let res = measure("go-netrpc-socket", o, move |seq| {
        let rpc = c.clone();
        async move {
            let r: gw::Echo = rpc
                .call("Plugin.Echo", &gw_echo(seq))
                .await
                .map_err(|e| e.to_string())?;
            check(seq, r.seq)
        }
    })
    .await;
    let _ = rpc.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
    res
}

/// Our gob: per call, encode header + argument on one stream, decode both back.
fn row_ours_codec(iters: usize) -> Result<serde_json::Value, String> {
    use tilores_plugin::gob::{Decoder, Encoder, Step};
    use tilores_plugin::rpc::Request;
    let mut enc = Encoder::new();
    let mut dec = Decoder::new();
    let mut buf = Vec::new();
    let mut header = Request {
        service_method: "Plugin.Echo".into(),
        seq: 0,
    };
    let start = Instant::now();
    for i in 0..iters {
        buf.clear();
        header.seq = i as u64;
        enc.encode_into(&header, &mut buf)
            .map_err(|e| e.to_string())?;
        enc.encode_into(&ours_echo(i as i64), &mut buf)
            .map_err(|e| e.to_string())?;
        let Step::Value { value: h, used: n } = dec
            .decode_next::<Request>(&buf, true)
            .map_err(|e| e.to_string())?
        else {
            return Err("no header".into());
        };
        let Step::Value { value: e, .. } = dec
            .decode_next::<ours::Echo>(&buf[n..], true)
            .map_err(|e| e.to_string())?
        else {
            return Err("no argument".into());
        };
        check(h.seq as i64, e.seq)?;
    }
    let ns = start.elapsed().as_nanos() as f64 / iters as f64;
    Ok(json!({"row": "ours-codec", "codec_ns_per_call": round1(ns), "codec_iters": iters}))
}

/// gobwire: the same round trip.
fn row_gobwire_codec(iters: usize) -> Result<serde_json::Value, String> {
    use gobwire::{parse_length_prefix, Decoder, Encoder, Progress};
    fn next<T: gobwire::Decode + Default>(
        dec: &mut Decoder,
        rest: &mut &[u8],
    ) -> Result<T, String> {
        loop {
            let (width, len) = parse_length_prefix(rest)
                .map_err(|e| e.to_string())?
                .ok_or("truncated")?;
            let body = rest.get(width..width + len).ok_or("truncated")?;
            *rest = &rest[width + len..];
            if dec.push_message(body).map_err(|e| e.to_string())? == Progress::Ready {
                return dec.decode().map_err(|e| e.to_string());
            }
        }
    }
    let mut enc = Encoder::new();
    let mut dec = Decoder::new();
    let mut buf = Vec::new();
    let mut header = go_netrpc::Request {
        service_method: "Plugin.Echo".into(),
        seq: 0,
    };
    let start = Instant::now();
    for i in 0..iters {
        buf.clear();
        header.seq = i as u64;
        enc.encode_into(&header, &mut buf)
            .map_err(|e| e.to_string())?;
        enc.encode_into(&gw_echo(i as i64), &mut buf)
            .map_err(|e| e.to_string())?;
        let mut rest = &buf[..];
        let h: go_netrpc::Request = next(&mut dec, &mut rest)?;
        let e: gw::Echo = next(&mut dec, &mut rest)?;
        check(h.seq as i64, e.seq)?;
    }
    let ns = start.elapsed().as_nanos() as f64 / iters as f64;
    Ok(json!({"row": "gobwire-codec", "codec_ns_per_call": round1(ns), "codec_iters": iters}))
}

const ROWS: [&str; 6] = [
    "ours-plugin",
    "goplugin-plugin",
    "ours-rpc-socket",
    "go-netrpc-socket",
    "ours-codec",
    "gobwire-codec",
];

async fn bench(o: Opts) -> Result<(), String> {
    if let Some(only) = &o.only {
        if !ROWS.contains(&only.as_str()) {
            return Err(format!("-only: unknown row {only:?} (rows: {ROWS:?})"));
        }
    }
    let dir = tilores_plugin_test_support::TempDir::new("tilores-bench-crates");
    let mut result = Ok(());
    for row in ROWS {
        if o.only.as_deref().is_some_and(|only| only != row) {
            continue;
        }
        let r = match row {
            "ours-plugin" => row_ours_plugin(&o).await,
            "goplugin-plugin" => row_goplugin_plugin(&o).await,
            "ours-rpc-socket" => row_ours_rpc(&o, dir.path()).await,
            "go-netrpc-socket" => row_gonetrpc(&o, dir.path()).await,
            "ours-codec" => row_ours_codec(o.codec_iters),
            _ => row_gobwire_codec(o.codec_iters),
        };
        match r {
            Ok(v) => println!("{v}"),
            Err(e) => {
                println!("{}", json!({"row": row, "ok": false, "error": e}));
                result = Err(format!("{row}: {e}"));
            }
        }
    }
    result
}

fn opts() -> Result<Opts, String> {
    let f = Flags::parse(0)?;
    let o = Opts {
        only: f.get("only").map(str::to_string),
        seq_calls: f.num("seq-calls", 5000)?,
        callers: f.num("callers", 64)?,
        duration: f.duration("duration", Duration::from_secs(3))?,
        codec_iters: f.num("codec-iters", 200_000)?,
    };
    if o.seq_calls == 0 || o.callers == 0 || o.duration.is_zero() || o.codec_iters == 0 {
        return Err("counts and durations must be positive".into());
    }
    Ok(o)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(mode) = args.get(1).filter(|m| m.starts_with("child-")) {
        if let Err(e) = child(mode, args.get(2).map(String::as_str)).await {
            eprintln!("crates bench {mode}: {e}");
            std::process::exit(1);
        }
        return;
    }
    let o = opts().unwrap_or_else(|e| {
        eprintln!("crates bench: {e}");
        std::process::exit(2)
    });
    if let Err(e) = bench(o).await {
        fail(e);
    }
}
