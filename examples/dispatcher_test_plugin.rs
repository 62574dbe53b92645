//! A dispatcher plugin serving the api test fixture of tilores-plugin-api v0.6.0
//! (`dispatcher/plugin_test.go`): the Rust twin of `go-interop/plugin/dispatcher-testplugin`.
//! Entity's record data reports the deadline the plugin saw (`deadlineExists`, `deadline`).
//!
//! Test switch: with `DISPATCHER_TEST_PLUGIN_TRICKLE_MS=N` set, the plugin misbehaves on
//! purpose. An `Entity` call for id `trickle` makes it send its next
//! [`trickle::BYTES`] bytes on the host connection one at a time, N ms apart (the reply of
//! that call, then whatever follows), before it answers at full speed again: a plugin that
//! trickles its reply, for the host's deadline tests.

use std::sync::Arc;

#[path = "support/dispatcher_fixture.rs"]
mod fixture;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Some(ms) = std::env::var("DISPATCHER_TEST_PLUGIN_TRICKLE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return trickle::serve(std::time::Duration::from_millis(ms)).await;
    }
    if let Err(e) = tilores_plugin::dispatcher::serve_dispatcher(Arc::new(fixture::Fixture)).await {
        eprintln!("dispatcher_test_plugin: {e}");
        std::process::exit(1);
    }
}

/// The trickling plugin: the fixture behind a socket whose writes crawl on demand.
mod trickle {
    use std::future::Future;
    use std::io::Write;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use tilores_plugin::dispatcher::*;
    use tilores_plugin::plugin::{
        format_line, ListenerConfig, PluginListener, PluginServer, Protocol,
    };
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    use super::fixture::Fixture;

    /// How many bytes are trickled after an `Entity` call for id `trickle`: more than its
    /// reply (yamux header and gob reply), so the whole reply crawls.
    pub const BYTES: usize = 512;

    /// Bytes still to trickle (shared by every connection).
    static LEFT: AtomicUsize = AtomicUsize::new(0);

    /// The fixture, arming the trickle on `Entity("trickle")`.
    struct Trickling;

    impl Dispatcher for Trickling {
        async fn entity(
            &self,
            call: CallContext,
            input: EntityInput,
        ) -> Result<EntityOutput, DispatchError> {
            if input.id == "trickle" {
                LEFT.store(BYTES, Ordering::SeqCst);
            }
            Fixture.entity(call, input).await
        }
        async fn submit(
            &self,
            call: CallContext,
            input: SubmitInput,
        ) -> Result<SubmitOutput, DispatchError> {
            Fixture.submit(call, input).await
        }
        async fn search(
            &self,
            call: CallContext,
            input: SearchInput,
        ) -> Result<SearchOutput, DispatchError> {
            Fixture.search(call, input).await
        }
        async fn disassemble(
            &self,
            call: CallContext,
            input: DisassembleInput,
        ) -> Result<DisassembleOutput, DispatchError> {
            Fixture.disassemble(call, input).await
        }
        async fn remove_connection_ban(
            &self,
            call: CallContext,
            input: RemoveConnectionBanInput,
        ) -> Result<(), DispatchError> {
            Fixture.remove_connection_ban(call, input).await
        }
    }

    /// A socket whose writes go one byte per `every` while [`LEFT`] is positive.
    struct Crawl<S> {
        io: S,
        every: Duration,
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    }

    impl<S: AsyncRead + Unpin> AsyncRead for Crawl<S> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_read(cx, buf)
        }
    }

    impl<S: AsyncWrite + Unpin> AsyncWrite for Crawl<S> {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            if LEFT.load(Ordering::SeqCst) == 0 {
                return Pin::new(&mut self.io).poll_write(cx, buf);
            }
            let every = self.every;
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
            let r = Pin::new(&mut self.io).poll_write(cx, &buf[..buf.len().min(1)]);
            if let Poll::Ready(Ok(n)) = r {
                let _ = LEFT.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| {
                    Some(l.saturating_sub(n))
                });
            }
            r
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_flush(cx)
        }

        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.io).poll_shutdown(cx)
        }
    }

    /// go-plugin's handshake and connection serving, without the process-wide parts of
    /// `serve` (no cookie check, no stdio redirection, no logging).
    pub async fn serve(every: Duration) {
        let listener = match PluginListener::bind_with(&ListenerConfig::from_env()) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("dispatcher_test_plugin: {e}");
                std::process::exit(1);
            }
        };
        let line = match format_line(1, &listener.addr(), Protocol::NetRpc, None) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("dispatcher_test_plugin: {e}");
                std::process::exit(1);
            }
        };
        let mut out = std::io::stdout();
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
        let server = PluginServer::new(plugin_set(Arc::new(Trickling)));
        let quit = server.quit_token();
        loop {
            tokio::select! {
                _ = quit.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(socket) => {
                        let server = server.clone();
                        let socket = Crawl { io: socket, every, sleep: None };
                        tokio::spawn(async move { server.serve_connection(socket).await });
                    }
                    Err(_) => break,
                },
            }
        }
        // Let the Quit reply leave.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
