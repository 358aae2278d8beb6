//! Evaluation: every outcome, evidence with provenance, explanations, resolution templates.

use std::sync::Arc;

use triage_engine::{
    load_pack, EvalOptions, Evaluator, Finding, InputFacts, Outcome, Pack, SourceFile, TestInput,
};
use triage_facts::FactMap;

const PACK: &str = r#"
[pack]
id = "demo"
version = "1.2.0"
engine = ">=0.1"
title = "Demo pack"
retired = ["DEMO900"]

[data]
min_build = 9600

[derive]
strong_crypto = 'reg_dword(`HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319`, "SchUseStrongCrypto") == 1'
old_os = 'facts.os.build < data.min_build'

[signals.reset]
log = "wsus"
pattern = 'forcibly closed by the remote host'
where = 'record.fields.process == "w3wp"'

[[rule]]
id = "DEMO001"
title = "Import reset without strong crypto"
severity = "error"
tags = ["import"]
requires = ["registry", { fact = "signals", artifact = "SoftwareDistribution.log" }]
when.all = [
  'signal("reset").len() > 0',
  '!strong_crypto',
]
resolution = '''
Set SchUseStrongCrypto to 1 (now {{ reg(`HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319`, "SchUseStrongCrypto") }}).
First reset at line {{ signal("reset")[0].line }}.'''

[[rule.test]]
name = "reset and crypto off"
facts = { registry = { 'HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319' = { SchUseStrongCrypto = 0 } }, signals = { "demo/reset" = [{ line = 3, text = "x", fields = { process = "w3wp" } }] } }
expect = "detected"

[[rule.test]]
name = "crypto on"
input = "tests/crypto-on/"
expect = "not_detected"

[[rule]]
id = "DEMO002"
title = "Old OS"
severity = "warning"
requires = ["os.build"]
applies_if = 'facts.os.product != "client"'
when.any = ['old_os', 'facts.os.build == 1']
resolution = "Upgrade from build {{ facts.os.build }}."

[[rule]]
id = "DEMO003"
title = "Fails at run time"
severity = "info"
when = 'facts.os.build.nope > 1'
resolution = "never"
"#;

fn setup() -> (Evaluator, Pack) {
    let ev = Evaluator::default();
    let loaded = load_pack(vec![SourceFile::new("pack.toml", PACK)], &ev);
    assert_eq!(loaded.errors().count(), 0, "{:#?}", loaded.diagnostics);
    (ev, loaded.pack.expect("pack loads"))
}

fn run(ev: &Evaluator, pack: &Pack, json: &str, explain: bool) -> Vec<Finding> {
    let facts = FactMap::from_json_str(json).expect("fact json");
    let input = Arc::new(InputFacts::new(Arc::new(facts)));
    let opts = EvalOptions { explain, catalogue: registry_catalogue("a `reg export` of HKLM\\SOFTWARE") };
    ev.evaluate(pack, &input, "server1", &opts)
}

fn finding<'a>(fs: &'a [Finding], id: &str) -> &'a Finding {
    fs.iter().find(|f| &*f.rule == id).expect("finding for rule")
}

const DETECTED: &str = r#"{
  "registry": {"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319": {
     "SchUseStrongCrypto": {"$value": 0, "$source": {"artifact": "net.reg", "collector": "registry", "line": 7, "key": "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319\\SchUseStrongCrypto"}}}},
  "signals": {"demo/reset": [
     {"$value": {"line": 12, "text": "An existing connection was forcibly closed by the remote host", "fields": {"process": "w3wp"}},
      "$source": {"artifact": "SoftwareDistribution.log", "collector": "logs", "line": 12, "span": {"start": 100, "end": 160}}},
     {"$value": {"line": 20, "text": "forcibly closed by the remote host (sync)", "fields": {"process": "WsusService"}},
      "$source": {"artifact": "SoftwareDistribution.log", "collector": "logs", "line": 20}}
  ]},
  "os": {"build": 9200, "product": "server"}
}"#;

#[test]
fn detected_with_evidence_and_resolution() {
    let (ev, pack) = setup();
    let fs = run(&ev, &pack, DETECTED, false);
    assert_eq!(fs.iter().map(|f| &*f.rule).collect::<Vec<_>>(), ["DEMO001", "DEMO002", "DEMO003"]);
    let f = finding(&fs, "DEMO001");
    assert_eq!(f.outcome, Outcome::Detected, "{f:#?}");
    assert_eq!(
        f.resolution.as_deref(),
        Some("Set SchUseStrongCrypto to 1 (now 0).\nFirst reset at line 12.")
    );
    // The signal match kept by `where` (w3wp only), with its artifact, line and span.
    let sig: Vec<_> = f.evidence.iter().filter(|e| e.fact == "signal reset").collect();
    assert_eq!(sig.len(), 1, "{:#?}", f.evidence);
    let src = sig[0].source.as_ref().expect("signal provenance");
    assert_eq!(
        (src.artifact.as_str(), src.line, src.span),
        ("SoftwareDistribution.log", Some(12), Some([100, 160]))
    );
    assert_eq!(sig[0].text.as_deref(), Some("An existing connection was forcibly closed by the remote host"));
    // The registry value the derived fact read, with provenance.
    let reg = f.evidence.iter().find(|e| e.fact.ends_with("SchUseStrongCrypto")).expect("registry evidence");
    assert_eq!(reg.value.as_deref(), Some("0"));
    assert_eq!(reg.source.as_ref().and_then(|s| s.line), Some(7));

    let f2 = finding(&fs, "DEMO002");
    assert_eq!(f2.outcome, Outcome::Detected);
    assert_eq!(f2.resolution.as_deref(), Some("Upgrade from build 9200."));
}

#[test]
fn not_detected_when_the_condition_is_false() {
    let (ev, pack) = setup();
    let json = DETECTED.replace(r#""$value": 0"#, r#""$value": 1"#).replace("9200", "17763");
    let fs = run(&ev, &pack, &json, false);
    assert_eq!(finding(&fs, "DEMO001").outcome, Outcome::NotDetected);
    assert_eq!(finding(&fs, "DEMO001").resolution, None);
    assert_eq!(finding(&fs, "DEMO002").outcome, Outcome::NotDetected);
}

#[test]
fn not_applicable_when_applies_if_is_false() {
    let (ev, pack) = setup();
    let fs = run(&ev, &pack, r#"{"os": {"build": 1, "product": "client"}}"#, false);
    assert_eq!(finding(&fs, "DEMO002").outcome, Outcome::NotApplicable);
}

#[test]
fn missing_facts_names_the_fact_and_the_artifact() {
    let (ev, pack) = setup();
    let fs = run(&ev, &pack, r#"{"os": {"build": 1}}"#, false);
    let f = finding(&fs, "DEMO001");
    assert_eq!(f.outcome, Outcome::MissingFacts);
    let missing: Vec<(&str, Option<&str>)> =
        f.missing.iter().map(|m| (m.fact.as_str(), m.artifact.as_deref())).collect();
    assert_eq!(
        missing,
        [
            ("registry", Some("a `reg export` of HKLM\\SOFTWARE")),
            ("signals", Some("SoftwareDistribution.log"))
        ]
    );
}

#[test]
fn error_says_why_and_where_and_other_rules_still_run() {
    let (ev, pack) = setup();
    let fs = run(&ev, &pack, DETECTED, false);
    let f = finding(&fs, "DEMO003");
    assert_eq!(f.outcome, Outcome::Error);
    let e = f.error.as_deref().expect("error message");
    assert!(e.starts_with("pack.toml:58:"), "{e}");
    assert!(e.contains("nope"), "{e}");
    assert_eq!(finding(&fs, "DEMO001").outcome, Outcome::Detected);
}

#[test]
fn non_bool_condition_is_an_error() {
    let ev = Evaluator::default();
    let text = PACK.replace("when = 'facts.os.build.nope > 1'", "when = 'facts.os.build'");
    let pack = load_pack(vec![SourceFile::new("pack.toml", text)], &ev).pack.expect("loads");
    let fs = run(&ev, &pack, DETECTED, false);
    let e = finding(&fs, "DEMO003").error.clone().expect("error");
    assert!(e.contains("expected a bool"), "{e}");
    assert!(e.contains("9200"), "{e}");
}

#[test]
fn explain_shows_every_clause_its_value_and_reads() {
    let (ev, pack) = setup();
    let json = DETECTED.replace(r#""$value": 0"#, r#""$value": 1"#);
    let fs = run(&ev, &pack, &json, true);
    let x = finding(&fs, "DEMO001").explain.clone().expect("explanation");
    assert_eq!(x.combine, "all");
    assert_eq!(
        x.requires.iter().map(|r| (r.fact.as_str(), r.present)).collect::<Vec<_>>(),
        [("registry", true), ("signals", true)]
    );
    let clauses: Vec<(&str, Option<&str>)> =
        x.clauses.iter().map(|c| (c.role.as_str(), c.value.as_deref())).collect();
    assert_eq!(clauses, [("when.all[0]", Some("true")), ("when.all[1]", Some("false"))]);
    assert_eq!(x.derived.len(), 1);
    assert_eq!(x.derived[0].role, "derive.strong_crypto");
    assert_eq!(x.derived[0].value.as_deref(), Some("true"));
    assert!(x.derived[0].reads.iter().any(|r| r.value.as_deref() == Some("1")), "{:#?}", x.derived[0]);
    assert_eq!(x.clauses[1].location, "pack.toml:29");
    // Explanations exist for rules that did not run their condition too.
    let fs = run(&ev, &pack, "{}", true);
    let x = finding(&fs, "DEMO001").explain.clone().expect("explanation");
    assert!(x.requires.iter().all(|r| !r.present));
}

#[test]
fn facts_paths_read_are_evidence() {
    let (ev, pack) = setup();
    let json = r#"{"os": {"build": {"$value": 9200, "$source": {"artifact": "systeminfo.txt", "collector": "system", "line": 4}}, "product": "server"}}"#;
    let fs = run(&ev, &pack, json, false);
    let f = finding(&fs, "DEMO002");
    assert_eq!(f.outcome, Outcome::Detected);
    let e = f.evidence.iter().find(|e| e.fact == "os.build").expect("os.build evidence");
    assert_eq!(e.value.as_deref(), Some("9200"));
    assert_eq!(e.source.as_ref().map(|s| s.artifact.as_str()), Some("systeminfo.txt"));
}

#[test]
fn scan_plan_and_test_declarations() {
    let (_, pack) = setup();
    let plan = triage_engine::scan_plan([&pack]);
    assert_eq!(plan.signals.len(), 1);
    assert_eq!(plan.signals[0].id, "demo/reset");
    assert_eq!(plan.signals[0].log, "wsus");
    assert_eq!(plan.signals[0].pattern, "forcibly closed by the remote host");
    let tests = pack.tests();
    assert_eq!(tests.len(), 2);
    assert_eq!(
        (tests[0].rule, tests[0].test.name.as_str(), tests[0].test.expect),
        ("DEMO001", "reset and crypto off", Outcome::Detected)
    );
    assert!(matches!(&tests[1].test.input, TestInput::Folder(f) if f == "tests/crypto-on/"));
    assert_eq!(pack.manifest.retired, ["DEMO900"]);
    // Inline facts run as they are.
    let ev = Evaluator::default();
    let TestInput::Facts(facts) = &tests[0].test.input else { panic!("inline facts expected") };
    let input = Arc::new(InputFacts::new(Arc::new(facts.clone())));
    let fs = ev.evaluate(&pack, &input, "test", &EvalOptions::default());
    assert_eq!(finding(&fs, "DEMO001").outcome, Outcome::Detected, "{:#?}", finding(&fs, "DEMO001"));
}

#[test]
fn findings_serialise_with_the_contract_fields() {
    let (ev, pack) = setup();
    let fs = run(&ev, &pack, DETECTED, false);
    let json = serde_json::to_value(&fs[0]).expect("serialises");
    for key in ["rule", "outcome", "severity", "title", "evidence", "resolution"] {
        assert!(json.get(key).is_some(), "missing {key} in {json}");
    }
    assert_eq!(json["outcome"], "detected");
    assert_eq!(json["severity"], "error");
}

/// Only signals some expression reads as a list are copied into the `signals` scope map; the
/// others still count their kept matches and give evidence, and the helper still lists them.
#[test]
fn signals_read_as_lists_counts_and_closures() {
    let text = r#"
[pack]
id = "sig"
version = "1.0.0"
engine = ">=0.1"
title = "Signals"

[signals.counted]
log = "wsus"
pattern = 'a'
where = 'record.fields.process == "w3wp"'

[signals.indexed]
log = "wsus"
pattern = 'b'

[signals.closure]
log = "wsus"
pattern = 'c'

[[rule]]
id = "S001"
title = "Counted"
severity = "info"
when = 'signal("counted").len() == 1'
resolution = "counted"

[[rule]]
id = "S002"
title = "Indexed"
severity = "info"
when = 'signal("indexed")[1].line == 21'
resolution = "first at {{ signal(\"indexed\")[0].line }}"

[[rule]]
id = "S003"
title = "Closure"
severity = "info"
when = 'signal("closure").filter(|m| m.line > 30).len() == 1'
resolution = "closure"
"#;
    let ev = Evaluator::default();
    let loaded = load_pack(vec![SourceFile::new("pack.toml", text)], &ev);
    assert_eq!(loaded.errors().count(), 0, "{:#?}", loaded.diagnostics);
    let pack = loaded.pack.expect("pack loads");
    let listed: Vec<(&str, bool)> = pack.signals.iter().map(|s| (s.name.as_str(), s.listed)).collect();
    assert_eq!(listed, [("closure", false), ("counted", false), ("indexed", true)]);

    let m = |text: &str, line: u32, process: &str| {
        format!(
            r#"{{"$value": {{"line": {line}, "text": "{text}", "fields": {{"process": "{process}"}}}}, "$source": {{"artifact": "SoftwareDistribution.log", "collector": "logs", "line": {line}}}}}"#
        )
    };
    let json = format!(
        r#"{{"signals": {{"sig/counted": [{}, {}], "sig/indexed": [{}, {}], "sig/closure": [{}, {}]}}}}"#,
        m("a", 10, "w3wp"),
        m("a", 11, "WsusService"),
        m("b", 20, "w3wp"),
        m("b", 21, "w3wp"),
        m("c", 30, "w3wp"),
        m("c", 31, "w3wp"),
    );
    let fs = run(&ev, &pack, &json, false);
    let outcomes: Vec<(&str, Outcome)> = fs.iter().map(|f| (&*f.rule, f.outcome)).collect();
    assert_eq!(
        outcomes,
        [("S001", Outcome::Detected), ("S002", Outcome::Detected), ("S003", Outcome::Detected)],
        "{fs:#?}"
    );
    assert_eq!(finding(&fs, "S002").resolution.as_deref(), Some("first at 20"));
    // The counted signal's evidence is its one kept match.
    let ev1: Vec<_> = finding(&fs, "S001").evidence.iter().filter(|e| e.fact == "signal counted").collect();
    assert_eq!(ev1.len(), 1, "{:#?}", finding(&fs, "S001").evidence);
    assert_eq!(ev1[0].source.as_ref().and_then(|s| s.line), Some(10));
    // An ad-hoc expression reads the matches through the helper, whatever `listed` says.
    let input = Arc::new(InputFacts::new(Arc::new(FactMap::from_json_str(&json).expect("fact json"))));
    assert_eq!(ev.evaluate_expression(&pack, &input, r#"signal("counted")[0].line"#), Ok("10".to_owned()));
}

/// A catalogue in which the registry collector provides every registry value.
fn registry_catalogue(artifact: &str) -> Option<Arc<triage_facts::Catalogue>> {
    let mut c = triage_facts::Catalogue::new();
    c.add(
        "registry",
        artifact,
        &[triage_facts::FactDecl::new(
            "registry.*.*",
            &[triage_facts::FactType::Int, triage_facts::FactType::Str],
            "a value",
        )],
    );
    Some(Arc::new(c))
}
