//! The state of one evaluation on this thread: the input and signals the helpers see, what they
//! read; and the helpers that read facts, shared with the
//! fast path (`crate::fast`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use rhai::{Dynamic, Scope};
use triage_facts::{Fact, Value};

use super::facts::{InputFacts, Read, ReadRef};

/// Pushes a constant whose value is read-only at every level already, without marking it again
/// (`Scope::push_constant_dynamic` walks the whole value to mark it): the scope marks a `()`,
/// which the value then replaces.
pub(crate) fn push_read_only(scope: &mut Scope<'_>, name: &str, value: Dynamic) {
    scope.push_constant(name, ());
    if let Some(slot) = scope.get_value_mut::<Dynamic>(name) {
        *slot = value;
    }
}

/// Per-evaluation state the helpers see.
pub(crate) struct EvalState {
    pub input: Arc<InputFacts>,
    /// This pack's signals, already filtered, by name.
    pub signals: Arc<HashMap<String, SignalMatches>>,
    pub reads: Vec<ReadRef>,
}

/// A pack signal's matches on one input, after its `where` filter.
pub(crate) struct SignalMatches {
    /// The signal's ID (`signals.<id>` in the facts).
    pub id: String,
    /// Indexes of the kept matches in that list.
    pub kept: Vec<usize>,
    pub reads: Vec<Read>,
    /// Why not every match could be filtered (a budget, the memory ceiling): expressions that
    /// read the signal fail with it.
    pub error: Option<String>,
}

/// Reads kept per expression: enough to explain any sane rule, bounded for insane ones.
const MAX_READS: usize = 256;

impl EvalState {
    pub(super) fn read(&mut self, r: Read) {
        self.read_ref(ReadRef::Owned(r));
    }

    pub(super) fn read_ref(&mut self, r: ReadRef) {
        if self.reads.len() < MAX_READS && !self.reads.contains(&r) {
            self.reads.push(r);
        }
    }
}

thread_local! {
    static STATE: RefCell<Option<EvalState>> = const { RefCell::new(None) };
}

/// Installs `state` for the duration of `f` on this thread, and returns it afterwards.
/// Every rule, derived fact and signal must start its budget ([`super::budget::start`]).
pub(crate) fn with_state<R>(state: EvalState, f: impl FnOnce() -> R) -> (R, EvalState) {
    STATE.with(|s| *s.borrow_mut() = Some(state));
    let r = f();
    super::budget::clear();
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

/// The error of the first of the named signals that could not be filtered, in the current
/// evaluation.
pub(crate) fn signal_error(names: &[String]) -> Option<String> {
    with(|st| names.iter().find_map(|n| st.signals.get(n).and_then(|s| s.error.clone()))).flatten()
}

/// What helpers read since the last call, in the current evaluation.
pub(crate) fn take_reads() -> Vec<ReadRef> {
    STATE.with(|s| s.borrow_mut().as_mut().map(|st| std::mem::take(&mut st.reads)).unwrap_or_default())
}

pub(super) fn with<R>(f: impl FnOnce(&mut EvalState) -> R) -> Option<R> {
    STATE.with(|s| s.borrow_mut().as_mut().map(f))
}

pub(super) fn unit() -> Dynamic {
    Dynamic::UNIT
}

/// `has(path)`: whether the fact is present (and not an empty map or list).
pub(crate) fn has(path: &str) -> bool {
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
}

/// The registry value helpers, by name (`reg`, `reg_dword`, `reg_str`); `None` for another name.
pub(crate) fn registry_value(helper: &str, key: &str, name: &str) -> Option<Dynamic> {
    Some(match helper {
        "reg" => reg_lookup(key, name, |_| true),
        "reg_dword" => reg_lookup(key, name, |v| matches!(v, Value::Int(_))),
        "reg_str" => reg_lookup(key, name, |v| matches!(v, Value::Str(_))),
        _ => return None,
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

/// Matches of a signal the log scan counted but did not keep (beyond the signal's `max_matches`
/// per file), and whether the signal has a `where` those were never checked against.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Beyond {
    pub(crate) count: u64,
    pub(crate) filtered: bool,
}

/// Turns a signal's match list into reads (evidence) — one per match, capped, then one saying
/// how many more matched: those kept beyond the cap plus those the scan counted but did not keep.
pub(crate) fn match_reads(signal: &str, matches: &[&Fact], cap: usize, beyond: Beyond) -> Vec<Read> {
    let mut reads: Vec<Read> = matches
        .iter()
        .take(cap)
        .map(|f| {
            let text = f.get_path(&["text"]).and_then(|t| t.value.as_str()).map(str::to_owned);
            Read { what: format!("signal {signal}"), value: None, source: f.source.clone(), text }
        })
        .collect();
    let kept_more = matches.len().saturating_sub(cap) as u64;
    let more = match (beyond.count, beyond.filtered) {
        (0, _) if kept_more == 0 => None,
        (0, _) => Some(format!("… and {kept_more} more {}", plural(kept_more, "match", "matches"))),
        (n, false) => {
            let all = kept_more + n;
            Some(format!("… and {all} more {}", plural(all, "match", "matches")))
        }
        (n, true) => Some(format!(
            "… and {kept_more} more {}, and {n} more {} matching the pattern beyond the scan's limit per file (not checked against the signal's `where`)",
            plural(kept_more, "match", "matches"),
            plural(n, "record", "records")
        )),
    };
    if let Some(value) = more {
        reads.push(Read { what: format!("signal {signal}"), value: Some(value), source: None, text: None });
    }
    reads
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(n: usize) -> Vec<Fact> {
        (0..n)
            .map(|i| Fact::from_json(serde_json::json!({ "text": format!("r{i}") })).expect("fact"))
            .collect()
    }

    fn more(kept: usize, beyond: Beyond) -> Option<String> {
        let facts = matches(kept);
        let refs: Vec<&Fact> = facts.iter().collect();
        let reads = match_reads("reset", &refs, 5, beyond);
        assert_eq!(reads.iter().filter(|r| r.text.is_some()).count(), kept.min(5));
        reads.last().and_then(|r| r.value.clone())
    }

    #[test]
    fn more_matches_count_those_kept_and_those_the_scan_did_not_keep() {
        assert_eq!(more(3, Beyond::default()), None);
        assert_eq!(more(6, Beyond::default()).as_deref(), Some("… and 1 more match"));
        assert_eq!(
            more(50, Beyond { count: 850, filtered: false }).as_deref(),
            Some("… and 895 more matches")
        );
        assert_eq!(
            more(50, Beyond { count: 850, filtered: true }).as_deref(),
            Some("… and 45 more matches, and 850 more records matching the pattern beyond the scan's limit per file (not checked against the signal's `where`)")
        );
        assert_eq!(more(2, Beyond { count: 1, filtered: false }).as_deref(), Some("… and 1 more match"));
    }
}
