//! Known secrets in a handed-over folder — a Winlogon auto-logon password, a connection-string
//! password on the very log line a rule cites as evidence, a proxy password in the WSUS
//! configuration — are never printed by `run`, `facts` or `explain`, in any format, nor by
//! `run --explain`; and the rule still fires on that line.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SECRETS: &[&str] = &["Winter2026!", "TopSecret1", "pr0xyS3cret"];

fn triage(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("triage runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().expect("exited normally"), text)
}

fn utf16(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

/// The issue 1 example, with secrets planted where admins' servers keep them.
fn folder(dir: &Path) {
    let src = Path::new(ROOT).join("examples/issue1-import-tls12");
    for e in fs::read_dir(&src).expect("example") {
        let p = e.expect("entry").path();
        fs::copy(&p, dir.join(p.file_name().expect("name"))).expect("copy");
    }
    let log = dir.join("SoftwareDistribution.log");
    let text = fs::read_to_string(&log).expect("log");
    let planted = text.replacen(
        "forcibly closed by the remote host\r\n",
        "forcibly closed by the remote host (Data Source=SQL01;User ID=sa;Password=TopSecret1)\r\n",
        1,
    );
    assert_ne!(planted, text);
    fs::write(&log, planted).expect("write log");
    fs::write(
        dir.join("Winlogon.reg"),
        utf16("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]\r\n\"AutoAdminLogon\"=\"1\"\r\n\"DefaultUserName\"=\"kiosk\"\r\n\"DefaultPassword\"=\"Winter2026!\"\r\n\r\n"),
    )
    .expect("write reg");
    let cfg = dir.join("wsus-config.json");
    let d = triage_collectors::text::decode(&fs::read(&cfg).expect("config"));
    let with = d.text.replacen("{", "{\r\n    \"ProxyPassword\":  \"pr0xyS3cret\",", 1);
    fs::write(&cfg, triage_collectors::bundle::redact::encode(&with, d.encoding)).expect("write config");
}

fn assert_clean(what: &str, out: &str) {
    for s in SECRETS {
        assert!(!out.contains(s), "{what} printed {s}:\n{out}");
    }
}

#[test]
fn run_facts_and_explain_never_print_a_secret() {
    let tmp = tempfile::tempdir().expect("temp");
    let dir = tmp.path().join("case");
    fs::create_dir(&dir).expect("mkdir");
    folder(&dir);
    let d = dir.to_str().expect("utf-8");

    let (code, out) = triage(&["run", "--color", "never", d]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("WSUS001"), "{out}");
    assert!(out.contains("Password=**********"), "the cited line is shown, masked:\n{out}");
    assert_clean("run", &out);
    for args in [
        &["run", "--format", "json", d][..],
        &["run", "--format", "jsonl", d],
        &["run", "--explain", "--color", "never", d],
        &["facts", d],
        &["facts", "--format", "json", d],
        &["explain", "WSUS001", d],
        &["explain", "WSUS001", "--format", "json", d],
    ] {
        let (code, out) = triage(args);
        assert!(code <= 1, "{args:?}: {out}");
        assert_clean(&format!("{args:?}"), &out);
    }
    let (_, facts) = triage(&["facts", "--format", "json", d]);
    assert!(facts.contains("kiosk"), "the user name is kept (not a secret)");

    // A fact map saved elsewhere, secrets and all, is masked when it is read.
    let saved = tmp.path().join("facts.json");
    fs::write(
        &saved,
        r#"{"registry":{"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon":{"DefaultPassword":"Winter2026!"}},"wsus":{"config":{"ProxyName":"http://u:TopSecret1@p:1"}}}"#,
    )
    .expect("write");
    for format in ["human", "json"] {
        let (_, out) = triage(&["facts", "--format", format, saved.to_str().expect("utf-8")]);
        assert_clean("facts on a saved fact map", &out);
        assert!(out.contains("DefaultPassword"), "the value is listed, masked: {out}");
    }
}
