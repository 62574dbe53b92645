//! Shared by the fuzz targets and the seed generator (`examples/seeds.rs`).

use std::time::Duration;

use tilores_plugin::dispatcher::{
    CallContext, DisassembleInput, Dispatcher, DispatcherClient, EntityInput, InterfaceMap, Record,
    RemoveConnectionBanInput, SearchInput, SearchParameters, SubmitInput,
};
use tilores_plugin::gob::{GoTime, Interface};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long (in paused, virtual time) everything a target started may take once the fuzzed
/// peer's stream has ended. With paused time the clock jumps to the next timer whenever all
/// tasks are idle, so a hang shows up at once as this timeout, never as a slow run.
pub const MUST_END_WITHIN: Duration = Duration::from_secs(600);

/// A current-thread runtime with paused time: deterministic scheduling and timers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

/// Writes `data` as the peer's side of the stream, then ends it (EOF). Gives up quietly when
/// the other side stops reading or goes away.
pub async fn feed<W: AsyncWrite + Unpin>(mut w: W, data: &[u8]) {
    if w.write_all(data).await.is_ok() {
        let _ = w.shutdown().await;
    }
}

/// Reads and drops everything the other side writes, to its end; returns the bytes when
/// `keep` (for the seed generator).
pub async fn drain<R: AsyncRead + Unpin>(mut r: R, keep: bool) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) if keep => kept.extend_from_slice(&buf[..n]),
            Ok(_) => {}
        }
    }
}

/// The calls the `rpc_client` target makes, concurrently (sequence numbers 0–5 in this
/// order): every dispatcher method with typical arguments, the first with a deadline. Returns
/// how many succeeded.
pub async fn dispatcher_calls(client: &DispatcherClient) -> usize {
    let mut data = InterfaceMap::new();
    data.insert("name".into(), Interface::from("Ada"));
    data.insert("age".into(), Interface::from(36i64));
    data.insert("score".into(), Interface::from(0.5f64));
    let record = Record {
        id: "r1".into(),
        data: Some(data.clone()),
    };
    let submit = SubmitInput {
        records: vec![
            record.clone(),
            Record {
                id: "r2".into(),
                data: None,
            },
        ],
    };
    let search = SearchInput {
        parameters: Some(SearchParameters(data)),
    };
    let bg = CallContext::background;
    let deadline = CallContext::with_deadline(GoTime::from_unix(4_102_444_800, 0));
    let (a, b, c, d, e, f) = tokio::join!(
        client.submit(bg(), submit),
        client.entity(deadline, EntityInput { id: "e1".into() }),
        client.search(bg(), search),
        client.disassemble(bg(), DisassembleInput::default()),
        client.remove_connection_ban(bg(), RemoveConnectionBanInput::default()),
        client.entity(bg(), EntityInput { id: String::new() }),
    );
    [
        a.is_ok(),
        b.is_ok(),
        c.is_ok(),
        d.is_ok(),
        e.is_ok(),
        f.is_ok(),
    ]
    .iter()
    .filter(|ok| **ok)
    .count()
}
