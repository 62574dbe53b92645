//! The one declaration of the dispatcher's methods, and the API versions they travel in.
//!
//! [`dispatcher_methods!`] is the table: one entry per method (its Rust name, input and
//! output types, Go method name, script name, HTTP path, first API version and server
//! adapter). Every layer derives its part from it with a callback macro of its own:
//! the [`Dispatcher`](super::Dispatcher) trait (a default body per method, so implementors
//! keep compiling when a method is added), [`DispatcherClient`](super::DispatcherClient),
//! the net/rpc server ([`rpc_server`](super::rpc_server)), the script runner
//! ([`run_script`](super::run_script)) and [`methods`]. A method's types implement
//! [`MethodInput`] / [`MethodOutput`] (gob, Go JSON, serde, and how v0.2.0–v0.3.0 send
//! them). Adding a method is one entry plus those impls.

use std::fmt;
use std::str::FromStr;

use gob::{Concrete, Decode, Encode, GoName, Interface, Value};

use super::gojson::{DecodeJson, SubmitInputJson, WriteJson};
use super::types::*;

/// A tilores-plugin-api version of the go-plugin era (net/rpc over go-plugin v1.4.3) that a
/// Go peer can be built against (the module proxy serves v0.2.0, v0.3.0, v0.5.0 and v0.6.0;
/// v0.4.0 and v0.5.1 are not served).
///
/// What differs (per the Go sources of each tag): v0.2.0 and v0.3.0 send `Entity {"id":
/// string}` → `api.Entity`, `Submit {"records": []*api.Record}` → `SubmissionResult`,
/// `Search {"parameters": map[string]interface{}}` (v0.3.0: `*api.SearchParameters`) →
/// `[]*api.Entity`, never a deadline, and have no Disassemble or RemoveConnectionBan;
/// v0.5.0 and v0.6.0 send `{"input": *XInput, "deadline": time.Time}` (v0.6.0 moved
/// `SearchOutput.Hits` into `api.Entity`; gob ignores the field the other side lacks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ApiVersion {
    /// v0.2.0 (2021-11-22).
    V0_2_0,
    /// v0.3.0 (2021-12-15): `Search` takes `*api.SearchParameters`.
    V0_3_0,
    /// v0.5.0 (2022-01-03): every call `{"input": *XInput}` plus the deadline.
    V0_5_0,
    /// v0.6.0 (2022-01-07), the default.
    #[default]
    V0_6_0,
}

impl ApiVersion {
    /// Every version, oldest first.
    pub const ALL: [ApiVersion; 4] = [
        ApiVersion::V0_2_0,
        ApiVersion::V0_3_0,
        ApiVersion::V0_5_0,
        ApiVersion::V0_6_0,
    ];

    /// The tag, e.g. `v0.5.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V0_2_0 => "v0.2.0",
            ApiVersion::V0_3_0 => "v0.3.0",
            ApiVersion::V0_5_0 => "v0.5.0",
            ApiVersion::V0_6_0 => "v0.6.0",
        }
    }

    /// True for the versions whose calls carry per-method keys (`id`, `records`,
    /// `parameters`) instead of `input`, and no deadline.
    pub fn is_legacy(self) -> bool {
        self <= ApiVersion::V0_3_0
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = String;
    /// `v0.5.0` or `0.5.0`.
    fn from_str(s: &str) -> Result<Self, String> {
        let tag = s.strip_prefix('v').unwrap_or(s);
        ApiVersion::ALL
            .into_iter()
            .find(|v| &v.as_str()[1..] == tag)
            .ok_or_else(|| {
                format!("unknown tilores-plugin-api version {s:?} (expected v0.2.0, v0.3.0, v0.5.0 or v0.6.0)")
            })
    }
}

/// What the method table says about one method (for transports and documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MethodInfo {
    /// The [`Dispatcher`](super::Dispatcher) method, e.g. `remove_connection_ban`.
    pub name: &'static str,
    /// The Go method (net/rpc `Plugin.<go>`), e.g. `RemoveConnectionBan`.
    pub go: &'static str,
    /// The `call` of a script line, e.g. `removeConnectionBan`.
    pub script: &'static str,
    /// The path of the TiloRes HTTP plugin protocol (api v0.7.0+), e.g. `/removeconnectionban`.
    pub http: &'static str,
    /// The first tilores-plugin-api version with the method.
    pub since: &'static str,
}

/// The table of every dispatcher method. Invoke with the name of a macro that takes the
/// entries; each entry is
///
/// ```text
/// /// docs
/// #[cfg(...)]                       (optional)
/// fn rust_name(InputType) -> OutputType {
///     go: "GoName", script: "scriptName", http: "/path", since: "v0.x.0", serve: adapter
/// };
/// ```
///
/// `serve` names the net/rpc server adapter in `server.rs`: `plain`, or `streamed` (Submit:
/// records are decoded into the implementation's ring, see `Dispatcher::SUBMIT_KEEPS_LAST`).
macro_rules! dispatcher_methods {
    ($then:ident) => {
        $then! {
            /// Fetches an entity by id (`Plugin.Entity`).
            fn entity(EntityInput) -> EntityOutput {
                go: "Entity", script: "entity", http: "/entity", since: "v0.1.0", serve: plain
            };
            /// Stores records (`Plugin.Submit`).
            fn submit(SubmitInput) -> SubmitOutput {
                go: "Submit", script: "submit", http: "/submit", since: "v0.1.0", serve: streamed
            };
            /// Searches entities (`Plugin.Search`).
            fn search(SearchInput) -> SearchOutput {
                go: "Search", script: "search", http: "/search", since: "v0.1.0", serve: plain
            };
            /// Removes edges or records (`Plugin.Disassemble`).
            fn disassemble(DisassembleInput) -> DisassembleOutput {
                go: "Disassemble", script: "disassemble", http: "/disassemble", since: "v0.4.0",
                serve: plain
            };
            /// Removes a connection ban (`Plugin.RemoveConnectionBan`).
            fn remove_connection_ban(RemoveConnectionBanInput) -> () {
                go: "RemoveConnectionBan", script: "removeConnectionBan",
                http: "/removeconnectionban", since: "v0.4.0", serve: plain
            };
            /// Test-only: answers its input's text reversed. It exists to prove that one entry
            /// here (plus its types) is all a new method needs.
            #[cfg(test)]
            fn echo(EchoInput) -> EchoOutput {
                go: "Echo", script: "echo", http: "/echo", since: "test", serve: plain
            };
        }
    };
}
pub(crate) use dispatcher_methods;

macro_rules! method_infos {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        fn $name:ident($in:ty) -> $out:ty {
            go: $go:literal, script: $script:literal, http: $http:literal, since: $since:literal,
            serve: $serve:ident
        };
    )*) => {
        /// Every method of the table, in declaration order.
        // One push per entry, because an entry may carry a `cfg` (not allowed inside `vec![]`).
        #[allow(clippy::vec_init_then_push)]
        pub fn methods() -> Vec<MethodInfo> {
            let mut all = Vec::new();
            $(
                $(#[cfg($cfg)])?
                all.push(MethodInfo {
                    name: stringify!($name),
                    go: $go,
                    script: $script,
                    http: $http,
                    since: $since,
                });
            )*
            all
        }
    };
}
dispatcher_methods!(method_infos);

macro_rules! method_inputs {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        fn $name:ident($in:ty) -> $out:ty {
            go: $go:literal, script: $script:literal, http: $http:literal, since: $since:literal,
            serve: $serve:ident
        };
    )*) => {
        /// True when `name` is the Go name of a method's input (Go's `dispatcher` package
        /// registers every input with gob).
        pub(crate) fn is_input_name(name: &str) -> bool {
            $(
                $(#[cfg($cfg)])?
                if name == <$in as GoName>::GO_NAME {
                    return true;
                }
            )*
            false
        }

        /// Registers every method's input with gob under its Go name.
        // One push per entry, because an entry may carry a `cfg` (not allowed inside `vec![]`).
        #[allow(clippy::vec_init_then_push)]
        pub(crate) fn register_inputs() -> Vec<gob::Result<()>> {
            let mut results = Vec::new();
            $(
                $(#[cfg($cfg)])?
                results.push(gob::register::<$in>());
            )*
            results
        }
    };
}
dispatcher_methods!(method_inputs);

/// The input of a method: sent inside `interface{}` under its Go name, read from script JSON
/// with Go's rules, written as the payload of an HTTP request, and (for the first three methods) in its v0.2.0–v0.3.0 form.
pub(crate) trait MethodInput:
    Concrete + GoName + Decode + WriteJson + Clone + serde::de::DeserializeOwned + Send + Sync + 'static
{
    /// What a script line's `input` decodes into before [`MethodInput::from_json`].
    type Json: DecodeJson;
    /// Go's error prefix when `input` holds another type (Go appends ` but a <%T>`).
    const WRONG_TYPE: &'static str;

    /// The input from its script JSON (Go's client errors where it cannot send it).
    fn from_json(json: Self::Json) -> Result<Self, String>;

    /// The input from a v0.2.0–v0.3.0 argument map (`None`: the method has no such form).
    fn from_legacy_args(args: &mut InterfaceMap) -> Option<Result<Self, String>> {
        let _ = args;
        None
    }

    /// The 422 text of the HTTP provider when [`MethodInput::from_json`] refuses a payload
    /// Go would have accepted (the Go text `err` is the Go client's, not a server's).
    fn http_refusal(err: String) -> String {
        err
    }

    /// The key and value v0.2.0–v0.3.0 hosts send (`None`: send `input` as v0.5.0+).
    fn to_legacy_arg(&self, api: ApiVersion) -> Option<Result<(&'static str, Interface), String>> {
        let _ = api;
        None
    }
}

/// The output of a method: its net/rpc reply (current and v0.2.0–v0.3.0 forms) and its Go
/// JSON.
pub(crate) trait MethodOutput:
    WriteJson + serde::Serialize + serde::de::DeserializeOwned + Default + Send + Sized + 'static
{
    /// What a v0.5.0+ plugin replies.
    type Reply: Decode + Send + 'static;
    /// What a v0.2.0–v0.3.0 plugin replies (the same where the method had no legacy form).
    type LegacyReply: Decode + Send + 'static;
    /// The output from a v0.5.0+ reply.
    fn from_reply(reply: Self::Reply) -> Self;
    /// The output from a v0.2.0–v0.3.0 reply.
    fn from_legacy_reply(reply: Self::LegacyReply) -> Self;
    /// The reply to send, in the form the caller's version expects.
    fn into_reply(self, legacy: bool) -> Box<dyn Encode + Send + Sync>;
    /// The output from a 200 answer of the HTTP plugin protocol (Go's
    /// `json.NewDecoder(body).Decode(&out)`: the first value counts, `null` is the zero
    /// output).
    fn from_http_answer(answer: &[u8]) -> Result<Self, String> {
        super::http::decode_answer(answer)
    }
}

impl MethodInput for EntityInput {
    type Json = EntityInput;
    const WRONG_TYPE: &'static str = "key records is not a *EntityInput";
    fn from_json(json: EntityInput) -> Result<Self, String> {
        Ok(json)
    }
    /// v0.1.0–v0.4.0: `{"id": string}` (Go's `commons.StringValue` texts).
    fn from_legacy_args(args: &mut InterfaceMap) -> Option<Result<Self, String>> {
        let id = args.remove("id")?;
        Some(match id.value() {
            Some(Value::String(s)) if id.name() == Some("string") => {
                Ok(EntityInput { id: s.to_string() })
            }
            // A Go string that is not UTF-8: replaced, not refused (ids are text).
            Some(Value::RawString(b)) if id.name() == Some("string") => Ok(EntityInput {
                id: String::from_utf8_lossy(b).into_owned(),
            }),
            _ => Err(format!(
                "key id is not a string but a {}",
                id.name().unwrap_or("<nil>")
            )),
        })
    }
    fn to_legacy_arg(&self, api: ApiVersion) -> Option<Result<(&'static str, Interface), String>> {
        api.is_legacy()
            .then(|| Ok(("id", Interface::from(self.id.as_str()))))
    }
}

impl MethodInput for SubmitInput {
    type Json = SubmitInputJson;
    const WRONG_TYPE: &'static str = "key records is not a *SubmitInput";
    fn from_json(json: SubmitInputJson) -> Result<Self, String> {
        json.into_input()
    }
    /// Go's provider stores a nil `*api.Record`; the Rust types have no nil record.
    fn http_refusal(_err: String) -> String {
        "null record in records: not supported by this provider".into()
    }
    /// v0.1.0–v0.3.0: `{"records": []*api.Record}`.
    fn from_legacy_args(args: &mut InterfaceMap) -> Option<Result<Self, String>> {
        let records = args.remove("records")?;
        Some(match records.downcast::<RecordList>() {
            Ok(list) => Ok(SubmitInput { records: list.0 }),
            Err(other) => Err(format!(
                "key records is not a records list but a {}",
                other.name().unwrap_or("<nil>")
            )),
        })
    }
    fn to_legacy_arg(&self, api: ApiVersion) -> Option<Result<(&'static str, Interface), String>> {
        api.is_legacy().then(|| {
            Ok((
                "records",
                Interface::from_concrete(RecordList(self.records.clone())),
            ))
        })
    }
}

impl MethodInput for SearchInput {
    type Json = SearchInput;
    const WRONG_TYPE: &'static str = "key input is not a *SearchInput";
    fn from_json(json: SearchInput) -> Result<Self, String> {
        Ok(json)
    }
    /// v0.1.0–v0.2.0: `{"parameters": map[string]interface{}}`; v0.3.0–v0.4.0:
    /// `{"parameters": *api.SearchParameters}`.
    fn from_legacy_args(args: &mut InterfaceMap) -> Option<Result<Self, String>> {
        let p = args.remove("parameters")?;
        if p.name() == Some("map[string]interface {}") {
            if let Some(Value::Map(c)) = p.value() {
                let mut m = InterfaceMap::new();
                for (k, v) in &c.items {
                    let Value::String(k) = k else { continue };
                    let v = match v {
                        Value::Interface(i) => (**i).clone(),
                        Value::Nil => Interface::nil(),
                        bare => Interface::from_value(bare.clone()),
                    };
                    m.insert(k.clone(), v);
                }
                return Some(Ok(SearchInput {
                    parameters: Some(SearchParameters(m)),
                }));
            }
        }
        Some(match p.downcast::<SearchParameters>() {
            Ok(p) => Ok(SearchInput {
                parameters: Some(p),
            }),
            Err(other) => Err(format!(
                "key parameters is not a *api.SearchParameters but a {}",
                other.name().unwrap_or("<nil>")
            )),
        })
    }
    fn to_legacy_arg(&self, api: ApiVersion) -> Option<Result<(&'static str, Interface), String>> {
        match api {
            ApiVersion::V0_2_0 => {
                let map = self
                    .parameters
                    .as_ref()
                    .map(|p| p.0.clone())
                    .unwrap_or_default();
                let entries = map
                    .into_iter()
                    .map(|(k, v)| (Value::String(k), Value::from(v)))
                    .collect();
                Some(Ok((
                    "parameters",
                    Interface::new(
                        "map[string]interface {}",
                        Value::new_map(gob::Type::string_interface_map(), entries),
                    ),
                )))
            }
            ApiVersion::V0_3_0 => Some(match &self.parameters {
                Some(p) => Ok(("parameters", Interface::from_concrete(p.clone()))),
                // Go's gob cannot send a nil pointer inside an interface. The prefix is
                // doubled as in Go: encodeInterface passes a text starting with "gob: " to
                // errorf, which prefixes "gob: " again (encoding/gob/encode.go).
                None => Err(
                    "gob: gob: cannot encode nil pointer of type *api.SearchParameters inside interface"
                        .to_string(),
                ),
            }),
            _ => None,
        }
    }
}

impl MethodInput for DisassembleInput {
    type Json = DisassembleInput;
    const WRONG_TYPE: &'static str = "key input is not a *DisassembleInput";
    fn from_json(json: DisassembleInput) -> Result<Self, String> {
        Ok(json)
    }
}

impl MethodInput for RemoveConnectionBanInput {
    type Json = RemoveConnectionBanInput;
    const WRONG_TYPE: &'static str = "key input is not a *RemoveConnectionBanInput";
    fn from_json(json: RemoveConnectionBanInput) -> Result<Self, String> {
        Ok(json)
    }
}

impl MethodOutput for EntityOutput {
    type Reply = EntityOutput;
    type LegacyReply = Entity;
    fn from_reply(reply: EntityOutput) -> Self {
        reply
    }
    fn from_legacy_reply(reply: Entity) -> Self {
        EntityOutput {
            entity: Some(reply),
        }
    }
    fn into_reply(self, legacy: bool) -> Box<dyn Encode + Send + Sync> {
        if legacy {
            // Go's v0.2.0 server copies `*entity` into the reply.
            Box::new(self.entity.unwrap_or_default())
        } else {
            Box::new(self)
        }
    }
}

impl MethodOutput for SubmitOutput {
    type Reply = SubmitOutput;
    // `SubmissionResult{RecordsAdded int}`: the same single field.
    type LegacyReply = SubmitOutput;
    fn from_reply(reply: SubmitOutput) -> Self {
        reply
    }
    fn from_legacy_reply(reply: SubmitOutput) -> Self {
        reply
    }
    fn into_reply(self, _legacy: bool) -> Box<dyn Encode + Send + Sync> {
        Box::new(self)
    }
}

impl MethodOutput for SearchOutput {
    type Reply = SearchReply;
    type LegacyReply = Vec<Entity>;
    fn from_reply(reply: SearchReply) -> Self {
        reply.into()
    }
    fn from_legacy_reply(reply: Vec<Entity>) -> Self {
        SearchOutput { entities: reply }
    }
    fn into_reply(self, legacy: bool) -> Box<dyn Encode + Send + Sync> {
        if legacy {
            // `[]*api.Entity`.
            Box::new(self.entities)
        } else {
            // With v0.5.0's `Hits` too: v0.5.0 and v0.6.0 hosts send the same arguments.
            Box::new(SearchReply::from(self))
        }
    }
}

impl MethodOutput for DisassembleOutput {
    type Reply = DisassembleOutput;
    type LegacyReply = DisassembleOutput;
    fn from_reply(reply: DisassembleOutput) -> Self {
        reply
    }
    fn from_legacy_reply(reply: DisassembleOutput) -> Self {
        reply
    }
    fn into_reply(self, _legacy: bool) -> Box<dyn Encode + Send + Sync> {
        Box::new(self)
    }
}

/// RemoveConnectionBan has no output: Go's reply is an `interface{}` left nil, which a Go host
/// decodes into an `interface{}` and ignores.
impl MethodOutput for () {
    type Reply = Interface;
    type LegacyReply = Interface;
    fn from_reply(_: Interface) -> Self {}
    fn from_legacy_reply(_: Interface) -> Self {}
    fn into_reply(self, _legacy: bool) -> Box<dyn Encode + Send + Sync> {
        Box::new(Interface::nil())
    }
    /// Any one JSON value (Go's plugins answer `null`).
    fn from_http_answer(answer: &[u8]) -> Result<Self, String> {
        super::http::decode_answer::<serde::de::IgnoredAny>(answer).map(|_| ())
    }
}

#[cfg(test)]
impl MethodInput for EchoInput {
    type Json = EchoInput;
    const WRONG_TYPE: &'static str = "key input is not a *EchoInput";
    fn from_json(json: EchoInput) -> Result<Self, String> {
        Ok(json)
    }
}

#[cfg(test)]
impl MethodOutput for EchoOutput {
    type Reply = EchoOutput;
    type LegacyReply = EchoOutput;
    fn from_reply(reply: EchoOutput) -> Self {
        reply
    }
    fn from_legacy_reply(reply: EchoOutput) -> Self {
        reply
    }
    fn into_reply(self, _legacy: bool) -> Box<dyn Encode + Send + Sync> {
        Box::new(self)
    }
}
