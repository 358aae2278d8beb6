//! The `capture` collector: network captures (pcap, pcapng) read as TLS evidence, so nobody has
//! to read Wireshark frames by hand.
//!
//! Recognised by content (pcap magic `D4 C3 B2 A1`/`A1 B2 C3 D4`, nanosecond `4D 3C B2 A1`/
//! `A1 B2 3C 4D`, pcapng `0A 0D 0D 0A`), whatever the file name. Link types: Ethernet (VLAN
//! tags skipped), Linux cooked v1 and v2, raw IP, BSD loopback; IPv4 and IPv6. TCP streams are
//! reassembled ([`flows`]), so a ClientHello split over several segments is read whole.
//!
//! # Fact layout
//!
//! - `network.tls.connections` — List of Map, one per TCP connection that carried TLS or an
//!   HTTP `CONNECT`, or on which the client sent nothing before the connection ended (the
//!   article's issue 2: a FIN from the client with no hello), in capture order:
//!   - `client` Str `ip:port` (`[v6]:port` for IPv6), `server` Str;
//!   - `sni` Str, when the ClientHello names a host;
//!   - `client_hello` Map, when one was sent: `version` Str (`TLS 1.0` … `TLS 1.3`, from
//!     `client_version` and `supported_versions`, never the record header), `suites` List of
//!     Str (IANA names, unknown IDs as `0xXXXX`, GREASE left out), `frame` Int;
//!   - `answer` Map: `kind` Str, one of `server_hello`, `alert`, `rst`, `fin`, `none` — the first
//!     thing that happened after the ClientHello (or, with no hello, how the connection ended);
//!     `frame` Int (absent for `none`); for `server_hello`: `version` Str, `suite` Str and
//!     `hello_retry_request` Bool (only when true); for `alert`: `alert_level` Str
//!     (`warning`/`fatal`) and `alert_description` Str (`handshake_failure`, …); for `rst` and
//!     `fin`: `from` Str (`server` or `client`);
//!   - `proxy_connect` Map, when the client's stream starts with `CONNECT host:port`:
//!     `target` Str `host:port`, `status` Int (the proxy's HTTP status, when it answered),
//!     `frame` Int (of the request).
//!
//!   Provenance: the artifact, collector `capture`, and `frame` = the ClientHello's frame
//!   (the frame that completed it, as Wireshark shows a reassembled message), or the first
//!   frame of the connection when there is no hello. Nested maps point at their own frame.
//! - `network.tls.summary.<artifact path>` — Map of Int counts for that capture (keyed by
//!   artifact so several captures merge without conflict): `connections`, `client_hellos`, one
//!   per answer kind (`server_hello`, `alert`, `rst`, `fin`, `none`), `proxy_connects`; and,
//!   when the capture held more than [`flows::MAX_CONNECTIONS`] connections (only the first are
//!   read, and a collection error names the limit), `connections_dropped` (connections opened
//!   past it) and `segments_dropped`.
//!
//!   The artifact path contains dots (`trace.pcapng`): reach it with `FactMap::get_segments`
//!   or index notation, not a dotted path.
//!
//! # The article's cases, as these facts show them
//!
//! | case | connection facts |
//! | --- | --- |
//! | issues 1 and 3: TLS 1.0 hello reset | `client_hello.version == "TLS 1.0"`, `answer.kind == "rst"`, `answer.from == "server"` |
//! | issue 2: no hello at all | no `client_hello`, `answer.kind == "fin"`, `answer.from == "client"` |
//! | issue 5: no common suite | `client_hello.version == "TLS 1.2"`, `answer.kind == "rst"` (or `alert` with `handshake_failure`); compare `client_hello.suites` with the endpoint's list |
//! | success | `answer.kind == "server_hello"`, `answer.suite` |
//! | proxy | `proxy_connect.target`, `proxy_connect.status` (≠ 200: the proxy refused; no status: it never answered) |
//!
//! Committed examples of each, recorded from real loopback handshakes, are in
//! `collectors/tests/data/capture/` (see its README).
//!
//! A corrupt or truncated container becomes a [`CollectionError`] at its byte offset; frames
//! before it are still read. A malformed packet is an error naming its frame.

pub mod cipher_suites;
pub mod flows;
pub mod pcap;
pub mod tls;

use std::collections::BTreeMap;
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, FactMap,
    Provenance, Recognition, Value,
};

use self::cipher_suites::{is_grease, suite_name};
use self::flows::{CloseKind, Connection, FlowTable, Skip};
use self::tls::{FirstMessage, HANDSHAKE_CLIENT_HELLO, HANDSHAKE_SERVER_HELLO};

/// The collectors this module provides.
pub static COLLECTORS: &[&'static dyn Collector] = &[&CaptureCollector];

/// Malformed-packet errors reported per artifact; later ones are counted in one summary error.
const MAX_PACKET_ERRORS: usize = 20;

/// Reads pcap and pcapng captures into `network.tls`.
#[derive(Debug)]
pub struct CaptureCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: "capture",
    version: "1",
    reads: "network captures (pcap, pcapng: Wireshark, tcpdump, pktmon etl2pcap)",
    typical_names: &["*.pcap", "*.pcapng", "*.cap"],
    provides: &["network.tls"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("network.tls.connections", &[List], "TCP connections that carried TLS or a CONNECT, or on which the client sent nothing, in capture order"),
        FactDecl::new("network.tls.connections[]", &[Map], "one connection"),
        FactDecl::new("network.tls.connections[].client", &[Str], "`ip:port` (`[v6]:port`)"),
        FactDecl::new("network.tls.connections[].server", &[Str], "`ip:port` (`[v6]:port`)"),
        FactDecl::new("network.tls.connections[].sni", &[Str], "the server name of the ClientHello"),
        FactDecl::new("network.tls.connections[].client_hello", &[Map], "the ClientHello, when one was sent"),
        FactDecl::new("network.tls.connections[].client_hello.version", &[Str], "`TLS 1.0` … `TLS 1.3`"),
        FactDecl::new("network.tls.connections[].client_hello.suites", &[List], "the offered cipher suites"),
        FactDecl::new("network.tls.connections[].client_hello.suites[]", &[Str], "an IANA name (`0xXXXX` when unknown)"),
        FactDecl::new("network.tls.connections[].client_hello.frame", &[Int], "its frame"),
        FactDecl::new("network.tls.connections[].answer", &[Map], "the first thing that happened after the ClientHello"),
        FactDecl::new("network.tls.connections[].answer.kind", &[Str], "`server_hello`, `alert`, `rst`, `fin` or `none`"),
        FactDecl::new("network.tls.connections[].answer.frame", &[Int], "its frame (absent for `none`)"),
        FactDecl::new("network.tls.connections[].answer.version", &[Str], "the ServerHello's version"),
        FactDecl::new("network.tls.connections[].answer.suite", &[Str], "the ServerHello's cipher suite"),
        FactDecl::new("network.tls.connections[].answer.hello_retry_request", &[Bool], "true for a HelloRetryRequest"),
        FactDecl::new("network.tls.connections[].answer.alert_level", &[Str], "`warning` or `fatal`"),
        FactDecl::new("network.tls.connections[].answer.alert_description", &[Str], "`handshake_failure`, …"),
        FactDecl::new("network.tls.connections[].answer.from", &[Str], "who sent the RST or FIN: `server` or `client`"),
        FactDecl::new("network.tls.connections[].proxy_connect", &[Map], "an HTTP CONNECT the client's stream starts with"),
        FactDecl::new("network.tls.connections[].proxy_connect.target", &[Str], "`host:port`"),
        FactDecl::new("network.tls.connections[].proxy_connect.status", &[Int], "the proxy's HTTP status, when it answered"),
        FactDecl::new("network.tls.connections[].proxy_connect.frame", &[Int], "the request's frame"),
        FactDecl::new("network.tls.summary.*", &[Map], "counts for one capture, by artifact path"),
        FactDecl::new("network.tls.summary.*.connections", &[Int], "connections read"),
        FactDecl::new("network.tls.summary.*.client_hellos", &[Int], "ClientHellos"),
        FactDecl::new("network.tls.summary.*.server_hello", &[Int], "answers of that kind"),
        FactDecl::new("network.tls.summary.*.alert", &[Int], "answers of that kind"),
        FactDecl::new("network.tls.summary.*.rst", &[Int], "answers of that kind"),
        FactDecl::new("network.tls.summary.*.fin", &[Int], "answers of that kind"),
        FactDecl::new("network.tls.summary.*.none", &[Int], "answers of that kind"),
        FactDecl::new("network.tls.summary.*.proxy_connects", &[Int], "CONNECT requests"),
        FactDecl::new("network.tls.summary.*.connections_dropped", &[Int], "connections past the limit, not read"),
        FactDecl::new("network.tls.summary.*.segments_dropped", &[Int], "segments of connections not read"),
    ]
};

impl Collector for CaptureCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        if pcap::sniff(artifact.head).is_none() {
            return Recognition::No;
        }
        let name = artifact.file_name_lower();
        if [".pcap", ".pcapng", ".cap"].iter().any(|ext| name.ends_with(ext)) {
            Recognition::ByNameAndContent
        } else {
            Recognition::ByContent
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        match std::fs::read(artifact.path) {
            Ok(bytes) => collect_bytes(artifact.rel_path, &bytes),
            Err(e) => CollectorOutput {
                errors: vec![CollectionError::new(artifact.rel_path, INFO.name, format!("cannot read: {e}"))],
                encoding: Some("binary".into()),
                ..Default::default()
            },
        }
    }
}

/// What one TCP connection showed, before it becomes facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConnection {
    pub client: String,
    pub server: String,
    pub first_frame: u64,
    pub sni: Option<String>,
    pub client_hello: Option<HelloSeen>,
    pub answer: AnswerSeen,
    pub proxy_connect: Option<ProxyConnectSeen>,
}

/// A ClientHello in a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloSeen {
    pub version: u16,
    pub suites: Vec<u16>,
    pub frame: u64,
}

/// The first answer to a ClientHello (or how a connection without one ended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerSeen {
    ServerHello { version: u16, suite: u16, hello_retry_request: bool, frame: u64 },
    Alert { level: u8, description: u8, frame: u64 },
    Rst { from_server: bool, frame: u64 },
    Fin { from_server: bool, frame: u64 },
    None,
}

impl AnswerSeen {
    pub fn kind(&self) -> &'static str {
        match self {
            AnswerSeen::ServerHello { .. } => "server_hello",
            AnswerSeen::Alert { .. } => "alert",
            AnswerSeen::Rst { .. } => "rst",
            AnswerSeen::Fin { .. } => "fin",
            AnswerSeen::None => "none",
        }
    }

    fn frame(&self) -> Option<u64> {
        match self {
            AnswerSeen::ServerHello { frame, .. }
            | AnswerSeen::Alert { frame, .. }
            | AnswerSeen::Rst { frame, .. }
            | AnswerSeen::Fin { frame, .. } => Some(*frame),
            AnswerSeen::None => None,
        }
    }
}

/// An HTTP `CONNECT` at the start of a connection, and the proxy's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConnectSeen {
    pub target: String,
    pub status: Option<u16>,
    pub frame: u64,
}

/// Everything read from one capture.
#[derive(Debug, Default)]
pub struct CaptureAnalysis {
    pub connections: Vec<TlsConnection>,
    pub packets: u64,
    /// Connections opened past [`flows::MAX_CONNECTIONS`] and segments of them, not read.
    pub dropped_connections: u64,
    pub dropped_segments: u64,
    /// `(byte offset, frame, message)` problems, already worded.
    pub errors: Vec<(Option<u64>, Option<u64>, String)>,
}

/// Reads a capture held in memory into connections (no facts yet).
pub fn analyse(bytes: &[u8]) -> CaptureAnalysis {
    let read = pcap::read(bytes);
    let mut out = CaptureAnalysis { packets: read.packets.len() as u64, ..Default::default() };
    let mut table = FlowTable::default();
    let mut packet_errors = 0usize;
    let mut unknown_linktypes: Vec<u32> = Vec::new();
    for packet in &read.packets {
        match flows::decode(packet) {
            Ok(seg) => table.add(&seg, packet.frame),
            Err(Skip::NotTcp) | Err(Skip::Fragment) => {}
            Err(Skip::UnknownLinkType(lt)) => {
                if !unknown_linktypes.contains(&lt) {
                    unknown_linktypes.push(lt);
                    out.errors.push((
                        Some(packet.offset),
                        Some(packet.frame),
                        format!(
                            "frame {}: link type {lt} is not supported; its packets are skipped",
                            packet.frame
                        ),
                    ));
                }
            }
            Err(Skip::Malformed(msg)) => {
                packet_errors += 1;
                if packet_errors <= MAX_PACKET_ERRORS {
                    out.errors.push((
                        Some(packet.offset),
                        Some(packet.frame),
                        format!("frame {}: {msg}", packet.frame),
                    ));
                }
            }
        }
    }
    if packet_errors > MAX_PACKET_ERRORS {
        out.errors.push((
            None,
            None,
            format!("{} more malformed packets", packet_errors - MAX_PACKET_ERRORS),
        ));
    }
    for e in read.errors {
        out.errors.push((Some(e.offset), None, e.message));
    }
    if table.dropped_segments > 0 {
        out.errors.push((
            None,
            None,
            format!(
                "more than the limit of {} TCP connections: {} more connection(s) opened and {} segment(s) not read",
                flows::MAX_CONNECTIONS,
                table.dropped_connections,
                table.dropped_segments
            ),
        ));
    }
    if table.dropped_bytes > 0 {
        out.errors.push((
            None,
            None,
            format!(
                "stream bytes kept reached the limit of {} MiB: {} payload byte(s) not kept",
                flows::MAX_TOTAL_BYTES >> 20,
                table.dropped_bytes
            ),
        ));
    }
    out.dropped_connections = table.dropped_connections;
    out.dropped_segments = table.dropped_segments;
    for conn in &table.connections {
        if let Some(c) = connection_evidence(conn, &mut out.errors) {
            out.connections.push(c);
        }
    }
    out
}

/// Parses `CONNECT host:port HTTP/1.x` at the start of a stream: the target and the offset just
/// past the request's headers (`None` while the headers are incomplete).
fn parse_connect(stream: &[u8]) -> Option<(String, Option<usize>)> {
    let rest = stream.strip_prefix(b"CONNECT ")?;
    let line_end = rest.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(rest.len());
    let line = std::str::from_utf8(rest.get(..line_end)?).ok()?;
    let target = line.split_whitespace().next()?.to_owned();
    Some((target, header_end(stream)))
}

fn header_end(stream: &[u8]) -> Option<usize> {
    let limit = stream.len().min(16 * 1024);
    let s = stream.get(..limit)?;
    s.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Parses an HTTP status line: the status and the offset past the response headers.
fn parse_http_status(stream: &[u8]) -> Option<(u16, Option<usize>)> {
    let rest = stream.strip_prefix(b"HTTP/")?;
    let line_end = rest.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(rest.len());
    let line = std::str::from_utf8(rest.get(..line_end)?).ok()?;
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, header_end(stream)))
}

fn connection_evidence(
    conn: &Connection,
    errors: &mut Vec<(Option<u64>, Option<u64>, String)>,
) -> Option<TlsConnection> {
    let starts_tls = |d: usize| {
        conn.streams
            .get(d)
            .is_some_and(|s| matches!(s.bytes.first(), Some(&0x16)) || s.bytes.starts_with(b"CONNECT "))
    };
    // The client: the SYN's sender, else whoever starts with a hello or CONNECT, else `a`.
    let client_dir = conn.syn_dir.or_else(|| (0..2).find(|&d| starts_tls(d))).unwrap_or(0);
    let server_dir = 1 - client_dir;
    let (cs, ss) = (conn.streams.get(client_dir)?, conn.streams.get(server_dir)?);

    let mut proxy_connect = None;
    let mut client_tls_start = 0usize;
    let mut server_tls_start = 0usize;
    if let Some((target, end)) = parse_connect(&cs.bytes) {
        let frame = cs.frame_of(0).unwrap_or(conn.first_frame);
        let status = parse_http_status(&ss.bytes);
        proxy_connect = Some(ProxyConnectSeen { target, status: status.map(|s| s.0), frame });
        client_tls_start = end.unwrap_or(cs.bytes.len());
        server_tls_start = status.and_then(|s| s.1).unwrap_or(ss.bytes.len());
    }

    let client_stream = cs.bytes.get(client_tls_start..).unwrap_or_default();
    let mut sni = None;
    let mut client_hello = None;
    match tls::first_message(client_stream) {
        FirstMessage::Handshake { msg_type: HANDSHAKE_CLIENT_HELLO, body, end } => {
            let frame =
                cs.completing_frame(client_tls_start, client_tls_start + end).unwrap_or(conn.first_frame);
            match tls::parse_client_hello(&body) {
                Ok(h) => {
                    sni = h.sni.clone();
                    let suites = h.suites.iter().copied().filter(|s| !is_grease(*s)).collect();
                    client_hello = Some(HelloSeen { version: h.offered_version(), suites, frame });
                }
                Err(e) => {
                    errors.push((None, Some(frame), format!("frame {frame}: ClientHello unreadable: {e}")))
                }
            }
        }
        FirstMessage::NeedMore if !client_stream.is_empty() => {
            let frame = cs.frame_of(client_tls_start).unwrap_or(conn.first_frame);
            errors.push((
                None,
                Some(frame),
                format!(
                    "frame {frame}: the capture ends inside a TLS record (missing segments or truncated)"
                ),
            ));
        }
        _ => {}
    }

    let client_sent_nothing = !cs.has_data();
    if client_hello.is_none() && proxy_connect.is_none() && !client_sent_nothing {
        // Some other protocol (HTTP, SSH, …): not TLS evidence.
        let stream_start_is_tls = matches!(client_stream.first(), Some(&0x16));
        if !stream_start_is_tls {
            return None;
        }
    }
    if client_sent_nothing && conn.closes.is_empty() {
        // A bare SYN or keep-alive with nothing to say.
        return None;
    }

    let after = client_hello.as_ref().map(|h| h.frame).unwrap_or(0);
    let server_stream = ss.bytes.get(server_tls_start..).unwrap_or_default();
    let server_msg = match tls::first_message(server_stream) {
        FirstMessage::Handshake { msg_type: HANDSHAKE_SERVER_HELLO, body, end } => {
            let frame = ss.completing_frame(server_tls_start, server_tls_start + end).unwrap_or(0);
            match tls::parse_server_hello(&body) {
                Ok(h) => Some(AnswerSeen::ServerHello {
                    version: h.version(),
                    suite: h.suite,
                    hello_retry_request: h.is_hello_retry_request,
                    frame,
                }),
                Err(e) => {
                    errors.push((None, Some(frame), format!("frame {frame}: ServerHello unreadable: {e}")));
                    None
                }
            }
        }
        FirstMessage::Alert { alert, end } => Some(AnswerSeen::Alert {
            level: alert.level,
            description: alert.description,
            frame: ss.completing_frame(server_tls_start, server_tls_start + end).unwrap_or(0),
        }),
        _ => None,
    };
    let close = conn.closes.iter().find(|c| c.frame >= after).map(|c| {
        let from_server = c.dir == server_dir;
        match c.kind {
            CloseKind::Rst => AnswerSeen::Rst { from_server, frame: c.frame },
            CloseKind::Fin => AnswerSeen::Fin { from_server, frame: c.frame },
        }
    });
    let answer = match (server_msg, close) {
        (Some(m), Some(c)) => {
            if c.frame().unwrap_or(u64::MAX) < m.frame().unwrap_or(u64::MAX) {
                c
            } else {
                m
            }
        }
        (Some(m), None) => m,
        (None, Some(c)) => c,
        (None, None) => AnswerSeen::None,
    };

    Some(TlsConnection {
        client: conn.sender(client_dir).to_string(),
        server: conn.sender(server_dir).to_string(),
        first_frame: conn.first_frame,
        sni,
        client_hello,
        answer,
        proxy_connect,
    })
}

impl TlsConnection {
    /// The connection as a fact (a map), with provenance pointing at frames of `artifact`.
    pub fn to_fact(&self, artifact: &str) -> Fact {
        let src = |frame: u64| Arc::new(Provenance::new(artifact, INFO.name).frame(frame));
        let main = src(self.client_hello.as_ref().map(|h| h.frame).unwrap_or(self.first_frame));
        let leaf = |v: Value, s: &Arc<Provenance>| Fact::with_source(v, Arc::clone(s));
        let mut m = BTreeMap::new();
        m.insert("client".into(), leaf(self.client.clone().into(), &main));
        m.insert("server".into(), leaf(self.server.clone().into(), &main));
        if let Some(sni) = &self.sni {
            m.insert("sni".into(), leaf(sni.clone().into(), &main));
        }
        if let Some(h) = &self.client_hello {
            let s = src(h.frame);
            let suites: Vec<Fact> = h.suites.iter().map(|&id| leaf(suite_name(id).into(), &s)).collect();
            let mut ch = BTreeMap::new();
            ch.insert("version".into(), leaf(tls::version_name(h.version).into(), &s));
            ch.insert("suites".into(), leaf(Value::List(suites), &s));
            ch.insert("frame".into(), leaf(Value::Int(frame_int(h.frame)), &s));
            m.insert("client_hello".into(), leaf(Value::Map(ch), &s));
        }
        let s = src(self.answer.frame().unwrap_or(self.first_frame));
        let mut a = BTreeMap::new();
        a.insert("kind".into(), leaf(self.answer.kind().into(), &s));
        if let Some(f) = self.answer.frame() {
            a.insert("frame".into(), leaf(Value::Int(frame_int(f)), &s));
        }
        match &self.answer {
            AnswerSeen::ServerHello { version, suite, hello_retry_request, .. } => {
                a.insert("version".into(), leaf(tls::version_name(*version).into(), &s));
                a.insert("suite".into(), leaf(suite_name(*suite).into(), &s));
                if *hello_retry_request {
                    a.insert("hello_retry_request".into(), leaf(Value::Bool(true), &s));
                }
            }
            AnswerSeen::Alert { level, description, .. } => {
                a.insert("alert_level".into(), leaf(tls::alert_level_name(*level).into(), &s));
                a.insert(
                    "alert_description".into(),
                    leaf(tls::alert_description_name(*description).into(), &s),
                );
            }
            AnswerSeen::Rst { from_server, .. } | AnswerSeen::Fin { from_server, .. } => {
                let from = if *from_server { "server" } else { "client" };
                a.insert("from".into(), leaf(from.into(), &s));
            }
            AnswerSeen::None => {}
        }
        m.insert("answer".into(), leaf(Value::Map(a), &s));
        if let Some(p) = &self.proxy_connect {
            let s = src(p.frame);
            let mut pm = BTreeMap::new();
            pm.insert("target".into(), leaf(p.target.clone().into(), &s));
            if let Some(st) = p.status {
                pm.insert("status".into(), leaf(Value::Int(i64::from(st)), &s));
            }
            pm.insert("frame".into(), leaf(Value::Int(frame_int(p.frame)), &s));
            m.insert("proxy_connect".into(), leaf(Value::Map(pm), &s));
        }
        Fact::with_source(Value::Map(m), main)
    }
}

fn frame_int(f: u64) -> i64 {
    i64::try_from(f).unwrap_or(i64::MAX)
}

/// Collects a capture held in memory (what [`CaptureCollector::collect`] does after reading).
pub fn collect_bytes(rel_path: &str, bytes: &[u8]) -> CollectorOutput {
    let analysis = analyse(bytes);
    let mut out =
        CollectorOutput { encoding: Some("binary".into()), items: analysis.packets, ..Default::default() };
    for (offset, _frame, message) in analysis.errors {
        // Frames are not lines: the frame number is in the message, the byte offset locates it.
        let mut e = CollectionError::new(rel_path, INFO.name, message);
        e.offset = offset;
        out.errors.push(e);
    }
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for key in
        ["connections", "client_hellos", "server_hello", "alert", "rst", "fin", "none", "proxy_connects"]
    {
        counts.insert(key, 0);
    }
    if analysis.dropped_segments > 0 {
        counts.insert("connections_dropped", analysis.dropped_connections as i64);
        counts.insert("segments_dropped", analysis.dropped_segments as i64);
    }
    let mut list = Vec::new();
    for c in &analysis.connections {
        *counts.entry("connections").or_default() += 1;
        *counts.entry(c.answer.kind()).or_default() += 1;
        if c.client_hello.is_some() {
            *counts.entry("client_hellos").or_default() += 1;
        }
        if c.proxy_connect.is_some() {
            *counts.entry("proxy_connects").or_default() += 1;
        }
        list.push(c.to_fact(rel_path));
    }
    let whole = Arc::new(Provenance::new(rel_path, INFO.name));
    let summary: BTreeMap<String, Fact> = counts
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Fact::with_source(Value::Int(v), Arc::clone(&whole))))
        .collect();
    let mut facts = FactMap::new();
    facts
        .insert(&["network", "tls", "connections"], Fact::with_source(Value::List(list), Arc::clone(&whole)));
    facts.insert(&["network", "tls", "summary", rel_path], Fact::with_source(Value::Map(summary), whole));
    out.facts = facts;
    out
}
