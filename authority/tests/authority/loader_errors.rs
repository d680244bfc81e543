//! Every load-time check reports file, line and problem; all errors of a file come together.

use std::path::Path;

use authority::catalog::zones::ZoneSource;

use crate::support::{errors, load};

const APEX_NS: &str =
    "'':\n  type: NS\n  value: ns1.example.test.\nns1:\n  type: A\n  value: 192.0.2.53\n";

fn with_apex(rest: &str) -> String {
    format!("{APEX_NS}{rest}")
}

fn assert_one(text: &str, line: u64, needle: &str) {
    let found = errors("example.test", text);
    assert_eq!(found.len(), 1, "expected one error, got {found:?}");
    assert_eq!(found[0].0, line, "line of {found:?}");
    assert!(
        found[0].1.contains(needle),
        "{:?} should mention {needle:?}",
        found[0].1
    );
}

#[test]
fn unknown_type_names_the_type_and_line() {
    assert_one(
        &with_apex("www:\n  type: BOGUS\n  value: x\n"),
        8,
        "unknown record type \"BOGUS\"",
    );
}

#[test]
fn bad_address_names_the_address_and_line() {
    assert_one(
        &with_apex("www:\n  type: A\n  value: 192.0.2.300\n"),
        9,
        "bad address \"192.0.2.300\"",
    );
    assert_one(
        &with_apex("www:\n  type: AAAA\n  value: 192.0.2.3\n"),
        9,
        "bad address",
    );
}

#[test]
fn cname_beside_other_data_is_rejected() {
    let text =
        with_apex("www:\n  - type: CNAME\n    value: web\n  - type: A\n    value: 192.0.2.1\n");
    assert_one(&text, 9, "CNAME at www.example.test. beside other data");
}

#[test]
fn out_of_zone_record_is_rejected() {
    assert_one(
        &with_apex("www.example.org.:\n  type: A\n  value: 192.0.2.1\n"),
        9,
        "outside zone example.test.",
    );
}

#[test]
fn missing_apex_ns_is_rejected() {
    let found = errors("example.test", "www:\n  type: A\n  value: 192.0.2.1\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("no NS record at its apex"), "{found:?}");
}

#[test]
fn delegation_without_glue_is_rejected() {
    let text = with_apex("sub:\n  type: NS\n  value: ns.sub.example.test.\n");
    assert_one(
        &text,
        9,
        "in-zone nameserver ns.sub.example.test. which has no A/AAAA glue",
    );
}

#[test]
fn delegation_to_outside_nameserver_needs_no_glue() {
    let text = with_apex("sub:\n  type: NS\n  value: ns.example.org.\n");
    assert!(load("example.test", &text).is_ok());
}

#[test]
fn non_address_data_below_a_delegation_is_rejected() {
    let text = with_apex(
        "sub:\n  type: NS\n  value: ns.example.org.\nwww.sub:\n  type: TXT\n  value: hidden\n",
    );
    assert_one(&text, 12, "not glue");
}

#[test]
fn duplicate_owner_key_is_rejected() {
    let text =
        with_apex("www:\n  type: A\n  value: 192.0.2.1\nwww:\n  type: A\n  value: 192.0.2.2\n");
    assert_one(&text, 10, "duplicate key \"www\"");
}

#[test]
fn duplicate_owner_key_written_on_one_line_is_rejected_with_its_line() {
    // One-line entries are read by their own scanner and owners checked for repeats at the end
    // (zone::yaml_flow_lines, zone::owners_seen): the repeat is still found and named where it is.
    let text = with_apex(
        "'www': {type: A, value: 192.0.2.1}\n'mail': {type: A, value: 192.0.2.3}\nwww: {type: A, value: 192.0.2.2}\n",
    );
    assert_one(&text, 9, "duplicate key \"www\"");
}

#[test]
fn duplicate_field_key_is_rejected() {
    let text = with_apex("www:\n  type: A\n  value: 192.0.2.1\n  value: 192.0.2.2\n");
    assert_one(&text, 10, "duplicate key \"value\"");
}

#[test]
fn wrong_value_shape_is_rejected() {
    assert_one(&with_apex("www: 192.0.2.1\n"), 7, "wrong value shape");
    assert_one(
        &with_apex("mx:\n  type: MX\n  value: mail.example.test.\n"),
        9,
        "bad MX value",
    );
    assert_one(
        &with_apex("www:\n  type: A\n"),
        7,
        "exactly one of `value` or `values`",
    );
    assert_one(&with_apex("www:\n  value: 192.0.2.1\n"), 7, "`type` field");
    assert_one(
        &with_apex("www:\n  type: A\n  ttl: soon\n  value: 192.0.2.1\n"),
        9,
        "ttl",
    );
    assert_one(
        &with_apex(
            "srv:\n  type: SRV\n  value: {priority: 1, weight: 2, port: 70000, target: x}\n",
        ),
        9,
        "port",
    );
}

#[test]
fn malformed_yaml_names_its_line() {
    assert_one(
        &with_apex("www:\n  type: A\n   value: [unclosed\n"),
        9,
        "invalid YAML",
    );
}

#[test]
fn all_errors_of_a_file_are_reported() {
    let text = with_apex(
        "a:\n  type: A\n  value: nope\nb:\n  type: WAT\n  value: x\nc.example.org.:\n  type: A\n  value: 192.0.2.1\n",
    );
    let found = errors("example.test", &text);
    let lines: Vec<u64> = found.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [9, 11, 15], "{found:?}");
}

#[test]
fn errors_display_as_file_colon_line() {
    let text = with_apex("www:\n  type: A\n  value: bad\n");
    let path = std::env::temp_dir().join(format!(
        "authority-test-{}-example.test.yaml",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap();
    let source = ZoneSource {
        origin: "example.test.".parse().unwrap(),
        path: path.clone(),
    };
    let found = source.load().unwrap_err();
    std::fs::remove_file(&path).ok();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].to_string(),
        format!("{}:9: bad address \"bad\"", path.display())
    );
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let source = ZoneSource::parse("/nonexistent/authority/example.test.yaml").unwrap();
    let found = source.load().unwrap_err();
    assert_eq!(
        found[0].file,
        Path::new("/nonexistent/authority/example.test.yaml")
    );
    assert!(found[0]
        .to_string()
        .ends_with("example.test.yaml: no such file"));
}

#[test]
fn several_cname_values_are_rejected() {
    let text = with_apex("www:\n  type: CNAME\n  values: [a.example.org., b.example.org.]\n");
    assert_one(&text, 9, "more than one CNAME value at www.example.test.");
}

#[test]
fn cname_at_apex_is_rejected() {
    let found = errors("example.test", "'':\n  - type: NS\n    value: ns.example.org.\n  - type: CNAME\n    value: other.example.org.\n");
    assert!(
        found
            .iter()
            .any(|(line, message)| *line == 5 && message.contains("CNAME at zone apex")),
        "{found:?}"
    );
}

#[test]
fn mutated_zone_files_never_panic() {
    // Fixed pseudo-random (xorshift) byte changes to the example zone: every result must be a
    // zone or a list of errors, never a panic.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../zones/examples/example.test.yaml");
    let original = std::fs::read(path).unwrap();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let alphabet = b" :-'\"[]{}\n\t*&!|>#.\\0123456789abcdefxyzAZ";
    for _ in 0..300 {
        let mut bytes = original.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let position = (state as usize) % bytes.len();
            bytes[position] = alphabet[(state >> 40) as usize % alphabet.len()];
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = load("example.test", &text);
    }
}

#[test]
fn alias_expansion_bomb_is_an_error_not_a_hang() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let previous = (b'a' + level - 1) as char;
        let name = (b'a' + level) as char;
        text.push_str(&format!("{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    let found = errors("example.test", &text);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].1.contains("alias replay limit exceeded"),
        "{found:?}"
    );
}

#[test]
fn rrset_larger_than_the_bound_is_rejected() {
    let mut text = with_apex("big:\n");
    for object in 0..2 {
        text.push_str("  - type: TXT\n    values:\n");
        for index in 0..2100 {
            text.push_str(&format!("      - v{object}-{index}\n"));
        }
    }
    let found = errors("example.test", &text);
    assert_eq!(found.len(), 1, "{:?}", &found[..found.len().min(3)]);
    assert!(
        found[0].1.contains("at most 4096 values in one RRset"),
        "{found:?}"
    );
}

#[test]
fn duplicate_key_inside_a_value_is_rejected() {
    let text = with_apex("mx:\n  type: MX\n  value:\n    preference: 10\n    preference: 20\n    exchange: mail.example.org.\n");
    assert_one(&text, 11, "duplicate key \"preference\"");
}

/// A zone of `records` A records under example.test.
fn many_records(records: usize) -> String {
    let mut text = String::from(APEX_NS);
    for index in 0..records {
        text.push_str(&format!(
            "host{index}: {{type: A, value: 10.0.{}.{}}}\n",
            index / 256,
            index % 256
        ));
    }
    text
}

#[test]
fn zone_over_the_memory_limit_is_refused_naming_the_option_once() {
    use authority::zone::memory_limit::ZoneMemoryLimit;
    use authority::zone::yaml_zone::read_zone_text_within;
    let text = many_records(2000);
    let origin = hickory_proto::rr::Name::from_ascii("example.test.").unwrap();
    let path = Path::new("example.test.yaml");
    let refused = read_zone_text_within(&text, path, &origin, ZoneMemoryLimit::new(256 * 1024))
        .map(|read| read.errors)
        .unwrap_or_else(|errors| errors);
    // One error, not one per record past the bound (the old fixed cap repeated itself).
    assert_eq!(refused.len(), 1, "{refused:?}");
    let message = refused[0].to_string();
    assert!(message.contains("--zone-max-memory"), "{message}");
    assert!(message.contains("zone-max-memory`"), "{message}");
    assert!(message.contains("256K"), "{message}");
    // Raised, the same zone loads.
    let read = read_zone_text_within(&text, path, &origin, ZoneMemoryLimit::new(64 << 20)).unwrap();
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    assert_eq!(read.records.len(), 2002);
}

#[test]
fn file_larger_than_the_memory_limit_is_not_read() {
    use authority::catalog::zones::LoadOptions;
    use authority::zone::memory_limit::ZoneMemoryLimit;
    let path = std::env::temp_dir().join(format!(
        "authority-test-{}-limit.test.yaml",
        std::process::id()
    ));
    std::fs::write(&path, many_records(500)).unwrap();
    let source = ZoneSource::parse(path.to_str().unwrap()).unwrap();
    let options = LoadOptions {
        zone_memory_limit: ZoneMemoryLimit::new(1024),
        ..LoadOptions::default()
    };
    let refused = source.load_with(&options).unwrap_err();
    let loaded = source.load_with(&LoadOptions::default());
    std::fs::remove_file(&path).ok();
    assert_eq!(refused.len(), 1, "{refused:?}");
    let message = refused[0].to_string();
    assert!(message.contains("zone memory limit of 1K"), "{message}");
    assert!(message.contains("--zone-max-memory"), "{message}");
    assert!(loaded.is_ok(), "{loaded:?}");
}

#[test]
fn a_zone_over_a_million_records_is_not_refused_by_a_count() {
    // The old fixed cap refused record 1,000,001; the memory bound counts bytes, so a small
    // zone's estimate per record decides, not a number of records.
    use authority::zone::memory_limit::{estimate, ZoneMemoryLimit};
    let limit = ZoneMemoryLimit::new(estimate(100 << 20, 1_000_001));
    assert!(limit.admits(100 << 20, 1_000_001));
    assert!(!limit.admits(100 << 20, 1_000_002));
}
