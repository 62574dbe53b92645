//! A dispatcher plugin serving the api test fixture of tilores-plugin-api v0.6.0
//! (`dispatcher/plugin_test.go`): the Rust twin of `go-interop/plugin/dispatcher-testplugin`.
//! Entity's record data reports the deadline the plugin saw (`deadlineExists`, `deadline`).

use std::sync::Arc;

#[path = "support/dispatcher_fixture.rs"]
mod fixture;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = tilores_plugin::dispatcher::serve_dispatcher(Arc::new(fixture::Fixture)).await {
        eprintln!("dispatcher_test_plugin: {e}");
        std::process::exit(1);
    }
}
