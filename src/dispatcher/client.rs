//! [`DispatcherClient`]: the host side, Go's `dispatcher.client`, over a net/rpc client.

use gob::{Decode, Interface};

use super::methods::{ApiVersion, MethodInput, MethodOutput};
use super::service::{CallContext, DispatchError, Dispatcher};
use super::types::*;
use crate::rpc::Client;

/// Calls a dispatcher plugin's `Plugin.*` methods exactly as Go's client does: the argument
/// is a `map[string]interface{}` holding `input` (the input struct, sent under its
/// registered name such as `*dispatcher.EntityInput`) and, only when the call has one,
/// `deadline` (a `time.Time`). Error texts reach the caller verbatim.
///
/// The wrapped [`Client`] may be shared; calls may overlap (replies are matched by sequence
/// number).
///
/// Unlike Go's client, which sends the deadline and then waits however long the plugin
/// takes, a call with a deadline also ends locally when the deadline passes: it fails with
/// [`RpcError::DeadlineExceeded`](crate::rpc::RpcError::DeadlineExceeded), whose text is
/// Go's `context deadline exceeded` (what a Go caller waiting under that context sees), and
/// the connection stays usable (a late reply is dropped). A call whose deadline has already
/// passed fails without being sent. A call without a deadline waits as long as Go's does.
///
/// [`DispatcherClient::with_api`] speaks an older tilores-plugin-api instead (see
/// [`ApiVersion`]): for v0.2.0–v0.3.0 Entity, Submit and Search send `id` / `records` /
/// `parameters` and read `api.Entity` / `SubmissionResult` / `[]*api.Entity` replies, and no
/// call sends a deadline (those plugins never registered `time.Time`); Disassemble and
/// RemoveConnectionBan are sent as in v0.5.0 and such a plugin answers
/// `rpc: can't find method …`, as it would a Go host.
#[derive(Debug, Clone)]
pub struct DispatcherClient {
    rpc: Client,
    api: ApiVersion,
}

impl DispatcherClient {
    /// Wraps a net/rpc client connected to a dispatcher plugin's `Plugin` service (for
    /// go-plugin, the dispensed brokered stream), speaking tilores-plugin-api v0.6.0.
    pub fn new(rpc: Client) -> DispatcherClient {
        DispatcherClient::with_api(rpc, ApiVersion::default())
    }

    /// [`DispatcherClient::new`] speaking the given API version.
    pub fn with_api(rpc: Client, api: ApiVersion) -> DispatcherClient {
        register_types();
        DispatcherClient { rpc, api }
    }

    /// The underlying net/rpc client (e.g. to close it).
    pub fn rpc(&self) -> &Client {
        &self.rpc
    }

    /// The API version this client speaks.
    pub fn api(&self) -> ApiVersion {
        self.api
    }

    async fn call<I: MethodInput, O: MethodOutput>(
        &self,
        method: &str,
        call: CallContext,
        input: I,
    ) -> Result<O, DispatchError> {
        let mut args = InterfaceMap::new();
        if let Some(legacy) = input.to_legacy_arg(self.api) {
            let (key, value) = legacy.map_err(DispatchError::Failed)?;
            args.insert(key.into(), value);
            let reply: O::LegacyReply = self.send(method, call, args).await?;
            return Ok(O::from_legacy_reply(reply));
        }
        args.insert("input".into(), Interface::from_concrete(input));
        if let (Some(deadline), false) = (call.deadline, self.api.is_legacy()) {
            args.insert("deadline".into(), Interface::from_concrete(deadline));
        }
        let reply: O::Reply = self.send(method, call, args).await?;
        Ok(O::from_reply(reply))
    }

    /// Sends the call; the arguments are freed once written, while the plugin works.
    async fn send<R: Decode + Send + 'static>(
        &self,
        method: &str,
        call: CallContext,
        args: InterfaceMap,
    ) -> Result<R, DispatchError> {
        let reply = match call.remaining() {
            None => self.rpc.call_owned::<_, R>(method, args).await,
            Some(left) => crate::rpc::within(left, self.rpc.call_owned::<_, R>(method, args)).await,
        };
        Ok(reply?)
    }
}

macro_rules! client_methods {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        fn $name:ident($in:ty) -> $out:ty {
            go: $go:literal, script: $script:literal, http: $http:literal, since: $since:literal,
            serve: $serve:ident
        };
    )*) => {
        impl Dispatcher for DispatcherClient {
            $(
                $(#[cfg($cfg)])?
                async fn $name(&self, call: CallContext, input: $in) -> Result<$out, DispatchError> {
                    self.call(concat!("Plugin.", $go), call, input).await
                }
            )*
        }
    };
}
super::methods::dispatcher_methods!(client_methods);
