//! Zone-file mistakes octoDNS, NSD or Knot catch, each named with its line: refused (an error)
//! when the zone cannot be what was meant, a warning when it loads but is probably wrong.

use std::path::Path;

use authority::catalog::zones::{LoadOptions, ZoneSource};
use authority::zone::build::build_zone_with_warnings;
use authority::zone::yaml_zone::{parse_origin, read_zone_text};
use hickory_proto::rr::{Name, RData, RecordType};

use crate::support::{ask, catalog, errors, full};

/// The warnings of a zone that must load, as `(line, message)`.
fn warnings(origin: &str, text: &str) -> Vec<(u64, String)> {
    let origin_name = parse_origin(origin).unwrap();
    let path = format!("{origin}.yaml");
    let read = read_zone_text(text, Path::new(&path), &origin_name).expect("readable");
    match build_zone_with_warnings(read) {
        Ok((_, warnings)) => warnings
            .into_iter()
            .map(|warning| (warning.line, warning.kind.to_string()))
            .collect(),
        Err(errors) => panic!("zone {origin} failed: {errors:?}"),
    }
}

const NS: &str = "'': {type: NS, value: ns.example.org.}\n";

#[test]
fn data_below_a_dname_is_refused() {
    let text = format!(
        "{NS}d: {{type: DNAME, value: example.net.}}\nx.d: {{type: A, value: 192.0.2.1}}\n"
    );
    assert_eq!(
        errors("example.test", &text),
        [(
            3,
            "x.d.example.test. is below the DNAME at d.example.test. and would never be served (RFC 6672 §2.3)".to_owned()
        )]
    );
}

#[test]
fn nameserver_given_as_an_address_is_refused() {
    let text = "'':\n  type: NS\n  values: [192.0.2.1, '2001:db8::1', ns.example.org.]\n";
    let found = errors("example.test", text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0]
            .1
            .starts_with("NS value \"192.0.2.1\" at \"\" is an IP address"),
        "{found:?}"
    );
    assert!(found[1].1.contains("2001:db8::1"), "{found:?}");
}

#[test]
fn empty_values_list_is_refused() {
    let text = format!("{NS}www:\n  type: A\n  values: []\n");
    assert_eq!(
        errors("example.test", &text),
        [(
            2,
            "record at \"www\" has an empty `values` list (octoDNS refuses it too)".to_owned()
        )]
    );
}

#[test]
fn misspelt_key_is_named_once_with_the_closest_valid_key() {
    for (key, suggestion) in [("Type", "type"), ("typ", "type"), ("valeus", "values")] {
        let text = format!("{NS}www:\n  {key}: A\n  value: 192.0.2.1\n");
        let found = errors("example.test", &text);
        assert_eq!(
            found,
            [(
                3,
                format!(
                    "unknown key {key:?} in the record at \"www\"; did you mean {suggestion:?}?"
                )
            )],
            "one message for one mistake"
        );
    }
    let text =
        format!("{NS}mx:\n  type: MX\n  value: {{preference: 10, exchnage: mail.example.org.}}\n");
    let found = errors("example.test", &text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].1.ends_with(
            "missing field exchange/value (found \"exchnage\": did you mean \"exchange\"?)"
        ),
        "{found:?}"
    );
}

#[test]
fn unequal_ttls_in_one_rrset_warn_and_name_the_ttl_served() {
    let text = format!(
        "{NS}www:\n  - {{type: A, ttl: 300, value: 192.0.2.1}}\n  - {{type: A, ttl: 60, value: 192.0.2.2}}\n"
    );
    assert_eq!(
        warnings("example.test", &text),
        [(
            4,
            "A at www.example.test. has TTL 60 but the RRset has another; all are served with TTL 60, the lowest (RFC 2181 §5.2)".to_owned()
        )]
    );
    let zones = catalog(&[("example.test", &text)]);
    assert_eq!(
        full(&ask(&zones, "www.example.test.", RecordType::A).answers),
        [
            "www.example.test. 60 A 192.0.2.1",
            "www.example.test. 60 A 192.0.2.2"
        ]
    );
}

#[test]
fn in_zone_nameserver_without_address_warns() {
    let text = "'':\n  type: NS\n  values: [ns1.example.test., ns2.example.test., ns.example.org.]\nns1: {type: A, value: 192.0.2.53}\n";
    assert_eq!(
        warnings("example.test", text),
        [(
            3,
            "NS at example.test. names ns2.example.test., which is in this zone but has no A or AAAA record".to_owned()
        )]
    );
}

#[test]
fn unescaped_semicolon_and_lower_case_type_warn() {
    let text = format!("{NS}spf:\n  type: txt\n  values: ['v=spf1 -all; x', 'fine\\; escaped']\n");
    assert_eq!(
        warnings("example.test", &text),
        [
            (3, "record type \"txt\" is not upper case; octoDNS refuses it (write \"TXT\")".to_owned()),
            (4, "TXT at \"spf\" has an unescaped `;`; octoDNS requires `\\;` and refuses the record".to_owned()),
        ]
    );
}

#[test]
fn records_octodns_ignores_are_skipped_with_a_warning() {
    let text = format!(
        "{NS}www:\n  - type: A\n    value: 192.0.2.1\n    octodns:\n      ignored: true\n  - {{type: AAAA, value: '2001:db8::1'}}\n"
    );
    assert_eq!(
        warnings("example.test", &text),
        [(
            3,
            "skipped A record at \"www\": marked `octodns: ignored`, which octoDNS never publishes"
                .to_owned()
        )]
    );
    let zones = catalog(&[("example.test", &text)]);
    assert!(ask(&zones, "www.example.test.", RecordType::A)
        .answers
        .is_empty());
    assert_eq!(
        ask(&zones, "www.example.test.", RecordType::AAAA)
            .answers
            .len(),
        1
    );
}

#[test]
fn zone_without_apex_ns_takes_the_default_nameservers() {
    let path = std::env::temp_dir().join(format!(
        "authority-test-{}-bare.test.yaml",
        std::process::id()
    ));
    std::fs::write(&path, "www: {type: A, value: 192.0.2.1}\n").unwrap();
    let source = ZoneSource::parse(path.to_str().unwrap()).unwrap();
    let refused = source.load().unwrap_err();
    assert!(
        refused[0].to_string().contains("--default-ns NAME"),
        "{refused:?}"
    );
    let options = LoadOptions {
        default_nameservers: vec![
            Name::from_ascii("ns1.example.org.").unwrap(),
            Name::from_ascii("ns2.example.org.").unwrap(),
        ],
        ..LoadOptions::default()
    };
    let (zone, warnings) = source.load_with(&options).unwrap();
    std::fs::remove_file(&path).ok();
    assert!(warnings.is_empty(), "{warnings:?}");
    let apex = zone.apex().unwrap();
    assert_eq!(apex.find(RecordType::NS).unwrap().set.len(), 2);
    match &zone.soa.records()[0].data {
        RData::SOA(soa) => assert_eq!(soa.mname.to_ascii(), "ns1.example.org."),
        other => panic!("{other:?}"),
    }
}
