//! A caching recursive resolver as a library: iterate from root hints or forward, cache RRsets.
//! Flow: client message → cache lookup → iterator states (transport) → scrubber → cache → answer.

pub mod budget;
pub mod cache;
pub mod classify;
pub mod clock;
pub mod config;
pub mod delegation;
pub mod dig;
pub mod infra;
mod iterator;
pub mod limits;
pub mod resolver;
pub mod response;
pub mod root_hints;
pub mod scrub;
pub mod transport;
pub mod udp_tcp_transport;
pub mod upstream;

pub use resolver::Resolver;
#[cfg(test)]
mod scripted_tests;
