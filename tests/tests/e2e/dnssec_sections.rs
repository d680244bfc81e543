//! The sections of a validated wildcard answer, as dig sees them from our resolver and Unbound:
//! minimal responses leave an answer beside its NSEC proof whole (Unbound `positive_answer`), and a
//! UDP reply over the client's size loses its additional section silently, then whole signed
//! RRsets, each with its RRSIGs, with TC.
//!
//! ```text
//! dnssec-signzone (root, good.) ─▶ NSD ◀── our resolver, default         ◀── dig +dnssec +bufsize=N +ignore
//!                                      ◀── our resolver, --no-scrub-promiscuous (keeps NSD's NS set and glue)
//!                                      ◀── Unbound                        ◀── the same questions, same shapes
//! ```

use std::net::{IpAddr, SocketAddr};

use e2e::{
    dig, loopback_v4_for, require_tool, start_nsd, start_unbound, DigAnswer, DigRecord, Resolver,
    TempDir, UnboundConfig, Zone, PEER_PORT,
};

use super::dnssec::Signer;

/// The question: a name only the wildcard `*.wild.good.` answers.
const QUESTION: &str = "anything.wild.good.";

/// Three 200-byte strings: the answer is large enough that its proof and NS set decide whether
/// the reply fits a client's buffer above the 512-byte floor.
fn wildcard_text() -> String {
    let chunk = "x".repeat(200);
    format!("\"{chunk}\" \"{chunk}\" \"{chunk}\"")
}

/// Each record of a section as (owner, type, covered type of an RRSIG), sorted.
fn rrsets(records: &[DigRecord]) -> Vec<(String, String, String)> {
    let mut keys: Vec<(String, String, String)> = records
        .iter()
        .map(|record| {
            let covered = if record.record_type == "RRSIG" {
                record
                    .data
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string()
            } else {
                String::new()
            };
            (
                record.name.to_lowercase(),
                record.record_type.clone(),
                covered,
            )
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// What the test compares of one reply: TC, and the RRsets of each section.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    truncated: bool,
    answer: Vec<(String, String, String)>,
    authority: Vec<(String, String, String)>,
    additional: Vec<(String, String, String)>,
}

fn shape(answer: &DigAnswer) -> Shape {
    Shape {
        truncated: answer.flags.iter().any(|flag| flag == "tc"),
        answer: rrsets(&answer.answers),
        authority: rrsets(&answer.authorities),
        additional: rrsets(&answer.additionals),
    }
}

/// dig's `MSG SIZE  rcvd: N`.
fn message_size(answer: &DigAnswer) -> usize {
    answer
        .output
        .lines()
        .find_map(|line| line.trim().strip_prefix(";; MSG SIZE  rcvd:"))
        .and_then(|size| size.trim().parse().ok())
        .unwrap_or_else(|| panic!("no message size in dig's output:\n{}", answer.output))
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn key(owner: &str, record_type: &str, covered: &str) -> (String, String, String) {
    (
        owner.to_string(),
        record_type.to_string(),
        covered.to_string(),
    )
}

#[test]
fn a_wildcard_answer_keeps_its_sections_and_truncates_whole_signed_rrsets_as_unbound_does() {
    let test = "dnssec_wildcard_sections";
    let (Some(dig_path), Some(_)) = (require_tool("dig"), require_tool("nsd")) else {
        return;
    };
    let Some(signer) = Signer::new() else { return };
    // Unbound reaches the peers only on port 53 (root); our resolver runs either way.
    let port = if is_root() { 53 } else { PEER_PORT };
    let address = |index| SocketAddr::new(IpAddr::V4(loopback_v4_for(test, index)), port);
    let (root, child) = (address(0), address(1));

    let good_text = format!(
        "$TTL 300\ngood. SOA ns.good. hostmaster.good. 1 3600 900 604800 300\n\
         good. NS ns.good.\nns.good. A {}\n*.wild.good. TXT {}\n",
        child.ip(),
        wildcard_text()
    );
    let good = signer.sign_with_bind("good.", &good_text, &[]);
    let root_text = format!(
        "$TTL 300\n. SOA a.root-servers. hostmaster.root-servers. 1 3600 900 604800 300\n\
         . NS a.root-servers.\na.root-servers. A {}\ngood. NS ns.good.\nns.good. A {}\n{}\n",
        root.ip(),
        child.ip(),
        good.ds.trim_end()
    );
    let root_signed = signer.sign_with_bind(".", &root_text, &[]);
    let _root_peer = start_nsd(root, &[Zone::new(".", &root_signed.text)])
        .unwrap_or_else(|error| panic!("NSD for the root: {error}"));
    let _child_peer = start_nsd(child, &[Zone::new("good.", &good.text)])
        .unwrap_or_else(|error| panic!("NSD for good.: {error}"));
    let directory = TempDir::new("dnssec-sections").unwrap_or_else(|error| panic!("{error}"));
    let anchor = directory
        .write("root-anchor.ds", &root_signed.ds)
        .unwrap_or_else(|error| panic!("{error}"));
    let hints = directory
        .write(
            "root.hints",
            &format!(
                ".  3600000 NS a.root-servers.\na.root-servers. 3600000 A {}\n",
                root.ip()
            ),
        )
        .unwrap_or_else(|error| panic!("{error}"));

    let start_resolver = |index: u8, extra: &[&str]| {
        let mut arguments = vec![
            "--root-hints".to_string(),
            hints.display().to_string(),
            "--allow-loopback-upstream".to_string(),
            "--trust-anchor".to_string(),
            anchor.display().to_string(),
        ];
        arguments.extend(extra.iter().map(|argument| argument.to_string()));
        if port != 53 {
            arguments.extend(["--upstream-port".to_string(), port.to_string()]);
        }
        Resolver::start(SocketAddr::new(address(index).ip(), PEER_PORT), &arguments)
            .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
    };
    let strict = start_resolver(2, &[]);
    // The NS set and glue NSD puts beside the answer are kept (Unbound's iter-scrub-promiscuous: no).
    let keeping = start_resolver(3, &["--no-scrub-promiscuous"]);
    let unbound = match (port, require_tool("unbound")) {
        (53, Some(_)) => {
            let config = UnboundConfig {
                root_hints: Some(hints.clone()),
                trust_anchor_file: Some(anchor.clone()),
                ..UnboundConfig::default()
            };
            Some(
                start_unbound(SocketAddr::new(address(4).ip(), PEER_PORT), &config)
                    .unwrap_or_else(|error| panic!("Unbound: {error}")),
            )
        }
        (53, None) => None,
        _ => {
            e2e::record_skip("the Unbound comparison needs root (peers on port 53)");
            None
        }
    };

    // +ignore: a truncated reply is shown as received, not retried over TCP.
    let ask = |server: SocketAddr, bufsize: usize| {
        let bufsize = format!("+bufsize={bufsize}");
        dig(
            &dig_path,
            server,
            QUESTION,
            "TXT",
            &["+dnssec", "+ignore", "+time=5", &bufsize],
        )
        .unwrap_or_else(|error| panic!("{error}"))
    };
    // The same three questions of a server, each buffer one byte short of the last reply.
    let ladder = |server: SocketAddr| -> [DigAnswer; 3] {
        let whole = ask(server, 1232);
        let shorter = ask(server, message_size(&whole) - 1);
        let shortest = ask(server, message_size(&shorter) - 1);
        [whole, shorter, shortest]
    };
    let answer = vec![key(QUESTION, "RRSIG", "TXT"), key(QUESTION, "TXT", "")];
    let proof = vec![
        key("*.wild.good.", "NSEC", ""),
        key("*.wild.good.", "RRSIG", "NSEC"),
    ];
    let mut with_ns = proof.clone();
    with_ns.extend([key("good.", "NS", ""), key("good.", "RRSIG", "NS")]);
    with_ns.sort();
    let glue = vec![key("ns.good.", "A", ""), key("ns.good.", "RRSIG", "A")];
    let shape_of = |truncated, answer: &[_], authority: &[_], additional: &[_]| Shape {
        truncated,
        answer: answer.to_vec(),
        authority: authority.to_vec(),
        additional: additional.to_vec(),
    };

    let ours_keeping = ladder(keeping.address);
    assert!(
        ours_keeping[0].status == "NOERROR"
            && ours_keeping[0].flags.iter().any(|flag| flag == "ad"),
        "a secure answer expected:\n{}\nresolver log:\n{}",
        ours_keeping[0].output,
        keeping.output()
    );
    let expected_keeping = [
        // Whole: the proof, the signed NS set and the server's signed address.
        shape_of(false, &answer, &with_ns, &glue),
        // One byte short: the additional section goes, silently (no TC).
        shape_of(false, &answer, &with_ns, &[]),
        // Shorter still: the NS set goes with its RRSIG, and TC says the reply is cut.
        shape_of(true, &answer, &proof, &[]),
    ];
    for (received, expected) in ours_keeping.iter().zip(&expected_keeping) {
        assert_eq!(&shape(received), expected, "{}", received.output);
    }
    assert!(
        message_size(&ours_keeping[1]) - 1 > 512,
        "the buffers stay above the 512-byte floor:\n{}",
        ours_keeping[1].output
    );

    // By default the NS set beside an answer is scrubbed: the proof alone, then TC as the proof
    // and then the answer go, each RRset with its RRSIG.
    let ours_strict = ladder(strict.address);
    let expected_strict = [
        shape_of(false, &answer, &proof, &[]),
        shape_of(true, &answer, &[], &[]),
        shape_of(true, &[], &[], &[]),
    ];
    for (received, expected) in ours_strict.iter().zip(&expected_strict) {
        assert_eq!(&shape(received), expected, "{}", received.output);
    }

    let Some(unbound) = &unbound else { return };
    let theirs = ladder(unbound.address);
    // Unbound 1.17 drops the NS set beside an answer, as our default does; one that keeps it is
    // compared with the resolver that keeps it too.
    let unbound_keeps_ns = theirs[0]
        .authorities
        .iter()
        .any(|record| record.record_type == "NS");
    let ours = if unbound_keeps_ns {
        &ours_keeping
    } else {
        &ours_strict
    };
    for (ours, theirs) in ours.iter().zip(&theirs) {
        assert_eq!(
            shape(theirs),
            shape(ours),
            "Unbound:\n{}\nours:\n{}",
            theirs.output,
            ours.output
        );
    }
}
