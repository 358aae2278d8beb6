//! A `.zip` without a `manifest.json`: an archive of artifacts, read like a folder — what the
//! collection script writes (`scripts/Collect-Triage.ps1 -Zip`), or files an admin zipped by
//! hand. It is not a bundle: nothing in it is trusted but the artifacts themselves.
//!
//! - **The same entry checks as bundles** ([`super::read::checked_entries`]): count, each
//!   entry's size, the total, the compression ratio of large entries and of the whole archive,
//!   links, encryption, overlapping entries; names checked after one normalisation — a backslash
//!   is Windows' path separator (.NET Framework 4.5's `ZipFile.CreateFromDirectory` writes
//!   `registry\hklm-64bit.reg`), so it is made `/` first, and then `..`, absolute paths, drive
//!   letters and `:` are refused as in a bundle. Two entries that normalise to one name are
//!   refused too.
//! - **Facts always derived from its artifacts**: every file entry is extracted (decompressed at
//!   most to its declared size) into a [`ScratchDir`] and collected like a folder's files, under
//!   its normalised name; a `facts.json` inside is just another file.
//! - **Snippets from the archive**: [`OpenedArchive::open_artifact`] streams an entry again, so a
//!   report shows its lines after the scratch folder is gone.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use triage_facts::{Collector, ScanPlan};

use super::read::{checked_entries, corrupt, open_archive, stream_zip_entry, Limits};
use super::{BundleError, MANIFEST};
use crate::discover::{collect_files, Collected, DiscoverOptions};
use crate::scratch::ScratchDir;

/// An archive of artifacts, its entries checked.
#[derive(Debug)]
pub struct OpenedArchive {
    pub path: PathBuf,
    /// Normalised name → (index in the archive, declared size), file entries only.
    entries: BTreeMap<String, (usize, u64)>,
}

/// Whether the `.zip` at `path` holds a `manifest.json` at its root (then it is a bundle).
/// `Err` when it is not a readable zip at all.
pub fn zip_has_manifest(path: &Path) -> Result<bool, BundleError> {
    let z = open_archive(path)?;
    let found = z.index_for_name(MANIFEST).is_some();
    Ok(found)
}

/// Opens the archive at `path` with the default [`Limits`], checking every entry.
pub fn open_archive_of_artifacts(path: &Path) -> Result<OpenedArchive, BundleError> {
    open_archive_with_limits(path, &Limits::default())
}

/// Opens the archive at `path` with `limits`.
pub fn open_archive_with_limits(path: &Path, limits: &Limits) -> Result<OpenedArchive, BundleError> {
    let mut z = open_archive(path)?;
    let checked = checked_entries(path, &mut z, limits, true)?;
    // A folder entry named like a file's parent is fine; a file named like another's folder
    // cannot both be extracted.
    let files: BTreeSet<&str> = checked.iter().filter(|e| !e.is_dir).map(|e| e.name.as_str()).collect();
    for e in checked.iter().filter(|e| !e.is_dir) {
        let mut at = e.name.len();
        while let Some(slash) = e.name[..at].rfind('/') {
            if files.contains(&e.name[..slash]) {
                return Err(BundleError::UnsafeEntry {
                    bundle: path.to_path_buf(),
                    entry: e.raw.clone(),
                    reason: format!("inside {:?}, which is a file in this archive", &e.name[..slash]),
                });
            }
            at = slash;
        }
    }
    let entries = checked.into_iter().filter(|e| !e.is_dir).map(|e| (e.name, (e.index, e.size))).collect();
    Ok(OpenedArchive { path: path.to_path_buf(), entries })
}

impl OpenedArchive {
    /// The artifacts' names (normalised, `/`-separated), sorted.
    pub fn artifacts(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Extracts every artifact into a scratch folder and collects them there as a folder's files
    /// are; the scratch folder is removed before this returns. Provenance names each artifact by
    /// its normalised name.
    pub fn collect(
        &self,
        collectors: &[&dyn Collector],
        plan: Option<&ScanPlan>,
        options: &DiscoverOptions,
    ) -> Result<Collected, BundleError> {
        let scratch = ScratchDir::new("archive").map_err(|e| BundleError::io(std::env::temp_dir(), e))?;
        let mut z = open_archive(&self.path)?;
        let mut made: BTreeSet<PathBuf> = BTreeSet::new();
        for (name, &(index, size)) in &self.entries {
            let dest = scratch.path().join(name);
            if let Some(d) = dest.parent() {
                if !made.contains(d) {
                    std::fs::create_dir_all(d).map_err(|e| BundleError::io(d, e))?;
                    made.insert(d.to_path_buf());
                }
            }
            let mut out = File::create(&dest).map_err(|e| BundleError::io(&dest, e))?;
            let mut e = z.by_index(index).map_err(|e| corrupt(&self.path, format!("{name}: {e}")))?;
            // Held to the declared size: one byte more is a lie about it.
            let copied = std::io::copy(&mut (&mut e).take(size.saturating_add(1)), &mut out)
                .map_err(|e| corrupt(&self.path, format!("{name}: {e}")))?;
            if copied != size {
                return Err(corrupt(
                    &self.path,
                    format!(
                        "{name}: {} bytes decompressed, the archive says {size}",
                        if copied > size { format!("more than {size}") } else { copied.to_string() }
                    ),
                ));
            }
        }
        let rels: Vec<String> = self.entries.keys().cloned().collect();
        Ok(collect_files(scratch.path(), &rels, collectors, plan, options))
    }

    /// Opens the artifact `rel` (a normalised name) for reading, decompressed as it is read, at
    /// most its declared size.
    pub fn open_artifact(&self, rel: &str) -> Result<Box<dyn Read + Send>, BundleError> {
        let &(index, size) = self.entries.get(rel).ok_or_else(|| BundleError::NoSuchArtifact {
            bundle: self.path.clone(),
            entry: rel.to_owned(),
        })?;
        let mut z = open_archive(&self.path)?;
        stream_zip_entry(&self.path, &mut z, index, rel, size)
    }
}
