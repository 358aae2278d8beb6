//! OS and updates: `systeminfo` (list and CSV forms, as cmd.exe and PowerShell 5.1 write them)
//! and `Get-HotFix | Export-Csv`; and agreement with the registry's `Windows NT\CurrentVersion`.

use std::path::Path;

use triage_collectors::system::hotfix_csv::{self, HotfixCsvCollector};
use triage_collectors::system::systeminfo::{self, SysteminfoCollector};
use triage_collectors::{registry, text};
use triage_facts::{Artifact, Collector, CollectorOutput, FactMap, Recognition, Value, Version};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/system").join(name))
        .expect("test data exists")
}

/// As Windows PowerShell 5.1's `>` writes: UTF-16LE with BOM, CRLF.
fn ps51(bytes: &[u8]) -> Vec<u8> {
    let text =
        String::from_utf8(bytes.to_vec()).expect("utf-8 fixture").replace("\r\n", "\n").replace('\n', "\r\n");
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn installed(out: &CollectorOutput) -> Vec<String> {
    match out.facts.get("updates.installed").map(|f| &f.value) {
        Some(Value::List(l)) => l.iter().filter_map(|f| f.value.as_str().map(str::to_owned)).collect(),
        other => panic!("updates.installed expected, got {other:?}"),
    }
}

fn os(out: &CollectorOutput, k: &str) -> Option<Value> {
    out.facts.get(&format!("os.{k}")).map(|f| f.value.clone())
}

#[test]
fn systeminfo_list_form_utf16() {
    let bytes = ps51(&data("systeminfo_2012r2.txt"));
    let out = systeminfo::collect_bytes("systeminfo.txt", &bytes);
    assert_eq!(out.encoding.as_deref(), Some("utf-16le"));
    assert_eq!(out.errors, vec![]);
    assert_eq!(os(&out, "name"), Some(Value::Str("Microsoft Windows Server 2012 R2 Standard".into())));
    assert_eq!(os(&out, "hostname"), Some(Value::Str("WSUS01".into())));
    assert_eq!(os(&out, "version"), Some(Value::Version(Version(vec![6, 3, 9600]))));
    assert_eq!(os(&out, "build"), Some(Value::Int(9600)));
    assert_eq!(os(&out, "product"), Some(Value::Str("Windows Server 2012 R2".into())));
    assert_eq!(installed(&out), ["KB2919355", "KB2919442", "KB4022720", "KB5034819"]);
    let kb = match out.facts.get("updates.installed").map(|f| &f.value) {
        Some(Value::List(l)) => l[2].clone(),
        _ => unreachable!("checked above"),
    };
    let src = kb.source.as_ref().expect("provenance");
    assert_eq!(
        (src.line, src.key.as_deref(), src.collector.as_str()),
        (Some(36), Some("Hotfix(s)"), "systeminfo")
    );
    let span = src.span.expect("span");
    assert_eq!(&text::decode(&bytes).text[span.start as usize..span.end as usize], "[03]: KB4022720");
}

#[test]
fn systeminfo_csv_form() {
    let out = systeminfo::collect_bytes("systeminfo.csv", &data("systeminfo_2019.csv"));
    assert_eq!(out.errors, vec![]);
    assert_eq!(os(&out, "build"), Some(Value::Int(17763)));
    assert_eq!(os(&out, "version"), Some(Value::Version(Version(vec![10, 0, 17763]))));
    assert_eq!(os(&out, "product"), Some(Value::Str("Windows Server 2019".into())));
    assert_eq!(installed(&out), ["KB5034613", "KB5005112", "KB5034768"]);
}

#[test]
fn systeminfo_and_registry_agree() {
    let si = systeminfo::collect_bytes("systeminfo.txt", &data("systeminfo_2012r2.txt"));
    let reg = registry::collect_bytes(
        "currentversion.reg",
        b"Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\r\n\
          \"ProductName\"=\"Windows Server 2012 R2 Standard\"\r\n\"CurrentVersion\"=\"6.3\"\r\n\"CurrentBuild\"=\"9600\"\r\n",
    );
    let mut facts = FactMap::new();
    assert!(facts.merge(si.facts).is_empty());
    let conflicts = facts.merge(reg.facts);
    assert!(conflicts.is_empty(), "{conflicts:?}");
    assert_eq!(facts.get("os.product").map(|f| &f.value), Some(&Value::Str("Windows Server 2012 R2".into())));
}

#[test]
fn hotfix_csv_from_windows_powershell() {
    for bytes in [data("hotfixes_ps51.csv"), ps51(&data("hotfixes_ps51.csv"))] {
        let out = hotfix_csv::collect_bytes("hotfixes.csv", &bytes);
        assert_eq!(out.errors, vec![]);
        assert_eq!(installed(&out), ["KB2919355", "KB4022720", "KB5034819"]);
        let Some(Value::List(l)) = out.facts.get("updates.installed").map(|f| &f.value) else {
            unreachable!()
        };
        let src = l[1].source.as_ref().expect("provenance");
        assert_eq!((src.line, src.key.as_deref()), (Some(4), Some("HotFixID")));
        let span = src.span.expect("span");
        assert_eq!(&text::decode(&bytes).text[span.start as usize..span.end as usize], "KB4022720");
    }
}

#[test]
fn hotfix_csv_use_culture_without_type_line() {
    let out = hotfix_csv::collect_bytes("kbs.csv", &data("hotfixes_useculture.csv"));
    assert_eq!(out.errors, vec![]);
    assert_eq!(installed(&out), ["KB5005112", "KB5034768"], "upper-cased; `File 1` is not a KB");
}

#[test]
fn hotfix_csv_malformed() {
    let out = hotfix_csv::collect_bytes(
        "kbs.csv",
        b"\"Description\",\"InstalledOn\"\r\n\"Update\",\"1/1/2020\"\r\n",
    );
    assert_eq!(out.errors.len(), 1);
    assert_eq!((out.errors[0].line, out.errors[0].message.as_str()), (Some(1), "no HotFixID column"));
    let out = hotfix_csv::collect_bytes(
        "kbs.csv",
        b"\"Description\",\"HotFixID\"\r\n\"Update\"\r\n\"Update\",\"KB1\"\r\n\"Upd",
    );
    assert_eq!(installed(&out), ["KB1"]);
    let lines: Vec<_> = out.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(2), Some(4)], "{:?}", out.errors);
    let mut bytes = ps51(&data("hotfixes_ps51.csv"));
    bytes.truncate(bytes.len() / 4 * 2 + 1);
    let out = hotfix_csv::collect_bytes("kbs.csv", &bytes);
    assert!(out.errors.iter().any(|e| e.offset == Some(bytes.len() as u64 - 1)), "{:?}", out.errors);
    assert!(!installed(&out).is_empty());
    assert_eq!(hotfix_csv::collect_bytes("kbs.csv", b"").errors.len(), 1);
}

#[test]
fn systeminfo_malformed() {
    let out = systeminfo::collect_bytes(
        "systeminfo.txt",
        b"Host Name: X\nOS Name: Windows Server\nOS Version: banana\n",
    );
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.errors[0].line, Some(3));
    assert_eq!(os(&out, "version"), None);
    let out = systeminfo::collect_bytes("systeminfo.txt", b"nothing here");
    assert_eq!(out.errors.len(), 1);
}

#[test]
fn recognition() {
    let list = data("systeminfo_2012r2.txt");
    let csv = data("systeminfo_2019.csv");
    let hot = data("hotfixes_ps51.csv");
    let rec = |c: &dyn Collector, name: &str, head: &[u8]| {
        c.recognise(&Artifact { rel_path: name, path: Path::new(name), head, size: head.len() as u64 })
    };
    assert_eq!(rec(&SysteminfoCollector, "systeminfo.txt", &list), Recognition::ByNameAndContent);
    assert_eq!(rec(&SysteminfoCollector, "wsus01.txt", &ps51(&list)), Recognition::ByContent);
    assert_eq!(rec(&SysteminfoCollector, "si.csv", &csv), Recognition::ByContent);
    assert_eq!(rec(&SysteminfoCollector, "hotfixes.csv", &hot), Recognition::No);
    assert_eq!(rec(&HotfixCsvCollector, "hotfixes.csv", &hot), Recognition::ByNameAndContent);
    assert_eq!(rec(&HotfixCsvCollector, "kbs.txt", &data("hotfixes_useculture.csv")), Recognition::ByContent);
    assert_eq!(rec(&HotfixCsvCollector, "systeminfo.csv", &csv), Recognition::No);
}
