//! Replays one scenario against a real `Resolver` on the scripted transport and the manual clock,
//! step by step, on its own thread so that a panic or a hang fails that scenario and nothing else.
//! A query stays in flight while later steps run (replay.h): its REPLY, TIME_PASSES, CHECK_ANSWER.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};

use crate::auth_zone::DownstreamAuthZones;
use crate::clock::{Clock, ManualClock};
use crate::config::ResolverConfig;
use crate::policy::{AfterResolution, BeforeResolution};
use crate::replay::error::ParseError;
use crate::replay::expected_failures::ExpectedFailures;
use crate::replay::expression::{ExpressionError, Variables};
use crate::replay::header::{replay_config, ReplayConfig};
use crate::replay::in_flight::{Answer, ClientQuery, InFlight};
use crate::replay::limits::{MAX_ELAPSE_SECONDS, SCENARIO_WALL_LIMIT};
use crate::replay::matcher::compare;
use crate::replay::mock_answer::message_from_entry;
use crate::replay::outcome::{timed_out, Failure, ScenarioReport};
use crate::replay::parser::parse_file;
use crate::replay::scenario::{Entry, Scenario, StepKind};
use crate::replay::scripted_transport::{ExchangeRecord, ScriptedTransport};
use crate::response::{refused_not_authoritative, refused_prohibited};
use crate::server::access::{AccessAction, AccessList};
use crate::server::access_settings::apply as apply_access;
use crate::server::client_tags::TagNames;
use crate::server::cookies::{
    attach as attach_cookie, check as check_cookie, gate as cookie_gate, request_cookie,
    CookieSecret, CookieVerdict,
};
use crate::server::local_alias::LocalAlias;
use crate::server::local_answers::{LocalAnswers, LocalOutcome};
use crate::server::local_zone_client::ClientView;
use crate::server::message::{
    echoed_error, encode_response, error_response, parse_request, read_header,
    refused_question_type, rejection_response, size_limit, RequestHeader,
};
use crate::server::tcp_keepalive::{self, KeepaliveAnswer};
use crate::Resolver;
use authority::listen::{Protocol, TcpConnection};

/// How many scenarios passed and failed; `failed` counts every scenario that did not pass,
/// `unsupported` and `expected` (listed in the expected-failures file) among them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub unsupported: usize,
    pub expected: usize,
    /// Unsupported keys and steps with the number of scenarios each stopped, most first.
    pub unsupported_keys: Vec<(String, usize)>,
    /// Listed as expected to fail, yet passed: an error, the list is out of date.
    pub unexpected_passes: Vec<String>,
}

impl Summary {
    /// Every scenario not expected to fail passed, and none expected to fail passed.
    pub fn clean(&self) -> bool {
        self.failed == self.expected && self.unexpected_passes.is_empty()
    }

    fn count(&mut self, report: &ScenarioReport, expected: &ExpectedFailures) {
        let listed = expected.reason(&report.name).is_some();
        if report.passed() {
            self.passed += 1;
            if listed {
                self.unexpected_passes.push(report.name.clone());
            }
            return;
        }
        self.failed += 1;
        if listed {
            self.expected += 1;
        }
        if let Some(keys) = report.unsupported() {
            self.unsupported += 1;
            for key in keys {
                match self
                    .unsupported_keys
                    .iter_mut()
                    .find(|(known, _)| known == key)
                {
                    Some((_, count)) => *count += 1,
                    None => self.unsupported_keys.push((key.clone(), 1)),
                }
            }
            self.unsupported_keys
                .sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
        }
    }
}

/// Replays every file in order, handing each report to `on_report` as soon as it is known.
pub fn run_files(
    paths: &[PathBuf],
    expected: &ExpectedFailures,
    mut on_report: impl FnMut(&ScenarioReport),
) -> Summary {
    let mut summary = Summary::default();
    for path in paths {
        let report = run_file(path);
        summary.count(&report, expected);
        on_report(&report);
    }
    summary
}

/// Parses and replays one file; an unreadable or malformed file is a failed scenario.
pub fn run_file(path: &Path) -> ScenarioReport {
    match parse_file(path) {
        Ok(scenario) => run_scenario(scenario, path),
        Err(error) => {
            let name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            ScenarioReport {
                name,
                result: Err(Failure::Unparsable(error)),
                ignored_options: Vec::new(),
                exchanges: Vec::new(),
            }
        }
    }
}

/// Replays a parsed scenario; `file` names it in header errors.
pub fn run_scenario(scenario: Scenario, file: &Path) -> ScenarioReport {
    let name = scenario.name.clone();
    let config = match replay_config(&scenario) {
        Ok(config) => config,
        Err((line, kind)) => {
            let error = ParseError {
                file: file.to_path_buf(),
                line,
                kind,
            };
            return ScenarioReport {
                name,
                result: Err(Failure::Unparsable(error)),
                ignored_options: Vec::new(),
                exchanges: Vec::new(),
            };
        }
    };
    let ignored_options = config.ignored.clone();
    if !config.unsupported.is_empty() {
        return ScenarioReport {
            name,
            result: Err(Failure::Unsupported(config.unsupported)),
            ignored_options,
            exchanges: Vec::new(),
        };
    }
    let (sender, receiver) = mpsc::channel();
    let scenario = Arc::new(scenario);
    let spawned = std::thread::Builder::new()
        .name(format!("replay {name}"))
        .spawn(move || {
            // The receiver may have given up (hang); nobody is left to tell.
            let _ = sender.send(replay(scenario, config));
        });
    let (result, exchanges) = match spawned {
        Err(error) => (Err(Failure::Runtime(error.kind())), Vec::new()),
        Ok(handle) => match receiver.recv_timeout(SCENARIO_WALL_LIMIT) {
            Ok(verdict) => {
                let _ = handle.join();
                verdict
            }
            // The thread cannot be killed; it is left behind, detached, and the process goes on.
            Err(RecvTimeoutError::Timeout) => (Err(Failure::Hung), Vec::new()),
            Err(RecvTimeoutError::Disconnected) => {
                let message = panic_message(handle.join());
                (Err(Failure::Panicked { message }), Vec::new())
            }
        },
    };
    ScenarioReport {
        name,
        result,
        ignored_options,
        exchanges,
    }
}

fn panic_message(joined: std::thread::Result<()>) -> String {
    let Err(payload) = joined else {
        return "replay thread ended without a verdict".to_owned();
    };
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-text panic payload".to_owned()
    }
}

/// The verdict and the upstream exchange log of one replay.
type Verdict = (Result<(), Failure>, Vec<ExchangeRecord>);

fn replay(scenario: Arc<Scenario>, config: ReplayConfig) -> Verdict {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return (Err(Failure::Runtime(error.kind())), Vec::new()),
    };
    let transport = Arc::new(ScriptedTransport::new(
        Arc::clone(&scenario),
        config.stub_address,
        config.do_not_query_localhost,
    ));
    let local = match LocalAnswers::build(&config.local) {
        Ok(local) => local,
        Err(error) => {
            return (
                Err(Failure::Unsupported(vec![format!(
                    "local settings: {error}"
                )])),
                Vec::new(),
            )
        }
    };
    // Unbound's default access list (loopback allowed) with the scenario's lines over it.
    let names = TagNames::define(
        config
            .local
            .define_tags
            .iter()
            .map(|line| line.text.as_str()),
    );
    let access = match names.map_err(|error| error.to_string()).and_then(|names| {
        apply_access(AccessList::loopback_only(), &config.access, &names)
            .map_err(|error| error.to_string())
    }) {
        Ok(access) => access,
        Err(error) => {
            return (
                Err(Failure::Unsupported(vec![format!(
                    "access settings: {error}"
                )])),
                Vec::new(),
            )
        }
    };
    let result = runtime.block_on(replay_steps(
        &scenario,
        config.resolver,
        Client {
            may_snoop: config.may_snoop,
            access: &access,
            cookie_secret: config.cookie_secret,
            tcp_keepalive: config.tcp_keepalive,
            tcp_connection: TcpConnection::new(),
            auth_zones: config.downstream_auth_zones.as_ref(),
        },
        &local,
        &transport,
    ));
    (result, transport.log())
}

/// The daemon's client policy, as the replayed clients meet it.
struct Client<'a> {
    /// Every client may snoop (Deckard's kresd answers RD=0).
    may_snoop: bool,
    access: &'a AccessList,
    cookie_secret: Option<CookieSecret>,
    /// RFC 7828 keepalive on TCP queries (`MATCH TCP`), with the idle timeout it announces.
    tcp_keepalive: Option<Duration>,
    /// The one TCP connection every `MATCH TCP` query travels on: what it remembers (testbound's
    /// `tcp_seen_keepalive`, one per run).
    tcp_connection: TcpConnection,
    /// `auth-zone:` clauses for downstream.
    auth_zones: Option<&'a DownstreamAuthZones>,
}

async fn replay_steps(
    scenario: &Scenario,
    config: ResolverConfig,
    client_policy: Client<'_>,
    local: &LocalAnswers,
    transport: &Arc<ScriptedTransport>,
) -> Result<(), Failure> {
    let clock = Arc::new(ManualClock::new());
    let limits = config.requests;
    let resolver = Resolver::new(config, transport.clone(), clock.clone());
    let mut in_flight = InFlight::new(&resolver, limits);
    let mut next_id: u16 = 1;
    let mut variables = Variables::default();
    // An Unbound scenario (an unbound.conf `server:` header), replayed as testbound does.
    let testbound = scenario
        .options
        .iter()
        .any(|option| option.clause == "server");
    for step in &scenario.steps {
        // Exchanges scripted for this step are delivered, and their resolutions go on.
        transport.set_step(step.id);
        in_flight.settle(step.id, clock.now()).await?;
        match &step.kind {
            StepKind::Query(entry) => {
                // Answers already checked are done with; unchecked ones wait for their CHECK_ANSWER.
                in_flight.answers.retain(|answer| !answer.checked);
                transport.start_client_query();
                let bytes = match &entry.raw {
                    Some(raw) => raw.clone(),
                    None => {
                        let mut request = message_from_entry(entry, None);
                        request.metadata.id = next_id;
                        next_id = next_id.wrapping_add(1);
                        request
                            .to_vec()
                            .map_err(|error| Failure::ResponseNotEncodable {
                                step: step.id,
                                reason: error.to_string(),
                            })?
                    }
                };
                // The daemon's handler on TCP (RFC 7828): a malformed keepalive option is
                // FORMERR; the option asked for comes back with the idle timeout, and so it does
                // on every later TCP query of the connection.
                let keepalive = match (entry.rules.tcp, client_policy.tcp_keepalive) {
                    (true, Some(idle)) => match tcp_keepalive::answer_for(
                        tcp_keepalive::requested(&bytes),
                        Some(&client_policy.tcp_connection),
                    ) {
                        KeepaliveAnswer::Plain => None,
                        KeepaliveAnswer::WithOption => Some(idle),
                        KeepaliveAnswer::FormatError => {
                            let formerr = read_header(&bytes).and_then(|(header, _)| {
                                error_response(header, ResponseCode::FormErr, None, None)
                            });
                            if let Some(message) =
                                formerr.and_then(|bytes| Message::from_vec(&bytes).ok())
                            {
                                in_flight.answers.push(Answer {
                                    id: message.metadata.id,
                                    step: step.id,
                                    message,
                                    checked: false,
                                });
                            }
                            continue;
                        }
                    },
                    _ => None,
                };
                // The daemon's front door: a request it rejects (malformed, records where a
                // query has none, another opcode) is answered from its header, or dropped.
                // Question types it never resolves (zone transfers, meta types) likewise.
                let refusal = match parse_request(&bytes) {
                    Ok(request) => match refused_question_type(request.query.query_type()) {
                        None => Ok(request.message),
                        Some(code) => Err(echoed_error(
                            RequestHeader::of(&request.message),
                            code,
                            Some(&request.query),
                        )),
                    },
                    Err(rejection) => Err(rejection_response(&rejection)),
                };
                let mut request = match refusal {
                    Ok(request) => request,
                    Err(response) => {
                        if let Some(response) = response {
                            let message = Message::from_vec(&response).map_err(|error| {
                                Failure::ResponseNotDecodable {
                                    step: step.id,
                                    reason: error.to_string(),
                                }
                            })?;
                            in_flight.answers.push(Answer {
                                id: message.metadata.id,
                                step: step.id,
                                message,
                                checked: false,
                            });
                        }
                        continue;
                    }
                };
                // The daemon's handler answers local zones and identity first, and applies its
                // response rules (private addresses, round-robin, NSID) to every answer.
                let id = request.metadata.id;
                let query_step = step.id;
                // The daemon's access control (testbound's clients are 127.0.0.1 by default).
                let address = step.address.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
                let rule = client_policy.access.rule_for(address);
                let action = rule.map_or(AccessAction::Refuse, |rule| rule.action);
                let refused = |request: &Message| -> Result<Answer, Failure> {
                    let mut response = refused_prohibited(request);
                    local.finish(request, &mut response, false);
                    Ok(Answer {
                        id,
                        step: query_step,
                        message: as_received(&response, query_step)?,
                        checked: false,
                    })
                };
                match action {
                    AccessAction::Deny => continue,
                    AccessAction::Refuse => {
                        in_flight.answers.push(refused(&request)?);
                        continue;
                    }
                    AccessAction::AllowSetRd => request.metadata.recursion_desired = true,
                    _ => {}
                }
                // DNS cookies (testbound's clock starts at 0, as the cookies' timestamps do).
                let verdict = match &client_policy.cookie_secret {
                    Some(secret) => {
                        let now = u32::try_from(clock.now().as_secs()).unwrap_or(u32::MAX);
                        check_cookie(request_cookie(&request), secret, address, now)
                    }
                    None => CookieVerdict::Absent,
                };
                if let Some(mut response) =
                    cookie_gate(&request, &verdict, action, !entry.rules.tcp)
                {
                    local.finish(&request, &mut response, false);
                    in_flight.answers.push(Answer {
                        id,
                        step: query_step,
                        message: as_received(&response, query_step)?,
                        checked: false,
                    });
                    continue;
                }
                let may_snoop = client_policy.may_snoop || action == AccessAction::AllowSnoop;
                // The daemon's size limit: a UDP client's payload size (512 without EDNS), up
                // to 1232 as Unbound's. Deckard's answers were recorded from Knot Resolver
                // with a 4096-byte buffer, so its scenarios are not truncated.
                let protocol = if entry.rules.tcp || !testbound {
                    Protocol::Tcp
                } else {
                    Protocol::Udp
                };
                let limit = size_limit(protocol, request.edns.as_ref());
                let over_udp = protocol == Protocol::Udp;
                // The daemon's response policy (Unbound's rpz before local zones).
                let (rpz_passthru, policy_alias) =
                    match local.policy().before(&request, Some(address), over_udp) {
                        BeforeResolution::Drop => continue,
                        BeforeResolution::Answer(mut response) => {
                            local.finish(&request, &mut response, false);
                            attach_cookie(&mut response, &verdict);
                            let mut message =
                                as_sent(&response, &request, query_step, limit, keepalive)?;
                            message.metadata.truncation |= response.metadata.truncation;
                            in_flight.answers.push(Answer {
                                id,
                                step: query_step,
                                message,
                                checked: false,
                            });
                            continue;
                        }
                        BeforeResolution::Resolve { rpz_passthru } => (rpz_passthru, None),
                        BeforeResolution::Alias(cname) => {
                            (false, LocalAlias::new(cname).map(Box::new))
                        }
                    };
                // A policy CNAME is chased as a local alias is; the local zones are not asked.
                let (outcome, alias) = match policy_alias {
                    Some(alias) => (LocalOutcome::Resolve, Some(alias)),
                    None => match local.answer_for(&request, &ClientView::of(address, rule)) {
                        LocalOutcome::Alias(alias) => (LocalOutcome::Resolve, Some(alias)),
                        outcome => (outcome, None),
                    },
                };
                // As the daemon's handler: downstream auth zones answer after the local zones,
                // before the non-local and RD=0 rules; a local alias's target is chased into
                // them once those rules let it through.
                let non_local_only = matches!(
                    action,
                    AccessAction::DenyNonLocal | AccessAction::RefuseNonLocal
                );
                let chased = match (&alias, client_policy.auth_zones) {
                    (None, Some(zones)) if matches!(outcome, LocalOutcome::Resolve) => {
                        zones.answer(&request).map(|response| {
                            let offered = request.metadata.recursion_desired && action.resolves();
                            (response, offered)
                        })
                    }
                    (Some(alias), Some(zones))
                        if !non_local_only && (request.metadata.recursion_desired || may_snoop) =>
                    {
                        zones
                            .answer(&alias.target_request(&request))
                            .map(|response| (alias.response(&request, response), true))
                    }
                    _ => None,
                };
                if let Some((mut response, recursion_offered)) = chased {
                    local.finish(&request, &mut response, false);
                    attach_cookie(&mut response, &verdict);
                    let mut message = as_sent(&response, &request, query_step, limit, keepalive)?;
                    message.metadata.recursion_available = recursion_offered;
                    in_flight.answers.push(Answer {
                        id,
                        step: query_step,
                        message,
                        checked: false,
                    });
                    continue;
                }
                match outcome {
                    LocalOutcome::Drop => continue,
                    LocalOutcome::Resolve if action == AccessAction::DenyNonLocal => continue,
                    LocalOutcome::Resolve if action == AccessAction::RefuseNonLocal => {
                        in_flight.answers.push(refused(&request)?);
                    }
                    LocalOutcome::Answer(mut response) => {
                        local.finish(&request, &mut response, false);
                        attach_cookie(&mut response, &verdict);
                        in_flight.answers.push(Answer {
                            id,
                            step: query_step,
                            message: as_sent(&response, &request, query_step, limit, keepalive)?,
                            checked: false,
                        });
                    }
                    // As the daemon's handler: RD=0 from a client that may not snoop.
                    LocalOutcome::Resolve if !request.metadata.recursion_desired && !may_snoop => {
                        let mut response = refused_not_authoritative(&request);
                        local.finish(&request, &mut response, false);
                        attach_cookie(&mut response, &verdict);
                        in_flight.answers.push(Answer {
                            id,
                            step: query_step,
                            message: as_sent(&response, &request, query_step, limit, keepalive)?,
                            checked: false,
                        });
                    }
                    // With every place of the request list taken, a cache hit is still
                    // answered (the daemon answers from the cache before the list; Unbound's
                    // worker before its mesh).
                    LocalOutcome::Resolve if in_flight.full() && alias.is_none() => {
                        if let Some(mut response) = resolver.resolve_from_cache(&request) {
                            let after = local.policy().after(
                                &request,
                                &mut response,
                                Some(address),
                                over_udp,
                                rpz_passthru,
                            );
                            if after != AfterResolution::Drop {
                                local.finish(&request, &mut response, true);
                                attach_cookie(&mut response, &verdict);
                                let mut message =
                                    as_sent(&response, &request, query_step, limit, keepalive)?;
                                message.metadata.truncation |=
                                    after == AfterResolution::SendTruncated;
                                in_flight.answers.push(Answer {
                                    id,
                                    step: query_step,
                                    message,
                                    checked: false,
                                });
                            }
                        } else {
                            start_resolution(
                                &mut in_flight,
                                &resolver,
                                local,
                                request,
                                query_step,
                                clock.now(),
                                Delivery {
                                    verdict,
                                    keepalive,
                                    limit,
                                    alias: None,
                                    policy: PolicyPlan {
                                        client: address,
                                        over_udp,
                                        rpz_passthru,
                                    },
                                },
                            );
                        }
                    }
                    // (an alias was taken out above: `outcome` is never one)
                    LocalOutcome::Resolve | LocalOutcome::Alias(_) => {
                        start_resolution(
                            &mut in_flight,
                            &resolver,
                            local,
                            request,
                            query_step,
                            clock.now(),
                            Delivery {
                                verdict,
                                keepalive,
                                limit,
                                alias,
                                policy: PolicyPlan {
                                    client: address,
                                    over_udp,
                                    rpz_passthru,
                                },
                            },
                        );
                    }
                }
                in_flight.settle(step.id, clock.now()).await?;
            }
            StepKind::CheckAnswer(entry) => {
                // A query held for a RANGE that begins at this step is answered first.
                in_flight.settle(step.id, clock.now()).await?;
                check_answer(entry, step.id, &mut in_flight.answers, transport)?
            }
            // Timers on the resolver's clock (the serve-expired client timeout) fire here.
            StepKind::TimePasses(elapse) => {
                clock.advance(*elapse);
                in_flight.settle(step.id, clock.now()).await?;
            }
            StepKind::TimePassesEval(expression) => {
                let seconds =
                    variables
                        .evaluate_number(expression, clock.now())
                        .map_err(|error| Failure::Expression {
                            step: step.id,
                            error,
                        })?;
                if !(0.0..=MAX_ELAPSE_SECONDS).contains(&seconds) {
                    return Err(Failure::Expression {
                        step: step.id,
                        error: ExpressionError::OutOfRange(seconds.to_string()),
                    });
                }
                clock.advance(Duration::from_secs_f64(seconds));
                in_flight.settle(step.id, clock.now()).await?;
            }
            StepKind::Assign {
                variable,
                expression,
            } => {
                let value = variables.expand(expression, clock.now()).map_err(|error| {
                    Failure::Expression {
                        step: step.id,
                        error,
                    }
                })?;
                variables
                    .assign(variable, value)
                    .map_err(|error| Failure::Expression {
                        step: step.id,
                        error,
                    })?;
            }
            StepKind::CheckOutQuery(entry) => {
                transport
                    .check_sent(entry, step.address)
                    .map_err(|mismatch| Failure::OutQuery {
                        step: step.id,
                        mismatch,
                    })?
            }
            StepKind::CheckTempfile { name, contents } => {
                check_tempfile(scenario, name, contents, &variables, clock.now()).map_err(
                    |reason| Failure::Tempfile {
                        step: step.id,
                        reason,
                    },
                )?
            }
            // REPLY, TIMEOUT and ERROR are taken by the transport when a query needs them, and
            // delivered when their step is reached (`set_step` above).
            StepKind::Reply(_)
            | StepKind::Nothing
            | StepKind::Traffic
            | StepKind::Timeout
            | StepKind::Error => {}
            // These act on resolver internals the replay has no door to (the infrastructure and
            // message caches, RFC 5011 state): the scenario cannot be judged, which is not a pass.
            StepKind::InfraRtt { .. } => return Err(unsupported_step(step.id, "INFRA_RTT")),
            StepKind::FlushMessage(_) => return Err(unsupported_step(step.id, "FLUSH_MESSAGE")),
            StepKind::ExpireMessage(_) => return Err(unsupported_step(step.id, "EXPIRE_MESSAGE")),
            StepKind::CheckAutotrust { .. } => {
                return Err(unsupported_step(step.id, "CHECK_AUTOTRUST"))
            }
        }
        if let Some(failure) = transport.failures().into_iter().next() {
            return Err(Failure::Network(failure));
        }
    }
    // testbound ends with what is still in flight dropped (a scenario answers it with a REPLY).
    let failures = transport.failures().into_iter();
    match failures.chain(transport.unused_mandatory_entries()).next() {
        Some(failure) => Err(Failure::Network(failure)),
        None => Ok(()),
    }
}

/// A query the resolver works on, in flight until answered, holding a place of the request list
/// (or dropped, unanswered, when the list is full).
fn start_resolution<'a>(
    in_flight: &mut InFlight<'a>,
    resolver: &'a Resolver,
    local: &'a LocalAnswers,
    request: Message,
    query_step: u64,
    now: Duration,
    delivery: Delivery,
) {
    let id = request.metadata.id;
    // A local alias resolves its target; the client gets the CNAME in front (`local_alias`).
    let key_request = match &delivery.alias {
        Some(alias) => alias.target_request(&request),
        None => request.clone(),
    };
    let asked = key_request.clone();
    let query = ClientQuery {
        id,
        step: query_step,
        response: Box::pin(async move {
            // RD=0 (a client that may snoop) as the daemon's `InFlight` answers it: the cache's
            // answer or its referral, validated first if need be; never resolved.
            let mut response = if request.metadata.recursion_desired {
                resolver.resolve(&asked).await
            } else {
                resolver.answer_without_recursion(&asked).await
            };
            if let Some(alias) = &delivery.alias {
                response = alias.response(&request, response);
            }
            let plan = &delivery.policy;
            let after = local.policy().after(
                &request,
                &mut response,
                Some(plan.client),
                plan.over_udp,
                plan.rpz_passthru,
            );
            if after == AfterResolution::Drop {
                return Ok(None);
            }
            local.finish(&request, &mut response, true);
            attach_cookie(&mut response, &delivery.verdict);
            as_sent(
                &response,
                &request,
                query_step,
                delivery.limit,
                delivery.keepalive,
            )
            .map(|mut message| {
                message.metadata.truncation |= after == AfterResolution::SendTruncated;
                Some(message)
            })
        }),
    };
    if !in_flight.start(query, &key_request, now) {
        tracing::debug!(step = query_step, "request list full: query dropped");
    }
}

/// How the daemon sends one client its answer: the cookie verdict its option earned, the size
/// limit of its transport, and the keepalive option (TCP) it asked for.
struct Delivery {
    verdict: CookieVerdict,
    keepalive: Option<Duration>,
    limit: usize,
    /// A local alias (a redirect zone's or a policy's CNAME): put in front of its target's
    /// answer.
    alias: Option<Box<LocalAlias>>,
    policy: PolicyPlan,
}

/// What the response policy decided before resolution, for its look at the answer.
struct PolicyPlan {
    client: IpAddr,
    over_udp: bool,
    rpz_passthru: bool,
}

/// What the daemon sends `request`'s client: `response` encoded by the daemon's own
/// `encode_response` within `limit` (TC when cut), with the keepalive option it adds on TCP.
fn as_sent(
    response: &Message,
    request: &Message,
    step: u64,
    limit: usize,
    keepalive: Option<Duration>,
) -> Result<Message, Failure> {
    let bytes = encode_response(response.clone(), request, limit).ok_or_else(|| {
        Failure::ResponseNotEncodable {
            step,
            reason: "the daemon's encoder gave no bytes".to_string(),
        }
    })?;
    let bytes = match keepalive {
        Some(idle) => tcp_keepalive::with_keepalive(bytes, idle),
        None => bytes,
    };
    crate::opaque_rdata::decode_keeping_opaque(&bytes).map_err(|error| {
        Failure::ResponseNotDecodable {
            step,
            reason: error.to_string(),
        }
    })
}

/// The response after a trip through the wire format: what a client would receive.
fn as_received(response: &Message, step: u64) -> Result<Message, Failure> {
    let bytes = response
        .to_vec()
        .map_err(|error| Failure::ResponseNotEncodable {
            step,
            reason: error.to_string(),
        })?;
    crate::opaque_rdata::decode_keeping_opaque(&bytes).map_err(|error| {
        Failure::ResponseNotDecodable {
            step,
            reason: error.to_string(),
        }
    })
}

/// CHECK_ANSWER: the oldest unchecked answer that matches `entry` is checked (testbound's answer
/// list); with every answer checked, the latest is checked again (Deckard). A mismatch is
/// reported against the newest candidate, the answer to the query just before, as a rule.
fn check_answer(
    entry: &Entry,
    step: u64,
    answers: &mut [Answer],
    transport: &ScriptedTransport,
) -> Result<(), Failure> {
    let unchecked: Vec<usize> = (0..answers.len())
        .filter(|&index| answers.get(index).is_some_and(|answer| !answer.checked))
        .collect();
    let candidates = if unchecked.is_empty() {
        answers.len().checked_sub(1).into_iter().collect()
    } else {
        unchecked
    };
    let mut last_failure = None;
    for index in candidates {
        let Some(answer) = answers.get_mut(index) else {
            continue;
        };
        let verdict = judge(entry, step, answer, transport);
        match verdict {
            Ok(()) => {
                answer.checked = true;
                return Ok(());
            }
            Err(failure) => {
                last_failure = Some(failure);
            }
        }
    }
    Err(last_failure.unwrap_or(Failure::NoAnswerToCheck { step }))
}

fn judge(
    entry: &Entry,
    step: u64,
    answer: &Answer,
    transport: &ScriptedTransport,
) -> Result<(), Failure> {
    if answer.message.metadata.id != answer.id {
        return Err(Failure::IdMismatch {
            step,
            sent: answer.id,
            received: answer.message.metadata.id,
        });
    }
    compare(entry, &answer.message, None).map_err(|mismatch| Failure::Check {
        step,
        mismatch,
        timed_out: transport
            .log()
            .into_iter()
            .filter(|exchange| exchange.step == answer.step && timed_out(exchange))
            .collect(),
    })
}

fn unsupported_step(step: u64, kind: &'static str) -> Failure {
    Failure::Unsupported(vec![format!("STEP {step} {kind}")])
}

/// testbound's CHECK_TEMPFILE: the resolver writes no files, so the file still holds what the
/// header wrote; it must equal the expected lines after macro expansion.
fn check_tempfile(
    scenario: &Scenario,
    name: &str,
    expected: &[String],
    variables: &Variables,
    now: Duration,
) -> Result<(), String> {
    let Some(file) = scenario.tempfiles.iter().find(|file| file.name == name) else {
        return Err(format!("no TEMPFILE_CONTENTS {name} in the header"));
    };
    let mut wanted = Vec::new();
    for line in expected {
        wanted.push(
            variables
                .expand(line, now)
                .map_err(|error| error.to_string())?,
        );
    }
    let have: Vec<&str> = file.contents.lines().collect();
    if have == wanted {
        Ok(())
    } else {
        Err(format!(
            "{name} holds {} lines, not the {} expected",
            have.len(),
            wanted.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::matcher::Mismatch;
    use crate::replay::parser::parse_str;
    use crate::replay::scenario::HeaderOption;

    /// A root that refuses everything; checks only what the resolver contract guarantees (the
    /// response echoes the question), so these tests hold whatever the resolver's progress.
    fn scenario(steps: &str) -> Scenario {
        let text = format!(
            "stub-addr: 192.0.2.53\nCONFIG_END\nSCENARIO_BEGIN runner test\nRANGE_BEGIN 0 100\n\
             ADDRESS 192.0.2.53\nENTRY_BEGIN\nMATCH opcode\nADJUST copy_id copy_query\nREPLY QR REFUSED\n\
             ENTRY_END\nRANGE_END\n{steps}SCENARIO_END\n"
        );
        parse_str("runner_test", Path::new("runner_test.rpl"), &text).unwrap()
    }

    const QUERY: &str =
        "STEP 1 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nwww.example.com. IN A\nENTRY_END\n";

    #[test]
    fn a_check_on_what_the_response_echoes_passes() {
        let steps = format!(
            "{QUERY}STEP 10 CHECK_ANSWER\nENTRY_BEGIN\nMATCH opcode question\nSECTION QUESTION\n\
             www.example.com. IN A\nENTRY_END\n"
        );
        let report = run_scenario(scenario(&steps), Path::new("runner_test.rpl"));
        assert!(report.passed(), "{report}");
        assert_eq!(report.to_string(), "PASS runner_test");
    }

    #[test]
    fn a_failed_check_names_the_step_and_the_difference() {
        let steps = format!(
            "{QUERY}STEP 10 CHECK_ANSWER\nENTRY_BEGIN\nMATCH qname\nSECTION QUESTION\n\
             other.example.com. IN A\nENTRY_END\n"
        );
        let report = run_scenario(scenario(&steps), Path::new("runner_test.rpl"));
        let Err(Failure::Check { step, mismatch, .. }) = &report.result else {
            panic!("{report}")
        };
        assert_eq!(*step, 10);
        assert!(matches!(mismatch, Mismatch::Qname { .. }), "{mismatch}");
        assert!(
            report.to_string().starts_with(
                "FAIL runner_test: step 10: qname www.example.com., expected other.example.com."
            ),
            "{report}"
        );
    }

    #[test]
    fn a_check_without_an_answer_fails_and_garbage_raw_queries_get_none() {
        let steps =
            "STEP 1 QUERY\nENTRY_BEGIN\nRAW\nb5c9ca3d50104320f4120000000000000000\nENTRY_END\n\
                     STEP 2 CHECK_ANSWER\nENTRY_BEGIN\nMATCH opcode\nENTRY_END\n";
        let report = run_scenario(scenario(steps), Path::new("runner_test.rpl"));
        assert!(
            matches!(report.result, Err(Failure::NoAnswerToCheck { step: 2 })),
            "{report}"
        );
    }

    #[test]
    fn a_header_key_without_equivalent_makes_the_scenario_unsupported_not_run() {
        let mut unsupported = scenario(QUERY);
        unsupported.options.push(HeaderOption {
            key: "ipsecmod-enabled".to_owned(),
            value: "yes".to_owned(),
            line: 2,
            clause: "server".to_owned(),
            clause_line: 1,
        });
        let report = run_scenario(unsupported, Path::new("runner_test.rpl"));
        assert_eq!(
            report.unsupported(),
            Some(&["ipsecmod-enabled".to_owned()][..])
        );
        assert_eq!(
            report.to_string(),
            "FAIL runner_test: unsupported: ipsecmod-enabled"
        );
    }

    #[test]
    fn check_out_query_fails_when_no_such_upstream_query_was_sent_and_eval_moves_time() {
        let steps = format!(
            "STEP 0 ASSIGN wait = 5\nSTEP 0 TIME_PASSES EVAL ${{$wait * 2}}\n{QUERY}\
             STEP 2 CHECK_OUT_QUERY\nENTRY_BEGIN\nMATCH qname qtype\nSECTION QUESTION\n\
             never.asked. IN MX\nENTRY_END\n"
        );
        let report = run_scenario(scenario(&steps), Path::new("runner_test.rpl"));
        let Err(Failure::OutQuery { step, mismatch }) = &report.result else {
            panic!("{report}")
        };
        assert_eq!(*step, 2);
        assert!(mismatch.contains("no upstream query matches"), "{mismatch}");
    }

    #[test]
    fn steps_on_resolver_internals_are_unsupported_at_run_time() {
        let steps = format!("{QUERY}STEP 3 INFRA_RTT 192.0.2.53 . 100\n");
        let report = run_scenario(scenario(&steps), Path::new("runner_test.rpl"));
        assert_eq!(
            report.unsupported(),
            Some(&["STEP 3 INFRA_RTT".to_owned()][..])
        );
    }

    /// A root serving its own NS, and `www.example.com. A` only through a REPLY step.
    fn in_flight_scenario(header: &str, steps: &str) -> Scenario {
        let text = format!(
            "server:\n\tqname-minimisation: no\n{header}stub-zone:\n\tname: \".\"\n\tstub-addr: 192.0.2.53\n\
             CONFIG_END\nSCENARIO_BEGIN in flight\nRANGE_BEGIN 0 100\nADDRESS 192.0.2.53\n\
             ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\nSECTION QUESTION\n\
             . IN NS\nSECTION ANSWER\n. IN NS ns.root.\nSECTION ADDITIONAL\nns.root. IN A 192.0.2.53\n\
             ENTRY_END\nRANGE_END\n{steps}SCENARIO_END\n"
        );
        parse_str("in_flight", Path::new("in_flight.rpl"), &text).unwrap()
    }

    const ASK_WWW: &str =
        "ENTRY_BEGIN\nREPLY RD DO\nSECTION QUESTION\nwww.example.com. IN A\nENTRY_END\n";

    fn reply_www(address: &str) -> String {
        format!(
            "ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA NOERROR\n\
             SECTION QUESTION\nwww.example.com. IN A\nSECTION ANSWER\n\
             www.example.com. 100 IN A {address}\nENTRY_END\n"
        )
    }

    fn check_www(address: &str, extra_match: &str) -> String {
        format!(
            "ENTRY_BEGIN\nMATCH opcode question answer{extra_match}\nSECTION QUESTION\n\
             www.example.com. IN A\nSECTION ANSWER\nwww.example.com. IN A {address}\nENTRY_END\n"
        )
    }

    #[test]
    fn a_udp_answer_over_the_daemons_size_limit_is_truncated_as_the_daemon_does() {
        // 100 addresses (about 1.6 kB) are past the 1232 bytes the daemon sends over UDP.
        let addresses: String = (1..=100)
            .map(|host| format!("www.example.com. 100 IN A 192.0.2.{host}\n"))
            .collect();
        let steps = format!(
            "STEP 1 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\nwww.example.com. IN A\n\
             ENTRY_END\nSTEP 2 REPLY\nENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\n\
             REPLY QR AA NOERROR\nSECTION QUESTION\nwww.example.com. IN A\nSECTION ANSWER\n\
             {addresses}ENTRY_END\nSTEP 3 CHECK_ANSWER\nENTRY_BEGIN\nMATCH opcode question flags\n\
             REPLY QR TC RD RA\nSECTION QUESTION\nwww.example.com. IN A\nENTRY_END\n"
        );
        let report = run_scenario(in_flight_scenario("", &steps), Path::new("t.rpl"));
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn a_query_stays_in_flight_until_the_step_that_scripts_its_upstream_reply() {
        let early = format!(
            "STEP 1 QUERY\n{ASK_WWW}STEP 2 CHECK_ANSWER\n{}STEP 3 REPLY\n{}",
            check_www("192.0.2.80", ""),
            reply_www("192.0.2.80")
        );
        let report = run_scenario(in_flight_scenario("", &early), Path::new("in_flight.rpl"));
        assert!(
            matches!(report.result, Err(Failure::NoAnswerToCheck { step: 2 })),
            "not answered before its REPLY step: {report}"
        );
        let after = format!(
            "STEP 1 QUERY\n{ASK_WWW}STEP 3 REPLY\n{}STEP 4 CHECK_ANSWER\n{}",
            reply_www("192.0.2.80"),
            check_www("192.0.2.80", "")
        );
        let report = run_scenario(in_flight_scenario("", &after), Path::new("in_flight.rpl"));
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn time_passing_while_a_refresh_is_in_flight_fires_the_serve_expired_client_timeout() {
        let header = "\tserve-expired: yes\n\tserve-expired-client-timeout: 500\n\tede: yes\n\
                      \tede-serve-expired: yes\n";
        let steps = |wait: &str| {
            format!(
                "STEP 1 QUERY\n{ASK_WWW}STEP 2 REPLY\n{}STEP 3 CHECK_ANSWER\n{}\
                 STEP 4 TIME_PASSES ELAPSE 200\nSTEP 10 QUERY\n{ASK_WWW}{wait}\
                 STEP 20 CHECK_ANSWER\n{}STEP 30 REPLY\n{}",
                reply_www("192.0.2.80"),
                check_www("192.0.2.80", ""),
                check_www("192.0.2.80", " ede=3"),
                reply_www("192.0.2.81")
            )
        };
        // 0.499 s: the client still waits; 0.5 s: it gets the stale answer (EDE 3).
        let early = steps("STEP 11 TIME_PASSES ELAPSE 0.499\n");
        let report = run_scenario(
            in_flight_scenario(header, &early),
            Path::new("in_flight.rpl"),
        );
        assert!(
            matches!(report.result, Err(Failure::NoAnswerToCheck { step: 20 })),
            "{report}"
        );
        let timed_out =
            steps("STEP 11 TIME_PASSES ELAPSE 0.499\nSTEP 12 TIME_PASSES ELAPSE 0.001\n");
        let report = run_scenario(
            in_flight_scenario(header, &timed_out),
            Path::new("in_flight.rpl"),
        );
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn a_check_answer_takes_the_answer_that_matches_among_those_received() {
        // Two queries answered out of order by their REPLY steps; each check finds its own.
        let steps = format!(
            "STEP 1 QUERY\n{ASK_WWW}STEP 2 QUERY\nENTRY_BEGIN\nREPLY RD\nSECTION QUESTION\n\
             . IN NS\nENTRY_END\nSTEP 3 REPLY\n{}STEP 4 CHECK_ANSWER\n{}STEP 5 CHECK_ANSWER\n\
             ENTRY_BEGIN\nMATCH opcode question\nSECTION QUESTION\n. IN NS\nENTRY_END\n",
            reply_www("192.0.2.80"),
            check_www("192.0.2.80", "")
        );
        let report = run_scenario(in_flight_scenario("", &steps), Path::new("in_flight.rpl"));
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn a_panicking_replay_thread_reports_its_message() {
        let joined = std::thread::spawn(|| panic!("resolver exploded")).join();
        assert_eq!(panic_message(joined), "resolver exploded");
        let formatted = std::thread::spawn(|| panic!("step {}", 7)).join();
        assert_eq!(panic_message(formatted), "step 7");
        assert_eq!(
            panic_message(Ok(())),
            "replay thread ended without a verdict"
        );
    }

    #[test]
    fn a_header_value_the_runner_cannot_use_fails_the_scenario_as_unparsable() {
        let mut bad = scenario(QUERY);
        bad.options[0].value = "not-an-address".to_owned();
        let report = run_scenario(bad, Path::new("runner_test.rpl"));
        assert!(
            matches!(report.result, Err(Failure::Unparsable(_))),
            "{report}"
        );
        assert!(
            report
                .to_string()
                .contains("runner_test.rpl:1: header option `stub-addr`"),
            "{report}"
        );
    }
}
