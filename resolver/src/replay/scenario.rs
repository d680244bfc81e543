//! The parsed form of one `.rpl` scenario: header options, RANGE blocks of canned answers, STEPs.
//! Plain data only; reading text is `parser`, comparing messages is `matcher`.

use std::net::IpAddr;
use std::time::Duration;

use hickory_proto::op::{OpCode, Query, ResponseCode};
use hickory_proto::rr::Record;

/// One scenario file.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file's stem (`iter_badglue`), used in `PASS`/`FAIL` lines.
    pub name: String,
    /// The text after `SCENARIO_BEGIN`.
    pub title: String,
    /// `key: value` pairs before `CONFIG_END`, in file order.
    pub options: Vec<HeaderOption>,
    /// `TEMPFILE_CONTENTS` blocks of the header, in file order.
    pub tempfiles: Vec<TempFile>,
    pub ranges: Vec<Range>,
    pub steps: Vec<Step>,
}

/// One `key: value` pair of the header (an unbound.conf fragment; several may share a line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderOption {
    pub key: String,
    /// The value's words, unquoted, joined by one space; empty for a clause (`server:`).
    pub value: String,
    pub line: usize,
    /// The clause it belongs to (`server`, `stub-zone`...), empty before any, and the line that
    /// opened that clause (two `stub-zone:` clauses are told apart by it).
    pub clause: String,
    pub clause_line: usize,
}

/// `TEMPFILE_CONTENTS name` … `TEMPFILE_END`: a file testbound writes before the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TempFile {
    pub name: String,
    pub contents: String,
    pub line: usize,
}

/// `RANGE_BEGIN first last`: mock servers at `addresses` answer from `entries` during those steps.
#[derive(Clone, Debug)]
pub struct Range {
    pub first_step: u64,
    pub last_step: u64,
    /// Empty means every address (testbound's range without `ADDRESS`).
    pub addresses: Vec<IpAddr>,
    pub entries: Vec<Entry>,
    pub line: usize,
}

impl Range {
    pub fn is_active_at(&self, step: u64) -> bool {
        self.first_step <= step && step <= self.last_step
    }

    pub fn serves(&self, address: IpAddr) -> bool {
        self.addresses.is_empty() || self.addresses.contains(&address)
    }
}

/// One `STEP id KIND [ADDRESS ip]`.
#[derive(Clone, Debug)]
pub struct Step {
    pub id: u64,
    pub line: usize,
    /// `ADDRESS`: the client's address (QUERY) or the upstream server's (CHECK_OUT_QUERY, REPLY).
    pub address: Option<IpAddr>,
    pub kind: StepKind,
}

/// The step kinds of Unbound's `testcode/replay.h`.
#[derive(Clone, Debug)]
pub enum StepKind {
    /// Send the entry to the resolver as a client query.
    Query(Entry),
    /// Compare the resolver's last response with the entry, using the entry's MATCH rules.
    CheckAnswer(Entry),
    /// Move the manual clock forward.
    TimePasses(Duration),
    /// `TIME_PASSES EVAL macro`: move the clock by the macro's value, evaluated when reached.
    TimePassesEval(String),
    /// A one-shot answer to the next upstream query it matches (used when no RANGE matches).
    Reply(Entry),
    /// An upstream query matching the entry must have been sent (with `copy_id`, also its reply).
    CheckOutQuery(Entry),
    /// Nothing happens.
    Nothing,
    /// Let pending traffic flow; here every exchange completes within its QUERY step.
    Traffic,
    /// The next upstream query nothing answers times out.
    Timeout,
    /// The next upstream query nothing answers fails with a network error.
    Error,
    /// `ASSIGN variable = expression`, for later `${...}` macros.
    Assign {
        variable: String,
        expression: String,
    },
    /// `INFRA_RTT ip zone rtt`: set a server's RTT in the infrastructure cache.
    InfraRtt {
        address: IpAddr,
        zone: String,
        rtt_millis: u32,
    },
    /// `FLUSH_MESSAGE name type class`: drop a message from the cache.
    FlushMessage(String),
    /// `EXPIRE_MESSAGE name type class`: make a cached message expire.
    ExpireMessage(String),
    /// `CHECK_TEMPFILE name` + `FILE_BEGIN`…`FILE_END`: the temp file must hold these lines.
    CheckTempfile { name: String, contents: Vec<String> },
    /// `CHECK_AUTOTRUST id` + `FILE_BEGIN`…`FILE_END`: the RFC 5011 state file must hold these.
    CheckAutotrust { id: String, contents: Vec<String> },
}

/// `ENTRY_BEGIN` … `ENTRY_END`: a message template plus how to match and adjust it.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub line: usize,
    /// Deckard's `MANDATORY`: the scenario fails unless this entry answers at least one query.
    pub mandatory: bool,
    pub rules: MatchRules,
    pub adjust: Adjust,
    pub header: ReplyHeader,
    pub question: Vec<Query>,
    pub answer: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
    /// `RAW` (Deckard) or `HEX_ANSWER_BEGIN` (testpkts) hex: sent as-is instead of a built message.
    pub raw: Option<Vec<u8>>,
    /// `HEX_EDNSDATA_BEGIN` hex: the EDNS options (wire form) of the message, matched by `ednsdata`.
    pub edns_data: Option<Vec<u8>>,
}

/// The `MATCH` elements of an entry (Deckard's scenario guide, "Entry matching").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatchRules {
    pub opcode: bool,
    pub qtype: bool,
    pub qname: bool,
    /// Like `qname` but case-sensitive.
    pub qcase: bool,
    /// The received qname is at or below the entry's qname.
    pub subdomain: bool,
    pub flags: bool,
    pub rcode: bool,
    pub answer: bool,
    pub authority: bool,
    pub additional: bool,
    /// Compare TTLs too when comparing sections.
    pub ttl: bool,
    /// Only match queries sent over TCP / over UDP (testbound).
    pub tcp: bool,
    pub udp: bool,
    /// `DO`: only queries with the EDNS DO bit.
    pub dnssec_ok: bool,
    /// `noedns`: only messages without EDNS.
    pub no_edns: bool,
    /// `ednsdata`: EDNS options equal to the entry's `HEX_EDNSDATA` bytes.
    pub edns_data: bool,
    /// `serial=N`: an IXFR query whose authority SOA has this serial.
    pub serial: Option<u32>,
    /// `ede=N` / `ede=any`: an Extended DNS Error option (RFC 8914) with this info code.
    pub ede: Option<EdeMatch>,
    /// `client_cookie` / `server_cookie`: a DNS Cookie option (RFC 7873) of 8 / 24 octets.
    pub client_cookie: bool,
    pub server_cookie: bool,
}

/// What `MATCH ede=` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdeMatch {
    Any,
    InfoCode(u16),
}

/// The `ADJUST` elements of an answer template.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Adjust {
    /// Copy the query's ID, and the query's qname into the template's question (Deckard keeps case).
    pub copy_id: bool,
    /// Copy the query's whole question section.
    pub copy_query: bool,
    /// Write the query's ID into the first two bytes of `RAW` data.
    pub raw_id: bool,
    /// Send nothing: the query times out.
    pub do_not_answer: bool,
    /// `sleep=N`: the reply comes N seconds late (a timeout when that is past the query's timeout).
    pub sleep_seconds: u32,
    /// `packet_sleep=N`: like `sleep`, for this packet of a multi-packet reply.
    pub packet_sleep_seconds: u32,
    /// `copy_ednsdata_assume_clientsubnet`: echo the query's ECS option with scope = source prefix.
    pub copy_client_subnet: bool,
    /// `increment_ecs_scope`: that echoed scope is one more than the source prefix.
    pub increment_client_subnet_scope: bool,
}

/// The `REPLY` line: opcode, rcode and header flags (plus EDNS DO).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyHeader {
    pub opcode: OpCode,
    pub rcode: ResponseCode,
    pub flags: HeaderFlags,
    /// EDNS DO bit; not a header flag and never compared by `MATCH flags`.
    pub dnssec_ok: bool,
}

impl Default for ReplyHeader {
    fn default() -> Self {
        ReplyHeader {
            opcode: OpCode::Query,
            rcode: ResponseCode::NoError,
            flags: HeaderFlags::default(),
            dnssec_ok: false,
        }
    }
}

/// The header bits `MATCH flags` compares: QR AA TC RD RA AD CD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderFlags {
    pub qr: bool,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    pub ad: bool,
    pub cd: bool,
}

impl std::fmt::Display for HeaderFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (self.qr, "QR"),
            (self.aa, "AA"),
            (self.tc, "TC"),
            (self.rd, "RD"),
            (self.ra, "RA"),
            (self.ad, "AD"),
            (self.cd, "CD"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect();
        if set.is_empty() {
            write!(f, "(none)")
        } else {
            write!(f, "{}", set.join(" "))
        }
    }
}
