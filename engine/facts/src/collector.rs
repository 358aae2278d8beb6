//! The collector trait: the one contract between artifact readers and everything else.
//!
//! A collector recognises the artifacts it can read (by name and by content) and turns one
//! artifact into facts, best effort: what it cannot parse becomes a [`CollectionError`] with a
//! location, and everything else is still returned.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalogue::{FactDecl, LogKindDecl};
use crate::fact_map::FactMap;
use crate::scan::ScanPlan;

/// Static description of a collector, listed by `triage collectors` and in the docs.
#[derive(Debug)]
pub struct CollectorInfo {
    /// Stable name, used in provenance (`registry`, `wsus-log`, …).
    pub name: &'static str,
    /// Bumped whenever the facts it produces change shape or meaning.
    pub version: &'static str,
    /// What it reads, for people: "registry exports (`reg export`, regedit)".
    pub reads: &'static str,
    /// Typical file names, for people and for `missing_facts` hints.
    pub typical_names: &'static [&'static str],
    /// Top-level fact paths it writes (`registry`, `logs.wsus`, `os`, …).
    pub provides: &'static [&'static str],
    /// Every fact path it writes, with its types: its part of the fact catalogue
    /// ([`crate::catalogue`]). Each path starts with one of `provides`.
    pub facts: &'static [FactDecl],
    /// The log kind it reads, with the fields of its records (log collectors only).
    pub log_kind: Option<&'static LogKindDecl>,
}

/// One file offered to the collectors.
#[derive(Debug)]
pub struct Artifact<'a> {
    /// Path relative to the input root, `/`-separated; what provenance records.
    pub rel_path: &'a str,
    /// Where to read it.
    pub path: &'a Path,
    /// The first bytes of the file (up to [`Artifact::HEAD_LEN`]), for recognition.
    pub head: &'a [u8],
    pub size: u64,
}

impl Artifact<'_> {
    pub const HEAD_LEN: usize = 8192;

    /// The file name, lower-cased, for name-based recognition.
    pub fn file_name_lower(&self) -> String {
        self.rel_path.rsplit('/').next().unwrap_or(self.rel_path).to_ascii_lowercase()
    }
}

/// How sure a collector is that an artifact is its own. The highest bid wins; ties go to the
/// collector listed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recognition {
    No,
    /// The content looks right but the name is unusual.
    ByContent,
    /// The name is right and the content agrees (or content cannot tell).
    ByNameAndContent,
}

/// What the caller hands every collector besides the artifact.
#[derive(Debug, Default)]
pub struct CollectContext<'a> {
    /// Log patterns and pack-defined log kinds to scan for while reading.
    pub plan: Option<&'a ScanPlan>,
    /// When the input was collected (a bundle's `collected_at`), if known: year-less log times
    /// are placed before it ([`crate::LogKindSpec::no_year`]). Never the clock of the run.
    pub reference_time: Option<crate::Timestamp>,
}

/// A collector's result for one artifact.
#[derive(Debug, Default)]
pub struct CollectorOutput {
    pub facts: FactMap,
    pub errors: Vec<CollectionError>,
    /// Text encoding detected (`utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`, `binary`).
    pub encoding: Option<String>,
    /// Records, values or packets read, for the collection summary.
    pub items: u64,
}

/// Something that could not be read, with where.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionError {
    pub artifact: String,
    pub collector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// Byte offset in the raw file, where a line makes no sense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    pub message: String,
}

impl CollectionError {
    pub fn new(artifact: &str, collector: &str, message: impl Into<String>) -> Self {
        CollectionError {
            artifact: artifact.to_owned(),
            collector: collector.to_owned(),
            line: None,
            column: None,
            offset: None,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn at_column(mut self, column: u64) -> Self {
        self.column = Some(column);
        self
    }

    pub fn at_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
}

impl std::fmt::Display for CollectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.artifact)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        } else if let Some(o) = self.offset {
            write!(f, " @{o:#x}")?;
        }
        write!(f, ": [{}] {}", self.collector, self.message)
    }
}

/// A reader of one artifact format. Implementations never panic on input and never modify it.
pub trait Collector: Send + Sync {
    fn info(&self) -> &'static CollectorInfo;

    /// Whether this collector reads `artifact`, judged from its name and first bytes.
    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition;

    /// Reads `artifact` into facts, best effort.
    fn collect(&self, artifact: &Artifact<'_>, ctx: &CollectContext<'_>) -> CollectorOutput;
}
