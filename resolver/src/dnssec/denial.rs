//! What a negative proof must show, shared by NSEC (`nsec.rs`) and NSEC3 (`nsec3.rs`):
//! the question denied and the outcome of checking the proof records.

/// The outcome of checking NSEC or NSEC3 records against a denial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// The records prove the denial.
    Proved,
    /// RFC 5155 §8.6 and §9.2 (opt-out): the name may be an unsigned delegation; insecure.
    OptOut,
    /// RFC 9276 §3.2: NSEC3 iterations above `MAX_NSEC3_ITERATIONS`; insecure.
    TooManyIterations,
    /// The records do not prove the denial.
    NotProved,
}

/// What a DS query's negative answer says about the name (RFC 4035 §5.2, RFC 5155 §8.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsDenial {
    /// A delegation without DS: the child zone is insecure.
    InsecureDelegation,
    /// No zone cut at the name (no NS, or the name does not exist): the parent's keys go on.
    NoZoneCut,
    /// Opt-out span: insecure.
    OptOut,
    TooManyIterations,
    NotProved,
}
