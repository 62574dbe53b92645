//! Issue 14, a Rust provider (the fake dispatcher, `serve_dispatcher`) facing hostile hosts:
//! raw sockets speaking broken yamux and net/rpc (garbage, bad frames, huge frame lengths and
//! window updates, 10,000 streams, GoAway, data beyond the window, huge gob lengths and
//! counts, odd sequence numbers, requests cut off, a host that never reads), a host killed
//! with SIGKILL, and a provider short of file descriptors.
//!
//! Each hostile connection must be handled within its stated time (closed, or answered as
//! Go would), while a well-behaved host on a second connection keeps getting correct
//! answers; the provider's peak resident set stays within its stated bound, nothing panics,
//! and the provider ends when asked (or when its host is gone) with no process left.

mod common;
use common::hostile::request;

#[path = "../examples/support/yamux_raw.rs"]
mod raw;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::hostile::{assert_gone, assert_no_marked_process, peak_kib};
use tilores_plugin::dispatcher::{self, CallContext, Dispatcher, DispatcherClient, EntityInput};
use tilores_plugin::gob::{Decoder, Encoder, Step};
use tilores_plugin::plugin::{
    launch, ClientConfig, LaunchConfig, PluginAddr, PluginClient, PluginCommand, PluginProcess,
    ReattachConfig,
};
use tilores_plugin::rpc::{Request, Response};
use tilores_plugin_test_support as support;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

const SEC: Duration = Duration::from_secs(1);

fn fake() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin-fake-dispatcher"))
}

/// Launches the provider (`program args`, e.g. the fake dispatcher, or it under `prlimit`).
async fn provider(program: &Path, args: &[&str]) -> (PluginProcess, PathBuf, support::SharedBytes) {
    let lines = support::SharedBytes::default();
    let mut config = LaunchConfig::new(dispatcher::handshake());
    config.stderr = Some(Box::new(lines.clone()));
    let mut cmd = PluginCommand::new(program);
    for a in args {
        cmd = cmd.arg(a);
    }
    let process = launch(cmd, config).await.expect("launch the provider");
    let PluginAddr::Unix(path) = process.handshake().address.clone() else {
        panic!("unix socket expected")
    };
    (process, path, lines)
}

/// A well-behaved host on a connection of its own: reattaches, dispenses, gets the right
/// entity back, and leaves the provider running.
async fn well_behaved(rc: &ReattachConfig) {
    let config = ClientConfig::new(dispatcher::handshake()).plugins([dispatcher::PLUGIN_NAME]);
    let host = tokio::time::timeout(5 * SEC, PluginClient::reattach(rc, config))
        .await
        .expect("reattach within 5 s")
        .expect("reattach");
    let rpc = host
        .dispense(dispatcher::PLUGIN_NAME)
        .await
        .expect("dispense");
    let out = DispatcherClient::new(rpc)
        .entity(
            CallContext::with_timeout(5 * SEC),
            EntityInput { id: "e-42".into() },
        )
        .await
        .expect("entity");
    assert_eq!(out.entity.expect("an entity").id, "e-42");
}

/// Opens the control, stdout and stderr streams (ids 1, 3, 5) with bare SYNs.
fn syn_control_streams() -> Vec<u8> {
    [1, 3, 5]
        .iter()
        .flat_map(|id| raw::frame(raw::WINDOW_UPDATE, raw::SYN, *id, 0, &[]))
        .collect()
}

/// Reads frames until the provider closes the connection; panics if it is still open after
/// `limit`.
async fn closed_within(sock: &mut UnixStream, limit: Duration) {
    let mut buf = vec![0u8; 64 * 1024];
    let closed = tokio::time::timeout(limit, async {
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "connection still open after {limit:?}");
}

/// net/rpc replies read from the bytes of a stream as they come: each a header, then a body
/// of any type (decoded as a gob Value and dropped).
#[derive(Default)]
struct ReplyReader {
    data: Vec<u8>,
    dec: Decoder,
    header: Option<Response>,
}

impl ReplyReader {
    /// Takes the next bytes of the stream; adds the replies they complete to `replies`.
    fn push(&mut self, body: &[u8], replies: &mut Vec<Response>) {
        self.data.extend_from_slice(body);
        loop {
            if self.header.is_none() {
                match self.dec.decode_next::<Response>(&self.data, false) {
                    Ok(Step::Value { value: resp, used }) => {
                        self.data.drain(..used);
                        self.header = Some(resp);
                    }
                    _ => break,
                }
            }
            match self
                .dec
                .decode_next::<tilores_plugin::gob::Value>(&self.data, false)
            {
                Ok(Step::Value { used, .. }) => {
                    self.data.drain(..used);
                    replies.extend(self.header.take());
                }
                _ => break,
            }
        }
    }
}

/// Reads the replies on stream 1 until `n` have come (or the stream ended); returns them.
async fn control_replies(sock: &mut UnixStream, n: usize, limit: Duration) -> Vec<Response> {
    let mut reader = ReplyReader::default();
    let mut replies = Vec::new();
    let _ = tokio::time::timeout(limit, async {
        while replies.len() < n {
            let Ok(Some(f)) = raw::read_frame(sock, 1 << 20).await else {
                return;
            };
            if f.stream() != 1 {
                continue;
            }
            reader.push(&f.body, &mut replies);
            if f.flags() & (raw::FIN | raw::RST) != 0 {
                return;
            }
        }
    })
    .await;
    replies
}

/// Reads frames until stream `id` is ended by the provider (FIN or RST, without a data
/// frame on it before); panics if that takes longer than `limit`.
async fn stream_ended(sock: &mut UnixStream, id: u32, limit: Duration) {
    let ended = tokio::time::timeout(limit, async {
        loop {
            match raw::read_frame(sock, 1 << 20).await {
                Ok(Some(f)) if f.stream() == id => {
                    assert!(f.body.is_empty(), "data on stream {id}: {f:?}");
                    if f.flags() & (raw::FIN | raw::RST) != 0 {
                        return;
                    }
                }
                Ok(Some(_)) => {}
                other => panic!("connection ended first: {other:?}"),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "stream {id} still open after {limit:?}");
}

/// Reads the provider's frames: grants back the window of every data frame, adds the
/// provider's grants for stream 1 to `credit`; returns the replies on stream 1 once
/// `n` have come (or the connection ended).
async fn flow_reader(
    mut rd: tokio::net::unix::OwnedReadHalf,
    wr: Arc<tokio::sync::Mutex<tokio::net::unix::OwnedWriteHalf>>,
    credit: Arc<tokio::sync::Semaphore>,
    n: usize,
) -> Vec<Response> {
    let mut reader = ReplyReader::default();
    let mut replies = Vec::new();
    while replies.len() < n {
        let Ok(Some(f)) = raw::read_frame(&mut rd, 1 << 20).await else {
            break;
        };
        match f.kind() {
            raw::WINDOW_UPDATE if f.stream() == 1 => credit.add_permits(f.length() as usize),
            raw::DATA if !f.body.is_empty() => {
                let grant = raw::frame(raw::WINDOW_UPDATE, 0, f.stream(), f.length(), &[]);
                let _ = wr.lock().await.write_all(&grant).await;
                if f.stream() == 1 {
                    reader.push(&f.body, &mut replies);
                }
            }
            _ => {}
        }
    }
    replies
}

type CaseFn = fn(PathBuf) -> Pin<Box<dyn Future<Output = Option<UnixStream>> + Send>>;

/// The hostile hosts: each does its worst on a connection of its own and checks the
/// provider's reaction; it returns the connection when the provider rightly keeps it open
/// (the well-behaved host is then served while it stays open).
fn cases() -> Vec<(&'static str, CaseFn)> {
    vec![
        ("garbage instead of yamux", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                s.write_all(b"GET / HTTP/1.1\r\nHost: plugin\r\n\r\n")
                    .await
                    .expect("write");
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("a frame of yamux version 7", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut b = syn_control_streams();
                b.extend(raw::header(7, raw::DATA, 0, 1, 0));
                s.write_all(&b).await.expect("write");
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("a frame of type 9", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut b = syn_control_streams();
                b.extend(raw::header(0, 9, 0, 1, 0));
                s.write_all(&b).await.expect("write");
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("a data frame of 4 GiB", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut b = syn_control_streams();
                b.extend(raw::frame(raw::DATA, 0, 1, u32::MAX, &[0u8; 64 * 1024]));
                s.write_all(&b).await.expect("write");
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("window updates of 4 GiB", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut b = syn_control_streams();
                for _ in 0..2 {
                    b.extend(raw::frame(raw::WINDOW_UPDATE, 0, 1, u32::MAX, &[]));
                }
                s.write_all(&b).await.expect("write");
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("10,000 streams at once", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let b: Vec<u8> = (0..10_000u32)
                    .flat_map(|i| raw::frame(raw::WINDOW_UPDATE, raw::SYN, 1 + 2 * i, 0, &[]))
                    .collect();
                // Beyond 64 streams the provider ends the connection, maybe before it has
                // read them all.
                let _ = s.write_all(&b).await;
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("GoAway", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut b = syn_control_streams();
                b.extend(raw::frame(raw::GO_AWAY, 0, 0, 0, &[]));
                s.write_all(&b).await.expect("write");
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("16 MiB of data beyond the stdout stream's window", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                s.write_all(&syn_control_streams()).await.expect("write");
                let chunk = raw::data(0, 3, &[b'x'; 64 * 1024]);
                for _ in 0..256 {
                    if s.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("a gob message claiming 2^40 bytes", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut body = raw::gob_uint(1 << 40);
                body.extend_from_slice(&[0u8; 1024]);
                let mut b = syn_control_streams();
                b.extend(raw::data(0, 1, &body));
                s.write_all(&b).await.expect("write");
                // No reply; the control stream is ended (FIN or RST), as Go's net/rpc server
                // closes a connection it cannot decode. The session stays, as in Go.
                stream_ended(&mut s, 1, 2 * SEC).await;
                Some(s)
            })
        }),
        ("a Dispense argument claiming 2^50 bytes", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut enc = Encoder::new();
                let mut body = enc
                    .encode(&Request {
                        service_method: "Dispenser.Dispense".into(),
                        seq: 0,
                    })
                    .expect("header");
                body.extend(raw::gob_string_claiming(1 << 50, b"dispatcher"));
                let mut b = syn_control_streams();
                b.extend(raw::data(0, 1, &body));
                s.write_all(&b).await.expect("write");
                let replies = control_replies(&mut s, 1, 2 * SEC).await;
                assert_eq!(replies.len(), 1, "an error reply");
                assert!(!replies[0].error.is_empty(), "{replies:?}");
                Some(s)
            })
        }),
        ("repeated and unknown sequence numbers", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut enc = Encoder::new();
                let mut body = Vec::new();
                for seq in [5, 5, u64::MAX, 0] {
                    body.extend(request(&mut enc, "Control.Ping", seq, &true));
                }
                let mut b = syn_control_streams();
                b.extend(raw::data(0, 1, &body));
                s.write_all(&b).await.expect("write");
                let replies = control_replies(&mut s, 4, 2 * SEC).await;
                let mut seqs: Vec<u64> = replies.iter().map(|r| r.seq).collect();
                seqs.sort_unstable();
                assert_eq!(seqs, [0, 5, 5, u64::MAX], "{replies:?}");
                assert!(replies.iter().all(|r| r.error.is_empty()), "{replies:?}");
                Some(s)
            })
        }),
        ("a request cut off, then gone", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut enc = Encoder::new();
                let req = request(&mut enc, "Dispenser.Dispense", 0, &"dispatcher".to_string());
                let mut b = syn_control_streams();
                b.extend(raw::data(0, 1, &req[..req.len() / 2]));
                s.write_all(&b).await.expect("write");
                drop(s);
                None
            })
        }),
        ("a host that sends 10,000 pings and never reads", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                let mut enc = Encoder::new();
                let mut body = Vec::new();
                for seq in 0..10_000 {
                    body.extend(request(&mut enc, "Control.Ping", seq, &true));
                }
                let mut b = syn_control_streams();
                // Within the stream's 256 KiB window.
                for chunk in body.chunks(16 * 1024) {
                    b.extend(raw::data(0, 1, chunk));
                }
                assert!(body.len() < 256 * 1024, "{}", body.len());
                s.write_all(&b).await.expect("write");
                Some(s)
            })
        }),
        ("60 broker streams of 256 KiB each, never accepted", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                s.write_all(&syn_control_streams()).await.expect("write");
                let chunk = [7u8; 64 * 1024];
                // Each: a broker id nobody accepts (parked until the accept timeout), then
                // the rest of the stream's 256 KiB window.
                let mut b = Vec::new();
                for i in 0..60u32 {
                    let id = 7 + 2 * i;
                    b.extend(raw::frame(raw::WINDOW_UPDATE, raw::SYN, id, 0, &[]));
                    let mut first = chunk;
                    first[..4].copy_from_slice(&(1_000 + i).to_le_bytes());
                    b.extend(raw::data(0, id, &first));
                    for _ in 0..3 {
                        b.extend(raw::data(0, id, &chunk));
                    }
                }
                s.write_all(&b).await.expect("within the limits");
                Some(s)
            })
        }),
        ("500 streams of 256 KiB each", |p| {
            Box::pin(async move {
                let mut s = UnixStream::connect(p).await.expect("connect");
                s.write_all(&syn_control_streams()).await.expect("write");
                let chunk = [7u8; 64 * 1024];
                for i in 0..500u32 {
                    let id = 7 + 2 * i;
                    let mut b = raw::frame(raw::WINDOW_UPDATE, raw::SYN, id, 0, &[]);
                    let mut first = chunk;
                    first[..4].copy_from_slice(&(1_000 + i).to_le_bytes());
                    b.extend(raw::data(0, id, &first));
                    for _ in 0..3 {
                        b.extend(raw::data(0, id, &chunk));
                    }
                    // Closed by the provider at the 65th stream.
                    if s.write_all(&b).await.is_err() {
                        break;
                    }
                }
                closed_within(&mut s, 2 * SEC).await;
                None
            })
        }),
        ("20,000 dispenses never dialed", |p| {
            Box::pin(async move {
                let s = UnixStream::connect(p).await.expect("connect");
                let (rd, wr) = s.into_split();
                let wr = Arc::new(tokio::sync::Mutex::new(wr));
                // Flow control kept: credit for stream 1 as the provider grants it, and the
                // replies read and granted back, so the calls never wait.
                let credit = Arc::new(tokio::sync::Semaphore::new(256 * 1024));
                let reader = tokio::spawn(flow_reader(rd, wr.clone(), credit.clone(), 20_000));
                let mut enc = Encoder::new();
                wr.lock()
                    .await
                    .write_all(&syn_control_streams())
                    .await
                    .expect("write");
                let arg = "dispatcher".to_string();
                for batch in 0..20u64 {
                    let mut body = Vec::new();
                    for i in 0..1000 {
                        body.extend(request(
                            &mut enc,
                            "Dispenser.Dispense",
                            batch * 1000 + i,
                            &arg,
                        ));
                    }
                    for chunk in body.chunks(16 * 1024) {
                        let n = u32::try_from(chunk.len()).expect("chunk");
                        credit.acquire_many(n).await.expect("credit").forget();
                        wr.lock()
                            .await
                            .write_all(&raw::data(0, 1, chunk))
                            .await
                            .expect("write");
                    }
                }
                // Every call answered: an id, or (beyond the 64 waiting to be dialed) an error.
                let replies = reader.await.expect("reader");
                assert_eq!(replies.len(), 20_000);
                let refused = replies
                    .iter()
                    .filter(|r| r.error.contains("waiting to be dialed"))
                    .count();
                assert!(refused >= 20_000 - 64 * 10, "{refused} refused");
                None
            })
        }),
    ]
}

/// Every hostile host of [`cases`] in turn against one provider, each followed by a
/// well-behaved host served on a second connection (with the hostile one still open where
/// the provider keeps it). Bounds: each hostile connection handled (closed, or its checks
/// done) within its case's own waits and the whole table within 30 s, each well-behaved host
/// served within 5 s, the provider's peak RSS within 32 MiB, no panic,
/// and the provider gone within 3 s of Quit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_survives_hostile_hosts_and_serves_a_good_one() {
    support::limit(async {
        let (process, path, lines) = provider(&fake(), &[]).await;
        let rc = process.reattach_config();
        let pid = process.pid();
        for (name, case) in cases() {
            support::step(name);
            let start = Instant::now();
            let kept = tokio::time::timeout(30 * SEC, case(path.clone()))
                .await
                .unwrap_or_else(|_| panic!("{name}: still running after 30 s"));
            let handled = start.elapsed();
            tokio::time::timeout(5 * SEC, well_behaved(&rc))
                .await
                .unwrap_or_else(|_| panic!("{name}: the good host was not served in 5 s"));
            drop(kept);
            assert!(!process.exited(), "{name}: the provider died");
            eprintln!(
                "{name}: handled in {handled:?}, provider RSS {} KiB (peak {} KiB)",
                common::hostile::status_kib(pid, "VmRSS").unwrap_or(0),
                peak_kib(pid)
            );
        }
        let peak = peak_kib(pid);
        eprintln!("provider peak RSS over all hostile hosts: {peak} KiB");
        assert!(peak < 32 * 1024, "provider peak RSS {peak} KiB");
        // A well-behaved host ends it: Quit, exit, reaped.
        let config = ClientConfig::new(dispatcher::handshake()).plugins([dispatcher::PLUGIN_NAME]);
        let mut host = PluginClient::reattach(&rc, config).await.expect("reattach");
        let outcome = tokio::time::timeout(3 * SEC, host.kill())
            .await
            .expect("Quit within 3 s");
        assert!(outcome.graceful, "{outcome:?}");
        let status = tokio::time::timeout(3 * SEC, process.wait())
            .await
            .expect("exit within 3 s");
        assert_eq!(status.and_then(|s| s.code()), Some(0));
        let log = lines.text();
        assert!(!log.contains("panic"), "{log}");
    })
    .await
}

/// A unique mark for the processes of one test.
fn mark(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{tag}-{}-{nanos}", std::process::id())
}

/// SIGKILL of the host (`tilores-plugin dispatch` with the fake dispatcher) while the
/// provider serves it: with `ExitPolicy::HostGone` (the default) the provider notices its
/// host is gone and exits within 3 s; no process of the run is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_the_host_ends_the_provider() {
    support::limit(async {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mark = mark("sigkill-host");
        let cli = PathBuf::from(env!("CARGO_BIN_EXE_tilores-plugin"));
        let fake = fake();
        let mut host = tokio::process::Command::new(cli)
            .args(["dispatch", "--plugin"])
            .arg(&fake)
            .env("HOSTILE_MARK", &mark)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the host");
        let host_pid = host.id().expect("pid");
        let mut stdin = host.stdin.take().expect("stdin");
        stdin
            .write_all(b"{\"call\":\"entity\",\"input\":{\"id\":\"a\"}}\n")
            .await
            .expect("script");
        let mut out = BufReader::new(host.stdout.take().expect("stdout")).lines();
        let line = tokio::time::timeout(10 * SEC, out.next_line())
            .await
            .expect("an answer within 10 s")
            .expect("read")
            .expect("a line");
        assert!(line.contains(r#""id":"a""#), "{line}");
        let providers: Vec<u32> = common::hostile::marked("HOSTILE_MARK", &mark)
            .into_iter()
            .filter(|p| *p != host_pid)
            .collect();
        assert_eq!(providers.len(), 1, "{providers:?}");

        host.start_kill().expect("SIGKILL the host");
        host.wait().await.expect("reap the host");
        let start = Instant::now();
        tokio::task::spawn_blocking(move || {
            assert_no_marked_process("HOSTILE_MARK", &mark, 3 * SEC)
        })
        .await
        .expect("orphan check");
        eprintln!(
            "provider gone {:?} after its host's SIGKILL",
            start.elapsed()
        );
        drop(stdin);
    })
    .await
}

/// A provider under `prlimit --nofile=32` flooded with 100 connections: accepting fails
/// with EMFILE while they are open (logged, retried every 50 ms, no busy loop, no exit);
/// once they are gone a well-behaved host is served within 5 s; the provider's peak stays
/// within 32 MiB, it never panics, and it ends on Quit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_out_of_file_descriptors_recovers() {
    support::limit(async {
        let fake = fake();
        let fake = fake.to_str().expect("utf-8 path");
        let (process, path, lines) =
            provider(Path::new("prlimit"), &["--nofile=32:32", "--", fake]).await;
        let rc = process.reattach_config();
        let pid = process.pid();
        let mut flood = Vec::new();
        for _ in 0..100 {
            match UnixStream::connect(&path).await {
                Ok(s) => flood.push(s),
                Err(_) => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!process.exited(), "the provider died");
        let log = lines.text();
        assert!(log.contains("Too many open files"), "{log}");
        drop(flood);
        let start = Instant::now();
        tokio::time::timeout(5 * SEC, well_behaved(&rc))
            .await
            .expect("a good host served within 5 s of the flood's end");
        eprintln!(
            "served {:?} after the flood; provider peak RSS {} KiB",
            start.elapsed(),
            peak_kib(pid)
        );
        assert!(peak_kib(pid) < 32 * 1024);
        let config = ClientConfig::new(dispatcher::handshake()).plugins([dispatcher::PLUGIN_NAME]);
        let mut host = PluginClient::reattach(&rc, config).await.expect("reattach");
        assert!(host.kill().await.graceful);
        tokio::time::timeout(3 * SEC, process.wait())
            .await
            .expect("exit within 3 s");
        assert_gone(pid, SEC);
        let log = lines.text();
        assert!(!log.contains("panic"), "{log}");
    })
    .await
}

/// A host whose `Entity` arguments hold 10 million nil interface values (10 MB on the wire,
/// one byte each): the provider decodes them with at most 24 bytes of heap per wire byte (it
/// took 1.23 GiB when each nil took a boxed 112 bytes), answers Go's error for the missing
/// input, and serves a well-behaved host afterwards; its peak stays within 24 × 10 MB plus its
/// base and the message buffer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_of_ten_million_nil_interfaces_stays_within_its_budget() {
    use tilores_plugin::gob::{GoStr, Interface, Type, Value};
    support::limit(async {
        let (process, _path, lines) = provider(&fake(), &[]).await;
        let rc = process.reattach_config();
        let pid = process.pid();
        let config = ClientConfig::new(dispatcher::handshake()).plugins([dispatcher::PLUGIN_NAME]);
        let host = PluginClient::reattach(&rc, config).await.expect("reattach");
        let rpc = host
            .dispense(dispatcher::PLUGIN_NAME)
            .await
            .expect("dispense");
        let nils = Value::new_slice(Type::interface_slice(), vec![Value::Nil; 10_000_000]);
        let args: std::collections::BTreeMap<GoStr, Interface> =
            [("junk".into(), Interface::new("[]interface {}", nils))].into();
        let err = rpc
            .call_timeout::<_, Value>("Plugin.Entity", &args, 60 * SEC)
            .await
            .expect_err("no input");
        assert!(err.to_string().contains("input"), "{err}");
        well_behaved(&rc).await;
        let peak = peak_kib(pid);
        eprintln!("provider peak RSS after 10 million nil interfaces: {peak} KiB");
        assert!(peak < (24 * 10 + 64) * 1024, "provider peak RSS {peak} KiB");
        let mut host = host;
        assert!(host.kill().await.graceful);
        let _ = tokio::time::timeout(3 * SEC, process.wait()).await;
        let log = lines.text();
        assert!(!log.contains("panic"), "{log}");
    })
    .await
}
