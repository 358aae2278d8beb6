//! `triage collectors [--format human|json]`: every collector in `triage_collectors::all()`,
//! with what it reads, the file names it expects and the fact namespaces it provides.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use crate::output::{Out, Ui};
use crate::{render, CmdResult, Exit, Format};

#[derive(Debug, Args)]
pub struct CollectorsArgs {
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// One collector as listed.
#[derive(Debug, Serialize)]
pub struct CollectorEntry {
    pub name: &'static str,
    pub version: &'static str,
    pub reads: &'static str,
    pub typical_names: &'static [&'static str],
    pub provides: &'static [&'static str],
}

pub fn entries() -> Vec<CollectorEntry> {
    triage_collectors::all()
        .iter()
        .map(|c| {
            let i = c.info();
            CollectorEntry {
                name: i.name,
                version: i.version,
                reads: i.reads,
                typical_names: i.typical_names,
                provides: i.provides,
            }
        })
        .collect()
}

pub fn run(args: CollectorsArgs, _ui: &Ui, out: &mut Out, _err: &mut Out) -> CmdResult {
    let list = entries();
    match args.format {
        Format::Json => render::json::write(out, &list)?,
        Format::Human => {
            if list.is_empty() {
                writeln!(out, "no collectors are built in")?;
            }
            for (i, c) in list.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "{} {}", c.name, c.version)?;
                writeln!(out, "  reads:    {}", c.reads)?;
                if !c.typical_names.is_empty() {
                    writeln!(out, "  names:    {}", c.typical_names.join(", "))?;
                }
                writeln!(out, "  provides: {}", c.provides.join(", "))?;
            }
        }
    }
    Ok(Exit::Clean)
}
