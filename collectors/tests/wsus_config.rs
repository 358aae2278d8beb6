//! The WSUS configuration collector: `GetConfiguration()` as JSON (Windows PowerShell 5.1's
//! UTF-16LE `>` output and PowerShell 7's UTF-8) and as list output, and the subscription-event
//! list output from the reference samples.

use std::path::Path;

use triage_collectors::text;
use triage_collectors::wsus_config::{self, WsusConfigCollector};
use triage_facts::{Artifact, Collector, CollectorOutput, Fact, Recognition, Timestamp, Value};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wsus").join(name))
        .expect("test data exists")
}

/// As Windows PowerShell 5.1's `>` writes: UTF-16LE with BOM, CRLF.
fn ps51(bytes: &[u8]) -> Vec<u8> {
    let text =
        String::from_utf8(bytes.to_vec()).expect("utf-8 fixture").replace("\r\n", "\n").replace('\n', "\r\n");
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn config<'a>(out: &'a CollectorOutput, key: &str) -> Option<&'a Value> {
    out.facts.get_segments(&["wsus", "config", key]).map(|f| &f.value)
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

#[test]
fn windows_powershell_json() {
    let bytes = ps51(&data("wsus_config_ps51.json"));
    let out = wsus_config::collect_bytes("wsus-config.json", &bytes);
    assert_eq!(out.encoding.as_deref(), Some("utf-16le"));
    assert_eq!(out.errors, vec![]);
    assert_eq!(config(&out, "MUUrl"), Some(&s("https://fe2.update.microsoft.com/v6")));
    assert_eq!(config(&out, "SyncFromMicrosoftUpdate"), Some(&Value::Bool(true)));
    assert_eq!(config(&out, "UpstreamWsusServerName"), Some(&s("")));
    assert_eq!(config(&out, "UpstreamWsusServerPortNumber"), Some(&Value::Int(8530)));
    assert_eq!(config(&out, "UseProxy"), Some(&Value::Bool(true)));
    assert_eq!(config(&out, "ProxyName"), Some(&s("proxy.contoso.com")));
    assert_eq!(config(&out, "ProxyServerPort"), Some(&Value::Int(8080)));
    assert_eq!(config(&out, "AnonymousProxyAccess"), Some(&Value::Bool(true)));
    assert_eq!(config(&out, "SslProxyName"), None, "null is left out");
    assert_eq!(config(&out, "LocalContentCachePath"), Some(&s("D:\\WSUS\\WsusContent")));
    assert_eq!(config(&out, "LastConfigChange"), Some(&Value::Timestamp(Timestamp(1_710_235_287_000))));
    assert_eq!(
        config(&out, "DeploymentExpirationTime"),
        Some(&Value::Timestamp(Timestamp(1_710_235_287_000)))
    );
    assert_eq!(config(&out, "MaxSimultaneousFileDownloads"), Some(&Value::Float(0.5)));
    assert_eq!(
        config(&out, "SupportedUpdateLanguages"),
        Some(&Value::List(vec![Fact::new("en"), Fact::new("de"), Fact::new("fr")]))
    );
    let server = out.facts.get_segments(&["wsus", "config", "UpdateServer", "PortNumber"]);
    assert_eq!(server.map(|f| &f.value), Some(&Value::Int(8531)));

    let f = out.facts.get_segments(&["wsus", "config", "MUUrl"]).expect("MUUrl");
    let src = f.source.as_ref().expect("provenance");
    assert_eq!(
        (src.line, src.key.as_deref(), src.collector.as_str()),
        (Some(44), Some("MUUrl"), "wsus-config")
    );
    let span = src.span.expect("span");
    let decoded = text::decode(&bytes).text;
    assert_eq!(&decoded[span.start as usize..span.end as usize], "\"https://fe2.update.microsoft.com/v6\"");
    let langs = out.facts.get_segments(&["wsus", "config", "SupportedUpdateLanguages"]).expect("list");
    let span = langs.source.as_ref().and_then(|s| s.span).expect("span");
    let text = &decoded[span.start as usize..span.end as usize];
    assert!(text.starts_with('[') && text.ends_with(']') && text.contains("\"fr\""), "{text}");
}

#[test]
fn powershell_7_json_upstream_server() {
    let out = wsus_config::collect_bytes("config.json", &data("wsus_config_ps7.json"));
    assert_eq!(out.encoding.as_deref(), Some("utf-8"));
    assert_eq!(out.errors, vec![]);
    assert_eq!(config(&out, "MUUrl"), Some(&s("https://sws.update.microsoft.com")));
    assert_eq!(config(&out, "SyncFromMicrosoftUpdate"), Some(&Value::Bool(false)));
    assert_eq!(config(&out, "UpstreamWsusServerName"), Some(&s("wsus-hub.contoso.com")));
    assert_eq!(config(&out, "UpstreamWsusServerUseSsl"), Some(&Value::Bool(true)));
    assert_eq!(config(&out, "LastConfigChange"), Some(&s("2024-03-12T09:41:27.000Z")));
    assert_eq!(
        out.facts.get("wsus.config.MUUrl").and_then(|f| f.source.as_ref()).and_then(|s| s.line),
        Some(11)
    );
    assert_eq!(out.items, 9);
}

#[test]
fn list_output_of_the_configuration() {
    let bytes = ps51(&data("wsus_config_list.txt"));
    let out = wsus_config::collect_bytes("wsusconfig.txt", &bytes);
    assert_eq!(out.errors, vec![]);
    assert_eq!(config(&out, "MUUrl"), Some(&s("https://sws1.update.microsoft.com")));
    assert_eq!(config(&out, "SyncFromMicrosoftUpdate"), Some(&Value::Bool(true)));
    assert_eq!(config(&out, "IsReplicaServer"), Some(&Value::Bool(false)));
    assert_eq!(config(&out, "UpstreamWsusServerName"), None, "an empty value is left out");
    assert_eq!(config(&out, "ProxyServerPort"), Some(&Value::Int(8080)));
    assert_eq!(config(&out, "TargetingMode"), Some(&s("Server")));
    assert_eq!(config(&out, "LastConfigChange"), Some(&s("3/12/2024 9:41:27 AM")));
    assert_eq!(
        config(&out, "SupportedUpdateLanguages"),
        Some(&Value::List(vec![Fact::new("en"), Fact::new("de"), Fact::new("fr")]))
    );
    let f = out.facts.get("wsus.config.MUUrl").expect("MUUrl");
    let src = f.source.as_ref().expect("provenance");
    assert_eq!(src.line, Some(15));
    let span = src.span.expect("span");
    assert_eq!(
        &text::decode(&bytes).text[span.start as usize..span.end as usize],
        "https://sws1.update.microsoft.com"
    );
}

#[test]
fn subscription_event_sample() {
    let bytes = data("wsus_subscription_event_fe2_ps_output.txt");
    let out = wsus_config::collect_bytes("events.txt", &bytes);
    assert_eq!(out.errors, vec![]);
    let events = match out.facts.get("wsus.events").map(|f| &f.value) {
        Some(Value::List(l)) => l,
        other => panic!("events expected, got {other:?}"),
    };
    assert_eq!(events.len(), 1);
    let e = |k: &str| events[0].get_path(&[k]).map(|f| f.value.clone());
    assert_eq!(e("WsusEventId"), Some(s("SynchronizationCompletedFailure")));
    assert_eq!(e("EventCategory"), Some(s("SynchronizationCompletion")));
    assert_eq!(e("Error"), Some(s("UssCommunicationError")));
    assert_eq!(e("IsError"), Some(Value::Bool(true)));
    assert_eq!(e("ErrorCode"), Some(Value::Int(-2_146_233_079)));
    assert_eq!(e("UpdateErrors"), Some(Value::List(vec![])));
    assert_eq!(e("CreationDate"), Some(s("10/26/2017 11:41:44 AM")));
    let Some(Value::Str(error_text)) = e("ErrorText") else { panic!("ErrorText") };
    let lines: Vec<&str> = error_text.lines().collect();
    assert_eq!(lines.len(), 9);
    assert_eq!(lines[0], "WebException: The remote name could not be resolved: 'fe2.update.microsoft.com'");
    assert_eq!(lines[1], "at System.Net.HttpWebRequest.GetRequestStream(TransportContext& context)");
    let src = events[0].get_path(&["ErrorText"]).and_then(|f| f.source.clone()).expect("provenance");
    assert_eq!((src.line, src.end_line), (Some(3), Some(11)));
    let message = events[0].get_path(&["Message"]).and_then(|f| f.source.clone()).expect("provenance");
    assert_eq!(message.line, Some(18));
}

#[test]
fn several_event_records() {
    let text = "\r\nWsusEventId     : SynchronizationCompletedFailure\r\nEventCategory   : SynchronizationCompletion\r\n\
                Message         : Synchronization failed.\r\n\r\nWsusEventId     : SynchronizationCompletedSuccessfully\r\n\
                EventCategory   : SynchronizationCompletion\r\nIsError         : False\r\n";
    let out = wsus_config::collect_bytes("events.txt", &ps51(text.as_bytes()));
    let Some(Value::List(events)) = out.facts.get("wsus.events").map(|f| &f.value) else { panic!("events") };
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].get_path(&["IsError"]).map(|f| &f.value), Some(&Value::Bool(false)));
    assert_eq!(events[1].source.as_ref().and_then(|s| s.line), Some(6));
    assert_eq!(out.items, 2);
}

#[test]
fn malformed_json_and_truncated_utf16() {
    let mut bytes = ps51(&data("wsus_config_ps51.json"));
    bytes.truncate(bytes.len() / 4 * 2 + 1); // mid-file, half a code unit
    let out = wsus_config::collect_bytes("wsus-config.json", &bytes);
    assert!(out.facts.root.is_empty());
    assert!(out.errors.iter().any(|e| e.offset == Some(bytes.len() as u64 - 1)), "{:?}", out.errors);
    let json = out.errors.iter().find(|e| e.message.starts_with("malformed JSON")).expect("JSON error");
    assert!(json.line.is_some_and(|l| l > 10), "{json:?}");

    let out = wsus_config::collect_bytes(
        "x.json",
        b"[{\"MUUrl\": \"https://sws.update.microsoft.com\"}, {\"MUUrl\": \"b\"}]",
    );
    assert_eq!(config(&out, "MUUrl"), Some(&s("https://sws.update.microsoft.com")));
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.contains("only the first"));

    let out = wsus_config::collect_bytes("x.json", b"[\"MUUrl\"]");
    assert!(out.facts.root.is_empty());
    assert_eq!(out.errors.len(), 1);

    let out = wsus_config::collect_bytes("x.txt", b"nothing of ours");
    assert_eq!(out.errors.len(), 1);

    // Deep nesting is cut off, not recursed into without bound.
    let deep = format!("{{\"MUUrl\": \"u\", \"Deep\": {}1{}}}", "[".repeat(100), "]".repeat(100));
    let out = wsus_config::collect_bytes("x.json", deep.as_bytes());
    assert_eq!(config(&out, "MUUrl"), Some(&s("u")));
}

#[test]
fn recognition() {
    let rec = |name: &str, head: &[u8]| {
        WsusConfigCollector.recognise(&Artifact {
            rel_path: name,
            path: Path::new(name),
            head,
            size: head.len() as u64,
        })
    };
    assert_eq!(rec("wsus-config.json", &ps51(&data("wsus_config_ps51.json"))), Recognition::ByNameAndContent);
    assert_eq!(rec("config.json", &data("wsus_config_ps7.json")), Recognition::ByContent);
    assert_eq!(rec("out.txt", &ps51(&data("wsus_config_list.txt"))), Recognition::ByContent);
    assert_eq!(
        rec("wsus_subscription_event_fe2_ps_output.txt", &data("wsus_subscription_event_fe2_ps_output.txt")),
        Recognition::ByNameAndContent
    );
    assert_eq!(rec("package.json", b"{\"name\": \"x\", \"version\": \"1.0.0\"}"), Recognition::No);
    let long = format!("{{\"UpdateServer\": \"{}\"}}", "x".repeat(9000));
    assert_eq!(rec("wsus-config.json", &long.as_bytes()[..8192]), Recognition::ByNameAndContent);
    assert_eq!(rec("other.json", &long.as_bytes()[..8192]), Recognition::No);
    assert_eq!(
        rec("notes.txt", b"Host Name: WSUS01\r\nOS Name: Microsoft Windows Server 2019\r\n"),
        Recognition::No
    );
}
