//! The committed JSON Schemas in `schema/` must match the Rust types they are generated from.

use std::path::{Path, PathBuf};

fn check(file: &str, generated: String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("schema").join(file);
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().expect("schema dir")).expect("create schema/");
        std::fs::write(&path, generated).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/{file}: schema changed, regenerate with `UPDATE_SCHEMA=1 cargo test -p triage-engine --test schema`"
    );
}

#[test]
fn pack_schema_is_current() {
    check("pack.schema.json", triage_engine::schema::pack_schema());
}

#[test]
fn report_schema_is_current() {
    check("report.schema.json", triage_engine::schema::report_schema());
}

/// Packs that are broken on purpose (their tests check the diagnostics), so not schema examples.
const BROKEN_ON_PURPOSE: &[&str] = &["engine/tests/data/many-mistakes", "tests/data/packs/invalid"];

/// Every pack folder (one holding `pack.toml`) under `dir`, recursively, as workspace-relative paths.
fn packs_under(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.expect("dir entry").path()).collect();
    entries.sort();
    if entries.iter().any(|p| p.file_name().is_some_and(|n| n == "pack.toml")) {
        let rel = dir.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
        out.push(rel);
    }
    for p in entries {
        if p.is_dir() && !p.is_symlink() {
            packs_under(root, &p, out);
        }
    }
}

/// A pack's own TOML files: `pack.toml` and everything under it but its `tests/` folder.
fn pack_tomls(dir: &Path, top: bool, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read pack folder") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            if !(top && p.file_name().is_some_and(|n| n == "tests")) {
                pack_tomls(&p, false, out);
            }
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// Every pack that ships or that the tests use (`rules/`, `tests/data/packs/`, the engine's test
/// data) parses, file by file, as the schema's Rust type: what the schema promises an editor is
/// what the loader reads.
#[test]
fn pack_files_deserialise_as_the_schema_type() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().expect("workspace root");
    let mut packs = Vec::new();
    for dir in ["rules", "tests/data/packs", "engine/tests/data"] {
        packs_under(&root, &root.join(dir), &mut packs);
    }
    packs.sort();
    assert_eq!(
        packs,
        [
            "engine/tests/data/many-mistakes",
            "engine/tests/data/valid",
            "rules/wsus-tls",
            "tests/data/packs/demo",
            "tests/data/packs/incomplete",
            "tests/data/packs/invalid",
            "tests/data/packs/many-matches",
            "tests/data/packs/report-outcomes",
            "tests/data/packs/thief",
        ],
        "the packs this test knows; add a new one here"
    );
    let mut checked = 0;
    for pack in packs.iter().filter(|p| !BROKEN_ON_PURPOSE.contains(&p.as_str())) {
        let mut files = Vec::new();
        pack_tomls(&root.join(pack), true, &mut files);
        files.sort();
        assert!(!files.is_empty(), "{pack}: no TOML files");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let parsed: Result<triage_engine::pack::format::PackFile, _> = toml::from_str(&text);
            assert!(parsed.is_ok(), "{}: {parsed:?}", f.display());
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} files checked");
}
