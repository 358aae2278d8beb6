//! Conversions between facts, TOML data and Rhai values.
//!
//! Timestamps become RFC 3339 strings (they sort as text), versions dotted strings (compare them
//! with `version_cmp`), bytes Rhai blobs.

use rhai::{Array, Dynamic, Map};
use triage_facts::{Fact, Value};

pub fn fact_to_dynamic(fact: &Fact) -> Dynamic {
    value_to_dynamic(&fact.value)
}

pub fn value_to_dynamic(value: &Value) -> Dynamic {
    match value {
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Int(i) => Dynamic::from_int(*i),
        Value::Float(x) => Dynamic::from_float(*x),
        Value::Str(s) => Dynamic::from(s.clone()),
        Value::List(l) => Dynamic::from_array(l.iter().map(fact_to_dynamic).collect::<Array>()),
        Value::Map(m) => {
            Dynamic::from_map(m.iter().map(|(k, v)| (k.as_str().into(), fact_to_dynamic(v))).collect::<Map>())
        }
        Value::Timestamp(t) => Dynamic::from(t.to_string()),
        Value::Version(v) => Dynamic::from(v.to_string()),
        Value::Bytes(b) => Dynamic::from_blob(b.clone()),
    }
}

/// Renders a value for a resolution text: strings as they are, arrays one item a line.
pub fn render_dynamic(d: &Dynamic) -> String {
    if d.is_unit() {
        return String::new();
    }
    if let Some(a) = d.read_lock::<Array>() {
        return a.iter().map(render_dynamic).collect::<Vec<_>>().join("\n");
    }
    d.to_string()
}

/// A short rendering for explanations.
pub fn describe_dynamic(d: &Dynamic) -> String {
    if d.is_unit() {
        return "()".to_owned();
    }
    if d.is_string() {
        return format!("{:?}", d.to_string());
    }
    if let Some(a) = d.read_lock::<Array>() {
        if a.len() > 6 {
            return format!("[{} items]", a.len());
        }
        return format!("[{}]", a.iter().map(describe_dynamic).collect::<Vec<_>>().join(", "));
    }
    if let Some(m) = d.read_lock::<Map>() {
        return format!("#{{map of {}}}", m.len());
    }
    d.to_string()
}
