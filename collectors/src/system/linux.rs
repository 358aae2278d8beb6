//! The `linux-host` collector: who a Linux host is, from `/etc/hostname` and `/etc/os-release`
//! (or `/usr/lib/os-release`), so a Linux input names its host (`triage collect`, reports) as a
//! Windows one does from `systeminfo`.
//!
//! # Fact layout
//!
//! ```text
//! os.hostname          Str   "web1" (the first line of /etc/hostname, trimmed)
//! os.name              Str   "Ubuntu 22.04.4 LTS" (os-release PRETTY_NAME, else NAME VERSION)
//! os.release.<KEY>     Str   every os-release variable, unquoted (ID "ubuntu", VERSION_ID "22.04")
//! ```
//!
//! Provenance: artifact, collector `linux-host`, `line`, `span` of the value, `key` (`hostname`,
//! the variable name). Recognised by name and content: a file named `hostname` holding one host
//! name (letters, digits, `-`, `.`, at most 253 characters); a file named `os-release` whose
//! lines are `KEY=value` with `ID=` or `NAME=` among them. os-release values follow its shell
//! quoting (`"…"` with `\"`, `\\`, `` \` ``, `\$` escapes, or `'…'`).

use std::collections::BTreeMap;
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, FactMap,
    Provenance, Recognition, Value,
};

use crate::text;

pub const NAME: &str = "linux-host";

/// The `/etc/hostname` and `/etc/os-release` collector.
#[derive(Debug)]
pub struct LinuxHostCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: NAME,
    version: "1",
    reads: "a Linux host's `/etc/hostname` and `/etc/os-release`",
    typical_names: &["etc/hostname", "etc/os-release"],
    provides: &["os"],
    facts: FACTS,
    log_kind: None,
};

const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("os.hostname", &[Str], "the host name (`/etc/hostname`)"),
        FactDecl::new("os.name", &[Str], "os-release PRETTY_NAME (`Ubuntu 22.04.4 LTS`)"),
        FactDecl::new("os.release", &[Map], "every os-release variable"),
        FactDecl::new("os.release.*", &[Str], "a variable's value, unquoted (`ID` = `ubuntu`)"),
    ]
};

/// Longest host name (a DNS name).
const MAX_HOSTNAME: usize = 253;

fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_HOSTNAME
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// The one host name a `hostname` file holds (comment lines aside), if that is all it holds.
fn hostname_of(text: &str) -> Option<(u64, usize, &str)> {
    let mut found = None;
    for (no, offset, line) in text::lines_with_offsets(text) {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if found.is_some() || !is_hostname(t) {
            return None;
        }
        found = Some((no, offset + (line.len() - line.trim_start().len()), t));
    }
    found
}

/// `KEY=value` lines of an os-release file: (line, key, value, span of the raw value).
fn release_vars(text: &str) -> Vec<(u64, String, String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    for (no, offset, line) in text::lines_with_offsets(text) {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let Some((k, v)) = t.split_once('=') else { continue };
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
            continue;
        }
        let start = offset + (line.len() - line.trim_start().len()) + k.len() + 1;
        out.push((no, k.to_owned(), unquote(v), start..start + v.len()));
    }
    out
}

/// A shell-quoted os-release value, unquoted.
fn unquote(v: &str) -> String {
    if let Some(inner) = v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return inner.to_owned();
    }
    let Some(inner) = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else { return v.to_owned() };
    let mut s = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\' | '`' | '$')) => s.push(n),
                Some(n) => {
                    s.push('\\');
                    s.push(n);
                }
                None => s.push('\\'),
            }
        } else {
            s.push(c);
        }
    }
    s
}

fn is_os_release(text: &str) -> bool {
    let vars = release_vars(text);
    !vars.is_empty() && vars.iter().any(|(_, k, _, _)| k == "ID" || k == "NAME")
}

impl Collector for LinuxHostCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let name = artifact.file_name_lower();
        if name != "hostname" && name != "os-release" {
            return Recognition::No;
        }
        let head = text::decode_head(artifact.head);
        let ok =
            if name == "hostname" { hostname_of(&head.text).is_some() } else { is_os_release(&head.text) };
        if ok {
            Recognition::ByNameAndContent
        } else {
            Recognition::No
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        let hostname = artifact.file_name_lower() == "hostname";
        crate::read_whole(artifact, NAME, |rel, bytes| collect_bytes(rel, bytes, hostname))
    }
}

/// Reads a `hostname` (`hostname == true`) or `os-release` file's bytes into facts.
pub fn collect_bytes(rel: &str, bytes: &[u8], hostname: bool) -> CollectorOutput {
    let (text, mut out) = text::decode_for_collector(rel, NAME, bytes);
    let src = |line: u64, span: std::ops::Range<usize>, key: &str| {
        Arc::new(Provenance::new(rel, NAME).at_line(line).span(span.start as u64, span.end as u64).key(key))
    };
    let mut facts = FactMap::new();
    if hostname {
        match hostname_of(&text) {
            Some((line, at, h)) => {
                facts.insert(
                    &["os", "hostname"],
                    Fact::with_source(h, src(line, at..at + h.len(), "hostname")),
                );
                out.items = 1;
            }
            None => out.errors.push(CollectionError::new(rel, NAME, "not one host name")),
        }
    } else {
        let vars = release_vars(&text);
        let mut release = BTreeMap::new();
        for (line, k, v, span) in &vars {
            release
                .entry(k.clone())
                .or_insert_with(|| Fact::with_source(v.as_str(), src(*line, span.clone(), k)));
        }
        let get = |k: &str| release.get(k).and_then(|f: &Fact| f.value.as_str()).filter(|s| !s.is_empty());
        let name = get("PRETTY_NAME").map(str::to_owned).or_else(|| {
            let n = get("NAME")?;
            Some(match get("VERSION") {
                Some(v) => format!("{n} {v}"),
                None => n.to_owned(),
            })
        });
        if let Some(n) = name {
            let at =
                release.get("PRETTY_NAME").or_else(|| release.get("NAME")).and_then(|f| f.source.clone());
            facts.insert(&["os", "name"], Fact { value: Value::Str(n), source: at });
        }
        out.items = release.len() as u64;
        if release.is_empty() {
            out.errors.push(CollectionError::new(rel, NAME, "no `KEY=value` lines found"));
        }
        facts.insert(&["os", "release"], Fact::new(Value::Map(release)));
    }
    out.facts = facts;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'a>(out: &'a CollectorOutput, path: &str) -> Option<&'a str> {
        out.facts.get(path).and_then(|f| f.value.as_str())
    }

    #[test]
    fn hostname_and_os_release() {
        let out = collect_bytes("etc/hostname", b"# set by cloud-init\nweb1.example.org\n", true);
        assert_eq!(value(&out, "os.hostname"), Some("web1.example.org"));
        let src = out.facts.get("os.hostname").and_then(|f| f.source.clone()).expect("source");
        assert_eq!((src.line, src.span.map(|s| (s.start, s.end))), (Some(2), Some((20, 36))));
        assert_eq!(collect_bytes("hostname", b"two\nnames\n", true).errors.len(), 1);

        let text = b"PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nX='a \"b\"'\nY=\"say \\\"hi\\\" \\$HOME\"\n";
        let out = collect_bytes("etc/os-release", text, false);
        assert_eq!(out.errors, vec![]);
        assert_eq!(value(&out, "os.name"), Some("Ubuntu 22.04.4 LTS"));
        assert_eq!(value(&out, "os.release.ID"), Some("ubuntu"));
        assert_eq!(value(&out, "os.release.VERSION_ID"), Some("22.04"));
        assert_eq!(value(&out, "os.release.X"), Some("a \"b\""));
        assert_eq!(value(&out, "os.release.Y"), Some("say \"hi\" $HOME"));
        let out = collect_bytes(
            "os-release",
            b"NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\n",
            false,
        );
        assert_eq!(value(&out, "os.name"), Some("CentOS Linux 7 (Core)"));
    }

    #[test]
    fn recognition_needs_the_name_and_the_content() {
        let art = |rel: &'static str, head: &'static [u8]| Artifact {
            rel_path: rel,
            path: std::path::Path::new(rel),
            head,
            size: head.len() as u64,
        };
        let c = LinuxHostCollector;
        assert_eq!(c.recognise(&art("etc/hostname", b"web1\n")), Recognition::ByNameAndContent);
        assert_eq!(c.recognise(&art("etc/hostname", b"not a host name\n")), Recognition::No);
        assert_eq!(c.recognise(&art("notes/hostname.txt", b"web1\n")), Recognition::No);
        assert_eq!(c.recognise(&art("etc/os-release", b"ID=debian\n")), Recognition::ByNameAndContent);
        assert_eq!(c.recognise(&art("etc/os-release", b"hello\n")), Recognition::No);
    }
}
