//! Which rules a change to a derived fact, signal, `[data]` key or log kind can change.
//!
//! STAND-IN, to be replaced by the engine's dependency graph (`engine/src/analysis`,
//! `Pack::dependencies().affected_rules(..)`, built on Rhai's AST) once it is on main: this
//! builds the same shape of graph (rule ← derived facts ← signals, data, log kinds) from the
//! names each compiled expression already records (`Expr::derived_refs`, `Expr::signals`) and,
//! for `[data]`, from `data.KEY` / `data["KEY"]` in the expression's text.

use std::collections::{BTreeMap, BTreeSet};

use triage_engine::pack::{Expr, Need, TemplatePart};
use triage_engine::Pack;

/// A part of a pack other than a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Derived(String),
    Signal(String),
    Data(String),
    LogKind(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Rule(String),
    Part(Part),
}

/// What each rule, derived fact and signal reads directly.
#[derive(Debug, Default)]
pub struct Graph {
    reads: BTreeMap<Node, BTreeSet<Node>>,
}

impl Graph {
    pub fn of(pack: &Pack) -> Graph {
        let data_keys: Vec<String> =
            pack.data_json.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
        let expr = |e: &Expr| -> BTreeSet<Node> {
            let mut n = BTreeSet::new();
            for &i in &e.derived_refs {
                if let Some(d) = pack.derived.get(i) {
                    n.insert(Node::Part(Part::Derived(d.name.clone())));
                }
            }
            n.extend(e.signals.iter().map(|s| Node::Part(Part::Signal(s.clone()))));
            n.extend(
                data_keys
                    .iter()
                    .filter(|k| reads_data(&e.text, k))
                    .map(|k| Node::Part(Part::Data(k.clone()))),
            );
            n
        };
        let mut reads = BTreeMap::new();
        for d in &pack.derived {
            reads.insert(Node::Part(Part::Derived(d.name.clone())), expr(&d.expr));
        }
        for s in &pack.signals {
            let mut n = s.filter.as_ref().map(expr).unwrap_or_default();
            n.insert(Node::Part(Part::LogKind(s.log.clone())));
            reads.insert(Node::Part(Part::Signal(s.name.clone())), n);
        }
        for r in &pack.rules {
            let mut n = BTreeSet::new();
            for e in r.clauses.iter().chain(&r.applies_if) {
                n.extend(expr(e));
            }
            for p in &r.resolution.parts {
                if let TemplatePart::Expr(e) = p {
                    n.extend(expr(e));
                }
            }
            for req in &r.requires {
                for need in &req.needs {
                    if let Need::Derived(i) = need {
                        if let Some(d) = pack.derived.get(*i) {
                            n.insert(Node::Part(Part::Derived(d.name.clone())));
                        }
                    }
                }
            }
            reads.insert(Node::Rule(r.id.to_string()), n);
        }
        Graph { reads }
    }

    /// The rules a change to `part` can affect, sorted. Linear in the graph per rule: each
    /// rule's reads are walked once, with a visited set.
    pub fn affected_rules(&self, part: &Part) -> BTreeSet<String> {
        let target = Node::Part(part.clone());
        let mut out = BTreeSet::new();
        for start in self.reads.keys() {
            let Node::Rule(id) = start else { continue };
            let mut seen = BTreeSet::new();
            let mut stack = vec![start];
            while let Some(n) = stack.pop() {
                if *n == target {
                    out.insert(id.clone());
                    break;
                }
                if seen.insert(n) {
                    stack.extend(self.reads.get(n).into_iter().flatten());
                }
            }
        }
        out
    }
}

/// Whether `text` reads `data.KEY`, `data?.KEY` or `data["KEY"]` (not `mydata.KEY`).
fn reads_data(text: &str, key: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices("data").any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
            return false;
        }
        let rest = &text[i + 4..];
        let rest = rest.strip_prefix('?').unwrap_or(rest);
        if let Some(r) = rest.strip_prefix('.') {
            r.strip_prefix(key)
                .is_some_and(|after| !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        } else {
            rest.strip_prefix('[').is_some_and(|r| {
                let r = r.trim_start();
                r.strip_prefix('"').and_then(|r| r.strip_prefix(key)).is_some_and(|r| r.starts_with('"'))
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_reads_are_found_by_name() {
        assert!(reads_data("facts.x > data.min_build", "min_build"));
        assert!(reads_data("data?.min_build", "min_build"));
        assert!(reads_data(r#"data["min_build"] > 1"#, "min_build"));
        assert!(!reads_data("data.min_build_2", "min_build"));
        assert!(!reads_data("mydata.min_build", "min_build"));
        assert!(!reads_data("facts.data.min_build", "min_build"));
    }

    #[test]
    fn rules_are_found_through_derived_facts_signals_and_log_kinds() {
        let text = r#"
[pack]
id = "g"
version = "1.0.0"
engine = ">=0.1"
title = "g"
[data]
min = 1
other = 2
[log_kinds.app]
files = ["app.log"]
record_start = '^\d'
[signals.boom]
log = "app"
pattern = 'boom'
[derive]
old = 'facts.os.build < data.min'
both = 'old && signal("boom").len() > 0'
[[rule]]
id = "G001"
title = "t"
severity = "info"
when = 'both'
resolution = "x"
[[rule]]
id = "G002"
title = "t"
severity = "info"
when = 'data.other == 2'
resolution = "x"
"#;
        let loaded = triage_engine::load_pack(
            vec![triage_engine::SourceFile::new("pack.toml", text)],
            &Default::default(),
        );
        let pack = loaded.pack.expect("loads");
        let g = Graph::of(&pack);
        let ids = |p: Part| g.affected_rules(&p).into_iter().collect::<Vec<_>>();
        assert_eq!(ids(Part::Data("min".into())), ["G001"]);
        assert_eq!(ids(Part::Data("other".into())), ["G002"]);
        assert_eq!(ids(Part::LogKind("app".into())), ["G001"]);
        assert_eq!(ids(Part::Signal("boom".into())), ["G001"]);
        assert_eq!(ids(Part::Derived("old".into())), ["G001"]);
        assert!(ids(Part::Derived("nothing".into())).is_empty());
    }
}
