//! The bundle manifest (`manifest.json`): what was collected, when, where, by which collector
//! versions, with which errors, and the hash of every file in the bundle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use triage_facts::CollectionError;

/// `manifest.json`. Field order is the JSON order; maps are sorted, lists are sorted by path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always `"triage-bundle"`, so a stray `manifest.json` is not mistaken for one.
    pub format: String,
    /// [`super::FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Version of the triage that wrote the bundle.
    pub triage_version: String,
    /// Collection time, RFC 3339 UTC (`2026-11-25T16:00:00.000Z`).
    pub collected_at: String,
    /// Host the artifacts came from (pseudonymised when redacted); `unknown` when no artifact
    /// names it and none was given.
    pub host: String,
    /// `live` (collected on the host by `triage collect`) or `folder` (`--from DIR`).
    pub source: String,
    /// Total collection time in milliseconds; absent in reproducible bundles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// SHA-256 of the JSON scan plan the log collectors ran (the loaded packs' signals), so a
    /// reader can tell whether `facts.json` already holds its signals; absent when none ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_plan_sha256: Option<String>,
    /// Per collector (by name): version, what it read and the errors it recorded.
    pub collectors: BTreeMap<String, CollectorRecord>,
    /// Every artifact stored under `artifacts/`, sorted by path.
    pub artifacts: Vec<ArtifactRecord>,
    /// `facts.json`: size and hash.
    pub facts: FileRecord,
    /// Errors of the collection itself (missing sources, failed commands, discovery), and of
    /// artifacts no collector claimed.
    pub errors: Vec<CollectionError>,
    /// Present when the bundle was pseudonymised (`collect --redact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<RedactionReport>,
    /// Known secrets masked before the artifacts were stored (`crate::secrets`), per artifact
    /// path: how many values of each kind (`registry value DefaultPassword`, `connection-string
    /// password`, …). Never the values themselves. Absent when there were none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets_dropped: BTreeMap<String, BTreeMap<String, u64>>,
}

/// One collector's part of the collection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorRecord {
    pub version: String,
    /// Artifacts it read.
    pub artifacts: u64,
    /// Records, values or packets it read.
    pub items: u64,
    /// Time spent in the collector, in milliseconds; absent in reproducible bundles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    pub errors: Vec<CollectionError>,
}

/// One stored artifact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactRecord {
    /// Path relative to `artifacts/`, `/`-separated: what provenance names.
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// Text encoding the collector detected (`utf-16le`, `utf-8-bom`, …), if it is text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The collector that read it; absent when no collector recognised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<String>,
}

/// Size and hash of a file of the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    pub size: u64,
    pub sha256: String,
}

/// What redaction did, without any original value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactionReport {
    /// `hmac-sha256`: pseudonym = a prefix of HMAC-SHA256(key, kind ":" lower-cased value).
    pub method: String,
    /// First 16 hex digits of SHA-256 of the key, so bundles redacted with the same key can be
    /// recognised as comparable (the key itself never leaves the collecting machine).
    pub key_id: String,
    /// Distinct values pseudonymised, per kind (`host`, `domain`, `ip`, `user`, `guid`, `org`).
    pub values: BTreeMap<String, u64>,
    /// Replacements made, per artifact path (after redaction), and `facts.json`.
    pub replacements: BTreeMap<String, u64>,
    /// Binary artifacts (captures) left out because their bytes cannot be rewritten; the facts
    /// read from them are kept, pseudonymised.
    pub omitted: Vec<String>,
}

impl Manifest {
    /// The record of the artifact at `path`, if the bundle holds it.
    pub fn artifact(&self, path: &str) -> Option<&ArtifactRecord> {
        self.artifacts
            .binary_search_by(|a| a.path.as_str().cmp(path))
            .ok()
            .and_then(|i| self.artifacts.get(i))
    }
}
