//! Go's predefined types: the builtin ids and the bootstrap type descriptors (ids 16 to 24)
//! every Go decoder knows, as wire definitions and as dynamic types. Used by the decoder
//! (which knows them on every stream) and by the encoder and the JSON reader (which write a
//! value of one of them under its bootstrap id, as Go does), so it sits below all three.

use std::sync::Arc;

use crate::dyntype::{DefKind, GroupDef, Type, TypeDef, TypeGroup, TypeRef};
use crate::types::{ids, WireId, WireType};

/// Go's own definitions of its type descriptors (`wireType` 16 to `gobEncoderType` 24, in
/// the order `encoding/gob`'s `init` allocates them; ids 9 to 15 are reserved and have no
/// definition). Go's decoder knows them on every stream, so a value may use them.
pub(crate) fn bootstrap_type(id: WireId) -> Option<&'static Arc<WireType>> {
    use crate::types::{CommonType, FieldType};
    static TYPES: std::sync::OnceLock<Vec<Arc<WireType>>> = std::sync::OnceLock::new();
    let types = TYPES.get_or_init(|| {
        let common = |name: &str, id| CommonType {
            name: name.to_string(),
            id,
        };
        let structure = |name: &str, id, fields: &[(&str, WireId)]| {
            Arc::new(WireType::Struct {
                common: common(name, id),
                fields: fields
                    .iter()
                    .map(|(n, t)| FieldType {
                        name: n.to_string(),
                        id: *t,
                    })
                    .collect(),
            })
        };
        vec![
            structure(
                "wireType",
                16,
                &[
                    ("ArrayT", 17),
                    ("SliceT", 19),
                    ("StructT", 20),
                    ("MapT", 23),
                    ("GobEncoderT", 24),
                    ("BinaryMarshalerT", 24),
                    ("TextMarshalerT", 24),
                ],
            ),
            structure(
                "arrayType",
                17,
                &[("CommonType", 18), ("Elem", ids::INT), ("Len", ids::INT)],
            ),
            structure("CommonType", 18, &[("Name", ids::STRING), ("Id", ids::INT)]),
            structure("sliceType", 19, &[("CommonType", 18), ("Elem", ids::INT)]),
            structure("structType", 20, &[("CommonType", 18), ("Field", 22)]),
            structure("fieldType", 21, &[("Name", ids::STRING), ("Id", ids::INT)]),
            Arc::new(WireType::Slice {
                common: common("[]gob.fieldType", 22),
                elem: 21,
            }),
            structure(
                "mapType",
                23,
                &[("CommonType", 18), ("Key", ids::INT), ("Elem", ids::INT)],
            ),
            structure("gobEncoderType", 24, &[("CommonType", 18)]),
        ]
    });
    let i = usize::try_from(id.checked_sub(16)?).ok()?;
    types.get(i)
}

/// The dynamic types of Go's bootstrap ids 16 to 24, one group shared by every stream, so
/// that an encoder writes a value of one of them under its bootstrap id, as Go would
/// ([`bootstrap_id`]).
fn bootstrap_dyn_types() -> &'static [Type] {
    static TYPES: std::sync::OnceLock<Vec<Type>> = std::sync::OnceLock::new();
    TYPES.get_or_init(|| {
        let r = |id: WireId| match builtin_type(id) {
            Some(t) => TypeRef::Type(t),
            None => TypeRef::Local(usize::try_from(id - 16).unwrap_or(0)),
        };
        let defs = (16..=24)
            .filter_map(bootstrap_type)
            .map(|w| {
                let kind = match &**w {
                    WireType::Struct { fields, .. } => {
                        DefKind::Struct(fields.iter().map(|f| (f.name.clone(), r(f.id))).collect())
                    }
                    WireType::Slice { elem, .. } => DefKind::Slice(r(*elem)),
                    _ => DefKind::Struct(Vec::new()),
                };
                GroupDef::new(w.common().name.clone(), kind)
            })
            .collect();
        // Nine definitions whose references stay within the group: the build cannot fail.
        TypeGroup::build(defs).unwrap_or_default()
    })
}

pub(crate) fn bootstrap_dyn_type(id: WireId) -> Option<Type> {
    let i = usize::try_from(id.checked_sub(16)?).ok()?;
    bootstrap_dyn_types().get(i).cloned()
}

/// The bootstrap id of a definition of [`bootstrap_dyn_types`]' group.
pub(crate) fn bootstrap_id(d: &TypeDef) -> Option<WireId> {
    match bootstrap_dyn_types().first() {
        Some(Type::Def(first)) if Arc::ptr_eq(first.group(), d.group()) => {
            WireId::try_from(d.index()).ok().map(|i| 16 + i)
        }
        _ => None,
    }
}

/// The dynamic type of a builtin wire id.
#[inline]
pub(crate) fn builtin_type(id: WireId) -> Option<Type> {
    Some(match id {
        ids::BOOL => Type::Bool,
        ids::INT => Type::Int,
        ids::UINT => Type::Uint,
        ids::FLOAT => Type::Float,
        ids::COMPLEX => Type::Complex,
        ids::STRING => Type::String,
        ids::BYTES => Type::Bytes,
        ids::INTERFACE => Type::Interface,
        _ => return None,
    })
}

/// Go's `typeId.string()` for an id below 64 that is not a basic type: the string of gob's
/// own type for ids 9..=24 (the seven reserved ids all print as `_reserved1` in Go), `<nil>`
/// for any other (as in Go's `bad data: undefined type …`, see
/// [`ErrorKind::UndefinedType`](crate::ErrorKind::UndefinedType)).
pub fn go_type_string(id: i64) -> &'static str {
    const COMMON: &str = "CommonType = struct { Name string; Id int; }";
    match id {
        9..=15 => "_reserved1",
        16 => {
            "wireType = struct { ArrayT arrayType = struct { CommonType CommonType = struct { \
               Name string; Id int; }; Elem int; Len int; }; SliceT sliceType = struct { \
               CommonType CommonType; Elem int; }; StructT structType = struct { CommonType \
               CommonType; Field []fieldType = struct { Name string; Id int; }; }; MapT mapType \
               = struct { CommonType CommonType; Key int; Elem int; }; GobEncoderT \
               gobEncoderType = struct { CommonType CommonType; }; BinaryMarshalerT \
               gobEncoderType; TextMarshalerT gobEncoderType; }"
        }
        17 => {
            "arrayType = struct { CommonType CommonType = struct { Name string; Id int; }; \
               Elem int; Len int; }"
        }
        18 => COMMON,
        19 => {
            "sliceType = struct { CommonType CommonType = struct { Name string; Id int; }; \
               Elem int; }"
        }
        20 => {
            "structType = struct { CommonType CommonType = struct { Name string; Id int; }; \
               Field []fieldType = struct { Name string; Id int; }; }"
        }
        21 => "fieldType = struct { Name string; Id int; }",
        22 => "[]fieldType = struct { Name string; Id int; }",
        23 => {
            "mapType = struct { CommonType CommonType = struct { Name string; Id int; }; \
               Key int; Elem int; }"
        }
        24 => {
            "gobEncoderType = struct { CommonType CommonType = struct { Name string; Id int; \
               }; }"
        }
        _ => "<nil>",
    }
}
