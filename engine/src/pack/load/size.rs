//! The pack's size against [`crate::pack::limits`]: its files and bytes before anything is
//! parsed, its table entries before anything is compiled. A pack past a limit is refused with
//! `pack::too-large`, naming the limit, at the first thing past it.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::super::diagnostic::{Code, Level, PackDiagnostic};
use super::super::limits::{
    MAX_DATA_DEPTH, MAX_DATA_VALUES, MAX_DERIVED, MAX_FILES, MAX_FILE_BYTES, MAX_FILE_KINDS, MAX_LOG_KINDS,
    MAX_PACK_BYTES, MAX_RULES, MAX_SIGNALS, MAX_TESTS_PER_RULE,
};
use super::context::Cx;
use super::SourceFile;

fn bytes(n: usize) -> String {
    format!("{} MiB ({n} bytes)", n >> 20)
}

fn whole_pack(file: &str, message: String) -> PackDiagnostic {
    PackDiagnostic {
        code: Code::TooLarge,
        level: Level::Error,
        message,
        file: file.into(),
        span: 0..0,
        label: String::new(),
        help: Some(
            "a pack is refused past its documented limits (docs/rule-language.md, Pack size limits)".into(),
        ),
        source: None,
    }
}

/// The files and bytes of a pack, before parsing: the problems (empty when it fits).
pub(super) fn files(files: &[SourceFile]) -> Vec<PackDiagnostic> {
    if files.len() > MAX_FILES {
        return vec![whole_pack(
            "pack.toml",
            format!("the pack has more than {MAX_FILES} files; a pack may have at most {MAX_FILES}"),
        )];
    }
    let mut out = Vec::new();
    for f in files.iter().filter(|f| f.text.len() > MAX_FILE_BYTES) {
        out.push(whole_pack(
            &f.name,
            format!("{} is larger than {}: a pack file may be at most that", f.name, bytes(MAX_FILE_BYTES)),
        ));
    }
    let total: usize = files.iter().map(|f| f.text.len()).sum();
    if out.is_empty() && total > MAX_PACK_BYTES {
        out.push(whole_pack(
            "pack.toml",
            format!(
                "the pack's files are larger than {} together: a pack may be at most that",
                bytes(MAX_PACK_BYTES)
            ),
        ));
    }
    out
}

/// Counts the pack's table entries across its files; reports the first one past each limit.
/// True when everything fits.
pub(super) fn tables(cx: &mut Cx<'_>, parsed: &[Spanned<DeTable<'_>>]) -> bool {
    let mut fits = true;
    let mut counts = [0usize; 5];
    let mut data_values = 0usize;
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let root = t.get_ref();
        let limited: [(&str, usize, &str); 5] = [
            ("rule", MAX_RULES, "rules"),
            ("signals", MAX_SIGNALS, "signals"),
            ("log_kinds", MAX_LOG_KINDS, "log kinds"),
            ("file_kinds", MAX_FILE_KINDS, "file kinds"),
            ("derive", MAX_DERIVED, "derived facts"),
        ];
        for (k, (key, max, what)) in limited.into_iter().enumerate() {
            let Some(v) = root.get(key) else { continue };
            let spans: Vec<std::ops::Range<usize>> = match v.get_ref() {
                DeValue::Array(a) => a.iter().map(|x| x.span()).collect(),
                DeValue::Table(t) => t.iter().map(|(k, _)| k.span()).collect(),
                _ => continue,
            };
            if counts[k] <= max && counts[k] + spans.len() > max {
                let at = spans[max - counts[k]].clone();
                cx.error(
                    Code::TooLarge,
                    format!("the pack has more than {max} {what}; a pack may have at most {max}"),
                    at,
                    "past the limit",
                    None,
                );
                fits = false;
            }
            counts[k] += spans.len();
        }
        if let Some(rules) = root.get("rule").and_then(|r| r.get_ref().as_array()) {
            for rule in rules.iter() {
                let tests = rule.get_ref().as_table().and_then(|t| t.get("test"));
                if let Some(tests) = tests.and_then(|t| t.get_ref().as_array()) {
                    if tests.len() > MAX_TESTS_PER_RULE {
                        let at = tests.get(MAX_TESTS_PER_RULE).map_or(rule.span(), |t| t.span());
                        cx.error(
                            Code::TooLarge,
                            format!(
                                "the rule has more than {MAX_TESTS_PER_RULE} test cases; a rule may have at most {MAX_TESTS_PER_RULE}"
                            ),
                            at,
                            "past the limit",
                            None,
                        );
                        fits = false;
                    }
                }
                // Inline test facts are data too: nested no deeper than the limit.
                for facts in tests
                    .and_then(|t| t.get_ref().as_array())
                    .into_iter()
                    .flat_map(|a| a.iter())
                    .filter_map(|t| t.get_ref().as_table().and_then(|t| t.get("facts")))
                {
                    let mut n = 0;
                    if let Err(at) = measure(facts, 0, &mut n) {
                        cx.error(Code::TooLarge, too_deep("inline facts"), at, "too deep", None);
                        fits = false;
                    }
                }
            }
        }
        if let Some(d) = root.get("data") {
            let before = data_values;
            match measure(d, 0, &mut data_values) {
                Err(at) => {
                    cx.error(Code::TooLarge, too_deep("[data]"), at, "too deep", None);
                    fits = false;
                }
                Ok(()) if before <= MAX_DATA_VALUES && data_values > MAX_DATA_VALUES => {
                    cx.error(
                        Code::TooLarge,
                        format!("[data] holds more than {MAX_DATA_VALUES} values; a pack may hold at most {MAX_DATA_VALUES}"),
                        d.span(),
                        "past the limit",
                        None,
                    );
                    fits = false;
                }
                Ok(()) => {}
            }
        }
    }
    fits
}

fn too_deep(what: &str) -> String {
    format!("{what} is nested more than {MAX_DATA_DEPTH} levels deep; at most {MAX_DATA_DEPTH} are allowed")
}

/// Counts the values under `v` into `n`; `Err` with the span of the first value nested past
/// [`MAX_DATA_DEPTH`]. Stops counting past [`MAX_DATA_VALUES`].
fn measure(v: &Spanned<DeValue<'_>>, depth: usize, n: &mut usize) -> Result<(), std::ops::Range<usize>> {
    if depth > MAX_DATA_DEPTH {
        return Err(v.span());
    }
    *n += 1;
    if *n > MAX_DATA_VALUES + 1 {
        return Ok(());
    }
    match v.get_ref() {
        DeValue::Array(a) => a.iter().try_for_each(|x| measure(x, depth + 1, n)),
        DeValue::Table(t) => t.iter().try_for_each(|(_, x)| measure(x, depth + 1, n)),
        _ => Ok(()),
    }
}
