//! Iterative resolution: the walk from a delegation down to the answer, as explicit states.
//! It decides whom to ask next; the asking is `upstream/`, the cleaning and caching is `scrub/`.
//!
//! ```text
//! lookup.rs (cache miss) ─▶ states.rs: FindDelegation ─▶ PrimeRoot ─▶ QueryTargets ─▶ QueryResponse ─▶ Finished
//!                             │ find_delegation.rs: hints (root_hints.rs), cache, referral ─▶ delegation.rs
//!                             │ budget.rs: the query's work budget, spent by every upstream exchange
//!                             └▶ upstream::exchange ─▶ scrub::scrubber ─▶ scrub::classify ─▶ next state
//!                               (a referral's sibling glue set aside first: unverified_glue.rs)
//! ```

pub mod budget;
pub mod delegation;
pub(crate) mod find_delegation;
pub mod root_hints;
pub(crate) mod states;
mod unverified_glue;
