//! Editor support for every pack file, checked by the real consumer: Taplo (npm `@taplo/cli`,
//! which `.ci/run` installs), the TOML checker behind Even Better TOML. The repository's
//! `.taplo.toml` maps `pack.toml` and `rules/**/*.toml` to `schema/pack.schema.json`, and
//! `pack new` writes a `#:schema` line and a `.taplo.toml` of its own. One typo is one message,
//! at its line, naming what the table has.
//!
//! A missing Taplo fails under `CI=true` and skips (with a notice) otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn taplo() -> Option<PathBuf> {
    let on_path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("taplo"))
        .find(|p| p.is_file());
    let found = on_path.or_else(|| {
        let out = Command::new("npm").args(["root", "-g"]).output().ok()?;
        let root = String::from_utf8(out.stdout).ok()?;
        let p = Path::new(root.trim()).join("@taplo/cli/dist/cli.js");
        p.is_file().then_some(p)
    });
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!ci, "Taplo (npm @taplo/cli) is needed by this test and is missing (.ci/run installs it)");
        eprintln!("notice: Taplo not found; skipping (CI=true makes this a failure)");
    }
    found
}

/// `taplo check FILES…` in `dir`: the exit status and every `error:` line with the location
/// line under it (`file:line:column`, relative to `dir`).
fn check(taplo: &Path, dir: &Path, files: &[&str]) -> (bool, Vec<String>) {
    let mut cmd = if taplo.extension().is_some_and(|e| e == "js") {
        let mut c = Command::new("node");
        c.arg(taplo);
        c
    } else {
        Command::new(taplo)
    };
    let out = cmd
        .arg("check")
        .args(files)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "error")
        .output()
        .expect("taplo runs");
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let prefix = format!("{}/", dir.display());
    let lines: Vec<&str> = text.lines().collect();
    let mut errors = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(msg) = l.strip_prefix("error: ") {
            let at = lines.get(i + 1).and_then(|n| n.trim_start().strip_prefix("┌─ ")).unwrap_or("?");
            errors.push(format!("{}: {msg}", at.replace(&prefix, "")));
        }
    }
    (out.status.success(), errors)
}

#[test]
fn the_builtin_pack_passes_taplo_through_the_repository_config() {
    let Some(taplo) = taplo() else { return };
    let mut files = vec!["rules/wsus-tls/pack.toml".to_owned()];
    for e in std::fs::read_dir(Path::new(ROOT).join("rules/wsus-tls/rules")).expect("rules/") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        files.push(format!("rules/wsus-tls/rules/{name}"));
    }
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let (ok, errors) = check(&taplo, Path::new(ROOT), &files);
    assert!(ok && errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_typo_in_a_new_pack_is_one_message_at_its_line() {
    let Some(taplo) = taplo() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .args(["pack", "new", "typo", "--dir"])
        .arg(dir.path())
        .output()
        .expect("triage runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pack = dir.path().join("typo");
    let (ok, errors) = check(&taplo, &pack, &["pack.toml"]);
    assert!(ok && errors.is_empty(), "the scaffold is valid: {errors:#?}");

    let toml = std::fs::read_to_string(pack.join("pack.toml")).expect("pack.toml");
    let line = toml.lines().position(|l| l.starts_with("title = ")).expect("a title line") + 1;
    std::fs::write(pack.join("pack.toml"), toml.replacen("title = ", "titel = ", 1)).expect("write");
    std::fs::create_dir(pack.join("rules")).expect("mkdir");
    std::fs::write(
        pack.join("rules/more.toml"),
        "[[rule]]\nid = \"TYPO002\"\ntitle = \"More\"\nseverty = \"error\"\nwhen = 'true'\nresolution = \"Fix.\"\n",
    )
    .expect("write");
    let (ok, errors) = check(&taplo, &pack, &["pack.toml", "rules/more.toml"]);
    assert!(!ok, "taplo fails on the typos");
    assert_eq!(
        errors,
        vec![
            format!("pack.toml:{line}:9: \"unknown key: this table's keys are applies_if, description, engine, id, retired, source, title, version\" was expected"),
            "rules/more.toml:4:11: \"unknown key: this table's keys are applies_if, confirm, description, id, references, requires, resolution, section, severity, tags, test, title, when\" was expected".to_owned(),
        ]
    );
}
