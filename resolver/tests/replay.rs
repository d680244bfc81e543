//! Replays Unbound's and Deckard's iterator scenarios (../shared/deckard-scenarios/iter/, read in place,
//! never copied) through the `replay` runner and binary. Skips when the folder is absent, unless in CI.

#[path = "support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};

/// Scenarios that passed at the last recorded run. The target is every scenario; this floor only
/// stops regressions until the resolver gets there. Raise it whenever more pass.
const PASSING_FLOOR: usize = 50;

/// Scenarios allowed to fail, each with the reason. Any other failure fails the test, so a
/// regression cannot hide behind the floor while an allowed one happens to start passing.
const ALLOWED_TO_FAIL: &[(&str, &str)] = &[(
    "iter_cycle_noh",
    "needs Unbound's `harden-glue: no` (accept out-of-bailiwick glue); the resolver always \
     scrubs out-of-bailiwick glue (an anti-poisoning rule of the project) and has no setting to turn it off",
)];

/// CI sets `CI` (hosted runners) or `DNS_TESTS_REQUIRE_TOOLS=1` (this repository's `.ci/run`).
fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
        || std::env::var("DNS_TESTS_REQUIRE_TOOLS").is_ok_and(|value| value == "1")
}

/// `shared/deckard-scenarios/iter` in the folder holding the checkout, with `..` resolved so a
/// message names the real place.
fn scenario_folder() -> PathBuf {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let checkout = checkout.canonicalize().unwrap_or(checkout);
    checkout
        .parent()
        .unwrap_or(&checkout)
        .join("shared/deckard-scenarios/iter")
}

/// The scenario files, sorted; `None` (after printing why) when the folder is absent outside CI.
fn iter_scenarios() -> Option<Vec<PathBuf>> {
    let folder = scenario_folder();
    let Ok(listing) = std::fs::read_dir(&folder) else {
        assert!(
            !in_ci(),
            "{}: no such folder, and CI requires it: the tests read the project's shared/ folder \
             beside the checkout (README, Tests)",
            folder.display()
        );
        skip::record_skip(&format!(
            "{}: no such folder (the project's shared/ folder belongs beside the checkout)",
            folder.display()
        ));
        return None;
    };
    let mut files: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rpl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .rpl files in {}", folder.display());
    Some(files)
}

mod parsing {
    use super::*;
    use resolver::replay::header::replay_config;
    use resolver::replay::parse_file;

    #[test]
    fn every_iter_scenario_parses_and_maps_onto_resolver_settings() {
        let Some(files) = iter_scenarios() else {
            return;
        };
        for file in &files {
            let scenario = parse_file(file).unwrap_or_else(|error| panic!("{error}"));
            assert!(
                !scenario.steps.is_empty(),
                "{} has no steps",
                file.display()
            );
            let config = replay_config(&scenario)
                .unwrap_or_else(|(line, kind)| panic!("{}:{line}: {kind}", file.display()));
            assert!(
                config.stub_address.is_some(),
                "{} has no stub-addr",
                file.display()
            );
            assert_eq!(config.resolver.root_hints.len(), 1, "{}", file.display());
        }
    }
}

mod replaying {
    use super::*;
    use resolver::replay::{run_files, Failure};

    #[test]
    fn iter_scenarios_never_panic_or_hang_and_only_allowed_ones_fail() {
        let Some(files) = iter_scenarios() else {
            return;
        };
        let mut broken = Vec::new();
        let mut unexpected = Vec::new();
        let summary = run_files(&files, |report| {
            println!("{report}");
            let allowed = ALLOWED_TO_FAIL.iter().any(|(name, _)| *name == report.name);
            if !report.passed() && !allowed {
                unexpected.push(report.to_string());
            }
            if matches!(
                report.result,
                Err(Failure::Panicked { .. }
                    | Failure::Hung
                    | Failure::ResolveStuck { .. }
                    | Failure::Unparsable(_))
            ) {
                broken.push(report.to_string());
            }
        });
        println!("{} passed, {} failed", summary.passed, summary.failed);
        assert!(
            broken.is_empty(),
            "scenarios that panicked, hung or did not parse:\n{}",
            broken.join("\n")
        );
        assert!(
            unexpected.is_empty(),
            "scenarios failed that are not in ALLOWED_TO_FAIL:\n{}",
            unexpected.join("\n")
        );
        let shortfall = PASSING_FLOOR.saturating_sub(summary.passed);
        assert_eq!(
            shortfall, 0,
            "{} scenarios passed, fewer than the recorded floor of {PASSING_FLOOR}",
            summary.passed
        );
    }
}

mod binary {
    use super::*;
    use std::process::Command;

    #[test]
    fn prints_one_line_per_scenario_then_the_totals_and_fails_when_any_failed() {
        let Some(files) = iter_scenarios() else {
            return;
        };
        let chosen = &files[..files.len().min(2)];
        let output = Command::new(env!("CARGO_BIN_EXE_replay"))
            .args(chosen)
            .output()
            .expect("run replay");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), chosen.len() + 1, "{stdout}");
        for line in &lines[..chosen.len()] {
            assert!(
                line.starts_with("PASS ") || line.starts_with("FAIL "),
                "{line}"
            );
        }
        let failed = lines
            .iter()
            .filter(|line| line.starts_with("FAIL "))
            .count();
        let totals = format!("{} passed, {failed} failed", chosen.len() - failed);
        assert_eq!(lines.last().copied(), Some(totals.as_str()));
        assert_eq!(output.status.success(), failed == 0);
    }

    #[test]
    fn a_missing_file_is_named_and_no_arguments_is_a_usage_error() {
        let output = Command::new(env!("CARGO_BIN_EXE_replay"))
            .arg("/nonexistent/iter_nothing.rpl")
            .output()
            .expect("run replay");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            stderr, "replay: /nonexistent/iter_nothing.rpl: no such file\n",
            "a missing file is named as the daemons name one, before any scenario runs"
        );
        assert_eq!(output.status.code(), Some(1));
        let usage = Command::new(env!("CARGO_BIN_EXE_replay"))
            .output()
            .expect("run replay");
        assert_eq!(usage.status.code(), Some(2));
    }
}

mod transport {
    use super::*;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;

    use hickory_proto::op::Message;
    use hickory_proto::rr::RData;
    use resolver::replay::header::replay_config;
    use resolver::replay::matcher::compare;
    use resolver::replay::parse_file;
    use resolver::replay::scenario::{MatchRules, StepKind};
    use resolver::replay::scripted_transport::ScriptedTransport;
    use resolver::upstream::transport::{Protocol, Transport};

    /// Referrals a naive walk follows before giving up; real delegation chains here are 2-3 deep.
    const MAX_REFERRALS: usize = 8;

    /// Walks from the stub address down referrals (first glue address each time), no qmin, no cache:
    /// enough to prove the transport answers a real scenario the way its author scripted it.
    fn naive_walk(file: &str) {
        let Some(files) = iter_scenarios() else {
            return;
        };
        let Some(path) = files.iter().find(|path| path.ends_with(file)) else {
            panic!("{file} missing")
        };
        let scenario = parse_file(path).unwrap();
        let config = replay_config(&scenario).unwrap();
        let StepKind::Query(query_entry) = scenario.steps[0].kind.clone() else {
            panic!("first step is no query")
        };
        let check = scenario
            .steps
            .iter()
            .find_map(|step| match &step.kind {
                StepKind::CheckAnswer(entry) => Some(entry.clone()),
                _ => None,
            })
            .unwrap();
        let first_step = scenario.steps[0].id;
        let scenario = Arc::new(scenario);
        let transport = ScriptedTransport::new(scenario, config.stub_address, true);
        transport.set_step(first_step);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut server = config.stub_address.unwrap();
        for hop in 0..MAX_REFERRALS {
            let mut query = Message::query();
            query.metadata.id = u16::try_from(hop).unwrap();
            query.queries = query_entry.question.clone();
            let bytes = query.to_vec().unwrap();
            let exchange = transport.exchange(
                SocketAddr::new(server, 53),
                Protocol::Udp,
                &bytes,
                Duration::from_secs(1),
            );
            let reply = Message::from_vec(&runtime.block_on(exchange).unwrap()).unwrap();
            assert_eq!(reply.metadata.id, query.metadata.id);
            if !reply.answers.is_empty() {
                let mut answer_only = check.clone();
                answer_only.rules = MatchRules {
                    answer: true,
                    ..MatchRules::default()
                };
                assert_eq!(compare(&answer_only, &reply, None), Ok(()), "{file}");
                assert!(
                    transport.failures().is_empty(),
                    "{:?}",
                    transport.failures()
                );
                return;
            }
            server = reply
                .additionals
                .iter()
                .find_map(|record| match &record.data {
                    RData::A(address) => Some(std::net::IpAddr::V4(address.0)),
                    _ => None,
                })
                .unwrap_or_else(|| {
                    panic!("{file}: hop {hop} from {server} is no referral with glue: {reply:?}")
                });
        }
        panic!("{file}: no answer after {MAX_REFERRALS} referrals");
    }

    #[test]
    fn a_naive_referral_walk_reaches_the_checked_answer_of_iter_resolve() {
        naive_walk("iter_resolve.rpl");
    }

    #[test]
    fn a_naive_referral_walk_reaches_the_checked_answer_of_iter_ns_badaa() {
        naive_walk("iter_ns_badaa.rpl");
    }
}
