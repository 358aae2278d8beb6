//! `triage explain RULE PATH [--pack DIR]…`: evaluate one rule on one input and show every
//! requirement, derived fact and clause with its value and the facts it read — the answer to
//! "why did (or didn't) this fire?". Exit status as for `run`, for that one rule.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use triage_engine::{EvalOptions, Evaluator, InputFacts, Outcome};

use crate::output::{Out, Ui};
use crate::{input, packs, render, CmdResult, Exit, Failure, Format};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule ID, e.g. `WSUS001`; `PACK/RULE` (`wsus-tls/WSUS001`) when several packs use it.
    #[arg(value_name = "RULE")]
    pub rule: String,
    /// An artifact folder, a single artifact file, or a fact-map JSON file.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// A rule-pack folder; repeat for several. Without it, the built-in packs are used.
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(args: ExplainArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    let evaluator = Evaluator::default();
    let packs = packs::load_for_command(&args.packs, &evaluator, ui, err)?;
    // `PACK/RULE` names the pack; a bare rule ID must be in one pack only.
    let (pack_id, wanted) = match args.rule.trim().split_once('/') {
        Some((p, r)) => (Some(p.to_owned()), r.to_ascii_uppercase()),
        None => (None, args.rule.trim().to_ascii_uppercase()),
    };
    let candidates: Vec<&triage_engine::Pack> = packs
        .iter()
        .filter(|p| pack_id.as_deref().is_none_or(|id| p.manifest.id == id) && p.rule(&wanted).is_some())
        .collect();
    if candidates.len() > 1 {
        let names: Vec<String> = candidates.iter().map(|p| format!("{}/{wanted}", p.manifest.id)).collect();
        return Err(Failure::Message(miette::miette!(
            help = format!("name one: {}", names.join(", ")),
            "rule `{wanted}` is in several packs",
        )));
    }
    let Some(pack) = candidates.first().copied() else {
        let mut known: Vec<&str> = packs.iter().flat_map(|p| p.rules.iter().map(|r| r.id.as_ref())).collect();
        known.sort_unstable();
        return Err(Failure::Message(miette::miette!(
            help =
                format!("known rules: {}", if known.is_empty() { "none".into() } else { known.join(", ") }),
            "no rule `{}` in the loaded packs",
            args.rule
        )));
    };
    let plan = packs::scan_plan(std::slice::from_ref(pack));
    let mut input =
        input::load(&args.path, &plan, ui).map_err(|m| Failure::Message(miette::miette!("{m}")))?;
    let facts = Arc::new(InputFacts::new(Arc::new(std::mem::take(&mut input.facts))));
    let opts = EvalOptions { explain: true, catalogue: Some(packs::catalogue(&plan)) };
    let finding = evaluator
        .evaluate(pack, &facts, &input.name, &opts)
        .into_iter()
        .find(|f| *f.rule == *wanted)
        .ok_or_else(|| Failure::Message(miette::miette!("rule `{wanted}` gave no finding")))?;
    match args.format {
        Format::Json => render::json::write(out, &finding)?,
        Format::Human => {
            let mut out = render::inert::Inert::new(&mut *out, ui.color_out);
            render::human::write_explanation(&mut out, ui, pack, &finding, &input)?;
            out.flush()?;
        }
    }
    Ok(match finding.outcome {
        Outcome::Detected => Exit::Detected,
        Outcome::Error => Exit::Error,
        Outcome::MissingFacts => Exit::Incomplete,
        _ => Exit::Clean,
    })
}
