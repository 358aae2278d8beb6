//! Packs are isolated from each other: running the built-in WSUS pack beside another team's pack
//! (tests/data/second-packs, copies of ../shared/second-packs) or beside a pack that reads the
//! same files and reuses every name (tests/data/packs/thief) gives the built-in pack exactly the
//! findings it gives alone, byte for byte; the same holds for the OpenSSH pack beside the thief,
//! whose `*.conf` kind used to take the OpenSSH pack's drop-in files away from it. Two packs'
//! rules with the same ID are told apart.

use std::path::Path;

use assert_cmd::Command;

const WSUS: &str = "rules/wsus-tls";
const CM: &str = "tests/data/second-packs/cm-client-tls12";
const SSH: &str = "tests/data/second-packs/openssh-legacy-clients";
const THIEF: &str = "tests/data/packs/thief";

fn run_json(packs: &[&str], inputs: &[String]) -> serde_json::Value {
    let mut c = Command::cargo_bin("triage").expect("binary");
    c.current_dir(env!("CARGO_MANIFEST_DIR")).env("NO_COLOR", "1").args(["run", "--format", "json"]);
    for p in packs {
        c.args(["--pack", p]);
    }
    let out = c.args(inputs).output().expect("runs");
    // 0 nothing detected, 1 detected, 3 incomplete: anything but an error.
    assert!(matches!(out.status.code(), Some(0 | 1 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// The findings of one pack, each as its JSON text.
fn findings_of(report: &serde_json::Value, pack: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["pack"] == pack)
        .map(|f| serde_json::to_string(f).expect("serialises"))
        .collect()
}

fn folders(under: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(under);
    let mut out: Vec<String> = std::fs::read_dir(&root)
        .expect("folder")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| format!("{under}/{}", e.file_name().to_string_lossy()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_built_in_pack_gives_the_same_findings_beside_any_other_pack() {
    let inputs = folders("examples");
    let alone = findings_of(&run_json(&[WSUS], &inputs), "wsus-tls");
    assert_eq!(alone.len(), 12 * inputs.len(), "one finding per rule and input");
    assert!(alone.iter().any(|f| f.contains(r#""outcome":"detected""#)));
    for other in [CM, SSH, THIEF] {
        let both = run_json(&[WSUS, other], &inputs);
        assert_eq!(findings_of(&both, "wsus-tls"), alone, "beside {other}");
    }
}

#[test]
fn the_openssh_pack_keeps_its_own_files_beside_a_pack_that_reads_them_too() {
    let inputs = folders("tests/data/second-packs/openssh-legacy-clients/tests/cases");
    let alone = findings_of(&run_json(&[SSH], &inputs), "openssh-legacy-clients");
    assert!(!alone.is_empty());
    let both = run_json(&[SSH, THIEF], &inputs);
    assert_eq!(findings_of(&both, "openssh-legacy-clients"), alone);
    // The thief's kinds read the same files, for itself.
    assert!(findings_of(&both, "thief")
        .iter()
        .any(|f| f.contains(r#""rule":"SSH001","#) && f.contains(r#""outcome":"detected""#)));
}

#[test]
fn the_configmgr_pack_keeps_its_findings_beside_the_built_in_pack_and_the_thief() {
    let inputs = folders("tests/data/second-packs/cm-client-tls12/tests/cases");
    let alone = findings_of(&run_json(&[CM], &inputs), "cm-client-tls12");
    let all = run_json(&[WSUS, CM, THIEF], &inputs);
    assert_eq!(findings_of(&all, "cm-client-tls12"), alone);
}

#[test]
fn two_packs_with_the_same_rule_id_are_told_apart() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("triage")
            .expect("binary")
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&["run", "--pack", WSUS, "--pack", THIEF, "examples/issue1-import-tls12"]);
    assert_eq!(code, Some(1));
    // Each finding's heading starts with its qualified rule (then its section and title).
    let headings: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split([':', ' ']).next())
        .filter(|id| id.ends_with("/WSUS001"))
        .collect();
    assert_eq!(headings, vec!["wsus-tls/WSUS001", "thief/WSUS001"]);
    let (code, _, err) =
        run(&["explain", "WSUS001", "--pack", WSUS, "--pack", THIEF, "examples/issue1-import-tls12"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("rule `WSUS001` is in several packs"), "{err}");
    let (code, out, _) =
        run(&["explain", "thief/WSUS001", "--pack", WSUS, "--pack", THIEF, "examples/issue1-import-tls12"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("pack:    thief 1.0.0"), "{out}");
}
