//! JSON Schemas for the pack format and the JSON report, generated from Rust types with
//! schemars ([`crate::pack::format::PackFile`] and [`crate::Report`]). The committed copies
//! live in `schema/`; `engine/tests/schema.rs` fails when they are stale.
//!
//! The pack schema is shaped for editors ([`for_editors`]): Taplo (and Even Better TOML, which
//! embeds it) reports an error of a table at every key and value of that table, and every
//! mismatch inside an `anyOf` as "not valid under any of the schemas listed". So the pack schema
//! has no table-level constraint (no `required`, no `additionalProperties: false`) and no
//! `anyOf`: optional fields are their type alone (TOML has no null), the string-or-table forms
//! (`requires` entries, `when`) are one schema accepting both, and an unknown key fails on its
//! own value, with a message naming the table's keys — one message per mistake, at its line.
//! What the schema leaves out (a missing key, `when` with both `all` and `any`) `pack check`
//! reports.

use serde_json::{Map, Value};

use crate::pack::format::PackFile;
use crate::Report;

/// The JSON Schema of one pack TOML file (`pack.toml` or `rules/*.toml`), as pretty JSON text
/// ending in a newline, shaped for editors.
pub fn pack_schema() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(PackFile)).unwrap_or_default();
    let defs = schema.get("$defs").cloned().unwrap_or_default();
    for_editors(&mut schema, &defs);
    render(&schema)
}

/// The JSON Schema of the report `triage run --format json` prints.
pub fn report_schema() -> String {
    let schema = schemars::schema_for!(Report);
    // A schema is plain JSON with string keys: serialising it cannot fail.
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// The message an unknown key gets: the value of a key a table does not have is checked
/// against `{"const": this}`, so the editor says, at that key's line, that it is unknown and
/// which keys the table has.
pub fn unknown_key_message(keys: &[&str]) -> String {
    format!("unknown key: this table's keys are {}", keys.join(", "))
}

/// Shapes every schema object inside `node` (see the module documentation); `defs` resolves
/// `$ref`s for the string-or-table forms.
fn for_editors(node: &mut Value, defs: &Value) {
    match node {
        Value::Object(map) => {
            shape(map, defs);
            map.values_mut().for_each(|v| for_editors(v, defs));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| for_editors(v, defs)),
        _ => {}
    }
}

fn shape(map: &mut Map<String, Value>, defs: &Value) {
    if let Some(Value::Array(any)) = map.get("anyOf") {
        let branches: Vec<Value> = any.iter().map(|b| resolve(b, defs)).filter(|b| !is_null(b)).collect();
        if let Some(merged) = merge(&branches) {
            map.remove("anyOf");
            for (k, v) in merged {
                map.entry(k).or_insert(v);
            }
        }
    }
    // An enum documented per value (schemars writes `oneOf` of `const`s): one `enum`, so a
    // wrong value is "not one of [...]".
    if let Some(Value::Array(one)) = map.get("oneOf") {
        let consts: Option<Vec<Value>> = one.iter().map(|b| b.get("const").cloned()).collect();
        if let Some(values) = consts {
            map.remove("oneOf");
            map.insert("type".into(), Value::String("string".into()));
            map.insert("enum".into(), Value::Array(values));
        }
    }
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".to_owned(), only);
        }
    }
    // Checked on the table, an error would be repeated at every key and value of it.
    map.remove("required");
    if map.get("additionalProperties") == Some(&Value::Bool(false)) {
        let keys: Vec<String> = map
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        map.insert(
            "additionalProperties".to_owned(),
            serde_json::json!({ "const": unknown_key_message(&keys) }),
        );
    }
    map.remove("minProperties");
    map.remove("maxProperties");
}

/// `{"$ref": "#/$defs/X"}` as the definition it names (with the reference's own keys).
fn resolve(branch: &Value, defs: &Value) -> Value {
    let Some(Value::String(r)) = branch.get("$ref") else { return branch.clone() };
    let Some(def) = r.strip_prefix("#/$defs/").and_then(|name| defs.get(name)) else { return branch.clone() };
    let mut out = def.clone();
    if let (Value::Object(o), Value::Object(b)) = (&mut out, branch) {
        for (k, v) in b {
            if k != "$ref" {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

fn is_null(v: &Value) -> bool {
    v.get("type") == Some(&Value::String("null".into())) && v.as_object().is_some_and(|o| o.len() == 1)
}

/// The branches of an `anyOf` as one schema, when that loses nothing an editor needs: one
/// branch (the other was `null`) is itself; a string and tables become one schema of type
/// string-or-object with every table's properties (`properties` applies to objects only).
fn merge(branches: &[Value]) -> Option<Map<String, Value>> {
    if let [only] = branches {
        return only.as_object().cloned();
    }
    let ty = |b: &Value| b.get("type").and_then(Value::as_str).map(str::to_owned);
    if branches.is_empty() || !branches.iter().all(|b| matches!(ty(b).as_deref(), Some("string" | "object")))
    {
        return None;
    }
    let mut types: Vec<String> = Vec::new();
    let mut props = Map::new();
    let mut descriptions: Vec<String> = Vec::new();
    for b in branches {
        let t = ty(b).unwrap_or_default();
        if !types.contains(&t) {
            types.push(t);
        }
        if let Some(p) = b.get("properties").and_then(Value::as_object) {
            for (k, v) in p {
                props.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if let Some(d) = b.get("description").and_then(Value::as_str) {
            descriptions.push(d.to_owned());
        }
    }
    let mut out = Map::new();
    out.insert("type".into(), Value::Array(types.into_iter().map(Value::String).collect()));
    if !props.is_empty() {
        out.insert("properties".into(), Value::Object(props));
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    if !descriptions.is_empty() {
        out.insert("description".into(), Value::String(descriptions.join(" ")));
    }
    Some(out)
}

fn render(schema: &Value) -> String {
    // A schema is plain JSON with string keys: serialising it cannot fail.
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::load::{
        FILE_KIND_KEYS, LOG_KIND_KEYS, PACK_KEYS, RULE_KEYS, SIGNAL_KEYS, TEST_KEYS, TOP_KEYS,
    };

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
        assert_eq!(keys(&s, Some("FileKindFile")), sorted(FILE_KIND_KEYS));
        assert_eq!(keys(&s, Some("RuleFile")), sorted(RULE_KEYS));
        assert_eq!(keys(&s, Some("TestFile")), sorted(TEST_KEYS));
    }

    /// No construct Taplo reports once per key of a table, or as "any of the schemas".
    #[test]
    fn pack_schema_has_no_table_level_constraint_and_no_any_of() {
        let text = pack_schema();
        for bad in ["\"anyOf\"", "\"oneOf\"", "\"required\"", "\"additionalProperties\": false", "\"null\""] {
            assert!(!text.contains(bad), "{bad} in the pack schema");
        }
        let s: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            s["$defs"]["ManifestFile"]["additionalProperties"]["const"],
            "unknown key: this table's keys are applies_if, description, engine, id, retired, source, title, version"
        );
    }
}
