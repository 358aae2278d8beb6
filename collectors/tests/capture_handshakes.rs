//! The capture collector on captures recorded from real loopback handshakes: each conversation
//! is relayed through a recording relay (or CONNECT proxy) and written as pcap / pcapng with
//! the exact bytes that crossed it.

mod capture_support;

use std::net::TcpStream;
use std::time::Duration;

use capture_support::*;
use triage_collectors::capture::{self, CaptureCollector};
use triage_collectors::probe::client_hello::{broad_suites, build, HelloSpec};
use triage_facts::{Fact, Value};

/// A field of a connection fact by dotted path, as a string (Int and Bool rendered).
fn field(conn: &Fact, path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('.').collect();
    let f = conn.get_path(&segs)?;
    match &f.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn connections(out: &triage_facts::CollectorOutput) -> Vec<Fact> {
    match out.facts.get("network.tls.connections").map(|f| &f.value) {
        Some(Value::List(l)) => l.clone(),
        other => panic!("no connection list: {other:?}"),
    }
}

fn suites(conn: &Fact) -> Vec<String> {
    match conn.get_path(&["client_hello", "suites"]).map(|f| &f.value) {
        Some(Value::List(l)) => l.iter().filter_map(|f| f.value.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// Sends the probe's TLS 1.0 hello through `relay`, then waits for the peer to finish.
fn send_tls10_hello(relay: &Relay) {
    let mut s = TcpStream::connect(relay.addr).expect("connect relay");
    s.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    let hello = build(&HelloSpec::single(0x0301, broad_suites(), Some("sws.update.microsoft.com".into())));
    std::io::Write::write_all(&mut s, &hello).expect("send hello");
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut rest);
}

#[test]
fn tls12_handshake_with_the_article_endpoint() {
    if !have_openssl("tls12_handshake_with_the_article_endpoint") {
        return;
    }
    let server = OpensslServer::start(OpensslKind::Article);
    let relay = Relay::start(RelayMode::Forward(server.addr));
    let (cert, _) = localhost_cert();
    let cfg = rustls_client(&cert, &[&rustls::version::TLS12]);
    // The endpoint's certificate is not trusted by this client: the handshake stops after the
    // server's first flight, which is all a capture needs.
    rustls_talk(cfg, "sws.update.microsoft.com", TcpStream::connect(relay.addr).expect("connect"));
    let conv = relay.conversations(1).remove(0);
    let w = write_capture(&conv, &CaptureSpec::default());
    let path = write_file("article.pcap", &w.bytes);
    let out = collect_file(&CaptureCollector, &path);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let conns = connections(&out);
    assert_eq!(conns.len(), 1);
    let c = &conns[0];
    assert_eq!(field(c, "client"), conv.client.map(|a| a.to_string()));
    assert_eq!(field(c, "server"), Some(relay.addr.to_string()));
    assert_eq!(field(c, "sni").as_deref(), Some("sws.update.microsoft.com"));
    assert_eq!(field(c, "client_hello.version").as_deref(), Some("TLS 1.2"));
    assert!(suites(c).contains(&"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".to_owned()));
    assert_eq!(field(c, "client_hello.frame"), Some(w.event_frames[0].to_string()));
    assert_eq!(field(c, "answer.kind").as_deref(), Some("server_hello"));
    assert_eq!(field(c, "answer.version").as_deref(), Some("TLS 1.2"));
    assert_eq!(field(c, "answer.suite").as_deref(), Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
    assert_eq!(c.source.as_ref().and_then(|s| s.frame), Some(w.event_frames[0]));
    assert_eq!(c.source.as_ref().map(|s| s.collector.as_str()), Some("capture"));
    let summary = out.facts.get_segments(&["network", "tls", "summary", "article.pcap"]).expect("summary");
    assert_eq!(summary.get_path(&["server_hello"]).and_then(|f| f.value.as_int()), Some(1));
}

#[test]
fn tls13_offer_is_read_from_supported_versions() {
    let (cert, key) = localhost_cert();
    let server = rustls_server(cert.clone(), key, false);
    let relay = Relay::start(RelayMode::Forward(server));
    let cfg = rustls_client(&cert, &[&rustls::version::TLS13, &rustls::version::TLS12]);
    assert!(rustls_talk(cfg, "localhost", TcpStream::connect(relay.addr).expect("connect")));
    let conv = relay.conversations(1).remove(0);
    // The record header says TLS 1.0 and client_version TLS 1.2; the offer is TLS 1.3.
    let Some(Ev::Data { bytes, .. }) = conv.events.first() else { panic!("no hello recorded") };
    assert_eq!(&bytes[1..3], &[3, 1]);
    let w = write_capture(&conv, &CaptureSpec::default());
    let a = capture::analyse(&w.bytes);
    assert_eq!(a.connections.len(), 1);
    let c = &a.connections[0];
    let hello = c.client_hello.as_ref().expect("hello");
    assert_eq!(hello.version, 0x0304);
    assert_eq!(c.sni.as_deref(), Some("localhost"));
    match c.answer {
        capture::AnswerSeen::ServerHello { version, suite, hello_retry_request, frame } => {
            assert_eq!(version, 0x0304);
            assert!(matches!(suite, 0x1301..=0x1303));
            assert!(!hello_retry_request);
            assert_eq!(frame, w.event_frames[1]);
        }
        ref other => panic!("unexpected answer {other:?}"),
    }
}

#[test]
fn tls10_hello_answered_by_a_reset_as_in_issues_1_and_3() {
    let relay = Relay::start(RelayMode::Forward(reset_server()));
    send_tls10_hello(&relay);
    let conv = relay.conversations(1).remove(0);
    assert!(conv.events.contains(&Ev::Close { from_client: false, rst: true }), "{:?}", conv.events);
    let w = write_capture(&conv, &CaptureSpec::default());
    let out = capture::collect_bytes("issue1.pcap", &w.bytes);
    let c = &connections(&out)[0];
    assert_eq!(field(c, "client_hello.version").as_deref(), Some("TLS 1.0"));
    assert_eq!(field(c, "answer.kind").as_deref(), Some("rst"));
    assert_eq!(field(c, "answer.from").as_deref(), Some("server"));
    assert_eq!(field(c, "answer.frame"), Some(w.event_frames[1].to_string()));
}

#[test]
fn connection_closed_without_a_hello_as_in_issue_2() {
    let relay = Relay::start(RelayMode::Forward(eof_server()));
    drop(TcpStream::connect(relay.addr).expect("connect"));
    let conv = relay.conversations(1).remove(0);
    let w = write_capture(&conv, &CaptureSpec::default());
    let out = capture::collect_bytes("issue2.pcap", &w.bytes);
    let c = &connections(&out)[0];
    assert!(c.get_path(&["client_hello"]).is_none());
    assert_eq!(field(c, "answer.kind").as_deref(), Some("fin"));
    assert_eq!(field(c, "answer.from").as_deref(), Some("client"));
    assert_eq!(c.source.as_ref().and_then(|s| s.frame), Some(1));
}

#[test]
fn connect_through_an_authenticating_proxy() {
    let (cert, key) = localhost_cert();
    let server = rustls_server(cert.clone(), key, false);
    let proxy = Relay::start(RelayMode::Proxy { credentials: Some("wsus:S3cret".into()) });
    let target = server.to_string();
    let cfg = rustls_client(&cert, &[&rustls::version::TLS12]);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);

    // Right credentials: a tunnel, then TLS inside it.
    let good =
        triage_collectors::probe::proxy::ProxyConfig::parse(&format!("http://wsus:S3cret@{}", proxy.addr))
            .expect("proxy url");
    let mut s = TcpStream::connect(proxy.addr).expect("connect proxy");
    triage_collectors::probe::proxy::open_tunnel(&mut s, &good, &target, deadline).expect("tunnel");
    assert!(rustls_talk(Arc::clone(&cfg), "localhost", s));

    // Wrong credentials: 407, then the proxy hangs up.
    let bad =
        triage_collectors::probe::proxy::ProxyConfig::parse(&format!("http://wsus:nope@{}", proxy.addr))
            .expect("proxy url");
    let mut s = TcpStream::connect(proxy.addr).expect("connect proxy");
    let err =
        triage_collectors::probe::proxy::open_tunnel(&mut s, &bad, &target, deadline).expect_err("refused");
    assert!(err.to_string().contains("407"), "{err}");
    drop(s);

    let convs = proxy.conversations(2);
    let mut all = Vec::new();
    for conv in &convs {
        all.extend(capture::analyse(&write_capture(conv, &CaptureSpec::default()).bytes).connections);
    }
    assert_eq!(all.len(), 2);
    let ok = &all[0];
    let pc = ok.proxy_connect.as_ref().expect("CONNECT seen");
    assert_eq!(pc.target, target);
    assert_eq!(pc.status, Some(200));
    assert_eq!(pc.frame, 4);
    assert_eq!(ok.sni.as_deref(), Some("localhost"));
    assert_eq!(ok.client_hello.as_ref().map(|h| h.version), Some(0x0303));
    assert!(matches!(ok.answer, capture::AnswerSeen::ServerHello { version: 0x0303, .. }), "{:?}", ok.answer);
    let refused = &all[1];
    assert_eq!(refused.proxy_connect.as_ref().and_then(|p| p.status), Some(407));
    assert!(refused.client_hello.is_none());
    assert!(
        matches!(refused.answer, capture::AnswerSeen::Fin { from_server: true, .. }),
        "{:?}",
        refused.answer
    );
}

use std::sync::Arc;

/// One recorded handshake, written in every container, link type and IP version, with the
/// hello split into small segments (and out of order): the evidence must not change.
#[test]
fn every_container_link_type_and_split_hello_read_alike() {
    let (cert, key) = localhost_cert();
    let server = rustls_server(cert.clone(), key, false);
    let relay = Relay::start(RelayMode::Forward(server));
    let cfg = rustls_client(&cert, &[&rustls::version::TLS12]);
    assert!(rustls_talk(cfg, "localhost", TcpStream::connect(relay.addr).expect("connect")));
    let conv = relay.conversations(1).remove(0);
    let reference = capture::analyse(&write_capture(&conv, &CaptureSpec::default()).bytes);
    let r = &reference.connections[0];
    assert!(r.client_hello.is_some() && matches!(r.answer, capture::AnswerSeen::ServerHello { .. }));

    let containers = [
        Container::Pcap { big_endian: false, nanos: false },
        Container::Pcap { big_endian: true, nanos: false },
        Container::Pcap { big_endian: false, nanos: true },
        Container::Pcap { big_endian: true, nanos: true },
        Container::PcapNg { big_endian: false },
        Container::PcapNg { big_endian: true },
    ];
    let links =
        [Link::Ethernet, Link::EthernetVlan, Link::LinuxSll, Link::LinuxSll2, Link::RawIp, Link::Null];
    for container in containers {
        for link in links {
            for ipv6 in [false, true] {
                for (mss, swap) in [(1460, false), (64, false), (100, true)] {
                    let spec = CaptureSpec { container, link, ipv6, mss, swap_first_segments: swap };
                    let w = write_capture(&conv, &spec);
                    let a = capture::analyse(&w.bytes);
                    let what = format!("{spec:?}");
                    assert!(a.errors.is_empty(), "{what}: {:?}", a.errors);
                    assert_eq!(a.connections.len(), 1, "{what}");
                    let c = &a.connections[0];
                    let h = c.client_hello.as_ref().expect("hello");
                    let rh = r.client_hello.as_ref().expect("hello");
                    assert_eq!((h.version, &h.suites), (rh.version, &rh.suites), "{what}");
                    assert_eq!(c.sni, r.sni, "{what}");
                    // The hello completes in the frame of the last segment of the first event.
                    assert_eq!(h.frame, w.event_frames[0], "{what}");
                    match (&c.answer, &r.answer) {
                        (
                            capture::AnswerSeen::ServerHello { version: v1, suite: s1, frame, .. },
                            capture::AnswerSeen::ServerHello { version: v2, suite: s2, .. },
                        ) => {
                            assert_eq!((v1, s1), (v2, s2), "{what}");
                            assert!(*frame > h.frame, "{what}");
                        }
                        other => panic!("{what}: {other:?}"),
                    }
                    if ipv6 {
                        assert!(c.client.starts_with("[::1]:"), "{what}: {}", c.client);
                    } else {
                        assert!(c.client.starts_with("127.0.0.1:"), "{what}: {}", c.client);
                    }
                }
            }
        }
    }
}

#[test]
fn truncated_and_garbage_captures() {
    let relay = Relay::start(RelayMode::Forward(reset_server()));
    send_tls10_hello(&relay);
    let conv = relay.conversations(1).remove(0);
    let w = write_capture(&conv, &CaptureSpec { mss: 100, ..CaptureSpec::default() });
    let hello_last = w.event_frames[0] as usize;
    // Cut in the middle of the last segment of the hello.
    let cut_at = w.frame_offsets[hello_last - 1] + 30;
    let out = capture::collect_bytes("cut.pcap", &w.bytes[..cut_at]);
    assert!(!out.errors.is_empty());
    let offsets: Vec<Option<u64>> = out.errors.iter().map(|e| e.offset).collect();
    assert!(offsets.contains(&Some(w.frame_offsets[hello_last - 1] as u64)), "{:?}", out.errors);
    assert!(out.errors.iter().all(|e| e.artifact == "cut.pcap"));
    assert_eq!(out.items, hello_last as u64 - 1);
    // The hello is incomplete: the connection is still reported, without a hello.
    let conns = connections(&out);
    assert!(conns.iter().all(|c| c.get_path(&["client_hello"]).is_none()));
    assert!(out.errors.iter().any(|e| e.message.contains("inside a TLS record")), "{:?}", out.errors);

    // Garbage after a valid header: an error at the first record, no facts invented.
    let mut garbage = w.bytes[..24].to_vec();
    garbage.extend([0xFFu8; 40]);
    let out = capture::collect_bytes("garbage.pcap", &garbage);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].offset, Some(24));
    assert!(connections(&out).is_empty());

    // Not a capture at all: not recognised.
    let path = write_file("notes.pcap", b"this is not a capture at all");
    let bytes = std::fs::read(&path).expect("read");
    let artifact = triage_facts::Artifact {
        rel_path: "notes.pcap",
        path: &path,
        head: &bytes,
        size: bytes.len() as u64,
    };
    assert_eq!(
        triage_facts::Collector::recognise(&CaptureCollector, &artifact),
        triage_facts::Recognition::No
    );
}
