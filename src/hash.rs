//! The hasher of the run's hash maps and sets ([`HashMap`], [`HashSet`]).
//!
//! Their keys are mostly short (package names, paths, addresses, small tuples), and many come
//! from file content, which anyone proposing a pull request controls (issue 15: cost stays
//! linear on hostile input). std's SipHash-1-3 resists collision attacks but cost about 6%
//! of a run's instructions on short keys; an unkeyed fast hash (FxHash) would let a file
//! choose colliding names. foldhash is a fast keyed hash: [`Seeded`] keys it once per
//! process from std's `RandomState`, which draws its keys from the operating system, so an
//! input cannot know which of its names collide (a run is short-lived and prints nothing
//! that depends on the key).

use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::fast::{FoldHasher, SeedableRandomState};
use foldhash::SharedSeed;

/// A hash map with the run's keyed hasher.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, Seeded>;
/// A hash set with the run's keyed hasher.
pub(crate) type HashSet<T> = std::collections::HashSet<T, Seeded>;

/// foldhash keyed once per process from the operating system's randomness (through std's
/// `RandomState`): foldhash's own default seed comes from addresses and the clock.
#[derive(Clone)]
pub(crate) struct Seeded(SeedableRandomState);

impl Default for Seeded {
    fn default() -> Self {
        static KEYS: OnceLock<(u64, &'static SharedSeed)> = OnceLock::new();
        let (per_hasher, shared) = *KEYS.get_or_init(draw_keys);
        Seeded(SeedableRandomState::with_seed(per_hasher, shared))
    }
}

impl BuildHasher for Seeded {
    type Hasher = FoldHasher<'static>;
    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}

/// foldhash's two keys, drawn from std's `RandomState` (whose keys come from the operating
/// system, stepped at each draw). Called once per process (the shared seed is kept for its
/// life).
fn draw_keys() -> (u64, &'static SharedSeed) {
    let os = std::hash::RandomState::new();
    let shared = Box::leak(Box::new(SharedSeed::from_u64(os.hash_one(1u8))));
    (os.hash_one(0u8), shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys are drawn, not fixed: two draws (as two processes make them) hash the same
    /// names differently. A fixed key (FxHash, foldhash's `FixedState`, constants here)
    /// gives every run the same hashes, so a file could pick names that collide.
    #[test]
    fn keys_are_drawn_per_process() {
        let [one, two] = [draw_keys(), draw_keys()]
            .map(|(per_hasher, shared)| SeedableRandomState::with_seed(per_hasher, shared));
        let differ = (0..64u32)
            .filter(|i| {
                let name = format!("numpy-{i}");
                one.hash_one(&name) != two.hash_one(&name)
            })
            .count();
        assert!(
            differ > 60,
            "only {differ} of 64 names hash differently under two keys"
        );
        // Within a process every map hashes alike.
        assert_eq!(
            Seeded::default().hash_one("numpy"),
            Seeded::default().hash_one("numpy")
        );
    }
}
