//! Two-phase pack loading, as cargo-deny loads its configuration: parse every file keeping a
//! span for every key and value, then walk the tree checking keys, types and references and
//! compiling every regex and Rhai expression — collecting **every** problem as a
//! [`PackDiagnostic`] labelled at the right place, instead of stopping at the first.
//!
//! One module per table, over the shared [`context::Cx`]: [`manifest`] (`[pack]`), [`data`],
//! [`derive`], [`signals`] (`[log_kinds]` and `[signals]`), [`file_kinds`], [`labels`], [`rules`] (`[[rule]]`) and
//! [`rule_test`] (`[[rule.test]]`); [`expr`] compiles the Rhai expressions they hold.

mod context;
mod data;
mod derive;
mod expr;
mod file_kinds;
mod labels;
mod manifest;
mod patterns;
mod rule_test;
mod rules;
mod signals;
mod size;

use std::collections::BTreeSet;

use rhai::{Engine, Scope};
use toml::de::DeTable;

use super::diagnostic::{Code, Level, PackDiagnostic};
use super::source::PackText;
use super::Pack;
use context::Cx;
pub use data::data_keys;

/// One file of a pack: its pack-relative name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// The pack (if it has no errors) and every diagnostic, warnings included.
#[derive(Debug)]
pub struct LoadResult {
    pub pack: Option<Pack>,
    pub diagnostics: Vec<PackDiagnostic>,
}

impl LoadResult {
    pub fn errors(&self) -> impl Iterator<Item = &PackDiagnostic> {
        self.diagnostics.iter().filter(|d| d.level == Level::Error)
    }
}

const MAX_MATCHES_DEFAULT: usize = 1000;
// The pack format's keys have one definition, beside the schema types.
pub(crate) use super::format::{
    CONFIRM_KEYS, FILE_KIND_KEYS, LABELS_KEYS, LABEL_KEYS, LOG_KIND_KEYS, PACK_KEYS, RULE_KEYS, SIGNAL_KEYS,
    TEST_KEYS, TOP_KEYS,
};
const BUILTIN_LOGS: &[&str] = &["wsus", "configmgr"];

/// Loads a pack from its files. `pack.toml` must be among them; other files may hold derived
/// facts, signals, log kinds and rules. `engine_version` is this build's version, checked
/// against the pack's `engine` requirement.
pub fn load_pack(
    mut files: Vec<SourceFile>,
    engine: &Engine,
    engine_version: &semver::Version,
) -> LoadResult {
    // pack.toml first, the rest by name, so IDs and order are deterministic.
    files.sort_by(|a, b| (a.name != "pack.toml", &a.name).cmp(&(b.name != "pack.toml", &b.name)));
    // Too many files or bytes: refused before anything is parsed.
    let too_large = size::files(&files);
    if !too_large.is_empty() {
        return LoadResult { pack: None, diagnostics: too_large };
    }
    let texts = files.iter().map(|f| PackText::new(&f.text)).collect();
    let mut cx = Cx {
        files: &files,
        texts,
        diags: Vec::new(),
        file: 0,
        listed: BTreeSet::new(),
        patterns: Vec::new(),
    };
    let mut parsed = Vec::new();
    for (i, f) in files.iter().enumerate() {
        cx.file = i;
        let (table, errors) = DeTable::parse_recoverable(&f.text);
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            cx.error(Code::TomlSyntax, e.message().trim().to_owned(), span, "here", None);
        }
        parsed.push(table);
    }
    if files.first().map(|f| f.name.as_str()) != Some("pack.toml") {
        cx.diags.push(PackDiagnostic {
            code: Code::MissingKey,
            level: Level::Error,
            message: "a pack needs a pack.toml with a [pack] table".into(),
            file: "pack.toml".into(),
            span: 0..0,
            label: String::new(),
            help: Some("run `triage pack new ID` to scaffold one".into()),
            source: None,
        });
        return LoadResult { pack: None, diagnostics: cx.diags };
    }
    // Too many table entries: refused before anything is compiled.
    if !size::tables(&mut cx, &parsed) {
        return LoadResult { pack: None, diagnostics: sorted(cx.diags) };
    }

    // Phase 2a: the manifest and data, which everything else may refer to.
    cx.file = 0;
    let manifest = cx.manifest(parsed[0].get_ref(), engine_version);
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let root = t.get_ref();
        for (k, _) in root.iter() {
            if !TOP_KEYS.contains(&k.get_ref().as_ref()) {
                cx.unknown_key(k, TOP_KEYS);
            }
        }
        if i > 0 {
            if let Some((k, _)) = root.get_key_value("pack") {
                cx.error(Code::UnknownKey, "[pack] belongs in pack.toml only".into(), k.span(), "here", None);
            }
        }
    }
    let data = data::data(&mut cx, &parsed);

    // Phase 2b: log kinds, signals, then derived facts.
    let mut scope = Scope::new();
    // Names only: compiling against *constants* would let Rhai's optimiser fold these
    // placeholder values into the AST, so they are pushed as plain variables.
    scope.push("facts", ());
    scope.push("data", ());
    let log_kinds = signals::log_kinds(&mut cx, &parsed);
    let file_kinds = file_kinds::file_kinds(&mut cx, &parsed);
    let mut signals = signals::signals(&mut cx, engine, &parsed, &log_kinds);
    let derived = derive::derived(&mut cx, engine, &parsed, &mut scope, &signals);
    let applies_if = manifest::applies_if(&mut cx, engine, &parsed[0], &scope, &derived, &signals);
    let labels = labels::labels(&mut cx, &parsed, &signals);

    // Phase 2c: rules. The retired list is read even when the manifest is broken.
    let retired = manifest::retired(&parsed[0]);
    let rules = rules::rules(&mut cx, engine, &parsed, &scope, &derived, &signals, &retired);
    for s in &mut signals {
        s.listed = cx.listed.contains(&s.name);
    }

    let diagnostics = sorted(cx.diags);
    let has_errors = diagnostics.iter().any(|d| d.level == Level::Error);
    let pack = match (has_errors, manifest) {
        (false, Some(manifest)) => Some(Pack {
            manifest,
            data: data.value,
            data_json: serde_json::Value::Object(data.json),
            derived,
            applies_if,
            signals,
            log_kinds,
            file_kinds,
            rules,
            labels,
            files: files.clone(),
        }),
        _ => None,
    };
    LoadResult { pack, diagnostics }
}

/// By file (pack.toml first) and position, as a compiler lists them.
fn sorted(mut diagnostics: Vec<PackDiagnostic>) -> Vec<PackDiagnostic> {
    diagnostics.sort_by(|a, b| {
        (&*a.file != "pack.toml", &a.file, a.span.start).cmp(&(
            &*b.file != "pack.toml",
            &b.file,
            b.span.start,
        ))
    });
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::context::{content_offset, edit_distance};

    #[test]
    fn content_offsets_map_literal_strings() {
        assert_eq!(content_offset("'abc'", "abc"), Some(1));
        assert_eq!(content_offset("'''\nabc'''", "abc"), Some(4));
        assert_eq!(content_offset("\"a\\\"b\"", "a\"b"), None);
    }

    #[test]
    fn edit_distance_suggests() {
        assert_eq!(edit_distance("severty", "severity"), 1);
    }
}
