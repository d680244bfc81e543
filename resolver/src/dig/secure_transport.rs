//! rdig's `+tls` (DNS over TLS, RFC 7858) and `+https` (DNS over HTTPS, RFC 8484) exchanges: one
//! TLS connection per try, the query framed as over TCP or sent as one HTTP/2 request. Like dig, the
//! server's certificate is checked only with `+tls-ca`; nothing here prints.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::dig::limits::MAX_MESSAGE_BYTES;
use crate::dig::options::{Encryption, QueryOptions};

/// Why a secure exchange failed, in the words dig's progress line uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecureError {
    Timeout,
    Connect(std::io::ErrorKind),
    /// The TLS handshake failed (certificate refused, no common protocol...).
    Handshake(String),
    /// HTTP/2 failed or the server answered with a status other than 200 (RFC 8484 §4.2.1).
    Http(String),
    /// `+tls-ca=FILE` could not be read or held no certificate.
    CertificateFile(String),
    /// `+tls-ca` is on and the server's certificate failed the check, in OpenSSL's words as dig
    /// prints them.
    Certificate(&'static str),
}

impl std::fmt::Display for SecureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecureError::Timeout => f.write_str("timed out"),
            SecureError::Connect(std::io::ErrorKind::ConnectionRefused) => {
                f.write_str("connection refused")
            }
            SecureError::Connect(kind) => write!(f, "{}", kind.to_string().to_lowercase()),
            SecureError::Handshake(reason) => write!(f, "TLS error: {reason}"),
            // dig reports any failed DoH exchange as ISC's generic result text.
            SecureError::Http(_) => f.write_str("failure"),
            SecureError::Certificate(reason) => f.write_str(reason),
            SecureError::CertificateFile(path) => write!(f, "cannot read CA file '{path}'"),
        }
    }
}

/// dig's ports for the encrypted transports when `-p` is not given (RFC 7858 §3.1, RFC 8484 §8.1).
pub const TLS_PORT: u16 = 853;
pub const HTTPS_PORT: u16 = 443;

/// Accepts any certificate, as dig does without `+tls-ca` (its default is opportunistic privacy,
/// RFC 7858 §4.1); the handshake signatures are still checked so the session keys are the server's.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            certificate,
            signature,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            certificate,
            signature,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS client settings of a lookup: trust per `+tls-ca`, ALPN `dot` or `h2` (RFC 7858 §3.2 has
/// no ALPN; dig offers "dot", and "h2" for DoH, RFC 8484 §5.2).
fn client_config(options: &QueryOptions) -> Result<ClientConfig, SecureError> {
    // ring is the crypto already in the tree (hickory's dnssec-ring); rustls marks it deprecated
    // only for lacking post-quantum key exchange, which DoT/DoH servers do not require.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| SecureError::Handshake(error.to_string()))?;
    let mut config = match &options.tls_ca {
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth(),
        Some(file) => {
            let mut roots = RootCertStore::empty();
            match file {
                Some(path) => {
                    let certificates = CertificateDer::pem_file_iter(path)
                        .map_err(|_| SecureError::CertificateFile(path.clone()))?;
                    for certificate in certificates {
                        let certificate =
                            certificate.map_err(|_| SecureError::CertificateFile(path.clone()))?;
                        roots
                            .add(certificate)
                            .map_err(|_| SecureError::CertificateFile(path.clone()))?;
                    }
                    if roots.is_empty() {
                        return Err(SecureError::CertificateFile(path.clone()));
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    config.alpn_protocols = match options.encryption {
        Encryption::Https { .. } => vec![b"h2".to_vec()],
        _ => vec![b"dot".to_vec()],
    };
    Ok(config)
}

/// The name the certificate must carry: `+tls-hostname`, else the `@server` as typed (an address
/// is checked as an IP address SAN).
fn server_name(options: &QueryOptions, label: &str) -> Result<ServerName<'static>, SecureError> {
    let name = options.tls_hostname.as_deref().unwrap_or(label);
    ServerName::try_from(name.to_string())
        .map_err(|_| SecureError::Handshake(format!("invalid server name '{name}'")))
}

async fn connect(
    server: SocketAddr,
    label: &str,
    options: &QueryOptions,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, SecureError> {
    let config = client_config(options)?;
    let name = server_name(options, label)?;
    let tcp = crate::dig::socket_transport::connect_tcp(server, options.source)
        .await
        .map_err(|error| SecureError::Connect(error.kind()))?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(handshake_error)
}

/// A failed handshake; a refused certificate in the words of OpenSSL's `X509_verify_cert_error_string`.
fn handshake_error(error: std::io::Error) -> SecureError {
    use rustls::CertificateError;
    let certificate = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .and_then(|tls| match tls {
            rustls::Error::InvalidCertificate(problem) => Some(problem.clone()),
            _ => None,
        });
    match certificate {
        Some(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => SecureError::Certificate("hostname mismatch"),
        Some(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            SecureError::Certificate("certificate has expired")
        }
        Some(CertificateError::UnknownIssuer) => {
            SecureError::Certificate("unable to get local issuer certificate")
        }
        Some(_) => SecureError::Certificate("certificate verify failed"),
        None => SecureError::Handshake(error.to_string()),
    }
}

/// RFC 7858 §3.3: the query with its two-byte length, as over TCP (RFC 1035 §4.2.2).
async fn exchange_tls(
    server: SocketAddr,
    label: &str,
    query: &[u8],
    options: &QueryOptions,
) -> Result<Vec<u8>, SecureError> {
    let mut stream = connect(server, label, options).await?;
    let io = |error: std::io::Error| SecureError::Connect(error.kind());
    let length = u16::try_from(query.len())
        .map_err(|_| SecureError::Connect(std::io::ErrorKind::InvalidInput))?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(query);
    stream.write_all(&framed).await.map_err(io)?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await.map_err(io)?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut reply).await.map_err(io)?;
    Ok(reply)
}

/// RFC 8484 §4.1: one POST of `application/dns-message` (or a GET with `?dns=` base64url).
async fn exchange_https(
    server: SocketAddr,
    label: &str,
    path: &str,
    query: &[u8],
    options: &QueryOptions,
) -> Result<Vec<u8>, SecureError> {
    let stream = connect(server, label, options).await?;
    let http = |error: h2::Error| SecureError::Http(error.to_string());
    let (client, connection) = h2::client::handshake(stream).await.map_err(http)?;
    // The connection task ends when the request and the client handle are done.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut client = client.ready().await.map_err(http)?;
    let authority = options.tls_hostname.as_deref().unwrap_or(label);
    let host = if server.ip().is_ipv6() && authority.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{authority}]:{}", server.port())
    } else {
        format!("{authority}:{}", server.port())
    };
    let (method, uri, body) = if options.https_get {
        // RFC 8484 §4.1: the ID is 0 in a GET so that caches can share answers; dig keeps its own.
        let encoded = data_encoding::BASE64URL_NOPAD.encode(query);
        let separator = if path.contains('?') { '&' } else { '?' };
        (
            http::Method::GET,
            format!("https://{host}{path}{separator}dns={encoded}"),
            None,
        )
    } else {
        (
            http::Method::POST,
            format!("https://{host}{path}"),
            Some(Bytes::copy_from_slice(query)),
        )
    };
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("accept", "application/dns-message")
        .header("content-type", "application/dns-message")
        .body(())
        .map_err(|error| SecureError::Http(error.to_string()))?;
    let (response, mut send) = client.send_request(request, body.is_none()).map_err(http)?;
    if let Some(body) = body {
        send.send_data(body, true).map_err(http)?;
    }
    let response = response.await.map_err(http)?;
    if response.status() != http::StatusCode::OK {
        return Err(SecureError::Http(format!("status {}", response.status())));
    }
    let mut body = response.into_body();
    let mut reply = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(http)?;
        let _ = body.flow_control().release_capacity(chunk.len());
        if reply.len() + chunk.len() > MAX_MESSAGE_BYTES {
            return Err(SecureError::Http("reply larger than a DNS message".into()));
        }
        reply.extend_from_slice(&chunk);
    }
    Ok(reply)
}

/// One encrypted exchange with `server` (typed as `label`), within `timeout`.
pub async fn exchange_secure(
    server: SocketAddr,
    label: &str,
    query: &[u8],
    options: &QueryOptions,
    timeout: Duration,
) -> Result<Vec<u8>, SecureError> {
    let exchange = async {
        match &options.encryption {
            Encryption::Https { path } => exchange_https(server, label, path, query, options).await,
            _ => exchange_tls(server, label, query, options).await,
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(SecureError::Timeout))
}
