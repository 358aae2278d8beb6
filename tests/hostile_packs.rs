//! The hostile-pack suite, as data: every folder under `tests/hostile_packs/` is a pack written to
//! hang, crash or exhaust the host, to change the answer, or to interfere with another pack, with
//! an `expect.toml` saying what triage must do with it (a named limit, a load error, an outcome).
//!
//! Each case is run through the binary beside the built-in pack (`rules/wsus-tls`) on real
//! example inputs. For every case and input the test asserts:
//!
//! - the run ends (a generous ceiling, not a timing: the bounds themselves are measured by
//!   `scripts/bench-hostile-packs.sh` into BENCHMARKS.md);
//! - the built-in pack's findings, and the input's collection errors, are byte-identical to a run
//!   of the built-in pack alone;
//! - the hostile pack gets exactly the outcome (and the message naming the limit) its
//!   `expect.toml` states; or the load error it states, from `pack check` and from `run`, which
//!   refuses the run (exit 2, no report: nothing evaluated, so no other pack's answer changes);
//! - the JSON report is the same bytes on a second run.
//!
//! `make_cases.py` in that folder writes the cases; the files it writes are committed.
//! `HOSTILE_CASE=NAME` runs only the cases whose names contain NAME.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

/// Far above any bound the engine sets (the per-pack budget is seconds): reaching it means the
/// run did not end.
const CEILING: Duration = Duration::from_secs(120);

const BUILTIN: &str = "rules/wsus-tls";
const DEFAULT_INPUTS: &[&str] = &["examples/issue1-import-tls12", "examples/healthy"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs the binary with output to files (no pipe to fill), killing it at the ceiling.
fn triage(args: &[&str], scratch: &Path) -> Run {
    let out = scratch.join("stdout");
    let err = scratch.join("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("TRIAGE_HOME", scratch.join("home"))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).expect("stdout file"))
        .stderr(fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("run triage");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > CEILING {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`triage {}` did not end within {CEILING:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: fs::read(&out).expect("read stdout"),
        stderr: fs::read_to_string(&err).expect("read stderr"),
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Inputs to run on, relative to the repository (default: an example with a finding and the
    /// healthy one).
    inputs: Option<Vec<String>>,
    /// The pack is refused at load; each string must appear in the diagnostics.
    #[serde(default)]
    load_error: Vec<String>,
    /// Written into a copy of the case before it is used: `pad_bytes` of TOML comments.
    pad_file: Option<String>,
    pad_bytes: Option<usize>,
    /// Never in stdout, in any format.
    stdout_lacks: Option<String>,
    /// Human output carries no raw ESC byte from the pack's texts.
    #[serde(default)]
    human_lacks_escape: bool,
    #[serde(default)]
    rule: Vec<RuleExpect>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleExpect {
    id: String,
    outcome: String,
    /// A part of the finding's error message (for `error`, the limit it names).
    message: Option<String>,
}

fn report(run: &Run, what: &str) -> Json {
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not a JSON report ({e}); exit {:?}, stderr:\n{}",
            run.code,
            tail(&run.stderr)
        )
    })
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// The built-in pack's findings and the input's collection errors, as bytes.
fn builtin_part(report: &Json) -> String {
    let findings: Vec<&Json> =
        report["findings"].as_array().expect("findings").iter().filter(|f| f["pack"] == "wsus-tls").collect();
    let errors: Vec<&Json> =
        report["inputs"].as_array().expect("inputs").iter().map(|i| &i["collection_errors"]).collect();
    serde_json::to_string_pretty(&(findings, errors)).expect("serialise")
}

fn pack_id(dir: &Path) -> String {
    let text = fs::read_to_string(dir.join("pack.toml")).expect("pack.toml");
    let line = text.lines().find(|l| l.starts_with("id = ")).expect("pack id line");
    line.trim_start_matches("id = ").trim_matches('"').to_string()
}

/// A case's pack as triage should read it: the folder itself, or a padded copy.
fn prepare(case: &Path, expect: &Expect, scratch: &Path) -> PathBuf {
    let (Some(file), Some(bytes)) = (&expect.pad_file, expect.pad_bytes) else {
        return case.to_path_buf();
    };
    let copy = scratch.join("pack");
    fs::create_dir_all(copy.join("rules")).expect("mkdir");
    fs::copy(case.join("pack.toml"), copy.join("pack.toml")).expect("copy pack.toml");
    let line = "# padding to make this pack larger than the engine accepts...............\n";
    let text = line.repeat(bytes / line.len() + 1);
    fs::write(copy.join(file), text).expect("write padding");
    copy
}

fn check_case(case: &Path, baselines: &BTreeMap<String, String>) -> Result<(), String> {
    let name = case.file_name().expect("name").to_string_lossy().to_string();
    let expect: Expect = toml::from_str(&fs::read_to_string(case.join("expect.toml")).expect("expect.toml"))
        .map_err(|e| format!("{name}/expect.toml: {e}"))?;
    let scratch = tempfile::tempdir().expect("tempdir");
    let pack = prepare(case, &expect, scratch.path());
    let pack_arg = pack.to_string_lossy().to_string();
    let id = pack_id(&pack);
    let mut problems = Vec::new();

    let check = triage(&["pack", "check", &pack_arg], scratch.path());
    if expect.load_error.is_empty() {
        if check.code != Some(0) {
            problems.push(format!("pack check: exit {:?}, expected 0:\n{}", check.code, tail(&check.stderr)));
        }
    } else {
        if check.code != Some(2) {
            problems.push(format!("pack check: exit {:?}, expected 2 (a load error)", check.code));
        }
        for needle in &expect.load_error {
            let said = format!("{}{}", String::from_utf8_lossy(&check.stdout), check.stderr);
            if !said.contains(needle.as_str()) {
                problems.push(format!("pack check does not name `{needle}`:\n{}", tail(&check.stderr)));
            }
        }
    }

    let inputs: Vec<String> =
        expect.inputs.clone().unwrap_or_else(|| DEFAULT_INPUTS.iter().map(|s| s.to_string()).collect());
    for input in &inputs {
        let args = ["run", "--format", "json", "--pack", BUILTIN, "--pack", &pack_arg, input];
        let run = triage(&args, scratch.path());
        if matches!(run.code, None | Some(101) | Some(134)) {
            problems.push(format!("{input}: crashed (exit {:?}):\n{}", run.code, tail(&run.stderr)));
            continue;
        }
        if !expect.load_error.is_empty() {
            // A pack that does not load is refused loudly: nothing is evaluated, so it cannot
            // change (or hide) another pack's findings.
            if !run.stdout.is_empty() {
                problems.push(format!("{input}: a run with an invalid pack printed a report"));
            }
            if run.code != Some(2) {
                problems.push(format!(
                    "{input}: run exit {:?}, expected 2 for a pack with a load error",
                    run.code
                ));
            }
            for needle in &expect.load_error {
                if !run.stderr.contains(needle.as_str()) {
                    problems.push(format!(
                        "{input}: run does not report `{needle}` loudly:\n{}",
                        tail(&run.stderr)
                    ));
                }
            }
            continue;
        }
        let json = report(&run, &format!("{name} on {input}"));
        if builtin_part(&json) != baselines[input] {
            problems.push(format!("{input}: the built-in pack's findings changed beside this pack"));
        }
        for want in &expect.rule {
            let found: Vec<&Json> = json["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .filter(|f| f["pack"] == id.as_str() && f["rule"] == want.id.as_str())
                .collect();
            let [finding] = found.as_slice() else {
                problems.push(format!(
                    "{input}: {} finding(s) for {id}/{}, expected one",
                    found.len(),
                    want.id
                ));
                continue;
            };
            if finding["outcome"] != want.outcome.as_str() {
                problems.push(format!(
                    "{input}: {}: outcome {}, expected {} (error: {})",
                    want.id, finding["outcome"], want.outcome, finding["error"]
                ));
            }
            if let Some(message) = &want.message {
                let error = finding["error"].as_str().unwrap_or_default();
                if !error.contains(message.as_str()) {
                    problems.push(format!("{input}: {}: error `{error}` does not name `{message}`", want.id));
                }
            }
        }
        if let Some(needle) = &expect.stdout_lacks {
            if String::from_utf8_lossy(&run.stdout).contains(needle.as_str()) {
                problems.push(format!("{input}: stdout carries `{needle}`"));
            }
        }
        let again = triage(&args, scratch.path());
        if again.stdout != run.stdout {
            problems.push(format!("{input}: a second run gave different bytes"));
        }
        if expect.human_lacks_escape {
            let human = triage(
                &["run", "--color", "never", "--pack", BUILTIN, "--pack", &pack_arg, input],
                scratch.path(),
            );
            if human.stdout.contains(&0x1b) || human.stderr.contains('\u{1b}') {
                problems.push(format!("{input}: human output carries a raw ESC from the pack"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{name}:\n  {}", problems.join("\n  ")))
    }
}

#[test]
fn hostile_packs_are_bounded_and_leave_the_builtin_pack_alone() {
    let dir = root().join("tests/hostile_packs");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/hostile_packs")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("expect.toml").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 19, "the suite lost cases: {}", cases.len());
    // `HOSTILE_CASE=sleep cargo test --test hostile_packs` runs the cases whose names contain it.
    if let Ok(only) = std::env::var("HOSTILE_CASE") {
        cases.retain(|c| c.to_string_lossy().contains(only.as_str()));
    }

    let scratch = tempfile::tempdir().expect("tempdir");
    let mut baselines = BTreeMap::new();
    let all_inputs = cases
        .iter()
        .flat_map(|c| {
            let e: Expect =
                toml::from_str(&fs::read_to_string(c.join("expect.toml")).expect("expect")).expect("parse");
            e.inputs.unwrap_or_else(|| DEFAULT_INPUTS.iter().map(|s| s.to_string()).collect())
        })
        .collect::<std::collections::BTreeSet<_>>();
    for input in all_inputs {
        let run = triage(&["run", "--format", "json", "--pack", BUILTIN, &input], scratch.path());
        let json = report(&run, &format!("the built-in pack alone on {input}"));
        baselines.insert(input, builtin_part(&json));
    }

    // Two workers: the cases are independent processes, and this machine has two cores.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                if let Err(e) = check_case(case, &baselines) {
                    failures.lock().expect("failures").push(e);
                }
            });
        }
    });
    let mut failures = failures.into_inner().expect("failures");
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} hostile packs misbehaved:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
