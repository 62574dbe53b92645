//! The stream front door: [`Decoder`] reads messages (type definitions, then a value) and
//! hands each value to a [`Dec`]; [`Step`] for streams read as they arrive, [`Iter`] for
//! complete ones.

use crate::error::{Error, ErrorKind, Result};
use crate::types::WireId;
use crate::wire::Reader;

use super::dec::Dec;
use super::limits::Limits;
use super::table::{define, definition_id, type_id, TypeTable};
use super::Decode;

/// Decodes any value and throws it away (Go's `Decode(nil)`): a structural skip that checks
/// the framing but allocates nothing. A net/rpc peer skips an unwanted body with it; the
/// decoder reads a value Go accepts and a typed decode refused with it, to find its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discard;

impl Decode for Discard {
    fn decode(d: &mut Dec<'_, '_>, wire: WireId) -> Result<Self> {
        d.skip_whole(wire)?;
        Ok(Discard)
    }
}

/// A gob stream decoder: one per byte stream, remembers the type definitions received.
pub struct Decoder {
    types: TypeTable,
    limits: Limits,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// What one step of stream decoding ([`Decoder::decode_next`]) found at the front of the input.
///
/// The three cases are all a byte stream can be in, so the enum is exhaustive.
#[derive(Debug)]
pub enum Step<T> {
    /// A value.
    Value {
        /// The value.
        value: T,
        /// Input bytes it used, the type definitions before it included.
        used: usize,
    },
    /// The input holds no whole value yet (only when it is not `complete`): the decoder is
    /// unchanged; call again with the same bytes and more after them.
    NeedMore,
    /// The input ended cleanly at a message boundary (only when it is `complete`).
    End {
        /// Input bytes used, type definitions only.
        used: usize,
    },
}

impl<T> Step<T> {
    /// The same step with the value mapped by `f` (e.g. stored aside, leaving a marker).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Step<U> {
        match self {
            Step::Value { value, used } => Step::Value {
                value: f(value),
                used,
            },
            Step::NeedMore => Step::NeedMore,
            Step::End { used } => Step::End { used },
        }
    }
}

impl Decoder {
    /// A decoder with default limits.
    pub fn new() -> Self {
        Decoder::with_limits(Limits::default())
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            types: TypeTable::default(),
            limits,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The definitions received so far.
    pub fn types(&self) -> &TypeTable {
        &self.types
    }

    /// Decodes the next value from `input`, the stream's bytes not consumed yet.
    ///
    /// `complete` says whether `input` is everything that will ever arrive. When it is false
    /// and `input` ends inside a message, the answer is [`Step::NeedMore`] (not an error) and
    /// the decoder state is unchanged, so the caller retries with more bytes. When it is true,
    /// input that ends inside a message is [`ErrorKind::UnexpectedEof`].
    ///
    /// ```
    /// # fn main() -> gob::Result<()> {
    /// let bytes = gob::to_vec(&7_i64)?;
    /// let mut dec = gob::Decoder::new();
    /// // Half a message: more bytes needed, nothing consumed.
    /// assert!(matches!(dec.decode_next::<i64>(&bytes[..1], false)?, gob::Step::NeedMore));
    /// match dec.decode_next::<i64>(&bytes, false)? {
    ///     gob::Step::Value { value, used } => assert_eq!((value, used), (7, bytes.len())),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn decode_next<T: Decode>(&mut self, input: &[u8], complete: bool) -> Result<Step<T>> {
        let mut added: Vec<WireId> = Vec::new();
        let next_alloc = self.types.next_alloc;
        let mut r = self.decode_next_inner(input, complete, &mut added);
        if let Err(e) = &r {
            if e.is_incomplete() && !added.is_empty() {
                self.forget(added, next_alloc);
            } else if e.is_read_by_go() {
                // Go would have read the whole value (its strings hold any bytes): read it
                // again structurally, from the same definitions, to say where it ends.
                self.forget(added, next_alloc);
                let mut again = Vec::new();
                match self.decode_next_inner::<Discard>(input, complete, &mut again) {
                    Ok(Step::Value { used, .. }) => {
                        r = r.map_err(|e| e.with_value_end(used));
                    }
                    Err(e2) if e2.is_incomplete() => {
                        self.forget(again, next_alloc);
                        return Ok(Step::NeedMore);
                    }
                    // The value is broken beyond what Go reads: the first error stands.
                    _ => {}
                }
            }
        }
        match r {
            // Only a stream that may continue is incomplete (`wire::Reader::need_more`).
            Err(e) if e.is_incomplete() => Ok(Step::NeedMore),
            r => r,
        }
    }

    /// Forgets the types an attempt defined (`added`, from `next_alloc` on).
    fn forget(&mut self, added: Vec<WireId>, next_alloc: WireId) {
        if added.is_empty() {
            return;
        }
        self.types.next_alloc = next_alloc;
        let dropped: u32 = added
            .iter()
            .filter_map(|m| self.types.skips.remove(m))
            .sum();
        self.types.skipped = self.types.skipped.saturating_sub(dropped);
        // Forget only what this attempt defined; plans of older types stay valid
        // (a large value read in pieces must not rebuild every plan each time).
        self.types.checked.retain(|(id, _)| !added.contains(id));
        self.types.pending.retain(|p| !added.contains(p));
        self.types.companions.retain(|m, _| !added.contains(m));
        for id in added {
            self.types.defs.remove(id);
            self.types.empty_defs.remove(&id);
            self.types.several.remove(&id);
            self.types.dyn_types.remove(id);
            self.types.plans.remove(id);
        }
        for e in self.types.names.iter_mut() {
            e.default_for = None;
        }
    }

    fn decode_next_inner<T: Decode>(
        &mut self,
        input: &[u8],
        complete: bool,
        added: &mut Vec<WireId>,
    ) -> Result<Step<T>> {
        let mut r = Reader::new(input, complete, self.limits.max_message);
        let mut saw_def = false;
        loop {
            let at = r.pos();
            let next = match r.next_message() {
                Ok(next) => next,
                // A count Go refuses too (`tooBig`): its `recvMessage` fails on the count
                // alone and the stream goes on after it; so it does after an empty message
                // (no type id to read: `EOF`). Between the two, only our own limit is
                // passed, and Go would read the message: no place to go on from.
                Err(e)
                    if matches!(e.kind(), ErrorKind::MessageTooLarge { len, .. }
                        if *len == 0 || *len >= crate::GO_MAX_MESSAGE) =>
                {
                    return Err(e.in_message_ending(r.message_end()))
                }
                Err(e) => return Err(e),
            };
            if !next {
                if saw_def {
                    return Err(Error::new(ErrorKind::UnexpectedEof).at_offset(at));
                }
                return Ok(Step::End { used: r.pos() });
            }
            let end = r.message_end();
            let id = type_id(
                r.int()
                    .map_err(|e| e.at_offset(at).in_message_ending(end))?,
            );
            if id < 0 {
                let id = definition_id(id).map_err(|e| e.in_message_ending(end))?;
                define(&mut self.types, &self.limits, &mut r, id, added)
                    .map_err(|e| e.at_offset(at).in_message_ending(end))?;
                if r.remaining() > 0 {
                    return Err(Error::new(ErrorKind::ExtraData)
                        .at_offset(r.pos())
                        .in_message_ending(end));
                }
                saw_def = true;
                continue;
            }
            self.types.refresh_names();
            self.types.name_message_end = None;
            let size = (r.message_end() - at) as u64;
            let budget = size
                .saturating_mul(self.limits.heap_per_byte)
                .saturating_add(self.limits.heap_allowance);
            let mut d = Dec {
                budget,
                heap_left: budget,
                message: size,
                r: &mut r,
                types: &mut self.types,
                limits: &self.limits,
                depth: 0,
                top: true,
                added,
            };
            let v = match d.top_value::<T>(id) {
                Ok(v) => v,
                // The value may have gone on into later messages (an interface's): the
                // message the reader is in now is the one it failed in.
                Err(e) => {
                    // Go fails on an unregistered name as soon as it has read it, before
                    // the definitions and value that may follow in later messages.
                    let end = match e.kind() {
                        ErrorKind::UnregisteredName(_) => {
                            self.types.name_message_end.unwrap_or(r.message_end())
                        }
                        _ => r.message_end(),
                    };
                    return Err(e.at_offset(at).in_message_ending(end));
                }
            };
            r.finish_message();
            return Ok(Step::Value {
                value: v,
                used: r.pos(),
            });
        }
    }

    /// Decodes every value of a complete in-memory stream (`iter(input).collect()`).
    pub fn decode_all<T: Decode>(&mut self, input: &[u8]) -> Result<Vec<T>> {
        self.iter(input).collect()
    }

    /// The values of a complete in-memory stream, one at a time, decoded by this decoder.
    ///
    /// The iterator ends after the last value or the first error (whose byte offset counts
    /// from the start of `input`); [`Iter::used`] tells how far it got.
    ///
    /// ```
    /// # fn main() -> gob::Result<()> {
    /// let mut enc = gob::Encoder::new();
    /// let mut bytes = enc.encode("one")?;
    /// bytes.extend(enc.encode("two")?);
    /// let all: Vec<String> = gob::Decoder::new().iter(&bytes).collect::<gob::Result<_>>()?;
    /// assert_eq!(all, ["one", "two"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn iter<'a, T: Decode>(&'a mut self, input: &'a [u8]) -> Iter<'a, T> {
        Iter {
            dec: self,
            input,
            used: 0,
            done: false,
            _t: std::marker::PhantomData,
        }
    }
}

/// The values of a complete stream ([`Decoder::iter`]).
pub struct Iter<'a, T> {
    dec: &'a mut Decoder,
    input: &'a [u8],
    used: usize,
    done: bool,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T> Iter<'_, T> {
    /// Input bytes consumed so far (the values returned and their definitions).
    pub fn used(&self) -> usize {
        self.used
    }
}

impl<T: Decode> Iterator for Iter<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        let rest = self.input.get(self.used..).unwrap_or_default();
        match self.dec.decode_next::<T>(rest, true) {
            Ok(Step::Value { value, used }) => {
                self.used += used;
                Some(Ok(value))
            }
            Ok(Step::End { used }) => {
                self.used += used;
                self.done = true;
                None
            }
            // A complete input never needs more; the arm keeps the match total.
            Ok(Step::NeedMore) => {
                self.done = true;
                Some(Err(
                    Error::new(ErrorKind::UnexpectedEof).at_offset(self.input.len())
                ))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e.shift_offset(self.used)))
            }
        }
    }
}

impl<T: Decode> std::iter::FusedIterator for Iter<'_, T> {}
