//! `triage schema pack|report|facts`: prints the JSON Schema of a pack file, of the JSON report
//! or of the fact map (`triage facts --format json`, generated from the fact catalogue), so
//! editors (taplo, VS Code's Even Better TOML) and report consumers can validate against the
//! schema of the triage they run: `triage schema pack > pack.schema.json`, then make a pack's
//! first line `#:schema pack.schema.json`. Exit status 0.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::output::{Out, Ui};
use crate::{CmdResult, Exit};

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema: a pack file (`pack.toml`), the report of `run --format json`, or the fact
    /// map of `facts --format json`.
    #[arg(value_enum)]
    pub which: Which,
}

/// The schemas `triage schema` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Which {
    Pack,
    Report,
    Facts,
}

pub fn run(args: SchemaArgs, _ui: &Ui, out: &mut Out, _err: &mut Out) -> CmdResult {
    let text = match args.which {
        Which::Pack => triage_engine::schema::pack_schema(),
        Which::Report => triage_engine::schema::report_schema(),
        Which::Facts => triage_collectors::catalogue(None).json_schema(),
    };
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(Exit::Clean)
}
