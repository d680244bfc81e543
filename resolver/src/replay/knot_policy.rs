//! Deckard's `feature-list: policy=...` (a Knot Resolver Lua policy rule) as Unbound local zones,
//! where the rule has an equivalent; never evaluates Lua: an unknown shape is `None` (unsupported).
//!
//! Knot's `policy.DENY` answers NXDOMAIN authoritatively for the names its filter matches, which
//! is Unbound's `always_nxdomain` local zone: `policy.all` matches every name (the root zone),
//! `policy.suffix` and `policy.suffix_common` match the names at or below each listed suffix (the
//! common suffix of the latter is only Knot's shortcut, implied by every listed one).

/// The `local-zone` values (`"NAME" always_nxdomain`) the `feature-list` value stands for.
pub fn deny_zones(feature: &str) -> Option<Vec<String>> {
    let rule = feature.trim().strip_prefix("policy=")?;
    let filter = rule
        .trim()
        .strip_prefix("policy:add(")?
        .strip_suffix(')')?
        .trim();
    let zone = |name: &str| format!("\"{name}\" always_nxdomain");
    if filter == "policy.all(policy.DENY)" {
        return Some(vec![zone(".")]);
    }
    let arguments = filter
        .strip_prefix("policy.suffix_common(")
        .or_else(|| filter.strip_prefix("policy.suffix("))?
        .strip_suffix(')')?
        .trim();
    let names = arguments
        .strip_prefix("policy.DENY")?
        .trim_start()
        .strip_prefix(',')?
        .trim_start()
        .strip_prefix("policy.todnames({")?;
    let (names, _rest) = names.split_once("})")?;
    let zones: Vec<String> = names
        .split(',')
        .map(|name| name.trim().trim_matches(|c| c == '\'' || c == '"'))
        .filter(|name| !name.is_empty())
        .map(zone)
        .collect();
    (!zones.is_empty()).then_some(zones)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_all_is_the_root_always_nxdomain() {
        assert_eq!(
            deny_zones("policy=policy:add(policy.all(policy.DENY))"),
            Some(vec!["\".\" always_nxdomain".to_string()])
        );
    }

    #[test]
    fn deny_by_suffix_lists_each_suffix() {
        let rule = "policy=policy:add(policy.suffix_common(policy.DENY, \
                    policy.todnames({'example.cz', 'nic.cz'}), todname('cz')))";
        assert_eq!(
            deny_zones(rule),
            Some(vec![
                "\"example.cz\" always_nxdomain".to_string(),
                "\"nic.cz\" always_nxdomain".to_string()
            ])
        );
        let plain = "policy=policy:add(policy.suffix(policy.DENY, policy.todnames({'a.test'})))";
        assert_eq!(
            deny_zones(plain),
            Some(vec!["\"a.test\" always_nxdomain".to_string()])
        );
    }

    #[test]
    fn other_policies_have_no_equivalent() {
        assert_eq!(
            deny_zones("policy=policy:add(policy.all(policy.PASS))"),
            None
        );
        assert_eq!(
            deny_zones("policy=policy:add(policy.all(policy.FORWARD('192.0.2.1')))"),
            None
        );
        assert_eq!(deny_zones("static_hints=1"), None);
    }
}
