//! triage's collectors: they read what a Windows server leaves behind and turn it into facts.
//!
//! Every collector implements [`triage_facts::Collector`] and is listed once, in [`all`]; the
//! `triage collectors` command and the docs are generated from that list. [`discover`] walks an
//! input and runs the right collector on each file. Collectors never depend on the engine.

pub mod bundle;
pub mod discover;
pub mod live;
pub mod text;

use triage_facts::Collector;

/// Every built-in collector, in the order that breaks recognition ties.
pub fn all() -> Vec<&'static dyn Collector> {
    let lists: &[&[&'static dyn Collector]] = &[];
    lists.iter().flat_map(|l| l.iter().copied()).collect()
}
