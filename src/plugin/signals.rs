//! Provider-side signal handling: a Go plugin ignores SIGINT (the host's terminal sends it to
//! the whole process group on Ctrl-C; the host decides when the plugin stops).

use std::io;

use tokio::signal::unix::{signal, SignalKind};
use tokio::task::JoinHandle;

/// Installs a SIGINT handler that ignores the signal, logging each one at trace like go-plugin:
/// message `plugin received interrupt signal, ignoring` with field `count` (1, 2, …).
///
/// Must be called inside a Tokio runtime. Once installed, SIGINT no longer terminates the process
/// for the rest of its life (Tokio keeps the OS handler registered even if the task ends); the
/// returned task only does the logging.
pub fn ignore_interrupts() -> io::Result<JoinHandle<()>> {
    let mut sig = signal(SignalKind::interrupt())?;
    Ok(tokio::spawn(async move {
        let mut count: u64 = 0;
        while sig.recv().await.is_some() {
            count += 1;
            tracing::trace!(count, "plugin received interrupt signal, ignoring");
        }
    }))
}
