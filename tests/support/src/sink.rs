//! An in-memory sink for output a test hands over (stderr copies, stdout streams, logs).

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Bytes a plugin or host writes to a sink the test hands over (a stderr copy, a stdout stream,
/// a log layer), shared with the test: `std::io::Write` and tokio's `AsyncWrite`.
#[derive(Clone, Default)]
pub struct SharedBytes(Arc<Mutex<Vec<u8>>>);

impl SharedBytes {
    /// The bytes so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The text so far (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// The text once it is `n` bytes long, or whatever there is after `limit`.
    pub async fn wait_len(&self, n: usize, limit: Duration) -> String {
        let start = std::time::Instant::now();
        loop {
            let t = self.text();
            if t.len() >= n || start.elapsed() > limit {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The text once it contains `needle`; panics after 10 s.
    pub async fn wait_for(&self, needle: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let t = self.text();
            if t.contains(needle) {
                return t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "never contained {needle:?}: {t:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl std::io::Write for SharedBytes {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncWrite for SharedBytes {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
