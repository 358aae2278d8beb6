//! Compiling the Rhai expressions held in TOML strings (derived facts, signal filters, rule
//! conditions), with positions mapped back into the TOML file; what each expression reads is
//! found on its AST ([`crate::analysis`]).

use std::ops::Range;
use std::sync::Arc;

use rhai::{Engine, Scope};

use super::super::diagnostic::Code;
use super::super::{Derived, Expr};
use super::context::{content_offset, Cx, Val};

impl Cx<'_> {
    /// Compiles a Rhai expression held in a TOML string, mapping Rhai's line/column back into
    /// the TOML file.
    pub(super) fn expr(
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
    pub(super) fn map_position(&self, span: Range<usize>, text: &str, pos: rhai::Position) -> Range<usize> {
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
}

pub(super) fn signal_call() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r#"\bsignal\s*\(\s*"([^"\\]*)"\s*\)"#).expect("static regex"))
}

/// `signal("name")` calls with a literal name, and the byte range of the name.
pub(super) fn signal_refs(text: &str) -> Vec<(String, Range<usize>)> {
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
pub(super) fn with_signal_lookups(
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
