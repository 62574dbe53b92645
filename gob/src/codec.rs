//! A `tokio_util::codec` adapter (feature `tokio`): one [`GobCodec`] per byte stream holds the
//! stream's encoder and decoder state, so type definitions are sent and remembered once.

use std::marker::PhantomData;

use bytes::{Buf, BufMut, BytesMut};

use crate::decode::{Decode, Decoder, Limits, Step};
use crate::encode::{Encode, Encoder};
use crate::error::{Error, ErrorKind};

/// Frames a byte stream into gob values of type `D` (decoding) and accepts any
/// [`Encode`] value (encoding).
pub struct GobCodec<D> {
    enc: Encoder,
    dec: Decoder,
    max_buffered: usize,
    /// Reused encode buffer (`encode_into` appends whole values only).
    scratch: Vec<u8>,
    _d: PhantomData<fn() -> D>,
}

impl<D> Default for GobCodec<D> {
    fn default() -> Self {
        GobCodec::new(Limits::default())
    }
}

impl<D> GobCodec<D> {
    /// A codec with the given decoding limits. A value that has not completed within
    /// `2 × max_message` buffered bytes is rejected.
    pub fn new(limits: Limits) -> Self {
        let max_buffered =
            usize::try_from(limits.max_message.saturating_mul(2)).unwrap_or(usize::MAX);
        GobCodec {
            enc: Encoder::new(),
            dec: Decoder::with_limits(limits),
            max_buffered,
            scratch: Vec::new(),
            _d: PhantomData,
        }
    }
}

impl<D: Decode> tokio_util::codec::Decoder for GobCodec<D> {
    type Item = D;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<D>, Error> {
        match self.dec.decode_next::<D>(src, false) {
            Ok(Step::Value(v, used)) => {
                src.advance(used);
                Ok(Some(v))
            }
            Ok(Step::End(used)) => {
                src.advance(used);
                Ok(None)
            }
            Err(e) if e.is_incomplete() => {
                if src.len() > self.max_buffered {
                    return Err(Error::new(ErrorKind::MessageTooLarge {
                        len: src.len() as u64,
                        limit: self.max_buffered as u64,
                    }));
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<D>, Error> {
        if src.is_empty() {
            return Ok(None);
        }
        match self.dec.decode_next::<D>(src, true)? {
            Step::Value(v, used) => {
                src.advance(used);
                Ok(Some(v))
            }
            Step::End(used) => {
                src.advance(used);
                Ok(None)
            }
        }
    }
}

impl<D, E: Encode> tokio_util::codec::Encoder<E> for GobCodec<D> {
    type Error = Error;

    fn encode(&mut self, item: E, dst: &mut BytesMut) -> Result<(), Error> {
        self.scratch.clear();
        self.enc.encode_into(&item, &mut self.scratch)?;
        dst.put_slice(&self.scratch);
        Ok(())
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}
