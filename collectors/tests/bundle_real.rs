//! Bundles of the real public samples, read by the real collectors: the bundle's facts are the
//! folder's facts, and redaction changes names, not structure — endpoints the rules look for
//! (`fe2.update.microsoft.com`) and everything else survive.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use triage_collectors::bundle::redact::RedactionKey;
use triage_collectors::bundle::{self, CreateOptions};
use triage_collectors::discover::{collect_path, DiscoverOptions};
use triage_facts::{Fact, FactMap, Timestamp, Value};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Every leaf path, `/`-joined (list items by index).
fn leaves(facts: &FactMap) -> BTreeSet<String> {
    fn walk(prefix: &str, f: &Fact, out: &mut BTreeSet<String>) {
        match &f.value {
            Value::Map(m) if !m.is_empty() => {
                m.iter().for_each(|(k, v)| walk(&format!("{prefix}/{k}"), v, out))
            }
            Value::List(l) if !l.is_empty() => {
                l.iter().enumerate().for_each(|(i, v)| walk(&format!("{prefix}/{i}"), v, out))
            }
            _ => {
                out.insert(prefix.to_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    facts.root.iter().for_each(|(k, v)| walk(k, v, &mut out));
    out
}

#[test]
fn a_bundle_of_the_samples_holds_the_folders_facts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let collectors = triage_collectors::all();
    let mut o = CreateOptions::new(&collectors, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    let out = dir.path().join("samples.zip");
    let created = bundle::create(&data(), &out, &o).expect("written");
    let direct = collect_path(&data(), &collectors, None, &DiscoverOptions::default()).expect("collected");
    let opened = bundle::open(&out).expect("opens");
    assert_eq!(opened.facts, created.facts);
    let mut expected = direct.facts.clone();
    for k in ["collected_at", "host", "bundle_format"] {
        assert!(opened.facts.get(&format!("collection.{k}")).is_some(), "collection.{k}");
    }
    let mut got = opened.facts.clone();
    for f in [&mut expected, &mut got] {
        if let Some(c) = f.root.get_mut("collection").and_then(Fact::as_map_mut) {
            for k in ["collected_at", "host", "bundle_format"] {
                c.remove(k);
            }
        }
    }
    assert_eq!(got, expected, "a bundle's facts are its folder's facts");
    assert!(opened.facts.has("registry"));
    assert!(opened.facts.has("logs.wsus"));
    assert_eq!(opened.manifest.artifacts.len(), direct.artifacts.len());
    for a in &opened.manifest.artifacts {
        let bytes = opened.artifact_bytes(&a.path).expect("verified");
        assert_eq!(bytes, std::fs::read(data().join(&a.path)).expect("original"), "{}", a.path);
    }
    let reg = opened.manifest.artifact("registry/wine-reg-export.reg").expect("listed");
    assert_eq!(reg.encoding.as_deref(), Some("utf-16le"));
    assert_eq!(reg.collector.as_deref(), Some("registry"));
}

#[test]
fn redaction_keeps_the_structure_and_the_public_endpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let collectors = triage_collectors::all();
    let mut o = CreateOptions::new(&collectors, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    let plain = bundle::create(&data(), &dir.path().join("plain"), &o).expect("written");
    let key = RedactionKey::from_bytes([9; 32]);
    o.redact = Some(&key);
    let red = bundle::create(&data(), &dir.path().join("red"), &o).expect("written");

    // Same shape: the fact paths are the same, except where a path segment itself was a value.
    let (a, b) = (leaves(&plain.facts), leaves(&red.facts));
    let only_plain: Vec<_> = a.difference(&b).collect();
    let only_red: Vec<_> = b.difference(&a).collect();
    assert_eq!(only_plain.len(), only_red.len(), "plain-only {only_plain:?}\nredacted-only {only_red:?}");
    assert!(only_plain.len() * 20 <= a.len(), "most paths are untouched: {only_plain:?}");

    let json = red.facts.to_json_pretty();
    assert!(json.contains("fe2.update.microsoft.com"), "public endpoints are not pseudonymised");
    assert_eq!(plain.facts.get("registry").map(leaves_of), red.facts.get("registry").map(leaves_of));
    // Binary artifacts (captures) are left out, their facts kept; everything else is stored.
    let r = red.manifest.redaction.as_ref().expect("report");
    for o in &r.omitted {
        let plain_rec = plain.manifest.artifacts.iter().find(|a| &a.path == o).expect("a collected artifact");
        assert!(plain_rec.encoding.as_deref().is_none_or(|e| e == "binary"), "{o} is binary: {plain_rec:?}");
        assert!(red.manifest.artifact(o).is_none(), "{o} is not stored");
    }
    assert_eq!(red.manifest.artifacts.len() + r.omitted.len(), plain.manifest.artifacts.len());
    for ns in plain.facts.root.keys() {
        assert!(red.facts.root.contains_key(ns), "namespace {ns} kept");
    }
}

fn leaves_of(f: &Fact) -> usize {
    let mut m = FactMap::new();
    m.insert(&["x"], f.clone());
    leaves(&m).len()
}

#[test]
fn a_zip_bundles_facts_derived_again_are_the_folders_facts_unread_artifacts_included() {
    // Collecting a `.zip` bundle leaves the artifacts no reader wants in the archive (verified in
    // memory, never extracted): what the facts say of them — listed, unrecognised — must be what
    // collecting the folder says, and the wanted ones are still read.
    let dir = tempfile::tempdir().expect("tempdir");
    let collectors = triage_collectors::all();
    let mut o = CreateOptions::new(&collectors, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("notes")).expect("mkdir");
    std::fs::copy(data().join("registry/wine-reg-export.reg"), input.join("tls.reg")).expect("copy");
    std::fs::write(input.join("notes/readme.txt"), "nothing to see\n").expect("write");
    // Named like a WSUS log, holding none: the log collector takes it by name (extracted).
    std::fs::write(input.join("SoftwareDistribution.log"), "not a log line\n").expect("write");
    let out = dir.path().join("b.zip");
    bundle::create(&input, &out, &o).expect("written");
    let direct = collect_path(&input, &collectors, None, &DiscoverOptions::default()).expect("collected");
    let again = bundle::open(&out).expect("opens").collect_facts(&collectors, None).expect("collects");
    let mut got = again.clone();
    if let Some(c) = got.root.get_mut("collection").and_then(Fact::as_map_mut) {
        for k in ["collected_at", "host", "bundle_format"] {
            c.remove(k);
        }
    }
    assert_eq!(got, direct.facts);
    let unrecognised: Vec<&str> = match again.get("collection.unrecognised").map(|f| &f.value) {
        Some(Value::List(l)) => l.iter().filter_map(|f| f.value.as_str()).collect(),
        other => panic!("collection.unrecognised: {other:?}"),
    };
    assert_eq!(unrecognised, ["notes/readme.txt"]);
    let collector = |rel: &str| {
        again
            .get_segments(&["collection", "artifacts", rel, "collector"])
            .and_then(|f| f.value.as_str().map(str::to_owned))
    };
    assert_eq!(collector("SoftwareDistribution.log").as_deref(), Some("wsus-log"));
    assert_eq!(collector("tls.reg").as_deref(), Some("registry"));
    assert_eq!(collector("notes/readme.txt"), None);
    assert!(again.has("registry"), "the wanted artifact was extracted and read");
}
