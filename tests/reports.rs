//! The report formats of `triage run`, each checked by its real consumer: SARIF by Microsoft's
//! SARIF Multitool (`validate`, with the 2.1.0 schema it ships), JUnit by xmllint against
//! `tests/data/junit/junit.xsd`, CSV and JSON Lines loaded into SQLite through Python (the
//! recipe and queries of `docs/fleet-queries.md`), Markdown on every example; plus host identity,
//! `-o FILE` and byte-identical output. Every format is also snapshot-tested on one run that has
//! every outcome (`tests/data/packs/report-outcomes`).
//!
//! A test whose tool is missing fails when `CI=true` (`.ci/run` installs them all) and is
//! skipped, with a notice on stderr, otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command as Proc, Stdio};

use assert_cmd::Command;
use serde_json::Value as J;

const PACK: &str = "tests/data/packs/report-outcomes";
const HOST: &str = "tests/data/inputs/report-host";
const WAIVERS: &str = "tests/data/waivers/report-outcomes.toml";
const MISSING: &str = "tests/data/inputs/no-such-input";
/// The issue-4 logs without the .NETFramework export: WSUS004 detected, unconfirmed.
const UNCONFIRMED: &str = "rules/wsus-tls/tests/cases/issue4-no-dotnet-export";
const EXAMPLES: &[&str] = &[
    "examples/healthy",
    "examples/issue1-import-tls12",
    "examples/issue2-tls10-disabled",
    "examples/issue3-2012r2-no-rollup",
    "examples/issue4-surface-drivers",
    "examples/issue5-cipher-mismatch",
];
/// 2026-11-25 12:25 UTC: "today" for the waivers file.
const NOV_2026: &str = "1795609500";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn triage(args: &[&str]) -> Run {
    let out = Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", NOV_2026)
        .write_stdin("")
        .output()
        .expect("triage runs");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// The run with every outcome: detected (error, warning, waived info), missing facts, a rule
/// error, not applicable, not detected, and an input that does not exist.
fn outcomes(format: &str) -> Run {
    let r = triage(&[
        "run",
        "--pack",
        PACK,
        "--waivers",
        WAIVERS,
        HOST,
        "examples/healthy",
        MISSING,
        "--format",
        format,
    ]);
    assert_eq!(r.code, 2, "a rule error and an unreadable input exit 2:\n{}", r.stderr);
    r
}

/// A tool a test needs, or `None` (skip) with a notice; under `CI=true` a missing tool fails.
fn tool(name: &str, found: Option<PathBuf>) -> Option<PathBuf> {
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!ci, "{name} is needed by this test and is missing (.ci/run installs it)");
        eprintln!("notice: {name} not found; skipping (CI=true makes this a failure)");
    }
    found
}

fn on_path(cmd: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(cmd)).find(|p| p.is_file())
}

/// `Sarif.Multitool` from `npm install -g @microsoft/sarif-multitool-linux` (or `$SARIF_MULTITOOL`).
fn multitool() -> Option<PathBuf> {
    let found = std::env::var_os("SARIF_MULTITOOL").map(PathBuf::from).or_else(|| {
        let root = Proc::new("npm").args(["root", "-g"]).output().ok()?;
        let root = String::from_utf8(root.stdout).ok()?;
        let p = Path::new(root.trim()).join("@microsoft/sarif-multitool-linux/Sarif.Multitool");
        p.is_file().then_some(p)
    });
    tool("SARIF Multitool (npm @microsoft/sarif-multitool-linux)", found)
}

fn json(text: &str) -> J {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Validates `sarif` with the Multitool: every problem it reports at level error fails.
fn validate_sarif(mt: &Path, dir: &Path, name: &str, sarif: &str) -> Vec<String> {
    let input = dir.join(format!("{name}.sarif"));
    let output = dir.join(format!("{name}.validation.sarif"));
    std::fs::write(&input, sarif).expect("write");
    let run = Proc::new(mt)
        .arg("validate")
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .args(["--log", "ForceOverwrite"])
        .output()
        .expect("the Multitool runs");
    let console = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{name}: the Multitool failed:\n{console}");
    let log = json(&std::fs::read_to_string(&output).expect("the validation log"));
    let mut warnings = Vec::new();
    for r in log["runs"][0]["results"].as_array().expect("validation results") {
        let text = format!("{name}: {} {}", r["ruleId"], r["message"]);
        assert_ne!(r["level"], "error", "the Multitool reports an error: {text}\n{console}");
        warnings.push(text);
    }
    // Schema errors are notifications of the validation run, not results.
    let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(notes.as_array().is_none_or(|n| n.iter().all(|n| n["level"] != "error")), "{name}: {notes}");
    warnings
}

#[test]
fn sarif_is_valid_for_the_sarif_multitool() {
    let Some(mt) = multitool() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut logs = vec![("outcomes".to_owned(), outcomes("sarif").stdout)];
    let two = triage(&["run", "--pack", PACK, "--pack", "tests/data/packs/demo", HOST, "--format", "sarif"]);
    logs.push(("two-packs".to_owned(), two.stdout));
    for e in EXAMPLES {
        let r = triage(&["run", e, "--format", "sarif"]);
        logs.push((e.replace('/', "-"), r.stdout));
    }
    // An unconfirmed finding: the issue-4 logs without the .NETFramework export.
    let unconfirmed = triage(&["run", UNCONFIRMED, "--format", "sarif"]);
    logs.push(("unconfirmed".to_owned(), unconfirmed.stdout));
    let mut all = vec!["run", "--format", "sarif"];
    all.extend(EXAMPLES);
    logs.push(("all-examples".to_owned(), triage(&all).stdout));
    let mut warnings = Vec::new();
    for (name, log) in &logs {
        warnings.extend(validate_sarif(&mt, dir.path(), name, log));
    }
    // The one warning left: the tool has no public home page to name (`informationUri`).
    assert!(warnings.iter().all(|w| w.contains("SARIF2005")), "{warnings:#?}");

    let two = json(&logs[1].1);
    assert_eq!(two["runs"].as_array().map(Vec::len), Some(2), "one run per pack");
    let log = json(&logs[0].1);
    let run = &log["runs"][0];
    assert_eq!(run["properties"]["pack"]["version"], "0.3.0");
    assert_eq!(run["properties"]["inputs"][0]["host"], "REPORTS01");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 7);
    assert_eq!(rules[0]["helpUri"], "https://example.com/triage/out001", "the rule's own reference first");
    assert_eq!(rules[1]["helpUri"], "https://example.com/triage/report-outcomes", "else the pack's source");
    assert_eq!(rules[1]["defaultConfiguration"]["level"], "warning");
    assert_eq!(rules[2]["defaultConfiguration"]["level"], "note");
    let results = run["results"].as_array().expect("results");
    let of = |rule: &str, input: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule && r["properties"]["input"] == input)
            .unwrap_or_else(|| panic!("no result {rule} on {input}"))
    };
    let out1 = of("OUT001", HOST);
    assert_eq!((&out1["kind"], &out1["level"]), (&J::from("fail"), &J::from("error")));
    let loc = &out1["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"],
        serde_json::json!({ "uri": "systeminfo.txt", "uriBaseId": "INPUT1" })
    );
    assert_eq!(loc["region"]["startLine"], 4);
    assert_eq!(loc["region"]["snippet"]["text"], "6.1.7601 Service Pack 1 Build 7601");
    assert_eq!(run["originalUriBaseIds"]["INPUT1"]["uri"], format!("{HOST}/"));
    let out2 = of("OUT002", HOST);
    assert_eq!(
        out2["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319\SchUseStrongCrypto"
    );
    let out3 = of("OUT003", HOST);
    assert_eq!(out3["suppressions"][0]["status"], "accepted", "waived");
    assert_eq!(out3["suppressions"][0]["properties"]["owner"], "ops@example.com");
    assert!(
        out3["kind"] == "fail" && out3["level"] == "note",
        "waived, still a failure of its level: {out3}"
    );
    let out4 = of("OUT004", HOST);
    assert_eq!((&out4["kind"], &out4["level"]), (&J::from("open"), &J::from("none")), "missing facts");
    assert!(!results.iter().any(|r| r["ruleId"] == "OUT007"), "not_detected is not a result");
    assert!(out1.get("suppressions").is_none(), "only the waived finding is suppressed");

    let log = json(&logs.iter().find(|(n, _)| n == "unconfirmed").expect("the unconfirmed log").1);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let wsus004 = results.iter().find(|r| r["ruleId"] == "WSUS004").expect("WSUS004");
    assert_eq!((&wsus004["kind"], &wsus004["level"]), (&J::from("review"), &J::from("none")), "unconfirmed");
    assert_eq!(wsus004["properties"]["unconfirmed"], true);
    assert_eq!(wsus004["properties"]["toConfirm"][0]["fact"], "derive.import_config_known");
    let text = wsus004["message"]["text"].as_str().expect("message");
    assert!(
        text.contains("Unconfirmed: the symptoms are there, but what confirms the cause was not collected; to confirm: derive.import_config_known (collect reg export HKLM\\SOFTWARE\\Microsoft\\.NETFramework on the WSUS server of the software update point, or its w3wp.exe.config)."),
        "{text}"
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(notes.contains("OUT005 could not be evaluated") && notes.contains(MISSING), "{notes}");
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
}

fn xmllint() -> Option<PathBuf> {
    tool("xmllint (Debian libxml2-utils)", on_path("xmllint"))
}

fn validate_junit(xmllint: &Path, dir: &Path, name: &str, xml: &str) {
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, xml).expect("write");
    let out = Proc::new(xmllint)
        .args(["--noout", "--schema", "tests/data/junit/junit.xsd"])
        .arg(&file)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("xmllint runs");
    assert!(
        out.status.success(),
        "{name} is not valid JUnit:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn junit_is_valid_against_the_junit_xsd() {
    let Some(xmllint) = xmllint() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let xml = outcomes("junit").stdout;
    validate_junit(&xmllint, dir.path(), "outcomes", &xml);
    for e in EXAMPLES {
        validate_junit(
            &xmllint,
            dir.path(),
            &e.replace('/', "-"),
            &triage(&["run", e, "--format", "junit"]).stdout,
        );
    }
    let pack_test = dir.path().join("pack-test.xml");
    triage(&["pack", "test", "rules/wsus-tls", "--junit", pack_test.to_str().expect("utf-8")]);
    validate_junit(
        &xmllint,
        dir.path(),
        "pack-test",
        &std::fs::read_to_string(&pack_test).expect("pack test junit"),
    );

    let doc = roxmltree::Document::parse(&xml).expect("XML");
    let suites: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testsuite")).collect();
    assert_eq!(suites.len(), 3, "a suite per input");
    let attr = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap_or_default().to_owned();
    let host = &suites[0];
    assert_eq!(attr(host, "hostname"), "REPORTS01");
    let counts: Vec<String> =
        ["tests", "failures", "errors", "skipped"].iter().map(|a| attr(host, a)).collect();
    assert_eq!(
        counts,
        ["7", "2", "1", "3"],
        "2 detected, 1 rule error, waived + missing + not applicable skipped"
    );
    let case = |rule: &str| {
        host.children()
            .find(|c| c.attribute("classname") == Some(&format!("report-outcomes.{rule}")))
            .unwrap_or_else(|| panic!("no testcase {rule}"))
    };
    let child =
        |rule: &str| case(rule).children().find(|c| c.is_element()).map(|c| c.tag_name().name().to_owned());
    assert_eq!(child("OUT001").as_deref(), Some("failure"));
    assert_eq!(child("OUT003").as_deref(), Some("skipped"), "waived");
    assert_eq!(child("OUT005").as_deref(), Some("error"));
    assert_eq!(child("OUT007"), None, "not detected passes");
    let missing = case("OUT004").children().find(|c| c.is_element()).expect("skipped");
    assert!(attr(&missing, "message").contains("collect WSUS configuration export"), "the reason");
    assert_eq!(attr(&suites[2], "errors"), "1", "the unreadable input is an error");
}

#[test]
fn markdown_names_the_host_findings_evidence_and_fixes_for_every_example() {
    for e in EXAMPLES {
        let md = triage(&["run", e, "--format", "markdown"]);
        let report = json(&triage(&["run", e, "--format", "json"]).stdout);
        assert!(md.code <= 1, "{e}: {}", md.stderr);
        let text = &md.stdout;
        assert!(text.contains(&format!("## WSUS01 ({e})")), "{e}: the host heading\n{text}");
        let detected: Vec<&J> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["outcome"] == "detected")
            .collect();
        assert_eq!(text.matches("\nFix:\n").count(), detected.len(), "{e}: one fix per finding\n{text}");
        for f in &detected {
            let rule = f["rule"].as_str().expect("rule");
            assert!(text.contains(&format!("### {rule} — ")), "{e}: {rule}\n{text}");
            for ev in f["evidence"].as_array().expect("evidence") {
                if let Some(artifact) = ev["source"]["artifact"].as_str() {
                    assert!(text.contains(&format!("`{artifact}")), "{e}: evidence in {artifact}\n{text}");
                }
            }
        }
        if detected.is_empty() {
            assert!(text.contains("No known problem detected."), "{e}\n{text}");
        }
        assert!(text.contains("Checked and ruled out:\n\n- "), "{e}\n{text}");
    }
}

#[test]
fn every_format_is_byte_identical_across_runs_and_snapshot_tested() {
    for format in ["sarif", "junit", "markdown", "csv"] {
        let a = outcomes(format).stdout;
        let b = outcomes(format).stdout;
        assert_eq!(a, b, "{format} differs between two runs");
        insta::assert_snapshot!(format!("run_outcomes_{format}"), a);
    }
}

#[test]
fn output_goes_to_the_file_named_by_dash_o() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.sarif");
    let r = triage(&["run", HOST, "--pack", PACK, "--format", "sarif", "-o", file.to_str().expect("utf-8")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "nothing on stdout: {}", r.stdout);
    let written = std::fs::read_to_string(&file).expect("the file");
    assert_eq!(written, triage(&["run", HOST, "--pack", PACK, "--format", "sarif"]).stdout);
    let bad = triage(&["run", HOST, "-o", "/nonexistent-dir/x.json"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("cannot write /nonexistent-dir/x.json"), "{}", bad.stderr);
}

#[test]
fn reports_name_the_host_the_collection_time_and_the_packs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("b.zip");
    let b = bundle.to_str().expect("utf-8");
    let c = triage(&["collect", "--from", "examples/issue1-import-tls12", "--output", b]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let report = json(&triage(&["run", b, HOST, "--format", "json"]).stdout);
    assert_eq!(report["inputs"][0]["host"], "WSUS01", "the bundle's manifest");
    assert!(report["inputs"][0]["collected_at"].as_str().is_some_and(|t| t.starts_with("2026-")), "{report}");
    assert_eq!(report["inputs"][1]["host"], "REPORTS01", "systeminfo");
    assert!(report["inputs"][1].get("collected_at").is_none(), "a plain folder has no collection time");
    assert_eq!(report["findings"][0]["host"], "WSUS01");
    let md = triage(&["run", b, "--format", "markdown"]).stdout;
    assert!(md.contains("- Collected: 2026-") && md.contains("packs: wsus-tls 1."), "{md}");

    // A host named only by the registry.
    let reg = dir.path().join("reg-only");
    std::fs::create_dir(&reg).expect("mkdir");
    std::fs::write(
        reg.join("ComputerName.reg"),
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName]\r\n\"ComputerName\"=\"REGHOST\"\r\n",
    )
    .expect("write");
    let report = json(&triage(&["run", reg.to_str().expect("utf-8"), "--format", "json"]).stdout);
    assert_eq!(report["inputs"][0]["host"], "REGHOST");
}

#[test]
fn an_unreadable_input_is_a_record_in_json_lines_and_csv() {
    let r = triage(&["run", "--pack", PACK, HOST, MISSING, "--format", "jsonl"]);
    assert_eq!(r.code, 2);
    let last = json(r.stdout.lines().last().expect("lines"));
    assert_eq!(last["kind"], "input_error");
    assert_eq!(last["input"], MISSING);
    assert!(last["error"].as_str().is_some_and(|e| e.contains("No such file")), "{last}");
    let csv = triage(&["run", "--pack", PACK, HOST, MISSING, "--format", "csv"]).stdout;
    let row = csv.lines().last().expect("rows");
    assert!(row.starts_with(&format!("{MISSING},,,,,,,input_error,")), "{row}");
}

fn python() -> Option<PathBuf> {
    let found = on_path("python3")
        .filter(|p| Proc::new(p).args(["-c", "import sqlite3"]).status().is_ok_and(|s| s.success()));
    tool("python3 with sqlite3", found)
}

/// Runs one query of `docs/fleet-queries.md` (by its `<!-- query: NAME -->` marker) on `db`
/// with the named parameters, returning its rows as JSON arrays.
fn query(python: &Path, db: &Path, name: &str, params: &[(&str, &str)]) -> Vec<J> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet-queries.md"))
        .expect("docs/fleet-queries.md");
    let marker = format!("<!-- query: {name} -->\n```sql\n");
    let start = doc.find(&marker).unwrap_or_else(|| panic!("no query {name}")) + marker.len();
    let sql = &doc[start..start + doc[start..].find("```").expect("end of block")];
    let params: serde_json::Map<String, J> =
        params.iter().map(|(k, v)| (k.to_string(), J::from(*v))).collect();
    let script = "import json, sqlite3, sys\n\
                  db = sqlite3.connect(sys.argv[1])\n\
                  rows = db.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()\n\
                  print(json.dumps(rows))\n";
    let out = Proc::new(python)
        .args(["-c", script])
        .arg(db)
        .arg(sql)
        .arg(J::Object(params).to_string())
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    json(&String::from_utf8_lossy(&out.stdout)).as_array().expect("rows").clone()
}

fn load_snapshot(python: &Path, db: &Path, snapshot: &str, jsonl: &str) {
    let mut child = Proc::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/findings_to_sqlite.py"))
        .arg(db)
        .args(["--snapshot", snapshot])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), jsonl.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("loads");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn json_lines_load_into_sqlite_and_the_documented_queries_answer() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    // Last week: REPORTS01 and an input that could not be read. This week: the same host, copied
    // elsewhere, with strong cryptography switched on.
    let before = triage(&["run", "--pack", PACK, HOST, MISSING, "--format", "jsonl"]).stdout;
    let fixed = dir.path().join("report-host-fixed");
    std::fs::create_dir(&fixed).expect("mkdir");
    for f in ["systeminfo.txt", "SoftwareDistribution.log"] {
        std::fs::copy(Path::new(HOST).join(f), fixed.join(f)).expect("copy");
    }
    let reg = std::fs::read_to_string(Path::new(HOST).join("NETFramework.reg")).expect("reg");
    std::fs::write(fixed.join("NETFramework.reg"), reg.replace("dword:00000000", "dword:00000001"))
        .expect("write");
    let now = triage(&["run", "--pack", PACK, fixed.to_str().expect("utf-8"), "--format", "jsonl"]).stdout;
    let db = dir.path().join("fleet.db");
    load_snapshot(&python, &db, "2026-11-20", &before);
    load_snapshot(&python, &db, "2026-11-27", &now);
    load_snapshot(&python, &db, "2026-11-27", &now); // loading again replaces the snapshot

    let hosts = query(&python, &db, "hosts-per-rule", &[]);
    assert_eq!(
        hosts,
        [
            serde_json::json!(["OUT001", "The operating system build is older than 9600", 1]),
            serde_json::json!(["OUT003", "The import connection was reset", 1]),
        ]
    );
    let changed = query(&python, &db, "changed-since", &[("now", "2026-11-27"), ("before", "2026-11-20")]);
    assert_eq!(changed, [serde_json::json!(["REPORTS01", "OUT002", "detected", "not_detected"])]);
    let unreadable = query(&python, &db, "unreadable", &[("now", "2026-11-20")]);
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0][0], MISSING);
}

#[test]
fn csv_loads_into_sqlite_one_row_per_input_and_rule() {
    let Some(python) = python() else { return };
    let csv = outcomes("csv").stdout;
    let script = "import csv, io, json, sqlite3, sys\n\
                  rows = list(csv.DictReader(io.StringIO(sys.stdin.read())))\n\
                  db = sqlite3.connect(':memory:')\n\
                  cols = list(rows[0].keys())\n\
                  db.execute('CREATE TABLE f (%s)' % ', '.join('\"%s\" TEXT' % c for c in cols))\n\
                  db.executemany('INSERT INTO f VALUES (%s)' % ', '.join('?' * len(cols)), [list(r.values()) for r in rows])\n\
                  q = \"SELECT outcome, COUNT(*) FROM f GROUP BY outcome ORDER BY outcome\"\n\
                  print(json.dumps(db.execute(q).fetchall()))\n";
    let mut child = Proc::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), csv.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("runs");
    assert!(out.status.success());
    let counts = json(&String::from_utf8_lossy(&out.stdout));
    // Two inputs × 7 rules, and one unreadable input.
    assert_eq!(
        counts,
        serde_json::json!([
            ["detected", 4],
            ["error", 2],
            ["input_error", 1],
            ["missing_facts", 1],
            ["not_applicable", 2],
            ["not_detected", 5]
        ]),
        "{csv}"
    );
}

/// Node.js with playwright-core (`npm install -g playwright-core`) and the Debian chromium.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let node = on_path("node");
    let root = Proc::new("npm")
        .args(["root", "-g"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let modules = root.map(PathBuf::from).filter(|r| r.join("playwright-core").is_dir());
    let chromium = on_path("chromium");
    let found = match (node, modules, chromium) {
        (Some(node), Some(modules), Some(_)) => Some((node, modules)),
        _ => None,
    };
    let node =
        tool("node with playwright-core (npm) and chromium (Debian)", found.as_ref().map(|f| f.0.clone()))?;
    Some((node, found.expect("found").1))
}

/// What `tests/html/check_report.js` expects of the page of `args`' run, from its JSON report.
fn expectations(args: &[&str], host_filter: (&str, &[&str])) -> J {
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let report = json(&triage(&json_args).stdout);
    let findings: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| format!("{}#{}", f["input"].as_str().expect("input"), f["rule"].as_str().expect("rule")))
        .collect();
    let mut detected = serde_json::Map::new();
    for f in report["findings"].as_array().expect("findings") {
        let entry = detected.entry(f["rule"].as_str().expect("rule")).or_insert_with(|| J::Array(vec![]));
        if f["outcome"] == "detected" && f.get("waiver").is_none() {
            entry.as_array_mut().expect("list").push(f["input"].clone());
        }
    }
    let with_evidence: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["outcome"] == "detected" && f["evidence"].as_array().is_some_and(|e| !e.is_empty()))
        .map(|f| format!("{}#{}", f["input"].as_str().expect("input"), f["rule"].as_str().expect("rule")))
        .collect();
    let inputs: Vec<J> =
        report["inputs"].as_array().expect("inputs").iter().map(|i| i["input"].clone()).collect();
    let read: Vec<&J> =
        report["findings"].as_array().expect("findings").iter().map(|f| &f["input"]).collect();
    let unreadable: Vec<&J> = inputs.iter().filter(|i| !read.contains(i)).collect();
    serde_json::json!({
        "findings": findings,
        "with_evidence": with_evidence,
        "detected": detected,
        "inputs": inputs,
        "unreadable": unreadable,
        "host_filter": { "text": host_filter.0, "inputs": host_filter.1 },
    })
}

fn check_in_chromium(node: &Path, modules: &Path, name: &str, args: &[&str], host_filter: (&str, &[&str])) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut html_args = args.to_vec();
    html_args.extend(["--format", "html"]);
    let page = triage(&html_args);
    assert!(page.code <= 2, "{}", page.stderr);
    let html = &page.stdout;
    assert_eq!(html, &triage(&html_args).stdout, "{name}: the same bytes twice");
    // Nothing to load: no element with a source, no stylesheet or import, no CSS url(); the
    // browser check below also records every request the page makes.
    for load in [" src=", "<link", "<img", "<iframe", "@import", "url("] {
        assert!(!html.contains(load), "{name}: the page would load something ({load})");
    }
    let file = dir.path().join(format!("{name}.html"));
    std::fs::write(&file, html).expect("write");
    let expect = dir.path().join(format!("{name}.expect.json"));
    std::fs::write(&expect, expectations(args, host_filter).to_string()).expect("write");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).expect("mkdir");
    let shot = shots.join(format!("{name}.png"));
    let out = Proc::new(node)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html/check_report.js"))
        .arg(&file)
        .arg(&expect)
        .arg(&shot)
        .arg(dir.path().join("chromium-profile"))
        .env("NODE_PATH", modules)
        .output()
        .expect("node runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{name} in Chromium:\n{said}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(shot.is_file(), "a screenshot");
    eprintln!("{name}: screenshot for review at {}", shot.display());
}

#[test]
fn html_pages_work_in_headless_chromium() {
    let Some((node, modules)) = browser() else { return };
    check_in_chromium(&node, &modules, "single-host", &["run", "examples/issue1-import-tls12"], ("", &[]));
    let mut fleet = vec!["run"];
    fleet.extend(EXAMPLES);
    fleet.push(MISSING);
    check_in_chromium(&node, &modules, "fleet", &fleet, ("issue5", &["examples/issue5-cipher-mismatch"]));
    let outcomes = ["run", "--pack", PACK, "--waivers", WAIVERS, HOST, "examples/healthy", MISSING];
    check_in_chromium(&node, &modules, "outcomes", &outcomes, ("reports01", &[HOST]));
}

fn triage_stdin(args: &[&str], stdin: Vec<u8>) -> Run {
    let out = Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("NO_COLOR", "1")
        .write_stdin(stdin)
        .output()
        .expect("triage runs");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

#[test]
fn dash_reads_a_fact_map_a_bundle_or_an_artifact_from_stdin() {
    let facts = triage(&["facts", "--format", "json", "examples/issue1-import-tls12"]).stdout;
    let r = triage_stdin(&["run", "-", "--format", "json"], facts.into_bytes());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report = json(&r.stdout);
    assert_eq!(report["inputs"][0]["input"], "-");
    let detected = |report: &J| -> Vec<String> {
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["outcome"] == "detected")
            .map(|f| f["rule"].as_str().expect("rule").to_owned())
            .collect()
    };
    assert_eq!(detected(&report), ["WSUS001"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("b.zip");
    let c = triage(&[
        "collect",
        "--from",
        "examples/issue1-import-tls12",
        "--output",
        bundle.to_str().expect("utf-8"),
    ]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let r = triage_stdin(&["run", "-", "--format", "json"], std::fs::read(&bundle).expect("bundle"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report = json(&r.stdout);
    assert_eq!(report["inputs"][0]["host"], "WSUS01", "a bundle: its manifest names the host");
    assert_eq!(detected(&report), ["WSUS001"]);

    let systeminfo = std::fs::read(Path::new(HOST).join("systeminfo.txt")).expect("systeminfo");
    let r = triage_stdin(&["run", "-", "--pack", PACK, "--rule", "OUT001", "--format", "json"], systeminfo);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(detected(&json(&r.stdout)), ["OUT001"], "one artifact");
}

#[test]
fn rule_and_severity_select_rules_and_quiet_prints_nothing() {
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["run", "--pack", PACK, HOST, "--format", "json"];
        all.extend(args);
        let r = triage(&all);
        json(&r.stdout)["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().expect("rule").to_owned())
            .collect()
    };
    assert_eq!(ids(&["--rule", "OUT002", "--rule", "OUT007"]), ["OUT002", "OUT007"]);
    assert_eq!(ids(&["--severity", "error"]), ["OUT001", "OUT005"]);
    assert_eq!(ids(&["--severity", "warning", "--rule", "OUT003"]), Vec::<String>::new());
    let unknown = triage(&["run", "--pack", PACK, HOST, "--rule", "NOPE1"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no loaded pack has a rule NOPE1"), "{}", unknown.stderr);

    let quiet = triage(&["run", "-q", "--pack", PACK, HOST, "--rule", "OUT001"]);
    assert_eq!((quiet.code, quiet.stdout.as_str()), (1, ""), "{}", quiet.stderr);
    let clean = triage(&["run", "--quiet", "--pack", PACK, HOST, "--rule", "OUT007"]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));
    let help = triage(&["run", "--help"]);
    assert!(help.stdout.contains("Examples:") && !help.stdout.contains("src/waivers.rs"), "{}", help.stdout);
    for command in ["collect", "pack"] {
        assert!(triage(&[command, "--help"]).stdout.contains("Examples:"), "{command} --help has examples");
    }
}
