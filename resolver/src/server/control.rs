//! The control endpoint: a Unix socket (mode 0600, so only the daemon's user and root may use it)
//! taking one command line per connection (unbound-control's commands, `control_command.rs`)
//! and a matching client. It never touches DNS sockets; commands go to the daemon's dispatcher.
//!
//! Protocol: the client sends one line of words; for `load_cache` the dump follows until the
//! client closes its sending side. The reply is text until the daemon closes the connection;
//! `dump_cache` streams it in chunks. Every step is bounded in bytes and time (`limits.rs`).

use std::fmt;
use std::future::Future;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::cache::dump::CacheDump;
use crate::server::control_command::ControlCommand;
use crate::server::limits::{
    CONTROL_ACCEPT_BACKOFF, CONTROL_CLIENT_TIMEOUT, CONTROL_READ_TIMEOUT, CONTROL_STREAM_TIMEOUT,
    DUMP_CHUNK_BYTES, MAX_CACHE_LOAD_BYTES, MAX_CONTROL_LINE_BYTES,
};

/// Why the control socket could not be opened or used.
#[derive(Debug)]
pub struct ControlError {
    pub path: PathBuf,
    pub kind: ControlErrorKind,
}

#[derive(Debug)]
pub enum ControlErrorKind {
    /// Something other than a socket already exists at the path; we will not delete it.
    NotASocket,
    Io(std::io::ErrorKind, String),
    Timeout,
}

impl fmt::Display for ControlError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "control socket {}: ", self.path.display())?;
        match &self.kind {
            ControlErrorKind::NotASocket => write!(
                formatter,
                "exists and is not a socket; refusing to replace it"
            ),
            ControlErrorKind::Io(_, message) => write!(formatter, "{message}"),
            ControlErrorKind::Timeout => write!(
                formatter,
                "no reply in {} s",
                CONTROL_CLIENT_TIMEOUT.as_secs()
            ),
        }
    }
}

impl std::error::Error for ControlError {}

fn io_error(path: &Path, error: std::io::Error) -> ControlError {
    ControlError {
        path: path.to_path_buf(),
        kind: ControlErrorKind::Io(error.kind(), error.to_string()),
    }
}

/// A command's reply: text, or a cache dump written out a chunk at a time.
pub enum Reply {
    Text(String),
    Dump(CacheDump),
}

impl From<String> for Reply {
    fn from(text: String) -> Reply {
        Reply::Text(text)
    }
}

/// What the daemon does for each command, given the text that followed it (`load_cache`'s dump;
/// empty for every other command).
pub type CommandFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;
pub type Commands = Arc<dyn Fn(ControlCommand, String) -> CommandFuture + Send + Sync>;

/// Binds the control socket at `path` (replacing a stale socket left by a previous run).
pub fn bind(path: &Path) -> Result<UnixListener, ControlError> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_socket() => {
            std::fs::remove_file(path).map_err(|error| io_error(path, error))?
        }
        Ok(_) => {
            return Err(ControlError {
                path: path.to_path_buf(),
                kind: ControlErrorKind::NotASocket,
            })
        }
        Err(_) => {}
    }
    let listener = UnixListener::bind(path).map_err(|error| io_error(path, error))?;
    // Anyone who can connect can flush the cache: owner only, like unbound-control's local socket.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|error| io_error(path, error))?;
    Ok(listener)
}

/// Serves control connections one at a time (operators issue a command now and then; serial
/// handling bounds the endpoint's cost to one connection and one timeout).
pub async fn serve(listener: UnixListener, commands: Commands) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or similar: back off instead of spinning on the error.
            tokio::time::sleep(CONTROL_ACCEPT_BACKOFF).await;
            continue;
        };
        let Ok(Some((command, mut reader))) =
            tokio::time::timeout(CONTROL_READ_TIMEOUT, read_command(stream)).await
        else {
            continue;
        };
        let reply = match command {
            Ok(ControlCommand::LoadCache) => match read_body(&mut reader).await {
                Ok(body) => commands(ControlCommand::LoadCache, body).await,
                Err(message) => Reply::Text(format!("error: {message}\n")),
            },
            Ok(command) => commands(command, String::new()).await,
            Err(error) => Reply::Text(format!("error: {error}\n")),
        };
        let mut stream = reader.into_inner();
        // A client that stops reading is cut off after the timeout; the reply is best-effort.
        match reply {
            Reply::Text(text) => {
                let _ =
                    tokio::time::timeout(CONTROL_READ_TIMEOUT, stream.write_all(text.as_bytes()))
                        .await;
            }
            Reply::Dump(dump) => {
                let _ = tokio::time::timeout(CONTROL_STREAM_TIMEOUT, write_dump(&mut stream, dump))
                    .await;
            }
        }
    }
}

/// Writes a dump a chunk at a time, each write bounded like any reply.
async fn write_dump(stream: &mut UnixStream, mut dump: CacheDump) {
    let header = format!(
        "; resolver cache dump: {} entries, TTLs as left\n",
        dump.len()
    );
    if stream.write_all(header.as_bytes()).await.is_err() {
        return;
    }
    while let Some(chunk) = dump.next_chunk(DUMP_CHUNK_BYTES) {
        match tokio::time::timeout(CONTROL_READ_TIMEOUT, stream.write_all(chunk.as_bytes())).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}

/// Reads one line of at most `MAX_CONTROL_LINE_BYTES` and parses it.
async fn read_command(
    stream: UnixStream,
) -> Option<(Result<ControlCommand, String>, BufReader<UnixStream>)> {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::with_capacity(MAX_CONTROL_LINE_BYTES);
    (&mut reader)
        .take(MAX_CONTROL_LINE_BYTES as u64)
        .read_until(b'\n', &mut line)
        .await
        .ok()?;
    let command = match std::str::from_utf8(&line) {
        Ok(text) => {
            let words: Vec<&str> = text.split_whitespace().collect();
            ControlCommand::parse(&words).map_err(|error| error.to_string())
        }
        Err(_) => Err("the command line is not UTF-8".to_string()),
    };
    Some((command, reader))
}

/// The text after the command line, up to the client's end of sending: at most
/// `MAX_CACHE_LOAD_BYTES`, within `CONTROL_STREAM_TIMEOUT`.
async fn read_body(reader: &mut (impl AsyncRead + Unpin)) -> Result<String, String> {
    let mut body = Vec::new();
    let mut limited = reader.take(MAX_CACHE_LOAD_BYTES as u64 + 1);
    let read = limited.read_to_end(&mut body);
    match tokio::time::timeout(CONTROL_STREAM_TIMEOUT, read).await {
        Err(_) => {
            return Err(format!(
                "load_cache: the dump did not arrive within {} s",
                CONTROL_STREAM_TIMEOUT.as_secs()
            ))
        }
        Ok(Err(error)) => return Err(format!("load_cache: {error}")),
        Ok(Ok(_)) => {}
    }
    if body.len() > MAX_CACHE_LOAD_BYTES {
        return Err(format!(
            "load_cache: the dump is larger than {MAX_CACHE_LOAD_BYTES} bytes; nothing loaded"
        ));
    }
    String::from_utf8(body).map_err(|_| "load_cache: the dump is not UTF-8 text".to_string())
}

/// Client mode: sends `command` (and for `load_cache`, `body`) to the daemon at `path` and
/// returns its reply. A dump can be long: the reply is bounded by the stream timeout.
pub async fn send(
    path: &Path,
    command: &ControlCommand,
    body: &[u8],
) -> Result<String, ControlError> {
    let exchange = async {
        let mut stream = UnixStream::connect(path)
            .await
            .map_err(|error| io_error(path, error))?;
        stream
            .write_all(format!("{}\n", command.line()).as_bytes())
            .await
            .map_err(|error| io_error(path, error))?;
        stream
            .write_all(body)
            .await
            .map_err(|error| io_error(path, error))?;
        stream
            .shutdown()
            .await
            .map_err(|error| io_error(path, error))?;
        let mut reply = String::new();
        stream
            .read_to_string(&mut reply)
            .await
            .map_err(|error| io_error(path, error))?;
        Ok(reply)
    };
    let timeout = match command {
        ControlCommand::DumpCache | ControlCommand::LoadCache => CONTROL_STREAM_TIMEOUT,
        _ => CONTROL_CLIENT_TIMEOUT,
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(ControlError {
            path: path.to_path_buf(),
            kind: ControlErrorKind::Timeout,
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_regular_file_at_the_control_path_is_never_replaced() {
        let path =
            std::env::temp_dir().join(format!("resolver-control-file-{}", std::process::id()));
        if let Err(error) = std::fs::write(&path, "keep me") {
            panic!("cannot write {}: {error}", path.display());
        }
        let result = bind(&path);
        assert!(matches!(
            result,
            Err(ControlError {
                kind: ControlErrorKind::NotASocket,
                ..
            })
        ));
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("keep me")
        );
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn commands_get_replies_and_unknown_words_an_error() {
        let path = std::env::temp_dir().join(format!(
            "resolver-control-serve-{}.sock",
            std::process::id()
        ));
        let listener = match bind(&path) {
            Ok(listener) => listener,
            Err(error) => panic!("{error}"),
        };
        let mode = std::fs::metadata(&path).map(|metadata| metadata.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
        let commands: Commands =
            Arc::new(|command: ControlCommand, body: String| -> CommandFuture {
                Box::pin(
                    async move { Reply::Text(format!("did {} with {body:?}\n", command.line())) },
                )
            });
        let server = tokio::spawn(serve(listener, commands));
        let reply = send(&path, &ControlCommand::FlushAll, b"")
            .await
            .map_err(|error| error.to_string());
        assert_eq!(reply, Ok("did flush with \"\"\n".to_string()));
        let reply = send(&path, &ControlCommand::LoadCache, b";rrset answer\n")
            .await
            .map_err(|error| error.to_string());
        assert_eq!(
            reply,
            Ok("did load_cache with \";rrset answer\\n\"\n".to_string())
        );

        let mut stream = match UnixStream::connect(&path).await {
            Ok(stream) => stream,
            Err(error) => panic!("{error}"),
        };
        let _ = stream.write_all(b"shutdown\n").await;
        let mut text = String::new();
        let _ =
            tokio::time::timeout(CONTROL_CLIENT_TIMEOUT, stream.read_to_string(&mut text)).await;
        assert!(
            text.starts_with("error: unknown command \"shutdown\""),
            "{text}"
        );
        server.abort();
        let _ = std::fs::remove_file(path);
    }
}
