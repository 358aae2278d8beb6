//! A fast path for the simplest conditions, which most rules are: names (`facts`, `data`,
//! derived facts), `a.b.c` property chains on maps, integer, string and bool literals,
//! comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`) between two integers, two strings or two bools,
//! `name["key"]` on a map, `!`, `&&` and `||`, the pure helpers `version_cmp` and `contains_ci`
//! (whose list is read in place, not copied as a Rhai call copies its arguments), and the
//! helpers that read facts `has`, `reg`, `reg_dword` and `reg_str` —
//! `facts.os.build < 9600 && facts.os.product == "server"`, `os_in_scope && !tls12_enabled`,
//! `contains_ci(facts.updates.installed, "KB5005630")`.
//!
//! It gives exactly what Rhai gives, or gives up: anything else in the expression (another
//! function, a method call, `?.`, another index, a float, a missing name, a property of something
//! that is not a map, a comparison between other types, a non-bool operand of `&&`) and the
//! expression is evaluated by Rhai from the start. The only side effect is those helpers' record
//! of what they read, made in Rhai's order; Rhai's second call repeats it and a read already
//! recorded is not recorded twice, so giving up half-way changes nothing. The work is bounded by
//! the expression and the facts, so the operation and time limits have nothing to stop.

use rhai::{Dynamic, Expr, ImmutableString, Scope, Stmt, Token, AST};

/// The values the fast path handles.
enum Val {
    Int(i64),
    Str(ImmutableString),
    Bool(bool),
    Unit,
}

impl Val {
    fn of(d: &Dynamic) -> Option<Val> {
        if let Ok(i) = d.as_int() {
            Some(Val::Int(i))
        } else if let Ok(b) = d.as_bool() {
            Some(Val::Bool(b))
        } else if d.is_unit() {
            Some(Val::Unit)
        } else {
            d.read_lock::<ImmutableString>().map(|s| Val::Str(s.clone()))
        }
    }

    fn into_dynamic(self) -> Dynamic {
        match self {
            Val::Int(i) => Dynamic::from_int(i),
            Val::Str(s) => Dynamic::from(s),
            Val::Bool(b) => Dynamic::from_bool(b),
            Val::Unit => Dynamic::UNIT,
        }
    }
}

/// The expression's value, if the fast path can compute it (see the module docs).
pub(crate) fn eval(ast: &AST, scope: &Scope<'_>) -> Option<Dynamic> {
    let value = match ast.statements() {
        [Stmt::Expr(e)] => expr(e, scope)?,
        [Stmt::FnCall(call, _)] => self::call(call, scope)?,
        _ => return None,
    };
    Some(value.into_dynamic())
}

fn expr(e: &Expr, scope: &Scope<'_>) -> Option<Val> {
    match e {
        Expr::BoolConstant(b, _) => Some(Val::Bool(*b)),
        Expr::IntegerConstant(i, _) => Some(Val::Int(*i)),
        Expr::StringConstant(s, _) => Some(Val::Str(s.clone())),
        Expr::Unit(_) => Some(Val::Unit),
        Expr::Variable(..) => Val::of(variable(e, scope)?),
        Expr::Dot(chain, flags, _) if flags.is_empty() => property(variable(&chain.lhs, scope)?, &chain.rhs),
        // `name["key"]` on a map (`signal_counts["x"]`): a missing key is `()`, as in Rhai.
        // (`BREAK`: the index ends the chain; `?[` would add `NEGATED`.)
        Expr::Index(index, flags, _) if *flags == rhai::ASTFlags::BREAK => match &index.rhs {
            Expr::StringConstant(key, _) => {
                let map = variable(&index.lhs, scope)?.read_lock::<rhai::Map>()?;
                map.get(key.as_str()).map_or(Some(Val::Unit), Val::of)
            }
            _ => None,
        },
        Expr::FnCall(c, _) => call(c, scope),
        // Like Rhai: operands in order, stopping at the first that decides; each must be a bool.
        Expr::And(operands, _) => {
            for o in operands.iter() {
                match expr(o, scope)? {
                    Val::Bool(true) => {}
                    Val::Bool(false) => return Some(Val::Bool(false)),
                    _ => return None,
                }
            }
            Some(Val::Bool(true))
        }
        Expr::Or(operands, _) => {
            for o in operands.iter() {
                match expr(o, scope)? {
                    Val::Bool(false) => {}
                    Val::Bool(true) => return Some(Val::Bool(true)),
                    _ => return None,
                }
            }
            Some(Val::Bool(false))
        }
        _ => None,
    }
}

/// A name in the scope (searched from the end, as Rhai does).
fn variable<'s>(e: &Expr, scope: &'s Scope<'_>) -> Option<&'s Dynamic> {
    match e {
        // An index is a name declared in the expression itself (a closure parameter).
        Expr::Variable(v, None, _) if v.0.is_none() => scope.get(v.1.as_str()),
        _ => None,
    }
}

/// `.a.b.c` on `target`: each step must be a map; a missing last key is `()`, as in Rhai.
fn property(target: &Dynamic, rhs: &Expr) -> Option<Val> {
    with_property(target, rhs, &mut |v| match v {
        Some(v) => Val::of(v),
        None => Some(Val::Unit),
    })
}

/// Calls `f` with the value at `.a.b.c` on `target` (`None` for a missing last key), by
/// reference: lists are not copied.
fn with_property<R>(
    target: &Dynamic,
    rhs: &Expr,
    f: &mut dyn FnMut(Option<&Dynamic>) -> Option<R>,
) -> Option<R> {
    let map = target.read_lock::<rhai::Map>()?;
    match rhs {
        Expr::Property(p, _) => f(map.get(p.2.as_str())),
        Expr::Dot(chain, flags, _) if flags.is_empty() => match &chain.lhs {
            // A missing key in the middle is `()`, whose property is an error: Rhai's to give.
            Expr::Property(p, _) => with_property(map.get(p.2.as_str())?, &chain.rhs, f),
            _ => None,
        },
        _ => None,
    }
}

/// `!x`, the comparisons (with Rhai's built-in meaning for these types), and the pure helpers
/// `contains_ci` and `version_cmp` (the functions Rhai would call for these argument types).
fn call(call: &rhai::FnCallExpr, scope: &Scope<'_>) -> Option<Val> {
    if call.capture_parent_scope {
        return None;
    }
    let Some(op) = call.op_token.as_ref() else {
        return helper(call, scope);
    };
    match (op, &call.args[..]) {
        (Token::Bang, [x]) => match expr(x, scope)? {
            Val::Bool(b) => Some(Val::Bool(!b)),
            _ => None,
        },
        (_, [l, r]) => {
            use std::cmp::Ordering;
            let order = match (expr(l, scope)?, expr(r, scope)?) {
                (Val::Int(a), Val::Int(b)) => a.cmp(&b),
                (Val::Str(a), Val::Str(b)) => a.as_str().cmp(b.as_str()),
                (Val::Bool(a), Val::Bool(b)) => a.cmp(&b),
                _ => return None,
            };
            let holds = match op {
                Token::EqualsTo => order == Ordering::Equal,
                Token::NotEqualsTo => order != Ordering::Equal,
                Token::LessThan => order == Ordering::Less,
                Token::LessThanEqualsTo => order != Ordering::Greater,
                Token::GreaterThan => order == Ordering::Greater,
                Token::GreaterThanEqualsTo => order != Ordering::Less,
                _ => return None,
            };
            Some(Val::Bool(holds))
        }
        _ => None,
    }
}

fn helper(call: &rhai::FnCallExpr, scope: &Scope<'_>) -> Option<Val> {
    match (call.name.as_str(), &call.args[..]) {
        ("version_cmp", [a, b]) => match (expr(a, scope)?, expr(b, scope)?) {
            (Val::Str(a), Val::Str(b)) => {
                Some(crate::sandbox::pure::version_cmp(&a, &b).map_or(Val::Unit, |o| Val::Int(o as i64)))
            }
            _ => None,
        },
        // These record what they read (see the module docs).
        ("has", [path]) => match expr(path, scope)? {
            Val::Str(path) => Some(Val::Bool(crate::sandbox::has(&path))),
            _ => None,
        },
        (helper @ ("reg" | "reg_dword" | "reg_str"), [key, name]) => {
            match (expr(key, scope)?, expr(name, scope)?) {
                (Val::Str(key), Val::Str(name)) => {
                    Val::of(&crate::sandbox::registry_value(helper, &key, &name)?)
                }
                _ => None,
            }
        }
        ("contains_ci", [list, item]) => {
            // Arguments in Rhai's order (helpers in them record reads in that order), except
            // that a name or a property chain, which reads nothing, is looked up in place last.
            let first = match list {
                Expr::Variable(..) | Expr::Dot(..) => None,
                _ => Some(expr(list, scope)?),
            };
            let Val::Str(item) = expr(item, scope)? else { return None };
            let mut contains = |d: Option<&Dynamic>| -> Option<Val> {
                let Some(d) = d else { return Some(Val::Bool(false)) };
                if let Some(list) = d.read_lock::<rhai::Array>() {
                    return Some(Val::Bool(crate::sandbox::pure::contains_ci_list(&list, &item)));
                }
                match Val::of(d)? {
                    Val::Str(s) => Some(Val::Bool(crate::sandbox::pure::contains_ci_str(&s, &item))),
                    Val::Unit => Some(Val::Bool(false)),
                    _ => None,
                }
            };
            match (first, list) {
                (Some(first), _) => contains(Some(&first.into_dynamic())),
                (None, Expr::Variable(..)) => contains(Some(variable(list, scope)?)),
                (None, Expr::Dot(chain, flags, _)) if flags.is_empty() => {
                    with_property(variable(&chain.lhs, scope)?, &chain.rhs, &mut contains)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use rhai::{Dynamic, Scope};

    use crate::sandbox::{build_engine, Limits};

    /// The scope of the differential test, and the same facts as the helpers see them.
    fn scope() -> (Scope<'static>, std::sync::Arc<crate::InputFacts>) {
        let facts = triage_facts::FactMap::from_json_str(
            r#"{"os": {"build": 9600, "product": "server", "version": "6.3.9600", "on": true,
                       "ratio": 1.5, "list": [1, 2], "neg": -3},
                "empty": {}, "updates": ["KB1", "kb2", 3, "SER"],
                "registry": {"HKEY_LOCAL_MACHINE\\SOFTWARE\\X": {"v": 1, "s": "a", "l": ["x", "y"]}}}"#,
        )
        .expect("facts parse");
        let input = std::sync::Arc::new(crate::InputFacts::new(std::sync::Arc::new(facts)));
        let facts = input.to_dynamic();
        let mut data = rhai::Map::new();
        data.insert("min".into(), Dynamic::from_int(9600));
        data.insert("name".into(), Dynamic::from("server"));
        let mut scope = Scope::new();
        scope.push_constant("data", data);
        scope.push_constant("yes", true);
        scope.push_constant("no", false);
        scope.push_constant("n", 7_i64);
        scope.push_constant("nothing", ());
        scope.push_constant_dynamic("facts", facts);
        (scope, input)
    }

    const ATOMS: &[&str] = &[
        "facts.os.build",
        "facts.os.product",
        "facts.os.on",
        "facts.os.ratio",
        "facts.os.list",
        "facts.os.missing",
        "facts.nope.build",
        "facts?.os?.build",
        "facts.os",
        "facts.empty.x",
        "facts.os.neg",
        "data.min",
        "data.name",
        "yes",
        "no",
        "n",
        "nothing",
        "9600",
        "-1",
        "\"server\"",
        "\"Server\"",
        "\"\"",
        "true",
        "false",
        "()",
        "1.5",
        "'c'",
        "facts[\"os\"].build",
        "facts.os.product.len",
        "facts.updates",
        "facts.os.version",
        "\"6.3\"",
        "\"KB2\"",
        "\"ser\"",
        "[\"kb1\"]",
        "data[\"min\"]",
        "data[\"zz\"]",
        "n[\"x\"]",
        "facts[\"os\"]",
        // Registry keys and value names, and fact paths, for `has` and `reg*`.
        "`HKLM\\SOFTWARE\\X`",
        "\"hkey_local_machine\\\\software\\\\x\"",
        "`HKLM\\SOFTWARE\\Y`",
        "\"v\"",
        "\"S\"",
        "\"l\"",
        "\"os.build\"",
        "\"os.nope\"",
        "\"empty\"",
        "\"updates\"",
    ];
    const OPS: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "&&", "||", "+"];

    /// Every pair of atoms under every operator, and each atom alone and negated: the fast
    /// path, when it answers, must answer what Rhai answers and record the reads Rhai records —
    /// with the facts installed for the helpers, so that `has` and `reg*` find what they look for.
    #[test]
    fn agrees_with_rhai() {
        use crate::sandbox::{take_reads, with_state, EvalState};

        let engine = build_engine(&Limits::default());
        let (mut scope, input) = scope();
        let state = EvalState {
            input: input.clone(),
            signals: std::sync::Arc::new(std::collections::HashMap::new()),
            reads: Vec::new(),
        };
        let reads = || -> Vec<String> {
            take_reads().iter().map(|r| format!("{} = {:?}", r.what, r.value)).collect()
        };
        let mut texts: Vec<String> = Vec::new();
        for a in ATOMS {
            texts.push((*a).to_owned());
            texts.push(format!("!{a}"));
            texts.push(format!("!({a})"));
            for op in OPS {
                for b in ATOMS {
                    texts.push(format!("{a} {op} {b}"));
                }
            }
            for b in ATOMS {
                texts.push(format!("contains_ci({a}, {b})"));
                texts.push(format!("version_cmp({a}, {b})"));
                texts.push(format!("version_cmp({a}, {b}) < 0"));
                texts.push(format!("reg_dword({a}, {b})"));
                texts.push(format!("reg({a}, {b})"));
                texts.push(format!("reg_str({a}, {b}) == \"a\""));
                texts.push(format!("has({a}) {op_b} {b}", op_b = if b.len() % 2 == 0 { "&&" } else { "==" }));
            }
        }
        texts.push("facts.os.build >= data.min && facts.os.product == data.name && !no".into());
        texts.push("no || nothing".into());
        texts.push("yes || nothing".into());
        texts.push("no && nothing".into());
        texts.push("yes && n".into());
        texts.push("(facts.os.build < 10000) == yes".into());
        // Compiled against names only, as packs are, so that no value is folded into the AST.
        let mut names = Scope::new();
        for (name, _, _) in scope.iter_raw() {
            names.push(name.to_owned(), ());
        }
        let ((fast, found), _) = with_state(state, || {
            let (mut fast, mut found) = (0, 0);
            for text in &texts {
                let Ok(ast) = engine.compile_expression_with_scope(&names, text) else { continue };
                reads();
                let Some(got) = super::eval(&ast, &scope) else { continue };
                let fast_reads = reads();
                fast += 1;
                let want = engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast);
                let want =
                    want.unwrap_or_else(|e| panic!("{text}: fast path gave {got:?}, Rhai failed: {e}"));
                assert_eq!(
                    (got.type_name(), got.to_string()),
                    (want.type_name(), want.to_string()),
                    "{text}"
                );
                assert_eq!(fast_reads, reads(), "{text}: reads");
                // A helper that found a fact records its value.
                found += usize::from(
                    fast_reads.iter().any(|r| !r.ends_with("= None") && !r.contains("\"absent\"")),
                );
            }
            (fast, found)
        });
        // The fast path answers the simple cases (and this test checks something), among them
        // helpers that found what they looked up.
        assert!(fast > 1000, "only {fast} of {} expressions took the fast path", texts.len());
        // At least `reg`, `reg_dword` and `reg_str` on both spellings of the key for each of its
        // three value names.
        assert!(found >= 18, "only {found} fast answers read a fact that is present");
        let (_, state) = with_state(
            EvalState {
                input: input.clone(),
                signals: std::sync::Arc::new(std::collections::HashMap::new()),
                reads: Vec::new(),
            },
            || {
                for (text, want) in [
                    ("reg_dword(`HKLM\\SOFTWARE\\X`, \"v\")", "1"),
                    ("reg(\"hkey_local_machine\\\\software\\\\x\", \"S\")", "\"a\""),
                    ("reg_str(`HKLM\\SOFTWARE\\X`, \"v\")", "()"),
                    ("has(\"os.build\")", "true"),
                    ("has(\"empty\")", "false"),
                ] {
                    let ast = engine.compile_expression_with_scope(&names, text).expect("compiles");
                    let got = super::eval(&ast, &scope)
                        .unwrap_or_else(|| panic!("{text} should take the fast path"));
                    assert_eq!(format!("{got:?}"), want, "{text}");
                }
            },
        );
        drop(state);
        for text in [
            "facts.os.build < 9601 && facts.os.product == \"server\"",
            "!no || nothing",
            "facts.os.build == data.min",
            "contains_ci(facts.updates, \"kb1\")",
            "version_cmp(facts.os.version, \"6.3\") > 0",
            "data[\"min\"] == 9600",
        ] {
            let ast = engine.compile_expression_with_scope(&names, text).expect("compiles");
            assert!(super::eval(&ast, &scope).is_some(), "{text} should take the fast path");
        }
        for text in [
            "facts.os.ratio < 2",
            "facts.nope.build == 1",
            "facts?.os?.build == 9600",
            "n + 1 == 8",
            "facts.os.missing == ()",
            "data?[\"min\"] == 9600",
        ] {
            let ast = engine.compile_expression_with_scope(&names, text).expect("compiles");
            assert!(super::eval(&ast, &scope).is_none(), "{text} should be left to Rhai");
        }
    }

    /// When the fast path gives up after helpers recorded reads, the reads Rhai's evaluation
    /// then leaves are the ones Rhai alone leaves, in the same order.
    #[test]
    fn reads_are_rhai_s_when_giving_up() {
        use std::collections::HashMap;
        use std::sync::Arc;

        use crate::runtime::Runtime;
        use crate::sandbox::{take_reads, with_state, EvalState};

        let facts = triage_facts::FactMap::from_json_str(
            r#"{"os": {"ratio": 1.5, "build": 9600},
                "registry": {"HKEY_LOCAL_MACHINE\\SOFTWARE\\X": {"v": 1, "s": "a", "t": "A"}}}"#,
        )
        .expect("facts parse");
        let input = Arc::new(crate::InputFacts::new(Arc::new(facts)));
        let engine = build_engine(&Limits::default());
        let mut names = Scope::new();
        names.push("facts", ());
        let reads = |fast: bool, text: &str| -> (String, Vec<String>) {
            let ast = engine.compile_expression_with_scope(&names, text).expect("compiles");
            let state =
                EvalState { input: input.clone(), signals: Arc::new(HashMap::new()), reads: Vec::new() };
            let (out, _) = with_state(state, || {
                let mut scope = Scope::new();
                scope.push_constant_dynamic("facts", input.to_dynamic());
                crate::sandbox::budget::start(crate::sandbox::budget::Owner::Rule, &Limits::default());
                let value = if fast {
                    Runtime::new(&engine).eval(&engine, &mut scope, &ast)
                } else {
                    engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast)
                };
                let value = value.map(|v| v.to_string()).unwrap_or_else(|e| e.to_string());
                (value, take_reads().iter().map(|r| format!("{} = {:?}", r.what, r.value)).collect())
            });
            out
        };
        for text in [
            r#"has("os") && reg_dword(`HKLM\SOFTWARE\X`, "v") == 1 && facts.os.ratio < 2"#,
            r#"contains_ci(reg_str(`HKLM\SOFTWARE\X`, "s"), reg_str(`HKLM\SOFTWARE\X`, "t"))"#,
            r#"contains_ci(reg_str(`HKLM\SOFTWARE\X`, "s"), reg_str(`HKLM\SOFTWARE\X`, "t")) && facts.os.ratio > 1"#,
            r#"has("nope") || has("os") || facts.os.ratio > 1"#,
            r#"reg(`HKLM\SOFTWARE\X`, "v") == reg_dword(`HKLM\SOFTWARE\X`, "nope")"#,
            r#"has("os") && facts.os.build == 9600"#,
        ] {
            let (fast, rhai) = (reads(true, text), reads(false, text));
            assert!(!rhai.1.is_empty(), "{text}: reads nothing");
            assert_eq!(fast, rhai, "{text}");
        }
    }
}
