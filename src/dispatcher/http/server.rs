//! The provider side: go-plugin v0.1.x's `ListenAndServe` with tilores-plugin-api v0.7.x's
//! `dispatcher.Provide`.

use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::UnixListener;
use tokio::task::JoinSet;

use super::super::gojson;
use super::super::methods::{MethodInput, MethodOutput};
use super::super::service::{CallContext, DispatchError, Dispatcher};
use super::super::types::*;
use super::{answer_body, conn, envelope, error_body, LISTEN_FAILED_LINE, READY_LINE, SOCKET_ENV};

/// Default body limit of both sides: the net/rpc side's message limit.
pub(super) const MAX_BODY: usize = crate::rpc::DEFAULT_MAX_MESSAGE as usize;

/// How much of an unread request body is read before answering (Go's
/// `maxPostHandlerReadBytes`, 256 KiB).
const UNREAD_BODY_DRAIN: usize = 256 << 10;

/// Limits and shape of a [`serve_http`] server. Start from [`HttpServerConfig::default`] and
/// set the fields to change.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpServerConfig {
    /// Largest request body accepted (Go has no limit); a larger one is answered 422
    /// `http: request body too large` (the text of Go's `http.MaxBytesReader`) and the
    /// connection closed. Default 128 MiB, the net/rpc side's
    /// [`DEFAULT_MAX_MESSAGE`](crate::rpc::DEFAULT_MAX_MESSAGE). The body is decoded whole, so
    /// a request costs a few times its size in memory.
    pub max_body: usize,
    /// How long a request's headers may take from its first byte (go-plugin v0.1.2:
    /// `ReadHeaderTimeout` 3 s; v0.1.0 has none). Idle keep-alive connections are kept, as
    /// Go keeps them (no `IdleTimeout`).
    pub header_read_timeout: Duration,
    /// Connections served at once (Go has no limit); further ones wait to be accepted.
    /// Default 256.
    pub max_connections: usize,
    /// How long a request's body may take once its headers arrived (not in Go, which waits
    /// forever: a host that stalls mid-body must not hold the connection). Default 30 s, the
    /// Go host's whole-request timeout.
    pub body_read_timeout: Duration,
    /// Write empty output slices as `[]` (Go's non-nil empty slice) rather than `null` (Go's
    /// nil slice, the default: see the dispatcher's "nil versus empty"), for implementations
    /// whose Go original builds every output slice non-nil, as the Go fake dispatcher v0.6.0
    /// does.
    pub empty_slices_as_arrays: bool,
}

impl Default for HttpServerConfig {
    fn default() -> Self {
        HttpServerConfig {
            max_body: MAX_BODY,
            header_read_timeout: Duration::from_secs(3),
            max_connections: 256,
            body_read_timeout: Duration::from_secs(30),
            empty_slices_as_arrays: false,
        }
    }
}

/// Why [`serve_http_dispatcher`] could not serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpServeError {
    /// `PLUGIN_SOCKET` is unset or empty (go-plugin's text).
    #[error("no socket provided, please provide one using the PLUGIN_SOCKET environment variable")]
    NoSocket,
    /// Listening on the socket failed (after `failed to listen on socket` was printed).
    #[error("listen unix {path}: {source}")]
    Listen {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Installing the SIGTERM/SIGINT handlers failed.
    #[error("installing signal handlers: {0}")]
    Signals(std::io::Error),
}

/// A dispatcher plugin's `main` for TiloRes' HTTP plugin protocol (go-plugin v0.1.x
/// `plugin.ListenAndServe(dispatcher.Provide(impl))`): listens on `$PLUGIN_SOCKET` with the
/// umask set to 0077 (as Go sets it, for the whole process), prints `plugin is ready` on
/// stdout and serves until SIGTERM or SIGINT. Then it stops accepting, cuts the open
/// connections (Go's `http.Server.Close`: in-flight calls are not drained), removes the
/// socket file (Go's listener `Close` unlinks it) and returns `Ok`.
pub async fn serve_http_dispatcher<D: Dispatcher + 'static>(
    implementation: Arc<D>,
    config: HttpServerConfig,
) -> Result<(), HttpServeError> {
    let socket = std::env::var_os(SOCKET_ENV).unwrap_or_default();
    if socket.is_empty() {
        return Err(HttpServeError::NoSocket);
    }
    let socket = PathBuf::from(socket);
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(HttpServeError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(HttpServeError::Signals)?;
    // go-plugin server.go: "ensure that the unix socket can only be accessed by the current
    // user" — syscall.Umask(0077) before net.Listen, left in place.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let listener = match UnixListener::bind(&socket) {
        Ok(l) => l,
        Err(source) => {
            say(LISTEN_FAILED_LINE);
            return Err(HttpServeError::Listen {
                path: socket,
                source,
            });
        }
    };
    say(READY_LINE);
    let shutdown = async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    };
    serve_http(implementation, listener, config, shutdown).await;
    remove_socket(&socket);
    Ok(())
}

/// A line on stdout, where go-plugin's provider writes its messages; a host that closed the
/// pipe does not matter (Go ignores the write error too).
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

fn remove_socket(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::debug!(error = %e, "removing the plugin socket");
        }
    }
}

/// Serves `implementation` on `listener` until `shutdown` completes; then the open
/// connections are cut. Each connection is HTTP/1.1 with keep-alive; requests on it are
/// answered in order, connections concurrently. Accept errors (e.g. out of file descriptors)
/// are logged and retried after 100 ms, as Go's server retries temporary ones.
pub async fn serve_http<D: Dispatcher + 'static>(
    implementation: Arc<D>,
    listener: UnixListener,
    config: HttpServerConfig,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let config = Arc::new(config);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // EMFILE and the like: back off instead of spinning (Go's
                        // http.Server sleeps up to 1 s after temporary accept errors).
                        tracing::warn!(error = %e, "accepting a plugin connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    // At the limit: wait for a slot with this connection in hand (the host
                    // waits for its answer meanwhile, within its own timeout).
                    let Ok(permit) = slots.clone().acquire_owned().await else { break };
                    spawn_connection(&mut connections, stream, permit, &implementation, &config);
                    continue;
                };
                spawn_connection(&mut connections, stream, permit, &implementation, &config);
            }
            // Reap finished connection tasks so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

fn spawn_connection<D: Dispatcher + 'static>(
    connections: &mut JoinSet<()>,
    stream: tokio::net::UnixStream,
    permit: tokio::sync::OwnedSemaphorePermit,
    implementation: &Arc<D>,
    config: &Arc<HttpServerConfig>,
) {
    let implementation = implementation.clone();
    let config = config.clone();
    connections.spawn(async move {
        let _permit = permit;
        // Woken by incoming data only (see `mux::UnixSocket`).
        let Ok(stream) = crate::mux::UnixSocket::from_tokio(stream) else {
            return;
        };
        let handling = Arc::new(conn::Handling::default());
        let io = conn::TimedConn::new(stream, handling.clone(), config.header_read_timeout);
        let service = hyper::service::service_fn(move |req| {
            let implementation = implementation.clone();
            let config = config.clone();
            let handling = handling.clone();
            async move {
                let _in = conn::InRequest::new(&handling);
                Ok::<_, Infallible>(handle(&*implementation, &config, req).await)
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        // hyper's own header timeout would also close idle connections (see `conn`).
        builder.header_read_timeout(None).keep_alive(true);
        if let Err(e) = builder.serve_connection(TokioIo::new(io), service).await {
            tracing::debug!(error = %e, "plugin connection ended");
        }
    });
}

/// One request: go-plugin's `httpHandler.ServeHTTP`.
async fn handle<D: Dispatcher>(
    implementation: &D,
    config: &HttpServerConfig,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    // Provide() comes first: an unknown path is 404 whatever the body.
    let path = req.uri().path().to_string();
    if !known_path(&path) {
        // Go's server reads up to 256 KiB of a body the handler left unread before it
        // answers and closes (`maxPostHandlerReadBytes`); closing with unread bytes would
        // reset the connection, and a host could lose the 404 itself.
        let drained = tokio::time::timeout(
            config.body_read_timeout,
            Limited::new(req.into_body(), UNREAD_BODY_DRAIN).collect(),
        )
        .await;
        let mut r = not_found(&path);
        if !matches!(drained, Ok(Ok(_))) {
            r.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
        }
        return r;
    }
    let body = match tokio::time::timeout(
        config.body_read_timeout,
        Limited::new(req.into_body(), config.max_body).collect(),
    )
    .await
    {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(e)) => {
            let text = if e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                "http: request body too large".to_string()
            } else {
                e.to_string()
            };
            let mut r = answer(StatusCode::UNPROCESSABLE_ENTITY, error_body(&text));
            // The rest of the body was not read: this connection cannot carry another request.
            r.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return r;
        }
        Err(_) => {
            let mut r = answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                error_body("i/o timeout reading the request body"),
            );
            r.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return r;
        }
    };
    let node = match envelope::first_value(&body) {
        Ok(n) => n,
        Err(e) => return answer(StatusCode::UNPROCESSABLE_ENTITY, error_body(&e)),
    };
    let empty = config.empty_slices_as_arrays;
    // A panicking implementation answers 500 with the panic's text, as Go's recover() does;
    // the connection and the server go on.
    let call = std::panic::AssertUnwindSafe(invoke(implementation, &path, &node, empty));
    match call.catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            answer(StatusCode::INTERNAL_SERVER_ERROR, error_body(&text))
        }
    }
}

/// Decodes the payload as `I`, calls the implementation and builds the answer: one method of
/// the table (api v0.7.x `dispatcher/provider.go`'s `Provide` switch, derived).
async fn serve_one<I, O, Fut>(
    node: &gojson::Node,
    empty_slices: bool,
    path: &str,
    method: impl FnOnce(CallContext, I) -> Fut,
) -> Response<Full<Bytes>>
where
    I: MethodInput,
    O: MethodOutput,
    Fut: Future<Output = Result<O, DispatchError>>,
{
    let req = match envelope::decode_request::<I::Json>(node) {
        Ok(req) => req,
        Err(e) => return answer(StatusCode::UNPROCESSABLE_ENTITY, error_body(&e)),
    };
    // `{"Payload":null}` leaves Go's interface nil, and provider.go's type assertion
    // `params.(*EntityInput)` panics: go-plugin recovers it into a 500.
    let Some(json) = req.payload else {
        return answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_body(&format!(
                "interface conversion: plugin.RequestParameter is nil, not {}",
                <I as gob::GoName>::GO_NAME
            )),
        );
    };
    let input = match I::from_json(json) {
        Ok(input) => input,
        // Go would pass on what the Rust types cannot hold (a nil `*api.Record`).
        Err(e) => {
            return answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                error_body(&I::http_refusal(e)),
            )
        }
    };
    let call = match req.deadline {
        Some(d) => CallContext::with_deadline(d),
        None => CallContext::background(),
    };
    match method(call, input).await {
        Ok(out) => match answer_body(|w| out.write_json(w), empty_slices) {
            // RemoveConnectionBan's `()` writes `null`: provider.go returns (nil, err).
            Ok(b) => answer(StatusCode::OK, b),
            // Go's encoder fails after WriteHeader(200): the status is sent, the body
            // is empty and the error is printed (NaN or ±Inf in record data).
            Err(e) => {
                say(&e.to_string());
                answer(StatusCode::OK, Vec::new())
            }
        },
        // A method the implementation does not provide is, to a Go host, a path the plugin
        // does not serve: provider.go's `invalid method` 404. (The body was decoded first:
        // only the trait call can tell, so a bad body to such a path is 422, not 404.)
        Err(DispatchError::Unimplemented(_)) => not_found(path),
        Err(e) => answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_body(&e.to_string()),
        ),
    }
}

/// Go's answer to a path `Provide` does not know.
fn not_found(path: &str) -> Response<Full<Bytes>> {
    answer(
        StatusCode::NOT_FOUND,
        error_body(&format!("invalid method {path}")),
    )
}

macro_rules! http_methods {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        fn $name:ident($in:ty) -> $out:ty {
            go: $go:literal, script: $script:literal, http: $http:literal, since: $since:literal,
            serve: $serve:ident
        };
    )*) => {
        /// True when `path` is a method's path of the table.
        fn known_path(path: &str) -> bool {
            match path {
                $(
                    $(#[cfg($cfg)])?
                    $http => true,
                )*
                _ => false,
            }
        }

        /// Calls the method whose path is `path` (a [`known_path`]).
        async fn invoke<D: Dispatcher>(
            implementation: &D,
            path: &str,
            node: &gojson::Node,
            empty_slices: bool,
        ) -> Response<Full<Bytes>> {
            match path {
                $(
                    $(#[cfg($cfg)])?
                    $http => {
                        serve_one(node, empty_slices, path, |call, input: $in| {
                            implementation.$name(call, input)
                        })
                        .await
                    }
                )*
                _ => not_found(path),
            }
        }
    };
}
super::super::methods::dispatcher_methods!(http_methods);

/// An answer as Go's `ResponseWriter` sends it: no content type is set by go-plugin, so Go
/// sniffs one (`text/plain; charset=utf-8` for JSON).
fn answer(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
