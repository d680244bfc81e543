//! Fuzzes the octoDNS YAML loader (`read_zone_text`, then `build_zone`) with arbitrary text, as a
//! hostile or broken zone file would give it. Errors are fine; panics and hangs are not.
#![no_main]

use std::path::Path;

use authority::zone::build::build_zone;
use authority::zone::yaml_zone::{parse_origin, read_zone_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(origin) = parse_origin("example.test.") else {
        return;
    };
    if let Ok(read) = read_zone_text(text, Path::new("fuzz.yaml"), &origin) {
        let _ = build_zone(read);
    }
});
