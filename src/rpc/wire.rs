//! The two net/rpc headers (Go's `rpc.Request` and `rpc.Response`) and a body discarder.
//!
//! The headers are gob structs whose definitions Go sends under the bare names `Request` and
//! `Response`; with the same field names, order and types, an encoder allocating ids like a
//! fresh Go process produces Go's bytes exactly (spec §4.3, §7.2).

use gob::raw::{Dec, WireId};
use gob::{Decode, Gob};

/// The header written before every call (client → server): Go's `rpc.Request`.
#[derive(Gob, Debug, Default, Clone, PartialEq, Eq)]
#[gob(go_type = "rpc.Request")]
pub struct Request {
    /// `"Service.Method"`.
    #[gob(name = "ServiceMethod")]
    pub service_method: String,
    /// Sequence number chosen by the client (per client, from 0).
    #[gob(name = "Seq")]
    pub seq: u64,
}

/// The header written before every reply (server → client): Go's `rpc.Response`.
#[derive(Gob, Debug, Default, Clone, PartialEq, Eq)]
#[gob(go_type = "rpc.Response")]
pub struct Response {
    /// Echoes the request's `ServiceMethod`.
    #[gob(name = "ServiceMethod")]
    pub service_method: String,
    /// Echoes the request's `Seq`.
    #[gob(name = "Seq")]
    pub seq: u64,
    /// The error text; empty on success (and then absent on the wire).
    #[gob(name = "Error")]
    pub error: String,
}

/// The request header as the server reads it: `rpc.Request` with a `ServiceMethod` that may
/// hold any bytes. A Go string is bytes, and Go's server reads such a name, fails to find the
/// method (`rpc: can't find service ...` / `... ill-formed`), answers with that error and
/// serves the next request; refusing the header (as a `String` must) would end the
/// connection instead.
#[derive(Gob, Debug, Default)]
#[gob(go_type = "rpc.Request")]
pub(crate) struct ServerRequest {
    #[gob(name = "ServiceMethod")]
    pub(crate) service_method: MethodName,
    #[gob(name = "Seq")]
    pub(crate) seq: u64,
}

impl From<ServerRequest> for Request {
    fn from(r: ServerRequest) -> Request {
        Request {
            service_method: r.service_method.0,
            seq: r.seq,
        }
    }
}

/// A Go `string` read with its bytes that are not UTF-8 replaced by U+FFFD, so that it names
/// no registered method while the error text still quotes the rest of it.
#[derive(Debug, Default)]
pub(crate) struct MethodName(pub(crate) String);

impl gob::GobType for MethodName {
    fn go_type() -> gob::raw::GoTypeName {
        gob::raw::GoTypeName::named("string")
    }
    fn describe(_: &mut gob::raw::Schema, _: &str) -> gob::Result<WireId> {
        Ok(gob::raw::ids::STRING)
    }
}

impl Decode for MethodName {
    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> gob::Result<Self> {
        d.expect(gob::raw::ids::STRING, wire, "string")?;
        Ok(MethodName(String::from_utf8_lossy(d.bytes()?).into_owned()))
    }
}

impl gob::Encode for MethodName {
    fn wire_type(&self, _: &mut gob::raw::Schema) -> gob::Result<WireId> {
        Ok(gob::raw::ids::STRING)
    }
    fn encode(&self, e: &mut gob::raw::Enc<'_>) -> gob::Result<()> {
        e.put_bytes(self.0.as_bytes());
        Ok(())
    }
    fn omit_in_struct(&self) -> bool {
        self.0.is_empty()
    }
}

pub(crate) use gob::Discard;

#[cfg(test)]
mod tests {
    use super::*;
    use gob::{Decoder, Empty, Encoder, Step};

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("hex"))
            .collect()
    }

    /// Go 1.23, fresh process (first id 64): `Arith.Multiply` request headers (from
    /// gob/tests/derive_netrpc.rs).
    #[test]
    fn request_header_bytes_equal_go_first_id_64() {
        let go_def_and_first = hex("2e 7f 03 01 01 07 52 65 71 75 65 73 74 01 ff 80 00 01 02 01 0d 53 65 72 76 69 63 65 4d 65 74 68 6f 64 01 0c 00 01 03 53 65 71 01 06 00 00 00
            13 ff 80 01 0e 41 72 69 74 68 2e 4d 75 6c 74 69 70 6c 79 00");
        let go_second = hex("15 ff 80 01 0e 41 72 69 74 68 2e 4d 75 6c 74 69 70 6c 79 01 01 00");
        let mut enc = Encoder::new();
        let mut out = Vec::new();
        let req = |seq| Request {
            service_method: "Arith.Multiply".into(),
            seq,
        };
        enc.encode_into(&req(0), &mut out).expect("encode");
        assert_eq!(out, go_def_and_first);
        out.clear();
        enc.encode_into(&req(1), &mut out).expect("encode");
        assert_eq!(out, go_second);
    }

    /// go-plugin v1.4.3 (Go 1.19, first id 65): the Dispense reply and the Quit error-free
    /// reply with an empty-struct body (spec §4.3, §11).
    #[test]
    fn response_header_and_empty_body_bytes_equal_go_first_id_65() {
        let go = hex("3a ff 81 03 01 01 08 52 65 73 70 6f 6e 73 65 01 ff 82 00 01 03 01 0d 53 65 72 76 69 63 65 4d 65 74 68 6f 64 01 0c 00 01 03 53 65 71 01 06 00 01 05 45 72 72 6f 72 01 0c 00 00 00
            17 ff 82 01 12 44 69 73 70 65 6e 73 65 72 2e 44 69 73 70 65 6e 73 65 00
            03 06 00 01
            13 ff 82 01 0c 43 6f 6e 74 72 6f 6c 2e 50 69 6e 67 01 01 00
            0a ff 83 03 01 02 ff 84 00 00 00
            03 ff 84 00");
        let mut enc = Encoder::with_first_id(65);
        let mut out = Vec::new();
        let resp = |m: &str, seq| Response {
            service_method: m.into(),
            seq,
            error: String::new(),
        };
        enc.encode_into(&resp("Dispenser.Dispense", 0), &mut out)
            .expect("encode");
        enc.encode_into(&1u32, &mut out).expect("encode");
        enc.encode_into(&resp("Control.Ping", 1), &mut out)
            .expect("encode");
        enc.encode_into(&Empty, &mut out).expect("encode");
        assert_eq!(out, go);

        // And back, with the body skipped by `Discard`.
        let mut dec = Decoder::new();
        let mut input = &go[..];
        let Ok(Step::Value { value: r, used: n }) = dec.decode_next::<Response>(input, true) else {
            panic!("header")
        };
        assert_eq!(r, resp("Dispenser.Dispense", 0));
        input = &input[n..];
        let Ok(Step::Value {
            value: Discard,
            used: n,
        }) = dec.decode_next::<Discard>(input, true)
        else {
            panic!("body")
        };
        input = &input[n..];
        let Ok(Step::Value { value: r, used: n }) = dec.decode_next::<Response>(input, true) else {
            panic!("header 2")
        };
        assert_eq!(r.seq, 1);
        input = &input[n..];
        let Ok(Step::Value {
            value: Discard,
            used: n,
        }) = dec.decode_next::<Discard>(input, true)
        else {
            panic!("body 2")
        };
        assert_eq!(n, input.len());
    }
}
