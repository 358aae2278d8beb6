//! Built-in packs by name (issue 14, item 4): `pack list` shows them beside the installed ones,
//! `--pack ID` selects a built-in pack, built-in and installed packs combine, and an ID that
//! names two things (a built-in pack, an installed pack, a folder in the working folder) is
//! refused until qualified. Each case runs on a store in a temporary `TRIAGE_HOME`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env { tmp: tempfile::tempdir().expect("tempdir") }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }
    /// `(exit status, stdout, stderr)`.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("triage")
            .expect("binary")
            .current_dir(self.tmp.path())
            .env("TRIAGE_HOME", self.path("home"))
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        out
    }
}

fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p).display().to_string()
}

/// The shipped pack's version, read from its manifest.
fn builtin_version() -> String {
    let text = std::fs::read_to_string(repo("rules/wsus-tls/pack.toml")).expect("pack.toml");
    let v: toml::Table = toml::from_str(&text).expect("toml");
    v["pack"]["version"].as_str().expect("version").to_owned()
}

/// `(pack, rule, outcome)` of every finding of a `run --format jsonl`.
fn outcomes(jsonl: &str) -> Vec<(String, String, String)> {
    jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("pack"), s("rule"), s("outcome"))
        })
        .collect()
}

/// Copies the shipped pack to `dest` with its version set to `version`, so an installed copy
/// can be told from the built-in one.
fn copy_builtin(dest: &Path, version: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/wsus-tls");
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).expect("inside");
        let to = dest.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        if rel == Path::new("pack.toml") {
            let text = std::fs::read_to_string(&entry).expect("read");
            let text = text.replacen(
                &format!("version = \"{}\"", builtin_version()),
                &format!("version = \"{version}\""),
                1,
            );
            std::fs::write(&to, text).expect("write");
        } else {
            std::fs::copy(&entry, &to).expect("copy");
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("list") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn pack_list_shows_the_built_in_pack_with_its_version() {
    let e = Env::new();
    let v = builtin_version();
    let out = e.ok(&["pack", "list"]);
    assert_eq!(out, format!("no packs installed in {}\nwsus-tls {v}  built-in\n", e.path("home").display()));
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&["pack", "list", "--format", "json"])).expect("json");
    assert_eq!(
        json,
        serde_json::json!([{"id": "wsus-tls", "version": v, "status": "built-in", "qualified": "builtin:wsus-tls"}])
    );
}

#[test]
fn the_built_in_pack_is_selected_by_id_and_combined_with_an_installed_pack() {
    let e = Env::new();
    let issue1 = repo("examples/issue1-import-tls12");
    let (code, out, err) = e.run(&["run", "--pack", "wsus-tls", "--format", "jsonl", &issue1]);
    assert_eq!(code, 1, "{err}");
    let found = outcomes(&out);
    assert!(found.iter().all(|(p, _, _)| p == "wsus-tls"), "{found:?}");
    assert!(found.contains(&("wsus-tls".into(), "WSUS001".into(), "detected".into())), "{found:?}");
    // The same with the qualified name.
    let (code, qualified, _) = e.run(&["run", "--pack", "builtin:wsus-tls", "--format", "jsonl", &issue1]);
    assert_eq!((code, &qualified), (1, &out));

    // An installed pack of another ID beside it: both packs' findings, in one run.
    e.ok(&["pack", "new", "my-pack", "--dir", "src"]);
    e.ok(&["pack", "install", "src/my-pack", "--allow-unsigned"]);
    let (code, out, err) =
        e.run(&["run", "--pack", "wsus-tls", "--pack", "my-pack", "--format", "jsonl", &issue1]);
    assert_eq!(code, 1, "{err}");
    let packs: std::collections::BTreeSet<String> = outcomes(&out).into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(packs.into_iter().collect::<Vec<_>>(), ["my-pack", "wsus-tls"]);
    let list = e.ok(&["pack", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].starts_with("my-pack 0.1.0  sha256:") && lines[0].contains("  unsigned  from "),
        "{list}"
    );
    assert_eq!(lines[1], format!("wsus-tls {}  built-in", builtin_version()));

    // An unknown built-in ID says what is built in.
    let (code, _, err) = e.run(&["run", "--pack", "builtin:my-pack", &issue1]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim_end(),
        "error: --pack builtin:my-pack: no built-in pack has this ID (built in: wsus-tls)"
    );
}

#[test]
fn an_id_naming_a_built_in_and_an_installed_pack_is_refused_until_qualified() {
    let e = Env::new();
    let v = builtin_version();
    copy_builtin(&e.path("src/wsus-tls"), "99.0.0");
    e.ok(&["pack", "install", "src/wsus-tls", "--allow-unsigned"]);
    let issue1 = repo("examples/issue1-import-tls12");

    let (code, out, err) = e.run(&["run", "--pack", "wsus-tls", &issue1]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(
        err.trim_end(),
        format!(
            "error: --pack wsus-tls: ambiguous: it names the built-in pack wsus-tls {v} (builtin:wsus-tls) and the installed pack wsus-tls 99.0.0 (installed:wsus-tls); say which"
        )
    );
    let version_of = |args: &[&str]| {
        let (code, out, err) = e.run(args);
        assert_eq!(code, 1, "{err}");
        let first: serde_json::Value =
            serde_json::from_str(out.lines().next().expect("a finding")).expect("json");
        first["pack_version"].as_str().expect("version").to_owned()
    };
    assert_eq!(version_of(&["run", "--pack", "builtin:wsus-tls", "--format", "jsonl", &issue1]), v);
    assert_eq!(version_of(&["run", "--pack", "installed:wsus-tls", "--format", "jsonl", &issue1]), "99.0.0");
    // Both at once are the same ID twice: refused, as two folders of one pack are.
    let (code, _, err) =
        e.run(&["run", "--pack", "builtin:wsus-tls", "--pack", "installed:wsus-tls", &issue1]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("pack `wsus-tls` was given twice (versions {v} and 99.0.0)")), "{err}");

    let list = e.ok(&["pack", "list"]);
    assert!(list.starts_with("wsus-tls 99.0.0  sha256:"), "{list}");
    assert!(
        list.ends_with(&format!(
            "\nwsus-tls {v}  built-in (also installed: say builtin:wsus-tls or installed:wsus-tls)\n"
        )),
        "{list}"
    );
}

#[test]
fn an_id_naming_a_built_in_pack_and_a_folder_is_refused_until_qualified() {
    let e = Env::new();
    let v = builtin_version();
    copy_builtin(&e.path("wsus-tls"), "98.0.0");
    let issue1 = repo("examples/issue1-import-tls12");
    let (code, _, err) = e.run(&["run", "--pack", "wsus-tls", &issue1]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim_end(),
        format!(
            "error: --pack wsus-tls: ambiguous: it names the built-in pack wsus-tls {v} (builtin:wsus-tls) and the folder ./wsus-tls; say which"
        )
    );
    let (code, out, err) = e.run(&["run", "--pack", "./wsus-tls", "--format", "jsonl", &issue1]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("\"pack_version\":\"98.0.0\""), "{out}");

    // All three: each named.
    e.ok(&["pack", "install", "wsus-tls", "--allow-unsigned"]);
    let (code, _, err) = e.run(&["run", "--pack", "wsus-tls", &issue1]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim_end(),
        format!(
            "error: --pack wsus-tls: ambiguous: it names the built-in pack wsus-tls {v} (builtin:wsus-tls), the installed pack wsus-tls 98.0.0 (installed:wsus-tls), and the folder ./wsus-tls; say which"
        )
    );
}
