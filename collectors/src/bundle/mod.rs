//! Bundles: what `triage collect` writes and `triage run` reads — the artifacts collected from one
//! host, the fact map read from them, and a manifest saying what, when, where and how.
//!
//! # Layout
//!
//! The same tree is written as a folder or as one `.zip` (deflate only, so Windows Explorer opens
//! it with no tool installed):
//!
//! ```text
//! manifest.json        Manifest (format version, triage version, collection time, host,
//!                      collectors, artifacts with SHA-256/size/encoding, errors, redaction)
//! facts.json           the fact map (FactMap JSON, sorted keys, provenance included)
//! artifacts/<rel path> every artifact collected, under its path relative to the input;
//!                      provenance `artifact` fields are these relative paths
//! ```
//!
//! # Guarantees
//!
//! - **Deterministic.** Given the same input, options and collection time ([`write::CreateOptions::
//!   collected_at`]), the bytes are the same: sorted entries, fixed zip timestamps (the collection
//!   time), fixed permissions, and no durations in the manifest (durations are recorded only when
//!   the collection time is the real clock).
//! - **Atomic.** The bundle is built under a temporary name in the destination's folder and
//!   renamed into place: a half-written bundle never carries the final name.
//! - **Untrusted on read.** [`open`] treats a bundle as hostile: entry names are checked
//!   (no `..`, absolute paths, drive letters, backslashes, duplicates), links and encrypted entries
//!   are refused, sizes and compression ratios (per entry and over the whole archive) are bounded
//!   ([`read::Limits`]) and checked while decompressing, and every artifact is verified against
//!   the manifest's size and SHA-256 when it is collected: one mismatch refuses the bundle.
//! - **A zip without a manifest is not a bundle** but an archive of artifacts, read like a
//!   folder with the same entry checks (backslash names normalised first): [`archive`].
//! - **Facts derived again.** `triage run` collects a bundle's artifacts again
//!   ([`OpenedBundle::collect_facts`]); `facts.json` only supplies the facts of artifacts the
//!   bundle does not carry, so a forged `facts.json` cannot change a finding.
//!
//! # Fact additions
//!
//! A bundle's fact map has, besides what the collectors wrote:
//!
//! ```text
//! collection.collected_at   Timestamp   the collection time (the rules' "now")
//! collection.host           Str         the host name (pseudonymised when redacted)
//! collection.bundle_format  Int         the bundle's format_version (1 or 2)
//! ```
//!
//! # Format versions
//!
//! - **2** (triage 0.2): what this triage writes. The layout is format 1's; the number moved with
//!   triage 0.2, which changed what packs mean, so a triage 0.1 refuses a bundle whose
//!   `facts.json` was written for 0.2 rather than evaluate it under 0.1's rules.
//! - **1** (triage 0.1): still read. Its artifacts are collected again like any bundle's, so
//!   its findings are those of this triage (`tests/data/bundles/format1-issue1.zip`).

pub mod archive;
pub mod manifest;
pub mod read;
pub mod redact;
pub mod write;

use std::path::PathBuf;

pub use archive::{open_archive_of_artifacts, zip_has_manifest, OpenedArchive};
pub use manifest::Manifest;
pub use read::{open, open_with_limits, Limits, OpenedBundle};
pub use write::{create, CreateOptions, Created};

/// Version of the bundle layout and manifest this triage writes; bumped on any incompatible
/// change, and with the engine's `0.x` minor.
pub const FORMAT_VERSION: u32 = 2;

/// Every format version this triage reads (see the module documentation).
pub const READ_FORMAT_VERSIONS: &[u32] = &[1, 2];

/// File name of the manifest at the bundle root.
pub const MANIFEST: &str = "manifest.json";
/// File name of the fact map at the bundle root.
pub const FACTS: &str = "facts.json";
/// Folder holding the artifacts.
pub const ARTIFACTS_DIR: &str = "artifacts";

/// Why a bundle could not be written or read. Every variant names the bundle or entry concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{bundle}: not a triage bundle: {reason}")]
    NotABundle { bundle: PathBuf, reason: String },
    #[error("{bundle}: corrupted bundle: {reason}")]
    Corrupt { bundle: PathBuf, reason: String },
    #[error("{bundle}: unsafe entry {entry:?} refused: {reason}")]
    UnsafeEntry { bundle: PathBuf, entry: String, reason: String },
    #[error("{bundle}: entry {entry:?} refused: {reason}")]
    TooLarge { bundle: PathBuf, entry: String, reason: String },
    #[error("{bundle}: bundle format {found} is not supported (this triage reads formats 1 and 2; a newer format needs a newer triage)")]
    UnsupportedFormat { bundle: PathBuf, found: u32 },
    /// An artifact whose size or SHA-256 differs from the manifest: the whole bundle is refused.
    #[error("{bundle}: artifact {entry:?} refused: {reason}; the bundle is refused (it was altered after collection)")]
    Tampered { bundle: PathBuf, entry: String, reason: String },
    #[error("{bundle}: no artifact {entry:?} in this bundle")]
    NoSuchArtifact { bundle: PathBuf, entry: String },
    #[error("{path}: already exists; remove it or choose another name")]
    Exists { path: PathBuf },
    #[error("{0}")]
    Other(String),
}

impl BundleError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        BundleError::Io { path: path.into(), source }
    }
}

/// Whether `path` looks like a bundle: a `.zip` file, or a folder holding `manifest.json`.
/// (Cheap: opening it may still fail.)
pub fn looks_like_bundle(path: &std::path::Path) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => path.join(MANIFEST).is_file(),
        Ok(m) if m.is_file() => path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")),
        _ => false,
    }
}

/// Checks an entry name read from a bundle (or written into one): `/`-separated, relative,
/// no empty, `.` or `..` segments, no backslash, no drive letter, no NUL or control characters.
pub fn check_entry_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty name");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Err("absolute path");
    }
    if name.contains('\\') {
        return Err("backslash in name (Windows path separator)");
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return Err("drive letter");
    }
    if name.chars().any(|c| c.is_control()) {
        return Err("control character in name");
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    for seg in trimmed.split('/') {
        match seg {
            "" => return Err("empty path segment"),
            "." => return Err("`.` segment"),
            ".." => return Err("`..` segment (path traversal)"),
            s if s.contains(':') => return Err("`:` in name (alternate data stream or drive)"),
            _ => {}
        }
    }
    Ok(())
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_checked() {
        assert_eq!(check_entry_name("artifacts/logs/SoftwareDistribution.log"), Ok(()));
        assert_eq!(check_entry_name("artifacts/"), Ok(()));
        assert!(check_entry_name("../etc/passwd").is_err());
        assert!(check_entry_name("artifacts/../../x").is_err());
        assert!(check_entry_name("/etc/passwd").is_err());
        assert!(check_entry_name("C:/Windows/x").is_err());
        assert!(check_entry_name("artifacts\\..\\x").is_err());
        assert!(check_entry_name("artifacts//x").is_err());
        assert!(check_entry_name("a/./b").is_err());
        assert!(check_entry_name("a/b:stream").is_err());
        assert!(check_entry_name("a\u{0}b").is_err());
        assert!(check_entry_name("").is_err());
    }
}
