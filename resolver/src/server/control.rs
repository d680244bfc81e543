//! The control endpoint: a Unix socket (mode 0600, so only the daemon's user and root may use it)
//! taking one command word per connection — `stats`, `flush`, `reload` — and a matching client.
//! It never touches DNS sockets; commands go to the handler and the reload function.

use std::fmt;
use std::future::Future;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::server::limits::{
    CONTROL_ACCEPT_BACKOFF, CONTROL_CLIENT_TIMEOUT, CONTROL_READ_TIMEOUT, MAX_CONTROL_LINE_BYTES,
};
use crate::server::settings::ControlCommand;

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

/// What the daemon does for each command; returns the reply text.
pub type CommandFuture = Pin<Box<dyn Future<Output = String> + Send>>;
pub type Commands = Arc<dyn Fn(ControlCommand) -> CommandFuture + Send + Sync>;

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
        let Ok(Some((command, mut stream))) =
            tokio::time::timeout(CONTROL_READ_TIMEOUT, read_command(stream)).await
        else {
            continue;
        };
        let text = match command {
            Some(command) => commands(command).await,
            None => "error: unknown command (expected stats, flush or reload)\n".to_string(),
        };
        // A client that stops reading is cut off after the timeout; the reply is best-effort.
        let _ = tokio::time::timeout(CONTROL_READ_TIMEOUT, stream.write_all(text.as_bytes())).await;
    }
}

/// Reads one line of at most `MAX_CONTROL_LINE_BYTES`.
async fn read_command(stream: UnixStream) -> Option<(Option<ControlCommand>, UnixStream)> {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::with_capacity(MAX_CONTROL_LINE_BYTES);
    (&mut reader)
        .take(MAX_CONTROL_LINE_BYTES as u64)
        .read_until(b'\n', &mut line)
        .await
        .ok()?;
    let word = std::str::from_utf8(&line)
        .ok()
        .map(str::trim)
        .unwrap_or_default();
    Some((ControlCommand::from_word(word), reader.into_inner()))
}

/// Client mode: sends `command` to the daemon at `path` and returns its reply.
pub async fn send(path: &Path, command: ControlCommand) -> Result<String, ControlError> {
    let exchange = async {
        let mut stream = UnixStream::connect(path)
            .await
            .map_err(|error| io_error(path, error))?;
        stream
            .write_all(format!("{}\n", command.word()).as_bytes())
            .await
            .map_err(|error| io_error(path, error))?;
        let mut reply = String::new();
        stream
            .read_to_string(&mut reply)
            .await
            .map_err(|error| io_error(path, error))?;
        Ok(reply)
    };
    tokio::time::timeout(CONTROL_CLIENT_TIMEOUT, exchange)
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
        let commands: Commands = Arc::new(|command: ControlCommand| -> CommandFuture {
            Box::pin(async move { format!("did {}\n", command.word()) })
        });
        let server = tokio::spawn(serve(listener, commands));
        let reply = send(&path, ControlCommand::Flush)
            .await
            .map_err(|error| error.to_string());
        assert_eq!(reply, Ok("did flush\n".to_string()));

        let mut stream = match UnixStream::connect(&path).await {
            Ok(stream) => stream,
            Err(error) => panic!("{error}"),
        };
        let _ = stream.write_all(b"shutdown\n").await;
        let mut text = String::new();
        let _ =
            tokio::time::timeout(CONTROL_CLIENT_TIMEOUT, stream.read_to_string(&mut text)).await;
        assert!(text.starts_with("error: unknown command"), "{text}");
        server.abort();
        let _ = std::fs::remove_file(path);
    }
}
