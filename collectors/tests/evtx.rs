//! The `evtx` collector on real event logs (`tests/data/evtx/`, see its SOURCES.md) and on
//! damaged ones, with counts checked independently (python-evtx, see SOURCES.md).

use std::io::Cursor;
use std::path::PathBuf;

use triage_collectors::logs::evtx::{collect_path, collect_reader, collect_reader_capped, EvtxLog};
use triage_facts::{Artifact, Collector, FactMap, Recognition, ScanPlan, SignalSpec, Value};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/evtx").join(name)
}

fn int(facts: &FactMap, rel: &str, key: &str) -> i64 {
    let f = facts
        .get_segments(&["logs", "evtx", "by_file", rel, key])
        .unwrap_or_else(|| panic!("logs.evtx.by_file.{rel}.{key}"));
    match f.value {
        Value::Int(n) => n,
        ref v => panic!("{key} is {v:?}"),
    }
}

fn text(facts: &FactMap, rel: &str, key: &str) -> String {
    facts
        .get_segments(&["logs", "evtx", "by_file", rel, key])
        .map(|f| f.value.to_string())
        .unwrap_or_default()
}

fn event_count(facts: &FactMap, rel: &str, provider: &str, id: &str) -> i64 {
    match facts.get_segments(&["logs", "evtx", "by_file", rel, "events", provider, id]).map(|f| &f.value) {
        Some(Value::Int(n)) => *n,
        other => panic!("{provider} {id}: {other:?}"),
    }
}

fn plan(signals: &[(&str, &str)]) -> ScanPlan {
    ScanPlan::new(
        signals
            .iter()
            .map(|(id, pattern)| SignalSpec {
                id: (*id).into(),
                log: "evtx".into(),
                pattern: (*pattern).into(),
                max_matches: 100,
            })
            .collect(),
        Vec::new(),
    )
}

#[test]
fn a_system_log_reads_whole_with_its_summary() {
    let rel = "System.evtx";
    let out = collect_path(&data("System-sample-1.evtx"), rel, None);
    assert_eq!(out.errors, vec![]);
    assert_eq!(out.items, 1881);
    let f = &out.facts;
    // Every chunk, not only the three the (lagging, dirty) header counts.
    assert_eq!(int(f, rel, "records"), 1881);
    assert_eq!(int(f, rel, "chunks"), 15);
    assert_eq!(int(f, rel, "dropped"), 0);
    assert_eq!(int(f, rel, "dropped_chunks"), 0);
    assert_eq!(text(f, rel, "dirty"), "true");
    assert_eq!(text(f, rel, "first_time"), "2017-07-12T07:18:24.681Z");
    assert_eq!(text(f, rel, "last_time"), "2018-03-06T08:13:42.009Z");
    assert_eq!(text(f, rel, "channels"), r#"["System"]"#);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-Kernel-General", "16"), 394);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-DNS-Client", "1014"), 160);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-WindowsUpdateClient", "19"), 116);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-WindowsUpdateClient", "43"), 119);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-WindowsUpdateClient", "44"), 137);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-WindowsUpdateClient", "20"), 5);
    let Some(Value::Map(events)) =
        f.get_segments(&["logs", "evtx", "by_file", rel, "events"]).map(|x| &x.value)
    else {
        panic!("events")
    };
    let total: i64 = events
        .values()
        .flat_map(|m| match &m.value {
            Value::Map(ids) => {
                ids.values().map(|n| if let Value::Int(n) = n.value { n } else { 0 }).collect()
            }
            _ => Vec::new(),
        })
        .sum();
    assert_eq!(total, 1881);
}

#[test]
fn the_second_system_log_and_its_update_client_events() {
    let rel = "logs/System2.evtx";
    let out = collect_path(&data("System-sample-2-windowsupdateclient.evtx"), rel, None);
    assert_eq!(out.errors, vec![]);
    let f = &out.facts;
    assert_eq!(int(f, rel, "records"), 1160);
    assert_eq!(int(f, rel, "chunks"), 11);
    assert_eq!(text(f, rel, "first_time"), "2018-07-06T18:37:44.881Z");
    assert_eq!(text(f, rel, "last_time"), "2018-08-08T14:44:03.605Z");
    assert_eq!(event_count(f, rel, "Microsoft-Windows-WindowsUpdateClient", "19"), 137);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-WindowsUpdateClient", "43"), 135);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-WindowsUpdateClient", "44"), 130);
    assert_eq!(event_count(f, rel, "Microsoft-Windows-WindowsUpdateClient", "20"), 2);
}

#[test]
fn signals_match_records_with_fields_and_provenance() {
    let rel = "System2.evtx";
    let p = plan(&[
        (
            "t/installed",
            r"^EventID=19 Provider=Microsoft-Windows-WindowsUpdateClient\b[^\n]*\n(?:[^\n]*\n)*?updateTitle=(?P<title>[^\n]*)",
        ),
        ("t/none", r"^EventID=36871 Provider=Schannel\b"),
    ]);
    let out = collect_path(&data("System-sample-2-windowsupdateclient.evtx"), rel, Some(&p));
    assert_eq!(out.errors, vec![]);
    let Some(Value::List(hits)) = out.facts.get("signals.t/installed").map(|f| &f.value) else {
        panic!("signals.t/installed")
    };
    assert_eq!(hits.len(), 100, "capped at max_matches");
    assert_eq!(
        out.facts.get_segments(&["signals_truncated", "t/installed", rel]).map(|f| f.value.clone()),
        Some(Value::Int(37))
    );
    let first = hits[0].as_map().expect("a map");
    let fields = first["fields"].as_map().expect("fields");
    assert_eq!(fields["provider"].value, Value::Str("Microsoft-Windows-WindowsUpdateClient".into()));
    assert_eq!(fields["event_id"].value, Value::Int(19));
    assert_eq!(fields["channel"].value, Value::Str("System".into()));
    assert_eq!(fields["level"].value, Value::Str("information".into()));
    let Value::Int(id) = fields["record_id"].value else { panic!("record_id") };
    assert_eq!(first["line"].value, Value::Int(id));
    let data = fields["data"].as_map().expect("data");
    assert!(data.contains_key("updateTitle"), "{fields:?}");
    let title = first["captures"].as_map().expect("captures")["title"].value.to_string();
    assert_eq!(data["updateTitle"].value.to_string(), title);
    let prov = hits[0].source.as_deref().expect("provenance");
    assert_eq!(prov.artifact, rel);
    assert_eq!(prov.collector, "evtx");
    assert_eq!(prov.key.as_deref(), Some(format!("EventRecordID={id}").as_str()));
    assert_eq!(prov.line, None, "an event log has no lines to show");
    // A signal that matches nothing is an empty list: the log was read.
    assert_eq!(out.facts.get("signals.t/none").map(|f| f.value.clone()), Some(Value::List(vec![])));
}

#[test]
fn zeroed_checksums_are_read_when_the_chunk_says_it_has_none() {
    let rel = "Application.evtx";
    let out = collect_path(&data("damaged-Application_no_crc32.evtx"), rel, None);
    assert_eq!(out.errors, vec![]);
    assert_eq!(int(&out.facts, rel, "records"), 17);
    assert_eq!(text(&out.facts, rel, "channels"), r#"["Application"]"#);
}

#[test]
fn damaged_chunks_are_skipped_and_counted() {
    let rel = "bad.evtx";
    let out = collect_path(&data("damaged-bad_chunk_magic.evtx"), rel, None);
    let f = &out.facts;
    assert_eq!(int(f, rel, "records"), 129);
    assert_eq!(int(f, rel, "chunks"), 1);
    assert_eq!(int(f, rel, "dropped_chunks"), 5);
    assert_eq!(out.errors.len(), 5, "{:#?}", out.errors);
    assert!(
        out.errors.iter().all(|e| e.message.starts_with("chunk skipped: ") && e.artifact == rel),
        "{:#?}",
        out.errors
    );
    // In record order: from the oldest chunk (8) to the end, then from the start.
    let offsets: Vec<Option<u64>> = out.errors.iter().map(|e| e.offset).collect();
    let at = |n: u64| Some(4096 + n * 65536);
    assert_eq!(offsets, vec![at(9), at(10), at(0), at(6), at(7)], "{:#?}", out.errors);
    assert_eq!(out.errors.iter().filter(|e| e.message.contains("magic")).count(), 2, "{:#?}", out.errors);
    assert_eq!(
        out.errors.iter().filter(|e| e.message.contains("CRC32 invalid")).count(),
        3,
        "{:#?}",
        out.errors
    );
}

fn sample() -> Vec<u8> {
    std::fs::read(data("System-sample-1.evtx")).expect("sample")
}

#[test]
fn a_truncated_copy_keeps_its_whole_chunks() {
    // Cut in the middle of the third chunk.
    let bytes = sample()[..4096 + 2 * 65536 + 32768].to_vec();
    let out = collect_reader(Cursor::new(bytes), "cut.evtx", None).expect("readable");
    assert_eq!(int(&out.facts, "cut.evtx", "records"), 210);
    assert_eq!(int(&out.facts, "cut.evtx", "chunks"), 2);
    assert_eq!(int(&out.facts, "cut.evtx", "dropped_chunks"), 1);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].message, "truncated: the last 32768 bytes are part of a chunk, not read");
    assert_eq!(out.errors[0].offset, Some(4096 + 2 * 65536));
}

#[test]
fn a_bad_checksum_drops_that_chunk_only() {
    let mut bytes = sample();
    bytes[4096 + 65536 + 512 + 1000] ^= 0xFF;
    let out = collect_reader(Cursor::new(bytes), "crc.evtx", None).expect("readable");
    assert_eq!(int(&out.facts, "crc.evtx", "records"), 1881 - 102);
    assert_eq!(int(&out.facts, "crc.evtx", "dropped_chunks"), 1);
    assert_eq!(out.errors.len(), 1, "{:#?}", out.errors);
    assert_eq!(
        out.errors[0].message,
        "chunk skipped: Failed to parse chunk number 1: chunk data CRC32 invalid (stored 0xf6acb23a, computed 0x10a5985f)"
    );
    assert_eq!(out.errors[0].offset, Some(4096 + 65536));
}

#[test]
fn a_file_that_is_no_event_log_is_one_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("System.evtx");
    std::fs::write(&p, b"ElfFile\0 and then nothing").expect("write");
    let out = collect_path(&p, "System.evtx", None);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].artifact, "System.evtx");
    assert!(out.errors[0].message.starts_with("cannot read this event log: "), "{}", out.errors[0].message);
    assert!(out.facts.get("logs.evtx").is_none());
    let missing = collect_path(&dir.path().join("absent.evtx"), "absent.evtx", None);
    assert_eq!(missing.errors.len(), 1);
    assert!(missing.errors[0].message.starts_with("cannot read this event log: "));
}

#[test]
fn recognised_by_its_magic_whatever_its_name() {
    let head = sample()[..8192].to_vec();
    let art =
        |rel: &'static str| Artifact { rel_path: rel, path: std::path::Path::new(rel), head: &head, size: 0 };
    assert_eq!(EvtxLog.recognise(&art("System.evtx")), Recognition::ByNameAndContent);
    assert_eq!(EvtxLog.recognise(&art("exported-system-log.bin")), Recognition::ByContent);
    let not =
        Artifact { rel_path: "x.evtx", path: std::path::Path::new("x.evtx"), head: b"not an evtx", size: 11 };
    assert_eq!(EvtxLog.recognise(&not), Recognition::No);
}

#[test]
fn discovery_reads_event_logs_beside_other_artifacts() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(data("System-sample-1.evtx"), dir.path().join("System.evtx")).expect("copy");
    std::fs::write(dir.path().join("Broken.evtx"), b"ElfFile\0").expect("write");
    std::fs::write(dir.path().join("notes.txt"), b"hello").expect("write");
    let all = triage_collectors::all();
    let out = triage_collectors::discover::collect_path(dir.path(), &all, None, &Default::default())
        .expect("collected")
        .facts;
    assert_eq!(out.get("logs.evtx.by_file").and_then(|f| f.as_map()).map(|m| m.len()), Some(1));
    let errors = out.get("collection.errors").map(|f| f.value.to_string()).unwrap_or_default();
    assert!(errors.contains("Broken.evtx") && errors.contains("cannot read this event log"), "{errors}");
}

#[test]
fn past_the_record_cap_the_rest_is_counted_not_read() {
    let out = collect_reader_capped(Cursor::new(sample()), "big.evtx", None, 250).expect("readable");
    assert_eq!(int(&out.facts, "big.evtx", "records"), 250);
    // 1,881 records in all: the rest of the third chunk and every later chunk, by their headers.
    assert_eq!(
        out.facts
            .get_segments(&["logs", "evtx", "by_file", "big.evtx", "truncated", "records"])
            .map(|f| f.value.clone()),
        Some(Value::Int(1881 - 250))
    );
    assert_eq!(int(&out.facts, "big.evtx", "chunks"), 3);
    assert_eq!(out.errors, vec![]);
}
