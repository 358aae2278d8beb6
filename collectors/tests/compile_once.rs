//! A scan plan is compiled once per run: however many inputs and threads scan with one plan,
//! each log kind's matcher, each pack-defined kind and each file kind's `content` regex is built
//! once (`logs::compiled`), and
//! every input gets the facts a freshly compiled plan gives.

use std::path::Path;

use triage_collectors::discover::{collect_path, DiscoverOptions};
use triage_collectors::logs::compiled::compilations;
use triage_facts::{FileFormat, FileKindSpec, LogKindSpec, ScanPlan, SignalSpec};

fn signal(id: &str, log: &str, pattern: &str) -> SignalSpec {
    SignalSpec { id: id.into(), log: log.into(), pattern: pattern.into(), max_matches: 100 }
}

fn plan() -> ScanPlan {
    let mut plan = ScanPlan::new(
        vec![
            signal("p/reset", "wsus", "forcibly closed"),
            signal("p/sync", "configmgr", r"(?i)sync"),
            signal("p/app_error", "p/app", r"ERROR (?P<code>\d+)"),
        ],
        vec![LogKindSpec {
            name: "p/app".into(),
            files: vec!["app_*.txt".into()],
            record_start: r"\d{4}-".into(),
            fields: None,
            no_year: false,
        }],
    );
    // A file kind recognised by content: its `content` regex is compiled once too.
    plan.file_kinds.push(FileKindSpec {
        name: "p/settings".into(),
        files: vec!["*.json".into()],
        content: Some(r#""server"\s*:"#.into()),
        format: FileFormat::Json,
        include: None,
        sections: Vec::new(),
    });
    plan
}

/// One host folder: a WSUS log, a ConfigMgr log and a log of the pack's kind.
fn host(dir: &Path, i: usize) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs");
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::copy(
        data.join("softwaredistribution_mslearn_issue1_send_forcibly_closed.txt"),
        dir.join("SoftwareDistribution.log"),
    )
    .expect("copy");
    std::fs::copy(data.join("wsyncmgr_mslearn_tracksync_2014.txt"), dir.join("wsyncmgr.log")).expect("copy");
    std::fs::write(
        dir.join("app_1.txt"),
        format!("2024-01-02 10:00:00 start host{i}\n2024-01-02 10:00:01 ERROR 42 failed\n"),
    )
    .expect("write");
    std::fs::write(dir.join("settings.json"), format!("{{\"server\": \"host{i}\"}}")).expect("write");
}

/// The facts of one input as JSON.
fn facts(dir: &Path, plan: &ScanPlan) -> String {
    let collectors = triage_collectors::all();
    let c = collect_path(dir, &collectors, Some(plan), &DiscoverOptions::default()).expect("collects");
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.facts.to_json_pretty()
}

#[test]
fn twenty_inputs_on_two_threads_compile_each_kind_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dirs: Vec<_> = (0..20).map(|i| tmp.path().join(format!("h{i:02}"))).collect();
    for (i, d) in dirs.iter().enumerate() {
        host(d, i);
    }
    let plan = plan();
    assert_eq!(compilations(&plan), 0);
    let outputs: Vec<String> = std::thread::scope(|s| {
        let halves = dirs.split_at(10);
        let a = s.spawn(|| halves.0.iter().map(|d| facts(d, &plan)).collect::<Vec<_>>());
        let b = s.spawn(|| halves.1.iter().map(|d| facts(d, &plan)).collect::<Vec<_>>());
        let mut v = a.join().expect("thread");
        v.extend(b.join().expect("thread"));
        v
    });
    // The wsus matcher, the configmgr matcher, the pack kind `p/app` (its regexes) and its
    // matcher, the file kind's `content` regex: five builds for 20 inputs of four files each,
    // on two threads.
    assert_eq!(compilations(&plan), 5);
    // Each input's facts are those of a plan compiled for it alone (a clone starts uncompiled).
    for (d, out) in dirs.iter().zip(&outputs) {
        let fresh = plan.clone();
        assert_eq!(compilations(&fresh), 0);
        assert_eq!(&facts(d, &fresh), out);
        assert_eq!(compilations(&fresh), 5);
    }
    assert!(outputs[0].contains("\"p/app_error\""), "{}", outputs[0]);
    assert!(outputs[0].contains("forcibly closed"), "{}", outputs[0]);
    assert!(outputs[0].contains("\"p/settings\""), "{}", outputs[0]);
}

#[test]
fn a_plan_changed_after_its_first_scan_is_not_scanned_with_the_old_form() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("h");
    host(&dir, 0);
    let mut plan = plan();
    let before = facts(&dir, &plan);
    assert!(before.contains("\"p/reset\""));
    plan.signals[0].id = "p/renamed".into();
    let after = facts(&dir, &plan);
    assert!(after.contains("\"p/renamed\"") && !after.contains("\"p/reset\""), "{after}");
    // The changed plan no longer uses the compiled form (built from the old signals).
    assert_eq!(compilations(&plan), 0);
}
