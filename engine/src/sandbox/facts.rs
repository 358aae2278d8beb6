//! The facts of one input, prepared once and shared by every rule of every pack, and the record
//! of what a helper read ([`Read`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rhai::Dynamic;
use triage_facts::{Fact, FactMap, Provenance, Value};

use super::pure::normalise_key;
use crate::convert::fact_to_dynamic;

/// A fact read by a helper during one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// What was asked for, as the author wrote it (`registry HKLM\…\SchUseStrongCrypto`).
    pub what: String,
    /// The value found, rendered; `None` when absent.
    pub value: Option<String>,
    pub source: Option<Arc<Provenance>>,
    /// The log record text, for signal matches.
    pub text: Option<String>,
}

/// A read as helpers record it: built once per input and shared (registry lookups are cached
/// per input, so a repeated lookup records the same [`Read`] without formatting it again).
#[derive(Debug, Clone)]
pub(crate) enum ReadRef {
    Owned(Read),
    Shared(Arc<Read>),
}

impl std::ops::Deref for ReadRef {
    type Target = Read;
    fn deref(&self) -> &Read {
        match self {
            ReadRef::Owned(r) => r,
            ReadRef::Shared(r) => r,
        }
    }
}

impl PartialEq for ReadRef {
    fn eq(&self, other: &Self) -> bool {
        if let (ReadRef::Shared(a), ReadRef::Shared(b)) = (self, other) {
            if Arc::ptr_eq(a, b) {
                return true;
            }
        }
        **self == **other
    }
}

impl ReadRef {
    pub(crate) fn into_read(self) -> Read {
        match self {
            ReadRef::Owned(r) => r,
            ReadRef::Shared(r) => Arc::unwrap_or_clone(r),
        }
    }
}

/// A cached registry value lookup: what the helper returns and records.
#[derive(Debug)]
pub(super) struct RegHit {
    /// The value, when the name was found.
    pub(super) fact: Option<(Dynamic, Value)>,
    pub(super) read: Arc<Read>,
}

/// Written key → written name → lookup.
type RegCache = HashMap<String, HashMap<String, Arc<RegHit>>>;

/// The facts of one input, prepared once and shared by every rule of every pack.
#[derive(Debug)]
pub struct InputFacts {
    pub facts: Arc<FactMap>,
    /// The whole fact map as a Rhai value (`facts`), converted and marked read-only (a
    /// constant, at every level) once. An evaluation moves it into its scope and puts it back
    /// when done; only a second evaluation of the same input running at the same time on
    /// another thread pays for a copy.
    dynamic: Mutex<Option<Dynamic>>,
    /// Kept to copy from when `dynamic` is lent out.
    spare: Dynamic,
    /// Lower-cased registry key path → the key as stored.
    registry_index: HashMap<String, String>,
    /// Registry value lookups made so far, by key and name as written (filled lazily: a
    /// real export holds far more values than rules read).
    reg_cache: Mutex<RegCache>,
}

impl InputFacts {
    pub fn new(facts: Arc<FactMap>) -> Self {
        let root: rhai::Map =
            facts.root.iter().map(|(k, v)| (k.as_str().into(), fact_to_dynamic(v))).collect();
        let spare = Dynamic::from_map(root).into_read_only();
        let registry_index = facts
            .root
            .get("registry")
            .and_then(Fact::as_map)
            .map(|m| m.keys().map(|k| (normalise_key(k), k.clone())).collect())
            .unwrap_or_default();
        InputFacts {
            facts,
            dynamic: Mutex::new(Some(spare.clone())),
            spare,
            registry_index,
            reg_cache: Mutex::new(HashMap::new()),
        }
    }

    /// Lends the converted facts to one evaluation (see [`InputFacts::give_back`]).
    pub(crate) fn lend(&self) -> Dynamic {
        let lent = self.dynamic.lock().ok().and_then(|mut d| d.take());
        lent.unwrap_or_else(|| self.spare.clone())
    }

    pub(crate) fn give_back(&self, d: Dynamic) {
        if let Ok(mut slot) = self.dynamic.lock() {
            if slot.is_none() {
                *slot = Some(d);
            }
        }
    }

    /// The whole fact map as a Rhai value (a copy, read-only at every level).
    pub fn to_dynamic(&self) -> Dynamic {
        self.spare.clone()
    }

    /// Whether some export holds `key` (case-insensitive, hive long or short), with or
    /// without values: `requires = ["registry:HKLM\\…"]`.
    pub(crate) fn has_registry_key(&self, key: &str) -> bool {
        self.registry_key(key).is_some()
    }

    pub(super) fn registry_key(&self, key: &str) -> Option<(&str, &Fact)> {
        let stored = self.registry_index.get(&normalise_key(key))?;
        let fact = self.facts.root.get("registry")?.as_map()?.get(stored)?;
        Some((stored.as_str(), fact))
    }

    /// `reg(key, name)`, cached per input.
    pub(super) fn reg_value(&self, key: &str, name: &str) -> Arc<RegHit> {
        let cached = self.reg_cache.lock().ok().and_then(|c| c.get(key)?.get(name).cloned());
        if let Some(hit) = cached {
            return hit;
        }
        let found = self.registry_key(key).and_then(|(stored, k)| {
            let m = k.as_map()?;
            let (n, v) = m.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
            Some((format!("{stored}\\{n}"), v))
        });
        let hit = Arc::new(match found {
            Some((what, fact)) => RegHit {
                fact: Some((fact_to_dynamic(fact), fact.value.clone())),
                read: Arc::new(Read {
                    what,
                    value: Some(fact.value.to_string()),
                    source: fact.source.clone(),
                    text: None,
                }),
            },
            None => RegHit {
                fact: None,
                read: Arc::new(Read {
                    what: format!("{key}\\{name}"),
                    value: None,
                    source: None,
                    text: None,
                }),
            },
        });
        if let Ok(mut c) = self.reg_cache.lock() {
            c.entry(key.to_owned()).or_default().insert(name.to_owned(), hit.clone());
        }
        hit
    }
}
