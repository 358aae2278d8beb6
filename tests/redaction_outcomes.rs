//! Redaction never changes a finding: every example and every wsus-tls pack case, collected with
//! `triage collect --redact`, gives the same outcome for every rule as the folder itself — also
//! when the host is named like a fact namespace (`WSUS`) or a log kind (`ConfigMgr`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value as J;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn triage(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .args(args)
        .env_remove("NO_COLOR")
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .stdin(Stdio::null())
        .output()
        .expect("triage runs");
    let code = out.status.code().expect("exited normally");
    assert!(code <= 3, "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (code, String::from_utf8(out.stdout).expect("UTF-8"))
}

fn folders(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// (input position, rule, outcome) of a `run --format json` over several inputs.
fn outcomes(paths: &[PathBuf]) -> Vec<(usize, String, String)> {
    let mut args = vec!["run", "--format", "json"];
    let strs: Vec<&str> = paths.iter().map(|p| p.to_str().expect("utf-8 path")).collect();
    args.extend(strs.iter().copied());
    let (_, out) = triage(&args);
    let report: J = serde_json::from_str(&out).expect("JSON report");
    let inputs: Vec<&str> = strs.clone();
    let mut v: Vec<(usize, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let input = f["input"].as_str().unwrap_or_default();
            let at = inputs.iter().position(|i| *i == input).unwrap_or(usize::MAX);
            (
                at,
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn redacted_bundles(inputs: &[PathBuf], tmp: &Path) -> Vec<PathBuf> {
    let key = tmp.join("redact.key");
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let out = tmp.join(format!("b{i:03}"));
            let (code, _) = triage(&[
                "collect",
                "--from",
                input.to_str().expect("utf-8"),
                "-o",
                out.to_str().expect("utf-8"),
                "--redact",
                "--redact-key",
                key.to_str().expect("utf-8"),
            ]);
            assert_eq!(code, 0, "collect {}", input.display());
            out
        })
        .collect()
}

fn assert_same(inputs: &[PathBuf], tmp: &Path) {
    let plain = outcomes(inputs);
    let bundles = redacted_bundles(inputs, tmp);
    let red = outcomes(&bundles);
    assert!(plain.iter().all(|(at, _, _)| *at != usize::MAX), "findings name their input");
    assert!(plain.len() >= inputs.len() * 5, "{} findings for {} inputs", plain.len(), inputs.len());
    let differ: Vec<String> = plain
        .iter()
        .zip(red.iter())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("{} {}: {} plain, {} redacted", inputs[a.0].display(), a.1, a.2, b.2))
        .collect();
    assert_eq!(plain.len(), red.len());
    assert!(differ.is_empty(), "redaction changed findings:\n{}", differ.join("\n"));
}

#[test]
fn every_example_and_pack_case_has_the_same_findings_redacted() {
    let tmp = tempfile::tempdir().expect("temp");
    let mut inputs = folders(&Path::new(ROOT).join("examples"));
    inputs.extend(folders(&Path::new(ROOT).join("rules/wsus-tls/tests/cases")));
    assert!(inputs.len() >= 60, "{} inputs", inputs.len());
    assert_same(&inputs, tmp.path());
}

/// Each example again with its host renamed, everywhere it appears, to a word rules use.
#[test]
fn hosts_named_like_namespaces_keep_the_findings() {
    let tmp = tempfile::tempdir().expect("temp");
    let mut inputs = Vec::new();
    for name in ["WSUS", "ConfigMgr", "Registry"] {
        for ex in folders(&Path::new(ROOT).join("examples")) {
            let dst = tmp.path().join(format!("{name}-{}", ex.file_name().expect("name").to_string_lossy()));
            fs::create_dir(&dst).expect("mkdir");
            let mut renamed = false;
            for e in fs::read_dir(&ex).expect("dir") {
                let p = e.expect("entry").path();
                let bytes = fs::read(&p).expect("read");
                let d = triage_collectors::text::decode(&bytes);
                let out = if !triage_collectors::text::looks_binary(&bytes[..bytes.len().min(8192)])
                    && d.text.contains("WSUS01")
                {
                    renamed = true;
                    triage_collectors::bundle::redact::encode(&d.text.replace("WSUS01", name), d.encoding)
                } else {
                    bytes
                };
                fs::write(dst.join(p.file_name().expect("name")), out).expect("write");
            }
            assert!(renamed, "{} names its host WSUS01", ex.display());
            inputs.push(dst);
        }
    }
    let work = tmp.path().join("bundles");
    fs::create_dir(&work).expect("mkdir");
    assert_same(&inputs, &work);
}
