//! DNSSEC end to end with zones we did not sign ourselves: `dnssec-signzone` (BIND) and
//! `ldns-signzone` (ldns) sign a root and its children at test time, NSD serves them, and our
//! resolver, Unbound and `delv` each judge every case from the same trust anchor.
//!
//! ```text
//! dnssec-keygen / ldns-keygen ─▶ sign children ─▶ their DS (or a wrong one) into the root ─▶ sign root
//! NSD (root) + NSD (children) ◀── our resolver ◀── dig +dnssec     (verdict: rcode, ad, EDE)
//!                             ◀── Unbound       ◀── dig +dnssec     (same verdict wanted)
//!                                 our resolver  ◀── delv +cdflag    (delv validates for itself)
//! ```

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::{
    dig, loopback_v4_for, require_tool, start_nsd, start_unbound, Resolver, TempDir, UnboundConfig,
    Zone, PEER_PORT,
};

/// Where every name server of the test answers the child zones' A queries.
const WWW_ADDRESS: &str = "192.0.2.80";

/// Signatures dnssec-signzone makes for the expired zone: valid in January 2020 only.
const EXPIRED_INCEPTION: &str = "20200101000000";
const EXPIRED_EXPIRATION: &str = "20200201000000";

/// Runs a signing tool; its failure ends the test with the tool's own words.
fn run(directory: &Path, program: &Path, arguments: &[&str]) -> String {
    let output = Command::new(program)
        .current_dir(directory)
        .args(arguments)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{} {}: {}\n{stdout}{}",
        program.display(),
        arguments.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The signing tools and their working directory (keys, zone files, signed output).
pub(crate) struct Signer {
    directory: TempDir,
    keygen: PathBuf,
    signzone: PathBuf,
    dsfromkey: PathBuf,
    ldns_keygen: PathBuf,
    ldns_signzone: PathBuf,
}

/// A zone signed by one of the tools: the text NSD serves and the DS its parent should hold.
pub(crate) struct SignedZone {
    pub(crate) text: String,
    pub(crate) ds: String,
}

impl Signer {
    pub(crate) fn new() -> Option<Signer> {
        let keygen = require_tool("dnssec-keygen")?;
        let signzone = require_tool("dnssec-signzone")?;
        let dsfromkey = require_tool("dnssec-dsfromkey")?;
        let ldns_keygen = require_tool("ldns-keygen")?;
        let ldns_signzone = require_tool("ldns-signzone")?;
        let directory = TempDir::new("dnssec-signing").unwrap_or_else(|error| panic!("{error}"));
        Some(Signer {
            directory,
            keygen,
            signzone,
            dsfromkey,
            ldns_keygen,
            ldns_signzone,
        })
    }

    fn path(&self) -> &Path {
        self.directory.path()
    }

    /// A new ECDSA P-256 key for `origin` (one key signs everything: a CSK); its base name.
    fn bind_key(&self, origin: &str) -> String {
        let arguments = [
            "-q",
            "-K",
            ".",
            "-a",
            "ECDSAP256SHA256",
            "-f",
            "KSK",
            origin,
        ];
        run(self.path(), &self.keygen, &arguments)
            .trim()
            .to_string()
    }

    /// The DS record (SHA-256) of a BIND key, one line in zone-file syntax.
    fn bind_ds(&self, key: &str) -> String {
        let key_file = format!("{key}.key");
        run(self.path(), &self.dsfromkey, &["-2", &key_file])
    }

    /// `dnssec-signzone -z` (the one key signs every RRset) with `extra` options, one record per
    /// line (`-O full`) so a test can strip records by type.
    pub(crate) fn sign_with_bind(&self, origin: &str, text: &str, extra: &[&str]) -> SignedZone {
        let key = self.bind_key(origin);
        let unsigned = format!("{origin}zone");
        let signed = format!("{origin}signed");
        let with_key = format!("{text}{}", read(&self.path().join(format!("{key}.key"))));
        self.directory
            .write(&unsigned, &with_key)
            .unwrap_or_else(|error| panic!("{error}"));
        let mut arguments = vec!["-q", "-z", "-K", ".", "-o", origin, "-O", "full"];
        arguments.extend_from_slice(extra);
        arguments.extend_from_slice(&["-f", &signed, &unsigned, &key]);
        run(self.path(), &self.signzone, &arguments);
        SignedZone {
            text: read(&self.path().join(&signed)),
            ds: self.bind_ds(&key),
        }
    }

    /// `ldns-signzone -n` (NSEC3, no salt, 0 extra iterations as RFC 9276 asks).
    pub(crate) fn sign_with_ldns_nsec3(&self, origin: &str, text: &str) -> SignedZone {
        let key = run(
            self.path(),
            &self.ldns_keygen,
            &["-a", "ECDSAP256SHA256", "-k", origin],
        )
        .trim()
        .to_string();
        let unsigned = format!("{origin}ldns.zone");
        let signed = format!("{origin}ldns.signed");
        self.directory
            .write(&unsigned, text)
            .unwrap_or_else(|error| panic!("{error}"));
        let arguments = [
            "-n", "-t", "0", "-o", origin, "-f", &signed, &unsigned, &key,
        ];
        run(self.path(), &self.ldns_signzone, &arguments);
        SignedZone {
            text: read(&self.path().join(&signed)),
            ds: read(&self.path().join(format!("{key}.ds"))),
        }
    }
}

/// A child zone's unsigned text: SOA, NS with glue, `www` and a wildcard `*.wild` with an address.
fn child_text(origin: &str, server: IpAddr) -> String {
    format!(
        "$TTL 300\n{origin} SOA ns.{origin} hostmaster.{origin} 1 3600 900 604800 300\n\
         {origin} NS ns.{origin}\nns.{origin} A {server}\nwww.{origin} A {WWW_ADDRESS}\n*.wild.{origin} A {WWW_ADDRESS}\n"
    )
}

/// Drops the records `unwanted` matches from a zone printed one record per line.
fn strip(text: &str, unwanted: impl Fn(&[&str]) -> bool) -> String {
    text.lines()
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            line.starts_with(';') || !unwanted(&fields)
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// What a user sees of one answer: the rcode, the `ad` flag and any Extended DNS Error.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Verdict {
    status: String,
    authenticated: bool,
    extended_errors: Vec<u16>,
}

impl fmt::Display for Verdict {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ad = if self.authenticated { " ad" } else { "" };
        write!(formatter, "{}{ad}", self.status)?;
        for code in &self.extended_errors {
            write!(formatter, " EDE {code}")?;
        }
        Ok(())
    }
}

/// One question and the verdict every validator should reach on it.
struct Case {
    what: &'static str,
    name: &'static str,
    record_type: &'static str,
    status: &'static str,
    authenticated: bool,
    /// The RFC 8914 code we send; `None` for answers that are not failures.
    extended_error: Option<u16>,
    /// What `delv` (validating by itself through our resolver with CD) prints.
    delv: &'static str,
    /// A wildcard expansion: delv needs our DO answer to carry the NSEC/NSEC3 proof that no
    /// closer name exists (RFC 4035 §3.1.3.3). delv asks it once of a name we have not cached
    /// (`fresh.` prepended: our answer from the walk) besides the case's own name (by then
    /// answered from our cache, after dig asked it).
    wildcard: bool,
}

/// Unbound is compared on rcode and `ad` only. Its EDE names the first fetch of its chain building
/// that failed, and that varies: Unbound 1.17.1 sent 7/9/12/12 for expired/wrong DS/missing
/// RRSIG/stripped NSEC in one run and 9 for all four in another, then 6 (DNSSEC Bogus) from its
/// cache. For a missing RRSIG it asks the DS of `www` (is it a zone cut?) and reports that proof
/// (12); we report what is wrong with the answer itself (10, RRSIGs Missing).
const CASES: &[Case] = &[
    Case {
        what: "good zone (dnssec-signzone, NSEC)",
        name: "www.good.",
        record_type: "A",
        status: "NOERROR",
        authenticated: true,
        extended_error: None,
        delv: "; fully validated",
        wildcard: false,
    },
    Case {
        what: "good zone, a name that does not exist (NSEC proof)",
        name: "missing.good.",
        record_type: "A",
        status: "NXDOMAIN",
        authenticated: true,
        extended_error: None,
        delv: "; negative response, fully validated",
        wildcard: false,
    },
    Case {
        what: "good zone, no TXT at www (NSEC NODATA proof)",
        name: "www.good.",
        record_type: "TXT",
        status: "NOERROR",
        authenticated: true,
        extended_error: None,
        delv: "; negative response, fully validated",
        wildcard: false,
    },
    Case {
        what: "good zone, a wildcard expansion (NSEC: no closer name)",
        name: "anything.wild.good.",
        record_type: "A",
        status: "NOERROR",
        authenticated: true,
        extended_error: None,
        delv: "; fully validated",
        wildcard: true,
    },
    Case {
        what: "good zone (ldns-signzone, NSEC3)",
        name: "www.hashed.",
        record_type: "A",
        status: "NOERROR",
        authenticated: true,
        extended_error: None,
        delv: "; fully validated",
        wildcard: false,
    },
    Case {
        what: "good zone, a name that does not exist (NSEC3 proof)",
        name: "missing.hashed.",
        record_type: "A",
        status: "NXDOMAIN",
        authenticated: true,
        extended_error: None,
        delv: "; negative response, fully validated",
        wildcard: false,
    },
    Case {
        what: "good zone, no TXT at www (NSEC3 NODATA proof)",
        name: "www.hashed.",
        record_type: "TXT",
        status: "NOERROR",
        authenticated: true,
        extended_error: None,
        delv: "; negative response, fully validated",
        wildcard: false,
    },
    Case {
        what: "good zone, a wildcard expansion (NSEC3: no closer name)",
        name: "anything.wild.hashed.",
        record_type: "A",
        status: "NOERROR",
        authenticated: true,
        extended_error: None,
        delv: "; fully validated",
        wildcard: true,
    },
    Case {
        what: "expired signatures (dnssec-signzone -e in 2020)",
        name: "www.expired.",
        record_type: "A",
        status: "SERVFAIL",
        authenticated: false,
        extended_error: Some(7),
        delv: "resolution failed",
        wildcard: false,
    },
    Case {
        what: "wrong DS (the root holds the DS of another key)",
        name: "www.wrongds.",
        record_type: "A",
        status: "SERVFAIL",
        authenticated: false,
        extended_error: Some(9),
        delv: "resolution failed",
        wildcard: false,
    },
    Case {
        what: "missing RRSIG (the signature of www A stripped)",
        name: "www.norrsig.",
        record_type: "A",
        status: "SERVFAIL",
        authenticated: false,
        extended_error: Some(10),
        delv: "resolution failed",
        wildcard: false,
    },
    Case {
        what: "stripped NSEC (a signed zone without its NSEC records)",
        name: "missing.nonsec.",
        record_type: "A",
        status: "SERVFAIL",
        authenticated: false,
        extended_error: Some(12),
        delv: "resolution failed",
        wildcard: false,
    },
    Case {
        what: "unsigned child under a signed parent (no DS, proved by the root's NSEC)",
        name: "www.unsigned.",
        record_type: "A",
        status: "NOERROR",
        authenticated: false,
        extended_error: None,
        delv: "; unsigned answer",
        wildcard: false,
    },
];

/// The tree: a signed root and its children, two NSDs on their own addresses, the anchor files.
struct SignedTree {
    _root: e2e::Peer,
    _children: e2e::Peer,
    /// The root's DS, for `--trust-anchor` and Unbound's `trust-anchor-file`.
    anchor: PathBuf,
    /// The same anchor in BIND's `trust-anchors { }` syntax, for `delv -a`.
    bind_anchor: PathBuf,
    root_hints: PathBuf,
    signer: Signer,
}

fn build_tree(signer: Signer, root: SocketAddr, children: SocketAddr) -> SignedTree {
    let child_server = children.ip();
    let good = signer.sign_with_bind("good.", &child_text("good.", child_server), &[]);
    let hashed = signer.sign_with_ldns_nsec3("hashed.", &child_text("hashed.", child_server));
    // -P: dnssec-signzone's own check would refuse signatures that already expired.
    let expired = signer.sign_with_bind(
        "expired.",
        &child_text("expired.", child_server),
        &["-P", "-s", EXPIRED_INCEPTION, "-e", EXPIRED_EXPIRATION],
    );
    let wrongds = signer.sign_with_bind("wrongds.", &child_text("wrongds.", child_server), &[]);
    let other_key = signer.bind_key("wrongds.");
    let wrong_ds = signer.bind_ds(&other_key);
    let norrsig = signer.sign_with_bind("norrsig.", &child_text("norrsig.", child_server), &[]);
    let norrsig_text = strip(&norrsig.text, |fields| {
        fields.first() == Some(&"www.norrsig.") && fields.get(3) == Some(&"RRSIG")
    });
    let nonsec = signer.sign_with_bind("nonsec.", &child_text("nonsec.", child_server), &[]);
    let nonsec_text = strip(&nonsec.text, |fields| {
        fields.get(3) == Some(&"NSEC")
            || (fields.get(3) == Some(&"RRSIG") && fields.get(4) == Some(&"NSEC"))
    });
    for (origin, stripped, signed) in [
        ("norrsig.", &norrsig_text, &norrsig.text),
        ("nonsec.", &nonsec_text, &nonsec.text),
    ] {
        assert!(
            stripped.lines().count() < signed.lines().count(),
            "nothing was stripped from {origin}:\n{stripped}"
        );
    }
    let unsigned = child_text("unsigned.", child_server);

    let mut root_text = format!(
        "$TTL 300\n. SOA a.root-servers. hostmaster.root-servers. 1 3600 900 604800 300\n\
         . NS a.root-servers.\na.root-servers. A {}\n",
        root.ip()
    );
    for (origin, ds) in [
        ("good.", Some(&good.ds)),
        ("hashed.", Some(&hashed.ds)),
        ("expired.", Some(&expired.ds)),
        ("wrongds.", Some(&wrong_ds)),
        ("norrsig.", Some(&norrsig.ds)),
        ("nonsec.", Some(&nonsec.ds)),
        ("unsigned.", None),
    ] {
        root_text.push_str(&format!(
            "{origin} NS ns.{origin}\nns.{origin} A {child_server}\n"
        ));
        if let Some(ds) = ds {
            root_text.push_str(ds.trim_end());
            root_text.push('\n');
        }
    }
    let root_signed = signer.sign_with_bind(".", &root_text, &[]);
    let root_peer = start_nsd(root, &[Zone::new(".", &root_signed.text)])
        .unwrap_or_else(|error| panic!("NSD for the root: {error}"));
    let child_zones = [
        Zone::new("good.", &good.text),
        Zone::new("hashed.", &hashed.text),
        Zone::new("expired.", &expired.text),
        Zone::new("wrongds.", &wrongds.text),
        Zone::new("norrsig.", &norrsig_text),
        Zone::new("nonsec.", &nonsec_text),
        Zone::new("unsigned.", &unsigned),
    ];
    let children_peer = start_nsd(children, &child_zones)
        .unwrap_or_else(|error| panic!("NSD for the children: {error}"));

    let anchor = signer
        .directory
        .write("root-anchor.ds", &root_signed.ds)
        .unwrap_or_else(|error| panic!("{error}"));
    // ". IN DS 12345 13 2 HEX" → trust-anchors { "." static-ds 12345 13 2 "HEX"; };
    let fields: Vec<&str> = root_signed.ds.split_whitespace().collect();
    let [_, _, _, tag, algorithm, digest_type, digest @ ..] = fields.as_slice() else {
        panic!("unexpected DS from dnssec-dsfromkey: {}", root_signed.ds);
    };
    let bind_anchor = signer
        .directory
        .write(
            "root-anchor.conf",
            &format!(
                "trust-anchors {{\n  \".\" static-ds {tag} {algorithm} {digest_type} \"{}\";\n}};\n",
                digest.concat()
            ),
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let root_hints = signer
        .directory
        .write(
            "root.hints",
            &format!(
                ".  3600000 NS a.root-servers.\na.root-servers. 3600000 A {}\n",
                root.ip()
            ),
        )
        .unwrap_or_else(|error| panic!("{error}"));
    SignedTree {
        _root: root_peer,
        _children: children_peer,
        anchor,
        bind_anchor,
        root_hints,
        signer,
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn verdict_of(dig_path: &Path, server: SocketAddr, case: &Case, extra: &[&str]) -> Verdict {
    let mut arguments = vec!["+dnssec", "+time=5"];
    arguments.extend_from_slice(extra);
    let answer = dig(dig_path, server, case.name, case.record_type, &arguments)
        .unwrap_or_else(|error| panic!("{error}"));
    Verdict {
        status: answer.status,
        authenticated: answer.flags.iter().any(|flag| flag == "ad"),
        extended_errors: answer.extended_errors,
    }
}

/// Every case through our resolver, Unbound (when it can reach the peers: port 53, so root) and
/// delv; all disagreements are listed at once, with the verdict table printed either way.
#[test]
fn signed_zones_from_bind_and_ldns_get_the_same_verdict_from_us_unbound_and_delv() {
    let test = "dnssec_signed_zones_same_verdict";
    let (Some(dig_path), Some(delv), Some(_)) = (
        require_tool("dig"),
        require_tool("delv"),
        require_tool("nsd"),
    ) else {
        return;
    };
    let Some(signer) = Signer::new() else { return };
    // Unbound has no upstream port setting: it can check our verdicts only when the peers
    // listen on 53, which needs root. Without root our resolver still runs, on PEER_PORT.
    let port = if is_root() { 53 } else { PEER_PORT };
    let address = |index| SocketAddr::new(IpAddr::V4(loopback_v4_for(test, index)), port);
    let tree = build_tree(signer, address(0), address(1));

    let mut arguments = vec![
        "--root-hints".to_string(),
        tree.root_hints.display().to_string(),
        "--allow-loopback-upstream".to_string(),
        "--trust-anchor".to_string(),
        tree.anchor.display().to_string(),
    ];
    if port != 53 {
        arguments.extend(["--upstream-port".to_string(), port.to_string()]);
    }
    let resolver_address = SocketAddr::new(address(2).ip(), PEER_PORT);
    let resolver = Resolver::start(resolver_address, &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let unbound = if port == 53 {
        match require_tool("unbound") {
            Some(_) => {
                let config = UnboundConfig {
                    root_hints: Some(tree.root_hints.clone()),
                    trust_anchor_file: Some(tree.anchor.clone()),
                    // Each validation failure logged with its reason, for the failure message.
                    server_lines: vec!["val-log-level: 2".to_string()],
                    ..UnboundConfig::default()
                };
                let unbound_address = SocketAddr::new(address(3).ip(), PEER_PORT);
                Some(
                    start_unbound(unbound_address, &config)
                        .unwrap_or_else(|error| panic!("Unbound: {error}")),
                )
            }
            None => None,
        }
    } else {
        e2e::record_skip("the Unbound comparison needs root (peers on port 53)");
        None
    };

    let mut table = vec![format!(
        "{:<66} | {:<22} | {:<22} | delv",
        "case", "ours", "Unbound"
    )];
    let mut wrong = Vec::new();
    for case in CASES {
        let ours = verdict_of(&dig_path, resolver.address, case, &[]);
        let expected = Verdict {
            status: case.status.to_string(),
            authenticated: case.authenticated,
            extended_errors: case.extended_error.into_iter().collect(),
        };
        if ours != expected {
            wrong.push(format!("{}: ours {ours}, expected {expected}", case.what));
        }
        let theirs = unbound
            .as_ref()
            .map(|unbound| verdict_of(&dig_path, unbound.address, case, &[]));
        if let Some(theirs) = &theirs {
            if (&theirs.status, theirs.authenticated) != (&ours.status, ours.authenticated) {
                wrong.push(format!("{}: ours {ours}, Unbound {theirs}", case.what));
            }
        }
        let delv_run = |name: &str| {
            let delv_output = Command::new(&delv)
                .arg(format!("@{}", resolver.address.ip()))
                .args(["-p", &resolver.address.port().to_string(), "-a"])
                .arg(&tree.bind_anchor)
                .args(["+root=.", "+cdflag", name, case.record_type])
                .output()
                .unwrap_or_else(|error| panic!("delv: {error}"));
            let delv_text = format!(
                "{}{}",
                String::from_utf8_lossy(&delv_output.stdout),
                String::from_utf8_lossy(&delv_output.stderr)
            );
            let delv_says = delv_text
                .lines()
                .find(|line| line.starts_with("; ") || line.starts_with(";; resolution failed"))
                .unwrap_or("(nothing)")
                .trim()
                .to_string();
            (delv_text, delv_says)
        };
        let fresh_name = format!("fresh.{}", case.name);
        let mut names = vec![case.name];
        if case.wildcard {
            names.push(&fresh_name);
        }
        let mut delv_said = Vec::new();
        for name in names {
            let (delv_text, delv_says) = delv_run(name);
            if !delv_text.contains(case.delv) {
                wrong.push(format!(
                    "{} ({name}): delv through our resolver said `{delv_says}`, expected `{}`:\n{delv_text}",
                    case.what, case.delv
                ));
            }
            delv_said.push(delv_says);
        }
        let delv_says = delv_said.join(" / ");
        let theirs = theirs.map_or("(not run)".to_string(), |verdict| verdict.to_string());
        table.push(format!(
            "{:<66} | {:<22} | {:<22} | {delv_says}",
            case.what,
            ours.to_string(),
            theirs
        ));
    }

    // CD: a client that validates for itself gets the bogus data, unchecked (no ad).
    for name in ["www.expired.", "www.wrongds.", "www.norrsig."] {
        let answer = dig(
            &dig_path,
            resolver.address,
            name,
            "A",
            &["+dnssec", "+cd", "+time=5"],
        )
        .unwrap_or_else(|error| panic!("{error}"));
        let data: Vec<&str> = answer
            .answers
            .iter()
            .filter(|record| record.record_type == "A")
            .map(|record| record.data.as_str())
            .collect();
        if answer.status != "NOERROR"
            || data != [WWW_ADDRESS]
            || answer.flags.iter().any(|flag| flag == "ad")
        {
            wrong.push(format!(
                "{name} +cd: expected NOERROR with {WWW_ADDRESS} and no ad:\n{}",
                answer.output
            ));
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(
        wrong.is_empty(),
        "{}\n\n{}\n\nresolver log:\n{}\n\nUnbound log:\n{}\n\nsigning directory: {}",
        wrong.join("\n"),
        table.join("\n"),
        resolver.output(),
        unbound
            .as_ref()
            .map_or(String::new(), |unbound| unbound.output()),
        tree.signer.path().display()
    );
}
