//! Go `net/rpc` client and server over gob, wire-compatible with Go's standard library.
//!
//! Any byte stream works as transport (`AsyncRead + AsyncWrite + Send + Unpin + 'static`: a
//! unix socket, a yamux stream, an in-memory duplex). Each direction of a stream has one gob
//! encoder and one decoder for its whole life, exactly like Go's `gobClientCodec` /
//! `gobServerCodec`; every call is a [`Request`] header followed by the argument, every reply a
//! [`Response`] header followed by the reply value (spec §7).
//!
//! - [`Client`]: many calls in flight on one stream, replies matched by sequence number (from
//!   0), Go's error semantics and texts ([`RpcError`]).
//! - [`Server`]: typed async handlers registered as `Service.Method`; the calls of one stream
//!   run concurrently and their replies are written in completion order; invalid requests get
//!   Go's exact error texts.
//!
//! ```
//! use tilores_plugin::gob::Gob;
//! use tilores_plugin::rpc::{Client, Server};
//!
//! #[derive(Gob, Debug, Default, Clone, PartialEq)]
//! #[gob(go_type = "main.Args")]
//! struct Args {
//!     #[gob(name = "A")]
//!     a: i64,
//!     #[gob(name = "B")]
//!     b: i64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = Server::new();
//! server
//!     .register_fn("Arith", "Multiply", |args: Args| async move {
//!         Ok::<_, String>(args.a * args.b)
//!     })
//!     .unwrap();
//!
//! let (client_io, server_io) = tokio::io::duplex(64 * 1024);
//! let srv = server.clone();
//! tokio::spawn(async move { srv.serve(server_io).await });
//!
//! let client = Client::new(client_io);
//! let product: i64 = client.call("Arith.Multiply", &Args { a: 7, b: 8 }).await.unwrap();
//! assert_eq!(product, 56);
//! let err = client.call::<_, i64>("Arith.Divide", &Args::default()).await.unwrap_err();
//! assert_eq!(err.to_string(), "rpc: can't find method Arith.Divide");
//! client.close().await.unwrap();
//! # }
//! ```
//!
//! # Differences from Go
//!
//! - A handler that panics does not take the process down (Go's server does not recover);
//!   the caller gets the error reply `rpc: method <Service.Method> panicked: <message>`.
//! - A [`gob::Decode`] implementation that panics (a reply type on a client, an argument
//!   type on a server) ends that connection with [`RpcError::DecodePanicked`] instead of
//!   the process: a client fails every pending call with it; a server answers the request
//!   with `rpc: decoding the argument of <Service.Method> panicked: <message>`, lets running
//!   calls reply and closes the connection.
//! - A handler error with an empty text would make Go send the (unset) reply value as a
//!   success; there is no reply value here, so the error text
//!   `rpc: method <Service.Method> returned an empty error` is sent instead.
//! - When an argument or reply value cannot be gob-encoded, nothing of it is written, and then
//!   the stream's write side is closed: the gob encoder may already count type definitions of
//!   the failed value as sent, so later values could not be decoded by the peer. (Go writes a
//!   partial message in that case and corrupts the stream.)
//! - An undecodable argument is answered with Go's text for the type checks Go performs
//!   before decoding (e.g. `gob: type mismatch in decoder: want struct type main.EchoArgs;
//!   got non-struct`); other decode errors carry this crate's gob error text.
//! - Memory is bounded: a header or body needing more than [`Config::max_buffered`] bytes
//!   ends the connection ([`RpcError::TooLarge`]), and a server runs at most
//!   [`Config::max_in_flight`] calls per stream (it stops reading the stream at the limit).
//! - Waits can be bounded: [`Client::call_timeout`] ends a call
//!   with [`RpcError::DeadlineExceeded`] (Go's callers use a context for that).
//! - [`Client::close`] fails the pending calls with `connection is shut down` (Go's pending
//!   calls get the transport's "use of closed network connection" error instead).

mod client;
mod error;
mod framed;
mod server;
mod wire;
mod writer;

pub(crate) use client::within;
pub use client::Client;
pub use error::{RegisterError, RpcError};
pub use server::Server;
pub use wire::{Request, Response};

/// Messages a read loop handles before it yields to the tasks it woke.
const YIELD_EVERY: usize = 16;

/// A read loop's yield budget: every [`YIELD_EVERY`] messages it lets the tasks it woke run
/// (callers of the replies read so far, handlers of the requests read so far), so that on a
/// single-threaded runtime early replies leave while the rest of a large batch is still being
/// read, and the peer works on them in parallel instead of in lockstep.
#[derive(Default)]
struct YieldBudget(usize);

impl YieldBudget {
    /// Counts one message; yields when the budget is used up.
    async fn tick(&mut self) {
        self.0 += 1;
        if self.0 == YIELD_EVERY {
            self.0 = 0;
            tokio::task::yield_now().await;
        }
    }
}

/// Default largest gob message accepted from a peer: 128 MiB (room for a 64 MiB `[]byte`).
pub const DEFAULT_MAX_MESSAGE: u64 = 128 << 20;

/// Limits and queue sizes of a client or server connection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Limits of the gob decoder (largest message, nesting depth, type definitions).
    pub limits: gob::Limits,
    /// Most bytes buffered while waiting for one header or body to be complete (its type
    /// definitions included). Beyond this the connection ends with [`RpcError::TooLarge`].
    pub max_buffered: usize,
    /// Encoded messages queued for the writer before senders wait.
    pub write_queue: usize,
    /// Server side: most calls of one stream running (or waiting for their reply to be
    /// written) at once, [`DEFAULT_MAX_IN_FLIGHT`] by default. At the limit
    /// [`Server::serve`] stops reading that stream until a call has finished; the peer's
    /// further requests wait in the transport (a yamux stream's window, a socket buffer), so
    /// a peer that pipelines requests and never reads the replies holds at most this many
    /// calls' memory in the server. Go's server has no limit (one goroutine per request).
    /// `0` counts as 1. Not used by a [`Client`].
    pub max_in_flight: usize,
}

/// Default [`Config::max_in_flight`]: 256 calls per stream, far more than a go-plugin host
/// keeps in flight (tilores issues one call per request goroutine) and enough to keep a
/// pipelining peer busy, while 256 tasks with small arguments take well under 1 MiB.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: gob::Limits::default(),
            max_buffered: 0,
            write_queue: 64,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
        .with_max_message(DEFAULT_MAX_MESSAGE)
    }
}

impl Config {
    /// Sets the largest gob message accepted to `bytes`, and [`Config::max_buffered`] to
    /// `bytes` plus 1 MiB for type definitions and headers.
    pub fn with_max_message(mut self, bytes: u64) -> Self {
        self.limits.max_message = bytes;
        self.max_buffered = usize::try_from(bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(1 << 20);
        self
    }
}

/// The message of a caught panic (a `&str` or `String` payload), for error texts.
pub(crate) fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

#[cfg(test)]
mod tests;
