//! A private directory for one test's configs and zone files, removed on drop.
//! Kept in-house (a dozen lines) rather than adding the `tempfile` crate.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/e2e-<label>-<pid>-<n>`; unique per process and call.
    pub fn new(label: &str) -> io::Result<TempDir> {
        let number = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("e2e-{label}-{}-{number}", std::process::id());
        let path = std::env::temp_dir().join(name);
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` to `name` inside the directory and returns the full path.
    pub fn write(&self, name: &str, contents: &str) -> io::Result<PathBuf> {
        let path = self.path.join(name);
        std::fs::write(&path, contents)?;
        Ok(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Set E2E_KEEP_TEMP=1 to inspect a failed test's configs.
        if std::env::var_os("E2E_KEEP_TEMP").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
