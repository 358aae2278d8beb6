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
    let alone =
        ScanPlan { signals: vec![signal("wsus-tls/import_reset", "forcibly closed")], log_kinds: vec![] };
    let want = matches(&scan(&alone), "wsus-tls/import_reset").expect("scanned");
    assert!(want > 0, "the sample has the import reset");
    let mut signals = vec![signal("wsus-tls/import_reset", "forcibly closed")];
    for pack in ["h1", "h2", "h3"] {
        for i in 0..3 {
            signals.push(signal(&format!("{pack}/s{i}"), &format!("{BIG}{i}")));
        }
    }
    signals.sort_by(|a, b| a.id.cmp(&b.id));
    let out = scan(&ScanPlan { signals, log_kinds: vec![] });
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
    let alone = ScanPlan { signals: signals[..1].to_vec(), log_kinds: vec![] };
    let want = matches(&scan(&alone), "wsus-tls/import_reset").expect("scanned");
    let out = scan(&ScanPlan { signals, log_kinds: vec![] });
    assert_eq!(matches(&out, "wsus-tls/import_reset"), Some(want));
    assert_eq!(matches(&out, "hostile/s0"), None, "not scanned, so no fact that says none matched");
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(
        out.errors[0].message.starts_with("pack hostile: cannot compile its signals, not scanned:"),
        "{}",
        out.errors[0].message
    );
}
