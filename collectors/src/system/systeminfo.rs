//! The `systeminfo` collector: the text output of `systeminfo` (list form, the default) and of
//! `systeminfo /fo csv`. English labels only (`Host Name:`, `OS Name:`, `OS Version:`,
//! `Hotfix(s):`); a localised output is not recognised.
//!
//! # Fact layout
//!
//! ```text
//! os.name             Str       "Microsoft Windows Server 2012 R2 Standard"
//! os.version          Version   6.3.9600 (from "6.3.9600 N/A Build 9600")
//! os.build            Int       9600 (the `Build N` text, else the version's third part)
//! os.product          Str       "Windows Server 2012 R2" (table in `system::os_builds`, the same
//!                               the registry collector uses, so both merge without conflict)
//! os.hostname         Str       "WSUS01"
//! updates.installed   List of Str   `KB…` upper-case, from the Hotfix(s) list, in order
//! ```
//!
//! Provenance: artifact, collector `systeminfo`, `line`, `span` of the value text, `key` the label
//! (`OS Name`, `Hotfix(s)`).

use std::ops::Range;
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, FactMap,
    Provenance, Recognition, Value, Version,
};

use super::hotfix_csv::{csv_records, kb_number};
use super::os_builds;
use crate::text;

pub const NAME: &str = "systeminfo";

/// The `systeminfo` output collector.
#[derive(Debug)]
pub struct SysteminfoCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: NAME,
    version: "1",
    reads: "`systeminfo` output (list or CSV form, English)",
    typical_names: &["systeminfo.txt"],
    provides: &["os", "updates.installed"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("os.name", &[Str], "OS Name (`Microsoft Windows Server 2012 R2 Standard`)"),
        FactDecl::new("os.version", &[Version], "from OS Version (`6.3.9600`)"),
        FactDecl::new("os.build", &[Int], "the `Build N` of OS Version, else the version's third part"),
        FactDecl::new("os.product", &[Str], "the product for the build (`Windows Server 2012 R2`)"),
        FactDecl::new("os.hostname", &[Str], "Host Name"),
        FactDecl::new("updates.installed", &[List], "installed updates, in order"),
        FactDecl::new("updates.installed[]", &[Str], "a `KB…` number, upper-case"),
    ]
};

impl Collector for SysteminfoCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let head = text::decode_head(artifact.head);
        let t = head.text.trim_start_matches('\u{feff}').trim_start();
        let list = head.text.lines().any(|l| l.starts_with("Host Name:"))
            && head.text.lines().any(|l| l.starts_with("OS Name:"));
        let csv = t.starts_with("\"Host Name\",\"OS Name\"");
        match (list || csv, artifact.file_name_lower().contains("systeminfo")) {
            (true, true) => Recognition::ByNameAndContent,
            (true, false) => Recognition::ByContent,
            _ => Recognition::No,
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        crate::read_whole(artifact, NAME, collect_bytes)
    }
}

/// One labelled field: its value text and where it is.
struct Field {
    label: String,
    line: u64,
    /// Value text, span and line of each line of the field (continuation lines included).
    parts: Vec<(String, Range<usize>, u64)>,
}

/// Reads `systeminfo` output bytes into facts.
pub fn collect_bytes(rel_path: &str, bytes: &[u8]) -> CollectorOutput {
    let (text, mut out) = text::decode_for_collector(rel_path, NAME, bytes);
    let text = text.as_str();
    let fields = if text.trim_start_matches('\u{feff}').trim_start().starts_with('"') {
        csv_fields(text)
    } else {
        list_fields(text)
    };
    if fields.is_empty() {
        out.errors.push(CollectionError::new(rel_path, NAME, "no `Label: value` lines found"));
    }
    out.facts = facts_from(rel_path, &fields, &mut out.errors);
    out.items = fields.len() as u64;
    out
}

/// The list form: `Label:   value`, continuation lines indented.
fn list_fields(text: &str) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    for (no, offset, line) in text::lines_with_offsets(text) {
        let line_body = line.trim_start_matches('\u{feff}');
        let bom = line.len() - line_body.len();
        if line_body.trim().is_empty() {
            continue;
        }
        let indented = line_body.starts_with(' ') || line_body.starts_with('\t');
        if indented {
            if let Some(f) = fields.last_mut() {
                let v = line_body.trim();
                let start = offset + bom + (line_body.len() - line_body.trim_start().len());
                f.parts.push((v.to_owned(), start..start + v.len(), no));
            }
            continue;
        }
        let Some(colon) = line_body.find(':') else { continue };
        let label = line_body.get(..colon).unwrap_or("").trim().to_owned();
        let rest = line_body.get(colon + 1..).unwrap_or("");
        let v = rest.trim();
        let start = offset + bom + colon + 1 + (rest.len() - rest.trim_start().len());
        fields.push(Field { label, line: no, parts: vec![(v.to_owned(), start..start + v.len(), no)] });
    }
    fields
}

/// The CSV form: a header row of labels and one row of values; the hotfix list is one field
/// with comma-separated items.
fn csv_fields(text: &str) -> Vec<Field> {
    let records = csv_records(text);
    let (Some(header), Some(row)) = (records.first(), records.get(1)) else { return Vec::new() };
    header
        .fields
        .iter()
        .zip(&row.fields)
        .map(|(h, v)| {
            let parts = if h.value.starts_with("Hotfix") || h.value.starts_with("Network Card") {
                let mut parts = Vec::new();
                let mut at = v.span.start;
                for item in v.value.split(',') {
                    let lead = item.len() - item.trim_start().len();
                    let t = item.trim();
                    parts.push((t.to_owned(), at + lead..at + lead + t.len(), row.line));
                    at += item.len() + 1;
                }
                parts
            } else {
                vec![(v.value.trim().to_owned(), v.span.clone(), row.line)]
            };
            Field { label: h.value.trim().to_owned(), line: row.line, parts }
        })
        .collect()
}

fn facts_from(rel_path: &str, fields: &[Field], errors: &mut Vec<CollectionError>) -> FactMap {
    let mut facts = FactMap::new();
    let src = |f: &Field, span: &Range<usize>| {
        Arc::new(
            Provenance::new(rel_path, NAME)
                .at_line(f.line)
                .span(span.start as u64, span.end as u64)
                .key(f.label.clone()),
        )
    };
    let find = |label: &str| fields.iter().find(|f| f.label.eq_ignore_ascii_case(label));
    let first = |f: &Field| f.parts.first().map(|(v, s, _)| (v.clone(), s.clone()));

    let name = find("OS Name").and_then(|f| first(f).map(|(v, s)| (v, src(f, &s))));
    if let Some((v, s)) = &name {
        facts.insert(&["os", "name"], Fact::with_source(v.as_str(), s.clone()));
    }
    if let Some(f) = find("Host Name") {
        if let Some((v, s)) = first(f) {
            facts.insert(&["os", "hostname"], Fact::with_source(v, src(f, &s)));
        }
    }
    if let Some(f) = find("OS Version") {
        if let Some((v, s)) = first(f) {
            let source = src(f, &s);
            let version = v.split_whitespace().next().and_then(Version::parse);
            let build = v
                .split_once("Build ")
                .and_then(|(_, b)| b.split_whitespace().next())
                .and_then(|b| b.parse::<u64>().ok())
                .or_else(|| version.as_ref().and_then(|ver| ver.0.get(2).copied()));
            match &version {
                Some(ver) => facts.insert(
                    &["os", "version"],
                    Fact::with_source(Value::Version(ver.clone()), source.clone()),
                ),
                None => errors.push(
                    CollectionError::new(rel_path, NAME, format!("unreadable OS Version `{v}`"))
                        .at_line(f.line),
                ),
            }
            if let Some(b) = build {
                facts.insert(
                    &["os", "build"],
                    Fact::with_source(i64::try_from(b).unwrap_or(i64::MAX), source.clone()),
                );
                let server = os_builds::is_server_name(name.as_ref().map(|(n, _)| n.as_str()));
                facts.insert(
                    &["os", "product"],
                    Fact::with_source(os_builds::product_for_build(b, server), source),
                );
            }
        }
    }
    if let Some(f) = fields.iter().find(|f| f.label.to_ascii_lowercase().starts_with("hotfix")) {
        let installed: Vec<Fact> = f
            .parts
            .iter()
            .filter_map(|(v, s, line)| {
                // The first part is the count ("3 Hotfix(s) Installed."); items look like "[01]: KB…".
                kb_number(v).map(|kb| {
                    Fact::with_source(
                        kb,
                        Arc::new(
                            Provenance::new(rel_path, NAME)
                                .at_line(*line)
                                .span(s.start as u64, s.end as u64)
                                .key(f.label.clone()),
                        ),
                    )
                })
            })
            .collect();
        facts.insert(&["updates", "installed"], Fact::new(installed));
    }
    facts
}
