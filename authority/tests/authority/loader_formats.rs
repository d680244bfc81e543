//! octoDNS files load as they are: origins from file names, record shapes, metadata keys,
//! skipped provider types, the made-up SOA, and the shipped example zones.

use std::path::Path;

use authority::catalog::zones::{Catalog, ZoneSource};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType};

use crate::support::{ask, catalog, full, load, section};

#[test]
fn origin_comes_from_the_file_name() {
    let source = ZoneSource::parse("zones/example.test.yaml").unwrap();
    assert_eq!(source.origin, Name::from_ascii("example.test.").unwrap());
    let source = ZoneSource::parse("zones/root.yaml").unwrap();
    assert!(source.origin.is_root());
    let source = ZoneSource::parse("other.test=zones/example.test.yaml").unwrap();
    assert_eq!(source.origin, Name::from_ascii("other.test.").unwrap());
    assert_eq!(source.path, Path::new("zones/example.test.yaml"));
}

#[test]
fn made_up_soa_uses_first_ns_and_hostmaster() {
    let zone = load(
        "example.test",
        "'':\n  type: NS\n  values: [ns1.example.org., ns2.example.org.]\n",
    )
    .unwrap();
    let Some(RData::SOA(soa)) = zone.soa.rdatas().next() else {
        panic!("no SOA")
    };
    assert_eq!(soa.mname.to_string(), "ns1.example.org.");
    assert_eq!(soa.rname.to_string(), "hostmaster.example.test.");
    assert_eq!(
        (soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum),
        (1, 3600, 900, 604800, 300)
    );
}

#[test]
fn legacy_mx_and_metadata_keys_load() {
    let text = r#"
'':
  - type: NS
    value: ns.example.org.
    octodns: {cloudflare: {proxied: false}}
  - type: MX
    values:
      - {priority: 10, value: mail.example.org.}
      - {preference: 20, exchange: mx2}
    geo: {NA: [192.0.2.1]}
    dynamic: {pools: {}}
"#;
    let zones = catalog(&[("example.test", text)]);
    let reply = ask(&zones, "example.test.", RecordType::MX);
    assert_eq!(
        full(&reply.answers),
        [
            "example.test. 3600 MX 10 mail.example.org.",
            "example.test. 3600 MX 20 mx2.example.test."
        ]
    );
}

#[test]
fn long_key_form_and_relative_names_work() {
    let text = "? ''\n: type: NS\n  value: ns\nns:\n  type: A\n  value: 192.0.2.1\n";
    let zones = catalog(&[("example.test", text)]);
    let reply = ask(&zones, "example.test.", RecordType::NS);
    assert_eq!(
        full(&reply.answers),
        ["example.test. 3600 NS ns.example.test."]
    );
}

#[test]
fn txt_escapes_and_long_values_are_handled() {
    let long = "x".repeat(300);
    let text = format!("'':\n  type: NS\n  value: ns.example.org.\ntxt:\n  type: TXT\n  values:\n    - v=DKIM1\\; k=rsa\n    - {long}\n");
    let zones = catalog(&[("example.test", &text)]);
    let reply = ask(&zones, "txt.example.test.", RecordType::TXT);
    let texts: Vec<Vec<String>> = reply
        .answers
        .iter()
        .map(|record| match &record.data {
            RData::TXT(txt) => txt
                .txt_data
                .iter()
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts[0], ["v=DKIM1; k=rsa"]);
    assert_eq!(
        texts[1].iter().map(String::len).collect::<Vec<_>>(),
        [255, 45]
    );
}

#[test]
fn non_dns_types_are_skipped_with_a_warning_naming_file_and_line() {
    let path = std::env::temp_dir().join(format!(
        "authority-test-{}-warn.test.yaml",
        std::process::id()
    ));
    std::fs::write(&path, "'':\n  type: NS\n  value: ns.example.org.\nfwd:\n  type: URLFWD\n  value: {code: 301}\nalias:\n  type: ALIAS\n  value: x.example.org.\n").unwrap();
    let source = ZoneSource {
        origin: Name::from_ascii("warn.test.").unwrap(),
        path: path.clone(),
    };
    let (zone, warnings) = source.load().unwrap();
    std::fs::remove_file(&path).ok();
    let lines: Vec<(u64, String)> = warnings
        .iter()
        .map(|warning| (warning.line, warning.kind.to_string()))
        .collect();
    assert_eq!(
        lines,
        [
            (
                5,
                "skipped URLFWD record: an octoDNS provider feature, not DNS data".to_owned()
            ),
            (
                8,
                "skipped ALIAS record: an octoDNS provider feature, not DNS data".to_owned()
            )
        ]
    );
    assert!(warnings[0]
        .to_string()
        .starts_with(&format!("{}:5: skipped URLFWD", path.display())));
    assert!(zone
        .node(&Name::from_ascii("fwd.warn.test.").unwrap())
        .is_none());
}

fn example_zones() -> Catalog {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../zones/examples");
    let sources: Vec<ZoneSource> = std::fs::read_dir(&directory)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .map(|path| ZoneSource::parse(path.to_str().unwrap()).unwrap())
        .collect();
    assert!(!sources.is_empty());
    let load = Catalog::load(&sources);
    assert!(load.errors.is_empty(), "{:?}", load.errors);
    load.catalog
}

#[test]
fn example_zones_load_and_serve_every_type() {
    let zones = example_zones();
    let cases: &[(&str, RecordType)] = &[
        ("example.test.", RecordType::SOA),
        ("example.test.", RecordType::NS),
        ("example.test.", RecordType::A),
        ("example.test.", RecordType::AAAA),
        ("example.test.", RecordType::MX),
        ("example.test.", RecordType::TXT),
        ("example.test.", RecordType::Unknown(99)),
        ("example.test.", RecordType::CAA),
        ("example.test.", RecordType::NAPTR),
        ("www.example.test.", RecordType::CNAME),
        ("web.example.test.", RecordType::SSHFP),
        ("web.example.test.", RecordType::HINFO),
        ("_sip._udp.example.test.", RecordType::SRV),
        ("_443._tcp.web.example.test.", RecordType::TLSA),
        ("1.2.0.192.in-addr.example.test.", RecordType::PTR),
        ("old.example.test.", RecordType::DNAME),
        ("web.example.test.", RecordType::Unknown(29)),
        ("example.test.", RecordType::HTTPS),
        ("sub.example.test.", RecordType::DS),
    ];
    for (name, record_type) in cases {
        let reply = ask(&zones, name, *record_type);
        assert_eq!(
            reply.metadata.response_code,
            ResponseCode::NoError,
            "{name} {record_type}"
        );
        assert!(reply.metadata.authoritative, "{name} {record_type}");
        assert_eq!(
            section(&reply.answers).first().map(String::as_str),
            Some(format!("{name} {record_type}").as_str()),
            "{name} {record_type}: {reply:?}"
        );
    }
}

/// serde-saphyr's default budget (250,000 YAML nodes) stopped zones at about 40,000 records;
/// the budget now grows with the file, so a 100,000-record zone loads and answers.
#[test]
fn zone_of_a_hundred_thousand_records_loads() {
    let mut text =
        String::from("'':\n  - type: NS\n    values: [ns1.example.org., ns2.example.org.]\n");
    for index in 0..99_999u32 {
        text.push_str(&format!(
            "host{index}: {{type: A, value: 10.{}.{}.{}}}\n",
            index >> 16,
            (index >> 8) & 0xff,
            index & 0xff
        ));
    }
    let catalog = catalog(&[("example.test", &text)]);
    let origin = Name::from_ascii("example.test.").unwrap();
    assert_eq!(catalog.zone(&origin).unwrap().record_count, 100_001);
    let response = ask(&catalog, "host99998.example.test.", RecordType::A);
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(
        full(&response.answers),
        ["host99998.example.test. 3600 A 10.1.134.158"]
    );
}
