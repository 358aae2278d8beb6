//! JUnit XML for `triage run --format junit`, for CI systems that show test results (GitLab,
//! Jenkins, Azure Pipelines, GitHub test reporters). `pack test --junit` is `src/junit.rs`.
//!
//! Layout: one `<testsuites name="triage run">`; one `<testsuite>` per input (named by the
//! input as given, with `hostname` and `timestamp` when the input names its host and collection
//! time, and the packs' versions as properties); one `<testcase>` per rule (`name` = rule ID and
//! title, `classname` = `PACK.RULE`). Outcomes: `detected` = `<failure>` (evidence and fix in
//! its text), `error` = `<error>`, `not_applicable` and `missing_facts` = `<skipped>` with the
//! reason, a waived finding = `<skipped>` naming the waiver; `not_detected` passes. An input that
//! could not be read is a suite with one `<error>` testcase. Valid against
//! `tests/data/junit/junit.xsd`. Deterministic: no durations, no clock.

use std::fmt::Write as _;
use std::io::{self, Write};

use triage_engine::{Finding, InputSummary, Outcome};

use super::shared;
use super::RunView;
use crate::junit::esc;

/// Writes the JUnit document.
pub fn write(out: &mut impl Write, view: &RunView<'_>) -> io::Result<()> {
    out.write_all(render(view).as_bytes())
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn render(view: &RunView<'_>) -> String {
    let mut suites = String::new();
    let mut total = Counts::default();
    for summary in &view.report.inputs {
        let readable = view.inputs.iter().any(|x| x.name == summary.input);
        let findings: Vec<&Finding> =
            view.report.findings.iter().filter(|f| *f.input == *summary.input).collect();
        let (body, counts) = if readable { cases(&findings) } else { unreadable(summary) };
        total.tests += counts.tests;
        total.failures += counts.failures;
        total.errors += counts.errors;
        total.skipped += counts.skipped;
        let mut attrs = format!(
            "name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
            esc(&summary.input),
            counts.tests,
            counts.failures,
            counts.errors,
            counts.skipped
        );
        if let Some(h) = &summary.host {
            let _ = write!(attrs, " hostname=\"{}\"", esc(h));
        }
        if let Some(t) = &summary.collected_at {
            let _ = write!(attrs, " timestamp=\"{}\"", esc(t));
        }
        let _ = writeln!(suites, "  <testsuite {attrs}>");
        suites.push_str("    <properties>\n");
        let mut props: Vec<(String, String)> = vec![("input".into(), summary.input.clone())];
        if let Some(h) = &summary.host {
            props.push(("host".into(), h.clone()));
        }
        if let Some(t) = &summary.collected_at {
            props.push(("collected_at".into(), t.clone()));
        }
        for p in &view.report.packs {
            props.push((format!("pack.{}", p.id), p.version.clone()));
        }
        for (name, value) in props {
            let _ = writeln!(suites, "      <property name=\"{}\" value=\"{}\"/>", esc(&name), esc(&value));
        }
        suites.push_str("    </properties>\n");
        suites.push_str(&body);
        suites.push_str("  </testsuite>\n");
    }
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"triage run\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        total.tests, total.failures, total.errors, total.skipped
    );
    x.push_str(&suites);
    x.push_str("</testsuites>\n");
    x
}

fn cases(findings: &[&Finding]) -> (String, Counts) {
    let mut x = String::new();
    let mut c = Counts::default();
    for f in findings {
        c.tests += 1;
        let open = format!(
            "    <testcase name=\"{}\" classname=\"{}.{}\"",
            esc(&format!("{} {}", f.rule, f.title)),
            esc(&f.pack),
            esc(&f.rule)
        );
        let child = match (f.outcome, &f.waiver) {
            (Outcome::NotDetected, _) => None,
            (Outcome::Detected, Some(w)) => {
                c.skipped += 1;
                let message = format!(
                    "detected and waived until {} by {}: {} ({}:{})",
                    w.expires, w.owner, w.justification, w.file, w.line
                );
                Some(format!("<skipped message=\"{}\"/>", esc(&message)))
            }
            (Outcome::Detected, None) => {
                c.failures += 1;
                let kind = if shared::confirmed(f) { "detected" } else { "unconfirmed" };
                Some(format!(
                    "<failure type=\"{kind}\" message=\"{}\">{}</failure>",
                    esc(&format!("{} {} [{}]", f.rule, f.title, f.severity.as_str())),
                    esc(&details(f))
                ))
            }
            (Outcome::Error, _) => {
                c.errors += 1;
                let why = f.error.as_deref().unwrap_or("the rule could not be evaluated");
                Some(format!("<error type=\"rule_error\" message=\"{}\"/>", esc(why)))
            }
            (Outcome::NotApplicable, _) => {
                c.skipped += 1;
                Some(
                    "<skipped message=\"not applicable: the rule does not apply to this input\"/>".to_owned(),
                )
            }
            (Outcome::MissingFacts, _) => {
                c.skipped += 1;
                let needs: Vec<String> = f.missing.iter().map(shared::needed).collect();
                let message = format!("missing facts: {}", needs.join("; "));
                Some(format!("<skipped message=\"{}\"/>", esc(&message)))
            }
        };
        match child {
            None => {
                let _ = writeln!(x, "{open}/>");
            }
            Some(child) => {
                let _ = writeln!(x, "{open}>\n      {child}\n    </testcase>");
            }
        }
    }
    (x, c)
}

/// The failure text: evidence, one per line, then the fix.
fn details(f: &Finding) -> String {
    let mut s = String::new();
    if let Some(h) = &f.host {
        let _ = writeln!(s, "Host: {h}");
    }
    let _ = writeln!(s, "Input: {}", f.input);
    if let Some(u) = shared::unconfirmed_text(f) {
        let _ = writeln!(s, "{u}");
    }
    if !f.evidence.is_empty() {
        s.push_str("Evidence:\n");
        for e in &f.evidence {
            let _ = writeln!(s, "- {}", shared::evidence_line(e));
            if let Some(t) = &e.text {
                let _ = writeln!(s, "    {}", shared::first_line(t, 200));
            }
        }
    }
    if let Some(r) = &f.resolution {
        let _ = write!(s, "Fix:\n{}\n", r.trim_end());
    }
    s
}

fn unreadable(summary: &InputSummary) -> (String, Counts) {
    let why = summary.collection_errors.first().map_or("the input could not be read", String::as_str);
    let x = format!(
        "    <testcase name=\"read input\" classname=\"triage.input\">\n      <error type=\"input_error\" message=\"{}\"/>\n    </testcase>\n",
        esc(why)
    );
    (x, Counts { tests: 1, errors: 1, ..Counts::default() })
}
