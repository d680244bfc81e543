//! TSIG (RFC 8945) for rdig's `-y`/`-k`: the key as dig reads it (hmac-md5 when `-y` names no
//! algorithm, as dig 9.18), signing a request and checking each answer in chain. Never prints.

use std::fmt;

use hickory_proto::rr::rdata::tsig::{
    make_tsig_record, signed_bitmessage_to_buf, TsigAlgorithm, TSIG,
};
use hickory_proto::rr::Name;
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};
use hmac::{Hmac, Mac};

use crate::dig::error::DigError;

/// RFC 8945 §10: 300 seconds of clock difference, the fudge dig sends.
pub const FUDGE_SECONDS: u16 = 300;

/// One shared secret (RFC 8945 §4.2: known by its name).
#[derive(Clone, PartialEq, Eq)]
pub struct DigKey {
    pub name: Name,
    pub algorithm: TsigAlgorithm,
    pub secret: Vec<u8>,
}

impl fmt::Debug for DigKey {
    // The secret never reaches a log line.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "DigKey({} {})", self.name, self.algorithm)
    }
}

/// The algorithms dig 9.18 knows (BIND `dighost.c`, `parse_hmac`), by their `-y`/key-file names.
fn algorithm_from_text(text: &str) -> Option<TsigAlgorithm> {
    match text
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase()
        .as_str()
    {
        "hmac-md5" | "hmac-md5.sig-alg.reg.int" => Some(TsigAlgorithm::HmacMd5),
        "hmac-sha1" => Some(TsigAlgorithm::HmacSha1),
        "hmac-sha224" => Some(TsigAlgorithm::HmacSha224),
        "hmac-sha256" => Some(TsigAlgorithm::HmacSha256),
        "hmac-sha384" => Some(TsigAlgorithm::HmacSha384),
        "hmac-sha512" => Some(TsigAlgorithm::HmacSha512),
        _ => None,
    }
}

/// An algorithm's name as a message carries it, lower case (hickory spells hmac-md5's in capitals).
pub fn algorithm_name(algorithm: &TsigAlgorithm) -> Name {
    let mut name = algorithm.to_name().to_lowercase();
    name.set_fqdn(true);
    name
}

/// An algorithm's name as dig prints it: lower case, absolute.
pub fn algorithm_text(algorithm: &TsigAlgorithm) -> String {
    algorithm_name(algorithm).to_ascii()
}

fn same_algorithm(left: &TsigAlgorithm, right: &TsigAlgorithm) -> bool {
    algorithm_text(left).eq_ignore_ascii_case(&algorithm_text(right))
}

/// Why `-y` or `-k` gave no key, as dig tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// `-y` that is not `[alg:]name:secret`: dig shows its usage and exits 1.
    Syntax,
    /// dig prints `;; Couldn't create key NAME: REASON` and goes on unsigned (BIND `dighost.c`,
    /// `setup_text_key`); an unknown algorithm also draws a warning on standard error.
    Unusable {
        name: String,
        reason: &'static str,
        unknown_algorithm: Option<String>,
    },
    /// A key file without both algorithm and secret: dig exits 1.
    Incomplete,
}

impl DigKey {
    /// A key from its parts as typed.
    pub fn new(name: &str, algorithm: &str, secret: &str) -> Result<DigKey, KeyProblem> {
        let unusable = |reason, unknown_algorithm| KeyProblem::Unusable {
            name: name.to_string(),
            reason,
            unknown_algorithm,
        };
        let algorithm = algorithm_from_text(algorithm)
            .ok_or_else(|| unusable("algorithm is unsupported", Some(algorithm.to_string())))?;
        let mut parsed = Name::from_ascii(name.trim()).map_err(|_| unusable("bad name", None))?;
        parsed.set_fqdn(true);
        if parsed.is_root() {
            return Err(unusable("bad name", None));
        }
        let secret = data_encoding::BASE64
            .decode(secret.trim().as_bytes())
            .map_err(|_| unusable("bad base64 encoding", None))?;
        if secret.is_empty() {
            return Err(unusable("bad base64 encoding", None));
        }
        Ok(DigKey {
            name: parsed.to_lowercase(),
            algorithm,
            secret,
        })
    }

    /// dig's `-y [alg:]name:secret`; without an algorithm, hmac-md5 as dig 9.18 (`dig.1`).
    pub fn from_argument(text: &str) -> Result<DigKey, KeyProblem> {
        let parts: Vec<&str> = text.split(':').collect();
        match parts.as_slice() {
            [name, secret] => DigKey::new(name, "hmac-md5", secret),
            [algorithm, name, secret] => DigKey::new(name, algorithm, secret),
            _ => Err(KeyProblem::Syntax),
        }
    }

    /// The first `key "name" { algorithm A; secret "S"; };` clause of a `-k` file (the output
    /// of `tsig-keygen` or `ddns-confgen`); comments (`#`, `//`) are skipped.
    pub fn from_key_file(text: &str) -> Result<DigKey, KeyProblem> {
        let without_comments: String = text
            .lines()
            .map(|line| {
                let line = line.split('#').next().unwrap_or("");
                line.split("//").next().unwrap_or("")
            })
            .collect::<Vec<_>>()
            .join(" ");
        let spaced = without_comments
            .replace('{', " { ")
            .replace('}', " } ")
            .replace(';', " ; ");
        let words: Vec<&str> = spaced.split_whitespace().collect();
        let missing = |_: &str| KeyProblem::Incomplete;
        let start = words
            .iter()
            .position(|word| *word == "key")
            .ok_or_else(|| missing("key clause"))?;
        let name = words
            .get(start + 1)
            .map(|word| word.trim_matches('"'))
            .ok_or_else(|| missing("key name"))?;
        let value_after = |keyword: &str| {
            words
                .iter()
                .skip(start)
                .position(|word| *word == keyword)
                .and_then(|index| words.get(start + index + 1))
                .map(|word| word.trim_matches('"'))
        };
        let algorithm = value_after("algorithm").ok_or_else(|| missing("algorithm"))?;
        let secret = value_after("secret").ok_or_else(|| missing("secret"))?;
        DigKey::new(name, algorithm, secret)
    }
}

/// RFC 2104 HMAC with the key's hash, by the RustCrypto crates.
fn mac(algorithm: &TsigAlgorithm, secret: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    fn run<M: Mac + hmac::digest::KeyInit>(secret: &[u8], data: &[u8]) -> Option<Vec<u8>> {
        let mut hasher = <M as hmac::digest::KeyInit>::new_from_slice(secret).ok()?;
        hasher.update(data);
        Some(hasher.finalize().into_bytes().to_vec())
    }
    match algorithm {
        TsigAlgorithm::HmacMd5 => run::<Hmac<md5::Md5>>(secret, data),
        TsigAlgorithm::HmacSha1 => run::<Hmac<sha1::Sha1>>(secret, data),
        TsigAlgorithm::HmacSha224 => run::<Hmac<sha2::Sha224>>(secret, data),
        TsigAlgorithm::HmacSha256 => run::<Hmac<sha2::Sha256>>(secret, data),
        TsigAlgorithm::HmacSha384 => run::<Hmac<sha2::Sha384>>(secret, data),
        TsigAlgorithm::HmacSha512 => run::<Hmac<sha2::Sha512>>(secret, data),
        _ => None,
    }
}

/// Whether `tag` is the whole MAC of `data` (the hmac crate's constant-time check; a truncated
/// MAC, RFC 8945 §5.2.2.1, is refused as dig refuses one shorter than its default).
fn mac_verifies(algorithm: &TsigAlgorithm, secret: &[u8], data: &[u8], tag: &[u8]) -> bool {
    fn run<M: Mac + hmac::digest::KeyInit>(secret: &[u8], data: &[u8], tag: &[u8]) -> bool {
        let Ok(mut hasher) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else {
            return false;
        };
        hasher.update(data);
        hasher.verify_slice(tag).is_ok()
    }
    match algorithm {
        TsigAlgorithm::HmacMd5 => run::<Hmac<md5::Md5>>(secret, data, tag),
        TsigAlgorithm::HmacSha1 => run::<Hmac<sha1::Sha1>>(secret, data, tag),
        TsigAlgorithm::HmacSha224 => run::<Hmac<sha2::Sha224>>(secret, data, tag),
        TsigAlgorithm::HmacSha256 => run::<Hmac<sha2::Sha256>>(secret, data, tag),
        TsigAlgorithm::HmacSha384 => run::<Hmac<sha2::Sha384>>(secret, data, tag),
        TsigAlgorithm::HmacSha512 => run::<Hmac<sha2::Sha512>>(secret, data, tag),
        _ => false,
    }
}

/// Why an answer's TSIG was not accepted, in BIND's words (`isc_result_totext`), which dig prints
/// as `;; Couldn't verify signature: ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsigFailure {
    /// The answer carries no TSIG.
    Unsigned,
    /// The server's TSIG carries an error (BADSIG, BADKEY, BADTIME): RFC 8945 §5.3.2.
    ErrorSet,
    /// Another key, another algorithm, or a MAC that does not verify.
    VerifyFailure,
    /// Time signed outside the fudge (RFC 8945 §5.2.3).
    ClockSkew,
}

impl fmt::Display for TsigFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            TsigFailure::Unsigned => "expected a TSIG or SIG(0)",
            TsigFailure::ErrorSet => "tsig indicates error",
            TsigFailure::VerifyFailure => "tsig verify failure",
            TsigFailure::ClockSkew => "clocks are unsynchronized",
        })
    }
}

/// Seconds since the epoch, for the TSIG time field.
pub fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The signature chain of one request: signs it, then checks each answer (the first over the
/// request's MAC and all TSIG variables, later ones of a transfer over the previous MAC and the
/// timers only, RFC 8945 §5.3.1).
#[derive(Clone, Debug)]
pub struct TsigChain {
    key: DigKey,
    previous_mac: Vec<u8>,
    first: bool,
}

impl TsigChain {
    /// Appends a TSIG record to the request `message` (wire bytes, ID as sent, RFC 8945 §5.1)
    /// and returns the chain that checks its answers.
    pub fn sign_request(
        key: &DigKey,
        message: &mut Vec<u8>,
        now: u64,
    ) -> Result<TsigChain, DigError> {
        let failed = || DigError::Internal("signing the request");
        let id = u16::from_be_bytes([
            *message.first().ok_or_else(failed)?,
            *message.get(1).ok_or_else(failed)?,
        ]);
        let stub = TSIG::new(
            key.algorithm.clone(),
            now,
            FUDGE_SECONDS,
            Vec::new(),
            id,
            None,
            Vec::new(),
        );
        let mut variables = Vec::new();
        stub.emit_tsig_for_mac(&mut BinEncoder::new(&mut variables), &key.name)
            .map_err(|_| failed())?;
        let mut signed = message.clone();
        signed.extend_from_slice(&variables);
        let request_mac = mac(&key.algorithm, &key.secret, &signed).ok_or_else(failed)?;
        let record = make_tsig_record(key.name.clone(), stub.set_mac(request_mac.clone()));
        let mut encoded = Vec::new();
        record
            .emit(&mut BinEncoder::new(&mut encoded))
            .map_err(|_| failed())?;
        let count = message
            .get(10..12)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .and_then(|count| count.checked_add(1))
            .ok_or_else(failed)?;
        message.extend_from_slice(&encoded);
        message[10..12].copy_from_slice(&count.to_be_bytes());
        Ok(TsigChain {
            key: key.clone(),
            previous_mac: request_mac,
            first: true,
        })
    }

    /// Checks one answer (wire bytes as received) and moves the chain on.
    pub fn verify_answer(&mut self, bytes: &[u8], now: u64) -> Result<(), TsigFailure> {
        let (signed_data, record) =
            signed_bitmessage_to_buf(bytes, Some(&self.previous_mac), self.first)
                .map_err(|_| TsigFailure::Unsigned)?;
        let tsig = &record.data;
        if tsig.error.is_some() {
            return Err(TsigFailure::ErrorSet);
        }
        if record.name.to_lowercase() != self.key.name
            || !same_algorithm(&tsig.algorithm, &self.key.algorithm)
        {
            return Err(TsigFailure::VerifyFailure);
        }
        if !mac_verifies(
            &self.key.algorithm,
            &self.key.secret,
            &signed_data,
            &tsig.mac,
        ) {
            return Err(TsigFailure::VerifyFailure);
        }
        if now.abs_diff(tsig.time) > u64::from(tsig.fudge) {
            return Err(TsigFailure::ClockSkew);
        }
        self.previous_mac = tsig.mac.clone();
        self.first = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_y_defaults_to_hmac_md5_like_dig_918() {
        let key = DigKey::from_argument("k:c2VjcmV0").unwrap();
        assert_eq!(key.algorithm, TsigAlgorithm::HmacMd5);
        assert_eq!(key.name, Name::from_ascii("k.").unwrap());
        assert_eq!(key.secret, b"secret");
        let key = DigKey::from_argument("hmac-sha256:K:c2VjcmV0").unwrap();
        assert_eq!(key.algorithm, TsigAlgorithm::HmacSha256);
        assert_eq!(
            algorithm_text(&TsigAlgorithm::HmacMd5),
            "hmac-md5.sig-alg.reg.int."
        );
        assert_eq!(DigKey::from_argument("nocolon"), Err(KeyProblem::Syntax));
        assert_eq!(
            DigKey::from_argument("hmac-foo:k:c2VjcmV0"),
            Err(KeyProblem::Unusable {
                name: "k".into(),
                reason: "algorithm is unsupported",
                unknown_algorithm: Some("hmac-foo".into()),
            })
        );
    }

    #[test]
    fn key_files_as_tsig_keygen_writes_them() {
        let text = "# made by tsig-keygen\nkey \"xfr-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0\";\n};\n";
        let key = DigKey::from_key_file(text).unwrap();
        assert_eq!(key.name, Name::from_ascii("xfr-key.").unwrap());
        assert_eq!(key.algorithm, TsigAlgorithm::HmacSha256);
        assert_eq!(
            DigKey::from_key_file("key \"k\" { algorithm hmac-md5; };"),
            Err(KeyProblem::Incomplete)
        );
    }

    /// RFC 2202 §2, test case 2: HMAC-MD5 with key "Jefe".
    #[test]
    fn hmac_md5_matches_rfc_2202() {
        let digest = mac(
            &TsigAlgorithm::HmacMd5,
            b"Jefe",
            b"what do ya want for nothing?",
        )
        .unwrap();
        assert_eq!(
            data_encoding::HEXLOWER.encode(&digest),
            "750c783e6ab0b503eaa86e310a5db738"
        );
    }

    #[test]
    fn a_signed_request_carries_the_mac_over_hickorys_signed_data() {
        use hickory_proto::op::{Message, Query};
        use hickory_proto::rr::RecordType;
        let key = DigKey::from_argument("k:c2VjcmV0").unwrap();
        let mut query = Message::query();
        query.add_query(Query::query(
            Name::from_ascii("x.test.").unwrap(),
            RecordType::A,
        ));
        let mut wire = query.to_vec().unwrap();
        TsigChain::sign_request(&key, &mut wire, 1_000).unwrap();
        let (data, record) = signed_bitmessage_to_buf(&wire, None, true).unwrap();
        assert_eq!(
            record.data.mac,
            mac(&key.algorithm, &key.secret, &data).unwrap()
        );
        assert_eq!(record.data.mac.len(), 16);
        assert!(mac_verifies(
            &key.algorithm,
            &key.secret,
            &data,
            &record.data.mac
        ));
        assert!(!mac_verifies(
            &key.algorithm,
            &key.secret,
            &data,
            &record.data.mac[..8]
        ));
        assert_eq!(record.data.time, 1_000);
        let other = DigKey::from_argument("k:b3RoZXI=").unwrap();
        assert_ne!(
            record.data.mac,
            mac(&other.algorithm, &other.secret, &data).unwrap()
        );
    }
}
