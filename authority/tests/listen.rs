//! The shared listener with an echo handler: UDP and TCP round trips, RFC 7766 framing and pipelining,
//! and the TCP defences (idle timeout, connection cap, slowloris, lying length prefix).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use authority::listen::{serve, Handler, ListenOptions, Protocol, RequestContext, Server, UdpLoop};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

/// Upper bound on any single wait in these tests; reaching it is a failure, never a pass.
const WAIT: Duration = Duration::from_secs(10);

/// Answers with the request itself, prefixed by the protocol letter; drops requests starting "drop"
/// and answers "unsendable..." and "oversized..." with replies too large to send.
/// A "wait..." request is answered only after a "release" request has been handled.
/// A "thread" request is answered with the name of the thread that handled it; "now..." requests
/// are answered by `answer_now`; "panic..." requests make it panic.
/// Each `after_send` call counts in `after_sends` and notifies `sent`.
#[derive(Default)]
struct Echo {
    gate: tokio::sync::Notify,
    after_sends: std::sync::atomic::AtomicUsize,
    sent: tokio::sync::Notify,
}

impl Handler for Echo {
    async fn handle(&self, request: &[u8], context: RequestContext) -> Option<Vec<u8>> {
        if request.starts_with(b"drop") {
            return None;
        }
        // Fits our 64 KiB bound but no IPv4 datagram (65,507 bytes of payload): the kernel refuses it.
        if request.starts_with(b"unsendable") {
            return Some(vec![b'u'; 65_520]);
        }
        // Over any DNS message: the listener itself must refuse it.
        if request.starts_with(b"oversized") {
            return Some(vec![b'o'; 70_000]);
        }
        if request.starts_with(b"thread") {
            let name = std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_string();
            return Some(name.into_bytes());
        }
        if request.starts_with(b"panic") {
            panic!("the test handler was asked to panic");
        }
        if request.starts_with(b"release") {
            self.gate.notify_one();
        }
        if request.starts_with(b"wait") {
            // Bounded so a broken listener fails the test instead of hanging it.
            let _ = timeout(WAIT, self.gate.notified()).await;
        }
        // "slow..." requests are answered late: replies must still be sent once the client half-closes.
        if request.starts_with(b"slow") {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut response = match context.protocol {
            Protocol::Udp => b"U:".to_vec(),
            Protocol::Tcp => b"T:".to_vec(),
        };
        response.extend_from_slice(request);
        Some(response)
    }

    /// "now..." requests are answered here, marked "N:" (where `handle` would say "U:" or "T:"),
    /// so a test sees which way the listener asked.
    fn answer_now(&self, request: &[u8], _context: RequestContext) -> Option<Option<Vec<u8>>> {
        if request.starts_with(b"now-none") {
            return Some(None);
        }
        request
            .starts_with(b"now")
            .then(|| Some([b"N:", request].concat()))
    }

    fn after_send(&self) {
        self.after_sends
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.sent.notify_one();
    }
}

fn address(a: u8, b: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 31, a, b)), 0)
}

fn start(addresses: &[SocketAddr], options: ListenOptions) -> Server {
    match serve(Arc::new(Echo::default()), addresses, options) {
        Ok(server) => server,
        Err(error) => panic!("listener did not start: {error}"),
    }
}

/// Both ways of reading UDP (an event loop, plain threads), with `workers` workers: every UDP
/// test runs with each.
fn udp_loops(workers: usize) -> [ListenOptions; 2] {
    [UdpLoop::Runtime, UdpLoop::Threads].map(|udp_loop| ListenOptions {
        udp_workers: workers,
        udp_loop,
        ..ListenOptions::default()
    })
}

fn framed(message: &[u8]) -> Vec<u8> {
    let mut out = (message.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(message);
    out
}

async fn read_framed(stream: &mut TcpStream) -> Vec<u8> {
    let mut prefix = [0u8; 2];
    timeout(WAIT, stream.read_exact(&mut prefix))
        .await
        .expect("no reply in time")
        .expect("connection failed before the reply");
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    timeout(WAIT, stream.read_exact(&mut message))
        .await
        .expect("reply not completed in time")
        .expect("connection failed inside the reply");
    message
}

/// Waits until the server closes the connection (EOF or reset); fails if it stays open past WAIT.
async fn assert_closed_by_server(stream: &mut TcpStream) {
    let mut buffer = [0u8; 64];
    loop {
        match timeout(WAIT, stream.read(&mut buffer)).await {
            Err(_) => panic!("server kept the connection open"),
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => continue,
        }
    }
}

async fn udp_exchange(server: SocketAddr, request: &[u8], wait: Duration) -> Option<Vec<u8>> {
    let bind = if server.is_ipv6() {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 0)
    } else {
        SocketAddr::new(server.ip(), 0)
    };
    let socket = UdpSocket::bind(bind).await.expect("client socket");
    socket.send_to(request, server).await.expect("send");
    let mut buffer = vec![0u8; 65535];
    match timeout(wait, socket.recv_from(&mut buffer)).await {
        Err(_) => None,
        Ok(Ok((length, source))) => {
            assert_eq!(source, server, "reply must come from the address queried");
            Some(buffer[..length].to_vec())
        }
        Ok(Err(error)) => panic!("receive failed: {error}"),
    }
}

mod udp {
    use super::*;

    #[tokio::test]
    async fn udp_query_is_answered_to_its_source() {
        for options in udp_loops(1) {
            let server = start(&[address(1, 1)], options.clone());
            let target = server.local_addresses()[0];
            assert_ne!(
                target.port(),
                0,
                "port 0 must be replaced by the bound port"
            );
            let reply = udp_exchange(target, b"hello", WAIT).await;
            assert_eq!(reply.as_deref(), Some(&b"U:hello"[..]));
        }
    }

    #[tokio::test]
    async fn a_late_answer_is_followed_by_after_send_and_a_first_poll_answer_is_not() {
        for options in udp_loops(1) {
            let echo = Arc::new(Echo::default());
            let server =
                serve(echo.clone(), &[address(1, 7)], options.clone()).expect("listener starts");
            let target = server.local_addresses()[0];
            let count = || echo.after_sends.load(std::sync::atomic::Ordering::SeqCst);
            let reply = udp_exchange(target, b"hello", WAIT).await;
            assert_eq!(reply.as_deref(), Some(&b"U:hello"[..]));
            assert_eq!(
                count(),
                0,
                "an answer ready at the first poll has nothing put off"
            );
            let reply = udp_exchange(target, b"slow", WAIT).await;
            assert_eq!(reply.as_deref(), Some(&b"U:slow"[..]));
            timeout(WAIT, echo.sent.notified())
                .await
                .expect("after_send follows the late answer");
            assert_eq!(count(), 1);
        }
    }

    #[tokio::test]
    async fn an_answer_given_at_once_is_sent_without_handle() {
        for options in udp_loops(1) {
            let server = start(&[address(1, 8)], options.clone());
            let target = server.local_addresses()[0];
            let reply = udp_exchange(target, b"now-1", WAIT).await;
            assert_eq!(reply.as_deref(), Some(&b"N:now-1"[..]), "{options:?}");
            // Requests it does not answer at once still go to `handle`.
            let reply = udp_exchange(target, b"later", WAIT).await;
            assert_eq!(reply.as_deref(), Some(&b"U:later"[..]), "{options:?}");
            // Mixed in one burst: each answer whole, to its request, and none for "now-none".
            let client = UdpSocket::bind(address(1, 11))
                .await
                .expect("client socket");
            let mut expected = Vec::new();
            for number in 0..40 {
                let request = match number % 4 {
                    0 => format!("now-{number}"),
                    1 => format!("now-none-{number}"),
                    2 => format!("handle-{number}"),
                    _ => format!("now-{number}-{}", "x".repeat(number * 10)),
                };
                client
                    .send_to(request.as_bytes(), target)
                    .await
                    .expect("send");
                match number % 4 {
                    1 => {}
                    2 => expected.push(format!("U:{request}").into_bytes()),
                    _ => expected.push(format!("N:{request}").into_bytes()),
                }
            }
            client.send_to(b"now-last", target).await.expect("send");
            expected.push(b"N:now-last".to_vec());
            expected.sort();
            assert_eq!(
                replies_until(&client, &expected).await,
                expected,
                "{options:?}: every answer, and nothing for now-none"
            );
        }
    }

    /// Linux: the batched loops (the one-datagram loop elsewhere does not guard).
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_handler_panic_loses_its_request_not_the_socket() {
        for options in udp_loops(1) {
            let server = start(&[address(1, 9)], options.clone());
            let target = server.local_addresses()[0];
            let client = UdpSocket::bind(address(1, 10))
                .await
                .expect("client socket");
            client.send_to(b"panic", target).await.expect("send");
            client.send_to(b"after", target).await.expect("send");
            let mut buffer = vec![0u8; 512];
            let (length, _) = timeout(WAIT, client.recv_from(&mut buffer))
                .await
                .unwrap_or_else(|_| panic!("{options:?}: no answer after the panic"))
                .expect("receive");
            assert_eq!(&buffer[..length], b"U:after", "{options:?}");
        }
    }

    #[tokio::test]
    async fn handler_returning_none_sends_no_udp_reply() {
        for options in udp_loops(1) {
            let server = start(&[address(1, 2)], options.clone());
            let target = server.local_addresses()[0];
            // The socket answers a later query, so silence for the first one is the handler's choice.
            let client = UdpSocket::bind(address(1, 3)).await.expect("client socket");
            client.send_to(b"drop me", target).await.expect("send");
            client.send_to(b"after", target).await.expect("send");
            let mut buffer = vec![0u8; 65535];
            let (length, _) = timeout(WAIT, client.recv_from(&mut buffer))
                .await
                .expect("no reply to the second query")
                .expect("receive");
            assert_eq!(
                &buffer[..length],
                b"U:after",
                "the dropped query must get no reply"
            );
        }
    }

    #[tokio::test]
    async fn several_addresses_are_all_served() {
        for options in udp_loops(1) {
            let server = start(&[address(1, 4), address(1, 5)], options.clone());
            for target in server.local_addresses() {
                let reply = udp_exchange(*target, b"x", WAIT).await;
                assert_eq!(reply.as_deref(), Some(&b"U:x"[..]), "no answer on {target}");
            }
        }
    }

    /// Collects replies on `client` until every one of `expected` has come (or WAIT passes, a
    /// failure); returns them all, sorted, including any unexpected ones received meanwhile.
    async fn replies_until(client: &UdpSocket, expected: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut replies = Vec::new();
        let mut buffer = vec![0u8; 65535];
        while !expected.iter().all(|reply| replies.contains(reply)) {
            let (length, _) = timeout(WAIT, client.recv_from(&mut buffer))
                .await
                .unwrap_or_else(|_| panic!("replies missing; got {} so far", replies.len()))
                .expect("receive");
            replies.push(buffer[..length].to_vec());
        }
        replies.sort();
        replies
    }

    #[tokio::test]
    async fn burst_larger_than_a_batch_is_answered_each_to_its_source() {
        for options in udp_loops(1) {
            let server = start(&[address(4, 1)], options.clone());
            let target = server.local_addresses()[0];
            let mut clients = Vec::new();
            for last in 2..5 {
                clients.push(
                    UdpSocket::bind(address(4, last))
                        .await
                        .expect("client socket"),
                );
            }
            // 3 x 50 datagrams, interleaved: several batches, each mixing the clients.
            for round in 0..50 {
                for (number, client) in clients.iter().enumerate() {
                    let request = format!("c{number}-q{round}");
                    client
                        .send_to(request.as_bytes(), target)
                        .await
                        .expect("send");
                }
            }
            for (number, client) in clients.iter().enumerate() {
                let mut expected: Vec<Vec<u8>> = (0..50)
                    .map(|round| format!("U:c{number}-q{round}").into_bytes())
                    .collect();
                expected.sort();
                assert_eq!(replies_until(client, &expected).await, expected);
            }
        }
    }

    #[tokio::test]
    async fn unsendable_dropped_and_slow_requests_in_a_batch_do_not_stop_the_rest() {
        for options in udp_loops(1) {
            let server = start(&[address(4, 5)], options.clone());
            let target = server.local_addresses()[0];
            let client = UdpSocket::bind(address(4, 6)).await.expect("client socket");
            // The test's runtime has one thread: the listener reads only once these sends are queued,
            // so they arrive in one batch, and the failing answers sit between good ones.
            let mut expected = Vec::new();
            for number in 0..20 {
                let request = match number {
                    3 => "unsendable".to_string(),
                    6 => "oversized".to_string(),
                    9 => "drop".to_string(),
                    12 => "slow-in-batch".to_string(),
                    _ => format!("q{number}"),
                };
                client
                    .send_to(request.as_bytes(), target)
                    .await
                    .expect("send");
                if !matches!(number, 3 | 6 | 9) {
                    expected.push(format!("U:{request}").into_bytes());
                }
            }
            expected.sort();
            assert_eq!(
                replies_until(&client, &expected).await,
                expected,
                "every answer but the unsendable, oversized and dropped ones, and nothing else"
            );
            // The socket still works after the batch (the slow request's buffer was replaced).
            client.send_to(b"after", target).await.expect("send");
            assert_eq!(
                replies_until(&client, &[b"U:after".to_vec()]).await,
                [b"U:after"]
            );
        }
    }

    #[tokio::test]
    async fn shutdown_closes_the_sockets() {
        for options in udp_loops(1) {
            let server = start(&[address(1, 6)], options.clone());
            let target = server.local_addresses()[0];
            server.shutdown().await;
            assert!(
                TcpStream::connect(target).await.is_err(),
                "TCP still accepting"
            );
        }
    }
}

mod workers {
    use std::collections::BTreeSet;

    use super::*;

    /// UDP sockets bound to `address` in this network namespace (/proc/net/udp, IPv4 only:
    /// local address as little-endian hex, then the port in hex).
    fn udp_sockets_on(address: SocketAddr) -> usize {
        let IpAddr::V4(ip) = address.ip() else {
            panic!("IPv4 only");
        };
        let wanted = format!("{:08X}:{:04X}", u32::from(ip).swap_bytes(), address.port());
        let table = std::fs::read_to_string("/proc/net/udp").expect("read /proc/net/udp");
        table
            .lines()
            .filter(|line| line.split_whitespace().nth(1) == Some(wanted.as_str()))
            .count()
    }

    /// `udp_sockets_on`, read again (for at most WAIT) until it says `expected`. The kernel
    /// writes /proc/net/udp a page per read, finding its place again by counting entries: while
    /// the parallel tests open and close sockets, one read can skip a line.
    async fn udp_sockets_settle_on(address: SocketAddr, expected: usize) -> usize {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let count = udp_sockets_on(address);
            if count == expected || tokio::time::Instant::now() >= deadline {
                return count;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn every_worker_has_its_own_socket_and_answers_on_it() {
        for options in udp_loops(2) {
            let server = start(&[address(5, 1)], options.clone());
            let target = server.local_addresses()[0];
            assert_eq!(
                udp_sockets_settle_on(target, 2).await,
                2,
                "one socket per worker on {target}"
            );
            // The kernel spreads source ports over the sockets by hash: 64 ports all landing on one
            // socket has odds of 2^-63, so both workers must answer, each from the queried address.
            let mut threads = BTreeSet::new();
            for _ in 0..64 {
                let reply = udp_exchange(target, b"thread", WAIT)
                    .await
                    .expect("an answer");
                threads.insert(String::from_utf8(reply).expect("a thread name"));
            }
            assert_eq!(
                threads,
                BTreeSet::from(["udp-worker-0".to_string(), "udp-worker-1".to_string()])
            );
        }
    }

    #[tokio::test]
    async fn a_late_answer_on_a_worker_is_sent() {
        for options in udp_loops(2) {
            // "slow" waits on a timer: the worker's own runtime must drive it.
            let server = start(&[address(5, 2)], options.clone());
            let target = server.local_addresses()[0];
            for _ in 0..8 {
                let reply = udp_exchange(target, b"slow-worker", WAIT).await;
                assert_eq!(reply.as_deref(), Some(&b"U:slow-worker"[..]));
            }
        }
    }

    #[tokio::test]
    async fn several_addresses_each_get_every_worker() {
        for options in udp_loops(2) {
            let server = start(&[address(5, 3), address(5, 4)], options.clone());
            for target in server.local_addresses() {
                assert_eq!(udp_sockets_settle_on(*target, 2).await, 2, "{target}");
                let reply = udp_exchange(*target, b"x", WAIT).await;
                assert_eq!(reply.as_deref(), Some(&b"U:x"[..]), "no answer on {target}");
                let over_tcp = TcpStream::connect(target).await;
                assert!(over_tcp.is_ok(), "TCP on {target}");
            }
        }
    }

    #[tokio::test]
    async fn shutdown_closes_every_worker_socket() {
        for options in udp_loops(2) {
            let server = start(&[address(5, 5)], options.clone());
            let target = server.local_addresses()[0];
            server.shutdown().await;
            assert_eq!(udp_sockets_settle_on(target, 0).await, 0);
            // Without SO_REUSEPORT this bind fails while any of the workers' sockets is open.
            std::net::UdpSocket::bind(target).expect("the port is free again");
        }
    }

    #[tokio::test]
    async fn shutdown_aborts_a_pending_request_and_closes_its_socket() {
        for options in udp_loops(1).into_iter().chain(udp_loops(2)) {
            let mode = format!(
                "{:?} with {} worker(s)",
                options.udp_loop, options.udp_workers
            );
            let server = start(&[address(5, 6)], options);
            let target = server.local_addresses()[0];
            // "wait" is answered only after a "release" that never comes (or WAIT passes).
            let client = UdpSocket::bind(address(5, 7)).await.expect("client socket");
            client.send_to(b"wait", target).await.expect("send");
            // Shown to be in flight: a later query on the same socket is answered meanwhile.
            client.send_to(b"after", target).await.expect("send");
            let mut buffer = vec![0u8; 512];
            let (length, _) = timeout(WAIT, client.recv_from(&mut buffer))
                .await
                .expect("an answer to the second query")
                .expect("receive");
            assert_eq!(&buffer[..length], b"U:after", "{mode}");
            timeout(WAIT / 2, server.shutdown())
                .await
                .unwrap_or_else(|_| panic!("{mode}: shutdown waited for the pending request"));
            assert_eq!(
                udp_sockets_settle_on(target, 0).await,
                0,
                "{mode}: a socket is still open"
            );
        }
    }

    #[tokio::test]
    async fn with_threads_one_worker_is_a_thread_of_its_own() {
        let [_, threads] = udp_loops(1);
        let server = start(&[address(5, 8)], threads);
        let target = server.local_addresses()[0];
        let reply = udp_exchange(target, b"thread", WAIT).await;
        assert_eq!(reply.as_deref(), Some(&b"udp-worker-0"[..]));
    }
}

mod ipv6 {
    use super::*;

    #[tokio::test]
    async fn ipv6_loopback_round_trip_over_udp_and_tcp() {
        let any = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 0);
        let server = start(&[any], ListenOptions::default());
        let target = server.local_addresses()[0];
        assert!(target.is_ipv6());
        let reply = udp_exchange(target, b"six", WAIT).await;
        assert_eq!(reply.as_deref(), Some(&b"U:six"[..]));
        let mut stream = TcpStream::connect(target).await.expect("connect");
        stream.write_all(&framed(b"six")).await.expect("write");
        assert_eq!(read_framed(&mut stream).await, b"T:six");
    }
}

mod errors {
    use super::*;

    #[tokio::test]
    async fn address_in_use_is_reported_with_the_address() {
        let first = start(&[address(3, 1)], ListenOptions::default());
        let taken = first.local_addresses()[0];
        match serve(
            Arc::new(Echo::default()),
            &[taken],
            ListenOptions::default(),
        ) {
            Ok(_) => panic!("the same address and port cannot be bound twice"),
            Err(error) => assert!(error.to_string().contains(&taken.to_string()), "{error}"),
        }
    }

    #[test]
    fn serve_outside_a_runtime_is_an_error_not_a_panic() {
        let result = serve(
            Arc::new(Echo::default()),
            &[address(3, 2)],
            ListenOptions::default(),
        );
        assert!(matches!(
            result,
            Err(authority::listen::ListenError::NoRuntime)
        ));
    }
}

mod tcp {
    use super::*;

    #[tokio::test]
    async fn pipelined_queries_in_one_write_all_get_answers_out_of_order() {
        let server = start(&[address(2, 1)], ListenOptions::default());
        let mut stream = TcpStream::connect(server.local_addresses()[0])
            .await
            .expect("connect");
        // The first query can only be answered after the third is read (RFC 7766 §6.2.1.1): a listener
        // answering one query at a time would never send it, and read_framed would fail after WAIT.
        let mut batch = framed(b"wait-first");
        batch.extend(framed(b"second"));
        batch.extend(framed(b"release"));
        stream.write_all(&batch).await.expect("write");
        let mut replies = Vec::new();
        for _ in 0..3 {
            replies.push(read_framed(&mut stream).await);
        }
        replies.sort();
        assert_eq!(
            replies,
            vec![
                b"T:release".to_vec(),
                b"T:second".to_vec(),
                b"T:wait-first".to_vec()
            ]
        );
    }

    #[tokio::test]
    async fn idle_connection_is_closed_after_the_idle_timeout() {
        let options = ListenOptions {
            tcp_idle_timeout: Duration::from_millis(300),
            ..ListenOptions::default()
        };
        let server = start(&[address(2, 2)], options);
        let mut stream = TcpStream::connect(server.local_addresses()[0])
            .await
            .expect("connect");
        stream.write_all(&framed(b"one")).await.expect("write");
        assert_eq!(read_framed(&mut stream).await, b"T:one");
        assert_closed_by_server(&mut stream).await;
    }

    #[tokio::test]
    async fn connections_beyond_the_cap_are_closed() {
        let options = ListenOptions {
            tcp_max_connections: 2,
            ..ListenOptions::default()
        };
        let server = start(&[address(2, 3)], options);
        let target = server.local_addresses()[0];
        let mut open = Vec::new();
        for name in [&b"a"[..], b"b"] {
            let mut stream = TcpStream::connect(target).await.expect("connect");
            stream.write_all(&framed(name)).await.expect("write");
            read_framed(&mut stream).await;
            open.push(stream);
        }
        let mut third = TcpStream::connect(target).await.expect("connect");
        let _ = third.write_all(&framed(b"c")).await;
        assert_closed_by_server(&mut third).await;
        // The first two still work.
        open[0].write_all(&framed(b"again")).await.expect("write");
        assert_eq!(read_framed(&mut open[0]).await, b"T:again");

        // Closing one frees its slot: the server closes its side, then a new client gets in.
        let mut leaving = open.pop().expect("two connections");
        leaving.shutdown().await.expect("half close");
        assert_closed_by_server(&mut leaving).await;
        // The slot is released just after the server's close; a few tries cover that instant.
        let mut admitted = false;
        for _ in 0..100 {
            let mut stream = TcpStream::connect(target).await.expect("connect");
            if stream.write_all(&framed(b"later")).await.is_err() {
                continue;
            }
            let mut prefix = [0u8; 2];
            if let Ok(Ok(_)) = timeout(WAIT, stream.read_exact(&mut prefix)).await {
                admitted = true;
                break;
            }
        }
        assert!(admitted, "a freed connection slot was never reused");
    }

    #[tokio::test]
    async fn slowloris_client_does_not_block_another_client() {
        let server = start(&[address(2, 4)], ListenOptions::default());
        let target = server.local_addresses()[0];
        let mut slow = TcpStream::connect(target).await.expect("connect");
        // A length prefix promising 100 bytes, then a dribble of 3.
        slow.write_all(&[0, 100, 1, 2, 3]).await.expect("write");
        let mut other = TcpStream::connect(target).await.expect("connect");
        other.write_all(&framed(b"fast")).await.expect("write");
        assert_eq!(read_framed(&mut other).await, b"T:fast");
        drop(slow);
    }

    #[tokio::test]
    async fn slowloris_connection_is_closed_after_the_read_timeout() {
        let options = ListenOptions {
            tcp_read_timeout: Duration::from_millis(300),
            ..ListenOptions::default()
        };
        let server = start(&[address(2, 5)], options);
        let mut slow = TcpStream::connect(server.local_addresses()[0])
            .await
            .expect("connect");
        slow.write_all(&[0]).await.expect("write");
        assert_closed_by_server(&mut slow).await;
    }

    #[tokio::test]
    async fn length_prefix_that_lies_closes_the_connection() {
        let options = ListenOptions {
            tcp_read_timeout: Duration::from_millis(300),
            ..ListenOptions::default()
        };
        let server = start(&[address(2, 6)], options);
        let mut stream = TcpStream::connect(server.local_addresses()[0])
            .await
            .expect("connect");
        stream
            .write_all(&[0x01, 0x00, b'x', b'y'])
            .await
            .expect("write");
        assert_closed_by_server(&mut stream).await;
    }

    #[tokio::test]
    async fn message_cut_by_half_close_closes_the_connection_without_reply() {
        let server = start(&[address(2, 7)], ListenOptions::default());
        let mut stream = TcpStream::connect(server.local_addresses()[0])
            .await
            .expect("connect");
        stream.write_all(&[0x00, 0x10, b'x']).await.expect("write");
        stream.shutdown().await.expect("half close");
        let mut buffer = Vec::new();
        let _ = timeout(WAIT, stream.read_to_end(&mut buffer))
            .await
            .expect("still open");
        assert!(buffer.is_empty(), "a partial message must not be answered");
    }

    #[tokio::test]
    async fn zero_length_message_closes_the_connection() {
        let server = start(&[address(2, 8)], ListenOptions::default());
        let mut stream = TcpStream::connect(server.local_addresses()[0])
            .await
            .expect("connect");
        stream.write_all(&[0, 0]).await.expect("write");
        assert_closed_by_server(&mut stream).await;
    }

    #[tokio::test]
    async fn replies_already_due_are_sent_before_a_half_closed_connection_ends() {
        let server = start(&[address(2, 9)], ListenOptions::default());
        let mut stream = TcpStream::connect(server.local_addresses()[0])
            .await
            .expect("connect");
        stream
            .write_all(&framed(b"slow-last"))
            .await
            .expect("write");
        stream.shutdown().await.expect("half close");
        assert_eq!(read_framed(&mut stream).await, b"T:slow-last");
        assert_closed_by_server(&mut stream).await;
    }
}
