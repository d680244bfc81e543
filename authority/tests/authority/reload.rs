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
