//! The authoritative server as a library: YAML zones loaded and checked once, answered by a pure lookup.
//! Flow: zone/ (file → prepared Zone) → catalog/ (the zones served, reloadable) → answer/ (bytes →
//! request → lookup → response → bytes) → rrl (UDP) → listen/ (sockets). lab/ serves a directory as a
//! miniature Internet; run.rs and runtime.rs start the server process.

pub mod answer;
pub mod catalog;
pub mod config;
pub mod dnssec;
pub mod lab;
pub mod limits;
pub mod listen;
pub mod rrl;
pub mod run;
pub mod runtime;
pub mod xfr;
pub mod zone;
