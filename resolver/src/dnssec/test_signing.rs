//! Test-only signing: an ECDSA P-256 zone key made with hickory's ring-backed `SigningKey` (as
//! `authority/src/dnssec/` signs), so tests check the validator against real signatures.

use hickory_proto::dnssec::crypto::EcdsaSigningKey;
use hickory_proto::dnssec::rdata::{sig::SigInput, DNSSECRData, DNSKEY, RRSIG};
use hickory_proto::dnssec::{Algorithm, SigningKey, TBS};
use hickory_proto::rr::{DNSClass, Name, RData, Record, SerialNumber};

/// One zone key signing with ECDSAP256SHA256.
pub struct TestKey {
    pub zone: Name,
    signer: EcdsaSigningKey,
    pub dnskey: DNSKEY,
}

impl TestKey {
    pub fn new(zone: &str) -> TestKey {
        let algorithm = Algorithm::ECDSAP256SHA256;
        let document = EcdsaSigningKey::generate_pkcs8(algorithm).expect("key generation");
        let signer = EcdsaSigningKey::from_pkcs8(&document, algorithm).expect("key from PKCS#8");
        let public = signer.to_public_key().expect("public key");
        TestKey {
            zone: Name::from_ascii(zone).expect("zone name"),
            signer,
            dnskey: DNSKEY::with_flags(257, public),
        }
    }

    pub fn key_tag(&self) -> u16 {
        self.dnskey.calculate_key_tag().expect("key tag")
    }

    /// The RRSIG over `rrset` (one owner and type), valid from `inception` to `expiration`;
    /// the Labels field as RFC 4034 §3.1.3 says (a leading `*` not counted).
    pub fn sign(&self, rrset: &[Record], inception: u32, expiration: u32) -> Record {
        let first = rrset.first().expect("an RRset");
        let input = SigInput {
            type_covered: first.record_type(),
            algorithm: Algorithm::ECDSAP256SHA256,
            num_labels: first.name.num_labels(),
            original_ttl: first.ttl,
            sig_expiration: SerialNumber::new(expiration),
            sig_inception: SerialNumber::new(inception),
            key_tag: self.key_tag(),
            signer_name: self.zone.clone(),
        };
        let tbs = TBS::from_input(&first.name, DNSClass::IN, &input, rrset.iter()).expect("TBS");
        let signature = self.signer.sign(&tbs).expect("signature");
        Record::from_rdata(
            first.name.clone(),
            first.ttl,
            RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, signature))),
        )
    }
}
