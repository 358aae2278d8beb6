//! The wsus-tls pack's case folders and `examples/` are what `rules/wsus-tls/tests/make_fixtures.py`
//! writes (with `evtx_writer.py` for the event logs): the script is run on a copy of itself in a
//! temporary tree and both outputs are compared file by file with what is committed. A hand edit to a fixture, or a script change without a
//! re-run, fails here.
//!
//! Needs `python3`; outside CI a missing interpreter skips the test (with a message), under
//! `CI=true` it fails.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SCRIPT: &str = "rules/wsus-tls/tests/make_fixtures.py";
/// The modules the script imports, copied beside it.
const MODULES: &[&str] = &["rules/wsus-tls/tests/evtx_writer.py"];

/// Every file under `dir`, by `/`-separated relative path, with its bytes; `README.md` files are
/// written by hand and left out.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.file_name().is_some_and(|n| n != "README.md") {
                let rel = p.strip_prefix(base).expect("under base").to_string_lossy().replace('\\', "/");
                out.insert(rel, fs::read(&p).expect("read fixture"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn compare(what: &str, committed: &Path, generated: &Path) {
    let (c, g) = (tree(committed), tree(generated));
    let only_c: Vec<&String> = c.keys().filter(|k| !g.contains_key(*k)).collect();
    let only_g: Vec<&String> = g.keys().filter(|k| !c.contains_key(*k)).collect();
    assert!(only_c.is_empty(), "{what}: committed but not written by {SCRIPT}: {only_c:?}");
    assert!(only_g.is_empty(), "{what}: written by {SCRIPT} but not committed: {only_g:?}");
    let differ: Vec<&String> = c.iter().filter(|(k, v)| g.get(*k) != Some(*v)).map(|(k, _)| k).collect();
    assert!(
        differ.is_empty(),
        "{what}: these differ from what {SCRIPT} writes (run `python3 {SCRIPT}` and commit): {differ:?}"
    );
    assert!(c.len() > 10, "{what}: only {} files: the comparison would prove nothing", c.len());
}

#[test]
fn pack_cases_and_examples_are_what_make_fixtures_writes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let copy: PathBuf = tmp.path().join(SCRIPT);
    fs::create_dir_all(copy.parent().expect("parent")).expect("mkdir");
    fs::copy(Path::new(ROOT).join(SCRIPT), &copy).expect("copy the script");
    for m in MODULES {
        fs::copy(Path::new(ROOT).join(m), tmp.path().join(m)).expect("copy a module of the script");
    }
    let out = match Command::new("python3").arg(&copy).stdin(Stdio::null()).output() {
        Ok(out) => out,
        Err(e) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "python3 cannot run ({e}), and CI=true");
            eprintln!(
                "SKIPPED pack_cases_and_examples_are_what_make_fixtures_writes: python3 cannot run ({e})"
            );
            return;
        }
    };
    assert!(out.status.success(), "{SCRIPT} failed: {}", String::from_utf8_lossy(&out.stderr));
    compare(
        "rules/wsus-tls/tests/cases",
        &Path::new(ROOT).join("rules/wsus-tls/tests/cases"),
        &tmp.path().join("rules/wsus-tls/tests/cases"),
    );
    compare("examples", &Path::new(ROOT).join("examples"), &tmp.path().join("examples"));
}
