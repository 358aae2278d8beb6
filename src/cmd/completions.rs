//! `triage completions SHELL` (shell completions, clap_complete) and `triage man` (the man page,
//! clap_mangen), both generated from the one clap definition in `main.rs`, so they cannot drift
//! from the options. The committed copies in `docs/man/` and `docs/completions/` are checked for
//! staleness by `tests/cli_docs.rs` (`UPDATE_CLI_DOCS=1` rewrites them).

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::output::{Out, Ui};
use crate::{CmdResult, Exit};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  triage completions bash > /etc/bash_completion.d/triage
  triage completions zsh > \"${fpath[1]}/_triage\"
  triage completions fish > ~/.config/fish/completions/triage.fish
  triage completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  triage man > /usr/local/share/man/man1/triage.1")]
pub struct ManArgs {}

pub fn completions(args: CompletionsArgs, _ui: &Ui, out: &mut Out, _err: &mut Out) -> CmdResult {
    let mut command = crate::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut command, "triage", &mut buf);
    out.write_all(&buf)?;
    Ok(Exit::Clean)
}

pub fn man(_args: ManArgs, _ui: &Ui, out: &mut Out, _err: &mut Out) -> CmdResult {
    let mut buf = Vec::new();
    // One page: triage(1), with every subcommand's options under it.
    clap_mangen::Man::new(crate::Cli::command()).render(&mut buf)?;
    for sub in crate::Cli::command().get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("triage-{}", sub.get_name());
        let sub = sub.clone().bin_name(format!("triage {}", sub.get_name()));
        let nested = sub.get_subcommands().next().is_some();
        let man = clap_mangen::Man::new(sub);
        buf.extend_from_slice(b".SH \"");
        buf.extend_from_slice(name.to_uppercase().as_bytes());
        buf.extend_from_slice(b"\"\n");
        man.render_synopsis_section(&mut buf)?;
        man.render_options_section(&mut buf)?;
        if nested {
            man.render_subcommands_section(&mut buf)?;
        }
    }
    out.write_all(&buf)?;
    Ok(Exit::Clean)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every subcommand and every argument has a description: `--help`, the man page and the
    /// completions all show it.
    #[test]
    fn every_command_and_option_is_described() {
        fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in c.get_arguments() {
                let id = a.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                let described = a.get_help().is_some_and(|h| !h.to_string().trim().is_empty());
                if !described && !a.is_hide_set() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for s in c.get_subcommands() {
                let name = format!("{path} {}", s.get_name());
                if s.get_about().is_none_or(|h| h.to_string().trim().is_empty()) && s.get_name() != "help" {
                    missing.push(name.clone());
                }
                walk(s, &name, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&crate::Cli::command(), "triage", &mut missing);
        assert!(missing.is_empty(), "undescribed: {missing:#?}");
    }
}
