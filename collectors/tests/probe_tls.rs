//! The live TLS probe against loopback servers only: `openssl s_server` set up as the article's
//! endpoint and as an old TLS 1.0 endpoint, an in-process rustls server, servers that reset,
//! hang up or stay silent, and an authenticating CONNECT proxy. Then the saved report read back
//! by the `probe-tls` collector.

mod capture_support;

use std::time::{Duration, Instant};

use capture_support::*;
use triage_collectors::probe::{
    self, as_host, proxy::ProxyConfig, ProbeOptions, ProbeReport, ProbeTlsCollector,
};
use triage_facts::{FactMap, Value};

fn options(addr: std::net::SocketAddr) -> ProbeOptions {
    let mut o = ProbeOptions::new(addr.ip().to_string(), addr.port());
    o.sni = Some("sws.update.microsoft.com".into());
    o.timeout = Duration::from_secs(3);
    o.pause = Duration::from_millis(20);
    o
}

fn answers(r: &ProbeReport) -> Vec<(String, String, bool)> {
    r.versions.iter().map(|v| (v.version.clone(), v.answer.clone(), v.accepted)).collect()
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

const ARTICLE_ORDER: [&str; 4] = [
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
];

#[test]
fn the_article_endpoint_speaks_tls12_with_four_suites_in_its_order() {
    if !have_openssl("the_article_endpoint_speaks_tls12_with_four_suites_in_its_order") {
        return;
    }
    let server = OpensslServer::start(OpensslKind::Article);
    let r = probe::probe(&options(server.addr));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(
        answers(&r),
        vec![
            ("TLS 1.0".into(), "alert:protocol_version".into(), false),
            ("TLS 1.1".into(), "alert:protocol_version".into(), false),
            ("TLS 1.2".into(), "server_hello".into(), true),
            ("TLS 1.3".into(), "alert:protocol_version".into(), false),
        ]
    );
    assert_eq!(r.versions[0].alert.as_deref(), Some("protocol_version"));
    assert_eq!(r.suites.get("TLS 1.2"), Some(&owned(&ARTICLE_ORDER)));
    assert_eq!(r.suites.len(), 1);
    // 4 version hellos + 4 more while enumerating (the last one refused).
    assert_eq!(r.connections, 8);
    assert_eq!(r.sni.as_deref(), Some("sws.update.microsoft.com"));

    // Saved, collected, evaluated like any other facts.
    let path = write_file("probe.json", r.to_json().as_bytes());
    let out = collect_file(&ProbeTlsCollector, &path);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let target = server.addr.to_string();
    let f = |rest: &[&str]| {
        let mut segs = vec!["probes", "tls", target.as_str()];
        segs.extend_from_slice(rest);
        out.facts.get_segments(&segs).map(|f| f.value.clone())
    };
    assert_eq!(f(&["versions", "TLS 1.2", "accepted"]), Some(Value::Bool(true)));
    assert_eq!(f(&["versions", "TLS 1.0", "answer"]), Some(Value::Str("alert:protocol_version".into())));
    assert_eq!(f(&["versions", "TLS 1.2", "suite"]), Some(Value::Str(ARTICLE_ORDER[0].into())));
    let Some(Value::List(accepted)) = f(&["accepted_versions"]) else { panic!("accepted_versions") };
    assert_eq!(accepted.len(), 1);
    let Some(Value::List(order)) = f(&["suites", "TLS 1.2"]) else { panic!("suites") };
    let order: Vec<&str> = order.iter().filter_map(|x| x.value.as_str()).collect();
    assert_eq!(order, ARTICLE_ORDER);
    let src =
        out.facts.get_segments(&["probes", "tls", target.as_str(), "versions", "TLS 1.2"]).expect("fact");
    let src = src.source.as_ref().expect("provenance");
    assert_eq!((src.artifact.as_str(), src.collector.as_str()), ("probe.json", "probe-tls"));
    assert_eq!(src.key.as_deref(), Some("versions/TLS 1.2"));
}

#[test]
fn an_old_endpoint_answers_newer_hellos_with_tls10() {
    if !have_openssl("an_old_endpoint_answers_newer_hellos_with_tls10") {
        return;
    }
    let server = OpensslServer::start(OpensslKind::Tls10Only);
    let r = probe::probe(&options(server.addr));
    let a = answers(&r);
    assert_eq!(a[0], ("TLS 1.0".into(), "server_hello".into(), true));
    assert_eq!(a[1], ("TLS 1.1".into(), "lower_version".into(), false));
    assert_eq!(a[2], ("TLS 1.2".into(), "lower_version".into(), false));
    assert_eq!(r.versions[2].server_version.as_deref(), Some("TLS 1.0"));
    assert!(!a[3].2, "{:?}", a[3]);
    assert_eq!(
        r.suites.get("TLS 1.0"),
        Some(&owned(&["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"]))
    );
}

fn facts(json: &str) -> FactMap {
    FactMap::from_json_str(json).expect("facts json")
}

#[test]
fn as_this_host_would_against_the_article_endpoint() {
    if !have_openssl("as_this_host_would_against_the_article_endpoint") {
        return;
    }
    let server = OpensslServer::start(OpensslKind::Article);
    let run = |host: &str| {
        let mut o = options(server.addr);
        o.versions.clear();
        o.enumerate_suites = false;
        o.as_host = Some(as_host::host_hello(&facts(host)));
        let r = probe::probe(&o);
        assert!(r.connections <= 1);
        r.as_host.expect("as-host result")
    };

    // 2012 R2 without the .NET settings: WSUS offers TLS 1.0 only (issues 1 and 3).
    let a = run(r#"{"os":{"build":9600},"registry":{}}"#);
    assert_eq!(a.versions, owned(&["TLS 1.0"]));
    assert!(!a.would_succeed);
    assert_eq!(a.answer, "alert:protocol_version");

    // With SchUseStrongCrypto: TLS 1.2, and the 2012 R2 list shares the CBC suites.
    let a = run(
        r#"{"os":{"build":9600},"registry":{"HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319":{"SchUseStrongCrypto":1}}}"#,
    );
    assert!(a.would_succeed, "{a:?}");
    assert_eq!(a.answer, "server_hello");
    assert_eq!(a.server_version.as_deref(), Some("TLS 1.2"));
    assert_eq!(a.suite.as_deref(), Some("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"));
    assert_eq!(a.suite_source, "os_default");

    // A cipher-suite order policy with none of the endpoint's suites (issue 5).
    let a = run(r#"{"os":{"build":17763},"registry":{
          "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319":{"SystemDefaultTlsVersions":1},
          "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002":
            {"Functions":"TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256"}}}"#);
    assert_eq!(a.suite_source, "registry_policy");
    assert!(!a.would_succeed);
    assert_eq!(a.answer, "alert:handshake_failure");
    assert_eq!(a.alert.as_deref(), Some("handshake_failure"));

    // Every version disabled (issue 2): no hello, no connection.
    let a = run(r#"{"os":{"build":17763},"registry":{
          "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Client":{"Enabled":0}}}"#);
    assert_eq!(a.answer, "no_hello");
    assert!(a.versions.is_empty() && !a.would_succeed);
}

#[test]
fn rustls_server_speaks_tls12_and_tls13() {
    let (cert, key) = localhost_cert();
    let addr = rustls_server(cert, key, false);
    let mut o = options(addr);
    o.sni = Some("localhost".into());
    let r = probe::probe(&o);
    let a = answers(&r);
    // rustls refuses TLS 1.0 and 1.1 with an alert (its own choice of description).
    for old in &a[..2] {
        assert!(old.1.starts_with("alert:") && !old.2, "{old:?}");
    }
    assert_eq!(a[2], ("TLS 1.2".into(), "server_hello".into(), true));
    assert_eq!(a[3], ("TLS 1.3".into(), "server_hello".into(), true));
    assert_eq!(r.versions[3].server_version.as_deref(), Some("TLS 1.3"));
    let tls12 = r.suites.get("TLS 1.2").expect("TLS 1.2 suites");
    assert!(tls12.iter().all(|s| s.starts_with("TLS_ECDHE_ECDSA_WITH_")), "{tls12:?}");
    assert_eq!(tls12.len(), 3, "{tls12:?}");
    let tls13 = r.suites.get("TLS 1.3").expect("TLS 1.3 suites");
    let mut sorted = tls13.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        owned(&["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"])
    );
}

#[test]
fn hello_retry_request_counts_as_tls13() {
    let (cert, key) = localhost_cert();
    let addr = rustls_server(cert, key, true);
    let mut o = options(addr);
    o.versions = vec![0x0304];
    o.enumerate_suites = false;
    let r = probe::probe(&o);
    assert_eq!(answers(&r), vec![("TLS 1.3".into(), "hello_retry_request".into(), true)]);
}

#[test]
fn resets_silence_hang_ups_and_non_tls_answers() {
    let one = |addr, timeout_ms| {
        let mut o = options(addr);
        o.versions = vec![0x0303];
        o.timeout = Duration::from_millis(timeout_ms);
        let started = Instant::now();
        let r = probe::probe(&o);
        (r.versions[0].answer.clone(), r.connections, started.elapsed())
    };
    let (answer, n, _) = one(reset_server(), 3000);
    assert_eq!((answer.as_str(), n), ("rst", 1));
    let (answer, _, took) = one(silent_server(Duration::from_secs(2)), 400);
    assert_eq!(answer, "timeout");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    let (answer, _, _) = one(eof_server(), 3000);
    assert_eq!(answer, "eof");
    let (answer, _, _) = one(http_server(), 3000);
    assert_eq!(answer, "not_tls");
    // Nothing listens: a connection error, reported, not a panic.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let mut o = options(closed);
    o.timeout = Duration::from_millis(1000);
    let r = probe::probe(&o);
    assert_eq!(r.connections, 1, "an unreachable target is tried once");
    assert_eq!(r.versions.len(), 1);
    assert!(r.versions[0].answer.starts_with("error:connect"), "{:?}", r.versions[0]);
}

#[test]
fn through_an_authenticating_connect_proxy() {
    let (cert, key) = localhost_cert();
    let server = rustls_server(cert, key, false);
    let proxy = Relay::start(RelayMode::Proxy { credentials: Some("dom\\wsus:p@ss".into()) });

    let mut o = ProbeOptions::new("127.0.0.1", server.port());
    o.pause = Duration::from_millis(10);
    o.timeout = Duration::from_secs(3);
    o.proxy = Some(ProxyConfig::parse(&format!("http://dom%5Cwsus:p%40ss@{}", proxy.addr)).expect("url"));
    let r = probe::probe(&o);
    assert_eq!(r.proxy.as_deref(), Some(proxy.addr.to_string().as_str()));
    assert!(r.versions[2].accepted && r.versions[3].accepted, "{:?}", answers(&r));
    assert!(r.sni.is_none(), "no SNI for an IP address");
    assert!(!r.to_json().contains("p@ss") && !r.to_json().contains("wsus"));

    // Wrong password: one refused tunnel, then the probe stops.
    o.proxy = Some(ProxyConfig::parse(&format!("http://dom%5Cwsus:wrong@{}", proxy.addr)).expect("url"));
    let r = probe::probe(&o);
    assert_eq!(r.connections, 1);
    assert_eq!(r.proxy_status, Some(407));
    assert_eq!(answers(&r), vec![("TLS 1.0".into(), "proxy_refused".into(), false)]);
    let facts = r.to_facts("probe.json");
    let key = format!("127.0.0.1:{}", server.port());
    let status = facts.get_segments(&["probes", "tls", key.as_str(), "proxy_status"]).expect("proxy_status");
    assert_eq!(status.value, Value::Int(407));
}

#[test]
fn connections_are_few_paced_and_capped() {
    let (cert, key) = localhost_cert();
    let addr = rustls_server(cert, key, false);
    let mut o = options(addr);
    o.pause = Duration::from_millis(100);
    o.max_connections = 3;
    let started = Instant::now();
    let r = probe::probe(&o);
    assert_eq!(r.connections, 3);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(r.versions.len(), 3, "the fourth version is not tried once the cap is hit");
    assert!(r.suites.is_empty() || r.suites.values().all(|l| l.len() == 1));
}

#[test]
fn saved_probes_that_are_broken_are_reported() {
    let path = write_file("probe.json", b"{\n  \"format\": \"triage-probe-tls/1\",\n  \"target\": 5\n}\n");
    let out = collect_file(&ProbeTlsCollector, &path);
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.contains("not a saved TLS probe"), "{}", out.errors[0].message);
    assert!(out.facts.root.is_empty());
    let bytes = br#"{"format":"something-else"}"#;
    let path = write_file("other.json", bytes);
    let artifact = triage_facts::Artifact { rel_path: "other.json", path: &path, head: bytes, size: 28 };
    assert_eq!(
        triage_facts::Collector::recognise(&ProbeTlsCollector, &artifact),
        triage_facts::Recognition::No
    );
}

#[test]
fn discovery_hands_a_saved_probe_to_the_probe_tls_collector() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/probe/probe_article_issue5.json");
    let c = triage_collectors::discover::collect_path(
        &path,
        &triage_collectors::all(),
        None,
        &triage_collectors::discover::DiscoverOptions::default(),
    )
    .expect("collect");
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(c.artifacts.len(), 1);
    assert_eq!(c.artifacts[0].collector.as_deref(), Some("probe-tls"));
    assert!(c.facts.has("probes.tls"));
}
