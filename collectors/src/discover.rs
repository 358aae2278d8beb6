//! Artifact discovery: walk an input, offer each file to every collector, run the best bidder,
//! and merge everything into one fact map. Best effort: a file that fails becomes a recorded
//! collection error and every other file is still collected.
//!
//! - Files are visited in path order; symbolic links are followed only when their target lies
//!   inside the input root (a link leading out of it is a collection error, never read).
//! - Each built-in collector bids on a file from its name and first bytes ([`Recognition`]) and
//!   the best bidder reads it. Besides, every pack-defined log kind (`ScanPlan.log_kinds`) whose
//!   globs match the file (its name or its path in the input) reads it too (collector
//!   `custom-log`, all such kinds in one pass), and so does every pack-defined file kind
//!   (`ScanPlan.file_kinds`) whose globs and `content` regex match (collector `file-kind`): a
//!   pack's kinds add readers, they never take a file from a built-in collector or from another
//!   pack's kinds. A file only pack kinds read is listed with collector `custom-log` (or
//!   `file-kind` when no log kind reads it).
//! - A `*.gz` file is decompressed first (bounded, [`crate::gzip`]) and offered as what it
//!   holds, recognised by its name without `.gz`, collected under its real name.
//! - A file larger than [`DiscoverOptions::max_file_size`] is an error for every collector that
//!   reads whole files; the streaming log collectors read any size.
//! - [`DiscoverOptions::progress`] is called with (bytes done, bytes total) over all files, as
//!   files are read (log collectors report within a file, every few MiB).
//!
//! # Fact layout (`collection`)
//!
//! - `collection.artifacts.<rel path>`: Map with `size` Int, `items` Int (records, values…),
//!   `collector` Str (absent when nobody recognised the file), `encoding` Str, `sha256` Str
//!   (with [`DiscoverOptions::hash`]);
//!   and, for a file nobody recognised although its name matches a collector's typical names,
//!   `reason` Str ("named like registry exports … but the content is not in that format");
//! - `collection.unrecognised`: List of Str, the rel paths nobody recognised;
//! - a FIFO, socket or device inside an input folder is never read: it is a collection error
//!   `skipped: not a regular file`;
//! - `collection.errors`: List of Str, each `artifact[:line | @offset]: [collector] message`,
//!   sorted; the same errors, structured, are in [`Collected::errors`].

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, Fact, FactMap, Provenance, Recognition, ScanPlan,
    Value,
};

/// Discovery's part of the fact catalogue: the `collection` namespace (layout above).
pub const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("collection.artifacts", &[Map], "every file of the input, by its path in the input"),
        FactDecl::new("collection.artifacts.*", &[Map], "one file"),
        FactDecl::new("collection.artifacts.*.size", &[Int], "its size in bytes"),
        FactDecl::new("collection.artifacts.*.items", &[Int], "records, values or packets read"),
        FactDecl::new(
            "collection.artifacts.*.collector",
            &[Str],
            "the collector that read it (absent when none did)",
        ),
        FactDecl::new(
            "collection.artifacts.*.encoding",
            &[Str],
            "`utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`, `windows-1252`, `binary`",
        ),
        FactDecl::new("collection.artifacts.*.sha256", &[Str], "its SHA-256, when hashed (bundles)"),
        FactDecl::new(
            "collection.artifacts.*.reason",
            &[Str],
            "why a file named like a known artifact was not recognised",
        ),
        FactDecl::new("collection.unrecognised", &[List], "files no collector recognised"),
        FactDecl::new("collection.unrecognised[]", &[Str], "a file's path in the input"),
        FactDecl::new("collection.errors", &[List], "collection errors, sorted"),
        FactDecl::new("collection.errors[]", &[Str], "`artifact[:line | @offset]: [collector] message`"),
    ]
};

/// A progress callback: (bytes done, bytes total) over every file of one input.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Largest file a whole-file collector is given by default (log collectors stream any size).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;

/// Options for one collection.
#[derive(Clone)]
pub struct DiscoverOptions {
    /// Compute the SHA-256 of every artifact (bundles need it; a plain run does not).
    pub hash: bool,
    /// Files larger than this are a collection error for collectors that read whole files.
    pub max_file_size: u64,
    /// Called as files are read, with bytes done and the total size of all files.
    pub progress: Option<ProgressFn>,
    /// When the input was collected, if known (a bundle's `collected_at`): year-less log times
    /// are placed before it.
    pub reference_time: Option<triage_facts::Timestamp>,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            hash: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            progress: None,
            reference_time: None,
        }
    }
}

impl std::fmt::Debug for DiscoverOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscoverOptions")
            .field("hash", &self.hash)
            .field("max_file_size", &self.max_file_size)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .finish()
    }
}

/// The progress of the file being collected on this thread: callback, bytes before this file,
/// total bytes, this file's size.
struct CurrentProgress {
    hook: ProgressFn,
    before: u64,
    total: u64,
    size: u64,
}

thread_local! {
    static PROGRESS: std::cell::RefCell<Option<CurrentProgress>> = const { std::cell::RefCell::new(None) };
}

/// Called by streaming collectors with the raw bytes of the current file read so far. Does
/// nothing outside [`collect_path`] or without a progress callback.
pub(crate) fn file_progress(done_in_file: u64) {
    PROGRESS.with(|p| {
        if let Some(c) = p.borrow().as_ref() {
            (c.hook)(c.before + done_in_file.min(c.size), c.total);
        }
    });
}

/// What one artifact gave, for the collection summary.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArtifactSummary {
    pub path: String,
    pub size: u64,
    /// `None` when no collector recognised the file.
    pub collector: Option<String>,
    pub encoding: Option<String>,
    pub items: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Why nobody recognised the file, when its name suggests a collector (see
    /// [`unrecognised_reason`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ArtifactSummary {
    /// `path`, or `path (reason)` for an unrecognised file with a reason: for summaries.
    pub fn describe(&self) -> String {
        match &self.reason {
            Some(r) => format!("{} ({r})", self.path),
            None => self.path.clone(),
        }
    }
}

/// Why no collector recognised `rel`, when its file name matches a collector's
/// [`typical_names`](triage_facts::CollectorInfo::typical_names) (`*.reg`, `gpresult.xml`): the
/// name promises a format the content does not have. `None` for names no collector expects.
pub fn unrecognised_reason(rel: &str, collectors: &[&dyn Collector]) -> Option<String> {
    let base = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    let info = collectors.iter().map(|c| c.info()).find(|i| {
        i.typical_names.iter().any(|n| {
            let n = n.to_ascii_lowercase();
            match n.strip_prefix('*') {
                Some(suffix) => base.ends_with(suffix),
                None => base == n,
            }
        })
    })?;
    Some(format!(
        "named like {} for the `{}` collector, but the content is not in that format",
        info.reads, info.name
    ))
}

/// The result of collecting one input (a folder or a single file).
#[derive(Debug, Default)]
pub struct Collected {
    /// All facts, including the `collection` namespace (artifacts, errors, conflicts).
    pub facts: FactMap,
    pub artifacts: Vec<ArtifactSummary>,
    pub errors: Vec<CollectionError>,
}

/// Collects every file under `input` (or `input` itself if it is a file) with `collectors`.
///
/// Only an input that does not exist or cannot be listed at all is an `Err`; everything else is
/// recorded in the result.
pub fn collect_path(
    input: &Path,
    collectors: &[&dyn Collector],
    plan: Option<&ScanPlan>,
    options: &DiscoverOptions,
) -> std::io::Result<Collected> {
    let meta = std::fs::metadata(input)?;
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut errors = Vec::new();
    if !meta.is_file() && !meta.is_dir() {
        return Err(std::io::Error::other(
            "not a regular file or folder (a pipe, socket or device); save it to a file first",
        ));
    }
    if meta.is_file() {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        files.push((name, input.to_path_buf()));
    } else {
        // Links are not followed blindly: an input folder is data, not a map of the disk. A link
        // to a file inside the root is read; anything else is reported.
        let root = std::fs::canonicalize(input)?;
        for entry in walkdir::WalkDir::new(input).follow_links(false).sort_by_file_name() {
            match entry {
                Ok(e) if e.file_type().is_file() || e.file_type().is_symlink() => {
                    let rel = relative(input, e.path());
                    if e.file_type().is_symlink() {
                        match std::fs::canonicalize(e.path()) {
                            Ok(t) if t.starts_with(&root) && t.is_file() => {}
                            Ok(t) if t.starts_with(&root) => continue,
                            Ok(_) => {
                                errors.push(CollectionError::new(
                                    &rel,
                                    "discover",
                                    "symbolic link leading outside the input, not followed",
                                ));
                                continue;
                            }
                            Err(err) => {
                                errors.push(CollectionError::new(
                                    &rel,
                                    "discover",
                                    format!("broken link: {err}"),
                                ));
                                continue;
                            }
                        }
                    }
                    files.push((rel, e.path().to_path_buf()));
                }
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => {
                    // A FIFO, socket or device: reading it could block or never end.
                    let rel = relative(input, e.path());
                    errors.push(CollectionError::new(
                        &rel,
                        "discover",
                        "skipped: not a regular file (a pipe, socket or device)",
                    ));
                }
                Err(err) => {
                    let at = err.path().map(|p| p.display().to_string()).unwrap_or_default();
                    errors.push(CollectionError::new(&at, "discover", err.to_string()));
                }
            }
        }
    }
    Ok(collect_list(files, errors, collectors, plan, options))
}

/// Collects exactly the files `rels` (relative, `/`-separated) under `root`: the artifacts a
/// bundle's manifest lists. Each is opened through [`resolve_inside`], so a link or a name
/// leading out of `root` is a collection error of that file, never read.
pub fn collect_files(
    root: &Path,
    rels: &[String],
    collectors: &[&dyn Collector],
    plan: Option<&ScanPlan>,
    options: &DiscoverOptions,
) -> Collected {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    // The root resolved once, not once per file (a bundle may list 100,000).
    let canonical = std::fs::canonicalize(root);
    for rel in rels {
        let resolved = match &canonical {
            Ok(root) => resolve_inside_canonical(root, rel),
            Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
        };
        match resolved {
            Ok(p) => files.push((rel.clone(), p)),
            Err(e) => errors.push(CollectionError::new(rel, "discover", format!("not read: {e}"))),
        }
    }
    collect_list(files, errors, collectors, plan, options)
}

/// The one way artifact bytes are reached by path, for collection and for the snippets of a
/// report alike: `rel` must be a plain relative path (no `..`, no root, no drive), and the file it
/// names, links resolved, must be a regular file inside `root`. Returns that file's real path.
pub fn resolve_inside(root: &Path, rel: &str) -> std::io::Result<PathBuf> {
    plain_relative(rel)?;
    resolve_inside_canonical(&std::fs::canonicalize(root)?, rel)
}

/// `rel` as a path when it is a plain relative one (no `..`, no root, no drive).
fn plain_relative(rel: &str) -> std::io::Result<&Path> {
    use std::path::Component;
    let rel_path = Path::new(rel);
    if rel.is_empty() || rel_path.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(std::io::Error::other("not a plain relative path"));
    }
    Ok(rel_path)
}

/// [`resolve_inside`] with `root` already canonical.
fn resolve_inside_canonical(root: &Path, rel: &str) -> std::io::Result<PathBuf> {
    let rel_path = plain_relative(rel)?;
    let target = std::fs::canonicalize(root.join(rel_path))?;
    if !target.starts_with(root) {
        return Err(std::io::Error::other("a link leading outside the input, not followed"));
    }
    if !std::fs::metadata(&target)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(target)
}

fn collect_list(
    files: Vec<(String, PathBuf)>,
    errors: Vec<CollectionError>,
    collectors: &[&dyn Collector],
    plan: Option<&ScanPlan>,
    options: &DiscoverOptions,
) -> Collected {
    let mut out = collect_list_unfinished(files, errors, collectors, plan, options);
    finish(&mut out);
    out
}

/// [`collect_list`] but for [`finish`], which writes the `collection` namespace.
fn collect_list_unfinished(
    mut files: Vec<(String, PathBuf)>,
    errors: Vec<CollectionError>,
    collectors: &[&dyn Collector],
    plan: Option<&ScanPlan>,
    options: &DiscoverOptions,
) -> Collected {
    files.sort();
    let ctx = CollectContext { plan, reference_time: options.reference_time };
    let mut out = Collected { errors, ..Default::default() };
    let sizes: Vec<u64> = files.iter().map(|(_, p)| std::fs::metadata(p).map_or(0, |m| m.len())).collect();
    let total: u64 = sizes.iter().sum();
    let mut before = 0u64;
    for ((rel, path), size) in files.iter().zip(&sizes) {
        if let Some(hook) = &options.progress {
            let hook = hook.clone();
            PROGRESS.with(|p| *p.borrow_mut() = Some(CurrentProgress { hook, before, total, size: *size }));
        }
        collect_one(rel, path, collectors, &ctx, options, &mut out);
        PROGRESS.with(|p| *p.borrow_mut() = None);
        before += size;
        if let Some(hook) = &options.progress {
            hook(before, total);
        }
    }
    out
}

/// The packs' readers (one for all log kinds, one for all file kinds) whose globs or content
/// match the artifact.
fn pack_readers<'c>(plan: Option<&ScanPlan>, rel: &str, head: &[u8]) -> Vec<&'c dyn Collector> {
    let mut readers: Vec<&dyn Collector> = Vec::new();
    if let Some(p) = plan {
        if crate::logs::CustomLog::kinds_for(p, rel).next().is_some() {
            readers.push(&crate::logs::CustomLog);
        }
        if crate::files::FileKinds::kinds_for(p, rel, head).next().is_some() {
            readers.push(&crate::files::FileKinds);
        }
    }
    readers
}

/// The built-in collector that recognises the artifact best (the first of equals), if any.
fn best_builtin<'c>(
    named: &Artifact<'_>,
    collectors: &[&'c dyn Collector],
) -> Option<(Recognition, &'c dyn Collector)> {
    collectors
        .iter()
        .filter(|c| {
            c.info().name != crate::logs::custom::COLLECTOR && c.info().name != crate::files::COLLECTOR
        })
        .map(|c| (c.recognise(named), *c))
        .filter(|(r, _)| *r > Recognition::No)
        .fold(None::<(Recognition, &dyn Collector)>, |best, cur| match best {
            Some(b) if b.0 >= cur.0 => Some(b),
            _ => Some(cur),
        })
}

/// Whether any reader would take an artifact of this name and first bytes (`head`, up to
/// [`Artifact::HEAD_LEN`]): a built-in collector's recognition or a pack's log or file kind. A
/// `.gz` artifact always is (what it holds is known once decompressed), and so is every artifact
/// when a pack's file kind reads `include` lines (they may name any file of the input). Lets a
/// bundle's reader leave the artifacts nobody reads in the archive instead of extracting them.
pub fn is_wanted(
    rel: &str,
    head: &[u8],
    size: u64,
    collectors: &[&dyn Collector],
    plan: Option<&ScanPlan>,
) -> bool {
    if crate::gzip::is_gz(rel) || plan.is_some_and(|p| p.file_kinds.iter().any(|k| k.include.is_some())) {
        return true;
    }
    let named = Artifact { rel_path: crate::logs::recognition_name(rel), path: Path::new(""), head, size };
    !pack_readers(plan, rel, head).is_empty() || best_builtin(&named, collectors).is_some()
}

/// The summary of an artifact no reader takes, as collection records it.
pub fn unrecognised(rel: &str, size: u64, collectors: &[&dyn Collector]) -> ArtifactSummary {
    ArtifactSummary {
        path: rel.to_owned(),
        size,
        collector: None,
        encoding: None,
        items: 0,
        sha256: None,
        reason: unrecognised_reason(rel, collectors),
    }
}

/// Collects files this process wrote itself into a private scratch folder (a bundle's extracted
/// artifacts: `(rel, path)`, no link or foreign file among them, so no resolution is needed),
/// with `skipped`, the summaries of artifacts [`is_wanted`] said nobody reads, in their place.
pub fn collect_extracted(
    files: Vec<(String, PathBuf)>,
    skipped: Vec<ArtifactSummary>,
    collectors: &[&dyn Collector],
    plan: Option<&ScanPlan>,
    options: &DiscoverOptions,
) -> Collected {
    let mut out = collect_list_unfinished(files, Vec::new(), collectors, plan, options);
    out.artifacts.extend(skipped);
    out.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    finish(&mut out);
    out
}

fn collect_one(
    rel: &str,
    path: &Path,
    collectors: &[&dyn Collector],
    ctx: &CollectContext<'_>,
    options: &DiscoverOptions,
    out: &mut Collected,
) {
    let (head, size) = match read_head(path) {
        Ok(x) => x,
        Err(e) => {
            out.errors.push(CollectionError::new(rel, "discover", format!("cannot read: {e}")));
            return;
        }
    };
    let sha256 = if options.hash {
        match hash_file(path) {
            Ok(h) => Some(h),
            Err(e) => {
                out.errors.push(CollectionError::new(rel, "discover", format!("cannot hash: {e}")));
                None
            }
        }
    } else {
        None
    };
    // A `.gz` artifact is read as what it holds (`crate::gzip`): decompressed into a scratch
    // file, recognised by its name without `.gz`, collected under its real name.
    let gunzipped = if crate::gzip::is_gz(rel) {
        match gunzip(path, size) {
            Ok(g) => Some(g),
            Err(message) => {
                out.errors.push(CollectionError::new(rel, "discover", message));
                out.artifacts.push(ArtifactSummary {
                    path: rel.to_owned(),
                    size,
                    collector: None,
                    encoding: None,
                    items: 0,
                    sha256,
                    reason: Some("a gzip file that could not be decompressed (see collection.errors)".into()),
                });
                return;
            }
        }
    } else {
        None
    };
    let (path, head, read_size) = match &gunzipped {
        Some((_, p, h, s)) => (p.as_path(), h.as_slice(), *s),
        None => (path, head.as_slice(), size),
    };
    let head = head.to_vec();
    let artifact = Artifact { rel_path: rel, path, head: &head, size: read_size };
    let named = Artifact { rel_path: crate::logs::recognition_name(rel), path, head: &head, size: read_size };
    // Packs' log kinds and file kinds read every file their globs (and content) match, each for
    // its own pack, one collector for all log kinds and one for all file kinds: beside the
    // built-in collector that claims the file, never instead of it (so no pack can take a file
    // from the built-in collectors or from another pack).
    let pack_readers = pack_readers(ctx.plan, rel, &head);
    let best = best_builtin(&named, collectors);
    // With no built-in reader, the first pack reader is the artifact's collector.
    let beside = match best {
        Some(_) => &pack_readers[..],
        None => pack_readers.get(1..).unwrap_or_default(),
    };
    for reader in beside {
        let name = reader.info().name;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.collect(&artifact, ctx))) {
            Ok(output) => {
                merge_facts(out, rel, name, output.facts);
                out.errors.extend(output.errors);
            }
            Err(_) => out.errors.push(CollectionError::new(
                rel,
                name,
                "collector failed unexpectedly (internal error)",
            )),
        }
    }
    let best = best.or_else(|| pack_readers.first().map(|c| (Recognition::ByNameAndContent, *c)));
    let Some((_, collector)) = best else {
        out.artifacts.push(ArtifactSummary { sha256, ..unrecognised(rel, size, collectors) });
        return;
    };
    let name = collector.info().name;
    if read_size > options.max_file_size && !crate::logs::is_streaming(name) {
        out.errors.push(CollectionError::new(
            rel,
            name,
            format!(
                "file of {read_size} bytes is larger than the {} byte limit, not read",
                options.max_file_size
            ),
        ));
        out.artifacts.push(ArtifactSummary {
            path: rel.to_owned(),
            size,
            collector: Some(name.to_owned()),
            encoding: None,
            items: 0,
            sha256,
            reason: None,
        });
        return;
    }
    // A collector must not panic on input; if one does anyway, the run goes on without it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| collector.collect(&artifact, ctx)));
    match result {
        Ok(output) => {
            merge_facts(out, rel, name, output.facts);
            out.errors.extend(output.errors);
            out.artifacts.push(ArtifactSummary {
                path: rel.to_owned(),
                size,
                collector: Some(name.to_owned()),
                encoding: output.encoding,
                items: output.items,
                sha256,
                reason: None,
            });
        }
        Err(_) => {
            out.errors.push(CollectionError::new(
                rel,
                name,
                "collector failed unexpectedly (internal error)",
            ));
            out.artifacts.push(ArtifactSummary {
                path: rel.to_owned(),
                size,
                collector: Some(name.to_owned()),
                encoding: None,
                items: 0,
                sha256,
                reason: None,
            });
        }
    }
}

/// Merges one collector's facts into the input's; a conflict is a collection error.
fn merge_facts(out: &mut Collected, rel: &str, name: &str, facts: FactMap) {
    for c in out.facts.merge(facts) {
        let mut e = CollectionError::new(
            rel,
            name,
            format!(
                "conflicting value for {}: kept {} from {}, ignored {}",
                c.path.join(" › "),
                c.kept.value,
                c.kept.source.as_ref().map(|s| s.to_string()).unwrap_or_else(|| "an earlier artifact".into()),
                c.other.value
            ),
        );
        if let Some(line) = c.other.source.as_ref().and_then(|s| s.line) {
            e = e.at_line(line);
        }
        out.errors.push(e);
    }
}

/// Writes the `collection` namespace: artifacts, unrecognised files and errors.
fn finish(out: &mut Collected) {
    out.errors.sort();
    out.errors.dedup();
    let src = Arc::new(Provenance::new("", "discover"));
    let mut artifacts = BTreeMap::new();
    let mut unrecognised = Vec::new();
    for a in &out.artifacts {
        let mut m = BTreeMap::new();
        m.insert("size".to_owned(), Fact::new(a.size as i64));
        m.insert("items".to_owned(), Fact::new(a.items as i64));
        if let Some(c) = &a.collector {
            m.insert("collector".to_owned(), Fact::new(c.as_str()));
        } else {
            unrecognised.push(Fact::new(a.path.as_str()));
            if let Some(r) = &a.reason {
                m.insert("reason".to_owned(), Fact::new(r.as_str()));
            }
        }
        if let Some(e) = &a.encoding {
            m.insert("encoding".to_owned(), Fact::new(e.as_str()));
        }
        if let Some(h) = &a.sha256 {
            m.insert("sha256".to_owned(), Fact::new(h.as_str()));
        }
        artifacts.insert(a.path.clone(), Fact::new(Value::Map(m)));
    }
    let errors: Vec<Fact> =
        out.errors.iter().map(|e| Fact::with_source(e.to_string(), src.clone())).collect();
    out.facts.insert(&["collection", "artifacts"], Fact::new(Value::Map(artifacts)));
    out.facts.insert(&["collection", "unrecognised"], Fact::new(unrecognised));
    out.facts.insert(&["collection", "errors"], Fact::new(errors));
}

/// A `.gz` artifact decompressed into a scratch folder (removed when dropped): the folder, the
/// file, its head and its size.
fn gunzip(path: &Path, size: u64) -> Result<(crate::scratch::ScratchDir, PathBuf, Vec<u8>, u64), String> {
    let dir = crate::scratch::ScratchDir::new("gz").map_err(|e| format!("cannot decompress: {e}"))?;
    let file = dir.path().join("content");
    let out_size = crate::gzip::decompress(path, size, &file)?;
    let (head, _) = read_head(&file).map_err(|e| format!("cannot read decompressed data: {e}"))?;
    Ok((dir, file, head, out_size))
}

fn read_head(path: &Path) -> std::io::Result<(Vec<u8>, u64)> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut head = Vec::with_capacity(Artifact::HEAD_LEN);
    f.by_ref().take(Artifact::HEAD_LEN as u64).read_to_end(&mut head)?;
    Ok((head, size))
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// `path` under `root`, with `/` between components on every platform (the artifact name
/// facts and reports use).
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
