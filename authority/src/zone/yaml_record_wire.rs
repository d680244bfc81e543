//! One record's wire form written by the zone reader, as `OneRecord::new` writes it from a hickory
//! `Record`: the owner from its text (plain ASCII labels without hickory's name parser and IDNA),
//! then type, class, TTL, RDLENGTH and RDATA. It writes those exact bytes or declines.

use hickory_proto::rr::{DNSClass, Name, RData, RecordData};
use hickory_proto::serialize::binary::{BinDecodable, BinEncodable, BinEncoder, NameEncoding};
use hickory_proto::ProtoError;

use crate::zone::record_set::OneRecord;

/// A name's longest wire form (RFC 1035 §2.3.4), as hickory enforces it.
const MAX_NAME_WIRE_BYTES: usize = 255;

/// A label's longest length (RFC 1035 §2.3.4).
const MAX_LABEL_BYTES: usize = 63;

/// Writes at the end of `out` the wire form of the owner `text` (relative to the origin whose
/// wire form is `origin_wire` unless it ends in `.`) that `Name::parse(text, Some(origin))`
/// then an uncompressed `emit` give, and returns true; returns false, `out` unchanged, for any
/// text it does not know to be plain: then only hickory's parser can say (escapes, non-ASCII,
/// `xn--` labels, empty labels, over-long names all go there).
///
/// Plain labels, read as hickory reads them: `*`; a label starting with `_`, kept as written
/// (hickory's `Label::from_ascii`); any other of letters, digits and `-` not first, lowercased
/// (what IDNA's UTS 46 mapping does to ASCII, `Label::from_utf8`).
pub fn write_plain_name(text: &str, origin_wire: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    let (labels, absolute) = match text.strip_suffix('.') {
        Some(labels) => (labels, true),
        None => (text, false),
    };
    if labels.is_empty() {
        return false;
    }
    for label in labels.split('.') {
        let bytes = label.as_bytes();
        let Ok(length) = u8::try_from(bytes.len()) else {
            out.truncate(start);
            return false;
        };
        match plain_label(bytes) {
            Some(Case::AsWritten) => {
                out.push(length);
                out.extend_from_slice(bytes);
            }
            Some(Case::Lowered) => {
                out.push(length);
                out.extend(bytes.iter().map(u8::to_ascii_lowercase));
            }
            None => {
                out.truncate(start);
                return false;
            }
        }
    }
    if absolute {
        out.push(0);
    } else {
        out.extend_from_slice(origin_wire);
    }
    if out.len() - start > MAX_NAME_WIRE_BYTES {
        out.truncate(start);
        return false;
    }
    true
}

thread_local! {
    /// The origin's wire form and a name's, for `plain_name` (names in RDATA, one per record).
    static NAME_SCRATCH: std::cell::RefCell<(Vec<u8>, Vec<u8>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// `Name::parse(text, Some(origin))` for a text `write_plain_name` knows (plain ASCII labels),
/// made from its wire form without hickory's text parser and IDNA; `None` for any other text.
pub fn plain_name(text: &str, origin: &Name) -> Option<Name> {
    NAME_SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let (origin_wire, wire) = &mut *scratch;
        origin_wire.clear();
        wire.clear();
        write_name(origin, origin_wire);
        if !write_plain_name(text, origin_wire, wire) {
            return None;
        }
        Name::from_bytes(wire).ok()
    })
}

/// How hickory keeps a plain label's letters.
enum Case {
    AsWritten,
    Lowered,
}

fn plain_label(label: &[u8]) -> Option<Case> {
    let (&first, rest) = label.split_first()?;
    if label.len() > MAX_LABEL_BYTES {
        return None;
    }
    if label == b"*" {
        return Some(Case::AsWritten);
    }
    if first == b'_' {
        let safe = |byte: &u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_');
        return rest.iter().all(safe).then_some(Case::AsWritten);
    }
    let letters_digits_hyphens = first.is_ascii_alphanumeric()
        && rest
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-');
    // `xn--` labels are punycode, which IDNA checks and may refuse.
    let punycode = label.len() >= 4
        && label
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(b"xn--"));
    (letters_digits_hyphens && !punycode).then_some(Case::Lowered)
}

/// The uncompressed wire form of a name (what `Name::emit` writes with names uncompressed).
pub fn write_name(name: &Name, out: &mut Vec<u8>) {
    for label in name.iter() {
        // A hickory label is at most 63 octets.
        out.push(u8::try_from(label.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(label);
    }
    out.push(0);
}

/// Reusable buffers for writing records, so a record costs one allocation (its own).
#[derive(Default)]
pub struct RecordWriter {
    record: Vec<u8>,
    tail: Vec<u8>,
}

impl RecordWriter {
    /// The record `OneRecord::new(&Record::from_rdata(owner, ttl, rdata))` makes, where
    /// `owner_wire` is the owner's uncompressed wire form; `None` where hickory's encoder
    /// refuses the RDATA (the caller asks `OneRecord::new` for the words of the error).
    pub fn one_record(&mut self, owner_wire: &[u8], ttl: u32, rdata: &RData) -> Option<OneRecord> {
        let owner_length = u8::try_from(owner_wire.len()).ok()?;
        self.record.clear();
        self.record.extend_from_slice(owner_wire);
        let record_type = u16::from(rdata.record_type());
        let class = u16::from(DNSClass::IN);
        match rdata {
            RData::A(address) => {
                self.write_header(record_type, class, ttl, 4);
                self.record.extend_from_slice(&address.0.octets());
            }
            RData::AAAA(address) => {
                self.write_header(record_type, class, ttl, 16);
                self.record.extend_from_slice(&address.0.octets());
            }
            _ => {
                self.tail.clear();
                encode_tail(rdata, ttl, &mut self.tail).ok()?;
                self.record.extend_from_slice(&self.tail);
            }
        }
        Some(OneRecord::from_wire(&self.record, owner_length))
    }

    fn write_header(&mut self, record_type: u16, class: u16, ttl: u32, rdata_length: u16) {
        self.record.extend_from_slice(&record_type.to_be_bytes());
        self.record.extend_from_slice(&class.to_be_bytes());
        self.record.extend_from_slice(&ttl.to_be_bytes());
        self.record.extend_from_slice(&rdata_length.to_be_bytes());
    }
}

/// Type, class, TTL, RDLENGTH and RDATA as `OneRecord::new` writes them after the owner (names
/// uncompressed, as written).
fn encode_tail(rdata: &RData, ttl: u32, tail: &mut Vec<u8>) -> Result<(), ProtoError> {
    let mut encoder = BinEncoder::new(tail);
    encoder.set_name_encoding(NameEncoding::Uncompressed);
    rdata.record_type().emit(&mut encoder)?;
    DNSClass::IN.emit(&mut encoder)?;
    encoder.emit_u32(ttl)?;
    let place = encoder.place::<u16>()?;
    if !rdata.is_update() {
        rdata.emit(&mut encoder)?;
    }
    let length = encoder.len_since_place(&place);
    let length =
        u16::try_from(length).map_err(|_| ProtoError::Message("RDATA longer than 65535 octets"))?;
    place.replace(&mut encoder, length)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::{Record, RecordType};

    fn origin() -> Name {
        Name::parse("Example.test.", None).expect("origin")
    }

    fn hickory_wire(text: &str) -> Option<Vec<u8>> {
        let name = Name::parse(text, Some(&origin())).ok()?;
        let mut wire = Vec::new();
        let mut encoder = BinEncoder::new(&mut wire);
        encoder.set_name_encoding(NameEncoding::Uncompressed);
        name.emit(&mut encoder).expect("emits");
        Some(wire)
    }

    fn plain_wire(text: &str) -> Option<Vec<u8>> {
        let mut origin_wire = Vec::new();
        write_name(&origin(), &mut origin_wire);
        let mut out = vec![7];
        let written = write_plain_name(text, &origin_wire, &mut out);
        let prefix = out.remove(0);
        assert_eq!(prefix, 7);
        if !written {
            assert!(out.is_empty(), "{text:?}");
            return None;
        }
        Some(out)
    }

    #[test]
    fn plain_names_are_written_as_hickory_parses_them() {
        let long_label = "a".repeat(63);
        let too_long_label = "a".repeat(64);
        let long_name = ["abcdefghij"; 22].join(".");
        let texts = [
            "www",
            "WWW",
            "Www.Sub",
            "host1",
            "a-b",
            "a--b",
            "a-",
            "1",
            "10.0.0",
            "*",
            "*.wild",
            "_dmarc",
            "_Sip._TCP",
            "_a-b_c",
            "www.example.test.",
            "WWW.Example.TEST.",
            "a.b.",
            "xn--bcher-kva",
            "XN--bcher-kva",
            "xn--a",
            "xn-a",
            "-a",
            "a_b",
            "a*",
            "**",
            "*a",
            "a..b",
            ".a",
            "a.",
            "..",
            "é",
            "a b",
            "a\\.b",
            "a\\065",
            "_",
            "__",
            "_-",
            "a.*",
            &long_label,
            &too_long_label,
            &long_name,
            "bench.test.",
            "Example.test.",
        ];
        for text in texts {
            let hickory = hickory_wire(text);
            // Declined (None): hickory's parser decides (it may well accept).
            if let Some(wire) = plain_wire(text) {
                assert_eq!(Some(wire), hickory, "{text:?}");
            }
        }
        // The plain ones do take the fast path.
        for text in [
            "www",
            "WWW",
            "host1",
            "*.wild",
            "_Sip._TCP",
            "a.b.",
            &long_label,
        ] {
            assert!(plain_wire(text).is_some(), "{text:?}");
        }
        for text in [
            "xn--bcher-kva",
            "a..b",
            "é",
            "a\\.b",
            &too_long_label,
            &long_name,
        ] {
            assert!(plain_wire(text).is_none(), "{text:?}");
        }
        // As names: the same labels, case and absoluteness as hickory's parser gives.
        let mut made = 0;
        for text in texts {
            let Some(fast) = plain_name(text, &origin()) else {
                continue;
            };
            let parsed = Name::parse(text, Some(&origin())).expect("parses");
            assert!(fast.eq_case(&parsed), "{text:?}");
            assert_eq!(fast.is_fqdn(), parsed.is_fqdn(), "{text:?}");
            assert_eq!(fast.to_string(), parsed.to_string(), "{text:?}");
            made += 1;
        }
        assert!(made > 10);
    }

    #[test]
    fn records_are_the_bytes_one_record_new_writes() {
        let origin = origin();
        let owner = Name::parse("Host1", Some(&origin)).expect("owner");
        let mut owner_wire = Vec::new();
        write_name(&owner, &mut owner_wire);
        let mut writer = RecordWriter::default();
        for (record_type, text) in [
            (RecordType::A, "192.0.2.1"),
            (RecordType::AAAA, "2001:db8::1"),
            (RecordType::CNAME, "Target.example.test."),
            (RecordType::MX, "10 Mail.example.test."),
            (RecordType::TXT, "\"v=spf1 -all\""),
            (
                RecordType::SOA,
                "ns1.example.test. h.example.test. 1 2 3 4 5",
            ),
            (RecordType::SRV, "1 2 3 Sip.example.test."),
            (RecordType::CAA, "0 issue \"ca.example\""),
        ] {
            let rdata = RData::try_from_str(record_type, text).expect("rdata");
            let expected = OneRecord::new(&Record::from_rdata(owner.clone(), 300, rdata.clone()))
                .expect("encodes");
            assert_eq!(
                writer.one_record(&owner_wire, 300, &rdata),
                Some(expected),
                "{text}"
            );
        }
    }
}
