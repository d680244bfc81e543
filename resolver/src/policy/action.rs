//! What a policy rule does: the RPZ actions (draft-vixie-dnsop-dns-rpz §3, read from a trigger's
//! records), `rpz-action-override`, and the `response-ip` actions (Unbound's respip). Words only.

use std::fmt;

use hickory_proto::rr::{Name, RData, Record, RecordType};

/// What a matched rule does to the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyAction {
    /// NXDOMAIN (`CNAME .`; `always_nxdomain`).
    NxDomain,
    /// NOERROR without records (`CNAME *.`; `always_nodata`).
    NoData,
    /// Resolve and answer as usual, and stop looking at later policy zones
    /// (`CNAME rpz-passthru.`; `always_transparent`).
    Passthru,
    /// Send nothing (`CNAME rpz-drop.`; `deny`, `always_deny`).
    Drop,
    /// Over UDP an empty answer with TC=1, so the client comes back over TCP, where the query is
    /// resolved as usual (`CNAME rpz-tcp-only.`).
    TcpOnly,
    /// REFUSED (`always_refuse`).
    Refuse,
    /// These records instead (any other RRs at the trigger, `response-ip-data`; `redirect`).
    /// A CNAME among them is followed, as Unbound's local alias.
    LocalData(Box<[Record]>),
    /// 0.0.0.0 or :: for the address records (`always_null`).
    Null,
    /// Log, and change nothing (`inform`).
    Inform,
    /// Log, and send nothing (`inform_deny`).
    InformDeny,
}

impl PolicyAction {
    /// Unbound's word for the action in its `rpz: applied` log line.
    pub fn word(&self) -> &'static str {
        match self {
            PolicyAction::NxDomain => "rpz-nxdomain",
            PolicyAction::NoData => "rpz-nodata",
            PolicyAction::Passthru => "rpz-passthru",
            PolicyAction::Drop => "rpz-drop",
            PolicyAction::TcpOnly => "rpz-tcp-only",
            PolicyAction::Refuse => "always_refuse",
            PolicyAction::LocalData(_) => "rpz-local-data",
            PolicyAction::Null => "always_null",
            PolicyAction::Inform => "inform",
            PolicyAction::InformDeny => "inform_deny",
        }
    }

    /// The action the records at one trigger name stand for (Unbound `rpz_rr_to_action`): a
    /// CNAME to `.`, `*.`, `rpz-passthru.`, `rpz-drop.` or `rpz-tcp-only.` is that action; a
    /// CNAME to another `rpz-` TLD is invalid (`None`); anything else is local data. SOA, NS,
    /// DNAME and DNSSEC records were left out by the reader.
    pub fn of_records(records: Vec<Record>) -> Option<PolicyAction> {
        let cname = records.iter().find_map(|record| match &record.data {
            RData::CNAME(target) => Some(target.0.clone()),
            _ => None,
        });
        let Some(target) = cname else {
            return (!records.is_empty()).then(|| PolicyAction::LocalData(records.into()));
        };
        let labels: Vec<Vec<u8>> = target
            .iter()
            .map(|label| label.to_ascii_lowercase())
            .collect();
        match labels.as_slice() {
            [] => return Some(PolicyAction::NxDomain),
            [label] if label.as_slice() == b"*" => return Some(PolicyAction::NoData),
            [label] if label.as_slice() == b"rpz-passthru" => return Some(PolicyAction::Passthru),
            [label] if label.as_slice() == b"rpz-drop" => return Some(PolicyAction::Drop),
            [label] if label.as_slice() == b"rpz-tcp-only" => return Some(PolicyAction::TcpOnly),
            _ => {}
        }
        if labels.last().is_some_and(|tld| tld.starts_with(b"rpz-")) {
            return None;
        }
        // A CNAME is alone at its name (RFC 1034 §3.6.2): other records there are ignored.
        let only_cname: Vec<Record> = records
            .into_iter()
            .filter(|record| record.record_type() == RecordType::CNAME)
            .take(1)
            .collect();
        Some(PolicyAction::LocalData(only_cname.into()))
    }
}

/// `rpz-action-override`: what every trigger of the zone does instead of its own action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionOverride {
    Action(PolicyAction),
    /// `cname`: a CNAME to `rpz-cname-override`, followed.
    Cname(Name),
    /// `disabled`: matches are logged and otherwise ignored.
    Disabled,
}

/// A word that is no action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAction {
    pub word: String,
}

impl fmt::Display for UnknownAction {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "unknown action {:?}", self.word)
    }
}

impl std::error::Error for UnknownAction {}

impl ActionOverride {
    /// Unbound's `rpz-action-override` words; `cname` needs the override target.
    pub fn parse(word: &str, cname: Option<&Name>) -> Result<ActionOverride, UnknownAction> {
        let action = match word.trim().to_ascii_lowercase().as_str() {
            "nxdomain" => PolicyAction::NxDomain,
            "nodata" => PolicyAction::NoData,
            "passthru" => PolicyAction::Passthru,
            "drop" => PolicyAction::Drop,
            "tcp_only" | "tcp-only" => PolicyAction::TcpOnly,
            "disabled" => return Ok(ActionOverride::Disabled),
            "cname" => {
                return cname
                    .cloned()
                    .map(ActionOverride::Cname)
                    .ok_or_else(|| UnknownAction {
                        word: "cname (without rpz-cname-override)".to_owned(),
                    })
            }
            _ => {
                return Err(UnknownAction {
                    word: word.to_owned(),
                })
            }
        };
        Ok(ActionOverride::Action(action))
    }
}

/// Unbound's `response-ip` action words (`respip/respip.c`); `deny` and `always_deny` drop,
/// `redirect` answers the `response-ip-data` (NODATA without data of the asked type).
pub fn response_ip_action(word: &str) -> Result<PolicyAction, UnknownAction> {
    Ok(match word.trim().to_ascii_lowercase().as_str() {
        "deny" | "always_deny" => PolicyAction::Drop,
        "redirect" => PolicyAction::LocalData(Box::new([])),
        "inform" => PolicyAction::Inform,
        "inform_deny" => PolicyAction::InformDeny,
        "always_transparent" | "transparent" => PolicyAction::Passthru,
        "always_refuse" => PolicyAction::Refuse,
        "always_nxdomain" => PolicyAction::NxDomain,
        "always_nodata" => PolicyAction::NoData,
        "always_null" => PolicyAction::Null,
        _ => {
            return Err(UnknownAction {
                word: word.to_owned(),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, CNAME};

    fn cname(target: &str) -> Record {
        Record::from_rdata(
            Name::from_ascii("x.rpz.").unwrap(),
            60,
            RData::CNAME(CNAME(Name::from_ascii(target).unwrap())),
        )
    }

    #[test]
    fn cname_targets_name_the_rpz_actions() {
        let of = |target: &str| PolicyAction::of_records(vec![cname(target)]);
        assert_eq!(of("."), Some(PolicyAction::NxDomain));
        assert_eq!(of("*."), Some(PolicyAction::NoData));
        assert_eq!(of("rpz-passthru."), Some(PolicyAction::Passthru));
        assert_eq!(of("RPZ-DROP."), Some(PolicyAction::Drop));
        assert_eq!(of("rpz-tcp-only."), Some(PolicyAction::TcpOnly));
        assert_eq!(of("rpz-unknown."), None);
        assert!(
            matches!(of("walled.example."), Some(PolicyAction::LocalData(records)) if records.len() == 1)
        );
        let address = Record::from_rdata(
            Name::from_ascii("x.rpz.").unwrap(),
            60,
            RData::A(A::new(192, 0, 2, 1)),
        );
        assert!(matches!(
            PolicyAction::of_records(vec![address]),
            Some(PolicyAction::LocalData(_))
        ));
    }

    #[test]
    fn override_and_response_ip_words() {
        assert_eq!(
            ActionOverride::parse("nxdomain", None),
            Ok(ActionOverride::Action(PolicyAction::NxDomain))
        );
        assert!(ActionOverride::parse("cname", None).is_err());
        assert_eq!(response_ip_action("deny"), Ok(PolicyAction::Drop));
        assert_eq!(
            response_ip_action("always_refuse"),
            Ok(PolicyAction::Refuse)
        );
        assert!(response_ip_action("static").is_err());
    }
}
