//! The committed JSON Schemas in `schema/` must match the Rust types they are generated from.

use std::path::PathBuf;

fn check(file: &str, generated: String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("schema").join(file);
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().expect("schema dir")).expect("create schema/");
        std::fs::write(&path, generated).expect("write schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/{file}: schema changed, regenerate with `UPDATE_SCHEMA=1 cargo test -p triage-engine --test schema`"
    );
}

#[test]
fn pack_schema_is_current() {
    check("pack.schema.json", triage_engine::schema::pack_schema());
}

#[test]
fn report_schema_is_current() {
    check("report.schema.json", triage_engine::schema::report_schema());
}

/// Every example pack in the docs and tests parses as the schema's Rust type too.
#[test]
fn pack_files_deserialise_as_the_schema_type() {
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/pack.toml"))
            .expect("read example pack");
    let parsed: Result<triage_engine::pack::format::PackFile, _> = toml::from_str(&text);
    assert!(parsed.is_ok(), "{parsed:?}");
}
