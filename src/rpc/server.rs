//! The net/rpc server (Go's `rpc.Server` with the gob codec).

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use futures::FutureExt;
use gob::{Decode, Decoder, Empty, Encode, Step};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::error::{go_decode_error_text, RegisterError, RpcError};
use super::framed::{Frame, FrameReader, ReadError};
use super::wire::{Discard, Request, Response};
use super::writer::{SendError, WriteSide};
use super::Config;

/// A reply value ready to be encoded, whatever its type.
type Reply = Box<dyn Encode + Send + Sync>;
/// A running handler: its reply, or the error text to send.
type HandlerFuture = Pin<Box<dyn Future<Output = Result<Reply, String>> + Send>>;

/// The methods of one service, by name.
type Methods = HashMap<String, Arc<dyn Method>>;

/// A registered method with its argument type erased.
trait Method: Send + Sync {
    /// Decodes the argument from the buffered input; on success returns the (not yet polled)
    /// handler future.
    fn decode(
        &self,
        dec: &mut Decoder,
        input: &[u8],
        complete: bool,
    ) -> gob::Result<Step<HandlerFuture>>;
}

struct FnMethod<A, F> {
    f: Arc<F>,
    _arg: std::marker::PhantomData<fn(A)>,
}

impl<A, R, E, F, Fut> Method for FnMethod<A, F>
where
    A: Decode + Send + 'static,
    R: Encode + Send + Sync + 'static,
    E: std::fmt::Display,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
{
    fn decode(
        &self,
        dec: &mut Decoder,
        input: &[u8],
        complete: bool,
    ) -> gob::Result<Step<HandlerFuture>> {
        Ok(dec.decode_next::<A>(input, complete)?.map(|arg| {
            let f = self.f.clone();
            // `f` itself runs inside the spawned task (so a panic in it is caught there).
            let fut: HandlerFuture = Box::pin(async move {
                match f(arg).await {
                    Ok(r) => Ok(Box::new(r) as Reply),
                    Err(e) => Err(e.to_string()),
                }
            });
            fut
        }))
    }
}

/// A net/rpc server: a registry of `Service.Method` handlers, served on any number of
/// streams.
///
/// Cloning is cheap and shares the registry and the shutdown signal. Per stream
/// ([`Server::serve`]) it behaves like Go's `ServeConn`: it reads a request header and its
/// argument, runs the handler in its own task (calls of one stream run concurrently), and
/// writes each reply header+body as one unit, in completion order. Invalid requests are
/// answered with Go's texts (`rpc: service/method request ill-formed: X`,
/// `rpc: can't find service X`, `rpc: can't find method X`, or the gob error for an
/// undecodable argument) and an empty-struct body, and the stream stays usable — except after
/// an argument refused for an unregistered interface name
/// ([`gob::ErrorKind::UnregisteredName`]): Go's decoder is then left inside the body, its next
/// header read fails and Go closes the connection, so this server answers that call, stops
/// reading, lets the running calls reply and closes the stream.
///
/// Unlike Go, at most [`Config::max_in_flight`] calls of one stream run at once; beyond that
/// the server stops reading the stream until one has finished.
#[derive(Clone, Default)]
pub struct Server {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    services: RwLock<HashMap<String, Methods>>,
    config: Config,
    /// Stop reading requests; running calls still reply.
    stop: CancellationToken,
    /// Abandon running calls and close the streams.
    shutdown: CancellationToken,
}

/// How long queued replies may still take to be written once a stream is closed by
/// [`Server::shutdown`].
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let services = self
            .inner
            .services
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let mut names: Vec<String> = services
            .iter()
            .flat_map(|(s, ms)| ms.keys().map(move |m| format!("{s}.{m}")))
            .collect();
        names.sort();
        f.debug_struct("Server")
            .field("methods", &names)
            .field("stopping", &self.inner.stop.is_cancelled())
            .field("shut_down", &self.inner.shutdown.is_cancelled())
            .finish()
    }
}

impl Server {
    /// A server with no methods and the default [`Config`].
    pub fn new() -> Server {
        Server::default()
    }

    /// A server with no methods and the given limits.
    pub fn with_config(config: Config) -> Server {
        Server {
            inner: Arc::new(Inner {
                config,
                ..Inner::default()
            }),
        }
    }

    /// Registers `handler` as `service.method`.
    ///
    /// The handler is an async function of the decoded argument (`A`, any [`gob::Decode`]
    /// type: Go's argument type) returning the reply (`R`, any [`gob::Encode`] type: what
    /// Go's reply pointer points to) or an error whose `Display` text is sent to the caller
    /// (Go's `err.Error()`). Methods may be added while streams are being served.
    ///
    /// Fails when the names are not usable (`service` empty, `method` empty or containing a
    /// `.`) or `service.method` is already registered.
    pub fn register_fn<A, R, E, F, Fut>(
        &self,
        service: &str,
        method: &str,
        handler: F,
    ) -> Result<(), RegisterError>
    where
        A: Decode + Send + 'static,
        R: Encode + Send + Sync + 'static,
        E: std::fmt::Display,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
    {
        if service.is_empty() || method.is_empty() || method.contains('.') {
            return Err(RegisterError::InvalidName(format!("{service}.{method}")));
        }
        let mut services = self
            .inner
            .services
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let methods = services.entry(service.to_string()).or_default();
        if methods.contains_key(method) {
            return Err(RegisterError::Duplicate(format!("{service}.{method}")));
        }
        methods.insert(
            method.to_string(),
            Arc::new(FnMethod {
                f: Arc::new(handler),
                _arg: std::marker::PhantomData,
            }),
        );
        Ok(())
    }

    /// Stops the server at once: every [`Server::serve`] stops reading, abandons its running
    /// handlers, writes the replies already encoded (for at most one second), closes its
    /// stream and returns. Later `serve` calls return at once.
    pub fn shutdown(&self) {
        self.inner.stop.cancel();
        self.inner.shutdown.cancel();
    }

    /// Stops the server gracefully: every [`Server::serve`] stops reading requests, lets the
    /// running handlers finish and their replies be written, then closes its stream and
    /// returns. Later `serve` calls return at once. [`Server::shutdown`] still abandons
    /// handlers that take too long.
    ///
    /// This is how a plugin answers `Control.Quit` before exiting: the Quit handler triggers
    /// `stop`, and the process exits once `serve` has returned (the reply is then written).
    pub fn stop(&self) {
        self.inner.stop.cancel();
    }

    /// True once [`Server::stop`] or [`Server::shutdown`] was called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.stop.is_cancelled()
    }

    fn lookup(&self, service_method: &str) -> Result<Arc<dyn Method>, String> {
        let Some(dot) = service_method.rfind('.') else {
            return Err(format!(
                "rpc: service/method request ill-formed: {service_method}"
            ));
        };
        let services = self
            .inner
            .services
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let Some(methods) = services.get(&service_method[..dot]) else {
            return Err(format!("rpc: can't find service {service_method}"));
        };
        methods
            .get(&service_method[dot + 1..])
            .cloned()
            .ok_or_else(|| format!("rpc: can't find method {service_method}"))
    }

    /// Serves requests on `stream` until the peer closes it (or sends something that is not
    /// a request header), then waits for the running handlers to reply and closes the stream
    /// (Go's `ServeConn`). [`Server::stop`] ends the reading the same way;
    /// [`Server::shutdown`] also abandons the running handlers.
    ///
    /// `Ok` when the stream ended cleanly at a message boundary or on shutdown; otherwise the
    /// error that ended the reading (an undecodable header, an I/O error, a value beyond the
    /// limits). As in Go, nothing is sent to the peer about that error.
    pub async fn serve<S>(&self, stream: S) -> Result<(), RpcError>
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let config = &self.inner.config;
        let (rd, wr) = tokio::io::split(stream);
        let cancel = self.inner.shutdown.child_token();
        let writer = Arc::new(WriteSide::spawn(
            wr,
            config.write_queue,
            cancel.clone(),
            Some(LINGER),
            Box::new(|_, _| {}),
        ));
        let mut reader = FrameReader::new(rd, config);
        let mut tasks = JoinSet::new();

        let result = tokio::select! {
            biased;
            _ = cancel.cancelled() => Ok(()),
            _ = self.inner.stop.cancelled() => Ok(()),
            r = self.read_requests(&mut reader, &writer, &mut tasks, &cancel) => r,
        };
        // No more requests: let the running calls reply (unless shutting down), then close.
        let drained = tokio::select! {
            biased;
            _ = cancel.cancelled() => false,
            _ = async { while tasks.join_next().await.is_some() {} } => true,
        };
        if !drained {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        writer.close().await;
        result
    }

    async fn read_requests<R>(
        &self,
        reader: &mut FrameReader<R>,
        writer: &Arc<WriteSide>,
        tasks: &mut JoinSet<()>,
        cancel: &CancellationToken,
    ) -> Result<(), RpcError>
    where
        R: AsyncRead + Unpin,
    {
        let mut budget = super::YieldBudget::default();
        let max_in_flight = self.inner.config.max_in_flight.max(1);
        loop {
            // Reap finished calls.
            while tasks.try_join_next().is_some() {}
            // Backpressure: at the limit, read nothing more until a call has finished (its
            // reply written or queued). The peer's requests wait in the transport.
            while tasks.len() >= max_in_flight {
                tasks.join_next().await;
            }
            budget.tick().await;
            let req = match reader
                .decode_with(|d, b, c| d.decode_next::<Request>(b, c))
                .await
            {
                Ok(Frame::Value(r)) => r,
                Ok(Frame::Eof) => return Ok(()),
                Err(ReadError::Gob(e)) => return Err(RpcError::Protocol(e)),
                Err(ReadError::Rpc(e)) => return Err(e),
            };
            let method = match self.lookup(&req.service_method) {
                Ok(m) => m,
                Err(text) => {
                    // Go reads (and ignores errors of) the body before answering.
                    let body = reader
                        .decode_with(|d, b, c| d.decode_next::<Discard>(b, c))
                        .await;
                    let stop = match body {
                        Ok(Frame::Value(Discard)) => false,
                        Ok(Frame::Eof) => true,
                        Err(ReadError::Gob(_)) => {
                            skip(reader).await?;
                            false
                        }
                        Err(ReadError::Rpc(RpcError::UnexpectedEof)) => true,
                        Err(ReadError::Rpc(e)) => return Err(e),
                    };
                    send_reply(writer, cancel, req, Err(text)).await;
                    if stop {
                        return Ok(());
                    }
                    continue;
                }
            };
            match reader.decode_with(|d, b, c| method.decode(d, b, c)).await {
                Ok(Frame::Value(fut)) => {
                    let writer = writer.clone();
                    let cancel = cancel.clone();
                    tasks.spawn(async move {
                        let reply = match AssertUnwindSafe(fut).catch_unwind().await {
                            Ok(Ok(r)) => Ok(r),
                            Ok(Err(text)) if text.is_empty() => Err(format!(
                                "rpc: method {} returned an empty error",
                                req.service_method
                            )),
                            Ok(Err(text)) => Err(text),
                            Err(panic) => Err(format!(
                                "rpc: method {} panicked: {}",
                                req.service_method,
                                super::panic_text(&*panic)
                            )),
                        };
                        send_reply(&writer, &cancel, req, reply).await;
                    });
                }
                // The argument is missing: answer like Go (`EOF` / `unexpected EOF`), stop.
                Ok(Frame::Eof) => {
                    send_reply(writer, cancel, req, Err("EOF".into())).await;
                    return Ok(());
                }
                Err(ReadError::Rpc(RpcError::UnexpectedEof)) => {
                    send_reply(writer, cancel, req, Err("unexpected EOF".into())).await;
                    return Ok(());
                }
                Err(ReadError::Rpc(RpcError::DecodePanicked(text))) => {
                    // The decoder's state is unknown: answer this request, then end.
                    let answer = format!(
                        "rpc: decoding the argument of {} panicked: {text}",
                        req.service_method
                    );
                    send_reply(writer, cancel, req, Err(answer)).await;
                    return Err(RpcError::DecodePanicked(text));
                }
                Err(ReadError::Rpc(e)) => return Err(e),
                Err(ReadError::Gob(e)) => {
                    // Go answers with the decoder's error and goes on with the next request,
                    // except after an unregistered interface name: Go's decoder stops before
                    // the concrete type's definitions that follow the name, so the rest of
                    // that body desynchronises its stream, the next header fails to decode
                    // and `ServeCodec` closes the connection after the running calls have
                    // replied. Stop reading likewise (`serve` then drains and closes).
                    let desyncs_go = matches!(e.kind(), gob::ErrorKind::UnregisteredName(_));
                    let remote = reader.peek_value_type();
                    let text =
                        go_decode_error_text(&e, remote.map(|id| (id, reader.decoder().types())));
                    reader.skip_failed_value(&e).await.map_err(|e| match e {
                        ReadError::Gob(e) => RpcError::Protocol(e),
                        ReadError::Rpc(e) => e,
                    })?;
                    send_reply(writer, cancel, req, Err(text)).await;
                    if desyncs_go {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Drops the messages of a body the decoder failed on.
async fn skip<R: AsyncRead + Unpin>(reader: &mut FrameReader<R>) -> Result<(), RpcError> {
    match reader.skip_value().await {
        Ok(_) => Ok(()),
        Err(ReadError::Gob(e)) => Err(RpcError::Protocol(e)),
        Err(ReadError::Rpc(e)) => Err(e),
    }
}

/// Writes one reply (Go's `sendResponse`): the header, then the reply value or, for an
/// error, an empty struct.
async fn send_reply(
    writer: &WriteSide,
    cancel: &CancellationToken,
    req: Request,
    reply: Result<Reply, String>,
) {
    let (error, body): (String, Reply) = match reply {
        Ok(body) => (String::new(), body),
        Err(text) => (text, Box::new(Empty)),
    };
    let Request {
        service_method,
        seq,
    } = req;
    let header = move |seq| Response {
        service_method,
        seq,
        error,
    };
    let sent = tokio::select! {
        biased;
        _ = cancel.cancelled() => return,
        r = writer.send(|| Ok(seq), header, &*body) => r,
    };
    if let Err(SendError::Encode(..)) = sent {
        // Go closes the connection when a reply cannot be encoded.
        cancel.cancel();
    }
}
