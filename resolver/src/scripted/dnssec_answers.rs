//! What a DO client gets from signed zones, validating or not (RFC 4035 §3.2): the RRSIGs and,
//! for a wildcard expansion, the NSEC proof of no closer name; fresh from a walk and cached.
//! And what a broken denial gives: SERVFAIL with its RFC 8914 code.

use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{RData, Record, RecordType};

use crate::config::ResolverConfig;
use crate::scripted::network::*;
use crate::scripted::signed_network::*;

fn do_query(qname: &str) -> Message {
    let mut query = client_query(qname, RecordType::A);
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    query.edns = Some(edns);
    query
}

/// `example.` holds `*.example. A`; `anything.example. A` is its expansion, signed with the
/// wildcard's label count, and the NSEC from `example.` to `www.example.` covers the name.
fn wildcard_zone() -> SignedInternet {
    wildcard_zone_with_proof_ttl(3600)
}

/// `wildcard_zone` with the NSEC proof's TTL set to `proof_ttl`.
fn wildcard_zone_with_proof_ttl(proof_ttl: u32) -> SignedInternet {
    let mut internet = SignedInternet::new(1);
    let mut expansion = internet.child.signed(vec![a("*.example.", "192.0.2.77")]);
    for record in &mut expansion {
        record.name = hickory_proto::rr::Name::from_ascii("anything.example.").unwrap();
    }
    let nsec = Record::from_rdata(
        name("example."),
        proof_ttl,
        RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::NSEC(
            hickory_proto::dnssec::rdata::NSEC::new(
                name("www.example."),
                [
                    RecordType::NS,
                    RecordType::SOA,
                    RecordType::RRSIG,
                    RecordType::NSEC,
                    RecordType::DNSKEY,
                ],
            ),
        )),
    );
    let authorities = internet.child.signed(vec![nsec]);
    internet.on_child(
        "anything.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: expansion,
            authorities,
            ..Canned::default()
        },
    );
    internet
}

fn nsec_proof(response: &Message) -> Vec<RecordType> {
    response
        .authorities
        .iter()
        .map(|record| record.record_type())
        .collect()
}

async fn assert_proof_fresh_and_cached(setup: &Setup, authentic: bool) {
    for round in ["fresh", "cached"] {
        let response = setup.resolver.resolve(&do_query("anything.example.")).await;
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(response.metadata.authentic_data, authentic, "{round}");
        assert_eq!(addresses(&response).len(), 1, "{round}");
        let proof = nsec_proof(&response);
        assert!(
            proof.contains(&RecordType::NSEC) && proof.contains(&RecordType::RRSIG),
            "{round}: the NSEC proof and its RRSIG in the authority section, got {proof:?}"
        );
        setup.resolver.store_deferred();
    }
}

#[tokio::test]
async fn validating_a_wildcard_expansion_gives_do_clients_its_proof_and_ad() {
    let internet = wildcard_zone();
    let config = internet.config();
    let setup = setup(internet.network, config);
    assert_proof_fresh_and_cached(&setup, true).await;
}

/// A wildcard expansion is cached no longer than its proof: with an NSEC of TTL 0 (nsec_wildcard_
/// answer_response), the second DO client still gets the proof, from a fresh walk, instead of
/// the cached expansion alone (RFC 4035 §3.1.3.3).
#[tokio::test]
async fn a_wildcard_expansion_is_not_cached_beyond_its_proof() {
    let internet = wildcard_zone_with_proof_ttl(0);
    let config = internet.config();
    let setup = setup(internet.network, config);
    assert_proof_fresh_and_cached(&setup, true).await;
}

/// Regression: with validation off (`--no-dnssec`) the walk's answer went to the client without
/// the wildcard's NSEC proof the server had sent (only the cached answer carried it).
#[tokio::test]
async fn not_validating_a_wildcard_expansion_still_gives_do_clients_its_proof() {
    let internet = wildcard_zone();
    let mut config: ResolverConfig = internet.config();
    config.dnssec.enabled = false;
    let setup = setup(internet.network, config);
    assert_proof_fresh_and_cached(&setup, false).await;
}

/// The RFC 8914 INFO-CODE of a response's Extended DNS Error, if any.
fn extended_error(response: &Message) -> Option<u16> {
    response
        .edns
        .as_ref()?
        .options()
        .as_ref()
        .iter()
        .find_map(|(_, option)| match option {
            EdnsOption::Unknown(15, data) if data.len() >= 2 => {
                Some(u16::from_be_bytes([data[0], data[1]]))
            }
            _ => None,
        })
}

/// `!.example.`: a name `Name::from_ascii` refuses, the lowest in canonical order after the apex.
fn bang() -> hickory_proto::rr::Name {
    hickory_proto::rr::Name::from_labels([b"!".as_slice(), b"example".as_slice()]).unwrap()
}

fn nsec(owner: hickory_proto::rr::Name, next: &str, types: &[RecordType]) -> Record {
    Record::from_rdata(
        owner,
        3600,
        RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::NSEC(
            hickory_proto::dnssec::rdata::NSEC::new(name(next), types.iter().copied()),
        )),
    )
}

/// `a.example. A` answered NXDOMAIN with the signed SOA and `denial` in the authority section.
fn name_error_with(internet: &mut SignedInternet, denial: Vec<Record>) {
    let mut authorities = internet.child.signed(vec![soa("example.", 300)]);
    authorities.extend(denial);
    internet.on_child(
        "a.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            rcode: ResponseCode::NXDomain,
            authorities,
            ..Canned::default()
        },
    );
}

/// CVE-2017-15105: an NSEC synthesized from `*.example.` (its RRSIG has the wildcard's label
/// count) as `!.example.`, spanning to `zzz.example.`, would cover `a.example.` and the wildcard.
/// Its signature verifies, but its owner is not a name of the zone: it proves nothing.
#[tokio::test]
async fn an_nsec_expanded_from_a_wildcard_proves_no_name_error() {
    let mut internet = SignedInternet::new(1);
    let types = [RecordType::A, RecordType::RRSIG, RecordType::NSEC];
    let mut expanded =
        internet
            .child
            .signed(vec![nsec(name("*.example."), "zzz.example.", &types)]);
    for record in &mut expanded {
        record.name = bang();
    }
    name_error_with(&mut internet, expanded);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("a.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(
        extended_error(&response),
        Some(6),
        "DNSSEC Bogus, as Unbound"
    );
}

/// The same NSEC signed as itself (owner `!.example.`) is a proof: secure NXDOMAIN.
#[tokio::test]
async fn an_nsec_covering_the_name_and_the_wildcard_proves_the_name_error() {
    let mut internet = SignedInternet::new(1);
    let types = [RecordType::A, RecordType::RRSIG, RecordType::NSEC];
    let denial = internet
        .child
        .signed(vec![nsec(bang(), "zzz.example.", &types)]);
    name_error_with(&mut internet, denial);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("a.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert!(response.metadata.authentic_data);
}

/// RFC 8914: a name error with no NSEC at all is NSEC Missing (12); with NSEC records that do not
/// cover the name it is DNSSEC Bogus (6), as Unbound answers.
#[tokio::test]
async fn a_name_error_without_nsec_is_ede_12_and_with_a_useless_one_ede_6() {
    let mut internet = SignedInternet::new(1);
    name_error_with(&mut internet, Vec::new());
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("a.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(extended_error(&response), Some(12));

    let mut internet = SignedInternet::new(1);
    let types = [RecordType::A, RecordType::RRSIG, RecordType::NSEC];
    let elsewhere = internet
        .child
        .signed(vec![nsec(name("m.example."), "n.example.", &types)]);
    name_error_with(&mut internet, elsewhere);
    let config = internet.config();
    let setup = crate::scripted::network::setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("a.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(extended_error(&response), Some(6));
}

/// RFC 4034 §4.1.1: an NSEC's next name is in its zone. `example.` → `b.other.` would cover
/// `a.example.` and `*.example.` (and names of other zones): it overreaches and proves nothing.
#[tokio::test]
async fn an_nsec_whose_next_name_leaves_the_zone_proves_nothing() {
    let mut internet = SignedInternet::new(1);
    let types = [RecordType::SOA, RecordType::RRSIG, RecordType::NSEC];
    let overreaching = internet
        .child
        .signed(vec![nsec(name("example."), "b.other.", &types)]);
    name_error_with(&mut internet, overreaching);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("a.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(extended_error(&response), Some(6));
}

/// A DNAME synthesized from `*.example.` (RFC 6672 §3.3: undefined) is bogus even with a good
/// proof of no closer name, as Unbound has it; the same proof makes an A expansion secure.
#[tokio::test]
async fn a_dname_expanded_from_a_wildcard_is_bogus() {
    let mut internet = SignedInternet::new(1);
    let dname =
        crate::replay::record_text::parse_record("*.example. 3600 IN DNAME example.net.").unwrap();
    let mut expansion = internet.child.signed(vec![dname]);
    for record in &mut expansion {
        record.name = name("sub.example.");
    }
    let types = [RecordType::SOA, RecordType::RRSIG, RecordType::NSEC];
    let authorities = internet
        .child
        .signed(vec![nsec(name("example."), "zzz.example.", &types)]);
    internet.on_child(
        "sub.example.",
        RecordType::DNAME,
        Canned {
            authoritative: true,
            answers: expansion,
            authorities,
            ..Canned::default()
        },
    );
    let config = internet.config();
    let setup = setup(internet.network, config);
    let resolution = setup
        .resolver
        .lookup(
            name("sub.example."),
            RecordType::DNAME,
            &crate::iterate::budget::Budget::new(std::time::Duration::ZERO),
            0,
            Vec::new(),
        )
        .await;
    assert_eq!(
        resolution.verdict.reason.map(|(reason, _)| reason),
        Some(crate::dnssec::Reason::WildcardDname)
    );
}

/// A signed CNAME into `sub.example.`, whose NSEC (NS, no DS) in the same reply proves it an
/// unsigned delegation; the same server then answers for the child without a referral. The
/// proof is reused for the child's chain of trust: an insecure answer, and no DS query.
#[tokio::test]
async fn a_cname_replys_nsec_proves_the_targets_zone_unsigned() {
    let mut internet = SignedInternet::new(1);
    let cname = internet
        .child
        .signed(vec![cname("www.example.", "www.sub.example.")]);
    let types = [RecordType::NS, RecordType::RRSIG, RecordType::NSEC];
    let authorities =
        internet
            .child
            .signed(vec![nsec(name("sub.example."), "zzz.example.", &types)]);
    internet.on_child(
        "www.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: cname,
            authorities,
            ..Canned::default()
        },
    );
    internet.on_child(
        "www.sub.example.",
        RecordType::A,
        answer(vec![a("www.sub.example.", "192.0.2.99")]),
    );
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("www.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(!response.metadata.authentic_data, "the target is insecure");
    assert_eq!(addresses(&response).len(), 1);
    assert!(!setup
        .network
        .sent()
        .iter()
        .any(|(_, _, qtype, _)| *qtype == RecordType::DS));
}

/// The same with NSEC3 (RFC 5155 §8.6): the NSEC3 matching `sub.example.`'s hash has NS and
/// no DS; it goes to the DO client's authority section with the CNAME that it came with.
#[tokio::test]
async fn a_cname_replys_nsec3_proves_the_targets_zone_unsigned_and_reaches_the_client() {
    use hickory_proto::dnssec::rdata::NSEC3;
    use hickory_proto::dnssec::Nsec3HashAlgorithm;
    let mut internet = SignedInternet::new(1);
    let cname = internet
        .child
        .signed(vec![cname("www.example.", "www.sub.example.")]);
    let hash = |text: &str| {
        Nsec3HashAlgorithm::SHA1
            .hash(&[], &name(text), 0)
            .unwrap()
            .as_ref()
            .to_vec()
    };
    let owner = data_encoding::BASE32HEX_NOPAD
        .encode(&hash("sub.example."))
        .to_ascii_lowercase();
    let mut next = hash("sub.example.");
    if let Some(last) = next.last_mut() {
        *last = last.wrapping_add(1);
    }
    let nsec3 = NSEC3::new(
        Nsec3HashAlgorithm::SHA1,
        false,
        0,
        Vec::new(),
        next,
        [RecordType::NS],
    );
    let authorities = internet.child.signed(vec![Record::from_rdata(
        name(&format!("{owner}.example.")),
        3600,
        RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::NSEC3(nsec3)),
    )]);
    internet.on_child(
        "www.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: cname,
            authorities: authorities.clone(),
            ..Canned::default()
        },
    );
    internet.on_child(
        "www.sub.example.",
        RecordType::A,
        answer(vec![a("www.sub.example.", "192.0.2.99")]),
    );
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("www.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(!response.metadata.authentic_data, "the target is insecure");
    assert_eq!(addresses(&response).len(), 1);
    assert_eq!(response.authorities, authorities);
    assert!(!setup
        .network
        .sent()
        .iter()
        .any(|(_, _, qtype, _)| *qtype == RecordType::DS));
}

/// A CNAME into `sub.example.`, proved an unsigned delegation by the CNAME reply's NSEC; the
/// target's NODATA comes with the parent's signed SOA and no NSEC (a server answering for
/// both). The unsigned child's negative answer is insecure, not bogus (val_cnametoinsecure).
#[tokio::test]
async fn a_nodata_below_a_proved_unsigned_delegation_is_insecure_whoever_signed_it() {
    let mut internet = SignedInternet::new(1);
    let cname = internet
        .child
        .signed(vec![cname("www.example.", "www.sub.example.")]);
    let types = [RecordType::NS, RecordType::RRSIG, RecordType::NSEC];
    let authorities =
        internet
            .child
            .signed(vec![nsec(name("sub.example."), "zzz.example.", &types)]);
    internet.on_child(
        "www.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: cname,
            authorities,
            ..Canned::default()
        },
    );
    let parent_soa = internet.child.signed(vec![soa("example.", 300)]);
    internet.on_child(
        "www.sub.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            authorities: parent_soa,
            ..Canned::default()
        },
    );
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("www.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(!response.metadata.authentic_data);
    assert_eq!(response.answers.len(), 2, "the signed CNAME");
}

/// The child's servers fail every DNSKEY query: bogus (SERVFAIL, EDE 9 DNSKEY Missing) by
/// default; with Unbound's `harden-dnssec-stripped: no` the zone is insecure and answers.
#[tokio::test]
async fn a_dnskey_set_that_cannot_be_had_is_bogus_unless_stripping_is_allowed() {
    for stripped_is_insecure in [false, true] {
        let mut internet = SignedInternet::new(1);
        internet.on_child(
            "example.",
            RecordType::DNSKEY,
            Canned {
                rcode: ResponseCode::ServFail,
                ..Canned::default()
            },
        );
        let mut config = internet.config();
        config.dnssec.stripped_is_insecure = stripped_is_insecure;
        let setup = setup(internet.network, config);
        let response = setup.resolver.resolve(&do_query("www.example.")).await;
        if stripped_is_insecure {
            assert_eq!(response.metadata.response_code, ResponseCode::NoError);
            assert!(!response.metadata.authentic_data);
            assert_eq!(addresses(&response).len(), 1);
        } else {
            assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
            assert_eq!(extended_error(&response), Some(9));
        }
    }
}

/// Unbound `prefetch-key`: the root's referral to `example.` carries its DS, so the fetch of
/// `example.`'s keys is queued for the host to run beside the walk; not without the option.
#[tokio::test]
async fn a_referral_with_a_ds_queues_the_zones_key_fetch_with_prefetch_key() {
    for prefetch_keys in [false, true] {
        let internet = SignedInternet::new(1);
        let mut config = internet.config();
        config.dnssec.prefetch_keys = prefetch_keys;
        let setup = setup(internet.network, config);
        let response = setup.resolver.resolve(&do_query("www.example.")).await;
        assert!(response.metadata.authentic_data);
        let keys: Vec<_> = setup
            .resolver
            .take_refreshes()
            .into_iter()
            .filter(|refresh| refresh.keys)
            .collect();
        if !prefetch_keys {
            assert!(keys.is_empty(), "{keys:?}");
            continue;
        }
        assert_eq!(keys.len(), 1, "{keys:?}");
        assert_eq!(keys[0].name, name("example."));
        // Run after the walk, the keys are already known: nothing more is asked.
        let sent = setup.network.sent().len();
        setup.resolver.refresh(keys[0].clone()).await;
        assert_eq!(setup.network.sent().len(), sent);
    }
}

/// Unbound's `val-clean-additional` (default on): beside a secure NS answer, the unsigned
/// addresses of its servers are left out, since a client could take them for validated data
/// (iter_validate); with validation off they are added as ever.
#[tokio::test]
async fn a_secure_ns_answer_carries_no_unsigned_addresses() {
    for validating in [true, false] {
        let mut internet = SignedInternet::new(1);
        let answers = internet.child.signed(vec![ns("example.", "ns0.example.")]);
        internet.on_child(
            "example.",
            RecordType::NS,
            Canned {
                authoritative: true,
                answers,
                additionals: vec![a("ns0.example.", &child_server(0))],
                ..Canned::default()
            },
        );
        let mut config: ResolverConfig = internet.config();
        config.dnssec.enabled = validating;
        let setup = setup(internet.network, config);
        let response = setup
            .resolver
            .resolve(&ad_query("example.", RecordType::NS))
            .await;
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(response.metadata.authentic_data, validating);
        assert_eq!(
            response.additionals.is_empty(),
            validating,
            "validating: {validating}, additional: {:?}",
            response.additionals
        );
    }
}

/// RFC 8020 (Unbound `harden-below-nxdomain`): below a cached secure NXDOMAIN nothing exists,
/// so `b.a.example.` is answered NXDOMAIN without a query; with the hardening off it is asked.
#[tokio::test]
async fn a_name_below_a_secure_nxdomain_is_answered_from_the_cache() {
    for harden in [true, false] {
        let mut internet = SignedInternet::new(1);
        let types = [RecordType::A, RecordType::RRSIG, RecordType::NSEC];
        let denial = internet
            .child
            .signed(vec![nsec(bang(), "zzz.example.", &types)]);
        name_error_with(&mut internet, denial);
        // The NSEC covers b.a.example. too: RFC 8198 would answer it either way.
        let config = ResolverConfig {
            harden_below_nxdomain: harden,
            aggressive_nsec: false,
            ..internet.config()
        };
        let setup = setup(internet.network, config);
        let first = setup.resolver.resolve(&do_query("a.example.")).await;
        assert_eq!(first.metadata.response_code, ResponseCode::NXDomain);
        let before = setup.network.sent().len();
        let below = setup.resolver.resolve(&do_query("b.a.example.")).await;
        let asked = setup.network.sent().len() - before;
        if harden {
            assert_eq!(below.metadata.response_code, ResponseCode::NXDomain);
            assert_eq!(asked, 0, "answered from the cache");
        } else {
            assert!(asked > 0, "resolved without the hardening");
        }
    }
}

/// RFC 1035 §3.2.5: a question of class ANY (`*`) is resolved as class IN, the only class the
/// resolver serves; the reply echoes the question as asked, carries the IN records, and is
/// secure like the IN answer (Unbound `processCollectClass`). Other classes stay REFUSED.
#[tokio::test]
async fn a_class_any_question_gets_the_secure_class_in_answer() {
    let internet = SignedInternet::new(1);
    let config = internet.config();
    let setup = setup(internet.network, config);
    for round in ["fresh", "cached"] {
        let mut query = ad_query("www.example.", RecordType::A);
        query.queries[0].set_query_class(hickory_proto::rr::DNSClass::ANY);
        let response = setup.resolver.resolve(&query).await;
        assert_eq!(
            response.metadata.response_code,
            ResponseCode::NoError,
            "{round}"
        );
        assert!(response.metadata.authentic_data, "{round}");
        assert_eq!(
            response.queries[0].query_class(),
            hickory_proto::rr::DNSClass::ANY,
            "{round}"
        );
        assert_eq!(addresses(&response).len(), 1, "{round}");
        assert!(response
            .answers
            .iter()
            .all(|record| record.dns_class == hickory_proto::rr::DNSClass::IN));
    }
    let mut chaos = ad_query("www.example.", RecordType::A);
    chaos.queries[0].set_query_class(hickory_proto::rr::DNSClass::HS);
    let response = setup.resolver.resolve(&chaos).await;
    assert_eq!(response.metadata.response_code, ResponseCode::Refused);
}

/// RFC 8020 on the way down (Unbound `dnssec_expected`, stop_nxdomain_minimised): a signed
/// NXDOMAIN to the minimised question `a.example.` answers `b.a.example.` (nothing exists below
/// a name that does not exist); the full name is never asked.
#[tokio::test]
async fn a_signed_nxdomain_to_a_minimised_question_ends_the_walk() {
    let mut internet = SignedInternet::new(1);
    let types = [RecordType::A, RecordType::RRSIG, RecordType::NSEC];
    let denial = internet
        .child
        .signed(vec![nsec(bang(), "zzz.example.", &types)]);
    let mut authorities = internet.child.signed(vec![soa("example.", 300)]);
    authorities.extend(denial);
    for qtype in [RecordType::A, RecordType::NS] {
        internet.on_child(
            "a.example.",
            qtype,
            Canned {
                authoritative: true,
                rcode: ResponseCode::NXDomain,
                authorities: authorities.clone(),
                ..Canned::default()
            },
        );
    }
    let config = ResolverConfig {
        qname_minimisation: true,
        aggressive_nsec: false,
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    let response = setup.resolver.resolve(&do_query("b.a.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert!(response.metadata.authentic_data, "the proof was validated");
    let full_name_asked = setup
        .network
        .sent()
        .iter()
        .any(|sent| sent.1 == name("b.a.example."));
    assert!(!full_name_asked, "{:?}", setup.network.sent());
}
