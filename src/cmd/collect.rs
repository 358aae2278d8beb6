//! `triage collect [--from DIR] -o OUT [--redact [--redact-key FILE]]`: write a bundle — the
//! artifacts, the fact map and a manifest — as a folder or a `.zip` (by `OUT`'s extension).
//!
//! With `--from`, the artifacts are the files of `DIR`; without it, they are gathered from the
//! live Windows host (`triage_collectors::live`); off Windows that is refused (exit 2, one line,
//! nothing written). The collection time is `--time`, else
//! `SOURCE_DATE_EPOCH` (seconds, the reproducible-builds convention), else the clock; a given
//! time makes the bundle byte-for-byte reproducible. Collection problems are recorded in the
//! bundle and summarised on stderr; only bad arguments and an unwritable destination fail (2).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use triage_collectors::bundle::redact::RedactionKey;
use triage_collectors::bundle::{self, CreateOptions};
use triage_collectors::live::{self, LiveSpec};
use triage_engine::Evaluator;
use triage_facts::Timestamp;

use crate::output::{Out, Ui};
use crate::{packs, CmdResult, Exit, Failure};

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Collect the files of this folder instead of the live host.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Where to write the bundle: a folder, or a file ending in `.zip`.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: PathBuf,
    /// Replace an existing bundle at OUT.
    #[arg(long)]
    pub force: bool,
    /// Collection time (RFC 3339, e.g. 2026-11-25T16:00:00Z); makes the bundle reproducible.
    /// Default: SOURCE_DATE_EPOCH when set, else now.
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// Host name to record in the manifest (default: the collected host name).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Pseudonymise host and domain names, IP addresses, user names and machine GUIDs, in the
    /// facts and the artifacts, with a keyed hash (equal values stay equal).
    #[arg(long)]
    pub redact: bool,
    /// The redaction key file, created with a new random key if missing (default: a key file in
    /// the user's configuration folder). Keep it to make pseudonyms match across collections.
    #[arg(long, value_name = "FILE", requires = "redact")]
    pub redact_key: Option<PathBuf>,
    /// Pack folders whose log signals are scanned into the facts (default: the built-in packs).
    #[arg(long = "pack", value_name = "DIR")]
    pub packs: Vec<PathBuf>,
    /// Live collection: another registry key to export (HKLM\…; end it with `\*` to include its
    /// subkeys); repeat for several.
    #[arg(long = "registry-key", value_name = "KEY")]
    pub registry_keys: Vec<String>,
    /// Live collection: seconds each command (systeminfo, gpresult, PowerShell) may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub command_timeout: u64,
    /// Live collection: export the System and Application event logs' events of the last DAYS
    /// days (`wevtutil epl`); 0 exports none.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub event_log_days: u64,
    /// Live collection: largest event log export, in MiB; a larger one is exported again over
    /// half as many days, and so on.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub event_log_max_mib: u64,
}

/// What `triage collect` without `--from` says off Windows, before anything is read or written.
pub const LIVE_OFF_WINDOWS: &str = "live collection reads this host's Windows registry, logs and tools, and this is not Windows: run `triage collect` on the Windows server (or the collection script, scripts/Collect-Triage.ps1), or collect a copied folder with --from DIR";

pub fn run(args: CollectArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    // Off Windows there is no live host to read: say so, and write nothing (an empty bundle
    // would look like a collection).
    if args.from.is_none() && !cfg!(windows) {
        return Err(Failure::Message(miette::miette!("{LIVE_OFF_WINDOWS}")));
    }
    let collected_at =
        collection_time(args.time.as_deref(), std::env::var("SOURCE_DATE_EPOCH").ok().as_deref())
            .map_err(|m| Failure::Message(miette::miette!("{m}")))?;
    let evaluator = Evaluator::default();
    let packs = packs::load_for_command(&args.packs, &evaluator, ui, err)?;
    let plan = packs::scan_plan(&packs);

    let key = if args.redact {
        let path = match &args.redact_key {
            Some(p) => p.clone(),
            None => default_key_path().ok_or_else(|| {
                Failure::Message(miette::miette!(
                    "no configuration folder for the redaction key: pass --redact-key FILE"
                ))
            })?,
        };
        let (key, created) = RedactionKey::load_or_create(&path)
            .map_err(|e| Failure::Message(miette::miette!("redaction key {}: {e}", path.display())))?;
        if created {
            writeln!(
                err,
                "created redaction key {} (keep it to get the same pseudonyms next time)",
                path.display()
            )?;
        }
        Some(key)
    } else {
        None
    };

    let collectors = triage_collectors::all();
    let mut opts = CreateOptions::new(&collectors, env!("CARGO_PKG_VERSION"));
    opts.plan = (!plan.is_empty()).then_some(&plan);
    opts.collected_at = collected_at;
    opts.host = args.host.clone();
    opts.redact = key.as_ref();
    opts.overwrite = args.force;

    let staging;
    let input: &Path = match &args.from {
        Some(dir) => {
            if !dir.exists() {
                return Err(Failure::Message(miette::miette!("{}: no such folder", dir.display())));
            }
            // A bundle is one host's: never a merge of several hosts' artifacts.
            crate::hosts::check_one_host(dir, &dir.display().to_string())
                .map_err(|m| Failure::Message(miette::miette!("{m}")))?;
            dir
        }
        None => {
            let parent = args.output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            staging = parent.join(format!(".triage-live-{}", std::process::id()));
            let mut spec = LiveSpec {
                timeout: Duration::from_secs(args.command_timeout),
                event_log_max_age: Duration::from_secs(args.event_log_days.saturating_mul(24 * 3600)),
                event_log_max_bytes: args.event_log_max_mib.saturating_mul(1 << 20),
                ..LiveSpec::default()
            };
            spec.registry_keys.extend(args.registry_keys.iter().cloned());
            let spinner = ui.spinner("gathering artifacts from this host".into());
            opts.extra_errors = live::gather(&staging, &spec);
            spinner.finish_and_clear();
            opts.source = "live";
            if opts.host.is_none() {
                opts.host = std::env::var("COMPUTERNAME").ok().filter(|h| !h.is_empty());
            }
            &staging
        }
    };
    let spinner = ui.spinner(format!("writing {}", args.output.display()));
    let result = bundle::create(input, &args.output, &opts);
    spinner.finish_and_clear();
    if args.from.is_none() {
        let _ = std::fs::remove_dir_all(input);
    }
    let created = result.map_err(|e| Failure::Message(miette::miette!("{e}")))?;

    let m = &created.manifest;
    let errors = m.errors.len() + m.collectors.values().map(|c| c.errors.len()).sum::<usize>();
    writeln!(
        out,
        "wrote {}: {} artifact(s), {} fact(s), {} collection error(s){}",
        created.path.display(),
        m.artifacts.len(),
        created.facts.leaf_count(),
        errors,
        m.redaction.as_ref().map(|r| format!(", redacted (key {})", r.key_id)).unwrap_or_default()
    )?;
    for e in m.errors.iter().chain(m.collectors.values().flat_map(|c| c.errors.iter())) {
        writeln!(err, "  {e}")?;
    }
    Ok(Exit::Clean)
}

/// `--time`, else `SOURCE_DATE_EPOCH`, else `None` (the clock).
fn collection_time(time: Option<&str>, epoch: Option<&str>) -> Result<Option<Timestamp>, String> {
    if let Some(t) = time {
        return Timestamp::parse_rfc3339(t)
            .map(Some)
            .ok_or_else(|| format!("--time {t:?}: not an RFC 3339 time such as 2026-11-25T16:00:00Z"));
    }
    match epoch.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => e
            .parse::<i64>()
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .map(|ms| Some(Timestamp(ms)))
            .ok_or_else(|| format!("SOURCE_DATE_EPOCH={e:?}: not a number of seconds")),
        None => Ok(None),
    }
}

/// `%APPDATA%\triage\redact.key` on Windows, `$XDG_CONFIG_HOME/triage/redact.key` or
/// `~/.config/triage/redact.key` elsewhere.
fn default_key_path() -> Option<PathBuf> {
    let base = if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
    }?;
    Some(base.join("triage").join("redact.key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_collection_time_comes_from_the_option_then_the_environment() {
        assert_eq!(collection_time(None, None), Ok(None));
        assert_eq!(collection_time(None, Some("1700000000")), Ok(Some(Timestamp(1_700_000_000_000))));
        assert_eq!(
            collection_time(Some("2026-11-25T16:00:00Z"), Some("1")),
            Ok(Timestamp::parse_rfc3339("2026-11-25T16:00:00Z"))
        );
        assert!(collection_time(Some("yesterday"), None).is_err());
        assert!(collection_time(None, Some("soon")).is_err());
    }
}
