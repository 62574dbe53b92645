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
//! answer bodies are written by [`super::gojson`] with `json.Marshal`'s HTML escaping,
//! request bodies are decoded with Go's rules and error texts (`json.Decoder`: the first JSON
//! value of the body counts, what follows it is ignored).

mod client;
mod conn;
mod envelope;
mod server;

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
                    Some(t) => w.string(&t.to_rfc3339()),
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
        gojson::Node::String(s) => Ok(s),
        // Go leaves the string empty on null.
        gojson::Node::Null => Ok(String::new()),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type string",
            node_kind(&other)
        )),
    }
}

fn node_kind(n: &gojson::Node) -> &'static str {
    match n {
        gojson::Node::Null => "null",
        gojson::Node::Bool(_) => "bool",
        gojson::Node::Number(_) => "number",
        gojson::Node::String(_) => "string",
        gojson::Node::Array(_) => "array",
        gojson::Node::Object(_) => "object",
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

/// The `main` of the Rust fake dispatcher: serves the protocol the environment asks for
/// ([`requested_protocol`]). Over net/rpc it is the Go fake v0.5.2 (the process exits with
/// status 2 where Go's panics); over HTTP the Go fake v0.6.0: where Go panics the call
/// answers 500 with Go's panic text and the plugin goes on (go-plugin recovers), and output
/// slices are never nil (`[]`), as v0.6.0 builds them.
pub async fn serve_fake_dispatcher_for_env() -> Result<(), String> {
    use super::{FakeDispatcher, PanicPolicy};
    match requested_protocol() {
        Protocol::NetRpc => super::serve_fake_dispatcher()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Protocol::Http => {
            let fake =
                std::sync::Arc::new(FakeDispatcher::with_panic_policy(PanicPolicy::Recovered));
            let config = HttpServerConfig {
                empty_slices_as_arrays: true,
                ..HttpServerConfig::default()
            };
            serve_http_dispatcher(fake, config)
                .await
                .map_err(|e| e.to_string())
        }
    }
}

/// Starts `cmd` once with both protocols' environments (go-plugin's magic cookie and
/// `PLUGIN_SOCKET=socket`), reads its first stdout line (at most [`READY_TIMEOUT`]), ends
/// the process and tells which protocol it speaks (see [`detect_protocol`]). A plugin that
/// speaks both answers with its choice (the Rust fake: net/rpc, see [`requested_protocol`]).
/// The probe runs with `TMPDIR` set to the socket's directory, where a go-plugin plugin
/// leaves its own socket: give it a private directory and remove it afterwards.
pub async fn probe_protocol(
    cmd: &crate::plugin::PluginCommand,
    socket: &std::path::Path,
) -> Result<Protocol, String> {
    use tokio::io::AsyncBufReadExt;
    let hs = super::handshake();
    let mut c = tokio::process::Command::new(&cmd.program);
    c.args(&cmd.args);
    for (k, v) in &cmd.env {
        c.env(k, v);
    }
    if let Some(dir) = &cmd.current_dir {
        c.current_dir(dir);
    }
    // TMPDIR: a go-plugin plugin creates its socket there and, ended before a host ever
    // connected, leaves it behind; the socket's directory is the caller's to clean up.
    if let Some(dir) = socket.parent() {
        c.env("TMPDIR", dir);
    }
    c.env(&hs.magic_cookie_key, &hs.magic_cookie_value)
        .env(SOCKET_ENV, socket)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = c
        .spawn()
        .map_err(|e| format!("starting {}: {e}", cmd.program.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    // The plugin's stderr: its first 4 KiB tell why a probe failed; the rest is drained.
    let stderr = child.stderr.take().map(|mut e| {
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = e.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let room = 4096usize.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            kept
        })
    });
    // Go's line limit: a first line longer than 64 KiB is no protocol's.
    let mut reader = tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(stdout, 64 * 1024));
    let mut line = String::new();
    let read = tokio::time::timeout(READY_TIMEOUT, reader.read_line(&mut line)).await;
    let _ = child.start_kill();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), child.wait()).await;
    let _ = std::fs::remove_file(socket);
    let why = match stderr {
        Some(task) => match tokio::time::timeout(std::time::Duration::from_secs(1), task).await {
            Ok(Ok(kept)) => {
                let text = String::from_utf8_lossy(&kept).trim().to_string();
                if text.is_empty() {
                    text
                } else {
                    format!(" (its stderr: {text})")
                }
            }
            _ => String::new(),
        },
        None => String::new(),
    };
    let found = match read {
        Err(_) => Err(format!(
            "plugin printed no line within {} seconds",
            READY_TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => Err(format!("reading the plugin's stdout: {e}")),
        Ok(Ok(0)) => Err("plugin exited without printing a line".into()),
        Ok(Ok(_)) => detect_protocol(&line)
            .ok_or_else(|| format!("unknown plugin protocol: first line {:?}", line.trim_end())),
    };
    found.map_err(|e| format!("{e}{why}"))
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
