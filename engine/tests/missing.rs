//! "A missing fact is never a pass", enforced by the engine: a careless pack — no `requires`,
//! `?.` for absence, typos — still gets `missing_facts` naming the fact and what to collect,
//! and absence the pack handles explicitly (`??`, `has()`, `== ()`) is respected.

use std::sync::Arc;

use triage_engine::{load_pack, EvalOptions, Evaluator, Finding, InputFacts, Outcome, Pack, SourceFile};
use triage_facts::FactMap;

const PACK: &str = r#"
[pack]
id = "careless"
version = "1.0.0"
engine = ">=0.1"
title = "A pack that never says requires"

[derive]
old = 'facts?.os?.nope >= 9600'
strong = 'reg_dword(`HKLM\SOFTWARE\X`, "Y") == 1'
key = '`HKLM\SOFTWARE\X`'
strong_via_name = 'reg_dword(key, "Y") == 1'
known_old = '(facts?.os?.nope ?? 0) >= 9600'

[signals.reset]
log = "wsus"
pattern = 'forcibly closed'

[[rule]]
id = "C001"
title = "optional chaining alone"
severity = "info"
when = 'facts?.os?.nope >= 9600'
resolution = "x"

[[rule]]
id = "C002"
title = "registry value"
severity = "info"
when = '!strong'
resolution = "x"

[[rule]]
id = "C003"
title = "typo"
severity = "info"
when = 'facts.os.biuld < 9600'
resolution = "x"

[[rule]]
id = "C004"
title = "?? handles absence"
severity = "info"
when = '(facts?.os?.nope ?? 0) >= 9600'
resolution = "x"

[[rule]]
id = "C005"
title = "has() handles absence"
severity = "info"
when = 'has("os.nope") && facts.os.nope > 1'
resolution = "x"

[[rule]]
id = "C006"
title = "comparison with () handles absence"
severity = "info"
when = 'facts?.os?.nope == ()'
resolution = "x"

[[rule]]
id = "C007"
title = "a false clause on present facts decides"
severity = "info"
when.all = ['facts.os.build > 99999', 'facts?.os?.nope > 1']
resolution = "x"

[[rule]]
id = "C008"
title = "missingness passes through derived facts"
severity = "info"
when = '!old'
resolution = "x"

[[rule]]
id = "C009"
title = "a signal with no log scanned"
severity = "info"
when = 'signal("reset").len() == 0'
resolution = "x"

[[rule]]
id = "C010"
title = "any: a true clause decides"
severity = "info"
when.any = ['facts.os.build > 1', 'facts?.os?.nope > 1']
resolution = "x"

[[rule]]
id = "C011"
title = "applicability first"
severity = "info"
requires = ["updates.installed"]
applies_if = 'facts.os.build > 99999'
when = 'true'
resolution = "x"

[[rule]]
id = "C012"
title = "applicability reads a missing fact"
severity = "info"
applies_if = 'facts?.os?.family == "windows"'
when = 'true'
resolution = "x"

[[rule]]
id = "C013"
title = "a branch not taken"
severity = "info"
when = 'if facts.os.build > 1 { true } else { facts?.os?.nope > 1 }'
resolution = "x"

[[rule]]
id = "C014"
title = "registry key through a derived name"
severity = "info"
when = '!strong_via_name'
resolution = "x"

[[rule]]
id = "C015"
title = "a handled derived fact"
severity = "info"
when = '!known_old'
resolution = "x"

[[rule]]
id = "C016"
title = "missing inside a closure's input"
severity = "info"
when = '(fact("network.connections") ?? []).filter(|c| c.x == 1).len() == 0'
resolution = "x"

[[rule]]
id = "C017"
title = "an explicit fact() read"
severity = "info"
when = 'fact("wsus.config.MUUrl") != "https://sws.update.microsoft.com"'
resolution = "x"
"#;

fn setup() -> (Evaluator, Pack) {
    let ev = Evaluator::default();
    let loaded = load_pack(vec![SourceFile::new("pack.toml", PACK)], &ev);
    assert_eq!(loaded.errors().count(), 0, "{:#?}", loaded.diagnostics);
    (ev, loaded.pack.expect("pack loads"))
}

fn run(json: &str) -> Vec<Finding> {
    let (ev, pack) = setup();
    let facts = FactMap::from_json_str(json).expect("fact json");
    let input = Arc::new(InputFacts::new(Arc::new(facts)));
    let mut c = triage_facts::Catalogue::new();
    c.add(
        "systeminfo",
        "systeminfo output",
        // Every `os` fact, typos included: these tests are about enforcement, not the catalogue.
        &[triage_facts::FactDecl::new("os.*", &[triage_facts::FactType::Any], "an os fact")],
    );
    let opts = EvalOptions { catalogue: Some(Arc::new(c)), ..Default::default() };
    ev.evaluate(&pack, &input, "host", &opts)
}

fn outcome(fs: &[Finding], id: &str) -> (Outcome, Vec<String>) {
    let f = fs.iter().find(|f| &*f.rule == id).unwrap_or_else(|| panic!("no finding for {id}"));
    let missing = f
        .missing
        .iter()
        .map(|m| match &m.artifact {
            Some(a) => format!("{} <- {a}", m.fact),
            None => m.fact.clone(),
        })
        .collect();
    (f.outcome, missing)
}

const HOST: &str = r#"{"os": {"build": 9600}}"#;

#[test]
fn optional_chaining_alone_is_not_handling_absence() {
    let fs = run(HOST);
    assert_eq!(outcome(&fs, "C001"), (Outcome::MissingFacts, vec!["os.nope <- systeminfo output".into()]));
}

#[test]
fn a_registry_key_no_export_covers_is_missing() {
    let fs = run(HOST);
    let want = vec![r#"registry:HKLM\SOFTWARE\X <- a registry export of HKLM\SOFTWARE\X (reg export "HKLM\SOFTWARE\X" FILE.reg)"#.to_owned()];
    assert_eq!(outcome(&fs, "C002"), (Outcome::MissingFacts, want.clone()));
    assert_eq!(outcome(&fs, "C014"), (Outcome::MissingFacts, want));
}

#[test]
fn a_value_absent_from_an_exported_key_is_not_set() {
    // The key is exported without the value: known, not set, so `!strong` holds.
    let fs = run(r#"{"os": {"build": 9600}, "registry": {"HKLM\\SOFTWARE\\X": {"Other": 1}}}"#);
    assert_eq!(outcome(&fs, "C002"), (Outcome::Detected, vec![]));
    assert_eq!(outcome(&fs, "C014"), (Outcome::Detected, vec![]));
    // A parent key's export covers the key: absent there means it does not exist.
    let fs = run(r#"{"os": {"build": 9600}, "registry": {"HKLM\\SOFTWARE": {}}}"#);
    assert_eq!(outcome(&fs, "C002"), (Outcome::Detected, vec![]));
    // The value set to 1: not detected.
    let fs = run(r#"{"os": {"build": 9600}, "registry": {"HKLM\\SOFTWARE\\X": {"Y": 1}}}"#);
    assert_eq!(outcome(&fs, "C002"), (Outcome::NotDetected, vec![]));
}

#[test]
fn a_typo_is_missing_not_a_pass() {
    let fs = run(HOST);
    assert_eq!(outcome(&fs, "C003"), (Outcome::MissingFacts, vec!["os.biuld <- systeminfo output".into()]));
}

#[test]
fn explicit_handling_is_respected() {
    let fs = run(HOST);
    assert_eq!(outcome(&fs, "C004").0, Outcome::NotDetected, "??");
    assert_eq!(outcome(&fs, "C005").0, Outcome::NotDetected, "has()");
    assert_eq!(outcome(&fs, "C006").0, Outcome::Detected, "== ()");
    assert_eq!(outcome(&fs, "C015").0, Outcome::Detected, "a derived fact with ??");
    assert_eq!(outcome(&fs, "C016").0, Outcome::Detected, "?? before a closure");
}

#[test]
fn present_facts_that_decide_win_over_missing_ones() {
    let fs = run(HOST);
    assert_eq!(outcome(&fs, "C007").0, Outcome::NotDetected, "all: a false clause");
    assert_eq!(outcome(&fs, "C010").0, Outcome::Detected, "any: a true clause");
    assert_eq!(outcome(&fs, "C013").0, Outcome::Detected, "if: the branch taken");
    // The same rules with the deciding fact absent too: missing.
    let fs = run(r#"{"os": {"product": "server"}}"#);
    assert_eq!(outcome(&fs, "C007").0, Outcome::MissingFacts);
    assert_eq!(
        outcome(&fs, "C010"),
        (
            Outcome::MissingFacts,
            vec!["os.build <- systeminfo output".into(), "os.nope <- systeminfo output".into()]
        )
    );
}

#[test]
fn a_derived_fact_passes_missingness_on() {
    let fs = run(HOST);
    assert_eq!(outcome(&fs, "C008"), (Outcome::MissingFacts, vec!["os.nope <- systeminfo output".into()]));
    let fs = run(r#"{"os": {"build": 9600, "nope": 10000}}"#);
    assert_eq!(outcome(&fs, "C008").0, Outcome::NotDetected);
    assert_eq!(outcome(&fs, "C001").0, Outcome::Detected);
}

#[test]
fn a_signal_whose_log_was_not_scanned_is_missing() {
    let fs = run(HOST);
    assert_eq!(outcome(&fs, "C009"), (Outcome::MissingFacts, vec!["signal reset (a `wsus` log)".into()]));
    // Scanned, nothing matched: known.
    let fs = run(r#"{"os": {"build": 9600}, "signals": {"careless/reset": []}}"#);
    assert_eq!(outcome(&fs, "C009").0, Outcome::Detected);
}

#[test]
fn applicability_comes_first() {
    let fs = run(HOST);
    // Not applicable on present facts, whatever `requires` says is missing.
    assert_eq!(outcome(&fs, "C011"), (Outcome::NotApplicable, vec![]));
    // An applicability condition that reads a missing fact: missing facts.
    assert_eq!(outcome(&fs, "C012"), (Outcome::MissingFacts, vec!["os.family <- systeminfo output".into()]));
    let fs = run(r#"{"os": {"build": 100000}}"#);
    assert_eq!(
        outcome(&fs, "C011"),
        // The test's catalogue has only `os` facts.
        (Outcome::MissingFacts, vec!["updates.installed (no collector provides `updates.installed`)".into()]),
        "applicable: then the requirements"
    );
}

#[test]
fn fact_helper_reads_are_enforced() {
    let fs = run(HOST);
    assert_eq!(outcome(&fs, "C017").0, Outcome::MissingFacts);
    let fs = run(r#"{"wsus": {"config": {"MUUrl": "https://fe2.update.microsoft.com"}}}"#);
    assert_eq!(outcome(&fs, "C017").0, Outcome::Detected);
}

#[test]
fn explain_names_what_is_missing() {
    let (ev, pack) = setup();
    let facts = FactMap::from_json_str(HOST).expect("fact json");
    let input = Arc::new(InputFacts::new(Arc::new(facts)));
    let fs = ev.evaluate(&pack, &input, "host", &EvalOptions { explain: true, ..Default::default() });
    let f = fs.iter().find(|f| &*f.rule == "C007").expect("C007");
    let x = f.explain.as_ref().expect("explanation");
    assert_eq!(x.clauses[0].value.as_deref(), Some("false"));
    assert_eq!(x.clauses[1].missing, vec!["os.nope".to_owned()]);
    assert_eq!(x.clauses[1].value, None);
}

/// The reads the analysis finds, on the AST.
#[test]
fn the_analysis_finds_reads() {
    let (_, pack) = setup();
    let reads = |id: &str| triage_engine::analysis::reads(&pack.rule(id).expect("rule").clauses[0]).clone();
    let r = reads("C005");
    assert_eq!(r.facts.iter().cloned().collect::<Vec<_>>(), ["os.nope"]);
    // `facts.os.nope` itself is read strictly; `has()` decides before it (the skeleton).
    assert_eq!(r.strict.len(), 1);
    assert!(reads("C006").strict.is_empty(), "== () handles absence");
    assert!(reads("C004").strict.is_empty(), "?? handles absence");
    let r = reads("C014");
    assert_eq!(r.derived.iter().cloned().collect::<Vec<_>>(), ["strong_via_name"]);
    let d = pack.derived.iter().find(|d| d.name == "strong_via_name").expect("derived");
    let regs: Vec<_> = triage_engine::analysis::reads(&d.expr)
        .registry
        .iter()
        .map(|r| (r.key.clone(), r.value.clone()))
        .collect();
    assert_eq!(regs, [(r"HKLM\SOFTWARE\X".to_owned(), Some("Y".to_owned()))]);
    let deps = pack.dependencies();
    use triage_engine::analysis::GraphNode as N;
    let affected = deps.affected_rules(&N::Derived("strong".into()));
    assert_eq!(affected.into_iter().collect::<Vec<_>>(), ["C002"]);
    let affected = deps.affected_rules(&N::Derived("key".into()));
    assert_eq!(affected.into_iter().collect::<Vec<_>>(), ["C014"]);
    let affected = deps.affected_rules(&N::Signal("reset".into()));
    assert_eq!(affected.into_iter().collect::<Vec<_>>(), ["C009"]);
    assert!(deps.transitive(&N::Rule("C014".into())).contains(&N::Registry(r"HKLM\SOFTWARE\X".into())));
}

const GATED: &str = r#"
[pack]
id = "gated"
version = "1.0.0"
engine = ">=0.1"
title = "A Windows pack"
applies_if = 'is_windows'

[derive]
is_windows = 'facts?.os?.family == "windows"'

[[rule]]
id = "G001"
title = "old build"
severity = "info"
requires = ["os.build"]
when = 'facts.os.build < 9600'
resolution = "x"

[[rule]]
id = "G002"
title = "no strong crypto"
severity = "info"
when = 'reg_dword(`HKLM\SOFTWARE\X`, "Y") != 1'
resolution = "x"
"#;

fn run_gated(json: &str) -> Vec<Finding> {
    let ev = Evaluator::default();
    let loaded = load_pack(vec![SourceFile::new("pack.toml", GATED)], &ev);
    assert_eq!(loaded.errors().count(), 0, "{:#?}", loaded.diagnostics);
    let pack = loaded.pack.expect("pack loads");
    let facts = FactMap::from_json_str(json).expect("fact json");
    let input = Arc::new(InputFacts::new(Arc::new(facts)));
    ev.evaluate(&pack, &input, "host", &EvalOptions::default())
}

#[test]
fn a_pack_level_applies_if_decides_every_rule_at_once() {
    // A Linux host: the Windows pack does not apply, and says so without asking for facts.
    let fs = run_gated(r#"{"os": {"family": "linux"}}"#);
    for f in &fs {
        assert_eq!((f.outcome, f.by_pack, f.missing.len()), (Outcome::NotApplicable, true, 0), "{}", f.rule);
    }
    // Nothing tells the OS family: missing once, for the pack (each finding says by_pack).
    let fs = run_gated(r#"{}"#);
    for f in &fs {
        assert_eq!((f.outcome, f.by_pack), (Outcome::MissingFacts, true), "{}", f.rule);
        assert_eq!(f.missing.iter().map(|m| m.fact.as_str()).collect::<Vec<_>>(), ["os.family"]);
    }
    // A Windows host: the rules decide, each on its own facts.
    let fs =
        run_gated(r#"{"os": {"family": "windows", "build": 9200}, "registry": {"HKLM\\SOFTWARE\\X": {}}}"#);
    assert_eq!(outcome(&fs, "G001").0, Outcome::Detected);
    assert_eq!(outcome(&fs, "G002").0, Outcome::Detected);
    assert!(fs.iter().all(|f| !f.by_pack));
}

#[test]
fn a_pack_level_applies_if_is_checked_at_load() {
    let ev = Evaluator::default();
    let bad = GATED.replace("applies_if = 'is_windows'", "applies_if = 'is_windowz'");
    let loaded = load_pack(vec![SourceFile::new("pack.toml", &bad)], &ev);
    let errors: Vec<String> = loaded.errors().map(|d| d.message.clone()).collect();
    assert_eq!(errors, ["unknown name `is_windowz` in pack applicability condition"]);
}
