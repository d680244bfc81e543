//! The validation state stored with each cache entry (RFC 4035 §4.3): unchecked, or the
//! validator's verdict and, for bogus data, why. Two header bytes; nothing here validates.

use hickory_proto::rr::{Name, RecordType};

use crate::dnssec::{Reason, Security, Verdict};

/// What the validator said about an entry when it was stored. `security: None` is data the
/// validator has not looked at (glue, referrals, priming, data stored before validation):
/// with validation on it is never an answer (Unbound's `sec_status_unchecked`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validation {
    pub security: Option<Security>,
    pub reason: Option<Reason>,
}

impl Validation {
    pub const UNCHECKED: Validation = Validation {
        security: None,
        reason: None,
    };

    pub const INSECURE: Validation = Validation {
        security: Some(Security::Insecure),
        reason: None,
    };

    pub const SECURE: Validation = Validation {
        security: Some(Security::Secure),
        reason: None,
    };

    /// The state to store for a verdict (its name is the entry's owner, not kept).
    pub fn of(verdict: &Verdict) -> Validation {
        Validation {
            security: Some(verdict.security),
            reason: verdict.reason.as_ref().map(|(reason, _)| *reason),
        }
    }

    pub fn is_bogus(self) -> bool {
        self.security.is_some_and(Security::is_withheld)
    }

    pub fn is_secure(self) -> bool {
        self.security == Some(Security::Secure)
    }

    /// The verdict a cached answer carries, `owner` naming where it failed; unchecked data
    /// reads as insecure (only asked when validation is off, or for data no anchor covers).
    pub fn verdict(self, owner: &Name) -> Verdict {
        Verdict {
            security: self.security.unwrap_or(Security::Insecure),
            reason: self.reason.map(|reason| (reason, owner.clone())),
        }
    }

    pub(crate) fn to_bytes(self) -> [u8; 2] {
        [
            self.security.map_or(0, Security::to_byte),
            self.reason.map_or(0, Reason::to_byte),
        ]
    }

    pub(crate) fn from_bytes(security: u8, reason: u8) -> Validation {
        Validation {
            security: (security != 0).then(|| Security::from_byte(security)),
            reason: Reason::from_byte(reason),
        }
    }
}

/// The validator's word on each RRset of a final reply, for storing it: per RRset checked, its
/// state and the TTL bound of its signatures; `answer` for the other answer-section RRsets
/// (a DNAME's unsigned CNAME takes the answer's state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyStates {
    pub rrsets: Vec<RrsetState>,
    pub answer: Validation,
}

/// One checked RRset: owner, type, state, and the TTL its signatures allow (RFC 4035 §5.3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RrsetState {
    pub owner: Name,
    pub record_type: RecordType,
    pub validation: Validation,
    pub ttl_cap: Option<u32>,
}

impl ReplyStates {
    /// Every RRset of the answer section in one state (validation off, or no anchor).
    pub fn all(answer: Validation) -> ReplyStates {
        ReplyStates {
            rrsets: Vec::new(),
            answer,
        }
    }

    /// The state and TTL bound of (owner, type); `None` when it was not checked on its own.
    pub fn of(&self, owner: &Name, record_type: RecordType) -> Option<(Validation, Option<u32>)> {
        self.rrsets
            .iter()
            .find(|state| state.record_type == record_type && state.owner == *owner)
            .map(|state| (state.validation, state.ttl_cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_its_two_bytes() {
        let bogus = Validation {
            security: Some(Security::Bogus),
            reason: Some(Reason::SignatureExpired),
        };
        for state in [
            Validation::UNCHECKED,
            Validation::INSECURE,
            Validation::SECURE,
            bogus,
        ] {
            let [security, reason] = state.to_bytes();
            assert_eq!(Validation::from_bytes(security, reason), state);
        }
        assert!(bogus.is_bogus());
        assert!(!Validation::UNCHECKED.is_bogus());
    }
}
