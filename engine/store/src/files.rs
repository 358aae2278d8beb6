//! A pack's files in memory, the rules their paths must follow, and the manifest of their hashes.
//!
//! The manifest (`MANIFEST.sha256`) lists every file of the pack except itself and its
//! signature, one per line, sorted by path, in the format `sha256sum` writes and checks:
//! `<64 lowercase hex>  <path>\n`. A pack folder can be checked with `sha256sum -c
//! MANIFEST.sha256`. The SHA-256 of the manifest's bytes is the pack's content hash: the lock
//! file records it and the signature covers it, so one signature vouches for every file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{io_err, Error, Result};

/// The manifest's file name, at the root of a pack folder or archive.
pub const MANIFEST_NAME: &str = "MANIFEST.sha256";
/// The detached signature of the manifest, next to it in a pack folder.
pub const SIGNATURE_NAME: &str = "MANIFEST.sha256.minisig";

/// Largest file a pack may hold.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest total size of a pack's files.
pub const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;
/// Most files a pack may hold.
pub const MAX_FILES: usize = 10_000;
/// Longest path inside a pack.
pub const MAX_PATH_LEN: usize = 400;

/// A pack's files: relative `/`-separated path → bytes, sorted. Never holds the manifest or
/// its signature.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl PackFiles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file after checking its path, size and the pack's limits.
    pub fn insert(&mut self, path: &str, bytes: Vec<u8>) -> Result<()> {
        check_path(path)?;
        if path == MANIFEST_NAME || path == SIGNATURE_NAME {
            return Err(Error::UnsafePath { path: path.into(), reason: "reserved name".into() });
        }
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(Error::UnsafePath {
                path: path.into(),
                reason: format!("file is {} bytes, more than the limit of {MAX_FILE_BYTES}", bytes.len()),
            });
        }
        if self.files.len() >= MAX_FILES {
            return Err(Error::UnsafePath {
                path: path.into(),
                reason: format!("more than {MAX_FILES} files"),
            });
        }
        let total: u64 = self.total_bytes() + bytes.len() as u64;
        if total > MAX_TOTAL_BYTES {
            return Err(Error::UnsafePath {
                path: path.into(),
                reason: format!("the pack's files exceed {MAX_TOTAL_BYTES} bytes in total"),
            });
        }
        if self.files.contains_key(path) {
            return Err(Error::UnsafePath { path: path.into(), reason: "duplicate path".into() });
        }
        // A file may not also be a directory of another file ("a" and "a/b").
        let as_dir = format!("{path}/");
        if self.files.range(as_dir.clone()..).next().is_some_and(|(k, _)| k.starts_with(&as_dir))
            || ancestors(path).any(|dir| self.files.contains_key(dir))
        {
            return Err(Error::UnsafePath {
                path: path.into(),
                reason: "a file and a folder share this name".into(),
            });
        }
        self.files.insert(path.to_owned(), bytes);
        Ok(())
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|v| v.len() as u64).sum()
    }

    /// The manifest text of these files.
    pub fn manifest(&self) -> String {
        let mut out = String::new();
        for (path, bytes) in &self.files {
            let _ = writeln!(out, "{}  {path}", hex(&Sha256::digest(bytes)));
        }
        out
    }

    /// Checks these files against a manifest: same paths, same hashes. Lists every difference.
    pub fn verify(&self, manifest: &[u8]) -> Result<()> {
        let listed = parse_manifest(manifest)?;
        let mut problems = Vec::new();
        for (path, hash) in &listed {
            match self.files.get(path) {
                None => problems.push(format!("  missing: {path}")),
                Some(bytes) if &hex(&Sha256::digest(bytes)) != hash => {
                    problems.push(format!("  changed: {path}"))
                }
                Some(_) => {}
            }
        }
        for path in self.files.keys() {
            if !listed.contains_key(path) {
                problems.push(format!("  not in the manifest: {path}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Tampered { problems })
        }
    }

    /// Reads a pack folder: every regular file, except `.git/` and the manifest and signature at
    /// the root. Links are refused (a pack must not point outside itself).
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let mut out = PackFiles::new();
        let walker = walkdir::WalkDir::new(dir).follow_links(false).sort_by_file_name().into_iter();
        let walker = walker.filter_entry(|e| !(e.depth() == 1 && e.file_name() == ".git"));
        for entry in walker {
            let entry = entry.map_err(|e| Error::Io {
                path: e.path().unwrap_or(dir).to_owned(),
                source: e.into_io_error().unwrap_or_else(|| std::io::Error::other("file system loop")),
            })?;
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            let rel_str = rel
                .components()
                .map(|c| c.as_os_str().to_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(|v| v.join("/"))
                .ok_or_else(|| Error::UnsafePath {
                    path: rel.display().to_string(),
                    reason: "not valid UTF-8".into(),
                })?;
            let ft = entry.file_type();
            if ft.is_symlink() {
                return Err(Error::UnsafePath {
                    path: rel_str,
                    reason: "links are not allowed in a pack".into(),
                });
            }
            if ft.is_dir() {
                continue;
            }
            if !ft.is_file() {
                return Err(Error::UnsafePath { path: rel_str, reason: "not a regular file".into() });
            }
            if rel_str == MANIFEST_NAME || rel_str == SIGNATURE_NAME {
                continue;
            }
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if len > MAX_FILE_BYTES {
                return Err(Error::UnsafePath {
                    path: rel_str,
                    reason: format!("file is {len} bytes, more than the limit of {MAX_FILE_BYTES}"),
                });
            }
            let bytes = std::fs::read(entry.path()).map_err(io_err(entry.path()))?;
            out.insert(&rel_str, bytes)?;
        }
        Ok(out)
    }

    /// Writes the files into a new temporary folder, removed when the result is dropped.
    pub fn write_to_temp(&self) -> Result<tempfile::TempDir> {
        let tmp = tempfile::tempdir().map_err(io_err(std::env::temp_dir()))?;
        self.write_to(tmp.path())?;
        Ok(tmp)
    }

    /// Writes the files under `dir` (which must exist and be empty), creating folders.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        for (path, bytes) in &self.files {
            let target = dir.join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io_err(parent))?;
            }
            std::fs::write(&target, bytes).map_err(io_err(&target))?;
        }
        Ok(())
    }
}

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices().filter(|&(_, c)| c == '/').map(move |(i, _)| &path[..i])
}

/// Checks a path read from a pack folder, an archive or a manifest: relative, `/`-separated,
/// no `.` or `..` components, no empty components, no backslashes, drive letters or control
/// characters, and not too long.
pub fn check_path(path: &str) -> Result<()> {
    let bad = |reason: &str| Err(Error::UnsafePath { path: path.into(), reason: reason.into() });
    if path.is_empty() {
        return bad("empty path");
    }
    if path.len() > MAX_PATH_LEN {
        return bad("path too long");
    }
    if path.starts_with('/') {
        return bad("absolute path");
    }
    if path.contains('\\') {
        return bad("backslash in path");
    }
    if path.contains(':') {
        return bad("colon in path (drive letter or stream name)");
    }
    if path.chars().any(char::is_control) {
        return bad("control character in path");
    }
    for comp in path.split('/') {
        match comp {
            "" => return bad("empty path component"),
            "." | ".." => return bad("`.` or `..` in path"),
            _ => {}
        }
    }
    Ok(())
}

/// Parses a manifest strictly: `<64 lowercase hex>  <path>` lines, sorted by path, no
/// duplicates, every path valid.
pub fn parse_manifest(bytes: &[u8]) -> Result<BTreeMap<String, String>> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| Error::BadManifest { line: 1, reason: "not UTF-8".into() })?;
    let mut out = BTreeMap::new();
    let mut prev: Option<&str> = None;
    for (i, line) in text.split_terminator('\n').enumerate() {
        let n = i + 1;
        let bad = |reason: String| Error::BadManifest { line: n, reason };
        let (hash, path) = line.split_once("  ").ok_or_else(|| bad("expected `<sha256>  <path>`".into()))?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(bad("expected 64 lowercase hexadecimal digits".into()));
        }
        check_path(path).map_err(|e| bad(e.to_string()))?;
        if path == MANIFEST_NAME || path == SIGNATURE_NAME {
            return Err(bad(format!("{path} must not list itself")));
        }
        if prev.is_some_and(|p| p >= path) {
            return Err(bad("paths must be sorted and unique".into()));
        }
        prev = Some(path);
        out.insert(path.to_owned(), hash.to_owned());
    }
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(Error::BadManifest { line: out.len(), reason: "missing final newline".into() });
    }
    if out.is_empty() {
        return Err(Error::BadManifest { line: 1, reason: "empty manifest".into() });
    }
    Ok(out)
}

/// `sha256:<hex>` of some bytes: how content hashes are written everywhere.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> PackFiles {
        let mut f = PackFiles::new();
        for (p, c) in list {
            f.insert(p, c.as_bytes().to_vec()).expect("valid path");
        }
        f
    }

    #[test]
    fn manifest_is_sha256sum_format_sorted() {
        let f = files(&[("rules/b.toml", "b"), ("pack.toml", "a")]);
        let m = f.manifest();
        assert_eq!(
            m,
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  pack.toml\n\
             3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  rules/b.toml\n"
        );
        f.verify(m.as_bytes()).expect("matches itself");
    }

    #[test]
    fn verify_lists_every_difference() {
        let f = files(&[("a", "1"), ("b", "2")]);
        let m = f.manifest();
        let g = files(&[("a", "changed"), ("c", "3")]);
        let Err(Error::Tampered { problems }) = g.verify(m.as_bytes()) else { panic!("expected tampering") };
        assert_eq!(problems, vec!["  changed: a", "  missing: b", "  not in the manifest: c"]);
    }

    #[test]
    fn unsafe_paths_are_refused() {
        for p in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b", "C:x", "a\nb", "a/."] {
            assert!(check_path(p).is_err(), "{p:?} should be refused");
        }
        for p in ["pack.toml", "rules/a.toml", "tests/case 1/SoftwareDistribution.log", ".hidden"] {
            check_path(p).expect("valid");
        }
    }

    #[test]
    fn file_and_folder_clash_refused() {
        let mut f = files(&[("a/b", "x")]);
        assert!(f.insert("a", vec![]).is_err());
        let mut g = files(&[("a", "x")]);
        assert!(g.insert("a/b", vec![]).is_err());
        assert!(g.insert("a", vec![]).is_err(), "duplicate");
        assert!(g.insert(MANIFEST_NAME, vec![]).is_err(), "reserved");
    }

    #[test]
    fn malformed_manifests_refused() {
        let h = "a".repeat(64);
        for m in [
            String::new(),
            format!("{h} pack.toml\n"),
            format!("{}  pack.toml\n", "A".repeat(64)),
            format!("{h}  b\n{h}  a\n"),
            format!("{h}  a\n{h}  a\n"),
            format!("{h}  ../a\n"),
            format!("{h}  a"),
            format!("{h}  {MANIFEST_NAME}\n"),
        ] {
            assert!(parse_manifest(m.as_bytes()).is_err(), "{m:?} should be refused");
        }
        assert_eq!(parse_manifest(format!("{h}  a\n").as_bytes()).expect("valid").len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn manifest_round_trips(names in proptest::collection::btree_set("[a-z]{1,5}(/[a-z]{1,5})?", 1..8)) {
            let mut f = PackFiles::new();
            for n in &names {
                // Skip names that clash with a folder of another name; insert refuses those.
                let _ = f.insert(n, n.as_bytes().to_vec());
            }
            if !f.is_empty() {
                let m = f.manifest();
                let parsed = parse_manifest(m.as_bytes()).expect("own manifest parses");
                proptest::prop_assert_eq!(parsed.len(), f.len());
                proptest::prop_assert!(f.verify(m.as_bytes()).is_ok());
            }
        }
    }
}
