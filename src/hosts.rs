//! One host per input. A folder given to `run` may hold the collections of several hosts — a
//! folder per server, bundles beside them — and merging them would mix one server's registry
//! with another's logs. This module decides, before anything is collected, what each
//! command-line folder is:
//!
//! - **several inputs**, one per host, each named by its path (`hosts/wsus-a`, `hosts/c.zip`),
//!   when two or more of its subfolders or bundles *identify a host* and they cannot be one
//!   host's parts:
//!   one of them is a bundle (a bundle is always one host's, whole), or two of them hold the
//!   same kind of identifying artifact, or they name different hosts. Each such entry is then
//!   planned the same way (a folder of sites, each a folder of hosts, is split twice, at most
//!   [`MAX_DEPTH`] levels). Files and folders beside them that identify no host but hold
//!   artifacts (a stray log) belong to none: they are refused with a message naming them, never
//!   merged into a host (files no collector recognises, a README, are left alone);
//! - **one input** otherwise — the collection script's own layout (`registry\`, `system\`,
//!   `gpo\`, … with one systeminfo and one registry export between them) is one host whose
//!   identifying artifacts are of different kinds and agree;
//! - **refused** when, as one input, its artifacts name two hosts (two systeminfo with different
//!   host names): an error for that input, not a merge ([`check_one_host`]).
//!
//! What identifies a host ([`Identity`]): a `systeminfo` output (its host name), a registry export
//! holding `…\Control\ComputerName\ComputerName` (its name) or `…\Windows NT\CurrentVersion` (no
//! name), a bundle's manifest (its host), and a `.zip` of artifacts (no name). They are found by
//! the same collectors `run` uses, on the few files that could be one (by name and content, at
//! most [`MAX_IDENTITY_BYTES`] each), in a walk bounded by [`MAX_ENTRIES`] and [`MAX_DEPTH_WALK`];
//! links are not followed. Each file is read once per run (the answers are cached).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use triage_collectors::discover::{collect_files, DiscoverOptions};
use triage_facts::{Artifact, Collector, Recognition, Value};

/// How deep folders of hosts are split (a folder of sites of hosts is two levels).
pub const MAX_DEPTH: usize = 4;
/// Entries walked per folder when looking for what identifies a host.
pub const MAX_ENTRIES: usize = 100_000;
/// Folder depth walked below a folder when looking for what identifies a host.
pub const MAX_DEPTH_WALK: usize = 16;
/// Files larger than this are not read to identify a host (a systeminfo is a few KiB, the
/// registry exports triage takes a few MiB at most).
pub const MAX_IDENTITY_BYTES: u64 = 32 << 20;

/// What kind of artifact identified a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Systeminfo,
    /// A registry export of `ComputerName` or `Windows NT\CurrentVersion`.
    Registry,
    /// A bundle's manifest.
    Bundle,
    /// A `.zip` of artifacts without a manifest.
    Archive,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Systeminfo => "systeminfo",
            Kind::Registry => "registry export of the computer name or OS version",
            Kind::Bundle => "bundle",
            Kind::Archive => "zip of artifacts",
        }
    }
}

/// One artifact that identifies a host: its kind, the host name it gives (if any), and where it
/// is (relative to the folder being planned, `/`-separated).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Identity {
    pub kind: Kind,
    pub host: Option<String>,
    pub at: String,
}

/// One input a command-line path stands for: collected and evaluated on its own, or refused
/// (`refused`: the message, which names it first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub path: PathBuf,
    pub refused: Option<String>,
}

impl Planned {
    fn input(path: &Path) -> Planned {
        Planned { path: path.to_owned(), refused: None }
    }
}

/// The inputs `paths` stand for, in order, each path once: a folder holding several hosts'
/// collections becomes one input per host (see the module documentation), anything else is
/// itself.
pub fn expand(paths: &[PathBuf]) -> Vec<Planned> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in paths {
        for planned in plan(p, 0) {
            if seen.insert((planned.path.clone(), planned.refused.is_some())) {
                out.push(planned);
            }
        }
    }
    out
}

/// The hosts a folder holds as separate collections: the entries (sorted by name) that are one
/// host's each, and the entries that identify no host. `None` when the folder is one input.
#[derive(Debug)]
struct Split {
    hosts: Vec<PathBuf>,
    leftovers: Vec<String>,
}

fn plan(path: &Path, depth: usize) -> Vec<Planned> {
    match split(path) {
        Some(s) if depth < MAX_DEPTH => {
            let mut out: Vec<Planned> = s.hosts.iter().flat_map(|h| plan(h, depth + 1)).collect();
            if !s.leftovers.is_empty() {
                let name = path.display().to_string();
                let hosts: Vec<String> = s.hosts.iter().map(|h| entry_name(h)).collect();
                out.push(Planned {
                    path: path.to_owned(),
                    refused: Some(format!(
                        "{name}: holds the collections of {} hosts ({}), each evaluated on its own, and also {}, which belong to none of them and were not evaluated: move them into a host's folder",
                        hosts.len(),
                        hosts.join(", "),
                        s.leftovers.join(", ")
                    )),
                });
            }
            out
        }
        _ => vec![Planned::input(path)],
    }
}

/// The last component of `p`, with a `/` after a folder's.
fn entry_name(p: &Path) -> String {
    let n = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if p.is_dir() {
        format!("{n}/")
    } else {
        n
    }
}

/// Whether `path` is a folder of several hosts' collections, and which.
fn split(path: &Path) -> Option<Split> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_dir() || triage_collectors::bundle::looks_like_bundle(path) {
        return None;
    }
    let mut children: Vec<PathBuf> =
        std::fs::read_dir(path).ok()?.filter_map(Result::ok).map(|e| e.path()).collect();
    children.sort();
    let mut units: Vec<(PathBuf, Vec<Identity>)> = Vec::new();
    let mut others = Vec::new();
    for child in children.into_iter().take(MAX_ENTRIES) {
        // Only a subfolder or a bundle can be a host's collection; a loose file is the folder's
        // own (a systeminfo beside host folders belongs to none of them).
        let ids = if child.is_dir() || triage_collectors::bundle::looks_like_bundle(&child) {
            identities_of_entry(&child)
        } else {
            Vec::new()
        };
        if ids.is_empty() {
            others.push(child);
        } else {
            units.push((child, ids));
        }
    }
    if units.len() < 2 {
        return None;
    }
    let whole =
        units.iter().any(|(_, ids)| ids.iter().any(|i| matches!(i.kind, Kind::Bundle | Kind::Archive)));
    let mut kinds_seen: BTreeSet<Kind> = BTreeSet::new();
    let mut shared_kind = false;
    for (_, ids) in &units {
        let kinds: BTreeSet<Kind> = ids.iter().map(|i| i.kind).collect();
        shared_kind |= kinds.iter().any(|k| kinds_seen.contains(k));
        kinds_seen.extend(kinds);
    }
    let names: BTreeSet<String> =
        units.iter().flat_map(|(_, ids)| ids.iter().filter_map(|i| i.host.as_deref()).map(fold)).collect();
    if !(whole || shared_kind || names.len() > 1) {
        return None;
    }
    let leftovers = others.iter().filter(|p| holds_artifacts(p)).map(|p| entry_name(p)).collect();
    Some(Split { hosts: units.into_iter().map(|(p, _)| p).collect(), leftovers })
}

/// Whether `p` is, or holds, a file some collector recognises: what would be lost if it were
/// left out. (A README beside the hosts is not.) Bounded as the identity walk is.
fn holds_artifacts(p: &Path) -> bool {
    let all = triage_collectors::all();
    let recognised = |path: &Path| {
        let Ok(meta) = std::fs::metadata(path) else { return false };
        let mut head = Vec::with_capacity(Artifact::HEAD_LEN);
        let read =
            std::fs::File::open(path).and_then(|f| f.take(Artifact::HEAD_LEN as u64).read_to_end(&mut head));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let artifact = Artifact { rel_path: &name, path, head: &head, size: meta.len() };
        read.is_ok() && all.iter().any(|c| c.recognise(&artifact) > Recognition::No)
    };
    walkdir::WalkDir::new(p)
        .follow_links(false)
        .max_depth(MAX_DEPTH_WALK)
        .into_iter()
        .filter_map(Result::ok)
        .take(MAX_ENTRIES)
        .any(|e| e.file_type().is_file() && recognised(e.path()))
}

/// Host names compare as Windows compares them: without regard to case.
fn fold(name: &str) -> String {
    name.to_ascii_uppercase()
}

/// Refuses a folder input whose artifacts name more than one host (`Err`: the message), and a
/// folder of several hosts' collections given where one input is expected (`facts`,
/// `explain`). Anything but a folder passes.
pub fn check_one_host(path: &Path, name: &str) -> Result<(), String> {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return Ok(()) };
    if !meta.is_dir() || triage_collectors::bundle::looks_like_bundle(path) {
        return Ok(());
    }
    if let Some(s) = split(path) {
        let hosts: Vec<String> = s.hosts.iter().map(|h| entry_name(h)).collect();
        return Err(format!(
            "{name}: holds the collections of {} hosts ({}), which are never merged: give one of them (`triage run` evaluates each on its own)",
            hosts.len(),
            hosts.join(", ")
        ));
    }
    let ids = identities_under(path, "");
    let mut by_host: BTreeMap<String, (String, &Identity)> = BTreeMap::new();
    for i in &ids {
        if let Some(h) = &i.host {
            by_host.entry(fold(h)).or_insert((h.clone(), i));
        }
    }
    if by_host.len() > 1 {
        let named: Vec<String> =
            by_host.values().map(|(h, i)| format!("{} ({}) names {h}", i.at, i.kind.describe())).collect();
        return Err(format!(
            "{name}: artifacts of {} different hosts in one input ({}): they are not merged; give each host its own folder",
            by_host.len(),
            named.join(", ")
        ));
    }
    Ok(())
}

/// What identifies a host in one subfolder or bundle of a folder: a bundle or `.zip` is one
/// identity; a folder, everything found under it.
fn identities_of_entry(p: &Path) -> Vec<Identity> {
    let Ok(meta) = std::fs::symlink_metadata(p) else { return Vec::new() };
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if meta.is_dir() {
        if triage_collectors::bundle::looks_like_bundle(p) {
            return vec![bundle_identity(p, &name)];
        }
        return identities_under(p, &name);
    }
    if meta.is_file() && triage_collectors::bundle::looks_like_bundle(p) {
        return vec![bundle_identity(p, &name)];
    }
    Vec::new()
}

/// A bundle's (or `.zip`'s) identity: its manifest's host, if it opens.
fn bundle_identity(p: &Path, at: &str) -> Identity {
    if p.is_file() && !triage_collectors::bundle::zip_has_manifest(p).unwrap_or(true) {
        return Identity { kind: Kind::Archive, host: None, at: at.to_owned() };
    }
    let host = triage_collectors::bundle::open(p)
        .ok()
        .map(|b| b.manifest.host)
        .filter(|h| !h.is_empty() && h != "unknown");
    Identity { kind: Kind::Bundle, host, at: at.to_owned() }
}

/// Every identity under the folder `dir` (shown as `prefix/…`), in a bounded walk that follows
/// no links.
fn identities_under(dir: &Path, prefix: &str) -> Vec<Identity> {
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(dir).follow_links(false).max_depth(MAX_DEPTH_WALK).sort_by_file_name();
    for entry in walk.into_iter().filter_map(Result::ok).take(MAX_ENTRIES) {
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let at = if prefix.is_empty() { rel } else { format!("{prefix}/{rel}") };
        if let Some(i) = file_identity(entry.path(), &at) {
            out.push(i);
        }
    }
    out
}

/// Answers already found, by file: a file is read once per run however often it is asked about.
static CACHE: Mutex<BTreeMap<PathBuf, Option<Found>>> = Mutex::new(BTreeMap::new());

/// What one file says: the kind of identifying artifact it is and the host it names.
type Found = (Kind, Option<String>);

/// The identity one file gives, if it is a systeminfo output or a registry export that names
/// the computer or its OS version.
fn file_identity(path: &Path, at: &str) -> Option<Identity> {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let cached = CACHE.lock().ok().and_then(|c| c.get(&key).cloned());
    let found = match cached {
        Some(found) => found,
        None => {
            let found = read_identity(path);
            if let Ok(mut c) = CACHE.lock() {
                c.insert(key, found.clone());
            }
            found
        }
    };
    found.map(|(kind, host)| Identity { kind, host, at: at.to_owned() })
}

/// Registry keys that identify a host, with the value that names it (`None`: the key alone).
const REGISTRY_IDENTITY: &[(&str, Option<&str>)] = &[
    (r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName", Some("ComputerName")),
    (r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", None),
];

fn read_identity(path: &Path) -> Option<Found> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_IDENTITY_BYTES || meta.len() == 0 {
        return None;
    }
    let mut head = Vec::with_capacity(Artifact::HEAD_LEN);
    std::fs::File::open(path).ok()?.take(Artifact::HEAD_LEN as u64).read_to_end(&mut head).ok()?;
    let file_name = path.file_name()?.to_string_lossy().into_owned();
    let artifact = Artifact { rel_path: &file_name, path, head: &head, size: meta.len() };
    let all = triage_collectors::all();
    let pick = |name: &str| all.iter().copied().find(|c| c.info().name == name);
    let systeminfo = pick("systeminfo")?;
    let registry = pick("registry")?;
    let (kind, collector): (Kind, &dyn Collector) = if systeminfo.recognise(&artifact) > Recognition::No {
        (Kind::Systeminfo, systeminfo)
    } else if registry.recognise(&artifact) > Recognition::No {
        (Kind::Registry, registry)
    } else {
        return None;
    };
    let dir = path.parent()?;
    let collected = collect_files(dir, &[file_name], &[collector], None, &DiscoverOptions::default());
    let text = |segments: &[&str]| {
        collected.facts.get_segments(segments).and_then(|f| match &f.value {
            Value::Str(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            _ => None,
        })
    };
    match kind {
        Kind::Systeminfo => text(&["os", "hostname"]).map(|h| (kind, Some(h))),
        _ => {
            let mut found = None;
            for (key, value) in REGISTRY_IDENTITY {
                if collected.facts.get_segments(&["registry", key]).is_none() {
                    continue;
                }
                let host = value.and_then(|v| text(&["registry", key, v]));
                if host.is_some() {
                    return Some((kind, host));
                }
                found = Some((kind, None));
            }
            found
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_compare_without_case() {
        assert_eq!(fold("wsus-a"), fold("WSUS-A"));
    }
}
