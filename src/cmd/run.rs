//! `triage run PATH… [--pack DIR]… [--format human|json|jsonl] [--explain]`: collect each input,
//! evaluate every pack on it, and report one finding per rule and input. The human format ends,
//! when there are several inputs, with a per-rule summary across them.
//!
//! `--format jsonl` streams: inputs are evaluated in ordered batches (a few per worker thread),
//! each batch's findings are written (waivers applied) and dropped, so memory is bounded by the
//! batch, not by the number of inputs. Its output is the same as writing the whole report's
//! findings at the end would be.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use triage_engine::{EvalOptions, Evaluator, Finding, InputFacts, InputSummary, Outcome, PackRef, Report};

use crate::input::{self, Input};
use crate::output::{Out, Ui};
use crate::{packs, render, CmdResult, Exit};

/// Examples shown by `triage run --help`.
const EXAMPLES: &str = "\
Examples:
  triage run examples/issue1-import-tls12            diagnose a folder copied off a server
  triage run server1.zip server2.zip                 bundles from `triage collect`
  triage run --format sarif -o triage.sarif DIR      for code-scanning views
  triage run --format junit -o junit.xml bundles/*/  for CI test reports
  triage run --format html -o fleet.html bundles/*/  a hosts x rules page for a fleet
  triage run --format jsonl bundles/*/ > fleet.jsonl one finding per line (docs/fleet-queries.md)
  triage run --rule WSUS001 --severity error DIR     only some rules
  triage facts --format json DIR | triage run -      a fact map (or a bundle) on stdin
  triage run -q DIR; echo $?                         exit status only: 0 clean, 1 detected, 2 error";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct RunArgs {
    /// Artifact folders, single artifact files, bundles or fact-map JSON files; `-` reads one
    /// (a fact map, a bundle or an artifact) from standard input. Each is evaluated on its own.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A rule-pack folder, or the ID of a built-in or installed pack (`builtin:ID`,
    /// `installed:ID` when both exist); repeat for several, combined freely. Without it, the
    /// packs built into triage are used.
    #[arg(long = "pack", value_name = "DIR|ID")]
    pub packs: Vec<PathBuf>,
    /// How to write the findings (see the values below).
    #[arg(long, value_enum, default_value_t)]
    pub format: RunFormat,
    /// Write the report to FILE instead of stdout (diagnostics still go to stderr).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show, for every rule, each clause, its value and the facts it read.
    #[arg(long)]
    pub explain: bool,
    /// A waivers file: detected findings it accepts are reported as waived and do not exit 1
    /// (format: docs/sharing-packs.md, "Waivers").
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Evaluate only this rule (repeat for several); an ID no pack has is an error.
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,
    /// Evaluate only rules of this severity or higher.
    #[arg(long, value_name = "LEVEL", value_parser = ["info", "warning", "error"])]
    pub severity: Option<String>,
    /// Print no report: the exit status alone says what was found (0, 1 or 2); errors still go
    /// to stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Output formats of `run`: one finding model, one renderer each (`src/render/`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// Compiler-style diagnostics with snippets of the artifacts.
    #[default]
    Human,
    /// One JSON document (`triage schema report`), the same bytes for the same input.
    Json,
    /// One finding per line (JSON Lines), streamed, for fleets and log tools; an input that
    /// cannot be read is one `{"kind":"input_error",…}` line.
    Jsonl,
    /// SARIF 2.1.0 for code-scanning and work-item views: one run per pack.
    Sarif,
    /// JUnit XML for CI: a testsuite per input, a testcase per rule.
    Junit,
    /// Markdown to paste into a ticket or an e-mail: host, findings, evidence, fixes.
    Markdown,
    /// CSV for spreadsheets and databases: one row per input and rule.
    Csv,
    /// One self-contained HTML page: a host's findings, or a hosts × rules matrix for many.
    Html,
}

/// A run's results: the report and the inputs it was made from (for showing artifacts).
pub struct RunResult {
    pub report: Report,
    pub inputs: Vec<Input>,
    /// Inputs that could not be read.
    pub input_errors: Vec<String>,
    /// Inputs read in which no collector recognised any artifact.
    pub unrecognised: Vec<String>,
}

pub fn run(args: RunArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    let evaluator = Evaluator::default();
    let waivers = crate::waivers::load(args.waivers.as_deref(), ui, err)?;
    let mut packs = packs::load_for_command(&args.packs, &evaluator, ui, err)?;
    select_rules(&mut packs, &args)?;
    let (mut file, mut sink);
    let out = match &args.output {
        _ if args.quiet => {
            sink = Out::sink();
            &mut sink
        }
        Some(path) => {
            file = Out::file(path).map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?;
            &mut file
        }
        None => out,
    };
    let exit = run_to(&args, &packs, &evaluator, waivers.as_ref(), ui, out, err)?;
    out.flush()?;
    Ok(exit)
}

/// `--rule` and `--severity`: the packs keep only the rules asked for.
fn select_rules(packs: &mut [triage_engine::Pack], args: &RunArgs) -> Result<(), crate::Failure> {
    for id in &args.rules {
        if !packs.iter().any(|p| p.rules.iter().any(|r| *r.id == **id)) {
            return Err(miette::miette!("--rule {id}: no loaded pack has a rule {id}").into());
        }
    }
    let floor = match args.severity.as_deref() {
        Some("error") => triage_engine::Severity::Error,
        Some("warning") => triage_engine::Severity::Warning,
        _ => triage_engine::Severity::Info,
    };
    for pack in packs {
        pack.rules.retain(|r| {
            r.severity >= floor && (args.rules.is_empty() || args.rules.iter().any(|id| **id == *r.id))
        });
    }
    Ok(())
}

fn run_to(
    args: &RunArgs,
    packs: &[triage_engine::Pack],
    evaluator: &Evaluator,
    waivers: Option<&crate::waivers::Waivers>,
    ui: &Ui,
    out: &mut Out,
    err: &mut Out,
) -> CmdResult {
    let ui = &ui.for_output(args.output.is_some());
    if args.format == RunFormat::Jsonl {
        return run_jsonl(args, packs, evaluator, waivers, ui, out, err);
    }
    let mut result = evaluate(&args.paths, packs, evaluator, args.explain, ui);
    if let Some(w) = waivers {
        crate::waivers::apply(&mut result.report, w, err)?;
    }
    for e in &result.input_errors {
        writeln!(err, "error: {e}")?;
    }
    for name in &result.unrecognised {
        writeln!(err, "{}", nothing_recognised(name))?;
    }
    let view = render::RunView { report: &result.report, inputs: &result.inputs, packs };
    match args.format {
        RunFormat::Json => render::json::write(out, &result.report)?,
        // Streamed by `run_jsonl` above; kept so the match stays total.
        RunFormat::Jsonl => render::json::write_lines(out, &result.report.findings)?,
        RunFormat::Human => {
            let mut out = render::inert::Inert::new(&mut *out, ui.color_out);
            render::human::write_run(&mut out, ui, &view, args.explain)?;
            if result.report.inputs.len() > 1 {
                write_rule_summary(&mut out, &result.report)?;
            }
            out.flush()?;
        }
        RunFormat::Sarif => render::sarif::write(out, &view)?,
        RunFormat::Junit => render::junit::write(out, &view)?,
        RunFormat::Markdown => {
            // A ticket is read in a terminal too: pack and artifact text stays inert there.
            let mut out = render::inert::Inert::new(&mut *out, false);
            render::markdown::write(&mut out, &view)?;
            out.flush()?;
        }
        RunFormat::Csv => render::csv::write(out, &result.report)?,
        RunFormat::Html => render::html::write(out, &view)?,
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
    let job = Job::new(packs, evaluator, explain, ui);
    let unique = unique_paths(paths);
    // Inputs are independent: collect and evaluate them in parallel, report them in order.
    let results = crate::parallel::parallel_map(&unique, |path| job.evaluate(path));
    let mut inputs = Vec::new();
    let mut summaries = Vec::new();
    let mut findings = Vec::new();
    let mut input_errors = Vec::new();
    let mut unrecognised = Vec::new();
    for (planned, result) in unique.iter().zip(results) {
        let path = &planned.path;
        match result {
            Ok((input, found)) => {
                if recognised_nothing(&input) {
                    unrecognised.push(input.name.clone());
                }
                summaries.push(input.summary.clone());
                findings.extend(found);
                inputs.push(input);
            }
            Err(message) => {
                summaries.push(InputSummary {
                    input: path.display().to_string(),
                    host: None,
                    collected_at: None,
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
    RunResult { report, inputs, input_errors, unrecognised }
}

/// An input read without error in which no artifact was recognised (a fact map has none to
/// recognise).
fn recognised_nothing(input: &Input) -> bool {
    input.summary.artifacts as usize <= input.summary.unrecognised.len()
        && input.kind != input::InputKind::FactMap
}

/// The one plain line `run` says about such an input.
fn nothing_recognised(name: &str) -> String {
    format!("{name}: no artifact recognised: none of its files is one triage reads, so no rule could be evaluated on it")
}

/// What evaluating one input needs: the packs, their scan plan and the options.
struct Job<'a> {
    packs: &'a [triage_engine::Pack],
    evaluator: &'a Evaluator,
    plan: triage_facts::ScanPlan,
    opts: EvalOptions,
    ui: &'a Ui,
}

impl<'a> Job<'a> {
    fn new(packs: &'a [triage_engine::Pack], evaluator: &'a Evaluator, explain: bool, ui: &'a Ui) -> Self {
        let plan = packs::scan_plan(packs);
        let opts = EvalOptions { explain, catalogue: Some(packs::catalogue(&plan)) };
        Job { packs, evaluator, plan, opts, ui }
    }

    /// Collects one input and evaluates every pack on it; the error message when it is unreadable
    /// or refused (see [`crate::hosts`]).
    fn evaluate(&self, planned: &crate::hosts::Planned) -> Result<(Input, Vec<Finding>), String> {
        if let Some(refused) = &planned.refused {
            return Err(refused.clone());
        }
        let mut input = input::load(&planned.path, &self.plan, self.ui)?;
        let facts = Arc::new(InputFacts::new(Arc::new(std::mem::take(&mut input.facts))));
        let host: Option<Arc<str>> = input.summary.host.as_deref().map(Arc::from);
        let findings: Vec<Finding> = self
            .packs
            .iter()
            .flat_map(|pack| self.evaluator.evaluate(pack, &facts, &input.name, &self.opts))
            .map(|finding| Finding { host: host.clone(), ..finding })
            .collect();
        Ok((input, findings))
    }
}

/// The inputs in command-line order, each once (findings are keyed by the input's name), a
/// folder of several hosts' collections as one input per host ([`crate::hosts::expand`]).
fn unique_paths(paths: &[PathBuf]) -> Vec<crate::hosts::Planned> {
    crate::hosts::expand(paths)
}

/// `run --format jsonl`: evaluates the inputs in ordered batches of a few per worker, writes each
/// batch's findings (waivers applied) and drops them, keeping only what the exit status and the
/// waiver warnings need. Diagnostics go to `err` in the same order as for the other formats:
/// waiver warnings, then unreadable inputs.
fn run_jsonl(
    args: &RunArgs,
    packs: &[triage_engine::Pack],
    evaluator: &Evaluator,
    waivers: Option<&crate::waivers::Waivers>,
    ui: &Ui,
    out: &mut Out,
    err: &mut Out,
) -> CmdResult {
    let job = Job::new(packs, evaluator, args.explain, ui);
    let unique = unique_paths(&args.paths);
    let mut usage = crate::waivers::Usage::default();
    let (mut input_errors, mut rule_error, mut detected, mut incomplete) = (Vec::new(), false, false, false);
    // Workers stream the inputs; each input's lines are written as soon as it and every
    // earlier input are done, a few inputs per worker ahead at most. Each worker drops the input
    // (facts, snippets) as soon as its findings are made.
    let evaluate = |planned: &crate::hosts::Planned| {
        job.evaluate(planned)
            .map(|(input, findings)| (recognised_nothing(&input).then_some(input.name), findings))
    };
    crate::parallel::for_each_ordered(&unique, 4 * crate::parallel::workers(), evaluate, |i, result| {
        let path = &unique[i].path;
        match result {
            Ok((nothing, mut findings)) => {
                if let Some(name) = nothing {
                    writeln!(err, "{}", nothing_recognised(&name))?;
                    incomplete = true;
                }
                if let Some(w) = waivers {
                    crate::waivers::apply_some(&mut findings, w, &mut usage);
                }
                rule_error |= findings.iter().any(|f| f.outcome == Outcome::Error);
                detected |= findings.iter().any(Finding::is_unwaived_detection);
                incomplete |= findings.iter().any(|f| f.outcome == Outcome::MissingFacts);
                render::json::write_lines(out, &findings)?;
            }
            Err(message) => {
                // A fleet must not lose a host silently: the input gets a line of its own.
                render::json::write_lines(out, &[render::json::InputError::new(path, &message)])?;
                input_errors.push(message);
            }
        }
        Ok::<(), std::io::Error>(())
    })?;
    if let Some(w) = waivers {
        crate::waivers::warn(&usage, w, err)?;
    }
    for e in &input_errors {
        writeln!(err, "error: {e}")?;
    }
    Ok(status(!input_errors.is_empty() || rule_error, detected, incomplete))
}

/// The run's status from what its inputs gave: 2 (an unreadable input or a rule error) > 1 (a
/// detection not waived) > 3 (incomplete: missing facts, or an input with no artifact
/// recognised) > 0.
fn status(error: bool, detected: bool, incomplete: bool) -> Exit {
    let mut exit = Exit::Clean;
    for (holds, e) in [(incomplete, Exit::Incomplete), (detected, Exit::Detected), (error, Exit::Error)] {
        if holds {
            exit = exit.worst(e);
        }
    }
    exit
}

/// 2 when an input was unreadable or a rule could not be evaluated, else 1 when something was
/// detected and not waived, else 3 when applicable rules could not be evaluated, else 0.
pub fn exit_status(result: &RunResult) -> Exit {
    let findings = &result.report.findings;
    status(
        !result.input_errors.is_empty() || findings.iter().any(|f| f.outcome == Outcome::Error),
        findings.iter().any(Finding::is_unwaived_detection),
        !result.unrecognised.is_empty() || findings.iter().any(|f| f.outcome == Outcome::MissingFacts),
    )
}

/// The per-rule summary that ends a human run over several inputs: for each rule, how many
/// inputs gave each outcome.
fn write_rule_summary(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    use std::collections::BTreeMap;
    type Counts<'a> = (&'a str, BTreeMap<Outcome, u64>);
    let mut by_rule: BTreeMap<(&str, &str), Counts<'_>> = BTreeMap::new();
    for f in &report.findings {
        let e = by_rule.entry((&*f.pack, &*f.rule)).or_insert((&*f.title, BTreeMap::new()));
        *e.1.entry(f.outcome).or_insert(0) += 1;
    }
    writeln!(out, "\nsummary over {} inputs:", report.inputs.len())?;
    writeln!(
        out,
        "  {:<10} {:>8} {:>12} {:>14} {:>13} {:>6}  title",
        "rule", "detected", "not_detected", "not_applicable", "missing_facts", "error"
    )?;
    // With several packs, rules are named `pack/RULE`: two packs may use the same ID.
    let several = report.packs.len() > 1;
    for ((pack, rule), (title, counts)) in &by_rule {
        let n = |o: Outcome| counts.get(&o).copied().unwrap_or(0);
        let name = if several { format!("{pack}/{rule}") } else { (*rule).to_owned() };
        writeln!(
            out,
            "  {:<10} {:>8} {:>12} {:>14} {:>13} {:>6}  {}",
            name,
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
