//! `triage collectors [--format human|json]`: every collector in `triage_collectors::all()`,
//! with what it reads, the file names it expects and the fact namespaces it provides.
//! `--facts` prints the fact catalogue instead (`triage_collectors::catalogue`): every fact path
//! with its types, what it is and the artifact that provides it, and the fields of each log
//! kind's records; `--pack DIR` adds that pack's log kinds.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use triage_engine::Evaluator;
use triage_facts::Catalogue;

use crate::output::{Out, Ui};
use crate::{packs, render, CmdResult, Exit, Format};

#[derive(Debug, Args)]
pub struct CollectorsArgs {
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Print the fact catalogue: every fact path the collectors write, its types and artifact.
    #[arg(long)]
    pub facts: bool,
    /// With `--facts`: also the log kinds these pack folders (or installed pack IDs) define.
    #[arg(long = "pack", value_name = "DIR", requires = "facts")]
    pub packs: Vec<PathBuf>,
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

pub fn run(args: CollectorsArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    if args.facts {
        let plan = if args.packs.is_empty() {
            None
        } else {
            let evaluator = Evaluator::default();
            Some(packs::scan_plan(&packs::load_for_command(&args.packs, &evaluator, ui, err)?))
        };
        let catalogue = triage_collectors::catalogue(plan.as_ref());
        match args.format {
            Format::Json => render::json::write(out, &catalogue)?,
            Format::Human => write_catalogue(out, &catalogue)?,
        }
        return Ok(Exit::Clean);
    }
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

/// The catalogue for people: per collector, its artifact, then one line per fact path (types,
/// what it is); then each log kind's record fields.
fn write_catalogue(out: &mut Out, c: &Catalogue) -> std::io::Result<()> {
    let width = c.facts.iter().map(|e| e.path.chars().count()).max().unwrap_or(0).min(56);
    let types = |t: &[triage_facts::FactType]| t.iter().map(|t| t.name()).collect::<Vec<_>>().join(" | ");
    let twidth = c.facts.iter().map(|e| types(&e.types).len()).max().unwrap_or(0).min(32);
    let mut last: Option<(&str, &str)> = None;
    for e in &c.facts {
        if last != Some((&e.collector, &e.artifact)) {
            if last.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{} — {}", e.collector, e.artifact)?;
            last = Some((&e.collector, &e.artifact));
        }
        writeln!(out, "  {:width$}  {:twidth$}  {}", e.path, types(&e.types), e.description)?;
    }
    writeln!(out)?;
    writeln!(out, "{{kind}}: a log kind: wsus, configmgr, or a pack's <pack id>/<kind>; `[]`: every item of a list; `*`: any key")?;
    for k in c.log_kinds.values() {
        writeln!(out)?;
        writeln!(
            out,
            "record fields of log kind {} ({}), `record.fields.<name>` and `signals.<id>[].fields.<name>`:",
            k.kind, k.collector
        )?;
        let w = k.fields.iter().map(|f| f.name.chars().count()).max().unwrap_or(0);
        for f in &k.fields {
            writeln!(out, "  {:w$}  {:twidth$}  {}", f.name, types(&f.types), f.description)?;
        }
    }
    Ok(())
}
