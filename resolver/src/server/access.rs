//! Who may query us and how (Unbound's `access-control` actions and client tags): CIDR rules
//! checked before any other work (RFC 5358: a resolver must not be open by default). It never
//! reads packets; it only answers "what does this address get".

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use hickory_proto::rr::Record;

use crate::server::client_tags::TagSet;
use crate::server::cookies::CookieSecret;
use crate::server::local_zone_table::LocalZoneType;

/// One address prefix, `ADDRESS/LENGTH` or a bare address (a host prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix_length: u8,
}

/// Why a CIDR could not be read; names the offending text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CidrError {
    pub text: String,
}

impl fmt::Display for CidrError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "invalid CIDR {:?}: expected ADDRESS/LENGTH (e.g. 192.0.2.0/24, 2001:db8::/32)",
            self.text
        )
    }
}

impl std::error::Error for CidrError {}

impl Cidr {
    pub fn new(network: IpAddr, prefix_length: u8) -> Option<Cidr> {
        let max = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (prefix_length <= max).then_some(Cidr {
            network,
            prefix_length,
        })
    }

    /// The network address as given.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length: the longer, the more specific.
    pub fn prefix_length(&self) -> u8 {
        self.prefix_length
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, canonical(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix_length))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix_length))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let error = || CidrError {
            text: text.to_string(),
        };
        let (address, length) = match text.split_once('/') {
            Some((address, length)) => (address, Some(length)),
            None => (text, None),
        };
        let address: IpAddr = address.trim().parse().map_err(|_| error())?;
        let length = match length {
            Some(length) => length.trim().parse::<u8>().map_err(|_| error())?,
            None if address.is_ipv4() => 32,
            None => 128,
        };
        Cidr::new(address, length).ok_or_else(error)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.network, self.prefix_length)
    }
}

/// A client on an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, from a dual-stack socket) is
/// judged by its IPv4 address, so an IPv4 allow entry covers it and nothing sneaks past.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// What `access-control` does with a client (Unbound `daemon/acl_list.c`, `man unbound.conf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessAction {
    /// Recursion for RD=1; RD=0 is refused (local zones still answer).
    Allow,
    /// As allow, and RD=0 reads the cache (cache snooping).
    AllowSnoop,
    /// As allow, with RD=0 queries treated as RD=1.
    AllowSetRd,
    /// As allow over TCP; over UDP only with a valid DNS cookie (RFC 7873, RFC 9018).
    AllowCookie,
    /// No answer at all.
    Deny,
    /// REFUSED, with EDE 18 "Prohibited" (RFC 8914) to a client that speaks EDNS.
    Refuse,
    /// Local zones answer; anything else is dropped.
    DenyNonLocal,
    /// Local zones answer; anything else is refused.
    RefuseNonLocal,
}

impl AccessAction {
    pub fn parse(text: &str) -> Option<AccessAction> {
        Some(match text {
            "allow" => AccessAction::Allow,
            "allow_snoop" => AccessAction::AllowSnoop,
            "allow_setrd" => AccessAction::AllowSetRd,
            "allow_cookie" => AccessAction::AllowCookie,
            "deny" => AccessAction::Deny,
            "refuse" => AccessAction::Refuse,
            "deny_non_local" => AccessAction::DenyNonLocal,
            "refuse_non_local" => AccessAction::RefuseNonLocal,
            _ => return None,
        })
    }

    /// Whether the client is served at all (local zones at least).
    pub fn serves(self) -> bool {
        !matches!(self, AccessAction::Deny | AccessAction::Refuse)
    }

    /// Whether anything past the local zones (recursion, the cache) is served.
    pub fn resolves(self) -> bool {
        self.serves()
            && !matches!(
                self,
                AccessAction::DenyNonLocal | AccessAction::RefuseNonLocal
            )
    }
}

/// One `access-control` netblock: its action and the client tags it carries
/// (`access-control-tag`, `-tag-action`, `-tag-data`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRule {
    pub cidr: Cidr,
    pub action: AccessAction,
    pub tags: TagSet,
    /// Per tag, the local-zone type that replaces a tagged zone's own for this client.
    pub tag_actions: Vec<(usize, LocalZoneType)>,
    /// Per tag, RRsets (one type each) a tagged redirect zone answers this client with; the
    /// owner is replaced by the question's name.
    pub tag_data: Vec<(usize, Vec<Record>)>,
}

impl AccessRule {
    pub fn new(cidr: Cidr, action: AccessAction) -> AccessRule {
        AccessRule {
            cidr,
            action,
            tags: TagSet::default(),
            tag_actions: Vec::new(),
            tag_data: Vec::new(),
        }
    }
}

/// The access-control rules; the most specific netblock holding the client decides (Unbound's
/// address tree). A client no rule holds is refused, as with Unbound's `0.0.0.0/0 refuse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessList {
    rules: Vec<AccessRule>,
    /// `answer-cookie`: the server-cookie secret; `None`: cookies are neither read nor sent.
    cookie_secret: Option<CookieSecret>,
}

impl AccessList {
    /// Loopback only (127.0.0.0/8 and ::1): Unbound's default `access-control`.
    pub fn loopback_only() -> AccessList {
        AccessList {
            rules: loopback()
                .into_iter()
                .map(|cidr| AccessRule::new(cidr, AccessAction::Allow))
                .collect(),
            cookie_secret: None,
        }
    }

    /// `extra` plus the host itself (127.0.0.1 and ::1, so the machine's own stub and tools keep
    /// working). Without `extra` the default is all of loopback: loopback only, like Unbound.
    /// With `extra`, other 127/8 addresses are not implied, so a lab can tell clients apart.
    pub fn with_allowed(extra: impl IntoIterator<Item = Cidr>) -> AccessList {
        let extra: Vec<Cidr> = extra.into_iter().collect();
        if extra.is_empty() {
            return AccessList::loopback_only();
        }
        let mut list = AccessList {
            rules: Vec::new(),
            cookie_secret: None,
        };
        let host = [
            Cidr {
                network: IpAddr::V4(Ipv4Addr::LOCALHOST),
                prefix_length: 32,
            },
            Cidr {
                network: IpAddr::V6(Ipv6Addr::LOCALHOST),
                prefix_length: 128,
            },
        ];
        for cidr in host.into_iter().chain(extra) {
            list.set_action(cidr, AccessAction::Allow);
        }
        list
    }

    /// The same list, with `snoopers` allowed to query and to snoop the cache with RD=0.
    pub fn with_snoopers(mut self, snoopers: impl IntoIterator<Item = Cidr>) -> AccessList {
        for cidr in snoopers {
            self.set_action(cidr, AccessAction::AllowSnoop);
        }
        self
    }

    /// `access-control: CIDR ACTION`: the netblock's action, set or replaced (a later line for
    /// the same netblock wins, keeping its tags).
    pub fn set_action(&mut self, cidr: Cidr, action: AccessAction) {
        self.rule_mut(cidr, action).action = action;
    }

    /// The rule of exactly `cidr`, made with `action` if there is none (Unbound
    /// `acl_find_or_create`: a netblock named only by a tag line is `allow`).
    pub fn rule_mut(&mut self, cidr: Cidr, action: AccessAction) -> &mut AccessRule {
        let index = match self.rules.iter().position(|rule| rule.cidr == cidr) {
            Some(index) => index,
            None => {
                self.rules.push(AccessRule::new(cidr, action));
                self.rules.len() - 1
            }
        };
        &mut self.rules[index]
    }

    /// The most specific rule holding `client`, if any.
    pub fn rule_for(&self, client: IpAddr) -> Option<&AccessRule> {
        self.rules
            .iter()
            .filter(|rule| rule.cidr.contains(client))
            .max_by_key(|rule| rule.cidr.prefix_length)
    }

    /// What to do with `client`: its rule's action, or refuse.
    pub fn action(&self, client: IpAddr) -> AccessAction {
        self.rule_for(client)
            .map_or(AccessAction::Refuse, |rule| rule.action)
    }

    pub fn allows(&self, client: IpAddr) -> bool {
        self.action(client).serves()
    }

    /// Whether the client may send RD=0 queries (answered from the cache only).
    pub fn may_snoop(&self, client: IpAddr) -> bool {
        self.action(client) == AccessAction::AllowSnoop
    }

    /// The prefixes whose clients are served (the ready line, the reload reply).
    pub fn entries(&self) -> Vec<Cidr> {
        self.rules
            .iter()
            .filter(|rule| rule.action.serves())
            .map(|rule| rule.cidr)
            .collect()
    }

    /// The same list, answering DNS cookies with `secret` (RFC 7873; Unbound's answer-cookie).
    pub fn with_cookies(mut self, secret: CookieSecret) -> AccessList {
        self.cookie_secret = Some(secret);
        self
    }

    pub fn cookie_secret(&self) -> Option<&CookieSecret> {
        self.cookie_secret.as_ref()
    }

    /// Whether any client carries tags (the wire fast path then leaves tagged zones alone).
    pub fn has_tags(&self) -> bool {
        self.rules.iter().any(|rule| !rule.tags.is_empty())
    }
}

fn loopback() -> Vec<Cidr> {
    [
        Cidr {
            network: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
            prefix_length: 8,
        },
        Cidr {
            network: IpAddr::V6(Ipv6Addr::LOCALHOST),
            prefix_length: 128,
        },
    ]
    .to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn default_allows_loopback_and_refuses_others() {
        let list = AccessList::loopback_only();
        assert!(list.allows(ip("127.0.0.1")));
        assert!(list.allows(ip("127.60.9.9")));
        assert!(list.allows(ip("::1")));
        assert!(list.allows(ip("::ffff:127.0.0.1")));
        assert!(!list.allows(ip("192.0.2.1")));
        assert!(!list.allows(ip("::2")));
        assert!(!list.allows(ip("::ffff:192.0.2.1")));
    }

    #[test]
    fn allow_entry_widens_by_prefix() {
        let list = AccessList::with_allowed(
            ["192.0.2.0/24".parse::<Cidr>(), "2001:db8::/32".parse()]
                .into_iter()
                .flatten(),
        );
        assert!(list.allows(ip("192.0.2.200")));
        assert!(!list.allows(ip("192.0.3.1")));
        assert!(list.allows(ip("2001:db8:1::5")));
        assert!(list.allows(ip("127.0.0.1")));
        assert!(!list.allows(ip("127.60.9.9")));
    }

    #[test]
    fn snoopers_may_query_and_snoop_others_may_not_snoop() {
        let snooper = ["192.0.2.7".parse::<Cidr>()].into_iter().flatten();
        let list = AccessList::loopback_only().with_snoopers(snooper);
        assert!(list.allows(ip("192.0.2.7")));
        assert!(list.may_snoop(ip("192.0.2.7")));
        assert!(list.allows(ip("127.0.0.1")));
        assert!(!list.may_snoop(ip("127.0.0.1")));
        assert!(!list.allows(ip("192.0.2.8")));
    }

    #[test]
    fn bad_cidrs_are_rejected() {
        for text in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x/8",
            "10.0.0.0/-1",
        ] {
            assert!(text.parse::<Cidr>().is_err(), "{text}");
        }
        assert_eq!(
            "0.0.0.0/0"
                .parse::<Cidr>()
                .map(|c| c.contains(ip("8.8.8.8"))),
            Ok(true)
        );
        assert_eq!(
            "10.1.2.3".parse::<Cidr>().map(|c| c.to_string()),
            Ok("10.1.2.3/32".to_string())
        );
    }
}
