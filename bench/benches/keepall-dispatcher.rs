//! `keepall-dispatcher`: a benchmark dispatcher plugin that keeps every record it is sent, as
//! a real dispatcher does. Rust twin of go-interop/plugin/keepall-dispatcher (same behaviour
//! on the wire):
//!
//! - Submit appends every record; `RecordsAdded` = the number sent.
//! - Entity returns an entity with the requested id holding every stored record in submit
//!   order, no edges, empty (non-nil) duplicates and hits (as the fake dispatcher).
//! - Search, Disassemble, RemoveConnectionBan fail with "not implemented".
//!
//! The crate's `tilores-plugin-fake-dispatcher` keeps a ring of 10 and so declares
//! `SUBMIT_KEEPS_LAST`, which lets the server stream a Submit and drop all but the last 10
//! records while decoding; that makes its RSS after a bulk Submit incomparable with Go's fake,
//! which decodes the whole argument first. This plugin keeps the default (`None`): the server
//! decodes the whole Submit, as any dispatcher that stores records gets. A bench target
//! (harness = false) so that `cargo test` never builds it; `bash bench/run` runs
//! `cargo bench --no-run` and launches the executable as a plugin.

use std::sync::{Arc, Mutex};

use tilores_plugin::dispatcher::{
    serve_dispatcher, CallContext, DisassembleInput, DisassembleOutput, DispatchError, Dispatcher,
    Duplicates, Edges, Entity, EntityInput, EntityOutput, Hits, Record, RemoveConnectionBanInput,
    SearchInput, SearchOutput, SubmitInput, SubmitOutput,
};

const NOT_IMPLEMENTED: &str = "not implemented for keep-all dispatcher";

#[derive(Default)]
struct KeepAll {
    records: Mutex<Vec<Record>>,
}

impl KeepAll {
    fn records(&self) -> std::sync::MutexGuard<'_, Vec<Record>> {
        // Every update is one push: a poisoned lock still holds a consistent list.
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Dispatcher for KeepAll {
    async fn entity(
        &self,
        _call: CallContext,
        input: EntityInput,
    ) -> Result<EntityOutput, DispatchError> {
        // The trait hands the reply over by value, so the records are cloned (Go shares the
        // pointers): part of what a Rust dispatcher pays per reply with this API.
        let records = self.records().clone();
        Ok(EntityOutput {
            entity: Some(Entity {
                id: input.id,
                records,
                edges: Edges::default(),
                duplicates: Some(Duplicates::default()),
                hits: Some(Hits::default()),
            }),
        })
    }

    async fn submit(
        &self,
        _call: CallContext,
        input: SubmitInput,
    ) -> Result<SubmitOutput, DispatchError> {
        let sent = input.records.len();
        self.records().extend(input.records);
        Ok(SubmitOutput {
            records_added: i64::try_from(sent).unwrap_or(i64::MAX),
        })
    }

    async fn search(
        &self,
        _call: CallContext,
        _input: SearchInput,
    ) -> Result<SearchOutput, DispatchError> {
        Err(DispatchError::new(NOT_IMPLEMENTED))
    }

    async fn disassemble(
        &self,
        _call: CallContext,
        _input: DisassembleInput,
    ) -> Result<DisassembleOutput, DispatchError> {
        Err(DispatchError::new(NOT_IMPLEMENTED))
    }

    async fn remove_connection_ban(
        &self,
        _call: CallContext,
        _input: RemoveConnectionBanInput,
    ) -> Result<(), DispatchError> {
        Err(DispatchError::new(NOT_IMPLEMENTED))
    }
}

// One runtime thread, as the crate's fake dispatcher binary.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = serve_dispatcher(Arc::new(KeepAll::default())).await {
        eprintln!("keepall-dispatcher: {e}");
        std::process::exit(1);
    }
}
