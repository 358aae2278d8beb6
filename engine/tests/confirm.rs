//! Confirmation as part of the model: a rule's `confirm` names what proves its diagnosis apart
//! from the symptoms `when` needs. Symptoms present and confirmation not collected → detected,
//! unconfirmed, naming what to collect; confirmation contradicting → not_detected; confirmation
//! present and holding → detected, confirmed, with its facts as evidence.

use std::sync::Arc;

use triage_engine::{
    load_pack, EvalOptions, Evaluator, Finding, InputFacts, MissingFact, Outcome, Pack, SourceFile,
};
use triage_facts::FactMap;

const PACK: &str = r#"
[pack]
id = "confirming"
version = "1.0.0"
engine = ">=0.2"
title = "Rules confirmed by a fact apart from their symptoms"

[derive]
key_seen = 'reg_key_exists(`HKLM\SOFTWARE\X`)'
strong = 'reg_dword(`HKLM\SOFTWARE\X`, "Y") == 1'
weak = '!strong'

[[rule]]
id = "CF001"
title = "symptom, confirmed by a condition"
severity = "error"
when = 'facts.log.failures > 0'
confirm = [{ when = '!strong', artifact = "reg export HKLM\\SOFTWARE\\X" }]
resolution = "fix"

[[rule]]
id = "CF002"
title = "symptom, confirmed by a fact being there and a condition on it"
severity = "error"
when = 'facts.log.failures > 0'
confirm = [{ fact = "derive.key_seen", when = 'weak', artifact = "reg export HKLM\\SOFTWARE\\X" }]
resolution = "fix"

[[rule]]
id = "CF003"
title = "two confirmations: one not collected, one contradicting"
severity = "error"
when = 'facts.log.failures > 0'
confirm = [
  { fact = "os.build" },
  { when = 'facts.log.failures < 10' },
]
resolution = "fix"

[[rule]]
id = "CF004"
title = "a confirmation that fails to evaluate"
severity = "error"
when = 'facts.log.failures > 0'
confirm = [{ when = 'facts.log.failures / 0 > 1' }]
resolution = "fix"
"#;

fn pack(ev: &Evaluator) -> Pack {
    let r = load_pack(vec![SourceFile::new("pack.toml", PACK)], ev);
    assert!(
        r.diagnostics.iter().all(|d| d.level != triage_engine::pack::Level::Error),
        "{:?}",
        r.diagnostics
    );
    r.pack.expect("pack loads")
}

fn eval(facts: &str, explain: bool) -> Vec<Finding> {
    let ev = Evaluator::default();
    let pack = pack(&ev);
    let input = Arc::new(InputFacts::new(Arc::new(FactMap::from_json_str(facts).expect("facts"))));
    ev.evaluate(&pack, &input, "in", &EvalOptions { explain, ..EvalOptions::default() })
}

fn find<'a>(fs: &'a [Finding], id: &str) -> &'a Finding {
    fs.iter().find(|f| &*f.rule == id).expect("a finding per rule")
}

/// `(outcome, unconfirmed, to_confirm facts)` of each rule, in order.
fn outcomes(fs: &[Finding]) -> Vec<(&str, Outcome, bool, Vec<&str>)> {
    fs.iter()
        .map(|f| (&*f.rule, f.outcome, f.unconfirmed, f.to_confirm.iter().map(|m| m.fact.as_str()).collect()))
        .collect()
}

const SYMPTOM_ONLY: &str = r#"{"log": {"failures": 3}, "registry": {"HKLM\\SOFTWARE\\Other": {"A": 1}}}"#;
const WEAK: &str =
    r#"{"log": {"failures": 3}, "os": {"build": 9600}, "registry": {"HKLM\\SOFTWARE\\X": {"Y": 0}}}"#;
const STRONG: &str =
    r#"{"log": {"failures": 30}, "os": {"build": 9600}, "registry": {"HKLM\\SOFTWARE\\X": {"Y": 1}}}"#;
const NO_SYMPTOM: &str = r#"{"log": {"failures": 0}}"#;

#[test]
fn symptoms_without_the_confirming_facts_are_detected_but_unconfirmed() {
    let fs = eval(SYMPTOM_ONLY, false);
    assert_eq!(
        outcomes(&fs),
        vec![
            ("CF001", Outcome::Detected, true, vec!["registry:HKLM\\SOFTWARE\\X"]),
            ("CF002", Outcome::Detected, true, vec!["derive.key_seen"]),
            ("CF003", Outcome::Detected, true, vec!["os.build"]),
            ("CF004", Outcome::Error, false, vec![]),
        ]
    );
    let f = find(&fs, "CF001");
    assert_eq!(
        f.to_confirm,
        vec![MissingFact {
            fact: "registry:HKLM\\SOFTWARE\\X".into(),
            artifact: Some("reg export HKLM\\SOFTWARE\\X".into())
        }]
    );
    assert_eq!(f.resolution.as_deref(), Some("fix"), "an unconfirmed finding still has its fix");
    assert!(f.missing.is_empty(), "nothing is missing for the outcome itself");
    let json = serde_json::to_value(f).expect("json");
    assert_eq!(json["unconfirmed"], true);
    assert_eq!(json["to_confirm"][0]["artifact"], "reg export HKLM\\SOFTWARE\\X");
}

#[test]
fn confirming_facts_that_hold_confirm_and_are_evidence() {
    let fs = eval(WEAK, false);
    assert_eq!(
        outcomes(&fs),
        vec![
            ("CF001", Outcome::Detected, false, vec![]),
            ("CF002", Outcome::Detected, false, vec![]),
            ("CF003", Outcome::Detected, false, vec![]),
            ("CF004", Outcome::Error, false, vec![]),
        ]
    );
    let f = find(&fs, "CF001");
    assert!(
        f.evidence.iter().any(|e| e.fact.contains("SOFTWARE\\X") && e.value.as_deref() == Some("0")),
        "{:?}",
        f.evidence
    );
    let json = serde_json::to_value(f).expect("json");
    assert!(json.get("unconfirmed").is_none() && json.get("to_confirm").is_none(), "{json}");
}

#[test]
fn confirming_facts_that_contradict_make_it_not_detected() {
    let fs = eval(STRONG, false);
    assert_eq!(
        outcomes(&fs),
        vec![
            ("CF001", Outcome::NotDetected, false, vec![]),
            ("CF002", Outcome::NotDetected, false, vec![]),
            ("CF003", Outcome::NotDetected, false, vec![]),
            ("CF004", Outcome::Error, false, vec![]),
        ]
    );
    assert!(find(&fs, "CF001").resolution.is_none());
    assert!(
        find(&fs, "CF004").error.as_deref().is_some_and(|e| e.contains("pack.toml:")),
        "{:?}",
        find(&fs, "CF004").error
    );
}

#[test]
fn without_the_symptoms_confirmation_is_not_looked_at() {
    let fs = eval(NO_SYMPTOM, false);
    for f in &fs {
        assert_eq!((&*f.rule, f.outcome, f.unconfirmed), (&*f.rule, Outcome::NotDetected, false));
    }
}

#[test]
fn explain_shows_each_confirmation() {
    let fs = eval(SYMPTOM_ONLY, true);
    let x = find(&fs, "CF002").explain.as_ref().expect("explained");
    let c: Vec<(&str, &str, Option<&str>, Vec<&str>)> = x
        .confirm
        .iter()
        .map(|c| {
            (
                c.role.as_str(),
                c.expression.as_str(),
                c.value.as_deref(),
                c.missing.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(c, vec![("confirm[0]", "collected: derive.key_seen", None, vec!["derive.key_seen"])]);
    let x = find(&eval(WEAK, true), "CF003").explain.clone().expect("explained");
    let c: Vec<(&str, Option<&str>)> =
        x.confirm.iter().map(|c| (c.role.as_str(), c.value.as_deref())).collect();
    assert_eq!(c, vec![("confirm[0]", Some("true")), ("confirm[1]", Some("true"))]);
}

#[test]
fn a_confirmation_needs_fact_or_when_and_known_keys() {
    let ev = Evaluator::default();
    let bad = PACK.replace(
        "confirm = [{ when = '!strong', artifact = \"reg export HKLM\\\\SOFTWARE\\\\X\" }]",
        "confirm = [{ artifact = \"x\" }, { whne = 'true' }, 'true']",
    );
    assert_ne!(bad, PACK, "the pack was changed");
    let r = load_pack(vec![SourceFile::new("pack.toml", bad)], &ev);
    let messages: Vec<String> = r.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert!(r.pack.is_none());
    assert!(messages.iter().any(|m| m == "a confirmation needs `fact`, `when`, or both"), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("unknown key `whne`")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("wrong type") || m.contains("expected")), "{messages:?}");
}
