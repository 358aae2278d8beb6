//! The `wsus-config` collector: the WSUS server's configuration as the article reads it,
//! `(Get-WsusServer).GetConfiguration()`, saved either as JSON (`… | ConvertTo-Json > file`) or
//! as PowerShell's default list output (`… > file`); and the server's event history
//! (`(Get-WsusServer).GetSubscription().GetSynchronizationHistory()`, `GetSubscriptionEvent…()`
//! and the like) saved as list output.
//!
//! Windows PowerShell 5.1's `>` writes UTF-16LE with a BOM, PowerShell 7 UTF-8; both are decoded
//! with [`crate::text::decode`]. Recognised by content, whatever the file is called: a JSON object
//! with configuration keys (`MUUrl`, `SyncFromMicrosoftUpdate`, `UpstreamWsusServerName`, …), or
//! list output whose `Name : value` lines include such keys (configuration) or `WsusEventId` /
//! `EventCategory` (events); and a `*wsus*.json` file holding a JSON object even when none of those
//! keys is in its first bytes.
//!
//! # Fact layout
//!
//! ```text
//! wsus.config                       Map: every top-level property, typed
//!   MUUrl                           Str    "https://sws.update.microsoft.com"
//!   SyncFromMicrosoftUpdate         Bool   true = sync from Microsoft Update, false = upstream WSUS
//!   UpstreamWsusServerName          Str
//!   UpstreamWsusServerPortNumber    Int
//!   UpstreamWsusServerUseSsl        Bool
//!   IsReplicaServer                 Bool
//!   UseProxy                        Bool
//!   ProxyName                       Str
//!   ProxyServerPort                 Int
//!   UseSeparateProxyForSsl          Bool
//!   SslProxyName                    Str
//!   SslProxyServerPort              Int
//!   AnonymousProxyAccess            Bool
//!   ProxyUserName, ProxyUserDomain  Str
//!   …                               every other property likewise
//! wsus.events                       List of Map, one per record of event list output, in file
//!                                   order: property name → value (`WsusEventId`, `EventCategory`,
//!                                   `Error`, `ErrorText`, `Message`, `CreationDate`, `IsError`, …)
//! ```
//!
//! Typing: from JSON, strings are Str (PowerShell 5.1's `"\/Date(ms)\/"` becomes a Timestamp),
//! integers Int, other numbers Float, booleans Bool, arrays List, objects Map; `null` is left
//! out. From list output, `True`/`False` are Bool, integers Int, `{a, b}` a List of Str (`{}`
//! empty; PowerShell may have cut a long one short with `...`), anything else Str (dates stay Str: their format depends on the culture); a value continued on indented
//! lines is joined with `\n`, each line trimmed; an empty value is left out.
//!
//! Provenance: artifact, collector `wsus-config`, `line` and `span` of the property's value text
//! (for JSON the value's source text, quotes included), `key` the property name.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, Provenance,
    Recognition, Timestamp, Value,
};

use crate::text;

pub const NAME: &str = "wsus-config";

/// Property names that mark a WSUS server configuration.
const CONFIG_KEYS: &[&str] = &[
    "MUUrl",
    "SyncFromMicrosoftUpdate",
    "UpstreamWsusServerName",
    "UpstreamWsusServerPortNumber",
    "IsReplicaServer",
    "UseSeparateProxyForSsl",
    "AllowProxyCredentialsOverNonSsl",
    "TargetingMode",
    "DownloadUpdateBinariesAsNeeded",
    "HostBinariesOnMicrosoftUpdate",
];

/// Property names that mark WSUS event records.
const EVENT_KEYS: &[&str] = &["WsusEventId", "WsusEventSource", "EventCategory"];

/// Deepest JSON nesting turned into facts; deeper values are left out.
const MAX_DEPTH: usize = 16;

/// The WSUS configuration collector.
#[derive(Debug)]
pub struct WsusConfigCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: NAME,
    version: "1",
    reads: "WSUS server configuration (`(Get-WsusServer).GetConfiguration()` as JSON or list output) and event history list output",
    typical_names: &["wsus-config.json", "wsus-config.txt", "wsus-events.txt"],
    provides: &["wsus.config", "wsus.events"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("wsus.config", &[Map], "`(Get-WsusServer).GetConfiguration()`, every top-level property"),
        FactDecl::new("wsus.config.*", &[Any], "a property (`MUUrl` string, `SyncFromMicrosoftUpdate` bool, `UpstreamWsusServerPortNumber` integer, …), typed as read"),
        FactDecl::new("wsus.events", &[List], "the server's event history (list output), in file order"),
        FactDecl::new("wsus.events[]", &[Map], "one event record"),
        FactDecl::new("wsus.events[].*", &[Any], "a property (`WsusEventId`, `EventCategory`, `ErrorText`, `CreationDate`, …), typed as read"),
    ]
};

pub static COLLECTORS: &[&dyn Collector] = &[&WsusConfigCollector];

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `ConvertTo-Json` output of the configuration.
    JsonConfig,
    /// List output of the configuration.
    ListConfig,
    /// List output of event records.
    ListEvents,
}

/// Tells what `text` (decoded, possibly just the head of a file) is, if it is ours.
pub fn kind_of(text: &str) -> Option<Kind> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        let has_key = CONFIG_KEYS.iter().any(|k| t.contains(&format!("\"{k}\"")));
        return has_key.then_some(Kind::JsonConfig);
    }
    let keys: Vec<&str> = text.lines().take(400).filter_map(|l| list_key(l).map(|(k, _)| k)).collect();
    if keys.iter().any(|k| CONFIG_KEYS.contains(k)) {
        Some(Kind::ListConfig)
    } else if keys.iter().filter(|k| EVENT_KEYS.contains(k)).count() >= 2 {
        Some(Kind::ListEvents)
    } else {
        None
    }
}

impl Collector for WsusConfigCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let head = text::decode_head(artifact.head);
        let name = artifact.file_name_lower();
        let wsus_name = name.contains("wsus");
        match kind_of(&head.text) {
            Some(_) if wsus_name => Recognition::ByNameAndContent,
            Some(_) => Recognition::ByContent,
            // A long JSON export may have its telling keys past the head: trust a WSUS name.
            None if wsus_name
                && name.ends_with(".json")
                && head.text.trim_start_matches('\u{feff}').trim_start().starts_with('{') =>
            {
                Recognition::ByNameAndContent
            }
            None => Recognition::No,
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        crate::read_whole(artifact, NAME, collect_bytes)
    }
}

/// Reads one file's bytes into `wsus.config` or `wsus.events`.
pub fn collect_bytes(rel_path: &str, bytes: &[u8]) -> CollectorOutput {
    let (text, mut out) = text::decode_for_collector(rel_path, NAME, bytes);
    let text = text.as_str();
    match kind_of(text) {
        Some(Kind::JsonConfig) => json_config(rel_path, text, &mut out),
        Some(Kind::ListConfig) => {
            let records = list_records(text);
            if records.len() > 1 {
                out.errors.push(
                    CollectionError::new(
                        rel_path,
                        NAME,
                        format!("{} configuration records; only the first is read", records.len()),
                    )
                    .at_line(records.get(1).map_or(1, |r| r.line)),
                );
            }
            if let Some(r) = records.into_iter().next() {
                let map = record_map(rel_path, &r);
                out.items = map.len() as u64;
                out.facts.insert(&["wsus", "config"], Fact::new(Value::Map(map)));
            }
        }
        Some(Kind::ListEvents) => {
            let events: Vec<Fact> = list_records(text)
                .iter()
                .map(|r| {
                    let src = Provenance::new(rel_path, NAME).lines(r.line, r.end_line);
                    Fact::with_source(Value::Map(record_map(rel_path, r)), Arc::new(src))
                })
                .collect();
            out.items = events.len() as u64;
            out.facts.insert(&["wsus", "events"], Fact::new(events));
        }
        None => out.errors.push(CollectionError::new(
            rel_path,
            NAME,
            "neither WSUS configuration (JSON or list output) nor WSUS event list output",
        )),
    }
    out
}

// ---- JSON ----

fn json_config(rel_path: &str, text: &str, out: &mut CollectorOutput) {
    let body = text.trim_start_matches('\u{feff}');
    let bom = text.len() - body.len();
    let parsed: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => {
            out.errors.push(
                CollectionError::new(rel_path, NAME, format!("malformed JSON: {e}"))
                    .at_line(e.line() as u64)
                    .at_column(e.column() as u64),
            );
            return;
        }
    };
    let object = match parsed {
        serde_json::Value::Object(o) => o,
        serde_json::Value::Array(items) => {
            if items.len() > 1 {
                out.errors.push(CollectionError::new(
                    rel_path,
                    NAME,
                    format!("a JSON array of {} items; only the first is read", items.len()),
                ));
            }
            match items.into_iter().next() {
                Some(serde_json::Value::Object(o)) => o,
                _ => {
                    out.errors.push(CollectionError::new(rel_path, NAME, "JSON array without an object"));
                    return;
                }
            }
        }
        _ => {
            out.errors.push(CollectionError::new(rel_path, NAME, "JSON is not an object"));
            return;
        }
    };
    let spans = top_level_member_spans(body);
    let mut map = BTreeMap::new();
    for (k, v) in object {
        let Some(value) = json_value(v, 0) else { continue };
        let mut src = Provenance::new(rel_path, NAME).key(k.clone());
        if let Some(span) = spans.get(&k) {
            let start = bom + span.start;
            src = src.at_line(line_of(text, start)).span(start as u64, (bom + span.end) as u64);
        }
        map.insert(k, Fact::with_source(value, Arc::new(src)));
    }
    out.items = map.len() as u64;
    out.facts.insert(&["wsus", "config"], Fact::new(Value::Map(map)));
}

fn json_value(v: serde_json::Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match v {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => match ms_json_date(&s) {
            Some(t) => Value::Timestamp(t),
            None => Value::Str(s),
        },
        serde_json::Value::Array(a) => {
            Value::List(a.into_iter().filter_map(|x| json_value(x, depth + 1)).map(Fact::new).collect())
        }
        serde_json::Value::Object(o) => Value::Map(
            o.into_iter().filter_map(|(k, x)| json_value(x, depth + 1).map(|v| (k, Fact::new(v)))).collect(),
        ),
    })
}

/// PowerShell 5.1 / .NET's `/Date(1503912345000)/` (optionally with a `+0000` offset, which
/// does not change the instant).
pub fn ms_json_date(s: &str) -> Option<Timestamp> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end =
        inner.char_indices().skip(1).find(|(_, c)| *c == '+' || *c == '-').map_or(inner.len(), |(i, _)| i);
    inner.get(..digits_end)?.parse::<i64>().ok().map(Timestamp)
}

/// Byte spans of the values of the first JSON object's members, by key, found with a small
/// scanner (strings and nesting only; the text is known to be valid JSON).
fn top_level_member_spans(text: &str) -> BTreeMap<String, Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = BTreeMap::new();
    let Some(open) = text.find('{') else { return spans };
    let mut i = open + 1;
    let mut depth = 1usize;
    let mut pending_key: Option<String> = None;
    let mut value_start: Option<usize> = None;
    let mut last_key: Option<(String, usize)> = None;
    let mut value_end = i;
    while i < bytes.len() && depth > 0 {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let end = (i + 1).min(bytes.len());
                if depth == 1 && value_start.is_none() && pending_key.is_none() {
                    pending_key = serde_json::from_str::<String>(text.get(start..end).unwrap_or("\"\"")).ok();
                }
                value_end = end;
                i = end;
                continue;
            }
            b':' if depth == 1 && pending_key.is_some() && value_start.is_none() => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                value_start = Some(j);
                last_key = pending_key.take().map(|k| (k, j));
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                value_end = i + 1;
            }
            b',' if depth == 1 => {
                if let Some((k, s)) = last_key.take() {
                    spans.insert(k, s..value_end);
                }
                value_start = None;
            }
            c if !c.is_ascii_whitespace() => value_end = i + 1,
            _ => {}
        }
        i += 1;
    }
    if let Some((k, s)) = last_key {
        spans.insert(k, s..value_end);
    }
    spans
}

fn line_of(text: &str, offset: usize) -> u64 {
    text.get(..offset).map_or(1, |t| t.bytes().filter(|b| *b == b'\n').count() as u64 + 1)
}

// ---- PowerShell list output ----

/// `Name   : value` → (`Name`, byte offset of the value within the line). Names are identifiers.
fn list_key(line: &str) -> Option<(&str, usize)> {
    let (name, _) = line.split_once(':')?;
    let key = name.trim_end();
    let ok = !key.is_empty()
        && !line.starts_with(char::is_whitespace)
        && key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return None;
    }
    let after = name.len() + 1;
    let rest = line.get(after..).unwrap_or("");
    Some((key, after + (rest.len() - rest.trim_start().len())))
}

struct ListProperty {
    name: String,
    line: u64,
    /// Trimmed text of each line of the value, with its span.
    parts: Vec<(String, Range<usize>)>,
}

struct ListRecord {
    line: u64,
    end_line: u64,
    properties: Vec<ListProperty>,
}

/// Splits list output into records (separated by blank lines) of properties.
fn list_records(text: &str) -> Vec<ListRecord> {
    let mut records: Vec<ListRecord> = Vec::new();
    let mut current: Option<ListRecord> = None;
    for (no, offset, raw) in text::lines_with_offsets(text) {
        let line = raw.trim_start_matches('\u{feff}');
        let off = offset + (raw.len() - line.len());
        if line.trim().is_empty() {
            records.extend(current.take());
            continue;
        }
        if let Some((key, at)) = list_key(line) {
            let v = line.get(at..).unwrap_or("").trim_end();
            let rec =
                current.get_or_insert_with(|| ListRecord { line: no, end_line: no, properties: Vec::new() });
            rec.end_line = no;
            rec.properties.push(ListProperty {
                name: key.to_owned(),
                line: no,
                parts: vec![(v.to_owned(), off + at..off + at + v.len())],
            });
        } else if let Some(p) = current.as_mut().and_then(|r| {
            r.end_line = no;
            r.properties.last_mut()
        }) {
            let v = line.trim();
            let start = off + (line.len() - line.trim_start().len());
            p.parts.push((v.to_owned(), start..start + v.len()));
        }
    }
    records.extend(current);
    records
}

fn record_map(rel_path: &str, r: &ListRecord) -> BTreeMap<String, Fact> {
    let mut map = BTreeMap::new();
    for p in &r.properties {
        let text: Vec<&str> = p.parts.iter().map(|(t, _)| t.as_str()).filter(|t| !t.is_empty()).collect();
        let joined = text.join("\n");
        if joined.is_empty() {
            continue;
        }
        let start = p.parts.first().map_or(0, |(_, s)| s.start);
        let end = p.parts.last().map_or(start, |(_, s)| s.end);
        let end_line = p.line + p.parts.len() as u64 - 1;
        let src = Provenance::new(rel_path, NAME)
            .lines(p.line, end_line)
            .span(start as u64, end as u64)
            .key(p.name.clone());
        map.insert(p.name.clone(), Fact::with_source(list_value(joined), Arc::new(src)));
    }
    map
}

fn list_value(s: String) -> Value {
    if s.eq_ignore_ascii_case("true") {
        Value::Bool(true)
    } else if s.eq_ignore_ascii_case("false") {
        Value::Bool(false)
    } else if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        Value::List(inner.split(',').map(str::trim).filter(|i| !i.is_empty()).map(Fact::new).collect())
    } else if let Ok(i) = s.parse::<i64>() {
        Value::Int(i)
    } else {
        Value::Str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_spans() {
        let text = "{\r\n  \"MUUrl\": \"https://sws.update.microsoft.com\",\r\n  \"A\": {\"b\": [1, 2]},\r\n  \"N\": 8530\r\n}";
        let spans = top_level_member_spans(text);
        let got: Vec<_> = spans.iter().map(|(k, s)| (k.as_str(), &text[s.clone()])).collect();
        assert_eq!(
            got,
            vec![("A", "{\"b\": [1, 2]}"), ("MUUrl", "\"https://sws.update.microsoft.com\""), ("N", "8530")]
        );
    }

    #[test]
    fn dates_and_keys() {
        assert_eq!(ms_json_date("/Date(1503912345000)/"), Some(Timestamp(1_503_912_345_000)));
        assert_eq!(ms_json_date("/Date(-1000+0100)/"), Some(Timestamp(-1000)));
        assert_eq!(ms_json_date("Date(1)"), None);
        assert_eq!(list_key("MUUrl           : https://x"), Some(("MUUrl", 18)));
        assert_eq!(list_key("   at System.Net: x"), None);
        assert_eq!(list_key("Not a key: x"), None);
    }
}
