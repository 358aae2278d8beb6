//! triage's collectors: they read what a Windows server leaves behind and turn it into facts.
//!
//! Every collector implements [`triage_facts::Collector`] and is listed once, in [`all`]; the
//! `triage collectors` command and the docs are generated from that list. [`discover`] walks an
//! input and runs the right collector on each file. Collectors never depend on the engine.
//! Each collector declares the facts it writes in its `CollectorInfo` (`facts`, `log_kind`);
//! [`catalogue`] collects them into the fact catalogue.

pub mod bundle;
pub mod capture;
pub mod discover;
pub mod dotnet_config;
pub mod files;
pub mod gpresult;
pub mod gzip;
pub mod live;
pub mod logs;
pub mod probe;
pub mod registry;
pub mod scratch;
pub mod script_errors;
pub mod secrets;
pub mod system;
pub mod text;
pub mod wsus_config;
pub mod xml_depth;

use triage_facts::{Artifact, Catalogue, CollectionError, Collector, CollectorOutput, ScanPlan};

/// Reads a whole artifact and hands its bytes to `parse`; a file that cannot be read becomes a
/// collection error of `collector`, so one unreadable file never stops the others.
pub(crate) fn read_whole(
    artifact: &Artifact<'_>,
    collector: &str,
    parse: impl FnOnce(&str, &[u8]) -> CollectorOutput,
) -> CollectorOutput {
    match std::fs::read(artifact.path) {
        Ok(bytes) => parse(artifact.rel_path, &bytes),
        Err(e) => CollectorOutput {
            errors: vec![CollectionError::new(artifact.rel_path, collector, format!("cannot read: {e}"))],
            ..Default::default()
        },
    }
}

/// Every built-in collector, in the order that breaks recognition ties.
pub fn all() -> Vec<&'static dyn Collector> {
    let lists: &[&[&'static dyn Collector]] = &[
        logs::COLLECTORS,
        registry::COLLECTORS,
        dotnet_config::COLLECTORS,
        gpresult::COLLECTORS,
        wsus_config::COLLECTORS,
        system::COLLECTORS,
        files::COLLECTORS,
        capture::COLLECTORS,
        probe::COLLECTORS,
        script_errors::COLLECTORS,
    ];
    lists.iter().flat_map(|l| l.iter().copied()).collect()
}

/// The fact catalogue: what every built-in collector (and discovery) writes, extended with the
/// log kinds and file kinds of `plan` (pack-defined kinds, `<pack id>/<kind>`) when given.
pub fn catalogue(plan: Option<&ScanPlan>) -> Catalogue {
    let mut c = Catalogue::new();
    c.add("discovery", "any file of the input", discover::FACTS);
    for col in all() {
        c.add_collector(col.info());
    }
    for k in plan.map(|p| p.log_kinds.as_slice()).unwrap_or_default() {
        c.add_log_kind(&k.name, &logs::custom::field_names(k), &k.files);
    }
    for k in plan.map(|p| p.file_kinds.as_slice()).unwrap_or_default() {
        c.add_file_kind(&k.name, &k.files, &files::declarations(k.format));
    }
    c
}
