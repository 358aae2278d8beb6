//! `triage pack new ID`: a new pack folder with a manifest, one rule, its positive and negative
//! tests, and a changelog — the smallest pack that passes `triage pack check` and `pack test`.

use std::path::{Path, PathBuf};

use crate::info::{valid_id, CHANGELOG_NAME};
use crate::{io_err, Error, Result};

/// The rule-ID prefix a new pack's rules get: the pack ID's letters and digits, uppercased,
/// at most six (`wsus-tls` → `WSUSTL`).
pub fn rule_prefix(id: &str) -> String {
    let p: String =
        id.chars().filter(char::is_ascii_alphanumeric).take(6).collect::<String>().to_ascii_uppercase();
    if p.starts_with(|c: char| c.is_ascii_digit()) {
        format!("R{p}")
    } else {
        p
    }
}

/// The files of a new pack, path → text. `schema` is the path or URL of `pack.schema.json`
/// for the `#:schema` line editors use; without one, the pack gets its own copy of this
/// triage's schema (`pack.schema.json`, what `triage schema pack` prints). Either way a
/// `.taplo.toml` maps `pack.toml` and `rules/**/*.toml` to it, so files added later are checked
/// too.
pub fn files(id: &str, schema: Option<&str>) -> Vec<(&'static str, String)> {
    let rule = format!("{}001", rule_prefix(id));
    let schema_ref = schema.unwrap_or(SCHEMA_NAME);
    let schema_line = format!("#:schema {schema_ref}");
    let is_url = schema_ref.contains("://");
    let taplo = format!(
        "# Editors (Taplo, Even Better TOML) check this pack's files against the pack schema.\n\
         # `triage schema pack > {SCHEMA_NAME}` refreshes a local copy for another triage.\n\
         [[rule]]\n\
         include = [\"pack.toml\", \"rules/**/*.toml\"]\n\
         [rule.schema]\n\
         {} = \"{}\"\n",
        if is_url { "url" } else { "path" },
        schema_ref.replace('\\', "/").replace('"', "\\\"")
    );
    let pack = format!(
        r#"{schema_line}
# A triage rule pack. Reference: docs/sharing-packs.md and the rule reference.
[pack]
id = "{id}"
version = "0.1.0"
engine = "^{engine_minor}"
title = "TODO: what this pack diagnoses"
# Rule IDs this pack used once. They must never be used again.
retired = []

[[rule]]
id = "{rule}"
title = "Example: the server runs a build older than Windows Server 2012"
severity = "warning"
requires = [{{ fact = "os.build", artifact = "systeminfo output" }}]
when = 'facts.os.build < 9200'
resolution = """
This server runs build {{{{ facts.os.build }}}}. TODO: say how to fix it.
"""

[[rule.test]]
name = "an old build is detected"
facts = {{ os = {{ build = 7601 }} }}
expect = "detected"

[[rule.test]]
name = "a current build is not"
facts = {{ os = {{ build = 20348 }} }}
expect = "not_detected"
"#,
        engine_minor = engine_caret(),
    );
    let changelog = format!("# Changelog of {id}\n\nEvery released version, newest first. Rule IDs are never reused.\n\n## 0.1.0\n\n- First version: {rule}.\n");
    let mut out = vec![("pack.toml", pack), (CHANGELOG_NAME, changelog), (TAPLO_NAME, taplo)];
    if schema.is_none() {
        out.push((SCHEMA_NAME, triage_engine::schema::pack_schema()));
    }
    out
}

/// The schema copy a new pack gets when `pack new` is given no `--schema`.
pub const SCHEMA_NAME: &str = "pack.schema.json";
/// Taplo's configuration file, which maps the pack's files to the schema.
pub const TAPLO_NAME: &str = ".taplo.toml";

/// `0.1` for triage 0.1.x, `1` for 1.x: the caret requirement a new pack starts with.
fn engine_caret() -> String {
    let v = crate::engine_version();
    if v.major == 0 {
        format!("0.{}", v.minor)
    } else {
        v.major.to_string()
    }
}

/// Creates `parent/id/` with the scaffold. Refuses an existing folder.
pub fn create(parent: &Path, id: &str, schema: Option<&str>) -> Result<PathBuf> {
    if !valid_id(id) {
        return Err(Error::InvalidId(id.to_owned()));
    }
    let dir = parent.join(id);
    if dir.exists() {
        return Err(Error::Other(format!("{} already exists", dir.display())));
    }
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    for (name, text) in files(id, schema) {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(io_err(&p))?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::PackFiles;
    use crate::info::PackInfo;

    #[test]
    fn scaffold_is_a_valid_pack_with_both_tests() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = create(dir.path(), "my-pack", Some("../../schema/pack.schema.json")).expect("creates");
        let files = PackFiles::from_dir(&p).expect("reads");
        let info = PackInfo::from_files(&files).expect("parses");
        assert_eq!(info.id, "my-pack");
        assert!(info.versioning_problems().is_empty(), "{:?}", info.versioning_problems());
        info.check_engine(&crate::engine_version()).expect("runs on this triage");
        let rule = info.rules.get("MYPACK001").expect("rule");
        let tests = rule.get("test").and_then(|t| t.as_array()).expect("tests");
        let expects: Vec<&str> = tests.iter().filter_map(|t| t.get("expect")?.as_str()).collect();
        assert_eq!(expects, ["detected", "not_detected"]);
        let text = std::str::from_utf8(files.get("pack.toml").expect("pack.toml")).expect("utf8");
        assert!(text.starts_with("#:schema ../../schema/pack.schema.json\n"));
        assert!(text.contains("{{ facts.os.build }}"));
        assert!(create(dir.path(), "my-pack", None).is_err(), "refuses to overwrite");
        assert!(create(dir.path(), "../evil", None).is_err());
        let err = create(dir.path(), "my_pack", None).expect_err("not a pack ID");
        assert_eq!(err.to_string(), format!("`my_pack` is not a valid pack ID: {}", crate::ID_RULE));
        assert!(!dir.path().join("my_pack").exists());
        let p = create(dir.path(), "no-schema", None).expect("creates");
        let text = std::fs::read_to_string(p.join("pack.toml")).expect("pack.toml");
        assert!(text.starts_with("#:schema pack.schema.json\n"), "{text}");
        let schema = std::fs::read_to_string(p.join(SCHEMA_NAME)).expect("schema copy");
        assert_eq!(schema, triage_engine::schema::pack_schema());
        let taplo = std::fs::read_to_string(p.join(TAPLO_NAME)).expect(".taplo.toml");
        assert!(taplo.ends_with("include = [\"pack.toml\", \"rules/**/*.toml\"]\n[rule.schema]\npath = \"pack.schema.json\"\n"), "{taplo}");
        let url = super::files("u", Some("https://example.com/pack.schema.json"));
        assert!(url.iter().any(
            |(n, t)| *n == TAPLO_NAME && t.ends_with("url = \"https://example.com/pack.schema.json\"\n")
        ));
        assert!(!url.iter().any(|(n, _)| *n == SCHEMA_NAME), "a given schema is not copied");
        assert_eq!(rule_prefix("7zip"), "R7ZIP");
    }
}
