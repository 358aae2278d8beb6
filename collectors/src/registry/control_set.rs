//! Which `HKLM\SYSTEM\ControlSet00N` of an export is the current one, and its keys read again
//! as `HKLM\SYSTEM\CurrentControlSet`.
//!
//! `CurrentControlSet` is a link Windows makes at boot; an offline hive, `reg export HKLM\SYSTEM`
//! and some tools write the numbered sets instead. Rules read `CurrentControlSet` (Microsoft's
//! documentation names every key that way), so each export that has numbered sets gets its
//! current one copied under `CurrentControlSet`, chosen in this order:
//!
//! 1. the set `HKLM\SYSTEM\Select` value `Current` names (`1` → `ControlSet001`), when that set
//!    is in the export (when it is not, nothing is copied: another set would be a guess);
//! 2. else the only set exported;
//! 3. else (several sets, no `Select`) the lowest-numbered, `ControlSet001` on nearly every system.
//!
//! A key (or value) the export also has under `CurrentControlSet` itself keeps that value; the
//! copy fills in the rest. The copies keep their provenance: artifact, line, span and `key` name
//! the numbered key as written. The choice is recorded per export in `registry_control_set`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use triage_facts::{Fact, Provenance, Value};

/// `HKLM\SYSTEM`'s `Select` key, folded.
const SELECT_KEY: &str = "hklm\\system\\select";

/// The numbered set a canonical key path lies in: `(number, byte length of the prefix
/// "HKLM\SYSTEM\ControlSetNNN")`, or `None`.
fn numbered_set(path: &str) -> Option<(u32, usize)> {
    let mut parts = path.splitn(4, '\\');
    let (hive, system, set) = (parts.next()?, parts.next()?, parts.next()?);
    if hive != "HKLM" || !system.eq_ignore_ascii_case("SYSTEM") {
        return None;
    }
    let digits = set.get(..10).filter(|p| p.eq_ignore_ascii_case("ControlSet")).map(|_| &set[10..])?;
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.parse().ok()?;
    Some((n, hive.len() + system.len() + set.len() + 2))
}

/// The value `Current` of `HKLM\SYSTEM\Select`, when the export has it as a number.
fn select_current(registry: &BTreeMap<String, Fact>) -> Option<(u32, Arc<Provenance>)> {
    let (_, key) = registry.iter().find(|(k, _)| k.to_lowercase() == SELECT_KEY)?;
    let (_, value) = key.as_map()?.iter().find(|(n, _)| n.eq_ignore_ascii_case("Current"))?;
    let n = u32::try_from(value.value.as_int()?).ok()?;
    Some((n, value.source.clone()?))
}

fn set_name(n: u32) -> String {
    format!("ControlSet{n:03}")
}

/// Copies the current numbered set's keys under `CurrentControlSet` (in `registry`, and its
/// deletions in `deletions`) and returns the `registry_control_set` fact, or `None` when the
/// export has no numbered set.
pub fn alias_current(registry: &mut BTreeMap<String, Fact>, deletions: &mut Vec<Fact>) -> Option<Fact> {
    let sets: BTreeSet<u32> = registry.keys().filter_map(|k| numbered_set(k)).map(|(n, _)| n).collect();
    let &lowest = sets.first()?;
    let select = select_current(registry);
    let (current, chosen_by, source) = match &select {
        Some((n, src)) => (*n, "select", Some(src.clone())),
        None if sets.len() == 1 => (lowest, "only_set", None),
        None => (lowest, "lowest_numbered", None),
    };
    let copied = sets.contains(&current);
    if copied {
        let existing: BTreeMap<String, String> =
            registry.keys().map(|k| (k.to_lowercase(), k.clone())).collect();
        let mut copies: Vec<(String, Fact)> = Vec::new();
        let mut fills: Vec<(String, String, Fact)> = Vec::new();
        for (path, key) in registry.iter() {
            let Some((n, prefix)) = numbered_set(path) else { continue };
            if n != current {
                continue;
            }
            let alias = format!("HKLM\\SYSTEM\\CurrentControlSet{}", &path[prefix..]);
            match existing.get(&alias.to_lowercase()) {
                None => copies.push((alias, key.clone())),
                // The export has this key under CurrentControlSet too: its own values win.
                Some(own) => {
                    let own_names: HashSet<String> = registry[own]
                        .as_map()
                        .map(|m| m.keys().map(|k| k.to_lowercase()).collect())
                        .unwrap_or_default();
                    for (name, value) in key.as_map().into_iter().flatten() {
                        if !own_names.contains(&name.to_lowercase()) {
                            fills.push((own.clone(), name.clone(), value.clone()));
                        }
                    }
                }
            }
        }
        registry.extend(copies);
        for (own, name, value) in fills {
            if let Some(map) = registry.get_mut(&own).and_then(Fact::as_map_mut) {
                map.insert(name, value);
            }
        }
        let aliased: Vec<Fact> = deletions
            .iter()
            .filter_map(|d| {
                let path = d.value.as_str()?;
                let (n, prefix) = numbered_set(path)?;
                (n == current).then(|| Fact {
                    value: Value::Str(format!("HKLM\\SYSTEM\\CurrentControlSet{}", &path[prefix..])),
                    source: d.source.clone(),
                })
            })
            .collect();
        deletions.extend(aliased);
    }
    let mut fact = BTreeMap::new();
    fact.insert("current".to_owned(), Fact { value: Value::Str(set_name(current)), source: source.clone() });
    fact.insert("chosen_by".to_owned(), Fact { value: Value::Str(chosen_by.to_owned()), source });
    fact.insert("copied".to_owned(), Fact::new(Value::Bool(copied)));
    fact.insert(
        "sets".to_owned(),
        Fact::new(sets.iter().map(|&n| Fact::new(set_name(n))).collect::<Vec<_>>()),
    );
    Some(Fact::new(Value::Map(fact)))
}

#[cfg(test)]
mod tests {
    use super::numbered_set;

    #[test]
    fn numbered_sets_only() {
        assert_eq!(numbered_set("HKLM\\SYSTEM\\ControlSet001\\Control"), Some((1, 25)));
        assert_eq!(numbered_set("HKLM\\SYSTEM\\controlset002"), Some((2, 25)));
        assert_eq!(numbered_set("HKLM\\SYSTEM\\CurrentControlSet\\Control"), None);
        assert_eq!(numbered_set("HKLM\\SYSTEM\\ControlSet01\\Control"), None);
        assert_eq!(numbered_set("HKLM\\SYSTEM\\ControlSet0011"), None);
        assert_eq!(numbered_set("HKCU\\SYSTEM\\ControlSet001"), None);
        assert_eq!(numbered_set("HKLM\\SYSTEM\\ControlSé001"), None);
    }
}
