//! A reply that does not parse whole: what dig 9.18 keeps of it (`+besteffort`, its default: the
//! header, then records up to the first bad one) and its hex dump for `+nobesteffort`. Pure.

use std::fmt::Write as _;

use hickory_proto::op::{Edns, Header, Message, Query};
use hickory_proto::rr::{Name, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, DecodeError};

/// What was read of a malformed message.
#[derive(Clone, Debug)]
pub struct Partial {
    pub message: Message,
    /// The header's section counts, which dig prints even for records it could not read.
    pub counts: [usize; 4],
    /// Octets after the last thing read (dig's `Message has N extra bytes at end`).
    pub extra_bytes: usize,
}

/// BIND's words for why a message did not parse (`isc_result_totext`).
pub fn failure_text(error: &DecodeError) -> &'static str {
    match error {
        DecodeError::InsufficientBytes | DecodeError::IncorrectRDataLengthRead { .. } => {
            "unexpected end of input"
        }
        _ => "FORMERR",
    }
}

/// Where the fixed part of a record starting at `start` ends (owner, type, class, TTL,
/// RDLENGTH), as far as BIND's parser gets before it reads the RDATA.
fn fixed_part_end(bytes: &[u8], start: usize) -> usize {
    let mut decoder = BinDecoder::new(bytes);
    if decoder.read_slice(start).is_err() || Name::read(&mut decoder).is_err() {
        return start;
    }
    let after_name = bytes.len() - decoder.len();
    // RFC 1035 §4.1.3: TYPE, CLASS, TTL, RDLENGTH.
    (after_name + 10).min(bytes.len())
}

/// Reads `bytes` as far as it goes. None when not even the header is there.
pub fn read_partial(bytes: &[u8]) -> Option<Partial> {
    let mut decoder = BinDecoder::new(bytes);
    let header = Header::read(&mut decoder).ok()?;
    let counts = header.counts;
    let mut message = Message::query();
    message.metadata = header.metadata;
    let position = |decoder: &BinDecoder<'_>| bytes.len() - decoder.len();
    let mut extra_bytes = None;
    for _ in 0..counts.queries {
        match Query::read(&mut decoder) {
            Ok(query) => message.queries.push(query),
            Err(_) => {
                extra_bytes = Some(bytes.len() - position(&decoder));
                break;
            }
        }
    }
    let sections = [counts.answers, counts.authorities, counts.additionals];
    'sections: for (section, count) in sections.into_iter().enumerate() {
        if extra_bytes.is_some() {
            break;
        }
        for _ in 0..count {
            let start = position(&decoder);
            match Record::read(&mut decoder) {
                Ok(record) => match section {
                    0 => message.answers.push(record),
                    1 => message.authorities.push(record),
                    _ if record.record_type() == RecordType::OPT => {
                        message.edns = Some(Edns::from(&record));
                    }
                    _ => message.additionals.push(record),
                },
                Err(_) => {
                    extra_bytes = Some(bytes.len() - fixed_part_end(bytes, start));
                    break 'sections;
                }
            }
        }
    }
    Some(Partial {
        message,
        counts: [
            usize::from(counts.queries),
            usize::from(counts.answers),
            usize::from(counts.authorities),
            usize::from(counts.additionals),
        ],
        extra_bytes: extra_bytes.unwrap_or(bytes.len() - position(&decoder)),
    })
}

/// dig's `hex_dump` (BIND `dighost.c`): the size, then 16 octets a line with their printable form.
pub fn hex_dump(bytes: &[u8]) -> String {
    let printable = |byte: u8| {
        if (b'!'..=b'}').contains(&byte) {
            char::from(byte)
        } else {
            '.'
        }
    };
    let mut text = format!("{} bytes\n", bytes.len());
    for line in bytes.chunks(16) {
        for byte in line {
            let _ = write!(text, "{byte:02x} ");
        }
        text.push_str(&"   ".repeat(16 - line.len()));
        text.push_str("         ");
        text.extend(line.iter().map(|byte| printable(*byte)));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `x.test. A` answered with an A record whose RDATA is cut after two octets.
    fn cut_reply() -> Vec<u8> {
        [
            &[0x89, 0x3d, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0][..],
            &[1, b'x', 4, b't', b'e', b's', b't', 0, 0, 1, 0, 1],
            &[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 0xc0, 0],
        ]
        .concat()
    }

    #[test]
    fn a_cut_record_leaves_the_header_and_question_like_dig() {
        let bytes = cut_reply();
        assert!(Message::from_vec(&bytes).is_err());
        let partial = read_partial(&bytes).unwrap();
        assert_eq!(partial.counts, [1, 1, 0, 0]);
        assert_eq!(partial.message.queries.len(), 1);
        assert!(partial.message.answers.is_empty());
        assert_eq!(partial.extra_bytes, 2);
        assert!(read_partial(&bytes[..5]).is_none());
    }

    #[test]
    fn hex_dump_lays_out_like_dig() {
        let dump = hex_dump(&cut_reply());
        assert_eq!(
            dump,
            "38 bytes\n89 3d 84 00 00 01 00 01 00 00 00 00 01 78 04 74          .=...........x.t\n65 73 74 00 00 01 00 01 c0 0c 00 01 00 01 00 00          est.............\n0e 10 00 04 c0 00                                        ......\n"
        );
    }
}
