//! go-plugin's `MuxBroker`: extra yamux streams identified by a number, so either end of a
//! plugin connection can offer a net/rpc service to the other (go-plugin v1.4.3
//! `mux_broker.go`, spec §4.4).
//!
//! The offering side takes an id ([`MuxBroker::next_id`]), tells the peer about it (for
//! example as the reply to `Dispenser.Dispense`, or as an argument of a call) and
//! [`accept`](MuxBroker::accept)s. The other side [`dial`](MuxBroker::dial)s that id: it opens a
//! stream, writes the id as 4 bytes little-endian and waits for the same 4 bytes back (the ack).
//! Every stream the peer opens on the session goes through the broker's accept loop
//! ([`MuxBroker::run`]), which reads the id and hands the stream to whoever accepts it.
//!
//! Same behaviour as Go, except where Go can stall or leak:
//! - ids are read from new streams concurrently (Go reads them one after the other, so one
//!   silent stream blocks every later one), each within [`BrokerConfig::accept_timeout`];
//! - a stream for an id nobody accepts within the timeout is dropped (closed), as in Go;
//! - a dial ends within [`BrokerConfig::dial_timeout`] (Go waits for the ack forever).
//!
//! ```no_run
//! # async fn demo(broker: tilores_plugin::plugin::MuxBroker) -> Result<(), Box<dyn std::error::Error>> {
//! use tilores_plugin::rpc::Server;
//!
//! // Offer a service to the peer: it calls `Plugin.Hello` on the stream it dials by `id`.
//! let server = Server::new();
//! server.register_fn("Plugin", "Hello", |name: String| async move {
//!     Ok::<_, String>(format!("hello {name}"))
//! })?;
//! let id = broker.next_id();
//! let offer = tokio::spawn({
//!     let broker = broker.clone();
//!     async move { broker.accept_and_serve(id, server).await }
//! });
//! // ... send `id` to the peer, which dials it ...
//! offer.await??;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use crate::mux::{MuxError, Session, Stream};
use crate::rpc;

/// go-plugin's fixed accept timeout: how long [`MuxBroker::accept`] waits for the peer's
/// stream, and how long a stream the peer dialed waits for someone to accept it.
pub const DEFAULT_ACCEPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Default [`BrokerConfig::dial_timeout`]: 5 s, go-plugin's accept timeout, the longest a
/// well-behaved peer takes to answer (its acceptor waits that long for the stream).
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of a [`MuxBroker`]. The default is go-plugin's, plus a bound on dials.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BrokerConfig {
    /// How long [`MuxBroker::accept`] waits for the peer to dial the id, and how long a
    /// stream the peer dialed waits for someone to accept it. Default
    /// [`DEFAULT_ACCEPT_TIMEOUT`] (go-plugin's fixed 5 s).
    pub accept_timeout: Duration,
    /// How long [`MuxBroker::dial`] may take in all: opening the stream, sending the id and
    /// receiving the peer's 4-byte ack; past it the dial fails with
    /// [`BrokerError::DialTimeout`] and the stream is closed. go-plugin waits for the ack
    /// without limit (a peer that never answers hangs the dialer, e.g. `Dispense`). Default
    /// [`DEFAULT_DIAL_TIMEOUT`].
    pub dial_timeout: Duration,
    /// net/rpc limits of the clients [`MuxBroker::dial_client`] makes (and of the host's
    /// control client). [`MuxBroker::accept_and_serve`] serves with the given server's own.
    pub rpc: rpc::Config,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            accept_timeout: DEFAULT_ACCEPT_TIMEOUT,
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            rpc: rpc::Config::default(),
        }
    }
}

/// Why a broker operation failed. Display texts are go-plugin's where it has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// Nobody dialed the id within the accept timeout (go-plugin's text).
    #[error("timeout waiting for accept")]
    AcceptTimeout {
        /// The id that was waited for.
        id: u32,
    },
    /// The peer did not answer a dial (stream opened, id sent, 4-byte ack back) within
    /// [`BrokerConfig::dial_timeout`]; the stream was closed.
    #[error("broker: no ack for stream id {id} within {timeout:?}")]
    DialTimeout {
        /// The id that was dialed.
        id: u32,
        /// The limit that passed.
        timeout: Duration,
    },
    /// The peer answered the dial with another id (go-plugin's text).
    #[error("bad ack: {got} (expected {expected})")]
    BadAck {
        /// What the peer sent back.
        got: u32,
        /// The id that was dialed.
        expected: u32,
    },
    /// The session could not open a stream.
    #[error("broker: opening a stream: {0}")]
    Open(#[from] MuxError),
    /// Writing or reading the 4-byte id failed (the peer closed the stream or the session).
    #[error("broker: exchanging the stream id {id}: {source}")]
    Io {
        /// The id being exchanged.
        id: u32,
        /// The I/O error (EOF when the peer closed the stream without an ack).
        source: std::io::Error,
    },
    /// Another caller is already accepting this id.
    #[error("broker: id {0} is already being accepted")]
    AlreadyAccepting(u32),
    /// The session ended while waiting.
    #[error("broker: the connection is closed")]
    SessionClosed,
    /// Serving net/rpc on the accepted stream ended with an error.
    #[error(transparent)]
    Rpc(#[from] rpc::RpcError),
}

/// One id's rendezvous: whichever of stream and acceptor arrives first waits for the other.
enum Slot {
    /// An acceptor waits for the stream.
    Acceptor(oneshot::Sender<Stream>),
    /// A stream waits for an acceptor (dropped, i.e. closed, on timeout).
    Stream(Stream, u64),
}

struct Inner {
    session: Session,
    next_id: AtomicU32,
    slots: Mutex<HashMap<u32, Slot>>,
    /// Distinguishes parked streams, so a timeout only drops the one it was armed for.
    generation: AtomicU32,
    config: BrokerConfig,
}

/// go-plugin's `MuxBroker` for one connection. Cheap to clone; all clones share ids and
/// pending streams.
#[derive(Clone)]
pub struct MuxBroker {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MuxBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MuxBroker")
            .field("next_id", &self.inner.next_id.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl MuxBroker {
    /// A broker on `session`. Nothing is accepted until [`MuxBroker::run`] runs.
    pub fn new(session: Session, config: BrokerConfig) -> MuxBroker {
        MuxBroker {
            inner: Arc::new(Inner {
                session,
                next_id: AtomicU32::new(0),
                slots: Mutex::new(HashMap::new()),
                generation: AtomicU32::new(0),
                config,
            }),
        }
    }

    /// The session the broker works on.
    pub fn session(&self) -> &Session {
        &self.inner.session
    }

    /// Reserves the next id: 1, 2, … per connection (Go pre-increments a counter from 0).
    pub fn next_id(&self) -> u32 {
        self.inner
            .next_id
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1)
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Slot>> {
        self.inner.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits (at most the accept timeout) for the peer to dial `id`, answers with the ack and
    /// returns the stream.
    pub async fn accept(&self, id: u32) -> Result<Stream, BrokerError> {
        let waiting = {
            let mut slots = self.slots();
            match slots.remove(&id) {
                Some(Slot::Stream(stream, _)) => Ok(stream),
                Some(Slot::Acceptor(tx)) if !tx.is_closed() => {
                    slots.insert(id, Slot::Acceptor(tx));
                    return Err(BrokerError::AlreadyAccepting(id));
                }
                // Nobody, or an acceptor that was cancelled.
                Some(Slot::Acceptor(_)) | None => {
                    let (tx, rx) = oneshot::channel();
                    slots.insert(id, Slot::Acceptor(tx));
                    Err(rx)
                }
            }
        };
        let mut stream = match waiting {
            Ok(stream) => stream,
            Err(rx) => {
                // If this future is dropped while waiting, the slot is left behind with a
                // closed sender; `accept` and `route` treat such a slot as empty.
                let closed = self.inner.session.clone();
                let result = tokio::select! {
                    r = tokio::time::timeout(self.inner.config.accept_timeout, rx) => match r {
                        Ok(Ok(stream)) => Ok(stream),
                        Ok(Err(_)) => Err(BrokerError::SessionClosed),
                        Err(_) => Err(BrokerError::AcceptTimeout { id }),
                    },
                    _ = closed.closed() => Err(BrokerError::SessionClosed),
                };
                if result.is_err() {
                    let mut slots = self.slots();
                    // Only our own (now closed) slot: a later accept of the same id may
                    // already have registered.
                    if matches!(slots.get(&id), Some(Slot::Acceptor(tx)) if tx.is_closed()) {
                        slots.remove(&id);
                    }
                }
                result?
            }
        };
        stream
            .write_all(&id.to_le_bytes())
            .await
            .map_err(|source| BrokerError::Io { id, source })?;
        Ok(stream)
    }

    /// go-plugin's `AcceptAndServe`: accepts `id` and serves `server` on the stream until the
    /// peer closes it. Register the methods under the service name `Plugin` if a Go peer is to
    /// call them through go-plugin's conventions. Unlike Go, which logs only a failed accept,
    /// this also returns the error the serving ended with (an I/O error when the session
    /// goes away while the stream is open, as at the host's kill).
    pub async fn accept_and_serve(&self, id: u32, server: rpc::Server) -> Result<(), BrokerError> {
        let stream = self.accept(id).await?;
        server.serve(stream).await?;
        Ok(())
    }

    /// Opens a stream to the peer's `id` and checks its ack, all within
    /// [`BrokerConfig::dial_timeout`] (Go waits for the ack without limit), else fails with
    /// [`BrokerError::DialTimeout`].
    pub async fn dial(&self, id: u32) -> Result<Stream, BrokerError> {
        let timeout = self.inner.config.dial_timeout;
        tokio::time::timeout(timeout, self.dial_unbounded(id))
            .await
            .unwrap_or(Err(BrokerError::DialTimeout { id, timeout }))
    }

    /// [`MuxBroker::dial`] without the time limit (dropping the future drops the stream).
    async fn dial_unbounded(&self, id: u32) -> Result<Stream, BrokerError> {
        let mut stream = self.inner.session.open().await?;
        stream
            .write_all(&id.to_le_bytes())
            .await
            .map_err(|source| BrokerError::Io { id, source })?;
        let mut ack = [0u8; 4];
        stream
            .read_exact(&mut ack)
            .await
            .map_err(|source| BrokerError::Io { id, source })?;
        let got = u32::from_le_bytes(ack);
        if got != id {
            close_stream(stream).await;
            return Err(BrokerError::BadAck { got, expected: id });
        }
        Ok(stream)
    }

    /// [`dial`](Self::dial) and wrap the stream in a net/rpc client (fresh gob state).
    pub async fn dial_client(&self, id: u32) -> Result<rpc::Client, BrokerError> {
        let stream = self.dial(id).await?;
        Ok(rpc::Client::with_config(
            stream,
            self.inner.config.rpc.clone(),
        ))
    }

    /// The accept loop (go-plugin's `Run`): takes every stream the peer opens on the session,
    /// reads its 4-byte id and hands it to the matching [`accept`](Self::accept). Returns when
    /// the session ends. The plugin and host layers run it for you; call it yourself only for
    /// a session you built.
    pub async fn run(&self) {
        while let Some(stream) = self.inner.session.accept().await {
            let broker = self.clone();
            tokio::spawn(async move { broker.route(stream).await });
        }
        // Wake acceptors: the session is gone.
        self.slots().clear();
    }

    /// Reads one inbound stream's id and parks or delivers it.
    async fn route(&self, mut stream: Stream) {
        let timeout = self.inner.config.accept_timeout;
        let mut id = [0u8; 4];
        match tokio::time::timeout(timeout, stream.read_exact(&mut id)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::debug!(stream = stream.id(), error = %e, "broker: stream closed before its id");
                return;
            }
            Err(_) => {
                tracing::warn!(
                    stream = stream.id(),
                    "broker: no id within the accept timeout; closing the stream"
                );
                return;
            }
        }
        let id = u32::from_le_bytes(id);
        let generation = u64::from(self.inner.generation.fetch_add(1, Ordering::Relaxed));
        {
            let mut slots = self.slots();
            match slots.remove(&id) {
                Some(Slot::Acceptor(tx)) if !tx.is_closed() => {
                    if let Err(stream) = tx.send(stream) {
                        tracing::debug!(id, stream = stream.id(), "broker: acceptor gave up");
                    }
                    return;
                }
                // A cancelled acceptor: park the stream for the next one.
                Some(Slot::Acceptor(_)) => {
                    slots.insert(id, Slot::Stream(stream, generation));
                }
                Some(Slot::Stream(old, old_generation)) => {
                    // Go keeps the first stream and drops later ones for the same id.
                    tracing::warn!(
                        id,
                        stream = stream.id(),
                        "broker: duplicate id; closing the later stream"
                    );
                    slots.insert(id, Slot::Stream(old, old_generation));
                    return;
                }
                None => {
                    slots.insert(id, Slot::Stream(stream, generation));
                }
            }
        }
        tokio::time::sleep(timeout).await;
        let expired = {
            let mut slots = self.slots();
            if matches!(slots.get(&id), Some(Slot::Stream(_, g)) if *g == generation) {
                slots.remove(&id)
            } else {
                None
            }
        };
        if let Some(Slot::Stream(stream, _)) = expired {
            tracing::warn!(id, "broker: nobody accepted the stream in time; closed");
            close_stream(stream).await;
        }
    }
}

/// Closes a stream the broker gives up on with FIN (as Go's `Close`), not the RST a drop
/// would send; bounded, since the peer may not be reading.
async fn close_stream(mut stream: Stream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mux::{MuxConfig, Role};

    /// Two brokers on the two ends of one session, with their accept loops running.
    fn brokers(timeout: Duration) -> (MuxBroker, MuxBroker) {
        let (a, b) = tokio::net::UnixStream::pair().expect("socket pair");
        let config = BrokerConfig {
            accept_timeout: timeout,
            ..BrokerConfig::default()
        };
        let host = Session::new(a, Role::Client, MuxConfig::default()).expect("session");
        let plugin = Session::new(b, Role::Server, MuxConfig::default()).expect("session");
        let (host, plugin) = (
            MuxBroker::new(host, config.clone()),
            MuxBroker::new(plugin, config),
        );
        for b in [&host, &plugin] {
            let b = b.clone();
            tokio::spawn(async move { b.run().await });
        }
        (host, plugin)
    }

    async fn echo_once(mut s: Stream) {
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await.expect("read");
        s.write_all(&buf).await.expect("write");
        s.shutdown().await.expect("shutdown");
    }

    async fn ping(mut s: Stream) -> Vec<u8> {
        s.write_all(b"hello").await.expect("write");
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.expect("read");
        buf
    }

    #[tokio::test]
    async fn dial_by_id_from_each_side() {
        let (host, plugin) = brokers(DEFAULT_ACCEPT_TIMEOUT);
        // The plugin offers (as for Dispense), the host dials.
        let id = plugin.next_id();
        assert_eq!(id, 1);
        let offer = tokio::spawn({
            let plugin = plugin.clone();
            async move { echo_once(plugin.accept(id).await.expect("accept")).await }
        });
        assert_eq!(ping(host.dial(id).await.expect("dial")).await, b"hello");
        offer.await.expect("offer");
        // The host offers (a callback service), the plugin dials; the stream may arrive
        // before the acceptor.
        let id = host.next_id();
        let dialed = tokio::spawn({
            let plugin = plugin.clone();
            async move { ping(plugin.dial(id).await.expect("dial")).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        echo_once(host.accept(id).await.expect("accept")).await;
        assert_eq!(dialed.await.expect("dial task"), b"hello");
    }

    #[tokio::test]
    async fn a_dial_whose_ack_never_comes_times_out_and_the_session_stays_usable() {
        // The peer takes the stream and reads the id but never acks (nor closes): before
        // the dial timeout this hung the dialer (e.g. the host's Dispense) forever.
        let (a, b) = tokio::net::UnixStream::pair().expect("socket pair");
        let host = Session::new(a, Role::Client, MuxConfig::default()).expect("session");
        let peer = Session::new(b, Role::Server, MuxConfig::default()).expect("session");
        let config = BrokerConfig {
            dial_timeout: Duration::from_millis(300),
            ..BrokerConfig::default()
        };
        let host = MuxBroker::new(host, config);
        let hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Some(mut s) = peer.accept().await {
                let mut id = [0u8; 4];
                s.read_exact(&mut id).await.expect("id");
                if u32::from_le_bytes(id) == 2 {
                    // A well-behaved answer for id 2.
                    s.write_all(&id).await.expect("ack");
                }
                held.push(s);
            }
        });
        let start = tokio::time::Instant::now();
        let e = tokio::time::timeout(Duration::from_secs(5), host.dial(1))
            .await
            .expect("bounded")
            .expect_err("no ack");
        assert!(matches!(e, BrokerError::DialTimeout { id: 1, .. }), "{e:?}");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(2),
            "{took:?}"
        );
        // The session is fine: a dial the peer answers still works.
        tokio::time::timeout(Duration::from_secs(5), host.dial(2))
            .await
            .expect("bounded")
            .expect("acked dial");
        hold.abort();
    }

    #[tokio::test]
    async fn accept_times_out_and_a_cancelled_accept_leaves_no_trace() {
        let (host, plugin) = brokers(Duration::from_millis(200));
        let id = plugin.next_id();
        let e = plugin.accept(id).await.expect_err("nobody dials");
        assert!(matches!(e, BrokerError::AcceptTimeout { id: 1 }));
        assert_eq!(e.to_string(), "timeout waiting for accept");

        // An accept abandoned by its caller does not block the next one.
        let id = plugin.next_id();
        let abandoned = tokio::time::timeout(Duration::from_millis(20), plugin.accept(id)).await;
        assert!(abandoned.is_err());
        let dialed = tokio::spawn({
            let host = host.clone();
            async move { ping(host.dial(id).await.expect("dial")).await }
        });
        echo_once(
            plugin
                .accept(id)
                .await
                .expect("accept after a cancelled one"),
        )
        .await;
        assert_eq!(dialed.await.expect("dial task"), b"hello");
    }
}
