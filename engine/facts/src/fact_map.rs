//! The fact map: one tree of facts per input, merged from every collector's output.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::value::{Fact, Value};

/// The root of all facts for one input. Top-level keys are namespaces (`registry`, `logs`,
/// `os`, `collection`, …). Serialises deterministically: maps are ordered by key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FactMap {
    pub root: BTreeMap<String, Fact>,
}

/// Two collectors, or two artifacts, gave different values for the same leaf.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeConflict {
    pub path: Vec<String>,
    /// The value kept (the one merged first; inputs are merged in artifact-path order).
    pub kept: Fact,
    pub other: Fact,
}

impl FactMap {
    pub fn new() -> Self {
        FactMap::default()
    }

    /// Looks up a dotted path (`os.build`). Segments containing dots are reached with
    /// [`FactMap::get_segments`].
    pub fn get(&self, dotted: &str) -> Option<&Fact> {
        let mut it = dotted.split('.');
        let first = self.root.get(it.next()?)?;
        let rest: Vec<&str> = it.collect();
        first.get_path(&rest)
    }

    pub fn get_segments<S: AsRef<str>>(&self, segments: &[S]) -> Option<&Fact> {
        let (first, rest) = segments.split_first()?;
        self.root.get(first.as_ref())?.get_path(rest)
    }

    /// Whether a namespace or path is present and not an empty map or list.
    pub fn has(&self, dotted: &str) -> bool {
        match self.get(dotted).map(|f| &f.value) {
            None => false,
            Some(Value::Map(m)) => !m.is_empty(),
            Some(Value::List(l)) => !l.is_empty(),
            Some(_) => true,
        }
    }

    pub fn insert<S: AsRef<str>>(&mut self, segments: &[S], fact: Fact) {
        let Some((first, rest)) = segments.split_first() else { return };
        let entry = self.root.entry(first.as_ref().to_owned()).or_insert_with(Fact::map);
        entry.insert_path(rest, fact);
    }

    /// Merges `other` into `self`: maps merge key by key, lists are concatenated, equal leaves
    /// are kept once, and differing leaves keep the existing value and are returned as
    /// conflicts. Nothing is silently overwritten.
    pub fn merge(&mut self, other: FactMap) -> Vec<MergeConflict> {
        let mut conflicts = Vec::new();
        for (k, v) in other.root {
            match self.root.get_mut(&k) {
                None => {
                    self.root.insert(k, v);
                }
                Some(existing) => merge_fact(existing, v, &mut vec![k], &mut conflicts),
            }
        }
        conflicts
    }

    /// Number of leaf facts.
    pub fn leaf_count(&self) -> usize {
        self.root.values().map(Fact::leaf_count).sum()
    }

    /// Parses a fact map from JSON text (plain or tagged, see [`crate::value`]).
    pub fn from_json_str(text: &str) -> Result<FactMap, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Deterministic, pretty JSON.
    pub fn to_json_pretty(&self) -> String {
        // Serialising our own types into a String cannot fail: every map key is a string.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn merge_fact(existing: &mut Fact, incoming: Fact, path: &mut Vec<String>, out: &mut Vec<MergeConflict>) {
    match (&mut existing.value, incoming.value) {
        (Value::Map(a), Value::Map(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    None => {
                        a.insert(k, v);
                    }
                    Some(e) => {
                        path.push(k);
                        merge_fact(e, v, path, out);
                        path.pop();
                    }
                }
            }
        }
        (Value::List(a), Value::List(b)) => a.extend(b),
        (a, b) => {
            if *a != b {
                out.push(MergeConflict {
                    path: path.clone(),
                    kept: existing.clone(),
                    other: Fact { value: b, source: incoming.source },
                });
            }
        }
    }
}

impl From<BTreeMap<String, Fact>> for FactMap {
    fn from(root: BTreeMap<String, Fact>) -> Self {
        FactMap { root }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> FactMap {
        FactMap::from_json_str(json).expect("valid json")
    }

    #[test]
    fn merge_keeps_first_and_reports_conflicts() {
        let mut a = map(r#"{"registry":{"k":{"v":1,"w":2}},"logs":[1]}"#);
        let conflicts = a.merge(map(r#"{"registry":{"k":{"v":3,"x":4}},"logs":[2]}"#));
        assert_eq!(a, map(r#"{"registry":{"k":{"v":1,"w":2,"x":4}},"logs":[1,2]}"#));
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].path, ["registry", "k", "v"]);
        assert_eq!(conflicts[0].other.value, Value::Int(3));
    }

    #[test]
    fn dotted_lookup_and_has() {
        let m = map(r#"{"os":{"build":17763,"hotfixes":[]}}"#);
        assert_eq!(m.get("os.build").map(|f| &f.value), Some(&Value::Int(17763)));
        assert!(m.has("os.build"));
        assert!(!m.has("os.hotfixes"));
        assert!(!m.has("registry"));
    }

    #[test]
    fn json_is_sorted_and_stable() {
        let m = map(r#"{"b":1,"a":{"z":1,"y":2}}"#);
        let text = serde_json::to_string(&m).expect("serialises");
        assert_eq!(text, r#"{"a":{"y":2,"z":1},"b":1}"#);
    }
}
