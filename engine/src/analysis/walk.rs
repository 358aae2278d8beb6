//! The walk over one compiled expression that finds what it reads ([`Reads`]).
//!
//! Names in scope are `facts`, `data`, `record` (in a `where`), the pack's derived facts, and
//! `signals` / `signal_counts` (what the loader rewrites `signal("x")` and
//! `signal("x").len()` into); closure parameters are locals. A property chain on `facts` is a
//! fact path as far as its segments are literal (`facts.os.build`, `facts["os"].build`,
//! `facts.registry["HKLM\…"]`); closure bodies (anonymous functions of the AST) are walked as
//! part of the expression.

use rhai::{Expr, Stmt, Token, AST};

use super::{logic, Analysis, Comparison, Reads, RegistryRead, Target};
use crate::pack::{Derived, Expr as PackExpr};

/// What an expression of a loaded pack reads.
pub fn reads(expr: &PackExpr) -> &Reads {
    &expr.analysis.reads
}

/// A pack expression from its text and final AST (after the loader's rewrites), with what it
/// reads; `derived` are the derived facts in scope.
pub(crate) fn pack_expr(
    text: String,
    ast: std::sync::Arc<AST>,
    loc: crate::pack::Loc,
    derived: &[Derived],
) -> PackExpr {
    let analysis = analyse(&ast, derived);
    let derived_refs = derived
        .iter()
        .enumerate()
        .filter(|(_, d)| analysis.reads.derived.contains(&d.name))
        .map(|(i, _)| i)
        .collect();
    PackExpr {
        text,
        ast,
        loc,
        fact_paths: analysis.reads.facts.iter().cloned().collect(),
        derived_refs,
        signals: analysis.reads.signals.iter().cloned().collect(),
        analysis: std::sync::Arc::new(analysis),
    }
}

/// Analyses a compiled expression; `derived` are the derived facts in scope (defined before).
pub(crate) fn analyse(ast: &AST, derived: &[Derived]) -> Analysis {
    let mut w = Walker { derived, reads: Reads::default() };
    for s in ast.statements() {
        w.stmt(s, false);
    }
    // Closure bodies: reads made when a helper calls them back.
    for f in ast.iter_fn_def() {
        let mut m = rhai::Module::new();
        m.set_script_fn(f.clone());
        let body = AST::new_from_module(m);
        body.walk(&mut |path: &[rhai::ASTNode<'_>]| {
            // Only the top statements of the body: `stmt` recurses itself.
            if path.len() == 1 {
                if let Some(rhai::ASTNode::Stmt(s)) = path.first() {
                    w.stmt(s, false);
                }
            }
            true
        });
    }
    let constant = match ast.statements() {
        [Stmt::Expr(e)] => const_str(e, derived),
        [Stmt::FnCall(c, pos)] => const_str(&Expr::FnCall(c.clone(), *pos), derived),
        _ => None,
    };
    let logic = (!w.reads.strict.is_empty()).then(|| logic::Node::build(ast, derived)).flatten();
    Analysis { reads: w.reads, constant, logic }
}

/// Reads of one sub-expression (for the leaves of [`logic::Node`]).
pub(crate) fn strict_of_stmt(s: &Stmt, derived: &[Derived]) -> std::collections::BTreeSet<Target> {
    let mut w = Walker { derived, reads: Reads::default() };
    w.stmt(s, false);
    w.reads.strict
}

struct Walker<'a> {
    derived: &'a [Derived],
    reads: Reads,
}

/// How a chain element is reached from the one before.
#[derive(Clone, Copy, PartialEq)]
enum Step {
    Dot,
    Index,
}

impl Walker<'_> {
    fn is_derived(&self, name: &str) -> bool {
        self.derived.iter().any(|d| d.name == name)
    }

    fn target(&mut self, t: Target, guarded: bool) {
        if !guarded {
            self.reads.strict.insert(t);
        }
    }

    fn stmt(&mut self, s: &Stmt, guarded: bool) {
        match s {
            Stmt::Expr(e) => self.expr(e, guarded),
            Stmt::FnCall(c, _) => self.call(c, guarded),
            Stmt::If(fc, _) | Stmt::While(fc, _) | Stmt::Do(fc, _, _) | Stmt::TryCatch(fc, _) => {
                self.expr(&fc.expr, guarded);
                self.block(fc.body.statements(), guarded);
                self.block(fc.branch.statements(), guarded);
            }
            Stmt::For(x, _) => {
                self.expr(&x.2.expr, guarded);
                self.block(x.2.body.statements(), guarded);
            }
            Stmt::Switch(x, _) => {
                self.expr(&x.0, guarded);
                for b in x.1.expressions.iter() {
                    self.expr(&b.lhs, guarded);
                    self.expr(&b.rhs, guarded);
                }
            }
            Stmt::Var(x, _, _) => self.expr(&x.1, guarded),
            Stmt::Assignment(x) => {
                self.expr(&x.1.lhs, guarded);
                self.expr(&x.1.rhs, guarded);
            }
            Stmt::Block(b) => self.block(b.statements(), guarded),
            Stmt::BreakLoop(Some(e), _, _) | Stmt::Return(Some(e), _, _) => self.expr(e, guarded),
            _ => {}
        }
    }

    fn block(&mut self, stmts: &[Stmt], guarded: bool) {
        for s in stmts {
            self.stmt(s, guarded);
        }
    }

    fn expr(&mut self, e: &Expr, guarded: bool) {
        match e {
            Expr::Variable(v, idx, _) => {
                let name = v.1.as_str();
                if idx.is_none() && v.0.is_none() && self.is_derived(name) {
                    self.reads.derived.insert(name.to_owned());
                    self.target(Target::Derived(name.to_owned()), guarded);
                }
            }
            Expr::Dot(..) | Expr::Index(..) => self.chain(e, guarded),
            Expr::FnCall(c, _) => self.call(c, guarded),
            Expr::MethodCall(c, _) => {
                self.reads.functions.insert(c.name.to_string());
                for a in c.args.iter() {
                    self.expr(a, guarded);
                }
            }
            Expr::And(ops, _) | Expr::Or(ops, _) => {
                for o in ops.iter() {
                    self.expr(o, guarded);
                }
            }
            Expr::Coalesce(ops, _) => {
                let last = ops.len().saturating_sub(1);
                for (i, o) in ops.iter().enumerate() {
                    self.expr(o, guarded || i < last);
                }
            }
            Expr::InterpolatedString(parts, _) | Expr::Array(parts, _) => {
                for p in parts.iter() {
                    self.expr(p, guarded);
                }
            }
            Expr::Map(m, _) => {
                for (_, v) in m.0.iter() {
                    self.expr(v, guarded);
                }
            }
            Expr::Stmt(b) => self.block(b.statements(), guarded),
            _ => {}
        }
    }

    /// A property/index chain: `root.a["b"].c(…)…`.
    fn chain(&mut self, e: &Expr, guarded: bool) {
        let (root, mut step, mut rest) = match e {
            Expr::Dot(b, _, _) => (&b.lhs, Step::Dot, &b.rhs),
            Expr::Index(b, _, _) => (&b.lhs, Step::Index, &b.rhs),
            _ => return,
        };
        let root_name = match root {
            Expr::Variable(v, None, _) if v.0.is_none() => Some(v.1.as_str()),
            _ => {
                self.expr(root, guarded);
                None
            }
        };
        let mut segments: Vec<String> = Vec::new();
        let mut literal = true;
        loop {
            let (elem, next) = match rest {
                Expr::Dot(b, _, _) => (&b.lhs, Some((Step::Dot, &b.rhs))),
                Expr::Index(b, _, _) => (&b.lhs, Some((Step::Index, &b.rhs))),
                other => (other, None),
            };
            match (step, elem) {
                (Step::Dot, Expr::Property(p, _)) if literal => segments.push(p.2.to_string()),
                (Step::Index, Expr::StringConstant(s, _)) if literal => segments.push(s.to_string()),
                (Step::Dot, Expr::Property(..)) => {}
                (_, Expr::MethodCall(c, _)) => {
                    literal = false;
                    self.reads.functions.insert(c.name.to_string());
                    for a in c.args.iter() {
                        self.expr(a, guarded);
                    }
                }
                (_, other) => {
                    literal = false;
                    self.expr(other, guarded);
                }
            }
            match next {
                Some((s, r)) => {
                    step = s;
                    rest = r;
                }
                None => break,
            }
        }
        let Some(root_name) = root_name else { return };
        match root_name {
            "facts" if !segments.is_empty() => self.fact_path(segments, guarded),
            "signals" | "signal_counts" if !segments.is_empty() => {
                self.reads.signals.insert(segments[0].clone());
                self.target(Target::Signal(segments[0].clone()), guarded);
            }
            "data" if !segments.is_empty() => {
                self.reads.data.insert(segments[0].clone());
            }
            "record" if segments.first().map(String::as_str) == Some("fields") => {
                if let Some(f) = segments.get(1) {
                    self.reads.record_fields.insert(f.clone());
                }
            }
            name if self.is_derived(name) => {
                self.reads.derived.insert(name.to_owned());
                self.target(Target::Derived(name.to_owned()), guarded);
            }
            _ => {}
        }
    }

    fn fact_path(&mut self, segments: Vec<String>, guarded: bool) {
        if segments[0] == "registry" && segments.len() >= 2 {
            let key = segments[1].clone();
            self.reads.registry.insert(RegistryRead { key: key.clone(), value: segments.get(2).cloned() });
            self.target(Target::Registry(key), guarded);
            return;
        }
        self.reads.facts.insert(Target::dotted(&segments));
        self.target(Target::Fact(segments), guarded);
    }

    fn call(&mut self, c: &rhai::FnCallExpr, guarded: bool) {
        let args = &c.args[..];
        if let Some(op) = &c.op_token {
            let unit = |e: &Expr| matches!(e, Expr::Unit(_));
            if let (Token::EqualsTo | Token::NotEqualsTo, [l, r]) = (op, args) {
                if unit(l) || unit(r) {
                    self.expr(l, true);
                    self.expr(r, true);
                    return;
                }
            }
            if let [l, r] = args {
                if is_comparison(op) {
                    self.comparison(op, l, r);
                    self.comparison(op, r, l);
                }
            }
            for a in args {
                self.expr(a, guarded);
            }
            return;
        }
        let name = c.name.as_str();
        self.reads.functions.insert(name.to_owned());
        let lit = |i: usize| match args.get(i) {
            Some(Expr::StringConstant(s, _)) => Some(s.to_string()),
            _ => None,
        };
        match name {
            "type_of" => {
                for a in args {
                    self.expr(a, true);
                }
                return;
            }
            "fact" => match lit(0) {
                Some(path) if args.len() == 1 => {
                    let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
                    if segments.iter().all(|s| !s.is_empty()) {
                        self.fact_path(segments, guarded);
                    }
                    return;
                }
                _ => self.reads.dynamic = true,
            },
            "has" => {
                if let Some(path) = lit(0) {
                    self.reads.facts.insert(path);
                    return;
                }
            }
            "reg" | "reg_dword" | "reg_str" | "reg_values" | "reg_key_exists" => {
                let key = args.first().and_then(|k| const_str(k, self.derived));
                let value = args.get(1).and_then(|v| const_str(v, self.derived));
                match key {
                    Some(key) => {
                        self.reads.registry.insert(RegistryRead { key: key.clone(), value });
                        if name != "reg_key_exists" {
                            self.target(Target::Registry(key), guarded);
                        }
                    }
                    None => self.reads.dynamic = true,
                }
            }
            "signal" => {
                if let Some(s) = lit(0) {
                    self.reads.signals.insert(s.clone());
                    self.target(Target::Signal(s), guarded);
                    return;
                }
            }
            "matches" | "capture" => {
                if let Some(re) = lit(1) {
                    self.reads.regexes.insert(re);
                }
            }
            _ => {}
        }
        for a in args {
            self.expr(a, guarded);
        }
    }

    /// Records `fact <op> literal` when `fact` is a fact path and `literal` a literal.
    fn comparison(&mut self, op: &Token, fact: &Expr, literal: &Expr) {
        let (kind, text) = match literal {
            Expr::IntegerConstant(i, _) => ("int", i.to_string()),
            Expr::FloatConstant(f, _) => ("float", f.to_string()),
            Expr::StringConstant(s, _) => ("string", format!("{:?}", s.as_str())),
            Expr::BoolConstant(b, _) => ("bool", b.to_string()),
            Expr::CharConstant(c, _) => ("char", format!("{c:?}")),
            _ => return,
        };
        let Some(path) = fact_path_of(fact) else { return };
        self.reads.comparisons.push(Comparison {
            fact: path,
            op: op.literal_syntax().to_owned(),
            literal: kind,
            text,
        });
    }
}

fn is_comparison(op: &Token) -> bool {
    matches!(
        op,
        Token::EqualsTo
            | Token::NotEqualsTo
            | Token::LessThan
            | Token::LessThanEqualsTo
            | Token::GreaterThan
            | Token::GreaterThanEqualsTo
    )
}

/// The dotted fact path an expression is, when it is exactly one (`facts.os.build`,
/// `fact("os.build")`).
fn fact_path_of(e: &Expr) -> Option<String> {
    match e {
        Expr::FnCall(c, _) if c.op_token.is_none() && c.name == "fact" && c.args.len() == 1 => {
            match &c.args[0] {
                Expr::StringConstant(s, _) => Some(s.to_string()),
                _ => None,
            }
        }
        Expr::Dot(b, _, _) => {
            match &b.lhs {
                Expr::Variable(v, None, _) if v.0.is_none() && v.1 == "facts" => {}
                _ => return None,
            }
            let mut segments = Vec::new();
            let mut rest = &b.rhs;
            loop {
                match rest {
                    Expr::Property(p, _) => {
                        segments.push(p.2.to_string());
                        break;
                    }
                    Expr::Dot(x, _, _) => match &x.lhs {
                        Expr::Property(p, _) => {
                            segments.push(p.2.to_string());
                            rest = &x.rhs;
                        }
                        _ => return None,
                    },
                    _ => return None,
                }
            }
            Some(segments.join("."))
        }
        _ => None,
    }
}

/// Constant strings longer than this are not folded: the analysis needs registry keys and value
/// names (a few hundred bytes), and a pack that doubles a string in every derived fact would
/// otherwise make loading keep a copy of a megabyte per expression that reads it.
pub(crate) const MAX_CONSTANT: usize = 4096;

/// The value of an expression that is a constant string of at most [`MAX_CONSTANT`] bytes: a
/// literal, a derived fact that is one, or `+` of two such.
pub(crate) fn const_str(e: &Expr, derived: &[Derived]) -> Option<String> {
    let s = match e {
        Expr::StringConstant(s, _) => (s.len() <= MAX_CONSTANT).then(|| s.to_string())?,
        Expr::Variable(v, None, _) if v.0.is_none() => {
            derived.iter().rev().find(|d| d.name == v.1.as_str())?.expr.analysis.constant.clone()?
        }
        Expr::FnCall(c, _) if c.op_token == Some(Token::Plus) && c.args.len() == 2 => {
            let (a, b) = (const_str(&c.args[0], derived)?, const_str(&c.args[1], derived)?);
            (a.len() + b.len() <= MAX_CONSTANT).then(|| a + b.as_str())?
        }
        _ => return None,
    };
    Some(s)
}
