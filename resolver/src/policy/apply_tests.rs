//! Tests of `apply`: what the policy does to requests and resolved answers, from settings
//! values, no sockets (the scenarios and the daemon's e2e test cover the whole path).

use super::*;
use crate::policy::rpz_zone::RpzOptions;
use crate::policy::settings::RpzSource;
use crate::server::local_alias::LocalAlias;
use crate::server::local_zone_table::ConfigLine;
use hickory_proto::op::{Edns, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::A;
use std::path::PathBuf;
use std::str::FromStr;

const ZONE: &str = "$ORIGIN rpz.example.\n\
    @ 3600 IN SOA ns.rpz.example. host.rpz.example. 1 3600 600 86400 60\n\
    blocked.test CNAME .\n\
    *.ads.test CNAME rpz-drop.\n\
    empty.test CNAME *.\n\
    allowed.test CNAME rpz-passthru.\n\
    tcp.test CNAME rpz-tcp-only.\n\
    walled.test A 192.0.2.80\n\
    walled.test TXT \"walled\"\n\
    alias.test CNAME www.walled.example.\n\
    24.0.2.0.192.rpz-ip CNAME .\n\
    32.7.113.0.203.rpz-ip A 198.51.100.7\n\
    32.9.9.9.10.rpz-client-ip CNAME rpz-drop.\n";

fn settings(options: RpzOptions) -> PolicySettings {
    PolicySettings {
        zones: vec![RpzSource {
            name: Name::from_str("rpz.example.").unwrap(),
            zone: ZoneText::Inline {
                text: ZONE.to_owned(),
                file: PathBuf::from("t.rpz"),
            },
            options,
        }],
        ..PolicySettings::default()
    }
}

fn policy(options: RpzOptions) -> ResponsePolicy {
    ResponsePolicy::build(&settings(options)).unwrap()
}

fn request(name: &str, record_type: RecordType) -> Message {
    let mut message = Message::new(0x4242, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = true;
    message
        .queries
        .push(Query::query(Name::from_str(name).unwrap(), record_type));
    message.edns = Some(Edns::new());
    message
}

fn answered(verdict: BeforeResolution) -> Message {
    match verdict {
        BeforeResolution::Answer(response) => response,
        other => panic!("{other:?}"),
    }
}

fn address(owner: &str, address: [u8; 4]) -> Record {
    let [a, b, c, d] = address;
    Record::from_rdata(
        Name::from_str(owner).unwrap(),
        60,
        RData::A(A::new(a, b, c, d)),
    )
}

fn resolved(request: &Message, answers: Vec<Record>) -> Message {
    let mut response = response_skeleton(request, ResponseCode::NoError);
    response.answers = answers;
    response
}

fn extended_error(response: &Message) -> Option<u16> {
    response
        .edns
        .as_ref()?
        .options()
        .as_ref()
        .iter()
        .find_map(|(_, option)| match option {
            EdnsOption::Unknown(EDNS_OPTION_EXTENDED_ERROR, data) => {
                Some(u16::from_be_bytes([*data.first()?, *data.get(1)?]))
            }
            _ => None,
        })
}

#[test]
fn qname_triggers_answer_nxdomain_nodata_and_drop_before_resolution() {
    let policy = policy(RpzOptions::default());
    let nx = answered(policy.before(&request("Blocked.Test.", RecordType::A), None, true));
    assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
    assert!(nx.metadata.authoritative && nx.metadata.recursion_available && nx.answers.is_empty());
    assert_eq!(extended_error(&nx), Some(EXTENDED_ERROR_BLOCKED));
    let nodata = answered(policy.before(&request("empty.test.", RecordType::A), None, true));
    assert_eq!(nodata.metadata.response_code, ResponseCode::NoError);
    assert!(nodata.answers.is_empty());
    assert!(matches!(
        policy.before(&request("x.y.ads.test.", RecordType::A), None, true),
        BeforeResolution::Drop
    ));
    assert!(matches!(
        policy.before(&request("ads.test.", RecordType::A), None, true),
        BeforeResolution::Resolve {
            rpz_passthru: false
        }
    ));
    assert!(matches!(
        policy.before(&request("allowed.test.", RecordType::A), None, true),
        BeforeResolution::Resolve { rpz_passthru: true }
    ));
}

#[test]
fn tcp_only_truncates_over_udp_and_resolves_over_tcp() {
    let policy = policy(RpzOptions::default());
    let udp = answered(policy.before(&request("tcp.test.", RecordType::A), None, true));
    assert!(udp.metadata.truncation && udp.answers.is_empty());
    assert!(matches!(
        policy.before(&request("tcp.test.", RecordType::A), None, false),
        BeforeResolution::Resolve { .. }
    ));
}

#[test]
fn local_data_answers_its_type_under_the_qname_and_a_cname_is_followed() {
    let policy = policy(RpzOptions::default());
    let walled = answered(policy.before(&request("walled.test.", RecordType::A), None, true));
    assert_eq!(walled.answers.len(), 1);
    assert_eq!(walled.answers[0].name.to_string(), "walled.test.");
    assert_eq!(walled.answers[0].data.to_string(), "192.0.2.80");
    let none = answered(policy.before(&request("walled.test.", RecordType::MX), None, true));
    assert!(none.answers.is_empty() && none.metadata.response_code == ResponseCode::NoError);
    let asked = request("alias.test.", RecordType::A);
    let BeforeResolution::Alias(cname) = policy.before(&asked, None, true) else {
        panic!("no alias");
    };
    assert_eq!(cname.name.to_string(), "alias.test.");
    let alias = LocalAlias::new(cname).expect("a CNAME");
    let target = alias.target_request(&asked);
    assert_eq!(target.queries[0].name().to_string(), "www.walled.example.");
    let joined = alias.response(
        &asked,
        resolved(
            &target,
            vec![address("www.walled.example.", [198, 51, 100, 1])],
        ),
    );
    assert_eq!(joined.queries[0].name().to_string(), "alias.test.");
    assert_eq!(joined.answers.len(), 2);
}

#[test]
fn client_ip_triggers_come_before_qname_triggers() {
    let policy = policy(RpzOptions::default());
    let client = Some("10.9.9.9".parse().unwrap());
    assert!(matches!(
        policy.before(&request("anything.example.", RecordType::A), client, true),
        BeforeResolution::Drop
    ));
}

#[test]
fn response_ip_triggers_rewrite_the_answer_keeping_the_cname_chain() {
    let policy = policy(RpzOptions::default());
    let asked = request("www.example.test.", RecordType::A);
    let mut response = resolved(
        &asked,
        vec![
            Record::from_rdata(
                Name::from_str("www.example.test.").unwrap(),
                60,
                RData::CNAME(CNAME(Name::from_str("host.example.test.").unwrap())),
            ),
            address("host.example.test.", [192, 0, 2, 1]),
        ],
    );
    response
        .authorities
        .push(address("ns.example.test.", [192, 0, 2, 53]));
    let verdict = policy.after(&asked, &mut response, None, true, false);
    assert_eq!(verdict, AfterResolution::Send);
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(response.answers.len(), 1, "the CNAME stays");
    assert!(response.authorities.is_empty());
    // Local data at an rpz-ip trigger replaces the address RRset.
    let mut redirected = resolved(&asked, vec![address("www.example.test.", [203, 0, 113, 7])]);
    policy.after(&asked, &mut redirected, None, true, false);
    assert_eq!(redirected.answers[0].data.to_string(), "198.51.100.7");
    assert_eq!(redirected.answers[0].name.to_string(), "www.example.test.");
    // After a passthru QNAME trigger the zone's rpz-ip triggers are not consulted.
    let mut passed = resolved(&asked, vec![address("www.example.test.", [192, 0, 2, 1])]);
    policy.after(&asked, &mut passed, None, true, true);
    assert_eq!(passed.answers.len(), 1);
    // Other question types are left alone.
    let text = request("www.example.test.", RecordType::TXT);
    let mut other = resolved(&text, vec![address("www.example.test.", [192, 0, 2, 1])]);
    policy.after(&text, &mut other, None, true, false);
    assert_eq!(other.answers.len(), 1);
}

#[test]
fn overrides_signal_and_disabled_zones() {
    let nxdomain = policy(RpzOptions {
        action_override: Some(ActionOverride::Action(PolicyAction::NxDomain)),
        signal_nxdomain_ra: true,
        ..RpzOptions::default()
    });
    let walled = answered(nxdomain.before(&request("walled.test.", RecordType::A), None, true));
    assert_eq!(walled.metadata.response_code, ResponseCode::NXDomain);
    assert!(
        !walled.metadata.recursion_available,
        "RA cleared as a signal"
    );
    let disabled = policy(RpzOptions {
        action_override: Some(ActionOverride::Disabled),
        log: true,
        ..RpzOptions::default()
    });
    assert!(matches!(
        disabled.before(&request("blocked.test.", RecordType::A), None, true),
        BeforeResolution::Resolve { .. }
    ));
    let cname = policy(RpzOptions {
        action_override: Some(ActionOverride::Cname(
            Name::from_str("walled.example.").unwrap(),
        )),
        ..RpzOptions::default()
    });
    assert!(matches!(
        cname.before(&request("blocked.test.", RecordType::A), None, true),
        BeforeResolution::Alias(_)
    ));
}

#[test]
fn response_ip_rules_deny_redirect_and_refuse() {
    let policy = ResponsePolicy::build(&PolicySettings {
        response_ip: vec![
            ConfigLine::new("192.0.2.0/24 deny", "t:1"),
            ConfigLine::new("198.51.100.0/24=redirect", "t:2"),
            ConfigLine::new("203.0.113.0/24 always_refuse", "t:3"),
        ],
        response_ip_data: vec![ConfigLine::new("198.51.100.0/24 \"A 192.0.2.99\"", "t:4")],
        ..PolicySettings::default()
    })
    .unwrap();
    let asked = request("www.example.test.", RecordType::A);
    let mut denied = resolved(&asked, vec![address("www.example.test.", [192, 0, 2, 1])]);
    assert_eq!(
        policy.after(&asked, &mut denied, None, true, false),
        AfterResolution::Drop
    );
    let mut redirect = resolved(
        &asked,
        vec![address("www.example.test.", [198, 51, 100, 4])],
    );
    policy.after(&asked, &mut redirect, None, true, false);
    assert_eq!(redirect.answers[0].data.to_string(), "192.0.2.99");
    let mut refused = resolved(&asked, vec![address("www.example.test.", [203, 0, 113, 4])]);
    policy.after(&asked, &mut refused, None, true, false);
    assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
    let bad = ResponsePolicy::build(&PolicySettings {
        response_ip: vec![
            ConfigLine::new("192.0.2.0/33 deny", "t:1"),
            ConfigLine::new("192.0.2.0/24 static", "t:2"),
        ],
        ..PolicySettings::default()
    })
    .unwrap_err();
    assert_eq!(bad.errors.len(), 2, "{bad}");
    assert!(bad.errors[0].starts_with("t:1"), "{bad}");
}

#[test]
fn qname_triggers_apply_to_the_targets_of_a_cname_chain() {
    let policy = policy(RpzOptions::default());
    let asked = request("start.example.", RecordType::A);
    let chain = |target: &str| {
        resolved(
            &asked,
            vec![
                Record::from_rdata(
                    Name::from_str("start.example.").unwrap(),
                    60,
                    RData::CNAME(CNAME(Name::from_str(target).unwrap())),
                ),
                address(target, [198, 51, 100, 1]),
            ],
        )
    };
    let mut blocked = chain("blocked.test.");
    assert_eq!(
        policy.after(&asked, &mut blocked, None, true, false),
        AfterResolution::Send
    );
    assert_eq!(blocked.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(
        blocked.answers.len(),
        1,
        "the CNAME to the blocked name stays"
    );
    let mut dropped = chain("x.ads.test.");
    assert_eq!(
        policy.after(&asked, &mut dropped, None, true, false),
        AfterResolution::Drop
    );
    let mut untouched = chain("fine.example.");
    policy.after(&asked, &mut untouched, None, true, false);
    assert_eq!(untouched.answers.len(), 2);
}
