//! The pack store against hostile input: an installed pack whose files, manifest and lock hash
//! were rewritten together, trusted-key files that are devices or garbage, lock entries with
//! IDs that are not pack IDs, and `pack test` inputs that point out of the pack.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env { tmp: tempfile::tempdir().expect("tempdir") }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }
    fn triage(&self) -> Command {
        let mut c = Command::cargo_bin("triage").expect("binary");
        c.current_dir(self.tmp.path())
            .env("TRIAGE_HOME", self.path("home"))
            .env("NO_COLOR", "1")
            .env_remove("TRIAGE_SIGNING_PASSWORD");
        c
    }
    /// Runs triage; returns (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let o = self.triage().args(args).output().expect("runs");
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "triage {args:?}\nstdout: {out}\nstderr: {err}");
        out
    }
    /// A signed pack `demo` installed from `dist/`, signed by `keys/team.key`, trusted as
    /// `home/trusted-keys/team.pub`.
    fn installed_demo(&self) {
        // Not in the working folder: a folder named like the ID would win over the installed pack.
        self.ok(&["pack", "new", "demo", "--dir", "src"]);
        self.ok(&["pack", "keygen", "team", "--dir", "keys"]);
        self.ok(&["pack", "build", "src/demo", "-o", "dist"]);
        self.ok(&["pack", "sign", "dist/demo-0.1.0.tar.gz", "--key", "keys/team.key"]);
        std::fs::create_dir_all(self.path("home/trusted-keys")).expect("mkdir");
        std::fs::copy(self.path("keys/team.pub"), self.path("home/trusted-keys/team.pub")).expect("trust");
        self.ok(&["pack", "install", "dist/demo-0.1.0.tar.gz"]);
    }
    fn key_id(&self) -> String {
        let out = self.ok(&["pack", "list", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v[0]["signed_by"].as_str().expect("signed").to_owned()
    }
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn systeminfo(build: &str) -> String {
    format!("\r\nHost Name:                 WSUS01\r\nOS Name:                   Microsoft Windows Server\r\nOS Version:                10.0.{build} N/A Build {build}\r\n")
}

/// Rewrites the installed pack's condition, then its manifest and the lock file's hash to
/// match, as someone covering their tracks would.
fn tamper_consistently(e: &Env) {
    let dir = e.path("home/packs/demo");
    let toml = std::fs::read_to_string(dir.join("pack.toml")).expect("read");
    write(&dir.join("pack.toml"), &toml.replace("facts.os.build < 9200", "facts.os.build < 99999"));
    e.ok(&["pack", "build", &dir.display().to_string(), "--manifest-only"]);
    let manifest = std::fs::read(dir.join("MANIFEST.sha256")).expect("manifest");
    let lock = std::fs::read_to_string(e.path("home/triage.lock")).expect("lock");
    let old = lock.lines().find(|l| l.starts_with("hash = ")).expect("hash line").to_owned();
    let new = format!("hash = \"{}\"", triage_store::files::content_hash(&manifest));
    write(&e.path("home/triage.lock"), &lock.replace(&old, &new));
}

#[test]
fn consistent_rewrite_of_files_manifest_and_lock_is_refused() {
    let e = Env::new();
    e.installed_demo();
    let key = e.key_id();
    write(&e.path("host/systeminfo.txt"), &systeminfo("20348"));
    let (code, _, _) = e.run(&["run", "--pack", "demo", "host"]);
    assert_eq!(code, 0, "untouched: build 20348 is not detected");

    tamper_consistently(&e);
    let (code, out, err) = e.run(&["run", "--pack", "demo", "host"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    let expected = format!(
        "installed pack `demo` does not match the lock file (its signature does not verify over its manifest, so its files, manifest or lock entry were changed after it was installed: bad signature: signature by key {key} (team.pub) does not match the manifest:"
    );
    assert!(err.contains(&expected), "{err}");

    let (code, out, err) = e.run(&["pack", "list"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.starts_with("demo 0.1.0  INVALID: installed pack `demo` does not match"), "{out}");
    assert!(!out.contains("signed by"), "{out}");
    assert_eq!(err, "error: 1 installed pack(s) cannot be used (see above)\n");
    let (_, out, _) = e.run(&["pack", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v[0]["status"], "invalid");
    // Updating from the genuine archive repairs nothing silently: the installed copy is refused.
    let (code, _, err) = e.run(&["pack", "update", "demo"]);
    assert_eq!(code, 2);
    assert!(err.contains("its signature does not verify over its manifest"), "{err}");
    // Removing and reinstalling the signed archive is the way back.
    e.ok(&["pack", "remove", "demo"]);
    e.ok(&["pack", "install", "dist/demo-0.1.0.tar.gz"]);
    e.ok(&["run", "--pack", "demo", "host"]);
}

#[test]
fn a_removed_key_stops_the_packs_it_signed() {
    let e = Env::new();
    e.installed_demo();
    let key = e.key_id();
    std::fs::remove_file(e.path("home/trusted-keys/team.pub")).expect("untrust");
    write(&e.path("host/systeminfo.txt"), &systeminfo("20348"));
    let (code, _, err) = e.run(&["run", "--pack", "demo", "host"]);
    assert_eq!(code, 2);
    let home = e.path("home/trusted-keys");
    assert!(
        err.contains(&format!("--pack demo: installed pack `demo` was signed by key {key} (team.pub), which is no longer trusted (not in {}); trust that key again, or update the pack to a version signed by a key you trust", home.display())),
        "{err}"
    );
    let (code, out, _) = e.run(&["pack", "list"]);
    assert_eq!(code, 2);
    assert!(out.contains("INVALID: installed pack `demo` was signed by key"), "{out}");
}

#[test]
fn signature_swapped_for_another_trusted_key_is_refused() {
    let e = Env::new();
    e.installed_demo();
    let key = e.key_id();
    // A second trusted key signs the tampered manifest: still not what the lock recorded.
    tamper_consistently(&e);
    e.ok(&["pack", "keygen", "other", "--dir", "keys"]);
    std::fs::copy(e.path("keys/other.pub"), e.path("home/trusted-keys/other.pub")).expect("trust");
    let dir = e.path("home/packs/demo").display().to_string();
    e.ok(&["pack", "sign", &dir, "--key", "keys/other.key"]);
    let manifest = std::fs::read(e.path("home/packs/demo/MANIFEST.sha256")).expect("manifest");
    let lock = std::fs::read_to_string(e.path("home/triage.lock")).expect("lock");
    let old = lock.lines().find(|l| l.starts_with("hash = ")).expect("hash").to_owned();
    let new = format!("hash = \"{}\"", triage_store::files::content_hash(&manifest));
    write(&e.path("home/triage.lock"), &lock.replace(&old, &new));
    let (code, out, _) = e.run(&["pack", "list"]);
    assert_eq!(code, 2);
    assert!(
        out.contains(&format!("the lock file says it is signed by {key}, but its signature is by")),
        "{out}"
    );
}

#[test]
fn unsigned_install_is_listed_and_used_as_unsigned() {
    let e = Env::new();
    e.ok(&["pack", "new", "demo", "--dir", "src"]);
    e.ok(&["pack", "install", "src/demo", "--allow-unsigned"]);
    let out = e.ok(&["pack", "list"]);
    assert!(out.starts_with("demo 0.1.0  sha256:") && out.contains("  unsigned  from "), "{out}");
    write(&e.path("host/systeminfo.txt"), &systeminfo("20348"));
    let (code, _, err) = e.run(&["run", "--pack", "demo", "host"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: installed pack `demo` 0.1.0 is unsigned (installed with --allow-unsigned): nothing vouches for who wrote it"), "{err}");
}

#[cfg(unix)]
#[test]
fn bad_key_files_are_reported_and_do_not_block_the_good_one() {
    let e = Env::new();
    let keys = e.path("home/trusted-keys");
    std::fs::create_dir_all(keys.join("folder.pub")).expect("mkdir");
    std::os::unix::fs::symlink("/dev/zero", keys.join("a-zero.pub")).expect("symlink");
    write(&keys.join("b-huge.pub"), &"A".repeat(1 << 20));
    write(&keys.join("c-garbage.pub"), "untrusted comment: x\nnot base64 at all\n");
    e.installed_demo();
    let (code, out, err) = e.run(&["pack", "list"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("signed by") && out.contains("(team.pub)"), "{out}");
    let k = |n: &str| keys.join(n).display().to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert_eq!(
        lines[0],
        format!("warning: trusted key {} ignored: {}: not a regular file", k("a-zero.pub"), k("a-zero.pub"))
    );
    assert_eq!(
        lines[1],
        format!(
            "warning: trusted key {} ignored: {}: 1048576 bytes, more than the limit of 4096",
            k("b-huge.pub"),
            k("b-huge.pub")
        )
    );
    assert!(
        lines[2].starts_with(&format!(
            "warning: trusted key {} ignored: bad signature: c-garbage.pub: not a minisign public key",
            k("c-garbage.pub")
        )),
        "{err}"
    );
    assert_eq!(
        lines[3],
        format!("warning: trusted key {} ignored: {}: not a regular file", k("folder.pub"), k("folder.pub"))
    );
}

#[test]
fn lock_entries_with_bad_ids_are_reported_and_never_removed() {
    let e = Env::new();
    e.installed_demo();
    // A victim folder the `../` entry points at, which must survive.
    write(&e.path("home/victim/keep.txt"), "keep");
    let lock = std::fs::read_to_string(e.path("home/triage.lock")).expect("lock");
    let hash = "a".repeat(64);
    let evil = format!(
        "{lock}\n[[pack]]\nid = \"../victim\"\nversion = \"1.0.0\"\nhash = \"sha256:{hash}\"\nsource = \"x\"\n\n[[pack]]\nid = \"ok-id\"\nversion = \"one\"\nhash = \"md5:x\"\nsource = \"x\"\n"
    );
    write(&e.path("home/triage.lock"), &evil);
    let (code, out, err) = e.run(&["pack", "list"]);
    assert_eq!(code, 2, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("demo 0.1.0  sha256:"), "{out}");
    assert_eq!(
        lines[1],
        "../victim 1.0.0  INVALID: `../victim` is not a valid pack ID (lower-case letters, digits and `-`, starting with a letter or digit, at most 64 characters)"
    );
    assert_eq!(lines[2], "ok-id one  INVALID: version `one` is not semver");
    assert_eq!(err, "error: 2 installed pack(s) cannot be used (see above)\n");

    let (code, out, err) = e.run(&["pack", "remove", "../victim"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("`../victim` is not a valid pack ID: lower-case letters, digits and `-`"), "{err}");
    assert!(e.path("home/victim/keep.txt").is_file());
    assert_eq!(std::fs::read_to_string(e.path("home/triage.lock")).expect("lock"), evil, "lock untouched");
    let (code, _, err) = e.run(&["run", "--pack", "ok-id", "home"]);
    assert_eq!(code, 2);
    assert!(err.contains("the entry of `ok-id`: version `one` is not semver"), "{err}");
    // The valid pack still works beside the bad entries.
    write(&e.path("host/systeminfo.txt"), &systeminfo("20348"));
    e.ok(&["run", "--pack", "demo", "host"]);
}

#[test]
fn pack_ids_have_one_definition() {
    let e = Env::new();
    let (code, _, err) = e.run(&["pack", "new", "my_pack"]);
    assert_eq!(code, 2);
    assert!(err.contains("`my_pack` is not a valid pack ID: lower-case letters, digits and `-`"), "{err}");
    assert!(!e.path("my_pack").exists());
    e.ok(&["pack", "new", "demo"]);
    let toml = std::fs::read_to_string(e.path("demo/pack.toml")).expect("read");
    write(&e.path("demo/pack.toml"), &toml.replace("id = \"demo\"", "id = \"my_pack\""));
    let (code, _, err) = e.run(&["pack", "install", "demo", "--allow-unsigned"]);
    assert_eq!(code, 2);
    assert!(err.contains("pack.toml: pack id `my_pack` is not valid: lower-case letters"), "{err}");
    let (code, out, _) = e.run(&["pack", "check", "demo"]);
    assert_eq!(code, 2);
    assert!(out.contains("pack id `my_pack` is not valid"), "{out}");
}

#[cfg(unix)]
#[test]
fn pack_test_reads_only_inside_the_pack() {
    let e = Env::new();
    e.ok(&["pack", "new", "demo"]);
    write(&e.path("outside/systeminfo.txt"), &systeminfo("7601"));
    let toml = std::fs::read_to_string(e.path("demo/pack.toml")).expect("read");
    let cases = toml.replacen("facts = { os = { build = 7601 } }", "input = \"../outside\"", 1).replacen(
        "facts = { os = { build = 20348 } }",
        "input = \"/etc\"",
        1,
    );
    write(&e.path("demo/pack.toml"), &cases);
    let (code, out, _) = e.run(&["pack", "test", "demo"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("    could not run: input `../outside` must be a path inside the pack folder: `.` or `..` in path"), "{out}");
    assert!(
        out.contains("    could not run: input `/etc` must be a path inside the pack folder: absolute path"),
        "{out}"
    );

    // A link out of the pack (here to /dev/zero) is refused before anything is read.
    write(
        &e.path("demo/pack.toml"),
        &toml.replacen("facts = { os = { build = 7601 } }", "input = \"tests/zero\"", 1),
    );
    std::fs::create_dir_all(e.path("demo/tests")).expect("mkdir");
    std::os::unix::fs::symlink("/dev/zero", e.path("demo/tests/zero")).expect("symlink");
    let (code, out, err) = e.run(&["pack", "test", "demo"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("demo: \"tests/zero\": links are not allowed in a pack"), "{err}");
    std::fs::remove_file(e.path("demo/tests/zero")).expect("rm");
    std::os::unix::fs::symlink(e.path("outside"), e.path("demo/tests/zero")).expect("symlink");
    let (code, _, err) = e.run(&["pack", "test", "demo"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"tests/zero\": links are not allowed in a pack"), "{err}");
    std::fs::remove_file(e.path("demo/tests/zero")).expect("rm");

    // A file over the per-file limit.
    let big = std::fs::File::create(e.path("demo/tests/zero")).expect("create");
    big.set_len(16 * 1024 * 1024 + 1).expect("sparse file");
    let (code, _, err) = e.run(&["pack", "test", "demo"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"tests/zero\": file is 16777217 bytes, more than the limit of 16777216"), "{err}");
}

#[cfg(unix)]
#[test]
fn lock_file_and_signature_reads_are_bounded() {
    let e = Env::new();
    // A lock file over its limit is refused, not parsed.
    let big = std::fs::File::create({
        std::fs::create_dir_all(e.path("home")).expect("mkdir");
        e.path("home/triage.lock")
    })
    .expect("create");
    big.set_len(4 * 1024 * 1024 + 1).expect("sparse");
    let (code, _, err) = e.run(&["pack", "list"]);
    assert_eq!(code, 2);
    let lock = e.path("home/triage.lock");
    assert!(
        err.contains(&format!("{}: 4194305 bytes, more than the limit of 4194304", lock.display())),
        "{err}"
    );
    std::fs::remove_file(&lock).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &lock).expect("symlink");
    let (code, _, err) = e.run(&["pack", "list"]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("{}: not a regular file", lock.display())), "{err}");
    std::fs::remove_file(&lock).expect("rm");

    // A pack folder whose signature is a link to /dev/zero is refused before it is read.
    e.ok(&["pack", "new", "demo", "--dir", "src"]);
    std::os::unix::fs::symlink("/dev/zero", e.path("src/demo/MANIFEST.sha256.minisig")).expect("symlink");
    let (code, _, err) = e.run(&["pack", "install", "src/demo"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"MANIFEST.sha256.minisig\": links are not allowed in a pack"), "{err}");
}
