//! `triage run PATH… [--pack DIR]… [--format human|json|jsonl] [--explain]`: collect each input,
//! evaluate every pack on it, and report one finding per rule and input.
//!
//! Inputs are artifact folders, single artifacts, fact maps and bundles (folders or `.zip`),
//! collected and evaluated in parallel (rayon; each input's facts are dropped once its findings
//! are made, so memory follows the inputs in flight, not the number of inputs). Output keeps
//! the order of the command line. `jsonl` writes one finding per line for fleet tooling; the
//! human format ends, when there are several inputs, with a per-rule summary across them.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use triage_engine::{EvalOptions, Evaluator, InputFacts, InputSummary, Outcome, PackRef, Report};

use crate::input::{self, Input};
use crate::output::{Out, Ui};
use crate::{packs, render, CmdResult, Exit};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Artifact folders, single artifact files, or fact-map JSON files; each is evaluated on its own.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A rule-pack folder; repeat for several. Without it, the packs built into triage are used.
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: RunFormat,
    /// Show, for every rule, each clause, its value and the facts it read.
    #[arg(long)]
    pub explain: bool,
}

/// `run`'s output formats: [`Format`]'s, plus JSON Lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    #[default]
    Human,
    Json,
    /// One finding per line (JSON Lines), for fleet tooling.
    Jsonl,
}

/// A run's results: the report and the inputs it was made from (for showing artifacts).
pub struct RunResult {
    pub report: Report,
    pub inputs: Vec<Input>,
    /// Inputs that could not be read.
    pub input_errors: Vec<String>,
}

pub fn run(args: RunArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    let evaluator = Evaluator::default();
    let packs = packs::load_for_command(&args.packs, &evaluator, ui, err)?;
    let result = evaluate(&args.paths, &packs, &evaluator, args.explain, ui);
    for e in &result.input_errors {
        writeln!(err, "error: {e}")?;
    }
    match args.format {
        RunFormat::Json => render::json::write(out, &result.report)?,
        RunFormat::Jsonl => {
            for f in &result.report.findings {
                let line = serde_json::to_string(f).map_err(|e| miette::miette!("{e}"))?;
                writeln!(out, "{line}")?;
            }
        }
        RunFormat::Human => {
            render::human::write_run(out, ui, &result.report, &result.inputs, args.explain)?;
            if result.report.inputs.len() > 1 {
                write_rule_summary(out, &result.report)?;
            }
        }
    }
    Ok(exit_status(&result))
}

/// One input's result: the input and its findings, or the path and why it could not be read.
type Evaluated = (Result<Input, (String, String)>, Vec<triage_engine::Finding>);

/// Collects and evaluates every input with every pack. Unreadable inputs are recorded, and
/// appear in the report's `inputs` with their error.
pub fn evaluate(
    paths: &[PathBuf],
    packs: &[triage_engine::Pack],
    evaluator: &Evaluator,
    explain: bool,
    ui: &Ui,
) -> RunResult {
    let plan = packs::scan_plan(packs);
    let opts = EvalOptions { explain, providers: packs::providers() };
    // Each input on its own, in parallel; results keep the command line's order.
    let results: Vec<Evaluated> = paths
        .par_iter()
        .map(|path| match input::load(path, &plan, ui) {
            Ok(mut input) => {
                let facts = Arc::new(InputFacts::new(Arc::new(std::mem::take(&mut input.facts))));
                let findings = packs
                    .iter()
                    .flat_map(|pack| evaluator.evaluate(pack, &facts, &input.name, &opts))
                    .collect();
                (Ok(input), findings)
            }
            Err(message) => (Err((path.display().to_string(), message)), Vec::new()),
        })
        .collect();
    let mut inputs = Vec::new();
    let mut summaries = Vec::new();
    let mut findings = Vec::new();
    let mut input_errors = Vec::new();
    for (loaded, found) in results {
        match loaded {
            Ok(input) => {
                summaries.push(input.summary.clone());
                inputs.push(input);
                findings.extend(found);
            }
            Err((path, message)) => {
                summaries.push(InputSummary {
                    input: path,
                    artifacts: 0,
                    unrecognised: vec![],
                    collection_errors: vec![message.clone()],
                });
                input_errors.push(message);
            }
        }
    }
    let report = Report {
        format_version: triage_engine::REPORT_FORMAT_VERSION,
        triage_version: env!("CARGO_PKG_VERSION").to_owned(),
        packs: packs
            .iter()
            .map(|p| PackRef { id: p.manifest.id.clone(), version: p.manifest.version.to_string() })
            .collect(),
        inputs: summaries,
        summary: Report::summarise(&findings),
        findings,
    };
    RunResult { report, inputs, input_errors }
}

/// 2 when an input was unreadable or a rule could not be evaluated, else 1 when something was
/// detected, else 0.
pub fn exit_status(result: &RunResult) -> Exit {
    let findings = &result.report.findings;
    if !result.input_errors.is_empty() || findings.iter().any(|f| f.outcome == Outcome::Error) {
        Exit::Error
    } else if findings.iter().any(|f| f.outcome == Outcome::Detected) {
        Exit::Detected
    } else {
        Exit::Clean
    }
}

/// The per-rule summary that ends a human run over several inputs: for each rule, how many
/// inputs gave each outcome.
fn write_rule_summary(out: &mut Out, report: &Report) -> std::io::Result<()> {
    use std::collections::BTreeMap;
    type Counts<'a> = (&'a str, BTreeMap<Outcome, u64>);
    let mut by_rule: BTreeMap<(&str, &str), Counts<'_>> = BTreeMap::new();
    for f in &report.findings {
        let e =
            by_rule.entry((f.pack.as_str(), f.rule.as_str())).or_insert((f.title.as_str(), BTreeMap::new()));
        *e.1.entry(f.outcome).or_insert(0) += 1;
    }
    writeln!(out, "\nsummary over {} inputs:", report.inputs.len())?;
    writeln!(
        out,
        "  {:<10} {:>8} {:>12} {:>14} {:>13} {:>6}  title",
        "rule", "detected", "not_detected", "not_applicable", "missing_facts", "error"
    )?;
    for ((_, rule), (title, counts)) in &by_rule {
        let n = |o: Outcome| counts.get(&o).copied().unwrap_or(0);
        writeln!(
            out,
            "  {:<10} {:>8} {:>12} {:>14} {:>13} {:>6}  {}",
            rule,
            n(Outcome::Detected),
            n(Outcome::NotDetected),
            n(Outcome::NotApplicable),
            n(Outcome::MissingFacts),
            n(Outcome::Error),
            title
        )?;
    }
    Ok(())
}
