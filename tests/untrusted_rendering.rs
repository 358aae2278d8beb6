//! The CLI on hostile inputs (issue 13): a tampered bundle is refused with exit status 2 naming
//! the artifact; evidence past column 65,535 is shown cut around its span (it panicked inside
//! miette); snippets never follow a link out of the input (a fact map beside a link to a file
//! elsewhere printed that file); an interrupt leaves no temporary folder behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

const T: &str = "2026-11-25T16:00:00Z";

fn triage_in(tmp: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("triage").expect("the triage binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp)
        .stdin(Stdio::null());
    let out = cmd.output().expect("triage runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").filter_map(Result::ok) {
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn a_tampered_bundle_is_refused_with_exit_status_2_naming_the_artifact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("mkdir");
    for zip in [false, true] {
        let out = dir.path().join(if zip { "b.zip" } else { "b" });
        if !zip {
            let (code, _, err) = triage_in(
                &tmp,
                &["collect", "--from", s(&example("issue1-import-tls12")), "-o", s(&out), "--time", T],
            );
            assert_eq!(code, 0, "{err}");
        }
        if zip {
            // The tampered folder bundle, zipped.
            // Rewrite one entry of the zip with different bytes (same length).
            let folder = dir.path().join("b");
            let mut w = zip::ZipWriter::new(std::fs::File::create(&out).expect("create"));
            let opts = zip::write::SimpleFileOptions::default();
            let mut names: Vec<PathBuf> = walk(&folder);
            names.sort();
            for p in names {
                let name = p.strip_prefix(&folder).expect("inside").to_string_lossy().into_owned();
                w.start_file(name, opts).expect("start");
                std::io::Write::write_all(&mut w, &std::fs::read(&p).expect("read")).expect("write");
            }
            w.finish().expect("finish");
        } else {
            let log = out.join("artifacts/SoftwareDistribution.log");
            let text = std::fs::read_to_string(&log).expect("log");
            std::fs::write(&log, text.replace("forcibly closed", "FORCIBLY CLOSED")).expect("tamper");
        }
        let (code, stdout, stderr) = triage_in(&tmp, &["run", s(&out)]);
        assert_eq!(code, 2, "{stdout}{stderr}");
        let all = format!("{stdout}{stderr}");
        assert!(all.contains("artifact \"artifacts/SoftwareDistribution.log\" refused: SHA-256 "), "{all}");
        assert!(all.contains("the bundle is refused"), "{all}");
        assert!(!all.contains("0 collection error(s)"), "{all}");
        assert_eq!(std::fs::read_dir(&tmp).expect("tmp").count(), 0, "nothing left in the temporary folder");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn evidence_past_column_65535_is_shown_cut_around_its_span() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    copy_dir(&example("issue1-import-tls12"), &input);
    let log = input.join("SoftwareDistribution.log");
    let text = std::fs::read_to_string(&log).expect("log");
    let padded = text.replace("forcibly closed", &format!("{} forcibly closed", "x".repeat(70_000)));
    std::fs::write(&log, padded).expect("write");
    let (code, stdout, stderr) = triage_in(dir.path(), &["run", s(&input)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("WSUS001"), "{stdout}");
    // The record is shown from its start, cut after the first kilobyte.
    assert!(stdout.contains("Exception Details: System.Net.WebException"), "{stdout}");
    assert!(stdout.contains('…'), "{stdout}");
    assert!(stdout.lines().all(|l| l.chars().count() < 2_000), "long lines are cut");
}

#[test]
fn snippets_never_follow_a_link_out_of_the_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path().join("outside.log");
    let input = dir.path().join("in");
    copy_dir(&example("issue1-import-tls12"), &input);
    // The secret has the log's content shape, so the spans would land on it.
    let text = std::fs::read_to_string(input.join("SoftwareDistribution.log")).expect("log");
    std::fs::write(&outside, text.replace("forcibly closed", "SECRET-OUTSIDE")).expect("write");
    let (_, facts, _) = triage_in(dir.path(), &["facts", "--format", "json", s(&input)]);
    let fm = dir.path().join("fm");
    std::fs::create_dir(&fm).expect("mkdir");
    std::fs::write(fm.join("facts.json"), facts).expect("write");
    // A copy of the real log beside the fact map is shown; a link to a file elsewhere is not.
    std::fs::copy(input.join("SoftwareDistribution.log"), fm.join("SoftwareDistribution.log")).expect("copy");
    let (code, shown, _) = triage_in(dir.path(), &["run", s(&fm.join("facts.json"))]);
    assert_eq!(code, 1);
    // The matched line is wrapped to the width: read it with the frame removed.
    let unwrapped = shown.split_whitespace().filter(|w| *w != "│").collect::<Vec<_>>().join(" ");
    assert!(unwrapped.contains("forcibly closed by the remote host"), "{shown}");
    std::fs::remove_file(fm.join("SoftwareDistribution.log")).expect("rm");
    std::os::unix::fs::symlink(&outside, fm.join("SoftwareDistribution.log")).expect("symlink");
    let (code, linked, _) = triage_in(dir.path(), &["run", s(&fm.join("facts.json"))]);
    assert_eq!(code, 1);
    assert!(!linked.contains("SECRET-OUTSIDE"), "{linked}");
    assert!(linked.contains("\n  Evidence:\n"), "the evidence is still listed, in words: {linked}");
}

#[test]
fn an_interrupt_leaves_no_temporary_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("mkdir");
    // A zip bundle big enough that extraction and collection take a while.
    let input = dir.path().join("in");
    copy_dir(&example("issue1-import-tls12"), &input);
    let log = input.join("SoftwareDistribution.log");
    let text = std::fs::read_to_string(&log).expect("log");
    std::fs::write(&log, text.repeat(2_000)).expect("write");
    let z = dir.path().join("big.zip");
    let (code, _, err) = triage_in(&tmp, &["collect", "--from", s(&input), "-o", s(&z), "--time", T]);
    assert_eq!(code, 0, "{err}");
    let mut child = Command::cargo_bin("triage")
        .expect("built")
        .args(["run", "--format", "json", s(&z)])
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    // Wait until the extraction folder exists, then interrupt.
    let started = std::time::Instant::now();
    while std::fs::read_dir(&tmp).expect("tmp").count() == 0 {
        assert!(started.elapsed().as_secs() < 60, "no extraction folder appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let status = child.wait().expect("exits");
    // Either the interrupt arrived during collection (130), or collection had just finished.
    let code = status.code();
    assert!(matches!(code, Some(130) | Some(0) | Some(1)), "{status:?}");
    assert_eq!(std::fs::read_dir(&tmp).expect("tmp").count(), 0, "the extraction folder is removed");
}
