//! SARIF 2.1.0 (`run --format sarif`), the format code-scanning and work-item views import
//! (GitHub code scanning, Azure DevOps, the VS Code SARIF viewer).
//!
//! Layout, one `run` per pack:
//! - `tool.driver`: triage, with the pack's rules (`shortDescription` = title, `fullDescription` =
//!   the rule's description, `help` = the description and where the rule is documented, `helpUri`
//!   = the article the rule encodes when the pack names its URL, `defaultConfiguration.level` from
//!   the severity: `error`, `warning`, `note` for `info`); the run's `properties` name the pack,
//!   its version and every input with its host and collection time;
//! - `originalUriBaseIds`: `INPUT1`, `INPUT2`, … one per input (the folder the artifact paths are
//!   relative to, as given on the command line: relative to `SRCROOT`, the folder triage ran in,
//!   which is left unnamed so the log does not depend on it; or a `file:` URI for an absolute
//!   path), so each result's `artifactLocation` is the artifact's own relative path, as
//!   provenance has it;
//! - `results`: a `detected` finding is `kind: fail` at the rule's level; an unconfirmed one
//!   (its rule's `confirm` facts not collected) `kind: review` with level `none`, what to collect
//!   in its message and `properties.unconfirmed`/`toConfirm`; a waived one carries an accepted external `suppression` (the waivers file,
//!   line, owner, expiry and justification); a `missing_facts` finding is `kind: open` (nothing was
//!   concluded — a missing fact is never a pass) naming the missing facts. `not_detected` and
//!   `not_applicable` findings are left out: a SARIF view lists problems, and the JSON report has
//!   every outcome. Each located evidence item is a location: the first is the result's, the rest
//!   `relatedLocations`; lines and columns (Unicode code points, `columnKind`) come from the
//!   provenance span in the artifact's decoded text, a registry value is also a logical location
//!   (its key path);
//! - `invocations[0]`: `executionSuccessful` false, and a notification, for a rule that could not
//!   be evaluated (`error`) or an input that could not be read.
//!
//! Deterministic: no timestamps or absolute paths that the input does not give.

use std::io::{self, Write};

use serde_json::{json, Map, Value as J};
use triage_engine::{Finding, Outcome, Pack, Severity};

use super::shared::{self, ArtifactTexts};
use super::RunView;
use crate::input::{Input, InputKind};

/// The base of relative input paths: the folder triage was run in (left unnamed).
const SRCROOT: &str = "SRCROOT";

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Writes the SARIF log, pretty-printed, and a newline.
pub fn write(out: &mut impl Write, view: &RunView<'_>) -> io::Result<()> {
    let mut texts = ArtifactTexts::default();
    let runs: Vec<J> = view.packs.iter().map(|pack| run(view, pack, &mut texts)).collect();
    let mut log = json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": runs });
    // Keys sorted, as they are without serde_json's `preserve_order` (which a dependency of the
    // collectors turns on for the whole build): the output must not depend on a feature flag.
    log.sort_all_objects();
    super::json::write(out, &log)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn run(view: &RunView<'_>, pack: &Pack, texts: &mut ArtifactTexts) -> J {
    let m = &pack.manifest;
    let rules: Vec<J> = pack.rules.iter().map(|r| rule(pack, r)).collect();
    let mut bases = Map::new();
    // Relative inputs are relative to where triage ran, which the log does not record.
    bases.insert(SRCROOT.to_owned(), json!({ "description": { "text": "The folder triage was run in." } }));
    let mut inputs = Vec::new();
    for (i, summary) in view.report.inputs.iter().enumerate() {
        let input = view.inputs.iter().find(|x| x.name == summary.input);
        let mut base = json!({ "description": { "text": format!("The input {}.", summary.input) } });
        if let Some(uri) = input.and_then(base_uri) {
            if !uri.starts_with("file:") {
                base["uriBaseId"] = J::from(SRCROOT);
            }
            base["uri"] = J::from(uri);
        }
        bases.insert(base_id(i), base);
        let mut entry = json!({ "input": summary.input, "uriBaseId": base_id(i) });
        if let Some(h) = &summary.host {
            entry["host"] = J::from(h.as_str());
        }
        if let Some(t) = &summary.collected_at {
            entry["collectedAt"] = J::from(t.as_str());
        }
        inputs.push(entry);
    }
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for f in view.report.findings.iter().filter(|f| *f.pack == *m.id) {
        let Some(index) = pack.rules.iter().position(|r| *r.id == *f.rule) else { continue };
        let input_index = view.report.inputs.iter().position(|s| *s.input == *f.input).unwrap_or(0);
        let input = view.inputs.iter().find(|x| *x.name == *f.input);
        match f.outcome {
            Outcome::Detected | Outcome::MissingFacts => {
                results.push(result(f, index, input_index, input, texts));
            }
            Outcome::Error => notifications.push(json!({
                "level": "error",
                "message": { "text": sentence(&format!(
                    "{} could not be evaluated on {}: {}",
                    f.rule,
                    f.input,
                    f.error.as_deref().unwrap_or("unknown error")
                )) },
                "associatedRule": { "id": &*f.rule, "index": index },
            })),
            Outcome::NotDetected | Outcome::NotApplicable => {}
        }
    }
    for (i, summary) in view.report.inputs.iter().enumerate() {
        if !view.inputs.iter().any(|x| x.name == summary.input) {
            let why = summary.collection_errors.first().map_or("it could not be read", String::as_str);
            notifications.push(json!({
                "level": "error",
                "message": { "text": sentence(&format!("The input {} could not be read: {why}", summary.input)) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": "", "uriBaseId": base_id(i) } } }],
            }));
        }
    }
    let mut invocation = json!({ "executionSuccessful": notifications.is_empty() });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = J::Array(notifications);
    }
    json!({
        "tool": { "driver": {
            "name": "triage",
            "semanticVersion": view.report.triage_version,
            "version": view.report.triage_version,
            "rules": rules,
        } },
        "automationDetails": { "id": format!("triage/{}/", m.id) },
        "originalUriBaseIds": bases,
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": { "pack": { "id": m.id, "version": m.version.to_string(), "title": m.title }, "inputs": inputs },
    })
}

fn base_id(i: usize) -> String {
    format!("INPUT{}", i + 1)
}

fn rule(pack: &Pack, r: &triage_engine::pack::Rule) -> J {
    let description = r.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let page = shared::rule_page(&pack.manifest.id, &r.id);
    let url = shared::article_url(pack, r);
    let mut text = description.map(|d| format!("{d}\n\n")).unwrap_or_default();
    let mut markdown = text.clone();
    if let Some(p) = &page {
        text.push_str(&format!("Rule reference: {p} in the triage repository.\n"));
        markdown.push_str(&format!("Rule reference: [`{p}`]({p}) in the triage repository.\n"));
    }
    for reference in &r.references {
        text.push_str(&format!("Reference: {reference}.\n"));
        markdown.push_str(&format!("Reference: {reference}.\n"));
    }
    if let Some(u) = &url {
        text.push_str(&format!("Article: {u}\n"));
        markdown.push_str(&format!("Article: <{u}>\n"));
    }
    text.push_str(&format!("Why it did or did not fire on an input: triage explain {} INPUT.\n", r.id));
    markdown.push_str(&format!("Why it did or did not fire on an input: `triage explain {} INPUT`.\n", r.id));
    let mut rule = json!({
        "id": &*r.id,
        "name": pascal_case(&r.title),
        "shortDescription": { "text": sentence(&r.title) },
        "fullDescription": { "text": sentence(description.unwrap_or(&r.title)) },
        "help": { "text": text.trim_end(), "markdown": markdown.trim_end() },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": { "tags": r.tags, "severity": r.severity.as_str() },
    });
    if let Some(u) = url {
        rule["helpUri"] = J::from(u);
    }
    rule
}

fn result(
    f: &Finding,
    index: usize,
    input_index: usize,
    input: Option<&Input>,
    texts: &mut ArtifactTexts,
) -> J {
    let base = base_id(input_index);
    let mut locations = Vec::new();
    let mut unlocated = Vec::new();
    for e in &f.evidence {
        let Some(src) = &e.source else {
            unlocated.push(shared::evidence_line(e));
            continue;
        };
        let text = input.and_then(|i| texts.get(i, &src.artifact));
        let mut physical =
            json!({ "artifactLocation": { "uri": uri_path(&src.artifact), "uriBaseId": base } });
        if let Some(r) = shared::region(src, text.as_deref()) {
            let mut region = json!({ "startLine": r.start_line, "endLine": r.end_line });
            if let (Some(sc), Some(ec)) = (r.start_column, r.end_column) {
                region["startColumn"] = J::from(sc);
                region["endColumn"] = J::from(ec);
            }
            if let Some(t) = r.text.filter(|t| !t.is_empty()) {
                region["snippet"] = json!({ "text": t });
            }
            physical["region"] = region;
        }
        let mut location = json!({
            "physicalLocation": physical,
            "message": { "text": sentence(&shared::evidence_line(e)) },
        });
        if let Some(key) = &src.key {
            let name = key.rsplit('\\').next().unwrap_or(key);
            location["logicalLocations"] =
                json!([{ "name": name, "fullyQualifiedName": key, "kind": "variable" }]);
        }
        locations.push(location);
    }
    let mut message = match f.outcome {
        Outcome::MissingFacts => {
            let needs: Vec<String> = f.missing.iter().map(shared::needed).collect();
            format!("{} could not be checked on {}: missing {}.", f.rule, f.input, needs.join("; "))
        }
        _ => format!("{} on {}.", f.title.trim_end_matches('.'), host_of(f)),
    };
    if let Some(u) = shared::unconfirmed_text(f) {
        message.push_str(&format!("\n\n{u}"));
    }
    if !unlocated.is_empty() {
        message.push_str(&format!("\n\nAlso read: {}.", unlocated.join("; ")));
    }
    if let Some(res) = &f.resolution {
        message.push_str(&format!("\n\nFix:\n{}", res.trim_end()));
    }
    let kind = match f.outcome {
        Outcome::MissingFacts => "open",
        _ if !shared::confirmed(f) => "review",
        _ => "fail",
    };
    let mut result = json!({
        "ruleId": &*f.rule,
        "ruleIndex": index,
        "kind": kind,
        "message": { "text": message },
        "properties": { "input": &*f.input, "outcome": f.outcome.as_str(), "severity": f.severity.as_str() },
    });
    // Only a failing result has a level; every other kind is `none` by definition.
    result["level"] = J::from(if kind == "fail" { level(f.severity) } else { "none" });
    if let Some(h) = &f.host {
        result["properties"]["host"] = J::from(&**h);
    }
    if f.unconfirmed {
        result["properties"]["unconfirmed"] = J::Bool(true);
        let to_confirm: Vec<J> = f
            .to_confirm
            .iter()
            .map(|m| match &m.artifact {
                Some(a) => json!({ "fact": m.fact, "artifact": a }),
                None => json!({ "fact": m.fact }),
            })
            .collect();
        result["properties"]["toConfirm"] = J::Array(to_confirm);
    }
    let mut locations = locations.into_iter();
    if let Some(first) = locations.next() {
        result["locations"] = J::Array(vec![first]);
    }
    let related: Vec<J> = locations
        .enumerate()
        .map(|(i, mut l)| {
            l["id"] = J::from(i + 1);
            l
        })
        .collect();
    if !related.is_empty() {
        result["relatedLocations"] = J::Array(related);
    }
    if let Some(w) = &f.waiver {
        result["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": w.justification,
            "location": { "physicalLocation": {
                "artifactLocation": { "uri": uri_path(&w.file) },
                "region": { "startLine": w.line },
            } },
            "properties": { "owner": w.owner, "expires": w.expires },
        }]);
    }
    result
}

fn host_of(f: &Finding) -> String {
    match &f.host {
        Some(h) => format!("{h} ({})", f.input),
        None => f.input.to_string(),
    }
}

/// The folder an input's artifact paths are relative to, as a URI reference ending in `/`.
fn base_uri(input: &Input) -> Option<String> {
    let path = &input.path;
    let dir = match input.kind {
        InputKind::Folder | InputKind::Archive => path.clone(),
        InputKind::File | InputKind::FactMap => path.parent()?.to_path_buf(),
        InputKind::Bundle => input.bundle.as_ref()?.artifacts_dir().unwrap_or_else(|| path.join("artifacts")),
    };
    let text = dir.to_string_lossy().replace('\\', "/");
    let mut uri = if text.starts_with('/') { format!("file://{}", uri_path(&text)) } else { uri_path(&text) };
    if uri.is_empty() {
        uri.push_str("./");
    } else if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(uri)
}

/// A relative path as a URI reference: `/`-separated, everything but unreserved characters and
/// `/` percent-encoded.
fn uri_path(path: &str) -> String {
    let mut s = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// `text` ending in a full stop, as SARIF asks of plain-text messages.
fn sentence(text: &str) -> String {
    let t = text.trim_end();
    if t.ends_with(['.', '!', '?']) {
        t.to_owned()
    } else {
        format!("{t}.")
    }
}

/// A rule's readable name (`ManualImportFailsWsusImportCannotUseTls12`).
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|c| format!("{}{}", c.to_ascii_uppercase(), cs.as_str().to_ascii_lowercase()))
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_become_uri_references() {
        assert_eq!(super::uri_path(r"logs\Software Distribution.log"), "logs/Software%20Distribution.log");
        assert_eq!(super::pascal_case("Manual import fails: TLS 1.2"), "ManualImportFailsTls12");
    }
}
