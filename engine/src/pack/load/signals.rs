//! `[log_kinds.*]` and `[signals.*]`: the text log formats a pack teaches the log collectors,
//! and the patterns it asks them to find, each regex compiled at load.

use std::ops::Range;

use rhai::{Engine, Scope};
use toml::de::DeTable;
use toml::Spanned;
use triage_facts::scan::LOG_KIND_REGEX_SIZE_LIMIT;
use triage_facts::LogKindSpec;

use super::super::diagnostic::Code;
use super::super::limits;
use super::super::{Expr, Signal};
use super::context::{content_offset, Cx, Key, Val};
use super::expr::signal_refs;
use super::patterns::PatternAt;
use super::{BUILTIN_LOGS, LOG_KIND_KEYS, MAX_MATCHES_DEFAULT, SIGNAL_KEYS};

/// Every file's `[log_kinds]`, in file order; a name may be defined once, and not be a built-in.
pub(super) fn log_kinds(cx: &mut Cx<'_>, parsed: &[Spanned<DeTable<'_>>]) -> Vec<LogKindSpec> {
    let mut log_kinds: Vec<LogKindSpec> = Vec::new();
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let root = t.get_ref();
        if let Some(lk) = root.get("log_kinds") {
            match lk.get_ref().as_table() {
                Some(table) => {
                    for (k, v) in table.iter() {
                        if let Some(spec) = cx.log_kind(k, v) {
                            if log_kinds.iter().any(|l| l.name == spec.name)
                                || BUILTIN_LOGS.contains(&spec.name.as_str())
                            {
                                cx.error(
                                    Code::DuplicateName,
                                    format!("log kind `{}` already exists", spec.name),
                                    k.span(),
                                    "here",
                                    None,
                                );
                            } else {
                                log_kinds.push(spec);
                            }
                        }
                    }
                }
                None => cx.wrong_type(lk, "a table of log kinds"),
            }
        }
    }
    log_kinds
}

/// Every file's `[signals]`, after every file's log kinds, so a signal may use a kind defined
/// in another file.
pub(super) fn signals(
    cx: &mut Cx<'_>,
    engine: &Engine,
    parsed: &[Spanned<DeTable<'_>>],
    log_kinds: &[LogKindSpec],
) -> Vec<Signal> {
    let mut signals: Vec<Signal> = Vec::new();
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        if let Some(s) = t.get_ref().get("signals") {
            match s.get_ref().as_table() {
                Some(table) => {
                    for (k, v) in table.iter() {
                        if signals.iter().any(|s| s.name == k.get_ref().as_ref()) {
                            cx.error(
                                Code::DuplicateName,
                                format!("signal `{}` is defined twice", k.get_ref()),
                                k.span(),
                                "again here",
                                None,
                            );
                            continue;
                        }
                        if let Some(sig) = cx.signal(engine, k, v, log_kinds) {
                            signals.push(sig);
                        }
                    }
                }
                None => cx.wrong_type(s, "a table of signals"),
            }
        }
    }
    let patterns = std::mem::take(&mut cx.patterns);
    cx.pattern_groups(&patterns);
    signals
}

impl Cx<'_> {
    pub(super) fn log_kind(&mut self, k: &Key<'_>, v: &Val<'_>) -> Option<LogKindSpec> {
        let name = k.get_ref().to_string();
        self.check_kind_name(&name, k.span(), "log kind");
        let Some(t) = v.get_ref().as_table() else {
            self.wrong_type(v, "a table");
            return None;
        };
        self.check_keys(t, LOG_KIND_KEYS);
        let files: Vec<String> = self.string_list(t, "files").into_iter().map(|s| s.0).collect();
        if files.is_empty() {
            self.missing(k.span(), &format!("log kind `{name}`"), "files");
        }
        let record_start = self.required_string(t, "record_start", &format!("log kind `{name}`"), k.span());
        if let Some((re, span)) = &record_start {
            // As the scanner compiles it: anchored at the line start.
            self.regex(&format!("^(?:{re})"), span.clone());
        }
        let fields = self.string(t, "fields");
        if let Some((re, span)) = &fields {
            if let Some(r) = self.regex(re, span.clone()) {
                if r.capture_names().flatten().next().is_none() {
                    self.error(
                        Code::BadValue,
                        "`fields` has no named groups".into(),
                        span.clone(),
                        "no (?P<name>…) here",
                        None,
                    );
                }
            }
        }
        let no_year = match self.string(t, "year") {
            None => false,
            Some((y, _)) if y == "none" => {
                let has_time = fields
                    .as_ref()
                    .and_then(|(re, _)| regex::Regex::new(re).ok())
                    .is_some_and(|r| r.capture_names().flatten().any(|n| n == "time"));
                if !has_time {
                    if let Some((kk, _)) = t.get_key_value("year") {
                        self.error(
                            Code::BadValue,
                            "`year = \"none\"` needs a `(?P<time>…)` group in `fields`".into(),
                            kk.span(),
                            "no time to place",
                            None,
                        );
                    }
                }
                true
            }
            Some((y, span)) => {
                self.error(
                    Code::BadValue,
                    format!("unknown `year` value `{y}`"),
                    span,
                    "not a year mode",
                    Some("the one mode is `year = \"none\"` (the times carry no year)".into()),
                );
                false
            }
        };
        Some(LogKindSpec { name, files, record_start: record_start?.0, fields: fields.map(|f| f.0), no_year })
    }

    pub(super) fn regex(&mut self, re: &str, span: Range<usize>) -> Option<regex::Regex> {
        match regex::RegexBuilder::new(re).size_limit(LOG_KIND_REGEX_SIZE_LIMIT).build() {
            Ok(r) => Some(r),
            Err(e) => {
                let msg = e.to_string();
                let detail = msg.lines().last().unwrap_or(&msg).trim().to_owned();
                self.error(
                    Code::BadRegex,
                    format!("invalid regex: {detail}"),
                    span,
                    "in this pattern",
                    Some(msg),
                );
                None
            }
        }
    }

    pub(super) fn signal(
        &mut self,
        engine: &Engine,
        k: &Key<'_>,
        v: &Val<'_>,
        log_kinds: &[LogKindSpec],
    ) -> Option<Signal> {
        let name = k.get_ref().to_string();
        let Some(t) = v.get_ref().as_table() else {
            self.wrong_type(v, "a table");
            return None;
        };
        self.check_keys(t, SIGNAL_KEYS);
        let what = format!("signal `{name}`");
        let log = self.required_string(t, "log", &what, k.span());
        if let Some((l, span)) = &log {
            if !BUILTIN_LOGS.contains(&l.as_str()) && !log_kinds.iter().any(|k| &k.name == l) {
                let known: Vec<&str> =
                    BUILTIN_LOGS.iter().copied().chain(log_kinds.iter().map(|k| k.name.as_str())).collect();
                self.error(
                    Code::UnknownLogKind,
                    format!("unknown log kind `{l}`"),
                    span.clone(),
                    "not a log kind",
                    Some(format!("known: {}", known.join(", "))),
                );
            }
        }
        let pattern = self.required_string(t, "pattern", &what, k.span());
        let pattern_ok = pattern.as_ref().is_some_and(|(p, span)| self.signal_pattern(p, span.clone()));
        let mut fscope = Scope::new();
        fscope.push("record", ());
        fscope.push("data", ());
        let filter = t.get("where").and_then(|w| self.expr(engine, &fscope, w, &[], "signal condition"));
        let max_matches = match t.get("max_matches") {
            Some(m) => match m.get_ref().as_integer().and_then(|i| i.as_str().parse::<usize>().ok()) {
                Some(n) if n > 0 && n <= limits::MAX_MATCHES => n,
                _ => {
                    self.wrong_type(m, "a positive integer, at most 100000 (max_matches)");
                    MAX_MATCHES_DEFAULT
                }
            },
            None => MAX_MATCHES_DEFAULT,
        };
        let description = self.string(t, "description").map(|s| s.0);
        let (pattern, pattern_span) = pattern?;
        if pattern_ok {
            self.patterns.push(PatternAt {
                file: self.file,
                span: pattern_span,
                log: log.as_ref()?.0.clone(),
                pattern: pattern.clone(),
            });
        }
        Some(Signal { name, log: log?.0, pattern, filter, max_matches, description, listed: false })
    }

    pub(super) fn check_signal_refs(&mut self, e: &Expr, signals: &[Signal]) {
        for (name, range) in signal_refs(&e.text) {
            if !signals.iter().any(|s| s.name == name) {
                let raw = self.files[self.file].text.get(e.loc.start..e.loc.end).unwrap_or("");
                let span = match content_offset(raw, &e.text) {
                    Some(off) => e.loc.start + off + range.start..e.loc.start + off + range.end,
                    None => e.loc.start..e.loc.end,
                };
                let known: Vec<&str> = signals.iter().map(|s| s.name.as_str()).collect();
                self.error(
                    Code::UnknownSignal,
                    format!("unknown signal `{name}`"),
                    span,
                    "no such signal",
                    Some(if known.is_empty() {
                        "this pack defines no signals".into()
                    } else {
                        format!("signals: {}", known.join(", "))
                    }),
                );
            }
        }
    }
}
