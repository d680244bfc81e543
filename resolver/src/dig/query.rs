//! Builds the query message for one lookup: random ID, RD per `+[no]recurse`, EDNS per `+edns`,
//! `+bufsize` and `+nsid`. Pure; the wire bytes go to the transport unchanged.

use std::str::FromStr;

use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::rdata::opt::{EdnsOption, NSIDPayload};
use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::dig::error::DigError;
use crate::dig::options::QueryOptions;

/// Parses a query name; dig treats every name as absolute (it does not apply a search list).
pub fn query_name(text: &str) -> Result<Name, DigError> {
    let mut name = Name::from_str(text).map_err(|_| DigError::InvalidName(text.to_string()))?;
    name.set_fqdn(true);
    Ok(name)
}

/// The query message for `name`/`record_type`/`class` with the lookup's options.
pub fn build_query(
    name: Name,
    record_type: RecordType,
    class: DNSClass,
    options: &QueryOptions,
) -> Result<Message, DigError> {
    let mut message = Message::query();
    // RFC 5452 §4.3: an unpredictable ID is the first defence against spoofed replies.
    message.metadata.id = rand::random::<u16>();
    message.metadata.recursion_desired = options.recurse;
    let mut query = Query::query(name, record_type);
    query.set_query_class(class);
    message.add_query(query);
    // `+nsid` needs an OPT record to ride in, so it turns EDNS on even after `+noedns` (as dig does).
    if let Some(version) = options.edns.or(options.nsid.then_some(0)) {
        // RFC 6891 §6.1.2: the OPT record carries the payload size and version.
        let mut edns = Edns::new();
        edns.set_max_payload(options.bufsize);
        edns.set_version(version);
        if options.nsid {
            // RFC 5001 §2.1: the request carries an empty NSID option.
            let payload = NSIDPayload::new(Vec::new())
                .map_err(|_| DigError::Internal("building the NSID option"))?;
            edns.options_mut().insert(EdnsOption::NSID(payload));
        }
        message.set_edns(edns);
    }
    Ok(message)
}

/// The query in wire format.
pub fn encode(message: &Message) -> Result<Vec<u8>, DigError> {
    message
        .to_vec()
        .map_err(|_| DigError::Internal("encoding the query"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::opt::EdnsCode;

    #[test]
    fn options_shape_the_query_header_and_opt_record() {
        let name = query_name("www.example.test").unwrap();
        let options = QueryOptions {
            recurse: false,
            bufsize: 4096,
            ..QueryOptions::default()
        };
        let query = build_query(name.clone(), RecordType::MX, DNSClass::IN, &options).unwrap();
        assert!(!query.metadata.recursion_desired);
        assert_eq!(
            query.edns.as_ref().map(|edns| edns.max_payload()),
            Some(4096)
        );
        assert_eq!(query.queries[0].name().to_string(), "www.example.test.");

        let plain = QueryOptions {
            edns: None,
            ..QueryOptions::default()
        };
        assert!(
            build_query(name.clone(), RecordType::A, DNSClass::IN, &plain)
                .unwrap()
                .edns
                .is_none()
        );

        let nsid = QueryOptions {
            edns: None,
            nsid: true,
            ..QueryOptions::default()
        };
        let query = build_query(name, RecordType::A, DNSClass::IN, &nsid).unwrap();
        assert!(query
            .edns
            .as_ref()
            .and_then(|edns| edns.option(EdnsCode::NSID))
            .is_some());
    }
}
