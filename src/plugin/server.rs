//! Provider side: go-plugin v1.4.3's `Serve` for net/rpc plugins.
//!
//! [`serve`] does what a Go plugin's `plugin.Serve` does, in Go's order (spec §3.4): cookie
//! check (go-plugin's message, exit status 1), version negotiation, hclog JSON logging on the
//! real stderr, a listener in a private directory, the handshake line on stdout, SIGINT
//! ignored, the process's stdout/stderr redirected into the host's stdio streams, then every
//! host connection served until `Control.Quit` (or SIGTERM, which Go does not handle).
//!
//! [`PluginServer`] is the connection part alone (no process-wide effects), for serving on a
//! socket of your own or in tests.
//!
//! ```no_run
//! use tilores_plugin::plugin::{serve, HandshakeConfig, PluginSet, ServeConfig};
//! use tilores_plugin::rpc::Server;
//!
//! #[tokio::main]
//! async fn main() {
//!     let plugins = PluginSet::new().plugin("greeter", |_broker| {
//!         let server = Server::new();
//!         server.register_fn("Plugin", "Greet", |_: tilores_plugin::gob::Interface| async {
//!             Ok::<_, String>("Hello!".to_string())
//!         })?;
//!         Ok(server)
//!     });
//!     let handshake = HandshakeConfig {
//!         protocol_version: 1,
//!         magic_cookie_key: "BASIC_PLUGIN".into(),
//!         magic_cookie_value: "hello".into(),
//!     };
//!     if let Err(e) = serve(ServeConfig::new(handshake, plugins)).await {
//!         eprintln!("{e}");
//!         std::process::exit(1);
//!     }
//! }
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::UnixListener;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::broker::{BrokerConfig, MuxBroker};
use super::handshake::{format_line, FormatError, HandshakeConfig, Protocol};
use super::listener::{ListenerConfig, ListenerError, PluginListener};
use super::negotiate::{check_cookie_or_exit, negotiate_version_from_env};
use crate::gob::Empty;
use crate::mux::{MuxConfig, Role, Session, Stream};
use crate::rpc::{self, RegisterError};

/// Builds the net/rpc server of one dispensed plugin. Called for every `Dispense` (as go-plugin
/// calls `Plugin.Server`); register the methods under the service name `Plugin`. The broker
/// is the connection's, for offering or dialing further streams. An `Err` text is sent to the
/// host as the `Dispense` error.
pub type PluginFactory =
    Arc<dyn Fn(&MuxBroker) -> Result<rpc::Server, FactoryError> + Send + Sync + 'static>;

/// What a [`PluginFactory`] may fail with (any error; its text goes to the host).
pub type FactoryError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The plugins a provider offers, by name (go-plugin's `PluginSet`).
#[derive(Clone, Default)]
pub struct PluginSet {
    plugins: HashMap<String, PluginFactory>,
}

impl fmt::Debug for PluginSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.plugins.keys().collect();
        names.sort();
        f.debug_struct("PluginSet")
            .field("plugins", &names)
            .finish()
    }
}

impl PluginSet {
    /// No plugins.
    pub fn new() -> Self {
        PluginSet::default()
    }

    /// Adds plugin `name`, served by the servers `factory` builds.
    pub fn plugin<F>(mut self, name: impl Into<String>, factory: F) -> Self
    where
        F: Fn(&MuxBroker) -> Result<rpc::Server, FactoryError> + Send + Sync + 'static,
    {
        self.plugins.insert(name.into(), Arc::new(factory));
        self
    }

    /// The plugin names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.plugins.keys().map(String::as_str)
    }
}

/// When a provider process stops serving (besides `Control.Quit`, which always ends it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExitPolicy {
    /// Stop once the process that started the plugin has exited and no host is connected
    /// (checked on every disconnect and, while no host is connected, every 250 ms). A plugin
    /// whose host died never lingers, and reattaching still works while the host lives; a
    /// host that exits without `Kill` counts as gone (use [`ExitPolicy::QuitOnly`] to
    /// reattach from a restarted host).
    /// The default.
    #[default]
    HostGone,
    /// Stop when the last connection that opened its streams has closed (probe connections,
    /// which open none, do not count). No reattach after the host disconnects.
    LastConnection,
    /// Only `Control.Quit` stops the plugin (go-plugin's behaviour; an orphaned plugin keeps
    /// running).
    QuitOnly,
}

/// Environment variable that overrides the default [`ExitPolicy`] of [`ServeConfig::new`]:
/// `host-gone`, `last-connection` or `quit-only` (e.g. `quit-only` to reattach to a plugin
/// from a restarted host, as go-plugin allows).
pub const ENV_EXIT_POLICY: &str = "TILORES_PLUGIN_EXIT_POLICY";

impl ExitPolicy {
    /// The policy named by [`ENV_EXIT_POLICY`], or the default when unset or unknown (an
    /// unknown value is logged at warn).
    pub fn from_env() -> Self {
        match std::env::var(ENV_EXIT_POLICY).as_deref() {
            Ok("host-gone") | Ok("") | Err(_) => ExitPolicy::HostGone,
            Ok("last-connection") => ExitPolicy::LastConnection,
            Ok("quit-only") => ExitPolicy::QuitOnly,
            Ok(other) => {
                tracing::warn!(value = other, "unknown {ENV_EXIT_POLICY}; using host-gone");
                ExitPolicy::HostGone
            }
        }
    }
}

/// Why [`PluginServer::run`] or [`serve`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeEnd {
    /// The host called `Control.Quit`.
    Quit,
    /// The [`ExitPolicy`] found the host gone.
    HostGone,
    /// [`serve`] received SIGTERM: it stopped serving as on `Control.Quit` and removed its
    /// socket and directory.
    Terminated,
}

/// The connection part of a provider: serves go-plugin host connections (control stream with
/// `Control` and `Dispenser`, stdio streams, broker). No process-wide effects.
#[derive(Clone)]
pub struct PluginServer {
    inner: Arc<ServerInner>,
}

struct ServerInner {
    plugins: PluginSet,
    mux: MuxConfig,
    broker: BrokerConfig,
    /// [`ServeConfig::streams_timeout`].
    streams_timeout: Duration,
    /// [`ServeConfig::max_pending_dispenses`].
    max_pending_dispenses: usize,
    /// Permits for [`ServeConfig::max_connections`] connections served at once.
    connections: Arc<Semaphore>,
    quit: CancellationToken,
    /// Connections that opened their three streams and are still open.
    live: AtomicUsize,
    /// Whether any connection ever opened its streams (for [`ExitPolicy::LastConnection`]).
    ever_connected: std::sync::atomic::AtomicBool,
    /// Set on every disconnect.
    disconnected: Notify,
    stdio: Option<Arc<StdioTargets>>,
    /// TLS around every connection (AutoMTLS or [`ServeConfig::tls`]).
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl fmt::Debug for PluginServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginServer")
            .field("plugins", &self.inner.plugins)
            .field("live_connections", &self.live_connections())
            .field("quit", &self.inner.quit.is_cancelled())
            .finish()
    }
}

impl PluginServer {
    /// A server for `plugins` with the default connection settings of [`ServeConfig`].
    pub fn new(plugins: PluginSet) -> Self {
        Self::build(
            Limits::default(),
            plugins,
            MuxConfig::default(),
            BrokerConfig::default(),
            None,
            #[cfg(feature = "tls")]
            None,
        )
    }

    /// A server with the connection settings of `config` (its plugins, `mux`, `broker`,
    /// [`ServeConfig::streams_timeout`], [`ServeConfig::max_connections`],
    /// [`ServeConfig::max_pending_dispenses`] and, with the `tls` feature, `ServeConfig::tls`
    /// for [`run`](Self::run)); the process-level fields (listener, stdio, logging, exit
    /// policy, `PLUGIN_CLIENT_CERT`) are not used.
    pub fn with_config(config: &ServeConfig) -> Self {
        Self::build(
            Limits::of(config),
            config.plugins.clone(),
            config.mux.clone(),
            config.broker.clone(),
            None,
            #[cfg(feature = "tls")]
            config.tls.clone(),
        )
    }

    fn build(
        limits: Limits,
        plugins: PluginSet,
        mux: MuxConfig,
        broker: BrokerConfig,
        stdio: Option<Arc<StdioTargets>>,
        #[cfg(feature = "tls")] tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Self {
        PluginServer {
            inner: Arc::new(ServerInner {
                plugins,
                mux,
                broker,
                streams_timeout: limits.streams_timeout,
                max_pending_dispenses: limits.max_pending_dispenses.max(1),
                connections: Arc::new(Semaphore::new(limits.max_connections.max(1))),
                quit: CancellationToken::new(),
                live: AtomicUsize::new(0),
                ever_connected: std::sync::atomic::AtomicBool::new(false),
                disconnected: Notify::new(),
                stdio,
                #[cfg(feature = "tls")]
                tls: tls.map(tokio_rustls::TlsAcceptor::from),
            }),
        }
    }

    /// Cancelled when a host calls `Control.Quit` (or [`PluginServer::quit`] is called).
    pub fn quit_token(&self) -> CancellationToken {
        self.inner.quit.clone()
    }

    /// Stops serving as `Control.Quit` does.
    pub fn quit(&self) {
        self.inner.quit.cancel();
    }

    /// Connections that opened their streams and are still open.
    pub fn live_connections(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }

    /// Serves one host connection until the host closes it, or until quit (then the session
    /// is flushed and closed after the `Quit` reply). A connection that ends before opening
    /// its three streams (go-plugin's reattach probe) is ignored silently; one that has not
    /// opened them within [`ServeConfig::streams_timeout`] is closed.
    pub async fn serve_connection<S>(&self, socket: S)
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let inner = &self.inner;
        let session = match Session::new(socket, Role::Server, inner.mux.clone()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "plugin: cannot start the yamux session");
                return;
            }
        };
        // Control, stdout, stderr: by order of arrival, as go-plugin does.
        let streams = tokio::time::timeout(inner.streams_timeout, async {
            Some((
                session.accept().await?,
                session.accept().await?,
                session.accept().await?,
            ))
        })
        .await;
        let (control, stdout, stderr) = match streams {
            Ok(Some(streams)) => streams,
            Ok(None) => return,
            Err(_) => {
                tracing::debug!(
                    timeout = ?inner.streams_timeout,
                    "plugin: a connection opened no control streams in time; closing it"
                );
                let _ = tokio::time::timeout(SESSION_CLOSE_TIMEOUT, session.close()).await;
                return;
            }
        };
        let broker = MuxBroker::new(session.clone(), inner.broker.clone());
        let server = match self.control_server(&broker) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "plugin: cannot register the control services");
                return;
            }
        };
        inner.live.fetch_add(1, Ordering::AcqRel);
        inner.ever_connected.store(true, Ordering::Release);
        if let Some(stdio) = &inner.stdio {
            stdio.stdout.add(&session, stdout);
            stdio.stderr.add(&session, stderr);
        } else {
            // Nothing is redirected: keep the streams open (the host reads them to EOF).
            tokio::spawn(hold_until_closed(session.clone(), [stdout, stderr]));
        }
        let broker_task = tokio::spawn({
            let broker = broker.clone();
            async move { broker.run().await }
        });
        let stopper = tokio::spawn({
            let quit = inner.quit.clone();
            let server = server.clone();
            async move {
                quit.cancelled().await;
                server.stop();
            }
        });
        if let Err(e) = server.serve(control).await {
            tracing::debug!(error = %e, "plugin: control stream ended with an error");
        }
        stopper.abort();
        if inner.quit.is_cancelled() {
            // The Quit reply is queued: flush it and end the session.
            let _ = tokio::time::timeout(SESSION_CLOSE_TIMEOUT, session.close()).await;
        } else {
            session.closed().await;
        }
        broker_task.abort();
        inner.live.fetch_sub(1, Ordering::AcqRel);
        inner.disconnected.notify_waiters();
    }

    /// Serves an accepted socket, inside TLS when the server has a TLS configuration (Go wraps
    /// the listener: `tls.NewListener`). A failed handshake (a plaintext host, a host with
    /// another certificate) ends only that connection, logged at warn.
    async fn serve_accepted(&self, socket: tokio::net::UnixStream) {
        // Woken by incoming data only (see `mux::UnixSocket`): one wake per call, not two.
        let socket = match crate::mux::UnixSocket::from_tokio(socket) {
            Ok(socket) => socket,
            Err(e) => {
                tracing::warn!(error = %e, "plugin: registering an accepted connection failed; connection closed");
                return;
            }
        };
        #[cfg(feature = "tls")]
        if let Some(acceptor) = &self.inner.tls {
            let accepted =
                tokio::time::timeout(super::tls::ACCEPT_TIMEOUT, acceptor.accept(socket)).await;
            let error = match accepted {
                Ok(Ok(stream)) => {
                    self.serve_connection(stream).await;
                    return;
                }
                Ok(Err(e)) => super::tls::TlsError::from_handshake(e),
                Err(_) => super::tls::TlsError::Timeout(super::tls::ACCEPT_TIMEOUT),
            };
            tracing::warn!(error = %error, "plugin: TLS handshake with a host failed; connection closed");
            return;
        }
        self.serve_connection(socket).await;
    }

    /// `Control.Ping`, `Control.Quit` and `Dispenser.Dispense` for one connection.
    fn control_server(&self, broker: &MuxBroker) -> Result<rpc::Server, RegisterError> {
        // Dispensed plugins waiting for the host to dial them, on this connection.
        let pending = Arc::new(Semaphore::new(self.inner.max_pending_dispenses));
        let server = rpc::Server::new();
        server.register_fn("Control", "Ping", |_: bool| async {
            Ok::<_, String>(Empty)
        })?;
        let quit = self.inner.quit.clone();
        server.register_fn("Control", "Quit", move |_: bool| {
            quit.cancel();
            async { Ok::<_, String>(Empty) }
        })?;
        let this = self.clone();
        let broker = broker.clone();
        server.register_fn("Dispenser", "Dispense", move |name: String| {
            let this = this.clone();
            let broker = broker.clone();
            let pending = pending.clone();
            async move { this.dispense(&broker, &pending, name) }
        })?;
        Ok(server)
    }

    /// go-plugin's `dispenseServer.Dispense`, with at most
    /// [`ServeConfig::max_pending_dispenses`] dispensed plugins of a connection waiting to
    /// be dialed.
    fn dispense(
        &self,
        broker: &MuxBroker,
        pending: &Arc<Semaphore>,
        name: String,
    ) -> Result<u32, String> {
        let factory = self
            .inner
            .plugins
            .plugins
            .get(&name)
            .ok_or_else(|| format!("unknown plugin type: {name}"))?;
        let Ok(permit) = pending.clone().try_acquire_owned() else {
            return Err(format!(
                "plugin: {} dispensed plugins are waiting to be dialed; dial them first",
                self.inner.max_pending_dispenses
            ));
        };
        let server = factory(broker).map_err(|e| e.to_string())?;
        let id = broker.next_id();
        let broker = broker.clone();
        tokio::spawn(async move {
            // As in Go, only a failed accept is an error; the served stream ends with the
            // session, which at the host's kill is an I/O error rather than a clean EOF.
            let accepted = broker.accept(id).await;
            drop(permit);
            let stream = match accepted {
                Ok(stream) => stream,
                Err(e) => {
                    tracing::error!("go-plugin: plugin dispense error: {name}: {e}");
                    return;
                }
            };
            if let Err(e) = server.serve(stream).await {
                tracing::debug!(plugin = %name, error = %e, "dispensed plugin connection ended");
            }
        });
        Ok(id)
    }

    /// Accepts host connections on `listener` (each served concurrently, at most
    /// [`ServeConfig::max_connections`] at once: beyond that further connections wait in
    /// the listen backlog) until quit or until `policy` says the host is gone; then waits up
    /// to 2 s for the connections to flush.
    pub async fn run(&self, listener: &UnixListener, policy: ExitPolicy) -> ServeEnd {
        let inner = &self.inner;
        let parent = std::os::unix::process::parent_id();
        let mut connections = JoinSet::new();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        // After a connected stretch, one check and then every 250 ms again (not a burst).
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let end = loop {
            let disconnected = inner.disconnected.notified();
            tokio::select! {
                _ = inner.quit.cancelled() => break ServeEnd::Quit,
                (accepted, permit) = accept_permitted(listener, &inner.connections) => match accepted {
                    Ok((socket, _)) => {
                        let this = self.clone();
                        connections.spawn(async move {
                            this.serve_accepted(socket).await;
                            drop(permit);
                        });
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "plugin: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                _ = disconnected => {}
                // Only an unconnected `HostGone` provider polls its parent: a connected one
                // cannot stop (its disconnect is a check of its own), and the poll would wake
                // an idle plugin 4 times a second (~400 µs of CPU per second, measured).
                _ = tick.tick(), if policy == ExitPolicy::HostGone && self.live_connections() == 0 => {}
                Some(_) = connections.join_next() => {}
            }
            let live = self.live_connections();
            let gone = match policy {
                ExitPolicy::QuitOnly => false,
                ExitPolicy::LastConnection => {
                    inner.ever_connected.load(Ordering::Acquire) && live == 0
                }
                ExitPolicy::HostGone => live == 0 && std::os::unix::process::parent_id() != parent,
            };
            if gone {
                tracing::debug!(?policy, "plugin: host gone, exiting");
                break ServeEnd::HostGone;
            }
        };
        inner.quit.cancel();
        let _ = tokio::time::timeout(CONNECTIONS_FLUSH_TIMEOUT, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        end
    }
}

/// Waits for a connection permit, then accepts. Cancel-safe (tokio's `accept` is; a permit
/// taken by a cancelled attempt goes back).
async fn accept_permitted(
    listener: &UnixListener,
    permits: &Arc<Semaphore>,
) -> (
    std::io::Result<(tokio::net::UnixStream, tokio::net::unix::SocketAddr)>,
    Option<OwnedSemaphorePermit>,
) {
    // The semaphore is never closed; should it be, connections are no longer limited.
    let permit = permits.clone().acquire_owned().await.ok();
    (listener.accept().await, permit)
}

/// How long a provider flushes and closes a session after `Control.Quit` (or when closing a
/// connection that opened no control streams in time).
pub(crate) const SESSION_CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long [`PluginServer::run`] waits for its connections to end after quit (their last
/// replies being written) before it returns anyway.
pub(crate) const CONNECTIONS_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// Default [`ServeConfig::streams_timeout`]: 10 s, as the host's
/// [`DEFAULT_CONNECT_TIMEOUT`](super::client::DEFAULT_CONNECT_TIMEOUT) for the same streams.
pub const DEFAULT_STREAMS_TIMEOUT: Duration = Duration::from_secs(10);

/// Default [`ServeConfig::max_connections`]: 64. A host holds one connection (plus a
/// short-lived probe when it reattaches); 64 leaves room for several hosts sharing a
/// reattachable plugin while bounding what a flood of connections can take (each costs
/// about 75 KiB while open).
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;

/// Default [`ServeConfig::max_pending_dispenses`]: 64 per connection. A host dials a
/// dispensed plugin at once (go-plugin's `Dispense` does both); a host that dispenses
/// without dialing held a plugin server and a task per call for the broker's accept timeout
/// (100,000 such calls: 243 MiB).
pub const DEFAULT_MAX_PENDING_DISPENSES: usize = 64;

/// The connection limits of a [`PluginServer`].
struct Limits {
    streams_timeout: Duration,
    max_connections: usize,
    max_pending_dispenses: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            streams_timeout: DEFAULT_STREAMS_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_pending_dispenses: DEFAULT_MAX_PENDING_DISPENSES,
        }
    }
}

impl Limits {
    fn of(config: &ServeConfig) -> Self {
        Limits {
            streams_timeout: config.streams_timeout,
            max_connections: config.max_connections,
            max_pending_dispenses: config.max_pending_dispenses,
        }
    }
}

/// Keeps stdio streams alive (unused) until the session ends.
async fn hold_until_closed(session: Session, streams: [Stream; 2]) {
    session.closed().await;
    drop(streams);
}

/// The host streams that receive the redirected stdout / stderr: the newest connection first,
/// older ones as fallback when a write fails.
struct StdioTargets {
    stdout: StdioTarget,
    stderr: StdioTarget,
}

#[derive(Default)]
struct StdioTarget {
    /// Each stream with its session, so streams of ended connections can be dropped.
    streams: Mutex<VecDeque<(Session, Stream)>>,
    added: Notify,
}

impl StdioTarget {
    fn add(&self, session: &Session, stream: Stream) {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams.retain(|(s, _)| !s.is_closed());
        streams.push_front((session.clone(), stream));
        drop(streams);
        self.added.notify_one();
    }

    fn take(&self) -> Option<(Session, Stream)> {
        self.streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }

    fn put_back(&self, target: (Session, Stream)) {
        self.streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_front(target);
    }

    /// Copies `pipe` (the read end of the redirected fd) to the current stream. Like go-plugin
    /// there is no buffering beyond one read: with no host connected the pipe fills and
    /// writers block.
    async fn relay(&self, mut pipe: tokio::net::unix::pipe::Receiver) {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = match pipe.read(&mut buf).await {
                Ok(0) => return,
                Ok(n) => n,
                Err(e) => {
                    tracing::debug!(error = %e, "plugin: reading the stdio pipe failed");
                    return;
                }
            };
            loop {
                let added = self.added.notified();
                let Some((session, mut stream)) = self.take() else {
                    added.await;
                    continue;
                };
                // A chunk a failed write may have partly delivered goes whole to the next
                // connection: some bytes may arrive twice, none are lost.
                if stream.write_all(&buf[..n]).await.is_ok() {
                    self.put_back((session, stream));
                    break;
                }
            }
        }
    }
}

/// Process-level provider configuration (go-plugin `ServeConfig`). [`ServeConfig::new`] gives
/// go-plugin's behaviour plus [`ExitPolicy::HostGone`] (or what [`ENV_EXIT_POLICY`] says).
#[derive(Debug)]
#[non_exhaustive]
pub struct ServeConfig {
    /// Cookie and app protocol version, shared with the host.
    pub handshake: HandshakeConfig,
    /// App protocol versions this plugin supports (negotiated against
    /// `PLUGIN_PROTOCOL_VERSIONS`); empty → `[handshake.protocol_version]`.
    pub versions: Vec<u32>,
    /// The plugins offered.
    pub plugins: PluginSet,
    /// Listener location (default: go-plugin's environment variables).
    pub listener: ListenerConfig,
    /// Carry the process's stdout/stderr (fd 1 and 2, so `println!`, `eprintln!` and child
    /// processes) to the host's stdio streams after the handshake, as Go does with
    /// `os.Stdout`/`os.Stderr`. Log lines and panic messages still go to the real stderr.
    pub redirect_stdio: bool,
    /// Install a global `tracing` subscriber writing hclog JSON to the real stderr at this
    /// level and above (go-plugin's default logger logs at trace). `None`: keep your own.
    pub log_level: Option<tracing::Level>,
    /// When to stop besides `Control.Quit`.
    pub exit_policy: ExitPolicy,
    /// yamux settings (keep the default). Its `max_num_streams` bounds the streams one
    /// connection may hold.
    pub mux: MuxConfig,
    /// Broker settings.
    pub broker: BrokerConfig,
    /// How long a host connection may take to open its control, stdout and stderr streams
    /// before it is closed. Default [`DEFAULT_STREAMS_TIMEOUT`]; go-plugin waits without
    /// limit (so a silent connection is held forever).
    pub streams_timeout: Duration,
    /// Most host connections served at once; further ones wait in the listen backlog until
    /// one ends. Default [`DEFAULT_MAX_CONNECTIONS`]; go-plugin has no limit. `0` counts as 1.
    /// The calls of each dispensed stream are limited by the plugin's
    /// [`rpc::Config::max_in_flight`].
    pub max_connections: usize,
    /// Most plugins dispensed on one connection and not yet dialed by the host (each waits
    /// up to [`BrokerConfig::accept_timeout`]); a `Dispense` beyond it fails with an error
    /// reply. Default [`DEFAULT_MAX_PENDING_DISPENSES`]; go-plugin has no limit. `0` counts
    /// as 1.
    pub max_pending_dispenses: usize,
    /// go-plugin's `TLSProvider`: TLS of your own around every connection. It takes
    /// precedence over AutoMTLS (`PLUGIN_CLIENT_CERT`), as in Go, and no certificate is sent
    /// in the handshake line. `None` (default): AutoMTLS when the host asks for it, else
    /// plaintext.
    #[cfg(feature = "tls")]
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl ServeConfig {
    /// go-plugin's defaults for `handshake` and `plugins`.
    pub fn new(handshake: HandshakeConfig, plugins: PluginSet) -> Self {
        ServeConfig {
            handshake,
            versions: Vec::new(),
            plugins,
            listener: ListenerConfig::from_env(),
            redirect_stdio: true,
            log_level: Some(tracing::Level::TRACE),
            exit_policy: ExitPolicy::from_env(),
            mux: MuxConfig::default(),
            broker: BrokerConfig::default(),
            streams_timeout: DEFAULT_STREAMS_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_pending_dispenses: DEFAULT_MAX_PENDING_DISPENSES,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// Why [`serve`] could not serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// No protocol versions configured.
    #[error("plugin serve: no protocol versions configured")]
    NoVersions,
    /// The listener could not be created.
    #[error(transparent)]
    Listener(#[from] ListenerError),
    /// The handshake line could not be formed (socket path with `|` or a newline).
    #[error("plugin serve: {0}")]
    Handshake(#[from] FormatError),
    /// Writing the handshake line or redirecting stdio failed.
    #[error("plugin serve: {0}")]
    Io(#[from] std::io::Error),
    /// AutoMTLS could not be set up (e.g. `PLUGIN_CLIENT_CERT` is not a PEM certificate).
    #[cfg(feature = "tls")]
    #[error("plugin serve: {0}")]
    Tls(#[from] super::tls::TlsError),
    /// The host asked for AutoMTLS (`PLUGIN_CLIENT_CERT` is set) but this build has no TLS
    /// (cargo feature `tls`).
    #[cfg(not(feature = "tls"))]
    #[error("plugin serve: the host asked for AutoMTLS (PLUGIN_CLIENT_CERT) but this plugin was built without the `tls` feature")]
    TlsUnsupported,
}

/// The original stdout and stderr, kept open for the process's life once redirected (as Go
/// keeps the real files). Logs and panic messages use duplicates of their own.
static ORIGINAL_STDIO: OnceLock<(OwnedFd, OwnedFd)> = OnceLock::new();

/// Serves plugins as a go-plugin v1.4.3 plugin process (see the module docs). Returns when
/// the host called `Control.Quit`, the exit policy found the host gone, or on SIGTERM; return
/// from `main` then. A wrong or missing magic cookie prints go-plugin's message and exits
/// with status 1.
///
/// SIGTERM: a Go plugin has no handler, so it dies of the signal at once and leaves its
/// socket file behind. Here SIGTERM ends serving like `Control.Quit` (running calls get
/// 2 s to reply), the private socket directory is removed, and
/// `serve` returns [`ServeEnd::Terminated`] (a `main` that then returns exits with status 0).
///
/// Must run inside a multi-threaded or current-thread Tokio runtime, once per process.
pub async fn serve(config: ServeConfig) -> Result<ServeEnd, ServeError> {
    check_cookie_or_exit(&config.handshake);
    let versions = if config.versions.is_empty() {
        vec![config.handshake.protocol_version]
    } else {
        config.versions.clone()
    };
    let negotiation = negotiate_version_from_env(&versions).ok_or(ServeError::NoVersions)?;

    let original_stderr = std::io::stderr().as_fd().try_clone_to_owned()?;
    let original_stdout = std::io::stdout().as_fd().try_clone_to_owned()?;
    if let Some(level) = config.log_level {
        // Keeps a subscriber the application installed itself.
        let _ = tracing::subscriber::set_global_default(super::hclog::hclog_subscriber(level));
    }

    // Everything the stdio redirection needs (pipes, the relay thread) is made before the
    // handshake line, as Go makes its pipes first: a plugin out of file descriptors then
    // fails its start with this error (the host reports the exit and the stderr line)
    // instead of exiting after the line or serving with nobody reading its stdout/stderr.
    let stdio = if config.redirect_stdio {
        Some(PreparedStdio::prepare(&original_stderr)?)
    } else {
        None
    };
    // go-plugin `Serve`: a TLSProvider wins; otherwise PLUGIN_CLIENT_CERT turns AutoMTLS on.
    let client_cert = std::env::var(super::env::ENV_CLIENT_CERT).unwrap_or_default();
    #[cfg(feature = "tls")]
    let (tls, server_cert) = match config.tls.clone() {
        Some(tls) => (Some(tls), None),
        None if !client_cert.is_empty() => {
            tracing::info!("configuring server automatic mTLS");
            let (tls, field) = super::tls::auto_server(&client_cert)?;
            (Some(tls), Some(field))
        }
        None => (None, None),
    };
    #[cfg(not(feature = "tls"))]
    let server_cert: Option<String> = if client_cert.is_empty() {
        None
    } else {
        return Err(ServeError::TlsUnsupported);
    };
    let listener = PluginListener::bind_with(&config.listener)?;
    let addr = listener.addr();
    tracing::debug!(network = addr.network(), address = %addr, "plugin address");
    let line = format_line(
        negotiation.version,
        &addr,
        Protocol::NetRpc,
        server_cert.as_deref(),
    )?;
    {
        let mut out = std::io::stdout().lock();
        out.write_all(line.as_bytes())?;
        out.flush()?;
    }
    if let Err(e) = super::signals::ignore_interrupts() {
        tracing::warn!(error = %e, "plugin: cannot ignore SIGINT");
    }

    let stdio = match stdio {
        Some(prepared) => Some(prepared.apply(original_stdout, original_stderr)?),
        None => None,
    };
    let server = PluginServer::build(
        Limits::of(&config),
        config.plugins,
        config.mux,
        config.broker,
        stdio,
        #[cfg(feature = "tls")]
        tls,
    );
    let end = run_until_terminated(&server, listener.listener(), config.exit_policy).await;
    if let Err(e) = listener.close() {
        tracing::debug!(error = %e, "plugin: removing the socket failed");
    }
    std::io::stdout().flush()?;
    Ok(end)
}

/// [`PluginServer::run`], ended like `Control.Quit` by SIGTERM: the connections get
/// 2 s to write their last replies, then [`serve`] removes the socket
/// directory and returns [`ServeEnd::Terminated`].
async fn run_until_terminated(
    server: &PluginServer,
    listener: &UnixListener,
    policy: ExitPolicy,
) -> ServeEnd {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => Some(term),
        Err(e) => {
            tracing::warn!(error = %e, "plugin: cannot handle SIGTERM");
            None
        }
    };
    let run = server.run(listener, policy);
    tokio::pin!(run);
    let mut terminated = false;
    loop {
        tokio::select! {
            end = &mut run => {
                return if terminated { ServeEnd::Terminated } else { end };
            }
            Some(()) = async { term.as_mut()?.recv().await }, if !terminated => {
                tracing::debug!("plugin: SIGTERM received, exiting");
                terminated = true;
                server.quit();
            }
        }
    }
}

/// The stdio redirection, ready but not applied: the pipes, their relay thread (already
/// reading), and the panic hook's copy of the original stderr. Dropped unapplied, the relay
/// thread ends.
struct PreparedStdio {
    out_write: OwnedFd,
    err_write: OwnedFd,
    panic_out: std::fs::File,
    targets: Arc<StdioTargets>,
}

impl PreparedStdio {
    /// Makes the pipes, the relay's runtime (registering the pipes' read ends with it) and
    /// its thread: every file descriptor and thread the redirection takes.
    fn prepare(original_stderr: &OwnedFd) -> std::io::Result<Self> {
        use nix::fcntl::OFlag;
        let (out_read, out_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        let (err_read, err_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        let panic_out = std::fs::File::from(original_stderr.try_clone()?);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let (out, err) = {
            let _context = runtime.enter();
            (
                tokio::net::unix::pipe::Receiver::from_owned_fd(out_read)?,
                tokio::net::unix::pipe::Receiver::from_owned_fd(err_read)?,
            )
        };
        let targets = Arc::new(StdioTargets {
            stdout: StdioTarget::default(),
            stderr: StdioTarget::default(),
        });
        // The relays run on a thread of their own: code on the serving runtime may write to
        // stdout/stderr with blocking writes (println!), which must not wait for a task of
        // the same (possibly single-threaded) runtime to drain the pipe.
        let relay_targets = targets.clone();
        std::thread::Builder::new()
            .name("plugin-stdio".into())
            .spawn(move || {
                runtime.block_on(async move {
                    futures::join!(
                        relay_targets.stdout.relay(out),
                        relay_targets.stderr.relay(err)
                    );
                });
            })?;
        Ok(PreparedStdio {
            out_write,
            err_write,
            panic_out,
            targets,
        })
    }

    /// Points fd 1 and 2 at the pipes (after the handshake line); panic messages keep going
    /// to the original stderr.
    fn apply(
        self,
        original_stdout: OwnedFd,
        original_stderr: OwnedFd,
    ) -> std::io::Result<Arc<StdioTargets>> {
        let PreparedStdio {
            out_write,
            err_write,
            panic_out,
            targets,
        } = self;
        std::io::stdout().flush()?;
        nix::unistd::dup2_stdout(&out_write)?;
        nix::unistd::dup2_stderr(&err_write)?;
        drop((out_write, err_write));
        let panic_out = Mutex::new(panic_out);
        std::panic::set_hook(Box::new(move |info| {
            let mut f = panic_out.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(f, "panic: {info}");
        }));
        let _ = ORIGINAL_STDIO.set((original_stdout, original_stderr));
        Ok(targets)
    }
}
