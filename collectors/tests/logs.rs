//! Log collectors on the public samples (tests/data/logs, see SOURCES.md there), their UTF-16 and
//! CRLF variants, and malformed input. Asserts parsed fields, not substrings.

use std::path::{Path, PathBuf};

use triage_collectors::logs::configmgr::Framing;
use triage_collectors::logs::{scan_reader, scan_reader_with, Format, ScanLimits, ScanOutput};
use triage_facts::{Fact, ScanPlan, SignalSpec, Timestamp, Value};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logs").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).expect("sample present")
}

fn signal(id: &str, log: &str, pattern: &str) -> SignalSpec {
    SignalSpec { id: id.into(), log: log.into(), pattern: pattern.into(), max_matches: 100 }
}

fn plan(signals: Vec<SignalSpec>) -> ScanPlan {
    ScanPlan::new(signals, vec![])
}

fn scan(bytes: &[u8], rel: &str, format: &Format, plan: &ScanPlan) -> ScanOutput {
    scan_reader(bytes, rel, bytes.len() as u64, format, Some(plan))
}

fn utf16le_crlf(bytes: &[u8]) -> Vec<u8> {
    let text =
        String::from_utf8(bytes.to_vec()).expect("utf-8 sample").replace("\r\n", "\n").replace('\n', "\r\n");
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn utf16be(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8 sample");
    let mut v = vec![0xFE, 0xFF];
    v.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    v
}

fn get<'a>(f: &'a Fact, path: &[&str]) -> &'a Value {
    &f.get_path(path).unwrap_or_else(|| panic!("missing {path:?} in {:?}", f.value)).value
}

fn s<'a>(f: &'a Fact, path: &[&str]) -> &'a str {
    get(f, path).as_str().unwrap_or_else(|| panic!("{path:?} is not a string"))
}

fn i(f: &Fact, path: &[&str]) -> i64 {
    get(f, path).as_int().unwrap_or_else(|| panic!("{path:?} is not an integer"))
}

fn ts(f: &Fact, path: &[&str]) -> Timestamp {
    match get(f, path) {
        Value::Timestamp(t) => *t,
        v => panic!("{path:?} is not a timestamp: {v:?}"),
    }
}

fn list<'a>(out: &'a ScanOutput, dotted: &[&str]) -> &'a [Fact] {
    match out.facts.get_segments(dotted).map(|f| &f.value) {
        Some(Value::List(l)) => l,
        other => panic!("{dotted:?} is not a list: {other:?}"),
    }
}

fn by_file<'a>(out: &'a ScanOutput, kind: &str, rel: &str) -> &'a Fact {
    out.facts.get_segments(&["logs", kind, "by_file", rel]).expect("by_file entry")
}

fn t(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Timestamp {
    Timestamp::from_civil(y, mo, d, h, mi, s, ms).expect("valid date")
}

// ---- SoftwareDistribution.log ----

#[test]
fn wsus_tracksync_records_events_and_time_range() {
    let rel = "SoftwareDistribution.log";
    let out = scan(
        &read("softwaredistribution_mslearn_tracksync_2014.txt"),
        rel,
        &Format::Wsus,
        &plan(vec![signal("p/finish", "wsus", r"Firing event (?P<event>\w+)")]),
    );
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!((out.records, out.lines), (4, 4));
    let f = by_file(&out, "wsus", rel);
    assert_eq!(ts(f, &["first_time"]), t(2014, 1, 16, 18, 53, 54, 231));
    assert_eq!(ts(f, &["last_time"]), t(2014, 1, 16, 18, 55, 6, 307));
    assert_eq!(s(f, &["encoding"]), "utf-8");

    let events = list(&out, &["logs", "wsus", "sync_events"]);
    assert_eq!(events.len(), 2);
    assert_eq!((i(&events[0], &["event_id"]), s(&events[0], &["kind"])), (382, "started"));
    assert_eq!(ts(&events[0], &["time"]), t(2014, 1, 16, 18, 53, 56, 168));
    assert_eq!(s(&events[0], &["message"]), "A manual synchronization was started.");
    assert_eq!(
        (i(&events[1], &["event_id"]), s(&events[1], &["kind"]), i(&events[1], &["line"])),
        (384, "completed", 3)
    );
    assert_eq!(s(&events[1], &["artifact"]), rel);

    let m = list(&out, &["signals", "p/finish"]);
    assert_eq!(m.len(), 1);
    let fields = m[0].get_path(&["fields"]).expect("fields");
    assert_eq!(s(fields, &["process"]), "WsusService");
    assert_eq!(i(fields, &["thread"]), 31);
    assert_eq!(s(fields, &["level"]), "Info");
    assert_eq!(s(fields, &["component"]), "CatalogSyncAgent.SetSubscriptionStateWithRetry");
    assert_eq!(s(fields, &["message"]), "Firing event SyncFinish...");
    assert_eq!(s(&m[0], &["captures", "event"]), "SyncFinish");
    assert_eq!((i(&m[0], &["line"]), i(&m[0], &["match_line"])), (4, 4));
}

#[test]
fn wsus_event_reporter_fields_are_parsed() {
    let out = scan(
        &read("softwaredistribution_mslearn_tracksync_2014.txt"),
        "sd.log",
        &Format::Wsus,
        &plan(vec![signal("p/ev", "wsus", r"EventId=38[24]")]),
    );
    let m = list(&out, &["signals", "p/ev"]);
    assert_eq!(m.len(), 2);
    let f = m[0].get_path(&["fields"]).expect("fields");
    assert_eq!(i(f, &["event_id"]), 382);
    assert_eq!(s(f, &["event_type"]), "Information");
    assert_eq!(s(f, &["event_category"]), "Synchronization");
    assert_eq!(s(f, &["component"]), "EventLogEventReporter.ReportEvent");
    assert_eq!(ts(f, &["time"]), t(2014, 1, 16, 18, 53, 56, 168));
}

#[test]
fn wsus_hit_on_a_stack_frame_is_widened_to_its_record() {
    let bytes = read("softwaredistribution_mslearn_issue1_send_forcibly_closed.txt");
    let out = scan(
        &bytes,
        "sd.log",
        &Format::Wsus,
        &plan(vec![
            signal("p/reset", "wsus", "forcibly closed by the remote host"),
            signal("p/frame", "wsus", r"at System\.Net\.(?P<class>TlsStream)\.Write"),
        ]),
    );
    assert_eq!(out.records, 1, "continuation lines belong to the first record");
    let reset = list(&out, &["signals", "p/reset"]);
    assert_eq!(reset.len(), 1, "one record matching twice counts once");
    assert_eq!((i(&reset[0], &["line"]), i(&reset[0], &["match_line"])), (1, 1));
    let frame = list(&out, &["signals", "p/frame"]);
    assert_eq!((i(&frame[0], &["line"]), i(&frame[0], &["match_line"])), (1, 6));
    assert_eq!(s(&frame[0], &["captures", "class"]), "TlsStream");
    assert_eq!(s(&frame[0], &["text"]).lines().count(), 8);
    // Provenance points at the matching line: its span is that line in the decoded text.
    let src = frame[0].source.as_ref().expect("provenance");
    assert_eq!((src.line, src.end_line), (Some(6), Some(8)));
    let span = src.span.expect("span");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert_eq!(
        &text[span.start as usize..span.end as usize],
        "   at System.Net.TlsStream.Write(Byte[] buffer, Int32 offset, Int32 size)"
    );
}

#[test]
fn wsus_column_lost_header_with_endpoint() {
    let out = scan(
        &read("softwaredistribution_mslearn_kb4482416_soapexception_multiline.txt"),
        "sd.log",
        &Format::Wsus,
        &plan(vec![signal("p/soap", "wsus", r"ErrorCode=(?P<code>\w+)")]),
    );
    assert_eq!(out.records, 1);
    let m = &list(&out, &["signals", "p/soap"])[0];
    let f = m.get_path(&["fields"]).expect("fields");
    assert_eq!(s(f, &["level"]), "Error");
    assert_eq!(s(f, &["process"]), "WsusService");
    assert_eq!(i(f, &["thread"]), 25);
    assert_eq!(s(f, &["component"]), "SoapUtilities.LogException");
    assert!(f.get_path(&["time"]).is_none(), "the sample's time was redacted");
    assert_eq!(s(m, &["captures", "code"]), "InternalServerError");

    let eps = list(&out, &["logs", "wsus", "endpoints"]);
    assert_eq!(eps.len(), 1);
    assert_eq!(
        s(&eps[0], &["url"]),
        "https://fe2.update.microsoft.com/v6/ServerSyncWebService/ServerSyncWebService.asmx"
    );
    assert_eq!(s(&eps[0], &["host"]), "fe2.update.microsoft.com");
    assert_eq!((i(&eps[0], &["count"]), i(&eps[0], &["line"])), (1, 1));
}

#[test]
fn wsus_schannel_startup_lines() {
    let out = scan(
        &read("softwaredistribution_mslearn_issue2_schannel_startup.txt"),
        "sd.log",
        &Format::Wsus,
        &plan(vec![]),
    );
    let sc = list(&out, &["logs", "wsus", "schannel"]);
    let got: Vec<(&str, &str, i64)> =
        sc.iter().map(|f| (s(f, &["protocol"]), s(f, &["state"]), i(f, &["line"]))).collect();
    assert_eq!(
        got,
        vec![("TLS 1.0", "disabled", 1), ("TLS 1.1", "disabled", 2), ("TLS 1.2", "not_found_enabled", 3)]
    );
}

#[test]
fn wsus_tabbed_paste_without_time_and_dbconnection_paste() {
    let out = scan(
        &read("softwaredistribution_mslearn_issue3_sync_tabbed.txt"),
        "sd.log",
        &Format::Wsus,
        &plan(vec![signal("p/reset", "wsus", "forcibly closed by the remote host")]),
    );
    let f = list(&out, &["signals", "p/reset"])[0].get_path(&["fields"]).expect("fields").clone();
    assert_eq!(s(&f, &["component"]), "WebServiceCommunicationHelper.ProcessWebServiceProxyException");
    assert!(
        s(&f, &["message"]).starts_with("ProcessWebServiceProxyException found Exception was WebException.")
    );

    let out = scan(
        &read("softwaredistribution_kb909131_dbconnection.txt"),
        "sd.log",
        &Format::Wsus,
        &plan(vec![signal("p/sql", "wsus", r"Number (?P<number>-?\d+)")]),
    );
    assert_eq!(out.records, 2, "the <DATE> <TIME> line stands on its own, the pasted header starts a record");
    let m = &list(&out, &["signals", "p/sql"])[0];
    let f = m.get_path(&["fields"]).expect("fields");
    assert_eq!((s(f, &["level"]), s(f, &["process"]), i(f, &["thread"])), ("Error", "w3wp", 130));
    assert_eq!(s(f, &["component"]), "DBConnection.LogSqlException");
    assert_eq!(s(m, &["captures", "number"]), "-2");
    assert_eq!(i(m, &["line"]), 2);
}

#[test]
fn wsus_utf16_crlf_and_utf16be_variants_parse_the_same() {
    let utf8 = read("softwaredistribution_mslearn_tracksync_2014.txt");
    let p = plan(vec![signal("p/ev", "wsus", r"EventId=(?P<id>\d+)")]);
    let a = scan(&utf8, "sd.log", &Format::Wsus, &p);
    for (bytes, enc) in [(utf16le_crlf(&utf8), "utf-16le"), (utf16be(&utf8), "utf-16be")] {
        let b = scan(&bytes, "sd.log", &Format::Wsus, &p);
        assert!(b.errors.is_empty(), "{:?}", b.errors);
        assert_eq!(b.encoding.name(), enc);
        assert_eq!(b.records, a.records);
        let (ma, mb) = (list(&a, &["signals", "p/ev"]), list(&b, &["signals", "p/ev"]));
        assert_eq!(ma.len(), 2);
        for (x, y) in ma.iter().zip(mb) {
            assert_eq!(x.get_path(&["fields"]), y.get_path(&["fields"]));
            assert_eq!(s(x, &["captures", "id"]), s(y, &["captures", "id"]));
            assert_eq!(s(x, &["text"]), s(y, &["text"]), "CR is not part of the record text");
        }
        // Spans index the decoded text, CRLF included.
        let decoded = triage_collectors::text::decode(&bytes).text;
        let span = mb[1].source.as_ref().and_then(|s| s.span).expect("span");
        assert!(decoded[span.start as usize..span.end as usize].starts_with("2014-01-16 18:55:05.166 UTC"));
        assert!(!decoded[span.start as usize..span.end as usize].ends_with('\r'));
    }
}

// ---- ConfigMgr ----

#[test]
fn configmgr_sms_framing_applies_bias_and_tilde() {
    let bytes = read("bgbserver_simple_framing_cmtraceopen.log");
    let p = plan(vec![signal("p/push", "configmgr", r"Finished sending push task \(PushID: (?P<push>\d+)")]);
    let out = scan(&bytes, "bgbserver.log", &Format::ConfigMgr(Framing::Sms), &p);
    assert_eq!(out.records, 5);
    let f = by_file(&out, "configmgr", "bgbserver.log");
    assert_eq!(ts(f, &["first_time"]), t(2026, 9, 25, 23, 35, 4, 905));
    assert_eq!(ts(f, &["last_time"]), t(2026, 9, 25, 23, 35, 33, 877));
    let m = &list(&out, &["signals", "p/push"])[0];
    let fl = m.get_path(&["fields"]).expect("fields");
    assert_eq!(s(fl, &["framing"]), "sms");
    assert_eq!(s(fl, &["component"]), "SMS_NOTIFICATION_SERVER");
    assert_eq!(i(fl, &["thread"]), 7896);
    assert_eq!(ts(fl, &["time"]), t(2026, 9, 25, 23, 35, 4, 952));
    assert_eq!(s(fl, &["message"]), "Finished sending push task (PushID: 13 TaskID: 13) to 1 clients");
    assert_eq!((s(m, &["captures", "push"]), i(m, &["line"])), ("13", 3));
}

#[test]
fn configmgr_cmtrace_and_curly_quotes() {
    let p = plan(vec![signal("p/any", "configmgr", r"(?i)task|scan failed")]);
    let out = scan(
        &read("ccmnotificationagent_ccm_framing_cmtraceopen.log"),
        "a.log",
        &Format::ConfigMgr(Framing::Cmtrace),
        &p,
    );
    let f = list(&out, &["signals", "p/any"])[0].get_path(&["fields"]).expect("fields").clone();
    assert_eq!(ts(&f, &["time"]), t(2026, 9, 25, 23, 35, 4, 986));
    assert_eq!((s(&f, &["component"]), i(&f, &["type"]), s(&f, &["level"])), ("BgbAgent", 1, "info"));
    assert_eq!(
        (i(&f, &["thread"]), s(&f, &["file"]), s(&f, &["context"])),
        (8540, "bgbconnector.cpp:386", "")
    );

    let out = scan(
        &read("wuahandler_ccm_framing_hayesjupe_blog.txt"),
        "WUAHandler.log",
        &Format::ConfigMgr(Framing::Cmtrace),
        &p,
    );
    let f = list(&out, &["signals", "p/any"])[0].get_path(&["fields"]).expect("fields").clone();
    assert_eq!(s(&f, &["message"]), "Scan failed with error = 0x80244021.");
    assert_eq!((i(&f, &["type"]), s(&f, &["level"]), i(&f, &["thread"])), (3, "error", 2308));
    // 08:51:08.954 local, bias -570 minutes: UTC is 9 h 30 earlier.
    assert_eq!(ts(&f, &["time"]), t(2013, 7, 31, 23, 21, 8, 954));
}

#[test]
fn configmgr_multiline_cmtrace_record() {
    let text = "<![LOG[Sync failed: UssCommunicationError: WebException: The underlying connection was closed.\r\n   at System.Net.HttpWebRequest.GetResponse()\r\nSource: X]LOG]!><time=\"1:02:03.1234567+0\" date=\"3-4-2024\" component=\"SMS_WSUS_SYNC_MANAGER\" context=\"\" type=\"3\" thread=\"12\" file=\"\">\r\n<![LOG[next]LOG]!><time=\"1:02:04.000+0\" date=\"3-4-2024\" component=\"C\" context=\"\" type=\"1\" thread=\"12\" file=\"\">\r\n";
    let p = plan(vec![signal("p/frame", "configmgr", r"HttpWebRequest\.GetResponse")]);
    let out = scan(text.as_bytes(), "wsyncmgr.log", &Format::ConfigMgr(Framing::Cmtrace), &p);
    assert_eq!(out.records, 2);
    let m = &list(&out, &["signals", "p/frame"])[0];
    assert_eq!((i(m, &["line"]), i(m, &["match_line"])), (1, 2));
    let f = m.get_path(&["fields"]).expect("fields");
    assert_eq!(ts(f, &["time"]), t(2024, 3, 4, 1, 2, 3, 123));
    assert_eq!(s(f, &["component"]), "SMS_WSUS_SYNC_MANAGER");
    assert!(s(f, &["message"]).ends_with("Source: X"));
    assert_eq!(s(f, &["message"]).lines().count(), 3);
}

#[test]
fn configmgr_sms2_legacy_dates() {
    let out = scan(
        &read("sms2_sitecomp_legacy_simple_framing_kbQ227010.txt"),
        "sitecomp.log",
        &Format::ConfigMgr(Framing::Sms),
        &plan(vec![
            signal("p/boot", "configmgr", "Starting bootstrap"),
            signal("p/srv", "configmgr", r"does not contain (?P<file>\S+)\."),
        ]),
    );
    assert_eq!(out.records, 2);
    let m = &list(&out, &["signals", "p/boot"])[0];
    let f = m.get_path(&["fields"]).expect("fields");
    assert_eq!(s(f, &["component"]), "SMS_SITE_COMPONENT_MANAGER");
    assert_eq!(s(f, &["local_time"]), "1999-03-26 10:43:41.547");
    assert_eq!(s(f, &["time_zone"]), "Eastern Standard Time");
    assert_eq!(i(f, &["thread"]), 281);
    assert_eq!(s(f, &["message"]), "Starting bootstrap operations...");
    assert!(f.get_path(&["time"]).is_none(), "a zone name gives no offset");
    let m = &list(&out, &["signals", "p/srv"])[0];
    assert_eq!((i(m, &["line"]), s(m, &["captures", "file"])), (4, "Srvboot.exe"));
}

#[test]
fn configmgr_plain_copies_issue4_and_statmsg() {
    let p = plan(vec![signal(
        "p/issue4",
        "configmgr",
        r"(?i)ImportUpdateFromCatalogSite failed\. Arg = (?P<guid>[0-9a-f-]{36})\. Error =The underlying connection was closed",
    )]);
    let out = scan(
        &read("wsyncmgr_mslearn_issue4_surface_drivers.txt"),
        "wsyncmgr.log",
        &Format::ConfigMgr(Framing::Plain),
        &p,
    );
    let m = list(&out, &["signals", "p/issue4"]);
    let got: Vec<(i64, &str)> = m.iter().map(|m| (i(m, &["line"]), s(m, &["captures", "guid"]))).collect();
    assert_eq!(
        got,
        vec![(2, "001d4517-c586-4bb1-9e66-ed6ff8e8d34f"), (3, "0037641d-bb9b-4530-9568-11e413223106")]
    );

    let out = scan(
        &read("wsyncmgr_mslearn_tracksync_2014.txt"),
        "wsyncmgr.log",
        &Format::ConfigMgr(Framing::Plain),
        &plan(vec![signal("p/start", "configmgr", "Starting WSUS synchronization")]),
    );
    let ev = list(&out, &["logs", "configmgr", "sync_events"]);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (i(&ev[0], &["event_id"]), s(&ev[0], &["kind"]), i(&ev[0], &["line"])),
        (6704, "in_progress", 3)
    );
    assert_eq!(ts(&ev[0], &["time"]), t(2014, 1, 16, 18, 53, 53, 698));
    let f = list(&out, &["signals", "p/start"])[0].get_path(&["fields"]).expect("fields").clone();
    assert_eq!(
        (s(&f, &["component"]), s(&f, &["message"])),
        ("SMS_WSUS_SYNC_MANAGER", "sync: Starting WSUS synchronization")
    );
}

#[test]
fn configmgr_case_insensitive_sync_failure_with_tilde() {
    let out = scan(
        &read("wsyncmgr_wcm_mslearn_shared_susdb.txt"),
        "wsyncmgr.log",
        &Format::ConfigMgr(Framing::Plain),
        &plan(vec![signal(
            "p/uss",
            "configmgr",
            r"(?i)sync failed: usscommunicationerror: webexception: (?P<why>[^~]+)",
        )]),
    );
    let m = &list(&out, &["signals", "p/uss"])[0];
    assert_eq!(
        s(m, &["captures", "why"]),
        "The remote name could not be resolved: 'sws.update.microsoft.com'"
    );
    let msg = s(m.get_path(&["fields"]).expect("fields"), &["message"]).to_owned();
    assert!(msg.contains("'sws.update.microsoft.com'\n\nat System.Net"), "`~` is a newline: {msg:?}");
}

// ---- limits and malformed input ----

#[test]
fn max_matches_caps_and_counts_the_rest() {
    let mut text = String::new();
    for n in 0..10 {
        text.push_str(&format!(
            "2020-08-01 10:00:{n:02}.000 UTC\tError\tw3wp.5\tA.B\tforcibly closed by the remote host\n"
        ));
    }
    let mut sig = signal("p/r", "wsus", "forcibly closed");
    sig.max_matches = 3;
    let out = scan(text.as_bytes(), "sd.log", &Format::Wsus, &plan(vec![sig]));
    assert_eq!(list(&out, &["signals", "p/r"]).len(), 3);
    assert_eq!(
        out.facts.get_segments(&["signals_truncated", "p/r", "sd.log"]).map(|f| &f.value),
        Some(&Value::Int(7))
    );
}

#[test]
fn malformed_bytes_are_errors_with_offsets_not_panics() {
    // Binary junk in a file that claims to be a WSUS log.
    let junk: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let out = scan(
        &junk,
        "SoftwareDistribution.log",
        &Format::Wsus,
        &plan(vec![signal("p/x", "wsus", "forcibly")]),
    );
    assert!(!out.errors.is_empty());
    assert!(out.errors.iter().any(|e| e.offset.is_some() && e.message.contains("malformed")));
    assert!(out.errors.len() <= triage_collectors::logs::scan::MAX_ERRORS_PER_FILE + 1);
    assert!(out.errors.last().is_some_and(|e| e.message.contains("more errors")));

    // Every byte malformed: the first errors in order, then one summary naming the file.
    let max = triage_collectors::logs::scan::MAX_ERRORS_PER_FILE;
    let out = scan(&[0xFF; 1000], "SoftwareDistribution.log", &Format::Wsus, &plan(vec![]));
    assert_eq!(out.errors.len(), max + 1);
    let offsets: Vec<Option<u64>> = out.errors[..max].iter().map(|e| e.offset).collect();
    assert_eq!(offsets, (0..max as u64).map(Some).collect::<Vec<_>>());
    let last = out.errors.last().expect("a summary");
    assert_eq!(last.artifact, "SoftwareDistribution.log");
    assert_eq!(last.message, format!("{} more errors in this file not listed", 1000 - max));

    // Truncated UTF-16: an odd last byte.
    let mut bytes = utf16le_crlf(&read("softwaredistribution_mslearn_tracksync_2014.txt"));
    bytes.push(0x41);
    let out = scan(&bytes, "sd.log", &Format::Wsus, &plan(vec![]));
    assert_eq!(out.records, 4);
    let e = out.errors.iter().find(|e| e.message.contains("malformed")).expect("truncated utf-16 reported");
    assert_eq!(e.offset, Some(bytes.len() as u64 - 1));

    // NUL bytes inside a line.
    let text = b"2020-08-01 10:00:00.000 UTC\tInfo\tw3wp.5\tA.B\tok\n2020-08-01 10:00:01.000 UTC\tInfo\tw3wp.5\tA.B\tbad\0\0\0x\n";
    let out = scan(text, "sd.log", &Format::Wsus, &plan(vec![]));
    assert_eq!(out.records, 2);
    let e = out.errors.iter().find(|e| e.message.contains("NUL")).expect("NUL reported");
    assert_eq!(e.line, Some(2));
}

#[test]
fn a_100_mb_line_is_scanned_in_parts() {
    // Generated, never committed: a header, a 100 MB line with a hit in its middle, a header.
    let mut bytes = Vec::with_capacity(101 << 20);
    bytes.extend_from_slice(b"2020-08-01 10:00:00.000 UTC\tInfo\tw3wp.5\tA.B\tfirst\n");
    let line_start = bytes.len();
    bytes.resize(line_start + (50 << 20), b'x');
    bytes.extend_from_slice(b" forcibly closed by the remote host ");
    bytes.resize(line_start + (100 << 20), b'y');
    bytes.extend_from_slice(
        b"\n2020-08-01 10:00:02.000 UTC\tError\tw3wp.5\tA.B\tforcibly closed by the remote host\n",
    );
    let out = scan(&bytes, "sd.log", &Format::Wsus, &plan(vec![signal("p/r", "wsus", "forcibly closed")]));
    assert_eq!((out.records, out.lines), (2, 3));
    let e = out.errors.iter().find(|e| e.message.contains("scanned in parts")).expect("long record reported");
    assert_eq!(e.line, Some(1));
    let m = list(&out, &["signals", "p/r"]);
    assert_eq!(m.len(), 2);
    assert_eq!((i(&m[0], &["line"]), i(&m[0], &["match_line"])), (1, 2));
    assert!(s(&m[0], &["text"]).len() <= triage_facts::scan::MAX_RECORD_TEXT);
    assert_eq!((i(&m[1], &["line"]), i(&m[1], &["match_line"])), (3, 3));
    assert_eq!(s(m[1].get_path(&["fields"]).expect("fields"), &["level"]), "Error");
}

#[test]
fn tiny_chunks_give_the_same_facts_as_one_chunk() {
    let mut all = Vec::new();
    for name in [
        "softwaredistribution_mslearn_tracksync_2014.txt",
        "softwaredistribution_mslearn_issue1_send_forcibly_closed.txt",
        "softwaredistribution_mslearn_kb4482416_soapexception_multiline.txt",
        "softwaredistribution_mslearn_issue2_schannel_startup.txt",
    ] {
        all.extend(read(name));
        all.push(b'\n');
    }
    let p = plan(vec![
        signal("p/reset", "wsus", "forcibly closed"),
        signal("p/frame", "wsus", r"at System\.Net\.\w+"),
        signal("p/ev", "wsus", r"EventId=(?P<id>\d+)"),
    ]);
    let whole = scan(&all, "sd.log", &Format::Wsus, &p);
    for bytes in [all.clone(), utf16le_crlf(&all)] {
        let reference = scan(&bytes, "sd.log", &Format::Wsus, &p);
        for chunk in [5, 16, 97, 1000] {
            let limits = ScanLimits { chunk, max_record_bytes: 1 << 20, ..ScanLimits::default() };
            let small = scan_reader_with(&bytes[..], "sd.log", 0, &Format::Wsus, Some(&p), limits);
            assert_eq!(small.facts, reference.facts, "chunk {chunk}");
            assert_eq!(small.records, whole.records);
        }
    }
    assert_eq!(list(&whole, &["signals", "p/ev"]).len(), 2);
}

// ---- discovery ----

#[test]
fn discovery_recognises_lists_unknown_and_reports_progress() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let dir = tempdir("discover");
    std::fs::write(
        dir.join("SoftwareDistribution.log"),
        utf16le_crlf(&read("softwaredistribution_mslearn_tracksync_2014.txt")),
    )
    .expect("write");
    std::fs::write(dir.join("wsyncmgr.log"), read("wsyncmgr_mslearn_tracksync_2014.txt")).expect("write");
    std::fs::write(dir.join("notes.bin"), [0u8, 1, 2, 3, 0xFF]).expect("write");
    std::fs::write(dir.join("u_ex240101.log"), "#Fields: date time\n2024-01-01 00:00:01 GET /ClientWebService/client.asmx 500\n2024-01-01 00:00:02 GET / 200\n").expect("write");
    let last = Arc::new(AtomicU64::new(0));
    let seen = last.clone();
    let options = triage_collectors::discover::DiscoverOptions {
        progress: Some(Arc::new(move |done, total| {
            assert!(done <= total);
            seen.store(done, Ordering::SeqCst);
        })),
        ..Default::default()
    };
    let mut p =
        plan(vec![signal("p/ev", "wsus", r"EventId=384"), signal("p/iis500", "iis", r"(?P<uri>/\S+) 500$")]);
    p.log_kinds.push(triage_facts::LogKindSpec {
        name: "iis".into(),
        files: vec!["u_ex*.log".into()],
        record_start: r"\d{4}-\d\d-\d\d ".into(),
        fields: Some(r"^(?P<time>\S+ \S+) (?P<method>\S+)".into()),
        no_year: false,
    });
    let collectors = triage_collectors::all();
    let c =
        triage_collectors::discover::collect_path(&dir, &collectors, Some(&p), &options).expect("collects");
    let total: u64 = ["SoftwareDistribution.log", "wsyncmgr.log", "notes.bin", "u_ex240101.log"]
        .iter()
        .map(|n| std::fs::metadata(dir.join(n)).expect("exists").len())
        .sum();
    assert_eq!(last.load(Ordering::SeqCst), total);
    let collector_of = |p: &str| c.artifacts.iter().find(|a| a.path == p).and_then(|a| a.collector.clone());
    assert_eq!(collector_of("SoftwareDistribution.log").as_deref(), Some("wsus-log"));
    assert_eq!(collector_of("wsyncmgr.log").as_deref(), Some("configmgr-log"));
    assert_eq!(collector_of("u_ex240101.log").as_deref(), Some("custom-log"));
    assert_eq!(collector_of("notes.bin"), None);
    let un = c.facts.get("collection.unrecognised").expect("listed");
    assert_eq!(un.value, Value::List(vec![Fact::new("notes.bin")]));
    let art =
        c.facts.get_segments(&["collection", "artifacts", "SoftwareDistribution.log"]).expect("summary");
    assert_eq!((s(art, &["encoding"]), i(art, &["items"])), ("utf-16le", 4));
    assert_eq!(
        c.facts.get_segments(&["signals", "p/ev"]).and_then(|f| match &f.value {
            Value::List(l) => Some(l.len()),
            _ => None,
        }),
        Some(1)
    );
    let iis = match &c.facts.get_segments(&["signals", "p/iis500"]).expect("custom signal").value {
        Value::List(l) => l.clone(),
        v => panic!("{v:?}"),
    };
    assert_eq!(iis.len(), 1);
    assert_eq!(s(&iis[0], &["captures", "uri"]), "/ClientWebService/client.asmx");
    assert_eq!(s(&iis[0], &["fields", "method"]), "GET");
    assert_eq!(ts(&iis[0], &["fields", "time"]), t(2024, 1, 1, 0, 0, 1, 0));
    assert_eq!(i(&iis[0], &["line"]), 2);
    let f = c.facts.get_segments(&["logs", "iis", "by_file", "u_ex240101.log"]).expect("by_file");
    assert_eq!(i(f, &["records"]), 3);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn discovery_does_not_follow_links_out_of_the_input_and_limits_whole_file_readers() {
    let dir = tempdir("links");
    let outside = tempdir("outside");
    std::fs::write(outside.join("secret.log"), "2020-08-01 10:00:00.000 UTC\tInfo\tw3wp.5\tA.B\tx\n")
        .expect("write");
    std::fs::write(
        dir.join("SoftwareDistribution.log"),
        "2020-08-01 10:00:00.000 UTC\tInfo\tw3wp.5\tA.B\tx\n",
    )
    .expect("write");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.join("secret.log"), dir.join("SoftwareDistribution.log.1"))
            .expect("link");
        std::os::unix::fs::symlink(
            dir.join("SoftwareDistribution.log"),
            dir.join("SoftwareDistribution.log.2"),
        )
        .expect("link");
    }
    let options = triage_collectors::discover::DiscoverOptions { max_file_size: 10, ..Default::default() };
    let collectors = triage_collectors::all();
    let c = triage_collectors::discover::collect_path(&dir, &collectors, None, &options).expect("collects");
    // The log is larger than the limit, but log collectors stream: no error for it.
    assert!(c.errors.iter().all(|e| !e.message.contains("limit")), "{:?}", c.errors);
    #[cfg(unix)]
    {
        let e = c
            .errors
            .iter()
            .find(|e| e.artifact == "SoftwareDistribution.log.1")
            .expect("outside link reported");
        assert!(e.message.contains("outside the input"));
        assert!(
            c.artifacts.iter().any(|a| a.path == "SoftwareDistribution.log.2"),
            "a link inside the input is read"
        );
        assert!(c.artifacts.iter().all(|a| a.path != "SoftwareDistribution.log.1"));
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
    std::fs::remove_dir_all(&outside).expect("cleanup");
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("triage-logs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn recognition_by_name_and_by_content() {
    use triage_collectors::logs::{ConfigMgrLog, WsusLog};
    use triage_facts::{Artifact, Collector, Recognition};
    let bid = |c: &dyn Collector, rel: &str, head: &[u8]| {
        c.recognise(&Artifact { rel_path: rel, path: Path::new(rel), head, size: head.len() as u64 })
    };
    let sd = read("softwaredistribution_mslearn_tracksync_2014.txt");
    let cm = read("ccmnotificationagent_ccm_framing_cmtraceopen.log");
    let sms = read("bgbserver_simple_framing_cmtraceopen.log");
    assert_eq!(bid(&WsusLog, "logs/SoftwareDistribution.log.1", b""), Recognition::ByNameAndContent);
    assert_eq!(bid(&WsusLog, "SoftwareDistribution20240101.log", b""), Recognition::ByNameAndContent);
    assert_eq!(bid(&WsusLog, "copy.txt", &sd), Recognition::ByContent);
    assert_eq!(bid(&WsusLog, "copy.txt", &utf16le_crlf(&sd)), Recognition::ByContent);
    assert_eq!(bid(&WsusLog, "copy.txt", &cm), Recognition::No);
    assert_eq!(bid(&ConfigMgrLog, "wsyncmgr.lo_", b""), Recognition::ByNameAndContent);
    assert_eq!(bid(&ConfigMgrLog, "WCM.log", b""), Recognition::ByNameAndContent);
    assert_eq!(bid(&ConfigMgrLog, "a.txt", &cm), Recognition::ByContent);
    assert_eq!(bid(&ConfigMgrLog, "a.txt", &sms), Recognition::ByContent);
    assert_eq!(bid(&ConfigMgrLog, "a.txt", &sd), Recognition::No);
}

#[test]
fn routine_events_are_not_sync_events_and_lists_are_capped() {
    let mut text = String::new();
    text.push_str("2020-08-01 10:00:00.000 UTC\tInfo\tWsusService.9\tEventLogEventReporter.ReportEvent\tEventId=364,Type=Information,Category=Synchronization,Message=Content file download succeeded.\n");
    text.push_str("2020-08-01 10:00:01.000 UTC\tError\tWsusService.9\tEventLogEventReporter.ReportEvent\tEventId=386,Type=Error,Category=Synchronization,Message=Synchronization failed.\n");
    for n in 0..(triage_collectors::logs::MAX_LIST_ITEMS + 5) {
        text.push_str(&format!(
            "2020-08-01 10:00:02.000 UTC\tInfo\tw3wp.1\tA.B\tcalling https://h{n}.example/x\n"
        ));
    }
    let out =
        scan(text.as_bytes(), "sd.log", &Format::Wsus, &plan(vec![signal("p/ev", "wsus", r"EventId=\d+")]));
    let ev = list(&out, &["logs", "wsus", "sync_events"]);
    assert_eq!(ev.len(), 1);
    assert_eq!((i(&ev[0], &["event_id"]), s(&ev[0], &["kind"])), (386, "failed"));
    assert_eq!(s(&ev[0], &["message"]), "Synchronization failed.");
    // A signal still sees the routine event.
    assert_eq!(list(&out, &["signals", "p/ev"]).len(), 2);
    let eps = list(&out, &["logs", "wsus", "endpoints"]);
    assert_eq!(eps.len(), triage_collectors::logs::MAX_LIST_ITEMS);
    let f = by_file(&out, "wsus", "sd.log");
    assert_eq!(i(f, &["truncated", "endpoints"]), 5);
}
