//! Go `encoding/json`, as far as the dispatcher script format needs it, byte-for-byte:
//!
//! - [`JsonWriter`]: `json.Encoder` with `SetEscapeHTML(false)` — struct fields in
//!   declaration order, map keys sorted, Go's float formatting (`42`, `1e+21`, `1e-7`),
//!   `\u2028`/`\u2029` escaped, invalid UTF-8 as `\ufffd`, `time.Time` as RFC 3339 with
//!   nanoseconds, `[]byte` as base64, and Go's errors for NaN/±Inf and complex numbers.
//! - [`parse`]: Go's scanner, with its syntax error texts (`invalid character 'h' in literal
//!   true (expecting 'r')`, `unexpected end of JSON input`, ...).
//! - [`Decoder`] plus the `decode_*` functions: `json.Unmarshal` into the dispatcher inputs
//!   with Go's rules (case-insensitive keys, later duplicates win, `null` leaves strings,
//!   numbers and structs alone but clears slices, maps and pointers, numbers in `interface{}`
//!   become `float64`) and Go's `UnmarshalTypeError` texts.
//!
//! Split along its seams: [`write`] (the writer and `interface{}` values), [`parse`] (the
//! scanner), [`decode`] (the typed decoder) and [`impls`] (each dispatcher type's JSON).
//!
//! Why not a `serde_json::Value` for `interface{}` values: it cannot hold what this writer
//! must reproduce: Go's bytes (float format `1e+21`, `\u2028`, invalid UTF-8 as `\ufffd`,
//! HTML escaping on the HTTP side, `[]` versus `null`) and Go's refusals (`json: unsupported
//! value: NaN`, complex numbers, `interface{}` map keys, years outside 0–9999), which make a
//! Go host print an error line.

mod decode;
mod impls;
mod parse;
mod write;

pub(crate) use decode::{decode, DecodeJson, Decoder};
pub(crate) use impls::SubmitInputJson;
pub(crate) use parse::{parse, stream_number_end, Node};
#[cfg(test)]
pub(crate) use write::write_interface;
pub(crate) use write::{
    interface_to_serde, write_time, EmptyArrays, JsonError, JsonWriter, WriteJson,
};

#[cfg(test)]
mod tests;
