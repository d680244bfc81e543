//! Client response assembly: the request's ID and question, QR+RA, RD copied, the rcode, and
//! the answer records with TTLs already counted down. Never adds data the scrubber did not pass.

use hickory_proto::op::{Edns, Message, MessageType, ResponseCode};
use hickory_proto::rr::Record;

use crate::limits::EDNS_BUFFER_SIZE;

/// The outcome of a resolution, ready to become a response.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    pub response_code: ResponseCode,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
}

impl Resolution {
    pub fn server_failure() -> Self {
        Resolution {
            response_code: ResponseCode::ServFail,
            answers: Vec::new(),
            authorities: Vec::new(),
        }
    }
}

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
        response.edns = Some(edns);
    }
    response
}

pub fn build_response(request: &Message, resolution: Resolution) -> Message {
    let mut response = response_skeleton(request, resolution.response_code);
    response.answers = resolution.answers;
    response.authorities = resolution.authorities;
    response
}
