//! Bundles are bounded, verified and re-derived: size, entry-count and ratio limits over the whole
//! archive (not only per entry), an artifact whose hash differs from the manifest refuses the
//! bundle, a forged `facts.json` cannot change the facts of an artifact the bundle carries, and no
//! temporary file outlives collection.

mod bundle_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bundle_support::*;
use triage_collectors::bundle::{self, BundleError, CreateOptions, Limits};
use triage_facts::{Timestamp, Value};

/// Tests that extract `.zip` bundles run one at a time, so each can check that nothing is left.
static ZIPS: Mutex<()> = Mutex::new(());

fn create(dir: &Path, name: &str) -> PathBuf {
    let input = dir.join("in");
    if !input.exists() {
        sample_input(&input);
    }
    let out = dir.join(name);
    let cs = collectors();
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    bundle::create(&input, &out, &o).expect("written");
    out
}

fn host_line(facts: &triage_facts::FactMap) -> Option<Value> {
    facts.get_segments(&["os", "hostname"]).map(|f| f.value.clone())
}

/// Rewrites `facts.json` (and its record in the manifest, so the bundle is consistent) with
/// `edit` applied to its text.
fn forge_facts(bundle: &Path, edit: impl Fn(&str) -> String) {
    let facts = std::fs::read_to_string(bundle.join("facts.json")).expect("facts");
    let forged = edit(&facts);
    assert_ne!(forged, facts, "the edit must change something");
    std::fs::write(bundle.join("facts.json"), &forged).expect("write");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).expect("manifest"))
            .expect("json");
    m["facts"]["size"] = forged.len().into();
    m["facts"]["sha256"] = sha256(forged.as_bytes()).into();
    std::fs::write(bundle.join("manifest.json"), serde_json::to_vec_pretty(&m).expect("json"))
        .expect("write");
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_forged_facts_json_does_not_change_the_facts_of_carried_artifacts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = create(dir.path(), "b");
    let opened = bundle::open(&b).expect("opens");
    let honest = opened.collect_facts(&collectors(), None).expect("collects");
    let host = host_line(&honest).expect("the sample names its host");
    let Value::Str(h) = &host else { panic!("host is a string: {host:?}") };
    let h = h.clone();
    forge_facts(&b, |t| t.replace(&format!("\"{h}\""), "\"FORGED\""));
    let forged = bundle::open(&b).expect("still a consistent bundle");
    assert_eq!(host_line(&forged.facts), Some(Value::Str("FORGED".into())), "facts.json was forged");
    let derived = forged.collect_facts(&collectors(), None).expect("collects");
    assert_eq!(host_line(&derived), Some(host));
    assert_eq!(derived, honest);
}

fn tamper_artifact(bundle: &Path) -> String {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).expect("manifest"))
            .expect("json");
    let rel = m["artifacts"][0]["path"].as_str().expect("an artifact").to_owned();
    let p = bundle.join("artifacts").join(&rel);
    let mut bytes = std::fs::read(&p).expect("artifact");
    bytes[0] ^= 0x20;
    std::fs::write(&p, bytes).expect("write");
    rel
}

#[test]
fn a_tampered_artifact_refuses_the_bundle_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = create(dir.path(), "b");
    let rel = tamper_artifact(&b);
    let opened = bundle::open(&b).expect("the manifest and facts.json are intact");
    let e = opened.collect_facts(&collectors(), None).expect_err("refused");
    assert!(matches!(e, BundleError::Tampered { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("{}: artifact \"artifacts/{rel}\" refused: SHA-256 ", b.display())),
        "{msg}"
    );
    assert!(msg.contains("does not match the manifest's"), "{msg}");
}

fn zip_bundle(dir: &Path) -> PathBuf {
    let z = create(dir, "b.zip");
    assert!(z.is_file());
    z
}

#[test]
fn a_tampered_zip_artifact_is_refused_and_its_extraction_removed() {
    let _one = ZIPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = create(dir.path(), "b");
    let rel = tamper_artifact(&folder);
    // The same tree, zipped as `collect` would (entries in order).
    let z = dir.path().join("t.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&z).expect("create"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut names: Vec<PathBuf> = walkdir::WalkDir::new(&folder)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .collect();
    names.sort();
    for p in names {
        let name = p.strip_prefix(&folder).expect("inside").to_string_lossy().replace('\\', "/");
        w.start_file(name, opts).expect("start");
        w.write_all(&std::fs::read(&p).expect("read")).expect("write");
    }
    w.finish().expect("finish");
    let opened = bundle::open(&z).expect("opens");
    let e = opened.collect_facts(&collectors(), None).expect_err("refused");
    assert!(e.to_string().contains(&format!("artifact \"artifacts/{rel}\" refused: SHA-256 ")), "{e}");
    assert_eq!(triage_collectors::scratch::live(), Vec::<PathBuf>::new());
}

#[test]
fn a_zip_bundle_is_collected_from_its_artifacts_and_leaves_nothing_behind() {
    let _one = ZIPS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = create(dir.path(), "b");
    let z = zip_bundle(dir.path());
    let from_zip = bundle::open(&z).expect("opens").collect_facts(&collectors(), None).expect("collects");
    let from_folder =
        bundle::open(&folder).expect("opens").collect_facts(&collectors(), None).expect("collects");
    assert_eq!(from_zip, from_folder);
    assert_eq!(triage_collectors::scratch::live(), Vec::<PathBuf>::new());
}

/// A zip of `n` entries of `size` zero bytes each, listed in a manifest (so only the limits can
/// refuse it), and a `facts.json` of `facts` bytes. Returns the bytes of all entries.
fn bomb(path: &Path, n: usize, size: usize, facts: &[u8]) -> u64 {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let zeros = vec![0u8; size];
    let hash = sha256(&zeros);
    let artifacts: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"path": format!("f{i:05}.log"), "size": size, "sha256": hash}))
        .collect();
    let manifest = serde_json::json!({
        "format": "triage-bundle", "format_version": 1, "triage_version": "0.1.0",
        "collected_at": "2026-11-25T16:00:00.000Z", "host": "h", "source": "folder",
        "collectors": {}, "artifacts": artifacts,
        "facts": {"size": facts.len(), "sha256": sha256(facts)}, "errors": []
    });
    let manifest = serde_json::to_vec(&manifest).expect("json");
    w.start_file("manifest.json", opts).expect("start");
    w.write_all(&manifest).expect("write");
    // Stored: so only its size, not its compression ratio, can refuse it.
    w.start_file("facts.json", opts.compression_method(zip::CompressionMethod::Stored)).expect("start");
    w.write_all(facts).expect("write");
    for i in 0..n {
        w.start_file(format!("artifacts/f{i:05}.log"), opts).expect("start");
        w.write_all(&zeros).expect("write");
    }
    w.finish().expect("finish");
    (manifest.len() + facts.len() + n * size) as u64
}

#[test]
fn many_entries_each_under_the_ratio_floor_are_one_bomb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let z = dir.path().join("bomb.zip");
    // Scaled down 16 times from the measured attack (780 entries just under 1 MiB): 780 entries
    // just under a 64 KiB floor.
    let limits = Limits { ratio_floor: 64 << 10, ..Limits::default() };
    let total = bomb(&z, 780, (64 << 10) - 1, b"{}");
    let archive = std::fs::metadata(&z).expect("written").len();
    let e = bundle::open_with_limits(&z, &limits).expect_err("refused");
    assert!(matches!(e, BundleError::TooLarge { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: entry \"\" refused: entries total {total} bytes uncompressed from an archive of {archive} bytes: ratio {}:1 is above 200:1 (a zip bomb?)",
            z.display(),
            total / archive
        )
    );
}

#[test]
fn the_default_ratio_limit_refuses_the_measured_attack_shape() {
    // Under the default floor each entry passes alone; together they are far above 200:1.
    let dir = tempfile::tempdir().expect("tempdir");
    let z = dir.path().join("bomb.zip");
    bomb(&z, 40, (1 << 20) - 1, b"{}");
    let e = bundle::open(&z).expect_err("refused");
    assert!(e.to_string().contains("(a zip bomb?)"), "{e}");
}

#[test]
fn total_size_and_entry_count_are_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let z = dir.path().join("many.zip");
    bomb(&z, 50, 10, b"{}");
    let few = Limits { max_entries: 40, ..Limits::default() };
    let e = bundle::open_with_limits(&z, &few).expect_err("refused");
    assert_eq!(e.to_string(), format!("{}: entry \"\" refused: 52 entries, more than 40", z.display()));
    let small = Limits { max_total_size: 200, ..Limits::default() };
    let e = bundle::open_with_limits(&z, &small).expect_err("refused");
    assert!(e.to_string().contains("entries total more than 200 bytes uncompressed"), "{e}");
}

#[test]
fn facts_json_has_its_own_size_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let z = dir.path().join("facts.zip");
    // A list of numbers: the worst case of parsed size per byte.
    let mut facts = b"{\"n\":[".to_vec();
    facts.extend(std::iter::repeat_n(b"1,".as_slice(), 600_000).flatten());
    facts.extend(b"1]}");
    bomb(&z, 1, 10, &facts);
    let limits = Limits { max_facts_size: 1 << 20, ..Limits::default() };
    let e = bundle::open_with_limits(&z, &limits).expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!("{}: entry \"facts.json\" refused: larger than 1048576 bytes", z.display())
    );
    assert_eq!(Limits::default().max_facts_size, 32 << 20);
}

#[test]
fn twenty_thousand_entries_open() {
    // 20,000 entries: the quadratic check of before took about 4 s for 10,000 in a release
    // build; the figures are in BENCHMARKS.md (`cargo bench --bench bundle_open`).
    let dir = tempfile::tempdir().expect("tempdir");
    let z = dir.path().join("many.zip");
    bomb(&z, 20_000, 1, b"{}");
    let b = bundle::open(&z).expect("opens");
    assert_eq!(b.manifest.artifacts.len(), 20_000);
}
