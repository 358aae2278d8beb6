//! Writing a bundle: collect an input folder, mask known secrets (always, [`crate::secrets`]),
//! optionally pseudonymise it, and store artifacts, facts and manifest as a folder or a `.zip`,
//! atomically (temporary name, then rename).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};
use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, FactMap,
    Provenance, Recognition, ScanPlan, Timestamp,
};

use super::manifest::{ArtifactRecord, CollectorRecord, FileRecord, Manifest, RedactionReport};
use super::redact::{RedactionKey, Redactor};
use super::{check_entry_name, sha256_hex, BundleError, ARTIFACTS_DIR, FACTS, FORMAT_VERSION, MANIFEST};
use crate::discover::{collect_path, Collected, DiscoverOptions};

/// How to write a bundle.
pub struct CreateOptions<'a> {
    pub collectors: &'a [&'a dyn Collector],
    /// The loaded packs' scan plan, so `facts.json` holds their signals.
    pub plan: Option<&'a ScanPlan>,
    /// The collection time. `Some` makes the bundle reproducible (no durations are recorded);
    /// `None` takes the clock.
    pub collected_at: Option<Timestamp>,
    /// Host name to record; by default the collected `os.hostname`, else `unknown`.
    pub host: Option<String>,
    /// `live` or `folder` (see [`Manifest::source`]).
    pub source: &'a str,
    pub triage_version: &'a str,
    /// Pseudonymise with this key.
    pub redact: Option<&'a RedactionKey>,
    /// Errors met before collection (live sources that were missing, commands that failed).
    pub extra_errors: Vec<CollectionError>,
    /// Replace an existing bundle at the destination.
    pub overwrite: bool,
    /// Discovery options (size limit, progress callback).
    pub discover: DiscoverOptions,
}

impl std::fmt::Debug for CreateOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateOptions")
            .field("collectors", &self.collectors.len())
            .field("collected_at", &self.collected_at)
            .field("source", &self.source)
            .field("redact", &self.redact)
            .finish_non_exhaustive()
    }
}

impl<'a> CreateOptions<'a> {
    pub fn new(collectors: &'a [&'a dyn Collector], triage_version: &'a str) -> Self {
        CreateOptions {
            collectors,
            plan: None,
            collected_at: None,
            host: None,
            source: "folder",
            triage_version,
            redact: None,
            extra_errors: Vec::new(),
            overwrite: false,
            discover: DiscoverOptions::default(),
        }
    }
}

/// What [`create`] wrote.
#[derive(Debug)]
pub struct Created {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub facts: FactMap,
}

/// A collector that measures the time spent in it.
struct Timed<'a> {
    inner: &'a dyn Collector,
    nanos: AtomicU64,
}

impl Collector for Timed<'_> {
    fn info(&self) -> &'static CollectorInfo {
        self.inner.info()
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        self.inner.recognise(artifact)
    }

    fn collect(&self, artifact: &Artifact<'_>, ctx: &CollectContext<'_>) -> CollectorOutput {
        let t = Instant::now();
        let out = self.inner.collect(artifact, ctx);
        self.nanos.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }
}

/// Collects `input` (a folder, or one file) and writes the bundle to `out` (`.zip` → archive,
/// anything else → folder). Collection problems are recorded in the bundle; only I/O errors on
/// the input root or the destination are an `Err`.
pub fn create(input: &Path, out: &Path, opts: &CreateOptions<'_>) -> Result<Created, BundleError> {
    let started = Instant::now();
    let reproducible = opts.collected_at.is_some();
    let collected_at = opts.collected_at.unwrap_or_else(now);
    if out.exists() && !opts.overwrite {
        return Err(BundleError::Exists { path: out.to_path_buf() });
    }
    let zip = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| BundleError::io(&parent, e))?;
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "bundle".into());
    let tag = format!("{}-{}", std::process::id(), started.elapsed().as_nanos());
    let tmp = parent.join(format!(".{name}.partial-{tag}"));
    let stage = parent.join(format!(".{name}.stage-{tag}"));

    let timed: Vec<Timed<'_>> =
        opts.collectors.iter().map(|c| Timed { inner: *c, nanos: AtomicU64::new(0) }).collect();
    let timed_refs: Vec<&dyn Collector> = timed.iter().map(|t| t as &dyn Collector).collect();
    let discover = DiscoverOptions { reference_time: Some(collected_at), ..opts.discover.clone() };
    let mut collected =
        collect_path(input, &timed_refs, opts.plan, &discover).map_err(|e| BundleError::io(input, e))?;
    let input_is_file = std::fs::metadata(input).map(|m| m.is_file()).unwrap_or(false);
    let original_of = |rel: &str| -> PathBuf {
        if input_is_file {
            input.to_path_buf()
        } else {
            input.join(rel)
        }
    };

    let result = (|| {
        // Secrets never enter a bundle: artifacts holding one are replaced by a masked copy
        // (same length, so the facts' spans still fit), and the facts are masked too.
        let (masked_paths, mut secrets) = mask_secrets(&collected, &original_of, &stage)?;
        crate::secrets::mask_facts(&mut collected.facts);
        let source_of =
            |rel: &str| -> PathBuf { masked_paths.get(rel).cloned().unwrap_or_else(|| original_of(rel)) };
        let (collected, files, report) = match opts.redact {
            None => {
                let files: Vec<(String, PathBuf)> =
                    collected.artifacts.iter().map(|a| (a.path.clone(), source_of(&a.path))).collect();
                (collected, files, None)
            }
            Some(key) => {
                redact_collection(collected, &source_of, key, &timed_refs, opts, &stage, &mut secrets)?
            }
        };
        write_bundle(
            &tmp,
            zip,
            collected,
            files,
            (report, secrets),
            opts,
            &timed,
            collected_at,
            (!reproducible).then(|| started.elapsed().as_millis() as u64),
        )
    })();
    let _ = std::fs::remove_dir_all(&stage);
    let (manifest, facts) = match result {
        Ok(x) => x,
        Err(e) => {
            remove_any(&tmp);
            return Err(e);
        }
    };
    if out.exists() && opts.overwrite {
        remove_any(out);
    }
    if let Err(e) = std::fs::rename(&tmp, out) {
        remove_any(&tmp);
        return Err(BundleError::io(out, e));
    }
    Ok(Created { path: out.to_path_buf(), manifest, facts })
}

fn remove_any(p: &Path) {
    if p.is_dir() {
        let _ = std::fs::remove_dir_all(p);
    } else {
        let _ = std::fs::remove_file(p);
    }
}

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp(ms)
}

type Redacted = (Collected, Vec<(String, PathBuf)>, Option<RedactionReport>);

/// What was masked, per artifact path (the manifest's `secrets_dropped`).
type SecretsDropped = BTreeMap<String, crate::secrets::Masked>;

/// Writes a masked copy of every artifact that holds a known secret into `stage/masked`.
/// Returns the copies by artifact path, and what was masked per artifact (for the manifest).
fn mask_secrets(
    collected: &Collected,
    original_of: &dyn Fn(&str) -> PathBuf,
    stage: &Path,
) -> Result<(BTreeMap<String, PathBuf>, SecretsDropped), BundleError> {
    let mut paths = BTreeMap::new();
    let mut report = BTreeMap::new();
    for a in &collected.artifacts {
        let src = original_of(&a.path);
        let Ok(bytes) = std::fs::read(&src) else { continue };
        if let Some((masked, what)) = crate::secrets::mask_artifact(&bytes) {
            let dest = stage.join("masked").join(&a.path);
            write_file(&dest, &masked)?;
            paths.insert(a.path.clone(), dest);
            report.insert(a.path.clone(), what);
        }
    }
    Ok((paths, report))
}

/// The words rules use, which redaction must never replace as words (see
/// [`Redactor::protect`]): namespaces and fact names the collectors provide, their names, the
/// log kinds and signals of the scan plan and the words of their patterns; then the words of
/// every fact name collected ([`fact_name_words`]).
fn protected_words(collectors: &[&dyn Collector], plan: Option<&ScanPlan>) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for c in collectors {
        let info = c.info();
        words.extend(Redactor::words_of(info.name));
        for p in info.provides {
            words.extend(Redactor::words_of(p));
        }
    }
    for w in [
        "wsus",
        "configmgr",
        "logs",
        "files",
        "signals",
        "registry",
        "collection",
        "derive",
        "network",
        "probes",
    ] {
        words.push(w.to_owned());
    }
    if let Some(plan) = plan {
        for s in &plan.signals {
            words.extend(Redactor::words_of(&s.id));
            words.extend(Redactor::words_of(&s.log));
            words.extend(Redactor::words_of(&s.pattern));
        }
        for k in &plan.log_kinds {
            words.extend(Redactor::words_of(&k.name));
            words.extend(Redactor::words_of(&k.record_start));
        }
        for k in &plan.file_kinds {
            words.extend(Redactor::words_of(&k.name));
            words.extend(k.include.iter().chain(&k.sections).flat_map(|w| Redactor::words_of(w)));
        }
    }
    words
}

/// The words of every key of `facts` (GPO and setting names, registry value names, record
/// fields: what rules read by name), except keys that are values: artifact paths, and keys that
/// are a learned value as a whole (`WSUS01` as a key names a host, not a fact).
fn fact_name_words(
    facts: &FactMap,
    artifacts: &std::collections::BTreeSet<&str>,
    r: &Redactor,
) -> Vec<String> {
    fn walk(
        key: &str,
        f: &Fact,
        artifacts: &std::collections::BTreeSet<&str>,
        r: &Redactor,
        out: &mut std::collections::BTreeSet<String>,
    ) {
        if !artifacts.contains(key) && !r.is_learned(key) && key.len() <= 4096 {
            for w in key.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')) {
                if w.len() >= 2 && !r.is_learned(w) || w.len() >= 2 && is_fact_word(key, w) {
                    out.insert(w.to_lowercase());
                }
            }
        }
        match &f.value {
            triage_facts::Value::Map(m) => m.iter().for_each(|(k, v)| walk(k, v, artifacts, r, out)),
            triage_facts::Value::List(l) => l.iter().for_each(|v| walk("", v, artifacts, r, out)),
            _ => {}
        }
    }
    let mut out = std::collections::BTreeSet::new();
    for (k, f) in &facts.root {
        walk(k, f, artifacts, r, &mut out);
    }
    out.into_iter().collect()
}

/// A learned word that is also a key's word is still a fact name when the key is more than that
/// word: `Select the proxy behavior` names a GPO setting whatever the proxy host is called.
fn is_fact_word(key: &str, word: &str) -> bool {
    key.len() > word.len() && key.contains(' ')
}

/// Learns the sensitive values, writes redacted text artifacts into `stage/text`, binary ones
/// into `stage/binary`, re-collects both (so provenance spans match the redacted text) and
/// pseudonymises the binary artifacts' facts. Binary artifacts are not stored.
fn redact_collection(
    original: Collected,
    source_of: &dyn Fn(&str) -> PathBuf,
    key: &RedactionKey,
    collectors: &[&dyn Collector],
    opts: &CreateOptions<'_>,
    stage: &Path,
    secrets: &mut BTreeMap<String, crate::secrets::Masked>,
) -> Result<Redacted, BundleError> {
    let plan = opts.plan;
    let mut r = Redactor::new(key.clone());
    r.protect(protected_words(collectors, plan));
    r.learn_from_facts(&original.facts);
    // Each text artifact is decoded once; what it held as hex(1/2/7) strings, once too.
    let mut texts: Vec<(String, Option<(crate::text::DecodedText, String)>)> = Vec::new();
    for a in &original.artifacts {
        let bytes = std::fs::read(source_of(&a.path)).map_err(|e| BundleError::io(source_of(&a.path), e))?;
        let head = &bytes[..bytes.len().min(Artifact::HEAD_LEN)];
        if crate::text::looks_binary(head) {
            texts.push((a.path.clone(), None));
        } else {
            let d = crate::text::decode(&bytes);
            drop(bytes);
            r.learn_from_text(&d.text);
            let hex = Redactor::reg_hex_strings(&d.text);
            if !hex.is_empty() {
                r.learn_from_text(&hex);
            }
            texts.push((a.path.clone(), Some((d, hex))));
        }
    }
    for (_, t) in &texts {
        if let Some((d, hex)) = t {
            r.learn_accounts(&d.text);
            if !hex.is_empty() {
                r.learn_accounts(hex);
            }
        }
    }
    let artifact_paths: std::collections::BTreeSet<&str> =
        original.artifacts.iter().map(|a| a.path.as_str()).collect();
    r.protect(fact_name_words(&original.facts, &artifact_paths, &r));
    r.prepare();
    let text_dir = stage.join("text");
    let bin_dir = stage.join("binary");
    std::fs::create_dir_all(&text_dir).map_err(|e| BundleError::io(&text_dir, e))?;
    let mut report = RedactionReport { method: "hmac-sha256".into(), key_id: key.id(), ..Default::default() };
    let mut has_binary = false;
    for (rel, bytes) in texts {
        let (new_rel, _) = r.redact_str(&rel);
        let new_rel = if check_entry_name(&new_rel).is_ok() { new_rel } else { rel.clone() };
        match bytes {
            Some((d, _)) => {
                let dest = text_dir.join(&new_rel);
                let (red, n) = r.redact_str(&d.text);
                if n > 0 {
                    write_file(&dest, &super::redact::encode(&red, d.encoding))?;
                    report.replacements.insert(new_rel, n);
                } else {
                    // Unchanged: the very bytes.
                    if let Some(dir) = dest.parent() {
                        std::fs::create_dir_all(dir).map_err(|e| BundleError::io(dir, e))?;
                    }
                    std::fs::copy(source_of(&rel), &dest).map_err(|e| BundleError::io(&dest, e))?;
                }
            }
            None => {
                has_binary = true;
                let dest = bin_dir.join(&new_rel);
                if let Some(d) = dest.parent() {
                    std::fs::create_dir_all(d).map_err(|e| BundleError::io(d, e))?;
                }
                std::fs::copy(source_of(&rel), &dest).map_err(|e| BundleError::io(&dest, e))?;
                report.omitted.push(new_rel);
            }
        }
    }
    let discover = DiscoverOptions { progress: None, ..opts.discover.clone() };
    let mut collected =
        collect_path(&text_dir, collectors, plan, &discover).map_err(|e| BundleError::io(&text_dir, e))?;
    if has_binary {
        let bin =
            collect_path(&bin_dir, collectors, plan, &discover).map_err(|e| BundleError::io(&bin_dir, e))?;
        merge_collected(&mut collected, bin);
    }
    let n = r.redact_facts(&mut collected.facts);
    if n > 0 {
        report.replacements.insert(FACTS.into(), n);
    }
    for e in &mut collected.errors {
        e.artifact = r.redact_str(&e.artifact).0;
        e.message = r.redact_str(&e.message).0;
    }
    for a in &mut collected.artifacts {
        a.path = r.redact_str(&a.path).0;
    }
    collected.artifacts.retain(|a| !report.omitted.contains(&a.path));
    *secrets = std::mem::take(secrets).into_iter().map(|(k, v)| (r.redact_str(&k).0, v)).collect();
    report.omitted.sort();
    report.values = r.counts();
    let files = collected.artifacts.iter().map(|a| (a.path.clone(), text_dir.join(&a.path))).collect();
    Ok((collected, files, Some(report)))
}

fn merge_collected(into: &mut Collected, other: Collected) {
    for c in into.facts.merge(other.facts) {
        into.errors.push(CollectionError::new(
            "",
            "bundle",
            format!("conflicting value for {}", c.path.join(".")),
        ));
    }
    into.artifacts.extend(other.artifacts);
    into.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    into.errors.extend(other.errors);
    into.errors.sort();
}

fn write_file(dest: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    if let Some(d) = dest.parent() {
        std::fs::create_dir_all(d).map_err(|e| BundleError::io(d, e))?;
    }
    std::fs::write(dest, bytes).map_err(|e| BundleError::io(dest, e))
}

/// Where entries go: a folder or a zip archive.
enum Sink {
    Dir(PathBuf),
    Zip { w: Box<zip::ZipWriter<BufWriter<File>>>, path: PathBuf, time: zip::DateTime },
}

impl Sink {
    /// Stores `reader` under `name`, returning its size and SHA-256.
    fn put(&mut self, name: &str, reader: &mut dyn Read, size_hint: u64) -> Result<FileRecord, BundleError> {
        let mut h = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        let mut copy = |w: &mut dyn Write, at: &Path| -> Result<(), BundleError> {
            loop {
                let n = reader.read(&mut buf).map_err(|e| BundleError::io(at, e))?;
                if n == 0 {
                    return Ok(());
                }
                h.update(&buf[..n]);
                size += n as u64;
                w.write_all(&buf[..n]).map_err(|e| BundleError::io(at, e))?;
            }
        };
        match self {
            Sink::Dir(root) => {
                let dest = root.join(name);
                if let Some(d) = dest.parent() {
                    std::fs::create_dir_all(d).map_err(|e| BundleError::io(d, e))?;
                }
                let mut f = BufWriter::new(File::create(&dest).map_err(|e| BundleError::io(&dest, e))?);
                copy(&mut f, &dest)?;
                f.flush().map_err(|e| BundleError::io(&dest, e))?;
            }
            Sink::Zip { w, path, time } => {
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .last_modified_time(*time)
                    .unix_permissions(0o644)
                    // Zip64 headers only where needed: older unzip tools stumble on them.
                    .large_file(size_hint >= u64::from(u32::MAX) / 2);
                w.start_file(name, options).map_err(|e| zip_err(path, e))?;
                copy(w.as_mut(), path)?;
            }
        }
        Ok(FileRecord { size, sha256: h.finalize().iter().map(|b| format!("{b:02x}")).collect() })
    }

    fn finish(self) -> Result<(), BundleError> {
        match self {
            Sink::Dir(_) => Ok(()),
            Sink::Zip { w, path, .. } => {
                let mut f = w.finish().map_err(|e| zip_err(&path, e))?;
                f.flush().map_err(|e| BundleError::io(&path, e))?;
                f.get_ref().sync_all().map_err(|e| BundleError::io(&path, e))
            }
        }
    }
}

fn zip_err(path: &Path, e: zip::result::ZipError) -> BundleError {
    BundleError::io(path, std::io::Error::other(e.to_string()))
}

fn dos_time(t: Timestamp) -> zip::DateTime {
    let s = t.to_string();
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u16>().ok()).unwrap_or(0);
    let year = num(0..4).clamp(1980, 2107);
    zip::DateTime::from_date_and_time(
        year,
        num(5..7) as u8,
        num(8..10) as u8,
        num(11..13) as u8,
        num(14..16) as u8,
        num(17..19) as u8,
    )
    .unwrap_or_default()
}

#[allow(clippy::too_many_arguments)] // one internal call site; a struct would only rename them
fn write_bundle(
    tmp: &Path,
    zip: bool,
    mut collected: Collected,
    files: Vec<(String, PathBuf)>,
    (redaction, secrets): (Option<RedactionReport>, BTreeMap<String, crate::secrets::Masked>),
    opts: &CreateOptions<'_>,
    timed: &[Timed<'_>],
    collected_at: Timestamp,
    duration_ms: Option<u64>,
) -> Result<(Manifest, FactMap), BundleError> {
    remove_any(tmp);
    let mut sink = if zip {
        let f = File::create(tmp).map_err(|e| BundleError::io(tmp, e))?;
        Sink::Zip {
            w: Box::new(zip::ZipWriter::new(BufWriter::new(f))),
            path: tmp.to_path_buf(),
            time: dos_time(collected_at),
        }
    } else {
        std::fs::create_dir_all(tmp).map_err(|e| BundleError::io(tmp, e))?;
        Sink::Dir(tmp.to_path_buf())
    };

    // Facts the bundle adds.
    let host = opts
        .host
        .clone()
        .or_else(|| collected.facts.get("os.hostname").and_then(|f| f.value.as_str().map(str::to_owned)))
        .unwrap_or_else(|| "unknown".into());
    let host = match opts.redact {
        Some(key) if opts.host.is_some() => {
            let mut r = Redactor::new(key.clone());
            r.learn(super::redact::Kind::Host, &host);
            r.prepare();
            r.redact_str(&host).0
        }
        _ => host,
    };
    let src = Arc::new(Provenance::new("", "bundle"));
    collected.facts.insert(&["collection", "collected_at"], Fact::with_source(collected_at, src.clone()));
    collected.facts.insert(&["collection", "host"], Fact::with_source(host.as_str(), src.clone()));
    collected
        .facts
        .insert(&["collection", "bundle_format"], Fact::with_source(i64::from(FORMAT_VERSION), src.clone()));
    if !opts.extra_errors.is_empty() {
        let mut extra = FactMap::new();
        let list: Vec<Fact> =
            opts.extra_errors.iter().map(|e| Fact::with_source(e.to_string(), src.clone())).collect();
        extra.insert(&["collection", "errors"], Fact::new(list));
        collected.facts.merge(extra);
    }

    // Artifacts.
    let by_path: BTreeMap<&str, &crate::discover::ArtifactSummary> =
        collected.artifacts.iter().map(|a| (a.path.as_str(), a)).collect();
    let mut records = Vec::new();
    let mut errors: Vec<CollectionError> = opts.extra_errors.clone();
    let mut sorted = files;
    sorted.sort();
    for (rel, path) in &sorted {
        if let Err(why) = check_entry_name(rel) {
            errors.push(CollectionError::new(rel, "bundle", format!("not stored: {why}")));
            continue;
        }
        let mut f = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                errors.push(CollectionError::new(rel, "bundle", format!("not stored: cannot read: {e}")));
                continue;
            }
        };
        let hint = f.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        let rec = sink.put(&format!("{ARTIFACTS_DIR}/{rel}"), &mut f, hint)?;
        let summary = by_path.get(rel.as_str());
        records.push(ArtifactRecord {
            path: rel.clone(),
            size: rec.size,
            sha256: rec.sha256,
            encoding: summary.and_then(|s| s.encoding.clone()),
            collector: summary.and_then(|s| s.collector.clone()),
        });
    }

    // Collectors.
    let mut collectors: BTreeMap<String, CollectorRecord> = BTreeMap::new();
    for t in timed {
        let info = t.info();
        let e = collectors.entry(info.name.to_owned()).or_default();
        e.version = info.version.to_owned();
        e.duration_ms = duration_ms.map(|_| t.nanos.load(Ordering::Relaxed) / 1_000_000);
    }
    for a in &collected.artifacts {
        if let Some(c) = a.collector.as_ref().and_then(|c| collectors.get_mut(c)) {
            c.artifacts += 1;
            c.items += a.items;
        }
    }
    for e in &collected.errors {
        match collectors.get_mut(&e.collector) {
            Some(c) => c.errors.push(e.clone()),
            None => errors.push(e.clone()),
        }
    }
    errors.sort();
    errors.dedup();

    let facts_json = collected.facts.to_json_pretty();
    let facts_rec = sink.put(FACTS, &mut facts_json.as_bytes(), facts_json.len() as u64)?;
    let manifest = Manifest {
        format: "triage-bundle".into(),
        format_version: FORMAT_VERSION,
        triage_version: opts.triage_version.to_owned(),
        collected_at: collected_at.to_string(),
        host,
        source: opts.source.to_owned(),
        duration_ms,
        scan_plan_sha256: opts.plan.map(plan_digest),
        collectors,
        artifacts: records,
        facts: facts_rec,
        errors,
        redaction,
        secrets_dropped: secrets,
    };
    let manifest_json =
        serde_json::to_string_pretty(&manifest).map_err(|e| BundleError::Other(e.to_string()))?;
    sink.put(MANIFEST, &mut manifest_json.as_bytes(), manifest_json.len() as u64)?;
    sink.finish()?;
    Ok((manifest, collected.facts))
}

/// SHA-256 of a scan plan's JSON: what [`Manifest::scan_plan_sha256`] records.
pub fn plan_digest(plan: &ScanPlan) -> String {
    sha256_hex(serde_json::to_string(plan).unwrap_or_default().as_bytes())
}
