//! Finding and loading rule packs: the ones built into the binary (every pack under `rules/`,
//! embedded by `build.rs`) or those given with `--pack`: folders, or IDs of built-in or
//! installed packs, combined freely. An ID that names more than one of a built-in pack, an
//! installed pack and a folder is refused until qualified (`builtin:ID`, `installed:ID`,
//! `./ID`): see [`resolve`].
//!
//! A pack folder contributes `pack.toml` and every `*.toml` under its `rules/` subfolder; test
//! inputs (`tests/…`) are data, not pack source. Load diagnostics are printed with miette at the
//! right TOML line; a pack with errors stops the command (exit 2).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use triage_engine::pack::limits;
use triage_engine::{Evaluator, Level, Pack, PackDiagnostic, SourceFile};
use triage_facts::ScanPlan;

use crate::output::{Out, Ui};
use crate::render;
use crate::Failure;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_packs.rs"));
}

/// Where a pack came from, for messages.
#[derive(Clone, Debug)]
pub enum PackOrigin {
    Embedded(&'static str),
    Dir(PathBuf),
}

impl std::fmt::Display for PackOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackOrigin::Embedded(name) => write!(f, "built-in pack `{name}`"),
            PackOrigin::Dir(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The source files of every built-in pack.
pub fn embedded_sources() -> Vec<(PackOrigin, Vec<SourceFile>)> {
    embedded::EMBEDDED_PACKS
        .iter()
        .map(|(name, files)| {
            let files = files.iter().map(|(rel, text)| SourceFile::new(*rel, *text)).collect();
            (PackOrigin::Embedded(name), files)
        })
        .collect()
}

/// Reads a pack folder's source files: `pack.toml` and `rules/**/*.toml`, sorted by name.
///
/// Bounded by the engine's pack limits (`triage_engine::pack::limits`): only regular files are
/// read (a link is followed only to a regular file), each at most one byte past the per-file
/// limit, no more files once the pack is past its file count or byte limit. What was read is
/// enough for the loader to refuse the pack with `pack::too-large`, and memory stays bounded.
pub fn read_pack_dir(dir: &Path) -> Result<Vec<SourceFile>, Failure> {
    let manifest = dir.join("pack.toml");
    let mut budget = Budget::default();
    let text = read_limited(&manifest, &mut budget).map_err(|e| {
        let what = if dir.is_dir() { "cannot read its pack.toml" } else { "not a pack folder" };
        Failure::Message(miette::miette!("{}: {what}: {e}", dir.display()))
    })?;
    let mut files = vec![SourceFile::new("pack.toml", text)];
    let mut more = Vec::new();
    collect_toml(&dir.join("rules"), "rules", &mut more, &mut budget, 0)?;
    more.sort_by(|a, b| a.name.cmp(&b.name));
    files.extend(more);
    Ok(files)
}

/// Files and bytes read so far for one pack.
#[derive(Default)]
struct Budget {
    files: usize,
    bytes: usize,
}

impl Budget {
    fn exhausted(&self) -> bool {
        self.files > limits::MAX_FILES || self.bytes > limits::MAX_PACK_BYTES
    }
}

/// Reads a regular file, at most one byte past [`limits::MAX_FILE_BYTES`].
fn read_limited(path: &Path, budget: &mut Budget) -> std::io::Result<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut buf = Vec::new();
    std::fs::File::open(path)?.take(limits::MAX_FILE_BYTES as u64 + 1).read_to_end(&mut buf)?;
    budget.files += 1;
    budget.bytes += buf.len();
    match String::from_utf8(buf) {
        Ok(s) => Ok(s),
        // Cut at the limit inside a character: the loader refuses the file for its size anyway.
        Err(e) if e.as_bytes().len() > limits::MAX_FILE_BYTES => {
            Ok(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        Err(_) => {
            Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
        }
    }
}

/// Folders below `rules/` deeper than this are not read.
const MAX_DIR_DEPTH: usize = 16;

fn collect_toml(
    dir: &Path,
    rel: &str,
    out: &mut Vec<SourceFile>,
    budget: &mut Budget,
    depth: usize,
) -> Result<(), Failure> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Failure::Message(miette::miette!("{}: {e}", dir.display()))),
    };
    // In name order, so which files are read before a limit is reached does not depend on the
    // file system.
    let mut entries: Vec<_> = entries
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::Message(miette::miette!("{}: {e}", dir.display())))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if budget.exhausted() {
            return Ok(());
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if depth >= MAX_DIR_DEPTH {
                return Err(Failure::Message(miette::miette!(
                    "{}: folders nested more than {MAX_DIR_DEPTH} deep under rules/",
                    path.display()
                )));
            }
            collect_toml(&path, &format!("{rel}/{name}"), out, budget, depth + 1)?;
        } else if name.ends_with(".toml") {
            let text = read_limited(&path, budget)
                .map_err(|e| Failure::Message(miette::miette!("{}: {e}", path.display())))?;
            out.push(SourceFile::new(format!("{rel}/{name}"), text));
        }
    }
    Ok(())
}

/// Loads one pack from its sources. Returns the pack (when valid) and every diagnostic.
pub fn load_one(files: Vec<SourceFile>, evaluator: &Evaluator) -> (Option<Pack>, Vec<PackDiagnostic>) {
    let result = triage_engine::load_pack(files, evaluator);
    (result.pack, result.diagnostics)
}

/// Loads the packs for a command: each `--pack` value as [`resolve`] finds it (a folder, a
/// built-in pack or an installed pack, by ID), or every built-in pack when none is given.
/// Warnings are printed to `err`; any error is printed and ends the command.
pub fn load_for_command(
    dirs: &[PathBuf],
    evaluator: &Evaluator,
    ui: &Ui,
    err: &mut Out,
) -> Result<Vec<Pack>, Failure> {
    let sources: Vec<(PackOrigin, Vec<SourceFile>)> = if dirs.is_empty() {
        embedded_sources()
    } else {
        dirs.iter()
            .map(|d| match resolve(d, err)? {
                Resolved::BuiltIn(name, files) => Ok((PackOrigin::Embedded(name), files)),
                Resolved::Folder(d) => {
                    let files = read_pack_dir(&d)?;
                    Ok((PackOrigin::Dir(d), files))
                }
                Resolved::Installed(d, files) => Ok((PackOrigin::Dir(d), files)),
            })
            .collect::<Result<_, Failure>>()?
    };
    let mut packs = Vec::new();
    let mut failed = false;
    for (origin, files) in sources {
        let (pack, diags) = load_one(files, evaluator);
        for d in &diags {
            render::human::write_diagnostic(err, ui.color_err, ui.width, d)?;
        }
        let errors = diags.iter().filter(|d| d.level == Level::Error).count();
        match pack {
            Some(p) if errors == 0 => packs.push(p),
            _ => {
                writeln!(err, "error: {origin} is invalid ({errors} error(s)); nothing was evaluated")?;
                failed = true;
            }
        }
    }
    if failed {
        return Err(Failure::Reported);
    }
    let mut seen = BTreeMap::new();
    for p in &packs {
        if let Some(prev) = seen.insert(p.manifest.id.clone(), p.manifest.version.to_string()) {
            return Err(Failure::Message(miette::miette!(
                "pack `{}` was given twice (versions {prev} and {})",
                p.manifest.id,
                p.manifest.version
            )));
        }
    }
    Ok(packs)
}

/// Where a `--pack` value led.
#[derive(Debug)]
pub enum Resolved {
    /// A built-in pack: its folder name under `rules/` and its sources.
    BuiltIn(&'static str, Vec<SourceFile>),
    /// A pack folder on disk, read by [`read_pack_dir`].
    Folder(PathBuf),
    /// An installed pack: its folder in the store and its sources exactly as they were verified.
    Installed(PathBuf, Vec<SourceFile>),
}

/// The prefix that names a built-in pack whatever else has its ID (`builtin:wsus-tls`).
pub const BUILTIN_PREFIX: &str = "builtin:";
/// The prefix that names an installed pack whatever else has its ID (`installed:wsus-tls`).
pub const INSTALLED_PREFIX: &str = "installed:";

/// A built-in pack as `pack list` and `--pack ID` see it: its ID and version (read from its
/// `pack.toml` without compiling it), its folder name and its sources.
#[derive(Debug)]
pub struct BuiltIn {
    pub id: String,
    pub version: String,
    pub name: &'static str,
    pub files: Vec<SourceFile>,
}

/// Every built-in pack with its ID and version, in folder order. A built-in pack whose
/// `pack.toml` cannot be read is listed under its folder name with version `?` (the test suite
/// keeps that from shipping).
pub fn builtin_packs() -> Vec<BuiltIn> {
    embedded::EMBEDDED_PACKS
        .iter()
        .map(|(name, files)| {
            let mut store_files = triage_store::PackFiles::new();
            for (rel, text) in files.iter() {
                let _ = store_files.insert(rel, text.as_bytes().to_vec());
            }
            let info = triage_store::PackInfo::from_files(&store_files).ok();
            BuiltIn {
                id: info.as_ref().map_or_else(|| (*name).to_owned(), |i| i.id.clone()),
                version: info.as_ref().map_or_else(|| "?".to_owned(), |i| i.version.to_string()),
                name,
                files: files.iter().map(|(rel, text)| SourceFile::new(*rel, *text)).collect(),
            }
        })
        .collect()
}

/// A `--pack` value:
///
/// - `builtin:ID` is the built-in pack with that ID, `installed:ID` the installed one (checked
///   against its manifest, the lock file and its signature, and used exactly as checked);
/// - a value that looks like a path (it holds `/` or `\`, or starts with `.`) is a folder;
/// - a bare ID is whichever of the built-in pack, the installed pack and the folder of that name
///   (in the working folder) exists; when more than one does, it is refused as ambiguous, with
///   the qualified spellings to choose from. Nothing is ever chosen silently.
///
/// The store's warnings (an unsigned pack, ignored key files) go to `err`.
pub fn resolve(arg: &Path, err: &mut Out) -> Result<Resolved, Failure> {
    let text = arg.to_string_lossy();
    let fail = |m: String| Failure::Message(miette::miette!("--pack {}: {m}", arg.display()));
    if let Some(id) = text.strip_prefix(BUILTIN_PREFIX) {
        let mut all = builtin_packs();
        return match all.iter().position(|b| b.id == id) {
            Some(i) => {
                let b = all.swap_remove(i);
                Ok(Resolved::BuiltIn(b.name, b.files))
            }
            None => Err(fail(format!("no built-in pack has this ID (built in: {})", builtin_ids(&all)))),
        };
    }
    if let Some(id) = text.strip_prefix(INSTALLED_PREFIX) {
        return installed(id, arg, err);
    }
    let looks_like_path = text.contains('/') || text.contains('\\') || text.starts_with('.');
    if looks_like_path || !triage_store::info::valid_id(&text) {
        return Ok(Resolved::Folder(arg.to_owned()));
    }
    // A bare ID: every reading of it, so that two are never silently decided between.
    let id: &str = &text;
    let mut all = builtin_packs();
    let builtin = all.iter().position(|b| b.id == id);
    let store = triage_store::Store::locate();
    let entries =
        store.as_ref().map_err(ToString::to_string).and_then(|s| s.list().map_err(|e| e.to_string()));
    let installed_version = match &entries {
        Ok(list) => list.iter().find(|e| e.id == id).map(|e| e.version.clone()),
        // An unreadable store cannot say whether the ID is installed: refuse to guess when a
        // built-in pack or a folder could also be meant.
        Err(e) if builtin.is_some() || arg.exists() => {
            return Err(fail(format!(
                "cannot tell whether a pack `{id}` is installed ({e}); say {BUILTIN_PREFIX}{id} or ./{id}"
            )))
        }
        Err(_) => None,
    };
    let folder = arg.exists();
    let mut readings = Vec::new();
    if let Some(i) = builtin {
        readings.push(format!("the built-in pack {id} {} ({BUILTIN_PREFIX}{id})", all[i].version));
    }
    if let Some(v) = &installed_version {
        readings.push(format!("the installed pack {id} {v} ({INSTALLED_PREFIX}{id})"));
    }
    if folder {
        readings.push(format!("the folder ./{id}"));
    }
    if readings.len() > 1 {
        return Err(fail(format!(
            "ambiguous: it names {}; say which",
            match readings.len() {
                2 => readings.join(" and "),
                _ => format!(
                    "{}, and {}",
                    readings[..readings.len() - 1].join(", "),
                    readings[readings.len() - 1]
                ),
            }
        )));
    }
    if let Some(i) = builtin {
        let b = all.swap_remove(i);
        return Ok(Resolved::BuiltIn(b.name, b.files));
    }
    if folder {
        return Ok(Resolved::Folder(arg.to_owned()));
    }
    installed(id, arg, err)
}

fn builtin_ids(all: &[BuiltIn]) -> String {
    if all.is_empty() {
        return "none".to_owned();
    }
    all.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(", ")
}

/// The installed pack `id`, verified.
fn installed(id: &str, arg: &Path, err: &mut Out) -> Result<Resolved, Failure> {
    let r = triage_store::Store::locate()
        .and_then(|s| {
            if triage_store::info::valid_id(id) {
                s.resolve(id)
            } else {
                Err(triage_store::Error::NotInstalled(id.to_owned()))
            }
        })
        .map_err(|e| Failure::Message(miette::miette!("--pack {}: {e}", arg.display())))?;
    for w in &r.warnings {
        writeln!(err, "warning: {w}")?;
    }
    let files = r.files.ok_or_else(|| {
        Failure::Message(miette::miette!("--pack {}: the store gave no files for `{id}`", arg.display()))
    })?;
    let sources = sources_of(&files).map_err(|e| {
        Failure::Message(miette::miette!("--pack {}: {}: {e}", arg.display(), r.dir.display()))
    })?;
    Ok(Resolved::Installed(r.dir, sources))
}

/// A verified pack's sources, as [`read_pack_dir`] would read them from its folder.
fn sources_of(files: &triage_store::PackFiles) -> Result<Vec<SourceFile>, String> {
    files
        .iter()
        .filter(|(p, _)| *p == "pack.toml" || (p.starts_with("rules/") && p.ends_with(".toml")))
        .map(|(p, b)| {
            std::str::from_utf8(b).map(|t| SourceFile::new(p, t)).map_err(|_| format!("{p}: not UTF-8"))
        })
        .collect()
}

/// What the packs ask the log collectors to look for.
pub fn scan_plan(packs: &[Pack]) -> ScanPlan {
    triage_engine::scan_plan(packs)
}

/// The fact catalogue for a scan plan: every built-in collector's facts and the plan's
/// pack-defined log kinds; says what to collect for a missing fact, or that nothing provides it.
pub fn catalogue(plan: &ScanPlan) -> std::sync::Arc<triage_facts::Catalogue> {
    std::sync::Arc::new(triage_collectors::catalogue(Some(plan)))
}
