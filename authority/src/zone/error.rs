//! Errors found while loading a zone file: one `ZoneError` per problem, naming file, line and kind.
//! The loader collects all of them (NSD style) instead of stopping at the first.

use std::fmt;
use std::path::PathBuf;

/// One problem in one zone file. `line` is 1-based; 0 means the problem concerns the whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneError {
    pub file: PathBuf,
    pub line: u64,
    pub kind: ZoneErrorKind,
}

/// What went wrong; each variant names the offending thing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneErrorKind {
    Read(String),
    /// The file alone is larger than the zone memory limit (its text is held while it loads).
    TooLarge {
        bytes: u64,
        limit: crate::zone::memory_limit::ZoneMemoryLimit,
    },
    Yaml(String),
    BadOrigin(String),
    BadOwner(String),
    DuplicateKey(String),
    UnknownType(String),
    WrongShape {
        owner: String,
        expected: &'static str,
    },
    /// A record-object key octoDNS does not know, with the closest valid one.
    UnknownKey {
        owner: String,
        key: String,
        suggestion: Option<&'static str>,
    },
    /// `values: []`: octoDNS refuses a record with no value.
    NoValues(String),
    /// An NS value that is an IP address: it would become a name under the origin.
    NameserverIsAddress {
        owner: String,
        value: String,
    },
    /// A name below a DNAME owner: occluded, never served (RFC 6672 §2.3; NSD and Knot refuse).
    DataBelowDname {
        owner: String,
        dname: String,
    },
    /// The same origin given twice on the command line.
    DuplicateOrigin {
        origin: String,
        first: PathBuf,
    },
    BadValue {
        record_type: String,
        problem: String,
    },
    BadAddress(String),
    BadName(String),
    OutOfZone {
        owner: String,
        origin: String,
    },
    CnameBesideOtherData(String),
    CnameAtApex(String),
    SeveralCnames(String),
    MissingApexNs(String),
    NotGlue {
        owner: String,
        record_type: String,
    },
    GluelessDelegation {
        delegation: String,
        nameserver: String,
    },
    SoaNotAtApex(String),
    MultipleSoa(String),
    /// Loading the zone would take more memory than the zone memory limit allows; `records` were
    /// read when the estimate passed it.
    OverMemoryLimit {
        records: usize,
        limit: crate::zone::memory_limit::ZoneMemoryLimit,
    },
    TooManyErrors,
    /// A DNSSEC problem: the zone's `dnssec` settings, or its keys (then file and line are the key
    /// file's), or signing itself.
    Dnssec(String),
    /// The SOA serial cannot be served (`xfr::serial`: data changed without it, or it went back).
    Serial(String),
}

impl fmt::Display for ZoneError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0 means the whole file (it could not be read, or is too large).
        if self.line == 0 {
            write!(formatter, "{}: {}", self.file.display(), self.kind)
        } else {
            write!(
                formatter,
                "{}:{}: {}",
                self.file.display(),
                self.line,
                self.kind
            )
        }
    }
}

impl ZoneErrorKind {
    /// A file that cannot be read, in the wording every command uses: `PATH: no such file` for a
    /// missing one, `PATH: cannot read: REASON` otherwise.
    pub fn read(problem: &std::io::Error) -> Self {
        match problem.kind() {
            std::io::ErrorKind::NotFound => Self::Read("no such file".to_string()),
            _ => Self::Read(format!("cannot read: {problem}")),
        }
    }
}

impl fmt::Display for ZoneErrorKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(problem) => write!(formatter, "{problem}"),
            Self::TooLarge { bytes, limit } => write!(
                formatter,
                "file is {bytes} bytes, more than the zone memory limit of {limit}; raise it with {}",
                crate::zone::memory_limit::ZONE_MEMORY_OPTION
            ),
            Self::Yaml(problem) => write!(formatter, "invalid YAML: {problem}"),
            Self::BadOrigin(origin) => write!(formatter, "invalid zone origin {origin:?}"),
            Self::BadOwner(owner) => write!(formatter, "invalid owner name {owner:?}"),
            Self::DuplicateKey(key) => write!(formatter, "duplicate key {key:?}"),
            Self::UnknownType(record_type) => write!(formatter, "unknown record type {record_type:?}"),
            Self::WrongShape { owner, expected } => {
                write!(formatter, "wrong value shape at {owner:?}: expected {expected}")
            }
            Self::UnknownKey { owner, key, suggestion } => {
                write!(formatter, "unknown key {key:?} in the record at {owner:?}")?;
                match suggestion {
                    Some(valid) => write!(formatter, "; did you mean {valid:?}?"),
                    None => write!(formatter, " (valid: {})", RECORD_KEYS.join(", ")),
                }
            }
            Self::NoValues(owner) => {
                write!(formatter, "record at {owner:?} has an empty `values` list (octoDNS refuses it too)")
            }
            Self::NameserverIsAddress { owner, value } => write!(
                formatter,
                "NS value {value:?} at {owner:?} is an IP address; NS names a host (add an A record for it)"
            ),
            Self::DataBelowDname { owner, dname } => write!(
                formatter,
                "{owner} is below the DNAME at {dname} and would never be served (RFC 6672 §2.3)"
            ),
            Self::DuplicateOrigin { origin, first } => write!(
                formatter,
                "zone {origin} is given twice (first from {})",
                first.display()
            ),
            Self::BadValue { record_type, problem } => {
                write!(formatter, "bad {record_type} value: {problem}")
            }
            Self::BadAddress(address) => write!(formatter, "bad address {address:?}"),
            Self::BadName(name) => write!(formatter, "bad domain name {name:?}"),
            Self::OutOfZone { owner, origin } => {
                write!(formatter, "record {owner} is outside zone {origin}")
            }
            Self::CnameBesideOtherData(owner) => {
                write!(formatter, "CNAME at {owner} beside other data (RFC 1034 §3.6.2)")
            }
            Self::CnameAtApex(owner) => write!(formatter, "CNAME at zone apex {owner}"),
            Self::SeveralCnames(owner) => {
                write!(formatter, "more than one CNAME value at {owner} (RFC 2181 §10.1)")
            }
            Self::MissingApexNs(origin) => write!(
                formatter,
                "zone {origin} has no NS record at its apex; add one, or give the servers with --default-ns NAME (octoDNS providers add them)"
            ),
            Self::NotGlue { owner, record_type } => write!(
                formatter,
                "{record_type} record {owner} is below a delegation and is not glue (only A/AAAA are)"
            ),
            Self::GluelessDelegation { delegation, nameserver } => write!(
                formatter,
                "delegation {delegation} names in-zone nameserver {nameserver} which has no A/AAAA glue"
            ),
            Self::SoaNotAtApex(owner) => write!(formatter, "SOA record at {owner}, not at the apex"),
            Self::MultipleSoa(owner) => write!(formatter, "more than one SOA value at {owner}"),
            Self::OverMemoryLimit { records, limit } => write!(
                formatter,
                "zone needs more than the zone memory limit of {limit} (stopped after {records} records); raise it with {}",
                crate::zone::memory_limit::ZONE_MEMORY_OPTION
            ),
            Self::TooManyErrors => write!(formatter, "too many errors, stopped reading this file"),
            Self::Dnssec(problem) => write!(formatter, "{problem}"),
            Self::Serial(problem) => write!(formatter, "{problem}"),
        }
    }
}

impl std::error::Error for ZoneError {}

/// The keys of an octoDNS record object.
pub const RECORD_KEYS: [&str; 7] = [
    "type", "ttl", "value", "values", "octodns", "geo", "dynamic",
];

/// Something in a zone file that loads but is probably a mistake, or a record skipped on purpose:
/// reported as `file:line: warning` by `--check` (which still exits 0) and logged at (re)load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneWarning {
    pub file: PathBuf,
    pub line: u64,
    pub kind: ZoneWarningKind,
}

/// What the warning is about; each variant names the offending thing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneWarningKind {
    /// An octoDNS type that is a provider feature, not DNS (URLFWD, ALIAS).
    SkippedType(String),
    /// `octodns: {ignored: true}`: octoDNS never publishes it, so neither do we.
    Ignored { owner: String, record_type: String },
    /// Several TTLs in one RRset (RFC 2181 §5.2); `used` is the one served for all.
    UnequalTtls {
        owner: String,
        record_type: String,
        ttl: u32,
        used: u32,
    },
    /// An in-zone nameserver name with no A/AAAA record: resolvers cannot reach it.
    NameserverWithoutAddress { owner: String, nameserver: String },
    /// A `;` in a TXT value without the `\;` octoDNS requires (it refuses the record).
    UnescapedSemicolon { owner: String, record_type: String },
    /// A record type written in lower case (octoDNS refuses it).
    LowercaseType(String),
}

impl fmt::Display for ZoneWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(formatter, "{}: {}", self.file.display(), self.kind)
        } else {
            write!(
                formatter,
                "{}:{}: {}",
                self.file.display(),
                self.line,
                self.kind
            )
        }
    }
}

impl fmt::Display for ZoneWarningKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SkippedType(record_type) => write!(
                formatter,
                "skipped {record_type} record: an octoDNS provider feature, not DNS data"
            ),
            Self::Ignored { owner, record_type } => write!(
                formatter,
                "skipped {record_type} record at {owner:?}: marked `octodns: ignored`, which octoDNS never publishes"
            ),
            Self::UnequalTtls { owner, record_type, ttl, used } => write!(
                formatter,
                "{record_type} at {owner} has TTL {ttl} but the RRset has another; all are served with TTL {used}, the lowest (RFC 2181 §5.2)"
            ),
            Self::NameserverWithoutAddress { owner, nameserver } => write!(
                formatter,
                "NS at {owner} names {nameserver}, which is in this zone but has no A or AAAA record"
            ),
            Self::UnescapedSemicolon { owner, record_type } => write!(
                formatter,
                "{record_type} at {owner:?} has an unescaped `;`; octoDNS requires `\\;` and refuses the record"
            ),
            Self::LowercaseType(record_type) => write!(
                formatter,
                "record type {record_type:?} is not upper case; octoDNS refuses it (write {:?})",
                record_type.to_ascii_uppercase()
            ),
        }
    }
}
