//! Validation outcomes (RFC 4033 §5: secure, insecure, bogus, indeterminate) and why data is bogus.
//! Each reason maps to its RFC 8914 Extended DNS Error code; nothing here does any checking.

use std::sync::atomic::{AtomicU64, Ordering};

use hickory_proto::rr::Name;

/// The security status of an RRset or of a whole answer (RFC 4033 §5, RFC 4035 §4.3).
/// Ordered worst-last so that an answer's status is the maximum over its RRsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Security {
    /// Proved by a chain of signatures from a trust anchor.
    Secure = 1,
    /// Proved to be outside any chain of trust (no DS, negative anchor, unsupported algorithm),
    /// or not validated at all (validation off, no anchor above the name).
    Insecure = 2,
    /// A chain could not be built for lack of data (RFC 4035 §4.3); served like bogus.
    Indeterminate = 3,
    /// A chain should prove the data and does not.
    Bogus = 4,
}

impl Security {
    /// The status as one byte, for the cache entry header.
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// The status stored by `to_byte`; an unknown byte (an entry stored before validation
    /// existed) reads as insecure: never AD, never withheld.
    pub fn from_byte(byte: u8) -> Security {
        match byte {
            1 => Security::Secure,
            3 => Security::Indeterminate,
            4 => Security::Bogus,
            _ => Security::Insecure,
        }
    }

    /// Data a client without CD must not get (RFC 4035 §5.5).
    pub fn is_withheld(self) -> bool {
        matches!(self, Security::Bogus | Security::Indeterminate)
    }
}

/// Why a chain failed, or why it ends insecure; each names its RFC 8914 code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Every signature of the RRset has expired (RFC 4035 §5.3.1).
    SignatureExpired,
    /// Every signature of the RRset is not yet valid (RFC 4035 §5.3.1).
    SignatureNotYetValid,
    /// The zone has a DS but no DNSKEY RRset (or none matching the DS) was found.
    DnskeyMissing,
    /// An RRset that must be signed came without RRSIG.
    RrsigsMissing,
    /// Signatures present but none verifies with the zone's keys.
    SignatureInvalid,
    /// No DS of the parent matches a DNSKEY that signs the DNSKEY RRset.
    DsMismatch,
    /// A negative answer or wildcard expansion without the NSEC/NSEC3 records that prove it.
    DenialMissing,
    /// A validation bound was reached (`limits.rs`, KeyTrap): work stopped, data not trusted.
    WorkLimit,
    /// The parent's DS could not be fetched (no answer, SERVFAIL); a DNSKEY that could not is
    /// `DnskeyMissing`.
    ChainUnreachable,
    /// Insecure: every DS or DNSKEY algorithm of the zone is one this resolver does not validate.
    UnsupportedAlgorithm,
    /// Insecure: every DS digest type of the zone is one this resolver does not compute.
    UnsupportedDigest,
    /// Insecure: NSEC3 iterations above the RFC 9276 bound.
    Nsec3IterationsTooHigh,
    /// NSEC/NSEC3 records came but do not prove the denial or the wildcard expansion (EDE 6, as
    /// Unbound; `DenialMissing`, EDE 12, is for a negative answer without any).
    ProofFailed,
    /// A DNAME synthesized from a wildcard (RFC 6672 §3.3 leaves it undefined; Unbound: bogus).
    WildcardDname,
    /// RFC 8509: a root key sentinel name asks about a key this resolver does (not-ta) or does
    /// not (is-ta) trust; never stored, applied to the answer only.
    RootKeySentinel,
    /// Unbound `harden-algo-downgrade`: an algorithm the DS set (or anchor) lists signs no
    /// DNSKEY RRset; a stripped algorithm could be the one an attacker cannot forge.
    AlgorithmMissing,
}

/// Every reason, in the order of its stored byte (`Reason::to_byte`).
const REASONS: [Reason; 16] = [
    Reason::SignatureExpired,
    Reason::SignatureNotYetValid,
    Reason::DnskeyMissing,
    Reason::RrsigsMissing,
    Reason::SignatureInvalid,
    Reason::DsMismatch,
    Reason::DenialMissing,
    Reason::WorkLimit,
    Reason::ChainUnreachable,
    Reason::UnsupportedAlgorithm,
    Reason::UnsupportedDigest,
    Reason::Nsec3IterationsTooHigh,
    Reason::ProofFailed,
    Reason::WildcardDname,
    Reason::RootKeySentinel,
    Reason::AlgorithmMissing,
];

impl Reason {
    /// The reason as one byte for the cache entry header (never 0, which means none).
    pub fn to_byte(self) -> u8 {
        let index = REASONS
            .iter()
            .position(|reason| *reason == self)
            .unwrap_or(0);
        u8::try_from(index + 1).unwrap_or(u8::MAX)
    }

    /// The reason stored by `to_byte`; 0 or an unknown byte is none.
    pub fn from_byte(byte: u8) -> Option<Reason> {
        REASONS.get(usize::from(byte).checked_sub(1)?).copied()
    }

    /// RFC 8914 §4 INFO-CODE.
    pub fn extended_error_code(self) -> u16 {
        match self {
            Reason::UnsupportedAlgorithm => 1,
            Reason::UnsupportedDigest => 2,
            Reason::SignatureExpired => 7,
            Reason::SignatureNotYetValid => 8,
            Reason::DnskeyMissing => 9,
            Reason::RrsigsMissing => 10,
            Reason::DenialMissing => 12,
            Reason::Nsec3IterationsTooHigh => 27,
            Reason::SignatureInvalid
            | Reason::DsMismatch
            | Reason::WorkLimit
            | Reason::ProofFailed
            | Reason::WildcardDname
            | Reason::RootKeySentinel
            | Reason::AlgorithmMissing => 6,
            // RFC 8914 §4.24 Network Error: the parent's servers gave no DS reply at all
            // (Unbound alike; val_failure_dnskey).
            Reason::ChainUnreachable => 23,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Reason::SignatureExpired => "signature expired",
            Reason::SignatureNotYetValid => "signature not yet valid",
            Reason::DnskeyMissing => "no DNSKEY matches the DS or the RRSIG",
            Reason::RrsigsMissing => "RRSIG missing",
            Reason::SignatureInvalid => "no signature verifies",
            Reason::DsMismatch => "DS does not match a signing DNSKEY",
            Reason::DenialMissing => "no NSEC/NSEC3 proof",
            Reason::WorkLimit => "validation work limit reached",
            Reason::ChainUnreachable => "DS unreachable",
            Reason::UnsupportedAlgorithm => "unsupported DNSKEY algorithm",
            Reason::UnsupportedDigest => "unsupported DS digest type",
            Reason::Nsec3IterationsTooHigh => "NSEC3 iterations above the limit",
            Reason::ProofFailed => "NSEC/NSEC3 records do not prove it",
            Reason::WildcardDname => "DNAME expanded from a wildcard",
            Reason::RootKeySentinel => "root key sentinel",
            Reason::AlgorithmMissing => "a DS algorithm signs no DNSKEY RRset",
        }
    }
}

/// A verdict with its reason and the name where the chain ended (EDE EXTRA-TEXT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub security: Security,
    pub reason: Option<(Reason, Name)>,
}

impl Verdict {
    pub fn secure() -> Verdict {
        Verdict {
            security: Security::Secure,
            reason: None,
        }
    }

    pub fn insecure() -> Verdict {
        Verdict {
            security: Security::Insecure,
            reason: None,
        }
    }

    pub fn insecure_because(reason: Reason, name: &Name) -> Verdict {
        Verdict {
            security: Security::Insecure,
            reason: Some((reason, name.clone())),
        }
    }

    pub fn bogus(reason: Reason, name: &Name) -> Verdict {
        Verdict {
            security: Security::Bogus,
            reason: Some((reason, name.clone())),
        }
    }

    /// The worse of two verdicts (an answer is as good as its worst RRset).
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.security > self.security {
            other
        } else {
            self
        }
    }

    /// EDE text: "<reason> at <name>".
    pub fn extra_text(&self) -> Option<String> {
        self.reason
            .as_ref()
            .map(|(reason, name)| format!("{} at {name}", reason.describe()))
    }
}

/// Answers given to clients by their DNSSEC status (Unbound's `num.answer.secure`,
/// `num.answer.bogus`): relaxed counters, one add per answer.
#[derive(Debug, Default)]
pub struct ValidationCounts {
    secure: AtomicU64,
    insecure: AtomicU64,
    bogus: AtomicU64,
    signature_checks: AtomicU64,
    synthesized: AtomicU64,
}

/// A reading of `ValidationCounts`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidationCounters {
    pub secure: u64,
    pub insecure: u64,
    /// Bogus and indeterminate answers (SERVFAIL, or the data for a CD client).
    pub bogus: u64,
    /// Signature verifications done (the KeyTrap work, CVE-2023-50387), every query's summed.
    pub signature_checks: u64,
    /// Answers synthesized from cached NSEC/NSEC3 records, no query sent (RFC 8198; Unbound's
    /// `num.query.aggressive.*`).
    pub synthesized: u64,
}

impl ValidationCounts {
    pub fn count(&self, security: Security) {
        let counter = match security {
            Security::Secure => &self.secure,
            Security::Insecure => &self.insecure,
            Security::Indeterminate | Security::Bogus => &self.bogus,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds the signature verifications one client query (or refresh) spent.
    pub fn add_signature_checks(&self, checks: u32) {
        self.signature_checks
            .fetch_add(u64::from(checks), Ordering::Relaxed);
    }

    /// Counts one answer synthesized from cached NSEC/NSEC3 records (RFC 8198).
    pub fn count_synthesized(&self) {
        self.synthesized.fetch_add(1, Ordering::Relaxed);
    }

    pub fn read(&self) -> ValidationCounters {
        ValidationCounters {
            secure: self.secure.load(Ordering::Relaxed),
            insecure: self.insecure.load(Ordering::Relaxed),
            bogus: self.bogus.load(Ordering::Relaxed),
            signature_checks: self.signature_checks.load(Ordering::Relaxed),
            synthesized: self.synthesized.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_status_wins() {
        let name = Name::root();
        let verdict = Verdict::secure()
            .worst(Verdict::insecure())
            .worst(Verdict::bogus(Reason::SignatureExpired, &name))
            .worst(Verdict::secure());
        assert_eq!(verdict.security, Security::Bogus);
        assert_eq!(
            verdict
                .reason
                .map(|(reason, _)| reason.extended_error_code()),
            Some(7)
        );
    }

    /// What Unbound reports for the same failures (nsid_bogus, val_failure_dnskey): a DS that
    /// never came is a network error, a key the zone lacks is DNSKEY Missing.
    #[test]
    fn unreachable_ds_is_network_error_and_unknown_keys_dnskey_missing() {
        assert_eq!(Reason::ChainUnreachable.extended_error_code(), 23);
        assert_eq!(Reason::DnskeyMissing.extended_error_code(), 9);
    }

    #[test]
    fn status_survives_the_cache_byte() {
        for security in [
            Security::Secure,
            Security::Insecure,
            Security::Indeterminate,
            Security::Bogus,
        ] {
            assert_eq!(Security::from_byte(security.to_byte()), security);
        }
        assert_eq!(Security::from_byte(0), Security::Insecure);
        for reason in REASONS {
            assert_eq!(Reason::from_byte(reason.to_byte()), Some(reason));
        }
        assert_eq!(Reason::from_byte(0), None);
        assert_eq!(Reason::from_byte(200), None);
    }
}
