//! One rdig invocation end to end: parse, pick servers, query each lookup, print dig's report.
//! Returns dig's exit code; the binary only calls this.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RecordType};

use crate::dig::args::{parse_arguments, AddressFamily, Lookup};
use crate::dig::batch::{batch_lookups, read_batch_file};
use crate::dig::error::DigError;
use crate::dig::exchange::{
    bad_cookie_retry, decode_reply, exchange_lookup, lower_edns_version, query_wire, set_cookie,
    Reply, SendingNote,
};
use crate::dig::json::{error_value, exchange_value, message_value, reply_value};
use crate::dig::limits::{MAX_BAD_COOKIE_RETRIES, MAX_DIGRC_BYTES, MAX_SERVER_ADDRESSES};
use crate::dig::nssearch::run_nssearch;
use crate::dig::options::Encryption;
use crate::dig::query::{build_query, query_name_idn};
use crate::dig::report::{
    command_text, cookie_check, message_text, reply_text, short_text, CookieCheck,
};
use crate::dig::resolv_conf::{read_resolv_conf, search_names, ResolvConf};
use crate::dig::secure_transport::{HTTPS_PORT, TLS_PORT};
use crate::dig::socket_transport::SocketTransport;
use crate::dig::trace::run_trace;
use crate::dig::xfr::run_transfer;
use crate::dig::yaml::{error_yaml, message_yaml, Exchange as YamlExchange};
use crate::upstream::transport::Protocol;
use crate::upstream::transport::Transport;

/// dig's usage summary (`-h`): every option of dig 9.18, those rdig refuses marked.
pub const USAGE: &str = "Usage:  rdig [@global-server] [domain] [q-type] [q-class] {q-opt}
            {global-d-opt} host [@local-server] {local-d-opt}
            [ host [@local-server] {local-d-opt} [...]]
Where:  domain\t  is in the Domain Name System
        q-class  is one of (in,hs,ch,...) [default: in]
        q-type   is one of (a,any,mx,ns,soa,hinfo,txt,...) [default:a]
        q-opt    is one of:
                 -4                  (use IPv4 query transport only)
                 -6                  (use IPv6 query transport only)
                 -b address[#port]   (bind to source address/port)
                 -c class            (specify query class)
                 -f filename         (batch mode)
                 -k keyfile          (specify tsig key file)
                 -m                  (enable memory usage debugging: accepted, no effect)
                 -p port             (specify port number)
                 -q name             (specify query name)
                 -r                  (do not read ~/.digrc)
                 -t type             (specify query type)
                 -u                  (display times in usec instead of msec)
                 -x dot-notation     (shortcut for reverse lookups)
                 -y [hmac:]name:key  (specify named base64 tsig key)
        d-opt    is of the form +keyword[=value], where keyword is:
                 +[no]aaflag         (Set AA flag in query (+[no]aaflag))
                 +[no]aaonly         (Set AA flag in query (+[no]aaflag))
                 +[no]additional     (Control display of additional section)
                 +[no]adflag         (Set AD flag in query (default on))
                 +[no]all            (Set or clear all display flags)
                 +[no]answer         (Control display of answer section)
                 +[no]authority      (Control display of authority section)
                 +[no]badcookie      (Retry BADCOOKIE responses)
                 +[no]besteffort     (Try to parse even illegal messages)
                 +bufsize[=###]      (Set EDNS0 Max UDP packet size)
                 +[no]cdflag         (Set checking disabled flag in query)
                 +[no]class          (Control display of class in records)
                 +[no]cmd            (Control display of command line - global option)
                 +[no]coflag         (Set compact denial of existence ok flag) [not supported]
                 +[no]comments       (Control display of packet header and section name comments)
                 +[no]cookie[=###]   (Add a COOKIE option to the request)
                 +[no]crypto         (Control display of cryptographic fields) [not supported]
                 +[no]defname        (Use search list (+[no]search))
                 +[no]dns64prefix    (Get the DNS64 prefixes from ipv4only.arpa) [not supported]
                 +[no]dnssec         (Request DNSSEC records)
                 +domain=###         (Set default domainname)
                 +[no]edns[=###]     (Set EDNS version) [0]
                 +ednsflags=###      (Set undefined EDNS flag bits) [not supported]
                 +[no]ednsnegotiation (Set EDNS version negotiation) [not supported]
                 +ednsopt=###[:value] (Send specified EDNS option) [not supported]
                 +noednsopt          (Clear list of +ednsopt options) [not supported]
                 +[no]expandaaaa     (Expand AAAA records) [not supported]
                 +[no]expire         (Request time to expire)
                 +[no]fail           (Don't try next server on SERVFAIL)
                 +[no]header-only    (Send query without a question section)
                 +[no]https[=###]    (DNS-over-HTTPS mode) [/dns-query]
                 +[no]https-get      (Use GET instead of default POST method while using HTTPS)
                 +[no]http-plain[=###] (DNS over plain HTTP mode) [not supported]
                 +[no]http-plain-get (Use GET with plain HTTP) [not supported]
                 +[no]identify       (ID responders in short answers)
                 +[no]idnin          (Parse IDN names [default=on on tty])
                 +[no]idnout         (Convert IDN response [default=on on tty])
                 +[no]ignore         (Don't revert to TCP for TC responses.)
                 +[no]json           (Present the results as JSON, RFC 8427 as kdig)
                 +[no]keepalive      (Request EDNS TCP keepalive) [not supported]
                 +[no]keepopen       (Keep the TCP socket open between queries) [not supported]
                 +[no]multiline      (Print records in an expanded format)
                 +ndots=###          (Set search NDOTS value)
                 +[no]nsid           (Request Name Server ID)
                 +[no]nssearch       (Search all authoritative nameservers)
                 +[no]onesoa         (AXFR prints only one soa record)
                 +[no]opcode=###     (Set the opcode of the request)
                 +padding=###        (Set padding block size [0])
                 +qid=###            (Specify the query ID to use when sending queries)
                 +[no]qr             (Print question before sending)
                 +[no]question       (Control display of question section)
                 +[no]raflag         (Set RA flag in query (+[no]raflag))
                 +[no]rdflag         (Recursive mode (+[no]recurse))
                 +[no]recurse        (Recursive mode (+[no]rdflag))
                 +retry=###          (Set number of UDP retries) [2]
                 +roots=file         (rdig: root hints for +trace)
                 +[no]rrcomments     (Control display of per-record comments)
                 +[no]search         (Set whether to use searchlist)
                 +[no]short          (Display nothing except short form of answers - global option)
                 +[no]showbadcookie  (Show BADCOOKIE message) [not supported]
                 +[no]showsearch     (Search with intermediate results)
                 +[no]split=##       (Split hex/base64 fields into chunks)
                 +[no]stats          (Control display of statistics)
                 +subnet=addr        (Set edns-client-subnet option)
                 +[no]tcflag         (Set TC flag in query (+[no]tcflag))
                 +[no]tcp            (TCP mode (+[no]vc))
                 +timeout=###        (Set query timeout) [5]
                 +[no]tls            (DNS-over-TLS mode)
                 +[no]tls-ca[=file]  (Enable remote server's TLS certificate validation)
                 +[no]tls-hostname=hostname (Explicitly set the expected TLS hostname)
                 +[no]tls-certfile=file (Load client TLS certificate chain) [not supported]
                 +[no]tls-keyfile=file (Load client TLS private key) [not supported]
                 +[no]trace          (Trace delegation down from root with the resolver's walker)
                 +tries=###          (Set number of UDP attempts) [3]
                 +[no]ttlid          (Control display of ttls in records)
                 +[no]ttlunits       (Display TTLs in human-readable units)
                 +[no]unknownformat  (Print RDATA in RFC 3597 format) [not supported]
                 +[no]vc             (TCP mode (+[no]tcp))
                 +[no]yaml           (Present the results as YAML)
                 +[no]zflag          (Set Z flag in query) [not supported]
        global d-opts and servers (before host name) affect all queries.
        local d-opts and servers (after host name) affect only that lookup.
        -h                           (print help and exit)
        -v                           (print version and exit)";

/// The port to ask on: `-p`, else the transport's own (53, 853 for `+tls`, 443 for `+https`).
/// A `-p 53` given with `+tls` is taken as the default.
fn server_port(lookup: &Lookup) -> u16 {
    match (&lookup.options.encryption, lookup.port) {
        (Encryption::Tls, 53) => TLS_PORT,
        (Encryption::Https { .. }, 53) => HTTPS_PORT,
        (_, port) => port,
    }
}

/// The addresses one `@server` names, filtered by `-4`/`-6` the way dig does: an IPv4 server
/// under `-6` is skipped with a note on `out`, an IPv6 one under `-4` is an error.
async fn server_addresses(
    lookup: &Lookup,
    label: &str,
    out: &mut dyn Write,
) -> Result<Vec<SocketAddr>, DigError> {
    let failed = |reason: &str| DigError::ServerLookup {
        server: label.to_string(),
        reason: reason.to_string(),
    };
    let candidates: Vec<SocketAddr> = match label.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) if lookup.family == AddressFamily::V4 => {
            return Err(failed("address family not supported"));
        }
        Ok(IpAddr::V4(v4)) if lookup.family == AddressFamily::V6 => {
            let _ = writeln!(out, ";; Skipping mapped address '{}'", v4.to_ipv6_mapped());
            return Ok(Vec::new());
        }
        Ok(address) => vec![SocketAddr::new(address, server_port(lookup))],
        Err(_) => tokio::net::lookup_host((label, server_port(lookup)))
            .await
            .map_err(|_| failed("not found"))?
            .take(MAX_SERVER_ADDRESSES)
            .collect(),
    };
    let wanted: Vec<SocketAddr> = candidates
        .into_iter()
        .filter(|address| match lookup.family {
            AddressFamily::Any => true,
            AddressFamily::V4 => address.is_ipv4(),
            AddressFamily::V6 => address.is_ipv6(),
        })
        .collect();
    if wanted.is_empty() {
        return Err(failed("not found"));
    }
    Ok(wanted)
}

/// Every address of a lookup's servers in the order dig tries them, each with the label its
/// `@server` was typed as; and how many addresses the last `@server` gave (dig's count line).
async fn lookup_servers(
    lookup: &Lookup,
    default_server: &str,
    out: &mut dyn Write,
) -> Result<(Vec<(SocketAddr, String)>, usize), DigError> {
    let labels: Vec<&str> = if lookup.servers.is_empty() {
        vec![default_server]
    } else {
        lookup.servers.iter().map(String::as_str).collect()
    };
    let mut servers = Vec::new();
    let mut last_count = 0;
    for label in labels {
        let addresses = server_addresses(lookup, label, out).await?;
        last_count = addresses.len();
        servers.extend(
            addresses
                .into_iter()
                .map(|address| (address, label.to_string())),
        );
    }
    servers.truncate(MAX_SERVER_ADDRESSES);
    if servers.is_empty() {
        let _ = writeln!(out, ";; No acceptable nameservers");
        return Err(DigError::NoAcceptableServers);
    }
    Ok((servers, last_count))
}

/// What every lookup of one invocation shares, computed once.
struct Session {
    transport: Arc<dyn Transport>,
    /// resolv.conf, read once per invocation, not per lookup.
    resolv_conf: ResolvConf,
    command_line: String,
}

/// Runs one lookup, printing its report to `out`.
async fn run_lookup(
    session: &Session,
    lookup: &Lookup,
    lookup_index: usize,
    out: &mut dyn Write,
) -> Result<(), DigError> {
    let transport: &Arc<dyn Transport> = &match lookup.options.source {
        Some(source) => Arc::new(SocketTransport {
            source: Some(source),
        }),
        None => session.transport.clone(),
    };
    let display = &lookup.options.display;
    let idn = lookup.options.idn_in == Some(true);
    let name = query_name_idn(lookup.effective_name(), idn)?;
    // dig's search list (`+search`, `+domain`): only for a name that was typed.
    let conf = &session.resolv_conf;
    let mut search = Vec::new();
    search.extend(lookup.options.domain.iter().cloned());
    search.extend(conf.search.iter().cloned());
    let use_search = lookup.options.search || lookup.options.domain.is_some();
    let candidates: Vec<Name> = match &lookup.name {
        Some(typed) if use_search && !lookup.options.trace => {
            let ndots = lookup.options.ndots.unwrap_or(conf.ndots);
            search_names(typed, true, &search, ndots)
                .iter()
                .map(|text| query_name_idn(text, idn))
                .collect::<Result<_, _>>()?
        }
        _ => vec![name.clone()],
    };
    if lookup.options.trace {
        return run_trace(lookup, name, &session.command_line, out).await;
    }
    let (servers, last_count) = lookup_servers(lookup, &conf.server, out).await?;
    // A batch line's banner echoes the line, as dig does.
    let command_line = lookup
        .source_line
        .as_deref()
        .unwrap_or(&session.command_line);
    // Zone transfers (RFC 5936, RFC 1995): several messages over TCP, printed record by record.
    if matches!(lookup.effective_type(), RecordType::AXFR | RecordType::IXFR) {
        let first = lookup_index == 0;
        let shown = display.cmd && !display.short && (first || lookup.source_line.is_some());
        let banner = if shown {
            let found = (first && !lookup.servers.is_empty()).then_some(last_count);
            command_text(command_line, found, first)
        } else {
            String::new()
        };
        return run_transfer(lookup, name, &servers, &banner, out).await;
    }
    if lookup.options.ns_search {
        return run_nssearch(transport.as_ref(), lookup, name, &servers, out).await;
    }
    let asked = Asked {
        transport: transport.as_ref(),
        lookup,
        servers: &servers,
        last_count,
        command_line,
        lookup_index,
    };
    for (index, candidate) in candidates.iter().enumerate() {
        let more = index + 1 < candidates.len();
        // dig prints the banner again for each name shown, unless +qr printed it already.
        let banner = index == 0 || !display.query;
        if ask(&asked, candidate.clone(), more, banner, out).await? == Outcome::TryNextName {
            continue;
        }
        break;
    }
    Ok(())
}

/// What one lookup's questions share.
struct Asked<'a> {
    transport: &'a dyn Transport,
    lookup: &'a Lookup,
    servers: &'a [(SocketAddr, String)],
    last_count: usize,
    command_line: &'a str,
    lookup_index: usize,
}

/// Whether a search-list name's NXDOMAIN sends dig on to the next name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    TryNextName,
}

/// Asks `name` and prints the reply as the lookup's display options say; `more` when a later
/// search-list name follows (an NXDOMAIN is then shown only with `+showsearch`); `banner` when
/// the command block may be printed.
async fn ask(
    asked: &Asked<'_>,
    name: Name,
    more: bool,
    banner: bool,
    out: &mut dyn Write,
) -> Result<Outcome, DigError> {
    let Asked {
        transport,
        lookup,
        servers,
        last_count,
        command_line,
        lookup_index,
    } = *asked;
    let display = &lookup.options.display;
    let mut query = build_query(name, lookup.effective_type(), lookup.class, &lookup.options)?;
    let mut options = lookup.options.clone();
    if !options.tcp_set && matches!(lookup.effective_type(), RecordType::ANY | RecordType::IXFR) {
        options.tcp = true;
    }
    let plain = !display.short && !display.json && !display.yaml;
    // dig prints a banner for the first lookup of the command line and of each batch line; the
    // server count and global options only in the very first.
    let first = lookup_index == 0;
    let found = (first && !lookup.servers.is_empty()).then_some(last_count);
    // dig prints the command block before the query with +qr, else once the outcome is known.
    let mut command_pending =
        banner && plain && display.cmd && (first || lookup.source_line.is_some());
    // Each BADVERS retry lowers the EDNS version, so this loop runs at most 256 times, plus
    // the BADCOOKIE retries.
    let mut bad_cookie_retries_left = MAX_BAD_COOKIE_RETRIES;
    // `+qr +json`: the last query sent, for RFC 8427's `queryMessage`.
    let mut sent_json = None;
    let result = loop {
        if display.yaml && display.query {
            let (wire, _) = query_wire(&query, lookup.tsig_key.as_ref())?;
            let shown = decode_reply(&wire).unwrap_or_else(|_| query.clone());
            let exchange = YamlExchange {
                server: servers.first().map_or(
                    SocketAddr::from(([0, 0, 0, 0], lookup.port)),
                    |(address, _)| *address,
                ),
                tcp: options.tcp,
                sent_at: std::time::SystemTime::now(),
                received_at: None,
                size: wire.len(),
                header_counts: None,
            };
            let _ = write!(
                out,
                "{}",
                message_yaml(&shown, &exchange, display, CookieCheck::NotChecked)
            );
        }
        if display.json && display.query {
            let (wire, _) = query_wire(&query, lookup.tsig_key.as_ref())?;
            let shown = decode_reply(&wire).unwrap_or_else(|_| query.clone());
            sent_json = Some(message_value(
                &shown,
                std::time::SystemTime::now(),
                wire.len(),
            ));
        }
        // `+qr`: dig prints the query each time it goes out (every try, every server; over TCP
        // once connected), the command block before the first.
        let mut sending = None;
        if plain && display.query {
            // The query as it goes out, its TSIG included (dig prints the signed message).
            let (wire, _) = query_wire(&query, lookup.tsig_key.as_ref())?;
            let shown = decode_reply(&wire).unwrap_or_else(|_| query.clone());
            let again = format!(
                ";; Sending:\n{};; QUERY SIZE: {}\n\n",
                message_text(&shown, display),
                wire.len()
            );
            let first_time = if command_pending {
                command_pending = false;
                format!("{}{again}", command_text(command_line, found, first))
            } else {
                again.clone()
            };
            sending = Some(SendingNote::new(first_time, again));
        }
        // Progress lines would break a JSON stream; with +json they go to standard error.
        // With +yaml dig prints none of them, but each `no servers could be reached` of a
        // refused TCP connection becomes a DIG_ERROR item.
        let mut stderr = std::io::stderr();
        let mut held = Vec::new();
        let progress: &mut dyn Write = if display.yaml {
            &mut held
        } else if display.json {
            &mut stderr
        } else {
            &mut *out
        };
        let result = exchange_lookup(
            transport,
            servers,
            &query,
            lookup.tsig_key.as_ref(),
            &options,
            sending.as_mut(),
            &mut *progress,
        )
        .await;
        let no_reply = format!(";; {}", DigError::NoReply);
        for line in String::from_utf8_lossy(&held).lines() {
            if line == no_reply {
                let _ = write!(out, "{}", error_yaml(&DigError::NoReply.to_string()));
            }
        }
        held.clear();
        let progress: &mut dyn Write = if display.yaml {
            &mut held
        } else if display.json {
            &mut stderr
        } else {
            &mut *out
        };
        let Ok(reply) = result.as_ref() else {
            break result;
        };
        if let Some(version) = lower_edns_version(&query, &reply.message) {
            if let Some(edns) = query.edns.as_mut() {
                // RFC 6891 §6.1.3: BADVERS names the highest version the server speaks; dig
                // asks again with it, as a new query (new ID).
                let _ = writeln!(
                    progress,
                    ";; BADVERS, retrying with EDNS version {version}."
                );
                edns.set_version(version);
                query.metadata.id = rand::random::<u16>();
                continue;
            }
        }
        if bad_cookie_retries_left > 0 && lookup.options.retry_bad_cookie {
            if let Some(cookie) = bad_cookie_retry(&query, &reply.message) {
                // RFC 7873 §5.3: BADCOOKIE carries a fresh server cookie; resend with it.
                bad_cookie_retries_left -= 1;
                if !display.short {
                    let _ = writeln!(progress, ";; BADCOOKIE, retrying.");
                }
                set_cookie(&mut query, cookie);
                query.metadata.id = rand::random::<u16>();
                continue;
            }
        }
        break result;
    };
    // dig prints nothing but its verdict when it refuses the server's certificate.
    let refused = matches!(
        result,
        Err(DigError::TlsVerification { .. } | DigError::TcpRefused | DigError::BadPacket)
    );
    // BIND `dighost.c` (recv_done): an NXDOMAIN with search names left is shown only with
    // `+showsearch`, and the next name is asked.
    let next_name = more
        && matches!(&result, Ok(reply) if reply.message.metadata.response_code == ResponseCode::NXDomain);
    if next_name && !lookup.options.show_search {
        return Ok(Outcome::TryNextName);
    }
    // dig says so as soon as the reply is checked, before the command block.
    if let Ok(Reply {
        tsig_failure: Some(failure),
        ..
    }) = &result
    {
        let line = format!(";; Couldn't verify signature: {failure}");
        if display.json {
            eprintln!("{line}");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    if command_pending && !refused {
        let _ = write!(out, "{}", command_text(command_line, found, first));
    }
    let reply = match result {
        Ok(reply) => reply,
        Err(error @ (DigError::TcpRefused | DigError::BadPacket)) => {
            if display.json {
                let _ = writeln!(out, "{}", error_value(&error.to_string()).pretty());
            }
            return Err(error);
        }
        Err(error) => {
            if display.yaml {
                let _ = write!(out, "{}", error_yaml(&error.to_string()));
            } else if display.json {
                eprintln!(";; {error}");
                let _ = writeln!(out, "{}", error_value(&error.to_string()).pretty());
            } else {
                let _ = writeln!(out, ";; {error}");
            }
            return Err(error);
        }
    };
    let text = if display.yaml {
        let exchange = YamlExchange {
            server: reply.server,
            tcp: reply.protocol == Protocol::Tcp || options.encryption != Encryption::None,
            sent_at: reply
                .received_at
                .checked_sub(reply.elapsed)
                .unwrap_or(reply.received_at),
            received_at: Some(reply.received_at),
            size: reply.size,
            header_counts: reply.malformed.map(|malformed| malformed.counts),
        };
        let mut text = message_yaml(&reply.message, &exchange, display, cookie_check(&reply));
        if display.short {
            text.push_str(&short_text(&reply, display));
        }
        text
    } else if display.json {
        let received = reply_value(&reply);
        let value = match sent_json {
            Some(sent) => exchange_value(sent, received),
            None => received,
        };
        format!("{}\n", value.pretty())
    } else if display.short {
        short_text(&reply, display)
    } else {
        let label = servers
            .iter()
            .find(|(address, _)| *address == reply.server)
            .map_or(String::new(), |(_, label)| label.clone());
        reply_text(&reply, &label, display)
    };
    let _ = write!(out, "{text}");
    Ok(if next_name {
        Outcome::TryNextName
    } else {
        Outcome::Done
    })
}

/// All lookups of the invocation, in order; the exit code is the last failure's (dig's rule), and
/// an error dig treats as fatal (an illegal name, an unknown server) stops the rest.
async fn run_lookups(lookups: Vec<Lookup>, command_line: String, out: &mut dyn Write) -> u8 {
    let session = Session {
        transport: Arc::new(SocketTransport::default()),
        resolv_conf: read_resolv_conf(),
        command_line,
    };
    let mut exit_code = 0;
    for (lookup_index, lookup) in lookups.iter().enumerate() {
        if let Err(error) = run_lookup(&session, lookup, lookup_index, out).await {
            if !matches!(
                error,
                DigError::NoReply
                    | DigError::TcpRefused
                    | DigError::BadPacket
                    | DigError::NoAcceptableServers
                    | DigError::TlsVerification { .. }
            ) {
                eprintln!("rdig: {error}");
            }
            exit_code = error.exit_code();
            if error.ends_invocation() {
                let _ = out.flush();
                return exit_code;
            }
        }
        let _ = out.flush();
    }
    exit_code
}

/// The words of `~/.digrc`'s first line, which dig reads before the command line (dig(1), FILES);
/// none when it is missing or unreadable, as dig.
fn digrc_words() -> Vec<String> {
    let Some(home) = std::env::var_os("HOME") else {
        return Vec::new();
    };
    let path = std::path::Path::new(&home).join(".digrc");
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut line = String::new();
    let mut reader = std::io::BufReader::new(std::io::Read::take(file, MAX_DIGRC_BYTES));
    if std::io::BufRead::read_line(&mut reader, &mut line).is_err() {
        return Vec::new();
    }
    line.split_whitespace().map(String::from).collect()
}

/// Runs rdig with `arguments` (without the program name) and returns dig's exit code.
pub fn run(arguments: &[String]) -> u8 {
    // `-r` anywhere on the line skips ~/.digrc, as dig's pre-parse does.
    let mut words = if arguments.iter().any(|word| word == "-r") {
        Vec::new()
    } else {
        digrc_words()
    };
    words.extend(arguments.iter().cloned());
    let invocation = match parse_arguments(&words) {
        Ok(invocation) => invocation,
        // dig shows its usage for unknown words, but not for a bad number: it explains the
        // number on standard output, then `Couldn't parse timeout` on standard error.
        Err(error @ DigError::InvalidNumber { .. }) => {
            if let Some(detail) = error.stdout_detail() {
                println!("{detail}");
            }
            eprintln!("rdig: {error}");
            return error.exit_code();
        }
        // A feature rdig leaves out, or a value dig rejects without its usage: one line.
        // dig shows only its usage for a `-y` it cannot read.
        Err(error @ DigError::KeySyntax) => {
            eprintln!("{USAGE}");
            return error.exit_code();
        }
        Err(
            error @ (DigError::Unsupported(_)
            | DigError::TsigKey(_)
            | DigError::BadHex
            | DigError::InvalidSubnet(_)
            | DigError::InvalidSourceAddress(_)),
        ) => {
            eprintln!("rdig: {error}");
            return error.exit_code();
        }
        Err(error) => {
            eprintln!("rdig: {error}");
            eprintln!("{USAGE}");
            return error.exit_code();
        }
    };
    for warning in &invocation.warnings {
        eprintln!("{warning}");
    }
    for note in &invocation.notes {
        println!("{note}");
    }
    if invocation.help {
        println!("{USAGE}");
        return 0;
    }
    if invocation.version {
        eprintln!("rdig {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let mut lookups = invocation.lookups;
    if let Some(path) = &invocation.batch_file {
        let loaded =
            read_batch_file(path).and_then(|text| batch_lookups(&text, &invocation.defaults));
        match loaded {
            Ok(batch) => lookups.extend(batch),
            Err(error) => {
                eprintln!("rdig: {error}");
                return error.exit_code();
            }
        }
    } else if lookups.is_empty() {
        lookups.push(invocation.defaults);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(_) => {
            let error = DigError::Internal("starting the async runtime");
            eprintln!("rdig: {error}");
            return error.exit_code();
        }
    };
    // dig's IDN defaults: convert names in and out only when a person reads the terminal; in a
    // pipe the name is asked and shown as typed (BIND dig.1, +idnin / +idnout).
    let terminal = std::io::stdout().is_terminal();
    for lookup in &mut lookups {
        lookup.options.idn_in.get_or_insert(terminal);
        lookup.options.display.idn_out.get_or_insert(terminal);
    }
    let command_line = arguments.join(" ");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    runtime.block_on(run_lookups(lookups, command_line, &mut out))
}
