//! The seeded PRNG and content function that `tests/mux_random.rs` shares with its Go peer
//! (`go-interop/cmd/yamux-random`: `rng`, `mix64`, `fill` there must stay identical), also
//! used by `tests/rpc_random.rs`.

/// splitmix64's finaliser.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// splitmix64, identical to `rng` in the Go peer.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// A value in `0..n`; `n > 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn below_usize(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
}

/// The content at offsets `offset..offset + buf.len()`: byte `o` is byte `o % 8`
/// (little-endian) of `mix64(key ^ o / 8)`.
pub fn fill(buf: &mut [u8], key: u64, offset: u64) {
    let (mut i, mut o) = (0, offset);
    while i < buf.len() {
        let word = mix64(key ^ (o / 8)).to_le_bytes();
        let start = (o % 8) as usize;
        let take = (8 - start).min(buf.len() - i);
        buf[i..i + take].copy_from_slice(&word[start..start + take]);
        i += take;
        o += take as u64;
    }
}
