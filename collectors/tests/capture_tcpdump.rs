//! Captures written by a real capture tool: Debian's `tcpdump` on the loopback interface while
//! `openssl s_client` talked to `openssl s_server` (`tests/data/capture/tcpdump/record.sh`, which
//! says how to regenerate them). Read back through the capture collector, each gives exactly the
//! facts below: the link type (Linux loopback), the kernel's TCP segmentation and OpenSSL's own
//! hellos are the real thing, not the tests' writer.

mod capture_support;

use std::path::PathBuf;

use capture_support::collect_file;
use triage_collectors::capture::CaptureCollector;
use triage_facts::{Fact, Value};

/// A fact as plain JSON (values only, provenance left out).
fn plain(f: &Fact) -> serde_json::Value {
    match &f.value {
        Value::Bool(b) => serde_json::json!(b),
        Value::Int(i) => serde_json::json!(i),
        Value::Float(x) => serde_json::json!(x),
        Value::Str(s) => serde_json::json!(s),
        Value::List(l) => serde_json::Value::Array(l.iter().map(plain).collect()),
        Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), plain(v))).collect()),
        other => serde_json::json!(format!("{other:?}")),
    }
}

/// `network.tls` of one capture, as plain JSON.
fn tls_facts(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/capture/tcpdump").join(name);
    let out = collect_file(&CaptureCollector, &path);
    assert!(out.errors.is_empty(), "{name}: {:?}", out.errors);
    plain(out.facts.get_segments(&["network", "tls"]).expect("network.tls"))
}

fn expect(name: &str, json: &str) {
    let want: serde_json::Value = serde_json::from_str(json).expect("expected JSON");
    assert_eq!(tls_facts(name), want, "{name}");
}

#[test]
fn a_tls12_handshake_with_the_article_suite() {
    expect(
        "tls12_ecdhe_aes256.pcap",
        r#"{"connections": [{"answer": {"frame": 6, "kind": "server_hello", "suite": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "version": "TLS 1.2"}, "client": "127.0.0.1:57420", "client_hello": {"frame": 4, "suites": ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"], "version": "TLS 1.2"}, "server": "127.0.0.1:18441", "sni": "wsus.example.test"}], "summary": {"tls12_ecdhe_aes256.pcap": {"alert": 0, "client_hellos": 1, "connections": 1, "fin": 0, "none": 0, "proxy_connects": 0, "rst": 0, "server_hello": 1}}}"#,
    );
}

#[test]
fn a_tls13_handshake() {
    expect(
        "tls13_default.pcap",
        r#"{"connections": [{"answer": {"frame": 6, "kind": "server_hello", "suite": "TLS_AES_256_GCM_SHA384", "version": "TLS 1.3"}, "client": "127.0.0.1:34394", "client_hello": {"frame": 4, "suites": ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"], "version": "TLS 1.3"}, "server": "127.0.0.1:18442", "sni": "wsus.example.test"}], "summary": {"tls13_default.pcap": {"alert": 0, "client_hellos": 1, "connections": 1, "fin": 0, "none": 0, "proxy_connects": 0, "rst": 0, "server_hello": 1}}}"#,
    );
}

#[test]
fn no_common_suite_is_a_handshake_failure_alert() {
    expect(
        "tls12_no_common_suite.pcap",
        r#"{"connections": [{"answer": {"alert_description": "handshake_failure", "alert_level": "fatal", "frame": 6, "kind": "alert"}, "client": "127.0.0.1:41598", "client_hello": {"frame": 4, "suites": ["TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"], "version": "TLS 1.2"}, "server": "127.0.0.1:18443", "sni": "wsus.example.test"}], "summary": {"tls12_no_common_suite.pcap": {"alert": 1, "client_hellos": 1, "connections": 1, "fin": 0, "none": 0, "proxy_connects": 0, "rst": 0, "server_hello": 0}}}"#,
    );
}

#[test]
fn a_tls10_hello_refused_with_protocol_version() {
    expect(
        "tls10_refused.pcap",
        r#"{"connections": [{"answer": {"alert_description": "protocol_version", "alert_level": "fatal", "frame": 6, "kind": "alert"}, "client": "127.0.0.1:34412", "client_hello": {"frame": 4, "suites": ["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"], "version": "TLS 1.0"}, "server": "127.0.0.1:18444", "sni": "wsus.example.test"}], "summary": {"tls10_refused.pcap": {"alert": 1, "client_hellos": 1, "connections": 1, "fin": 0, "none": 0, "proxy_connects": 0, "rst": 0, "server_hello": 0}}}"#,
    );
}
