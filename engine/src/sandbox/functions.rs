//! The functions a condition may call besides Rhai's standard package: the helpers rule authors
//! use (`reg_dword`, `signal`, `version_cmp`, …), registered on the engine.

use rhai::{Array, Dynamic, Engine};
use triage_facts::{Fact, Value};

use super::facts::Read;
use super::pure::{as_str, contains_ci_list, contains_ci_str, strings, version_cmp, with_regex};
use super::state::{has, registry_value, unit, with, SignalMatches};
use crate::convert::fact_to_dynamic;

pub(super) fn register(engine: &mut Engine) {
    engine.register_fn("fact", |path: &str| -> Dynamic {
        with(|st| {
            let input = st.input.clone();
            let found = input.facts.get(path);
            let out = found.map(fact_to_dynamic).unwrap_or_else(unit);
            st.read(Read {
                what: path.to_owned(),
                value: found.map(|f| f.value.to_string()),
                source: found.and_then(|f| f.source.clone()),
                text: None,
            });
            out
        })
        .unwrap_or_else(unit)
    });
    engine.register_fn("has", has);
    for helper in ["reg", "reg_dword", "reg_str"] {
        engine.register_fn(helper, move |key: &str, name: &str| {
            registry_value(helper, key, name).unwrap_or_else(unit)
        });
    }
    engine.register_fn("reg_key_exists", |key: &str| -> bool {
        let found = with(|st| st.input.registry_key(key).is_some()).unwrap_or(false);
        with(|st| {
            st.read(Read {
                what: format!("registry key {key}"),
                value: Some(if found { "present" } else { "absent" }.to_owned()),
                source: None,
                text: None,
            })
        });
        found
    });
    engine.register_fn("reg_values", |key: &str| -> Dynamic {
        with(|st| {
            let input = st.input.clone();
            let Some((stored, fact)) = input.registry_key(key) else {
                st.read(Read { what: format!("registry key {key}"), value: None, source: None, text: None });
                return unit();
            };
            if let Some(m) = fact.as_map() {
                for (name, v) in m {
                    st.read(Read {
                        what: format!("{stored}\\{name}"),
                        value: Some(v.value.to_string()),
                        source: v.source.clone(),
                        text: None,
                    });
                }
            }
            fact_to_dynamic(fact)
        })
        .unwrap_or_else(unit)
    });
    engine.register_fn("signal", |name: &str| -> Dynamic {
        with(|st| match st.signals.clone().get(name) {
            Some(SignalMatches { id, kept, reads }) => {
                for r in reads.iter() {
                    st.read(r.clone());
                }
                if reads.is_empty() {
                    st.read(Read {
                        what: format!("signal {name}"),
                        value: Some("no match".into()),
                        source: None,
                        text: None,
                    });
                }
                let list = st.input.facts.root.get("signals").and_then(Fact::as_map).and_then(|m| m.get(id));
                let list: &[Fact] = match list.map(|f| &f.value) {
                    Some(Value::List(l)) => l,
                    _ => &[],
                };
                Dynamic::from_array(kept.iter().filter_map(|&i| list.get(i)).map(fact_to_dynamic).collect())
            }
            None => unit(),
        })
        .unwrap_or_else(unit)
    });
    engine.register_fn("version_cmp", |a: &str, b: &str| -> Dynamic {
        version_cmp(a, b).map_or_else(unit, |o| Dynamic::from_int(o as i64))
    });
    engine.register_fn("matches", |text: &str, re: &str| -> Result<bool, Box<rhai::EvalAltResult>> {
        with_regex(re, |r| r.is_match(text))
    });
    engine.register_fn(
        "capture",
        |text: &str, re: &str, group: Dynamic| -> Result<Dynamic, Box<rhai::EvalAltResult>> {
            with_regex(re, |r| {
                let Some(c) = r.captures(text) else { return unit() };
                let m = if let Some(i) = group.as_int().ok().and_then(|i| usize::try_from(i).ok()) {
                    c.get(i)
                } else if let Ok(n) = group.into_immutable_string() {
                    c.name(&n)
                } else {
                    None
                };
                m.map(|m| Dynamic::from(m.as_str().to_owned())).unwrap_or_else(unit)
            })
        },
    );
    engine.register_fn("lower", |s: &str| s.to_lowercase());
    engine.register_fn("upper", |s: &str| s.to_uppercase());
    engine.register_fn("contains_ci", |list: Array, item: &str| contains_ci_list(&list, item));
    engine.register_fn("contains_ci", |s: &str, item: &str| contains_ci_str(s, item));
    engine.register_fn("contains_ci", |_: (), _: &str| false);
    engine.register_fn("intersect_ci", |a: Array, b: Array| -> Array {
        let bs: Vec<String> = strings(&b).map(|s| s.to_lowercase()).collect();
        a.into_iter().filter(|x| as_str(x).is_some_and(|s| bs.contains(&s.to_lowercase()))).collect()
    });
    engine.register_fn("missing_from_ci", |a: Array, b: Array| -> Array {
        let bs: Vec<String> = strings(&b).map(|s| s.to_lowercase()).collect();
        a.into_iter().filter(|x| as_str(x).is_some_and(|s| !bs.contains(&s.to_lowercase()))).collect()
    });
    engine.register_fn("split_list", |s: &str| -> Array {
        s.split([',', '\n', ';'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| Dynamic::from(x.to_owned()))
            .collect()
    });
    engine.register_fn("join", |a: Array, sep: &str| -> String {
        a.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(sep)
    });
    engine.register_fn("iff", |c: bool, a: Dynamic, b: Dynamic| if c { a } else { b });
    engine.register_fn("strip_suffixes", |a: Array, suffixes: Array| -> Array {
        let suf: Vec<String> = strings(&suffixes).collect();
        a.into_iter()
            .map(|x| match as_str(&x) {
                Some(s) => {
                    let mut s = s.to_owned();
                    for x in &suf {
                        if s.len() > x.len() && s.to_ascii_uppercase().ends_with(&x.to_ascii_uppercase()) {
                            s.truncate(s.len() - x.len());
                        }
                    }
                    Dynamic::from(s)
                }
                None => x,
            })
            .collect()
    });
}
