//! Discovery over a folder as an admin would gather it: each registry, configuration, gpresult,
//! WSUS and OS artifact goes to its own collector with every built-in collector bidding, and the
//! facts merge without conflicts.

use std::path::{Path, PathBuf};

use triage_collectors::discover::{collect_path, DiscoverOptions};
use triage_facts::Value;

fn data(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel))
        .expect("test data exists")
}

/// UTF-16LE with BOM and CRLF, as `reg export`, `gpresult /x` and PowerShell 5.1's `>` write.
fn utf16(bytes: &[u8]) -> Vec<u8> {
    let text =
        String::from_utf8(bytes.to_vec()).expect("utf-8 fixture").replace("\r\n", "\n").replace('\n', "\r\n");
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_gathered_folder() {
    let dir = TempDir(std::env::temp_dir().join(format!("triage-registry-discovery-{}", std::process::id())));
    std::fs::create_dir_all(dir.0.join("inetsrv")).expect("temp dir");
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        ("netfx.reg", data("registry/wine-reg-export.reg"), "registry"),
        ("inetsrv/w3wp.exe.config", data("config/w3wp.exe.config_mslearn_new_file.xml"), "dotnet-config"),
        ("gpresult.xml", utf16(&data("gpresult/gpresult_ssl_cipher_order.xml")), "gpresult"),
        ("wsus-config.json", utf16(&data("wsus/wsus_config_ps51.json")), "wsus-config"),
        ("wsus-events.txt", utf16(&data("wsus/wsus_subscription_event_fe2_ps_output.txt")), "wsus-config"),
        ("systeminfo.txt", utf16(&data("system/systeminfo_2012r2.txt")), "systeminfo"),
        ("hotfixes.csv", data("system/hotfixes_ps51.csv"), "hotfix-csv"),
    ];
    for (name, bytes, _) in &files {
        std::fs::write(dir.0.join(name), bytes).expect("write fixture");
    }
    let collected = collect_path(&dir.0, &triage_collectors::all(), None, &DiscoverOptions::default())
        .expect("folder readable");
    for (name, _, collector) in &files {
        let a = collected.artifacts.iter().find(|a| a.path == *name).expect("artifact listed");
        assert_eq!(a.collector.as_deref(), Some(*collector), "{name}");
    }
    assert_eq!(collected.errors, vec![]);
    let f = |p: &[&str]| collected.facts.get_segments(p).map(|f| f.value.clone());
    assert_eq!(
        f(&["registry", "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319", "SchUseStrongCrypto"]),
        Some(Value::Int(1))
    );
    assert_eq!(
        f(&["config", "w3wp.exe.config", "switches", "Switch.System.Net.DontEnableSystemDefaultTlsVersions"]),
        Some(Value::Bool(false))
    );
    assert_eq!(
        f(&["gpo", "policies", "SSL Cipher Suite Order", "state"]),
        Some(Value::Str("Enabled".into()))
    );
    assert_eq!(
        f(&["wsus", "config", "MUUrl"]),
        Some(Value::Str("https://fe2.update.microsoft.com/v6".into()))
    );
    assert!(matches!(f(&["wsus", "events"]), Some(Value::List(l)) if l.len() == 1));
    assert_eq!(f(&["os", "product"]), Some(Value::Str("Windows Server 2012 R2".into())));
    // systeminfo and Get-HotFix both list updates; the lists are concatenated.
    let Some(Value::List(kbs)) = f(&["updates", "installed"]) else { panic!("updates.installed") };
    let kbs: Vec<_> = kbs.iter().filter_map(|k| k.value.as_str()).collect();
    // Artifacts are read in path order: hotfixes.csv, then systeminfo.txt.
    assert_eq!(
        kbs,
        ["KB2919355", "KB4022720", "KB5034819", "KB2919355", "KB2919442", "KB4022720", "KB5034819"]
    );
}
