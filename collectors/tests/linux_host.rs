//! Linux inputs name their host: `/etc/hostname` and `/etc/os-release` are read (`os.hostname`,
//! `os.name`, `os.release.*`), `collect` records the host name instead of `unknown`, and
//! `collect --redact` leaves neither the host name (hostname file, syslog host field) nor the
//! user names auth.log holds.

mod bundle_support;

use std::path::Path;

use bundle_support::*;
use triage_collectors::bundle::redact::RedactionKey;
use triage_collectors::bundle::{self, CreateOptions};
use triage_collectors::discover::{collect_path, DiscoverOptions};
use triage_facts::{Timestamp, Value};

const AUTH_LOG: &str = "\
Mar  3 09:12:01 web7 sshd[811]: Accepted publickey for deploybot from 192.0.2.10 port 50122 ssh2: ED25519 SHA256:x
Mar  3 09:12:01 web7 sshd[811]: pam_unix(sshd:session): session opened for user deploybot(uid=1001) by (uid=0)
Mar  3 09:14:40 web7 sshd[902]: Invalid user oracleadm from 198.51.100.7 port 40222
Mar  3 09:14:42 web7 sshd[902]: Connection closed by invalid user oracleadm 198.51.100.7 port 40222 [preauth]
Mar  3 09:20:00 web7 sudo:   marthaq : TTY=pts/0 ; PWD=/home/marthaq ; USER=root ; COMMAND=/usr/bin/apt update
";

fn linux_host(root: &Path) {
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    w("etc/hostname", "web7\n");
    w("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n");
    w("var/log/auth.log", AUTH_LOG);
}

#[test]
fn hostname_and_os_release_are_facts() {
    let dir = tempfile::tempdir().expect("dir");
    linux_host(dir.path());
    let c = collect_path(dir.path(), &triage_collectors::all(), None, &DiscoverOptions::default())
        .expect("collects");
    let get = |p: &str| c.facts.get(p).map(|f| f.value.clone());
    assert_eq!(get("os.hostname"), Some(Value::Str("web7".into())));
    assert_eq!(get("os.name"), Some(Value::Str("Debian GNU/Linux 12 (bookworm)".into())));
    assert_eq!(get("os.release.VERSION_ID"), Some(Value::Str("12".into())));
    let a = c
        .facts
        .get_segments(&["collection", "artifacts", "etc/hostname", "collector"])
        .map(|f| f.value.clone());
    assert_eq!(a, Some(Value::Str("linux-host".into())));
}

#[test]
fn collect_records_the_host_and_redact_leaves_no_host_or_user_name() {
    let dir = tempfile::tempdir().expect("dir");
    linux_host(dir.path());
    let cs = triage_collectors::all();
    let out = tempfile::tempdir().expect("out");
    let mut o = CreateOptions::new(&cs, "0.1.0-test");
    o.collected_at = Some(Timestamp(1_795_000_000_000));
    let plain = bundle::create(dir.path(), &out.path().join("plain"), &o).expect("written");
    assert_eq!(plain.manifest.host, "web7");

    let key = RedactionKey::from_bytes([7u8; 32]);
    o.redact = Some(&key);
    let red = bundle::create(dir.path(), &out.path().join("red"), &o).expect("written");
    assert_ne!(red.manifest.host, "web7");
    assert!(red.manifest.host.starts_with("host-"), "{}", red.manifest.host);
    for (name, bytes) in tree(&out.path().join("red")) {
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for original in ["web7", "deploybot", "oracleadm", "marthaq"] {
            assert!(!text.contains(original), "{original} left in {name}");
        }
    }
}
