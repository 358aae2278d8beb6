//! Opening and collecting a `.zip` bundle of many small artifacts: name checks, manifest listing,
//! extraction with hash verification, collection. Linear in the entries (it was quadratic: 4 s,
//! 16 s and more than 60 s for 10,000, 20,000 and 40,000). Run with
//! `cargo bench -p triage-collectors --bench bundle_open`; figures in BENCHMARKS.md.
//! `BUNDLE_SIZES=2000,4000` picks other entry counts, `BUNDLE_RUNS` the repetitions (3),
//! `BUNDLE_KIND=reg` makes every entry a small registry export a collector reads (extracted and
//! collected) instead of a text file nobody reads (verified in memory, never extracted).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use sha2::Digest;
use triage_collectors::bundle;

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A bundle of `n` artifacts in folders of 100: one-line text files, or with `reg`, small
/// registry exports.
fn write(path: &Path, n: usize, reg: bool) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let body: &[u8] = if reg {
        b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Bench]\r\n\"Value\"=dword:00000001\r\n"
    } else {
        b"nothing to see\n"
    };
    let hash = sha256(body);
    let ext = if reg { "reg" } else { "txt" };
    let names: Vec<String> = (0..n).map(|i| format!("d{:03}/f{i:06}.{ext}", i / 100)).collect();
    let artifacts: Vec<serde_json::Value> =
        names.iter().map(|p| serde_json::json!({"path": p, "size": body.len(), "sha256": hash})).collect();
    let facts = b"{}";
    let manifest = serde_json::json!({
        "format": "triage-bundle", "format_version": 1, "triage_version": "0.1.0",
        "collected_at": "2026-11-25T16:00:00.000Z", "host": "h", "source": "folder",
        "collectors": {}, "artifacts": artifacts,
        "facts": {"size": facts.len(), "sha256": sha256(facts)}, "errors": []
    });
    w.start_file("manifest.json", opts).expect("start");
    w.write_all(&serde_json::to_vec(&manifest).expect("json")).expect("write");
    w.start_file("facts.json", opts).expect("start");
    w.write_all(facts).expect("write");
    for name in &names {
        w.start_file(format!("artifacts/{name}"), opts).expect("start");
        w.write_all(body).expect("write");
    }
    w.finish().expect("finish");
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let collectors = triage_collectors::all();
    println!("entries  open (s)  open + collect (s)");
    let sizes: Vec<usize> = std::env::var("BUNDLE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 20_000, 40_000]);
    let runs: usize = std::env::var("BUNDLE_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let reg = std::env::var("BUNDLE_KIND").is_ok_and(|k| k == "reg");
    for n in sizes {
        let z = dir.path().join(format!("b{n}.zip"));
        write(&z, n, reg);
        let mut open_best = f64::MAX;
        let mut all_best = f64::MAX;
        for _ in 0..runs {
            let t = Instant::now();
            let b = bundle::open(&z).expect("opens");
            let opened = t.elapsed().as_secs_f64();
            let facts = b.collect_facts(&collectors, None).expect("collects");
            let all = t.elapsed().as_secs_f64();
            assert!(facts.has("collection.artifacts"));
            open_best = open_best.min(opened);
            all_best = all_best.min(all);
        }
        println!("{n:>7}  {open_best:>8.3}  {all_best:>18.3}");
    }
}
