//! Bundles come from anyone: each way a hostile or broken bundle can hurt is refused with a
//! clear error naming the entry.

mod bundle_support;

use std::io::Write;
use std::path::{Path, PathBuf};

use bundle_support::*;
use proptest::prelude::*;
use triage_collectors::bundle::{self, BundleError, CreateOptions, Limits};
use triage_facts::Timestamp;

/// A valid folder bundle, and its manifest and facts bytes.
fn valid(dir: &Path) -> (PathBuf, Vec<u8>, Vec<u8>) {
    let input = dir.join("in");
    sample_input(&input);
    let out = dir.join("good");
    let cs = collectors();
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    bundle::create(&input, &out, &o).expect("written");
    let m = std::fs::read(out.join("manifest.json")).expect("manifest");
    let f = std::fs::read(out.join("facts.json")).expect("facts");
    (out, m, f)
}

enum Entry<'a> {
    File(&'a str, &'a [u8]),
    Link(&'a str, &'a str),
}

fn zip_of(path: &Path, entries: &[Entry<'_>]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for e in entries {
        match e {
            Entry::File(name, bytes) => {
                w.start_file(*name, opts).expect("start");
                w.write_all(bytes).expect("write");
            }
            Entry::Link(name, target) => w.add_symlink(*name, *target, opts).expect("symlink"),
        }
    }
    w.finish().expect("finish");
}

fn open_err(path: &Path) -> BundleError {
    bundle::open(path).expect_err("must be refused")
}

#[test]
fn path_traversal_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, m, f) = valid(dir.path());
    let z = dir.path().join("evil.zip");
    zip_of(
        &z,
        &[
            Entry::File("manifest.json", &m),
            Entry::File("facts.json", &f),
            Entry::File("artifacts/../../evil.txt", b"x"),
        ],
    );
    let e = open_err(&z);
    assert!(
        matches!(&e, BundleError::UnsafeEntry { entry, .. } if entry == "artifacts/../../evil.txt"),
        "{e}"
    );
    assert!(e.to_string().contains("path traversal"), "{e}");
}

#[test]
fn absolute_paths_and_drive_letters_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, m, f) = valid(dir.path());
    for name in ["/etc/cron.d/evil", "C:/Windows/System32/evil.dll", "artifacts\\..\\evil"] {
        let z = dir.path().join("abs.zip");
        zip_of(
            &z,
            &[Entry::File("manifest.json", &m), Entry::File("facts.json", &f), Entry::File(name, b"x")],
        );
        let e = open_err(&z);
        assert!(matches!(&e, BundleError::UnsafeEntry { entry, .. } if entry == name), "{name}: {e}");
    }
}

#[test]
fn links_are_refused_in_archives_and_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (good, m, f) = valid(dir.path());
    let z = dir.path().join("link.zip");
    zip_of(
        &z,
        &[
            Entry::File("manifest.json", &m),
            Entry::File("facts.json", &f),
            Entry::Link("artifacts/systeminfo.txt", "/etc/shadow"),
        ],
    );
    let e = open_err(&z);
    assert!(e.to_string().contains("symbolic link"), "{e}");

    #[cfg(unix)]
    {
        let target = good.join("artifacts/systeminfo.txt");
        std::fs::remove_file(&target).expect("remove");
        std::os::unix::fs::symlink("/etc/passwd", &target).expect("symlink");
        let e = open_err(&good);
        assert!(
            matches!(&e, BundleError::UnsafeEntry { entry, .. } if entry == "artifacts/systeminfo.txt"),
            "{e}"
        );
    }
    #[cfg(not(unix))]
    let _ = good;
}

#[test]
fn zip_bombs_and_oversized_entries_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, m, f) = valid(dir.path());
    let zeros = vec![0u8; 20 << 20];
    let z = dir.path().join("bomb.zip");
    zip_of(
        &z,
        &[
            Entry::File("manifest.json", &m),
            Entry::File("facts.json", &f),
            Entry::File("artifacts/zeros.log", &zeros),
        ],
    );
    assert!(std::fs::metadata(&z).expect("meta").len() < 1 << 20, "the bomb is small on disk");
    let e = open_err(&z);
    assert!(matches!(&e, BundleError::TooLarge { entry, .. } if entry == "artifacts/zeros.log"), "{e}");
    assert!(e.to_string().contains("compression ratio"), "{e}");

    let limits = Limits { max_entry_size: 1000, ..Limits::default() };
    let e = bundle::open_with_limits(&dir.path().join("good"), &limits).expect_err("facts too large");
    assert!(matches!(&e, BundleError::TooLarge { entry, .. } if entry == "facts.json"), "{e}");
    let limits = Limits { max_entries: 3, ..Limits::default() };
    let e = bundle::open_with_limits(&dir.path().join("good"), &limits).expect_err("too many");
    assert!(e.to_string().contains("more than 3 entries"), "{e}");
}

#[test]
fn corrupted_archives_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (good, _, _) = valid(dir.path());
    let cs = collectors();
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    let z = dir.path().join("b.zip");
    bundle::create(&dir.path().join("in"), &z, &o).expect("written");
    let bytes = std::fs::read(&z).expect("read");

    // Truncated: the central directory is gone.
    let t = dir.path().join("truncated.zip");
    std::fs::write(&t, &bytes[..bytes.len() / 2]).expect("write");
    let e = open_err(&t);
    assert!(matches!(e, BundleError::Corrupt { .. }), "{e}");

    // Not a zip at all.
    let t = dir.path().join("text.zip");
    std::fs::write(&t, b"this is not an archive").expect("write");
    assert!(matches!(open_err(&t), BundleError::Corrupt { .. }));

    // An artifact changed after collection: caught by its hash on read.
    std::fs::write(good.join("artifacts/systeminfo.txt"), b"Host Name: EVIL\r\n").expect("tamper");
    let b = bundle::open(&good).expect("manifest and facts are intact");
    let e = b.artifact_bytes("systeminfo.txt").expect_err("tampered");
    assert!(matches!(e, BundleError::Corrupt { .. }) && e.to_string().contains("systeminfo.txt"), "{e}");

    // The fact map changed: caught at open.
    std::fs::write(good.join("facts.json"), b"{}").expect("tamper");
    let e = open_err(&good);
    assert!(e.to_string().contains("facts.json"), "{e}");
}

#[test]
fn flipped_bytes_inside_compressed_data_are_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    valid(dir.path());
    let cs = collectors();
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    let z = dir.path().join("b.zip");
    bundle::create(&dir.path().join("in"), &z, &o).expect("written");
    let mut bytes = std::fs::read(&z).expect("read");
    let at = {
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("valid zip");
        let e = a.by_name("artifacts/capture.pcap").expect("entry");
        e.data_start().expect("data offset") as usize + 2
    };
    bytes[at] ^= 0xFF;
    std::fs::write(&z, &bytes).expect("write");
    match bundle::open(&z) {
        Err(e) => assert!(matches!(e, BundleError::Corrupt { .. }), "{e}"),
        Ok(b) => {
            let e = b.artifact_bytes("capture.pcap").expect_err("corrupted data");
            assert!(matches!(e, BundleError::Corrupt { .. }), "{e}");
        }
    }
}

#[test]
fn entries_the_manifest_does_not_list_and_foreign_zips_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, m, f) = valid(dir.path());
    let z = dir.path().join("extra.zip");
    zip_of(
        &z,
        &[Entry::File("manifest.json", &m), Entry::File("facts.json", &f), Entry::File("autorun.inf", b"x")],
    );
    let e = open_err(&z);
    assert!(matches!(&e, BundleError::UnsafeEntry { entry, .. } if entry == "autorun.inf"), "{e}");

    // Two entries with one name (the zip writer refuses to make one: rename after writing).
    let z = dir.path().join("dup.zip");
    zip_of(
        &z,
        &[Entry::File("manifest.json", &m), Entry::File("facts.json", &f), Entry::File("facts.jsoo", b"{}")],
    );
    let mut bytes = std::fs::read(&z).expect("read");
    let from = b"facts.jsoo";
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i + from.len() - 1] = b'n';
        }
        i += 1;
    }
    std::fs::write(&z, &bytes).expect("write");
    let e = open_err(&z);
    assert!(e.to_string().contains("duplicate"), "{e}");

    let z = dir.path().join("foreign.zip");
    zip_of(&z, &[Entry::File("readme.txt", b"hello")]);
    assert!(matches!(open_err(&z), BundleError::NotABundle { .. }));

    let z = dir.path().join("future.zip");
    let future = String::from_utf8(m.clone())
        .expect("utf8")
        .replace("\"format_version\": 2", "\"format_version\": 99");
    assert!(future.contains("\"format_version\": 99"), "the manifest was rewritten");
    zip_of(&z, &[Entry::File("manifest.json", future.as_bytes()), Entry::File("facts.json", &f)]);
    let e = open_err(&z);
    assert!(matches!(e, BundleError::UnsupportedFormat { found: 99, .. }), "{e}");
    assert!(e.to_string().ends_with("bundle format 99 is not supported (this triage reads formats 1 and 2; a newer format needs a newer triage)"), "{e}");

    let z = dir.path().join("listed.zip");
    let evil = String::from_utf8(m)
        .expect("utf8")
        .replace("\"path\": \"capture.pcap\"", "\"path\": \"../capture.pcap\"");
    zip_of(&z, &[Entry::File("manifest.json", evil.as_bytes()), Entry::File("facts.json", &f)]);
    let e = open_err(&z);
    assert!(matches!(&e, BundleError::UnsafeEntry { .. }), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random bytes, or a real bundle with random damage, never panic the reader.
    #[test]
    fn damaged_archives_never_panic(noise in proptest::collection::vec(any::<u8>(), 0..512), at in 0usize..4096, len in 1usize..64) {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.zip");
        std::fs::write(&p, &noise).expect("write");
        prop_assert!(bundle::open(&p).is_err());
        let mut z = Vec::new();
        {
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(&mut z));
            w.start_file("manifest.json", zip::write::SimpleFileOptions::default()).expect("start");
            w.write_all(b"{\"format\":\"triage-bundle\",\"format_version\":1}").expect("write");
            w.finish().expect("finish");
        }
        for i in at..(at + len).min(z.len()) {
            z[i] ^= noise.get(i % noise.len().max(1)).copied().unwrap_or(0x5A) | 1;
        }
        std::fs::write(&p, &z).expect("write");
        prop_assert!(bundle::open(&p).is_err());
    }

    #[test]
    fn entry_names_with_dotdot_are_never_accepted(parts in proptest::collection::vec("[a-z.]{1,4}", 1..5)) {
        let name = parts.join("/");
        if parts.iter().any(|p| p == ".." || p == ".") {
            prop_assert!(bundle::check_entry_name(&name).is_err());
        }
    }
}
