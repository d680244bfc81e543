//! The authoritative server as a library: YAML zones loaded and checked once, answered by a pure lookup.
//! Flow: listen (sockets) → request (parse) → lookup (zone + question → answer) → response (wire).

pub mod answer_memo;
pub mod catalog;
pub mod check;
pub mod handler;
pub mod lab;
pub mod limits;
pub mod listen;
pub mod lookup;
pub mod master_file;
pub mod names;
pub mod reload;
pub mod request;
pub mod response;
pub mod rrl;
pub mod run;
pub mod runtime;
pub mod yaml_rdata;
pub mod yaml_rdata_objects;
pub mod yaml_tree;
pub mod yaml_zone;
pub mod zone;
pub mod zone_build;
pub mod zone_error;
