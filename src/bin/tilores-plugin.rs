//! `tilores-plugin`: command-line tools.
//!
//! - `tilores-plugin gob decode`: reads a gob stream on stdin, prints one typed-JSON document
//!   per top-level value (see `gob::json`), Go's types kept.
//! - `tilores-plugin gob encode`: reads typed-JSON documents (one per line) on stdin and writes
//!   the gob stream to stdout.
//!
//! - `tilores-plugin dispatch [--plugin PATH] [--protocol auto|netrpc|http] [--api VERSION]
//!   [--deadline-ms N] [--auto-mtls] [-v]`: runs JSON-lines
//!   dispatcher calls from stdin against one plugin process (default: the bundled Rust fake
//!   dispatcher, which is this binary run as `serve-fake-dispatcher`) and prints one JSON line
//!   per input line (see `tilores_plugin::dispatcher::run_script`). The plugin's own
//!   stdout/stderr and logs go to stderr, so stdout holds only the answers. A line without
//!   `deadline_ms` gets the default deadline, `DEFAULT_DEADLINE` (60 s) from when it is
//!   run, so a stalled plugin cannot wedge the run: the call then answers
//!   `{"error":"context deadline exceeded"}` and the run goes on. `--deadline-ms N` changes
//!   the default; `--deadline-ms 0` sends such calls without a deadline and waits without
//!   limit, as Go's `dispatcher-host` does. `--protocol` picks the plugin protocol: go-plugin
//!   net/rpc (api v0.1–v0.6), TiloRes' HTTP plugin protocol (api v0.7+), or `auto` (the
//!   default): the plugin is started once with both protocols' environments and its first
//!   stdout line decides (`plugin is ready` → http, a go-plugin handshake → netrpc), then it
//!   is started again with the chosen one. Over HTTP the deadline only travels (as with Go's
//!   host); each call waits at most 30 s, and a plugin gone is restarted and the call retried
//!   once.
//!
//!   `--api v0.2.0|v0.3.0|v0.5.0|v0.6.0` (default v0.6.0) speaks that tilores-plugin-api
//!   version to the plugin (see `tilores_plugin::dispatcher::ApiVersion`); the answers keep
//!   the v0.6.0 JSON shape whatever the version.
//!
//!   `--auto-mtls` (go-plugin net/rpc only) turns on go-plugin's AutoMTLS (mutual TLS with
//!   per-launch certificates) and reports the negotiated TLS version on stderr.
//!
//! Malformed gob input exits non-zero with a message on stderr that says what and where; a
//! malformed dispatch line gets an error line and the run goes on.

use std::io::{BufRead, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::process::ExitCode;

use tilores_plugin::gob::{self, json as gjson, Decoder, Encoder, Value};

const USAGE: &str = "usage:
  tilores-plugin gob decode   < stream.gob   > values.jsonl
  tilores-plugin gob encode   < values.jsonl > stream.gob
  tilores-plugin dispatch [--plugin PATH] [--protocol auto|netrpc|http] [--api VERSION]
                          [--deadline-ms N] [--auto-mtls] [-v] < calls.jsonl > answers.jsonl
      each input line: {\"call\": CALLS,
                        \"input\": {...}, \"deadline_ms\": N (optional)}
      without --plugin the bundled Rust fake dispatcher runs as the plugin;
      --protocol: go-plugin net/rpc (api <= v0.6), TiloRes HTTP (api >= v0.7), or auto
                  (default: decided from the plugin's first stdout line)
      --api: tilores-plugin-api version spoken over net/rpc: v0.2.0, v0.3.0, v0.5.0 or
             v0.6.0 (default)
      --deadline-ms: deadline of calls without deadline_ms (default 60000; 0: none)
      --auto-mtls: go-plugin AutoMTLS (mutual TLS, fresh certificates per launch; net/rpc)";

/// [`USAGE`] with the script calls of the dispatcher's method table in place of `CALLS`.
fn usage() -> String {
    let calls: Vec<&str> = tilores_plugin::dispatcher::methods()
        .iter()
        .map(|m| m.script)
        .collect();
    USAGE.replace("CALLS", &calls.join("|"))
}

/// Deadline of a `dispatch` call whose line has no `deadline_ms` (change with
/// `--deadline-ms`): long enough for any real dispatcher call, short enough that a stalled
/// plugin ends the call with `context deadline exceeded` instead of wedging the run.
const DEFAULT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Hidden subcommand: this binary as the Rust fake dispatcher plugin process.
const SERVE_FAKE: &str = "serve-fake-dispatcher";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gob", "decode"] => gob_decode(),
        ["gob", "encode"] => gob_encode(),
        ["dispatch", rest @ ..] => dispatch(rest),
        [cmd] if *cmd == SERVE_FAKE => serve_fake(),
        ["-h"] | ["--help"] | ["help"] => {
            println!("{}", usage());
            Ok(())
        }
        _ => Err(format!("unknown command {:?}\n{}", args.join(" "), usage())),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tilores-plugin: {e}");
            ExitCode::FAILURE
        }
    }
}

fn gob_decode() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let mut limits = gob::Limits::default();
    limits.max_message = gob::GO_MAX_MESSAGE;
    let mut dec = Decoder::with_limits(limits);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut index = 0usize;
    let mut writer = gjson::TypedJsonWriter::new();
    let mut values = dec.iter::<Value>(&input);
    loop {
        let offset = values.used();
        match values.next() {
            Some(Ok(v)) => {
                let line = serde_json::to_string(&writer.document(&v))
                    .map_err(|e| format!("value {index}: {e}"))?;
                writeln!(out, "{line}").map_err(|e| format!("writing stdout: {e}"))?;
                index += 1;
            }
            None => break,
            Some(Err(e)) => {
                // The iterator's error offsets count from the start of the input.
                let at = e.offset().unwrap_or(offset);
                return Err(format!(
                    "malformed gob stream: value {index} (starting at byte {offset}), error at byte {at}: {e}"
                ));
            }
        }
    }
    out.flush().map_err(|e| format!("writing stdout: {e}"))
}

fn gob_encode() -> Result<(), String> {
    let stdin = std::io::stdin();
    let mut enc = Encoder::new();
    let mut reader = gjson::TypedJsonReader::new();
    let mut buf = Vec::new();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let doc = gjson::parse_typed_json(&line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let v = reader
            .value(&doc)
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        enc.encode_into(&v, &mut buf)
            .map_err(|e| format!("line {}: cannot encode: {e}", n + 1))?;
    }
    std::io::stdout()
        .write_all(&buf)
        .and_then(|_| std::io::stdout().flush())
        .map_err(|e| format!("writing stdout: {e}"))
}

/// `dispatch --protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProtocolArg {
    Auto,
    Fixed(tilores_plugin::dispatcher::http::Protocol),
}

/// Options of `dispatch`.
struct DispatchArgs {
    plugin: Option<std::path::PathBuf>,
    api: tilores_plugin::dispatcher::ApiVersion,
    protocol: ProtocolArg,
    /// Deadline of calls without `deadline_ms`; `None`: no deadline.
    deadline: Option<std::time::Duration>,
    verbose: bool,
    auto_mtls: bool,
}

fn parse_dispatch_args(args: &[&str]) -> Result<DispatchArgs, String> {
    let mut out = DispatchArgs {
        plugin: None,
        api: Default::default(),
        protocol: ProtocolArg::Auto,
        deadline: Some(DEFAULT_DEADLINE),
        verbose: false,
        auto_mtls: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--plugin" => {
                let p = it.next().ok_or("--plugin needs a path")?;
                out.plugin = Some(p.into());
            }
            "--api" => {
                let v = it.next().ok_or("--api needs a version")?;
                out.api = v.parse()?;
            }
            "--protocol" => {
                use tilores_plugin::dispatcher::http::Protocol;
                out.protocol = match it.next().copied() {
                    Some("auto") => ProtocolArg::Auto,
                    Some("netrpc") => ProtocolArg::Fixed(Protocol::NetRpc),
                    Some("http") => ProtocolArg::Fixed(Protocol::Http),
                    Some(other) => {
                        return Err(format!(
                            "--protocol: expected auto, netrpc or http, got {other:?}"
                        ))
                    }
                    None => return Err("--protocol needs auto, netrpc or http".into()),
                }
            }
            "--deadline-ms" => {
                let ms = it.next().ok_or("--deadline-ms needs a number")?;
                let ms: u64 = ms
                    .parse()
                    .map_err(|_| format!("--deadline-ms: not a number: {ms:?}"))?;
                out.deadline = (ms > 0).then(|| std::time::Duration::from_millis(ms));
            }
            "-v" | "--verbose" => out.verbose = true,
            "--auto-mtls" if cfg!(feature = "tls") => out.auto_mtls = true,
            "--auto-mtls" => return Err("--auto-mtls: built without the `tls` feature".into()),
            other => return Err(format!("dispatch: unknown argument {other:?}\n{}", usage())),
        }
    }
    Ok(out)
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))
}

fn dispatch(args: &[&str]) -> Result<(), String> {
    use tilores_plugin::dispatcher::{self, ScriptOptions};
    use tilores_plugin::plugin::PluginCommand;

    let args = parse_dispatch_args(args)?;
    let level = if args.verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::WARN
    };
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .finish(),
    );
    let cmd = match &args.plugin {
        Some(path) => PluginCommand::new(path),
        None => {
            let me = std::env::current_exe()
                .map_err(|e| format!("locating the bundled fake dispatcher: {e}"))?;
            PluginCommand::new(me).arg(SERVE_FAKE)
        }
    };
    runtime()?.block_on(async {
        let mut options = ScriptOptions::default();
        options.default_deadline = args.deadline;
        // The HTTP protocol's socket: a private directory per run (Go's host uses the fixed
        // $TMPDIR/dispatcher, which concurrent hosts would share).
        let dir = private_dir()?;
        let socket = dir.join("dispatcher");
        let protocol = match args.protocol {
            ProtocolArg::Fixed(p) => Ok(p),
            ProtocolArg::Auto => dispatcher::__cli::probe_protocol(&cmd, &socket)
                .await
                .map_err(|e| format!("detecting the plugin protocol: {e}")),
        };
        let result = match protocol {
            Ok(dispatcher::http::Protocol::NetRpc) => {
                dispatch_netrpc(cmd, args.api, args.auto_mtls, &options).await
            }
            Ok(dispatcher::http::Protocol::Http) if args.auto_mtls => Err(
                "--auto-mtls: the plugin speaks TiloRes' HTTP protocol, which has no TLS \
                 (AutoMTLS is go-plugin's)"
                    .to_string(),
            ),
            Ok(dispatcher::http::Protocol::Http) if args.api != Default::default() => Err(format!(
                "--api {}: the plugin speaks TiloRes' HTTP protocol (api v0.7+); --api chooses \
                 among the go-plugin net/rpc versions",
                args.api
            )),
            Ok(dispatcher::http::Protocol::Http) => dispatch_http(cmd, socket, &options).await,
            Ok(other) => Err(format!("plugin protocol {other:?} is not supported")),
            Err(e) => Err(e),
        };
        let _ = std::fs::remove_dir_all(&dir);
        result
    })
}

/// A new directory only this user can enter (never one that already exists: another user
/// could have made it).
fn private_dir() -> Result<std::path::PathBuf, String> {
    let base = std::env::temp_dir();
    let mut last = None;
    for n in 0..100 {
        let dir = base.join(format!("tilores-plugin-{}-{n}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(format!("creating {}: {e}", dir.display())),
        }
    }
    Err(format!(
        "creating a directory in {}: {}",
        base.display(),
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

async fn dispatch_netrpc(
    cmd: tilores_plugin::plugin::PluginCommand,
    api: tilores_plugin::dispatcher::ApiVersion,
    auto_mtls: bool,
    options: &tilores_plugin::dispatcher::ScriptOptions,
) -> Result<(), String> {
    use tilores_plugin::dispatcher;
    use tilores_plugin::plugin::StdioSink;
    // Keep stdout for the answers: the plugin's stdout goes to stderr.
    let config = || {
        let mut c = dispatcher::client_config();
        c.stdout = StdioSink::writer(tokio::io::stderr());
        #[cfg(feature = "tls")]
        {
            c.auto_mtls = auto_mtls;
        }
        c
    };
    #[cfg(not(feature = "tls"))]
    let _ = auto_mtls;
    let mut plugin = dispatcher::initialize_with(cmd, None, config, config)
        .await
        .map_err(|e| format!("starting the dispatcher plugin: {e}"))?;
    #[cfg(feature = "tls")]
    if let Some(tls) = plugin.plugin().tls() {
        eprintln!(
            "tilores-plugin: TLS with the plugin: {:?}, {:?}",
            tls.protocol_version, tls.cipher_suite
        );
    }
    plugin.set_api(api);
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let result =
        dispatcher::run_script(plugin.dispatcher(), stdin, tokio::io::stdout(), options).await;
    plugin.kill().await;
    result.map(|_| ()).map_err(|e| format!("dispatch: {e}"))
}

async fn dispatch_http(
    cmd: tilores_plugin::plugin::PluginCommand,
    socket: std::path::PathBuf,
    options: &tilores_plugin::dispatcher::ScriptOptions,
) -> Result<(), String> {
    use tilores_plugin::dispatcher::{self, http};
    let mut config = http::HttpClientConfig::default();
    config.socket = socket;
    config.stdout = http::OutputTo::Stderr;
    let plugin = http::HttpDispatcherClient::start(cmd, config)
        .await
        .map_err(|e| format!("starting the dispatcher plugin: {e}"))?;
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let result = dispatcher::run_script(&plugin, stdin, tokio::io::stdout(), options).await;
    plugin.terminate().await;
    result.map(|_| ()).map_err(|e| format!("dispatch: {e}"))
}

fn serve_fake() -> Result<(), String> {
    // One thread, as the tilores-plugin-fake-dispatcher binary: less CPU per call.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    runtime.block_on(async {
        tilores_plugin::dispatcher::__cli::serve_fake_dispatcher_for_env().await
    })
}
