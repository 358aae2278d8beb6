//! Reading a bundle that may come from anyone: every name, size, link and hash is checked before
//! anything is trusted (see the module docs of [`super`] for the list), and each refusal is a
//! [`BundleError`] naming the bundle and the entry.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use triage_facts::{Collector, Fact, FactMap, ScanPlan};

use super::manifest::Manifest;
use super::write::plan_digest;
use super::{check_entry_name, sha256_hex, BundleError, ARTIFACTS_DIR, FACTS, FORMAT_VERSION, MANIFEST};
use crate::discover::{collect_path, DiscoverOptions};

/// Bounds on what a bundle may hold. The defaults fit any real server's logs with room to spare
/// and stop archive bombs long before memory or disk suffer.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Entries in an archive, or files and folders in a bundle folder.
    pub max_entries: usize,
    /// Uncompressed size of one entry.
    pub max_entry_size: u64,
    /// Uncompressed size of all entries together.
    pub max_total_size: u64,
    /// Largest uncompressed/compressed ratio for entries over [`Limits::ratio_floor`] bytes.
    pub max_ratio: u64,
    /// Entries smaller than this are not ratio-checked (tiny files compress very well).
    pub ratio_floor: u64,
    /// `manifest.json` size.
    pub max_manifest_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 100_000,
            max_entry_size: 4 << 30,
            max_total_size: 16 << 30,
            max_ratio: 200,
            ratio_floor: 1 << 20,
            max_manifest_size: 64 << 20,
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

fn corrupt(bundle: &Path, reason: impl Into<String>) -> BundleError {
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
    if found != u64::from(FORMAT_VERSION) {
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
    let facts = read(FACTS, limits.max_entry_size)?;
    Ok((manifest, facts))
}

// ---- zip ----

fn open_archive(path: &Path) -> Result<zip::ZipArchive<File>, BundleError> {
    let f = File::open(path).map_err(|e| BundleError::io(path, e))?;
    zip::ZipArchive::new(f).map_err(|e| match e {
        zip::result::ZipError::Io(e) => BundleError::io(path, e),
        other => corrupt(path, format!("not a readable zip archive: {other}")),
    })
}

fn read_zip(path: &Path, limits: &Limits) -> Result<(Vec<u8>, Vec<u8>), BundleError> {
    let mut z = open_archive(path)?;
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
    let mut total = 0u64;
    for i in 0..z.len() {
        let e = z.by_index_raw(i).map_err(|e| corrupt(path, format!("entry {i}: {e}")))?;
        let name = e.name().to_owned();
        check_entry_name(&name).map_err(|why| unsafe_entry(path, &name, why))?;
        if !names.insert(name.trim_end_matches('/').to_owned()) {
            return Err(unsafe_entry(path, &name, "appears twice in the archive"));
        }
        if e.is_symlink() {
            return Err(unsafe_entry(path, &name, "symbolic link"));
        }
        if e.encrypted() {
            return Err(unsafe_entry(path, &name, "encrypted entry"));
        }
        if e.is_dir() {
            continue;
        }
        if !matches!(e.compression(), zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated) {
            return Err(corrupt(
                path,
                format!(
                    "{name}: compression {:?} is not supported (stored or deflate only)",
                    e.compression()
                ),
            ));
        }
        let size = e.size();
        if size > limits.max_entry_size {
            return Err(too_large(
                path,
                &name,
                format!("{size} bytes uncompressed, more than {}", limits.max_entry_size),
            ));
        }
        total = total.saturating_add(size);
        if total > limits.max_total_size {
            return Err(too_large(
                path,
                &name,
                format!("entries total more than {} bytes uncompressed", limits.max_total_size),
            ));
        }
        let ratio = size / e.compressed_size().max(1);
        if size > limits.ratio_floor && ratio > limits.max_ratio {
            return Err(too_large(
                path,
                &name,
                format!("compression ratio {ratio}:1 is above {}:1 (a zip bomb?)", limits.max_ratio),
            ));
        }
    }
    if z.has_overlapping_files().map_err(|e| corrupt(path, e.to_string()))? {
        return Err(corrupt(path, "entries overlap in the archive (a zip bomb?)"));
    }
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
    for n in &names {
        let is_dir_of_listed = listed.iter().any(|l| l.starts_with(&format!("{n}/")));
        if n != MANIFEST && n != FACTS && !listed.contains(n) && !is_dir_of_listed && n != ARTIFACTS_DIR {
            return Err(unsafe_entry(path, n, "not listed in the manifest"));
        }
    }
    if !names.contains(FACTS) {
        return Err(corrupt(path, format!("no {FACTS}")));
    }
    let facts = read_zip_entry(&mut z, path, FACTS, limits.max_entry_size)?;
    Ok((manifest, facts))
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

    /// Whether the stored facts were collected with `plan` (or `plan` asks for nothing), so a run
    /// with it can use them as they are.
    pub fn facts_are_current(&self, plan: Option<&ScanPlan>) -> bool {
        match plan.filter(|p| !p.is_empty()) {
            None => true,
            Some(plan) => self.manifest.scan_plan_sha256.as_deref() == Some(plan_digest(plan).as_str()),
        }
    }

    /// The fact map for a run with `plan`: the stored facts when they were collected with the
    /// same plan (or `plan` is empty), otherwise the stored facts with the plan-dependent parts
    /// (`signals`, `signals_truncated`, and log kinds the stored facts lack) re-collected from
    /// the artifacts. Facts of artifacts left out by redaction are kept as stored.
    pub fn facts_for(
        &self,
        collectors: &[&dyn Collector],
        plan: Option<&ScanPlan>,
    ) -> Result<FactMap, BundleError> {
        let Some(plan) = plan.filter(|p| !p.is_empty()) else { return Ok(self.facts.clone()) };
        if self.manifest.scan_plan_sha256.as_deref() == Some(plan_digest(plan).as_str()) {
            return Ok(self.facts.clone());
        }
        let discover = DiscoverOptions::default();
        let (fresh, tmp) = match self.artifacts_dir() {
            Some(dir) if dir.is_dir() => (collect_path(&dir, collectors, Some(plan), &discover), None),
            _ => {
                let tmp = std::env::temp_dir().join(format!(
                    "triage-bundle-{}-{}",
                    std::process::id(),
                    sha256_hex(self.path.to_string_lossy().as_bytes()).get(..12).unwrap_or("x")
                ));
                let _ = std::fs::remove_dir_all(&tmp);
                if self.manifest.artifacts.is_empty() {
                    return Ok(self.facts.clone());
                }
                self.extract_artifacts(&tmp)?;
                (collect_path(&tmp, collectors, Some(plan), &discover), Some(tmp))
            }
        };
        if let Some(t) = tmp {
            let _ = std::fs::remove_dir_all(t);
        }
        let fresh = fresh.map_err(|e| BundleError::io(&self.path, e))?;
        let mut facts = self.facts.clone();
        for ns in ["signals", "signals_truncated"] {
            match fresh.facts.root.get(ns) {
                Some(f) => {
                    facts.root.insert(ns.to_owned(), f.clone());
                }
                None => {
                    facts.root.remove(ns);
                }
            }
        }
        if let Some(logs) = fresh.facts.root.get("logs").and_then(Fact::as_map) {
            let stored = facts.root.entry("logs".to_owned()).or_insert_with(Fact::map);
            if let Some(m) = stored.as_map_mut() {
                for (k, v) in logs {
                    m.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        Ok(facts)
    }
}
