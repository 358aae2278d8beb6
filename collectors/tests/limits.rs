//! Every parser is bounded: the worst inputs the issue measured (XML nested 15,000 deep, a
//! 30,000-segment registry key, a capture of 100,000 connections), generated here, end as a
//! collection error of that artifact naming the limit, and every other artifact of the folder is
//! still collected.

use triage_collectors::capture::{self, flows};
use triage_collectors::discover::{collect_path, DiscoverOptions};
use triage_collectors::registry;
use triage_collectors::xml_depth::MAX_XML_DEPTH;
use triage_facts::{CollectorOutput, Value};

/// As Windows writes XML and `.reg` files: UTF-16LE with a BOM, CRLF.
fn utf16le_bom(text: &str) -> Vec<u8> {
    let crlf = text.replace('\n', "\r\n");
    let mut v = vec![0xFF, 0xFE];
    v.extend(crlf.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn nested(root_open: &str, root_close: &str, n: usize) -> String {
    format!("<?xml version=\"1.0\"?>\n{root_open}\n{}{}{root_close}\n", "<a>".repeat(n), "</a>".repeat(n))
}

const GOOD_REG: &str = "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319]\n\"SchUseStrongCrypto\"=dword:00000001\n";

#[test]
fn xml_nested_15000_deep_is_an_error_of_that_file_and_the_others_are_still_collected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rsop = "<Rsop xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\">";
    std::fs::write(dir.path().join("gpresult.xml"), utf16le_bom(&nested(rsop, "</Rsop>", 15_000)))
        .expect("write");
    std::fs::write(
        dir.path().join("web.config"),
        utf16le_bom(&nested("<configuration>", "</configuration>", 15_000)),
    )
    .expect("write");
    std::fs::write(dir.path().join("netfx.reg"), utf16le_bom(GOOD_REG)).expect("write");
    // On a thread with a small stack, as `run` collects inputs in parallel.
    let root = dir.path().to_path_buf();
    let collected = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            collect_path(&root, &triage_collectors::all(), None, &DiscoverOptions::default())
                .expect("collects")
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    let errors: Vec<String> = collected.errors.iter().map(ToString::to_string).collect();
    // The tag refused is the one opening level 257: line 3 (the root is level 1, on line 2), and
    // its column is 1 + 3 × 255.
    assert_eq!(
        errors,
        [
            format!("gpresult.xml:3:766: [gpresult] XML nested deeper than the limit of {MAX_XML_DEPTH} elements, not read"),
            format!("web.config:3:766: [dotnet-config] XML nested deeper than the limit of {MAX_XML_DEPTH} elements, not read"),
        ]
    );
    let v = collected
        .facts
        .get_segments(&[
            "registry",
            "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319",
            "SchUseStrongCrypto",
        ])
        .map(|f| f.value.clone());
    assert_eq!(v, Some(Value::Int(1)));
}

#[test]
fn xml_at_the_depth_limit_is_read() {
    let text = nested("<configuration>", "</configuration>", MAX_XML_DEPTH - 1);
    let out = triage_collectors::dotnet_config::collect_bytes("web.config", &utf16le_bom(&text));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(out.facts.get_segments(&["config", "web.config", "switches"]).is_some());
}

fn messages(out: &CollectorOutput) -> Vec<String> {
    out.errors.iter().map(ToString::to_string).collect()
}

fn reg(body: &str) -> CollectorOutput {
    registry::collect_bytes(
        "deep.reg",
        &utf16le_bom(&format!("Windows Registry Editor Version 5.00\n\n{body}")),
    )
}

#[test]
fn a_30000_segment_key_is_refused_and_the_rest_of_the_file_read() {
    let deep = format!("[HKEY_LOCAL_MACHINE{}]\n\"v\"=dword:1\n", "\\Abc".repeat(30_000));
    let out = reg(&format!("{deep}\n{}", GOOD_REG.split_once("\n\n").expect("two parts").1));
    assert_eq!(
        messages(&out),
        ["deep.reg:3: [registry] key path of 30000 segments is deeper than the limit of 512; its values are skipped"]
    );
    let kept = out.facts.get_segments(&["registry"]).and_then(|f| f.as_map()).map(|m| m.len());
    assert_eq!(kept, Some(1), "only the good key is kept");
}

#[test]
fn key_depth_and_name_length_limits_are_exactly_windows_limits() {
    let at_limit = format!("[HKEY_LOCAL_MACHINE{}]\n\"v\"=dword:1\n", "\\k".repeat(registry::MAX_KEY_DEPTH));
    let out = reg(&at_limit);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.items, 1);

    let long_name = format!("[HKEY_LOCAL_MACHINE\\SOFTWARE\\{}]\n\"v\"=dword:1\n", "n".repeat(256));
    assert_eq!(
        messages(&reg(&long_name)),
        ["deep.reg:3: [registry] key name of 256 characters is longer than the limit of 255; its values are skipped"]
    );
    let ok_name = format!("[HKEY_LOCAL_MACHINE\\SOFTWARE\\{}]\n\"v\"=dword:1\n", "n".repeat(255));
    assert!(reg(&ok_name).errors.is_empty());
}

#[test]
fn value_name_and_data_limits() {
    let name = "x".repeat(registry::MAX_VALUE_NAME + 1);
    let data = "d".repeat(registry::MAX_VALUE_DATA + 1);
    let out = reg(&format!(
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\K]\n\"{name}\"=dword:1\n\"big\"=\"{data}\"\n\"ok\"=dword:2\n"
    ));
    assert_eq!(
        messages(&out),
        [
            "deep.reg:4: [registry] value name of 16384 characters is longer than the limit of 16383; the value is skipped",
            "deep.reg:5: [registry] value data of 1048577 bytes is larger than the limit of 1048576; the value is skipped",
        ]
    );
    assert_eq!(out.items, 1);
}

#[test]
fn many_deletions_are_not_quadratic() {
    // 20,000 keys, each deleted again: a scan of every key per deletion took 400 M comparisons.
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("[HKEY_LOCAL_MACHINE\\SOFTWARE\\K{i}\\Sub]\n\"v\"=dword:1\n"));
    }
    for i in 0..20_000 {
        body.push_str(&format!("[-HKEY_LOCAL_MACHINE\\SOFTWARE\\K{i}]\n"));
    }
    body.push_str("[HKEY_LOCAL_MACHINE\\SOFTWARE\\K1\\Sub2]\n");
    let out = reg(&body);
    assert!(out.errors.is_empty(), "{:?}", out.errors.first());
    let keys: Vec<String> = out
        .facts
        .get_segments(&["registry"])
        .and_then(|f| f.as_map())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["HKLM\\SOFTWARE\\K1\\Sub2"]);
}

/// A classic pcap (raw IPv4 link type) of `n` connections, each a SYN and a FIN from the client
/// with nothing sent: what the collector reports as "client sent no hello".
fn pcap_of_connections(n: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(24 + n as usize * 2 * 56);
    v.extend(0xa1b2_c3d4u32.to_le_bytes());
    v.extend(2u16.to_le_bytes());
    v.extend(4u16.to_le_bytes());
    v.extend([0u8; 8]);
    v.extend(65_535u32.to_le_bytes());
    v.extend(101u32.to_le_bytes());
    for i in 0..n {
        let src = (0x0a00_0000u32 + i).to_be_bytes();
        for (seq, flags) in [(0u32, 0x02u8), (1, 0x11)] {
            let mut p = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0];
            p.extend(src);
            p.extend([10, 99, 0, 1]);
            p.extend(50_000u16.to_be_bytes());
            p.extend(443u16.to_be_bytes());
            p.extend(seq.to_be_bytes());
            p.extend([0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
            v.extend(i.to_le_bytes());
            v.extend(0u32.to_le_bytes());
            v.extend((p.len() as u32).to_le_bytes());
            v.extend((p.len() as u32).to_le_bytes());
            v.extend(p);
        }
    }
    v
}

#[test]
fn a_capture_of_100000_connections_keeps_the_limit_and_counts_the_rest() {
    let bytes = pcap_of_connections(100_000);
    let out = capture::collect_bytes("flood.pcap", &bytes);
    let kept = match out.facts.get_segments(&["network", "tls", "connections"]).map(|f| &f.value) {
        Some(Value::List(l)) => l.len(),
        other => panic!("no connections: {other:?}"),
    };
    assert_eq!(kept, flows::MAX_CONNECTIONS);
    let dropped = 100_000 - flows::MAX_CONNECTIONS;
    assert_eq!(
        messages(&out),
        [format!(
            "flood.pcap: [capture] more than the limit of {} TCP connections: {dropped} more connection(s) opened and {} segment(s) not read",
            flows::MAX_CONNECTIONS,
            dropped * 2
        )]
    );
    let summary =
        out.facts.get_segments(&["network", "tls", "summary", "flood.pcap"]).and_then(|f| f.as_map());
    let count = |k: &str| summary.and_then(|m| m.get(k)).map(|f| f.value.clone());
    assert_eq!(count("connections"), Some(Value::Int(flows::MAX_CONNECTIONS as i64)));
    assert_eq!(count("connections_dropped"), Some(Value::Int(dropped as i64)));
    assert_eq!(count("segments_dropped"), Some(Value::Int(2 * dropped as i64)));
}

#[test]
fn a_capture_under_the_limit_reports_no_drop() {
    let out = capture::collect_bytes("few.pcap", &pcap_of_connections(3));
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let summary = out.facts.get_segments(&["network", "tls", "summary", "few.pcap"]).and_then(|f| f.as_map());
    assert_eq!(summary.map(|m| m.contains_key("connections_dropped")), Some(false));
}
