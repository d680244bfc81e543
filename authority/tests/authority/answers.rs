//! Answer cases of RFC 1034 §4.3.2, RFC 2308, RFC 4592 and RFC 8482, asserted section by section.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::support::{ask, assert_header, catalog, full, section, EXAMPLE, OTHER};

const ZONE_NS: [&str; 2] = ["example.test. NS", "example.test. NS"];
const ZONE_NS_ADDRESSES: [&str; 2] = ["ns1.example.test. A", "ns2.example.test. AAAA"];

fn zones() -> authority::catalog::zones::Catalog {
    catalog(&[("example.test", EXAMPLE), ("other.test", OTHER)])
}

#[test]
fn exact_match_is_authoritative_with_zone_nameservers() {
    let reply = ask(&zones(), "web.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        full(&reply.answers),
        [
            "web.example.test. 3600 A 192.0.2.80",
            "web.example.test. 3600 A 192.0.2.81"
        ]
    );
    // RFC 1034 §4.3.2 step 6, as NSD does by default: the zone's NS and their addresses.
    assert_eq!(section(&reply.authorities), ZONE_NS);
    assert_eq!(section(&reply.additionals), ZONE_NS_ADDRESSES);
}

#[test]
fn cname_is_followed_inside_the_zone() {
    let reply = ask(&zones(), "www.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        section(&reply.answers),
        [
            "www.example.test. CNAME",
            "web.example.test. A",
            "web.example.test. A"
        ]
    );
    assert_eq!(section(&reply.authorities), ZONE_NS);
}

#[test]
fn cname_question_gets_the_cname_only() {
    let reply = ask(&zones(), "www.example.test.", RecordType::CNAME);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(section(&reply.answers), ["www.example.test. CNAME"]);
}

#[test]
fn cname_is_followed_into_another_of_our_zones() {
    let reply = ask(&zones(), "away.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        section(&reply.answers),
        ["away.example.test. CNAME", "www.other.test. A"]
    );
}

#[test]
fn cname_out_of_our_zones_stops_at_the_cname() {
    let reply = ask(&zones(), "outside.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(section(&reply.answers), ["outside.example.test. CNAME"]);
    assert!(
        reply.authorities.is_empty(),
        "a partial answer carries no NS (as NSD)"
    );
}

#[test]
fn cname_to_a_missing_name_is_nxdomain_with_the_cname() {
    let reply = ask(&zones(), "gone.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NXDomain, true);
    assert_eq!(section(&reply.answers), ["gone.example.test. CNAME"]);
    assert_eq!(section(&reply.authorities), ["example.test. SOA"]);
}

#[test]
fn cname_loop_ends_without_repeating() {
    let reply = ask(&zones(), "loop1.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        section(&reply.answers),
        ["loop1.example.test. CNAME", "loop2.example.test. CNAME"]
    );
}

#[test]
fn delegation_gives_referral_without_aa_and_with_glue() {
    let reply = ask(&zones(), "host.sub.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, false);
    assert!(reply.answers.is_empty());
    assert_eq!(
        section(&reply.authorities),
        ["sub.example.test. NS", "sub.example.test. NS"]
    );
    assert_eq!(
        full(&reply.additionals),
        ["ns.sub.example.test. 3600 A 192.0.2.200"]
    );
}

#[test]
fn ns_question_at_the_cut_is_a_referral() {
    let reply = ask(&zones(), "sub.example.test.", RecordType::NS);
    assert_header(&reply, ResponseCode::NoError, false);
    assert!(reply.answers.is_empty());
    assert_eq!(
        section(&reply.authorities),
        ["sub.example.test. NS", "sub.example.test. NS"]
    );
}

#[test]
fn glue_itself_is_not_answered_authoritatively() {
    let reply = ask(&zones(), "ns.sub.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, false);
    assert!(reply.answers.is_empty());
    assert_eq!(
        section(&reply.authorities),
        ["sub.example.test. NS", "sub.example.test. NS"]
    );
}

#[test]
fn ds_at_the_cut_is_answered_from_the_parent_side() {
    let reply = ask(&zones(), "sub.example.test.", RecordType::DS);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(section(&reply.answers), ["sub.example.test. DS"]);
}

#[test]
fn nxdomain_carries_soa_with_negative_ttl() {
    let reply = ask(&zones(), "nothing.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NXDomain, true);
    assert!(reply.answers.is_empty());
    // RFC 2308 §3: TTL = min(SOA TTL 7200, minimum 120).
    assert_eq!(full(&reply.authorities).len(), 1);
    assert_eq!(reply.authorities[0].ttl, 120);
    assert_eq!(section(&reply.authorities), ["example.test. SOA"]);
}

#[test]
fn nodata_answer_carries_soa_in_authority() {
    let reply = ask(&zones(), "web.example.test.", RecordType::AAAA);
    assert_header(&reply, ResponseCode::NoError, true);
    assert!(reply.answers.is_empty());
    assert_eq!(section(&reply.authorities), ["example.test. SOA"]);
    assert_eq!(reply.authorities[0].ttl, 120);
}

#[test]
fn empty_non_terminal_is_nodata_not_nxdomain() {
    for name in ["b.c.example.test.", "c.example.test."] {
        let reply = ask(&zones(), name, RecordType::A);
        assert_header(&reply, ResponseCode::NoError, true);
        assert!(reply.answers.is_empty(), "{name}");
        assert_eq!(section(&reply.authorities), ["example.test. SOA"], "{name}");
    }
}

#[test]
fn wildcard_synthesizes_with_the_query_name() {
    let reply = ask(&zones(), "anything.wild.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        full(&reply.answers),
        ["anything.wild.example.test. 3600 A 192.0.2.99"]
    );
}

#[test]
fn wildcard_covers_several_missing_labels() {
    let reply = ask(&zones(), "a.b.wild.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(section(&reply.answers), ["a.b.wild.example.test. A"]);
}

#[test]
fn wildcard_does_not_apply_to_existing_names() {
    let reply = ask(&zones(), "host.wild.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert!(reply.answers.is_empty());
    assert_eq!(section(&reply.authorities), ["example.test. SOA"]);
}

#[test]
fn wildcard_does_not_apply_below_existing_names() {
    // host.wild exists, so below it the closest encloser is host.wild and *.host.wild is absent.
    let reply = ask(&zones(), "x.host.wild.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NXDomain, true);
}

#[test]
fn wildcard_without_the_type_is_nodata() {
    let reply = ask(&zones(), "anything.wild.example.test.", RecordType::AAAA);
    assert_header(&reply, ResponseCode::NoError, true);
    assert!(reply.answers.is_empty());
    assert_eq!(section(&reply.authorities), ["example.test. SOA"]);
}

#[test]
fn wildcard_cname_is_synthesized_and_followed() {
    let reply = ask(&zones(), "x.cname-wild.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        section(&reply.answers),
        [
            "x.cname-wild.example.test. CNAME",
            "web.example.test. A",
            "web.example.test. A"
        ]
    );
}

#[test]
fn wildcard_mx_brings_target_address() {
    let reply = ask(&zones(), "any.wild.example.test.", RecordType::MX);
    assert_eq!(section(&reply.answers), ["any.wild.example.test. MX"]);
    assert_eq!(
        section(&reply.additionals),
        [
            "mail.example.test. A",
            ZONE_NS_ADDRESSES[0],
            ZONE_NS_ADDRESSES[1]
        ]
    );
}

#[test]
fn mx_answer_adds_exchange_address() {
    let reply = ask(&zones(), "example.test.", RecordType::MX);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(section(&reply.answers), ["example.test. MX"]);
    assert_eq!(section(&reply.authorities), ZONE_NS);
    assert_eq!(
        full(&reply.additionals),
        [
            "mail.example.test. 3600 A 192.0.2.25",
            "ns1.example.test. 3600 A 192.0.2.53",
            "ns2.example.test. 3600 AAAA 2001:db8::53"
        ]
    );
}

#[test]
fn ns_answer_adds_nameserver_addresses() {
    let reply = ask(&zones(), "example.test.", RecordType::NS);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(section(&reply.answers), ZONE_NS);
    assert!(
        reply.authorities.is_empty(),
        "the NS RRset is not repeated in authority"
    );
    assert_eq!(section(&reply.additionals), ZONE_NS_ADDRESSES);
}

#[test]
fn srv_answer_adds_target_address() {
    let reply = ask(&zones(), "_sip._udp.example.test.", RecordType::SRV);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        section(&reply.additionals),
        [
            "sip.example.test. A",
            ZONE_NS_ADDRESSES[0],
            ZONE_NS_ADDRESSES[1]
        ]
    );
}

#[test]
fn name_outside_our_zones_is_refused() {
    let reply = ask(&zones(), "www.example.org.", RecordType::A);
    assert_header(&reply, ResponseCode::Refused, false);
    assert!(
        reply.answers.is_empty() && reply.authorities.is_empty() && reply.additionals.is_empty()
    );
}

#[test]
fn any_gets_one_rrset() {
    let reply = ask(&zones(), "example.test.", RecordType::ANY);
    assert_header(&reply, ResponseCode::NoError, true);
    // RFC 8482: one RRset; we pick the lowest type code (A = 1).
    assert_eq!(section(&reply.answers), ["example.test. A"]);
}

#[test]
fn any_at_a_cname_gets_the_cname_unfollowed() {
    let reply = ask(&zones(), "www.example.test.", RecordType::ANY);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(section(&reply.answers), ["www.example.test. CNAME"]);
}

#[test]
fn any_at_an_empty_non_terminal_is_nodata() {
    let reply = ask(&zones(), "c.example.test.", RecordType::ANY);
    assert_header(&reply, ResponseCode::NoError, true);
    assert!(reply.answers.is_empty());
    assert_eq!(section(&reply.authorities), ["example.test. SOA"]);
}

#[test]
fn question_case_is_echoed_as_sent() {
    let reply = ask(&zones(), "WeB.ExAmPlE.TeSt.", RecordType::A);
    assert_eq!(reply.queries[0].name().to_string(), "WeB.ExAmPlE.TeSt.");
    assert_eq!(
        section(&reply.answers),
        ["web.example.test. A", "web.example.test. A"]
    );
}

#[test]
fn mixed_case_questions_take_the_same_paths_as_lowercase_ones() {
    // The name is lowercased once and cut into ancestors: every branch of the walk must still
    // match case-insensitively (RFC 4343), and the echoed question keeps the case sent.
    let zones = zones();
    for (name, record_type) in [
        ("WwW.ExAmPlE.TeSt.", RecordType::A),
        ("AnyThing.WILD.example.TEST.", RecordType::A),
        ("A.B.Wild.Example.Test.", RecordType::A),
        ("Host.Wild.Example.Test.", RecordType::A),
        ("AWAY.EXAMPLE.TEST.", RecordType::A),
        ("Missing.Example.Test.", RecordType::A),
        ("C.Example.Test.", RecordType::ANY),
        ("Host.SUB.Example.Test.", RecordType::A),
        ("SUB.example.test.", RecordType::DS),
    ] {
        let mixed = ask(&zones, name, record_type);
        let lower = ask(&zones, &name.to_lowercase(), record_type);
        assert_eq!(mixed.queries[0].name().to_string(), name);
        assert_eq!(
            mixed.metadata.response_code, lower.metadata.response_code,
            "{name}"
        );
        // Synthesized owners (wildcard) carry the case sent; compare without it.
        let caseless = |records| -> Vec<String> {
            full(records)
                .iter()
                .map(|record| record.to_lowercase())
                .collect()
        };
        assert_eq!(caseless(&mixed.answers), caseless(&lower.answers), "{name}");
        assert_eq!(
            caseless(&mixed.authorities),
            caseless(&lower.authorities),
            "{name}"
        );
        assert_eq!(
            caseless(&mixed.additionals),
            caseless(&lower.additionals),
            "{name}"
        );
        assert!(
            !mixed.answers.is_empty() || !mixed.authorities.is_empty(),
            "{name}"
        );
    }
}

#[test]
fn closest_enclosing_zone_answers() {
    let child = r#"
'': {type: NS, value: ns.sub.example.test.}
host: {type: A, value: 203.0.113.7}
"#;
    let zones = catalog(&[("example.test", EXAMPLE), ("sub.example.test", child)]);
    let reply = ask(&zones, "host.sub.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        full(&reply.answers),
        ["host.sub.example.test. 3600 A 203.0.113.7"]
    );
    // DS for the child apex still comes from the parent (RFC 4035 §3.1.4.1).
    let reply = ask(&zones, "sub.example.test.", RecordType::DS);
    assert_eq!(section(&reply.answers), ["sub.example.test. DS"]);
}

#[test]
fn dname_substitutes_and_follows_in_our_zones() {
    let text = r#"
'': {type: NS, value: ns.example.org.}
old: {type: DNAME, value: new.example.test.}
host.new: {type: A, value: 192.0.2.44}
"#;
    let zones = catalog(&[("example.test", text)]);
    let reply = ask(&zones, "host.old.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    // RFC 6672 §3.1: the DNAME, a CNAME synthesized with the DNAME's TTL, then the target's data.
    assert_eq!(
        full(&reply.answers)[1..],
        [
            "host.old.example.test. 3600 CNAME host.new.example.test.",
            "host.new.example.test. 3600 A 192.0.2.44"
        ]
    );
    assert_eq!(section(&reply.answers)[0], "old.example.test. DNAME");
    // The DNAME owner itself is ordinary data.
    let reply = ask(&zones, "old.example.test.", RecordType::DNAME);
    assert_eq!(section(&reply.answers), ["old.example.test. DNAME"]);
}

#[test]
fn dname_at_the_apex_redirects_names_below_it() {
    let text = r#"
'':
  - {type: NS, value: ns.example.org.}
  - {type: DNAME, value: example.net.}
"#;
    let zones = catalog(&[("example.test", text)]);
    let reply = ask(&zones, "www.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        full(&reply.answers)[1],
        "www.example.test. 3600 CNAME www.example.net."
    );
    let reply = ask(&zones, "example.test.", RecordType::NS);
    assert_eq!(section(&reply.answers), ["example.test. NS"]);
}

#[test]
fn wildcard_does_not_reach_below_a_delegation() {
    let text = r#"
'': {type: NS, value: ns.example.org.}
'*': {type: A, value: 192.0.2.9}
sub: {type: NS, value: ns.example.org.}
"#;
    let zones = catalog(&[("example.test", text)]);
    // Covered by the apex wildcard.
    let reply = ask(&zones, "anything.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, true);
    assert_eq!(
        full(&reply.answers),
        ["anything.example.test. 3600 A 192.0.2.9"]
    );
    // Below the cut the child answers: a referral, never the parent's wildcard.
    let reply = ask(&zones, "x.y.sub.example.test.", RecordType::A);
    assert_header(&reply, ResponseCode::NoError, false);
    assert!(reply.answers.is_empty());
    assert_eq!(section(&reply.authorities), ["sub.example.test. NS"]);
}

#[test]
fn ds_for_a_child_apex_without_its_parent_is_nodata_from_the_child() {
    let child = "'': {type: NS, value: ns.example.org.}\n";
    let zones = catalog(&[("sub.example.test", child)]);
    let reply = ask(&zones, "sub.example.test.", RecordType::DS);
    assert_header(&reply, ResponseCode::NoError, true);
    assert!(reply.answers.is_empty());
    assert_eq!(section(&reply.authorities), ["sub.example.test. SOA"]);
}
