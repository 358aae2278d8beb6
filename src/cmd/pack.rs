//! `triage pack …`: work on a rule pack folder.
//!
//! - `check DIR [--format human|json]` loads the pack and prints every diagnostic at its TOML
//!   line, the warnings of `triage_engine::lint` against the fact catalogue (fact paths nothing
//!   provides, type mismatches, unknown functions and record fields, invalid literal regexes),
//!   plus the changelog warnings of `triage_store::PackInfo::versioning_problems` (no
//!   changelog, no entry for the version); exit 2 when it has errors, 0 otherwise (warnings do
//!   not fail it).
//! - `test DIR` runs every rule's test cases (inline facts, or an artifact folder relative to the
//!   pack, collected with the collectors) and prints one line per case; exit 1 when a case fails
//!   or a rule lacks a `detected` or a `not_detected` case, 2 when the pack is invalid.
//!   `--junit FILE` also writes the results as JUnit XML (see `crate::junit`).
//!   A pack is untrusted input, so `test` reads only inside the pack folder: it first reads the
//!   folder the way the store does (`triage_store::PackFiles::from_dir`: regular files only, no
//!   links, at most 16 MiB a file, 128 MiB and 10,000 files in all) into a private temporary
//!   copy, and runs the pack and its test inputs from that copy. A test `input` must be a
//!   relative path inside the pack (no `..`, no absolute path); anything else is a case that
//!   could not run.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde::Serialize;
use triage_engine::{EvalOptions, Evaluator, Finding, InputFacts, Outcome};
use triage_engine::{Level, Pack, TestInput};

use crate::output::{Out, Ui};
use crate::{input, packs, render, CmdResult, Exit, Failure, Format};

#[derive(Debug, Subcommand)]
pub enum PackCommand {
    /// Validate a pack: report every problem at its line in the TOML.
    Check(CheckArgs),
    /// Run the test cases of every rule in a pack.
    Test(TestArgs),
    #[command(flatten)]
    Store(crate::cmd::pack_store::StoreCommand),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The pack folder (holding `pack.toml`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The pack folder (holding `pack.toml`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Also write the results as JUnit XML to FILE, for CI test reports.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

pub fn run(cmd: PackCommand, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    match cmd {
        PackCommand::Check(args) => check(args, ui, out),
        PackCommand::Test(args) => test(args, ui, out, err),
        PackCommand::Store(c) => crate::cmd::pack_store::run(c, ui, out, err),
    }
}

/// One diagnostic in `pack check --format json`.
#[derive(Debug, Serialize)]
struct JsonDiagnostic {
    code: &'static str,
    level: &'static str,
    message: String,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
}

#[derive(Debug, Serialize)]
struct JsonCheck {
    pack: String,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic>,
}

fn check(args: CheckArgs, ui: &Ui, out: &mut Out) -> CmdResult {
    let evaluator = Evaluator::default();
    let files = packs::read_pack_dir(&args.dir)?;
    let (pack, mut diags) = packs::load_one(files, &evaluator);
    // A valid pack is checked against the fact catalogue too (with its own log kinds): fact
    // paths nothing provides, type mismatches, unknown functions and fields, bad regexes.
    if let Some(p) = &pack {
        let catalogue = packs::catalogue(&packs::scan_plan(std::slice::from_ref(p)));
        diags.extend(triage_engine::lint::lint(p, &catalogue, evaluator.engine()));
        diags.sort_by(|a, b| {
            (&*a.file != "pack.toml", &a.file, a.span.start).cmp(&(
                &*b.file != "pack.toml",
                &b.file,
                b.span.start,
            ))
        });
    }
    let versioning = versioning_warnings(&args.dir);
    let errors = diags.iter().filter(|d| d.level == Level::Error).count();
    let warnings = diags.len() - errors + versioning.len();
    let valid = pack.is_some() && errors == 0;
    match args.format {
        Format::Json => {
            let report = JsonCheck {
                pack: args.dir.display().to_string(),
                valid,
                id: pack.as_ref().map(|p| p.manifest.id.clone()),
                version: pack.as_ref().map(|p| p.manifest.version.to_string()),
                errors,
                warnings,
                diagnostics: diags
                    .iter()
                    .map(|d| {
                        let (line, column) = d.line_col().unzip();
                        JsonDiagnostic {
                            code: d.code.as_str(),
                            level: match d.level {
                                Level::Error => "error",
                                Level::Warning => "warning",
                            },
                            message: d.message.clone(),
                            file: d.file.to_string(),
                            line,
                            column,
                            label: d.label.clone(),
                            help: d.help.clone(),
                        }
                    })
                    .chain(versioning.iter().map(|(file, message)| JsonDiagnostic {
                        code: "triage::pack::versioning",
                        level: "warning",
                        message: message.clone(),
                        file: (*file).to_owned(),
                        line: None,
                        column: None,
                        label: String::new(),
                        help: Some("see \"Versions\" in docs/sharing-packs.md".to_owned()),
                    }))
                    .collect(),
            };
            render::json::write(out, &report)?;
        }
        Format::Human => {
            for d in &diags {
                render::human::write_diagnostic(out, ui.color_out, ui.width, d)?;
            }
            for (file, message) in &versioning {
                writeln!(out, "warning: {}: {message}", args.dir.join(file).display())?;
            }
            match (&pack, valid) {
                (Some(p), true) => writeln!(
                    out,
                    "pack `{}` {}: {} rule(s), {} signal(s), {} derived fact(s); {} warning(s)",
                    p.manifest.id,
                    p.manifest.version,
                    p.rules.len(),
                    p.signals.len(),
                    p.derived.len(),
                    warnings
                )?,
                _ => writeln!(
                    out,
                    "{}: invalid pack: {errors} error(s), {warnings} warning(s)",
                    args.dir.display()
                )?,
            }
        }
    }
    Ok(if valid { Exit::Clean } else { Exit::Error })
}

/// The changelog problems among `PackInfo::versioning_problems` of the pack folder (no
/// changelog, no heading for the version), each with the file it is about. A reused retired ID
/// is already the engine's error (`pack::retired-rule-id`) at its line, so it is not repeated
/// here. A pack whose `[pack]` table cannot be read has none: the engine's diagnostics cover it.
fn versioning_warnings(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    use triage_store::info::CHANGELOG_NAME;
    let Ok(files) = triage_store::PackFiles::from_dir(dir) else { return Vec::new() };
    let Ok(info) = triage_store::PackInfo::from_files(&files) else { return Vec::new() };
    info.versioning_problems()
        .into_iter()
        .filter(|p| p.contains(CHANGELOG_NAME))
        .map(|p| (CHANGELOG_NAME, p))
        .collect()
}

/// The result of one test case.
struct CaseResult {
    rule: String,
    name: String,
    expected: Outcome,
    /// `unconfirmed = true`: a detection whose confirmation was not collected.
    unconfirmed: bool,
    /// The outcome, or why the case could not run.
    got: Result<Finding, String>,
}

impl CaseResult {
    fn passed(&self) -> bool {
        matches!(&self.got, Ok(f) if f.outcome == self.expected && f.unconfirmed == self.unconfirmed)
    }
}

/// An outcome as a test states it: `detected (unconfirmed)` for an unconfirmed detection.
fn outcome_text(outcome: Outcome, unconfirmed: bool) -> String {
    if unconfirmed {
        format!("{outcome} (unconfirmed)")
    } else {
        outcome.to_string()
    }
}

fn test(args: TestArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    let evaluator = Evaluator::default();
    // Everything is read once, bounded, into a copy no one else writes to.
    let bad = |e: String| Failure::Message(miette::miette!("{}: {e}", args.dir.display()));
    let files = triage_store::PackFiles::from_dir(&args.dir).map_err(|e| bad(e.to_string()))?;
    if files.get("pack.toml").is_none() {
        return Err(bad("not a pack folder: it has no pack.toml".into()));
    }
    let snapshot = files.write_to_temp().map_err(|e| bad(e.to_string()))?;
    let root = snapshot.path();
    // Messages name the pack folder as given, never the temporary copy.
    let shown = |msg: String| msg.replace(&root.display().to_string(), &args.dir.display().to_string());
    let pack = load_for_test(root, &args.dir, &evaluator, ui, err)?;
    let plan = packs::scan_plan(std::slice::from_ref(&pack));
    let opts = EvalOptions { explain: false, catalogue: Some(packs::catalogue(&plan)) };
    // Several cases may share an artifact folder: collect it once.
    let mut folders: HashMap<String, Result<Arc<InputFacts>, String>> = HashMap::new();
    let mut results = Vec::new();
    let mut incomplete = Vec::new();
    for rule in &pack.rules {
        for case in &rule.tests {
            let facts = match &case.input {
                TestInput::Facts(map) => Ok(Arc::new(InputFacts::new(Arc::new(map.clone())))),
                TestInput::Folder(rel) => folders
                    .entry(rel.clone())
                    .or_insert_with(|| {
                        let path = test_input_path(root, rel)?;
                        // A fact-map JSON file is a valid test input too.
                        input::load(&path, &plan, ui)
                            .map(|mut i| Arc::new(InputFacts::new(Arc::new(std::mem::take(&mut i.facts)))))
                            .map_err(shown)
                    })
                    .clone(),
            };
            let input_name = match &case.input {
                TestInput::Facts(_) => format!("{} (inline facts)", case.name),
                TestInput::Folder(rel) => rel.clone(),
            };
            let got = facts.and_then(|f| {
                evaluator
                    .evaluate(&pack, &f, &input_name, &opts)
                    .into_iter()
                    .find(|x| x.rule == rule.id)
                    .ok_or_else(|| format!("rule {} gave no finding", rule.id))
            });
            results.push(CaseResult {
                rule: rule.id.to_string(),
                name: case.name.clone(),
                expected: case.expect,
                unconfirmed: case.unconfirmed,
                got,
            });
        }
        for needed in [Outcome::Detected, Outcome::NotDetected] {
            if !rule.tests.iter().any(|t| t.expect == needed) {
                incomplete.push((rule.id.to_string(), needed));
            }
        }
    }

    for r in &results {
        let status = if r.passed() { "ok" } else { "FAILED" };
        writeln!(out, "test {} › {} ... {status}", r.rule, r.name)?;
        if r.passed() {
            continue;
        }
        match &r.got {
            Err(e) => writeln!(out, "    could not run: {e}")?,
            Ok(f) => {
                writeln!(
                    out,
                    "    expected {}, got {}",
                    outcome_text(r.expected, r.unconfirmed),
                    outcome_text(f.outcome, f.unconfirmed)
                )?;
                for m in &f.to_confirm {
                    match &m.artifact {
                        Some(a) => writeln!(out, "    to confirm: {} (collect {a})", m.fact)?,
                        None => writeln!(out, "    to confirm: {}", m.fact)?,
                    }
                }
                if let Some(e) = &f.error {
                    writeln!(out, "    error: {e}")?;
                }
                for m in &f.missing {
                    match &m.artifact {
                        Some(a) => writeln!(out, "    missing: {} (collect {a})", m.fact)?,
                        None => writeln!(out, "    missing: {}", m.fact)?,
                    }
                }
            }
        }
    }
    for (rule, needed) in &incomplete {
        writeln!(out, "incomplete {rule}: no test case expecting `{needed}`")?;
    }
    if let Some(path) = &args.junit {
        let xml = crate::junit::render(&pack.manifest.id, &junit_cases(&results, &incomplete));
        std::fs::write(path, xml)
            .map_err(|e| Failure::Message(miette::miette!("--junit {}: {e}", path.display())))?;
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    let failed = results.len() - passed;
    let ok = failed == 0 && incomplete.is_empty();
    writeln!(
        out,
        "\ntest result: {}. {passed} passed; {failed} failed; {} rule(s) without both a detected and a not_detected case",
        if ok { "ok" } else { "FAILED" },
        incomplete.len()
    )?;
    Ok(if ok { Exit::Clean } else { Exit::Detected })
}

/// The cases for the JUnit report: each result, then a failing case per missing kind of case.
fn junit_cases(results: &[CaseResult], incomplete: &[(String, Outcome)]) -> Vec<crate::junit::Case> {
    use crate::junit::{Case, Failure as JFailure};
    let mut cases: Vec<Case> = results
        .iter()
        .map(|r| {
            let failure = match &r.got {
                _ if r.passed() => None,
                Err(e) => Some(JFailure {
                    kind: "could_not_run",
                    message: format!("could not run: {e}"),
                    details: String::new(),
                }),
                Ok(f) => {
                    let mut details = Vec::new();
                    details.extend(f.error.iter().map(|e| format!("error: {e}")));
                    details.extend(f.missing.iter().map(|m| match &m.artifact {
                        Some(a) => format!("missing: {} (collect {a})", m.fact),
                        None => format!("missing: {}", m.fact),
                    }));
                    Some(JFailure {
                        kind: "wrong_outcome",
                        message: format!(
                            "expected {}, got {}",
                            outcome_text(r.expected, r.unconfirmed),
                            outcome_text(f.outcome, f.unconfirmed)
                        ),
                        details: details.join("\n"),
                    })
                }
            };
            Case { suite: r.rule.clone(), name: r.name.clone(), failure }
        })
        .collect();
    for (rule, needed) in incomplete {
        cases.push(Case {
            suite: rule.clone(),
            name: format!("has a test case expecting `{needed}`"),
            failure: Some(JFailure {
                kind: "missing_case",
                message: format!("{rule}: no test case expecting `{needed}`"),
                details: String::new(),
            }),
        });
    }
    cases
}

/// Where a test's `input` is inside the pack copy at `root`: a relative `/`-separated path with
/// no `.`, `..` or empty parts (a trailing `/` is allowed). The copy holds no links, so the
/// path cannot lead out of it.
fn test_input_path(root: &std::path::Path, rel: &str) -> Result<PathBuf, String> {
    let trimmed = rel.trim_end_matches('/');
    triage_store::files::check_path(trimmed).map_err(|e| {
        let reason = match e {
            triage_store::Error::UnsafePath { reason, .. } => reason,
            other => other.to_string(),
        };
        format!("input `{rel}` must be a path inside the pack folder: {reason}")
    })?;
    let path = root.join(trimmed);
    if !path.exists() {
        return Err(format!("input `{rel}`: no such file or folder in the pack"));
    }
    Ok(path)
}

/// Loads the pack from `root` (the copy); messages name `shown_dir`, the folder as given.
fn load_for_test(
    root: &std::path::Path,
    shown_dir: &std::path::Path,
    evaluator: &Evaluator,
    ui: &Ui,
    err: &mut Out,
) -> Result<Pack, Failure> {
    let dir = shown_dir;
    let files = packs::read_pack_dir(root)?;
    let (pack, diags) = packs::load_one(files, evaluator);
    for d in &diags {
        render::human::write_diagnostic(err, ui.color_err, ui.width, d)?;
    }
    match pack {
        Some(p) if diags.iter().all(|d| d.level != Level::Error) => Ok(p),
        _ => {
            writeln!(err, "error: {}: invalid pack; no test was run", dir.display())?;
            Err(Failure::Reported)
        }
    }
}
