//! Pack-loading diagnostics, rendered as a user sees them (miette, no colour, ASCII) and
//! snapshot-tested: every problem in a pack is reported at once, labelled on the right line.

use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme};
use triage_engine::{load_pack, Code, Evaluator, LoadResult, SourceFile};

fn read_pack(dir: &str) -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(dir);
    let mut files = Vec::new();
    for rel in ["pack.toml", "rules/rules.toml", "rules/syntax.toml", "rules/import.toml"] {
        if let Ok(text) = std::fs::read_to_string(root.join(rel)) {
            files.push(SourceFile::new(rel, text));
        }
    }
    files
}

fn render(result: &LoadResult) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::none()).with_width(100);
    let mut out = String::new();
    for d in &result.diagnostics {
        handler.render_report(&mut out, d).expect("render");
        out.push('\n');
    }
    out
}

#[test]
fn a_pack_with_many_mistakes_reports_all_of_them() {
    let result = load_pack(read_pack("many-mistakes"), &Evaluator::default());
    assert!(result.pack.is_none());
    let codes: Vec<Code> = result.diagnostics.iter().map(|d| d.code).collect();
    for expected in [
        Code::TomlSyntax,
        Code::UnknownKey,
        Code::BadValue,
        Code::EngineVersion,
        Code::RhaiSyntax,
        Code::BadRegex,
        Code::UnknownLogKind,
        Code::UnknownSignal,
        Code::UnknownDerived,
        Code::DuplicateRuleId,
        Code::RetiredRuleId,
        Code::BadTemplate,
        Code::MissingTest,
    ] {
        assert!(codes.contains(&expected), "no {expected:?} in {codes:?}");
    }
    insta::assert_snapshot!(render(&result));
}

#[test]
fn rhai_errors_point_at_the_line_and_column_inside_a_multiline_string() {
    let result = load_pack(read_pack("many-mistakes"), &Evaluator::default());
    let d = result
        .diagnostics
        .iter()
        .find(|d| d.message.contains("derived fact") && d.line_col().is_some_and(|(l, _)| l > 12))
        .expect("the error in `multi`");
    // `facts.os.(product)`: line 14 of pack.toml, at the `(`.
    assert_eq!(d.line_col(), Some((14, 12)), "{d:?}");
}

#[test]
fn a_valid_pack_loads_without_any_diagnostic() {
    let result = load_pack(read_pack("valid"), &Evaluator::default());
    assert!(result.diagnostics.is_empty(), "{}", render(&result));
    let pack = result.pack.expect("loads");
    assert_eq!(pack.rules.len(), 2);
    assert_eq!(pack.log_kinds[0].name, "iis");
    assert_eq!(pack.log_kinds[0].fields.as_deref(), Some(r"^(?P<date>\S+) (?P<time>\S+) (?P<ip>\S+)"));
    assert_eq!(pack.signals.len(), 2);
}

#[test]
fn missing_pack_toml_is_reported() {
    let result = load_pack(vec![SourceFile::new("rules/a.toml", "")], &Evaluator::default());
    assert_eq!(result.diagnostics.len(), 1);
    assert_eq!(result.diagnostics[0].code, Code::MissingKey);
}

/// `[labels]`: words for facts and signals, read into the pack; a label for a signal the pack
/// does not have, or a key a label does not take, is reported at its line.
#[test]
fn labels_load_and_their_mistakes_are_reported() {
    const PACK: &str = r#"
[pack]
id = "labelled"
version = "1.0.0"
engine = ">=0.2"
title = "Labels"

[signals.reset]
log = "wsus"
pattern = "reset"

[labels.facts.config]
name = ".NET configuration files"
absent = "no w3wp.exe.config was collected"

[labels.signals.reset]
name = "connection reset"
"#;
    let ok = load_pack(vec![SourceFile::new("pack.toml", PACK)], &Evaluator::default());
    assert!(ok.diagnostics.is_empty(), "{}", render(&ok));
    let pack = ok.pack.expect("loads");
    let config = &pack.labels.facts["config"];
    assert_eq!(
        (config.name.as_deref(), config.absent.as_deref()),
        (Some(".NET configuration files"), Some("no w3wp.exe.config was collected"))
    );
    assert_eq!(pack.labels.signals["reset"].name.as_deref(), Some("connection reset"));
    assert_eq!(pack.labels.signals["reset"].absent, None);

    let bad = format!("{PACK}\n[labels.signals.rest]\nname = \"typo\"\n\n[labels.facts.os]\nnmae = \"x\"\n");
    let r = load_pack(vec![SourceFile::new("pack.toml", bad)], &Evaluator::default());
    assert!(r.pack.is_none());
    let found: Vec<(Code, String, Option<usize>)> =
        r.diagnostics.iter().map(|d| (d.code, d.message.clone(), d.line_col().map(|(l, _)| l))).collect();
    assert_eq!(
        found,
        [
            (Code::UnknownSignal, "label for unknown signal `rest`".to_owned(), Some(19)),
            (Code::UnknownKey, "unknown key `nmae`".to_owned(), Some(23)),
        ],
        "{}",
        render(&r)
    );
}
