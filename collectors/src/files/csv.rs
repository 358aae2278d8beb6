//! `format = "csv"`: the first record is the header, each later record a row whose `fields` are
//! keyed by the header's names (a column beyond the header is `column<N>`, 1-based; a repeated
//! name keeps its first column). The delimiter (`,`, `;` or tab) is guessed from the header and
//! quoting is RFC 4180's, as `Get-HotFix | Export-Csv` and Excel write it
//! ([`crate::system::hotfix_csv::csv_records`]).

use std::collections::BTreeMap;

use triage_facts::{Fact, Value};

use super::{at, bounded, Budget, ReadError};
use crate::system::hotfix_csv::csv_records;

pub(super) fn read(text: &str, rel: &str, budget: &mut Budget) -> Result<BTreeMap<String, Fact>, ReadError> {
    let records = csv_records(text);
    let mut header: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        budget.take(rel, rec.line)?;
        if i == 0 {
            for f in &rec.fields {
                header.push(bounded(f.value.trim(), rel, rec.line)?.to_owned());
            }
            continue;
        }
        let src = at(rel, rec.line);
        let mut fields = BTreeMap::new();
        for (c, f) in rec.fields.iter().enumerate() {
            budget.take(rel, rec.line)?;
            let name = header.get(c).cloned().unwrap_or_else(|| format!("column{}", c + 1));
            let value = bounded(&f.value, rel, rec.line)?;
            fields.entry(name).or_insert_with(|| Fact::with_source(value, src.clone()));
        }
        let row = BTreeMap::from([
            ("line".to_owned(), Fact::with_source(rec.line as i64, src.clone())),
            ("fields".to_owned(), Fact::with_source(Value::Map(fields), src.clone())),
        ]);
        rows.push(Fact::with_source(Value::Map(row), src));
    }
    let src = at(rel, 1);
    let header: Vec<Fact> = header.into_iter().map(|h| Fact::with_source(h, src.clone())).collect();
    Ok(BTreeMap::from([("header".to_owned(), Fact::new(header)), ("rows".to_owned(), Fact::new(rows))]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_keyed_by_the_header() {
        let text = "\u{feff}Name;Value\r\n\"a;b\";1\r\nc;2;extra\r\n";
        let m = read(text.trim_start_matches('\u{feff}'), "t.csv", &mut Budget::new()).expect("reads");
        let Value::List(rows) = &m["rows"].value else { panic!("list") };
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get_path(&["fields", "Name"]).map(|f| &f.value), Some(&Value::Str("a;b".into())));
        assert_eq!(
            rows[1].get_path(&["fields", "column3"]).map(|f| &f.value),
            Some(&Value::Str("extra".into()))
        );
        assert_eq!(rows[1].get_path(&["line"]).map(|f| &f.value), Some(&Value::Int(3)));
    }
}
