//! A bounded corpus of malformed DNS messages (RFC 1035 §4.1 broken every way we know) and the
//! helpers to throw it at a running server over UDP and TCP. Any server under test may reuse it;
//! it judges only that a reply is absent or a refusal, never what a correct answer holds.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// Generated random packets added to the hand-written cases; bounds the corpus.
pub const RANDOM_CASES: usize = 64;

/// How long to wait for a reply to one malformed message. Silence is an acceptable outcome, so
/// this only bounds the run; it never decides pass or fail.
pub const CASE_REPLY_WAIT: Duration = Duration::from_millis(300);

/// One malformed message (UDP payload, or TCP payload to be framed) and what it breaks.
#[derive(Clone, Debug)]
pub struct HostileCase {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Raw bytes written to a fresh TCP connection (length prefixes included, possibly lying).
#[derive(Clone, Debug)]
pub struct TcpStreamCase {
    pub name: String,
    pub stream: Vec<u8>,
}

const HEADER: [u8; 12] = [0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];

fn encode_name(name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for label in name.split('.').filter(|label| !label.is_empty()) {
        bytes.push(label.len() as u8);
        bytes.extend_from_slice(label.as_bytes());
    }
    bytes.push(0);
    bytes
}

/// A well-formed query for `name` A IN without EDNS, ID 0xbeef.
pub fn valid_query(name: &str) -> Vec<u8> {
    let mut bytes = HEADER.to_vec();
    bytes.extend_from_slice(&encode_name(name));
    bytes.extend_from_slice(&[0, 1, 0, 1]);
    bytes
}

fn with_header(header: [u8; 12], body: &[u8]) -> Vec<u8> {
    let mut bytes = header.to_vec();
    bytes.extend_from_slice(body);
    bytes
}

fn counts(question: u16, answer: u16, authority: u16, additional: u16) -> [u8; 12] {
    let mut header = HEADER;
    for (index, value) in [question, answer, authority, additional]
        .into_iter()
        .enumerate()
    {
        let [high, low] = value.to_be_bytes();
        header[4 + 2 * index] = high;
        header[5 + 2 * index] = low;
    }
    header
}

/// An OPT pseudo-record (RFC 6891 §6.1.2): root owner, type 41, payload 1232, version 0.
const OPT_RECORD: [u8; 11] = [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0];

/// The UDP corpus: every hand-written case, then `RANDOM_CASES` seeded random ones.
pub fn udp_corpus(zone_name: &str) -> Vec<HostileCase> {
    let mut cases = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| {
        cases.push(HostileCase {
            name: name.to_string(),
            bytes,
        })
    };
    let valid = valid_query(&format!("www.{zone_name}"));
    let question = valid.get(12..).unwrap_or_default().to_vec();
    for length in 0..12 {
        add(
            &format!("header cut to {length} bytes"),
            valid.get(..length).unwrap_or_default().to_vec(),
        );
    }
    for length in [13, 15, valid.len() - 4, valid.len() - 1] {
        add(
            &format!("question cut to {length} bytes"),
            valid.get(..length).unwrap_or_default().to_vec(),
        );
    }
    add(
        "name pointer to itself",
        with_header(HEADER, &[0xc0, 12, 0, 1, 0, 1]),
    );
    add(
        "two-step compression loop",
        with_header(HEADER, &[1, b'a', 0xc0, 12, 0, 1, 0, 1]),
    );
    add(
        "forward compression pointer",
        with_header(HEADER, &[0xc0, 14, 1, b'a', 0, 0, 1, 0, 1]),
    );
    add(
        "pointer past the end",
        with_header(HEADER, &[0xc0, 0xff, 0, 1, 0, 1]),
    );
    add(
        "pointer into the header",
        with_header(HEADER, &[0xc0, 2, 0, 1, 0, 1]),
    );
    add(
        "reserved label type 0x40",
        with_header(HEADER, &[0x41, b'a', 0, 0, 1, 0, 1]),
    );
    add(
        "reserved label type 0x80",
        with_header(HEADER, &[0x81, b'a', 0, 0, 1, 0, 1]),
    );
    let mut long_label = vec![64u8];
    long_label.extend_from_slice(&[b'a'; 64]);
    long_label.extend_from_slice(&[0, 0, 1, 0, 1]);
    add("label of 64 bytes", with_header(HEADER, &long_label));
    let mut long_name = Vec::new();
    for _ in 0..5 {
        long_name.push(63u8);
        long_name.extend_from_slice(&[b'a'; 63]);
    }
    long_name.extend_from_slice(&[0, 0, 1, 0, 1]);
    add("name of 321 bytes", with_header(HEADER, &long_name));
    add("QDCOUNT 0", with_header(counts(0, 0, 0, 0), &question));
    add("QDCOUNT 0 and no body", counts(0, 0, 0, 0).to_vec());
    let mut two_questions = question.clone();
    two_questions.extend_from_slice(&question);
    add("QDCOUNT 2", with_header(counts(2, 0, 0, 0), &two_questions));
    add(
        "QDCOUNT 2 with one question",
        with_header(counts(2, 0, 0, 0), &question),
    );
    add(
        "QDCOUNT 65535",
        with_header(counts(0xffff, 0, 0, 0), &question),
    );
    add(
        "ANCOUNT 5 with no records",
        with_header(counts(1, 5, 0, 0), &question),
    );
    add(
        "ARCOUNT 65535",
        with_header(counts(1, 0, 0, 0xffff), &question),
    );
    add(
        "NSCOUNT 1 with half a record",
        with_header(counts(1, 0, 1, 0), &[&question[..], &[0, 0, 1, 0]].concat()),
    );
    for op_code in [1u8, 2, 3, 4, 5, 6, 7, 15] {
        let mut header = HEADER;
        header[2] = (op_code << 3) | 0x01;
        add(&format!("opcode {op_code}"), with_header(header, &question));
    }
    let mut unknown_class = question.clone();
    let class_at = unknown_class.len() - 2;
    unknown_class[class_at..].copy_from_slice(&[0x12, 0x34]);
    add("unknown class 0x1234", with_header(HEADER, &unknown_class));
    let mut chaos = question.clone();
    chaos[class_at..].copy_from_slice(&[0, 3]);
    add("class CHAOS", with_header(HEADER, &chaos));
    let mut opt_type = question.clone();
    let type_at = opt_type.len() - 4;
    opt_type[type_at..type_at + 2].copy_from_slice(&[0, 41]);
    add("question type OPT", with_header(HEADER, &opt_type));
    add(
        "OPT in the answer section",
        with_header(counts(1, 1, 0, 0), &[&question[..], &OPT_RECORD].concat()),
    );
    add(
        "OPT in the authority section",
        with_header(counts(1, 0, 1, 0), &[&question[..], &OPT_RECORD].concat()),
    );
    add(
        "two OPT records",
        with_header(
            counts(1, 0, 0, 2),
            &[&question[..], &OPT_RECORD, &OPT_RECORD].concat(),
        ),
    );
    let mut opt_with_name = encode_name("example");
    opt_with_name.extend_from_slice(&OPT_RECORD[1..]);
    add(
        "OPT with a non-root owner",
        with_header(
            counts(1, 0, 0, 1),
            &[&question[..], &opt_with_name].concat(),
        ),
    );
    let mut opt_lying_length = OPT_RECORD;
    opt_lying_length[10] = 200;
    add(
        "OPT whose RDLENGTH runs past the end",
        with_header(
            counts(1, 0, 0, 1),
            &[&question[..], &opt_lying_length].concat(),
        ),
    );
    let mut response = HEADER;
    response[2] = 0x81;
    add("response sent as a query", with_header(response, &question));
    let mut response_with_answer = with_header(counts(1, 1, 0, 0), &question);
    response_with_answer[2] = 0x85;
    response_with_answer
        .extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 66]);
    add("forged answer sent as a query", response_with_answer);
    let mut trailing = valid.clone();
    trailing.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    add(
        "garbage after the question",
        with_header(counts(1, 0, 0, 0), trailing.get(12..).unwrap_or_default()),
    );
    add(
        "record with RDLENGTH past the end",
        with_header(
            counts(1, 0, 0, 1),
            &[&question[..], &[0, 0, 1, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 1]].concat(),
        ),
    );
    // Seeded random packets: a valid header prefix half of the time so the parser goes deeper.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for index in 0..RANDOM_CASES {
        let length = (next() % 300) as usize;
        let mut bytes: Vec<u8> = (0..length).map(|_| next() as u8).collect();
        if index % 2 == 0 && bytes.len() >= 12 {
            bytes[..12].copy_from_slice(&counts(1, (next() % 3) as u16, 0, (next() % 3) as u16));
        }
        add(&format!("random packet {index}"), bytes);
    }
    cases
}

/// TCP-specific cases (framing that lies), plus every UDP case correctly framed.
pub fn tcp_corpus(zone_name: &str) -> Vec<TcpStreamCase> {
    let valid = valid_query(&format!("www.{zone_name}"));
    let frame = |bytes: &[u8]| {
        let mut stream = (bytes.len() as u16).to_be_bytes().to_vec();
        stream.extend_from_slice(bytes);
        stream
    };
    let mut cases: Vec<TcpStreamCase> = udp_corpus(zone_name)
        .into_iter()
        .map(|case| TcpStreamCase {
            name: format!("framed: {}", case.name),
            stream: frame(&case.bytes),
        })
        .collect();
    let mut add = |name: &str, stream: Vec<u8>| {
        cases.push(TcpStreamCase {
            name: name.to_string(),
            stream,
        })
    };
    add("one byte of length prefix", vec![0]);
    add(
        "length prefix only",
        (valid.len() as u16).to_be_bytes().to_vec(),
    );
    add("zero length prefix", vec![0, 0]);
    let mut longer = ((valid.len() + 40) as u16).to_be_bytes().to_vec();
    longer.extend_from_slice(&valid);
    add("prefix longer than the message", longer);
    let mut huge = vec![0xff, 0xff];
    huge.extend_from_slice(&valid);
    add("prefix of 65535 with a short message", huge);
    let mut shorter = 5u16.to_be_bytes().to_vec();
    shorter.extend_from_slice(&valid);
    add("prefix shorter than the message", shorter);
    let mut halfway = frame(&valid);
    halfway.truncate(halfway.len() / 2);
    add("message stops halfway", halfway);
    let mut good_then_bad = frame(&valid);
    good_then_bad.extend_from_slice(&[0x00, 0x40, 1, 2, 3]);
    add("valid query then a lying second prefix", good_then_bad);
    cases
}

fn unspecified_for(server: SocketAddr) -> SocketAddr {
    let ip = match server.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
}

/// Sends one datagram from a fresh socket and returns the reply from `server`, if one came.
pub fn send_udp(
    server: SocketAddr,
    bytes: &[u8],
    wait: Duration,
) -> std::io::Result<Option<Vec<u8>>> {
    let socket = UdpSocket::bind(unspecified_for(server))?;
    socket.send_to(bytes, server)?;
    let deadline = Instant::now() + wait;
    let mut buffer = vec![0u8; 65_535];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Ok(None);
        }
        socket.set_read_timeout(Some(remaining))?;
        match socket.recv_from(&mut buffer) {
            Ok((length, source)) if source == server => {
                return Ok(Some(buffer.get(..length).unwrap_or_default().to_vec()))
            }
            Ok(_) => continue,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None)
            }
            Err(error) => return Err(error),
        }
    }
}

/// Writes `stream` to a fresh connection, half-closes it, and returns every framed reply read
/// until the server closes or `wait` passes (at most a few: bounded by what was sent).
pub fn send_tcp(
    server: SocketAddr,
    stream: &[u8],
    wait: Duration,
) -> std::io::Result<Vec<Vec<u8>>> {
    let mut connection = TcpStream::connect_timeout(&server, wait)?;
    connection.set_write_timeout(Some(wait))?;
    // The server may close first (it is allowed to); a failed write is not a failure of the server.
    let _ = connection.write_all(stream);
    let _ = connection.shutdown(Shutdown::Write);
    let deadline = Instant::now() + wait;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        connection.set_read_timeout(Some(remaining))?;
        match connection.read(&mut buffer) {
            Ok(0) => break,
            Ok(length) => received.extend_from_slice(buffer.get(..length).unwrap_or_default()),
            Err(_) => break,
        }
    }
    let mut replies = Vec::new();
    let mut rest = received.as_slice();
    while let (Some(prefix), Some(after)) = (rest.get(..2), rest.get(2..)) {
        let length = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
        let Some(reply) = after.get(..length) else {
            replies.push(after.to_vec());
            break;
        };
        replies.push(reply.to_vec());
        rest = after.get(length..).unwrap_or_default();
    }
    Ok(replies)
}

/// A reply to a malformed message is acceptable when it is a response (QR=1) carrying FORMERR
/// (1), NOTIMP (4) or REFUSED (5).
pub fn check_reply(case: &str, reply: &[u8]) -> Result<(), String> {
    let (Some(flags), Some(code)) = (reply.get(2), reply.get(3)) else {
        return Err(format!(
            "{case}: reply of {} bytes has no header",
            reply.len()
        ));
    };
    if flags & 0x80 == 0 {
        return Err(format!("{case}: reply is not a response (QR=0)"));
    }
    match code & 0x0f {
        1 | 4 | 5 => Ok(()),
        other => Err(format!(
            "{case}: reply has rcode {other}, want FORMERR, NOTIMP or REFUSED"
        )),
    }
}

/// What a corpus run saw.
#[derive(Clone, Debug, Default)]
pub struct CorpusReport {
    pub cases: usize,
    pub replies: usize,
    pub silent: usize,
    pub problems: Vec<String>,
}

/// Throws the UDP and TCP corpora at `server` and reports every unacceptable reply.
pub fn throw_corpus(server: SocketAddr, zone_name: &str) -> CorpusReport {
    let mut report = CorpusReport::default();
    let mut record = |case: &str, replies: Vec<Vec<u8>>| {
        report.cases += 1;
        if replies.is_empty() {
            report.silent += 1;
        }
        for reply in replies {
            report.replies += 1;
            if let Err(problem) = check_reply(case, &reply) {
                report.problems.push(problem);
            }
        }
    };
    for case in udp_corpus(zone_name) {
        let name = format!("udp {}", case.name);
        match send_udp(server, &case.bytes, CASE_REPLY_WAIT) {
            Ok(reply) => record(&name, reply.into_iter().collect()),
            Err(error) => record(&format!("{name}: local socket error {error}"), Vec::new()),
        }
    }
    for case in tcp_corpus(zone_name) {
        let name = format!("tcp {}", case.name);
        let replies = send_tcp(server, &case.stream, CASE_REPLY_WAIT).unwrap_or_default();
        // The one deliberately valid query in a TCP case is answered normally; judge the rest.
        let judged = if case.name.starts_with("valid query then") {
            replies.into_iter().skip(1).collect()
        } else {
            replies
        };
        record(&name, judged);
    }
    report
}

/// Sends one datagram from an already bound `socket` and returns the reply, if one came within
/// `wait` (for tests that choose their client address).
pub fn send_udp_from(
    socket: &UdpSocket,
    server: SocketAddr,
    bytes: &[u8],
    wait: Duration,
) -> Option<Vec<u8>> {
    socket.set_read_timeout(Some(wait)).ok()?;
    socket.send_to(bytes, server).ok()?;
    let mut buffer = vec![0u8; 65_535];
    let (length, _) = socket.recv_from(&mut buffer).ok()?;
    buffer.get(..length).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_cases_have_unique_names_and_fit_a_message() {
        let udp = udp_corpus("example.test.");
        let tcp = tcp_corpus("example.test.");
        let mut names: Vec<&str> = udp.iter().map(|case| case.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), udp.len(), "duplicate case names");
        assert!(udp.iter().all(|case| case.bytes.len() <= 65_535));
        println!(
            "udp cases: {} ({} random), tcp cases: {}",
            udp.len(),
            RANDOM_CASES,
            tcp.len()
        );
    }

    #[test]
    fn valid_query_passes_as_a_query_not_a_refusal() {
        let query = valid_query("www.example.test.");
        assert!(check_reply("valid", &query).is_err(), "QR=0 is not a reply");
        let message = hickory_proto::op::Message::from_vec(&query).unwrap();
        assert_eq!(message.queries.len(), 1);
    }
}
