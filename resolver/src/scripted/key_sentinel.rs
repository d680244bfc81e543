//! RFC 8509 root key sentinel names on a signed network: judged on secure A/AAAA answers only,
//! SERVFAIL when the name's claim about the root anchor's key tag is wrong.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};

use crate::scripted::network::*;
use crate::scripted::signed_network::*;

/// `owner` answered signed for A and TXT by `example.`.
fn signed_sentinel_name(internet: &mut SignedInternet, owner: &str) {
    let address = internet.child.signed(vec![a(owner, "192.0.2.53")]);
    internet.on_child(owner, RecordType::A, answer(address));
    let text = Record::from_rdata(
        name(owner),
        3600,
        RData::TXT(TXT::new(vec!["sentinel".to_string()])),
    );
    let text = internet.child.signed(vec![text]);
    internet.on_child(owner, RecordType::TXT, answer(text));
}

#[tokio::test]
async fn sentinel_names_judge_address_answers_against_the_root_anchor() {
    let mut internet = SignedInternet::new(1);
    let tag = internet.root.key.key_tag();
    let other = tag.wrapping_add(1) % 10_000;
    let not_trusted = format!("root-key-sentinel-not-ta-{tag:05}.example.");
    let is_trusted = format!("root-key-sentinel-is-ta-{tag:05}.example.");
    let is_other = format!("root-key-sentinel-is-ta-{other:05}.example.");
    for owner in [&not_trusted, &is_trusted, &is_other] {
        signed_sentinel_name(&mut internet, owner);
    }
    let config = internet.config();
    let setup = setup(internet.network, config);
    let rcode = |owner: &str, record_type| {
        let query = ad_query(owner, record_type);
        let resolver = &setup.resolver;
        async move { resolver.resolve(&query).await.metadata.response_code }
    };
    assert_eq!(
        rcode(&not_trusted, RecordType::A).await,
        ResponseCode::ServFail
    );
    assert_eq!(
        rcode(&is_trusted, RecordType::A).await,
        ResponseCode::NoError
    );
    assert_eq!(
        rcode(&is_other, RecordType::A).await,
        ResponseCode::ServFail
    );
    // Only address questions are judged (§3.2).
    assert_eq!(
        rcode(&not_trusted, RecordType::TXT).await,
        ResponseCode::NoError
    );
}
