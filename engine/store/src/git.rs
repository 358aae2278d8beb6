//! Fetching a pack from git with the `git` command (already configured for the user's
//! credentials and proxies, and no new dependency). `URL@REV` pins a tag, branch or commit;
//! without `@REV` the remote's default branch is used. Only a fresh clone into a temporary
//! folder is ever made; nothing in it is run (clones do not run hooks, and no submodules are
//! fetched).

use std::path::Path;
use std::process::Command;

use crate::{Error, Result};

/// A git source: URL and optional revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSource {
    pub url: String,
    pub rev: Option<String>,
}

/// Recognises a git source: `git+URL`, `file://`, `https://`, `http://`, `ssh://`, `git://`,
/// `git@host:path` or anything ending in `.git`, with an optional `@REV` after the last `/`.
pub fn parse_spec(spec: &str) -> Option<GitSource> {
    let s = spec.strip_prefix("git+").unwrap_or(spec);
    let gitlike = spec.starts_with("git+")
        || ["file://", "https://", "http://", "ssh://", "git://", "git@"].iter().any(|p| s.starts_with(p));
    let (url, rev) = match s.rfind('@') {
        Some(at) if !s[at + 1..].contains('/') && !s[at + 1..].contains(':') && at > 0 => {
            (&s[..at], Some(s[at + 1..].to_owned()))
        }
        _ => (s, None),
    };
    if gitlike || url.ends_with(".git") {
        Some(GitSource { url: url.to_owned(), rev: rev.filter(|r| !r.is_empty()) })
    } else {
        None
    }
}

fn git(args: &[&str], cwd: Option<&Path>) -> Result<String> {
    let mut cmd = Command::new("git");
    if let Some(d) = cwd {
        cmd.arg("-C").arg(d);
    }
    cmd.args(args).env("GIT_TERMINAL_PROMPT", "0").env("GIT_ASKPASS", "true");
    let out = cmd.output().map_err(|e| Error::Git(format!("cannot run git: {e} (is git installed?)")))?;
    if !out.status.success() {
        return Err(Error::Git(format!(
            "git {} failed: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Clones `src` into `into` (which must not exist or be empty), checks out the revision and
/// returns the commit hash.
pub fn fetch(src: &GitSource, into: &Path) -> Result<String> {
    if src.url.starts_with('-') || src.rev.as_deref().is_some_and(|r| r.starts_with('-')) {
        return Err(Error::Git("a URL or revision may not start with `-`".into()));
    }
    let dest = into.to_str().ok_or_else(|| Error::Git("temporary folder path is not UTF-8".into()))?;
    git(&["clone", "--quiet", "--no-checkout", "--", &src.url, dest], None)?;
    let rev = src.rev.as_deref().unwrap_or("HEAD");
    // Resolve first so a branch name that exists only on the remote works too.
    let commit = git(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")], Some(into))
        .or_else(|_| {
            git(&["rev-parse", "--verify", "--quiet", &format!("origin/{rev}^{{commit}}")], Some(into))
        })
        .map_err(|_| Error::Git(format!("revision `{rev}` not found in {}", src.url)))?;
    git(&["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", &commit], Some(into))?;
    Ok(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let g =
            |url: &str, rev: Option<&str>| Some(GitSource { url: url.into(), rev: rev.map(str::to_owned) });
        assert_eq!(parse_spec("file:///tmp/repo"), g("file:///tmp/repo", None));
        assert_eq!(parse_spec("file:///tmp/repo@v1.2.0"), g("file:///tmp/repo", Some("v1.2.0")));
        assert_eq!(parse_spec("git+https://h/r@main"), g("https://h/r", Some("main")));
        assert_eq!(parse_spec("git@github.com:org/packs.git"), g("git@github.com:org/packs.git", None));
        assert_eq!(parse_spec("ssh://git@h/r.git@abc123"), g("ssh://git@h/r.git", Some("abc123")));
        assert_eq!(parse_spec("rules/wsus-tls"), None);
        assert_eq!(parse_spec("dist/wsus-tls-1.0.0.tar.gz"), None);
    }
}
