//! What the `tilores-plugin` CLI and the fake dispatcher binary need beyond the public API:
//! the fake's `main` for both protocols and the `--protocol auto` probe (re-exported through
//! the unstable `dispatcher::__cli`).

use super::{
    detect_protocol, requested_protocol, serve_http_dispatcher, HttpServerConfig, Protocol,
    READY_TIMEOUT, SOCKET_ENV,
};

/// The `main` of the Rust fake dispatcher: serves the protocol the environment asks for
/// ([`requested_protocol`]). Over net/rpc it is the Go fake v0.5.2 (the process exits with
/// status 2 where Go's panics); over HTTP the Go fake v0.6.0: where Go panics the call
/// answers 500 with Go's panic text and the plugin goes on (go-plugin recovers), and output
/// slices are never nil (`[]`), as v0.6.0 builds them.
pub async fn serve_fake_dispatcher_for_env() -> Result<(), String> {
    use super::super::{FakeDispatcher, PanicPolicy};
    match requested_protocol() {
        Protocol::NetRpc => super::super::plugin::serve_fake_dispatcher()
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
    let hs = super::super::handshake();
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
