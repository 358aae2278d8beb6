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
//! | `unique_ci(a)` | the strings of `a` without repeats, case-insensitive, first kept |
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
//! its caller's count), so the operation budget and the wall-clock deadline of each expression
//! are kept in thread-local cells and checked in `on_progress` on every operation. The simplest
//! expressions skip Rhai's interpreter altogether (`crate::fast`): they are bounded by their size.
//!
//! # Layout
//!
//! - `engine`: building the engine — limits, the budget checked on every operation;
//! - `functions`: the functions a condition may call, registered on it;
//! - `pure`: helpers that are functions of their arguments only, shared with `crate::fast`;
//! - `facts`: the per-input facts ([`InputFacts`]) and the record of a read ([`Read`]);
//! - `state`: the per-evaluation state on this thread and the helpers that read facts.
//!
//! Nothing here depends on `crate::fast` or `crate::runtime` (which runs an expression through
//! the fast path or Rhai): they depend on this module.

pub(crate) mod budget;
mod engine;
mod facts;
mod functions;
pub(crate) mod memory;
pub(crate) mod pure;
mod state;

pub use engine::{build_engine, Limits};
pub(crate) use facts::ReadRef;
pub use facts::{InputFacts, Read};
pub use pure::normalise_key;
pub(crate) use state::{
    has, match_reads, push_read_only, registry_value, signal_error, signal_evidence, take_reads, with_state,
    Beyond, EvalState, SignalMatches,
};
