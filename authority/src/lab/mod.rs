//! `authority --lab DIR`: a miniature Internet on loopback. Every zone of DIR is served only on
//! the addresses its apex NS names resolve to, so a resolver walking it gets real referrals.
//!
//! ```text
//! DIR/*.yaml → Catalog (all zones) → plan.rs (address → zones, loopback only)
//!            → views.rs (one Catalog per address, built once) → handler.rs (pick the view by local address)
//!            → dnssec::lab (sign every zone, children's DS into parents, root trust anchor file)
//!            → run.rs (bind every address, log the plan, reload on SIGHUP)
//! ```

mod error;
mod handler;
mod plan;
mod run;
mod views;

pub use error::LabError;
pub use handler::LabHandler;
pub use plan::{plan_addresses, AddressPlan};
pub use run::{load_lab, load_signed_lab, run_lab, LabOptions};
pub use views::LabViews;
