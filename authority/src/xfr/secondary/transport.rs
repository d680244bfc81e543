//! The secondary's door to its primaries: one connection at a time, whole DNS messages out and in.
//! Production speaks TCP (RFC 1035 §4.2.2 framing, RFC 7766); tests script a primary without sockets.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::limits::{
    SECONDARY_CONNECT_TIMEOUT, SECONDARY_IDLE_TIMEOUT, SECONDARY_MAX_TRANSFER_BYTES,
};
use crate::xfr::secondary::error::PullError;

pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, PullError>> + Send + 'a>>;

/// One open connection to a primary. `receive` ends in `PullError::Truncated` when the primary
/// closed the connection, and bounds its wait and the octets received.
pub trait Connection: Send {
    fn send<'a>(&'a mut self, message: &'a [u8]) -> Pending<'a, ()>;
    fn receive(&mut self, waiting: &'static str) -> Pending<'_, Vec<u8>>;
}

/// Opens connections to primaries, from `source` when given (so the primary's ACL can name the
/// address we serve on, as NSD's `outgoing-interface` and Knot's `via` do).
pub trait Transport: Send + Sync + std::fmt::Debug {
    fn connect(
        &self,
        primary: SocketAddr,
        source: Option<IpAddr>,
    ) -> Pending<'_, Box<dyn Connection>>;
}

/// TCP, each message behind its two-octet length.
#[derive(Clone, Copy, Debug, Default)]
pub struct TcpTransport;

impl Transport for TcpTransport {
    fn connect(
        &self,
        primary: SocketAddr,
        source: Option<IpAddr>,
    ) -> Pending<'_, Box<dyn Connection>> {
        Box::pin(async move {
            let connection = TcpConnection::open(primary, source).await?;
            Ok(Box::new(connection) as Box<dyn Connection>)
        })
    }
}

/// A TCP connection to a primary, framed as RFC 1035 §4.2.2 says.
pub(crate) struct TcpConnection {
    pub(crate) stream: TcpStream,
    /// Octets received so far (bounded by SECONDARY_MAX_TRANSFER_BYTES).
    pub(crate) received: usize,
}

impl TcpConnection {
    async fn open(primary: SocketAddr, source: Option<IpAddr>) -> Result<TcpConnection, PullError> {
        let failed = |error| PullError::Connect(primary, error);
        let socket = match primary {
            SocketAddr::V4(_) => TcpSocket::new_v4(),
            SocketAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(failed)?;
        if let Some(source) = source.filter(|source| source.is_ipv4() == primary.is_ipv4()) {
            socket.bind(SocketAddr::new(source, 0)).map_err(failed)?;
        }
        let stream = tokio::time::timeout(SECONDARY_CONNECT_TIMEOUT, socket.connect(primary))
            .await
            .map_err(|_| PullError::Timeout("the TCP connection"))?
            .map_err(failed)?;
        Ok(TcpConnection {
            stream,
            received: 0,
        })
    }
}

impl Connection for TcpConnection {
    fn send<'a>(&'a mut self, message: &'a [u8]) -> Pending<'a, ()> {
        Box::pin(async move {
            let length = u16::try_from(message.len())
                .map_err(|_| PullError::Malformed("request too long".to_string()))?;
            let mut framed = Vec::with_capacity(message.len() + 2);
            framed.extend_from_slice(&length.to_be_bytes());
            framed.extend_from_slice(message);
            tokio::time::timeout(SECONDARY_IDLE_TIMEOUT, self.stream.write_all(&framed))
                .await
                .map_err(|_| PullError::Timeout("sending the request"))??;
            Ok(())
        })
    }

    /// The next message, within SECONDARY_IDLE_TIMEOUT.
    fn receive(&mut self, waiting: &'static str) -> Pending<'_, Vec<u8>> {
        Box::pin(async move {
            let read = async {
                let length = usize::from(self.stream.read_u16().await?);
                let mut message = vec![0u8; length];
                self.stream.read_exact(&mut message).await?;
                Ok::<_, std::io::Error>(message)
            };
            let message = tokio::time::timeout(SECONDARY_IDLE_TIMEOUT, read)
                .await
                .map_err(|_| PullError::Timeout(waiting))??;
            self.received += message.len() + 2;
            if self.received > SECONDARY_MAX_TRANSFER_BYTES {
                return Err(PullError::TooLarge("octets"));
            }
            Ok(message)
        })
    }
}

#[cfg(test)]
pub mod scripted {
    //! A primary in memory: each request's answer messages come from a function of the request;
    //! the connection closes when they run out. Connections can be held at a gate the test opens.

    use std::collections::VecDeque;
    use std::sync::Arc;

    use tokio::sync::{mpsc, Semaphore};

    use super::*;

    pub type Answerer = dyn Fn(&[u8]) -> Vec<Vec<u8>> + Send + Sync;

    pub struct ScriptedPrimary {
        answer: Arc<Answerer>,
        /// One message per connection opened (the test counts refreshes with it).
        connected: Option<mpsc::UnboundedSender<()>>,
        /// When set, each connection waits for one permit: the test holds a transfer open.
        gate: Option<Arc<Semaphore>>,
    }

    impl ScriptedPrimary {
        pub fn new(answer: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + Sync + 'static) -> Self {
            ScriptedPrimary {
                answer: Arc::new(answer),
                connected: None,
                gate: None,
            }
        }

        /// Reports every connection on the returned channel, and holds it until the gate has a
        /// permit for it.
        pub fn watched(
            mut self,
            gate: Arc<Semaphore>,
        ) -> (ScriptedPrimary, mpsc::UnboundedReceiver<()>) {
            let (sender, receiver) = mpsc::unbounded_channel();
            self.connected = Some(sender);
            self.gate = Some(gate);
            (self, receiver)
        }
    }

    impl std::fmt::Debug for ScriptedPrimary {
        fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("ScriptedPrimary")
        }
    }

    struct ScriptedConnection {
        answer: Arc<Answerer>,
        queue: VecDeque<Vec<u8>>,
    }

    impl Transport for ScriptedPrimary {
        fn connect(
            &self,
            _primary: SocketAddr,
            _source: Option<IpAddr>,
        ) -> Pending<'_, Box<dyn Connection>> {
            Box::pin(async move {
                if let Some(connected) = &self.connected {
                    let _ = connected.send(());
                }
                if let Some(gate) = &self.gate {
                    gate.acquire()
                        .await
                        .map_err(|_| PullError::Timeout("the gate"))?
                        .forget();
                }
                Ok(Box::new(ScriptedConnection {
                    answer: self.answer.clone(),
                    queue: VecDeque::new(),
                }) as Box<dyn Connection>)
            })
        }
    }

    impl Connection for ScriptedConnection {
        fn send<'a>(&'a mut self, message: &'a [u8]) -> Pending<'a, ()> {
            let answers = (self.answer)(message);
            self.queue.extend(answers);
            Box::pin(async { Ok(()) })
        }

        fn receive(&mut self, _waiting: &'static str) -> Pending<'_, Vec<u8>> {
            let next = self.queue.pop_front().ok_or(PullError::Truncated);
            Box::pin(async move { next })
        }
    }
}
