//! `--as-host` from real registry exports: the public samples are collected by the registry
//! collector, and the hello that host would send is built from the resulting facts (and, when
//! `openssl` is installed, offered to a loopback endpoint set up as the article's).

mod capture_support;

use std::path::PathBuf;
use std::time::Duration;

use capture_support::*;
use triage_collectors::probe::{self, as_host, ProbeOptions};

fn host(folder: &str) -> as_host::HostHello {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/probe").join(folder);
    let collected = triage_collectors::discover::collect_path(
        &dir,
        &triage_collectors::all(),
        None,
        &triage_collectors::discover::DiscoverOptions::default(),
    )
    .expect("collect");
    assert!(collected.errors.is_empty(), "{:?}", collected.errors);
    as_host::host_hello(&collected.facts)
}

const POLICY: [u16; 12] =
    [0xC02C, 0xC02B, 0xC030, 0xC02F, 0xC024, 0xC023, 0xC028, 0xC027, 0x009D, 0x009C, 0x003D, 0x003C];

#[test]
fn tls10_and_11_disabled_without_dotnet_settings_leaves_nothing_to_offer() {
    let h = host("host_policy_only");
    // WSUS asks for TLS 1.0 only, and TLS 1.0 is disabled: no hello at all (issue 2).
    assert!(h.versions.is_empty(), "{h:?}");
    assert_eq!(h.suite_source, "registry_policy");
    assert!(h.notes.iter().any(|n| n.contains("TLS 1.0 is disabled")), "{:?}", h.notes);
    assert!(h.notes.iter().any(|n| n.contains("OS build unknown")), "{:?}", h.notes);
}

#[test]
fn with_the_dotnet_settings_the_host_offers_tls12_and_its_policy_order() {
    let h = host("host_policy_dotnet");
    assert_eq!(h.versions, vec![0x0303]);
    assert_eq!(h.suites, POLICY);
    if !have_openssl("with_the_dotnet_settings_the_host_offers_tls12_and_its_policy_order") {
        return;
    }
    let server = OpensslServer::start(OpensslKind::Article);
    let mut o = ProbeOptions::new("127.0.0.1", server.addr.port());
    o.versions.clear();
    o.enumerate_suites = false;
    o.pause = Duration::from_millis(10);
    o.as_host = Some(h);
    let r = probe::probe(&o);
    assert_eq!(r.connections, 1);
    let a = r.as_host.expect("as-host result");
    assert!(a.would_succeed, "{a:?}");
    assert_eq!(a.suite.as_deref(), Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"));
    assert_eq!(a.server_version.as_deref(), Some("TLS 1.2"));
}
