//! DNSSEC validation (RFC 4033-4035, 5155, 6840): pure checks over records and a clock reading,
//! and the validator step that runs after a walk (Unbound's validator module after the iterator).
//!
//! ```text
//! walk result (scrubbed reply, RRSIGs and NSEC/NSEC3 kept)
//!   ─▶ chain of trust: anchors.rs (root KSKs, configured DS/DNSKEY, negative anchors)
//!        └ per zone cut below the anchor: DS (parent) ─▶ keys.rs (DS ↔ DNSKEY, self-signature)
//!          key_reply_sections.rs: the DNSKEY reply's NS set and addresses, kept once verified
//!   ─▶ each RRset: signature.rs (labels, wildcard, time window, key tag, hickory TBS + verify)
//!   ─▶ negative answers and wildcards: nsec.rs / nsec3.rs (denial.rs: what a proof shows)
//!   ─▶ security.rs: Secure | Insecure | Indeterminate | Bogus, with the RFC 8914 reason
//!   ─▶ sentinel.rs: RFC 8509 root key sentinel names judged on the secure answer
//!   ─▶ aggressive.rs: secure denials kept; NXDOMAIN/NODATA synthesized from them (RFC 8198)
//!   cached_delegation.rs: a cached referral (RD=0 query) validated when it is handed out
//! ```
//!
//! Nothing here writes wire format or does cryptography by hand: hickory-proto builds the data
//! to be signed, computes digests and NSEC3 hashes, and verifies with ring; RSA keys shorter than
//! ring accepts go to RustCrypto's `rsa` (`short_rsa.rs`).

pub(crate) mod aggressive;
pub mod anchors;
pub(crate) mod cached_delegation;
pub mod denial;
pub(crate) mod key_reply_sections;
pub mod keys;
pub mod nsec;
pub mod nsec3;
pub mod security;
pub mod sentinel;
pub mod short_rsa;
pub mod signature;
#[cfg(test)]
pub(crate) mod test_signing;
pub(crate) mod validator;
pub(crate) mod verified;

pub use anchors::{AnchorError, Anchors};
pub use security::{Reason, Security, ValidationCounters, ValidationCounts, Verdict};
pub use signature::{CheckAllowance, TestSwitches};
