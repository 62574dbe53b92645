//! The Go JSON of each dispatcher type: [`WriteJson`] for what a host prints or sends,
//! [`DecodeJson`] for what a script line or a request body holds (Go's json tags, nil
//! versus empty as in [`super::super::types`]).

use std::collections::BTreeMap;

use super::super::types::*;
use super::decode::{DecodeJson, Decoder};
use super::parse::Node;
use super::write::{write_interface_map, JsonError, JsonWriter, WriteJson};

fn write_strings(w: &mut JsonWriter, v: &[String]) -> Result<(), JsonError> {
    if v.is_empty() && !w.empty_as_array() {
        return w.null();
    }
    w.array(v, |w, s| w.string(s))
}

fn write_slice<T: WriteJson>(w: &mut JsonWriter, v: &[T]) -> Result<(), JsonError> {
    if v.is_empty() && !w.empty_as_array() {
        return w.null();
    }
    w.array(v, |w, x| x.write_json(w))
}

fn write_string_slice_map(
    w: &mut JsonWriter,
    m: Option<&BTreeMap<String, Vec<String>>>,
) -> Result<(), JsonError> {
    match m {
        None => w.null(),
        Some(m) => w.object(|o| {
            for (k, v) in m {
                o.field(k, |w| write_strings(w, v))?;
            }
            Ok(())
        }),
    }
}

impl WriteJson for Record {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("id", |w| w.string(&self.id))?;
            o.field("data", |w| match &self.data {
                None => w.null(),
                Some(m) => write_interface_map(w, m),
            })
        })
    }
}

impl WriteJson for Entity {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("id", |w| w.string(&self.id))?;
            o.field("records", |w| write_slice(w, &self.records))?;
            o.field("edges", |w| write_strings(w, &self.edges.0))?;
            o.field("duplicates", |w| {
                write_string_slice_map(w, self.duplicates.as_ref().map(|d| &d.0))
            })?;
            o.field("hits", |w| {
                write_string_slice_map(w, self.hits.as_ref().map(|d| &d.0))
            })
        })
    }
}

impl WriteJson for EntityOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("entity", |w| match &self.entity {
                None => w.null(),
                Some(e) => e.write_json(w),
            })
        })
    }
}

impl WriteJson for SearchOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("entities", |w| write_slice(w, &self.entities)))
    }
}

impl WriteJson for SubmitOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("recordsAdded", |w| w.int(self.records_added)))
    }
}

impl WriteJson for DisassembleOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("deletedEdges", |w| w.int(self.deleted_edges.into()))?;
            o.field("deletedRecords", |w| w.int(self.deleted_records.into()))?;
            o.field("entityIDs", |w| write_strings(w, &self.entity_ids))
        })
    }
}

impl WriteJson for EntityInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("id", |w| w.string(&self.id)))
    }
}

impl WriteJson for SearchInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("parameters", |w| match &self.parameters {
                None => w.null(),
                Some(p) => write_interface_map(w, &p.0),
            })
        })
    }
}

impl WriteJson for SubmitInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("records", |w| write_slice(w, &self.records)))
    }
}

impl WriteJson for DisassembleInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("reference", |w| w.string(&self.reference))?;
            o.field("edges", |w| {
                if self.edges.is_empty() && !w.empty_as_array() {
                    return w.null();
                }
                w.array(&self.edges, |w, e| {
                    w.object(|o| {
                        o.field("a", |w| w.string(&e.a))?;
                        o.field("b", |w| w.string(&e.b))
                    })
                })
            })?;
            o.field("recordIDs", |w| write_strings(w, &self.record_ids))?;
            o.field("createConnectionBan", |w| {
                w.bool(self.create_connection_ban)
            })?;
            o.field("meta", |w| {
                w.object(|o| {
                    o.field("user", |w| w.string(&self.meta.user))?;
                    o.field("reason", |w| w.string(&self.meta.reason))
                })
            })?;
            o.field("timeout", |w| match self.timeout {
                None => w.null(),
                Some(t) => w.int(t),
            })
        })
    }
}

impl WriteJson for RemoveConnectionBanInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| {
            o.field("reference", |w| w.string(&self.reference))?;
            o.field("entityID", |w| w.string(&self.entity_id))?;
            o.field("others", |w| write_strings(w, &self.others))?;
            o.field("meta", |w| {
                w.object(|o| {
                    o.field("user", |w| w.string(&self.meta.user))?;
                    o.field("reason", |w| w.string(&self.meta.reason))
                })
            })
        })
    }
}

/// No output (RemoveConnectionBan): Go's JSON of the nil it stands for.
impl WriteJson for () {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.null()
    }
}

impl DecodeJson for EntityInput {
    const GO_TYPE: &'static str = "dispatcher.EntityInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        d.decode_struct(node, Self::GO_TYPE, "EntityInput", &["id"], |d, _, n| {
            d.string(n, &mut self.id)
        })
    }
}

/// A record during decoding: Go's `*api.Record` can be nil (`null` element), which the
/// Go client then fails to encode.
type RecordSlot = Option<Record>;

fn decode_record(d: &mut Decoder, node: &Node, slot: &mut RecordSlot) -> Result<(), String> {
    if let Node::Null = node {
        *slot = None;
        return Ok(());
    }
    let rec = slot.get_or_insert_with(Record::default);
    d.decode_struct(node, "api.Record", "Record", &["id", "data"], |d, i, n| {
        if i == 0 {
            d.string(n, &mut rec.id)
        } else {
            d.interface_map(n, "map[string]interface {}", &mut rec.data)
        }
    })
}

/// [`SubmitInput`] as decoded from JSON, before the nil-record check.
#[derive(Debug, Default, Clone)]
pub struct SubmitInputJson {
    records: Vec<RecordSlot>,
}

impl SubmitInputJson {
    /// The input, or Go's gob encoding error when a record is `null` (Go's client cannot
    /// send a nil `*api.Record`).
    pub fn into_input(self) -> Result<SubmitInput, String> {
        let mut records = Vec::with_capacity(self.records.len());
        for r in self.records {
            records.push(r.ok_or("gob: encodeArray: nil element")?);
        }
        Ok(SubmitInput { records })
    }
}

impl DecodeJson for SubmitInputJson {
    const GO_TYPE: &'static str = "dispatcher.SubmitInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "SubmitInput",
            &["records"],
            |d, _, n| {
                d.slice(n, "[]*api.Record", &mut self.records, |d, n, r| {
                    // The element error names the pointed-to type, as Go's does.
                    match n {
                        Node::Null | Node::Object(_) => decode_record(d, n, r),
                        other => Err(d.type_error(other.kind(), "api.Record")),
                    }
                })
            },
        )
    }
}

impl DecodeJson for SearchInput {
    const GO_TYPE: &'static str = "dispatcher.SearchInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "SearchInput",
            &["parameters"],
            |d, _, n| {
                let mut m = self.parameters.take().map(|p| p.0);
                let r = d.interface_map(n, "api.SearchParameters", &mut m);
                self.parameters = m.map(SearchParameters);
                r
            },
        )
    }
}

impl DecodeJson for DisassembleInput {
    const GO_TYPE: &'static str = "dispatcher.DisassembleInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        const NAMES: &[&str] = &[
            "reference",
            "edges",
            "recordIDs",
            "createConnectionBan",
            "meta",
            "timeout",
        ];
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "DisassembleInput",
            NAMES,
            |d, i, n| match i {
                0 => d.string(n, &mut self.reference),
                1 => d.slice(
                    n,
                    "[]dispatcher.DisassembleEdge",
                    &mut self.edges,
                    |d, n, e| {
                        d.decode_struct(
                            n,
                            "dispatcher.DisassembleEdge",
                            "DisassembleEdge",
                            &["a", "b"],
                            |d, i, n| d.string(n, if i == 0 { &mut e.a } else { &mut e.b }),
                        )
                    },
                ),
                2 => d.strings(n, &mut self.record_ids),
                3 => d.bool(n, &mut self.create_connection_ban),
                4 => {
                    let m = &mut self.meta;
                    d.decode_struct(
                        n,
                        "dispatcher.DisassembleMeta",
                        "DisassembleMeta",
                        &["user", "reason"],
                        |d, i, n| d.string(n, if i == 0 { &mut m.user } else { &mut m.reason }),
                    )
                }
                _ => d.int64_ptr(n, "time.Duration", &mut self.timeout),
            },
        )
    }
}

impl DecodeJson for RemoveConnectionBanInput {
    const GO_TYPE: &'static str = "dispatcher.RemoveConnectionBanInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        const NAMES: &[&str] = &["reference", "entityID", "others", "meta"];
        d.decode_struct(
            node,
            Self::GO_TYPE,
            "RemoveConnectionBanInput",
            NAMES,
            |d, i, n| match i {
                0 => d.string(n, &mut self.reference),
                1 => d.string(n, &mut self.entity_id),
                2 => d.strings(n, &mut self.others),
                _ => {
                    let m = &mut self.meta;
                    d.decode_struct(
                        n,
                        "dispatcher.RemoveConnectionBanMeta",
                        "RemoveConnectionBanMeta",
                        &["user", "reason"],
                        |d, i, n| d.string(n, if i == 0 { &mut m.user } else { &mut m.reason }),
                    )
                }
            },
        )
    }
}

#[cfg(test)]
impl WriteJson for EchoOutput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("text", |w| w.string(&self.text)))
    }
}

#[cfg(test)]
impl WriteJson for EchoInput {
    fn write_json(&self, w: &mut JsonWriter) -> Result<(), JsonError> {
        w.object(|o| o.field("text", |w| w.string(&self.text)))
    }
}

#[cfg(test)]
impl DecodeJson for EchoInput {
    const GO_TYPE: &'static str = "dispatcher.EchoInput";
    fn decode_json(&mut self, d: &mut Decoder, node: &Node) -> Result<(), String> {
        d.decode_struct(node, Self::GO_TYPE, "EchoInput", &["text"], |d, _, n| {
            d.string(n, &mut self.text)
        })
    }
}
