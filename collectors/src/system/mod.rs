//! OS and installed updates: `systeminfo` output ([`systeminfo`]), `Get-HotFix | Export-Csv`
//! ([`hotfix_csv`]), a Linux host's `/etc/hostname` and `/etc/os-release` ([`linux`]), and the build → product table ([`os_builds`]) they share with the registry
//! collector. Fact layouts are in each module's docs; together they write `os.*` and
//! `updates.installed`. When several artifacts list updates (`systeminfo` and `Get-HotFix`), the
//! merged `updates.installed` is their concatenation in artifact-path order, so a KB may appear
//! more than once; `os.*` from `systeminfo` and from the registry agree by construction (the
//! shared build table), so they merge without conflict.

pub mod hotfix_csv;
pub mod linux;
pub mod os_builds;
pub mod systeminfo;

use triage_facts::Collector;

/// The collectors of this module: `systeminfo`, `hotfix-csv`, `linux-host`.
pub static COLLECTORS: &[&dyn Collector] =
    &[&systeminfo::SysteminfoCollector, &hotfix_csv::HotfixCsvCollector, &linux::LinuxHostCollector];
