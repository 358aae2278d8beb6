//! ConfigMgr logs: wsyncmgr.log, WCM.log and their `.lo_` rollovers (collector
//! `configmgr-log`, kind `configmgr`).
//!
//! Two framings, detected per file from its first bytes and accepted together:
//!
//! - CMTrace: `<![LOG[message]LOG]!><time="HH:MM:SS.fff+BIAS" date="MM-DD-YYYY" component="…"
//!   context="" type="1" thread="N" file="src.cpp:line">` — the message may span lines,
//!   attributes come in any order, some missing, dates unpadded, fractions up to 7 digits, and
//!   copies from web pages carry curly quotes;
//! - SMS: `message  $$<COMPONENT><MM-DD-YYYY HH:MM:SS.fff+BIAS><thread=N (0xHEX)>`, the trailer
//!   closing the record; `~` inside the message is a newline; SMS 2.0 wrote
//!   `<Fri Mar 26 10:43:41.547 1999 Eastern Standard Time>` instead (kept as `local_time` and
//!   `time_zone`, since a zone name gives no reliable offset).
//!
//! UTC = local time + bias (minutes). A file with neither framing (a copy of the CMTrace grid)
//! is read one line per record, with a trailing `SMS_…` component column recognised. Facts: see
//! the [module overview](super) — `logs.configmgr`, `signals.<id>`.

use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectorInfo, CollectorOutput, Fact, Provenance, Recognition, Timestamp, Value,
};

use super::{month_from_name, parse_hms, var_digits, Extracted, Fields, Record};

pub const COLLECTOR: &str = "configmgr-log";
pub const KIND: &str = "configmgr";

static INFO: CollectorInfo = CollectorInfo {
    name: COLLECTOR,
    version: "1",
    reads: "Configuration Manager logs in CMTrace or SMS framing (wsyncmgr.log, WCM.log, *.lo_)",
    typical_names: &["wsyncmgr.log", "WCM.log", "wsyncmgr.lo_"],
    provides: &["logs.configmgr", "signals", "signals_truncated"],
    facts: builtin_log_lists!("configmgr"),
    log_kind: Some(&LOG_KIND),
};

/// The fields of a record (`record.fields.<name>`), as [`fields`] writes them.
static LOG_KIND: triage_facts::LogKindDecl = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    triage_facts::LogKindDecl {
        kind: KIND,
        fields: &[
            FactDecl::new("time", &[Timestamp], "the record's time, UTC (bias applied)"),
            FactDecl::new("component", &[Str], "the component"),
            FactDecl::new("thread", &[Int], "the thread number"),
            FactDecl::new("type", &[Int], "1 info, 2 warning, 3 error"),
            FactDecl::new("level", &[Str], "`info`, `warning` or `error`"),
            FactDecl::new("message", &[Str], "the message"),
            FactDecl::new("context", &[Str], "the CMTrace context"),
            FactDecl::new("file", &[Str], "the CMTrace source file"),
            FactDecl::new("framing", &[Str], "`cmtrace`, `sms` or `plain`"),
            FactDecl::new("local_time", &[Str], "SMS 2.0 dates: the local time as written"),
            FactDecl::new("time_zone", &[Str], "SMS 2.0 dates: the time zone's name"),
        ],
    }
};

/// The `configmgr-log` collector.
#[derive(Debug)]
pub struct ConfigMgrLog;

impl triage_facts::Collector for ConfigMgrLog {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let name = super::file_name_lower(artifact.rel_path);
        let by_name = name.ends_with(".lo_")
            || (name.ends_with(".log") && (name.starts_with("wsyncmgr") || name.starts_with("wcm")));
        if by_name {
            return Recognition::ByNameAndContent;
        }
        match detect_framing(&crate::text::decode_head(artifact.head).text) {
            Framing::Plain => Recognition::No,
            _ => Recognition::ByContent,
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, ctx: &CollectContext<'_>) -> CollectorOutput {
        let head = crate::text::decode_head(artifact.head);
        super::scan::collect_artifact(super::Format::ConfigMgr(detect_framing(&head.text)), artifact, ctx)
    }
}

/// How a ConfigMgr log frames its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `<![LOG[…]LOG]!><time=… >`
    Cmtrace,
    /// `… $$<COMP><date time+bias><thread=…>`
    Sms,
    /// Neither: one line per record.
    Plain,
}

impl Framing {
    pub fn name(self) -> &'static str {
        match self {
            Framing::Cmtrace => "cmtrace",
            Framing::Sms => "sms",
            Framing::Plain => "plain",
        }
    }
}

/// The framing of a file, from its first bytes (decoded): whichever marker comes first.
pub fn detect_framing(head: &str) -> Framing {
    let cm = head.find("<![LOG[");
    let sms = head.find("$$<").filter(|i| head[*i..].contains("<thread="));
    match (cm, sms) {
        (Some(a), Some(b)) if b < a => Framing::Sms,
        (Some(_), _) => Framing::Cmtrace,
        (None, Some(_)) => Framing::Sms,
        (None, None) => Framing::Plain,
    }
}

/// A line that opens a CMTrace record.
pub fn is_cmtrace_start(line: &[u8]) -> bool {
    let t = line.iter().position(|b| !b.is_ascii_whitespace()).map_or(&[][..], |i| &line[i..]);
    t.starts_with(b"<![LOG[")
}

/// A line that closes a record: CMTrace's `]LOG]!>` or SMS's `<thread=…>` trailer.
pub fn is_record_end(line: &[u8]) -> bool {
    memchr::memmem::find(line, b"]LOG]!>").is_some()
        || (memchr::memmem::find(line, b"<thread=").is_some() && line.trim_ascii_end().ends_with(b">"))
}

/// A ConfigMgr record, parsed.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub framing: Option<Framing>,
    pub message: String,
    pub time: Option<Timestamp>,
    /// SMS 2.0 dates: civil time and zone name, no offset.
    pub local_time: Option<String>,
    pub time_zone: Option<String>,
    pub component: Option<String>,
    pub thread: Option<i64>,
    pub type_: Option<i64>,
    pub context: Option<String>,
    pub file: Option<String>,
}

/// Parses one record's text (lines joined with `\n`).
pub fn parse_record(text: &str) -> Parsed {
    if let Some(i) = text.find("<![LOG[") {
        return parse_cmtrace(&text[i + "<![LOG[".len()..]);
    }
    if let Some(i) = text.rfind("$$<") {
        return parse_sms(&text[..i], &text[i + "$$<".len()..]);
    }
    parse_plain(text)
}

fn parse_cmtrace(rest: &str) -> Parsed {
    let mut p = Parsed { framing: Some(Framing::Cmtrace), ..Default::default() };
    let (message, attrs) = match rest.rfind("]LOG]!>") {
        Some(e) => (&rest[..e], &rest[e + "]LOG]!>".len()..]),
        None => (rest, ""),
    };
    p.message = message.to_owned();
    let (mut time, mut date) = (None, None);
    for (k, v) in attributes(attrs) {
        match k {
            "time" => time = Some(v),
            "date" => date = Some(v),
            "component" => p.component = Some(v.to_owned()),
            "context" => p.context = Some(v.to_owned()),
            "type" => p.type_ = v.trim().parse().ok(),
            "thread" => p.thread = var_digits(v.trim().as_bytes(), 10).map(|(n, _)| i64::from(n)),
            "file" => p.file = Some(v.to_owned()),
            _ => {}
        }
    }
    if let (Some(t), Some(d)) = (time, date) {
        p.time = utc_from(d, t);
    }
    p
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\'' | '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '\u{2032}')
}

/// `name="value"` pairs, any quote style, in order.
fn attributes(s: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(eq) = rest.find('=') {
        let before = &rest[..eq];
        let name_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
            .last()
            .map_or(eq, |(i, _)| i);
        let name = &before[name_start..];
        let after = &rest[eq + 1..];
        let (value, next) = match after.chars().next() {
            Some(q) if is_quote(q) => {
                let body = &after[q.len_utf8()..];
                match body.find(is_quote) {
                    Some(e) => {
                        let close = body[e..].chars().next().map_or(1, char::len_utf8);
                        (&body[..e], &body[e + close..])
                    }
                    None => (body.trim_end_matches('>'), ""),
                }
            }
            _ => {
                let e = after.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(after.len());
                (&after[..e], &after[e..])
            }
        };
        if !name.is_empty() {
            out.push((name, value));
        }
        rest = next;
    }
    out
}

/// `date` `M-D-YYYY` (or `/`) and `time` `H:MM:SS.fffffff+BIAS` → UTC (UTC = local + bias).
fn utc_from(date: &str, time: &str) -> Option<Timestamp> {
    let mut parts = date.trim().split(['-', '/']);
    let mo: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let y: i64 = parts.next()?.parse().ok()?;
    let t = time.trim().as_bytes();
    let (h, mi, s, ms, n) = parse_hms(t)?;
    let bias = match t.get(n) {
        Some(b'+') => i64::from(var_digits(t.get(n + 1..)?, 5)?.0),
        Some(b'-') => -i64::from(var_digits(t.get(n + 1..)?, 5)?.0),
        _ => 0,
    };
    let local = Timestamp::from_civil(y, mo, d, h, mi, s.min(59), ms)?;
    Some(Timestamp(local.0 + bias * 60_000))
}

fn parse_sms(message: &str, trailer: &str) -> Parsed {
    let mut p = Parsed { framing: Some(Framing::Sms), ..Default::default() };
    p.message = tidy_message(message);
    let mut segs = trailer.split('>').map(|s| s.trim_start().trim_start_matches('<'));
    p.component = segs.next().map(str::to_owned).filter(|c| !c.is_empty());
    if let Some(dt) = segs.next() {
        let dt = dt.trim();
        if dt.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            if let Some((date, time)) = dt.split_once(' ') {
                p.time = utc_from(date, time);
            }
        } else if let Some((ts, zone)) = parse_ctime(dt) {
            p.local_time = Some(ts.to_string().trim_end_matches('Z').replace('T', " "));
            p.time_zone = Some(zone.trim().to_owned()).filter(|z| !z.is_empty());
        }
    }
    if let Some(th) = segs.next().and_then(|s| s.trim().strip_prefix("thread=")) {
        p.thread = var_digits(th.as_bytes(), 10).map(|(n, _)| i64::from(n));
    }
    p
}

/// `Fri Mar 26 10:43:41.547 1999 …` → the civil time (as a UTC-less timestamp) and the rest.
pub fn parse_ctime(s: &str) -> Option<(Timestamp, &str)> {
    let mut it = s.split_whitespace();
    let _dow = it.next()?;
    let mo = month_from_name(it.next()?)?;
    let d: u32 = it.next()?.parse().ok()?;
    let hms = it.next()?;
    let y: i64 = it.next()?.parse().ok()?;
    let (h, mi, sec, ms, n) = parse_hms(hms.as_bytes())?;
    if n != hms.len() {
        return None;
    }
    let t = Timestamp::from_civil(y, mo, d, h, mi, sec.min(59), ms)?;
    let year_str = y.to_string();
    let after_hms = s.find(hms).map_or(s.len(), |i| i + hms.len());
    let rest = s[after_hms..].trim_start();
    let rest = rest.strip_prefix(year_str.as_str()).unwrap_or(rest);
    Some((t, rest))
}

fn tidy_message(m: &str) -> String {
    m.replace('~', "\n").trim().to_owned()
}

/// A line copied from the CMTrace grid: `message   SMS_WSUS_SYNC_MANAGER`.
fn parse_plain(text: &str) -> Parsed {
    let mut p = Parsed { framing: Some(Framing::Plain), ..Default::default() };
    let t = text.trim_end();
    if let Some(ws) = t.rfind(char::is_whitespace) {
        let comp = &t[ws + 1..];
        let gap = t[..=ws].len() - t[..=ws].trim_end().len();
        let comp_like = comp.starts_with("SMS_")
            && comp.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if comp_like && gap >= 2 {
            p.component = Some(comp.to_owned());
            p.message = tidy_message(&t[..ws]);
            return p;
        }
    }
    p.message = tidy_message(text);
    p
}

/// `type` → level name.
pub fn level_name(ty: i64) -> &'static str {
    match ty {
        1 => "info",
        2 => "warning",
        3 => "error",
        _ => "unknown",
    }
}

/// The record's time, for the file's time range.
pub fn record_time(text: &str) -> Option<Timestamp> {
    parse_record(text).time
}

/// The record's `fields` map.
pub fn fields(rec: &Record<'_>) -> Fields {
    let mut m = Fields::new();
    let p = parse_record(&rec.joined());
    if let Some(f) = p.framing {
        m.insert("framing".into(), Fact::new(f.name()));
    }
    if let Some(t) = p.time {
        m.insert("time".into(), Fact::new(t));
    }
    if let Some(ty) = p.type_ {
        m.insert("type".into(), Fact::new(ty));
        m.insert("level".into(), Fact::new(level_name(ty)));
    }
    if let Some(t) = p.thread {
        m.insert("thread".into(), Fact::new(t));
    }
    for (k, v) in [
        ("component", p.component),
        ("context", p.context),
        ("file", p.file),
        ("local_time", p.local_time),
        ("time_zone", p.time_zone),
        ("message", Some(p.message)),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), Fact::new(v));
        }
    }
    m
}

/// Patterns (regexes) whose hits feed [`extract`]: only the WSUS synchronization status
/// messages (670x) among the many a site server logs.
pub const BUILTIN_PATTERNS: &[&str] = &["SCHANNEL Protocol", "https://", r"STATMSG: ID=670\d\b"];

/// Literals that find every match of [`BUILTIN_PATTERNS`] (and a few more), for the scanner's
/// single search over signals and built-ins.
pub const BUILTIN_SEARCH: &[&str] = &["SCHANNEL Protocol", "https://", "STATMSG: ID=670"];

/// What a site-server status message ID means for synchronization.
pub fn statmsg_kind(id: i64) -> &'static str {
    match id {
        6701 => "started",
        6702 => "completed",
        6703 => "failed",
        6704 | 6705 => "in_progress",
        _ => "other",
    }
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
        if let Some(at) = line.text.find("STATMSG: ID=") {
            let rest = &line.text[at + "STATMSG: ID=".len()..];
            let Some((id, _)) = var_digits(rest.as_bytes(), 9) else { continue };
            let id = i64::from(id);
            if !(6700..=6709).contains(&id) {
                continue;
            }
            let gmt = rest
                .find("GMTDATE=")
                .and_then(|g| parse_ctime(&rest[g + "GMTDATE=".len()..]))
                .map(|(t, _)| t);
            let mut m = Fields::new();
            m.insert("event_id".into(), Fact::new(id));
            m.insert("kind".into(), Fact::new(statmsg_kind(id)));
            m.insert("line".into(), Fact::new(line.number as i64));
            if let Some(t) = time.or(gmt) {
                m.insert("time".into(), Fact::new(t));
            }
            let f = Fact::with_source(Value::Map(m), src(line.number));
            Extracted::push(&mut out.sync_events, &mut out.truncated, "sync_events", f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curly_quoted_cmtrace() {
        let p = parse_record("<![LOG[Scan failed with error = 0x80244021.]LOG]!><time=\u{201D}08:51:08.954-570\u{2033} date=\u{201D}08-01-2013\u{2033} component=\u{201D}WUAHandler\u{201D} context=\u{201D}\u{201D} type=\u{201D}3\u{2033} thread=\u{201D}2308\u{2033} file=\u{201D}cwuahandler.cpp:3520\u{2033}>");
        assert_eq!(p.message, "Scan failed with error = 0x80244021.");
        assert_eq!(p.component.as_deref(), Some("WUAHandler"));
        assert_eq!(p.type_, Some(3));
        assert_eq!(p.thread, Some(2308));
        assert_eq!(p.time, Timestamp::from_civil(2013, 7, 31, 23, 21, 8, 954));
        assert_eq!(p.context.as_deref(), Some(""));
    }

    #[test]
    fn unpadded_dates_and_seven_digit_fractions() {
        let p =
            parse_record("<![LOG[x]LOG]!><time=\"9:05:04.1234567+0\" date=\"1-2-2024\" thread=\"12 (0xC)\">");
        assert_eq!(p.time, Timestamp::from_civil(2024, 1, 2, 9, 5, 4, 123));
        assert_eq!(p.thread, Some(12));
    }
}
