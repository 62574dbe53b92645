//! Primitive encodings: unsigned and signed integers, floats, byte strings.
//! No type knowledge lives here.

use crate::error::{Error, ErrorKind, Result};

/// Appends a gob unsigned integer.
#[inline]
pub fn put_uint(buf: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        buf.push(v as u8);
        return;
    }
    let bytes = v.to_be_bytes();
    let skip = (v.leading_zeros() / 8) as usize;
    let n = 8 - skip;
    buf.push((n as u8).wrapping_neg());
    buf.extend_from_slice(&bytes[skip..]);
}

/// Encoded size of a gob unsigned integer.
#[inline]
pub fn uint_len(v: u64) -> usize {
    if v < 0x80 {
        1
    } else {
        1 + 8 - (v.leading_zeros() / 8) as usize
    }
}

/// Appends a gob signed integer (zig-zag with complement).
#[inline]
pub fn put_int(buf: &mut Vec<u8>, i: i64) {
    put_uint(buf, zigzag(i));
}

#[inline]
fn zigzag(i: i64) -> u64 {
    if i < 0 {
        ((!i as u64) << 1) | 1
    } else {
        (i as u64) << 1
    }
}

/// Appends a gob float (byte-reversed IEEE-754 bits).
#[inline]
pub fn put_float(buf: &mut Vec<u8>, f: f64) {
    put_uint(buf, f.to_bits().swap_bytes());
}

/// Appends a length-prefixed byte string.
#[inline]
pub fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    put_uint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}

/// Starts a length-prefixed chunk: reserves the one-byte prefix that a chunk shorter than 128
/// bytes needs and returns where the chunk's content starts (pass it to [`close_chunk`]).
#[inline]
pub fn open_chunk(buf: &mut Vec<u8>) -> usize {
    buf.push(0);
    buf.len()
}

/// Ends the chunk opened by [`open_chunk`] at `start`: writes its length, as Go's
/// `writeMessage` does. Short chunks (most interface values) are finished in place; a chunk
/// of 128 bytes or more needs a longer prefix, so its content moves up by the extra bytes.
#[inline]
pub fn close_chunk(buf: &mut Vec<u8>, start: usize) {
    let len = buf.len() - start;
    if len < 0x80 {
        buf[start - 1] = len as u8;
        return;
    }
    close_chunk_reserved(buf, start, 1);
}

/// Starts a chunk with `prefix` bytes (at least 1) reserved for its length: a guess of the
/// length's encoded size (see [`close_chunk_reserved`]). Returns where the content starts.
pub(crate) fn open_chunk_reserved(buf: &mut Vec<u8>, prefix: usize) -> usize {
    buf.resize(buf.len() + prefix.max(1), 0);
    buf.len()
}

/// Ends a chunk whose content starts at `start` after `prefix` reserved bytes: writes the
/// length there, moving the content when its encoded size is not `prefix` (a chunk of a
/// good guess, such as a message of the size of the previous one, moves nothing). Returns
/// the encoded size of the length.
pub(crate) fn close_chunk_reserved(buf: &mut Vec<u8>, start: usize, prefix: usize) -> usize {
    let len = (buf.len() - start) as u64;
    if len < 0x80 && prefix == 1 {
        buf[start - 1] = len as u8;
        return 1;
    }
    let n = uint_len(len);
    let old_end = buf.len();
    if n > prefix {
        buf.resize(old_end + n - prefix, 0);
        buf.copy_within(start..old_end, start + n - prefix);
    } else if n < prefix {
        buf.copy_within(start..old_end, start - (prefix - n));
        buf.truncate(old_end - (prefix - n));
    }
    let at = start - prefix;
    if n == 1 {
        buf[at] = len as u8;
    } else {
        buf[at] = ((n - 1) as u8).wrapping_neg();
        buf[at + 1..at + n].copy_from_slice(&len.to_be_bytes()[8 - (n - 1)..]);
    }
    n
}

/// `b` as UTF-8 text. ASCII strings (most of what Go programs send: names, keys,
/// identifiers) take a word-at-a-time check instead of the general validator.
#[allow(unsafe_code)]
pub(crate) fn utf8(b: &[u8]) -> std::result::Result<&str, std::str::Utf8Error> {
    if b.is_ascii() {
        // SAFETY: every ASCII byte sequence is valid UTF-8, the only requirement of
        // `from_utf8_unchecked`.
        Ok(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b)
    }
}

/// A cursor over a gob stream held in memory.
///
/// `end` is the end of the current message; reads inside a value never cross it. Only the
/// interface type-definition loop moves to the next message ([`Reader::next_message`]), which is
/// how Go lets a value continue in a later message.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
    /// Whether `buf` ends at the real end of the stream (`true`) or more bytes may follow.
    complete: bool,
    max_message: u64,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, positioned at a message boundary.
    pub fn new(buf: &'a [u8], complete: bool, max_message: u64) -> Self {
        Reader {
            buf,
            pos: 0,
            end: 0,
            complete,
            max_message,
        }
    }

    /// Current position in the whole buffer.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left in the current message.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.end - self.pos
    }

    /// True at the end of the whole buffer.
    pub fn at_buffer_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn short(&self) -> Error {
        Error::new(ErrorKind::UnexpectedEof).at_offset(self.pos)
    }

    /// Error for input that ends in the middle of something: incomplete for a streaming
    /// buffer, unexpected EOF when the buffer is all there is.
    fn need_more(&self) -> Error {
        if self.complete {
            self.short()
        } else {
            Error::incomplete()
        }
    }

    /// Starts the next message: reads its length and bounds further reads by it.
    ///
    /// Returns `Ok(false)` at a clean end of input (no byte of a new message present).
    pub fn next_message(&mut self) -> Result<bool> {
        self.pos = self.end.max(self.pos);
        if self.pos >= self.buf.len() {
            if self.complete {
                return Ok(false);
            }
            return Err(Error::incomplete());
        }
        let start = self.pos;
        self.end = self.buf.len();
        let len = match self.uint() {
            Ok(l) => l,
            Err(e) if matches!(e.kind(), ErrorKind::UnexpectedEof) => return Err(self.need_more()),
            Err(e) => return Err(e.at_offset(start)),
        };
        if len == 0 || len >= self.max_message {
            // Only the count is used up (as by Go's `recvMessage`, which fails before
            // reading the message): `message_end` of the error is here.
            self.end = self.pos;
            return Err(Error::new(ErrorKind::MessageTooLarge {
                len,
                limit: self.max_message,
            })
            .at_offset(start));
        }
        let avail = (self.buf.len() - self.pos) as u64;
        if len > avail {
            self.end = self.pos;
            return Err(self.need_more());
        }
        self.end = self.pos + len as usize;
        Ok(true)
    }

    /// End of the current message.
    pub fn message_end(&self) -> usize {
        self.end
    }

    /// Skips whatever is left of the current message (Go ignores trailing bytes after a value).
    pub fn finish_message(&mut self) {
        self.pos = self.end;
    }

    /// Reads one byte.
    #[inline]
    pub fn byte(&mut self) -> Result<u8> {
        if self.pos >= self.end {
            return Err(self.short());
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    /// Reads a gob unsigned integer.
    #[inline]
    pub fn uint(&mut self) -> Result<u64> {
        if self.pos < self.end {
            if let Some(&b) = self.buf.get(self.pos) {
                if b < 0x80 {
                    self.pos += 1;
                    return Ok(u64::from(b));
                }
            }
        }
        self.uint_long()
    }

    /// [`Reader::uint`] past its one-byte form: a byte count, then that many big-endian
    /// bytes (most floats take this path: gob sends a float's bits byte-reversed).
    #[inline(never)]
    fn uint_long(&mut self) -> Result<u64> {
        let b = self.byte()?;
        if b < 0x80 {
            return Ok(u64::from(b));
        }
        let n = (b as i8).unsigned_abs() as usize;
        if n > 8 {
            return Err(Error::new(ErrorKind::UintOutOfRange).at_offset(self.pos - 1));
        }
        if self.end - self.pos < n {
            return Err(self.short());
        }
        // One eight-byte load when the buffer has the room, shifted down to the n bytes.
        let v = match self.buf.get(self.pos..self.pos + 8) {
            Some(w) => {
                let mut word = [0u8; 8];
                word.copy_from_slice(w);
                u64::from_be_bytes(word) >> (8 * (8 - n))
            }
            None => self.buf[self.pos..self.pos + n]
                .iter()
                .fold(0, |v, &x| (v << 8) | u64::from(x)),
        };
        self.pos += n;
        Ok(v)
    }

    /// Reads a gob signed integer.
    #[inline]
    pub fn int(&mut self) -> Result<i64> {
        let u = self.uint()?;
        Ok(if u & 1 == 1 {
            !((u >> 1) as i64)
        } else {
            (u >> 1) as i64
        })
    }

    /// Reads a gob float.
    #[inline]
    pub fn float(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.uint()?.swap_bytes()))
    }

    /// Reads a count that is about to drive `min_bytes_each`-sized reads, rejecting counts the
    /// rest of the message could not hold (nothing is allocated from an unchecked count).
    #[inline]
    pub fn count(&mut self, min_bytes_each: usize) -> Result<usize> {
        let at = self.pos;
        let n = self.uint()?;
        let rem = self.remaining() as u64;
        if min_bytes_each > 0 && n > rem / min_bytes_each as u64 {
            return Err(Error::new(ErrorKind::LengthExceedsInput {
                count: n,
                remaining: rem,
            })
            .at_offset(at));
        }
        usize::try_from(n).map_err(|_| {
            Error::new(ErrorKind::LengthExceedsInput {
                count: n,
                remaining: rem,
            })
        })
    }

    /// Reads the element count of a slice, array or map value.
    ///
    /// Unlike [`Reader::count`] the elements need not fit in the current message: interface
    /// elements may carry type definitions that make Go flush the message, so later elements
    /// continue in later messages. The count is only checked against everything that could
    /// still follow (the rest of a complete buffer); callers must bound what they pre-allocate
    /// by [`Reader::remaining`] and check [`Reader::remaining`] before each element, as Go does.
    #[inline]
    pub fn value_count(&mut self, min_bytes_each: usize) -> Result<usize> {
        let at = self.pos;
        let n = self.uint()?;
        self.check_count(n, min_bytes_each, at)
    }

    /// [`Reader::value_count`]'s check of a count `n` read at `at`.
    #[inline]
    fn check_count(&self, n: u64, min_bytes_each: usize, at: usize) -> Result<usize> {
        let rest = (self.buf.len() - self.pos) as u64;
        if self.complete && min_bytes_each > 0 && n > rest / min_bytes_each as u64 {
            return Err(Error::new(ErrorKind::LengthExceedsInput {
                count: n,
                remaining: rest,
            })
            .at_offset(at));
        }
        usize::try_from(n).map_err(|_| {
            Error::new(ErrorKind::LengthExceedsInput {
                count: n,
                remaining: rest,
            })
            .at_offset(at)
        })
    }

    /// [`Reader::value_count`] for a map: a count of 2^63 or more is no entries, as in Go, whose
    /// `int(count)` turns it negative so that its decoder reads an empty map.
    #[inline]
    pub fn map_count(&mut self, min_bytes_each: usize) -> Result<usize> {
        let at = self.pos;
        let n = self.uint()?;
        if n > i64::MAX as u64 {
            return Ok(0);
        }
        self.check_count(n, min_bytes_each, at)
    }

    /// Reads a length-prefixed byte string, borrowing from the input.
    #[inline]
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let at = self.pos;
        let n = self.uint()?;
        let rest = self.message_rest();
        match usize::try_from(n).ok().and_then(|n| rest.get(..n)) {
            Some(s) => {
                self.pos += s.len();
                Ok(s)
            }
            None => Err(self.bytes_error(n, at)),
        }
    }

    /// [`Reader::bytes`]' error for a length `n` (read at `at`) past the message's end.
    #[cold]
    #[inline(never)]
    fn bytes_error(&self, n: u64, at: usize) -> Error {
        Error::new(ErrorKind::LengthExceedsInput {
            count: n,
            remaining: self.remaining() as u64,
        })
        .at_offset(at)
    }

    /// Takes the next `n` bytes of the current message.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.short());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// What is left of the current message, for a caller that parses a short run of it in
    /// one go and then moves on with [`Reader::advance`].
    #[inline]
    pub(crate) fn message_rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    /// Moves on by `n` bytes of the current message (at most to its end), after a caller
    /// parsed them from [`Reader::message_rest`].
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos += n.min(self.end - self.pos);
    }

    /// Skips `n` bytes of the current message.
    pub fn skip(&mut self, n: usize) -> Result<()> {
        if n > self.remaining() {
            return Err(self.short());
        }
        self.pos += n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_u(v: u64) -> Vec<u8> {
        let mut b = Vec::new();
        put_uint(&mut b, v);
        b
    }

    #[test]
    fn uint_table_from_go() {
        assert_eq!(enc_u(0), [0x00]);
        assert_eq!(enc_u(127), [0x7f]);
        assert_eq!(enc_u(128), [0xff, 0x80]);
        assert_eq!(enc_u(256), [0xfe, 0x01, 0x00]);
        assert_eq!(enc_u(0x1111), [0xfe, 0x11, 0x11]);
        assert_eq!(enc_u(1 << 63), [0xf8, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            enc_u(u64::MAX),
            [0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn every_uint_width_reads_back_at_and_before_the_buffer_end() {
        for bytes in 0..=8u32 {
            let v = if bytes == 0 {
                0x45
            } else {
                u64::MAX >> (64 - 8 * bytes)
            };
            let body = enc_u(v);
            // The value alone, then followed by another message whose bytes must not leak in.
            for trailer in [&[][..], &[0x02, 0xff, 0xff][..]] {
                let mut buf = enc_u(body.len() as u64);
                buf.extend_from_slice(&body);
                buf.extend_from_slice(trailer);
                let mut r = Reader::new(&buf, true, 1 << 20);
                assert!(r.next_message().unwrap());
                assert_eq!(r.uint().unwrap(), v, "{bytes} bytes, trailer {trailer:?}");
                assert_eq!(r.remaining(), 0);
            }
        }
        // A count byte claiming more bytes than the message has is an error, not a read past
        // it (the buffer goes on, so the eight-byte load would have the room).
        let mut r = Reader::new(
            &[
                0x02, 0xfd, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
            ],
            true,
            1 << 20,
        );
        assert!(r.next_message().unwrap());
        assert!(r.uint().is_err(), "3 bytes claimed, 1 left in the message");
    }

    #[test]
    fn int_and_float_examples() {
        let mut b = Vec::new();
        put_int(&mut b, -129);
        assert_eq!(b, [0xfe, 0x01, 0x01]);
        b.clear();
        put_int(&mut b, i64::MIN);
        assert_eq!(b, [0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        b.clear();
        put_float(&mut b, 17.0);
        assert_eq!(b, [0xfe, 0x31, 0x40]);
        b.clear();
        put_float(&mut b, -0.0);
        assert_eq!(b, [0xff, 0x80]);
    }

    #[test]
    fn round_trips_and_rejects_nine_byte_uint() {
        let mut u: u64 = 0;
        while u < (1 << 62) {
            let mut b = Vec::new();
            put_uint(&mut b, u);
            put_int(&mut b, -(u as i64));
            let mut r = Reader::new(&b, true, 1 << 30);
            r.end = b.len();
            assert_eq!(r.uint().unwrap(), u);
            assert_eq!(r.int().unwrap(), -(u as i64));
            u = match (u + 1).checked_mul(7) {
                Some(n) => n,
                None => break,
            };
        }
        let bad = [0xf7u8, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        let mut r = Reader::new(&bad, true, 1 << 30);
        r.end = bad.len();
        assert_eq!(r.uint().unwrap_err().kind(), &ErrorKind::UintOutOfRange);
    }

    #[test]
    fn close_chunk_prefixes_length() {
        let mut b = vec![9, 9];
        let start = open_chunk(&mut b);
        b.extend([1, 2, 3]);
        close_chunk(&mut b, start);
        assert_eq!(b, [9, 9, 3, 1, 2, 3]);
        // Empty and longer chunks: the prefix is what put_uint writes for the length.
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let mut b = vec![7u8];
            let start = open_chunk(&mut b);
            b.extend(std::iter::repeat_n(7u8, len));
            close_chunk(&mut b, start);
            let mut want = vec![7u8];
            put_uint(&mut want, len as u64);
            want.extend(std::iter::repeat_n(7u8, len));
            assert_eq!(b, want, "chunk of {len} bytes");
        }
    }

    /// Every guess of the prefix size gives what `put_uint` writes for the length.
    #[test]
    fn reserved_chunk_prefix_is_right_whatever_the_guess() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536, 70_000] {
            for guess in 1..=9 {
                let mut b = vec![7u8, 8];
                let start = open_chunk_reserved(&mut b, guess);
                b.extend((0..len).map(|i| i as u8));
                let n = close_chunk_reserved(&mut b, start, guess);
                let mut want = vec![7u8, 8];
                put_uint(&mut want, len as u64);
                want.extend((0..len).map(|i| i as u8));
                assert_eq!(b, want, "chunk of {len} bytes, {guess} reserved");
                assert_eq!(n, uint_len(len as u64));
            }
        }
    }
}
