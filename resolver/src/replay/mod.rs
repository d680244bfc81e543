//! Replays testbound/Deckard `.rpl` scenarios against the resolver: scripted upstream servers, a
//! manual clock, and Deckard's matching rules for every CHECK_ANSWER. Test tooling; never on a socket.
//!
//! ```text
//! file ─ parser ─▶ Scenario ─ header ─▶ ResolverConfig   (or `unsupported: KEY`, not run)
//!  (header_text: unbound.conf fragment,      │
//!   entry_text: MATCH/ADJUST/REPLY,          ▼
//!   record_text + crate::presentation)   runner (QUERY, CHECK_*, TIME_PASSES, ASSIGN… steps;
//!                     │                       expression: ${...} macros)
//!                     ▼                          │
//!           scripted_transport ◀── Resolver::resolve
//!       (RANGE entries via matcher, then REPLY/TIMEOUT/ERROR steps;
//!        mock_answer builds replies)   matcher judges CHECK_ANSWER ─▶ outcome
//!                                      expected_failures decides what a failure means
//!   in_flight: client queries and refreshes kept running across steps, polled until settled
//! ```

pub mod entry_text;
pub mod error;
pub mod expected_failures;
pub mod expression;
pub mod header;
pub mod header_text;
pub mod ignored_options;
pub mod in_flight;
pub mod knot_policy;
pub mod limits;
pub mod matcher;
pub mod mock_answer;
pub mod outcome;
pub mod parser;
pub mod record_text;
pub mod runner;
pub mod scenario;
pub mod scripted_transport;

pub use error::{ParseError, ParseErrorKind};
pub use expected_failures::ExpectedFailures;
pub use outcome::{Failure, ScenarioReport};
pub use parser::{parse_file, parse_str};
pub use runner::{run_file, run_files, run_scenario, Summary};
