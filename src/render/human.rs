//! Human output: findings rendered like compiler diagnostics.
//!
//! A detected finding is a miette diagnostic: the rule ID as its code, the title as its message,
//! and the evidence as labelled snippets of the artifacts. The snippets are windows
//! ([`super::window::Excerpt`]) read in one streaming pass per artifact for all the findings of
//! an input, decoded as [`triage_collectors::text::decode`] does so the byte spans in provenance
//! land on the right characters, with long lines cut around their spans: the artifact is never
//! held whole, and miette only sees short lines. The bytes come through the input's access layer
//! ([`crate::input::Input::open_artifact`]: no link followed out of the input, a bundle's
//! artifacts from the bundle). Evidence without a location in a readable artifact (a fact-map
//! input, a capture frame) is listed as notes. The resolution follows, indented.
//!
//! Colour only when asked for ([`crate::output::Ui`]); without it no escape code is written,
//! so the output can be snapshot-tested.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, SourceCode, SourceSpan,
    SpanContents, ThemeCharacters, ThemeStyles,
};
use triage_engine::{ClauseTrace, Evidence, Finding, Outcome, Report};
use triage_engine::{Pack, Severity};
use triage_facts::{Fact, FactMap, Value};

use super::shared;
use super::window::{Excerpt, Target};
use super::RunView;
use crate::input::Input;
use crate::output::Ui;

/// The miette handler for our output: unicode frames; colour only when `color`; no hyperlinks.
pub fn handler(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme { characters: ThemeCharacters::unicode(), styles: ThemeStyles::none() }
    };
    GraphicalReportHandler::new_themed(theme).with_links(false).with_width(width)
}

/// Renders one diagnostic (a pack load problem, a finding) to `w`.
pub fn write_diagnostic(
    w: &mut impl Write,
    color: bool,
    width: usize,
    diag: &dyn Diagnostic,
) -> io::Result<()> {
    let mut text = String::new();
    handler(color, width).render_report(&mut text, diag).map_err(|_| io::Error::other("rendering failed"))?;
    if !text.ends_with("\n\n") {
        text.push('\n');
    }
    w.write_all(text.as_bytes())
}

/// Prints a command's failure: plain `error: …` lines, or a full diagnostic when it points into
/// a source.
pub fn write_report_error(w: &mut impl Write, ui: &Ui, diag: &dyn Diagnostic) {
    if diag.source_code().is_some() && diag.labels().is_some() {
        let _ = write_diagnostic(w, ui.color_err, ui.width, diag);
        return;
    }
    let _ = writeln!(w, "{}: {diag}", paint(ui.color_err, RED_BOLD, "error"));
    let mut cause = diag.source();
    while let Some(c) = cause {
        let _ = writeln!(w, "  caused by: {c}");
        cause = c.source();
    }
    if let Some(help) = diag.help() {
        let _ = writeln!(w, "  help: {help}");
    }
}

const RED_BOLD: &str = "1;31";
const YELLOW_BOLD: &str = "1;33";
const CYAN_BOLD: &str = "1;36";
const GREEN: &str = "32";
const BOLD: &str = "1";
const DIM: &str = "2";

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// `triage run` in human form: per input, its collection summary, each detected finding (its
/// rule and the article's section, severity, links, the fix, then the evidence in words and as
/// snippets), what could not be checked and why, and what was checked and ruled out.
pub fn write_run(out: &mut impl Write, ui: &Ui, view: &RunView<'_>, explain: bool) -> io::Result<()> {
    let color = ui.color_out;
    let (report, inputs, packs) = (view.report, view.inputs, view.packs);
    let qualified;
    let report = if report.packs.len() > 1 {
        qualified = with_pack_names(report);
        &qualified
    } else {
        report
    };
    for (i, summary) in report.inputs.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let input = inputs.iter().find(|x| x.name == summary.input);
        let header = match input {
            None => "could not be read".to_owned(),
            Some(x) if x.kind == crate::input::InputKind::FactMap && summary.artifacts == 0 => {
                "fact map".to_owned()
            }
            Some(x) => {
                let mut h = shared::count(summary.artifacts as usize, "artifact", "artifacts");
                if x.kind == crate::input::InputKind::FactMap {
                    h = format!("fact map of {h}");
                }
                if !summary.unrecognised.is_empty() {
                    h.push_str(&format!(", {} not recognised", summary.unrecognised.len()));
                }
                match summary.collection_errors.len() {
                    0 => h.push_str(", no collection errors"),
                    n => h.push_str(&format!(
                        ", {}",
                        shared::count(n, "collection error", "collection errors")
                    )),
                }
                h
            }
        };
        let host = summary.host.as_deref().map(|h| format!(" (host {h})")).unwrap_or_default();
        writeln!(out, "{} {}", paint(color, BOLD, &format!("{}{host}:", summary.input)), header)?;
        const SHOWN: usize = 10;
        let errors = summaries_last(&summary.collection_errors);
        for e in errors.iter().take(SHOWN) {
            writeln!(out, "  {} {e}", paint(color, YELLOW_BOLD, "collection error:"))?;
        }
        if summary.collection_errors.len() > SHOWN {
            writeln!(out, "  … and {} more collection errors", summary.collection_errors.len() - SHOWN)?;
        }
        if !summary.unrecognised.is_empty() {
            let names: Vec<&str> = summary.unrecognised.iter().map(String::as_str).take(SHOWN).collect();
            let more = summary.unrecognised.len().saturating_sub(SHOWN);
            let tail = if more > 0 { format!(" … and {more} more") } else { String::new() };
            writeln!(out, "  {} {}{tail}", paint(color, DIM, "not recognised:"), names.join(", "))?;
        }
        let Some(input) = input else { continue };
        let findings: Vec<&Finding> = report.findings.iter().filter(|f| *f.input == *summary.input).collect();
        let excerpts = Excerpts::read(input, &findings);
        // Packs whose `applies_if` left every rule missing facts, told once.
        let mut packs_told: Vec<&str> = Vec::new();
        for f in &findings {
            if f.by_pack && f.outcome == Outcome::MissingFacts {
                if packs_told.contains(&&*f.pack) {
                    continue;
                }
                packs_told.push(&f.pack);
                let n = findings.iter().filter(|g| g.pack == f.pack && g.by_pack).count();
                writeln!(out)?;
                writeln!(
                    out,
                    "{} pack {} ({} not checked: what tells whether the pack applies is missing)",
                    paint(color, YELLOW_BOLD, "could not be checked:"),
                    paint(color, BOLD, &f.pack),
                    shared::count(n, "rule", "rules")
                )?;
                write_needs(out, packs, f)?;
                continue;
            }
            let name = shared::rule_name(packs, f);
            match f.outcome {
                Outcome::Detected => {
                    writeln!(out)?;
                    match &f.waiver {
                        Some(w) => write_waived(out, color, f, &name, w)?,
                        None => write_detected(out, ui, packs, f, &name, &excerpts)?,
                    }
                }
                Outcome::MissingFacts => {
                    writeln!(out)?;
                    writeln!(
                        out,
                        "{} {}: {}",
                        paint(color, YELLOW_BOLD, "could not be checked:"),
                        paint(color, BOLD, &name),
                        f.title
                    )?;
                    write_needs(out, packs, f)?;
                }
                Outcome::Error => {
                    writeln!(out)?;
                    writeln!(
                        out,
                        "{} {}: {}",
                        paint(color, RED_BOLD, "rule error:"),
                        paint(color, BOLD, &name),
                        f.title
                    )?;
                    if let Some(e) = &f.error {
                        writeln!(out, "  {e}")?;
                    }
                }
                Outcome::NotDetected | Outcome::NotApplicable => {
                    if explain {
                        writeln!(out)?;
                        writeln!(
                            out,
                            "{} {}: {}",
                            paint(color, DIM, f.outcome.as_str()),
                            paint(color, BOLD, &name),
                            f.title
                        )?;
                    }
                }
            }
            if explain {
                if let Some(x) = &f.explain {
                    write_trace(out, color, x)?;
                }
            }
        }
        writeln!(out)?;
        writeln!(out, "{} {}", paint(color, BOLD, &format!("{}:", summary.input)), counts(&findings))?;
        write_checked(out, color, packs, &findings)?;
    }
    Ok(())
}

/// An input's outcomes in one line: `1 detected, 5 not detected, …, 1 rule error`.
fn counts(findings: &[&Finding]) -> String {
    let n = |o: Outcome| findings.iter().filter(|f| f.outcome == o).count();
    let waived = findings.iter().filter(|f| f.outcome == Outcome::Detected && f.waiver.is_some()).count();
    let unconfirmed = findings.iter().filter(|f| f.outcome == Outcome::Detected && f.unconfirmed).count();
    let notes: Vec<String> = [(waived, "waived"), (unconfirmed, "unconfirmed")]
        .iter()
        .filter(|(k, _)| *k > 0)
        .map(|(k, what)| format!("{k} {what}"))
        .collect();
    let detected = if notes.is_empty() {
        format!("{} detected", n(Outcome::Detected))
    } else {
        format!("{} detected ({})", n(Outcome::Detected), notes.join(", "))
    };
    [
        detected,
        format!("{} not detected", n(Outcome::NotDetected)),
        format!("{} not applicable", n(Outcome::NotApplicable)),
        format!("{} not checked (facts missing)", n(Outcome::MissingFacts)),
        shared::count(n(Outcome::Error), "rule error", "rule errors"),
    ]
    .join(", ")
}

/// Under an input's counts: the diagnoses checked and ruled out, those that do not apply, and
/// those that could not be checked, with what to collect so they can be.
fn write_checked(out: &mut impl Write, color: bool, packs: &[Pack], findings: &[&Finding]) -> io::Result<()> {
    let of = |o: Outcome| findings.iter().filter(move |f| f.outcome == o);
    let ruled_out: Vec<&&Finding> = of(Outcome::NotDetected).collect();
    if !ruled_out.is_empty() {
        writeln!(out, "  {}", paint(color, GREEN, "checked and ruled out:"))?;
        for f in ruled_out {
            writeln!(out, "    {}: {}", shared::rule_name(packs, f), f.title)?;
        }
    }
    let not_applicable: Vec<&str> = of(Outcome::NotApplicable).map(|f| &*f.rule).collect();
    if !not_applicable.is_empty() {
        writeln!(
            out,
            "  {} {}",
            paint(color, DIM, "not applicable to this input:"),
            not_applicable.join(", ")
        )?;
    }
    let missing: Vec<&&Finding> = of(Outcome::MissingFacts).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let rules: Vec<&str> = missing.iter().map(|f| &*f.rule).collect();
    writeln!(out, "  {} {}", paint(color, YELLOW_BOLD, "not checked, facts missing:"), rules.join(", "))?;
    let mut collect: Vec<&str> = Vec::new();
    for m in missing.iter().flat_map(|f| &f.missing) {
        let what = m.artifact.as_deref().unwrap_or(&m.fact);
        if !collect.contains(&what) {
            collect.push(what);
        }
    }
    writeln!(out, "  to check them, collect: {}", collect.join("; "))
}

/// A `missing_facts` finding's needs, one line each, in the pack's words where it has them.
fn write_needs(out: &mut impl Write, packs: &[Pack], f: &Finding) -> io::Result<()> {
    for m in &f.missing {
        let what = needed_name(packs, f, &m.fact);
        match &m.artifact {
            Some(a) => writeln!(out, "  needs {what} — collect {a}")?,
            None => writeln!(out, "  needs {what}")?,
        }
    }
    Ok(())
}

/// A needed fact as the pack's `[labels]` name it (`name (fact)`), else its path.
fn needed_name(packs: &[Pack], f: &Finding, fact: &str) -> String {
    let pack = packs.iter().find(|p| *p.manifest.id == *f.pack);
    match pack.and_then(|p| shared::fact_label(p, fact)).and_then(|l| l.name.as_deref()) {
        Some(name) => format!("{name} ({fact})"),
        None => fact.to_owned(),
    }
}

/// With several packs, every finding is named `pack/RULE`, so two packs' rules with the same
/// ID are told apart (with one pack, the rule ID alone).
fn with_pack_names(report: &Report) -> Report {
    let mut r = report.clone();
    for f in &mut r.findings {
        f.rule = format!("{}/{}", f.pack, f.rule).into();
    }
    r
}

/// A waived finding: one line naming the rule, then who waived it, until when, and why.
fn write_waived(
    out: &mut impl Write,
    color: bool,
    f: &Finding,
    name: &str,
    w: &triage_engine::WaiverRef,
) -> io::Result<()> {
    writeln!(out, "{} {}: {}", paint(color, DIM, "waived:"), paint(color, BOLD, name), f.title)?;
    writeln!(out, "  waived by {} until {}, {} ({}:{})", w.owner, w.expires, w.justification, w.file, w.line)
}

/// The windows of an input's artifacts that its detected findings show: every target of every
/// finding, read in one pass per artifact.
#[derive(Default)]
struct Excerpts {
    by_artifact: HashMap<String, (Arc<Excerpt>, HashMap<Target, usize>)>,
}

impl Excerpts {
    fn read(input: &Input, findings: &[&Finding]) -> Excerpts {
        let mut wanted: BTreeMap<&str, Vec<Target>> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.outcome == Outcome::Detected && f.waiver.is_none()) {
            // Log records are shown from the evidence's own text ([`write_records`]).
            for src in f.evidence.iter().filter(|e| e.text.is_none()).filter_map(|e| e.source.as_ref()) {
                if let Some(t) = target_of(src) {
                    wanted.entry(src.artifact.as_str()).or_default().push(t);
                }
            }
        }
        let mut out = Excerpts::default();
        for (artifact, mut targets) in wanted {
            targets.sort();
            targets.dedup();
            let Some(mut reader) = input.open_artifact(artifact) else { continue };
            // An artifact that cannot be read now is shown as notes, like one never found.
            let Ok(Some(excerpt)) = Excerpt::read(artifact, &mut *reader, &targets) else { continue };
            let index = targets.iter().enumerate().map(|(i, t)| (*t, i)).collect();
            out.by_artifact.insert(artifact.to_owned(), (Arc::new(excerpt), index));
        }
        out
    }

    /// The excerpt of `artifact` and the label range of `target` in it, when it was found.
    fn label(&self, artifact: &str, target: Target) -> Option<(Arc<Excerpt>, std::ops::Range<usize>)> {
        let (ex, index) = self.by_artifact.get(artifact)?;
        let range = ex.labels.get(*index.get(&target)?)?.clone()?;
        Some((ex.clone(), range))
    }
}

/// What a provenance points at: its byte span, else its lines.
fn target_of(src: &triage_engine::Source) -> Option<Target> {
    match src.span {
        Some([start, end]) => Some(Target::Span(start as usize, end as usize)),
        None => {
            let line = src.line?;
            Some(Target::Lines(line, src.end_line.unwrap_or(line).max(line)))
        }
    }
}

/// An excerpt shared by the findings that cite it.
#[derive(Debug, Clone)]
struct Shared(Arc<Excerpt>);

impl SourceCode for Shared {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        self.0.read_span(span, context_lines_before, context_lines_after)
    }
}

/// A detected finding as a miette diagnostic: the first artifact's snippets in the main
/// diagnostic, every other artifact's in a related one.
#[derive(Debug)]
struct FindingDiagnostic {
    code: String,
    message: String,
    severity: miette::Severity,
    source: Option<Shared>,
    labels: Vec<LabeledSpan>,
    related: Vec<FindingDiagnostic>,
}

impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

/// A detected finding: its rule (with the article's section) and title, severity, where to read
/// more, the fix, then the evidence — in words, one line per fact or signal, and as snippets of
/// the artifacts, each log record folded to its matched line.
fn write_detected(
    out: &mut impl Write,
    ui: &Ui,
    packs: &[Pack],
    f: &Finding,
    name: &str,
    excerpts: &Excerpts,
) -> io::Result<()> {
    let color = ui.color_out;
    let rule = shared::rule_of(packs, f);
    let title = if f.unconfirmed { format!("{} (unconfirmed)", f.title) } else { f.title.to_string() };
    writeln!(out, "{}", paint(color, BOLD, &format!("{name}: {title}")))?;
    let (word, code) = match f.severity {
        Severity::Error => ("error", RED_BOLD),
        Severity::Warning => ("warning", YELLOW_BOLD),
        Severity::Info => ("info", CYAN_BOLD),
    };
    writeln!(out, "  Severity: {}", paint(color, code, word))?;
    if let Some((pack, rule)) = rule {
        if let Some(page) = shared::rule_page(&pack.manifest.id, &rule.id) {
            writeln!(out, "  Rule reference: {page}")?;
        }
        if let Some(url) = shared::article_url(pack, rule) {
            writeln!(out, "  Article: {url}")?;
        }
    }
    write_to_confirm(out, color, packs, f)?;
    if let Some(res) = &f.resolution {
        writeln!(out)?;
        writeln!(out, "  {}", paint(color, GREEN, "Fix:"))?;
        for line in res.trim_end().lines() {
            if line.trim().is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, "    {line}")?;
            }
        }
    }
    let pack = rule.map(|(p, _)| p);
    let items = shared::evidence_items(pack, &f.evidence);
    if !items.is_empty() {
        writeln!(out)?;
        writeln!(out, "  {}", paint(color, CYAN_BOLD, "Evidence:"))?;
        for item in &items {
            let mut line = item.text.clone();
            if !item.places.is_empty() {
                line.push_str(&format!(" — {}", shared::places(&item.places)));
            }
            if let Some(more) = &item.more {
                line.push_str(&format!(", and {more}"));
            }
            writeln!(out, "    • {line}")?;
        }
    }
    write_records(out, color, ui.width, pack, f)?;
    // The other located evidence (registry values, XML elements) as labelled snippets, one
    // diagnostic per artifact, in order of first appearance.
    let mut groups: Vec<(String, Arc<Excerpt>, Vec<LabeledSpan>)> = Vec::new();
    for e in f.evidence.iter().filter(|e| e.text.is_none()) {
        let Some(src) = e.source.as_ref() else { continue };
        let Some((excerpt, range)) = target_of(src).and_then(|t| excerpts.label(&src.artifact, t)) else {
            continue;
        };
        // A whole long record underlined, or a long multi-line element bracketed, is noise: the
        // excerpt points at its start instead (an empty range).
        let label = LabeledSpan::new(Some(label_for(pack, e)), range.start, range.len());
        match groups.iter_mut().find(|g| g.0 == src.artifact) {
            Some(g) => g.2.push(label),
            None => groups.push((src.artifact.clone(), excerpt, vec![label])),
        }
    }
    for (artifact, excerpt, labels) in groups {
        let diag = FindingDiagnostic {
            code: String::new(),
            message: format!("in {artifact}"),
            severity: miette::Severity::Advice,
            source: Some(Shared(excerpt)),
            labels,
            related: Vec::new(),
        };
        writeln!(out)?;
        let mut text = String::new();
        handler(color, ui.width)
            .render_report(&mut text, &diag)
            .map_err(|_| io::Error::other("rendering failed"))?;
        out.write_all(text.trim_end_matches('\n').as_bytes())?;
        writeln!(out)?;
    }
    Ok(())
}

/// The matched log records, folded: per artifact, each record's matched line (cut to the width)
/// and how many more lines the record has (its stack trace), never the lines themselves.
fn write_records(
    out: &mut impl Write,
    color: bool,
    width: usize,
    pack: Option<&Pack>,
    f: &Finding,
) -> io::Result<()> {
    let mut artifacts: Vec<&str> = Vec::new();
    for e in f.evidence.iter().filter(|e| e.text.is_some()) {
        if let Some(src) = &e.source {
            if !artifacts.contains(&src.artifact.as_str()) {
                artifacts.push(&src.artifact);
            }
        }
    }
    for artifact in artifacts {
        let records: Vec<&Evidence> = f
            .evidence
            .iter()
            .filter(|e| e.text.is_some() && e.source.as_ref().is_some_and(|s| s.artifact == artifact))
            .collect();
        let digits =
            records.iter().filter_map(|e| e.source.as_ref()?.line).max().unwrap_or(0).to_string().len();
        writeln!(out)?;
        writeln!(out, "  {} in {artifact}", paint(color, CYAN_BOLD, "☞"))?;
        // The first record of each signal in full (wrapped); the next ones, usually the same
        // message again, on one line each.
        let mut seen: Vec<&str> = Vec::new();
        for e in records {
            let (Some(text), Some(src)) = (&e.text, &e.source) else { continue };
            let again = seen.contains(&e.fact.as_str());
            seen.push(&e.fact);
            let lines: Vec<&str> = text.lines().collect();
            let line = src.line.unwrap_or(0);
            let end = src.end_line.unwrap_or(line).max(line);
            // The record's text ends at `end_line`; the matched line is `line`.
            let first = (end + 1).saturating_sub(lines.len() as u64);
            let matched = lines.get(line.saturating_sub(first) as usize).copied().unwrap_or_default();
            let matched = shorten(&matched.replace('\t', " "), 1024);
            let room = width.saturating_sub(digits + 7).max(40);
            let pieces =
                if again { vec![shorten(matched.trim_end(), room)] } else { wrap(matched.trim_end(), room) };
            for (i, piece) in pieces.iter().enumerate() {
                let number = if i == 0 { format!("{line:>digits$}") } else { " ".repeat(digits) };
                writeln!(out, "    {} {} {piece}", paint(color, DIM, &number), paint(color, DIM, "│"))?;
            }
            let pad = " ".repeat(digits);
            writeln!(out, "    {pad} {} {}", paint(color, DIM, "╰─"), label_for(pack, e))?;
        }
    }
    Ok(())
}

/// `text` in pieces of at most `width` characters, broken at spaces where there is one.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.chars().count() > width {
        let cut = rest.char_indices().nth(width).map_or(rest.len(), |(i, _)| i);
        let at = rest[..cut].rfind(' ').filter(|&i| i > cut / 2).unwrap_or(cut);
        pieces.push(rest[..at].to_owned());
        rest = rest[at..].trim_start();
    }
    pieces.push(rest.to_owned());
    pieces
}

/// An unconfirmed finding: the symptoms are there, and what to collect to confirm the cause.
fn write_to_confirm(out: &mut impl Write, color: bool, packs: &[Pack], f: &Finding) -> io::Result<()> {
    if !f.unconfirmed {
        return Ok(());
    }
    writeln!(
        out,
        "  {} the symptoms are there, but what confirms the cause was not collected",
        paint(color, YELLOW_BOLD, "unconfirmed:")
    )?;
    for m in &f.to_confirm {
        let what = needed_name(packs, f, &m.fact);
        match &m.artifact {
            Some(a) => writeln!(out, "    to confirm: {what} — collect {a}")?,
            None => writeln!(out, "    to confirm: {what}")?,
        }
    }
    Ok(())
}

/// A snippet's label: what the pack calls the fact or signal, and for a log record how many
/// lines of it (its stack trace) are folded away.
fn label_for(pack: Option<&Pack>, e: &Evidence) -> String {
    let item = shared::evidence_items(pack, std::slice::from_ref(e));
    let text = item.first().map_or_else(|| e.fact.clone(), |i| i.text.clone());
    match (&e.text, &e.source) {
        (Some(_), Some(src)) => {
            let more = src.end_line.zip(src.line).map_or(0, |(end, line)| end.saturating_sub(line));
            match more {
                0 => text,
                n => format!(
                    "{text}; {} of this record not shown",
                    shared::count(n as usize, "more line", "more lines")
                ),
            }
        }
        _ => text,
    }
}

fn note_for(e: &Evidence) -> String {
    let mut s = match &e.value {
        Some(v) => format!("{} = {v}", e.fact),
        None if e.text.is_some() => e.fact.clone(),
        None => format!("{} (absent)", e.fact),
    };
    if let Some(src) = &e.source {
        s.push_str(&format!(" — {}", source_display(src)));
    }
    if let Some(t) = &e.text {
        let first = t.lines().next().unwrap_or_default();
        s.push_str(&format!(": {}", shorten(first, 160)));
    }
    s
}

fn source_display(src: &triage_engine::Source) -> String {
    let mut s = src.artifact.clone();
    if let Some(l) = src.line {
        s.push_str(&format!(":{l}"));
    }
    if let Some(k) = &src.key {
        s.push_str(&format!(" [{k}]"));
    }
    if let Some(fr) = src.frame {
        s.push_str(&format!(" frame {fr}"));
    }
    s
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// `triage explain` in human form.
pub fn write_explanation(
    out: &mut impl Write,
    ui: &Ui,
    pack: &Pack,
    f: &Finding,
    input: &Input,
) -> io::Result<()> {
    let color = ui.color_out;
    writeln!(out, "{} {}", paint(color, BOLD, &f.rule), f.title)?;
    writeln!(out, "  pack:    {} {}", pack.manifest.id, pack.manifest.version)?;
    writeln!(out, "  input:   {}", input.name)?;
    let outcome_color = match f.outcome {
        Outcome::Detected | Outcome::Error => RED_BOLD,
        Outcome::MissingFacts => YELLOW_BOLD,
        Outcome::NotDetected | Outcome::NotApplicable => GREEN,
    };
    let outcome = if f.unconfirmed { format!("{} (unconfirmed)", f.outcome) } else { f.outcome.to_string() };
    writeln!(out, "  outcome: {}", paint(color, outcome_color, &outcome))?;
    if let Some(e) = &f.error {
        writeln!(out, "  error:   {e}")?;
    }
    for m in &f.missing {
        match &m.artifact {
            Some(a) => writeln!(out, "  missing: {} — collect {a}", m.fact)?,
            None => writeln!(out, "  missing: {}", m.fact)?,
        }
    }
    write_to_confirm(out, color, std::slice::from_ref(pack), f)?;
    if let Some(x) = &f.explain {
        write_trace(out, color, x)?;
    }
    if let Some(res) = &f.resolution {
        writeln!(out, "  {}", paint(color, GREEN, "resolution:"))?;
        for line in res.lines() {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}

fn write_trace(out: &mut impl Write, color: bool, x: &triage_engine::Explanation) -> io::Result<()> {
    if !x.requires.is_empty() {
        writeln!(out, "  requires:")?;
        for r in &x.requires {
            let mark =
                if r.present { paint(color, GREEN, "present") } else { paint(color, YELLOW_BOLD, "MISSING") };
            writeln!(out, "    {mark}  {}", r.fact)?;
        }
    }
    if !x.derived.is_empty() {
        writeln!(out, "  derived facts:")?;
        for c in &x.derived {
            write_clause(out, color, c)?;
        }
    }
    if !x.clauses.is_empty() {
        writeln!(out, "  clauses ({}):", x.combine)?;
        for c in &x.clauses {
            write_clause(out, color, c)?;
        }
    }
    if !x.confirm.is_empty() {
        writeln!(out, "  confirmed by:")?;
        for c in &x.confirm {
            write_clause(out, color, c)?;
        }
    }
    Ok(())
}

fn write_clause(out: &mut impl Write, color: bool, c: &ClauseTrace) -> io::Result<()> {
    let value = match (&c.value, &c.error) {
        (_, Some(e)) => paint(color, RED_BOLD, &format!("error: {e}")),
        (Some(v), None) => paint(color, BOLD, v),
        (None, None) if !c.missing.is_empty() => {
            paint(color, YELLOW_BOLD, &format!("missing ({})", c.missing.join(", ")))
        }
        (None, None) => "()".to_owned(),
    };
    writeln!(out, "    {} = {value}", c.role)?;
    writeln!(out, "      {}  {}", paint(color, DIM, &c.location), c.expression.trim())?;
    for r in &c.reads {
        writeln!(out, "      read {}", note_for(r))?;
    }
    Ok(())
}

/// `triage facts` in human form: one line per leaf, `path = value`, with where it came from.
pub fn write_facts(out: &mut impl Write, facts: &FactMap) -> io::Result<()> {
    for (k, f) in &facts.root {
        write_fact(out, k, f)?;
    }
    Ok(())
}

fn write_fact(out: &mut impl Write, path: &str, f: &Fact) -> io::Result<()> {
    match &f.value {
        Value::Map(m) if !m.is_empty() => {
            for (k, child) in m {
                let key =
                    if k.contains(['.', ' ', '\\']) || k.is_empty() { format!("{k:?}") } else { k.clone() };
                write_fact(out, &format!("{path}.{key}"), child)?;
            }
            Ok(())
        }
        Value::List(l)
            if !l.is_empty() && l.iter().any(|x| matches!(x.value, Value::Map(_) | Value::List(_))) =>
        {
            for (i, child) in l.iter().enumerate() {
                write_fact(out, &format!("{path}[{i}]"), child)?;
            }
            Ok(())
        }
        Value::Map(_) => writeln!(out, "{path} = {{}}"),
        v => match &f.source {
            Some(src) => writeln!(out, "{path} = {v}    ← {src}"),
            None => writeln!(out, "{path} = {v}"),
        },
    }
}

/// Collection errors in display order: a collector's "N more errors in this file not listed"
/// line has no line number, so it sorts before the errors it summarises; it is moved after the
/// last error of its artifact.
fn summaries_last(errors: &[String]) -> Vec<&str> {
    const SUMMARY: &str = " more errors in this file not listed";
    let mut list: Vec<&str> = errors.iter().map(String::as_str).filter(|e| !e.ends_with(SUMMARY)).collect();
    for s in errors.iter().filter(|e| e.ends_with(SUMMARY)) {
        // `artifact: [collector] N more errors…` (no line number).
        let artifact = s.split(": [").next().unwrap_or(s);
        let prefix = format!("{artifact}:");
        let at = list.iter().rposition(|e| e.starts_with(&prefix)).map_or(list.len(), |i| i + 1);
        list.insert(at, s);
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_shortened_on_char_boundaries() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("ééé", 2), "éé…");
    }

    #[test]
    fn facts_print_one_line_per_leaf_with_provenance() {
        let map = FactMap::from_json_str(
            r#"{"os":{"build":{"$value":9600,"$source":{"artifact":"systeminfo.txt","collector":"systeminfo","line":4}},"name":"Windows Server 2012 R2"},"updates":{"installed":["KB1","KB2"]}}"#,
        )
        .expect("valid fact map");
        let mut buf = Vec::new();
        write_facts(&mut buf, &map).expect("writes");
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "os.build = 9600    ← systeminfo.txt:4\nos.name = \"Windows Server 2012 R2\"\nupdates.installed = [\"KB1\", \"KB2\"]\n"
        );
    }

    #[test]
    fn no_colour_means_no_escape_codes() {
        assert_eq!(paint(false, RED_BOLD, "x"), "x");
        assert_eq!(paint(true, RED_BOLD, "x"), "\x1b[1;31mx\x1b[0m");
    }

    #[test]
    fn more_errors_line_follows_the_errors_it_summarises() {
        let errors: Vec<String> = [
            "a.log: [wsus-log] 3 more errors in this file not listed",
            "a.log:4: [wsus-log] bad timestamp",
            "a.log:9: [wsus-log] bad timestamp",
            "b.reg:2: [registry] unrecognised line",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(
            summaries_last(&errors),
            [
                "a.log:4: [wsus-log] bad timestamp",
                "a.log:9: [wsus-log] bad timestamp",
                "a.log: [wsus-log] 3 more errors in this file not listed",
                "b.reg:2: [registry] unrecognised line",
            ]
        );
    }
}
