//! Rule packs: the loaded, validated form (this module) and the loader that builds it from TOML
//! ([`load`]), with every problem reported at once ([`diagnostic`]).
//!
//! A pack is a folder: `pack.toml` (manifest, and anything else) plus any `rules/*.toml`
//! (derived facts, signals, log kinds, rules). The engine does no I/O: callers read the files and
//! hand their text to [`load::load_pack`].

pub mod diagnostic;
pub mod format;
pub mod limits;
pub mod load;
pub mod source;
pub mod upgrade;

use std::collections::BTreeMap;
use std::sync::Arc;

use rhai::AST;
use serde::{Deserialize, Serialize};
use triage_facts::{FactMap, FileKindSpec, LogKindSpec};

pub use diagnostic::{Code, Level, PackDiagnostic};
pub use load::{load_pack, LoadResult, SourceFile};

/// A loaded, valid pack: every regex and condition compiled.
#[derive(Debug, Clone)]
pub struct Pack {
    pub manifest: Manifest,
    /// The pack's `[data]` table, visible to conditions as `data`.
    pub data: rhai::Dynamic,
    /// The same data as facts, for docs and JSON.
    pub data_json: serde_json::Value,
    pub derived: Vec<Derived>,
    /// `[pack] applies_if`: whether the pack concerns this input at all, checked before any rule.
    pub applies_if: Option<Expr>,
    pub signals: Vec<Signal>,
    pub log_kinds: Vec<LogKindSpec>,
    /// `[file_kinds]`, by name as the pack writes it (planned as `<pack id>/<kind>`).
    pub file_kinds: Vec<FileKindSpec>,
    pub rules: Vec<Rule>,
    /// `[labels]`: how reports word the facts and signals rules read.
    pub labels: Labels,
    /// The files it was loaded from, for diagnostics and docs.
    pub files: Vec<SourceFile>,
}

/// `[labels]`: words for what rules read, by fact path (as evidence names it) and by signal name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    pub facts: BTreeMap<String, Label>,
    pub signals: BTreeMap<String, Label>,
}

/// One label: what the fact or signal is, and what to say when it is absent (or matched nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Label {
    pub name: Option<String>,
    pub absent: Option<String>,
}

/// `[pack]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub id: String,
    pub version: semver::Version,
    pub engine: semver::VersionReq,
    pub title: String,
    pub source: Option<String>,
    pub description: Option<String>,
    /// Rule IDs this pack used once and must never use again.
    pub retired: Vec<String>,
}

/// Where something was declared: file index into [`Pack::files`] and byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub file: usize,
    pub start: usize,
    pub end: usize,
    /// 1-based line of `start`, computed once at load.
    pub line: usize,
}

/// A compiled Rhai expression with its text.
#[derive(Debug, Clone)]
pub struct Expr {
    pub text: String,
    pub ast: Arc<AST>,
    pub loc: Loc,
    /// `facts.a.b` chains named literally in the text, resolved for evidence.
    pub fact_paths: Vec<String>,
    /// Indexes of derived facts the text refers to.
    pub derived_refs: Vec<usize>,
    /// Signals named literally (`signal("name")`), for evidence.
    pub signals: Vec<String>,
    /// What the expression reads, found on its AST (see [`crate::analysis`]).
    pub analysis: Arc<crate::analysis::Analysis>,
}

/// `[derive] name = 'expr'`: a named value computed once per input, before the rules.
#[derive(Debug, Clone)]
pub struct Derived {
    pub name: String,
    pub expr: Expr,
}

/// `[signals.name]`: a log pattern, scanned by the log collectors in one pass per file.
#[derive(Debug, Clone)]
pub struct Signal {
    pub name: String,
    pub log: String,
    pub pattern: String,
    /// A condition over one match (`record`), applied after the scan.
    pub filter: Option<Expr>,
    pub max_matches: usize,
    pub description: Option<String>,
    /// Whether some expression of the pack reads the matches as a list (`signal("name")`
    /// becomes `signals["name"]` at load): only then does an evaluation copy the kept matches
    /// into the `signals` map. Set by the loader.
    pub listed: bool,
}

/// Severity of a rule's finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// How the clauses of `when` combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// `when = '…'`: one expression.
    Single,
    /// `when.all = [...]`: every clause true.
    All,
    /// `when.any = [...]`: at least one clause true.
    Any,
}

/// One entry of `requires`: a fact path, or alternatives (`"registry | dotnet_config"`), with
/// an optional hint naming the artifact that provides it.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// The alternatives as written, for messages and explanations.
    pub alternatives: Vec<String>,
    /// What each alternative checks, in the same order.
    pub needs: Vec<Need>,
    pub artifact: Option<String>,
    /// The entry in `requires`, for diagnostics.
    pub loc: Loc,
}

/// What one `requires` alternative checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// `os.build`: a fact present, and not an empty map or list.
    Fact(String),
    /// `registry:HKLM\…\v4.0.30319`: a registry key in some export (case-insensitive, hive
    /// long or short), even one with no values — that the values are absent is then known.
    RegistryKey(String),
    /// `derive.name`: a derived fact (its index) whose value is neither `()` nor `false` —
    /// for "is this known?" conditions a dotted path cannot express.
    Derived(usize),
}

/// One entry of a rule's `confirm`: what proves the diagnosis apart from the symptoms `when`
/// needs. Checked only when the symptoms are there: a fact not collected leaves the finding
/// detected but unconfirmed (naming what to collect), a condition false on the facts present
/// contradicts it (not_detected).
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// `fact`: facts that must be present, as in `requires` (alternatives with `|`).
    pub requirement: Option<Requirement>,
    /// `when`: a condition that must hold on them.
    pub condition: Option<Expr>,
    /// `artifact`: what to collect to confirm (else what the collectors say provides the fact).
    pub artifact: Option<String>,
}

/// A `[[rule]]`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Shared with every [`crate::Finding`] of the rule, as is `title`.
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub severity: Severity,
    pub tags: Vec<String>,
    pub description: Option<String>,
    /// Where the rule's diagnosis is in the document the pack encodes (`article issue 1`), as
    /// reports name it beside the rule ID.
    pub section: Option<String>,
    pub requires: Vec<Requirement>,
    pub applies_if: Option<Expr>,
    pub combine: Combine,
    pub clauses: Vec<Expr>,
    /// `confirm`: checked when the clauses detect.
    pub confirm: Vec<Confirmation>,
    pub resolution: Template,
    pub references: Vec<String>,
    pub tests: Vec<RuleTest>,
    pub loc: Loc,
}

impl Rule {
    /// Every condition of the rule: `applies_if`, the clauses of `when`, the conditions of
    /// `confirm` (not the resolution's holes).
    pub fn conditions(&self) -> impl Iterator<Item = &Expr> {
        self.applies_if
            .iter()
            .chain(self.clauses.iter())
            .chain(self.confirm.iter().filter_map(|c| c.condition.as_ref()))
    }
}

/// Resolution text with `{{ expression }}` holes.
#[derive(Debug, Clone, Default)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

/// A `[[rule.test]]` case.
#[derive(Debug, Clone)]
pub struct RuleTest {
    pub name: String,
    pub input: TestInput,
    pub expect: crate::Outcome,
    /// `unconfirmed = true`: the detection must be unconfirmed (its `confirm` facts not
    /// collected); otherwise a detection must be confirmed.
    pub unconfirmed: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub enum TestInput {
    /// An artifact folder, relative to the pack folder.
    Folder(String),
    /// Inline facts (`facts = { … }`), as JSON-shaped TOML.
    Facts(FactMap),
}

/// One test declaration of a pack, with the rule it belongs to (see [`Pack::tests`]).
#[derive(Debug, Clone)]
pub struct PackTest<'a> {
    pub rule: &'a str,
    pub test: &'a RuleTest,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile { name: name.into(), text: text.into() }
    }
}

impl Pack {
    /// Every `[[rule.test]]` of the pack, in rule order. Inline-fact tests can be run with
    /// [`crate::Evaluator::evaluate`] directly; folder tests name an artifact folder relative to
    /// the pack folder, which the caller collects first.
    pub fn tests(&self) -> Vec<PackTest<'_>> {
        self.rules
            .iter()
            .flat_map(|r| r.tests.iter().map(move |t| PackTest { rule: &r.id, test: t }))
            .collect()
    }

    /// The signal's ID as it appears in scan plans and in `signals.<id>` facts.
    pub fn signal_id(&self, signal: &Signal) -> String {
        format!("{}/{}", self.manifest.id, signal.name)
    }

    /// A log kind's name as it appears in scan plans and in `logs.<kind>` facts: a built-in kind
    /// (`wsus`, `configmgr`) as it is, one of the pack's own `[log_kinds]` as
    /// `<pack id>/<kind>`.
    pub fn log_kind_id(&self, kind: &str) -> String {
        if self.log_kinds.iter().any(|k| k.name == kind) {
            format!("{}/{kind}", self.manifest.id)
        } else {
            kind.to_owned()
        }
    }

    /// A file kind's name as it appears in scan plans and in `files.<kind>` facts:
    /// `<pack id>/<kind>`.
    pub fn file_kind_id(&self, kind: &str) -> String {
        format!("{}/{kind}", self.manifest.id)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| &*r.id == id)
    }

    /// File name and 1-based line of a location.
    pub fn line_of(&self, loc: Loc) -> (String, usize) {
        let name = self.files.get(loc.file).map(|f| f.name.clone()).unwrap_or_default();
        (name, loc.line)
    }
}
