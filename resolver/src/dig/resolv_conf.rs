//! The default server: the first `nameserver` line of /etc/resolv.conf, or 127.0.0.1 like dig.
//! Reads the file only; never writes it.

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

/// The default server as dig would pick it.
pub fn default_server() -> String {
    use std::io::Read;
    let mut text = String::new();
    let read = std::fs::File::open(RESOLV_CONF_PATH)
        .and_then(|file| file.take(MAX_RESOLV_CONF_BYTES).read_to_string(&mut text));
    match read {
        Ok(_) => first_nameserver(&text)
            .map(|address| address.to_string())
            .unwrap_or_else(|| FALLBACK_SERVER.to_string()),
        Err(_) => FALLBACK_SERVER.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_nameserver_skips_comments_and_other_lines() {
        let text = "# comment\nsearch example\n; nameserver 10.0.0.9\nnameserver 192.0.2.53\nnameserver ::1\n";
        assert_eq!(first_nameserver(text), "192.0.2.53".parse().ok());
        assert_eq!(first_nameserver("options ndots:2\n"), None);
        assert_eq!(
            first_nameserver("nameserver fe80::1%eth0\n"),
            "fe80::1".parse().ok()
        );
    }
}
