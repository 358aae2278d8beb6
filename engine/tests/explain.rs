//! Explanations show the middle: every derived fact on the path to a clause — those a clause
//! names, those these read in turn, and those a `derive.NAME` requirement names — with its value,
//! or the facts whose absence leaves it missing.

use std::sync::Arc;

use triage_engine::{load_pack, EvalOptions, Evaluator, InputFacts, SourceFile};
use triage_facts::FactMap;

const PACK: &str = r#"
[pack]
id = "chain"
version = "1.0.0"
engine = ">=0.2"
title = "Derived facts reading derived facts"

[derive]
build = 'fact("os.build")'
old = 'build < 9600'
unrelated = '42'
very_old = 'old && build < 7000'
known = 'has("os.build")'
reg_on = 'reg_dword(`HKLM\SOFTWARE\X`, "Y") == 1'
via_reg = 'reg_on || false'

[[rule]]
id = "CH001"
title = "names only the last link"
severity = "info"
requires = ["derive.known"]
when = 'very_old'
resolution = "x"

[[rule]]
id = "CH002"
title = "a missing link"
severity = "info"
when = 'via_reg'
resolution = "x"
"#;

fn explain(facts: &str, rule: &str) -> Vec<(String, Option<String>, Vec<String>)> {
    let ev = Evaluator::default();
    let pack = load_pack(vec![SourceFile::new("pack.toml", PACK)], &ev).pack.expect("pack loads");
    let input = Arc::new(InputFacts::new(Arc::new(FactMap::from_json_str(facts).expect("facts"))));
    let findings = ev.evaluate(&pack, &input, "in", &EvalOptions { explain: true, ..EvalOptions::default() });
    let f = findings.into_iter().find(|f| &*f.rule == rule).expect("finding");
    f.explain.expect("explained").derived.into_iter().map(|d| (d.role, d.value, d.missing)).collect()
}

fn row(role: &str, value: Option<&str>, missing: &[&str]) -> (String, Option<String>, Vec<String>) {
    (role.into(), value.map(str::to_owned), missing.iter().map(|m| (*m).to_owned()).collect())
}

#[test]
fn every_derived_fact_on_the_path_is_shown_with_its_value() {
    assert_eq!(
        explain(r#"{"os": {"build": 6002}}"#, "CH001"),
        vec![
            row("derive.build", Some("6002"), &[]),
            row("derive.old", Some("true"), &[]),
            row("derive.very_old", Some("true"), &[]),
            row("derive.known", Some("true"), &[]),
        ],
        "`unrelated` is on no path of CH001"
    );
}

#[test]
fn a_missing_link_is_shown_with_what_is_missing() {
    assert_eq!(
        explain(r#"{"os": {"build": 6002}, "registry": {"HKLM\\SOFTWARE\\Other": {"A": 1}}}"#, "CH002"),
        vec![
            row("derive.reg_on", None, &["registry:HKLM\\SOFTWARE\\X"]),
            row("derive.via_reg", None, &["registry:HKLM\\SOFTWARE\\X"]),
        ]
    );
}
