//! Host side of a plugin connection: go-plugin v1.4.3's `Client` (launch or reattach, the
//! yamux session, `Dispense`, `Ping`, `Kill`) for net/rpc plugins.
//!
//! ```no_run
//! use tilores_plugin::plugin::{ClientConfig, HandshakeConfig, PluginClient, PluginCommand};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let handshake = HandshakeConfig {
//!     protocol_version: 1,
//!     magic_cookie_key: "BASIC_PLUGIN".into(),
//!     magic_cookie_value: "hello".into(),
//! };
//! let mut client = PluginClient::start(
//!     PluginCommand::new("./plugin/greeter"),
//!     ClientConfig::new(handshake).plugins(["greeter"]),
//! )
//! .await?;
//! let greeter = client.dispense("greeter").await?;
//! let greeting: String = greeter.call("Plugin.Greet", &tilores_plugin::gob::Interface::nil()).await?;
//! println!("{greeting}");
//! client.kill().await;
//! # Ok(()) }
//! ```

use std::fmt;
use std::process::ExitStatus;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::task::JoinHandle;

use super::broker::{BrokerConfig, BrokerError, MuxBroker};
use super::handshake::{HandshakeConfig, PluginAddr, Protocol};
use super::process::{
    join_or_abort, kill_pid, launch, pid_running, wait_for_pid_exit, LaunchConfig, LaunchError,
    PluginCommand, PluginProcess, ReattachConfig,
};
use crate::gob::Empty;
use crate::mux::{MuxConfig, MuxError, Role, Session, Stream};
use crate::rpc::{self, RpcError};

#[cfg(feature = "tls")]
use super::tls::{self, TlsClientConfig, TlsError, TlsInfo};

/// Where the plugin's redirected stdout or stderr (yamux streams 3 and 5) goes: go-plugin's
/// `SyncStdout` / `SyncStderr`. The stream is always read to its end, so a chatty plugin never
/// blocks; [`StdioSink::Discard`] is go-plugin's default.
#[derive(Default)]
pub enum StdioSink {
    /// Read and drop the bytes.
    #[default]
    Discard,
    /// Copy the bytes to this writer (for example `tokio::io::stdout()`). If the writer fails,
    /// the rest of the stream is discarded.
    Writer(Box<dyn AsyncWrite + Send + Unpin>),
}

impl StdioSink {
    /// Copy to `writer`.
    pub fn writer(writer: impl AsyncWrite + Send + Unpin + 'static) -> Self {
        StdioSink::Writer(Box::new(writer))
    }
}

impl fmt::Debug for StdioSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StdioSink::Discard => f.write_str("Discard"),
            StdioSink::Writer(_) => f.write_str("Writer(..)"),
        }
    }
}

/// How long opening the control, stdout and stderr streams may take after connecting
/// (not a go-plugin setting: Go would hang on a listener that is not a plugin).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default [`ClientConfig::quit_timeout`]: 2 s. go-plugin waits for the `Control.Quit`
/// reply without limit; a plugin that answers at all answers within milliseconds.
pub const DEFAULT_QUIT_TIMEOUT: Duration = Duration::from_secs(2);

/// Default [`ClientConfig::control_timeout`]: 10 s. go-plugin waits for the
/// `Dispenser.Dispense` and `Control.Ping` replies without limit; a plugin answers them at
/// once.
pub const DEFAULT_CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

/// Default [`ClientConfig::exit_timeout`]: go-plugin's `Kill` waits a fixed 2 s for the
/// process to exit after `Control.Quit` before it SIGKILLs it.
pub const DEFAULT_EXIT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long [`PluginClient::kill`] waits for a reattached plugin (not our child, so it
/// cannot be reaped) to disappear after SIGKILL, polling its pid every
/// [`KILLED_PID_POLL`]. (A launched child needs no limit: SIGKILL cannot be ignored and the
/// reaper collects it.)
const KILLED_PID_WAIT: Duration = Duration::from_secs(2);

/// Poll interval of a reattached plugin's pid while [`PluginClient::kill`] waits for it
/// (go-plugin's `pidWait` polls every 1 s; 20 ms keeps `kill` quick).
const KILLED_PID_POLL: Duration = Duration::from_millis(20);

/// Host configuration (go-plugin `ClientConfig`). [`ClientConfig::new`] gives go-plugin's
/// defaults.
#[derive(Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Launching: handshake, versions, start timeout, SecureConfig, stderr copy.
    pub launch: LaunchConfig,
    /// Plugin names the host knows (go-plugin's `Plugins` map keys). [`PluginClient::dispense`]
    /// refuses other names locally, as Go does. Empty: any name is sent to the plugin.
    pub plugins: Vec<String>,
    /// Destination of the plugin's redirected stdout.
    pub stdout: StdioSink,
    /// Destination of the plugin's redirected stderr.
    pub stderr: StdioSink,
    /// Limit for connecting and opening the first three streams (control, stdout,
    /// stderr). Default [`DEFAULT_CONNECT_TIMEOUT`]; go-plugin has none. Waiting for the
    /// handshake line of a launched plugin is [`LaunchConfig::start_timeout`]; dialing a
    /// dispensed plugin's stream is [`BrokerConfig::dial_timeout`].
    pub connect_timeout: Duration,
    /// How long [`PluginClient::dispense`] waits for the `Dispenser.Dispense` reply and
    /// [`PluginClient::ping`] for the `Control.Ping` reply before failing with
    /// [`RpcError::DeadlineExceeded`]. Default [`DEFAULT_CONTROL_TIMEOUT`]; go-plugin has
    /// none (a plugin that never answers hangs its host).
    pub control_timeout: Duration,
    /// How long [`PluginClient::kill`] waits for the `Control.Quit` reply before it gives up
    /// on a graceful exit and SIGKILLs the plugin. Default [`DEFAULT_QUIT_TIMEOUT`];
    /// go-plugin has none.
    pub quit_timeout: Duration,
    /// How long [`PluginClient::kill`] waits, after `Control.Quit` was answered, for the
    /// plugin to exit on its own before it SIGKILLs it. Default
    /// [`DEFAULT_EXIT_TIMEOUT`] (go-plugin's fixed 2 s).
    pub exit_timeout: Duration,
    /// yamux settings (keep the default).
    pub mux: MuxConfig,
    /// Broker settings (accept timeout; net/rpc limits of the control and dispensed clients).
    pub broker: BrokerConfig,
    /// go-plugin's `AutoMTLS` (default off, as in Go): a fresh certificate pair per launch,
    /// mutual TLS around the whole connection (see [`tls`]). Overrides
    /// [`ClientConfig::tls`] for launched plugins, as in Go; a reattach with it fails with
    /// [`TlsError::AutoMtlsReattach`].
    #[cfg(feature = "tls")]
    pub auto_mtls: bool,
    /// go-plugin's `TLSConfig`: TLS of your own around the connection (launch and reattach).
    #[cfg(feature = "tls")]
    pub tls: Option<TlsClientConfig>,
}

impl ClientConfig {
    /// go-plugin's defaults for `handshake`.
    pub fn new(handshake: HandshakeConfig) -> Self {
        ClientConfig {
            launch: LaunchConfig::new(handshake),
            plugins: Vec::new(),
            stdout: StdioSink::Discard,
            stderr: StdioSink::Discard,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            control_timeout: DEFAULT_CONTROL_TIMEOUT,
            quit_timeout: DEFAULT_QUIT_TIMEOUT,
            exit_timeout: DEFAULT_EXIT_TIMEOUT,
            mux: MuxConfig::default(),
            broker: BrokerConfig::default(),
            #[cfg(feature = "tls")]
            auto_mtls: false,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Turns go-plugin's AutoMTLS on or off.
    #[cfg(feature = "tls")]
    pub fn auto_mtls(mut self, on: bool) -> Self {
        self.auto_mtls = on;
        self
    }

    /// Sets the known plugin names.
    pub fn plugins<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.plugins = names.into_iter().map(Into::into).collect();
        self
    }
}

/// Why a host operation failed. Display texts are go-plugin's where it has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Launching or the handshake failed.
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// The reattach address does not answer (go-plugin's text; the pid is killed, as in Go).
    #[error("Reattachment process not found")]
    ReattachNotFound,
    /// A reattach config with a protocol other than netrpc.
    #[error("unsupported plugin protocol {0}")]
    UnsupportedProtocol(Protocol),
    /// Connecting to the plugin's address failed.
    #[error("error connecting to plugin at {addr}: {source}")]
    Connect {
        /// The address.
        addr: PluginAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The plugin did not accept the control, stdout and stderr streams in time.
    #[error("plugin at {addr} did not accept the control streams within {timeout:?}")]
    ConnectTimeout {
        /// The address.
        addr: PluginAddr,
        /// The limit that passed.
        timeout: Duration,
    },
    /// The yamux session failed.
    #[error(transparent)]
    Mux(#[from] MuxError),
    /// [`PluginClient::dispense`] with a name the host does not know (go-plugin's text).
    #[error("unknown plugin type: {0}")]
    UnknownPlugin(String),
    /// A call on the control stream failed (a plugin-side error carries the plugin's text,
    /// e.g. `unknown plugin type: x` from `Dispense`).
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// Dialing the dispensed plugin's broker stream failed.
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// The AutoMTLS certificate could not be generated.
    #[cfg(feature = "tls")]
    #[error("TLS setup: {0}")]
    TlsSetup(#[source] TlsError),
    /// Negotiating TLS with the plugin failed (or AutoMTLS found no certificate to pin).
    #[cfg(feature = "tls")]
    #[error("TLS with plugin at {addr}: {source}")]
    Tls {
        /// The address.
        addr: PluginAddr,
        /// What went wrong.
        source: TlsError,
    },
}

/// How [`PluginClient::kill`] ended.
///
/// **Graceful** (the one meaning used throughout): the host never had to SIGKILL the plugin,
/// because it was asked to quit over a live connection, answered `Control.Quit` (or exited
/// before its reply could be read, spec §7.6), and then exited on its own within
/// [`ClientConfig::exit_timeout`]. A plugin whose connection was already gone was never asked,
/// so its kill is not graceful even if it exits in time. A reattached plugin in go-plugin's
/// test mode is never signalled (only disconnected) and counts as graceful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KillOutcome {
    /// Whether the kill was graceful (see above); `false` if the plugin had to be SIGKILLed
    /// (go-plugin then logs `plugin failed to exit gracefully`) or was never asked.
    pub graceful: bool,
    /// Exit status when the process was our child and could be collected.
    pub status: Option<ExitStatus>,
}

/// What the host holds of the plugin process, which decides what [`PluginClient::kill`] may do.
enum Owner {
    /// Ours to end: launched, or reattached outside test mode (go-plugin kills both).
    Owned(Target),
    /// Reattached in go-plugin test mode (`ReattachConfig.Test`): Go's `Kill` only disconnects
    /// and never signals it, and neither do we.
    TestMode {
        /// Its pid, for [`PluginClient::exited`].
        pid: u32,
    },
}

/// A plugin process the host may end, and how it sees it exit.
enum Target {
    /// We launched it: reaped by its reaper task; dropping the handle SIGKILLs it.
    Child(PluginProcess),
    /// Reattached: not our child, so it is signalled by pid and seen to be gone by polling
    /// (left alone when the client is dropped, as in Go).
    Pid(u32),
}

impl Target {
    /// Whether the process is gone.
    fn exited(&self) -> bool {
        match self {
            Target::Child(p) => p.exited(),
            Target::Pid(pid) => !pid_running(*pid),
        }
    }

    /// Waits up to `limit` for the process to exit by itself: `Ok` with the exit status (only
    /// a child has one) if it did.
    async fn exit_within(&mut self, limit: Duration) -> Result<Option<ExitStatus>, ()> {
        match self {
            Target::Child(p) => match tokio::time::timeout(limit, p.wait()).await {
                Ok(status) => {
                    tracing::debug!(pid = p.pid(), "plugin exited");
                    Ok(status)
                }
                Err(_) => Err(()),
            },
            Target::Pid(pid) => {
                let polled = wait_for_pid_exit(*pid, KILLED_PID_POLL);
                match tokio::time::timeout(limit, polled).await {
                    Ok(()) => Ok(None),
                    Err(_) => Err(()),
                }
            }
        }
    }

    /// The one SIGKILL path of [`PluginClient::kill`]: logs go-plugin's warning, SIGKILLs
    /// the process and waits until it is gone (a child reaped, a reattached pid no longer
    /// running or [`KILLED_PID_WAIT`] passed).
    async fn sigkill(&mut self) -> Option<ExitStatus> {
        match self {
            Target::Child(p) => {
                tracing::warn!(pid = p.pid(), "plugin failed to exit gracefully");
                p.kill().await
            }
            Target::Pid(pid) => {
                let pid = *pid;
                tracing::warn!(pid, "plugin failed to exit gracefully");
                let _ = kill_pid(pid);
                let polled = wait_for_pid_exit(pid, KILLED_PID_POLL);
                let _ = tokio::time::timeout(KILLED_PID_WAIT, polled).await;
                None
            }
        }
    }

    /// Lets a child's stdout/stderr relays finish (bounded); nothing for a reattached pid.
    async fn finish_io(&mut self) {
        if let Target::Child(p) = self {
            p.finish_io().await;
        }
    }
}

/// How the plugin took `Control.Quit`, which decides the rest of [`PluginClient::kill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuitReply {
    /// Answered, or the reply was lost because the plugin exited first: it gets
    /// [`ClientConfig::exit_timeout`] to exit on its own.
    Answered,
    /// An error answer, or none within [`ClientConfig::quit_timeout`]: SIGKILLed at once,
    /// before the connection is closed (a graceful close would wait, up to the mux
    /// `close_timeout`, to flush frames to a plugin that reads nothing).
    Refused,
    /// The connection was already gone, so it was never asked: it still gets
    /// [`ClientConfig::exit_timeout`], but the kill is not graceful.
    NotAsked,
}

/// A connected go-plugin net/rpc plugin (go-plugin's `Client` + `RPCClient`).
///
/// Dropping it closes the connection and, for a launched plugin, SIGKILLs and reaps the
/// process; call [`kill`](Self::kill) for go-plugin's graceful `Control.Quit` first.
pub struct PluginClient {
    owner: Owner,
    reattach: ReattachConfig,
    /// The application protocol version of the handshake (go-plugin's `negotiatedVersion`).
    negotiated_version: u32,
    session: Session,
    control: rpc::Client,
    broker: MuxBroker,
    plugins: Vec<String>,
    tasks: Vec<JoinHandle<()>>,
    /// Where the kill is: `None` until the first [`PluginClient::kill`] has finished, then
    /// its outcome (later calls return it and signal nothing).
    killed: Option<KillOutcome>,
    /// The waits of [`ClientConfig`].
    timeouts: Timeouts,
    /// What TLS negotiated, if the connection is TLS.
    #[cfg(feature = "tls")]
    tls: Option<TlsInfo>,
}

/// [`ClientConfig::control_timeout`], [`ClientConfig::quit_timeout`] and
/// [`ClientConfig::exit_timeout`].
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    control: Duration,
    quit: Duration,
    exit: Duration,
}

impl Timeouts {
    fn of(config: &ClientConfig) -> Self {
        Timeouts {
            control: config.control_timeout,
            quit: config.quit_timeout,
            exit: config.exit_timeout,
        }
    }
}

impl fmt::Debug for PluginClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginClient")
            .field("reattach", &self.reattach)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl PluginClient {
    /// Launches `cmd`, validates its handshake and connects (go-plugin's `Start` + `Client`).
    /// On failure after the launch the process is killed and reaped.
    pub async fn start(cmd: PluginCommand, config: ClientConfig) -> Result<Self, ClientError> {
        let timeouts = Timeouts::of(&config);
        let ClientConfig {
            launch: launch_config,
            plugins,
            stdout,
            stderr,
            connect_timeout,
            mux,
            broker,
            ..
        } = config;
        #[cfg(feature = "tls")]
        let mut launch_config = launch_config;
        #[cfg(feature = "tls")]
        let auto = if config.auto_mtls {
            // go-plugin generates the host certificate before starting the plugin.
            let own = tls::Identity::generate().map_err(ClientError::TlsSetup)?;
            launch_config.client_cert_pem = Some(own.pem().to_owned());
            Some(own)
        } else {
            None
        };
        let mut process = launch(cmd, launch_config).await?;
        let reattach = process.reattach_config();
        let negotiated_version = process.handshake().app_version;
        #[cfg(feature = "tls")]
        let tls = match auto {
            Some(own) => match auto_mtls_config(process.handshake(), &own) {
                Ok(c) => Some(c),
                Err(source) => {
                    process.kill().await;
                    return Err(ClientError::Tls {
                        addr: reattach.addr,
                        source,
                    });
                }
            },
            None => config.tls,
        };
        #[cfg(not(feature = "tls"))]
        let tls = NoTls;
        let connected = connect(
            &reattach.addr,
            connect_timeout,
            mux,
            broker,
            stdout,
            stderr,
            tls,
        )
        .await;
        match connected {
            Ok(conn) => Ok(conn.into_client(
                Owner::Owned(Target::Child(process)),
                reattach,
                negotiated_version,
                plugins,
                timeouts,
            )),
            Err(e) => {
                process.kill().await;
                Err(e)
            }
        }
    }

    /// Connects to a running plugin from a [`ReattachConfig`] (go-plugin's `Reattach`): probes
    /// the address first and, if it does not answer, SIGKILLs the pid and fails with
    /// `Reattachment process not found`, as Go does. No handshake, no environment; the plugin's
    /// stdout/stderr streams are still drained into the sinks.
    pub async fn reattach(rc: &ReattachConfig, config: ClientConfig) -> Result<Self, ClientError> {
        if rc.protocol != Protocol::NetRpc {
            return Err(ClientError::UnsupportedProtocol(rc.protocol));
        }
        #[cfg(feature = "tls")]
        if config.auto_mtls && config.tls.is_none() {
            return Err(ClientError::Tls {
                addr: rc.addr.clone(),
                source: TlsError::AutoMtlsReattach,
            });
        }
        let timeouts = Timeouts::of(&config);
        if dial(&rc.addr).await.is_err() {
            if !rc.test {
                let _ = kill_pid(rc.pid);
            }
            return Err(ClientError::ReattachNotFound);
        }
        let conn = connect(
            &rc.addr,
            config.connect_timeout,
            config.mux,
            config.broker,
            config.stdout,
            config.stderr,
            #[cfg(feature = "tls")]
            config.tls,
            #[cfg(not(feature = "tls"))]
            NoTls,
        )
        .await?;
        Ok(conn.into_client(
            if rc.test {
                Owner::TestMode { pid: rc.pid }
            } else {
                Owner::Owned(Target::Pid(rc.pid))
            },
            rc.clone(),
            // go-plugin takes the reattach config's version (0 unless it was set).
            rc.protocol_version,
            config.plugins,
            timeouts,
        ))
    }

    /// Dispenses plugin `name`: `Dispenser.Dispense` on the control stream, then a broker dial
    /// to the returned id. The returned net/rpc client talks to the plugin's service `Plugin`
    /// (call `Plugin.<Method>`), on its own stream with fresh gob state.
    ///
    /// Bounded: the `Dispense` reply is awaited at most [`ClientConfig::control_timeout`]
    /// (then [`RpcError::DeadlineExceeded`]), the dial at most
    /// [`BrokerConfig::dial_timeout`].
    pub async fn dispense(&self, name: &str) -> Result<rpc::Client, ClientError> {
        if !self.plugins.is_empty() && !self.plugins.iter().any(|p| p == name) {
            return Err(ClientError::UnknownPlugin(name.to_owned()));
        }
        let id: u32 = self
            .control
            .call_timeout(
                "Dispenser.Dispense",
                &name.to_owned(),
                self.timeouts.control,
            )
            .await?;
        Ok(self.broker.dial_client(id).await?)
    }

    /// `Control.Ping`, its reply awaited at most [`ClientConfig::control_timeout`] (then
    /// [`RpcError::DeadlineExceeded`]).
    pub async fn ping(&self) -> Result<(), ClientError> {
        let _: Empty = self
            .control
            .call_timeout("Control.Ping", &true, self.timeouts.control)
            .await?;
        Ok(())
    }

    /// The connection's broker, to offer services to the plugin or dial the plugin's.
    pub fn broker(&self) -> &MuxBroker {
        &self.broker
    }

    /// go-plugin's `ReattachConfig()`: protocol, address, pid (for a reattached plugin, the
    /// config it was reattached with). Serialisable with serde as Go's JSON.
    pub fn reattach_config(&self) -> ReattachConfig {
        self.reattach.clone()
    }

    /// What TLS negotiated with the plugin (protocol version, cipher suite, the certificate
    /// the plugin presented), or `None` for a plaintext connection.
    #[cfg(feature = "tls")]
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// go-plugin's `NegotiatedVersion()`: the application protocol version the plugin chose
    /// from the host's ([`LaunchConfig::host_versions`]); for a reattached plugin the reattach
    /// config's `protocol_version`, as in Go.
    pub fn negotiated_version(&self) -> u32 {
        self.negotiated_version
    }

    /// The plugin's process id.
    pub fn pid(&self) -> u32 {
        self.reattach.pid
    }

    /// go-plugin's `Exited()`: whether the process is gone (reaped, or for a reattached plugin
    /// no longer signalable).
    pub fn exited(&self) -> bool {
        match &self.owner {
            Owner::Owned(target) => target.exited(),
            Owner::TestMode { pid } => !pid_running(*pid),
        }
    }

    /// Whether the connection to the plugin has ended.
    pub fn is_disconnected(&self) -> bool {
        self.session.is_closed()
    }

    /// go-plugin's `Kill`: `Control.Quit` (its reply awaited at most
    /// [`ClientConfig::quit_timeout`]), close the connection, wait up to
    /// [`ClientConfig::exit_timeout`] for the process to exit, else SIGKILL; returns once the
    /// process is gone (a launched child is reaped) and its output relayed (each relay
    /// bounded, in case a grandchild holds a pipe open). A plugin that does not answer
    /// `Control.Quit` is SIGKILLed before the connection is closed (no flush to a peer that
    /// reads nothing). Every step is bounded: with the defaults a plugin that stalls
    /// everything is gone within about 2 s of the Quit timeout (a stopped plugin with a call
    /// stuck in its window took 5.5 s more before: the session close waited to flush).
    ///
    /// [`KillOutcome`] says what "graceful" means. Unlike go-plugin, a `Control.Quit` whose
    /// reply is lost because the plugin exited first (spec §7.6) counts as answered, so the
    /// exit wait is still granted. A reattached plugin in test mode is only disconnected (no
    /// `Control.Quit`), as in Go. Calling `kill` again returns the first outcome and signals
    /// nothing.
    pub async fn kill(&mut self) -> KillOutcome {
        if let Some(done) = self.killed {
            // Go forgets the process after the first Kill; never signal a pid twice.
            return done;
        }
        let target = match &mut self.owner {
            Owner::Owned(target) => target,
            Owner::TestMode { .. } => {
                // go-plugin leaves a test-mode plugin running: only disconnect.
                let _ = self.control.close().await;
                let _ = self.session.close().await;
                join_or_abort(self.tasks.drain(..)).await;
                let done = KillOutcome {
                    graceful: true,
                    status: None,
                };
                self.killed = Some(done);
                return done;
            }
        };
        let reply = if self.session.is_closed() {
            QuitReply::NotAsked
        } else {
            let quit = self.control.call::<_, Empty>("Control.Quit", &true);
            match tokio::time::timeout(self.timeouts.quit, quit).await {
                Ok(Ok(_)) => QuitReply::Answered,
                // The plugin exited before its reply could be read (spec §7.6).
                Ok(Err(e)) if e.is_connection_error() => QuitReply::Answered,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "error closing client during Kill");
                    QuitReply::Refused
                }
                Err(_) => {
                    tracing::warn!("error closing client during Kill: Control.Quit timed out");
                    QuitReply::Refused
                }
            }
        };
        let killed_early = match reply {
            QuitReply::Refused => Some(target.sigkill().await),
            QuitReply::Answered | QuitReply::NotAsked => None,
        };
        let _ = self.control.close().await;
        let _ = self.session.close().await;
        let (exited_by_itself, status) = match killed_early {
            Some(status) => (false, status),
            None => match target.exit_within(self.timeouts.exit).await {
                Ok(status) => (true, status),
                Err(()) => (false, target.sigkill().await),
            },
        };
        target.finish_io().await;
        join_or_abort(self.tasks.drain(..)).await;
        let outcome = KillOutcome {
            graceful: exited_by_itself && reply == QuitReply::Answered,
            status,
        };
        self.killed = Some(outcome);
        outcome
    }
}

impl Drop for PluginClient {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A boxed socket to the plugin.
trait Socket: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Socket for T {}

async fn dial(addr: &PluginAddr) -> std::io::Result<Box<dyn Socket>> {
    Ok(match addr {
        // Woken by incoming data only (see `mux::UnixSocket`): one wake per call, not two.
        PluginAddr::Unix(path) => Box::new(crate::mux::UnixSocket::from_tokio(
            tokio::net::UnixStream::connect(path).await?,
        )?),
        PluginAddr::Tcp(a) => {
            let s = tokio::net::TcpStream::connect(a).await?;
            s.set_nodelay(true)?;
            Box::new(s)
        }
    })
}

/// A connected session before it is wrapped into a [`PluginClient`].
struct Connection {
    session: Session,
    control: rpc::Client,
    broker: MuxBroker,
    tasks: Vec<JoinHandle<()>>,
    #[cfg(feature = "tls")]
    tls: Option<TlsInfo>,
}

/// The TLS side of [`connect`]: a configuration, or nothing without the `tls` feature.
#[cfg(feature = "tls")]
type TlsSetting = Option<TlsClientConfig>;
/// Without the `tls` feature connections are plaintext.
#[cfg(not(feature = "tls"))]
struct NoTls;
#[cfg(not(feature = "tls"))]
type TlsSetting = NoTls;

/// The pinned AutoMTLS configuration for a launched plugin: its handshake must carry its
/// certificate (go-plugin `loadServerCert`).
#[cfg(feature = "tls")]
fn auto_mtls_config(
    handshake: &super::handshake::Handshake,
    own: &tls::Identity,
) -> Result<TlsClientConfig, TlsError> {
    let field = handshake
        .server_cert
        .as_deref()
        .ok_or(TlsError::NoServerCert)?;
    tls::pinned_client_config(tls::decode_handshake_cert(field)?, own)
}

impl Connection {
    fn into_client(
        self,
        owner: Owner,
        reattach: ReattachConfig,
        negotiated_version: u32,
        plugins: Vec<String>,
        timeouts: Timeouts,
    ) -> PluginClient {
        PluginClient {
            owner,
            reattach,
            negotiated_version,
            session: self.session,
            control: self.control,
            broker: self.broker,
            plugins,
            tasks: self.tasks,
            killed: None,
            timeouts,
            #[cfg(feature = "tls")]
            tls: self.tls,
        }
    }
}

/// Connects, starts the yamux client and opens control, stdout and stderr in Go's order (the
/// Go plugin assigns them by arrival order): their SYNs go out back to back, as Go's `Open`s
/// do, and each is ACKed before the connection is used.
async fn connect(
    addr: &PluginAddr,
    timeout: Duration,
    mux: MuxConfig,
    broker_config: BrokerConfig,
    stdout: StdioSink,
    stderr: StdioSink,
    tls: TlsSetting,
) -> Result<Connection, ClientError> {
    let rpc_config = broker_config.rpc.clone();
    let opened = tokio::time::timeout(timeout, async {
        let socket = dial(addr).await.map_err(|source| ClientError::Connect {
            addr: addr.clone(),
            source,
        })?;
        let (socket, info) = wrap_tls(addr, socket, tls).await?;
        let session = Session::new(socket, Role::Client, mux)?;
        let is_tls = info_is_tls(&info);
        let [control, out, err] = session
            .open_acked_in_order::<3>()
            .await
            .map_err(|e| opening_failed(addr, e, is_tls))?;
        Ok::<_, ClientError>((session, control, out, err, info))
    })
    .await
    .map_err(|_| ClientError::ConnectTimeout {
        addr: addr.clone(),
        timeout,
    })??;
    #[cfg_attr(not(feature = "tls"), allow(unused_variables))]
    let (session, control, out, err, info) = opened;
    let broker = MuxBroker::new(session.clone(), broker_config);
    let tasks = vec![
        tokio::spawn(drain(out, stdout)),
        tokio::spawn(drain(err, stderr)),
        tokio::spawn({
            let broker = broker.clone();
            async move { broker.run().await }
        }),
    ];
    Ok(Connection {
        control: rpc::Client::with_config(control, rpc_config),
        session,
        broker,
        tasks,
        #[cfg(feature = "tls")]
        tls: info,
    })
}

/// Whether [`wrap_tls`] made a TLS connection.
#[cfg(feature = "tls")]
fn info_is_tls(info: &Option<TlsInfo>) -> bool {
    info.is_some()
}

/// Without the `tls` feature no connection is TLS.
#[cfg(not(feature = "tls"))]
fn info_is_tls(_: &()) -> bool {
    false
}

/// A failure to open the first streams. On a TLS connection it is reported as the TLS error
/// it most likely is: in TLS 1.3 the plugin checks our certificate after our side of the
/// handshake has finished, and refuses it with an alert (read here when it arrives before our
/// first write fails) and by closing the connection.
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn opening_failed(addr: &PluginAddr, e: MuxError, is_tls: bool) -> ClientError {
    #[cfg(feature = "tls")]
    if is_tls {
        use crate::mux::CloseReason;
        let source = match &e {
            MuxError::SessionClosed(CloseReason::Failed(failed)) => {
                failed.io_error().and_then(TlsError::of_io)
            }
            MuxError::SessionClosed(CloseReason::Peer) => Some(TlsError::ClosedAfterHandshake),
            _ => None,
        };
        if let Some(source) = source {
            return ClientError::Tls {
                addr: addr.clone(),
                source,
            };
        }
    }
    ClientError::Mux(e)
}

/// go-plugin wraps the socket in TLS when a TLS config is set and runs yamux inside it
/// (`tls.Client(conn, c.config.TLSConfig)`); the handshake runs here, within the connect
/// timeout, so its failure is reported as such.
#[cfg(feature = "tls")]
async fn wrap_tls(
    addr: &PluginAddr,
    socket: Box<dyn Socket>,
    tls: TlsSetting,
) -> Result<(Box<dyn Socket>, Option<TlsInfo>), ClientError> {
    let Some(tls) = tls else {
        return Ok((socket, None));
    };
    let connector = tokio_rustls::TlsConnector::from(tls.config);
    let stream = connector
        .connect(tls.server_name, socket)
        .await
        .map_err(|e| ClientError::Tls {
            addr: addr.clone(),
            source: TlsError::from_handshake(e),
        })?;
    let info = TlsInfo::of(stream.get_ref().1);
    Ok((Box::new(stream), Some(info)))
}

/// Without the `tls` feature the socket stays plaintext.
#[cfg(not(feature = "tls"))]
async fn wrap_tls(
    _addr: &PluginAddr,
    socket: Box<dyn Socket>,
    _tls: TlsSetting,
) -> Result<(Box<dyn Socket>, ()), ClientError> {
    Ok((socket, ()))
}

/// Copies a plugin stdio stream into its sink until EOF, discarding once the sink fails.
async fn drain(mut stream: Stream, sink: StdioSink) {
    match sink {
        StdioSink::Discard => {
            let _ = tokio::io::copy(&mut stream, &mut tokio::io::sink()).await;
        }
        StdioSink::Writer(mut w) => {
            if let Err(e) = tokio::io::copy(&mut stream, &mut w).await {
                tracing::debug!(error = %e, "plugin stdio sink failed; discarding the rest");
                let _ = tokio::io::copy(&mut stream, &mut tokio::io::sink()).await;
            }
            let _ = w.flush().await;
        }
    }
}
