//! The authoritative server as a library: YAML zones loaded and checked once, answered by a pure lookup.
//! Flow: listen (sockets) → request (parse) → lookup (zone + question → answer) → response (wire).

pub mod limits;
pub mod listen;
