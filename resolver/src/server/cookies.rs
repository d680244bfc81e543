//! DNS server cookies (RFC 7873, in RFC 9018's interoperable format; Unbound's `answer-cookie`):
//! a client's COOKIE option checked and a fresh server cookie made. Pure: the secret, the
//! client's address and the time come in; it never touches a socket or a clock.

use std::fmt;
use std::net::IpAddr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use siphasher::sip::SipHasher24;

use crate::response::response_skeleton;
use crate::server::access::AccessAction;

/// RFC 8914: the Extended DNS Error option, and its code 0 "Other Error".
const EDNS_OPTION_EXTENDED_ERROR: u16 = 15;
const EXTENDED_ERROR_OTHER: u16 = 0;

/// RFC 7873 §4: the COOKIE option code.
pub const COOKIE_OPTION: u16 = 10;

/// RFC 7873 §4: a client cookie alone is 8 octets; with a server cookie, 16 to 40.
const CLIENT_COOKIE_BYTES: usize = 8;
const MIN_SERVER_COOKIE_OPTION_BYTES: usize = 16;
const MAX_SERVER_COOKIE_OPTION_BYTES: usize = 40;
/// RFC 9018 §4: client cookie (8) + version (1) + reserved (3) + timestamp (4) + hash (8).
const INTEROPERABLE_COOKIE_BYTES: usize = 24;
/// RFC 9018 §4.1: the format's version.
const COOKIE_VERSION: u8 = 1;
/// RFC 9018 §4.3: a cookie older than an hour is expired; one more than five minutes in the
/// future is not ours; past half an hour a fresh one is sent (Unbound's values).
const MAX_COOKIE_AGE_SECONDS: u32 = 3_600;
const MAX_COOKIE_FUTURE_SECONDS: u32 = 300;
const COOKIE_RENEW_AFTER_SECONDS: u32 = 1_800;

/// The server secret: 128 bits, the SipHash-2-4 key (RFC 9018 §4.4).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CookieSecret([u8; 16]);

impl fmt::Debug for CookieSecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("CookieSecret(..)")
    }
}

/// A cookie secret that is not 32 hex digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieSecretError {
    pub length: usize,
}

impl fmt::Display for CookieSecretError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "cookie secret of {} characters: expected 32 hex digits (128 bits, RFC 9018 §4.4)",
            self.length
        )
    }
}

impl std::error::Error for CookieSecretError {}

impl CookieSecret {
    /// 32 hex digits (Unbound's `cookie-secret`).
    pub fn parse(text: &str) -> Result<CookieSecret, CookieSecretError> {
        let text = text.trim().trim_matches('"');
        let error = || CookieSecretError { length: text.len() };
        if text.len() != 32 {
            return Err(error());
        }
        let mut key = [0u8; 16];
        for (index, byte) in key.iter_mut().enumerate() {
            let digits = text.get(index * 2..index * 2 + 2).ok_or_else(error)?;
            *byte = u8::from_str_radix(digits, 16).map_err(|_| error())?;
        }
        Ok(CookieSecret(key))
    }

    /// A fresh random secret (Unbound's default: one per start).
    pub fn random() -> CookieSecret {
        CookieSecret(rand::random())
    }
}

/// What the client's COOKIE option is worth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CookieVerdict {
    /// The request carries no COOKIE option.
    Absent,
    /// A length RFC 7873 §5.2.2 forbids: FORMERR.
    Malformed,
    /// A cookie: `valid` when its server cookie is ours and current; `reply` is the option data
    /// to answer with (the client cookie and our server cookie, reused or fresh).
    Present { valid: bool, reply: Vec<u8> },
}

/// RFC 7873 §5.2 with RFC 9018 §4.3's checks, as Unbound's `edns_cookie_server_validate`.
pub fn check(
    option: Option<&[u8]>,
    secret: &CookieSecret,
    client: IpAddr,
    now: u32,
) -> CookieVerdict {
    let Some(option) = option else {
        return CookieVerdict::Absent;
    };
    let length = option.len();
    if length != CLIENT_COOKIE_BYTES
        && !(MIN_SERVER_COOKIE_OPTION_BYTES..=MAX_SERVER_COOKIE_OPTION_BYTES).contains(&length)
    {
        return CookieVerdict::Malformed;
    }
    let Some(client_cookie) = option.get(..CLIENT_COOKIE_BYTES) else {
        return CookieVerdict::Malformed;
    };
    let fresh = || CookieVerdict::Present {
        valid: false,
        reply: server_cookie(client_cookie, secret, client, now),
    };
    if length != INTEROPERABLE_COOKIE_BYTES || option.get(8) != Some(&COOKIE_VERSION) {
        return fresh();
    }
    let Some(timestamp) = option
        .get(12..16)
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
        .map(u32::from_be_bytes)
    else {
        return fresh();
    };
    // RFC 1982 serial arithmetic: the timestamp wraps like the clock.
    let age = now.wrapping_sub(timestamp);
    let in_past = (age as i32) > 0;
    if in_past && age > MAX_COOKIE_AGE_SECONDS {
        return fresh();
    }
    if !in_past && timestamp.wrapping_sub(now) > MAX_COOKIE_FUTURE_SECONDS {
        return fresh();
    }
    let expected = server_cookie(client_cookie, secret, client, timestamp);
    if expected.get(16..) != option.get(16..) {
        return fresh();
    }
    if in_past && age > COOKIE_RENEW_AFTER_SECONDS {
        return CookieVerdict::Present {
            valid: true,
            reply: server_cookie(client_cookie, secret, client, now),
        };
    }
    CookieVerdict::Present {
        valid: true,
        reply: option.to_vec(),
    }
}

/// The request's COOKIE option data, if any.
pub fn request_cookie(request: &Message) -> Option<&[u8]> {
    match request.edns.as_ref()?.option(EdnsCode::Cookie)? {
        EdnsOption::Unknown(_, data) => Some(data),
        _ => None,
    }
}

/// The response a request gets before any other work because of its cookie (Unbound's
/// worker): FORMERR for a malformed option; for an `allow_cookie` client over UDP without a
/// valid cookie, BADCOOKIE with a fresh cookie (RFC 7873 §5.2.3) or, with none at all, REFUSED
/// with TC set so it retries over TCP, and EDE 0 "DNS Cookie needed for UDP replies".
pub fn gate(
    request: &Message,
    verdict: &CookieVerdict,
    action: AccessAction,
    over_udp: bool,
) -> Option<Message> {
    match verdict {
        CookieVerdict::Malformed => Some(response_skeleton(request, ResponseCode::FormErr)),
        _ if action != AccessAction::AllowCookie || !over_udp => None,
        CookieVerdict::Present { valid: true, .. } => None,
        CookieVerdict::Present { valid: false, .. } => {
            let mut response = response_skeleton(request, ResponseCode::BADCOOKIE);
            attach(&mut response, verdict);
            Some(response)
        }
        CookieVerdict::Absent => {
            let mut response = response_skeleton(request, ResponseCode::Refused);
            response.metadata.truncation = true;
            if let Some(edns) = response.edns.as_mut() {
                let mut data = EXTENDED_ERROR_OTHER.to_be_bytes().to_vec();
                data.extend_from_slice(b"DNS Cookie needed for UDP replies");
                edns.options_mut()
                    .insert(EdnsOption::Unknown(EDNS_OPTION_EXTENDED_ERROR, data));
            }
            Some(response)
        }
    }
}

/// Puts our cookie in a response to a request that sent one (RFC 7873 §5.2).
pub fn attach(response: &mut Message, verdict: &CookieVerdict) {
    if let CookieVerdict::Present { reply, .. } = verdict {
        if let Some(edns) = response.edns.as_mut() {
            edns.options_mut()
                .insert(EdnsOption::Unknown(COOKIE_OPTION, reply.clone()));
        }
    }
}

/// RFC 9018 §4.4: client cookie | version | reserved | timestamp | hash, the hash
/// SipHash-2-4(client cookie | version | reserved | timestamp | client IP, secret).
fn server_cookie(
    client_cookie: &[u8],
    secret: &CookieSecret,
    client: IpAddr,
    timestamp: u32,
) -> Vec<u8> {
    let mut cookie = Vec::with_capacity(INTEROPERABLE_COOKIE_BYTES + 16);
    cookie.extend_from_slice(client_cookie);
    cookie.extend_from_slice(&[COOKIE_VERSION, 0, 0, 0]);
    cookie.extend_from_slice(&timestamp.to_be_bytes());
    match client.to_canonical() {
        IpAddr::V4(v4) => cookie.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => cookie.extend_from_slice(&v6.octets()),
    }
    let mut hasher = SipHasher24::new_with_key(&secret.0);
    std::hash::Hasher::write(&mut hasher, &cookie);
    let hash = std::hash::Hasher::finish(&hasher).to_le_bytes();
    cookie.truncate(16);
    cookie.extend_from_slice(&hash);
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> CookieSecret {
        CookieSecret::parse("000102030405060708090a0b0c0d0e0f").unwrap()
    }

    fn localhost() -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
    }

    /// Unbound's own test vector (testdata/edns_downstream_cookies.rpl): client cookie
    /// "12345678", timestamp 0, client 127.0.0.1, secret 00..0f.
    const UNBOUND_COOKIE: [u8; 24] = [
        0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 1, 0, 0, 0, 0, 0, 0, 0, 0x38, 0x52, 0x7b,
        0xa8, 0xc6, 0xa4, 0xea, 0x96,
    ];

    #[test]
    fn a_cookie_unbound_made_is_valid_here_and_reused() {
        let verdict = check(Some(&UNBOUND_COOKIE), &secret(), localhost(), 0);
        assert_eq!(
            verdict,
            CookieVerdict::Present {
                valid: true,
                reply: UNBOUND_COOKIE.to_vec()
            }
        );
    }

    #[test]
    fn an_old_cookie_is_renewed_and_an_expired_one_refused() {
        let CookieVerdict::Present { valid, reply } =
            check(Some(&UNBOUND_COOKIE), &secret(), localhost(), 1_801)
        else {
            panic!("no verdict");
        };
        assert!(valid);
        assert_eq!(reply.get(12..16), Some(&1_801u32.to_be_bytes()[..]));
        assert!(matches!(
            check(Some(&UNBOUND_COOKIE), &secret(), localhost(), 3_601),
            CookieVerdict::Present { valid: false, .. }
        ));
        let other_client = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
        assert!(matches!(
            check(Some(&UNBOUND_COOKIE), &secret(), other_client, 0),
            CookieVerdict::Present { valid: false, .. }
        ));
    }

    #[test]
    fn a_client_cookie_alone_gets_a_server_cookie_and_bad_lengths_are_malformed() {
        let CookieVerdict::Present { valid, reply } =
            check(Some(b"12345678"), &secret(), localhost(), 0)
        else {
            panic!("no verdict");
        };
        assert!(!valid);
        assert_eq!(reply, UNBOUND_COOKIE);
        for length in [0, 7, 9, 15, 41] {
            assert_eq!(
                check(Some(&vec![1; length]), &secret(), localhost(), 0),
                CookieVerdict::Malformed,
                "{length}"
            );
        }
        assert_eq!(
            check(None, &secret(), localhost(), 0),
            CookieVerdict::Absent
        );
        assert!(CookieSecret::parse("00").is_err());
    }
}
