//! `[[rule]]`: each rule's ID (unique, not retired), requirements, applicability, condition and
//! resolution template; its `[[rule.test]]` cases are read by [`super::rule_test`].

use std::collections::{BTreeSet, HashMap};

use rhai::{Engine, Scope};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::super::diagnostic::{Code, Level};
use super::super::{
    Combine, Confirmation, Derived, Loc, Need, Requirement, Rule, RuleTest, Severity, Signal, Template,
    TemplatePart,
};
use super::context::{content_offset, line_of, Cx, Val};
use super::expr::with_signal_lookups;
use super::{CONFIRM_KEYS, RULE_KEYS};
use crate::Outcome;

/// Every file's `[[rule]]`s, sorted by ID; a rule with a duplicate ID is reported and dropped.
pub(super) fn rules(
    cx: &mut Cx<'_>,
    engine: &Engine,
    parsed: &[Spanned<DeTable<'_>>],
    scope: &Scope<'_>,
    derived: &[Derived],
    signals: &[Signal],
    retired: &BTreeSet<String>,
) -> Vec<Rule> {
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
                        (cx.files[prev.file].name.clone(), line_of(&cx.files[prev.file].text, prev.start));
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
            let Some(rule) = cx.rule(engine, scope, item, derived, signals) else { continue };
            if id_ok {
                rules.push(rule);
            }
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules
}

impl Cx<'_> {
    pub(super) fn rule(
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
        let section = self.string(t, "section").map(|s| s.0);
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
        let confirm = self.confirm(engine, scope, t, derived);
        for e in
            clauses.iter().chain(applies_if.iter()).chain(confirm.iter().filter_map(|c| c.condition.as_ref()))
        {
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
            section,
            requires,
            applies_if,
            combine,
            clauses,
            confirm,
            resolution: resolution?,
            references,
            tests,
            loc: self.loc(id_span),
        })
    }

    /// `confirm = [{ fact = …, when = '…', artifact = … }, …]`.
    fn confirm(
        &mut self,
        engine: &Engine,
        scope: &Scope<'_>,
        t: &DeTable<'_>,
        derived: &[Derived],
    ) -> Vec<Confirmation> {
        let Some(v) = t.get("confirm") else { return Vec::new() };
        let Some(arr) = v.get_ref().as_array() else {
            self.wrong_type(v, "an array of { fact = …, when = '…', artifact = … } tables");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in arr.iter() {
            let Some(ct) = item.get_ref().as_table() else {
                self.wrong_type(item, "a { fact = …, when = '…', artifact = … } table");
                continue;
            };
            self.check_keys(ct, CONFIRM_KEYS);
            let artifact = self.string(ct, "artifact").map(|a| a.0);
            let requirement = match self.string(ct, "fact") {
                Some((facts, _)) => match self.requirement(&facts, artifact.clone(), item, derived) {
                    Some(r) => Some(r),
                    None => continue,
                },
                None => None,
            };
            let condition = match ct.get("when") {
                Some(w) => match self.expr(engine, scope, w, derived, "confirmation condition") {
                    Some(e) => Some(e),
                    None => continue,
                },
                None => None,
            };
            if requirement.is_none() && condition.is_none() {
                self.error(
                    Code::MissingKey,
                    "a confirmation needs `fact`, `when`, or both".into(),
                    item.span(),
                    "here",
                    Some("`fact` names what must be collected, `when` what must hold on it".into()),
                );
                continue;
            }
            out.push(Confirmation { requirement, condition, artifact });
        }
        out
    }

    /// One requirement's alternatives (`a | b`), checked.
    fn requirement(
        &mut self,
        facts: &str,
        artifact: Option<String>,
        item: &Val<'_>,
        derived: &[Derived],
    ) -> Option<Requirement> {
        let alternatives: Vec<String> =
            facts.split('|').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if alternatives.is_empty() {
            self.error(Code::BadValue, "empty requirement".into(), item.span(), "here", None);
            return None;
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
        (needs.len() == alternatives.len()).then(|| Requirement {
            alternatives,
            needs,
            artifact,
            loc: self.loc(item.span()),
        })
    }

    pub(super) fn requires(&mut self, t: &DeTable<'_>, derived: &[Derived]) -> Vec<Requirement> {
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
            if let Some(r) = self.requirement(&facts, artifact, item, derived) {
                out.push(r);
            }
        }
        out
    }

    pub(super) fn template(
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
                    let (ast, _, listed) = with_signal_lookups(engine, scope, inner.trim(), ast, false);
                    self.listed.extend(listed);
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
