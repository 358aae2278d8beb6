//! `triage pack test --junit FILE` (JUnit XML, parsed back and checked) and the versioning
//! warnings of `triage pack check`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let e = Env { tmp: tempfile::tempdir().expect("tempdir") };
        e.triage().args(["pack", "new", "my-pack"]).assert().success();
        e
    }
    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }
    fn triage(&self) -> Command {
        let mut c = Command::cargo_bin("triage").expect("binary");
        c.current_dir(self.tmp.path()).env("TRIAGE_HOME", self.path("home")).env("NO_COLOR", "1");
        c
    }
    fn edit(&self, file: &str, f: impl Fn(&str) -> String) {
        let p = self.path(file);
        let text = std::fs::read_to_string(&p).expect("read");
        write(&p, &f(&text));
    }
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// A second rule with one failing case whose name needs escaping, and no `not_detected` case.
const SECOND_RULE: &str = r#"
[[rule]]
id = "MYPACK002"
title = "Second"
severity = "error"
requires = [{ fact = "os.build", artifact = "systeminfo output" }]
when = 'facts.os.build > 10000'
resolution = "Nothing to do."

[[rule.test]]
name = "a <new> build & \"quotes\" are detected"
facts = { os = { build = 20348 } }
expect = "detected"

[[rule.test]]
name = "an old build is detected (wrong on purpose)"
facts = { os = { build = 7601 } }
expect = "detected"
"#;

fn attr<'a>(n: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    n.attribute(name).unwrap_or_else(|| panic!("attribute {name} on {:?}", n.tag_name()))
}

#[test]
fn junit_report_has_a_suite_per_rule_and_a_case_per_test() {
    let e = Env::new();
    // Passing pack: exit 0, every case a success.
    e.triage().args(["pack", "test", "my-pack", "--junit", "ok.xml"]).assert().success();
    let ok = std::fs::read_to_string(e.path("ok.xml")).expect("junit written");
    let doc = roxmltree::Document::parse(&ok).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!((attr(root, "name"), attr(root, "tests"), attr(root, "failures")), ("my-pack", "2", "0"));
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), 0);

    e.edit("my-pack/pack.toml", |t| format!("{t}{SECOND_RULE}"));
    e.triage().args(["pack", "test", "my-pack", "--junit", "out.xml"]).assert().code(1);
    let xml = std::fs::read_to_string(e.path("out.xml")).expect("junit written");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    // 2 + 2 cases, and one failing case for the missing `not_detected` case of MYPACK002.
    assert_eq!((attr(root, "tests"), attr(root, "failures")), ("5", "2"));
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let names: Vec<&str> = suites.iter().map(|s| attr(*s, "name")).collect();
    assert_eq!(names, ["MYPACK001", "MYPACK002"]);
    assert_eq!((attr(suites[0], "tests"), attr(suites[0], "failures")), ("2", "0"));
    assert_eq!((attr(suites[1], "tests"), attr(suites[1], "failures")), ("3", "2"));
    let cases: Vec<_> = suites[1].children().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(attr(cases[0], "name"), "a <new> build & \"quotes\" are detected", "escaped and read back");
    assert_eq!(attr(cases[0], "classname"), "my-pack.MYPACK002");
    assert!(cases[0].children().all(|n| !n.has_tag_name("failure")));
    let failure = cases[1].children().find(|n| n.has_tag_name("failure")).expect("failure");
    assert_eq!(attr(failure, "message"), "expected detected, got not_detected");
    assert_eq!(attr(failure, "type"), "wrong_outcome");
    let missing = cases[2].children().find(|n| n.has_tag_name("failure")).expect("failure");
    assert_eq!(attr(cases[2], "name"), "has a test case expecting `not_detected`");
    assert_eq!(attr(missing, "message"), "MYPACK002: no test case expecting `not_detected`");

    // Deterministic: the same pack gives the same bytes.
    e.triage().args(["pack", "test", "my-pack", "--junit", "again.xml"]).assert().code(1);
    assert_eq!(xml, std::fs::read_to_string(e.path("again.xml")).expect("junit written"));

    // An unwritable destination is an error.
    e.triage()
        .args(["pack", "test", "my-pack", "--junit", "no/such/dir/out.xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--junit"));
}

#[test]
fn pack_check_warns_about_versioning_problems() {
    let e = Env::new();
    e.triage()
        .args(["pack", "check", "my-pack"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 warning(s)").and(predicate::str::contains("warning:").not()));
    // A new version without a changelog entry.
    e.edit("my-pack/pack.toml", |t| t.replace("version = \"0.1.0\"", "version = \"0.2.0\""));
    e.triage().args(["pack", "check", "my-pack"]).assert().success().stdout(
        predicate::str::contains("CHANGELOG.md: CHANGELOG.md has no heading for version 0.2.0")
            .and(predicate::str::contains("1 warning(s)")),
    );
    let out = e.triage().args(["pack", "check", "my-pack", "--format", "json"]).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!((report["valid"].as_bool(), report["warnings"].as_u64()), (Some(true), Some(1)));
    let diags = report["diagnostics"].as_array().expect("diagnostics");
    let versioning: Vec<_> = diags.iter().filter(|d| d["code"] == "triage::pack::versioning").collect();
    assert_eq!(versioning.len(), 1, "{diags:?}");
    assert_eq!(versioning[0]["level"], "warning");
    assert_eq!(versioning[0]["file"], "CHANGELOG.md");
    assert_eq!(versioning[0]["message"], "CHANGELOG.md has no heading for version 0.2.0");

    // No changelog at all.
    std::fs::remove_file(e.path("my-pack/CHANGELOG.md")).expect("rm");
    e.triage()
        .args(["pack", "check", "my-pack"])
        .assert()
        .success()
        .stdout(predicate::str::contains("the pack has no CHANGELOG.md"));
}
