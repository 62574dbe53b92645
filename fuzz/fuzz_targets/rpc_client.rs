//! The net/rpc client's response reader: the input is everything the server side of the
//! stream sends (response headers and reply bodies as gob frames), then EOF, while a
//! `DispatcherClient` has six calls in flight (every dispatcher method, sequence numbers 0–5;
//! replies decode into the real output types). The client's requests are read and dropped.
//!
//! Checks: no panic (incl. under ASan), memory bounded by libFuzzer's `-rss_limit_mb` /
//! `-malloc_limit_mb`, and every call ends (with its reply or an error) once the stream has
//! ended — in paused virtual time, so a hang fails at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tilores_plugin::dispatcher::DispatcherClient;
use tilores_plugin::rpc::Client;
use tilores_plugin_fuzz::{dispatcher_calls, drain, feed, runtime, MUST_END_WITHIN};

fuzz_target!(|data: &[u8]| {
    let data = data.to_vec();
    runtime().block_on(async move {
        let (host, server) = tokio::io::duplex(64 * 1024);
        let client = DispatcherClient::new(Client::new(host));
        let (server_r, server_w) = tokio::io::split(server);
        tokio::spawn(drain(server_r, false));
        tokio::spawn(async move { feed(server_w, &data).await });
        let ok = tokio::time::timeout(MUST_END_WITHIN, dispatcher_calls(&client))
            .await
            .expect("every call ends once the server's stream has ended");
        assert!(ok <= 6);
        assert_eq!(client.rpc().pending_calls(), 0);
    });
});
