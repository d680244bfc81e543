//! DNSKEY, RRSIG, NSEC, NSEC3 and NSEC3PARAM in presentation format (RFC 4034 §2.2-5.3, RFC 5155
//! §3.3, §4.3) → hickory's own DNSSEC structs. Fields are split here; values go to hickory's constructors.

use hickory_proto::dnssec::rdata::{
    DNSSECRData, SigInput, DNSKEY, DS, NSEC, NSEC3, NSEC3PARAM, RRSIG,
};
use hickory_proto::dnssec::{Algorithm, DigestType, Nsec3HashAlgorithm, PublicKeyBuf};
use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{Name, RData, RecordType, SerialNumber};
use hickory_proto::serialize::binary::{BinDecoder, BinEncodable, Restrict};

use crate::presentation::error::PresentationError;
use crate::presentation::generic_rdata::parse_record_type;
use crate::presentation::name::parse_name;

/// Types whose text form hickory 0.26 refuses ("should be dynamically generated") or misreads,
/// so that `parse_dnssec_rdata` builds them. DS is misread: hickory's mnemonic table makes
/// `DSA` and `RSAMD5` unknown algorithms, while the same numbers off the wire are DSA and
/// RSAMD5, so a DS written `2854 DSA 1 …` would never equal the one received.
pub fn is_text_refused_by_hickory(record_type: RecordType) -> bool {
    matches!(
        record_type,
        RecordType::DS
            | RecordType::DNSKEY
            | RecordType::RRSIG
            | RecordType::NSEC
            | RecordType::NSEC3
            | RecordType::NSEC3PARAM
    )
}

/// RDATA fields (already split on white space) of a DNSSEC type; names relative to `origin`.
/// Parentheses (multi-field grouping, RFC 1035 §5.1) are dropped first.
pub fn parse_dnssec_rdata(
    record_type: RecordType,
    fields: &[&str],
    origin: &Name,
) -> Result<RData, PresentationError> {
    let fields: Vec<&str> = fields
        .iter()
        .flat_map(|field| field.split(['(', ')']))
        .filter(|field| !field.is_empty())
        .collect();
    let mut fields = Fields(fields.into_iter());
    let data = match record_type {
        RecordType::DNSKEY => return dnskey(&mut fields),
        RecordType::DS => DNSSECRData::DS(ds(&mut fields)?),
        RecordType::RRSIG => DNSSECRData::RRSIG(rrsig(&mut fields, origin)?),
        RecordType::NSEC => {
            let next = parse_name(fields.next("next domain name")?, origin)?;
            DNSSECRData::NSEC(NSEC::new(next, fields.types()?))
        }
        RecordType::NSEC3 => DNSSECRData::NSEC3(nsec3(&mut fields)?),
        RecordType::NSEC3PARAM => {
            let (algorithm, opt_out, iterations, salt) = nsec3_parameters(&mut fields)?;
            fields.finish()?;
            DNSSECRData::NSEC3PARAM(NSEC3PARAM::new(algorithm, opt_out, iterations, salt))
        }
        other => return Err(PresentationError::UnknownType(other.to_string())),
    };
    Ok(RData::DNSSEC(data))
}

/// RFC 4034 §5.3: key tag, algorithm (number or mnemonic), digest type, hex digest (may
/// contain spaces).
fn ds(fields: &mut Fields<'_>) -> Result<DS, PresentationError> {
    let key_tag = fields.number::<u16>("DS key tag")?;
    let algorithm = algorithm(fields.next("DS algorithm")?)?;
    let digest_type = DigestType::from(fields.number::<u8>("DS digest type")?);
    let text: String = fields.0.by_ref().collect();
    if text.is_empty() {
        return Err(PresentationError::MissingField("DS digest"));
    }
    let digest = data_encoding::HEXUPPER_PERMISSIVE
        .decode(text.as_bytes())
        .map_err(|_| PresentationError::BadHex(text.clone()))?;
    Ok(DS::new(key_tag, algorithm, digest_type, digest))
}

/// RFC 4034 §2.2: flags, protocol (always 3), algorithm, base64 key (may contain spaces).
fn dnskey(fields: &mut Fields<'_>) -> Result<RData, PresentationError> {
    let flags = fields.number::<u16>("DNSKEY flags")?;
    let protocol = fields.number::<u8>("DNSKEY protocol")?;
    let algorithm = algorithm(fields.next("DNSKEY algorithm")?)?;
    let key = base64(&fields.rest("DNSKEY public key")?)?;
    let dnskey = DNSKEY::with_flags(flags, PublicKeyBuf::new(key, algorithm));
    if protocol == DNSKEY_PROTOCOL {
        return Ok(RData::DNSSEC(DNSSECRData::DNSKEY(dnskey)));
    }
    // hickory's DNSKEY always holds protocol 3 (RFC 4034 §2.1.2). A scenario testing another
    // (val_minimal_baddnskeyprotocol) gets hickory's encoding with that one octet set, read back by
    // hickory's wire reader, or kept opaque as hickory keeps what it cannot read.
    let mut wire = RData::DNSSEC(DNSSECRData::DNSKEY(dnskey))
        .to_bytes()
        .map_err(|error| PresentationError::Wire(error.to_string()))?;
    if let Some(octet) = wire.get_mut(DNSKEY_PROTOCOL_OCTET) {
        *octet = protocol;
    }
    let length = u16::try_from(wire.len()).map_err(|_| PresentationError::NotRepresentable {
        field: "DNSKEY public key",
        text: format!("{} octets", wire.len()),
    })?;
    match RData::read(
        &mut BinDecoder::new(&wire),
        RecordType::DNSKEY,
        Restrict::new(length),
    ) {
        Ok(data @ RData::DNSSEC(_)) => Ok(data),
        _ => Ok(RData::Unknown {
            code: RecordType::DNSKEY,
            rdata: NULL::with(wire),
        }),
    }
}

/// RFC 4034 §2.1.2: the protocol field must be 3.
const DNSKEY_PROTOCOL: u8 = 3;

/// RFC 4034 §2.1: flags (2 octets), then the protocol octet.
const DNSKEY_PROTOCOL_OCTET: usize = 2;

/// RFC 4034 §3.2: type covered, algorithm, labels, original TTL, expiration, inception, key tag,
/// signer's name, base64 signature.
fn rrsig(fields: &mut Fields<'_>, origin: &Name) -> Result<RRSIG, PresentationError> {
    let type_covered = parse_record_type(fields.next("RRSIG type covered")?)?;
    let algorithm = algorithm(fields.next("RRSIG algorithm")?)?;
    let num_labels = fields.number::<u8>("RRSIG labels")?;
    let original_ttl = fields.number::<u32>("RRSIG original TTL")?;
    let sig_expiration = SerialNumber::new(signature_time(fields.next("RRSIG expiration")?)?);
    let sig_inception = SerialNumber::new(signature_time(fields.next("RRSIG inception")?)?);
    let key_tag = fields.number::<u16>("RRSIG key tag")?;
    let signer_name = parse_name(fields.next("RRSIG signer's name")?, origin)?;
    // ldns accepts an RRSIG without signature (serve_expired_val_bogus): an empty one.
    let signature = base64(&fields.0.by_ref().collect::<String>())?;
    let input = SigInput {
        type_covered,
        algorithm,
        num_labels,
        original_ttl,
        sig_expiration,
        sig_inception,
        key_tag,
        signer_name,
    };
    Ok(RRSIG::from_sig(input, signature))
}

/// RFC 5155 §3.3: parameters, base32hex next hashed owner name, type bit map.
fn nsec3(fields: &mut Fields<'_>) -> Result<NSEC3, PresentationError> {
    let (algorithm, opt_out, iterations, salt) = nsec3_parameters(fields)?;
    let next = fields.next("NSEC3 next hashed owner name")?;
    let next_hashed = data_encoding::BASE32_DNSSEC
        .decode(next.to_ascii_lowercase().as_bytes())
        .map_err(|_| PresentationError::BadBase32(next.to_owned()))?;
    let types = fields.types()?;
    Ok(NSEC3::new(
        algorithm,
        opt_out,
        iterations,
        salt,
        next_hashed,
        types,
    ))
}

/// Hash algorithm, flags, iterations, salt (hex, `-` when empty), shared by NSEC3 and NSEC3PARAM.
/// hickory keeps only the opt-out flag, so any other flag bit is refused rather than dropped.
fn nsec3_parameters(
    fields: &mut Fields<'_>,
) -> Result<(Nsec3HashAlgorithm, bool, u16, Vec<u8>), PresentationError> {
    let algorithm_text = fields.next("NSEC3 hash algorithm")?;
    let algorithm = algorithm_text
        .parse::<u8>()
        .ok()
        .and_then(|code| Nsec3HashAlgorithm::try_from(code).ok())
        .ok_or_else(|| PresentationError::UnknownAlgorithm(algorithm_text.to_owned()))?;
    let flags_text = fields.next("NSEC3 flags")?;
    let opt_out = match flags_text {
        "0" => false,
        "1" => true,
        other => {
            return Err(PresentationError::NotRepresentable {
                field: "NSEC3 flags",
                text: other.to_owned(),
            })
        }
    };
    let iterations = fields.number::<u16>("NSEC3 iterations")?;
    let salt_text = fields.next("NSEC3 salt")?;
    let salt = if salt_text == "-" {
        Vec::new()
    } else {
        data_encoding::HEXLOWER_PERMISSIVE
            .decode(salt_text.as_bytes())
            .map_err(|_| PresentationError::BadHex(salt_text.to_owned()))?
    };
    Ok((algorithm, opt_out, iterations, salt))
}

/// An algorithm number, or a mnemonic as hickory names it (`Algorithm::as_str`), e.g. `RSASHA1`.
fn algorithm(text: &str) -> Result<Algorithm, PresentationError> {
    if let Ok(code) = text.parse::<u8>() {
        return Ok(Algorithm::from_u8(code));
    }
    (0..=u8::MAX)
        .map(Algorithm::from_u8)
        .find(|known| {
            !matches!(known, Algorithm::Unknown(_)) && known.as_str().eq_ignore_ascii_case(text)
        })
        .ok_or_else(|| PresentationError::UnknownAlgorithm(text.to_owned()))
}

/// RFC 4034 §3.2: `YYYYMMDDHHmmSS` in UTC, or a decimal count of seconds since the epoch; both
/// are serial numbers modulo 2^32 (RFC 1982), so a date past 2106 wraps like on the wire.
fn signature_time(text: &str) -> Result<u32, PresentationError> {
    let bad = || PresentationError::BadTime(text.to_owned());
    if !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(bad());
    }
    if text.len() != 14 {
        return text.parse::<u32>().map_err(|_| bad());
    }
    let part = |range: std::ops::Range<usize>| {
        text.get(range)
            .and_then(|digits| digits.parse::<u16>().ok())
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        part(0..4),
        part(4..6),
        part(6..8),
        part(8..10),
        part(10..12),
        part(12..14),
    ) else {
        return Err(bad());
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|month| time::Month::try_from(month).ok())
        .ok_or_else(bad)?;
    let small = |value: u16| u8::try_from(value).map_err(|_| bad());
    let date =
        time::Date::from_calendar_date(i32::from(year), month, small(day)?).map_err(|_| bad())?;
    let clock =
        time::Time::from_hms(small(hour)?, small(minute)?, small(second)?).map_err(|_| bad())?;
    let seconds = time::PrimitiveDateTime::new(date, clock)
        .assume_utc()
        .unix_timestamp();
    u32::try_from(seconds.rem_euclid(1_i64 << 32)).map_err(|_| bad())
}

/// Base64 as ldns reads it: padding optional and unchecked trailing bits, so the deliberately odd
/// signatures of the scenarios (`UNUSABLE==`, val_unknown_algorithm_insecure) decode as in testbound.
fn base64(text: &str) -> Result<Vec<u8>, PresentationError> {
    let mut specification = data_encoding::BASE64_NOPAD.specification();
    specification.check_trailing_bits = false;
    let lenient = specification
        .encoding()
        .map_err(|_| PresentationError::BadBase64(text.chars().take(40).collect()))?;
    // ldns stops at the first octet outside the alphabet (`Pug='` in local_cname).
    let symbols: String = text
        .chars()
        .take_while(|character| character.is_ascii_alphanumeric() || matches!(character, '+' | '/'))
        .collect();
    if symbols.is_empty() && !text.is_empty() {
        return Err(PresentationError::BadBase64(
            text.chars().take(40).collect(),
        ));
    }
    lenient
        .decode(symbols.as_bytes())
        .map_err(|_| PresentationError::BadBase64(text.chars().take(40).collect()))
}

/// The remaining RDATA fields, consumed in order.
struct Fields<'a>(std::vec::IntoIter<&'a str>);

impl<'a> Fields<'a> {
    fn next(&mut self, field: &'static str) -> Result<&'a str, PresentationError> {
        self.0.next().ok_or(PresentationError::MissingField(field))
    }

    fn number<T: std::str::FromStr>(
        &mut self,
        field: &'static str,
    ) -> Result<T, PresentationError> {
        let text = self.next(field)?;
        text.parse().map_err(|_| PresentationError::BadNumber {
            field,
            text: text.to_owned(),
        })
    }

    /// Every remaining field joined: base64 may be written in several space-separated pieces.
    fn rest(&mut self, field: &'static str) -> Result<String, PresentationError> {
        let joined: String = self.0.by_ref().collect();
        if joined.is_empty() {
            return Err(PresentationError::MissingField(field));
        }
        Ok(joined)
    }

    /// The remaining fields as a type bit map (RFC 4034 §4.1.2); may be empty.
    fn types(&mut self) -> Result<Vec<RecordType>, PresentationError> {
        self.0.by_ref().map(parse_record_type).collect()
    }

    fn finish(&mut self) -> Result<(), PresentationError> {
        let rest: Vec<&str> = self.0.by_ref().collect();
        if rest.is_empty() {
            Ok(())
        } else {
            Err(PresentationError::TrailingFields(rest.join(" ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as the scenario files write them (val_*.rpl, deckard dnssec/).
    const DNSKEY_TEXT: &str = "256 3 5 AQPQ41chR9DEHt/aIzIFAqanbDlRflJoRs5yz1jFsoRIT7dWf0r+PeDuewdxkszNH6wnU4QL8pfKFRh5PIYVBLK3";
    const DNSKEY_PARENTHESISED: &str = "256 3 7 AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LU ( sAD0QPWU+wzt89epO6tHzkMBVDkC7qphQO2h TY4hHn9npWFRw5BYubE= )";
    const RRSIG_TEXT: &str = "NS 3 2 3600 20070926134150 20070829134150 2854 example.com. MC0CFQCN+qHdJxoI/2tNKwsb08pra/G7aAIUAWA5sDdJTbrXA1/3OaesGBAO3sI=";
    const RRSIG_MNEMONIC: &str =
        "A RSASHA1 3 3600 20070926134150 20070829134150 2854 example.com. MQ==";
    const NSEC_TEXT: &str = "ns.example.com. NS SOA RRSIG NSEC DNSKEY TYPE65534";
    const NSEC3_TEXT: &str =
        "1 1 1 d399eaab l0c0e5lac37ai0lpij31sj699hkktdmc NS SOA RRSIG DNSKEY NSEC3PARAM";
    const NSEC3PARAM_TEXT: &str = "1 0 1 -";

    fn parse(record_type: RecordType, text: &str) -> RData {
        let fields: Vec<&str> = text.split_whitespace().collect();
        parse_dnssec_rdata(record_type, &fields, &Name::root()).unwrap()
    }

    /// hickory encodes the RDATA, hickory's wire reader reads it back, and both are equal.
    fn assert_round_trips(data: &RData) {
        let wire = data.to_bytes().unwrap();
        let length = Restrict::new(u16::try_from(wire.len()).unwrap());
        let read = RData::read(&mut BinDecoder::new(&wire), data.record_type(), length).unwrap();
        assert_eq!(&read, data);
    }

    #[test]
    fn a_ds_with_an_algorithm_mnemonic_equals_the_same_ds_off_the_wire() {
        for text in [
            "2854 DSA 1 be4d46cd7489cce25a31af0dff2968ce0425dd31",
            "2854 3 1 BE4D46CD 7489CCE25A31AF0DFF2968CE0425DD31",
        ] {
            let data = parse(RecordType::DS, text);
            let RData::DNSSEC(DNSSECRData::DS(ds)) = &data else {
                panic!("not a DS: {data:?}");
            };
            assert_eq!(ds.algorithm(), Algorithm::from_u8(3), "{text}");
            assert_eq!(ds.digest().len(), 20, "{text}");
            assert_round_trips(&data);
        }
    }

    #[test]
    fn dnskey_keeps_flags_algorithm_and_key_and_round_trips() {
        let data = parse(RecordType::DNSKEY, DNSKEY_TEXT);
        assert_eq!(data.to_string(), DNSKEY_TEXT);
        assert_round_trips(&data);
        let grouped = parse(RecordType::DNSKEY, DNSKEY_PARENTHESISED);
        let joined = "256 3 7 AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LUsAD0QPWU+wzt89epO6tHzkMBVDkC7qphQO2hTY4hHn9npWFRw5BYubE=";
        assert_eq!(grouped.to_string(), joined);
        assert_round_trips(&grouped);
    }

    #[test]
    fn rrsig_times_are_read_as_utc_dates_and_round_trip() {
        let data = parse(RecordType::RRSIG, RRSIG_TEXT);
        // 2007-09-26 13:41:50 UTC and 2007-08-29 13:41:50 UTC as seconds; hickory shows mnemonics.
        assert_eq!(
            data.to_string(),
            "NS DSA 2 3600 1190814110 1188394910 2854 example.com. MC0CFQCN+qHdJxoI/2tNKwsb08pra/G7aAIUAWA5sDdJTbrXA1/3OaesGBAO3sI="
        );
        assert_round_trips(&data);
        let mnemonic = parse(RecordType::RRSIG, RRSIG_MNEMONIC);
        assert!(
            mnemonic.to_string().starts_with("A RSASHA1 3 3600 "),
            "{mnemonic}"
        );
        assert_round_trips(&mnemonic);
        let seconds = parse(
            RecordType::RRSIG,
            &RRSIG_TEXT.replace("20070926134150", "1190814110"),
        );
        assert_eq!(seconds, data);
    }

    #[test]
    fn nsec_and_nsec3_keep_their_type_maps_and_round_trip() {
        let nsec = parse(RecordType::NSEC, NSEC_TEXT);
        assert_eq!(
            nsec.to_string(),
            "ns.example.com. NS SOA RRSIG NSEC DNSKEY Unknown"
        );
        assert_round_trips(&nsec);
        let nsec3 = parse(RecordType::NSEC3, NSEC3_TEXT);
        assert_eq!(
            nsec3.to_string(),
            "1 1 1 D399EAAB l0c0e5lac37ai0lpij31sj699hkktdmc NS SOA RRSIG DNSKEY NSEC3PARAM"
        );
        assert_round_trips(&nsec3);
        let parameters = parse(RecordType::NSEC3PARAM, NSEC3PARAM_TEXT);
        assert_eq!(parameters.to_string(), NSEC3PARAM_TEXT);
        assert_round_trips(&parameters);
    }

    #[test]
    fn relative_names_take_the_origin() {
        let origin = Name::from_ascii("example.com.").unwrap();
        let data = parse_dnssec_rdata(RecordType::NSEC, &["www", "A"], &origin).unwrap();
        assert_eq!(data.to_string(), "www.example.com. A");
    }

    #[test]
    fn broken_fields_are_errors_not_panics() {
        let refuse = |record_type, text: &str| {
            let fields: Vec<&str> = text.split_whitespace().collect();
            parse_dnssec_rdata(record_type, &fields, &Name::root()).unwrap_err()
        };
        assert_eq!(
            refuse(RecordType::DNSKEY, "256 3 5"),
            PresentationError::MissingField("DNSKEY public key")
        );
        // val_minimal_baddnskeyprotocol: protocol 2 is kept as opaque DNSKEY data, not refused.
        let protocol_two = parse(RecordType::DNSKEY, "256 2 5 AAAA");
        assert!(
            matches!(
                protocol_two,
                RData::Unknown {
                    code: RecordType::DNSKEY,
                    ..
                }
            ),
            "{protocol_two:?}"
        );
        // val_unknown_algorithm_insecure's `UNUSABLE==` decodes as ldns reads it.
        let unusable = parse(RecordType::RRSIG, "A 253 1 86400 1 1 1 test. UNUSABLE==");
        assert_eq!(unusable.record_type(), RecordType::RRSIG);
        assert!(matches!(
            refuse(RecordType::DNSKEY, "256 3 5 !!!"),
            PresentationError::BadBase64(_)
        ));
        assert!(matches!(
            refuse(RecordType::RRSIG, "A 5 3 3600 20071332000000 1 1 a. MQ=="),
            PresentationError::BadTime(_)
        ));
        assert!(matches!(
            refuse(RecordType::RRSIG, "A FOO 3 3600 1 1 1 a. MQ=="),
            PresentationError::UnknownAlgorithm(_)
        ));
        assert!(matches!(
            refuse(RecordType::NSEC3, "1 2 1 - abc A"),
            PresentationError::NotRepresentable { .. }
        ));
        assert!(matches!(
            refuse(RecordType::NSEC3, "2 0 1 - abc A"),
            PresentationError::UnknownAlgorithm(_)
        ));
        assert!(matches!(
            refuse(RecordType::NSEC3PARAM, "1 0 1 - extra"),
            PresentationError::TrailingFields(_)
        ));
        assert!(matches!(
            refuse(RecordType::NSEC, "a. BOGUS"),
            PresentationError::UnknownType(_)
        ));
    }
}
