//! `tilores-plugin`: command-line tools.
//!
//! - `tilores-plugin gob decode`: reads a gob stream on stdin, prints one typed-JSON document
//!   per top-level value (see `gob::json`), Go's types kept.
//! - `tilores-plugin gob encode`: reads typed-JSON documents (one per line) on stdin and writes
//!   the gob stream to stdout.
//!
//! - `tilores-plugin dispatch [--plugin PATH] [--deadline-ms N] [--auto-mtls] [-v]`: runs JSON-lines
//!   dispatcher calls from stdin against one plugin process (default: the bundled Rust fake
//!   dispatcher, which is this binary run as `serve-fake-dispatcher`) and prints one JSON line
//!   per input line (see `tilores_plugin::dispatcher::run_script`). The plugin's own
//!   stdout/stderr and logs go to stderr, so stdout holds only the answers. A line without
//!   `deadline_ms` gets the default deadline, `DEFAULT_DEADLINE` (60 s) from when it is
//!   run, so a stalled plugin cannot wedge the run: the call then answers
//!   `{"error":"context deadline exceeded"}` and the run goes on. `--deadline-ms N` changes
//!   the default; `--deadline-ms 0` sends such calls without a deadline and waits without
//!   limit, as Go's `dispatcher-host` does. `--auto-mtls` turns on go-plugin's AutoMTLS
//!   (mutual TLS with per-launch certificates) and reports the negotiated TLS version on
//!   stderr.
//!
//! Malformed gob input exits non-zero with a message on stderr that says what and where; a
//! malformed dispatch line gets an error line and the run goes on.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use tilores_plugin::gob::{self, json as gjson, Decoder, Encoder, Step, Value};

const USAGE: &str = "usage:
  tilores-plugin gob decode   < stream.gob   > values.jsonl
  tilores-plugin gob encode   < values.jsonl > stream.gob
  tilores-plugin dispatch [--plugin PATH] [--deadline-ms N] [--auto-mtls] [-v] < calls.jsonl > answers.jsonl
      each input line: {\"call\": entity|submit|search|disassemble|removeConnectionBan,
                        \"input\": {...}, \"deadline_ms\": N (optional)}
      without --plugin the bundled Rust fake dispatcher runs as the plugin;
      --deadline-ms: deadline of calls without deadline_ms (default 60000; 0: none);
      --auto-mtls: go-plugin AutoMTLS (mutual TLS, fresh certificates per launch)";

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
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown command {:?}\n{USAGE}", args.join(" "))),
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
    let mut dec = Decoder::with_limits(gob::Limits {
        max_message: gob::GO_MAX_MESSAGE,
        ..gob::Limits::default()
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut offset = 0usize;
    let mut index = 0usize;
    let mut writer = gjson::TypedJsonWriter::new();
    loop {
        match dec.decode_next::<Value>(&input[offset..], true) {
            Ok(Step::Value(v, used)) => {
                let line = serde_json::to_string(&writer.document(&v))
                    .map_err(|e| format!("value {index}: {e}"))?;
                writeln!(out, "{line}").map_err(|e| format!("writing stdout: {e}"))?;
                offset += used;
                index += 1;
            }
            Ok(Step::End(_)) => break,
            Err(e) => {
                let at = e.offset().map(|o| o + offset).unwrap_or(offset);
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

/// Options of `dispatch`.
struct DispatchArgs {
    plugin: Option<std::path::PathBuf>,
    /// Deadline of calls without `deadline_ms`; `None`: no deadline.
    deadline: Option<std::time::Duration>,
    verbose: bool,
    auto_mtls: bool,
}

fn parse_dispatch_args(args: &[&str]) -> Result<DispatchArgs, String> {
    let mut out = DispatchArgs {
        plugin: None,
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
            other => return Err(format!("dispatch: unknown argument {other:?}\n{USAGE}")),
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
    use tilores_plugin::plugin::{PluginCommand, StdioSink};

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
        // Keep stdout for the answers: the plugin's stdout goes to stderr.
        let config = || {
            let mut c = dispatcher::client_config();
            c.stdout = StdioSink::writer(tokio::io::stderr());
            #[cfg(feature = "tls")]
            {
                c.auto_mtls = args.auto_mtls;
            }
            c
        };
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
        let options = ScriptOptions {
            default_deadline: args.deadline,
        };
        let stdin = tokio::io::BufReader::new(tokio::io::stdin());
        let result =
            dispatcher::run_script(plugin.dispatcher(), stdin, tokio::io::stdout(), &options).await;
        plugin.kill().await;
        result.map(|_| ()).map_err(|e| format!("dispatch: {e}"))
    })
}

fn serve_fake() -> Result<(), String> {
    // One thread, as the tilores-plugin-fake-dispatcher binary: less CPU per call.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    runtime.block_on(async {
        tilores_plugin::dispatcher::serve_fake_dispatcher()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}
