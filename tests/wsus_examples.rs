//! The WSUS pack end to end through the binary: every example folder names exactly its issue
//! (and a healthy server nothing), and the pack's own test cases pass.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn triage() -> Command {
    Command::new(env!("CARGO_BIN_EXE_triage"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Rule → outcome for every finding of `triage run --format json <example>`, and the exit code.
fn run(example: &str) -> (BTreeMap<String, String>, Option<i32>, String) {
    let out = triage()
        .args(["run", "--format", "json"])
        .arg(root().join("examples").join(example))
        .output()
        .expect("triage runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("{example}: not JSON ({e}): {stdout}\n{}", String::from_utf8_lossy(&out.stderr))
    });
    let findings = json["findings"].as_array().expect("findings array");
    let outcomes = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().expect("rule id").to_owned(),
                f["outcome"].as_str().expect("outcome").to_owned(),
            )
        })
        .collect();
    (outcomes, out.status.code(), stdout)
}

fn detected(outcomes: &BTreeMap<String, String>) -> Vec<&str> {
    outcomes.iter().filter(|(_, o)| *o == "detected").map(|(r, _)| r.as_str()).collect()
}

#[test]
fn each_example_names_exactly_its_issue() {
    for (example, rule) in [
        ("issue1-import-tls12", "WSUS001"),
        ("issue2-tls10-disabled", "WSUS002"),
        ("issue3-2012r2-no-rollup", "WSUS003"),
        ("issue4-surface-drivers", "WSUS004"),
        ("issue5-cipher-mismatch", "WSUS005"),
    ] {
        let (outcomes, code, stdout) = run(example);
        assert_eq!(detected(&outcomes), vec![rule], "{example}: {outcomes:?}");
        assert!(!outcomes.values().any(|o| o == "error"), "{example}: {outcomes:?}");
        assert_eq!(code, Some(1), "{example}: exit status");
        assert!(stdout.contains("\"resolution\""), "{example}: no resolution in {stdout}");
    }
}

#[test]
fn healthy_example_names_nothing() {
    let (outcomes, code, _) = run("healthy");
    assert!(detected(&outcomes).is_empty(), "{outcomes:?}");
    assert!(outcomes.values().all(|o| o == "not_detected" || o == "not_applicable"), "{outcomes:?}");
    assert_eq!(code, Some(0));
}

/// The resolution text of `rule`'s finding on `example`.
fn resolution(example: &str, rule: &str) -> String {
    let (_, _, stdout) = run(example);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    let findings = json["findings"].as_array().expect("findings array");
    let f = findings.iter().find(|f| f["rule"] == rule).expect("a finding for the rule");
    f["resolution"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn resolutions_are_tailored_to_the_host() {
    let issue1 = resolution("issue1-import-tls12", "WSUS001");
    // Only the three missing .NET values, not SchUseStrongCrypto, which this host already has.
    let net64 = r#"reg add "HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319""#;
    assert!(issue1.contains(&format!("{net64} /v SystemDefaultTlsVersions")), "{issue1}");
    assert!(!issue1.contains(&format!("{net64} /v SchUseStrongCrypto")), "{issue1}");
    assert_eq!(issue1.matches("reg add").count(), 3, "{issue1}");
    assert!(issue1.contains("Create %SystemRoot%\\system32\\inetsrv\\W3wp.exe.config"), "{issue1}");
    assert!(issue1.contains("iisreset"), "{issue1}");
    let issue3 = resolution("issue3-2012r2-no-rollup", "WSUS003");
    assert!(issue3.contains("KB5070886"), "latest 2012 R2 rollup in the pack's data named: {issue3}");
    assert!(issue3.contains("WOW6432Node"), "also resolution 1, with the missing values: {issue3}");
    let issue5 = resolution("issue5-cipher-mismatch", "WSUS005");
    assert!(issue5.contains("\"TLS Hardening - Servers\""), "GPO named: {issue5}");
    assert!(issue5.contains("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"), "suites to add: {issue5}");
}

#[test]
fn pack_tests_pass() {
    let out = triage()
        .args(["pack", "test", "--color", "never"])
        .arg(root().join("rules/wsus-tls"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("FAILED"), "{stdout}");
}
