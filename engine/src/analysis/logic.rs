//! The boolean skeleton of an expression: `&&`, `||`, `!`, `if … else`, `??` over leaves that are
//! ordinary sub-expressions, each compiled on its own.
//!
//! When an expression reads a fact the input lacks, the evaluator walks this skeleton instead of
//! evaluating the whole expression ([`crate::eval`]): a leaf whose strict reads are absent is
//! *missing*, the others are evaluated by Rhai, and the skeleton combines them the way Kleene's
//! three-valued logic does — `false && missing` is `false`, `true || missing` is `true`,
//! `if known { a } else { missing }` is `a`. So a part that is false on present facts decides,
//! and only a value that depends on a missing fact is missing.

use std::collections::BTreeSet;
use std::sync::Arc;

use rhai::{Expr, Stmt, Token, AST};

use super::walk::strict_of_stmt;
use super::Target;
use crate::pack::Derived;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    If { cond: Box<Node>, then: Box<Node>, otherwise: Option<Box<Node>> },
    Coalesce(Vec<Node>),
    Leaf(Leaf),
}

/// A sub-expression evaluated on its own, with the reads whose absence makes it missing.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub ast: Arc<AST>,
    pub strict: BTreeSet<Target>,
}

/// Skeletons deeper than this are cut into leaves (expressions are bounded at load anyway).
const MAX_DEPTH: usize = 32;

impl Node {
    /// The skeleton of `ast`, or `None` when it is a single leaf (the whole expression).
    pub(crate) fn build(ast: &AST, derived: &[Derived]) -> Option<Node> {
        let b = Builder { lib: ast.shared_lib().clone(), derived };
        let node = match ast.statements() {
            [s] => b.stmt(s, 0),
            _ => return None,
        };
        (!matches!(node, Node::Leaf(_))).then_some(node)
    }
}

struct Builder<'a> {
    lib: rhai::Shared<rhai::Module>,
    derived: &'a [Derived],
}

impl Builder<'_> {
    fn leaf(&self, s: Stmt) -> Node {
        let strict = strict_of_stmt(&s, self.derived);
        Node::Leaf(Leaf { ast: Arc::new(AST::new([s], self.lib.clone())), strict })
    }

    /// A leaf whose absent reads give `()`, as `??` expects, rather than missing.
    fn handled_leaf(&self, e: &Expr) -> Node {
        let s = Stmt::Expr(Box::new(e.clone()));
        Node::Leaf(Leaf { ast: Arc::new(AST::new([s], self.lib.clone())), strict: BTreeSet::new() })
    }

    fn stmt(&self, s: &Stmt, depth: usize) -> Node {
        if depth > MAX_DEPTH {
            return self.leaf(s.clone());
        }
        match s {
            Stmt::Expr(e) => self.expr(e, depth),
            Stmt::FnCall(c, pos) => self.expr(&Expr::FnCall(c.clone(), *pos), depth),
            Stmt::If(fc, _) => {
                let otherwise = match fc.branch.statements() {
                    [] => None,
                    [one] => Some(Box::new(self.stmt(one, depth + 1))),
                    _ => return self.leaf(s.clone()),
                };
                let then = match fc.body.statements() {
                    [one] => self.stmt(one, depth + 1),
                    _ => return self.leaf(s.clone()),
                };
                Node::If { cond: Box::new(self.expr(&fc.expr, depth + 1)), then: Box::new(then), otherwise }
            }
            Stmt::Block(b) => match b.statements() {
                [one] => self.stmt(one, depth + 1),
                _ => self.leaf(s.clone()),
            },
            _ => self.leaf(s.clone()),
        }
    }

    fn expr(&self, e: &Expr, depth: usize) -> Node {
        if depth > MAX_DEPTH {
            return self.leaf(Stmt::Expr(Box::new(e.clone())));
        }
        let all = |ops: &[Expr]| ops.iter().map(|o| self.expr(o, depth + 1)).collect::<Vec<_>>();
        match e {
            Expr::And(ops, _) => Node::And(all(ops)),
            Expr::Or(ops, _) => Node::Or(all(ops)),
            // Every operand but the last handles absence (`x ?? default`).
            Expr::Coalesce(ops, _) => {
                let last = ops.len().saturating_sub(1);
                Node::Coalesce(
                    ops.iter()
                        .enumerate()
                        .map(|(i, o)| if i < last { self.handled_leaf(o) } else { self.expr(o, depth + 1) })
                        .collect(),
                )
            }
            Expr::FnCall(c, _) if c.op_token == Some(Token::Bang) && c.args.len() == 1 => {
                Node::Not(Box::new(self.expr(&c.args[0], depth + 1)))
            }
            Expr::Stmt(b) => match b.statements() {
                [one] => self.stmt(one, depth + 1),
                _ => self.leaf(Stmt::Expr(Box::new(e.clone()))),
            },
            _ => self.leaf(Stmt::Expr(Box::new(e.clone()))),
        }
    }
}
