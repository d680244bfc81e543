//! Knot DNS as a second reference server: `knotd` serving the master files we print (signed zones
//! with their signatures and NSEC/NSEC3 chain, as they are), started and stopped by the tests.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use authority::catalog::zones::Catalog;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;

use crate::support::query_bytes;

/// Attempts to get a NOERROR SOA answer after starting knotd (each waits up to READY_WAIT): a
/// Knot still loading its zone answers SERVFAIL or REFUSED, which is not ready.
const READY_ATTEMPTS: usize = 50;
const READY_WAIT: Duration = Duration::from_millis(200);

/// A running knotd, killed by PID and its directory removed when dropped.
pub(crate) struct Knot {
    child: Child,
    directory: PathBuf,
    pub(crate) address: &'static str,
}

impl Drop for Knot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

/// knotd serving every zone of `catalog` on `knot_address` (`ip:port`), from the printed master
/// files; Knot does not sign them again (no `dnssec-signing`), it serves what it is given.
pub(crate) fn start_knot(catalog: &Catalog, knot_address: &'static str) -> Knot {
    let directory = std::env::temp_dir().join(format!(
        "authority-knot-{}-{knot_address}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    let (address, port) = knot_address.split_once(':').unwrap();
    let mut config = format!(
        "server:\n    rundir: \"{dir}\"\n    listen: {address}@{port}\n\
         log:\n  - target: stderr\n    any: warning\n\
         database:\n    storage: \"{dir}\"\n\
         control:\n    listen: \"{dir}/knot.sock\"\n\
         zone:\n",
        dir = directory.display()
    );
    for zone in catalog.zones() {
        let file = directory.join(format!("{}zone", zone.origin));
        let text = crate::support::peer_master_file(zone);
        std::fs::write(&file, text).unwrap();
        config.push_str(&format!(
            "  - domain: \"{}\"\n    file: \"{}\"\n    zonefile-sync: -1\n    journal-content: none\n",
            zone.origin,
            file.display()
        ));
    }
    let config_path = directory.join("knot.conf");
    std::fs::write(&config_path, config).unwrap();
    let log_path = directory.join("knot.log");
    let log = std::fs::File::create(&log_path).unwrap();
    // knotd stays in the foreground unless given -d.
    let child = Command::new("knotd")
        .arg("-c")
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start knotd");
    let knot = Knot {
        child,
        directory,
        address: knot_address,
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
        socket.send_to(&probe, knot_address).unwrap();
        let mut buffer = [0u8; 4096];
        if let Ok((length, _)) = socket.recv_from(&mut buffer) {
            let ready = Message::from_vec(&buffer[..length])
                .is_ok_and(|reply| reply.metadata.response_code == ResponseCode::NoError);
            if ready {
                return knot;
            }
            std::thread::sleep(READY_WAIT);
        }
    }
    let log = std::fs::read_to_string(log_path).unwrap_or_default();
    panic!("knotd did not answer for {first_zone} on {knot_address}; log:\n{log}");
}
