//! Hand-made ClientHellos, one per protocol version, byte for byte what the probe sends.
//!
//! A TLS library cannot be made to offer TLS 1.0, CBC or RSA key exchange on demand, so the
//! probe writes its hellos itself and only reads the server's first answer; no handshake is
//! ever completed and no key material is needed. Key shares are the curves' base points (valid
//! public keys; the probe never derives a secret from them).
//!
//! - TLS 1.0–1.2: `client_version` = the version, no `supported_versions` (a TLS 1.3 server
//!   then negotiates the version offered, or answers with a lower one).
//! - TLS 1.3: `client_version` 0x0303, `supported_versions` = `[0x0304]` only, key shares for
//!   x25519 and secp256r1, TLS 1.3 suites only.
//!
//! The record header carries 0x0301, as OpenSSL and Schannel send it.

use crate::capture::cipher_suites::{is_signalling, is_tls13_suite, CIPHER_SUITES};

/// The protocol versions the probe tests, lowest first.
pub const PROBE_VERSIONS: [u16; 4] = [0x0301, 0x0302, 0x0303, 0x0304];

/// Every suite the probe offers for TLS 1.0–1.2: the whole table except TLS 1.3 suites and
/// signalling values, strongest families first (the order only matters to servers that honour
/// the client's preference).
pub fn broad_suites() -> Vec<u16> {
    let mut v: Vec<u16> = CIPHER_SUITES
        .iter()
        .map(|&(id, _)| id)
        .filter(|&id| !is_tls13_suite(id) && !is_signalling(id) && id != 0x0000)
        .collect();
    // ECDHE and DHE AEAD suites (0xC0xx, 0xCCxx) before the older 0x00xx ones.
    v.sort_by_key(|&id| (std::cmp::Reverse(id >> 8 >= 0xC0), std::cmp::Reverse(id)));
    v
}

/// The TLS 1.3 suites.
pub fn tls13_suites() -> Vec<u16> {
    vec![0x1301, 0x1302, 0x1303]
}

/// What to put in a ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloSpec {
    /// `client_version` (for TLS 1.3: 0x0304, sent as 0x0303 plus `supported_versions`).
    pub version: u16,
    /// For a hello that offers a range (as Schannel's does): every version offered, sent in
    /// `supported_versions` when it includes TLS 1.3.
    pub versions: Vec<u16>,
    pub suites: Vec<u16>,
    pub sni: Option<String>,
}

impl HelloSpec {
    /// A hello offering exactly one version with `suites`.
    pub fn single(version: u16, suites: Vec<u16>, sni: Option<String>) -> Self {
        HelloSpec { version, versions: vec![version], suites, sni }
    }
}

const X25519_BASE: [u8; 32] = {
    let mut k = [0u8; 32];
    k[0] = 9;
    k
};

/// The uncompressed secp256r1 generator point.
const P256_GENERATOR: [u8; 65] = [
    0x04, 0x6B, 0x17, 0xD1, 0xF2, 0xE1, 0x2C, 0x42, 0x47, 0xF8, 0xBC, 0xE6, 0xE5, 0x63, 0xA4, 0x40, 0xF2,
    0x77, 0x03, 0x7D, 0x81, 0x2D, 0xEB, 0x33, 0xA0, 0xF4, 0xA1, 0x39, 0x45, 0xD8, 0x98, 0xC2, 0x96, 0x4F,
    0xE3, 0x42, 0xE2, 0xFE, 0x1A, 0x7F, 0x9B, 0x8E, 0xE7, 0xEB, 0x4A, 0x7C, 0x0F, 0x9E, 0x16, 0x2B, 0xCE,
    0x33, 0x57, 0x6B, 0x31, 0x5E, 0xCE, 0xCB, 0xB6, 0x40, 0x68, 0x37, 0xBF, 0x51, 0xF5,
];

fn put_u16(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v.min(0xFFFF) as u16).to_be_bytes());
}

fn ext(out: &mut Vec<u8>, ty: u16, data: &[u8]) {
    out.extend_from_slice(&ty.to_be_bytes());
    put_u16(out, data.len());
    out.extend_from_slice(data);
}

fn u16_vec(items: &[u16]) -> Vec<u8> {
    let mut v = Vec::with_capacity(2 + items.len() * 2);
    put_u16(&mut v, items.len() * 2);
    for i in items {
        v.extend_from_slice(&i.to_be_bytes());
    }
    v
}

/// The ClientHello record for `spec`, ready to write to a socket.
pub fn build(spec: &HelloSpec) -> Vec<u8> {
    let max = spec.versions.iter().copied().max().unwrap_or(spec.version).max(spec.version);
    let tls13 = max >= 0x0304;
    let mut body = Vec::with_capacity(512);
    body.extend_from_slice(&(max.min(0x0303)).to_be_bytes());
    // A fixed random: the probe never completes a handshake, and fixed bytes keep it repeatable.
    body.extend((0u8..32).map(|i| i.wrapping_mul(7).wrapping_add(0x5A)));
    // Session id: 32 bytes for TLS 1.3 middlebox compatibility, empty otherwise.
    if tls13 {
        body.push(32);
        body.extend([0x33u8; 32]);
    } else {
        body.push(0);
    }
    let suites: Vec<u16> = spec.suites.iter().copied().take(0x7FFF).collect();
    body.extend(u16_vec(&suites));
    body.extend_from_slice(&[1, 0]); // compression: null only

    let mut exts = Vec::new();
    if let Some(name) =
        spec.sni.as_deref().filter(|n| !n.is_empty() && n.parse::<std::net::IpAddr>().is_err())
    {
        let mut d = Vec::new();
        put_u16(&mut d, name.len() + 3);
        d.push(0);
        put_u16(&mut d, name.len());
        d.extend_from_slice(name.as_bytes());
        ext(&mut exts, 0, &d);
    }
    // supported_groups: x25519, secp256r1, secp384r1, secp521r1, ffdhe2048.
    ext(&mut exts, 10, &u16_vec(&[0x001D, 0x0017, 0x0018, 0x0019, 0x0100]));
    // ec_point_formats: uncompressed.
    ext(&mut exts, 11, &[1, 0]);
    if max >= 0x0303 {
        // signature_algorithms (TLS 1.2+): ECDSA, RSA-PSS, RSA PKCS#1, SHA-1 last.
        let algs = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201];
        ext(&mut exts, 13, &u16_vec(&algs));
    }
    ext(&mut exts, 23, &[]); // extended_master_secret
    ext(&mut exts, 0xFF01, &[0]); // renegotiation_info (initial)
    if tls13 {
        let mut versions: Vec<u16> = spec.versions.iter().copied().filter(|v| *v >= 0x0301).collect();
        versions.sort_unstable_by(|a, b| b.cmp(a));
        versions.dedup();
        let mut d = vec![(versions.len() * 2).min(254) as u8];
        for v in versions.iter().take(127) {
            d.extend_from_slice(&v.to_be_bytes());
        }
        ext(&mut exts, 43, &d);
        ext(&mut exts, 45, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
        let mut shares = Vec::new();
        shares.extend_from_slice(&0x001Du16.to_be_bytes());
        put_u16(&mut shares, X25519_BASE.len());
        shares.extend_from_slice(&X25519_BASE);
        shares.extend_from_slice(&0x0017u16.to_be_bytes());
        put_u16(&mut shares, P256_GENERATOR.len());
        shares.extend_from_slice(&P256_GENERATOR);
        let mut d = Vec::new();
        put_u16(&mut d, shares.len());
        d.extend(shares);
        ext(&mut exts, 51, &d);
    }
    put_u16(&mut body, exts.len());
    body.extend(exts);

    let mut handshake = vec![1u8];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![22u8, 3, 1];
    put_u16(&mut record, handshake.len());
    record.extend(handshake);
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::tls::{first_message, parse_client_hello, FirstMessage};

    #[test]
    fn hellos_parse_back_with_the_offered_version() {
        for v in PROBE_VERSIONS {
            let suites = if v == 0x0304 { tls13_suites() } else { broad_suites() };
            let rec = build(&HelloSpec::single(v, suites.clone(), Some("sws.update.microsoft.com".into())));
            let FirstMessage::Handshake { msg_type: 1, body, end } = first_message(&rec) else {
                panic!("not a hello")
            };
            assert_eq!(end, rec.len());
            let h = parse_client_hello(&body).expect("parses");
            assert_eq!(h.offered_version(), v);
            assert_eq!(h.suites, suites);
            assert_eq!(h.sni.as_deref(), Some("sws.update.microsoft.com"));
        }
    }

    #[test]
    fn no_sni_for_ip_addresses() {
        let rec = build(&HelloSpec::single(0x0303, vec![0xC030], Some("127.0.0.1".into())));
        let FirstMessage::Handshake { body, .. } = first_message(&rec) else { panic!("not a hello") };
        assert_eq!(parse_client_hello(&body).expect("parses").sni, None);
    }
}
