//! Talking to upstream servers: one query to one server at a time, and what is learned about them.
//! It holds no DNS data: replies go back to `iterate/` unscrubbed, and only `scrub/` may cache them.
//!
//! ```text
//! iterate::states ─▶ exchange.rs (ID, EDNS, TC ▶ TCP, FORMERR ▶ no EDNS) ─▶ query_bytes.rs (wire query)
//!                        │                                                  └▶ transport.rs (trait)
//!                        │                    udp_tcp_transport.rs (tokio sockets, spare_socket.rs) ◀┘
//!                        └▶ infra.rs (per server and zone: RTT, resting, TCP), failure_cache.rs
//! ```
//! `nat64.rs` (the address an IPv4 server is reached at) and `client_string.rs` (the EDNS option
//! some servers get) are settings `iterate::states::ask` applies per query.

pub mod client_string;
pub mod exchange;
pub mod failure_cache;
pub mod infra;
pub mod nat64;
pub(crate) mod query_bytes;
mod spare_socket;
pub mod transport;
pub mod udp_tcp_transport;
