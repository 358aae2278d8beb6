//! `triage diff BEFORE AFTER [--pack DIR]… [--format human|json]`: what changed between two runs —
//! what an admin checks after applying a fix. Each side is a JSON report (`triage run --format
//! json`) or an input (`run` evaluates it: a bundle, a folder, a file).
//!
//! Findings are matched by pack, rule and input. When each side has a single input, inputs are
//! matched whatever their names (the usual "same server, before and after"); otherwise by the
//! input's file name without extension (`wsus01.zip` ↔ `wsus01/`).
//!
//! - **appeared**: detected after, not before;
//! - **cleared**: detected before, `not_detected` or `not_applicable` after — the fix worked;
//! - **changed**: any other change of outcome (detected → `missing_facts` is not a fix: the facts
//!   to tell are gone);
//! - **still detected**: detected on both sides.
//!
//! Exit status: 1 when something appeared or is still detected, 0 when not, 2 on an error.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;
use triage_engine::{Evaluator, Finding, Outcome, Report};

use crate::output::{Out, Ui};
use crate::{packs, CmdResult, Exit, Failure, Format};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier side: a JSON report, a bundle, or an artifact folder.
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,
    /// The later side.
    #[arg(value_name = "AFTER")]
    pub after: PathBuf,
    /// Pack folders to evaluate inputs with (default: the built-in packs). Not used for reports.
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// One rule on one input whose outcome differs (or stays detected).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub rule: String,
    pub pack: String,
    /// The input as named on the AFTER side (BEFORE's when it only exists there).
    pub input: String,
    pub title: String,
    pub severity: String,
    /// `None`: no such finding on that side.
    pub before: Option<Outcome>,
    pub after: Option<Outcome>,
}

/// The difference between two reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub appeared: Vec<Change>,
    pub cleared: Vec<Change>,
    pub changed: Vec<Change>,
    pub still_detected: Vec<Change>,
}

pub fn run(args: DiffArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    let evaluator = Evaluator::default();
    let mut packs_cache = None;
    let mut side = |path: &Path, err: &mut Out| -> Result<Report, Failure> {
        if let Some(report) = read_report(path)? {
            return Ok(report);
        }
        if packs_cache.is_none() {
            packs_cache = Some(packs::load_for_command(&args.packs, &evaluator, ui, err)?);
        }
        let packs = packs_cache.as_deref().unwrap_or_default();
        let result = super::run::evaluate(&[path.to_path_buf()], packs, &evaluator, false, ui);
        if let Some(e) = result.input_errors.first() {
            return Err(Failure::Message(miette::miette!("{e}")));
        }
        Ok(result.report)
    };
    let before = side(&args.before, err)?;
    let after = side(&args.after, err)?;
    let d = diff(&before, &after);
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &d)
                .map_err(|e| Failure::Message(miette::miette!("{e}")))?;
            writeln!(out)?;
        }
        Format::Human => write_human(out, &d, &args.before, &args.after)?,
    }
    Ok(if d.appeared.is_empty() && d.still_detected.is_empty() { Exit::Clean } else { Exit::Detected })
}

/// A JSON report at `path`, or `None` when `path` is something else (a bundle, a folder, an
/// artifact). A `.json` file with `findings` that does not parse as a report is an error.
fn read_report(path: &Path) -> Result<Option<Report>, Failure> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if !is_json || !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Message(miette::miette!("{}: {e}", path.display())))?;
    let json: serde_json::Value = match serde_json::from_str(text.trim_start_matches('\u{feff}')) {
        Ok(v) => v,
        Err(_) => return Ok(None),
    };
    if json.get("findings").is_none() {
        return Ok(None);
    }
    serde_json::from_value(json)
        .map(Some)
        .map_err(|e| Failure::Message(miette::miette!("{}: not a triage report: {e}", path.display())))
}

fn input_key(name: &str) -> String {
    let p = Path::new(name.trim_end_matches(['/', '\\']));
    let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    stem.to_lowercase()
}

/// Compares two reports (see the module docs for the categories).
pub fn diff(before: &Report, after: &Report) -> Diff {
    let single = before.inputs.len() <= 1 && after.inputs.len() <= 1;
    let key = |f: &Finding| {
        (f.pack.clone(), f.rule.clone(), if single { String::new() } else { input_key(&f.input) })
    };
    let b: BTreeMap<_, &Finding> = before.findings.iter().map(|f| (key(f), f)).collect();
    let a: BTreeMap<_, &Finding> = after.findings.iter().map(|f| (key(f), f)).collect();
    let mut keys: Vec<_> = b.keys().chain(a.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let mut d = Diff::default();
    for k in keys {
        let (fb, fa) = (b.get(&k).copied(), a.get(&k).copied());
        let Some(shown) = fa.or(fb) else { continue };
        let (ob, oa) = (fb.map(|f| f.outcome), fa.map(|f| f.outcome));
        let change = Change {
            rule: shown.rule.to_string(),
            pack: shown.pack.to_string(),
            input: shown.input.to_string(),
            title: shown.title.to_string(),
            severity: shown.severity.as_str().to_owned(),
            before: ob,
            after: oa,
        };
        let detected = |o: Option<Outcome>| o == Some(Outcome::Detected);
        match (detected(ob), detected(oa)) {
            (true, true) => d.still_detected.push(change),
            (false, true) => d.appeared.push(change),
            (true, false) if matches!(oa, Some(Outcome::NotDetected | Outcome::NotApplicable)) => {
                d.cleared.push(change)
            }
            _ if ob != oa => d.changed.push(change),
            _ => {}
        }
    }
    d
}

fn outcome(o: Option<Outcome>) -> &'static str {
    o.map(Outcome::as_str).unwrap_or("absent")
}

fn write_human(out: &mut Out, d: &Diff, before: &Path, after: &Path) -> std::io::Result<()> {
    writeln!(out, "triage diff {} → {}", before.display(), after.display())?;
    let groups: [(&str, &[Change]); 4] = [
        ("appeared", &d.appeared),
        ("cleared", &d.cleared),
        ("changed", &d.changed),
        ("still detected", &d.still_detected),
    ];
    // With several packs, rules are named `pack/RULE`: two packs may use the same ID.
    let mut packs: Vec<&str> = groups.iter().flat_map(|(_, l)| l.iter().map(|c| c.pack.as_str())).collect();
    packs.sort_unstable();
    packs.dedup();
    for (label, list) in groups {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "\n{label} ({}):", list.len())?;
        for c in list {
            writeln!(
                out,
                "  {} [{}] {}  ({} → {}){}",
                if packs.len() > 1 { format!("{}/{}", c.pack, c.rule) } else { c.rule.clone() },
                c.severity,
                c.title,
                outcome(c.before),
                outcome(c.after),
                if c.input.is_empty() { String::new() } else { format!("  {}", c.input) }
            )?;
        }
    }
    if d.appeared.is_empty() && d.cleared.is_empty() && d.changed.is_empty() && d.still_detected.is_empty() {
        writeln!(out, "\nno differences, and nothing detected on either side")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(inputs: &[&str], findings: &[(&str, &str, Outcome)]) -> Report {
        let json = serde_json::json!({
            "format_version": triage_engine::REPORT_FORMAT_VERSION,
            "triage_version": "0.1.0",
            "packs": [],
            "inputs": inputs.iter().map(|i| serde_json::json!({"input": i, "artifacts": 1, "unrecognised": [], "collection_errors": []})).collect::<Vec<_>>(),
            "summary": {},
            "findings": findings.iter().map(|(rule, input, o)| serde_json::json!({
                "rule": rule, "pack": "wsus-tls", "pack_version": "1.0.0", "input": input,
                "outcome": o.as_str(), "severity": "error", "title": format!("title of {rule}"),
                "evidence": [], "missing": [],
            })).collect::<Vec<_>>(),
        });
        serde_json::from_value(json).expect("a report")
    }

    #[test]
    fn a_fix_clears_and_a_regression_appears() {
        use Outcome::*;
        let before = report(
            &["before.zip"],
            &[
                ("WSUS001", "before.zip", Detected),
                ("WSUS002", "before.zip", NotDetected),
                ("WSUS003", "before.zip", Detected),
                ("WSUS010", "before.zip", Detected),
                ("WSUS011", "before.zip", NotDetected),
            ],
        );
        let after = report(
            &["after.zip"],
            &[
                ("WSUS001", "after.zip", NotDetected),
                ("WSUS002", "after.zip", Detected),
                ("WSUS003", "after.zip", MissingFacts),
                ("WSUS010", "after.zip", Detected),
                ("WSUS011", "after.zip", NotDetected),
            ],
        );
        let d = diff(&before, &after);
        let rules = |l: &[Change]| l.iter().map(|c| c.rule.clone()).collect::<Vec<_>>();
        assert_eq!(rules(&d.cleared), ["WSUS001"]);
        assert_eq!(rules(&d.appeared), ["WSUS002"]);
        assert_eq!(rules(&d.changed), ["WSUS003"]);
        assert_eq!(d.changed[0].after, Some(MissingFacts));
        assert_eq!(rules(&d.still_detected), ["WSUS010"]);
        assert_eq!(d.cleared[0].input, "after.zip");
    }

    #[test]
    fn several_inputs_are_matched_by_name() {
        use Outcome::*;
        let before = report(
            &["a/wsus01.zip", "a/wsus02.zip"],
            &[("WSUS001", "a/wsus01.zip", Detected), ("WSUS001", "a/wsus02.zip", NotDetected)],
        );
        let after = report(
            &["b/wsus01", "b/wsus02"],
            &[("WSUS001", "b/wsus01", NotDetected), ("WSUS001", "b/wsus02", NotDetected)],
        );
        let d = diff(&before, &after);
        assert_eq!(d.cleared.len(), 1);
        assert_eq!(d.cleared[0].input, "b/wsus01");
        assert!(d.appeared.is_empty() && d.changed.is_empty());
        let gone = report(&["b/wsus01", "b/wsus02"], &[("WSUS001", "b/wsus02", NotDetected)]);
        let d = diff(&before, &gone);
        assert_eq!(d.changed.len(), 1);
        assert_eq!((d.changed[0].before, d.changed[0].after), (Some(Detected), None));
    }
}
