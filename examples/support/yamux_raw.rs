//! Raw yamux frames (hashicorp/yamux wire format), for the hostile peers of the test suite:
//! a 12-byte header (version, type, flags, stream id, length; big-endian), then `length`
//! body bytes for data frames.
#![allow(dead_code)]

use tokio::io::{AsyncRead, AsyncReadExt};

/// Frame types.
pub const DATA: u8 = 0;
/// Window update (also carries SYN/ACK for a stream without data).
pub const WINDOW_UPDATE: u8 = 1;
/// Ping.
pub const PING: u8 = 2;
/// GoAway (stream 0, length = error code).
pub const GO_AWAY: u8 = 3;

/// Flags.
pub const SYN: u16 = 1;
/// ACK.
pub const ACK: u16 = 2;
/// FIN.
pub const FIN: u16 = 4;
/// RST.
pub const RST: u16 = 8;

/// Bytes of a frame header.
pub const HEADER: usize = 12;

/// A frame header with every field chosen freely (version 0 is the only valid one).
pub fn header(version: u8, kind: u8, flags: u16, stream: u32, length: u32) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[0] = version;
    h[1] = kind;
    h[2..4].copy_from_slice(&flags.to_be_bytes());
    h[4..8].copy_from_slice(&stream.to_be_bytes());
    h[8..12].copy_from_slice(&length.to_be_bytes());
    h
}

/// A version-0 frame; `body` follows the header (its length is the header's for data frames).
pub fn frame(kind: u8, flags: u16, stream: u32, length: u32, body: &[u8]) -> Vec<u8> {
    let mut f = header(0, kind, flags, stream, length).to_vec();
    f.extend_from_slice(body);
    f
}

/// A data frame carrying `body` on `stream`.
pub fn data(flags: u16, stream: u32, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("frame body fits u32");
    frame(DATA, flags, stream, len, body)
}

/// One frame read off a socket.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Its header.
    pub header: [u8; HEADER],
    /// Its body (data frames only).
    pub body: Vec<u8>,
}

impl Frame {
    /// Frame type.
    pub fn kind(&self) -> u8 {
        self.header[1]
    }
    /// Flags.
    pub fn flags(&self) -> u16 {
        u16::from_be_bytes([self.header[2], self.header[3]])
    }
    /// Stream id.
    pub fn stream(&self) -> u32 {
        u32::from_be_bytes([
            self.header[4],
            self.header[5],
            self.header[6],
            self.header[7],
        ])
    }
    /// Length field.
    pub fn length(&self) -> u32 {
        u32::from_be_bytes([
            self.header[8],
            self.header[9],
            self.header[10],
            self.header[11],
        ])
    }
    /// Header and body, as on the wire.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = self.header.to_vec();
        b.extend_from_slice(&self.body);
        b
    }
}

/// Reads one frame; `Ok(None)` at a clean end of stream. Data bodies over `max_body` bytes
/// are an error (a peer of these tests never sends them).
pub async fn read_frame<R: AsyncRead + Unpin>(
    r: &mut R,
    max_body: usize,
) -> std::io::Result<Option<Frame>> {
    let mut header = [0u8; HEADER];
    match r.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut frame = Frame {
        header,
        body: Vec::new(),
    };
    if frame.kind() == DATA {
        let len = frame.length() as usize;
        if len > max_body {
            return Err(std::io::Error::other(format!("data frame of {len} bytes")));
        }
        frame.body = vec![0; len];
        r.read_exact(&mut frame.body).await?;
    }
    Ok(Some(frame))
}

/// Gob's unsigned integer encoding (a message length or a count): one byte below 128, else
/// the negated byte count and the big-endian bytes.
pub fn gob_uint(v: u64) -> Vec<u8> {
    if v < 128 {
        return vec![v as u8];
    }
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let mut out = vec![(-((8 - skip) as i8)) as u8];
    out.extend_from_slice(&bytes[skip..]);
    out
}

/// A gob message: its length, then `content`.
pub fn gob_message(content: &[u8]) -> Vec<u8> {
    let mut m = gob_uint(content.len() as u64);
    m.extend_from_slice(content);
    m
}

/// A gob string value message (builtin type id 12) whose length field says `claimed` while
/// only `actual` bytes follow: a huge length in a small message.
pub fn gob_string_claiming(claimed: u64, actual: &[u8]) -> Vec<u8> {
    // Type id 6 (string), signed: 12; then the singleton field delta 0; the length; the bytes.
    let mut content = vec![12, 0];
    content.extend(gob_uint(claimed));
    content.extend_from_slice(actual);
    gob_message(&content)
}
