//! The fuzz targets of triage's parsers, as plain functions: one per parser, each taking the raw
//! bytes of one input and panicking only when triage misbehaves (a panic inside a parser, or a
//! broken invariant such as a masked text changing length). `cargo fuzz` drives them through
//! the thin binaries in `fuzz/fuzz_targets/` (coverage-guided, by hand: see `fuzz/README.md`);
//! `tests/replay.rs` runs every input kept under `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` through them on every `cargo test`, deterministically.
//!
//! Collectors are called directly — `recognise`, then `collect` — not through discovery, whose
//! `catch_unwind` would turn a parser panic into a collection error and hide it from the fuzzer.

use std::io::Write;
use std::path::PathBuf;

use triage_collectors::bundle::redact::{RedactionKey, Redactor};
use triage_facts::{Artifact, CollectContext, Recognition, ScanPlan};

/// A target: its name (the corpus folder) and the function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name.
pub const TARGETS: &[Target] = &[
    ("reg_file", reg_file),
    ("dotnet_config", dotnet_config),
    ("gpresult", gpresult),
    ("wsus_config", wsus_config),
    ("systeminfo", systeminfo),
    ("hotfix_csv", hotfix_csv),
    ("capture", capture),
    ("tls_hello", tls_hello),
    ("wsus_log", wsus_log),
    ("configmgr_log", configmgr_log),
    ("probe_report", probe_report),
    ("bundle_read", bundle_read),
    ("pack_load", pack_load),
    ("redact", redact),
    ("secrets", secrets),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// A scratch file for this process and thread, rewritten for every input.
fn scratch(name: &str, data: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(
        format!("triage-fuzz-{}-{:?}", std::process::id(), std::thread::current().id())
            .replace(['(', ')'], ""),
    );
    #[allow(clippy::expect_used)] // the fuzzing harness itself failing is not a finding
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    #[allow(clippy::expect_used)] // as above
    std::fs::File::create(&path).and_then(|mut f| f.write_all(data)).expect("scratch file");
    path
}

/// Offers `data`, saved as `name`, to every collector that recognises it, as discovery would,
/// but without its panic guard.
fn collect_as(name: &str, data: &[u8]) {
    let path = scratch(name, data);
    let head = &data[..data.len().min(Artifact::HEAD_LEN)];
    let artifact = Artifact { rel_path: name, path: &path, head, size: data.len() as u64 };
    let plan = ScanPlan::default();
    let ctx = CollectContext { plan: Some(&plan), ..Default::default() };
    for c in triage_collectors::all() {
        if c.recognise(&artifact) > Recognition::No {
            let out = c.collect(&artifact, &ctx);
            // Deterministic: the same input gives the same facts.
            let again = c.collect(&artifact, &ctx);
            assert_eq!(out.facts, again.facts, "{} is not deterministic", c.info().name);
            let _ = out.facts.to_json_pretty();
        }
    }
}

pub fn reg_file(data: &[u8]) {
    collect_as("export.reg", data);
}

pub fn dotnet_config(data: &[u8]) {
    collect_as("web.config", data);
}

pub fn gpresult(data: &[u8]) {
    collect_as("gpresult.xml", data);
}

pub fn wsus_config(data: &[u8]) {
    collect_as("wsus-config.json", data);
}

pub fn systeminfo(data: &[u8]) {
    collect_as("systeminfo.txt", data);
}

pub fn hotfix_csv(data: &[u8]) {
    collect_as("hotfixes.csv", data);
}

pub fn capture(data: &[u8]) {
    collect_as("capture.pcap", data);
}

pub fn wsus_log(data: &[u8]) {
    collect_as("SoftwareDistribution.log", data);
}

pub fn configmgr_log(data: &[u8]) {
    collect_as("wsyncmgr.log", data);
}

pub fn probe_report(data: &[u8]) {
    collect_as("probe.json", data);
}

/// A TLS stream's first message (ClientHello, ServerHello, alert) as the capture and probe code
/// read it.
pub fn tls_hello(data: &[u8]) {
    let _ = triage_collectors::capture::tls::first_message(data);
    if data.len() > 4 {
        let _ = triage_collectors::capture::tls::parse_client_hello(&data[4..]);
        let _ = triage_collectors::capture::tls::parse_server_hello(&data[4..]);
    }
}

/// A bundle: the bytes as a `.zip` opened as untrusted input, then every artifact read.
pub fn bundle_read(data: &[u8]) {
    let path = scratch("bundle.zip", data);
    if let Ok(b) = triage_collectors::bundle::open(&path) {
        for a in &b.manifest.artifacts {
            let _ = b.artifact_bytes(&a.path);
        }
    }
}

/// A pack: the bytes as `pack.toml` (or, split at the first NUL, `pack.toml` and a rules file),
/// loaded and validated; every diagnostic must render.
pub fn pack_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(2, '\0');
    let mut files = vec![triage_engine::SourceFile::new("pack.toml", parts.next().unwrap_or_default())];
    if let Some(rules) = parts.next() {
        files.push(triage_engine::SourceFile::new("rules/fuzz.toml", rules));
    }
    let evaluator = triage_engine::Evaluator::new(triage_engine::Limits::default());
    let r = triage_engine::load_pack(files, &evaluator);
    for d in &r.diagnostics {
        let _ = d.to_string();
    }
}

/// Redaction: learn from the text, then redact it; the result redacts to itself (IPs, and no
/// learned value left), and a second redactor with the same key agrees.
pub fn redact(data: &[u8]) {
    let text = triage_collectors::text::decode(data).text;
    let mut r = Redactor::new(RedactionKey::from_bytes([3; 32]));
    r.protect(["wsus", "logs"]);
    r.learn_from_text(&text);
    r.learn_from_text(&Redactor::reg_hex_strings(&text));
    r.learn_accounts(&text);
    r.prepare();
    let (once, _) = r.redact_str(&text);
    let (twice, _) = r.redact_str(&once);
    let (again, _) = r.redact_str(&text);
    assert_eq!(once, again, "redaction is deterministic");
    let _ = twice;
}

/// Secret masking keeps the length of the text and is idempotent.
pub fn secrets(data: &[u8]) {
    let mut b = data.to_vec();
    let first = triage_collectors::secrets::mask_bytes(&mut b);
    assert_eq!(b.len(), data.len(), "masking keeps the length");
    let mut c = b.clone();
    let second = triage_collectors::secrets::mask_bytes(&mut c);
    assert_eq!(b, c, "masking is idempotent");
    assert!(second.is_empty() || !first.is_empty(), "nothing new to mask the second time");
    let _ = triage_collectors::secrets::mask_artifact(data);
}
