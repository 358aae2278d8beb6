//! Same input, same packs, same bytes out — with packs that try to break it: the clock, map
//! and signal iteration order, budgets and limits that stop them part-way, the memory ceiling,
//! evaluation on several threads at once. Operations, not time, decide the budgets here (a
//! generous clock), as they do whenever they run out first: operations are counted the same on
//! every machine.

use std::sync::Arc;
use std::time::Duration;

use triage_engine::{load_pack, EvalOptions, Evaluator, Finding, InputFacts, Limits, Outcome, SourceFile};
use triage_facts::FactMap;

const PACK: &str = r#"
[pack]
id = "chaos"
version = "0.1.0"
engine = ">=0.1"
title = "Tries to make output differ between runs"

[derive]
keys = 'facts.os.keys()'
big = 'fact("s256k").to_chars()'
bigger = 'fact("s256k").to_chars()'
biggest = 'fact("s256k").to_chars()'

[signals.s]
log = "wsus"
pattern = 'line'
where = '''fact("s256k").to_chars().map(|x| x).len() > 0'''

[[rule]]
id = "CLOCK"
title = "t"
severity = "info"
when = 'timestamp().elapsed > 0.0'
resolution = "r"

[[rule]]
id = "KEYS"
title = "t"
severity = "info"
when = 'keys.len() > 0'
resolution = "{{ keys }} {{ facts.os }}"

[[rule]]
id = "SPIN"
title = "t"
severity = "info"
when = 'facts.n.map(|a| fact("n").map(|b| b + 1).len()).len() > 0'
resolution = "r"

[[rule]]
id = "SIGNAL"
title = "t"
severity = "info"
when = 'signal("s").len() > 0'
resolution = "r"

[[rule]]
id = "CEILING"
title = "t"
severity = "info"
when = 'biggest.len() > 0'
resolution = "r"

[[rule]]
id = "REPLACE"
title = "t"
severity = "info"
when = 'fact("s2k").replace("a", fact("s2k")) == ()'
resolution = "r"

[[rule]]
id = "HASHED"
title = "t"
severity = "info"
when = 'intersect_ci(facts.updates, ["kb2", "KB1", "kb9"]).len() == 2'
resolution = "{{ intersect_ci(facts.updates, [\"kb2\", \"KB1\"]) }} {{ missing_from_ci(facts.updates, [\"kb2\"]) }}"
"#;

fn input() -> Arc<InputFacts> {
    let n: Vec<serde_json::Value> = (0..1000).map(serde_json::Value::from).collect();
    let matches: Vec<serde_json::Value> =
        (0..50).map(|i| serde_json::json!({ "text": format!("line {i}") })).collect();
    let json = serde_json::json!({
        "n": n, "os": { "build": 1, "b": 2, "a": 3, "z": 4 },
        "updates": ["KB3", "KB1", "kb2", "KB4"],
        "s2k": "a".repeat(2000), "s256k": "c".repeat((1 << 18) - 1),
        "signals": { "chaos/s": matches },
    });
    Arc::new(InputFacts::new(Arc::new(FactMap::from_json_str(&json.to_string()).expect("json"))))
}

fn limits() -> Limits {
    Limits {
        max_time: Duration::from_secs(120),
        max_pack_time: Duration::from_secs(120),
        max_pack_memory: 8 << 20,
        max_operations: 100_000,
        ..Limits::default()
    }
}

fn run_once() -> (String, Vec<Finding>) {
    let ev = Evaluator::new(limits());
    let loaded = load_pack(vec![SourceFile::new("pack.toml", PACK)], &ev);
    let errors: Vec<_> = loaded.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let pack = loaded.pack.expect("loads");
    let fs = ev.evaluate(&pack, &input(), "x", &EvalOptions { explain: true, ..EvalOptions::default() });
    (serde_json::to_string_pretty(&fs).expect("findings serialise"), fs)
}

fn find<'a>(fs: &'a [Finding], id: &str) -> &'a Finding {
    fs.iter().find(|f| &*f.rule == id).expect("rule evaluated")
}

#[test]
fn same_input_same_packs_same_bytes() {
    let (first, fs) = run_once();
    // What each attempt gets, exactly: the run is deterministic *and* right.
    let error = |id: &str| find(&fs, id).error.clone().unwrap_or_default();
    assert!(error("CLOCK").contains("Function not found: timestamp ()"), "{}", error("CLOCK"));
    assert!(
        error("SPIN").contains("operation budget of rule exceeded (100000 operations)"),
        "{}",
        error("SPIN")
    );
    assert!(
        error("SIGNAL").contains("signal `s`: operation budget of signal exceeded (100000 operations)"),
        "{}",
        error("SIGNAL")
    );
    assert!(
        error("CEILING").contains("pack memory ceiling (8 MiB) exceeded by derived fact `biggest`"),
        "{}",
        error("CEILING")
    );
    assert!(
        error("REPLACE").contains("string size limit (1 MiB) exceeded by replace()"),
        "{}",
        error("REPLACE")
    );
    assert_eq!(find(&fs, "KEYS").outcome, Outcome::Detected, "{:?}", error("KEYS"));
    assert_eq!(
        find(&fs, "KEYS").resolution.as_deref(),
        Some("a\nb\nbuild\nz #{\"a\": 3, \"b\": 2, \"build\": 1, \"z\": 4}")
    );
    assert_eq!(find(&fs, "HASHED").resolution.as_deref(), Some("KB1\nkb2 KB3\nKB1\nKB4"));

    // Again, in a fresh evaluator, and on two threads at once.
    assert_eq!(run_once().0, first);
    let threads: Vec<_> = (0..2).map(|_| std::thread::spawn(|| run_once().0)).collect();
    for t in threads {
        assert_eq!(t.join().expect("thread ends"), first);
    }
}
