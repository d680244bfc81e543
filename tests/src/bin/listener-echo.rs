//! A test server: the shared listener (`authority::listen`) answering every query REFUSED.
//! It lets end-to-end tests check the listener as a real process; it serves no data.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use authority::listen::{serve, Handler, ListenOptions, RequestContext};
use hickory_proto::op::{Message, MessageType, ResponseCode};

struct Refuse;

impl Handler for Refuse {
    async fn handle(&self, request: &[u8], _context: RequestContext) -> Option<Vec<u8>> {
        let request = Message::from_vec(request).ok()?;
        if request.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata.response_code = ResponseCode::Refused;
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.queries = request.queries;
        response.to_vec().ok()
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mut addresses = Vec::new();
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let parsed = match (argument.as_str(), arguments.next()) {
            ("--listen", Some(value)) => value.parse::<SocketAddr>().ok(),
            _ => None,
        };
        match parsed {
            Some(address) => addresses.push(address),
            None => {
                eprintln!("usage: listener-echo --listen ADDR:PORT [--listen ADDR:PORT]...");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("listener-echo: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        match serve(Arc::new(Refuse), &addresses, ListenOptions::default()) {
            Ok(_server) => {
                // Serve until killed; the test's Process guard ends us.
                std::future::pending::<()>().await;
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("listener-echo: {error}");
                ExitCode::FAILURE
            }
        }
    })
}
