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
    render_dynamic_bounded(d, usize::MAX).unwrap_or_default()
}

/// [`render_dynamic`], or `None` once the text would pass `limit` bytes: it is never built past
/// the limit (an array holding one large string many times renders to far more than its size).
pub fn render_dynamic_bounded(d: &Dynamic, limit: usize) -> Option<String> {
    let mut out = String::new();
    render_into(d, &mut out, limit).then_some(out)
}

fn render_into(d: &Dynamic, out: &mut String, limit: usize) -> bool {
    if d.is_unit() {
        return true;
    }
    if let Some(a) = d.read_lock::<Array>() {
        for (i, x) in a.iter().enumerate() {
            if i > 0 && !push(out, "\n", limit) {
                return false;
            }
            if !render_into(x, out, limit) {
                return false;
            }
        }
        return true;
    }
    if let Some(s) = d.read_lock::<rhai::ImmutableString>() {
        return push(out, s.as_str(), limit);
    }
    match crate::sandbox::memory::bounded_format(d, false, limit - out.len()) {
        Some(s) => push(out, &s, limit),
        None => false,
    }
}

fn push(out: &mut String, s: &str, limit: usize) -> bool {
    if out.len() + s.len() > limit {
        return false;
    }
    out.push_str(s);
    true
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
