//! `format = "keyvalue"`: `Keyword value` lines, as sshd_config(5) and Apache's configuration
//! write them. A line's first word is its keyword (up to white space or `=`), the rest of the
//! line, trimmed and without a leading `=`, its value; `#` starts a comment line.
//!
//! - `include = "Include"`: that keyword's value lists paths or globs (white-space separated)
//!   of other files of the input ([`super::include`] says how they are found); each is read in
//!   place, in order, its entries following the `Include` entry and naming their own file. A
//!   section an included file opens ends with that file.
//! - `sections = ["Match"]`: those keywords open a conditional section that lasts until the
//!   next one or the end of the file; its entries are listed with it, not in `entries`.
//!
//! Keywords match `include` and `sections` case-insensitively, and `first` is keyed by the
//! lower-cased keyword (both sshd and Apache ignore the case of keywords).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use triage_facts::{Fact, FileKindSpec, Provenance, Value};

use super::{
    at, bounded, include, map_fact, map_of, read_text, Budget, ReadError, MAX_INCLUDED_FILES,
    MAX_INCLUDE_DEPTH,
};

pub(super) fn read(
    spec: &FileKindSpec,
    text: &str,
    rel: &str,
    root: Option<&Path>,
    budget: &mut Budget,
) -> Result<BTreeMap<String, Fact>, ReadError> {
    let mut r = Reader {
        spec,
        root,
        budget,
        stack: vec![rel.to_owned()],
        entries: Vec::new(),
        sections: Vec::new(),
        current: None,
        first: BTreeMap::new(),
        includes: Vec::new(),
    };
    r.file(rel, text)?;
    let sections = r
        .sections
        .into_iter()
        .map(|s| {
            let mut m = map_of(
                &s.src,
                [
                    ("keyword", Value::Str(s.keyword)),
                    ("args", Value::Str(s.args)),
                    ("line", Value::Int(s.line as i64)),
                    ("artifact", Value::Str(s.src.artifact.clone())),
                ],
            );
            m.insert("entries".to_owned(), Fact::with_source(s.entries, s.src.clone()));
            Fact::with_source(Value::Map(m), s.src)
        })
        .collect::<Vec<_>>();
    Ok(BTreeMap::from([
        ("entries".to_owned(), Fact::new(r.entries)),
        ("sections".to_owned(), Fact::new(sections)),
        ("first".to_owned(), Fact::new(Value::Map(r.first))),
        ("includes".to_owned(), Fact::new(r.includes)),
    ]))
}

struct Section {
    keyword: String,
    args: String,
    line: u64,
    src: Arc<Provenance>,
    entries: Vec<Fact>,
}

struct Reader<'a, 'b> {
    spec: &'a FileKindSpec,
    root: Option<&'a Path>,
    budget: &'b mut Budget,
    /// The files being read, the artifact first (for cycles).
    stack: Vec<String>,
    entries: Vec<Fact>,
    sections: Vec<Section>,
    /// The open section, if any.
    current: Option<usize>,
    first: BTreeMap<String, Fact>,
    includes: Vec<Fact>,
}

impl Reader<'_, '_> {
    fn file(&mut self, rel: &str, text: &str) -> Result<(), ReadError> {
        let outer = self.current;
        for (line, _, raw) in crate::text::lines_with_offsets(text) {
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            self.budget.take(rel, line)?;
            let end = l.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(l.len());
            let (key, rest) = l.split_at(end);
            let rest = rest.trim_start();
            let value = rest.strip_prefix('=').unwrap_or(rest).trim();
            let (key, value) = (bounded(key, rel, line)?, bounded(value, rel, line)?);
            let src = at(rel, line);
            if self.spec.sections.iter().any(|s| s.eq_ignore_ascii_case(key)) {
                self.sections.push(Section {
                    keyword: key.to_owned(),
                    args: value.to_owned(),
                    line,
                    src,
                    entries: Vec::new(),
                });
                self.current = Some(self.sections.len() - 1);
                continue;
            }
            let entry = map_fact(
                &src,
                [
                    ("key", Value::Str(key.to_owned())),
                    ("value", Value::Str(value.to_owned())),
                    ("line", Value::Int(line as i64)),
                    ("artifact", Value::Str(rel.to_owned())),
                ],
            );
            match self.current {
                Some(i) => self.sections[i].entries.push(entry),
                None => {
                    let first = map_fact(
                        &src,
                        [
                            ("value", Value::Str(value.to_owned())),
                            ("line", Value::Int(line as i64)),
                            ("artifact", Value::Str(rel.to_owned())),
                        ],
                    );
                    self.first.entry(key.to_ascii_lowercase()).or_insert(first);
                    self.entries.push(entry);
                }
            }
            if self.spec.include.as_deref().is_some_and(|k| k.eq_ignore_ascii_case(key)) {
                for pattern in value.split_whitespace() {
                    self.include(rel, line, pattern, &src)?;
                }
            }
        }
        self.current = outer;
        Ok(())
    }

    fn include(
        &mut self,
        rel: &str,
        line: u64,
        pattern: &str,
        src: &Arc<Provenance>,
    ) -> Result<(), ReadError> {
        let pattern = pattern.trim_matches('"');
        let files = self.root.map(|root| include::resolve(root, rel, pattern)).unwrap_or_default();
        let listed: Vec<Fact> = files.iter().map(|f| Fact::with_source(f.as_str(), src.clone())).collect();
        let mut m = map_of(
            src,
            [
                ("path", Value::Str(pattern.to_owned())),
                ("line", Value::Int(line as i64)),
                ("artifact", Value::Str(rel.to_owned())),
            ],
        );
        m.insert("files".to_owned(), Fact::with_source(listed, src.clone()));
        self.includes.push(Fact::with_source(Value::Map(m), src.clone()));
        for f in files {
            if let Some(i) = self.stack.iter().position(|s| *s == f) {
                let cycle: Vec<&str> =
                    self.stack[i..].iter().map(String::as_str).chain([f.as_str()]).collect();
                return Err(ReadError::new(rel, Some(line), format!("include cycle: {}", cycle.join(" → "))));
            }
            if self.stack.len() > MAX_INCLUDE_DEPTH {
                return Err(ReadError::new(
                    rel,
                    Some(line),
                    format!(
                        "includes nested deeper than {MAX_INCLUDE_DEPTH} files (the limit of a file kind)"
                    ),
                ));
            }
            self.budget.included += 1;
            if self.budget.included > MAX_INCLUDED_FILES {
                return Err(ReadError::new(
                    rel,
                    Some(line),
                    format!("more than {MAX_INCLUDED_FILES} included files (the limit of a file kind)"),
                ));
            }
            let Some(root) = self.root else { continue };
            let path = crate::discover::resolve_inside(root, &f)
                .map_err(|e| ReadError::new(&f, None, format!("cannot read: {e}")))?;
            let (text, _) = read_text(&path, &f)?;
            self.stack.push(f.clone());
            self.file(&f, &text)?;
            self.stack.pop();
        }
        Ok(())
    }
}
