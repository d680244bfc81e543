//! What dig takes from /etc/resolv.conf: the first `nameserver` (else 127.0.0.1), the search list
//! (`search`/`domain`) and `options ndots:N`. Reads the file only; never writes it.

use std::net::IpAddr;

/// Path dig reads its default servers from.
pub const RESOLV_CONF_PATH: &str = "/etc/resolv.conf";

/// dig's fallback when resolv.conf names no server (BIND `lib/irs/resolvconf.c`).
pub const FALLBACK_SERVER: &str = "127.0.0.1";

/// Bytes of resolv.conf read; real files are a few hundred bytes.
const MAX_RESOLV_CONF_BYTES: u64 = 64 * 1024;

/// The first `nameserver` address in resolv.conf text (comments with `#` or `;` ignored; a
/// `%zone` suffix on a link-local address is dropped).
pub fn first_nameserver(text: &str) -> Option<IpAddr> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != "nameserver" {
            return None;
        }
        let address = words.next()?;
        let without_zone = address.split('%').next()?;
        without_zone.parse().ok()
    })
}

/// Search domains kept from resolv.conf: glibc's MAXDNSRCH is 6; BIND reads more, 64 is ample.
const MAX_SEARCH_DOMAINS: usize = 64;

/// resolv.conf as dig uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    /// The first nameserver, or dig's fallback.
    pub server: String,
    /// `search a b` or `domain a`: the last such line wins, as in the C resolver (resolv.conf(5)).
    pub search: Vec<String>,
    /// `options ndots:N`; 1 when not set (resolv.conf(5)).
    pub ndots: u32,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf {
            server: FALLBACK_SERVER.to_string(),
            search: Vec::new(),
            ndots: 1,
        }
    }
}

/// Reads resolv.conf text (comments with `#` or `;`).
pub fn parse_resolv_conf(text: &str) -> ResolvConf {
    let mut conf = ResolvConf::default();
    if let Some(address) = first_nameserver(text) {
        conf.server = address.to_string();
    }
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("search") => {
                conf.search = words
                    .take_while(|word| !word.starts_with('#') && !word.starts_with(';'))
                    .take(MAX_SEARCH_DOMAINS)
                    .map(String::from)
                    .collect();
            }
            Some("domain") => conf.search = words.next().map(String::from).into_iter().collect(),
            Some("options") => {
                for option in words {
                    if let Some(dots) = option.strip_prefix("ndots:") {
                        // resolv.conf(5): values above 15 are taken as 15.
                        conf.ndots = dots.parse::<u32>().map_or(conf.ndots, |n| n.min(15));
                    }
                }
            }
            _ => {}
        }
    }
    conf
}

/// resolv.conf as dig would read it (its defaults when the file is missing).
pub fn read_resolv_conf() -> ResolvConf {
    use std::io::Read;
    let mut text = String::new();
    let read = std::fs::File::open(RESOLV_CONF_PATH)
        .and_then(|file| file.take(MAX_RESOLV_CONF_BYTES).read_to_string(&mut text));
    match read {
        Ok(_) => parse_resolv_conf(&text),
        Err(_) => ResolvConf::default(),
    }
}

/// The names a lookup asks in turn (BIND `dighost.c`, `setup_lookup` and `next_origin`): without
/// search, or for an absolute name, or one with at least `ndots` dots, the name as typed; else
/// the name under each search domain, then as typed. The next is asked only after NXDOMAIN.
pub fn search_names(name: &str, use_search: bool, search: &[String], ndots: u32) -> Vec<String> {
    let dots = name.matches('.').count();
    if !use_search || name.ends_with('.') || dots >= ndots as usize || search.is_empty() {
        return vec![name.to_string()];
    }
    let mut names: Vec<String> = search
        .iter()
        .map(|domain| {
            let domain = domain.trim_end_matches('.');
            if domain.is_empty() {
                format!("{name}.")
            } else {
                format!("{name}.{domain}.")
            }
        })
        .collect();
    names.push(name.to_string());
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_nameserver_skips_comments_and_other_lines() {
        let text = "# comment\nsearch example\n; nameserver 10.0.0.9\nnameserver 192.0.2.53\nnameserver ::1\n";
        assert_eq!(first_nameserver(text), "192.0.2.53".parse().ok());
        assert_eq!(first_nameserver("options ndots:2\n"), None);
    }

    #[test]
    fn search_list_and_ndots_are_read_like_the_c_resolver() {
        let conf = parse_resolv_conf(
            "domain old.test\nsearch a.test b.test # two\noptions rotate ndots:3\nnameserver ::1\n",
        );
        assert_eq!(conf.search, ["a.test", "b.test"]);
        assert_eq!(conf.ndots, 3);
        assert_eq!(conf.server, "::1");
        let conf = parse_resolv_conf("search a.test\ndomain z.test\n");
        assert_eq!(conf.search, ["z.test"]);
        assert_eq!(conf.ndots, 1);
        assert_eq!(parse_resolv_conf("").server, FALLBACK_SERVER);
    }

    #[test]
    fn search_names_follow_digs_order() {
        let list = vec!["a.test".to_string(), "b.test.".to_string()];
        assert_eq!(
            search_names("www", true, &list, 1),
            ["www.a.test.", "www.b.test.", "www"]
        );
        // Enough dots, an absolute name, or no search: the name alone.
        assert_eq!(search_names("www.x", true, &list, 1), ["www.x"]);
        assert_eq!(search_names("www.", true, &list, 1), ["www."]);
        assert_eq!(search_names("www", false, &list, 1), ["www"]);
        assert_eq!(search_names("www", true, &list, 0), ["www"]);
        assert_eq!(search_names("www.x", true, &list, 2)[0], "www.x.a.test.");
        assert_eq!(
            first_nameserver("nameserver fe80::1%eth0\n"),
            "fe80::1".parse().ok()
        );
    }
}
