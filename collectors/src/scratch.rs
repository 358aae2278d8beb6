//! Private temporary folders (a `.zip` bundle's artifacts extracted for collection, a pipe input
//! buffered to a file), removed on every way out: when the [`ScratchDir`] is dropped (a return,
//! an error, a panic that unwinds), and by [`remove_all`], which the binary calls from its
//! SIGINT/SIGTERM handler before it exits.
//!
//! Every live scratch folder is listed in one process-wide registry; creating one is cheap.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A folder under the system temporary folder, readable by this user only, removed with
/// everything in it when dropped.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates `<tmp>/triage-<tag>-<pid>-<n>-<nanos>` (never an existing folder).
    pub fn new(tag: &str) -> std::io::Result<ScratchDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("triage-{tag}-{}-{n}-{nanos}", std::process::id()));
        #[cfg(unix)]
        let builder = {
            let mut builder = std::fs::DirBuilder::new();
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
        };
        #[cfg(not(unix))]
        let builder = std::fs::DirBuilder::new();
        // Registered before it exists, so an interrupt between the two still removes it.
        lock().insert(path.clone());
        if let Err(e) = builder.create(&path) {
            lock().remove(&path);
            return Err(e);
        }
        Ok(ScratchDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        lock().remove(&self.path);
    }
}

/// Removes every scratch folder still alive (for a signal handler, just before exiting).
pub fn remove_all() {
    let paths: Vec<PathBuf> = lock().iter().cloned().collect();
    for p in paths {
        let _ = std::fs::remove_dir_all(&p);
    }
}

/// The scratch folders alive now (for tests).
pub fn live() -> Vec<PathBuf> {
    lock().iter().cloned().collect()
}

fn lock() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    // A panic while holding the lock leaves a set that is still valid: keep using it.
    LIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_and_remove_all_leave_nothing() {
        let a = ScratchDir::new("test").expect("creates");
        std::fs::write(a.path().join("f"), b"x").expect("writes");
        let p = a.path().to_path_buf();
        assert!(live().contains(&p));
        drop(a);
        assert!(!p.exists());
        assert!(!live().contains(&p));

        let b = ScratchDir::new("test").expect("creates");
        std::fs::create_dir(b.path().join("sub")).expect("mkdir");
        remove_all();
        assert!(!b.path().exists());
    }
}
