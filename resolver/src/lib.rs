//! A caching recursive resolver as a library: iterate from root hints or forward, cache RRsets.
//! Flow: client message → cache lookup → iterator states (transport) → scrubber → cache → answer.

pub mod clock;
pub mod config;
pub mod transport;
pub mod server;

use std::sync::Arc;

use hickory_proto::op::Message;

use crate::clock::Clock;
use crate::config::ResolverConfig;
use crate::transport::Transport;

/// The resolver: one per process, shared by every client query.
pub struct Resolver {
    #[allow(dead_code)]
    config: ResolverConfig,
    #[allow(dead_code)]
    transport: Arc<dyn Transport>,
    #[allow(dead_code)]
    clock: Arc<dyn Clock>,
}

impl Resolver {
    pub fn new(config: ResolverConfig, transport: Arc<dyn Transport>, clock: Arc<dyn Clock>) -> Self {
        Resolver { config, transport, clock }
    }

    /// Answers one client query message (already parsed) with a complete response message:
    /// same ID and question, QR and RA set, RD copied, rcode NOERROR/NXDOMAIN/SERVFAIL/...
    pub async fn resolve(&self, request: &Message) -> Message {
        let mut response = request.clone();
        response.metadata.message_type = hickory_proto::op::MessageType::Response;
        response.metadata.response_code = hickory_proto::op::ResponseCode::ServFail;
        response
    }
}
