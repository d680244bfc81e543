//! RFC 3597 generic RDATA (`\# <length> <hex>`), `TYPEnnn` mnemonics, and DNAME, all decoded by
//! hickory's own wire reader so the result equals what hickory makes of the same record received.

use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, BinEncodable, Restrict};
use std::str::FromStr;

use crate::presentation::error::PresentationError;
use crate::presentation::name::parse_name;

/// Whether the RDATA fields are RFC 3597 §5 generic form (first field `\#`).
pub fn is_generic_rdata(fields: &[&str]) -> bool {
    fields.first() == Some(&"\\#")
}

/// A type mnemonic, or RFC 3597 §5 `TYPEnnn`; case-insensitive. hickory's `FromStr` knows the
/// mnemonics except IXFR, which it only names in `Display`.
pub fn parse_record_type(text: &str) -> Result<RecordType, PresentationError> {
    let upper = text.to_ascii_uppercase();
    if let Some(number) = upper.strip_prefix("TYPE") {
        if let Ok(code) = number.parse::<u16>() {
            return Ok(RecordType::from(code));
        }
    }
    if upper == "IXFR" {
        return Ok(RecordType::IXFR);
    }
    if let Some((_, code)) = TYPES_HICKORY_DOES_NOT_NAME
        .iter()
        .find(|(name, _)| *name == upper)
    {
        return Ok(RecordType::from(*code));
    }
    RecordType::from_str(&upper).map_err(|_| PresentationError::UnknownType(text.to_owned()))
}

/// IANA type codes of mnemonics hickory has no name for; their RDATA is written in RFC 3597 form
/// in the scenarios (val_canon_short_px) or they only appear as a question type (val_any_negcache).
const TYPES_HICKORY_DOES_NOT_NAME: &[(&str, u16)] = &[
    ("MD", 3),
    ("MF", 4),
    ("MB", 7),
    ("MG", 8),
    ("MR", 9),
    ("WKS", 11),
    ("MINFO", 14),
    ("RP", 17),
    ("AFSDB", 18),
    ("X25", 19),
    ("ISDN", 20),
    ("RT", 21),
    ("NSAP", 22),
    ("PX", 26),
    ("GPOS", 27),
    ("LOC", 29),
    ("NXT", 30),
    ("KX", 36),
    ("A6", 38),
    ("APL", 42),
    ("IPSECKEY", 45),
    ("DHCID", 49),
    ("HIP", 55),
    ("ZONEMD", 63),
    ("SPF", 99),
    ("EUI48", 108),
    ("EUI64", 109),
    ("URI", 256),
    ("TA", 32768),
    ("DLV", 32769),
];

/// `\# <length> <hex>...` (RFC 3597 §5) for `record_type`, read by hickory's wire decoder.
pub fn parse_generic_rdata(
    record_type: RecordType,
    fields: &[&str],
) -> Result<RData, PresentationError> {
    let [_marker, length, hex @ ..] = fields else {
        return Err(PresentationError::MissingField("generic RDATA length"));
    };
    let declared: usize = length.parse().map_err(|_| PresentationError::BadNumber {
        field: "generic RDATA length",
        text: (*length).to_owned(),
    })?;
    let text: String = hex.concat();
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .map_err(|_| PresentationError::BadHex(text.clone()))?;
    if bytes.len() != declared {
        return Err(PresentationError::LengthMismatch {
            declared,
            actual: bytes.len(),
        });
    }
    // RFC 3597 §5 data hickory's reader refuses for a type it knows (iter_svcb_malformed's repeated
    // SvcParam key) stays opaque, as hickory holds unknown types, so a scenario can serve it as written.
    read_wire(record_type, &bytes).or_else(|_| {
        Ok(RData::Unknown {
            code: record_type,
            rdata: NULL::with(bytes),
        })
    })
}

/// DNAME (RFC 6672): hickory has no DNAME type; the target is encoded by hickory's name encoder
/// and read back by its wire reader, giving the opaque RDATA hickory gives a received DNAME.
pub fn parse_dname_rdata(fields: &[&str], origin: &Name) -> Result<RData, PresentationError> {
    let [target] = fields else {
        return match fields.first() {
            None => Err(PresentationError::MissingField("DNAME target")),
            Some(_) => Err(PresentationError::TrailingFields(fields[1..].join(" "))),
        };
    };
    let target = parse_name(target, origin)?;
    let wire = target
        .to_bytes()
        .map_err(|error| PresentationError::Wire(error.to_string()))?;
    read_wire(RecordType::DNAME, &wire)
}

fn read_wire(record_type: RecordType, bytes: &[u8]) -> Result<RData, PresentationError> {
    let length = u16::try_from(bytes.len()).map_err(|_| PresentationError::LengthMismatch {
        declared: bytes.len(),
        actual: usize::from(u16::MAX),
    })?;
    let mut decoder = BinDecoder::new(bytes);
    RData::read(&mut decoder, record_type, Restrict::new(length))
        .map_err(|error| PresentationError::Wire(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::A;

    fn fields(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    #[test]
    fn generic_rdata_of_a_known_type_becomes_that_type() {
        let data = parse_generic_rdata(RecordType::A, &fields("\\# 4 0A000001")).unwrap();
        assert_eq!(data, RData::A(A::new(10, 0, 0, 1)));
    }

    #[test]
    fn generic_rdata_from_the_scenarios_decodes_https_and_unknown_types() {
        // iter_svcb scenarios: an HTTPS record with alpn h2,h3 and an IPv4 hint.
        let https = parse_generic_rdata(
            RecordType::HTTPS,
            &fields("\\# 21 00 01 00 00 01 00 06 02 68 32 02 68 33 00 04 00 04 01 02 03 04"),
        )
        .unwrap();
        assert!(matches!(https, RData::HTTPS(_)), "{https:?}");
        // iter_svcb_malformed: alpn given twice, which hickory refuses; kept opaque, byte for byte.
        let malformed = parse_generic_rdata(
            RecordType::HTTPS,
            &fields("\\# 17 00 01 00 00 01 00 03 02 68 32 00 01 00 03 02 68 33"),
        )
        .unwrap();
        let RData::Unknown { code, rdata } = &malformed else {
            panic!("{malformed:?}")
        };
        assert_eq!((*code, rdata.anything.len()), (RecordType::HTTPS, 17));
        let px = parse_generic_rdata(RecordType::from(26), &fields("\\# 3 000A00")).unwrap();
        let RData::Unknown { rdata, .. } = px else {
            panic!("{px:?}")
        };
        assert_eq!(rdata.anything, [0, 10, 0]);
        assert_eq!(
            parse_generic_rdata(RecordType::NULL, &fields("\\# 0")).unwrap(),
            parse_generic_rdata(RecordType::NULL, &fields("\\# 0")).unwrap()
        );
    }

    #[test]
    fn wrong_length_or_hex_is_an_error_and_undecodable_data_stays_opaque() {
        assert!(matches!(
            parse_generic_rdata(RecordType::A, &fields("\\# 5 0A000001")),
            Err(PresentationError::LengthMismatch {
                declared: 5,
                actual: 4
            })
        ));
        assert!(parse_generic_rdata(RecordType::A, &fields("\\# 4 0A00000")).is_err());
        assert!(parse_generic_rdata(RecordType::A, &fields("\\# 2 zz00")).is_err());
        assert!(parse_generic_rdata(RecordType::A, &fields("\\#")).is_err());
        let short = parse_generic_rdata(RecordType::A, &fields("\\# 3 0A0000")).unwrap();
        assert!(
            matches!(
                short,
                RData::Unknown {
                    code: RecordType::A,
                    ..
                }
            ),
            "{short:?}"
        );
    }

    #[test]
    fn type_mnemonics_include_typennn_and_ixfr() {
        assert_eq!(
            parse_record_type("TYPE65534").unwrap(),
            RecordType::from(65534)
        );
        assert_eq!(parse_record_type("ixfr").unwrap(), RecordType::IXFR);
        assert_eq!(parse_record_type("nsec3").unwrap(), RecordType::NSEC3);
        assert!(parse_record_type("86400").is_err());
    }

    #[test]
    fn dname_is_read_like_a_received_dname() {
        let data = parse_dname_rdata(&["Example.net."], &Name::root()).unwrap();
        let RData::Unknown { code, rdata } = &data else {
            panic!("{data:?}")
        };
        assert_eq!(*code, RecordType::DNAME);
        assert_eq!(rdata.anything.as_slice(), &b"\x07Example\x03net\x00"[..]);
    }
}
