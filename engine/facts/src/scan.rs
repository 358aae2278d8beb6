//! Scan plans: what packs ask the log collectors to look for while they read.
//!
//! Packs are data, so what they want from logs travels as data too: the engine turns a pack's
//! signals and log kinds into a [`ScanPlan`], and the log collectors execute it in one pass per
//! file. Neither side depends on the other.
//!
//! Each match becomes a fact under `signals.<signal id>`: a list of maps, one per matching
//! **record**, with at least `line` (first line of the record), `match_line`, `text` (the
//! record, capped at [`MAX_RECORD_TEXT`] bytes), `fields` (the record's parsed fields, e.g.
//! `process`, `level`, `component`, `time`) and `captures` (named groups of the pattern), and a
//! provenance pointing at the matching line.

use std::any::Any;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

/// Longest record text kept in a signal match.
pub const MAX_RECORD_TEXT: usize = 16 * 1024;

/// How big one signal's compiled regex may be (the `regex` crate's `size_limit`, which bounds
/// its NFA). Patterns are compiled multi-line with CRLF line ends (`(?mR)`), as the scanner
/// runs them; the loader compiles every pattern exactly so, so a pattern past this limit is a
/// load error of its pack, never a surprise during a scan.
pub const SIGNAL_REGEX_SIZE_LIMIT: usize = 8 << 20;

/// How big the search over one pack's signals of one log kind may be, all together (the NFA
/// size limit of one multi-pattern regex over them). Checked at load like
/// [`SIGNAL_REGEX_SIZE_LIMIT`]; the scanner searches each pack's signals within this limit
/// whatever the other packs hold.
pub const PACK_SCAN_SIZE_LIMIT: usize = 16 << 20;

/// How big the one combined search over every pack's signals of a log kind may be. When the
/// packs together exceed it, the scanner searches each pack's signals apart (each within
/// [`PACK_SCAN_SIZE_LIMIT`]): slower, never with fewer matches.
pub const COMBINED_SCAN_SIZE_LIMIT: usize = 32 << 20;

/// How big a log kind's `record_start` and `fields` regexes may be.
pub const LOG_KIND_REGEX_SIZE_LIMIT: usize = 4 << 20;

/// Every log pattern, pack-defined log kind and pack-defined file kind of the loaded packs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanPlan {
    pub signals: Vec<SignalSpec>,
    pub log_kinds: Vec<LogKindSpec>,
    /// Structured files packs teach the collectors (`[file_kinds]`), read whole, not scanned.
    #[serde(default)]
    pub file_kinds: Vec<FileKindSpec>,
    /// The plan's compiled form, built by the log collectors the first time a file is scanned
    /// with it and shared by every later file, input and thread of the run. Not part of the
    /// plan's value: see [`PlanCache`].
    #[serde(skip)]
    pub compiled: PlanCache,
}

impl ScanPlan {
    /// A plan of these signals and log kinds, not compiled yet.
    pub fn new(signals: Vec<SignalSpec>, log_kinds: Vec<LogKindSpec>) -> ScanPlan {
        ScanPlan { signals, log_kinds, file_kinds: Vec::new(), compiled: PlanCache::default() }
    }
}

/// Room for a [`ScanPlan`]'s compiled form (automata, regexes, search plans), which only the
/// collectors know the type of; this crate keeps it opaque. Filled once (a `OnceLock`: after
/// the first fill, a read is one atomic load, no lock), so a plan handed by reference to every
/// input and thread is compiled once per run. It is a cache, not data: a clone starts empty,
/// equality ignores it and it is never serialised. Whoever fills it records what it was built
/// from and checks that on every use (the plan's fields are public and could change).
#[derive(Default)]
pub struct PlanCache(OnceLock<Arc<dyn Any + Send + Sync>>);

impl PlanCache {
    /// The compiled form, built by `build` on the first call (by one thread; others wait for it).
    /// `None` when it holds a value of another type.
    pub fn get_or_init<T: Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> Option<Arc<T>> {
        let any = self.0.get_or_init(|| Arc::new(build()));
        Arc::clone(any).downcast::<T>().ok()
    }
}

impl Clone for PlanCache {
    fn clone(&self) -> Self {
        PlanCache::default()
    }
}

impl PartialEq for PlanCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "PlanCache(compiled)" } else { "PlanCache(empty)" })
    }
}

/// One log pattern. `pattern` is a regex (Rust `regex` syntax) validated when the pack loaded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignalSpec {
    /// Unique across packs: `<pack id>/<signal name>`. The part before the `/` is the signal's
    /// pack: the scanner keeps each pack's patterns apart where they could interfere.
    pub id: String,
    /// The log kind it applies to (`wsus`, `configmgr`, or a pack-defined kind).
    pub log: String,
    pub pattern: String,
    /// Matches kept per file; later ones are counted in `signals_truncated.<id>.<rel path>` only.
    pub max_matches: usize,
}

/// A text log format taught by a pack: which files, where a record starts, and its fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogKindSpec {
    /// Name used by signals' `log = …` and for facts under `logs.<name>`.
    pub name: String,
    /// File-name globs (`*` and `?`, case-insensitive), e.g. `u_ex*.log`.
    pub files: Vec<String>,
    /// A regex matched at the start of a line; a line that matches starts a new record.
    pub record_start: String,
    /// A regex with named groups applied to a record's first line; the groups become the
    /// record's `fields`.
    pub fields: Option<String>,
    /// The `time` group carries no year (`Jan  5 10:00:00`, syslog): each time is placed in the
    /// latest year that does not put it more than a day after the input's collection time
    /// ([`crate::CollectContext::reference_time`]); without one it stays text. A `time` that
    /// has a year (RFC 3339) is read as it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_year: bool,
}

/// A structured file format taught by a pack (`[file_kinds.NAME]`): which files (globs over the
/// name or the path in the input, narrowed by an optional regex over the first bytes), and how
/// to read them. The collector `file-kind` reads each into facts under `files.<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileKindSpec {
    /// `<pack id>/<kind>` in a plan; facts under `files.<name>`.
    pub name: String,
    /// Globs (`*` and `?`, case-insensitive) matched against the file name and against the
    /// `/`-separated path in the input (`sshd_config`, `sshd_config.d/*.conf`).
    pub files: Vec<String>,
    /// A regex the file's first [`crate::Artifact::HEAD_LEN`] bytes (decoded) must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    pub format: FileFormat,
    /// `keyvalue`: the keyword that includes other files (`Include`), case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<String>,
    /// `keyvalue`: keywords that open a conditional section lasting to the next one or to the
    /// end of the file (`Match`), case-insensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<String>,
}

/// How a file kind is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// `[section]` headers and `key = value` lines (`;` and `#` comments).
    Ini,
    /// `Keyword value` lines (sshd_config, Apache): `#` comments, optional `=` after the keyword.
    KeyValue,
    Json,
    /// A tree of elements and attributes.
    Xml,
    /// A header row and rows (`,`, `;` or tab, RFC 4180 quoting).
    Csv,
}

impl FileFormat {
    /// Every format, as packs name them.
    pub const ALL: &'static [(&'static str, FileFormat)] = &[
        ("ini", FileFormat::Ini),
        ("keyvalue", FileFormat::KeyValue),
        ("json", FileFormat::Json),
        ("xml", FileFormat::Xml),
        ("csv", FileFormat::Csv),
    ];

    /// The name packs use (`format = "keyvalue"`).
    pub fn name(self) -> &'static str {
        FileFormat::ALL.iter().find(|(_, f)| *f == self).map_or("", |(n, _)| n)
    }

    pub fn from_name(name: &str) -> Option<FileFormat> {
        FileFormat::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }
}

impl SignalSpec {
    /// The pack the signal belongs to: its ID up to the `/`.
    pub fn pack(&self) -> &str {
        self.id.split_once('/').map_or(self.id.as_str(), |(p, _)| p)
    }
}

impl ScanPlan {
    pub fn signals_for<'a>(&'a self, log: &'a str) -> impl Iterator<Item = &'a SignalSpec> + 'a {
        self.signals.iter().filter(move |s| s.log == log)
    }

    pub fn is_empty(&self) -> bool {
        self.signals.is_empty() && self.log_kinds.is_empty() && self.file_kinds.is_empty()
    }
}
