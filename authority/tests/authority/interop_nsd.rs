//! Interoperability with NSD: the same zone, converted to a master file and served by NSD on
//! 127.20.0.2, must give the answers our lookup gives (rcode, AA, and each section's RRs).

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use authority::answer::handler::answer_packet;
use authority::catalog::zones::{Catalog, ZoneSource};
use authority::listen::Protocol;
use hickory_proto::op::Message;
use hickory_proto::rr::{Record, RecordType};

use crate::support::query_bytes;

/// NSD's addresses and port, one address per test so the tests run in parallel.
const NSD_EXAMPLE_ADDRESS: &str = "127.20.0.2:5300";
/// Our binary's address in the same test.
const OUR_EXAMPLE_ADDRESS: &str = "127.20.0.5:5300";
const NSD_SHIPPED_EXAMPLES_ADDRESS: &str = "127.20.0.3:5300";
const NSD_SHIPPED_LAB_ADDRESS: &str = "127.20.0.4:5300";
/// Attempts to reach NSD after starting it (each waits up to READY_WAIT for a reply).
const READY_ATTEMPTS: usize = 50;
const READY_WAIT: Duration = Duration::from_millis(200);
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether a needed Debian tool is present; missing is a skip, or a failure under
/// DNS_TESTS_REQUIRE_TOOLS=1 (CI).
pub fn tool_available(tool: &str) -> bool {
    let found = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .any(|directory| Path::new(directory).join(tool).exists());
    if !found {
        if std::env::var("DNS_TESTS_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{tool} is required (DNS_TESTS_REQUIRE_TOOLS=1) but not installed");
        }
        super::support::record_skip(&format!("{tool} is not installed"));
    }
    found
}

/// A running NSD, killed by PID and its directory removed when dropped.
pub(crate) struct Nsd {
    child: Child,
    directory: PathBuf,
    address: &'static str,
}

impl Drop for Nsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

pub(crate) fn start_nsd(catalog: &Catalog, nsd_address: &'static str) -> Nsd {
    let directory = std::env::temp_dir().join(format!(
        "authority-nsd-{}-{nsd_address}",
        std::process::id()
    ));
    std::fs::create_dir_all(&directory).unwrap();
    let (address, port) = nsd_address.split_once(':').unwrap();
    let mut config = format!(
        "server:\n  ip-address: {address}\n  port: {port}\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"{dir}\"\n  pidfile: \"{dir}/nsd.pid\"\n  database: \"\"\n  xfrdfile: \"{dir}/xfrd.state\"\n  zonelistfile: \"{dir}/zone.list\"\n  logfile: \"{dir}/nsd.log\"\n  server-count: 1\n  verbosity: 1\n  hide-version: yes\n  refuse-any: no\nremote-control:\n  control-enable: no\n",
        dir = directory.display()
    );
    for zone in catalog.zones() {
        let file = directory.join(format!("{}zone", zone.origin));
        let text = crate::support::peer_master_file(zone);
        std::fs::write(&file, text).unwrap();
        config.push_str(&format!(
            "zone:\n  name: \"{}\"\n  zonefile: \"{}\"\n",
            zone.origin,
            file.display()
        ));
    }
    let config_path = directory.join("nsd.conf");
    std::fs::write(&config_path, config).unwrap();
    let child = Command::new("nsd")
        .arg("-d")
        .arg("-c")
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nsd");
    let nsd = Nsd {
        child,
        directory,
        address: nsd_address,
    };
    let socket = UdpSocket::bind("127.20.0.1:0").unwrap();
    socket.set_read_timeout(Some(READY_WAIT)).unwrap();
    let first_zone = catalog
        .zones()
        .next()
        .map(|zone| zone.origin.to_ascii())
        .unwrap_or_default();
    let probe = query_bytes(&first_zone, RecordType::SOA, None);
    for _ in 0..READY_ATTEMPTS {
        socket.send_to(&probe, nsd_address).unwrap();
        let mut buffer = [0u8; 4096];
        if socket.recv_from(&mut buffer).is_ok() {
            return nsd;
        }
    }
    let log = std::fs::read_to_string(nsd.directory.join("nsd.log")).unwrap_or_default();
    panic!("nsd did not answer on {nsd_address}; log:\n{log}");
}

pub(crate) fn ask_nsd(nsd: &Nsd, socket: &UdpSocket, query: &[u8]) -> Message {
    ask_udp(nsd.address, socket, query)
}

/// One UDP exchange, at most three tries of QUERY_TIMEOUT each.
pub(crate) fn ask_udp(address: &str, socket: &UdpSocket, query: &[u8]) -> Message {
    for _ in 0..3 {
        socket.send_to(query, address).unwrap();
        let mut buffer = [0u8; 65535];
        if let Ok((length, _)) = socket.recv_from(&mut buffer) {
            return Message::from_vec(&buffer[..length]).expect("nsd reply decodes");
        }
    }
    panic!("{address} did not answer");
}

/// A section as a sorted list of `owner TTL TYPE RDATA`, names lowercased.
pub(crate) fn rrs(records: &[Record]) -> Vec<String> {
    let mut lines: Vec<String> = records
        .iter()
        .map(|record| {
            let mut record = record.clone();
            record.name = record.name.to_lowercase();
            canonical_line(&record)
        })
        .collect();
    lines.sort();
    lines
}

/// `owner TTL TYPE hex` with names inside RDATA lowercased: NSD may compress a name against the
/// question's case, which is the same name (RFC 4343).
fn canonical_line(record: &Record) -> String {
    use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};
    let mut wire = Vec::new();
    let mut encoder = BinEncoder::new(&mut wire);
    encoder.set_name_encoding(NameEncoding::UncompressedLowercase);
    record.data.emit(&mut encoder).unwrap();
    let hex: String = wire.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{} {} {} {}",
        record.name,
        record.ttl,
        u16::from(record.record_type()),
        hex
    )
}

#[test]
fn our_server_and_nsd_give_the_same_answers_for_every_case() {
    if !tool_available("nsd") {
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../zones/examples/example.test.yaml");
    let load = Catalog::load(&[ZoneSource::parse(path.to_str().unwrap()).unwrap()]);
    assert!(load.errors.is_empty(), "{:?}", load.errors);
    let catalog = load.catalog;
    let nsd = start_nsd(&catalog, NSD_EXAMPLE_ADDRESS);
    // Our side is the real binary on its own address, so the whole path is compared.
    let _ours = crate::serve_and_dig::Server::start(OUR_EXAMPLE_ADDRESS, &[path.as_path()]);
    let socket = UdpSocket::bind("127.20.0.1:0").unwrap();
    socket.set_read_timeout(Some(QUERY_TIMEOUT)).unwrap();

    let cases: &[(&str, RecordType)] = &[
        ("example.test.", RecordType::SOA),
        ("example.test.", RecordType::NS),
        ("example.test.", RecordType::MX),
        ("example.test.", RecordType::TXT),
        ("example.test.", RecordType::CAA),
        ("example.test.", RecordType::NAPTR),
        ("web.example.test.", RecordType::A),
        ("web.example.test.", RecordType::SSHFP),
        ("www.example.test.", RecordType::A),
        ("www.example.test.", RecordType::CNAME),
        ("_sip._udp.example.test.", RecordType::SRV),
        ("_443._tcp.web.example.test.", RecordType::TLSA),
        ("web.example.test.", RecordType::AAAA),
        ("nothing.example.test.", RecordType::A),
        ("empty.nonterminal.example.test.", RecordType::A),
        ("nonterminal.example.test.", RecordType::TXT),
        ("host.wild.example.test.", RecordType::A),
        ("a.b.wild.example.test.", RecordType::TXT),
        ("host.wild.example.test.", RecordType::MX),
        ("sub.example.test.", RecordType::NS),
        ("deep.host.sub.example.test.", RecordType::A),
        ("ns1.sub.example.test.", RecordType::A),
        ("MiXeD.ExAmPlE.TeSt.", RecordType::A),
        ("mail2.example.test.", RecordType::A),
        ("gone.example.test.", RecordType::A),
        ("sub.example.test.", RecordType::DS),
        ("old.example.test.", RecordType::DNAME),
        ("example.test.", RecordType::Unknown(99)),
        ("web.example.test.", RecordType::HINFO),
        ("web.example.test.", RecordType::Unknown(29)),
        ("example.test.", RecordType::HTTPS),
        ("x.old.example.test.", RecordType::A),
        ("1.2.0.192.in-addr.example.test.", RecordType::PTR),
        ("example.test.", RecordType::AAAA),
        ("ns2.example.test.", RecordType::AAAA),
        ("www.example.org.", RecordType::A),
    ];
    let mut differences = Vec::new();
    for (name, record_type) in cases {
        let query = query_bytes(name, *record_type, Some(1232));
        let theirs = ask_nsd(&nsd, &socket, &query);
        let ours = ask_udp(OUR_EXAMPLE_ADDRESS, &socket, &query);
        let view = |message: &Message| {
            (
                message.metadata.response_code,
                message.metadata.authoritative,
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
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// Queries derived from the zones themselves: every name with every type it holds, plus A and
/// MX (often NODATA), a missing child (NXDOMAIN or wildcard) and the wildcard's own expansion.
pub(crate) fn derived_questions(catalog: &Catalog) -> Vec<(String, RecordType)> {
    let mut questions = Vec::new();
    for zone in catalog.zones() {
        for record in zone.records() {
            let name = record.name.to_ascii().replacen('*', "probe", 1);
            let record_type = match record.record_type() {
                RecordType::Unknown(code) => RecordType::from(code),
                other => other,
            };
            questions.push((name.clone(), record_type));
            questions.push((name.clone(), RecordType::A));
            questions.push((name.clone(), RecordType::MX));
            let missing = if record.name.is_root() {
                "zz-missing.".to_owned()
            } else {
                format!("zz-missing.{name}")
            };
            questions.push((missing, RecordType::A));
        }
    }
    questions.sort();
    questions.dedup();
    questions.truncate(MAX_DERIVED_QUESTIONS);
    questions
}

/// Bounds the derived-question test's length (each question is one UDP exchange with NSD).
const MAX_DERIVED_QUESTIONS: usize = 5000;

fn compare_with_nsd(
    catalog: &Catalog,
    nsd_address: &'static str,
    questions: &[(String, RecordType)],
) -> Vec<String> {
    let nsd = start_nsd(catalog, nsd_address);
    let socket = UdpSocket::bind("127.20.0.1:0").unwrap();
    socket.set_read_timeout(Some(QUERY_TIMEOUT)).unwrap();
    let mut differences = Vec::new();
    // Each question with EDNS (1232) and without (512 bytes, where truncation shows).
    let sized = questions
        .iter()
        .flat_map(|question| [(question, Some(1232)), (question, None)]);
    for ((name, record_type), edns_size) in sized {
        let query = query_bytes(name, *record_type, edns_size);
        let theirs = ask_nsd(&nsd, &socket, &query);
        let ours =
            Message::from_vec(&answer_packet(catalog, &query, Protocol::Udp).unwrap()).unwrap();
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
                "{name} {record_type} (EDNS {edns_size:?}):\n  ours {:?}\n  nsd  {:?}",
                view(&ours),
                view(&theirs)
            ));
        }
    }
    differences
}

/// Loads every zone file of one shipped directory (`zones/examples`, `zones/lab`), or `None`
/// when the directory is absent.
fn shipped_catalog(directory: &str) -> Option<Catalog> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../zones")
        .join(directory);
    let entries = std::fs::read_dir(&path).ok()?;
    let sources: Vec<ZoneSource> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .map(|path| ZoneSource::parse(path.to_str().unwrap()).unwrap())
        .collect();
    let load = Catalog::load(&sources);
    assert!(load.errors.is_empty(), "{:?}", load.errors);
    Some(load.catalog)
}

fn assert_same_as_nsd_for_every_name(directory: &str, nsd_address: &'static str) {
    if !tool_available("nsd") {
        return;
    }
    let Some(catalog) = shipped_catalog(directory) else {
        super::support::record_skip(&format!("zones/{directory} is absent"));
        return;
    };
    let questions = derived_questions(&catalog);
    let differences = compare_with_nsd(&catalog, nsd_address, &questions);
    assert!(
        differences.is_empty(),
        "{} of {} differ:\n{}",
        differences.len(),
        questions.len(),
        differences.join("\n")
    );
}

#[test]
fn nsd_gives_the_same_answers_for_every_name_of_the_example_zones() {
    assert_same_as_nsd_for_every_name("examples", NSD_SHIPPED_EXAMPLES_ADDRESS);
}

#[test]
fn nsd_gives_the_same_answers_for_every_name_of_the_lab_zones() {
    assert_same_as_nsd_for_every_name("lab", NSD_SHIPPED_LAB_ADDRESS);
}
