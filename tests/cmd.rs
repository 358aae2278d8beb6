//! CLI cases as data: each `tests/cmd/*.trycmd` file holds commands and their expected output
//! and exit status (typos-style; see trycmd). Commands run in `tests/cmd/`, so paths are relative
//! to it. Regenerate expected output with `TRYCMD=overwrite cargo test --test cmd`.

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .register_bin("triage", trycmd::cargo::cargo_bin!("triage"))
        .case("tests/cmd/*.trycmd");
}
