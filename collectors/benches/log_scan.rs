//! Log-scanning benchmark (harness = false): generates a large, realistic SoftwareDistribution.log
//! and scans it with the WSUS signals, printing throughput. `benches/log_scan.sh` runs it beside
//! ripgrep on the same file and patterns, under `/usr/bin/time -v` for peak RSS.
//!
//! ```text
//! cargo bench -p triage-collectors --bench log_scan -- generate /tmp/SoftwareDistribution.log 1024
//! cargo bench -p triage-collectors --bench log_scan -- scan /tmp/SoftwareDistribution.log
//! cargo bench -p triage-collectors --bench log_scan -- patterns    # one per line, for rg -f
//! ```
//!
//! Without arguments (as `cargo bench` runs it) it generates 64 MiB into the temp folder, scans
//! it, and removes it.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use triage_collectors::logs::{scan_file, Format};
use triage_facts::{ScanPlan, SignalSpec, Value};

/// The WSUS signals of the article (FORMATS.md), as a pack would declare them.
const SIGNALS: &[(&str, &str)] = &[
    ("send_reset", "forcibly closed by the remote host"),
    ("no_common_algorithm", "do not possess a common algorithm"),
    ("connection_closed", "The underlying connection was closed"),
    ("web_exception", r"System\.Net\.WebException"),
    ("proxy_exception", r"ProcessWebServiceProxyException found Exception was (?P<type>\w+)"),
    ("retry_limit", "Retry Limit Exceeded"),
    ("soap_error", r"ErrorCode=(?P<code>[A-Za-z]+)"),
    ("sync_failed_event", r"EventId=38[67]"),
];

fn plan() -> ScanPlan {
    ScanPlan {
        signals: SIGNALS
            .iter()
            .map(|(n, p)| SignalSpec {
                id: format!("wsus-tls/{n}"),
                log: "wsus".into(),
                pattern: (*p).into(),
                max_matches: 1000,
            })
            .collect(),
        log_kinds: vec![],
        ..Default::default()
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ROUTINE: &[(&str, &str, &str)] = &[
    ("Info", "w3wp", "ClientImplementation.GetCookie\tCookie issued for client 0f3c2a1e-{} (target groups: 2)"),
    ("Info", "w3wp", "ClientImplementation.SyncUpdates\tSyncUpdates: client {} requested 412 updates, 0 new"),
    ("Info", "w3wp", "ReportingWebService.ReportEventBatch\tReceived 14 events from computer {}"),
    ("Info", "WsusService", "CatalogSyncAgentCore.ExecuteSyncProtocol\tSyncing updates: batch {} of 38"),
    ("Info", "WsusService", "ContentSyncAgent.WakeUpWorkerThreadProc\tContent download: {} files queued, 0 failed"),
    ("Info", "WsusService", "Microsoft.UpdateServices.Internal.ContentSyncAgent.ProcessContentDownload\tDownloaded {} bytes from http://download.windowsupdate.com/c/msdownload/update/software/secu/2024/01/windows10.0-kb5034122-x64.cab"),
    ("Warning", "w3wp", "ClientImplementation.GetExtendedUpdateInfo\tUpdate {} not found in the database, skipping"),
    ("Change", "w3wp", "AdminDataAccess.ExecuteSPSetConfiguration\tConfiguration changed by DOMAIN\\admin ({})"),
    ("Info", "WsusService", "EventLogEventReporter.ReportEvent\tEventId=364,Type=Information,Category=Synchronization,Message=Content file download {} succeeded."),
];

const STACK: &[&str] = &[
    "   at System.Net.HttpWebRequest.GetRequestStream(TransportContext& context)",
    "   at System.Net.HttpWebRequest.GetRequestStream()",
    "   at System.Web.Services.Protocols.SoapHttpClientProtocol.Invoke(String methodName, Object[] parameters)",
    "   at Microsoft.UpdateServices.ServerSyncWebServices.ServerSync.ServerSyncProxy.GetAuthConfig()",
    "   at Microsoft.UpdateServices.ServerSync.ServerSyncLib.InternetGetServerAuthConfig(ServerSyncProxy proxy, WebServiceCommunicationHelper webServiceHelper)",
    "   at Microsoft.UpdateServices.ServerSync.ServerSyncLib.Authenticate(AuthorizationManager authorizationManager, Boolean checkExpiration, ServerSyncProxy proxy, Cookie cookie, WebServiceCommunicationHelper webServiceHelper)",
];

const RELEVANT: &[&str] = &[
    "WebServiceCommunicationHelper.ProcessWebServiceProxyException\tProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: System.Net.WebException: The underlying connection was closed: An unexpected error occurred on a send. ---> System.IO.IOException: Unable to read data from the transport connection: An existing connection was forcibly closed by the remote host. ---> System.Net.Sockets.SocketException: An existing connection was forcibly closed by the remote host",
    "WebServiceCommunicationHelper.ProcessWebServiceProxyException\tProcessWebServiceProxyException found Exception was WebException. Action: Retry. Exception Details: System.Net.WebException: The underlying connection was closed: An unexpected error occurred on a receive. ---> System.ComponentModel.Win32Exception: The client and server cannot communicate, because they do not possess a common algorithm",
    "WebServiceCommunicationHelper.ProcessWebServiceProxyException\tProcessWebServiceProxyException found Exception was WebException but Retry Limit Exceeded. Action: No Retry, Fail. Exception Details: System.Net.WebException: The underlying connection was closed: An unexpected error occurred on a send.",
    "SoapUtilities.LogException\tUSS ThrowException: Actor = https://sws.update.microsoft.com/v6/ServerSyncWebService/ServerSyncWebService.asmx, Method = \"http://www.microsoft.com/SoftwareDistribution/GetUpdateData\", ID=3, ErrorCode=InternalServerError, Message=",
    "EventLogEventReporter.ReportEvent\tEventId=386,Type=Error,Category=Synchronization,Message=Synchronization failed. Reason: The underlying connection was closed: An unexpected error occurred on a send.",
];

fn generate(path: &Path, mib: u64) -> std::io::Result<()> {
    let target = mib << 20;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut written = 0u64;
    let mut ms: u64 = 1_700_000_000_000;
    let mut line = String::new();
    let schannel = "SCHANNEL Protocol 'TLS 1.0' disabled\n";
    while written < target {
        ms += rng.below(40);
        let (secs, milli) = (ms / 1000, ms % 1000);
        let days = secs / 86_400;
        let sod = secs % 86_400;
        // 2023-11-14 + days, good enough for a benchmark.
        let stamp = format!(
            "2023-11-{:02} {:02}:{:02}:{:02}.{milli:03} UTC",
            14 + days % 14,
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        );
        line.clear();
        let roll = rng.below(1000);
        let thread = rng.below(200);
        if roll < 5 {
            // ~0.5 % relevant records, with their stack frames.
            let msg = RELEVANT[rng.below(RELEVANT.len() as u64) as usize];
            let process = if rng.below(2) == 0 { "w3wp" } else { "WsusService" };
            line.push_str(&format!("{stamp}\tError\t{process}.{thread}\t{msg}\n"));
            for f in STACK.iter().take(2 + rng.below(4) as usize) {
                line.push_str(f);
                line.push('\n');
            }
        } else if roll < 25 {
            // Unrelated errors with stack frames (a pattern-free 2 %).
            line.push_str(&format!(
                "{stamp}\tError\tw3wp.{thread}\tClientImplementation.SyncUpdates\tSystem.Data.SqlClient.SqlException: Timeout expired.\n"
            ));
            for f in STACK.iter().skip(2).take(3) {
                line.push_str(f);
                line.push('\n');
            }
            line.push_str("   --- End of inner exception stack trace ---\n\n");
        } else if roll == 25 {
            line.push_str(&format!(
                "{stamp}\tInfo\tWsusService.{thread}\tServerSyncLib.SchannelStartup\t{schannel}"
            ));
        } else {
            let (level, process, rest) = ROUTINE[rng.below(ROUTINE.len() as u64) as usize];
            let rest = rest.replace("{}", &rng.below(1_000_000).to_string());
            line.push_str(&format!("{stamp}\t{level}\t{process}.{thread}\t{rest}\n"));
        }
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()
}

fn scan(path: &Path) {
    let plan = plan();
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let started = Instant::now();
    let out = scan_file(path, "SoftwareDistribution.log", &Format::Wsus, Some(&plan));
    let secs = started.elapsed().as_secs_f64();
    let mut total = 0usize;
    for (name, _) in SIGNALS {
        let id = format!("wsus-tls/{name}");
        let n = match out.facts.get_segments(&["signals", id.as_str()]).map(|f| &f.value) {
            Some(Value::List(l)) => l.len(),
            _ => 0,
        };
        let dropped = out
            .facts
            .get_segments(&["signals_truncated", id.as_str(), "SoftwareDistribution.log"])
            .and_then(|f| f.value.as_int())
            .unwrap_or(0);
        total += n;
        println!("signal {name}: {n} kept, {dropped} over the cap");
    }
    println!(
        "triage: {size} bytes, {} records, {} lines, {total} matches kept, {} errors, {secs:.3} s, {:.0} MB/s",
        out.records,
        out.lines,
        out.errors.len(),
        size as f64 / secs / 1e6
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["generate", path, mib] => {
            let mib = mib.parse().unwrap_or(1024);
            if let Err(e) = generate(Path::new(path), mib) {
                eprintln!("cannot write {path}: {e}");
                std::process::exit(2);
            }
        }
        ["scan", path] => scan(Path::new(path)),
        ["patterns"] => {
            for (_, p) in SIGNALS {
                println!("{p}");
            }
        }
        [] => {
            let path = std::env::temp_dir().join(format!("triage-bench-{}.log", std::process::id()));
            if let Err(e) = generate(&path, 64) {
                eprintln!("cannot write {}: {e}", path.display());
                std::process::exit(2);
            }
            scan(&path);
            let _ = std::fs::remove_file(&path);
        }
        _ => {
            eprintln!("usage: log_scan [generate PATH MIB | scan PATH | patterns]");
            std::process::exit(2);
        }
    }
}
