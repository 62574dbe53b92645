//! A unix socket that the reactor watches for input only.
//!
//! tokio registers a socket for readable *and* writable events. On a unix socket the kernel
//! signals "writable" to the sender's waiters every time the peer consumes a message
//! (`unix_write_space`), so a process asleep in `epoll_wait` for its next request is woken
//! for nothing once per message it sent, and the peer pays for that wake-up inside its
//! `recvfrom`. In a request/reply exchange that is one wasted wake-up per message on each
//! side (`perf` of a sequential dispatcher host: about a third of its kernel time).
//!
//! [`QuietUnixStream`] registers the socket for input only and writes without asking the
//! reactor. Only once a write finds the socket full does it register a duplicate descriptor
//! for writability; that registration stays while writes keep meeting a full socket (a bulk
//! transfer) and is dropped after [`CALM_WRITES`] writes in a row that went through at once.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// Writes in a row that must find room at once before the writable registration is dropped.
/// Registering costs two `epoll_ctl` calls; a bulk transfer meets a full socket every few
/// writes, so it keeps its registration, while request/reply traffic never creates one.
pub const CALM_WRITES: u32 = 64;

/// A connected unix socket registered with the reactor for reads only (module docs).
#[derive(Debug)]
pub struct QuietUnixStream {
    socket: AsyncFd<StdUnixStream>,
    /// A duplicate of the socket registered for writability, while writes meet a full
    /// socket (dropping it deregisters it).
    write_wait: Option<AsyncFd<StdUnixStream>>,
    /// Writes that went through at once since the socket was last full.
    calm_writes: u32,
}

impl QuietUnixStream {
    /// Takes over a connected tokio socket. Like tokio's own sockets, it must be created
    /// inside a tokio runtime with I/O enabled (it panics otherwise).
    pub fn new(stream: tokio::net::UnixStream) -> io::Result<Self> {
        let socket = stream.into_std()?;
        socket.set_nonblocking(true)?;
        Ok(QuietUnixStream {
            socket: register(socket, Interest::READABLE)?,
            write_wait: None,
            calm_writes: 0,
        })
    }

    /// Connects to the socket at `path`.
    pub async fn connect(path: impl AsRef<std::path::Path>) -> io::Result<Self> {
        QuietUnixStream::new(tokio::net::UnixStream::connect(path).await?)
    }

    /// Counts a write that went through at once; past [`CALM_WRITES`] in a row the writable
    /// registration goes.
    fn wrote_at_once(&mut self) {
        if self.write_wait.is_some() {
            self.calm_writes += 1;
            if self.calm_writes >= CALM_WRITES {
                self.write_wait = None;
            }
        }
    }
}

/// Registers an owned socket with the reactor for `interest`.
#[allow(unsafe_code)]
fn register(socket: StdUnixStream, interest: Interest) -> io::Result<AsyncFd<StdUnixStream>> {
    // SAFETY: `register_with_interest` needs `as_raw_fd()` of the inner value to be an open
    // descriptor that keeps referring to the same file description, and keeps being
    // returned, for as long as the `AsyncFd` owns it. The inner value is an owned
    // `std::os::unix::net::UnixStream`: it closes its descriptor only when dropped (which
    // `AsyncFd` does after deregistering), never replaces it, and this module never takes
    // `&mut` access to it or the inner value back out (no `get_mut`/`into_inner`).
    unsafe { AsyncFd::register_with_interest(socket, interest) }.map_err(|e| e.into())
}

impl AsyncRead for QuietUnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let mut guard = ready!(this.socket.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            let room = unfilled.len();
            match guard.try_io(|fd| fd.get_ref().read(unfilled)) {
                Ok(Ok(n)) => {
                    // A short read emptied the socket: forget the readiness now rather than
                    // learn it from an `EAGAIN` read (new data raises a new edge), as tokio's
                    // own sockets do.
                    if n > 0 && n < room {
                        guard.clear_ready();
                    }
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                // Readiness was stale: `try_io` cleared it; wait again.
                Err(_) => continue,
            }
        }
    }
}

impl AsyncWrite for QuietUnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            match this.socket.get_ref().write(data) {
                Ok(n) => {
                    this.wrote_at_once();
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            // Full: wait for room. The registration is edge-triggered, so the write is
            // retried after registering (room may have appeared in between).
            this.calm_writes = 0;
            let wait = match &mut this.write_wait {
                Some(w) => w,
                None => {
                    let dup = this.socket.get_ref().try_clone()?;
                    this.write_wait.insert(register(dup, Interest::WRITABLE)?)
                }
            };
            let mut guard = ready!(wait.poll_write_ready(cx))?;
            match guard.try_io(|fd| fd.get_ref().write(data)) {
                Ok(Ok(n)) => return Poll::Ready(Ok(n)),
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                // Still full: readiness cleared; wait again.
                Err(_) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.socket.get_ref().shutdown(Shutdown::Write) {
            // Already disconnected: nothing left to shut down.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            other => Poll::Ready(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Both directions carry data, EOF arrives after shutdown, and a writer that fills the
    /// socket waits (registered for writability) until the reader makes room, then drops
    /// the registration once writes flow freely again.
    #[tokio::test(flavor = "current_thread")]
    async fn carries_data_both_ways_and_waits_while_full() {
        let (a, b) = tokio::net::UnixStream::pair().expect("socket pair");
        let mut a = QuietUnixStream::new(a).expect("quiet a");
        let mut b = QuietUnixStream::new(b).expect("quiet b");

        a.write_all(b"ping").await.expect("write");
        let mut got = [0u8; 4];
        b.read_exact(&mut got).await.expect("read");
        assert_eq!(&got, b"ping");
        b.write_all(b"pong").await.expect("write back");
        a.read_exact(&mut got).await.expect("read back");
        assert_eq!(&got, b"pong");
        assert!(
            a.write_wait.is_none(),
            "no writable registration without a full socket"
        );

        // Far more than a unix socket buffers: the writer must wait for the reader.
        let total = 8 << 20;
        let payload: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
        let mut got = vec![0u8; total];
        let (wrote, read) = tokio::join!(a.write_all(&payload), b.read_exact(&mut got));
        wrote.expect("bulk write");
        read.expect("bulk read");
        assert!(got == payload, "bulk bytes arrive intact and in order");
        assert!(
            a.write_wait.is_some(),
            "a full socket registers for writability"
        );

        // The socket is empty now: writes go through at once, and within CALM_WRITES of
        // them (the bulk's last writes may already count) the registration goes.
        let mut calm = 0;
        while a.write_wait.is_some() {
            assert!(
                calm < CALM_WRITES,
                "still registered after {calm} calm writes"
            );
            a.write_all(b"x").await.expect("calm write");
            calm += 1;
        }
        let mut echoed = vec![0u8; calm as usize];
        b.read_exact(&mut echoed).await.expect("calm read");
        assert!(echoed.iter().all(|&c| c == b'x'));
        a.shutdown().await.expect("shutdown");
        assert_eq!(
            b.read(&mut got).await.expect("read at EOF"),
            0,
            "EOF after shutdown"
        );
    }

    /// A peer that goes away turns into EOF for reads and an error for writes.
    #[tokio::test(flavor = "current_thread")]
    async fn peer_gone_is_eof_then_write_error() {
        let (a, b) = tokio::net::UnixStream::pair().expect("socket pair");
        let mut a = QuietUnixStream::new(a).expect("quiet a");
        drop(b);
        let mut buf = [0u8; 8];
        assert_eq!(a.read(&mut buf).await.expect("read after close"), 0);
        let err = loop {
            match a.write(b"late").await {
                Ok(_) => continue,
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}
