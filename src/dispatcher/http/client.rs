//! The host side: tilores-plugin-api v0.7.x `dispatcher.Connect(plugin.StartWithCmd(..))`
//! on go-plugin v0.1.x.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::process::{Child, Command};

use super::super::gojson::WriteJson;
use super::super::methods::MethodOutput;
use super::super::service::{CallContext, DispatchError, Dispatcher};
use super::super::types::*;
use super::{
    decode_error_text, request_body, LISTEN_FAILED_LINE, READY_LINE, READY_TIMEOUT, SOCKET_ENV,
};
use crate::plugin::PluginCommand;
use crate::rpc::RpcError;

/// Longest stdout line matched against `plugin is ready` (Go's `bufio.Scanner` token
/// limit); longer lines are passed through but never match.
const MAX_LINE: usize = 64 * 1024;

/// Idle connections kept per client (Go's `http.Transport` default `MaxIdleConnsPerHost`: 2).
const MAX_IDLE: usize = 2;

/// How long [`HttpDispatcherClient::terminate`] waits after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);

/// Where a plugin's stdout is copied (go-plugin: the host's stdout).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputTo {
    /// This process's stdout (go-plugin's choice).
    #[default]
    Stdout,
    /// This process's stderr (keeps stdout for a program's own output).
    Stderr,
    /// Read and dropped.
    Discard,
}

/// How [`HttpDispatcherClient`] starts and calls its plugin: go-plugin v0.1.x's
/// `DefaultConfig` and fixed values, plus limits Go does not have. Start from
/// [`HttpClientConfig::default`] and set the fields to change.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpClientConfig {
    /// The socket the plugin listens on. Default: `$TMPDIR/dispatcher` (api's `Connect`:
    /// `os.TempDir() + "/dispatcher"`; hosts sharing `TMPDIR` share it, as in Go).
    pub socket: PathBuf,
    /// Whole-request limit: connect, send, answer (Go `Config.Timeout`, 30 s). The call's
    /// deadline only travels to the plugin, as in Go (its client does not pass the context
    /// to `http.Post`); this bounds the wait.
    pub timeout: Duration,
    /// Connect limit (Go `Config.ConnectTimeout`, 5 s).
    pub connect_timeout: Duration,
    /// How long to wait for `plugin is ready` (Go: 10 s).
    pub ready_timeout: Duration,
    /// Largest answer body accepted (Go has no limit). Default 128 MiB, as the net/rpc
    /// side's message limit.
    pub max_answer: usize,
    /// Where the plugin's stdout goes (its stderr always goes to this process's stderr, as
    /// in go-plugin's `StartWithCmd`).
    pub stdout: OutputTo,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            socket: std::env::temp_dir().join("dispatcher"),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            ready_timeout: READY_TIMEOUT,
            max_answer: super::server::MAX_BODY,
            stdout: OutputTo::Stdout,
        }
    }
}

/// Why starting or calling an HTTP plugin failed; `Display` is Go's text where Go has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The plugin process could not be spawned.
    #[error("{0}")]
    Spawn(std::io::Error),
    /// The plugin exited, or printed `failed to listen on socket`, before it was ready.
    #[error("plugin failed to start")]
    Failed,
    /// No `plugin is ready` within the ready timeout (Go's text names its fixed 10 s).
    #[error("could not start plugin within {} seconds", .0.as_secs())]
    NotReady(Duration),
}

/// A plugin process of TiloRes' HTTP plugin protocol and the [`Dispatcher`] calling it.
///
/// Like go-plugin's client: a request that fails with a connection error (not a timeout)
/// prints `received an error indicating that the plugin is gone: <err>` to the plugin-output
/// sink, terminates the plugin, starts it again and retries the request once; answers other
/// than 200 are errors with the plugin's text and are never retried. Calls may run
/// concurrently (one connection each, idle ones reused).
///
/// Dropping the client kills the plugin (SIGKILL); call [`HttpDispatcherClient::terminate`]
/// for go-plugin's SIGTERM.
#[derive(Debug, Clone)]
pub struct HttpDispatcherClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cmd: PluginCommand,
    config: HttpClientConfig,
    /// The running plugin and its generation (bumped by every start).
    plugin: tokio::sync::Mutex<(Option<Child>, u64)>,
    idle: Mutex<Vec<Conn>>,
}

/// One connection to the plugin: the request side and its connection task, which is ended
/// when this is dropped (a call that timed out or failed, an idle connection let go), so a
/// plugin that never finishes an answer holds no task.
#[derive(Debug)]
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    task: tokio::task::AbortHandle,
    generation: u64,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HttpDispatcherClient {
    /// Starts `cmd` with `PLUGIN_SOCKET` and waits until it is ready (api's
    /// `dispatcher.Connect(plugin.StartWithCmd(..), config)`).
    pub async fn start(cmd: PluginCommand, config: HttpClientConfig) -> Result<Self, HttpError> {
        let inner = Arc::new(Inner {
            cmd,
            config,
            plugin: tokio::sync::Mutex::new((None, 0)),
            idle: Mutex::new(Vec::new()),
        });
        {
            let mut plugin = inner.plugin.lock().await;
            let child = inner.launch().await?;
            *plugin = (Some(child), 1);
        }
        Ok(HttpDispatcherClient { inner })
    }

    /// A client of a plugin already listening on `config.socket`, started by someone else
    /// (unit tests serve an in-process [`serve_http`](super::serve_http)); a restart after a
    /// connection error fails (nothing to start).
    #[cfg(test)]
    pub(crate) fn attach(config: HttpClientConfig) -> Self {
        HttpDispatcherClient {
            inner: Arc::new(Inner {
                cmd: PluginCommand::new("/nonexistent/attached-plugin"),
                config,
                plugin: tokio::sync::Mutex::new((None, 1)),
                idle: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The plugin's process id, while it runs.
    pub async fn pid(&self) -> Option<u32> {
        self.inner
            .plugin
            .lock()
            .await
            .0
            .as_ref()
            .and_then(Child::id)
    }

    /// go-plugin's `TermFunc`: SIGTERM to the plugin; then (not in Go) waits up to 2 s for
    /// it to exit and SIGKILLs it otherwise, so no process is left behind.
    pub async fn terminate(&self) {
        self.inner.idle_clear();
        let mut plugin = self.inner.plugin.lock().await;
        if let Some(child) = plugin.0.take() {
            stop(child).await;
        }
    }

    /// Sends `POST http://plugin<path>` with `body` and returns the status and answer body:
    /// the raw call under the typed [`Dispatcher`] methods (restart and retry included).
    pub(crate) async fn call_raw(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Bytes), DispatchError> {
        let body = Bytes::from(body);
        let timeout = self.inner.config.timeout;
        let post = |generation| {
            let body = body.clone();
            async move {
                match tokio::time::timeout(timeout, self.inner.post(path, body)).await {
                    Ok(r) => r,
                    Err(_) => Err(Failure::Timeout),
                }
                .map_err(|f| (f, generation))
            }
        };
        let generation = self.inner.plugin.lock().await.1;
        match post(generation).await {
            Ok(answer) => Ok(answer),
            Err((Failure::Gone(e), generation)) => {
                let message = format!("Post \"http://plugin{path}\": {e}");
                self.inner
                    .emit(format!(
                        "received an error indicating that the plugin is gone: {message}\n"
                    ))
                    .await;
                let generation = self.inner.restart(generation).await.map_err(transport)?;
                post(generation).await.map_err(|(f, _)| f.into_error(path))
            }
            Err((f, _)) => Err(f.into_error(path)),
        }
    }

    async fn call<O: MethodOutput>(
        &self,
        path: &'static str,
        call: CallContext,
        payload: &(dyn WriteJson + Sync),
    ) -> Result<O, DispatchError> {
        // Encoded before any await: the payload is not held across the call.
        let body = request_body(call.deadline, payload).map_err(|e| DispatchError::new(e.0))?;
        let (status, answer) = self.call_raw(path, body).await?;
        if status != StatusCode::OK {
            return Err(match decode_error_text(&answer) {
                Ok(text) => DispatchError::Failed(text),
                Err(text) => transport(text),
            });
        }
        let out = O::from_http_answer(&answer).map_err(transport)?;
        super::super::script::note_json_answer(&answer);
        Ok(out)
    }
}

/// Go's `json.NewDecoder(body).Decode(response)` into a typed output: the first value counts
/// (`null` leaves the output zero); the errors are serde's texts.
pub(crate) fn decode_answer<T: DeserializeOwned + Default>(answer: &[u8]) -> Result<T, String> {
    let mut values = serde_json::Deserializer::from_slice(answer).into_iter::<Option<T>>();
    match values.next() {
        Some(Ok(v)) => Ok(v.unwrap_or_default()),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("EOF".into()),
    }
}

fn transport(text: impl std::fmt::Display) -> DispatchError {
    DispatchError::Rpc(RpcError::Io(Arc::new(std::io::Error::other(
        text.to_string(),
    ))))
}

/// Why one POST failed.
enum Failure {
    /// The plugin seems gone: connect failed, or the connection broke before an answer.
    Gone(String),
    /// The whole-request timeout passed (Go: not retried).
    Timeout,
    /// The answer was unreadable or too large (not retried: Go's `Post` had returned).
    Answer(String),
}

impl Failure {
    fn into_error(self, path: &str) -> DispatchError {
        match self {
            Failure::Gone(e) => transport(format!("Post \"http://plugin{path}\": {e}")),
            Failure::Timeout => transport(format!(
                "Post \"http://plugin{path}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
            )),
            Failure::Answer(e) => transport(e),
        }
    }
}

impl From<HttpError> for DispatchError {
    fn from(e: HttpError) -> Self {
        transport(e)
    }
}

impl Inner {
    fn idle_clear(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Writes host messages where the plugin's stdout goes (Go prints them on stdout).
    async fn emit(&self, text: String) {
        let _ = write_out(self.config.stdout, text.as_bytes()).await;
    }

    /// Terminates the plugin of `generation` (if it is still the current one) and starts a
    /// new one; returns the generation to retry on.
    async fn restart(&self, generation: u64) -> Result<u64, HttpError> {
        let mut plugin = self.plugin.lock().await;
        if plugin.1 != generation {
            // Another call restarted it meanwhile.
            return Ok(plugin.1);
        }
        self.idle_clear();
        if let Some(child) = plugin.0.take() {
            stop(child).await;
        }
        let child = self.launch().await?;
        plugin.0 = Some(child);
        plugin.1 += 1;
        Ok(plugin.1)
    }

    /// go-plugin's `cmdStarter.Start` + `startPlugin`: spawn with `PLUGIN_SOCKET`, copy
    /// stdout, wait for the ready line.
    async fn launch(&self) -> Result<Child, HttpError> {
        // go-plugin v0.1.2: a dead plugin's socket file is removed before the new start
        // (a SIGKILLed plugin leaves it, and the new one could not listen).
        let _ = std::fs::remove_file(&self.config.socket);
        let mut cmd = Command::new(&self.cmd.program);
        cmd.args(&self.cmd.args);
        // Go: cmd.Env = cmd.Env + os.Environ() + PLUGIN_SOCKET; later entries win.
        cmd.env_clear();
        for (k, v) in &self.cmd.env {
            cmd.env(k, v);
        }
        cmd.envs(std::env::vars_os());
        cmd.env(SOCKET_ENV, OsString::from(self.config.socket.clone()));
        if let Some(dir) = &self.cmd.current_dir {
            cmd.current_dir(dir);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(HttpError::Spawn)?;
        let Some(stdout) = child.stdout.take() else {
            stop(child).await;
            return Err(HttpError::Spawn(std::io::Error::other("no stdout pipe")));
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(relay_stdout(stdout, self.config.stdout, tx));
        let outcome = tokio::time::timeout(self.config.ready_timeout, async {
            tokio::select! {
                line = rx.recv() => line.unwrap_or(false),
                _ = child.wait() => false,
            }
        })
        .await;
        match outcome {
            Ok(true) => Ok(child),
            Ok(false) => {
                stop(child).await;
                Err(HttpError::Failed)
            }
            Err(_) => {
                stop(child).await;
                Err(HttpError::NotReady(self.config.ready_timeout))
            }
        }
    }

    /// One POST on an idle or new connection.
    async fn post(&self, path: &str, body: Bytes) -> Result<(StatusCode, Bytes), Failure> {
        let generation = self.plugin.lock().await.1;
        // A reused connection the plugin closed meanwhile fails before anything is answered;
        // like Go's transport, try a fresh connection before calling the plugin gone.
        loop {
            let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let (mut conn, reused) = match idle {
                Some(c) if c.generation == generation && !c.sender.is_closed() => (c, true),
                Some(_) => continue,
                None => (self.connect(generation).await?, false),
            };
            if conn.sender.ready().await.is_err() {
                if reused {
                    continue;
                }
                return Err(Failure::Gone("connection closed".into()));
            }
            // Origin form with a Host header, as Go's client writes the request line.
            let req = Request::post(path)
                .header(hyper::header::HOST, "plugin")
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .body(Full::new(body.clone()))
                .map_err(|e| Failure::Answer(e.to_string()))?;
            let response = match conn.sender.send_request(req).await {
                Ok(r) => r,
                Err(_) if reused => continue,
                Err(e) => return Err(Failure::Gone(e.to_string())),
            };
            let status = response.status();
            let answer = Limited::new(response.into_body(), self.config.max_answer)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        Failure::Answer(format!(
                            "plugin answer exceeds {} bytes",
                            self.config.max_answer
                        ))
                    } else {
                        Failure::Answer(e.to_string())
                    }
                })?
                .to_bytes();
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE && !conn.sender.is_closed() {
                idle.push(conn);
            }
            return Ok((status, answer));
        }
    }

    async fn connect(&self, generation: u64) -> Result<Conn, Failure> {
        let socket = &self.config.socket;
        let stream = tokio::time::timeout(
            self.config.connect_timeout,
            tokio::net::UnixStream::connect(socket),
        )
        .await
        .map_err(|_| Failure::Timeout)?
        .map_err(|e| {
            Failure::Gone(format!(
                "dial unix {}: connect: {}",
                socket.display(),
                io_text(&e)
            ))
        })?;
        // Woken by incoming data only (see `mux::UnixSocket`).
        let stream = crate::mux::UnixSocket::from_tokio(stream)
            .map_err(|e| Failure::Gone(format!("registering the connection: {}", io_text(&e))))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failure::Gone(e.to_string()))?;
        let task = tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "plugin connection ended");
            }
        })
        .abort_handle();
        Ok(Conn {
            sender,
            task,
            generation,
        })
    }
}

/// Go's text for a connect error (`connection refused`, `no such file or directory`).
fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    // std appends " (os error N)"; Go shows the bare errno text, lower case.
    let s = s.split(" (os error").next().unwrap_or(&s).to_string();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

/// SIGTERM, up to [`TERM_GRACE`] to exit, then SIGKILL; reaps the child.
async fn stop(mut child: Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGTERM);
    }
    if tokio::time::timeout(TERM_GRACE, child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

async fn write_out(to: OutputTo, bytes: &[u8]) -> std::io::Result<()> {
    match to {
        OutputTo::Stdout => write_flush(&mut tokio::io::stdout(), bytes).await,
        OutputTo::Stderr => write_flush(&mut tokio::io::stderr(), bytes).await,
        OutputTo::Discard => Ok(()),
    }
}

async fn write_flush(w: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await
}

/// Copies the plugin's stdout to `to` and reports the first `plugin is ready` (`true`) or
/// `failed to listen on socket` (`false`) line; keeps draining afterwards so the plugin
/// never blocks on a full pipe.
async fn relay_stdout(
    mut stdout: impl AsyncRead + Unpin,
    to: OutputTo,
    ready: tokio::sync::mpsc::Sender<bool>,
) {
    let mut buf = vec![0u8; 8192];
    let mut line = Vec::new();
    let mut overlong = false;
    let mut reported = false;
    loop {
        let n = match stdout.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let _ = write_out(to, &buf[..n]).await;
        if reported {
            continue;
        }
        for &b in &buf[..n] {
            if b != b'\n' {
                if line.len() < MAX_LINE {
                    line.push(b);
                } else {
                    overlong = true;
                }
                continue;
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if !overlong {
                if line == READY_LINE.as_bytes() {
                    reported = true;
                    let _ = ready.send(true).await;
                    break;
                }
                if line == LISTEN_FAILED_LINE.as_bytes() {
                    reported = true;
                    let _ = ready.send(false).await;
                    break;
                }
            }
            line.clear();
            overlong = false;
        }
    }
}

macro_rules! http_client_methods {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        fn $name:ident($in:ty) -> $out:ty {
            go: $go:literal, script: $script:literal, http: $http:literal, since: $since:literal,
            serve: $serve:ident
        };
    )*) => {
        /// Every method of the table, as `POST http://plugin<path>`. RemoveConnectionBan
        /// succeeds on any 200 answer whose body is one JSON value (Go's plugins answer
        /// `null`; Go's own proxy then fails with `json: Unmarshal(nil)`, which is not
        /// reproduced).
        impl Dispatcher for HttpDispatcherClient {
            $(
                $(#[cfg($cfg)])?
                async fn $name(&self, call: CallContext, input: $in) -> Result<$out, DispatchError> {
                    self.call::<$out>($http, call, &input).await
                }
            )*
        }
    };
}
super::super::methods::dispatcher_methods!(http_client_methods);
