//! The `hotfix-csv` collector: `Get-HotFix | Export-Csv` (or `ConvertTo-Csv > file`) output.
//!
//! With or without the leading `#TYPE …` line; the `HotFixID` column is found by name (any
//! position, any case, after `Select-Object` or not); `,`, `;` or TAB delimiters (`-UseCulture`,
//! `-Delimiter`); UTF-16LE (PowerShell 5.1 `>`), UTF-8 with or without BOM, or ASCII.
//!
//! # Fact layout
//!
//! ```text
//! updates.installed    List of Str   KB numbers, upper-case (`KB4022720`), in file order; IDs
//!                                    that are not `KB<digits>` are left out
//! ```
//!
//! Each item's provenance: artifact, collector `hotfix-csv`, `line` of its record, `span` of the
//! HotFixID field's text, `key` `HotFixID`.

use std::ops::Range;
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, Provenance,
    Recognition,
};

use crate::text;

pub const NAME: &str = "hotfix-csv";

/// The `Get-HotFix | Export-Csv` collector.
#[derive(Debug)]
pub struct HotfixCsvCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: NAME,
    version: "1",
    reads: "installed updates: `Get-HotFix | Export-Csv` output",
    typical_names: &["hotfixes.csv", "Get-HotFix.csv"],
    provides: &["updates.installed"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("updates.installed", &[List], "installed updates, in file order"),
        FactDecl::new("updates.installed[]", &[Str], "a `KB…` number, upper-case"),
    ]
};

impl Collector for HotfixCsvCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let head = text::decode_head(artifact.head);
        let mut lines =
            head.text.lines().map(|l| l.trim_start_matches('\u{feff}').trim()).filter(|l| !l.is_empty());
        let Some(mut first) = lines.next() else { return Recognition::No };
        let typed = first.starts_with("#TYPE");
        if typed {
            first = lines.next().unwrap_or("");
        }
        let has_column = header_fields(first).iter().any(|f| f.eq_ignore_ascii_case("HotFixID"));
        let qfe = typed && head.text.contains("Win32_QuickFixEngineering");
        match (has_column || qfe, artifact.file_name_lower().ends_with(".csv")) {
            (true, true) => Recognition::ByNameAndContent,
            (true, false) => Recognition::ByContent,
            _ => Recognition::No,
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        crate::read_whole(artifact, NAME, collect_bytes)
    }
}

/// Reads one CSV file's bytes into `updates.installed`.
pub fn collect_bytes(rel_path: &str, bytes: &[u8]) -> CollectorOutput {
    let (text, mut out) = text::decode_for_collector(rel_path, NAME, bytes);
    let text = text.as_str();
    let mut records = csv_records(text).into_iter().filter(|r| !r.is_comment(text));
    let Some(header) = records.next() else {
        out.errors.push(CollectionError::new(rel_path, NAME, "no header row"));
        return out;
    };
    let Some(col) = header.fields.iter().position(|f| f.value.trim().eq_ignore_ascii_case("HotFixID")) else {
        out.errors.push(CollectionError::new(rel_path, NAME, "no HotFixID column").at_line(header.line));
        return out;
    };
    let mut installed = Vec::new();
    for rec in records {
        let Some(field) = rec.fields.get(col) else {
            if !(rec.fields.len() == 1 && rec.fields.iter().all(|f| f.value.trim().is_empty())) {
                out.errors.push(
                    CollectionError::new(
                        rel_path,
                        NAME,
                        format!("record has {} fields, HotFixID is column {}", rec.fields.len(), col + 1),
                    )
                    .at_line(rec.line),
                );
            }
            continue;
        };
        if let Some(kb) = kb_number(&field.value) {
            let src = Provenance::new(rel_path, NAME)
                .at_line(rec.line)
                .span(field.span.start as u64, field.span.end as u64)
                .key("HotFixID");
            installed.push(Fact::with_source(kb, Arc::new(src)));
        }
    }
    out.items = installed.len() as u64;
    out.facts.insert(&["updates", "installed"], Fact::new(installed));
    out
}

/// `KB4022720` from `kb4022720`, ` KB4022720 ` or `[01]: KB4022720`; `None` if there is no
/// `KB<digits>` in `s`.
pub fn kb_number(s: &str) -> Option<String> {
    let upper = s.to_ascii_uppercase();
    let mut from = 0;
    while let Some(i) = upper.get(from..).and_then(|r| r.find("KB")) {
        let start = from + i;
        let digits: String =
            upper.get(start + 2..).unwrap_or("").chars().take_while(char::is_ascii_digit).collect();
        let boundary_before =
            start == 0 || !upper.as_bytes().get(start - 1).is_some_and(u8::is_ascii_alphanumeric);
        if !digits.is_empty() && boundary_before {
            return Some(format!("KB{digits}"));
        }
        from = start + 2;
    }
    None
}

/// A CSV field: its unquoted value and the byte span of its text (inside the quotes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvField {
    pub value: String,
    pub span: Range<usize>,
}

/// A CSV record with the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvRecord {
    pub line: u64,
    pub start: usize,
    pub fields: Vec<CsvField>,
}

impl CsvRecord {
    fn is_comment(&self, text: &str) -> bool {
        text.get(self.start..).is_some_and(|t| t.trim_start_matches('\u{feff}').starts_with('#'))
    }
}

/// Splits a header line into field names (quotes removed), guessing the delimiter.
fn header_fields(line: &str) -> Vec<String> {
    csv_records(line)
        .into_iter()
        .next()
        .map(|r| r.fields.into_iter().map(|f| f.value).collect())
        .unwrap_or_default()
}

/// Guesses the delimiter from the first record line: the most frequent of `,` `;` TAB outside
/// quotes (`,` on a tie).
fn guess_delimiter(text: &str) -> char {
    let line = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}'))
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [',', ';', '\t'][best]
}

/// Reads RFC 4180 CSV (quoted fields, `""` escapes, line breaks inside quotes) with byte spans.
/// Blank lines are skipped. Never fails: an unterminated quote runs to the end of the text.
pub fn csv_records(text: &str) -> Vec<CsvRecord> {
    let delim = guess_delimiter(text);
    let mut records = Vec::new();
    let mut line = 1u64;
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c == '\n' || c == '\r' {
            if c == '\n' {
                line += 1;
            }
            chars.next();
            continue;
        }
        let rec_line = line;
        let mut fields = Vec::new();
        loop {
            // One field.
            let mut value = String::new();
            let field_start = chars.peek().map_or(text.len(), |&(i, _)| i);
            let mut span = field_start..field_start;
            if chars.peek().is_some_and(|&(_, c)| c == '"') {
                chars.next();
                span.start = field_start + 1;
                span.end = text.len();
                while let Some((i, c)) = chars.next() {
                    if c == '"' {
                        if chars.peek().is_some_and(|&(_, c)| c == '"') {
                            chars.next();
                            value.push('"');
                            continue;
                        }
                        span.end = i;
                        break;
                    }
                    if c == '\n' {
                        line += 1;
                    }
                    value.push(c);
                }
                // Anything between the closing quote and the delimiter is kept, leniently.
                while let Some(&(_, c)) = chars.peek() {
                    if c == delim || c == '\n' || c == '\r' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            } else {
                while let Some(&(i, c)) = chars.peek() {
                    if c == delim || c == '\n' || c == '\r' {
                        break;
                    }
                    value.push(c);
                    span.end = i + c.len_utf8();
                    chars.next();
                }
            }
            fields.push(CsvField { value, span });
            match chars.peek() {
                Some(&(_, c)) if c == delim => {
                    chars.next();
                }
                _ => break,
            }
        }
        records.push(CsvRecord { line: rec_line, start, fields });
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_numbers() {
        assert_eq!(kb_number(" kb4022720 ").as_deref(), Some("KB4022720"));
        assert_eq!(kb_number("[01]: KB2919355").as_deref(), Some("KB2919355"));
        assert_eq!(kb_number("File 1"), None);
        assert_eq!(kb_number("WKB12"), None);
    }

    #[test]
    fn csv_with_quotes_and_spans() {
        let text = "\"a\",\"b \"\"x\"\"\"\r\nc,\"d\ne\"\r\n";
        let r = csv_records(text);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].fields[1].value, "b \"x\"");
        assert_eq!(&text[r[0].fields[0].span.clone()], "a");
        assert_eq!((r[1].line, r[1].fields[1].value.as_str()), (2, "d\ne"));
        assert_eq!(&text[r[1].fields[0].span.clone()], "c");
    }
}
