//! Signal patterns are compiled at load as the log scanner compiles them: one the scanner could
//! not run (too large, alone or with the pack's other patterns of its kind; or matching the
//! empty string) is a load error of its pack at its TOML line.

use triage_engine::{load_pack, Code, Evaluator, Level, LoadResult, SourceFile};

const MANIFEST: &str = r#"
[pack]
id = "hostile"
version = "1.0.0"
engine = ">=0.1"
title = "Hostile"
"#;

fn load(signals: &str) -> LoadResult {
    let files = vec![SourceFile::new("pack.toml", MANIFEST), SourceFile::new("rules/signals.toml", signals)];
    load_pack(files, &Evaluator::default())
}

/// (code, message, file, 1-based line) of every error.
fn errors(r: &LoadResult) -> Vec<(Code, String, String, usize)> {
    r.diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| (d.code, d.message.clone(), d.file.to_string(), d.line_col().map_or(0, |l| l.0)))
        .collect()
}

#[test]
fn a_pattern_too_large_alone_is_a_load_error_at_its_line() {
    let r = load("[signals.huge]\nlog = \"wsus\"\npattern = '\\w{200}'\n");
    assert!(r.pack.is_none());
    assert_eq!(
        errors(&r),
        vec![(
            Code::RegexTooLarge,
            "pattern is too large: compiled, it exceeds the 8 MiB limit of one signal".into(),
            "rules/signals.toml".into(),
            3
        )]
    );
}

#[test]
fn patterns_too_large_together_are_a_load_error_at_the_one_past_the_limit() {
    // Three fit one pack's search over a kind; the fourth does not. Another kind is apart.
    let mut text = String::new();
    for i in 0..4 {
        text.push_str(&format!("[signals.s{i}]\nlog = \"wsus\"\npattern = '\\w{{100}}{i}'\n\n"));
    }
    text.push_str("[signals.other]\nlog = \"configmgr\"\npattern = '\\w{100}'\n");
    let r = load(&text);
    assert_eq!(
        errors(&r),
        vec![(
            Code::RegexTooLarge,
            "the pack's signals on log kind `wsus` are too large together: their search exceeds the 16 MiB limit of one pack"
                .into(),
            "rules/signals.toml".into(),
            15
        )]
    );
}

#[test]
fn zero_width_patterns_are_refused() {
    for p in [r"\b", "^", "$", "(?:)", r"\B", "a*", r"(?m)^$", r"\b|x*", "(?:a?)+", r"[a]{0}"] {
        let r = load(&format!("[signals.s]\nlog = \"wsus\"\npattern = '{p}'\n"));
        assert_eq!(
            errors(&r),
            vec![(
                Code::BadRegex,
                "pattern matches the empty string, so it matches every line".into(),
                "rules/signals.toml".into(),
                3
            )],
            "pattern {p}"
        );
    }
}

#[test]
fn patterns_that_need_a_character_load_and_record_start_may_be_zero_width() {
    let r = load(
        "[log_kinds.k]\nfiles = ['*.k']\nrecord_start = '^'\n\n\
         [signals.a]\nlog = \"k\"\npattern = '\\bfailed\\b'\n\n\
         [signals.b]\nlog = \"k\"\npattern = '^x$'\n",
    );
    assert_eq!(errors(&r), vec![]);
}
