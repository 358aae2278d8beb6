//! The user-level pack store and its lock file.
//!
//! ```text
//! $TRIAGE_HOME/                 (else $XDG_DATA_HOME/triage, else ~/.local/share/triage)
//!   trusted-keys/*.pub          minisign public keys the user trusts (several: rotation)
//!   packs/<id>/                 an installed pack: its files, MANIFEST.sha256, and the signature
//!   triage.lock                 id, version, content hash, source, commit, signing key per pack
//! ```
//!
//! Every way in — a folder, an archive, a git URL — ends in the same [`Fetched`] (files in
//! memory plus manifest and signature), which [`verify_fetched`] checks before anything is
//! written: files against the manifest, the manifest's signature against the trusted keys, the
//! pack's engine requirement against this triage. Installing stages the pack in a temporary
//! folder next to its destination and renames it into place, then rewrites the lock file the
//! same way. Using a pack ([`Store::installed`], [`Store::resolve`]) re-hashes its files against
//! the manifest and the manifest against the lock file, then checks what the lock file says
//! about its signature: a pack recorded as signed is used only while that signature still
//! verifies over that manifest with a key that is still trusted, so rewriting the files, the
//! manifest and the lock hash together is caught; a pack recorded as unsigned (installed with
//! `--allow-unsigned`) is used as unsigned and every use says so ([`Trust::Unsigned`]).
//! Content hashes and signatures decide, never file times.
//!
//! The lock file is untrusted input too: every entry's ID, version and hash are checked when
//! it is read ([`check_entry`]); a bad entry is reported by `list` and refused by every other
//! command, and nothing is ever deleted through it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bounded::{self, MAX_LOCK_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES};
use crate::diff::{diff_pack_files, PackDiff};
use crate::files::{content_hash, PackFiles, MANIFEST_NAME, SIGNATURE_NAME};
use crate::info::{valid_id, PackInfo, ID_RULE};
use crate::signing::{self, Signer, TrustedKey, TrustedKeys};
use crate::{archive, git, io_err, Error, Result};

/// The lock file's name in the store.
pub const LOCK_NAME: &str = "triage.lock";
const LOCK_FORMAT: u32 = 1;

/// The store's folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// One installed pack, as the lock file records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    pub id: String,
    pub version: String,
    /// `sha256:<hex>` of the pack's manifest.
    pub hash: String,
    /// Where it was installed from, as `pack update` will fetch it again.
    pub source: String,
    /// The git commit, for git sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The ID of the key that signed it; absent for a pack installed with `--allow-unsigned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The trusted key file that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockFile {
    format: u32,
    #[serde(default, rename = "pack")]
    packs: Vec<LockEntry>,
}

/// Why an installed pack may be used, as checked by [`Store::installed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Its signature verifies over its manifest with this trusted key.
    Signed(Signer),
    /// The lock file records it as installed with `--allow-unsigned`.
    Unsigned,
}

impl Trust {
    /// `signed by ID (file)` or `unsigned`, as `pack list` prints it.
    pub fn describe(&self) -> String {
        match self {
            Trust::Signed(s) => format!("signed by {} ({})", s.key_id, s.key_name),
            Trust::Unsigned => "unsigned".to_owned(),
        }
    }
}

/// One lock entry as `pack list` shows it: checked, with the reason when it cannot be used.
#[derive(Debug, Clone)]
pub struct Listed {
    pub entry: LockEntry,
    pub status: std::result::Result<Trust, String>,
}

/// A lock entry's problem, if any: an ID that is not a pack ID, a version that is not semver,
/// a hash that is not `sha256:<64 hex>`.
pub fn check_entry(e: &LockEntry) -> std::result::Result<(), String> {
    if !valid_id(&e.id) {
        return Err(format!("`{}` is not a valid pack ID ({ID_RULE})", e.id.escape_debug()));
    }
    if semver::Version::parse(&e.version).is_err() {
        return Err(format!("version `{}` is not semver", e.version.escape_debug()));
    }
    let hex = e.hash.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(format!("hash `{}` is not sha256:<64 lowercase hex digits>", e.hash.escape_debug()));
    }
    Ok(())
}

/// A pack fetched from somewhere, not yet verified or written.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub files: PackFiles,
    /// The manifest it carried; `None` for an unsigned folder without one.
    pub manifest: Option<Vec<u8>>,
    pub signature: Option<String>,
    /// The source as the lock file records it (absolute for paths).
    pub source: String,
    pub commit: Option<String>,
}

/// A fetched pack that passed verification.
#[derive(Debug, Clone)]
pub struct Verified {
    pub files: PackFiles,
    pub manifest: Vec<u8>,
    pub signature: Option<String>,
    pub info: PackInfo,
    pub signer: Option<Signer>,
    pub hash: String,
    pub source: String,
    pub commit: Option<String>,
}

/// How strict installing is.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Accept unsigned packs and packs signed by untrusted keys. A signature that does not
    /// verify is refused even so.
    pub allow_unsigned: bool,
}

/// What `pack update` found.
#[derive(Debug)]
pub enum UpdatePlan {
    UpToDate(LockEntry),
    Update(Box<PendingUpdate>),
}

/// An update found by [`Store::prepare_update`], not applied yet.
#[derive(Debug)]
pub struct PendingUpdate {
    pub old: LockEntry,
    pub new: Verified,
    pub diff: PackDiff,
}

/// Reads a pack from a folder, an archive (`.tar.gz`, with `ARCHIVE.minisig` beside it) or a
/// git URL (`URL[@REV]`).
pub fn fetch(spec: &str) -> Result<Fetched> {
    if let Some(src) = git::parse_spec(spec) {
        let tmp = tempfile::tempdir().map_err(io_err(std::env::temp_dir()))?;
        let checkout = tmp.path().join("checkout");
        let commit = git::fetch(&src, &checkout)?;
        let dir = find_pack_dir(&checkout).ok_or_else(|| {
            Error::Git(format!("no pack.toml at the root of {} (or in one folder below it)", src.url))
        })?;
        let mut f = fetch_dir(&dir)?;
        f.source = spec.to_owned();
        f.commit = Some(commit);
        return Ok(f);
    }
    let path = Path::new(spec);
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    let abs = std::fs::canonicalize(path).map_err(io_err(path))?;
    let mut f = if meta.is_dir() { fetch_dir(&abs)? } else { fetch_archive(&abs)? };
    f.source = abs.display().to_string();
    Ok(f)
}

fn find_pack_dir(root: &Path) -> Option<PathBuf> {
    if root.join("pack.toml").is_file() {
        return Some(root.to_owned());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("pack.toml").is_file())
        .collect();
    (found.len() == 1).then(|| found.remove(0))
}

fn sig_text(path: &Path) -> Result<Option<String>> {
    bounded::read_optional(path, MAX_SIGNATURE_BYTES)?
        .map(|b| {
            String::from_utf8(b).map_err(|_| Error::BadSignature(format!("{}: not UTF-8", path.display())))
        })
        .transpose()
}

fn fetch_dir(dir: &Path) -> Result<Fetched> {
    Ok(Fetched {
        files: PackFiles::from_dir(dir)?,
        manifest: bounded::read_optional(&dir.join(MANIFEST_NAME), MAX_MANIFEST_BYTES)?,
        signature: sig_text(&dir.join(SIGNATURE_NAME))?,
        source: dir.display().to_string(),
        commit: None,
    })
}

fn fetch_archive(path: &Path) -> Result<Fetched> {
    let u = archive::read_file(path)?;
    Ok(Fetched {
        files: u.files,
        manifest: Some(u.manifest),
        signature: sig_text(&signature_path_for_archive(path))?,
        source: path.display().to_string(),
        commit: None,
    })
}

/// Where an archive's detached signature lives: `ARCHIVE.minisig`.
pub fn signature_path_for_archive(archive: &Path) -> PathBuf {
    let mut s = archive.as_os_str().to_owned();
    s.push(".minisig");
    PathBuf::from(s)
}

/// Checks a fetched pack: files against manifest, signature against trusted keys (unless
/// `allow_unsigned` and it is unsigned or untrusted), engine requirement against `engine`.
pub fn verify_fetched(
    f: Fetched,
    keys: &[TrustedKey],
    keys_dir: &str,
    opts: &InstallOptions,
    engine: &semver::Version,
) -> Result<Verified> {
    let manifest = match f.manifest {
        Some(m) => {
            f.files.verify(&m)?;
            m
        }
        None if opts.allow_unsigned => f.files.manifest().into_bytes(),
        None => return Err(Error::Unsigned),
    };
    let signer = match &f.signature {
        Some(sig) => match signing::verify(&manifest, sig, keys, keys_dir) {
            Ok(s) => Some(s),
            Err(Error::Untrusted { .. }) if opts.allow_unsigned => None,
            Err(e) => return Err(e),
        },
        None if opts.allow_unsigned => None,
        None => return Err(Error::Unsigned),
    };
    let info = PackInfo::from_files(&f.files)?;
    info.check_engine(engine)?;
    Ok(Verified {
        hash: content_hash(&manifest),
        files: f.files,
        manifest,
        signature: f.signature,
        info,
        signer,
        source: f.source,
        commit: f.commit,
    })
}

impl Store {
    /// The store at `$TRIAGE_HOME`, else `$XDG_DATA_HOME/triage`, else (on Windows)
    /// `%LOCALAPPDATA%\triage`, else `~/.local/share/triage`.
    pub fn locate() -> Result<Store> {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let root = var("TRIAGE_HOME")
            .or_else(|| var("XDG_DATA_HOME").map(|d| d.join("triage")))
            // Windows has no HOME by default; its per-user data folder is LOCALAPPDATA.
            .or_else(|| if cfg!(windows) { var("LOCALAPPDATA").map(|d| d.join("triage")) } else { None })
            .or_else(|| var("HOME").map(|h| h.join(".local/share/triage")))
            .ok_or(Error::NoHome)?;
        Ok(Store { root })
    }

    pub fn at(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("trusted-keys")
    }

    pub fn packs_dir(&self) -> PathBuf {
        self.root.join("packs")
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root.join(LOCK_NAME)
    }

    /// The trusted keys, and the key files that had to be ignored (see
    /// [`signing::load_trusted_keys`]); callers print those as warnings.
    pub fn trusted_keys(&self) -> Result<TrustedKeys> {
        signing::load_trusted_keys(&self.keys_dir())
    }

    fn read_lock(&self) -> Result<LockFile> {
        let path = self.lock_path();
        let Some(bytes) = bounded::read_optional(&path, MAX_LOCK_BYTES)? else {
            return Ok(LockFile { format: LOCK_FORMAT, packs: Vec::new() });
        };
        let bad = |reason: String| Error::Lock { path: path.display().to_string(), reason };
        let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8".into()))?;
        let lock: LockFile = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if lock.format != LOCK_FORMAT {
            return Err(bad(format!("format {} is not supported (expected {LOCK_FORMAT})", lock.format)));
        }
        Ok(lock)
    }

    fn write_lock(&self, mut lock: LockFile) -> Result<()> {
        lock.packs.sort_by(|a, b| a.id.cmp(&b.id));
        lock.format = LOCK_FORMAT;
        let body =
            toml::to_string(&lock).map_err(|e| Error::Other(format!("cannot write the lock file: {e}")))?;
        let text =
            format!("# Written by triage: the packs in this store, by content hash. Do not edit.\n{body}");
        std::fs::create_dir_all(&self.root).map_err(io_err(&self.root))?;
        let tmp = tempfile::NamedTempFile::new_in(&self.root).map_err(io_err(&self.root))?;
        std::fs::write(tmp.path(), text).map_err(io_err(tmp.path()))?;
        tmp.persist(self.lock_path()).map_err(|e| Error::Io { path: self.lock_path(), source: e.error })?;
        Ok(())
    }

    /// The lock file's entries as written (sorted by ID), valid or not: see [`check_entry`].
    pub fn list(&self) -> Result<Vec<LockEntry>> {
        Ok(self.read_lock()?.packs)
    }

    /// Every lock entry with what [`Store::installed`] says of it: how it is trusted, or why it
    /// cannot be used (an invalid entry, a duplicate, missing or changed files, a signature that
    /// no longer verifies or whose key is no longer trusted).
    pub fn list_checked(&self, keys: &[TrustedKey]) -> Result<Vec<Listed>> {
        let entries = self.list()?;
        let mut out = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let status = if entries.iter().take(i).any(|o| o.id == e.id) {
                Err("a second entry for this ID in the lock file".to_owned())
            } else {
                check_entry(e).and_then(|()| {
                    self.check_installed(e, keys).map(|(t, _, _)| t).map_err(|e| e.to_string())
                })
            };
            out.push(Listed { entry: e.clone(), status });
        }
        Ok(out)
    }

    /// The lock entry of `id`: refused when `id` is not a pack ID, when no entry has it, and
    /// when its entry is invalid or not the only one.
    pub fn entry(&self, id: &str) -> Result<LockEntry> {
        if !valid_id(id) {
            return Err(Error::InvalidId(id.to_owned()));
        }
        let mut found = self.list()?.into_iter().filter(|e| e.id == id);
        let entry = found.next().ok_or_else(|| Error::NotInstalled(id.to_owned()))?;
        if found.next().is_some() {
            return Err(self.bad_lock(format!("pack `{id}` has more than one entry")));
        }
        check_entry(&entry).map_err(|r| self.bad_lock(format!("the entry of `{id}`: {r}")))?;
        Ok(entry)
    }

    fn bad_lock(&self, reason: String) -> Error {
        Error::Lock { path: self.lock_path().display().to_string(), reason }
    }

    /// Fetches and verifies `spec` with this store's trusted keys.
    pub fn fetch_verified(&self, spec: &str, opts: &InstallOptions) -> Result<Verified> {
        let keys = self.trusted_keys()?.keys;
        verify_fetched(
            fetch(spec)?,
            &keys,
            &self.keys_dir().display().to_string(),
            opts,
            &crate::engine_version(),
        )
    }

    /// Installs a pack that is not installed yet.
    pub fn install(&self, spec: &str, opts: &InstallOptions) -> Result<LockEntry> {
        let v = self.fetch_verified(spec, opts)?;
        if let Some(existing) = self.list()?.into_iter().find(|e| e.id == v.info.id) {
            return Err(Error::AlreadyInstalled { id: existing.id, version: existing.version });
        }
        self.put(&v)?;
        let entry = entry_of(&v);
        let mut lock = self.read_lock()?;
        lock.packs.push(entry.clone());
        self.write_lock(lock)?;
        Ok(entry)
    }

    /// Writes a verified pack's folder into place (replacing any older copy).
    fn put(&self, v: &Verified) -> Result<()> {
        let packs = self.packs_dir();
        std::fs::create_dir_all(&packs).map_err(io_err(&packs))?;
        let stage =
            tempfile::Builder::new().prefix(".staging-").tempdir_in(&packs).map_err(io_err(&packs))?;
        v.files.write_to(stage.path())?;
        std::fs::write(stage.path().join(MANIFEST_NAME), &v.manifest).map_err(io_err(stage.path()))?;
        if let Some(sig) = &v.signature {
            std::fs::write(stage.path().join(SIGNATURE_NAME), sig).map_err(io_err(stage.path()))?;
        }
        let dest = packs.join(&v.info.id);
        if dest.exists() {
            let old = tempfile::Builder::new().prefix(".old-").tempdir_in(&packs).map_err(io_err(&packs))?;
            let old_path = old.path().join("pack");
            std::fs::rename(&dest, &old_path).map_err(io_err(&dest))?;
            std::fs::rename(stage.keep(), &dest).map_err(io_err(&dest))?;
            drop(old); // removes the previous copy
        } else {
            std::fs::rename(stage.keep(), &dest).map_err(io_err(&dest))?;
        }
        Ok(())
    }

    /// Removes an installed pack and its lock entry. An ID that is not a pack ID is an error
    /// (nothing is removed), even when the lock file has an entry with it.
    pub fn remove(&self, id: &str) -> Result<LockEntry> {
        if !valid_id(id) {
            return Err(Error::InvalidId(id.to_owned()));
        }
        let mut lock = self.read_lock()?;
        let pos =
            lock.packs.iter().position(|e| e.id == id).ok_or_else(|| Error::NotInstalled(id.to_owned()))?;
        let entry = lock.packs.remove(pos);
        let dir = self.packs_dir().join(id);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?,
            // A link or file where the pack's folder should be: remove that, never its target.
            Ok(_) => std::fs::remove_file(&dir).map_err(io_err(&dir))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Io { path: dir, source: e }),
        }
        lock.packs.retain(|e| e.id != id);
        self.write_lock(lock)?;
        Ok(entry)
    }

    /// The installed copy of a pack, checked: its folder is a folder; its files match its
    /// manifest; the manifest's hash is the lock file's; and the pack is still trusted — a pack
    /// the lock records as signed needs its signature to verify over that manifest with a key
    /// in `trusted-keys/` that has the recorded key ID ([`Error::NoLongerTrusted`] when the key
    /// is gone, [`Error::Corrupt`] when the signature no longer matches).
    pub fn installed(&self, id: &str) -> Result<(LockEntry, PackFiles, PathBuf)> {
        let entry = self.entry(id)?;
        let keys = self.trusted_keys()?.keys;
        let (_, files, dir) = self.check_installed(&entry, &keys)?;
        Ok((entry, files, dir))
    }

    /// [`Store::installed`], also saying how the pack is trusted.
    pub fn installed_with_trust(&self, id: &str) -> Result<(LockEntry, Trust, PathBuf)> {
        let entry = self.entry(id)?;
        let keys = self.trusted_keys()?.keys;
        let (trust, _, dir) = self.check_installed(&entry, &keys)?;
        Ok((entry, trust, dir))
    }

    fn check_installed(&self, entry: &LockEntry, keys: &[TrustedKey]) -> Result<(Trust, PackFiles, PathBuf)> {
        let id = entry.id.as_str();
        let dir = self.packs_dir().join(id);
        let corrupt = |reason: String| Error::Corrupt { id: id.to_owned(), reason };
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(corrupt(format!("{} is not a folder", dir.display()))),
            Err(e) => return Err(corrupt(format!("{}: {e}", dir.display()))),
        }
        let manifest = bounded::read_regular(&dir.join(MANIFEST_NAME), MAX_MANIFEST_BYTES)
            .map_err(|e| corrupt(e.to_string()))?;
        let hash = content_hash(&manifest);
        if hash != entry.hash {
            return Err(corrupt(format!("manifest hash is {hash}, the lock file says {}", entry.hash)));
        }
        let files = PackFiles::from_dir(&dir)?;
        files.verify(&manifest).map_err(|e| corrupt(e.to_string()))?;
        let trust = match &entry.signed_by {
            None => Trust::Unsigned,
            Some(key_id) => {
                let sig = sig_text(&dir.join(SIGNATURE_NAME))
                    .map_err(|e| corrupt(e.to_string()))?
                    .ok_or_else(|| {
                        corrupt(format!(
                            "the lock file says it is signed by {key_id}, but {SIGNATURE_NAME} is missing"
                        ))
                    })?;
                let dir_name = self.keys_dir().display().to_string();
                match signing::verify(&manifest, &sig, keys, &dir_name) {
                    Ok(signer) if &signer.key_id == key_id => Trust::Signed(signer),
                    Ok(signer) => {
                        return Err(corrupt(format!(
                            "the lock file says it is signed by {key_id}, but its signature is by {} ({})",
                            signer.key_id, signer.key_name
                        )))
                    }
                    Err(Error::Untrusted { key_id: by, .. }) if &by == key_id => {
                        return Err(Error::NoLongerTrusted {
                            id: id.to_owned(),
                            key_id: key_id.clone(),
                            key_file: entry.key_file.clone().unwrap_or_else(|| "?".into()),
                            dir: dir_name,
                        })
                    }
                    Err(Error::Untrusted { key_id: by, .. }) => {
                        return Err(corrupt(format!(
                            "the lock file says it is signed by {key_id}, but its signature names key {by}"
                        )))
                    }
                    Err(e) => {
                        return Err(corrupt(format!(
                            "its signature does not verify over its manifest, so its files, manifest or lock entry were changed after it was installed: {e}"
                        )))
                    }
                }
            }
        };
        Ok((trust, files, dir))
    }

    /// The folder of an installed pack, after checking it (see [`Store::installed`]), with the
    /// warnings its use must print.
    pub fn resolve(&self, id: &str) -> Result<Resolved> {
        let entry = self.entry(id)?;
        let keys = self.trusted_keys()?;
        let (trust, files, dir) = self.check_installed(&entry, &keys.keys)?;
        let mut warnings = keys.problems;
        if trust == Trust::Unsigned {
            warnings.push(format!(
                "installed pack `{id}` {} is unsigned (installed with --allow-unsigned): nothing vouches for who wrote it",
                entry.version
            ));
        }
        Ok(Resolved { dir, warnings, files: Some(files) })
    }

    /// Fetches the pack again from its recorded source (or `source`) and works out what would
    /// change. Nothing is written: pass the plan to [`Store::apply_update`].
    pub fn prepare_update(
        &self,
        id: &str,
        source: Option<&str>,
        opts: &InstallOptions,
    ) -> Result<UpdatePlan> {
        let (old, old_files, _) = self.installed(id)?;
        let new = self.fetch_verified(source.unwrap_or(&old.source), opts)?;
        if new.info.id != old.id {
            return Err(Error::Update(format!(
                "the source now holds pack `{}`, not `{}`",
                new.info.id, old.id
            )));
        }
        if new.hash == old.hash {
            return Ok(UpdatePlan::UpToDate(old));
        }
        let old_info = PackInfo::from_files(&old_files)?;
        if new.info.version < old_info.version {
            return Err(Error::Update(format!(
                "{id}: the source has version {}, older than the installed {}; remove and reinstall to downgrade",
                new.info.version, old_info.version
            )));
        }
        if new.info.version == old_info.version {
            return Err(Error::Update(format!(
                "{id} {}: the content changed but the version did not; refusing (a released version must never change)",
                new.info.version
            )));
        }
        let diff = diff_pack_files(&old_files, &new.files)?;
        Ok(UpdatePlan::Update(Box::new(PendingUpdate { old, new, diff })))
    }

    /// Applies a plan from [`Store::prepare_update`].
    pub fn apply_update(&self, plan: UpdatePlan) -> Result<LockEntry> {
        match plan {
            UpdatePlan::UpToDate(e) => Ok(e),
            UpdatePlan::Update(u) => {
                self.put(&u.new)?;
                let entry = entry_of(&u.new);
                let mut lock = self.read_lock()?;
                lock.packs.retain(|e| e.id != entry.id);
                lock.packs.push(entry.clone());
                self.write_lock(lock)?;
                Ok(entry)
            }
        }
    }
}

fn entry_of(v: &Verified) -> LockEntry {
    LockEntry {
        id: v.info.id.clone(),
        version: v.info.version.to_string(),
        hash: v.hash.clone(),
        source: v.source.clone(),
        commit: v.commit.clone(),
        signed_by: v.signer.as_ref().map(|s| s.key_id.clone()),
        key_file: v.signer.as_ref().map(|s| s.key_name.clone()),
    }
}

/// A pack found by [`resolve_pack`].
#[derive(Debug, Clone)]
pub struct Resolved {
    pub dir: PathBuf,
    /// For the user, on stderr: trusted key files that were ignored, an unsigned pack.
    pub warnings: Vec<String>,
    /// For an installed pack, the files exactly as they were verified: load these, not the
    /// folder again, so nothing can change between the check and the use.
    pub files: Option<PackFiles>,
}

/// What `triage run --pack ARG` loads: ARG itself when it is an existing path, else the
/// installed pack with that ID (verified by content hash and signature, see
/// [`Store::installed`]).
pub fn resolve_pack(arg: &str) -> Result<Resolved> {
    let p = Path::new(arg);
    if p.exists() {
        return Ok(Resolved { dir: p.to_owned(), warnings: Vec::new(), files: None });
    }
    if !valid_id(arg) {
        return Err(Error::NotInstalled(arg.to_owned()));
    }
    Store::locate()?.resolve(arg)
}

/// Builds `OUT/<id>-<version>.tar.gz` from a pack folder; returns its path and the pack's info.
pub fn build_pack(dir: &Path, out_dir: &Path) -> Result<(PathBuf, PackInfo)> {
    let files = PackFiles::from_dir(dir)?;
    let info = PackInfo::from_files(&files)?;
    let bytes = archive::build(&files)?;
    std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let path = out_dir.join(archive::file_name(&info.id, &info.version));
    std::fs::write(&path, bytes).map_err(io_err(&path))?;
    Ok((path, info))
}

/// Writes a pack folder's `MANIFEST.sha256` (for signing it with another tool); returns its path.
pub fn write_manifest(dir: &Path) -> Result<PathBuf> {
    let files = PackFiles::from_dir(dir)?;
    PackInfo::from_files(&files)?;
    let path = dir.join(MANIFEST_NAME);
    std::fs::write(&path, files.manifest()).map_err(io_err(&path))?;
    Ok(path)
}

/// Signs a pack: an archive gets `ARCHIVE.minisig`; a folder gets a fresh `MANIFEST.sha256`
/// and `MANIFEST.sha256.minisig`. Returns the signature's path.
pub fn sign_pack(path: &Path, secret_key: &Path, password: Option<String>) -> Result<PathBuf> {
    let (manifest, files, sig_path) = if path.is_dir() {
        let files = PackFiles::from_dir(path)?;
        let m = files.manifest().into_bytes();
        let mp = path.join(MANIFEST_NAME);
        std::fs::write(&mp, &m).map_err(io_err(&mp))?;
        (m, files, path.join(SIGNATURE_NAME))
    } else {
        let u = archive::read_file(path)?;
        u.files.verify(&u.manifest)?;
        (u.manifest, u.files, signature_path_for_archive(path))
    };
    let info = PackInfo::from_files(&files)?;
    let comment = format!("triage pack {} {} {}", info.id, info.version, content_hash(&manifest));
    let sig = signing::sign(&manifest, secret_key, password, &comment)?;
    std::fs::write(&sig_path, sig).map_err(io_err(&sig_path))?;
    Ok(sig_path)
}
