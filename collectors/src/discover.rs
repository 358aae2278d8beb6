//! Artifact discovery: walk an input, offer each file to every collector, run the best bidder,
//! and merge everything into one fact map. Best effort: a file that fails becomes a recorded
//! collection error and every other file is still collected.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, Fact, FactMap, Provenance, Recognition, ScanPlan,
    Value,
};

/// Options for one collection.
#[derive(Debug, Default, Clone)]
pub struct DiscoverOptions {
    /// Compute the SHA-256 of every artifact (bundles need it; a plain run does not).
    pub hash: bool,
}

/// What one artifact gave, for the collection summary.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArtifactSummary {
    pub path: String,
    pub size: u64,
    /// `None` when no collector recognised the file.
    pub collector: Option<String>,
    pub encoding: Option<String>,
    pub items: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The result of collecting one input (a folder or a single file).
#[derive(Debug, Default)]
pub struct Collected {
    /// All facts, including the `collection` namespace (artifacts, errors, conflicts).
    pub facts: FactMap,
    pub artifacts: Vec<ArtifactSummary>,
    pub errors: Vec<CollectionError>,
}

/// Collects every file under `input` (or `input` itself if it is a file) with `collectors`.
///
/// Only an input that does not exist or cannot be listed at all is an `Err`; everything else is
/// recorded in the result.
pub fn collect_path(
    input: &Path,
    collectors: &[&dyn Collector],
    plan: Option<&ScanPlan>,
    options: &DiscoverOptions,
) -> std::io::Result<Collected> {
    let meta = std::fs::metadata(input)?;
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut errors = Vec::new();
    if meta.is_file() {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        files.push((name, input.to_path_buf()));
    } else {
        // Links are not followed: an input folder is data, not a map of the disk.
        for entry in walkdir::WalkDir::new(input).follow_links(false).sort_by_file_name() {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    let rel = e.path().strip_prefix(input).unwrap_or(e.path());
                    let rel = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    files.push((rel, e.path().to_path_buf()));
                }
                Ok(_) => {}
                Err(err) => {
                    let at = err.path().map(|p| p.display().to_string()).unwrap_or_default();
                    errors.push(CollectionError::new(&at, "discover", err.to_string()));
                }
            }
        }
    }
    files.sort();
    let ctx = CollectContext { plan };
    let mut out = Collected { errors, ..Default::default() };
    for (rel, path) in &files {
        collect_one(rel, path, collectors, &ctx, options, &mut out);
    }
    finish(&mut out);
    Ok(out)
}

fn collect_one(
    rel: &str,
    path: &Path,
    collectors: &[&dyn Collector],
    ctx: &CollectContext<'_>,
    options: &DiscoverOptions,
    out: &mut Collected,
) {
    let (head, size) = match read_head(path) {
        Ok(x) => x,
        Err(e) => {
            out.errors.push(CollectionError::new(rel, "discover", format!("cannot read: {e}")));
            return;
        }
    };
    let sha256 = if options.hash {
        match hash_file(path) {
            Ok(h) => Some(h),
            Err(e) => {
                out.errors.push(CollectionError::new(rel, "discover", format!("cannot hash: {e}")));
                None
            }
        }
    } else {
        None
    };
    let artifact = Artifact { rel_path: rel, path, head: &head, size };
    let best = collectors
        .iter()
        .map(|c| (c.recognise(&artifact), *c))
        .filter(|(r, _)| *r > Recognition::No)
        .fold(None::<(Recognition, &dyn Collector)>, |best, cur| match best {
            Some(b) if b.0 >= cur.0 => Some(b),
            _ => Some(cur),
        });
    let Some((_, collector)) = best else {
        out.artifacts.push(ArtifactSummary {
            path: rel.to_owned(),
            size,
            collector: None,
            encoding: None,
            items: 0,
            sha256,
        });
        return;
    };
    let name = collector.info().name;
    // A collector must not panic on input; if one does anyway, the run goes on without it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| collector.collect(&artifact, ctx)));
    match result {
        Ok(output) => {
            for c in out.facts.merge(output.facts) {
                let mut e = CollectionError::new(
                    rel,
                    name,
                    format!(
                        "conflicting value for {}: kept {} from {}, ignored {}",
                        c.path.join(" › "),
                        c.kept.value,
                        c.kept
                            .source
                            .as_ref()
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "an earlier artifact".into()),
                        c.other.value
                    ),
                );
                if let Some(line) = c.other.source.as_ref().and_then(|s| s.line) {
                    e = e.at_line(line);
                }
                out.errors.push(e);
            }
            out.errors.extend(output.errors);
            out.artifacts.push(ArtifactSummary {
                path: rel.to_owned(),
                size,
                collector: Some(name.to_owned()),
                encoding: output.encoding,
                items: output.items,
                sha256,
            });
        }
        Err(_) => {
            out.errors.push(CollectionError::new(
                rel,
                name,
                "collector failed unexpectedly (internal error)",
            ));
            out.artifacts.push(ArtifactSummary {
                path: rel.to_owned(),
                size,
                collector: Some(name.to_owned()),
                encoding: None,
                items: 0,
                sha256,
            });
        }
    }
}

/// Writes the `collection` namespace: artifacts, unrecognised files and errors.
fn finish(out: &mut Collected) {
    out.errors.sort();
    out.errors.dedup();
    let src = Arc::new(Provenance::new("", "discover"));
    let mut artifacts = BTreeMap::new();
    let mut unrecognised = Vec::new();
    for a in &out.artifacts {
        let mut m = BTreeMap::new();
        m.insert("size".to_owned(), Fact::new(a.size as i64));
        m.insert("items".to_owned(), Fact::new(a.items as i64));
        if let Some(c) = &a.collector {
            m.insert("collector".to_owned(), Fact::new(c.as_str()));
        } else {
            unrecognised.push(Fact::new(a.path.as_str()));
        }
        if let Some(e) = &a.encoding {
            m.insert("encoding".to_owned(), Fact::new(e.as_str()));
        }
        if let Some(h) = &a.sha256 {
            m.insert("sha256".to_owned(), Fact::new(h.as_str()));
        }
        artifacts.insert(a.path.clone(), Fact::new(Value::Map(m)));
    }
    let errors: Vec<Fact> =
        out.errors.iter().map(|e| Fact::with_source(e.to_string(), src.clone())).collect();
    out.facts.insert(&["collection", "artifacts"], Fact::new(Value::Map(artifacts)));
    out.facts.insert(&["collection", "unrecognised"], Fact::new(unrecognised));
    out.facts.insert(&["collection", "errors"], Fact::new(errors));
}

fn read_head(path: &Path) -> std::io::Result<(Vec<u8>, u64)> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut head = Vec::with_capacity(Artifact::HEAD_LEN);
    f.by_ref().take(Artifact::HEAD_LEN as u64).read_to_end(&mut head)?;
    Ok((head, size))
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
