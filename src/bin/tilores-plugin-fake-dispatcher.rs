//! `tilores-plugin-fake-dispatcher`: the Rust port of tilores-plugin-fake-dispatcher v0.5.2,
//! a drop-in replacement for the Go binary wherever a dispatcher host runs it (the same ring of
//! 10 records, search semantics, error texts and wire answers). Where the Go fake panics
//! (a search with nil parameters, or comparing uncomparable values), this process exits with
//! status 2 as the Go process does.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = tilores_plugin::dispatcher::serve_fake_dispatcher().await {
        eprintln!("tilores-plugin-fake-dispatcher: {e}");
        std::process::exit(1);
    }
}
