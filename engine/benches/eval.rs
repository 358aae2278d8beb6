//! Rule evaluation benchmark: a generated pack of 1,000 rules against a fact map of about
//! 2,000 facts. Plain timing (no criterion): warm up, then time many full evaluations and
//! report min / median / mean. Run with
//! `cargo bench -p triage-engine --bench eval` (env: `BENCH_KIND`, `BENCH_RULES`, `BENCH_RUNS`,
//! `BENCH_EXPLAIN_RUNS`).

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use triage_engine::{load_pack, EvalOptions, Evaluator, InputFacts, Outcome, SourceFile};
use triage_facts::FactMap;

/// Rules in the pack; `BENCH_RULES=n` overrides (e.g. 0 to see the per-evaluation fixed cost).
fn rules() -> usize {
    std::env::var("BENCH_RULES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
}

fn pack_text() -> String {
    let mut s = String::from(
        "[pack]\nid = \"bench\"\nversion = \"1.0.0\"\nengine = \">=0.1\"\ntitle = \"Benchmark\"\n\n[data]\nmin_build = 9600\n\n[derive]\n",
    );
    for d in 0..10 {
        let _ = writeln!(s, "d{d} = 'reg_dword(`HKLM\\SOFTWARE\\Vendor\\Key{d}`, \"Value{d}\") == {d}'");
    }
    for g in 0..5 {
        let _ = write!(
            s,
            "\n[signals.s{g}]\nlog = \"wsus\"\npattern = 'pattern {g}'\n{}",
            if g % 2 == 0 { "where = 'record.fields.process == \"w3wp\"'\n" } else { "" }
        );
    }
    for i in 0..rules() {
        let k = i % 100;
        let v = i % 15;
        // BENCH_KIND=0..5 generates every rule from one template, to see what each costs.
        let kind = std::env::var("BENCH_KIND").ok().and_then(|k| k.parse::<usize>().ok());
        let when = match kind.unwrap_or(i % 6) {
            0 => format!("when = 'facts.os.build < {i} && facts.os.product == \"server\"'"),
            1 => format!("when = 'reg_dword(`HKLM\\SOFTWARE\\Vendor\\Key{k}`, \"Value{v}\") == {i}'"),
            2 => format!("when.all = ['has(\"registry\")', 'facts.os.build >= data.min_build', '!d{}']", i % 10),
            3 => format!(
                "when.any = ['signal(\"s{}\").len() > 100', 'reg_str(`HKLM\\SOFTWARE\\Vendor\\Key{k}`, \"Name\") == \"n{i}\"']",
                i % 5
            ),
            4 => "when = 'version_cmp(facts.os.version, \"6.3.9600\") < 0'".to_owned(),
            _ => format!("when = 'contains_ci(facts.updates.installed, \"KB{}\")'", 5_000_000 + i),
        };
        let _ = write!(
            s,
            "\n[[rule]]\nid = \"B{i:04}\"\ntitle = \"Rule {i}\"\nseverity = \"warning\"\nrequires = [\"os\"]\n{when}\nresolution = \"Fix {{{{ facts.os.build }}}}.\"\n"
        );
    }
    s
}

fn facts_json() -> String {
    let mut registry = serde_json::Map::new();
    for k in 0..100 {
        let mut values = serde_json::Map::new();
        for v in 0..14 {
            values.insert(
                format!("Value{v}"),
                serde_json::json!({"$value": v, "$source": {"artifact": "hklm.reg", "collector": "registry", "line": k * 20 + v}}),
            );
        }
        values.insert("Name".into(), serde_json::json!(format!("n{k}")));
        registry.insert(
            format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\Key{k}"),
            serde_json::Value::Object(values),
        );
    }
    let mut signals = serde_json::Map::new();
    for g in 0..5 {
        let matches: Vec<serde_json::Value> = (0..50)
            .map(|m| {
                serde_json::json!({"$value": {"line": m, "text": format!("pattern {g} at {m}"), "fields": {"process": if m % 2 == 0 { "w3wp" } else { "WsusService" }}},
                 "$source": {"artifact": "SoftwareDistribution.log", "collector": "logs", "line": m}})
            })
            .collect();
        signals.insert(format!("bench/s{g}"), serde_json::Value::Array(matches));
    }
    let installed: Vec<String> = (0..100).map(|i| format!("KB{}", 5_000_000 + i * 7)).collect();
    serde_json::json!({
        "os": {"build": 9600, "product": "server", "version": {"$version": "6.3.9600"}},
        "updates": {"installed": installed},
        "registry": registry,
        "signals": signals,
    })
    .to_string()
}

/// CPU time this thread has run, in ns (Linux `schedstat`): unlike wall-clock time it does not
/// count time spent waiting for a core, so it stays meaningful on a loaded machine.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn stats(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    (samples[0], samples[samples.len() / 2], mean)
}

fn main() {
    let rules = rules();
    // BENCH_NO_SIZE_LIMITS=1 turns off Rhai's string/array/map size checks, to see their cost.
    let evaluator = if std::env::var_os("BENCH_NO_SIZE_LIMITS").is_some() {
        Evaluator::new(triage_engine::Limits {
            max_string_size: 0,
            max_array_size: 0,
            max_map_size: 0,
            ..Default::default()
        })
    } else {
        Evaluator::default()
    };
    let text = pack_text();
    let t = Instant::now();
    let loaded = load_pack(vec![SourceFile::new("pack.toml", text)], &evaluator);
    let load_time = t.elapsed();
    assert_eq!(loaded.errors().count(), 0, "{:?}", loaded.errors().next());
    let pack = loaded.pack.expect("bench pack loads");

    let facts = FactMap::from_json_str(&facts_json()).expect("bench facts");
    let leaves = facts.leaf_count();
    let t = Instant::now();
    let input = Arc::new(InputFacts::new(Arc::new(facts)));
    let convert_time = t.elapsed();
    let opts = EvalOptions::default();

    let first = evaluator.evaluate(&pack, &input, "bench", &opts);
    assert_eq!(first.len(), rules);
    let errors: Vec<_> = first.iter().filter(|f| f.outcome == Outcome::Error).collect();
    assert!(errors.is_empty(), "{:?}", errors.first());
    let detected = first.iter().filter(|f| f.outcome == Outcome::Detected).count();

    for _ in 0..10 {
        black_box(evaluator.evaluate(&pack, &input, "bench", &opts));
    }
    // BENCH_RUNS=n sets the timed runs (e.g. more for `perf record`).
    let runs: u32 = std::env::var("BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(100).max(1);
    let cpu_start = thread_cpu_ns();
    let samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(evaluator.evaluate(&pack, &input, "bench", &opts));
            t.elapsed()
        })
        .collect();
    let cpu_per_run = thread_cpu_ns()
        .zip(cpu_start)
        .map(|(end, start)| Duration::from_nanos((end - start) / u64::from(runs)));
    let (min, median, mean) = stats(samples);
    let explain = EvalOptions { explain: true, ..EvalOptions::default() };
    // BENCH_EXPLAIN_RUNS=n sets the timed runs with `explain` (0 skips them, e.g. under a profiler).
    let explain_runs: usize =
        std::env::var("BENCH_EXPLAIN_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(30);
    let samples: Vec<Duration> = (0..explain_runs)
        .map(|_| {
            let t = Instant::now();
            black_box(evaluator.evaluate(&pack, &input, "bench", &explain));
            t.elapsed()
        })
        .collect();
    let explained = (!samples.is_empty()).then(|| stats(samples));

    println!("rules: {rules}, facts (leaves): {leaves}, detected: {detected}");
    println!("load + compile pack:          {load_time:?}");
    println!("convert facts (once/input):   {convert_time:?}");
    println!("evaluate all rules:           min {min:?}  median {median:?}  mean {mean:?}");
    if let Some((xmin, xmedian, _)) = explained {
        println!("evaluate all rules (explain): min {xmin:?}  median {xmedian:?}");
    }
    println!("per rule (median):            {:?}", median / rules.max(1) as u32);
    if let Some(cpu) = cpu_per_run {
        println!(
            "evaluate all rules, CPU time: {cpu:?} per run (mean of {runs}); {:?} per rule",
            cpu / rules.max(1) as u32
        );
    }
}
