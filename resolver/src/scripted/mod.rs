//! Whole resolutions against a scripted network in simulated time: unit tests of the resolver
//! library that need no sockets and never sleep. Test builds only.
//!
//! ```text
//! network.rs (table (server, qname, qtype) ─▶ reply, manual clock) ─▶ Resolver
//!   resolutions.rs: ordinary walks   broken_servers.rs: slow and broken servers   spoofing.rs: poisoning
//!   ghost_domains.rs: removed zones kept alive by their children or cached delegations
//!   prefetch_moves.rs: a prefetch past a delegation about to lapse, to a zone's new servers
//!   response_sections.rs: what positive answers carry beside the answer
//!   configured_zones.rs: stub zones and forward zones (first, TCP, by host name)
//!   minimisation_fallbacks.rs: RFC 9156 §2.3, minimised questions that fail
//!   signed_network.rs (root and example. signed) ─▶ validation_bounds.rs: hostile signed zones,
//!     chain_bounds.rs: DS sets and signer depths past the chain-of-trust bounds
//!     dnssec_answers.rs: what DO clients get, validating or not
//!     signed_cname_answers.rs: CNAME questions to missing targets, wildcard answers' sections
//!     aggressive_nsec.rs: denials synthesized from cached NSEC records (RFC 8198)
//! ```

mod aggressive_nsec;
mod broken_servers;
mod cache_referrals;
mod chain_bounds;
mod chain_of_trust;
mod configured_zones;
mod dnssec_answers;
mod ds_parent_side;
mod ghost_domains;
mod key_sentinel;
mod minimisation_fallbacks;
pub(crate) mod network;
mod prefetch_moves;
mod resolutions;
mod response_sections;
mod serve_expired;
mod signed_cname_answers;
mod signed_network;
mod signed_response_sections;
mod spoofing;
mod unusable_addresses;
mod validation_bounds;
