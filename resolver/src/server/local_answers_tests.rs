//! Tests of `local_answers`: local-zone responses as messages, identity, NSID, private-address
//! filtering and round-robin; each from a settings value, no sockets.

use super::*;
use hickory_proto::op::{Message, OpCode, Query};
use std::str::FromStr;

fn request(name: &str, class: DNSClass, record_type: RecordType, edns: bool) -> Message {
    let mut message = Message::new(0x1234, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = true;
    let mut query = Query::query(Name::from_str(name).unwrap(), record_type);
    query.set_query_class(class);
    message.queries.push(query);
    if edns {
        message.edns = Some(Edns::new());
    }
    message
}

fn answers(settings: &LocalSettings) -> LocalAnswers {
    LocalAnswers::build(settings).unwrap()
}

fn answer(local: &LocalAnswers, name: &str, record_type: RecordType) -> Message {
    match local.answer(&request(name, DNSClass::IN, record_type, false)) {
        LocalOutcome::Answer(response) => response,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn default_zones_answer_localhost_and_as112_names_authoritatively() {
    let local = answers(&LocalSettings::default());
    let localhost = answer(&local, "localhost.", RecordType::A);
    assert!(localhost.metadata.authoritative && localhost.metadata.recursion_available);
    assert_eq!(localhost.answers[0].data.to_string(), "127.0.0.1");
    let reverse = answer(&local, "1.0.0.10.in-addr.arpa.", RecordType::PTR);
    assert_eq!(reverse.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(reverse.authorities[0].name.to_string(), "10.in-addr.arpa.");
    assert_eq!(reverse.authorities[0].ttl, 10_800);
    let test = answer(&local, "www.test.", RecordType::A);
    assert_eq!(test.metadata.response_code, ResponseCode::NXDomain);
    assert!(matches!(
        local.answer(&request("example.com.", DNSClass::IN, RecordType::A, false)),
        LocalOutcome::Resolve
    ));
}

#[test]
fn a_configured_zone_or_nodefault_replaces_the_default() {
    let local = answers(&LocalSettings {
        zones: vec![
            ConfigLine::new("10.in-addr.arpa. nodefault", "t:1"),
            ConfigLine::new("test. transparent", "t:2"),
        ],
        ..LocalSettings::default()
    });
    for name in ["1.0.0.10.in-addr.arpa.", "www.test."] {
        assert!(matches!(
            local.answer(&request(name, DNSClass::IN, RecordType::A, false)),
            LocalOutcome::Resolve
        ));
    }
}

#[test]
fn deny_drops_and_refuse_refuses_with_aa() {
    let local = answers(&LocalSettings {
        zones: vec![
            ConfigLine::new("deny.top deny", "t:1"),
            ConfigLine::new("refuse.top refuse", "t:2"),
        ],
        ..LocalSettings::default()
    });
    assert!(matches!(
        local.answer(&request("a.deny.top.", DNSClass::IN, RecordType::A, false)),
        LocalOutcome::Drop
    ));
    let refused = answer(&local, "a.refuse.top.", RecordType::A);
    assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
    assert!(refused.metadata.authoritative);
}

#[test]
fn identity_and_version_are_hidden_unless_configured() {
    let hidden = answers(&LocalSettings::default());
    assert!(matches!(
        hidden.answer(&request(
            "version.bind.",
            DNSClass::CH,
            RecordType::TXT,
            false
        )),
        LocalOutcome::Resolve
    ));
    let shown = answers(&LocalSettings {
        identity: Some("test-identity".to_owned()),
        hide_version: Some(false),
        ..LocalSettings::default()
    });
    let LocalOutcome::Answer(identity) =
        shown.answer(&request("ID.server.", DNSClass::CH, RecordType::TXT, false))
    else {
        panic!("identity not answered")
    };
    assert!(!identity.metadata.authoritative);
    assert_eq!(identity.answers[0].ttl, 0);
    assert_eq!(identity.answers[0].dns_class, DNSClass::CH);
    assert!(identity.answers[0]
        .data
        .to_string()
        .contains("test-identity"));
    let LocalOutcome::Answer(version) = shown.answer(&request(
        "version.server.",
        DNSClass::CH,
        RecordType::TXT,
        false,
    )) else {
        panic!("version not answered")
    };
    assert!(version.answers[0].data.to_string().contains("resolver "));
    let refused = answers(&LocalSettings {
        identity: Some("x".to_owned()),
        hide_identity: Some(true),
        ..LocalSettings::default()
    });
    assert!(matches!(
        refused.answer(&request(
            "hostname.bind.",
            DNSClass::CH,
            RecordType::TXT,
            false
        )),
        LocalOutcome::Resolve
    ));
}

#[test]
fn nsid_is_sent_only_when_asked_in_either_syntax() {
    for (text, octets) in [
        ("ascii_hopsa kidee", b"hopsa kidee".to_vec()),
        (
            "0123456789abcdef",
            vec![0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
        ),
    ] {
        let local = answers(&LocalSettings {
            nsid: Some(text.to_owned()),
            ..LocalSettings::default()
        });
        let mut asking = request("example.", DNSClass::IN, RecordType::A, true);
        if let Some(edns) = asking.edns.as_mut() {
            edns.options_mut()
                .insert(EdnsOption::Unknown(u16::from(EdnsCode::NSID), Vec::new()));
        }
        let mut response = local_skeleton(&asking, ResponseCode::NoError, false);
        local.finish(&asking, &mut response, true);
        let sent = response
            .edns
            .as_ref()
            .and_then(|edns| edns.option(EdnsCode::NSID));
        assert_eq!(
            sent,
            Some(&EdnsOption::NSID(NSIDPayload::new(octets).unwrap()))
        );
        let plain = request("example.", DNSClass::IN, RecordType::A, true);
        let mut response = local_skeleton(&plain, ResponseCode::NoError, false);
        local.finish(&plain, &mut response, true);
        assert!(response.edns.unwrap().option(EdnsCode::NSID).is_none());
    }
    assert!(LocalAnswers::build(&LocalSettings {
        nsid: Some("abc".to_owned()),
        ..LocalSettings::default()
    })
    .is_err());
}

fn a_record(name: &str, address: &str) -> Record {
    Record::from_rdata(
        Name::from_str(name).unwrap(),
        300,
        RData::A(hickory_proto::rr::rdata::A(address.parse().unwrap())),
    )
}

#[test]
fn private_addresses_are_stripped_record_by_record_from_public_names_only() {
    let local = answers(&LocalSettings {
        private_addresses: vec![ConfigLine::new("10.0.0.0/8", "t:1")],
        private_domains: vec![ConfigLine::new("\"example.net\"", "t:2")],
        ..LocalSettings::default()
    });
    let request = request("www.example.com.", DNSClass::IN, RecordType::A, false);
    let mut response = local_skeleton(&request, ResponseCode::NoError, false);
    response.answers = vec![
        a_record("www.example.com.", "10.1.2.3"),
        a_record("www.example.com.", "192.0.2.1"),
        a_record("mail.example.net.", "10.20.30.40"),
    ];
    local.finish(&request, &mut response, true);
    // Only the private record goes; the public one of the same RRset stays (Unbound iter_priv.c).
    let kept: Vec<String> = response
        .answers
        .iter()
        .map(|record| format!("{} {}", record.name, record.data))
        .collect();
    assert_eq!(
        kept,
        vec![
            "www.example.com. 192.0.2.1",
            "mail.example.net. 10.20.30.40"
        ]
    );
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
}

/// Unbound: an SVCB record whose ipv4hint/ipv6hint points at a private prefix is removed on its
/// own (RFC 9460 hints are addresses too); the rest of its RRset stays.
#[test]
fn svcb_records_hinting_at_private_addresses_are_removed_one_by_one() {
    use hickory_proto::rr::rdata::svcb::{IpHint, SvcParamKey, SvcParamValue, SVCB};
    use hickory_proto::rr::rdata::A;
    let local = answers(&LocalSettings {
        private_addresses: vec![ConfigLine::new("10.0.0.0/8", "t:1")],
        ..LocalSettings::default()
    });
    let svcb = |hint: [u8; 4]| {
        Record::from_rdata(
            Name::from_ascii("toss.example.com.").unwrap(),
            3600,
            RData::SVCB(SVCB::new(
                1,
                Name::from_ascii("foo.example.com.").unwrap(),
                vec![(
                    SvcParamKey::Ipv4Hint,
                    SvcParamValue::Ipv4Hint(IpHint(vec![A::new(
                        hint[0], hint[1], hint[2], hint[3],
                    )])),
                )],
            )),
        )
    };
    let request = request("toss.example.com.", DNSClass::IN, RecordType::SVCB, false);
    let mut response = local_skeleton(&request, ResponseCode::NoError, false);
    response.answers = vec![svcb([10, 20, 30, 40]), svcb([1, 2, 3, 4])];
    local.finish(&request, &mut response, true);
    assert_eq!(response.answers, vec![svcb([1, 2, 3, 4])]);
}

#[test]
fn roundrobin_rotates_each_rrset_by_the_query_id() {
    let mut records = vec![
        a_record("a.example.", "192.0.2.1"),
        a_record("a.example.", "192.0.2.2"),
        a_record("a.example.", "192.0.2.3"),
        a_record("b.example.", "192.0.2.9"),
    ];
    rotate_rrsets(&mut records, 4);
    let order: Vec<String> = records
        .iter()
        .map(|record| record.data.to_string())
        .collect();
    assert_eq!(order, ["192.0.2.2", "192.0.2.3", "192.0.2.1", "192.0.2.9"]);
}

#[test]
fn redirect_cname_to_a_wildcard_puts_the_question_name_before_the_target_and_yxdomain_when_too_long(
) {
    let label = "a".repeat(60);
    let long_target = format!("*.{label}.{label}.{label}.{label}.");
    let local = answers(&LocalSettings {
        zones: vec![
            ConfigLine::new("synth.cname redirect", "t:1"),
            ConfigLine::new("long.example redirect", "t:2"),
        ],
        data: vec![
            ConfigLine::new("synth.cname. IN CNAME *.from.resolution.", "t:3"),
            ConfigLine::new(format!("long.example. IN CNAME {long_target}"), "t:4"),
        ],
        ..LocalSettings::default()
    });
    // Asked for the CNAME itself: the synthesized record is the answer.
    let synthesized = answer(&local, "www.a.synth.cname.", RecordType::CNAME);
    assert_eq!(
        synthesized.answers[0].name.to_string(),
        "www.a.synth.cname."
    );
    assert_eq!(
        synthesized.answers[0].data.to_string(),
        "www.a.synth.cname.from.resolution."
    );
    // Asked for another type: the synthesized target is chased (Unbound's local alias).
    let LocalOutcome::Alias(alias) = local.answer(&request(
        "www.a.synth.cname.",
        DNSClass::IN,
        RecordType::A,
        true,
    )) else {
        panic!("no alias")
    };
    assert_eq!(
        alias.target().to_string(),
        "www.a.synth.cname.from.resolution."
    );
    let LocalOutcome::Answer(too_long) = local.answer(&request(
        "www.bbb.c.d.long.example.",
        DNSClass::IN,
        RecordType::A,
        true,
    )) else {
        panic!("no answer")
    };
    assert_eq!(too_long.metadata.response_code, ResponseCode::YXDomain);
    assert!(too_long.answers.is_empty() && too_long.metadata.authoritative);
    let edns = too_long.edns.unwrap();
    let options = &edns.options().options;
    assert!(options.iter().any(|(_, option)| matches!(option,
        EdnsOption::Unknown(EDNS_OPTION_EXTENDED_ERROR, data) if data.get(..2) == Some(&[0, 0][..]))));
}
