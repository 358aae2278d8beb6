//! `triage facts PATH [--format human|json]`: what the collectors read from an input, as the
//! rules see it. The JSON form is a fact map `triage run` accepts back as input.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use triage_engine::Evaluator;

use crate::output::{Out, Ui};
use crate::{input, packs, render, CmdResult, Exit, Failure, Format};

#[derive(Debug, Args)]
pub struct FactsArgs {
    /// An artifact folder, a single artifact file, or a fact-map JSON file.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Pack folders whose log signals to scan for (default: the built-in packs).
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: FactsArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    let evaluator = Evaluator::default();
    let packs = packs::load_for_command(&args.packs, &evaluator, ui, err)?;
    let plan = packs::scan_plan(&packs);
    let input = input::load(&args.path, &plan, ui).map_err(|m| Failure::Message(miette::miette!("{m}")))?;
    match args.format {
        Format::Json => {
            out.write_all(input.facts.to_json_pretty().as_bytes())?;
            out.write_all(b"\n")?;
        }
        Format::Human => {
            let mut out = render::inert::Inert::new(&mut *out, false);
            render::human::write_facts(&mut out, &input.facts)?;
            out.flush()?;
        }
    }
    Ok(Exit::Clean)
}
