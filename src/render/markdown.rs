//! Markdown (`run --format markdown`): a summary an admin pastes into a ticket or an e-mail.
//!
//! Per input: a heading with the host (and the input's path), when it was collected if the input
//! says, then each detected finding — rule ID with the article's section, title, severity, links,
//! the fix, then the evidence in the pack's words (`[labels]`: the file and line, the value read,
//! the first line of the matched log record) — then what could not be checked and why, what was
//! checked and ruled out (one line per rule) and what does not apply. Several inputs start with a table of counts per input. Artifact text and fixes are in
//! fenced blocks, so nothing in them is taken for markup; everything else is escaped.
//! Deterministic: no clock, no absolute paths the input does not give.

use std::io::{self, Write};

use triage_engine::{Finding, Outcome};

use super::shared;
use super::RunView;

/// Writes the Markdown document.
pub fn write(out: &mut impl Write, view: &RunView<'_>) -> io::Result<()> {
    out.write_all(render(view).as_bytes())
}

fn render(view: &RunView<'_>) -> String {
    let r = view.report;
    let mut s = String::from("# triage report\n\n");
    let packs: Vec<String> = r.packs.iter().map(|p| format!("{} {}", p.id, p.version)).collect();
    s.push_str(&format!("triage {} · packs: {}\n", r.triage_version, esc(&packs.join(", "))));
    if r.inputs.len() > 1 {
        s.push_str(
            "\n| host | input | detected | could not check | errors |\n| --- | --- | --- | --- | --- |\n",
        );
        for i in &r.inputs {
            let of =
                |o: Outcome| r.findings.iter().filter(|f| *f.input == *i.input && f.outcome == o).count();
            let readable = view.inputs.iter().any(|x| x.name == i.input);
            let detected: Vec<&str> = r
                .findings
                .iter()
                .filter(|f| *f.input == *i.input && f.is_unwaived_detection())
                .map(|f| &*f.rule)
                .collect();
            s.push_str(&format!(
                "| {} | `{}` | {} | {} | {} |\n",
                esc(i.host.as_deref().unwrap_or("unknown")),
                cell_code(&i.input),
                if detected.is_empty() { "none".to_owned() } else { detected.join(", ") },
                of(Outcome::MissingFacts),
                if readable { of(Outcome::Error).to_string() } else { "input unreadable".to_owned() },
            ));
        }
    }
    for summary in &r.inputs {
        s.push_str(&format!("\n## {}\n\n", esc(&shared::input_title(summary))));
        s.push_str(&format!("- Input: `{}` ({} artifacts)\n", code(&summary.input), summary.artifacts));
        s.push_str(&format!(
            "- Host: {}\n",
            esc(summary.host.as_deref().unwrap_or("not named by the input"))
        ));
        if let Some(t) = &summary.collected_at {
            s.push_str(&format!("- Collected: {}\n", esc(t)));
        }
        if !view.inputs.iter().any(|x| x.name == summary.input) {
            let why = summary.collection_errors.first().map_or("", String::as_str);
            s.push_str(&format!("\n**The input could not be read:** {}\n", esc(why)));
            continue;
        }
        if !summary.collection_errors.is_empty() {
            s.push_str(&format!("- Collection errors: {}\n", summary.collection_errors.len()));
        }
        let findings: Vec<&Finding> = r.findings.iter().filter(|f| *f.input == *summary.input).collect();
        let detected: Vec<&&Finding> = findings.iter().filter(|f| f.outcome == Outcome::Detected).collect();
        if detected.is_empty() {
            s.push_str("\nNo known problem detected.\n");
        }
        for f in detected {
            write_detected(&mut s, view, f);
        }
        let of = |o: Outcome| findings.iter().filter(move |f| f.outcome == o);
        if of(Outcome::MissingFacts).next().is_some() || of(Outcome::Error).next().is_some() {
            s.push_str("\n### Could not be checked\n\n");
            for f in of(Outcome::MissingFacts) {
                let needs: Vec<String> = f
                    .missing
                    .iter()
                    .map(|m| {
                        let label = shared::rule_of(view.packs, f)
                            .and_then(|(p, _)| shared::fact_label(p, &m.fact))
                            .and_then(|l| l.name.as_deref());
                        let what = match label {
                            Some(name) => format!("{} ({})", esc(name), code_span(&m.fact)),
                            None => code_span(&m.fact),
                        };
                        match &m.artifact {
                            Some(a) => format!("{what} (collect {})", esc(a)),
                            None => what,
                        }
                    })
                    .collect();
                let name = esc(&shared::rule_name(view.packs, f));
                s.push_str(&format!("- **{name}** {}: missing {}\n", esc(&f.title), needs.join("; ")));
            }
            for f in of(Outcome::Error) {
                let why = f.error.as_deref().unwrap_or("unknown error");
                let name = esc(&shared::rule_name(view.packs, f));
                s.push_str(&format!("- **{name}** {}: rule error: {}\n", esc(&f.title), esc(why)));
            }
        }
        let ids = |o: Outcome| of(o).map(|f| f.rule.to_string()).collect::<Vec<_>>().join(", ");
        s.push('\n');
        let ruled_out: Vec<&&Finding> = of(Outcome::NotDetected).collect();
        if !ruled_out.is_empty() {
            s.push_str("Checked and ruled out:\n\n");
            for f in ruled_out {
                s.push_str(&format!("- {}: {}\n", esc(&shared::rule_name(view.packs, f)), esc(&f.title)));
            }
            s.push('\n');
        }
        let not_applicable = ids(Outcome::NotApplicable);
        if !not_applicable.is_empty() {
            s.push_str(&format!("Does not apply to this server: {not_applicable}.\n"));
        }
    }
    s
}

fn write_detected(s: &mut String, view: &RunView<'_>, f: &Finding) {
    s.push_str(&format!("\n### {}: {}\n\n", esc(&shared::rule_name(view.packs, f)), esc(&f.title)));
    s.push_str(&format!("Severity: **{}**\n\n", f.severity.as_str()));
    if let Some(w) = &f.waiver {
        s.push_str(&format!(
            "**Waived** until {} by {}: {}\n\n",
            esc(&w.expires),
            esc(&w.owner),
            esc(&w.justification)
        ));
    }
    if let Some(text) = shared::unconfirmed_text(f) {
        let rest = text.strip_prefix("Unconfirmed: ").unwrap_or(&text);
        s.push_str(&format!("**Unconfirmed:** {}\n\n", esc(rest)));
    }
    if let Some((pack, rule)) = shared::rule_of(view.packs, f) {
        let page = shared::rule_page(&pack.manifest.id, &rule.id);
        let url = shared::article_url(pack, rule);
        let links: Vec<String> =
            page.map(|p| format!("rule reference `{p}`")).into_iter().chain(url).collect();
        if !links.is_empty() {
            s.push_str(&format!("See: {}\n\n", links.join(" · ")));
        }
    }
    if let Some(res) = &f.resolution {
        s.push_str("Fix:\n\n");
        s.push_str(&indented_fence(res.trim_end(), ""));
    }
    let pack = shared::rule_of(view.packs, f).map(|(p, _)| p);
    let items = shared::evidence_items(pack, &f.evidence);
    if !items.is_empty() {
        s.push_str("\nEvidence:\n\n");
        for item in &items {
            s.push_str(&format!("- {}\n", evidence(item)));
            if let Some(q) = &item.quote {
                s.push_str(&indented_fence(q, "  "));
            }
        }
    }
}

/// One evidence item in words (escaped; a fact path or signal name, which the wording puts
/// in backticks, kept as a code span), where it was seen, and how many more matched.
fn evidence(item: &shared::EvidenceItem) -> String {
    let mut line = code_spans(&item.text);
    if !item.places.is_empty() {
        line.push_str(&format!(" — {}", code_span(&shared::places(&item.places))));
    }
    if let Some(more) = &item.more {
        line.push_str(&format!(", and {}", esc(more)));
    }
    line
}

/// Text whose `` `…` `` parts are code spans and the rest escaped.
fn code_spans(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { code_span(part) } else { esc(part) })
        .collect()
}

/// `text` in a fenced block (a fence longer than any backtick run inside), each line indented.
fn indented_fence(text: &str, indent: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut s = format!("{indent}{fence}text\n");
    for line in text.lines() {
        s.push_str(&format!("{indent}{line}\n"));
    }
    s.push_str(&format!("{indent}{fence}\n"));
    s
}

/// Text with Markdown's inline markup characters escaped.
fn esc(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&') {
            s.push('\\');
        }
        s.push(if c == '\n' { ' ' } else { c });
    }
    s
}

/// Text for inside a one-backtick code span.
fn code(text: &str) -> String {
    text.replace('`', "'").replace('\n', " ")
}

/// Text for inside a code span in a table cell.
fn cell_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

fn code_span(text: &str) -> String {
    format!("`{}`", code(text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped_and_fences_outgrow_their_content() {
        assert_eq!(super::esc("a_b <c>"), "a\\_b \\<c\\>");
        assert_eq!(super::indented_fence("x ``` y", ""), "````text\nx ``` y\n````\n");
    }
}
