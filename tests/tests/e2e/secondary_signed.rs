//! Our authority as a secondary of a zone its primary signed: `dnssec-signzone` (NSEC) served by
//! NSD, `ldns-signzone` (NSEC3) served by Knot; DO=1 answers section for section as the primary's.
//! What we pass on by AXFR is accepted by `ldns-verify-zone`; Knot's IXFR of a re-signed zone applies.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use e2e::{loopback_for, require_tool, start_workspace_server, Peer, PrimaryZone, Process, Zone};
use hickory_proto::op::{Edns, Message};
use hickory_proto::rr::{RData, RecordType};

use super::dnssec::{SignedZone, Signer};
use super::secondary::transfer_line;

/// Bound on our secondary serving a serial the primary has (a transfer takes well under a second).
const FOLLOW_BOUND: Duration = Duration::from_secs(30);

/// Pause between two polls of the serial (the loop is bounded by FOLLOW_BOUND).
const POLL_PAUSE: Duration = Duration::from_millis(100);

const ORIGIN: &str = "signed.test.";

/// The zone before signing, at `serial`: a signed delegation (DS), an unsigned one, glue, a CNAME,
/// a wildcard, an empty non-terminal (`b` of `a.b`) and names that do not exist around them.
fn zone_text(serial: u32) -> String {
    format!(
        "$TTL 3600\n$ORIGIN signed.test.\n\
         @ IN SOA ns1 hostmaster {serial} 3600 900 604800 300\n@ NS ns1\n@ MX 10 mail\n\
         ns1 A 192.0.2.1\nmail A 192.0.2.25\nwww A 192.0.2.{www}\nalias CNAME www\n\
         *.wild TXT \"wildcard\"\na.b TXT \"below an empty non-terminal\"\n\
         secure NS ns.secure\nns.secure A 192.0.2.53\n\
         secure DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n\
         insecure NS ns.elsewhere.test.\n",
        www = 79 + serial
    )
}

/// Positive, CNAME, wildcard, NXDOMAIN, NODATA (also at an empty non-terminal and for DS at an
/// unsigned delegation), referrals with and without DS, DNSKEY.
const QUESTIONS: &[(&str, RecordType)] = &[
    ("signed.test.", RecordType::SOA),
    ("signed.test.", RecordType::DNSKEY),
    ("signed.test.", RecordType::MX),
    ("www.signed.test.", RecordType::A),
    ("alias.signed.test.", RecordType::A),
    ("x.wild.signed.test.", RecordType::TXT),
    ("x.wild.signed.test.", RecordType::A),
    ("nothere.signed.test.", RecordType::A),
    ("www.signed.test.", RecordType::AAAA),
    ("b.signed.test.", RecordType::TXT),
    ("www.secure.signed.test.", RecordType::A),
    ("secure.signed.test.", RecordType::DS),
    ("www.insecure.signed.test.", RecordType::A),
    ("insecure.signed.test.", RecordType::DS),
];

/// One answer as the comparison sees it: rcode, AA, and each section's records as text, sorted
/// (the order of RRsets within a section is the servers' own); the OPT record left out.
type Sections = (String, bool, [Vec<String>; 3]);

fn sections_of(server: SocketAddr, name: &str, record_type: RecordType) -> Sections {
    let mut query = e2e::client::build_query(name, record_type)
        .unwrap_or_else(|error| panic!("{name}: {error:?}"));
    query.metadata.recursion_desired = false;
    let mut edns = Edns::new();
    edns.set_max_payload(4096);
    edns.set_dnssec_ok(true);
    query.set_edns(edns);
    let reply: Message = e2e::client::exchange_tcp(server, &query, e2e::QUERY_TIMEOUT)
        .unwrap_or_else(|error| panic!("{server} {name} {record_type}: {error:?}"));
    let text = |records: &[hickory_proto::rr::Record]| {
        let mut lines: Vec<String> = records
            .iter()
            .filter(|record| record.record_type() != RecordType::OPT)
            .map(ToString::to_string)
            .collect();
        lines.sort();
        lines
    };
    (
        reply.metadata.response_code.to_string(),
        reply.metadata.authoritative,
        [
            text(&reply.answers),
            text(&reply.authorities),
            text(&reply.additionals),
        ],
    )
}

/// What must match: a negative answer or referral whole (its proofs, DS and glue are what
/// DNSSEC adds); a positive answer's answer section and the denial proofs in its authority (a
/// wildcard's), since whether the apex NS follows a positive answer is each server's policy (NSD
/// adds it, Knot does not; RFC 2181 §6.1 allows both).
fn comparable((rcode, authoritative, [answers, authorities, additionals]): Sections) -> Sections {
    if answers.is_empty() {
        return (rcode, authoritative, [answers, authorities, additionals]);
    }
    let is_proof = |line: &String| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.get(3..5) {
            Some(["NSEC" | "NSEC3", _]) => true,
            Some(["RRSIG", covered]) => matches!(*covered, "NSEC" | "NSEC3"),
            _ => false,
        }
    };
    let proofs = authorities.into_iter().filter(is_proof).collect();
    (rcode, authoritative, [answers, proofs, Vec::new()])
}

fn serial_of(server: SocketAddr) -> Option<u32> {
    let reply = e2e::query_udp(server, ORIGIN, RecordType::SOA).ok()?;
    reply.answers.iter().find_map(|record| match &record.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    })
}

fn start_ours(address: SocketAddr, primary: SocketAddr, state: &Path) -> Process {
    let arguments = [
        "--workers".to_string(),
        "1".to_string(),
        "--listen".to_string(),
        address.to_string(),
        "--state-dir".to_string(),
        state.display().to_string(),
        "--secondary".to_string(),
        format!("{ORIGIN}={primary}"),
        // Our own AXFR of the copy, for the verifier (rdig connects from 127.0.0.1).
        "--allow-transfer".to_string(),
        "127.0.0.0/8".to_string(),
    ];
    start_workspace_server("authority", "authority", &arguments)
        .unwrap_or_else(|error| panic!("{error}"))
}

/// `rdig AXFR` from our secondary, checked by `ldns-verify-zone` (every signature and the
/// NSEC/NSEC3 chain) as a file.
fn verify_our_transfer(ours_address: SocketAddr, directory: &Path, what: &str) {
    let Some(verify) = require_tool("ldns-verify-zone") else {
        return;
    };
    let rdig = e2e::workspace_binary("resolver", "rdig");
    let output = Command::new(&rdig)
        .arg(format!("@{}", ours_address.ip()))
        .args(["-p", &ours_address.port().to_string(), ORIGIN, "AXFR"])
        .output()
        .unwrap_or_else(|error| panic!("cannot run rdig: {error}"));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "rdig AXFR: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The closing SOA repeats the opening one: a zone file holds it once.
    let mut seen_soa = false;
    let zone: String = text
        .lines()
        .filter(|line| !line.starts_with(';') && !line.trim().is_empty())
        .filter(|line| {
            let is_soa = line.split_whitespace().nth(3) == Some("SOA");
            let keep = !(is_soa && seen_soa);
            seen_soa |= is_soa;
            keep
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let path = directory.join(format!("{what}.axfr"));
    std::fs::write(&path, &zone).unwrap_or_else(|error| panic!("{error}"));
    let checked = Command::new(verify)
        .arg(&path)
        .output()
        .unwrap_or_else(|error| panic!("cannot run ldns-verify-zone: {error}"));
    assert!(
        checked.status.success(),
        "{what}: ldns-verify-zone refused our AXFR:\n{}{}\n{zone}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// A signed zone's primary and our secondary of it, both serving.
struct Pair {
    peer: Peer,
    ours: Process,
    primary: SocketAddr,
    ours_address: SocketAddr,
    directory: e2e::TempDir,
}

impl Pair {
    /// Starts the primary with `signed` and our secondary, and waits for our first copy.
    fn start(
        test: &str,
        signed: &SignedZone,
        start_primary: fn(SocketAddr, &PrimaryZone) -> Result<Peer, e2e::PeerError>,
    ) -> Pair {
        let (primary, ours_address) = (loopback_for(test, 0), loopback_for(test, 1));
        let directory = e2e::TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
        let zone = PrimaryZone {
            zone: Zone::new(ORIGIN, &signed.text),
            secondary: ours_address,
            key: None,
        };
        let peer = start_primary(primary, &zone).unwrap_or_else(|error| panic!("{error}"));
        let ours = start_ours(ours_address, primary, &directory.path().join("state"));
        let pair = Pair {
            peer,
            ours,
            primary,
            ours_address,
            directory,
        };
        pair.wait_for_serial(1);
        pair
    }

    fn wait_for_serial(&self, serial: u32) {
        let deadline = Instant::now() + FOLLOW_BOUND;
        while serial_of(self.ours_address) != Some(serial) {
            assert!(
                Instant::now() < deadline,
                "our secondary did not serve serial {serial} within {FOLLOW_BOUND:?}\nours:\n{}\nprimary:\n{}",
                self.ours.output(),
                self.peer.output()
            );
            std::thread::sleep(POLL_PAUSE);
        }
    }

    /// Every question answered alike with DO=1, and our AXFR verified.
    fn assert_same(&self, what: &str) {
        for (name, record_type) in QUESTIONS {
            let theirs = comparable(sections_of(self.primary, name, *record_type));
            let mine = comparable(sections_of(self.ours_address, name, *record_type));
            assert_eq!(
                mine, theirs,
                "{what}: {name} {record_type} DO=1 differs (left: ours, right: the primary)"
            );
        }
        verify_our_transfer(self.ours_address, self.directory.path(), what);
    }
}

/// Knot rereads its zone file, now `text` (its mtime a little ahead, so it cannot look unchanged).
fn reload_knot(knot: &Peer, text: &str) {
    // The harness names a zone file after the origin without its final dot.
    let path = knot.directory().join("signed.test.zone");
    std::fs::write(&path, text).unwrap_or_else(|error| panic!("{error}"));
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|file| file.set_modified(SystemTime::now() + Duration::from_secs(5)))
        .unwrap_or_else(|error| panic!("{error}"));
    let knotc = require_tool("knotc").unwrap_or_else(|| panic!("knotc"));
    let output = Command::new(knotc)
        .arg("-s")
        .arg(knot.directory().join("knot.sock"))
        .args(["zone-reload", ORIGIN])
        .output()
        .unwrap_or_else(|error| panic!("cannot run knotc: {error}"));
    assert!(
        output.status.success(),
        "knotc zone-reload: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn our_secondary_of_a_bind_signed_nsec_zone_on_nsd_answers_do_queries_as_nsd() {
    if require_tool("nsd").is_none() {
        return;
    }
    let Some(signer) = Signer::new() else {
        return;
    };
    let signed = signer.sign_with_bind(ORIGIN, &zone_text(1), &[]);
    let pair = Pair::start("secondary_signed_nsd", &signed, e2e::start_nsd_primary);
    pair.assert_same("dnssec-signzone (NSEC) on NSD");
}

#[test]
fn our_secondary_of_an_ldns_signed_nsec3_zone_on_knot_answers_do_queries_as_knot_and_follows_its_ixfr(
) {
    if require_tool("knotd").is_none() || require_tool("knotc").is_none() {
        return;
    }
    let Some(signer) = Signer::new() else {
        return;
    };
    let signed = signer.sign_with_ldns_nsec3(ORIGIN, &zone_text(1));
    let mut pair = Pair::start("secondary_signed_knot", &signed, e2e::start_knot_primary);
    pair.assert_same("ldns-signzone (NSEC3) on Knot");

    // Signed again at serial 2 (a new key, every signature new): Knot's IXFR replaces the
    // signatures, the NSEC3 of the changed names and the DNSKEY, and our copy follows it.
    let signed = signer.sign_with_ldns_nsec3(ORIGIN, &zone_text(2));
    reload_knot(&pair.peer, &signed.text);
    pair.wait_for_serial(2);
    let line = transfer_line(&mut pair.ours, 2);
    assert!(
        line.contains("kind=\"IXFR\""),
        "Knot offers IXFR, we took: {line}"
    );
    pair.assert_same("ldns-signzone (NSEC3) on Knot, re-signed, by IXFR");
}
