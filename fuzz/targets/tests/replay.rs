//! Replays every kept fuzzing input — the seed corpus (`fuzz/corpus/<target>/`, from the
//! reference samples and the repository's fixtures) and the regression inputs
//! (`fuzz/regressions/<target>/`, one file per crash a campaign found) — through its target, in
//! file-name order. Deterministic and bounded: each input is a file of the repository.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FUZZ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut v: Vec<PathBuf> = rd.map(|e| e.expect("entry").path()).filter(|p| p.is_file()).collect();
    v.sort();
    v
}

#[test]
fn every_corpus_and_regression_input_replays_cleanly() {
    let mut total = 0;
    let mut slowest = (Duration::ZERO, String::new());
    for (name, f) in triage_fuzz_targets::TARGETS {
        let corpus = inputs(&Path::new(FUZZ).join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name}/ has no seed: every target is seeded");
        let regressions = inputs(&Path::new(FUZZ).join("regressions").join(name));
        for p in corpus.iter().chain(regressions.iter()) {
            let data = std::fs::read(p).expect("read input");
            let t = Instant::now();
            let r = std::panic::catch_unwind(|| f(&data));
            assert!(
                r.is_ok(),
                "{name}: {} panicked (replay: cargo test -p triage-fuzz-targets)",
                p.display()
            );
            if t.elapsed() > slowest.0 {
                slowest = (t.elapsed(), p.display().to_string());
            }
            total += 1;
        }
    }
    eprintln!("{total} inputs replayed; slowest {:?} ({})", slowest.0, slowest.1);
    assert!(total >= triage_fuzz_targets::TARGETS.len() * 2, "{total} inputs");
}

#[test]
fn every_target_has_a_cargo_fuzz_binary() {
    for (name, _) in triage_fuzz_targets::TARGETS {
        let bin = Path::new(FUZZ).join("libfuzzer/fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&bin).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        assert!(
            text.contains(&format!("triage_fuzz_targets::{name}(")),
            "{} calls its target",
            bin.display()
        );
        let manifest = std::fs::read_to_string(Path::new(FUZZ).join("libfuzzer/Cargo.toml"))
            .expect("fuzz/libfuzzer/Cargo.toml");
        assert!(manifest.contains(&format!("name = \"{name}\"")), "fuzz/libfuzzer/Cargo.toml lists {name}");
    }
}
