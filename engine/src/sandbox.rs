//! The hardened Rhai engine that runs pack conditions, and the helper functions rule authors use.
//!
//! Packs come from other teams, so the engine is built from nothing ([`rhai::Engine::new_raw`])
//! plus the standard package: no module resolver (the crate is built with `no_module`, so
//! `import` does not parse), `eval` disabled, `print`/`debug` discarded, strict variables, expressions only, and limits on
//! operations, call depth, expression depth, string, array and map sizes, and wall-clock time.
//!
//! Helpers read the current input through a thread-local set by the evaluator for the duration
//! of one evaluation, and record every fact they read, so findings can cite their evidence.
//!
//! # Helpers
//!
//! | function | returns |
//! | --- | --- |
//! | `fact(path)` | the fact at a dotted path (`"os.build"`), or `()` |
//! | `has(path)` | whether the path is present (and not an empty map or list) |
//! | `reg(key, name)` | a registry value, typed (int, string, array, blob), or `()`; case-insensitive; `HKEY_LOCAL_MACHINE` ≡ `HKLM` |
//! | `reg_dword(key, name)` | the value if it is an integer, else `()` |
//! | `reg_str(key, name)` | the value if it is a string, else `()` |
//! | `reg_key_exists(key)` | whether the key appears in any export |
//! | `reg_values(key)` | a map of the key's values, or `()` |
//! | `signal(name)` | an array of the pack signal's matches (maps with `line`, `text`, `fields`, `captures`, `artifact`) |
//! | `version_cmp(a, b)` | -1, 0 or 1 comparing dotted versions numerically (`"6.3.9600"`), or `()` if either is not a version |
//! | `matches(text, regex)` | whether `regex` matches `text` |
//! | `capture(text, regex, group)` | the named or numbered group, or `()` |
//! | `lower(s)` / `upper(s)` | case-folded copy |
//! | `contains_ci(list_or_string, item)` | case-insensitive membership / substring |
//! | `intersect_ci(a, b)` | items of `a` also in `b`, case-insensitive |
//! | `missing_from_ci(a, b)` | items of `a` not in `b`, case-insensitive |
//! | `split_list(s)` | a comma-separated string split and trimmed |
//! | `join(array, sep)` | items joined into one string |
//! | `iff(cond, a, b)` | `a` if `cond` is true, else `b` |
//! | `strip_suffixes(list, [suffixes])` | each item with any of the suffixes removed |
//!
//! Semantics that surprise authors (all documented in `docs/rule-language.md`, whose examples
//! run as tests): `==` between different types is `false` (so `() == 1` and `"1" == 1` are
//! false, never an error); a missing map key reads as `()` but a property of `()` is an error —
//! use `?.` (`facts?.os?.build`) or `has("os.build")`; closures cannot capture outer names (the
//! crate is built with `no_closure`), so inside them use `fact(path)`.
//!
//! Limits: Rhai counts operations per call frame (a closure called back by `map` restarts from
//! its caller's count), so the operation budget and the wall-clock deadline are kept in the
//! per-evaluation state and checked in `on_progress` on every operation.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rhai::packages::{Package, StandardPackage};
use rhai::{Array, Dynamic, Engine, ImmutableString};
use triage_facts::{Fact, FactMap, Provenance, Value};

use crate::convert::fact_to_dynamic;

/// Resource limits for one evaluation of one expression.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    pub max_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 500_000,
            max_call_levels: 16,
            max_expr_depth: 64,
            max_string_size: 1 << 20,
            max_array_size: 1 << 20,
            max_map_size: 1 << 20,
            max_time: Duration::from_millis(250),
        }
    }
}

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
struct RegHit {
    /// The value, when the name was found.
    fact: Option<(Dynamic, Value)>,
    read: Arc<Read>,
}

/// Written key → written name → lookup.
type RegCache = HashMap<String, HashMap<String, Arc<RegHit>>>;

/// The facts of one input, prepared once and shared by every rule of every pack.
#[derive(Debug)]
pub struct InputFacts {
    pub facts: Arc<FactMap>,
    /// The whole fact map as a Rhai value (`facts`), converted once. An evaluation moves it
    /// into its scope and puts it back when done; only a second evaluation of the same input
    /// running at the same time on another thread pays for a copy.
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
        let spare = Dynamic::from_map(root);
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

    /// The whole fact map as a Rhai value (a copy).
    pub fn to_dynamic(&self) -> Dynamic {
        self.spare.clone()
    }

    /// Whether some export holds `key` (case-insensitive, hive long or short), with or
    /// without values: `requires = ["registry:HKLM\\…"]`.
    pub(crate) fn has_registry_key(&self, key: &str) -> bool {
        self.registry_key(key).is_some()
    }

    fn registry_key(&self, key: &str) -> Option<(&str, &Fact)> {
        let stored = self.registry_index.get(&normalise_key(key))?;
        let fact = self.facts.root.get("registry")?.as_map()?.get(stored)?;
        Some((stored.as_str(), fact))
    }

    /// `reg(key, name)`, cached per input.
    fn reg_value(&self, key: &str, name: &str) -> Arc<RegHit> {
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

/// Canonical lower-case form of a registry key path: hive abbreviated, single backslashes.
pub fn normalise_key(key: &str) -> String {
    let key = key.trim().trim_matches('\\');
    let (hive, rest) = key.split_once('\\').unwrap_or((key, ""));
    let short = [
        ("HKEY_LOCAL_MACHINE", "hklm"),
        ("HKEY_CURRENT_USER", "hkcu"),
        ("HKEY_CLASSES_ROOT", "hkcr"),
        ("HKEY_USERS", "hku"),
        ("HKEY_CURRENT_CONFIG", "hkcc"),
    ]
    .iter()
    .find(|(long, _)| long.eq_ignore_ascii_case(hive))
    .map(|(_, s)| *s);
    // One allocation: this runs on every registry helper call.
    let mut out = String::with_capacity(key.len());
    match short {
        Some(s) => out.push_str(s),
        None => out.extend(hive.chars().map(|c| c.to_ascii_lowercase())),
    }
    for seg in rest.split('\\').filter(|s| !s.is_empty()) {
        out.push('\\');
        if seg.is_ascii() {
            out.extend(seg.chars().map(|c| c.to_ascii_lowercase()));
        } else {
            out.push_str(&seg.to_lowercase());
        }
    }
    out
}

/// Per-evaluation state the helpers see.
pub(crate) struct EvalState {
    pub input: Arc<InputFacts>,
    /// This pack's signals, already filtered, by name.
    pub signals: Arc<HashMap<String, SignalMatches>>,
    pub reads: Vec<ReadRef>,
    pub deadline: Instant,
    /// Operations used by the current expression.
    pub ops: u64,
}

/// A pack signal's matches on one input, after its `where` filter.
pub(crate) struct SignalMatches {
    /// The signal's ID (`signals.<id>` in the facts).
    pub id: String,
    /// Indexes of the kept matches in that list.
    pub kept: Vec<usize>,
    pub reads: Vec<Read>,
}

/// Reads kept per expression: enough to explain any sane rule, bounded for insane ones.
const MAX_READS: usize = 256;

impl EvalState {
    fn read(&mut self, r: Read) {
        self.read_ref(ReadRef::Owned(r));
    }

    fn read_ref(&mut self, r: ReadRef) {
        if self.reads.len() < MAX_READS && !self.reads.contains(&r) {
            self.reads.push(r);
        }
    }
}

thread_local! {
    static STATE: RefCell<Option<EvalState>> = const { RefCell::new(None) };
    static REGEX_CACHE: RefCell<HashMap<String, Option<regex::Regex>>> = RefCell::new(HashMap::new());
}

/// Installs `state` for the duration of `f` on this thread, and returns it afterwards.
pub(crate) fn with_state<R>(state: EvalState, f: impl FnOnce() -> R) -> (R, EvalState) {
    STATE.with(|s| *s.borrow_mut() = Some(state));
    let r = f();
    let state = STATE.with(|s| s.borrow_mut().take());
    // The state was installed just above and only helpers borrow it, briefly.
    (r, state.expect("evaluation state present"))
}

/// The evidence of the named signals' matches (or "no match"), from the current evaluation.
pub(crate) fn signal_evidence(names: &[String]) -> Vec<Read> {
    with(|st| {
        let mut out = Vec::new();
        for name in names {
            match st.signals.get(name) {
                Some(SignalMatches { reads, .. }) if !reads.is_empty() => out.extend(reads.iter().cloned()),
                Some(_) => out.push(Read {
                    what: format!("signal {name}"),
                    value: Some("no match".into()),
                    source: None,
                    text: None,
                }),
                None => {}
            }
        }
        out
    })
    .unwrap_or_default()
}

/// Resets the deadline and read list between expressions of one evaluation.
pub(crate) fn restart_clock(max_time: Duration) -> Vec<ReadRef> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match s.as_mut() {
            Some(st) => {
                st.deadline = Instant::now() + max_time;
                st.ops = 0;
                std::mem::take(&mut st.reads)
            }
            None => Vec::new(),
        }
    })
}

fn with<R>(f: impl FnOnce(&mut EvalState) -> R) -> Option<R> {
    STATE.with(|s| s.borrow_mut().as_mut().map(f))
}

/// Builds the sandboxed engine with the helpers registered.
pub fn build_engine(limits: &Limits) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(StandardPackage::new().as_shared_module());
    engine
        .disable_symbol("eval")
        .on_print(|_| {})
        .on_debug(|_, _, _| {})
        .set_strict_variables(true)
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(256)
        .set_max_functions(64);
    // Rhai counts operations per call frame (a closure called back by `map` starts from its
    // caller's count), so the budget and the deadline are kept here, per expression, and
    // checked on every operation.
    let max_ops = limits.max_operations;
    engine.on_progress(move |_| {
        with(|st| {
            st.ops += 1;
            if max_ops > 0 && st.ops > max_ops {
                return Some(Dynamic::from(format!("operation limit exceeded ({max_ops} operations)")));
            }
            (st.ops % 128 == 0 && Instant::now() > st.deadline).then(|| Dynamic::from("time limit exceeded"))
        })
        .flatten()
    });
    register_helpers(&mut engine);
    engine
}

fn unit() -> Dynamic {
    Dynamic::UNIT
}

fn register_helpers(engine: &mut Engine) {
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
    engine.register_fn("has", |path: &str| -> bool {
        with(|st| {
            let present = st.input.facts.has(path);
            let source = st.input.facts.get(path).and_then(|f| f.source.clone());
            st.read(Read {
                what: path.to_owned(),
                value: Some(if present { "present" } else { "absent" }.to_owned()),
                source,
                text: None,
            });
            present
        })
        .unwrap_or(false)
    });
    engine.register_fn("reg", |key: &str, name: &str| reg_lookup(key, name, |_| true));
    engine.register_fn("reg_dword", |key: &str, name: &str| {
        reg_lookup(key, name, |v| matches!(v, Value::Int(_)))
    });
    engine.register_fn("reg_str", |key: &str, name: &str| {
        reg_lookup(key, name, |v| matches!(v, Value::Str(_)))
    });
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
        match (triage_facts::Version::parse(a), triage_facts::Version::parse(b)) {
            (Some(a), Some(b)) => Dynamic::from_int(a.cmp(&b) as i64),
            _ => unit(),
        }
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
    engine.register_fn("contains_ci", |list: Array, item: &str| -> bool {
        list.iter().any(|x| x.clone().into_immutable_string().is_ok_and(|s| s.eq_ignore_ascii_case(item)))
    });
    engine.register_fn("contains_ci", |s: &str, item: &str| s.to_lowercase().contains(&item.to_lowercase()));
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

fn as_str(d: &Dynamic) -> Option<String> {
    d.clone().into_immutable_string().ok().map(|s: ImmutableString| s.to_string())
}

fn strings(a: &Array) -> impl Iterator<Item = String> + '_ {
    a.iter().filter_map(as_str)
}

fn with_regex<R>(re: &str, f: impl FnOnce(&regex::Regex) -> R) -> Result<R, Box<rhai::EvalAltResult>> {
    REGEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 1024 {
            c.clear();
        }
        let compiled = c
            .entry(re.to_owned())
            .or_insert_with(|| regex::RegexBuilder::new(re).size_limit(1 << 20).build().ok());
        match compiled {
            Some(r) => Ok(f(r)),
            None => Err(format!("invalid regex {re:?}").into()),
        }
    })
}

fn reg_lookup(key: &str, name: &str, accept: impl Fn(&Value) -> bool) -> Dynamic {
    with(|st| {
        let hit = st.input.reg_value(key, name);
        st.read_ref(ReadRef::Shared(hit.read.clone()));
        match &hit.fact {
            Some((d, v)) if accept(v) => d.clone(),
            _ => unit(),
        }
    })
    .unwrap_or_else(unit)
}

/// Turns a signal's match list into reads (evidence) — one per match, capped.
pub(crate) fn match_reads(signal: &str, matches: &[&Fact], cap: usize) -> Vec<Read> {
    let mut reads: Vec<Read> = matches
        .iter()
        .take(cap)
        .map(|f| {
            let text = f.get_path(&["text"]).and_then(|t| t.value.as_str()).map(str::to_owned);
            Read { what: format!("signal {signal}"), value: None, source: f.source.clone(), text }
        })
        .collect();
    if matches.len() > cap {
        reads.push(Read {
            what: format!("signal {signal}"),
            value: Some(format!("… and {} more matches", matches.len() - cap)),
            source: None,
            text: None,
        });
    }
    reads
}
