//! `tilores-plugin-fake-dispatcher`: the Rust port of tilores-plugin-fake-dispatcher v0.5.2,
//! a drop-in replacement for the Go binary wherever a dispatcher host runs it (the same ring of
//! 10 records, search semantics, error texts and wire answers). Where the Go fake panics
//! (a search with nil parameters, or comparing uncomparable values), this process exits with
//! status 2 as the Go process does.
//!
//! With `PLUGIN_SOCKET` set (and no go-plugin cookie) it is instead the Go fake v0.6.0 of
//! TiloRes' HTTP plugin protocol (tilores-plugin-api v0.7.x hosts): see
//! `tilores_plugin::dispatcher::__cli::serve_fake_dispatcher_for_env`.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = tilores_plugin::dispatcher::__cli::serve_fake_dispatcher_for_env().await {
        eprintln!("tilores-plugin-fake-dispatcher: {e}");
        std::process::exit(1);
    }
}
