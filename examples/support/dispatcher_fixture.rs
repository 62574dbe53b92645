//! The api test fixture of tilores-plugin-api v0.6.0 `dispatcher/plugin_test.go`
//! (go-interop `internal/dispatchertest.TestDispatcher`) in Rust. Shared by
//! `examples/dispatcher_test_plugin.rs` and the tests (included with `#[path]`).

use std::collections::BTreeMap;

use tilores_plugin::dispatcher::*;
use tilores_plugin::gob::{GoTime, Interface};

/// The api test fixture (go-interop `internal/dispatchertest.TestDispatcher`) in Rust:
/// Entity's record reports the deadline it saw.
pub struct Fixture;

fn fixture_entity(data: InterfaceMap) -> Entity {
    Entity {
        id: "abcd".into(),
        records: vec![Record::new("12345", data)],
        edges: Edges(vec!["12345:12345:STATIC".into()]),
        duplicates: Some(Duplicates(BTreeMap::from([(
            "12345".to_string(),
            vec!["12345".to_string(), "duplicateID".to_string()],
        )]))),
        hits: Some(Hits(BTreeMap::from([(
            "12345".to_string(),
            vec!["someRuleName".to_string()],
        )]))),
    }
}

fn foo_bar() -> InterfaceMap {
    BTreeMap::from([("foo".into(), Interface::from("bar"))])
}

impl Dispatcher for Fixture {
    async fn entity(
        &self,
        call: CallContext,
        _: EntityInput,
    ) -> Result<EntityOutput, DispatchError> {
        let mut data = foo_bar();
        data.insert(
            "deadlineExists".into(),
            Interface::from(call.deadline.is_some()),
        );
        if let Some(d) = call.deadline {
            // Go: deadline.UTC().Format(time.RFC3339Nano).
            let utc = GoTime { offset: None, ..d };
            data.insert("deadline".into(), Interface::from(utc.to_rfc3339()));
        }
        Ok(EntityOutput {
            entity: Some(fixture_entity(data)),
        })
    }
    async fn submit(&self, _: CallContext, _: SubmitInput) -> Result<SubmitOutput, DispatchError> {
        Ok(SubmitOutput { records_added: 1 })
    }
    async fn search(&self, _: CallContext, _: SearchInput) -> Result<SearchOutput, DispatchError> {
        Ok(SearchOutput {
            entities: vec![fixture_entity(foo_bar())],
        })
    }
    async fn disassemble(
        &self,
        _: CallContext,
        _: DisassembleInput,
    ) -> Result<DisassembleOutput, DispatchError> {
        Ok(DisassembleOutput {
            deleted_edges: 1,
            deleted_records: 1,
            entity_ids: vec!["abcd".into()],
        })
    }
    async fn remove_connection_ban(
        &self,
        _: CallContext,
        _: RemoveConnectionBanInput,
    ) -> Result<(), DispatchError> {
        Err(DispatchError::new("forced remove connection ban error"))
    }
}
