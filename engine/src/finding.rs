//! Findings and the report: the one model every renderer (human, JSON, JSON Lines) draws from.
//! The JSON shape is a contract (DESIGN §7); its schema is `schema/report.schema.json`.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use triage_facts::Provenance;

use crate::pack::Severity;

/// Version of the report's JSON shape; bumped on any incompatible change.
pub const REPORT_FORMAT_VERSION: u32 = 2;

/// What evaluating one rule on one input concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The condition holds: the problem is there.
    Detected,
    /// The facts were there and the condition does not hold.
    NotDetected,
    /// The rule's applicability condition is false (for example, the wrong OS).
    NotApplicable,
    /// Facts the rule requires are missing; `missing` names them and the artifacts to collect.
    MissingFacts,
    /// The condition could not be evaluated; `error` says why and where.
    Error,
}

impl Outcome {
    pub const ALL: &'static [Outcome] = &[
        Outcome::Detected,
        Outcome::NotDetected,
        Outcome::NotApplicable,
        Outcome::MissingFacts,
        Outcome::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Detected => "detected",
            Outcome::NotDetected => "not_detected",
            Outcome::NotApplicable => "not_applicable",
            Outcome::MissingFacts => "missing_facts",
            Outcome::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.iter().copied().find(|o| o.as_str() == s)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a piece of evidence came from (mirrors [`triage_facts::Provenance`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    /// Artifact path relative to the input.
    pub artifact: String,
    pub collector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u64>,
    /// Byte span `[start, end)` in the artifact's decoded text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<[u64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
}

impl From<&Provenance> for Source {
    fn from(p: &Provenance) -> Self {
        Source {
            artifact: p.artifact.clone(),
            collector: p.collector.clone(),
            line: p.line,
            end_line: p.end_line,
            span: p.span.map(|s| [s.start, s.end]),
            key: p.key.clone(),
            frame: p.frame,
        }
    }
}

/// A fact a rule read, with its provenance: what the report shows as proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// What was read: a fact path, a registry value, a signal.
    pub fact: String,
    /// The value found, rendered; absent when the fact is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The log record, for a signal match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A required fact that is missing, and what would provide it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MissingFact {
    /// The fact path, or alternatives joined with ` | `.
    pub fact: String,
    /// The artifact to collect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// One clause (or derived fact) as evaluated: the answer to "why did this (not) fire?".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClauseTrace {
    /// `when`, `when.all[0]`, `applies_if`, or `derive.<name>`.
    pub role: String,
    pub expression: String,
    /// The value, rendered (`true`, `false`, `42`, `"text"`, `()`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The facts it read that the input lacks, when they leave its value unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Where the expression is in the pack (`rules/x.toml:12`).
    pub location: String,
    pub reads: Vec<Evidence>,
}

/// The whole trace of one rule on one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Explanation {
    /// Each requirement and whether it was present.
    pub requires: Vec<RequirementTrace>,
    /// Every derived fact on the path to a clause (those the clauses name and those they read
    /// in turn), with their values, in the pack's order.
    pub derived: Vec<ClauseTrace>,
    pub clauses: Vec<ClauseTrace>,
    /// The rule's `confirm` entries (`confirm[0]`, …), when the clauses detected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirm: Vec<ClauseTrace>,
    /// `all`, `any` or `single`.
    pub combine: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementTrace {
    pub fact: String,
    pub present: bool,
}

// The strings every finding of an evaluation shares (rule ID and title, pack, version, input)
// are `Arc<str>`, cloned from values built once per pack or evaluation: they serialise, and
// appear in the schema, as plain strings. (Not a doc comment: it would enter the schema.)
/// What one rule concluded on one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The rule ID, stable across pack versions (`WSUS001`).
    pub rule: Arc<str>,
    pub pack: Arc<str>,
    pub pack_version: Arc<str>,
    /// The input (folder, file or bundle) as given on the command line.
    pub input: Arc<str>,
    /// The host the input was collected from, where the input names it (the CLI fills it in
    /// from the input's summary, so that each JSON Lines record names its host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<Arc<str>>,
    pub outcome: Outcome,
    pub severity: Severity,
    pub title: Arc<str>,
    /// For `detected`: the facts that prove it. Empty otherwise unless explaining.
    pub evidence: Vec<Evidence>,
    /// For `detected`: the fix, tailored to this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// For `missing_facts`: what is missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<MissingFact>,
    /// For `detected`: the symptoms are there, but what confirms the diagnosis (the rule's
    /// `confirm`) was not collected. Still detected (the run exits 1); `to_confirm` says what to
    /// collect.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
    /// For an unconfirmed finding: the facts that would confirm it, and what to collect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to_confirm: Vec<MissingFact>,
    /// For `error`: why, and where in the pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `--explain`: every clause, its value and the facts it read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explanation>,
    /// For `detected`: the waiver that accepts this finding (`triage run --waivers FILE`). A
    /// waived finding stays `detected` but does not make the run exit 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRef>,
    /// The outcome was decided by the pack's `applies_if` for every rule at once (the pack does
    /// not apply to this input, or the facts that tell are missing), not by this rule.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_pack: bool,
}

impl Finding {
    /// Detected and not waived: what makes `triage run` exit 1.
    pub fn is_unwaived_detection(&self) -> bool {
        self.outcome == Outcome::Detected && self.waiver.is_none()
    }
}

/// The waiver that matched a finding, as the waivers file states it. The engine never applies
/// waivers (that needs "today"); the CLI does, and records the match here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WaiverRef {
    /// The rule ID the waiver names.
    pub rule: String,
    pub justification: String,
    pub owner: String,
    /// The last day the waiver holds (`YYYY-MM-DD`).
    pub expires: String,
    /// Which waiver matched: the waivers file and the line of its `[[waiver]]` header.
    pub file: String,
    pub line: u64,
}

/// A pack used for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackRef {
    pub id: String,
    pub version: String,
}

/// One input of the report, with what could not be collected from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InputSummary {
    pub input: String,
    /// The host the input was collected from, where the input says: a bundle's manifest, else
    /// `systeminfo`'s host name, else the registry's `ComputerName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// When the input was collected, where it says (a bundle's `collected_at`, RFC 3339); never
    /// the clock of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    pub artifacts: u64,
    /// Files no collector recognised.
    pub unrecognised: Vec<String>,
    /// Collection errors, `artifact:line: [collector] message`.
    pub collection_errors: Vec<String>,
}

/// The report `triage run --format json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    pub format_version: u32,
    pub triage_version: String,
    pub packs: Vec<PackRef>,
    pub inputs: Vec<InputSummary>,
    /// One per rule and input, ordered by input, pack and rule.
    pub findings: Vec<Finding>,
    /// Count of findings per outcome.
    pub summary: BTreeMap<Outcome, u64>,
}

impl Report {
    pub fn summarise(findings: &[Finding]) -> BTreeMap<Outcome, u64> {
        let mut m: BTreeMap<Outcome, u64> = Outcome::ALL.iter().map(|o| (*o, 0)).collect();
        for f in findings {
            *m.entry(f.outcome).or_default() += 1;
        }
        m
    }
}
