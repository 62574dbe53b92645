//! [`DispatcherClient`]: the host side, Go's `dispatcher.client`, over a net/rpc client.

use gob::{Concrete, Decode, Interface};

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
#[derive(Debug, Clone)]
pub struct DispatcherClient {
    rpc: Client,
}

impl DispatcherClient {
    /// Wraps a net/rpc client connected to a dispatcher plugin's `Plugin` service (for
    /// go-plugin, the dispensed brokered stream).
    pub fn new(rpc: Client) -> DispatcherClient {
        register_types();
        DispatcherClient { rpc }
    }

    /// The underlying net/rpc client (e.g. to close it).
    pub fn rpc(&self) -> &Client {
        &self.rpc
    }

    async fn call<I, R>(
        &self,
        method: &str,
        call: CallContext,
        input: I,
    ) -> Result<R, DispatchError>
    where
        I: Concrete,
        R: Decode + Send + 'static,
    {
        let mut args = InterfaceMap::new();
        args.insert("input".into(), Interface::from_concrete(input));
        if let Some(deadline) = call.deadline {
            args.insert("deadline".into(), Interface::from_concrete(deadline));
        }
        let reply = match call.remaining() {
            None => self.rpc.call::<_, R>(method, &args).await,
            Some(left) => self.rpc.call_timeout::<_, R>(method, &args, left).await,
        };
        Ok(reply?)
    }
}

impl Dispatcher for DispatcherClient {
    async fn entity(
        &self,
        call: CallContext,
        input: EntityInput,
    ) -> Result<EntityOutput, DispatchError> {
        self.call("Plugin.Entity", call, input).await
    }

    async fn submit(
        &self,
        call: CallContext,
        input: SubmitInput,
    ) -> Result<SubmitOutput, DispatchError> {
        self.call("Plugin.Submit", call, input).await
    }

    async fn search(
        &self,
        call: CallContext,
        input: SearchInput,
    ) -> Result<SearchOutput, DispatchError> {
        self.call("Plugin.Search", call, input).await
    }

    async fn disassemble(
        &self,
        call: CallContext,
        input: DisassembleInput,
    ) -> Result<DisassembleOutput, DispatchError> {
        self.call("Plugin.Disassemble", call, input).await
    }

    async fn remove_connection_ban(
        &self,
        call: CallContext,
        input: RemoveConnectionBanInput,
    ) -> Result<(), DispatchError> {
        // Go decodes the reply into an `interface{}` and ignores it (a Go plugin sends nil).
        let _: Interface = self.call("Plugin.RemoveConnectionBan", call, input).await?;
        Ok(())
    }
}
