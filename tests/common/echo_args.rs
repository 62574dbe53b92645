//! go-interop's `rpc-peer` argument type, shared by `tests/rpc_interop.rs` and
//! `bench/benches/netrpc.rs` (included with `#[path]`).

use std::collections::HashMap;

use tilores_plugin::gob::Gob;

/// Go's `EchoArgs` (go-interop/cmd/rpc-peer/service.go).
#[derive(Gob, Debug, Default, Clone, PartialEq)]
#[gob(go_type = "main.EchoArgs")]
pub struct EchoArgs {
    #[gob(name = "ID")]
    pub id: i64,
    #[gob(name = "Name")]
    pub name: String,
    #[gob(name = "Tags")]
    pub tags: Vec<String>,
    #[gob(name = "Data")]
    pub data: Vec<u8>,
    #[gob(name = "Score")]
    pub score: f64,
    #[gob(name = "Meta")]
    pub meta: HashMap<String, String>,
}
