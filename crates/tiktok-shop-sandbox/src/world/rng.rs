//! Deterministic randomness. The crate has no `rand`, and the sandbox must
//! not want one: every value it serves comes from splitmix64 streams seeded
//! by (seed, shop, order), so one configuration always serves the same data,
//! and ids come from keyed bijections so they never collide.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 finaliser: a good 64-bit mixing function.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes two values into one (order matters).
pub(crate) fn combine(a: u64, b: u64) -> u64 {
    mix(a ^ mix(b.wrapping_add(GOLDEN)))
}

/// Hashes a string (FNV-1a, then mixed), e.g. a shop cipher into a seed.
pub(crate) fn hash_str(text: &str) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix(h)
}

/// A keyed bijection on `[0, 2^bits)`: distinct inputs give distinct
/// outputs, so ids made from distinct indexes never collide yet look random.
pub(crate) fn permute(x: u64, key: u64, bits: u32) -> u64 {
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let half = bits / 2;
    let mut v = x & mask;
    for round in 0..3 {
        // Each step is invertible modulo 2^bits: xor with a constant,
        // multiplication by an odd number, xor with a right shift.
        v ^= key.rotate_left(round * 21) & mask;
        v = v.wrapping_mul(GOLDEN | 1) & mask;
        v ^= v >> half;
    }
    v
}

/// A splitmix64 stream.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `[0, n)`; 0 when `n` is 0.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[lo, hi]` (inclusive); `lo` when the range is empty.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo).saturating_add(1);
        lo.wrapping_add(self.below(span) as i64)
    }

    /// True with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }

    /// One element; the tables it is used on are static and never empty.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index chosen with the given relative weights.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut roll = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if roll < w {
                return i;
            }
            roll -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// `n` decimal digits, as text (leading zeros kept).
    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    /// A template with each `#` replaced by a digit (postal codes, phones).
    pub(crate) fn fill(&mut self, template: &str) -> String {
        template
            .chars()
            .map(|c| {
                if c == '#' {
                    char::from(b'0' + self.below(10) as u8)
                } else {
                    c
                }
            })
            .collect()
    }
}

#[cfg(test)]
use std::collections::HashSet;

#[test]
fn permute_is_a_bijection_on_small_domains() {
    for bits in [4u32, 10, 16] {
        let n = 1u64 << bits;
        let outputs: HashSet<u64> = (0..n).map(|x| permute(x, 0xDEAD_BEEF, bits)).collect();
        assert_eq!(outputs.len() as u64, n, "bits={bits}");
        assert!(outputs.iter().all(|v| *v < n));
    }
}

#[test]
fn streams_are_reproducible_and_ranges_hold() {
    let mut a = Rng::new(7);
    let mut b = Rng::new(7);
    for _ in 0..1000 {
        assert_eq!(a.next_u64(), b.next_u64());
        let r = a.range(-3, 5);
        assert!((-3..=5).contains(&r));
        b.range(-3, 5);
    }
    assert_eq!(Rng::new(1).range(9, 9), 9);
    assert_eq!(Rng::new(1).weighted(&[0, 0, 5]), 2);
    assert_eq!(Rng::new(1).digits(6).len(), 6);
    assert_ne!(hash_str("GCP_A"), hash_str("GCP_B"));
}
