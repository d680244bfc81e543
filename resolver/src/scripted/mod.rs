//! Whole resolutions against a scripted network in simulated time: unit tests of the resolver
//! library that need no sockets and never sleep. Test builds only.
//!
//! ```text
//! network.rs (table (server, qname, qtype) ─▶ reply, manual clock) ─▶ Resolver
//!   resolutions.rs: ordinary walks   broken_servers.rs: slow and broken servers   spoofing.rs: poisoning
//!   response_sections.rs: what positive answers carry beside the answer
//! ```

mod broken_servers;
pub(crate) mod network;
mod resolutions;
mod response_sections;
mod spoofing;
