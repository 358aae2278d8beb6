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
//!   prints the diff before it applies anything (`--dry-run` stops there) and asks on the
//!   terminal (`--yes` skips the question; without a terminal and `--yes`, nothing is
//!   installed, exit 2).
//! - `diff OLD NEW` prints every change (rules, tests, `[pack]`, data, derived facts, signals,
//!   log kinds) with the rules each non-rule change affects; with `--bundles DIR` it also runs
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
use triage_store::store::{self, InstallOptions, LockEntry, Trust, UpdatePlan};
use triage_store::{PackDiff, PackFiles, Store};

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
    /// List the installed packs and the built-in ones.
    List(ListArgs),
    /// Remove an installed pack.
    Remove(RemoveArgs),
    /// Update an installed pack from its source, showing the diff and asking first.
    Update(UpdateArgs),
    /// Show every change between two versions of a pack, and the rules each change affects.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The new pack's ID (lower-case letters, digits and `-`); also its folder name.
    pub id: String,
    /// Where to create the folder.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Path or URL of `pack.schema.json` for the `#:schema` line and `.taplo.toml` (editor
    /// checks and completion). Without it, the pack gets its own copy, `pack.schema.json`.
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
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Writes NAME.key (secret) and NAME.pub. With TRIAGE_SIGNING_PASSWORD set, the secret key
    /// is encrypted with it; otherwise it is not (keep it in a secret store).
    pub name: String,
    /// The folder to write the key files into.
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
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The ID of the installed pack to remove (`triage pack list` shows them).
    pub id: String,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The ID of the installed pack to update (`triage pack list` shows them).
    pub id: String,
    /// Fetch from here instead of the recorded source.
    #[arg(long, value_name = "SOURCE")]
    pub from: Option<String>,
    /// Update even if the new version is unsigned or signed by a key you do not trust.
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Show what would change; install nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Install without asking. Without it, the diff is shown and the update is installed only
    /// when you confirm on the terminal; when stdin is not a terminal, nothing is installed
    /// (exit 2) — a script must say `--yes`.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Output format: `human` for people, `json` for scripts (deterministic).
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
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

pub fn run(cmd: StoreCommand, ui: &Ui, out: &mut Out, err: &mut Out) -> CmdResult {
    match cmd {
        StoreCommand::New(a) => new(a, out),
        StoreCommand::Build(a) => build(a, out, err),
        StoreCommand::Sign(a) => sign(a, out),
        StoreCommand::Verify(a) => verify(a, out, err),
        StoreCommand::Keygen(a) => keygen(a, out),
        StoreCommand::Install(a) => install(a, out, err),
        StoreCommand::List(a) => list(a, out, err),
        StoreCommand::Remove(a) => remove(a, out),
        StoreCommand::Update(a) => update(a, out, err),
        StoreCommand::Diff(a) => diff(a, ui, out, err),
    }
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::Message(miette::miette!("{e}"))
}

/// The store's trusted keys; each key file that had to be ignored is a warning on `err`.
fn trusted_keys(s: &Store, err: &mut Out) -> Result<Vec<triage_store::signing::TrustedKey>, Failure> {
    let keys = s.trusted_keys().map_err(fail)?;
    for p in &keys.problems {
        writeln!(err, "warning: {p}")?;
    }
    Ok(keys.keys)
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

fn verify(a: VerifyArgs, out: &mut Out, err: &mut Out) -> CmdResult {
    let (keys, dir) = if a.key.is_empty() {
        let s = Store::locate().map_err(fail)?;
        (trusted_keys(&s, err)?, s.keys_dir().display().to_string())
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

/// `ID VERSION  HASH  TRUST  from SOURCE[ at COMMIT]`; the trust part is what was checked,
/// not what the lock file claims.
fn describe(e: &LockEntry, trust: &Trust) -> String {
    let commit = e
        .commit
        .as_deref()
        .map(|c| format!(" at {}", c.chars().take(12).collect::<String>()))
        .unwrap_or_default();
    format!("{} {}  {}  {}  from {}{commit}", e.id, e.version, e.hash, trust.describe(), e.source)
}

fn trust_of(e: &LockEntry) -> Trust {
    match (&e.signed_by, &e.key_file) {
        (Some(id), file) => Trust::Signed(triage_store::signing::Signer {
            key_id: id.clone(),
            key_name: file.clone().unwrap_or_default(),
            trusted_comment: String::new(),
        }),
        (None, _) => Trust::Unsigned,
    }
}

fn install(a: InstallArgs, out: &mut Out, err: &mut Out) -> CmdResult {
    let s = Store::locate().map_err(fail)?;
    trusted_keys(&s, err)?;
    let e = s.install(&a.source, &InstallOptions { allow_unsigned: a.allow_unsigned }).map_err(fail)?;
    writeln!(out, "installed {}", describe(&e, &trust_of(&e)))?;
    Ok(Exit::Clean)
}

/// One entry of `pack list --format json`: the lock entry, whether it checked out, and why not.
#[derive(Debug, Serialize)]
struct ListedJson<'a> {
    #[serde(flatten)]
    entry: &'a LockEntry,
    /// `signed`, `unsigned` or `invalid`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<&'a str>,
}

/// One built-in pack in `pack list --format json`.
#[derive(Debug, Serialize)]
struct BuiltInJson<'a> {
    id: &'a str,
    version: &'a str,
    /// Always `built-in`.
    status: &'static str,
    /// How to name it whatever else has its ID: `builtin:ID`.
    qualified: String,
}

/// Lists every lock entry, each checked as a use would check it, then the packs built into this
/// triage (marked `built-in`, with their versions; `--pack ID` selects them too). An entry that
/// cannot be used (invalid, tampered, no longer trusted) is listed with its problem and makes
/// the exit 2.
fn list(a: ListArgs, out: &mut Out, err: &mut Out) -> CmdResult {
    let s = Store::locate().map_err(fail)?;
    let keys = trusted_keys(&s, err)?;
    let entries = s.list_checked(&keys).map_err(fail)?;
    let builtin = packs::builtin_packs();
    let bad = entries.iter().filter(|l| l.status.is_err()).count();
    match a.format {
        Format::Json => {
            let mut json: Vec<serde_json::Value> = entries
                .iter()
                .map(|l| ListedJson {
                    entry: &l.entry,
                    status: match &l.status {
                        Ok(Trust::Signed(_)) => "signed",
                        Ok(Trust::Unsigned) => "unsigned",
                        Err(_) => "invalid",
                    },
                    problem: l.status.as_ref().err().map(String::as_str),
                })
                .map(|j| serde_json::to_value(j).map_err(fail))
                .collect::<Result<_, _>>()?;
            for b in &builtin {
                let j = BuiltInJson {
                    id: &b.id,
                    version: &b.version,
                    status: "built-in",
                    qualified: format!("{}{}", packs::BUILTIN_PREFIX, b.id),
                };
                json.push(serde_json::to_value(j).map_err(fail)?);
            }
            render::json::write(out, &json)?
        }
        Format::Human => {
            if entries.is_empty() {
                writeln!(out, "no packs installed in {}", s.root().display())?;
            }
            for l in &entries {
                match &l.status {
                    Ok(t) => writeln!(out, "{}", describe(&l.entry, t))?,
                    Err(p) => writeln!(
                        out,
                        "{} {}  INVALID: {p}",
                        l.entry.id.escape_debug(),
                        l.entry.version.escape_debug()
                    )?,
                }
            }
            for b in &builtin {
                let also = if entries.iter().any(|l| l.entry.id == b.id) {
                    format!(
                        " (also installed: say {}{} or {}{})",
                        packs::BUILTIN_PREFIX,
                        b.id,
                        packs::INSTALLED_PREFIX,
                        b.id
                    )
                } else {
                    String::new()
                };
                writeln!(out, "{} {}  built-in{also}", b.id, b.version)?;
            }
        }
    }
    if bad > 0 {
        writeln!(err, "error: {bad} installed pack(s) cannot be used (see above)")?;
        return Ok(Exit::Error);
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

fn update(a: UpdateArgs, out: &mut Out, err: &mut Out) -> CmdResult {
    let s = Store::locate().map_err(fail)?;
    trusted_keys(&s, err)?;
    let opts = InstallOptions { allow_unsigned: a.allow_unsigned };
    let plan = s.prepare_update(&a.id, a.from.as_deref(), &opts).map_err(fail)?;
    let (from, to, diff) = match &plan {
        UpdatePlan::UpToDate(e) => (e.version.clone(), e.version.clone(), None),
        UpdatePlan::Update(u) => {
            (u.old.version.clone(), u.new.info.version.to_string(), Some(u.diff.clone()))
        }
    };
    // The diff is printed before anything is written, and before any question.
    if a.format == Format::Human {
        match &diff {
            None => writeln!(out, "{} {from} is up to date", a.id)?,
            Some(d) => write!(out, "{}", d.render())?,
        }
    }
    out.flush()?;
    let decision = match (&diff, a.dry_run) {
        (None, _) => Decision::Nothing("up_to_date"),
        (Some(_), true) => Decision::Nothing("available"),
        (Some(_), false) if a.yes => Decision::Install,
        (Some(_), false) => confirm(&a.id, &to, err)?,
    };
    let status = match decision {
        Decision::Nothing(status) => status,
        Decision::Declined(status) => status,
        Decision::Install => {
            let e = s.apply_update(plan).map_err(fail)?;
            if a.format == Format::Human {
                writeln!(out, "updated {}", describe(&e, &trust_of(&e)))?;
            }
            "updated"
        }
    };
    if a.format == Format::Json {
        render::json::write(
            out,
            &UpdateReport { id: &a.id, status, from: &from, to: &to, diff: diff.as_ref() },
        )?;
    }
    Ok(match decision {
        Decision::Declined("not_confirmed") => Exit::Error,
        _ => Exit::Clean,
    })
}

enum Decision {
    Nothing(&'static str),
    /// `declined` (answered no) or `not_confirmed` (no terminal to ask on, no `--yes`).
    Declined(&'static str),
    Install,
}

/// Asks on the terminal whether to install; without a terminal, installs nothing and says how
/// to (the safe choice: an update nobody saw is not applied).
fn confirm(id: &str, version: &str, err: &mut Out) -> Result<Decision, Failure> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        writeln!(
            err,
            "error: not updated: confirm on a terminal, or pass --yes to install {id} {version} without asking"
        )?;
        return Ok(Decision::Declined("not_confirmed"));
    }
    write!(err, "install {id} {version}? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    // A bounded read: one short line is all an answer needs.
    let n = std::io::Read::take(std::io::stdin().lock(), 64);
    std::io::BufRead::read_line(&mut std::io::BufReader::new(n), &mut answer)
        .map_err(|e| fail(format!("reading the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        Ok(Decision::Install)
    } else {
        writeln!(err, "not updated")?;
        Ok(Decision::Declined("declined"))
    }
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
    let d = triage_store::diff::diff_pack_files(&old_files, &new_files).map_err(fail)?;
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
