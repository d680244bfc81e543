//! dig's text for names, records and questions, the one place rdig's presentation lives: tab stops
//! at columns 24/32/40/48 (BIND `masterdump.c`), BIND's type mnemonics, names with dig's escapes,
//! and RDATA formatted from its wire bytes as each BIND `totext` does (RFC 3597 `\#` otherwise).
//! Pure: never reads the network or the terminal; hickory's own Display is not used for output.

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::domain::Label;
use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

/// BIND's default style columns (`dns_master_style_default` as dig uses it).
const TTL_COLUMN: usize = 24;
const CLASS_COLUMN: usize = 32;
const TYPE_COLUMN: usize = 40;
const RDATA_COLUMN: usize = 48;
const TAB_WIDTH: usize = 8;

/// BIND `indent()`: tabs to reach `to`, at least one character of separation, spaces when a tab
/// would overshoot. Returns the new column.
fn indent(line: &mut String, current: usize, to: usize) -> usize {
    let to = to.max(current + 1);
    let tabs = to / TAB_WIDTH - current / TAB_WIDTH;
    let mut from = current;
    if tabs > 0 {
        line.extend(std::iter::repeat_n('\t', tabs));
        from = (to / TAB_WIDTH) * TAB_WIDTH;
    }
    line.extend(std::iter::repeat_n(' ', to.saturating_sub(from)));
    to
}

/// Appends `text` at `column` and returns the column after it.
fn push_at(line: &mut String, column: usize, text: &str) -> usize {
    line.push_str(text);
    column + text.chars().count()
}

/// dig's type mnemonics (BIND 9.18 `lib/dns/rdatatype` table), by number.
const TYPE_MNEMONICS: &[(u16, &str)] = &[
    (1, "A"),
    (2, "NS"),
    (3, "MD"),
    (4, "MF"),
    (5, "CNAME"),
    (6, "SOA"),
    (7, "MB"),
    (8, "MG"),
    (9, "MR"),
    (10, "NULL"),
    (11, "WKS"),
    (12, "PTR"),
    (13, "HINFO"),
    (14, "MINFO"),
    (15, "MX"),
    (16, "TXT"),
    (17, "RP"),
    (18, "AFSDB"),
    (19, "X25"),
    (20, "ISDN"),
    (21, "RT"),
    (22, "NSAP"),
    (23, "NSAP-PTR"),
    (24, "SIG"),
    (25, "KEY"),
    (26, "PX"),
    (27, "GPOS"),
    (28, "AAAA"),
    (29, "LOC"),
    (30, "NXT"),
    (31, "EID"),
    (32, "NIMLOC"),
    (33, "SRV"),
    (34, "ATMA"),
    (35, "NAPTR"),
    (36, "KX"),
    (37, "CERT"),
    (38, "A6"),
    (39, "DNAME"),
    (40, "SINK"),
    (41, "OPT"),
    (42, "APL"),
    (43, "DS"),
    (44, "SSHFP"),
    (45, "IPSECKEY"),
    (46, "RRSIG"),
    (47, "NSEC"),
    (48, "DNSKEY"),
    (49, "DHCID"),
    (50, "NSEC3"),
    (51, "NSEC3PARAM"),
    (52, "TLSA"),
    (53, "SMIMEA"),
    (55, "HIP"),
    (56, "NINFO"),
    (57, "RKEY"),
    (58, "TALINK"),
    (59, "CDS"),
    (60, "CDNSKEY"),
    (61, "OPENPGPKEY"),
    (62, "CSYNC"),
    (63, "ZONEMD"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (99, "SPF"),
    (100, "UINFO"),
    (101, "UID"),
    (102, "GID"),
    (103, "UNSPEC"),
    (104, "NID"),
    (105, "L32"),
    (106, "L64"),
    (107, "LP"),
    (108, "EUI48"),
    (109, "EUI64"),
    (249, "TKEY"),
    (250, "TSIG"),
    (251, "IXFR"),
    (252, "AXFR"),
    (253, "MAILB"),
    (254, "MAILA"),
    (255, "ANY"),
    (256, "URI"),
    (257, "CAA"),
    (258, "AVC"),
    (259, "DOA"),
    (260, "AMTRELAY"),
    (261, "RESINFO"),
    (32768, "TA"),
    (32769, "DLV"),
];

/// The mnemonic dig uses for type `code`, if it has one.
pub fn type_mnemonic(code: u16) -> Option<&'static str> {
    TYPE_MNEMONICS
        .iter()
        .find(|(number, _)| *number == code)
        .map(|(_, name)| *name)
}

/// The type code of a dig mnemonic (any case), if dig knows it.
pub fn type_from_mnemonic(word: &str) -> Option<u16> {
    TYPE_MNEMONICS
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(word))
        .map(|(number, _)| *number)
}

/// dig's type mnemonic; types without one as RFC 3597 `TYPEnnn`.
pub fn type_text(record_type: RecordType) -> String {
    let code = u16::from(record_type);
    match type_mnemonic(code) {
        Some(name) => name.to_string(),
        None => format!("TYPE{code}"),
    }
}

/// dig's class mnemonic; unknown classes as RFC 3597 `CLASSnnn`.
pub fn class_text(class: DNSClass) -> String {
    match class {
        DNSClass::IN | DNSClass::CH | DNSClass::HS | DNSClass::NONE | DNSClass::ANY => {
            class.to_string()
        }
        other => format!("CLASS{}", u16::from(other)),
    }
}

/// dig's rcode names (RFC 6895 §2.3 registry mnemonics).
pub fn rcode_text(code: ResponseCode) -> String {
    let value = u16::from(code);
    let name = match value {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        23 => "BADCOOKIE",
        _ => return format!("RESERVED{value}"),
    };
    name.to_string()
}

/// One label byte as BIND's `dns_name_totext` writes it: the master-file specials (`"().;\@$`)
/// backslash-escaped, other printable ASCII as is, everything else `\DDD` in decimal (RFC 1035 §5.1:
/// the digits are decimal; an octal `\040` would read back as byte 40, `(`).
fn push_label_byte(text: &mut String, byte: u8) {
    match byte {
        b'"' | b'(' | b')' | b'.' | b';' | b'\\' | b'@' | b'$' => {
            text.push('\\');
            text.push(char::from(byte));
        }
        0x21..=0x7e => text.push(char::from(byte)),
        _ => text.push_str(&format!("\\{byte:03}")),
    }
}

/// How names are shown: as on the wire (dig's default in a pipe), or with IDNA A-labels
/// (`xn--...`) turned back into Unicode (`+idnout`, dig's default on a terminal; RFC 5891 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NameStyle {
    #[default]
    Ascii,
    Unicode,
}

/// One label as text: an A-label decoded when `style` asks and it is valid punycode, else the
/// bytes with dig's escapes.
fn push_label(text: &mut String, label: &[u8], style: NameStyle) {
    let is_a_label = label.len() > 4 && label[..4].eq_ignore_ascii_case(b"xn--");
    if style == NameStyle::Unicode && is_a_label {
        if let Ok(parsed) = Label::from_raw_bytes(label) {
            // hickory's Display decodes valid punycode and falls back to the ASCII form.
            let shown = parsed.to_string();
            if !shown.is_ascii() {
                text.push_str(&shown);
                return;
            }
        }
    }
    for &byte in label {
        push_label_byte(text, byte);
    }
}

/// A name from its labels' bytes, as dig prints it: escaped as above, with the trailing dot.
fn labels_text<'a>(labels: impl Iterator<Item = &'a [u8]>, style: NameStyle) -> String {
    let mut text = String::new();
    for label in labels {
        push_label(&mut text, label, style);
        text.push('.');
    }
    if text.is_empty() {
        text.push('.');
    }
    text
}

/// A domain name as dig prints it: bytes as received (case kept, no IDN decoding), dig's escapes.
pub fn name_text(name: &Name) -> String {
    labels_text(name.iter(), NameStyle::Ascii)
}

/// A domain name in `style`.
pub fn name_text_in(name: &Name, style: NameStyle) -> String {
    labels_text(name.iter(), style)
}

/// A character-string in presentation format (RFC 1035 §5.1): quoted, `"` and `\` escaped,
/// non-printable bytes as `\DDD`.
pub fn quoted_string(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + 2);
    text.push('"');
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => {
                text.push('\\');
                text.push(char::from(byte));
            }
            0x20..=0x7e => text.push(char::from(byte)),
            _ => text.push_str(&format!("\\{byte:03}")),
        }
    }
    text.push('"');
    text
}

/// BIND splits long base64 and hex fields into words of this many characters in dig's one-line
/// style (`tctx->width - 2` rounded to whole base64 quanta), joined by one space.
pub const SPLIT_WORD_CHARACTERS: usize = 56;

/// Splits `text` into words of `split` characters (none when `None`), as dig prints keys, digests
/// and signatures (`+split=W`).
fn split_words(split: Option<usize>, text: &str) -> String {
    chunks(split, text).join(" ")
}

/// `text` in pieces of `split` characters (one piece when `None` or 0).
fn chunks(split: Option<usize>, text: &str) -> Vec<String> {
    let width = split.filter(|width| *width > 0).unwrap_or(usize::MAX);
    let pieces: Vec<String> = text
        .as_bytes()
        .chunks(width.min(text.len().max(1)))
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    if pieces.is_empty() {
        vec![String::new()]
    } else {
        pieces
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// RFC 4648 §4 base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let group = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        for index in 0..4 {
            if index <= chunk.len() {
                let sextet = (group >> (18 - 6 * index)) & 0x3f;
                text.push(char::from(ALPHABET[sextet as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// RFC 4648 §7 base32hex without padding, upper case, as NSEC3 next-hashed names (RFC 5155 §3.3).
fn base32hex(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";
    let mut text = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(char::from(ALPHABET[((buffer >> bits) & 0x1f) as usize]));
        }
    }
    if bits > 0 {
        text.push(char::from(
            ALPHABET[((buffer << (5 - bits)) & 0x1f) as usize],
        ));
    }
    text
}

/// Name compression pointers followed while reading one name: a name has at most 127 labels, so
/// more hops than that is a loop (RFC 1035 §4.1.4 pointers must point backwards, we only bound).
const MAX_POINTER_HOPS: usize = 128;

/// A cursor over RDATA bytes; every read fails (None) rather than panics on short data.
struct WireReader<'a> {
    bytes: &'a [u8],
    position: usize,
    style: NameStyle,
    /// Characters per word of long base64/hex fields (`+split`), None for one word.
    split: Option<usize>,
}

impl<'a> WireReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        WireReader {
            bytes,
            position: 0,
            style: NameStyle::Ascii,
            split: Some(SPLIT_WORD_CHARACTERS),
        }
    }

    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let end = self.position.checked_add(count)?;
        let slice = self.bytes.get(self.position..end)?;
        self.position = end;
        Some(slice)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|bytes| bytes[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2)
            .map(|bytes| u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|bytes| u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.position..).unwrap_or_default();
        self.position = self.bytes.len();
        rest
    }

    fn at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    /// A `<character-string>` (RFC 1035 §3.3), quoted.
    fn string(&mut self) -> Option<String> {
        let length = self.u8()?;
        self.take(usize::from(length)).map(quoted_string)
    }

    /// A domain name; pointers are followed within these same bytes (hickory re-encodes RDATA
    /// on its own, so a pointer's offset is relative to the RDATA).
    fn name(&mut self) -> Option<String> {
        let (labels, next) = read_labels(self.bytes, self.position, self.bytes)?;
        self.position = next;
        Some(labels_text(labels.into_iter(), self.style))
    }
}

/// Reads a name's labels from `bytes` at `start`; a compression pointer continues in
/// `pointer_base` (the whole message for RDATA as received). Returns the labels and the position
/// after the name in `bytes`.
fn read_labels<'a>(
    bytes: &'a [u8],
    start: usize,
    pointer_base: &'a [u8],
) -> Option<(Vec<&'a [u8]>, usize)> {
    let mut labels: Vec<&'a [u8]> = Vec::new();
    let mut source = bytes;
    let mut cursor = start;
    let mut resume: Option<usize> = None;
    let mut hops = 0;
    loop {
        let length = *source.get(cursor)?;
        match length {
            0 => {
                cursor += 1;
                break;
            }
            1..=63 => {
                let label_start = cursor + 1;
                let end = label_start + usize::from(length);
                labels.push(source.get(label_start..end)?);
                cursor = end;
            }
            0xc0..=0xff => {
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return None;
                }
                let low = *source.get(cursor + 1)?;
                resume.get_or_insert(cursor + 2);
                source = pointer_base;
                cursor = (usize::from(length & 0x3f) << 8) | usize::from(low);
            }
            _ => return None,
        }
    }
    Some((labels, resume.unwrap_or(cursor)))
}

/// RFC 1035 types hickory does not decode whose RDATA is names that a server may compress
/// (RFC 3597 §4 allows it for these only): MD, MF, MB, MG, MR, MINFO.
const COMPRESSIBLE_UNDECODED_TYPES: [u16; 6] = [3, 4, 7, 8, 9, 14];

/// Expands the compressed names in the RDATA of those records against `wire`, the message as
/// received: hickory keeps their RDATA raw, and a pointer means nothing outside the message.
pub fn expand_compressed_names(message: &mut Message, wire: &[u8]) {
    let records = message
        .answers
        .iter_mut()
        .chain(message.authorities.iter_mut())
        .chain(message.additionals.iter_mut());
    for record in records {
        let RData::Unknown { code, rdata } = &record.data else {
            continue;
        };
        if !COMPRESSIBLE_UNDECODED_TYPES.contains(&u16::from(*code)) {
            continue;
        }
        let raw = &rdata.anything;
        let mut expanded = Vec::with_capacity(raw.len());
        let mut position = 0;
        while position < raw.len() {
            let Some((labels, next)) = read_labels(raw, position, wire) else {
                break;
            };
            for label in labels {
                expanded.push(label.len() as u8);
                expanded.extend_from_slice(label);
            }
            expanded.push(0);
            position = next;
        }
        if position == raw.len() {
            record.data = RData::Unknown {
                code: *code,
                rdata: NULL::with(expanded),
            };
        }
    }
}

/// The type-bitmap of NSEC/NSEC3/CSYNC (RFC 4034 §4.1.2) as mnemonics.
fn type_bitmap_text(bitmap: &[u8]) -> Option<String> {
    let mut reader = WireReader::new(bitmap);
    let mut types = Vec::new();
    while !reader.at_end() {
        let window = reader.u8()?;
        let length = reader.u8()?;
        let bits = reader.take(usize::from(length))?;
        for (index, byte) in bits.iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    let code = (u16::from(window) << 8) | (index as u16 * 8 + bit);
                    types.push(type_text(RecordType::from(code)));
                }
            }
        }
    }
    Some(types.join(" "))
}

/// DNSSEC algorithm mnemonics BIND prints in CERT (`dns_secalg_totext`).
fn algorithm_text(number: u8) -> String {
    let name = match number {
        1 => "RSAMD5",
        2 => "DH",
        3 => "DSA",
        5 => "RSASHA1",
        6 => "NSEC3DSA",
        7 => "NSEC3RSASHA1",
        8 => "RSASHA256",
        10 => "RSASHA512",
        12 => "ECCGOST",
        13 => "ECDSAP256SHA256",
        14 => "ECDSAP384SHA384",
        15 => "ED25519",
        16 => "ED448",
        252 => "INDIRECT",
        253 => "PRIVATEDNS",
        254 => "PRIVATEOID",
        _ => return number.to_string(),
    };
    name.to_string()
}

/// RFC 4398 §2.1 certificate type mnemonics.
fn cert_type_text(number: u16) -> String {
    let name = match number {
        1 => "PKIX",
        2 => "SPKI",
        3 => "PGP",
        4 => "IPKIX",
        5 => "ISPKI",
        6 => "IPGP",
        7 => "ACPKIX",
        8 => "IACPKIX",
        253 => "URI",
        254 => "OID",
        _ => return number.to_string(),
    };
    name.to_string()
}

/// RRSIG times (RFC 4034 §3.2) as `YYYYMMDDHHmmSS`.
fn signature_time(seconds: u32) -> String {
    let seconds = i64::from(seconds);
    let (year, month, day) = crate::dig::when::civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// LOC sizes and precisions (RFC 1876 §2): mantissa and power of ten, in centimetres.
fn loc_size(byte: u8) -> String {
    let mantissa = u64::from((byte >> 4) % 10);
    let exponent = u32::from((byte & 0x0f) % 10);
    let centimetres = mantissa * 10u64.pow(exponent);
    if exponent >= 2 {
        format!("{}m", centimetres / 100)
    } else {
        format!("{}.{:02}m", centimetres / 100, centimetres % 100)
    }
}

/// LOC latitude or longitude: thousandths of arc seconds from 2^31 (RFC 1876 §2).
fn loc_angle(raw: u32, positive: char, negative: char) -> String {
    let offset = i64::from(raw) - (1i64 << 31);
    let hemisphere = if offset < 0 { negative } else { positive };
    let value = offset.unsigned_abs();
    format!(
        "{} {} {}.{:03} {hemisphere}",
        value / 3_600_000,
        value / 60_000 % 60,
        value / 1000 % 60,
        value % 1000
    )
}

fn loc_text(reader: &mut WireReader<'_>) -> Option<String> {
    if reader.u8()? != 0 {
        return None;
    }
    let size = reader.u8()?;
    let horizontal = reader.u8()?;
    let vertical = reader.u8()?;
    let latitude = reader.u32()?;
    let longitude = reader.u32()?;
    let altitude = i64::from(reader.u32()?) - 10_000_000;
    let sign = if altitude < 0 { "-" } else { "" };
    let centimetres = altitude.unsigned_abs();
    Some(format!(
        "{} {} {sign}{}.{:02}m {} {} {}",
        loc_angle(latitude, 'N', 'S'),
        loc_angle(longitude, 'E', 'W'),
        centimetres / 100,
        centimetres % 100,
        loc_size(size),
        loc_size(horizontal),
        loc_size(vertical)
    ))
}

/// RFC 9460 §14.3.2 key names, as BIND 9.18 prints them.
fn svc_key_text(key: u16) -> String {
    match key {
        0 => "mandatory".to_string(),
        1 => "alpn".to_string(),
        2 => "no-default-alpn".to_string(),
        3 => "port".to_string(),
        4 => "ipv4hint".to_string(),
        5 => "ech".to_string(),
        6 => "ipv6hint".to_string(),
        7 => "dohpath".to_string(),
        other => format!("key{other}"),
    }
}

/// A SvcParam value's bytes inside quotes, escaping like BIND (`"`/`\` and, in lists, `,`).
fn svc_quoted(bytes: &[u8], escape_comma: bool) -> String {
    let mut text = String::new();
    for &byte in bytes {
        match byte {
            b',' if escape_comma => text.push_str("\\\\,"),
            b'\\' if escape_comma => text.push_str("\\\\\\\\"),
            b'"' | b'\\' => {
                text.push('\\');
                text.push(char::from(byte));
            }
            0x20..=0x7e => text.push(char::from(byte)),
            _ => text.push_str(&format!("\\{byte:03}")),
        }
    }
    text
}

fn svc_param_text(key: u16, value: &[u8]) -> Option<String> {
    let name = svc_key_text(key);
    let mut reader = WireReader::new(value);
    let text = match key {
        0 => {
            let mut keys = Vec::new();
            while !reader.at_end() {
                keys.push(svc_key_text(reader.u16()?));
            }
            format!("{name}={}", keys.join(","))
        }
        1 => {
            let mut protocols = Vec::new();
            while !reader.at_end() {
                let length = reader.u8()?;
                protocols.push(svc_quoted(reader.take(usize::from(length))?, true));
            }
            format!("{name}=\"{}\"", protocols.join(","))
        }
        2 if value.is_empty() => name,
        3 => format!("{name}={}", reader.u16()?),
        4 => {
            let mut addresses = Vec::new();
            while !reader.at_end() {
                let octets = reader.take(4)?;
                addresses.push(
                    std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]).to_string(),
                );
            }
            format!("{name}={}", addresses.join(","))
        }
        5 => format!("{name}={}", base64(value)),
        6 => {
            let mut addresses = Vec::new();
            while !reader.at_end() {
                let octets: [u8; 16] = reader.take(16)?.try_into().ok()?;
                addresses.push(std::net::Ipv6Addr::from(octets).to_string());
            }
            format!("{name}={}", addresses.join(","))
        }
        _ if value.is_empty() => name,
        _ => format!("{name}=\"{}\"", svc_quoted(value, false)),
    };
    Some(text)
}

fn svcb_text(reader: &mut WireReader<'_>) -> Option<String> {
    let mut parts = vec![reader.u16()?.to_string(), reader.name()?];
    while !reader.at_end() {
        let key = reader.u16()?;
        let length = reader.u16()?;
        parts.push(svc_param_text(key, reader.take(usize::from(length))?)?);
    }
    Some(parts.join(" "))
}

fn ipseckey_text(reader: &mut WireReader<'_>) -> Option<String> {
    let precedence = reader.u8()?;
    let gateway_type = reader.u8()?;
    let algorithm = reader.u8()?;
    let gateway = match gateway_type {
        0 => ".".to_string(),
        1 => {
            let octets = reader.take(4)?;
            std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]).to_string()
        }
        2 => {
            let octets: [u8; 16] = reader.take(16)?.try_into().ok()?;
            std::net::Ipv6Addr::from(octets).to_string()
        }
        3 => reader.name()?,
        _ => return None,
    };
    let mut text = format!("{precedence} {gateway_type} {algorithm} {gateway}");
    let split = reader.split;
    let key = reader.rest();
    if !key.is_empty() {
        text.push(' ');
        text.push_str(&split_words(split, &base64(key)));
    }
    Some(text)
}

/// APL items (RFC 3123 §4): `[!]family:address/prefix`.
fn apl_text(reader: &mut WireReader<'_>) -> Option<String> {
    let mut items = Vec::new();
    while !reader.at_end() {
        let family = reader.u16()?;
        let prefix = reader.u8()?;
        let flags = reader.u8()?;
        let address = reader.take(usize::from(flags & 0x7f))?;
        let negation = if flags & 0x80 != 0 { "!" } else { "" };
        let text = match family {
            1 => {
                let mut octets = [0u8; 4];
                octets.get_mut(..address.len())?.copy_from_slice(address);
                std::net::Ipv4Addr::from(octets).to_string()
            }
            2 => {
                let mut octets = [0u8; 16];
                octets.get_mut(..address.len())?.copy_from_slice(address);
                std::net::Ipv6Addr::from(octets).to_string()
            }
            _ => return None,
        };
        items.push(format!("{negation}{family}:{text}/{prefix}"));
    }
    Some(items.join(" "))
}

/// WKS (RFC 1035 §3.4.2): address, protocol number, and the ports whose bits are set.
fn wks_text(reader: &mut WireReader<'_>) -> Option<String> {
    let octets = reader.take(4)?;
    let address = std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]);
    let protocol = reader.u8()?;
    let mut text = format!("{address} {protocol}");
    for (index, byte) in reader.rest().iter().enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                text.push_str(&format!(" {}", index * 8 + bit));
            }
        }
    }
    Some(text)
}

/// NXT's bitmap (RFC 2535 §5.2): bit N, counting from the first byte's high bit, is type N.
fn old_type_bitmap_text(bitmap: &[u8]) -> String {
    let mut types = Vec::new();
    for (index, byte) in bitmap.iter().enumerate() {
        for bit in 0..8u16 {
            if byte & (0x80 >> bit) != 0 {
                let code = u16::try_from(index).unwrap_or(u16::MAX).saturating_mul(8) + bit;
                types.push(type_text(RecordType::from(code)));
            }
        }
    }
    types.join(" ")
}

/// A6 (RFC 2874 §3.1.1): prefix length, the address suffix, and the prefix name if any.
fn a6_text(reader: &mut WireReader<'_>) -> Option<String> {
    let prefix_length = reader.u8()?;
    if prefix_length > 128 {
        return None;
    }
    let suffix_bytes = usize::from(128 - prefix_length).div_ceil(8);
    let mut octets = [0u8; 16];
    octets
        .get_mut(16 - suffix_bytes..)?
        .copy_from_slice(reader.take(suffix_bytes)?);
    let suffix = std::net::Ipv6Addr::from(octets);
    if prefix_length == 0 {
        Some(format!("0 {suffix}"))
    } else {
        Some(format!("{prefix_length} {suffix} {}", reader.name()?))
    }
}

/// HIP (RFC 8005 §5): algorithm, HIT in hex, public key in base64 (not split), servers.
fn hip_text(reader: &mut WireReader<'_>) -> Option<String> {
    let hit_length = reader.u8()?;
    let algorithm = reader.u8()?;
    let key_length = reader.u16()?;
    let hit = hex_upper(reader.take(usize::from(hit_length))?);
    let key = base64(reader.take(usize::from(key_length))?);
    let mut text = format!("{algorithm} {hit} {key}");
    while !reader.at_end() {
        text.push(' ');
        text.push_str(&reader.name()?);
    }
    Some(text)
}

/// AMTRELAY (RFC 8777 §4.3): precedence, discovery-optional bit, relay type, relay.
fn amtrelay_text(reader: &mut WireReader<'_>) -> Option<String> {
    let precedence = reader.u8()?;
    let flags = reader.u8()?;
    let discovery = flags >> 7;
    let relay_type = flags & 0x7f;
    let relay = match relay_type {
        0 => ".".to_string(),
        1 => {
            let octets = reader.take(4)?;
            std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]).to_string()
        }
        2 => {
            let octets: [u8; 16] = reader.take(16)?.try_into().ok()?;
            std::net::Ipv6Addr::from(octets).to_string()
        }
        3 => reader.name()?,
        _ => return None,
    };
    Some(format!("{precedence} {discovery} {relay_type} {relay}"))
}

/// TKEY (RFC 2930 §2): algorithm, times, mode, error, then the key and other data with sizes.
fn tkey_text(reader: &mut WireReader<'_>) -> Option<String> {
    let algorithm = reader.name()?;
    let head = format!("{} {} {}", reader.u32()?, reader.u32()?, reader.u16()?);
    let error_code = reader.u16()?;
    let error_text = match error_code {
        0 => "NOERROR".to_string(),
        16 => "BADSIG".to_string(),
        17 => "BADKEY".to_string(),
        18 => "BADTIME".to_string(),
        19 => "BADMODE".to_string(),
        20 => "BADNAME".to_string(),
        21 => "BADALG".to_string(),
        22 => "BADTRUNC".to_string(),
        other => other.to_string(),
    };
    let key_length = reader.u16()?;
    let key = reader.take(usize::from(key_length))?;
    let mut text = format!("{algorithm} {head} {error_text} {key_length}");
    if !key.is_empty() {
        text.push(' ');
        text.push_str(&base64(key));
    }
    let other_length = reader.u16()?;
    let other = reader.take(usize::from(other_length))?;
    text.push_str(&format!(" {other_length}"));
    if !other.is_empty() {
        text.push(' ');
        text.push_str(&base64(other));
    }
    Some(text)
}

/// Four 16-bit groups as NID/L64 print them (`%x:%x:%x:%x`, RFC 6742 §2.3).
fn locator64_text(bytes: &[u8]) -> String {
    bytes
        .chunks(2)
        .map(|pair| {
            let high = pair.first().copied().unwrap_or(0);
            let low = pair.get(1).copied().unwrap_or(0);
            format!("{:x}", u16::from_be_bytes([high, low]))
        })
        .collect::<Vec<_>>()
        .join(":")
}

fn strings_text(reader: &mut WireReader<'_>) -> Option<String> {
    let mut strings = Vec::new();
    while !reader.at_end() {
        strings.push(reader.string()?);
    }
    Some(strings.join(" "))
}

/// RDATA of type `code` from its uncompressed wire bytes, in BIND 9.18's presentation (the
/// `totext` function of each `lib/dns/rdata/*/*.c`); None for types dig prints as RFC 3597.
fn wire_rdata_text(
    code: u16,
    bytes: &[u8],
    style: NameStyle,
    split: Option<usize>,
) -> Option<String> {
    let mut reader = WireReader::new(bytes);
    reader.style = style;
    reader.split = split;
    let reader = &mut reader;
    let text = match code {
        1 => {
            let octets = reader.take(4)?;
            std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]).to_string()
        }
        28 => {
            let octets: [u8; 16] = reader.take(16)?.try_into().ok()?;
            std::net::Ipv6Addr::from(octets).to_string()
        }
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39 => reader.name()?,
        6 => {
            let primary = reader.name()?;
            let mailbox = reader.name()?;
            format!(
                "{primary} {mailbox} {} {} {} {} {}",
                reader.u32()?,
                reader.u32()?,
                reader.u32()?,
                reader.u32()?,
                reader.u32()?
            )
        }
        11 => wks_text(reader)?,
        13 => format!("{} {}", reader.string()?, reader.string()?),
        14 | 17 => format!("{} {}", reader.name()?, reader.name()?),
        15 | 18 | 21 | 36 | 107 => format!("{} {}", reader.u16()?, reader.name()?),
        16 | 19 | 20 | 27 | 56 | 99 | 258 | 261 => strings_text(reader)?,
        23 => reader.name()?,
        30 => {
            let next = reader.name()?;
            let types = old_type_bitmap_text(reader.rest());
            if types.is_empty() {
                next
            } else {
                format!("{next} {types}")
            }
        }
        31 | 32 => split_words(split, &hex_upper(reader.rest())),
        34 => match reader.u8()? {
            0 => hex_lower(reader.rest()),
            1 => format!("+{}", String::from_utf8_lossy(reader.rest())),
            _ => return None,
        },
        38 => a6_text(reader)?,
        40 => {
            let head = format!("{} {} {}", reader.u8()?, reader.u8()?, reader.u8()?);
            format!("{head} {}", base64(reader.rest()))
        }
        55 => hip_text(reader)?,
        58 => format!("{} {}", reader.name()?, reader.name()?),
        249 => tkey_text(reader)?,
        259 => {
            let head = format!("{} {} {}", reader.u32()?, reader.u32()?, reader.u8()?);
            let media_type = reader.string()?;
            let data = reader.rest();
            if data.is_empty() {
                return None;
            }
            format!("{head} {media_type} {}", base64(data))
        }
        260 => amtrelay_text(reader)?,
        22 => format!("0x{}", hex_lower(reader.rest())),
        26 => format!("{} {} {}", reader.u16()?, reader.name()?, reader.name()?),
        29 => loc_text(reader)?,
        33 => format!(
            "{} {} {} {}",
            reader.u16()?,
            reader.u16()?,
            reader.u16()?,
            reader.name()?
        ),
        35 => format!(
            "{} {} {} {} {} {}",
            reader.u16()?,
            reader.u16()?,
            reader.string()?,
            reader.string()?,
            reader.string()?,
            reader.name()?
        ),
        37 => format!(
            "{} {} {} {}",
            cert_type_text(reader.u16()?),
            reader.u16()?,
            algorithm_text(reader.u8()?),
            split_words(split, &base64(reader.rest()))
        ),
        42 => apl_text(reader)?,
        43 | 59 | 32768 | 32769 => format!(
            "{} {} {} {}",
            reader.u16()?,
            reader.u8()?,
            reader.u8()?,
            split_words(split, &hex_upper(reader.rest()))
        ),
        44 => format!(
            "{} {} {}",
            reader.u8()?,
            reader.u8()?,
            split_words(split, &hex_upper(reader.rest()))
        ),
        45 => ipseckey_text(reader)?,
        46 | 24 => format!(
            "{} {} {} {} {} {} {} {} {}",
            type_text(RecordType::from(reader.u16()?)),
            reader.u8()?,
            reader.u8()?,
            reader.u32()?,
            signature_time(reader.u32()?),
            signature_time(reader.u32()?),
            reader.u16()?,
            reader.name()?,
            split_words(split, &base64(reader.rest()))
        ),
        47 => {
            let next = reader.name()?;
            let types = type_bitmap_text(reader.rest())?;
            if types.is_empty() {
                next
            } else {
                format!("{next} {types}")
            }
        }
        25 | 48 | 57 | 60 => format!(
            "{} {} {} {}",
            reader.u16()?,
            reader.u8()?,
            reader.u8()?,
            split_words(split, &base64(reader.rest()))
        ),
        49 | 61 => split_words(split, &base64(reader.rest())),
        50 => {
            let algorithm = reader.u8()?;
            let flags = reader.u8()?;
            let iterations = reader.u16()?;
            let salt_length = reader.u8()?;
            let salt = reader.take(usize::from(salt_length))?;
            let hash_length = reader.u8()?;
            let next = base32hex(reader.take(usize::from(hash_length))?);
            let types = type_bitmap_text(reader.rest())?;
            let salt = if salt.is_empty() {
                "-".to_string()
            } else {
                hex_upper(salt)
            };
            let mut text = format!("{algorithm} {flags} {iterations} {salt} {next}");
            if !types.is_empty() {
                text.push(' ');
                text.push_str(&types);
            }
            text
        }
        51 => {
            let head = format!("{} {} {}", reader.u8()?, reader.u8()?, reader.u16()?);
            let salt_length = reader.u8()?;
            let salt = reader.take(usize::from(salt_length))?;
            let salt = if salt.is_empty() {
                "-".to_string()
            } else {
                hex_upper(salt)
            };
            format!("{head} {salt}")
        }
        52 | 53 => format!(
            "{} {} {} {}",
            reader.u8()?,
            reader.u8()?,
            reader.u8()?,
            split_words(split, &hex_upper(reader.rest()))
        ),
        62 => format!(
            "{} {} {}",
            reader.u32()?,
            reader.u16()?,
            type_bitmap_text(reader.rest())?
        ),
        63 => format!(
            "{} {} {} {}",
            reader.u32()?,
            reader.u8()?,
            reader.u8()?,
            split_words(split, &hex_upper(reader.rest()))
        ),
        64 | 65 => svcb_text(reader)?,
        104 | 106 => format!("{} {}", reader.u16()?, locator64_text(reader.take(8)?)),
        105 => {
            let preference = reader.u16()?;
            let octets = reader.take(4)?;
            let address = std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]);
            format!("{preference} {address}")
        }
        108 | 109 => {
            let length = if code == 108 { 6 } else { 8 };
            let octets = reader.take(length)?;
            octets
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect::<Vec<_>>()
                .join("-")
        }
        256 => {
            let priority = reader.u16()?;
            let weight = reader.u16()?;
            format!("{priority} {weight} {}", quoted_string(reader.rest()))
        }
        257 => {
            let flags = reader.u8()?;
            let tag_length = reader.u8()?;
            let tag = reader.take(usize::from(tag_length))?;
            let tag = String::from_utf8_lossy(tag).into_owned();
            format!("{flags} {tag} {}", quoted_string(reader.rest()))
        }
        _ => return None,
    };
    // Trailing bytes mean the RDATA is not what the type says; show it raw rather than guess.
    reader.at_end().then_some(text)
}

/// RDATA's wire bytes: as received for types hickory does not decode, re-encoded otherwise.
fn rdata_wire(data: &RData) -> Option<Vec<u8>> {
    match data {
        RData::Unknown { rdata, .. } => Some(rdata.anything.clone()),
        RData::NULL(null) => Some(null.anything.clone()),
        other => other.to_bytes().ok(),
    }
}

/// How records are laid out: dig's `+[no]multiline`, `+[no]ttlid`, `+[no]class`, `+[no]ttlunits`,
/// `+[no]rrcomments` and `+split=W`, plus the name style of `+idnout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordStyle {
    pub names: NameStyle,
    pub multiline: bool,
    pub show_ttl: bool,
    pub show_class: bool,
    pub ttl_units: bool,
    /// Per-record comments (a DNSKEY's key id); dig turns them on with `+multiline`.
    pub rr_comments: bool,
    /// `+split=W`: characters per word of long base64/hex fields; None leaves them whole. `None`
    /// inside `Some` is not used: dig's default is 56 on one line, 44 in multiline mode.
    pub split: Option<usize>,
}

impl Default for RecordStyle {
    fn default() -> Self {
        RecordStyle {
            names: NameStyle::Ascii,
            multiline: false,
            show_ttl: true,
            show_class: true,
            ttl_units: false,
            rr_comments: false,
            split: Some(SPLIT_WORD_CHARACTERS),
        }
    }
}

/// BIND `dns_master_stylecreate` columns as dig picks them (`dig.c` printmessage): TTL, class,
/// type and RDATA columns, so that a line still lines up with fields left out.
fn columns(style: &RecordStyle) -> [usize; 4] {
    if style.multiline || (!style.show_ttl && !style.show_class) {
        [24, 24, 24, 32]
    } else if !style.show_ttl || !style.show_class {
        [24, 24, 32, 40]
    } else {
        [TTL_COLUMN, CLASS_COLUMN, TYPE_COLUMN, RDATA_COLUMN]
    }
}

/// Words per line of a multiline record's base64/hex fields: the 80-column line less the RDATA
/// column (32) and BIND's margin of 4 (`rdata.c`: `tctx->width - 2`, rounded to base64 quads).
const MULTILINE_SPLIT_CHARACTERS: usize = 44;

/// RDATA in dig's presentation format: dig's own form for every type it knows, RFC 3597 `\#`
/// otherwise (and for RDATA that does not parse as its type).
pub fn rdata_text(data: &RData) -> String {
    rdata_text_in(data, NameStyle::Ascii)
}

/// RDATA as `rdata_text`, with the names in it in `style`.
pub fn rdata_text_in(data: &RData, style: NameStyle) -> String {
    rdata_text_styled(
        data,
        &RecordStyle {
            names: style,
            ..RecordStyle::default()
        },
    )
}

/// RDATA on one line, with `style`'s names, split width and comments.
pub fn rdata_text_styled(data: &RData, style: &RecordStyle) -> String {
    let code = u16::from(data.record_type());
    let Some(bytes) = rdata_wire(data) else {
        return data.to_string();
    };
    let mut text = if code == 10 {
        unknown_rdata_text(&bytes)
    } else {
        wire_rdata_text(code, &bytes, style.names, style.split)
            .unwrap_or_else(|| unknown_rdata_text(&bytes))
    };
    if style.rr_comments {
        if let Some(comment) = key_comment(code, &bytes) {
            // BIND puts the line break (a space on one line) before the comment.
            text.push_str("  ; ");
            text.push_str(&comment);
        }
    }
    text
}

/// RFC 4034 Appendix B: the key tag of a DNSKEY (or KEY) RDATA; algorithm 1 keeps the old rule.
pub fn key_tag(rdata: &[u8]) -> u16 {
    if rdata.get(3) == Some(&1) {
        let length = rdata.len();
        if length >= 4 {
            return u16::from_be_bytes([rdata[length - 3], rdata[length - 2]]);
        }
        return 0;
    }
    let mut sum: u32 = 0;
    for (index, byte) in rdata.iter().enumerate() {
        sum += if index % 2 == 0 {
            u32::from(*byte) << 8
        } else {
            u32::from(*byte)
        };
    }
    sum += (sum >> 16) & 0xffff;
    (sum & 0xffff) as u16
}

/// BIND's per-record comment for keys (`lib/dns/rdata/generic/key_25.c`): role, algorithm and
/// key id; the role only for DNSKEY and CDNSKEY.
fn key_comment(code: u16, rdata: &[u8]) -> Option<String> {
    if !matches!(code, 25 | 48 | 60) || rdata.len() < 4 {
        return None;
    }
    let flags = u16::from_be_bytes([rdata[0], rdata[1]]);
    let algorithm = algorithm_text(rdata[3]);
    let tag = key_tag(rdata);
    let role = if code == 25 {
        String::new()
    } else {
        // RFC 4034 §2.1.1 SEP bit marks a KSK; RFC 5011 §3 the REVOKE bit.
        let revoked = if flags & 0x0080 != 0 { "revoked " } else { "" };
        let kind = if flags & 0x0001 != 0 { "KSK" } else { "ZSK" };
        format!("{revoked}{kind}; ")
    };
    Some(format!("{role}alg = {algorithm} ; key id = {tag}"))
}

/// BIND `dns_ttl_totext`: a duration in its largest units, verbose (`2 hours`) for SOA comments,
/// terse (`2h`) for `+ttlunits`.
pub fn duration_text(seconds: u32, verbose: bool) -> String {
    const UNITS: [(u32, &str, &str); 5] = [
        (604_800, "week", "w"),
        (86_400, "day", "d"),
        (3_600, "hour", "h"),
        (60, "minute", "m"),
        (1, "second", "s"),
    ];
    let mut left = seconds;
    let mut parts = Vec::new();
    for (size, word, letter) in UNITS {
        let count = left / size;
        left %= size;
        if count == 0 {
            continue;
        }
        if verbose {
            let plural = if count == 1 { "" } else { "s" };
            parts.push(format!("{count} {word}{plural}"));
        } else {
            parts.push(format!("{count}{letter}"));
        }
    }
    if parts.is_empty() {
        return if verbose {
            "0 seconds".into()
        } else {
            "0s".into()
        };
    }
    if verbose {
        parts.join(" ")
    } else {
        parts.concat()
    }
}

/// RDATA laid out over several lines as dig's `+multiline` does for the types whose BIND
/// `totext` breaks lines; `break_line` is the newline plus the indent to the RDATA column.
/// None for types dig keeps on one line in multiline mode.
fn multiline_rdata_text(
    code: u16,
    bytes: &[u8],
    style: &RecordStyle,
    break_line: &str,
) -> Option<String> {
    let split = style.split.or(Some(usize::MAX));
    let mut reader = WireReader::new(bytes);
    reader.style = style.names;
    let blob = |words: Vec<String>| words.join(break_line);
    let text = match code {
        6 => {
            let primary = reader.name()?;
            let mailbox = reader.name()?;
            let mut text = format!("{primary} {mailbox} (");
            for label in ["serial", "refresh", "retry", "expire", "minimum"] {
                let value = reader.u32()?;
                let comment = if label == "serial" || !style.rr_comments {
                    label.to_string()
                } else {
                    format!("{label} ({})", duration_text(value, true))
                };
                text.push_str(break_line);
                if style.rr_comments {
                    text.push_str(&format!("{value:<10} ; {comment}"));
                } else {
                    text.push_str(&value.to_string());
                }
            }
            text.push_str(break_line);
            text.push(')');
            text
        }
        25 | 48 | 60 => {
            let head = format!("{} {} {}", reader.u16()?, reader.u8()?, reader.u8()?);
            let key = blob(chunks(split, &base64(reader.rest())));
            let mut text = format!("{head} ({break_line}{key}");
            match key_comment(code, bytes).filter(|_| style.rr_comments) {
                Some(comment) => text.push_str(&format!("{break_line}) ; {comment}")),
                None => text.push_str(" )"),
            }
            text
        }
        24 | 46 => {
            let head = format!(
                "{} {} {} {}",
                type_text(RecordType::from(reader.u16()?)),
                reader.u8()?,
                reader.u8()?,
                reader.u32()?
            );
            let times = format!(
                "{} {} {} {}",
                signature_time(reader.u32()?),
                signature_time(reader.u32()?),
                reader.u16()?,
                reader.name()?
            );
            let signature = blob(chunks(split, &base64(reader.rest())));
            format!("{head} ({break_line}{times}{break_line}{signature} )")
        }
        43 | 59 | 32768 | 32769 | 52 | 53 | 44 | 37 | 63 | 40 => {
            let head = match code {
                43 | 59 | 32768 | 32769 => {
                    format!("{} {} {}", reader.u16()?, reader.u8()?, reader.u8()?)
                }
                52 | 53 => format!("{} {} {}", reader.u8()?, reader.u8()?, reader.u8()?),
                44 => format!("{} {}", reader.u8()?, reader.u8()?),
                37 => format!(
                    "{} {} {}",
                    cert_type_text(reader.u16()?),
                    reader.u16()?,
                    algorithm_text(reader.u8()?)
                ),
                63 => format!("{} {} {}", reader.u32()?, reader.u8()?, reader.u8()?),
                _ => format!("{} {} {}", reader.u8()?, reader.u8()?, reader.u8()?),
            };
            let rest = reader.rest();
            let field = if matches!(code, 37 | 40) {
                base64(rest)
            } else {
                hex_upper(rest)
            };
            format!("{head} ({break_line}{} )", blob(chunks(split, &field)))
        }
        45 => {
            let head = ipseckey_text(&mut reader)?;
            // The gateway and key come back as one line; BIND breaks before the key.
            match head.rsplit_once(' ') {
                Some((fields, key)) if bytes.len() > 3 => {
                    let key = blob(chunks(split, key));
                    format!("( {fields}{break_line}{key} )")
                }
                _ => format!("( {head} )"),
            }
        }
        31 | 32 => format!("( {} )", blob(chunks(split, &hex_upper(reader.rest())))),
        _ => return None,
    };
    reader.at_end().then_some(text)
}

/// RFC 3597 §5 in multiline mode: `\# length ( hex )`.
fn unknown_multiline_text(bytes: &[u8], split: Option<usize>, break_line: &str) -> String {
    if bytes.is_empty() {
        return "\\# 0".to_string();
    }
    let hex = chunks(split, &hex_upper(bytes)).join(break_line);
    format!("\\# {} ( {hex} )", bytes.len())
}

/// RFC 3597 §5: `\# length hex`.
fn unknown_rdata_text(bytes: &[u8]) -> String {
    let mut text = format!("\\# {}", bytes.len());
    if !bytes.is_empty() {
        text.push(' ');
        text.push_str(&hex_upper(bytes));
    }
    text
}

/// One record as dig prints it: `name.<tabs>TTL<tab>CLASS<tab>TYPE<tab>RDATA`.
pub fn record_line(record: &Record) -> String {
    record_line_in(record, NameStyle::Ascii)
}

/// A record line with its names in `style`.
pub fn record_line_in(record: &Record, style: NameStyle) -> String {
    record_line_styled(
        record,
        &RecordStyle {
            names: style,
            ..RecordStyle::default()
        },
    )
}

/// A record as dig prints it with `style`: BIND `masterdump.c` columns, fields left out as asked,
/// and the RDATA over several lines in multiline mode.
pub fn record_line_styled(record: &Record, style: &RecordStyle) -> String {
    let [ttl_column, class_column, type_column, rdata_column] = columns(style);
    let mut line = String::new();
    let mut column = push_at(&mut line, 0, &name_text_in(&record.name, style.names));
    if style.show_ttl {
        column = indent(&mut line, column, ttl_column);
        let ttl = if style.ttl_units {
            duration_text(record.ttl, false)
        } else {
            record.ttl.to_string()
        };
        column = push_at(&mut line, column, &ttl);
    }
    if style.show_class {
        column = indent(&mut line, column, class_column);
        column = push_at(&mut line, column, &class_text(record.dns_class));
    }
    column = indent(&mut line, column, type_column);
    column = push_at(&mut line, column, &type_text(record.record_type()));
    indent(&mut line, column, rdata_column);
    let code = u16::from(record.record_type());
    let multiline = if style.multiline {
        let mut break_line = String::from("\n");
        indent(&mut break_line, 0, rdata_column);
        let mut wide = *style;
        wide.split = style.split.map(|split| {
            if split == SPLIT_WORD_CHARACTERS {
                MULTILINE_SPLIT_CHARACTERS
            } else {
                split
            }
        });
        rdata_wire(&record.data).map(|bytes| {
            let known = code != 10 && wire_rdata_text(code, &bytes, style.names, None).is_some();
            if known {
                multiline_rdata_text(code, &bytes, &wide, &break_line)
                    .unwrap_or_else(|| rdata_text_styled(&record.data, &wide))
            } else {
                unknown_multiline_text(&bytes, wide.split, &break_line)
            }
        })
    } else {
        None
    };
    match multiline {
        Some(text) => line.push_str(&text),
        None => line.push_str(&rdata_text_styled(&record.data, style)),
    }
    line
}

/// One question as dig prints it: `;name.<tabs>CLASS<tab>TYPE` (no TTL column).
pub fn question_line(query: &Query) -> String {
    question_line_in(query, NameStyle::Ascii)
}

/// A question line with its name in `style`.
pub fn question_line_in(query: &Query, style: NameStyle) -> String {
    question_line_styled(
        query,
        &RecordStyle {
            names: style,
            ..RecordStyle::default()
        },
    )
}

/// A question line in the columns `style` gives records (dig prints the class even with
/// `+noclass`).
pub fn question_line_styled(query: &Query, style: &RecordStyle) -> String {
    let [_, class_column, type_column, _] = columns(style);
    let mut line = String::new();
    // BIND counts columns from the name, not from the `;` that marks the line as a comment.
    line.push(';');
    let mut column = push_at(&mut line, 0, &name_text_in(query.name(), style.names));
    column = indent(&mut line, column, class_column);
    column = push_at(&mut line, column, &class_text(query.query_class()));
    indent(&mut line, column, type_column);
    line.push_str(&type_text(query.query_type()));
    line
}

/// A TSIG record as dig prints it after a signed transfer message (BIND `tsig_totext`): algorithm,
/// time, fudge, MAC size and MAC, original ID, error, other length and other data.
pub fn tsig_line(
    record: &hickory_proto::rr::Record<hickory_proto::rr::rdata::TSIG>,
    style: &RecordStyle,
) -> String {
    let [ttl_column, class_column, type_column, rdata_column] = columns(style);
    let tsig = &record.data;
    let mut line = String::new();
    let mut column = push_at(&mut line, 0, &name_text_in(&record.name, style.names));
    if style.show_ttl {
        column = indent(&mut line, column, ttl_column);
        column = push_at(&mut line, column, &record.ttl.to_string());
    }
    if style.show_class {
        column = indent(&mut line, column, class_column);
        column = push_at(&mut line, column, &class_text(record.dns_class));
    }
    column = indent(&mut line, column, type_column);
    column = push_at(&mut line, column, "TSIG");
    indent(&mut line, column, rdata_column);
    let error = match tsig.error {
        None => "NOERROR".to_string(),
        Some(error) => authority::xfr::tsig::tsig_error_name(error),
    };
    // BIND `tsig_250.c`: the MAC is left out when empty, and wrapped in `( )` with +multiline.
    let mac = match (tsig.mac.is_empty(), style.multiline) {
        (true, _) => String::new(),
        (false, false) => format!("{} ", base64(&tsig.mac)),
        (false, true) => format!("(\n\t\t\t\t{} ) ", base64(&tsig.mac)),
    };
    line.push_str(&format!(
        "{} {} {} {} {mac}{} {error} {} {}",
        name_text_in(
            &crate::dig::tsig::algorithm_name(&tsig.algorithm),
            style.names
        ),
        tsig.time,
        tsig.fudge,
        tsig.mac.len(),
        tsig.oid,
        tsig.other.len(),
        base64(&tsig.other),
    ));
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, TXT};
    use hickory_proto::rr::Name;
    use std::str::FromStr;

    #[test]
    fn record_columns_match_dig() {
        let name = Name::from_str("www.example.test.").unwrap();
        let record = Record::from_rdata(name, 3600, RData::A(A::new(192, 0, 2, 1)));
        assert_eq!(
            record_line(&record),
            "www.example.test.\t3600\tIN\tA\t192.0.2.1"
        );
        let short = Name::from_str("example.test.").unwrap();
        let record = Record::from_rdata(short, 3600, RData::A(A::new(192, 0, 2, 1)));
        assert_eq!(
            record_line(&record),
            "example.test.\t\t3600\tIN\tA\t192.0.2.1"
        );
    }

    #[test]
    fn long_question_names_use_single_spaces_like_dig() {
        let name = Name::from_str(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
        )
        .unwrap();
        let query = Query::query(name, RecordType::PTR);
        assert!(question_line(&query).ends_with(".ip6.arpa. IN PTR"));
    }

    #[test]
    fn a_labels_are_decoded_only_for_idn_output() {
        let name = Name::from_ascii("xn--mnchen-3ya.test.").unwrap();
        assert_eq!(name_text(&name), "xn--mnchen-3ya.test.");
        assert_eq!(name_text_in(&name, NameStyle::Unicode), "münchen.test.");
        let broken = Name::from_ascii("xn--zz.test.").unwrap();
        assert_eq!(name_text_in(&broken, NameStyle::Unicode), "xn--zz.test.");
    }

    #[test]
    fn txt_strings_are_quoted_and_escaped() {
        let txt = TXT::new(vec!["hello world".into(), "say \"hi\"".into()]);
        assert_eq!(
            rdata_text(&RData::TXT(txt)),
            "\"hello world\" \"say \\\"hi\\\"\""
        );
    }
}
