//! `triage run --waivers FILE` and `triage run --pack ID`, end to end: waived, expired and unused
//! waivers, a malformed waivers file, and a pack installed into a temporary `TRIAGE_HOME`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

/// 2026-11-25 12:25 UTC.
const NOV_2026: &str = "1795609500";
/// 2027-04-01 00:00 UTC: the day after the waiver below expires.
const APR_2027: &str = "1806537600";

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    /// A scaffolded pack `my-pack` (rule MYPACK001: build older than 9200) and two inputs:
    /// `old-server` (build 7601, detected) and `new-server` (build 20348, not detected).
    fn new() -> Env {
        let e = Env { tmp: tempfile::tempdir().expect("tempdir") };
        e.triage().args(["pack", "new", "my-pack"]).assert().success();
        write(&e.path("old-server/systeminfo.txt"), &systeminfo("7601"));
        write(&e.path("new-server/systeminfo.txt"), &systeminfo("20348"));
        e
    }
    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }
    fn triage(&self) -> Command {
        let mut c = Command::cargo_bin("triage").expect("binary");
        c.current_dir(self.tmp.path())
            .env("TRIAGE_HOME", self.path("home"))
            .env("SOURCE_DATE_EPOCH", NOV_2026)
            .env("NO_COLOR", "1");
        c
    }
    fn run(&self, waivers: &str, extra: &[&str]) -> Command {
        write(&self.path("w.toml"), waivers);
        let mut c = self.triage();
        c.args(["run", "--pack", "my-pack", "old-server", "new-server", "--waivers", "w.toml"]).args(extra);
        c
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

const WAIVER: &str = r#"# accepted findings
[[waiver]]
rule = "MYPACK001"
input = "old-*"
evidence = "7601"
justification = "Decommissioned in Q1, CHG-42"
owner = "wsus-team@example.com"
expires = 2027-03-31
"#;

fn json(out: &assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).expect("JSON report")
}

fn finding<'a>(report: &'a serde_json::Value, input: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["input"] == input && f["rule"] == "MYPACK001")
        .expect("a MYPACK001 finding for the input")
}

#[test]
fn without_waivers_the_old_server_is_detected() {
    let e = Env::new();
    e.triage().args(["run", "--pack", "my-pack", "old-server", "new-server"]).assert().code(1);
}

#[test]
fn a_live_waiver_marks_the_finding_waived_and_the_run_clean() {
    let e = Env::new();
    let out = e.run(WAIVER, &["--format", "json"]).assert().code(0).stderr(predicate::str::is_empty());
    let report = json(&out);
    let f = finding(&report, "old-server");
    assert_eq!(f["outcome"], "detected", "a waived finding stays detected");
    assert_eq!(f["waiver"]["rule"], "MYPACK001");
    assert_eq!(f["waiver"]["owner"], "wsus-team@example.com");
    assert_eq!(f["waiver"]["justification"], "Decommissioned in Q1, CHG-42");
    assert_eq!(f["waiver"]["expires"], "2027-03-31");
    assert_eq!(f["waiver"]["file"], "w.toml");
    assert_eq!(f["waiver"]["line"], 2);
    let clean = finding(&report, "new-server");
    assert_eq!(clean["outcome"], "not_detected");
    assert!(clean.get("waiver").is_none(), "no `waiver` key when not waived: {clean}");

    // JSON Lines carries the waiver too.
    let out = e.run(WAIVER, &["--format", "jsonl"]).assert().code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let line = text.lines().find(|l| l.contains("\"old-server\"")).expect("old-server line");
    assert!(line.contains("\"waiver\":{\"rule\":\"MYPACK001\""), "{line}");

    // Human output: who, until when, why — instead of the diagnostic.
    let out = e.run(WAIVER, &[]).assert().code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("waived: MYPACK001: Example")
            && text.contains(
                "waived by wsus-team@example.com until 2027-03-31, Decommissioned in Q1, CHG-42 (w.toml:2)"
            ),
        "{text}"
    );
    assert!(!text.contains("This server runs build"), "no resolution for a waived finding: {text}");
    assert!(text.contains("1 detected (1 waived)"), "{text}");
}

#[test]
fn the_last_day_still_counts_and_the_next_day_the_finding_resurfaces() {
    let e = Env::new();
    // 2027-03-31 23:59:59 UTC: still waived.
    e.run(WAIVER, &["--format", "json"]).env("SOURCE_DATE_EPOCH", "1806537599").assert().code(0);
    let out = e
        .run(WAIVER, &["--format", "json"])
        .env("SOURCE_DATE_EPOCH", APR_2027)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "warning: w.toml: waiver for MYPACK001 (line 2, owner wsus-team@example.com) expired on 2027-03-31; 1 finding(s) are reported again",
        ));
    let report = json(&out);
    let f = finding(&report, "old-server");
    assert_eq!(f["outcome"], "detected");
    assert!(f.get("waiver").is_none(), "{f}");
    // Human output shows the full diagnostic again.
    e.run(WAIVER, &[]).env("SOURCE_DATE_EPOCH", APR_2027).assert().code(1).stdout(
        predicate::str::contains("This server runs build 7601")
            .and(predicate::str::contains("waived by").not()),
    );
}

#[test]
fn unused_waivers_are_warned_about() {
    let e = Env::new();
    let unused = format!(
        "{WAIVER}\n[[waiver]]\nrule = \"MYPACK001\"\ninput = \"new-*\"\njustification = \"x\"\nowner = \"team-b\"\nexpires = 2030-01-01\n"
    );
    e.run(&unused, &[]).assert().code(0).stderr(
        predicate::str::contains("waiver for MYPACK001 (line 10, owner team-b) matched no finding")
            .and(predicate::str::contains("line 2").not()),
    );
    // A waiver whose evidence text is not in the finding's evidence does not match.
    let other = WAIVER.replace("evidence = \"7601\"", "evidence = \"9600\"");
    e.run(&other, &[])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("(line 2, owner wsus-team@example.com) matched no finding"));
}

#[test]
fn a_malformed_waivers_file_stops_the_run_at_its_line() {
    let e = Env::new();
    let bad = "[[waiver]]\nrule = \"MYPACK001\"\njustification = \"x\"\nexpires = \"2027-02-30\"\n\n[[waiver]]\nrule = \"X\"\nowner = \"o\"\njustification = \"j\"\nexpires = 2027-01-01\ncolour = \"red\"\n";
    let out = e.run(bad, &["--format", "json"]).assert().code(2).stdout(predicate::str::is_empty());
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("a waiver needs `owner`"), "{err}");
    assert!(err.contains("`expires` must be a date"), "{err}");
    assert!(err.contains("unknown key `colour`"), "{err}");
    assert!(err.contains("[w.toml:1:1]") && err.contains("[w.toml:6:1]"), "diagnostics at the lines: {err}");
    assert!(err.contains("waivers file w.toml is invalid (3 problem(s)); nothing was evaluated"), "{err}");

    // TOML syntax errors too, at their line.
    let out = e.run("[[waiver]]\nrule = \"A\"\nowner = \n", &[]).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("[w.toml:3:1]"), "{err}");

    // A missing file is an error too.
    e.triage()
        .args(["run", "--pack", "my-pack", "old-server", "--waivers", "nope.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("waivers file nope.toml"));
}

#[test]
fn an_installed_pack_is_found_by_its_id() {
    let e = Env::new();
    e.triage()
        .args(["pack", "install", "my-pack"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not signed"));
    e.triage().args(["pack", "install", "my-pack", "--allow-unsigned"]).assert().success();
    // From another folder, `my-pack` is not a path: the installed pack is used.
    std::fs::create_dir_all(e.path("elsewhere")).expect("mkdir");
    let out = e
        .triage()
        .current_dir(e.path("elsewhere"))
        .args(["run", "--pack", "my-pack", "../old-server", "--format", "json"])
        .assert()
        .code(1);
    let report = json(&out);
    assert_eq!(report["packs"][0]["id"], "my-pack");
    assert_eq!(finding(&report, "../old-server")["outcome"], "detected");

    // A folder named like an installed ID: the bare ID is ambiguous, `./my-pack` is the folder
    // (a different pack) and `installed:my-pack` the installed one.
    e.triage().current_dir(e.path("elsewhere")).args(["pack", "new", "my-pack"]).assert().success();
    let toml = std::fs::read_to_string(e.path("elsewhere/my-pack/pack.toml")).expect("read");
    write(&e.path("elsewhere/my-pack/pack.toml"), &toml.replace("< 9200", "< 7000"));
    e.triage()
        .current_dir(e.path("elsewhere"))
        .args(["run", "--pack", "my-pack", "../old-server"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ambiguous: it names the installed pack my-pack 0.1.0 (installed:my-pack) and the folder ./my-pack"));
    e.triage()
        .current_dir(e.path("elsewhere"))
        .args(["run", "--pack", "./my-pack", "../old-server"])
        .assert()
        .code(0);
    e.triage()
        .current_dir(e.path("elsewhere"))
        .args(["run", "--pack", "installed:my-pack", "../old-server"])
        .assert()
        .code(1);

    // An installed file changed behind triage's back is refused.
    let installed = e.path("home/packs/my-pack/pack.toml");
    let text = std::fs::read_to_string(&installed).expect("installed pack.toml");
    write(&installed, &text.replace("< 9200", "< 9600"));
    e.triage()
        .current_dir(e.path("old-server"))
        .args(["run", "--pack", "my-pack", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--pack my-pack"));

    // Neither a path nor an installed pack.
    e.triage()
        .args(["run", "--pack", "no-such-pack", "old-server"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no pack `no-such-pack` is installed"));
}
