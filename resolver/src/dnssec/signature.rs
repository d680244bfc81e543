//! One RRset against its RRSIGs and a zone's keys (RFC 4035 §5.3): owner, labels and wildcard,
//! signer, time window, key tag and algorithm, then hickory's own to-be-signed form and verify.

use std::sync::atomic::{AtomicU32, Ordering};

use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, RRSIG};
use hickory_proto::dnssec::{Algorithm, PublicKey, TBS};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::dnssec::security::Reason;
use crate::dnssec::short_rsa::{verify_short_rsa, ShortRsa};
use crate::dnssec::verified::{SignedInput, VerifiedSignatures};
use crate::limits::{
    MAX_KEYS_TRIED_PER_SIGNATURE, MAX_SIGNATURES_TRIED_PER_RRSET, MAX_SIGNATURE_CHECKS_PER_QUERY,
};

/// How many signature verifications a client query may still do (KeyTrap, CVE-2023-50387).
#[derive(Debug)]
pub struct CheckAllowance(AtomicU32);

impl Default for CheckAllowance {
    fn default() -> Self {
        CheckAllowance(AtomicU32::new(MAX_SIGNATURE_CHECKS_PER_QUERY))
    }
}

impl CheckAllowance {
    pub fn new(checks: u32) -> Self {
        CheckAllowance(AtomicU32::new(checks))
    }

    /// Takes one check; `false` once spent.
    pub fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    pub fn left(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }

    /// Checks taken so far from a full allowance.
    pub fn used(&self) -> u32 {
        MAX_SIGNATURE_CHECKS_PER_QUERY.saturating_sub(self.left())
    }
}

/// Unbound's test switches `fake-dsa` and `fake-sha1`: a build without DSA (or SHA-1) takes such
/// signatures as good so that old test vectors still replay. Never set by the daemon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TestSwitches {
    pub fake_dsa: bool,
    pub fake_sha1: bool,
    /// Unbound `val-override-date: -1`: signature inception and expiration are not checked.
    pub ignore_dates: bool,
}

/// A zone's DNSKEY RRset once trusted: the keys RRSIGs of the zone are checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneKeys {
    pub zone: Name,
    pub keys: Vec<DNSKEY>,
}

/// What the caller gives a check besides the records: the time and the bounds.
#[derive(Clone, Copy, Debug)]
pub struct CheckContext<'a> {
    /// Seconds since the UNIX epoch (the validation clock).
    pub now: u32,
    pub allowance: &'a CheckAllowance,
    pub switches: TestSwitches,
    /// Verifications that succeeded before (`verified.rs`): an identical one is not repeated
    /// and takes nothing from the allowance. `None`: every signature is checked.
    pub(crate) verified: Option<&'a VerifiedSignatures>,
}

/// A verified RRset: the TTL it may be kept for and, for a wildcard expansion, the closest
/// encloser (the wildcard's parent; RFC 4035 §5.3.4 needs a proof that no closer name exists).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub ttl: u32,
    pub wildcard_parent: Option<Name>,
}

/// What one RRset's check gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RrsetCheck {
    Secure(Verified),
    /// Every signature uses an algorithm this resolver does not validate (RFC 8624 §3.1).
    Unsupported,
    Bogus(Reason),
}

/// The RRSIG data of a record, if it is one.
pub fn rrsig_of(record: &Record) -> Option<&RRSIG> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => Some(rrsig),
        _ => None,
    }
}

/// The RRSIGs among `records` that cover (owner, type).
pub fn signatures_for<'r>(
    records: &'r [Record],
    owner: &Name,
    record_type: RecordType,
) -> Vec<&'r Record> {
    records
        .iter()
        .filter(|record| {
            record.name == *owner
                && rrsig_of(record).is_some_and(|rrsig| rrsig.input().type_covered == record_type)
        })
        .collect()
}

/// RFC 8624 §3.1: the algorithms validated. RSAMD5, DSA and the GOST/SM2 ones are not.
pub fn algorithm_supported(algorithm: Algorithm, switches: TestSwitches) -> bool {
    #[allow(deprecated)]
    let faked = match algorithm {
        Algorithm::DSA => switches.fake_dsa || switches.fake_sha1,
        Algorithm::Unknown(6) => switches.fake_dsa || switches.fake_sha1,
        _ => false,
    };
    faked || algorithm.is_supported()
}

/// RFC 4034 §3.1.5, RFC 1982: `a` is before `b` in serial number arithmetic.
fn serial_before(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < 0x8000_0000
}

/// The signature's validity at `now` (RFC 4035 §5.3.1 bullets 5 and 6).
pub fn time_window(rrsig: &RRSIG, now: u32) -> Result<(), Reason> {
    let input = rrsig.input();
    let (inception, expiration) = (input.sig_inception.get(), input.sig_expiration.get());
    if serial_before(expiration, inception) {
        return Err(Reason::SignatureInvalid);
    }
    if serial_before(now, inception) {
        return Err(Reason::SignatureNotYetValid);
    }
    if serial_before(expiration, now) {
        return Err(Reason::SignatureExpired);
    }
    Ok(())
}

/// RFC 4034 §3.1.3: the owner's label count as an RRSIG's Labels field gives it, a leading `*`
/// not counted. hickory's `num_labels` already leaves the `*` out: subtracting it again made
/// every RRset owned by a wildcard (the NSEC at `*.example.`) look unsigned.
fn labels_without_wildcard(name: &Name) -> u8 {
    name.num_labels()
}

/// An RSA key's modulus length in bits from its RFC 3110 §2 wire form; None if malformed.
fn rsa_modulus_bits(key: &[u8]) -> Option<usize> {
    let (&first, rest) = key.split_first()?;
    let (exponent_length, rest) = if first == 0 {
        let (length, rest) = rest.split_at_checked(2)?;
        (
            usize::from(u16::from_be_bytes([length[0], length[1]])),
            rest,
        )
    } else {
        (usize::from(first), rest)
    };
    let modulus = rest.get(exponent_length..)?;
    Some(modulus.len() * 8)
}

/// What one signature checked with one key gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyCheck {
    Valid,
    Invalid,
    /// An RSA key under `MIN_RSA_KEY_BITS`: not validated (insecure, not bogus).
    TooShort,
    /// The query's allowance of checks is spent (KeyTrap): nothing was verified.
    OverAllowance,
}

/// One signature with one key: hickory's TBS (canonical form, RFC 4034 §6) and verify, with
/// ring, or with RustCrypto for RSA keys under ring's floor (`short_rsa.rs`). A verification
/// that succeeded before (`context.verified`) is not repeated; any other takes one check from
/// the query's allowance first.
fn verify_with_key(
    owner: &Name,
    rrset: &[Record],
    rrsig: &RRSIG,
    key: &DNSKEY,
    context: &CheckContext<'_>,
) -> KeyCheck {
    let algorithm = rrsig.input().algorithm;
    let tbs = algorithm
        .is_supported()
        .then(|| TBS::from_input(owner, rrset_class(rrset), rrsig.input(), rrset.iter()).ok())
        .flatten();
    let remembered = context.verified.zip(tbs.as_ref()).map(|(memo, tbs)| {
        let digest = SignedInput {
            algorithm: u8::from(algorithm),
            public_key: key.public_key().public_bytes(),
            signature: rrsig.sig(),
            signed_data: tbs.as_ref(),
        }
        .digest();
        (memo, digest)
    });
    if let Some((memo, digest)) = &remembered {
        if memo.contains(digest, context.now) {
            return KeyCheck::Valid;
        }
    }
    if !context.allowance.take() {
        return KeyCheck::OverAllowance;
    }
    let check = check_with_key(rrsig, key, tbs.as_ref(), context.switches);
    if let (KeyCheck::Valid, Some((memo, digest))) = (&check, remembered) {
        memo.insert(digest, rrsig.input().sig_expiration.get(), context.now);
    }
    check
}

/// `verify_with_key` past the memo and the allowance: `tbs` is `None` for an algorithm not
/// validated here (or data hickory cannot put in canonical form).
fn check_with_key(
    rrsig: &RRSIG,
    key: &DNSKEY,
    tbs: Option<&TBS>,
    switches: TestSwitches,
) -> KeyCheck {
    let algorithm = rrsig.input().algorithm;
    #[allow(deprecated)]
    let sha1_family = matches!(
        algorithm,
        Algorithm::DSA | Algorithm::RSASHA1 | Algorithm::RSASHA1NSEC3SHA1 | Algorithm::Unknown(6)
    );
    if rrsig.sig().is_empty() {
        // An RRSIG without signature data signs nothing, whatever the algorithm: the test
        // switches below fake the arithmetic, never a missing signature (Unbound
        // `dnskey_verify_rrset_sig`: "no signature data" is bogus before any algorithm runs).
        return KeyCheck::Invalid;
    }
    #[allow(deprecated)]
    let dsa = matches!(algorithm, Algorithm::DSA | Algorithm::Unknown(6));
    if dsa && (switches.fake_dsa || switches.fake_sha1) {
        return KeyCheck::Valid;
    }
    // ring verifies RSA moduli of 1024 bits and more only; Unbound's fake-sha1 covers the
    // short test keys of old vectors the same way.
    if sha1_family
        && switches.fake_sha1
        && rsa_modulus_bits(key.public_key().public_bytes()).is_some_and(|bits| bits < 1024)
    {
        return KeyCheck::Valid;
    }
    if !algorithm.is_supported() {
        return KeyCheck::Invalid;
    }
    let Some(tbs) = tbs else {
        return KeyCheck::Invalid;
    };
    let key_bytes = key.public_key().public_bytes();
    match verify_short_rsa(algorithm, key_bytes, tbs.as_ref(), rrsig.sig()) {
        ShortRsa::Valid => KeyCheck::Valid,
        ShortRsa::Invalid => KeyCheck::Invalid,
        ShortRsa::TooShort => KeyCheck::TooShort,
        ShortRsa::NotShort if key.public_key().verify(tbs.as_ref(), rrsig.sig()).is_ok() => {
            KeyCheck::Valid
        }
        ShortRsa::NotShort => KeyCheck::Invalid,
    }
}

fn rrset_class(rrset: &[Record]) -> hickory_proto::rr::DNSClass {
    rrset
        .first()
        .map_or(hickory_proto::rr::DNSClass::IN, |record| record.dns_class)
}

/// RFC 4035 §5.3: checks `rrset` (one owner, type and class) against `signatures` with `keys`.
/// Secure if one signature verifies; the most telling failure otherwise.
pub fn verify_rrset(
    rrset: &[Record],
    signatures: &[&Record],
    keys: &ZoneKeys,
    context: CheckContext<'_>,
) -> RrsetCheck {
    let Some(first) = rrset.first() else {
        return RrsetCheck::Bogus(Reason::RrsigsMissing);
    };
    let owner = &first.name;
    let record_type = first.record_type();
    let owner_labels = labels_without_wildcard(owner);
    let mut failure: Option<Reason> = None;
    let mut supported_seen = false;
    let mut short_key_seen = false;
    let mut unknown_key_seen = false;
    let mut tried = 0;
    for signature in signatures {
        let Some(rrsig) = rrsig_of(signature) else {
            continue;
        };
        let input = rrsig.input();
        // §5.3.1: owner, class, type covered, signer the zone of the keys and above the owner.
        if signature.name != *owner
            || signature.dns_class != first.dns_class
            || input.type_covered != record_type
            || input.signer_name != keys.zone
            || !input.signer_name.zone_of(owner)
            || input.num_labels > owner_labels
        {
            continue;
        }
        if !algorithm_supported(input.algorithm, context.switches) {
            continue;
        }
        supported_seen = true;
        if tried >= MAX_SIGNATURES_TRIED_PER_RRSET {
            failure = failure.or(Some(Reason::WorkLimit));
            break;
        }
        tried += 1;
        let window = if context.switches.ignore_dates {
            Ok(())
        } else {
            time_window(rrsig, context.now)
        };
        if let Err(reason) = window {
            failure = Some(match failure {
                Some(Reason::SignatureInvalid) | None => reason,
                Some(earlier) => earlier,
            });
            continue;
        }
        let candidates = keys.keys.iter().filter(|key| {
            key.zone_key()
                && !key.revoke()
                && key.public_key().algorithm() == input.algorithm
                && key.calculate_key_tag().ok() == Some(input.key_tag)
        });
        if candidates.clone().next().is_none() {
            // Signed by a key the zone does not publish: no crypto to try.
            unknown_key_seen = true;
            continue;
        }
        let mut verified = false;
        let mut too_short = false;
        for key in candidates.take(MAX_KEYS_TRIED_PER_SIGNATURE) {
            match verify_with_key(owner, rrset, rrsig, key, &context) {
                KeyCheck::Valid => {
                    verified = true;
                    break;
                }
                KeyCheck::TooShort => too_short = true,
                KeyCheck::Invalid => {}
                KeyCheck::OverAllowance => return RrsetCheck::Bogus(Reason::WorkLimit),
            }
        }
        if !verified && too_short {
            short_key_seen = true;
            continue;
        }
        if !verified {
            failure = failure.or(Some(Reason::SignatureInvalid));
            continue;
        }
        // RFC 4035 §5.3.3: no longer than the RRset's TTL, the RRSIG's TTL, the original TTL
        // and the time left before expiry.
        let rrset_ttl = rrset.iter().map(|record| record.ttl).min().unwrap_or(0);
        let ttl = rrset_ttl
            .min(signature.ttl)
            .min(input.original_ttl)
            .min(input.sig_expiration.get().wrapping_sub(context.now));
        // §5.3.4: fewer labels than the owner means a wildcard expansion.
        let wildcard_parent =
            (input.num_labels < owner_labels).then(|| owner.trim_to(usize::from(input.num_labels)));
        return RrsetCheck::Secure(Verified {
            ttl,
            wildcard_parent,
        });
    }
    match failure {
        Some(reason) => RrsetCheck::Bogus(reason),
        None if short_key_seen => RrsetCheck::Unsupported,
        // Every signature names a key the DNSKEY set lacks: RFC 8914 DNSKEY Missing (EDE 9),
        // as Unbound ("signatures from unknown keys"), not a failed signature.
        None if unknown_key_seen => RrsetCheck::Bogus(Reason::DnskeyMissing),
        None if !supported_seen
            && !signatures.is_empty()
            && only_unsupported(signatures, context.switches) =>
        {
            RrsetCheck::Unsupported
        }
        None => RrsetCheck::Bogus(Reason::RrsigsMissing),
    }
}

/// Whether every signature that covers the RRset uses an algorithm not validated here.
fn only_unsupported(signatures: &[&Record], switches: TestSwitches) -> bool {
    signatures.iter().all(|signature| {
        rrsig_of(signature)
            .is_some_and(|rrsig| !algorithm_supported(rrsig.input().algorithm, switches))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_arithmetic_wraps() {
        assert!(serial_before(1, 2));
        assert!(!serial_before(2, 1));
        assert!(serial_before(0xffff_fff0, 5));
        assert!(!serial_before(7, 7));
    }

    #[test]
    fn rsa_modulus_length_reads_rfc3110_form() {
        let mut key = vec![3, 1, 0, 1];
        key.extend(std::iter::repeat_n(0xab, 64));
        assert_eq!(rsa_modulus_bits(&key), Some(512));
        assert_eq!(rsa_modulus_bits(&[]), None);
        assert_eq!(rsa_modulus_bits(&[9, 1]), None);
    }

    /// An RRset owned by a wildcard (`*.example.`, an NSEC proof's owner) has one label by RFC
    /// 4034 §3.1.3, as its RRSIG says: the signature is checked, not passed over as too long.
    #[test]
    fn signature_over_a_wildcard_owned_rrset_is_checked() {
        use crate::replay::record_text::parse_record;
        use hickory_proto::dnssec::PublicKeyBuf;
        let key = DNSKEY::with_flags(
            257,
            PublicKeyBuf::new(vec![0x5a; 64], Algorithm::ECDSAP256SHA256),
        );
        let tag = key.calculate_key_tag().unwrap();
        let keys = ZoneKeys {
            zone: Name::from_ascii("example.").unwrap(),
            keys: vec![key],
        };
        let rrset = [parse_record("*.example. 300 IN A 192.0.2.1").unwrap()];
        let signature = parse_record(&format!(
            "*.example. 300 IN RRSIG A 13 1 300 20330101000000 20000101000000 {tag} example. {}",
            data_encoding::BASE64.encode(&[7; 64])
        ))
        .unwrap();
        let allowance = CheckAllowance::default();
        let context = CheckContext {
            now: 1_800_000_000,
            allowance: &allowance,
            switches: TestSwitches::default(),
            verified: None,
        };
        // The made-up signature fails its check: it was tried (not "RRSIGs missing").
        assert_eq!(
            verify_rrset(&rrset, &[&signature], &keys, context),
            RrsetCheck::Bogus(Reason::SignatureInvalid)
        );
    }

    /// nsid_bogus: an RRSIG whose key tag names no key of the signer's DNSKEY set is RFC 8914
    /// DNSKEY Missing (EDE 9), as Unbound says, and costs no signature check.
    #[test]
    fn a_signature_from_an_unknown_key_is_dnskey_missing() {
        use crate::replay::record_text::parse_record;
        use hickory_proto::dnssec::PublicKeyBuf;
        let key = DNSKEY::with_flags(
            257,
            PublicKeyBuf::new(vec![0x5a; 64], Algorithm::ECDSAP256SHA256),
        );
        let other_tag = key.calculate_key_tag().unwrap().wrapping_add(1);
        let keys = ZoneKeys {
            zone: Name::from_ascii("example.").unwrap(),
            keys: vec![key],
        };
        let rrset = [parse_record("www.example. 300 IN A 192.0.2.1").unwrap()];
        let signature = parse_record(&format!(
            "www.example. 300 IN RRSIG A 13 2 300 20330101000000 20000101000000 {other_tag} example. {}",
            data_encoding::BASE64.encode(&[7; 64])
        ))
        .unwrap();
        let allowance = CheckAllowance::new(1);
        let context = CheckContext {
            now: 1_800_000_000,
            allowance: &allowance,
            switches: TestSwitches::default(),
            verified: None,
        };
        assert_eq!(
            verify_rrset(&rrset, &[&signature], &keys, context),
            RrsetCheck::Bogus(Reason::DnskeyMissing)
        );
        assert!(allowance.take(), "no check was spent");
    }

    /// serve_expired_val_bogus: Unbound's `fake-dsa`/`fake-sha1` test switches pass a DSA
    /// signature unchecked, but an RRSIG with no signature data at all stays bogus.
    #[test]
    fn an_empty_signature_is_bogus_even_when_dsa_is_faked() {
        use crate::replay::record_text::parse_record;
        use hickory_proto::dnssec::PublicKeyBuf;
        #[allow(deprecated)]
        let key = DNSKEY::with_flags(256, PublicKeyBuf::new(vec![0x5a; 64], Algorithm::DSA));
        let tag = key.calculate_key_tag().unwrap();
        let keys = ZoneKeys {
            zone: Name::from_ascii("example.").unwrap(),
            keys: vec![key],
        };
        let rrset = [parse_record("www.example. 300 IN A 192.0.2.1").unwrap()];
        let signed = |signature: &str| {
            parse_record(&format!(
                "www.example. 300 IN RRSIG A 3 2 300 20330101000000 20000101000000 {tag} example. {signature}"
            ))
            .unwrap()
        };
        let allowance = CheckAllowance::default();
        let context = CheckContext {
            now: 1_800_000_000,
            allowance: &allowance,
            switches: TestSwitches {
                fake_dsa: true,
                ..TestSwitches::default()
            },
            verified: None,
        };
        let faked = signed(&data_encoding::BASE64.encode(&[7; 40]));
        assert!(matches!(
            verify_rrset(&rrset, &[&faked], &keys, context),
            RrsetCheck::Secure(_)
        ));
        let empty = signed("");
        assert_eq!(
            verify_rrset(&rrset, &[&empty], &keys, context),
            RrsetCheck::Bogus(Reason::SignatureInvalid)
        );
    }

    #[test]
    fn allowance_runs_out() {
        let allowance = CheckAllowance::new(2);
        assert!(allowance.take());
        assert!(allowance.take());
        assert!(!allowance.take());
    }

    /// Regression: hickory's `num_labels` already leaves a leading `*` out, and subtracting it
    /// again rejected every signature over an RRset owned by a wildcard (the NSEC at
    /// `*.wild.example.` that dnssec-signzone makes; found end to end, tests/e2e/dnssec.rs).
    #[test]
    fn rrset_owned_by_a_wildcard_verifies_and_is_no_expansion() {
        use crate::dnssec::test_signing::TestKey;
        use crate::replay::record_text::parse_record;
        let key = TestKey::new("example.");
        let keys = ZoneKeys {
            zone: key.zone.clone(),
            keys: vec![key.dnskey.clone()],
        };
        let allowance = CheckAllowance::default();
        let context = CheckContext {
            now: 1_800_000_000,
            allowance: &allowance,
            switches: TestSwitches::default(),
            verified: None,
        };
        let nsec = [parse_record("*.wild.example. 300 IN NSEC www.example. A RRSIG NSEC").unwrap()];
        let signature = key.sign(&nsec, 1_700_000_000, 1_900_000_000);
        match verify_rrset(&nsec, &[&signature], &keys, context) {
            RrsetCheck::Secure(verified) => assert_eq!(verified.wildcard_parent, None),
            other => panic!("the wildcard-owned NSEC did not verify: {other:?}"),
        }
        // The same signature over an expansion (anything.wild.example.) is one, with its parent.
        let expanded = [parse_record("anything.wild.example. 300 IN A 192.0.2.1").unwrap()];
        let wildcard = [parse_record("*.wild.example. 300 IN A 192.0.2.1").unwrap()];
        let mut signature = key.sign(&wildcard, 1_700_000_000, 1_900_000_000);
        signature.name = expanded[0].name.clone();
        match verify_rrset(&expanded, &[&signature], &keys, context) {
            RrsetCheck::Secure(verified) => assert_eq!(
                verified.wildcard_parent,
                Some(Name::from_ascii("wild.example.").unwrap())
            ),
            other => panic!("the wildcard expansion did not verify: {other:?}"),
        }
    }

    /// Two expansions of one wildcard carry one RRSIG over the same signed data (RFC 4035
    /// §5.3.2): with the memo the second is secure without a check from the allowance; other
    /// data under the same signature is still checked, and still fails.
    #[test]
    fn a_signature_verified_before_costs_no_check_and_other_data_still_fails() {
        use crate::dnssec::test_signing::TestKey;
        use crate::dnssec::verified::VerifiedSignatures;
        use crate::replay::record_text::parse_record;
        let key = TestKey::new("example.");
        let keys = ZoneKeys {
            zone: key.zone.clone(),
            keys: vec![key.dnskey.clone()],
        };
        let memo = VerifiedSignatures::default();
        let allowance = CheckAllowance::default();
        let context = CheckContext {
            now: 1_800_000_000,
            allowance: &allowance,
            switches: TestSwitches::default(),
            verified: Some(&memo),
        };
        let wildcard = [parse_record("*.wild.example. 300 IN A 192.0.2.1").unwrap()];
        let signature = key.sign(&wildcard, 1_700_000_000, 1_900_000_000);
        let expansion = |name: &str, address: &str| {
            let rrset = [parse_record(&format!("{name} 300 IN A {address}")).unwrap()];
            let mut rrsig = signature.clone();
            rrsig.name = rrset[0].name.clone();
            let check = verify_rrset(&rrset, &[&rrsig], &keys, context);
            (check, allowance.left())
        };
        let (first, left) = expansion("one.wild.example.", "192.0.2.1");
        assert!(matches!(first, RrsetCheck::Secure(_)), "{first:?}");
        assert_eq!(left, MAX_SIGNATURE_CHECKS_PER_QUERY - 1);
        let (second, left) = expansion("two.wild.example.", "192.0.2.1");
        assert!(matches!(second, RrsetCheck::Secure(_)), "{second:?}");
        assert_eq!(left, MAX_SIGNATURE_CHECKS_PER_QUERY - 1, "verified again");
        let (forged, left) = expansion("three.wild.example.", "192.0.2.66");
        assert_eq!(forged, RrsetCheck::Bogus(Reason::SignatureInvalid));
        assert_eq!(left, MAX_SIGNATURE_CHECKS_PER_QUERY - 2);
        // An expired signature is refused by its window, memo or not.
        let late = CheckContext {
            now: 1_900_000_001,
            ..context
        };
        let rrset = [parse_record("four.wild.example. 300 IN A 192.0.2.1").unwrap()];
        let mut rrsig = signature.clone();
        rrsig.name = rrset[0].name.clone();
        assert_eq!(
            verify_rrset(&rrset, &[&rrsig], &keys, late),
            RrsetCheck::Bogus(Reason::SignatureExpired)
        );
    }

    /// KeyTrap (CVE-2023-50387): an RRset with 20 signatures, all naming a key tag that 10
    /// identical DNSKEYs share, costs at most MAX_SIGNATURES_TRIED_PER_RRSET ×
    /// MAX_KEYS_TRIED_PER_SIGNATURE checks; RRset after RRset, the query's allowance runs out and
    /// the answer is bogus (WorkLimit) instead of the work going on.
    #[test]
    fn colliding_key_tags_and_piles_of_signatures_cost_a_bounded_number_of_checks() {
        use crate::replay::record_text::parse_record;
        use hickory_proto::dnssec::PublicKeyBuf;
        let key = DNSKEY::with_flags(
            257,
            PublicKeyBuf::new(vec![0x5a; 64], Algorithm::ECDSAP256SHA256),
        );
        let tag = key.calculate_key_tag().unwrap();
        let keys = ZoneKeys {
            zone: Name::from_ascii("example.").unwrap(),
            keys: vec![key; 10],
        };
        let rrset = [parse_record("www.example. 300 IN A 192.0.2.1").unwrap()];
        let signatures: Vec<Record> = (0..20)
            .map(|index| {
                parse_record(&format!(
                    "www.example. 300 IN RRSIG A 13 2 300 20330101000000 20000101000000 {tag} \
                     example. {}",
                    data_encoding::BASE64.encode(&[index; 64])
                ))
                .unwrap()
            })
            .collect();
        let signatures: Vec<&Record> = signatures.iter().collect();
        let allowance = CheckAllowance::default();
        let context = CheckContext {
            now: 1_800_000_000,
            allowance: &allowance,
            switches: TestSwitches::default(),
            verified: None,
        };
        let per_rrset = MAX_SIGNATURES_TRIED_PER_RRSET * MAX_KEYS_TRIED_PER_SIGNATURE;
        assert_eq!(
            verify_rrset(&rrset, &signatures, &keys, context),
            RrsetCheck::Bogus(Reason::SignatureInvalid)
        );
        let per_rrset = u32::try_from(per_rrset).unwrap();
        assert_eq!(allowance.left(), MAX_SIGNATURE_CHECKS_PER_QUERY - per_rrset);
        let mut outcomes = Vec::new();
        for _ in 0..MAX_SIGNATURE_CHECKS_PER_QUERY {
            outcomes.push(verify_rrset(&rrset, &signatures, &keys, context));
        }
        assert_eq!(allowance.left(), 0);
        assert_eq!(outcomes.last(), Some(&RrsetCheck::Bogus(Reason::WorkLimit)));
    }
}
