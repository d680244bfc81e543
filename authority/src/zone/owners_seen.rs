//! The owners a zone file has given so far, to report a key given twice: as hashes checked once
//! the file is read (a million owners, no lookup each), or as texts in one buffer when it must say which.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Where one owner's text is in the exact set's buffer.
#[derive(Clone, Copy)]
struct Place {
    start: usize,
    end: usize,
}

/// A set of owner texts, in one of two modes. Hashes are ahash, keyed per set, so a file cannot
/// choose collisions in advance (a collision costs a second reading, never a wrong answer).
pub struct OwnersSeen {
    hasher: ahash::RandomState,
    mode: Mode,
}

enum Mode {
    /// Every owner's hash, in file order: `insert` says nothing, `may_have_repeated` decides
    /// after the whole file (sorting 8 bytes an owner instead of a hash-table probe each, which
    /// missed the cache on every owner of a big zone).
    Hashes(Vec<u64>),
    /// Each 64-bit hash names the first text seen with it, the texts end to end in one buffer;
    /// a different text with the same hash, which practically never happens, is kept apart.
    Exact {
        texts: String,
        first_by_hash: HashMap<u64, Place, BuildHasherDefault<HashIsKey>>,
        collided: HashSet<Box<str>, ahash::RandomState>,
    },
}

impl OwnersSeen {
    /// A set that only records hashes: `insert` is always true, and `may_have_repeated` says
    /// afterwards whether the file must be read again with an `exact` set.
    pub fn deferred() -> Self {
        OwnersSeen {
            hasher: ahash::RandomState::new(),
            mode: Mode::Hashes(Vec::new()),
        }
    }

    /// A set whose `insert` says whether the text was there already.
    pub fn exact() -> Self {
        OwnersSeen {
            hasher: ahash::RandomState::new(),
            mode: Mode::Exact {
                texts: String::new(),
                first_by_hash: HashMap::default(),
                collided: HashSet::default(),
            },
        }
    }

    /// Adds `text`; false if it was there already (never, for a deferred set).
    pub fn insert(&mut self, text: &str) -> bool {
        let hash = self.hasher.hash_one(text);
        match &mut self.mode {
            Mode::Hashes(hashes) => {
                hashes.push(hash);
                true
            }
            Mode::Exact {
                texts,
                first_by_hash,
                collided,
            } => match first_by_hash.entry(hash) {
                Entry::Vacant(slot) => {
                    let start = texts.len();
                    texts.push_str(text);
                    slot.insert(Place {
                        start,
                        end: texts.len(),
                    });
                    true
                }
                Entry::Occupied(first) => {
                    let first = *first.get();
                    if texts.get(first.start..first.end) == Some(text) {
                        return false;
                    }
                    collided.insert(text.into())
                }
            },
        }
    }

    /// For a deferred set, whether two owners inserted may have been the same text (two equal
    /// hashes): then an `exact` set must read the file again to say which. False for an exact
    /// set, which said so as it went.
    pub fn may_have_repeated(&mut self) -> bool {
        match &mut self.mode {
            Mode::Hashes(hashes) => {
                hashes.sort_unstable();
                hashes.windows(2).any(|pair| pair.first() == pair.get(1))
            }
            Mode::Exact { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: [&str; 6] = ["www", "", "WWW", "ww", "w", "www."];

    #[test]
    fn an_exact_set_holds_a_text_once() {
        let mut seen = OwnersSeen::exact();
        for text in TEXTS {
            assert!(seen.insert(text), "{text:?}");
        }
        for text in TEXTS {
            assert!(!seen.insert(text), "{text:?}");
        }
        assert!(!seen.may_have_repeated());
    }

    #[test]
    fn a_deferred_set_finds_a_repeat_once_the_file_is_read() {
        let mut seen = OwnersSeen::deferred();
        for text in TEXTS {
            assert!(seen.insert(text));
        }
        assert!(!seen.may_have_repeated());
        assert!(seen.insert("ww"));
        assert!(seen.may_have_repeated());
    }

    #[test]
    fn texts_with_the_same_hash_are_still_told_apart() {
        let mut seen = OwnersSeen::exact();
        assert!(seen.insert("a"));
        // Force a collision: make the slot of "b"'s hash name the text "a".
        let hash_of_b = seen.hasher.hash_one("b");
        let hash_of_a = seen.hasher.hash_one("a");
        if let Mode::Exact { first_by_hash, .. } = &mut seen.mode {
            let place = *first_by_hash.get(&hash_of_a).expect("a");
            first_by_hash.insert(hash_of_b, place);
        }
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
