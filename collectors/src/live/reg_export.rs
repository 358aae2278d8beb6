//! Writing registry keys in the format `reg export` and regedit write: `Windows Registry Editor
//! Version 5.00`, UTF-16LE with BOM, CRLF, a blank line after each key, `dword:` for REG_DWORD,
//! quoted strings for REG_SZ, `hex(N):` with comma-separated bytes for the rest, wrapped with a
//! trailing `\` and two-space continuation lines so no line exceeds 80 characters.

/// A key and its values, as read from the live registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedKey {
    /// Full path with the long hive name: `HKEY_LOCAL_MACHINE\SOFTWARE\…`.
    pub path: String,
    pub values: Vec<ExportedValue>,
}

/// One value: its name (`""` = the default value, written `@`), registry type and raw data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedValue {
    pub name: String,
    /// `REG_SZ` = 1, `REG_EXPAND_SZ` = 2, `REG_BINARY` = 3, `REG_DWORD` = 4, `REG_MULTI_SZ` = 7,
    /// `REG_QWORD` = 11, …
    pub kind: u32,
    pub data: Vec<u8>,
}

pub const REG_SZ: u32 = 1;
pub const REG_EXPAND_SZ: u32 = 2;
pub const REG_BINARY: u32 = 3;
pub const REG_DWORD: u32 = 4;
pub const REG_MULTI_SZ: u32 = 7;
pub const REG_QWORD: u32 = 11;

/// The path under HKLM of `HKLM\X` or `HKEY_LOCAL_MACHINE\X` (case-insensitive), else `None`.
pub fn hklm_subkey(path: &str) -> Option<&str> {
    let (hive, rest) = path.split_once('\\')?;
    (hive.eq_ignore_ascii_case("HKLM") || hive.eq_ignore_ascii_case("HKEY_LOCAL_MACHINE"))
        .then_some(rest.trim_matches('\\'))
        .filter(|r| !r.is_empty())
}

/// The whole `.reg` file, UTF-16LE with BOM.
pub fn to_reg_file(keys: &[ExportedKey]) -> Vec<u8> {
    let text = to_reg_text(keys);
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

/// The `.reg` text (CRLF line ends), before encoding.
pub fn to_reg_text(keys: &[ExportedKey]) -> String {
    let mut s = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    for k in keys {
        s.push('[');
        s.push_str(&k.path);
        s.push_str("]\r\n");
        for v in &k.values {
            write_value(&mut s, v);
        }
        s.push_str("\r\n");
    }
    s
}

fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '\\' => q.push_str("\\\\"),
            '"' => q.push_str("\\\""),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn write_value(s: &mut String, v: &ExportedValue) {
    let name = if v.name.is_empty() { "@".to_owned() } else { quote(&v.name) };
    match v.kind {
        REG_SZ if v.data.len().is_multiple_of(2) => {
            let units: Vec<u16> = v.data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
            // A string with data after its terminator is not representable as text: keep the bytes.
            if units[end..].iter().all(|u| *u == 0) {
                let text = String::from_utf16_lossy(&units[..end]);
                s.push_str(&format!("{name}={}\r\n", quote(&text)));
                return;
            }
            write_hex(s, &name, "hex(1)", &v.data);
        }
        REG_DWORD if v.data.len() == 4 => {
            let d = u32::from_le_bytes([v.data[0], v.data[1], v.data[2], v.data[3]]);
            s.push_str(&format!("{name}=dword:{d:08x}\r\n"));
        }
        REG_BINARY => write_hex(s, &name, "hex", &v.data),
        kind => write_hex(s, &name, &format!("hex({kind:x})"), &v.data),
    }
}

/// `name=hex(N):aa,bb,…` wrapped as regedit does: lines end with `,\` before column 80 and
/// continue indented by two spaces.
fn write_hex(s: &mut String, name: &str, tag: &str, data: &[u8]) {
    let mut line = format!("{name}={tag}:");
    for (i, b) in data.iter().enumerate() {
        let item = if i + 1 < data.len() { format!("{b:02x},") } else { format!("{b:02x}") };
        if line.chars().count() + item.len() > 77 && i > 0 {
            s.push_str(&line);
            s.push_str("\\\r\n");
            line = String::from("  ");
        }
        line.push_str(&item);
    }
    s.push_str(&line);
    s.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use triage_facts::{Artifact, CollectContext, Value};

    fn sz(s: &str) -> Vec<u8> {
        s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
    }

    fn sample() -> Vec<ExportedKey> {
        let multi: Vec<u8> =
            ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", ""]
                .iter()
                .flat_map(|s| s.encode_utf16().chain([0]))
                .flat_map(u16::to_le_bytes)
                .collect();
        vec![
            ExportedKey {
                path: r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319".into(),
                values: vec![
                    ExportedValue { name: "".into(), kind: REG_SZ, data: sz("default \"quoted\" C:\\x") },
                    ExportedValue {
                        name: "SchUseStrongCrypto".into(),
                        kind: REG_DWORD,
                        data: 1u32.to_le_bytes().to_vec(),
                    },
                    ExportedValue { name: "Path".into(), kind: REG_EXPAND_SZ, data: sz("%SystemRoot%\\x") },
                    ExportedValue { name: "Big".into(), kind: REG_QWORD, data: 5u64.to_le_bytes().to_vec() },
                    ExportedValue { name: "Blob".into(), kind: REG_BINARY, data: vec![0xAB; 40] },
                ],
            },
            ExportedKey {
                path:
                    r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002"
                        .into(),
                values: vec![ExportedValue { name: "Functions".into(), kind: REG_MULTI_SZ, data: multi }],
            },
            ExportedKey { path: r"HKEY_LOCAL_MACHINE\SOFTWARE\Empty".into(), values: vec![] },
        ]
    }

    #[test]
    fn writes_what_reg_export_writes() {
        let text = to_reg_text(&sample());
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "Windows Registry Editor Version 5.00");
        assert_eq!(lines[1], "");
        assert_eq!(lines[2], r"[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\.NETFramework\v4.0.30319]");
        assert_eq!(lines[3], r#"@="default \"quoted\" C:\\x""#);
        assert_eq!(lines[4], r#""SchUseStrongCrypto"=dword:00000001"#);
        assert!(lines[5].starts_with(r#""Path"=hex(2):25,00,53,00"#), "{}", lines[5]);
        assert_eq!(
            lines.iter().find(|l| l.starts_with("\"Big\"")),
            Some(&r#""Big"=hex(b):05,00,00,00,00,00,00,00"#)
        );
        assert!(
            text.lines()
                .filter(|l| !l.starts_with('['))
                .all(|l| l.trim_end_matches('\r').chars().count() <= 80),
            "{text}"
        );
        assert!(text.contains(",\\\r\n  ab,"), "wrapped: {text}");
        assert!(!text.contains("\n\n") && !text.replace("\r\n", "").contains('\n'), "CRLF only");
        let bytes = to_reg_file(&sample());
        assert_eq!(&bytes[..4], &[0xFF, 0xFE, b'W', 0]);
    }

    /// The registry collector reads back exactly the values written.
    #[test]
    fn the_registry_collector_reads_it_back() {
        let bytes = to_reg_file(&sample());
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("hklm-64bit.reg");
        std::fs::write(&p, &bytes).expect("write");
        let c = crate::all().into_iter().find(|c| c.info().name == "registry").expect("registry collector");
        let head = &bytes[..bytes.len().min(Artifact::HEAD_LEN)];
        let a = Artifact { rel_path: "hklm-64bit.reg", path: &p, head, size: bytes.len() as u64 };
        let out = c.collect(&a, &CollectContext::default());
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let key = |k: &str, v: &str| out.facts.get_segments(&["registry", k, v]).map(|f| f.value.clone());
        let net = r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319";
        assert_eq!(key(net, "SchUseStrongCrypto"), Some(Value::Int(1)));
        assert_eq!(key(net, "(default)"), Some(Value::Str("default \"quoted\" C:\\x".into())));
        assert_eq!(key(net, "Path"), Some(Value::Str("%SystemRoot%\\x".into())));
        assert_eq!(key(net, "Big"), Some(Value::Int(5)));
        assert_eq!(key(net, "Blob"), Some(Value::Bytes(vec![0xAB; 40])));
        let ssl = r"HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";
        match key(ssl, "Functions") {
            Some(Value::List(l)) => {
                let names: Vec<_> = l.iter().filter_map(|f| f.value.as_str()).collect();
                assert_eq!(
                    names,
                    ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
                );
            }
            other => panic!("Functions: {other:?}"),
        }
        assert!(out.facts.get_segments(&["registry", r"HKLM\SOFTWARE\Empty"]).is_some());
    }

    #[test]
    fn hklm_paths_are_recognised() {
        assert_eq!(hklm_subkey(r"HKLM\SOFTWARE\X"), Some(r"SOFTWARE\X"));
        assert_eq!(hklm_subkey(r"hkey_local_machine\SYSTEM\"), Some("SYSTEM"));
        assert_eq!(hklm_subkey(r"HKCU\Software"), None);
        assert_eq!(hklm_subkey("HKLM"), None);
    }
}
