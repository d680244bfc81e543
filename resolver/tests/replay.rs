//! Replays the scenario folders read in place (never copied): Deckard's iter/ and dnssec/ and
//! Unbound's testdata, each passing but the committed expected failures (what `replay` exits 0
//! on), and checks that every file parses. Skips an absent folder unless in CI.

#[path = "support/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};

use resolver::replay::ExpectedFailures;

/// CI sets `CI` (hosted runners) or `DNS_TESTS_REQUIRE_TOOLS=1` (this repository's `.ci/run`).
fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
        || std::env::var("DNS_TESTS_REQUIRE_TOOLS").is_ok_and(|value| value == "1")
}

/// `shared/<folder>` in the folder holding the checkout, with `..` resolved so a message names
/// the real place.
fn scenario_folder(folder: &str) -> PathBuf {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let checkout = checkout.canonicalize().unwrap_or(checkout);
    checkout
        .parent()
        .unwrap_or(&checkout)
        .join("shared")
        .join(folder)
}

/// The `.rpl` files of `../shared/<folder>` (relative to the workspace root), sorted; `None` (after
/// recording the skip) when the folder is absent outside CI.
fn scenarios(folder: &str) -> Option<Vec<PathBuf>> {
    let folder = scenario_folder(folder);
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

fn iter_scenarios() -> Option<Vec<PathBuf>> {
    scenarios("deckard-scenarios/iter")
}

/// The committed expected-failures file (deliberate design differences only).
fn expected_failures() -> ExpectedFailures {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("replay-expected-failures.txt");
    ExpectedFailures::read(&path).unwrap_or_else(|error| panic!("{error}"))
}

mod parsing {
    use super::*;
    use resolver::replay::header::replay_config;
    use resolver::replay::parse_file;

    /// Every file parses and its header maps onto settings, or names the keys it needs that the
    /// resolver does not have (`unsupported`), which is fine at parse level.
    fn all_parse_and_map(files: &[PathBuf]) {
        let mut errors = Vec::new();
        for file in files {
            let scenario = match parse_file(file) {
                Ok(scenario) => scenario,
                Err(error) => {
                    errors.push(error.to_string());
                    continue;
                }
            };
            if scenario.steps.is_empty() {
                errors.push(format!("{} has no steps", file.display()));
            }
            if let Err((line, kind)) = replay_config(&scenario) {
                errors.push(format!("{}:{line}: {kind}", file.display()));
            }
        }
        assert!(
            errors.is_empty(),
            "{} files do not parse:\n{}",
            errors.len(),
            errors.join("\n")
        );
    }

    #[test]
    fn every_deckard_iter_scenario_parses_and_maps_onto_resolver_settings() {
        let Some(files) = iter_scenarios() else {
            return;
        };
        all_parse_and_map(&files);
        for file in &files {
            let config = replay_config(&parse_file(file).unwrap()).unwrap();
            assert!(
                config.stub_address.is_some(),
                "{} has no stub-addr",
                file.display()
            );
        }
    }

    #[test]
    fn every_deckard_dnssec_scenario_parses() {
        if let Some(files) = scenarios("deckard-scenarios/dnssec") {
            all_parse_and_map(&files);
        }
    }

    #[test]
    fn every_unbound_scenario_parses_val_ones_included() {
        if let Some(files) = scenarios("unbound-testdata") {
            all_parse_and_map(&files);
        }
    }
}

mod replaying {
    use super::*;
    use resolver::replay::{run_files, Failure};

    /// Deckard's iter/ folder: every scenario passes but the listed deliberate differences.
    #[test]
    fn deckard_iter_scenarios_pass_but_the_expected_failures() {
        if let Some(files) = iter_scenarios() {
            only_expected_failures(&files);
        }
    }

    /// Deckard's dnssec/ folder, the same rule.
    #[test]
    fn deckard_dnssec_scenarios_pass_but_the_expected_failures() {
        if let Some(files) = scenarios("deckard-scenarios/dnssec") {
            only_expected_failures(&files);
        }
    }

    /// Unbound's testdata (val_ ones included), the same rule: what `replay` exits 0 on.
    #[test]
    fn unbound_scenarios_pass_but_the_expected_failures() {
        if let Some(files) = scenarios("unbound-testdata") {
            only_expected_failures(&files);
        }
    }

    /// Every scenario of `files` passes unless replay-expected-failures.txt names it, none
    /// panics, hangs or fails to parse, and none that is named passes (the list stays honest).
    fn only_expected_failures(files: &[PathBuf]) {
        let expected = expected_failures();
        let mut broken = Vec::new();
        let mut unexpected = Vec::new();
        let summary = run_files(files, &expected, |report| {
            println!("{report}");
            if !report.passed() && expected.reason(&report.name).is_none() {
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
            "scenarios failed that are not in replay-expected-failures.txt:\n{}",
            unexpected.join("\n")
        );
        assert!(
            summary.unexpected_passes.is_empty(),
            "pass but are listed as expected to fail: {:?}",
            summary.unexpected_passes
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
            .arg("--no-expected-failures")
            .args(chosen)
            .output()
            .expect("run replay");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(lines.len() > chosen.len(), "{stdout}");
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
        assert_eq!(lines.get(chosen.len()).copied(), Some(totals.as_str()));
        assert_eq!(output.status.success(), failed == 0);
    }

    #[test]
    fn an_expected_failure_keeps_the_exit_code_zero_and_says_why() {
        let Some(files) = iter_scenarios() else {
            return;
        };
        let Some(cycle) = files.iter().find(|file| file.ends_with("iter_recurse.rpl")) else {
            panic!("iter_recurse.rpl missing")
        };
        let output = Command::new(env!("CARGO_BIN_EXE_replay"))
            .arg(cycle)
            .output()
            .expect("run replay");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("(expected: "), "{stdout}");
        assert!(stdout.contains("\n0 passed, 1 failed\n"), "{stdout}");
        assert_eq!(output.status.code(), Some(0), "{stdout}");
    }

    #[test]
    fn a_listed_scenario_that_passes_is_an_error() {
        let Some(files) = iter_scenarios() else {
            return;
        };
        let Some(resolve) = files.iter().find(|file| file.ends_with("iter_resolve.rpl")) else {
            panic!("iter_resolve.rpl missing")
        };
        let list = std::env::temp_dir().join(format!("replay-expected-{}.txt", std::process::id()));
        std::fs::write(&list, "iter_resolve  listed on purpose by this test\n").unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_replay"))
            .arg("--expected-failures")
            .arg(&list)
            .arg(resolve)
            .output()
            .expect("run replay");
        let _ = std::fs::remove_file(&list);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("passes but is listed as expected to fail"),
            "{stdout}"
        );
        assert_eq!(output.status.code(), Some(1), "{stdout}");
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
