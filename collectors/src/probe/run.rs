//! Running a probe: one connection per hello, one at a time, with a pause between them and a
//! hard cap on their number (see the [module docs](super) for the bounds).
//!
//! 1. One hello per protocol version (TLS 1.0–1.3), each offering every suite of that version.
//! 2. Cipher-suite enumeration for the highest accepted version up to TLS 1.2, and for TLS 1.3
//!    when accepted: offer every suite not yet chosen until the server refuses; the order of its
//!    choices is its preference order (for a server that honours the client's order instead, it
//!    is the probe's order).
//! 3. With `--as-host`, the hello that host would send ([`super::as_host`]).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::capture::cipher_suites::suite_name;
use crate::capture::tls::{alert_description_name, version_name};

use super::as_host::HostHello;
use super::classify::{read_answer, time_left, Answer};
use super::client_hello::{broad_suites, build, tls13_suites, HelloSpec, PROBE_VERSIONS};
use super::proxy::{open_tunnel, ProxyConfig, ProxyError};
use super::report::{AsHostResult, ProbeReport, VersionResult, PROBE_FORMAT};

/// The default overall deadline of a probe: 60 s, enough for the 4 version hellos and a full
/// suite enumeration against a server that answers in a second, well short of what 40
/// connections of 5 s each could take.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// What to probe and how carefully.
#[derive(Clone, Debug)]
pub struct ProbeOptions {
    pub host: String,
    pub port: u16,
    pub proxy: Option<ProxyConfig>,
    /// The server name to send; `None` sends the host name (never an IP address).
    pub sni: Option<String>,
    /// Per connection: connect, proxy answer and server answer together.
    pub timeout: Duration,
    /// The whole probe, name resolution, pauses and every connection included: once it has
    /// passed no connection is started, the one under way is cut, and the report says the
    /// result is incomplete. (Per-connection time-outs alone do not bound a probe: a server
    /// that answers just before each one keeps it going for `max_connections` × `timeout`.)
    pub deadline: Duration,
    /// Between two connections.
    pub pause: Duration,
    pub max_connections: u32,
    /// Versions to offer one by one (wire values), lowest first.
    pub versions: Vec<u16>,
    pub enumerate_suites: bool,
    /// The hello a given host would send, to offer after the rest.
    pub as_host: Option<HostHello>,
}

impl ProbeOptions {
    /// The defaults for `host:port`: 5 s time-out per connection, a 60 s deadline for the
    /// whole probe ([`DEFAULT_DEADLINE`]), 250 ms pause, at most 40 connections, every version,
    /// suites enumerated.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        ProbeOptions {
            host: host.into(),
            port,
            proxy: None,
            sni: None,
            timeout: Duration::from_secs(5),
            deadline: DEFAULT_DEADLINE,
            pause: Duration::from_millis(250),
            max_connections: 40,
            versions: PROBE_VERSIONS.to_vec(),
            enumerate_suites: true,
            as_host: None,
        }
    }

    fn target(&self) -> String {
        super::join_host_port(&self.host, self.port)
    }
}

/// What one connection gave.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Answer(Answer),
    ProxyRefused(u16),
    Failed(String),
}

struct Prober<'a> {
    opts: &'a ProbeOptions,
    /// The address connected to: the target's, or the proxy's.
    addr: SocketAddr,
    connections: u32,
    proxy_status: Option<u16>,
    /// When the whole probe must be over ([`ProbeOptions::deadline`] from its start).
    overall: Instant,
    /// The overall deadline stopped the probe (a connection was cut or not started).
    deadline_hit: bool,
}

/// What a connection cut by the overall deadline reports (not `timeout`: the server was not
/// given its full time, so its silence says nothing).
const DEADLINE_REACHED: &str = "probe deadline reached";

/// A reader that refreshes the socket's read time-out from the deadline before each read.
struct Timed<'a> {
    stream: &'a TcpStream,
    deadline: Instant,
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stream.set_read_timeout(Some(time_left(self.deadline)))?;
        let mut s = self.stream;
        s.read(buf)
    }
}

impl Prober<'_> {
    /// Whether another connection may be made; notes when the overall deadline says no.
    fn budget_left(&mut self) -> bool {
        if Instant::now() >= self.overall {
            self.deadline_hit = true;
        }
        self.connections < self.opts.max_connections && !self.deadline_hit
    }

    fn attempt(&mut self, spec: &HelloSpec) -> Outcome {
        let outcome = match self.attempt_once(spec) {
            // Cut by the overall deadline, not by the server's silence.
            Outcome::Answer(Answer::Timeout) if Instant::now() >= self.overall => {
                Outcome::Failed(DEADLINE_REACHED.into())
            }
            o => o,
        };
        if matches!(&outcome, Outcome::Failed(e) if e == DEADLINE_REACHED) {
            self.deadline_hit = true;
        }
        outcome
    }

    fn attempt_once(&mut self, spec: &HelloSpec) -> Outcome {
        if Instant::now() >= self.overall {
            return Outcome::Failed(DEADLINE_REACHED.into());
        }
        if self.connections >= self.opts.max_connections {
            return Outcome::Failed("connection limit reached".into());
        }
        if self.connections > 0 {
            std::thread::sleep(self.opts.pause.min(time_left(self.overall)));
            if Instant::now() >= self.overall {
                return Outcome::Failed(DEADLINE_REACHED.into());
            }
        }
        self.connections += 1;
        let deadline = (Instant::now() + self.opts.timeout).min(self.overall);
        let mut stream = match TcpStream::connect_timeout(&self.addr, time_left(deadline)) {
            Ok(s) => s,
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
                return Outcome::Answer(Answer::Timeout)
            }
            Err(e) => return Outcome::Failed(format!("connect to {}: {e}", self.addr)),
        };
        // A small hello must leave at once; a stuck write is a time-out too.
        let _ = stream.set_nodelay(true);
        if stream.set_write_timeout(Some(time_left(deadline))).is_err() {
            return Outcome::Failed("cannot set a write time-out".into());
        }
        if let Some(proxy) = &self.opts.proxy {
            match open_tunnel(&mut stream, proxy, &self.opts.target(), deadline) {
                Ok(()) => {}
                Err(ProxyError::Refused { status, .. }) => {
                    self.proxy_status = Some(status);
                    return Outcome::ProxyRefused(status);
                }
                Err(ProxyError::Timeout) => return Outcome::Answer(Answer::Timeout),
                Err(ProxyError::Closed) => return Outcome::Answer(Answer::Eof),
                Err(e) => return Outcome::Failed(e.to_string()),
            }
        }
        if let Err(e) = stream.write_all(&build(spec)) {
            return match e.kind() {
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
                    Outcome::Answer(Answer::Reset)
                }
                ErrorKind::TimedOut | ErrorKind::WouldBlock => Outcome::Answer(Answer::Timeout),
                _ => Outcome::Failed(format!("sending the hello: {e}")),
            };
        }
        Outcome::Answer(read_answer(&mut Timed { stream: &stream, deadline }, deadline))
    }
}

fn version_result(offered: u16, outcome: &Outcome) -> VersionResult {
    let mut r = VersionResult { version: version_name(offered), ..Default::default() };
    match outcome {
        Outcome::Answer(a) => {
            r.answer = a.label(offered);
            r.accepted = a.accepts(offered);
            match a {
                Answer::ServerHello(h) => {
                    r.server_version = Some(version_name(h.version()));
                    r.suite = Some(suite_name(h.suite));
                }
                Answer::Alert(al) => r.alert = Some(alert_description_name(al.description)),
                _ => {}
            }
        }
        Outcome::ProxyRefused(_) => r.answer = "proxy_refused".into(),
        Outcome::Failed(e) => r.answer = format!("error:{e}"),
    }
    r
}

/// Probes the endpoint `opts` names. Never panics; problems end up in the report.
pub fn probe(opts: &ProbeOptions) -> ProbeReport {
    let overall = Instant::now() + opts.deadline;
    let mut report = ProbeReport {
        format: PROBE_FORMAT.into(),
        target: opts.target(),
        proxy: opts.proxy.as_ref().map(ProxyConfig::display),
        ..Default::default()
    };
    let sni = opts
        .sni
        .clone()
        .or_else(|| Some(opts.host.clone()))
        .filter(|n| n.parse::<std::net::IpAddr>().is_err());
    report.sni = sni.clone();
    let (connect_host, connect_port) = match &opts.proxy {
        Some(p) => (p.host.clone(), p.port),
        None => (opts.host.clone(), opts.port),
    };
    let addr = match resolve(&connect_host, connect_port, overall) {
        Ok(a) => a,
        Err(e) => {
            report.errors.push(e);
            return report;
        }
    };
    let mut p = Prober { opts, addr, connections: 0, proxy_status: None, overall, deadline_hit: false };

    let mut first_choice: Vec<(u16, Option<u16>)> = Vec::new();
    for &v in &opts.versions {
        let suites = if v >= 0x0304 { tls13_suites() } else { broad_suites() };
        let outcome = p.attempt(&HelloSpec::single(v, suites, sni.clone()));
        let r = version_result(v, &outcome);
        let chosen = match &outcome {
            Outcome::Answer(Answer::ServerHello(h)) if r.accepted => Some(h.suite),
            _ => None,
        };
        first_choice.push((v, chosen));
        report.versions.push(r);
        let unreachable = matches!(&outcome, Outcome::Failed(e) if e.starts_with("connect to"));
        if unreachable || matches!(outcome, Outcome::ProxyRefused(_)) || !p.budget_left() || p.deadline_hit {
            // An unreachable target, or a proxy refusing the tunnel, answers every hello
            // alike: no point asking again.
            break;
        }
    }

    if opts.enumerate_suites {
        let best_pre13 = first_choice.iter().rev().find(|(v, c)| *v < 0x0304 && c.is_some()).copied();
        let tls13 = first_choice.iter().find(|(v, c)| *v >= 0x0304 && c.is_some()).copied();
        for (v, chosen) in [best_pre13, tls13].into_iter().flatten() {
            let Some(first) = chosen else { continue };
            let all = if v >= 0x0304 { tls13_suites() } else { broad_suites() };
            let order = enumerate(&mut p, v, first, all, sni.clone());
            report.suites.insert(version_name(v), order.into_iter().map(suite_name).collect());
        }
    }

    if let Some(host) = &opts.as_host {
        if !p.deadline_hit {
            report.as_host = Some(offer_as_host(&mut p, host, sni));
        }
    }
    report.connections = p.connections;
    report.proxy_status = p.proxy_status;
    if p.deadline_hit {
        report.errors.push(format!(
            "probe deadline of {} reached after {} connection(s): the result is incomplete",
            seconds(opts.deadline),
            p.connections
        ));
    }
    report
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Resolves `host:port` to its first address, within the overall deadline. The system
/// resolver cannot be interrupted, so it runs on its own thread; past the deadline the probe
/// goes on without it (the thread ends when the resolver returns).
fn resolve(host: &str, port: u16, overall: Instant) -> Result<SocketAddr, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_owned();
    let spawned = std::thread::Builder::new().name("probe-resolve".into()).spawn(move || {
        let r = (name.as_str(), port).to_socket_addrs().map(|mut a| a.next());
        let _ = tx.send(r);
    });
    if let Err(e) = spawned {
        return Err(format!("cannot resolve {host}: no thread for the resolver: {e}"));
    }
    match rx.recv_timeout(time_left(overall)) {
        Ok(Ok(Some(a))) => Ok(a),
        Ok(Ok(None)) => Err(format!("{host} has no address")),
        Ok(Err(e)) => Err(format!("cannot resolve {host}: {e}")),
        Err(_) => Err(format!("cannot resolve {host}: no answer before the probe deadline")),
    }
}

/// The server's preference order among `all` at version `v`, given its first choice.
fn enumerate(p: &mut Prober<'_>, v: u16, first: u16, all: Vec<u16>, sni: Option<String>) -> Vec<u16> {
    let mut order = vec![first];
    let mut offer: Vec<u16> = all.into_iter().filter(|s| *s != first).collect();
    while !offer.is_empty() && p.budget_left() {
        match p.attempt(&HelloSpec::single(v, offer.clone(), sni.clone())) {
            Outcome::Answer(a @ Answer::ServerHello(_)) if a.accepts(v) => {
                let Answer::ServerHello(h) = a else { break };
                if !offer.contains(&h.suite) {
                    // A suite that was not offered: a broken server; stop rather than loop.
                    break;
                }
                order.push(h.suite);
                offer.retain(|s| *s != h.suite);
            }
            _ => break,
        }
    }
    order
}

fn offer_as_host(p: &mut Prober<'_>, host: &HostHello, sni: Option<String>) -> AsHostResult {
    let mut r = AsHostResult {
        versions: host.versions.iter().map(|&v| version_name(v)).collect(),
        suites: host.suites.iter().map(|&s| suite_name(s)).collect(),
        suite_source: host.suite_source.clone(),
        os_build: host.os_build,
        notes: host.notes.clone(),
        ..Default::default()
    };
    let Some(&max) = host.versions.iter().max() else {
        r.answer = "no_hello".into();
        r.notes.push("no protocol version is left to offer: the host would not send a ClientHello".into());
        return r;
    };
    if host.suites.is_empty() {
        r.answer = "no_hello".into();
        r.notes.push("no cipher suite is left to offer: the host would not send a ClientHello".into());
        return r;
    }
    let spec = HelloSpec { version: max, versions: host.versions.clone(), suites: host.suites.clone(), sni };
    match p.attempt(&spec) {
        Outcome::Answer(Answer::ServerHello(h)) => {
            r.server_version = Some(version_name(h.version()));
            r.suite = Some(suite_name(h.suite));
            let in_range = host.versions.contains(&h.version()) && host.suites.contains(&h.suite);
            r.would_succeed = in_range;
            r.answer = if h.is_hello_retry_request {
                "hello_retry_request".into()
            } else if in_range {
                "server_hello".into()
            } else {
                "lower_version".into()
            };
        }
        Outcome::Answer(a) => {
            if let Answer::Alert(al) = &a {
                r.alert = Some(alert_description_name(al.description));
            }
            r.answer = a.label(max);
        }
        Outcome::ProxyRefused(_) => r.answer = "proxy_refused".into(),
        Outcome::Failed(e) => r.answer = format!("error:{e}"),
    }
    r
}
