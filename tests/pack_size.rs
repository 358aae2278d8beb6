//! Pack folders are read within the engine's pack limits: a 50 MB pack file is refused with
//! `pack::too-large` after reading at most one byte past the 4 MiB limit, and a pack file that
//! is a device is refused unread.

use assert_cmd::Command;

fn triage(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("triage").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

const MANIFEST: &str = "[pack]\nid = \"big\"\nversion = \"1.0.0\"\nengine = \">=0.1\"\ntitle = \"Big\"\n";

#[test]
fn a_50_mb_pack_file_is_refused_by_check_and_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pack = tmp.path().join("big");
    std::fs::create_dir_all(pack.join("rules")).expect("mkdir");
    std::fs::write(pack.join("pack.toml"), MANIFEST).expect("write");
    // Sparse: 50 MB of NUL characters, cheap on disk.
    let f = std::fs::File::create(pack.join("rules/huge.toml")).expect("create");
    f.set_len(50 << 20).expect("size");
    let out = triage(tmp.path()).args(["pack", "check", "big"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("pack::too-large"), "{stdout}");
    assert!(
        stdout.contains(
            "rules/huge.toml is larger than 4 MiB (4194304 bytes): a pack file may be at most that"
        ),
        "{stdout}"
    );
    let out = triage(tmp.path()).args(["run", "--pack", "big", "."]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rules/huge.toml is larger than 4 MiB"), "{stderr}");
    assert!(stderr.contains("is invalid (1 error(s)); nothing was evaluated"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_pack_file_that_is_a_device_is_not_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pack = tmp.path().join("zero");
    std::fs::create_dir_all(pack.join("rules")).expect("mkdir");
    std::fs::write(pack.join("pack.toml"), MANIFEST).expect("write");
    std::os::unix::fs::symlink("/dev/zero", pack.join("rules/zero.toml")).expect("link");
    let out = triage(tmp.path()).args(["pack", "check", "zero"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("zero.toml: not a regular file"), "{stderr}");
}
