//! Zone signing checked by other implementations: the zone we print signed is accepted by BIND's
//! dnssec-verify and ldns-verify-zone, and NSD serving it answers DO=1 queries as we do.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use authority::answer::handler::answer_packet;
use authority::catalog::zones::{Catalog, ZoneSource};
use authority::dnssec::keys::{generate_key, KeyRole};
use authority::dnssec::master::signed_master_file;
use authority::listen::Protocol;
use hickory_proto::dnssec::Algorithm;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};

use crate::interop_nsd::{ask_nsd, derived_questions, rrs, start_nsd, tool_available};

/// NSD's address for the signed-zone comparisons, one per test.
const NSD_SIGNED_NSEC_ADDRESS: &str = "127.20.0.6:5300";
const NSD_SIGNED_NSEC3_ADDRESS: &str = "127.20.0.7:5300";
const NSD_SIGNED_OPT_OUT_ADDRESS: &str = "127.20.0.8:5300";

/// A copy of zones/examples/example.test.yaml in a fresh directory, signed with `settings`
/// (the lines under `dnssec:`), with a new key pair of `algorithm` (or a KSK and a ZSK).
fn signed_example(name: &str, settings: &str, algorithm: Algorithm, split: bool) -> PathBuf {
    let directory =
        std::env::temp_dir().join(format!("authority-signing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    let zone = Name::from_ascii("example.test.").unwrap();
    let keys = directory.join("keys");
    if split {
        generate_key(&zone, algorithm, KeyRole::KeySigning, &keys).unwrap();
        generate_key(&zone, algorithm, KeyRole::ZoneSigning, &keys).unwrap();
    } else {
        generate_key(&zone, algorithm, KeyRole::Combined, &keys).unwrap();
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../zones/examples/example.test.yaml");
    let text = std::fs::read_to_string(source).unwrap();
    let marker = "      cloudflare:\n        proxied: false\n";
    assert!(text.contains(marker));
    let text = text.replacen(
        marker,
        &format!("{marker}      dnssec:\n        keys: keys\n{settings}"),
        1,
    );
    let path = directory.join("example.test.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn load(path: &Path) -> Catalog {
    let load = Catalog::load(&[ZoneSource::parse(path.to_str().unwrap()).unwrap()]);
    assert!(load.errors.is_empty(), "{:?}", load.errors);
    load.catalog
}

/// Runs a verifier on the printed zone; its output when it refuses.
fn verify(tool: &str, arguments: &[&str], zone_file: &Path) -> Result<(), String> {
    let output = Command::new(tool)
        .args(arguments)
        .arg(zone_file)
        .output()
        .map_err(|error| format!("{tool}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool} refused {}:\n{}{}",
            zone_file.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn assert_verifiers_accept(name: &str, settings: &str, algorithm: Algorithm, split: bool) {
    if !tool_available("dnssec-verify") || !tool_available("ldns-verify-zone") {
        return;
    }
    let path = signed_example(name, settings, algorithm, split);
    let catalog = load(&path);
    let zone = catalog.zones().next().unwrap();
    let printed = path.with_file_name("example.test.signed");
    std::fs::write(&printed, signed_master_file(zone)).unwrap();
    // -z: a CSK signs everything, so its KSK flag says nothing about what it signs (BIND's man page).
    let bind = verify(
        "dnssec-verify",
        &["-q", "-z", "-o", "example.test"],
        &printed,
    );
    let ldns = verify("ldns-verify-zone", &[], &printed);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    bind.unwrap();
    ldns.unwrap();
}

#[test]
fn dnssec_verify_and_ldns_accept_the_nsec_signed_zone() {
    assert_verifiers_accept("nsec", "", Algorithm::ECDSAP256SHA256, false);
}

#[test]
fn dnssec_verify_and_ldns_accept_the_nsec3_zone_with_a_ksk_and_zsk() {
    assert_verifiers_accept("nsec3", "        denial: nsec3\n", Algorithm::ED25519, true);
}

#[test]
fn dnssec_verify_and_ldns_accept_the_nsec3_opt_out_zone() {
    assert_verifiers_accept(
        "opt-out",
        "        denial: nsec3\n        opt-out: true\n",
        Algorithm::ECDSAP256SHA256,
        false,
    );
}

/// A query with EDNS (1232 octets) and DO=1.
fn signed_query(name: &str, record_type: RecordType) -> Vec<u8> {
    let mut message = Message::new(0x4242, MessageType::Query, OpCode::Query);
    message
        .queries
        .push(Query::query(Name::from_ascii(name).unwrap(), record_type));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    edns.set_dnssec_ok(true);
    message.edns = Some(edns);
    message.to_vec().unwrap()
}

/// Every derived question plus the proofs' corner cases, asked of NSD and of us with DO=1.
fn assert_same_as_nsd_with_dnssec(name: &str, settings: &str, nsd_address: &'static str) {
    if !tool_available("nsd") {
        return;
    }
    let path = signed_example(name, settings, Algorithm::ECDSAP256SHA256, false);
    let catalog = load(&path);
    let nsd = start_nsd(&catalog, nsd_address);
    let socket = UdpSocket::bind("127.20.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut questions = derived_questions(&catalog);
    for (name, record_type) in [
        ("example.test.", RecordType::DNSKEY),
        ("sub.example.test.", RecordType::DS),
        ("host.sub.example.test.", RecordType::A),
        ("nonterminal.example.test.", RecordType::A),
        ("zz.example.test.", RecordType::A),
        ("host.wild.example.test.", RecordType::A),
        ("host.wild.example.test.", RecordType::TXT),
    ] {
        questions.push((name.to_string(), record_type));
    }
    let mut differences = Vec::new();
    for (name, record_type) in &questions {
        let query = signed_query(name, *record_type);
        let theirs = ask_nsd(&nsd, &socket, &query);
        let ours =
            Message::from_vec(&answer_packet(&catalog, &query, Protocol::Udp).unwrap()).unwrap();
        let view = |message: &Message| {
            (
                message.metadata.response_code,
                message.metadata.authoritative,
                message.metadata.truncation,
                rrs(&message.answers),
                rrs(&message.authorities),
                rrs(&message.additionals),
            )
        };
        if view(&ours) != view(&theirs) {
            differences.push(format!(
                "{name} {record_type}:\n  ours {:?}\n  nsd  {:?}",
                view(&ours),
                view(&theirs)
            ));
        }
    }
    drop(nsd);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    assert!(
        differences.is_empty(),
        "{} of {} differ:\n{}",
        differences.len(),
        questions.len(),
        differences.join("\n")
    );
}

#[test]
fn nsd_serving_the_printed_nsec_zone_answers_do_queries_as_we_do() {
    assert_same_as_nsd_with_dnssec("nsd-nsec", "", NSD_SIGNED_NSEC_ADDRESS);
}

#[test]
fn nsd_serving_the_printed_nsec3_zone_answers_do_queries_as_we_do() {
    assert_same_as_nsd_with_dnssec(
        "nsd-nsec3",
        "        denial: nsec3\n",
        NSD_SIGNED_NSEC3_ADDRESS,
    );
}

#[test]
fn nsd_serving_the_printed_opt_out_zone_answers_do_queries_as_we_do() {
    assert_same_as_nsd_with_dnssec(
        "nsd-opt-out",
        "        denial: nsec3\n        opt-out: true\n",
        NSD_SIGNED_OPT_OUT_ADDRESS,
    );
}
