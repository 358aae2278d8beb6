//! What an expression reads, found on Rhai's AST (not in its text): the fact paths, registry
//! keys and values, signals and derived facts of every derived fact, signal filter, rule
//! condition and resolution hole — and which of those reads **handle absence** explicitly.
//!
//! The engine uses it to enforce "a missing fact is never a pass" whatever a pack declares in
//! `requires` ([`crate::eval`]): a read the expression does not guard, of a fact the input lacks,
//! makes the expression `missing` instead of giving a value. Absence is handled by
//! - `x ?? default` (every read left of the last `??`),
//! - a comparison with `()` (`x == ()`, `x != ()`) and `type_of(x)`,
//! - `has("path")` and `reg_key_exists(key)`, which are questions about presence, not reads.
//!
//! `?.` alone is not such handling: it yields `()`, which then compares false.
//!
//! The same reads give the pack's dependency graph ([`graph`]): rule ← derived facts ← signals,
//! data and facts, which `pack diff` and `explain` use, and the load-time checks of
//! `pack check` (typos in fact paths, comparisons of typed facts with literals of another type,
//! literal regexes that do not compile, record fields a log kind does not have).
//!
//! - [`walk`]: the walk over one AST that collects [`Reads`];
//! - [`logic`]: the expression's boolean skeleton (`&&`, `||`, `!`, `if`, `??`), so that a
//!   part that is false on present facts decides whatever is missing in another part;
//! - [`graph`]: [`Dependencies`] of a pack.

pub mod graph;
pub(crate) mod logic;
pub mod walk;

use std::collections::BTreeSet;

pub use graph::{Dependencies, Node as GraphNode};
pub use walk::reads;

/// Something an expression reads whose absence the engine can tell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A fact path, by segments (`["os", "build"]`); a segment may contain dots
    /// (`facts.gpo.policies["SSL Cipher Suite Order"]`).
    Fact(Vec<String>),
    /// A registry key as written (`HKLM\SOFTWARE\…`): missing when no export covers it (neither
    /// it nor a parent key appears in any export). A value absent from a covered key is known:
    /// not set.
    Registry(String),
    /// A signal of the pack, by name: missing when no log of its kind was scanned.
    Signal(String),
    /// A derived fact, by name: missing when the facts it reads are (missingness passes on).
    Derived(String),
}

impl Target {
    /// The fact path a [`Target::Fact`] names, dotted.
    pub fn dotted(segments: &[String]) -> String {
        segments.join(".")
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Fact(segments) => f.write_str(&Target::dotted(segments)),
            Target::Registry(key) => write!(f, "registry:{key}"),
            Target::Signal(name) => write!(f, "signal {name}"),
            Target::Derived(name) => write!(f, "derive.{name}"),
        }
    }
}

/// A registry read: the key as written, and the value name (none for `reg_values`,
/// `reg_key_exists` and `facts.registry[key]` without a value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegistryRead {
    pub key: String,
    pub value: Option<String>,
}

/// A comparison of a fact with a literal (`facts.os.build == "7601"`), for `pack check`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Comparison {
    /// The fact path, dotted.
    pub fact: String,
    /// The operator (`==`, `<`, …).
    pub op: String,
    /// The literal's type: `int`, `float`, `string`, `bool`, `char`.
    pub literal: &'static str,
    /// The literal as written.
    pub text: String,
}

/// Everything one expression reads (sorted, without duplicates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Fact paths read (`facts.a.b`, `fact("a.b")`) or checked (`has("a.b")`), dotted.
    pub facts: BTreeSet<String>,
    /// Registry keys and values read or checked.
    pub registry: BTreeSet<RegistryRead>,
    /// Signals of the pack read (`signal("x")`).
    pub signals: BTreeSet<String>,
    /// Derived facts read, by name.
    pub derived: BTreeSet<String>,
    /// Top-level keys of the pack's `[data]` read (`data.endpoints`).
    pub data: BTreeSet<String>,
    /// Functions and methods called (not operators).
    pub functions: BTreeSet<String>,
    /// `record.fields.NAME` read (in a signal's `where`).
    pub record_fields: BTreeSet<String>,
    /// Literal regexes passed to `matches` and `capture`.
    pub regexes: BTreeSet<String>,
    /// Comparisons of a fact path with a literal.
    pub comparisons: Vec<Comparison>,
    /// The reads whose absence the expression does not handle (see the module docs).
    pub strict: BTreeSet<Target>,
    /// Whether some `fact(…)` or registry helper was called with a key the analysis could not
    /// resolve to a constant: its absence is not enforced.
    pub dynamic: bool,
}

/// The analysis of one compiled expression.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub reads: Reads,
    /// The expression's value when it is a constant string (a derived fact naming a registry
    /// key, `` net64 = `HKLM\…` ``), so that other expressions' registry reads resolve.
    pub constant: Option<String>,
    /// The boolean skeleton, when the expression has one and reads something strictly.
    pub(crate) logic: Option<logic::Node>,
}
