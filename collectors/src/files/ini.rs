//! `format = "ini"`: `[section]` headers and `key = value` lines. `;` and `#` start a comment
//! line; keys and values are trimmed; a line with no `=` is a key with an empty value. Section
//! and key names are kept as written (one `sections` entry per spelling), the first value of a
//! key in a section is its `sections.<section>.<key>` (as Windows' profile functions read it),
//! and every entry is listed in `entries`.

use std::collections::BTreeMap;

use triage_facts::{Fact, Value};

use super::{at, bounded, map_fact, Budget, ReadError};

pub(super) fn read(text: &str, rel: &str, budget: &mut Budget) -> Result<BTreeMap<String, Fact>, ReadError> {
    let mut sections: BTreeMap<String, BTreeMap<String, Fact>> = BTreeMap::new();
    let mut entries = Vec::new();
    let mut section = String::new();
    for (line, _, raw) in crate::text::lines_with_offsets(text) {
        let l = raw.trim();
        if l.is_empty() || l.starts_with(';') || l.starts_with('#') {
            continue;
        }
        budget.take(rel, line)?;
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = bounded(name.trim(), rel, line)?.to_owned();
            sections.entry(section.clone()).or_default();
            continue;
        }
        let (key, value) = match l.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (l, ""),
        };
        let (key, value) = (bounded(key, rel, line)?, bounded(value, rel, line)?);
        let src = at(rel, line);
        sections
            .entry(section.clone())
            .or_default()
            .entry(key.to_owned())
            .or_insert_with(|| Fact::with_source(value, src.clone()));
        entries.push(map_fact(
            &src,
            [
                ("section", Value::Str(section.clone())),
                ("key", Value::Str(key.to_owned())),
                ("value", Value::Str(value.to_owned())),
                ("line", Value::Int(line as i64)),
                ("artifact", Value::Str(rel.to_owned())),
            ],
        ));
    }
    let sections = sections.into_iter().map(|(k, v)| (k, Fact::new(Value::Map(v)))).collect();
    Ok(BTreeMap::from([
        ("sections".to_owned(), Fact::new(Value::Map(sections))),
        ("entries".to_owned(), Fact::new(entries)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_the_first_value_and_entries_keep_all() {
        let text =
            "; comment\r\nglobal=1\r\n[Main]\r\n key = a b \r\nkey=second\r\nflag\r\n# c\r\n[Other]\r\nkey=x";
        let mut b = Budget::new();
        let m = read(text, "a.ini", &mut b).expect("reads");
        let Value::Map(sections) = &m["sections"].value else { panic!("map") };
        let main = &sections["Main"];
        assert_eq!(main.get_path(&["key"]).map(|f| &f.value), Some(&Value::Str("a b".into())));
        assert_eq!(main.get_path(&["flag"]).map(|f| &f.value), Some(&Value::Str(String::new())));
        assert_eq!(sections[""].get_path(&["global"]).map(|f| &f.value), Some(&Value::Str("1".into())));
        let Value::List(entries) = &m["entries"].value else { panic!("list") };
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[2].get_path(&["value"]).map(|f| &f.value), Some(&Value::Str("second".into())));
        assert_eq!(entries[2].get_path(&["line"]).map(|f| &f.value), Some(&Value::Int(5)));
        assert_eq!(entries[4].get_path(&["section"]).map(|f| &f.value), Some(&Value::Str("Other".into())));
    }
}
