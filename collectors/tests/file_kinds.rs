//! Pack-defined file kinds read through discovery as `triage run` reads them: exact facts for
//! each format, `Include` and `Match` in sshd_config, recognition by content, hostile inputs
//! (deep JSON and XML, include cycles and depth, oversized values), and `.gz` artifacts read as
//! what they hold (with bombs and damaged streams refused).

use std::io::Write;
use std::path::Path;

use triage_collectors::discover::{collect_path, Collected, DiscoverOptions};
use triage_facts::{FileFormat, FileKindSpec, LogKindSpec, ScanPlan, Value};

fn kind(name: &str, files: &[&str], format: FileFormat) -> FileKindSpec {
    FileKindSpec {
        name: name.into(),
        files: files.iter().map(|s| (*s).to_owned()).collect(),
        content: None,
        format,
        include: None,
        sections: Vec::new(),
    }
}

fn sshd_kind() -> FileKindSpec {
    FileKindSpec {
        include: Some("Include".into()),
        sections: vec!["Match".into()],
        ..kind("p/sshd_config", &["sshd_config"], FileFormat::KeyValue)
    }
}

fn plan(file_kinds: Vec<FileKindSpec>) -> ScanPlan {
    ScanPlan { file_kinds, ..Default::default() }
}

fn write(root: &Path, rel: &str, text: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn collect(root: &Path, plan: &ScanPlan) -> Collected {
    collect_path(root, &triage_collectors::all(), Some(plan), &DiscoverOptions::default()).expect("collects")
}

fn get<'a>(c: &'a Collected, path: &[&str]) -> Option<&'a Value> {
    c.facts.get_segments(path).map(|f| &f.value)
}

fn str_at(v: &Value, path: &[&str]) -> String {
    let Value::Map(m) = v else { panic!("not a map: {v:?}") };
    let f = m.get(path[0]).unwrap_or_else(|| panic!("no {}", path[0]));
    match (&f.value, path.len()) {
        (Value::Str(s), 1) => s.clone(),
        (Value::Int(i), 1) => i.to_string(),
        (other, 1) => format!("{other:?}"),
        (other, _) => str_at(other, &path[1..]),
    }
}

fn list(v: Option<&Value>) -> &[triage_facts::Fact] {
    match v {
        Some(Value::List(l)) => l,
        other => panic!("not a list: {other:?}"),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

fn errors(c: &Collected) -> Vec<String> {
    c.errors.iter().map(|e| e.to_string()).collect()
}

/// (key, value, artifact:line) of a list of entries.
fn entries(v: Option<&Value>) -> Vec<(String, String, String)> {
    list(v)
        .iter()
        .map(|e| {
            (
                str_at(&e.value, &["key"]),
                str_at(&e.value, &["value"]),
                format!("{}:{}", str_at(&e.value, &["artifact"]), str_at(&e.value, &["line"])),
            )
        })
        .collect()
}

#[test]
fn sshd_config_reads_includes_in_place_and_match_blocks_as_sections() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(
        root,
        "etc/ssh/sshd_config",
        b"# comment\r\nInclude /etc/ssh/sshd_config.d/*.conf\r\nKexAlgorithms +diffie-hellman-group14-sha1\r\nPort=2222\r\n\r\nMatch Address 10.0.0.5\r\n  PubkeyAcceptedAlgorithms +ssh-rsa\r\n",
    );
    write(root, "etc/ssh/sshd_config.d/50-b.conf", b"Ciphers aes256-ctr\n");
    write(
        root,
        "etc/ssh/sshd_config.d/10-a.conf",
        b"kexalgorithms curve25519-sha256\nMatch User backup\nPasswordAuthentication no\n",
    );
    write(root, "etc/ssh/sshd_config.d/README", b"not included\n");
    let c = collect(root, &plan(vec![sshd_kind()]));
    assert_eq!(errors(&c), Vec::<String>::new());
    let base = ["files", "p/sshd_config", "by_file", "etc/ssh/sshd_config"];
    let at =
        |tail: &[&'static str]| -> Vec<&str> { base.iter().copied().chain(tail.iter().copied()).collect() };
    assert_eq!(
        entries(get(&c, &at(&["entries"]))),
        [
            ("Include".into(), "/etc/ssh/sshd_config.d/*.conf".into(), "etc/ssh/sshd_config:2".into()),
            ("kexalgorithms".into(), "curve25519-sha256".into(), "etc/ssh/sshd_config.d/10-a.conf:1".into()),
            ("Ciphers".into(), "aes256-ctr".into(), "etc/ssh/sshd_config.d/50-b.conf:1".into()),
            ("KexAlgorithms".into(), "+diffie-hellman-group14-sha1".into(), "etc/ssh/sshd_config:3".into()),
            ("Port".into(), "2222".into(), "etc/ssh/sshd_config:4".into()),
        ]
    );
    // sshd applies the first value: the drop-in's, read at the Include above the main file's.
    let first = get(&c, &at(&["first", "kexalgorithms"])).expect("first");
    assert_eq!(str_at(first, &["value"]), "curve25519-sha256");
    assert_eq!(str_at(first, &["artifact"]), "etc/ssh/sshd_config.d/10-a.conf");
    let sections = list(get(&c, &at(&["sections"])));
    let s: Vec<(String, String, String)> = sections
        .iter()
        .map(|s| {
            (str_at(&s.value, &["keyword"]), str_at(&s.value, &["args"]), str_at(&s.value, &["artifact"]))
        })
        .collect();
    assert_eq!(
        s,
        [
            ("Match".into(), "User backup".into(), "etc/ssh/sshd_config.d/10-a.conf".into()),
            ("Match".into(), "Address 10.0.0.5".into(), "etc/ssh/sshd_config".into()),
        ]
    );
    let Value::Map(m) = &sections[1].value else { panic!("map") };
    assert_eq!(
        entries(Some(&m["entries"].value)),
        [("PubkeyAcceptedAlgorithms".into(), "+ssh-rsa".into(), "etc/ssh/sshd_config:7".into())]
    );
    let includes = list(get(&c, &at(&["includes"])));
    assert_eq!(includes.len(), 1);
    let Value::Map(inc) = &includes[0].value else { panic!("map") };
    let files: Vec<String> = list(Some(&inc["files"].value)).iter().map(|f| text(&f.value)).collect();
    assert_eq!(files, ["etc/ssh/sshd_config.d/10-a.conf", "etc/ssh/sshd_config.d/50-b.conf"]);
    // Provenance to the line of the included file.
    let e = &list(get(&c, &at(&["entries"])))[1];
    let src = e.source.as_ref().expect("provenance");
    assert_eq!(
        (src.artifact.as_str(), src.line, src.collector.as_str()),
        ("etc/ssh/sshd_config.d/10-a.conf", Some(1), "file-kind")
    );
    assert_eq!(
        get(&c, &["collection", "artifacts", "etc/ssh/sshd_config", "collector"]),
        Some(&Value::Str("file-kind".into()))
    );
}

#[test]
fn an_absolute_include_is_found_in_a_copy_of_etc_ssh_and_relative_ones_beside_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(
        root,
        "ssh/sshd_config",
        b"Include /etc/ssh/sshd_config.d/*.conf\nInclude extra.conf missing/*.conf\n",
    );
    write(root, "ssh/sshd_config.d/a.conf", b"A 1\n");
    write(root, "ssh/extra.conf", b"B 2\n");
    let c = collect(root, &plan(vec![sshd_kind()]));
    assert_eq!(errors(&c), Vec::<String>::new());
    let got = entries(get(&c, &["files", "p/sshd_config", "by_file", "ssh/sshd_config", "entries"]));
    let keys: Vec<&str> = got.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(keys, ["Include", "A", "Include", "B"]);
    let includes = list(get(&c, &["files", "p/sshd_config", "by_file", "ssh/sshd_config", "includes"]));
    let named: Vec<(String, usize)> = includes
        .iter()
        .map(|i| {
            let Value::Map(m) = &i.value else { panic!("map") };
            (str_at(&i.value, &["path"]), list(Some(&m["files"].value)).len())
        })
        .collect();
    assert_eq!(
        named,
        [("/etc/ssh/sshd_config.d/*.conf".into(), 1), ("extra.conf".into(), 1), ("missing/*.conf".into(), 0)]
    );
}

#[test]
fn include_cycles_and_depth_are_collection_errors_naming_the_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(root, "sshd_config", b"Port 22\nInclude a.conf\n");
    write(root, "a.conf", b"Include b.conf\n");
    write(root, "b.conf", b"Include sshd_config\n");
    let c = collect(root, &plan(vec![sshd_kind()]));
    assert_eq!(
        errors(&c),
        ["sshd_config: [file-kind] include cycle: sshd_config → a.conf → b.conf → sshd_config (in b.conf)"]
    );
    assert_eq!(get(&c, &["files", "p/sshd_config"]), None, "no partial facts");

    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(root, "sshd_config", b"Include d1.conf\n");
    for i in 1..=12 {
        write(root, &format!("d{i}.conf"), format!("Include d{}.conf\n", i + 1).as_bytes());
    }
    let c = collect(root, &plan(vec![sshd_kind()]));
    assert_eq!(
        errors(&c),
        ["sshd_config: [file-kind] includes nested deeper than 8 files (the limit of a file kind) (in d8.conf)"]
    );
}

#[test]
fn each_format_gives_its_facts_and_hostile_files_are_errors_with_the_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(root, "app.ini", b"[Main]\r\nkey = a\r\n");
    write(root, "conf/settings.json", b"{\n  \"server\": {\"port\": 8530, \"tls\": true}\n}\n");
    write(root, "conf/deep.json", format!("{}{}", "[".repeat(5000), "]".repeat(5000)).as_bytes());
    write(root, "web.xml", b"<configuration>\n  <add key=\"x\" value=\"1\"/>\n</configuration>\n");
    write(root, "deep.xml", format!("{}{}", "<a>".repeat(100), "</a>".repeat(100)).as_bytes());
    write(root, "list.csv", b"Name,Port\r\nwsus,8531\r\n");
    write(root, "big.json", format!("\"{}\"", "x".repeat(70_000)).as_bytes());
    let p = plan(vec![
        kind("p/csv", &["*.csv"], FileFormat::Csv),
        kind("p/ini", &["*.ini"], FileFormat::Ini),
        kind("p/json", &["*.json"], FileFormat::Json),
        kind("p/xml", &["*.xml"], FileFormat::Xml),
    ]);
    let c = collect(root, &p);
    assert_eq!(
        errors(&c),
        [
            "big.json:1: [file-kind] a value of 70000 bytes is longer than the 65536 byte limit",
            "conf/deep.json:1: [file-kind] JSON nested deeper than 64 levels (the limit of a file kind)",
            "deep.xml:1: [file-kind] XML nested deeper than 64 elements (the limit of a file kind)",
        ]
    );
    assert_eq!(
        get(&c, &["files", "p/ini", "by_file", "app.ini", "sections", "Main", "key"]),
        Some(&Value::Str("a".into()))
    );
    let port = c
        .facts
        .get_segments(&["files", "p/json", "by_file", "conf/settings.json", "value", "server", "port"])
        .expect("port");
    assert_eq!((&port.value, port.source.as_ref().and_then(|s| s.line)), (&Value::Int(8530), Some(2)));
    let xml = get(&c, &["files", "p/xml", "by_file", "web.xml", "root"]).expect("root");
    let Value::Map(root_el) = xml else { panic!("map") };
    let child = &list(Some(&root_el["children"].value))[0];
    assert_eq!(
        (str_at(&child.value, &["attributes", "key"]), str_at(&child.value, &["line"])),
        ("x".into(), "2".into())
    );
    let rows = list(get(&c, &["files", "p/csv", "by_file", "list.csv", "rows"]));
    assert_eq!(str_at(&rows[0].value, &["fields", "Port"]), "8531");
    assert_eq!(get(&c, &["files", "p/json", "by_file", "conf/deep.json"]), None);
    assert_eq!(list(get(&c, &["files", "p/json", "files"])).len(), 1, "settings.json only");
}

#[test]
fn content_narrows_broad_globs() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    write(root, "a.json", b"{\"ServerName\": \"wsus01\"}");
    write(root, "b.json", b"{\"other\": 1}");
    let k = FileKindSpec {
        content: Some(r#""ServerName""#.into()),
        ..kind("p/app", &["*.json"], FileFormat::Json)
    };
    let c = collect(root, &plan(vec![k]));
    let files: Vec<String> =
        list(get(&c, &["files", "p/app", "files"])).iter().map(|f| text(&f.value)).collect();
    assert_eq!(files, ["a.json"]);
    assert!(list(get(&c, &["collection", "unrecognised"]))
        .iter()
        .any(|f| f.value == Value::Str("b.json".into())));
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).expect("compress");
    e.finish().expect("finish")
}

#[test]
fn gz_artifacts_are_read_as_what_they_hold_and_bombs_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path();
    let log = b"Jan  5 10:00:00 web1 sshd[12]: Unable to negotiate with 10.0.0.9 port 5000\nJan  5 10:00:01 web1 sshd[12]: second\n";
    write(root, "var/log/auth.log.2.gz", &gz(log));
    write(root, "bomb.log.gz", &gz(&vec![b'a'; 16 << 20]));
    let mut truncated = gz(b"Jan  5 10:00:00 web1 sshd[1]: some text long enough to be cut short");
    truncated.truncate(30);
    write(root, "auth.log.3.gz", &truncated);
    let p = ScanPlan {
        log_kinds: vec![LogKindSpec {
            name: "p/authlog".into(),
            files: vec!["auth.log".into(), "auth.log.*".into(), "bomb.log".into()],
            record_start: r"[A-Z][a-z]{2} ".into(),
            fields: Some(r"^(?P<month>\S+)\s+\d+ \S+ (?P<host>\S+)".into()),
            no_year: false,
        }],
        signals: vec![triage_facts::SignalSpec {
            id: "p/refused".into(),
            log: "p/authlog".into(),
            pattern: "Unable to negotiate with (?P<client>\\S+)".into(),
            max_matches: 10,
        }],
        ..Default::default()
    };
    let c = collect(root, &p);
    let errs = errors(&c);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].starts_with("auth.log.3.gz: [discover] damaged gzip data after "), "{errs:?}");
    assert_eq!(
        errs[1],
        format!(
            "bomb.log.gz: [discover] gzip data decompresses to more than 200 times its {} bytes (the ratio limit), not read",
            gz(&vec![b'a'; 16 << 20]).len()
        )
    );
    let m = &list(get(&c, &["signals", "p/refused"]))[0];
    assert_eq!(str_at(&m.value, &["artifact"]), "var/log/auth.log.2.gz");
    assert_eq!(str_at(&m.value, &["line"]), "1");
    assert_eq!(str_at(&m.value, &["captures", "client"]), "10.0.0.9");
    assert_eq!(
        get(&c, &["logs", "p/authlog", "by_file", "var/log/auth.log.2.gz", "records"]),
        Some(&Value::Int(2))
    );
    assert_eq!(
        get(&c, &["collection", "artifacts", "var/log/auth.log.2.gz", "collector"]),
        Some(&Value::Str("custom-log".into()))
    );
}

#[test]
fn a_zip_bundle_keeps_the_files_an_include_names() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().join("host");
    write(&root, "etc/ssh/sshd_config", b"Include /etc/ssh/sshd_config.d/*.conf\nKexAlgorithms +a\n");
    write(&root, "etc/ssh/sshd_config.d/50-x.conf", b"KexAlgorithms curve25519-sha256\n");
    let p = plan(vec![sshd_kind()]);
    let cs = triage_collectors::all();
    let mut o = triage_collectors::bundle::CreateOptions::new(&cs, "0.1.0-test");
    o.plan = Some(&p);
    o.collected_at = Some(triage_facts::Timestamp(1_795_000_000_000));
    let zip = dir.path().join("b.zip");
    triage_collectors::bundle::create(&root, &zip, &o).expect("written");
    let facts =
        triage_collectors::bundle::open(&zip).expect("opens").collect_facts(&cs, Some(&p)).expect("collects");
    let first = facts
        .get_segments(&[
            "files",
            "p/sshd_config",
            "by_file",
            "etc/ssh/sshd_config",
            "first",
            "kexalgorithms",
            "artifact",
        ])
        .map(|f| f.value.clone());
    assert_eq!(first, Some(Value::Str("etc/ssh/sshd_config.d/50-x.conf".into())));
}
