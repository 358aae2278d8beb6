//! Missing facts, enforced: which reads of an expression ([`crate::analysis`]) the input lacks,
//! and the three-valued evaluation of an expression that reads some of them.
//!
//! An expression whose strict reads are all present is evaluated as it is. One that reads an
//! absent fact is evaluated over its boolean skeleton ([`crate::analysis::logic`]): a leaf that
//! reads an absent fact is *missing*, and `false && missing` is `false`, `true || missing` is
//! `true`, `if` picks its branch on a known condition, `??` falls through. What is still missing
//! at the top makes the expression missing, naming the facts (a derived fact that is missing
//! passes on the facts that made it so).

use std::collections::{BTreeSet, HashMap};

use rhai::{Dynamic, Engine, Scope};
use triage_facts::Fact;

use crate::analysis::logic::Node;
use crate::analysis::Target;
use crate::finding::MissingFact;
use crate::pack::{Expr, Pack};
use crate::runtime::Runtime;
use crate::sandbox::{self, InputFacts, ReadRef};

/// What one evaluation knows about absence: each missing derived fact's missing facts, and the
/// presence of registry keys and signals looked up so far.
pub(crate) struct Absence<'a> {
    input: &'a InputFacts,
    pack: &'a Pack,
    derived: HashMap<String, BTreeSet<Target>>,
    cache: HashMap<Target, bool>,
}

/// The value of one node of the skeleton.
pub(crate) enum Tri {
    Value(Dynamic),
    Missing(BTreeSet<Target>),
    Error(String),
}

impl<'a> Absence<'a> {
    pub(crate) fn new(input: &'a InputFacts, pack: &'a Pack) -> Self {
        Absence { input, pack, derived: HashMap::new(), cache: HashMap::new() }
    }

    pub(crate) fn input(&self) -> &'a InputFacts {
        self.input
    }

    /// Records that a derived fact is missing, for the facts `missing`.
    pub(crate) fn derived_missing(&mut self, name: &str, missing: BTreeSet<Target>) {
        self.derived.insert(name.to_owned(), missing);
    }

    /// The facts (never derived facts) that `strict` reads and the input lacks.
    pub(crate) fn absent(&mut self, strict: &BTreeSet<Target>) -> BTreeSet<Target> {
        let mut out = BTreeSet::new();
        for t in strict {
            match t {
                Target::Fact(segments) => {
                    if fact_absent(&self.input.facts.root, segments) {
                        out.insert(t.clone());
                    }
                }
                Target::Registry(_) | Target::Signal(_) => {
                    let present = match self.cache.get(t) {
                        Some(p) => *p,
                        None => {
                            let p = self.present(t);
                            self.cache.insert(t.clone(), p);
                            p
                        }
                    };
                    if !present {
                        out.insert(t.clone());
                    }
                }
                Target::Derived(name) => {
                    if let Some(m) = self.derived.get(name) {
                        out.extend(m.iter().cloned());
                    }
                }
            }
        }
        out
    }

    fn present(&self, t: &Target) -> bool {
        match t {
            // Covered by an export: the key itself or a parent key appears in one.
            Target::Registry(key) => {
                let key = key.trim().trim_matches('\\');
                let mut prefix = key;
                loop {
                    if self.input.has_registry_key(prefix) {
                        return true;
                    }
                    match prefix.rfind('\\') {
                        Some(i) => prefix = &prefix[..i],
                        None => return false,
                    }
                }
            }
            // A log of the signal's kind was scanned: the collectors then write its match list,
            // empty or not.
            Target::Signal(name) => {
                let id = format!("{}/{}", self.pack.manifest.id, name);
                self.input
                    .facts
                    .root
                    .get("signals")
                    .and_then(Fact::as_map)
                    .is_some_and(|m| m.contains_key(&id))
            }
            Target::Fact(segments) => !fact_absent(&self.input.facts.root, segments),
            Target::Derived(name) => !self.derived.contains_key(name),
        }
    }

    /// What a missing target asks the admin to collect.
    pub(crate) fn describe(&self, t: &Target, providers: &dyn Fn(&str) -> Option<String>) -> MissingFact {
        match t {
            Target::Fact(segments) => {
                let fact = Target::dotted(segments);
                MissingFact { artifact: providers(&fact), fact }
            }
            Target::Registry(key) => MissingFact {
                fact: format!("registry:{key}"),
                artifact: Some(format!("a registry export of {key} (reg export \"{key}\" FILE.reg)")),
            },
            Target::Signal(name) => {
                let log = self.pack.signals.iter().find(|s| &s.name == name).map(|s| s.log.clone());
                let artifact = log.as_ref().and_then(|l| {
                    providers(&format!("logs.{l}")).or_else(|| {
                        let kind = self.pack.log_kinds.iter().find(|k| &k.name == l)?;
                        Some(format!("a log file named like {}", kind.files.join(" or ")))
                    })
                });
                let fact = match log {
                    Some(l) => format!("signal {name} (a `{l}` log)"),
                    None => format!("signal {name}"),
                };
                MissingFact { fact, artifact }
            }
            Target::Derived(name) => MissingFact { fact: format!("derive.{name}"), artifact: None },
        }
    }
}

/// Whether a map lacks a key on the way down `segments`. A value that is there but is not a map
/// (`facts.os.build.nope` on an integer) is not absence: reading into it is the expression's
/// error, which evaluating it reports.
fn fact_absent(root: &std::collections::BTreeMap<String, Fact>, segments: &[String]) -> bool {
    let mut map = root;
    for s in segments {
        match map.get(s) {
            None => return true,
            Some(f) => match f.as_map() {
                Some(m) => map = m,
                None => return false,
            },
        }
    }
    false
}

/// What evaluating a skeleton needs from the evaluator.
pub(crate) struct Skeleton<'e> {
    pub engine: &'e Engine,
    pub describe_error: &'e dyn Fn(&rhai::EvalAltResult) -> String,
}

impl Skeleton<'_> {
    /// Evaluates `node` three-valued (see the module docs); `reads` collects what the helpers
    /// of the evaluated leaves read.
    pub(crate) fn evaluate(
        &self,
        rt: &mut Runtime,
        scope: &mut Scope<'_>,
        node: &Node,
        absence: &mut Absence<'_>,
        reads: &mut Vec<ReadRef>,
    ) -> Tri {
        match node {
            Node::Leaf(leaf) => {
                let absent = absence.absent(&leaf.strict);
                if !absent.is_empty() {
                    return Tri::Missing(absent);
                }
                // Spends the budget in force (the rule's or derived fact's, see `sandbox::budget`).
                let r = rt.eval(self.engine, scope, &leaf.ast);
                reads.extend(sandbox::take_reads());
                match r {
                    Ok(d) => Tri::Value(d),
                    Err(e) => Tri::Error((self.describe_error)(&e)),
                }
            }
            Node::And(ops) | Node::Or(ops) => {
                // `&&` is decided by a false operand, `||` by a true one.
                let decides = matches!(node, Node::Or(_));
                let mut missing = BTreeSet::new();
                let mut error = None;
                for o in ops {
                    match self.evaluate(rt, scope, o, absence, reads) {
                        Tri::Value(d) => match d.as_bool() {
                            Ok(b) if b == decides => return Tri::Value(Dynamic::from_bool(b)),
                            Ok(_) => {}
                            Err(t) => {
                                error.get_or_insert_with(|| {
                                    format!("an operand of `&&`/`||` is {t}, not a bool")
                                });
                            }
                        },
                        Tri::Missing(m) => missing.extend(m),
                        Tri::Error(e) => {
                            error.get_or_insert(e);
                        }
                    }
                }
                match error {
                    Some(e) => Tri::Error(e),
                    None if !missing.is_empty() => Tri::Missing(missing),
                    None => Tri::Value(Dynamic::from_bool(!decides)),
                }
            }
            Node::Not(inner) => match self.evaluate(rt, scope, inner, absence, reads) {
                Tri::Value(d) => match d.as_bool() {
                    Ok(b) => Tri::Value(Dynamic::from_bool(!b)),
                    Err(t) => Tri::Error(format!("`!` of {t}, not a bool")),
                },
                other => other,
            },
            Node::If { cond, then, otherwise } => match self.evaluate(rt, scope, cond, absence, reads) {
                Tri::Value(d) => match d.as_bool() {
                    Ok(true) => self.evaluate(rt, scope, then, absence, reads),
                    Ok(false) => match otherwise {
                        Some(o) => self.evaluate(rt, scope, o, absence, reads),
                        None => Tri::Value(Dynamic::UNIT),
                    },
                    Err(t) => Tri::Error(format!("the condition of `if` is {t}, not a bool")),
                },
                other => other,
            },
            Node::Coalesce(ops) => {
                for o in ops {
                    match self.evaluate(rt, scope, o, absence, reads) {
                        Tri::Value(d) if d.is_unit() => {}
                        other => return other,
                    }
                }
                Tri::Value(Dynamic::UNIT)
            }
        }
    }
}

/// Whether `expr` reads anything the input lacks (before evaluating it).
pub(crate) fn absent_reads(expr: &Expr, absence: &mut Absence<'_>) -> BTreeSet<Target> {
    absence.absent(&expr.analysis.reads.strict)
}
