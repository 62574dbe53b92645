//! The net/rpc server's request reader: the input is everything the client side of the
//! stream sends (request headers and argument bodies as gob frames), then EOF, to a server
//! with the fake dispatcher registered as service `Plugin` (arguments decode into the real
//! input types, handlers run). The replies are read and dropped.
//!
//! Checks: no panic (incl. under ASan; a handler panic would be caught and answered, so a
//! panic here is one of the reader's), memory bounded by libFuzzer's `-rss_limit_mb` /
//! `-malloc_limit_mb`, and `serve` returns once the stream has ended — in paused virtual time,
//! so a hang fails at once.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use tilores_plugin::dispatcher::{rpc_server, FakeDispatcher};
use tilores_plugin_fuzz::{drain, feed, runtime, MUST_END_WITHIN};

fuzz_target!(|data: &[u8]| {
    let data = data.to_vec();
    runtime().block_on(async move {
        let server = rpc_server(Arc::new(FakeDispatcher::new()));
        let (client, plugin) = tokio::io::duplex(64 * 1024);
        let (client_r, client_w) = tokio::io::split(client);
        tokio::spawn(drain(client_r, false));
        tokio::spawn(async move { feed(client_w, &data).await });
        let served = tokio::time::timeout(MUST_END_WITHIN, server.serve(plugin))
            .await
            .expect("serve returns once the client's stream has ended");
        let _ = served;
    });
});
