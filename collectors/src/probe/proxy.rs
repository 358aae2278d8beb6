//! HTTP `CONNECT` proxies, as WSUS uses them: `http://[user:password@]host:port`, with Basic
//! authentication when credentials are given.
//!
//! The proxy is the only host contacted; the tunnel it opens leads to the probe's target.
//! Credentials are never written into a report: [`ProxyConfig::display`] leaves them out.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

/// Where the proxy is and how to log in.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// Why a proxy URL or a tunnel failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("bad proxy URL {0:?}: {1}")]
    BadUrl(String, &'static str),
    #[error("the proxy refused the tunnel: HTTP {status} {reason}")]
    Refused { status: u16, reason: String },
    #[error("the proxy's answer is not HTTP")]
    NotHttp,
    #[error("the proxy closed the connection without answering")]
    Closed,
    #[error("timed out waiting for the proxy's answer")]
    Timeout,
    #[error("I/O error talking to the proxy: {0}")]
    Io(String),
}

impl ProxyConfig {
    /// Parses `http://user:pass@host:port` (the scheme may be omitted; the port defaults to
    /// 8080; user and password may be percent-encoded).
    pub fn parse(url: &str) -> Result<ProxyConfig, ProxyError> {
        let bad = |why| ProxyError::BadUrl(url.to_owned(), why);
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some(_) => return Err(bad("only http:// proxies are supported")),
            None => url,
        };
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(u) => {
                let (n, p) = u.split_once(':').map_or((u, None), |(n, p)| (n, Some(p)));
                (
                    Some(percent_decode(n).ok_or_else(|| bad("bad percent-encoding"))?),
                    match p {
                        Some(p) => Some(percent_decode(p).ok_or_else(|| bad("bad percent-encoding"))?),
                        None => None,
                    },
                )
            }
            None => (None, None),
        };
        let (host, port) = super::split_host_port(hostport, 8080).ok_or_else(|| bad("bad host or port"))?;
        Ok(ProxyConfig { host, port, user, password })
    }

    /// `host:port`, without credentials: what reports show.
    pub fn display(&self) -> String {
        super::join_host_port(&self.host, self.port)
    }

    /// The `CONNECT` request for `target` (`host:port`).
    pub fn connect_request(&self, target: &str) -> String {
        let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some(user) = &self.user {
            let creds = format!("{user}:{}", self.password.as_deref().unwrap_or(""));
            req.push_str(&format!("Proxy-Authorization: Basic {}\r\n", base64(creds.as_bytes())));
        }
        req.push_str("\r\n");
        req
    }
}

/// Asks the proxy on `stream` for a tunnel to `target` and reads its answer. On success the
/// stream is the tunnel.
pub fn open_tunnel(
    stream: &mut TcpStream,
    proxy: &ProxyConfig,
    target: &str,
    deadline: Instant,
) -> Result<(), ProxyError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => ProxyError::Timeout,
        _ => ProxyError::Io(e.to_string()),
    };
    stream.write_all(proxy.connect_request(target).as_bytes()).map_err(io)?;
    // Read byte by byte up to the end of the headers, so no tunnel byte is consumed.
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() > 16 * 1024 {
            return Err(ProxyError::NotHttp);
        }
        if Instant::now() >= deadline {
            return Err(ProxyError::Timeout);
        }
        stream.set_read_timeout(Some(super::classify::time_left(deadline))).map_err(io)?;
        match stream.read(&mut b) {
            Ok(0) => return Err(ProxyError::Closed),
            Ok(_) => head.push(b[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or("");
    let mut parts = line.splitn(3, ' ');
    let (Some(proto), Some(code)) = (parts.next(), parts.next()) else { return Err(ProxyError::NotHttp) };
    if !proto.starts_with("HTTP/") {
        return Err(ProxyError::NotHttp);
    }
    let status: u16 = code.parse().map_err(|_| ProxyError::NotHttp)?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(ProxyError::Refused { status, reason: parts.next().unwrap_or("").trim().to_owned() })
    }
}

/// Standard base64 with padding (RFC 4648), for the Basic credentials.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if c == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls_with_credentials() {
        let p = ProxyConfig::parse("http://dom%5Cuser:p%40ss:w@proxy.corp:3128/").expect("parses");
        assert_eq!(p.host, "proxy.corp");
        assert_eq!(p.port, 3128);
        assert_eq!(p.user.as_deref(), Some("dom\\user"));
        assert_eq!(p.password.as_deref(), Some("p@ss:w"));
        assert_eq!(p.display(), "proxy.corp:3128");
        assert!(!format!("{p:?}").contains("p@ss"));
        assert_eq!(ProxyConfig::parse("proxy").expect("parses").port, 8080);
        assert!(ProxyConfig::parse("socks5://x:1").is_err());
        assert!(ProxyConfig::parse("http://x:99999").is_err());
    }

    #[test]
    fn basic_credentials() {
        assert_eq!(base64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
        let p = ProxyConfig::parse("http://u:p@h:1").expect("parses");
        assert!(p
            .connect_request("sws.update.microsoft.com:443")
            .contains("Proxy-Authorization: Basic dTpw\r\n"));
    }
}
