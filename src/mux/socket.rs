//! The socket as rust-yamux sees it: buffered reads, and writes that are flushed once per
//! driver pass instead of once per frame.
//!
//! rust-yamux 0.14.1 reads a frame as two reads (12-byte header, then body) straight from
//! its I/O object, and calls `poll_flush` after every frame it queues. On a raw socket that
//! is two `recvfrom` and one `sendto` per frame, however many frames are ready: with 64
//! concurrent net/rpc calls, every call still costs three syscalls on each side.
//!
//! [`BufferedSocket`] fixes both without touching yamux:
//! - reads go through a buffer, so one `recvfrom` picks up every frame that has arrived;
//! - writes are appended to a buffer and yamux's `poll_flush` only reports success; the
//!   driver calls [`FlushHandle::poll_flush`] once at the end of each pass over the
//!   connection, so every frame queued in that pass leaves in one `sendto`. The buffer is
//!   also written out before every read from the socket (so window updates leave during a
//!   long inbound burst, instead of once the burst is over), and when it is full (yamux
//!   waits while the socket is full), so memory stays bounded.
//!
//! The socket is shared by the yamux side ([`BufferedSocket`]) and the driver's
//! [`FlushHandle`] through a mutex. Both live in the driver task, so the lock is never
//! contended.

use std::{
    io,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What the yamux side and the driver share.
struct WriteState<S> {
    /// The socket (its read half is used by [`BufferedSocket`] only).
    socket: S,
    /// Bytes accepted from yamux and not yet written.
    buf: Vec<u8>,
    /// Bytes of `buf` already written.
    written: usize,
    /// Flush threshold and largest buffered amount.
    capacity: usize,
    /// The error of a failed deferred flush, reported to yamux at its next write or flush
    /// (which ends the connection).
    failed: Option<io::Error>,
    /// The peer closed its end (a write failed with EPIPE or ECONNRESET): writes are
    /// dropped from then on, while reads go on to the end of what the peer sent.
    peer_gone: bool,
    /// Frame boundaries of what yamux wrote, to see the GoAway it sends when it
    /// terminates the connection.
    scan: FrameScan,
}

/// Follows the frames yamux writes, to notice a GoAway with an error code.
///
/// rust-yamux 0.14.1 answers a peer's protocol violation (a window update beyond 2^32, a
/// stream beyond `max_num_streams`, data beyond a stream's window, a SYN for a stream that
/// exists) with GoAway(protocol error) and then goes on reading the connection, with the
/// offending frame dropped: the streams go on as if nothing happened, minus that frame.
/// hashicorp/yamux closes the session after such a GoAway; the driver does the same once
/// this scan has seen one (our own GoAway, on close, has code 0).
#[derive(Debug, Default)]
struct FrameScan {
    /// Header bytes of the frame being written.
    header: [u8; 12],
    /// How many of them have been seen.
    have: usize,
    /// Body bytes of the current data frame still to come.
    body_left: usize,
    /// The code of the first GoAway with a non-zero code.
    error_goaway: Option<u32>,
}

impl FrameScan {
    /// Bytes of a yamux frame header.
    const HEADER: usize = 12;
    /// Frame types with a body (data) and the GoAway type.
    const DATA: u8 = 0;
    const GO_AWAY: u8 = 3;

    /// Feeds bytes yamux wrote, in order.
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.body_left > 0 {
                let k = self.body_left.min(data.len());
                self.body_left -= k;
                data = &data[k..];
                continue;
            }
            let k = (Self::HEADER - self.have).min(data.len());
            self.header[self.have..self.have + k].copy_from_slice(&data[..k]);
            self.have += k;
            data = &data[k..];
            if self.have == Self::HEADER {
                self.have = 0;
                let [_, kind, _, _, _, _, _, _, l0, l1, l2, l3] = self.header;
                let length = u32::from_be_bytes([l0, l1, l2, l3]);
                match kind {
                    Self::DATA => self.body_left = length as usize,
                    Self::GO_AWAY if length != 0 && self.error_goaway.is_none() => {
                        self.error_goaway = Some(length);
                    }
                    _ => {}
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> WriteState<S> {
    /// Writes buffered bytes until the buffer is empty (`Ready`) or the socket is full.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buf.len() && !self.peer_gone {
            match Pin::new(&mut self.socket).poll_write(cx, &self.buf[self.written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(e)) if peer_closed(&e) => self.note_peer_gone(&e),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.buf.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Drains the buffer and flushes the socket.
    fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_drain(cx))?;
        if self.peer_gone {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    /// Stops writing for good: the peer closed its end of the socket.
    ///
    /// A peer that writes its last frames and exits (a Go plugin after its last reply; a Go
    /// peer's FIN and then its process end) leaves them in our receive queue, and a unix
    /// socket still delivers them after the close. Failing the connection at our next write
    /// (an ACK, a window update) would drop them unread, and a stream's last bytes would
    /// turn into an early EOF. So writes are discarded from here on and yamux reads on
    /// until the socket's EOF (or ECONNRESET after the queued data), which ends the
    /// session. hashicorp/yamux reads in a goroutine of its own, so its reader has mostly
    /// taken such data already when its writer fails.
    fn note_peer_gone(&mut self, e: &io::Error) {
        tracing::debug!(error = %e, "yamux peer closed its socket; reading what it sent");
        self.peer_gone = true;
        self.buf.clear();
        self.written = 0;
    }

    /// The stored flush error, as a fresh `io::Error` of the same kind and text.
    fn failure(&self) -> Option<io::Error> {
        self.failed
            .as_ref()
            .map(|e| io::Error::new(e.kind(), e.to_string()))
    }
}

/// Whether a write error means the peer closed (or reset) its end of the connection.
fn peer_closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// Locks `m`, ignoring poisoning (the state stays consistent: every update is a plain
/// field assignment after the I/O call returned).
fn lock<S>(m: &Mutex<WriteState<S>>) -> MutexGuard<'_, WriteState<S>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The socket handed to `yamux::Connection` (futures I/O traits).
pub(super) struct BufferedSocket<S> {
    /// Socket and write buffer, shared with the driver's [`FlushHandle`].
    shared: Arc<Mutex<WriteState<S>>>,
    /// Bytes read from the socket and not yet taken by yamux: `rbuf[rpos..rlen]`.
    rbuf: Box<[u8]>,
    /// Start of the unread bytes.
    rpos: usize,
    /// End of the unread bytes.
    rlen: usize,
}

/// The driver's way to write out what yamux queued during one pass.
pub(super) trait FlushHandle: Send + Sync {
    /// Writes all buffered bytes and flushes the socket; `Pending` (with the waker
    /// registered) while the socket is full. An error is also kept for yamux, whose next
    /// write or flush then fails and ends the connection.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// The code of the GoAway with an error code yamux has written, if it has: yamux has
    /// then terminated the connection (see `FrameScan`).
    fn error_goaway(&self) -> Option<u32>;

    /// Reads and discards what the peer still sends; `Ready` at its EOF or an error.
    ///
    /// Used after a graceful close: our end is shut down for writing, but the peer may
    /// still be reading the last frames and acknowledging them. hashicorp/yamux treats a
    /// failed write (a window update meeting a closed socket: EPIPE) as fatal and drops
    /// whatever it had not read yet, so the read side stays open until the peer ends its
    /// session (its EOF), bounded by the caller.
    fn poll_discard_until_eof(&self, cx: &mut Context<'_>) -> Poll<()>;
}

struct Handle<S>(Arc<Mutex<WriteState<S>>>);

impl<S: AsyncRead + AsyncWrite + Unpin + Send> FlushHandle for Handle<S> {
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = lock(&self.0);
        if st.failed.is_some() {
            return Poll::Ready(Ok(()));
        }
        match st.poll_flush_all(cx) {
            Poll::Ready(Err(e)) => {
                let out = io::Error::new(e.kind(), e.to_string());
                st.failed = Some(e);
                Poll::Ready(Err(out))
            }
            other => other,
        }
    }

    fn error_goaway(&self) -> Option<u32> {
        lock(&self.0).scan.error_goaway
    }

    fn poll_discard_until_eof(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = lock(&self.0);
        let mut scratch = [0u8; 8192];
        // Bounded per call, so a peer that keeps sending cannot hold the task.
        for _ in 0..64 {
            let mut rb = ReadBuf::new(&mut scratch);
            match Pin::new(&mut st.socket).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) if rb.filled().is_empty() => return Poll::Ready(()),
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<S> BufferedSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Wraps `socket` with a read buffer of `read_capacity` bytes and a write buffer that is
    /// written out when it holds `write_capacity` bytes (or at the driver's flush).
    pub(super) fn new(
        socket: S,
        read_capacity: usize,
        write_capacity: usize,
    ) -> (Self, Arc<dyn FlushHandle>) {
        let shared = Arc::new(Mutex::new(WriteState {
            socket,
            buf: Vec::with_capacity(write_capacity),
            written: 0,
            capacity: write_capacity,
            failed: None,
            peer_gone: false,
            scan: FrameScan::default(),
        }));
        let handle: Arc<dyn FlushHandle> = Arc::new(Handle(Arc::clone(&shared)));
        let me = BufferedSocket {
            shared,
            rbuf: vec![0; read_capacity.max(1)].into_boxed_slice(),
            rpos: 0,
            rlen: 0,
        };
        (me, handle)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures::AsyncRead for BufferedSocket<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.rpos == this.rlen {
            let mut st = lock(&this.shared);
            // Before going to the socket for more input, send what is buffered: during a
            // long burst of inbound frames the driver's pass does not end, and the window
            // updates (and replies) queued meanwhile must not wait for the burst to end,
            // or a bulk sender stalls on its window. Pending (socket full) is fine here:
            // the waker is registered and the driver's flush finishes the job.
            if st.failed.is_none() && !st.buf.is_empty() {
                if let Poll::Ready(Err(e)) = st.poll_drain(cx) {
                    st.failed = Some(e);
                }
            }
            if out.len() >= this.rbuf.len() {
                // A large read (a big frame body) goes straight into the caller's buffer.
                let mut rb = ReadBuf::new(out);
                std::task::ready!(Pin::new(&mut st.socket).poll_read(cx, &mut rb))?;
                return Poll::Ready(Ok(rb.filled().len()));
            }
            let mut rb = ReadBuf::new(&mut this.rbuf);
            std::task::ready!(Pin::new(&mut st.socket).poll_read(cx, &mut rb))?;
            this.rpos = 0;
            this.rlen = rb.filled().len();
            if this.rlen == 0 {
                return Poll::Ready(Ok(0));
            }
        }
        let n = out.len().min(this.rlen - this.rpos);
        out[..n].copy_from_slice(&this.rbuf[this.rpos..this.rpos + n]);
        this.rpos += n;
        Poll::Ready(Ok(n))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures::AsyncWrite for BufferedSocket<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut st = lock(&self.shared);
        if let Some(e) = st.failure() {
            return Poll::Ready(Err(e));
        }
        if st.buf.len() + data.len() > st.capacity {
            // Full: write the buffer out first (yamux waits while the socket is full).
            std::task::ready!(st.poll_drain(cx))?;
            if data.len() >= st.capacity && !st.peer_gone {
                match std::task::ready!(Pin::new(&mut st.socket).poll_write(cx, data)) {
                    Ok(n) => {
                        st.scan.feed(&data[..n.min(data.len())]);
                        return Poll::Ready(Ok(n));
                    }
                    Err(e) if peer_closed(&e) => st.note_peer_gone(&e),
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
        }
        if st.peer_gone {
            // Nobody reads it; the frames still pass the scan (a GoAway we send).
            st.scan.feed(data);
            return Poll::Ready(Ok(data.len()));
        }
        st.buf.extend_from_slice(data);
        st.scan.feed(data);
        Poll::Ready(Ok(data.len()))
    }

    /// Deferred: the driver flushes once per pass ([`FlushHandle`]).
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match lock(&self.shared).failure() {
            Some(e) => Poll::Ready(Err(e)),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Writes everything buffered, then shuts the socket down for writing.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = lock(&self.shared);
        if let Some(e) = st.failure() {
            return Poll::Ready(Err(e));
        }
        std::task::ready!(st.poll_flush_all(cx))?;
        if st.peer_gone {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut st.socket).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{AsyncReadExt, AsyncWriteExt};
    use std::future::poll_fn;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    #[tokio::test]
    async fn writes_wait_for_the_flush_handle_and_leave_together() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let (mut s, flush) = BufferedSocket::new(a, 1024, 1024);
        s.write_all(b"one").await.expect("write");
        s.write_all(b"two").await.expect("write");
        s.flush().await.expect("yamux-side flush");
        // Nothing reached the peer yet: the peer's read is not ready.
        let mut got = [0u8; 6];
        assert!(
            futures::FutureExt::now_or_never(b.read_exact(&mut got[..1])).is_none(),
            "bytes left before the driver flushed"
        );
        poll_fn(|cx| flush.poll_flush(cx)).await.expect("flush");
        b.read_exact(&mut got).await.expect("read");
        assert_eq!(&got, b"onetwo");
    }

    #[tokio::test]
    async fn a_full_buffer_is_written_out_and_big_writes_bypass_it() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let (mut s, flush) = BufferedSocket::new(a, 16, 8);
        s.write_all(b"12345").await.expect("write");
        // 5 + 5 > 8: the first five go out before the next are buffered.
        s.write_all(b"67890").await.expect("write");
        let mut got = [0u8; 5];
        b.read_exact(&mut got).await.expect("read");
        assert_eq!(&got, b"12345");
        let big = vec![7u8; 100];
        s.write_all(&big).await.expect("big write");
        poll_fn(|cx| flush.poll_flush(cx)).await.expect("flush");
        let mut rest = vec![0u8; 105];
        b.read_exact(&mut rest).await.expect("read rest");
        assert_eq!(&rest[..5], b"67890");
        assert!(rest[5..].iter().all(|&x| x == 7));
    }

    #[tokio::test]
    async fn reads_are_buffered_small_and_direct_large() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let (mut s, _flush) = BufferedSocket::new(a, 8, 8);
        let data: Vec<u8> = (0..=255u8).collect();
        b.write_all(&data).await.expect("peer write");
        drop(b);
        let mut got = Vec::new();
        // Header-sized reads (through the buffer), then one large read (direct).
        let mut hdr = [0u8; 3];
        for _ in 0..4 {
            s.read_exact(&mut hdr).await.expect("small read");
            got.extend_from_slice(&hdr);
        }
        s.read_to_end(&mut got).await.expect("rest");
        assert_eq!(got, data);
    }

    #[tokio::test]
    async fn buffered_writes_leave_before_the_next_socket_read() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let (mut s, _flush) = BufferedSocket::new(a, 4, 64);
        b.write_all(b"abcd").await.expect("peer write");
        let mut got = [0u8; 2];
        s.read_exact(&mut got)
            .await
            .expect("read (fills the buffer)");
        // Queued while the read buffer still holds "cd": no socket read, nothing sent.
        s.write_all(b"window-update").await.expect("write");
        s.read_exact(&mut got).await.expect("read from the buffer");
        assert_eq!(&got, b"cd");
        let mut sent = [0u8; 13];
        assert!(futures::FutureExt::now_or_never(b.read_exact(&mut sent[..1])).is_none());
        // The next read goes to the socket: the write goes out first, without a flush.
        let read = tokio::spawn(async move {
            let mut more = [0u8; 1];
            s.read_exact(&mut more).await.map(|_| more[0])
        });
        b.read_exact(&mut sent).await.expect("peer read");
        assert_eq!(&sent, b"window-update");
        b.write_all(b"z").await.expect("peer write");
        assert_eq!(read.await.expect("task").expect("read"), b'z');
    }

    #[tokio::test]
    async fn an_error_goaway_is_noticed_across_split_writes_and_data_bodies() {
        let (a, _b) = tokio::io::duplex(1 << 20);
        let (mut s, flush) = BufferedSocket::new(a, 64, 1 << 16);
        // A data frame whose body looks like a GoAway header, then our own GoAway(0).
        let fake = [0u8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let mut frames = vec![0u8, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 12];
        frames.extend_from_slice(&fake);
        frames.extend_from_slice(&[0u8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        s.write_all(&frames).await.expect("write");
        assert_eq!(flush.error_goaway(), None);
        // GoAway(protocol error), its header split over writes.
        s.write_all(&[0u8, 3, 0, 0, 0]).await.expect("write");
        assert_eq!(flush.error_goaway(), None);
        s.write_all(&[0u8, 0, 0, 0, 0, 0, 1]).await.expect("write");
        assert_eq!(flush.error_goaway(), Some(1));
    }

    #[tokio::test]
    async fn close_writes_the_buffer_then_shuts_down() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let (mut s, _flush) = BufferedSocket::new(a, 64, 64);
        s.write_all(b"bye").await.expect("write");
        s.close().await.expect("close");
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.expect("read to EOF");
        assert_eq!(got, b"bye");
    }

    #[tokio::test]
    async fn a_failed_flush_fails_the_next_yamux_write_and_flush() {
        let (mut s, flush) = BufferedSocket::new(FailingWrites, 64, 64);
        s.write_all(b"lost").await.expect("buffered write");
        let e = poll_fn(|cx| flush.poll_flush(cx))
            .await
            .expect_err("write fails");
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(
            s.flush().await.expect_err("flush").kind(),
            io::ErrorKind::PermissionDenied
        );
        assert_eq!(
            s.write(b"x").await.expect_err("write").kind(),
            io::ErrorKind::PermissionDenied
        );
    }

    #[tokio::test]
    async fn after_the_peer_closed_writes_are_dropped_and_its_bytes_still_read() {
        let (a, mut b) = tokio::io::duplex(64);
        b.write_all(b"last words").await.expect("peer writes");
        drop(b);
        let (mut s, flush) = BufferedSocket::new(a, 64, 64);
        s.write_all(b"nobody reads this")
            .await
            .expect("buffered write");
        poll_fn(|cx| flush.poll_flush(cx))
            .await
            .expect("a closed peer is no write error");
        s.write_all(b"more").await.expect("dropped write");
        s.flush().await.expect("flush");
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.expect("read to EOF");
        assert_eq!(got, b"last words");
        s.close().await.expect("close");
    }

    /// A socket whose writes fail with an error other than a closed peer.
    struct FailingWrites;

    impl tokio::io::AsyncRead for FailingWrites {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            _buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Poll::Pending
        }
    }

    impl tokio::io::AsyncWrite for FailingWrites {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            _buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Err(io::ErrorKind::PermissionDenied.into()))
        }

        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
}
