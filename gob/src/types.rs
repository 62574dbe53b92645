//! Wire type descriptors (Go's `wireType`, `CommonType`, `structType`, ...) and their encoding.

use crate::error::{Error, ErrorKind, Result};
use crate::wire::{put_bytes, put_int, put_uint, Reader};

/// A gob type id as it appears on the wire.
pub type WireId = i64;

/// The predefined type ids.
pub mod ids {
    use super::WireId;
    /// bool
    pub const BOOL: WireId = 1;
    /// all signed integer kinds
    pub const INT: WireId = 2;
    /// all unsigned integer kinds
    pub const UINT: WireId = 3;
    /// float32 and float64
    pub const FLOAT: WireId = 4;
    /// `[]byte`
    pub const BYTES: WireId = 5;
    /// string
    pub const STRING: WireId = 6;
    /// complex64 and complex128
    pub const COMPLEX: WireId = 7;
    /// every interface type
    pub const INTERFACE: WireId = 8;
    /// The first id a user type may have (Go ≥ 1.21 hands out 64 first; Go 1.19 used 65).
    pub const FIRST_USER: WireId = 64;
}

/// Go's name for a builtin wire id, for error messages.
pub fn builtin_name(id: WireId) -> Option<&'static str> {
    Some(match id {
        ids::BOOL => "bool",
        ids::INT => "int",
        ids::UINT => "uint",
        ids::FLOAT => "float",
        ids::BYTES => "bytes",
        ids::STRING => "string",
        ids::COMPLEX => "complex",
        ids::INTERFACE => "interface",
        _ => return None,
    })
}

/// The common part of every composite wire type: an informational name and the id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommonType {
    /// Name Go gave the type (informational; decoders ignore it).
    pub name: String,
    /// Id the definition claims for itself (Go sometimes disagrees with the defined id).
    pub id: WireId,
}

/// One field of a wire struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldType {
    /// Go field name (matching is by exact name).
    pub name: String,
    /// Wire type id of the field.
    pub id: WireId,
}

/// A composite wire type definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireType {
    /// `[N]T`
    Array {
        /// Name and id.
        common: CommonType,
        /// Element type.
        elem: WireId,
        /// Length.
        len: i64,
    },
    /// `[]T`
    Slice {
        /// Name and id.
        common: CommonType,
        /// Element type.
        elem: WireId,
    },
    /// A struct with its sent fields in order.
    Struct {
        /// Name and id.
        common: CommonType,
        /// Fields in wire order.
        fields: Vec<FieldType>,
    },
    /// `map[K]V`
    Map {
        /// Name and id.
        common: CommonType,
        /// Key type.
        key: WireId,
        /// Element type.
        elem: WireId,
    },
    /// A type whose value is the output of `GobEncode` (e.g. `time.Time`).
    GobEncoder(CommonType),
    /// A type whose value is the output of `MarshalBinary`.
    BinaryMarshaler(CommonType),
    /// A type whose value is the output of `MarshalText` (Go never sends it).
    TextMarshaler(CommonType),
}

impl WireType {
    /// The common part.
    pub fn common(&self) -> &CommonType {
        match self {
            WireType::Array { common, .. }
            | WireType::Slice { common, .. }
            | WireType::Struct { common, .. }
            | WireType::Map { common, .. }
            | WireType::GobEncoder(common)
            | WireType::BinaryMarshaler(common)
            | WireType::TextMarshaler(common) => common,
        }
    }

    /// True for the marshaler kinds (GobEncoder, BinaryMarshaler, TextMarshaler), whose
    /// values are opaque bytes.
    pub(crate) fn is_marshaler(&self) -> bool {
        matches!(
            self,
            WireType::GobEncoder(_) | WireType::BinaryMarshaler(_) | WireType::TextMarshaler(_)
        )
    }

    /// Sets the id written inside the definition (`CommonType.Id`).
    pub(crate) fn set_common_id(&mut self, id: WireId) {
        match self {
            WireType::Array { common, .. }
            | WireType::Slice { common, .. }
            | WireType::Struct { common, .. }
            | WireType::Map { common, .. }
            | WireType::GobEncoder(common)
            | WireType::BinaryMarshaler(common)
            | WireType::TextMarshaler(common) => common.id = id,
        }
    }

    /// A short description for error messages.
    pub fn describe(&self) -> String {
        let n = &self.common().name;
        let kind = match self {
            WireType::Array { .. } => "array",
            WireType::Slice { .. } => "slice",
            WireType::Struct { .. } => "struct",
            WireType::Map { .. } => "map",
            WireType::GobEncoder(_) => "GobEncoder",
            WireType::BinaryMarshaler(_) => "BinaryMarshaler",
            WireType::TextMarshaler(_) => "TextMarshaler",
        };
        if n.is_empty() {
            kind.to_string()
        } else {
            format!("{kind} {n}")
        }
    }

    /// Appends the gob encoding of this definition (the `wireType` struct value, without the
    /// leading `-id`).
    pub fn encode(&self, buf: &mut Vec<u8>) {
        fn common(buf: &mut Vec<u8>, c: &CommonType) {
            // CommonType is field 0 of every inner struct: delta 1.
            put_uint(buf, 1);
            if c.name.is_empty() {
                put_uint(buf, 2);
            } else {
                put_uint(buf, 1);
                put_bytes(buf, c.name.as_bytes());
                put_uint(buf, 1);
            }
            put_int(buf, c.id);
            put_uint(buf, 0);
        }
        match self {
            WireType::Array {
                common: c,
                elem,
                len,
            } => {
                put_uint(buf, 1);
                common(buf, c);
                put_uint(buf, 1);
                put_int(buf, *elem);
                if *len != 0 {
                    put_uint(buf, 1);
                    put_int(buf, *len);
                }
                put_uint(buf, 0);
            }
            WireType::Slice { common: c, elem } => {
                put_uint(buf, 2);
                common(buf, c);
                put_uint(buf, 1);
                put_int(buf, *elem);
                put_uint(buf, 0);
            }
            WireType::Struct { common: c, fields } => {
                put_uint(buf, 3);
                common(buf, c);
                if !fields.is_empty() {
                    put_uint(buf, 1);
                    put_uint(buf, fields.len() as u64);
                    for f in fields {
                        if f.name.is_empty() {
                            put_uint(buf, 2);
                        } else {
                            put_uint(buf, 1);
                            put_bytes(buf, f.name.as_bytes());
                            put_uint(buf, 1);
                        }
                        put_int(buf, f.id);
                        put_uint(buf, 0);
                    }
                }
                put_uint(buf, 0);
            }
            WireType::Map {
                common: c,
                key,
                elem,
            } => {
                put_uint(buf, 4);
                common(buf, c);
                put_uint(buf, 1);
                put_int(buf, *key);
                put_uint(buf, 1);
                put_int(buf, *elem);
                put_uint(buf, 0);
            }
            WireType::GobEncoder(c) | WireType::BinaryMarshaler(c) | WireType::TextMarshaler(c) => {
                let delta = match self {
                    WireType::GobEncoder(_) => 5,
                    WireType::BinaryMarshaler(_) => 6,
                    _ => 7,
                };
                put_uint(buf, delta);
                common(buf, c);
                put_uint(buf, 0);
            }
        }
        put_uint(buf, 0);
    }

    /// Decodes a `wireType` struct value from the current message, as Go's decoder reads it
    /// (a general gob struct: each present field a struct of its own, every struct ending at
    /// a zero delta or at the end of the message).
    ///
    /// `None` for a definition with no field set, which Go stores and fails on only when a
    /// value uses it. When several fields are set, one with content wins over an empty one
    /// beside it (Go decoding into a concrete type takes the field of that type's kind, which
    /// for a stream Go wrote is the one with content), then Go's type-free order: array, map,
    /// slice, struct, the marshalers (`decIgnoreOpFor`).
    pub fn decode(r: &mut Reader<'_>, max_fields: usize) -> Result<Option<WireType>> {
        let mut set: Vec<(u64, WireType, bool)> = Vec::new();
        let mut field: u64 = u64::MAX;
        while let Some(kind) = next_field(r, &mut field, 7)? {
            let (wire, content) = decode_kind(r, kind, max_fields)?;
            set.push((kind, wire, content));
        }
        // Go's type-free order (field indices): ArrayT, MapT, SliceT, StructT, marshalers.
        const ORDER: [u64; 7] = [0, 3, 1, 2, 4, 5, 6];
        let rank = |k: u64| ORDER.iter().position(|o| *o == k).unwrap_or(7);
        set.sort_by_key(|(k, _, content)| (!content, rank(*k)));
        Ok(set.into_iter().next().map(|(_, w, _)| w))
    }
}

/// The next field of a struct being read field by field: `None` at its end (a zero delta, or
/// the end of the message, where Go stops too); `field` is the previous field (`u64::MAX`
/// before the first).
fn next_field(r: &mut Reader<'_>, field: &mut u64, nfields: u64) -> Result<Option<u64>> {
    if r.remaining() == 0 {
        return Ok(None);
    }
    let d = r.uint()?;
    if d == 0 {
        return Ok(None);
    }
    if d > i64::MAX as u64 {
        // Go's int(delta) is negative: "corrupted data: negative delta".
        return Err(Error::corrupt("negative field delta"));
    }
    *field = field.wrapping_add(d);
    if *field >= nfields {
        return Err(Error::new(ErrorKind::FieldNumberOutOfBounds));
    }
    Ok(Some(*field))
}

/// A type id field (Go's `typeId` is an `int32`).
fn type_id(r: &mut Reader<'_>) -> Result<WireId> {
    let id = r.int()?;
    if i32::try_from(id).is_err() {
        return Err(Error::corrupt(format!("type id {id} out of range")));
    }
    Ok(id)
}

/// One field of `wireType` (`kind` 0..7: `arrayType`, `sliceType`, `structType`, `mapType`,
/// then three `gobEncoderType`s) and whether any of its fields was set.
fn decode_kind(r: &mut Reader<'_>, kind: u64, max_fields: usize) -> Result<(WireType, bool)> {
    let nfields: u64 = match kind {
        0 | 3 => 3,
        1 | 2 => 2,
        _ => 1,
    };
    let mut common = CommonType::default();
    let (mut a, mut b) = (0i64, 0i64); // elem or key; len or elem
    let mut fields = Vec::new();
    let mut content = false;
    let mut field: u64 = u64::MAX;
    while let Some(f) = next_field(r, &mut field, nfields)? {
        content = true;
        match (kind, f) {
            (_, 0) => common = decode_common(r)?,
            (2, 1) => {
                let n = r.count(1)?;
                if n > max_fields {
                    return Err(Error::new(ErrorKind::TooManyTypes(max_fields)));
                }
                fields.reserve(n);
                for _ in 0..n {
                    // Go's slice decoding checks before each element that input is left.
                    if r.remaining() == 0 {
                        return Err(r.short());
                    }
                    fields.push(decode_field(r)?);
                }
            }
            (0, 2) => b = r.int()?,
            (_, 1) => a = type_id(r)?,
            (_, 2) => b = type_id(r)?,
            _ => return Err(Error::new(ErrorKind::FieldNumberOutOfBounds)),
        }
    }
    let wire = match kind {
        0 => WireType::Array {
            common,
            elem: a,
            len: b,
        },
        1 => WireType::Slice { common, elem: a },
        2 => WireType::Struct { common, fields },
        3 => WireType::Map {
            common,
            key: a,
            elem: b,
        },
        4 => WireType::GobEncoder(common),
        5 => WireType::BinaryMarshaler(common),
        _ => WireType::TextMarshaler(common),
    };
    Ok((wire, content))
}

fn decode_string(r: &mut Reader<'_>) -> Result<String> {
    let b = r.bytes()?;
    Ok(String::from_utf8_lossy(b).into_owned())
}

fn decode_common(r: &mut Reader<'_>) -> Result<CommonType> {
    let mut c = CommonType::default();
    let mut field: u64 = u64::MAX;
    while let Some(f) = next_field(r, &mut field, 2)? {
        match f {
            0 => c.name = decode_string(r)?,
            _ => c.id = type_id(r)?,
        }
    }
    Ok(c)
}

fn decode_field(r: &mut Reader<'_>) -> Result<FieldType> {
    let c = decode_common(r)?;
    Ok(FieldType {
        name: c.name,
        id: c.id,
    })
}
