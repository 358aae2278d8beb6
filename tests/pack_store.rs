//! `triage pack new|build|sign|verify|keygen|install|list|remove|update|diff` end to end, on a
//! store in a temporary `TRIAGE_HOME`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

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
    fn triage(&self) -> Command {
        let mut c = Command::cargo_bin("triage").expect("binary");
        c.current_dir(self.tmp.path())
            .env("TRIAGE_HOME", self.path("home"))
            .env_remove("TRIAGE_SIGNING_PASSWORD");
        c
    }
    fn s(&self, p: &str) -> String {
        self.path(p).display().to_string()
    }
}

fn systeminfo(build: &str) -> String {
    format!(
        "\r\nHost Name:                 WSUS01\r\nOS Name:                   Microsoft Windows Server\r\nOS Version:                6.x.{build} N/A Build {build}\r\n"
    )
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

#[test]
fn author_build_sign_install_update_diff() {
    let e = Env::new();
    // Scaffold: passes check and test as created.
    e.triage()
        .args(["pack", "new", "my-pack"])
        .assert()
        .success()
        .stdout(predicate::str::contains("created"));
    e.triage()
        .args(["pack", "new", "my-pack"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    e.triage().args(["pack", "check", "my-pack"]).assert().success();
    e.triage()
        .args(["pack", "test", "my-pack"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 passed"));

    // Keys, build (deterministic), sign, verify.
    e.triage().args(["pack", "keygen", "team", "--dir", "keys"]).assert().success();
    e.triage().args(["pack", "build", "my-pack", "-o", "dist"]).assert().success();
    let archive = e.path("dist/my-pack-0.1.0.tar.gz");
    let first = std::fs::read(&archive).expect("archive");
    e.triage().args(["pack", "build", "my-pack", "-o", "dist"]).assert().success();
    assert_eq!(first, std::fs::read(&archive).expect("archive"), "build is deterministic");
    e.triage()
        .args(["pack", "verify", "dist/my-pack-0.1.0.tar.gz", "--key", "keys/team.pub"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not signed"));
    e.triage()
        .args(["pack", "sign", "dist/my-pack-0.1.0.tar.gz", "--key", "keys/team.key"])
        .assert()
        .success();
    e.triage()
        .args(["pack", "verify", "dist/my-pack-0.1.0.tar.gz", "--key", "keys/team.pub", "--format", "json"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("\"id\": \"my-pack\"")
                .and(predicate::str::contains("\"key_file\": \"team.pub\"")),
        );

    // Install: refused until the key is trusted.
    e.triage()
        .args(["pack", "install", "dist/my-pack-0.1.0.tar.gz"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not trusted"));
    std::fs::create_dir_all(e.path("home/trusted-keys")).expect("mkdir");
    std::fs::copy(e.path("keys/team.pub"), e.path("home/trusted-keys/team.pub")).expect("trust");
    e.triage()
        .args(["pack", "install", "dist/my-pack-0.1.0.tar.gz"])
        .assert()
        .success()
        .stdout(predicate::str::contains("installed my-pack 0.1.0"));
    e.triage()
        .args(["pack", "list", "--format", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"version\": \"0.1.0\""));

    // Version 0.2.0 in the folder: a stricter condition, signed in place.
    let toml = std::fs::read_to_string(e.path("my-pack/pack.toml")).expect("read");
    write(
        &e.path("my-pack/pack.toml"),
        &toml.replace("version = \"0.1.0\"", "version = \"0.2.0\"").replace("< 9200", "< 9600"),
    );
    let log = std::fs::read_to_string(e.path("my-pack/CHANGELOG.md")).expect("read");
    write(
        &e.path("my-pack/CHANGELOG.md"),
        &log.replace("## 0.1.0", "## 0.2.0\n\n- Older than 2012 R2.\n\n## 0.1.0"),
    );
    e.triage().args(["pack", "sign", "my-pack", "--key", "keys/team.key"]).assert().success();

    // diff with a differential run on stored inputs.
    write(&e.path("bundles/a-old/systeminfo.txt"), &systeminfo("7601"));
    write(&e.path("bundles/b-2012/systeminfo.txt"), &systeminfo("9200"));
    write(&e.path("bundles/c-2022/systeminfo.txt"), &systeminfo("20348"));
    let out =
        e.triage().args(["pack", "diff", "my-pack", "my-pack", "--bundles", "bundles"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("  no changes\n") && text.contains("outcomes on bundles: no changes"), "{text}");
    let out = e
        .triage()
        .args(["pack", "diff", "dist/my-pack-0.1.0.tar.gz", "my-pack", "--bundles", "bundles"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("pack my-pack: 0.1.0 -> 0.2.0"), "{text}");
    assert!(text.contains("condition (when): facts.os.build < 9200 -> facts.os.build < 9600"), "{text}");
    assert!(text.contains("b-2012 MYPACK001: not_detected -> detected"), "{text}");
    assert!(!text.contains("a-old MYPACK001") && !text.contains("c-2022 MYPACK001"), "{text}");

    // update from the folder: the diff is printed, then applied; --dry-run applies nothing.
    let from = e.s("my-pack");
    e.triage()
        .args(["pack", "update", "my-pack", "--from", &from, "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.1.0 -> 0.2.0").and(predicate::str::contains("updated").not()));
    e.triage().args(["pack", "list"]).assert().success().stdout(predicate::str::contains("my-pack 0.1.0"));
    // Not a terminal and no --yes: the diff is shown, nothing is installed, exit 2.
    e.triage()
        .args(["pack", "update", "my-pack", "--from", &from])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("0.1.0 -> 0.2.0").and(predicate::str::contains("updated").not()))
        .stderr(predicate::str::contains(
            "error: not updated: confirm on a terminal, or pass --yes to install my-pack 0.2.0 without asking",
        ));
    e.triage().args(["pack", "list"]).assert().success().stdout(predicate::str::contains("my-pack 0.1.0"));
    let out = e.triage().args(["pack", "update", "my-pack", "--from", &from, "--yes"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let (diff_at, applied_at) =
        (text.find("condition (when)").expect("diff"), text.find("updated my-pack 0.2.0").expect("applied"));
    assert!(diff_at < applied_at, "the diff comes before the update: {text}");
    e.triage()
        .args(["pack", "update", "my-pack", "--from", &from])
        .assert()
        .success()
        .stdout(predicate::str::contains("up to date"));

    // An installed ID works where a pack is expected, and diff accepts it.
    e.triage()
        .args(["pack", "diff", "my-pack", "dist/my-pack-0.1.0.tar.gz"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0.2.0 -> 0.1.0"));

    e.triage().args(["pack", "remove", "my-pack"]).assert().success();
    e.triage()
        .args(["pack", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no packs installed"));
    e.triage()
        .args(["pack", "remove", "my-pack"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no pack `my-pack` is installed"));
}

#[test]
fn unsigned_needs_allow_unsigned_and_newer_engine_refused() {
    let e = Env::new();
    e.triage().args(["pack", "new", "demo"]).assert().success();
    e.triage()
        .args(["pack", "install", "demo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--allow-unsigned"));
    e.triage()
        .args(["pack", "install", "demo", "--allow-unsigned"])
        .assert()
        .success()
        .stdout(predicate::str::contains("unsigned"));
    e.triage().args(["pack", "remove", "demo"]).assert().success();

    let toml = std::fs::read_to_string(e.path("demo/pack.toml")).expect("read");
    let engine_line = toml.lines().find(|l| l.starts_with("engine")).expect("engine line").to_owned();
    write(&e.path("demo/pack.toml"), &toml.replace(&engine_line, "engine = \">=99.0\""));
    e.triage()
        .args(["pack", "install", "demo", "--allow-unsigned"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pack demo 0.1.0 requires triage >=99.0, but this is triage"));
}

#[test]
fn build_warns_about_versioning_mistakes() {
    let e = Env::new();
    e.triage().args(["pack", "new", "demo"]).assert().success();
    e.triage().args(["pack", "build", "demo"]).assert().success().stderr(predicate::str::is_empty());
    let toml = std::fs::read_to_string(e.path("demo/pack.toml")).expect("read");
    write(
        &e.path("demo/pack.toml"),
        &toml
            .replace("version = \"0.1.0\"", "version = \"0.2.0\"")
            .replace("retired = []", "retired = [\"DEMO001\"]"),
    );
    e.triage().args(["pack", "build", "demo"]).assert().success().stderr(
        predicate::str::contains("CHANGELOG.md has no heading for version 0.2.0")
            .and(predicate::str::contains("rule ID DEMO001 is retired")),
    );
}
