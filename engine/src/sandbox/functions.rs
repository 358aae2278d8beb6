//! The functions a condition may call besides Rhai's pure packages: the helpers rule authors
//! use (`reg_dword`, `signal`, `version_cmp`, …), and bounded replacements for the built-ins
//! whose output can outgrow their input (`pad`, `replace`, `to_string` and `to_debug` of arrays
//! and maps; `to_json` is refused). Every helper whose work grows with its input charges the
//! budget for it ([`budget::charge`]) and builds no value past the size limits.

use std::collections::HashSet;

use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, INT};
use triage_facts::{Fact, Value};

use super::budget::{charge, cost, per_item};
use super::engine::Limits;
use super::facts::Read;
use super::memory::{bounded_format, push_bounded, size_of, string_limit_message};
use super::pure::{as_str, contains_ci_list, contains_ci_str, strings, version_cmp, with_regex};
use super::state::{has, registry_value, unit, with, SignalMatches};
use crate::convert::fact_to_dynamic;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

pub(super) fn register(engine: &mut Engine, limits: &Limits) {
    register_helpers(engine);
    register_bounded(engine, limits.max_string_size);
}

fn register_helpers(engine: &mut Engine) {
    engine.register_fn("fact", |path: &str| -> Fallible<Dynamic> {
        with(|st| {
            let input = st.input.clone();
            let found = input.facts.get(path);
            let out = found.map(fact_to_dynamic).unwrap_or_else(unit);
            charge(cost(size_of(&out)))?;
            st.read(Read {
                what: path.to_owned(),
                value: found.map(|f| f.value.to_string()),
                source: found.and_then(|f| f.source.clone()),
                text: None,
            });
            Ok(out)
        })
        .unwrap_or_else(|| Ok(unit()))
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
    engine.register_fn("reg_values", |key: &str| -> Fallible<Dynamic> {
        with(|st| {
            let input = st.input.clone();
            let Some((stored, fact)) = input.registry_key(key) else {
                st.read(Read { what: format!("registry key {key}"), value: None, source: None, text: None });
                return Ok(unit());
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
            let out = fact_to_dynamic(fact);
            charge(cost(size_of(&out)))?;
            Ok(out)
        })
        .unwrap_or_else(|| Ok(unit()))
    });
    engine.register_fn("signal", |name: &str| -> Fallible<Dynamic> {
        with(|st| match st.signals.clone().get(name) {
            Some(SignalMatches { error: Some(e), .. }) => Err(e.clone().into()),
            Some(SignalMatches { id, kept, reads, error: None }) => {
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
                let out = Dynamic::from_array(
                    kept.iter().filter_map(|&i| list.get(i)).map(fact_to_dynamic).collect(),
                );
                charge(cost(size_of(&out)))?;
                Ok(out)
            }
            None => Ok(unit()),
        })
        .unwrap_or_else(|| Ok(unit()))
    });
    engine.register_fn("version_cmp", |a: &str, b: &str| -> Dynamic {
        version_cmp(a, b).map_or_else(unit, |o| Dynamic::from_int(o as i64))
    });
    engine.register_fn("matches", |text: &str, re: &str| -> Fallible<bool> {
        charge(cost(text.len()))?;
        with_regex(re, |r| r.is_match(text))
    });
    engine.register_fn("capture", |text: &str, re: &str, group: Dynamic| -> Fallible<Dynamic> {
        charge(cost(text.len()))?;
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
    });
    engine.register_fn("lower", |s: &str| -> Fallible<String> {
        charge(cost(s.len()))?;
        Ok(s.to_lowercase())
    });
    engine.register_fn("upper", |s: &str| -> Fallible<String> {
        charge(cost(s.len()))?;
        Ok(s.to_uppercase())
    });
    engine.register_fn("contains_ci", |list: Array, item: &str| -> Fallible<bool> {
        charge(per_item(list.len()))?;
        Ok(contains_ci_list(&list, item))
    });
    engine.register_fn("contains_ci", |s: &str, item: &str| -> Fallible<bool> {
        charge(cost(s.len() + item.len()))?;
        Ok(contains_ci_str(s, item))
    });
    engine.register_fn("contains_ci", |_: (), _: &str| false);
    engine.register_fn("intersect_ci", |a: Array, b: Array| -> Fallible<Array> { keep_ci(a, &b, true) });
    engine.register_fn("missing_from_ci", |a: Array, b: Array| -> Fallible<Array> { keep_ci(a, &b, false) });
    engine.register_fn("unique_ci", |a: Array| -> Fallible<Array> { unique_ci(a) });
    engine.register_fn("split_list", |s: &str| -> Fallible<Array> {
        charge(cost(s.len()))?;
        Ok(s.split([',', '\n', ';'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| Dynamic::from(x.to_owned()))
            .collect())
    });
    engine.register_fn("iff", |c: bool, a: Dynamic, b: Dynamic| if c { a } else { b });
    engine.register_fn("strip_suffixes", |a: Array, suffixes: Array| -> Fallible<Array> {
        let suf: Vec<String> = strings(&suffixes).map(|s| s.to_ascii_uppercase()).collect();
        let per_item_bytes = suf.iter().map(String::len).sum::<usize>() + suf.len();
        // The whole cost of the list is charged before any work, so a list past the budget
        // fails at once, and the same way on every machine (not when the clock runs out).
        charge(per_item(a.len()).saturating_mul(1 + cost(per_item_bytes)))?;
        a.into_iter()
            .map(|x| match as_str(&x) {
                Some(s) => {
                    charge(cost(s.len()))?;
                    let mut s = s.to_owned();
                    for x in &suf {
                        if s.len() > x.len() && s.to_ascii_uppercase().ends_with(x.as_str()) {
                            s.truncate(s.len() - x.len());
                        }
                    }
                    Ok(Dynamic::from(s))
                }
                None => Ok(x),
            })
            .collect()
    });
}

/// `intersect_ci(a, b)` (`keep_found`) and `missing_from_ci(a, b)`: the strings of `a` found (or
/// not found) in `b`, ignoring case; linear in both, with a set of `b`'s lower-cased strings.
fn keep_ci(a: Array, b: &Array, keep_found: bool) -> Fallible<Array> {
    // Both lists' items are charged before any work, so lists past the budget fail at once, and
    // the same way on every machine (not when the clock runs out); bytes as they are read.
    charge(per_item(a.len()) + per_item(b.len()))?;
    charge(cost(b.iter().filter_map(as_str).map(|s| s.len()).sum()))?;
    let bs: HashSet<String> = strings(b).map(|s| s.to_lowercase()).collect();
    let mut out = Array::new();
    for x in a {
        let Some(s) = as_str(&x) else { continue };
        charge(cost(s.len()))?;
        if bs.contains(&s.to_lowercase()) == keep_found {
            out.push(x);
        }
    }
    Ok(out)
}

/// `unique_ci(a)`: the strings of `a` without repeats, ignoring case, each where it first
/// appears (one installed update listed by both `systeminfo` and `Get-HotFix` counts once).
fn unique_ci(a: Array) -> Fallible<Array> {
    charge(per_item(a.len()))?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Array::new();
    for x in a {
        let Some(s) = as_str(&x) else { continue };
        charge(cost(s.len()))?;
        if seen.insert(s.to_lowercase()) {
            out.push(x);
        }
    }
    Ok(out)
}

/// The built-ins whose output can outgrow their input, replaced by versions that refuse (naming
/// the limit) before building a value past the string size limit, and `join`.
fn register_bounded(engine: &mut Engine, max: usize) {
    let too_big = move |by: &str| -> Box<EvalAltResult> { string_limit_message(max, by).into() };
    engine.register_fn("join", move |a: Array, sep: &str| -> Fallible<String> {
        let mut out = String::new();
        for (i, x) in a.iter().enumerate() {
            let part = bounded_format(x, false, max).ok_or_else(|| too_big("join()"))?;
            charge(cost(part.len() + sep.len()))?;
            if i > 0 {
                push_bounded(&mut out, sep, max).map_err(|()| too_big("join()"))?;
            }
            push_bounded(&mut out, &part, max).map_err(|()| too_big("join()"))?;
        }
        Ok(out)
    });
    engine.register_fn("pad", move |s: &mut ImmutableString, len: INT, c: char| -> Fallible<()> {
        pad(s, len, &c.to_string(), max)
    });
    engine.register_fn("pad", move |s: &mut ImmutableString, len: INT, p: &str| -> Fallible<()> {
        pad(s, len, p, max)
    });
    engine.register_fn("replace", move |s: &mut ImmutableString, find: &str, sub: &str| -> Fallible<()> {
        replace(s, find, sub, max)
    });
    engine.register_fn("replace", move |s: &mut ImmutableString, find: &str, sub: char| -> Fallible<()> {
        replace(s, find, &sub.to_string(), max)
    });
    engine.register_fn("replace", move |s: &mut ImmutableString, find: char, sub: &str| -> Fallible<()> {
        replace(s, &find.to_string(), sub, max)
    });
    engine.register_fn("replace", move |s: &mut ImmutableString, find: char, sub: char| -> Fallible<()> {
        replace(s, &find.to_string(), &sub.to_string(), max)
    });
    for (name, debug) in [("to_string", false), ("to_debug", true)] {
        engine.register_fn(name, move |a: &mut Array| -> Fallible<String> {
            let d = Dynamic::from_array(std::mem::take(a));
            let out = bounded_format(&d, debug, max);
            *a = d.cast::<Array>();
            charge(cost(out.as_ref().map_or(max, String::len)))?;
            out.ok_or_else(|| string_limit_message(max, &format!("{name}()")).into())
        });
        engine.register_fn(name, move |m: &mut Map| -> Fallible<String> {
            let d = Dynamic::from_map(std::mem::take(m));
            let out = bounded_format(&d, debug, max);
            *m = d.cast::<Map>();
            charge(cost(out.as_ref().map_or(max, String::len)))?;
            out.ok_or_else(|| string_limit_message(max, &format!("{name}()")).into())
        });
    }
    engine.register_fn("to_json", |_: &mut Map| -> Fallible<String> {
        Err("to_json() is not available in conditions".into())
    });
}

/// `s.pad(len, padding)`: `s` padded on the right with copies of `padding` to `len` characters
/// (the last copy cut), as Rhai's does, refusing a result past the string size limit and an empty
/// padding (which Rhai's loops on forever).
fn pad(s: &mut ImmutableString, len: INT, padding: &str, max: usize) -> Fallible<()> {
    let Ok(len) = usize::try_from(len) else { return Ok(()) };
    let have = s.chars().count();
    if len <= have {
        return Ok(());
    }
    if padding.is_empty() {
        return Err("pad() with an empty padding never reaches its length".into());
    }
    let pad_chars: Vec<char> = padding.chars().collect();
    let widest = pad_chars.iter().map(|c| c.len_utf8()).max().unwrap_or(1);
    if s.len().saturating_add((len - have).saturating_mul(widest)) > max {
        return Err(string_limit_message(max, "pad()").into());
    }
    charge(cost(len))?;
    let mut out = String::with_capacity(s.len() + (len - have) * widest);
    out.push_str(s);
    out.extend(pad_chars.iter().cycle().take(len - have));
    *s = out.into();
    Ok(())
}

/// `s.replace(find, sub)`: every `find` in `s` replaced by `sub`, refusing a result past the
/// string size limit before building it.
fn replace(s: &mut ImmutableString, find: &str, sub: &str, max: usize) -> Fallible<()> {
    charge(cost(s.len()))?;
    let hits = if find.is_empty() { s.chars().count() + 1 } else { s.matches(find).count() };
    let size = s.len() - hits.saturating_mul(find.len()).min(s.len()) + hits.saturating_mul(sub.len());
    if size > max || hits.checked_mul(sub.len()).is_none() {
        return Err(string_limit_message(max, "replace()").into());
    }
    charge(cost(size))?;
    *s = s.replace(find, sub).into();
    Ok(())
}
