//! Unbound's `auth-zone`: zone files (RFC 1035 master format, read by hickory's parser, served
//! by the authority crate's answer path) loaded once for both uses. For upstream the iterator
//! asks them instead of the zone's real servers, as a stub zone whose one server answers from
//! memory; for downstream `auth_zone_downstream` answers clients. It never touches the network.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::rdata::NS;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::txt::Parser;

use authority::answer::handler::answer_packet;
use authority::catalog::zones::Catalog;
use authority::listen::Protocol as AuthorityProtocol;
use authority::xfr::secondary::apply::build_secondary_zone;
use authority::zone::prepared::Zone;

pub use crate::auth_zone_downstream::DownstreamAuthZones;
use crate::limits::MAX_AUTH_ZONE_FILE_BYTES;
use crate::upstream::transport::{ExchangeFuture, Protocol, Transport, TransportError};

/// The server address the iterator is given for the auth zones. IPv4: RFC 7600's dummy address
/// (never a server's); IPv6: RFC 6666's discard prefix. Only this module answers it.
pub const AUTH_ZONE_SERVER_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 0, 8));
pub const AUTH_ZONE_SERVER_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 1));

/// The loaded for-upstream auth zones.
#[derive(Clone)]
pub struct UpstreamAuthZones {
    catalog: Arc<Catalog>,
    names: Vec<Name>,
}

impl fmt::Debug for UpstreamAuthZones {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("UpstreamAuthZones")
            .field("names", &self.names)
            .finish()
    }
}

/// Why an auth zone could not be loaded; names the file.
#[derive(Debug)]
pub struct AuthZoneError {
    pub file: PathBuf,
    pub reason: String,
}

impl fmt::Display for AuthZoneError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}: auth-zone: {}",
            self.file.display(),
            self.reason
        )
    }
}

impl std::error::Error for AuthZoneError {}

/// How one auth zone is used (Unbound's `auth-zone` options). Our default is Unbound's
/// `for-upstream: yes, for-downstream: no, fallback-enabled: no`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthZoneUse {
    /// Clients asking a name in the zone are answered from it, AA=1 (`for-downstream`).
    pub for_downstream: bool,
    /// The iterator asks the zone instead of its servers (`for-upstream`).
    pub for_upstream: bool,
    /// A zone that fails to load is left out (logged), its names resolved as if it were not
    /// configured (`fallback-enabled`); without it the failure stops the start or reload.
    pub fallback: bool,
}

impl Default for AuthZoneUse {
    fn default() -> Self {
        AuthZoneUse {
            for_downstream: false,
            for_upstream: true,
            fallback: false,
        }
    }
}

/// One configured auth zone: its name, its file, and (for scenarios) the file's text already
/// in memory; `None` reads the file.
#[derive(Clone, Debug)]
pub struct AuthZoneSource {
    pub name: Name,
    pub file: PathBuf,
    pub text: Option<String>,
    pub usage: AuthZoneUse,
}

/// The loaded auth zones, split by use; a zone for both is loaded once and shared.
#[derive(Clone, Debug, Default)]
pub struct AuthZones {
    pub upstream: Option<UpstreamAuthZones>,
    pub downstream: Option<DownstreamAuthZones>,
}

impl AuthZones {
    /// Loads every source; a zone that fails with `fallback` set is logged and left out.
    pub fn load(sources: &[AuthZoneSource]) -> Result<AuthZones, AuthZoneError> {
        let mut upstream = Vec::new();
        let mut downstream = Vec::new();
        let mut uses = Vec::new();
        let mut without_ns = Vec::new();
        for source in sources {
            let loaded = match &source.text {
                Some(text) => load_zone(&source.name, text, &source.file),
                None => read_bounded(&source.file)
                    .and_then(|text| load_zone(&source.name, &text, &source.file)),
            };
            let (zone, made_up_ns) = match loaded {
                Ok(loaded) => loaded,
                Err(error) if source.usage.fallback => {
                    tracing::warn!(zone = %source.name, "{error}; fallback-enabled: its names are resolved");
                    continue;
                }
                Err(error) => return Err(error),
            };
            if source.usage.for_upstream {
                upstream.push((source.name.clone(), zone.clone()));
            }
            if source.usage.for_downstream {
                downstream.push(zone);
                if let Some(soa) = made_up_ns {
                    without_ns.push(soa);
                }
            }
            uses.push((source.name.clone(), source.usage.for_downstream));
        }
        Ok(AuthZones {
            upstream: (!upstream.is_empty()).then(|| UpstreamAuthZones {
                names: upstream.iter().map(|(name, _)| name.clone()).collect(),
                catalog: Arc::new(Catalog::new(upstream.into_iter().map(|(_, zone)| zone))),
            }),
            downstream: (!downstream.is_empty())
                .then(|| DownstreamAuthZones::new(Catalog::new(downstream), uses, without_ns)),
        })
    }
}

/// One zone from master-format `text`; it needs its SOA at the apex. Unbound serves a zone
/// without apex NS; the authority crate needs one, so `NS <origin>` stands in for it and the
/// zone's SOA comes back beside it (the downstream answers hide the made-up set).
fn load_zone(
    origin: &Name,
    text: &str,
    file: &Path,
) -> Result<(Arc<Zone>, Option<Record>), AuthZoneError> {
    let error = |reason: String| AuthZoneError {
        file: file.to_path_buf(),
        reason,
    };
    if text.len() > MAX_AUTH_ZONE_FILE_BYTES {
        return Err(error(format!(
            "{} bytes, more than {MAX_AUTH_ZONE_FILE_BYTES}",
            text.len()
        )));
    }
    let (_, rrsets) = Parser::new(text, Some(file.to_path_buf()), Some(origin.clone()))
        .parse()
        .map_err(|parse| error(parse.to_string()))?;
    let records: Vec<_> = rrsets
        .into_values()
        .flat_map(|rrset| rrset.into_iter())
        .collect();
    let (soa, mut others): (Vec<_>, Vec<_>) = records
        .into_iter()
        .partition(|record| record.record_type() == RecordType::SOA && record.name == *origin);
    let soa = soa
        .into_iter()
        .next()
        .ok_or_else(|| error(format!("no SOA record at {origin}")))?;
    let has_apex_ns = others
        .iter()
        .any(|record| record.record_type() == RecordType::NS && record.name == *origin);
    let made_up_ns = (!has_apex_ns).then(|| soa.clone());
    if !has_apex_ns {
        others.push(Record::from_rdata(
            origin.clone(),
            soa.ttl,
            RData::NS(NS(origin.clone())),
        ));
    }
    let zone = build_secondary_zone(origin, soa, others, file.to_path_buf())
        .map_err(|rejected| error(rejected.to_string()))?;
    Ok((Arc::new(zone), made_up_ns))
}

impl UpstreamAuthZones {
    /// Loads each `(zone name, master-format text, file)` for upstream use only.
    pub fn load(zones: &[(Name, String, PathBuf)]) -> Result<UpstreamAuthZones, AuthZoneError> {
        let sources: Vec<AuthZoneSource> = zones
            .iter()
            .map(|(name, text, file)| AuthZoneSource {
                name: name.clone(),
                file: file.clone(),
                text: Some(text.clone()),
                usage: AuthZoneUse::default(),
            })
            .collect();
        Ok(AuthZones::load(&sources)?
            .upstream
            .unwrap_or_else(|| UpstreamAuthZones {
                catalog: Arc::new(Catalog::new(Vec::new())),
                names: Vec::new(),
            }))
    }

    pub fn names(&self) -> &[Name] {
        &self.names
    }
}

fn read_bounded(file: &Path) -> Result<String, AuthZoneError> {
    crate::bounded_file::read_text(file, MAX_AUTH_ZONE_FILE_BYTES).map_err(|reason| AuthZoneError {
        file: file.to_path_buf(),
        reason,
    })
}

/// The transport with the auth zones' server in front: a query to `AUTH_ZONE_SERVER_*` is
/// answered from the zones as an authoritative server would (any port: `--upstream-port`
/// rewrites it); every other goes to `inner`.
pub struct AuthZoneTransport {
    inner: Arc<dyn Transport>,
    zones: UpstreamAuthZones,
}

impl AuthZoneTransport {
    pub fn new(inner: Arc<dyn Transport>, zones: UpstreamAuthZones) -> AuthZoneTransport {
        AuthZoneTransport { inner, zones }
    }
}

impl Transport for AuthZoneTransport {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> ExchangeFuture<'a> {
        let ip = server.ip();
        if ip != AUTH_ZONE_SERVER_V4 && ip != AUTH_ZONE_SERVER_V6 {
            return self.inner.exchange(server, protocol, query, timeout);
        }
        let answer = answer_packet(&self.zones.catalog, query, AuthorityProtocol::Tcp);
        Box::pin(async move { answer.ok_or(TransportError::Timeout) })
    }

    fn after_answer(&self) {
        self.inner.after_answer();
    }
}
