//! The redaction corpus: every identifier class in every artifact type, written the way Windows
//! writes it (UTF-16LE with BOM and CRLF for `reg export`, `gpresult /x`, PowerShell output;
//! `hex(2)`/`hex(7)` registry values; a classic pcap with SNI and IP addresses). After
//! `collect --redact`, no original appears in any file of the bundle — decoded from UTF-16, with
//! `.reg` hex values decoded — nor in the facts; known secrets appear nowhere, redacted or not.

mod bundle_support;

use std::path::Path;

use bundle_support::*;
use triage_collectors::bundle::{self, CreateOptions};
use triage_collectors::probe::client_hello::{broad_suites, build, HelloSpec};
use triage_collectors::text;
use triage_facts::Timestamp;

/// Every identifier planted in the corpus, by class.
const IDENTIFIERS: &[(&str, &str)] = &[
    ("host", "WSUS01"),
    ("fqdn", "wsus01.contoso.local"),
    ("dns domain", "contoso.local"),
    ("netbios domain", "CONTOSO"),
    ("user (profile)", "dave"),
    ("user (account)", "bob.smith"),
    ("user (owner)", "Alice Example"),
    ("auto-logon user", "kioskuser"),
    ("organisation", "Fabrikam Ltd"),
    ("machine guid", "6b1d0a52-1f0e-4c3a-9d55-0a1b2c3d4e5f"),
    ("ipv4", "10.44.33.22"),
    ("ipv4 (peer)", "10.44.33.25"),
    ("ipv4 (hex(7))", "10.44.33.24"),
    ("ipv6", "fd00:1234:5678::20"),
    ("ipv4-mapped ipv6", "::ffff:10.44.33.23"),
    ("sid (domain part)", "1004336348-1177238915-682003330"),
    ("unc host", "FILESRV07"),
    ("sql server", "SQLPROD03"),
    ("configmgr site server", "SITESRV09"),
    ("host label in a known domain", "mailgw"),
    ("upstream server", "upstream01"),
    ("proxy", "proxy01"),
    ("proxy user", "svc-proxy"),
    ("dc (hex(7))", "DC03"),
    ("logon server", "DC01"),
    ("e-mail local part", "carol.jones"),
    ("ad site", "HQ-Berlin"),
    ("ou", "BerlinServers"),
    ("sql user", "sqlsvc"),
];

/// Known secrets planted in the corpus: never in any bundle, redacted or not.
const SECRETS: &[&str] = &["Winter2026!", "Pa55w0rd!", "pr0xyS3cret", "urlS3cret", "lsaS3cret"];

const SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1001";

fn hex_utf16(s: &str) -> String {
    s.encode_utf16().flat_map(u16::to_le_bytes).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(",")
}

/// `hex` split over continuation lines the way `reg export` wraps it.
fn wrapped(prefix: &str, hex: &str) -> String {
    let mut out = prefix.to_owned();
    let mut col = prefix.len();
    for (i, pair) in hex.split(',').enumerate() {
        let piece = if i == 0 { pair.to_owned() } else { format!(",{pair}") };
        if col + piece.len() > 78 {
            out.push_str(",\\\r\n  ");
            out.push_str(pair);
            col = 2 + pair.len();
        } else {
            out.push_str(&piece);
            col += piece.len();
        }
    }
    out
}

fn corpus(root: &Path) {
    let systeminfo = "\r\nHost Name:                 WSUS01\r\nOS Name:                   Microsoft Windows Server 2012 R2 Standard\r\nOS Version:                6.3.9600 N/A Build 9600\r\nRegistered Owner:          Alice Example\r\nRegistered Organization:   Fabrikam Ltd\r\nDomain:                    contoso.local\r\nLogon Server:              \\\\DC01\r\nHotfix(s):                 1 Hotfix(s) Installed.\r\n                           [01]: KB2919355\r\nNetwork Card(s):           1 NIC(s) Installed.\r\n                           [01]: Intel(R) 82574L Gigabit Network Connection\r\n                                 Connection Name: Ethernet0\r\n                                 DHCP Enabled:    No\r\n                                 IP address(es)\r\n                                 [01]: 10.44.33.22\r\n                                 [02]: fd00:1234:5678::20\r\n";
    write(root, "systeminfo.txt", &utf16le(systeminfo));

    let log = format!(
        "2026-11-20 10:00:00.000 UTC\tInfo\tWsusService.12\tSyncUpdates.Run\tsync from upstream01.contoso.local started by CONTOSO\\bob.smith ({SID})\r\n\
         2026-11-20 10:00:01.000 UTC\tInfo\tw3wp.7\tContent.Copy\tcopying to \\\\FILESRV07\\WsusContent from ::ffff:10.44.33.23\r\n\
         2026-11-20 10:00:02.000 UTC\tError\tWsusService.12\tDatabase.Open\tData Source=SQLPROD03;Initial Catalog=SUSDB;User ID=sqlsvc;Password=Pa55w0rd!;\r\n\
         2026-11-20 10:00:03.000 UTC\tInfo\tWsusService.12\tMail.Send\tnotified carol.jones@contoso.local via mailgw.contoso.local\r\n\
         2026-11-20 10:00:04.000 UTC\tInfo\tWsusService.12\tProxy.Use\tproxy http://svc-proxy:urlS3cret@proxy01.contoso.local:8080 from 10.44.33.22\r\n"
    );
    write(root, "SoftwareDistribution.log", log.as_bytes());

    let wsyncmgr = "Synchronizing SMS database with WSUS server SITESRV09.contoso.local  $$<SMS_WSUS_SYNC_MANAGER><11-20-2026 10:00:00.000+000><thread=5468 (0x155C)>\r\n\
                    Wrote to \\\\SITESRV09\\SMS_P01\\inboxes  $$<SMS_WSUS_SYNC_MANAGER><11-20-2026 10:00:01.000+000><thread=5468 (0x155C)>\r\n";
    write(root, "wsyncmgr.log", wsyncmgr.as_bytes());

    let profile = wrapped("\"ProfileImagePath\"=hex(2):", &hex_utf16("C:\\Users\\dave\0"));
    let dcs = wrapped(
        "\"DcList\"=hex(7):",
        &hex_utf16("DC03.contoso.local\u{0}10.44.33.24\u{0}contoso.local\u{0}\u{0}"),
    );
    let reg = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\r\n\"Hostname\"=\"WSUS01\"\r\n\"Domain\"=\"contoso.local\"\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography]\r\n\"MachineGuid\"=\"6b1d0a52-1f0e-4c3a-9d55-0a1b2c3d4e5f\"\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]\r\n\"AutoAdminLogon\"=\"1\"\r\n\"DefaultUserName\"=\"kioskuser\"\r\n\"DefaultDomainName\"=\"CONTOSO\"\r\n\"DefaultPassword\"=\"Winter2026!\"\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\{SID}]\r\n{profile}\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Contoso\\Sites]\r\n{dcs}\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SMS\\Identification]\r\n\"Site Server\"=\"SITESRV09\"\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Secrets\\DefaultPassword\\CurrVal]\r\n@=hex(1):{}\r\n\r\n",
        hex_utf16("lsaS3cret\0")
    );
    write(root, "registry/hklm.reg", &utf16le(&reg));

    let gpresult = format!(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Rsop xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\">\r\n  <ComputerResults>\r\n    <Name>CONTOSO\\WSUS01$</Name>\r\n    <Domain>contoso.local</Domain>\r\n    <SOM>contoso.local/BerlinServers</SOM>\r\n    <Site>HQ-Berlin</Site>\r\n    <SecurityGroup><SID>{SID}</SID><Name>CONTOSO\\bob.smith</Name></SecurityGroup>\r\n    <DistinguishedName>CN=WSUS01,OU=BerlinServers,DC=contoso,DC=local</DistinguishedName>\r\n  </ComputerResults>\r\n</Rsop>\r\n"
    );
    write(root, "gpresult.xml", &utf16le(&gpresult));

    let wsus = "{\r\n    \"UpstreamWsusServerName\":  \"upstream01.contoso.local\",\r\n    \"SyncFromMicrosoftUpdate\":  false,\r\n    \"UseProxy\":  true,\r\n    \"ProxyName\":  \"proxy01.contoso.local\",\r\n    \"ProxyServerPort\":  8080,\r\n    \"ProxyUserName\":  \"svc-proxy\",\r\n    \"ProxyUserDomain\":  \"CONTOSO\",\r\n    \"ProxyPassword\":  \"pr0xyS3cret\",\r\n    \"MUUrl\":  \"https://sws.update.microsoft.com\"\r\n}\r\n";
    write(root, "wsus-config.json", &utf16le(wsus));

    let config = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<configuration>\r\n  <connectionStrings>\r\n    <add name=\"SUSDB\" connectionString=\"Data Source=SQLPROD03;User ID=CONTOSO\\sqlsvc;Password=Pa55w0rd!\" />\r\n  </connectionStrings>\r\n  <runtime>\r\n    <AppContextSwitchOverrides value=\"Switch.System.Net.DontEnableSchUseStrongCrypto=false\" />\r\n  </runtime>\r\n</configuration>\r\n";
    write(root, "WsusService.exe.config", config.as_bytes());

    write(root, "capture.pcap", &pcap());
}

/// A classic pcap: 10.44.33.22 sends a ClientHello for upstream01.contoso.local to
/// 10.44.33.25, which resets the connection.
fn pcap() -> Vec<u8> {
    let hello = build(&HelloSpec::single(0x0303, broad_suites(), Some("upstream01.contoso.local".into())));
    let c = [10, 44, 33, 22];
    let s = [10, 44, 33, 25];
    let mut packets = vec![
        tcp(c, s, 50000, 443, 1000, 0, 0x02, &[]),
        tcp(s, c, 443, 50000, 5000, 1001, 0x12, &[]),
        tcp(c, s, 50000, 443, 1001, 5001, 0x10, &[]),
    ];
    packets.push(tcp(c, s, 50000, 443, 1001, 5001, 0x18, &hello));
    packets.push(tcp(s, c, 443, 50000, 5001, 1001 + hello.len() as u32, 0x14, &[]));
    let mut out = Vec::new();
    out.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        out.extend_from_slice(&(1_795_000_000u32 + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

#[allow(clippy::too_many_arguments)] // a packet's header fields, one call per packet
fn tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sp: u16,
    dp: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    let total = 20 + 20 + payload.len();
    let mut ip = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 1, 0x40, 0, 64, 6, 0, 0];
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let sum = checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&sp.to_be_bytes());
    f.extend_from_slice(&dp.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

fn checksum(b: &[u8]) -> u16 {
    let mut s: u32 =
        b.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while s > 0xFFFF {
        s = (s & 0xFFFF) + (s >> 16);
    }
    !(s as u16)
}

fn create(input: &Path, out: &Path, redact: bool) -> bundle::Created {
    let cs = triage_collectors::all();
    let key = triage_collectors::bundle::redact::RedactionKey::from_bytes([42; 32]);
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    if redact {
        o.redact = Some(&key);
    }
    bundle::create(input, out, &o).expect("bundle written")
}

/// Every text a bundle folder holds: each file raw, decoded (UTF-16 included) and with its
/// `.reg` hex strings decoded; file names too.
fn decoded_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, bytes) in tree(dir) {
        let t = text::decode(&bytes).text;
        let hex = triage_collectors::bundle::redact::Redactor::reg_hex_strings(&t);
        out.push((name.clone(), name.clone()));
        out.push((name.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        out.push((name.clone(), hex));
        out.push((name, t));
    }
    out
}

fn leaks(dir: &Path, needles: &[(&str, &str)]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, t) in decoded_files(dir) {
        let lower = t.to_lowercase();
        for (class, v) in needles {
            if lower.contains(&v.to_lowercase()) {
                found.push(format!("{class} {v:?} in {name}"));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_corpus_exercises_every_artifact_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    corpus(&input);
    let plain = create(&input, &dir.path().join("plain"), false);
    let mut collectors: Vec<&str> =
        plain.manifest.artifacts.iter().filter_map(|a| a.collector.as_deref()).collect();
    collectors.sort();
    assert_eq!(
        collectors,
        [
            "capture",
            "configmgr-log",
            "dotnet-config",
            "gpresult",
            "registry",
            "systeminfo",
            "wsus-config",
            "wsus-log"
        ],
        "{:?}",
        plain.manifest.artifacts
    );
    let json = plain.facts.to_json_pretty();
    for planted in
        ["WSUS01", "upstream01.contoso.local", "10.44.33.25", "C:\\\\Users\\\\dave", "DC03.contoso.local"]
    {
        assert!(json.contains(planted), "the plain bundle's facts hold {planted}: the corpus is read");
    }
}

#[test]
fn after_redaction_no_identifier_remains_anywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    corpus(&input);
    let out = dir.path().join("red");
    let red = create(&input, &out, true);
    let found = leaks(&out, IDENTIFIERS);
    assert!(found.is_empty(), "identifiers left after --redact:\n{}", found.join("\n"));
    let r = red.manifest.redaction.as_ref().expect("redaction report");
    assert_eq!(r.omitted, ["capture.pcap"]);
    for kind in ["host", "domain", "user", "org", "guid", "ip", "sid", "site", "ou"] {
        assert!(r.values.get(kind).copied().unwrap_or(0) > 0, "no {kind} pseudonymised: {:?}", r.values);
    }
    // The shapes survive: facts still typed and found where rules look.
    let reg = std::fs::read(out.join("artifacts/registry/hklm.reg")).expect("reg stored");
    assert!(reg.starts_with(&[0xFF, 0xFE]), "still UTF-16LE with BOM");
    let reg = text::decode(&reg).text;
    assert!(reg.contains("\"ProfileImagePath\"=hex(2):"), "still hex(2): {reg}");
    assert!(reg.contains("\"DcList\"=hex(7):"), "still hex(7)");
    assert!(red.facts.get("wsus").is_some() && red.facts.get("logs.wsus").is_some(), "namespaces kept");
}

#[test]
fn secrets_are_dropped_with_or_without_redaction_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    corpus(&input);
    for (name, redact) in [("plain", false), ("red", true), ("plain.zip", false)] {
        let out = dir.path().join(name);
        let b = create(&input, &out, redact);
        let json = b.facts.to_json_pretty();
        for s in SECRETS {
            assert!(!json.contains(s), "{s} in the facts of {name}");
        }
        if out.is_dir() {
            let secrets: Vec<(&str, &str)> = SECRETS.iter().map(|s| ("secret", *s)).collect();
            let found = leaks(&out, &secrets);
            assert!(found.is_empty(), "{name}: {found:?}");
        } else {
            let raw = std::fs::read(&out).expect("zip");
            let mut z = zip::ZipArchive::new(std::io::Cursor::new(raw)).expect("zip");
            for i in 0..z.len() {
                let mut e = z.by_index(i).expect("entry");
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut bytes).expect("read");
                let t = text::decode(&bytes).text;
                let hex = triage_collectors::bundle::redact::Redactor::reg_hex_strings(&t);
                for s in SECRETS {
                    assert!(!t.contains(s) && !hex.contains(s), "{s} in {}", e.name());
                }
            }
        }
        let dropped = &b.manifest.secrets_dropped;
        let total: u64 = dropped.values().flat_map(|m| m.values()).sum();
        assert!(total >= 6, "{name}: {dropped:?}");
        let reg =
            dropped.iter().find(|(k, _)| k.ends_with("hklm.reg")).map(|(_, v)| v).expect("reg recorded");
        assert_eq!(reg.get("registry value DefaultPassword"), Some(&1), "{reg:?}");
        assert_eq!(reg.get("registry credential (SECURITY or SAM key)"), Some(&1), "{reg:?}");
        let manifest = serde_json::to_string(&b.manifest).expect("json");
        for s in SECRETS {
            assert!(!manifest.contains(s), "the manifest names no secret");
        }
    }
}
