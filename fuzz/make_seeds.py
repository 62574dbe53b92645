#!/usr/bin/env python3
"""Writes the hand-made seeds of the handshake, hclog and yamux targets (the rpc seeds come
from `cargo run --manifest-path fuzz/Cargo.toml --example seeds`). Run from anywhere."""
import base64, os, struct

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def write(target, name, data):
    d = os.path.join(here, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# handshake: the plugin's stdout at launch (first line counts).
cert = base64.b64encode(bytes([0x30, 58, 0x30, 56]) + bytes(56)).decode().rstrip("=")
for name, line in {
    "go-unix": "1|1|unix|/tmp/plugin2836711280|netrpc|\n",
    "go-tcp-grpc": "1|2|tcp|127.0.0.1:10000|grpc|\n",
    "legacy-4-fields": "1|1|unix|/tmp/p",
    "multiplex-flag": "1|1|tcp|localhost:1234|netrpc||true\r\n",
    "ipv6-zone": "  +1|01|tcp|[fe80::1%2]:80|netrpc|\n",
    "v6-name": "1|1|tcp|v6host:80|netrpc|\nlater output\n",
    "cert": f"1|1|unix|/p|netrpc|{cert}\n",
    "bad-core": "2|1|unix|/p|netrpc|\n",
    "not-a-handshake": "Hello from a program that is not a plugin\n",
}.items():
    write("handshake", name, line)

# hclog: first byte picks the line buffer (< 128: 2 + byte, else 64 KiB), then stderr.
lines = (
    '{"@level":"debug","@message":"plugin address","@module":"kv","@timestamp":"2026-11-26T05:11:45.773853Z","address":"/tmp/plugin123","network":"unix"}\n'
    '{"@level":"info","@message":"started","@timestamp":"2026-11-26T05:11:45.773853+01:00","n":3,"f":1.5e300,"b":true,"nil":null,"nested":{"a":[1,"x"]}}\r\n'
    '{"@level":"warn","@message":"no timestamp","k":"v w"}\n'
    '{"@level":"bogus","@message":"unknown level"}\n'
    '{"@level":3,"@message":"non-string level"}\n'
    "[ERROR] raw error line\n"
    "[WARN] raw warning\n"
    "panic: boom\n\ngoroutine 1 [running]:\n"
    "2026/11/26 05:11:45 [INFO] plain log line without final newline"
)
write("hclog", "go-lines-64k", b"\x80" + lines.encode())
write("hclog", "go-lines-buffer-18", b"\x10" + lines.encode())
write("hclog", "crlf-split", b"\x02" + b"ab\r\ncd\r\r\n\xff\xfe\n")


# yamux: first byte's low bit picks our role (0: host = yamux client, 1: plugin = server),
# then the peer's frames. Header: version 0, type, flags, stream id, length (big endian).
DATA, WINDOW, PING, GOAWAY = 0, 1, 2, 3
SYN, ACK, FIN, RST = 1, 2, 4, 8


def frame(typ, flags, sid, length, payload=b""):
    return struct.pack(">BBHII", 0, typ, flags, sid, length) + payload


def session(theirs, ours):
    return (
        frame(WINDOW, SYN, theirs, 0)  # peer opens a stream (Go: window update + SYN)
        + frame(WINDOW, ACK, ours, 0)  # and ACKs the one we open
        + frame(DATA, 0, theirs, 5, b"hello")
        + frame(WINDOW, 0, ours, 4096)
        + frame(DATA, 0, ours, 5, b"world")
        + frame(PING, SYN, 0, 42)
        + frame(DATA, FIN, theirs, 0)
        + frame(DATA, FIN, ours, 0)
    )


write("yamux", "host-side", b"\x00" + session(2, 1) + frame(GOAWAY, 0, 0, 0))
write("yamux", "plugin-side", b"\x01" + session(1, 2) + frame(GOAWAY, 0, 0, 0))
write(
    "yamux",
    "rst-and-ping-ack",
    b"\x01" + frame(WINDOW, SYN, 1, 262144) + frame(DATA, RST, 1, 0) + frame(PING, ACK, 0, 7),
)
