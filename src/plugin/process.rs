//! Host side: launching a plugin process and waiting for its handshake (go-plugin v1.4.3
//! `Client.Start`), SecureConfig, reattach information and killing.
//!
//! [`launch`] verifies the binary (optional [`SecureConfig`]), starts it with the go-plugin
//! environment (see [`super::env`]), stdin inherited and stdout/stderr piped, re-logs stderr
//! (see [`super::hclog`]), and waits for the first stdout line, racing the start timeout and
//! process exit. After the handshake stdout is drained and discarded for the life of the
//! process, as Go does, so the plugin never blocks on a full pipe.
//!
//! The child is spawned with Tokio's `kill_on_drop(true)` and owned by a reaper task: dropping
//! the [`PluginProcess`] handle SIGKILLs and reaps the child. Unlike a Go host, a plugin therefore
//! never outlives its handle; use [`PluginProcess::reattach_config`] + another host only while the
//! handle is alive.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::env::{child_env, plugin_vars, DEFAULT_MAX_PORT, DEFAULT_MIN_PORT, ENV_CLIENT_CERT};
use super::handshake::{
    parse_line_with, system_resolver, Handshake, HandshakeConfig, HandshakeError, PluginAddr,
    Protocol, Resolver,
};
use super::hclog::{relay_stderr, LineReader, StderrSink, StderrTail};

/// go-plugin's default `StartTimeout`.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long each of a launched plugin's stdout/stderr relays (and each of a client's stdio
/// and broker tasks) may take to finish once the process is gone: a grandchild may hold a
/// pipe open, a peer may never close a stream. Go waits for its copies without limit.
pub(crate) const RELAY_FINISH_TIMEOUT: Duration = Duration::from_secs(2);
/// When a plugin closes stdout before its handshake line, how long [`launch`] waits (within
/// the start timeout) for it to be reaped, so the error can say how it ended.
const CLOSED_STDOUT_REAP_WAIT: Duration = Duration::from_secs(2);
/// Longest handshake line (Go `bufio.Scanner` token limit: 64 KiB buffer incl. the newline).
pub const MAX_HANDSHAKE_LINE: usize = 64 * 1024 - 1;

/// The program to run as a plugin (go-plugin `ClientConfig.Cmd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginCommand {
    /// Executable; a name without `/` is looked up in `PATH` like Go's `exec.Command`.
    pub program: PathBuf,
    /// Arguments (without the program name).
    pub args: Vec<OsString>,
    /// Caller environment entries (Go `cmd.Env`). The host environment is appended after these
    /// and **overrides** them, as in go-plugin v1.4.3; the go-plugin variables override both.
    pub env: Vec<(OsString, OsString)>,
    /// Working directory; `None` → the host's.
    pub current_dir: Option<PathBuf>,
}

impl PluginCommand {
    /// A command for `program` with no arguments.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        PluginCommand {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            current_dir: None,
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds a caller environment entry (see [`PluginCommand::env`] for precedence).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// Integrity check of the plugin binary before it is started (go-plugin `SecureConfig`), using
/// SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecureConfig {
    /// Expected SHA-256 digest of the executable.
    pub checksum: Vec<u8>,
}

/// Why a [`SecureConfig`] check could not be performed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecureConfigError {
    /// The checksum is empty.
    #[error("no checksum provided")]
    NoChecksum,
    /// The executable could not be read.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl SecureConfig {
    /// Expects `checksum` as the SHA-256 of the executable.
    pub fn sha256(checksum: impl Into<Vec<u8>>) -> Self {
        SecureConfig {
            checksum: checksum.into(),
        }
    }

    /// Hashes the file at `path` and compares in constant time; `Ok(false)` on mismatch.
    pub fn check(&self, path: &Path) -> Result<bool, SecureConfigError> {
        if self.checksum.is_empty() {
            return Err(SecureConfigError::NoChecksum);
        }
        let sum = sha256_file(path)?;
        Ok(constant_time_eq(&sum, &self.checksum))
    }
}

/// SHA-256 of a file, e.g. to build a [`SecureConfig`].
pub fn sha256_file(path: &Path) -> io::Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().into())
}

/// Go `subtle.ConstantTimeCompare`: different lengths are unequal at once, otherwise every byte
/// is examined.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How to launch and validate a plugin (go-plugin `ClientConfig` minus the RPC parts).
/// [`Default`] gives go-plugin's defaults; set at least [`LaunchConfig::handshake`].
#[non_exhaustive]
pub struct LaunchConfig {
    /// Cookie and app protocol version shared with the plugin.
    pub handshake: HandshakeConfig,
    /// App protocol versions the host supports (`PLUGIN_PROTOCOL_VERSIONS`); empty →
    /// `[handshake.protocol_version]`.
    pub host_versions: Vec<u32>,
    /// Protocols accepted in the handshake (default `[netrpc]`).
    pub allowed_protocols: Vec<Protocol>,
    /// Time allowed until the handshake line arrives (default 1 minute).
    pub start_timeout: Duration,
    /// `PLUGIN_MIN_PORT` (default 10000).
    pub min_port: u32,
    /// `PLUGIN_MAX_PORT` (default 25000).
    pub max_port: u32,
    /// Optional integrity check of the executable.
    pub secure: Option<SecureConfig>,
    /// Optional raw copy of the plugin's stderr lines (go-plugin `ClientConfig.Stderr`). Written
    /// from the stderr task with blocking writes: keep it fast.
    pub stderr: Option<StderrSink>,
    /// Name used in re-logged stderr events; `None` → the executable's file name.
    pub plugin_name: Option<String>,
    /// AutoMTLS: the host certificate (PEM) passed as `PLUGIN_CLIENT_CERT`, after every other
    /// variable, as go-plugin appends it (so it wins over the caller's and the host's). Set by
    /// [`PluginClient::start`](super::client::PluginClient::start) when
    /// `ClientConfig::auto_mtls` is on.
    pub client_cert_pem: Option<String>,
}

impl Default for LaunchConfig {
    fn default() -> Self {
        LaunchConfig {
            handshake: HandshakeConfig {
                protocol_version: 0,
                magic_cookie_key: String::new(),
                magic_cookie_value: String::new(),
            },
            host_versions: Vec::new(),
            allowed_protocols: vec![Protocol::NetRpc],
            start_timeout: DEFAULT_START_TIMEOUT,
            min_port: DEFAULT_MIN_PORT,
            max_port: DEFAULT_MAX_PORT,
            secure: None,
            stderr: None,
            plugin_name: None,
            client_cert_pem: None,
        }
    }
}

impl LaunchConfig {
    /// go-plugin's defaults for `handshake`.
    pub fn new(handshake: HandshakeConfig) -> Self {
        LaunchConfig {
            handshake,
            ..Default::default()
        }
    }

    fn effective_versions(&self) -> Vec<u32> {
        if self.host_versions.is_empty() {
            vec![self.handshake.protocol_version]
        } else {
            self.host_versions.clone()
        }
    }
}

impl fmt::Debug for LaunchConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchConfig")
            .field("handshake", &self.handshake)
            .field("host_versions", &self.host_versions)
            .field("allowed_protocols", &self.allowed_protocols)
            .field("start_timeout", &self.start_timeout)
            .field("min_port", &self.min_port)
            .field("max_port", &self.max_port)
            .field("secure", &self.secure)
            .field("stderr", &self.stderr.as_ref().map(|_| "<sink>"))
            .field("plugin_name", &self.plugin_name)
            .field("client_cert_pem", &self.client_cert_pem.is_some())
            .finish()
    }
}

/// Why [`launch`] failed. Where go-plugin has a text for the case, Display uses it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// The configuration cannot work (e.g. empty magic cookie key).
    #[error("invalid plugin launch configuration: {0}")]
    Config(String),
    /// The program was not found in `PATH` (Go `exec.LookPath` text).
    #[error("exec: \"{0}\": executable file not found in $PATH")]
    NotFound(String),
    /// The SecureConfig check could not run.
    #[error("error verifying checksum: {0}")]
    Checksum(SecureConfigError),
    /// The executable does not have the expected checksum.
    #[error("checksums did not match")]
    ChecksumMismatch,
    /// Starting the process failed.
    #[error("failed to start plugin {}: {source}", .program.display())]
    Spawn {
        /// The resolved executable.
        program: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// No handshake line within the start timeout.
    #[error("timeout while waiting for plugin to start")]
    Timeout {
        /// Last stderr lines of the plugin.
        stderr: Vec<String>,
    },
    /// The plugin exited before printing its handshake line.
    #[error("plugin exited before we could connect ({}){}", describe_exit(.status), describe_stderr(.stderr))]
    Exited {
        /// Its exit status (`None` if it could not be collected).
        status: Option<ExitStatus>,
        /// Its last stderr lines.
        stderr: Vec<String>,
    },
    /// The plugin closed stdout without a line but kept running.
    #[error("plugin closed its stdout before printing the handshake line{}", describe_stderr(.stderr))]
    StdoutClosed {
        /// Its last stderr lines.
        stderr: Vec<String>,
    },
    /// The first stdout line is longer than 65,535 bytes (Go `bufio.Scanner`'s 64 KiB token limit, newline included).
    #[error("plugin handshake line is longer than {MAX_HANDSHAKE_LINE} bytes")]
    LineTooLong,
    /// Reading stdout failed.
    #[error("reading plugin stdout: {0}")]
    Stdout(io::Error),
    /// The handshake line was rejected.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
}

fn describe_exit(status: &Option<ExitStatus>) -> String {
    match status {
        Some(s) => s.to_string(),
        None => "exit status unknown".into(),
    }
}

fn describe_stderr(lines: &[String]) -> String {
    if lines.is_empty() {
        "; no stderr output".into()
    } else {
        format!("; plugin stderr:\n{}", lines.join("\n"))
    }
}

/// What go-plugin's `ReattachConfig()` returns, serialised like Go's `encoding/json` does:
/// `{"Protocol":"netrpc","ProtocolVersion":0,"Addr":{"Name":"/tmp/plugin1","Net":"unix"},"Pid":123,"Test":false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReattachConfig {
    /// Protocol (an empty string deserialises to `netrpc`).
    pub protocol: Protocol,
    /// Only meaningful for test-mode reattach; go-plugin sets 0 otherwise.
    #[serde(default)]
    pub protocol_version: u32,
    /// Where the plugin listens.
    pub addr: PluginAddr,
    /// The plugin's process id.
    pub pid: u32,
    /// Test mode: the host must not kill the process.
    #[serde(default)]
    pub test: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    Exited(Option<ExitStatus>),
}

/// A running plugin process whose handshake has been validated.
///
/// Dropping the handle SIGKILLs and reaps the process.
pub struct PluginProcess {
    handshake: Handshake,
    pid: u32,
    name: String,
    kill_tx: mpsc::UnboundedSender<()>,
    state: watch::Receiver<State>,
    stderr_task: Option<JoinHandle<()>>,
    stdout_task: Option<JoinHandle<()>>,
}

impl fmt::Debug for PluginProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginProcess")
            .field("handshake", &self.handshake)
            .field("pid", &self.pid)
            .field("name", &self.name)
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl PluginProcess {
    /// The validated handshake (address, protocol, app version).
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The name used in re-logged stderr events.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// go-plugin's `ReattachConfig()`: protocol, address, pid, `ProtocolVersion` 0, not test.
    pub fn reattach_config(&self) -> ReattachConfig {
        ReattachConfig {
            protocol: self.handshake.protocol,
            protocol_version: 0,
            addr: self.handshake.address.clone(),
            pid: self.pid,
            test: false,
        }
    }

    /// Whether the process has exited and been reaped.
    pub fn exited(&self) -> bool {
        matches!(*self.state.borrow(), State::Exited(_))
    }

    /// The exit status once exited (`None` while running or if it could not be collected).
    pub fn exit_status(&self) -> Option<ExitStatus> {
        match *self.state.borrow() {
            State::Exited(s) => s,
            State::Running => None,
        }
    }

    /// Waits until the process exits by itself; returns its status.
    pub async fn wait(&self) -> Option<ExitStatus> {
        wait_exit(self.state.clone()).await
    }

    /// SIGKILLs the process (if still running) and waits until it is reaped and its stderr has
    /// been relayed (bounded, in case a grandchild keeps the pipe open). To give it time to
    /// exit on its own first, as go-plugin's `Kill` does, bound [`wait`](Self::wait) with
    /// `tokio::time::timeout` and call this after it.
    pub async fn kill(&mut self) -> Option<ExitStatus> {
        let _ = self.kill_tx.send(());
        let status = wait_exit(self.state.clone()).await;
        self.finish_io().await;
        status
    }

    /// Waits (each at most [`RELAY_FINISH_TIMEOUT`]) for the stdout/stderr relays to end.
    pub(crate) async fn finish_io(&mut self) {
        let tasks = [self.stderr_task.take(), self.stdout_task.take()];
        join_or_abort(tasks.into_iter().flatten()).await;
    }
}

/// Waits for each helper task at most [`RELAY_FINISH_TIMEOUT`], aborting the ones that do
/// not finish.
pub(crate) async fn join_or_abort(tasks: impl IntoIterator<Item = JoinHandle<()>>) {
    for task in tasks {
        let abort = task.abort_handle();
        if tokio::time::timeout(RELAY_FINISH_TIMEOUT, task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

impl Drop for PluginProcess {
    fn drop(&mut self) {
        // The reaper task SIGKILLs and reaps the child when this sender goes away.
        if let Some(t) = &self.stdout_task {
            t.abort();
        }
    }
}

async fn wait_exit(mut state: watch::Receiver<State>) -> Option<ExitStatus> {
    match state.wait_for(|s| matches!(s, State::Exited(_))).await {
        Ok(s) => match *s {
            State::Exited(status) => status,
            State::Running => None,
        },
        Err(_) => None, // reaper gone (runtime shutting down); kill_on_drop took over
    }
}

/// Owns the child: reaps it, publishes its exit, SIGKILLs it on request or when every handle is
/// gone.
async fn reaper(
    mut child: Child,
    mut kill_rx: mpsc::UnboundedReceiver<()>,
    state: watch::Sender<State>,
    pid: u32,
    path: PathBuf,
) {
    let mut kill_open = true;
    let result = loop {
        tokio::select! {
            r = child.wait() => break r,
            msg = kill_rx.recv(), if kill_open => {
                if msg.is_none() {
                    kill_open = false;
                }
                if let Err(e) = child.start_kill() {
                    tracing::debug!(pid, error = %e, "killing plugin");
                }
            }
        }
    };
    let status = match result {
        Ok(s) => {
            tracing::debug!(path = %path.display(), pid, status = %s, "plugin process exited");
            Some(s)
        }
        Err(e) => {
            tracing::debug!(path = %path.display(), pid, error = %e, "plugin process exited");
            None
        }
    };
    state.send_replace(State::Exited(status));
}

/// Go `exec.LookPath` for names without a slash: the first executable regular file in `PATH`.
fn look_path(program: &Path) -> Result<PathBuf, LaunchError> {
    if program.components().count() != 1 || program.to_string_lossy().contains('/') {
        return Ok(program.to_path_buf());
    }
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(program);
        if let Ok(m) = std::fs::metadata(&candidate) {
            if m.is_file() && m.permissions().mode() & 0o111 != 0 {
                return Ok(candidate);
            }
        }
    }
    Err(LaunchError::NotFound(
        program.to_string_lossy().into_owned(),
    ))
}

/// Starts the plugin and validates its handshake (go-plugin v1.4.3 `Client.Start`).
///
/// On any error the child is SIGKILLed and reaped before this returns.
pub async fn launch(
    cmd: PluginCommand,
    mut config: LaunchConfig,
) -> Result<PluginProcess, LaunchError> {
    if config.handshake.magic_cookie_key.is_empty() {
        return Err(LaunchError::Config("the magic cookie key is empty".into()));
    }
    let program = look_path(&cmd.program)?;
    if let Some(secure) = config.secure.clone() {
        let p = program.clone();
        let ok = tokio::task::spawn_blocking(move || secure.check(&p))
            .await
            .map_err(|e| LaunchError::Checksum(SecureConfigError::Io(io::Error::other(e))))?
            .map_err(LaunchError::Checksum)?;
        if !ok {
            return Err(LaunchError::ChecksumMismatch);
        }
    }

    let versions = config.effective_versions();
    let mut vars = plugin_vars(
        &config.handshake,
        &versions,
        config.min_port,
        config.max_port,
    );
    if let Some(pem) = config.client_cert_pem.take() {
        vars.push((ENV_CLIENT_CERT.to_owned(), pem));
    }
    let env = child_env(&cmd.env, std::env::vars_os(), &vars);
    let name = config.plugin_name.take().unwrap_or_else(|| {
        program.file_name().map_or_else(
            || program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    });

    let mut command = Command::new(&program);
    command
        .args(&cmd.args)
        .env_clear()
        .envs(env)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = &cmd.current_dir {
        command.current_dir(dir);
    }
    tracing::debug!(path = %program.display(), args = ?cmd.args, "starting plugin");
    let mut child = command.spawn().map_err(|source| LaunchError::Spawn {
        program: program.clone(),
        source,
    })?;
    let pid = child.id().unwrap_or_default();
    tracing::debug!(path = %program.display(), pid, "plugin started");
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let (kill_tx, kill_rx) = mpsc::unbounded_channel();
    let (state_tx, state_rx) = watch::channel(State::Running);
    tokio::spawn(reaper(child, kill_rx, state_tx, pid, program.clone()));

    let tail = Arc::new(Mutex::new(StderrTail::default()));
    let stderr_task = stderr.map(|e| {
        tokio::spawn(relay_stderr(
            e,
            name.clone(),
            config.stderr.take(),
            Arc::downgrade(&tail),
        ))
    });

    let mut process = PluginProcess {
        handshake: Handshake {
            core_version: 1,
            app_version: 0,
            address: PluginAddr::Unix(PathBuf::new()),
            protocol: Protocol::NetRpc,
            server_cert: None,
        },
        pid,
        name,
        kill_tx,
        state: state_rx,
        stderr_task,
        stdout_task: None,
    };

    let Some(stdout) = stdout else {
        process.kill().await;
        return Err(LaunchError::Stdout(io::Error::other("stdout pipe missing")));
    };
    let mut reader = handshake_reader(stdout);
    let deadline = Instant::now() + config.start_timeout;
    tracing::debug!(path = %program.display(), "waiting for RPC address");

    enum First {
        Line(io::Result<Option<(Vec<u8>, bool)>>),
        Exited,
        Timeout,
    }
    let first = tokio::select! {
        biased;
        r = reader.read_line() => First::Line(r),
        _ = wait_exit(process.state.clone()) => First::Exited,
        _ = tokio::time::sleep_until(deadline) => First::Timeout,
    };

    let read = match first {
        First::Line(r) => first_line(r, &versions, &config.allowed_protocols, &system_resolver),
        First::Exited => Some(Err(LaunchError::Exited {
            status: process.exit_status(),
            stderr: Vec::new(),
        })),
        First::Timeout => Some(Err(LaunchError::Timeout { stderr: Vec::new() })),
    };
    let result = match read {
        Some(result) => result,
        None => {
            // stdout closed: usually the process is exiting; give it a moment to be reaped so the
            // error can say how it ended.
            let grace = deadline
                .saturating_duration_since(Instant::now())
                .min(CLOSED_STDOUT_REAP_WAIT);
            match tokio::time::timeout(grace, wait_exit(process.state.clone())).await {
                Ok(status) => Err(LaunchError::Exited {
                    status,
                    stderr: Vec::new(),
                }),
                Err(_) => Err(LaunchError::StdoutClosed { stderr: Vec::new() }),
            }
        }
    };

    match result {
        Ok(handshake) => {
            tracing::debug!(version = handshake.app_version, "using plugin");
            process.handshake = handshake;
            process.stdout_task = Some(tokio::spawn(async move {
                // Go reads and discards stdout lines after the handshake for the process's life.
                while let Ok(Some(_)) = reader.read_line().await {}
            }));
            Ok(process)
        }
        Err(mut e) => {
            process.kill().await;
            let lines = tail.lock().map(|t| t.snapshot()).unwrap_or_default();
            match &mut e {
                LaunchError::Timeout { stderr }
                | LaunchError::Exited { stderr, .. }
                | LaunchError::StdoutClosed { stderr } => *stderr = lines,
                _ => {}
            }
            Err(e)
        }
    }
}

/// The reader of a launched plugin's stdout: lines as Go's `bufio.Reader` returns them, at
/// most [`MAX_HANDSHAKE_LINE`] bytes (go-plugin reads the handshake with a `bufio.Scanner`).
pub(crate) fn handshake_reader<R: tokio::io::AsyncRead + Unpin>(stdout: R) -> LineReader<R> {
    LineReader::new(stdout, MAX_HANDSHAKE_LINE + 1)
}

/// What [`launch`] makes of the first read from stdout: the parsed handshake or why it was
/// refused; `None` when stdout ended before any line (the caller then asks how the process
/// ended). Also the fuzz entry's code path (`fuzzing::handshake_from_stdout`), with a fake
/// resolver.
pub(crate) fn first_line(
    read: io::Result<Option<(Vec<u8>, bool)>>,
    versions: &[u32],
    allowed_protocols: &[Protocol],
    resolve: &Resolver,
) -> Option<Result<Handshake, LaunchError>> {
    match read {
        Ok(Some((_, true))) => Some(Err(LaunchError::LineTooLong)),
        Ok(Some((line, false))) => {
            let line = String::from_utf8_lossy(&line);
            Some(
                parse_line_with(&line, versions, allowed_protocols, resolve)
                    .map_err(LaunchError::from),
            )
        }
        Err(e) => Some(Err(LaunchError::Stdout(e))),
        Ok(None) => None,
    }
}

/// Whether a process with this pid exists and may be signalled by us (`kill(pid, 0)` succeeds),
/// go-plugin's `pidAlive` used for reattached plugins. Note: a zombie still counts as alive, and —
/// as in Go — a process we may not signal (`EPERM`) counts as gone. Pid 0 and values above
/// `i32::MAX` are never alive (they would address process groups).
pub fn pid_alive(pid: u32) -> bool {
    match to_pid(pid) {
        Some(p) => nix::sys::signal::kill(p, None).is_ok(),
        None => false,
    }
}

/// SIGKILLs a process by pid (go-plugin kills a reattach target whose address does not answer).
pub fn kill_pid(pid: u32) -> io::Result<()> {
    let p =
        to_pid(pid).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid pid"))?;
    nix::sys::signal::kill(p, nix::sys::signal::Signal::SIGKILL).map_err(io::Error::from)
}

/// Whether the process is still running: [`pid_alive`] and not a zombie. A reattached plugin
/// whose own parent died may stay a zombie for good (when nothing reaps it), but it no longer
/// runs.
pub fn pid_running(pid: u32) -> bool {
    pid_alive(pid) && !is_zombie(pid)
}

/// Linux: whether `/proc/<pid>/stat` reports a zombie (exited, not yet reaped by its parent).
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rfind(')')
                .and_then(|i| s[i + 1..].split_whitespace().next().map(|st| st == "Z"))
        })
        .unwrap_or(false)
}

/// go-plugin's `pidWait`: polls every `interval` (Go: 1 s) until the process no longer runs
/// ([`pid_running`]). For reattached plugins, which are not our children and cannot be waited
/// for.
pub async fn wait_for_pid_exit(pid: u32, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if !pid_running(pid) {
            return;
        }
    }
}

fn to_pid(pid: u32) -> Option<nix::unistd::Pid> {
    match i32::try_from(pid) {
        Ok(p) if p > 0 => Some(nix::unistd::Pid::from_raw(p)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn reattach_json_like_go() {
        // Go: json.Marshal(&plugin.ReattachConfig{Protocol: "netrpc", Addr: unixAddr, Pid: 42})
        let rc = ReattachConfig {
            protocol: Protocol::NetRpc,
            protocol_version: 0,
            addr: PluginAddr::Unix("/tmp/plugin123".into()),
            pid: 42,
            test: false,
        };
        let s = serde_json::to_string(&rc).unwrap();
        assert_eq!(
            s,
            r#"{"Protocol":"netrpc","ProtocolVersion":0,"Addr":{"Name":"/tmp/plugin123","Net":"unix"},"Pid":42,"Test":false}"#
        );
        assert_eq!(serde_json::from_str::<ReattachConfig>(&s).unwrap(), rc);
        let tcp = r#"{"Protocol":"","ProtocolVersion":0,"Addr":{"IP":"127.0.0.1","Port":1234,"Zone":""},"Pid":42,"Test":true}"#;
        let rc: ReattachConfig = serde_json::from_str(tcp).unwrap();
        assert_eq!(rc.protocol, Protocol::NetRpc);
        assert_eq!(rc.addr, PluginAddr::Tcp("127.0.0.1:1234".parse().unwrap()));
        assert!(rc.test);
    }

    #[test]
    fn defaults_match_go_plugin() {
        let c = LaunchConfig::default();
        assert_eq!(c.start_timeout, Duration::from_secs(60));
        assert_eq!((c.min_port, c.max_port), (10000, 25000));
        assert_eq!(c.allowed_protocols, vec![Protocol::NetRpc]);
        assert!(c.secure.is_none() && c.stderr.is_none());
        let mut c = LaunchConfig::new(HandshakeConfig {
            protocol_version: 4,
            magic_cookie_key: "K".into(),
            magic_cookie_value: "V".into(),
        });
        assert_eq!(c.effective_versions(), vec![4]);
        c.host_versions = vec![1, 2];
        assert_eq!(c.effective_versions(), vec![1, 2]);
    }

    #[test]
    fn look_path_like_go() {
        assert_eq!(
            look_path(Path::new("/bin/sh")).unwrap(),
            PathBuf::from("/bin/sh")
        );
        assert!(look_path(Path::new("sh")).unwrap().is_absolute());
        assert_eq!(
            look_path(Path::new("no-such-plugin-binary-xyz"))
                .unwrap_err()
                .to_string(),
            "exec: \"no-such-plugin-binary-xyz\": executable file not found in $PATH"
        );
    }

    #[test]
    fn pid_guards() {
        assert!(!pid_alive(0));
        assert!(!pid_alive(u32::MAX));
        assert!(pid_alive(std::process::id()));
        assert!(kill_pid(0).is_err());
    }
}
