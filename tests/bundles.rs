//! `triage collect`, bundles as `run` inputs, redaction on the WSUS examples, and `triage diff`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value as J;

const T: &str = "2026-11-25T16:00:00Z";

fn triage(args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("triage").expect("the triage binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    let out = cmd.output().expect("triage runs");
    (
        out.status.code().expect("exited normally"),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    assert!(v.len() >= 5, "the WSUS examples are there");
    v
}

/// `(rule, outcome)` of every finding of a `run --format json`.
fn outcomes(path: &str) -> Vec<(String, String)> {
    let (code, out, err) = triage(&["run", path, "--format", "json"]);
    assert!(code <= 1, "run {path}: exit {code}: {err}");
    let j: J = serde_json::from_str(&out).expect("JSON report");
    j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (f["rule"].as_str().unwrap_or("").to_owned(), f["outcome"].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("list").filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn bundles_and_redacted_bundles_give_the_folders_outcomes() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A fixed key: with a random one, a hex pseudonym could by chance contain `dc01`.
    let key = dir.path().join("redact.key");
    std::fs::write(&key, format!("{}\n", "5a".repeat(32))).expect("key file");
    for ex in examples() {
        let name = ex.file_name().and_then(|n| n.to_str()).expect("name").to_owned();
        let plain = dir.path().join(format!("{name}.zip"));
        let red = dir.path().join(format!("{name}-redacted"));
        let (code, out, err) = triage(&["collect", "--from", s(&ex), "-o", s(&plain), "--time", T]);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(&format!("wrote {}", plain.display())), "{out}");
        let (code, _, err) = triage(&[
            "collect",
            "--from",
            s(&ex),
            "-o",
            s(&red),
            "--time",
            T,
            "--redact",
            "--redact-key",
            s(&key),
        ]);
        assert_eq!(code, 0, "{err}");
        let want = outcomes(s(&ex));
        assert!(want.iter().any(|(_, o)| o == "not_detected" || o == "detected"), "{name}: {want:?}");
        assert_eq!(outcomes(s(&plain)), want, "{name}: the bundle");
        assert_eq!(outcomes(s(&red)), want, "{name}: the redacted bundle");

        // No original value anywhere in the redacted bundle (UTF-16 files decoded).
        for path in files(&red) {
            let bytes = std::fs::read(&path).expect("read");
            let text = triage_collectors::text::decode(&bytes).text.to_lowercase();
            let rel = path.strip_prefix(&red).expect("inside").display().to_string().to_lowercase();
            for original in ["wsus01", "contoso", "dc01", "10.0.0.20"] {
                assert!(!text.contains(original), "{name}: {original} in {rel}");
                assert!(!rel.contains(original), "{name}: {original} in the name {rel}");
            }
        }
    }
}

#[test]
fn collect_is_reproducible_and_refuses_to_clobber() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ex = &examples()[0];
    let a = dir.path().join("a.zip");
    let b = dir.path().join("b.zip");
    assert_eq!(triage(&["collect", "--from", s(ex), "-o", s(&a), "--time", T]).0, 0);
    let mut cmd = Command::cargo_bin("triage").expect("built");
    let st = cmd
        .args(["collect", "--from", s(ex), "-o", s(&b)])
        .env("SOURCE_DATE_EPOCH", "1795622400")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert!(st.status.success());
    assert_eq!(
        std::fs::read(&a).expect("a"),
        std::fs::read(&b).expect("b"),
        "--time and SOURCE_DATE_EPOCH agree"
    );
    let (code, _, err) = triage(&["collect", "--from", s(ex), "-o", s(&a), "--time", T]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) = triage(&["collect", "--from", s(ex), "-o", s(&a), "--time", "yesterday"]);
    assert_eq!(code, 2);
    assert!(err.contains("RFC 3339"), "{err}");
}

#[cfg(unix)]
#[test]
fn unsafe_bundles_are_input_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = dir.path().join("b");
    assert_eq!(triage(&["collect", "--from", s(&examples()[0]), "-o", s(&b), "--time", T]).0, 0);
    let victim = b.join("artifacts/systeminfo.txt");
    std::fs::remove_file(&victim).expect("remove");
    std::os::unix::fs::symlink("/etc/passwd", &victim).expect("symlink");
    let (code, _, err) = triage(&["run", s(&b)]);
    assert_eq!(code, 2);
    assert!(err.contains("symbolic link") && err.contains("artifacts/systeminfo.txt"), "{err}");
    let z = dir.path().join("not-a-bundle.zip");
    std::fs::write(&z, b"PK\x03\x04 truncated").expect("write");
    let (code, _, err) = triage(&["run", s(&z)]);
    assert_eq!(code, 2);
    assert!(err.contains("corrupted bundle"), "{err}");
}

#[test]
fn diff_shows_what_a_fix_cleared() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let before = dir.path().join("before.zip");
    let after = dir.path().join("after.json");
    assert_eq!(
        triage(&["collect", "--from", s(&root.join("issue1-import-tls12")), "-o", s(&before), "--time", T]).0,
        0
    );
    let (_, report, _) = triage(&["run", s(&root.join("healthy")), "--format", "json"]);
    std::fs::write(&after, report).expect("write report");
    let (code, out, err) = triage(&["diff", s(&before), s(&after), "--format", "json"]);
    assert_eq!(code, 0, "nothing appeared or remains: {out}{err}");
    let j: J = serde_json::from_str(&out).expect("JSON");
    let cleared: Vec<&str> =
        j["cleared"].as_array().expect("list").iter().filter_map(|c| c["rule"].as_str()).collect();
    assert_eq!(cleared, ["WSUS001"]);
    assert!(j["appeared"].as_array().expect("list").is_empty());
    let (code, out, _) = triage(&["diff", s(&after), s(&before)]);
    assert_eq!(code, 1, "the reverse is a regression");
    assert!(out.contains("appeared (1):") && out.contains("WSUS001"), "{out}");
}

#[test]
fn many_bundles_run_at_once_as_json_lines_in_command_line_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = Vec::new();
    for ex in examples() {
        let name = ex.file_name().and_then(|n| n.to_str()).expect("name").to_owned();
        let out = dir.path().join(format!("{name}.zip"));
        assert_eq!(triage(&["collect", "--from", s(&ex), "-o", s(&out), "--time", T]).0, 0);
        paths.push(out.display().to_string());
    }
    let mut args = vec!["run", "--format", "jsonl"];
    args.extend(paths.iter().map(String::as_str));
    let (code, out, err) = triage(&args);
    assert_eq!(code, 1, "something is detected in the examples: {err}");
    let lines: Vec<J> =
        out.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    let single = outcomes(&paths[0]).len();
    assert_eq!(lines.len(), single * paths.len());
    let inputs: Vec<&str> = lines.iter().map(|l| l["input"].as_str().expect("input")).collect();
    let mut seen: Vec<&str> = inputs.clone();
    seen.dedup();
    assert_eq!(seen, paths.iter().map(String::as_str).collect::<Vec<_>>(), "in command-line order");
    assert!(lines.iter().all(|l| l["rule"].is_string() && l["outcome"].is_string()));

    let mut args = vec!["run"];
    args.extend(paths.iter().map(String::as_str));
    let (_, human, _) = triage(&args);
    let tail = human.rsplit("summary over").next().expect("a summary");
    assert!(tail.starts_with(&format!(" {} inputs:", paths.len())), "{tail}");
    assert!(tail.contains("WSUS001"), "{tail}");
}

/// `tests/data/bundles/format1-issue1.zip` was written by triage 0.1.0 (`collect --from
/// examples/issue1-import-tls12 --time 2026-11-25T16:00:00Z --host WSUS01`): bundle format 1.
/// This triage still reads it, collects its artifacts again and gives the folder's findings.
#[test]
fn a_format_1_bundle_from_triage_0_1_still_reads() {
    let old = "tests/data/bundles/format1-issue1.zip";
    let (code, _, err) = triage(&["run", old, "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(outcomes(old), outcomes("examples/issue1-import-tls12"));
    let (_, out, _) = triage(&["run", old, "--format", "json"]);
    let j: J = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(j["format_version"], 2);
    assert_eq!(j["inputs"][0]["host"], "WSUS01");
    assert_eq!(j["inputs"][0]["collected_at"], "2026-11-25T16:00:00.000Z");
    let (code, facts, err) = triage(&["facts", old, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let facts: J = serde_json::from_str(&facts).expect("fact map");
    assert_eq!(facts["collection"]["bundle_format"]["$value"], 1, "{}", facts["collection"]);
}

/// What this triage writes is format 2.
#[test]
fn collect_writes_format_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("b");
    let (code, _, err) = triage(&["collect", "--from", "examples/healthy", "-o", s(&out), "--time", T]);
    assert_eq!(code, 0, "{err}");
    let m: J = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).expect("manifest"))
        .expect("JSON");
    assert_eq!((m["format_version"].clone(), m["triage_version"].clone()), (J::from(2), J::from("0.2.0")));
}

/// A bundle collected with the built-in packs only, run with a pack whose log kind reads one of
/// its files: the bundle's artifacts are collected again with the run's packs, so that file is
/// read, not "not recognised" (issue 16) — in the human summary and the JSON inputs alike.
#[test]
fn a_file_a_pack_log_kind_reads_is_not_unrecognised_on_a_bundle() {
    let pack = "tests/data/second-packs/openssh-legacy-clients";
    let case = format!("{pack}/tests/cases/kex-group1-dropin");
    let tmp = tempfile::tempdir().expect("temp dir");
    let zip = tmp.path().join("linux.zip");
    let zip = zip.to_str().expect("UTF-8 path");
    let (code, _, err) = triage(&["collect", "--from", &case, "-o", zip, "--time", T]);
    assert_eq!(code, 0, "{err}");
    // Without the pack no collector reads these files (os-release is the built-in linux-host's);
    // with it, every one is read.
    let unrecognised = |args: &[&str]| {
        let (code, facts, err) = triage(args);
        assert_eq!(code, 0, "{err}");
        let facts: J = serde_json::from_str(&facts).expect("facts JSON");
        facts["collection"]["unrecognised"].clone()
    };
    assert_eq!(
        unrecognised(&["facts", "--format", "json", zip]),
        serde_json::json!([
            "etc/ssh/sshd_config",
            "etc/ssh/sshd_config.d/50-hardening.conf",
            "ssh-version.txt",
            "var/log/auth.log"
        ])
    );
    assert_eq!(unrecognised(&["facts", "--format", "json", "--pack", pack, zip]), serde_json::json!([]));
    let (code, out, err) = triage(&["run", "--pack", pack, zip, "--format", "json"]);
    assert!(code <= 1, "exit {code}: {err}");
    let j: J = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(j["inputs"][0]["unrecognised"], serde_json::json!([]), "{}", j["inputs"]);
    assert_eq!(j["inputs"][0]["artifacts"], 5);
    let (_, human, err) = triage(&["run", "--pack", pack, zip]);
    assert!(!human.contains("not recognised") && !err.contains("not recognised"), "{human}\n{err}");
    assert!(human.contains("5 artifacts, no collection errors"), "{human}");
}
