//! CSV for fleets (`run --format csv`): one row per input and rule, for spreadsheets and for
//! loading into a database (`docs/fleet-queries.md`).
//!
//! RFC 4180 quoting (a field with a comma, quote or line break is quoted, quotes doubled), a
//! header row, `\n` line ends, UTF-8 without BOM. An input that could not be read is one row
//! with outcome `input_error` and the reason in `error`, so a fleet never loses a host silently.
//! Rows follow the report: input, pack, rule. Columns are [`COLUMNS`].

use std::io::{self, Write};

use triage_engine::{Finding, Report};

use super::shared;

/// The header row; new columns are only ever appended.
pub const COLUMNS: &[&str] = &[
    "input",
    "host",
    "collected_at",
    "pack",
    "pack_version",
    "rule",
    "severity",
    "outcome",
    "waived",
    "title",
    "evidence",
    "missing",
    "error",
    "unconfirmed",
    "to_confirm",
];

/// Writes the header and one row per finding (and per unreadable input).
pub fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    row(out, COLUMNS.iter().map(|c| c.to_string()))?;
    for summary in &report.inputs {
        let findings: Vec<&Finding> = report.findings.iter().filter(|f| *f.input == *summary.input).collect();
        let collected_at = summary.collected_at.clone().unwrap_or_default();
        if findings.is_empty() && !summary.collection_errors.is_empty() && summary.artifacts == 0 {
            let error = summary.collection_errors.first().cloned().unwrap_or_default();
            let host = summary.host.clone().unwrap_or_default();
            let mut cells = vec![summary.input.clone(), host, collected_at.clone()];
            cells.extend(["", "", "", "", "input_error", "", "", "", ""].map(String::from));
            cells.push(error);
            cells.extend(["", ""].map(String::from));
            row(out, cells)?;
            continue;
        }
        for f in findings {
            let evidence: Vec<String> = f.evidence.iter().map(shared::evidence_line).collect();
            let missing: Vec<String> = f.missing.iter().map(shared::needed).collect();
            let to_confirm: Vec<String> = f.to_confirm.iter().map(shared::needed).collect();
            row(
                out,
                [
                    f.input.to_string(),
                    f.host.as_deref().unwrap_or_default().to_owned(),
                    collected_at.clone(),
                    f.pack.to_string(),
                    f.pack_version.to_string(),
                    f.rule.to_string(),
                    f.severity.as_str().to_owned(),
                    f.outcome.as_str().to_owned(),
                    if f.waiver.is_some() { "true" } else { "false" }.to_owned(),
                    f.title.to_string(),
                    evidence.join("; "),
                    missing.join("; "),
                    f.error.clone().unwrap_or_default(),
                    if f.unconfirmed { "true" } else { "false" }.to_owned(),
                    to_confirm.join("; "),
                ],
            )?;
        }
    }
    Ok(())
}

fn row(out: &mut impl Write, cells: impl IntoIterator<Item = String>) -> io::Result<()> {
    let line: Vec<String> = cells.into_iter().map(|c| quote(&c)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\n")
}

fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_quoted_as_rfc_4180_says() {
        assert_eq!(super::quote("plain"), "plain");
        assert_eq!(super::quote("a,b"), "\"a,b\"");
        assert_eq!(super::quote("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
    }
}
