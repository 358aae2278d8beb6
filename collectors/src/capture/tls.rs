//! TLS as seen on the wire, read-only: records, the first handshake message or alert of a
//! stream, ClientHello and ServerHello fields, alert names and protocol version names.
//!
//! Shared by the capture collector (which reads reassembled TCP streams) and the probe (which
//! reads a server's answer from a socket). Never panics on input: every length is checked.
//!
//! The offered version of a ClientHello is its `client_version`, or the highest entry of its
//! `supported_versions` extension when present — never the record header (OpenSSL sends record
//! version 0x0301 on a TLS 1.2 hello).

use crate::capture::cipher_suites::is_grease;

/// Record content types.
pub const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CONTENT_ALERT: u8 = 21;
pub const CONTENT_HANDSHAKE: u8 = 22;
pub const CONTENT_APPLICATION_DATA: u8 = 23;

/// Handshake message types.
pub const HANDSHAKE_CLIENT_HELLO: u8 = 1;
pub const HANDSHAKE_SERVER_HELLO: u8 = 2;

/// Extension types used here.
pub const EXT_SERVER_NAME: u16 = 0;
pub const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// Largest record payload a peer may send (2^14 plus expansion for encrypted records).
const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
/// Largest handshake message accepted when reassembling (hellos are a few KiB).
const MAX_HANDSHAKE_LEN: usize = 1 << 16;

/// The random value of a HelloRetryRequest (RFC 8446 §4.1.3): SHA-256 of "HelloRetryRequest".
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2,
    0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// A protocol version's usual name: `TLS 1.2`, `SSL 3.0`, or `0xXXXX`.
pub fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSL 2.0".into(),
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        _ => format!("0x{v:04X}"),
    }
}

/// The wire value of a version name (`TLS 1.2` → 0x0303); case and spaces are not significant.
pub fn version_from_name(name: &str) -> Option<u16> {
    let squashed: String =
        name.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    Some(match squashed.as_str() {
        "SSL3.0" | "SSL3" => 0x0300,
        "TLS1.0" | "TLS1" => 0x0301,
        "TLS1.1" => 0x0302,
        "TLS1.2" => 0x0303,
        "TLS1.3" => 0x0304,
        _ => return None,
    })
}

/// An alert's level name (`warning`, `fatal`, or the number).
pub fn alert_level_name(level: u8) -> String {
    match level {
        1 => "warning".into(),
        2 => "fatal".into(),
        _ => level.to_string(),
    }
}

/// An alert description's RFC name (`handshake_failure`, `protocol_version`, …) or its number.
pub fn alert_description_name(desc: u8) -> String {
    let name = match desc {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => return desc.to_string(),
    };
    name.into()
}

/// A TLS alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    pub level: u8,
    pub description: u8,
}

/// The first message of one direction of a TLS connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FirstMessage {
    /// The stream ends inside the first record or handshake message.
    NeedMore,
    /// The stream does not start with a TLS record.
    NotTls,
    /// A complete handshake message; `end` is the stream offset just past its last byte.
    Handshake {
        msg_type: u8,
        body: Vec<u8>,
        end: usize,
    },
    Alert {
        alert: Alert,
        end: usize,
    },
    /// A record of another type (ChangeCipherSpec, application data) came first.
    Other {
        content_type: u8,
        end: usize,
    },
}

/// Reads the first handshake message (reassembled across records) or alert of a stream.
pub fn first_message(stream: &[u8]) -> FirstMessage {
    let mut pos = 0usize;
    let mut handshake: Vec<u8> = Vec::new();
    loop {
        let Some(header) = stream.get(pos..pos + 5) else {
            return if pos == 0 && !stream.is_empty() && !plausible_record_start(stream) {
                FirstMessage::NotTls
            } else {
                FirstMessage::NeedMore
            };
        };
        let content_type = header[0];
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if !plausible_record_start(header) || len > MAX_RECORD_LEN || (handshake.is_empty() && pos > 0) {
            return FirstMessage::NotTls;
        }
        if !handshake.is_empty() && content_type != CONTENT_HANDSHAKE {
            // A handshake message interrupted by another record type: not a well-formed stream.
            return FirstMessage::NotTls;
        }
        let Some(payload) = stream.get(pos + 5..pos + 5 + len) else { return FirstMessage::NeedMore };
        let end = pos + 5 + len;
        match content_type {
            CONTENT_HANDSHAKE => {
                handshake.extend_from_slice(payload);
                if handshake.len() >= 4 {
                    let msg_len = usize::from(handshake[1]) << 16
                        | usize::from(handshake[2]) << 8
                        | usize::from(handshake[3]);
                    if msg_len > MAX_HANDSHAKE_LEN {
                        return FirstMessage::NotTls;
                    }
                    if handshake.len() >= 4 + msg_len {
                        let body = handshake.get(4..4 + msg_len).map(<[u8]>::to_vec).unwrap_or_default();
                        return FirstMessage::Handshake { msg_type: handshake[0], body, end };
                    }
                }
                pos = end;
                // A handshake message spread over records: keep reading. `handshake` is non-empty
                // unless the record was empty, which is allowed only for non-handshake records.
                if handshake.is_empty() {
                    return FirstMessage::NotTls;
                }
            }
            CONTENT_ALERT => {
                return match payload {
                    [level, description, ..] => {
                        FirstMessage::Alert { alert: Alert { level: *level, description: *description }, end }
                    }
                    _ => FirstMessage::NotTls,
                };
            }
            _ => return FirstMessage::Other { content_type, end },
        }
    }
}

/// Whether bytes can start a TLS record: a known content type and major version 3.
fn plausible_record_start(b: &[u8]) -> bool {
    let type_ok =
        b.first().is_some_and(|t| (CONTENT_CHANGE_CIPHER_SPEC..=CONTENT_APPLICATION_DATA).contains(t));
    let major_ok = b.get(1).is_none_or(|&m| m == 3);
    let minor_ok = b.get(2).is_none_or(|&m| m <= 4);
    type_ok && major_ok && minor_ok
}

/// The fields of a ClientHello that diagnosis needs.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ClientHello {
    pub client_version: u16,
    /// The `supported_versions` extension, GREASE removed; empty when absent.
    pub supported_versions: Vec<u16>,
    /// Offered suites in the client's order (GREASE kept, so the list is what was sent).
    pub suites: Vec<u16>,
    /// The host name from the `server_name` extension.
    pub sni: Option<String>,
    /// Extension types in the order sent.
    pub extensions: Vec<u16>,
}

impl ClientHello {
    /// The highest version offered: from `supported_versions` when present, else `client_version`.
    pub fn offered_version(&self) -> u16 {
        self.supported_versions.iter().copied().max().unwrap_or(self.client_version)
    }
}

/// The fields of a ServerHello (or HelloRetryRequest) that diagnosis needs.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ServerHello {
    pub legacy_version: u16,
    /// The `supported_versions` extension's selected version (TLS 1.3).
    pub selected_version: Option<u16>,
    pub suite: u16,
    pub is_hello_retry_request: bool,
}

impl ServerHello {
    /// The negotiated version: the selected version when the extension is present.
    pub fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// Why a hello could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloError(pub String);

impl std::fmt::Display for HelloError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bounds-checked big-endian reader.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], HelloError> {
        let out = self
            .data
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or_else(|| HelloError(format!("truncated {what} at byte {}", self.pos)))?;
        self.pos += n;
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, HelloError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, HelloError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn vec8(&mut self, what: &str) -> Result<&'a [u8], HelloError> {
        let n = usize::from(self.u8(what)?);
        self.take(n, what)
    }

    fn vec16(&mut self, what: &str) -> Result<&'a [u8], HelloError> {
        let n = usize::from(self.u16(what)?);
        self.take(n, what)
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// Extensions as `(type, data)`; an absent extensions block (old hellos) gives none.
fn extensions<'a>(r: &mut Reader<'a>) -> Result<Vec<(u16, &'a [u8])>, HelloError> {
    let mut out = Vec::new();
    if r.is_empty() {
        return Ok(out);
    }
    let mut ext = Reader::new(r.vec16("extensions")?);
    while !ext.is_empty() {
        let ty = ext.u16("extension type")?;
        let data = ext.vec16("extension data")?;
        out.push((ty, data));
    }
    Ok(out)
}

fn u16_list(data: &[u8]) -> Vec<u16> {
    data.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect()
}

/// Parses a ClientHello body (the handshake message without its 4-byte header).
pub fn parse_client_hello(body: &[u8]) -> Result<ClientHello, HelloError> {
    let mut r = Reader::new(body);
    let client_version = r.u16("client_version")?;
    r.take(32, "random")?;
    r.vec8("session_id")?;
    let suites = r.vec16("cipher_suites")?;
    if suites.len() & 1 == 1 {
        return Err(HelloError("cipher_suites has an odd length".into()));
    }
    r.vec8("compression_methods")?;
    let mut hello = ClientHello { client_version, suites: u16_list(suites), ..Default::default() };
    for (ty, data) in extensions(&mut r)? {
        hello.extensions.push(ty);
        match ty {
            EXT_SERVER_NAME => hello.sni = parse_sni(data),
            EXT_SUPPORTED_VERSIONS => {
                let list = data.split_first().and_then(|(&n, rest)| rest.get(..usize::from(n)));
                hello.supported_versions =
                    list.map(u16_list).unwrap_or_default().into_iter().filter(|v| !is_grease(*v)).collect();
            }
            _ => {}
        }
    }
    Ok(hello)
}

fn parse_sni(data: &[u8]) -> Option<String> {
    let mut r = Reader::new(data);
    let mut list = Reader::new(r.vec16("server_name_list").ok()?);
    while !list.is_empty() {
        let name_type = list.u8("name_type").ok()?;
        let name = list.vec16("host_name").ok()?;
        if name_type == 0 {
            return std::str::from_utf8(name).ok().map(str::to_owned);
        }
    }
    None
}

/// Parses a ServerHello body (also recognises a HelloRetryRequest by its random).
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, HelloError> {
    let mut r = Reader::new(body);
    let legacy_version = r.u16("server_version")?;
    let random = r.take(32, "random")?;
    r.vec8("session_id")?;
    let suite = r.u16("cipher_suite")?;
    r.u8("compression_method")?;
    let mut hello = ServerHello {
        legacy_version,
        suite,
        is_hello_retry_request: random == HELLO_RETRY_REQUEST_RANDOM,
        ..Default::default()
    };
    for (ty, data) in extensions(&mut r)? {
        if ty == EXT_SUPPORTED_VERSIONS {
            if let [a, b] = data {
                hello.selected_version = Some(u16::from_be_bytes([*a, *b]));
            }
        }
    }
    Ok(hello)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(ct: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![ct, 3, 1];
        v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn handshake_split_over_records_is_reassembled() {
        let msg = [1u8, 0, 0, 3, 0xAA, 0xBB, 0xCC];
        let mut stream = record(CONTENT_HANDSHAKE, &msg[..5]);
        assert_eq!(first_message(&stream), FirstMessage::NeedMore);
        stream.extend(record(CONTENT_HANDSHAKE, &msg[5..]));
        assert_eq!(
            first_message(&stream),
            FirstMessage::Handshake { msg_type: 1, body: vec![0xAA, 0xBB, 0xCC], end: stream.len() }
        );
    }

    #[test]
    fn alerts_and_garbage() {
        let stream = record(CONTENT_ALERT, &[2, 40]);
        assert_eq!(
            first_message(&stream),
            FirstMessage::Alert { alert: Alert { level: 2, description: 40 }, end: 7 }
        );
        assert_eq!(first_message(b"HTTP/1.1 200 OK\r\n"), FirstMessage::NotTls);
        assert_eq!(first_message(&[22, 3]), FirstMessage::NeedMore);
        assert_eq!(alert_description_name(40), "handshake_failure");
        assert_eq!(alert_description_name(250), "250");
    }

    #[test]
    fn version_names() {
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(version_from_name("tls 1.0"), Some(0x0301));
        assert_eq!(version_name(0x7F1C), "0x7F1C");
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = first_message(&data);
            let _ = parse_client_hello(&data);
            let _ = parse_server_hello(&data);
        }

        #[test]
        fn never_panics_on_handshake_records(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut msg = vec![1u8, 0, (body.len() >> 8) as u8, body.len() as u8];
            msg.extend_from_slice(&body);
            if let FirstMessage::Handshake { body, .. } = first_message(&record(CONTENT_HANDSHAKE, &msg)) {
                let _ = parse_client_hello(&body);
                let _ = parse_server_hello(&body);
            }
        }
    }
}
