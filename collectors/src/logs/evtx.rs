//! Windows event logs: `.evtx` files, as Event Viewer saves them or `wevtutil epl` exports them
//! (collector `evtx`, kind `evtx`).
//!
//! Recognised by the file header's `ElfFile\0` magic, whatever the file is called (a name ending
//! `.evtx` and the magic: by name and content; the magic alone: by content). Read with the `evtx`
//! crate chunk by chunk (64 KiB each, in record order, wrapped logs included), every record
//! rendered as XML and read back with `roxmltree` into the record below. Checksums are checked:
//! a chunk whose header is damaged (bad magic, bad CRC32) or whose records fail their CRC32 is
//! skipped and counted (`dropped_chunks`), with one collection error saying which chunk and why;
//! a record that cannot be read, or renders to more than [`MAX_RECORD_XML`] bytes, is dropped
//! and counted (`dropped`). A file that cannot be read at all (no EVTX header, unreadable) is one
//! collection error naming the file and the reason; the other artifacts are still collected.
//!
//! # Records
//!
//! Each record is matched against the plan's signals with `log = "evtx"`, as the text log
//! collectors match theirs (see the [module overview](super)): the pattern runs over the
//! record's **text**, one line per item:
//!
//! ```text
//! EventID=36871 Provider=Schannel Level=Error Channel=System Computer=WSUS01 Time=2024-05-02T10:00:00.123Z RecordID=42
//! Type=client
//! ErrorState=10013
//! ```
//!
//! — the first line the system part, then each `<EventData>` `<Data Name="…">` as `Name=value`
//! (an unnamed `Data` as `Data=value`; `<UserData>`'s leaf elements likewise, by element name),
//! values with line breaks folded to spaces. The record's `fields` ([`LOG_KIND`]): `provider`,
//! `event_id` Int, `level` (`critical`, `error`, `warning`, `information`, `verbose`, else the
//! number), `level_value` Int, `time` Timestamp (`TimeCreated`, UTC, milliseconds), `computer`,
//! `channel`, `record_id` Int, and `data` Map of Str, each data item by name
//! (`record.fields.data.ErrorState`). In a signal match, `line`
//! and `match_line` are the record's `EventRecordID` (an event log has no lines); provenance is
//! the file, collector `evtx` and key `EventRecordID=<n>`.
//!
//! # Fact layout
//!
//! - `signals.<id>`, `signals_truncated.<id>.<rel path>`: as for every log kind;
//! - `logs.evtx.files`: List of Str (rel paths);
//! - `logs.evtx.by_file.<rel path>`: Map with `records` Int (read), `dropped` Int (records not
//!   read), `chunks` Int (chunks read), `dropped_chunks` Int, `dirty` Bool (the header says the
//!   log was not closed cleanly, as in a copy of a live log), `channels` List of Str (distinct,
//!   sorted), `first_time` / `last_time` Timestamp (earliest / latest `TimeCreated`), `events`
//!   Map provider → Map event ID (as text) → Int (records), and `truncated` Map of Int when a
//!   bound was hit (`records`: records beyond [`MAX_RECORDS`]; `events`: records of
//!   (provider, event ID) pairs beyond [`MAX_EVENT_KEYS`] distinct ones, counted, not listed).
//!
//! Bounded: discovery's file-size limit, at most [`MAX_RECORDS`] records per file, each at most
//! [`MAX_RECORD_XML`] bytes rendered, at most [`MAX_EVENT_KEYS`] distinct (provider, event ID)
//! pairs and [`MAX_CHANNELS`] channels listed, [`super::scan::MAX_ERRORS_PER_FILE`] errors per file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use evtx::{EvtxParser, ParserSettings};
use triage_facts::scan::{MAX_RECORD_TEXT, SIGNAL_REGEX_SIZE_LIMIT};
use triage_facts::{
    Artifact, CollectContext, CollectionError, CollectorInfo, CollectorOutput, Fact, FactMap, Provenance,
    Recognition, ScanPlan, SignalSpec, Timestamp, Value,
};

use super::scan::MAX_ERRORS_PER_FILE;
use super::Fields;

pub const COLLECTOR: &str = "evtx";
pub const KIND: &str = "evtx";
/// The first 8 bytes of every `.evtx` file.
pub const MAGIC: &[u8; 8] = b"ElfFile\0";
/// The file header's size, where the first chunk starts.
const FILE_HEADER_BYTES: u64 = 4096;
/// Every chunk's size.
const CHUNK_BYTES: u64 = 65536;
/// Records read per file; the rest are counted in `truncated.records`.
pub const MAX_RECORDS: u64 = 500_000;
/// A record whose XML is longer than this is dropped (and counted): real records are a few KiB.
pub const MAX_RECORD_XML: usize = 256 << 10;
/// Distinct (provider, event ID) pairs counted by name per file.
pub const MAX_EVENT_KEYS: usize = 2_000;
/// Distinct channels listed per file.
pub const MAX_CHANNELS: usize = 64;
/// Data items kept per record (fields and text).
pub const MAX_DATA_ITEMS: usize = 256;

static INFO: CollectorInfo = CollectorInfo {
    name: COLLECTOR,
    version: "1",
    reads: "Windows event logs (`.evtx`: Event Viewer's Save As, `wevtutil epl`)",
    typical_names: &["System.evtx", "Application.evtx"],
    provides: &["logs.evtx", "signals", "signals_truncated"],
    facts: signal_facts!(
        FactDecl::new("logs.evtx.files", &[List], "the event logs read"),
        FactDecl::new("logs.evtx.files[]", &[Str], "a file's path in the input"),
        FactDecl::new("logs.evtx.by_file.*", &[Map], "one event log, by its path in the input"),
        FactDecl::new("logs.evtx.by_file.*.records", &[Int], "records read"),
        FactDecl::new(
            "logs.evtx.by_file.*.dropped",
            &[Int],
            "records that could not be read (damaged, too large)"
        ),
        FactDecl::new("logs.evtx.by_file.*.chunks", &[Int], "chunks read"),
        FactDecl::new(
            "logs.evtx.by_file.*.dropped_chunks",
            &[Int],
            "chunks skipped (bad magic, bad checksum, truncated)"
        ),
        FactDecl::new("logs.evtx.by_file.*.dirty", &[Bool], "the header says the log was not closed cleanly"),
        FactDecl::new("logs.evtx.by_file.*.channels", &[List], "the channels of its records, sorted"),
        FactDecl::new("logs.evtx.by_file.*.channels[]", &[Str], "a channel (`System`, `Application`, …)"),
        FactDecl::new("logs.evtx.by_file.*.first_time", &[Timestamp], "the earliest record time"),
        FactDecl::new("logs.evtx.by_file.*.last_time", &[Timestamp], "the latest record time"),
        FactDecl::new("logs.evtx.by_file.*.events", &[Map], "records per provider"),
        FactDecl::new(
            "logs.evtx.by_file.*.events.*",
            &[Map],
            "one provider's records, per event ID (as text)"
        ),
        FactDecl::new("logs.evtx.by_file.*.events.*.*", &[Int], "records of this provider and event ID"),
        FactDecl::new("logs.evtx.by_file.*.truncated", &[Map], "bounds hit in this file"),
        FactDecl::new(
            "logs.evtx.by_file.*.truncated.*",
            &[Int],
            "`records` not read, `events` not counted by name"
        ),
        // An event record's `data` field is a map (the other log kinds' fields are scalars).
        FactDecl::new("signals.*[].fields.data", &[Map], "evtx: the event data items by name"),
        FactDecl::new("signals.*[].fields.data.*", &[Str], "evtx: one event data item (`<Data Name=\"…\">`)"),
    ),
    log_kind: Some(&LOG_KIND),
};

/// The fields of an event record (`record.fields.<name>`), as [`EventRecord::fields`] writes them.
pub static LOG_KIND: triage_facts::LogKindDecl = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    triage_facts::LogKindDecl {
        kind: KIND,
        fields: &[
            FactDecl::new(
                "provider",
                &[Str],
                "the provider's name (`Schannel`, `Microsoft-Windows-WindowsUpdateClient`)",
            ),
            FactDecl::new("event_id", &[Int], "the event ID (without qualifiers)"),
            FactDecl::new(
                "level",
                &[Str],
                "`critical`, `error`, `warning`, `information`, `verbose`, else the number",
            ),
            FactDecl::new("level_value", &[Int], "the level as a number (1 critical … 5 verbose, 0 any)"),
            FactDecl::new("time", &[Timestamp], "`TimeCreated`, UTC"),
            FactDecl::new("computer", &[Str], "the computer's name"),
            FactDecl::new("channel", &[Str], "the channel (`System`, `Application`, …)"),
            FactDecl::new("record_id", &[Int], "the `EventRecordID`"),
            FactDecl::new(
                "data",
                &[Map],
                "the event data items by name (`<Data Name=\"ErrorState\">`: `data.ErrorState`)",
            ),
        ],
    }
};

/// The `evtx` collector.
#[derive(Debug)]
pub struct EvtxLog;

impl triage_facts::Collector for EvtxLog {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        if !artifact.head.starts_with(MAGIC) {
            return Recognition::No;
        }
        if artifact.file_name_lower().ends_with(".evtx") {
            Recognition::ByNameAndContent
        } else {
            Recognition::ByContent
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, ctx: &CollectContext<'_>) -> CollectorOutput {
        collect_path(artifact.path, artifact.rel_path, ctx.plan)
    }
}

/// One event record, read from its XML.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EventRecord {
    pub provider: String,
    pub event_id: Option<i64>,
    pub level: Option<i64>,
    pub time: Option<Timestamp>,
    pub computer: String,
    pub channel: String,
    pub record_id: u64,
    /// Event data in document order: (name, value).
    pub data: Vec<(String, String)>,
}

type Cow = std::borrow::Cow<'static, str>;

/// `level_value` as a word.
pub fn level_name(level: i64) -> Cow {
    match level {
        1 => Cow::Borrowed("critical"),
        2 => Cow::Borrowed("error"),
        3 => Cow::Borrowed("warning"),
        0 | 4 => Cow::Borrowed("information"),
        5 => Cow::Borrowed("verbose"),
        n => Cow::Owned(n.to_string()),
    }
}

impl EventRecord {
    /// Reads a record's XML as the `evtx` crate renders it. `None` when it is not an `Event`.
    pub fn from_xml(xml: &str, record_id: u64) -> Option<EventRecord> {
        let doc = roxmltree::Document::parse(xml).ok()?;
        let event = doc.root_element();
        if event.tag_name().name() != "Event" {
            return None;
        }
        let mut r = EventRecord { record_id, ..Default::default() };
        for part in event.children().filter(roxmltree::Node::is_element) {
            match part.tag_name().name() {
                "System" => r.system(part),
                "EventData" => {
                    for d in part.children().filter(roxmltree::Node::is_element) {
                        let name = d.attribute("Name").unwrap_or_else(|| d.tag_name().name());
                        r.push_data(name, &text_of(d));
                    }
                }
                "UserData" => {
                    // One element named after the event, holding the items.
                    for holder in part.children().filter(roxmltree::Node::is_element) {
                        for leaf in holder
                            .descendants()
                            .filter(|n| n.is_element() && !n.children().any(|c| c.is_element()))
                        {
                            r.push_data(leaf.tag_name().name(), &text_of(leaf));
                        }
                    }
                }
                _ => {}
            }
        }
        Some(r)
    }

    fn system(&mut self, sys: roxmltree::Node<'_, '_>) {
        for n in sys.children().filter(roxmltree::Node::is_element) {
            match n.tag_name().name() {
                "Provider" => {
                    let name = n.attribute("Name").or_else(|| n.attribute("EventSourceName")).unwrap_or("");
                    self.provider = one_line(name);
                }
                "EventID" => self.event_id = text_of(n).trim().parse().ok(),
                "Level" => self.level = text_of(n).trim().parse().ok(),
                "TimeCreated" => self.time = n.attribute("SystemTime").and_then(parse_system_time),
                "Computer" => self.computer = one_line(&text_of(n)),
                "Channel" => self.channel = one_line(&text_of(n)),
                "EventRecordID" => {
                    if let Ok(id) = text_of(n).trim().parse() {
                        self.record_id = id;
                    }
                }
                _ => {}
            }
        }
    }

    fn push_data(&mut self, name: &str, value: &str) {
        if self.data.len() < MAX_DATA_ITEMS {
            self.data.push((one_line(name), one_line(value)));
        }
    }

    /// The record's text, which signal patterns run over (see the module docs).
    pub fn text(&self) -> String {
        let mut s = String::new();
        if let Some(id) = self.event_id {
            s.push_str(&format!("EventID={id} "));
        }
        s.push_str(&format!("Provider={}", self.provider));
        if let Some(l) = self.level {
            s.push_str(&format!(" Level={}", level_word(l)));
        }
        s.push_str(&format!(" Channel={} Computer={}", self.channel, self.computer));
        if let Some(t) = self.time {
            s.push_str(&format!(" Time={t}"));
        }
        s.push_str(&format!(" RecordID={}", self.record_id));
        for (name, value) in &self.data {
            s.push('\n');
            s.push_str(if name.is_empty() { "Data" } else { name });
            s.push('=');
            s.push_str(value);
        }
        s
    }

    /// The record's fields (see [`LOG_KIND`]).
    pub fn fields(&self) -> Fields {
        let mut m = Fields::new();
        m.insert("provider".into(), Fact::new(self.provider.as_str()));
        if let Some(id) = self.event_id {
            m.insert("event_id".into(), Fact::new(id));
        }
        if let Some(l) = self.level {
            m.insert("level".into(), Fact::new(level_name(l).into_owned()));
            m.insert("level_value".into(), Fact::new(l));
        }
        if let Some(t) = self.time {
            m.insert("time".into(), Fact::new(t));
        }
        m.insert("computer".into(), Fact::new(self.computer.as_str()));
        m.insert("channel".into(), Fact::new(self.channel.as_str()));
        m.insert("record_id".into(), Fact::new(self.record_id as i64));
        let mut data = Fields::new();
        for (name, value) in &self.data {
            // The first of several items with one name (unnamed ones are `Data`).
            let key = if name.is_empty() { "Data" } else { name };
            data.entry(key.to_owned()).or_insert_with(|| Fact::new(value.as_str()));
        }
        m.insert("data".into(), Fact::new(Value::Map(data)));
        m
    }
}

/// The level as the record text writes it: `Error`, `Warning`, … (capitalised as Event Viewer).
fn level_word(level: i64) -> String {
    let w = level_name(level);
    let mut c = w.chars();
    match c.next() {
        Some(f) if f.is_ascii_lowercase() => f.to_ascii_uppercase().to_string() + c.as_str(),
        _ => w.into_owned(),
    }
}

/// The text of an element (its text children joined).
fn text_of(n: roxmltree::Node<'_, '_>) -> String {
    n.children().filter(roxmltree::Node::is_text).filter_map(|t| t.text()).collect()
}

/// Line breaks (and other control characters) folded to spaces, so that an item stays one line.
fn one_line(s: &str) -> String {
    s.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// `2016-07-08T18:12:51.681640Z` (or fewer fraction digits) to milliseconds.
fn parse_system_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) => (m.to_owned(), f.trim_end_matches('Z')),
        None => (s.trim_end_matches('Z').to_owned(), ""),
    };
    let ms: String = frac.chars().take(3).collect();
    let t = Timestamp::parse_rfc3339(&format!("{main}Z"))?;
    let ms = if ms.is_empty() { 0 } else { format!("{ms:0<3}").parse::<i64>().ok()? };
    Some(Timestamp(t.0 + ms))
}

/// A plan's `evtx` signals, compiled as the text scanners compile theirs (multi-line, CRLF).
fn compile_signals<'p>(
    plan: Option<&'p ScanPlan>,
    rel: &str,
    errors: &mut Vec<CollectionError>,
) -> Vec<(&'p SignalSpec, regex::Regex)> {
    let mut out = Vec::new();
    for spec in plan.into_iter().flat_map(|p| p.signals_for(KIND)) {
        match regex::RegexBuilder::new(&spec.pattern)
            .multi_line(true)
            .crlf(true)
            .size_limit(SIGNAL_REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(re) => out.push((spec, re)),
            Err(e) => errors.push(CollectionError::new(rel, COLLECTOR, format!("signal {}: {e}", spec.id))),
        }
    }
    out
}

/// What one file gives, gathered record by record.
struct Summary<'p> {
    rel: &'p str,
    signals: Vec<(&'p SignalSpec, regex::Regex)>,
    /// Per signal: matches kept, matches beyond `max_matches`.
    matches: Vec<(Vec<Fact>, u64)>,
    records: u64,
    dropped: u64,
    chunks: u64,
    dropped_chunks: u64,
    over_cap: u64,
    events: BTreeMap<String, BTreeMap<i64, i64>>,
    event_keys: usize,
    events_uncounted: i64,
    channels: BTreeSet<String>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    errors: Vec<CollectionError>,
    errors_dropped: u64,
}

impl<'p> Summary<'p> {
    fn error(&mut self, message: String, offset: Option<u64>) {
        if self.errors.len() < MAX_ERRORS_PER_FILE {
            let mut e = CollectionError::new(self.rel, COLLECTOR, message);
            if let Some(o) = offset {
                e = e.at_offset(o);
            }
            self.errors.push(e);
        } else {
            self.errors_dropped += 1;
        }
    }

    fn record(&mut self, r: &EventRecord) {
        self.records += 1;
        if let Some(t) = r.time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        if !r.channel.is_empty() && self.channels.len() < MAX_CHANNELS {
            self.channels.insert(r.channel.clone());
        }
        let id = r.event_id.unwrap_or(-1);
        let known = self.events.get(&r.provider).is_some_and(|m| m.contains_key(&id));
        if known || self.event_keys < MAX_EVENT_KEYS {
            if !known {
                self.event_keys += 1;
            }
            *self.events.entry(r.provider.clone()).or_default().entry(id).or_insert(0) += 1;
        } else {
            self.events_uncounted += 1;
        }
        if self.signals.is_empty() {
            return;
        }
        let text = r.text();
        let mut fields: Option<Fields> = None;
        for (i, (spec, re)) in self.signals.iter().enumerate() {
            let Some(caps) = re.captures(&text) else { continue };
            let slot = &mut self.matches[i];
            if slot.0.len() >= spec.max_matches {
                slot.1 += 1;
                continue;
            }
            let mut captures = Fields::new();
            for name in re.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    captures.insert(name.to_owned(), Fact::new(m.as_str()));
                }
            }
            let fields = fields.get_or_insert_with(|| r.fields()).clone();
            let mut m = Fields::new();
            m.insert("line".into(), Fact::new(r.record_id as i64));
            m.insert("match_line".into(), Fact::new(r.record_id as i64));
            m.insert("text".into(), Fact::new(cap_text(&text)));
            m.insert("fields".into(), Fact::new(Value::Map(fields)));
            m.insert("captures".into(), Fact::new(Value::Map(captures)));
            m.insert("artifact".into(), Fact::new(self.rel));
            let prov = Provenance::new(self.rel, COLLECTOR).key(format!("EventRecordID={}", r.record_id));
            slot.0.push(Fact::with_source(Value::Map(m), Arc::new(prov)));
        }
    }

    fn finish(mut self, dirty: bool) -> CollectorOutput {
        if self.errors_dropped > 0 {
            let n = self.errors_dropped;
            self.errors.push(CollectionError::new(
                self.rel,
                COLLECTOR,
                format!("{n} more errors in this file not listed"),
            ));
        }
        let rel = self.rel;
        let src = Arc::new(Provenance::new(rel, COLLECTOR));
        let mut facts = FactMap::new();
        for ((spec, _), (kept, dropped)) in self.signals.iter().zip(std::mem::take(&mut self.matches)) {
            facts.insert(&["signals", spec.id.as_str()], Fact::new(Value::List(kept)));
            if dropped > 0 {
                facts.insert(&["signals_truncated", spec.id.as_str(), rel], Fact::new(dropped as i64));
            }
        }
        let mut m = Fields::new();
        m.insert("records".into(), Fact::new(self.records as i64));
        m.insert("dropped".into(), Fact::new(self.dropped as i64));
        m.insert("chunks".into(), Fact::new(self.chunks as i64));
        m.insert("dropped_chunks".into(), Fact::new(self.dropped_chunks as i64));
        m.insert("dirty".into(), Fact::new(dirty));
        let channels: Vec<Fact> = std::mem::take(&mut self.channels).into_iter().map(Fact::new).collect();
        m.insert("channels".into(), Fact::new(channels));
        if let Some(t) = self.first {
            m.insert("first_time".into(), Fact::new(t));
        }
        if let Some(t) = self.last {
            m.insert("last_time".into(), Fact::new(t));
        }
        let events: Fields = std::mem::take(&mut self.events)
            .into_iter()
            .map(|(provider, ids)| {
                let ids: Fields = ids.into_iter().map(|(id, n)| (id.to_string(), Fact::new(n))).collect();
                (provider, Fact::new(Value::Map(ids)))
            })
            .collect();
        m.insert("events".into(), Fact::new(Value::Map(events)));
        let mut truncated = Fields::new();
        if self.over_cap > 0 {
            truncated.insert("records".into(), Fact::new(self.over_cap as i64));
        }
        if self.events_uncounted > 0 {
            truncated.insert("events".into(), Fact::new(self.events_uncounted));
        }
        if !truncated.is_empty() {
            m.insert("truncated".into(), Fact::new(Value::Map(truncated)));
        }
        facts.insert(&["logs", KIND, "files"], Fact::new(vec![Fact::with_source(rel, src.clone())]));
        facts.insert(&["logs", KIND, "by_file", rel], Fact::with_source(Value::Map(m), src));
        CollectorOutput { facts, errors: self.errors, encoding: Some("binary".into()), items: self.records }
    }
}

fn cap_text(s: &str) -> String {
    if s.len() <= MAX_RECORD_TEXT {
        return s.to_owned();
    }
    let mut end = MAX_RECORD_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// An error with its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    let mut depth = 0;
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.ends_with(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    s
}

/// Reads one `.evtx` file (see the module docs).
pub fn collect_path(path: &Path, rel: &str, plan: Option<&ScanPlan>) -> CollectorOutput {
    let fail = |why: String| CollectorOutput {
        errors: vec![CollectionError::new(rel, COLLECTOR, format!("cannot read this event log: {why}"))],
        encoding: Some("binary".into()),
        ..Default::default()
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(e.to_string()),
    };
    collect_reader(file, rel, plan).unwrap_or_else(fail)
}

/// The records a chunk's header says it holds.
fn header_records(h: &evtx::EvtxChunkHeader) -> u64 {
    if h.first_event_record_number <= h.last_event_record_number {
        (h.last_event_record_number - h.first_event_record_number).saturating_add(1)
    } else {
        0
    }
}

/// [`collect_path`] over any seekable reader (tests, the fuzz target); `Err` when the file cannot
/// be read at all.
pub fn collect_reader<R: std::io::Read + std::io::Seek>(
    reader: R,
    rel: &str,
    plan: Option<&ScanPlan>,
) -> Result<CollectorOutput, String> {
    collect_reader_capped(reader, rel, plan, MAX_RECORDS)
}

/// [`collect_reader`] reading at most `max_records` records (the rest counted in
/// `truncated.records` from the chunk headers); tests use a small cap.
pub fn collect_reader_capped<R: std::io::Read + std::io::Seek>(
    mut reader: R,
    rel: &str,
    plan: Option<&ScanPlan>,
    max_records: u64,
) -> Result<CollectorOutput, String> {
    let mut magic = [0u8; 8];
    if reader.read_exact(&mut magic).is_err() || &magic != MAGIC {
        return Err("no EVTX file header (`ElfFile` magic)".into());
    }
    let len = reader.seek(std::io::SeekFrom::End(0)).map_err(|e| e.to_string())?;
    reader.seek(std::io::SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let settings = Arc::new(ParserSettings::new().validate_checksums(true));
    let mut parser =
        EvtxParser::from_read_seek(reader).map_err(|e| chain(&e))?.with_configuration((*settings).clone());
    // Flags bit 0: dirty (not closed cleanly).
    let dirty = parser.header().flags.bits() & 1 != 0;
    let mut errors = Vec::new();
    let signals = compile_signals(plan, rel, &mut errors);
    let mut s = Summary {
        rel,
        matches: signals.iter().map(|_| (Vec::new(), 0)).collect(),
        signals,
        records: 0,
        dropped: 0,
        chunks: 0,
        dropped_chunks: 0,
        over_cap: 0,
        events: BTreeMap::new(),
        event_keys: 0,
        events_uncounted: 0,
        channels: BTreeSet::new(),
        first: None,
        last: None,
        errors,
        errors_dropped: 0,
    };
    for chunk in parser.chunks() {
        if s.records + s.dropped >= max_records {
            // Past the cap: the rest is counted from the chunk headers, not read.
            if let Ok(d) = &chunk {
                s.over_cap += header_records(&d.header);
            }
            continue;
        }
        let mut data = match chunk {
            Ok(d) => d,
            Err(e) => {
                s.dropped_chunks += 1;
                let at = match &e {
                    evtx::err::EvtxError::FailedToParseChunk { chunk_id, .. } => {
                        Some(FILE_HEADER_BYTES + chunk_id * CHUNK_BYTES)
                    }
                    _ => None,
                };
                s.error(format!("chunk skipped: {}", chain(&e)), at);
                continue;
            }
        };
        let number = data.number;
        let offset = number.map(|n| FILE_HEADER_BYTES + n * CHUNK_BYTES);
        let in_chunk = header_records(&data.header);
        let mut chunk = match data.parse(Arc::clone(&settings)) {
            Ok(c) => c,
            Err(e) => {
                s.dropped_chunks += 1;
                s.error(format!("chunk {} skipped: {}", number.unwrap_or(0), chain(&e)), offset);
                continue;
            }
        };
        s.chunks += 1;
        for (seen, rec) in chunk.iter().enumerate() {
            if s.records + s.dropped >= max_records {
                s.over_cap += in_chunk.saturating_sub(seen as u64);
                break;
            }
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    s.dropped += 1;
                    s.error(format!("record skipped: {}", chain(&e)), offset);
                    continue;
                }
            };
            let id = rec.event_record_id;
            if rec.binxml_size as usize > MAX_RECORD_XML {
                s.dropped += 1;
                s.error(format!("record {id} skipped: {} bytes of binary XML", rec.binxml_size), offset);
                continue;
            }
            let xml = match rec.into_xml() {
                Ok(x) => x.data,
                Err(e) => {
                    s.dropped += 1;
                    s.error(format!("record {id} skipped: {}", chain(&e)), offset);
                    continue;
                }
            };
            if xml.len() > MAX_RECORD_XML {
                s.dropped += 1;
                s.error(format!("record {id} skipped: {} bytes of XML", xml.len()), offset);
                continue;
            }
            match EventRecord::from_xml(&xml, id) {
                Some(r) => s.record(&r),
                None => {
                    s.dropped += 1;
                    s.error(format!("record {id} skipped: not an Event"), offset);
                }
            }
        }
    }
    // The parser stops before a partial chunk at the end: a file cut short (a copy that did not
    // finish) says so here.
    let partial = len.saturating_sub(FILE_HEADER_BYTES) % CHUNK_BYTES;
    if len < FILE_HEADER_BYTES || partial != 0 {
        s.dropped_chunks += 1;
        let at = len - partial.min(len);
        s.error(format!("truncated: the last {partial} bytes are part of a chunk, not read"), Some(at));
    }
    Ok(s.finish(dirty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_from_its_xml() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Schannel" Guid="{1f678132-5938-4686-9fdc-c8ff68f15c85}"/><EventID Qualifiers="">36871</EventID><Level>2</Level><TimeCreated SystemTime="2024-05-02T10:00:00.1234567Z"/><EventRecordID>42</EventRecordID><Channel>System</Channel><Computer>WSUS01.contoso.com</Computer></System><EventData><Data Name="Type">client</Data><Data Name="ErrorState">10013</Data></EventData></Event>"#;
        let r = EventRecord::from_xml(xml, 0).expect("an event");
        assert_eq!(r.provider, "Schannel");
        assert_eq!(r.event_id, Some(36871));
        assert_eq!(r.record_id, 42);
        assert_eq!(r.time.map(|t| t.to_string()).as_deref(), Some("2024-05-02T10:00:00.123Z"));
        assert_eq!(
            r.text(),
            "EventID=36871 Provider=Schannel Level=Error Channel=System Computer=WSUS01.contoso.com \
             Time=2024-05-02T10:00:00.123Z RecordID=42\nType=client\nErrorState=10013"
        );
        let f = r.fields();
        assert_eq!(
            f["data"].as_map().map(|d| d["ErrorState"].value.clone()),
            Some(Value::Str("10013".into()))
        );
        assert_eq!(f["level"].value, Value::Str("error".into()));
        assert_eq!(f["level_value"].value, Value::Int(2));
    }

    #[test]
    fn system_times_keep_milliseconds() {
        assert_eq!(
            parse_system_time("2016-07-08T18:12:51Z").map(|t| t.to_string()).as_deref(),
            Some("2016-07-08T18:12:51.000Z")
        );
        assert_eq!(parse_system_time("2016-07-08T18:12:51.5Z").map(|t| t.0 % 1000), Some(500));
        assert_eq!(parse_system_time("yesterday"), None);
    }

    #[test]
    fn a_file_without_the_magic_is_refused() {
        let e = collect_reader(std::io::Cursor::new(b"MZ\x90\0not an event log".to_vec()), "x.evtx", None);
        assert_eq!(e.err().as_deref(), Some("no EVTX file header (`ElfFile` magic)"));
    }
}
