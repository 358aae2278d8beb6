//! The pack file format as plain types, for the JSON Schema (`schema/pack.schema.json`) that
//! editors (Taplo, Even Better TOML) validate pack files against. The loader ([`super::load`])
//! reads the same format with spans; a test checks both agree on every key.
//!
//! This is also the one definition of the format's keys ([`TOP_KEYS`], [`PACK_KEYS`], …) and
//! of a pack ID ([`is_pack_id`], [`PACK_ID_PATTERN`],
//! [`PACK_ID_RULE`]): the loader, the store (install, lock file, `--pack ID`), `pack new` and
//! the schema all use it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Severity;
use crate::Outcome;

/// Longest pack ID.
pub const PACK_ID_MAX: usize = 64;
/// A pack ID as a regex (the schema's `pattern`); [`is_pack_id`] is the same test.
pub const PACK_ID_PATTERN: &str = r"^[a-z0-9][a-z0-9-]{0,63}$";
/// A pack ID in words, for messages.
pub const PACK_ID_RULE: &str =
    "lower-case letters, digits and `-`, starting with a letter or digit, at most 64 characters";

/// Whether `id` is a pack ID ([`PACK_ID_PATTERN`]). A pack ID names the pack's folder in the
/// store and prefixes its signals (`ID/signal`), so it holds no `/`, `.`, `_` or upper case.
pub fn is_pack_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= PACK_ID_MAX
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The keys of each table of the pack format: what the loader accepts (an unknown key is a
/// diagnostic with a did-you-mean), what the schema types below declare (a test holds the two
/// together), and what the store's diff knows. Top level of a pack file:
pub const TOP_KEYS: &[&str] =
    &["pack", "data", "derive", "signals", "log_kinds", "file_kinds", "labels", "rule"];
/// `[pack]`.
pub const PACK_KEYS: &[&str] =
    &["id", "version", "engine", "title", "source", "description", "retired", "applies_if"];
/// `[signals.NAME]`.
pub const SIGNAL_KEYS: &[&str] = &["log", "pattern", "where", "max_matches", "description"];
/// `[log_kinds.NAME]`.
pub const LOG_KIND_KEYS: &[&str] = &["files", "record_start", "fields", "year"];
/// `[file_kinds.NAME]`.
pub const FILE_KIND_KEYS: &[&str] = &["files", "content", "format", "include", "sections"];
/// `[[rule]]`.
pub const RULE_KEYS: &[&str] = &[
    "id",
    "title",
    "severity",
    "tags",
    "description",
    "section",
    "requires",
    "applies_if",
    "when",
    "confirm",
    "resolution",
    "references",
    "test",
];
/// `[labels]`.
pub const LABELS_KEYS: &[&str] = &["facts", "signals"];
/// `[labels.facts.PATH]` and `[labels.signals.NAME]`.
pub const LABEL_KEYS: &[&str] = &["name", "absent"];
/// An entry of a rule's `confirm`.
pub const CONFIRM_KEYS: &[&str] = &["fact", "when", "artifact"];
/// `[[rule.test]]`.
pub const TEST_KEYS: &[&str] = &["name", "input", "facts", "expect", "unconfirmed"];

/// One TOML file of a rule pack: `pack.toml` (which must hold `[pack]`) or any `rules/*.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "triage rule pack file")]
pub struct PackFile {
    /// The manifest; in `pack.toml` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<ManifestFile>,
    /// Constants for conditions, visible as `data` (`data.min_build`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<BTreeMap<String, serde_json::Value>>,
    /// Derived facts: `name = 'Rhai expression'`, computed once per input in file order; each
    /// may use the ones before it, and conditions use them by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derive: Option<BTreeMap<String, String>>,
    /// Log patterns, scanned by the log collectors in one pass per file; read with
    /// `signal("name")`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals: Option<BTreeMap<String, SignalFile>>,
    /// Text log formats this pack teaches the log collectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_kinds: Option<BTreeMap<String, LogKindFile>>,
    /// Structured file formats this pack teaches the collectors (facts under
    /// `files.<pack id>/<kind>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_kinds: Option<BTreeMap<String, FileKindFile>>,
    /// How reports word what rules read, for people who do not know the fact paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<LabelsFile>,
    /// The rules (`[[rule]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Vec<RuleFile>>,
}

/// `[pack]`: who the pack is and which engine can run it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Lower-case letters, digits and `-` (`wsus-tls`), starting with a letter or digit, at most
    /// 64 characters.
    #[schemars(regex(pattern = PACK_ID_PATTERN))]
    pub id: String,
    /// The pack's semantic version (`1.0.0`).
    pub version: String,
    /// A semver requirement on the triage engine (`^0.2`, `>=0.2`).
    pub engine: String,
    pub title: String,
    /// The document the pack encodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Rule IDs used by earlier versions and never to be reused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<String>,
    /// A Rhai condition over the input (facts, data and derived facts): when false, every rule
    /// of the pack is `not_applicable` (a Windows pack on a Linux bundle); when the facts it
    /// reads are missing, the pack is `missing_facts` once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_if: Option<String>,
}

/// `[labels]`: words for the facts and signals the pack's rules read, as reports show them to
/// people (an admin reading a finding's evidence). Without a label a report uses the fact path
/// or signal name.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelsFile {
    /// By fact path as evidence names it: a dotted path (`network.tls.connections`), a top-level
    /// namespace (`config`), or a registry value (`HKLM\SOFTWARE\…\SchUseStrongCrypto`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, LabelFile>,
    /// By the name of one of the pack's `[signals]`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signals: BTreeMap<String, LabelFile>,
}

/// One label.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelFile {
    /// What it is, in words (`.NET strong cryptography (64-bit)`, `import reset by the endpoint
    /// on send`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The sentence to show when it is absent, or a signal matched nothing (`no w3wp.exe.config
    /// was collected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absent: Option<String>,
}

/// `[signals.NAME]`: a regex over one log kind's records.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalFile {
    /// The log kind: `wsus`, `configmgr`, or one of the pack's `[log_kinds]`.
    pub log: String,
    /// A Rust `regex` pattern, matched against each record.
    pub pattern: String,
    /// A Rhai condition over one match (`record`) that keeps it, e.g.
    /// `record.fields.process == "w3wp"`.
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub where_: Option<String>,
    /// Matches kept per input (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_matches: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `[log_kinds.NAME]`: a text log format.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogKindFile {
    /// Globs (`*`, `?`, case-insensitive) matched against the file name and against its path in
    /// the input, e.g. `u_ex*.log`, `sshd_config.d/*.conf`; a `.gz` suffix is not part of the
    /// name (`auth.log.*` matches `auth.log.2.gz`, read decompressed).
    pub files: Vec<String>,
    /// A regex matched at the start of a line; a matching line starts a new record.
    pub record_start: String,
    /// A regex with named groups applied to a record's first line; the groups become the
    /// record's `fields`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<String>,
    /// `"none"`: the `time` group carries no year (`Jan  5 10:00:00`); each time is placed in
    /// the latest year that does not put it after the input's collection time (a bundle's),
    /// and stays text where that is not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<YearFile>,
}

/// What a log kind's times say about their year.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum YearFile {
    None,
}

/// `[file_kinds.NAME]`: a structured file format, read whole into facts under
/// `files.<pack id>/<NAME>`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileKindFile {
    /// Globs (`*`, `?`, case-insensitive) matched against the file name and against its path in
    /// the input, e.g. `sshd_config`, `sshd_config.d/*.conf`; a `.gz` suffix is not part of the
    /// name.
    #[schemars(length(min = 1))]
    pub files: Vec<String>,
    /// A regex the file's first 8 KiB (decoded) must match, narrowing `files`
    /// (`files = ["*.json"]`, `content = '"ServerName"'`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    pub format: FileFormatName,
    /// `keyvalue` only: the keyword whose value names other files of the input to read in
    /// place (`Include`), case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<String>,
    /// `keyvalue` only: keywords that open a conditional section lasting to the next one or to
    /// the end of the file (`["Match"]`), case-insensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<String>,
}

/// How a file kind is read: `ini` (`[section]` and `key = value` lines), `keyvalue`
/// (`Keyword value` lines as in sshd_config and Apache, with `include` and `sections`), `json`,
/// `xml` (elements and attributes) or `csv` (a header row and rows).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormatName {
    Ini,
    KeyValue,
    Json,
    Xml,
    Csv,
}

/// `[[rule]]`: one diagnosis.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Stable, never reused: upper-case letters, digits, `-` and `_` (`WSUS001`).
    #[schemars(regex(pattern = r"^[A-Z0-9_-]{1,32}$"))]
    pub id: String,
    pub title: String,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the diagnosis is in the document the pack encodes (`article issue 1`), shown
    /// beside the rule ID in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Facts that must be present (not empty), else the outcome is `missing_facts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<RequirementFile>,
    /// A Rhai condition; when false the outcome is `not_applicable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_if: Option<String>,
    pub when: WhenFile,
    /// What confirms the diagnosis apart from the symptoms `when` needs, checked when `when`
    /// holds: a fact not collected makes the finding detected but unconfirmed, naming what to
    /// collect; a condition false on the facts present makes it `not_detected`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirm: Vec<ConfirmFile>,
    /// The fix, with `{{ expression }}` holes filled from the input's facts.
    pub resolution: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The rule's test cases (`[[rule.test]]`): at least one `detected` and one `not_detected`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<TestFile>,
}

/// A required fact: a dotted path (`os.build`), a registry key (`registry:HKLM\…`) or a derived
/// fact that is neither `()` nor `false` (`derive.name`); alternatives separated by `|`
/// (`"registry | config"`), optionally with the artifact that provides it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RequirementFile {
    Path(String),
    Detailed(RequirementTable),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementTable {
    pub fact: String,
    /// What to collect when it is missing (`SoftwareDistribution.log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// One entry of `confirm`: facts that must be present (`fact`, as in `requires`), a condition
/// that must hold (`when`), or both; `artifact` says what to collect to confirm.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmFile {
    /// A fact path, `registry:KEY` or `derive.NAME`; alternatives joined with `|`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// A Rhai condition: false on the facts present contradicts the diagnosis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// What to collect when the confirmation is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
}

/// The condition: one Rhai expression, or `all`/`any` of a list of them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum WhenFile {
    Expression(String),
    All(AllClauses),
    Any(AnyClauses),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllClauses {
    /// Every clause must be true.
    #[schemars(length(min = 1))]
    pub all: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnyClauses {
    /// At least one clause must be true.
    #[schemars(length(min = 1))]
    pub any: Vec<String>,
}

/// `[[rule.test]]`: an input and the outcome the rule must give on it. Exactly one of
/// `input` and `facts`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    pub name: String,
    /// An artifact folder relative to the pack folder, collected before evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// Inline facts (a fact map, tagged JSON conventions apply: `{ "$version" = "6.3" }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<BTreeMap<String, serde_json::Value>>,
    pub expect: Outcome,
    /// With `expect = "detected"`: the detection is unconfirmed (the rule's `confirm` facts are
    /// not in the input). Without it, a detection must be confirmed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_id_agrees_with_its_pattern() {
        let re = regex::Regex::new(PACK_ID_PATTERN).expect("pattern");
        let long = "a".repeat(PACK_ID_MAX);
        let too_long = "a".repeat(PACK_ID_MAX + 1);
        let cases = [
            ("wsus-tls", true),
            ("7zip", true),
            ("a", true),
            (long.as_str(), true),
            (too_long.as_str(), false),
            ("my_pack", false),
            ("my.pack", false),
            ("My-pack", false),
            ("-x", false),
            ("", false),
            ("../x", false),
            ("a/b", false),
            ("é", false),
        ];
        for (id, ok) in cases {
            assert_eq!((id, is_pack_id(id)), (id, ok));
            assert_eq!((id, re.is_match(id)), (id, ok));
        }
    }
}
