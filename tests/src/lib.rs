//! The end-to-end test harness: start real servers (ours, NSD, Unbound, Knot) on private loopback
//! addresses, query them with a small client or `dig`, and kill them by PID when the test ends.
//!
//! Flow of a test: `loopback_for(name)` → write zones → `start_nsd(...)` / `Process::spawn(...)`
//! → `query_udp` / `dig` → compare → the guards drop and kill their processes.
//! Nothing here sleeps to synchronise: every wait polls for a ready line or an answer, bounded.

pub mod addresses;
pub mod binaries;
pub mod client;
pub mod dig;
pub mod dnsdist;
pub mod hostile;
pub mod lab;
pub mod our_servers;
pub mod peers;
pub mod process;
pub mod scripted_server;
pub mod temp_dir;
pub mod tools;

pub use addresses::{loopback_for, loopback_v4_for, PEER_PORT};
pub use binaries::workspace_binary;
pub use client::{query_tcp, query_udp, query_udp_from, QueryError, QUERY_TIMEOUT};
pub use dig::{dig, DigAnswer, DigRecord};
pub use dnsdist::{Backend, Dnsdist, DnsdistError};
pub use lab::{lab_directory, shared_lab, Lab, Resolver, TestLabZones};
pub use our_servers::{
    listener_ready_addresses, parse_ready_addresses, start_workspace_server, LISTENER_READY_PATTERN,
};
pub use peers::{
    start_bind_secondary, start_knot, start_knot_primary, start_knot_secondary, start_knot_with,
    start_nsd, start_nsd_primary, start_nsd_secondary, start_unbound, Peer, PeerError, PrimaryZone,
    SecondaryZone, UnboundConfig, Zone,
};
pub use process::{Process, ProcessError};
pub use scripted_server::{Script, ScriptedServer, ScriptedServerError, Seen};
pub use temp_dir::TempDir;
pub use tools::{record_skip, require_tool};
