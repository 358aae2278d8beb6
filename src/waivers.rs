//! `triage run --waivers FILE`: accepted findings, applied to a run's report.
//!
//! The file format and the matching rules are `triage_store::waivers` (see
//! `docs/sharing-packs.md`). This module is the CLI edge around them: it reads the file and
//! stops the run (exit 2) with a diagnostic at each bad TOML line before anything is evaluated;
//! it takes "today" from the clock, or from `SOURCE_DATE_EPOCH` when that is set (reproducible
//! tests and builds); and it records each match on the finding ([`Finding::waiver`]), so every
//! renderer shows it. Waived findings stay `detected` but do not make the run exit 1; findings
//! whose waiver expired are reported normally, with a warning naming the expired waiver; live
//! waivers that matched nothing are warned about.

use std::io::Write;
use std::path::Path;

use miette::{LabeledSpan, MietteDiagnostic, NamedSource};
use triage_engine::{Finding, Report, WaiverRef};
use triage_store::{Date, Waivable, Waiver, WaiverReport};

use crate::output::{Out, Ui};
use crate::{render, Failure};

/// A parsed waivers file.
pub struct Waivers {
    /// The file as given on the command line, for messages and [`WaiverRef::file`].
    pub file: String,
    pub waivers: Vec<Waiver>,
    /// The day expiry is judged on ([`today`]).
    pub today: Date,
}

/// Reads and checks the waivers file, if one was given. Every problem is printed at its line;
/// any problem ends the command before anything is evaluated.
pub fn load(path: Option<&Path>, ui: &Ui, err: &mut Out) -> Result<Option<Waivers>, Failure> {
    let Some(path) = path else { return Ok(None) };
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Message(miette::miette!("waivers file {file}: {e}")))?;
    match triage_store::parse_waivers(&text, &file) {
        Ok(waivers) => Ok(Some(Waivers { file, waivers, today: today()? })),
        Err(errors) => {
            for e in &errors {
                let diag = MietteDiagnostic::new(e.message.clone())
                    .with_code("triage::waivers")
                    .with_label(LabeledSpan::at(line_span(&text, e.line), "here"))
                    .with_help("see \"Waivers\" in docs/sharing-packs.md");
                let report =
                    miette::Report::new(diag).with_source_code(NamedSource::new(&file, text.clone()));
                render::human::write_diagnostic(err, ui.color_err, ui.width, report.as_ref())?;
            }
            writeln!(
                err,
                "error: waivers file {file} is invalid ({} problem(s)); nothing was evaluated",
                errors.len()
            )?;
            Err(Failure::Reported)
        }
    }
}

/// The byte range of 1-based `line` in `text`, without its line break.
fn line_span(text: &str, line: usize) -> std::ops::Range<usize> {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let end = if text[..end].ends_with('\r') { end - 1 } else { end };
    start..end
}

/// "Today" for waiver expiry: `SOURCE_DATE_EPOCH` (seconds since 1970, UTC) when set, else the
/// system clock. Only the CLI reads the clock; the engine and the store never do.
pub fn today() -> Result<Date, Failure> {
    if let Some(v) = std::env::var_os("SOURCE_DATE_EPOCH") {
        let v = v.to_string_lossy();
        let secs: i64 = v.trim().parse().map_err(|_| {
            Failure::Message(miette::miette!("SOURCE_DATE_EPOCH must be a number of seconds, not `{v}`"))
        })?;
        return Ok(Date::from_unix(secs));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| Failure::Message(miette::miette!("the system clock is before 1970")))?;
    Ok(Date::from_unix(i64::try_from(now.as_secs()).unwrap_or(i64::MAX / 2)))
}

/// A finding as `triage_store::apply_waivers` sees it (the trait and the type live in other
/// crates, hence the wrapper).
struct Item<'a> {
    finding: &'a mut Finding,
    file: &'a str,
}

impl Waivable for Item<'_> {
    fn rule_id(&self) -> &str {
        &self.finding.rule
    }
    fn pack_id(&self) -> &str {
        &self.finding.pack
    }
    fn input(&self) -> &str {
        &self.finding.input
    }
    fn is_detected(&self) -> bool {
        self.finding.outcome == triage_engine::Outcome::Detected
    }
    fn evidence_texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.finding.evidence {
            out.push(e.fact.clone());
            out.extend(e.value.iter().cloned());
            out.extend(e.text.iter().cloned());
            if let Some(s) = &e.source {
                out.push(s.artifact.clone());
                out.extend(s.key.iter().cloned());
            }
        }
        out
    }
    fn mark_waived(&mut self, w: &Waiver) {
        self.finding.waiver = Some(WaiverRef {
            rule: w.rule.clone(),
            justification: w.justification.clone(),
            owner: w.owner.clone(),
            expires: w.expires.to_string(),
            file: self.file.to_owned(),
            line: w.line as u64,
        });
    }
}

/// Marks the report's findings that a live waiver covers, and prints a warning for each expired
/// waiver that still matches (its findings are reported normally) and each unused waiver.
pub fn apply(report: &mut Report, waivers: &Waivers, err: &mut Out) -> std::io::Result<()> {
    let mut items: Vec<Item<'_>> =
        report.findings.iter_mut().map(|finding| Item { finding, file: &waivers.file }).collect();
    let applied = triage_store::apply_waivers(&mut items, &waivers.waivers, waivers.today);
    for w in applied.warnings(&waivers.waivers) {
        writeln!(err, "warning: {}: {w}", waivers.file)?;
    }
    Ok(())
}

/// What applying waivers to a run's findings a batch at a time has found so far: enough for
/// [`warn`] to print the same warnings [`apply`] prints for the whole report at once.
#[derive(Default)]
pub struct Usage {
    /// Waivers (by index) that matched a detected finding, live or expired.
    used: Vec<usize>,
    /// Expired waivers that still matched, in first-match order, with their finding counts.
    resurfaced: Vec<(usize, usize)>,
}

/// [`apply`] for some of a run's findings: marks those a live waiver covers and records in
/// `usage` what the warnings need; [`warn`] prints them once every finding has been seen.
pub fn apply_some(findings: &mut [Finding], waivers: &Waivers, usage: &mut Usage) {
    let mut items: Vec<Item<'_>> =
        findings.iter_mut().map(|finding| Item { finding, file: &waivers.file }).collect();
    let applied = triage_store::apply_waivers(&mut items, &waivers.waivers, waivers.today);
    for &(_, w) in applied.waived.iter().chain(&applied.resurfaced) {
        if !usage.used.contains(&w) {
            usage.used.push(w);
        }
    }
    for &(_, w) in &applied.resurfaced {
        match usage.resurfaced.iter_mut().find(|(x, _)| *x == w) {
            Some((_, n)) => *n += 1,
            None => usage.resurfaced.push((w, 1)),
        }
    }
}

/// Prints the warnings [`apply`] would have printed for all the findings given to [`apply_some`].
pub fn warn(usage: &Usage, waivers: &Waivers, err: &mut Out) -> std::io::Result<()> {
    let live_unused = (0..waivers.waivers.len())
        .filter(|&i| !usage.used.contains(&i) && !waivers.waivers[i].is_expired(waivers.today));
    let mut warnings = Vec::new();
    for &(w, n) in &usage.resurfaced {
        // One waiver at a time, so this lasts only as long as its warning is being made.
        let report = WaiverReport { resurfaced: vec![(0, w); n], ..WaiverReport::default() };
        warnings.extend(report.warnings(&waivers.waivers));
    }
    let report = WaiverReport { unused: live_unused.collect(), ..WaiverReport::default() };
    warnings.extend(report.warnings(&waivers.waivers));
    for w in warnings {
        writeln!(err, "warning: {}: {w}", waivers.file)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::line_span;

    #[test]
    fn line_spans_exclude_line_breaks() {
        let text = "a\r\nbc\nd";
        assert_eq!(&text[line_span(text, 1)], "a");
        assert_eq!(&text[line_span(text, 2)], "bc");
        assert_eq!(&text[line_span(text, 3)], "d");
        // A line past the end points at the last line rather than panicking.
        assert_eq!(&text[line_span(text, 9)], "d");
    }
}
