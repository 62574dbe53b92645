//! Session behaviour between two Rust sessions (or a raw socket), no Go needed.
//!
//! Go compatibility is covered by `tests/mux_interop.rs`; these check the adapter's
//! own contract: ids, ordering, ACK waiting, limits, errors and close reasons.

use std::time::Duration;

use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::UnixStream,
};

use super::{CloseReason, MuxConfig, MuxError, Role, Session};

/// Awaits `fut` for at most 5 s, failing the test with `what` otherwise.
async fn within<F: std::future::Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(5), fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out: {what}"),
    }
}

/// A connected (client, server) pair of sessions over a unix socket pair.
fn pair(client: MuxConfig, server: MuxConfig) -> (Session, Session) {
    let (a, b) = UnixStream::pair().expect("socket pair");
    (
        Session::new(a, Role::Client, client).expect("client session"),
        Session::new(b, Role::Server, server).expect("server session"),
    )
}

#[tokio::test]
async fn open_accept_exchange_and_half_close() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    assert_eq!(client.role(), Role::Client);
    assert_eq!(server.role(), Role::Server);

    let mut c = within("open", client.open()).await.expect("open");
    let mut s = within("accept", server.accept()).await.expect("accept");
    assert_eq!((c.id(), s.id()), (1, 1));

    c.write_all(b"ping").await.expect("write");
    c.shutdown().await.expect("FIN");
    let mut got = Vec::new();
    within("read to FIN", s.read_to_end(&mut got))
        .await
        .expect("read");
    assert_eq!(got, b"ping");

    // Half-closed: the other direction still works.
    s.write_all(b"pong").await.expect("write back");
    s.shutdown().await.expect("FIN back");
    got.clear();
    within("read reply", c.read_to_end(&mut got))
        .await
        .expect("read reply");
    assert_eq!(got, b"pong");

    // The server opens even ids.
    let back = within("server open", server.open()).await.expect("open");
    assert_eq!(back.id(), 2);
}

#[tokio::test]
async fn streams_are_accepted_in_open_order_even_when_written_in_reverse() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(within("open", client.open()).await.expect("open"));
    }
    for s in streams.iter_mut().rev() {
        s.write_all(&[s.id() as u8]).await.expect("write");
    }
    for expected in [1, 3, 5] {
        let mut s = within("accept", server.accept()).await.expect("accept");
        assert_eq!(s.id(), expected);
        let mut b = [0u8; 1];
        within("first byte", s.read_exact(&mut b))
            .await
            .expect("read");
        assert_eq!(b[0], expected as u8);
    }
}

#[tokio::test]
async fn open_acked_returns_once_the_peer_acknowledged() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    // The server never calls accept: its driver ACKs on arrival.
    let s = within("open_acked", client.open_acked())
        .await
        .expect("acked");
    assert!(!s.yamux().expect("a live stream").is_pending_ack());
    drop(server);
}

#[tokio::test]
async fn open_acked_reports_a_reset_as_rejected() {
    let server_cfg = MuxConfig {
        accept_backlog: 1,
        ..MuxConfig::default()
    };
    let (client, _server) = pair(MuxConfig::default(), server_cfg);
    // The first stream fills the server's backlog; the second is reset.
    let _first = within("first", client.open_acked())
        .await
        .expect("first acked");
    match within("second", client.open_acked()).await {
        Err(MuxError::OpenRejected { id }) => assert_eq!(id, 3),
        other => panic!("expected OpenRejected, got {other:?}"),
    }
    assert!(!client.is_closed());
}

#[tokio::test]
async fn stream_limit_is_refused_without_killing_the_session() {
    let client_cfg = MuxConfig {
        max_num_streams: 2,
        ..MuxConfig::default()
    };
    let (client, server) = pair(client_cfg, MuxConfig::default());
    let mut a = within("open a", client.open()).await.expect("a");
    let b = within("open b", client.open()).await.expect("b");
    match within("open c", client.open()).await {
        Err(MuxError::TooManyStreams { limit: 2 }) => {}
        other => panic!("expected TooManyStreams, got {other:?}"),
    }
    assert!(!client.is_closed());

    // Streams that exist keep working, and dropping one frees a slot.
    a.write_all(b"x").await.expect("write");
    let mut sa = within("accept a", server.accept()).await.expect("accept");
    let mut byte = [0u8; 1];
    within("read", sa.read_exact(&mut byte))
        .await
        .expect("read");
    drop(b);
    let c = within("open c again", client.open())
        .await
        .expect("a slot is free again");
    assert_eq!(c.id(), 5);
    assert!(!client.is_closed());
}

#[tokio::test]
async fn close_reasons_on_both_sides() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    // One round trip first, so both drivers are past their start-up writes
    // (rust-yamux's first RTT ping): a write to a closed socket would end the
    // server's session before it read the frames below (see CloseReason::Peer).
    let mut c = within("open", client.open()).await.expect("open");
    let mut s = within("accept", server.accept()).await.expect("accept");
    c.write_all(b"hello ").await.expect("write");
    let mut got = [0u8; 6];
    within("read", s.read_exact(&mut got)).await.expect("read");

    c.write_all(b"last words").await.expect("write");
    c.shutdown().await.expect("FIN");
    within("close", client.close()).await.expect("close");
    assert!(matches!(client.close_reason(), Some(CloseReason::Local)));
    assert!(matches!(
        within("client closed", client.closed()).await,
        CloseReason::Local
    ));
    // Closing again is fine.
    within("close again", client.close())
        .await
        .expect("idempotent");

    // The server still gets the queued data and the FIN, then the end.
    let mut got = Vec::new();
    within("read", s.read_to_end(&mut got)).await.expect("read");
    assert_eq!(got, b"last words");
    assert!(matches!(
        within("server closed", server.closed()).await,
        CloseReason::Peer
    ));
    assert!(within("accept after end", server.accept()).await.is_none());
    assert!(matches!(
        within("open after close", client.open()).await,
        Err(MuxError::SessionClosed(CloseReason::Local))
    ));
}

#[tokio::test]
async fn dropping_the_last_handle_closes_the_session() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    let clone = client.clone();
    drop(client);
    assert!(!clone.is_closed(), "a clone keeps the session alive");
    drop(clone);
    let r = within("server sees the end", server.closed()).await;
    assert!(matches!(r, CloseReason::Peer), "{r:?}");
}

#[tokio::test]
async fn garbage_from_the_peer_fails_the_session_without_panicking() {
    let (a, mut raw) = UnixStream::pair().expect("socket pair");
    let session = Session::new(a, Role::Server, MuxConfig::default()).expect("session");
    // Version 1 is not yamux.
    raw.write_all(&[1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0])
        .await
        .expect("write");
    match within("session end", session.closed()).await {
        CloseReason::Failed(e) => {
            // The yamux error is carried as the source, not in our API.
            let inner = std::error::Error::source(&e)
                .and_then(|s| s.downcast_ref::<yamux::ConnectionError>());
            assert!(
                matches!(inner, Some(yamux::ConnectionError::Decode(_))),
                "{e}"
            )
        }
        other => panic!("expected a decode failure, got {other}"),
    }
    assert!(within("accept", session.accept()).await.is_none());
}

#[tokio::test]
async fn peer_eof_is_a_peer_close() {
    let (a, raw) = UnixStream::pair().expect("socket pair");
    let session = Session::new(a, Role::Client, MuxConfig::default()).expect("session");
    drop(raw);
    let r = within("session end", session.closed()).await;
    assert!(matches!(r, CloseReason::Peer), "{r:?}");
    assert!(session.is_closed());
}

#[test]
fn new_outside_a_runtime_is_an_error() {
    let (a, _b) = tokio::io::duplex(64);
    assert!(matches!(
        Session::new(a, Role::Client, MuxConfig::default()),
        Err(MuxError::NoRuntime)
    ));
}

#[tokio::test]
async fn invalid_config_is_an_error() {
    let (a, _b) = tokio::io::duplex(64);
    let cfg = MuxConfig {
        split_send_size: 0,
        ..MuxConfig::default()
    };
    assert!(matches!(
        Session::new(a, Role::Client, cfg),
        Err(MuxError::InvalidConfig(_))
    ));
}

/// rust-yamux can leave stream readers waiting after a graceful local close; the adapter
/// ends them: a read pending on either side finishes once the session is closed locally,
/// and writes fail instead of waiting.
#[tokio::test]
async fn local_close_ends_pending_reads_on_both_sides() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    let mut c = within("open", client.open_acked()).await.expect("open");
    let mut s = within("accept", server.accept()).await.expect("accept");
    let client_read = tokio::spawn(async move {
        let mut buf = [0u8; 16];
        let n = c.read(&mut buf).await;
        (n.map_err(|e| e.kind()), c)
    });
    let server_read = tokio::spawn(async move {
        let mut buf = [0u8; 16];
        s.read(&mut buf).await.map_err(|e| e.kind())
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    within("close", client.close()).await.expect("close");
    let (n, mut c) = within("client read ends", client_read).await.expect("task");
    // Ended: EOF, or yamux's own error when it still notices the close.
    assert!(!matches!(n, Ok(n) if n > 0), "closing side: {n:?}");
    let n = within("server read ends", server_read).await.expect("task");
    assert_eq!(n, Ok(0), "EOF on the peer");
    assert!(within("write after close", c.write_all(b"x"))
        .await
        .is_err());
}

/// A stream split into a read half and a write half (as the net/rpc client and server use
/// it) has two tasks waiting on it: after a graceful local close both must end, whichever
/// of them polled last. Regression: one shared "session ended" waiter kept only the last
/// poller's waker, so a reader pending behind a writer that had stalled on the send window
/// was never woken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_close_ends_a_split_streams_reader_and_stalled_writer() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    let c = within("open", client.open_acked()).await.expect("open");
    // The peer accepts but never reads: the writer below stalls on the send window.
    let _s = within("accept", server.accept()).await.expect("accept");
    let (mut rd, mut wr) = tokio::io::split(c);
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 16];
        rd.read(&mut buf).await.map_err(|e| e.kind())
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let writer = tokio::spawn(async move {
        let big = vec![0u8; 8 << 20];
        wr.write_all(&big).await.map_err(|e| e.kind())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !writer.is_finished(),
        "the writer should be stalled on the window"
    );
    within("close", client.close()).await.expect("close");
    let w = within("stalled writer ends", writer).await.expect("task");
    assert!(w.is_err(), "a write into a closed session fails: {w:?}");
    let r = within("pending reader ends", reader).await.expect("task");
    assert!(!matches!(r, Ok(n) if n > 0), "reader: {r:?}");
}

/// A read into a large uninitialised buffer zeroes (and offers yamux) at most
/// `READ_WINDOW` of it, not all of it: reading a message of n bytes into its full
/// reservation costs O(n), not O(n²).
#[tokio::test]
async fn a_read_into_a_large_buffer_initialises_only_a_window() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    let mut c = within("open", client.open()).await.expect("open");
    let mut s = within("accept", server.accept()).await.expect("accept");
    c.write_all(&[5u8; 1000]).await.expect("write");
    let mut storage = vec![std::mem::MaybeUninit::<u8>::uninit(); 8 << 20];
    let mut buf = tokio::io::ReadBuf::uninit(&mut storage);
    within(
        "read",
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut s).poll_read(cx, &mut buf)),
    )
    .await
    .expect("read");
    assert_eq!(buf.filled(), &[5u8; 1000][..]);
    assert!(
        buf.initialized().len() <= super::READ_WINDOW,
        "one read initialised {} bytes",
        buf.initialized().len()
    );
}

/// Streams opened together arrive in their order and are all ACKed when the call returns.
#[tokio::test]
async fn streams_opened_in_order_are_accepted_in_that_order() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    let [mut a, mut b, mut c] = within("open three", client.open_acked_in_order::<3>())
        .await
        .expect("open");
    for (i, s) in [&mut a, &mut b, &mut c].into_iter().enumerate() {
        s.write_all(&[i as u8]).await.expect("write");
    }
    for want in 0..3u8 {
        let mut s = within("accept", server.accept()).await.expect("accept");
        let mut got = [9u8];
        within("read", s.read_exact(&mut got)).await.expect("read");
        assert_eq!(got, [want], "accept order");
    }
}

/// A yamux frame header (version 0): type, flags, stream id, length.
fn frame_header(kind: u8, flags: u16, stream: u32, length: u32) -> [u8; 12] {
    let mut h = [0u8; 12];
    h[1] = kind;
    h[2..4].copy_from_slice(&flags.to_be_bytes());
    h[4..8].copy_from_slice(&stream.to_be_bytes());
    h[8..12].copy_from_slice(&length.to_be_bytes());
    h
}

/// A peer that writes a whole stream (SYN, data, FIN) and closes its socket at once, the
/// way a Go peer's process exits after its last write: everything it wrote must still be
/// read, then EOF, although our first write (the ACK) fails with EPIPE or ECONNRESET.
/// Found by `tests/mux_random.rs` (a seed lost a stream's last 6665 bytes when the Go
/// peer exited): a failed write ended the session before the rest of the socket was read.
#[tokio::test]
async fn a_peer_that_wrote_and_closed_is_read_to_the_end() {
    const DATA: usize = 100 * 1024;
    let (ours, mut theirs) = UnixStream::pair().expect("socket pair");
    let body: Vec<u8> = (0..DATA).map(|i| (i % 251) as u8).collect();
    let mut wire = Vec::new();
    // SYN as a window update (as Go sends it), data in two frames, FIN.
    wire.extend_from_slice(&frame_header(1, 0x1, 2, 0));
    for half in body.chunks(DATA / 2) {
        wire.extend_from_slice(&frame_header(0, 0, 2, half.len() as u32));
        wire.extend_from_slice(half);
    }
    wire.extend_from_slice(&frame_header(1, 0x4, 2, 0));
    theirs.write_all(&wire).await.expect("peer writes");
    drop(theirs);

    let session = Session::new(ours, Role::Client, MuxConfig::default()).expect("session");
    let mut stream = within("accept", session.accept())
        .await
        .expect("the peer's stream");
    let mut got = Vec::new();
    within("read to EOF", stream.read_to_end(&mut got))
        .await
        .expect("read");
    assert_eq!(got.len(), DATA, "bytes read before EOF");
    assert!(got == body, "content differs");
}

/// A stream shut down and dropped while the peer still writes beyond its window: the
/// peer's writes must complete (the stream lingers and discards, granting window) instead
/// of waiting forever for a window update that rust-yamux alone never sends.
#[tokio::test]
async fn a_dropped_shut_down_stream_does_not_block_the_peers_writer() {
    let (client, server) = pair(MuxConfig::default(), MuxConfig::default());
    let mut writer = within("open", client.open()).await.expect("open");
    writer.write_all(b"x").await.expect("first byte");
    let mut dropped = within("accept", server.accept()).await.expect("accept");
    dropped.shutdown().await.expect("FIN");
    drop(dropped);
    let big = vec![7u8; 1 << 20];
    within("write 1 MiB past the window", writer.write_all(&big))
        .await
        .expect("write");
    writer.shutdown().await.expect("FIN back");
    let mut rest = Vec::new();
    within("EOF", writer.read_to_end(&mut rest))
        .await
        .expect("read");
    assert!(rest.is_empty());
    // The lingering stream is let go of once the peer's FIN arrived.
    within("no stream left", async {
        while server
            .inner
            .shared
            .live_streams
            .load(std::sync::atomic::Ordering::Acquire)
            > 0
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// Reads the raw peer's socket until our EOF (the write shutdown a graceful close ends with).
async fn read_until_our_eof(theirs: &mut UnixStream) {
    let mut sink = Vec::new();
    within("our EOF", theirs.read_to_end(&mut sink))
        .await
        .expect("read our frames");
    // The GoAway(0) of a graceful close is the last frame.
    assert!(sink.len() >= 12, "no GoAway before EOF");
    assert_eq!(sink[sink.len() - 12..], frame_header(3, 0, 0, 0));
}

/// After a graceful close the peer may still be reading our last frames and acknowledging
/// them (a window update): that write must not fail. hashicorp/yamux ends its session on
/// a failed write and drops what it had not read yet (seen as a CI flake of
/// `mux_interop::close_flushes_queued_frames_and_go_ends_its_session`: Go's window update
/// met EPIPE with 69 KiB of our data still unread).
#[tokio::test]
async fn after_a_graceful_close_the_peer_can_still_write_until_its_eof() {
    let (ours, mut theirs) = UnixStream::pair().expect("socket pair");
    let session = Session::new(ours, Role::Client, MuxConfig::default()).expect("session");
    within("close", session.close())
        .await
        .expect("graceful close");
    read_until_our_eof(&mut theirs).await;
    // Well after `close` returned and the driver finished its work.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..3 {
        theirs
            .write_all(&frame_header(1, 0, 1, 65536))
            .await
            .expect("the peer's late window update is taken");
    }
}

/// The read side's linger is bounded by `close_timeout`: a peer that never ends its
/// session gets the socket closed after it.
#[tokio::test]
async fn the_read_linger_after_close_ends_at_close_timeout() {
    let (ours, mut theirs) = UnixStream::pair().expect("socket pair");
    let config = MuxConfig {
        close_timeout: Duration::from_millis(200),
        ..MuxConfig::default()
    };
    let session = Session::new(ours, Role::Client, config).expect("session");
    within("close", session.close())
        .await
        .expect("graceful close");
    read_until_our_eof(&mut theirs).await;
    let closed = within("socket closed after close_timeout", async {
        loop {
            if theirs.write_all(&frame_header(2, 0, 0, 0)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    closed.await;
}
