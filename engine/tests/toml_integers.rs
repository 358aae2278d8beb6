//! TOML integers in every base and with underscores, in `[data]` and in inline test facts, are
//! read as the numbers they are (`0x800` was once read as 0 and made a rule fire wrongly).

use std::sync::Arc;

use triage_engine::{load_pack, EvalOptions, Evaluator, InputFacts, Outcome, SourceFile, TestInput};

const PACK: &str = r#"
[pack]
id = "ints"
version = "1.0.0"
engine = ">=0.1"
title = "Integers"

[data]
tls12 = 0x800
tls12_upper = 0xA_00
mode = 0o755
flags = 0b1010_0101
big = 1_000_000
neg = -42
plus = +7
max = 0x7FFF_FFFF_FFFF_FFFF
nested = { list = [0x10, 0o10, 0b10, 1_0] }

[[rule]]
id = "INT001"
title = "TLS 1.2 bit not set"
severity = "info"
when = '(facts.schannel.protocols & data.tls12) == 0'
resolution = "x"

[[rule.test]]
name = "hex facts with the bit"
facts = { schannel = { protocols = 0xA80 } }
expect = "not_detected"

[[rule.test]]
name = "hex facts without it"
facts = { schannel = { protocols = 0x0_2_8_0 } }
expect = "detected"
"#;

#[test]
fn integers_in_every_base_are_their_value() {
    let ev = Evaluator::default();
    let loaded = load_pack(vec![SourceFile::new("pack.toml", PACK)], &ev);
    assert_eq!(loaded.errors().count(), 0, "{:#?}", loaded.diagnostics);
    let pack = loaded.pack.expect("pack loads");
    assert_eq!(
        pack.data_json,
        serde_json::json!({
            "tls12": 2048, "tls12_upper": 2560, "mode": 493, "flags": 165, "big": 1_000_000,
            "neg": -42, "plus": 7, "max": i64::MAX, "nested": { "list": [16, 8, 2, 10] }
        })
    );
    let rule = pack.rule("INT001").expect("rule");
    let got: Vec<(String, Outcome)> = rule
        .tests
        .iter()
        .map(|t| {
            let TestInput::Facts(map) = &t.input else { panic!("inline facts") };
            let input = Arc::new(InputFacts::new(Arc::new(map.clone())));
            let f = ev.evaluate(&pack, &input, "t", &EvalOptions::default());
            let protocols = map.get("schannel.protocols").map(|f| format!("{:?}", f.value));
            (format!("{protocols:?}"), f[0].outcome)
        })
        .collect();
    assert_eq!(got.len(), 2);
    assert!(got[0].0.contains("2688"), "0xA80 is 2688: {:?}", got[0].0);
    assert!(got[1].0.contains("640"), "0x280 is 640: {:?}", got[1].0);
    assert_eq!((got[0].1, got[1].1), (Outcome::NotDetected, Outcome::Detected));
}
