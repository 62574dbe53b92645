//! TiloRes' HTTP plugin protocol (tilores-plugin-api v0.7.x on github.com/tilotech/go-plugin
//! v0.1.x), both sides, behind the same [`Dispatcher`](super::Dispatcher) trait as the net/rpc protocol.
//!
//! The protocol (go-plugin v0.1.0–v0.1.2 `start.go`, `client.go`, `server.go`; api v0.7.x
//! `dispatcher/provider.go`, `proxy.go`):
//!
//! - The host starts the plugin with `PLUGIN_SOCKET=<path>` in its environment. The plugin
//!   sets its umask to 0077, listens on that unix socket and prints `plugin is ready` on
//!   stdout (or `failed to listen on socket`). The host waits at most 10 s for that line.
//! - Each call is `POST http://plugin/<method>` (HTTP/1.1 over the socket) with the body
//!   `{"Context":{"Deadline":<RFC 3339 or null>},"Payload":<input>}`; methods are `/entity`,
//!   `/submit`, `/search`, `/disassemble`, `/removeconnectionban` (the `http` paths of the
//!   method table: both sides derive from it).
//! - The answer is 200 with the output's JSON (`null` for RemoveConnectionBan), or a JSON
//!   string with the error text: 404 unknown method, 422 undecodable body, 500 method error
//!   or recovered panic. Bodies end in a newline (Go's `json.Encoder`).
//! - A host whose request fails with a connection error (not a timeout) terminates the plugin
//!   (SIGTERM), starts it again and retries the request once. SIGTERM or SIGINT ends a plugin.
//!
//! [`serve_http_dispatcher`] is a plugin's `main` (go-plugin's `ListenAndServe` with api's
//! `dispatcher.Provide`); [`serve_http`] serves on a listener of your own.
//! [`HttpDispatcherClient`] is the host (api's `dispatcher.Connect(plugin.StartWithCmd(..))`).
//! [`detect_protocol`] tells the two plugin protocols apart from the first stdout line.
//!
//! JSON is Go's `encoding/json`, byte for byte where a Go peer can see it: the request and
//! answer bodies are written by the dispatcher's Go-JSON writer with `json.Marshal`'s HTML escaping,
//! request bodies are decoded with Go's rules and error texts (`json.Decoder`: the first JSON
//! value of the body counts, what follows it is ignored).

mod client;
mod conn;
mod envelope;
mod server;
// The CLI's and the fake binary's entry points, re-exported by `dispatcher::__cli` only.
pub(in crate::dispatcher) mod launch;

use std::time::Duration;

pub(crate) use client::decode_answer;
pub use client::{HttpClientConfig, HttpDispatcherClient, HttpError, OutputTo};
pub(crate) use envelope::first_value as first_json_value;
pub use server::{serve_http, serve_http_dispatcher, HttpServeError, HttpServerConfig};

use super::gojson::{self, JsonError, JsonWriter, WriteJson};
#[cfg(test)]
use super::types::EntityInput;

/// The environment variable naming the socket a plugin listens on.
pub const SOCKET_ENV: &str = "PLUGIN_SOCKET";

/// The stdout line of a plugin that listens (go-plugin `pluginIsReadyMsg`).
pub const READY_LINE: &str = "plugin is ready";

/// The stdout line of a plugin that could not listen (go-plugin `pluginListenFailedMsg`).
pub const LISTEN_FAILED_LINE: &str = "failed to listen on socket";

/// How long a host waits for [`READY_LINE`] (go-plugin `startPlugin`: 10 s).
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Which plugin protocol a dispatcher plugin speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// HashiCorp go-plugin with net/rpc (tilores-plugin-api v0.1–v0.6).
    NetRpc,
    /// TiloRes' HTTP plugin protocol (tilores-plugin-api v0.7+).
    Http,
}

/// Tells the protocol from a plugin's first stdout line: go-plugin's handshake line
/// (`1|1|unix|/path|netrpc|`) or one of [`READY_LINE`] / [`LISTEN_FAILED_LINE`]. `None`
/// for anything else.
pub fn detect_protocol(first_line: &str) -> Option<Protocol> {
    let line = first_line.trim_end_matches(['\r', '\n']);
    if line == READY_LINE || line == LISTEN_FAILED_LINE {
        return Some(Protocol::Http);
    }
    // go-plugin's handshake: CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK|ADDR|PROTOCOL
    let parts: Vec<&str> = line.split('|').collect();
    if parts.len() >= 4 && parts[0].chars().all(|c| c.is_ascii_digit()) && !parts[0].is_empty() {
        return Some(Protocol::NetRpc);
    }
    None
}

/// Go's `json.Marshal` of `requestWithContext{Context{Deadline}, Payload}` (no json tags:
/// the keys are the Go field names).
fn request_body(
    deadline: Option<gob::GoTime>,
    payload: &dyn WriteJson,
) -> Result<Vec<u8>, JsonError> {
    let mut w = JsonWriter::new().http_body();
    // A script line's input keeps its `[]`, as Go's host re-encodes what it decoded.
    if let Some(shape) = super::script::json_input_shape() {
        w = w.keeping_empty_arrays(shape);
    }
    w.object(|o| {
        o.field("Context", |w| {
            w.object(|o| {
                o.field("Deadline", |w| match deadline {
                    None => w.null(),
                    Some(t) => gojson::write_time(w, &t),
                })
            })
        })?;
        o.field("Payload", |w| payload.write_json(w))
    })?;
    Ok(w.into_bytes())
}

/// An answer body: Go's `json.NewEncoder(w).Encode(v)` (HTML escaped, newline-terminated).
fn answer_body(
    write: impl FnOnce(&mut JsonWriter) -> Result<(), JsonError>,
    empty_slices: bool,
) -> Result<Vec<u8>, JsonError> {
    let mut w = JsonWriter::new().http_body();
    if empty_slices {
        w = w.empty_slices_as_arrays();
    }
    write(&mut w)?;
    let mut b = w.into_bytes();
    b.push(b'\n');
    Ok(b)
}

/// An error answer's body: the text as a JSON string.
fn error_body(text: &str) -> Vec<u8> {
    // Writing a string cannot fail.
    answer_body(|w| w.string(text), false).unwrap_or_else(|_| b"\"\"\n".to_vec())
}

/// Decodes an answer's JSON string (the error text of a non-200 answer) as Go's client does
/// (`json.Decoder.Decode(&errMsg)`): the text, or the decoding error's text.
fn decode_error_text(body: &[u8]) -> Result<String, String> {
    let node = envelope::first_value(body)?;
    match node {
        gojson::Node::String(s, _) => Ok(s),
        // Go leaves the string empty on null.
        gojson::Node::Null => Ok(String::new()),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type string",
            other.kind()
        )),
    }
}

/// Which protocol this process's environment asks a plugin to serve: go-plugin's magic cookie
/// (`DISPATCHER_PLUGIN=opsPsgZd3qsXpjgj69j5`) → net/rpc; else a non-empty `PLUGIN_SOCKET` →
/// HTTP; else net/rpc (whose server then tells a user who ran the plugin by hand what it
/// is). The cookie wins when both are set: a go-plugin host sets it for this very launch,
/// while `PLUGIN_SOCKET` may be inherited (go-plugin's `StartWithCmd` passes the host's
/// whole environment on).
pub fn requested_protocol() -> Protocol {
    let hs = super::handshake();
    let cookie = std::env::var_os(&hs.magic_cookie_key);
    if cookie.is_some_and(|c| c == *hs.magic_cookie_value) {
        return Protocol::NetRpc;
    }
    if std::env::var_os(SOCKET_ENV).is_some_and(|s| !s.is_empty()) {
        return Protocol::Http;
    }
    Protocol::NetRpc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_from_the_first_line() {
        assert_eq!(detect_protocol("plugin is ready\n"), Some(Protocol::Http));
        assert_eq!(
            detect_protocol("failed to listen on socket"),
            Some(Protocol::Http)
        );
        assert_eq!(
            detect_protocol("1|1|unix|/tmp/plugin123|netrpc|\n"),
            Some(Protocol::NetRpc)
        );
        assert_eq!(detect_protocol("hello"), None);
        assert_eq!(detect_protocol(""), None);
        assert_eq!(detect_protocol("|1|unix|x"), None);
    }

    #[test]
    fn bodies_like_go() {
        let input = EntityInput { id: "<&>".into() };
        let body = request_body(None, &input).unwrap();
        assert_eq!(
            body,
            br#"{"Context":{"Deadline":null},"Payload":{"id":"\u003c\u0026\u003e"}}"#
        );
        let at = gob::GoTime::from_unix(1, 500);
        let body = request_body(Some(at), &input).unwrap();
        assert!(body.starts_with(br#"{"Context":{"Deadline":"1970-01-01T00:00:01.0000005Z"}"#));
        assert_eq!(error_body("a\"b"), b"\"a\\\"b\"\n");
        assert_eq!(decode_error_text(b"\"x\"\n").unwrap(), "x");
        assert_eq!(
            decode_error_text(b"{}").unwrap_err(),
            "json: cannot unmarshal object into Go value of type string"
        );
    }
}
