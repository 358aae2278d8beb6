//! `triage pack diff` shows every change of an update — rules, test cases, signals, derived
//! facts, data, log kinds, the manifest — as readable value diffs, each non-rule change with the
//! rules it affects; the JSON form carries the same.

use std::path::Path;

use assert_cmd::Command;

const OLD: &str = r#"[pack]
id = "demo"
version = "1.0.0"
engine = ">=0.1"
title = "Demo"

[data]
tls12 = 0x800
min_build = 9200

[log_kinds.app]
files = ["app.log"]
record_start = '^\d{4}-'

[signals.reset]
log = "app"
pattern = 'An existing connection was forcibly closed by the remote host while the import of the update catalog from the Microsoft Update Catalog site ran'

[derive]
old_os = 'facts.os.build < data.min_build'
reset_seen = 'signal("reset").len() > 0'

[[rule]]
id = "DEMO001"
title = "Old OS"
severity = "warning"
when = 'old_os'
resolution = """
Upgrade the server.
Then run the import again.
It should work.
"""

[[rule.test]]
name = "old"
facts = { os = { build = 7601 } }
expect = "detected"

[[rule.test]]
name = "new"
facts = { os = { build = 20348 } }
expect = "not_detected"

[[rule]]
id = "DEMO002"
title = "Import reset"
severity = "error"
when.all = ['reset_seen', 'facts.schannel.flags != data.tls12']
resolution = "Enable TLS 1.2."

[[rule.test]]
name = "reset"
facts = { schannel = { flags = 0 } }
expect = "not_detected"

[[rule.test]]
name = "none"
facts = { schannel = { flags = 0x800 } }
expect = "not_detected"
"#;

fn new_version() -> String {
    OLD.replace("version = \"1.0.0\"", "version = \"1.1.0\"")
        .replace("title = \"Demo\"", "title = \"Demo pack\"")
        .replace("min_build = 9200", "min_build = 9600")
        .replace("files = [\"app.log\"]", "files = [\"app.log\", \"app.*.log\"]")
        .replace("by the remote host while", "by the remote server while")
        .replace("Then run the import again.", "Then run the import again, from the console.")
        .replace(
            "['reset_seen', 'facts.schannel.flags != data.tls12']",
            "['reset_seen', '(facts.schannel.flags & data.tls12) == 0']",
        )
        .replace("flags = 0 } }\nexpect = \"not_detected\"", "flags = 0 } }\nexpect = \"detected\"")
        .replace("[derive]\n", "[derive]\nunused = 'true'\n")
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn diff(args: &[&str]) -> (i32, String) {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(&tmp.path().join("old/pack.toml"), OLD);
    write(&tmp.path().join("new/pack.toml"), &new_version());
    let o = Command::cargo_bin("triage")
        .expect("binary")
        .current_dir(tmp.path())
        .env("TRIAGE_HOME", tmp.path().join("home"))
        .args(["pack", "diff", "old", "new"])
        .args(args)
        .output()
        .expect("runs");
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn every_change_is_shown_with_the_rules_it_affects() {
    let (code, out) = diff(&[]);
    assert_eq!(code, 0);
    let expected = r#"pack demo: 1.0.0 -> 1.1.0
  ~ DEMO001 Old OS
      resolution (resolution):
          Upgrade the server.
        - Then run the import again.
        + Then run the import again, from the console.
          It should work.
  ~ DEMO002 Import reset
      condition (when.all):
          reset_seen
        - facts.schannel.flags != data.tls12
        + (facts.schannel.flags & data.tls12) == 0
      tests (test "reset".expect): not_detected -> detected
  ~ manifest [pack]
      title: Demo -> Demo pack
  ~ data min_build
      value: 9200 -> 9600
      affects: DEMO001
  + derived fact unused
      value: (none) -> true
      affects no rule
  ~ signal reset
      pattern:
        - …ly closed by the remote host while the import of the…
        + …ly closed by the remote server while the import of the…
      affects: DEMO002
  ~ log kind app
      files:
          app.log
        + app.*.log
      affects: DEMO002
"#;
    assert_eq!(out, expected);
}

#[test]
fn the_json_form_has_every_change_and_its_rules() {
    let (code, out) = diff(&["--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let parts = v["diff"]["parts"].as_array().expect("parts");
    let summary: Vec<(String, String, String, serde_json::Value)> = parts
        .iter()
        .map(|p| {
            (
                p["section"].as_str().unwrap_or("").to_owned(),
                p["name"].as_str().unwrap_or("").to_owned(),
                p["change"].as_str().unwrap_or("").to_owned(),
                p["affects"].clone(),
            )
        })
        .collect();
    let j = |s: &[&str]| serde_json::json!(s);
    assert_eq!(
        summary,
        [
            ("manifest".into(), "[pack]".into(), "changed".into(), serde_json::Value::Null),
            ("data".into(), "min_build".into(), "changed".into(), j(&["DEMO001"])),
            ("derived fact".into(), "unused".into(), "added".into(), j(&[])),
            ("signal".into(), "reset".into(), "changed".into(), j(&["DEMO002"])),
            ("log kind".into(), "app".into(), "changed".into(), j(&["DEMO002"])),
        ]
    );
    let signal = &parts[3]["fields"][0];
    assert_eq!(signal["field"], "pattern");
    assert_eq!(
        signal["new"],
        "An existing connection was forcibly closed by the remote server while the import of the update catalog from the Microsoft Update Catalog site ran"
    );
    assert_eq!(signal["diff"][1], "+ …ly closed by the remote server while the import of the…");
    assert_eq!(v["diff"]["changed"][1]["changes"][1]["field"], "test \"reset\".expect");
}

#[test]
fn affected_rules_are_unknown_when_a_version_does_not_load() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(&tmp.path().join("old/pack.toml"), OLD);
    // Valid TOML, but the derived fact is not a valid expression: the engine refuses the pack.
    write(
        &tmp.path().join("new/pack.toml"),
        &OLD.replace("'facts.os.build < data.min_build'", "'facts.os.build <'"),
    );
    let o = Command::cargo_bin("triage")
        .expect("binary")
        .current_dir(tmp.path())
        .env("TRIAGE_HOME", tmp.path().join("home"))
        .args(["pack", "diff", "old", "new"])
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out.contains(
            "  ~ derived fact old_os\n      value: facts.os.build < data.min_build -> facts.os.build <\n      affects: unknown (a version of the pack does not load)\n"
        ),
        "{out}"
    );
    assert!(out.contains("warning: the pack changed but the version is still 1.0.0"), "{out}");
}
