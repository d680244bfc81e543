//! A caching recursive resolver as a library: iterate from root hints or forward, cache RRsets.
//!
//! ```text
//! client Message ─▶ Resolver::resolve (checks, budget)              (resolver.rs)
//!                      └▶ lookup: cache ─hit─▶ answer                (lookup.rs, cache/)
//!                           └miss▶ walk: FindDelegation ▶ PrimeRoot ▶ QueryTargets ▶ QueryResponse
//!                                        (iterate/: states, delegation finding, hints, budget)
//!                                  one exchange per server           (upstream/: transport, infra)
//!                                  scrub ▶ classify ▶ store ▶ Finished   (scrub/: the only door to cache/)
//!                      └▶ response assembly                          (response.rs)
//! server/ puts this on UDP and TCP sockets; dig/ is `rdig`; replay/ runs scenario files.
//! ```
//!
//! A walk's final reply is stored once the client has its answer (`scrub/deferred_stores.rs`,
//! `Resolver::store_deferred`); every cache read stores what waits first.
//!
//! A lab (authorities on loopback): put the lab root's address in `ResolverConfig::root_hints`
//! (loopback hints or forwarders lift the do-not-query-localhost rule on their own) and, when
//! the lab servers are not on port 53, set `upstream_port`.

pub mod auth_zone;
pub mod auth_zone_downstream;
mod bounded_file;
pub mod cache;
mod cache_referral;
pub mod clock;
pub mod config;
pub mod dig;
pub mod dnssec;
pub mod iterate;
mod kept_sections;
pub mod limits;
mod lookup;
mod opaque_rdata;
pub mod policy;
pub mod presentation;
pub mod refresh;
pub mod replay;
pub mod request_list;
pub mod resolver;
pub mod response;
mod response_sections;
pub mod scrub;
pub mod server;
pub mod upstream;
mod wire_name;

pub use resolver::Resolver;

#[cfg(test)]
mod scripted;
