//! `requires`: fact paths, registry keys (`registry:KEY`) and derived facts (`derive.NAME`), as
//! alternatives; what each gives when present, absent or unknown; load errors for bad entries.

use std::sync::Arc;

use triage_engine::{
    load_pack, Code, EvalOptions, Evaluator, Finding, InputFacts, Outcome, Pack, SourceFile,
};
use triage_facts::FactMap;

const PACK: &str = r#"
[pack]
id = "req"
version = "1.0.0"
engine = ">=0.1"
title = "Requirements"

[derive]
net = '`HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319`'
net_known = 'reg_key_exists(net)'
build_or_unit = 'facts?.os?.build'
no_logs = '!has("logs")'

[[rule]]
id = "REQ001"
title = "Registry key"
severity = "info"
requires = ['registry:HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319']
when = 'true'
resolution = "x"

[[rule]]
id = "REQ002"
title = "Derived fact, with the artifact that provides it"
severity = "info"
requires = [{ fact = "derive.net_known", artifact = "reg export HKLM\\SOFTWARE\\Microsoft\\.NETFramework" }]
when = 'true'
resolution = "x"

[[rule]]
id = "REQ003"
title = "A derived value that is () is missing; any other value but false is present"
severity = "info"
requires = ["derive.build_or_unit"]
when = 'true'
resolution = "x"

[[rule]]
id = "REQ004"
title = "Alternatives of every kind"
severity = "info"
requires = ['os.build | registry:HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319 | derive.no_logs']
when = 'true'
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
    let opts = EvalOptions { catalogue: registry_catalogue("a `reg export`"), ..Default::default() };
    ev.evaluate(&pack, &input, "server1", &opts)
}

fn outcome(fs: &[Finding], id: &str) -> Outcome {
    fs.iter().find(|f| &*f.rule == id).expect("finding for rule").outcome
}

fn missing(fs: &[Finding], id: &str) -> Vec<(String, Option<String>)> {
    let f = fs.iter().find(|f| &*f.rule == id).expect("finding for rule");
    f.missing.iter().map(|m| (m.fact.clone(), m.artifact.clone())).collect()
}

/// The key as `reg export` writes it (long hive name, other case), with no values at all.
const KEY_NO_VALUES: &str = r#"{"registry": {"HKEY_LOCAL_MACHINE\\software\\microsoft\\.NETFramework\\v4.0.30319": {}}, "logs": {"x": 1}}"#;

#[test]
fn a_registry_key_is_present_in_any_spelling_even_without_values() {
    let fs = run(KEY_NO_VALUES);
    assert_eq!(outcome(&fs, "REQ001"), Outcome::Detected);
    assert_eq!(outcome(&fs, "REQ002"), Outcome::Detected, "reg_key_exists sees it too");
    assert_eq!(outcome(&fs, "REQ004"), Outcome::Detected, "the registry alternative holds");
}

#[test]
fn a_missing_registry_key_names_the_key_and_what_provides_the_registry() {
    let fs = run(r#"{"registry": {"HKLM\\SOFTWARE\\Other": {"A": 1}}, "logs": {"x": 1}}"#);
    assert_eq!(outcome(&fs, "REQ001"), Outcome::MissingFacts);
    assert_eq!(
        missing(&fs, "REQ001"),
        [(
            r"registry:HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319".to_owned(),
            Some("a `reg export`".to_owned())
        )]
    );
}

#[test]
fn a_false_derived_fact_is_missing_with_the_artifact_given() {
    let fs = run(r#"{"logs": {"x": 1}}"#);
    assert_eq!(outcome(&fs, "REQ002"), Outcome::MissingFacts);
    assert_eq!(
        missing(&fs, "REQ002"),
        [(
            "derive.net_known".to_owned(),
            Some(r"reg export HKLM\SOFTWARE\Microsoft\.NETFramework".to_owned())
        )]
    );
}

#[test]
fn a_unit_derived_fact_is_missing_and_any_other_value_is_present() {
    let fs = run(r#"{"logs": {"x": 1}}"#);
    assert_eq!(outcome(&fs, "REQ003"), Outcome::MissingFacts);
    assert_eq!(missing(&fs, "REQ003"), [("derive.build_or_unit".to_owned(), None)]);
    let fs = run(r#"{"os": {"build": 0}}"#);
    assert_eq!(outcome(&fs, "REQ003"), Outcome::Detected, "0 is a value, not a missing fact");
}

#[test]
fn alternatives_mix_paths_keys_and_derived_facts() {
    // None holds: no os.build, no key, and logs present (so `no_logs` is false).
    let fs = run(r#"{"logs": {"x": 1}}"#);
    assert_eq!(outcome(&fs, "REQ004"), Outcome::MissingFacts);
    let (fact, artifact) = missing(&fs, "REQ004").remove(0);
    assert_eq!(
        fact,
        r"os.build | registry:HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319 | derive.no_logs"
    );
    assert_eq!(artifact.as_deref(), Some("a `reg export`"), "the registry alternative's provider");
    // Each alternative alone is enough.
    assert_eq!(outcome(&run(r#"{"os": {"build": 9600}, "logs": {"x": 1}}"#), "REQ004"), Outcome::Detected);
    assert_eq!(outcome(&run(r#"{"os": {"product": "server"}}"#), "REQ004"), Outcome::Detected);
}

#[test]
fn bad_requirements_are_load_errors_at_the_rule() {
    let text = r#"
[pack]
id = "bad"
version = "1.0.0"
engine = ">=0.1"
title = "Bad"

[derive]
known = 'true'

[[rule]]
id = "BAD001"
title = "t"
severity = "info"
requires = ["derive.nope", "registry:", "os..build", "derive.known | registry:HKLM"]
when = 'true'
resolution = "x"
"#;
    let ev = Evaluator::default();
    let loaded = load_pack(vec![SourceFile::new("pack.toml", text)], &ev);
    let errors: Vec<(Code, String)> = loaded.errors().map(|d| (d.code, d.message.clone())).collect();
    assert_eq!(
        errors,
        [
            (Code::UnknownDerived, "unknown derived fact `nope` in requires".to_owned()),
            (Code::BadValue, "`registry:` does not name a registry key".to_owned()),
            (Code::BadValue, "`os..build` is not a fact path".to_owned()),
            (Code::BadValue, "`registry:HKLM` does not name a registry key".to_owned()),
        ],
        "{:#?}",
        loaded.diagnostics
    );
    // Each label is on the `requires` line, at its entry.
    let line = text.lines().position(|l| l.starts_with("requires")).expect("requires line") + 1;
    for d in loaded.errors() {
        assert_eq!(d.line_col().map(|(l, _)| l), Some(line), "{d:?}");
    }
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
