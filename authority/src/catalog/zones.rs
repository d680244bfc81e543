//! The set of zones we serve and the closest-enclosing-zone search; also loading them from files.
//! A `Catalog` is immutable once built: reload builds a new one and swaps it in whole.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hickory_proto::rr::{LowerName, Name, RecordType};

use crate::dnssec::sign_loaded_zone;
use crate::limits::HEAP_TRIM_MIN_FILE_BYTES;
use crate::xfr::serial::AssignedSerial;
use crate::zone::build::build_zone_after;
use crate::zone::error::{ZoneError, ZoneErrorKind, ZoneWarning};
use crate::zone::heap_trim::give_back_free_heap_memory;
use crate::zone::memory_limit::ZoneMemoryLimit;
use crate::zone::names::ancestor;
use crate::zone::prepared::Zone;
use crate::zone::yaml_zone::{
    origin_from_path, parse_origin, read_zone_file_text_within, read_zone_text_within,
    read_zone_text_without_lines_within,
};

/// Where one zone comes from: a file and the origin it serves (`ORIGIN=PATH` or the file name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSource {
    pub origin: Name,
    pub path: PathBuf,
}

impl ZoneSource {
    /// Parses a command-line argument `[ORIGIN=]PATH`.
    pub fn parse(argument: &str) -> Result<ZoneSource, ZoneError> {
        let (origin_text, path) = match argument.split_once('=') {
            Some((origin, path)) => (Some(origin), Path::new(path)),
            None => (None, Path::new(argument)),
        };
        let origin = match origin_text {
            Some(text) => parse_origin(text),
            None => origin_from_path(path),
        }
        .map_err(|kind| ZoneError {
            file: path.to_path_buf(),
            line: 0,
            kind,
        })?;
        Ok(ZoneSource {
            origin,
            path: path.to_path_buf(),
        })
    }

    /// Reads and checks the file; every error found, or the prepared zone and its warnings.
    pub fn load(&self) -> Result<(Zone, Vec<ZoneWarning>), Vec<ZoneError>> {
        self.load_with(&LoadOptions::default())
    }

    /// `load` with the server's loading options (`--default-ns`).
    pub fn load_with(
        &self,
        options: &LoadOptions,
    ) -> Result<(Zone, Vec<ZoneWarning>), Vec<ZoneError>> {
        self.load_after(options, None)
    }

    /// `load_with`, for a zone served until now as `previous`: a signed zone keeps the signatures
    /// of RRsets that did not change (`dnssec::sign`).
    pub fn load_after(
        &self,
        options: &LoadOptions,
        previous: Option<&Zone>,
    ) -> Result<(Zone, Vec<ZoneWarning>), Vec<ZoneError>> {
        let text = self.read_text(options)?;
        self.load_text_after(text, options, previous)
    }

    /// The file's text, if the zone memory limit admits a file of its size.
    pub fn read_text(&self, options: &LoadOptions) -> Result<String, Vec<ZoneError>> {
        read_zone_file_text_within(&self.path, options.zone_memory_limit)
    }

    /// `load_after` for text already read from the file (reload reads it to hash it first).
    pub fn load_text_after(
        &self,
        text: String,
        options: &LoadOptions,
        previous: Option<&Zone>,
    ) -> Result<(Zone, Vec<ZoneWarning>), Vec<ZoneError>> {
        let limit = options.zone_memory_limit;
        // Only a big file's build leaves enough freed heap to be worth giving back (a thousand
        // small zones are a thousand walks of the heap for nothing).
        let trims_heap = text.len() >= HEAP_TRIM_MIN_FILE_BYTES;
        let give_back = || {
            if trims_heap {
                give_back_free_heap_memory();
            }
        };
        let mut text = Some(text);
        // First without lines (a third faster on a million-record file); a file with anything
        // to report is read again with lines, so every message names its line as before.
        if let Ok(mut read) = read_zone_text_without_lines_within(
            text.as_deref().unwrap_or_default(),
            &self.path,
            &self.origin,
            limit,
        ) {
            if read.errors.is_empty() && read.warnings.is_empty() {
                // Most likely nothing will be reported: the text's memory is given back before
                // the build (the load's peak), and the file read again if something is.
                text = None;
                read.default_nameservers = options.default_nameservers.clone();
                let dnssec = read.dnssec.take();
                let explicit_soa = read_has_soa(&read);
                let built = build_zone_after(read, previous);
                give_back();
                if let Ok((mut zone, warnings)) = built {
                    if warnings.is_empty() {
                        if let Ok(serial) = self.assign_serial(options, &mut zone, explicit_soa) {
                            if sign_loaded_zone(&mut zone, dnssec, &self.path, previous).is_ok() {
                                keep_serial(options, serial);
                                return Ok((zone, warnings));
                            }
                        }
                    }
                }
            }
        }
        let text = match text {
            Some(text) => text,
            None => self.read_text(options)?,
        };
        let mut read = read_zone_text_within(&text, &self.path, &self.origin, limit)?;
        drop(text);
        read.default_nameservers = options.default_nameservers.clone();
        let dnssec = read.dnssec.take();
        let explicit_soa = read_has_soa(&read);
        let built = build_zone_after(read, previous);
        give_back();
        let (mut zone, warnings) = built?;
        let serial = self.assign_serial(options, &mut zone, explicit_soa)?;
        sign_loaded_zone(&mut zone, dnssec, &self.path, previous)?;
        keep_serial(options, serial);
        Ok((zone, warnings))
    }

    /// With a serial keeper (the server, `xfr::serial`), the serial the zone is served with; a
    /// check or a print leaves the file's serial alone. It is remembered by `keep_serial` once
    /// the zone is signed, so a load that fails later leaves the keeper as it was.
    fn assign_serial(
        &self,
        options: &LoadOptions,
        zone: &mut Zone,
        explicit_soa: bool,
    ) -> Result<Option<AssignedSerial>, Vec<ZoneError>> {
        let Some(keeper) = &options.serials else {
            return Ok(None);
        };
        keeper
            .0
            .assign(zone, explicit_soa, crate::dnssec::unix_now())
            .map(Some)
            .map_err(|problem| {
                vec![ZoneError {
                    file: self.path.clone(),
                    line: 0,
                    kind: ZoneErrorKind::Serial(problem.to_string()),
                }]
            })
    }

    /// One error for each origin given more than once (the later file names the earlier one):
    /// two files cannot both be the zone, and serving either silently hides a mistake.
    pub fn duplicate_origins(sources: &[ZoneSource]) -> Vec<ZoneError> {
        let mut seen: HashMap<LowerName, &Path> = HashMap::new();
        let mut errors = Vec::new();
        for source in sources {
            let key = LowerName::new(&source.origin);
            match seen.get(&key) {
                Some(first) => errors.push(ZoneError {
                    file: source.path.clone(),
                    line: 0,
                    kind: ZoneErrorKind::DuplicateOrigin {
                        origin: source.origin.to_string(),
                        first: first.to_path_buf(),
                    },
                }),
                None => {
                    seen.insert(key, &source.path);
                }
            }
        }
        errors
    }
}

/// Remembers the serial a loaded zone is served with (nothing without a serial keeper).
fn keep_serial(options: &LoadOptions, serial: Option<AssignedSerial>) {
    if let (Some(keeper), Some(serial)) = (&options.serials, serial) {
        keeper.0.keep(serial);
    }
}

/// How zone files are loaded, beyond the files themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Apex NS names for zones whose file has none (`--default-ns`, repeatable): octoDNS
    /// providers add their own nameservers, so octoDNS zones often omit them.
    pub default_nameservers: Vec<Name>,
    /// The server's serial keeper (`xfr::serial`); `None` serves the file's serial as written.
    pub serials: Option<crate::xfr::serial::SharedSerialKeeper>,
    /// The memory one zone may take while loading (`--zone-max-memory`); a zone over it is
    /// refused with an error naming the option.
    pub zone_memory_limit: ZoneMemoryLimit,
}

/// Whether the file wrote an SOA of its own.
fn read_has_soa(read: &crate::zone::yaml_zone::ReadZone) -> bool {
    read.records
        .any(|_, record_type| record_type == RecordType::SOA)
}

/// The generation of the next catalog built. Never reused in a process, so something computed from
/// one catalog (the answer memo) cannot be mistaken for the same thing from its successor.
static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// Which zone answers a name.
#[derive(Clone, Copy, Debug)]
pub enum ZoneFor<'catalog> {
    Loaded(&'catalog Arc<Zone>),
    /// The closest enclosing zone is one we are configured for, but its file never loaded.
    NotLoaded,
    /// No zone of ours encloses the name.
    NotOurs,
}

/// Zones by lowercased origin.
#[derive(Clone, Debug)]
pub struct Catalog {
    zones: HashMap<LowerName, Arc<Zone>>,
    /// Origins we are configured for whose file failed and which have no earlier data: answered
    /// SERVFAIL rather than REFUSED, so a resolver tries another server instead of giving up.
    not_loaded: HashSet<LowerName>,
    /// Labels of the longest origin: no name longer than it can be an origin, so the closest-zone
    /// search starts there instead of at the query name (one hash lookup instead of several).
    longest_origin_labels: u8,
    /// Unique per catalog built (a clone keeps it: same zones, same answers).
    generation: u64,
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog::new(Vec::new())
    }
}

/// The outcome of loading several files: what loaded, and what failed.
#[derive(Debug, Default)]
pub struct CatalogLoad {
    pub catalog: Catalog,
    pub errors: Vec<ZoneError>,
    pub warnings: Vec<ZoneWarning>,
}

impl Catalog {
    pub fn new(zones: impl IntoIterator<Item = Arc<Zone>>) -> Catalog {
        Catalog::with_not_loaded(zones, std::iter::empty())
    }

    /// A catalog that also knows the origins of zones whose file failed to load.
    pub fn with_not_loaded(
        zones: impl IntoIterator<Item = Arc<Zone>>,
        not_loaded: impl IntoIterator<Item = Name>,
    ) -> Catalog {
        let zones: HashMap<LowerName, Arc<Zone>> = zones
            .into_iter()
            .map(|zone| (LowerName::new(&zone.origin), zone))
            .collect();
        let not_loaded: HashSet<LowerName> = not_loaded
            .into_iter()
            .map(|origin| LowerName::new(&origin))
            .filter(|origin| !zones.contains_key(origin))
            .collect();
        let longest_origin_labels = zones
            .keys()
            .chain(not_loaded.iter())
            .map(|origin| origin.num_labels())
            .max()
            .unwrap_or(0);
        Catalog {
            zones,
            not_loaded,
            longest_origin_labels,
            generation: NEXT_GENERATION.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Which catalog this is: two catalogs with the same generation hold the same zones.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Loads every source; zones whose files fail have no data (answered SERVFAIL) and their
    /// errors are returned.
    pub fn load(sources: &[ZoneSource]) -> CatalogLoad {
        Catalog::load_with(sources, &LoadOptions::default())
    }

    /// `load` with the server's loading options.
    pub fn load_with(sources: &[ZoneSource], options: &LoadOptions) -> CatalogLoad {
        let mut load = CatalogLoad::default();
        let mut zones = Vec::with_capacity(sources.len());
        let mut not_loaded = Vec::new();
        for source in sources {
            match source.load_with(options) {
                Ok((zone, warnings)) => {
                    zones.push(Arc::new(zone));
                    load.warnings.extend(warnings);
                }
                Err(errors) => {
                    not_loaded.push(source.origin.clone());
                    load.errors.extend(errors);
                }
            }
        }
        load.catalog = Catalog::with_not_loaded(zones, not_loaded);
        load
    }

    /// Origins we are configured for that have no data (their file failed to load).
    pub fn not_loaded(&self) -> impl Iterator<Item = &LowerName> {
        self.not_loaded.iter()
    }

    pub fn zone(&self, origin: &Name) -> Option<&Arc<Zone>> {
        self.zones.get(&LowerName::new(origin))
    }

    pub fn zones(&self) -> impl Iterator<Item = &Arc<Zone>> {
        self.zones.values()
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The zone with the longest origin that contains `name`.
    pub fn closest_zone(&self, name: &Name) -> Option<&Arc<Zone>> {
        self.closest_zone_lower(&LowerName::new(name))
    }

    /// As `closest_zone`, for a name already lowercased (the query path lowercases once).
    pub fn closest_zone_lower(&self, name: &LowerName) -> Option<&Arc<Zone>> {
        let labels = name.num_labels().min(self.longest_origin_labels);
        (0..=labels)
            .rev()
            .find_map(|count| self.zones.get(&ancestor(name, usize::from(count))))
    }

    /// The zone that answers `record_type` at `name`, telling a zone that failed to load from
    /// one we do not serve: the closest enclosing origin decides, loaded or not.
    pub fn zone_for(&self, name: &LowerName, record_type: RecordType) -> ZoneFor<'_> {
        let answering = self.answering_zone_lower(name, record_type);
        if !self.not_loaded.is_empty() {
            let loaded_labels =
                answering.map_or(0, |zone| usize::from(zone.origin.num_labels()) + 1);
            let labels = name.num_labels().min(self.longest_origin_labels);
            let closer_not_loaded = (0..=labels)
                .rev()
                .map(usize::from)
                .take_while(|count| *count + 1 > loaded_labels)
                .any(|count| self.not_loaded.contains(&ancestor(name, count)));
            if closer_not_loaded {
                return ZoneFor::NotLoaded;
            }
        }
        match answering {
            Some(zone) => ZoneFor::Loaded(zone),
            None => ZoneFor::NotOurs,
        }
    }

    /// The zone that answers `record_type` at `name`. DS lives on the parent side of a cut
    /// (RFC 4035 §3.1.4.1), so a DS query for a zone apex goes to the zone above, if we serve it.
    pub fn answering_zone(&self, name: &Name, record_type: RecordType) -> Option<&Arc<Zone>> {
        self.answering_zone_lower(&LowerName::new(name), record_type)
    }

    /// As `answering_zone`, for a name already lowercased.
    pub fn answering_zone_lower(
        &self,
        name: &LowerName,
        record_type: RecordType,
    ) -> Option<&Arc<Zone>> {
        let zone = self.closest_zone_lower(name)?;
        if record_type == RecordType::DS
            && !name.is_root()
            && zone.origin.num_labels() == name.num_labels()
        {
            if let Some(parent) = self.closest_zone_lower(&name.base_name()) {
                return Some(parent);
            }
        }
        Some(zone)
    }
}
