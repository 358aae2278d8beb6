//! JSON Schemas for the pack format and the JSON report, generated from Rust types with
//! schemars ([`crate::pack::format::PackFile`] and [`crate::Report`]). The committed copies
//! live in `schema/`; `engine/tests/schema.rs` fails when they are stale.

use crate::pack::format::PackFile;
use crate::Report;

/// The JSON Schema of one pack TOML file, as pretty JSON text ending in a newline.
pub fn pack_schema() -> String {
    render(schemars::schema_for!(PackFile))
}

/// The JSON Schema of the report `triage run --format json` prints.
pub fn report_schema() -> String {
    render(schemars::schema_for!(Report))
}

fn render(schema: schemars::Schema) -> String {
    // A schema is plain JSON with string keys: serialising it cannot fail.
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::load::{LOG_KIND_KEYS, PACK_KEYS, RULE_KEYS, SIGNAL_KEYS, TEST_KEYS, TOP_KEYS};

    fn keys(schema: &serde_json::Value, def: Option<&str>) -> Vec<String> {
        let node = match def {
            None => schema,
            Some(d) => &schema["$defs"][d],
        };
        let mut k: Vec<String> =
            node["properties"].as_object().expect("properties").keys().cloned().collect();
        k.sort();
        k
    }

    fn sorted(k: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = k.iter().map(|s| (*s).to_owned()).collect();
        v.sort();
        v
    }

    /// The schema and the loader must agree on every key, or editors and `pack check` disagree.
    #[test]
    fn schema_keys_match_the_loader() {
        let s: serde_json::Value = serde_json::from_str(&pack_schema()).expect("json");
        assert_eq!(keys(&s, None), sorted(TOP_KEYS));
        assert_eq!(keys(&s, Some("ManifestFile")), sorted(PACK_KEYS));
        assert_eq!(keys(&s, Some("SignalFile")), sorted(SIGNAL_KEYS));
        assert_eq!(keys(&s, Some("LogKindFile")), sorted(LOG_KIND_KEYS));
        assert_eq!(keys(&s, Some("RuleFile")), sorted(RULE_KEYS));
        assert_eq!(keys(&s, Some("TestFile")), sorted(TEST_KEYS));
    }
}
