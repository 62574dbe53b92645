//! The [`Dispatcher`] trait (Go's `dispatcher.Dispatcher` interface), the per-call
//! [`CallContext`] (the part of Go's `context.Context` that crosses the wire: the deadline)
//! and [`DispatchError`].

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gob::GoTime;

use super::types::*;
use crate::rpc::RpcError;

/// What a call carries besides its input: Go sends the caller's context deadline, and
/// nothing else of the context, as the `deadline` argument (only when there is one).
///
/// The Go client sends the deadline and then waits for the reply however long it takes;
/// [`DispatcherClient`](super::DispatcherClient) also stops waiting when the deadline passes
/// (`context deadline exceeded`), so a plugin that stalls cannot hold its caller past it.
/// The server side, as Go's, only hands the deadline to the implementation, which reads
/// [`CallContext::deadline`] or [`CallContext::remaining`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallContext {
    /// The caller's deadline (Go's `ctx.Deadline()`), with the zone offset it was sent with.
    pub deadline: Option<GoTime>,
}

impl CallContext {
    /// No deadline (Go's `context.Background()`).
    pub fn background() -> CallContext {
        CallContext::default()
    }

    /// A deadline at the given instant.
    pub fn with_deadline(deadline: GoTime) -> CallContext {
        CallContext {
            deadline: Some(deadline),
        }
    }

    /// A deadline `timeout` from now (Go's `context.WithTimeout`), in UTC.
    pub fn with_timeout(timeout: Duration) -> CallContext {
        CallContext::with_deadline(GoTime::from(SystemTime::now() + timeout))
    }

    /// Time left until the deadline: `None` without a deadline, zero once it has passed.
    pub fn remaining(&self) -> Option<Duration> {
        let d = self.deadline?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let now_nanos = i128::from(now.as_secs()) * 1_000_000_000 + i128::from(now.subsec_nanos());
        let at_nanos = i128::from(d.unix_secs) * 1_000_000_000 + i128::from(d.nanosecond());
        let left = (at_nanos - now_nanos).max(0);
        Some(Duration::from_nanos(
            u64::try_from(left).unwrap_or(u64::MAX),
        ))
    }
}

/// Why a dispatcher call failed. `Display` is the text a Go caller sees (`err.Error()`),
/// verbatim, whichever side produced it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// The implementation failed (Go: the error its method returned), or — seen from a
    /// client — the plugin's server answered with this error text.
    #[error("{0}")]
    Failed(String),
    /// The call could not be made or its reply not received (connection ended, reply
    /// undecodable, argument unencodable). Server errors are [`DispatchError::Failed`].
    #[error("{0}")]
    Rpc(RpcError),
    /// The implementation does not provide the method named (Go's method name, e.g.
    /// `Disassemble`): the default body of every [`Dispatcher`] method. The text is what a Go
    /// host sees from a Go plugin without that method.
    #[error("rpc: can't find method Plugin.{0}")]
    Unimplemented(&'static str),
}

impl DispatchError {
    /// An implementation error with the given text.
    pub fn new(text: impl Into<String>) -> DispatchError {
        DispatchError::Failed(text.into())
    }

    /// True when the connection to the plugin failed (the plugin process may be gone), as
    /// opposed to the plugin reporting an error.
    pub fn is_connection_error(&self) -> bool {
        matches!(self, DispatchError::Rpc(e) if e.is_connection_error())
    }

    /// True when the call's deadline passed before the plugin answered (text
    /// `context deadline exceeded`); the connection is still usable.
    pub fn is_deadline_exceeded(&self) -> bool {
        matches!(self, DispatchError::Rpc(e) if e.is_deadline_exceeded())
    }
}

impl From<RpcError> for DispatchError {
    fn from(e: RpcError) -> Self {
        match e {
            RpcError::Server(text) => DispatchError::Failed(text),
            other => DispatchError::Rpc(other),
        }
    }
}

impl From<String> for DispatchError {
    fn from(text: String) -> Self {
        DispatchError::Failed(text)
    }
}

impl From<&str> for DispatchError {
    fn from(text: &str) -> Self {
        DispatchError::Failed(text.to_string())
    }
}

macro_rules! dispatcher_trait {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        fn $name:ident($in:ty) -> $out:ty {
            go: $go:literal, script: $script:literal, http: $http:literal, since: $since:literal,
            serve: $serve:ident
        };
    )*) => {
        /// Go's `dispatcher.Dispatcher`: the TiloRes API a dispatcher plugin provides.
        ///
        /// Implemented by plugins (served with [`super::rpc_server`]) and by
        /// [`super::DispatcherClient`] (calling a plugin). Go returns outputs through pointers
        /// that may be nil; here an output is always a value. Go's client returns a non-nil
        /// empty `DisassembleOutput` together with a Disassemble error; that output is always
        /// zero, so nothing is lost by returning only the error.
        ///
        /// The methods come from the one table of methods (`dispatcher_methods!` in
        /// `methods.rs`). Each has a default body failing with
        /// [`DispatchError::Unimplemented`] (what a Go host calling a plugin without that
        /// method sees), so a method added to the table leaves existing implementors
        /// compiling; implement the methods your dispatcher provides.
        pub trait Dispatcher: Send + Sync {
            $(
                $(#[doc = $doc])*
                ///
                #[doc = concat!("Go method `Plugin.", $go, "`, script call `", $script,
                    "`, HTTP path `", $http, "`, since tilores-plugin-api ", $since, ".")]
                $(#[cfg($cfg)])?
                fn $name(
                    &self,
                    call: CallContext,
                    input: $in,
                ) -> impl Future<Output = Result<$out, DispatchError>> + Send {
                    let _ = (call, input);
                    async { Err(DispatchError::Unimplemented($go)) }
                }
            )*

            /// At most how many records of one `Submit` this dispatcher keeps, counted from
            /// the end (`None`, the default: all of them).
            ///
            /// With `Some(n)`, a server built by [`rpc_server`](super::rpc_server) decodes a
            /// `Submit` record by record, checks every record as Go's decoder would, keeps only
            /// the last `n` and calls [`Dispatcher::submit_tail`]: a 10,000-record submit never
            /// holds 10,000 decoded records at once. The fake dispatcher's ring keeps 10.
            ///
            /// Set it together with [`Dispatcher::submit_tail`]: the default `submit_tail`
            /// forwards the last records alone to [`Dispatcher::submit`], which cannot see how
            /// many were sent.
            const SUBMIT_KEEPS_LAST: Option<usize> = None;

            /// `Plugin.Submit` when [`Dispatcher::SUBMIT_KEEPS_LAST`] is set: `input` holds
            /// only the last records, `sent` is how many the host sent (all of them were
            /// decoded and checked). The default forwards `input` to [`Dispatcher::submit`].
            fn submit_tail(
                &self,
                call: CallContext,
                input: SubmitInput,
                sent: usize,
            ) -> impl Future<Output = Result<SubmitOutput, DispatchError>> + Send {
                let _ = sent;
                self.submit(call, input)
            }
        }
    };
}
super::methods::dispatcher_methods!(dispatcher_trait);
