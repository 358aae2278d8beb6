//! Property tests for the configuration collectors: generated `AppContextSwitchOverrides` and
//! WSUS configuration JSON parse back to what was written, with spans on the written text, in
//! UTF-8 and UTF-16LE; arbitrary input never panics any of them.

use std::collections::BTreeMap;

use proptest::prelude::*;
use triage_collectors::system::{hotfix_csv, systeminfo};
use triage_collectors::{dotnet_config, gpresult, text, wsus_config};
use triage_facts::{CollectorOutput, Value};

fn encode(text: &str, utf16: bool) -> Vec<u8> {
    if utf16 {
        let mut v = vec![0xFF, 0xFE];
        v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        v
    } else {
        text.as_bytes().to_vec()
    }
}

fn spanned(bytes: &[u8], out: &CollectorOutput, path: &[&str]) -> Option<String> {
    let span = out.facts.get_segments(path)?.source.as_ref()?.span?;
    text::decode(bytes).text.get(span.start as usize..span.end as usize).map(str::to_owned)
}

fn switch() -> impl Strategy<Value = (String, String, bool)> {
    ("Switch\\.[A-Za-z][A-Za-z0-9.]{0,24}", prop_oneof!["true", "false", "True", "FALSE", "tRuE"]).prop_map(
        |(name, v)| {
            let b = v.eq_ignore_ascii_case("true");
            (name, v, b)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn switches_parse_back(
        switches in proptest::collection::vec(switch(), 0..8),
        seps in proptest::collection::vec(prop_oneof![";", "; ", ";\r\n      ", " ;", ";;"], 8),
        utf16 in any::<bool>(),
    ) {
        let value: String = switches
            .iter()
            .zip(&seps)
            .map(|((n, v, _), sep)| format!("{n}={v}{sep}"))
            .collect();
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"{}\"?>\r\n<configuration>\r\n  <runtime>\r\n    \
             <AppContextSwitchOverrides value=\"{value}\" />\r\n  </runtime>\r\n</configuration>\r\n",
            if utf16 { "utf-16" } else { "utf-8" }
        );
        let bytes = encode(&doc, utf16);
        let out = dotnet_config::collect_bytes("w3wp.exe.config", &bytes);
        let mut expected: BTreeMap<String, (bool, String)> = BTreeMap::new();
        for (n, v, b) in &switches {
            expected.insert(n.clone(), (*b, format!("{n}={v}")));
        }
        let repeats = switches.len() - expected.len();
        prop_assert_eq!(out.errors.len(), repeats, "{:?}", out.errors);
        let got = out.facts.get_segments(&["config", "w3wp.exe.config", "switches"]).and_then(|f| f.as_map()).cloned().unwrap_or_default();
        prop_assert_eq!(got.len(), expected.len());
        for (n, (b, written)) in &expected {
            let path = ["config", "w3wp.exe.config", "switches", n.as_str()];
            prop_assert_eq!(out.facts.get_segments(&path).map(|f| f.value.clone()), Some(Value::Bool(*b)));
            prop_assert_eq!(spanned(&bytes, &out, &path), Some(written.clone()));
        }
    }

    #[test]
    fn wsus_json_parses_back(
        props in proptest::collection::btree_map(
            "[A-Z][A-Za-z]{0,15}",
            prop_oneof![
                any::<i64>().prop_map(serde_json::Value::from),
                any::<bool>().prop_map(serde_json::Value::from),
                "[ -~\u{e9}]{0,20}".prop_map(serde_json::Value::from),
            ],
            0..10,
        ),
        muurl in "https://[a-z0-9.]{1,20}",
        utf16 in any::<bool>(),
    ) {
        let mut obj = serde_json::Map::new();
        obj.insert("MUUrl".to_owned(), serde_json::Value::from(muurl));
        for (k, v) in &props {
            obj.insert(k.clone(), v.clone());
        }
        let text = serde_json::to_string_pretty(&serde_json::Value::Object(obj.clone())).expect("serialises");
        let bytes = encode(&text, utf16);
        let out = wsus_config::collect_bytes("wsus-config.json", &bytes);
        prop_assert_eq!(out.errors.len(), 0, "{:?}", out.errors);
        for (k, v) in &obj {
            let path = ["wsus", "config", k.as_str()];
            let expected = match v {
                serde_json::Value::Bool(b) => Value::Bool(*b),
                serde_json::Value::Number(n) => Value::Int(n.as_i64().expect("generated as i64")),
                serde_json::Value::String(s) => Value::Str(s.clone()),
                other => unreachable!("not generated: {other}"),
            };
            prop_assert_eq!(out.facts.get_segments(&path).map(|f| f.value.clone()), Some(expected));
            let written = serde_json::to_string(v).expect("serialises");
            prop_assert_eq!(spanned(&bytes, &out, &path), Some(written));
        }
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), utf16 in any::<bool>()) {
        // A BOM-only file trips `text::decode` (see registry_proptest.rs); leave it out.
        prop_assume!(bytes.len() > 2 || !utf16);
        let bytes = if utf16 { encode(&String::from_utf8_lossy(&bytes), true) } else { bytes };
        prop_assume!(bytes != [0xFF, 0xFE] && bytes != [0xFE, 0xFF]);
        let _ = dotnet_config::collect_bytes("w3wp.exe.config", &bytes);
        let _ = gpresult::collect_bytes("gpresult.xml", &bytes);
        let _ = wsus_config::collect_bytes("wsus-config.json", &bytes);
        let _ = systeminfo::collect_bytes("systeminfo.txt", &bytes);
        let _ = hotfix_csv::collect_bytes("hotfixes.csv", &bytes);
    }

    #[test]
    fn xml_like_input_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("<Rsop xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\">".to_owned()),
        Just("<ComputerResults>".to_owned()), Just("</ComputerResults>".to_owned()),
        Just("<GPO><Name>g</Name><Link><LinkOrder>x</LinkOrder></Link></GPO>".to_owned()),
        Just("<ExtensionData><Extension xmlns=\"http://www.microsoft.com/GroupPolicy/Settings\" xmlns:q=\"http://www.microsoft.com/GroupPolicy/Settings/Registry\">".to_owned()),
        Just("<q:Policy><q:Name>p</q:Name><q:Numeric><q:Name>n</q:Name></q:Numeric></q:Policy>".to_owned()),
        Just("</Extension></ExtensionData>".to_owned()), Just("</Rsop>".to_owned()),
        Just("<configuration><runtime>".to_owned()),
        Just("<AppContextSwitchOverrides value=\"a=b;=;c\"/>".to_owned()),
        Just("</runtime></configuration>".to_owned()),
        "[<>/=\"a-z ]{0,10}",
    ], 0..14)) {
        let text = parts.concat();
        let _ = dotnet_config::collect_bytes("w3wp.exe.config", text.as_bytes());
        let _ = gpresult::collect_bytes("gpresult.xml", text.as_bytes());
    }
}
