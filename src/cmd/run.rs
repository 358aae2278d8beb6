//! `triage run PATH… [--pack DIR]… [--format human|json] [--explain]`: collect each input,
//! evaluate every pack on it, and report one finding per rule and input.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use triage_engine::{EvalOptions, Evaluator, InputFacts, InputSummary, Outcome, PackRef, Report};

use crate::input::{self, Input};
use crate::output::{Out, Ui};
use crate::{packs, render, CmdResult, Exit, Format};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Artifact folders, single artifact files, or fact-map JSON files; each is evaluated on its own.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A rule-pack folder; repeat for several. Without it, the packs built into triage are used.
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Show, for every rule, each clause, its value and the facts it read.
    #[arg(long)]
    pub explain: bool,
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
        Format::Json => render::json::write(out, &result.report)?,
        Format::Human => render::human::write_run(out, ui, &result.report, &result.inputs, args.explain)?,
    }
    Ok(exit_status(&result))
}

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
    let mut inputs = Vec::new();
    let mut summaries = Vec::new();
    let mut findings = Vec::new();
    let mut input_errors = Vec::new();
    for path in paths {
        match input::load(path, &plan, ui) {
            Ok(mut input) => {
                let facts = Arc::new(InputFacts::new(Arc::new(std::mem::take(&mut input.facts))));
                for pack in packs {
                    findings.extend(evaluator.evaluate(pack, &facts, &input.name, &opts));
                }
                summaries.push(input.summary.clone());
                inputs.push(input);
            }
            Err(message) => {
                summaries.push(InputSummary {
                    input: path.display().to_string(),
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
