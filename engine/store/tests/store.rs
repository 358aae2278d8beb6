//! The store end to end: building, signing, installing from folders, archives and local git
//! repositories, updating, tampering, key rotation, the engine requirement, and interoperability
//! with the `minisign` tool.

use std::path::{Path, PathBuf};
use std::process::Command;

use triage_store::files::{MANIFEST_NAME, SIGNATURE_NAME};
use triage_store::signing::generate_keypair;
use triage_store::store::{build_pack, sign_pack, signature_path_for_archive, InstallOptions, UpdatePlan};
use triage_store::{Error, Store};

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    store: Store,
    /// Secret keys: "old" and "new" trusted, "stranger" not.
    old: PathBuf,
    new: PathBuf,
    stranger: PathBuf,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_owned();
    let store = Store::at(root.join("home"));
    let keys = root.join("keys");
    let (old, old_pub) = generate_keypair(&keys, "old", None).expect("keygen");
    let (new, new_pub) = generate_keypair(&keys, "new", None).expect("keygen");
    let (stranger, _) = generate_keypair(&keys, "stranger", None).expect("keygen");
    std::fs::create_dir_all(store.keys_dir()).expect("mkdir");
    for p in [&old_pub, &new_pub] {
        std::fs::copy(p, store.keys_dir().join(p.file_name().expect("name"))).expect("copy");
    }
    Env { _tmp: tmp, root, store, old, new, stranger }
}

const RULE_A: &str = r#"
[[rule]]
id = "DEMO001"
title = "Old build"
severity = "warning"
when = 'facts.os.build < 9200'
resolution = "Upgrade."
"#;

fn write_pack(dir: &Path, version: &str, engine: &str, rules: &str) {
    std::fs::create_dir_all(dir.join("tests/case")).expect("mkdir");
    let toml = format!("[pack]\nid = \"demo\"\nversion = \"{version}\"\nengine = \"{engine}\"\ntitle = \"Demo\"\nretired = []\n{rules}");
    std::fs::write(dir.join("pack.toml"), toml).expect("write");
    std::fs::write(dir.join("CHANGELOG.md"), format!("## {version}\n")).expect("write");
    std::fs::write(dir.join("tests/case/systeminfo.txt"), "OS Version: 6.1.7601\r\n").expect("write");
}

fn opts(allow_unsigned: bool) -> InstallOptions {
    InstallOptions { allow_unsigned }
}

#[test]
fn signed_folder_installs_and_resolves_by_content_hash() {
    let e = env();
    let src = e.root.join("src/demo");
    write_pack(&src, "1.0.0", "^0.2", RULE_A);

    // Unsigned: refused, unless allowed.
    assert!(matches!(e.store.install(src.to_str().expect("utf8"), &opts(false)), Err(Error::Unsigned)));

    sign_pack(&src, &e.old, None).expect("sign");
    assert!(src.join(MANIFEST_NAME).is_file() && src.join(SIGNATURE_NAME).is_file());
    let entry = e.store.install(src.to_str().expect("utf8"), &opts(false)).expect("install");
    assert_eq!((entry.id.as_str(), entry.version.as_str()), ("demo", "1.0.0"));
    assert!(entry.hash.starts_with("sha256:") && entry.hash.len() == 71, "{}", entry.hash);
    assert_eq!(entry.key_file.as_deref(), Some("old.pub"));
    assert_eq!(entry.signed_by.as_ref().map(String::len), Some(16));

    // The lock file records it; a second install is refused.
    let lock = std::fs::read_to_string(e.store.lock_path()).expect("lock");
    assert!(lock.contains("id = \"demo\"") && lock.contains(&entry.hash), "{lock}");
    assert!(matches!(
        e.store.install(src.to_str().expect("utf8"), &opts(false)),
        Err(Error::AlreadyInstalled { .. })
    ));
    assert_eq!(e.store.list().expect("list"), vec![entry.clone()]);

    let dir = e.store.resolve("demo").expect("resolves").dir;
    assert_eq!(
        std::fs::read_to_string(dir.join("tests/case/systeminfo.txt")).expect("read"),
        "OS Version: 6.1.7601\r\n"
    );

    // Tampering with an installed file is caught when the pack is used, whatever its mtime.
    let meta = std::fs::metadata(dir.join("pack.toml")).expect("meta");
    std::fs::write(
        dir.join("pack.toml"),
        std::fs::read_to_string(dir.join("pack.toml")).expect("r").replace("< 9200", "< 1"),
    )
    .expect("w");
    let f = std::fs::File::options().write(true).open(dir.join("pack.toml")).expect("open");
    f.set_modified(meta.modified().expect("mtime")).expect("set mtime");
    let err = e.store.resolve("demo").expect_err("tampered");
    assert!(matches!(err, Error::Corrupt { .. }) && err.to_string().contains("changed: pack.toml"), "{err}");

    // Remove takes it out of the lock and the disk.
    e.store.remove("demo").expect("remove");
    assert!(e.store.list().expect("list").is_empty());
    assert!(!dir.exists());
    assert!(matches!(e.store.resolve("demo"), Err(Error::NotInstalled(_))));
}

#[test]
fn unsigned_and_untrusted_need_allow_unsigned() {
    let e = env();
    let src = e.root.join("src/demo");
    write_pack(&src, "1.0.0", "^0.2", RULE_A);
    let entry = e.store.install(src.to_str().expect("utf8"), &opts(true)).expect("allowed");
    assert_eq!(entry.signed_by, None);
    e.store.remove("demo").expect("remove");

    sign_pack(&src, &e.stranger, None).expect("sign");
    let err = e.store.install(src.to_str().expect("utf8"), &opts(false)).expect_err("untrusted");
    assert!(matches!(err, Error::Untrusted { .. }), "{err}");
    assert!(err.to_string().contains("not trusted") && err.to_string().contains("old.pub"), "{err}");
    assert_eq!(e.store.install(src.to_str().expect("utf8"), &opts(true)).expect("allowed").signed_by, None);
}

#[test]
fn archives_are_deterministic_and_tampering_is_refused() {
    let e = env();
    let src = e.root.join("src/demo");
    write_pack(&src, "1.0.0", "^0.2", RULE_A);
    let (a, info) = build_pack(&src, &e.root.join("dist")).expect("build");
    assert_eq!(a.file_name().and_then(|n| n.to_str()), Some("demo-1.0.0.tar.gz"));
    assert_eq!(info.id, "demo");
    let bytes = std::fs::read(&a).expect("read");
    // Rebuilding after touching every file gives the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(src.join("pack.toml"), std::fs::read(src.join("pack.toml")).expect("r")).expect("w");
    let (b, _) = build_pack(&src, &e.root.join("dist2")).expect("build");
    assert_eq!(bytes, std::fs::read(&b).expect("read"));

    // Unsigned archive refused; signed installs.
    assert!(matches!(e.store.install(a.to_str().expect("utf8"), &opts(false)), Err(Error::Unsigned)));
    let sig = sign_pack(&a, &e.new, None).expect("sign");
    assert_eq!(sig, signature_path_for_archive(&a));

    // A tampered signature is refused, even with --allow-unsigned.
    let good_sig = std::fs::read_to_string(&sig).expect("sig");
    let mut lines: Vec<&str> = good_sig.lines().collect();
    let forged = "trusted comment: triage pack demo 9.9.9".to_owned();
    lines[2] = &forged;
    std::fs::write(&sig, lines.join("\n")).expect("write");
    for allow in [false, true] {
        let err = e.store.install(a.to_str().expect("utf8"), &opts(allow)).expect_err("forged");
        assert!(matches!(err, Error::BadSignature(_)), "{err}");
    }
    std::fs::write(&sig, &good_sig).expect("restore");

    // An archive whose file differs from its manifest is refused, signed or not.
    let tampered = e.root.join("dist/tampered.tar.gz");
    let mut unpacked = triage_store::archive::read_file(&a).expect("read");
    let mut files = triage_store::PackFiles::new();
    for (p, c) in unpacked.files.iter() {
        let c = if p == "pack.toml" {
            String::from_utf8_lossy(c).replace("< 9200", "< 1").into_bytes()
        } else {
            c.to_vec()
        };
        files.insert(p, c).expect("insert");
    }
    let raw = rebuild_with_manifest(&files, &unpacked.manifest);
    std::fs::write(&tampered, raw).expect("write");
    std::fs::copy(&sig, signature_path_for_archive(&tampered)).expect("copy sig");
    let err = e.store.install(tampered.to_str().expect("utf8"), &opts(true)).expect_err("tampered");
    assert!(matches!(&err, Error::Tampered { problems } if problems == &["  changed: pack.toml"]), "{err}");

    // A rebuilt archive with a fresh manifest no longer matches the signature.
    std::fs::write(&tampered, triage_store::archive::build(&files).expect("build")).expect("write");
    let err = e.store.install(tampered.to_str().expect("utf8"), &opts(false)).expect_err("resigned");
    assert!(matches!(err, Error::BadSignature(_)), "{err}");

    unpacked.manifest.clear();
    let entry = e.store.install(a.to_str().expect("utf8"), &opts(false)).expect("install");
    assert_eq!(entry.key_file.as_deref(), Some("new.pub"));
    assert_eq!(entry.source, std::fs::canonicalize(&a).expect("abs").display().to_string());
}

/// An archive holding `files` but an older manifest (what an attacker who edits a file gets).
fn rebuild_with_manifest(files: &triage_store::PackFiles, manifest: &[u8]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut t = tar::Builder::new(gz);
    let mut add = |p: &str, c: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(c.len() as u64);
        h.set_mode(0o644);
        t.append_data(&mut h, p, c).expect("append");
    };
    add(MANIFEST_NAME, manifest);
    for (p, c) in files.iter() {
        add(p, c);
    }
    t.into_inner().expect("tar").finish().expect("gz")
}

#[test]
fn newer_engine_requirement_is_refused_clearly() {
    let e = env();
    let src = e.root.join("src/demo");
    write_pack(&src, "2.0.0", ">=99.0", RULE_A);
    sign_pack(&src, &e.old, None).expect("sign");
    let err = e.store.install(src.to_str().expect("utf8"), &opts(false)).expect_err("refused");
    assert!(matches!(err, Error::Engine { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("pack demo 2.0.0 requires triage >=99.0, but this is triage {}; install a newer triage or an older version of the pack", triage_store::ENGINE_VERSION)
    );
    assert!(e.store.list().expect("list").is_empty());
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("git cannot run ({e}): install it (Debian package `git`); this test never skips")
        });
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn install_and_update_from_local_git_with_key_rotation() {
    let e = env();
    let repo = e.root.join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"]);
    write_pack(&repo, "1.0.0", "^0.2", RULE_A);
    sign_pack(&repo, &e.old, None).expect("sign v1 with the old key");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "v1"]);
    git(&repo, &["tag", "v1.0.0"]);
    let v1_commit = git(&repo, &["rev-parse", "HEAD"]);

    let url = format!("file://{}", repo.display());
    let entry = e.store.install(&url, &opts(false)).expect("install from git");
    assert_eq!((entry.version.as_str(), entry.commit.as_deref()), ("1.0.0", Some(v1_commit.as_str())));
    assert_eq!(entry.source, url);
    assert_eq!(entry.key_file.as_deref(), Some("old.pub"));

    // Nothing new upstream: up to date.
    assert!(matches!(
        e.store.prepare_update("demo", None, &opts(false)).expect("plan"),
        UpdatePlan::UpToDate(_)
    ));

    // v2, signed with the new key (rotation): changes a condition, adds and retires rules.
    let rules = format!(
        "{}\n[[rule]]\nid = \"DEMO002\"\ntitle = \"New check\"\nseverity = \"error\"\nwhen = 'true'\nresolution = \"x\"\n",
        RULE_A.replace("< 9200", "< 9600").replace("warning", "error")
    );
    write_pack(&repo, "1.1.0", "^0.2", &rules);
    sign_pack(&repo, &e.new, None).expect("sign v2 with the new key");
    git(&repo, &["commit", "-qam", "v2"]);
    let v2_commit = git(&repo, &["rev-parse", "HEAD"]);

    let plan = e.store.prepare_update("demo", None, &opts(false)).expect("plan");
    let UpdatePlan::Update(u) = &plan else { panic!("expected an update, got {plan:?}") };
    let text = u.diff.render();
    assert!(text.contains("pack demo: 1.0.0 -> 1.1.0"), "{text}");
    assert!(text.contains("+ DEMO002 New check"), "{text}");
    assert!(text.contains("condition (when): facts.os.build < 9200 -> facts.os.build < 9600"), "{text}");
    assert!(text.contains("severity (severity): warning -> error"), "{text}");
    // Planning wrote nothing.
    assert_eq!(e.store.entry("demo").expect("entry").version, "1.0.0");
    let updated = e.store.apply_update(plan).expect("apply");
    assert_eq!((updated.version.as_str(), updated.commit.as_deref()), ("1.1.0", Some(v2_commit.as_str())));
    assert_eq!(updated.key_file.as_deref(), Some("new.pub"));
    let dir = e.store.resolve("demo").expect("resolves").dir;
    assert!(std::fs::read_to_string(dir.join("pack.toml")).expect("read").contains("DEMO002"));

    // The old key is retired: a pack signed only by it is no longer accepted.
    std::fs::remove_file(e.store.keys_dir().join("old.pub")).expect("rm");
    e.store.remove("demo").expect("remove");
    let err = e.store.install(&format!("{url}@v1.0.0"), &opts(false)).expect_err("old key gone");
    assert!(matches!(err, Error::Untrusted { .. }), "{err}");
    // The pinned tag installs v1 when allowed.
    let pinned = e.store.install(&format!("{url}@v1.0.0"), &opts(true)).expect("pinned");
    assert_eq!((pinned.version.as_str(), pinned.commit.as_deref()), ("1.0.0", Some(v1_commit.as_str())));
    assert!(e.store.install(&format!("{url}@no-such-tag"), &opts(true)).is_err());
}

#[test]
fn update_refuses_changed_content_under_the_same_version_and_downgrades() {
    let e = env();
    let src = e.root.join("src/demo");
    write_pack(&src, "1.1.0", "^0.2", RULE_A);
    sign_pack(&src, &e.old, None).expect("sign");
    e.store.install(src.to_str().expect("utf8"), &opts(false)).expect("install");

    write_pack(&src, "1.1.0", "^0.2", &RULE_A.replace("Upgrade.", "Upgrade now."));
    sign_pack(&src, &e.old, None).expect("sign");
    let err = e.store.prepare_update("demo", None, &opts(false)).expect_err("same version");
    assert!(err.to_string().contains("the content changed but the version did not"), "{err}");

    write_pack(&src, "1.0.0", "^0.2", RULE_A);
    sign_pack(&src, &e.old, None).expect("sign");
    let err = e.store.prepare_update("demo", None, &opts(false)).expect_err("downgrade");
    assert!(err.to_string().contains("older than the installed 1.1.0"), "{err}");
}

/// `minisign` on PATH, or why not.
fn minisign_tool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("minisign")).find(|p| p.is_file()));
    if found.is_none() {
        // `.ci/run` installs it: in CI a missing tool is a failure, not a skip.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the `minisign` tool is not installed (apt-get install minisign), and CI=true"
        );
        eprintln!("SKIPPED minisign interoperability: the `minisign` tool is not installed (apt-get install minisign)");
    }
    found
}

#[test]
fn interoperates_with_the_minisign_tool() {
    let Some(tool) = minisign_tool() else { return };
    let e = env();
    let src = e.root.join("src/demo");
    write_pack(&src, "1.0.0", "^0.2", RULE_A);
    let run = |args: &[&str]| {
        let out = Command::new(&tool)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("minisign runs");
        assert!(
            out.status.success(),
            "minisign {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let p = |p: &Path| p.to_str().expect("utf8").to_owned();

    // Tool signs, triage verifies: a key made by `minisign -G -W` (no password).
    let tool_sk = e.root.join("tool.key");
    let tool_pk = e.root.join("tool.pub");
    run(&["-G", "-W", "-p", &p(&tool_pk), "-s", &p(&tool_sk)]);
    let manifest = triage_store::store::write_manifest(&src).expect("manifest");
    run(&["-S", "-s", &p(&tool_sk), "-m", &p(&manifest)]);
    assert!(src.join(SIGNATURE_NAME).is_file(), "minisign writes MANIFEST.sha256.minisig by default");
    let err = e.store.install(&p(&src), &opts(false)).expect_err("tool key not trusted yet");
    assert!(matches!(err, Error::Untrusted { .. }), "{err}");
    std::fs::copy(&tool_pk, e.store.keys_dir().join("tool.pub")).expect("trust");
    let entry = e.store.install(&p(&src), &opts(false)).expect("tool signature verifies");
    assert_eq!(entry.key_file.as_deref(), Some("tool.pub"));

    // Archive: the manifest taken out of the archive, signed by the tool.
    let (a, _) = build_pack(&src, &e.root.join("dist")).expect("build");
    let extracted = e.root.join("MANIFEST.sha256");
    std::fs::write(&extracted, triage_store::archive::read_file(&a).expect("read").manifest).expect("write");
    run(&["-S", "-s", &p(&tool_sk), "-m", &p(&extracted), "-x", &p(&signature_path_for_archive(&a))]);
    let fetched = triage_store::store::fetch(&p(&a)).expect("fetch");
    let keys = e.store.trusted_keys().expect("keys").keys;
    triage_store::store::verify_fetched(fetched, &keys, "k", &opts(false), &triage_store::engine_version())
        .expect("verifies");

    // triage signs (a key triage generated, and the tool's own key), the tool verifies.
    for (sk, pk) in [(e.old.clone(), e.root.join("keys/old.pub")), (tool_sk.clone(), tool_pk.clone())] {
        let sig = sign_pack(&src, &sk, None).expect("triage signs");
        run(&["-V", "-p", &p(&pk), "-m", &p(&src.join(MANIFEST_NAME)), "-x", &p(&sig)]);
    }
    // And the tool rejects a manifest that changed after signing.
    std::fs::write(src.join(MANIFEST_NAME), "0".repeat(64) + "  x\n").expect("write");
    let out = Command::new(&tool)
        .args([
            "-V",
            "-p",
            &p(&tool_pk),
            "-m",
            &p(&src.join(MANIFEST_NAME)),
            "-x",
            &p(&src.join(SIGNATURE_NAME)),
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
}

#[test]
fn a_damaged_lock_file_is_an_error_naming_it() {
    let e = env();
    std::fs::create_dir_all(e.store.root()).expect("mkdir");
    std::fs::write(e.store.lock_path(), "format = 1\n[[pack]]\nid = 3\n").expect("write");
    let err = e.store.list().expect_err("damaged");
    assert!(matches!(err, Error::Lock { .. }) && err.to_string().contains("triage.lock"), "{err}");
    std::fs::write(e.store.lock_path(), "format = 2\n").expect("write");
    assert!(e.store.list().expect_err("future format").to_string().contains("format 2 is not supported"));
    std::fs::remove_file(e.store.lock_path()).expect("rm");
    assert!(e.store.list().expect("no lock file is an empty store").is_empty());
    assert!(matches!(e.store.remove("nothing"), Err(Error::NotInstalled(_))));
}
