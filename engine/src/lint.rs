//! Checks of a loaded pack against what the collectors provide (the fact catalogue) and what the
//! sandbox can run: `pack check`'s warnings, each at the TOML line of the expression (or
//! `requires` entry) it is about. Warnings, not errors: a pack may target facts of another
//! pack's log kinds or of a newer triage.
//!
//! From each expression's analysis ([`crate::analysis`]):
//! - a fact path no collector provides (`facts.os.biuld`), with the declared path it most likely
//!   meant;
//! - a comparison of a typed fact with a literal of another type (`facts.os.build == "7601"`,
//!   silently false);
//! - a function the sandbox does not have (an error when the expression runs);
//! - a literal regex of `matches()`/`capture()` that does not compile;
//! - a signal's `where` reading a record field its log kind does not have
//!   (`record.fields.componnet`: every match silently dropped).

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use miette::NamedSource;
use triage_facts::catalogue::{edit_distance, Known, MAX_SUGGEST_LEN};
use triage_facts::{Catalogue, FactType};

use crate::pack::source::PackText;
use crate::pack::{Code, Expr, Level, Loc, Need, Pack, PackDiagnostic, TemplatePart};

/// Rhai's built-in names that are not registered functions (keywords the parser handles).
const KEYWORD_FUNCTIONS: &[&str] = &[
    "type_of",
    "Fn",
    "call",
    "curry",
    "is_def_var",
    "is_def_fn",
    "is_shared",
    "this",
    "eval",
    "print",
    "debug",
];

/// Warnings kept per pack; past it, one more says how many were left out.
pub const MAX_WARNINGS: usize = 1000;

/// Every warning of `pack` against `catalogue`, sorted by file and position (at most
/// [`MAX_WARNINGS`], then one that counts the rest). `engine` is the
/// sandboxed engine the pack was compiled with (its functions are the ones that exist).
pub fn lint(pack: &Pack, catalogue: &Catalogue, engine: &rhai::Engine) -> Vec<PackDiagnostic> {
    let mut functions: BTreeSet<String> = BTreeSet::new();
    for sig in engine.gen_fn_signatures(true) {
        if let Some((name, _)) = sig.split_once('(') {
            let name = name.rsplit(' ').next().unwrap_or(name);
            functions.insert(name.to_owned());
        }
    }
    let mut l = Linter { pack, catalogue, functions, texts: Vec::new(), out: Vec::new() };
    l.texts = pack.files.iter().map(|f| PackText::new(&f.text)).collect();
    for d in &pack.derived {
        l.expr(&d.expr, None);
    }
    if let Some(e) = &pack.applies_if {
        l.expr(e, None);
    }
    for s in &pack.signals {
        if let Some(f) = &s.filter {
            l.expr(f, Some(&pack.log_kind_id(&s.log)));
        }
    }
    for r in &pack.rules {
        for (req, what) in r
            .requires
            .iter()
            .map(|q| (q, "in `requires`"))
            .chain(r.confirm.iter().filter_map(|c| c.requirement.as_ref()).map(|q| (q, "in `confirm`")))
        {
            for n in &req.needs {
                if let Need::Fact(path) = n {
                    l.fact(path, req.loc, path, what);
                }
            }
        }
        // `applies_if`, the clauses of `when` and the conditions of `confirm`.
        for c in r.conditions() {
            l.expr(c, None);
        }
        for p in &r.resolution.parts {
            if let TemplatePart::Expr(e) = p {
                l.expr(e, None);
            }
        }
    }
    let mut out = l.out;
    out.sort_by(|a, b| {
        (&*a.file != "pack.toml", &a.file, a.span.start, &a.message).cmp(&(
            &*b.file != "pack.toml",
            &b.file,
            b.span.start,
            &b.message,
        ))
    });
    out.dedup_by(|a, b| a.file == b.file && a.span == b.span && a.message == b.message);
    if out.len() > MAX_WARNINGS {
        let left = out.len() - MAX_WARNINGS;
        out.truncate(MAX_WARNINGS + 1);
        let last = &mut out[MAX_WARNINGS];
        last.message = format!("{left} more catalogue warning(s) not shown");
        last.label = "and more".into();
        last.help = None;
    }
    out
}

struct Linter<'a> {
    pack: &'a Pack,
    catalogue: &'a Catalogue,
    functions: BTreeSet<String>,
    texts: Vec<PackText>,
    out: Vec<PackDiagnostic>,
}

impl Linter<'_> {
    fn expr(&mut self, e: &Expr, kind: Option<&str>) {
        let reads = &e.analysis.reads;
        for path in &reads.facts {
            self.fact(path, e.loc, path, "");
        }
        for c in &reads.comparisons {
            let Some(Known::Declared { types, .. }) = self.catalogue.lookup_dotted(&c.fact) else { continue };
            if types.contains(&FactType::Any) || types.iter().any(|t| literal_fits(c.literal, *t)) {
                continue;
            }
            let names: Vec<&str> = types.iter().map(|t| t.name()).collect();
            let help = match (types.as_slice(), c.literal) {
                ([FactType::Int], "string") => {
                    let digits = c.text.trim_matches('"');
                    if digits.parse::<i64>().is_ok() {
                        format!("compare with the integer: `facts.{} {} {digits}`", c.fact, c.op)
                    } else {
                        "compare with an integer".to_owned()
                    }
                }
                ([FactType::Str], "int" | "float") => {
                    format!("compare with a string: `facts.{} {} \"{}\"`", c.fact, c.op, c.text)
                }
                _ => format!("compare with a {} literal", names.join(" or ")),
            };
            self.warn(
                Code::TypeMismatch,
                e.loc,
                &c.text,
                format!(
                    "`facts.{}` is {}, compared with the {} {}: the comparison is never true",
                    c.fact,
                    names.join(" or "),
                    c.literal,
                    c.text
                ),
                "compared here",
                Some(help),
            );
        }
        for f in &reads.functions {
            if self.functions.contains(f)
                || KEYWORD_FUNCTIONS.contains(&f.as_str())
                || f.starts_with("anon$")
                || e.ast.iter_functions().any(|d| d.name == f.as_str())
            {
                continue;
            }
            let near = self
                .functions
                .iter()
                .filter(|k| f.len() <= MAX_SUGGEST_LEN && !k.contains('$'))
                .min_by_key(|k| edit_distance(f, k))
                .filter(|k| edit_distance(f, k) <= 2)
                .map(|k| format!("did you mean `{k}`?"));
            self.warn(
                Code::UnknownFunction,
                e.loc,
                &format!("{f}("),
                format!("no function `{f}`: the expression fails when it runs"),
                "unknown function",
                near.or_else(|| {
                    Some("the functions a condition may call are in docs/rule-language.md".into())
                }),
            );
        }
        for re in &reads.regexes {
            if let Err(err) = regex::RegexBuilder::new(re).size_limit(1 << 20).build() {
                let first = err.to_string().lines().last().unwrap_or_default().trim().to_owned();
                self.warn(
                    Code::BadRegex,
                    e.loc,
                    re,
                    format!("invalid regex {re:?}: the call fails when it runs"),
                    "does not compile",
                    Some(first),
                );
            }
        }
        if let Some(kind) = kind {
            let Some(k) = self.catalogue.log_kind(kind) else { return };
            for f in &reads.record_fields {
                if k.fields.iter().any(|x| &x.name == f) {
                    continue;
                }
                let known: Vec<&str> = k.fields.iter().map(|x| x.name.as_str()).collect();
                let help = known
                    .iter()
                    .filter(|_| f.len() <= MAX_SUGGEST_LEN)
                    .min_by_key(|k| edit_distance(f, k))
                    .filter(|k| edit_distance(f, k) <= 2)
                    .map(|k| format!("did you mean `{k}`?"))
                    .unwrap_or_else(|| {
                        if known.is_empty() {
                            "its records have no fields (a pack kind's fields are the named groups of its `fields` regex)".into()
                        } else {
                            format!("its fields: {}", known.join(", "))
                        }
                    });
                self.warn(
                    Code::UnknownField,
                    e.loc,
                    f,
                    format!("records of log kind `{kind}` have no field `{f}`: the filter never sees one"),
                    "not a field of this kind",
                    Some(help),
                );
            }
        }
    }

    /// A fact path read (or required) at `loc`, `needle` being the text to point at.
    fn fact(&mut self, path: &str, loc: Loc, needle: &str, what: &str) {
        if self.catalogue.lookup_dotted(path).is_some() {
            return;
        }
        let help = match self.catalogue.suggest(path) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "the facts the collectors write: `triage collectors --facts`".into(),
        };
        let what = if what.is_empty() { String::new() } else { format!(" ({what})") };
        // Point at the path as written, else at its last segment.
        let last = path.rsplit('.').next().unwrap_or(path);
        let needle = if self.find(loc, needle).is_some() { needle } else { last };
        self.warn(
            Code::UnknownFact,
            loc,
            needle,
            format!("no collector provides the fact `{path}`{what}: the rule is missing_facts wherever it reads it"),
            "no collector writes this",
            Some(help),
        );
    }

    /// The byte range of `needle` inside the expression's TOML span, when it is there.
    fn find(&self, loc: Loc, needle: &str) -> Option<Range<usize>> {
        let text = &self.pack.files.get(loc.file)?.text;
        let raw = text.get(loc.start..loc.end)?;
        let at = raw.find(needle)?;
        Some(loc.start + at..loc.start + at + needle.len())
    }

    fn warn(
        &mut self,
        code: Code,
        loc: Loc,
        needle: &str,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        let Some(f) = self.pack.files.get(loc.file) else { return };
        let span = self.find(loc, needle).unwrap_or(loc.start..loc.end);
        let src = self.texts[loc.file].clone();
        self.out.push(PackDiagnostic {
            code,
            level: Level::Warning,
            message,
            file: Arc::from(f.name.as_str()),
            span,
            label: label.to_owned(),
            help,
            source: Some(NamedSource::new(f.name.clone(), src).with_language("toml")),
        });
    }
}

/// Whether a literal of Rhai type `literal` (`int`, `float`, `string`, `bool`, `char`) can equal
/// a fact of type `t` as the engine hands it to conditions (timestamps and versions as strings).
fn literal_fits(literal: &str, t: FactType) -> bool {
    match literal {
        "int" | "float" => matches!(t, FactType::Int | FactType::Float),
        "string" | "char" => matches!(t, FactType::Str | FactType::Timestamp | FactType::Version),
        "bool" => t == FactType::Bool,
        _ => true,
    }
}
