//! The cache as text and back (unbound-control `dump_cache` / `load_cache`): each entry a block of
//! zone-file lines with the TTLs left, under a `;` header line saying what it is. No I/O here.
//!
//! ```text
//! ;rrset answer            an RRset and its trust (glue, additional, answer-nonauth, authority, answer)
//! www.example. 250 IN A 192.0.2.1
//! ;parent-side             a referral's NS set or glue as the parent gave it
//! ;nxdomain nx.example.    a negative answer, then its authority records
//! ;nodata www.example. MX
//! ```
//! A dump is a zone file (the headers are comments) and loads back into an equal cache.

use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, Record, RecordType};

use crate::cache::entry::WireEntry;
use crate::cache::key::EntryKind;
use crate::cache::maintenance::StoredKey;
use crate::cache::{remaining_seconds, RecordCache, Trust};
use crate::dig::presentation::{class_text, name_text, rdata_text_styled, type_text, RecordStyle};
use crate::replay::record_text::{parse_name, parse_record};

/// Errors kept word for word in a load report; the rest are only counted.
const MAX_REPORTED_LOAD_ERRORS: usize = 5;

fn trust_word(trust: Trust) -> &'static str {
    match trust {
        Trust::Glue => "glue",
        Trust::AdditionalAuthoritative => "additional",
        Trust::AnswerNonAuthoritative => "answer-nonauth",
        Trust::AuthorityAuthoritative => "authority",
        Trust::AnswerAuthoritative => "answer",
    }
}

fn trust_from_word(word: &str) -> Option<Trust> {
    match word {
        "glue" => Some(Trust::Glue),
        "additional" => Some(Trust::AdditionalAuthoritative),
        "answer-nonauth" => Some(Trust::AnswerNonAuthoritative),
        "authority" => Some(Trust::AuthorityAuthoritative),
        "answer" => Some(Trust::AnswerAuthoritative),
        _ => None,
    }
}

/// One record as a zone-file line: owner, TTL, class, type, RDATA (base64 and hex unsplit).
pub fn record_line(record: &Record) -> String {
    let style = RecordStyle {
        split: None,
        ..RecordStyle::default()
    };
    format!(
        "{} {} {} {} {}",
        name_text(&record.name),
        record.ttl,
        class_text(record.dns_class),
        type_text(record.record_type()),
        rdata_text_styled(&record.data, &style)
    )
}

/// A dump in progress: the entries as they were when it began, written a chunk at a time so the
/// text is never held whole.
pub struct CacheDump {
    entries: Vec<(Box<[u8]>, WireEntry)>,
    next: usize,
    now: Duration,
}

impl RecordCache {
    /// Starts a dump of every unexpired entry, TTLs as left at `now`.
    pub fn dump(&self, now: Duration) -> CacheDump {
        CacheDump {
            entries: self.entries.snapshot(),
            next: 0,
            now,
        }
    }
}

impl CacheDump {
    /// How many entries the dump holds (expired ones included, skipped when written).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The next blocks of text, at least `min_bytes` long unless the dump ends; `None` once done.
    pub fn next_chunk(&mut self, min_bytes: usize) -> Option<String> {
        if self.next >= self.entries.len() {
            return None;
        }
        let mut text = String::new();
        while text.len() < min_bytes {
            let Some((key, entry)) = self.entries.get(self.next) else {
                break;
            };
            self.next += 1;
            if let Some(block) = entry_block(key, entry, self.now) {
                text.push_str(&block);
            }
        }
        Some(text)
    }
}

/// One entry's block, or `None` if it has expired or does not decode.
fn entry_block(key: &[u8], entry: &WireEntry, now: Duration) -> Option<String> {
    if entry.expires() <= now {
        return None;
    }
    let key = StoredKey::read(key)?;
    let owner = key.name()?;
    let remaining = remaining_seconds(entry.expires(), now);
    let (header, records) = match key.kind {
        EntryKind::RrSet => (
            format!(";rrset {}\n", trust_word(entry.trust())),
            entry.to_rrset(&owner, key.record_type, key.class, remaining)?,
        ),
        EntryKind::ParentSide => (
            ";parent-side\n".to_string(),
            entry.to_rrset(&owner, key.record_type, key.class, remaining)?,
        ),
        EntryKind::NxDomain | EntryKind::NoData => {
            let elapsed =
                u32::try_from(now.saturating_sub(entry.stored_at()).as_secs()).unwrap_or(u32::MAX);
            let header = if key.kind == EntryKind::NxDomain {
                format!(";nxdomain {}\n", name_text(&owner))
            } else {
                format!(
                    ";nodata {} {}\n",
                    name_text(&owner),
                    type_text(key.record_type)
                )
            };
            (header, entry.to_records(elapsed)?)
        }
        // Loaded data is served as insecure (its proofs are not re-checked), so the RRSIGs
        // and wildcard proofs stored beside validated RRsets are left out of the dump.
        // Stored sections are remade by the next answer that needs them.
        EntryKind::Signatures
        | EntryKind::WildcardProof
        | EntryKind::Sections
        | EntryKind::NegativeSoa => return None,
    };
    let mut block = header;
    for record in &records {
        block.push_str(&record_line(record));
        block.push('\n');
    }
    Some(block)
}

/// What a load did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub rrsets: u64,
    pub negatives: u64,
    /// Blocks or lines that could not be read, and the first few of them.
    pub errors: u64,
    pub first_errors: Vec<String>,
}

impl LoadReport {
    fn error(&mut self, line: usize, text: &str) {
        self.errors += 1;
        if self.first_errors.len() < MAX_REPORTED_LOAD_ERRORS {
            self.first_errors.push(format!("line {line}: {text}"));
        }
    }
}

/// What the block being read will become.
enum Block {
    RrSet(Trust),
    ParentSide,
    NxDomain(Name),
    NoData(Name, RecordType),
}

/// Reads one header line (without its `;`); `None` for an ordinary comment.
fn parse_header(text: &str) -> Option<Result<Block, String>> {
    let mut words = text.split_whitespace();
    let block = match words.next()? {
        "rrset" => {
            let word = words.next().unwrap_or_default();
            trust_from_word(word)
                .map(Block::RrSet)
                .ok_or_else(|| format!("unknown trust {word:?}"))
        }
        "parent-side" => Ok(Block::ParentSide),
        "nxdomain" => parse_name(words.next().unwrap_or_default())
            .map(Block::NxDomain)
            .map_err(|error| format!("{error:?}")),
        "nodata" => {
            let owner = parse_name(words.next().unwrap_or_default());
            let record_type = words
                .next()
                .and_then(|word| crate::presentation::parse_record_type(word).ok());
            match (owner, record_type) {
                (Ok(owner), Some(record_type)) => Ok(Block::NoData(owner, record_type)),
                _ => Err("expected ;nodata NAME TYPE".to_string()),
            }
        }
        _ => return None,
    };
    Some(block)
}

impl RecordCache {
    /// Loads a dump's text at `now`: each block is stored as the resolver would have stored it,
    /// TTLs as written (clamped by the TTL rules), lower trust never replacing higher.
    pub fn load_text(&self, text: &str, now: Duration) -> LoadReport {
        let mut report = LoadReport::default();
        let mut block: Option<(Block, usize)> = None;
        let mut records: Vec<Record> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix(';') {
                match parse_header(comment) {
                    None => {}
                    Some(parsed) => {
                        if let Some((kind, start)) = block.take() {
                            self.store_block(kind, start, &records, now, &mut report);
                        }
                        records.clear();
                        match parsed {
                            Ok(kind) => block = Some((kind, number)),
                            Err(error) => report.error(number, &error),
                        }
                    }
                }
                continue;
            }
            if block.is_none() {
                report.error(number, "record outside a block");
                continue;
            }
            match parse_record(line) {
                Ok(record) => records.push(record),
                Err(error) => report.error(number, &format!("{error:?}")),
            }
        }
        if let Some((kind, start)) = block {
            self.store_block(kind, start, &records, now, &mut report);
        }
        report
    }

    fn store_block(
        &self,
        block: Block,
        line: usize,
        records: &[Record],
        now: Duration,
        report: &mut LoadReport,
    ) {
        let same_set = records.first().is_some_and(|first| {
            records.iter().all(|record| {
                record.name == first.name
                    && record.record_type() == first.record_type()
                    && record.dns_class == first.dns_class
            })
        });
        match (block, records.first()) {
            (Block::RrSet(trust), Some(first)) if same_set => {
                // Unchanged data is not stored again but is there: it counts as loaded.
                let stored = self.insert_rrset(records, trust, now)
                    || self
                        .trust_of(&first.name, first.record_type(), first.dns_class, now)
                        .is_some();
                if stored {
                    report.rrsets += 1;
                }
            }
            (Block::ParentSide, Some(_)) if same_set => {
                self.insert_parent_side(records, now);
                report.rrsets += 1;
            }
            (Block::NxDomain(owner), _) => {
                self.insert_negative(&owner, DNSClass::IN, None, records, now);
                report.negatives += 1;
            }
            (Block::NoData(owner, record_type), _) => {
                self.insert_negative(&owner, DNSClass::IN, Some(record_type), records, now);
                report.negatives += 1;
            }
            _ => report.error(
                line,
                "an RRset block needs records of one name, type and class",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::test_policy;
    use hickory_proto::rr::rdata::{A, MX, NS, SOA, TXT};
    use hickory_proto::rr::RData;
    use std::net::Ipv4Addr;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap_or_else(|_| Name::root())
    }

    fn dump_text(cache: &RecordCache, now: Duration) -> String {
        let mut dump = cache.dump(now);
        let mut text = String::new();
        while let Some(chunk) = dump.next_chunk(64) {
            text.push_str(&chunk);
        }
        text
    }

    #[test]
    fn a_dump_loads_back_into_an_equal_cache_with_the_ttls_left() {
        let cache = RecordCache::new(100, test_policy());
        let start = Duration::from_secs(1_000);
        let www = name("www.example.");
        cache.insert_rrset(
            &[
                Record::from_rdata(www.clone(), 300, RData::A(A(Ipv4Addr::new(192, 0, 2, 1)))),
                Record::from_rdata(www.clone(), 300, RData::A(A(Ipv4Addr::new(192, 0, 2, 2)))),
            ],
            Trust::AnswerAuthoritative,
            start,
        );
        cache.insert_rrset(
            &[Record::from_rdata(
                name("example."),
                600,
                RData::MX(MX::new(10, name("mail.example."))),
            )],
            Trust::AnswerNonAuthoritative,
            start,
        );
        cache.insert_rrset(
            &[Record::from_rdata(
                name("t.example."),
                600,
                RData::TXT(TXT::new(vec!["two words".to_string(), "x\"y".to_string()])),
            )],
            Trust::AnswerAuthoritative,
            start,
        );
        cache.insert_parent_side(
            &[Record::from_rdata(
                name("example."),
                900,
                RData::NS(NS(name("ns.example."))),
            )],
            start,
        );
        let soa = Record::from_rdata(
            name("example."),
            300,
            RData::SOA(SOA::new(
                name("ns.example."),
                name("host.example."),
                1,
                2,
                3,
                4,
                120,
            )),
        );
        cache.insert_negative(
            &name("nx.example."),
            DNSClass::IN,
            None,
            std::slice::from_ref(&soa),
            start,
        );
        cache.insert_negative(&www, DNSClass::IN, Some(RecordType::MX), &[soa], start);

        let later = start + Duration::from_secs(100);
        let text = dump_text(&cache, later);
        assert!(text.contains(";rrset answer\n"), "{text}");
        assert!(text.contains("www.example. 200 IN A 192.0.2.1\n"), "{text}");
        assert!(text.contains(";nxdomain nx.example.\n"), "{text}");
        assert!(text.contains(";nodata www.example. MX\n"), "{text}");

        let warm = RecordCache::new(100, test_policy());
        let report = warm.load_text(&text, Duration::ZERO);
        assert_eq!(report.errors, 0, "{report:?}\n{text}");
        assert_eq!((report.rrsets, report.negatives), (4, 2));
        // The same blocks, TTLs as left (the map's order is its own).
        let blocks = |text: &str| {
            let mut blocks: Vec<String> =
                text.split_inclusive('\n')
                    .fold(Vec::new(), |mut blocks: Vec<String>, line| {
                        match blocks.last_mut() {
                            Some(block) if !line.starts_with(';') => block.push_str(line),
                            _ => blocks.push(line.to_string()),
                        }
                        blocks
                    });
            blocks.sort();
            blocks
        };
        assert_eq!(blocks(&dump_text(&warm, Duration::ZERO)), blocks(&text));
        let kept = warm.get_rrset(
            &www,
            RecordType::A,
            DNSClass::IN,
            Trust::Glue,
            Duration::ZERO,
        );
        assert_eq!(kept.map(|set| set.len()), Some(2));
    }

    #[test]
    fn expired_entries_are_not_dumped_and_bad_lines_are_reported_not_fatal() {
        let cache = RecordCache::new(100, test_policy());
        cache.insert_rrset(
            &[Record::from_rdata(
                name("old.example."),
                10,
                RData::A(A(Ipv4Addr::LOCALHOST)),
            )],
            Trust::AnswerAuthoritative,
            Duration::ZERO,
        );
        assert_eq!(dump_text(&cache, Duration::from_secs(10)), "");
        let report = cache.load_text(
            "stray.example. 60 IN A 192.0.2.1\n;rrset answer\nbad line\n;rrset nonsense\n\
             ;rrset glue\nok.example. 60 IN A 192.0.2.9\n; a comment\n",
            Duration::ZERO,
        );
        assert_eq!(report.rrsets, 1);
        // A record before any block, a bad record, the block left empty by it, a bad trust.
        assert_eq!(report.errors, 4, "{report:?}");
        assert_eq!(report.first_errors.len(), 4);
    }
}
