//! `triage probe tls` end to end, against loopback servers made here (no openssl needed): exit
//! statuses, the JSON report, `-o` saving an artifact that `triage facts` reads back, and
//! `--as-host` from a fact-map file.

use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn triage(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("triage").expect("the triage binary is built");
    cmd.args(args).env("NO_COLOR", "1");
    cmd
}

/// Resets every connection once the client has sent its hello (closing with unread data).
fn reset_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let deadline = Instant::now() + Duration::from_secs(3);
            let mut b = [0u8; 1];
            while Instant::now() < deadline && s.peek(&mut b).map_or(true, |n| n == 0) {
                std::thread::sleep(Duration::from_millis(10));
            }
            drop(s);
        }
    });
    addr
}

fn scratch(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("triage-cli-probe-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

#[test]
fn bad_targets_are_usage_errors() {
    triage(&["probe", "tls", "host:notaport"]).assert().code(2);
    triage(&["probe", "tls", "host", "--timeout", "0"]).assert().code(2);
    triage(&["probe", "tls", "host", "--proxy", "socks5://p:1"]).assert().code(2);
    triage(&["probe", "tls", "host", "--deadline", "0"]).assert().code(2);
    triage(&["probe", "tls", "host", "--deadline", "nan"]).assert().code(2);
}

/// Answers every hello with a `handshake_failure` alert, `delay` after it arrives.
fn slow_alert_server(delay: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let mut b = [0u8; 4096];
                if s.read(&mut b).is_ok_and(|n| n > 0) {
                    std::thread::sleep(delay);
                    let _ = std::io::Write::write_all(&mut s, &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
                    std::thread::sleep(Duration::from_millis(200));
                }
            });
        }
    });
    addr
}

/// `--timeout 1`, a server that answers after 0.9 s: without `--deadline` the four version
/// hellos take 3.6 s; `--deadline 2` ends the probe at 2 s, exit 2, saying it is incomplete.
#[test]
fn the_deadline_bounds_a_server_that_answers_just_before_each_timeout() {
    let addr = slow_alert_server(Duration::from_millis(900));
    let started = Instant::now();
    let assert = triage(&[
        "probe",
        "tls",
        &addr.to_string(),
        "--format",
        "json",
        "--timeout",
        "1",
        "--deadline",
        "2",
        "--pause",
        "10",
    ])
    .assert()
    .code(2);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2900), "took {took:?}");
    let json: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).expect("JSON report");
    assert_eq!(
        json["errors"],
        serde_json::json!(["probe deadline of 2 s reached after 3 connection(s): the result is incomplete"])
    );
    let answers: Vec<&str> =
        json["versions"].as_array().expect("versions").iter().filter_map(|v| v["answer"].as_str()).collect();
    assert_eq!(
        answers,
        ["alert:handshake_failure", "alert:handshake_failure", "error:probe deadline reached"]
    );
}

#[test]
fn a_resetting_endpoint_is_reported_and_saved() {
    let addr = reset_server();
    let dir = scratch("reset");
    let saved = dir.join("probe.json");
    let assert = triage(&[
        "probe",
        "tls",
        &addr.to_string(),
        "--format",
        "json",
        "--pause",
        "10",
        "--timeout",
        "3",
        "-o",
        saved.to_str().expect("utf-8 path"),
    ])
    .assert()
    .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).expect("utf-8");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(json["format"], "triage-probe-tls/1");
    assert_eq!(json["connections"], 4);
    let answers: Vec<&str> =
        json["versions"].as_array().expect("versions").iter().filter_map(|v| v["answer"].as_str()).collect();
    assert_eq!(answers, ["rst", "rst", "rst", "rst"]);

    // The saved report is an artifact like any other.
    let mut text = String::new();
    std::fs::File::open(&saved).expect("saved").read_to_string(&mut text).expect("read");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&text).expect("json"), json);
    let facts = triage(&["facts", dir.to_str().expect("utf-8"), "--format", "json"]).assert().success();
    let facts: serde_json::Value = serde_json::from_slice(&facts.get_output().stdout).expect("facts json");
    let t = &facts["probes"]["tls"][addr.to_string()];
    assert!(t.is_object(), "{facts}");
    assert_eq!(t["$value"]["target"]["$value"].as_str(), Some(addr.to_string().as_str()), "{t}");
    assert_eq!(t["$source"]["collector"], "probe-tls");
}

#[test]
fn as_host_from_a_fact_map_file() {
    let addr = reset_server();
    let dir = scratch("ashost");
    let facts = dir.join("host.json");
    std::fs::write(&facts, r#"{"os":{"build":9600},"registry":{}}"#).expect("write facts");
    let assert = triage(&[
        "probe",
        "tls",
        &addr.to_string(),
        "--no-suites",
        "--pause",
        "10",
        "--as-host",
        facts.to_str().expect("utf-8"),
    ])
    .assert()
    .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).expect("utf-8");
    assert!(stdout.contains("as this host would (versions: TLS 1.0;"), "{stdout}");
    assert!(stdout.contains("would FAIL — rst"), "{stdout}");
}
