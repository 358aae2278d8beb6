//! Live collection on a Windows host (`triage collect` with no `--from`): gathers the artifacts
//! the collectors read into a staging folder, with their natural names, which is then written as a
//! bundle like any other folder. Best effort: every missing source and failed command is a
//! [`CollectionError`] (collector `live`), and collection goes on.
//!
//! What is gathered (paths inside the staging folder):
//!
//! | artifact | from |
//! | --- | --- |
//! | `registry/hklm-64bit.reg` | each key of [`LiveSpec::registry_keys`], 64-bit view, exported with winreg in `reg export` format (UTF-16LE with BOM, CRLF) |
//! | `registry/hklm-32bit.reg` | the same keys under `SOFTWARE` in the 32-bit view, written as `…\SOFTWARE\WOW6432Node\…` (as regedit shows them) |
//! | `wsus/LogFiles/*` | `%ProgramFiles%\Update Services\LogFiles` (`SoftwareDistribution.log*`, `Change.log`) |
//! | `wsus/WsusService.exe.config` | `%ProgramFiles%\Update Services\Services` |
//! | `iis/w3wp.exe.config` | `%SystemRoot%\system32\inetsrv`, when present (most servers have none: not an error) |
//! | `configmgr/*` | `wsyncmgr*` and `WCM*` logs from `<Installation Directory>\Logs`, the directory read from `HKLM\SOFTWARE\Microsoft\SMS\Identification` |
//! | `system/systeminfo.txt` | `systeminfo` |
//! | `gpo/gpresult.xml` | `gpresult /scope computer /x … /f` |
//! | `wsus/wsus-config.json` | PowerShell `(Get-WsusServer).GetConfiguration() \| ConvertTo-Json` |
//! | `system/hotfixes.csv` | PowerShell `Get-HotFix \| Export-Csv` |
//! | `eventlogs/System.evtx`, `eventlogs/Application.evtx` | `wevtutil epl <log> <file> /q:"*[System[TimeCreated[timediff(@SystemTime) <= N]]]"`: the events of the last [`LiveSpec::event_log_max_age`] (30 days), the window halved until the file is at most [`LiveSpec::event_log_max_bytes`] (64 MiB) |
//!
//! Every child process runs with stdin from NUL and a time-out ([`run_with_timeout`]); one that
//! overruns is killed and recorded. The formatting of `.reg` files ([`reg_export`]) and the
//! time-out runner are plain Rust and tested on every platform; reading the live registry is
//! `#[cfg(windows)]` and tested under Wine (`.ci/wine-test.sh`).

pub mod reg_export;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use triage_facts::CollectionError;

/// Name recorded as the collector of live-collection errors.
pub const COLLECTOR: &str = "live";

/// Registry keys the WSUS pack reads (DESIGN §8): SCHANNEL protocols and cipher order, .NET
/// strong crypto, the cipher-suite policy, WSUS setup, ConfigMgr identification, the OS
/// version, and the host's names. A path ending in `\*` is exported with all its subkeys;
/// otherwise only the key's own values are (`Windows NT\CurrentVersion` alone holds thousands
/// of keys of fonts and time zones).
pub const DEFAULT_REGISTRY_KEYS: &[&str] = &[
    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\*",
    r"HKLM\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002",
    r"HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002",
    r"HKLM\SOFTWARE\Microsoft\.NETFramework\v2.0.50727",
    r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
    r"HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\*",
    r"HKLM\SOFTWARE\Microsoft\SMS\Identification",
    r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
    r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName",
    r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters",
];

/// Event logs exported (`wevtutil epl`), to `eventlogs/<name>.evtx`.
pub const DEFAULT_EVENT_LOGS: &[&str] = &["System", "Application"];

/// What to gather.
#[derive(Clone, Debug)]
pub struct LiveSpec {
    /// Event logs to export; empty for none.
    pub event_logs: Vec<String>,
    /// Only the events of this last stretch of time (zero: no event logs).
    pub event_log_max_age: Duration,
    /// Largest exported event log: a larger export is redone over half the time, and so on.
    pub event_log_max_bytes: u64,
    /// Key paths (`HKLM\…` or `HKEY_LOCAL_MACHINE\…`); with a trailing `\*`, with their subkeys.
    pub registry_keys: Vec<String>,
    /// Time-out of each child process.
    pub timeout: Duration,
    /// Run `systeminfo`, `gpresult` and PowerShell (off in tests that only want files).
    pub run_commands: bool,
}

impl Default for LiveSpec {
    fn default() -> Self {
        LiveSpec {
            event_logs: DEFAULT_EVENT_LOGS.iter().map(|s| (*s).to_owned()).collect(),
            event_log_max_age: Duration::from_secs(30 * 24 * 3600),
            event_log_max_bytes: 64 << 20,
            registry_keys: DEFAULT_REGISTRY_KEYS.iter().map(|s| (*s).to_owned()).collect(),
            timeout: Duration::from_secs(120),
            run_commands: true,
        }
    }
}

/// Gathers the live host's artifacts into `dest` (an empty folder). Returns what could not be
/// gathered. Off Windows there is no live host to read: one error says so.
pub fn gather(dest: &Path, spec: &LiveSpec) -> Vec<CollectionError> {
    let mut errors = Vec::new();
    if let Err(e) = std::fs::create_dir_all(dest) {
        errors.push(CollectionError::new("", COLLECTOR, format!("cannot create {}: {e}", dest.display())));
        return errors;
    }
    gather_platform(dest, spec, &mut errors);
    errors.sort();
    errors
}

#[cfg(not(windows))]
fn gather_platform(_dest: &Path, _spec: &LiveSpec, errors: &mut Vec<CollectionError>) {
    errors.push(CollectionError::new(
        "",
        COLLECTOR,
        "live collection reads the Windows registry and Windows paths: run it on the Windows host, or use --from DIR",
    ));
}

#[cfg(windows)]
fn gather_platform(dest: &Path, spec: &LiveSpec, errors: &mut Vec<CollectionError>) {
    windows::gather(dest, spec, errors);
}

/// The XPath filter `wevtutil` takes for the events of the last `age` (milliseconds, as
/// `timediff` counts them).
pub fn event_log_query(age: Duration) -> String {
    format!("*[System[TimeCreated[timediff(@SystemTime) <= {}]]]", age.as_millis())
}

/// `wevtutil`'s arguments to export the events of the last `age` of `log` to `out`, replacing it.
pub fn wevtutil_export_args(log: &str, age: Duration, out: &Path) -> Vec<std::ffi::OsString> {
    vec![
        "epl".into(),
        log.into(),
        out.as_os_str().to_owned(),
        format!("/q:{}", event_log_query(age)).into(),
        "/ow:true".into(),
    ]
}

/// Most times an export is redone over half the time before giving up.
pub const MAX_EXPORT_HALVINGS: u32 = 6;

/// Runs `export(age)` (which writes the file and says how large it is) over `max_age`, then over
/// half of it, and so on while the file is larger than `max_bytes` (at most
/// [`MAX_EXPORT_HALVINGS`] times). Returns the age exported and the file's size, or the error of
/// the last try; a file still too large after the last halving is an error too (the caller
/// removes it).
pub fn export_bounded(
    max_age: Duration,
    max_bytes: u64,
    mut export: impl FnMut(Duration) -> Result<u64, String>,
) -> Result<(Duration, u64), String> {
    let mut age = max_age;
    for _ in 0..=MAX_EXPORT_HALVINGS {
        let size = export(age)?;
        if size <= max_bytes {
            return Ok((age, size));
        }
        age /= 2;
    }
    Err(format!("larger than {max_bytes} bytes even for the last {} s; not kept", (age * 2).as_secs()))
}

/// How a child process ended.
#[derive(Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// It exited with this code (`None`: killed by a signal).
    Exited(Option<i32>),
    /// It overran the time-out and was killed.
    TimedOut,
}

/// Runs `cmd` with stdin from the null device, stdout into `stdout_to` (a new file), stderr
/// captured (last 4 KiB kept), killing it after `timeout`. Returns how it ended and its stderr.
pub fn run_with_timeout(
    mut cmd: Command,
    stdout_to: &Path,
    timeout: Duration,
) -> std::io::Result<(RunOutcome, String)> {
    if let Some(d) = stdout_to.parent() {
        std::fs::create_dir_all(d)?;
    }
    let out = std::fs::File::create(stdout_to)?;
    let err_path = stdout_to.with_extension("stderr.tmp");
    let err = std::fs::File::create(&err_path)?;
    cmd.stdin(Stdio::null()).stdout(Stdio::from(out)).stderr(Stdio::from(err));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&err_path);
            return Err(e);
        }
    };
    let started = Instant::now();
    let outcome = loop {
        if let Some(status) = child.try_wait()? {
            break RunOutcome::Exited(status.code());
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break RunOutcome::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    let tail = &stderr[stderr.len().saturating_sub(4096)..];
    Ok((outcome, crate::text::decode(tail).text.trim().to_owned()))
}

/// Runs a command whose stdout is the artifact `rel` under `dest`; records failures.
pub fn run_artifact(
    dest: &Path,
    rel: &str,
    cmd: Command,
    timeout: Duration,
    errors: &mut Vec<CollectionError>,
) {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let path = dest.join(rel);
    match run_with_timeout(cmd, &path, timeout) {
        Ok((RunOutcome::Exited(Some(0)), stderr)) => {
            // A tool that succeeds with nothing to say (a stub, a missing module) gave nothing.
            if std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) == 0 {
                let _ = std::fs::remove_file(&path);
                let tail = if stderr.is_empty() { String::new() } else { format!(": {stderr}") };
                errors.push(CollectionError::new(
                    rel,
                    COLLECTOR,
                    format!("`{program}` produced no output{tail}"),
                ));
            }
        }
        Ok((RunOutcome::Exited(code), stderr)) => {
            let _ = std::fs::remove_file(&path);
            let code = code.map(|c| c.to_string()).unwrap_or_else(|| "a signal".into());
            let tail = if stderr.is_empty() { String::new() } else { format!(": {stderr}") };
            errors.push(CollectionError::new(rel, COLLECTOR, format!("`{program}` ended with {code}{tail}")));
        }
        Ok((RunOutcome::TimedOut, _)) => {
            let _ = std::fs::remove_file(&path);
            errors.push(CollectionError::new(
                rel,
                COLLECTOR,
                format!("`{program}` did not finish within {} s and was stopped", timeout.as_secs()),
            ));
        }
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            errors.push(CollectionError::new(rel, COLLECTOR, format!("cannot run `{program}`: {e}")));
        }
    }
}

/// Copies the files of `from` whose lower-cased name satisfies `want` into `dest/rel_dir`.
/// A missing folder is recorded; so is a folder where nothing matched.
pub fn copy_matching(
    from: &Path,
    dest: &Path,
    rel_dir: &str,
    want: &dyn Fn(&str) -> bool,
    errors: &mut Vec<CollectionError>,
) {
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) => {
            errors.push(CollectionError::new(rel_dir, COLLECTOR, format!("{}: {e}", from.display())));
            return;
        }
    };
    let mut names: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| want(&n.to_lowercase()))
        .collect();
    names.sort();
    if names.is_empty() {
        errors.push(CollectionError::new(
            rel_dir,
            COLLECTOR,
            format!("{}: no matching files", from.display()),
        ));
    }
    for (name, path) in names {
        copy_file(&path, dest, &format!("{rel_dir}/{name}"), errors);
    }
}

/// Copies one file to `dest/rel`; a missing source is recorded.
pub fn copy_file(from: &Path, dest: &Path, rel: &str, errors: &mut Vec<CollectionError>) {
    let to = dest.join(rel);
    if let Some(d) = to.parent() {
        if let Err(e) = std::fs::create_dir_all(d) {
            errors.push(CollectionError::new(rel, COLLECTOR, format!("{}: {e}", d.display())));
            return;
        }
    }
    if let Err(e) = std::fs::copy(from, &to) {
        errors.push(CollectionError::new(rel, COLLECTOR, format!("{}: {e}", from.display())));
    }
}

#[cfg(windows)]
mod windows {
    //! The Windows side: winreg, environment paths, and the Windows tools.

    use std::path::{Path, PathBuf};
    use std::process::Command;

    use triage_facts::CollectionError;
    use winreg::enums::{HKEY_LOCAL_MACHINE, KEY_READ, KEY_WOW64_32KEY, KEY_WOW64_64KEY};
    use winreg::RegKey;

    use super::reg_export::{self, ExportedKey, ExportedValue};
    use super::{
        copy_file, copy_matching, export_bounded, run_artifact, run_with_timeout, wevtutil_export_args,
        LiveSpec, RunOutcome, COLLECTOR,
    };

    pub fn gather(dest: &Path, spec: &LiveSpec, errors: &mut Vec<CollectionError>) {
        export_registry(dest, spec, errors);
        gather_files(dest, errors);
        if spec.run_commands {
            run_commands(dest, spec, errors);
            export_event_logs(dest, spec, errors);
        }
    }

    /// `wevtutil epl` for each event log, bounded by age and size (see [`export_bounded`]).
    fn export_event_logs(dest: &Path, spec: &LiveSpec, errors: &mut Vec<CollectionError>) {
        if spec.event_log_max_age.is_zero() {
            return;
        }
        for log in &spec.event_logs {
            let rel = format!("eventlogs/{log}.evtx");
            let path = dest.join(&rel);
            let console = dest.join(format!("eventlogs/{log}.wevtutil.txt"));
            let result = export_bounded(spec.event_log_max_age, spec.event_log_max_bytes, |age| {
                let _ = std::fs::remove_file(&path);
                let mut cmd = system32("wevtutil.exe");
                cmd.args(wevtutil_export_args(log, age, &path));
                let ran = run_with_timeout(cmd, &console, spec.timeout);
                let _ = std::fs::remove_file(&console);
                match ran {
                    Ok((RunOutcome::Exited(Some(0)), _)) => {}
                    Ok((RunOutcome::Exited(code), stderr)) => {
                        let code = code.map(|c| c.to_string()).unwrap_or_else(|| "a signal".into());
                        return Err(format!("`wevtutil epl {log}` ended with {code}: {stderr}"));
                    }
                    Ok((RunOutcome::TimedOut, _)) => {
                        return Err(format!(
                            "`wevtutil epl {log}` did not finish within {} s and was stopped",
                            spec.timeout.as_secs()
                        ))
                    }
                    Err(e) => return Err(format!("cannot run `wevtutil`: {e}")),
                }
                match std::fs::metadata(&path) {
                    Ok(m) if m.len() > 0 => Ok(m.len()),
                    // A tool that succeeds with nothing written (Wine's stub) gave nothing.
                    Ok(_) | Err(_) => Err(format!("`wevtutil epl {log}` wrote no event log")),
                }
            });
            match result {
                Ok((age, _)) if age < spec.event_log_max_age => errors.push(CollectionError::new(
                    &rel,
                    COLLECTOR,
                    format!(
                        "only the last {} s exported: the last {} s exceed {} bytes",
                        age.as_secs(),
                        spec.event_log_max_age.as_secs(),
                        spec.event_log_max_bytes
                    ),
                )),
                Ok(_) => {}
                Err(e) => {
                    let _ = std::fs::remove_file(&path);
                    errors.push(CollectionError::new(&rel, COLLECTOR, e));
                }
            }
        }
    }

    fn export_registry(dest: &Path, spec: &LiveSpec, errors: &mut Vec<CollectionError>) {
        for (view, flag, rel) in [
            ("64-bit", KEY_WOW64_64KEY, "registry/hklm-64bit.reg"),
            ("32-bit", KEY_WOW64_32KEY, "registry/hklm-32bit.reg"),
        ] {
            let mut keys = Vec::new();
            for path in &spec.registry_keys {
                let (path, recursive) = match path.strip_suffix("\\*") {
                    Some(p) => (p, true),
                    None => (path.as_str(), false),
                };
                let Some(sub) = reg_export::hklm_subkey(path) else {
                    errors.push(CollectionError::new(
                        rel,
                        COLLECTOR,
                        format!("{path}: only HKLM keys are exported"),
                    ));
                    continue;
                };
                let in_software = sub.to_ascii_lowercase().starts_with("software\\");
                if flag == KEY_WOW64_32KEY && !in_software {
                    continue; // Shared between the views: exported once, in the 64-bit file.
                }
                let shown = if flag == KEY_WOW64_32KEY {
                    format!("SOFTWARE\\WOW6432Node\\{}", &sub["software\\".len()..])
                } else {
                    sub.to_owned()
                };
                let hklm = RegKey::predef(HKEY_LOCAL_MACHINE);
                match hklm.open_subkey_with_flags(sub, KEY_READ | flag) {
                    Ok(k) => export_tree(
                        &k,
                        &format!("HKEY_LOCAL_MACHINE\\{shown}"),
                        flag,
                        recursive,
                        0,
                        &mut keys,
                        rel,
                        errors,
                    ),
                    Err(e) => errors.push(CollectionError::new(
                        rel,
                        COLLECTOR,
                        format!("HKEY_LOCAL_MACHINE\\{sub} ({view} view): {e}"),
                    )),
                }
            }
            if !keys.is_empty() {
                let bytes = reg_export::to_reg_file(&keys);
                let to = dest.join(rel);
                if let Err(e) = std::fs::create_dir_all(to.parent().unwrap_or(dest))
                    .and_then(|_| std::fs::write(&to, bytes))
                {
                    errors.push(CollectionError::new(rel, COLLECTOR, format!("{}: {e}", to.display())));
                }
            }
        }
    }

    const MAX_VALUES_PER_KEY: usize = 10_000;
    const MAX_KEYS: usize = 20_000;

    #[allow(clippy::too_many_arguments)] // a recursive walk's state; a struct would only rename it
    fn export_tree(
        key: &RegKey,
        path: &str,
        flag: u32,
        recursive: bool,
        depth: usize,
        out: &mut Vec<ExportedKey>,
        rel: &str,
        errors: &mut Vec<CollectionError>,
    ) {
        let mut values = Vec::new();
        // Stop at the first error: some keys (Perflib\009) fail at every index and never end.
        for v in key.enum_values().take(MAX_VALUES_PER_KEY) {
            match v {
                Ok((name, value)) => {
                    values.push(ExportedValue { name, kind: value.vtype as u32, data: value.bytes })
                }
                Err(e) => {
                    errors.push(CollectionError::new(rel, COLLECTOR, format!("{path}: values: {e}")));
                    break;
                }
            }
        }
        values.sort_by_key(|v| v.name.to_lowercase());
        out.push(ExportedKey { path: path.to_owned(), values });
        if !recursive {
            return;
        }
        if depth >= 16 || out.len() >= MAX_KEYS {
            errors.push(CollectionError::new(
                rel,
                COLLECTOR,
                format!("{path}: subkeys not followed (depth or key limit)"),
            ));
            return;
        }
        let mut subkeys = Vec::new();
        for k in key.enum_keys().take(MAX_KEYS) {
            match k {
                Ok(k) => subkeys.push(k),
                Err(e) => {
                    errors.push(CollectionError::new(rel, COLLECTOR, format!("{path}: subkeys: {e}")));
                    break;
                }
            }
        }
        subkeys.sort_by_key(|s| s.to_lowercase());
        for name in subkeys {
            match key.open_subkey_with_flags(&name, KEY_READ | flag) {
                Ok(k) => {
                    export_tree(&k, &format!("{path}\\{name}"), flag, recursive, depth + 1, out, rel, errors)
                }
                Err(e) => errors.push(CollectionError::new(rel, COLLECTOR, format!("{path}\\{name}: {e}"))),
            }
        }
    }

    fn env_path(var: &str) -> Option<PathBuf> {
        std::env::var_os(var).map(PathBuf::from)
    }

    fn gather_files(dest: &Path, errors: &mut Vec<CollectionError>) {
        match env_path("ProgramFiles") {
            Some(pf) => {
                let us = pf.join("Update Services");
                copy_matching(
                    &us.join("LogFiles"),
                    dest,
                    "wsus/LogFiles",
                    &|n| n.starts_with("softwaredistribution") || n == "change.log",
                    errors,
                );
                copy_file(
                    &us.join("Services").join("WsusService.exe.config"),
                    dest,
                    "wsus/WsusService.exe.config",
                    errors,
                );
            }
            None => errors.push(CollectionError::new("wsus", COLLECTOR, "%ProgramFiles% is not set")),
        }
        match env_path("SystemRoot") {
            // Most servers have no w3wp.exe.config (it is made only to set .NET switches).
            Some(root) => {
                let config = root.join("system32").join("inetsrv").join("w3wp.exe.config");
                if config.is_file() {
                    copy_file(&config, dest, "iis/w3wp.exe.config", errors);
                }
            }
            None => errors.push(CollectionError::new("iis", COLLECTOR, "%SystemRoot% is not set")),
        }
        let hklm = RegKey::predef(HKEY_LOCAL_MACHINE);
        let sms = hklm
            .open_subkey_with_flags(r"SOFTWARE\Microsoft\SMS\Identification", KEY_READ | KEY_WOW64_64KEY)
            .and_then(|k| k.get_value::<String, _>("Installation Directory"));
        match sms {
            Ok(dir) => copy_matching(
                &Path::new(&dir).join("Logs"),
                dest,
                "configmgr",
                &|n| n.starts_with("wsyncmgr") || n.starts_with("wcm"),
                errors,
            ),
            Err(e) => errors.push(CollectionError::new(
                "configmgr",
                COLLECTOR,
                format!("ConfigMgr log folder: HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SMS\\Identification\\Installation Directory: {e}"),
            )),
        }
    }

    fn system32(tool: &str) -> Command {
        match std::env::var_os("SystemRoot") {
            Some(root) => Command::new(PathBuf::from(root).join("system32").join(tool)),
            None => Command::new(tool),
        }
    }

    fn run_commands(dest: &Path, spec: &LiveSpec, errors: &mut Vec<CollectionError>) {
        run_artifact(dest, "system/systeminfo.txt", system32("systeminfo.exe"), spec.timeout, errors);

        let xml = dest.join("gpo").join("gpresult.xml");
        let _ = std::fs::create_dir_all(dest.join("gpo"));
        let mut gp = system32("gpresult.exe");
        // The computer's policies only: the user part is the collecting admin's, not the server's.
        gp.args(["/scope", "computer", "/x"]).arg(&xml).arg("/f");
        // gpresult writes the XML itself; its stdout is only progress text.
        run_artifact(dest, "gpo/gpresult.stdout.txt", gp, spec.timeout, errors);
        let _ = std::fs::remove_file(dest.join("gpo/gpresult.stdout.txt"));
        if !xml.is_file() {
            let _ = std::fs::remove_dir(dest.join("gpo"));
        }

        let ps = |script: &str| {
            let mut c = system32(r"WindowsPowerShell\v1.0\powershell.exe");
            c.args(["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", script]);
            c
        };
        run_artifact(
            dest,
            "wsus/wsus-config.json",
            ps("(Get-WsusServer).GetConfiguration() | ConvertTo-Json -Depth 2"),
            spec.timeout,
            errors,
        );
        run_artifact(
            dest,
            "system/hotfixes.csv",
            ps("Get-HotFix | Select-Object HotFixID,Description,InstalledOn | ConvertTo-Csv -NoTypeInformation"),
            spec.timeout,
            errors,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn children_get_null_stdin_and_a_time_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut errors = Vec::new();
        // `cat` with no stdin attached would wait forever; with NUL it ends at once.
        let mut echo = Command::new("sh");
        echo.args(["-c", "cat; echo done"]);
        run_artifact(dir.path(), "out/cat.txt", echo, Duration::from_secs(10), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(std::fs::read(dir.path().join("out/cat.txt")).expect("written"), b"done\n");

        let mut sleep = Command::new("sleep");
        sleep.arg("30");
        let t = Instant::now();
        run_artifact(dir.path(), "slow.txt", sleep, Duration::from_millis(200), &mut errors);
        assert!(t.elapsed() < Duration::from_secs(5));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("did not finish within"), "{}", errors[0]);
        assert!(!dir.path().join("slow.txt").exists(), "no partial artifact");

        let mut fail = Command::new("sh");
        fail.args(["-c", "echo broken >&2; exit 3"]);
        run_artifact(dir.path(), "fail.txt", fail, Duration::from_secs(10), &mut errors);
        assert_eq!(errors[1].message, "`sh` ended with 3: broken");
        run_artifact(
            dir.path(),
            "none.txt",
            Command::new("/nonexistent/tool"),
            Duration::from_secs(1),
            &mut errors,
        );
        assert!(errors[2].message.starts_with("cannot run `/nonexistent/tool`"), "{}", errors[2]);
    }

    #[test]
    fn event_logs_are_exported_by_age() {
        let day = Duration::from_secs(24 * 3600);
        assert_eq!(event_log_query(30 * day), "*[System[TimeCreated[timediff(@SystemTime) <= 2592000000]]]");
        let args: Vec<String> = wevtutil_export_args("System", day, Path::new("out/System.evtx"))
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "epl",
                "System",
                "out/System.evtx",
                "/q:*[System[TimeCreated[timediff(@SystemTime) <= 86400000]]]",
                "/ow:true"
            ]
        );
    }

    #[test]
    fn an_export_too_large_is_redone_over_half_the_time() {
        let day = Duration::from_secs(24 * 3600);
        // 10 MiB a day, at most 64 MiB: 30 days, 15, 7.5, then 3.75 days fit.
        let mut tries = Vec::new();
        let r = export_bounded(30 * day, 64 << 20, |age| {
            tries.push(age);
            Ok((age.as_secs_f64() / day.as_secs_f64() * f64::from(10u32 << 20)) as u64)
        });
        assert_eq!(tries, vec![30 * day, 15 * day, 15 * day / 2, 15 * day / 4]);
        assert_eq!(r, Ok((15 * day / 4, (3.75 * f64::from(10u32 << 20)) as u64)));
        // Never small enough: an error after the last halving.
        let mut n = 0;
        let r = export_bounded(30 * day, 1, |_| {
            n += 1;
            Ok(2)
        });
        assert_eq!(n, MAX_EXPORT_HALVINGS + 1);
        assert!(r.as_ref().is_err_and(|e| e.starts_with("larger than 1 bytes")), "{r:?}");
        // The tool failing is the error.
        assert_eq!(export_bounded(day, 1, |_| Err("no".into())), Err("no".into()));
    }

    #[test]
    fn missing_sources_are_recorded_and_collection_goes_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        std::fs::write(src.join("SoftwareDistribution.log"), "x").expect("write");
        std::fs::write(src.join("other.txt"), "x").expect("write");
        let dest = dir.path().join("dest");
        let mut errors = Vec::new();
        copy_matching(&dir.path().join("missing"), &dest, "a", &|_| true, &mut errors);
        copy_matching(&src, &dest, "wsus/LogFiles", &|n| n.starts_with("softwaredistribution"), &mut errors);
        copy_file(&src.join("nope.config"), &dest, "iis/w3wp.exe.config", &mut errors);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].artifact, "a");
        assert_eq!(errors[1].artifact, "iis/w3wp.exe.config");
        assert!(dest.join("wsus/LogFiles/SoftwareDistribution.log").is_file());
        assert!(!dest.join("wsus/LogFiles/other.txt").exists());
    }

    /// On Windows (and under Wine, `.ci/wine-test.sh`): the live registry is exported in both
    /// views and read back by the registry collector; missing sources are errors, not failures.
    #[cfg(windows)]
    #[test]
    fn gathers_the_live_registry_in_both_views() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = LiveSpec {
            registry_keys: vec![
                r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion".into(),
                r"HKLM\SOFTWARE\triage-test\does-not-exist".into(),
            ],
            timeout: Duration::from_secs(30),
            run_commands: false,
            ..LiveSpec::default()
        };
        let stage = dir.path().join("stage");
        let errors = gather(&stage, &spec);
        assert!(
            errors.iter().any(|e| e.message.contains("does-not-exist")),
            "a missing key is recorded: {errors:?}"
        );
        for rel in ["registry/hklm-64bit.reg", "registry/hklm-32bit.reg"] {
            let bytes = std::fs::read(stage.join(rel)).expect(rel);
            assert!(bytes.starts_with(&[0xFF, 0xFE]), "{rel} is UTF-16LE with BOM");
            let text = crate::text::decode(&bytes).text;
            assert!(text.starts_with("Windows Registry Editor Version 5.00\r\n"), "{text}");
        }
        let c = crate::discover::collect_path(&stage, &crate::all(), None, &Default::default())
            .expect("collected");
        let reg = c.facts.get("registry").and_then(|f| f.as_map()).expect("registry facts");
        assert!(
            reg.keys().any(|k| k.eq_ignore_ascii_case(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion")),
            "{:?}",
            reg.keys()
        );
        assert!(
            reg.keys()
                .any(|k| k
                    .eq_ignore_ascii_case(r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows NT\CurrentVersion")),
            "{:?}",
            reg.keys()
        );
    }

    #[cfg(not(windows))]
    #[test]
    fn off_windows_live_collection_says_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        let errors = gather(&dir.path().join("stage"), &LiveSpec::default());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("--from DIR"));
    }
}
