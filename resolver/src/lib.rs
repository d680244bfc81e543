//! A caching recursive resolver as a library: iterate from root hints or forward, cache RRsets.
//!
//! ```text
//! client Message ─▶ Resolver::resolve (checks, budget)
//!                      └▶ lookup: cache ─hit─▶ answer          (lookup.rs, cache.rs)
//!                           └miss▶ walk: FindDelegation ▶ PrimeRoot ▶ QueryTargets ▶ QueryResponse
//!                                        (iterator.rs, find_delegation.rs)   │ upstream.rs ▶ Transport
//!                                  scrub ▶ classify ▶ store ▶ Finished   (scrub.rs, classify.rs, store.rs)
//!                      └▶ response assembly                     (response.rs)
//! ```
//!
//! A walk's final reply is stored once the client has its answer (`deferred_stores.rs`,
//! `Resolver::store_deferred`); every cache read stores what waits first.
//!
//! A lab (authorities on loopback): put the lab root's address in `ResolverConfig::root_hints`
//! (loopback hints or forwarders lift the do-not-query-localhost rule on their own) and, when
//! the lab servers are not on port 53, set `upstream_port`.

pub mod budget;
pub mod cache;
pub mod classify;
pub mod clock;
pub mod config;
mod deferred_stores;
pub mod delegation;
pub mod dig;
pub mod failure_cache;
mod find_delegation;
pub mod infra;
mod iterator;
pub mod limits;
mod lookup;
pub mod replay;
pub mod resolver;
pub mod response;
pub mod root_hints;
pub mod scrub;
pub mod server;
mod spare_socket;
mod store;
pub mod transport;
pub mod udp_tcp_transport;
pub mod upstream;
mod upstream_query;
mod wire_lookup;
mod wire_name;

pub use resolver::Resolver;

#[cfg(test)]
mod broken_server_tests;
#[cfg(test)]
mod scripted_network;
#[cfg(test)]
mod scripted_tests;
#[cfg(test)]
mod spoofing_tests;
