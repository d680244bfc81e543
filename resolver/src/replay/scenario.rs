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
    /// `key: value` lines before `CONFIG_END`, in file order.
    pub options: Vec<HeaderOption>,
    pub ranges: Vec<Range>,
    pub steps: Vec<Step>,
}

/// One `key: value` line of the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderOption {
    pub key: String,
    pub value: String,
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

/// One `STEP id KIND`.
#[derive(Clone, Debug)]
pub struct Step {
    pub id: u64,
    pub line: usize,
    pub kind: StepKind,
}

#[derive(Clone, Debug)]
pub enum StepKind {
    /// Send the entry to the resolver as a client query.
    Query(Entry),
    /// Compare the resolver's last response with the entry, using the entry's MATCH rules.
    CheckAnswer(Entry),
    /// Move the manual clock forward.
    TimePasses(Duration),
    /// A one-shot answer to the next upstream query it matches (used when no RANGE matches).
    Reply(Entry),
    /// testbound's check of a still-outstanding upstream query; exchanges here finish before the
    /// next step, so there is never one outstanding and this step has nothing to check.
    CheckOutQuery(Entry),
}

/// `ENTRY_BEGIN` … `ENTRY_END`: a message template plus how to match and adjust it.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub line: usize,
    pub rules: MatchRules,
    pub adjust: Adjust,
    pub header: ReplyHeader,
    pub question: Vec<Query>,
    pub answer: Vec<Record>,
    pub authority: Vec<Record>,
    pub additional: Vec<Record>,
    /// `RAW` hex: sent as-is instead of a message built from the fields above.
    pub raw: Option<Vec<u8>>,
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
