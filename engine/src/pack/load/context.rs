//! The shared loading context: the pack's files, the diagnostics collected so far, and the
//! helpers every table's loader uses to read TOML values with their spans and report problems.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use miette::NamedSource;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

use super::super::diagnostic::{Code, Level, PackDiagnostic};
use super::super::source::PackText;
use super::super::Loc;
use super::SourceFile;

pub(super) struct Cx<'a> {
    pub(super) files: &'a [SourceFile],
    /// Per file, its text shared by every diagnostic.
    /// Per file, its text (shared by every diagnostic) and line starts (so line lookups are a
    /// binary search).
    pub(super) texts: Vec<PackText>,
    pub(super) diags: Vec<PackDiagnostic>,
    pub(super) file: usize,
    /// Signals some compiled expression reads as a list (`signals["name"]`, see
    /// [`with_signal_lookups`]); sets [`Signal::listed`].
    pub(super) listed: BTreeSet<String>,
    /// The valid signal patterns seen so far, for the per-kind size check.
    pub(super) patterns: Vec<super::patterns::PatternAt>,
}

pub(super) type Key<'i> = Spanned<toml::de::DeString<'i>>;
pub(super) type Val<'i> = Spanned<DeValue<'i>>;

impl Cx<'_> {
    pub(super) fn push(
        &mut self,
        code: Code,
        level: Level,
        message: String,
        span: Range<usize>,
        label: &str,
        help: Option<String>,
    ) {
        let f = &self.files[self.file];
        // One shared copy of each file's text, however many diagnostics point into it.
        let src = self.texts[self.file].clone();
        self.diags.push(PackDiagnostic {
            code,
            level,
            message,
            file: Arc::from(f.name.as_str()),
            span,
            label: label.to_owned(),
            help,
            source: Some(NamedSource::new(f.name.clone(), src).with_language("toml")),
        });
    }

    pub(super) fn error(
        &mut self,
        code: Code,
        message: String,
        span: Range<usize>,
        label: &str,
        help: Option<String>,
    ) {
        self.push(code, Level::Error, message, span, label, help);
    }

    pub(super) fn loc(&self, span: Range<usize>) -> Loc {
        let line = self.texts[self.file].line_index(span.start) + 1;
        Loc { file: self.file, start: span.start, end: span.end, line }
    }

    pub(super) fn unknown_key(&mut self, k: &Key<'_>, known: &[&str]) {
        let name = k.get_ref().to_string();
        let suggestion = known
            .iter()
            .min_by_key(|c| edit_distance(&name, c))
            .filter(|c| edit_distance(&name, c) <= 2)
            .map(|c| format!("did you mean `{c}`?"));
        let help = suggestion.unwrap_or_else(|| format!("known keys: {}", known.join(", ")));
        self.error(
            Code::UnknownKey,
            format!("unknown key `{name}`"),
            k.span(),
            "not a known key",
            Some(help),
        );
    }

    pub(super) fn check_keys(&mut self, table: &DeTable<'_>, known: &[&str]) {
        for (k, _) in table.iter() {
            if !known.contains(&k.get_ref().as_ref()) {
                self.unknown_key(k, known);
            }
        }
    }

    /// Checks a log or file kind's name, one segment of its fact path (`logs.<pack>/<kind>`,
    /// `files.<pack>/<kind>`): a letter, then letters, digits, `_` and `-`.
    pub(super) fn check_kind_name(&mut self, name: &str, span: Range<usize>, what: &str) {
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            self.error(
                Code::BadValue,
                format!("{what} name `{name}` is not valid"),
                span,
                "invalid",
                Some("start with a letter; use letters, digits, `_` and `-`".into()),
            );
        }
    }

    pub(super) fn wrong_type(&mut self, v: &Val<'_>, expected: &str) {
        self.error(
            Code::WrongType,
            format!("expected {expected}, found {}", v.get_ref().type_str()),
            v.span(),
            "wrong type",
            None,
        );
    }

    pub(super) fn missing(&mut self, span: Range<usize>, what: &str, key: &str) {
        self.error(Code::MissingKey, format!("{what} is missing `{key}`"), span, "declared here", None);
    }

    pub(super) fn string(&mut self, table: &DeTable<'_>, key: &str) -> Option<(String, Range<usize>)> {
        let v = table.get(key)?;
        match v.get_ref().as_str() {
            Some(s) => Some((s.to_owned(), v.span())),
            None => {
                self.wrong_type(v, "a string");
                None
            }
        }
    }

    pub(super) fn required_string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        what: &str,
        at: Range<usize>,
    ) -> Option<(String, Range<usize>)> {
        if table.get(key).is_none() {
            self.missing(at, what, key);
            return None;
        }
        self.string(table, key)
    }

    pub(super) fn string_list(&mut self, table: &DeTable<'_>, key: &str) -> Vec<(String, Range<usize>)> {
        let Some(v) = table.get(key) else { return Vec::new() };
        let Some(arr) = v.get_ref().as_array() else {
            self.wrong_type(v, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in arr.iter() {
            match item.get_ref().as_str() {
                Some(s) => out.push((s.to_owned(), item.span())),
                None => self.wrong_type(item, "a string"),
            }
        }
        out
    }
}

/// Byte offset of a string value's content inside its raw TOML (quotes and the newline that
/// `'''`/`"""` trim), when the raw content is the value verbatim.
pub(super) fn content_offset(raw: &str, value: &str) -> Option<usize> {
    for q in ["'''", "\"\"\"", "'", "\""] {
        if let Some(inner) = raw.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            let mut off = q.len();
            let mut inner = inner;
            if q.len() == 3 {
                if let Some(r) = inner.strip_prefix("\r\n") {
                    off += 2;
                    inner = r;
                } else if let Some(r) = inner.strip_prefix('\n') {
                    off += 1;
                    inner = r;
                }
            }
            return (inner == value).then_some(off);
        }
    }
    None
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).map(|t| t.matches('\n').count() + 1).unwrap_or(1)
}

pub(super) use triage_facts::catalogue::edit_distance;

/// TOML (with spans) to plain JSON, for data and inline facts. Datetimes become strings.
pub(super) fn de_to_json(v: &DeValue<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        DeValue::String(s) => J::String(s.to_string()),
        DeValue::Integer(i) => {
            // `as_str` is the digits without their `0x`/`0o`/`0b` prefix, for `radix`.
            let s = i.as_str().replace('_', "");
            i64::from_str_radix(&s, i.radix()).map(J::from).unwrap_or(J::String(s))
        }
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok().map(J::from).unwrap_or(J::Null),
        DeValue::Boolean(b) => J::Bool(*b),
        DeValue::Datetime(d) => J::String(d.to_string()),
        DeValue::Array(a) => J::Array(de_array(a)),
        DeValue::Table(t) => {
            J::Object(t.iter().map(|(k, v)| (k.get_ref().to_string(), de_to_json(v.get_ref()))).collect())
        }
    }
}

pub(super) fn de_array(a: &DeArray<'_>) -> Vec<serde_json::Value> {
    a.iter().map(|v| de_to_json(v.get_ref())).collect()
}
