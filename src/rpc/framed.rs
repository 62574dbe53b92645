//! Reading gob values off a byte stream: a growing buffer, one [`gob::Decoder`] per stream,
//! bounded memory.

use bytes::{Buf, BufMut, BytesMut};
use gob::raw::WireId;
use gob::{Decoder, Step};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::error::RpcError;
use super::Config;

/// Smallest read attempted (spare capacity reserved before each read).
const MIN_READ: usize = 16 * 1024;
/// Largest empty buffer kept between values.
const RETAIN: usize = 1 << 20;
/// Largest read offered to the stream at once. A tokio reader that needs initialised memory
/// (the yamux stream's compat layer) zeroes all the spare room it is offered on every read:
/// offering a 72 MB message's whole reservation made reading it quadratic (43 % of a host's
/// CPU in `memset` for a 100,000-record reply). Bounded, zeroing costs at most as much as the
/// bytes that arrive.
const MAX_READ: usize = 256 * 1024;

/// What one decode attempt produced.
pub(crate) enum Frame<T> {
    /// A value; its bytes have been consumed.
    Value(T),
    /// The stream ended cleanly at a message boundary.
    Eof,
}

/// Reads gob values from `io`, buffering as little as the values need.
pub(crate) struct FrameReader<R> {
    io: R,
    buf: BytesMut,
    dec: Decoder,
    eof: bool,
    max_buffered: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub(crate) fn new(io: R, config: &Config) -> Self {
        FrameReader {
            io,
            buf: BytesMut::with_capacity(MIN_READ),
            dec: Decoder::with_limits(config.limits.clone()),
            eof: false,
            max_buffered: config.max_buffered,
        }
    }

    /// The decoder (its received type definitions).
    pub(crate) fn decoder(&self) -> &Decoder {
        &self.dec
    }

    /// Decodes the next value with `f` (called with the decoder, the buffered bytes and
    /// whether they are all that will ever arrive), reading more input while `f` reports
    /// [`Step::NeedMore`]. `f` may be called several times; an incomplete attempt leaves the
    /// decoder unchanged.
    ///
    /// Cancel-safe: dropping the future loses no input.
    ///
    /// A gob error leaves the offending bytes in the buffer (see [`FrameReader::skip_value`]).
    pub(crate) async fn decode_with<T>(
        &mut self,
        mut f: impl FnMut(&mut Decoder, &[u8], bool) -> gob::Result<Step<T>>,
    ) -> Result<Frame<T>, ReadError> {
        loop {
            // `f` runs the caller's `Decode` implementations: a panic there must end this
            // connection with an error, not the task that reads it (its pending calls or
            // requests would wait forever).
            let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                f(&mut self.dec, &self.buf, self.eof)
            }));
            let attempt = match attempt {
                Ok(attempt) => attempt,
                Err(panic) => {
                    let text = super::panic_text(&*panic);
                    return Err(ReadError::Rpc(RpcError::DecodePanicked(text)));
                }
            };
            match attempt {
                Ok(Step::Value { value, used }) => {
                    self.buf.advance(used);
                    self.release();
                    return Ok(Frame::Value(value));
                }
                Ok(Step::End { used }) => {
                    self.buf.advance(used);
                    return Ok(Frame::Eof);
                }
                Ok(Step::NeedMore) if !self.eof => self.fill().await?,
                // `f` saw `complete` and cannot need more; were it to, reading on could not help.
                Ok(Step::NeedMore) => return Err(ReadError::Rpc(RpcError::UnexpectedEof)),
                Err(e) if matches!(e.kind(), gob::ErrorKind::UnexpectedEof) && self.eof => {
                    return Err(ReadError::Rpc(RpcError::UnexpectedEof))
                }
                Err(e) => return Err(ReadError::Gob(e)),
            }
        }
    }

    /// Discards the next value's messages (type definitions, then one value message) without
    /// interpreting them, the way Go's decoder drops the rest of a message it failed on.
    /// Returns the wire type id of the value message, when there was one.
    pub(crate) async fn skip_value(&mut self) -> Result<Option<WireId>, ReadError> {
        loop {
            match scan_value(&self.buf, self.dec.limits().max_message)? {
                Scan::Complete { len, id } => {
                    self.buf.advance(len);
                    return Ok(Some(id));
                }
                Scan::Need(_) if self.eof => {
                    self.buf.clear();
                    return Ok(None);
                }
                Scan::Need(_) => self.fill().await?,
            }
        }
    }

    /// Discards what Go's decoder consumes when it fails on the next value with `e`: the
    /// value's messages ([`FrameReader::skip_value`]) and, when the failure came in a later
    /// message ([`gob::Error::message_end`]: an interface's type sequence goes on in the
    /// next message), every message up to the end of that one. Go's `DecodeValue` resets
    /// its buffer, so the rest of the message it failed in is gone and the stream goes on
    /// after it: a Go client whose encoder failed mid-request leaves such a stream
    /// (found by tests/dispatcher_random.rs: a submit with a deadline and a `null` record).
    pub(crate) async fn skip_failed_value(&mut self, e: &gob::Error) -> Result<(), ReadError> {
        let end = e.message_end().unwrap_or(0);
        if end > 0 && end <= self.buf.len() {
            if let Ok(Scan::Complete { len, .. }) =
                scan_value(&self.buf, self.dec.limits().max_message)
            {
                if end > len {
                    self.buf.advance(end);
                    return Ok(());
                }
            }
        }
        self.skip_value().await.map(|_| ())
    }

    /// The wire type id of the value message at the front of the buffer, if fully buffered.
    pub(crate) fn peek_value_type(&self) -> Option<WireId> {
        match scan_value(&self.buf, self.dec.limits().max_message) {
            Ok(Scan::Complete { id, .. }) => Some(id),
            _ => None,
        }
    }

    /// Gives a large buffer back once it is empty (after a big value), so an idle
    /// connection does not keep its largest value's worth of memory.
    fn release(&mut self) {
        if self.buf.is_empty() && self.buf.capacity() > RETAIN {
            self.buf = BytesMut::with_capacity(MIN_READ);
        }
    }

    /// Reads more bytes; sets `eof` at the end of the stream.
    async fn fill(&mut self) -> Result<(), ReadError> {
        if self.buf.len() >= self.max_buffered {
            return Err(ReadError::Rpc(RpcError::TooLarge {
                limit: self.max_buffered,
            }));
        }
        // Reserve what the first incomplete message announces (so a 64 MiB body is read
        // straight into one allocation), bounded by the limit.
        let want = match scan_value(&self.buf, self.dec.limits().max_message) {
            Ok(Scan::Need(n)) => n,
            _ => 0,
        }
        .min(self.max_buffered)
        .saturating_sub(self.buf.len())
        .max(MIN_READ);
        if self.buf.capacity() - self.buf.len() < want {
            self.buf.reserve(want);
        }
        let n = self
            .io
            .read_buf(&mut (&mut self.buf).limit(MAX_READ))
            .await
            .map_err(|e| ReadError::Rpc(RpcError::io(e)))?;
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }
}

/// A read failure: a gob error (the bytes are still buffered) or a connection-level error.
#[derive(Debug)]
pub(crate) enum ReadError {
    Gob(gob::Error),
    Rpc(RpcError),
}

enum Scan {
    /// Definitions followed by one value message: `len` bytes in all; `id` is the value's type.
    Complete { len: usize, id: WireId },
    /// At least this many bytes (from the buffer start) are needed to see more.
    Need(usize),
}

/// Walks message framing only: definition messages (negative type id) followed by one value
/// message.
fn scan_value(buf: &[u8], max_message: u64) -> Result<Scan, ReadError> {
    let mut pos = 0usize;
    loop {
        let Some((len, n)) = read_uint(&buf[pos..]) else {
            return Ok(Scan::Need(pos + 1));
        };
        if len == 0 || len >= max_message {
            return Err(ReadError::Gob(gob::Error::new(
                gob::ErrorKind::MessageTooLarge {
                    len,
                    limit: max_message,
                },
            )));
        }
        let start = pos + n;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .ok_or_else(|| {
                ReadError::Gob(gob::Error::new(gob::ErrorKind::MessageTooLarge {
                    len,
                    limit: max_message,
                }))
            })?;
        if end > buf.len() {
            return Ok(Scan::Need(end));
        }
        let Some((raw, _)) = read_uint(&buf[start..end]) else {
            return Err(ReadError::Gob(gob::Error::new(
                gob::ErrorKind::UnexpectedEof,
            )));
        };
        // Signed gob integer: low bit is the sign.
        let id = if raw & 1 == 1 {
            !(raw >> 1) as i64
        } else {
            (raw >> 1) as i64
        };
        pos = end;
        if id >= 0 {
            return Ok(Scan::Complete { len: pos, id });
        }
    }
}

/// A gob unsigned integer at the start of `b`: value and encoded size, or `None` when `b`
/// is too short (or the integer is malformed and will be reported by the decoder).
fn read_uint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    if first < 0x80 {
        return Some((first as u64, 1));
    }
    let n = (first as i8).unsigned_abs() as usize;
    if n > 8 || b.len() < 1 + n {
        return None;
    }
    let v = b[1..=n].iter().fold(0u64, |v, &x| (v << 8) | x as u64);
    Some((v, 1 + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_definitions_then_value() {
        let mut enc = gob::Encoder::new();
        let mut out = Vec::new();
        let req = super::super::wire::Request {
            service_method: "A.B".into(),
            seq: 3,
        };
        enc.encode_into(&req, &mut out).expect("encode");
        let full = out.len();
        out.extend_from_slice(&[0x03, 0x04, 0x00, 0x02]); // next value: int 1
        match scan_value(&out, 1 << 20) {
            Ok(Scan::Complete { len, id }) => {
                assert_eq!(len, full);
                assert_eq!(id, 64);
            }
            _ => panic!("expected a complete value"),
        }
        match scan_value(&out[..full - 1], 1 << 20) {
            Ok(Scan::Need(n)) => assert_eq!(n, full),
            _ => panic!("expected need"),
        }
        assert!(matches!(scan_value(&[], 10), Ok(Scan::Need(1))));
        assert!(scan_value(&[0x00], 10).is_err());
        assert!(scan_value(&[0x20], 10).is_err());
    }

    /// A reader that hands out `data` in 64 KiB pieces and records the room it was offered.
    struct Offered {
        data: Vec<u8>,
        at: usize,
        largest_offer: usize,
    }

    impl AsyncRead for Offered {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.largest_offer = self.largest_offer.max(buf.remaining());
            let n = (self.data.len() - self.at)
                .min(64 * 1024)
                .min(buf.remaining());
            let at = self.at;
            buf.put_slice(&self.data[at..at + n]);
            self.at += n;
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// A message of 8 MiB is reserved at once but read through windows of at most
    /// `MAX_READ`: a reader that zeroes what it is offered (tokio's compat layer over the
    /// yamux stream) then zeroes each byte about once, not the whole reservation per read.
    #[tokio::test]
    async fn a_large_message_is_read_through_bounded_windows() {
        let big = vec![7u8; 8 << 20];
        let mut data = Vec::new();
        gob::Encoder::new()
            .encode_into(&big, &mut data)
            .expect("encode");
        let config = Config::default();
        let mut reader = FrameReader::new(
            Offered {
                data,
                at: 0,
                largest_offer: 0,
            },
            &config,
        );
        let got = reader
            .decode_with(|dec, bytes, complete| dec.decode_next::<Vec<u8>>(bytes, complete))
            .await;
        assert!(matches!(got, Ok(Frame::Value(v)) if v == big));
        assert!(
            reader.io.largest_offer <= MAX_READ,
            "offered {} bytes in one read",
            reader.io.largest_offer
        );
    }
}
