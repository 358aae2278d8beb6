//! Redaction is linear in its input, in time and memory: a 3 MiB "learned" value (a systeminfo
//! `Registered Owner` line 3 MiB long: main took 1.17 GB for it) and a 6.4 MB UTF-16
//! systeminfo (main took 16.5 s). One test in its own binary, so the process's peak RSS
//! (`VmHWM`) is this test's.

use std::path::Path;
use std::time::{Duration, Instant};

use triage_collectors::bundle::redact::{encode, RedactionKey};
use triage_collectors::bundle::{self, CreateOptions};
use triage_collectors::text::TextEncoding;
use triage_facts::Timestamp;

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn redact(input: &Path, out: &Path) -> (Duration, bundle::Created) {
    let cs = triage_collectors::all();
    let key = RedactionKey::from_bytes([5; 32]);
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    o.redact = Some(&key);
    let t = Instant::now();
    let created = bundle::create(input, out, &o).expect("written");
    (t.elapsed(), created)
}

fn systeminfo_with_hotfixes(n: usize) -> Vec<u8> {
    let mut s = String::from(
        "\r\nHost Name:                 WSUS01\r\nOS Name:                   Microsoft Windows Server 2012 R2 Standard\r\nOS Version:                6.3.9600 N/A Build 9600\r\nDomain:                    contoso.local\r\nRegistered Owner:          Alice Example\r\n",
    );
    s.push_str(&format!("Hotfix(s):                 {n} Hotfix(s) Installed.\r\n"));
    for i in 1..=n {
        s.push_str(&format!("                           [{i:02}]: KB{:07}\r\n", 4_000_000 + i));
    }
    s.push_str("Network Card(s):           1 NIC(s) Installed.\r\n                                 [01]: 10.44.33.22\r\n");
    encode(&s, TextEncoding::Utf16Le)
}

#[test]
fn a_huge_value_and_a_huge_utf16_systeminfo_stay_linear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = peak_rss_kb();

    // A 3 MiB value on a line the learners read: not learned (too long for a name), and cheap.
    let big = dir.path().join("big");
    std::fs::create_dir(&big).expect("mkdir");
    let line = format!(
        "\r\nHost Name:                 WSUS01\r\nRegistered Owner:          {}\r\nDomain:                    contoso.local\r\n",
        "A".repeat(3 << 20)
    );
    std::fs::write(big.join("systeminfo.txt"), encode(&line, TextEncoding::Utf16Le)).expect("write");
    let (t_big, created) = redact(&big, &dir.path().join("big-out"));
    assert!(created.manifest.redaction.is_some());
    let host = triage_collectors::bundle::redact::Redactor::new(RedactionKey::from_bytes([5; 32]))
        .pseudonym(triage_collectors::bundle::redact::Kind::Host, "WSUS01");
    let stored = std::fs::read(dir.path().join("big-out/artifacts/systeminfo.txt")).expect("stored");
    let stored = triage_collectors::text::decode(&stored).text;
    assert!(!stored.contains("WSUS01") && stored.contains(&host), "the host is still pseudonymised");

    // A 6.4 MB UTF-16 systeminfo, and one a quarter of its size: time grows with the size.
    let small = dir.path().join("small");
    let large = dir.path().join("large");
    for (d, n) in [(&small, 22_000), (&large, 88_000)] {
        std::fs::create_dir(d).expect("mkdir");
        std::fs::write(d.join("systeminfo.txt"), systeminfo_with_hotfixes(n)).expect("write");
    }
    let size = std::fs::metadata(large.join("systeminfo.txt")).expect("size").len();
    assert!(size > 6_000_000, "{size}");
    let (t_small, _) = redact(&small, &dir.path().join("small-out"));
    let (t_large, red) = redact(&large, &dir.path().join("large-out"));
    assert_eq!(red.manifest.host, host);

    let after = peak_rss_kb();
    eprintln!(
        "3 MiB value: {t_big:?}; systeminfo 1.6 MB: {t_small:?}, 6.4 MB: {t_large:?}; peak RSS {before:?} -> {after:?} KiB"
    );
    // Quadratic would be 16x for 4x the input; allow noise on a shared machine.
    let ratio = t_large.as_secs_f64() / t_small.as_secs_f64().max(0.001);
    assert!(ratio < 8.0, "4x the input took {ratio:.1}x the time ({t_small:?} -> {t_large:?})");
    // Main needed 1.17 GB for the 3 MiB value: the whole test now stays far below.
    if let Some(kb) = after {
        assert!(kb < 400 * 1024, "peak RSS {kb} KiB");
    }
}
