//! Fuzzes the RPZ policy zone reader (`RpzZone::load`) with arbitrary text, as a hostile or broken
//! blocklist feed would give it, then looks a few names and addresses up in what it built.
#![no_main]

use std::path::Path;

use hickory_proto::rr::Name;
use libfuzzer_sys::fuzz_target;
use resolver::policy::rpz_zone::{RpzOptions, RpzZone};

/// Records per zone: small, so a fuzz input cannot grow the tables past the RSS limit.
const MAX_RECORDS: usize = 10_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(origin) = Name::from_ascii("rpz.example.") else {
        return;
    };
    let Ok(zone) = RpzZone::load(
        &origin,
        text,
        Path::new("fuzz.rpz"),
        RpzOptions::default(),
        MAX_RECORDS,
    ) else {
        return;
    };
    for name in ["www.example.com.", "a.b.c.example.com.", "."] {
        if let Ok(name) = Name::from_ascii(name) {
            let _ = zone.qname_match(&name);
        }
    }
    for address in ["192.0.2.1", "2001:db8::1", "::ffff:10.0.0.1"] {
        if let Ok(address) = address.parse() {
            let _ = zone.response_ip_match(address);
            let _ = zone.client_ip_match(address);
        }
    }
});
