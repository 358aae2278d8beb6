//! Every helper example in `docs/rule-language.md` (the ```examples block), evaluated against
//! the facts below: the reference cannot drift from the engine. Plus property tests for
//! version comparison and registry key normalisation.

use std::sync::Arc;

use proptest::prelude::*;
use triage_engine::sandbox::normalise_key;
use triage_engine::{load_pack, Evaluator, InputFacts, Pack, SourceFile};
use triage_facts::FactMap;

const FACTS: &str = r#"{
  "os": {"build": 9600, "product": "server"},
  "updates": {"installed": ["KB5001"], "none": []},
  "registry": {
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319": {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1},
    "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002": {"Functions": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_CBC_SHA"}
  },
  "signals": {"docs/reset": [{"line": 12, "text": "forcibly closed", "fields": {"process": "w3wp"}}]}
}"#;

const PACK: &str = r#"
[pack]
id = "docs"
version = "1.0.0"
engine = ">=0.1"
title = "Docs examples"

[signals.reset]
log = "wsus"
pattern = "forcibly closed"
"#;

fn setup() -> (Evaluator, Pack, Arc<InputFacts>) {
    let ev = Evaluator::default();
    let pack = load_pack(vec![SourceFile::new("pack.toml", PACK)], &ev).pack.expect("pack loads");
    let input = Arc::new(InputFacts::new(Arc::new(FactMap::from_json_str(FACTS).expect("facts"))));
    (ev, pack, input)
}

fn doc_examples() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rule-language.md"))
        .expect("docs/rule-language.md");
    let start = doc.find("```examples\n").expect("an examples block") + "```examples\n".len();
    let end = start + doc[start..].find("```").expect("closing fence");
    doc[start..end]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (expr, want) = l.rsplit_once("=>").expect("`expr => result`");
            // The docs show `\n` inside quoted strings as an escape; Rhai reads it the same way.
            (expr.trim().to_owned(), want.trim().to_owned())
        })
        .collect()
}

#[test]
fn documented_examples_hold() {
    let (ev, pack, input) = setup();
    let examples = doc_examples();
    assert!(examples.len() >= 30, "only {} examples found", examples.len());
    let mut failures = Vec::new();
    for (expr, want) in &examples {
        let got = ev.evaluate_expression(&pack, &input, expr);
        if got.as_deref() != Ok(want.as_str()) {
            failures.push(format!("{expr}\n  want {want}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expression_errors_are_reported_not_panics() {
    let (ev, pack, input) = setup();
    let e = ev.evaluate_expression(&pack, &input, "facts.nope.build").expect_err("property of ()");
    assert!(e.contains("build"), "{e}");
    let e = ev.evaluate_expression(&pack, &input, r#"matches("x", "(")"#).expect_err("bad regex");
    assert!(e.contains("invalid regex"), "{e}");
    assert!(ev.evaluate_expression(&pack, &input, "1 +").is_err());
}

fn version_string() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(0u32..100_000, 1..5)
}

fn dotted(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

proptest! {
    /// `version_cmp` agrees with comparing the components as numbers, zero-padded.
    #[test]
    fn version_cmp_is_numeric(a in version_string(), b in version_string()) {
        let (ev, pack, input) = setup();
        let n = a.len().max(b.len());
        let pad = |v: &[u32]| { let mut v = v.to_vec(); v.resize(n, 0); v };
        let want = (pad(&a).cmp(&pad(&b)) as i8).to_string();
        let got = ev.evaluate_expression(&pack, &input, &format!(r#"version_cmp("{}", "{}")"#, dotted(&a), dotted(&b)));
        prop_assert_eq!(got, Ok(want));
        let back = ev.evaluate_expression(&pack, &input, &format!(r#"version_cmp("{}", "{}")"#, dotted(&b), dotted(&a)));
        prop_assert_eq!(back, Ok(((pad(&b).cmp(&pad(&a))) as i8).to_string()));
    }

    /// Key normalisation ignores case, the long or short hive name, and stray backslashes.
    #[test]
    fn registry_keys_normalise(segs in prop::collection::vec("[A-Za-z0-9._ -]{0,10}[A-Za-z0-9._-]", 1..6), long in any::<bool>(), upper in any::<bool>()) {
        let path = segs.join("\\");
        let hive = if long { "HKEY_LOCAL_MACHINE" } else { "HKLM" };
        let path = if upper { path.to_uppercase() } else { path.to_lowercase() };
        let a = normalise_key(&format!("{hive}\\{path}"));
        let b = normalise_key(&format!("\\HKLM\\\\{}\\", segs.join("\\\\")));
        prop_assert_eq!(&a, &b);
        prop_assert!(a.starts_with("hklm\\"));
        prop_assert!(!a.contains("\\\\"));
    }
}
