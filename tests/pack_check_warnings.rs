//! `pack check` warns, at the TOML line, about meaning mistakes the fact catalogue and the
//! sandbox reveal (`triage_engine::lint`): fact paths nothing provides (with a did-you-mean),
//! a typed fact compared with a literal of another type, unknown functions, invalid literal
//! regexes, and `where` filters reading record fields the log kind does not have. The pack
//! still loads (exit 0): they are warnings. The shipped packs and the two third-party packs get
//! none of them.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value as J;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(dir: &str, json: bool) -> (i32, String) {
    let path = root().join(dir);
    let mut args = vec!["pack", "check", path.to_str().expect("utf-8")];
    if json {
        args.extend(["--format", "json"]);
    }
    let out = Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .args(&args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("triage runs");
    (out.status.code().expect("exited"), String::from_utf8(out.stdout).expect("UTF-8"))
}

/// (code, file, line, message, help) of every catalogue warning.
fn lint_warnings(dir: &str) -> Vec<(String, String, u64, String, String)> {
    let (code, out) = check(dir, true);
    assert_eq!(code, 0, "{out}");
    let v: J = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["valid"], true, "{out}");
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| {
            [
                "pack::unknown-fact",
                "pack::type-mismatch",
                "pack::unknown-function",
                "pack::bad-regex",
                "pack::unknown-field",
            ]
            .contains(&d["code"].as_str().unwrap_or_default())
        })
        .map(|d| {
            assert_eq!(d["level"], "warning");
            (
                d["code"].as_str().unwrap_or_default().to_owned(),
                d["file"].as_str().unwrap_or_default().to_owned(),
                d["line"].as_u64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().to_owned(),
                d["help"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn each_meaning_mistake_is_a_warning_at_its_line() {
    let got = lint_warnings("tests/data/lint-mistakes");
    let w = |code: &str, file: &str, line: u64, message: &str, help: &str| {
        (code.to_owned(), file.to_owned(), line, message.to_owned(), help.to_owned())
    };
    assert_eq!(
        got,
        [
            w(
                "pack::unknown-field",
                "pack.toml",
                17,
                "records of log kind `wsus` have no field `componnet`: the filter never sees one",
                "did you mean `component`?"
            ),
            w(
                "pack::unknown-field",
                "pack.toml",
                22,
                "records of log kind `lint-mistakes/auth` have no field `pid`: the filter never sees one",
                "its fields: time, host, program"
            ),
            w(
                "pack::unknown-fact",
                "pack.toml",
                25,
                "no collector provides the fact `os.biuld`: the rule is missing_facts wherever it reads it",
                "did you mean `os.build`?"
            ),
            w(
                "pack::unknown-fact",
                "rules/rules.toml",
                5,
                "no collector provides the fact `os.vresion` (in `requires`): the rule is missing_facts wherever it reads it",
                "did you mean `os.version`?"
            ),
            w(
                "pack::type-mismatch",
                "rules/rules.toml",
                6,
                "`facts.os.build` is integer, compared with the string \"7601\": the comparison is never true",
                "compare with the integer: `facts.os.build == 7601`"
            ),
            w(
                "pack::unknown-function",
                "rules/rules.toml",
                14,
                "no function `reg_dwrod`: the expression fails when it runs",
                "did you mean `reg_dword`?"
            ),
            w(
                "pack::bad-regex",
                "rules/rules.toml",
                15,
                "invalid regex \"Server (2012\": the call fails when it runs",
                "error: unclosed group"
            ),
        ]
    );
}

#[test]
fn human_check_shows_the_warnings_at_their_lines() {
    let (code, out) = check("tests/data/lint-mistakes", false);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("pack::unknown-fact"), "{out}");
    assert!(out.contains("╭─[rules/rules.toml:5:"), "{out}");
    assert!(out.contains("╭─[pack.toml:25:"), "{out}");
    assert!(out.contains("did you mean `os.build`?"), "{out}");
    // 7 from the catalogue, 3 rules without tests, no changelog.
    assert!(out.contains("11 warning(s)"), "{out}");
}

#[test]
fn the_shipped_and_third_party_packs_get_no_catalogue_warnings() {
    for dir in [
        "rules/wsus-tls",
        "tests/data/second-packs/cm-client-tls12",
        "tests/data/second-packs/openssh-legacy-clients",
    ] {
        assert_eq!(lint_warnings(dir), [], "{dir}");
    }
}
