//! `triage pack …` for authoring, sharing and installing packs (the library is `triage-store`):
//!
//! - `new ID` scaffolds a pack folder: `pack.toml` with its `#:schema` comment, one rule with a
//!   `detected` and a `not_detected` test, and a `CHANGELOG.md`.
//! - `build DIR` writes the deterministic archive `ID-VERSION.tar.gz` with its manifest of file
//!   hashes, warning when the changelog has no entry for the version or a retired rule ID is
//!   used; `--manifest-only` writes just `DIR/MANIFEST.sha256` (to sign with another tool).
//! - `sign PATH --key KEY` writes a detached minisign signature over the manifest
//!   (`ARCHIVE.minisig`, or `DIR/MANIFEST.sha256.minisig`); `verify PATH` checks files, manifest
//!   and signature against the trusted keys (or `--key`). `keygen NAME` makes a key pair.
//! - `install SOURCE`, `list`, `remove ID`, `update ID` manage the user's store; `update`
//!   prints the rule diff before it applies anything (`--dry-run` stops there).
//! - `diff OLD NEW` prints rules added, removed and changed; with `--bundles DIR` it also runs
//!   both versions on every input in DIR and prints each outcome that changes.
//!
//! Exit status: 0 on success, 2 on any error (an unsigned, untrusted, tampered or
//! incompatible pack included). `diff` exits 0 whether or not there are differences.
//! A signing key's password comes from `TRIAGE_SIGNING_PASSWORD`, else the terminal.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;
use triage_engine::Evaluator;
use triage_store::diff::{outcome_changes, OutcomeChange};
use triage_store::store::{self, InstallOptions, LockEntry, UpdatePlan};
use triage_store::{PackDiff, PackFiles, PackInfo, Store};

use crate::output::{Out, Ui};
use crate::{packs, render, CmdResult, Exit, Failure, Format};

/// Environment variable holding the password of an encrypted signing key.
pub const PASSWORD_ENV: &str = "TRIAGE_SIGNING_PASSWORD";

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create a new pack folder with one rule, its tests and a changelog.
    New(NewArgs),
    /// Build a pack folder into a deterministic archive with a manifest of file hashes.
    Build(BuildArgs),
    /// Sign a pack archive or folder: a detached minisign signature over its manifest.
    Sign(SignArgs),
    /// Check a pack archive or folder: files against the manifest, the signature against the keys.
    Verify(VerifyArgs),
    /// Make a minisign key pair for signing packs.
    Keygen(KeygenArgs),
    /// Install a pack (folder, archive or git URL[@REV]) into your pack store.
    Install(InstallArgs),
    /// List the installed packs.
    List(ListArgs),
    /// Remove an installed pack.
    Remove(RemoveArgs),
    /// Update an installed pack from its source, showing the rule diff first.
    Update(UpdateArgs),
    /// Show the rules added, removed and changed between two versions of a pack.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The new pack's ID (lowercase letters, digits, `.`, `_`, `-`); also its folder name.
    pub id: String,
    /// Where to create the folder.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Path or URL of `pack.schema.json` for a `#:schema` first line (editor completion).
    /// Without it, the first line says how to write the schema: `triage schema pack`.
    #[arg(long, value_name = "PATH")]
    pub schema: Option<String>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The pack folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Folder for the archive.
    #[arg(short, long, value_name = "DIR", default_value = "dist")]
    pub out: PathBuf,
    /// Only write `DIR/MANIFEST.sha256`.
    #[arg(long)]
    pub manifest_only: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// A pack archive (`.tar.gz`) or folder.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// The minisign secret key.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A pack archive, folder or git URL.
    #[arg(value_name = "PATH")]
    pub path: String,
    /// Public keys to trust instead of the store's `trusted-keys/`; repeat for several.
    #[arg(long, value_name = "FILE")]
    pub key: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Writes NAME.key (secret) and NAME.pub. With TRIAGE_SIGNING_PASSWORD set, the secret key
    /// is encrypted with it; otherwise it is not (keep it in a secret store).
    pub name: String,
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// A pack folder, a pack archive, or a git URL with an optional `@REV`.
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// Install even if the pack is unsigned or signed by a key you do not trust.
    #[arg(long)]
    pub allow_unsigned: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    pub id: String,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub id: String,
    /// Fetch from here instead of the recorded source.
    #[arg(long, value_name = "SOURCE")]
    pub from: Option<String>,
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Show what would change; install nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old version: a folder, an archive, a git URL or an installed pack's ID.
    pub old: String,
    /// The new version, in the same forms.
    pub new: String,
    /// Run both versions on every input in this folder (bundles, artifact folders, fact maps)
    /// and show each outcome that changes.
    #[arg(long, value_name = "DIR")]
    pub bundles: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(cmd: StoreCommand, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    match cmd {
        StoreCommand::New(a) => new(a, out),
        StoreCommand::Build(a) => build(a, out, err),
        StoreCommand::Sign(a) => sign(a, out),
        StoreCommand::Verify(a) => verify(a, out),
        StoreCommand::Keygen(a) => keygen(a, out),
        StoreCommand::Install(a) => install(a, out),
        StoreCommand::List(a) => list(a, out),
        StoreCommand::Remove(a) => remove(a, out),
        StoreCommand::Update(a) => update(a, out),
        StoreCommand::Diff(a) => diff(a, ui, out, err),
    }
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::Message(miette::miette!("{e}"))
}

fn password() -> Option<String> {
    std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty())
}

fn new(a: NewArgs, out: &mut Out) -> CmdResult {
    let dir = triage_store::scaffold::create(&a.dir, &a.id, a.schema.as_deref()).map_err(fail)?;
    writeln!(out, "created {}", dir.display())?;
    writeln!(
        out,
        "next: edit {}, then `triage pack check` and `triage pack test` on it",
        dir.join("pack.toml").display()
    )?;
    Ok(Exit::Clean)
}

fn build(a: BuildArgs, out: &mut Out, err: &mut Out) -> CmdResult {
    if a.manifest_only {
        let path = store::write_manifest(&a.dir).map_err(fail)?;
        writeln!(out, "wrote {}", path.display())?;
        return Ok(Exit::Clean);
    }
    let (path, info) = store::build_pack(&a.dir, &a.out).map_err(fail)?;
    for p in info.versioning_problems() {
        writeln!(err, "warning: {}: {p}", a.dir.display())?;
    }
    let manifest = triage_store::archive::read_file(&path).map_err(fail)?.manifest;
    let hash = triage_store::files::content_hash(&manifest);
    writeln!(out, "built {} ({} {}, content hash {hash})", path.display(), info.id, info.version)?;
    Ok(Exit::Clean)
}

fn sign(a: SignArgs, out: &mut Out) -> CmdResult {
    let sig = store::sign_pack(&a.path, &a.key, password()).map_err(fail)?;
    writeln!(out, "wrote {}", sig.display())?;
    Ok(Exit::Clean)
}

#[derive(Debug, Serialize)]
struct VerifyReport {
    id: String,
    version: String,
    hash: String,
    key_id: String,
    key_file: String,
    trusted_comment: String,
}

fn verify(a: VerifyArgs, out: &mut Out) -> CmdResult {
    let (keys, dir) = if a.key.is_empty() {
        let s = Store::locate().map_err(fail)?;
        (s.trusted_keys().map_err(fail)?, s.keys_dir().display().to_string())
    } else {
        let keys = a
            .key
            .iter()
            .map(|k| triage_store::signing::TrustedKey::from_file(k))
            .collect::<Result<Vec<_>, _>>();
        (keys.map_err(fail)?, "--key".to_owned())
    };
    let fetched = store::fetch(&a.path).map_err(fail)?;
    let v = store::verify_fetched(
        fetched,
        &keys,
        &dir,
        &InstallOptions::default(),
        &triage_store::engine_version(),
    )
    .map_err(fail)?;
    let signer = v.signer.ok_or_else(|| fail("the pack is not signed"))?;
    let report = VerifyReport {
        id: v.info.id,
        version: v.info.version.to_string(),
        hash: v.hash,
        key_id: signer.key_id,
        key_file: signer.key_name,
        trusted_comment: signer.trusted_comment,
    };
    match a.format {
        Format::Json => render::json::write(out, &report)?,
        Format::Human => writeln!(
            out,
            "ok: {} {} ({}) signed by {} ({})",
            report.id, report.version, report.hash, report.key_id, report.key_file
        )?,
    }
    Ok(Exit::Clean)
}

fn keygen(a: KeygenArgs, out: &mut Out) -> CmdResult {
    let (sk, pk) = triage_store::signing::generate_keypair(&a.dir, &a.name, password()).map_err(fail)?;
    writeln!(out, "secret key: {} (keep it secret)", sk.display())?;
    writeln!(out, "public key: {} (give it to the teams that install your packs)", pk.display())?;
    Ok(Exit::Clean)
}

fn describe(e: &LockEntry) -> String {
    let signer = match (&e.signed_by, &e.key_file) {
        (Some(id), Some(f)) => format!("signed by {id} ({f})"),
        (Some(id), None) => format!("signed by {id}"),
        _ => "unsigned".to_owned(),
    };
    let commit = e.commit.as_deref().map(|c| format!(" at {}", &c[..c.len().min(12)])).unwrap_or_default();
    format!("{} {}  {}  {}  from {}{commit}", e.id, e.version, e.hash, signer, e.source)
}

fn install(a: InstallArgs, out: &mut Out) -> CmdResult {
    let s = Store::locate().map_err(fail)?;
    let e = s.install(&a.source, &InstallOptions { allow_unsigned: a.allow_unsigned }).map_err(fail)?;
    writeln!(out, "installed {}", describe(&e))?;
    Ok(Exit::Clean)
}

fn list(a: ListArgs, out: &mut Out) -> CmdResult {
    let s = Store::locate().map_err(fail)?;
    let entries = s.list().map_err(fail)?;
    match a.format {
        Format::Json => render::json::write(out, &entries)?,
        Format::Human if entries.is_empty() => writeln!(out, "no packs installed in {}", s.root().display())?,
        Format::Human => {
            for e in &entries {
                writeln!(out, "{}", describe(e))?;
            }
        }
    }
    Ok(Exit::Clean)
}

fn remove(a: RemoveArgs, out: &mut Out) -> CmdResult {
    let s = Store::locate().map_err(fail)?;
    let e = s.remove(&a.id).map_err(fail)?;
    writeln!(out, "removed {} {}", e.id, e.version)?;
    Ok(Exit::Clean)
}

#[derive(Debug, Serialize)]
struct UpdateReport<'a> {
    id: &'a str,
    status: &'static str,
    from: &'a str,
    to: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<&'a PackDiff>,
}

fn update(a: UpdateArgs, out: &mut Out) -> CmdResult {
    let s = Store::locate().map_err(fail)?;
    let opts = InstallOptions { allow_unsigned: a.allow_unsigned };
    let plan = s.prepare_update(&a.id, a.from.as_deref(), &opts).map_err(fail)?;
    let (from, to, diff) = match &plan {
        UpdatePlan::UpToDate(e) => (e.version.clone(), e.version.clone(), None),
        UpdatePlan::Update(u) => {
            (u.old.version.clone(), u.new.info.version.to_string(), Some(u.diff.clone()))
        }
    };
    let status = match (&diff, a.dry_run) {
        (None, _) => "up_to_date",
        (Some(_), true) => "available",
        (Some(_), false) => "updated",
    };
    // The diff is printed before anything is written.
    match a.format {
        Format::Json => {}
        Format::Human => match &diff {
            None => writeln!(out, "{} {from} is up to date", a.id)?,
            Some(d) => write!(out, "{}", d.render())?,
        },
    }
    out.flush()?;
    if diff.is_some() && !a.dry_run {
        let e = s.apply_update(plan).map_err(fail)?;
        if a.format == Format::Human {
            writeln!(out, "updated {}", describe(&e))?;
        }
    }
    if a.format == Format::Json {
        render::json::write(
            out,
            &UpdateReport { id: &a.id, status, from: &from, to: &to, diff: diff.as_ref() },
        )?;
    }
    Ok(Exit::Clean)
}

/// A pack's files from a path, archive, git URL, or an installed ID. No signature is required:
/// diffing is reading.
fn load_files(spec: &str) -> Result<PackFiles, Failure> {
    if Path::new(spec).exists() || triage_store::git::parse_spec(spec).is_some() {
        let f = store::fetch(spec).map_err(fail)?;
        if let Some(m) = &f.manifest {
            f.files.verify(m).map_err(fail)?;
        }
        return Ok(f.files);
    }
    let s = Store::locate().map_err(fail)?;
    s.installed(spec).map(|(_, files, _)| files).map_err(fail)
}

#[derive(Debug, Serialize)]
struct DiffReport<'a> {
    diff: &'a PackDiff,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome_changes: Option<&'a [OutcomeChange]>,
}

fn diff(a: DiffArgs, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    let old_files = load_files(&a.old)?;
    let new_files = load_files(&a.new)?;
    let old = PackInfo::from_files(&old_files).map_err(fail)?;
    let new = PackInfo::from_files(&new_files).map_err(fail)?;
    let d = triage_store::diff_packs(&old, &new);
    let changes = match &a.bundles {
        Some(dir) => Some(differential_run(dir, &old_files, &new_files, ui, err)?),
        None => None,
    };
    match a.format {
        Format::Json => {
            render::json::write(out, &DiffReport { diff: &d, outcome_changes: changes.as_deref() })?
        }
        Format::Human => {
            write!(out, "{}", d.render())?;
            if let Some(changes) = &changes {
                if changes.is_empty() {
                    writeln!(
                        out,
                        "outcomes on {}: no changes",
                        a.bundles.as_deref().unwrap_or(Path::new("")).display()
                    )?;
                } else {
                    writeln!(
                        out,
                        "outcomes that change on {}:",
                        a.bundles.as_deref().unwrap_or(Path::new("")).display()
                    )?;
                    let show = |o: &Option<String>| o.clone().unwrap_or_else(|| "(no such rule)".into());
                    for c in changes {
                        writeln!(out, "  {} {}: {} -> {}", c.input, c.rule, show(&c.old), show(&c.new))?;
                    }
                }
            }
        }
    }
    Ok(Exit::Clean)
}

/// Evaluates both versions on every entry of `dir` (sorted) and compares outcomes.
fn differential_run(
    dir: &Path,
    old: &PackFiles,
    new: &PackFiles,
    ui: &Ui,
    err: &mut Out,
) -> Result<Vec<OutcomeChange>, Failure> {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| fail(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    inputs.sort();
    if inputs.is_empty() {
        return Err(fail(format!("{}: no bundles or artifact folders in it", dir.display())));
    }
    let evaluator = Evaluator::default();
    let mut outcomes = Vec::new();
    for files in [old, new] {
        let tmp = files.write_to_temp().map_err(fail)?;
        let packs = packs::load_for_command(&[tmp.path().to_owned()], &evaluator, ui, err)?;
        let result = crate::cmd::run::evaluate(&inputs, &packs, &evaluator, false, ui);
        for e in &result.input_errors {
            writeln!(err, "error: {e}")?;
        }
        let map: BTreeMap<(String, String), String> = result
            .report
            .findings
            .iter()
            .map(|f| ((f.input.to_string(), f.rule.to_string()), f.outcome.as_str().to_owned()))
            .collect();
        outcomes.push(map);
    }
    Ok(outcome_changes(&outcomes[0], &outcomes[1]))
}

// The waiver adapters below are for `triage run --waivers FILE`, which `run` wires in (the
// findings need a place to show their waiver first); until then only the tests use them.

/// A finding and the waiver that covers it, for `run --waivers FILE`: apply with
/// [`triage_store::apply_waivers`], then render `waiver` beside the finding and leave waived
/// findings out of the exit status.
#[derive(Debug, Clone)]
#[cfg_attr(not(test), allow(dead_code))] // see the note above
pub struct WaiverTarget {
    pub finding: triage_engine::Finding,
    pub waiver: Option<triage_store::Waiver>,
}

impl triage_store::Waivable for WaiverTarget {
    fn rule_id(&self) -> &str {
        &self.finding.rule
    }

    fn input(&self) -> &str {
        &self.finding.input
    }

    fn is_detected(&self) -> bool {
        self.finding.outcome == triage_engine::Outcome::Detected
    }

    fn evidence_texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.finding.evidence {
            out.push(e.fact.clone());
            out.extend(e.value.clone());
            out.extend(e.text.clone());
            if let Some(s) = &e.source {
                out.push(s.artifact.clone());
                out.extend(s.key.clone());
            }
        }
        out
    }

    fn mark_waived(&mut self, waiver: &triage_store::Waiver) {
        self.waiver = Some(waiver.clone());
    }
}

/// Reads a waivers file. Every problem is printed to `err` and the command fails before
/// anything runs (exit 2).
#[cfg_attr(not(test), allow(dead_code))] // see the note above WaiverTarget
pub fn read_waivers(path: &Path, err: &mut Out) -> Result<Vec<triage_store::Waiver>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    match triage_store::parse_waivers(&text, &path.display().to_string()) {
        Ok(w) => Ok(w),
        Err(problems) => {
            for p in &problems {
                writeln!(err, "error: {p}")?;
            }
            writeln!(
                err,
                "error: {} is invalid ({} problem(s)); nothing was evaluated",
                path.display(),
                problems.len()
            )?;
            Err(Failure::Reported)
        }
    }
}

/// Today's UTC date from the clock: the "today" waivers expire against.
#[cfg_attr(not(test), allow(dead_code))] // see the note above WaiverTarget
pub fn today() -> triage_store::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    triage_store::Date::from_unix(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_store::{apply_waivers, parse_waivers, Date};

    fn finding(rule: &str, input: &str, outcome: &str, artifact: &str) -> WaiverTarget {
        let json = serde_json::json!({
            "rule": rule, "pack": "wsus-tls", "pack_version": "1.0.0", "input": input,
            "outcome": outcome, "severity": "error", "title": "t",
            "evidence": [{ "fact": "wsus.mu_url", "value": "https://fe2.update.microsoft.com",
                           "source": { "artifact": artifact, "collector": "wsus_config" } }]
        });
        WaiverTarget { finding: serde_json::from_value(json).expect("a finding"), waiver: None }
    }

    #[test]
    fn waivers_apply_to_engine_findings() {
        let waivers = parse_waivers(
            "[[waiver]]\nrule = \"WSUS010\"\nevidence = \"fe2.update\"\ninput = \"fleet/*\"\n\
             justification = \"CHG-1\"\nowner = \"ops\"\nexpires = 2027-01-01\n",
            "w.toml",
        )
        .expect("valid");
        let mut findings = vec![
            finding("WSUS010", "fleet/a", "detected", "wsus-config.json"),
            finding("WSUS010", "lab/b", "detected", "wsus-config.json"),
            finding("WSUS010", "fleet/c", "not_detected", "wsus-config.json"),
        ];
        let today = Date::parse("2026-11-25").expect("date");
        let report = apply_waivers(&mut findings, &waivers, today);
        assert_eq!(report.waived, vec![(0, 0)]);
        assert_eq!(findings[0].waiver.as_ref().map(|w| w.owner.as_str()), Some("ops"));
        assert!(findings[1].waiver.is_none() && findings[2].waiver.is_none());
        let later = Date::parse("2027-01-02").expect("date");
        let mut again = vec![finding("WSUS010", "fleet/a", "detected", "x")];
        assert_eq!(apply_waivers(&mut again, &waivers, later).resurfaced, vec![(0, 0)]);
        let now = super::today();
        assert_eq!(Date::parse(&now.to_string()), Some(now));
    }

    #[test]
    fn malformed_waivers_stop_the_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("waivers.toml");
        std::fs::write(&path, "[[waiver]]\nrule = \"X\"\n").expect("write");
        let mut err = Out::new(Box::new(Vec::new()));
        assert!(matches!(read_waivers(&path, &mut err), Err(Failure::Reported)));
    }
}
