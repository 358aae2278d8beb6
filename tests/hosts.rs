//! One host per input (issue 14, item 3), on real layouts built from the shipped examples: a
//! folder of host folders and bundles is evaluated as one input per host, named by its path;
//! the collection script's layout is one host; two hosts' artifacts in one input are an error
//! for that input, never a merge.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// `(exit status, stdout, stderr)` of triage run in `dir`.
fn triage(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("triage")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TRIAGE_HOME", dir.join("no-store"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Copies an example host folder to `dest`, its systeminfo naming `host`.
fn host_folder(example: &str, dest: &Path, host: &str) {
    std::fs::create_dir_all(dest).expect("mkdir");
    for e in std::fs::read_dir(repo("examples").join(example)).expect("example") {
        let p = e.expect("entry").path();
        let to = dest.join(p.file_name().expect("name"));
        if p.file_name().is_some_and(|n| n == "systeminfo.txt") {
            let text = std::fs::read_to_string(&p).expect("ASCII systeminfo");
            assert!(text.contains("WSUS01"), "the example names WSUS01");
            std::fs::write(&to, text.replace("WSUS01", host)).expect("write");
        } else {
            std::fs::copy(&p, &to).expect("copy");
        }
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

/// `input → host` of a report's inputs, in order.
fn inputs(report: &Value) -> Vec<(String, String)> {
    report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| (i["input"].as_str().unwrap_or("").to_owned(), i["host"].as_str().unwrap_or("").to_owned()))
        .collect()
}

/// The inputs on which `rule` was detected.
fn detected(report: &Value, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule && f["outcome"] == "detected")
        .map(|f| f["input"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn a_folder_of_two_host_folders_and_a_bundle_is_three_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    host_folder("issue1-import-tls12", &d.join("hosts/wsus-a"), "WSUS-A");
    host_folder("issue1-import-tls12", &d.join("hosts/wsus-b"), "WSUS-B");
    let healthy = repo("examples/healthy").display().to_string();
    let (code, _, err) = triage(
        d,
        &["collect", "--from", &healthy, "-o", "hosts/healthy.zip", "--time", "2026-11-25T16:00:00Z"],
    );
    assert_eq!(code, 0, "{err}");

    let (code, out, err) = triage(d, &["run", "hosts", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(
        inputs(&report),
        [
            ("hosts/healthy.zip".to_owned(), "WSUS01".to_owned()),
            ("hosts/wsus-a".to_owned(), "WSUS-A".to_owned()),
            ("hosts/wsus-b".to_owned(), "WSUS-B".to_owned()),
        ]
    );
    assert_eq!(detected(&report, "WSUS001"), ["hosts/wsus-a", "hosts/wsus-b"]);
    // No input saw another host's artifacts: no collection conflicts anywhere.
    for i in report["inputs"].as_array().expect("inputs") {
        assert_eq!(i["collection_errors"], serde_json::json!([]), "{i}");
    }

    // Where one input is expected, the folder is refused with the hosts it holds.
    // Nor is it made into one bundle.
    let (code, _, err) = triage(d, &["collect", "--from", "hosts", "-o", "all.zip"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: hosts: holds the collections of 3 hosts (healthy.zip, wsus-a/, wsus-b/)"),
        "{err}"
    );
    assert!(!d.join("all.zip").exists());
    let (code, out, err) = triage(d, &["facts", "hosts"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err.trim_end(),
        "error: hosts: holds the collections of 3 hosts (healthy.zip, wsus-a/, wsus-b/), which are never merged: give one of them (`triage run` evaluates each on its own)"
    );
}

#[test]
fn two_collections_of_one_host_are_two_inputs_and_stray_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    host_folder("issue1-import-tls12", &d.join("fleet/wsus-a-monday"), "WSUS-A");
    host_folder("healthy", &d.join("fleet/wsus-a-tuesday"), "WSUS-A");
    // A README is no artifact and is left alone; a stray log belongs to no host and is named.
    std::fs::write(d.join("fleet/README.txt"), "collected by hand\r\n").expect("write");
    std::fs::create_dir_all(d.join("fleet/empty")).expect("mkdir");
    std::fs::copy(
        repo("examples/issue1-import-tls12/SoftwareDistribution.log"),
        d.join("fleet/SoftwareDistribution.log"),
    )
    .expect("copy");
    let (code, out, err) = triage(d, &["run", "fleet", "--format", "json"]);
    assert_eq!(code, 2, "a stray file is an error: {err}");
    let report = json(&out);
    assert_eq!(
        inputs(&report),
        [
            ("fleet/wsus-a-monday".to_owned(), "WSUS-A".to_owned()),
            ("fleet/wsus-a-tuesday".to_owned(), "WSUS-A".to_owned()),
            ("fleet".to_owned(), String::new()),
        ]
    );
    assert_eq!(detected(&report, "WSUS001"), ["fleet/wsus-a-monday"]);
    assert_eq!(
        err.trim_end(),
        "error: fleet: holds the collections of 2 hosts (wsus-a-monday/, wsus-a-tuesday/), each evaluated on its own, and also SoftwareDistribution.log, which belong to none of them and were not evaluated: move them into a host's folder"
    );
}

#[test]
fn the_collection_script_layout_is_one_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A systeminfo in system/ and the registry in registry/: two kinds that agree on one host.
    let root = d.join("triage-WSUS01-20261125-160000");
    let example = repo("examples/issue1-import-tls12");
    for (from, to) in [
        ("systeminfo.txt", "system/systeminfo.txt"),
        ("CurrentVersion.reg", "registry/CurrentVersion.reg"),
        ("NETFramework.reg", "registry/NETFramework.reg"),
        ("SCHANNEL-Protocols.reg", "registry/SCHANNEL-Protocols.reg"),
        ("SoftwareDistribution.log", "wsus/LogFiles/SoftwareDistribution.log"),
        ("gpresult.xml", "gpo/gpresult.xml"),
        ("wsus-config.json", "wsus/wsus-config.json"),
    ] {
        let to = root.join(to);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(example.join(from), &to).expect("copy");
    }
    let (code, out, err) = triage(d, &["run", "triage-WSUS01-20261125-160000", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(inputs(&report), [("triage-WSUS01-20261125-160000".to_owned(), "WSUS01".to_owned())]);
    assert_eq!(detected(&report, "WSUS001"), ["triage-WSUS01-20261125-160000"]);
}

#[test]
fn two_hosts_in_one_input_are_an_error_not_a_merge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    host_folder("issue1-import-tls12", &d.join("mixed"), "WSUS-A");
    let text = std::fs::read_to_string(d.join("mixed/systeminfo.txt")).expect("read");
    std::fs::create_dir_all(d.join("mixed/old")).expect("mkdir");
    std::fs::write(d.join("mixed/old/systeminfo.txt"), text.replace("WSUS-A", "WSUS-B")).expect("write");
    let (code, out, err) = triage(d, &["run", "mixed", "--format", "jsonl"]);
    assert_eq!(code, 2, "{out}{err}");
    let message = "mixed: artifacts of 2 different hosts in one input (systeminfo.txt (systeminfo) names WSUS-A, old/systeminfo.txt (systeminfo) names WSUS-B): they are not merged; give each host its own folder";
    assert_eq!(err.trim_end(), format!("error: {message}"));
    let line = json(out.trim_end());
    assert_eq!(line["input"], "mixed");
    assert_eq!(line["error"], message);
    // Host names compare as Windows compares them: `wsus-a` is WSUS-A.
    std::fs::write(d.join("mixed/old/systeminfo.txt"), text.replace("WSUS-A", "wsus-a")).expect("write");
    let (code, _, err) = triage(d, &["run", "mixed"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn folders_of_sites_of_hosts_are_split_at_each_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for (site, host) in [("east", "WSUS-E1"), ("east", "WSUS-E2"), ("west", "WSUS-W1"), ("west", "WSUS-W2")] {
        host_folder("healthy", &d.join(format!("sites/{site}/{}", host.to_lowercase())), host);
    }
    let (code, out, err) = triage(d, &["run", "sites", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let hosts: Vec<(String, String)> = inputs(&json(&out));
    assert_eq!(
        hosts,
        [
            ("sites/east/wsus-e1", "WSUS-E1"),
            ("sites/east/wsus-e2", "WSUS-E2"),
            ("sites/west/wsus-w1", "WSUS-W1"),
            ("sites/west/wsus-w2", "WSUS-W2"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}
