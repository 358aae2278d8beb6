//! `triage probe tls HOST[:PORT]`: a live TLS probe of one endpoint (see
//! `triage_collectors::probe` for what it sends, its bounds, and the facts a saved probe gives).
//!
//! Exit status: 0 when the endpoint accepted at least one version (and, with `--as-host`, the
//! host's own hello); 1 when it did not; 2 on an error (bad arguments, unreadable facts, a name
//! that does not resolve, the `--deadline` reached before the probe was done).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use triage_collectors::probe::{self, as_host, proxy::ProxyConfig, ProbeOptions};
use triage_facts::ScanPlan;

use crate::output::{Out, Ui};
use crate::{input, CmdResult, Exit, Failure, Format};

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    #[command(subcommand)]
    pub what: ProbeKind,
}

#[derive(Debug, clap::Subcommand)]
pub enum ProbeKind {
    /// Which TLS versions and cipher suites an endpoint accepts, and how it refuses the rest.
    Tls(TlsArgs),
}

#[derive(Debug, clap::Args)]
pub struct TlsArgs {
    /// The endpoint, `HOST[:PORT]` (port 443 by default).
    #[arg(value_name = "HOST[:PORT]")]
    pub target: String,
    /// Go through this HTTP proxy: `http://[user:password@]host:port` (CONNECT, Basic auth).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// The server name to send (default: the host name; none for an IP address).
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Output format: `human` for people, `json` for scripts (deterministic).
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Save the result as JSON, an artifact `triage run` reads (facts under `probes.tls`).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also offer the ClientHello the host described by these facts would send: an artifact
    /// folder, a bundle or a fact-map JSON of that host.
    #[arg(long, value_name = "FACTS_OR_FOLDER")]
    pub as_host: Option<PathBuf>,
    /// Seconds allowed per connection (connect, proxy and server answer together).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Seconds allowed for the whole probe (name resolution, pauses and every connection); when
    /// it passes, the probe stops and reports what it found so far as incomplete (exit 2).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub deadline: f64,
    /// Milliseconds to wait between two connections (at most 10000).
    #[arg(long, default_value_t = 250, value_name = "MS")]
    pub pause: u64,
    /// Only test the versions; do not enumerate cipher suites.
    #[arg(long)]
    pub no_suites: bool,
}

/// Runs `triage probe …`.
pub fn run(args: ProbeArgs, ui: &Ui, out: &mut Out, _err: &mut Out) -> CmdResult {
    match args.what {
        ProbeKind::Tls(t) => run_tls(t, ui, out),
    }
}

fn fail(msg: String) -> Failure {
    Failure::Message(miette::miette!("{msg}"))
}

fn run_tls(t: TlsArgs, ui: &Ui, out: &mut Out) -> CmdResult {
    let Some((host, port)) = probe::split_host_port(&t.target, 443) else {
        return Err(fail(format!("bad target {:?}: expected HOST[:PORT]", t.target)));
    };
    if !(t.timeout.is_finite() && t.timeout > 0.0 && t.timeout <= 120.0) {
        return Err(fail("--timeout must be more than 0 and at most 120 seconds".into()));
    }
    if !(t.deadline.is_finite() && t.deadline > 0.0 && t.deadline <= 3600.0) {
        return Err(fail("--deadline must be more than 0 and at most 3600 seconds".into()));
    }
    let mut opts = ProbeOptions::new(host, port);
    opts.timeout = Duration::from_secs_f64(t.timeout);
    opts.deadline = Duration::from_secs_f64(t.deadline);
    opts.pause = Duration::from_millis(t.pause.min(10_000));
    opts.sni = t.sni;
    opts.enumerate_suites = !t.no_suites;
    if let Some(url) = &t.proxy {
        opts.proxy = Some(ProxyConfig::parse(url).map_err(|e| fail(e.to_string()))?);
    }
    if let Some(path) = &t.as_host {
        let host = input::load(path, &ScanPlan::default(), ui).map_err(fail)?;
        opts.as_host = Some(as_host::host_hello(&host.facts));
    }
    let report = probe::probe(&opts);
    let json = report.to_json();
    if let Some(file) = &t.output {
        std::fs::write(file, format!("{json}\n")).map_err(|e| fail(format!("{}: {e}", file.display())))?;
    }
    match t.format {
        Format::Json => writeln!(out, "{json}")?,
        Format::Human => out.write_all(report.render_human().as_bytes())?,
    }
    Ok(if !report.errors.is_empty() {
        Exit::Error
    } else if report.looks_healthy() {
        Exit::Clean
    } else {
        Exit::Detected
    })
}
