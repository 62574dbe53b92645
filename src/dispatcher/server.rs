//! The provider side, Go's `dispatcher.server`: service `Plugin` on a net/rpc server,
//! unpacking the `map[string]interface{}` argument with Go's checks and error texts.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::ops::Bound::{Excluded, Unbounded};
use std::sync::Arc;

use gob::raw::{ids, Dec, WireId, WireType};
use gob::{Decode, GoName, GoStr, GoTime, Interface, Value};

use super::service::{CallContext, Dispatcher};
use super::types::*;
use crate::rpc::{RegisterError, Server};

/// A net/rpc server with service `Plugin` (methods `Entity`, `Search`, `Submit`,
/// `Disassemble`, `RemoveConnectionBan`) backed by `dispatcher` — what go-plugin serves on
/// the dispensed stream of a dispatcher plugin. Serve a stream with [`Server::serve`].
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
    let d = dispatcher.clone();
    server.register_fn("Plugin", "Entity", move |args: InterfaceMap| {
        let d = d.clone();
        async move {
            let (call, input) = unpack::<EntityInput>(args, "key records is not a *EntityInput")?;
            d.entity(call, input).await.map_err(|e| e.to_string())
        }
    })?;
    let d = dispatcher.clone();
    server.register_fn("Plugin", "Submit", move |args: SubmitArgs<D>| {
        let d = d.clone();
        async move {
            let Some(streamed) = args.streamed else {
                let (call, input) =
                    unpack::<SubmitInput>(args.rest, "key records is not a *SubmitInput")?;
                return d.submit(call, input).await.map_err(|e| e.to_string());
            };
            // The checks `unpack` makes, in the same (key) order: the keys before `input`,
            // the records, the keys after it.
            for v in args
                .rest
                .range::<str, _>((Unbounded, Excluded("input")))
                .map(|(_, v)| v)
            {
                check_registered(v)?;
            }
            if let Some(rejected) = streamed.rejected {
                return Err(rejected);
            }
            for v in args
                .rest
                .range::<str, _>((Excluded("input"), Unbounded))
                .map(|(_, v)| v)
            {
                check_registered(v)?;
            }
            d.submit_tail(call_context(&args.rest), streamed.input, streamed.sent)
                .await
                .map_err(|e| e.to_string())
        }
    })?;
    let d = dispatcher.clone();
    server.register_fn("Plugin", "Search", move |args: InterfaceMap| {
        let d = d.clone();
        async move {
            let (call, input) = unpack::<SearchInput>(args, "key input is not a *SearchInput")?;
            d.search(call, input).await.map_err(|e| e.to_string())
        }
    })?;
    let d = dispatcher.clone();
    server.register_fn("Plugin", "Disassemble", move |args: InterfaceMap| {
        let d = d.clone();
        async move {
            let (call, input) =
                unpack::<DisassembleInput>(args, "key input is not a *DisassembleInput")?;
            d.disassemble(call, input).await.map_err(|e| e.to_string())
        }
    })?;
    let d = dispatcher;
    server.register_fn(
        "Plugin",
        "RemoveConnectionBan",
        move |args: InterfaceMap| {
            let d = d.clone();
            async move {
                let (call, input) = unpack::<RemoveConnectionBanInput>(
                    args,
                    "key input is not a *RemoveConnectionBanInput",
                )?;
                d.remove_connection_ban(call, input)
                    .await
                    .map_err(|e| e.to_string())?;
                // Go's reply is an `interface{}` left nil; a Go host decodes it into an
                // `interface{}` and needs exactly that wire type.
                Ok::<_, String>(Interface::nil())
            }
        },
    )?;
    Ok(())
}

/// Go's `createContext` plus the `input` checks of each server method. `wrong_type` is the
/// method's message prefix; Go appends the `%T` of what it found.
fn unpack<T: 'static>(
    mut args: InterfaceMap,
    wrong_type: &str,
) -> Result<(CallContext, T), String> {
    // Go's gob decoder rejects the whole argument before the method runs when any
    // interface value carries a name the Go process never registered.
    for v in args.values() {
        check_registered(v)?;
    }
    let call = call_context(&args);
    let Some(input) = args.remove("input") else {
        return Err("key input not found in args".into());
    };
    match input.downcast::<T>() {
        Ok(input) => Ok((call, input)),
        // Go's `%T` of a decoded interface value is the name it was registered under.
        Err(other) => Err(format!(
            "{wrong_type} but a {}",
            other.name().unwrap_or("<nil>")
        )),
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
        (Some("time.Time"), Some(Value::Marshaled(_, b))) => GoTime::unmarshal_binary(b).ok(),
        _ => None,
    }
}

/// The interface names a Go dispatcher plugin process has registered (gob's basics, the
/// `api` and `dispatcher` packages).
fn registered_in_go(name: &str) -> bool {
    // A `match` on the string (length first), not a scan: it runs for every interface
    // value of every argument (10,000-record submits).
    matches!(
        name,
        "*dispatcher.EntityInput"
            | "*dispatcher.SearchInput"
            | "*dispatcher.SubmitInput"
            | "*dispatcher.DisassembleInput"
            | "*dispatcher.RemoveConnectionBanInput"
            | "*api.SearchParameters"
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
    )
}

/// Go's error for the first interface value (depth first) whose name Go would not know.
fn check_registered(i: &Interface) -> Result<(), String> {
    let Some(name) = i.name() else {
        return Ok(());
    };
    check_name(name)?;
    if let Some(v) = i.value() {
        return check_value(v, false);
    }
    if let Some(s) = i.downcast_ref::<SubmitInput>() {
        return s.records.iter().try_for_each(check_record);
    }
    let maps: Vec<&InterfaceMap> = if let Some(s) = i.downcast_ref::<SearchInput>() {
        s.parameters.iter().map(|p| &p.0).collect()
    } else if let Some(p) = i.downcast_ref::<SearchParameters>() {
        vec![&p.0]
    } else {
        Vec::new()
    };
    for m in maps {
        for v in m.values() {
            check_registered(v)?;
        }
    }
    Ok(())
}

/// Checks the interface values inside `v`. `interface` says whether `v` itself is in an
/// `interface{}` position, where a bare value stands for an interface holding it under its
/// default Go name (see `gob::Value`).
fn check_value(v: &Value, interface: bool) -> Result<(), String> {
    match v {
        Value::Interface(i) => return check_registered(i),
        v if interface => check_name(&v.default_go_name())?,
        _ => {}
    }
    match v {
        Value::Slice(t, items) | Value::Array(t, items) => {
            let (_, elem) = t.interface_positions();
            items.iter().try_for_each(|x| check_value(x, elem))
        }
        Value::Map(t, entries) => {
            let (key, elem) = t.interface_positions();
            entries.iter().try_for_each(|(k, x)| {
                check_value(k, key)?;
                check_value(x, elem)
            })
        }
        Value::Struct(t, fields) => fields
            .iter()
            .try_for_each(|(i, x)| check_value(x, t.field_is_interface(*i))),
        _ => Ok(()),
    }
}

/// Go's error for an interface value whose name Go would not know.
fn check_name(name: &str) -> Result<(), String> {
    if registered_in_go(name) {
        Ok(())
    } else {
        Err(format!("gob: name not registered for interface: {name:?}"))
    }
}

/// [`check_registered`] for every value of a record.
fn check_record(r: &Record) -> Result<(), String> {
    r.data
        .iter()
        .flat_map(|m| m.values())
        .try_for_each(check_registered)
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
    /// The first record [`check_record`] refused (Go's decoder refuses the whole argument).
    rejected: Option<String>,
}

/// One value of the argument map: an ordinary interface, or the streamed submit input.
enum ArgValue {
    Plain(Interface),
    Streamed(StreamedSubmit),
}

impl<D: Dispatcher> Decode for SubmitArgs<D> {
    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> gob::Result<Self> {
        let plain = |rest| SubmitArgs {
            rest,
            streamed: None,
            dispatcher: PhantomData,
        };
        let Some(keep) = D::SUBMIT_KEEPS_LAST else {
            return InterfaceMap::decode(d, wire).map(plain);
        };
        let string_to_interface = matches!(
            d.wire(wire).as_deref(),
            Ok(WireType::Map {
                key: ids::STRING,
                elem: ids::INTERFACE,
                ..
            })
        );
        if !string_to_interface {
            // Not Go's map[string]interface{}: the usual decode gives the usual error.
            return InterfaceMap::decode(d, wire).map(plain);
        }
        let n = d.count(2)?;
        let mut args = plain(InterfaceMap::new());
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
    let mut rejected = None;
    d.decode_struct(wire, "dispatcher.SubmitInput", FIELDS, |d, _, records| {
        let (elem, n) = d.slice_header(records)?;
        d.each_element(n, |d, _| {
            let r = Record::decode(d, elem)?;
            if rejected.is_none() {
                rejected = check_record(&r).err();
            }
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
        rejected,
    })
}
