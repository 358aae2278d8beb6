//! Loopback test fixtures shared by the capture and probe tests: TLS servers (`openssl
//! s_server`, in-process rustls, servers that reset, stay silent or hang up), a recording relay
//! that doubles as an HTTP CONNECT proxy with Basic authentication, and a writer that turns a
//! recorded conversation into pcap / pcapng files. Nothing here leaves 127.0.0.1.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh scratch folder under the system temp dir.
pub fn scratch(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("triage-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// openssl s_server

/// Whether `openssl` is installed; prints why a test is skipped when it is not. Under `CI=true`
/// (where `.ci/run` installs it) a missing `openssl` fails the test instead of skipping it.
pub fn have_openssl(test: &str) -> bool {
    let ok =
        Command::new("openssl").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: the `openssl` binary is not installed (Debian package `openssl`), and CI=true"
        );
        eprintln!("SKIPPED {test}: the `openssl` binary is not installed (Debian package `openssl`)");
    }
    ok
}

/// How to configure `openssl s_server`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpensslKind {
    /// As sws.update.microsoft.com is: TLS 1.2 only, its four ECDHE-RSA suites, server order.
    Article,
    /// An old endpoint: TLS 1.0 only, SHA-1 suites, security level 0.
    Tls10Only,
}

/// A running `openssl s_server`, killed on drop.
pub struct OpensslServer {
    child: Child,
    pub addr: SocketAddr,
    _dir: PathBuf,
}

impl OpensslServer {
    pub fn start(kind: OpensslKind) -> OpensslServer {
        let dir = scratch("openssl");
        let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
        let st = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl req");
        assert!(st.success(), "openssl req failed");
        let out = dir.join("stdout.txt");
        let mut cmd = Command::new("openssl");
        cmd.args(["s_server", "-accept", "127.0.0.1:0"]).arg("-cert").arg(&cert).arg("-key").arg(&key);
        match kind {
            OpensslKind::Article => cmd.args([
                "-tls1_2",
                "-serverpref",
                "-cipher",
                "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256",
            ]),
            OpensslKind::Tls10Only => {
                cmd.args(["-tls1", "-serverpref", "-cipher", "ECDHE-RSA-AES256-SHA:AES128-SHA:@SECLEVEL=0"])
            }
        };
        let child = cmd
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn openssl s_server");
        // Owned by the guard from here on, so every path kills and reaps it.
        let mut server = OpensslServer { child, addr: SocketAddr::from(([127, 0, 0, 1], 0)), _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            if let Some(addr) =
                text.lines().find_map(|l| l.strip_prefix("ACCEPT ")).and_then(|a| a.trim().parse().ok())
            {
                server.addr = addr;
                return server;
            }
            assert!(Instant::now() < deadline, "openssl s_server did not start: {text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// In-process servers

/// A loopback listener serving each connection with `f` on its own thread.
pub fn serve<F>(f: F) -> SocketAddr
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let f = Arc::new(f);
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let f = Arc::clone(&f);
            std::thread::spawn(move || f(s));
        }
    });
    addr
}

/// Resets every connection once the client has sent something (closing a socket with unread
/// data makes Linux send RST), as the article's endpoint does to a TLS 1.0 hello.
pub fn reset_server() -> SocketAddr {
    serve(|s| {
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut probe = [0u8; 1];
        let _ = s.set_read_timeout(Some(Duration::from_millis(20)));
        while Instant::now() < deadline && s.peek(&mut probe).map_or(true, |n| n == 0) {
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(s);
    })
}

/// Reads the hello and says nothing for `hold`.
pub fn silent_server(hold: Duration) -> SocketAddr {
    serve(move |mut s| {
        let mut buf = [0u8; 4096];
        let _ = s.set_read_timeout(Some(hold));
        let _ = s.read(&mut buf);
        std::thread::sleep(hold);
    })
}

/// Reads the hello, then closes cleanly (FIN, nothing unread).
pub fn eof_server() -> SocketAddr {
    serve(|mut s| {
        let mut buf = [0u8; 16 * 1024];
        let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
        let _ = s.shutdown(Shutdown::Both);
    })
}

/// Answers anything with an HTTP error, like a web server on the wrong port.
pub fn http_server() -> SocketAddr {
    serve(|mut s| {
        let mut buf = [0u8; 4096];
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = s.read(&mut buf);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        std::thread::sleep(Duration::from_millis(100));
    })
}

/// A self-signed ECDSA certificate for `localhost`.
pub fn localhost_cert(
) -> (rustls::pki_types::CertificateDer<'static>, rustls::pki_types::PrivateKeyDer<'static>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        ck.key_pair.serialize_der(),
    ));
    (ck.cert.der().clone(), key)
}

/// An in-process rustls server (TLS 1.2 and 1.3); `only_p384` limits its key exchange to
/// secp384r1, so a hello with x25519/P-256 shares gets a HelloRetryRequest.
pub fn rustls_server(
    cert: rustls::pki_types::CertificateDer<'static>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
    only_p384: bool,
) -> SocketAddr {
    let mut provider = rustls::crypto::ring::default_provider();
    if only_p384 {
        provider.kx_groups = vec![rustls::crypto::ring::kx_group::SECP384R1];
    }
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server config");
    let config = Arc::new(config);
    serve(move |mut s| {
        let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
        let _ = s.set_write_timeout(Some(Duration::from_secs(3)));
        let Ok(mut conn) = rustls::ServerConnection::new(Arc::clone(&config)) else { return };
        while conn.is_handshaking() {
            if conn.complete_io(&mut s).is_err() {
                return;
            }
        }
        // Echo one line of application data, then close politely.
        let mut tls = rustls::Stream::new(&mut conn, &mut s);
        let mut buf = [0u8; 256];
        if let Ok(n) = tls.read(&mut buf) {
            let _ = tls.write_all(buf.get(..n).unwrap_or_default());
        }
        conn.send_close_notify();
        let _ = conn.complete_io(&mut s);
    })
}

/// A rustls client config trusting `cert`, limited to `versions`.
pub fn rustls_client(
    cert: &rustls::pki_types::CertificateDer<'static>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).expect("add root");
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(cfg)
}

/// Runs a rustls handshake to `name` over `sock` and sends one line; returns whether the
/// handshake completed. Errors (an untrusted certificate) are expected in some tests.
pub fn rustls_talk(cfg: Arc<rustls::ClientConfig>, name: &str, mut sock: TcpStream) -> bool {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(3)));
    let server_name = rustls::pki_types::ServerName::try_from(name.to_owned()).expect("server name");
    let mut conn = rustls::ClientConnection::new(cfg, server_name).expect("client");
    let ok = {
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        tls.write_all(b"hello\n").is_ok() && {
            let mut buf = [0u8; 64];
            tls.read(&mut buf).is_ok()
        }
    };
    let _ = sock.shutdown(Shutdown::Write);
    let mut rest = Vec::new();
    let _ = sock.read_to_end(&mut rest);
    ok
}

// ---------------------------------------------------------------------------------------------
// The recording relay and CONNECT proxy

/// Something that happened on a relayed connection, in the order the relay saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    Data { from_client: bool, bytes: Vec<u8> },
    Close { from_client: bool, rst: bool },
}

/// One relayed connection: the client's address, the address it connected to, the events.
#[derive(Clone, Debug, Default)]
pub struct Conversation {
    pub client: Option<SocketAddr>,
    pub server: Option<SocketAddr>,
    pub events: Vec<Ev>,
    pub done: bool,
}

/// A relay on 127.0.0.1 forwarding to one upstream, or an HTTP CONNECT proxy (to loopback
/// targets only) requiring `credentials` (`user:password`) when given.
pub struct Relay {
    pub addr: SocketAddr,
    convs: Arc<Mutex<Vec<Arc<Mutex<Conversation>>>>>,
}

#[derive(Clone, Debug)]
pub enum RelayMode {
    Forward(SocketAddr),
    Proxy { credentials: Option<String> },
}

fn record(conv: &Arc<Mutex<Conversation>>, ev: Ev) {
    if let Ok(mut c) = conv.lock() {
        c.events.push(ev);
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, from_client: bool, conv: Arc<Mutex<Conversation>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => {
                record(&conv, Ev::Close { from_client, rst: false });
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => {
                let data = buf.get(..n).unwrap_or_default();
                record(&conv, Ev::Data { from_client, bytes: data.to_vec() });
                if to.write_all(data).is_err() {
                    let _ = from.shutdown(Shutdown::Both);
                    return;
                }
            }
            Err(e) => {
                let rst = e.kind() == std::io::ErrorKind::ConnectionReset;
                record(&conv, Ev::Close { from_client, rst });
                let _ = to.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Reads an HTTP request head byte by byte (so nothing after it is consumed).
fn read_head(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 || s.read(&mut b).ok()? == 0 {
            return None;
        }
        head.push(b[0]);
    }
    Some(head)
}

fn handle(mut client: TcpStream, mode: RelayMode, conv: Arc<Mutex<Conversation>>) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
    let upstream = match mode {
        RelayMode::Forward(up) => TcpStream::connect(up).ok(),
        RelayMode::Proxy { credentials } => {
            let Some(head) = read_head(&mut client) else { return };
            record(&conv, Ev::Data { from_client: true, bytes: head.clone() });
            let text = String::from_utf8_lossy(&head).into_owned();
            let target =
                text.strip_prefix("CONNECT ").and_then(|r| r.split_whitespace().next()).unwrap_or("");
            let want = credentials.map(|c| format!("proxy-authorization: basic {}", base64(c.as_bytes())));
            let authorised = want.is_none_or(|w| text.lines().any(|l| l.trim().eq_ignore_ascii_case(&w)));
            let loopback = target.parse::<SocketAddr>().is_ok_and(|a| a.ip().is_loopback());
            let (answer, up) = if !authorised {
                (
                    "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"t\"\r\nContent-Length: 0\r\n\r\n",
                    None,
                )
            } else if !loopback {
                ("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", None)
            } else {
                match TcpStream::connect(target) {
                    Ok(up) => ("HTTP/1.1 200 Connection established\r\n\r\n", Some(up)),
                    Err(_) => ("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", None),
                }
            };
            record(&conv, Ev::Data { from_client: false, bytes: answer.as_bytes().to_vec() });
            let _ = client.write_all(answer.as_bytes());
            if up.is_none() {
                record(&conv, Ev::Close { from_client: false, rst: false });
                let _ = client.shutdown(Shutdown::Write);
                let mut rest = Vec::new();
                let _ = client.read_to_end(&mut rest);
            }
            up
        }
    };
    if let Some(up) = upstream {
        let _ = up.set_read_timeout(Some(Duration::from_secs(5)));
        let (c2, u2) = (client.try_clone(), up.try_clone());
        if let (Ok(c2), Ok(u2)) = (c2, u2) {
            let conv2 = Arc::clone(&conv);
            let t = std::thread::spawn(move || pump(c2, u2, true, conv2));
            pump(up, client, false, Arc::clone(&conv));
            let _ = t.join();
        }
    }
    if let Ok(mut c) = conv.lock() {
        c.done = true;
    }
}

/// Standard base64 (for the test proxy's expected credentials).
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(A[((n >> (18 - 6 * i)) & 63) as usize]) } else { '=' });
        }
    }
    out
}

impl Relay {
    pub fn start(mode: RelayMode) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let addr = listener.local_addr().expect("addr");
        let convs: Arc<Mutex<Vec<Arc<Mutex<Conversation>>>>> = Arc::default();
        let list = Arc::clone(&convs);
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                let conv = Arc::new(Mutex::new(Conversation {
                    client: s.peer_addr().ok(),
                    server: Some(addr),
                    ..Default::default()
                }));
                if let Ok(mut l) = list.lock() {
                    l.push(Arc::clone(&conv));
                }
                let mode = mode.clone();
                std::thread::spawn(move || handle(s, mode, conv));
            }
        });
        Relay { addr, convs }
    }

    /// The first `n` conversations, once they are over (panics after 10 s).
    pub fn conversations(&self, n: usize) -> Vec<Conversation> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let snapshot: Vec<Conversation> = self
                .convs
                .lock()
                .expect("lock")
                .iter()
                .filter_map(|c| c.lock().ok().map(|c| c.clone()))
                .collect();
            if snapshot.len() >= n && snapshot.iter().take(n).all(|c| c.done) {
                return snapshot.into_iter().take(n).collect();
            }
            assert!(Instant::now() < deadline, "relay conversations did not finish: {snapshot:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writing captures

/// The link layer to frame packets in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    EthernetVlan,
    LinuxSll,
    LinuxSll2,
    RawIp,
    Null,
}

impl Link {
    fn linktype(self) -> u32 {
        match self {
            Link::Ethernet | Link::EthernetVlan => 1,
            Link::LinuxSll => 113,
            Link::LinuxSll2 => 276,
            Link::RawIp => 101,
            Link::Null => 0,
        }
    }
}

/// The container to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Pcap { big_endian: bool, nanos: bool },
    PcapNg { big_endian: bool },
}

/// How to turn a conversation into a capture.
#[derive(Clone, Copy, Debug)]
pub struct CaptureSpec {
    pub container: Container,
    pub link: Link,
    pub ipv6: bool,
    /// Largest TCP payload per segment: small values split the hellos.
    pub mss: usize,
    /// Send the second segment of the client's first message before the first.
    pub swap_first_segments: bool,
}

impl Default for CaptureSpec {
    fn default() -> Self {
        CaptureSpec {
            container: Container::Pcap { big_endian: false, nanos: false },
            link: Link::Ethernet,
            ipv6: false,
            mss: 1460,
            swap_first_segments: false,
        }
    }
}

/// A written capture: the file's bytes, each event's last frame (1-based), and the byte offset
/// of every frame's record.
pub struct Written {
    pub bytes: Vec<u8>,
    pub event_frames: Vec<u64>,
    pub frame_offsets: Vec<usize>,
}

fn ip_packet(
    spec: &CaptureSpec,
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut tcp = Vec::new();
    tcp.extend(src.port().to_be_bytes());
    tcp.extend(dst.port().to_be_bytes());
    tcp.extend(seq.to_be_bytes());
    tcp.extend(ack.to_be_bytes());
    tcp.push(0x80); // data offset 8 words: 12 bytes of options
    tcp.push(flags);
    tcp.extend(65535u16.to_be_bytes());
    tcp.extend([0, 0, 0, 0]); // checksum, urgent pointer
    tcp.extend([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]); // NOP NOP timestamps
    tcp.extend_from_slice(payload);
    let v6 = |a: IpAddr| match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    let v4 = |a: IpAddr| match a {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(_) => Ipv4Addr::LOCALHOST,
    };
    let mut ip = Vec::new();
    if spec.ipv6 {
        ip.extend([0x60, 0, 0, 0]);
        ip.extend((tcp.len() as u16).to_be_bytes());
        ip.extend([6, 64]);
        let (s, d) = if src.ip().is_loopback() && dst.ip().is_loopback() {
            (Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST)
        } else {
            (v6(src.ip()), v6(dst.ip()))
        };
        ip.extend(s.octets());
        ip.extend(d.octets());
    } else {
        ip.extend([0x45, 0]);
        ip.extend(((20 + tcp.len()) as u16).to_be_bytes());
        ip.extend([0, 1, 0x40, 0, 64, 6, 0, 0]); // id, DF, ttl, proto, checksum
        ip.extend(v4(src.ip()).octets());
        ip.extend(v4(dst.ip()).octets());
    }
    ip.extend(tcp);
    let ethertype: u16 = if spec.ipv6 { 0x86DD } else { 0x0800 };
    let mut frame = Vec::new();
    match spec.link {
        Link::Ethernet | Link::EthernetVlan => {
            frame.extend([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            if spec.link == Link::EthernetVlan {
                frame.extend([0x81, 0x00, 0x00, 0x64]);
            }
            frame.extend(ethertype.to_be_bytes());
        }
        Link::LinuxSll => {
            frame.extend([0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
            frame.extend(ethertype.to_be_bytes());
        }
        Link::LinuxSll2 => {
            frame.extend(ethertype.to_be_bytes());
            frame.extend([0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
        }
        Link::RawIp => {}
        Link::Null => frame.extend(if spec.ipv6 { 30u32 } else { 2u32 }.to_le_bytes()),
    }
    frame.extend(ip);
    frame
}

/// Renders `conv` as a TCP conversation (handshake, data in segments, FIN/RST) in a capture.
pub fn write_capture(conv: &Conversation, spec: &CaptureSpec) -> Written {
    let client = conv.client.expect("client address");
    let server = conv.server.expect("server address");
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut seq = [1000u32, 5000u32];
    let ack_of = |seq: &[u32; 2], from_client: bool| if from_client { seq[1] } else { seq[0] };
    packets.push(ip_packet(spec, client, server, seq[0], 0, 0x02, b""));
    packets.push(ip_packet(spec, server, client, seq[1], seq[0] + 1, 0x12, b""));
    seq = [seq[0] + 1, seq[1] + 1];
    packets.push(ip_packet(spec, client, server, seq[0], seq[1], 0x10, b""));
    let mut event_frames = Vec::new();
    let mut swapped = false;
    for ev in &conv.events {
        match ev {
            Ev::Data { from_client, bytes } => {
                let (src, dst, i) = if *from_client { (client, server, 0) } else { (server, client, 1) };
                let mut segs = Vec::new();
                for chunk in bytes.chunks(spec.mss.max(1)) {
                    segs.push(ip_packet(spec, src, dst, seq[i], ack_of(&seq, !*from_client), 0x18, chunk));
                    seq[i] = seq[i].wrapping_add(chunk.len() as u32);
                }
                if spec.swap_first_segments && *from_client && !swapped && segs.len() >= 2 {
                    segs.swap(0, 1);
                    swapped = true;
                }
                packets.extend(segs);
            }
            Ev::Close { from_client, rst } => {
                let (src, dst, i) = if *from_client { (client, server, 0) } else { (server, client, 1) };
                let flags = if *rst { 0x14 } else { 0x11 };
                packets.push(ip_packet(spec, src, dst, seq[i], ack_of(&seq, !*from_client), flags, b""));
                if !*rst {
                    seq[i] = seq[i].wrapping_add(1);
                }
            }
        }
        event_frames.push(packets.len() as u64);
    }
    let (bytes, frame_offsets) = container(spec, &packets);
    Written { bytes, event_frames, frame_offsets }
}

fn container(spec: &CaptureSpec, packets: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    let base_sec: u32 = 1_700_000_000;
    match spec.container {
        Container::Pcap { big_endian, nanos } => {
            let u32b = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            let u16b = |v: u16| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            out.extend(u32b(if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 }));
            out.extend(u16b(2));
            out.extend(u16b(4));
            out.extend(u32b(0));
            out.extend(u32b(0));
            out.extend(u32b(262_144));
            out.extend(u32b(spec.link.linktype()));
            for (i, p) in packets.iter().enumerate() {
                offsets.push(out.len());
                let frac = if nanos { 123_456_789 } else { 123_456 };
                out.extend(u32b(base_sec + i as u32));
                out.extend(u32b(frac));
                out.extend(u32b(p.len() as u32));
                out.extend(u32b(p.len() as u32));
                out.extend_from_slice(p);
            }
        }
        Container::PcapNg { big_endian } => {
            let u32b = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            let u16b = |v: u16| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            // Section header block.
            out.extend([0x0A, 0x0D, 0x0D, 0x0A]);
            out.extend(u32b(28));
            out.extend(u32b(0x1A2B_3C4D));
            out.extend(u16b(1));
            out.extend(u16b(0));
            out.extend([0xFF; 8]);
            out.extend(u32b(28));
            // Interface description block with if_tsresol = 9 (nanoseconds).
            out.extend(u32b(1));
            out.extend(u32b(32));
            out.extend(u16b(spec.link.linktype() as u16));
            out.extend(u16b(0));
            out.extend(u32b(262_144));
            out.extend(u16b(9));
            out.extend(u16b(1));
            out.extend([9, 0, 0, 0]);
            out.extend([0, 0, 0, 0]); // opt_endofopt
            out.extend(u32b(32));
            for (i, p) in packets.iter().enumerate() {
                offsets.push(out.len());
                let padded = p.len().div_ceil(4) * 4;
                let len = 32 + padded as u32;
                let ts = (u64::from(base_sec) + i as u64) * 1_000_000_000 + 5;
                out.extend(u32b(6));
                out.extend(u32b(len));
                out.extend(u32b(0));
                out.extend(u32b((ts >> 32) as u32));
                out.extend(u32b(ts as u32));
                out.extend(u32b(p.len() as u32));
                out.extend(u32b(p.len() as u32));
                out.extend_from_slice(p);
                out.extend(std::iter::repeat_n(0u8, padded - p.len()));
                out.extend(u32b(len));
            }
        }
    }
    (out, offsets)
}

/// Writes `bytes` to a file named `name` in a fresh folder and returns its path.
pub fn write_file(name: &str, bytes: &[u8]) -> PathBuf {
    let p = scratch("file").join(name);
    std::fs::write(&p, bytes).expect("write file");
    p
}

/// Runs `collector` on the file at `path` as discovery would.
pub fn collect_file(collector: &dyn triage_facts::Collector, path: &Path) -> triage_facts::CollectorOutput {
    let bytes = std::fs::read(path).expect("read back");
    let head = &bytes[..bytes.len().min(triage_facts::Artifact::HEAD_LEN)];
    let name = path.file_name().expect("file name").to_string_lossy().into_owned();
    let artifact = triage_facts::Artifact { rel_path: &name, path, head, size: bytes.len() as u64 };
    assert!(collector.recognise(&artifact) > triage_facts::Recognition::No, "{name} not recognised");
    collector.collect(&artifact, &triage_facts::CollectContext::default())
}
