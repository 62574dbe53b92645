//! The yamux frame reader: the input (after its first byte) is everything the remote peer
//! sends on the socket, then EOF, to our `mux::Session` with the production `MuxConfig`. The
//! first byte's low bit picks our role (host = yamux client, plugin = yamux server). Meanwhile
//! we open a stream, write to it and read it to its end, and accept every stream the peer
//! opens, answer on it and read it to its end. What the session writes is read and dropped.
//!
//! Checks: no panic (incl. under ASan), and termination: once the socket has ended the
//! session ends, `accept` returns `None` and every stream read ends — in paused virtual
//! time, so a hang fails at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tilores_plugin::mux::{MuxConfig, Role, Session};
use tilores_plugin_fuzz::{drain, feed, runtime, MUST_END_WITHIN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frames)) = data.split_first() else {
        return;
    };
    let role = if pick & 1 == 0 {
        Role::Client
    } else {
        Role::Server
    };
    let frames = frames.to_vec();
    runtime().block_on(async move {
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        let session = Session::new(ours, role, MuxConfig::default()).expect("session");
        let (theirs_r, theirs_w) = tokio::io::split(theirs);
        tokio::spawn(drain(theirs_r, false));
        tokio::spawn(async move { feed(theirs_w, &frames).await });

        let opener = async {
            if let Ok(mut s) = session.open().await {
                let _ = s.write_all(b"hello").await;
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf).await;
            }
        };
        let acceptor = async {
            while let Some(mut s) = session.accept().await {
                let _ = s.write_all(b"hi").await;
                let mut buf = Vec::new();
                let _ = s.read_to_end(&mut buf).await;
            }
        };
        tokio::time::timeout(MUST_END_WITHIN, async {
            tokio::join!(opener, acceptor);
            session.closed().await
        })
        .await
        .expect("the session and its streams end once the socket has ended");
        assert!(session.is_closed());
    });
});
