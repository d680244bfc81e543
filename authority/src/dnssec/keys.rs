//! Zone signing keys: BIND's `K<zone>+<alg>+<tag>.key/.private` pair read (ours or `dnssec-keygen`'s)
//! and written (`authority keygen`); never reads a private key that others may read.
//!
//! Crypto is ring's through hickory's `SigningKey`: ECDSA from the raw scalar and the public point,
//! Ed25519 from the seed, RSA from its components; nothing here computes a signature itself.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hickory_proto::dnssec::crypto::{EcdsaSigningKey, Ed25519SigningKey};
use hickory_proto::dnssec::rdata::{DNSKEY, DS};
use hickory_proto::dnssec::{
    Algorithm, DigestType, DnsSecResult, PublicKey, PublicKeyBuf, SigningKey, TBS,
};
use hickory_proto::rr::Name;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    ECDSA_P384_SHA384_FIXED_SIGNING, RSA_PKCS1_SHA256, RSA_PKCS1_SHA512,
};

use crate::limits::{MAX_KEYS_PER_ZONE, MAX_KEY_FILE_BYTES};

/// DNSKEY flags (RFC 4034 §2.1.1): Zone Key (bit 7) alone is a ZSK; with SEP (bit 15) a KSK or CSK.
pub const FLAGS_ZONE_KEY: u16 = 256;
pub const FLAGS_SECURE_ENTRY_POINT: u16 = 257;

/// What a key signs: a CSK (RFC 8624's default, Knot's `single-type-signing`) signs everything; a
/// KSK only the DNSKEY RRset; a ZSK every other RRset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRole {
    Combined,
    KeySigning,
    ZoneSigning,
}

impl KeyRole {
    pub fn parse(text: &str) -> Option<KeyRole> {
        match text.to_ascii_lowercase().as_str() {
            "csk" => Some(KeyRole::Combined),
            "ksk" => Some(KeyRole::KeySigning),
            "zsk" => Some(KeyRole::ZoneSigning),
            _ => None,
        }
    }

    fn flags(self) -> u16 {
        match self {
            KeyRole::Combined | KeyRole::KeySigning => FLAGS_SECURE_ENTRY_POINT,
            KeyRole::ZoneSigning => FLAGS_ZONE_KEY,
        }
    }
}

/// The algorithms we generate (`authority keygen --algorithm`); loading also takes P-384 and RSASHA512.
pub fn parse_algorithm(text: &str) -> Option<Algorithm> {
    match text.to_ascii_lowercase().as_str() {
        "ecdsap256sha256" | "13" => Some(Algorithm::ECDSAP256SHA256),
        "ed25519" | "15" => Some(Algorithm::ED25519),
        "rsasha256" | "8" => Some(Algorithm::RSASHA256),
        _ => None,
    }
}

/// One problem with a key file, named by file and line (0: the whole file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    pub file: PathBuf,
    pub line: u64,
    pub kind: KeyErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyErrorKind {
    Read(String),
    TooLarge,
    /// The private key file may be read (or written) by other users: refused, as BIND warns and
    /// ssh refuses such identity files.
    OpenToOthers {
        mode: u32,
    },
    NoDnskey,
    Malformed(String),
    /// The `.key` and `.private` files name different algorithms.
    AlgorithmMismatch {
        public: u8,
        private: u8,
    },
    UnsupportedAlgorithm(u8),
    /// The `.key` file's owner is not the zone.
    OtherZone {
        owner: String,
        zone: String,
    },
    /// The private key does not belong to the public key beside it.
    KeyMismatch,
    Rejected(String),
    NoKeys {
        directory: PathBuf,
        zone: String,
    },
    TooManyKeys,
    Write(String),
    /// ring cannot generate RSA keys.
    CannotGenerate(&'static str),
}

impl fmt::Display for KeyError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0 means the whole file, as in `ZoneError`.
        if self.line == 0 {
            write!(formatter, "{}: {}", self.file.display(), self.kind)
        } else {
            write!(
                formatter,
                "{}:{}: {}",
                self.file.display(),
                self.line,
                self.kind
            )
        }
    }
}

impl fmt::Display for KeyErrorKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(problem) => write!(formatter, "cannot read key file: {problem}"),
            Self::TooLarge => write!(formatter, "key file larger than {MAX_KEY_FILE_BYTES} bytes"),
            Self::OpenToOthers { mode } => write!(
                formatter,
                "private key file has mode {mode:o}, readable or writable by others; refused (chmod 600 it)"
            ),
            Self::NoDnskey => write!(formatter, "no DNSKEY record in the .key file"),
            Self::Malformed(problem) => write!(formatter, "malformed key file: {problem}"),
            Self::AlgorithmMismatch { public, private } => write!(
                formatter,
                "algorithm mismatch: the .key file says {public}, the .private file {private}"
            ),
            Self::UnsupportedAlgorithm(number) => write!(
                formatter,
                "DNSSEC algorithm {number} is not supported for signing (8, 10, 13, 14, 15 are)"
            ),
            Self::OtherZone { owner, zone } => {
                write!(formatter, "the key is for {owner}, not for zone {zone}")
            }
            Self::KeyMismatch => write!(
                formatter,
                "the private key does not match the public key in the .key file"
            ),
            Self::Rejected(problem) => write!(formatter, "private key rejected: {problem}"),
            Self::NoKeys { directory, zone } => write!(
                formatter,
                "no key pair K{zone}+*.key/.private in {}",
                directory.display()
            ),
            Self::TooManyKeys => write!(formatter, "more than {MAX_KEYS_PER_ZONE} keys for one zone"),
            Self::Write(problem) => write!(formatter, "cannot write key file: {problem}"),
            Self::CannotGenerate(what) => write!(formatter, "{what}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// A zone's key pair, ready to sign.
pub struct ZoneKey {
    pub dnskey: DNSKEY,
    pub key_tag: u16,
    pub signer: Box<dyn SigningKey>,
    /// The `.key` file it came from (for messages).
    pub path: PathBuf,
}

impl fmt::Debug for ZoneKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ZoneKey")
            .field("key_tag", &self.key_tag)
            .field("flags", &self.dnskey.flags())
            .field("path", &self.path)
            .finish()
    }
}

impl ZoneKey {
    pub fn algorithm(&self) -> Algorithm {
        self.dnskey.public_key().algorithm()
    }

    pub fn is_secure_entry_point(&self) -> bool {
        self.dnskey.secure_entry_point()
    }

    /// The DS the parent publishes for this key (SHA-256, RFC 4509; RFC 8624 §3.3 MUST).
    pub fn ds(&self, zone: &Name) -> Option<DS> {
        let digest = self.dnskey.to_digest(zone, DigestType::SHA256).ok()?;
        Some(DS::new(
            self.key_tag,
            self.algorithm(),
            DigestType::SHA256,
            digest.as_ref().to_vec(),
        ))
    }
}

/// `K<zone>+`: BIND's key file prefix, zone in lower case with its final dot.
fn file_prefix(zone: &Name) -> String {
    let text = zone.to_lowercase().to_ascii();
    let text = if text.ends_with('.') {
        text
    } else {
        format!("{text}.")
    };
    format!("K{text}+")
}

/// Every key pair of `zone` in `directory`, sorted by file name. A directory without any is an error.
pub fn load_zone_keys(directory: &Path, zone: &Name) -> Result<Vec<ZoneKey>, Vec<KeyError>> {
    let prefix = file_prefix(zone);
    let whole_directory = |kind| KeyError {
        file: directory.to_path_buf(),
        line: 0,
        kind,
    };
    let entries = fs::read_dir(directory)
        .map_err(|error| vec![whole_directory(KeyErrorKind::Read(error.to_string()))])?;
    let mut public_files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".key"))
        })
        .collect();
    public_files.sort();
    if public_files.is_empty() {
        return Err(vec![whole_directory(KeyErrorKind::NoKeys {
            directory: directory.to_path_buf(),
            zone: prefix
                .trim_start_matches('K')
                .trim_end_matches('+')
                .to_string(),
        })]);
    }
    if public_files.len() > MAX_KEYS_PER_ZONE {
        return Err(vec![whole_directory(KeyErrorKind::TooManyKeys)]);
    }
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for public_file in public_files {
        match load_key_pair(&public_file, zone) {
            Ok(key) => keys.push(key),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(errors)
    }
}

fn read_small(path: &Path) -> Result<String, KeyError> {
    let error = |kind| KeyError {
        file: path.to_path_buf(),
        line: 0,
        kind,
    };
    let metadata =
        fs::metadata(path).map_err(|problem| error(KeyErrorKind::Read(problem.to_string())))?;
    if metadata.len() > MAX_KEY_FILE_BYTES {
        return Err(error(KeyErrorKind::TooLarge));
    }
    fs::read_to_string(path).map_err(|problem| error(KeyErrorKind::Read(problem.to_string())))
}

/// The DNSKEY of a `.key` file: `owner [ttl] [class] DNSKEY flags 3 algorithm base64...`, with `;`
/// comments (BIND's layout). Returns the owner, the DNSKEY and its line.
pub fn parse_public_key_file(path: &Path, text: &str) -> Result<(Name, DNSKEY, u64), KeyError> {
    for (index, raw) in text.lines().enumerate() {
        let line = index as u64 + 1;
        let content = raw.split(';').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let malformed = |problem: &str| KeyError {
            file: path.to_path_buf(),
            line,
            kind: KeyErrorKind::Malformed(problem.to_string()),
        };
        let tokens: Vec<&str> = content.split_whitespace().collect();
        let Some(position) = tokens
            .iter()
            .position(|token| token.eq_ignore_ascii_case("DNSKEY"))
        else {
            continue;
        };
        let owner_text = tokens.first().copied().unwrap_or_default();
        let owner = Name::from_ascii(owner_text).map_err(|_| malformed("bad owner name"))?;
        let fields = tokens.get(position + 1..).unwrap_or_default();
        let [flags, protocol, algorithm, key @ ..] = fields else {
            return Err(malformed("expected DNSKEY flags protocol algorithm key"));
        };
        let flags: u16 = flags.parse().map_err(|_| malformed("bad flags"))?;
        if *protocol != "3" {
            return Err(malformed("protocol must be 3 (RFC 4034 §2.1.2)"));
        }
        let algorithm: u8 = algorithm.parse().map_err(|_| malformed("bad algorithm"))?;
        let key = data_encoding::BASE64
            .decode(key.concat().as_bytes())
            .map_err(|_| malformed("public key is not base64"))?;
        let dnskey =
            DNSKEY::with_flags(flags, PublicKeyBuf::new(key, Algorithm::from_u8(algorithm)));
        return Ok((owner, dnskey, line));
    }
    Err(KeyError {
        file: path.to_path_buf(),
        line: 0,
        kind: KeyErrorKind::NoDnskey,
    })
}

/// The fields of a `.private` file (`Private-key-format: v1.x`, then `Name: base64`), with lines.
struct PrivateFields {
    fields: Vec<(String, String, u64)>,
}

impl PrivateFields {
    fn parse(text: &str) -> PrivateFields {
        let fields = text
            .lines()
            .enumerate()
            .filter_map(|(index, line)| {
                let (name, value) = line.split_once(':')?;
                Some((
                    name.trim().to_string(),
                    value.trim().to_string(),
                    index as u64 + 1,
                ))
            })
            .collect();
        PrivateFields { fields }
    }

    fn get(&self, name: &str) -> Option<(&str, u64)> {
        self.fields
            .iter()
            .find(|(known, _, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, value, line)| (value.as_str(), *line))
    }
}

/// The `.private` file beside `public_file`, checked for its mode before it is read.
fn private_path(public_file: &Path) -> PathBuf {
    public_file.with_extension("private")
}

/// Loads one pair: `public_file` (`.key`) and the `.private` beside it.
pub fn load_key_pair(public_file: &Path, zone: &Name) -> Result<ZoneKey, KeyError> {
    let public_text = read_small(public_file)?;
    let (owner, dnskey, _) = parse_public_key_file(public_file, &public_text)?;
    if !owner.eq_case(zone) && owner.to_lowercase() != zone.to_lowercase() {
        return Err(KeyError {
            file: public_file.to_path_buf(),
            line: 0,
            kind: KeyErrorKind::OtherZone {
                owner: owner.to_string(),
                zone: zone.to_string(),
            },
        });
    }
    let private_file = private_path(public_file);
    let metadata = fs::metadata(&private_file).map_err(|problem| KeyError {
        file: private_file.clone(),
        line: 0,
        kind: KeyErrorKind::Read(problem.to_string()),
    })?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o006 != 0 {
        return Err(KeyError {
            file: private_file,
            line: 0,
            kind: KeyErrorKind::OpenToOthers { mode },
        });
    }
    let private_text = read_small(&private_file)?;
    let signer = signing_key_from_private(&private_file, &private_text, &dnskey)?;
    let matches = signer
        .to_public_key()
        .is_ok_and(|public| public.public_bytes() == dnskey.public_key().public_bytes());
    if !matches {
        return Err(KeyError {
            file: private_file,
            line: 0,
            kind: KeyErrorKind::KeyMismatch,
        });
    }
    let key_tag = dnskey.calculate_key_tag().map_err(|error| KeyError {
        file: public_file.to_path_buf(),
        line: 0,
        kind: KeyErrorKind::Malformed(error.to_string()),
    })?;
    Ok(ZoneKey {
        dnskey,
        key_tag,
        signer,
        path: public_file.to_path_buf(),
    })
}

/// The signing key of a `.private` file (BIND's Private-key-format v1.2/v1.3).
fn signing_key_from_private(
    path: &Path,
    text: &str,
    dnskey: &DNSKEY,
) -> Result<Box<dyn SigningKey>, KeyError> {
    let fields = PrivateFields::parse(text);
    let error = |line, kind| KeyError {
        file: path.to_path_buf(),
        line,
        kind,
    };
    let (algorithm_text, algorithm_line) = fields
        .get("Algorithm")
        .ok_or_else(|| error(0, KeyErrorKind::Malformed("no Algorithm field".into())))?;
    let number: u8 = algorithm_text
        .split_whitespace()
        .next()
        .and_then(|number| number.parse().ok())
        .ok_or_else(|| {
            error(
                algorithm_line,
                KeyErrorKind::Malformed("bad Algorithm field".into()),
            )
        })?;
    let public = u8::from(dnskey.public_key().algorithm());
    if number != public {
        return Err(error(
            algorithm_line,
            KeyErrorKind::AlgorithmMismatch {
                public,
                private: number,
            },
        ));
    }
    let field = |name: &'static str| -> Result<Vec<u8>, KeyError> {
        let (value, line) = fields
            .get(name)
            .ok_or_else(|| error(0, KeyErrorKind::Malformed(format!("no {name} field"))))?;
        data_encoding::BASE64.decode(value.as_bytes()).map_err(|_| {
            error(
                line,
                KeyErrorKind::Malformed(format!("{name} is not base64")),
            )
        })
    };
    let rejected = |problem: String| error(0, KeyErrorKind::Rejected(problem));
    let public_key = dnskey.public_key().public_bytes();
    let algorithm = dnskey.public_key().algorithm();
    match algorithm {
        Algorithm::ECDSAP256SHA256 | Algorithm::ECDSAP384SHA384 => {
            let private = field("PrivateKey")?;
            let curve = if algorithm == Algorithm::ECDSAP256SHA256 {
                &ECDSA_P256_SHA256_FIXED_SIGNING
            } else {
                &ECDSA_P384_SHA384_FIXED_SIGNING
            };
            // DNSSEC keeps the point without SEC 1's uncompressed-point prefix (RFC 6605 §4).
            let mut point = Vec::with_capacity(public_key.len() + 1);
            point.push(0x04);
            point.extend_from_slice(public_key);
            let pair = EcdsaKeyPair::from_private_key_and_public_key(
                curve,
                &private,
                &point,
                &SystemRandom::new(),
            )
            .map_err(|problem| rejected(problem.to_string()))?;
            Ok(Box::new(EcdsaSigningKey::from_ecdsa(pair, algorithm)))
        }
        Algorithm::ED25519 => {
            let seed = field("PrivateKey")?;
            let pair = Ed25519KeyPair::from_seed_and_public_key(&seed, public_key)
                .map_err(|problem| rejected(problem.to_string()))?;
            Ok(Box::new(Ed25519SigningKey::from_ed25519(pair)))
        }
        Algorithm::RSASHA256 | Algorithm::RSASHA512 => {
            let components = ring::rsa::KeyPairComponents {
                public_key: ring::rsa::PublicKeyComponents {
                    n: field("Modulus")?,
                    e: field("PublicExponent")?,
                },
                d: field("PrivateExponent")?,
                p: field("Prime1")?,
                q: field("Prime2")?,
                dP: field("Exponent1")?,
                dQ: field("Exponent2")?,
                qInv: field("Coefficient")?,
            };
            let pair = RsaKeyPair::from_components(&components)
                .map_err(|problem| rejected(problem.to_string()))?;
            Ok(Box::new(RsaKey { pair, algorithm }))
        }
        _ => Err(error(
            algorithm_line,
            KeyErrorKind::UnsupportedAlgorithm(number),
        )),
    }
}

/// An RSA key built from BIND's components: hickory's `RsaSigningKey` only takes PKCS#1/#8 DER, so
/// this wraps ring's key pair behind the same `SigningKey` trait (ring signs, as in hickory).
struct RsaKey {
    pair: RsaKeyPair,
    algorithm: Algorithm,
}

impl SigningKey for RsaKey {
    fn sign(&self, tbs: &TBS) -> DnsSecResult<Vec<u8>> {
        let encoding = if self.algorithm == Algorithm::RSASHA512 {
            &RSA_PKCS1_SHA512
        } else {
            &RSA_PKCS1_SHA256
        };
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(encoding, &SystemRandom::new(), tbs.as_ref(), &mut signature)
            .map_err(|_| "RSA signing failed")?;
        Ok(signature)
    }

    fn to_public_key(&self) -> DnsSecResult<PublicKeyBuf> {
        // RFC 3110 §2: exponent length (one octet, or zero and two), exponent, modulus.
        let components = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(self.pair.public());
        let mut bytes = Vec::with_capacity(components.e.len() + components.n.len() + 3);
        match u8::try_from(components.e.len()) {
            Ok(length) => bytes.push(length),
            Err(_) => {
                bytes.push(0);
                bytes.extend_from_slice(&(components.e.len() as u16).to_be_bytes());
            }
        }
        bytes.extend_from_slice(&components.e);
        bytes.extend_from_slice(&components.n);
        Ok(PublicKeyBuf::new(bytes, self.algorithm))
    }

    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// One DER TLV: (tag, contents, rest). Only short and long definite lengths (DER has no others).
fn der_element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count > 2 {
            return None;
        }
        let (length_bytes, rest) = rest.split_at_checked(count)?;
        let length = length_bytes
            .iter()
            .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
        (length, rest)
    };
    let (contents, rest) = rest.split_at_checked(length)?;
    Some((tag, contents, rest))
}

/// The raw private key inside ring's PKCS#8 (RFC 5208/5958) output: PrivateKeyInfo's privateKey
/// OCTET STRING holds, for EC, an ECPrivateKey (RFC 5915: SEQUENCE { 1, OCTET STRING key, ... }),
/// for Ed25519 a CurvePrivateKey (RFC 8410: OCTET STRING seed). A structure walk, no crypto.
fn raw_private_key(pkcs8: &[u8]) -> Option<Vec<u8>> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const OCTET_STRING: u8 = 0x04;
    let (tag, info, _) = der_element(pkcs8)?;
    if tag != SEQUENCE {
        return None;
    }
    let (_, _version, rest) = der_element(info).filter(|(tag, _, _)| *tag == INTEGER)?;
    let (_, _algorithm, rest) = der_element(rest).filter(|(tag, _, _)| *tag == SEQUENCE)?;
    let (_, private, _) = der_element(rest).filter(|(tag, _, _)| *tag == OCTET_STRING)?;
    let (tag, inner, _) = der_element(private)?;
    match tag {
        OCTET_STRING => Some(inner.to_vec()),
        SEQUENCE => {
            let (_, _version, rest) = der_element(inner).filter(|(tag, _, _)| *tag == INTEGER)?;
            let (_, key, _) = der_element(rest).filter(|(tag, _, _)| *tag == OCTET_STRING)?;
            Some(key.to_vec())
        }
        _ => None,
    }
}

/// A new key pair's files' text: (`.key`, `.private`) and its key tag.
pub fn generate_key_text(
    zone: &Name,
    algorithm: Algorithm,
    role: KeyRole,
) -> Result<(String, String, u16), KeyErrorKind> {
    let random = SystemRandom::new();
    let failed = |problem: String| KeyErrorKind::Rejected(problem);
    let (private, public) = match algorithm {
        Algorithm::ECDSAP256SHA256 => {
            let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random)
                .map_err(|_| failed("ECDSA key generation failed".into()))?;
            let pair = EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                document.as_ref(),
                &random,
            )
            .map_err(|problem| failed(problem.to_string()))?;
            let public = pair.public_key().as_ref().get(1..).unwrap_or_default().to_vec();
            (raw_private_key(document.as_ref()), public)
        }
        Algorithm::ED25519 => {
            let document = Ed25519KeyPair::generate_pkcs8(&random)
                .map_err(|_| failed("Ed25519 key generation failed".into()))?;
            let pair = Ed25519KeyPair::from_pkcs8(document.as_ref())
                .map_err(|problem| failed(problem.to_string()))?;
            (raw_private_key(document.as_ref()), pair.public_key().as_ref().to_vec())
        }
        _ => {
            return Err(KeyErrorKind::CannotGenerate(
                "ring cannot generate RSA keys: make them with `dnssec-keygen -a RSASHA256 ZONE` (they load here)",
            ))
        }
    };
    let private = private.ok_or_else(|| failed("unexpected PKCS#8 layout from ring".into()))?;
    let dnskey = DNSKEY::with_flags(role.flags(), PublicKeyBuf::new(public.clone(), algorithm));
    let key_tag = dnskey
        .calculate_key_tag()
        .map_err(|problem| failed(problem.to_string()))?;
    let number = u8::from(algorithm);
    let zone_text = zone.to_lowercase().to_ascii();
    let kind = match role {
        KeyRole::Combined => "combined signing key",
        KeyRole::KeySigning => "key-signing key",
        KeyRole::ZoneSigning => "zone-signing key",
    };
    let public_text = format!(
        "; This is a {kind}, keyid {key_tag}, for {zone_text}\n{zone_text} IN DNSKEY {} 3 {number} {}\n",
        role.flags(),
        data_encoding::BASE64.encode(&public)
    );
    let private_text = format!(
        "Private-key-format: v1.3\nAlgorithm: {number} ({})\nPrivateKey: {}\n",
        algorithm.as_str(),
        data_encoding::BASE64.encode(&private)
    );
    Ok((public_text, private_text, key_tag))
}

/// Writes a new key pair for `zone` into `directory` (created if missing; the `.private` file with
/// mode 600 from its creation on). Returns the `.key` path.
pub fn generate_key(
    zone: &Name,
    algorithm: Algorithm,
    role: KeyRole,
    directory: &Path,
) -> Result<PathBuf, KeyError> {
    let error = |file: &Path, kind| KeyError {
        file: file.to_path_buf(),
        line: 0,
        kind,
    };
    let (public_text, private_text, key_tag) =
        generate_key_text(zone, algorithm, role).map_err(|kind| error(directory, kind))?;
    fs::create_dir_all(directory)
        .map_err(|problem| error(directory, KeyErrorKind::Write(problem.to_string())))?;
    let base = format!(
        "{}{:03}+{:05}",
        file_prefix(zone),
        u8::from(algorithm),
        key_tag
    );
    let public_path = directory.join(format!("{base}.key"));
    let private_path = directory.join(format!("{base}.private"));
    let write = |path: &Path, text: &str, mode: u32| -> Result<(), KeyError> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .map_err(|problem| error(path, KeyErrorKind::Write(problem.to_string())))?;
        file.write_all(text.as_bytes())
            .map_err(|problem| error(path, KeyErrorKind::Write(problem.to_string())))
    };
    write(&private_path, &private_text, 0o600)?;
    write(&public_path, &public_text, 0o644)?;
    Ok(public_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary_directory(name: &str) -> PathBuf {
        let directory =
            std::env::temp_dir().join(format!("authority-keys-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&directory);
        directory
    }

    #[test]
    fn generated_keys_load_and_sign_for_each_algorithm() {
        let zone = Name::from_ascii("example.test.").unwrap();
        for algorithm in [Algorithm::ECDSAP256SHA256, Algorithm::ED25519] {
            let directory = temporary_directory(&format!("{}", u8::from(algorithm)));
            let public = generate_key(&zone, algorithm, KeyRole::Combined, &directory).unwrap();
            let keys = load_zone_keys(&directory, &zone).unwrap();
            assert_eq!(keys.len(), 1);
            assert_eq!(keys[0].path, public);
            assert!(keys[0].is_secure_entry_point());
            let tbs = TBS::from(&b"signed data"[..]);
            let signature = keys[0].signer.sign(&tbs).unwrap();
            assert!(keys[0]
                .dnskey
                .public_key()
                .verify(tbs.as_ref(), &signature)
                .is_ok());
            fs::remove_dir_all(&directory).unwrap();
        }
    }

    #[test]
    fn world_readable_private_key_is_refused_naming_the_file() {
        let zone = Name::from_ascii("example.test.").unwrap();
        let directory = temporary_directory("mode");
        let public =
            generate_key(&zone, Algorithm::ED25519, KeyRole::Combined, &directory).unwrap();
        let private = public.with_extension("private");
        fs::set_permissions(&private, fs::Permissions::from_mode(0o644)).unwrap();
        let errors = load_zone_keys(&directory, &zone).unwrap_err();
        assert_eq!(errors[0].kind, KeyErrorKind::OpenToOthers { mode: 0o644 });
        assert!(
            errors[0]
                .to_string()
                .contains(".private: private key file has mode 644"),
            "{}",
            errors[0]
        );
        fs::remove_dir_all(&directory).unwrap();
    }

    #[test]
    fn algorithm_mismatch_is_reported_on_the_private_files_line() {
        let zone = Name::from_ascii("example.test.").unwrap();
        let directory = temporary_directory("mismatch");
        let public =
            generate_key(&zone, Algorithm::ED25519, KeyRole::Combined, &directory).unwrap();
        let private = public.with_extension("private");
        let text = fs::read_to_string(&private)
            .unwrap()
            .replace("Algorithm: 15", "Algorithm: 13");
        fs::write(&private, text).unwrap();
        let errors = load_zone_keys(&directory, &zone).unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert_eq!(
            errors[0].kind,
            KeyErrorKind::AlgorithmMismatch {
                public: 15,
                private: 13
            }
        );
        fs::remove_dir_all(&directory).unwrap();
    }

    #[test]
    fn bind_key_text_with_ttl_and_comments_is_read() {
        let text = "; This is a key-signing key, keyid 1, for example.\n; Created: x\nexample. 3600 IN DNSKEY 257 3 13 AQID BAUG\n";
        let (owner, dnskey, line) = parse_public_key_file(Path::new("K.key"), text).unwrap();
        assert_eq!(owner, Name::from_ascii("example.").unwrap());
        assert_eq!(dnskey.flags(), 257);
        assert_eq!(dnskey.public_key().public_bytes(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(line, 3);
    }
}
