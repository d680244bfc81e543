//! Test support: a scripted network whose root and `example.` are signed with real ECDSA keys
//! (`dnssec/test_signing.rs`), and a validating configuration anchored at the root's key.
//! Tests make the child hostile by replacing its canned replies; nothing here is hostile itself.

use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, DS};
use hickory_proto::dnssec::{DigestType, PublicKey, PublicKeyBuf};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::config::{DnssecConfig, ResolverConfig};
use crate::dnssec::test_signing::TestKey;
use crate::dnssec::Anchors;
use crate::scripted::network::*;

/// The validation clock of these tests (2027-01-15), inside every signature's window.
pub(crate) const NOW: u32 = 1_800_000_000;
const INCEPTION: u32 = 1_700_000_000;
const EXPIRATION: u32 = 1_900_000_000;

/// The address of `example.`'s server number `index` (198.51.100.4 and up).
pub(crate) fn child_server(index: u8) -> String {
    format!("198.51.100.{}", 4 + index)
}

/// A zone's key and what the zone publishes with it.
pub(crate) struct SignedZone {
    pub key: TestKey,
}

impl SignedZone {
    pub(crate) fn new(zone: &str) -> SignedZone {
        SignedZone {
            key: TestKey::new(zone),
        }
    }

    pub(crate) fn zone(&self) -> &Name {
        &self.key.zone
    }

    /// `rrset` followed by its RRSIG.
    pub(crate) fn signed(&self, rrset: Vec<Record>) -> Vec<Record> {
        let signature = self.key.sign(&rrset, INCEPTION, EXPIRATION);
        let mut records = rrset;
        records.push(signature);
        records
    }

    /// The DNSKEY RRset (the zone's key, then `extra`) signed by the zone's key.
    pub(crate) fn dnskey_rrset(&self, extra: &[DNSKEY]) -> Vec<Record> {
        let keys = std::iter::once(self.key.dnskey.clone()).chain(extra.iter().cloned());
        let rrset = keys
            .map(|key| {
                Record::from_rdata(
                    self.zone().clone(),
                    3600,
                    RData::DNSSEC(DNSSECRData::DNSKEY(key)),
                )
            })
            .collect();
        self.signed(rrset)
    }

    /// The DS record the parent publishes for this zone (SHA-256).
    pub(crate) fn ds(&self) -> Record {
        let dnskey = &self.key.dnskey;
        let digest = dnskey
            .to_digest(self.zone(), DigestType::SHA256)
            .expect("DS digest");
        let ds = DS::new(
            self.key.key_tag(),
            dnskey.public_key().algorithm(),
            DigestType::SHA256,
            digest.as_ref().to_vec(),
        );
        Record::from_rdata(
            self.zone().clone(),
            3600,
            RData::DNSSEC(DNSSECRData::DS(ds)),
        )
    }

    /// `count` keys that are not this zone's key but share its key tag and algorithm: the
    /// key tag (RFC 4034 appendix B) sums the key's bytes by parity, so swapping two bytes at
    /// even offsets keeps it. What KeyTrap (CVE-2023-50387) publishes.
    pub(crate) fn colliding_keys(&self, count: usize) -> Vec<DNSKEY> {
        let public = self.key.dnskey.public_key();
        let bytes = public.public_bytes();
        let mut keys: Vec<DNSKEY> = Vec::new();
        for (first, second) in (0..bytes.len()).step_by(2).flat_map(|first| {
            (first + 2..bytes.len())
                .step_by(2)
                .map(move |second| (first, second))
        }) {
            if keys.len() == count {
                break;
            }
            if bytes[first] == bytes[second] {
                continue;
            }
            let mut swapped = bytes.to_vec();
            swapped.swap(first, second);
            keys.push(DNSKEY::with_flags(
                self.key.dnskey.flags(),
                PublicKeyBuf::new(swapped, public.algorithm()),
            ));
        }
        keys
    }
}

/// The root and `example.` (one server, `CHILD`, unless `servers` says more), signed; `www.example.
/// A` is answered, signed. Tests replace the child's replies to make it hostile.
pub(crate) struct SignedInternet {
    pub network: ScriptedNetwork,
    pub root: SignedZone,
    pub child: SignedZone,
    pub child_servers: Vec<String>,
}

impl SignedInternet {
    pub(crate) fn new(servers: u8) -> SignedInternet {
        let root = SignedZone::new(".");
        let child = SignedZone::new("example.");
        let child_servers: Vec<String> = (0..servers.max(1)).map(child_server).collect();
        let mut network = ScriptedNetwork::default();
        network.on(
            ROOT,
            ".",
            RecordType::NS,
            Canned {
                authoritative: true,
                answers: root.signed(vec![ns(".", "k.root-servers.net.")]),
                additionals: vec![a("k.root-servers.net.", ROOT)],
                ..Canned::default()
            },
        );
        network.on(
            ROOT,
            ".",
            RecordType::DNSKEY,
            answer(root.dnskey_rrset(&[])),
        );
        network.on(
            ROOT,
            "example.",
            RecordType::DS,
            answer(root.signed(vec![child.ds()])),
        );
        let mut delegation: Vec<Record> = child_servers
            .iter()
            .enumerate()
            .map(|(index, _)| ns("example.", &format!("ns{index}.example.")))
            .collect();
        delegation.extend(root.signed(vec![child.ds()]));
        let glue: Vec<Record> = child_servers
            .iter()
            .enumerate()
            .map(|(index, address)| a(&format!("ns{index}.example."), address))
            .collect();
        network.on_anything(ROOT, referral(delegation, glue));
        let mut internet = SignedInternet {
            network,
            root,
            child,
            child_servers,
        };
        let keys = internet.child.dnskey_rrset(&[]);
        internet.on_child("example.", RecordType::DNSKEY, answer(keys));
        let www = internet.child.signed(vec![a("www.example.", "192.0.2.80")]);
        internet.on_child("www.example.", RecordType::A, answer(www));
        internet
    }

    /// Every server of `example.` answers (qname, qtype) with `canned`.
    pub(crate) fn on_child(&mut self, qname: &str, qtype: RecordType, canned: Canned) {
        for server in &self.child_servers {
            self.network.on(server, qname, qtype, canned.clone());
        }
    }

    /// A validating configuration anchored at this root's key (full query names, IPv4).
    pub(crate) fn config(&self) -> ResolverConfig {
        let mut anchors = Anchors::empty();
        let key = &self.root.key.dnskey;
        let text = format!(
            ". 3600 IN DNSKEY {} 3 {} {}",
            key.flags(),
            u8::from(key.public_key().algorithm()),
            data_encoding::BASE64.encode(key.public_key().public_bytes())
        );
        anchors.add_text(&text).expect("root anchor");
        ResolverConfig {
            dnssec: DnssecConfig {
                enabled: true,
                anchors,
                date_override: Some(NOW),
                test_switches: Default::default(),
                stripped_is_insecure: false,
                prefetch_keys: false,
                harden_algorithm_downgrade: false,
            },
            ..config()
        }
    }
}

/// A query with AD=1 (RFC 6840 §5.7: the client wants to know the answer's status).
pub(crate) fn ad_query(qname: &str, qtype: RecordType) -> hickory_proto::op::Message {
    let mut query = client_query(qname, qtype);
    query.metadata.authentic_data = true;
    query
}
