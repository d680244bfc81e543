//! Talking to upstream servers: one query to one server at a time, and what is learned about them.
//! It holds no DNS data: replies go back to `iterate/` unscrubbed, and only `scrub/` may cache them.
//!
//! ```text
//! iterate::states ─▶ exchange.rs (ID, EDNS, TC ▶ TCP, FORMERR ▶ no EDNS) ─▶ query_bytes.rs (wire query)
//!                        │                                                  └▶ transport.rs (trait)
//!                        │                    udp_tcp_transport.rs (tokio sockets, spare_socket.rs) ◀┘
//!                        └▶ infra.rs (per server and zone: RTT, resting, TCP), failure_cache.rs
//! ```

pub mod exchange;
pub mod failure_cache;
pub mod infra;
pub(crate) mod query_bytes;
mod spare_socket;
pub mod transport;
pub mod udp_tcp_transport;
