//! Committed captures of the article's cases (`tests/data/capture/`, see its README), read back
//! with the facts packs see. They were recorded on loopback by `regenerate_fixtures` below: real
//! handshakes relayed through the recording relay and written as pcap / pcapng.

mod capture_support;

use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use capture_support::*;
use triage_collectors::capture::CaptureCollector;
use triage_collectors::probe::client_hello::{broad_suites, build, HelloSpec};
use triage_collectors::probe::{self, as_host, ProbeOptions, ProbeTlsCollector};
use triage_facts::{Fact, FactMap, Value};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/capture")
}

fn only_connection(name: &str) -> (Fact, triage_facts::CollectorOutput) {
    let out = collect_file(&CaptureCollector, &data_dir().join(name));
    assert!(out.errors.is_empty(), "{name}: {:?}", out.errors);
    let Some(Value::List(l)) = out.facts.get("network.tls.connections").map(|f| f.value.clone()) else {
        panic!("{name}: no connections")
    };
    assert_eq!(l.len(), 1, "{name}");
    (l[0].clone(), out)
}

fn s(conn: &Fact, path: &[&str]) -> Option<String> {
    conn.get_path(path).and_then(|f| match &f.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    })
}

#[test]
fn issue1_tls10_hello_reset() {
    let (c, _) = only_connection("issue1_tls10_hello_rst.pcap");
    assert_eq!(s(&c, &["sni"]).as_deref(), Some("sws.update.microsoft.com"));
    assert_eq!(s(&c, &["client_hello", "version"]).as_deref(), Some("TLS 1.0"));
    assert_eq!(s(&c, &["client_hello", "frame"]).as_deref(), Some("4"));
    assert_eq!(s(&c, &["answer", "kind"]).as_deref(), Some("rst"));
    assert_eq!(s(&c, &["answer", "from"]).as_deref(), Some("server"));
    assert_eq!(s(&c, &["answer", "frame"]).as_deref(), Some("5"));
}

#[test]
fn issue2_fin_without_hello() {
    let (c, _) = only_connection("issue2_fin_no_hello.pcapng");
    assert!(c.get_path(&["client_hello"]).is_none());
    assert_eq!(s(&c, &["answer", "kind"]).as_deref(), Some("fin"));
    assert_eq!(s(&c, &["answer", "from"]).as_deref(), Some("client"));
}

#[test]
fn issue5_no_common_suite_reset() {
    let (c, _) = only_connection("issue5_no_common_suite_rst.pcap");
    assert_eq!(s(&c, &["client_hello", "version"]).as_deref(), Some("TLS 1.2"));
    let Some(Value::List(suites)) = c.get_path(&["client_hello", "suites"]).map(|f| f.value.clone()) else {
        panic!("suites")
    };
    let suites: Vec<&str> = suites.iter().filter_map(|f| f.value.as_str()).collect();
    assert_eq!(suites, ["TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_GCM_SHA256"]);
    assert_eq!(s(&c, &["answer", "kind"]).as_deref(), Some("rst"));
}

#[test]
fn success_tls12_with_the_article_endpoint() {
    let (c, out) = only_connection("success_tls12.pcapng");
    assert_eq!(s(&c, &["client_hello", "version"]).as_deref(), Some("TLS 1.2"));
    assert_eq!(s(&c, &["answer", "kind"]).as_deref(), Some("server_hello"));
    assert_eq!(s(&c, &["answer", "suite"]).as_deref(), Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
    assert_eq!(s(&c, &["answer", "version"]).as_deref(), Some("TLS 1.2"));
    let summary =
        out.facts.get_segments(&["network", "tls", "summary", "success_tls12.pcapng"]).expect("summary");
    assert_eq!(summary.get_path(&["client_hellos"]).and_then(|f| f.value.as_int()), Some(1));
}

#[test]
fn proxy_tunnel_refused_and_granted() {
    let (c, _) = only_connection("proxy_connect_407.pcap");
    assert_eq!(s(&c, &["proxy_connect", "target"]).as_deref(), Some("127.0.0.1:443"));
    assert_eq!(s(&c, &["proxy_connect", "status"]).as_deref(), Some("407"));
    assert_eq!(s(&c, &["answer", "kind"]).as_deref(), Some("fin"));
    assert_eq!(s(&c, &["answer", "from"]).as_deref(), Some("server"));
    let (c, _) = only_connection("proxy_connect_ok.pcap");
    assert_eq!(s(&c, &["proxy_connect", "status"]).as_deref(), Some("200"));
    assert_eq!(s(&c, &["client_hello", "version"]).as_deref(), Some("TLS 1.3"));
    assert_eq!(s(&c, &["answer", "kind"]).as_deref(), Some("server_hello"));
}

/// Records the fixtures again. Needs `openssl`; writes into the source tree.
#[test]
#[ignore = "rewrites tests/data/capture; run with --ignored when the capture writer changes"]
fn regenerate_fixtures() {
    assert!(have_openssl("regenerate_fixtures"), "openssl is needed to record the fixtures");
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::create_dir_all(probe_dir()).expect("mkdir");
    let save = |name: &str, conv: &Conversation, spec: CaptureSpec| {
        std::fs::write(dir.join(name), write_capture(conv, &spec).bytes).expect("write fixture");
    };
    let pcap = CaptureSpec::default();
    let pcapng = CaptureSpec { container: Container::PcapNg { big_endian: false }, ..CaptureSpec::default() };
    let send = |relay: &Relay, hello: Vec<u8>| {
        let mut s = TcpStream::connect(relay.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
        std::io::Write::write_all(&mut s, &hello).expect("send");
        let mut rest = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut rest);
    };
    let sni = Some("sws.update.microsoft.com".to_owned());

    let relay = Relay::start(RelayMode::Forward(reset_server()));
    send(&relay, build(&HelloSpec::single(0x0301, broad_suites(), sni.clone())));
    save("issue1_tls10_hello_rst.pcap", &relay.conversations(1)[0], pcap);

    let relay = Relay::start(RelayMode::Forward(eof_server()));
    drop(TcpStream::connect(relay.addr).expect("connect"));
    save("issue2_fin_no_hello.pcapng", &relay.conversations(1)[0], pcapng);

    let relay = Relay::start(RelayMode::Forward(reset_server()));
    send(&relay, build(&HelloSpec::single(0x0303, vec![0x009D, 0x009C], sni.clone())));
    save("issue5_no_common_suite_rst.pcap", &relay.conversations(1)[0], pcap);

    let server = OpensslServer::start(OpensslKind::Article);
    let relay = Relay::start(RelayMode::Forward(server.addr));
    let (cert, key) = localhost_cert();
    let cfg = rustls_client(&cert, &[&rustls::version::TLS12]);
    rustls_talk(cfg, "sws.update.microsoft.com", TcpStream::connect(relay.addr).expect("connect"));
    save("success_tls12.pcapng", &relay.conversations(1)[0], pcapng);

    let proxy = Relay::start(RelayMode::Proxy { credentials: Some("wsus:S3cret".into()) });
    let mut s = TcpStream::connect(proxy.addr).expect("connect");
    std::io::Write::write_all(&mut s, b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n")
        .expect("send");
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut rest);
    save("proxy_connect_407.pcap", &proxy.conversations(1)[0], pcap);

    let tls = rustls_server(cert.clone(), key, false);
    let proxy = Relay::start(RelayMode::Proxy { credentials: None });
    let mut s = TcpStream::connect(proxy.addr).expect("connect");
    let cfg = triage_collectors::probe::proxy::ProxyConfig::parse(&proxy.addr.to_string()).expect("url");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    triage_collectors::probe::proxy::open_tunnel(&mut s, &cfg, &tls.to_string(), deadline).expect("tunnel");
    let client = rustls_client(&cert, &[&rustls::version::TLS13, &rustls::version::TLS12]);
    assert!(rustls_talk(client, "localhost", s));
    save("proxy_connect_ok.pcap", &proxy.conversations(1)[0], pcap);

    // A saved probe of the article endpoint, with the hello of a 2019 host whose cipher-suite
    // order policy shares nothing with it (issue 5).
    let mut o = ProbeOptions::new("127.0.0.1", server.addr.port());
    o.sni = sni;
    o.pause = Duration::from_millis(20);
    let host = FactMap::from_json_str(ISSUE5_HOST).expect("host facts");
    o.as_host = Some(as_host::host_hello(&host));
    let report = probe::probe(&o);
    std::fs::write(probe_dir().join("probe_article_issue5.json"), format!("{}\n", report.to_json()))
        .expect("write");
}

const ISSUE5_HOST: &str = r#"{"os":{"build":17763},"registry":{
  "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319":{"SystemDefaultTlsVersions":1,"SchUseStrongCrypto":1},
  "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002":
    {"Functions":"TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256"}}}"#;

fn probe_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/probe")
}

#[test]
fn saved_probe_of_the_article_endpoint() {
    let out = collect_file(&ProbeTlsCollector, &probe_dir().join("probe_article_issue5.json"));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let Some(Value::Map(targets)) = out.facts.get("probes.tls").map(|f| f.value.clone()) else {
        panic!("probes.tls")
    };
    assert_eq!(targets.len(), 1);
    let t = targets.values().next().expect("one target");
    let get = |p: &[&str]| t.get_path(p).map(|f| f.value.clone());
    assert_eq!(get(&["versions", "TLS 1.2", "accepted"]), Some(Value::Bool(true)));
    assert_eq!(get(&["versions", "TLS 1.0", "accepted"]), Some(Value::Bool(false)));
    assert_eq!(get(&["sni"]), Some(Value::Str("sws.update.microsoft.com".into())));
    assert_eq!(get(&["as_host", "would_succeed"]), Some(Value::Bool(false)));
    assert_eq!(get(&["as_host", "answer"]), Some(Value::Str("alert:handshake_failure".into())));
    assert_eq!(get(&["as_host", "suite_source"]), Some(Value::Str("registry_policy".into())));
    let Some(Value::List(order)) = get(&["suites", "TLS 1.2"]) else { panic!("suites") };
    assert_eq!(order.len(), 4);
}

mod mutations {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Corrupting any bytes of a real capture, or cutting it anywhere, never panics and
        /// never invents a hello that was not sent.
        #[test]
        fn corrupted_captures_never_panic(
            which in 0usize..4,
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..12),
            cut in any::<prop::sample::Index>(),
        ) {
            let names = ["issue1_tls10_hello_rst.pcap", "issue2_fin_no_hello.pcapng",
                "success_tls12.pcapng", "proxy_connect_ok.pcap"];
            let mut bytes = std::fs::read(data_dir().join(names[which])).expect("fixture");
            for (at, v) in flips {
                let i = at.index(bytes.len());
                bytes[i] = v;
            }
            let keep = cut.index(bytes.len() + 1);
            bytes.truncate(keep.max(1));
            let out = triage_collectors::capture::collect_bytes("m.pcap", &bytes);
            let hellos = out
                .facts
                .get_segments(&["network", "tls", "summary", "m.pcap", "client_hellos"])
                .and_then(|f| f.value.as_int())
                .unwrap_or(0);
            prop_assert!(hellos <= 1);
        }
    }
}

#[test]
fn discovery_reads_every_fixture_with_the_capture_collector() {
    let c = triage_collectors::discover::collect_path(
        &data_dir(),
        &triage_collectors::all(),
        None,
        &triage_collectors::discover::DiscoverOptions::default(),
    )
    .expect("collect");
    let captures: Vec<&str> = c
        .artifacts
        .iter()
        .filter(|a| a.collector.as_deref() == Some("capture"))
        .map(|a| a.path.as_str())
        .collect();
    // Six from the tests' writer, four from tcpdump (`tcpdump/`).
    assert_eq!(captures.len(), 10, "{:?}", c.artifacts);
    let Some(Value::List(conns)) = c.facts.get("network.tls.connections").map(|f| f.value.clone()) else {
        panic!("connections")
    };
    assert_eq!(conns.len(), 10);
    // Every connection's provenance names its own capture and a frame.
    for conn in &conns {
        let src = conn.source.as_ref().expect("provenance");
        assert!(captures.contains(&src.artifact.as_str()), "{}", src.artifact);
        assert!(src.frame.is_some_and(|f| f >= 1));
    }
}
