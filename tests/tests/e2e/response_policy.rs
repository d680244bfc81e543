//! The resolver's response policy as a client sees it through dig, beside Unbound given the same
//! RPZ zone and response-ip rules over the lab: QNAME triggers that NXDOMAIN, NODATA and drop a
//! lab name, local data, an rpz-ip trigger behind a CNAME chain, and a response-ip redirect.

use std::net::SocketAddr;

use e2e::{
    dig, loopback_for, require_tool, shared_lab, start_unbound, Resolver, TempDir, UnboundConfig,
};

const POLICY_ZONE: &str = "$TTL 300\n\
    @ SOA ns.rpz.lab. hostmaster.rpz.lab. 1 3600 600 86400 60\n\
    @ NS ns.rpz.lab.\n\
    www.example.test CNAME .\n\
    mail.example.test CNAME *.\n\
    *.wild.test CNAME rpz-drop.\n\
    www.shop.test A 192.0.2.123\n\
    32.99.2.0.192.rpz-ip CNAME .\n";

/// status, then each answer as `name type data`.
fn summary(answer: &e2e::DigAnswer) -> (String, Vec<String>) {
    let records = answer
        .answers
        .iter()
        .map(|record| format!("{} {} {}", record.name, record.record_type, record.data))
        .collect();
    (answer.status.clone(), records)
}

#[test]
fn rpz_and_response_ip_rewrite_lab_answers_as_unbound_does() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let Some(_) = require_tool("unbound") else {
        return;
    };
    let lab = shared_lab();
    let test = "rpz_and_response_ip_rewrite_lab_answers";
    let directory = TempDir::new("rpz").unwrap_or_else(|error| panic!("{error}"));
    let zone_file = directory.path().join("rpz.lab.zone");
    std::fs::write(&zone_file, POLICY_ZONE).unwrap_or_else(|error| panic!("{error}"));
    let ours = Resolver::iterating(
        &lab,
        loopback_for(test, 0),
        &[
            "--rpz",
            &format!("rpz.lab.={},log=yes", zone_file.display()),
            "--response-ip",
            "198.51.100.92/32=redirect",
            "--response-ip-data",
            "198.51.100.92/32=A 192.0.2.200",
        ],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let stub_zones = lab
        .servers
        .iter()
        .map(|(zone, servers)| (zone.clone(), servers.clone()))
        .collect();
    let unbound = start_unbound(
        loopback_for(test, 1),
        &UnboundConfig {
            stub_zones,
            server_lines: vec![
                "local-zone: \"127.in-addr.arpa.\" nodefault".to_string(),
                "qname-minimisation: no".to_string(),
                "module-config: \"respip iterator\"".to_string(),
                "response-ip: 198.51.100.92/32 redirect".to_string(),
                "response-ip-data: 198.51.100.92/32 \"A 192.0.2.200\"".to_string(),
            ],
            clauses: vec![format!(
                "rpz:\n  name: \"rpz.lab.\"\n  zonefile: \"{}\"\n  rpz-log: yes\n",
                zone_file.display()
            )],
            ..UnboundConfig::default()
        },
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let ask = |server: SocketAddr, name: &str| dig(&dig_path, server, name, "A", &[]);
    let cases: [(&str, &str, &[&str]); 6] = [
        ("www.example.test.", "NXDOMAIN", &[]),
        ("mail.example.test.", "NOERROR", &[]),
        (
            "www.shop.test.",
            "NOERROR",
            &["www.shop.test. A 192.0.2.123"],
        ),
        (
            "www.glueless.test.",
            "NOERROR",
            &["www.glueless.test. A 192.0.2.200"],
        ),
        ("example.test.", "NOERROR", &["example.test. A 192.0.2.10"]),
        (
            "start.chain.test.",
            "NXDOMAIN",
            &[
                "start.chain.test. CNAME hop1.alias.lab.",
                "hop1.alias.lab. CNAME hop2.corp.lab.",
                "hop2.corp.lab. CNAME end.example.test.",
            ],
        ),
    ];
    for (name, status, records) in cases {
        let from_us = ask(ours.address, name).unwrap_or_else(|error| panic!("{error}"));
        let from_unbound = ask(unbound.address, name).unwrap_or_else(|error| panic!("{error}"));
        let expected = (
            status.to_string(),
            records
                .iter()
                .map(|record| record.to_string())
                .collect::<Vec<_>>(),
        );
        assert_eq!(
            summary(&from_us),
            expected,
            "{name}: ours\n{}",
            from_us.output
        );
        assert_eq!(
            summary(&from_unbound),
            expected,
            "{name}: unbound\n{}",
            from_unbound.output
        );
    }
    // rpz-drop: neither answers at all.
    assert!(ask(ours.address, "anything.wild.test.").is_err());
    assert!(ask(unbound.address, "anything.wild.test.").is_err());
    // The policy's NXDOMAIN carries EDE 15 "Blocked" from us.
    let blocked = ask(ours.address, "www.example.test.").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(blocked.extended_errors, [15], "{}", blocked.output);
}

#[test]
fn policy_settings_come_from_the_yaml_config_too() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "policy_settings_come_from_the_yaml_config";
    let directory = TempDir::new("rpz-yaml").unwrap_or_else(|error| panic!("{error}"));
    std::fs::write(directory.path().join("block.zone"), POLICY_ZONE)
        .unwrap_or_else(|error| panic!("{error}"));
    let config = directory.path().join("resolver.yaml");
    std::fs::write(
        &config,
        "rpz:\n  - \"rpz.lab.=block.zone,action-override=nodata,signal-nxdomain-ra=yes\"\n\
         response-ip:\n  - \"198.51.100.20/32=always_nxdomain\"\nrpz-max-records: 100\n",
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let resolver = Resolver::iterating(
        &lab,
        loopback_for(test, 0),
        &["--config", &config.display().to_string()],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let ask = |name: &str| {
        dig(&dig_path, resolver.address, name, "A", &[]).unwrap_or_else(|error| panic!("{error}"))
    };
    // The override turns the zone's NXDOMAIN into NODATA.
    let overridden = ask("www.example.test.");
    assert_eq!(summary(&overridden), ("NOERROR".to_string(), vec![]));
    let wildcard = ask("x.wild.test.");
    assert_eq!(summary(&wildcard), ("NOERROR".to_string(), vec![]));
    // shop.test.'s address is turned into NXDOMAIN by the response-ip rule.
    let shop = ask("shop.test.");
    assert_eq!(
        summary(&shop),
        ("NXDOMAIN".to_string(), vec![]),
        "{}",
        shop.output
    );
    assert_eq!(ask("example.test.").answers.len(), 1);
}
