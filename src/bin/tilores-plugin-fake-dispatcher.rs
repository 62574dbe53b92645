//! `tilores-plugin-fake-dispatcher`: the Rust port of tilores-plugin-fake-dispatcher v0.5.2,
//! a drop-in replacement for the Go binary wherever a dispatcher host runs it (the same ring of
//! 10 records, search semantics, error texts and wire answers). Where the Go fake panics
//! (a search with nil parameters, or comparing uncomparable values), this process exits with
//! status 2 as the Go process does.

use std::sync::Arc;

use tilores_plugin::dispatcher::{serve_dispatcher, FakeDispatcher, PanicPolicy};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let fake = FakeDispatcher::with_panic_policy(PanicPolicy::ExitProcess);
    if let Err(e) = serve_dispatcher(Arc::new(fake)).await {
        eprintln!("tilores-plugin-fake-dispatcher: {e}");
        std::process::exit(1);
    }
}
