//! The provider side, Go's `dispatcher.server`: service `Plugin` on a net/rpc server,
//! unpacking the `map[string]interface{}` argument with Go's checks and error texts.

use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use gob::raw::{ids, Dec, WireId, WireKind, WireType};
use gob::{Decode, ErrorKind, GoName, GoStr, GoTime, Interface, Value};

use super::methods::{is_input_name, MethodInput, MethodOutput};
use super::service::{CallContext, DispatchError, Dispatcher};
use super::types::*;
use crate::rpc::{RegisterError, Server};

/// A net/rpc server with service `Plugin` (one method per entry of the method table:
/// `Entity`, `Search`, `Submit`, `Disassemble`, `RemoveConnectionBan`) backed by `dispatcher`
/// — what go-plugin serves on the dispensed stream of a dispatcher plugin. Serve a stream
/// with [`Server::serve`].
///
/// It answers hosts of every go-plugin-era tilores-plugin-api version, telling the version
/// from each call's argument map: `input` (v0.4.0+) or, for Entity / Submit / Search, the
/// v0.1.0–v0.3.0 keys `id` / `records` / `parameters`, answered with that era's reply
/// (`api.Entity`, `SubmissionResult`, `[]*api.Entity`).
///
/// An argument carrying an interface type name a Go dispatcher plugin never registered is
/// answered with Go's `gob: name not registered for interface: …`; the stream then goes on,
/// or ends where Go's does (when the type's definitions follow the name's message, see
/// [`crate::rpc::Server`]).
pub fn rpc_server<D: Dispatcher + 'static>(dispatcher: Arc<D>) -> Server {
    let server = Server::new();
    // A fresh server has no methods, and the names are constant and valid.
    register(&server, dispatcher).expect("registering Plugin.* on a fresh server");
    server
}

/// Registers service `Plugin` backed by `dispatcher` on an existing server (fails when
/// `Plugin.*` methods are already registered there).
pub fn register<D: Dispatcher + 'static>(
    server: &Server,
    dispatcher: Arc<D>,
) -> Result<(), RegisterError> {
    register_types();
    macro_rules! register_methods {
        ($(
            $(#[doc = $doc:literal])*
            $(#[cfg($cfg:meta)])?
            fn $name:ident($in:ty) -> $out:ty {
                go: $go:literal, script: $script:literal, http: $http:literal,
                since: $since:literal, serve: $serve:ident
            };
        )*) => {
            $(
                $(#[cfg($cfg)])?
                $serve(server, dispatcher.clone(), $go, |d: Arc<D>, call, input: $in| async move {
                    d.$name(call, input).await
                })?;
            )*
        };
    }
    super::methods::dispatcher_methods!(register_methods);
    Ok(())
}

/// The server adapter of most methods: unpack the argument map, call, reply in the form the
/// caller's API version expects.
fn plain<D, I, O, F, Fut>(
    server: &Server,
    dispatcher: Arc<D>,
    go: &'static str,
    method: F,
) -> Result<(), RegisterError>
where
    D: Dispatcher + 'static,
    I: MethodInput,
    O: MethodOutput,
    F: Fn(Arc<D>, CallContext, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, DispatchError>> + Send + 'static,
{
    let method = Arc::new(method);
    server.register_fn("Plugin", go, move |args: CheckedArgs| {
        let (d, method) = (dispatcher.clone(), method.clone());
        async move {
            let (call, input, legacy) = unpack::<I>(args.0)?;
            let out = method(d, call, input).await.map_err(|e| e.to_string())?;
            Ok::<_, String>(out.into_reply(legacy))
        }
    })
}

/// The server adapter of `Submit`: with [`Dispatcher::SUBMIT_KEEPS_LAST`] the records of an
/// `input` are decoded into a ring and [`Dispatcher::submit_tail`] is called; otherwise as
/// [`plain`].
fn streamed<D, F, Fut>(
    server: &Server,
    dispatcher: Arc<D>,
    go: &'static str,
    method: F,
) -> Result<(), RegisterError>
where
    D: Dispatcher + 'static,
    F: Fn(Arc<D>, CallContext, SubmitInput) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<SubmitOutput, DispatchError>> + Send + 'static,
{
    let method = Arc::new(method);
    server.register_fn("Plugin", go, move |args: SubmitArgs<D>| {
        let (d, method) = (dispatcher.clone(), method.clone());
        async move {
            let Some(streamed) = args.streamed else {
                let (call, input, legacy) = unpack::<SubmitInput>(args.rest)?;
                let out = method(d, call, input).await.map_err(|e| e.to_string())?;
                return Ok(out.into_reply(legacy));
            };
            d.submit_tail(call_context(&args.rest), streamed.input, streamed.sent)
                .await
                .map(|out| out.into_reply(false))
                .map_err(|e| e.to_string())
        }
    })
}

/// Go's `createContext` plus the `input` checks of each server method (Go appends the `%T`
/// of what it found to [`MethodInput::WRONG_TYPE`]); without `input`, the v0.1.0–v0.3.0
/// form of the arguments. Returns whether the legacy form was used.
fn unpack<I: MethodInput>(mut args: InterfaceMap) -> Result<(CallContext, I, bool), String> {
    let call = call_context(&args);
    let Some(input) = args.remove("input") else {
        return match I::from_legacy_args(&mut args) {
            Some(input) => Ok((call, input?, true)),
            None => Err("key input not found in args".into()),
        };
    };
    match input.downcast::<I>() {
        Ok(input) => Ok((call, input, false)),
        // Go's `%T` of a decoded interface value is the name it was registered under.
        Err(other) => Err(format!(
            "{} but a {}",
            I::WRONG_TYPE,
            other.name().unwrap_or("<nil>")
        )),
    }
}

/// The argument map, refused while decoding (as Go's gob decoder refuses it, at the name)
/// when an interface value carries a name a Go dispatcher plugin never registered.
struct CheckedArgs(InterfaceMap);

impl Decode for CheckedArgs {
    fn check_wire(d: &mut Dec<'_, '_>, wire: WireId) -> gob::Result<()> {
        InterfaceMap::check_wire(d, wire).map_err(go_map_name)
    }

    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> gob::Result<Self> {
        d.with_known_names(registered_in_go, |d| InterfaceMap::decode(d, wire))
            .map(CheckedArgs)
            .map_err(go_map_name)
    }
}

/// A type mismatch of the argument map itself named as Go names it (the generic map decoder
/// cannot name its Go type).
fn go_map_name(e: gob::Error) -> gob::Error {
    match e.kind() {
        ErrorKind::TypeMismatch { want, got } if want == "map" && e.path().is_empty() => {
            let got = got.clone();
            e.with_kind(ErrorKind::TypeMismatch {
                want: "map[string]interface {}".into(),
                got,
            })
        }
        _ => e,
    }
}

/// Go's `createContext`: the call's deadline from the `deadline` argument.
fn call_context(args: &InterfaceMap) -> CallContext {
    CallContext {
        deadline: args.get("deadline").and_then(deadline_of),
    }
}

/// A `deadline` that is a `time.Time` (anything else is ignored, as in Go).
fn deadline_of(v: &Interface) -> Option<GoTime> {
    if let Some(t) = v.downcast_ref::<GoTime>() {
        return Some(*t);
    }
    match (v.name(), v.value()) {
        (Some("time.Time"), Some(Value::Marshaled(c))) => GoTime::unmarshal_binary(&c.items).ok(),
        _ => None,
    }
}

/// The interface names a Go dispatcher plugin process has registered (gob's basics, the
/// `api` and `dispatcher` packages), of any go-plugin-era version: `[]*api.Record` is
/// registered by v0.1.0–v0.3.0, `time.Time` and the `*dispatcher.*Input`s by v0.5.0+.
fn registered_in_go(name: &str) -> bool {
    // A `match` on the string (length first), not a scan: it runs for every interface
    // value of every argument (10,000-record submits).
    matches!(
        name,
        "*api.SearchParameters"
            | "[]*api.Record"
            | "map[string]interface {}"
            | "[]interface {}"
            | "time.Time"
            | "int"
            | "int8"
            | "int16"
            | "int32"
            | "int64"
            | "uint"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "uintptr"
            | "float32"
            | "float64"
            | "complex64"
            | "complex128"
            | "bool"
            | "string"
            | "[]uint8"
            | "[]int"
            | "[]int8"
            | "[]int16"
            | "[]int32"
            | "[]int64"
            | "[]uint"
            | "[]uint16"
            | "[]uint32"
            | "[]uint64"
            | "[]uintptr"
            | "[]float32"
            | "[]float64"
            | "[]complex64"
            | "[]complex128"
            | "[]bool"
            | "[]string"
    ) || is_input_name(name)
}

/// The argument map of `Plugin.Submit`. For a dispatcher with
/// [`Dispatcher::SUBMIT_KEEPS_LAST`] the records of a `*dispatcher.SubmitInput` under
/// `input` are decoded one at a time and only the last ones are kept (`streamed`); every
/// other key, and the whole map for other dispatchers, decodes as usual into `rest`.
struct SubmitArgs<D> {
    rest: InterfaceMap,
    streamed: Option<StreamedSubmit>,
    dispatcher: PhantomData<fn() -> D>,
}

/// A submit input whose records were streamed through a ring.
struct StreamedSubmit {
    /// The last records.
    input: SubmitInput,
    /// How many records were sent.
    sent: usize,
}

/// One value of the argument map: an ordinary interface, or the streamed submit input.
enum ArgValue {
    Plain(Interface),
    Streamed(StreamedSubmit),
}

impl<D: Dispatcher> Decode for SubmitArgs<D> {
    fn check_wire(d: &mut Dec<'_, '_>, wire: WireId) -> gob::Result<()> {
        CheckedArgs::check_wire(d, wire)
    }

    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> gob::Result<Self> {
        let plain = |rest| SubmitArgs {
            rest,
            streamed: None,
            dispatcher: PhantomData,
        };
        let Some(keep) = D::SUBMIT_KEEPS_LAST else {
            return CheckedArgs::decode(d, wire).map(|a| plain(a.0));
        };
        // The map field of the definition as Go's compatibleType takes it for a map (no
        // marshaler field beside it).
        let string_to_interface = matches!(
            d.wire_for(wire, WireKind::Map, "map").as_deref(),
            Ok(WireType::Map {
                key: ids::STRING,
                elem: ids::INTERFACE,
                ..
            })
        );
        if !string_to_interface {
            // Not Go's map[string]interface{}: the usual decode gives the usual error.
            return CheckedArgs::decode(d, wire).map(|a| plain(a.0));
        }
        d.with_known_names(registered_in_go, |d| Self::decode_streamed(d, keep))
    }
}

impl<D> SubmitArgs<D> {
    /// The argument map (Go's `map[string]interface{}`) with a `*dispatcher.SubmitInput`
    /// under `input` streamed through a ring of `keep` records.
    fn decode_streamed(d: &mut Dec<'_, '_>, keep: usize) -> gob::Result<Self> {
        let n = d.count(2)?;
        let mut args = SubmitArgs {
            rest: InterfaceMap::new(),
            streamed: None,
            dispatcher: PhantomData,
        };
        for i in 0..n {
            d.element(i, n)?;
            let key = d.nested(|d| GoStr::decode(d, ids::STRING))?;
            let value = d.nested(|d| match d.interface_header()? {
                None => Ok(ArgValue::Plain(Interface::nil())),
                Some((name, id)) if key == "input" && name == SubmitInput::GO_NAME => d
                    .interface_payload(id, |d, w| stream_records(d, w, keep))
                    .map(ArgValue::Streamed)
                    .map_err(|e| e.in_path(format!("({name})"))),
                Some((name, id)) => d.interface_after_header(&name, id).map(ArgValue::Plain),
            })?;
            // A later duplicate key wins, as in Go.
            match value {
                ArgValue::Plain(v) => {
                    if key == "input" {
                        args.streamed = None;
                    }
                    args.rest.insert(key, v);
                }
                ArgValue::Streamed(s) => {
                    args.rest.remove("input");
                    args.streamed = Some(s);
                }
            }
        }
        Ok(args)
    }
}

/// Decodes a `dispatcher.SubmitInput` payload keeping only its last `keep` records.
fn stream_records(d: &mut Dec<'_, '_>, wire: WireId, keep: usize) -> gob::Result<StreamedSubmit> {
    const FIELDS: &[&str] = &["Records"];
    let mut ring = VecDeque::new();
    let mut sent = 0usize;
    d.decode_struct(wire, "dispatcher.SubmitInput", FIELDS, |d, _, records| {
        let (elem, n) = d.slice_header(records)?;
        d.each_element(n, |d, _| {
            let r = Record::decode(d, elem)?;
            sent += 1;
            if ring.len() == keep {
                ring.pop_front();
            }
            if keep > 0 {
                ring.push_back(r);
            }
            Ok(())
        })
    })?;
    Ok(StreamedSubmit {
        input: SubmitInput {
            records: ring.into(),
        },
        sent,
    })
}
