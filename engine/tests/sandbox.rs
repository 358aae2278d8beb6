//! Sandbox escapes, tried and refused: what the parser can reject is a load diagnostic; what
//! only shows at run time ends in `error` for that rule, within bounded time, and the other
//! rules still run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use triage_engine::{
    load_pack, Code, EvalOptions, Evaluator, Finding, InputFacts, Limits, Outcome, SourceFile,
};
use triage_facts::FactMap;

fn pack_with(rules: &[(&str, &str)]) -> String {
    let mut s =
        String::from("[pack]\nid = \"sbx\"\nversion = \"0.1.0\"\nengine = \">=0.1\"\ntitle = \"Sandbox\"\n");
    for (id, when) in rules {
        s.push_str(&format!("\n[[rule]]\nid = \"{id}\"\ntitle = \"t\"\nseverity = \"info\"\nwhen = '''{when}'''\nresolution = \"r\"\n"));
    }
    s
}

fn evaluate(ev: &Evaluator, rules: &[(&str, &str)]) -> (Vec<Finding>, Duration) {
    let loaded = load_pack(vec![SourceFile::new("pack.toml", pack_with(rules))], ev);
    let errors: Vec<_> = loaded.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let pack = loaded.pack.expect("loads");
    let n: Vec<serde_json::Value> = (0..1000).map(serde_json::Value::from).collect();
    let facts = FactMap::from_json_str(&serde_json::json!({ "n": n, "os": { "build": 1 } }).to_string())
        .expect("json");
    let input = Arc::new(InputFacts::new(Arc::new(facts)));
    let start = Instant::now();
    let fs = ev.evaluate(&pack, &input, "x", &EvalOptions::default());
    (fs, start.elapsed())
}

fn outcome<'a>(fs: &'a [Finding], id: &str) -> &'a Finding {
    fs.iter().find(|f| &*f.rule == id).expect("rule evaluated")
}

const OK_RULE: (&str, &str) = ("OK1", "facts.os.build == 1");

#[test]
fn runtime_escapes_end_in_error_and_other_rules_run() {
    // A generous clock, so that the operation budget (the same on every machine) decides.
    let ev = Evaluator::new(Limits {
        max_time: Duration::from_secs(60),
        max_pack_time: Duration::from_secs(60),
        ..Limits::default()
    });
    let cases: &[(&str, &str, &str)] = &[
        ("HUGEARRAY", "[0].pad(100000000, 0) == ()", "Size of array"),
        ("HUGESTRING", r#"" ".pad(100000000, "x") == ()"#, "string size limit (1 MiB) exceeded by pad()"),
        (
            "ENDLESS",
            "facts.n.map(|a| fact(\"n\").map(|b| b + 1).len()).len() > 0",
            "operation budget of rule exceeded (500000 operations)",
        ),
        ("CAPTURE", "facts.n.map(|a| facts.os).len() > 0", "facts"),
        ("NOEVAL", r#"Fn("eval").call("1") == 1"#, "eval"),
    ];
    let mut rules: Vec<(&str, &str)> = cases.iter().map(|(id, when, _)| (*id, *when)).collect();
    rules.push(OK_RULE);
    let (fs, took) = evaluate(&ev, &rules);
    for (id, _, why) in cases {
        let f = outcome(&fs, id);
        assert_eq!(f.outcome, Outcome::Error, "{id}: {f:#?}");
        let e = f.error.as_deref().unwrap_or("");
        assert!(e.contains(why), "{id}: {e}");
    }
    assert_eq!(outcome(&fs, "OK1").outcome, Outcome::Detected);
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn wall_clock_limit_stops_a_long_computation() {
    // No operation limit: only the deadline checked in `on_progress` can stop it.
    let limits = Limits {
        max_operations: 0,
        max_pack_operations: 0,
        max_time: Duration::from_millis(100),
        ..Limits::default()
    };
    let ev = Evaluator::new(limits);
    let rules =
        [("ENDLESS", "facts.n.map(|a| fact(\"n\").map(|b| fact(\"n\").len()).len()).len() > 0"), OK_RULE];
    let (fs, took) = evaluate(&ev, &rules);
    let f = outcome(&fs, "ENDLESS");
    assert_eq!(f.outcome, Outcome::Error);
    assert!(f.error.as_deref().unwrap_or("").contains("time budget of rule exceeded (100 ms)"), "{f:#?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(outcome(&fs, "OK1").outcome, Outcome::Detected);
}

#[test]
fn statically_refused_escapes_are_load_diagnostics() {
    let ev = Evaluator::default();
    let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
    let nested_closures = (0..40).fold("x".to_owned(), |acc, _| format!("[1].map(|x| {acc})"));
    let cases: Vec<(&str, String, &str)> = vec![
        ("IMPORT", r#"import "/etc/passwd" as p"#.into(), "reserved keyword"),
        ("EVAL", r#"eval("1 + 1") == 2"#.into(), "eval"),
        ("LOOP", "loop { }".into(), "Unexpected 'loop'"),
        ("WHILE", "while true { }".into(), "Unexpected 'while'"),
        ("LET", "let x = 1".into(), "Unexpected 'let'"),
        ("DEEP", deep, "complexity"),
        ("RECURSE", nested_closures, "complexity"),
        ("FNDEF", "fn f() { f() }".into(), "Unexpected 'fn'"),
        ("PRINT", r#"print("x") == ()"#.into(), "print"),
        ("DEBUG", r#"debug("x") == ()"#.into(), "debug"),
    ];
    for (id, when, why) in &cases {
        let text = pack_with(&[(id, when), OK_RULE]);
        let loaded = load_pack(vec![SourceFile::new("pack.toml", text)], &ev);
        let errs: Vec<_> = loaded.errors().collect();
        assert_eq!(errs.len(), 1, "{id}: {errs:#?}");
        assert_eq!(errs[0].code, Code::RhaiSyntax, "{id}");
        assert!(errs[0].message.contains(why), "{id}: {}", errs[0].message);
        assert!(loaded.pack.is_none());
    }
}
