//! The fact catalogue is true, and its JSON Schema in `schema/facts.schema.json` is current.
//!
//! Every example under `examples/`, every case of the built-in packs and of the two third-party
//! packs (`tests/data/second-packs/`), and the collectors' own test data, collected with the
//! packs' scan plan, produce no fact path the catalogue does not declare, each with a declared
//! type (and signal matches only the fields their log kind declares). Each collector's
//! declarations stay inside the namespaces it says it `provides`.
//! `UPDATE_SCHEMA=1 cargo test --test fact_catalogue` rewrites the schema.

use std::path::{Path, PathBuf};

use triage_collectors::discover::{collect_path, DiscoverOptions};
use triage_engine::{load_pack, scan_plan, Evaluator, Pack, SourceFile};
use triage_facts::catalogue::Known;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `pack.toml` and `rules/**/*.toml` of a pack folder, with pack-relative `/` names.
fn pack_sources(dir: &Path) -> Vec<SourceFile> {
    let mut files = vec![SourceFile::new(
        "pack.toml",
        std::fs::read_to_string(dir.join("pack.toml")).expect("pack.toml"),
    )];
    let mut stack = vec![(dir.join("rules"), "rules".to_owned())];
    while let Some((d, rel)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries {
            let path = e.expect("directory entry").path();
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push((path, format!("{rel}/{name}")));
            } else if name.ends_with(".toml") {
                files.push(SourceFile::new(
                    format!("{rel}/{name}"),
                    std::fs::read_to_string(&path).expect("read"),
                ));
            }
        }
    }
    files
}

fn pack(dir: &Path) -> Pack {
    let loaded = load_pack(pack_sources(dir), &Evaluator::default());
    let errors: Vec<String> = loaded.errors().map(ToString::to_string).collect();
    loaded.pack.unwrap_or_else(|| panic!("{} does not load: {errors:?}", dir.display()))
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// The packs whose cases are collected, with their case folders.
fn packs_and_cases() -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut dirs = subdirs(&root().join("rules"));
    dirs.extend(subdirs(&root().join("tests/data/second-packs")));
    dirs.into_iter()
        .filter(|d| d.join("pack.toml").is_file())
        .map(|d| {
            let cases = subdirs(&d.join("tests/cases"));
            (d, cases)
        })
        .collect()
}

#[test]
fn collecting_every_example_and_pack_case_gives_only_declared_facts() {
    let all = packs_and_cases();
    let packs: Vec<Pack> = all.iter().map(|(d, _)| pack(d)).collect();
    let plan = scan_plan(&packs);
    let catalogue = triage_collectors::catalogue(Some(&plan));
    let collectors = triage_collectors::all();
    let mut inputs = subdirs(&root().join("examples"));
    for (_, cases) in &all {
        inputs.extend(cases.iter().cloned());
    }
    inputs.extend(subdirs(&root().join("collectors/tests/data")));
    assert!(inputs.len() > 60, "found only {} inputs", inputs.len());
    let mut problems = Vec::new();
    for input in &inputs {
        let collected =
            collect_path(input, &collectors, Some(&plan), &DiscoverOptions::default()).expect("collects");
        for u in catalogue.check(&collected.facts, Some(&plan)) {
            problems.push(format!("{}: {u}", input.strip_prefix(root()).unwrap_or(input).display()));
        }
    }
    assert!(problems.is_empty(), "facts the catalogue does not declare:\n{}", problems.join("\n"));
}

#[test]
fn a_collector_declares_only_facts_under_what_it_provides() {
    for c in triage_collectors::all() {
        let info = c.info();
        assert!(!info.facts.is_empty(), "{} declares no facts", info.name);
        for d in info.facts {
            assert!(
                info.provides.iter().any(|p| d.path == *p
                    || d.path.starts_with(&format!("{p}."))
                    || d.path.starts_with(&format!("{p}["))),
                "{}: {} is not under {:?}",
                info.name,
                d.path,
                info.provides
            );
        }
        for p in info.provides {
            assert!(
                info.facts.iter().any(|d| d.path == *p || d.path.starts_with(&format!("{p}."))),
                "{} provides {p} but declares nothing under it",
                info.name
            );
        }
    }
}

#[test]
fn pack_log_kinds_extend_the_catalogue() {
    let sshd = pack(&root().join("tests/data/second-packs/openssh-legacy-clients"));
    let plan = scan_plan([&sshd]);
    let without = triage_collectors::catalogue(None);
    let with = triage_collectors::catalogue(Some(&plan));
    let kind = &plan.log_kinds.first().expect("the sshd pack defines log kinds").name;
    let files = format!("logs.{kind}.files");
    assert_eq!(without.lookup_dotted(&files), None);
    assert!(matches!(with.lookup_dotted(&files), Some(Known::Declared { .. })), "{files}");
    assert!(with.log_kind(kind).is_some_and(|k| !k.fields.is_empty()), "{kind} has fields");
}

#[test]
fn fact_schema_is_current() {
    let generated = triage_collectors::catalogue(None).json_schema();
    let path = root().join("schema/facts.schema.json");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/facts.schema.json is stale, regenerate with `UPDATE_SCHEMA=1 cargo test --test fact_catalogue`"
    );
}

fn triage(args: &[&str]) -> (i32, String) {
    use assert_cmd::cargo::CommandCargoExt;
    let out = std::process::Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("triage runs");
    (out.status.code().expect("exited"), String::from_utf8(out.stdout).expect("UTF-8"))
}

#[test]
fn collectors_facts_prints_the_catalogue() {
    let (code, human) = triage(&["collectors", "--facts"]);
    assert_eq!(code, 0);
    let line = human.lines().find(|l| l.trim_start().starts_with("os.build ")).expect("os.build is listed");
    assert!(line.contains("integer") && line.contains("CurrentBuild"), "{line}");
    assert!(human.contains("record fields of log kind wsus (wsus-log)"), "{human}");

    let (code, json) = triage(&["collectors", "--facts", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let build: Vec<&serde_json::Value> =
        v["facts"].as_array().expect("facts").iter().filter(|e| e["path"] == "os.build").collect();
    assert_eq!(build.len(), 2, "registry and systeminfo both write os.build");
    assert_eq!(build[0]["types"], serde_json::json!(["integer"]));
    assert_eq!(build[0]["collector"], "registry");
    assert!(build[0]["artifact"].as_str().expect("artifact").contains("registry exports"));
    assert_eq!(v["log_kinds"]["configmgr"]["fields"][0]["name"], "time");
    assert_eq!(triage(&["collectors", "--facts", "--format", "json"]).1, json, "deterministic");
}

#[test]
fn collectors_facts_with_a_pack_lists_its_log_kinds() {
    let sshd = root().join("tests/data/second-packs/openssh-legacy-clients");
    let (code, json) =
        triage(&["collectors", "--facts", "--format", "json", "--pack", sshd.to_str().expect("utf-8")]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let kinds: Vec<&String> = v["log_kinds"].as_object().expect("kinds").keys().collect();
    assert!(kinds.iter().any(|k| k.starts_with("openssh-legacy-clients/")), "{kinds:?}");
    assert!(v["facts"].as_array().expect("facts").iter().any(|e| e["path"]
        .as_str()
        .is_some_and(|p| p.starts_with("logs.openssh-legacy-clients/") && p.ends_with(".files"))));
}

#[test]
fn schema_facts_prints_the_committed_schema() {
    let (code, out) = triage(&["schema", "facts"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(root().join("schema/facts.schema.json")).expect("committed");
    assert_eq!(out, committed);
}

/// A requirement on a fact no collector provides says so (with the path it most likely meant)
/// instead of asking for artifacts that were given.
#[test]
fn a_required_fact_nothing_provides_is_named_as_such() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("pack.toml"),
        r#"[pack]
id = "typo"
version = "0.1.0"
engine = "^0.2"
title = "A typo in requires"

[[rule]]
id = "TYPO001"
title = "Old build"
severity = "warning"
requires = ["os.biuld"]
when = 'facts.os.build < 9600'
resolution = "Upgrade."

[[rule]]
id = "TYPO002"
title = "Old build, read without requires"
severity = "warning"
when = 'facts.os.biuld < 9600'
resolution = "Upgrade."
"#,
    )
    .expect("write pack");
    let pack = dir.path().to_str().expect("utf-8");
    let input = root().join("examples/healthy");
    let (code, json) = triage(&["run", "--format", "json", "--pack", pack, input.to_str().expect("utf-8")]);
    assert_eq!(code, 3, "incomplete: {json}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let missing: Vec<&serde_json::Value> =
        v["findings"].as_array().expect("findings").iter().map(|f| &f["missing"]).collect();
    let expected = serde_json::json!([{ "fact": "os.biuld (no collector provides `os.biuld`; did you mean `os.build`?)" }]);
    assert_eq!(missing, [&expected, &expected]);
}
