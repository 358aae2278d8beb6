//! Log kinds whose times carry no year (`year = "none"`, syslog's `Jan  5 10:00:00`): each time
//! is placed in the latest year that puts it no more than a day after the input's collection
//! time, across a new year; a time with a year is kept; without a collection time the time
//! stays text and the file has no `first_time`.

use triage_collectors::discover::{collect_path, DiscoverOptions};
use triage_collectors::logs::custom::place_year;
use triage_facts::{LogKindSpec, ScanPlan, SignalSpec, Timestamp, Value};

const LOG: &str = "\
Dec 30 23:59:58 web1 sshd[7]: Unable to negotiate with 10.0.0.1 port 1
2024-12-31T08:00:00.123+00:00 web1 sshd[7]: Unable to negotiate with 10.0.0.2 port 2
Jan  2 00:00:01 web1 sshd[7]: Unable to negotiate with 10.0.0.3 port 3
";

fn plan() -> ScanPlan {
    ScanPlan {
        log_kinds: vec![LogKindSpec {
            name: "p/authlog".into(),
            files: vec!["auth.log".into()],
            record_start: r"[A-Z][a-z]{2} |\d{4}-".into(),
            fields: Some(r"^(?P<time>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\S+) (?P<host>\S+) ".into()),
            no_year: true,
        }],
        signals: vec![SignalSpec {
            id: "p/refused".into(),
            log: "p/authlog".into(),
            pattern: "Unable to negotiate".into(),
            max_matches: 10,
        }],
        ..Default::default()
    }
}

fn times(reference: Option<Timestamp>) -> (Vec<Value>, Option<Value>, Option<Value>) {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("auth.log"), LOG).expect("write");
    let options = DiscoverOptions { reference_time: reference, ..Default::default() };
    let c = collect_path(dir.path(), &triage_collectors::all(), Some(&plan()), &options).expect("collects");
    let Some(Value::List(matches)) = c.facts.get_segments(&["signals", "p/refused"]).map(|f| f.value.clone())
    else {
        panic!("matches")
    };
    let t = matches.iter().map(|m| m.get_path(&["fields", "time"]).expect("time").value.clone()).collect();
    let by_file = |k: &str| {
        c.facts.get_segments(&["logs", "p/authlog", "by_file", "auth.log", k]).map(|f| f.value.clone())
    };
    (t, by_file("first_time"), by_file("last_time"))
}

fn ts(s: &str) -> Value {
    Value::Timestamp(Timestamp::parse_rfc3339(s).expect("timestamp"))
}

#[test]
fn times_are_placed_before_the_collection_time_across_a_new_year() {
    let collected = Timestamp::parse_rfc3339("2025-01-03T12:00:00Z");
    let (t, first, last) = times(collected);
    assert_eq!(t, [ts("2024-12-30T23:59:58Z"), ts("2024-12-31T08:00:00.123Z"), ts("2025-01-02T00:00:01Z")]);
    assert_eq!((first, last), (Some(ts("2024-12-30T23:59:58Z")), Some(ts("2025-01-02T00:00:01Z"))));
}

#[test]
fn without_a_collection_time_year_less_times_stay_text() {
    let (t, first, _) = times(None);
    assert_eq!(
        t,
        [
            Value::Str("Dec 30 23:59:58".into()),
            ts("2024-12-31T08:00:00.123Z"),
            Value::Str("Jan  2 00:00:01".into())
        ]
    );
    assert_eq!(first, Some(ts("2024-12-31T08:00:00.123Z")), "only the time with a year");
}

#[test]
fn placing_a_year() {
    let r = Timestamp::parse_rfc3339("2025-03-01T00:00:00Z").expect("ts");
    let p = |s: &str| place_year(s, r).map(|t| t.to_string());
    assert_eq!(p("Mar  1 23:00:00").as_deref(), Some("2025-03-01T23:00:00.000Z"), "a day of slack");
    assert_eq!(p("Mar  2 01:00:00").as_deref(), Some("2024-03-02T01:00:00.000Z"));
    assert_eq!(p("Feb 29 10:00:00").as_deref(), Some("2024-02-29T10:00:00.000Z"));
    assert_eq!(p("Jan  5 10:00:00.5").as_deref(), Some("2025-01-05T10:00:00.500Z"));
    assert_eq!(p("Foo  5 10:00:00"), None);
    assert_eq!(p("Jan 32 10:00:00"), None);
    assert_eq!(p("Jan  5 10:00"), None);
}
