//! Integration tests of the authority crate: one binary, modules grouped by behaviour.

#[path = "authority/support.rs"]
mod support;

#[path = "authority/answer_memo.rs"]
mod answer_memo;
#[path = "authority/answers.rs"]
mod answers;
#[path = "authority/edns_replies.rs"]
mod edns_replies;
#[path = "authority/interop_knot.rs"]
mod interop_knot;
#[path = "authority/interop_nsd.rs"]
mod interop_nsd;
#[path = "authority/loader_errors.rs"]
mod loader_errors;
#[path = "authority/loader_formats.rs"]
mod loader_formats;
#[path = "authority/loader_mistakes.rs"]
mod loader_mistakes;
#[path = "authority/rate_limit.rs"]
mod rate_limit;
#[path = "authority/reload.rs"]
mod reload;
#[path = "authority/serve_and_dig.rs"]
mod serve_and_dig;
#[path = "authority/signing.rs"]
mod signing;
#[path = "authority/wire.rs"]
mod wire;
