//! HTML (`run --format html`): one self-contained page — inline CSS and a few lines of inline
//! script, no network, no external asset — to open in any browser or attach to a ticket.
//!
//! One input: its host, then each detected finding with its evidence (the artifact's lines, the
//! matched span marked, as the collectors decoded them) and its fix, what could not be checked,
//! and what was ruled out. Several inputs: first a hosts × rules matrix (a cell per input and
//! rule showing its outcome, counts of detections per rule and per host) with filters — by host
//! text, by rule detected, by outcome — then each host's section, a click away from its row and
//! from each cell. The script only shows and hides rows and sections; without it the page is
//! complete. Stable `id`s and `data-*` attributes (`data-finding="INPUT#RULE"`, `data-outcome`)
//! let tests and scripts read it. Deterministic: no clock, no random ids.

use std::fmt::Write as _;
use std::io::{self, Write};

use triage_engine::{Finding, InputSummary, Outcome};

use super::shared::{self, ArtifactTexts};
use super::RunView;

/// Writes the page.
pub fn write(out: &mut impl Write, view: &RunView<'_>) -> io::Result<()> {
    out.write_all(render(view).as_bytes())
}

/// Most lines of an artifact shown for one piece of evidence.
const SNIPPET_LINES: u64 = 12;

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1rem 1.5rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}.meta{color:#57606a}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:.5rem;overflow-x:auto;font:12px/1.4 ui-monospace,Consolas,monospace;white-space:pre}
pre.fix{white-space:pre-wrap}mark{background:#ffd8a8}.ln{color:#8c959f;user-select:none}
.finding{border-left:4px solid #cf222e;padding:.1rem .8rem;margin:1rem 0;background:#fffafa}
.finding.warning{border-color:#bf8700;background:#fffdf5}.finding.info{border-color:#0969da;background:#f6faff}
.finding.waived{border-color:#8c959f;background:#f6f8fa}
table.matrix{border-collapse:collapse;margin:.8rem 0}table.matrix th,table.matrix td{border:1px solid #d0d7de;padding:.2rem .45rem;text-align:center}
table.matrix th.host,table.matrix td.host{text-align:left}table.matrix thead th{background:#f6f8fa;font-weight:600}
td a{text-decoration:none;color:inherit;display:block}
.o-detected{background:#ffebe9;color:#cf222e;font-weight:700}.o-waived{background:#eaeef2;color:#57606a}
.o-missing_facts{background:#fff8c5;color:#7d4e00}.o-error{background:#ffd7d5;color:#82071e;font-weight:700}
.o-not_detected{color:#1a7f37}.o-not_applicable{color:#8c959f}.o-unreadable{background:#ffd7d5;color:#82071e}
.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:center;margin:.6rem 0}.filters label{display:flex;gap:.3rem;align-items:center}
.legend{color:#57606a;font-size:.9em}
"#;

const SCRIPT: &str = r#"
(function(){
  var host=document.getElementById('filter-host'),rule=document.getElementById('filter-rule'),
      outcome=document.getElementById('filter-outcome'),shown=document.getElementById('shown');
  if(!host)return;
  function apply(){
    var q=host.value.trim().toLowerCase(),r=rule.value,o=outcome.value,n=0;
    document.querySelectorAll('tr.host-row').forEach(function(row){
      var ok=row.getAttribute('data-search').indexOf(q)>=0
        &&(!r||(' '+row.getAttribute('data-detected')+' ').indexOf(' '+r+' ')>=0)
        &&(!o||(' '+row.getAttribute('data-outcomes')+' ').indexOf(' '+o+' ')>=0);
      row.hidden=!ok;
      var s=document.getElementById(row.getAttribute('data-section'));if(s)s.hidden=!ok;
      if(ok)n++;
    });
    shown.textContent=n;
  }
  [host,rule,outcome].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
  apply();
})();
"#;

fn render(view: &RunView<'_>) -> String {
    let r = view.report;
    let mut texts = ArtifactTexts::default();
    let mut h = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing may load from anywhere: the page is the whole report.
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
    let title = match r.inputs.as_slice() {
        [one] => format!("triage: {}", shared::input_title(one)),
        many => format!("triage: {} inputs", many.len()),
    };
    let _ = writeln!(h, "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>", esc(&title));
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    let packs: Vec<String> = r.packs.iter().map(|p| format!("{} {}", p.id, p.version)).collect();
    let _ = writeln!(
        h,
        "<p class=\"meta\">triage {} · packs: {}</p>",
        esc(&r.triage_version),
        esc(&packs.join(", "))
    );
    if r.inputs.len() > 1 {
        matrix(&mut h, view);
    }
    for (i, summary) in r.inputs.iter().enumerate() {
        host_section(&mut h, view, i, summary, &mut texts);
    }
    let _ = writeln!(h, "<script>{SCRIPT}</script>\n</body>\n</html>");
    h
}

/// The rules of the report, in report order: (pack, rule, title).
fn rules<'a>(view: &RunView<'a>) -> Vec<(&'a str, &'a str, &'a str)> {
    let mut v: Vec<(&str, &str, &str)> = Vec::new();
    for f in &view.report.findings {
        if !v.iter().any(|(p, id, _)| *p == &*f.pack && *id == &*f.rule) {
            v.push((&f.pack, &f.rule, &f.title));
        }
    }
    v
}

fn cell_class(f: &Finding) -> &'static str {
    match f.outcome {
        Outcome::Detected if f.waiver.is_some() => "waived",
        o => o.as_str(),
    }
}

fn cell_mark(f: &Finding) -> &'static str {
    match f.outcome {
        Outcome::Detected if f.waiver.is_some() => "waived",
        Outcome::Detected => "✖ detected",
        Outcome::NotDetected => "✓",
        Outcome::NotApplicable => "–",
        Outcome::MissingFacts => "? missing",
        Outcome::Error => "! error",
    }
}

fn matrix(h: &mut String, view: &RunView<'_>) {
    let r = view.report;
    let rules = rules(view);
    h.push_str("<h2 id=\"fleet\">Hosts × rules</h2>\n<div class=\"filters\">\n");
    h.push_str(
        "<label>Host <input id=\"filter-host\" type=\"search\" placeholder=\"name or path\"></label>\n",
    );
    h.push_str("<label>Detected <select id=\"filter-rule\"><option value=\"\">any rule or none</option>");
    for (_, id, title) in &rules {
        let _ = write!(h, "<option value=\"{}\">{} {}</option>", esc(id), esc(id), esc(title));
    }
    h.push_str(
        "</select></label>\n<label>Outcome <select id=\"filter-outcome\"><option value=\"\">any</option>",
    );
    for (value, label) in [
        ("detected", "detected"),
        ("waived", "waived"),
        ("missing_facts", "missing facts"),
        ("error", "rule error"),
        ("unreadable", "unreadable input"),
    ] {
        let _ = write!(h, "<option value=\"{value}\">{label}</option>");
    }
    let _ = writeln!(
        h,
        "</select></label>\n<span><span id=\"shown\">{}</span> of {} inputs shown</span>\n</div>",
        r.inputs.len(),
        r.inputs.len()
    );
    h.push_str("<table class=\"matrix\">\n<thead><tr><th class=\"host\">host</th><th>detected</th>");
    for (_, id, title) in &rules {
        let _ = write!(h, "<th title=\"{}\">{}</th>", esc(title), esc(id));
    }
    h.push_str("</tr>\n<tr><th class=\"host\">inputs with the problem</th><th></th>");
    for (pack, id, _) in &rules {
        let n = r
            .findings
            .iter()
            .filter(|f| *f.pack == **pack && *f.rule == **id && f.is_unwaived_detection())
            .count();
        let _ = write!(h, "<th data-rule-count=\"{}\">{n}</th>", esc(id));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (i, summary) in r.inputs.iter().enumerate() {
        let findings: Vec<&Finding> = r.findings.iter().filter(|f| *f.input == *summary.input).collect();
        let readable = view.inputs.iter().any(|x| x.name == summary.input);
        let detected: Vec<&str> =
            findings.iter().filter(|f| f.is_unwaived_detection()).map(|f| &*f.rule).collect();
        let mut outcomes: Vec<&str> = findings.iter().map(|f| cell_class(f)).collect();
        if !readable {
            outcomes.push("unreadable");
        }
        outcomes.sort_unstable();
        outcomes.dedup();
        let search =
            format!("{} {}", summary.host.as_deref().unwrap_or_default(), summary.input).to_lowercase();
        let _ = write!(
            h,
            "<tr class=\"host-row\" data-input=\"{}\" data-search=\"{}\" data-detected=\"{}\" data-outcomes=\"{}\" data-section=\"host-{}\">",
            esc(&summary.input),
            esc(&search),
            esc(&detected.join(" ")),
            outcomes.join(" "),
            i + 1
        );
        let _ = write!(
            h,
            "<td class=\"host\"><a href=\"#host-{}\">{}</a></td><td>{}</td>",
            i + 1,
            esc(&shared::input_title(summary)),
            detected.len()
        );
        if !readable {
            let _ =
                write!(h, "<td class=\"o-unreadable\" colspan=\"{}\">could not be read</td>", rules.len());
        } else {
            for (pack, id, _) in &rules {
                match findings.iter().find(|f| *f.pack == **pack && *f.rule == **id) {
                    Some(f) => {
                        let _ = write!(
                            h,
                            "<td class=\"o-{}\" data-outcome=\"{}\"><a href=\"#f-{}-{}\">{}</a></td>",
                            cell_class(f),
                            cell_class(f),
                            i + 1,
                            esc(id),
                            cell_mark(f)
                        );
                    }
                    None => h.push_str("<td></td>"),
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
    h.push_str("<p class=\"legend\">✖ detected · waived: detected and accepted by a waiver · ? missing facts · ! rule error · ✓ not detected · – not applicable</p>\n");
}

fn host_section(
    h: &mut String,
    view: &RunView<'_>,
    i: usize,
    summary: &InputSummary,
    texts: &mut ArtifactTexts,
) {
    let r = view.report;
    let n = i + 1;
    let _ = writeln!(
        h,
        "<section id=\"host-{n}\" class=\"host\" data-input=\"{}\">\n<h2>{}</h2>",
        esc(&summary.input),
        esc(&shared::input_title(summary))
    );
    let mut meta =
        vec![format!("input <code>{}</code>, {} artifacts", esc(&summary.input), summary.artifacts)];
    meta.push(format!("host {}", esc(summary.host.as_deref().unwrap_or("not named by the input"))));
    if let Some(t) = &summary.collected_at {
        meta.push(format!("collected {}", esc(t)));
    }
    if !summary.collection_errors.is_empty() {
        meta.push(format!("{} collection errors", summary.collection_errors.len()));
    }
    let _ = writeln!(h, "<p class=\"meta\">{}</p>", meta.join(" · "));
    let input = view.inputs.iter().find(|x| x.name == summary.input);
    let Some(input) = input else {
        let why = summary.collection_errors.first().map_or("", String::as_str);
        let _ = writeln!(
            h,
            "<p class=\"o-unreadable\">The input could not be read: {}</p>\n</section>",
            esc(why)
        );
        return;
    };
    let findings: Vec<&Finding> = r.findings.iter().filter(|f| *f.input == *summary.input).collect();
    let detected: Vec<&&Finding> = findings.iter().filter(|f| f.outcome == Outcome::Detected).collect();
    if detected.is_empty() {
        h.push_str("<p>No known problem detected.</p>\n");
    }
    for f in detected {
        finding(h, view, n, f, input, texts);
    }
    let unchecked: Vec<&&Finding> =
        findings.iter().filter(|f| matches!(f.outcome, Outcome::MissingFacts | Outcome::Error)).collect();
    if !unchecked.is_empty() {
        h.push_str("<h3>Could not be checked</h3>\n<ul>\n");
        for f in unchecked {
            let why = match f.outcome {
                Outcome::Error => format!("rule error: {}", f.error.as_deref().unwrap_or("unknown")),
                _ => {
                    let needs: Vec<String> = f.missing.iter().map(shared::needed).collect();
                    format!("missing {}", needs.join("; "))
                }
            };
            let _ = writeln!(
                h,
                "<li id=\"f-{n}-{id}\" data-finding=\"{}#{id}\" data-outcome=\"{}\"><strong>{id}</strong> {}: {}</li>",
                esc(&f.input),
                f.outcome.as_str(),
                esc(&f.title),
                esc(&why),
                id = esc(&f.rule),
            );
        }
        h.push_str("</ul>\n");
    }
    for (outcome, label) in
        [(Outcome::NotDetected, "Checked and ruled out"), (Outcome::NotApplicable, "Does not apply")]
    {
        let these: Vec<String> = findings
            .iter()
            .filter(|f| f.outcome == outcome)
            .map(|f| {
                format!(
                    "<span id=\"f-{n}-{id}\" data-finding=\"{}#{id}\" data-outcome=\"{}\" title=\"{}\">{id}</span>",
                    esc(&f.input),
                    outcome.as_str(),
                    esc(&f.title),
                    id = esc(&f.rule)
                )
            })
            .collect();
        if !these.is_empty() {
            let _ = writeln!(h, "<p>{label}: {}.</p>", these.join(", "));
        }
    }
    h.push_str("</section>\n");
}

fn finding(
    h: &mut String,
    view: &RunView<'_>,
    n: usize,
    f: &Finding,
    input: &crate::input::Input,
    texts: &mut ArtifactTexts,
) {
    let class = if f.waiver.is_some() { "waived" } else { f.severity.as_str() };
    let _ = writeln!(
        h,
        "<article class=\"finding {class}\" id=\"f-{n}-{id}\" data-finding=\"{}#{id}\" data-outcome=\"{}\">",
        esc(&f.input),
        cell_class(f),
        id = esc(&f.rule)
    );
    let _ = writeln!(
        h,
        "<h3>{} — {} <span class=\"meta\">({})</span></h3>",
        esc(&f.rule),
        esc(&f.title),
        f.severity.as_str()
    );
    if let Some(w) = &f.waiver {
        let _ = writeln!(
            h,
            "<p><strong>Waived</strong> until {} by {}: {}</p>",
            esc(&w.expires),
            esc(&w.owner),
            esc(&w.justification)
        );
    }
    if let Some(text) = shared::unconfirmed_text(f) {
        let rest = text.strip_prefix("Unconfirmed: ").unwrap_or(&text);
        let _ = writeln!(h, "<p class=\"unconfirmed\"><strong>Unconfirmed:</strong> {}</p>", esc(rest));
    }
    if let Some((pack, rule)) = shared::rule_of(view.packs, f) {
        let mut links = Vec::new();
        if let Some(p) = shared::rule_page(&pack.manifest.id, &rule.id) {
            links.push(format!("rule reference <code>{}</code>", esc(&p)));
        }
        if let Some(u) = shared::article_url(pack, rule) {
            links.push(format!("<a href=\"{}\" rel=\"noreferrer\">the article</a>", esc(&u)));
        }
        if !links.is_empty() {
            let _ = writeln!(h, "<p class=\"meta\">See {}.</p>", links.join(" · "));
        }
    }
    if !f.evidence.is_empty() {
        h.push_str("<h4>Evidence</h4>\n<ul class=\"evidence\">\n");
        for e in &f.evidence {
            let _ = write!(h, "<li>{}", esc(&shared::evidence_line(e)));
            if let Some(src) = &e.source {
                let text = texts.get(input, &src.artifact);
                if let Some(snippet) = snippet(src, text.as_deref()) {
                    h.push_str(&snippet);
                } else if let Some(t) = &e.text {
                    let _ = write!(h, "<pre>{}</pre>", esc(&shared::first_line(t, 400)));
                }
            }
            h.push_str("</li>\n");
        }
        h.push_str("</ul>\n");
    }
    if let Some(res) = &f.resolution {
        let _ = writeln!(h, "<h4>Fix</h4>\n<pre class=\"fix\">{}</pre>", esc(res.trim_end()));
    }
    h.push_str("</article>\n");
}

/// The artifact's lines the evidence covers (at most [`SNIPPET_LINES`]), numbered, the span
/// marked.
fn snippet(src: &triage_engine::Source, text: Option<&str>) -> Option<String> {
    let text = text?;
    let region = shared::region(src, Some(text))?;
    let last = region.end_line.min(region.start_line + SNIPPET_LINES - 1);
    let (span_start, span_end) = match src.span {
        Some([s, e]) => (s as usize, e as usize),
        None => (usize::MAX, usize::MAX),
    };
    let mut out = String::from("<pre>");
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let number = i as u64 + 1;
        let start = offset;
        offset += line.len();
        if number < region.start_line {
            continue;
        }
        if number > last {
            break;
        }
        let body = line.trim_end_matches(['\n', '\r']);
        let (a, b) = (span_start.clamp(start, start + body.len()), span_end.clamp(start, start + body.len()));
        let cut = |at: usize| {
            let mut at = at - start;
            while !body.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let (a, b) = (cut(a), cut(b.max(a)));
        let _ = write!(out, "<span class=\"ln\">{number:>5} </span>{}", esc(&body[..a]));
        if b > a {
            let _ = write!(out, "<mark>{}</mark>", esc(&body[a..b]));
        }
        let _ = writeln!(out, "{}", esc(&body[b..]));
    }
    if region.end_line > last {
        let _ = writeln!(out, "<span class=\"ln\">      … {} more lines</span>", region.end_line - last);
    }
    out.push_str("</pre>");
    Some(out)
}

/// Text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped() {
        assert_eq!(super::esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
