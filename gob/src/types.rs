//! Wire type descriptors (Go's `wireType`, `CommonType`, `structType`, ...) and their encoding.

use std::sync::Arc;

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

    /// Which field of Go's `wireType` this is.
    pub(crate) fn kind(&self) -> WireKind {
        match self {
            WireType::Array { .. } => WireKind::Array,
            WireType::Slice { .. } => WireKind::Slice,
            WireType::Struct { .. } => WireKind::Struct,
            WireType::Map { .. } => WireKind::Map,
            WireType::GobEncoder(_) => WireKind::GobEncoder,
            WireType::BinaryMarshaler(_) => WireKind::BinaryMarshaler,
            WireType::TextMarshaler(_) => WireKind::TextMarshaler,
        }
    }

    /// Decodes a `wireType` struct value from the current message, as Go's decoder reads it,
    /// and returns the field Go's type-free order picks first (array, map, slice, struct, the
    /// marshalers: `decIgnoreOpFor`); `None` for a definition with no field set.
    ///
    /// A definition may set several fields (Go stores them all, and which one counts depends
    /// on the destination); the decoder keeps all of them, see [`WireKind`].
    pub fn decode(r: &mut Reader<'_>, max_fields: usize) -> Result<Option<WireType>> {
        let kinds = WireKinds::decode(r, max_fields)?;
        Ok(kinds.first().map(|w| (**w).clone()))
    }
}

/// The fields of Go's `wireType` (`encoding/gob/type.go`), in Go's field order.
///
/// Go's encoder sets exactly one per definition, but its decoder (`recvType`) stores
/// whatever a definition sets: none, one or several. Which one counts then depends on the
/// destination: a map needs `MapT` and no marshaler field, a `GobDecoder` needs `GobEncoderT`
/// and no other marshaler field (`compatibleType`), a whole struct value needs `StructT`
/// (`compileDec`), a skipped value takes the first of array, map, slice, struct, the
/// marshalers (`decIgnoreOpFor`). [`Dec::wire_for`](crate::raw::Dec::wire_for) applies
/// those rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireKind {
    /// `ArrayT`
    Array,
    /// `SliceT`
    Slice,
    /// `StructT`
    Struct,
    /// `MapT`
    Map,
    /// `GobEncoderT`
    GobEncoder,
    /// `BinaryMarshalerT`
    BinaryMarshaler,
    /// `TextMarshalerT`
    TextMarshaler,
}

impl WireKind {
    /// True for the three marshaler fields.
    pub(crate) fn is_marshaler(self) -> bool {
        matches!(
            self,
            WireKind::GobEncoder | WireKind::BinaryMarshaler | WireKind::TextMarshaler
        )
    }

    /// The bit of this kind in [`WireKinds::bits`].
    pub(crate) fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The three marshaler bits of [`WireKinds::bits`].
pub(crate) const MARSHALER_BITS: u8 = 0b111_0000;

/// Go's type-free order (`decIgnoreOpFor`): array, map, slice, struct, then the marshalers.
const IGNORE_ORDER: [WireKind; 7] = [
    WireKind::Array,
    WireKind::Map,
    WireKind::Slice,
    WireKind::Struct,
    WireKind::GobEncoder,
    WireKind::BinaryMarshaler,
    WireKind::TextMarshaler,
];

/// Every field one definition sets (Go's whole `wireType`), indexed by [`WireKind`].
#[derive(Debug, Clone, Default)]
pub(crate) struct WireKinds {
    set: [Option<Arc<WireType>>; 7],
}

impl WireKinds {
    /// Reads a `wireType` struct value from the current message as Go's decoder reads it (a
    /// general gob struct: each present field a struct of its own, every struct ending at a
    /// zero delta or at the end of the message).
    pub(crate) fn decode(r: &mut Reader<'_>, max_fields: usize) -> Result<WireKinds> {
        let mut kinds = WireKinds::default();
        let mut field: u64 = u64::MAX;
        while let Some(kind) = next_field(r, &mut field, 7)? {
            let wire = decode_kind(r, kind, max_fields)?;
            let at = wire.kind() as usize;
            kinds.set[at] = Some(Arc::new(wire));
        }
        Ok(kinds)
    }

    /// The field of `kind`, when set.
    #[inline]
    pub(crate) fn get(&self, kind: WireKind) -> Option<&Arc<WireType>> {
        self.set[kind as usize].as_ref()
    }

    /// One bit per field set ([`WireKind::bit`]).
    pub(crate) fn bits(&self) -> u8 {
        self.set
            .iter()
            .enumerate()
            .filter(|(_, w)| w.is_some())
            .fold(0, |b, (i, _)| b | 1 << i)
    }

    /// How many fields are set.
    pub(crate) fn count(&self) -> usize {
        self.set.iter().filter(|w| w.is_some()).count()
    }

    /// The field Go's type-free order (`decIgnoreOpFor`) takes: array, map, slice, struct,
    /// then the marshalers.
    pub(crate) fn first(&self) -> Option<&Arc<WireType>> {
        IGNORE_ORDER.iter().find_map(|k| self.get(*k))
    }

    /// The field the dynamic decoder ([`Value`](crate::Value)) takes for a value of this
    /// definition in a position where no Go type says which one counts (nested, or a whole
    /// value whose definition sets no `StructT`): one marshaler field set wins over the rest,
    /// as Go's `compatibleType` refuses such a definition for every destination but the one
    /// with that external decoder; otherwise Go's type-free order (array, map, slice,
    /// struct, the marshalers), each field accepted by a destination of its kind. A value of
    /// a definition with several marshaler fields is refused ([`WireKinds::marshalers`]):
    /// no Go destination has more than one external decoder.
    pub(crate) fn dynamic(&self) -> Option<&Arc<WireType>> {
        if self.marshalers() == 1 {
            return IGNORE_ORDER[4..].iter().find_map(|k| self.get(*k));
        }
        self.first()
    }

    /// How many marshaler fields are set.
    pub(crate) fn marshalers(&self) -> u32 {
        (self.bits() & MARSHALER_BITS).count_ones()
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
/// then three `gobEncoderType`s).
fn decode_kind(r: &mut Reader<'_>, kind: u64, max_fields: usize) -> Result<WireType> {
    let nfields: u64 = match kind {
        0 | 3 => 3,
        1 | 2 => 2,
        _ => 1,
    };
    let mut common = CommonType::default();
    let (mut a, mut b) = (0i64, 0i64); // elem or key; len or elem
    let mut fields = Vec::new();
    let mut field: u64 = u64::MAX;
    while let Some(f) = next_field(r, &mut field, nfields)? {
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
    Ok(wire)
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
