//! The collection script and what it writes (issue 14, item 2): `scripts/Collect-Triage.ps1`
//! parses with a real PowerShell parser and keeps to PowerShell 3.0 (tests/tools/ps-check.cjs);
//! it gathers the artifacts `triage collect` gathers; and triage reads a folder and a zip shaped
//! exactly like its output, built here from `scripts/collect-triage-layout.txt` (the listing the
//! docs show). There is no PowerShell on the build machine, so the script itself is not run.
//! Also: live `triage collect` off Windows refuses at once and writes nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn read(p: &str) -> String {
    std::fs::read_to_string(repo(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// `(path, always, what)` of every file the script writes.
fn layout() -> Vec<(String, bool, String)> {
    read("scripts/collect-triage-layout.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "path<TAB>always|when-present<TAB>what: {l:?}");
            assert!(f[1] == "always" || f[1] == "when-present", "{l:?}");
            (f[0].to_owned(), f[1] == "always", f[2].to_owned())
        })
        .collect()
}

fn triage(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("triage")
        .expect("binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("TRIAGE_HOME", dir.join("no-store"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `npm root -g` when node, npm and both grammar packages are there; `None` (a skip) when not,
/// and a failure under `CI=true`, where .ci/run installs them.
fn grammar_packages() -> Option<PathBuf> {
    let root = Command::new("npm")
        .args(["root", "-g"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let found = root.filter(|r| {
        node && r.join("web-tree-sitter").is_dir()
            && r.join("tree-sitter-powershell/tree-sitter-powershell.wasm").is_file()
    });
    if found.is_none() {
        let why = "node and the npm packages web-tree-sitter and tree-sitter-powershell (npm install -g web-tree-sitter@0.26.9 tree-sitter-powershell@0.26.4) are needed to check the collection script";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("skipped: {why}");
    }
    found
}

fn ps_check(packages: &Path, script: &Path) -> (i32, String) {
    // (--liftoff-only: see the checker's header; without it node spends a minute at exit.)
    let out = Command::new("node")
        .arg("--liftoff-only")
        .arg(repo("tests/tools/ps-check.cjs"))
        .arg(script)
        .arg(repo("scripts/powershell-3.0-forbidden.txt"))
        .env("NODE_PATH", packages)
        .output()
        .expect("node runs");
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_script_parses_and_keeps_to_powershell_3() {
    let Some(packages) = grammar_packages() else { return };
    assert_eq!(ps_check(&packages, &repo("scripts/Collect-Triage.ps1")), (0, String::new()));

    // The checker itself: a syntax error, a newer cmdlet, newer syntax, each at its line.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.ps1");
    std::fs::write(
        &bad,
        "Compress-Archive -Path x -DestinationPath y.zip\r\nclass Host { }\r\n$a = [Text.StringBuilder]::new()\r\n$items.Where({ $_ })\r\nGet-ChildItem -Depth 2\r\nif ($x {\r\n",
    )
    .expect("write");
    let (code, out) = ps_check(&packages, &bad);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<String> = out
        .lines()
        .map(|l| l.split_once(": ").map_or(l, |(at, _)| at).rsplit('/').next().unwrap_or("").to_owned())
        .collect();
    for at in ["bad.ps1:1:1", "bad.ps1:2:1", "bad.ps1:3:28", "bad.ps1:4:8", "bad.ps1:5:15"] {
        assert!(lines.iter().any(|l| l == at), "{at} in {out}");
    }
    assert!(out.contains("`Compress-Archive` is PowerShell 5.0"), "{out}");
    assert!(out.contains("`.Where()` is PowerShell 4.0"), "{out}");
    assert!(out.contains("syntax error"), "{out}");
}

#[test]
fn the_script_gathers_what_triage_collect_gathers() {
    let script = read("scripts/Collect-Triage.ps1");
    // The same registry keys as live collection, and each only as deep as live collection reads.
    let block =
        script.split("$RegistryKeys = @(").nth(1).expect("the key list").split(')').next().expect("end");
    let keys: Vec<String> = block
        .lines()
        .map(|l| l.trim().trim_end_matches(',').trim_matches('\''))
        .filter(|l| !l.is_empty())
        .map(|l| format!(r"HKLM\{l}"))
        .collect();
    let live: Vec<String> =
        triage_collectors::live::DEFAULT_REGISTRY_KEYS.iter().map(|k| (*k).to_owned()).collect();
    assert_eq!(keys, live);
    // Value by value through the registry API, never `reg export` of a subtree.
    assert!(!script.to_lowercase().contains("reg.exe"), "no reg.exe");
    assert!(script.contains("OpenBaseKey") && script.contains("GetValueNames()"));
    assert!(
        script.contains("'HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\' + $sub.Substring(9)"),
        "the 32-bit view under WOW6432Node"
    );
    assert!(script.contains("@('/scope', 'computer', '/x', $gpxml, '/f')"), "gpresult /scope computer /x");
    assert!(script.contains("IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)"));
    assert!(script.contains("GetUnresolvedProviderPathFromPSPath($OutputPath)"), "an absolute output path");
    // Every file of the listing is one the script writes (a pattern's folder for copied logs).
    for (path, _, _) in layout() {
        let folder = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let named = script.contains(&format!("'{path}'"));
        let copied_into =
            matches!(folder, "wsus/LogFiles" | "configmgr") && script.contains(&format!("'{folder}'"));
        assert!(named || copied_into || path == "collection-errors.txt", "{path} is written by the script");
    }
    assert!(script.contains("'collection-errors.txt'"));
}

#[test]
fn the_docs_show_the_listing() {
    let docs = read("docs/collecting.md");
    for (path, when, what) in layout() {
        let row = format!(
            "| `{}` | {} | {what} |",
            path.replace('/', "\\"),
            if when { "always" } else { "when present" }
        );
        assert!(docs.contains(&row), "docs/collecting.md lists {row}");
    }
    assert!(docs.contains("apt-cache policy powershell"), "the docs say there is no PowerShell to test with");
}

/// A folder shaped exactly like the script's output for the issue-1 example server (WSUS01),
/// from the listing: the registry split into the two views' files, the script's encodings, the
/// `when-present` files absent (the usual case), and two collection errors.
fn script_output(root: &Path) {
    let example = repo("examples/issue1-import-tls12");
    let reg_blocks = |file: &str| -> Vec<String> {
        let bytes = std::fs::read(example.join(file)).expect("reg");
        let units: Vec<u16> = bytes[2..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        let text = String::from_utf16(&units).expect("UTF-16");
        text.split("\r\n\r\n")
            .skip(1)
            .map(str::trim)
            .filter(|b| b.starts_with('['))
            .map(str::to_owned)
            .collect()
    };
    let mut blocks: Vec<String> = ["CurrentVersion.reg", "SCHANNEL-Protocols.reg", "NETFramework.reg"]
        .iter()
        .flat_map(|f| reg_blocks(f))
        .collect();
    blocks.push(
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName]\r\n\"ComputerName\"=\"WSUS01\""
            .to_owned(),
    );
    let reg_file = |blocks: Vec<&String>| -> Vec<u8> {
        let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
        for b in blocks {
            text.push_str(b);
            text.push_str("\r\n\r\n");
        }
        [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
    };
    let (wow, native): (Vec<&String>, Vec<&String>) =
        blocks.iter().partition(|b| b.contains("\\WOW6432Node\\"));
    assert!(!wow.is_empty() && !native.is_empty());
    let bom = |s: &str| -> Vec<u8> { [0xEF, 0xBB, 0xBF].iter().copied().chain(s.bytes()).collect() };
    let example_file = |f: &str| std::fs::read(example.join(f)).expect("example file");
    for (path, always, _) in layout() {
        if !always {
            continue;
        }
        let bytes: Vec<u8> = match path.as_str() {
            "registry/hklm-64bit.reg" => reg_file(native.clone()),
            "registry/hklm-32bit.reg" => reg_file(wow.clone()),
            "wsus/LogFiles/SoftwareDistribution.log" => example_file("SoftwareDistribution.log"),
            "wsus/WsusService.exe.config" => bom("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<configuration>\r\n  <runtime />\r\n</configuration>\r\n"),
            "system/systeminfo.txt" => example_file("systeminfo.txt"),
            "system/hotfixes.csv" => bom("\"HotFixID\",\"Description\",\"InstalledOn\"\r\n\"KB2919355\",\"Update\",\"3/18/2014 12:00:00 AM\"\r\n"),
            "gpo/gpresult.xml" => example_file("gpresult.xml"),
            "wsus/wsus-config.json" => example_file("wsus-config.json"),
            "collection-errors.txt" => bom(
                "# triage collection errors: Collect-Triage.ps1 2, PowerShell 3.0, WSUS01\r\nregistry/hklm-32bit.reg\tHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SMS\\Identification (32-bit view): not found\r\nconfigmgr\tConfigMgr log folder: HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SMS\\Identification\\Installation Directory: not found\r\n",
            ),
            other => panic!("the listing has {other}: teach this test how the script writes it"),
        };
        let to = root.join(&path);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::write(&to, bytes).expect("write");
    }
}

/// The zip .NET Framework 4.5's `ZipFile.CreateFromDirectory` writes of `root`: deflated
/// entries named with backslashes, no folder entries for non-empty folders.
fn zip_like_dotnet(root: &Path, dest: &Path) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(dest).expect("create"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("list") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for f in files {
        let rel = f.strip_prefix(root).expect("inside").to_string_lossy().replace('/', "\\");
        z.start_file(rel, opts).expect("entry");
        z.write_all(&std::fs::read(&f).expect("read")).expect("write");
    }
    z.finish().expect("finish");
}

/// The outcomes of a JSON report: `(rule, outcome)`.
fn outcomes(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (f["rule"].as_str().unwrap_or("").to_owned(), f["outcome"].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

#[test]
fn triage_reads_a_folder_and_a_zip_shaped_like_the_script_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let name = "triage-WSUS01-20261125-160000";
    script_output(&d.join(name));
    zip_like_dotnet(&d.join(name), &d.join(format!("{name}.zip")));

    let expected_errors = [
        r"configmgr: [collect-script] ConfigMgr log folder: HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SMS\Identification\Installation Directory: not found",
        r"registry/hklm-32bit.reg: [collect-script] HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SMS\Identification (32-bit view): not found",
    ];
    let mut reports = Vec::new();
    for input in [name.to_owned(), format!("{name}.zip")] {
        let (code, out, err) = triage(d, &["run", &input, "--format", "json"]);
        assert_eq!(code, 1, "{input}: {err}");
        let report: Value = serde_json::from_str(&out).expect("json");
        let summary = &report["inputs"][0];
        assert_eq!(summary["input"], input.as_str());
        assert_eq!(summary["host"], "WSUS01", "{summary}");
        assert_eq!(summary["unrecognised"], serde_json::json!([]), "{input}: every file is recognised");
        assert_eq!(summary["collection_errors"], serde_json::json!(expected_errors), "{input}");
        let detected: Vec<String> =
            outcomes(&report).into_iter().filter(|(_, o)| o == "detected").map(|(r, _)| r).collect();
        assert_eq!(detected, ["WSUS001"], "{input}");
        reports.push(outcomes(&report));
    }
    assert_eq!(reports[0], reports[1], "the zip reads as the folder does");

    // Shown to the admin: the errors as collection errors, evidence from the zip's entries.
    let (_, out, _) = triage(d, &["run", &format!("{name}.zip")]);
    assert!(out.contains("2 collection errors"), "{out}");
    assert!(out.contains("wsus/LogFiles/SoftwareDistribution.log"), "{out}");
}

#[cfg(not(windows))]
#[test]
fn live_collect_off_windows_exits_2_with_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    for out in ["live.zip", "live"] {
        let (code, stdout, err) = triage(dir.path(), &["collect", "--output", out]);
        assert_eq!((code, stdout.as_str()), (2, ""));
        assert_eq!(
            err,
            "error: live collection reads this host's Windows registry, logs and tools, and this is not Windows: run `triage collect` on the Windows server (or the collection script, scripts/Collect-Triage.ps1), or collect a copied folder with --from DIR\n"
        );
        assert!(!dir.path().join(out).exists(), "{out} was not written");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert!(left.is_empty(), "nothing written: {left:?}");
}
