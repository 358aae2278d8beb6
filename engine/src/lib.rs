//! triage's rule interpreter: loads rule packs, runs their conditions in a hardened Rhai
//! sandbox against one input's fact map, and reports findings. Does no I/O: callers read pack
//! files and collect facts, then hand both over.
//!
//! The API the CLI uses:
//!
//! ```
//! use std::sync::Arc;
//! use triage_engine::{load_pack, EvalOptions, Evaluator, InputFacts, Outcome, SourceFile};
//! use triage_facts::FactMap;
//!
//! let pack_toml = r#"
//! [pack]
//! id = "demo"
//! version = "1.0.0"
//! engine = ">=0.1"
//! title = "Demo"
//!
//! [[rule]]
//! id = "DEMO001"
//! title = "Old build"
//! severity = "warning"
//! requires = ["os.build"]
//! when = 'facts.os.build < 9600'
//! resolution = "Build {{ facts.os.build }} is too old."
//! "#;
//! let evaluator = Evaluator::default();
//! let loaded = load_pack(vec![SourceFile::new("pack.toml", pack_toml)], &evaluator);
//! assert_eq!(loaded.errors().count(), 0);
//! let pack = loaded.pack.expect("valid pack");
//!
//! let facts = FactMap::from_json_str(r#"{"os": {"build": 9200}}"#).expect("json");
//! let input = Arc::new(InputFacts::new(Arc::new(facts)));
//! let findings = evaluator.evaluate(&pack, &input, "server1", &EvalOptions::default());
//! assert_eq!(findings[0].outcome, Outcome::Detected);
//! assert_eq!(findings[0].resolution.as_deref(), Some("Build 9200 is too old."));
//! ```
//!
//! - [`load_pack`]: `Vec<SourceFile>` → [`LoadResult`] (the [`Pack`] if valid, and every
//!   [`PackDiagnostic`], each a [`miette::Diagnostic`] labelled in its TOML file).
//! - [`Evaluator::evaluate`]: one pack on one input → one [`Finding`] per rule.
//!   [`InputFacts`] converts a fact map once; share it (`Arc`) across packs and rules.
//!   With [`EvalOptions::explain`] each finding carries an [`Explanation`] (every clause, its
//!   value, the facts it read). [`Evaluator::evaluate_expression`] evaluates one ad-hoc
//!   expression against an input (for probing, and the docs' examples).
//! - [`scan_plan`]: the signals and log kinds of the loaded packs, for the log collectors.
//! - [`Pack::tests`]: the pack's test declarations ([`PackTest`]), for `triage pack test`.
//! - [`Report`]: the JSON report (`triage run --format json`); [`schema`] has the JSON Schemas.

pub mod analysis;
pub mod convert;
pub mod eval;
mod fast;
pub mod finding;
pub mod lint;
mod missing;
pub mod pack;
pub mod reference;
mod runtime;
pub mod sandbox;
pub mod schema;

use triage_facts::ScanPlan;

pub use eval::{EvalOptions, Evaluator};
pub use finding::{
    ClauseTrace, Evidence, Explanation, Finding, InputSummary, MissingFact, Outcome, PackRef, Report,
    RequirementTrace, Source, WaiverRef, REPORT_FORMAT_VERSION,
};
pub use pack::load::LoadResult;
pub use pack::{Code, Level, Pack, PackDiagnostic, PackTest, Severity, SourceFile, TestInput};
pub use sandbox::{InputFacts, Limits};

/// This engine's version, which packs' `engine` requirements are checked against.
pub fn engine_version() -> semver::Version {
    semver::Version::parse(env!("CARGO_PKG_VERSION")).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
}

/// Loads a pack from its files (pack-relative names, `pack.toml` among them), compiling every
/// regex and condition with `evaluator`'s sandboxed engine and checking the pack's engine
/// requirement against [`engine_version`].
pub fn load_pack(files: Vec<SourceFile>, evaluator: &Evaluator) -> LoadResult {
    pack::load::load_pack(files, evaluator.engine(), &engine_version())
}

/// The scan plan for a set of loaded packs: every signal (as `<pack id>/<signal name>`), every
/// pack-defined log kind and file kind (`<pack id>/<kind>`), sorted for determinism.
///
/// A pack's log kinds are its own: each is planned as `<pack id>/<kind>`, and the pack's
/// signals on it name it so, so two packs may both define `[log_kinds.x]` (each gets its own
/// kind, facts under `logs.<pack id>/x`) and a pack's signals only ever see its own kinds and
/// the built-in ones (`wsus`, `configmgr`).
pub fn scan_plan<'a>(packs: impl IntoIterator<Item = &'a Pack>) -> ScanPlan {
    let mut plan = ScanPlan::default();
    for p in packs {
        for s in &p.signals {
            plan.signals.push(triage_facts::SignalSpec {
                id: p.signal_id(s),
                log: p.log_kind_id(&s.log),
                pattern: s.pattern.clone(),
                max_matches: s.max_matches,
            });
        }
        for k in &p.log_kinds {
            plan.log_kinds.push(triage_facts::LogKindSpec { name: p.log_kind_id(&k.name), ..k.clone() });
        }
        for k in &p.file_kinds {
            plan.file_kinds.push(triage_facts::FileKindSpec { name: p.file_kind_id(&k.name), ..k.clone() });
        }
    }
    plan.signals.sort_by(|a, b| a.id.cmp(&b.id));
    plan.log_kinds.sort_by(|a, b| a.name.cmp(&b.name));
    plan.file_kinds.sort_by(|a, b| a.name.cmp(&b.name));
    plan
}
