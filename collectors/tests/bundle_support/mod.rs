//! Shared by the bundle tests: two small collectors standing in for the real ones (so these
//! tests exercise the bundle code, not the formats), and fixture helpers.
#![allow(dead_code)] // each test file uses a different part of this module

use std::path::Path;
use std::sync::Arc;

use triage_collectors::text;
use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, FactMap,
    Provenance, Recognition,
};

/// Reads `Label: value` lines of any text file into `lines.<file>.<label>` (with line and span
/// provenance), `Host Name:` also into `os.hostname`; a line `BAD` is a collection error.
pub struct LabelCollector;

static LABEL_INFO: CollectorInfo = CollectorInfo {
    name: "label",
    version: "3",
    reads: "test text",
    typical_names: &["*.txt"],
    provides: &["lines", "os.hostname"],
    facts: &[],
    log_kind: None,
};

impl Collector for LabelCollector {
    fn info(&self) -> &'static CollectorInfo {
        &LABEL_INFO
    }

    fn recognise(&self, a: &Artifact<'_>) -> Recognition {
        if text::looks_binary(a.head) {
            Recognition::No
        } else {
            Recognition::ByContent
        }
    }

    fn collect(&self, a: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        let mut out = CollectorOutput::default();
        let Ok(bytes) = std::fs::read(a.path) else {
            out.errors.push(CollectionError::new(a.rel_path, "label", "cannot read"));
            return out;
        };
        let d = text::decode(&bytes);
        out.encoding = Some(d.encoding.name().to_owned());
        for (line, offset, l) in text::lines_with_offsets(&d.text) {
            if l.trim() == "BAD" {
                out.errors.push(CollectionError::new(a.rel_path, "label", "bad line").at_line(line));
                continue;
            }
            let Some((k, v)) = l.split_once(':') else { continue };
            let v = v.trim();
            let src = Arc::new(
                Provenance::new(a.rel_path, "label")
                    .at_line(line)
                    .span(offset as u64, (offset + l.len()) as u64),
            );
            out.facts.insert(&["lines", a.rel_path, k.trim()], Fact::with_source(v, src.clone()));
            if k.trim() == "Host Name" {
                out.facts.insert(&["os", "hostname"], Fact::with_source(v, src));
            }
            out.items += 1;
        }
        out
    }
}

/// Reads `*.pcap` files: every 4 bytes after a `PEER` marker are an IPv4 address, listed in
/// `network.peers` (so facts from a binary artifact can be checked for redaction).
pub struct PeerCollector;

static PEER_INFO: CollectorInfo = CollectorInfo {
    name: "peer",
    version: "1",
    reads: "test captures",
    typical_names: &["*.pcap"],
    provides: &["network.peers"],
    facts: &[],
    log_kind: None,
};

impl Collector for PeerCollector {
    fn info(&self) -> &'static CollectorInfo {
        &PEER_INFO
    }

    fn recognise(&self, a: &Artifact<'_>) -> Recognition {
        if a.file_name_lower().ends_with(".pcap") {
            Recognition::ByNameAndContent
        } else {
            Recognition::No
        }
    }

    fn collect(&self, a: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        let mut out = CollectorOutput { encoding: Some("binary".into()), ..Default::default() };
        let bytes = std::fs::read(a.path).unwrap_or_default();
        let mut peers = Vec::new();
        for (i, w) in bytes.windows(4).enumerate() {
            if w == b"PEER" {
                if let Some(ip) = bytes.get(i + 4..i + 8) {
                    let src = Arc::new(Provenance::new(a.rel_path, "peer").frame(1));
                    peers.push(Fact::with_source(format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]), src));
                }
            }
        }
        out.items = peers.len() as u64;
        out.facts.insert(&["network", "peers"], Fact::new(peers));
        out
    }
}

pub static LABEL: LabelCollector = LabelCollector;
pub static PEER: PeerCollector = PeerCollector;

pub fn collectors() -> Vec<&'static dyn Collector> {
    vec![&LABEL, &PEER]
}

pub fn utf16le(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

pub fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write fixture");
}

/// A small input folder: UTF-8 and UTF-16LE text, a nested file, a binary capture, a bad line.
pub fn sample_input(root: &Path) {
    write(
        root,
        "systeminfo.txt",
        b"Host Name:                 WSUS01\r\nOS Name:                   Microsoft Windows Server 2019 Standard\r\nDomain:                    contoso.local\r\nRegistered Owner:          Alice Example\r\nRegistered Organization:   Fabrikam Research\r\nBAD\r\n",
    );
    write(
        root,
        "registry/tls.reg",
        &utf16le("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\r\n\"Hostname\"=\"WSUS01\"\r\n\"Domain\"=\"contoso.local\"\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography]\r\n\"MachineGuid\"=\"6b1d0a52-1f0e-4c3a-9d55-0a1b2c3d4e5f\"\r\n"),
    );
    write(
        root,
        "logs/SoftwareDistribution.log",
        b"2026-11-20 10:00:00.000 UTC\tInfo\tw3wp.5\tWebService.Send\tConnecting to 10.20.30.40:8530 from WSUS01.contoso.local as CONTOSO\\alice\r\nLoaded C:\\Users\\alice\\AppData\\x.dll Version=4.0.0.0\r\n",
    );
    write(
        root,
        "gpresult.xml",
        &utf16le("<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Rsop><ComputerResults><Name>CONTOSO\\WSUS01$</Name><Domain>contoso.local</Domain></ComputerResults><UserResults><Name>CONTOSO\\alice</Name></UserResults></Rsop>\r\n"),
    );
    let mut pcap = vec![0xD4, 0xC3, 0xB2, 0xA1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0];
    pcap.extend_from_slice(b"PEER");
    pcap.extend_from_slice(&[10, 20, 30, 41]);
    pcap.extend_from_slice(&[0, 1, 2, 3]);
    write(root, "capture.pcap", &pcap);
}

/// Every file under `root`, relative path → bytes.
pub fn tree(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

pub fn get_str<'a>(facts: &'a FactMap, dotted: &str) -> Option<&'a str> {
    facts.get(dotted).and_then(|f| f.value.as_str())
}
