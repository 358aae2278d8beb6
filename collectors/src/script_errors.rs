//! The `collect-script` collector: `collection-errors.txt`, what the collection script
//! (`scripts/Collect-Triage.ps1`) could not collect, so a script-made folder or zip shows its
//! gaps as collection errors, as a bundle's manifest does for `triage collect`.
//!
//! # Format
//!
//! UTF-8 (the script writes a BOM) or UTF-16, CRLF or LF. The first non-empty line is the header
//! `# triage collection errors` (what follows it on the line is free text: the script's
//! version); then one error per line, `<artifact or step>` TAB `<message>`; empty lines and
//! further `#` lines are skipped. A line without a TAB is a message about no artifact in
//! particular.
//!
//! # Fact layout
//!
//! ```text
//! collect_script.header   Str   the header line after `# triage collection errors:` (the
//!                               script's version, PowerShell's, the host), trimmed
//! collect_script.errors   Int   how many errors the file lists
//! ```
//!
//! Each line becomes a collection error (`collection.errors`, collector `collect-script`,
//! artifact as the line names it), shown with the run's other collection errors. Bounded: at
//! most [`MAX_BYTES`] are read and [`MAX_ERRORS`] lines kept, each message cut at
//! [`MAX_MESSAGE_CHARS`] characters; what is cut is said in one more error.

use std::io::Read;
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, Provenance,
    Recognition,
};

use crate::text;

pub const NAME: &str = "collect-script";
/// The file name the script writes.
pub const FILE_NAME: &str = "collection-errors.txt";
/// The header line's start.
pub const HEADER: &str = "# triage collection errors";
/// Bytes read at most.
pub const MAX_BYTES: u64 = 1 << 20;
/// Errors kept at most.
pub const MAX_ERRORS: usize = 1000;
/// Characters kept of one message.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// The collection script's error list.
#[derive(Debug)]
pub struct ScriptErrorsCollector;

pub static COLLECTORS: &[&dyn Collector] = &[&ScriptErrorsCollector];

static INFO: CollectorInfo = CollectorInfo {
    name: NAME,
    version: "1",
    reads:
        "what the collection script could not collect (`collection-errors.txt` of scripts/Collect-Triage.ps1)",
    typical_names: &[FILE_NAME],
    provides: &["collect_script"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new(
            "collect_script.header",
            &[Str],
            "the header line's text after `# triage collection errors:`",
        ),
        FactDecl::new("collect_script.errors", &[Int], "how many errors the file lists"),
    ]
};

impl Collector for ScriptErrorsCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let head = text::decode_head(artifact.head);
        let first =
            head.text.lines().map(|l| l.trim_start_matches('\u{feff}').trim()).find(|l| !l.is_empty());
        match (first.is_some_and(|l| l.starts_with(HEADER)), artifact.file_name_lower() == FILE_NAME) {
            (true, true) => Recognition::ByNameAndContent,
            (true, false) => Recognition::ByContent,
            _ => Recognition::No,
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        let mut bytes = Vec::new();
        let read =
            std::fs::File::open(artifact.path).and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes));
        if let Err(e) = read {
            return CollectorOutput {
                errors: vec![CollectionError::new(artifact.rel_path, NAME, format!("cannot read: {e}"))],
                ..Default::default()
            };
        }
        let cut = bytes.len() as u64 > MAX_BYTES;
        bytes.truncate(MAX_BYTES as usize);
        let mut out = collect_bytes(artifact.rel_path, &bytes);
        if cut {
            out.errors.push(CollectionError::new(
                artifact.rel_path,
                NAME,
                format!("longer than {MAX_BYTES} bytes: the rest was not read"),
            ));
        }
        out
    }
}

/// Reads the error list's bytes.
pub fn collect_bytes(rel_path: &str, bytes: &[u8]) -> CollectorOutput {
    let (text, mut out) = text::decode_for_collector(rel_path, NAME, bytes);
    let mut lines = text.lines().map(|l| l.trim_start_matches('\u{feff}').trim_end());
    let mut dropped = 0usize;
    let mut seen_header = false;
    let mut errors = Vec::new();
    for (line_no, line) in lines.by_ref().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if !seen_header {
            seen_header = true;
            if let Some(rest) = trimmed.strip_prefix(HEADER) {
                let src = Arc::new(Provenance::new(rel_path, NAME).at_line(line_no as u64 + 1));
                let rest = rest.trim_start_matches(':').trim();
                out.facts.insert(&["collect_script", "header"], Fact::with_source(rest, src));
                continue;
            }
            out.errors.push(CollectionError::new(rel_path, NAME, format!("no `{HEADER}` header line")));
            return out;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        if errors.len() >= MAX_ERRORS {
            dropped += 1;
            continue;
        }
        let (artifact, message) = match line.split_once('\t') {
            Some((a, m)) => (a.trim(), m.trim()),
            None => ("", trimmed),
        };
        let message: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
        errors.push(CollectionError::new(&artifact.replace('\\', "/"), NAME, message));
    }
    if dropped > 0 {
        errors.push(CollectionError::new(
            rel_path,
            NAME,
            format!("{dropped} more error(s) not shown (at most {MAX_ERRORS} are read)"),
        ));
    }
    let listed = errors.len() as i64 + dropped as i64;
    out.facts.insert(
        &["collect_script", "errors"],
        Fact::with_source(listed, Arc::new(Provenance::new(rel_path, NAME))),
    );
    out.items = errors.len() as u64;
    out.errors.extend(errors);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_a_collection_error() {
        let text = "\u{feff}# triage collection errors: Collect-Triage.ps1 2\r\n\r\nregistry\\hklm-32bit.reg\tHKLM\\SOFTWARE\\Microsoft\\SMS\\Identification (32-bit view): not found\r\nsystem/systeminfo.txt\tsysteminfo.exe ended with 1: Access denied\r\nno tab here\r\n";
        let out = collect_bytes("collection-errors.txt", text.as_bytes());
        let shown: Vec<String> = out.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                r"registry/hklm-32bit.reg: [collect-script] HKLM\SOFTWARE\Microsoft\SMS\Identification (32-bit view): not found",
                "system/systeminfo.txt: [collect-script] systeminfo.exe ended with 1: Access denied",
                ": [collect-script] no tab here",
            ]
        );
        assert_eq!(out.items, 3);
        let header = out.facts.get("collect_script.header").expect("header");
        assert_eq!(header.value, triage_facts::Value::Str("Collect-Triage.ps1 2".into()));
        assert_eq!(header.source.as_ref().expect("provenance").line, Some(1));
        assert_eq!(
            out.facts.get("collect_script.errors").map(|f| &f.value),
            Some(&triage_facts::Value::Int(3))
        );
    }

    #[test]
    fn a_file_without_the_header_is_one_error_and_the_list_is_bounded() {
        let out = collect_bytes("collection-errors.txt", b"registry: something\n");
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].message, "no `# triage collection errors` header line");
        let mut many = String::from("# triage collection errors\n");
        for i in 0..MAX_ERRORS + 5 {
            many.push_str(&format!("a{i}\t{}\n", "x".repeat(MAX_MESSAGE_CHARS + 10)));
        }
        let out = collect_bytes("collection-errors.txt", many.as_bytes());
        assert_eq!(out.errors.len(), MAX_ERRORS + 1);
        assert_eq!(out.errors[0].message.chars().count(), MAX_MESSAGE_CHARS);
        assert_eq!(
            out.errors[MAX_ERRORS].message,
            format!("5 more error(s) not shown (at most {MAX_ERRORS} are read)")
        );
    }
}
