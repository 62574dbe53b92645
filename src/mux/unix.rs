//! A unix socket that asks epoll for writability only while a write is waiting.
//!
//! Tokio registers every socket for readability *and* writability, edge-triggered. On a
//! connection that carries calls (request out, reply back) that wakes each side twice per
//! call: once when the peer has read the request (the send buffer drained, `EPOLLOUT`), with
//! nothing to do, and once when the reply arrives (`strace -f` of a sequential Entity call
//! shows an `EPOLLOUT`-only `epoll_wait` return on both sides). The first wake is a whole
//! sleep/wake cycle: on the 2-CPU benchmark VM 5–10 µs of CPU per call and side. Go's
//! netpoller registers the same way and pays the same.
//!
//! The trade-off, measured (BENCHMARKS.md, docs/benchmarks-history.md): on an idle VM whose
//! guest halts every idle vCPU, that spurious wake keeps the waiting vCPU awake for a reply
//! that follows within microseconds, so tiny calls (a net/rpc echo) are faster with it;
//! calls that do work see no difference in latency and less CPU without it, and on a busy
//! machine everything is faster without it. CPU spent for latency on an idle machine is not
//! what a plugin host should do by default.
//!
//! [`UnixSocket`] registers the socket for readability only and writes straight to it. Only
//! when the send buffer is full does it register a duplicate descriptor for writability
//! (epoll keys registrations by descriptor, so the duplicate is a registration of its own),
//! and drops it once a write has gone through: bulk transfers pay a `dup` and two `epoll_ctl`
//! per full send buffer (~200 KiB), calls pay nothing.

use std::{
    io::{self, Read, Write},
    os::unix::net::UnixStream as StdUnixStream,
    pin::Pin,
    task::{ready, Context, Poll},
};

use tokio::io::{
    unix::{AsyncFd, AsyncFdReadyGuard},
    AsyncRead, AsyncWrite, Interest, ReadBuf,
};

/// A connected unix stream socket for a [`Session`](super::Session) (or any tokio I/O use)
/// that is woken only by incoming data, and by free send space only while a write waits.
///
/// Reads and writes behave as [`tokio::net::UnixStream`]'s. Must be created inside a Tokio
/// runtime with I/O enabled.
#[derive(Debug)]
pub struct UnixSocket {
    /// The socket, registered for readability; all reads and the first try of every write.
    socket: AsyncFd<StdUnixStream>,
    /// A duplicate of the socket registered for writability, present while a write waits
    /// for send space.
    write_wait: Option<AsyncFd<StdUnixStream>>,
}

impl UnixSocket {
    /// Wraps a connected socket (switched to non-blocking mode here).
    pub fn new(socket: StdUnixStream) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket: register(socket, Interest::READABLE)?,
            write_wait: None,
        })
    }

    /// Takes over a Tokio socket (e.g. from `UnixStream::connect` or `UnixListener::accept`).
    pub fn from_tokio(socket: tokio::net::UnixStream) -> io::Result<Self> {
        Self::new(socket.into_std()?)
    }
}

/// Registers an owned socket with the runtime's reactor for `interest`.
#[allow(unsafe_code)]
fn register(socket: StdUnixStream, interest: Interest) -> io::Result<AsyncFd<StdUnixStream>> {
    // SAFETY: `register_with_interest` needs the descriptor to stay open, and to be the one
    // `as_raw_fd` returns, for as long as the `AsyncFd` lives. `StdUnixStream` owns its
    // descriptor (closed only when the stream is dropped, which the `AsyncFd` does after
    // deregistering) and always returns that same descriptor; nothing here hands out
    // `&mut StdUnixStream` (`AsyncFd::get_mut`) through which it could be replaced.
    unsafe { AsyncFd::register_with_interest(socket, interest) }.map_err(|e| e.into())
}

/// Whether a read or write that returned `n` of `asked` bytes left the socket drained (or
/// its send buffer full): then the next try would only say "would block", so the readiness
/// is cleared now and that syscall is saved, as tokio's own sockets do.
fn clear_if_short<T: std::os::fd::AsRawFd>(
    guard: &mut AsyncFdReadyGuard<'_, T>,
    n: usize,
    asked: usize,
) {
    if n > 0 && n < asked {
        guard.clear_ready();
    }
}

impl AsyncRead for UnixSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let mut guard = ready!(this.socket.poll_read_ready(cx))?;
            // Zeroes at most READ_WINDOW of the caller's spare room per read (a caller offering
            // a large reservation would otherwise pay for zeroing all of it every time).
            let unfilled = buf.initialize_unfilled_to(buf.remaining().min(super::READ_WINDOW));
            let asked = unfilled.len();
            match guard.try_io(|s| retry_interrupted(|| s.get_ref().read(unfilled))) {
                Ok(Ok(n)) => {
                    clear_if_short(&mut guard, n, asked);
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for UnixSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let wait = match &this.write_wait {
            Some(wait) => wait,
            None => match retry_interrupted(|| this.socket.get_ref().write(data)) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => this.write_wait.insert(
                    register(this.socket.get_ref().try_clone()?, Interest::WRITABLE)?,
                ),
                Err(e) => return Poll::Ready(Err(e)),
            },
        };
        loop {
            let mut guard = ready!(wait.poll_write_ready(cx))?;
            match guard.try_io(|s| retry_interrupted(|| s.get_ref().write(data))) {
                Ok(result) => {
                    // Written (or failed): stop listening for send space until the buffer
                    // fills again.
                    drop(guard);
                    this.write_wait = None;
                    return Poll::Ready(result);
                }
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.socket.get_ref().shutdown(std::net::Shutdown::Write))
    }
}

/// Repeats a socket call that a signal interrupted.
fn retry_interrupted<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Data both ways, a transfer far beyond the send buffer (writes wait for send space and
    /// drop the registration again), and EOF after shutdown.
    #[tokio::test(flavor = "current_thread")]
    async fn carries_data_both_ways_through_a_full_send_buffer() {
        let (a, b) = StdUnixStream::pair().expect("socket pair");
        let (mut a, mut b) = (UnixSocket::new(a).unwrap(), UnixSocket::new(b).unwrap());
        a.write_all(b"ping").await.unwrap();
        let mut got = [0u8; 4];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"ping");

        let big: Vec<u8> = (0..8 << 20).map(|i| (i % 251) as u8).collect();
        let expected = big.clone();
        let writer = tokio::spawn(async move {
            a.write_all(&big).await.unwrap();
            assert!(
                a.write_wait.is_none(),
                "the writability registration outlived the write"
            );
            a.shutdown().await.unwrap();
            a
        });
        let mut received = Vec::new();
        b.read_to_end(&mut received).await.unwrap();
        assert!(received == expected, "8 MiB arrived changed");
        let _a = writer.await.unwrap();
    }

    /// The thread's voluntary context switches (its sleeps) so far.
    fn sleeps_of_this_thread() -> u64 {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap()
    }

    /// How often the runtime thread sleeps over `rounds` rounds of: write 1000 bytes, then
    /// sleep 5 ms while another thread reads them. One sleep per round is the timer's; a
    /// socket registered for writability wakes the thread a second time when the peer reads.
    async fn sleeps_per_rounds<S: AsyncWrite + Unpin>(
        mut socket: S,
        peer: StdUnixStream,
        rounds: u64,
    ) -> u64 {
        let reader = std::thread::spawn(move || {
            let mut peer = peer;
            let mut buf = vec![0u8; 1000];
            for _ in 0..rounds {
                // The first byte says the round's data is there; the rest is read (the send
                // buffer drained) 1 ms later, while the runtime's thread sleeps on its timer.
                peer.read_exact(&mut buf[..1]).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
                peer.read_exact(&mut buf[1..]).unwrap();
            }
        });
        let before = sleeps_of_this_thread();
        for _ in 0..rounds {
            socket.write_all(&[7u8; 1000]).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let sleeps = sleeps_of_this_thread() - before;
        reader.join().unwrap();
        sleeps
    }

    /// The peer reading what was sent (the send buffer draining) does not wake the runtime's
    /// thread, where a Tokio socket's does: the point of this type.
    #[tokio::test(flavor = "current_thread")]
    async fn the_peer_reading_does_not_wake_the_thread() {
        const ROUNDS: u64 = 40;
        let (a, b) = StdUnixStream::pair().expect("socket pair");
        let ours = sleeps_per_rounds(UnixSocket::new(a).unwrap(), b, ROUNDS).await;
        let (a, b) = StdUnixStream::pair().expect("socket pair");
        a.set_nonblocking(true).unwrap();
        let tokio_socket = tokio::net::UnixStream::from_std(a).unwrap();
        let tokios = sleeps_per_rounds(tokio_socket, b, ROUNDS).await;
        eprintln!("sleeps over {ROUNDS} rounds: UnixSocket {ours}, tokio's socket {tokios}");
        assert!(
            ours + ROUNDS / 2 <= tokios,
            "{ours} sleeps with UnixSocket against {tokios} with tokio's socket over {ROUNDS} rounds"
        );
    }
}
