//! Signal patterns compiled at load exactly as the log scanner compiles them — multi-line, CRLF
//! line ends, the size limits of [`triage_facts::scan`] — so that a pattern the scanner could not
//! run is a load error of its own pack, at its TOML line, and never a collection error that
//! leaves other packs' signals unscanned.
//!
//! Checked per pattern: it parses, it compiles within [`SIGNAL_REGEX_SIZE_LIMIT`], and it cannot
//! match the empty string (its shortest match, from the parsed syntax, is at least one byte:
//! `\b`, `^`, `$`, `(?:)` and `a*` are refused, as is anything that matches zero-width at every
//! line). Checked per pack and log kind: the multi-pattern search over all of the pack's
//! patterns of that kind compiles within [`PACK_SCAN_SIZE_LIMIT`].

use std::collections::BTreeMap;
use std::ops::Range;

use regex_automata::meta;
use triage_facts::scan::{PACK_SCAN_SIZE_LIMIT, SIGNAL_REGEX_SIZE_LIMIT};

use super::super::diagnostic::Code;
use super::context::Cx;

/// Where one signal's pattern was declared, for the per-kind check.
pub(super) struct PatternAt {
    pub(super) file: usize,
    pub(super) span: Range<usize>,
    pub(super) log: String,
    pub(super) pattern: String,
}

fn syntax() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new().multi_line(true).crlf(true)
}

fn mib(n: usize) -> String {
    format!("{} MiB", n >> 20)
}

/// Whether the error says a size limit was hit (the only other build errors are syntax ones).
fn is_size_error(msg: &str) -> bool {
    msg.contains("size limit") || msg.contains("exceeds")
}

impl Cx<'_> {
    /// Checks one signal pattern; reports every problem at `span`. True when it is usable.
    pub(super) fn signal_pattern(&mut self, pattern: &str, span: Range<usize>) -> bool {
        let built = regex::RegexBuilder::new(pattern)
            .multi_line(true)
            .crlf(true)
            .size_limit(SIGNAL_REGEX_SIZE_LIMIT)
            .build();
        if let Err(e) = built {
            let msg = e.to_string();
            if matches!(e, regex::Error::CompiledTooBig(_)) || is_size_error(&msg) {
                self.error(
                    Code::RegexTooLarge,
                    format!(
                        "pattern is too large: compiled, it exceeds the {} limit of one signal",
                        mib(SIGNAL_REGEX_SIZE_LIMIT)
                    ),
                    span,
                    "too large",
                    Some("narrow the repetitions (`\\w{1000}`, nested counts) or use ASCII classes ((?-u:\\w))".into()),
                );
            } else {
                let detail = msg.lines().last().unwrap_or(&msg).trim().to_owned();
                self.error(
                    Code::BadRegex,
                    format!("invalid regex: {detail}"),
                    span,
                    "in this pattern",
                    Some(msg),
                );
            }
            return false;
        }
        let min_len = regex_syntax::ParserBuilder::new()
            .multi_line(true)
            .crlf(true)
            .build()
            .parse(pattern)
            .ok()
            .and_then(|hir| hir.properties().minimum_len());
        if min_len == Some(0) {
            self.error(
                Code::BadRegex,
                "pattern matches the empty string, so it matches every line".into(),
                span,
                "too broad",
                Some(
                    "a signal must match at least one character; zero-width patterns such as \\b, ^, $ or a* match everywhere"
                        .into(),
                ),
            );
            return false;
        }
        true
    }

    /// Checks that each log kind's search over the pack's (individually valid) patterns
    /// compiles within [`PACK_SCAN_SIZE_LIMIT`], as the scanner builds it. When it does not,
    /// the error is at the pattern that takes the kind's patterns past the limit.
    pub(super) fn pattern_groups(&mut self, patterns: &[PatternAt]) {
        let mut by_kind: BTreeMap<&str, Vec<&PatternAt>> = BTreeMap::new();
        for p in patterns {
            by_kind.entry(p.log.as_str()).or_default().push(p);
        }
        for (kind, group) in by_kind {
            let texts: Vec<&str> = group.iter().map(|p| p.pattern.as_str()).collect();
            let built = meta::Builder::new()
                .configure(meta::Config::new().nfa_size_limit(Some(PACK_SCAN_SIZE_LIMIT)))
                .syntax(syntax())
                .build_many(&texts);
            if built.is_ok() {
                continue;
            }
            let culprit = first_past_limit(&texts).unwrap_or(group.len() - 1);
            let at = group[culprit];
            let file = self.file;
            self.file = at.file;
            self.error(
                Code::RegexTooLarge,
                format!(
                    "the pack's signals on log kind `{kind}` are too large together: their search exceeds the {} limit of one pack",
                    mib(PACK_SCAN_SIZE_LIMIT)
                ),
                at.span.clone(),
                "the limit is passed here",
                Some(format!(
                    "{} signals on `{kind}`; make the patterns smaller or fewer",
                    group.len()
                )),
            );
            self.file = file;
        }
    }
}

/// The index of the first pattern with which the search over `patterns[..=index]` no longer
/// compiles within [`PACK_SCAN_SIZE_LIMIT`] (the whole list does not): a binary search over
/// prefixes, since a longer prefix is never smaller.
fn first_past_limit(patterns: &[&str]) -> Option<usize> {
    let fits = |n: usize| {
        meta::Builder::new()
            .configure(meta::Config::new().nfa_size_limit(Some(PACK_SCAN_SIZE_LIMIT)))
            .syntax(syntax())
            .build_many(&patterns[..n])
            .is_ok()
    };
    // Invariant: `patterns[..lo]` fits, `patterns[..hi]` does not.
    let (mut lo, mut hi) = (0usize, patterns.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi.checked_sub(1)
}
