//! Hostile packs against the sandbox's bounds: every function a condition can call spends the
//! same budget, every value obeys the size limits, and one pack's memory on one input has a
//! ceiling. Each case asserts the exact outcome and message, and that evaluation ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use triage_engine::{load_pack, EvalOptions, Evaluator, Finding, InputFacts, Limits, Outcome, SourceFile};
use triage_facts::FactMap;

const HEAD: &str = "[pack]\nid = \"hostile\"\nversion = \"0.1.0\"\nengine = \">=0.1\"\ntitle = \"Hostile\"\n";

fn rule(id: &str, when: &str, resolution: &str) -> String {
    format!("\n[[rule]]\nid = \"{id}\"\ntitle = \"t\"\nseverity = \"info\"\nwhen = '''{when}'''\nresolution = '''{resolution}'''\n")
}

/// Facts: `n` (1,000 ints), `big` (100,000 distinct strings), `s2k` (a 2,000-byte string),
/// `s100k` (a 100 KiB string), `s1m` (a string one byte short of 1 MiB), and 225 matches of signal `hostile/s`.
fn input() -> Arc<InputFacts> {
    let n: Vec<serde_json::Value> = (0..1000).map(serde_json::Value::from).collect();
    let big: Vec<serde_json::Value> = (0..100_000).map(|i| format!("KB{i:07}").into()).collect();
    let matches: Vec<serde_json::Value> =
        (0..225).map(|i| serde_json::json!({ "text": format!("line {i}"), "line": i })).collect();
    let json = serde_json::json!({
        "n": n, "big": big, "os": { "build": 1 },
        "s2k": "a".repeat(2000), "s100k": "b".repeat(100 << 10), "s1m": "c".repeat((1 << 20) - 1),
        "signals": { "hostile/s": matches },
    });
    Arc::new(InputFacts::new(Arc::new(FactMap::from_json_str(&json.to_string()).expect("json"))))
}

fn run(ev: &Evaluator, pack: &str) -> (Vec<Finding>, Duration) {
    let loaded = load_pack(vec![SourceFile::new("pack.toml", pack)], ev);
    let errors: Vec<_> = loaded.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let pack = loaded.pack.expect("loads");
    let input = input();
    let start = Instant::now();
    let fs = ev.evaluate(&pack, &input, "x", &EvalOptions::default());
    (fs, start.elapsed())
}

fn find<'a>(fs: &'a [Finding], id: &str) -> &'a Finding {
    fs.iter().find(|f| &*f.rule == id).expect("rule evaluated")
}

/// The rule ended in `error` and its message holds `why`.
fn assert_error(fs: &[Finding], id: &str, why: &str) {
    let f = find(fs, id);
    assert_eq!(f.outcome, Outcome::Error, "{id}: {f:#?}");
    let e = f.error.as_deref().unwrap_or("");
    assert!(e.contains(why), "{id}: {e:?} does not say {why:?}");
}

const OK: (&str, &str) = ("OK", "facts.os.build == 1");

fn pack(rules: &[(&str, &str)]) -> String {
    let mut s = HEAD.to_owned();
    for (id, when) in rules {
        s.push_str(&rule(id, when, "r"));
    }
    s
}

/// Limits where only operations decide (a generous clock), so outcomes are the same on any
/// machine. Runs under these limits assert only that they end (a generous ceiling: debug builds
/// on a loaded machine), not how fast.
fn by_operations() -> Limits {
    Limits { max_time: Duration::from_secs(60), max_pack_time: Duration::from_secs(60), ..Limits::default() }
}

/// Limits where only the clock decides.
fn by_time(rule_ms: u64) -> Limits {
    Limits {
        max_operations: 0,
        max_pack_operations: 0,
        max_time: Duration::from_millis(rule_ms),
        ..Limits::default()
    }
}

#[test]
fn no_clock_no_sleep_no_output() {
    let ev = Evaluator::default();
    let (fs, took) = run(
        &ev,
        &pack(&[
            ("SLEEP", "sleep(30.0) == ()"),
            ("SLEEPI", "sleep(30) == ()"),
            ("CLOCK", "timestamp().elapsed > 0.0"),
            ("EXIT", "exit() == ()"),
            ("JSON", "facts.os.to_json() != \"\""),
            OK,
        ]),
    );
    assert_error(&fs, "SLEEP", "Function not found: sleep (f64)");
    assert_error(&fs, "SLEEPI", "Function not found: sleep (i64)");
    assert_error(&fs, "CLOCK", "Function not found: timestamp ()");
    assert_error(&fs, "EXIT", "Function not found: exit ()");
    assert_error(&fs, "JSON", "to_json() is not available in conditions");
    assert_eq!(find(&fs, "OK").outcome, Outcome::Detected);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// The native helpers charge their work: over 100,000-item lists, called again and again from a
/// closure, they are stopped by the rule's operation budget (and, without one, by its clock).
#[test]
fn native_helpers_spend_the_rule_budget() {
    let rules = [
        ("INTERSECT", "facts.n.map(|x| intersect_ci(fact(\"big\"), fact(\"big\")).len()).len() > 0"),
        ("MISSING", "facts.n.map(|x| missing_from_ci(fact(\"big\"), fact(\"big\")).len()).len() > 0"),
        ("STRIP", "facts.n.map(|x| strip_suffixes(fact(\"big\"), [\"1\", \"2\", \"3\"]).len()).len() > 0"),
        ("CONTAINS", "facts.n.map(|x| contains_ci(fact(\"big\"), \"nope\")).len() > 0"),
        ("LOWER", "facts.n.map(|x| lower(fact(\"s100k\")).len()).len() > 0"),
        ("MATCHES", "facts.n.map(|x| matches(fact(\"s100k\"), \"c\")).len() > 0"),
        OK,
    ];
    let ids: Vec<&str> = rules.iter().map(|(id, _)| *id).filter(|id| *id != "OK").collect();
    let (fs, took) = run(&Evaluator::new(by_operations()), &pack(&rules));
    for id in &ids {
        assert_error(&fs, id, "operation budget of rule exceeded (500000 operations)");
    }
    assert_eq!(find(&fs, "OK").outcome, Outcome::Detected);
    assert!(took < Duration::from_secs(120), "took {took:?}");

    let (fs, took) = run(&Evaluator::new(by_time(100)), &pack(&rules));
    for id in &ids {
        assert_error(&fs, id, "time budget of rule exceeded (100 ms)");
    }
    assert_eq!(find(&fs, "OK").outcome, Outcome::Detected);
    // Six rules of 100 ms each, plus what one charge can overshoot.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn built_ins_that_outgrow_their_input_are_bounded() {
    let rules = [
        ("PADEMPTY", r#""abc".pad(1048576, "") == ()"#),
        ("PADBIG", r#""abc".pad(1048577, "x") == ()"#),
        ("REPLACE", r#"fact("s2k").replace("a", fact("s2k")) == """#),
        ("REPLACEEMPTY", r#"fact("s2k").replace("", fact("s2k")) == """#),
        ("JOIN", r#"join(facts.n, fact("s2k")) == """#),
        ("TOSTRING", r#"fact("s1m").to_chars().to_string() == """#),
        ("TODEBUG", r#"fact("s1m").to_chars().to_debug() == """#),
        ("MAPTOSTRING", r#"#{a: fact("s1m").to_chars()}.to_string() == """#),
        ("PLUSARRAY", r#"("a" + fact("s1m").to_chars()) == """#),
        ("INTERPOLATE", r#"`a${fact("s1m").to_chars()}` == """#),
        // In place, as Rhai's: on a value in an expression they change nothing, and fail on nothing.
        ("PADOK", r#""abc".pad(6, "xy") == ()"#),
        ("REPLACEOK", r#""a-b".replace("-", "--") == ()"#),
        ("JOINOK", r#"join([1, "b"], ", ") == "1, b""#),
        OK,
    ];
    let (fs, took) = run(&Evaluator::new(by_operations()), &pack(&rules));
    assert_error(&fs, "PADEMPTY", "pad() with an empty padding never reaches its length");
    assert_error(&fs, "PADBIG", "string size limit (1 MiB) exceeded by pad()");
    assert_error(&fs, "REPLACE", "string size limit (1 MiB) exceeded by replace()");
    assert_error(&fs, "REPLACEEMPTY", "string size limit (1 MiB) exceeded by replace()");
    assert_error(&fs, "JOIN", "string size limit (1 MiB) exceeded by join()");
    assert_error(&fs, "TOSTRING", "string size limit (1 MiB) exceeded by to_string()");
    assert_error(&fs, "TODEBUG", "string size limit (1 MiB) exceeded by to_debug()");
    assert_error(&fs, "MAPTOSTRING", "string size limit (1 MiB) exceeded by to_string()");
    // Rhai's own concatenation and interpolation render the array (linear in its size), then
    // refuse the result.
    assert_error(&fs, "PLUSARRAY", "Length of string too large");
    assert_error(&fs, "INTERPOLATE", "Length of string too large");
    for id in ["PADOK", "REPLACEOK", "JOINOK", "OK"] {
        assert_eq!(find(&fs, id).outcome, Outcome::Detected, "{id}: {:#?}", find(&fs, id));
    }
    assert!(took < Duration::from_secs(120), "took {took:?}");
}

/// One budget for all of a signal's `where` calls: 225 matches of an expensive filter end after
/// the signal's budget, not 225 of them; the rules reading it fail, the others run.
#[test]
fn where_filters_share_one_signal_budget() {
    let mut text = HEAD.to_owned();
    text.push_str(
        "\n[signals.s]\nlog = \"wsus\"\npattern = 'line'\nwhere = '''fact(\"s100k\").to_chars().map(|x| x).len() > 0'''\n",
    );
    text.push_str(&rule("READS", "signal(\"s\").len() > 0", "r"));
    text.push_str(&rule(OK.0, OK.1, "r"));
    let (fs, took) = run(&Evaluator::new(by_time(200)), &text);
    assert_error(&fs, "READS", "signal `s`: time budget of signal exceeded (200 ms)");
    assert_eq!(find(&fs, "OK").outcome, Outcome::Detected);
    assert!(took < Duration::from_secs(5), "took {took:?}");

    let (fs, _) = run(&Evaluator::new(by_operations()), &text);
    assert_error(&fs, "READS", "signal `s`: operation budget of signal exceeded (500000 operations)");
    assert_eq!(find(&fs, "OK").outcome, Outcome::Detected);
}

/// The pack's budget caps the total: rules after it is spent fail naming it.
#[test]
fn the_pack_budget_caps_every_rule() {
    let spin = "facts.n.map(|a| fact(\"n\").map(|b| b + 1).len()).len() > 0";
    let mut rules: Vec<(String, &str)> = vec![("OK".into(), OK.1)];
    rules.extend((0..40).map(|i| (format!("SPIN{i:02}"), spin)));
    let rules: Vec<(&str, &str)> = rules.iter().map(|(id, w)| (id.as_str(), *w)).collect();
    // By operations: 1,900,000 for the pack, 500,000 a rule: the fourth rule runs the pack out.
    let limits = Limits { max_pack_operations: 1_900_000, ..by_operations() };
    let (fs, _) = run(&Evaluator::new(limits), &pack(&rules));
    assert_eq!(find(&fs, "OK").outcome, Outcome::Detected);
    for i in 0..40 {
        let id = format!("SPIN{i:02}");
        let why = if i < 3 {
            "operation budget of rule exceeded (500000 operations)"
        } else {
            "operation budget of pack exceeded (1900000 operations)"
        };
        assert_error(&fs, &id, why);
    }
    // By time: 100 ms a rule, 500 ms for the pack; it ends within the pack's budget plus 1 s.
    let limits = Limits { max_pack_time: Duration::from_millis(500), ..by_time(100) };
    let (fs, took) = run(&Evaluator::new(limits), &pack(&rules));
    assert_error(&fs, "SPIN00", "time budget of rule exceeded (100 ms)");
    assert_error(&fs, "SPIN39", "time budget of pack exceeded (500 ms)");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

/// Derived facts, kept signal matches and resolutions of one pack on one input have one ceiling.
#[test]
fn one_pack_memory_ceiling() {
    let mut text = HEAD.to_owned();
    text.push_str("\n[derive]\n");
    for i in 0..8 {
        text.push_str(&format!("d{i:02} = 'fact(\"s1m\").to_chars()'\n"));
    }
    text.push_str(&rule("FIRST", "d00.len() == 1048575", "r"));
    text.push_str(&rule("SECOND", "d01.len() == 1048575", "r"));
    text.push_str(&rule("THIRD", "d02.len() == 1048575", "r"));
    text.push_str(&rule("LAST", "d07.len() == 1048575", "r"));
    let (fs, took) = run(&Evaluator::new(Limits { max_pack_memory: 40 << 20, ..by_operations() }), &text);
    assert_eq!(find(&fs, "FIRST").outcome, Outcome::Detected, "{:?}", find(&fs, "FIRST").error);
    assert_eq!(find(&fs, "SECOND").outcome, Outcome::Detected);
    // 16 MiB a derived fact as accounted (16 bytes an item): the third passes 40 MiB.
    assert_error(&fs, "THIRD", "pack memory ceiling (40 MiB) exceeded by derived fact `d02`");
    assert_error(&fs, "LAST", "derived fact `d07` failed at pack.toml:");
    assert_error(&fs, "LAST", "pack memory ceiling (40 MiB) exceeded by derived fact `d07`");
    assert!(took < Duration::from_secs(120), "took {took:?}");

    let ev = Evaluator::new(by_operations());
    // 1,200 detected rules each interpolating 100 KiB into their resolution: 655 fit in 64 MiB.
    let mut text = HEAD.to_owned();
    for i in 0..1200 {
        text.push_str(&rule(&format!("R{i:04}"), "true", "{{ fact(\"s100k\") }}"));
    }
    let (fs, took) = run(&ev, &text);
    let detected = fs.iter().filter(|f| f.outcome == Outcome::Detected).count();
    assert_eq!(detected, 655);
    assert_error(&fs, "R0655", "pack memory ceiling (64 MiB) exceeded by the resolution of rule R0655");
    assert_error(&fs, "R1199", "pack memory ceiling (64 MiB) exceeded by the resolution of rule R1199");
    assert!(took < Duration::from_secs(120), "took {took:?}");

    // One resolution larger than the string limit, built from a small value many times.
    let mut text = HEAD.to_owned();
    text.push_str(&rule("WIDE", "true", "{{ fact(\"s1m\").to_chars() }}"));
    let (fs, _) = run(&ev, &text);
    assert_error(&fs, "WIDE", "string size limit (1 MiB) exceeded by the resolution");
}
