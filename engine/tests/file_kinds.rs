//! `[file_kinds.*]` at load: a valid kind becomes a `FileKindSpec` planned as `<pack id>/<kind>`,
//! and every mistake is a diagnostic at its key (unknown format, keyvalue-only keys on another
//! format, a bad `content` regex, a missing `files`, a duplicate name, an unknown key).

use triage_engine::{load_pack, scan_plan, Code, Evaluator, SourceFile};
use triage_facts::{FileFormat, FileKindSpec};

const MANIFEST: &str = "[pack]\nid = \"fk\"\nversion = \"1.0.0\"\nengine = \">=0.1\"\ntitle = \"t\"\n\n";

fn load(kinds: &str) -> triage_engine::LoadResult {
    load_pack(vec![SourceFile::new("pack.toml", format!("{MANIFEST}{kinds}"))], &Evaluator::default())
}

#[test]
fn a_file_kind_is_planned_under_its_pack() {
    let r = load(
        "[file_kinds.sshd_config]\nfiles = [\"sshd_config\"]\nformat = \"keyvalue\"\ninclude = \"Include\"\nsections = [\"Match\"]\n\n\
         [file_kinds.app]\nfiles = [\"*.json\"]\ncontent = '\"ServerName\"'\nformat = \"json\"\n",
    );
    let msgs: Vec<String> = r.diagnostics.iter().map(|d| d.message.clone()).collect();
    let pack = r.pack.unwrap_or_else(|| panic!("loads: {msgs:?}"));
    let plan = scan_plan([&pack]);
    assert_eq!(
        plan.file_kinds,
        [
            FileKindSpec {
                name: "fk/app".into(),
                files: vec!["*.json".into()],
                content: Some("\"ServerName\"".into()),
                format: FileFormat::Json,
                include: None,
                sections: vec![],
            },
            FileKindSpec {
                name: "fk/sshd_config".into(),
                files: vec!["sshd_config".into()],
                content: None,
                format: FileFormat::KeyValue,
                include: Some("Include".into()),
                sections: vec!["Match".into()],
            },
        ]
    );
}

#[test]
fn mistakes_are_diagnostics_at_their_key() {
    let r = load(
        "[file_kinds.a]\nfiles = [\"a\"]\nformat = \"yaml\"\n\n\
         [file_kinds.b]\nfiles = [\"b\"]\nformat = \"json\"\ninclude = \"Include\"\n\n\
         [file_kinds.c]\nfiles = [\"c\"]\nformat = \"ini\"\ncontent = '('\n\n\
         [file_kinds.d]\nformat = \"csv\"\nrecord_start = '^'\n\n\
         [file_kinds.\"e f\"]\nfiles = [\"e\"]\nformat = \"xml\"\n",
    );
    assert!(r.pack.is_none());
    let got: Vec<(Code, String)> = r.diagnostics.iter().map(|d| (d.code, d.message.clone())).collect();
    assert_eq!(
        got,
        [
            (Code::BadValue, "unknown file format `yaml`".to_owned()),
            (Code::BadValue, "`include` is for `format = \"keyvalue\"` only".to_owned()),
            (Code::BadRegex, "invalid regex: error: unclosed group".to_owned()),
            (Code::MissingKey, "file kind `d` is missing `files`".to_owned()),
            (Code::UnknownKey, "unknown key `record_start`".to_owned()),
            (Code::BadValue, "file kind name `e f` is not valid".to_owned()),
        ]
    );
}
