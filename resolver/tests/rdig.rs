//! rdig end to end: the built binary against nsd on its own loopback addresses, compared with dig.
//! Each test owns one 127.40.x.y address; peers are killed by PID when the test ends.

#[path = "support/skip.rs"]
mod skip;

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RecordType};

/// Port every lab server listens on (unprivileged, so tests need no root).
const LAB_PORT: u16 = 5340;

/// Readiness probes before giving up on a server: 100 × 100 ms read timeout = 10 s at most.
const READY_ATTEMPTS: usize = 100;

/// Whether a Debian tool is usable; panics instead when CI requires every tool.
fn tool_available(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool} || test -x /usr/sbin/{tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        if std::env::var("DNS_TESTS_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{tool} is required (DNS_TESTS_REQUIRE_TOOLS=1) but not installed");
        }
        skip::record_skip(&format!("{tool} not installed"));
    }
    found
}

fn tool_path(tool: &str) -> String {
    let sbin = format!("/usr/sbin/{tool}");
    if std::path::Path::new(&sbin).exists() {
        sbin
    } else {
        tool.to_string()
    }
}

/// Sends one query and waits up to 100 ms for any reply: true once the server answers.
fn answers_query(server: SocketAddr, name: &str) -> bool {
    let Ok(socket) = UdpSocket::bind("127.0.0.1:0") else {
        return false;
    };
    let _ = socket.set_read_timeout(Some(Duration::from_millis(100)));
    let mut message = Message::query();
    let Ok(qname) = name.parse::<Name>() else {
        return false;
    };
    message.add_query(Query::query(qname, RecordType::SOA));
    let Ok(wire) = message.to_vec() else {
        return false;
    };
    if socket.send_to(&wire, server).is_err() {
        return false;
    }
    let mut buffer = [0u8; 4096];
    socket.recv_from(&mut buffer).is_ok()
}

/// nsd serving zones on one loopback address; killed and cleaned up on drop.
struct Nsd {
    child: Child,
    directory: PathBuf,
    address: String,
}

impl Nsd {
    /// Starts nsd on `address`:LAB_PORT with `zones` (origin, zone text). None when nsd is missing.
    fn start(address: &str, zones: &[(&str, &str)]) -> Option<Nsd> {
        Nsd::start_with(address, zones, "", "")
    }

    /// As `start`, with `server_extra` (top-level clauses such as `key:`) and `zone_extra` (lines
    /// inside every `zone:` clause, such as `provide-xfr:`) added to the configuration.
    fn start_with(
        address: &str,
        zones: &[(&str, &str)],
        server_extra: &str,
        zone_extra: &str,
    ) -> Option<Nsd> {
        if !tool_available("nsd") {
            return None;
        }
        let directory =
            std::env::temp_dir().join(format!("rdig-test-{}-{address}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).expect("create temp dir");
        let dir = directory.display();
        let mut config = format!(
            "server:\n  ip-address: {address}@{LAB_PORT}\n  zonesdir: \"{dir}\"\n  pidfile: \"\"\n  username: \"\"\n  database: \"\"\n  zonelistfile: \"{dir}/zone.list\"\n  xfrdfile: \"{dir}/xfrd.state\"\n  xfrdir: \"{dir}\"\n  chroot: \"\"\n  verbosity: 1\n  nsid: \"ascii_lab-ns\"\nremote-control:\n  control-enable: no\n"
        );
        config.push_str(server_extra);
        for (index, (origin, text)) in zones.iter().enumerate() {
            let file = format!("zone{index}.zone");
            std::fs::write(directory.join(&file), text).expect("write zone");
            config.push_str(&format!(
                "zone:\n  name: \"{origin}\"\n  zonefile: \"{file}\"\n"
            ));
            config.push_str(zone_extra);
        }
        let config_path = directory.join("nsd.conf");
        std::fs::write(&config_path, config).expect("write nsd.conf");
        let log = std::fs::File::create(directory.join("nsd.log")).expect("log file");
        let child = Command::new(tool_path("nsd"))
            .arg("-d")
            .arg("-c")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start nsd");
        let nsd = Nsd {
            child,
            directory,
            address: address.to_string(),
        };
        let server: SocketAddr = format!("{address}:{LAB_PORT}").parse().expect("address");
        let origin = zones.first().map(|(origin, _)| *origin).unwrap_or(".");
        let ready = (0..READY_ATTEMPTS).any(|_| answers_query(server, origin));
        assert!(
            ready,
            "nsd on {address} never answered; log: {:?}",
            std::fs::read_to_string(nsd.directory.join("nsd.log"))
        );
        Some(nsd)
    }

    fn server_args(&self) -> Vec<String> {
        vec![
            format!("@{}", self.address),
            "-p".to_string(),
            LAB_PORT.to_string(),
        ]
    }
}

impl Drop for Nsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn run(program: &str, arguments: &[String]) -> Output {
    Command::new(program)
        .args(arguments)
        .output()
        .expect("run command")
}

fn rdig(arguments: &[String]) -> Output {
    run(env!("CARGO_BIN_EXE_rdig"), arguments)
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|word| word.to_string()).collect()
}

/// The lab zone most tests query.
const EXAMPLE_ZONE: &str = "$ORIGIN example.test.
$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.1
www IN AAAA 2001:db8::1
@ IN MX 10 mail
mail IN A 192.0.2.25
txt IN TXT \"hello world\" \"second string\"
sub IN NS ns.sub
ns.sub IN A 192.0.2.54
alias IN CNAME www
_sip._udp IN SRV 10 20 5060 www
";

/// A reverse zone for `-x` tests.
const REVERSE_ZONE: &str = "$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@ IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300
@ IN NS ns1.example.test.
1 IN PTR www.example.test.
";

/// A zone whose TXT RRset is far larger than 512 bytes, to force TC=1 without EDNS.
fn big_zone() -> String {
    let mut zone = String::from(
        "$ORIGIN big.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n",
    );
    for index in 0..20 {
        zone.push_str(&format!(
            "txt IN TXT \"record number {index:02} padded with text to make it long\"\n"
        ));
    }
    zone
}

/// Records of each section, parsed from dig-style text (rdig's or dig's), as sorted lines of
/// whitespace-separated fields.
fn sections(output: &str) -> std::collections::BTreeMap<String, Vec<Vec<String>>> {
    let mut result = std::collections::BTreeMap::new();
    let mut current: Option<String> = None;
    for line in output.lines() {
        if let Some(title) = line
            .strip_prefix(";; ")
            .and_then(|rest| rest.strip_suffix(" SECTION:"))
        {
            current = Some(title.to_string());
            continue;
        }
        if line.is_empty() {
            current = None;
            continue;
        }
        if let Some(section) = &current {
            let fields = line.split_whitespace().map(str::to_string).collect();
            result
                .entry(section.clone())
                .or_insert_with(Vec::new)
                .push(fields);
        }
    }
    for records in result.values_mut() {
        records.sort();
    }
    result
}

mod sections_and_flags {
    use super::*;

    #[test]
    fn answer_authority_additional_and_flags_are_printed_like_dig() {
        let Some(nsd) = Nsd::start("127.40.1.1", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["www.example.test", "+norec"]));
        let output = rdig(&arguments);
        assert_eq!(output.status.code(), Some(0));
        let stdout = text(&output);
        assert!(
            stdout.contains(";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: "),
            "{stdout}"
        );
        assert!(
            stdout.contains(";; flags: qr aa; QUERY: 1, ANSWER: 1, AUTHORITY: 1, ADDITIONAL: 2"),
            "{stdout}"
        );
        assert!(
            stdout.contains(";; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains(";; QUESTION SECTION:\n;www.example.test.\t\tIN\tA\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains(";; ANSWER SECTION:\nwww.example.test.\t3600\tIN\tA\t192.0.2.1\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains(
                ";; AUTHORITY SECTION:\nexample.test.\t\t3600\tIN\tNS\tns1.example.test.\n"
            ),
            "{stdout}"
        );
        assert!(
            stdout.contains(";; ADDITIONAL SECTION:\nns1.example.test.\t3600\tIN\tA\t192.0.2.53\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!(
                ";; SERVER: 127.40.1.1#{LAB_PORT}(127.40.1.1) (UDP)\n"
            )),
            "{stdout}"
        );
        assert!(stdout.contains(";; MSG SIZE  rcvd: "), "{stdout}");
    }

    #[test]
    fn recursion_desired_without_available_warns_and_nxdomain_exits_zero() {
        let Some(nsd) = Nsd::start("127.40.1.2", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["missing.example.test", "+nsid"]));
        let output = rdig(&arguments);
        assert_eq!(output.status.code(), Some(0));
        let stdout = text(&output);
        assert!(stdout.contains("status: NXDOMAIN"), "{stdout}");
        assert!(stdout.contains(";; flags: qr aa rd;"), "{stdout}");
        assert!(
            stdout.contains(";; WARNING: recursion requested but not available"),
            "{stdout}"
        );
        assert!(
            stdout.contains("; NSID: 6c 61 62 2d 6e 73 (\"lab-ns\")"),
            "{stdout}"
        );
        assert!(
            stdout.contains(
                "IN\tSOA\tns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300"
            ),
            "{stdout}"
        );
    }

    #[test]
    fn noall_answer_prints_only_answer_records() {
        let Some(nsd) = Nsd::start("127.40.1.3", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["+noall", "+ans", "example.test", "MX"]));
        let output = rdig(&arguments);
        assert_eq!(
            text(&output),
            "example.test.\t\t3600\tIN\tMX\t10 mail.example.test.\n"
        );
    }

    #[test]
    fn short_prints_only_answer_rdata() {
        let Some(nsd) = Nsd::start("127.40.1.4", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["txt.example.test", "TXT", "+short"]));
        assert_eq!(
            text(&rdig(&arguments)),
            "\"hello world\" \"second string\"\n"
        );
    }
}

mod transports {
    use super::*;

    #[test]
    fn tcp_option_queries_over_tcp() {
        let Some(nsd) = Nsd::start("127.40.2.1", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["+tcp", "www.example.test", "AAAA"]));
        let stdout = text(&rdig(&arguments));
        assert!(
            stdout.contains("www.example.test.\t3600\tIN\tAAAA\t2001:db8::1"),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("#{LAB_PORT}(127.40.2.1) (TCP)")),
            "{stdout}"
        );
    }

    #[test]
    fn truncated_udp_answer_is_retried_over_tcp() {
        let zone = big_zone();
        let Some(nsd) = Nsd::start("127.40.2.2", &[("big.test.", &zone)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["+noedns", "txt.big.test", "TXT"]));
        let stdout = text(&rdig(&arguments));
        assert!(
            stdout.contains(";; Truncated, retrying in TCP mode.\n"),
            "{stdout}"
        );
        assert!(stdout.contains("(TCP)"), "{stdout}");
        assert_eq!(
            sections(&stdout).get("ANSWER").map(Vec::len),
            Some(20),
            "{stdout}"
        );
    }

    #[test]
    fn ignore_keeps_the_truncated_udp_answer() {
        let zone = big_zone();
        let Some(nsd) = Nsd::start("127.40.2.3", &[("big.test.", &zone)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["+noedns", "+ignore", "txt.big.test", "TXT"]));
        let stdout = text(&rdig(&arguments));
        assert!(!stdout.contains("Truncated"), "{stdout}");
        assert!(stdout.contains(";; flags: qr aa tc rd;"), "{stdout}");
        assert!(stdout.contains("(UDP)"), "{stdout}");
    }

    #[test]
    fn silent_server_times_out_with_exit_code_9() {
        // A bound socket that never answers: the query is received and ignored.
        let silent = UdpSocket::bind(("127.40.2.4", LAB_PORT)).expect("bind silent socket");
        let output = rdig(&words(&[
            "@127.40.2.4",
            "-p",
            &LAB_PORT.to_string(),
            "x.test",
            "+time=1",
            "+tries=1",
        ]));
        drop(silent);
        assert_eq!(output.status.code(), Some(9));
        let stdout = text(&output);
        assert!(
            stdout.contains(&format!(
                ";; communications error to 127.40.2.4#{LAB_PORT}: timed out\n"
            )),
            "{stdout}"
        );
        assert!(
            stdout.contains(";; no servers could be reached\n"),
            "{stdout}"
        );
    }

    #[test]
    fn closed_port_is_no_reply_with_exit_code_9() {
        let output = rdig(&words(&[
            "@127.40.2.5",
            "-p",
            &LAB_PORT.to_string(),
            "x.test",
            "+time=1",
            "+tries=1",
        ]));
        assert_eq!(output.status.code(), Some(9));
        assert!(text(&output).contains(";; no servers could be reached"));
    }
}

mod command_line {
    use super::*;

    #[test]
    fn reverse_lookup_queries_ptr_name() {
        let Some(nsd) = Nsd::start(
            "127.40.3.1",
            &[
                ("2.0.192.in-addr.arpa.", REVERSE_ZONE),
                ("example.test.", EXAMPLE_ZONE),
            ],
        ) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["-x", "192.0.2.1", "+short"]));
        assert_eq!(text(&rdig(&arguments)), "www.example.test.\n");
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["-x", "2001:db8::1", "+noall", "+question"]));
        assert_eq!(
            text(&rdig(&arguments)),
            ";1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. IN PTR\n"
        );
    }

    #[test]
    fn bad_type_or_option_is_usage_error_exit_1() {
        for bad in [vec!["x.test", "+bogus"], vec!["+t", "x"]] {
            let output = rdig(&words(&bad));
            assert_eq!(output.status.code(), Some(1), "{bad:?}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = stderr.lines().next().unwrap_or_default().to_string();
            let named = bad
                .iter()
                .any(|word| word.len() > 1 && first.contains(word));
            assert!(
                named,
                "error line {first:?} does not name the bad word of {bad:?}"
            );
        }
    }

    #[test]
    fn batch_file_runs_each_line_and_missing_file_exits_8() {
        let Some(nsd) = Nsd::start("127.40.3.2", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let path = std::env::temp_dir().join(format!("rdig-batch-{}", std::process::id()));
        std::fs::write(&path, "; lookups\nwww.example.test A\nmail.example.test\n")
            .expect("write batch");
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["+short", "-f", &path.display().to_string()]));
        let output = rdig(&arguments);
        let _ = std::fs::remove_file(&path);
        assert_eq!(text(&output), "192.0.2.1\n192.0.2.25\n");
        let missing = rdig(&words(&["-f", "/nonexistent/rdig-batch-file"]));
        assert_eq!(missing.status.code(), Some(8));
    }

    #[test]
    fn json_output_is_one_rfc_8427_object_with_all_sections() {
        let Some(nsd) = Nsd::start("127.40.3.3", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["+json", "www.example.test", "+norec"]));
        let stdout = text(&rdig(&arguments));
        let value: serde_json::Value = serde_json::from_str(stdout.trim()).expect("valid JSON");
        assert_eq!(value["RCODE"], 0);
        assert_eq!(
            (value["QR"].clone(), value["AA"].clone()),
            (1.into(), 1.into())
        );
        assert_eq!(value["QNAME"], "www.example.test.");
        assert_eq!(value["answerRRs"][0]["rdataA"], "192.0.2.1");
        assert_eq!(value["authorityRRs"][0]["TYPEname"], "NS");
        assert_eq!(value["additionalRRs"][0]["NAME"], "ns1.example.test.");
        assert_eq!(value["additionalRRs"][1]["TYPEname"], "OPT");
        assert_eq!(value["additionalRRs"][1]["CLASS"], 1232);
    }

    #[test]
    fn json_errors_are_json_too() {
        let arguments = words(&[
            "@127.40.3.4",
            "-p",
            "1",
            "+json",
            "+tries=1",
            "+time=1",
            "x.test",
        ]);
        let output = rdig(&arguments);
        assert_eq!(output.status.code(), Some(9));
        let value: serde_json::Value =
            serde_json::from_str(text(&output).trim()).expect("valid JSON");
        assert_eq!(value["error"], "no servers could be reached");
    }
}

/// `+nssearch` against dig: two NSDs serve `ns.test.` with different serials; its NS names are
/// address literals so that dig's system resolver finds them (the third has no server).
mod nssearch_compared_with_dig {
    use super::*;

    fn ns_zone(serial: u32) -> String {
        format!(
            "$ORIGIN ns.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster {serial} 7200 3600 1209600 300\n@ IN NS 127.40.32.1.\n@ IN NS 127.40.32.2.\n@ IN NS 127.40.32.3.\nwww IN A 192.0.2.1\n"
        )
    }

    /// Lines sorted (dig prints the SOA replies as they arrive), query times masked.
    fn outcome(program: &str, arguments: &[String]) -> (Vec<String>, Option<i32>) {
        let output = run(program, arguments);
        let mut lines: Vec<String> = format!(
            "{}{}",
            text(&output),
            String::from_utf8_lossy(&output.stderr)
        )
        .lines()
        .map(|line| {
            let line = line
                .trim_start_matches("rdig: ")
                .trim_start_matches("dig: ");
            match line.split_once(" in ") {
                Some((head, _)) if line.starts_with("SOA ") => format!("{head} in T ms."),
                _ => line.to_string(),
            }
        })
        .collect();
        lines.sort();
        (lines, output.status.code())
    }

    #[test]
    fn nssearch_asks_every_name_server_for_the_soa_like_dig() {
        if !tool_available("dig") {
            return;
        }
        let first_zone = ns_zone(1);
        let second_zone = ns_zone(2);
        let Some(first) = Nsd::start("127.40.32.1", &[("ns.test.", &first_zone)]) else {
            return;
        };
        let Some(_second) = Nsd::start("127.40.32.2", &[("ns.test.", &second_zone)]) else {
            return;
        };
        // Not `+tcp`: dig 9.18 itself may hang after a refused TCP connection in this mode.
        let cases: [&[&str]; 5] = [
            &["+nssearch", "ns.test"],
            &["+nssearch", "www.ns.test"],
            &["+nssearch", "nope.ns.test"],
            &["-4", "+nssearch", "ns.test"],
            &["+nssearch", "example.test"],
        ];
        for case in cases {
            let mut arguments = first.server_args();
            arguments.extend(words(case));
            let theirs = outcome("dig", &arguments);
            let ours = outcome(env!("CARGO_BIN_EXE_rdig"), &arguments);
            assert_eq!(ours, theirs, "{case:?}");
        }
    }
}

/// Malformed replies from a test responder (an A record cut inside its RDATA): dig 9.18 shows
/// what parses (`+besteffort`, its default) or dumps the packet (`+nobesteffort`).
mod malformed_compared_with_dig {
    use super::*;

    /// Answers `count` queries on `address` with the question and a cut answer, then stops.
    fn cut_answer_responder(address: &str, count: usize) -> std::thread::JoinHandle<()> {
        let socket = UdpSocket::bind((address, LAB_PORT)).expect("bind responder");
        let _ = socket.set_read_timeout(Some(Duration::from_secs(10)));
        std::thread::spawn(move || {
            let mut buffer = [0u8; 512];
            for _ in 0..count {
                let Ok((length, client)) = socket.recv_from(&mut buffer) else {
                    return;
                };
                let query = &buffer[..length];
                let Some(end) = query
                    .get(12..)
                    .and_then(|rest| rest.iter().position(|byte| *byte == 0))
                else {
                    continue;
                };
                let mut reply = query[..2].to_vec();
                reply.extend_from_slice(&[0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
                reply.extend_from_slice(&query[12..12 + end + 5]);
                reply.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 0xc0, 0]);
                let _ = socket.send_to(&reply, client);
            }
        })
    }

    /// The hex dump's first line starts with the random message ID.
    fn masked(output: &str) -> String {
        normalised(output)
            .lines()
            .map(|line| {
                if line.len() > 57 && line.get(6..12) == Some("84 00 ") {
                    format!("ID ID {}  {}", &line[6..57], &line[59..])
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn malformed_replies_are_shown_in_part_or_dumped_like_dig() {
        if !tool_available("dig") {
            return;
        }
        let cases: [&[&str]; 5] = [
            &[],
            &["+besteffort", "+short"],
            &["+nobesteffort"],
            &["+yaml"],
            &["+noall", "+comments"],
        ];
        let responder = cut_answer_responder("127.40.33.1", cases.len() * 2);
        for case in cases {
            let mut arguments = words(&["@127.40.33.1", "-p", &LAB_PORT.to_string()]);
            arguments.extend(words(&["+norec", "+tries=1", "+time=2", "x.test"]));
            arguments.extend(words(case));
            let theirs = run("dig", &arguments);
            let ours = rdig(&arguments);
            assert_eq!(ours.status.code(), theirs.status.code(), "{case:?}");
            assert_eq!(masked(&text(&ours)), masked(&text(&theirs)), "{case:?}");
        }
        let _ = responder.join();
    }
}

/// `+json` against `kdig +json` (Knot's RFC 8427 output): the same members in the same order and
/// the same values, the date and message ID masked.
mod json_compared_with_kdig {
    use super::*;

    fn masked(output: &str) -> String {
        output
            .lines()
            .map(|line| {
                let trimmed = line.trim_start();
                let masked = ["\"dateString\": ", "\"dateSeconds\": ", "\"ID\": "]
                    .iter()
                    .any(|key| trimmed.starts_with(key));
                if masked {
                    let (key, _) = line.split_once(": ").unwrap_or((line, ""));
                    format!("{key}: X,")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn json_members_and_values_match_kdig() {
        if !tool_available("kdig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.3.5", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        // kdig sends no EDNS, asks for 4096 octets and no cookie unless told; rdig as dig.
        let queries: [&[&str]; 8] = [
            &["www.example.test"],
            &["example.test", "SOA"],
            &["nope.example.test"],
            &["example.test", "MX"],
            &["txt.example.test", "TXT"],
            &["_sip._udp.example.test", "SRV"],
            &["+nsid", "alias.example.test"],
            &["+qr", "www.example.test", "AAAA"],
        ];
        for query in queries {
            let mut common = nsd.server_args();
            common.extend(words(&["+json", "+norec", "+nocookie"]));
            common.extend(words(query));
            let mut theirs = common.clone();
            theirs.extend(words(&["+edns", "+bufsize=1232"]));
            let theirs = masked(&text(&run("kdig", &theirs)));
            let ours = masked(&text(&rdig(&common)));
            assert_eq!(ours, theirs, "{query:?}");
        }
    }
}

mod compared_with_dig {
    use super::*;

    #[test]
    fn dig_and_rdig_print_the_same_records_in_each_section() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start(
            "127.40.4.1",
            &[
                ("example.test.", EXAMPLE_ZONE),
                ("2.0.192.in-addr.arpa.", REVERSE_ZONE),
            ],
        ) else {
            return;
        };
        let queries: [&[&str]; 10] = [
            &["www.example.test"],
            &["www.example.test", "AAAA"],
            &["example.test", "MX"],
            &["example.test", "SOA"],
            &["txt.example.test", "TXT"],
            &["alias.example.test"],
            &["host.sub.example.test"],
            &["missing.example.test"],
            &["_sip._udp.example.test", "SRV"],
            &["-x", "192.0.2.1"],
        ];
        for query in queries {
            let mut arguments = nsd.server_args();
            arguments.extend(words(query));
            arguments.push("+norec".to_string());
            let ours = sections(&text(&rdig(&arguments)));
            let theirs = sections(&text(&run("dig", &arguments)));
            assert!(!theirs.is_empty(), "dig printed no sections for {query:?}");
            assert_eq!(ours, theirs, "sections differ for {query:?}");
        }
    }
}

mod trace {
    use super::*;

    const ROOT_ZONE: &str = "$ORIGIN .
$TTL 86400
. IN SOA a.root.lab. hostmaster.root.lab. 1 7200 3600 1209600 300
. IN NS a.root.lab.
a.root.lab. IN A 127.40.5.1
test. IN NS ns.nic.test.
ns.nic.test. IN A 127.40.5.2
";

    const TLD_ZONE: &str = "$ORIGIN test.
$TTL 86400
@ IN SOA ns.nic hostmaster.nic 1 7200 3600 1209600 300
@ IN NS ns.nic
ns.nic IN A 127.40.5.2
example IN NS ns1.example
ns1.example IN A 127.40.5.3
";

    const DOMAIN_ZONE: &str = "$ORIGIN example.test.
$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 127.40.5.3
www IN A 192.0.2.1
";

    #[test]
    fn trace_walks_from_root_hints_through_each_referral() {
        let Some(_root) = Nsd::start("127.40.5.1", &[(".", ROOT_ZONE)]) else {
            return;
        };
        let Some(_tld) = Nsd::start("127.40.5.2", &[("test.", TLD_ZONE)]) else {
            return;
        };
        let Some(_domain) = Nsd::start("127.40.5.3", &[("example.test.", DOMAIN_ZONE)]) else {
            return;
        };
        let hints = std::env::temp_dir().join(format!("rdig-named-root-{}", std::process::id()));
        std::fs::write(
            &hints,
            ".  3600000  NS  A.ROOT.LAB.\nA.ROOT.LAB.  3600000  A  127.40.5.1\n",
        )
        .expect("write named.root");
        let roots = format!("+roots={}", hints.display());
        let output = rdig(&words(&[
            "+trace",
            &roots,
            "-p",
            &LAB_PORT.to_string(),
            "www.example.test",
        ]));
        let _ = std::fs::remove_file(&hints);
        assert_eq!(output.status.code(), Some(0));
        let stdout = text(&output);
        let root = format!("from 127.40.5.1#{LAB_PORT}(a.root.lab.) in ");
        let referral_to_tld = "test.\t\t\t86400\tIN\tNS\tns.nic.test.\n";
        let tld = format!("from 127.40.5.2#{LAB_PORT}(ns.nic.test.) in ");
        let answer = "www.example.test.\t3600\tIN\tA\t192.0.2.1\n";
        let domain = format!("from 127.40.5.3#{LAB_PORT}(ns1.example.test.) in ");
        for expected in [
            root.as_str(),
            referral_to_tld,
            tld.as_str(),
            answer,
            domain.as_str(),
        ] {
            assert!(
                stdout.contains(expected),
                "missing {expected:?} in:\n{stdout}"
            );
        }
        // The walk goes down the tree: root, then the TLD, then the domain.
        let order: Vec<usize> = [root.as_str(), tld.as_str(), domain.as_str()]
            .iter()
            .filter_map(|needle| stdout.find(*needle))
            .collect();
        assert_eq!(order.len(), 3, "{stdout}");
        assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "{stdout}");
    }
}

mod against_unbound {
    use super::*;

    /// unbound on one loopback address, stub-zoned to a lab nsd; killed on drop.
    struct Unbound {
        child: Child,
        directory: PathBuf,
    }

    impl Drop for Unbound {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_dir_all(&self.directory);
        }
    }

    fn start_unbound(address: &str, stub: &str) -> Option<Unbound> {
        if !tool_available("unbound") {
            return None;
        }
        let directory =
            std::env::temp_dir().join(format!("rdig-unbound-{}-{address}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).expect("create temp dir");
        let config = format!(
            "server:\n  interface: {address}@{LAB_PORT}\n  port: {LAB_PORT}\n  access-control: 127.0.0.0/8 allow\n  do-not-query-localhost: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"{dir}\"\n  pidfile: \"\"\n  use-syslog: no\n  do-daemonize: no\n  module-config: \"iterator\"\n  domain-insecure: \"test\"\n  local-zone: \"test.\" nodefault\nremote-control:\n  control-enable: no\nstub-zone:\n  name: \"example.test\"\n  stub-addr: {stub}@{LAB_PORT}\n",
            dir = directory.display()
        );
        let config_path = directory.join("unbound.conf");
        std::fs::write(&config_path, config).expect("write unbound.conf");
        let log = std::fs::File::create(directory.join("unbound.log")).expect("log file");
        let child = Command::new(tool_path("unbound"))
            .arg("-d")
            .arg("-c")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start unbound");
        let unbound = Unbound { child, directory };
        let server: SocketAddr = format!("{address}:{LAB_PORT}").parse().expect("address");
        let ready = (0..READY_ATTEMPTS).any(|_| answers_query(server, "example.test."));
        assert!(
            ready,
            "unbound on {address} never answered; log: {:?}",
            std::fs::read_to_string(unbound.directory.join("unbound.log"))
        );
        Some(unbound)
    }

    #[test]
    fn recursive_answer_from_unbound_has_ra_and_the_records() {
        let Some(_nsd) = Nsd::start("127.40.6.2", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let Some(_unbound) = start_unbound("127.40.6.1", "127.40.6.2") else {
            return;
        };
        let output = rdig(&words(&[
            "@127.40.6.1",
            "-p",
            &LAB_PORT.to_string(),
            "alias.example.test",
        ]));
        assert_eq!(output.status.code(), Some(0));
        let stdout = text(&output);
        assert!(stdout.contains(";; flags: qr rd ra;"), "{stdout}");
        assert!(stdout.contains("alias.example.test.\t"), "{stdout}");
        assert!(
            stdout.contains("IN\tCNAME\twww.example.test.\n"),
            "{stdout}"
        );
        assert!(stdout.contains("IN\tA\t192.0.2.1\n"), "{stdout}");
    }
}

mod against_project_authority {
    use super::*;

    use std::sync::Arc;

    use authority::answer::handler::AuthorityHandler;
    use authority::listen::{serve, ListenOptions, Server};

    /// The project's authoritative server, in process on its own runtime; stopped on drop.
    struct Authority {
        runtime: Option<tokio::runtime::Runtime>,
        server: Option<Server>,
    }

    impl Authority {
        fn start(address: &str, zone_files: &[&str]) -> Authority {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            let lab = concat!(env!("CARGO_MANIFEST_DIR"), "/../zones/lab/");
            let zones: Vec<String> = zone_files
                .iter()
                .map(|file| format!("{lab}{file}"))
                .collect();
            let catalog = authority::run::load_catalog(&zones).expect("lab zones load");
            let listen: SocketAddr = format!("{address}:{LAB_PORT}").parse().expect("address");
            let handler = Arc::new(AuthorityHandler::new(catalog));
            let server = {
                let _context = runtime.enter();
                serve(handler, &[listen], ListenOptions::default()).expect("authority listens")
            };
            let origin = zone_files
                .first()
                .and_then(|file| file.strip_suffix("yaml"))
                .unwrap_or(".");
            let ready = (0..READY_ATTEMPTS).any(|_| answers_query(listen, origin));
            assert!(ready, "the authority on {address} never answered");
            Authority {
                runtime: Some(runtime),
                server: Some(server),
            }
        }
    }

    impl Drop for Authority {
        fn drop(&mut self) {
            if let (Some(runtime), Some(server)) = (self.runtime.take(), self.server.take()) {
                runtime.block_on(server.shutdown());
                runtime.shutdown_background();
            }
        }
    }

    #[test]
    fn rdig_reads_the_lab_zone_from_the_project_authority() {
        let _authority = Authority::start("127.40.8.1", &["example.test.yaml"]);
        let arguments = words(&[
            "@127.40.8.1",
            "-p",
            &LAB_PORT.to_string(),
            "example.test",
            "MX",
        ]);
        let output = rdig(&arguments);
        assert_eq!(output.status.code(), Some(0));
        let stdout = text(&output);
        assert!(stdout.contains("status: NOERROR"), "{stdout}");
        assert!(stdout.contains(";; flags: qr aa rd;"), "{stdout}");
        let found = sections(&stdout);
        let answer = found.get("ANSWER").cloned().unwrap_or_default();
        let exchanges: Vec<String> = answer
            .iter()
            .filter_map(|fields| fields.get(4..).map(|rest| rest.join(" ")))
            .collect();
        assert_eq!(
            exchanges,
            ["10 mail.example.test.", "20 mx.mail.test."],
            "{stdout}"
        );
    }

    #[test]
    fn dig_and_rdig_agree_against_the_project_authority() {
        if !tool_available("dig") {
            return;
        }
        let _authority = Authority::start("127.40.8.2", &["example.test.yaml"]);
        let queries: [&[&str]; 7] = [
            &["example.test", "MX"],
            &["example.test", "TXT"],
            &["example.test", "CAA"],
            &["www.example.test"],
            &["_imaps._tcp.example.test", "SRV"],
            &["missing.example.test"],
            &["mail.example.test", "AAAA"],
        ];
        for query in queries {
            let mut arguments = words(&["@127.40.8.2", "-p", &LAB_PORT.to_string(), "+norec"]);
            arguments.extend(words(query));
            let ours = sections(&text(&rdig(&arguments)));
            let theirs = sections(&text(&run("dig", &arguments)));
            assert!(!theirs.is_empty(), "dig printed no sections for {query:?}");
            assert_eq!(ours, theirs, "sections differ for {query:?}");
        }
    }
}

/// dig's stdout with what differs between any two runs (and between dig and rdig) masked: the
/// program banner, message ID, query time and WHEN.
fn normalised(stdout: &str) -> String {
    let mut lines = Vec::new();
    for line in stdout.lines() {
        let line = if let Some(rest) = line.strip_prefix("; <<>> ") {
            let arguments = rest
                .split_once(" <<>> ")
                .map(|(_, tail)| tail)
                .unwrap_or("");
            format!("; <<>> DIG <<>> {arguments}")
        } else if let Some((head, _)) = line.split_once(", id: ") {
            format!("{head}, id: ID")
        } else if line.starts_with(";; Query time: ") {
            ";; Query time: T".to_string()
        } else if let Some(key) = ["id: ", "query_time: ", "response_time: "]
            .iter()
            .find(|key| line.trim_start().starts_with(*key))
        {
            // +yaml's header lines.
            let indent = line.len() - line.trim_start().len();
            format!("{}{key}X", &line[..indent])
        } else if line.starts_with(";; WHEN: ") {
            ";; WHEN: W".to_string()
        } else {
            line.to_string()
        };
        lines.push(line);
    }
    lines.join("\n")
}

/// Runs dig and rdig with the same arguments: (dig, rdig) normalised stdout and exit codes.
fn paired(arguments: &[String]) -> ((String, Option<i32>), (String, Option<i32>)) {
    let theirs = run("dig", arguments);
    let ours = rdig(arguments);
    (
        (normalised(&text(&theirs)), theirs.status.code()),
        (normalised(&text(&ours)), ours.status.code()),
    )
}

/// Asserts dig and rdig print the same (normalised) stdout and exit alike for each query.
fn assert_same_as_dig(server: &[String], queries: &[&[&str]]) {
    for query in queries {
        let mut arguments = server.to_vec();
        arguments.extend(words(query));
        let (theirs, ours) = paired(&arguments);
        assert_eq!(ours, theirs, "rdig differs from dig for {query:?}");
    }
}

mod names_compared_with_dig {
    use super::*;

    const NAMES_ZONE: &str = "$ORIGIN names.test.
$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.53
space\\032x IN A 192.0.2.9
a\\(b IN A 192.0.2.10
a\\@b IN A 192.0.2.11
a\\.b IN A 192.0.2.12
a\\\"b IN A 192.0.2.13
weird\\255\\000x IN A 192.0.2.14
MiXeD IN A 192.0.2.15
ptr IN PTR space\\032x.names.test.
xn--mnchen-3ya IN A 192.0.2.16
idn IN CNAME xn--mnchen-3ya.names.test.
";

    #[test]
    fn escaped_names_are_read_and_printed_in_decimal_like_dig() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.9.1", &[("names.test.", NAMES_ZONE)]) else {
            return;
        };
        let queries: [&[&str]; 8] = [
            &["+norec", "space\\032x.names.test"],
            &["+norec", "a\\(b.names.test"],
            &["+norec", "a\\@b.names.test"],
            &["+norec", "a\\.b.names.test"],
            &["+norec", "a\\\"b.names.test"],
            &["+norec", "weird\\255\\000x.names.test"],
            &["+norec", "ptr.names.test", "PTR"],
            &["+norec", "\\065b.names.test"],
        ];
        assert_same_as_dig(&nsd.server_args(), &queries);
    }

    #[test]
    fn query_name_is_sent_as_typed_not_lowercased() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.9.2", &[("names.test.", NAMES_ZONE)]) else {
            return;
        };
        let queries: [&[&str]; 2] = [
            &["+norec", "MiXeD.NAMES.test"],
            &["+norec", "+noall", "+answer", "mIxEd.names.TEST"],
        ];
        assert_same_as_dig(&nsd.server_args(), &queries);
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["+noall", "+question", "MiXeD.NAMES.test"]));
        assert!(text(&rdig(&arguments)).contains("MiXeD.NAMES.test."));
    }

    #[test]
    fn idn_conversion_only_when_asked_in_a_pipe_like_dig() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.9.13", &[("names.test.", NAMES_ZONE)]) else {
            return;
        };
        let queries: [&[&str]; 6] = [
            &["+norec", "münchen.names.test"],
            &["+norec", "+idnin", "München.NAMES.test"],
            &["+norec", "+idnin", "MiXeD.names.test"],
            &["+norec", "+idnout", "xn--mnchen-3ya.names.test"],
            &["+norec", "+idnout", "idn.names.test"],
            &[
                "+norec",
                "+idnin",
                "+idnout",
                "+short",
                "idn.names.test",
                "CNAME",
            ],
        ];
        assert_same_as_dig(&nsd.server_args(), &queries);
    }

    #[test]
    fn illegal_names_exit_10_with_dig_wording() {
        if !tool_available("dig") {
            return;
        }
        for name in ["a..b", "a\\256b", "a\\12", &"a".repeat(64)] {
            let arguments = words(&["@127.40.9.3", "-p", "1", name]);
            let theirs = run("dig", &arguments);
            let ours = rdig(&arguments);
            assert_eq!(ours.status.code(), theirs.status.code(), "{name}");
            let their_error = String::from_utf8_lossy(&theirs.stderr).replace("dig: ", "");
            let our_error = String::from_utf8_lossy(&ours.stderr).replace("rdig: ", "");
            assert_eq!(our_error, their_error, "{name}");
        }
    }
}

mod types_compared_with_dig {
    use super::*;

    /// One record of each type whose text form differs between hickory and dig, or that hickory
    /// does not know; NSD reads all of them.
    const TYPES_ZONE: &str = "$ORIGIN types.test.
$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 192.0.2.53
dname IN DNAME target.example.
hinfo IN HINFO \"Generic PC\" \"Linux 6\"
https IN HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.1,192.0.2.2 port=443
svcb IN SVCB 1 svc.example. alpn=h2 ech=AEX+DQBBAAAgACA= ipv6hint=2001:db8::1 mandatory=alpn no-default-alpn
svcb2 IN SVCB 1 . key65000=foo port=53
cert IN CERT PKIX 0 0 MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
sshfp IN SSHFP 4 2 123456789ABCDEFbabababababababababababababababababababababababab
tlsa IN TLSA 3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ds IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
dnskey IN DNSKEY 256 3 8 AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LUsAD0QPWU+wzt89epO6tHzkMBVDkC7qphQO2hTY4hHn9npWFRw5BYubE=
nsec3param IN NSEC3PARAM 1 0 10 AABBCCDD
loc IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
uri IN URI 10 1 \"ftp://ftp1.example.com/public\"
rp IN RP admin.types.test. txt.types.test.
spf IN SPF \"v=spf1 -all\"
afsdb IN AFSDB 1 afs.types.test.
ipseckey IN IPSECKEY 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==
eui48 IN EUI48 00-00-5e-00-53-2a
nid IN NID 10 0014:4fff:ff20:ee64
apl IN APL 1:192.168.32.0/21 !1:192.168.38.0/28
wks IN WKS 192.0.2.1 6 25 80
zonemd IN ZONEMD 2018031500 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97AE499FAFA4F22C6BD647DE
unknown IN TYPE65000 \\# 4 0A000001
mb IN MB ns1.types.test.
minfo IN MINFO admin.types.test. err.types.test.
apl0 IN TYPE42 \\# 0
null0 IN TYPE10 \\# 0
gpos IN TYPE27 \\# 23 082d33322e36383832083131362e383635320431302e30
hip IN TYPE55 \\# 169 10020084200100107b1a74df365639cc39f1d57803010001b771ca136e4aeb5ce44333c53b3d2c13c22243851fc708bcce29f7e2eb5787b5f56ccad34f8223acc10904ddb56b2ec4a6d6232f3b50ea094f0914b3b941bbe529af582c36bbadefdaf2adaf9b4911906f5b2522603c615272b880ec8fb930cc6ee39c444daa75b1678f005a4b2499d1da5433f805c7a5ad3237acc5dd5c5e4303727673076578616d706c6503636f6d00
talink IN TYPE58 \\# 28 02633104706c617904746573740002633204706c6179047465737400
nsapptr IN TYPE23 \\# 15 03666f6f04706c6179047465737400
ta IN TYPE32768 \\# 24 ec4505012bb183af5f22588179a53b0a98631fad1a292118
amtrelay IN TYPE260 \\# 19 0a830572656c617904706c6179047465737400
amtrelay2 IN TYPE260 \\# 6 0a01c0000201
doa IN TYPE259 \\# 22 00000001000000020309696d6167652f676966010203
sink IN TYPE40 \\# 5 0102010203
a6 IN TYPE38 \\# 17 0000000000000000000000000000000000
a6b IN TYPE38 \\# 24 4000000000000000000370667804706c6179047465737400
nxt IN TYPE30 \\# 22 046e65787404706c6179047465737400400100000003
eid IN TYPE31 \\# 2 0102
atma2 IN TYPE34 \\# 5 0131323334
resinfo IN TYPE261 \\# 9 08716e616d656d696e
tkey IN TYPE249 \\# 31 03616c67076578616d706c6500000000010000000200030000000261620000
";

    #[test]
    fn records_print_like_dig_for_every_type_in_the_zone() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.9.4", &[("types.test.", TYPES_ZONE)]) else {
            return;
        };
        let queries: Vec<Vec<&str>> = [
            ("dname", "DNAME"),
            ("hinfo", "HINFO"),
            ("https", "HTTPS"),
            ("svcb", "SVCB"),
            ("svcb2", "SVCB"),
            ("cert", "CERT"),
            ("sshfp", "SSHFP"),
            ("tlsa", "TLSA"),
            ("ds", "DS"),
            ("dnskey", "DNSKEY"),
            ("nsec3param", "NSEC3PARAM"),
            ("loc", "LOC"),
            ("uri", "URI"),
            ("rp", "RP"),
            ("spf", "SPF"),
            ("afsdb", "AFSDB"),
            ("ipseckey", "IPSECKEY"),
            ("eui48", "EUI48"),
            ("nid", "NID"),
            ("apl", "APL"),
            ("wks", "WKS"),
            ("zonemd", "ZONEMD"),
            ("unknown", "TYPE65000"),
            // NSD compresses the names of these RFC 1035 types, which hickory leaves undecoded.
            ("mb", "MB"),
            ("minfo", "MINFO"),
            // Empty RDATA, which hickory's parser takes for an UPDATE prerequisite.
            ("apl0", "APL"),
            ("null0", "NULL"),
            // Types NSD reads only in RFC 3597 form; dig prints its own form for each.
            ("gpos", "TYPE27"),
            ("hip", "TYPE55"),
            ("talink", "TYPE58"),
            ("nsapptr", "TYPE23"),
            ("ta", "TYPE32768"),
            ("amtrelay", "TYPE260"),
            ("amtrelay2", "TYPE260"),
            ("doa", "TYPE259"),
            ("sink", "TYPE40"),
            ("a6", "TYPE38"),
            ("a6b", "TYPE38"),
            ("nxt", "TYPE30"),
            ("eid", "TYPE31"),
            ("atma2", "TYPE34"),
            ("resinfo", "TYPE261"),
            ("tkey", "TYPE249"),
        ]
        .iter()
        .map(|(owner, record_type)| vec!["+norec", owner, record_type])
        .collect();
        let with_zone: Vec<Vec<String>> = queries
            .iter()
            .map(|query| {
                let mut query: Vec<String> = words(query);
                query[1] = format!("{}.types.test", query[1]);
                query
            })
            .collect();
        for query in &with_zone {
            let mut arguments = nsd.server_args();
            arguments.extend(query.iter().cloned());
            let (theirs, ours) = paired(&arguments);
            assert_eq!(ours, theirs, "rdig differs from dig for {query:?}");
        }
    }

    #[test]
    fn type_words_and_bad_types_are_read_like_dig() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.9.5", &[("types.test.", TYPES_ZONE)]) else {
            return;
        };
        let queries: [&[&str]; 9] = [
            // The REFUSED replies for `TXT.` carry an EDE option rdig does not print yet.
            &[
                "+norec",
                "+noall",
                "+question",
                "-c",
                "IN",
                "loc.types.test",
                "TXT",
            ],
            &[
                "+norec",
                "+noall",
                "+question",
                "-t",
                "MX",
                "uri.types.test",
                "TXT",
                "CH",
            ],
            &["+norec", "+noall", "+answer", "-x", "192.0.2.1", "TXT"],
            &["+norec", "loc.types.test", "loc"],
            &["+norec", "uri.types.test", "TYPE256"],
            &["+norec", "-t", "FOO", "rp.types.test"],
            &["+norec", "+noall", "+answer", "rp.types.test", "A", "RP"],
            &["+norec", "+noall", "+answer", "rp.types.test", "FOO"],
            &["+norec", "+noall", "+answer", "rp.types.test", "TYPE99999"],
        ];
        assert_same_as_dig(&nsd.server_args(), &queries);
    }
}

mod retries_compared_with_dig {
    use super::*;

    #[test]
    fn badvers_is_retried_with_the_servers_edns_version() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.9.6", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let queries: [&[&str]; 2] = [
            &["+norec", "+edns=1", "www.example.test"],
            &["+norec", "+edns=3", "+nsid", "example.test", "MX"],
        ];
        assert_same_as_dig(&nsd.server_args(), &queries);
    }

    #[test]
    fn badvers_retry_is_a_new_query_shown_again_with_qr() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.9.14", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["+norec", "+qr", "+edns=1", "www.example.test"]));
        // The client cookie is random per run; this comparison leaves it out.
        arguments.push("+nocookie".to_string());
        let theirs = normalised(&text(&run("dig", &arguments)));
        let ours = normalised(&text(&rdig(&arguments)));
        let without_command = |output: &str| {
            output
                .lines()
                .filter(|line| !line.starts_with("; <<>> "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(without_command(&ours), without_command(&theirs));
        assert_eq!(ours.matches(";; Sending:").count(), 2, "{ours}");
    }

    #[test]
    fn refused_connection_spends_every_try_like_dig() {
        if !tool_available("dig") {
            return;
        }
        // Nothing listens on 127.40.9.7: every UDP query is answered by ICMP port unreachable.
        let server = words(&["@127.40.9.7", "-p", &LAB_PORT.to_string()]);
        let queries: [&[&str]; 7] = [
            &["+tries=2", "+time=1", "www.example.test"],
            &["+tries=3", "+time=1", "+short", "www.example.test"],
            // A refused TCP connection has its own wording, and starts the server list over.
            &["+tcp", "www.example.test"],
            &["+tcp", "+tries=2", "+short", "www.example.test"],
            &["+tcp", "+tries=1", "+nocomments", "www.example.test"],
            &["+tcp", "+yaml", "+tries=2", "www.example.test"],
            &["+yaml", "+tries=2", "+time=1", "www.example.test"],
        ];
        assert_same_as_dig(&server, &queries);
    }
}

mod servers_compared_with_dig {
    use super::*;

    #[test]
    fn second_server_is_tried_when_the_first_refuses() {
        if !tool_available("dig") {
            return;
        }
        // 127.40.9.8 has no listener; 127.40.9.9 answers.
        let Some(_nsd) = Nsd::start("127.40.9.9", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let server = words(&["@127.40.9.8", "@127.40.9.9", "-p", &LAB_PORT.to_string()]);
        let queries: [&[&str]; 6] = [
            &["+norec", "+tries=2", "+time=1", "www.example.test"],
            &[
                "+norec",
                "+tries=1",
                "+time=1",
                "+short",
                "example.test",
                "MX",
            ],
            &["+norec", "+tcp", "+tries=2", "www.example.test"],
            &["+norec", "+tcp", "+tries=3", "+short", "www.example.test"],
            // +qr shows the query each time it goes out; over TCP only once connected.
            &["+norec", "+qr", "+nocookie", "+tries=2", "www.example.test"],
            &[
                "+norec",
                "+qr",
                "+nocookie",
                "+tcp",
                "+tries=2",
                "www.example.test",
            ],
        ];
        assert_same_as_dig(&server, &queries);
    }

    #[test]
    fn port_and_short_after_a_name_hold_for_all_lookups_and_the_banner_is_printed_once() {
        if !tool_available("dig") {
            return;
        }
        let Some(_nsd) = Nsd::start("127.40.9.10", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let port = LAB_PORT.to_string();
        let queries: [&[&str]; 3] = [
            &[
                "+norec",
                "www.example.test",
                "-p",
                &port,
                "mail.example.test",
                "+short",
            ],
            &[
                "+norec",
                "-p",
                &port,
                "www.example.test",
                "example.test",
                "MX",
            ],
            &[
                "+norec",
                "www.example.test",
                "@127.40.9.10",
                "-p",
                &port,
                "+noall",
                "+answer",
            ],
        ];
        assert_same_as_dig(&words(&["@127.40.9.10"]), &queries);
    }

    #[test]
    fn batch_lines_get_their_own_banner_and_keep_later_global_options() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start("127.40.9.15", &[("example.test.", EXAMPLE_ZONE)]) else {
            return;
        };
        let path = std::env::temp_dir().join(format!("rdig-batch-globals-{}", std::process::id()));
        std::fs::write(
            &path,
            "www.example.test\nmail.example.test example.test MX\nwww.example.test AAAA +short\nmail.example.test\n",
        )
        .expect("write batch");
        let batch = path.display().to_string();
        let queries: [&[&str]; 2] = [
            &["+norec", "-f", &batch],
            &["+norec", "example.test", "SOA", "-f", &batch],
        ];
        assert_same_as_dig(&nsd.server_args(), &queries);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn address_family_flags_filter_servers_like_dig() {
        if !tool_available("dig") {
            return;
        }
        let port = LAB_PORT.to_string();
        for arguments in [
            words(&["-6", "@127.40.9.11", "-p", &port, "+time=1", "x.test"]),
            words(&["-4", "@::1", "-p", &port, "+time=1", "x.test"]),
        ] {
            let theirs = run("dig", &arguments);
            let ours = rdig(&arguments);
            assert_eq!(ours.status.code(), theirs.status.code(), "{arguments:?}");
            assert_eq!(text(&ours), text(&theirs), "{arguments:?}");
            let their_error = String::from_utf8_lossy(&theirs.stderr).replace("dig: ", "");
            let our_error = String::from_utf8_lossy(&ours.stderr).replace("rdig: ", "");
            assert_eq!(our_error, their_error, "{arguments:?}");
        }
    }
}

mod exit_codes_compared_with_dig {
    use super::*;

    #[test]
    fn bad_numbers_bad_types_and_partial_reverse_exit_like_dig() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = Nsd::start(
            "127.40.9.12",
            &[
                ("example.test.", EXAMPLE_ZONE),
                ("2.0.192.in-addr.arpa.", REVERSE_ZONE),
            ],
        ) else {
            return;
        };
        let cases: [&[&str]; 11] = [
            &["+bufsize=70000", "www.example.test"],
            &["+bufsize=abc", "www.example.test"],
            &["+timeout=abc", "www.example.test"],
            &["+timeout=70000", "www.example.test"],
            &["+tries=x", "www.example.test"],
            &["+edns=256", "www.example.test"],
            &["-t", "FOO", "+norec", "www.example.test"],
            &["-x", "192.0.2", "+norec"],
            &["-x", "2001:db8", "+norec", "+noall", "+question"],
            &["+norec", "a..b.example.test"],
            &[
                "+norec",
                "+short",
                "www.example.test",
                "a..b",
                "mail.example.test",
            ],
        ];
        for case in cases {
            let mut arguments = nsd.server_args();
            arguments.extend(words(case));
            let theirs = run("dig", &arguments);
            let ours = rdig(&arguments);
            assert_eq!(ours.status.code(), theirs.status.code(), "{case:?}");
            assert_eq!(
                normalised(&text(&ours)),
                normalised(&text(&theirs)),
                "{case:?}"
            );
            let their_error = String::from_utf8_lossy(&theirs.stderr).replace("dig: ", "");
            let our_error = String::from_utf8_lossy(&ours.stderr).replace("rdig: ", "");
            assert_eq!(our_error, their_error, "{case:?}");
        }
        let port = words(&["-p", "70000", "@127.40.9.12", "x.test"]);
        assert_eq!(rdig(&port).status.code(), run("dig", &port).status.code());
    }
}

/// Issue 26's differential suite: many paired dig/rdig invocations over the `+options` against NSD
/// (a zone signed at test time), Knot (DNS cookies on) and a validating Unbound (EDE on), with a
/// committed list of the pairs that differ on purpose. Each peer has its own 127.40.10.x address.
mod differential {
    use super::*;

    /// Pairs whose output differs on purpose, each with why; the test fails when one of these
    /// starts to agree (so the list stays true) or when any other pair differs.
    const DELIBERATE_DIFFERENCES: &[(&str, &str)] = &[
        (
            "nsd +ednsopt=65001:abcd www.example.test",
            "+ednsopt is not supported: rdig refuses it in one line (README, not supported)",
        ),
        (
            "nsd +unknownformat www.example.test",
            "+unknownformat is not supported: rdig refuses it in one line",
        ),
    ];

    /// Display and query options compared on every query against NSD.
    const NSD_OPTIONS: &[&str] = &[
        "",
        "+dnssec",
        "+cd",
        "+noadflag",
        "+dnssec +multiline",
        "+multiline",
        "+nocookie",
        "+qr",
        "+qr +dnssec +cd",
        "+ttlunits",
        "+nottlid",
        "+noclass",
        "+nottlid +noclass",
        "+short +identify",
        "+expire",
        "+qr +subnet=192.0.2.0/24",
        "+qr +padding=64",
        "+split=8 +dnssec",
        "+nosplit +dnssec",
        "+rrcomments",
        "+dnssec +noall +answer +multiline",
        "+short +dnssec",
        "+nsid +dnssec",
        "+tcp +dnssec",
        "-u",
        "+dnssec +nottlid +multiline",
        "+ttlunits +multiline",
        "+opcode=3",
        "+opcode=notify",
        "+ad +nottl",
        "+yaml",
        "+yaml +qr",
        "+yaml +short",
        "+yaml +noall +answer",
        "+yaml +dnssec +nsid",
    ];

    const NSD_QUERIES: &[&str] = &[
        "www.example.test",
        "example.test SOA",
        "example.test DNSKEY",
        "nope.example.test",
        "example.test NSEC",
        "example.test ANY",
    ];

    const KNOT_OPTIONS: &[&str] = &[
        "",
        "+qr",
        "+nocookie",
        "+nobadcookie",
        "+tcp",
        "+dnssec +multiline",
        "+cookie=0011223344556677",
        "+short",
        "+expire +tcp",
        "+nsid +tcp",
        "+yaml",
        "+yaml +nocookie +expire",
    ];

    const UNBOUND_OPTIONS: &[&str] = &[
        "",
        "+dnssec",
        "+cd",
        "+cd +dnssec",
        "+noadflag",
        "+dnssec +multiline",
        "+short",
        "+norec",
        "+nocookie +qr",
        "+dnssec +noall +answer +comments",
        "+yaml +dnssec",
    ];

    const UNBOUND_QUERIES: &[&str] = &["www.example.test", "www.bogus.test", "example.test DNSKEY"];

    /// DNS over TLS (port 8853) and HTTPS (8443) through dnsdist in front of the NSD; `CA` is the
    /// test CA's file.
    const ENCRYPTED_OPTIONS: &[&str] = &[
        "+tls -p 8853",
        "+tls -p 8853 +dnssec +multiline",
        "+tls -p 8853 +short",
        "+tls -p 8853 +tls-ca=CA",
        "+tls -p 8853 +tls-ca=CA +tls-hostname=dot.test",
        "+tls -p 8853 +tls-ca=CA +tls-hostname=wrong.test",
        "+tls -p 8853 +tls-ca",
        "+https -p 8443",
        "+https -p 8443 +dnssec",
        "+https=/dns-query -p 8443 +tls-ca=CA",
        "+https-get -p 8443",
        "+https=/nope -p 8443 +tries=1",
        "+https -p 8443 +qr",
        "+https -p 8443 +tls-ca=CA +tls-hostname=wrong.test",
        "+tls -p 8853 -b 127.0.0.1",
        "+https -p 8443 -b 127.0.0.1#0",
    ];

    /// Makes a CA and a server certificate for `dot.test` and 127.40.10.5 with openssl.
    fn test_certificates(directory: &std::path::Path) {
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=lab CA",
        ]);
        tool_output("openssl", &ca, directory);
        let mut request = vec!["req"];
        request.extend(ec);
        request.extend([
            "-keyout",
            "key.pem",
            "-out",
            "server.csr",
            "-subj",
            "/CN=dot.test",
        ]);
        tool_output("openssl", &request, directory);
        std::fs::write(
            directory.join("server.ext"),
            "subjectAltName=DNS:dot.test,IP:127.40.10.5\nbasicConstraints=CA:FALSE\n",
        )
        .expect("write extensions");
        tool_output(
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "cert.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
            directory,
        );
    }

    /// Invocations whose outcome is an error before any query.
    const COMMAND_LINE_CASES: &[&str] = &[
        "+cookie=zz www.example.test",
        "+cookie=0011 www.example.test",
        "+sh www.example.test",
        "+ednsopt=65001:abcd www.example.test",
        "+unknownformat www.example.test",
        "+header-only +qr",
        "+split=6 +dnssec +noall +answer example.test DNSKEY",
        "-b 127.0.0.1 www.example.test",
        "-b 127.0.0.1#0 +tcp www.example.test",
        "-b 127.0.0.700 www.example.test",
        "-b ::1 www.example.test",
        "-b 127.0.0.1#99999 www.example.test",
        // The search list: `+domain` (no resolv.conf needed), and the machine's own with +search.
        "+domain=example.test www",
        "+domain=example.test +showsearch nope",
        "+domain=example.test +short nope",
        "+domain=example.test +nosearch +short www",
        "+domain=example.test +ndots=2 +showsearch www.x",
        "+domain=example.test +showsearch www.",
        "+domain=example.test +ndots=0 www",
        "+domain=example.test. +showsearch +qr nope",
        "+domain=example.test +yaml +showsearch nope",
        "+domain=example.test +noall +answer +comments +showsearch nope MX",
        "+search +short www",
        "+defname +short www",
    ];

    /// `+[no]fail` with the validating Unbound (SERVFAIL for the bogus zone) before the NSD.
    const FAIL_OPTIONS: &[&str] = &[
        "+nofail",
        "+nofail +nocomments",
        "+nofail +short",
        "+fail",
        "+nofail +nofail +fail",
        "+nofail +qr",
    ];

    /// Runs a shell-free tool and returns its stdout, panicking with its stderr when it fails.
    fn tool_output(program: &str, arguments: &[&str], directory: &std::path::Path) -> String {
        let output = Command::new(tool_path(program))
            .args(arguments)
            .current_dir(directory)
            .output()
            .unwrap_or_else(|error| panic!("{program}: {error}"));
        assert!(
            output.status.success(),
            "{program} {arguments:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Signs `zone` for `origin` with a new KSK and ZSK (ECDSA P-256): the signed text and the
    /// DS set that anchors it.
    fn signed_zone(origin: &str, zone: &str, directory: &std::path::Path) -> (String, String) {
        let name = origin.trim_end_matches('.');
        let unsigned = directory.join(format!("{name}.zone"));
        std::fs::write(&unsigned, zone).expect("write zone");
        let ksk = tool_output(
            "dnssec-keygen",
            &[
                "-q",
                "-a",
                "ECDSAP256SHA256",
                "-f",
                "KSK",
                "-n",
                "ZONE",
                name,
            ],
            directory,
        );
        let zsk = tool_output(
            "dnssec-keygen",
            &["-q", "-a", "ECDSAP256SHA256", "-n", "ZONE", name],
            directory,
        );
        // The DNSKEYs go in the zone apex, where dnssec-signzone looks for them.
        let mut with_keys = zone.to_string();
        for key in [&ksk, &zsk] {
            let path = directory.join(format!("{key}.key"));
            with_keys.push_str(&std::fs::read_to_string(path).expect("key file"));
        }
        std::fs::write(&unsigned, with_keys).expect("write zone");
        let signed = directory.join(format!("{name}.signed"));
        let unsigned_text = unsigned.display().to_string();
        let signed_text = signed.display().to_string();
        tool_output(
            "dnssec-signzone",
            &[
                "-q",
                "-o",
                name,
                "-e",
                "+86400000",
                "-f",
                &signed_text,
                &unsigned_text,
                &ksk,
                &zsk,
            ],
            directory,
        );
        let text = std::fs::read_to_string(&signed).expect("signed zone");
        let ds = std::fs::read_to_string(directory.join(format!("dsset-{name}."))).expect("DS set");
        (text, ds)
    }

    /// A peer process started by this test, stopped by PID on drop.
    struct Peer {
        child: Child,
    }

    impl Drop for Peer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn start_peer(program: &str, arguments: &[&str], log: &std::path::Path, server: &str) -> Peer {
        let log_file = std::fs::File::create(log).expect("log file");
        let child = Command::new(tool_path(program))
            .args(arguments)
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| panic!("start {program}: {error}"));
        let mut peer = Peer { child };
        let address: SocketAddr = format!("{server}:{LAB_PORT}").parse().expect("address");
        let ready = (0..READY_ATTEMPTS).any(|_| answers_query(address, "example.test."));
        assert!(
            ready,
            "{program} on {server} never answered; log: {:?}",
            std::fs::read_to_string(log)
        );
        // An answer from a stray server on the same address would hide that ours failed to bind.
        assert!(
            matches!(peer.child.try_wait(), Ok(None)),
            "{program} on {server} exited; log: {:?}",
            std::fs::read_to_string(log)
        );
        peer
    }

    /// Everything that differs between two runs of the same query: banner, ID, times, WHEN, the
    /// cookies (random client part, time-stamped server part) and `+identify`'s time.
    fn masked(output: &str) -> String {
        normalised(output)
            .lines()
            .map(|line| {
                if let Some(rest) = line.trim_start_matches(' ').strip_prefix("COOKIE: ") {
                    // +yaml's option line.
                    let verdict = rest.split_once(' ').map(|(_, tail)| tail).unwrap_or("");
                    format!("COOKIE: C {verdict}")
                } else if let Some(rest) = line.strip_prefix("; COOKIE: ") {
                    let verdict = rest.split_once(' ').map(|(_, tail)| tail).unwrap_or("");
                    format!("; COOKIE: C {verdict}")
                } else if let Some((head, _)) = line.split_once(" from server ") {
                    let server = line
                        .split(" from server ")
                        .nth(1)
                        .and_then(|tail| tail.split(" in ").next())
                        .unwrap_or("");
                    format!("{head} from server {server} in T.")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// One side's (stdout, stderr, exit code), masked.
    fn outcome(program: &str, arguments: &[String]) -> (String, String, Option<i32>) {
        let output = run(program, arguments);
        // The first line of stderr is dig's fixed wording; after it comes the usage, rdig's own.
        let stderr = String::from_utf8_lossy(&output.stderr)
            .lines()
            .next()
            .unwrap_or("")
            .replace("rdig: ", "")
            .replace("dig: ", "");
        (masked(&text(&output)), stderr, output.status.code())
    }

    #[test]
    fn paired_invocations_match_dig_except_the_committed_differences() {
        for tool in [
            "dig",
            "nsd",
            "knotd",
            "unbound",
            "dnssec-keygen",
            "dnssec-signzone",
        ] {
            if !tool_available(tool) {
                return;
            }
        }
        let directory =
            std::env::temp_dir().join(format!("rdig-differential-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).expect("create temp dir");
        let (example, example_ds) = signed_zone("example.test.", EXAMPLE_ZONE, &directory);
        let bogus_zone = EXAMPLE_ZONE.replace("example.test.", "bogus.test.");
        let (bogus, bogus_ds) = signed_zone("bogus.test.", &bogus_zone, &directory);
        // A changed address under an unchanged signature: Unbound finds it bogus (EDE 6).
        let bogus = bogus.replace("192.0.2.1\n", "192.0.2.99\n");
        std::fs::write(directory.join("example.signed"), &example).expect("write");
        std::fs::write(directory.join("bogus.signed"), &bogus).expect("write");
        let dir = directory.display();

        let nsd_config = format!(
            "server:\n  ip-address: 127.40.10.1@{LAB_PORT}\n  zonesdir: \"{dir}\"\n  pidfile: \"\"\n  username: \"\"\n  database: \"\"\n  zonelistfile: \"{dir}/zone.list\"\n  xfrdfile: \"{dir}/xfrd.state\"\n  xfrdir: \"{dir}\"\n  chroot: \"\"\n  verbosity: 1\n  nsid: \"ascii_lab-ns\"\nremote-control:\n  control-enable: no\nzone:\n  name: \"example.test.\"\n  zonefile: \"example.signed\"\nzone:\n  name: \"bogus.test.\"\n  zonefile: \"bogus.signed\"\n"
        );
        std::fs::write(directory.join("nsd.conf"), nsd_config).expect("write nsd.conf");
        let nsd_conf = directory.join("nsd.conf").display().to_string();
        let _nsd = start_peer(
            "nsd",
            &["-d", "-c", &nsd_conf],
            &directory.join("nsd.log"),
            "127.40.10.1",
        );

        std::fs::create_dir_all(directory.join("knot")).expect("knot dir");
        let knot_config = format!(
            "server:\n  listen: 127.40.10.2@{LAB_PORT}\n  rundir: {dir}/knot\ndatabase:\n  storage: {dir}/knot\nmod-cookies:\n  - id: lab\ntemplate:\n  - id: default\n    storage: {dir}\n    global-module: mod-cookies/lab\nzone:\n  - domain: example.test\n    file: example.signed\n"
        );
        std::fs::write(directory.join("knot.conf"), knot_config).expect("write knot.conf");
        let knot_conf = directory.join("knot.conf").display().to_string();
        let _knot = start_peer(
            "knotd",
            &["-c", &knot_conf],
            &directory.join("knot.log"),
            "127.40.10.2",
        );

        // No round robin and no cache ageing: dig and rdig, run one after the other, see the
        // same order and the same TTLs.
        std::fs::write(directory.join("anchors"), format!("{example_ds}{bogus_ds}"))
            .expect("write anchors");
        let unbound_config = format!(
            "server:\n  interface: 127.40.10.3@{LAB_PORT}\n  port: {LAB_PORT}\n  access-control: 127.0.0.0/8 allow\n  do-not-query-localhost: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"{dir}\"\n  pidfile: \"\"\n  use-syslog: no\n  do-daemonize: no\n  module-config: \"validator iterator\"\n  trust-anchor-file: \"{dir}/anchors\"\n  ede: yes\n  val-log-level: 0\n  rrset-roundrobin: no\n  cache-max-ttl: 0\n  cache-max-negative-ttl: 0\n  local-zone: \"test.\" nodefault\nremote-control:\n  control-enable: no\nstub-zone:\n  name: \"example.test\"\n  stub-addr: 127.40.10.1@{LAB_PORT}\nstub-zone:\n  name: \"bogus.test\"\n  stub-addr: 127.40.10.1@{LAB_PORT}\n"
        );
        std::fs::write(directory.join("unbound.conf"), unbound_config).expect("write");
        let unbound_conf = directory.join("unbound.conf").display().to_string();
        let _unbound = start_peer(
            "unbound",
            &["-d", "-c", &unbound_conf],
            &directory.join("unbound.log"),
            "127.40.10.3",
        );

        test_certificates(&directory);
        let dnsdist_config = format!(
            "setLocal(\"127.40.10.5:{LAB_PORT}\")\naddTLSLocal(\"127.40.10.5:8853\", \"{dir}/cert.pem\", \"{dir}/key.pem\")\naddDOHLocal(\"127.40.10.5:8443\", \"{dir}/cert.pem\", \"{dir}/key.pem\", \"/dns-query\")\nnewServer({{address=\"127.40.10.1:{LAB_PORT}\"}})\nsetSecurityPollSuffix(\"\")\n"
        );
        std::fs::write(directory.join("dnsdist.conf"), dnsdist_config).expect("write");
        let dnsdist_conf = directory.join("dnsdist.conf").display().to_string();
        let _dnsdist = start_peer(
            "dnsdist",
            &["--supervised", "--disable-syslog", "-C", &dnsdist_conf],
            &directory.join("dnsdist.log"),
            "127.40.10.5",
        );

        let port = LAB_PORT.to_string();
        let mut cases: Vec<(String, Vec<String>)> = Vec::new();
        let mut add = |peer: &str, address: &str, options: &str, query: &str, norec: bool| {
            let label = format!("{peer} {options} {query}").replace("  ", " ");
            let mut arguments = words(&[&format!("@{address}"), "-p", &port]);
            if norec {
                arguments.push("+norec".to_string());
            }
            arguments.extend(options.split_whitespace().map(String::from));
            arguments.extend(query.split_whitespace().map(String::from));
            cases.push((label, arguments));
        };
        for options in NSD_OPTIONS {
            for query in NSD_QUERIES {
                add("nsd", "127.40.10.1", options, query, true);
            }
        }
        for options in KNOT_OPTIONS {
            for query in ["www.example.test", "example.test DNSKEY"] {
                add("knot", "127.40.10.2", options, query, true);
            }
        }
        for options in UNBOUND_OPTIONS {
            for query in UNBOUND_QUERIES {
                add("unbound", "127.40.10.3", options, query, false);
            }
        }
        for case in COMMAND_LINE_CASES {
            add("nsd", "127.40.10.1", case, "", true);
        }
        for options in FAIL_OPTIONS {
            let label = format!("unbound,nsd {options} www.bogus.test");
            let mut arguments = words(&["@127.40.10.3", "@127.40.10.1", "-p", &port]);
            arguments.extend(options.split_whitespace().map(String::from));
            arguments.push("www.bogus.test".to_string());
            cases.push((label.clone(), arguments.clone()));
            // The last server's SERVFAIL is shown, with dig's note.
            cases.push((format!("unbound {options} www.bogus.test"), {
                let mut alone = arguments.clone();
                alone.remove(1);
                alone
            }));
        }
        let ca_file = directory.join("ca.pem").display().to_string();
        for options in ENCRYPTED_OPTIONS {
            let label = format!("dnsdist {options} www.example.test");
            let mut arguments = words(&["@127.40.10.5", "+norec"]);
            arguments.extend(
                options
                    .replace("=CA", &format!("={ca_file}"))
                    .split_whitespace()
                    .map(String::from),
            );
            arguments.push("www.example.test".to_string());
            cases.push((label, arguments));
        }

        let mut differing = Vec::new();
        for (label, arguments) in &cases {
            let theirs = outcome("dig", arguments);
            let ours = outcome(env!("CARGO_BIN_EXE_rdig"), arguments);
            if theirs != ours {
                differing.push((label.trim().to_string(), theirs, ours));
            }
        }
        assert!(cases.len() >= 150, "only {} pairs", cases.len());
        let expected: Vec<&str> = DELIBERATE_DIFFERENCES
            .iter()
            .map(|(label, _)| *label)
            .collect();
        let unexpected: Vec<String> = differing
            .iter()
            .filter(|(label, _, _)| !expected.contains(&label.as_str()))
            .map(|(label, theirs, ours)| {
                format!("{label}\n--- dig:\n{theirs:?}\n--- rdig:\n{ours:?}")
            })
            .collect();
        let now_equal: Vec<&&str> = expected
            .iter()
            .filter(|label| !differing.iter().any(|(found, _, _)| found == *label))
            .collect();
        let _ = std::fs::remove_dir_all(&directory);
        assert!(
            unexpected.is_empty() && now_equal.is_empty(),
            "{} of {} pairs differ unexpectedly:\n{}\nlisted differences that now agree: {now_equal:?}",
            unexpected.len(),
            cases.len(),
            unexpected.join("\n\n")
        );
    }
}

mod transfers_compared_with_dig {
    use super::*;

    const KEY_SECRET: &str = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=";

    /// nsd giving the zone to anyone on loopback, unsigned or signed with `xfr-key.`.
    fn transfer_server(address: &str) -> Option<Nsd> {
        let key = format!(
            "key:\n  name: \"xfr-key.\"\n  algorithm: hmac-sha256\n  secret: \"{KEY_SECRET}\"\nkey:\n  name: \"md5-key.\"\n  algorithm: hmac-md5\n  secret: \"{KEY_SECRET}\"\n"
        );
        let acl = "  provide-xfr: 127.0.0.0/8 NOKEY\n  provide-xfr: 127.0.0.0/8 xfr-key.\n  provide-xfr: 127.0.0.0/8 md5-key.\n";
        Nsd::start_with(address, &[("example.test.", EXAMPLE_ZONE)], &key, acl)
    }

    /// The TSIG line's time, MAC and original ID differ between runs (and clients).
    fn tsig_masked(output: &str) -> String {
        output
            .lines()
            .map(|line| match line.split_once("\tTSIG\t") {
                // +multiline: `name 0 ANY TSIG alg TIME 300 16 (` then `MAC ) ID NOERROR 0`.
                None if line.contains(" ANY TSIG ") => {
                    let (head, rdata) = line.split_once(" TSIG ").unwrap_or((line, ""));
                    let algorithm = rdata.split(' ').next().unwrap_or("");
                    format!("{head} TSIG {algorithm} TIME MULTILINE")
                }
                None if line.starts_with("\t\t\t\t") && line.contains(" ) ") => {
                    let tail = line.split(" ) ").nth(1).unwrap_or("");
                    let rest: Vec<&str> = tail.split(' ').skip(1).collect();
                    format!("MAC ) ID {}", rest.join(" "))
                }
                Some((head, rdata)) => {
                    let parts: Vec<&str> = rdata.split(' ').collect();
                    let algorithm = parts.first().copied().unwrap_or("");
                    let tail = parts
                        .get(6..)
                        .map(|rest| rest.join(" "))
                        .unwrap_or_default();
                    format!("{head}\tTSIG\t{algorithm} TIME 300 32 MAC ID {tail}")
                }
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn axfr_of_a_small_zone_matches_dig() {
        let Some(nsd) = transfer_server("127.40.30.1") else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["example.test", "AXFR"]));
        let (theirs, ours) = paired(&arguments);
        assert_eq!(ours, theirs);
        assert!(
            ours.0
                .contains(";; XFR size: 13 records (messages 1, bytes "),
            "{}",
            ours.0
        );
    }

    #[test]
    fn tsig_signed_axfr_matches_dig() {
        let Some(nsd) = transfer_server("127.40.30.2") else {
            return;
        };
        let key = format!("hmac-sha256:xfr-key:{KEY_SECRET}");
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["example.test", "AXFR", "-y", &key]));
        let (theirs, ours) = paired(&arguments);
        assert_eq!(ours.1, theirs.1);
        assert_eq!(tsig_masked(&ours.0), tsig_masked(&theirs.0));
        assert!(ours.0.contains("\tTSIG\thmac-sha256. "), "{}", ours.0);
    }

    /// (dig, rdig): masked stdout, the first line of stderr (program name left out), exit code.
    fn tsig_outcomes(arguments: &[String]) -> [(String, String, Option<i32>); 2] {
        ["dig", env!("CARGO_BIN_EXE_rdig")].map(|program| {
            let output = run(program, arguments);
            let stderr = String::from_utf8_lossy(&output.stderr)
                .lines()
                .find(|line| !line.contains("is too short to be secure"))
                .unwrap_or("")
                .replace("rdig: ", "")
                .replace("dig: ", "")
                .replace("rdig [", "dig [");
            (
                tsig_masked(&normalised(&text(&output))),
                stderr,
                output.status.code(),
            )
        })
    }

    #[test]
    fn tsig_signed_queries_print_and_fail_like_dig() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = transfer_server("127.40.30.5") else {
            return;
        };
        let sha256 = format!("hmac-sha256:xfr-key:{KEY_SECRET}");
        // Without an algorithm dig 9.18 signs with hmac-md5.
        let md5 = format!("md5-key:{KEY_SECRET}");
        let wrong = "hmac-sha256:xfr-key:d3JvbmdzZWNyZXR3cm9uZ3NlY3JldHdyb25nc2VjcmU=";
        let unknown = format!("hmac-sha256:nokey:{KEY_SECRET}");
        let key_file = std::env::temp_dir().join(format!("rdig-tsig-{}.key", std::process::id()));
        std::fs::write(
            &key_file,
            format!(
                "key \"xfr-key\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{KEY_SECRET}\";\n}};\n"
            ),
        )
        .expect("write key file");
        let key_path = key_file.display().to_string();
        let incomplete_file =
            std::env::temp_dir().join(format!("rdig-tsig-incomplete-{}.key", std::process::id()));
        std::fs::write(
            &incomplete_file,
            "key \"k\" {\n\talgorithm hmac-sha256;\n};\n",
        )
        .expect("write key file");
        let incomplete_path = incomplete_file.display().to_string();
        let unknown_algorithm = format!("hmac-foo:xfr-key:{KEY_SECRET}");
        // Keys dig cannot use: it says so and asks unsigned, or stops (usage, exit 1).
        let unusable: [&[&str]; 5] = [
            &["-k", "/nonexistent/rdig.key", "www.example.test"],
            &["-k", &incomplete_path, "www.example.test"],
            &["-y", "nocolon", "www.example.test"],
            &["-y", &unknown_algorithm, "www.example.test"],
            &["-y", "xfr-key:notbase64!", "+short", "www.example.test"],
        ];
        for case in unusable {
            let mut arguments = nsd.server_args();
            arguments.push("+norec".to_string());
            arguments.extend(words(case));
            let [theirs, ours] = tsig_outcomes(&arguments);
            assert_eq!(ours, theirs, "{case:?}");
        }
        let _ = std::fs::remove_file(&incomplete_file);
        let cases: [&[&str]; 12] = [
            &["-y", &sha256, "www.example.test"],
            &["-y", &md5, "www.example.test"],
            &["-k", &key_path, "www.example.test", "MX"],
            &["-y", &sha256, "+qr", "+nocookie", "www.example.test"],
            &[
                "-y",
                &md5,
                "+multiline",
                "+noall",
                "+additional",
                "example.test",
            ],
            &["-y", &sha256, "+short", "www.example.test"],
            &["-y", &sha256, "+tcp", "nope.example.test"],
            &["-y", wrong, "www.example.test"],
            &["-y", wrong, "+short", "www.example.test"],
            &["-y", &unknown, "www.example.test"],
            &["-y", &md5, "example.test", "AXFR"],
            &["-y", &md5, "other.test", "AXFR"],
        ];
        for case in cases {
            let mut arguments = nsd.server_args();
            arguments.push("+norec".to_string());
            arguments.extend(words(case));
            let [theirs, ours] = tsig_outcomes(&arguments);
            assert_eq!(ours, theirs, "{case:?}");
        }
        let _ = std::fs::remove_file(&key_file);
    }

    #[test]
    fn onesoa_leaves_out_the_closing_soa_like_dig() {
        let Some(nsd) = transfer_server("127.40.30.6") else {
            return;
        };
        for options in [&["+onesoa"][..], &["+onesoa", "+multiline"], &["+noonesoa"]] {
            let mut arguments = nsd.server_args();
            arguments.extend(words(&["example.test", "AXFR"]));
            arguments.extend(words(options));
            let (theirs, ours) = paired(&arguments);
            assert_eq!(ours, theirs, "{options:?}");
        }
    }

    #[test]
    fn ixfr_from_the_current_serial_is_the_single_soa_as_dig_prints_it() {
        let Some(nsd) = transfer_server("127.40.30.3") else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&["example.test", "IXFR=1"]));
        let (theirs, ours) = paired(&arguments);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_wrong_tsig_secret_fails_the_transfer_as_dig_says() {
        if !tool_available("dig") {
            return;
        }
        let Some(nsd) = transfer_server("127.40.30.4") else {
            return;
        };
        let mut arguments = nsd.server_args();
        arguments.extend(words(&[
            "example.test",
            "AXFR",
            "-y",
            "hmac-sha256:xfr-key:d3JvbmdzZWNyZXR3cm9uZ3NlY3JldHdyb25nc2VjcmU=",
        ]));
        let [theirs, ours] = tsig_outcomes(&arguments);
        assert_eq!(ours, theirs);
        assert!(ours.0.contains("; Transfer failed."), "{}", ours.0);
        assert!(!ours.0.contains("192.0.2.1"), "{}", ours.0);
    }

    /// knotd started by a test, stopped by PID on drop.
    struct Knot {
        child: Child,
        directory: PathBuf,
    }

    impl Drop for Knot {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_dir_all(&self.directory);
        }
    }

    #[test]
    fn ixfr_difference_sequences_from_knot_print_like_dig() {
        for tool in ["dig", "knotd", "knotc"] {
            if !tool_available(tool) {
                return;
            }
        }
        let address = "127.40.30.10";
        let directory = std::env::temp_dir().join(format!("rdig-ixfr-knot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).expect("create temp dir");
        let dir = directory.display().to_string();
        let zone_file = directory.join("example.zone");
        std::fs::write(&zone_file, EXAMPLE_ZONE).expect("write zone");
        // `zonefile-load: difference` keeps each reload's changes in the journal for IXFR.
        let config = format!(
            "server:\n  listen: {address}@{LAB_PORT}\n  rundir: {dir}\ncontrol:\n  listen: {dir}/knot.sock\ndatabase:\n  storage: {dir}\nacl:\n  - id: lab\n    address: 127.0.0.0/8\n    action: transfer\ntemplate:\n  - id: default\n    storage: {dir}\n    zonefile-load: difference\n    journal-content: changes\n    acl: lab\nzone:\n  - domain: example.test\n    file: example.zone\n"
        );
        std::fs::write(directory.join("knot.conf"), config).expect("write knot.conf");
        let log = std::fs::File::create(directory.join("knot.log")).expect("log file");
        let child = Command::new(tool_path("knotd"))
            .arg("-c")
            .arg(directory.join("knot.conf"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start knotd");
        let _knot = Knot {
            child,
            directory: directory.clone(),
        };
        let server: SocketAddr = format!("{address}:{LAB_PORT}").parse().expect("address");
        assert!(
            (0..READY_ATTEMPTS).any(|_| answers_query(server, "example.test.")),
            "knotd never answered"
        );
        // Serial 1 → 2: one address changed, one record added.
        let changed = EXAMPLE_ZONE
            .replace("hostmaster 1 ", "hostmaster 2 ")
            .replace(
                "www IN A 192.0.2.1\n",
                "www IN A 192.0.2.99\nnew IN A 192.0.2.7\n",
            );
        std::fs::write(&zone_file, changed).expect("write zone");
        let socket = format!("{dir}/knot.sock");
        let reload = Command::new(tool_path("knotc"))
            .args(["-s", &socket, "-b", "zone-reload", "example.test"])
            .output()
            .expect("run knotc");
        assert!(reload.status.success(), "{reload:?}");
        let serial_two = (0..READY_ATTEMPTS).any(|_| {
            let arguments = words(&[
                &format!("@{address}"),
                "-p",
                &LAB_PORT.to_string(),
                "+short",
                "example.test",
                "SOA",
            ]);
            let answer = text(&rdig(&arguments));
            answer.contains(" 2 7200 ") || {
                std::thread::sleep(Duration::from_millis(100));
                false
            }
        });
        assert!(serial_two, "knotd did not load serial 2");
        let cases: [&[&str]; 4] = [
            &["example.test", "IXFR=1"],
            &["example.test", "IXFR=2"],
            &["example.test", "IXFR=1", "+multiline"],
            &["example.test", "AXFR", "+onesoa"],
        ];
        for case in cases {
            let mut arguments = words(&[&format!("@{address}"), "-p", &LAB_PORT.to_string()]);
            arguments.extend(words(case));
            let (theirs, ours) = paired(&arguments);
            assert_eq!(ours, theirs, "{case:?}");
        }
    }

    #[test]
    fn refused_transfer_connections_are_retried_like_dig() {
        if !tool_available("dig") {
            return;
        }
        // 127.40.30.9 has no listener.
        let Some(_nsd) = transfer_server("127.40.30.8") else {
            return;
        };
        let port = LAB_PORT.to_string();
        let cases: [&[&str]; 3] = [
            &["@127.40.30.9", "-p", &port, "example.test", "AXFR"],
            &[
                "@127.40.30.9",
                "@127.40.30.8",
                "-p",
                &port,
                "+tries=2",
                "example.test",
                "AXFR",
            ],
            &[
                "@127.40.30.9",
                "-p",
                &port,
                "+tries=1",
                "example.test",
                "IXFR=1",
            ],
        ];
        for case in cases {
            let [theirs, ours] = tsig_outcomes(&words(case));
            assert_eq!(ours, theirs, "{case:?}");
        }
    }
}
