//! A scan plan compiled once per run: every automaton, regex and search plan the log scanner
//! derives from a [`ScanPlan`] — per log kind, the signals' regexes, the combined search with its
//! literal windows, the built-in patterns, the per-signal gates; per pack-defined kind, its
//! `record_start` and `fields` regexes — is built the first time a file of that kind is scanned
//! with the plan and kept in the plan's [`PlanCache`](triage_facts::scan::PlanCache), so every
//! later file, input and thread of the run shares it. A run hands one plan by reference to all
//! its inputs (`triage run` over 1,000 host folders compiles each kind once, not 1,000 times).
//!
//! Lock-free once built: the cache and each slot below are `OnceLock`s (a read is one atomic
//! load); the compiled forms are read-only and shared through `Arc`.
//!
//! The plan's fields are public, so the compiled form remembers the signals and log kinds it was
//! built from and is used only while the plan still holds them; a plan changed after its first
//! scan is compiled per file again (correct, only slower). A scan without a plan (no pack asks
//! for signals) uses the format's built-in patterns, compiled once per process.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use triage_facts::{FileKindSpec, LogKindSpec, ScanPlan, SignalSpec};

use super::custom::CustomKind;
use super::scan::{compile, Format, Matcher};

/// A matcher with the messages of what could not be compiled (each file scanned with it reports
/// them as its collection errors).
pub(super) type Compiled = Arc<(Arc<Matcher>, Vec<String>)>;

/// Per kind and `one_search` (index 0: `false`, 1: `true`).
type Slots = [OnceLock<Compiled>; 2];

/// A pack-defined log kind compiled, or why it does not compile.
type KindSlot = OnceLock<Result<Arc<CustomKind>, String>>;

/// A pack-defined file kind's `content` regex compiled (`None`: it has none), or why not.
type ContentSlot = OnceLock<Result<Option<Arc<regex::Regex>>, String>>;

/// What a plan compiles to.
struct CompiledPlan {
    /// What it was built from.
    signals: Vec<SignalSpec>,
    log_kinds: Vec<LogKindSpec>,
    file_kinds: Vec<FileKindSpec>,
    /// Per pack-defined file kind (plan order): its `content` regex.
    content: Vec<ContentSlot>,
    /// The built-in kinds' matchers: `wsus`, `configmgr`.
    builtin: [Slots; 2],
    /// Per pack-defined log kind (plan order): its compiled kind (or why it does not compile)
    /// and its matchers.
    custom: Vec<(KindSlot, Slots)>,
    /// Matchers and kinds built so far (tests read it: each is built once per run).
    builds: AtomicUsize,
}

impl CompiledPlan {
    fn new(plan: &ScanPlan) -> CompiledPlan {
        CompiledPlan {
            signals: plan.signals.clone(),
            log_kinds: plan.log_kinds.clone(),
            file_kinds: plan.file_kinds.clone(),
            content: plan.file_kinds.iter().map(|_| OnceLock::new()).collect(),
            builtin: Default::default(),
            custom: plan.log_kinds.iter().map(|_| Default::default()).collect(),
            builds: AtomicUsize::new(0),
        }
    }

    fn matches(&self, plan: &ScanPlan) -> bool {
        self.signals == plan.signals && self.log_kinds == plan.log_kinds && self.file_kinds == plan.file_kinds
    }

    fn slots(&self, format: &Format) -> Option<&Slots> {
        match format {
            Format::Wsus => Some(&self.builtin[0]),
            Format::ConfigMgr(_) => Some(&self.builtin[1]),
            Format::Custom(k) => {
                let i = self.log_kinds.iter().position(|s| *s == k.spec)?;
                Some(&self.custom[i].1)
            }
        }
    }
}

/// The plan's compiled form, when it is still the plan it was built from.
fn compiled(plan: &ScanPlan) -> Option<Arc<CompiledPlan>> {
    plan.compiled.get_or_init(|| CompiledPlan::new(plan)).filter(|c| c.matches(plan))
}

/// The matcher for `format`'s kind in `plan`, built on first use.
pub(super) fn matcher(format: &Format, plan: Option<&ScanPlan>, one_search: bool) -> Compiled {
    let build = || {
        let (m, errors) = compile(format, plan, one_search);
        Arc::new((Arc::new(m), errors))
    };
    let Some(plan) = plan else {
        // Built-in patterns only: the same for every run of the process.
        static PLANLESS: [Slots; 2] =
            [[OnceLock::new(), OnceLock::new()], [OnceLock::new(), OnceLock::new()]];
        let slots = match format {
            Format::Wsus => &PLANLESS[0],
            Format::ConfigMgr(_) => &PLANLESS[1],
            Format::Custom(_) => return build(),
        };
        return Arc::clone(slots[usize::from(one_search)].get_or_init(build));
    };
    let Some(c) = compiled(plan) else { return build() };
    let Some(slots) = c.slots(format) else { return build() };
    Arc::clone(slots[usize::from(one_search)].get_or_init(|| {
        c.builds.fetch_add(1, Ordering::Relaxed);
        build()
    }))
}

/// The compiled form of the plan's log kind `spec` (its regexes), built on first use; the error
/// names the regex that does not compile.
pub(super) fn custom_kind(plan: &ScanPlan, spec: &LogKindSpec) -> Result<Arc<CustomKind>, String> {
    let compile = || CustomKind::compile(spec).map(Arc::new);
    let Some(c) = compiled(plan) else { return compile() };
    let Some(i) = c.log_kinds.iter().position(|s| s == spec) else { return compile() };
    c.custom[i]
        .0
        .get_or_init(|| {
            c.builds.fetch_add(1, Ordering::Relaxed);
            compile()
        })
        .clone()
}

/// The compiled `content` regex of the plan's file kind `spec` (`None` when it has none), built
/// on first use; the error names the regex that does not compile.
pub fn file_kind_content(plan: &ScanPlan, spec: &FileKindSpec) -> Result<Option<Arc<regex::Regex>>, String> {
    let compile = || {
        spec.content
            .as_deref()
            .map(|re| {
                regex::RegexBuilder::new(re)
                    .size_limit(triage_facts::scan::LOG_KIND_REGEX_SIZE_LIMIT)
                    .build()
                    .map(Arc::new)
                    .map_err(|e| format!("file kind {}: content: {e}", spec.name))
            })
            .transpose()
    };
    let Some(c) = compiled(plan) else { return compile() };
    let Some(i) = c.file_kinds.iter().position(|s| s == spec) else { return compile() };
    c.content[i]
        .get_or_init(|| {
            c.builds.fetch_add(1, Ordering::Relaxed);
            compile()
        })
        .clone()
}

/// How many matchers and pack-defined kinds have been compiled for `plan` so far: once per log
/// kind scanned (and per search mode), however many files, inputs and threads scanned it.
pub fn compilations(plan: &ScanPlan) -> usize {
    compiled(plan).map_or(0, |c| c.builds.load(Ordering::Relaxed))
}
