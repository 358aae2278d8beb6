//! SoftwareDistribution.log, the WSUS server's log (collector `wsus-log`, kind `wsus`).
//!
//! A record starts with a TAB-separated header
//! `YYYY-MM-DD HH:MM:SS.mmm UTC <TAB> Level <TAB> Process.Thread <TAB> Class.Method <TAB> Message`
//! and continues over stack frames, inner-exception separators and blank lines until the next
//! header. Pasted copies that lost their TABs are split on whitespace; copies that lost their
//! leading columns (`<Date> <Time> Error WsusService.25 Class.Method …`, `UTC Error w3wp.130 …`)
//! are still recognised as headers. Facts: see the [module overview](super) — `logs.wsus`,
//! `signals.<id>`.

use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectorInfo, CollectorOutput, Fact, Provenance, Recognition, Timestamp, Value,
};

use super::{fixed_digits, parse_hms, Extracted, Fields, Record};

pub const COLLECTOR: &str = "wsus-log";
pub const KIND: &str = "wsus";

static INFO: CollectorInfo = CollectorInfo {
    name: COLLECTOR,
    version: "1",
    reads: "WSUS server log (SoftwareDistribution.log and rotated copies), UTF-8 or UTF-16",
    typical_names: &["SoftwareDistribution.log", "SoftwareDistribution.log.1"],
    provides: &["logs.wsus", "signals", "signals_truncated"],
    facts: builtin_log_lists!("wsus"),
    log_kind: Some(&LOG_KIND),
};

/// The fields of a record (`record.fields.<name>`), as [`fields`] writes them.
static LOG_KIND: triage_facts::LogKindDecl = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    triage_facts::LogKindDecl {
        kind: KIND,
        fields: &[
            FactDecl::new("time", &[Timestamp], "the header's time (UTC)"),
            FactDecl::new("level", &[Str], "`Info`, `Warning`, `Error`, …"),
            FactDecl::new("process", &[Str], "`w3wp`, `WsusService`, …"),
            FactDecl::new("thread", &[Int], "the thread number"),
            FactDecl::new("component", &[Str], "`Class.Method`"),
            FactDecl::new("message", &[Str], "the message's first line"),
            FactDecl::new("event_id", &[Int], "EventLogEventReporter records: the EventId"),
            FactDecl::new("event_type", &[Str], "EventLogEventReporter records: the event type"),
            FactDecl::new("event_category", &[Str], "EventLogEventReporter records: the category"),
        ],
    }
};

/// The `wsus-log` collector.
#[derive(Debug)]
pub struct WsusLog;

impl triage_facts::Collector for WsusLog {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let name = super::file_name_lower(artifact.rel_path);
        if name.starts_with("softwaredistribution") && name.contains(".log") {
            return Recognition::ByNameAndContent;
        }
        let head = crate::text::decode_head(artifact.head);
        let timestamped = crate::text::lines_with_offsets(&head.text)
            .take(50)
            .any(|(_, _, l)| parse_header_time(l.as_bytes()).is_some());
        if timestamped {
            Recognition::ByContent
        } else {
            Recognition::No
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, ctx: &CollectContext<'_>) -> CollectorOutput {
        super::scan::collect_artifact(super::Format::Wsus, artifact, ctx)
    }
}

/// Parses the `YYYY-MM-DD HH:MM:SS[.f…] UTC` header at the start of a line; returns the time
/// and the byte index just after `UTC`.
pub fn parse_header_time(line: &[u8]) -> Option<(Timestamp, usize)> {
    let y = fixed_digits(line, 4)?;
    if line.get(4) != Some(&b'-') || line.get(7) != Some(&b'-') {
        return None;
    }
    let mo = fixed_digits(line.get(5..)?, 2)?;
    let d = fixed_digits(line.get(8..)?, 2)?;
    if !matches!(line.get(10), Some(b' ' | b'T')) {
        return None;
    }
    let (h, mi, s, ms, n) = parse_hms(line.get(11..)?)?;
    let mut i = 11 + n;
    let ws = line.get(i..)?.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    i += ws;
    if ws == 0 || line.get(i..i + 3) != Some(b"UTC") {
        return None;
    }
    let t = Timestamp::from_civil(i64::from(y), mo, d, h, mi, s.min(59), ms)?;
    Some((t, i + 3))
}

/// The day of the last header [`header_time_cached`] read: its `YYYY-MM-DD` bytes and the
/// timestamp of its midnight.
pub type DayCache = Option<([u8; 10], Timestamp)>;

/// [`parse_header_time`]'s time, fast for the shape real files write
/// (`YYYY-MM-DD HH:MM:SS.mmm` then spaces or TABs and `UTC`): consecutive records share their
/// day, so the calendar arithmetic runs once per day. Any other shape takes the general path;
/// both give the same answer.
pub fn header_time_cached(line: &[u8], day: &mut DayCache) -> Option<Timestamp> {
    const SHAPE: &[u8; 23] = b"0000-00-00 00:00:00.000";
    let fast = line.len() >= 27
        && line[..23].iter().zip(SHAPE).all(|(c, s)| if *s == b'0' { c.is_ascii_digit() } else { c == s })
        && matches!(line[23], b' ' | b'\t');
    if !fast {
        return parse_header_time(line).map(|(t, _)| t);
    }
    let rest = &line[23..];
    let ws = rest.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    if rest.get(ws..ws + 3) != Some(b"UTC") {
        return None;
    }
    let num = |a: usize, n: usize| line[a..a + n].iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
    let (h, mi, sec, ms) = (num(11, 2), num(14, 2), num(17, 2), num(20, 3));
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let midnight = match day {
        Some((d, t)) if d[..] == line[..10] => *t,
        _ => {
            let t = Timestamp::from_civil(i64::from(num(0, 4)), num(5, 2), num(8, 2), 0, 0, 0, 0)?;
            let mut key = [0u8; 10];
            key.copy_from_slice(&line[..10]);
            *day = Some((key, t));
            t
        }
    };
    let secs = i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec.min(59));
    Some(Timestamp(midnight.0 + secs * 1000 + i64::from(ms)))
}

/// A header's time from [`header_time_fast`]: the `YYYY-MM-DD HH:MM:SS.mmm` bytes as three
/// big-endian words (`YYYY-MM-`, `DD HH:MM`, `:SS.mmm` and a zero byte, a leap second read as
/// `:59`), which order as the times do, so a scan can keep the earliest and latest without any
/// calendar arithmetic and convert only those two ([`key_time`]).
pub type TimeKey = [u64; 3];

/// What [`header_time_fast`] found at the start of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderTime {
    /// The usual shape, validated; its time is [`key_time`] of this key.
    Key(TimeKey),
    /// Another shape the general parser accepts.
    Time(Timestamp),
    /// Not a timestamped header.
    None,
}

/// Per 8-byte word of `YYYY-MM-DD HH:MM:SS.mmm?`: (mask, expected) for the high nibbles of the
/// digits and the separators, and (addend, mask, expected) that only digits `0`–`9` pass.
pub(crate) const WORD_SHAPE: [(u64, u64, u64, u64, u64); 3] = [
    (
        0xF0F0_F0F0_FFF0_F0FF,
        0x3030_3030_2D30_302D,
        0x0606_0606_0006_0600,
        0xF0F0_F0F0_00F0_F000,
        0x3030_3030_0030_3000,
    ),
    (
        0xF0F0_FFF0_F0FF_F0F0,
        0x3030_2030_303A_3030,
        0x0606_0006_0600_0606,
        0xF0F0_00F0_F000_F0F0,
        0x3030_0030_3000_3030,
    ),
    (
        0xFFF0_F0FF_F0F0_F000,
        0x3A30_302E_3030_3000,
        0x0006_0600_0606_0600,
        0x00F0_F000_F0F0_F000,
        0x0030_3000_3030_3000,
    ),
];

/// [`header_time_cached`] for the line pass of a scan: the same headers and times, but the
/// usual shape (`YYYY-MM-DD HH:MM:SS.mmm`, spaces or TABs, `UTC`) is checked with a few word
/// operations and returned as a [`TimeKey`]; `day` remembers the last valid `YYYY-MM-DD`, so
/// the calendar is consulted once per day. Other shapes take the general parser.
#[inline]
pub fn header_time_fast(line: &[u8], day: &mut Option<[u8; 10]>) -> HeaderTime {
    let general =
        |line: &[u8]| parse_header_time(line).map_or(HeaderTime::None, |(t, _)| HeaderTime::Time(t));
    let Some(head) = line.get(..24) else { return general(line) };
    let word = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&head[i * 8..i * 8 + 8]);
        u64::from_be_bytes(b)
    };
    let w = [word(0), word(1), word(2)];
    let shaped = w.iter().zip(WORD_SHAPE).all(|(x, (m, p, a, m2, p2))| {
        // The high nibbles first: then adding 6 to a digit byte cannot carry into the next.
        (x & m) == p && (x.wrapping_add(a) & m2) == p2
    });
    if !shaped || !matches!(head[23], b' ' | b'\t') {
        return general(line);
    }
    let rest = &line[23..];
    let ws = rest.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
    if rest.get(ws..ws + 3) != Some(b"UTC") {
        return HeaderTime::None;
    }
    if (head[11], head[12]) > (b'2', b'3') || head[14] > b'5' || (head[17], head[18]) > (b'6', b'0') {
        return HeaderTime::None;
    }
    if day.as_ref().is_none_or(|d| d[..] != head[..10]) {
        let num =
            |a: usize, n: usize| head[a..a + n].iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
        if Timestamp::from_civil(i64::from(num(0, 4)), num(5, 2), num(8, 2), 0, 0, 0, 0).is_none() {
            return HeaderTime::None;
        }
        let mut d = [0u8; 10];
        d.copy_from_slice(&head[..10]);
        *day = Some(d);
    }
    let mut last = w[2] & !0xFF;
    if head[17] == b'6' {
        // A leap second counts as :59, as everywhere else.
        last = (last & !0x00FF_FF00_0000_0000) | 0x0035_3900_0000_0000;
    }
    HeaderTime::Key([w[0], w[1], last])
}

/// The time of a [`TimeKey`].
pub fn key_time(key: TimeKey) -> Option<Timestamp> {
    let mut line = [0u8; 27];
    for (i, w) in key.iter().enumerate() {
        line[i * 8..i * 8 + 8].copy_from_slice(&w.to_be_bytes());
    }
    line[23] = b' ';
    line[24..].copy_from_slice(b"UTC");
    parse_header_time(&line).map(|(t, _)| t)
}

/// Whether a line starts a record: a timestamped header, or a header that lost its leading
/// columns (level, `Process.Thread`, `Class.Method` still present).
pub fn is_header_line(line: &[u8]) -> bool {
    match line.first() {
        None => false,
        Some(b) if b.is_ascii_digit() => parse_header_time(line).is_some(),
        Some(b) if b.is_ascii_whitespace() => false,
        Some(_) => std::str::from_utf8(line).is_ok_and(|l| column_lost_header(l).is_some()),
    }
}

const PLACEHOLDERS: &[&str] = &["<date>", "<time>", "utc"];

/// `<Date> <Time> Error WsusService.25 Class.Method message` → the text from the level on.
fn column_lost_header(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    loop {
        let tok_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if PLACEHOLDERS.iter().any(|p| rest[..tok_end].eq_ignore_ascii_case(p)) {
            rest = rest[tok_end..].trim_start();
        } else {
            break;
        }
    }
    let mut toks = rest.split_whitespace();
    let (l, p, c) = (toks.next()?, toks.next()?, toks.next()?);
    (is_level(l) && split_process(p).is_some() && is_component(c)).then_some(rest)
}

fn is_level(t: &str) -> bool {
    (2..=12).contains(&t.len())
        && t.bytes().all(|b| b.is_ascii_alphabetic())
        && t.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
}

/// `w3wp.126` → (`w3wp`, 126).
fn split_process(t: &str) -> Option<(&str, i64)> {
    let (name, thread) = t.rsplit_once('.')?;
    let ok_name = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !ok_name || thread.is_empty() || thread.len() > 9 || !thread.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, thread.parse().ok()?))
}

/// `Class.Method` (namespaces and generic ticks allowed).
fn is_component(t: &str) -> bool {
    t.contains('.')
        && !t.ends_with('.')
        && t.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'`' | b'<' | b'>' | b'+'))
}

/// The parsed header of a record.
#[derive(Debug, Default, PartialEq)]
pub struct Header<'a> {
    pub time: Option<Timestamp>,
    pub level: Option<&'a str>,
    pub process: Option<&'a str>,
    pub thread: Option<i64>,
    pub component: Option<&'a str>,
    pub message: &'a str,
}

/// Parses a record's first line, as tolerantly as pasted copies need.
pub fn parse_header(line: &str) -> Header<'_> {
    let mut h = Header::default();
    let mut rest = line;
    if let Some((t, end)) = parse_header_time(line.as_bytes()) {
        h.time = Some(t);
        rest = line.get(end..).unwrap_or("");
    } else if let Some(r) = column_lost_header(line) {
        rest = r;
    }
    let trimmed = rest.trim_start_matches([' ', '\t']);
    // Real files: TAB-separated columns.
    let cols: Vec<&str> = trimmed.splitn(4, '\t').collect();
    if cols.len() >= 3 {
        let (l, p, c) = (cols[0].trim(), cols[1].trim(), cols[2].trim());
        if let Some((process, thread)) = split_process(p) {
            h.level = (!l.is_empty()).then_some(l);
            h.process = Some(process);
            h.thread = Some(thread);
            h.component = (!c.is_empty()).then_some(c);
            h.message = cols.get(3).map_or("", |m| m.trim());
            return h;
        }
    }
    // Whitespace-separated (TABs lost): level? process.thread component message…
    let mut toks = Tokens { rest: trimmed };
    let save = toks.rest;
    let t1 = toks.next();
    let t2 = toks.next();
    match (t1, t2) {
        (Some(l), Some(p)) if is_level(l) && split_process(p).is_some() => {
            h.level = Some(l);
            (h.process, h.thread) = split_process(p).map_or((None, None), |(a, b)| (Some(a), Some(b)));
        }
        (Some(p), _) if split_process(p).is_some() => {
            (h.process, h.thread) = split_process(p).map_or((None, None), |(a, b)| (Some(a), Some(b)));
            toks.rest = save;
            toks.next();
        }
        _ => {
            // Only a component and a message (`Class.Method<TAB>message`), or just a message.
            let cols: Vec<&str> = save.splitn(2, '\t').collect();
            if cols.len() == 2 && is_component(cols[0].trim()) {
                h.component = Some(cols[0].trim());
                h.message = cols[1].trim();
            } else {
                h.message = save.trim();
            }
            return h;
        }
    }
    let before_comp = toks.rest;
    match toks.next() {
        Some(c) if is_component(c) => h.component = Some(c),
        _ => toks.rest = before_comp,
    }
    h.message = toks.rest.trim();
    h
}

struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest.trim_start();
        if s.is_empty() {
            return None;
        }
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        self.rest = &s[end..];
        Some(&s[..end])
    }
}

/// The parts of an `EventLogEventReporter` message.
#[derive(Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub id: i64,
    pub event_type: Option<&'a str>,
    pub category: Option<&'a str>,
    pub message: Option<&'a str>,
}

/// `EventId=384,Type=Information,Category=Synchronization,Message=…` → its parts.
pub fn parse_event(message: &str) -> Option<Event<'_>> {
    let at = message.find("EventId=")?;
    let rest = &message[at..];
    let (head, msg) = match rest.find(",Message=") {
        Some(i) => (&rest[..i], Some(rest[i + ",Message=".len()..].trim())),
        None => (rest, None),
    };
    let (mut id, mut ty, mut cat) = (None, None, None);
    for part in head.split(',') {
        match part.split_once('=') {
            Some(("EventId", v)) => id = v.trim().parse::<i64>().ok(),
            Some(("Type", v)) => ty = Some(v.trim()),
            Some(("Category", v)) => cat = Some(v.trim()),
            _ => {}
        }
    }
    Some(Event { id: id?, event_type: ty, category: cat, message: msg })
}

/// What a sync-related EventId means.
pub fn event_kind(id: i64) -> &'static str {
    match id {
        381 | 382 => "started",
        384 => "completed",
        386 | 387 => "failed",
        _ => "other",
    }
}

/// The record's time, cheaply, for the file's time range.
pub fn record_time(first_line: &[u8]) -> Option<Timestamp> {
    parse_header_time(first_line).map(|(t, _)| t)
}

/// The record's `fields` map.
pub fn fields(rec: &Record<'_>) -> Fields {
    let mut m = Fields::new();
    if rec.continued {
        return m;
    }
    let Some(first) = rec.lines.first() else { return m };
    let h = parse_header(first.text);
    if let Some(t) = h.time {
        m.insert("time".into(), Fact::new(t));
    }
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            m.insert(k.into(), Fact::new(v));
        }
    };
    put("level", h.level);
    put("process", h.process);
    put("component", h.component);
    put("message", Some(h.message));
    if let Some(t) = h.thread {
        m.insert("thread".into(), Fact::new(t));
    }
    let is_event = h.component.is_some_and(|c| c.starts_with("EventLogEventReporter"))
        || h.message.starts_with("EventId=");
    if is_event {
        if let Some(ev) = parse_event(h.message) {
            m.insert("event_id".into(), Fact::new(ev.id));
            if let Some(t) = ev.event_type {
                m.insert("event_type".into(), Fact::new(t));
            }
            if let Some(c) = ev.category {
                m.insert("event_category".into(), Fact::new(c));
            }
        }
    }
    m
}

/// Patterns (regexes) whose hits feed [`extract`], which checks each record again, so they may
/// match more than it uses. Only the synchronization EventIds (38x) are looked at: routine
/// events (364 content downloads, …) are a large share of a real log. `s://` and `Id=38\d`
/// rather than `https://` and `EventId=38\d`: the multi-pattern prefilter keys on each
/// literal's first bytes, and `http` (every `http://` download URL) and `Even`
/// (`EventLogEventReporter`, `EventId=364`) are everywhere in a WSUS log; this halves the cost
/// of the built-in search (`BENCHMARKS.md`).
pub const BUILTIN_PATTERNS: &[&str] = &["SCHANNEL Protocol", "s://", r"Id=38\d\b"];

/// Literals that find every match of [`BUILTIN_PATTERNS`] (and a few more), for the scanner's
/// single search over signals and built-ins.
pub const BUILTIN_SEARCH: &[&str] = &["SCHANNEL Protocol", "s://", "Id=38"];

/// Whether an EventId is one of the synchronization events `sync_events` lists.
pub fn is_sync_event(id: i64) -> bool {
    (380..=389).contains(&id)
}

/// Whether [`extract`] reads the record's fields: for SCHANNEL lines (their time) and sync
/// events (the header's EventId). A record with neither (`https://` URLs only) gets none.
pub fn extract_needs_fields(joined: &str) -> bool {
    let first = joined.split('\n').next().unwrap_or("");
    first.contains("EventId=") || joined.contains("SCHANNEL Protocol")
}

/// Gathers the built-in facts of one record.
pub fn extract(rec: &Record<'_>, fields: &Fields, out: &mut Extracted, src: &dyn Fn(u64) -> Arc<Provenance>) {
    let time = match fields.get("time").map(|f| &f.value) {
        Some(Value::Timestamp(t)) => Some(*t),
        _ => None,
    };
    for line in &rec.lines {
        if line.text.contains("SCHANNEL Protocol") {
            let _ = out.schannel_in(line, time, src(line.number));
        }
        if line.text.contains("https://") {
            out.endpoints_in(line);
        }
    }
    if let (Some(Value::Int(id)), Some(first)) = (fields.get("event_id").map(|f| &f.value), rec.lines.first())
    {
        if !is_sync_event(*id) {
            return;
        }
        let mut m = Fields::new();
        m.insert("event_id".into(), Fact::new(*id));
        m.insert("kind".into(), Fact::new(event_kind(*id)));
        m.insert("line".into(), Fact::new(first.number as i64));
        if let Some(t) = time {
            m.insert("time".into(), Fact::new(t));
        }
        if let Some(msg) = parse_event(first.text).and_then(|e| e.message) {
            m.insert("message".into(), Fact::new(msg));
        }
        let f = Fact::with_source(Value::Map(m), src(first.number));
        Extracted::push(&mut out.sync_events, &mut out.truncated, "sync_events", f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabbed_header() {
        let h = parse_header("2020-08-01 10:00:00.123 UTC\tError\tw3wp.126\tA.B\tboom\tmore");
        assert_eq!(h.time, Timestamp::from_civil(2020, 8, 1, 10, 0, 0, 123));
        assert_eq!(
            (h.level, h.process, h.thread, h.component, h.message),
            (Some("Error"), Some("w3wp"), Some(126), Some("A.B"), "boom\tmore")
        );
    }

    #[test]
    fn cached_header_time_agrees_with_the_general_parser() {
        let mut day = None;
        for line in [
            &b"2020-08-01 10:00:00.123 UTC\tError"[..],
            b"2020-08-01 23:59:60.999  UTC x",
            b"2020-08-02 00:00:00.000\tUTC",
            b"2020-02-30 00:00:00.000 UTC",
            b"2020-08-01 24:00:00.000 UTC",
            b"2020-08-01 10:00:00.1234 UTC",
            b"2020-08-01 10:00:00.123 UTX",
            b"2021-13-01 10:00:00.123 UTC",
        ] {
            assert_eq!(
                header_time_cached(line, &mut day),
                parse_header_time(line).map(|(t, _)| t),
                "{line:?}"
            );
        }
    }

    #[test]
    fn fast_header_time_agrees_with_the_cached_parser() {
        // (`header_time_cached`, which the line pass used before: it agrees with the general
        // parser except that it refuses seconds over 60.)
        let (mut day, mut cached_day) = (None, None);
        let lines: &[&[u8]] = &[
            b"2020-08-01 10:00:00.123 UTC\tError",
            b"2020-08-01 23:59:60.999  UTC x",
            b"2020-08-01 23:59:59.999 UTC",
            b"2020-08-02 00:00:00.000\tUTC",
            b"2020-02-30 00:00:00.000 UTC",
            b"2020-02-29 00:00:00.000 UTC",
            b"2019-02-29 00:00:00.000 UTC",
            b"2020-08-01 24:00:00.000 UTC",
            b"2020-08-01 19:60:00.000 UTC",
            b"2020-08-01 19:00:61.000 UTC",
            b"2020-08-01 10:00:00.1234 UTC",
            b"2020-08-01T10:00:00.123 UTC",
            b"2020-08-01 10:00:00.123 UTX",
            b"2020-08-01 10:00:00.123 UT",
            b"2020-08-01 10:00:00.123",
            b"2020-08-01 1:00:00.123 UTC",
            b"2020-08-01 10:0a:00.123 UTC",
            b"2020-08-01 10:00:00.12: UTC",
            b"2020/08/01 10:00:00.123 UTC",
            b"2021-13-01 10:00:00.123 UTC",
            b"\xff020-08-01 10:00:00.123 UTC",
            b"2\xff20-08-01 10:00:00.123 UTC",
        ];
        for line in lines {
            let want = header_time_cached(line, &mut cached_day);
            let got = match header_time_fast(line, &mut day) {
                HeaderTime::Key(k) => key_time(k),
                HeaderTime::Time(t) => Some(t),
                HeaderTime::None => None,
            };
            assert_eq!(got, want, "{}", String::from_utf8_lossy(line));
        }
        // Keys order as the times do, a leap second as :59.
        let key = |l: &[u8]| match header_time_fast(l, &mut None) {
            HeaderTime::Key(k) => k,
            other => panic!("not a key: {other:?}"),
        };
        let a = key(b"2020-08-01 23:59:59.500 UTC");
        let b = key(b"2020-08-01 23:59:60.400 UTC");
        let c = key(b"2020-08-02 00:00:00.000 UTC");
        assert!(b < a && a < c);
        assert!(key(b"2020-08-01 09:59:59.999 UTC") < key(b"2020-08-01 10:00:00.000 UTC"));
    }

    #[test]
    fn whitespace_and_lost_columns() {
        let h = parse_header("2014-01-16 18:53:56.168 UTC  Info         WsusService.15 EventLogEventReporter.ReportEvent  EventId=382,Type=Information");
        assert_eq!(h.process, Some("WsusService"));
        assert_eq!(h.component, Some("EventLogEventReporter.ReportEvent"));
        assert_eq!(h.message, "EventId=382,Type=Information");
        let h = parse_header("UTC Error w3wp.130 DBConnection.LogSqlException DBLAYER: x");
        assert_eq!((h.level, h.thread, h.message), (Some("Error"), Some(130), "DBLAYER: x"));
        assert!(is_header_line(b"<Date> <Time> Error WsusService.25 SoapUtilities.LogException USS"));
        assert!(!is_header_line(b"Synchronization manually started"));
        assert!(!is_header_line(b"   at X.Y()"));
    }
}
