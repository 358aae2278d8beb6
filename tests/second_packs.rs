//! The two third-party packs (`tests/data/second-packs/`), rewritten for #12's engine: the
//! ConfigMgr pack's `applies_if` (a ConfigMgr client or site system) and the OpenSSH pack's (one
//! of its own artifacts) make every rule `not_applicable` on hosts they were not written for — no
//! `missing_facts` noise on a Linux bundle or a stand-alone WSUS server for the ConfigMgr pack or
//! on a Windows WSUS example for the OpenSSH pack — and their own test cases still pass.

use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value as J;

const CM: &str = "tests/data/second-packs/cm-client-tls12";
const SSH: &str = "tests/data/second-packs/openssh-legacy-clients";

fn triage(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("triage runs");
    (out.status.code().expect("exited"), String::from_utf8(out.stdout).expect("UTF-8"))
}

/// One finding: rule, outcome, missing facts, by_pack.
type Row = (String, String, Vec<String>, bool);

/// Every finding of both packs on one input, and the exit status.
fn outcomes(input: &str) -> (i32, Vec<Row>) {
    let (code, out) = triage(&["run", "--format", "json", "--pack", CM, "--pack", SSH, input]);
    let v: J = serde_json::from_str(&out).expect("JSON report");
    let f = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["outcome"].as_str().unwrap_or_default().to_owned(),
                f["missing"]
                    .as_array()
                    .map(|m| m.iter().map(|x| x["fact"].as_str().unwrap_or_default().to_owned()).collect())
                    .unwrap_or_default(),
                f["by_pack"] == true,
            )
        })
        .collect();
    (code, f)
}

fn row(rule: &str, outcome: &str, missing: &[&str], by_pack: bool) -> Row {
    (rule.to_owned(), outcome.to_owned(), missing.iter().map(|s| (*s).to_owned()).collect(), by_pack)
}

fn cm_not_applicable() -> Vec<Row> {
    ["CMTLS001", "CMTLS002", "CMTLS003", "CMTLS004", "CMTLS005"]
        .iter()
        .map(|r| row(r, "not_applicable", &[], true))
        .collect()
}

fn ssh_not_applicable() -> Vec<Row> {
    ["SSH001", "SSH002", "SSH003", "SSH004"].iter().map(|r| row(r, "not_applicable", &[], true)).collect()
}

#[test]
fn the_configmgr_pack_is_not_applicable_on_a_linux_bundle() {
    let (code, got) = outcomes(&format!("{SSH}/tests/cases/hostkey-legacy-client"));
    let mut want = cm_not_applicable();
    want.extend([
        row("SSH001", "detected", &[], false),
        row("SSH002", "not_detected", &[], false),
        row("SSH003", "not_detected", &[], false),
        row("SSH004", "not_detected", &[], false),
    ]);
    assert_eq!(got, want);
    assert_eq!(code, 1, "detected");

    // Only auth.log: the OpenSSH pack asks for the server's lists; the ConfigMgr pack is silent.
    let (code, got) = outcomes(&format!("{SSH}/tests/cases/log-only"));
    let mut want = cm_not_applicable();
    want.extend([
        row("SSH001", "missing_facts", &["derive.hostkey_known"], false),
        row("SSH002", "missing_facts", &["derive.kex_known"], false),
        row("SSH003", "missing_facts", &["derive.ciphers_known"], false),
        row("SSH004", "missing_facts", &["derive.pubkey_known"], false),
    ]);
    assert_eq!(got, want);
    assert_eq!(code, 3, "incomplete");
}

#[test]
fn the_openssh_pack_is_not_applicable_on_a_windows_wsus_example() {
    for example in ["examples/healthy", "examples/issue1-import-tls12"] {
        let (_, got) = outcomes(example);
        let ssh: Vec<_> = got.iter().filter(|f| f.0.starts_with("SSH")).cloned().collect();
        assert_eq!(ssh, ssh_not_applicable(), "{example}");
    }
    // A ConfigMgr client: the ConfigMgr pack decides, the OpenSSH pack says nothing else.
    let (code, got) = outcomes(&format!("{CM}/tests/cases/win7-no-kb3140245"));
    let mut want = vec![
        row("CMTLS001", "detected", &[], false),
        row("CMTLS002", "not_detected", &[], false),
        row("CMTLS003", "not_applicable", &[], false),
        row(
            "CMTLS004",
            "missing_facts",
            &[r"registry:HKLM\SYSTEM\CurrentControlSet\Control\Lsa\FipsAlgorithmPolicy"],
            false,
        ),
        row("CMTLS005", "detected", &[], false),
    ];
    want.extend(ssh_not_applicable());
    assert_eq!(got, want);
    assert_eq!(code, 1);
}

#[test]
fn both_packs_pass_their_own_tests_and_check_without_warnings() {
    for pack in [CM, SSH] {
        let (code, out) = triage(&["pack", "test", pack]);
        assert_eq!(code, 0, "{pack}: {out}");
        let (code, out) = triage(&["pack", "check", pack]);
        assert_eq!(code, 0, "{pack}: {out}");
        assert!(out.trim_end().ends_with("0 warning(s)"), "{pack}: {out}");
    }
}

#[test]
fn the_configmgr_pack_is_not_applicable_on_a_stand_alone_wsus_server() {
    // Windows hosts with WSUS but no ConfigMgr artifact: silent, not "collect the FIPS policy".
    for example in [
        "examples/healthy",
        "examples/issue1-import-tls12",
        "examples/issue2-tls10-disabled",
        "examples/issue3-2012r2-no-rollup",
        "examples/issue5-cipher-mismatch",
    ] {
        let (_, got) = outcomes(example);
        let cm: Vec<_> = got.iter().filter(|f| f.0.starts_with("CMTLS")).cloned().collect();
        assert_eq!(cm, cm_not_applicable(), "{example}");
    }
    // A WSUS server that is a ConfigMgr software update point (wsyncmgr.log collected): the pack
    // applies, and the FIPS policy it did not get is asked for.
    let (_, got) = outcomes("examples/issue4-surface-drivers");
    let cm: Vec<_> = got.iter().filter(|f| f.0.starts_with("CMTLS")).cloned().collect();
    assert_eq!(
        cm,
        vec![
            row("CMTLS001", "not_applicable", &[], false),
            row("CMTLS002", "not_detected", &[], false),
            row("CMTLS003", "not_applicable", &[], false),
            row(
                "CMTLS004",
                "missing_facts",
                &[r"registry:HKLM\SYSTEM\CurrentControlSet\Control\Lsa\FipsAlgorithmPolicy"],
                false,
            ),
            row("CMTLS005", "not_applicable", &[], false),
        ]
    );
}

#[test]
fn a_windows_update_log_of_configmgr_scans_alone_makes_the_configmgr_pack_apply() {
    // No ConfigMgr log, no CCM key: only WindowsUpdate.log with `[CallerId = CcmExec]`.
    let case = format!("{CM}/tests/cases/win7-windowsupdate-log");
    let (code, got) = outcomes(&case);
    let cm: Vec<_> = got.iter().filter(|f| f.0.starts_with("CMTLS")).map(|f| f.1.clone()).collect();
    assert_eq!(cm, ["detected", "not_detected", "not_applicable", "missing_facts", "detected"], "{got:?}");
    assert_eq!(code, 1);

    // The same log with the CcmExec scans removed is a plain Windows 7 host: not this pack's.
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(&case).expect("case folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        let mut bytes = std::fs::read(&path).expect("read");
        if name == "WindowsUpdate.log" {
            let text = String::from_utf8(bytes).expect("UTF-8 fixture");
            bytes = text.replace("[CallerId = CcmExec]", "[CallerId = AutomaticUpdates]").into_bytes();
        }
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let (code, got) = outcomes(dir.path().to_str().expect("UTF-8 path"));
    let cm: Vec<_> = got.iter().filter(|f| f.0.starts_with("CMTLS")).cloned().collect();
    assert_eq!(cm, cm_not_applicable());
    assert_eq!(code, 0);
}
