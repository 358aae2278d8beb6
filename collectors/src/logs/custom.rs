//! Log kinds taught by packs (collector `custom-log`): a [`LogKindSpec`] names the files (globs),
//! where a record starts (a regex anchored at the line start) and, optionally, a regex with
//! named groups over a record's first line whose groups become the record's `fields`. A group
//! named `time` that reads as RFC 3339 (`2024-01-02 10:00:00Z`, `…T…+02:00`) becomes a
//! Timestamp (and feeds `first_time` / `last_time`); every other group is a Str. A kind with
//! `no_year` also reads `Jan  5 10:00:00` as a Timestamp, in the latest year that puts it no
//! more than a day after the input's collection time ([`place_year`]; a bundle's
//! `collected_at`); without a collection time it stays a Str.
//!
//! Recognition needs the scan plan, which [`triage_facts::Collector::recognise`] does not see,
//! so discovery asks [`CustomLog::kinds_for`] directly (see `crate::discover`); the trait's
//! `recognise` answers `No`. Every kind whose globs match a file reads it — kinds of several
//! packs, several kinds of one pack, and beside the built-in collector that claims the file —
//! all in one pass over the file ([`super::scan_file_multi`]). A kind's name in the plan is
//! qualified by its pack (`<pack id>/<kind>`, see `triage_engine::scan_plan`), so its facts are
//! `logs.<pack id>/<kind>.files`, `logs.<pack id>/<kind>.by_file.<rel>` (one path segment
//! `<pack id>/<kind>`) and `signals.<id>` as in the [module overview](super); no built-in lists.

use std::sync::Arc;

use triage_facts::scan::LOG_KIND_REGEX_SIZE_LIMIT;
use triage_facts::{
    Artifact, CollectContext, CollectionError, CollectorInfo, CollectorOutput, Fact, LogKindSpec,
    Recognition, ScanPlan, Timestamp,
};

use super::{glob_match, Fields, Record};

pub const COLLECTOR: &str = "custom-log";

static INFO: CollectorInfo = CollectorInfo {
    name: COLLECTOR,
    version: "1",
    reads: "text logs in a format a rule pack declares (`[log_kinds.<name>]`: globs, record start, fields)",
    typical_names: &[],
    provides: &["logs", "signals", "signals_truncated"],
    // `{kind}`: instantiated for every pack kind the catalogue is given (its record fields are
    // the named groups of the kind's `fields` regex, see [`field_names`]).
    facts: log_facts!("{kind}"),
    log_kind: None,
};

/// The fields a kind's records have: the named groups of its `fields` regex (none when it has
/// no such regex, or one that does not compile).
pub fn field_names(spec: &LogKindSpec) -> Vec<String> {
    let Some(Ok(re)) = spec.fields.as_deref().map(regex::Regex::new) else { return Vec::new() };
    re.capture_names().flatten().map(str::to_owned).collect()
}

/// A pack-defined log kind, compiled.
#[derive(Debug)]
pub struct CustomKind {
    pub spec: LogKindSpec,
    pub record_start: Arc<regex::bytes::Regex>,
    pub fields: Option<regex::Regex>,
    /// The input's collection time, for a kind whose times have no year (`spec.no_year`).
    pub reference: Option<Timestamp>,
}

impl CustomKind {
    /// Compiles a spec; the error names the regex that failed.
    pub fn compile(spec: &LogKindSpec) -> Result<Self, String> {
        let start = regex::bytes::RegexBuilder::new(&format!("^(?:{})", spec.record_start))
            .size_limit(LOG_KIND_REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| format!("log kind {}: record_start: {e}", spec.name))?;
        let fields = spec
            .fields
            .as_deref()
            .map(|f| regex::RegexBuilder::new(f).size_limit(LOG_KIND_REGEX_SIZE_LIMIT).build())
            .transpose()
            .map_err(|e| format!("log kind {}: fields: {e}", spec.name))?;
        Ok(CustomKind { spec: spec.clone(), record_start: Arc::new(start), fields, reference: None })
    }

    /// This kind for one input collected at `reference` (the compiled regexes shared).
    pub fn for_input(&self, reference: Option<Timestamp>) -> CustomKind {
        CustomKind {
            spec: self.spec.clone(),
            record_start: Arc::clone(&self.record_start),
            fields: self.fields.clone(),
            reference,
        }
    }

    /// A `time` group's text as a timestamp: RFC 3339, or for a kind with `no_year` a
    /// year-less time placed before the collection time.
    fn time(&self, text: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(text).or_else(|| {
            if self.spec.no_year {
                place_year(text, self.reference?)
            } else {
                None
            }
        })
    }

    /// Whether a file name (`/`-separated relative path) matches one of the kind's globs.
    pub fn matches_name(&self, rel: &str) -> bool {
        spec_matches(&self.spec, rel)
    }

    pub(crate) fn fields(&self, rec: &Record<'_>) -> Fields {
        let mut m = Fields::new();
        let (Some(re), Some(first)) = (&self.fields, rec.lines.first()) else { return m };
        if rec.continued {
            return m;
        }
        let Some(caps) = re.captures(first.text) else { return m };
        for name in re.capture_names().flatten() {
            if let Some(v) = caps.name(name) {
                let fact = match (name, self.time(v.as_str())) {
                    ("time", Some(t)) => Fact::new(t),
                    _ => Fact::new(v.as_str()),
                };
                m.insert(name.to_owned(), fact);
            }
        }
        m
    }

    pub(crate) fn line_time(&self, line: &[u8]) -> Option<Timestamp> {
        let re = self.fields.as_ref()?;
        let text = std::str::from_utf8(line).ok()?;
        self.time(re.captures(text)?.name("time")?.as_str())
    }
}

/// `Mmm dd HH:MM:SS[.fff…]` (`Jan  5 10:00:00`, as syslog and `journalctl` short output write
/// it) placed in the latest year that puts it no more than a day after `reference` (a day of
/// slack for time zones: syslog writes local time, read here as UTC).
pub fn place_year(text: &str, reference: Timestamp) -> Option<Timestamp> {
    const MONTHS: [&str; 12] =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let mut it = text.split_whitespace();
    let mon = it.next()?.to_ascii_lowercase();
    let mo = MONTHS.iter().position(|m| *m == mon)? as u32 + 1;
    let d: u32 = it.next()?.parse().ok()?;
    let clock = it.next()?;
    if it.next().is_some() {
        return None;
    }
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, mi, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let ms = format!("{frac:0<3}").get(..3)?.parse::<u32>().ok()?;
    let latest = Timestamp(reference.0 + 86_400_000);
    // Four years back at most: 29 February exists in one of them.
    (0..5)
        .map(|back| reference.year() - back)
        .find_map(|y| Timestamp::from_civil(y, mo, d, h, mi, s.min(59), ms).filter(|t| *t <= latest))
}

fn spec_matches(spec: &LogKindSpec, rel: &str) -> bool {
    let rel = super::recognition_name(rel);
    let name = rel.rsplit('/').next().unwrap_or(rel);
    spec.files.iter().any(|g| glob_match(g, name) || glob_match(g, rel))
}

/// The `custom-log` collector.
#[derive(Debug)]
pub struct CustomLog;

impl CustomLog {
    /// Every log kind of `plan` whose globs match the artifact's name, in plan order (sorted by
    /// qualified name, `<pack id>/<kind>`): all of them read the file, each for its own pack.
    pub fn kinds_for<'p>(plan: &'p ScanPlan, rel: &'p str) -> impl Iterator<Item = &'p LogKindSpec> + 'p {
        plan.log_kinds.iter().filter(move |k| spec_matches(k, rel))
    }
}

impl triage_facts::Collector for CustomLog {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    /// Always `No`: only discovery, which holds the scan plan, can tell (see the module docs).
    fn recognise(&self, _artifact: &Artifact<'_>) -> Recognition {
        Recognition::No
    }

    /// Scans the artifact once for every log kind that matches its name: one pass over the
    /// file, each kind with its own records, signals and facts (`logs.<pack id>/<kind>`).
    fn collect(&self, artifact: &Artifact<'_>, ctx: &CollectContext<'_>) -> CollectorOutput {
        let mut errors = Vec::new();
        let mut formats = Vec::new();
        for (plan, spec) in
            ctx.plan.into_iter().flat_map(|p| CustomLog::kinds_for(p, artifact.rel_path).map(move |s| (p, s)))
        {
            // Compiled once per run and plan (`super::compiled`), not per file.
            match super::compiled::custom_kind(plan, spec) {
                Ok(kind) if spec.no_year && ctx.reference_time.is_some() => {
                    formats.push(super::Format::Custom(Arc::new(kind.for_input(ctx.reference_time))))
                }
                Ok(kind) => formats.push(super::Format::Custom(kind)),
                Err(e) => errors.push(CollectionError::new(artifact.rel_path, COLLECTOR, e)),
            }
        }
        if formats.is_empty() && errors.is_empty() {
            errors.push(CollectionError::new(
                artifact.rel_path,
                COLLECTOR,
                "no pack log kind matches this file's name",
            ));
        }
        let mut out = CollectorOutput { errors, ..Default::default() };
        if formats.is_empty() {
            return out;
        }
        for (i, scanned) in super::scan_file_multi(artifact.path, artifact.rel_path, &formats, ctx.plan)
            .into_iter()
            .enumerate()
        {
            // Each kind writes only under its own `logs.<kind>` and its own signals' paths.
            out.facts.merge(scanned.facts);
            out.errors.extend(scanned.errors);
            if i == 0 {
                out.encoding = Some(scanned.encoding.name().to_owned());
                out.items = scanned.records;
            }
        }
        out
    }
}
