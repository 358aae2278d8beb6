//! triage's collectors: they read what a Windows server leaves behind and turn it into facts.
//!
//! Every collector implements [`triage_facts::Collector`] and is listed once, in [`all`]; the
//! `triage collectors` command and the docs are generated from that list. [`discover`] walks an
//! input and runs the right collector on each file. Collectors never depend on the engine.

pub mod bundle;
pub mod capture;
pub mod discover;
pub mod dotnet_config;
pub mod gpresult;
pub mod live;
pub mod logs;
pub mod probe;
pub mod registry;
pub mod system;
pub mod text;
pub mod wsus_config;

use triage_facts::Collector;

/// Every built-in collector, in the order that breaks recognition ties.
pub fn all() -> Vec<&'static dyn Collector> {
    let lists: &[&[&'static dyn Collector]] = &[
        logs::COLLECTORS,
        registry::COLLECTORS,
        dotnet_config::COLLECTORS,
        gpresult::COLLECTORS,
        wsus_config::COLLECTORS,
        system::COLLECTORS,
        capture::COLLECTORS,
        probe::COLLECTORS,
    ];
    lists.iter().flat_map(|l| l.iter().copied()).collect()
}
