//! One zone file to one prepared `Zone`, checked once at load: everything here runs before the
//! first query and nothing here runs per query (except `names`, the lowercased-name helper).
//!
//! ```text
//! file text → yaml_flow_lines.rs (one-line entries; the rest through yaml_events.rs, plain YAML;
//!              else yaml_tree.rs) → nodes with lines
//!           → yaml_zone.rs (source records: owner, type, TTL, line; written by yaml_record_wire.rs)
//!                                                  └ yaml_rdata.rs (+ yaml_rdata_objects.rs: DS, LOC, SVCB),
//!                                                    both reading fields through yaml_value.rs
//!           → build.rs (zone-wide checks) → prepared.rs (`Zone`: nodes, RRsets, cuts, additional data)
//! error.rs: one ZoneError per problem, collected all along.  master_file.rs: Zone → RFC 1035 text.
//! names.rs: a lowercased name cut into its ancestors (catalog and lookup use it).
//! name_table.rs: the zone's names as canonical keys (one copy each), mapped to their nodes.
//! record_set.rs: one RRset as wire bytes (owner, then type, class, TTL, RDATA per record).
//! owners_seen.rs: the owners a file gave so far, to report one given twice.
//! source_records.rs: the records read, packed in file order, handed from the reader to the build.
//! repository_zones.rs (tests only): the repository's zone files, for tests that read them all.
//! spelling.rs: the closest valid key to a misspelt one, for error messages.
//! heap_trim.rs: the heap's free pages given back after a zone is built or freed.
//! ```

pub mod build;
pub mod error;
pub mod heap_trim;
pub mod master_file;
pub mod memory_limit;
pub mod name_table;
pub mod names;
pub mod owners_seen;
pub mod prepared;
pub mod record_set;
#[cfg(test)]
pub mod repository_zones;
pub mod source_records;
pub mod spelling;
pub mod yaml_events;
pub mod yaml_flow_lines;
pub mod yaml_rdata;
pub mod yaml_rdata_objects;
pub mod yaml_record_wire;
pub mod yaml_tree;
pub mod yaml_value;
pub mod yaml_zone;
