//! One request's bytes to one response's bytes, answered from a `Catalog`: pure and without
//! sockets; the listener calls it through `handler.rs`, and rate limiting (`rrl`) runs on its result.
//!
//! ```text
//! bytes → memo.rs (hit: the stored response, ID patched) ────────────────────────────┐
//!       → request.rs (parse, or FORMERR/NOTIMP/BADVERS) → lookup.rs (catalog + question → Answer)
//!       → response.rs (wire, truncation by RRset) → memo.rs (remembered) → handler.rs ┴→ rrl (UDP) → listen/
//! ```
//! identity.rs: CH TXT `id.server`/`version.bind` answers and the NSID option, built once at start.

pub mod handler;
pub mod identity;
pub mod lookup;
pub mod memo;
pub mod request;
pub mod response;
