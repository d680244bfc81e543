//! Client response assembly: the request's ID and question, QR+RA, RD copied, the rcode, and
//! the answer records with TTLs already counted down. Never adds data the scrubber did not pass.

use hickory_proto::op::{Edns, Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{Record, RecordType};

use crate::dnssec::{Security, Verdict};

use crate::limits::EDNS_BUFFER_SIZE;

/// SERVFAIL for data a client without CD must not get (RFC 4035 §5.5), with the verdict's
/// Extended DNS Error (RFC 8914) naming why and where, for an EDNS client.
pub(crate) fn withheld_response(request: &Message, verdict: &Verdict) -> Message {
    let mut response = response_skeleton(request, ResponseCode::ServFail);
    if let (Some(edns), Some((reason, _))) = (response.edns.as_mut(), verdict.reason.as_ref()) {
        let mut data = reason.extended_error_code().to_be_bytes().to_vec();
        data.extend_from_slice(verdict.extra_text().unwrap_or_default().as_bytes());
        edns.options_mut()
            .insert(EdnsOption::Unknown(EDNS_OPTION_EXTENDED_ERROR, data));
    }
    response
}

/// The outcome of a resolution, ready to become a response.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    pub response_code: ResponseCode,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    /// The DNSSEC status of the whole answer (its worst RRset).
    pub verdict: Verdict,
}

impl Resolution {
    pub fn server_failure() -> Self {
        Resolution {
            response_code: ResponseCode::ServFail,
            answers: Vec::new(),
            authorities: Vec::new(),
            verdict: Verdict::insecure(),
        }
    }
}

/// RFC 4035 §3.2.1: the DNSSEC types a client without DO gets only when it asked for them.
fn is_dnssec_type(record_type: RecordType) -> bool {
    matches!(
        record_type,
        RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3
    )
}

/// RFC 8914 §2: the Extended DNS Error option code.
const EDNS_OPTION_EXTENDED_ERROR: u16 = 15;

/// A response header mirroring the request: same ID, opcode, question, RD; QR and RA set.
pub fn response_skeleton(request: &Message, response_code: ResponseCode) -> Message {
    let mut response = Message::new(
        request.metadata.id,
        MessageType::Response,
        request.metadata.op_code,
    );
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    response.metadata.checking_disabled = request.metadata.checking_disabled;
    response.metadata.response_code = response_code;
    response.queries = request.queries.clone();
    if request.edns.is_some() {
        // RFC 6891 §7: answer EDNS with EDNS; we offer the same buffer we use upstream.
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_BUFFER_SIZE);
        // RFC 3225 §3: the DO bit is copied into the response.
        edns.set_dnssec_ok(
            request
                .edns
                .as_ref()
                .is_some_and(|asked| asked.flags().dnssec_ok),
        );
        response.edns = Some(edns);
    }
    response
}

/// RFC 8914 §4.21: EDE 20 "Not Authoritative", for a question we will not recurse for.
const EXTENDED_ERROR_NOT_AUTHORITATIVE: u16 = 20;

/// REFUSED for RD=0 from a client that may not read the cache (cache snooping), with EDE 20
/// "Not Authoritative" when it speaks EDNS, as Unbound answers (`ede: yes`).
pub fn refused_not_authoritative(request: &Message) -> Message {
    let mut response = response_skeleton(request, ResponseCode::Refused);
    if let Some(edns) = response.edns.as_mut() {
        edns.options_mut().insert(EdnsOption::Unknown(
            EDNS_OPTION_EXTENDED_ERROR,
            EXTENDED_ERROR_NOT_AUTHORITATIVE.to_be_bytes().to_vec(),
        ));
    }
    response
}

/// RFC 8914 §4.19: EDE 18 "Prohibited", for a client the access list refuses.
const EXTENDED_ERROR_PROHIBITED: u16 = 18;

/// REFUSED for a client `access-control` refuses (Unbound `deny_refuse`): the question echoed,
/// RA clear (nothing is offered), EDE 18 "Prohibited" when the client speaks EDNS.
pub fn refused_prohibited(request: &Message) -> Message {
    let mut response = response_skeleton(request, ResponseCode::Refused);
    response.metadata.recursion_available = false;
    if let Some(edns) = response.edns.as_mut() {
        edns.options_mut().insert(EdnsOption::Unknown(
            EDNS_OPTION_EXTENDED_ERROR,
            EXTENDED_ERROR_PROHIBITED.to_be_bytes().to_vec(),
        ));
    }
    response
}

/// The client's response (RFC 4035 §3.2, RFC 6840 §5.7-5.8): bogus data only with CD, else
/// SERVFAIL with an Extended DNS Error; AD only when every RRset is secure and the client set
/// DO or AD; RRSIGs and NSEC/NSEC3 proofs only with DO.
pub fn build_response(request: &Message, resolution: Resolution) -> Message {
    let checking_disabled = request.metadata.checking_disabled;
    let dnssec_ok = request
        .edns
        .as_ref()
        .is_some_and(|edns| edns.flags().dnssec_ok);
    let verdict = resolution.verdict;
    if verdict.security.is_withheld() && !checking_disabled {
        return withheld_response(request, &verdict);
    }
    let mut response = response_skeleton(request, resolution.response_code);
    let qtype = request.queries.first().map(|query| query.query_type());
    let mut answers = resolution.answers;
    let mut authorities = resolution.authorities;
    if !dnssec_ok {
        answers.retain(|record| {
            !is_dnssec_type(record.record_type()) || Some(record.record_type()) == qtype
        });
        authorities.retain(|record| !is_dnssec_type(record.record_type()));
    }
    response.metadata.authentic_data = verdict.security == Security::Secure
        && matches!(
            resolution.response_code,
            ResponseCode::NoError | ResponseCode::NXDomain
        )
        && (dnssec_ok || request.metadata.authentic_data);
    response.answers = answers;
    response.authorities = authorities;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::Name;

    #[test]
    fn a_refused_cache_snoop_carries_the_question_and_ede_20_for_edns_clients() {
        let mut request = Message::query();
        request.add_query(Query::query(
            Name::from_ascii("example.com.").unwrap(),
            RecordType::A,
        ));
        let plain = refused_not_authoritative(&request);
        assert_eq!(plain.metadata.response_code, ResponseCode::Refused);
        assert_eq!(plain.queries, request.queries);
        assert!(plain.edns.is_none());
        request.edns = Some(Edns::new());
        let with_edns = refused_not_authoritative(&request);
        let edns = with_edns.edns.unwrap();
        let options = &edns.options().options;
        assert!(options.iter().any(|(_, option)| matches!(option,
            EdnsOption::Unknown(EDNS_OPTION_EXTENDED_ERROR, data) if data.as_slice() == [0, 20])));
    }
}
