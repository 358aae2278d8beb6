//! Where a `keyvalue` file's `include` lines lead, inside the input: the files are those of the
//! input folder (never outside it: no `..`, no link followed out), found the way a copied tree
//! lays them out. A relative path is taken from the including file's folder. An absolute one
//! (`/etc/ssh/sshd_config.d/*.conf`) is looked for under the including file's folder and each
//! folder above it up to the input root, with its leading folders dropped one at a time
//! (`etc/ssh/sshd_config.d/*.conf`, then `ssh/sshd_config.d/*.conf`, then
//! `sshd_config.d/*.conf`), so a copy of `/etc/ssh` and a copy of the whole root both work; the
//! longest that names a file wins. `*` and `?` match within one path segment (case-insensitive);
//! matches are read in lexical order, as sshd reads them (glob(3)).

use std::path::{Path, PathBuf};

use super::MAX_INCLUDED_FILES;

/// The input root an artifact at `path` with input path `rel` sits in (`path` without `rel`'s
/// segments), when `path` is `root/rel`.
pub(super) fn input_root(path: &Path, rel: &str) -> Option<PathBuf> {
    let n = rel.split('/').count();
    let root = path.ancestors().nth(n)?;
    (root.join(rel) == path).then(|| root.to_path_buf())
}

/// The input's files (rel paths) an include `pattern` written in `from_rel` names.
pub(super) fn resolve(root: &Path, from_rel: &str, pattern: &str) -> Vec<String> {
    let Ok(root) = std::fs::canonicalize(root) else { return Vec::new() };
    let mut folders: Vec<&str> = Vec::new();
    let mut dir = from_rel.rsplit_once('/').map_or("", |(d, _)| d);
    loop {
        folders.push(dir);
        if dir.is_empty() {
            break;
        }
        dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
    }
    let segments: Vec<&str> = pattern.split(['/', '\\']).filter(|s| !s.is_empty() && *s != ".").collect();
    if segments.is_empty() || segments.contains(&"..") || pattern.starts_with('~') {
        return Vec::new();
    }
    if !pattern.starts_with(['/', '\\']) {
        return expand(&root, folders[0], &segments);
    }
    let shortest = if segments.len() >= 2 { 2 } else { 1 };
    for start in 0..=segments.len() - shortest {
        for folder in &folders {
            let found = expand(&root, folder, &segments[start..]);
            if !found.is_empty() {
                return found;
            }
        }
    }
    Vec::new()
}

/// The regular files under `root/base` that `segments` name, sorted; at most
/// [`MAX_INCLUDED_FILES`] + 1 (the caller reports the limit).
fn expand(root: &Path, base: &str, segments: &[&str]) -> Vec<String> {
    let mut current: Vec<String> = vec![base.to_owned()];
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let mut next = Vec::new();
        for prefix in &current {
            let join =
                |name: &str| if prefix.is_empty() { name.to_owned() } else { format!("{prefix}/{name}") };
            if seg.contains(['*', '?']) {
                let Some(dir) = inside(root, prefix) else { continue };
                let Ok(entries) = std::fs::read_dir(dir) else { continue };
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| !n.starts_with('.') && crate::logs::glob_match(seg, n))
                    .collect();
                names.sort();
                next.extend(names.iter().map(|n| join(n)));
            } else {
                next.push(join(seg));
            }
            if next.len() > MAX_INCLUDED_FILES {
                break;
            }
        }
        current = next
            .into_iter()
            .filter(|rel| {
                if last {
                    crate::discover::resolve_inside(root, rel).is_ok()
                } else {
                    inside(root, rel).is_some_and(|p| p.is_dir())
                }
            })
            .collect();
    }
    current.sort();
    current
}

/// `root/rel` when it exists and, links resolved, stays inside `root` (canonical).
fn inside(root: &Path, rel: &str) -> Option<PathBuf> {
    let p = std::fs::canonicalize(if rel.is_empty() { root.to_path_buf() } else { root.join(rel) }).ok()?;
    p.starts_with(root).then_some(p)
}
