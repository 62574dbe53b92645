//! The argument types of the kv test plugin contract (go-interop `internal/kvtest`), shared
//! by `examples/kv_plugin.rs` and `tests/plugin_interop.rs` (included with `#[path]`).

use std::collections::BTreeMap;

use tilores_plugin::gob::Gob;

/// `kvtest.KV`.
#[derive(Gob, Debug, Default, Clone)]
#[gob(go_type = "kvtest.KV")]
pub struct Kv {
    #[gob(name = "Key")]
    pub key: String,
    #[gob(name = "Value")]
    pub value: String,
}

/// `kvtest.LogArgs`.
#[derive(Gob, Debug, Default, Clone)]
#[gob(go_type = "kvtest.LogArgs")]
pub struct LogArgs {
    #[gob(name = "Level")]
    pub level: String,
    #[gob(name = "Message")]
    pub message: String,
    #[gob(name = "Fields")]
    pub fields: BTreeMap<String, String>,
}
