//! The generated command-line documentation: the man page (`triage man`, clap_mangen) and the
//! shell completions (`triage completions SHELL`, clap_complete) are generated from the clap
//! definition; their committed copies under `docs/` must be current. `UPDATE_CLI_DOCS=1 cargo
//! test --test cli_docs` rewrites them. Also: `--version` names the commit and the built-in
//! packs. (That every option is described is a unit test in `src/cmd/completions.rs`.)

use std::path::Path;

use assert_cmd::Command;

fn triage(args: &[&str]) -> String {
    let out =
        Command::cargo_bin("triage").expect("binary").args(args).env("NO_COLOR", "1").output().expect("runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn check_current(rel: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os("UPDATE_CLI_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, generated).expect("write");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{rel} is stale: the command line changed, please regenerate with UPDATE_CLI_DOCS=1 cargo test --test cli_docs"
    );
}

#[test]
fn the_man_page_and_completions_are_current() {
    let man = triage(&["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH triage 1"), "a roff page:\n{man}");
    for sub in ["triage-run", "triage-collect", "triage-pack", "triage-completions"] {
        assert!(man.to_lowercase().contains(sub), "{sub} in the man page");
    }
    check_current("docs/man/triage.1", &man);
    for (shell, file) in
        [("bash", "triage.bash"), ("zsh", "_triage"), ("fish", "triage.fish"), ("powershell", "_triage.ps1")]
    {
        let text = triage(&["completions", shell]);
        assert!(text.contains("run") && text.contains("format"), "{shell} completions");
        check_current(&format!("docs/completions/{file}"), &text);
    }
}

#[test]
fn version_names_the_commit_and_the_built_in_packs() {
    let v = triage(&["--version"]);
    assert!(v.starts_with(&format!("triage {} (commit ", env!("CARGO_PKG_VERSION"))), "{v}");
    assert!(v.contains("built-in packs: wsus-tls "), "{v}");
}
