//! What an admin reads: `triage run` in human form and as Markdown (for a ticket) on every
//! example, as whole-output snapshots (`tests/snapshots/example_reports__*.snap`, reviewed line by
//! line when they change), plus the promises the wording makes, checked exactly: severity as a
//! word, the rule with the article's section, links, the fix before the evidence, evidence in
//! the pack's words (never `(absent)`, `= no match` or a bare fact path the pack labels), log
//! records folded, no empty `Advice:` header, what was checked and ruled out, counts right.

use assert_cmd::Command;

const EXAMPLES: &[&str] = &[
    "healthy",
    "issue1-import-tls12",
    "issue2-tls10-disabled",
    "issue3-2012r2-no-rollup",
    "issue4-surface-drivers",
    "issue5-cipher-mismatch",
];

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("triage")
        .expect("the triage binary is built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .write_stdin("")
        .output()
        .expect("triage runs");
    assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().expect("exited normally"), String::from_utf8(out.stdout).expect("UTF-8"))
}

#[test]
fn human_output_of_every_example() {
    for e in EXAMPLES {
        let (code, text) = run(&["run", &format!("examples/{e}")]);
        assert_eq!(code, if *e == "healthy" { 0 } else { 1 }, "{e}");
        insta::assert_snapshot!(format!("human_{e}"), text);
    }
}

#[test]
fn markdown_of_every_example() {
    for e in EXAMPLES {
        let (code, text) = run(&["run", &format!("examples/{e}"), "--format", "markdown"]);
        assert_eq!(code, if *e == "healthy" { 0 } else { 1 }, "{e}");
        insta::assert_snapshot!(format!("markdown_{e}"), text);
    }
}

/// Internal wordings the admin should never have to read, in either format.
const INTERNAL: &[&str] = &[
    "(absent)",
    "= absent",
    "= no match",
    "signal ",
    "config:",
    "network.tls.connections",
    "logs.configmgr.files",
    "Advice:",
    "apply the resolution for issue",
    "Apply the resolution for issue",
    "artifact(s)",
    "error(s)",
    "1 rule errors",
];

#[test]
fn no_internal_names_in_what_the_admin_reads() {
    for e in EXAMPLES {
        for format in ["human", "markdown"] {
            let (_, text) = run(&["run", &format!("examples/{e}"), "--format", format]);
            for bad in INTERNAL {
                assert!(!text.contains(bad), "{e} ({format}) shows {bad:?}:\n{text}");
            }
        }
    }
}

#[test]
fn a_finding_names_severity_section_links_and_gives_the_fix_before_the_evidence() {
    let (_, text) = run(&["run", "examples/issue1-import-tls12"]);
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle:?} missing:\n{text}"));
    let header = at("WSUS001 — article issue 1: Manual import fails: WSUS import cannot use TLS 1.2\n");
    let severity = at("\n  Severity: error\n");
    let page = at("\n  Rule reference: docs/rules/wsus-tls/WSUS001.md\n");
    let article = at("\n  Article: https://learn.microsoft.com/troubleshoot/mem/configmgr/update-management/troubleshoot-wsus-import-sync-issues\n");
    let fix = at("\n  Fix:\n");
    let evidence = at("\n  Evidence:\n");
    let record = at("\n  ☞ in SoftwareDistribution.log\n");
    assert!(header < severity && severity < page && page < article && article < fix, "{text}");
    assert!(fix < evidence && evidence < record, "the fix comes before the evidence:\n{text}");
    for line in [
        "    • manual import (w3wp): connection reset by the endpoint while sending — SoftwareDistribution.log:9, 20, 31\n",
        "    • .NET strong cryptography, 64-bit (SchUseStrongCrypto) = 1 — NETFramework.reg:9\n",
        "    • SystemDefaultTlsVersions (64-bit .NET) is not set in the collected registry exports\n",
        "    • no w3wp.exe.config was collected (it exists only where someone created it)\n",
        "    • no network capture (.pcap, .pcapng) was collected\n",
    ] {
        assert!(text.contains(line), "{line:?} missing:\n{text}");
    }
    // Each record folded to its matched line: its ten stack-trace lines are counted, not shown.
    assert_eq!(text.matches("; 10 more lines of this record not shown\n").count(), 3, "{text}");
    assert!(!text.contains("at System.Net.Sockets.NetworkStream.Read"), "no stack trace:\n{text}");
}

#[test]
fn a_healthy_run_says_what_was_checked_and_ruled_out() {
    let (_, text) = run(&["run", "examples/healthy"]);
    assert!(
        text.contains(
            "examples/healthy: 0 detected, 6 not detected, 6 not applicable, 0 not checked (facts missing), 0 rule errors\n  checked and ruled out:\n    WSUS001 — article issue 1: Manual import fails: WSUS import cannot use TLS 1.2\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  not applicable to this input: WSUS003, WSUS004, WSUS020, WSUS021, WSUS022, WSUS023\n"
        ),
        "{text}"
    );
}

#[test]
fn what_could_not_be_checked_is_said_with_what_to_collect() {
    let (code, text) = run(&["run", "rules/wsus-tls/tests/cases/issue1-log-only"]);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("could not be checked: WSUS001 — article issue 1: Manual import fails"), "{text}");
    assert!(text.contains("  not checked, facts missing: "), "{text}");
    assert!(text.contains("  to check them, collect: "), "{text}");
}

#[test]
fn updates_listed_by_systeminfo_and_get_hotfix_count_once() {
    // systeminfo and hotfixes.csv list the same ten KBs (one in lower case).
    let (code, text) = run(&["run", "tests/data/inputs/updates-twice"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("None of the 10 installed updates on this Windows Server 2012 R2 server"),
        "{text}"
    );
}

#[test]
fn the_recommended_rollup_is_the_newest_in_the_pack_data() {
    let (_, text) = run(&["run", "examples/issue3-2012r2-no-rollup"]);
    assert!(
        text.contains("1. Install the latest Monthly Rollup for Windows Server 2012 R2: KB5070886 (October 23, 2025 out-of-band update, which includes the October 2025 Monthly Rollup), the newest this pack knows (its list is current to 2025-10-23)"),
        "{text}"
    );
}

#[test]
fn no_step_tells_the_admin_to_apply_a_fix_the_server_has() {
    let (_, text) = run(&["run", "examples/issue5-cipher-mismatch"]);
    assert!(
        text.contains("    4. Manual import (WSUS001) needs nothing more: this server's import path can already use TLS 1.2.\n"),
        "{text}"
    );
}

#[test]
fn more_matches_counts_every_match_beyond_those_shown() {
    // 20 matching records, 8 kept by the scan (`max_matches`), 5 shown: 15 more.
    let (code, text) =
        run(&["run", "--pack", "tests/data/packs/many-matches", "tests/data/inputs/many-matches"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "    • connection reset — SoftwareDistribution.log:1, 2, 3, 4, 5, and 15 more matches\n"
        ),
        "{text}"
    );
    let (_, json) = run(&[
        "run",
        "--pack",
        "tests/data/packs/many-matches",
        "tests/data/inputs/many-matches",
        "--format",
        "json",
    ]);
    assert!(json.contains(r#""value": "… and 15 more matches""#), "{json}");
}

/// Every piece of evidence the built-in pack's rules cite, on every case of its tests, is worded
/// by its `[labels]`: no generic fallback (which names the fact path or signal in backticks).
#[test]
fn the_builtin_pack_labels_all_the_evidence_it_cites() {
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/wsus-tls/tests/cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&cases)
        .expect("cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 40, "{}", dirs.len());
    for dir in dirs {
        let out = Command::cargo_bin("triage")
            .expect("built")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", &dir.to_string_lossy()])
            .env("NO_COLOR", "1")
            .write_stdin("")
            .output()
            .expect("runs");
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        let evidence =
            text.lines().filter(|l| l.starts_with("    • ") || l.contains(" ╰── ") || l.contains(" ╰─ "));
        for line in evidence {
            for generic in [
                "` = ",
                "`: not found in the collected artifacts",
                "matched signal `",
                "matching signal `",
                "`: found",
                "`: collected",
            ] {
                assert!(!line.contains(generic), "{}: unlabelled evidence {line:?}", dir.display());
            }
        }
    }
}
