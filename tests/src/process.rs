//! A spawned server process: its stderr (and stdout) captured line by line, a bounded wait for a
//! ready line, and a kill by PID when the guard drops, so no test leaves a server behind.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to print its ready line. Generous for a loaded 2-core CI machine;
/// reaching it is a failure, a ready server is noticed at once.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Captured output kept per process; a chatty server cannot grow a test's memory without bound.
const MAX_CAPTURED_LINES: usize = 10_000;

#[derive(Debug)]
pub enum ProcessError {
    Spawn {
        program: String,
        error: io::Error,
    },
    /// The process ended before printing the ready line.
    Exited {
        program: String,
        status: String,
        output: String,
    },
    /// No ready line within the timeout.
    NotReady {
        program: String,
        pattern: String,
        output: String,
    },
}

impl fmt::Display for ProcessError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::Spawn { program, error } => {
                write!(formatter, "cannot start {program}: {error}")
            }
            ProcessError::Exited {
                program,
                status,
                output,
            } => {
                write!(
                    formatter,
                    "{program} exited ({status}) before it was ready; its output:\n{output}"
                )
            }
            ProcessError::NotReady {
                program,
                pattern,
                output,
            } => write!(
                formatter,
                "{program} printed no line containing {pattern:?} in time; its output:\n{output}"
            ),
        }
    }
}

impl std::error::Error for ProcessError {}

#[derive(Default)]
struct Captured {
    lines: Vec<String>,
    /// Both pipes reached end of file.
    closed_streams: u8,
}

/// Kills the process (SIGKILL, by PID) when dropped.
pub struct Process {
    program: String,
    child: Child,
    captured: Arc<(Mutex<Captured>, Condvar)>,
}

impl Process {
    /// Spawns `command` with stdout and stderr captured.
    pub fn spawn(mut command: Command) -> Result<Process, ProcessError> {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| ProcessError::Spawn {
                program: program.clone(),
                error,
            })?;
        let captured = Arc::new((Mutex::new(Captured::default()), Condvar::new()));
        if let Some(stderr) = child.stderr.take() {
            capture(stderr, captured.clone());
        }
        if let Some(stdout) = child.stdout.take() {
            capture(stdout, captured.clone());
        }
        Ok(Process {
            program,
            child,
            captured,
        })
    }

    /// Spawns `command` and waits (up to `READY_TIMEOUT`) for an output line containing `pattern`.
    ///
    /// ```no_run
    /// let mut command = std::process::Command::new(e2e::workspace_binary("authority", "authority"));
    /// command.args(["--listen", "127.64.0.1:5300", "zones/example.test.yaml"]);
    /// let server = e2e::Process::spawn_ready(command, "ready").expect("authority starts");
    /// // ... query it; `server` is killed when it goes out of scope.
    /// ```
    pub fn spawn_ready(command: Command, pattern: &str) -> Result<Process, ProcessError> {
        let mut process = Process::spawn(command)?;
        process.wait_for_line(pattern, READY_TIMEOUT)?;
        Ok(process)
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for an output line containing `pattern` (lines seen earlier count too).
    pub fn wait_for_line(
        &mut self,
        pattern: &str,
        timeout: Duration,
    ) -> Result<String, ProcessError> {
        let deadline = Instant::now() + timeout;
        let (lock, changed) = &*self.captured;
        let mut captured = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if let Some(line) = captured.lines.iter().find(|line| line.contains(pattern)) {
                return Ok(line.clone());
            }
            if captured.closed_streams >= 2 {
                drop(captured);
                return Err(self.exited_error());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ProcessError::NotReady {
                    program: self.program.clone(),
                    pattern: pattern.to_string(),
                    output: captured.lines.join("\n"),
                });
            }
            captured = changed
                .wait_timeout(captured, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// `Some(error)` if the process has already ended (for readiness loops that poll a port).
    pub fn check_running(&mut self) -> Result<(), ProcessError> {
        match self.child.try_wait() {
            Ok(Some(_)) => Err(self.exited_error()),
            _ => Ok(()),
        }
    }

    /// Everything the process printed so far, for failure messages.
    pub fn output(&self) -> String {
        let (lock, _) = &*self.captured;
        let captured = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        captured.lines.join("\n")
    }

    fn exited_error(&mut self) -> ProcessError {
        // The pipes closed; the exit status follows within moments. Bounded wait for it.
        let status = (0..100)
            .find_map(|_| match self.child.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                _ => {
                    thread::sleep(Duration::from_millis(10));
                    None
                }
            })
            .unwrap_or_else(|| "pipes closed, still running".to_string());
        ProcessError::Exited {
            program: self.program.clone(),
            status,
            output: self.output(),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to this PID only; wait reaps it so no zombie stays.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn capture(stream: impl Read + Send + 'static, captured: Arc<(Mutex<Captured>, Condvar)>) {
    thread::spawn(move || {
        let (lock, changed) = &*captured;
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut state = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if state.lines.len() < MAX_CAPTURED_LINES {
                state.lines.push(line);
            }
            changed.notify_all();
        }
        let mut state = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.closed_streams += 1;
        changed.notify_all();
    });
}
