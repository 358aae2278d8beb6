//! `triage run --format jsonl` streams its findings in batches of inputs: over more inputs than
//! one batch holds, its lines must be the `--format json` report's findings (same findings, same
//! order), with the same exit status (0 clean, 1 detected, 2 unreadable input) and the same
//! waiver warnings, however the waived, expired and unused waivers fall across batches.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value as J;

/// 2026-11-25 12:25 UTC.
const NOV_2026: &str = "1795609500";
/// 2027-04-01 00:00 UTC: the day after the waivers below expire.
const APR_2027: &str = "1806537600";
/// More inputs than a batch holds on a machine with up to 16 cores (4 per worker).
const INPUTS: usize = 70;

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    /// A scaffolded pack `my-pack` (rule MYPACK001: build older than 9200) and, in order,
    /// `INPUTS` inputs `srv-NNN`: every seventh one (from `srv-006`) has build 7601 (detected),
    /// the others 20348 (not detected).
    fn new() -> Env {
        let e = Env { tmp: tempfile::tempdir().expect("tempdir") };
        e.triage(NOV_2026).args(["pack", "new", "my-pack"]).assert().success();
        for i in 0..INPUTS {
            let build = if i % 7 == 6 { "7601" } else { "20348" };
            write(&e.tmp.path().join(format!("srv-{i:03}/systeminfo.txt")), &systeminfo(build));
        }
        e
    }
    fn triage(&self, epoch: &str) -> Command {
        let mut c = Command::cargo_bin("triage").expect("binary");
        c.current_dir(self.tmp.path())
            .env("TRIAGE_HOME", self.tmp.path().join("home"))
            .env("SOURCE_DATE_EPOCH", epoch)
            .env("NO_COLOR", "1");
        c
    }
    /// `run` in `format` over `inputs`: exit code, stdout, stderr.
    fn run(
        &self,
        format: &str,
        inputs: &[String],
        waivers: Option<&str>,
        epoch: &str,
    ) -> (i32, String, String) {
        let mut c = self.triage(epoch);
        c.args(["run", "--pack", "my-pack", "--format", format]).args(inputs);
        if let Some(w) = waivers {
            write(&self.tmp.path().join("w.toml"), w);
            c.args(["--waivers", "w.toml"]);
        }
        let out = c.output().expect("triage runs");
        (
            out.status.code().expect("exited normally"),
            String::from_utf8(out.stdout).expect("UTF-8 stdout"),
            String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        )
    }
    /// Runs jsonl and json alike, checks they agree (findings, order, exit code, stderr) and
    /// returns the jsonl run's exit code, findings and stderr.
    fn both(&self, inputs: &[String], waivers: Option<&str>, epoch: &str) -> (i32, Vec<J>, String) {
        let (code, lines, err) = self.run("jsonl", inputs, waivers, epoch);
        let (json_code, report, json_err) = self.run("json", inputs, waivers, epoch);
        let records: Vec<J> =
            lines.lines().map(|l| serde_json::from_str(l).expect("each line is one JSON document")).collect();
        let report: J = serde_json::from_str(&report).expect("a JSON report");
        // An unreadable input is a line of its own, where the JSON report lists it in `inputs`.
        let (errors, findings): (Vec<J>, Vec<J>) =
            records.into_iter().partition(|r| r["kind"] == "input_error");
        let unreadable: Vec<&J> = report["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .filter(|i| i["artifacts"] == 0 && !findings.iter().any(|f| f["input"] == i["input"]))
            .map(|i| &i["input"])
            .collect();
        assert_eq!(
            errors.iter().map(|e| &e["input"]).collect::<Vec<_>>(),
            unreadable,
            "one input_error line each"
        );
        assert_eq!(J::Array(findings.clone()), report["findings"], "jsonl lines differ from json findings");
        assert_eq!(code, json_code, "exit codes differ; stderr:\n{err}");
        assert_eq!(err, json_err, "stderr differs");
        (code, findings, err)
    }
}

fn inputs(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("srv-{i:03}")).collect()
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

fn waiver(input: &str, expires: &str) -> String {
    format!(
        "[[waiver]]\nrule = \"MYPACK001\"\ninput = \"{input}\"\njustification = \"known\"\nowner = \"ops@example.com\"\nexpires = {expires}\n"
    )
}

fn detected(findings: &[J]) -> Vec<&str> {
    findings
        .iter()
        .filter(|f| f["outcome"] == "detected" && f["rule"] == "MYPACK001")
        .map(|f| f["input"].as_str().expect("input"))
        .collect()
}

#[test]
fn jsonl_over_many_inputs_matches_json_in_command_line_order() {
    let e = Env::new();
    // Reversed, with a duplicate: output follows the command line, each input once.
    let mut args: Vec<String> = inputs(0..INPUTS).into_iter().rev().collect();
    args.push("srv-000".into());
    let (code, findings, err) = e.both(&args, None, NOV_2026);
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    let order: Vec<&str> = findings.iter().map(|f| f["input"].as_str().expect("input")).collect();
    let mut expected: Vec<&str> = args[..INPUTS].iter().map(String::as_str).collect();
    expected.dedup();
    let mut seen = order.clone();
    seen.dedup();
    assert_eq!(seen, expected, "inputs appear once each, in command-line order");
    assert_eq!(
        detected(&findings),
        [
            "srv-069", "srv-062", "srv-055", "srv-048", "srv-041", "srv-034", "srv-027", "srv-020",
            "srv-013", "srv-006"
        ]
    );
}

#[test]
fn exit_0_when_nothing_is_detected_and_2_for_an_unreadable_input() {
    let e = Env::new();
    let clean: Vec<String> = inputs(0..INPUTS).into_iter().filter(|i| detected_index(i).is_none()).collect();
    let (code, findings, err) = e.both(&clean, None, NOV_2026);
    assert_eq!(code, 0, "{err}");
    assert!(detected(&findings).is_empty());

    // An unreadable input late in the list: the others are still reported, and the run exits 2.
    let mut args = inputs(0..INPUTS);
    args.insert(60, "missing-server".into());
    let (code, findings, err) = e.both(&args, None, NOV_2026);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing-server"), "{err}");
    assert_eq!(detected(&findings).len(), 10);
}

/// `Some(i)` when `srv-i` is one of the detected inputs.
fn detected_index(input: &str) -> Option<usize> {
    let i: usize = input.trim_start_matches("srv-").parse().expect("srv-NNN");
    (i % 7 == 6).then_some(i)
}

#[test]
fn waivers_apply_across_batches_with_the_same_warnings() {
    let e = Env::new();
    let all = inputs(0..INPUTS);
    // One waiver for everything detected: clean, and the unused one is warned about once.
    let w = format!("{}\n{}", waiver("srv-*", "2027-03-31"), waiver("nobody", "2027-03-31"));
    let (code, findings, err) = e.both(&all, Some(&w), NOV_2026);
    assert_eq!(code, 0, "{err}");
    let waived = findings.iter().filter(|f| f["waiver"]["rule"] == "MYPACK001").count();
    assert_eq!(waived, 10, "every detected finding is waived");
    assert_eq!(err.matches("matched no finding").count(), 1, "{err}");
    assert!(err.contains("line 8"), "the unused waiver is the second one: {err}");

    // After expiry: every finding resurfaces, counted once across all batches, and the run exits 1.
    let (code, findings, err) = e.both(&all, Some(&w), APR_2027);
    assert_eq!(code, 1, "{err}");
    assert!(findings.iter().all(|f| f.get("waiver").is_none()));
    assert!(err.contains("10 finding(s) are reported again"), "{err}");
    assert!(!err.contains("matched no finding"), "expired waivers are not called unused: {err}");

    // A waiver matching only a late input is used, not unused, and the other detections keep exit 1.
    let w = waiver("srv-062", "2027-03-31");
    let (code, findings, err) = e.both(&all, Some(&w), NOV_2026);
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    assert_eq!(detected(&findings).len(), 10);
    assert_eq!(findings.iter().filter(|f| f.get("waiver").is_some()).count(), 1);
}
