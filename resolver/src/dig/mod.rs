//! rdig, the bundled dig: dig's command line and output, with `+json` and a `+trace` that shows the
//! resolver's own walk. Flow: args → lookups → query → exchange (transport) → report / json.

pub mod args;
pub mod batch;
pub mod error;
pub mod exchange;
pub mod json;
pub mod limits;
pub mod malformed;
pub mod nssearch;
pub mod options;
pub mod presentation;
pub mod query;
pub mod report;
pub mod resolv_conf;
pub mod run;
pub mod secure_transport;
pub mod socket_transport;
pub mod trace;
pub mod tsig;
pub mod when;
pub mod xfr;
pub mod yaml;

pub use error::DigError;
pub use run::run;
