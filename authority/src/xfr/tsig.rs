//! TSIG (RFC 8945): shared keys (BIND's `key` syntax, `name:secret`, or YAML), checking a request's
//! signature, and signing the one or many messages that answer it. Never trusts a MAC it did not verify.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::op::Message;
use hickory_proto::rr::rdata::tsig::{
    make_tsig_record, signed_bitmessage_to_buf, TsigAlgorithm, TsigError, TSIG,
};
use hickory_proto::rr::{LowerName, Name, Record};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};

use crate::limits::{MAX_TSIG_KEYS, TSIG_FUDGE_SECONDS};

/// One shared secret, known by its name (RFC 8945 §4.2: the TSIG owner name).
#[derive(Clone, PartialEq, Eq)]
pub struct TsigKey {
    pub name: Name,
    pub algorithm: TsigAlgorithm,
    pub secret: Vec<u8>,
}

impl fmt::Debug for TsigKey {
    // The secret never reaches a log line.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "TsigKey({} {})", self.name, self.algorithm)
    }
}

/// Why a key could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// Algorithm name not one of hmac-sha256/384/512.
    UnknownAlgorithm(String),
    BadName(String),
    BadSecret,
    /// BIND syntax: what was expected, at which line of the text.
    Syntax {
        line: usize,
        expected: &'static str,
    },
    TooMany,
    Duplicate(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::UnknownAlgorithm(name) => write!(
                formatter,
                "TSIG algorithm {name} not supported (use hmac-sha256, hmac-sha384 or hmac-sha512)"
            ),
            KeyError::BadName(name) => {
                write!(formatter, "TSIG key name {name:?} is not a domain name")
            }
            KeyError::BadSecret => write!(formatter, "TSIG secret is not base64"),
            KeyError::Syntax { line, expected } => {
                write!(formatter, "line {line}: expected {expected}")
            }
            KeyError::TooMany => write!(formatter, "more than {MAX_TSIG_KEYS} TSIG keys"),
            KeyError::Duplicate(name) => write!(formatter, "TSIG key {name} defined twice"),
        }
    }
}

impl std::error::Error for KeyError {}

/// The algorithm named as BIND, NSD and Knot write it (`hmac-sha256`, also `HMAC-SHA256.`).
pub fn parse_algorithm(text: &str) -> Result<TsigAlgorithm, KeyError> {
    match text
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase()
        .as_str()
    {
        "hmac-sha256" => Ok(TsigAlgorithm::HmacSha256),
        "hmac-sha384" => Ok(TsigAlgorithm::HmacSha384),
        "hmac-sha512" => Ok(TsigAlgorithm::HmacSha512),
        _ => Err(KeyError::UnknownAlgorithm(text.to_string())),
    }
}

/// The algorithm's name as the config files write it.
pub fn algorithm_name(algorithm: &TsigAlgorithm) -> &'static str {
    match algorithm {
        TsigAlgorithm::HmacSha384 => "hmac-sha384",
        TsigAlgorithm::HmacSha512 => "hmac-sha512",
        _ => "hmac-sha256",
    }
}

/// MAC length of the algorithms we accept (RFC 8945 §5.2.2.1: truncated MACs are refused here).
fn mac_length(algorithm: &TsigAlgorithm) -> Option<usize> {
    match algorithm {
        TsigAlgorithm::HmacSha256 => Some(32),
        TsigAlgorithm::HmacSha384 => Some(48),
        TsigAlgorithm::HmacSha512 => Some(64),
        _ => None,
    }
}

impl TsigKey {
    /// A key from its parts as text.
    pub fn new(name: &str, algorithm: &str, secret: &str) -> Result<TsigKey, KeyError> {
        let mut parsed =
            Name::from_ascii(name.trim()).map_err(|_| KeyError::BadName(name.to_string()))?;
        parsed.set_fqdn(true);
        if parsed.is_root() {
            return Err(KeyError::BadName(name.to_string()));
        }
        let secret = data_encoding::BASE64
            .decode(secret.trim().as_bytes())
            .map_err(|_| KeyError::BadSecret)?;
        if secret.is_empty() {
            return Err(KeyError::BadSecret);
        }
        Ok(TsigKey {
            name: parsed.to_lowercase(),
            algorithm: parse_algorithm(algorithm)?,
            secret,
        })
    }

    /// Every `key "name" { algorithm ...; secret "..."; };` clause of a BIND-style key file
    /// (`tsig-keygen`, `dig -k`, NSD's and Knot's keys written the same way).
    pub fn parse_bind(text: &str) -> Result<Vec<TsigKey>, KeyError> {
        let tokens = bind_tokens(text);
        let mut keys = Vec::new();
        let mut index = 0;
        let expect = |index: usize, word: &str, expected: &'static str| -> Result<(), KeyError> {
            match tokens.get(index) {
                Some((_, token)) if token.eq_ignore_ascii_case(word) => Ok(()),
                other => Err(KeyError::Syntax {
                    line: other.map_or_else(
                        || tokens.last().map_or(1, |(line, _)| *line),
                        |(line, _)| *line,
                    ),
                    expected,
                }),
            }
        };
        while index < tokens.len() {
            expect(index, "key", "`key`")?;
            let (line, name) = tokens.get(index + 1).cloned().ok_or(KeyError::Syntax {
                line: tokens.get(index).map_or(1, |(line, _)| *line),
                expected: "a key name",
            })?;
            expect(index + 2, "{", "`{` after the key name")?;
            index += 3;
            let mut algorithm = None;
            let mut secret = None;
            loop {
                let Some((line, word)) = tokens.get(index).cloned() else {
                    return Err(KeyError::Syntax {
                        line,
                        expected: "`}`",
                    });
                };
                if word == "}" {
                    index += 1;
                    if tokens.get(index).is_some_and(|(_, token)| token == ";") {
                        index += 1;
                    }
                    break;
                }
                let value = tokens
                    .get(index + 1)
                    .map(|(_, token)| token.clone())
                    .ok_or(KeyError::Syntax {
                        line,
                        expected: "a value",
                    })?;
                expect(index + 2, ";", "`;` after a value")?;
                match word.to_ascii_lowercase().as_str() {
                    "algorithm" => algorithm = Some(value),
                    "secret" => secret = Some(value),
                    _ => {
                        return Err(KeyError::Syntax {
                            line,
                            expected: "`algorithm` or `secret`",
                        })
                    }
                }
                index += 3;
            }
            let (Some(algorithm), Some(secret)) = (algorithm, secret) else {
                return Err(KeyError::Syntax {
                    line,
                    expected: "both `algorithm` and `secret` in the key",
                });
            };
            keys.push(TsigKey::new(&name, &algorithm, &secret)?);
            if keys.len() > MAX_TSIG_KEYS {
                return Err(KeyError::TooMany);
            }
        }
        Ok(keys)
    }
}

/// Words, quoted strings and the punctuation `{ } ;` of BIND's syntax, with their lines; `#`, `//`
/// and `/* */` comments dropped.
fn bind_tokens(text: &str) -> Vec<(usize, String)> {
    let mut tokens = Vec::new();
    let mut in_block_comment = false;
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        let mut characters = line.chars().peekable();
        while let Some(character) = characters.next() {
            if in_block_comment {
                if character == '*' && characters.peek() == Some(&'/') {
                    characters.next();
                    in_block_comment = false;
                }
                continue;
            }
            match character {
                '#' => break,
                '/' if characters.peek() == Some(&'/') => break,
                '/' if characters.peek() == Some(&'*') => {
                    characters.next();
                    in_block_comment = true;
                }
                '{' | '}' | ';' => tokens.push((line_number, character.to_string())),
                '"' => {
                    let quoted: String = characters
                        .by_ref()
                        .take_while(|inner| *inner != '"')
                        .collect();
                    tokens.push((line_number, quoted));
                }
                space if space.is_whitespace() => {}
                first => {
                    let mut word = first.to_string();
                    while let Some(next) = characters.peek() {
                        if next.is_whitespace() || matches!(next, '{' | '}' | ';' | '"') {
                            break;
                        }
                        word.push(*next);
                        characters.next();
                    }
                    tokens.push((line_number, word));
                }
            }
        }
    }
    tokens
}

/// The keys a server knows, by name.
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    keys: HashMap<LowerName, Arc<TsigKey>>,
}

impl Keyring {
    pub fn new(keys: impl IntoIterator<Item = TsigKey>) -> Result<Keyring, KeyError> {
        let mut ring = Keyring::default();
        for key in keys {
            if ring.keys.len() >= MAX_TSIG_KEYS {
                return Err(KeyError::TooMany);
            }
            let lower = LowerName::new(&key.name);
            if ring.keys.contains_key(&lower) {
                return Err(KeyError::Duplicate(key.name.to_string()));
            }
            ring.keys.insert(lower, Arc::new(key));
        }
        Ok(ring)
    }

    pub fn get(&self, name: &Name) -> Option<&Arc<TsigKey>> {
        self.keys.get(&LowerName::new(name))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Seconds since the epoch: TSIG's clock (RFC 8945 §4.2, Time Signed).
pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// What a request's TSIG says.
#[derive(Clone, Debug)]
pub enum RequestSignature {
    /// No TSIG record.
    Unsigned,
    /// Verified: answer signed with this key, chaining from the request's MAC.
    Valid {
        key: Arc<TsigKey>,
        request_mac: Vec<u8>,
    },
    /// RFC 8945 §5.2: answer NOTAUTH with this TSIG error. BADKEY and BADSIG go unsigned; BADTIME
    /// is signed (§5.2.3), so it keeps the key and the request's MAC.
    Failed {
        error: TsigError,
        key_name: Name,
        algorithm: TsigAlgorithm,
        signed_by: Option<(Arc<TsigKey>, Vec<u8>)>,
    },
}

/// Checks the TSIG of `bytes` (already decoded into `message`) against `keyring` at time `now`.
pub fn check_request(
    bytes: &[u8],
    message: &Message,
    keyring: &Keyring,
    now: u64,
) -> RequestSignature {
    let Some(record) = message.signature.as_deref() else {
        return RequestSignature::Unsigned;
    };
    let tsig = &record.data;
    let failed = |error, signed_by| RequestSignature::Failed {
        error,
        key_name: record.name.clone(),
        algorithm: tsig.algorithm.clone(),
        signed_by,
    };
    // §5.2.1: an unknown key, or a known name with another algorithm, is BADKEY.
    let Some(key) = keyring
        .get(&record.name)
        .filter(|key| key.algorithm == tsig.algorithm)
    else {
        return failed(TsigError::BadKey, None);
    };
    // §5.2.2: the MAC; a truncated one (§5.2.2.1) is refused as BADSIG.
    if mac_length(&key.algorithm) != Some(tsig.mac.len()) {
        return failed(TsigError::BadSig, None);
    }
    let Ok((signed_data, _)) = signed_bitmessage_to_buf(bytes, None, true) else {
        return failed(TsigError::BadSig, None);
    };
    if key
        .algorithm
        .verify_mac(&key.secret, &signed_data, &tsig.mac)
        .is_err()
    {
        return failed(TsigError::BadSig, None);
    }
    // §5.2.3: the time, checked only after the MAC, so a forger cannot learn our clock.
    let fudge = u64::from(tsig.fudge.min(TSIG_FUDGE_SECONDS));
    if now.abs_diff(tsig.time) > fudge {
        return failed(TsigError::BadTime, Some((key.clone(), tsig.mac.clone())));
    }
    RequestSignature::Valid {
        key: key.clone(),
        request_mac: tsig.mac.clone(),
    }
}

/// Signs the messages of one answer in order (RFC 8945 §5.3: the first over the request's MAC and
/// all TSIG variables, each later one over the previous MAC and the timers only, §5.3.1).
#[derive(Clone, Debug)]
pub struct ResponseSigner {
    key: Arc<TsigKey>,
    previous_mac: Vec<u8>,
    first: bool,
    error: Option<TsigError>,
}

impl ResponseSigner {
    pub fn new(key: Arc<TsigKey>, request_mac: Vec<u8>) -> ResponseSigner {
        ResponseSigner {
            key,
            previous_mac: request_mac,
            first: true,
            error: None,
        }
    }

    /// A signer for a query of ours (NOTIFY, SOA, IXFR): no MAC before it.
    pub fn for_request(key: Arc<TsigKey>) -> ResponseSigner {
        ResponseSigner::new(key, Vec::new())
    }

    /// The signature chain for the answer to a request signed as `signature`; `None` if unsigned.
    pub fn answering(signature: &RequestSignature) -> Option<ResponseSigner> {
        match signature {
            RequestSignature::Valid { key, request_mac } => {
                Some(ResponseSigner::new(key.clone(), request_mac.clone()))
            }
            RequestSignature::Failed {
                error: TsigError::BadTime,
                signed_by: Some((key, mac)),
                ..
            } => {
                let mut signer = ResponseSigner::new(key.clone(), mac.clone());
                signer.error = Some(TsigError::BadTime);
                Some(signer)
            }
            _ => None,
        }
    }

    /// After signing a request of ours: the check of its answers, the first of which is signed
    /// over the request's MAC and all TSIG variables (RFC 8945 §5.3), not as a later message.
    pub fn for_answers(self) -> ResponseSigner {
        ResponseSigner::new(self.key, self.previous_mac)
    }

    /// The MAC of the last message signed: a client checks the next answer against it.
    pub fn last_mac(&self) -> &[u8] {
        &self.previous_mac
    }

    /// Appends a TSIG record to `message` (wire bytes, ID as sent) and bumps ARCOUNT.
    pub fn sign(&mut self, message: &mut Vec<u8>) -> Result<(), SignError> {
        self.sign_at(message, now_seconds())
    }

    pub fn sign_at(&mut self, message: &mut Vec<u8>, now: u64) -> Result<(), SignError> {
        let id = message_id(message).ok_or(SignError)?;
        // §5.2.3: a BADTIME answer carries our time as Other Data, 48 bits.
        let other = match self.error {
            Some(TsigError::BadTime) => now.to_be_bytes()[2..].to_vec(),
            _ => Vec::new(),
        };
        let stub = TSIG::new(
            self.key.algorithm.clone(),
            now,
            TSIG_FUDGE_SECONDS,
            Vec::new(),
            id,
            self.error,
            other,
        );
        let mut signed = Vec::with_capacity(message.len() + self.previous_mac.len() + 128);
        {
            let mut encoder = BinEncoder::new(&mut signed);
            if !self.previous_mac.is_empty() {
                let length = u16::try_from(self.previous_mac.len()).map_err(|_| SignError)?;
                encoder.emit_u16(length).map_err(|_| SignError)?;
                encoder
                    .emit_vec(&self.previous_mac)
                    .map_err(|_| SignError)?;
            }
            encoder.emit_vec(message).map_err(|_| SignError)?;
            if self.first {
                stub.emit_tsig_for_mac(&mut encoder, &self.key.name)
                    .map_err(|_| SignError)?;
            } else {
                encoder
                    .emit_u16((now >> 32) as u16)
                    .map_err(|_| SignError)?;
                encoder.emit_u32(now as u32).map_err(|_| SignError)?;
                encoder
                    .emit_u16(TSIG_FUDGE_SECONDS)
                    .map_err(|_| SignError)?;
            }
        }
        let mac = self
            .key
            .algorithm
            .mac_data(&self.key.secret, &signed)
            .map_err(|_| SignError)?;
        append_tsig(
            message,
            &make_tsig_record(self.key.name.clone(), stub.set_mac(mac.clone())),
        )?;
        self.previous_mac = mac;
        self.first = false;
        Ok(())
    }

    /// Checks one answer to a request of ours signed by this signer (the first answer over the
    /// request MAC; later ones of a transfer chained, RFC 8945 §5.3.1). Returns the answer's TSIG.
    pub fn verify_answer(&mut self, bytes: &[u8], now: u64) -> Result<TSIG, VerifyError> {
        self.verify_answer_after(&[], bytes, now)
    }

    /// `verify_answer` for a signed message that follows `unsigned` (the unsigned messages since
    /// the last signed one, concatenated): RFC 8945 §5.3.1 puts them after the previous MAC.
    pub fn verify_answer_after(
        &mut self,
        unsigned: &[u8],
        bytes: &[u8],
        now: u64,
    ) -> Result<TSIG, VerifyError> {
        let (mut signed_data, record) =
            signed_bitmessage_to_buf(bytes, Some(&self.previous_mac), self.first)
                .map_err(|_| VerifyError::Unsigned)?;
        if !unsigned.is_empty() {
            let at = 2 + self.previous_mac.len();
            signed_data.splice(at..at, unsigned.iter().copied());
        }
        let tsig = record.data;
        if let Some(error) = tsig.error {
            return Err(VerifyError::Rejected(error));
        }
        if record.name != self.key.name || tsig.algorithm != self.key.algorithm {
            return Err(VerifyError::WrongKey);
        }
        if mac_length(&self.key.algorithm) != Some(tsig.mac.len())
            || self
                .key
                .algorithm
                .verify_mac(&self.key.secret, &signed_data, &tsig.mac)
                .is_err()
        {
            return Err(VerifyError::BadSignature);
        }
        if now.abs_diff(tsig.time) > u64::from(tsig.fudge.min(TSIG_FUDGE_SECONDS)) {
            return Err(VerifyError::BadTime);
        }
        self.previous_mac = tsig.mac.clone();
        self.first = false;
        Ok(tsig)
    }
}

/// Encoding the TSIG record failed (a message of more than 65,535 octets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignError;

impl fmt::Display for SignError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "cannot add a TSIG record to the message")
    }
}

/// Why an answer's TSIG was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    Unsigned,
    WrongKey,
    BadSignature,
    BadTime,
    /// The other side's TSIG error (BADKEY, BADSIG, BADTIME).
    Rejected(TsigError),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Unsigned => write!(formatter, "answer not signed"),
            VerifyError::WrongKey => write!(formatter, "answer signed with another key"),
            VerifyError::BadSignature => write!(formatter, "answer's TSIG MAC does not verify"),
            VerifyError::BadTime => write!(formatter, "answer's TSIG time is outside the fudge"),
            VerifyError::Rejected(error) => {
                write!(formatter, "TSIG error {}", tsig_error_name(*error))
            }
        }
    }
}

/// Checks every message of a signed transfer answer in order (RFC 8945 §5.3.1): the first and the
/// last must be signed; up to TSIG_MAX_UNSIGNED_MESSAGES in between may not be, and the next signed
/// message's MAC covers them.
#[derive(Debug)]
pub struct AnswerChain {
    signer: ResponseSigner,
    unsigned: Vec<u8>,
    unsigned_count: usize,
    signed_any: bool,
}

impl AnswerChain {
    /// For the answers to a request signed by `signer`.
    pub fn new(signer: ResponseSigner) -> AnswerChain {
        AnswerChain {
            signer,
            unsigned: Vec::new(),
            unsigned_count: 0,
            signed_any: false,
        }
    }

    /// Checks one message (`signed`: it carries a TSIG record).
    pub fn check(&mut self, bytes: &[u8], signed: bool, now: u64) -> Result<(), VerifyError> {
        if !signed {
            if !self.signed_any || self.unsigned_count >= crate::limits::TSIG_MAX_UNSIGNED_MESSAGES
            {
                return Err(VerifyError::Unsigned);
            }
            self.unsigned.extend_from_slice(bytes);
            self.unsigned_count += 1;
            return Ok(());
        }
        self.signer
            .verify_answer_after(&self.unsigned, bytes, now)?;
        self.unsigned.clear();
        self.unsigned_count = 0;
        self.signed_any = true;
        Ok(())
    }

    /// At the end of the answer: the last message must have been signed.
    pub fn finish(&self) -> Result<(), VerifyError> {
        if self.signed_any && self.unsigned_count == 0 {
            Ok(())
        } else {
            Err(VerifyError::Unsigned)
        }
    }
}

/// BIND's names for the TSIG errors.
pub fn tsig_error_name(error: TsigError) -> String {
    match error {
        TsigError::BadSig => "BADSIG".to_string(),
        TsigError::BadKey => "BADKEY".to_string(),
        TsigError::BadTime => "BADTIME".to_string(),
        TsigError::BadTrunc => "BADTRUNC".to_string(),
        TsigError::Unknown(code) => code.to_string(),
    }
}

fn message_id(message: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*message.first()?, *message.get(1)?]))
}

/// Appends `record` to the additional section of `message` and bumps ARCOUNT.
pub fn append_tsig(message: &mut Vec<u8>, record: &Record<TSIG>) -> Result<(), SignError> {
    let count = message
        .get(10..12)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .ok_or(SignError)?
        .checked_add(1)
        .ok_or(SignError)?;
    let mut encoded = Vec::with_capacity(128);
    {
        let mut encoder = BinEncoder::new(&mut encoded);
        record.emit(&mut encoder).map_err(|_| SignError)?;
    }
    if message.len() + encoded.len() > crate::limits::MAX_TCP_PAYLOAD {
        return Err(SignError);
    }
    message.extend_from_slice(&encoded);
    message[10..12].copy_from_slice(&count.to_be_bytes());
    Ok(())
}

/// An unsigned TSIG for BADKEY/BADSIG answers (RFC 8945 §5.2.1, §5.2.2: MAC empty).
pub fn unsigned_error_record(
    key_name: &Name,
    algorithm: &TsigAlgorithm,
    id: u16,
    error: TsigError,
) -> Record<TSIG> {
    make_tsig_record(
        key_name.clone(),
        TSIG::new(
            algorithm.clone(),
            now_seconds(),
            TSIG_FUDGE_SECONDS,
            Vec::new(),
            id,
            Some(error),
            Vec::new(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Message, MessageType, OpCode, Query};
    use hickory_proto::rr::RecordType;

    fn key() -> TsigKey {
        TsigKey::new("xfr-key", "hmac-sha256", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0").unwrap()
    }

    fn signed_query(key: &TsigKey, time: u64) -> Vec<u8> {
        let mut message = Message::new(4242, MessageType::Query, OpCode::Query);
        message.add_query(Query::query(
            Name::from_ascii("example.test.").unwrap(),
            RecordType::AXFR,
        ));
        let mut bytes = message.to_vec().unwrap();
        ResponseSigner::for_request(Arc::new(key.clone()))
            .sign_at(&mut bytes, time)
            .unwrap();
        bytes
    }

    #[test]
    fn bind_key_file_is_read_with_comments() {
        let text = "# made by tsig-keygen\nkey \"xfr-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; // the secret\n};\n";
        assert_eq!(TsigKey::parse_bind(text).unwrap(), vec![key()]);
    }

    #[test]
    fn bind_key_file_error_names_the_line() {
        let error = TsigKey::parse_bind("key \"k\" {\n algorithm hmac-sha256\n};").unwrap_err();
        assert!(
            matches!(error, KeyError::Syntax { line: 3, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_request_signed_with_the_right_key_verifies() {
        let bytes = signed_query(&key(), now_seconds());
        let message = Message::from_vec(&bytes).unwrap();
        let ring = Keyring::new([key()]).unwrap();
        assert!(matches!(
            check_request(&bytes, &message, &ring, now_seconds()),
            RequestSignature::Valid { .. }
        ));
    }

    #[test]
    fn unknown_key_is_badkey_and_wrong_secret_is_badsig() {
        let bytes = signed_query(&key(), now_seconds());
        let message = Message::from_vec(&bytes).unwrap();
        let other = TsigKey::new("other", "hmac-sha256", "b3RoZXI=").unwrap();
        let ring = Keyring::new([other]).unwrap();
        assert!(matches!(
            check_request(&bytes, &message, &ring, now_seconds()),
            RequestSignature::Failed {
                error: TsigError::BadKey,
                ..
            }
        ));
        let wrong = TsigKey::new("xfr-key", "hmac-sha256", "b3RoZXI=").unwrap();
        let ring = Keyring::new([wrong]).unwrap();
        assert!(matches!(
            check_request(&bytes, &message, &ring, now_seconds()),
            RequestSignature::Failed {
                error: TsigError::BadSig,
                ..
            }
        ));
    }

    #[test]
    fn old_signature_is_badtime_and_the_answer_is_signed() {
        let bytes = signed_query(&key(), 1000);
        let message = Message::from_vec(&bytes).unwrap();
        let ring = Keyring::new([key()]).unwrap();
        let outcome = check_request(&bytes, &message, &ring, 100_000);
        assert!(matches!(
            outcome,
            RequestSignature::Failed {
                error: TsigError::BadTime,
                ..
            }
        ));
        assert!(ResponseSigner::answering(&outcome).is_some());
    }

    #[test]
    fn unsigned_messages_between_signed_ones_are_covered_by_the_next_mac() {
        let key = Arc::new(key());
        let request_mac = vec![7u8; 32];
        let mut server = ResponseSigner::new(key.clone(), request_mac.clone());
        let mut chain = AnswerChain::new(ResponseSigner::new(key.clone(), request_mac));
        let message = |id: u16| {
            Message::new(id, MessageType::Response, OpCode::Query)
                .to_vec()
                .unwrap()
        };
        let mut first = message(1);
        server.sign(&mut first).unwrap();
        chain.check(&first, true, now_seconds()).unwrap();
        // The server signs the third message over the two it left unsigned (RFC 8945 §5.3.1).
        let (second, third) = (message(1), message(1));
        let now = now_seconds();
        let mut data = Vec::new();
        data.extend_from_slice(&(server.last_mac().len() as u16).to_be_bytes());
        data.extend_from_slice(server.last_mac());
        data.extend_from_slice(&second);
        data.extend_from_slice(&third);
        let mut fourth = message(1);
        data.extend_from_slice(&fourth);
        data.extend_from_slice(&((now >> 32) as u16).to_be_bytes());
        data.extend_from_slice(&(now as u32).to_be_bytes());
        data.extend_from_slice(&TSIG_FUDGE_SECONDS.to_be_bytes());
        let mac = key.algorithm.mac_data(&key.secret, &data).unwrap();
        let tsig = TSIG::new(
            key.algorithm.clone(),
            now,
            TSIG_FUDGE_SECONDS,
            mac,
            1,
            None,
            Vec::new(),
        );
        append_tsig(&mut fourth, &make_tsig_record(key.name.clone(), tsig)).unwrap();
        chain.check(&second, false, now).unwrap();
        assert!(
            chain.finish().is_err(),
            "an unsigned last message is refused"
        );
        chain.check(&third, false, now).unwrap();
        chain.check(&fourth, true, now).unwrap();
        chain.finish().unwrap();
    }

    #[test]
    fn an_unsigned_first_answer_is_refused() {
        let mut chain = AnswerChain::new(ResponseSigner::for_request(Arc::new(key())));
        let answer = Message::new(1, MessageType::Response, OpCode::Query)
            .to_vec()
            .unwrap();
        assert_eq!(
            chain.check(&answer, false, now_seconds()),
            Err(VerifyError::Unsigned)
        );
    }

    #[test]
    fn a_chain_of_answers_verifies_message_by_message() {
        let key = Arc::new(key());
        let mut request = signed_query(&key, now_seconds());
        let request_mac = Message::from_vec(&request)
            .unwrap()
            .signature
            .unwrap()
            .data
            .mac
            .clone();
        let mut server = ResponseSigner::new(key.clone(), request_mac.clone());
        let mut client = ResponseSigner::new(key, request_mac);
        for _ in 0..3 {
            let mut answer = Message::new(4242, MessageType::Response, OpCode::Query)
                .to_vec()
                .unwrap();
            server.sign(&mut answer).unwrap();
            client.verify_answer(&answer, now_seconds()).unwrap();
        }
        // A tampered message breaks the chain.
        let mut answer = Message::new(4242, MessageType::Response, OpCode::Query)
            .to_vec()
            .unwrap();
        server.sign(&mut answer).unwrap();
        answer[2] ^= 0x04;
        assert_eq!(
            client.verify_answer(&answer, now_seconds()),
            Err(VerifyError::BadSignature)
        );
        request.clear();
    }
}
