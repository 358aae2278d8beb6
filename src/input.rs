//! Inputs of `run`, `facts` and `explain`: an artifact folder, a single artifact file, a bundle
//! (folder or `.zip`), a `.zip` of artifacts without a manifest (read like a folder), or a
//! fact-map JSON file (`triage facts --format json` output, or facts written by hand). Each input
//! is collected and evaluated on its own.
//!
//! A single input that is not a regular file (a pipe: `triage run <(cat file)`) is read once and
//! buffered in a temporary folder. A `.json` file is a fact map unless a collector claims it (the WSUS configuration export is
//! JSON too). Only an input that cannot be read at all is an error; a malformed artifact inside a
//! folder is a recorded collection error, and the run goes on.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::ProgressBar;

use triage_collectors::bundle::{OpenedArchive, OpenedBundle};
use triage_collectors::discover::{collect_path, resolve_inside, Collected, DiscoverOptions};
use triage_collectors::scratch::ScratchDir;
use triage_engine::InputSummary;
use triage_facts::{Artifact, FactMap, Recognition, ScanPlan, Value};

use crate::output::Ui;

/// What kind of thing an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A folder of artifacts; provenance paths are relative to it.
    Folder,
    /// One artifact file; provenance names it by its file name.
    File,
    /// A fact map read from JSON. Its provenance paths are taken relative to the JSON file's
    /// folder, so a fact map saved beside its artifacts still shows them.
    FactMap,
    /// A bundle (`triage collect`), folder or `.zip`; provenance paths are relative to its
    /// `artifacts/`, which are read through [`Input::bundle`] (verified against the manifest).
    Bundle,
    /// A `.zip` with no manifest: an archive of artifacts, read like a folder (entries checked as
    /// a bundle's, backslashes made `/`); provenance paths are its entry names, read back through
    /// [`Input::archive`].
    Archive,
}

/// One collected input.
#[derive(Debug)]
pub struct Input {
    /// The path as given on the command line; findings name their input with it.
    pub name: String,
    pub path: PathBuf,
    pub kind: InputKind,
    pub facts: FactMap,
    pub summary: InputSummary,
    /// The opened bundle, for [`InputKind::Bundle`] (its fact map moved into `facts`).
    pub bundle: Option<Arc<OpenedBundle>>,
    /// The opened archive, for [`InputKind::Archive`].
    pub archive: Option<Arc<OpenedArchive>>,
}

impl Input {
    /// Opens the artifact a provenance names, for the snippets of a report, through the same
    /// access rules as collection: a folder's (or a fact map's folder's) file must be a regular
    /// file inside it, links resolved ([`resolve_inside`]); a bundle's comes from the bundle
    /// (its `artifacts/`, or its `.zip` entry); a single file input only shows itself. `None`
    /// when it cannot be shown.
    pub fn open_artifact(&self, rel: &str) -> Option<Box<dyn Read + Send>> {
        let open =
            |p: PathBuf| -> Option<Box<dyn Read + Send>> { Some(Box::new(std::fs::File::open(p).ok()?)) };
        match self.kind {
            InputKind::File => {
                let name = self.path.file_name()?.to_string_lossy();
                // A pipe input was read once; it cannot be shown again.
                (name == rel && self.path.is_file()).then(|| open(self.path.clone())).flatten()
            }
            InputKind::Folder => open(resolve_inside(&self.path, rel).ok()?),
            InputKind::FactMap => {
                let dir = match self.path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                open(resolve_inside(&dir, rel).ok()?)
            }
            InputKind::Bundle => self.bundle.as_ref()?.open_artifact(rel).ok(),
            InputKind::Archive => self.archive.as_ref()?.open_artifact(rel).ok(),
        }
    }
}

/// Reads one input. `Err` is a message naming the input: it could not be read at all. The
/// summary names the host and the collection time where the input says ([`identify`]).
pub fn load(path: &Path, plan: &ScanPlan, ui: &Ui) -> Result<Input, String> {
    let mut input = load_any(path, plan, ui)?;
    // Known secrets in its facts are masked (`triage_collectors::secrets`), whatever the input.
    triage_collectors::secrets::mask_facts(&mut input.facts);
    let (host, collected_at) = identify(&input);
    input.summary.host = host;
    input.summary.collected_at = collected_at;
    Ok(input)
}

/// Registry values that name the computer, most specific first.
const HOST_VALUES: &[(&str, &str)] = &[
    (r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName", "ComputerName"),
    (r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters", "Hostname"),
];

/// The host an input came from and when it was collected, as far as the input itself says: a
/// bundle's manifest (host and time), else `collection.host` / `collection.collected_at` of a
/// saved fact map, else `systeminfo`'s host name, else the registry's `ComputerName`. A plain
/// folder has no collection time: the run's clock is never used, so reports stay reproducible.
/// A bundle's host `unknown` (nothing named it when it was written) counts as not known.
pub fn identify(input: &Input) -> (Option<String>, Option<String>) {
    let facts = &input.facts;
    let text = |path: &[&str]| {
        facts
            .get_segments(path)
            .and_then(|f| match &f.value {
                Value::Str(s) => Some(s.trim().to_owned()),
                Value::Timestamp(t) => Some(t.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty() && s != "unknown")
    };
    let manifest = input.bundle.as_ref().map(|b| &b.manifest);
    let host = manifest
        .map(|m| m.host.clone())
        .filter(|h| !h.is_empty() && h != "unknown")
        .or_else(|| text(&["collection", "host"]))
        .or_else(|| text(&["os", "hostname"]))
        .or_else(|| HOST_VALUES.iter().find_map(|(key, value)| text(&["registry", key, value])));
    let collected_at =
        manifest.map(|m| m.collected_at.clone()).or_else(|| text(&["collection", "collected_at"]));
    (host, collected_at)
}

fn load_any(path: &Path, plan: &ScanPlan, ui: &Ui) -> Result<Input, String> {
    let name = path.display().to_string();
    if path.as_os_str() == "-" {
        return load_stdin(plan, ui);
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: {e}"))?;
    if triage_collectors::bundle::looks_like_bundle(path) {
        return load_zip_or_bundle(path, &name, plan);
    }
    if !meta.is_dir() && !meta.is_file() {
        return load_stream(path, &name, plan, ui);
    }
    let spinner = ui.spinner(format!("collecting {name}"));
    let result = if meta.is_dir() {
        // A folder that cannot be listed is unreadable input, not a collection error.
        std::fs::read_dir(path).map_err(|e| format!("{name}: {e}"))?;
        // One host per input: never a merge of several hosts' artifacts.
        crate::hosts::check_one_host(path, &name)?;
        collect(path, &name, InputKind::Folder, plan, &spinner)
    } else {
        let head = read_head(path).map_err(|e| format!("{name}: {e}"))?;
        if is_fact_map_candidate(path, &head, meta.len()) {
            read_fact_map(path, &name)
        } else {
            collect(path, &name, InputKind::File, plan, &spinner)
        }
    };
    spinner.finish_and_clear();
    result
}

/// The most a pipe input is read: artifacts are files of a few megabytes at most.
const MAX_STREAM_BYTES: u64 = 512 * 1024 * 1024;

/// A single input that is a pipe, a FIFO or a device (`triage run <(cat file)`): its bytes are read
/// once into a private temporary folder, under the input's own file name, and collected from
/// there (or read as a fact map when it is JSON no collector claims). The input is named as given.
fn load_stream(path: &Path, name: &str, plan: &ScanPlan, ui: &Ui) -> Result<Input, String> {
    let bytes = read_stream(std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?, name)?;
    let file_name = path.file_name().map_or_else(|| "input".into(), |n| n.to_string_lossy().into_owned());
    load_buffered(path, name, &file_name, &bytes, plan, ui)
}

/// At most [`MAX_STREAM_BYTES`] of a stream, or an error saying it is larger.
fn read_stream(stream: impl Read, name: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    stream.take(MAX_STREAM_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() as u64 > MAX_STREAM_BYTES {
        return Err(format!(
            "{name}: not a regular file and larger than {} MiB; save it to a file first",
            MAX_STREAM_BYTES >> 20
        ));
    }
    Ok(bytes)
}

/// `-`: standard input, read once. A zip is a bundle (`triage collect --output -` or a bundle
/// file piped in); JSON no collector claims is a fact map (`triage facts --format json`); anything
/// else is one artifact, recognised by its content. The input is named `-`.
fn load_stdin(plan: &ScanPlan, ui: &Ui) -> Result<Input, String> {
    let bytes = read_stream(std::io::stdin().lock(), "-")?;
    if bytes.starts_with(b"PK\x03\x04") {
        crate::cleanup::on_signal();
        let dir =
            ScratchDir::new("input").map_err(|e| format!("-: standard input could not be buffered: {e}"))?;
        let copy = dir.path().join("stdin.zip");
        let result = std::fs::write(&copy, &bytes)
            .map_err(|e| format!("-: standard input could not be buffered: {e}"))
            .and_then(|()| load_zip_or_bundle(&copy, "-", plan));
        drop(dir);
        return result.map(|mut input| {
            input.path = PathBuf::from("-");
            input
        });
    }
    load_buffered(Path::new("-"), "-", "stdin", &bytes, plan, ui)
}

/// Collects `bytes` (read from `path`, a pipe) as one artifact named `file_name`, or reads them
/// as a fact map when they are JSON that no collector claims.
fn load_buffered(
    path: &Path,
    name: &str,
    file_name: &str,
    bytes: &[u8],
    plan: &ScanPlan,
    ui: &Ui,
) -> Result<Input, String> {
    crate::cleanup::on_signal();
    let dir = ScratchDir::new("input")
        .map_err(|e| format!("{name}: not a regular file, and it could not be buffered: {e}"))?;
    let copy = dir.path().join(file_name);
    let result = std::fs::write(&copy, bytes)
        .map_err(|e| format!("{name}: not a regular file, and it could not be buffered: {e}"))
        .and_then(|()| {
            let head = &bytes[..bytes.len().min(Artifact::HEAD_LEN)];
            let json =
                head.iter().find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF);
            let claimed = {
                let artifact = Artifact { rel_path: file_name, path: &copy, head, size: bytes.len() as u64 };
                triage_collectors::all().iter().any(|c| c.recognise(&artifact) > Recognition::No)
            };
            if json == Some(&b'{') && !claimed {
                read_fact_map(&copy, name)
            } else {
                let spinner = ui.spinner(format!("collecting {name}"));
                let r = collect(&copy, name, InputKind::File, plan, &spinner);
                spinner.finish_and_clear();
                r
            }
        });
    drop(dir);
    result.map(|mut input| {
        input.path = path.to_path_buf();
        input
    })
}

fn collect(
    path: &Path,
    name: &str,
    kind: InputKind,
    plan: &ScanPlan,
    bar: &ProgressBar,
) -> Result<Input, String> {
    let collectors = triage_collectors::all();
    let plan = (!plan.is_empty()).then_some(plan);
    let mut options = DiscoverOptions::default();
    if !bar.is_hidden() {
        let bar = bar.clone();
        options.progress = Some(Arc::new(move |done: u64, total: u64| {
            bar.set_length(total);
            bar.set_position(done);
        }));
    }
    let collected = collect_path(path, &collectors, plan, &options).map_err(|e| format!("{name}: {e}"))?;
    Ok(input_of(path, name, kind, collected))
}

/// The input collected from `path`.
fn input_of(path: &Path, name: &str, kind: InputKind, collected: Collected) -> Input {
    let summary = InputSummary {
        input: name.to_owned(),
        host: None,
        collected_at: None,
        artifacts: collected.artifacts.len() as u64,
        unrecognised: collected
            .artifacts
            .iter()
            .filter(|a| a.collector.is_none())
            .map(|a| a.describe())
            .collect(),
        collection_errors: collected.errors.iter().map(ToString::to_string).collect(),
    };
    Input {
        name: name.to_owned(),
        path: path.to_path_buf(),
        kind,
        facts: collected.facts,
        summary,
        bundle: None,
        archive: None,
    }
}

fn read_fact_map(path: &Path, name: &str) -> Result<Input, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let facts = FactMap::from_json_str(text).map_err(|e| format!("{name}: not a fact map: {e}"))?;
    let summary = summary_from_facts(name, &facts);
    Ok(Input {
        name: name.to_owned(),
        path: path.to_path_buf(),
        kind: InputKind::FactMap,
        facts,
        summary,
        bundle: None,
        archive: None,
    })
}

/// A bundle folder, or a `.zip`: a bundle when it holds a `manifest.json`, else an archive of
/// artifacts ([`load_archive`]).
fn load_zip_or_bundle(path: &Path, name: &str, plan: &ScanPlan) -> Result<Input, String> {
    if path.is_file() && !triage_collectors::bundle::zip_has_manifest(path).map_err(|e| e.to_string())? {
        return load_archive(path, name, plan);
    }
    load_bundle(path, name, plan)
}

/// Opens a `.zip` without a manifest as an archive of artifacts (refusing unsafe entries, see
/// `triage_collectors::bundle::archive`) and collects its files like a folder's; an unsafe
/// archive is an input error (exit status 2).
fn load_archive(path: &Path, name: &str, plan: &ScanPlan) -> Result<Input, String> {
    let a = triage_collectors::bundle::open_archive_of_artifacts(path).map_err(|e| e.to_string())?;
    let plan = (!plan.is_empty()).then_some(plan);
    crate::cleanup::on_signal();
    let collected =
        a.collect(&triage_collectors::all(), plan, &DiscoverOptions::default()).map_err(|e| e.to_string())?;
    let mut input = input_of(path, name, InputKind::Archive, collected);
    input.archive = Some(Arc::new(a));
    Ok(input)
}

/// Opens a bundle (refusing unsafe ones, see `triage_collectors::bundle`). Its artifacts are
/// verified against the manifest and collected again with this run's scan plan; a mismatch
/// refuses the whole bundle (an input error: exit status 2). `facts.json` only adds the facts of
/// artifacts the bundle does not carry.
fn load_bundle(path: &Path, name: &str, plan: &ScanPlan) -> Result<Input, String> {
    let mut b = triage_collectors::bundle::open(path).map_err(|e| e.to_string())?;
    let plan = (!plan.is_empty()).then_some(plan);
    crate::cleanup::on_signal();
    let facts = b.collect_facts(&triage_collectors::all(), plan).map_err(|e| e.to_string())?;
    b.facts = FactMap::default();
    let mut summary = summary_from_facts(name, &facts);
    summary.artifacts = b.manifest.artifacts.len() as u64;
    Ok(Input {
        name: name.to_owned(),
        path: path.to_path_buf(),
        kind: InputKind::Bundle,
        facts,
        summary,
        bundle: Some(Arc::new(b)),
        archive: None,
    })
}

/// A `.json` file that no collector claims.
fn is_fact_map_candidate(path: &Path, head: &[u8], size: u64) -> bool {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if !is_json {
        return false;
    }
    let rel = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let artifact = Artifact { rel_path: &rel, path, head, size };
    !triage_collectors::all().iter().any(|c| c.recognise(&artifact) > Recognition::No)
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut head = Vec::with_capacity(Artifact::HEAD_LEN);
    f.by_ref().take(Artifact::HEAD_LEN as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// The collection summary of a saved fact map, from its `collection` namespace (absent for facts
/// written by hand).
fn summary_from_facts(name: &str, facts: &FactMap) -> InputSummary {
    let strings = |path: &str| -> Vec<String> {
        match facts.get(path).map(|f| &f.value) {
            Some(Value::List(l)) => l.iter().filter_map(|f| f.value.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        }
    };
    let artifacts = match facts.get("collection.artifacts").map(|f| &f.value) {
        Some(Value::Map(m)) => m.len() as u64,
        _ => 0,
    };
    InputSummary {
        input: name.to_owned(),
        host: None,
        collected_at: None,
        artifacts,
        unrecognised: strings("collection.unrecognised"),
        collection_errors: strings("collection.errors"),
    }
}
