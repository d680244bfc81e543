//! The verdict on one scenario and why it failed, printed as `PASS name` / `FAIL name: why`.
//! Only describes results; producing them is `runner`.

use std::fmt;

use crate::replay::error::ParseError;
use crate::replay::matcher::Mismatch;
use crate::replay::scenario::HeaderOption;
use crate::replay::scripted_transport::{ExchangeOutcome, ExchangeRecord, NetworkFailure};

/// One scenario's result, with the header options the resolver could not honour.
#[derive(Clone, Debug)]
pub struct ScenarioReport {
    pub name: String,
    pub result: Result<(), Failure>,
    pub ignored_options: Vec<HeaderOption>,
    /// The upstream exchanges of the replay (bounded), to explain a failure.
    pub exchanges: Vec<ExchangeRecord>,
}

/// Whether an exchange ended without a reply (so the resolver saw a timeout).
pub fn timed_out(exchange: &ExchangeRecord) -> bool {
    matches!(
        exchange.outcome,
        ExchangeOutcome::Lost | ExchangeOutcome::Silent { .. }
    )
}

impl ScenarioReport {
    pub fn passed(&self) -> bool {
        self.result.is_ok()
    }

    /// Whether the scenario needs something the resolver or the runner does not have.
    pub fn unsupported(&self) -> Option<&[String]> {
        match &self.result {
            Err(Failure::Unsupported(what)) => Some(what),
            _ => None,
        }
    }
}

impl fmt::Display for ScenarioReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            Ok(()) => write!(f, "PASS {}", self.name),
            Err(failure) => write!(f, "FAIL {}: {failure}", self.name),
        }
    }
}

/// Why a scenario failed: the first thing that went wrong.
#[derive(Clone, Debug)]
pub enum Failure {
    Unparsable(ParseError),
    /// Header keys with no resolver equivalent (`trust-anchor`, `serve-expired`...) or steps on
    /// resolver internals (`STEP 5 INFRA_RTT`): not replayed, so neither passed nor judged failed.
    Unsupported(Vec<String>),
    /// A `${...}` macro of TIME_PASSES EVAL, ASSIGN or CHECK_TEMPFILE could not be evaluated.
    Expression {
        step: u64,
        error: crate::replay::expression::ExpressionError,
    },
    /// CHECK_OUT_QUERY: no upstream query like the entry was sent.
    OutQuery {
        step: u64,
        mismatch: String,
    },
    /// CHECK_TEMPFILE: the file does not hold the expected lines.
    Tempfile {
        step: u64,
        reason: String,
    },
    /// The runtime for the replay could not be built.
    Runtime(std::io::ErrorKind),
    Network(NetworkFailure),
    /// CHECK_ANSWER disagreed; `timed_out` lists upstream queries of that resolution nothing answered.
    Check {
        step: u64,
        mismatch: Mismatch,
        timed_out: Vec<ExchangeRecord>,
    },
    NoAnswerToCheck {
        step: u64,
    },
    IdMismatch {
        step: u64,
        sent: u16,
        received: u16,
    },
    ResponseNotEncodable {
        step: u64,
        reason: String,
    },
    ResponseNotDecodable {
        step: u64,
        reason: String,
    },
    /// The work in flight after a step kept waking itself for `MAX_SETTLE_ROUNDS` rounds.
    ResolveStuck {
        step: u64,
    },
    Panicked {
        message: String,
    },
    /// The whole scenario did not finish within `SCENARIO_WALL_LIMIT` (a loop that never yields).
    Hung,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Unparsable(error) => write!(f, "cannot parse: {error}"),
            Failure::Unsupported(what) => write!(f, "unsupported: {}", what.join(", ")),
            Failure::Expression { step, error } => write!(f, "step {step}: macro: {error}"),
            Failure::OutQuery { step, mismatch } => write!(f, "step {step}: {mismatch}"),
            Failure::Tempfile { step, reason } => write!(f, "step {step}: {reason}"),
            Failure::Runtime(kind) => write!(f, "cannot start runtime: {kind}"),
            Failure::Network(failure) => write!(f, "{failure}"),
            Failure::Check {
                step,
                mismatch,
                timed_out,
            } => {
                write!(f, "step {step}: {mismatch}")?;
                if let Some(first) = timed_out.first() {
                    let count = timed_out.len();
                    write!(
                        f,
                        " ({count} upstream timed out, first {} to {})",
                        first.question, first.address
                    )?;
                }
                Ok(())
            }
            Failure::NoAnswerToCheck { step } => write!(f, "step {step}: no answer to check"),
            Failure::IdMismatch {
                step,
                sent,
                received,
            } => {
                write!(f, "step {step}: response ID {received}, query ID {sent}")
            }
            Failure::ResponseNotEncodable { step, reason } => {
                write!(f, "step {step}: response cannot be encoded: {reason}")
            }
            Failure::ResponseNotDecodable { step, reason } => {
                write!(f, "step {step}: encoded response does not decode: {reason}")
            }
            Failure::ResolveStuck { step } => {
                write!(f, "step {step}: resolution in flight did not settle")
            }
            Failure::Panicked { message } => write!(f, "panicked: {message}"),
            Failure::Hung => write!(f, "hung (scenario did not finish)"),
        }
    }
}
