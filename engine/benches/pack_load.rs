//! Pack loading benchmark: `pack check`'s work on generated packs of 1,000 to 10,000 rules
//! without tests (each rule gets a `pack::missing-test` warning): load and validate the pack,
//! then render every diagnostic as `pack check` prints it (miette, no colour) and take each
//! one's line and column as `pack check --format json` does. Plain timing, best of
//! `BENCH_RUNS` (default 3). Run with `cargo bench -p triage-engine --bench pack_load`
//! (`BENCH_RULES=n` for one size). The figures are in BENCHMARKS.md (## Pack loading).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use miette::{GraphicalReportHandler, GraphicalTheme};
use triage_engine::{load_pack, Evaluator, SourceFile};

/// One rule file of `n` rules, each with a condition, a resolution hole and no tests.
fn pack(n: usize) -> Vec<SourceFile> {
    let manifest = "[pack]\nid = \"bench\"\nversion = \"1.0.0\"\nengine = \">=0.1\"\ntitle = \"Benchmark\"\n\n[derive]\nold = 'facts.os.build < 9600'\n\n[signals.reset]\nlog = \"wsus\"\npattern = 'forcibly closed by the remote host'\n";
    let mut rules = String::new();
    for i in 0..n {
        let _ = write!(
            rules,
            "[[rule]]\nid = \"R{i:05}\"\ntitle = \"Rule {i}\"\nseverity = \"warning\"\nrequires = [\"os.build\"]\nwhen.all = ['facts.os.build < {i}', 'old || signal(\"reset\").len() > 0']\nresolution = \"Build {{{{ facts.os.build }}}} is older than {i}.\"\n\n"
        );
    }
    vec![SourceFile::new("pack.toml", manifest), SourceFile::new("rules/rules.toml", rules)]
}

fn check(files: Vec<SourceFile>, evaluator: &Evaluator) -> (usize, usize) {
    let result = load_pack(files, evaluator);
    assert!(result.pack.is_some(), "the generated pack is valid");
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::none()).with_width(100);
    let mut out = String::new();
    let mut cols = 0usize;
    for d in &result.diagnostics {
        handler.render_report(&mut out, d).expect("render");
        cols += d.line_col().map_or(0, |(l, c)| l + c);
    }
    (result.diagnostics.len(), out.len() + cols)
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    let sizes: Vec<usize> = match std::env::var("BENCH_RULES").ok().and_then(|n| n.parse().ok()) {
        Some(n) => vec![n],
        None => vec![1000, 2000, 4000, 8000, 10_000],
    };
    let evaluator = Evaluator::default();
    println!("| rules | pack bytes | diagnostics | load + check | + render all | per rule |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for n in sizes {
        let files = pack(n);
        let bytes: usize = files.iter().map(|f| f.text.len()).sum();
        let mut best_load = Duration::MAX;
        let mut best_all = Duration::MAX;
        let mut diags = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let r = load_pack(files.clone(), &evaluator);
            best_load = best_load.min(t.elapsed());
            drop(r);
            let t = Instant::now();
            let (d, _) = std::hint::black_box(check(files.clone(), &evaluator));
            best_all = best_all.min(t.elapsed());
            diags = d;
        }
        println!(
            "| {n} | {bytes} | {diags} | {:.3} s | {:.3} s | {:.1} µs |",
            best_load.as_secs_f64(),
            best_all.as_secs_f64(),
            best_all.as_secs_f64() * 1e6 / n as f64
        );
    }
}
