//! Evaluation: a pack against one input's facts, giving one [`Finding`] per rule.
//!
//! Per input and pack: signal matches are filtered by their `where` conditions, derived facts
//! are computed once in order, then each rule goes requires → applicability → condition.
//! A rule that fails (a runtime error, a limit) ends in `error`; the other rules still run.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rhai::{Dynamic, Engine, Scope};
use triage_facts::{Catalogue, Fact};

use crate::analysis::Target;
use crate::convert::{describe_dynamic, render_dynamic_bounded};
use crate::finding::{
    ClauseTrace, Evidence, Explanation, Finding, MissingFact, Outcome, RequirementTrace, Source,
};
use crate::missing::{Absence, Skeleton, Tri};
use crate::pack::{Combine, Expr, Need, Pack, Rule, TemplatePart};
use crate::runtime::Runtime;
use crate::sandbox::budget::{self, Owner};
use crate::sandbox::memory::{push_bounded, size_of, string_limit_message, PackMemory};
use crate::sandbox::{self, EvalState, InputFacts, Limits, Read, ReadRef, SignalMatches};

/// Evidence entries kept per signal.
const SIGNAL_EVIDENCE_CAP: usize = 5;

/// Options for one evaluation.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Attach an [`Explanation`] to every finding.
    pub explain: bool,
    /// The fact catalogue (`triage_collectors::catalogue`, with the packs' log kinds): what to
    /// collect when a rule's facts are missing, or that no collector provides them. Without one,
    /// missing facts name no artifact.
    pub catalogue: Option<Arc<Catalogue>>,
}

/// The sandboxed interpreter. Build one and share it: it holds no per-input state.
pub struct Evaluator {
    engine: Engine,
    limits: Limits,
}

impl Default for Evaluator {
    fn default() -> Self {
        Evaluator::new(Limits::default())
    }
}

struct Value {
    result: Result<Dynamic, String>,
    reads: Vec<ReadRef>,
    /// The facts it read that the input lacks, when they decide its value (then `result` is
    /// `Ok(())`): see [`crate::missing`].
    missing: BTreeSet<Target>,
}

/// What every finding of one evaluation shares, built once.
struct Common {
    pack: Arc<str>,
    pack_version: Arc<str>,
    input: Arc<str>,
    /// The pack's `applies_if`, evaluated once after the derived facts.
    gate: Option<Value>,
}

impl Evaluator {
    pub fn new(limits: Limits) -> Self {
        Evaluator { engine: sandbox::build_engine(&limits), limits }
    }

    /// The engine packs must be compiled with (see [`crate::pack::load_pack`]).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Evaluates every rule of `pack` on one input.
    pub fn evaluate(
        &self,
        pack: &Pack,
        input: &Arc<InputFacts>,
        input_name: &str,
        opts: &EvalOptions,
    ) -> Vec<Finding> {
        let _pack_budget = budget::PackBudget::start(&self.limits);
        let mut rt = Runtime::new(&self.engine);
        let mut facts = input.lend();
        let mut memory = PackMemory::new(self.limits.max_pack_memory);
        let (signals, signal_map) = self.filter_signals(&mut rt, pack, input, &mut facts, &mut memory);
        let signals = Arc::new(signals);
        let state = EvalState { input: input.clone(), signals: signals.clone(), reads: Vec::new() };
        let mut common = Common {
            pack: pack.manifest.id.as_str().into(),
            pack_version: pack.manifest.version.to_string().into(),
            input: input_name.into(),
            gate: None,
        };
        let ((findings, facts), _) = sandbox::with_state(state, || {
            let mut scope = Scope::new();
            scope.push_constant_dynamic("data", pack.data.clone());
            push_signals(&mut scope, signal_map, &signals);
            sandbox::push_read_only(&mut scope, "facts", facts);
            let mut absence = Absence::new(input, pack);
            let mut derived: Vec<Value> = Vec::with_capacity(pack.derived.len());
            for d in &pack.derived {
                budget::start(Owner::Derived, &self.limits);
                let mut v = self.check(&mut rt, &mut scope, &d.expr, &mut absence);
                if !v.missing.is_empty() {
                    absence.derived_missing(&d.name, v.missing.clone());
                }
                if let Ok(value) = &v.result {
                    if let Err(e) = memory.add(size_of(value), &format!("derived fact `{}`", d.name)) {
                        v.result = Err(e);
                    }
                }
                v.reads.extend(path_reads(&d.expr, input).into_iter().map(ReadRef::Owned));
                for &i in &d.expr.derived_refs {
                    if let Some(prev) = derived.get(i) {
                        v.reads.extend(prev.reads.iter().cloned());
                    }
                }
                scope.push_constant_dynamic(d.name.as_str(), v.result.clone().unwrap_or(Dynamic::UNIT));
                derived.push(v);
            }
            // `facts` last: Rhai looks names up from the end of the scope, and rules read
            // `facts` most.
            if let Some(f) = scope.remove::<Dynamic>("facts") {
                sandbox::push_read_only(&mut scope, "facts", f);
            }
            if let Some(a) = &pack.applies_if {
                budget::start(Owner::Derived, &self.limits);
                common.gate = Some(self.check(&mut rt, &mut scope, a, &mut absence));
            }
            let findings: Vec<Finding> = pack
                .rules
                .iter()
                .map(|r| {
                    self.rule(
                        &mut rt,
                        pack,
                        r,
                        &mut scope,
                        &derived,
                        &mut absence,
                        &common,
                        opts,
                        &mut memory,
                    )
                })
                .collect();
            (findings, scope.remove::<Dynamic>("facts"))
        });
        if let Some(f) = facts {
            input.give_back(f);
        }
        findings
    }

    /// Evaluates one ad-hoc expression on an input, with the pack's `data`, signals and derived
    /// facts in scope, and returns its value rendered as explanations show it (`true`, `9600`,
    /// `"text"`, `()`, `[1, 2]`). For `triage explain`-style probing and the docs' examples.
    pub fn evaluate_expression(
        &self,
        pack: &Pack,
        input: &Arc<InputFacts>,
        text: &str,
    ) -> Result<String, String> {
        let _pack_budget = budget::PackBudget::start(&self.limits);
        let mut rt = Runtime::new(&self.engine);
        let mut facts = input.lend();
        let mut memory = PackMemory::new(self.limits.max_pack_memory);
        let (signals, signal_map) = self.filter_signals(&mut rt, pack, input, &mut facts, &mut memory);
        let signals = Arc::new(signals);
        let state = EvalState { input: input.clone(), signals: signals.clone(), reads: Vec::new() };
        let ((result, facts), _) = sandbox::with_state(state, || {
            // Compiled against names only, so no value is folded into the AST.
            let mut names = Scope::new();
            names.push("facts", ());
            names.push("data", ());
            let mut scope = Scope::new();
            scope.push_constant_dynamic("data", pack.data.clone());
            push_signals(&mut scope, signal_map, &signals);
            sandbox::push_read_only(&mut scope, "facts", facts);
            for d in &pack.derived {
                budget::start(Owner::Derived, &self.limits);
                let v = self.eval(&mut rt, &mut scope, &d.expr);
                scope.push_constant_dynamic(d.name.as_str(), v.result.unwrap_or(Dynamic::UNIT));
                names.push(d.name.as_str(), ());
            }
            let result = match self.engine.compile_expression_with_scope(&names, text) {
                Ok(ast) => {
                    budget::start(Owner::Rule, &self.limits);
                    rt.eval(&self.engine, &mut scope, &ast)
                        .map(|d| describe_dynamic(&d))
                        .map_err(|e| describe_error(&e))
                }
                Err(e) => Err(e.to_string()),
            };
            (result, scope.remove::<Dynamic>("facts"))
        });
        if let Some(f) = facts {
            input.give_back(f);
        }
        result
    }

    /// Evaluates one expression. `reads` holds what helpers read; the `facts.a.b` paths the
    /// text names are resolved only when needed ([`path_reads`]), for evidence or explanations.
    /// It spends the budget in force (the rule's, the derived fact's); a signal it names whose
    /// matches could not all be filtered makes it fail with that signal's error.
    fn eval(&self, rt: &mut Runtime, scope: &mut Scope<'_>, expr: &Expr) -> Value {
        if let Some(e) = sandbox::signal_error(&expr.signals) {
            return Value { result: Err(e), reads: sandbox::take_reads(), missing: BTreeSet::new() };
        }
        let result = rt.eval(&self.engine, scope, &expr.ast).map_err(|e| describe_error(&e));
        Value { result, reads: sandbox::take_reads(), missing: BTreeSet::new() }
    }

    /// Evaluates one expression, enforcing missing facts: one that reads a fact the input
    /// lacks, without handling its absence, is missing unless the facts that are present decide
    /// its value ([`crate::missing`]).
    fn check(
        &self,
        rt: &mut Runtime,
        scope: &mut Scope<'_>,
        expr: &Expr,
        absence: &mut Absence<'_>,
    ) -> Value {
        let absent = crate::missing::absent_reads(expr, absence);
        if absent.is_empty() {
            return self.eval(rt, scope, expr);
        }
        let Some(node) = &expr.analysis.logic else {
            return Value { result: Ok(Dynamic::UNIT), reads: Vec::new(), missing: absent };
        };
        let mut reads = Vec::new();
        let skeleton = Skeleton { engine: &self.engine, describe_error: &describe_error };
        let tri = skeleton.evaluate(rt, scope, node, absence, &mut reads);
        match tri {
            Tri::Value(d) => Value { result: Ok(d), reads, missing: BTreeSet::new() },
            Tri::Error(e) => Value { result: Err(e), reads, missing: BTreeSet::new() },
            Tri::Missing(m) => Value { result: Ok(Dynamic::UNIT), reads, missing: m },
        }
    }

    /// Filters each signal's matches by its `where` condition; returns name → kept matches and
    /// evidence, and the `signals` map (name → matches as Rhai values) for the scope.
    ///
    /// The matches as Rhai values are those of `facts` (converted and read-only already): each
    /// is moved in turn into the `where` scope as `record` and back, and the kept ones are
    /// copied once, for the `signals` map — only for the signals some expression reads from it
    /// ([`crate::pack::Signal::listed`]); no expression can name the others there.
    fn filter_signals(
        &self,
        rt: &mut Runtime,
        pack: &Pack,
        input: &Arc<InputFacts>,
        facts: &mut Dynamic,
        memory: &mut PackMemory,
    ) -> (HashMap<String, SignalMatches>, rhai::Map) {
        let all = input.facts.root.get("signals").and_then(Fact::as_map);
        let truncated = input.facts.root.get("signals_truncated").and_then(Fact::as_map);
        // `facts.signals`, taken out for the duration and put back below.
        let mut converted: Option<Dynamic> =
            facts.write_lock::<rhai::Map>().and_then(|mut m| m.get_mut("signals").map(std::mem::take));
        let state = EvalState { input: input.clone(), signals: Arc::new(HashMap::new()), reads: Vec::new() };
        let (out, _) = sandbox::with_state(state, || {
            // One scope for every `where`: `data`, and `record`, which each match is moved into.
            let mut scope = Scope::new();
            scope.push_constant_dynamic("data", pack.data.clone());
            scope.push_constant("record", ());
            let mut converted = converted.as_mut().and_then(|c| c.write_lock::<rhai::Map>());
            let mut out = HashMap::new();
            let mut map = rhai::Map::new();
            for s in &pack.signals {
                let id = pack.signal_id(s);
                let matches: Vec<&Fact> = all
                    .and_then(|m| m.get(&id))
                    .and_then(|f| match &f.value {
                        triage_facts::Value::List(l) => Some(l.iter().collect()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let mut values = converted
                    .as_mut()
                    .and_then(|c| c.get_mut(id.as_str()))
                    .and_then(|d| d.write_lock::<rhai::Array>());
                let values: &mut [Dynamic] = values.as_deref_mut().map_or(&mut [], |v| v.as_mut_slice());
                let mut kept: Vec<usize> = Vec::with_capacity(values.len());
                let mut dynamic: rhai::Array = Vec::with_capacity(if s.listed { values.len() } else { 0 });
                // One budget for all of this signal's `where` calls; a signal whose matches
                // cannot all be filtered (a budget, the memory ceiling) fails the expressions
                // that read it.
                budget::start(Owner::Signal, &self.limits);
                let mut error: Option<String> = None;
                for (i, value) in values.iter_mut().enumerate() {
                    let keep = match &s.filter {
                        None => true,
                        Some(filter) => match scope.get_value_mut::<Dynamic>("record") {
                            Some(record) => {
                                std::mem::swap(record, value);
                                // A `where` that fails to evaluate does not keep the match.
                                let r = rt.eval(&self.engine, &mut scope, &filter.ast);
                                sandbox::take_reads();
                                if let Some(record) = scope.get_value_mut::<Dynamic>("record") {
                                    std::mem::swap(record, value);
                                }
                                if let Err(e) = &r {
                                    if terminated(e).is_some() {
                                        error = Some(format!("signal `{}`: {}", s.name, describe_error(e)));
                                        break;
                                    }
                                }
                                r.ok().and_then(|d| d.as_bool().ok()).unwrap_or(false)
                            }
                            None => false,
                        },
                    };
                    if keep {
                        kept.push(i);
                        if s.listed {
                            if let Err(e) = memory.add(size_of(value), &format!("signal `{}`", s.name)) {
                                error = Some(e);
                                break;
                            }
                            dynamic.push(value.clone());
                        }
                    }
                }
                let facts: Vec<&Fact> = kept.iter().filter_map(|&i| matches.get(i).copied()).collect();
                // Matches the log scan counted but did not keep (beyond `max_matches` per file).
                let beyond: u64 = truncated
                    .and_then(|m| m.get(&id))
                    .and_then(Fact::as_map)
                    .map(|files| {
                        files.values().filter_map(|f| f.value.as_int()).map(|n| n.max(0) as u64).sum()
                    })
                    .unwrap_or(0);
                let reads = sandbox::match_reads(
                    &s.name,
                    &facts,
                    SIGNAL_EVIDENCE_CAP,
                    sandbox::Beyond { count: beyond, filtered: s.filter.is_some() },
                );
                if s.listed {
                    // Read-only like every value in `facts`; marked while empty (marking walks
                    // the whole value), as the matches are.
                    let mut list = Dynamic::from_array(rhai::Array::new()).into_read_only();
                    if let Some(mut l) = list.write_lock::<rhai::Array>() {
                        *l = dynamic;
                    }
                    map.insert(s.name.as_str().into(), list);
                }
                out.insert(s.name.clone(), SignalMatches { id, kept, reads, error });
            }
            (out, map)
        });
        if let Some(c) = converted {
            if let Some(mut m) = facts.write_lock::<rhai::Map>() {
                if let Some(slot) = m.get_mut("signals") {
                    *slot = c;
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)] // each argument is a distinct piece of evaluation context
    fn rule(
        &self,
        rt: &mut Runtime,
        pack: &Pack,
        rule: &Rule,
        scope: &mut Scope<'_>,
        derived: &[Value],
        absence: &mut Absence<'_>,
        common: &Common,
        opts: &EvalOptions,
        memory: &mut PackMemory,
    ) -> Finding {
        // One budget for the whole rule: requirements, applicability, condition, resolution.
        budget::start(Owner::Rule, &self.limits);
        let input = absence.input();
        let mut finding = Finding {
            rule: rule.id.clone(),
            pack: common.pack.clone(),
            pack_version: common.pack_version.clone(),
            input: common.input.clone(),
            host: None,
            outcome: Outcome::NotDetected,
            severity: rule.severity,
            title: rule.title.clone(),
            evidence: Vec::new(),
            resolution: None,
            missing: Vec::new(),
            unconfirmed: false,
            to_confirm: Vec::new(),
            error: None,
            explain: None,
            waiver: None,
            by_pack: false,
        };
        let mut explain = opts.explain.then(|| Explanation {
            requires: Vec::new(),
            derived: Vec::new(),
            clauses: Vec::new(),
            confirm: Vec::new(),
            combine: match rule.combine {
                Combine::Single => "single",
                Combine::All => "all",
                Combine::Any => "any",
            }
            .to_owned(),
        });

        // 0. The pack's applicability: a pack for other hosts decides every rule at once.
        if let (Some(g), Some(a)) = (&common.gate, &pack.applies_if) {
            if let Some(x) = explain.as_mut() {
                x.clauses.push(trace(pack, "pack.applies_if".into(), a, g, input));
            }
            let decided = if !g.missing.is_empty() {
                finding.outcome = Outcome::MissingFacts;
                finding.missing = missing_facts(&g.missing, absence, opts);
                true
            } else {
                match as_bool(g, a, pack, derived) {
                    Ok(true) => false,
                    Ok(false) => {
                        finding.outcome = Outcome::NotApplicable;
                        true
                    }
                    Err(e) => {
                        finding.outcome = Outcome::Error;
                        finding.error = Some(e);
                        true
                    }
                }
            };
            if decided {
                finding.by_pack = true;
                finding.explain = explain;
                return finding;
            }
        }

        // Every derived fact on the path to a condition of the rule, for explanations: those
        // the conditions name and, through them, those they read.
        if let Some(x) = explain.as_mut() {
            for i in derived_closure(pack, rule) {
                let (d, v) = (&pack.derived[i], &derived[i]);
                x.derived.push(trace(pack, format!("derive.{}", d.name), &d.expr, v, input));
            }
        }

        // 1. Applicability, first: a rule for other hosts needs none of its facts there.
        if let Some(a) = &rule.applies_if {
            let v = self.check(rt, scope, a, absence);
            if let Some(x) = explain.as_mut() {
                x.clauses.push(trace(pack, "applies_if".into(), a, &v, input));
            }
            if !v.missing.is_empty() {
                finding.outcome = Outcome::MissingFacts;
                finding.missing = missing_facts(&v.missing, absence, opts);
                finding.explain = explain;
                return finding;
            }
            match as_bool(&v, a, pack, derived) {
                Ok(true) => {}
                Ok(false) => {
                    finding.outcome = Outcome::NotApplicable;
                    finding.explain = explain;
                    return finding;
                }
                Err(e) => {
                    finding.outcome = Outcome::Error;
                    finding.error = Some(e);
                    finding.explain = explain;
                    return finding;
                }
            }
        }

        // 2. Requirements stated up front: a missing fact is never a pass.
        for req in &rule.requires {
            let present = requirement_present(req, input, derived);
            if let Some(x) = explain.as_mut() {
                x.requires.push(RequirementTrace { fact: req.alternatives.join(" | "), present });
            }
            if !present {
                finding.missing.push(requirement_missing(req, opts));
            }
        }
        if !finding.missing.is_empty() {
            finding.outcome = Outcome::MissingFacts;
            finding.explain = explain;
            return finding;
        }

        // 3. The condition. With explanations every clause is evaluated, so they show them
        // all; without, an `all` stops at its first false clause, which decides the outcome
        // (`not_detected`, whatever errors or missing facts the other clauses would give). An
        // `any` cannot stop early: a detection's evidence is every true clause. A clause that
        // reads an absent fact is missing (unless present facts decide it, or it handles the
        // absence): after a deciding clause, an error, then missing facts, decide.
        let mut clauses: Vec<(Value, Result<bool, String>)> = Vec::with_capacity(rule.clauses.len());
        let mut any_false = false;
        let mut any_true = false;
        let mut missing: BTreeSet<Target> = BTreeSet::new();
        for (i, c) in rule.clauses.iter().enumerate() {
            let v = self.check(rt, scope, c, absence);
            if let Some(x) = explain.as_mut() {
                let role = match rule.combine {
                    Combine::Single => "when".to_owned(),
                    Combine::All => format!("when.all[{i}]"),
                    Combine::Any => format!("when.any[{i}]"),
                };
                x.clauses.push(trace(pack, role, c, &v, input));
            }
            let b = if v.missing.is_empty() {
                as_bool(&v, c, pack, derived)
            } else {
                missing.extend(v.missing.iter().cloned());
                Err(String::new())
            };
            let b_missing = !v.missing.is_empty();
            any_false |= matches!(b, Ok(false));
            any_true |= matches!(b, Ok(true));
            clauses.push((v, if b_missing { Err(String::new()) } else { b }));
            if any_false && rule.combine != Combine::Any && explain.is_none() {
                break;
            }
        }
        let first_error = || {
            clauses
                .iter()
                .find_map(|(v, b)| if v.missing.is_empty() { b.as_ref().err().cloned() } else { None })
        };
        let undecided = |finding: &mut Finding| {
            if let Some(e) = first_error() {
                finding.error = Some(e);
                Outcome::Error
            } else if !missing.is_empty() {
                finding.missing = missing_facts(&missing, absence, opts);
                Outcome::MissingFacts
            } else {
                Outcome::Detected
            }
        };
        let outcome = match rule.combine {
            Combine::Single | Combine::All => {
                if any_false {
                    Outcome::NotDetected
                } else {
                    undecided(&mut finding)
                }
            }
            Combine::Any => {
                if any_true {
                    Outcome::Detected
                } else {
                    match undecided(&mut finding) {
                        Outcome::Detected => Outcome::NotDetected,
                        o => o,
                    }
                }
            }
        };
        // 4. Confirmation, once the symptoms are there: what was not collected leaves the finding
        // unconfirmed, a condition false on the facts present contradicts it.
        let mut outcome = outcome;
        let mut confirm_reads: Vec<ReadRef> = Vec::new();
        if outcome == Outcome::Detected && !rule.confirm.is_empty() {
            match self.confirm(rt, scope, pack, rule, derived, absence, opts, explain.as_mut()) {
                Confirmed::Yes { reads, to_confirm } => {
                    confirm_reads = reads;
                    finding.unconfirmed = !to_confirm.is_empty();
                    finding.to_confirm = to_confirm;
                }
                Confirmed::Contradicted => outcome = Outcome::NotDetected,
                Confirmed::Error(e) => {
                    outcome = Outcome::Error;
                    finding.error = Some(e);
                }
            }
        }
        finding.outcome = outcome;
        if outcome == Outcome::Detected {
            // Evidence: what every clause read (for `any`, only the true ones), with the
            // derived facts they use.
            let mut evidence: Vec<ReadRef> = Vec::new();
            for (c, (v, b)) in rule.clauses.iter().zip(clauses) {
                if rule.combine == Combine::Any && !matches!(b, Ok(true)) {
                    continue;
                }
                evidence.extend(v.reads);
                evidence.extend(path_reads(c, input).into_iter().map(ReadRef::Owned));
                for &d in &c.derived_refs {
                    evidence.extend(derived[d].reads.iter().cloned());
                }
            }
            evidence.extend(confirm_reads);
            finding.evidence = dedup_evidence(evidence);
            // Rendered no larger than what the ceiling still allows: once the pack's memory is
            // spent, a large resolution stops early instead of being built and thrown away
            // (which, for every rule after the ceiling, grew the heap by its size).
            let by = format!("the resolution of rule {}", rule.id);
            let max = self.limits.max_string_size.min(memory.remaining());
            let rendered = self.render(rt, scope, pack, rule, max).map_err(|e| {
                if max < self.limits.max_string_size && e == string_limit_message(max, "the resolution") {
                    memory.exceeded(&by)
                } else {
                    e
                }
            });
            match rendered.and_then(|text| memory.add(text.len(), &by).map(|()| text)) {
                Ok(text) => finding.resolution = Some(text),
                Err(e) => {
                    finding.outcome = Outcome::Error;
                    finding.error = Some(e);
                }
            }
        }
        finding.explain = explain;
        finding
    }

    /// The rule's `confirm` entries, in order, after its clauses detected: a contradiction
    /// (a condition false on the facts present) decides, then an error; otherwise the finding
    /// stands, unconfirmed when some entry's facts were not collected.
    #[allow(clippy::too_many_arguments)] // the evaluation's state, as `rule` has it
    fn confirm(
        &self,
        rt: &mut Runtime,
        scope: &mut Scope<'_>,
        pack: &Pack,
        rule: &Rule,
        derived: &[Value],
        absence: &mut Absence<'_>,
        opts: &EvalOptions,
        mut explain: Option<&mut Explanation>,
    ) -> Confirmed {
        let input = absence.input();
        let mut reads: Vec<ReadRef> = Vec::new();
        let mut to_confirm: Vec<MissingFact> = Vec::new();
        let mut error: Option<String> = None;
        let mut contradicted = false;
        for (i, c) in rule.confirm.iter().enumerate() {
            let role = format!("confirm[{i}]");
            if let Some(req) = &c.requirement {
                if !requirement_present(req, input, derived) {
                    if let Some(x) = explain.as_deref_mut() {
                        x.confirm.push(ClauseTrace {
                            role,
                            expression: format!("collected: {}", req.alternatives.join(" | ")),
                            value: None,
                            error: None,
                            missing: req.alternatives.clone(),
                            location: location_of(pack, rule.loc),
                            reads: Vec::new(),
                        });
                    }
                    let m = requirement_missing(req, opts);
                    if !to_confirm.contains(&m) {
                        to_confirm.push(m);
                    }
                    continue;
                }
            }
            let Some(cond) = &c.condition else {
                if let (Some(x), Some(req)) = (explain.as_deref_mut(), &c.requirement) {
                    x.confirm.push(ClauseTrace {
                        role,
                        expression: format!("collected: {}", req.alternatives.join(" | ")),
                        value: Some("true".into()),
                        error: None,
                        missing: Vec::new(),
                        location: location_of(pack, rule.loc),
                        reads: Vec::new(),
                    });
                }
                continue;
            };
            let v = self.check(rt, scope, cond, absence);
            if let Some(x) = explain.as_deref_mut() {
                x.confirm.push(trace(pack, role, cond, &v, input));
            }
            if !v.missing.is_empty() {
                for mut m in missing_facts(&v.missing, absence, opts) {
                    if c.artifact.is_some() {
                        m.artifact = c.artifact.clone();
                    }
                    if !to_confirm.contains(&m) {
                        to_confirm.push(m);
                    }
                }
                continue;
            }
            match as_bool(&v, cond, pack, derived) {
                Ok(true) => {
                    reads.extend(v.reads);
                    reads.extend(path_reads(cond, input).into_iter().map(ReadRef::Owned));
                    for &d in &cond.derived_refs {
                        reads.extend(derived[d].reads.iter().cloned());
                    }
                }
                Ok(false) => {
                    contradicted = true;
                    if explain.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        if contradicted {
            Confirmed::Contradicted
        } else if let Some(e) = error {
            Confirmed::Error(e)
        } else {
            Confirmed::Yes { reads, to_confirm }
        }
    }

    fn render(
        &self,
        rt: &mut Runtime,
        scope: &mut Scope<'_>,
        pack: &Pack,
        rule: &Rule,
        max: usize,
    ) -> Result<String, String> {
        let too_big = || string_limit_message(max, "the resolution");
        let mut out = String::new();
        for part in &rule.resolution.parts {
            match part {
                TemplatePart::Text(t) => push_bounded(&mut out, t, max).map_err(|()| too_big())?,
                TemplatePart::Expr(e) => match self.eval(rt, scope, e).result {
                    Ok(d) => {
                        let text = render_dynamic_bounded(&d, max - out.len()).ok_or_else(too_big)?;
                        out.push_str(&text);
                    }
                    Err(err) => {
                        return Err(format!(
                            "resolution {{{{ {} }}}} at {}: {err}",
                            e.text,
                            location(pack, e)
                        ))
                    }
                },
            }
        }
        Ok(out.trim().to_owned())
    }
}

/// Pushes the `signals` constant without marking its matches read-only one by one (they are
/// copies of `facts` values, read-only already): the map is marked while empty, then filled.
/// Also pushes `signal_counts`, each signal's number of kept matches (see
/// `pack::load::with_signal_lookups`).
fn push_signals(scope: &mut Scope<'_>, map: rhai::Map, signals: &HashMap<String, SignalMatches>) {
    let counts: rhai::Map =
        signals.iter().map(|(k, v)| (k.as_str().into(), Dynamic::from_int(v.kept.len() as i64))).collect();
    scope.push_constant("signal_counts", counts);
    let mut signals = Dynamic::from_map(rhai::Map::new()).into_read_only();
    if let Some(mut m) = signals.write_lock::<rhai::Map>() {
        *m = map;
    }
    sandbox::push_read_only(scope, "signals", signals);
}

/// What a rule's `confirm` concluded.
enum Confirmed {
    /// Nothing contradicts it: `reads` proves what was confirmed, `to_confirm` is what was not
    /// collected (empty: confirmed).
    Yes {
        reads: Vec<ReadRef>,
        to_confirm: Vec<MissingFact>,
    },
    Contradicted,
    Error(String),
}

/// Whether one of a requirement's alternatives is present.
fn requirement_present(req: &crate::pack::Requirement, input: &InputFacts, derived: &[Value]) -> bool {
    req.needs.iter().any(|n| match n {
        Need::Fact(path) => input.facts.has(path),
        Need::RegistryKey(key) => input.has_registry_key(key),
        Need::Derived(i) => derived.get(*i).is_some_and(|d| {
            d.missing.is_empty()
                && d.result.as_ref().is_ok_and(|v| !v.is_unit() && v.as_bool().ok() != Some(false))
        }),
    })
}

/// An absent requirement as a missing fact: its own artifact hint, else what the collectors say
/// provides its alternatives.
fn requirement_missing(req: &crate::pack::Requirement, opts: &EvalOptions) -> MissingFact {
    let artifact = req.artifact.clone().or_else(|| {
        let hints: Vec<String> = req
            .needs
            .iter()
            .filter_map(|n| match n {
                Need::Fact(path) => provider(opts, path),
                Need::RegistryKey(_) => provider(opts, "registry"),
                Need::Derived(_) => None,
            })
            .collect();
        (!hints.is_empty()).then(|| hints.join(", or "))
    });
    let mut fact = req.alternatives.join(" | ");
    if artifact.is_none() {
        let notes: Vec<String> = req
            .needs
            .iter()
            .filter_map(|n| match n {
                Need::Fact(path) => unprovided(opts, path),
                _ => None,
            })
            .collect();
        if !notes.is_empty() {
            fact = format!("{fact} ({})", notes.join("; "));
        }
    }
    MissingFact { fact, artifact }
}

/// The derived facts a rule's conditions and `derive.NAME` requirements name, and those these
/// read in turn, as indexes in pack order.
fn derived_closure(pack: &Pack, rule: &Rule) -> Vec<usize> {
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    let named = rule
        .requires
        .iter()
        .chain(rule.confirm.iter().filter_map(|c| c.requirement.as_ref()))
        .flat_map(|r| r.needs.iter())
        .filter_map(|n| match n {
            Need::Derived(i) => Some(*i),
            _ => None,
        });
    let mut stack: Vec<usize> =
        rule.conditions().flat_map(|e| e.derived_refs.iter().copied()).chain(named).collect();
    while let Some(i) = stack.pop() {
        if seen.insert(i) {
            if let Some(d) = pack.derived.get(i) {
                stack.extend(d.expr.derived_refs.iter().copied());
            }
        }
    }
    seen.into_iter().collect()
}

/// The missing facts, each with what to collect, in a stable order.
fn missing_facts(m: &BTreeSet<Target>, absence: &Absence<'_>, opts: &EvalOptions) -> Vec<MissingFact> {
    let mut out: Vec<MissingFact> = Vec::with_capacity(m.len());
    for t in m {
        let mut f = absence.describe(t, &|p| provider(opts, p));
        if let (Target::Fact(_), None) = (t, &f.artifact) {
            if let Some(note) = unprovided(opts, &f.fact) {
                f.fact = format!("{} ({note})", f.fact);
            }
        }
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// What to collect for a fact path, from the catalogue.
fn provider(opts: &EvalOptions, path: &str) -> Option<String> {
    opts.catalogue.as_ref()?.artifact_for(path)
}

/// Why nothing can be collected for a fact path no collector provides (a typo, or a fact of a
/// newer triage), with the declared path it most likely meant.
fn unprovided(opts: &EvalOptions, path: &str) -> Option<String> {
    let c = opts.catalogue.as_ref()?;
    if c.lookup_dotted(path).is_some() {
        return None;
    }
    Some(match c.suggest(path) {
        Some(s) => format!("no collector provides `{path}`; did you mean `{s}`?"),
        None => format!("no collector provides `{path}`"),
    })
}

fn as_bool(v: &Value, e: &Expr, pack: &Pack, derived: &[Value]) -> Result<bool, String> {
    match &v.result {
        Ok(d) => d.as_bool().map_err(|t| {
            format!(
                "{} returned {t} ({}), expected a bool: {}",
                location(pack, e),
                describe_dynamic(d),
                e.text
            )
        }),
        Err(err) => {
            // A failing derived fact explains a failing clause better than the clause does.
            let cause = e
                .derived_refs
                .iter()
                .find_map(|&i| derived[i].result.as_ref().err().map(|de| (i, de.clone())))
                .map(|(i, de)| {
                    format!(
                        " (derived fact `{}` failed at {}: {de})",
                        pack.derived[i].name,
                        location(pack, &pack.derived[i].expr)
                    )
                })
                .unwrap_or_default();
            Err(format!("{}: {err}{cause}", location(pack, e)))
        }
    }
}

fn location(pack: &Pack, e: &Expr) -> String {
    location_of(pack, e.loc)
}

fn location_of(pack: &Pack, loc: crate::pack::Loc) -> String {
    let (file, line) = pack.line_of(loc);
    format!("{file}:{line}")
}

/// The `facts.a.b` paths an expression names, with their values and provenance.
fn path_reads(expr: &Expr, input: &InputFacts) -> Vec<Read> {
    let mut reads = sandbox::signal_evidence(&expr.signals);
    reads.extend(expr.fact_paths.iter().map(|path| {
        let f = input.facts.get(path);
        Read {
            what: path.clone(),
            value: f.map(|f| f.value.to_string()),
            source: f.and_then(|f| f.source.clone()),
            text: None,
        }
    }));
    reads
}

fn trace(pack: &Pack, role: String, e: &Expr, v: &Value, input: &InputFacts) -> ClauseTrace {
    let mut reads = v.reads.clone();
    if !role.starts_with("derive.") {
        reads.extend(path_reads(e, input).into_iter().map(ReadRef::Owned));
    }
    ClauseTrace {
        role,
        expression: e.text.clone(),
        value: if v.missing.is_empty() { v.result.as_ref().ok().map(describe_dynamic) } else { None },
        error: v.result.as_ref().err().cloned(),
        missing: v.missing.iter().map(Target::to_string).collect(),
        location: location(pack, e),
        reads: dedup_evidence(reads),
    }
}

fn dedup_evidence(reads: Vec<ReadRef>) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = Vec::with_capacity(reads.len());
    for r in reads {
        let r = r.into_read();
        let e = Evidence {
            fact: r.what,
            value: r.value,
            source: r.source.as_deref().map(Source::from),
            text: r.text,
        };
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// Rhai's message, except that a script stopped by a limit says which limit (Rhai's own
/// message is only "Script terminated").
fn describe_error(e: &rhai::EvalAltResult) -> String {
    use rhai::EvalAltResult as E;
    match e {
        E::ErrorTerminated(reason, pos) => format!("{reason} ({pos})"),
        E::ErrorInFunctionCall(_, _, inner, _) if terminated(inner).is_some() => describe_error(inner),
        _ => e.to_string(),
    }
}

fn terminated(e: &rhai::EvalAltResult) -> Option<&rhai::EvalAltResult> {
    use rhai::EvalAltResult as E;
    match e {
        E::ErrorTerminated(..) => Some(e),
        E::ErrorInFunctionCall(_, _, inner, _) => terminated(inner),
        _ => None,
    }
}
