//! The rule reference: a loaded pack rendered to Markdown, one page per rule plus an index.
//!
//! A pure function of the [`Pack`] (no I/O, no clock), so the pages can be committed
//! (`docs/rules/<pack id>/`) and checked for staleness by regenerating them in a test: the same
//! pack always gives the same bytes. Each rule page says what the rule detects, where it applies,
//! the facts and artifacts it needs, the evidence it reads (clauses, derived facts, log
//! signals), its resolution template, and its test cases as examples.

use std::collections::{BTreeMap, BTreeSet};

use crate::pack::{Combine, Expr, Pack, Rule, TemplatePart, TestInput};

/// Renders `pack` to Markdown pages: file name (`README.md`, `<RULE ID>.md`) → content.
pub fn render(pack: &Pack) -> BTreeMap<String, String> {
    let mut pages = BTreeMap::new();
    pages.insert("README.md".to_owned(), index(pack));
    for rule in &pack.rules {
        pages.insert(format!("{}.md", rule.id), rule_page(pack, rule));
    }
    pages
}

const GENERATED: &str =
    "<!-- Generated from the rule pack by `UPDATE_RULE_DOCS=1 cargo test --test rule_reference`; do not edit. -->\n";

fn index(pack: &Pack) -> String {
    let m = &pack.manifest;
    let mut out = String::from(GENERATED);
    out.push_str(&format!("\n# {} — rule reference\n\n", m.title));
    out.push_str(&format!("Pack `{}` version {} (engine {}).\n\n", m.id, m.version, m.engine));
    if let Some(s) = &m.source {
        out.push_str(&format!("Source: {s}\n\n"));
    }
    if let Some(d) = &m.description {
        out.push_str(&format!("{}\n\n", d.trim()));
    }
    out.push_str("| rule | severity | title | tests |\n| --- | --- | --- | --- |\n");
    for r in &pack.rules {
        out.push_str(&format!(
            "| [{id}]({id}.md) | {} | {} | {} |\n",
            r.severity.as_str(),
            escape_cell(&r.title),
            r.tests.len(),
            id = r.id
        ));
    }
    let data = crate::pack::load::data_keys(pack);
    if !data.is_empty() {
        out.push_str("\n## Pack data\n\nValues conditions and resolutions read as `data.<name>`; change them here, not in code.\n\n");
        for (k, v) in data {
            out.push_str(&format!("### `data.{k}`\n\n```json\n{}\n```\n\n", pretty_json(&v)));
        }
    }
    trim_end(out)
}

fn rule_page(pack: &Pack, rule: &Rule) -> String {
    let mut out = String::from(GENERATED);
    out.push_str(&format!("\n# {} — {}\n\n", rule.id, rule.title));
    out.push_str(&format!("Severity: **{}**", rule.severity.as_str()));
    if let Some(section) = &rule.section {
        out.push_str(&format!(" · section: {section}"));
    }
    if !rule.tags.is_empty() {
        out.push_str(&format!(
            " · tags: {}",
            rule.tags.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let (file, line) = pack.line_of(rule.loc);
    out.push_str(&format!(
        " · defined in `{file}:{line}` of pack `{}` {}\n\n",
        pack.manifest.id, pack.manifest.version
    ));

    out.push_str("## What it detects\n\n");
    match &rule.description {
        Some(d) => out.push_str(&format!("{}\n\n", d.trim())),
        None => out.push_str(&format!("{}.\n\n", rule.title)),
    }
    if !rule.references.is_empty() {
        out.push_str("References:\n\n");
        for r in &rule.references {
            out.push_str(&format!("- {r}\n"));
        }
        out.push('\n');
    }

    out.push_str("## Applies when\n\n");
    match &rule.applies_if {
        Some(a) => out.push_str(&format!(
            "```rhai\n{}\n```\n\nOtherwise the outcome is `not_applicable`.\n\n",
            a.text.trim()
        )),
        None => out.push_str("Always.\n\n"),
    }

    out.push_str("## Facts it needs\n\n");
    if rule.requires.is_empty() {
        out.push_str("No required facts.\n\n");
    } else {
        out.push_str("Without these the outcome is `missing_facts`, naming the artifact to collect.\n\n");
        out.push_str("| fact | artifact that provides it |\n| --- | --- |\n");
        for r in &rule.requires {
            out.push_str(&format!(
                "| `{}` | {} |\n",
                r.alternatives.join(" | ").replace('|', "\\|"),
                escape_cell(r.artifact.as_deref().unwrap_or("—"))
            ));
        }
        out.push('\n');
    }

    out.push_str("## Evidence\n\n");
    let how = match rule.combine {
        Combine::Single => "Detected when this condition is true:",
        Combine::All => "Detected when every clause is true:",
        Combine::Any => "Detected when any clause is true:",
    };
    out.push_str(&format!("{how}\n\n"));
    for c in &rule.clauses {
        out.push_str(&format!("```rhai\n{}\n```\n\n", c.text.trim()));
    }
    if !rule.confirm.is_empty() {
        out.push_str(
            "Confirmed by (checked once the clauses hold: what was not collected leaves the finding \
             detected but unconfirmed; a condition that is false makes it not detected):\n\n",
        );
        for c in &rule.confirm {
            let mut parts = Vec::new();
            if let Some(r) = &c.requirement {
                parts.push(format!("collected: `{}`", r.alternatives.join(" | ")));
            }
            if let Some(e) = &c.condition {
                parts.push(format!("`{}`", escape_code_cell(e.text.trim())));
            }
            if let Some(a) = &c.artifact {
                parts.push(format!("collect {}", escape_cell(a)));
            }
            out.push_str(&format!("- {}\n", parts.join(" — ")));
        }
        out.push('\n');
    }
    let exprs: Vec<&Expr> = rule.conditions().collect();
    let derived = derived_closure(pack, &exprs);
    if !derived.is_empty() {
        out.push_str("Derived facts it reads:\n\n| name | definition |\n| --- | --- |\n");
        for i in &derived {
            let d = &pack.derived[*i];
            out.push_str(&format!("| `{}` | `{}` |\n", d.name, escape_code_cell(&d.expr.text)));
        }
        out.push('\n');
    }
    let mut texts: Vec<&str> = exprs.iter().map(|e| e.text.as_str()).collect();
    texts.extend(derived.iter().map(|i| pack.derived[*i].expr.text.as_str()));
    let used: BTreeSet<String> = texts.iter().flat_map(|t| signal_names(t)).collect();
    let signals: Vec<_> = pack.signals.iter().filter(|s| used.contains(&s.name)).collect();
    if !signals.is_empty() {
        out.push_str("Log signals it reads:\n\n| signal | log | pattern | only records where |\n| --- | --- | --- | --- |\n");
        for s in signals {
            out.push_str(&format!(
                "| `{}` | `{}` | `{}` | {} |\n",
                s.name,
                s.log,
                escape_code_cell(&s.pattern),
                s.filter
                    .as_ref()
                    .map(|f| format!("`{}`", escape_code_cell(&f.text)))
                    .unwrap_or_else(|| "—".into())
            ));
        }
        out.push('\n');
    }

    out.push_str(
        "## Resolution\n\nShown with the host's own values in place of each `{{ … }}`:\n\n```text\n",
    );
    let mut res = String::new();
    for p in &rule.resolution.parts {
        match p {
            TemplatePart::Text(t) => res.push_str(t),
            TemplatePart::Expr(e) => res.push_str(&format!("{{{{ {} }}}}", e.text)),
        }
    }
    out.push_str(res.trim());
    out.push_str("\n```\n\n");

    out.push_str("## Examples\n\nThe pack's test cases for this rule (`triage pack test`):\n\n");
    if rule.tests.is_empty() {
        out.push_str("None.\n");
    } else {
        out.push_str("| case | input | expected outcome |\n| --- | --- | --- |\n");
        for t in &rule.tests {
            let input = match &t.input {
                TestInput::Folder(f) => format!("`{}`", f.trim_end_matches('/')),
                TestInput::Facts(m) => format!("inline facts ({} values)", m.leaf_count()),
            };
            let expect = if t.unconfirmed {
                format!("`{}` (unconfirmed)", t.expect.as_str())
            } else {
                format!("`{}`", t.expect.as_str())
            };
            out.push_str(&format!("| {} | {} | {expect} |\n", escape_cell(&t.name), input));
        }
    }
    trim_end(out)
}

/// Indexes of the derived facts `exprs` read, directly or through other derived facts, in
/// definition order.
fn derived_closure(pack: &Pack, exprs: &[&Expr]) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = exprs.iter().flat_map(|e| e.derived_refs.iter().copied()).collect();
    while let Some(i) = stack.pop() {
        if i < pack.derived.len() && seen.insert(i) {
            stack.extend(pack.derived[i].expr.derived_refs.iter().copied());
        }
    }
    seen.into_iter().collect()
}

/// Names in `signal("name")` calls.
fn signal_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("signal(") {
        let after = rest[i + 7..].trim_start();
        let preceded_by_ident =
            rest[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
        if let (false, Some(stripped)) = (preceded_by_ident, after.strip_prefix('"')) {
            if let Some(end) = stripped.find('"') {
                out.push(stripped[..end].to_owned());
            }
        }
        rest = &rest[i + 7..];
    }
    out
}

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Inline code in a table cell: one line, pipes escaped, backticks doubled around if needed.
fn escape_code_cell(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.replace('|', "\\|").replace('`', "ˋ")
}

fn pretty_json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn trim_end(mut s: String) -> String {
    while s.ends_with('\n') {
        s.pop();
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{load_pack, Evaluator, SourceFile};

    const PACK: &str = r#"
[pack]
id = "demo"
version = "1.2.3"
engine = ">=0.1"
title = "Demo"

[data]
limit = 9600

[derive]
old = 'fact("os.build") < data.limit'

[signals.boom]
log = "wsus"
pattern = 'boom'
where = 'record.fields?.process == "w3wp"'

[[rule]]
id = "DEMO001"
title = "Old build | with a pipe"
severity = "warning"
tags = ["x"]
requires = [{ fact = "os.build", artifact = "systeminfo" }]
when.all = ['old', 'signal("boom").len() > 0']
resolution = "Build {{ fact(\"os.build\") }} is too old."

[[rule.test]]
name = "old"
facts = { os = { build = 9200 } }
expect = "detected"
"#;

    fn pack() -> Pack {
        let ev = Evaluator::default();
        let loaded = load_pack(vec![SourceFile::new("pack.toml", PACK)], &ev);
        loaded.pack.expect("demo pack loads")
    }

    #[test]
    fn one_page_per_rule_and_an_index() {
        let pages = render(&pack());
        assert_eq!(pages.keys().collect::<Vec<_>>(), vec!["DEMO001.md", "README.md"]);
        let index = &pages["README.md"];
        assert!(
            index.contains("| [DEMO001](DEMO001.md) | warning | Old build \\| with a pipe | 1 |"),
            "{index}"
        );
        assert!(index.contains("### `data.limit`"), "{index}");
    }

    #[test]
    fn rule_page_shows_evidence_resolution_and_examples() {
        let pages = render(&pack());
        let page = &pages["DEMO001.md"];
        assert!(page.starts_with(GENERATED), "{page}");
        assert!(page.contains("| `os.build` | systeminfo |"), "{page}");
        assert!(page.contains("| `old` | `fact(\"os.build\") < data.limit` |"), "{page}");
        assert!(
            page.contains("| `boom` | `wsus` | `boom` | `record.fields?.process == \"w3wp\"` |"),
            "{page}"
        );
        assert!(page.contains("Build {{ fact(\"os.build\") }} is too old."), "{page}");
        assert!(page.contains("| old | inline facts (1 values) | `detected` |"), "{page}");
        assert!(page.ends_with("`detected` |\n"), "{page}");
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(render(&pack()), render(&pack()));
    }

    #[test]
    fn finds_signal_names() {
        assert_eq!(signal_names(r#"signal("a").len() > 0 || mysignal("b") || signal( "c")"#), vec!["a", "c"]);
    }
}
