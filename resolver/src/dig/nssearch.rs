//! `+nssearch`: the zone's NS set from the given server, then each name server's SOA, one line per
//! server as dig prints it (`SOA ... from server ADDR in N ms.`). Name server names are resolved
//! by the system resolver, as dig does.

use std::io::Write;
use std::net::SocketAddr;

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, RecordType};

use crate::dig::args::{AddressFamily, Lookup};
use crate::dig::error::DigError;
use crate::dig::exchange::exchange_lookup;
use crate::dig::limits::{MAX_NSSEARCH_SERVERS, MAX_SERVER_ADDRESSES};
use crate::dig::presentation::rdata_text;
use crate::dig::query::build_query;
use crate::upstream::transport::Transport;

/// The NS targets of a reply's answer, in order, without duplicates.
fn name_servers(reply: &Message) -> Vec<Name> {
    let mut names: Vec<Name> = Vec::new();
    for record in &reply.answers {
        if let RData::NS(ns) = &record.data {
            if !names.contains(&ns.0) {
                names.push(ns.0.clone());
            }
        }
    }
    names.truncate(MAX_NSSEARCH_SERVERS);
    names
}

/// The addresses the system resolver gives for `name`, by `-4`/`-6`.
async fn addresses(name: &Name, port: u16, family: AddressFamily) -> Vec<SocketAddr> {
    let host = name.to_ascii().trim_end_matches('.').to_string();
    let found = tokio::net::lookup_host((host, port)).await;
    match found {
        Ok(found) => found
            .filter(|address| match family {
                AddressFamily::Any => true,
                AddressFamily::V4 => address.is_ipv4(),
                AddressFamily::V6 => address.is_ipv6(),
            })
            .take(MAX_SERVER_ADDRESSES)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Runs `+nssearch` for `zone` against `servers` (the lookup's `@server`s).
pub async fn run_nssearch(
    transport: &dyn Transport,
    lookup: &Lookup,
    zone: Name,
    servers: &[(SocketAddr, String)],
    out: &mut dyn Write,
) -> Result<(), DigError> {
    let ns_query = build_query(zone.clone(), RecordType::NS, lookup.class, &lookup.options)?;
    let reply = exchange_lookup(
        transport,
        servers,
        &ns_query,
        lookup.tsig_key.as_ref(),
        &lookup.options,
        None,
        &mut *out,
    )
    .await
    .inspect_err(|error| {
        let _ = writeln!(out, ";; {error}");
    })?;
    // Each server is asked once, without recursion (BIND `dighost.c`, `followup_lookup`).
    let mut options = lookup.options.clone();
    options.recurse = false;
    options.tries = 1;
    let mut unresolved: Option<String> = None;
    for target in name_servers(&reply.message) {
        let found = addresses(&target, lookup.port, lookup.family).await;
        if found.is_empty() {
            let shown = target.to_ascii().trim_end_matches('.').to_string();
            let _ = writeln!(out, "couldn't get address for '{shown}': not found");
            unresolved.get_or_insert(shown);
            continue;
        }
        for address in found {
            let query = build_query(zone.clone(), RecordType::SOA, lookup.class, &options)?;
            let single = [(address, address.ip().to_string())];
            let mut progress = Vec::new();
            let asked = exchange_lookup(
                transport,
                &single,
                &query,
                lookup.tsig_key.as_ref(),
                &options,
                None,
                &mut progress,
            )
            .await;
            // dig notes a failed server, but not that no server of the lookup could be reached.
            let no_reply = format!(";; {}", DigError::NoReply);
            for line in String::from_utf8_lossy(&progress).lines() {
                if line != no_reply {
                    let _ = writeln!(out, "{line}");
                }
            }
            let Ok(reply) = asked else {
                continue;
            };
            for record in &reply.message.answers {
                if record.record_type() == RecordType::SOA {
                    let _ = writeln!(
                        out,
                        "SOA {} from server {} in {} ms.",
                        rdata_text(&record.data),
                        address.ip(),
                        reply.elapsed.as_millis()
                    );
                }
            }
        }
    }
    // dig gives up (exit 1) once a name server's address is missing, after trying the others.
    match unresolved {
        Some(server) => Err(DigError::ServerLookup {
            server,
            reason: "no more".into(),
        }),
        None => Ok(()),
    }
}
