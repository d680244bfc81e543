//! The words of an entry's `MATCH`, `ADJUST` and `REPLY` lines (testpkts.c `matchline`,
//! `adjustline`, `replyline`; Deckard's scenario guide). An unknown word is an error, never skipped.

use hickory_proto::op::{OpCode, ResponseCode};

use crate::replay::error::ParseErrorKind;
use crate::replay::scenario::{EdeMatch, Entry};

/// One word of a `MATCH` line.
pub fn match_element(entry: &mut Entry, word: &str) -> Result<(), ParseErrorKind> {
    let rules = &mut entry.rules;
    let unknown = || ParseErrorKind::UnknownMatchElement(word.to_owned());
    if let Some(value) = word
        .strip_prefix("serial=")
        .or_else(|| word.strip_prefix("serial:"))
    {
        rules.serial = Some(value.parse().map_err(|_| unknown())?);
        return Ok(());
    }
    if let Some(value) = word
        .strip_prefix("ede=")
        .or_else(|| word.strip_prefix("ede:"))
    {
        rules.ede = Some(if value == "any" {
            EdeMatch::Any
        } else {
            EdeMatch::InfoCode(value.parse().map_err(|_| unknown())?)
        });
        return Ok(());
    }
    match word {
        "opcode" => rules.opcode = true,
        "qtype" => rules.qtype = true,
        "qname" => rules.qname = true,
        "qcase" => rules.qcase = true,
        "subdomain" => rules.subdomain = true,
        "flags" => rules.flags = true,
        "rcode" => rules.rcode = true,
        "question" => {
            rules.qtype = true;
            rules.qname = true;
        }
        "answer" => rules.answer = true,
        "authority" => rules.authority = true,
        "additional" => rules.additional = true,
        "ttl" => rules.ttl = true,
        "TCP" | "tcp" => rules.tcp = true,
        "UDP" | "udp" => rules.udp = true,
        "DO" => rules.dnssec_ok = true,
        "noedns" => rules.no_edns = true,
        "ednsdata" => rules.edns_data = true,
        "client_cookie" => rules.client_cookie = true,
        "server_cookie" => rules.server_cookie = true,
        // testpkts' `all` also compares EDNS byte for byte; the matcher compares EDNS only
        // through `DO`, `noedns` and `ednsdata`, so `all` and `all_noedns` are the same here.
        "all" | "all_noedns" => {
            rules.opcode = true;
            rules.qtype = true;
            rules.qname = true;
            rules.flags = true;
            rules.rcode = true;
            rules.answer = true;
            rules.authority = true;
            rules.additional = true;
        }
        _ => return Err(unknown()),
    }
    Ok(())
}

/// One word of an `ADJUST` line.
pub fn adjust_element(entry: &mut Entry, word: &str) -> Result<(), ParseErrorKind> {
    let adjust = &mut entry.adjust;
    let unknown = || ParseErrorKind::UnknownAdjustElement(word.to_owned());
    if let Some(value) = word.strip_prefix("sleep=") {
        adjust.sleep_seconds = value.parse().map_err(|_| unknown())?;
        return Ok(());
    }
    if let Some(value) = word.strip_prefix("packet_sleep=") {
        adjust.packet_sleep_seconds = value.parse().map_err(|_| unknown())?;
        return Ok(());
    }
    match word {
        "copy_id" => adjust.copy_id = true,
        "copy_query" => adjust.copy_query = true,
        "raw_id" => adjust.raw_id = true,
        "do_not_answer" => adjust.do_not_answer = true,
        "copy_ednsdata_assume_clientsubnet" => adjust.copy_client_subnet = true,
        "increment_ecs_scope" => adjust.increment_client_subnet_scope = true,
        _ => return Err(unknown()),
    }
    Ok(())
}

/// One word of a `REPLY` (or older `FLAGS`) line: opcode, rcode, header flag or `DO`.
pub fn reply_element(entry: &mut Entry, word: &str) -> Result<(), ParseErrorKind> {
    let header = &mut entry.header;
    let flags = &mut header.flags;
    match word {
        "QR" => flags.qr = true,
        "AA" => flags.aa = true,
        "TC" => flags.tc = true,
        "RD" => flags.rd = true,
        "RA" => flags.ra = true,
        "AD" => flags.ad = true,
        "CD" => flags.cd = true,
        "DO" => header.dnssec_ok = true,
        "QUERY" => header.opcode = OpCode::Query,
        "IQUERY" => header.opcode = OpCode::from_u8(1),
        "NOTIFY" => header.opcode = OpCode::Notify,
        "UPDATE" => header.opcode = OpCode::Update,
        "STATUS" => header.opcode = OpCode::Status,
        other => {
            header.rcode = rcode_named(other)
                .ok_or_else(|| ParseErrorKind::UnknownReplyElement(other.to_owned()))?
        }
    }
    Ok(())
}

/// The rcode mnemonics of testpkts and the scenario guide ("Entry flags").
fn rcode_named(word: &str) -> Option<ResponseCode> {
    Some(match word {
        "NOERROR" => ResponseCode::NoError,
        "FORMERR" => ResponseCode::FormErr,
        "SERVFAIL" => ResponseCode::ServFail,
        "NXDOMAIN" => ResponseCode::NXDomain,
        "NOTIMP" | "NOTIMPL" => ResponseCode::NotImp,
        "REFUSED" => ResponseCode::Refused,
        "YXDOMAIN" => ResponseCode::YXDomain,
        "YXRRSET" => ResponseCode::YXRRSet,
        "NXRRSET" => ResponseCode::NXRRSet,
        "NOTAUTH" => ResponseCode::NotAuth,
        "NOTZONE" => ResponseCode::NotZone,
        "BADVERS" => ResponseCode::BADVERS,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn testpkts_keywords_with_values_are_parsed() {
        let mut entry = Entry::default();
        for word in [
            "serial=1023",
            "ede=any",
            "DO",
            "noedns",
            "ednsdata",
            "server_cookie",
        ] {
            match_element(&mut entry, word).unwrap();
        }
        assert_eq!(entry.rules.serial, Some(1023));
        assert_eq!(entry.rules.ede, Some(EdeMatch::Any));
        assert!(entry.rules.dnssec_ok && entry.rules.no_edns && entry.rules.edns_data);
        match_element(&mut entry, "ede=18").unwrap();
        assert_eq!(entry.rules.ede, Some(EdeMatch::InfoCode(18)));
        adjust_element(&mut entry, "sleep=10").unwrap();
        adjust_element(&mut entry, "packet_sleep=2").unwrap();
        assert_eq!(
            (
                entry.adjust.sleep_seconds,
                entry.adjust.packet_sleep_seconds
            ),
            (10, 2)
        );
        reply_element(&mut entry, "NOTIMPL").unwrap();
        assert_eq!(entry.header.rcode, ResponseCode::NotImp);
    }

    #[test]
    fn unknown_words_and_bad_values_are_errors() {
        let mut entry = Entry::default();
        assert!(match_element(&mut entry, "frobnicate").is_err());
        assert!(match_element(&mut entry, "ede=lots").is_err());
        assert!(adjust_element(&mut entry, "sleep=soon").is_err());
        assert!(reply_element(&mut entry, "MAYBE").is_err());
    }
}
