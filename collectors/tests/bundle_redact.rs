//! `collect --redact`: no original host, domain, user, organisation, GUID or IP survives
//! anywhere in the bundle (every file, UTF-16 decoded), pseudonyms are consistent across
//! artifacts, facts and bundles, and the facts keep their shape.

mod bundle_support;

use std::path::Path;

use bundle_support::*;
use triage_collectors::bundle::redact::{Kind, RedactionKey, Redactor};
use triage_collectors::bundle::{self, CreateOptions};
use triage_collectors::text;
use triage_facts::Timestamp;

const ORIGINALS: &[&str] = &[
    "WSUS01",
    "contoso",
    "alice",
    "Alice Example",
    "Fabrikam",
    "10.20.30.40",
    "10.20.30.41",
    "6b1d0a52-1f0e-4c3a-9d55-0a1b2c3d4e5f",
];

fn redacted(input: &Path, out: &Path, key: &RedactionKey) -> bundle::Created {
    let cs = collectors();
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    o.redact = Some(key);
    bundle::create(input, out, &o).expect("written")
}

/// Every file of a bundle folder, or every entry of a bundle zip, decoded as text.
fn all_text(path: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if path.is_dir() {
        for (name, bytes) in tree(path) {
            out.push((name.clone(), text::decode(&bytes).text));
            out.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    } else {
        let raw = std::fs::read(path).expect("read");
        out.push(("<raw zip>".into(), String::from_utf8_lossy(&raw).into_owned()));
        let mut z = zip::ZipArchive::new(std::fs::File::open(path).expect("open")).expect("zip");
        for i in 0..z.len() {
            let mut e = z.by_index(i).expect("entry");
            let name = e.name().to_owned();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut bytes).expect("read entry");
            out.push((name.clone(), name.clone()));
            out.push((name.clone(), text::decode(&bytes).text));
            out.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}

fn assert_no_originals(path: &Path) {
    for (name, t) in all_text(path) {
        let lower = t.to_lowercase();
        for o in ORIGINALS {
            assert!(!lower.contains(&o.to_lowercase()), "{o:?} left in {}: {name}", path.display());
        }
    }
}

#[test]
fn no_original_value_remains_in_folder_or_zip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    sample_input(&input);
    // A file whose name carries the host name.
    write(&input, "WSUS01-notes.txt", b"Owner: alice\r\n");
    let key = RedactionKey::from_bytes([42; 32]);
    let folder = redacted(&input, &dir.path().join("b"), &key);
    redacted(&input, &dir.path().join("b.zip"), &key);
    assert_no_originals(&dir.path().join("b"));
    assert_no_originals(&dir.path().join("b.zip"));

    // The input itself is untouched.
    let sysinfo = std::fs::read_to_string(input.join("systeminfo.txt")).expect("read");
    assert!(sysinfo.contains("WSUS01"));

    let r = folder.manifest.redaction.as_ref().expect("report");
    assert_eq!(r.method, "hmac-sha256");
    assert_eq!(r.key_id, key.id());
    assert_eq!(r.omitted, ["capture.pcap"], "binary artifacts cannot be rewritten");
    for kind in ["host", "domain", "user", "org", "guid", "ip"] {
        assert!(r.values.get(kind).copied().unwrap_or(0) > 0, "no {kind} redacted: {:?}", r.values);
    }
    assert!(r.replacements.contains_key("systeminfo.txt"));
    assert!(r.replacements.keys().any(|k| k.ends_with("-notes.txt") && k.starts_with("host-")));
    assert!(folder.manifest.artifact("capture.pcap").is_none());
}

#[test]
fn pseudonyms_are_consistent_and_facts_keep_their_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    sample_input(&input);
    let key = RedactionKey::from_bytes([42; 32]);
    let a = redacted(&input, &dir.path().join("a"), &key);
    let r = Redactor::new(key.clone());
    let host = r.pseudonym(Kind::Host, "WSUS01");
    let domain = r.pseudonym(Kind::Domain, "contoso.local");
    let ip = r.pseudonym(Kind::Ip, "10.20.30.41");

    assert_eq!(get_str(&a.facts, "os.hostname"), Some(host.as_str()));
    assert_eq!(a.manifest.host, host);
    assert_eq!(get_str(&a.facts, "collection.host"), Some(host.as_str()));
    let domain_fact = a.facts.get_segments(&["lines", "systeminfo.txt", "Domain"]).expect("fact");
    assert_eq!(domain_fact.value.as_str(), Some(domain.as_str()));
    // Spans still point at the (redacted) text.
    let src = domain_fact.source.as_ref().expect("provenance");
    let span = src.span.expect("span");
    let b = bundle::open(&dir.path().join("a")).expect("opens");
    let t = b.artifact_text("systeminfo.txt").expect("text");
    assert_eq!(&t[span.start as usize..span.end as usize], format!("Domain:                    {domain}"));
    // The binary artifact's facts are kept, pseudonymised.
    let peers = a.facts.get("network.peers").and_then(|f| match &f.value {
        triage_facts::Value::List(l) => l.first().and_then(|x| x.value.as_str().map(str::to_owned)),
        _ => None,
    });
    assert_eq!(peers.as_deref(), Some(ip.as_str()));
    // The UTF-16 registry export stays UTF-16LE with BOM and holds the same pseudonyms.
    let reg = b.artifact_bytes("registry/tls.reg").expect("reg");
    assert!(reg.starts_with(&[0xFF, 0xFE]));
    let reg = text::decode(&reg).text;
    assert!(reg.contains(&format!("\"Hostname\"=\"{host}\"")), "{reg}");
    assert!(reg.contains(&format!("\"Domain\"=\"{domain}\"")), "{reg}");
    let log = b.artifact_text("logs/SoftwareDistribution.log").expect("log");
    assert!(log.contains(&format!("from {host}.{domain} as ")), "{log}");
    assert!(log.contains("Version=4.0.0.0"), "versions are not addresses: {log}");

    // Same key, same pseudonyms; another key, others.
    let again = redacted(&input, &dir.path().join("again"), &key);
    assert_eq!(again.facts, a.facts);
    let other = redacted(&input, &dir.path().join("other"), &RedactionKey::from_bytes([1; 32]));
    assert_ne!(get_str(&other.facts, "os.hostname"), Some(host.as_str()));
}
