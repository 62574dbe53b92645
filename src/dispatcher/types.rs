//! The values of tilores-plugin-api v0.6.0: the root `api` package (`Entity`, `Record`, ...) and
//! the `dispatcher` package's inputs and outputs, with Go's gob type and field names and
//! Go's JSON tags.
//!
//! # nil versus empty
//!
//! Go distinguishes nil from empty slices and maps, and its `encoding/json` shows the
//! difference (`null` versus `[]`/`{}`). Gob carries only part of it, and these types carry
//! exactly that part, so that a value means the same on both sides of the wire:
//!
//! - **Slices** are `Vec`s. Gob omits empty slices, so a Go peer always decodes an empty slice
//!   as nil; an empty `Vec` therefore stands for Go's nil slice and renders as JSON `null`
//!   (what a Go host prints for it after the wire), e.g. `Entity.edges`.
//! - **Maps** are `Option<map>`. Gob sends a non-nil empty map (count 0) and omits a nil one,
//!   so `Some(empty)` arrives as Go's `{}` and `None` as `null` — the fake dispatcher's empty
//!   `Duplicates`/`Hits` are `Some(empty)`.
//! - **Pointers** are `Option`s (`EntityOutput.entity`, `SearchInput.parameters`,
//!   `DisassembleInput.timeout`).
//!
//! Values inside `interface{}` slots ([`Record::data`], [`SearchParameters`]) are
//! [`gob::Interface`]s carrying their Go dynamic type (`float64`, `string`,
//! `map[string]interface {}`, `time.Time`, ...), which matters to Go code comparing them.
//!
//! Informational gob type names differ from Go's in one place: Go names the slice of records
//! `[]*api.Record` (with an unnamed element); here it is `[]api.Record`/`Record`. Go's decoder
//! ignores these names (structs match by field name).

use std::collections::BTreeMap;

use gob::{Gob, Interface};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map from string to Go `interface{}` values (Go: `map[string]interface{}`), ordered by
/// key like Go's JSON output.
pub type InterfaceMap = BTreeMap<gob::GoStr, Interface>;

/// Go `api.Entity`: a real world object made of records.
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(go_type = "api.Entity")]
pub struct Entity {
    /// `ID`, JSON `id`.
    #[gob(name = "ID")]
    #[serde(rename = "id", default)]
    pub id: String,
    /// `Records`, JSON `records` (empty: Go's nil).
    #[gob(name = "Records")]
    #[serde(rename = "records", default, with = "nil_slice")]
    pub records: Vec<Record>,
    /// `Edges`, JSON `edges` (empty: Go's nil).
    #[gob(name = "Edges")]
    #[serde(rename = "edges", default)]
    pub edges: Edges,
    /// `Duplicates`, JSON `duplicates` (`None`: Go's nil map).
    #[gob(name = "Duplicates")]
    #[serde(rename = "duplicates", default)]
    pub duplicates: Option<Duplicates>,
    /// `Hits`, JSON `hits` (`None`: Go's nil map).
    #[gob(name = "Hits")]
    #[serde(rename = "hits", default)]
    pub hits: Option<Hits>,
}

/// Go `api.Record`: one record of an entity; `Data` holds arbitrary Go values.
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(go_type = "api.Record")]
pub struct Record {
    /// `ID`, JSON `id`.
    #[gob(name = "ID")]
    #[serde(rename = "id", default)]
    pub id: String,
    /// `Data` (`map[string]interface{}`), JSON `data` (`None`: Go's nil map).
    #[gob(name = "Data")]
    #[serde(rename = "data", default, with = "interface_map_opt")]
    pub data: Option<InterfaceMap>,
}

impl Record {
    /// A record with the given id and data.
    pub fn new(id: impl Into<String>, data: InterfaceMap) -> Record {
        Record {
            id: id.into(),
            data: Some(data),
        }
    }
}

/// Go `api.Edges` (`[]string`), e.g. `"recordID:otherRecordID:STATIC"` or
/// `"recordID:otherRecordID:RULEID"`. Empty stands for Go's nil slice.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(go_type = "api.Edges")]
pub struct Edges(#[serde(with = "nil_slice")] pub Vec<String>);

/// Go `api.Duplicates` (`map[string][]string`): record id → ids of its duplicates.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(go_type = "api.Duplicates")]
pub struct Duplicates(#[serde(with = "string_slice_map")] pub BTreeMap<String, Vec<String>>);

/// Go `api.Hits` (`map[string][]string`): matched record id → matched rule ids.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(go_type = "api.Hits")]
pub struct Hits(#[serde(with = "string_slice_map")] pub BTreeMap<String, Vec<String>>);

/// Go `api.SearchParameters` (`map[string]interface{}`). Registered (like Go's
/// `gob.Register(&SearchParameters{})`) so it can travel inside `interface{}` as
/// `*api.SearchParameters`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(go_type = "api.SearchParameters", interface = "*api.SearchParameters")]
pub struct SearchParameters(#[serde(with = "interface_map")] pub InterfaceMap);

/// Go `dispatcher.EntityInput`: which entity to fetch. Travels as `*dispatcher.EntityInput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(
    go_type = "dispatcher.EntityInput",
    interface = "*dispatcher.EntityInput"
)]
pub struct EntityInput {
    /// `ID`, JSON `id`.
    #[gob(name = "ID")]
    #[serde(rename = "id", default)]
    pub id: String,
}

/// Go `dispatcher.EntityOutput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.EntityOutput")]
pub struct EntityOutput {
    /// `Entity` (`*api.Entity`), JSON `entity`. `None` arrives as Go's nil pointer (callers in
    /// Go would dereference it: implementations should always return an entity).
    #[gob(name = "Entity")]
    #[serde(rename = "entity", default)]
    pub entity: Option<Entity>,
}

/// Go `dispatcher.SearchInput`. Travels as `*dispatcher.SearchInput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(
    go_type = "dispatcher.SearchInput",
    interface = "*dispatcher.SearchInput"
)]
pub struct SearchInput {
    /// `Parameters` (`*api.SearchParameters`), JSON `parameters`.
    #[gob(name = "Parameters")]
    #[serde(rename = "parameters", default)]
    pub parameters: Option<SearchParameters>,
}

/// Go `dispatcher.SearchOutput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.SearchOutput")]
pub struct SearchOutput {
    /// `Entities` (`[]*api.Entity`), JSON `entities` (empty: Go's nil).
    #[gob(name = "Entities")]
    #[serde(rename = "entities", default, with = "nil_slice")]
    pub entities: Vec<Entity>,
}

/// Go `dispatcher.SearchOutput` as it travels: v0.6.0's `Entities` plus v0.5.0's `Hits`
/// (which v0.6.0 moved into `api.Entity`). A v0.6.0 peer ignores `Hits`, a v0.5.0 peer the
/// entities' hits, so one reply serves both (see [`SearchOutput`]).
#[derive(Gob, Debug, Clone, Default, PartialEq)]
#[gob(go_type = "dispatcher.SearchOutput")]
pub(crate) struct SearchReply {
    #[gob(name = "Entities")]
    pub(crate) entities: Vec<Entity>,
    /// The union of the entities' hits; `None` (not sent) when they have none.
    #[gob(name = "Hits")]
    pub(crate) hits: Option<Hits>,
}

impl From<SearchOutput> for SearchReply {
    fn from(out: SearchOutput) -> SearchReply {
        let mut all = BTreeMap::new();
        for e in &out.entities {
            for (record, rules) in e.hits.iter().flat_map(|h| &h.0) {
                all.insert(record.clone(), rules.clone());
            }
        }
        SearchReply {
            entities: out.entities,
            hits: (!all.is_empty()).then_some(Hits(all)),
        }
    }
}

impl From<SearchReply> for SearchOutput {
    /// A v0.5.0 reply's `Hits` (record id → rules) go to the entities holding those records,
    /// where v0.6.0 keeps them; entities that already carry hits (v0.6.0) are left alone.
    fn from(reply: SearchReply) -> SearchOutput {
        let mut entities = reply.entities;
        if let Some(hits) = reply.hits {
            if entities.iter().all(|e| e.hits.is_none()) {
                for e in &mut entities {
                    let mine: BTreeMap<_, _> = hits
                        .0
                        .iter()
                        .filter(|(record, _)| e.records.iter().any(|r| &r.id == *record))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    e.hits = Some(Hits(mine));
                }
            }
        }
        SearchOutput { entities }
    }
}

/// Go `dispatcher.SubmitInput`. Travels as `*dispatcher.SubmitInput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(
    go_type = "dispatcher.SubmitInput",
    interface = "*dispatcher.SubmitInput"
)]
pub struct SubmitInput {
    /// `Records` (`[]*api.Record`), JSON `records`.
    #[gob(name = "Records")]
    #[serde(rename = "records", default, with = "nil_slice")]
    pub records: Vec<Record>,
}

/// Go `dispatcher.SubmitOutput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.SubmitOutput")]
pub struct SubmitOutput {
    /// `RecordsAdded` (Go `int`), JSON `recordsAdded`.
    #[gob(name = "RecordsAdded")]
    #[serde(rename = "recordsAdded", default)]
    pub records_added: i64,
}

/// Go `dispatcher.DisassembleInput`: edges and records to remove. Travels as
/// `*dispatcher.DisassembleInput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(
    go_type = "dispatcher.DisassembleInput",
    interface = "*dispatcher.DisassembleInput"
)]
pub struct DisassembleInput {
    /// `Reference`, JSON `reference`.
    #[gob(name = "Reference")]
    #[serde(rename = "reference", default)]
    pub reference: String,
    /// `Edges`, JSON `edges`.
    #[gob(name = "Edges")]
    #[serde(rename = "edges", default, with = "nil_slice")]
    pub edges: Vec<DisassembleEdge>,
    /// `RecordIDs`, JSON `recordIDs`.
    #[gob(name = "RecordIDs")]
    #[serde(rename = "recordIDs", default, with = "nil_slice")]
    pub record_ids: Vec<String>,
    /// `CreateConnectionBan`, JSON `createConnectionBan`.
    #[gob(name = "CreateConnectionBan")]
    #[serde(rename = "createConnectionBan", default)]
    pub create_connection_ban: bool,
    /// `Meta`, JSON `meta`.
    #[gob(name = "Meta")]
    #[serde(rename = "meta", default)]
    pub meta: DisassembleMeta,
    /// `Timeout` (`*time.Duration`) in nanoseconds, JSON `timeout`. Gob omits a zero
    /// duration even behind a pointer, so `Some(0)` arrives as `None`.
    #[gob(name = "Timeout")]
    #[serde(rename = "timeout", default)]
    pub timeout: Option<i64>,
}

/// Go `dispatcher.DisassembleEdge`: one edge to remove.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.DisassembleEdge")]
pub struct DisassembleEdge {
    /// `A`, JSON `a`.
    #[gob(name = "A")]
    #[serde(rename = "a", default)]
    pub a: String,
    /// `B`, JSON `b`.
    #[gob(name = "B")]
    #[serde(rename = "b", default)]
    pub b: String,
}

/// Go `dispatcher.DisassembleMeta`: who disassembles and why.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.DisassembleMeta")]
pub struct DisassembleMeta {
    /// `User`, JSON `user`.
    #[gob(name = "User")]
    #[serde(rename = "user", default)]
    pub user: String,
    /// `Reason`, JSON `reason`.
    #[gob(name = "Reason")]
    #[serde(rename = "reason", default)]
    pub reason: String,
}

/// Go `dispatcher.DisassembleOutput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.DisassembleOutput")]
pub struct DisassembleOutput {
    /// `DeletedEdges` (Go `int32`), JSON `deletedEdges`.
    #[gob(name = "DeletedEdges")]
    #[serde(rename = "deletedEdges", default)]
    pub deleted_edges: i32,
    /// `DeletedRecords` (Go `int32`), JSON `deletedRecords`.
    #[gob(name = "DeletedRecords")]
    #[serde(rename = "deletedRecords", default)]
    pub deleted_records: i32,
    /// `EntityIDs`, JSON `entityIDs`.
    #[gob(name = "EntityIDs")]
    #[serde(rename = "entityIDs", default, with = "nil_slice")]
    pub entity_ids: Vec<String>,
}

/// Go `dispatcher.RemoveConnectionBanInput`. Travels as
/// `*dispatcher.RemoveConnectionBanInput`.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(
    go_type = "dispatcher.RemoveConnectionBanInput",
    interface = "*dispatcher.RemoveConnectionBanInput"
)]
pub struct RemoveConnectionBanInput {
    /// `Reference`, JSON `reference`.
    #[gob(name = "Reference")]
    #[serde(rename = "reference", default)]
    pub reference: String,
    /// `EntityID`, JSON `entityID`.
    #[gob(name = "EntityID")]
    #[serde(rename = "entityID", default)]
    pub entity_id: String,
    /// `Others`, JSON `others`.
    #[gob(name = "Others")]
    #[serde(rename = "others", default, with = "nil_slice")]
    pub others: Vec<String>,
    /// `Meta`, JSON `meta`.
    #[gob(name = "Meta")]
    #[serde(rename = "meta", default)]
    pub meta: RemoveConnectionBanMeta,
}

/// Go `dispatcher.RemoveConnectionBanMeta`: who removes the ban and why.
#[derive(Gob, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.RemoveConnectionBanMeta")]
pub struct RemoveConnectionBanMeta {
    /// `User`, JSON `user`.
    #[gob(name = "User")]
    #[serde(rename = "user", default)]
    pub user: String,
    /// `Reason`, JSON `reason`.
    #[gob(name = "Reason")]
    #[serde(rename = "reason", default)]
    pub reason: String,
}

/// Go `[]*api.Record` as tilores-plugin-api v0.1.x–v0.3.0 send it inside `interface{}`: the
/// `records` argument of their `Plugin.Submit` (v0.4.0 replaced it with `SubmitInput`).
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(go_type = "[]*api.Record", interface = "[]*api.Record")]
pub struct RecordList(#[serde(with = "nil_slice")] pub Vec<Record>);

/// Registers the types Go's `api` and `dispatcher` packages register with gob (the five
/// inputs, `*api.SearchParameters`, `time.Time`, and v0.2.0–v0.3.0's `[]*api.Record`), so
/// that interface values carrying these names decode into the Rust types. Idempotent; the
/// client and server adapters call it.
pub fn register_types() {
    use std::sync::OnceLock;
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        // Each name is registered only for its own type, so these cannot conflict unless
        // another part of the process registered a different type under a dispatcher name;
        // that would be a programming error worth a loud message, not a silent mis-decode.
        let mut results = super::methods::register_inputs();
        results.extend([
            gob::register::<SearchParameters>(),
            gob::register::<RecordList>(),
            gob::register::<gob::GoTime>(),
        ]);
        for r in results {
            if let Err(e) = r {
                tracing::error!("dispatcher: gob registration failed: {e}");
            }
        }
    });
}

/// Test-only input of the test-only `echo` method (see `methods.rs`).
#[cfg(test)]
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.EchoInput", interface = "*dispatcher.EchoInput")]
pub struct EchoInput {
    /// `Text`, JSON `text`.
    #[gob(name = "Text")]
    #[serde(rename = "text", default)]
    pub text: String,
}

/// Test-only output of the test-only `echo` method.
#[cfg(test)]
#[derive(Gob, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[gob(go_type = "dispatcher.EchoOutput")]
pub struct EchoOutput {
    /// `Text`, JSON `text`.
    #[gob(name = "Text")]
    #[serde(rename = "text", default)]
    pub text: String,
}

/// serde for slices that stand for Go slices: empty serializes as `null` (Go's nil after the
/// wire), `null` deserializes as empty.
mod nil_slice {
    use super::*;

    pub fn serialize<T: Serialize, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        if v.is_empty() {
            s.serialize_none()
        } else {
            s.collect_seq(v)
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<T>, D::Error> {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }
}

/// serde for `map[string][]string` values (`[]string` values follow [`nil_slice`]).
mod string_slice_map {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Slice(#[serde(with = "nil_slice")] Vec<String>);

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<String, Vec<String>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(k, v)| (k, Slice(v.clone()))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
        let m = BTreeMap::<String, Slice>::deserialize(d)?;
        Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

/// serde for `map[string]interface{}`: values as Go's `encoding/json` renders them, and back
/// as Go decodes JSON into `interface{}` (numbers become `float64`).
mod interface_map {
    use super::*;

    pub fn serialize<S: Serializer>(m: &InterfaceMap, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut entries = Vec::with_capacity(m.len());
        for (k, v) in m {
            let j = super::super::gojson::interface_to_serde(v).map_err(S::Error::custom)?;
            entries.push((k, j));
        }
        s.collect_map(entries)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<InterfaceMap, D::Error> {
        let m = BTreeMap::<String, serde_json::Value>::deserialize(d)?;
        Ok(m.into_iter()
            .map(|(k, v)| (k.into(), gob::json::interface_from_plain_json(&v)))
            .collect())
    }
}

/// [`interface_map`] behind an `Option` (`None` ↔ `null`).
mod interface_map_opt {
    use super::*;

    pub fn serialize<S: Serializer>(m: &Option<InterfaceMap>, s: S) -> Result<S::Ok, S::Error> {
        match m {
            None => s.serialize_none(),
            Some(m) => interface_map::serialize(m, s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<InterfaceMap>, D::Error> {
        let m = Option::<BTreeMap<String, serde_json::Value>>::deserialize(d)?;
        Ok(m.map(|m| {
            m.into_iter()
                .map(|(k, v)| (k.into(), gob::json::interface_from_plain_json(&v)))
                .collect()
        }))
    }
}
