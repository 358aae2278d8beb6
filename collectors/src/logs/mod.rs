//! Log collectors: SoftwareDistribution.log (WSUS), ConfigMgr logs, and log kinds that packs
//! define, all read by one streaming scanner that finds every pack signal in one pass per file.
//!
//! | collector | reads | kind (`SignalSpec.log`) |
//! | --- | --- | --- |
//! | `wsus-log` | `SoftwareDistribution*.log*`, or any file whose lines start `YYYY-MM-DD HH:MM:SS.mmm UTC` | `wsus` |
//! | `configmgr-log` | `wsyncmgr*.log`, `WCM*.log`, `*.lo_`, or any file showing CMTrace `<![LOG[` or SMS `$$<` framing | `configmgr` |
//! | `custom-log` | files matching a pack's [`LogKindSpec`](triage_facts::LogKindSpec) globs | the kind's `name` |
//!
//! How a file is read ([`scan`]): the raw bytes are read in small chunks (128 KiB, so they stay
//! in the CPU cache) and decoded (UTF-8 with or without BOM, validated in place; UTF-16LE/BE;
//! sniffed from the first 8 KiB) into a bounded buffer. One line pass splits the lines into
//! **records** (a header line and its continuation lines, see [`record`]) and takes each
//! record's time; one multi-pattern search (every signal pattern of the file's kind and the
//! format's built-in patterns together) runs over the buffer; each hit is widened to its
//! record, the record is matched against every pattern (then captures), and the search resumes
//! after the record, so no match is lost. A record still
//! incomplete at the end of the buffer is carried into the next chunk; one longer than
//! [`scan::MAX_RECORD_BYTES`] is scanned in parts. Memory does not grow with the file.
//!
//! # Fact layout
//!
//! For each signal `spec` of the plan whose `log` is the file's kind (`<id>` is one path segment,
//! even though it contains `/`):
//!
//! - `signals.<id>`: List (empty when the file was scanned and nothing matched) of Map, one per
//!   matching record (a record matching twice counts once), at most `spec.max_matches` per file:
//!   - `line` Int: first line of the record; `match_line` Int: the line the pattern matched;
//!   - `text` Str: the record (lines joined with `\n`, CR stripped), capped at
//!     [`MAX_RECORD_TEXT`](triage_facts::scan::MAX_RECORD_TEXT) bytes;
//!   - `fields` Map: the record's parsed fields — wsus: `time` Timestamp, `level`, `process`
//!     (`w3wp`, `WsusService`), `thread` Int, `component` (`Class.Method`), `message` (first
//!     line), and for `EventLogEventReporter` records `event_id` Int, `event_type`,
//!     `event_category`; configmgr: `time` Timestamp (UTC, bias applied), `component`,
//!     `thread` Int, `type` Int and `level` (`info`/`warning`/`error`), `message`, `context`,
//!     `file`, `framing` (`cmtrace`/`sms`/`plain`), or `local_time` + `time_zone` for SMS 2.0
//!     dates; custom: the named groups of the kind's `fields` regex;
//!   - `captures` Map: the pattern's named groups that took part, as Str;
//!   - `artifact` Str.
//!
//!   Provenance: artifact, collector, `line` = the matching line, `end_line` = the record's last
//!   line, `span` = byte span of the matching line (without CR/LF) in the decoded text.
//! - `signals_truncated.<id>.<rel path>`: Int, matches beyond `max_matches` in this file (only
//!   when > 0).
//!
//! For `<kind>` = `wsus`, `configmgr` or a custom kind name, under `logs.<kind>`:
//!
//! - `files`: List of Str (rel paths);
//! - `by_file.<rel path>`: Map with `records` Int, `lines` Int, `bytes` Int (decoded),
//!   `encoding` Str, `first_time` / `last_time` Timestamp (earliest / latest record time; threads
//!   interleave, so these are min and max, not first and last lines), and `truncated` Map of Int
//!   when a list below hit its cap;
//! - `schannel` (wsus, configmgr): List of Map `{protocol, state, line, time?, artifact}` from
//!   `SCHANNEL Protocol 'TLS 1.0' disabled` (`state` = `disabled`), `… enabled` (`enabled`) and
//!   `SCHANNEL Protocols subkey for 'TLS 1.2' not found. Protocol is enabled`
//!   (`not_found_enabled`; `not_found_disabled` likewise);
//! - `endpoints` (wsus, configmgr): List of Map `{url, host, count, line, artifact}`, one per
//!   distinct `https://` URL in the file, `line` = first occurrence;
//! - `sync_events` (wsus, configmgr): List of Map `{event_id, kind, time?, line, artifact,
//!   message?}` — wsus `EventLogEventReporter` records with EventId 380–389 (381/382
//!   `started`, 384 `completed`, 386/387 `failed`, the others `other`; `message` is the event's
//!   `Message=`), configmgr `STATMSG: ID=` 6700–6709 (6701 `started`, 6702 `completed`, 6703
//!   `failed`, 6704/6705 `in_progress`, the others `other`; `time` from the record, else the
//!   message's `GMTDATE`). Routine events (364 content downloads, other status messages) are not
//!   listed: signals can match them.
//!
//! Custom kinds get `files` and `by_file` only. Bounded whatever the file's size: each list
//! above keeps at most [`MAX_LIST_ITEMS`] items per file (the rest counted in
//! `by_file.<rel>.truncated.<list name>`), signals keep `max_matches` per file.
//!
//! Every list item and per-file map carries provenance (artifact, collector, line). Rotated
//! copies merge by list concatenation; per-file values live under `by_file` so they never
//! conflict.
//!
//! Errors (never a panic): malformed byte sequences (binary junk, truncated UTF-16) with their
//! raw offset, NUL runs and over-long lines/records (scanned in parts) with their line; at most
//! [`scan::MAX_ERRORS_PER_FILE`] per file, then one summary.

/// The fact declarations every log collector shares (see the module docs' fact layout), for
/// the log kind `$kind` (`"{kind}"` for pack-defined kinds), followed by `$extra`.
macro_rules! log_facts {
    ($kind:literal $(, $extra:expr)* $(,)?) => {{
        use triage_facts::FactDecl;
        use triage_facts::FactType::*;
        &[
            FactDecl::new(concat!("logs.", $kind, ".files"), &[List], "the files read as this kind"),
            FactDecl::new(concat!("logs.", $kind, ".files[]"), &[Str], "a file's path in the input"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*"), &[Map], "one file, by its path in the input"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*.records"), &[Int], "records read"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*.lines"), &[Int], "lines read"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*.bytes"), &[Int], "bytes of decoded text"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*.encoding"), &[Str], "`utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*.first_time"), &[Timestamp], "the earliest record time"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*.last_time"), &[Timestamp], "the latest record time"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*.truncated"), &[Map], "lists that hit their cap in this file"),
            FactDecl::new(concat!("logs.", $kind, ".by_file.*.truncated.*"), &[Int], "items left out of that list"),
            FactDecl::new("signals.*", &[List], "a pack signal's matches (`<pack id>/<signal>`); empty when a log of its kind was scanned and nothing matched"),
            FactDecl::new("signals.*[]", &[Map], "one matching record"),
            FactDecl::new("signals.*[].line", &[Int], "the record's first line"),
            FactDecl::new("signals.*[].match_line", &[Int], "the line the pattern matched"),
            FactDecl::new("signals.*[].text", &[Str], "the record, lines joined with `\\n`"),
            FactDecl::new("signals.*[].fields", &[Map], "the record's fields (per log kind: `triage collectors --facts`)"),
            FactDecl::new("signals.*[].fields.*", &[Int, Str, Timestamp], "a field of the record"),
            FactDecl::new("signals.*[].captures", &[Map], "the pattern's named groups that took part"),
            FactDecl::new("signals.*[].captures.*", &[Str], "a named group's text"),
            FactDecl::new("signals.*[].artifact", &[Str], "the file"),
            FactDecl::new("signals_truncated.*.*", &[Int], "matches of a signal beyond its `max_matches`, by file"),
            $($extra,)*
        ]
    }};
}

/// The lists the built-in log collectors extract from their kind's records, for `$kind`.
macro_rules! builtin_log_lists {
    ($kind:literal) => {
        log_facts!(
            $kind,
            FactDecl::new(concat!("logs.", $kind, ".schannel"), &[List], "SCHANNEL protocol lines"),
            FactDecl::new(concat!("logs.", $kind, ".schannel[]"), &[Map], "one SCHANNEL protocol line"),
            FactDecl::new(concat!("logs.", $kind, ".schannel[].protocol"), &[Str], "`TLS 1.2`, …"),
            FactDecl::new(
                concat!("logs.", $kind, ".schannel[].state"),
                &[Str],
                "`disabled`, `enabled`, `not_found_enabled` or `not_found_disabled`"
            ),
            FactDecl::new(concat!("logs.", $kind, ".schannel[].line"), &[Int], "its line"),
            FactDecl::new(concat!("logs.", $kind, ".schannel[].time"), &[Timestamp], "its record's time"),
            FactDecl::new(concat!("logs.", $kind, ".schannel[].artifact"), &[Str], "the file"),
            FactDecl::new(concat!("logs.", $kind, ".endpoints"), &[List], "distinct `https://` URLs"),
            FactDecl::new(concat!("logs.", $kind, ".endpoints[]"), &[Map], "one URL"),
            FactDecl::new(concat!("logs.", $kind, ".endpoints[].url"), &[Str], "the URL"),
            FactDecl::new(concat!("logs.", $kind, ".endpoints[].host"), &[Str], "its host"),
            FactDecl::new(concat!("logs.", $kind, ".endpoints[].count"), &[Int], "occurrences in the file"),
            FactDecl::new(
                concat!("logs.", $kind, ".endpoints[].line"),
                &[Int],
                "the first occurrence's line"
            ),
            FactDecl::new(concat!("logs.", $kind, ".endpoints[].artifact"), &[Str], "the file"),
            FactDecl::new(concat!("logs.", $kind, ".sync_events"), &[List], "synchronisation events"),
            FactDecl::new(concat!("logs.", $kind, ".sync_events[]"), &[Map], "one synchronisation event"),
            FactDecl::new(
                concat!("logs.", $kind, ".sync_events[].event_id"),
                &[Int],
                "wsus 380–389, configmgr 6700–6709"
            ),
            FactDecl::new(
                concat!("logs.", $kind, ".sync_events[].kind"),
                &[Str],
                "`started`, `completed`, `failed`, `in_progress` or `other`"
            ),
            FactDecl::new(concat!("logs.", $kind, ".sync_events[].time"), &[Timestamp], "its time"),
            FactDecl::new(concat!("logs.", $kind, ".sync_events[].line"), &[Int], "its line"),
            FactDecl::new(concat!("logs.", $kind, ".sync_events[].artifact"), &[Str], "the file"),
            FactDecl::new(
                concat!("logs.", $kind, ".sync_events[].message"),
                &[Str],
                "the event's `Message=` (wsus)"
            ),
        )
    };
}

pub mod compiled;
pub mod configmgr;
pub mod custom;
pub mod record;
pub mod scan;
pub mod softwaredistribution;

use std::collections::BTreeMap;
use std::sync::Arc;

use triage_facts::{Collector, Fact, Provenance, Timestamp, Value};

pub use configmgr::ConfigMgrLog;
pub use custom::{CustomKind, CustomLog};
pub use scan::{
    scan_file, scan_file_multi, scan_reader, scan_reader_multi, scan_reader_with, Format, ScanLimits,
    ScanOutput,
};
pub use softwaredistribution::WsusLog;

/// The log collectors, in tie-breaking order.
pub static COLLECTORS: &[&dyn Collector] = &[&WsusLog, &ConfigMgrLog, &CustomLog];

/// Whether a collector reads its artifacts streaming, with memory independent of their size
/// (discovery exempts these from its file-size limit).
pub fn is_streaming(collector: &str) -> bool {
    matches!(collector, softwaredistribution::COLLECTOR | configmgr::COLLECTOR | custom::COLLECTOR)
}

/// One record handed to the format-specific parsers and extractors.
#[derive(Debug)]
pub struct Record<'a> {
    /// The lines, without CR/LF.
    pub lines: Vec<Line<'a>>,
    /// True for the second and later parts of a record too long to hold at once.
    pub continued: bool,
}

/// One line of a record.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// 1-based line number in the artifact.
    pub number: u64,
    /// Byte offset of the line in the decoded text.
    pub offset: u64,
    pub text: &'a str,
}

impl Record<'_> {
    pub fn first_line(&self) -> u64 {
        self.lines.first().map_or(0, |l| l.number)
    }

    pub fn last_line(&self) -> u64 {
        self.lines.last().map_or(0, |l| l.number)
    }

    /// The record's text: lines joined with `\n`.
    pub fn joined(&self) -> String {
        let mut s = String::with_capacity(self.lines.iter().map(|l| l.text.len() + 1).sum());
        for (i, l) in self.lines.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            s.push_str(l.text);
        }
        s
    }
}

/// Parsed record fields, as facts.
pub type Fields = BTreeMap<String, Fact>;

/// The built-in facts gathered from one file (schannel, endpoints, sync events).
#[derive(Debug, Default)]
pub struct Extracted {
    pub schannel: Vec<Fact>,
    /// url → (host, count, first line)
    pub endpoints: BTreeMap<String, (String, i64, u64)>,
    pub sync_events: Vec<Fact>,
    /// list name → items beyond the cap
    pub truncated: BTreeMap<&'static str, i64>,
}

/// Most items kept per built-in list per file.
pub const MAX_LIST_ITEMS: usize = 2000;

impl Extracted {
    pub(crate) fn push(
        list: &mut Vec<Fact>,
        truncated: &mut BTreeMap<&'static str, i64>,
        name: &'static str,
        f: Fact,
    ) {
        if list.len() < MAX_LIST_ITEMS {
            list.push(f);
        } else {
            *truncated.entry(name).or_insert(0) += 1;
        }
    }

    /// Records every `https://` URL in `line`.
    pub(crate) fn endpoints_in(&mut self, line: &Line<'_>) {
        for (start, _) in line.text.match_indices("https://") {
            let rest = &line.text[start..];
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ',' | ';' | '`'))
                .unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ')', ']', '}', ':']);
            let host_part = &url["https://".len().min(url.len())..];
            let host = host_part.split(['/', ':', '?', '#']).next().unwrap_or("").to_ascii_lowercase();
            if host.is_empty() {
                continue;
            }
            if let Some(e) = self.endpoints.get_mut(url) {
                e.1 += 1;
            } else if self.endpoints.len() < MAX_LIST_ITEMS {
                self.endpoints.insert(url.to_owned(), (host, 1, line.number));
            } else {
                *self.truncated.entry("endpoints").or_insert(0) += 1;
            }
        }
    }

    /// Parses a `SCHANNEL Protocol …` line, if `line` is one.
    pub(crate) fn schannel_in(
        &mut self,
        line: &Line<'_>,
        time: Option<Timestamp>,
        src: Arc<Provenance>,
    ) -> Option<()> {
        let at = line.text.find("SCHANNEL Protocol")?;
        let rest = &line.text[at..];
        let q1 = rest.find('\'')?;
        let q2 = q1 + 1 + rest[q1 + 1..].find('\'')?;
        let protocol = &rest[q1 + 1..q2];
        let tail = rest[q2 + 1..].to_ascii_lowercase();
        let onoff = if tail.contains("disabled") {
            "disabled"
        } else if tail.contains("enabled") {
            "enabled"
        } else {
            "unknown"
        };
        let state = if tail.contains("not found") { format!("not_found_{onoff}") } else { onoff.to_owned() };
        let mut m = Fields::new();
        m.insert("protocol".into(), Fact::new(protocol));
        m.insert("state".into(), Fact::new(state));
        m.insert("line".into(), Fact::new(line.number as i64));
        if let Some(t) = time {
            m.insert("time".into(), Fact::new(t));
        }
        let f = Fact::with_source(Value::Map(m), src);
        Extracted::push(&mut self.schannel, &mut self.truncated, "schannel", f);
        Some(())
    }
}

// ---- small parsing helpers shared by the formats ----

/// Parses exactly `n` ASCII digits at the start of `b`.
pub(crate) fn fixed_digits(b: &[u8], n: usize) -> Option<u32> {
    let d = b.get(..n)?;
    d.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
}

/// Parses 1..=`max` leading ASCII digits; returns the value and how many were read.
pub(crate) fn var_digits(b: &[u8], max: usize) -> Option<(u32, usize)> {
    let n = b.iter().take(max).take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    Some((fixed_digits(b, n)?, n))
}

/// Milliseconds from a fraction's digits (`"5"` → 500, `"9861234"` → 986).
pub(crate) fn frac_ms(digits: &[u8]) -> u32 {
    let mut ms = 0u32;
    for i in 0..3 {
        ms = ms * 10 + digits.get(i).filter(|c| c.is_ascii_digit()).map_or(0, |c| u32::from(c - b'0'));
    }
    ms
}

/// `HH:MM:SS[.f…]` at the start of `b` (hours may be one digit): (h, m, s, ms, bytes read).
pub(crate) fn parse_hms(b: &[u8]) -> Option<(u32, u32, u32, u32, usize)> {
    let (h, n) = var_digits(b, 2)?;
    let mut i = n;
    (b.get(i) == Some(&b':')).then_some(())?;
    let mi = fixed_digits(b.get(i + 1..)?, 2)?;
    i += 3;
    (b.get(i) == Some(&b':')).then_some(())?;
    let s = fixed_digits(b.get(i + 1..)?, 2)?;
    i += 3;
    let mut ms = 0;
    if b.get(i) == Some(&b'.') {
        let nd = b.get(i + 1..)?.iter().take_while(|c| c.is_ascii_digit()).count();
        if nd == 0 {
            return None;
        }
        ms = frac_ms(&b[i + 1..i + 1 + nd]);
        i += 1 + nd;
    }
    Some((h, mi, s, ms, i))
}

pub(crate) fn month_from_name(m: &str) -> Option<u32> {
    const NAMES: [&str; 12] =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let m = m.get(..3)?.to_ascii_lowercase();
    NAMES.iter().position(|n| *n == m).map(|i| i as u32 + 1)
}

/// The file name of a `/`-separated relative path, lower-cased.
pub(crate) fn file_name_lower(rel: &str) -> String {
    rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase()
}

/// Case-insensitive glob with `*` and `?` (ASCII case folding).
/// The name a file is recognised by: its path in the input without a `.gz` suffix (a rotated
/// `auth.log.2.gz` is recognised as `auth.log.2`; discovery decompresses it).
pub fn recognition_name(rel: &str) -> &str {
    match rel.len().checked_sub(3) {
        Some(i) if rel.is_char_boundary(i) && rel[i..].eq_ignore_ascii_case(".gz") && i > 0 => &rel[..i],
        _ => rel,
    }
}

pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let n: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("SoftwareDistribution*.log*", "softwaredistribution.log"));
        assert!(glob_match("SoftwareDistribution*.log*", "SoftwareDistribution.log.1"));
        assert!(glob_match("u_ex??????.log", "u_ex240101.log"));
        assert!(!glob_match("u_ex*.log", "u_ex1.txt"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn hms_with_long_fractions() {
        assert_eq!(parse_hms(b"8:51:08.9541234+0"), Some((8, 51, 8, 954, 15)));
        assert_eq!(parse_hms(b"19:35:04"), Some((19, 35, 4, 0, 8)));
        assert_eq!(parse_hms(b"19:3"), None);
    }
}
