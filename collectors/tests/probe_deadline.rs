//! The probe's overall deadline against a loopback server that answers every hello just before
//! the per-connection time-out: per-connection time-outs alone would let it hold the probe for
//! `max_connections` × `timeout`; the deadline ends it on time, says the result is incomplete, and
//! never calls a connection it cut a `timeout`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use triage_collectors::probe::{self, ProbeOptions, DEFAULT_DEADLINE};

/// Reads one TLS record (the ClientHello) and returns its first offered cipher suite and the
/// hello's legacy version.
fn read_hello(s: &mut TcpStream) -> Option<(u16, u16)> {
    let mut head = [0u8; 5];
    s.read_exact(&mut head).ok()?;
    let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    // handshake type (1) + length (3), legacy_version (2), random (32), session id.
    let version = u16::from_be_bytes([*body.get(4)?, *body.get(5)?]);
    let sid = usize::from(*body.get(38)?);
    let at = 39 + sid + 2;
    let suite = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
    Some((version.min(0x0303), suite))
}

/// A ServerHello for `version` choosing `suite`, no extensions.
fn server_hello(version: u16, suite: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&version.to_be_bytes());
    body.extend_from_slice(&[0x5a; 32]);
    body.push(0); // session id
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0); // compression
    body.extend_from_slice(&0u16.to_be_bytes()); // extensions
    let mut hs = vec![2, 0, 0, body.len() as u8];
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x03];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// Answers every hello with a ServerHello for its first suite, `delay` after reading it.
fn slow_server(delay: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                if let Some((version, suite)) = read_hello(&mut s) {
                    std::thread::sleep(delay);
                    let _ = s.write_all(&server_hello(version, suite));
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
    });
    addr
}

fn options(addr: SocketAddr) -> ProbeOptions {
    let mut o = ProbeOptions::new(addr.ip().to_string(), addr.port());
    o.sni = Some("sws.update.microsoft.com".into());
    o.timeout = Duration::from_millis(1000);
    o.pause = Duration::from_millis(10);
    o
}

#[test]
fn the_default_deadline_is_sixty_seconds() {
    assert_eq!(DEFAULT_DEADLINE, Duration::from_secs(60));
    assert_eq!(ProbeOptions::new("h", 443).deadline, DEFAULT_DEADLINE);
}

#[test]
fn a_server_answering_just_before_each_timeout_is_cut_by_the_deadline() {
    let addr = slow_server(Duration::from_millis(800));
    let mut o = options(addr);
    o.deadline = Duration::from_secs(2);
    let started = Instant::now();
    let r = probe::probe(&o);
    let took = started.elapsed();
    // Without the deadline: 4 version hellos and up to 36 enumeration hellos of 0.8 s each.
    assert!(took >= Duration::from_secs(2), "stopped before the deadline: {took:?}");
    assert!(took < Duration::from_millis(2800), "the deadline did not bound the probe: {took:?}");
    assert_eq!(r.connections, 3, "0.8 s per answer: two answered, the third cut");
    let answers: Vec<(&str, &str)> =
        r.versions.iter().map(|v| (v.version.as_str(), v.answer.as_str())).collect();
    assert_eq!(
        answers,
        [
            ("TLS 1.0", "server_hello"),
            ("TLS 1.1", "server_hello"),
            ("TLS 1.2", "error:probe deadline reached")
        ],
        "the server answered in time; the cut connection is not a `timeout`"
    );
    // Only the suite the TLS 1.1 hello was answered with: no enumeration connection was made.
    assert_eq!(r.suites.keys().collect::<Vec<_>>(), ["TLS 1.1"], "{:?}", r.suites);
    assert_eq!(r.suites["TLS 1.1"].len(), 1, "{:?}", r.suites);
    assert_eq!(
        r.errors,
        ["probe deadline of 2 s reached after 3 connection(s): the result is incomplete"],
        "{r:?}"
    );
}

#[test]
fn within_the_deadline_nothing_is_reported() {
    let addr = slow_server(Duration::from_millis(50));
    let mut o = options(addr);
    o.enumerate_suites = false;
    o.deadline = Duration::from_secs(10);
    let r = probe::probe(&o);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.connections, 4);
    let answers: Vec<&str> = r.versions.iter().map(|v| v.answer.as_str()).collect();
    assert_eq!(answers, ["server_hello", "server_hello", "server_hello", "lower_version"]);
}
