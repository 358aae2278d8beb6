//! A pack past its documented size limits (`triage_engine::pack::limits`) is refused with
//! `pack::too-large`, naming the limit, before the work it would cost.

use triage_engine::pack::limits::{MAX_FILES, MAX_FILE_BYTES, MAX_RULES};
use triage_engine::{load_pack, Code, Evaluator, Level, LoadResult, SourceFile};

const MANIFEST: &str = "[pack]\nid = \"big\"\nversion = \"1.0.0\"\nengine = \">=0.1\"\ntitle = \"Big\"\n";

fn load(files: Vec<SourceFile>) -> LoadResult {
    load_pack(files, &Evaluator::default())
}

fn with(rules: &str) -> Vec<SourceFile> {
    vec![SourceFile::new("pack.toml", MANIFEST), SourceFile::new("rules/r.toml", rules)]
}

/// (code, message, file, line) of every error.
fn errors(r: &LoadResult) -> Vec<(Code, String, String, usize)> {
    r.diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| (d.code, d.message.clone(), d.file.to_string(), d.line_col().map_or(0, |l| l.0)))
        .collect()
}

fn rule(i: usize) -> String {
    format!(
        "[[rule]]\nid = \"R{i}\"\ntitle = \"t\"\nseverity = \"info\"\nwhen = 'true'\nresolution = \"r\"\n"
    )
}

#[test]
fn too_many_files_are_refused_unparsed() {
    let mut files = vec![SourceFile::new("pack.toml", MANIFEST)];
    for i in 0..MAX_FILES {
        // Not even valid TOML: nothing is parsed.
        files.push(SourceFile::new(format!("rules/{i:03}.toml"), "[[[ not toml"));
    }
    let r = load(files);
    assert!(r.pack.is_none());
    assert_eq!(
        errors(&r),
        vec![(
            Code::TooLarge,
            "the pack has more than 256 files; a pack may have at most 256".into(),
            "pack.toml".into(),
            0
        )]
    );
}

#[test]
fn a_file_past_the_byte_limit_is_refused_unparsed() {
    let big = "#".repeat(MAX_FILE_BYTES + 1);
    let r = load(with(&big));
    assert_eq!(
        errors(&r),
        vec![(
            Code::TooLarge,
            "rules/r.toml is larger than 4 MiB (4194304 bytes): a pack file may be at most that".into(),
            "rules/r.toml".into(),
            0
        )]
    );
    // Files within the per-file limit but too large together.
    let part = "#".repeat(3 << 20);
    let files = vec![
        SourceFile::new("pack.toml", MANIFEST),
        SourceFile::new("rules/a.toml", part.clone()),
        SourceFile::new("rules/b.toml", part.clone()),
        SourceFile::new("rules/c.toml", part),
    ];
    assert_eq!(
        errors(&load(files)),
        vec![(
            Code::TooLarge,
            "the pack's files are larger than 8 MiB (8388608 bytes) together: a pack may be at most that"
                .into(),
            "pack.toml".into(),
            0
        )]
    );
}

#[test]
fn too_many_rules_are_refused_at_the_first_past_the_limit_uncompiled() {
    let text: String = (0..=MAX_RULES).map(rule).collect();
    let r = load(with(&text));
    assert_eq!(
        errors(&r),
        vec![(
            Code::TooLarge,
            "the pack has more than 10000 rules; a pack may have at most 10000".into(),
            "rules/r.toml".into(),
            MAX_RULES * 6 + 1
        )]
    );
    // Exactly at the limit is fine.
    let text: String = (0..MAX_RULES).map(rule).collect();
    assert_eq!(errors(&load(with(&text))), vec![]);
}

#[test]
fn data_too_large_or_too_deep_and_too_many_tests_are_refused() {
    let values: String = (0..100_001).map(|i| format!("v{i} = {i}\n")).collect();
    let r = load(with(&format!("[data]\n{values}")));
    assert_eq!(
        errors(&r).into_iter().map(|e| e.1).collect::<Vec<_>>(),
        vec!["[data] holds more than 100000 values; a pack may hold at most 100000".to_owned()]
    );
    let deep = format!("[data]\nx = {}1{}\n", "[".repeat(40), "]".repeat(40));
    let r = load(with(&deep));
    assert_eq!(
        errors(&r).into_iter().map(|e| e.1).collect::<Vec<_>>(),
        vec!["[data] is nested more than 32 levels deep; at most 32 are allowed".to_owned()]
    );
    let tests: String = (0..101)
        .map(|i| format!("[[rule.test]]\nname = \"t{i}\"\nfacts = {{}}\nexpect = \"detected\"\n"))
        .collect();
    let r = load(with(&format!("{}{tests}", rule(1))));
    assert_eq!(
        errors(&r).into_iter().map(|e| (e.1, e.3)).collect::<Vec<_>>(),
        vec![("the rule has more than 100 test cases; a rule may have at most 100".to_owned(), 7 + 100 * 4)]
    );
}

#[test]
fn deeply_nested_toml_is_an_error_not_a_crash() {
    // Far past any sane nesting, within the byte limit.
    let deep = format!("[data]\nx = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let r = load(with(&deep));
    assert!(r.pack.is_none());
    assert!(!errors(&r).is_empty());
}
