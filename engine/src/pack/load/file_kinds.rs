//! `[file_kinds.*]`: the structured file formats a pack teaches the collectors (read whole
//! into facts under `files.<pack id>/<kind>`), each regex compiled at load.

use toml::de::DeTable;
use toml::Spanned;
use triage_facts::{FileFormat, FileKindSpec};

use super::super::diagnostic::Code;
use super::context::{Cx, Key, Val};
use super::FILE_KIND_KEYS;

/// Every file's `[file_kinds]`, in file order; a name may be defined once.
pub(super) fn file_kinds(cx: &mut Cx<'_>, parsed: &[Spanned<DeTable<'_>>]) -> Vec<FileKindSpec> {
    let mut kinds: Vec<FileKindSpec> = Vec::new();
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let Some(fk) = t.get_ref().get("file_kinds") else { continue };
        let Some(table) = fk.get_ref().as_table() else {
            cx.wrong_type(fk, "a table of file kinds");
            continue;
        };
        for (k, v) in table.iter() {
            let Some(spec) = cx.file_kind(k, v) else { continue };
            if kinds.iter().any(|l| l.name == spec.name) {
                cx.error(
                    Code::DuplicateName,
                    format!("file kind `{}` already exists", spec.name),
                    k.span(),
                    "here",
                    None,
                );
            } else {
                kinds.push(spec);
            }
        }
    }
    kinds
}

impl Cx<'_> {
    fn file_kind(&mut self, k: &Key<'_>, v: &Val<'_>) -> Option<FileKindSpec> {
        let name = k.get_ref().to_string();
        self.check_kind_name(&name, k.span(), "file kind");
        let Some(t) = v.get_ref().as_table() else {
            self.wrong_type(v, "a table");
            return None;
        };
        self.check_keys(t, FILE_KIND_KEYS);
        let what = format!("file kind `{name}`");
        let files: Vec<String> = self.string_list(t, "files").into_iter().map(|s| s.0).collect();
        if files.is_empty() {
            self.missing(k.span(), &what, "files");
        }
        let content = self.string(t, "content");
        if let Some((re, span)) = &content {
            self.regex(re, span.clone());
        }
        let format = self.required_string(t, "format", &what, k.span()).and_then(|(f, span)| {
            let parsed = FileFormat::from_name(&f);
            if parsed.is_none() {
                let known: Vec<&str> = FileFormat::ALL.iter().map(|(n, _)| *n).collect();
                self.error(
                    Code::BadValue,
                    format!("unknown file format `{f}`"),
                    span,
                    "not a format",
                    Some(format!("formats: {}", known.join(", "))),
                );
            }
            parsed
        });
        let include = self.string(t, "include");
        let sections = self.string_list(t, "sections");
        if format.is_some_and(|f| f != FileFormat::KeyValue) {
            for key in ["include", "sections"] {
                if let Some((kk, _)) = t.get_key_value(key) {
                    self.error(
                        Code::BadValue,
                        format!("`{key}` is for `format = \"keyvalue\"` only"),
                        kk.span(),
                        "not read by this format",
                        None,
                    );
                }
            }
        }
        for (s, span) in include.iter().chain(&sections) {
            if s.is_empty() || s.chars().any(char::is_whitespace) {
                self.error(Code::BadValue, format!("`{s}` is not a keyword"), span.clone(), "one word", None);
            }
        }
        Some(FileKindSpec {
            name,
            files,
            content: content.map(|c| c.0),
            format: format?,
            include: include.map(|i| i.0),
            sections: sections.into_iter().map(|s| s.0).collect(),
        })
    }
}
