//! The owners a zone file has given so far, as written, to report a key given twice: their texts
//! end to end in one buffer, found by a keyed hash. No allocation per owner (a million records).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Where one owner's text is in `OwnersSeen::texts`.
#[derive(Clone, Copy)]
struct Place {
    start: usize,
    end: usize,
}

/// A set of owner texts. Each 64-bit hash (ahash, keyed per set, so a file cannot choose
/// collisions in advance) names the first text seen with it; a different text with the same
/// hash, which practically never happens, is kept apart in an ordinary set.
#[derive(Default)]
pub struct OwnersSeen {
    hasher: ahash::RandomState,
    texts: String,
    first_by_hash: HashMap<u64, Place, BuildHasherDefault<HashIsKey>>,
    collided: HashSet<Box<str>, ahash::RandomState>,
}

impl OwnersSeen {
    /// Adds `text`; false if it was there already.
    pub fn insert(&mut self, text: &str) -> bool {
        let hash = self.hasher.hash_one(text);
        match self.first_by_hash.entry(hash) {
            Entry::Vacant(slot) => {
                let start = self.texts.len();
                self.texts.push_str(text);
                slot.insert(Place {
                    start,
                    end: self.texts.len(),
                });
                true
            }
            Entry::Occupied(first) => {
                let first = *first.get();
                if self.texts.get(first.start..first.end) == Some(text) {
                    return false;
                }
                self.collided.insert(text.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_new_once() {
        let mut seen = OwnersSeen::default();
        for text in ["www", "", "WWW", "ww", "w", "www."] {
            assert!(seen.insert(text), "{text:?}");
        }
        for text in ["www", "", "WWW", "ww", "w", "www."] {
            assert!(!seen.insert(text), "{text:?}");
        }
    }

    #[test]
    fn texts_with_the_same_hash_are_still_told_apart() {
        let mut seen = OwnersSeen::default();
        // Force a collision: a text whose hash slot names another text.
        assert!(seen.insert("a"));
        let hash = seen.hasher.hash_one("b");
        let place = *seen
            .first_by_hash
            .get(&seen.hasher.hash_one("a"))
            .expect("a");
        seen.first_by_hash.insert(hash, place);
        assert!(seen.insert("b"));
        assert!(!seen.insert("b"));
        assert!(!seen.insert("a"));
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct HashIsKey(u64);

impl Hasher for HashIsKey {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}
