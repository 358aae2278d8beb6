//! How rule packs travel between teams: everything about a pack that touches the disk, the
//! network (git) or a signature, kept out of the engine (which does no I/O).
//!
//! - [`bounded`]: reading the small files the store does not trust (keys, signatures, manifests,
//!   the lock file): regular files only, with a size limit.
//! - [`files`]: a pack's files in memory, the path rules every file must pass, and the manifest
//!   of file hashes (`MANIFEST.sha256`, the format `sha256sum` reads) whose hash *is* the pack's
//!   identity.
//! - [`archive`]: the deterministic `.tar.gz` that `triage pack build` writes, and the careful
//!   reader of untrusted archives (no traversal, no absolute paths, no links, bounded sizes).
//! - [`signing`]: detached minisign signatures over the manifest, checked against the user's
//!   trusted keys (several at once, so keys can rotate).
//! - [`info`]: the little of a pack's TOML the store needs (id, version, engine requirement,
//!   retired IDs, rules as plain tables), read without compiling anything.
//! - [`diff`]: rules added, removed and changed between two versions of a pack.
//! - [`store`]: the user-level store (`$TRIAGE_HOME`, else `$XDG_DATA_HOME/triage`, else
//!   `~/.local/share/triage`), its lock file, install / list / remove / update, and
//!   [`resolve_pack`] for `triage run --pack ID`.
//! - [`git`]: fetching a pack from a git URL with the `git` command.
//! - [`scaffold`]: `triage pack new`.
//! - [`waivers`]: the waivers file and [`apply_waivers`], pure functions (the caller supplies
//!   "today").
//!
//! Integrity is always decided by content hashes, never by file times: an installed pack is
//! re-hashed against its manifest, and the manifest against the lock file, each time it is used.

pub mod archive;
pub mod bounded;
pub mod diff;
pub mod files;
pub mod git;
pub mod info;
pub mod scaffold;
pub mod signing;
pub mod store;
pub mod waivers;

use std::path::PathBuf;

pub use diff::{diff_packs, PackDiff};
pub use files::{PackFiles, MANIFEST_NAME, SIGNATURE_NAME};
pub use info::{PackInfo, ID_RULE};
pub use store::{resolve_pack, Store};
pub use waivers::{apply_waivers, parse_waivers, Date, Waivable, Waiver, WaiverReport};

/// The triage version packs' `engine` requirements are matched against (the workspace shares
/// one version, so this crate's version is the binary's).
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// This build's version, parsed.
pub fn engine_version() -> semver::Version {
    semver::Version::parse(ENGINE_VERSION).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}

/// Everything that can go wrong while building, verifying, installing or resolving a pack.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A path inside a pack or an archive that is not allowed.
    #[error("{path:?}: {reason}")]
    UnsafePath { path: String, reason: String },
    /// The archive is malformed or breaks a limit.
    #[error("archive {archive}: {reason}")]
    Archive { archive: String, reason: String },
    /// Files do not match the manifest.
    #[error("the pack's files do not match its manifest:\n{}", .problems.join("\n"))]
    Tampered { problems: Vec<String> },
    /// The manifest text itself is malformed.
    #[error("{MANIFEST_NAME} line {line}: {reason}")]
    BadManifest { line: usize, reason: String },
    /// A signature that is malformed or does not verify.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// Signed, but by no trusted key.
    #[error("the pack is signed by key {key_id}, which is not trusted (trusted keys: {}); add its public key to {dir} or pass --allow-unsigned", if .trusted.is_empty() { "none".to_owned() } else { .trusted.join(", ") })]
    Untrusted { key_id: String, trusted: Vec<String>, dir: String },
    /// No signature at all.
    #[error("the pack is not signed; sign it with `triage pack sign`, or pass --allow-unsigned to install it anyway")]
    Unsigned,
    /// A secret key could not be read or used.
    #[error("secret key {path}: {reason}")]
    Key { path: String, reason: String },
    /// `pack.toml` is missing or its `[pack]` table is unusable.
    #[error("{file}: {reason}")]
    Pack { file: String, reason: String },
    /// The pack needs a different triage.
    #[error("pack {id} {version} requires triage {requirement}, but this is triage {this}; {advice}")]
    Engine { id: String, version: String, requirement: String, this: String, advice: String },
    #[error("no pack `{0}` is installed (see `triage pack list`)")]
    NotInstalled(String),
    #[error("pack `{id}` is already installed (version {version}); use `triage pack update {id}` or `triage pack remove {id}` first")]
    AlreadyInstalled { id: String, version: String },
    /// The installed copy no longer matches the lock file.
    #[error("installed pack `{id}` does not match the lock file ({reason}); reinstall it")]
    Corrupt { id: String, reason: String },
    /// An update that would go backwards, or change content without changing version.
    #[error("{0}")]
    Update(String),
    #[error("lock file {path}: {reason}")]
    Lock { path: String, reason: String },
    #[error("git: {0}")]
    Git(String),
    /// The store's location could not be found.
    #[error("cannot find the pack store: set TRIAGE_HOME (or XDG_DATA_HOME or HOME)")]
    NoHome,
    /// A file the store reads that is not a regular file or breaks its size limit.
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    /// A pack ID that cannot name a folder in the store (given, or found in the lock file).
    #[error("`{0}` is not a valid pack ID: {ID_RULE}")]
    InvalidId(String),
    /// An installed pack whose signing key is no longer trusted.
    #[error("installed pack `{id}` was signed by key {key_id} ({key_file}), which is no longer trusted (not in {dir}); trust that key again, or update the pack to a version signed by a key you trust")]
    NoLongerTrusted { id: String, key_id: String, key_file: String, dir: String },
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
