//! Reads a server's first answer to a ClientHello and classifies it.
//!
//! The answers, as the probe's facts name them: `server_hello` (the version offered was
//! accepted), `lower_version` (a ServerHello for an older version: the one offered is not
//! supported), `hello_retry_request` (TLS 1.3 server asking for another key share: it speaks
//! TLS 1.3), `alert:<description>`, `rst` (connection reset), `eof` (closed without a word),
//! `timeout`, `not_tls` (something that is not TLS), and `error:<message>` for other I/O errors.

use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

use crate::capture::tls::{
    self, alert_description_name, first_message, Alert, FirstMessage, ServerHello, HANDSHAKE_SERVER_HELLO,
};

/// Most bytes read while waiting for the first message.
const MAX_ANSWER: usize = 64 * 1024;

/// A server's answer to one ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    ServerHello(ServerHello),
    Alert(Alert),
    Reset,
    Eof,
    Timeout,
    NotTls,
    IoError(String),
}

impl Answer {
    /// The answer's name for a hello that offered `offered` (the highest version in it).
    pub fn label(&self, offered: u16) -> String {
        match self {
            Answer::ServerHello(h) if h.is_hello_retry_request => "hello_retry_request".into(),
            Answer::ServerHello(h) if h.version() < offered => "lower_version".into(),
            Answer::ServerHello(_) => "server_hello".into(),
            Answer::Alert(a) => format!("alert:{}", alert_description_name(a.description)),
            Answer::Reset => "rst".into(),
            Answer::Eof => "eof".into(),
            Answer::Timeout => "timeout".into(),
            Answer::NotTls => "not_tls".into(),
            Answer::IoError(e) => format!("error:{e}"),
        }
    }

    /// Whether the server agreed to speak `offered` (a HelloRetryRequest counts: the server
    /// chose that version and only wants another key share).
    pub fn accepts(&self, offered: u16) -> bool {
        match self {
            Answer::ServerHello(h) => h.is_hello_retry_request || h.version() == offered,
            _ => false,
        }
    }
}

/// Reads from `stream` until its first TLS message is complete, the peer closes, or
/// `deadline` passes. The stream's read time-out should be short enough for the deadline to be
/// checked (the probe sets it to the time left).
pub fn read_answer<R: Read>(stream: &mut R, deadline: Instant) -> Answer {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match first_message(&buf) {
            FirstMessage::Handshake { msg_type: HANDSHAKE_SERVER_HELLO, body, .. } => {
                return match tls::parse_server_hello(&body) {
                    Ok(h) => Answer::ServerHello(h),
                    Err(_) => Answer::NotTls,
                };
            }
            FirstMessage::Alert { alert, .. } => return Answer::Alert(alert),
            FirstMessage::Handshake { .. } | FirstMessage::Other { .. } | FirstMessage::NotTls => {
                return Answer::NotTls
            }
            FirstMessage::NeedMore => {}
        }
        if buf.len() >= MAX_ANSWER {
            return Answer::NotTls;
        }
        if Instant::now() >= deadline {
            return Answer::Timeout;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return if buf.is_empty() { Answer::Eof } else { Answer::NotTls },
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) => match e.kind() {
                ErrorKind::WouldBlock | ErrorKind::TimedOut => return Answer::Timeout,
                ErrorKind::Interrupted => {}
                ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
                    return Answer::Reset
                }
                _ => return Answer::IoError(e.to_string()),
            },
        }
    }
}

/// Turns a read deadline into a socket read time-out (never zero, which would mean "forever").
pub fn time_left(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn classifies_alerts_eof_and_garbage() {
        let alert = [21u8, 3, 3, 0, 2, 2, 70];
        assert_eq!(read_answer(&mut Cursor::new(alert), far()).label(0x0301), "alert:protocol_version");
        assert_eq!(read_answer(&mut Cursor::new(Vec::<u8>::new()), far()), Answer::Eof);
        assert_eq!(read_answer(&mut Cursor::new(b"HTTP/1.1 400 Bad".to_vec()), far()), Answer::NotTls);
        assert_eq!(read_answer(&mut Cursor::new([22u8, 3, 3, 0, 10, 2]), far()), Answer::NotTls);
    }

    #[test]
    fn lower_version_is_not_acceptance() {
        let h = ServerHello { legacy_version: 0x0301, suite: 0xC014, ..Default::default() };
        let a = Answer::ServerHello(h);
        assert_eq!(a.label(0x0303), "lower_version");
        assert!(!a.accepts(0x0303));
        assert!(a.accepts(0x0301));
    }
}
