//! Builds the access list from Unbound's `access-control`, `access-control-tag`,
//! `access-control-tag-action` and `access-control-tag-data` lines; every bad line is reported.

use std::fmt;

use crate::replay::record_text::parse_record;
use crate::server::access::{AccessAction, AccessList, Cidr};
use crate::server::client_tags::TagNames;
use crate::server::limits::MAX_LOCAL_RRSET_RECORDS;
use crate::server::local_zone_table::{unquote, ConfigLine, LocalZoneType};

/// The access-control lines, as read from flags, the YAML file or a scenario header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessSettings {
    /// `CIDR ACTION`.
    pub rules: Vec<ConfigLine>,
    /// `CIDR "TAG [TAG...]"`.
    pub tags: Vec<ConfigLine>,
    /// `CIDR TAG LOCAL-ZONE-TYPE`.
    pub tag_actions: Vec<ConfigLine>,
    /// `CIDR TAG "TYPE RDATA"`.
    pub tag_data: Vec<ConfigLine>,
}

impl AccessSettings {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.tags.is_empty()
            && self.tag_actions.is_empty()
            && self.tag_data.is_empty()
    }
}

/// Every problem found in the access-control lines, each with its origin.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AccessSettingsError {
    pub errors: Vec<String>,
}

impl fmt::Display for AccessSettingsError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.errors.join("\n"))
    }
}

impl std::error::Error for AccessSettingsError {}

/// `base` (the --allow/--allow-snoop list) with the lines applied in Unbound's order: actions,
/// then tags, tag actions and tag data (a netblock first named by a tag line is `allow`).
pub fn apply(
    mut base: AccessList,
    settings: &AccessSettings,
    names: &TagNames,
) -> Result<AccessList, AccessSettingsError> {
    let mut errors = Vec::new();
    for line in &settings.rules {
        let mut words = unquote(&line.text).split_whitespace();
        let (Some(cidr), Some(action), None) = (words.next(), words.next(), words.next()) else {
            errors.push(format!(
                "{}: access-control {:?}: expected CIDR ACTION",
                line.origin, line.text
            ));
            continue;
        };
        let cidr = match cidr.parse::<Cidr>() {
            Ok(cidr) => cidr,
            Err(error) => {
                errors.push(format!("{}: access-control: {error}", line.origin));
                continue;
            }
        };
        match AccessAction::parse(unquote(action)) {
            Some(action) => base.set_action(cidr, action),
            None => errors.push(format!(
                "{}: access-control: unknown action {action:?} (allow, deny, refuse, allow_snoop, allow_setrd, allow_cookie, deny_non_local, refuse_non_local)",
                line.origin
            )),
        }
    }
    // Unbound keeps these lines in a list it prepends to, then applies them in list order:
    // for one netblock the first line written is applied last and wins.
    let mut tagged: Vec<Cidr> = Vec::new();
    for line in &settings.tags {
        let Some((cidr, rest)) = cidr_and_rest(line, "access-control-tag", &mut errors) else {
            continue;
        };
        match names.set(rest) {
            Ok(_) if tagged.contains(&cidr) => {}
            Ok(tags) => {
                base.rule_mut(cidr, AccessAction::Allow).tags = tags;
                tagged.push(cidr);
            }
            Err(error) => errors.push(format!("{}: access-control-tag: {error}", line.origin)),
        }
    }
    for line in &settings.tag_actions {
        let key = "access-control-tag-action";
        let Some((cidr, rest)) = cidr_and_rest(line, key, &mut errors) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(tag), Some(zone_type), None) = (words.next(), words.next(), words.next()) else {
            errors.push(format!("{}: {key}: expected CIDR TAG TYPE", line.origin));
            continue;
        };
        let tag = match names.index(tag) {
            Ok(tag) => tag,
            Err(error) => {
                errors.push(format!("{}: {key}: {error}", line.origin));
                continue;
            }
        };
        let Some(zone_type) = LocalZoneType::parse(unquote(zone_type)) else {
            errors.push(format!(
                "{}: {key}: unknown local-zone type {zone_type:?}",
                line.origin
            ));
            continue;
        };
        // As the tags: the first line for a netblock and tag wins.
        let rule = base.rule_mut(cidr, AccessAction::Allow);
        if !rule.tag_actions.iter().any(|(known, _)| *known == tag) {
            rule.tag_actions.push((tag, zone_type));
        }
    }
    for line in &settings.tag_data {
        let key = "access-control-tag-data";
        let Some((cidr, rest)) = cidr_and_rest(line, key, &mut errors) else {
            continue;
        };
        let Some((tag, data)) = rest.trim().split_once(char::is_whitespace) else {
            errors.push(format!("{}: {key}: expected CIDR TAG \"RR\"", line.origin));
            continue;
        };
        let tag = match names.index(tag) {
            Ok(tag) => tag,
            Err(error) => {
                errors.push(format!("{}: {key}: {error}", line.origin));
                continue;
            }
        };
        // Unbound reads the data as a record owned by the root (". DATA"); answers rename it.
        match parse_record(&format!(". {}", unquote(data))) {
            Ok(record) => {
                let rule = base.rule_mut(cidr, AccessAction::Allow);
                let rrset = rule.tag_data.iter_mut().find(|(known, rrset)| {
                    *known == tag
                        && rrset
                            .first()
                            .is_some_and(|first| first.record_type() == record.record_type())
                });
                match rrset {
                    Some((_, rrset)) if rrset.len() < MAX_LOCAL_RRSET_RECORDS => rrset.push(record),
                    Some(_) => {}
                    None => rule.tag_data.push((tag, vec![record])),
                }
            }
            Err(error) => errors.push(format!("{}: {key}: {error}", line.origin)),
        }
    }
    if errors.is_empty() {
        Ok(base)
    } else {
        Err(AccessSettingsError { errors })
    }
}

/// The leading netblock of a tag line, and the rest of it.
fn cidr_and_rest<'a>(
    line: &'a ConfigLine,
    key: &str,
    errors: &mut Vec<String>,
) -> Option<(Cidr, &'a str)> {
    let text = line.text.trim();
    let Some((cidr, rest)) = text.split_once(char::is_whitespace) else {
        errors.push(format!(
            "{}: {key} {:?}: expected CIDR and a value",
            line.origin, line.text
        ));
        return None;
    };
    match unquote(cidr).parse::<Cidr>() {
        Ok(cidr) => Some((cidr, rest.trim())),
        Err(error) => {
            errors.push(format!("{}: {key}: {error}", line.origin));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn lines(texts: &[&str]) -> Vec<ConfigLine> {
        texts
            .iter()
            .map(|text| ConfigLine::new(*text, "test"))
            .collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_most_specific_netblock_decides_and_unknown_clients_are_refused() {
        let settings = AccessSettings {
            rules: lines(&[
                "10.0.0.0/8 refuse",
                "10.1.0.0/16 allow_snoop",
                "10.1.2.3 deny",
            ]),
            ..AccessSettings::default()
        };
        let list = apply(AccessList::loopback_only(), &settings, &TagNames::default()).unwrap();
        assert_eq!(list.action(ip("10.9.9.9")), AccessAction::Refuse);
        assert_eq!(list.action(ip("10.1.9.9")), AccessAction::AllowSnoop);
        assert_eq!(list.action(ip("10.1.2.3")), AccessAction::Deny);
        assert_eq!(list.action(ip("192.0.2.1")), AccessAction::Refuse);
        assert_eq!(list.action(ip("127.0.0.1")), AccessAction::Allow);
    }

    #[test]
    fn a_netblock_named_only_by_a_tag_line_is_allowed_and_carries_its_tags() {
        let names = TagNames::define(["tag1 tag2"]).unwrap();
        let settings = AccessSettings {
            rules: lines(&["10.10.10.0/24 allow"]),
            tags: lines(&["10.10.10.20/32 \"tag2\""]),
            tag_actions: lines(&["10.10.10.20/32 tag2 always_refuse"]),
            tag_data: lines(&["10.10.10.20/32 tag2 'TXT \"data\"'"]),
        };
        let list = apply(AccessList::loopback_only(), &settings, &names).unwrap();
        let rule = list.rule_for(ip("10.10.10.20")).unwrap();
        assert_eq!(rule.action, AccessAction::Allow);
        assert_eq!(rule.tags, names.set("tag2").unwrap());
        assert_eq!(rule.tag_actions, [(1, LocalZoneType::AlwaysRefuse)]);
        assert_eq!(rule.tag_data.len(), 1);
        assert!(list
            .rule_for(ip("10.10.10.21"))
            .is_some_and(|rule| rule.tags.is_empty()));
    }

    #[test]
    fn the_first_tag_line_and_tag_action_for_a_netblock_win_as_in_unbound() {
        let names = TagNames::define(["one two"]).unwrap();
        let settings = AccessSettings {
            tags: lines(&["10.0.0.1/32 \"one two\"", "10.0.0.1/32 \"two\""]),
            tag_actions: lines(&["10.0.0.1/32 one redirect", "10.0.0.1/32 one refuse"]),
            ..AccessSettings::default()
        };
        let list = apply(AccessList::loopback_only(), &settings, &names).unwrap();
        let rule = list.rule_for(ip("10.0.0.1")).unwrap();
        assert_eq!(rule.tags, names.set("one two").unwrap());
        assert_eq!(rule.tag_actions, [(0, LocalZoneType::Redirect)]);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_origin() {
        let settings = AccessSettings {
            rules: lines(&["10.0.0.0/33 allow", "10.0.0.0/8 maybe"]),
            tags: lines(&["10.0.0.1 \"nope\""]),
            ..AccessSettings::default()
        };
        let error =
            apply(AccessList::loopback_only(), &settings, &TagNames::default()).unwrap_err();
        assert_eq!(error.errors.len(), 3, "{error}");
        assert!(error.to_string().contains("test: access-control"));
    }
}
