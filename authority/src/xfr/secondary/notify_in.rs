//! A NOTIFY received for a secondary zone (RFC 1996 §3.7, §4.7): answered at once, and a refresh
//! started, only when it comes from a configured primary's address, signed if that primary has a key.

use std::net::IpAddr;

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::{LowerName, RecordType};

use crate::xfr::journal::soa_serial;
use crate::xfr::messages::single_answer;
use crate::xfr::secondary::SecondaryZones;
use crate::xfr::tsig::{
    append_tsig, check_request, now_seconds, unsigned_error_record, RequestSignature,
    ResponseSigner,
};

impl SecondaryZones {
    /// The answer to a NOTIFY request (`message` is `packet` decoded) from `client`.
    pub fn answer_notify(&self, packet: &[u8], message: &Message, client: IpAddr) -> Vec<u8> {
        let id = message.metadata.id;
        let Some(question) = message.queries.first() else {
            return single_answer(id, None, ResponseCode::FormErr, &[], OpCode::Notify);
        };
        let reply = |rcode, signer: Option<ResponseSigner>| {
            let mut bytes = single_answer(id, Some(question), rcode, &[], OpCode::Notify);
            if let Some(mut signer) = signer {
                let _ = signer.sign(&mut bytes);
            }
            bytes
        };
        // RFC 1996 §3.7: QTYPE SOA is the only one defined.
        if question.query_type() != RecordType::SOA {
            return reply(ResponseCode::FormErr, None);
        }
        let signature = check_request(packet, message, &self.keyring, now_seconds());
        if let RequestSignature::Failed {
            error,
            key_name,
            algorithm,
            ..
        } = &signature
        {
            // RFC 8945 §5.2: NOTAUTH with the TSIG error; BADTIME signed, the others not.
            tracing::info!(%client, key = %key_name, error = ?error, zone = %question.name(), "NOTIFY TSIG check failed");
            return match ResponseSigner::answering(&signature) {
                Some(signer) => reply(ResponseCode::NotAuth, Some(signer)),
                None => {
                    let mut bytes = reply(ResponseCode::NotAuth, None);
                    let _ = append_tsig(
                        &mut bytes,
                        &unsigned_error_record(key_name, algorithm, id, *error),
                    );
                    bytes
                }
            };
        }
        let signer = ResponseSigner::answering(&signature);
        let Some(zone) = self.zones.get(&LowerName::new(question.name())) else {
            // Not a zone we copy: NOTAUTH, as BIND and Knot answer.
            tracing::info!(%client, zone = %question.name(), "NOTIFY for a zone we are not a secondary of");
            return reply(ResponseCode::NotAuth, signer);
        };
        let client = client.to_canonical();
        let allowed = zone.config.primaries.iter().any(|primary| {
            primary.address.ip().to_canonical() == client
                && match (&primary.key, &signature) {
                    (None, _) => true,
                    (Some(key), RequestSignature::Valid { key: signed, .. }) => {
                        signed.name == key.name
                    }
                    (Some(_), _) => false,
                }
        });
        if !allowed {
            tracing::info!(%client, zone = %zone.config.origin, signed = !matches!(signature, RequestSignature::Unsigned), "NOTIFY refused: not from a configured primary (address, and key when one is set)");
            return reply(ResponseCode::Refused, signer);
        }
        let serial = message
            .answers
            .iter()
            .find(|record| record.record_type() == RecordType::SOA)
            .and_then(|record| soa_serial(Some(record)));
        tracing::info!(%client, zone = %zone.config.origin, serial = ?serial, "NOTIFY received; refreshing");
        // A NOTIFY during a transfer is kept (one stored wake-up) and checked once it ends.
        zone.wake.notify_one();
        reply(ResponseCode::NoError, signer)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hickory_proto::op::{MessageType, Query};
    use hickory_proto::rr::Name;

    use super::*;
    use crate::xfr::notify::NotifyTarget;
    use crate::xfr::secondary::SecondaryZone;
    use crate::xfr::tsig::{Keyring, TsigKey};

    fn key() -> TsigKey {
        TsigKey::new("xfr-key", "hmac-sha256", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0").unwrap()
    }

    fn zones(keyed: bool) -> SecondaryZones {
        let primary = NotifyTarget {
            address: "192.0.2.1:53".parse().unwrap(),
            key: keyed.then(|| Arc::new(key())),
        };
        SecondaryZones::new(
            vec![SecondaryZone {
                origin: Name::from_ascii("example.test.").unwrap(),
                primaries: vec![primary],
            }],
            Keyring::new([key()]).unwrap(),
        )
    }

    fn notify(zone: &str, signed: bool) -> (Vec<u8>, Message) {
        let mut message = Message::new(77, MessageType::Query, OpCode::Notify);
        message.add_query(Query::query(
            Name::from_ascii(zone).unwrap(),
            RecordType::SOA,
        ));
        let mut bytes = message.to_vec().unwrap();
        if signed {
            ResponseSigner::for_request(Arc::new(key()))
                .sign(&mut bytes)
                .unwrap();
        }
        let decoded = Message::from_vec(&bytes).unwrap();
        (bytes, decoded)
    }

    fn rcode(zones: &SecondaryZones, zone: &str, signed: bool, client: &str) -> ResponseCode {
        let (bytes, message) = notify(zone, signed);
        let answer = zones.answer_notify(&bytes, &message, client.parse().unwrap());
        let answer = Message::from_vec(&answer).unwrap();
        assert_eq!(answer.metadata.op_code, OpCode::Notify);
        answer.metadata.response_code
    }

    #[test]
    fn only_the_primary_address_may_notify() {
        let zones = zones(false);
        assert_eq!(
            rcode(&zones, "example.test.", false, "192.0.2.1"),
            ResponseCode::NoError
        );
        assert_eq!(
            rcode(&zones, "example.test.", false, "192.0.2.2"),
            ResponseCode::Refused
        );
        assert_eq!(
            rcode(&zones, "other.test.", false, "192.0.2.1"),
            ResponseCode::NotAuth
        );
    }

    #[test]
    fn a_primary_with_a_key_must_sign_its_notify() {
        let zones = zones(true);
        assert_eq!(
            rcode(&zones, "example.test.", false, "192.0.2.1"),
            ResponseCode::Refused
        );
        assert_eq!(
            rcode(&zones, "example.test.", true, "192.0.2.1"),
            ResponseCode::NoError
        );
        assert_eq!(
            rcode(&zones, "example.test.", true, "192.0.2.9"),
            ResponseCode::Refused
        );
    }
}
