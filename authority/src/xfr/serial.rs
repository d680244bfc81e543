//! Which SOA serial a loaded zone is served with: the file's own when it has an SOA, else one
//! kept by a policy (Knot's `serial-policy`) and persisted so it never goes backwards.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hickory_proto::rr::{LowerName, Name, RData, RecordType};

use crate::xfr::journal::{canonical_bytes, serial_after, write_atomically};
use crate::zone::prepared::{RecordSet, ServedSet, Zone};

/// How a zone without an SOA of its own gets its serial when its data changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SerialPolicy {
    /// One more than the last served (Knot's default `increment`).
    #[default]
    Increment,
    /// Seconds since the epoch, or one more than the last when that is not larger (Knot's `unixtime`).
    UnixTime,
}

impl SerialPolicy {
    pub fn parse(text: &str) -> Option<SerialPolicy> {
        match text {
            "increment" => Some(SerialPolicy::Increment),
            "unixtime" => Some(SerialPolicy::UnixTime),
            _ => None,
        }
    }

    fn first(self, now: u32) -> u32 {
        match self {
            SerialPolicy::Increment => crate::zone::build::DEFAULT_SOA_SERIAL,
            SerialPolicy::UnixTime => now,
        }
    }

    fn next(self, last: u32, now: u32) -> u32 {
        let incremented = last.wrapping_add(1);
        match self {
            SerialPolicy::Increment => incremented,
            SerialPolicy::UnixTime if serial_after(now, last) => now,
            SerialPolicy::UnixTime => incremented,
        }
    }
}

/// Why a zone's serial cannot be served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SerialProblem {
    /// The data changed but the file's SOA serial did not: secondaries would never see the change.
    DataChangedSerialNot { serial: u32 },
    /// The file's serial is older than one already served (RFC 1982 order).
    WentBackwards { serial: u32, served: u32 },
}

impl fmt::Display for SerialProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SerialProblem::DataChangedSerialNot { serial } => write!(
                formatter,
                "the zone's data changed but its SOA serial {serial} did not; raise the serial (secondaries would keep the old data)"
            ),
            SerialProblem::WentBackwards { serial, served } => write!(
                formatter,
                "SOA serial {serial} is older than {served}, already served; secondaries would ignore it (raise it past {served}, or remove the zone's serial file from the state directory)"
            ),
        }
    }
}

/// What the keeper remembers of one zone: the serial served and a digest of the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Served {
    serial: u32,
    digest: [u8; 32],
}

/// Remembers the serial and data digest of every zone, in memory and (with a state directory)
/// on disk, one small file per zone.
#[derive(Debug, Default)]
pub struct SerialKeeper {
    policy: SerialPolicy,
    directory: Option<PathBuf>,
    served: Mutex<HashMap<LowerName, Served>>,
}

impl SerialKeeper {
    pub fn new(policy: SerialPolicy, directory: Option<PathBuf>) -> Arc<SerialKeeper> {
        Arc::new(SerialKeeper {
            policy,
            directory,
            served: Mutex::new(HashMap::new()),
        })
    }

    fn path(&self, origin: &Name) -> Option<PathBuf> {
        self.directory
            .as_ref()
            .map(|directory| directory.join(format!("{}serial", state_file_stem(origin))))
    }

    fn remembered(&self, origin: &Name) -> Option<Served> {
        let key = LowerName::new(origin);
        let mut served = self
            .served
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(known) = served.get(&key) {
            return Some(*known);
        }
        let known = self.path(origin).and_then(|path| read_served(&path))?;
        served.insert(key, known);
        Some(known)
    }

    fn remember(&self, origin: &Name, known: Served) {
        self.served
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(LowerName::new(origin), known);
        if let Some(path) = self.path(origin) {
            let text = format!(
                "{} {}\n",
                known.serial,
                data_encoding::HEXLOWER.encode(&known.digest)
            );
            if let Err(error) = write_atomically(&path, text.as_bytes()) {
                tracing::warn!(path = %path.display(), %error, "cannot write the zone's serial state");
            }
        }
    }

    /// Gives a freshly built (not yet signed) `zone` its serial. `explicit` says the file wrote
    /// its own SOA (its serial is used as written, and must move when the data does). The serial
    /// is remembered only when the caller `keep`s it, once the zone is sure to be served.
    pub fn assign(
        &self,
        zone: &mut Zone,
        explicit: bool,
        now: u32,
    ) -> Result<AssignedSerial, SerialProblem> {
        let digest = data_digest(zone);
        let file_serial = crate::xfr::journal::zone_serial(zone);
        let last = self.remembered(&zone.origin);
        let serial = match (last, explicit) {
            (None, true) => file_serial,
            (None, false) => self.policy.first(now),
            (Some(last), true) if file_serial == last.serial => {
                if last.digest != digest {
                    return Err(SerialProblem::DataChangedSerialNot {
                        serial: file_serial,
                    });
                }
                file_serial
            }
            (Some(last), true) if serial_after(file_serial, last.serial) => file_serial,
            (Some(last), true) => {
                return Err(SerialProblem::WentBackwards {
                    serial: file_serial,
                    served: last.serial,
                })
            }
            (Some(last), false) if last.digest == digest => last.serial,
            (Some(last), false) => self.policy.next(last.serial, now),
        };
        set_serial(zone, serial);
        Ok(AssignedSerial {
            origin: zone.origin.clone(),
            served: Served { serial, digest },
            already_known: last == Some(Served { serial, digest }),
        })
    }

    /// Remembers a serial `assign` gave (in memory, and in the state directory if there is one).
    pub fn keep(&self, assigned: AssignedSerial) {
        if !assigned.already_known {
            self.remember(&assigned.origin, assigned.served);
        }
    }
}

/// A serial put into a zone but not yet remembered: a load that fails after `assign` (signing)
/// drops it, so the keeper never holds a serial for data that was not served.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a serial is remembered only when kept"]
pub struct AssignedSerial {
    origin: Name,
    served: Served,
    already_known: bool,
}

impl AssignedSerial {
    pub fn serial(&self) -> u32 {
        self.served.serial
    }
}

/// The file name stem of a zone's state files: `example.test.` (the root is `root.`).
pub fn state_file_stem(origin: &Name) -> String {
    let text = origin.to_lowercase().to_string();
    if text == "." {
        "root.".to_string()
    } else {
        // A name with '/' in a label is legal DNS but must not become a path.
        text.replace('/', "%2F")
    }
}

fn read_served(path: &Path) -> Option<Served> {
    let text = std::fs::read_to_string(path).ok()?;
    let (serial, digest) = text.trim().split_once(' ')?;
    let digest = data_encoding::HEXLOWER.decode(digest.as_bytes()).ok()?;
    Some(Served {
        serial: serial.parse().ok()?,
        digest: digest.try_into().ok()?,
    })
}

/// SHA-256 over the sorted canonical records, the SOA with serial 0: the same data gives the same
/// digest whatever the order in the file.
fn data_digest(zone: &Zone) -> [u8; 32] {
    let mut encoded: Vec<Vec<u8>> = Vec::with_capacity(zone.record_count + 1);
    for node in zone.nodes.values() {
        for served in &node.sets {
            for mut record in served.set.records() {
                if let RData::SOA(soa) = &mut record.data {
                    soa.serial = 0;
                }
                encoded.push(canonical_bytes(&record));
            }
        }
    }
    encoded.sort_unstable();
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for bytes in &encoded {
        context.update(&(bytes.len() as u32).to_be_bytes());
        context.update(bytes);
    }
    let mut digest = [0u8; 32];
    digest.copy_from_slice(context.finish().as_ref());
    digest
}

/// Puts `serial` into the zone's SOA everywhere it is kept (apex RRset, `soa`, `negative_soa`).
pub fn set_serial(zone: &mut Zone, serial: u32) {
    let with_serial = |set: &RecordSet| -> RecordSet {
        let mut records = set.records();
        for record in &mut records {
            if let RData::SOA(soa) = &mut record.data {
                soa.serial = serial;
            }
        }
        // The records came from this set's bytes, so they encode again.
        match RecordSet::from_records(&set.owner(), set.record_type, &records) {
            Ok(mut changed) => {
                changed.signatures = set.signatures.clone();
                changed
            }
            Err(_) => set.clone(),
        }
    };
    zone.soa = Arc::new(with_serial(&zone.soa));
    zone.negative_soa = Arc::new(with_serial(&zone.negative_soa));
    let apex = LowerName::new(&zone.origin);
    if let Some(node) = zone.nodes.get_mut(&apex) {
        for served in &mut node.sets {
            if served.set.record_type == RecordType::SOA {
                *served = ServedSet {
                    set: Arc::new(with_serial(&served.set)),
                    additional: served.additional.clone(),
                };
            }
        }
    }
}

/// A keeper in `LoadOptions`: two are equal when they are the same keeper.
#[derive(Clone, Debug)]
pub struct SharedSerialKeeper(pub Arc<SerialKeeper>);

impl PartialEq for SharedSerialKeeper {
    fn eq(&self, other: &SharedSerialKeeper) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedSerialKeeper {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::zones::ZoneSource;

    fn zone(text: &str) -> Zone {
        // One directory per call: tests run in parallel, and two texts may have the same length.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let directory =
            std::env::temp_dir().join(format!("serial-test-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join("example.test.yaml");
        std::fs::write(&path, text).unwrap();
        let source = ZoneSource::parse(path.to_str().unwrap()).unwrap();
        let (zone, _) = source.load().unwrap();
        std::fs::remove_dir_all(directory).unwrap();
        zone
    }

    /// `assign` then `keep`, as a load that goes on to serve the zone does.
    fn assign_kept(
        keeper: &SerialKeeper,
        zone: &mut Zone,
        explicit: bool,
        now: u32,
    ) -> Result<u32, SerialProblem> {
        keeper.assign(zone, explicit, now).map(|assigned| {
            let serial = assigned.serial();
            keeper.keep(assigned);
            serial
        })
    }

    const WITHOUT_SOA: &str =
        "'':\n  type: NS\n  value: ns1.example.test.\nns1:\n  type: A\n  value: 192.0.2.1\n";
    const CHANGED: &str =
        "'':\n  type: NS\n  value: ns1.example.test.\nns1:\n  type: A\n  value: 192.0.2.2\n";

    fn with_soa(serial: u32, address: &str) -> String {
        format!(
            "'':\n  - type: NS\n    value: ns1.example.test.\n  - type: SOA\n    value:\n      mname: ns1.example.test.\n      rname: hostmaster.example.test.\n      serial: {serial}\n      refresh: 3600\n      retry: 900\n      expire: 604800\n      minimum: 300\nns1:\n  type: A\n  value: {address}\n"
        )
    }

    #[test]
    fn increment_policy_moves_only_when_the_data_does() {
        let keeper = SerialKeeper::new(SerialPolicy::Increment, None);
        assert_eq!(
            assign_kept(&keeper, &mut zone(WITHOUT_SOA), false, 1000),
            Ok(1)
        );
        assert_eq!(
            assign_kept(&keeper, &mut zone(WITHOUT_SOA), false, 1000),
            Ok(1)
        );
        let mut changed = zone(CHANGED);
        assert_eq!(assign_kept(&keeper, &mut changed, false, 1000), Ok(2));
        assert_eq!(crate::xfr::journal::zone_serial(&changed), 2);
    }

    #[test]
    fn a_serial_not_kept_leaves_no_trace() {
        let keeper = SerialKeeper::new(SerialPolicy::Increment, None);
        assert_eq!(
            assign_kept(&keeper, &mut zone(WITHOUT_SOA), false, 1000),
            Ok(1)
        );
        // A load of changed data that fails after its serial was assigned (signing).
        let dropped = keeper.assign(&mut zone(CHANGED), false, 1000);
        assert_eq!(dropped.as_ref().map(AssignedSerial::serial), Ok(2));
        drop(dropped);
        // The same changed data loaded again is 2, not 3; the old data is still 1.
        assert_eq!(
            assign_kept(&keeper, &mut zone(WITHOUT_SOA), false, 1000),
            Ok(1)
        );
        assert_eq!(assign_kept(&keeper, &mut zone(CHANGED), false, 1000), Ok(2));
    }

    #[test]
    fn unixtime_policy_never_goes_backwards() {
        let keeper = SerialKeeper::new(SerialPolicy::UnixTime, None);
        assert_eq!(
            assign_kept(&keeper, &mut zone(WITHOUT_SOA), false, 5000),
            Ok(5000)
        );
        assert_eq!(
            assign_kept(&keeper, &mut zone(CHANGED), false, 4000),
            Ok(5001)
        );
    }

    #[test]
    fn explicit_serial_must_move_with_the_data() {
        let keeper = SerialKeeper::new(SerialPolicy::Increment, None);
        assert_eq!(
            assign_kept(&keeper, &mut zone(&with_soa(7, "192.0.2.1")), true, 0),
            Ok(7)
        );
        assert_eq!(
            assign_kept(&keeper, &mut zone(&with_soa(7, "192.0.2.2")), true, 0),
            Err(SerialProblem::DataChangedSerialNot { serial: 7 })
        );
        assert_eq!(
            assign_kept(&keeper, &mut zone(&with_soa(6, "192.0.2.2")), true, 0),
            Err(SerialProblem::WentBackwards {
                serial: 6,
                served: 7
            })
        );
        assert_eq!(
            assign_kept(&keeper, &mut zone(&with_soa(8, "192.0.2.2")), true, 0),
            Ok(8)
        );
    }

    #[test]
    fn the_serial_survives_a_restart_through_the_state_directory() {
        let directory = std::env::temp_dir().join(format!("serial-state-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let keeper = SerialKeeper::new(SerialPolicy::Increment, Some(directory.clone()));
        assign_kept(&keeper, &mut zone(WITHOUT_SOA), false, 0).unwrap();
        assert_eq!(assign_kept(&keeper, &mut zone(CHANGED), false, 0), Ok(2));
        let restarted = SerialKeeper::new(SerialPolicy::Increment, Some(directory.clone()));
        assert_eq!(assign_kept(&restarted, &mut zone(CHANGED), false, 0), Ok(2));
        assert_eq!(
            assign_kept(&restarted, &mut zone(WITHOUT_SOA), false, 0),
            Ok(3)
        );
        std::fs::remove_dir_all(directory).unwrap();
    }
}
