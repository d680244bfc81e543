//! A plain query read straight from the packet bytes: header, one IN question, at most an OPT
//! without options. It never decodes anything else; whatever it does not cover is `None` (slow path).
//!
//! Covered (everything else goes to `message::parse_request`, which stays the reference): QR clear,
//! opcode QUERY, QDCOUNT 1, ANCOUNT and NSCOUNT 0, ARCOUNT 0 or 1; the question name uncompressed
//! (RFC 1035 §4.1.4: a pointer there can only aim backwards into the header) and at most 255 bytes;
//! class IN; a type that is neither meta (RFC 6895 §3.1) nor DNSSEC (the slow path strips DNSSEC
//! records for non-DO clients, RFC 3225 §3); an OPT with root owner, version 0, no extended rcode
//! bits and NO options, and nothing after it. Options are left to the slow path although it acts on
//! none today: the day it does (cookies, RFC 7873; client subnet, RFC 7871), this path must not
//! answer for it silently.

use hickory_proto::rr::RecordType;

use authority::listen::Protocol;

use crate::server::limits::{
    HEADER_BYTES, MAX_NAME_BYTES, MAX_TCP_PAYLOAD, MAX_UDP_PAYLOAD, MIN_UDP_PAYLOAD,
};

/// The question's class we answer from the cache: IN (RFC 1035 §3.2.4).
const CLASS_IN: u16 = 1;
/// The OPT pseudo-record's type (RFC 6891 §6.1.2).
const TYPE_OPT: u16 = 41;
/// An OPT without options: root owner (1), type, class, TTL, RDLENGTH (10).
const BARE_OPT_BYTES: usize = 11;

/// The EDNS a plain query carries (RFC 6891 §6.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlainEdns {
    /// The client's UDP payload size, as sent (clamped only by `size_limit`).
    pub max_payload: u16,
    /// DO (RFC 3225 §3), echoed in our OPT.
    pub dnssec_ok: bool,
}

/// A query the wire fast path may answer; borrows the packet it was read from.
#[derive(Clone, Copy, Debug)]
pub struct PlainQuery<'packet> {
    packet: &'packet [u8],
    /// End of the question name (after its root label).
    name_end: usize,
    record_type: RecordType,
    pub edns: Option<PlainEdns>,
}

impl<'packet> PlainQuery<'packet> {
    /// Reads `packet` as a plain query, or `None` when it is anything else (left to the slow path,
    /// which answers, rejects or drops it). Bounded: at most 255 bytes of name are walked.
    pub fn parse(packet: &'packet [u8]) -> Option<PlainQuery<'packet>> {
        let word = |at: usize| match packet.get(at..at + 2) {
            Some(&[high, low]) => Some(u16::from_be_bytes([high, low])),
            _ => None,
        };
        let flags = word(2)?;
        // QR clear and opcode QUERY (bits 11-14): anything else is rejected by the slow path.
        if flags & 0xf800 != 0 {
            return None;
        }
        let (questions, answers, authorities, additionals) =
            (word(4)?, word(6)?, word(8)?, word(10)?);
        if questions != 1 || answers != 0 || authorities != 0 || additionals > 1 {
            return None;
        }
        let name_end = name_end(packet)?;
        let record_type = RecordType::from(word(name_end)?);
        let class = word(name_end + 2)?;
        if class != CLASS_IN || !answerable_type(record_type) {
            return None;
        }
        let question_end = name_end + 4;
        let edns = match additionals {
            0 => None,
            _ => Some(bare_opt(packet.get(question_end..)?)?),
        };
        let end = question_end + if edns.is_some() { BARE_OPT_BYTES } else { 0 };
        // Trailing bytes are FORMERR on the slow path (message.rs); never answer them here.
        if packet.len() != end {
            return None;
        }
        Some(PlainQuery {
            packet,
            name_end,
            record_type,
            edns,
        })
    }

    pub fn id(&self) -> u16 {
        u16::from_be_bytes([self.byte(0), self.byte(1)])
    }

    pub fn recursion_desired(&self) -> bool {
        self.byte(2) & 0x01 != 0
    }

    /// AD in a query (RFC 6840 §5.7): the client wants to know whether the answer is secure.
    pub fn authentic_data(&self) -> bool {
        self.byte(3) & 0x20 != 0
    }

    pub fn checking_disabled(&self) -> bool {
        self.byte(3) & 0x10 != 0
    }

    pub fn record_type(&self) -> RecordType {
        self.record_type
    }

    /// The question name in wire form, letter case as the client sent it.
    pub fn name(&self) -> &'packet [u8] {
        self.packet
            .get(HEADER_BYTES..self.name_end)
            .unwrap_or_default()
    }

    /// The whole question (name, type, class) as sent, to be echoed (RFC 1035 §7.1, 0x20 clients).
    pub fn question(&self) -> &'packet [u8] {
        self.packet
            .get(HEADER_BYTES..self.name_end + 4)
            .unwrap_or_default()
    }

    /// The largest response this client may get: as `message::size_limit`.
    pub fn size_limit(&self, protocol: Protocol) -> usize {
        match (protocol, self.edns) {
            (Protocol::Tcp, _) => MAX_TCP_PAYLOAD,
            (Protocol::Udp, None) => usize::from(MIN_UDP_PAYLOAD),
            (Protocol::Udp, Some(edns)) => {
                usize::from(edns.max_payload.clamp(MIN_UDP_PAYLOAD, MAX_UDP_PAYLOAD))
            }
        }
    }

    fn byte(&self, at: usize) -> u8 {
        self.packet.get(at).copied().unwrap_or(0)
    }
}

/// Where the question name ends, if it is uncompressed, well-formed and at most 255 bytes.
fn name_end(packet: &[u8]) -> Option<usize> {
    Some(HEADER_BYTES + uncompressed_name_length(packet.get(HEADER_BYTES..)?)?)
}

/// The length of the uncompressed name at the start of `bytes`, root label included; `None`
/// for a pointer or a reserved label type (the slow path decides what they mean), a name cut
/// short, or one over `MAX_NAME_BYTES`. Also reads the owner names of stored records.
pub(crate) fn uncompressed_name_length(bytes: &[u8]) -> Option<usize> {
    let mut position = 0;
    // Each pass consumes at least one byte of a name that may not exceed MAX_NAME_BYTES.
    while position < MAX_NAME_BYTES {
        let length = usize::from(*bytes.get(position)?);
        if length == 0 {
            return Some(position + 1);
        }
        if length & 0xc0 != 0 {
            return None;
        }
        position += 1 + length;
    }
    None
}

/// Types whose cached answer the message path would send as it is: not meta queries (zone
/// transfers, ANY, OPT, TSIG: refused or special), not DNSSEC types (stripped or kept by DO).
fn answerable_type(record_type: RecordType) -> bool {
    let code = u16::from(record_type);
    // RFC 6895 §3.1: 128-255 are meta and question-only types (and OPT, 41, is meta).
    !(128..=255).contains(&code) && code != TYPE_OPT && code != 0 && !record_type.is_dnssec()
}

/// An OPT with root owner, version 0, no extended rcode and no options; `None` for anything else.
fn bare_opt(bytes: &[u8]) -> Option<PlainEdns> {
    let opt = bytes.get(..BARE_OPT_BYTES)?;
    let [owner, type_high, type_low, size_high, size_low, extended_rcode, version, flags_high, _, length_high, length_low] =
        *opt
    else {
        return None;
    };
    let record_type = u16::from_be_bytes([type_high, type_low]);
    let length = u16::from_be_bytes([length_high, length_low]);
    if owner != 0 || record_type != TYPE_OPT || extended_rcode != 0 || version != 0 || length != 0 {
        return None;
    }
    Some(PlainEdns {
        max_payload: u16::from_be_bytes([size_high, size_low]),
        dnssec_ok: flags_high & 0x80 != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query for www.Example.com A, RD set, ID 0x1234, with `extra` appended and ARCOUNT given.
    fn query(additionals: u8, extra: &[u8]) -> Vec<u8> {
        let mut packet = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, additionals];
        packet.extend_from_slice(b"\x03www\x07Example\x03com\x00\x00\x01\x00\x01");
        packet.extend_from_slice(extra);
        packet
    }

    const OPT_DO: &[u8] = &[0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 0];

    #[test]
    fn plain_query_fields_are_read_from_the_bytes() {
        let packet = query(0, &[]);
        let plain = PlainQuery::parse(&packet).unwrap();
        assert_eq!(plain.id(), 0x1234);
        assert!(plain.recursion_desired());
        assert!(!plain.checking_disabled());
        assert_eq!(plain.record_type(), RecordType::A);
        assert_eq!(plain.name(), b"\x03www\x07Example\x03com\x00");
        assert_eq!(plain.question().len(), plain.name().len() + 4);
        assert_eq!(plain.edns, None);
        assert_eq!(plain.size_limit(Protocol::Udp), 512);
    }

    #[test]
    fn bare_opt_is_read_and_payload_clamped() {
        let packet = query(1, OPT_DO);
        let plain = PlainQuery::parse(&packet).unwrap();
        assert_eq!(
            plain.edns,
            Some(PlainEdns {
                max_payload: 4096,
                dnssec_ok: true
            })
        );
        assert_eq!(plain.size_limit(Protocol::Udp), 1232);
        assert_eq!(plain.size_limit(Protocol::Tcp), 65_535);
    }

    #[test]
    fn anything_unusual_is_left_to_the_slow_path() {
        let mut opt_with_option = OPT_DO.to_vec();
        opt_with_option[10] = 4;
        opt_with_option.extend_from_slice(&[0, 10, 0, 0]);
        let mut version_one = OPT_DO.to_vec();
        version_one[6] = 1;
        let cases: Vec<Vec<u8>> = vec![
            query(0, &[0]), // trailing byte
            query(1, &[]),  // ARCOUNT without the record
            query(1, &opt_with_option),
            query(1, &version_one),
            query(2, OPT_DO),
            {
                let mut response = query(0, &[]);
                response[2] |= 0x80;
                response
            },
            {
                let mut notify = query(0, &[]);
                notify[2] |= 4 << 3;
                notify
            },
            {
                let mut chaos = query(0, &[]);
                let last = chaos.len() - 1;
                chaos[last] = 3;
                chaos
            },
            {
                let mut axfr = query(0, &[]);
                let at = axfr.len() - 3;
                axfr[at] = 252;
                axfr
            },
            {
                let mut rrsig = query(0, &[]);
                let at = rrsig.len() - 3;
                rrsig[at] = 46;
                rrsig
            },
            vec![
                0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1,
            ],
        ];
        for (index, packet) in cases.iter().enumerate() {
            assert!(
                PlainQuery::parse(packet).is_none(),
                "case {index} was taken"
            );
        }
    }

    #[test]
    fn truncated_and_garbage_packets_never_panic() {
        let full = query(1, OPT_DO);
        for end in 0..full.len() {
            assert!(PlainQuery::parse(&full[..end]).is_none(), "prefix {end}");
        }
        // A deterministic spread of byte patterns (no randomness in tests).
        let mut state: u32 = 0x9e37_79b9;
        for _ in 0..20_000 {
            let mut packet = full.clone();
            for _ in 0..3 {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let at = (state >> 8) as usize % packet.len();
                packet[at] = (state >> 24) as u8;
            }
            if let Some(plain) = PlainQuery::parse(&packet) {
                assert!(plain.name().len() <= MAX_NAME_BYTES);
            }
        }
        let long_name: Vec<u8> = [&query(0, &[])[..12], &[63u8; 300][..]].concat();
        assert!(PlainQuery::parse(&long_name).is_none());
    }
}
