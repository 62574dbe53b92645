//! A fast hasher for keys this crate makes itself: addresses of its own type definitions and
//! Rust `TypeId`s, looked up once per interface value while encoding. SipHash (std's default)
//! protects maps against keys an attacker picks; these keys are never a peer's input, and
//! hashing them cost more than the rest of the lookup.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing of integer keys (the scheme of rustc's own `FxHasher`).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

/// An odd constant with well-mixed bits (2^64 divided by the golden ratio).
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The product's high bits are its best mixed; the table takes its index from the low
        // bits (addresses are multiples of 8, which a product keeps).
        self.0.rotate_left(26)
    }
}

/// `HashMap<K, V, IdBuild>` for keys of this crate's own making.
pub(crate) type IdBuild = BuildHasherDefault<IdHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    /// Aligned addresses spread over the table's buckets (the low bits a table indexes by).
    #[test]
    fn aligned_keys_spread_over_low_bits() {
        let build = IdBuild::default();
        let buckets: HashSet<u64> = (0..64usize)
            .map(|i| build.hash_one(0x5555_0000_1000usize + i * 64) & 63)
            .collect();
        assert!(buckets.len() >= 32, "{} buckets of 64", buckets.len());
    }
}
