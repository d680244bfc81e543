//! Unbound's `auth-zone` with `for-upstream: yes`: a zone file (RFC 1035 master format, read by
//! hickory's parser, served by the authority crate's answer path) the iterator asks instead of
//! the zone's real servers, as a stub zone whose one server answers from memory. It never
//! touches the network; every other server is the wrapped transport's.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::{Name, RecordType};
use hickory_proto::serialize::txt::Parser;

use authority::answer::handler::answer_packet;
use authority::catalog::zones::Catalog;
use authority::listen::Protocol as AuthorityProtocol;
use authority::xfr::secondary::apply::build_secondary_zone;

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

impl UpstreamAuthZones {
    /// Loads each `(zone name, master-format text, file)`; the zone needs its SOA at the apex.
    pub fn load(zones: &[(Name, String, PathBuf)]) -> Result<UpstreamAuthZones, AuthZoneError> {
        let mut loaded = Vec::with_capacity(zones.len());
        for (origin, text, file) in zones {
            let error = |reason: String| AuthZoneError {
                file: file.clone(),
                reason,
            };
            if text.len() > MAX_AUTH_ZONE_FILE_BYTES {
                return Err(error(format!(
                    "{} bytes, more than {MAX_AUTH_ZONE_FILE_BYTES}",
                    text.len()
                )));
            }
            let (_, rrsets) = Parser::new(text.as_str(), Some(file.clone()), Some(origin.clone()))
                .parse()
                .map_err(|parse| error(parse.to_string()))?;
            let records: Vec<_> = rrsets
                .into_values()
                .flat_map(|rrset| rrset.into_iter())
                .collect();
            let (soa, others): (Vec<_>, Vec<_>) = records.into_iter().partition(|record| {
                record.record_type() == RecordType::SOA && record.name == *origin
            });
            let soa = soa
                .into_iter()
                .next()
                .ok_or_else(|| error(format!("no SOA record at {origin}")))?;
            let zone = build_secondary_zone(origin, soa, others, file.clone())
                .map_err(|rejected| error(rejected.to_string()))?;
            loaded.push(Arc::new(zone));
        }
        Ok(UpstreamAuthZones {
            catalog: Arc::new(Catalog::new(loaded)),
            names: zones.iter().map(|(name, _, _)| name.clone()).collect(),
        })
    }

    /// Reads the files, then `load`.
    pub fn read(zones: &[(Name, PathBuf)]) -> Result<UpstreamAuthZones, AuthZoneError> {
        let mut texts = Vec::with_capacity(zones.len());
        for (name, file) in zones {
            texts.push((name.clone(), read_bounded(file)?, file.clone()));
        }
        UpstreamAuthZones::load(&texts)
    }

    pub fn names(&self) -> &[Name] {
        &self.names
    }
}

fn read_bounded(file: &Path) -> Result<String, AuthZoneError> {
    let error = |reason: String| AuthZoneError {
        file: file.to_path_buf(),
        reason,
    };
    let size = std::fs::metadata(file)
        .map_err(|io| error(io.to_string()))?
        .len();
    if size > MAX_AUTH_ZONE_FILE_BYTES as u64 {
        return Err(error(format!(
            "{size} bytes, more than {MAX_AUTH_ZONE_FILE_BYTES}"
        )));
    }
    std::fs::read_to_string(file).map_err(|io| error(io.to_string()))
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
