//! A pack's dependency graph: rule ← derived facts ← signals, data, facts — what each part
//! reads directly, and from it which rules a change to any part affects (`pack diff`) and what
//! a rule reads transitively (`explain`).

use std::collections::{BTreeMap, BTreeSet};

use crate::pack::{Expr, Need, Pack, TemplatePart};

/// One part of a pack, or a fact it reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Rule(String),
    Derived(String),
    Signal(String),
    /// A pack-defined or built-in log kind (a signal's `log`).
    LogKind(String),
    /// A top-level key of `[data]`.
    Data(String),
    /// A fact path, dotted.
    Fact(String),
    /// A registry key as written.
    Registry(String),
}

/// What every rule, derived fact and signal of a pack reads directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    pub reads: BTreeMap<Node, BTreeSet<Node>>,
}

impl Dependencies {
    pub fn of(pack: &Pack) -> Self {
        let mut reads: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
        for d in &pack.derived {
            reads.insert(Node::Derived(d.name.clone()), expr_nodes(&d.expr));
        }
        for s in &pack.signals {
            let mut n = s.filter.as_ref().map(expr_nodes).unwrap_or_default();
            n.insert(Node::LogKind(s.log.clone()));
            reads.insert(Node::Signal(s.name.clone()), n);
        }
        for r in &pack.rules {
            let mut n = BTreeSet::new();
            let exprs = r.conditions().chain(r.resolution.parts.iter().filter_map(|p| match p {
                TemplatePart::Expr(e) => Some(e),
                TemplatePart::Text(_) => None,
            }));
            for e in exprs {
                n.extend(expr_nodes(e));
            }
            for req in r.requires.iter().chain(r.confirm.iter().filter_map(|c| c.requirement.as_ref())) {
                for need in &req.needs {
                    n.insert(match need {
                        Need::Fact(p) => Node::Fact(p.clone()),
                        Need::RegistryKey(k) => Node::Registry(k.clone()),
                        Need::Derived(i) => match pack.derived.get(*i) {
                            Some(d) => Node::Derived(d.name.clone()),
                            None => continue,
                        },
                    });
                }
            }
            reads.insert(Node::Rule(r.id.to_string()), n);
        }
        Dependencies { reads }
    }

    /// Everything `node` reads, directly or through derived facts and signals.
    pub fn transitive(&self, node: &Node) -> BTreeSet<Node> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&Node> = self.reads.get(node).into_iter().flatten().collect();
        while let Some(n) = stack.pop() {
            if seen.insert(n.clone()) {
                stack.extend(self.reads.get(n).into_iter().flatten());
            }
        }
        seen
    }

    /// The rules whose outcome a change to `node` can change (IDs, sorted).
    pub fn affected_rules(&self, node: &Node) -> BTreeSet<String> {
        self.reads
            .keys()
            .filter_map(|k| match k {
                Node::Rule(id) if k == node || self.transitive(k).contains(node) => Some(id.clone()),
                _ => None,
            })
            .collect()
    }
}

fn expr_nodes(e: &Expr) -> BTreeSet<Node> {
    let r = &e.analysis.reads;
    let mut n = BTreeSet::new();
    n.extend(r.derived.iter().cloned().map(Node::Derived));
    n.extend(r.signals.iter().cloned().map(Node::Signal));
    n.extend(r.data.iter().cloned().map(Node::Data));
    n.extend(r.facts.iter().cloned().map(Node::Fact));
    n.extend(r.registry.iter().map(|k| Node::Registry(k.key.clone())));
    n
}

impl Pack {
    /// The pack's dependency graph.
    pub fn dependencies(&self) -> Dependencies {
        Dependencies::of(self)
    }
}
