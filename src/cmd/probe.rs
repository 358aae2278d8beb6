//! `triage probe tls HOST[:PORT]`: a live TLS probe of one endpoint (see
//! `triage_collectors::probe` for what it sends, its bounds, and the facts a saved probe gives).
//!
//! Exit status: 0 when the endpoint accepted at least one version (and, with `--as-host`, the
//! host's own hello); 1 when it did not; 2 on an error (bad arguments, unreadable facts, a name
//! that does not resolve).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use triage_collectors::probe::{self, as_host, proxy::ProxyConfig, ProbeOptions};
use triage_facts::FactMap;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeFormat {
    Human,
    Json,
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
    #[arg(long, value_enum, default_value = "human")]
    pub format: ProbeFormat,
    /// Save the result as JSON, an artifact `triage run` reads (facts under `probes.tls`).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also offer the ClientHello the host described by these facts would send: a fact map
    /// (`triage facts` JSON) or a folder of that host's artifacts.
    #[arg(long, value_name = "FACTS_OR_FOLDER")]
    pub as_host: Option<PathBuf>,
    /// Seconds allowed per connection (connect, proxy and server answer together).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Milliseconds to wait between two connections.
    #[arg(long, default_value_t = 250, value_name = "MS")]
    pub pause: u64,
    /// Only test the versions; do not enumerate cipher suites.
    #[arg(long)]
    pub no_suites: bool,
}

/// Runs `triage probe …`.
pub fn run(args: &ProbeArgs) -> miette::Result<ExitCode> {
    match &args.what {
        ProbeKind::Tls(t) => run_tls(t),
    }
}

fn load_facts(path: &Path) -> miette::Result<FactMap> {
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| miette::miette!("cannot read {}: {e}", path.display()))?;
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}')) {
            // `triage facts --format json` may wrap the map in `{"facts": …}`.
            let inner = v.get("facts").cloned().unwrap_or(v);
            if let Ok(m) = serde_json::from_value::<FactMap>(inner) {
                return Ok(m);
            }
        }
    }
    let collected =
        triage_collectors::discover::collect_path(path, &triage_collectors::all(), None, &Default::default())
            .map_err(|e| miette::miette!("cannot read {}: {e}", path.display()))?;
    Ok(collected.facts)
}

fn run_tls(t: &TlsArgs) -> miette::Result<ExitCode> {
    let Some((host, port)) = probe::split_host_port(&t.target, 443) else {
        return Err(miette::miette!("bad target {:?}: expected HOST[:PORT]", t.target));
    };
    if !(t.timeout.is_finite() && t.timeout > 0.0 && t.timeout <= 120.0) {
        return Err(miette::miette!("--timeout must be between 0 and 120 seconds"));
    }
    let mut opts = ProbeOptions::new(host, port);
    opts.timeout = Duration::from_secs_f64(t.timeout);
    opts.pause = Duration::from_millis(t.pause.min(10_000));
    opts.sni = t.sni.clone();
    opts.enumerate_suites = !t.no_suites;
    if let Some(url) = &t.proxy {
        opts.proxy = Some(ProxyConfig::parse(url).map_err(|e| miette::miette!("{e}"))?);
    }
    if let Some(path) = &t.as_host {
        opts.as_host = Some(as_host::host_hello(&load_facts(path)?));
    }
    let report = probe::probe(&opts);
    let json = report.to_json();
    if let Some(out) = &t.output {
        std::fs::write(out, format!("{json}\n")).map_err(|e| miette::miette!("cannot write {}: {e}", out.display()))?;
    }
    match t.format {
        ProbeFormat::Json => println!("{json}"),
        ProbeFormat::Human => print!("{}", report.render_human()),
    }
    Ok(if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if report.looks_healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
