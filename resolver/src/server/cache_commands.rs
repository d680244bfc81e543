//! The control commands that read or change the resolver's cache and infrastructure data
//! (flush_*, dump_cache, load_cache, lookup, list_forwards): text replies, as unbound-control's.
//! Called from the control socket only; each is bounded by the size of what it walks.

use std::fmt::Write as _;

use hickory_proto::rr::Name;

use crate::cache::dump::LoadReport;
use crate::dig::presentation::name_text;
use crate::iterate::delegation::Delegation;
use crate::server::control::Reply;
use crate::server::control_command::ControlCommand;
use crate::Resolver;

impl Resolver {
    /// The reply to a cache or infrastructure command; `None` for commands that are not about
    /// the cache (the daemon answers those).
    pub fn cache_command(&self, command: &ControlCommand, body: &str) -> Option<Reply> {
        let now = self.clock.now();
        if !matches!(command, ControlCommand::FlushAll) {
            // Final replies waiting to be cached (until their clients had them) go in first, so
            // a selective flush or a dump sees them, and none is stored after the flush.
            self.store_deferred();
        }
        if matches!(
            command,
            ControlCommand::FlushAll
                | ControlCommand::FlushName(_)
                | ControlCommand::FlushType(..)
                | ControlCommand::FlushZone(_)
                | ControlCommand::FlushNegative
        ) {
            // A flushed negative answer must not come back synthesized from a kept NSEC
            // (RFC 8198): every flush of names forgets the kept proofs, which are only a saving.
            self.denial_spans.clear();
        }
        let text = match command {
            ControlCommand::FlushAll => {
                drop(self.deferred.take_all());
                self.cache.clear();
                self.failures.clear();
                self.key_cache.clear();
                self.verified_signatures.clear();
                "flushed\n".to_string()
            }
            ControlCommand::FlushName(name) => removed(self.cache.flush_name(name), "entries"),
            ControlCommand::FlushType(name, record_type) => {
                removed(self.cache.flush_type(name, *record_type), "entries")
            }
            ControlCommand::FlushZone(zone) => {
                if zone.is_root() {
                    drop(self.deferred.take_all());
                }
                removed(self.cache.flush_zone(zone), "entries")
            }
            ControlCommand::FlushNegative => {
                removed(self.cache.flush_negative(), "negative entries")
            }
            ControlCommand::FlushBogus => {
                // Bogus replies are never cached (`dnssec/validator.rs`); what is remembered of a
                // failure is the key cache's bogus chains and the recent-failure cache (RFC 9520),
                // which holds validation failures with the rest. Hook: once cache entries carry
                // their security status, remove the bogus ones here as well.
                let chains = self.key_cache.remove_bogus();
                self.failures.clear();
                format!("ok: removed {chains} bogus chains of trust; recent failures forgotten\n")
            }
            ControlCommand::FlushInfra(address) => {
                let forgotten = self.infra.forget(*address);
                format!("ok: forgot {forgotten} server records\n")
            }
            ControlCommand::DumpCache => return Some(Reply::Dump(self.cache.dump(now))),
            ControlCommand::LoadCache => load_reply(&self.cache.load_text(body, now)),
            ControlCommand::Lookup(name) => self.lookup_text(name),
            ControlCommand::ListForwards => self.forwards_text(),
            ControlCommand::Stats
            | ControlCommand::StatsNoreset
            | ControlCommand::ListLocalZones
            | ControlCommand::Reload => return None,
        };
        Some(Reply::Text(text))
    }

    /// unbound-control `lookup`: the forward zone or cached delegation a query for `name` would
    /// start from, each server with its addresses and what the infra cache knows of them.
    fn lookup_text(&self, name: &Name) -> String {
        let now = self.clock.now();
        if let Some(zone) = self
            .forward_zones
            .iter()
            .find(|zone| zone.suffix.zone_of(name))
        {
            let servers = zone
                .upstreams
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            return format!(
                "{} is forwarded: zone {} to {servers}\n",
                name_text(name),
                name_text(&zone.suffix)
            );
        }
        let cached = self
            .cache
            .cached_cuts(name, now)
            .find_map(|labels| self.cached_delegation(&name.trim_to(labels)));
        let (delegation, source) = match cached {
            Some(delegation) => (delegation, "the cache"),
            None => (self.hints_delegation(), "the root hints"),
        };
        let mut text = format!(
            "{}: delegation {} from {source}\n",
            name_text(name),
            name_text(&delegation.zone)
        );
        self.describe_servers(&delegation, &mut text);
        text
    }

    fn describe_servers(&self, delegation: &Delegation, text: &mut String) {
        let now = self.clock.now();
        for server in &delegation.servers {
            if server.addresses.is_empty() {
                let _ = writeln!(text, "  {} (no address cached)", name_text(&server.name));
            }
            for address in &server.addresses {
                let ip = address.ip();
                let state = if !self.may_query(*address) {
                    "not queried (address family off or not allowed)".to_string()
                } else if self.infra.rests(ip, &delegation.zone, now) {
                    "resting (timed out)".to_string()
                } else {
                    match self.infra.smoothed_rtt(ip, &delegation.zone) {
                        Some(rtt) => format!("rtt {rtt} ms"),
                        None => "not tried yet".to_string(),
                    }
                };
                let _ = writeln!(text, "  {} {address} {state}", name_text(&server.name));
            }
        }
    }

    /// unbound-control `list_forwards`: one line per forward zone.
    fn forwards_text(&self) -> String {
        let mut text = String::new();
        for zone in &self.forward_zones {
            let servers = zone
                .upstreams
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(text, "{} IN forward {servers}", name_text(&zone.suffix));
        }
        if text.is_empty() {
            text.push_str("no forward zones\n");
        }
        text
    }
}

fn removed(count: u64, what: &str) -> String {
    format!("ok: removed {count} {what}\n")
}

fn load_reply(report: &LoadReport) -> String {
    let mut text = if report.errors > 0 && report.rrsets == 0 && report.negatives == 0 {
        String::from("error: nothing loaded")
    } else {
        format!(
            "ok: loaded {} RRsets and {} negative answers",
            report.rrsets, report.negatives
        )
    };
    let _ = writeln!(text, "; {} lines or blocks skipped", report.errors);
    for error in &report.first_errors {
        let _ = writeln!(text, "  {error}");
    }
    text
}
