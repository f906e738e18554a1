//! A fast, non-cryptographic hasher for the evaluator's internal maps (the Fx hash of the Rust
//! compiler). Map iteration order never reaches output, so the hash only has to be quick; the
//! default SipHash was a tenth of the evaluation time.

use std::hash::{BuildHasherDefault, Hasher};

/// The Fx hasher: a multiply-rotate over 8-byte words.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The last multiplication leaves the low bits, which hash tables index buckets by,
        // depending on few input bits (label sets ending in the same bytes all collided);
        // rotating brings the well-mixed high bits down, as rustc-hash 2 does.
        self.hash.rotate_left(26)
    }
}

/// A `HashMap` with the Fx hasher.
pub(crate) type FxHashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` with the Fx hasher.
pub(crate) type FxHashSet<T> = std::collections::HashSet<T, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_sets_spread_over_buckets() {
        // Label sets that differ only in one value must not pile up in a few buckets of a
        // table indexed by the hash's low bits.
        let mut buckets = FxHashSet::default();
        for i in 0..4096 {
            let labels = crate::Labels::from_pairs([
                ("code", "500".to_string()),
                ("instance", format!("i{i}")),
                ("job", "api".to_string()),
            ]);
            let mut h = FxHasher::default();
            std::hash::Hash::hash(&labels, &mut h);
            buckets.insert(h.finish() & 4095);
        }
        assert!(
            buckets.len() > 2000,
            "only {} of 4096 buckets used",
            buckets.len()
        );
    }

    #[test]
    fn distinct_short_strings_hash_differently() {
        let hash = |s: &str| {
            let mut h = FxHasher::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_ne!(hash("a"), hash("b"));
        assert_ne!(hash("ab"), hash("ab\0"));
        assert_eq!(hash("job"), hash("job"));
    }
}
