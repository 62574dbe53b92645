//! The host reading a plugin's stdout at launch: the first line (Go's `bufio.Reader`, at most
//! 64 KiB) parsed as the go-plugin handshake `CORE|APP|NETWORK|ADDR|PROTOCOL[|CERT]`, host
//! versions 1 and 2, net/rpc and gRPC allowed; `tcp` names go to a deterministic fake resolver.
//!
//! Checks: no panic; an accepted line has core version 1 and one of the host's versions; a
//! line the provider side formats from the result parses back to the same handshake; error
//! texts render. The input as text is also given to the line parser directly (host version 1,
//! net/rpc only).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tilores_plugin::fuzzing::{handshake_from_stdout, parse_handshake_line};
use tilores_plugin::plugin::{format_line, Protocol};

const VERSIONS: &[u32] = &[1, 2];
const PROTOCOLS: &[Protocol] = &[Protocol::NetRpc, Protocol::Grpc];

fuzz_target!(|data: &[u8]| {
    match handshake_from_stdout(data, VERSIONS, PROTOCOLS) {
        Some(Ok(h)) => {
            assert_eq!(h.core_version, 1);
            assert!(VERSIONS.contains(&h.app_version));
            assert!(PROTOCOLS.contains(&h.protocol));
            // What a provider would print for this handshake reads back the same (unless it
            // cannot be printed: a certificate field with a `|` or `\r` in it).
            if let Ok(line) = format_line(
                h.app_version,
                &h.address,
                h.protocol,
                h.server_cert.as_deref(),
            ) {
                match parse_handshake_line(&line, VERSIONS, PROTOCOLS) {
                    Ok(again) => assert_eq!(again, h, "{line:?}"),
                    Err(e) => panic!("formatted line {line:?} rejected: {e}"),
                }
            }
        }
        Some(Err(e)) => {
            assert!(!e.to_string().is_empty());
        }
        None => {}
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = parse_handshake_line(text, &[1], &[Protocol::NetRpc]) {
            assert!(!e.to_string().is_empty());
        }
    }
});
