//! A redirect zone's CNAME chased into resolution (Unbound's `local_alias`: `localzone.c`
//! `local_data_answer`, then the worker's restart at the target and `reply_info_answer_encode`).
//! It only rewrites messages: the caller answers the target (auth zone, cache or resolution).

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, Record};

/// The CNAME a redirect zone (or a client's tag data) answers for a question of another type,
/// owned by the question's name.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalAlias {
    cname: Record,
    target: Name,
}

impl LocalAlias {
    /// `None` unless `cname` is a CNAME record.
    pub fn new(cname: Record) -> Option<LocalAlias> {
        let RData::CNAME(target) = &cname.data else {
            return None;
        };
        let target = target.0.clone();
        Some(LocalAlias { cname, target })
    }

    pub fn target(&self) -> &Name {
        &self.target
    }

    /// `request` asked for the alias target instead: same ID, type, class, flags and EDNS.
    pub fn target_request(&self, request: &Message) -> Message {
        let mut target = request.clone();
        if let Some(query) = target.queries.first_mut() {
            query.set_name(self.target.clone());
        }
        target
    }

    /// The client's answer from the target's: its question, the CNAME first, then the target's
    /// sections. As Unbound: AA set (the local data is the primary answer) and AD cleared for
    /// NOERROR and NXDOMAIN; any other code (SERVFAIL) goes back bare, without the CNAME.
    pub fn response(&self, request: &Message, target: Message) -> Message {
        let mut response = target;
        response.queries = request.queries.clone();
        response.metadata.id = request.metadata.id;
        match response.metadata.response_code {
            ResponseCode::NoError | ResponseCode::NXDomain => {
                response.metadata.authoritative = true;
                response.metadata.authentic_data = false;
                response.answers.insert(0, self.cname.clone());
            }
            _ => {
                response.metadata.authoritative = false;
                response.metadata.authentic_data = false;
                response.answers.clear();
                response.authorities.clear();
                response.additionals.clear();
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::{A, CNAME, SOA};
    use hickory_proto::rr::RecordType;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn alias() -> LocalAlias {
        let cname = Record::from_rdata(
            name("alias.example.net."),
            3600,
            RData::CNAME(CNAME(name("target.example.org."))),
        );
        LocalAlias::new(cname).unwrap()
    }

    fn request() -> Message {
        let mut request = Message::new(7, MessageType::Query, OpCode::Query);
        request.metadata.recursion_desired = true;
        request.add_query(Query::query(name("alias.example.net."), RecordType::A));
        request
    }

    #[test]
    fn target_request_asks_the_target_with_the_same_type() {
        let target = alias().target_request(&request());
        assert_eq!(target.queries[0].name(), &name("target.example.org."));
        assert_eq!(target.queries[0].query_type(), RecordType::A);
        assert_eq!(target.metadata.id, 7);
    }

    #[test]
    fn answer_has_the_cname_first_aa_and_no_ad() {
        let mut target = Message::new(7, MessageType::Response, OpCode::Query);
        target.metadata.authentic_data = true;
        target.add_query(Query::query(name("target.example.org."), RecordType::A));
        target.answers.push(Record::from_rdata(
            name("target.example.org."),
            300,
            RData::A(A::new(192, 0, 2, 1)),
        ));
        let response = alias().response(&request(), target);
        assert_eq!(response.queries[0].name(), &name("alias.example.net."));
        assert_eq!(response.answers.len(), 2);
        assert_eq!(response.answers[0].record_type(), RecordType::CNAME);
        assert!(response.metadata.authoritative);
        assert!(!response.metadata.authentic_data);
    }

    #[test]
    fn nxdomain_target_keeps_the_cname_and_the_soa() {
        let mut target = Message::new(7, MessageType::Response, OpCode::Query);
        target.metadata.response_code = ResponseCode::NXDomain;
        target.authorities.push(Record::from_rdata(
            name("example.org."),
            3600,
            RData::SOA(SOA::new(
                name("ns.example.org."),
                name("hostmaster.example.org."),
                1,
                2,
                3,
                4,
                5,
            )),
        ));
        let response = alias().response(&request(), target);
        assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(response.answers.len(), 1);
        assert_eq!(response.authorities.len(), 1);
        assert!(response.metadata.authoritative);
    }

    #[test]
    fn servfail_target_is_a_bare_servfail() {
        let mut target = Message::new(7, MessageType::Response, OpCode::Query);
        target.metadata.response_code = ResponseCode::ServFail;
        let response = alias().response(&request(), target);
        assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
        assert!(response.answers.is_empty());
        assert!(!response.metadata.authoritative);
    }
}
