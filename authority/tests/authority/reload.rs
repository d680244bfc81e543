//! Reload: new data switches in whole; a file that fails keeps its zone's last good data.

use std::path::PathBuf;

use authority::catalog::reload::SharedCatalog;
use authority::catalog::zones::ZoneSource;
use authority::listen::Protocol;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::support::{ask_with, full};

/// A private directory for one test's zone files, removed at the end.
struct TempDirectory(PathBuf);

impl TempDirectory {
    fn new(name: &str) -> TempDirectory {
        let path =
            std::env::temp_dir().join(format!("authority-reload-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        TempDirectory(path)
    }
    fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.0.join(file);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDirectory {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn zone_text(address: &str) -> String {
    format!("'': {{type: NS, value: ns.example.org.}}\nwww: {{type: A, value: {address}}}\n")
}

fn address_of(shared: &SharedCatalog, name: &str) -> Vec<String> {
    let reply = ask_with(&shared.current(), name, RecordType::A, None, Protocol::Udp);
    assert_eq!(
        reply.metadata.response_code,
        ResponseCode::NoError,
        "{reply:?}"
    );
    full(&reply.answers)
}

#[test]
fn reload_switches_to_new_data() {
    let directory = TempDirectory::new("switch");
    let path = directory.write("one.test.yaml", &zone_text("192.0.2.1"));
    let (shared, report) =
        SharedCatalog::load(vec![ZoneSource::parse(path.to_str().unwrap()).unwrap()]);
    assert!(report.errors.is_empty());
    assert_eq!(
        address_of(&shared, "www.one.test."),
        ["www.one.test. 3600 A 192.0.2.1"]
    );
    directory.write("one.test.yaml", &zone_text("192.0.2.2"));
    let report = shared.reload();
    assert_eq!(report.reloaded, 1);
    assert_eq!(
        address_of(&shared, "www.one.test."),
        ["www.one.test. 3600 A 192.0.2.2"]
    );
}

#[test]
fn failing_file_keeps_last_good_zone_while_others_switch() {
    let directory = TempDirectory::new("keep");
    let one = directory.write("one.test.yaml", &zone_text("192.0.2.1"));
    let two = directory.write("two.test.yaml", &zone_text("198.51.100.1"));
    let sources = vec![
        ZoneSource::parse(one.to_str().unwrap()).unwrap(),
        ZoneSource::parse(two.to_str().unwrap()).unwrap(),
    ];
    let (shared, report) = SharedCatalog::load(sources);
    assert!(report.errors.is_empty());
    let before = shared.current();

    directory.write(
        "one.test.yaml",
        "'': {type: NS, value: ns.example.org.}\nwww: {type: A, value: not-an-address}\n",
    );
    directory.write("two.test.yaml", &zone_text("198.51.100.2"));
    let report = shared.reload();
    assert_eq!(report.reloaded, 1);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].line, 2);
    assert!(report.errors[0].file.ends_with("one.test.yaml"));

    assert_eq!(
        address_of(&shared, "www.one.test."),
        ["www.one.test. 3600 A 192.0.2.1"]
    );
    assert_eq!(
        address_of(&shared, "www.two.test."),
        ["www.two.test. 3600 A 198.51.100.2"]
    );
    // A query holding the old catalog still sees the old whole.
    let reply = ask_with(&before, "www.two.test.", RecordType::A, None, Protocol::Udp);
    assert_eq!(full(&reply.answers), ["www.two.test. 3600 A 198.51.100.1"]);
}

#[test]
fn zone_that_never_loaded_is_servfail_until_it_loads() {
    let directory = TempDirectory::new("absent");
    let path = directory.write("late.test.yaml", "www: {type: A, value: 192.0.2.1}\n");
    let (shared, report) =
        SharedCatalog::load(vec![ZoneSource::parse(path.to_str().unwrap()).unwrap()]);
    assert_eq!(report.errors.len(), 1);
    let reply = ask_with(
        &shared.current(),
        "www.late.test.",
        RecordType::A,
        None,
        Protocol::Udp,
    );
    // Configured but without data: SERVFAIL, not authoritative (NSD), so resolvers try elsewhere.
    assert_eq!(reply.metadata.response_code, ResponseCode::ServFail);
    assert!(!reply.metadata.authoritative);
    assert_eq!(report.not_loaded.len(), 1);
    directory.write("late.test.yaml", &zone_text("192.0.2.9"));
    assert!(shared.reload().errors.is_empty());
    assert_eq!(
        address_of(&shared, "www.late.test."),
        ["www.late.test. 3600 A 192.0.2.9"]
    );
}

#[test]
fn reload_rebuilds_only_the_zone_whose_file_changed() {
    let directory = TempDirectory::new("thousand");
    let mut sources = Vec::new();
    for index in 0..1000 {
        let path = directory.write(&format!("z{index}.test.yaml"), &zone_text("192.0.2.1"));
        sources.push(ZoneSource::parse(path.to_str().unwrap()).unwrap());
    }
    let (shared, report) = SharedCatalog::load(sources);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.reloaded, 1000);

    // Nothing changed: nothing is rebuilt, and the zones served are the very same.
    let before = shared.current();
    let report = shared.reload();
    assert_eq!((report.reloaded, report.unchanged), (0, 1000));
    let after = shared.current();
    let first = before.zones().next().unwrap();
    assert!(std::sync::Arc::ptr_eq(
        first,
        after.zone(&first.origin).unwrap()
    ));

    // One file changed (same size, as an edit of one digit): that zone alone is rebuilt.
    directory.write("z500.test.yaml", &zone_text("192.0.2.2"));
    let report = shared.reload();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.reloaded, report.unchanged), (1, 999));
    assert_eq!(
        address_of(&shared, "www.z500.test."),
        ["www.z500.test. 3600 A 192.0.2.2"]
    );
    assert_eq!(
        address_of(&shared, "www.z501.test."),
        ["www.z501.test. 3600 A 192.0.2.1"]
    );

    // Rewritten with the same text (a touch, a checkout): not rebuilt.
    directory.write("z7.test.yaml", &zone_text("192.0.2.1"));
    let report = shared.reload();
    assert_eq!((report.reloaded, report.unchanged), (0, 1000));
}

#[test]
fn a_file_that_fails_is_read_again_at_every_reload() {
    let directory = TempDirectory::new("retry");
    let path = directory.write("one.test.yaml", &zone_text("192.0.2.1"));
    let (shared, _) = SharedCatalog::load(vec![ZoneSource::parse(path.to_str().unwrap()).unwrap()]);
    directory.write("one.test.yaml", "www: {type: A, value: 192.0.2.1}\n");
    assert_eq!(shared.reload().errors.len(), 1);
    // Unchanged since, and still broken: reported again, the old zone still served.
    let report = shared.reload();
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.unchanged, 0);
    assert_eq!(
        address_of(&shared, "www.one.test."),
        ["www.one.test. 3600 A 192.0.2.1"]
    );
    // Fixed back to the text that is served: nothing to rebuild.
    directory.write("one.test.yaml", &zone_text("192.0.2.1"));
    let report = shared.reload();
    assert!(report.errors.is_empty());
    assert_eq!((report.reloaded, report.unchanged), (0, 1));
}

#[test]
fn a_signed_zone_is_signed_again_when_its_key_directory_changes() {
    use authority::dnssec::keys::{generate_key, KeyRole};
    use hickory_proto::dnssec::Algorithm;
    use hickory_proto::rr::Name;
    let directory = TempDirectory::new("keys");
    let origin = Name::from_ascii("signed.test.").unwrap();
    let keys = directory.0.join("keys");
    generate_key(
        &origin,
        Algorithm::ECDSAP256SHA256,
        KeyRole::Combined,
        &keys,
    )
    .unwrap();
    let path = directory.write(
        "signed.test.yaml",
        "'':\n  type: NS\n  value: ns.example.org.\n  octodns:\n    dnssec:\n      keys: keys\nwww: {type: A, value: 192.0.2.1}\n",
    );
    let (shared, report) =
        SharedCatalog::load(vec![ZoneSource::parse(path.to_str().unwrap()).unwrap()]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let dnskeys = |shared: &SharedCatalog| {
        let catalog = shared.current();
        let zone = catalog.zone(&origin).unwrap();
        let apex = zone.apex().unwrap();
        apex.find(RecordType::DNSKEY).unwrap().set.len()
    };
    assert_eq!(dnskeys(&shared), 1);
    assert_eq!(shared.reload().unchanged, 1);
    // A key added for a rollover: the zone file is the same, the zone is not.
    generate_key(
        &origin,
        Algorithm::ECDSAP256SHA256,
        KeyRole::Combined,
        &keys,
    )
    .unwrap();
    let report = shared.reload();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.reloaded, report.unchanged), (1, 0));
    assert_eq!(dnskeys(&shared), 2);
}
