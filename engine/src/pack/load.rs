//! Two-phase pack loading, as cargo-deny loads its configuration: parse every file keeping a
//! span for every key and value, then walk the tree checking keys, types and references and
//! compiling every regex and Rhai expression — collecting **every** problem as a
//! [`PackDiagnostic`] labelled at the right place, instead of stopping at the first.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use miette::NamedSource;
use rhai::{Engine, Scope};
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;
use triage_facts::{Fact, FactMap, LogKindSpec, Value};

use super::diagnostic::{Code, Level, PackDiagnostic};
use super::{
    Combine, Derived, Expr, Loc, Manifest, Need, Pack, Requirement, Rule, RuleTest, Severity, Signal,
    Template, TemplatePart, TestInput,
};
use crate::Outcome;

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
pub(crate) const TOP_KEYS: &[&str] = &["pack", "data", "derive", "signals", "log_kinds", "rule"];
pub(crate) const PACK_KEYS: &[&str] =
    &["id", "version", "engine", "title", "source", "description", "retired"];
pub(crate) const SIGNAL_KEYS: &[&str] = &["log", "pattern", "where", "max_matches", "description"];
pub(crate) const LOG_KIND_KEYS: &[&str] = &["files", "record_start", "fields"];
pub(crate) const RULE_KEYS: &[&str] = &[
    "id",
    "title",
    "severity",
    "tags",
    "description",
    "requires",
    "applies_if",
    "when",
    "resolution",
    "references",
    "test",
];
pub(crate) const TEST_KEYS: &[&str] = &["name", "input", "facts", "expect"];
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
    let line_starts = files
        .iter()
        .map(|f| std::iter::once(0).chain(f.text.match_indices('\n').map(|(i, _)| i + 1)).collect())
        .collect();
    let texts = files.iter().map(|f| Arc::from(f.text.as_str())).collect();
    let mut cx =
        Cx { files: &files, texts, line_starts, diags: Vec::new(), file: 0, listed: BTreeSet::new() };
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

    // Phase 2a: the manifest and data, which everything else may refer to.
    cx.file = 0;
    let root0 = parsed[0].get_ref();
    let manifest = cx.manifest(root0, engine_version);
    let mut data_json = serde_json::Map::new();
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
        if let Some(d) = root.get("data") {
            match d.get_ref().as_table() {
                Some(t) => {
                    for (k, v) in t.iter() {
                        data_json.insert(k.get_ref().to_string(), de_to_json(v.get_ref()));
                    }
                }
                None => cx.wrong_type(d, "a table"),
            }
        }
    }
    let data_fact =
        Fact::from_json(serde_json::Value::Object(data_json.clone())).unwrap_or_else(|_| Fact::map());
    let data = crate::convert::fact_to_dynamic(&data_fact);

    // Phase 2b: log kinds, signals, then derived facts.
    let mut scope = Scope::new();
    // Names only: compiling against *constants* would let Rhai's optimiser fold these
    // placeholder values into the AST, so they are pushed as plain variables.
    scope.push("facts", ());
    scope.push("data", ());
    let mut derived: Vec<Derived> = Vec::new();
    let mut signals: Vec<Signal> = Vec::new();
    let mut log_kinds: Vec<LogKindSpec> = Vec::new();
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let root = t.get_ref();
        if let Some(lk) = root.get("log_kinds") {
            match lk.get_ref().as_table() {
                Some(table) => {
                    for (k, v) in table.iter() {
                        if let Some(spec) = cx.log_kind(k, v) {
                            if log_kinds.iter().any(|l| l.name == spec.name)
                                || BUILTIN_LOGS.contains(&spec.name.as_str())
                            {
                                cx.error(
                                    Code::DuplicateName,
                                    format!("log kind `{}` already exists", spec.name),
                                    k.span(),
                                    "here",
                                    None,
                                );
                            } else {
                                log_kinds.push(spec);
                            }
                        }
                    }
                }
                None => cx.wrong_type(lk, "a table of log kinds"),
            }
        }
    }
    // Signals after every file's log kinds, so a signal may use a kind defined in another file.
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        if let Some(s) = t.get_ref().get("signals") {
            match s.get_ref().as_table() {
                Some(table) => {
                    for (k, v) in table.iter() {
                        if signals.iter().any(|s| s.name == k.get_ref().as_ref()) {
                            cx.error(
                                Code::DuplicateName,
                                format!("signal `{}` is defined twice", k.get_ref()),
                                k.span(),
                                "again here",
                                None,
                            );
                            continue;
                        }
                        if let Some(sig) = cx.signal(engine, k, v, &log_kinds) {
                            signals.push(sig);
                        }
                    }
                }
                None => cx.wrong_type(s, "a table of signals"),
            }
        }
    }

    // Derived facts, in file order; each may use the ones before it.
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let root = t.get_ref();
        if let Some(d) = root.get("derive") {
            let Some(table) = d.get_ref().as_table() else {
                cx.wrong_type(d, "a table of name = 'expression'");
                continue;
            };
            let mut entries: Vec<_> = table.iter().collect();
            entries.sort_by_key(|(k, _)| k.span().start);
            for (k, v) in entries {
                let name = k.get_ref().to_string();
                if !is_identifier(&name) {
                    cx.error(
                        Code::BadValue,
                        format!("derived fact name `{name}` is not an identifier"),
                        k.span(),
                        "use letters, digits and _",
                        None,
                    );
                    continue;
                }
                if scope.contains(name.as_str()) || name == "record" || name == "signals" {
                    cx.error(
                        Code::DuplicateName,
                        format!("derived fact `{name}` is defined twice"),
                        k.span(),
                        "again here",
                        None,
                    );
                    continue;
                }
                let expr = cx.expr(engine, &scope, v, &derived, "derived fact");
                // In scope even when it failed to compile, so its uses do not cascade into
                // "unknown name" errors.
                scope.push(name.as_str(), ());
                if let Some(expr) = expr {
                    cx.check_signal_refs(&expr, &signals);
                    derived.push(Derived { name, expr });
                }
            }
        }
    }

    // Phase 2c: rules. The retired list is read even when the manifest is broken.
    let retired: BTreeSet<String> = parsed[0]
        .get_ref()
        .get("pack")
        .and_then(|p| p.get_ref().as_table())
        .and_then(|t| t.get("retired"))
        .and_then(|r| r.get_ref().as_array())
        .map(|a| a.iter().filter_map(|v| v.get_ref().as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let mut rules: Vec<Rule> = Vec::new();
    let mut ids: HashMap<String, Loc> = HashMap::new();
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let Some(r) = t.get_ref().get("rule") else { continue };
        let Some(arr) = r.get_ref().as_array() else {
            cx.wrong_type(r, "an array of tables ([[rule]])");
            continue;
        };
        for item in arr.iter() {
            // IDs are checked even when the rest of the rule is broken, so every problem shows.
            let declared = item
                .get_ref()
                .as_table()
                .and_then(|t| t.get("id"))
                .and_then(|v| v.get_ref().as_str().map(|s| (s.to_owned(), v.span())));
            let mut id_ok = true;
            if let Some((id, span)) = &declared {
                if let Some(prev) = ids.get(id) {
                    let (pf, pl) =
                        (files[prev.file].name.clone(), line_of(&files[prev.file].text, prev.start));
                    cx.error(
                        Code::DuplicateRuleId,
                        format!("rule ID {id} is used twice"),
                        span.clone(),
                        "second use",
                        Some(format!("first used at {pf}:{pl}; rule IDs are stable and unique")),
                    );
                    id_ok = false;
                } else {
                    ids.insert(id.clone(), cx.loc(span.clone()));
                }
                if retired.contains(id) {
                    cx.error(
                        Code::RetiredRuleId,
                        format!("rule ID {id} was retired and must not be reused"),
                        span.clone(),
                        "retired ID",
                        Some("give the rule a new ID; retired IDs are listed in [pack] retired".into()),
                    );
                }
            }
            let Some(rule) = cx.rule(engine, &scope, item, &derived, &signals) else { continue };
            if id_ok {
                rules.push(rule);
            }
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    for s in &mut signals {
        s.listed = cx.listed.contains(&s.name);
    }

    let mut diagnostics = cx.diags;
    // By file (pack.toml first) and position, as a compiler lists them.
    diagnostics.sort_by(|a, b| {
        (&*a.file != "pack.toml", &a.file, a.span.start).cmp(&(
            &*b.file != "pack.toml",
            &b.file,
            b.span.start,
        ))
    });
    let has_errors = diagnostics.iter().any(|d| d.level == Level::Error);
    let pack = match (has_errors, manifest) {
        (false, Some(manifest)) => Some(Pack {
            manifest,
            data,
            data_json: serde_json::Value::Object(data_json),
            derived,
            signals,
            log_kinds,
            rules,
            files: files.clone(),
        }),
        _ => None,
    };
    LoadResult { pack, diagnostics }
}

struct Cx<'a> {
    files: &'a [SourceFile],
    /// Per file, its text shared by every diagnostic.
    texts: Vec<Arc<str>>,
    /// Per file, the byte offset where each line starts (so line lookups are a binary search).
    line_starts: Vec<Vec<usize>>,
    diags: Vec<PackDiagnostic>,
    file: usize,
    /// Signals some compiled expression reads as a list (`signals["name"]`, see
    /// [`with_signal_lookups`]); sets [`Signal::listed`].
    listed: BTreeSet<String>,
}

type Key<'i> = Spanned<toml::de::DeString<'i>>;
type Val<'i> = Spanned<DeValue<'i>>;

impl Cx<'_> {
    fn push(
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

    fn error(&mut self, code: Code, message: String, span: Range<usize>, label: &str, help: Option<String>) {
        self.push(code, Level::Error, message, span, label, help);
    }

    fn loc(&self, span: Range<usize>) -> Loc {
        let starts = &self.line_starts[self.file];
        let line = starts.partition_point(|&s| s <= span.start);
        Loc { file: self.file, start: span.start, end: span.end, line }
    }

    fn unknown_key(&mut self, k: &Key<'_>, known: &[&str]) {
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

    fn check_keys(&mut self, table: &DeTable<'_>, known: &[&str]) {
        for (k, _) in table.iter() {
            if !known.contains(&k.get_ref().as_ref()) {
                self.unknown_key(k, known);
            }
        }
    }

    fn wrong_type(&mut self, v: &Val<'_>, expected: &str) {
        self.error(
            Code::WrongType,
            format!("expected {expected}, found {}", v.get_ref().type_str()),
            v.span(),
            "wrong type",
            None,
        );
    }

    fn missing(&mut self, span: Range<usize>, what: &str, key: &str) {
        self.error(Code::MissingKey, format!("{what} is missing `{key}`"), span, "declared here", None);
    }

    fn string(&mut self, table: &DeTable<'_>, key: &str) -> Option<(String, Range<usize>)> {
        let v = table.get(key)?;
        match v.get_ref().as_str() {
            Some(s) => Some((s.to_owned(), v.span())),
            None => {
                self.wrong_type(v, "a string");
                None
            }
        }
    }

    fn required_string(
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

    fn string_list(&mut self, table: &DeTable<'_>, key: &str) -> Vec<(String, Range<usize>)> {
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

    fn manifest(&mut self, root: &DeTable<'_>, engine_version: &semver::Version) -> Option<Manifest> {
        let Some(p) = root.get("pack") else {
            self.error(Code::MissingKey, "pack.toml has no [pack] table".into(), 0..0, "expected here", None);
            return None;
        };
        let Some(t) = p.get_ref().as_table() else {
            self.wrong_type(p, "a table");
            return None;
        };
        self.check_keys(t, PACK_KEYS);
        let at = p.span();
        let id = self.required_string(t, "id", "[pack]", at.clone());
        if let Some((id, span)) = &id {
            if !is_pack_id(id) {
                self.error(
                    Code::BadValue,
                    format!("pack id `{id}` is not valid"),
                    span.clone(),
                    "invalid",
                    Some("use lower-case letters, digits and `-`".into()),
                );
            }
        }
        let version = self.required_string(t, "version", "[pack]", at.clone()).and_then(|(v, span)| {
            semver::Version::parse(&v)
                .map_err(|e| {
                    self.error(
                        Code::BadValue,
                        format!("version `{v}` is not semver: {e}"),
                        span,
                        "not semver",
                        None,
                    )
                })
                .ok()
        });
        let engine = self.required_string(t, "engine", "[pack]", at.clone()).and_then(|(v, span)| {
            match semver::VersionReq::parse(&v) {
                Ok(req) => {
                    if !req.matches(engine_version) {
                        self.error(
                            Code::EngineVersion,
                            format!("this pack needs triage {v}, but this is triage {engine_version}"),
                            span,
                            "requirement not met",
                            Some("install a triage that meets the requirement, or use a pack version made for this one".into()),
                        );
                    }
                    Some(req)
                }
                Err(e) => {
                    self.error(Code::BadValue, format!("engine requirement `{v}` is not valid: {e}"), span, "invalid", None);
                    None
                }
            }
        });
        let title = self.required_string(t, "title", "[pack]", at);
        let source = self.string(t, "source").map(|s| s.0);
        let description = self.string(t, "description").map(|s| s.0);
        let retired = self.string_list(t, "retired").into_iter().map(|s| s.0).collect();
        Some(Manifest {
            id: id?.0,
            version: version?,
            engine: engine?,
            title: title?.0,
            source,
            description,
            retired,
        })
    }

    fn log_kind(&mut self, k: &Key<'_>, v: &Val<'_>) -> Option<LogKindSpec> {
        let name = k.get_ref().to_string();
        let Some(t) = v.get_ref().as_table() else {
            self.wrong_type(v, "a table");
            return None;
        };
        self.check_keys(t, LOG_KIND_KEYS);
        let files: Vec<String> = self.string_list(t, "files").into_iter().map(|s| s.0).collect();
        if files.is_empty() {
            self.missing(k.span(), &format!("log kind `{name}`"), "files");
        }
        let record_start = self.required_string(t, "record_start", &format!("log kind `{name}`"), k.span());
        if let Some((re, span)) = &record_start {
            self.regex(re, span.clone());
        }
        let fields = self.string(t, "fields");
        if let Some((re, span)) = &fields {
            if let Some(r) = self.regex(re, span.clone()) {
                if r.capture_names().flatten().next().is_none() {
                    self.error(
                        Code::BadValue,
                        "`fields` has no named groups".into(),
                        span.clone(),
                        "no (?P<name>…) here",
                        None,
                    );
                }
            }
        }
        Some(LogKindSpec { name, files, record_start: record_start?.0, fields: fields.map(|f| f.0) })
    }

    fn regex(&mut self, re: &str, span: Range<usize>) -> Option<regex::Regex> {
        match regex::RegexBuilder::new(re).size_limit(10 << 20).build() {
            Ok(r) => Some(r),
            Err(e) => {
                let msg = e.to_string();
                let detail = msg.lines().last().unwrap_or(&msg).trim().to_owned();
                self.error(
                    Code::BadRegex,
                    format!("invalid regex: {detail}"),
                    span,
                    "in this pattern",
                    Some(msg),
                );
                None
            }
        }
    }

    fn signal(
        &mut self,
        engine: &Engine,
        k: &Key<'_>,
        v: &Val<'_>,
        log_kinds: &[LogKindSpec],
    ) -> Option<Signal> {
        let name = k.get_ref().to_string();
        let Some(t) = v.get_ref().as_table() else {
            self.wrong_type(v, "a table");
            return None;
        };
        self.check_keys(t, SIGNAL_KEYS);
        let what = format!("signal `{name}`");
        let log = self.required_string(t, "log", &what, k.span());
        if let Some((l, span)) = &log {
            if !BUILTIN_LOGS.contains(&l.as_str()) && !log_kinds.iter().any(|k| &k.name == l) {
                let known: Vec<&str> =
                    BUILTIN_LOGS.iter().copied().chain(log_kinds.iter().map(|k| k.name.as_str())).collect();
                self.error(
                    Code::UnknownLogKind,
                    format!("unknown log kind `{l}`"),
                    span.clone(),
                    "not a log kind",
                    Some(format!("known: {}", known.join(", "))),
                );
            }
        }
        let pattern = self.required_string(t, "pattern", &what, k.span());
        if let Some((p, span)) = &pattern {
            if let Some(r) = self.regex(p, span.clone()) {
                if r.is_match("") {
                    self.error(
                        Code::BadRegex,
                        "pattern matches the empty string, so it matches every line".into(),
                        span.clone(),
                        "too broad",
                        None,
                    );
                }
            }
        }
        let mut fscope = Scope::new();
        fscope.push("record", ());
        fscope.push("data", ());
        let filter = t.get("where").and_then(|w| self.expr(engine, &fscope, w, &[], "signal condition"));
        let max_matches = match t.get("max_matches") {
            Some(m) => match m.get_ref().as_integer().and_then(|i| i.as_str().parse::<usize>().ok()) {
                Some(n) if n > 0 => n,
                _ => {
                    self.wrong_type(m, "a positive integer");
                    MAX_MATCHES_DEFAULT
                }
            },
            None => MAX_MATCHES_DEFAULT,
        };
        let description = self.string(t, "description").map(|s| s.0);
        Some(Signal {
            name,
            log: log?.0,
            pattern: pattern?.0,
            filter,
            max_matches,
            description,
            listed: false,
        })
    }

    /// Compiles a Rhai expression held in a TOML string, mapping Rhai's line/column back into
    /// the TOML file.
    fn expr(
        &mut self,
        engine: &Engine,
        scope: &Scope<'_>,
        v: &Val<'_>,
        derived: &[Derived],
        what: &str,
    ) -> Option<Expr> {
        let Some(text) = v.get_ref().as_str() else {
            self.wrong_type(v, &format!("a string holding a {what} (Rhai expression)"));
            return None;
        };
        let span = v.span();
        match engine.compile_expression_with_scope(scope, text) {
            Ok(ast) => {
                // Callers check that every signal named exists (a `where` cannot see signals).
                let (ast, _, listed) = with_signal_lookups(engine, scope, text, ast, true);
                self.listed.extend(listed);
                Some(crate::analysis::walk::pack_expr(text.to_owned(), ast, self.loc(span), derived))
            }
            Err(e) => {
                let err_span = self.map_position(span.clone(), text, e.1);
                let (code, message, help) = match &*e.0 {
                    rhai::ParseErrorType::VariableUndefined(name) => (
                        Code::UnknownDerived,
                        format!("unknown name `{name}` in {what}"),
                        Some(format!(
                            "names in scope: facts, data{}{}",
                            if derived.is_empty() { "" } else { ", " },
                            derived.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                        )),
                    ),
                    other => (Code::RhaiSyntax, format!("{what}: {other}"), None),
                };
                self.error(code, message, err_span, "here", help);
                None
            }
        }
    }

    /// Maps a Rhai position (1-based line and column, in characters, inside `text`) to a byte
    /// span in the TOML file, when the string is literal enough that offsets map one to one.
    fn map_position(&self, span: Range<usize>, text: &str, pos: rhai::Position) -> Range<usize> {
        let raw = self.files[self.file].text.get(span.clone()).unwrap_or("");
        let Some(content_start) = content_offset(raw, text) else { return span };
        let (Some(line), col) = (pos.line(), pos.position().unwrap_or(1)) else {
            return span;
        };
        let mut offset = 0usize;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let byte_col: usize = l.chars().take(col.saturating_sub(1)).map(char::len_utf8).sum();
                let start = span.start + content_start + offset + byte_col;
                let len = l[byte_col.min(l.len())..].chars().next().map(char::len_utf8).unwrap_or(0);
                return start..start + len.max(1).min(span.end.saturating_sub(start).max(1));
            }
            offset += l.len();
        }
        span
    }

    fn rule(
        &mut self,
        engine: &Engine,
        scope: &Scope<'_>,
        item: &Val<'_>,
        derived: &[Derived],
        signals: &[Signal],
    ) -> Option<Rule> {
        let Some(t) = item.get_ref().as_table() else {
            self.wrong_type(item, "a table");
            return None;
        };
        self.check_keys(t, RULE_KEYS);
        let at = item.span();
        let id = self.required_string(t, "id", "[[rule]]", at.clone());
        let id_span = id.as_ref().map(|i| i.1.clone()).unwrap_or(at.clone());
        if let Some((id, span)) = &id {
            if !is_rule_id(id) {
                self.error(
                    Code::BadValue,
                    format!("rule ID `{id}` is not valid"),
                    span.clone(),
                    "invalid",
                    Some("use upper-case letters and digits, e.g. WSUS001".into()),
                );
            }
        }
        let what = format!("rule {}", id.as_ref().map(|i| i.0.as_str()).unwrap_or("?"));
        let title = self.required_string(t, "title", &what, at.clone());
        let severity = match self.required_string(t, "severity", &what, at.clone()) {
            Some((s, span)) => match s.as_str() {
                "info" => Some(Severity::Info),
                "warning" => Some(Severity::Warning),
                "error" => Some(Severity::Error),
                _ => {
                    self.error(
                        Code::BadValue,
                        format!("unknown severity `{s}`"),
                        span,
                        "here",
                        Some("one of: info, warning, error".into()),
                    );
                    None
                }
            },
            None => None,
        };
        let tags = self.string_list(t, "tags").into_iter().map(|s| s.0).collect();
        let description = self.string(t, "description").map(|s| s.0);
        let references = self.string_list(t, "references").into_iter().map(|s| s.0).collect();
        let requires = self.requires(t, derived);
        let applies_if =
            t.get("applies_if").and_then(|v| self.expr(engine, scope, v, derived, "applicability condition"));
        let (combine, clauses) = match t.get("when") {
            None => {
                self.missing(at.clone(), &what, "when");
                (Combine::Single, Vec::new())
            }
            Some(w) => match w.get_ref() {
                DeValue::String(_) => {
                    (Combine::Single, self.expr(engine, scope, w, derived, "condition").into_iter().collect())
                }
                DeValue::Table(wt) => {
                    self.check_keys(wt, &["all", "any"]);
                    let (combine, list) = match (wt.get("all"), wt.get("any")) {
                        (Some(a), None) => (Combine::All, a),
                        (None, Some(a)) => (Combine::Any, a),
                        _ => {
                            self.error(
                                Code::BadValue,
                                "`when` needs exactly one of `all` or `any`".into(),
                                w.span(),
                                "here",
                                None,
                            );
                            return None;
                        }
                    };
                    let Some(arr) = list.get_ref().as_array() else {
                        self.wrong_type(list, "an array of condition strings");
                        return None;
                    };
                    if arr.is_empty() {
                        self.error(
                            Code::BadValue,
                            "an empty clause list is always true or always false".into(),
                            list.span(),
                            "empty",
                            None,
                        );
                    }
                    (
                        combine,
                        arr.iter()
                            .filter_map(|c| self.expr(engine, scope, c, derived, "condition"))
                            .collect(),
                    )
                }
                _ => {
                    self.wrong_type(w, "a string, or a table with `all` or `any`");
                    (Combine::Single, Vec::new())
                }
            },
        };
        for e in clauses.iter().chain(applies_if.iter()) {
            self.check_signal_refs(e, signals);
        }
        let resolution = match t.get("resolution") {
            Some(r) => self.template(engine, scope, r, derived),
            None => {
                self.missing(at.clone(), &what, "resolution");
                None
            }
        };
        let tests = match t.get("test") {
            None => Vec::new(),
            Some(v) => match v.get_ref().as_array() {
                Some(arr) => arr.iter().filter_map(|x| self.test(x)).collect(),
                None => {
                    self.wrong_type(v, "an array of tables ([[rule.test]])");
                    Vec::new()
                }
            },
        };
        let has = |o: Outcome| tests.iter().any(|t: &RuleTest| t.expect == o);
        if !has(Outcome::Detected) || !has(Outcome::NotDetected) {
            self.push(
                Code::MissingTest,
                Level::Warning,
                format!(
                    "{what} lacks a {} test case",
                    if has(Outcome::Detected) { "not_detected" } else { "detected" }
                ),
                id_span.clone(),
                "this rule",
                Some("every rule needs a positive and a negative [[rule.test]]".into()),
            );
        }
        Some(Rule {
            id: id?.0.into(),
            title: title?.0.into(),
            severity: severity?,
            tags,
            description,
            requires,
            applies_if,
            combine,
            clauses,
            resolution: resolution?,
            references,
            tests,
            loc: self.loc(id_span),
        })
    }

    fn check_signal_refs(&mut self, e: &Expr, signals: &[Signal]) {
        for (name, range) in signal_refs(&e.text) {
            if !signals.iter().any(|s| s.name == name) {
                let raw = self.files[self.file].text.get(e.loc.start..e.loc.end).unwrap_or("");
                let span = match content_offset(raw, &e.text) {
                    Some(off) => e.loc.start + off + range.start..e.loc.start + off + range.end,
                    None => e.loc.start..e.loc.end,
                };
                let known: Vec<&str> = signals.iter().map(|s| s.name.as_str()).collect();
                self.error(
                    Code::UnknownSignal,
                    format!("unknown signal `{name}`"),
                    span,
                    "no such signal",
                    Some(if known.is_empty() {
                        "this pack defines no signals".into()
                    } else {
                        format!("signals: {}", known.join(", "))
                    }),
                );
            }
        }
    }

    fn requires(&mut self, t: &DeTable<'_>, derived: &[Derived]) -> Vec<Requirement> {
        let Some(v) = t.get("requires") else { return Vec::new() };
        let Some(arr) = v.get_ref().as_array() else {
            self.wrong_type(v, "an array");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in arr.iter() {
            let (facts, artifact) = match item.get_ref() {
                DeValue::String(s) => (s.to_string(), None),
                DeValue::Table(rt) => {
                    self.check_keys(rt, &["fact", "artifact"]);
                    match self.required_string(rt, "fact", "a requirement", item.span()) {
                        Some((f, _)) => (f, self.string(rt, "artifact").map(|a| a.0)),
                        None => continue,
                    }
                }
                _ => {
                    self.wrong_type(item, "a fact path or { fact = …, artifact = … }");
                    continue;
                }
            };
            let alternatives: Vec<String> =
                facts.split('|').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            if alternatives.is_empty() {
                self.error(Code::BadValue, "empty requirement".into(), item.span(), "here", None);
                continue;
            }
            let mut needs = Vec::with_capacity(alternatives.len());
            for a in &alternatives {
                match parse_need(a, derived) {
                    Ok(n) => needs.push(n),
                    Err((code, message, help)) => {
                        self.error(code, message, item.span(), "in this requirement", help)
                    }
                }
            }
            if needs.len() == alternatives.len() {
                out.push(Requirement { alternatives, needs, artifact });
            }
        }
        out
    }

    fn template(
        &mut self,
        engine: &Engine,
        scope: &Scope<'_>,
        v: &Val<'_>,
        derived: &[Derived],
    ) -> Option<Template> {
        let Some(text) = v.get_ref().as_str() else {
            self.wrong_type(v, "a string");
            return None;
        };
        let raw = self.files[self.file].text.get(v.span()).unwrap_or("");
        let base = content_offset(raw, text).map(|o| v.span().start + o);
        let mut parts = Vec::new();
        let mut rest = text;
        let mut consumed = 0usize;
        let mut ok = true;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(TemplatePart::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                let at = base.map(|b| b + consumed + open..b + consumed + open + 2).unwrap_or(v.span());
                self.error(Code::BadTemplate, "`{{` without a closing `}}`".into(), at, "opened here", None);
                ok = false;
                break;
            };
            let inner = &after[..close];
            let inner_start = consumed + open + 2;
            match engine.compile_expression_with_scope(scope, inner.trim()) {
                Ok(ast) => {
                    let lead = inner.len() - inner.trim_start().len();
                    let start = base.map(|b| b + inner_start + lead).unwrap_or(v.span().start);
                    // Signal names in templates are not checked: no counts (see there).
                    let (ast, signals, listed) = with_signal_lookups(engine, scope, inner.trim(), ast, false);
                    self.listed.extend(listed);
                    let _ = signals;
                    let loc = self.loc(start..start + inner.trim().len());
                    parts.push(TemplatePart::Expr(crate::analysis::walk::pack_expr(
                        inner.trim().to_owned(),
                        ast,
                        loc,
                        derived,
                    )));
                }
                Err(e) => {
                    let at = base.map(|b| b + inner_start..b + inner_start + inner.len()).unwrap_or(v.span());
                    let message = match &*e.0 {
                        rhai::ParseErrorType::VariableUndefined(n) => {
                            format!("unknown name `{n}` in resolution")
                        }
                        other => format!("resolution expression: {other}"),
                    };
                    self.error(Code::BadTemplate, message, at, "in this {{ … }}", None);
                    ok = false;
                }
            }
            let advance = open + 2 + close + 2;
            consumed += advance;
            rest = &rest[advance..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_owned()));
        }
        ok.then_some(Template { parts })
    }

    fn test(&mut self, item: &Val<'_>) -> Option<RuleTest> {
        let Some(t) = item.get_ref().as_table() else {
            self.wrong_type(item, "a table");
            return None;
        };
        self.check_keys(t, TEST_KEYS);
        let name = self.required_string(t, "name", "a test", item.span());
        let expect = self.required_string(t, "expect", "a test", item.span()).and_then(|(e, span)| {
            Outcome::parse(&e).or_else(|| {
                self.error(
                    Code::BadValue,
                    format!("unknown outcome `{e}`"),
                    span,
                    "here",
                    Some(format!(
                        "one of: {}",
                        Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                );
                None
            })
        });
        let input = match (t.get("input"), t.get("facts")) {
            (Some(_), None) => self.string(t, "input").map(|s| TestInput::Folder(s.0)),
            (None, Some(f)) => match f.get_ref().as_table() {
                Some(_) => match Fact::from_json(de_to_json(f.get_ref())) {
                    Ok(Fact { value: Value::Map(m), .. }) => Some(TestInput::Facts(FactMap::from(m))),
                    Ok(_) => None,
                    Err(e) => {
                        self.error(Code::BadValue, format!("inline facts: {e}"), f.span(), "here", None);
                        None
                    }
                },
                None => {
                    self.wrong_type(f, "an inline table of facts");
                    None
                }
            },
            _ => {
                self.error(
                    Code::BadValue,
                    "a test needs exactly one of `input` (an artifact folder) or `facts` (inline facts)"
                        .into(),
                    item.span(),
                    "this test",
                    None,
                );
                None
            }
        };
        Some(RuleTest { name: name?.0, input: input?, expect: expect?, loc: self.loc(item.span()) })
    }
}

/// Byte offset of a string value's content inside its raw TOML (quotes and the newline that
/// `'''`/`"""` trim), when the raw content is the value verbatim.
fn content_offset(raw: &str, value: &str) -> Option<usize> {
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

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).map(|t| t.matches('\n').count() + 1).unwrap_or(1)
}

fn signal_call() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r#"\bsignal\s*\(\s*"([^"\\]*)"\s*\)"#).expect("static regex"))
}

/// `signal("name")` calls with a literal name, and the byte range of the name.
fn signal_refs(text: &str) -> Vec<(String, Range<usize>)> {
    signal_call()
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| (m.as_str().to_owned(), m.range()))
        .collect()
}

/// Signal lookups by literal name are rewritten to `signals["name"]`, which Rhai reads by
/// reference from the scope, instead of a helper call that copies every match on each use.
/// With `counts`, `signal("name").len()` becomes `signal_counts["name"]`, the number of matches
/// (Rhai walks the whole list to check its size after any method call on it); only for
/// expressions whose signal names are checked to exist (a count of an unknown signal would be
/// `()`, where `.len()` fails), and not if a derived fact shadows `signal_counts`.
/// Expressions with closures keep the helper (closures cannot see outer names); so does any
/// expression whose rewrite would not compile. Diagnostics always come from the original text.
/// Returns the AST, the signals named, and those the AST reads from `signals` (not only counts).
fn with_signal_lookups(
    engine: &Engine,
    scope: &Scope<'_>,
    text: &str,
    ast: rhai::AST,
    counts: bool,
) -> (Arc<rhai::AST>, Vec<String>, Vec<String>) {
    static LEN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let len_call = LEN.get_or_init(|| {
        regex::Regex::new(r#"\bsignal\s*\(\s*"([^"\\]*)"\s*\)\s*\.\s*len\s*\(\s*\)"#).expect("static regex")
    });
    static CLOSURE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let closure = CLOSURE.get_or_init(|| {
        regex::Regex::new(r"\|\s*[A-Za-z_][A-Za-z0-9_]*(\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*\s*\|")
            .expect("static regex")
    });
    let mut names: Vec<String> = signal_refs(text).into_iter().map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    if names.is_empty() || closure.is_match(text) {
        return (Arc::new(ast), names, Vec::new());
    }
    let counted = if counts && !scope.contains("signal_counts") {
        len_call.replace_all(text, |c: &regex::Captures<'_>| format!("signal_counts[\"{}\"]", &c[1]))
    } else {
        text.into()
    };
    let rewritten =
        signal_call().replace_all(&counted, |c: &regex::Captures<'_>| format!("signals[\"{}\"]", &c[1]));
    let mut scope = scope.clone();
    scope.push("signals", ());
    scope.push("signal_counts", ());
    match engine.compile_expression_with_scope(&scope, &rewritten) {
        Ok(fast) => (Arc::new(fast), names, signal_refs(&counted).into_iter().map(|(n, _)| n).collect()),
        Err(_) => (Arc::new(ast), names, Vec::new()),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_pack_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
}

/// One `requires` alternative: `derive.NAME`, `registry:KEY`, or a dotted fact path.
fn parse_need(text: &str, derived: &[Derived]) -> Result<Need, (Code, String, Option<String>)> {
    if let Some(name) = text.strip_prefix("derive.") {
        return derived.iter().position(|d| d.name == name).map(Need::Derived).ok_or_else(|| {
            let known: Vec<&str> = derived.iter().map(|d| d.name.as_str()).collect();
            let help = if known.is_empty() {
                "this pack derives no facts".to_owned()
            } else {
                format!("derived facts: {}", known.join(", "))
            };
            (Code::UnknownDerived, format!("unknown derived fact `{name}` in requires"), Some(help))
        });
    }
    if let Some(key) = text.strip_prefix("registry:") {
        let key = key.trim().trim_matches('\\');
        if key.is_empty() || !key.contains('\\') {
            return Err((
                Code::BadValue,
                format!("`{text}` does not name a registry key"),
                Some(r"write the key path after `registry:`, e.g. registry:HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319".into()),
            ));
        }
        return Ok(Need::RegistryKey(key.to_owned()));
    }
    let bad = text.split('.').any(str::is_empty);
    if bad {
        return Err((
            Code::BadValue,
            format!("`{text}` is not a fact path"),
            Some(
                "a dotted path (os.build), derive.NAME, or registry:KEY; alternatives are joined with |"
                    .into(),
            ),
        ));
    }
    Ok(Need::Fact(text.to_owned()))
}

fn is_rule_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// TOML (with spans) to plain JSON, for data and inline facts. Datetimes become strings.
fn de_to_json(v: &DeValue<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        DeValue::String(s) => J::String(s.to_string()),
        DeValue::Integer(i) => {
            let s = i.as_str().replace('_', "");
            let n = match i.radix() {
                10 => s.parse::<i64>().ok(),
                r => i64::from_str_radix(s.get(2..).unwrap_or(""), r).ok(),
            };
            n.map(J::from).unwrap_or(J::String(s))
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

fn de_array(a: &DeArray<'_>) -> Vec<serde_json::Value> {
    a.iter().map(|v| de_to_json(v.get_ref())).collect()
}

/// Used by docs: the data table in order.
pub fn data_keys(pack: &Pack) -> BTreeMap<String, serde_json::Value> {
    pack.data_json
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
