//! Rust host twin of `go-interop/cmd/dispatcher-bench`: the same dispatcher workload, measured
//! through [`PluginClient`] and the library's `DispatcherClient` (what a Rust host uses, as
//! the Go bench uses `dispatcher.Initialize`'s client) over `dispense("dispatcher")`. Works with any dispatcher plugin binary: the Go fake
//! dispatcher v0.5.2 (Rust host → Go plugin) or a Rust one (Rust ↔ Rust).
//!
//! ```text
//! cargo bench -p tilores-plugin-bench --bench dispatcher -- -plugin PATH [-startup-runs 10]
//!     [-seq-calls 2000] [-callers 64] [-duration 3s] [-bulk-records 10000] [-bulk-runs 3]
//!     [-entity-records 10] [-warmup 200] [-idle 0] [-automtls=true]
//! cargo bench -p tilores-plugin-bench --bench dispatcher -- -plugin PATH -plugins N [-duration 3s]
//! ```
//!
//! Prints one JSON line with the keys of the Go program (`"host":"rust"`); see the package
//! comment of go-interop/cmd/dispatcher-bench for what each flag does and each key measures
//! (a count of 0 skips its phase; `-plugins N` is the plugins-per-host scaling mode). The host side
//! does what TiloRes's Go host does per call: builds the argument map
//! `{"input": *dispatcher.XInput}`, encodes it, and decodes the whole reply (every record's
//! `Data` as interface values).

mod common;

use std::time::{Duration, Instant};

use gob::{GoTime, Interface, Type, Value};
use serde_json::json;
use tilores_plugin::dispatcher::{
    CallContext, Dispatcher, DispatcherClient, EntityInput, InterfaceMap, Record, SubmitInput,
};
use tilores_plugin::plugin::{ClientConfig, HandshakeConfig, PluginClient, PluginCommand};

use common::{cpu_us, fail, median, ms, percentile_us, proc_status_kb, round1, Flags};

/// The data of a record (Go `map[string]interface{}`).
type Data = InterfaceMap;

fn string_map(entries: Vec<(&str, Interface)>) -> Interface {
    Interface::new(
        "map[string]interface {}",
        Value::new_map(
            Type::string_interface_map(),
            entries
                .into_iter()
                .map(|(k, v)| (Value::String(k.into()), Value::from(v)))
                .collect(),
        ),
    )
}

/// The bench record `i`: the same values and Go dynamic types as `makeRecord` in
/// go-interop/cmd/dispatcher-bench/main.go.
fn make_record(i: usize, comment: &str) -> Record {
    let created = GoTime::from_unix(1_704_164_645 + i as i64, 0); // 2024-01-02T03:04:05Z + i s
    let data = Data::from([
        ("firstName".into(), Interface::from(format!("Alice-{i}"))),
        ("lastName".into(), Interface::from("Example")),
        (
            "email".into(),
            Interface::from(format!("alice.{i}@example.com")),
        ),
        ("score".into(), Interface::from(i as f64 * 1.5 + 0.25)),
        ("age".into(), Interface::from((20 + i % 50) as f64)),
        ("active".into(), Interface::from(i % 2 == 0)),
        ("verified".into(), Interface::from(i % 3 == 0)),
        (
            "address".into(),
            string_map(vec![
                ("street", Interface::from(format!("{i} Main Street"))),
                ("city", Interface::from("Berlin")),
                ("zip", Interface::from("10115")),
                (
                    "geo",
                    string_map(vec![
                        ("lat", Interface::from(52.52 + (i % 1000) as f64 / 10000.0)),
                        ("lon", Interface::from(13.405)),
                    ]),
                ),
            ]),
        ),
        (
            "tags".into(),
            Interface::new(
                "[]interface {}",
                Value::new_slice(
                    Type::interface_slice(),
                    vec![
                        Value::from(Interface::from("customer")),
                        Value::from(Interface::from("newsletter")),
                        Value::from(Interface::from((i % 7) as f64)),
                    ],
                ),
            ),
        ),
        ("created".into(), Interface::from_concrete(created)),
        ("comment".into(), Interface::from(comment)),
    ]);
    Record::new(format!("record-{i:05}"), data)
}

fn make_records(n: usize) -> Vec<Record> {
    let comment: String = "lorem ipsum dolor sit amet, ".repeat(8)[..200].to_string();
    (0..n).map(|i| make_record(i, &comment)).collect()
}

/// Longest wait for `PluginClient::kill` in the start-up loop.
const KILL_LIMIT: Duration = Duration::from_millis(500);

fn handshake() -> HandshakeConfig {
    HandshakeConfig {
        protocol_version: 1,
        magic_cookie_key: "DISPATCHER_PLUGIN".into(),
        magic_cookie_value: "opsPsgZd3qsXpjgj69j5".into(),
    }
}

/// Spawn → handshake → dispense; with `automtls`, go-plugin's AutoMTLS (the host's one-off
/// certificate in `PLUGIN_CLIENT_CERT`, TLS on the plugin's socket), as `dispatcher-bench
/// -automtls=true` sets `AutoMTLS: true` in its go-plugin `ClientConfig`.
async fn start(path: &str, automtls: bool) -> Result<(PluginClient, DispatcherClient), String> {
    let config = ClientConfig::new(handshake())
        .plugins(["dispatcher"])
        .auto_mtls(automtls);
    let client = PluginClient::start(PluginCommand::new(path), config)
        .await
        .map_err(|e| format!("start {path}: {e}"))?;
    let dispatcher = client
        .dispense("dispatcher")
        .await
        .map_err(|e| format!("dispense: {e}"))?;
    Ok((client, DispatcherClient::new(dispatcher)))
}

/// `Plugin.Entity` through the library's dispatcher client; returns the number of records.
async fn entity(c: &DispatcherClient, id: &str) -> Result<usize, String> {
    let input = EntityInput { id: id.to_string() };
    let out = c
        .entity(CallContext::background(), input)
        .await
        .map_err(|e| format!("Plugin.Entity: {e}"))?;
    match out.entity {
        Some(e) if e.id == id => Ok(e.records.len()),
        other => Err(format!("Plugin.Entity {id:?}: unexpected reply {other:?}")),
    }
}

/// `Plugin.Submit`; returns RecordsAdded.
async fn submit(c: &DispatcherClient, input: SubmitInput) -> Result<i64, String> {
    let out = c
        .submit(CallContext::background(), input)
        .await
        .map_err(|e| format!("Plugin.Submit: {e}"))?;
    Ok(out.records_added)
}

/// `callers` tasks calling Entity until `dur` has passed: completed calls and their latencies.
async fn concurrent(
    c: &DispatcherClient,
    callers: usize,
    dur: Duration,
) -> Result<(usize, Vec<Duration>), String> {
    let end = Instant::now() + dur;
    let mut tasks = Vec::new();
    for n in 0..callers {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("e{n}");
            let mut lats = Vec::with_capacity(4096);
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                entity(&c, &id).await?;
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
    Ok((all.len(), all))
}

struct Opts {
    plugin: String,
    startup_runs: usize,
    seq_calls: usize,
    callers: usize,
    duration: Duration,
    bulk_records: usize,
    bulk_runs: usize,
    entity_records: usize,
    warmup: usize,
    idle: Duration,
    plugins: usize,
    /// `-automtls=true`: every plugin started with go-plugin's AutoMTLS.
    automtls: bool,
}

fn opts() -> Result<Opts, String> {
    let f = Flags::parse(0)?;
    let o = Opts {
        plugin: f
            .get("plugin")
            .ok_or("-plugin PATH is required")?
            .to_string(),
        startup_runs: f.num("startup-runs", 10)?,
        seq_calls: f.num("seq-calls", 2000)?,
        callers: f.num("callers", 64)?,
        duration: f.duration("duration", Duration::from_secs(3))?,
        bulk_records: f.num("bulk-records", 10_000)?,
        bulk_runs: f.num("bulk-runs", 3)?,
        entity_records: f.num("entity-records", 10)?,
        warmup: f.num("warmup", 200)?,
        idle: f.duration("idle", Duration::ZERO)?,
        plugins: f.num("plugins", 0)?,
        automtls: f.num("automtls", false)?,
    };
    if o.duration.is_zero() || o.bulk_records == 0 || o.entity_records == 0 {
        return Err("-duration, -bulk-records and -entity-records must be positive".into());
    }
    Ok(o)
}

async fn run(o: Opts) -> Result<serde_json::Value, String> {
    gob::register::<GoTime>().map_err(|e| e.to_string())?;
    let mut res = json!({"ok": true, "host": "rust", "plugin": o.plugin, "automtls": o.automtls});
    if o.plugins > 0 {
        many_plugins(&o, &mut res).await?;
        return Ok(res);
    }

    // 1. start-up: spawn → handshake → dispense → first Entity reply.
    let mut startups = Vec::new();
    let mut kills = Vec::new();
    let mut slow_kills = 0;
    for _ in 0..o.startup_runs {
        let t0 = Instant::now();
        let (mut client, d) = start(&o.plugin, o.automtls).await?;
        let first = entity(&d, "startup").await;
        let took = t0.elapsed();
        drop(d);
        // Not part of start-up. Bounded: PluginClient::kill sometimes waits 2 s for each of
        // two relay tasks after the plugin has already exited (see docs/benchmarks-history.md); past the
        // limit the client is dropped (SIGKILL + reap if the process were still there).
        let t1 = Instant::now();
        if tokio::time::timeout(KILL_LIMIT, client.kill())
            .await
            .is_err()
        {
            slow_kills += 1;
        }
        kills.push(t1.elapsed());
        drop(client);
        first?;
        startups.push(took);
    }
    if !startups.is_empty() {
        res["startup_runs"] = json!(startups.len());
        res["startup_ms_median"] = json!(ms(median(&startups)));
        res["startup_ms_min"] = json!(ms(startups.iter().copied().min().unwrap_or_default()));
        res["kill_ms_median"] = json!(ms(median(&kills)));
        res["kill_over_limit"] = json!(slow_kills);
    }

    // 2. Entity of 10 records on one long-lived plugin.
    let (mut client, d) = start(&o.plugin, o.automtls).await?;
    let outcome = workload(&o, &client, &d, &mut res).await;
    drop(d);
    let _ = tokio::time::timeout(KILL_LIMIT, client.kill()).await;
    outcome?;
    Ok(res)
}

/// Everything after start-up, on one plugin: Entity (sequential, concurrent), bulk Submit,
/// then the plugin's peak RSS.
async fn workload(
    o: &Opts,
    client: &PluginClient,
    d: &DispatcherClient,
    res: &mut serde_json::Value,
) -> Result<(), String> {
    let first = SubmitInput {
        records: make_records(o.entity_records),
    };
    let added = submit(d, first).await?;
    if added != o.entity_records as i64 {
        return Err(format!("submit {}: RecordsAdded {added}", o.entity_records));
    }
    res["entity_reply_records"] = json!(entity(d, "e1").await?);
    for _ in 0..o.warmup {
        entity(d, "warm").await?;
    }
    let pid = client.pid();
    let mut lats = Vec::with_capacity(o.seq_calls);
    let cpu0 = cpu_pair(pid)?;
    let seq_start = Instant::now();
    for _ in 0..o.seq_calls {
        let t0 = Instant::now();
        entity(d, "e1").await?;
        lats.push(t0.elapsed());
    }
    let seq_total = seq_start.elapsed();
    let cpu1 = cpu_pair(pid)?;
    if !lats.is_empty() {
        lats.sort();
        res["seq_calls"] = json!(lats.len());
        res["seq_p50_us"] = json!(percentile_us(&lats, 0.5));
        res["seq_p99_us"] = json!(percentile_us(&lats, 0.99));
        res["seq_calls_per_sec"] = json!(round1(lats.len() as f64 / seq_total.as_secs_f64()));
        per_call(res, "seq", cpu0, cpu1, lats.len());
    }

    if o.callers > 0 {
        concurrent(d, o.callers, Duration::from_millis(300)).await?;
        let cpu0 = cpu_pair(pid)?;
        let (count, clats) = concurrent(d, o.callers, o.duration).await?;
        let cpu1 = cpu_pair(pid)?;
        res["conc_callers"] = json!(o.callers);
        res["conc_calls"] = json!(count);
        res["conc_calls_per_sec"] = json!(round1(count as f64 / o.duration.as_secs_f64()));
        res["conc_p50_us"] = json!(percentile_us(&clats, 0.5));
        res["conc_p99_us"] = json!(percentile_us(&clats, 0.99));
        per_call(res, "conc", cpu0, cpu1, count);
    }
    if let Ok(hwm) = proc_status_kb(pid, "VmHWM") {
        res["plugin_rss_pre_bulk_kb"] = json!(hwm);
    }

    if o.bulk_runs > 0 {
        bulk_submit(o, d, res).await?;
    }

    // Idle: connected, no calls. Neither process should use CPU.
    if !o.idle.is_zero() {
        // From 1 s after the last call, as the Go host: the first second still holds one-off
        // work of the phases before (freeing the bulk, both sides; a few ms in all).
        tokio::time::sleep(Duration::from_secs(1)).await;
        let a = cpu_pair(pid)?;
        tokio::time::sleep(o.idle).await;
        let b = cpu_pair(pid)?;
        let secs = o.idle.as_secs_f64();
        res["idle_s"] = json!(secs);
        res["idle_cpu_us_per_s_host"] = json!(round1((b.0 - a.0) / secs));
        res["idle_cpu_us_per_s_plugin"] = json!(round1((b.1 - a.1) / secs));
    }

    // 4. peak RSS of the plugin process.
    res["plugin_rss_peak_kb"] = json!(proc_status_kb(pid, "VmHWM")?);
    if let Ok(rss) = proc_status_kb(pid, "VmRSS") {
        res["plugin_rss_kb"] = json!(rss);
    }
    Ok(())
}

/// CPU µs used so far by this process and by the plugin.
fn cpu_pair(pid: u32) -> Result<(f64, f64), String> {
    Ok((cpu_us(0)?, cpu_us(pid)?))
}

/// Stores the CPU µs per call of each side between two [`cpu_pair`] readings.
fn per_call(res: &mut serde_json::Value, prefix: &str, a: (f64, f64), b: (f64, f64), calls: usize) {
    if calls == 0 {
        return;
    }
    res[format!("{prefix}_cpu_us_per_call_host")] = json!(round1((b.0 - a.0) / calls as f64));
    res[format!("{prefix}_cpu_us_per_call_plugin")] = json!(round1((b.1 - a.1) / calls as f64));
}

/// 3. bulk Submit of `-bulk-records` records, `-bulk-runs` times.
async fn bulk_submit(
    o: &Opts,
    d: &DispatcherClient,
    res: &mut serde_json::Value,
) -> Result<(), String> {
    let bulk = SubmitInput {
        records: make_records(o.bulk_records),
    };
    // The argument as the client sends it: `{"input": *dispatcher.SubmitInput}`.
    let arg = InterfaceMap::from([("input".into(), Interface::from_concrete(bulk.clone()))]);
    let t0 = Instant::now();
    let payload = gob::to_vec(&arg)
        .map_err(|e| format!("gob size of the bulk argument: {e}"))?
        .len();
    drop(arg);
    // Diagnostic: the host's encoding share of a bulk call (fresh encoder, in memory).
    res["bulk_encode_ms"] = json!(ms(t0.elapsed()));
    let mut times = Vec::new();
    for _ in 0..o.bulk_runs {
        // The client takes its input by value (and frees it after the reply, inside the
        // timed call, as a Rust caller's program would): a copy per run, made untimed.
        let input = bulk.clone();
        let t0 = Instant::now();
        let added = submit(d, input).await?;
        times.push(t0.elapsed());
        if added != o.bulk_records as i64 {
            return Err(format!("bulk submit: RecordsAdded {added}"));
        }
    }
    let med = median(&times);
    res["bulk_records"] = json!(o.bulk_records);
    res["bulk_payload_bytes"] = json!(payload);
    res["bulk_runs"] = json!(times.len());
    res["bulk_ms_median"] = json!(ms(med));
    res["bulk_mb_per_sec"] = json!(round1(payload as f64 / 1e6 / med.as_secs_f64()));
    Ok(())
}

/// The `-plugins N` scaling mode: N plugins launched concurrently, one caller each for
/// `-duration`, then RSS of the host and of all plugins, then all killed concurrently.
async fn many_plugins(o: &Opts, res: &mut serde_json::Value) -> Result<(), String> {
    let n = o.plugins;
    let t0 = Instant::now();
    let mut launches = tokio::task::JoinSet::new();
    for i in 0..n {
        let path = o.plugin.clone();
        let automtls = o.automtls;
        launches.spawn(async move {
            let (client, d) = start(&path, automtls).await?;
            match entity(&d, "startup").await {
                Ok(_) => Ok((i, client, d)),
                Err(e) => Err(format!("plugin {}: {e}", i + 1)),
            }
        });
    }
    let mut started = Vec::with_capacity(n);
    let mut first_err = None;
    while let Some(joined) = launches.join_next().await {
        match joined.map_err(|e| format!("launch task: {e}")) {
            Ok(Ok(p)) => started.push(p),
            Ok(Err(e)) | Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let launch = t0.elapsed();
    let outcome = match first_err {
        Some(e) => Err(e),
        None => call_all(o, &started, launch, res).await,
    };
    let t1 = Instant::now();
    let mut kills = tokio::task::JoinSet::new();
    for (_, mut client, d) in started {
        kills.spawn(async move {
            drop(d);
            let _ = tokio::time::timeout(KILL_LIMIT, client.kill()).await;
        });
    }
    while kills.join_next().await.is_some() {}
    res["kill_all_ms"] = json!(ms(t1.elapsed()));
    outcome
}

/// One Entity caller per plugin for `-duration`, then the RSS figures of `-plugins`.
async fn call_all(
    o: &Opts,
    started: &[(usize, PluginClient, DispatcherClient)],
    launch: Duration,
    res: &mut serde_json::Value,
) -> Result<(), String> {
    let end = Instant::now() + o.duration;
    let mut callers = tokio::task::JoinSet::new();
    for (i, _, d) in started {
        let (i, d) = (*i, d.clone());
        callers.spawn(async move {
            let mut count = 0u64;
            while Instant::now() < end {
                entity(&d, "e1")
                    .await
                    .map_err(|e| format!("plugin {}: {e}", i + 1))?;
                if Instant::now() < end {
                    count += 1;
                }
            }
            Ok::<_, String>(count)
        });
    }
    let mut total = 0;
    while let Some(joined) = callers.join_next().await {
        total += joined.map_err(|e| format!("caller task: {e}"))??;
    }
    let host = proc_status_kb(std::process::id(), "VmRSS")?;
    let mut plugins = 0;
    for (_, client, _) in started {
        plugins += proc_status_kb(client.pid(), "VmRSS")?;
    }
    let n = started.len().max(1) as u64;
    res["plugins"] = json!(started.len());
    res["launch_all_ms"] = json!(ms(launch));
    res["plugins_calls_per_sec"] = json!(round1(total as f64 / o.duration.as_secs_f64()));
    res["host_rss_kb"] = json!(host);
    res["plugin_rss_total_kb"] = json!(plugins);
    res["total_rss_per_plugin_kb"] = json!((host + plugins) / n);
    Ok(())
}

// One runtime thread, as the Rust peers of bench/benches/netrpc.rs: an I/O-bound plugin host spends
// less CPU per call and wakes faster than on a work-stealing pool (measured: 64-caller Entity
// Rust<->Rust 12.2k -> 26.3k calls/s on this 2-CPU machine).
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let o = opts().unwrap_or_else(|e| {
        eprintln!("dispatcher bench: {e}");
        std::process::exit(2)
    });
    match run(o).await {
        Ok(res) => println!("{res}"),
        Err(e) => fail(e),
    }
}
