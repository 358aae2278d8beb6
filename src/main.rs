//! `triage`: the command line. Collectors turn artifact folders into facts, rule packs diagnose
//! known problems from them, and this binary ties the two together and renders the findings.
//!
//! Layout: this file holds the clap definition ([`Cli`], [`Command`]), the dispatch and the exit
//! codes; each subcommand lives in its own file under `cmd/`; pack loading is in [`packs`], input
//! handling (folders, files, fact maps) in [`input`], and rendering in `render/` (human, JSON).
//!
//! Exit status (a contract, DESIGN §7):
//! - `0`: nothing detected (for `pack test`: every case passed);
//! - `1`: something detected (for `pack test`: a case failed or a rule lacks a case);
//! - `2`: an error: bad arguments, an unreadable input, an invalid pack, a rule that could not be
//!   evaluated. An error wins over a detection, as in ripgrep;
//! - `3`: incomplete: nothing detected, but applicable rules could not be evaluated (their facts
//!   are missing, or no artifact of an input was recognised), as InSpec has its own status for
//!   skipped controls. Across all inputs of a run: 2 > 1 > 3 > 0.
//!
//! A closed pipe on stdout (`triage run … | head`) is not an error: output stops, the exit status
//! stays what the run concluded.

mod cleanup;
mod cmd;
mod hosts;
mod input;
mod junit;
mod output;
mod packs;
mod parallel;
mod render;
mod waivers;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::output::{Out, Ui};

/// Diagnose known problems from what a Windows server leaves behind.
#[derive(Debug, Parser)]
#[command(name = "triage", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

/// The subcommands. Each variant's arguments and code live in `src/cmd/<name>.rs`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose artifact folders, single artifacts or fact-map files with rule packs.
    Run(cmd::run::RunArgs),
    /// Print the facts the collectors read from an input.
    Facts(cmd::facts::FactsArgs),
    /// Show why a rule did or did not fire on an input: every clause, its value, the facts read.
    Explain(cmd::explain::ExplainArgs),
    /// Work on rule packs: new, check, test, build, sign, verify, keygen, install, list, remove,
    /// update, diff.
    #[command(subcommand, after_help = PACK_EXAMPLES)]
    Pack(cmd::pack::PackCommand),
    /// List every collector: what it reads and which facts it provides.
    Collectors(cmd::collectors::CollectorsArgs),
    /// Write a bundle (artifacts, facts, manifest) from this Windows host or from a folder.
    #[command(after_help = COLLECT_EXAMPLES)]
    Collect(cmd::collect::CollectArgs),
    /// Show the findings that appeared, cleared or changed between two runs or bundles.
    Diff(cmd::diff::DiffArgs),
    /// Live checks of an endpoint: `probe tls HOST[:PORT]` (versions, suites, as this host would).
    Probe(cmd::probe::ProbeArgs),
    /// Print the JSON Schema of a pack file or of the JSON report (`schema pack > pack.schema.json`).
    Schema(cmd::schema::SchemaArgs),
    /// Print shell completions: bash, zsh, fish, powershell or elvish.
    Completions(cmd::completions::CompletionsArgs),
    /// Print the man page (roff), every subcommand and option included.
    Man(cmd::completions::ManArgs),
}

/// Examples shown by `triage pack --help`.
const PACK_EXAMPLES: &str = "\
Examples:
  triage pack new my-pack                       a pack with one rule and its tests
  triage pack check my-pack                     every problem, at its TOML line
  triage pack test my-pack --junit junit.xml    run the rules' test cases
  triage pack build my-pack                     a reproducible dist/my-pack-VERSION.tar.gz
  triage pack install dist/my-pack-0.1.0.tar.gz install a signed pack for `run --pack my-pack`";

/// Examples shown by `triage collect --help`.
const COLLECT_EXAMPLES: &str = "\
Examples:
  triage collect --output server1.zip                          on the Windows server itself
  triage collect --from copied-files/ --output bundle.zip      a bundle of a folder of artifacts
  triage collect --from copied-files/ --output b.zip --redact  host names, users, addresses hidden
  triage run server1.zip                                       then diagnose it anywhere";

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Output format of the commands that have one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// What a command concluded; becomes the process exit status. The discriminants are the
/// statuses, not their precedence: see [`Exit::worst`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing detected; every test passed.
    Clean = 0,
    /// Something detected; a test failed.
    Detected = 1,
    /// Bad arguments, unreadable input, invalid pack.
    Error = 2,
    /// Nothing detected, but applicable rules could not be evaluated.
    Incomplete = 3,
}

impl Exit {
    /// Precedence across inputs: error > detected > incomplete > clean.
    fn rank(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Incomplete => 1,
            Exit::Detected => 2,
            Exit::Error => 3,
        }
    }

    /// The status that wins of two.
    pub fn worst(self, other: Exit) -> Exit {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// A failure that ends a command with exit status 2. The message has been printed already
/// when it is [`Failure::Reported`].
#[derive(Debug)]
pub enum Failure {
    /// Print this and exit 2.
    Message(miette::Report),
    /// Diagnostics were printed; exit 2.
    Reported,
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Message(miette::miette!("{e}"))
    }
}

impl From<miette::Report> for Failure {
    fn from(e: miette::Report) -> Self {
        Failure::Message(e)
    }
}

/// Result of a subcommand.
pub type CmdResult = Result<Exit, Failure>;

/// The command line. When `--version` is asked for, it names the commit triage was built from
/// and the version of each built-in pack (the man page and completions use [`Cli::command`],
/// whose version is the package's alone, so they do not change with every commit).
fn command() -> clap::Command {
    let command = Cli::command();
    if !std::env::args_os().skip(1).any(|a| a == "--version" || a == "-V") {
        return command;
    }
    let evaluator = triage_engine::Evaluator::default();
    let packs: Vec<String> = packs::embedded_sources()
        .into_iter()
        .filter_map(|(_, files)| packs::load_one(files, &evaluator).0)
        .map(|p| format!("{} {}", p.manifest.id, p.manifest.version))
        .collect();
    let text = format!(
        "{} (commit {})\nbuilt-in packs: {}",
        env!("CARGO_PKG_VERSION"),
        env!("TRIAGE_COMMIT"),
        if packs.is_empty() { "none".to_owned() } else { packs.join(", ") }
    );
    // Leaked once: clap keeps a `&'static str`, and the process is about to print and exit.
    command.version(&*Box::leak(text.into_boxed_str()))
}

fn main() -> ExitCode {
    let cli = match command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` are not errors; usage mistakes exit 2 (clap's default).
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let ui = Ui::detect(cli.color);
    let mut out = Out::stdout();
    let mut err = Out::stderr();
    let result = match cli.command {
        Command::Run(args) => cmd::run::run(args, &ui, &mut out, &mut err),
        Command::Facts(args) => cmd::facts::run(args, &ui, &mut out, &mut err),
        Command::Explain(args) => cmd::explain::run(args, &ui, &mut out, &mut err),
        Command::Pack(args) => cmd::pack::run(args, &ui, &mut out, &mut err),
        Command::Collectors(args) => cmd::collectors::run(args, &ui, &mut out, &mut err),
        Command::Collect(args) => cmd::collect::run(args, &ui, &mut out, &mut err),
        Command::Diff(args) => cmd::diff::run(args, &ui, &mut out, &mut err),
        Command::Probe(args) => cmd::probe::run(args, &ui, &mut out, &mut err),
        Command::Schema(args) => cmd::schema::run(args, &ui, &mut out, &mut err),
        Command::Completions(args) => cmd::completions::completions(args, &ui, &mut out, &mut err),
        Command::Man(args) => cmd::completions::man(args, &ui, &mut out, &mut err),
    };
    let _ = std::io::Write::flush(&mut out);
    let exit = match result {
        Ok(exit) => exit,
        Err(Failure::Reported) => Exit::Error,
        Err(Failure::Message(report)) => {
            render::human::write_report_error(&mut err, &ui, report.as_ref());
            Exit::Error
        }
    };
    ExitCode::from(exit as u8)
}
