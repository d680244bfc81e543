//! Signatures already verified: SHA-256 digests of (algorithm, public key, signature, signed
//! data), so identical signed data is checked by public-key cryptography once. It never decides
//! validity itself: only a verification that succeeded is remembered, and time is checked apart.
//!
//! Why: a wildcard's expansions all carry the same RRSIG over the same signed data (RFC 4035
//! §5.3.2 signs the wildcard owner, not the expanded name), and one NSEC proves many names, so a
//! walk per name re-checked the same two ECDSA signatures (90 % of a cold name's instructions).
//! Unbound reaches the same end by copying a cached identical RRset's security status
//! (`rrset_check_sec_status`). The digest covers everything the verification reads, with each
//! part's length, so a hit is exactly a repeated verification; entries go at the signature's
//! expiration or when the bound (`MAX_VERIFIED_SIGNATURES`) is reached.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::limits::MAX_VERIFIED_SIGNATURES;

/// What a verification read: its digest is the memo's key.
pub(crate) struct SignedInput<'a> {
    pub algorithm: u8,
    pub public_key: &'a [u8],
    pub signature: &'a [u8],
    /// RFC 4034 §3.1.8.1: the RRSIG RDATA without the signature, then the RRset in canonical form.
    pub signed_data: &'a [u8],
}

impl SignedInput<'_> {
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update([self.algorithm]);
        for part in [self.public_key, self.signature, self.signed_data] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        hasher.finalize().into()
    }
}

/// The memo: digest → the signature's expiration (seconds since the epoch, RFC 4034 §3.1.5).
#[derive(Debug, Default)]
pub(crate) struct VerifiedSignatures {
    entries: Mutex<HashMap<[u8; 32], u32, ahash::RandomState>>,
}

impl VerifiedSignatures {
    /// Whether this exact verification succeeded before, its signature not yet expired at `now`.
    pub(crate) fn contains(&self, digest: &[u8; 32], now: u32) -> bool {
        self.entries
            .lock()
            .is_ok_and(|entries| entries.get(digest).is_some_and(|expires| *expires >= now))
    }

    /// Remembers a verification that succeeded. At the bound, expired entries go first, and
    /// everything if none had expired (a flood of distinct signatures only costs re-checks).
    pub(crate) fn insert(&self, digest: [u8; 32], expires: u32, now: u32) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_VERIFIED_SIGNATURES {
            entries.retain(|_, kept| *kept >= now);
            if entries.len() >= MAX_VERIFIED_SIGNATURES {
                entries.clear();
            }
        }
        entries.insert(digest, expires);
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().map_or(0, |entries| entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(signed_data: &'a [u8], signature: &'a [u8]) -> SignedInput<'a> {
        SignedInput {
            algorithm: 13,
            public_key: b"key",
            signature,
            signed_data,
        }
    }

    #[test]
    fn only_the_same_key_signature_and_data_hit() {
        let memo = VerifiedSignatures::default();
        let digest = input(b"data", b"sig").digest();
        memo.insert(digest, 2_000, 1_000);
        assert!(memo.contains(&input(b"data", b"sig").digest(), 1_500));
        assert!(!memo.contains(&input(b"datA", b"sig").digest(), 1_500));
        assert!(!memo.contains(&input(b"data", b"siG").digest(), 1_500));
        // Parts are length-prefixed: moving a byte from one part to the next is another input.
        assert!(!memo.contains(&input(b"dat", b"asig").digest(), 1_500));
        let other_key = SignedInput {
            public_key: b"kez",
            ..input(b"data", b"sig")
        };
        assert!(!memo.contains(&other_key.digest(), 1_500));
    }

    #[test]
    fn an_expired_signature_is_not_remembered() {
        let memo = VerifiedSignatures::default();
        let digest = input(b"data", b"sig").digest();
        memo.insert(digest, 2_000, 1_000);
        assert!(memo.contains(&digest, 2_000));
        assert!(!memo.contains(&digest, 2_001));
    }

    #[test]
    fn the_memo_stays_within_its_bound() {
        let memo = VerifiedSignatures::default();
        for index in 0..(MAX_VERIFIED_SIGNATURES + 10) {
            let data = index.to_be_bytes();
            memo.insert(input(&data, b"sig").digest(), 2_000, 1_000);
        }
        assert!(memo.len() <= MAX_VERIFIED_SIGNATURES);
        assert!(memo.len() > 0);
    }
}
