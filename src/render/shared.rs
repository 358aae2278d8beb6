//! What the report renderers other than `human` and `json` share: the artifact texts evidence
//! points into (to turn byte spans into lines and columns, and to quote them), evidence and
//! sources worded for people, the article's URL and the rule's page, and host identity.

use std::collections::HashMap;
use std::sync::Arc;

use triage_engine::pack::Rule;
use triage_engine::{Evidence, Finding, InputSummary, MissingFact, Pack, Source};

use crate::input::Input;

/// The decoded text of the artifacts evidence points into, read once each (from disk, or from
/// inside a `.zip` bundle), as the collectors decoded them: provenance spans are offsets into
/// this text.
#[derive(Default)]
pub struct ArtifactTexts {
    texts: HashMap<(String, String), Option<Arc<str>>>,
}

impl ArtifactTexts {
    /// `input`'s artifact `rel`, or `None` when it cannot be shown (binary, gone, a pipe),
    /// opened through [`Input::open_artifact`] (the access rules of collection).
    pub fn get(&mut self, input: &Input, rel: &str) -> Option<Arc<str>> {
        self.texts
            .entry((input.name.clone(), rel.to_owned()))
            .or_insert_with(|| {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut input.open_artifact(rel)?, &mut bytes).ok()?;
                if triage_collectors::text::looks_binary(&bytes[..bytes.len().min(8192)]) {
                    return None;
                }
                Some(Arc::from(triage_collectors::text::decode(&bytes).text))
            })
            .clone()
    }
}

/// A region of an artifact: 1-based lines and columns (in Unicode code points), `end_column`
/// exclusive, and the text it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub start_line: u64,
    pub end_line: u64,
    pub start_column: Option<u64>,
    pub end_column: Option<u64>,
    pub text: Option<String>,
}

/// Where `src` points in `text` (when the artifact could be read), else the lines it names.
pub fn region(src: &Source, text: Option<&str>) -> Option<Region> {
    if let (Some(text), Some([start, end])) = (text, src.span) {
        let floor = |i: u64| {
            let mut i = (i as usize).min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let (start, end) = (floor(start), floor(end.max(start)));
        let position = |at: usize| {
            let before = &text[..at];
            let line = before.matches('\n').count() as u64 + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            (line, before[line_start..].chars().count() as u64 + 1)
        };
        let (start_line, start_column) = position(start);
        let (end_line, end_column) = position(end);
        return Some(Region {
            start_line,
            end_line,
            start_column: Some(start_column),
            end_column: Some(end_column),
            text: Some(text[start..end].to_owned()),
        });
    }
    let line = src.line?;
    Some(Region {
        start_line: line,
        end_line: src.end_line.unwrap_or(line).max(line),
        start_column: None,
        end_column: None,
        text: None,
    })
}

/// One evidence item in words: what was read, its value or that it is absent, and where.
pub fn evidence_line(e: &Evidence) -> String {
    let what = e.fact.strip_prefix("signal ").map_or_else(|| e.fact.clone(), |s| format!("log signal `{s}`"));
    let mut s = match (&e.value, &e.text) {
        (Some(v), _) => format!("{what} = {v}"),
        (None, Some(_)) => format!("{what} matched"),
        (None, None) => format!("{what}: not found in the collected artifacts"),
    };
    if let Some(src) = &e.source {
        let mut src = src.clone();
        // A registry value's key path is already its name.
        if src.key.as_deref() == Some(e.fact.as_str()) {
            src.key = None;
        }
        s.push_str(&format!(" ({})", source_display(&src)));
    }
    s
}

/// One line of a finding's evidence as a person reads it: what was seen (worded by the pack's
/// `[labels]`, else the fact path or signal name), where (`artifact:line`, several for the
/// matches of one signal), how many more matched, and the first line of the first matched log
/// record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceItem {
    /// The sentence: `… = value`, `… matched`, or what is missing.
    pub text: String,
    /// Where it was seen: `artifact:line` (with the key or frame when that adds something).
    pub places: Vec<String>,
    /// For a signal with more matches than the evidence lists: `45 more matches`.
    pub more: Option<String>,
    /// The first line of the first matched log record.
    pub quote: Option<String>,
}

/// A finding's evidence as [`EvidenceItem`]s: one per fact read, one per signal (its matches
/// together), in the finding's order. `pack` supplies the labels; without one (or without a
/// label) the generic wording names the fact path or signal.
pub fn evidence_items(pack: Option<&Pack>, evidence: &[Evidence]) -> Vec<EvidenceItem> {
    let mut items: Vec<(String, EvidenceItem)> = Vec::new();
    for e in evidence {
        if let Some(signal) = e.fact.strip_prefix("signal ") {
            let label = pack.and_then(|p| p.labels.signals.get(signal));
            let matched = label
                .and_then(|l| l.name.clone())
                .unwrap_or_else(|| format!("log records matching signal `{signal}`"));
            match (e.value.as_deref(), &e.text) {
                (Some(v), _) if v.starts_with("… and ") => {
                    let more = v.trim_start_matches("… and ").to_owned();
                    match items.iter_mut().rev().find(|(k, _)| *k == e.fact) {
                        Some((_, item)) => item.more = Some(more),
                        None => items.push((
                            e.fact.clone(),
                            EvidenceItem { text: matched, places: Vec::new(), more: Some(more), quote: None },
                        )),
                    }
                }
                (Some("no match"), _) => {
                    let text = label
                        .and_then(|l| l.absent.clone())
                        .unwrap_or_else(|| format!("no log record matched signal `{signal}`"));
                    items.push((
                        format!("{} (none)", e.fact),
                        EvidenceItem { text, places: Vec::new(), more: None, quote: None },
                    ));
                }
                _ => {
                    let place = e.source.as_ref().map(|src| place(src, &e.fact));
                    let quote = e.text.as_deref().map(|t| first_line(t, 300));
                    match items.iter_mut().rev().find(|(k, _)| *k == e.fact) {
                        Some((_, item)) => item.places.extend(place),
                        None => items.push((
                            e.fact.clone(),
                            EvidenceItem {
                                text: matched,
                                places: place.into_iter().collect(),
                                more: None,
                                quote,
                            },
                        )),
                    }
                }
            }
            continue;
        }
        let label = pack.and_then(|p| fact_label(p, &e.fact));
        let name = label.and_then(|l| l.name.clone()).unwrap_or_else(|| format!("`{}`", e.fact));
        let text = match e.value.as_deref() {
            None | Some("absent") => label
                .and_then(|l| l.absent.clone())
                .unwrap_or_else(|| format!("`{}`: not found in the collected artifacts", e.fact)),
            Some("present") => format!("{name}: collected"),
            Some(v) if v.starts_with("{map of") || v.starts_with("[{map of") => format!("{name}: found"),
            Some(v) => format!("{name} = {}", first_line(v, 200)),
        };
        let places = e.source.as_ref().map(|src| place(src, &e.fact)).into_iter().collect();
        items.push((e.fact.clone(), EvidenceItem { text, places, more: None, quote: None }));
    }
    // Two reads of one fact that say the same (`has()` and a read of its value) are one line.
    let mut out: Vec<EvidenceItem> = Vec::new();
    for (_, item) in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// `a.log:9, 20, 31`: places in one artifact after the first give only their line.
pub fn places(places: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut last_artifact: Option<&str> = None;
    for p in places {
        match p.rsplit_once(':').filter(|(_, l)| l.parse::<u64>().is_ok()) {
            Some((artifact, line)) if last_artifact == Some(artifact) => out.push(line.to_owned()),
            Some((artifact, _)) => {
                last_artifact = Some(artifact);
                out.push(p.clone());
            }
            None => {
                last_artifact = None;
                out.push(p.clone());
            }
        }
    }
    out.join(", ")
}

/// The pack's label for a fact path as evidence names it (registry paths compared ignoring case).
pub fn fact_label<'a>(pack: &'a Pack, fact: &str) -> Option<&'a triage_engine::pack::Label> {
    pack.labels
        .facts
        .get(fact)
        .or_else(|| pack.labels.facts.iter().find(|(k, _)| k.eq_ignore_ascii_case(fact)).map(|(_, l)| l))
}

/// `artifact:line` of a piece of evidence, with the key when it is not the fact itself.
fn place(src: &Source, fact: &str) -> String {
    let mut src = src.clone();
    if src.key.as_deref().is_some_and(|k| k.eq_ignore_ascii_case(fact)) {
        src.key = None;
    }
    source_display(&src)
}

/// `n` and the noun, singular or plural: `1 rule error`, `2 rule errors`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A rule as a heading names it: `WSUS001 — article issue 1`, or the ID alone.
pub fn rule_name(packs: &[Pack], f: &Finding) -> String {
    match rule_of(packs, f).and_then(|(_, r)| r.section.as_deref()) {
        Some(section) => format!("{} — {section}", f.rule),
        None => f.rule.to_string(),
    }
}

/// `artifact:line`, with the registry key or capture frame when there is one.
pub fn source_display(src: &Source) -> String {
    let mut s = src.artifact.clone();
    if let Some(l) = src.line {
        s.push_str(&format!(":{l}"));
    }
    if let Some(k) = &src.key {
        s.push_str(&format!(", {k}"));
    }
    if let Some(fr) = src.frame {
        s.push_str(&format!(", frame {fr}"));
    }
    s
}

/// The first line of a log record, cut to `max` characters.
pub fn first_line(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or_default();
    match first.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &first[..i]),
        None => first.to_owned(),
    }
}

/// The first absolute `http(s)://` URL in the rule's references, else in the pack's source: the
/// document the rule encodes.
pub fn article_url(pack: &Pack, rule: &Rule) -> Option<String> {
    rule.references.iter().chain(pack.manifest.source.as_ref()).find_map(|text| first_url(text))
}

fn first_url(text: &str) -> Option<String> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let url: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | '>' | ']' | '"' | '\'' | '<'))
        .collect();
    let url = url.trim_end_matches(['.', ',', ';']);
    (url.len() > "https://".len()).then(|| url.to_owned())
}

/// The rule's page in this repository's rule reference (`docs/rules/<pack>/<rule>.md`), for the
/// packs built into triage; other packs have `triage explain` and their own documentation.
pub fn rule_page(pack_id: &str, rule_id: &str) -> Option<String> {
    let builtin = crate::packs::embedded_sources()
        .iter()
        .any(|(origin, _)| matches!(origin, crate::packs::PackOrigin::Embedded(name) if *name == pack_id));
    builtin.then(|| format!("docs/rules/{pack_id}/{rule_id}.md"))
}

/// Whether the finding is confirmed: not a detection whose rule's `confirm` facts were not
/// collected (`Finding::unconfirmed`).
pub fn confirmed(f: &Finding) -> bool {
    !f.unconfirmed
}

/// For an unconfirmed finding, one sentence: the symptoms are there, and what to collect to
/// confirm the cause. `None` for a confirmed one.
/// A fact a finding needs, with the artifact that would provide it: `fact (collect artifact)`.
pub fn needed(m: &MissingFact) -> String {
    match &m.artifact {
        Some(a) => format!("{} (collect {a})", m.fact),
        None => m.fact.clone(),
    }
}

pub fn unconfirmed_text(f: &Finding) -> Option<String> {
    if confirmed(f) {
        return None;
    }
    let what: Vec<String> = f.to_confirm.iter().map(needed).collect();
    Some(format!(
        "Unconfirmed: the symptoms are there, but what confirms the cause was not collected; to confirm: {}.",
        what.join("; ").trim_end_matches('.')
    ))
}

/// How an input names itself in a heading: the host when known, with the input's path.
pub fn input_title(s: &InputSummary) -> String {
    match &s.host {
        Some(h) => format!("{h} ({})", s.input),
        None => s.input.clone(),
    }
}

/// The rule of a finding in the loaded packs.
pub fn rule_of<'a>(packs: &'a [Pack], f: &Finding) -> Option<(&'a Pack, &'a Rule)> {
    let pack = packs.iter().find(|p| *p.manifest.id == *f.pack)?;
    // With several packs the human report names rules `pack/RULE`.
    let id = f.rule.strip_prefix(&*format!("{}/", f.pack)).unwrap_or(&f.rule);
    Some((pack, pack.rule(id)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(line: Option<u64>, span: Option<[u64; 2]>) -> Source {
        Source {
            artifact: "a.log".into(),
            collector: "c".into(),
            line,
            end_line: None,
            span,
            key: None,
            frame: None,
        }
    }

    #[test]
    fn regions_count_columns_in_code_points() {
        let text = "first\nzwölf x\n";
        // "x" is at byte 13 (ö is two bytes), column 7 of line 2.
        let r = region(&src(Some(2), Some([13, 14])), Some(text)).expect("region");
        assert_eq!((r.start_line, r.start_column, r.end_line, r.end_column), (2, Some(7), 2, Some(8)));
        assert_eq!(r.text.as_deref(), Some("x"));
        let r = region(&src(Some(2), Some([13, 14])), None).expect("lines only");
        assert_eq!((r.start_line, r.start_column, r.end_line), (2, None, 2));
        assert!(region(&src(None, None), None).is_none());
    }

    #[test]
    fn urls_are_found_in_text() {
        assert_eq!(
            first_url("Article (https://example.com/a-b#c)."),
            Some("https://example.com/a-b#c".into())
        );
        assert_eq!(first_url("no url (example.com/a)"), None);
    }
}
