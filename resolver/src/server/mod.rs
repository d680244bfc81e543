//! The `resolver` daemon as a library: client-facing policy and operations around a `Resolver`.
//! It never resolves by itself; sockets live in `authority::listen`, resolution in the crate root.
//!
//! Flow: listen (sockets) → handler (ACL, parse, local zones) → in_flight (dedup, bound)
//! → `Resolver::resolve` → message (EDNS, truncation) → listen. Control and SIGHUP go to `run`.
//! Cache hits of plain queries skip the messages: plain_query → cache → wire_answer → listen;
//! a walk's positive answer to one is written by walk_answer instead of the message encoder.

pub mod access;
pub mod access_settings;
mod cache_commands;
pub mod client_tags;
pub mod config_file;
pub mod control;
pub mod control_command;
pub mod cookies;
pub mod default_zones;
pub mod handler;
pub mod inflight;
pub mod leader_work;
pub mod limits;
pub mod local_alias;
pub mod local_answers;
pub mod local_zone_client;
pub mod local_zone_table;
pub mod local_zones;
pub mod message;
pub mod metrics;
pub mod plain_query;
pub mod resolve;
pub mod run;
pub use authority::runtime;
pub mod settings;
pub mod stats;
pub mod tcp_keepalive;
pub mod upstream_settings;
mod walk_answer;
pub mod wire_answer;

#[cfg(test)]
mod truncation_tests;
#[cfg(test)]
mod walk_answer_tests;
#[cfg(test)]
mod wire_answer_tests;
