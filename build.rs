//! Embeds the packs that ship in `rules/` into the binary.
//!
//! Each folder `rules/<pack>/` holding a `pack.toml` is a pack; its `pack.toml` and every
//! `*.toml` under its `rules/` subfolder are embedded (the same files `--pack DIR` reads from
//! disk, see `src/packs.rs`). The generated file is `$OUT_DIR/embedded_packs.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=build.rs");
    commit(&root);

    let mut packs: Vec<(String, Vec<(String, PathBuf)>)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&rules) {
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("pack.toml").is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut files = vec![("pack.toml".to_owned(), dir.join("pack.toml"))];
            let mut more = Vec::new();
            toml_files(&dir.join("rules"), "rules", &mut more);
            more.sort();
            files.extend(more);
            packs.push((name, files));
        }
    }

    let mut out =
        String::from("/// `(folder name, [(pack-relative file name, text)])` for every shipped pack.\n");
    out.push_str("pub static EMBEDDED_PACKS: &[(&str, &[(&str, &str)])] = &[\n");
    for (name, files) in &packs {
        let _ = writeln!(out, "    ({name:?}, &[");
        for (rel, path) in files {
            let _ = writeln!(out, "        ({rel:?}, include_str!({:?})),", path.display().to_string());
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_packs.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// `TRIAGE_COMMIT`, the commit `triage --version` names: `git rev-parse --short=12 HEAD` (the
/// commit the tree was checked out at; uncommitted changes are not flagged), `unknown` outside a
/// git checkout. Rebuilt when HEAD or the branch it names moves.
fn commit(root: &Path) {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=TRIAGE_COMMIT={commit}");
    let mut watched = vec!["HEAD".to_owned()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            println!("cargo:rerun-if-changed={}", root.join(path).display());
        }
    }
}

fn toml_files(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            toml_files(&path, &format!("{rel}/{name}"), out);
        } else if name.ends_with(".toml") {
            out.push((format!("{rel}/{name}"), path));
        }
    }
}
