//! Finding and loading rule packs: the ones built into the binary (every pack under `rules/`,
//! embedded by `build.rs`) or those given with `--pack`: folders, or IDs of installed packs.
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

/// Loads the packs for a command: the `--pack` folders or installed pack IDs ([`resolve`]), or
/// every built-in pack when none is given. Warnings are printed to `err`; any error is printed
/// and ends the command.
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
            .map(|d| {
                let (d, verified) = resolve(d, err)?;
                let sources = match verified {
                    Some(files) => files,
                    None => read_pack_dir(&d)?,
                };
                Ok((PackOrigin::Dir(d.clone()), sources))
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

/// A `--pack` value: an existing path wins; otherwise the ID of an installed pack, whose files
/// are checked against its manifest, the lock file and its signature, and then used exactly as
/// checked (the pack's sources, returned with the folder). The store's warnings (an unsigned
/// pack, ignored key files) go to `err`.
pub fn resolve(arg: &Path, err: &mut Out) -> Result<(PathBuf, Option<Vec<SourceFile>>), Failure> {
    if arg.exists() {
        return Ok((arg.to_owned(), None));
    }
    let r = triage_store::resolve_pack(&arg.to_string_lossy())
        .map_err(|e| Failure::Message(miette::miette!("--pack {}: {e}", arg.display())))?;
    for w in &r.warnings {
        writeln!(err, "warning: {w}")?;
    }
    let sources = match r.files {
        None => None,
        Some(files) => Some(sources_of(&files).map_err(|e| {
            Failure::Message(miette::miette!("--pack {}: {}: {e}", arg.display(), r.dir.display()))
        })?),
    };
    Ok((r.dir, sources))
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
