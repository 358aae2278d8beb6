//! Reading a bundle that may come from anyone: every name, size, link and hash is checked before
//! anything is trusted (see the module docs of [`super`] for the list), and each refusal is a
//! [`BundleError`] naming the bundle and the entry.
//!
//! - **Bounded**: entry count, each entry's size, the total uncompressed size, the compression
//!   ratio of each large entry *and of the whole archive* (many entries just under the per-entry
//!   floor are one bomb), `manifest.json` and `facts.json` sizes ([`Limits`]). Time is linear in
//!   the entries (sets, not scans; the archive is opened once per pass).
//! - **Verified**: [`OpenedBundle::collect_facts`] checks every artifact against the manifest's
//!   size and SHA-256 while reading it; one mismatch refuses the whole bundle
//!   ([`BundleError::Tampered`]): its other artifacts were shipped under the same manifest, and
//!   findings made without the altered one would silently lack its evidence.
//! - **Derived, not trusted**: the facts of a bundle's artifacts are collected from the artifacts
//!   again; `facts.json` only supplies the facts of artifacts the bundle does not carry (captures
//!   left out by redaction), so a forged `facts.json` cannot change a finding about an artifact
//!   that is in the bundle. The collection time and host come from the manifest.
//! - **No leftovers**: a `.zip` bundle's artifacts are extracted into a [`ScratchDir`], removed
//!   when collection ends, however it ends (interrupts included, see [`crate::scratch`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use triage_facts::{Artifact, Collector, Fact, FactMap, Provenance, ScanPlan, Timestamp, Value};

use super::manifest::Manifest;
use super::{
    check_entry_name, hex, sha256_hex, BundleError, ARTIFACTS_DIR, FACTS, MANIFEST, READ_FORMAT_VERSIONS,
};
use crate::discover::{collect_files, DiscoverOptions};
use crate::scratch::ScratchDir;

/// A `.zip` bundle's artifacts up to this size are verified in memory, and extracted only when a
/// reader wants them.
const IN_MEMORY_ARTIFACT: usize = 1 << 20;

/// Bounds on what a bundle may hold. The defaults fit any real server's logs with room to spare
/// and stop archive bombs long before memory or disk suffer.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Entries in an archive, or files and folders in a bundle folder.
    pub max_entries: usize,
    /// Uncompressed size of one entry.
    pub max_entry_size: u64,
    /// Uncompressed size of all entries together (also what extracting a `.zip` may write).
    pub max_total_size: u64,
    /// Largest uncompressed/compressed ratio for entries over [`Limits::ratio_floor`] bytes, and
    /// for the whole archive (all entries against the archive's size) once they total more.
    pub max_ratio: u64,
    /// Entries smaller than this are not ratio-checked (tiny files compress very well).
    pub ratio_floor: u64,
    /// `manifest.json` size.
    pub max_manifest_size: u64,
    /// `facts.json` size. It is parsed into memory (about 35 bytes per byte for a list of small
    /// numbers, the worst case), so it is kept far below [`Limits::max_entry_size`].
    pub max_facts_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 100_000,
            max_entry_size: 4 << 30,
            max_total_size: 8 << 30,
            max_ratio: 200,
            ratio_floor: 1 << 20,
            max_manifest_size: 64 << 20,
            max_facts_size: 32 << 20,
        }
    }
}

#[derive(Debug)]
enum Store {
    Folder,
    Zip,
}

/// A bundle opened and verified: its manifest and fact map, and access to its artifacts.
#[derive(Debug)]
pub struct OpenedBundle {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub facts: FactMap,
    store: Store,
    limits: Limits,
}

/// Opens the bundle at `path` (a folder or a `.zip`) with the default [`Limits`].
pub fn open(path: &Path) -> Result<OpenedBundle, BundleError> {
    open_with_limits(path, &Limits::default())
}

/// Opens the bundle at `path` with `limits`.
pub fn open_with_limits(path: &Path, limits: &Limits) -> Result<OpenedBundle, BundleError> {
    let meta = std::fs::metadata(path).map_err(|e| BundleError::io(path, e))?;
    let (store, manifest_bytes, facts_bytes) = if meta.is_dir() {
        let (m, f) = read_folder(path, limits)?;
        (Store::Folder, m, f)
    } else {
        let (m, f) = read_zip(path, limits)?;
        (Store::Zip, m, f)
    };
    let manifest = parse_manifest(path, &manifest_bytes)?;
    check_record(path, FACTS, &facts_bytes, manifest.facts.size, &manifest.facts.sha256)?;
    let text = std::str::from_utf8(&facts_bytes)
        .map_err(|e| corrupt(path, format!("{FACTS} is not UTF-8 (byte {})", e.valid_up_to())))?;
    let facts = FactMap::from_json_str(text).map_err(|e| corrupt(path, format!("{FACTS}: {e}")))?;
    Ok(OpenedBundle { path: path.to_path_buf(), manifest, facts, store, limits: limits.clone() })
}

pub(crate) fn corrupt(bundle: &Path, reason: impl Into<String>) -> BundleError {
    BundleError::Corrupt { bundle: bundle.to_path_buf(), reason: reason.into() }
}

fn unsafe_entry(bundle: &Path, entry: &str, reason: impl Into<String>) -> BundleError {
    BundleError::UnsafeEntry { bundle: bundle.to_path_buf(), entry: entry.to_owned(), reason: reason.into() }
}

fn too_large(bundle: &Path, entry: &str, reason: impl Into<String>) -> BundleError {
    BundleError::TooLarge { bundle: bundle.to_path_buf(), entry: entry.to_owned(), reason: reason.into() }
}

fn parse_manifest(bundle: &Path, bytes: &[u8]) -> Result<Manifest, BundleError> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| BundleError::NotABundle {
        bundle: bundle.to_path_buf(),
        reason: format!("{MANIFEST} is not JSON: {e}"),
    })?;
    if v.get("format").and_then(|f| f.as_str()) != Some("triage-bundle") {
        return Err(BundleError::NotABundle {
            bundle: bundle.to_path_buf(),
            reason: format!("{MANIFEST} has no \"format\": \"triage-bundle\""),
        });
    }
    let found = v.get("format_version").and_then(|f| f.as_u64()).unwrap_or(0);
    if !READ_FORMAT_VERSIONS.iter().any(|&v| u64::from(v) == found) {
        return Err(BundleError::UnsupportedFormat { bundle: bundle.to_path_buf(), found: found as u32 });
    }
    let m: Manifest = serde_json::from_value(v).map_err(|e| corrupt(bundle, format!("{MANIFEST}: {e}")))?;
    let mut seen = BTreeSet::new();
    for a in &m.artifacts {
        check_entry_name(&a.path).map_err(|why| unsafe_entry(bundle, &a.path, why))?;
        if !seen.insert(a.path.as_str()) {
            return Err(unsafe_entry(bundle, &a.path, "listed twice in the manifest"));
        }
    }
    if !m.artifacts.windows(2).all(|w| w[0].path < w[1].path) {
        return Err(corrupt(bundle, format!("{MANIFEST}: artifacts are not sorted by path")));
    }
    Ok(m)
}

fn check_record(
    bundle: &Path,
    entry: &str,
    bytes: &[u8],
    size: u64,
    sha256: &str,
) -> Result<(), BundleError> {
    if bytes.len() as u64 != size {
        return Err(corrupt(bundle, format!("{entry}: {} bytes, the manifest says {size}", bytes.len())));
    }
    let h = sha256_hex(bytes);
    if h != sha256 {
        return Err(corrupt(bundle, format!("{entry}: SHA-256 {h} does not match the manifest's {sha256}")));
    }
    Ok(())
}

/// Reads at most `limit` bytes; more is an error.
fn read_limited(bundle: &Path, entry: &str, r: &mut dyn Read, limit: u64) -> Result<Vec<u8>, BundleError> {
    let mut buf = Vec::new();
    r.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| corrupt(bundle, format!("{entry}: {e}")))?;
    if buf.len() as u64 > limit {
        return Err(too_large(bundle, entry, format!("larger than {limit} bytes")));
    }
    Ok(buf)
}

// ---- folders ----

fn read_folder(root: &Path, limits: &Limits) -> Result<(Vec<u8>, Vec<u8>), BundleError> {
    let mut count = 0usize;
    let mut total = 0u64;
    for entry in walkdir::WalkDir::new(root).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| BundleError::io(e.path().unwrap_or(root).to_path_buf(), e.into()))?;
        count += 1;
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if count > limits.max_entries {
            return Err(too_large(root, &name, format!("more than {} entries", limits.max_entries)));
        }
        if entry.path_is_symlink() || entry.file_type().is_symlink() {
            return Err(unsafe_entry(root, &name, "symbolic link (links are never followed)"));
        }
        check_entry_name(&name).map_err(|why| unsafe_entry(root, &name, why))?;
        if !(entry.file_type().is_file() || entry.file_type().is_dir()) {
            return Err(unsafe_entry(root, &name, "not a regular file or folder"));
        }
        if entry.file_type().is_file() {
            total = total.saturating_add(entry.metadata().map_or(0, |m| m.len()));
            if total > limits.max_total_size {
                return Err(too_large(
                    root,
                    &name,
                    format!("files total more than {} bytes", limits.max_total_size),
                ));
            }
        }
    }
    let read = |name: &str, limit: u64| -> Result<Vec<u8>, BundleError> {
        let p = root.join(name);
        let mut f = File::open(&p).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                BundleError::NotABundle { bundle: root.to_path_buf(), reason: format!("no {name}") }
            }
            _ => BundleError::io(&p, e),
        })?;
        read_limited(root, name, &mut f, limit)
    };
    let manifest = read(MANIFEST, limits.max_manifest_size)?;
    let facts = read(FACTS, limits.max_facts_size.min(limits.max_entry_size))?;
    Ok((manifest, facts))
}

// ---- zip ----

pub(crate) fn open_archive(path: &Path) -> Result<zip::ZipArchive<File>, BundleError> {
    let f = File::open(path).map_err(|e| BundleError::io(path, e))?;
    zip::ZipArchive::new(f).map_err(|e| match e {
        zip::result::ZipError::Io(e) => BundleError::io(path, e),
        other => corrupt(path, format!("not a readable zip archive: {other}")),
    })
}

/// An archive entry that passed [`checked_entries`].
#[derive(Debug, Clone)]
pub(crate) struct CheckedEntry {
    /// Its index in the archive.
    pub index: usize,
    /// Its name as stored.
    pub raw: String,
    /// Its name as used: the stored one, with `\` made `/` for an archive of artifacts.
    pub name: String,
    /// Uncompressed size, as declared (decompression is held to it).
    pub size: u64,
    pub is_dir: bool,
}

/// Every entry of an open archive, checked as a bundle's are: count, names (no `..`, absolute
/// paths, drive letters, `:`, control characters; for a bundle no backslash either, for an
/// archive of artifacts a backslash is Windows' separator and is made `/` first), duplicates
/// (after that normalisation), links, encryption, compression method, each entry's size, the
/// total, the compression ratio of each large entry and of the whole archive, and overlapping
/// entries. Linear in the entries, but for the sort of the overlap check.
pub(crate) fn checked_entries(
    path: &Path,
    z: &mut zip::ZipArchive<File>,
    limits: &Limits,
    normalise_backslashes: bool,
) -> Result<Vec<CheckedEntry>, BundleError> {
    if z.len() > limits.max_entries {
        return Err(too_large(path, "", format!("{} entries, more than {}", z.len(), limits.max_entries)));
    }
    if let Some(n) = eocd_entries(path)? {
        if n != z.len() {
            return Err(corrupt(
                path,
                format!(
                    "the central directory lists {n} entries but {} distinct names (duplicate entries?)",
                    z.len()
                ),
            ));
        }
    }
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(z.len());
    let mut total = 0u64;
    let mut ranges: Option<Vec<(u64, u64)>> = Some(Vec::with_capacity(z.len()));
    for i in 0..z.len() {
        let e = z.by_index_raw(i).map_err(|e| corrupt(path, format!("entry {i}: {e}")))?;
        let raw = e.name().to_owned();
        let name = if normalise_backslashes { raw.replace('\\', "/") } else { raw.clone() };
        check_entry_name(&name).map_err(|why| unsafe_entry(path, &raw, why))?;
        if !names.insert(name.trim_end_matches('/').to_owned()) {
            return Err(unsafe_entry(path, &raw, "appears twice in the archive"));
        }
        if e.compressed_size() > 0 {
            // Where its data lies, for the overlap check below (`None`: the reader did not
            // read the local header, and the check asks the archive instead).
            ranges = ranges.and_then(|mut r| {
                let start = e.data_start()?;
                r.push((start, start.saturating_add(e.compressed_size())));
                Some(r)
            });
        }
        if e.is_symlink() {
            return Err(unsafe_entry(path, &raw, "symbolic link"));
        }
        if e.encrypted() {
            return Err(unsafe_entry(path, &raw, "encrypted entry"));
        }
        let is_dir = e.is_dir() || name.ends_with('/');
        if is_dir {
            out.push(CheckedEntry { index: i, raw, name, size: 0, is_dir });
            continue;
        }
        if !matches!(e.compression(), zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated) {
            return Err(corrupt(
                path,
                format!("{raw}: compression {:?} is not supported (stored or deflate only)", e.compression()),
            ));
        }
        let size = e.size();
        if size > limits.max_entry_size {
            return Err(too_large(
                path,
                &raw,
                format!("{size} bytes uncompressed, more than {}", limits.max_entry_size),
            ));
        }
        total = total.saturating_add(size);
        if total > limits.max_total_size {
            return Err(too_large(
                path,
                &raw,
                format!("entries total more than {} bytes uncompressed", limits.max_total_size),
            ));
        }
        let ratio = size / e.compressed_size().max(1);
        if size > limits.ratio_floor && ratio > limits.max_ratio {
            return Err(too_large(
                path,
                &raw,
                format!("compression ratio {ratio}:1 is above {}:1 (a zip bomb?)", limits.max_ratio),
            ));
        }
        out.push(CheckedEntry { index: i, raw, name, size, is_dir });
    }
    let archive_size = std::fs::metadata(path).map_err(|e| BundleError::io(path, e))?.len().max(1);
    if total > limits.ratio_floor && total / archive_size > limits.max_ratio {
        return Err(too_large(
            path,
            "",
            format!(
                "entries total {total} bytes uncompressed from an archive of {archive_size} bytes: ratio {}:1 is above {}:1 (a zip bomb?)",
                total / archive_size,
                limits.max_ratio
            ),
        ));
    }
    let overlapping = match ranges {
        Some(r) => overlaps(r),
        // (The zip reader's own check compares every entry with every other: quadratic.)
        None => z.has_overlapping_files().map_err(|e| corrupt(path, e.to_string()))?,
    };
    if overlapping {
        return Err(corrupt(path, "entries overlap in the archive (a zip bomb?)"));
    }
    Ok(out)
}

fn read_zip(path: &Path, limits: &Limits) -> Result<(Vec<u8>, Vec<u8>), BundleError> {
    let mut z = open_archive(path)?;
    let names: BTreeSet<String> = checked_entries(path, &mut z, limits, false)?
        .into_iter()
        .map(|e| e.name.trim_end_matches('/').to_owned())
        .collect();
    if !names.contains(MANIFEST) {
        return Err(BundleError::NotABundle { bundle: path.to_path_buf(), reason: format!("no {MANIFEST}") });
    }
    let manifest = read_zip_entry(&mut z, path, MANIFEST, limits.max_manifest_size)?;
    let listed: BTreeSet<String> = match serde_json::from_slice::<serde_json::Value>(&manifest) {
        Ok(v) => v
            .get("artifacts")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.get("path").and_then(|p| p.as_str()))
                    .map(|p| format!("{ARTIFACTS_DIR}/{p}"))
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => BTreeSet::new(),
    };
    // Every folder above a listed artifact, once: a scan of the list per entry was quadratic.
    let mut listed_dirs: BTreeSet<&str> = BTreeSet::new();
    for l in &listed {
        let mut at = l.len();
        while let Some(slash) = l[..at].rfind('/') {
            if !listed_dirs.insert(&l[..slash]) {
                break;
            }
            at = slash;
        }
    }
    for n in &names {
        let is_dir_of_listed = listed_dirs.contains(n.as_str());
        if n != MANIFEST && n != FACTS && !listed.contains(n) && !is_dir_of_listed && n != ARTIFACTS_DIR {
            return Err(unsafe_entry(path, n, "not listed in the manifest"));
        }
    }
    if !names.contains(FACTS) {
        return Err(corrupt(path, format!("no {FACTS}")));
    }
    let facts = read_zip_entry(&mut z, path, FACTS, limits.max_facts_size.min(limits.max_entry_size))?;
    Ok((manifest, facts))
}

/// Whether two of the data ranges `[start, end]` overlap (ends included, as the zip reader's
/// `has_overlapping_files` counts them): sorted by start, each is compared with the furthest end
/// before it, so this is `n log n` where the reader's check is quadratic.
fn overlaps(mut ranges: Vec<(u64, u64)>) -> bool {
    ranges.sort_unstable();
    let mut furthest: Option<u64> = None;
    for (start, end) in ranges {
        if furthest.is_some_and(|f| start <= f) {
            return true;
        }
        furthest = Some(furthest.map_or(end, |f| f.max(end)));
    }
    false
}

/// The entry count the end-of-central-directory record declares (`None` for zip64, whose
/// count lives elsewhere). The zip reader keeps one entry per name, so comparing the two is how
/// duplicate names are seen.
fn eocd_entries(path: &Path) -> Result<Option<usize>, BundleError> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path).map_err(|e| BundleError::io(path, e))?;
    let len = f.metadata().map_err(|e| BundleError::io(path, e))?.len();
    let tail = len.min(22 + 65_535);
    f.seek(SeekFrom::Start(len - tail)).map_err(|e| BundleError::io(path, e))?;
    let mut buf = Vec::with_capacity(tail as usize);
    f.take(tail).read_to_end(&mut buf).map_err(|e| BundleError::io(path, e))?;
    let Some(at) = buf.windows(4).rposition(|w| w == [0x50, 0x4b, 0x05, 0x06]) else { return Ok(None) };
    let Some(count) = buf.get(at + 10..at + 12).map(|b| u16::from_le_bytes([b[0], b[1]])) else {
        return Ok(None);
    };
    Ok((count != 0xFFFF).then_some(usize::from(count)))
}

/// Reads one entry, decompressing at most `limit` bytes and no more than it declared.
fn read_zip_entry(
    z: &mut zip::ZipArchive<File>,
    path: &Path,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>, BundleError> {
    let mut e = z.by_name(name).map_err(|e| corrupt(path, format!("{name}: {e}")))?;
    let declared = e.size();
    let bytes = read_limited(path, name, &mut e, limit.min(declared))?;
    if (bytes.len() as u64) < declared {
        return Err(corrupt(path, format!("{name}: {} bytes, the archive says {declared}", bytes.len())));
    }
    Ok(bytes)
}

impl OpenedBundle {
    /// The raw bytes of the artifact at `rel` (a manifest path), verified against the manifest.
    pub fn artifact_bytes(&self, rel: &str) -> Result<Vec<u8>, BundleError> {
        let rec = self.manifest.artifact(rel).ok_or_else(|| BundleError::NoSuchArtifact {
            bundle: self.path.clone(),
            entry: rel.to_owned(),
        })?;
        let entry = format!("{ARTIFACTS_DIR}/{rel}");
        let limit = rec.size.min(self.limits.max_entry_size);
        let bytes = match self.store {
            Store::Folder => {
                let p = self.path.join(&entry);
                let meta = std::fs::symlink_metadata(&p).map_err(|e| BundleError::io(&p, e))?;
                if !meta.is_file() {
                    return Err(unsafe_entry(&self.path, &entry, "not a regular file"));
                }
                let mut f = File::open(&p).map_err(|e| BundleError::io(&p, e))?;
                read_limited(&self.path, &entry, &mut f, limit)?
            }
            Store::Zip => {
                let mut z = open_archive(&self.path)?;
                read_zip_entry(&mut z, &self.path, &entry, limit)?
            }
        };
        check_record(&self.path, &entry, &bytes, rec.size, &rec.sha256)?;
        Ok(bytes)
    }

    /// The artifact's text, decoded as the collectors decode it (so provenance spans apply).
    pub fn artifact_text(&self, rel: &str) -> Result<String, BundleError> {
        Ok(crate::text::decode(&self.artifact_bytes(rel)?).text)
    }

    /// The folder holding the artifacts, for a folder bundle.
    pub fn artifacts_dir(&self) -> Option<PathBuf> {
        matches!(self.store, Store::Folder).then(|| self.path.join(ARTIFACTS_DIR))
    }

    /// Writes every artifact, verified, under `dest` (which must not exist yet).
    pub fn extract_artifacts(&self, dest: &Path) -> Result<(), BundleError> {
        std::fs::create_dir(dest).map_err(|e| BundleError::io(dest, e))?;
        for a in &self.manifest.artifacts {
            let bytes = self.artifact_bytes(&a.path)?;
            let p = dest.join(&a.path);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| BundleError::io(d, e))?;
            }
            std::fs::write(&p, bytes).map_err(|e| BundleError::io(&p, e))?;
        }
        Ok(())
    }

    /// The input's facts: every artifact verified against the manifest (size and SHA-256) and
    /// collected again with `plan`; then the manifest's collection time, host and errors, and from
    /// `facts.json` only the facts of artifacts the bundle does not carry (redaction's omitted
    /// captures). A mismatch refuses the bundle ([`BundleError::Tampered`]).
    pub fn collect_facts(
        &self,
        collectors: &[&dyn Collector],
        plan: Option<&ScanPlan>,
    ) -> Result<FactMap, BundleError> {
        let rels: Vec<String> = self.manifest.artifacts.iter().map(|a| a.path.clone()).collect();
        let discover = DiscoverOptions {
            reference_time: triage_facts::Timestamp::parse_rfc3339(&self.manifest.collected_at),
            ..DiscoverOptions::default()
        };
        let collected = match self.store {
            Store::Folder => {
                let dir = self.path.join(ARTIFACTS_DIR);
                for a in &self.manifest.artifacts {
                    let entry = format!("{ARTIFACTS_DIR}/{}", a.path);
                    let p = crate::discover::resolve_inside(&dir, &a.path)
                        .map_err(|e| unsafe_entry(&self.path, &entry, e.to_string()))?;
                    let mut f = File::open(&p).map_err(|e| BundleError::io(&p, e))?;
                    self.verify_stream(&entry, a.size, &a.sha256, &mut f, &mut std::io::sink())?;
                }
                collect_files(&dir, &rels, collectors, plan, &discover)
            }
            Store::Zip => {
                let scratch =
                    ScratchDir::new("bundle").map_err(|e| BundleError::io(std::env::temp_dir(), e))?;
                let mut z = open_archive(&self.path)?;
                // Folders made so far: one `create_dir_all` per folder, not per artifact.
                let mut made: BTreeSet<PathBuf> = BTreeSet::new();
                let mut extracted = Vec::new();
                let mut skipped = Vec::new();
                for a in &self.manifest.artifacts {
                    let entry = format!("{ARTIFACTS_DIR}/{}", a.path);
                    let mut e =
                        z.by_name(&entry).map_err(|e| corrupt(&self.path, format!("{entry}: {e}")))?;
                    // A small artifact is verified in memory and written out only when a reader
                    // wants it: the ones nobody reads never touch the disk (linear, and cheap, in
                    // the entries of a bundle of many small files).
                    let in_memory = (a.size as usize) <= IN_MEMORY_ARTIFACT;
                    let bytes = if in_memory {
                        let mut buf = Vec::with_capacity(a.size as usize);
                        self.verify_stream(&entry, a.size, &a.sha256, &mut e, &mut buf)?;
                        let head = &buf[..buf.len().min(Artifact::HEAD_LEN)];
                        if !crate::discover::is_wanted(&a.path, head, a.size, collectors, plan) {
                            skipped.push(crate::discover::unrecognised(&a.path, a.size, collectors));
                            continue;
                        }
                        Some(buf)
                    } else {
                        None
                    };
                    let dest = scratch.path().join(&a.path);
                    if let Some(d) = dest.parent() {
                        if !made.contains(d) {
                            std::fs::create_dir_all(d).map_err(|e| BundleError::io(d, e))?;
                            made.insert(d.to_path_buf());
                        }
                    }
                    let mut out = File::create(&dest).map_err(|e| BundleError::io(&dest, e))?;
                    match bytes {
                        Some(buf) => out.write_all(&buf).map_err(|e| BundleError::io(&dest, e))?,
                        None => self.verify_stream(&entry, a.size, &a.sha256, &mut e, &mut out)?,
                    }
                    extracted.push((a.path.clone(), dest));
                }
                // The scratch folder goes away here, on every path out of this block.
                crate::discover::collect_extracted(extracted, skipped, collectors, plan, &discover)
            }
        };
        let mut facts = collected.facts;
        let src = Arc::new(Provenance::new("", "bundle"));
        let mut extra = FactMap::new();
        match Timestamp::parse_rfc3339(&self.manifest.collected_at) {
            Some(t) => extra.insert(&["collection", "collected_at"], Fact::with_source(t, src.clone())),
            None => {
                return Err(corrupt(
                    &self.path,
                    format!(
                        "{MANIFEST}: collected_at {:?} is not an RFC 3339 time",
                        self.manifest.collected_at
                    ),
                ))
            }
        }
        extra.insert(&["collection", "host"], Fact::with_source(self.manifest.host.as_str(), src.clone()));
        extra.insert(
            &["collection", "bundle_format"],
            Fact::with_source(i64::from(self.manifest.format_version), src.clone()),
        );
        // The manifest's own errors (sources missing on the host, failed commands), once each.
        let fresh: BTreeSet<String> = match facts.get("collection.errors").map(|f| &f.value) {
            Some(Value::List(l)) => l.iter().filter_map(|f| f.value.as_str().map(str::to_owned)).collect(),
            _ => BTreeSet::new(),
        };
        let manifest_errors: Vec<Fact> = self
            .manifest
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|e| !fresh.contains(e))
            .map(|e| Fact::with_source(e, src.clone()))
            .collect();
        if !manifest_errors.is_empty() {
            extra.insert(&["collection", "errors"], Fact::new(manifest_errors));
        }
        facts.merge(extra);
        let carried: BTreeSet<&str> = self.manifest.artifacts.iter().map(|a| a.path.as_str()).collect();
        let omitted: BTreeSet<&str> = self
            .manifest
            .redaction
            .iter()
            .flat_map(|r| r.omitted.iter().map(String::as_str))
            .filter(|p| !carried.contains(p))
            .collect();
        if !omitted.is_empty() {
            facts.merge(facts_of(&self.facts, &omitted));
        }
        Ok(facts)
    }

    /// Copies `r` to `out`, at most the recorded `size` (+1 to see more), and checks size and hash.
    fn verify_stream(
        &self,
        entry: &str,
        size: u64,
        sha256: &str,
        r: &mut dyn Read,
        out: &mut dyn Write,
    ) -> Result<(), BundleError> {
        // One copy buffer per thread, not one per artifact (a bundle may carry 100,000).
        thread_local! {
            static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 1 << 16]);
        }
        BUF.with(|b| self.verify_with(entry, size, sha256, r, out, &mut b.borrow_mut()))
    }

    fn verify_with(
        &self,
        entry: &str,
        size: u64,
        sha256: &str,
        r: &mut dyn Read,
        out: &mut dyn Write,
        buf: &mut [u8],
    ) -> Result<(), BundleError> {
        let mut h = Sha256::new();
        let mut n = 0u64;
        let mut limited = r.take(size.min(self.limits.max_entry_size).saturating_add(1));
        loop {
            let got = limited.read(buf).map_err(|e| corrupt(&self.path, format!("{entry}: {e}")))?;
            if got == 0 {
                break;
            }
            h.update(&buf[..got]);
            n += got as u64;
            out.write_all(&buf[..got]).map_err(|e| BundleError::io(std::env::temp_dir(), e))?;
        }
        if n != size {
            let found = if n > size { format!("more than {size}") } else { n.to_string() };
            return Err(tampered(&self.path, entry, format!("{found} bytes, the manifest says {size}")));
        }
        let got = hex(&h.finalize());
        if got != sha256 {
            return Err(tampered(
                &self.path,
                entry,
                format!("SHA-256 {got} does not match the manifest's {sha256}"),
            ));
        }
        Ok(())
    }

    /// Opens the artifact at `rel` (a manifest path) for reading, without reading it whole: the
    /// snippets of a report come through here. A folder bundle's file must be a regular file
    /// inside its `artifacts/` (no link followed out of it); a `.zip`'s entry is decompressed
    /// as it is read, at most its recorded size.
    pub fn open_artifact(&self, rel: &str) -> Result<Box<dyn Read + Send>, BundleError> {
        let rec = self.manifest.artifact(rel).ok_or_else(|| BundleError::NoSuchArtifact {
            bundle: self.path.clone(),
            entry: rel.to_owned(),
        })?;
        let entry = format!("{ARTIFACTS_DIR}/{rel}");
        match self.store {
            Store::Folder => {
                let p = crate::discover::resolve_inside(&self.path.join(ARTIFACTS_DIR), rel)
                    .map_err(|e| unsafe_entry(&self.path, &entry, e.to_string()))?;
                let f = File::open(&p).map_err(|e| BundleError::io(&p, e))?;
                Ok(Box::new(f.take(rec.size)))
            }
            Store::Zip => {
                let mut z = open_archive(&self.path)?;
                let i = z
                    .index_for_name(&entry)
                    .ok_or_else(|| corrupt(&self.path, format!("no {entry} in the archive")))?;
                stream_zip_entry(&self.path, &mut z, i, &entry, rec.size)
            }
        }
    }
}

/// An owned stream over entry `index` (named `entry` in messages) of the archive at `path`,
/// decompressed as it is read, at most `size` bytes: the archive's own readers borrow it.
pub(crate) fn stream_zip_entry(
    path: &Path,
    z: &mut zip::ZipArchive<File>,
    index: usize,
    entry: &str,
    size: u64,
) -> Result<Box<dyn Read + Send>, BundleError> {
    let (start, compressed, method) = {
        let e = z.by_index_raw(index).map_err(|e| corrupt(path, format!("{entry}: {e}")))?;
        let start = e.data_start().ok_or_else(|| corrupt(path, format!("{entry}: no data offset")))?;
        (start, e.compressed_size(), e.compression())
    };
    let mut f = File::open(path).map_err(|e| BundleError::io(path, e))?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(start)).map_err(|e| BundleError::io(path, e))?;
    let raw = f.take(compressed);
    let r: Box<dyn Read + Send> = match method {
        zip::CompressionMethod::Stored => Box::new(raw),
        zip::CompressionMethod::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
        other => return Err(corrupt(path, format!("{entry}: compression {other:?} is not supported"))),
    };
    Ok(Box::new(r.take(size)))
}

/// The facts of `stored` whose provenance names one of `artifacts` (with their enclosing maps).
fn facts_of(stored: &FactMap, artifacts: &BTreeSet<&str>) -> FactMap {
    fn keep(f: &Fact, artifacts: &BTreeSet<&str>) -> Option<Fact> {
        if f.source.as_ref().is_some_and(|s| artifacts.contains(s.artifact.as_str())) {
            return Some(f.clone());
        }
        match &f.value {
            Value::Map(m) => {
                let kept: BTreeMap<String, Fact> =
                    m.iter().filter_map(|(k, v)| keep(v, artifacts).map(|v| (k.clone(), v))).collect();
                (!kept.is_empty()).then(|| Fact { value: Value::Map(kept), source: f.source.clone() })
            }
            Value::List(l) => {
                let kept: Vec<Fact> = l.iter().filter_map(|v| keep(v, artifacts)).collect();
                (!kept.is_empty()).then(|| Fact { value: Value::List(kept), source: f.source.clone() })
            }
            _ => None,
        }
    }
    let mut out = FactMap::new();
    for (k, v) in &stored.root {
        if let Some(v) = keep(v, artifacts) {
            out.root.insert(k.clone(), v);
        }
    }
    // Their summaries under `collection.artifacts` (written with no artifact provenance).
    if let Some(Value::Map(m)) = stored.get("collection.artifacts").map(|f| &f.value) {
        for a in artifacts {
            if let Some(f) = m.get(*a) {
                out.insert(&["collection", "artifacts", a], f.clone());
            }
        }
    }
    out
}

fn tampered(bundle: &Path, entry: &str, reason: String) -> BundleError {
    BundleError::Tampered { bundle: bundle.to_path_buf(), entry: entry.to_owned(), reason }
}

#[cfg(test)]
mod tests {
    use super::overlaps;

    #[test]
    fn overlapping_data_ranges_are_found_in_any_order() {
        assert!(!overlaps(vec![]));
        assert!(!overlaps(vec![(30, 40), (0, 10), (11, 20)]));
        // Ends count, as in the zip reader's own check.
        assert!(overlaps(vec![(10, 20), (0, 10)]));
        // One range inside a long earlier one, past the range between them.
        assert!(overlaps(vec![(0, 100), (10, 20), (50, 60)]));
        assert!(overlaps(vec![(50, 60), (0, 100)]));
        assert!(overlaps(vec![(5, 5), (5, 5)]));
    }
}
