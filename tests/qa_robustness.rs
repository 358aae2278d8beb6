//! QA: the binary on hostile input — garbage and empty files with the right names, truncated
//! artifacts, many files, dangling links, missing paths, a pack full of mistakes — never panics,
//! exits per DESIGN §7 and names the file and line/offset of each problem; and what README.md and
//! docs/ promise works as written. `#[ignore = "BUG: …"]` marks a documented bug.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn triage(args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::cargo_bin("triage").expect("the triage binary is built");
    cmd.current_dir(ROOT).args(args).env_remove("NO_COLOR").stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("triage runs");
    let r = Run {
        code: out.status.code().expect("exited normally, not by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!r.stderr.contains("panicked"), "panic: {}", r.stderr);
    r
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

const NAMES: &[&str] = &[
    "SoftwareDistribution.log",
    "x.reg",
    "w3wp.exe.config",
    "gpresult.xml",
    "capture.pcap",
    "capture.pcapng",
    "wsyncmgr.log",
    "systeminfo.txt",
    "wsus-config.json",
    "hotfixes.csv",
];

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xFF) as u8
        })
        .collect()
}

#[test]
fn garbage_and_empty_files_with_artifact_names_are_recorded_not_fatal() {
    let tmp = tempfile::tempdir().expect("temp");
    for (i, name) in NAMES.iter().enumerate() {
        fs::write(tmp.path().join(name), noise(i as u64 + 7, 4096)).expect("write");
    }
    let r = triage(&["run", "--color", "never", p(tmp.path())], &[]);
    // Nothing detected, rules not evaluated: incomplete.
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("SoftwareDistribution.log @0x"), "errors carry an offset: {}", r.stdout);

    let empty = tempfile::tempdir().expect("temp");
    for name in NAMES {
        fs::write(empty.path().join(name), b"").expect("write");
    }
    let r = triage(&["run", "--format", "json", p(empty.path())], &[]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("\"missing_facts\""), "{}", r.stdout);
}

#[test]
fn truncated_artifacts_name_file_and_line() {
    let tmp = tempfile::tempdir().expect("temp");
    let src = format!("{ROOT}/examples/issue5-cipher-mismatch");
    for e in fs::read_dir(&src).expect("dir") {
        let e = e.expect("entry");
        let bytes = fs::read(e.path()).expect("read");
        fs::write(tmp.path().join(e.file_name()), &bytes[..bytes.len() / 2 + 1]).expect("write");
    }
    let r = triage(&["facts", "--format", "json", p(tmp.path())], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Each file is cut inside its last line: the error names that line, the last of the
    // truncated text (counted on the decoded text, UTF-16 included).
    for name in ["gpresult.xml", "wsus-config.json", "CurrentVersion.reg"] {
        let cut = fs::read(tmp.path().join(name)).expect("read");
        let last_line = triage_collectors::text::decode(&cut).text.lines().count();
        let located = format!("\"{name}:{last_line}:");
        assert!(r.stdout.contains(&located), "no error at {name} line {last_line}: {}", r.stdout);
    }
}

#[test]
fn two_thousand_small_files() {
    let tmp = tempfile::tempdir().expect("temp");
    for i in 0..2000 {
        fs::write(tmp.path().join(format!("f{i:04}.txt")), format!("line {i}\n")).expect("write");
    }
    let r = triage(&["run", "--format", "json", p(tmp.path())], &[]);
    // No artifact recognised: incomplete, said in one line.
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr.matches("no artifact recognised").count(), 1, "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn dangling_and_escaping_links_are_recorded() {
    let tmp = tempfile::tempdir().expect("temp");
    for e in fs::read_dir(format!("{ROOT}/examples/issue1-import-tls12")).expect("dir") {
        let e = e.expect("entry");
        fs::copy(e.path(), tmp.path().join(e.file_name())).expect("copy");
    }
    std::os::unix::fs::symlink("/nonexistent/target", tmp.path().join("dangling.reg")).expect("link");
    std::os::unix::fs::symlink("/etc/hostname", tmp.path().join("outside.reg")).expect("link");
    let r = triage(&["run", "--color", "never", p(tmp.path())], &[]);
    assert_eq!(r.code, 1, "the rest is still diagnosed: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("dangling.reg"), "{}", r.stdout);
    assert!(r.stdout.contains("outside.reg"), "{}", r.stdout);

    let r = triage(&["run", p(&tmp.path().join("dangling.reg"))], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("dangling.reg"), "{}", r.stderr);
}

#[test]
fn a_missing_path_is_exit_2_and_named() {
    let r = triage(&["run", "no/such/folder"], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no/such/folder"), "{}", r.stderr);
    let r = triage(&["facts", "no/such/folder"], &[]);
    assert_eq!(r.code, 2);
}

#[test]
fn a_pack_with_mistakes_reports_each_at_its_line() {
    let tmp = tempfile::tempdir().expect("temp");
    fs::write(
        tmp.path().join("pack.toml"),
        r#"[pack]
id = "bad"
version = "1.0.0"
engine = "^0.2"
title = "mistakes"
unknown_key = 1

[signals.s1]
log = "wsus"
pattern = 'unclosed(group'

[[rule]]
id = "BAD001"
title = "t"
severity = "critical"
when = 'undefined_var'
resolution = "x"

[[rule]]
id = "BAD001"
title = "t"
severity = "error"
when = 'signal("nosuch").len() > 0'
resolution = "{{ nope }}"
"#,
    )
    .expect("write");
    let r = triage(&["pack", "check", "--color", "never", p(tmp.path())], &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    for expected in [
        "pack.toml:6:",
        "unknown key `unknown_key`",
        "pack.toml:10:",
        "unclosed group",
        "unknown severity `critical`",
        "undefined_var",
        "BAD001 is used twice",
        "unknown signal `nosuch`",
        "`nope`",
    ] {
        assert!(r.stdout.contains(expected), "missing `{expected}` in:\n{}", r.stdout);
    }
    // `run` with that pack is an error too, nothing evaluated.
    let r = triage(&["run", "--pack", p(tmp.path()), "examples/healthy"], &[]);
    assert_eq!(r.code, 2);
}

#[test]
fn json_output_is_byte_identical_across_runs() {
    let args = [
        "run",
        "--format",
        "json",
        "examples/healthy",
        "examples/issue1-import-tls12",
        "examples/issue4-surface-drivers",
    ];
    let a = triage(&args, &[]);
    let b = triage(&args, &[]);
    assert_eq!(a.code, 1);
    assert_eq!(a.stdout, b.stdout);
    let a = triage(&["facts", "--format", "json", "examples/issue5-cipher-mismatch"], &[]);
    let b = triage(&["facts", "--format", "json", "examples/issue5-cipher-mismatch"], &[]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn readme_commands_work_as_documented() {
    assert_eq!(triage(&["run", "examples/issue1-import-tls12"], &[]).code, 1);
    assert_eq!(triage(&["run", "--format", "json", "examples/issue1-import-tls12"], &[]).code, 1);
    assert_eq!(triage(&["run", "--pack", "rules/wsus-tls", "examples/healthy"], &[]).code, 0);
    assert_eq!(triage(&["explain", "WSUS001", "examples/issue1-import-tls12"], &[]).code, 1);
    assert_eq!(triage(&["run", "--explain", "examples/healthy"], &[]).code, 0);
    assert_eq!(triage(&["collectors"], &[]).code, 0);
    assert_eq!(triage(&["pack", "check", "rules/wsus-tls"], &[]).code, 0);
    assert_eq!(triage(&["pack", "test", "rules/wsus-tls"], &[]).code, 0);
    // facts --format json > facts.json && run facts.json
    let tmp = tempfile::tempdir().expect("temp");
    let facts = triage(&["facts", "--format", "json", "examples/issue1-import-tls12"], &[]);
    assert_eq!(facts.code, 0);
    let file = tmp.path().join("facts.json");
    fs::write(&file, facts.stdout).expect("write");
    let r = triage(&["run", "--format", "json", p(&file)], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("\"WSUS001\""));
}

#[test]
fn readme_links_exist() {
    assert!(Path::new(ROOT).join("docs/rule-language.md").is_file());
}

#[test]
fn contributing_names_the_real_retired_key() {
    let text = fs::read_to_string(format!("{ROOT}/CONTRIBUTING.md")).expect("read");
    assert!(!text.contains("retired_ids"));
}

/// docs/sharing-packs.md: "`triage run --pack ID` uses exactly what was signed".
#[test]
fn run_with_an_installed_pack_id() {
    let home = tempfile::tempdir().expect("temp");
    let env = [("TRIAGE_HOME", home.path())];
    let r = triage(&["pack", "install", "--allow-unsigned", "rules/wsus-tls"], &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Installed under the built-in pack's own ID: named with its prefix (the bare ID is ambiguous).
    let r = triage(&["run", "--pack", "installed:wsus-tls", "examples/issue2-tls10-disabled"], &env);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let r = triage(&["run", "--pack", "wsus-tls", "examples/issue2-tls10-disabled"], &env);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("ambiguous"), "{}", r.stderr);
}

#[test]
fn keygen_into_a_new_folder() {
    let tmp = tempfile::tempdir().expect("temp");
    let name = tmp.path().join("keys/team");
    let r = triage(&["pack", "keygen", p(&name)], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(tmp.path().join("keys/team.pub").is_file());
}

/// A file whose name promises a format its content does not have says so; a name nobody expects
/// does not get a reason.
#[test]
fn unrecognised_files_say_why() {
    let tmp = tempfile::tempdir().expect("temp");
    for name in ["x.reg", "gpresult.xml", "capture.pcap"] {
        fs::write(tmp.path().join(name), noise(7, 300)).expect("write");
    }
    fs::write(tmp.path().join("notes.txt"), "hello\r\n").expect("write");
    let r = triage(&["facts", "--format", "json", p(tmp.path())], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let facts: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let artifacts = &facts["collection"]["artifacts"];
    let reason = artifacts["x.reg"]["reason"].as_str().expect("x.reg has a reason");
    assert!(reason.contains("`registry` collector"), "{reason}");
    assert!(artifacts["gpresult.xml"]["reason"].as_str().expect("reason").contains("`gpresult`"));
    assert!(artifacts["capture.pcap"]["reason"].as_str().expect("reason").contains("`capture`"));
    assert!(artifacts["notes.txt"].get("reason").is_none());
    let human = triage(&["run", "--color", "never", p(tmp.path())], &[]);
    assert!(human.stdout.contains("x.reg (named like registry exports"), "{}", human.stdout);
}

/// A fact's value, without the `$value`/`$source` wrapper of facts that carry provenance.
#[cfg(unix)]
fn plain(v: &serde_json::Value) -> &serde_json::Value {
    v.get("$value").unwrap_or(v)
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo runs").success();
    assert!(ok, "mkfifo {}", path.display());
}

/// `triage run <(cat file)`: a single input that is a pipe is read once and collected.
#[cfg(unix)]
#[test]
fn a_pipe_input_is_read() {
    let tmp = tempfile::tempdir().expect("temp");
    let fifo = tmp.path().join("63");
    mkfifo(&fifo);
    let text = fs::read(format!("{ROOT}/examples/issue2-tls10-disabled/systeminfo.txt")).expect("sample");
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || fs::write(writer_path, text).expect("write the fifo"));
    let r = triage(&["facts", "--format", "json", p(&fifo)], &[]);
    writer.join().expect("writer");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let facts: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(plain(&facts["collection"]["artifacts"]["63"]["collector"]), "systeminfo", "{}", r.stdout);
    assert!(plain(&facts["os"]["build"]).is_number(), "{}", r.stdout);
}

/// A FIFO inside an input folder is never opened (it could block forever); it is reported.
#[cfg(unix)]
#[test]
fn a_fifo_in_a_folder_is_reported_not_read() {
    let tmp = tempfile::tempdir().expect("temp");
    mkfifo(&tmp.path().join("SoftwareDistribution.log"));
    fs::write(tmp.path().join("notes.txt"), "hello\r\n").expect("write");
    let r = triage(&["facts", "--format", "json", p(tmp.path())], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let facts: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let errors = facts["collection"]["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| plain(e).as_str().is_some_and(
            |e| e.starts_with("SoftwareDistribution.log: [discover] skipped: not a regular file")
        )),
        "{errors:?}"
    );
}

/// `triage schema pack` prints the pack schema; `pack new` copies it into the new pack and points
/// at the copy, not at a path that only exists inside triage's repository.
#[test]
fn pack_new_and_schema_work_outside_the_repository() {
    let tmp = tempfile::tempdir().expect("temp");
    let r = triage(&["schema", "pack"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r_schema = r.stdout.clone();
    let schema: serde_json::Value = serde_json::from_str(&r.stdout).expect("json schema");
    assert_eq!(schema["title"], "triage rule pack file");
    let r = triage(&["pack", "new", "my-pack", "--dir", p(tmp.path())], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = fs::read_to_string(tmp.path().join("my-pack/pack.toml")).expect("pack.toml");
    assert!(!text.contains("../../schema"), "{text}");
    assert_eq!(text.lines().next(), Some("#:schema pack.schema.json"), "the pack's own copy");
    let copy = fs::read_to_string(tmp.path().join("my-pack/pack.schema.json")).expect("schema copy");
    assert_eq!(copy, r_schema, "the schema `triage schema pack` prints");
    assert_eq!(triage(&["pack", "test", p(&tmp.path().join("my-pack"))], &[]).code, 0);
    let help = triage(&["pack", "--help"], &[]);
    assert!(help.stdout.contains("keygen"), "{}", help.stdout);
}
