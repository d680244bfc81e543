//! Every bound of the authority crate in one place, each with the reason for its value.
//! Nothing here is computed; code elsewhere must use these names rather than literals.

/// Largest zone file we read. NSD and Knot have no fixed cap, but a YAML zone larger than this is
/// almost certainly a mistake or an attack on the loader (YAML aliases can expand); 64 MiB holds
/// several hundred thousand octoDNS records.
pub const MAX_ZONE_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Records per zone. Bounds memory per zone at load; one million matches the largest zones people
/// serve from NSD on small machines.
pub const MAX_RECORDS_PER_ZONE: usize = 1_000_000;

/// Values in one octoDNS record object (`values:` list). Also bounds an RRset; 65535 is what the
/// 16-bit ANCOUNT could ever carry, but nothing useful has more than a few thousand.
pub const MAX_VALUES_PER_RECORD: usize = 4096;

/// Total length of one TXT value after joining; RFC 1035 §3.3.14 character-strings are 255 octets,
/// and a TXT RDATA cannot exceed 65535 octets (RDLENGTH), so we stop well below that.
pub const MAX_TXT_VALUE_BYTES: usize = 16 * 1024;

/// One TXT character-string (RFC 1035 §3.3): a one-octet length, so 255 octets. Longer values are
/// split into several strings, as octoDNS and BIND do.
pub const TXT_CHUNK_BYTES: usize = 255;

/// Errors reported per file before we stop reading it; NSD stops a zone after many errors too.
pub const MAX_ERRORS_PER_FILE: usize = 1000;

/// CNAME links followed inside our zones for one answer. BIND follows 16; NSD stops at a loop or
/// leaves the name. 8 is enough for every real chain and bounds work per query.
pub const MAX_CNAME_CHAIN: usize = 8;

/// Largest UDP response we send with EDNS, whatever the client offers (DNS Flag Day 2020: 1232
/// avoids IP fragmentation on IPv6 minimum-MTU paths; NSD, Knot and Unbound use it).
pub const MAX_UDP_PAYLOAD: u16 = 1232;

/// Without EDNS, or with an EDNS size below it, RFC 1035 §4.2.1 / RFC 6891 §6.2.5 give 512.
pub const MIN_UDP_PAYLOAD: u16 = 512;

/// TCP messages carry a two-octet length (RFC 1035 §4.2.2), so 65535 is the hard ceiling.
pub const MAX_TCP_PAYLOAD: usize = 65535;

/// DNS header length (RFC 1035 §4.1.1); a shorter packet has no ID to echo and is dropped.
pub const HEADER_BYTES: usize = 12;

/// Smallest possible resource record on the wire: root name (1) + type, class, TTL, RDLENGTH (10).
/// Record counts larger than the packet could hold are FORMERR before any decoding allocates.
pub const MIN_RECORD_BYTES: usize = 11;
