//! From an upstream reply to the cache: clean it, say what it means, store what may be kept.
//! This folder is the only door to `cache/`: nothing reaches the cache without passing the scrubber.
//!
//! ```text
//! upstream reply ─▶ scrubber.rs (bailiwick, out-of-zone data, CNAME chains, reply matching)
//!                ─▶ classify.rs (answer, referral, CNAME, NODATA, NXDOMAIN, lame: a pure function)
//!                     └ referral_ds.rs: a DS question answered by the parent's referral carrying the DS
//!                ─▶ store_reply.rs (RRsets at their RFC 2181 rank, negative answers per RFC 2308) ─▶ cache/
//!                     └ deferred_stores.rs: a walk's final reply, stored once its client has the answer
//!                     └ store_sections.rs: that reply's authority and additional sections, kept
//!                       with the answer when minimal responses are off (Unbound's message cache)
//!                       └ spurious_ns.rs: less an unsigned NS set beside a signed answer
//! ```

pub mod classify;
pub(crate) mod deferred_stores;
pub mod referral_ds;
pub mod scrubber;
mod store_reply;
pub(crate) use store_reply::group_rrsets;
mod spurious_ns;
mod store_sections;
