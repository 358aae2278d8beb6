//! OS and installed updates: `systeminfo` output ([`systeminfo`]), `Get-HotFix | Export-Csv`
//! ([`hotfix_csv`]), and the build → product table ([`os_builds`]) they share with the registry
//! collector. Fact layouts are in each module's docs; together they write `os.*` and
//! `updates.installed`.

pub mod hotfix_csv;
pub mod os_builds;
pub mod systeminfo;

use triage_facts::Collector;

/// The collectors of this module: `systeminfo`, `hotfix-csv`.
pub static COLLECTORS: &[&dyn Collector] =
    &[&systeminfo::SysteminfoCollector, &hotfix_csv::HotfixCsvCollector];
