//! Writing bundles: folder and zip hold the same thing, bytes are reproducible, writes are
//! atomic, and the manifest describes what was collected.

mod bundle_support;

use std::path::Path;

use bundle_support::*;
use triage_collectors::bundle::{self, BundleError, CreateOptions};
use triage_facts::{Timestamp, Value};

const T: Timestamp = Timestamp(1_795_000_000_000); // 2026-11-18T11:06:40Z

fn create(input: &Path, out: &Path, at: Option<Timestamp>) -> bundle::Created {
    let cs = collectors();
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = at;
    bundle::create(input, out, &o).expect("bundle written")
}

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn folder_and_zip_hold_the_artifacts_facts_and_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    sample_input(&input);
    let folder = create(&input, &dir.path().join("b"), Some(T));
    let zip = create(&input, &dir.path().join("b.zip"), Some(T));
    assert_eq!(folder.manifest, zip.manifest);

    let m = &folder.manifest;
    assert_eq!(m.format, "triage-bundle");
    assert_eq!(m.format_version, bundle::FORMAT_VERSION);
    assert_eq!(m.triage_version, "0.1.0-test");
    assert_eq!(m.collected_at, "2026-11-18T11:06:40.000Z");
    assert_eq!(m.host, "WSUS01");
    assert_eq!(m.source, "folder");
    assert_eq!(m.duration_ms, None, "reproducible bundles carry no durations");
    let paths: Vec<&str> = m.artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "capture.pcap",
            "gpresult.xml",
            "logs/SoftwareDistribution.log",
            "registry/tls.reg",
            "systeminfo.txt"
        ]
    );
    let reg = m.artifact("registry/tls.reg").expect("listed");
    let original = std::fs::read(input.join("registry/tls.reg")).expect("read");
    assert_eq!(reg.sha256, sha256(&original));
    assert_eq!(reg.size, original.len() as u64);
    assert_eq!(reg.encoding.as_deref(), Some("utf-16le"));
    assert_eq!(reg.collector.as_deref(), Some("label"));
    assert_eq!(m.artifact("capture.pcap").and_then(|a| a.collector.as_deref()), Some("peer"));

    let label = &m.collectors["label"];
    assert_eq!(label.version, "3");
    assert_eq!(label.artifacts, 4);
    assert_eq!(label.errors.len(), 1);
    assert_eq!(label.errors[0].artifact, "systeminfo.txt");
    assert_eq!(label.errors[0].line, Some(6));
    assert_eq!(label.duration_ms, None);
    assert_eq!(m.collectors["peer"].items, 1);

    for path in [dir.path().join("b"), dir.path().join("b.zip")] {
        let b = bundle::open(&path).expect("opens");
        assert_eq!(b.manifest, folder.manifest);
        assert_eq!(b.facts, folder.facts);
        assert_eq!(get_str(&b.facts, "os.hostname"), Some("WSUS01"));
        assert_eq!(get_str(&b.facts, "collection.host"), Some("WSUS01"));
        assert_eq!(b.facts.get("collection.collected_at").map(|f| &f.value), Some(&Value::Timestamp(T)));
        assert_eq!(b.artifact_bytes("registry/tls.reg").expect("reads"), original);
        let text = b.artifact_text("registry/tls.reg").expect("decodes");
        assert!(text.starts_with("Windows Registry Editor Version 5.00\r\n"), "{text}");
        // Provenance spans point into the decoded artifact text.
        let f = b.facts.get_segments(&["lines", "systeminfo.txt", "Domain"]).expect("fact");
        let src = f.source.as_ref().expect("provenance");
        let span = src.span.expect("span");
        let t = b.artifact_text(&src.artifact).expect("text");
        assert_eq!(&t[span.start as usize..span.end as usize], "Domain:                    contoso.local");
        assert!(matches!(b.artifact_bytes("nope.txt"), Err(BundleError::NoSuchArtifact { .. })));
    }
}

#[test]
fn the_same_input_and_time_give_the_same_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    sample_input(&input);
    create(&input, &dir.path().join("1.zip"), Some(T));
    create(&input, &dir.path().join("2.zip"), Some(T));
    let a = std::fs::read(dir.path().join("1.zip")).expect("read");
    let b = std::fs::read(dir.path().join("2.zip")).expect("read");
    assert!(a == b, "zip bundles differ");
    create(&input, &dir.path().join("f1"), Some(T));
    create(&input, &dir.path().join("f2"), Some(T));
    assert_eq!(tree(&dir.path().join("f1")), tree(&dir.path().join("f2")));
    create(&input, &dir.path().join("3.zip"), Some(Timestamp(T.0 + 2000)));
    assert_ne!(a, std::fs::read(dir.path().join("3.zip")).expect("read"), "the time is in the bundle");
}

#[test]
fn a_live_clock_records_durations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    sample_input(&input);
    let c = create(&input, &dir.path().join("b"), None);
    assert!(c.manifest.duration_ms.is_some());
    assert!(c.manifest.collectors.values().all(|r| r.duration_ms.is_some()));
    let at = Timestamp::parse_rfc3339(&c.manifest.collected_at).expect("rfc3339");
    assert!(at.0 > T.0 - 86_400_000 * 365, "collected now, not at the epoch");
}

#[test]
fn writes_are_atomic_and_never_clobber() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    sample_input(&input);
    let out = dir.path().join("out").join("b.zip");
    create(&input, &out, Some(T));
    let cs = collectors();
    let o = CreateOptions::new(&cs, "0.1.0-test");
    let before = std::fs::read(&out).expect("read");
    let err = bundle::create(&input, &out, &o).expect_err("exists");
    assert!(matches!(err, BundleError::Exists { .. }), "{err}");
    assert_eq!(std::fs::read(&out).expect("read"), before);

    // A missing input fails before anything is written under the final name.
    let err = bundle::create(&dir.path().join("missing"), &dir.path().join("out").join("x.zip"), &o)
        .expect_err("no input");
    assert!(err.to_string().contains("missing"), "{err}");
    let names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["b.zip"], "no partial or staging leftovers");

    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.overwrite = true;
    o.collected_at = Some(Timestamp(T.0 + 1000));
    bundle::create(&input, &out, &o).expect("overwrites");
    assert_ne!(std::fs::read(&out).expect("read"), before);
}

#[test]
fn a_single_file_input_is_a_bundle_of_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    sample_input(&input);
    let c = create(&input.join("systeminfo.txt"), &dir.path().join("one.zip"), Some(T));
    assert_eq!(c.manifest.artifacts.len(), 1);
    assert_eq!(c.manifest.artifacts[0].path, "systeminfo.txt");
    let b = bundle::open(&dir.path().join("one.zip")).expect("opens");
    assert_eq!(
        b.artifact_text("systeminfo.txt").expect("text").lines().next(),
        Some("Host Name:                 WSUS01")
    );
}
