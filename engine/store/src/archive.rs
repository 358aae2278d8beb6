//! Pack archives: the deterministic `.tar.gz` `triage pack build` writes, and the reader of
//! archives from elsewhere, which trusts nothing in them.
//!
//! Layout: `MANIFEST.sha256` first, then every file of the pack in path order, all at the root
//! of the archive (no leading folder). Every header is fixed: regular files only, mode 0644,
//! mtime 0, uid/gid 0, no user or group names; the gzip header carries no name and no time.
//! The same pack folder therefore gives the same archive, byte for byte, on any machine.
//!
//! Reading refuses: absolute paths, `..`, empty or odd components, links, devices and any entry
//! that is not a regular file or folder, duplicates, entries over [`MAX_FILE_BYTES`], more than
//! [`MAX_FILES`] entries or [`MAX_TOTAL_BYTES`] in total. It never extracts anything: the result
//! is in memory, checked against the manifest before the store writes a byte.

use std::io::{Read, Write};
use std::path::Path;

use flate2::{Compression, GzBuilder};

use crate::files::{PackFiles, MANIFEST_NAME, MAX_FILES, MAX_FILE_BYTES, MAX_TOTAL_BYTES};
use crate::{io_err, Error, Result};

/// Fixed modification time of every entry (the Unix epoch).
const MTIME: u64 = 0;

/// Builds the archive bytes of a pack: its manifest and its files.
pub fn build(files: &PackFiles) -> Result<Vec<u8>> {
    let manifest = files.manifest();
    let gz = GzBuilder::new().mtime(0).write(Vec::new(), Compression::new(9));
    let mut tar = tar::Builder::new(gz);
    let mut append = |path: &str, bytes: &[u8]| -> std::io::Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(bytes.len() as u64);
        tar.append_data(&mut h, path, bytes)
    };
    let wrap = |e: std::io::Error| Error::Archive { archive: "(new)".into(), reason: e.to_string() };
    append(MANIFEST_NAME, manifest.as_bytes()).map_err(wrap)?;
    for (path, bytes) in files.iter() {
        append(path, bytes).map_err(wrap)?;
    }
    let gz = tar.into_inner().map_err(wrap)?;
    let mut out = gz.finish().map_err(wrap)?;
    out.flush().map_err(wrap)?;
    Ok(out)
}

/// What an archive holds: the files, and the manifest bytes it carried.
#[derive(Debug, Clone)]
pub struct Unpacked {
    pub files: PackFiles,
    pub manifest: Vec<u8>,
}

/// Reads an archive file (see [`read`]).
pub fn read_file(path: &Path) -> Result<Unpacked> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    read(f, &path.display().to_string())
}

/// Reads an untrusted `.tar.gz` into memory, refusing anything unsafe. `name` is for messages.
/// The manifest must be present; checking the files against it is the caller's next step.
pub fn read(reader: impl Read, name: &str) -> Result<Unpacked> {
    let bad = |reason: String| Error::Archive { archive: name.to_owned(), reason };
    let gz = flate2::read::GzDecoder::new(reader);
    // Bound what decompression can produce, whatever the headers claim.
    let limit = MAX_TOTAL_BYTES + (MAX_FILES as u64 + 2) * 1024 + 1024 * 1024;
    let mut archive = tar::Archive::new(gz.take(limit));
    let mut files = PackFiles::new();
    let mut manifest: Option<Vec<u8>> = None;
    let entries = archive.entries().map_err(|e| bad(e.to_string()))?;
    for (n, entry) in entries.enumerate() {
        if n > MAX_FILES + 1 {
            return Err(bad(format!("more than {MAX_FILES} entries")));
        }
        let mut entry = entry.map_err(|e| bad(format!("entry {}: {e}", n + 1)))?;
        let raw = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw).map_err(|_| bad(format!("entry {}: path is not UTF-8", n + 1)))?;
        let kind = entry.header().entry_type();
        let size = entry.header().size().map_err(|e| bad(format!("{path}: {e}")))?;
        match kind {
            tar::EntryType::Directory => {
                let dir = path.trim_end_matches('/');
                crate::files::check_path(dir)?;
                if size != 0 {
                    return Err(bad(format!("{path}: a folder entry with content")));
                }
                continue;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Symlink | tar::EntryType::Link => {
                return Err(Error::UnsafePath {
                    path,
                    reason: "links are not allowed in a pack archive".into(),
                })
            }
            other => {
                return Err(Error::UnsafePath {
                    path,
                    reason: format!("entry type {other:?} is not allowed in a pack archive"),
                })
            }
        }
        crate::files::check_path(&path)?;
        if size > MAX_FILE_BYTES {
            return Err(Error::UnsafePath {
                path,
                reason: format!("entry is {size} bytes, more than the limit of {MAX_FILE_BYTES}"),
            });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{path}: {e}")))?;
        if bytes.len() as u64 != size {
            return Err(bad(format!("{path}: truncated entry")));
        }
        if path == MANIFEST_NAME {
            if manifest.is_some() {
                return Err(bad(format!("two {MANIFEST_NAME} entries")));
            }
            manifest = Some(bytes);
        } else {
            files.insert(&path, bytes)?;
        }
    }
    let manifest = manifest.ok_or_else(|| {
        bad(format!("no {MANIFEST_NAME}: not a pack archive (build one with `triage pack build`)"))
    })?;
    Ok(Unpacked { files, manifest })
}

/// The archive's conventional file name.
pub fn file_name(id: &str, version: &semver::Version) -> String {
    format!("{id}-{version}.tar.gz")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PackFiles {
        let mut f = PackFiles::new();
        f.insert("pack.toml", b"[pack]\nid = \"x\"\n".to_vec()).expect("ok");
        f.insert("tests/a/SoftwareDistribution.log", b"log".to_vec()).expect("ok");
        f
    }

    #[test]
    fn build_is_deterministic_and_round_trips() {
        let a = build(&sample()).expect("builds");
        let b = build(&sample()).expect("builds");
        assert_eq!(a, b);
        let u = read(a.as_slice(), "t").expect("reads");
        assert_eq!(u.files, sample());
        assert_eq!(u.manifest, sample().manifest().into_bytes());
        // gzip header: no mtime (bytes 4..8 zero).
        assert_eq!(&a[4..8], &[0, 0, 0, 0]);
    }

    fn raw_tar(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let gz = GzBuilder::new().write(Vec::new(), Compression::default());
        let mut t = tar::Builder::new(gz);
        for (p, kind, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // Write the name bytes directly: `set_path` itself refuses `..`.
            let name = &mut h.as_old_mut().name;
            name[..p.len()].copy_from_slice(p.as_bytes());
            if *kind == tar::EntryType::Symlink {
                h.set_link_name("/etc/passwd").expect("link name");
            }
            h.set_cksum();
            t.append(&h, *data).expect("append");
        }
        t.into_inner().expect("tar").finish().expect("gz")
    }

    #[test]
    fn unsafe_archives_refused() {
        let m = MANIFEST_NAME;
        let reg = tar::EntryType::Regular;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("traversal", raw_tar(&[(m, reg, b""), ("../evil", reg, b"x")])),
            ("absolute", raw_tar(&[(m, reg, b""), ("/etc/evil", reg, b"x")])),
            ("symlink", raw_tar(&[(m, reg, b""), ("link", tar::EntryType::Symlink, b"")])),
            ("hardlink", raw_tar(&[(m, reg, b""), ("link", tar::EntryType::Link, b"")])),
            ("fifo", raw_tar(&[(m, reg, b""), ("fifo", tar::EntryType::Fifo, b"")])),
            ("duplicate", raw_tar(&[(m, reg, b""), ("a", reg, b"1"), ("a", reg, b"2")])),
            ("no manifest", raw_tar(&[("a", reg, b"1")])),
        ];
        for (what, bytes) in cases {
            assert!(read(bytes.as_slice(), what).is_err(), "{what} archive should be refused");
        }
        assert!(read(&b"not gzip"[..], "junk").is_err());
    }

    #[test]
    fn oversized_entry_refused_from_header() {
        // A header claiming a huge size is refused before anything is read.
        let gz = GzBuilder::new().write(Vec::new(), Compression::default());
        let mut t = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_path("big").expect("path");
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(MAX_FILE_BYTES + 1);
        h.set_cksum();
        let mut raw = Vec::new();
        raw.extend_from_slice(h.as_bytes());
        t.get_mut().write_all(&raw).expect("write header");
        let bytes = t.into_inner().expect("tar").finish().expect("gz");
        let err = read(bytes.as_slice(), "big").expect_err("refused");
        assert!(err.to_string().contains("limit"), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Damaged archives are refused or read, never a panic; whatever is read still has
        /// only safe paths.
        #[test]
        fn damaged_archives_never_panic(flips in proptest::collection::vec((0usize..4096, 0u8..=255), 1..8)) {
            let good = build(&sample()).expect("builds");
            let mut raw = flate2::read::GzDecoder::new(good.as_slice());
            let mut tar_bytes = Vec::new();
            raw.read_to_end(&mut tar_bytes).expect("gunzip");
            for (at, b) in flips {
                let i = at % tar_bytes.len();
                tar_bytes[i] = b;
            }
            let gz = GzBuilder::new().write(Vec::new(), Compression::fast());
            let mut w = gz;
            w.write_all(&tar_bytes).expect("gzip");
            let bytes = w.finish().expect("gzip");
            if let Ok(u) = read(bytes.as_slice(), "fuzz") {
                for (p, _) in u.files.iter() {
                    proptest::prop_assert!(crate::files::check_path(p).is_ok());
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = read(bytes.as_slice(), "junk");
        }
    }
}
