//! Live TLS probes (`triage probe tls HOST[:PORT]`): which protocol versions and cipher suites an
//! endpoint accepts, in the server's preference order, and how it refuses the rest — directly
//! or through an HTTP `CONNECT` proxy — and whether the ClientHello a given Windows host would
//! send ([`as_host`]) would be accepted.
//!
//! The probe writes its ClientHellos itself ([`client_hello`]) and reads only the server's first
//! answer ([`classify`]); no handshake is ever completed.
//!
//! # Safety
//!
//! Only the target asked for (or the proxy, which then opens a tunnel to that target) is
//! contacted, once resolved. Every connection has a time-out ([`ProbeOptions::timeout`], 5 s by
//! default, covering connect, proxy answer and server answer); connections are made one at a
//! time with a pause between them ([`ProbeOptions::pause`], 250 ms), and their number is capped
//! ([`ProbeOptions::max_connections`], 40): 4 version hellos, then one hello per accepted cipher
//! suite while enumerating, plus one for `--as-host`. An unreachable target, or a proxy that
//! refuses the tunnel, ends the probe after that one connection.
//!
//! The whole probe has one deadline besides ([`ProbeOptions::deadline`], `--deadline`, 60 s by
//! default), covering name resolution, pauses and every connection: a server that answers just
//! before each time-out would otherwise hold the probe for 40 × the time-out. When it passes, the
//! connection under way is cut (its answer is `error:probe deadline reached`, not `timeout`), no
//! other is started, and `errors` says the result is incomplete.
//!
//! # Saved results and their facts
//!
//! A probe's [`ProbeReport`] is saved as JSON (`-o probe.json`; first key `"format":
//! "triage-probe-tls/1"`). The `probe-tls` collector ([`ProbeTlsCollector`]) recognises that file
//! by content and turns it into facts, so packs evaluate probe results like any other facts:
//!
//! ```text
//! probes.tls."<host:port>"               Map, one per probed target (the key is the target as probed)
//!   target             Str    "sws.update.microsoft.com:443"
//!   proxy              Str    "proxy.corp:8080" (never with credentials), absent when direct
//!   proxy_status       Int    the proxy's HTTP status when it refused the tunnel (e.g. 407)
//!   sni                Str    the server name sent, absent for an IP address
//!   connections        Int    connections made
//!   versions           Map, keyed "TLS 1.0" … "TLS 1.3" (only the versions probed):
//!     answer           Str    server_hello | lower_version | hello_retry_request | alert:<description>
//!                             | rst | eof | timeout | not_tls | proxy_refused | error:<message>
//!     accepted         Bool   the server agreed to speak this version
//!     server_version   Str    the version of the ServerHello (for lower_version: what it chose)
//!     suite            Str    the suite of the ServerHello (IANA name)
//!     alert            Str    the alert description (handshake_failure, protocol_version, …)
//!   accepted_versions  List of Str, lowest first ("TLS 1.2")
//!   suites             Map, keyed by accepted version: List of Str, the suites the server accepts
//!                             in its preference order (IANA names)
//!   as_host            Map, when the probe ran with --as-host:
//!     versions         List of Str, the versions that host would offer (empty: it sends no hello)
//!     suites           List of Str, the suites it would offer, in its order
//!     suite_source     Str    gpo | registry_policy | registry_local | os_default
//!     os_build         Int    the OS build the defaults were taken for, when known
//!     answer           Str    as for versions (or `no_hello` when nothing is left to offer)
//!     would_succeed    Bool
//!     server_version   Str, suite Str, alert Str: as for versions
//!     notes            List of Str, why the hello looks the way it does
//!   errors             List of Str, problems that stopped the probe early (name resolution, …)
//! ```
//!
//! Provenance: the artifact (`probe.json`), collector `probe-tls`, and `key` = the JSON path of
//! the entry (`versions/TLS 1.2`).

pub mod as_host;
pub mod classify;
pub mod client_hello;
pub mod proxy;
pub mod report;
pub mod run;

pub use report::{AsHostResult, ProbeReport, ProbeTlsCollector, VersionResult, PROBE_FORMAT};
pub use run::{probe, ProbeOptions, DEFAULT_DEADLINE};

/// The collectors this module provides.
pub static COLLECTORS: &[&'static dyn triage_facts::Collector] = &[&ProbeTlsCollector];

/// Splits `host[:port]`, `[v6]:port` or a bare IPv6 address; `default_port` when none is given.
pub fn split_host_port(s: &str, default_port: u16) -> Option<(String, u16)> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok().filter(|p| *p != 0)?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        return (!host.is_empty()).then(|| (host.to_owned(), port));
    }
    if s.matches(':').count() > 1 {
        // A bare IPv6 address: no port.
        return s.parse::<std::net::Ipv6Addr>().ok().map(|_| (s.to_owned(), default_port));
    }
    match s.split_once(':') {
        Some((h, p)) => {
            let port = p.parse().ok().filter(|p| *p != 0)?;
            (!h.is_empty() && !h.contains('/')).then(|| (h.to_owned(), port))
        }
        None => (!s.contains('/')).then(|| (s.to_owned(), default_port)),
    }
}

/// `host:port`, with brackets around an IPv6 address.
pub fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(
            split_host_port("sws.update.microsoft.com", 443),
            Some(("sws.update.microsoft.com".into(), 443))
        );
        assert_eq!(split_host_port("h:8443", 443), Some(("h".into(), 8443)));
        assert_eq!(split_host_port("[::1]:8443", 443), Some(("::1".into(), 8443)));
        assert_eq!(split_host_port("::1", 443), Some(("::1".into(), 443)));
        assert_eq!(split_host_port("h:0", 443), None);
        assert_eq!(split_host_port("h:x", 443), None);
        assert_eq!(split_host_port("", 443), None);
        assert_eq!(split_host_port("https://h", 443), None);
        assert_eq!(join_host_port("::1", 1), "[::1]:1");
        assert_eq!(join_host_port("h", 443), "h:443");
    }
}
