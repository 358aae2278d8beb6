//! Reading files the store does not trust — trusted keys, signatures, manifests, the lock file,
//! secret keys: regular files only (a link is followed only to a regular file; a device, FIFO
//! or socket is refused before it is opened), and never more than a limit, whatever the file
//! grows to while it is read.

use std::io::Read;
use std::path::Path;

use crate::{io_err, Error, Result};

/// Largest minisign public or secret key file (a real one is about 100 or 400 bytes).
pub const MAX_KEY_BYTES: u64 = 4 * 1024;
/// Largest detached signature (a real one is about 300 bytes plus its trusted comment).
pub const MAX_SIGNATURE_BYTES: u64 = 16 * 1024;
/// Largest `MANIFEST.sha256`: [`crate::files::MAX_FILES`] lines of a hash and a path.
pub const MAX_MANIFEST_BYTES: u64 = 8 * 1024 * 1024;
/// Largest `triage.lock`.
pub const MAX_LOCK_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a regular file of at most `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let bad = |reason: String| Error::File { path: path.display().to_string(), reason };
    // Checked before opening: opening a FIFO would block until something writes to it.
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    // Checked again on what was opened, in case the path was swapped in between.
    let opened = file.metadata().map_err(io_err(path))?;
    if !opened.is_file() {
        return Err(bad("not a regular file".into()));
    }
    if opened.len() > limit {
        return Err(bad(format!("{} bytes, more than the limit of {limit}", opened.len())));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io_err(path))?;
    if bytes.len() as u64 > limit {
        return Err(bad(format!("more than the limit of {limit} bytes")));
    }
    Ok(bytes)
}

/// [`read_regular`], with a missing file as `None`.
pub fn read_optional(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    match read_regular(path, limit) {
        Ok(b) => Ok(Some(b)),
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// [`read_regular`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read_regular(path, limit)?)
        .map_err(|_| Error::File { path: path.display().to_string(), reason: "not UTF-8".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_kinds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let small = dir.path().join("small");
        std::fs::write(&small, b"abc").expect("write");
        assert_eq!(read_regular(&small, 3).expect("at the limit"), b"abc");
        let err = read_regular(&small, 2).expect_err("over the limit");
        assert_eq!(err.to_string(), format!("{}: 3 bytes, more than the limit of 2", small.display()));
        assert!(read_optional(&dir.path().join("none"), 9).expect("missing is fine").is_none());
        let err = read_regular(dir.path(), 9).expect_err("a folder");
        assert_eq!(err.to_string(), format!("{}: not a regular file", dir.path().display()));
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_links_to_devices_are_refused_unread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("zero.pub");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        for p in [Path::new("/dev/zero"), link.as_path()] {
            let err = read_regular(p, MAX_KEY_BYTES).expect_err("a device");
            assert_eq!(err.to_string(), format!("{}: not a regular file", p.display()));
        }
        let fifo = dir.path().join("fifo.pub");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Would block forever if it were opened.
            assert!(matches!(read_regular(&fifo, 9), Err(Error::File { .. })));
        } else {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "mkfifo is needed under CI");
        }
    }
}
