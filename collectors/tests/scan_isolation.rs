//! One pack's signals never keep another pack's from being scanned: patterns too large to
//! search together are searched pack by pack, and a pack whose own patterns cannot be searched
//! loses only its own signals.

use std::path::Path;

use triage_collectors::logs::{scan_reader, Format, ScanOutput};
use triage_facts::{ScanPlan, SignalSpec, Value};

fn signal(id: &str, pattern: &str) -> SignalSpec {
    SignalSpec { id: id.into(), log: "wsus".into(), pattern: pattern.into(), max_matches: 100 }
}

fn wsus_sample() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs/softwaredistribution_mslearn_issue1_send_forcibly_closed.txt");
    std::fs::read(path).expect("sample present")
}

fn scan(plan: &ScanPlan) -> ScanOutput {
    let bytes = wsus_sample();
    scan_reader(&bytes[..], "SoftwareDistribution.log", bytes.len() as u64, &Format::Wsus, Some(plan))
}

fn matches(out: &ScanOutput, id: &str) -> Option<usize> {
    match &out.facts.get_segments(&["signals", id])?.value {
        Value::List(l) => Some(l.len()),
        _ => None,
    }
}

/// Large (Unicode `\w`): three fit one pack's limit, four do not; six fit the combined
/// search's, seven do not.
const BIG: &str = r"\w{100}";

#[test]
fn packs_too_large_together_are_searched_apart_and_every_pack_keeps_its_matches() {
    let alone = ScanPlan::new(vec![signal("wsus-tls/import_reset", "forcibly closed")], vec![]);
    let want = matches(&scan(&alone), "wsus-tls/import_reset").expect("scanned");
    assert!(want > 0, "the sample has the import reset");
    let mut signals = vec![signal("wsus-tls/import_reset", "forcibly closed")];
    for pack in ["h1", "h2", "h3"] {
        for i in 0..3 {
            signals.push(signal(&format!("{pack}/s{i}"), &format!("{BIG}{i}")));
        }
    }
    signals.sort_by(|a, b| a.id.cmp(&b.id));
    let out = scan(&ScanPlan::new(signals, vec![]));
    assert_eq!(out.errors, vec![], "nothing failed: each pack's search fits its limit");
    assert_eq!(matches(&out, "wsus-tls/import_reset"), Some(want));
    assert_eq!(matches(&out, "h1/s0"), Some(0));
}

#[test]
fn a_pack_whose_own_search_is_too_large_loses_only_its_signals() {
    let mut signals = vec![signal("wsus-tls/import_reset", "forcibly closed")];
    for (i, p) in [BIG; 7].iter().enumerate() {
        signals.push(signal(&format!("hostile/s{i}"), &format!("{p}{i}")));
    }
    let alone = ScanPlan::new(signals[..1].to_vec(), vec![]);
    let want = matches(&scan(&alone), "wsus-tls/import_reset").expect("scanned");
    let out = scan(&ScanPlan::new(signals, vec![]));
    assert_eq!(matches(&out, "wsus-tls/import_reset"), Some(want));
    assert_eq!(matches(&out, "hostile/s0"), None, "not scanned, so no fact that says none matched");
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(
        out.errors[0].message.starts_with("pack hostile: cannot compile its signals, not scanned:"),
        "{}",
        out.errors[0].message
    );
}

fn kind(name: &str, files: &[&str], record_start: &str) -> triage_facts::LogKindSpec {
    triage_facts::LogKindSpec {
        name: name.into(),
        files: files.iter().map(|f| (*f).to_owned()).collect(),
        record_start: record_start.into(),
        fields: None,
        no_year: false,
    }
}

fn list_len(facts: &triage_facts::FactMap, path: &[&str]) -> Option<usize> {
    match &facts.get_segments(path)?.value {
        Value::List(l) => Some(l.len()),
        _ => None,
    }
}

#[test]
fn one_file_is_read_by_every_kind_that_names_it_and_by_its_built_in_collector() {
    let dir = std::env::temp_dir().join(format!("triage-scan-isolation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sshd_config.d")).expect("temp dir");
    std::fs::write(
        dir.join("sshd_config.d/50-legacy.conf"),
        "KexAlgorithms +diffie-hellman-group1-sha1\nCiphers +aes128-cbc\n",
    )
    .expect("write");
    std::fs::write(dir.join("SoftwareDistribution.log"), wsus_sample()).expect("write");
    let plan = ScanPlan {
        signals: vec![
            SignalSpec {
                id: "openssh/kex".into(),
                log: "openssh/sshd_config_d".into(),
                pattern: "^KexAlgorithms (?P<v>.+)".into(),
                max_matches: 10,
            },
            SignalSpec {
                id: "openssh/ciphers".into(),
                log: "openssh/ciphers_only".into(),
                pattern: "^Ciphers".into(),
                max_matches: 10,
            },
            SignalSpec {
                id: "other/conf".into(),
                log: "other/conf".into(),
                pattern: "sha1|cbc".into(),
                max_matches: 10,
            },
            SignalSpec {
                id: "other/reset".into(),
                log: "other/logs".into(),
                pattern: "forcibly closed".into(),
                max_matches: 10,
            },
            SignalSpec {
                id: "wsus-tls/reset".into(),
                log: "wsus".into(),
                pattern: "forcibly closed".into(),
                max_matches: 10,
            },
        ],
        log_kinds: vec![
            kind("openssh/ciphers_only", &["*.conf"], "^"),
            kind("openssh/sshd_config_d", &["sshd_config.d/*.conf"], "^"),
            kind("other/conf", &["*.conf"], "^"),
            kind("other/logs", &["*.log"], r"\d{4}-"),
        ],
        ..Default::default()
    };
    let collectors = triage_collectors::all();
    let options = triage_collectors::discover::DiscoverOptions::default();
    let c = triage_collectors::discover::collect_path(&dir, &collectors, Some(&plan), &options)
        .expect("collects");
    // Every kind that names the file has its own records and signals.
    assert_eq!(list_len(&c.facts, &["signals", "openssh/kex"]), Some(1));
    assert_eq!(list_len(&c.facts, &["signals", "openssh/ciphers"]), Some(1));
    assert_eq!(list_len(&c.facts, &["signals", "other/conf"]), Some(2), "one record per line");
    for k in ["openssh/sshd_config_d", "openssh/ciphers_only", "other/conf"] {
        let f =
            c.facts.get_segments(&["logs", k, "by_file", "sshd_config.d/50-legacy.conf"]).expect("by_file");
        assert_eq!(f.get_path(&["records"]).map(|r| r.value.clone()), Some(Value::Int(2)), "{k}");
    }
    // The built-in collector still reads its file, and a pack's kind reads it too.
    let collector_of = |p: &str| c.artifacts.iter().find(|a| a.path == p).and_then(|a| a.collector.clone());
    assert_eq!(collector_of("SoftwareDistribution.log").as_deref(), Some("wsus-log"));
    assert_eq!(collector_of("sshd_config.d/50-legacy.conf").as_deref(), Some("custom-log"));
    let n = list_len(&c.facts, &["signals", "wsus-tls/reset"]).expect("scanned");
    assert!(n > 0);
    assert_eq!(list_len(&c.facts, &["signals", "other/reset"]), Some(n));
    assert!(c.facts.get_segments(&["logs", "wsus", "by_file", "SoftwareDistribution.log"]).is_some());
    assert_eq!(c.errors, vec![]);

    // The built-in collector's facts are those it gives with no pack kind beside it.
    let alone = ScanPlan::new(vec![plan.signals[4].clone()], vec![]);
    let a = triage_collectors::discover::collect_path(&dir, &collectors, Some(&alone), &options)
        .expect("collects");
    for path in [&["logs", "wsus"][..], &["signals", "wsus-tls/reset"]] {
        assert_eq!(a.facts.get_segments(path), c.facts.get_segments(path), "{path:?}");
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
