//! A `.zip` without a manifest is an archive of artifacts (`bundle::archive`): read like a
//! folder, its entries checked as a bundle's after Windows' backslashes are made `/`, its facts
//! always derived from its artifacts, and the bundle limits held.

use std::io::Write;
use std::path::{Path, PathBuf};

use triage_collectors::bundle::{self, archive, BundleError, Limits};
use triage_facts::Value;

/// Writes a zip with these `(name as stored, bytes)` entries, deflated.
fn zip(dir: &Path, name: &str, entries: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join(name);
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (n, bytes) in entries {
        z.start_file(*n, opts).expect("entry");
        z.write_all(bytes).expect("write");
    }
    z.finish().expect("finish");
    path
}

const SYSTEMINFO: &[u8] = b"\r\nHost Name:                 WSUS-A\r\nOS Name:                   Microsoft Windows Server 2012 R2 Standard\r\nOS Version:                6.3.9600 N/A Build 9600\r\n";

fn refusal(path: &Path) -> (String, String) {
    match archive::open_archive_of_artifacts(path) {
        Err(BundleError::UnsafeEntry { entry, reason, .. }) => (entry, reason),
        other => panic!("expected an unsafe entry, got {other:?}"),
    }
}

#[test]
fn backslash_names_are_normalised_and_facts_come_from_the_artifacts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let forged = br#"{"os":{"hostname":{"value":"FORGED"}}}"#;
    let z = zip(
        dir.path(),
        "script.zip",
        &[("system\\systeminfo.txt", SYSTEMINFO), ("facts.json", forged), ("registry\\", b"")],
    );
    assert!(!bundle::zip_has_manifest(&z).expect("a zip"));
    let a = archive::open_archive_of_artifacts(&z).expect("opens");
    assert_eq!(a.artifacts().collect::<Vec<_>>(), ["facts.json", "system/systeminfo.txt"]);
    let c = a.collect(&triage_collectors::all(), None, &Default::default()).expect("collects");
    let host = c.facts.get_segments(&["os", "hostname"]).expect("host name");
    assert_eq!(host.value, Value::Str("WSUS-A".into()));
    assert_eq!(host.source.as_ref().expect("provenance").artifact, "system/systeminfo.txt");
    // A snippet is read back from the archive under the normalised name.
    let mut text = String::new();
    std::io::Read::read_to_string(&mut a.open_artifact("system/systeminfo.txt").expect("opens"), &mut text)
        .expect("reads");
    assert_eq!(text.as_bytes(), SYSTEMINFO);
}

#[test]
fn normalised_names_are_checked_as_a_bundle_s() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: &[(&str, &[&str], &str)] = &[
        ("dotdot.zip", &["logs\\..\\..\\evil.txt"], "`..` segment (path traversal)"),
        ("absolute.zip", &["\\Windows\\evil.txt"], "absolute path"),
        ("drive.zip", &["C:\\Windows\\evil.txt"], "drive letter"),
        ("stream.zip", &["a.txt:hidden"], "`:` in name (alternate data stream or drive)"),
        ("twice.zip", &["system\\systeminfo.txt", "system/systeminfo.txt"], "appears twice in the archive"),
    ];
    for (name, entries, why) in cases {
        let entries: Vec<(&str, &[u8])> = entries.iter().map(|n| (*n, SYSTEMINFO)).collect();
        let z = zip(dir.path(), name, &entries);
        let (entry, reason) = refusal(&z);
        assert_eq!(reason, *why, "{name}");
        assert_eq!(entry, entries.last().expect("one").0, "{name}: the entry as stored is named");
    }
    // A file inside a name that is a file itself cannot be extracted: refused, not half-done.
    let z = zip(dir.path(), "file-and-folder.zip", &[("a", b"x"), ("a\\b.txt", b"y")]);
    assert_eq!(refusal(&z), ("a\\b.txt".into(), "inside \"a\", which is a file in this archive".into()));
}

#[test]
fn the_bundle_limits_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let z = zip(dir.path(), "three.zip", &[("a", b"1"), ("b", b"2"), ("c", b"3")]);
    let few = Limits { max_entries: 2, ..Limits::default() };
    assert!(matches!(
        archive::open_archive_with_limits(&z, &few),
        Err(BundleError::TooLarge { reason, .. }) if reason == "3 entries, more than 2"
    ));
    let small = Limits { max_entry_size: 1, ..Limits::default() };
    let z = zip(dir.path(), "big.zip", &[("big.log", b"0123456789")]);
    assert!(matches!(
        archive::open_archive_with_limits(&z, &small),
        Err(BundleError::TooLarge { entry, reason, .. }) if entry == "big.log" && reason == "10 bytes uncompressed, more than 1"
    ));
    // 4 MiB of zeros deflate to a few KiB: a ratio far above 200:1.
    let zeros = vec![0u8; 4 << 20];
    let z = zip(dir.path(), "bomb.zip", &[("logs\\SoftwareDistribution.log", &zeros)]);
    match archive::open_archive_of_artifacts(&z) {
        Err(BundleError::TooLarge { entry, reason, .. }) => {
            assert_eq!(entry, "logs\\SoftwareDistribution.log");
            assert!(reason.ends_with("is above 200:1 (a zip bomb?)"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
