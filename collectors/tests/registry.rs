//! The registry collector on real `.reg` samples (tests/data/registry, copied from the reference
//! samples), on every value type in both formats, on malformed input, and across files.

use std::path::Path;

use triage_collectors::registry::{self, RegistryCollector};
use triage_collectors::text;
use triage_facts::{Artifact, Collector, CollectorOutput, Fact, FactMap, Recognition, Value, Version};

fn data(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/registry").join(name);
    std::fs::read(&path).expect("test data exists")
}

fn utf16le_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn get<'a>(out: &'a CollectorOutput, key: &str, value: &str) -> &'a Fact {
    out.facts
        .get_segments(&["registry", key, value])
        .unwrap_or_else(|| panic!("registry {key} \\ {value} missing in {:#?}", out.facts))
}

fn val<'a>(out: &'a CollectorOutput, key: &str, value: &str) -> &'a Value {
    &get(out, key, value).value
}

/// The decoded text a span points into.
fn spanned(bytes: &[u8], f: &Fact) -> String {
    let text = text::decode(bytes).text;
    let span = f.source.as_ref().and_then(|s| s.span).expect("value has a span");
    text[span.start as usize..span.end as usize].to_owned()
}

fn messages(out: &CollectorOutput) -> Vec<String> {
    out.errors
        .iter()
        .map(|e| format!("{}:{} {}", e.line.unwrap_or(0), e.offset.unwrap_or(0), e.message))
        .collect()
}

const NETFX4: &str = "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319";
const TLS10_CLIENT: &str =
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Client";
const CIPHER_POLICY: &str = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002";

#[test]
fn wine_reg_export_is_utf16_with_provenance() {
    let bytes = data("wine-reg-export.reg");
    let out = registry::collect_bytes("wine-reg-export.reg", &bytes);
    assert_eq!(out.encoding.as_deref(), Some("utf-16le"));
    assert_eq!(messages(&out), Vec::<String>::new());
    assert_eq!(out.items, 2);
    let parent = out
        .facts
        .get_segments(&["registry", "HKLM\\SOFTWARE\\Microsoft\\.NETFramework"])
        .expect("parent key");
    assert_eq!(parent.as_map().map(|m| m.len()), Some(0));
    let f = get(&out, NETFX4, "SchUseStrongCrypto");
    assert_eq!(f.value, Value::Int(1));
    let src = f.source.as_ref().expect("provenance");
    assert_eq!(
        (src.artifact.as_str(), src.collector.as_str(), src.line),
        ("wine-reg-export.reg", "registry", Some(6))
    );
    assert_eq!(src.key.as_deref(), Some(format!("{NETFX4}\\SchUseStrongCrypto").as_str()));
    assert_eq!(spanned(&bytes, f), "\"SchUseStrongCrypto\"=dword:00000001");
    assert_eq!(val(&out, NETFX4, "SystemDefaultTlsVersions"), &Value::Int(1));
}

#[test]
fn wine_fixture_types() {
    let bytes = data("wine-fixture-utf16.reg");
    let out = registry::collect_bytes("wine-fixture-utf16.reg", &bytes);
    assert_eq!(messages(&out), Vec::<String>::new());
    assert_eq!(val(&out, TLS10_CLIENT, "Enabled"), &Value::Int(0));
    assert_eq!(val(&out, TLS10_CLIENT, "DisabledByDefault"), &Value::Int(1));
    let tls12 =
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server";
    assert_eq!(val(&out, tls12, "Enabled"), &Value::Int(0xffff_ffff));
    assert_eq!(
        val(&out, CIPHER_POLICY, "Functions"),
        &Value::Str(
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_AES_256_GCM_SHA384".into()
        )
    );
    assert_eq!(
        val(&out, CIPHER_POLICY, "EccCurves"),
        &Value::List(vec![Fact::new("NistP384"), Fact::new("curve25519")])
    );
}

#[test]
fn hand_written_docs_samples() {
    let out = registry::collect_bytes("dotnet.reg.txt", &data("dotnet_strongcrypto_dotnet-docs.reg.txt"));
    assert_eq!(out.encoding.as_deref(), Some("utf-8"));
    assert_eq!(messages(&out), Vec::<String>::new());
    for key in [
        "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v2.0.50727",
        "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319",
        "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v2.0.50727",
        NETFX4,
    ] {
        assert_eq!(val(&out, key, "SchUseStrongCrypto"), &Value::Int(1), "{key}");
        assert_eq!(val(&out, key, "SystemDefaultTlsVersions"), &Value::Int(1), "{key}");
    }
    assert_eq!(out.items, 8);

    let bytes = data("cipher_policy_Functions_REG_SZ_skype-docs_excerpt.reg.txt");
    let out = registry::collect_bytes("cipher.reg.txt", &bytes);
    assert_eq!(messages(&out), Vec::<String>::new());
    let f = get(&out, CIPHER_POLICY, "Functions");
    let Value::Str(list) = &f.value else { panic!("REG_SZ expected: {f:?}") };
    assert_eq!(list.split(',').count(), 12);
    assert!(list.starts_with("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384_P384,"));
    assert_eq!(f.source.as_ref().and_then(|s| s.line), Some(5));
    let tls11 = TLS10_CLIENT.replace("TLS 1.0", "TLS 1.1");
    assert_eq!(val(&out, &tls11, "Enabled"), &Value::Int(0));
}

#[test]
fn truncated_headerless_hex7_sample_is_reported_not_lost() {
    let out = registry::collect_bytes("hex7.reg.txt", &data("reg_export_hex7_wrapping_example.reg.txt"));
    let msgs = messages(&out);
    assert!(msgs.iter().any(|m| m.starts_with("1:") && m.contains("missing header")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("past the end of the file")), "{msgs:?}");
    let key =
        out.facts.get_segments(&["registry", "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"]);
    assert_eq!(key.and_then(Fact::as_map).map(|m| m.len()), Some(0));
}

/// Every value type, regedit-style UTF-16LE with CRLF, continuation lines, comments, deletions,
/// hive aliases and case-insensitive names.
const EVERY_TYPE: &str = "Windows Registry Editor Version 5.00\r\n\
\r\n\
; a comment line\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Triage\\Types]\r\n\
@=\"default\"\r\n\
\"Str\"=\"C:\\\\Program Files\\\\\\\"quoted\\\" \u{e9}\"\r\n\
\"Dword\"=dword:0000002a ; trailing comment\r\n\
\"Qword\"=hex(b):00,00,00,00,01,00,00,00\r\n\
\"Binary\"=hex:de,ad,be,ef\r\n\
\"Expand\"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,\\\r\n\
\x20 25,00,5c,00,78,00,00,00\r\n\
\"Multi\"=hex(7):61,00,00,00,62,00,63,00,00,00,00,00\r\n\
\"None\"=hex(0):01,02\r\n\
\"Dword4\"=hex(4):01,00,00,00\r\n\
\"Gone\"=\"x\"\r\n\
\"Gone\"=-\r\n\
\r\n\
[HKLM\\software\\triage\\types]\r\n\
\"str\"=\"second spelling wins the value, first keeps the name\"\r\n\
\r\n\
[HKLM\\SOFTWARE\\Triage\\Doomed]\r\n\
\"v\"=dword:00000001\r\n\
[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Triage\\Doomed]\r\n";

#[test]
fn every_value_type_in_utf16() {
    let bytes = utf16le_bom(EVERY_TYPE);
    let out = registry::collect_bytes("types.reg", &bytes);
    assert_eq!(messages(&out), Vec::<String>::new());
    let k = "HKLM\\SOFTWARE\\Triage\\Types";
    assert_eq!(val(&out, k, "(default)"), &Value::Str("default".into()));
    assert_eq!(
        val(&out, k, "Str"),
        &Value::Str("second spelling wins the value, first keeps the name".into())
    );
    assert_eq!(val(&out, k, "Dword"), &Value::Int(42));
    assert_eq!(val(&out, k, "Qword"), &Value::Int(1 << 32));
    assert_eq!(val(&out, k, "Binary"), &Value::Bytes(vec![0xde, 0xad, 0xbe, 0xef]));
    assert_eq!(val(&out, k, "Expand"), &Value::Str("%SystemRoot%\\x".into()));
    assert_eq!(val(&out, k, "Multi"), &Value::List(vec![Fact::new("a"), Fact::new("bc")]));
    assert_eq!(val(&out, k, "None"), &Value::Bytes(vec![1, 2]));
    assert_eq!(val(&out, k, "Dword4"), &Value::Int(1));
    assert!(out.facts.get_segments(&["registry", k, "Gone"]).is_none());
    assert!(out.facts.get_segments(&["registry", "HKLM\\SOFTWARE\\Triage\\Doomed"]).is_none());
    let deletions: Vec<&Value> = out
        .facts
        .get("registry_deletions")
        .and_then(|f| match &f.value {
            Value::List(l) => Some(l.iter().map(|f| &f.value).collect()),
            _ => None,
        })
        .expect("deletions recorded");
    assert_eq!(
        deletions,
        vec![&Value::Str(format!("{k}\\Gone")), &Value::Str("HKLM\\SOFTWARE\\Triage\\Doomed".into())]
    );
    let expand = get(&out, k, "Expand");
    let src = expand.source.as_ref().expect("provenance");
    assert_eq!((src.line, src.end_line), (Some(10), Some(11)));
    assert!(spanned(&bytes, expand).ends_with(",\\\r\n  25,00,5c,00,78,00,00,00"));
}

#[test]
fn escapes_in_strings() {
    let out = registry::collect_bytes(
        "esc.reg",
        "REGEDIT4\n[HKLM\\K]\n\"a\\\"b\"=\"C:\\\\Program Files\\\\\\\"quoted\\\" \u{e9}\"\n".as_bytes(),
    );
    assert_eq!(messages(&out), Vec::<String>::new());
    assert_eq!(val(&out, "HKLM\\K", "a\"b"), &Value::Str("C:\\Program Files\\\"quoted\" \u{e9}".into()));
}

#[test]
fn regedit4_strings_are_ansi() {
    let text = "REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Env]\r\n\"Path\"=hex(2):25,55,53,45,52,25,e9,00\r\n\
                \"List\"=hex(7):61,00,62,00,00\r\n";
    let out = registry::collect_bytes("old.reg", text.as_bytes());
    assert_eq!(messages(&out), Vec::<String>::new());
    assert_eq!(val(&out, "HKCU\\Env", "Path"), &Value::Str("%USER%\u{e9}".into()));
    assert_eq!(val(&out, "HKCU\\Env", "List"), &Value::List(vec![Fact::new("a"), Fact::new("b")]));
}

#[test]
fn ansi_regedit4_is_windows_1252() {
    let mut bytes = b"REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Caf".to_vec();
    bytes.extend(b"\xe9]\r\n\"Name\"=\"na\xefve \x80\"\r\n");
    let out = registry::collect_bytes("ansi.reg", &bytes);
    assert_eq!(out.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(messages(&out), Vec::<String>::new());
    assert_eq!(val(&out, "HKLM\\SOFTWARE\\Caf\u{e9}", "Name"), &Value::Str("na\u{ef}ve \u{20ac}".into()));
}

#[test]
fn broken_hex_does_not_swallow_the_next_value() {
    let text = "Windows Registry Editor Version 5.00\r\n[HKLM\\K]\r\n\"Bad\"=hex:01,zz,\\\r\n  03,04\r\n\
                \"Next\"=dword:00000007\r\n\"Cut\"=hex:01,\\\r\n\"After\"=\"ok\"\r\n\"Dw\"=dword:xyz\r\n\
                \"Last\"=dword:00000001\r\n";
    let out = registry::collect_bytes("bad.reg", &utf16le_bom(text));
    assert_eq!(val(&out, "HKLM\\K", "Next"), &Value::Int(7));
    assert_eq!(val(&out, "HKLM\\K", "After"), &Value::Str("ok".into()));
    assert_eq!(val(&out, "HKLM\\K", "Last"), &Value::Int(1));
    for missing in ["Bad", "Cut", "Dw"] {
        assert!(out.facts.get_segments(&["registry", "HKLM\\K", missing]).is_none(), "{missing}");
    }
    let lines: Vec<u64> = out.errors.iter().filter_map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 6, 8], "{:?}", messages(&out));
    assert!(out.errors.iter().all(|e| e.artifact == "bad.reg" && e.collector == "registry"));
}

#[test]
fn truncated_utf16_keeps_what_came_before() {
    let mut bytes =
        utf16le_bom("Windows Registry Editor Version 5.00\r\n[HKLM\\K]\r\n\"A\"=dword:00000001\r\n\"B\"=dwo");
    bytes.push(0x72); // half a UTF-16 code unit
    let out = registry::collect_bytes("cut.reg", &bytes);
    assert_eq!(val(&out, "HKLM\\K", "A"), &Value::Int(1));
    let offset = bytes.len() as u64 - 1;
    assert!(
        out.errors.iter().any(|e| e.offset == Some(offset) && e.message.contains("utf-16le")),
        "{:?}",
        messages(&out)
    );
    assert!(out.errors.iter().any(|e| e.line == Some(4)), "{:?}", messages(&out));
}

#[test]
fn garbage_and_odd_lines_are_errors_not_panics() {
    for text in [
        "",
        "\u{feff}",
        "REGEDIT4\n\"v\"=dword:1\n",
        "REGEDIT4\n[HKXX\\K]\n\"v\"=dword:1\n\"w\"=dword:2\n",
        "REGEDIT4\n[HKLM\\K\n\"v\"=\"unterminated\n\"=\n@\nhex:\n[-HKLM\\K]\n\"x\"=dword:1\n\"y\"=dword:1\n",
        "Windows Registry Editor Version 5.00\n[HKLM\\K]\n\"v\"=hex(zz):00\n\"w\"=hex(2\n\"x\"=hex(7)00\n",
    ] {
        let out = registry::collect_bytes("g.reg", text.as_bytes());
        assert!(out.facts.get_segments(&["registry", "HKLM\\K", "v"]).is_none(), "{text:?}");
        if !text.trim_start_matches('\u{feff}').is_empty() {
            assert!(!out.errors.is_empty(), "{text:?}");
        }
    }
    // An unknown hive is reported once, not once per value.
    let out = registry::collect_bytes("g.reg", b"REGEDIT4\n[HKXX\\K]\n\"v\"=dword:1\n\"w\"=dword:2\n");
    assert_eq!(messages(&out), vec!["2:0 unknown hive in key `HKXX\\K`; its values are skipped".to_owned()]);
}

#[test]
fn spellings_are_canonical_and_files_merge_with_conflicts() {
    let a = registry::collect_bytes(
        "a.reg",
        &utf16le_bom(
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319]\r\n\
             \"SchUseStrongCrypto\"=dword:00000001\r\n\"SystemDefaultTlsVersions\"=dword:00000001\r\n",
        ),
    );
    let b = registry::collect_bytes(
        "b.reg",
        b"REGEDIT4\n[hklm\\Software\\microsoft\\.NetFramework\\V4.0.30319]\n\"schusestrongcrypto\"=dword:00000000\n\
          \"SystemDefaultTlsVersions\"=dword:00000001\n\"Other\"=\"x\"\n",
    );
    assert_eq!(val(&b, NETFX4, "SchUseStrongCrypto"), &Value::Int(0));
    let mut merged = FactMap::new();
    assert!(merged.merge(a.facts).is_empty());
    let conflicts = merged.merge(b.facts);
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].path, ["registry", NETFX4, "SchUseStrongCrypto"]);
    assert_eq!(conflicts[0].kept.value, Value::Int(1));
    assert_eq!(conflicts[0].other.value, Value::Int(0));
    assert_eq!(conflicts[0].other.source.as_ref().map(|s| s.artifact.as_str()), Some("b.reg"));
    let key = merged.get_segments(&["registry", NETFX4]).and_then(Fact::as_map).expect("one key");
    assert_eq!(key.keys().collect::<Vec<_>>(), ["Other", "SchUseStrongCrypto", "SystemDefaultTlsVersions"]);
}

#[test]
fn os_facts_from_current_version() {
    let text = "Windows Registry Editor Version 5.00\r\n\r\n\
                [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\r\n\
                \"ProductName\"=\"Windows Server 2012 R2 Standard\"\r\n\"CurrentVersion\"=\"6.3\"\r\n\
                \"CurrentBuild\"=\"9600\"\r\n\"CurrentBuildNumber\"=\"9600\"\r\n\"UBR\"=dword:00004a4c\r\n\
                \"InstallationType\"=\"Server\"\r\n";
    let out = registry::collect_bytes("os.reg", &utf16le_bom(text));
    let os = |k: &str| out.facts.get(&format!("os.{k}")).map(|f| f.value.clone());
    assert_eq!(os("build"), Some(Value::Int(9600)));
    assert_eq!(os("product"), Some(Value::Str("Windows Server 2012 R2".into())));
    assert_eq!(os("product_name"), Some(Value::Str("Windows Server 2012 R2 Standard".into())));
    assert_eq!(os("version"), Some(Value::Version(Version(vec![6, 3, 9600]))));
    assert_eq!(os("ubr"), Some(Value::Int(0x4a4c)));
    assert_eq!(out.facts.get("os.build").and_then(|f| f.source.as_ref()).and_then(|s| s.line), Some(6));

    // Windows 10+ keeps 6.3 in CurrentVersion; the major/minor numbers win.
    let text = "REGEDIT4\n[HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n\"ProductName\"=\"Windows Server 2019 Datacenter\"\n\
                \"CurrentVersion\"=\"6.3\"\n\"CurrentBuild\"=\"17763\"\n\"CurrentMajorVersionNumber\"=dword:0000000a\n\
                \"CurrentMinorVersionNumber\"=dword:00000000\n";
    let out = registry::collect_bytes("os.reg", text.as_bytes());
    assert_eq!(
        out.facts.get("os.version").map(|f| &f.value),
        Some(&Value::Version(Version(vec![10, 0, 17763])))
    );
    assert_eq!(
        out.facts.get("os.product").map(|f| &f.value),
        Some(&Value::Str("Windows Server 2019".into()))
    );
}

#[test]
fn recognition() {
    let rec = |name: &str, head: &[u8]| {
        RegistryCollector.recognise(&Artifact {
            rel_path: name,
            path: Path::new(name),
            head,
            size: head.len() as u64,
        })
    };
    assert_eq!(rec("x.reg", &data("wine-reg-export.reg")), Recognition::ByNameAndContent);
    assert_eq!(rec("export.txt", &data("wine-reg-export.reg")), Recognition::ByContent);
    assert_eq!(
        rec("dotnet.reg.txt", &data("dotnet_strongcrypto_dotnet-docs.reg.txt")),
        Recognition::ByNameAndContent
    );
    assert_eq!(rec("hex7.reg", &data("reg_export_hex7_wrapping_example.reg.txt")), Recognition::ByContent);
    assert_eq!(rec("hex7.txt", &data("reg_export_hex7_wrapping_example.reg.txt")), Recognition::No);
    assert_eq!(rec("notes.txt", b"Windows Registry Editor is a tool"), Recognition::No);
}

#[test]
fn discovery_merges_the_sample_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/registry");
    let collected =
        triage_collectors::discover::collect_path(&dir, &triage_collectors::all(), None, &Default::default())
            .expect("folder readable");
    for a in &collected.artifacts {
        assert_eq!(a.collector.as_deref(), Some("registry"), "{}", a.path);
    }
    let f = collected.facts.get_segments(&["registry", NETFX4, "SchUseStrongCrypto"]).expect("merged");
    assert_eq!(f.value, Value::Int(1));
    assert_eq!(
        collected.facts.get_segments(&["registry", CIPHER_POLICY, "EccCurves"]).map(|f| f.value.type_name()),
        Some("list")
    );
    // The two samples set the cipher-suite policy differently: recorded, not overwritten.
    assert!(
        collected
            .errors
            .iter()
            .any(|e| e.message.contains("conflicting value") && e.message.contains("Functions")),
        "{:?}",
        collected.errors
    );
}

/// A `reg export HKLM\SYSTEM`-style file: the numbered control sets, `Select`, no
/// `CurrentControlSet` (the link Windows makes at boot is not exported).
fn system_export(select: Option<u32>, sets: &[(u32, u32)]) -> Vec<u8> {
    let mut s = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    if let Some(n) = select {
        s.push_str(&format!(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\r\n\"Current\"=dword:{n:08x}\r\n\"Default\"=dword:{n:08x}\r\n\"Failed\"=dword:00000000\r\n\"LastKnownGood\"=dword:{n:08x}\r\n\r\n"
        ));
    }
    for (set, enabled) in sets {
        s.push_str(&format!(
            "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet{set:03}\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Client]\r\n\"Enabled\"=dword:{enabled:08x}\r\n\"DisabledByDefault\"=dword:00000001\r\n\r\n"
        ));
    }
    utf16le_bom(&s)
}

fn choice(out: &CollectorOutput) -> Option<(String, String, bool, Vec<String>)> {
    let f = out.facts.get("registry_control_set")?;
    let s = |k: &str| f.get_path(&[k]).and_then(|f| f.value.as_str()).map(str::to_owned);
    let copied = matches!(f.get_path(&["copied"]).map(|f| &f.value), Some(Value::Bool(true)));
    let sets = match f.get_path(&["sets"]).map(|f| &f.value) {
        Some(Value::List(l)) => l.iter().filter_map(|f| f.value.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    };
    Some((s("current")?, s("chosen_by")?, copied, sets))
}

#[test]
fn control_set_named_by_select_is_read_as_current() {
    let bytes = system_export(Some(2), &[(1, 1), (2, 0)]);
    let out = registry::collect_bytes("SYSTEM.reg", &bytes);
    assert_eq!(messages(&out), Vec::<String>::new());
    assert_eq!(
        choice(&out),
        Some((
            "ControlSet002".into(),
            "select".into(),
            true,
            vec!["ControlSet001".into(), "ControlSet002".into()]
        ))
    );
    let f = get(&out, TLS10_CLIENT, "Enabled");
    assert_eq!(f.value, Value::Int(0));
    let src = f.source.as_ref().expect("provenance");
    // Provenance keeps the key as exported.
    assert_eq!(
        src.key.as_deref(),
        Some(
            "HKLM\\SYSTEM\\ControlSet002\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Client\\Enabled"
        )
    );
    assert_eq!(spanned(&bytes, f), "\"Enabled\"=dword:00000000");
    assert_eq!(src.line, Some(14));
    // The numbered sets stay as they are.
    let set1 = TLS10_CLIENT.replace("CurrentControlSet", "ControlSet001");
    assert_eq!(val(&out, &set1, "Enabled"), &Value::Int(1));
    // The choice points at Select\Current.
    let current = out.facts.get("registry_control_set").and_then(|f| f.get_path(&["current"]));
    assert_eq!(current.and_then(|f| f.source.as_ref()).and_then(|s| s.line), Some(4));
}

#[test]
fn the_only_set_exported_is_read_as_current() {
    let out = registry::collect_bytes("SYSTEM.reg", &system_export(None, &[(1, 0)]));
    assert_eq!(
        choice(&out),
        Some(("ControlSet001".into(), "only_set".into(), true, vec!["ControlSet001".into()]))
    );
    assert_eq!(val(&out, TLS10_CLIENT, "Enabled"), &Value::Int(0));
}

#[test]
fn several_sets_without_select_read_the_lowest_numbered() {
    let out = registry::collect_bytes("SYSTEM.reg", &system_export(None, &[(3, 1), (1, 0)]));
    assert_eq!(
        choice(&out),
        Some((
            "ControlSet001".into(),
            "lowest_numbered".into(),
            true,
            vec!["ControlSet001".into(), "ControlSet003".into()]
        ))
    );
    assert_eq!(val(&out, TLS10_CLIENT, "Enabled"), &Value::Int(0));
}

#[test]
fn select_naming_a_set_not_exported_copies_nothing() {
    let out = registry::collect_bytes("SYSTEM.reg", &system_export(Some(2), &[(1, 0)]));
    assert_eq!(
        choice(&out),
        Some(("ControlSet002".into(), "select".into(), false, vec!["ControlSet001".into()]))
    );
    assert!(out.facts.get_segments(&["registry", TLS10_CLIENT]).is_none());
}

#[test]
fn current_control_set_in_the_export_keeps_its_values() {
    let mut s = String::from_utf16_lossy(
        &system_export(None, &[(1, 0)])[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    );
    s.push_str(
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Client]\r\n\"Enabled\"=dword:00000001\r\n\r\n\
         [-HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Gone]\r\n",
    );
    let out = registry::collect_bytes("mixed.reg", &utf16le_bom(&s));
    assert_eq!(messages(&out), Vec::<String>::new());
    // Its own Enabled wins; DisabledByDefault, only under ControlSet001, fills in.
    let own = get(&out, TLS10_CLIENT, "Enabled");
    assert_eq!(own.value, Value::Int(1));
    assert!(own
        .source
        .as_ref()
        .and_then(|s| s.key.as_deref())
        .is_some_and(|k| k.contains("CurrentControlSet")));
    let filled = get(&out, TLS10_CLIENT, "DisabledByDefault");
    assert_eq!(filled.value, Value::Int(1));
    assert!(filled
        .source
        .as_ref()
        .and_then(|s| s.key.as_deref())
        .is_some_and(|k| k.contains("ControlSet001")));
    let deletions: Vec<&str> = match out.facts.get("registry_deletions").map(|f| &f.value) {
        Some(Value::List(l)) => l.iter().filter_map(|f| f.value.as_str()).collect(),
        other => panic!("deletions: {other:?}"),
    };
    assert_eq!(
        deletions,
        ["HKLM\\SYSTEM\\ControlSet001\\Services\\Gone", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Gone"]
    );
}

#[test]
fn exports_without_numbered_sets_have_no_choice() {
    let out = registry::collect_bytes("wine-fixture-utf16.reg", &data("wine-fixture-utf16.reg"));
    assert!(out.facts.get("registry_control_set").is_none());
}
