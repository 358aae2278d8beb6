//! A probe's result as data: what `triage probe tls -o probe.json` saves, what `--format json`
//! prints, and what the `probe-tls` collector turns back into `probes.tls` facts (layout in the
//! [module docs](super)).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, FactMap,
    Provenance, Recognition, Value,
};

/// The `format` value of a saved probe.
pub const PROBE_FORMAT: &str = "triage-probe-tls/1";

/// Everything one probe found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    pub format: String,
    /// `host:port` as probed.
    pub target: String,
    /// The proxy's `host:port`, never with credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// The proxy's HTTP status when it refused a tunnel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    pub connections: u32,
    /// One per version probed, lowest first.
    #[serde(default)]
    pub versions: Vec<VersionResult>,
    /// Accepted suites per version name, in the server's preference order.
    #[serde(default)]
    pub suites: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_host: Option<AsHostResult>,
    #[serde(default)]
    pub errors: Vec<String>,
}

/// The answer to one hello.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionResult {
    /// The version offered (`TLS 1.2`).
    pub version: String,
    pub answer: String,
    pub accepted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
}

/// The hello a given host would send, and the endpoint's answer to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsHostResult {
    pub versions: Vec<String>,
    pub suites: Vec<String>,
    pub suite_source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_build: Option<i64>,
    pub answer: String,
    pub would_succeed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl ProbeReport {
    /// Versions the server accepted, lowest first.
    pub fn accepted_versions(&self) -> Vec<&str> {
        self.versions.iter().filter(|v| v.accepted).map(|v| v.version.as_str()).collect()
    }

    /// Pretty, deterministic JSON.
    pub fn to_json(&self) -> String {
        // Plain structs and string-keyed maps: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a saved probe; `Err` names what is wrong.
    pub fn from_json(text: &str) -> Result<ProbeReport, String> {
        let r: ProbeReport = serde_json::from_str(text).map_err(|e| format!("not a saved TLS probe: {e}"))?;
        if r.format != PROBE_FORMAT {
            return Err(format!("unsupported probe format {:?} (expected {PROBE_FORMAT:?})", r.format));
        }
        Ok(r)
    }

    /// The report as facts under `probes.tls.<target>`, pointing at `artifact`.
    pub fn to_facts(&self, artifact: &str) -> FactMap {
        let src = |key: &str| Arc::new(Provenance::new(artifact, INFO.name).key(key.to_owned()));
        let leaf = |v: Value, s: &Arc<Provenance>| Fact::with_source(v, Arc::clone(s));
        let strs = |l: &[String], s: &Arc<Provenance>| {
            Value::List(l.iter().map(|x| leaf(Value::Str(x.clone()), s)).collect())
        };
        let top = Arc::new(Provenance::new(artifact, INFO.name));
        let mut m = BTreeMap::new();
        m.insert("target".into(), leaf(self.target.clone().into(), &top));
        if let Some(p) = &self.proxy {
            m.insert("proxy".into(), leaf(p.clone().into(), &top));
        }
        if let Some(s) = self.proxy_status {
            m.insert("proxy_status".into(), leaf(Value::Int(i64::from(s)), &top));
        }
        if let Some(s) = &self.sni {
            m.insert("sni".into(), leaf(s.clone().into(), &top));
        }
        m.insert("connections".into(), leaf(Value::Int(i64::from(self.connections)), &top));
        let mut versions = BTreeMap::new();
        for v in &self.versions {
            let s = src(&format!("versions/{}", v.version));
            let mut vm = BTreeMap::new();
            vm.insert("answer".into(), leaf(v.answer.clone().into(), &s));
            vm.insert("accepted".into(), leaf(Value::Bool(v.accepted), &s));
            for (k, val) in [("server_version", &v.server_version), ("suite", &v.suite), ("alert", &v.alert)]
            {
                if let Some(val) = val {
                    vm.insert(k.into(), leaf(val.clone().into(), &s));
                }
            }
            versions.insert(v.version.clone(), leaf(Value::Map(vm), &s));
        }
        m.insert("versions".into(), leaf(Value::Map(versions), &src("versions")));
        let accepted: Vec<String> = self.accepted_versions().into_iter().map(str::to_owned).collect();
        m.insert("accepted_versions".into(), leaf(strs(&accepted, &top), &top));
        let ss = src("suites");
        let suites = self
            .suites
            .iter()
            .map(|(k, l)| {
                let s = src(&format!("suites/{k}"));
                (k.clone(), leaf(strs(l, &s), &s))
            })
            .collect();
        m.insert("suites".into(), leaf(Value::Map(suites), &ss));
        if let Some(a) = &self.as_host {
            let s = src("as_host");
            let mut am = BTreeMap::new();
            am.insert("versions".into(), leaf(strs(&a.versions, &s), &s));
            am.insert("suites".into(), leaf(strs(&a.suites, &s), &s));
            am.insert("suite_source".into(), leaf(a.suite_source.clone().into(), &s));
            if let Some(b) = a.os_build {
                am.insert("os_build".into(), leaf(Value::Int(b), &s));
            }
            am.insert("answer".into(), leaf(a.answer.clone().into(), &s));
            am.insert("would_succeed".into(), leaf(Value::Bool(a.would_succeed), &s));
            for (k, val) in [("server_version", &a.server_version), ("suite", &a.suite), ("alert", &a.alert)]
            {
                if let Some(val) = val {
                    am.insert(k.into(), leaf(val.clone().into(), &s));
                }
            }
            am.insert("notes".into(), leaf(strs(&a.notes, &s), &s));
            m.insert("as_host".into(), leaf(Value::Map(am), &s));
        }
        m.insert("errors".into(), leaf(strs(&self.errors, &top), &top));
        let mut facts = FactMap::new();
        facts.insert(&["probes", "tls", self.target.as_str()], Fact::with_source(Value::Map(m), top));
        facts
    }
}

/// Reads saved probes (`probe.json`) into `probes.tls`.
#[derive(Debug)]
pub struct ProbeTlsCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: "probe-tls",
    version: "1",
    reads: "saved TLS probes (`triage probe tls … -o probe.json`)",
    typical_names: &["probe.json", "*.probe.json"],
    provides: &["probes.tls"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("probes.tls.*", &[Map], "one probed target, by `host:port` as probed"),
        FactDecl::new("probes.tls.*.target", &[Str], "`host:port`"),
        FactDecl::new("probes.tls.*.proxy", &[Str], "the proxy (`proxy.corp:8080`), absent when direct"),
        FactDecl::new("probes.tls.*.proxy_status", &[Int], "the proxy's HTTP status when it refused the tunnel"),
        FactDecl::new("probes.tls.*.sni", &[Str], "the server name sent"),
        FactDecl::new("probes.tls.*.connections", &[Int], "connections made"),
        FactDecl::new("probes.tls.*.versions", &[Map], "by version probed (`TLS 1.2`)"),
        FactDecl::new("probes.tls.*.versions.*", &[Map], "the answer to one version"),
        FactDecl::new("probes.tls.*.versions.*.answer", &[Str], "`server_hello`, `lower_version`, `hello_retry_request`, `alert:<description>`, `rst`, `eof`, `timeout`, `not_tls`, `proxy_refused` or `error:<message>`"),
        FactDecl::new("probes.tls.*.versions.*.accepted", &[Bool], "the server agreed to speak this version"),
        FactDecl::new("probes.tls.*.versions.*.server_version", &[Str], "the ServerHello's version"),
        FactDecl::new("probes.tls.*.versions.*.suite", &[Str], "the ServerHello's cipher suite"),
        FactDecl::new("probes.tls.*.versions.*.alert", &[Str], "the alert description"),
        FactDecl::new("probes.tls.*.accepted_versions", &[List], "the versions accepted, lowest first"),
        FactDecl::new("probes.tls.*.accepted_versions[]", &[Str], "`TLS 1.2`"),
        FactDecl::new("probes.tls.*.suites", &[Map], "by accepted version"),
        FactDecl::new("probes.tls.*.suites.*", &[List], "the suites accepted, in the server's preference order"),
        FactDecl::new("probes.tls.*.suites.*[]", &[Str], "an IANA name"),
        FactDecl::new("probes.tls.*.as_host", &[Map], "the hello a given Windows host would send (`--as-host`)"),
        FactDecl::new("probes.tls.*.as_host.versions", &[List], "the versions it would offer (empty: no hello)"),
        FactDecl::new("probes.tls.*.as_host.versions[]", &[Str], "`TLS 1.2`"),
        FactDecl::new("probes.tls.*.as_host.suites", &[List], "the suites it would offer, in its order"),
        FactDecl::new("probes.tls.*.as_host.suites[]", &[Str], "an IANA name"),
        FactDecl::new("probes.tls.*.as_host.suite_source", &[Str], "`gpo`, `registry_policy`, `registry_local` or `os_default`"),
        FactDecl::new("probes.tls.*.as_host.os_build", &[Int], "the OS build the defaults were taken for"),
        FactDecl::new("probes.tls.*.as_host.answer", &[Str], "as for versions, or `no_hello`"),
        FactDecl::new("probes.tls.*.as_host.would_succeed", &[Bool], "whether that hello would be accepted"),
        FactDecl::new("probes.tls.*.as_host.server_version", &[Str], "the ServerHello's version"),
        FactDecl::new("probes.tls.*.as_host.suite", &[Str], "the ServerHello's cipher suite"),
        FactDecl::new("probes.tls.*.as_host.alert", &[Str], "the alert description"),
        FactDecl::new("probes.tls.*.as_host.notes", &[List], "why the hello looks the way it does"),
        FactDecl::new("probes.tls.*.as_host.notes[]", &[Str], "a note"),
        FactDecl::new("probes.tls.*.errors", &[List], "problems that stopped the probe early"),
        FactDecl::new("probes.tls.*.errors[]", &[Str], "a problem"),
    ]
};

impl Collector for ProbeTlsCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let head = String::from_utf8_lossy(artifact.head);
        let marker = format!("\"{PROBE_FORMAT}\"");
        if !head.trim_start_matches('\u{feff}').trim_start().starts_with('{') || !head.contains(&marker) {
            return Recognition::No;
        }
        if artifact.file_name_lower().ends_with(".json") {
            Recognition::ByNameAndContent
        } else {
            Recognition::ByContent
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        let mut out = CollectorOutput { encoding: Some("utf-8".into()), ..Default::default() };
        let text = match std::fs::read(artifact.path) {
            Ok(b) => String::from_utf8_lossy(&b).trim_start_matches('\u{feff}').to_owned(),
            Err(e) => {
                out.errors.push(CollectionError::new(
                    artifact.rel_path,
                    INFO.name,
                    format!("cannot read: {e}"),
                ));
                return out;
            }
        };
        match ProbeReport::from_json(&text) {
            Ok(r) => {
                out.items = r.versions.len() as u64;
                out.facts = r.to_facts(artifact.rel_path);
            }
            Err(e) => {
                let mut err = CollectionError::new(artifact.rel_path, INFO.name, e);
                if let Some((line, col)) = json_error_position(&text) {
                    err = err.at_line(line).at_column(col);
                }
                out.errors.push(err);
            }
        }
        out
    }
}

fn json_error_position(text: &str) -> Option<(u64, u64)> {
    let e = serde_json::from_str::<serde_json::Value>(text).err()?;
    Some((e.line() as u64, e.column() as u64))
}

impl ProbeReport {
    /// The report for people: one line per version, the suites in the server's order, the
    /// as-host verdict and its notes.
    pub fn render_human(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let via = self.proxy.as_deref().map(|p| format!(" via proxy {p}")).unwrap_or_default();
        let sni = self.sni.as_deref().map(|n| format!(", SNI {n}")).unwrap_or_default();
        let _ = writeln!(s, "TLS probe of {}{via}{sni}: {} connection(s)", self.target, self.connections);
        for e in &self.errors {
            let _ = writeln!(s, "  error: {e}");
        }
        if let Some(st) = self.proxy_status {
            let _ = writeln!(s, "  the proxy refused the tunnel with HTTP {st}");
        }
        for v in &self.versions {
            let verdict = if v.accepted { "accepted" } else { "refused " };
            let detail = match (&v.server_version, &v.suite) {
                (Some(sv), Some(su)) => format!(" ({sv}, {su})"),
                _ => String::new(),
            };
            let _ = writeln!(s, "  {:<8} {verdict}  {}{detail}", v.version, v.answer);
        }
        for (version, list) in &self.suites {
            let _ = writeln!(s, "  cipher suites accepted with {version}, in the server's order:");
            for (i, name) in list.iter().enumerate() {
                let _ = writeln!(s, "    {}. {name}", i + 1);
            }
        }
        if let Some(a) = &self.as_host {
            let verdict = if a.would_succeed { "would succeed" } else { "would FAIL" };
            let versions = if a.versions.is_empty() { "none".to_owned() } else { a.versions.join(", ") };
            let _ = writeln!(
                s,
                "  as this host would (versions: {versions}; {} suite(s) from {}): {verdict} — {}",
                a.suites.len(),
                a.suite_source,
                a.answer
            );
            if let (Some(v), Some(su)) = (&a.server_version, &a.suite) {
                let _ = writeln!(s, "    server chose {v}, {su}");
            }
            for n in &a.notes {
                let _ = writeln!(s, "    note: {n}");
            }
        }
        s
    }

    /// Whether the endpoint accepted something (and, with an as-host check, that hello).
    pub fn looks_healthy(&self) -> bool {
        self.errors.is_empty()
            && self.versions.iter().any(|v| v.accepted)
            && self.as_host.as_ref().is_none_or(|a| a.would_succeed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ProbeReport {
        ProbeReport {
            format: PROBE_FORMAT.into(),
            target: "sws.update.microsoft.com:443".into(),
            proxy: Some("proxy.corp:8080".into()),
            sni: Some("sws.update.microsoft.com".into()),
            connections: 6,
            versions: vec![
                VersionResult { version: "TLS 1.0".into(), answer: "rst".into(), ..Default::default() },
                VersionResult {
                    version: "TLS 1.2".into(),
                    answer: "server_hello".into(),
                    accepted: true,
                    server_version: Some("TLS 1.2".into()),
                    suite: Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into()),
                    alert: None,
                },
            ],
            suites: [("TLS 1.2".to_owned(), vec!["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".to_owned()])].into(),
            as_host: Some(AsHostResult {
                versions: vec!["TLS 1.0".into()],
                suites: vec!["TLS_RSA_WITH_AES_128_CBC_SHA".into()],
                suite_source: "os_default".into(),
                answer: "rst".into(),
                notes: vec!["WSUS asks for TLS 1.0 only".into()],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn json_round_trips_and_wrong_formats_are_refused() {
        let r = sample();
        assert_eq!(ProbeReport::from_json(&r.to_json()), Ok(r));
        let err = ProbeReport::from_json(r#"{"format":"triage-probe-tls/9","target":"x","connections":0}"#);
        assert!(err.is_err_and(|e| e.contains("unsupported probe format")));
    }

    #[test]
    fn human_rendering_names_what_matters() {
        let text = sample().render_human();
        assert!(
            text.starts_with("TLS probe of sws.update.microsoft.com:443 via proxy proxy.corp:8080"),
            "{text}"
        );
        assert!(text.contains("TLS 1.0  refused   rst"), "{text}");
        assert!(text.contains("1. TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"), "{text}");
        assert!(text.contains("would FAIL — rst"), "{text}");
        assert!(text.contains("note: WSUS asks for TLS 1.0 only"), "{text}");
        assert!(!sample().looks_healthy());
    }

    #[test]
    fn facts_layout() {
        let f = sample().to_facts("probe.json");
        let t = f.get_segments(&["probes", "tls", "sws.update.microsoft.com:443"]).expect("target");
        let get = |p: &[&str]| t.get_path(p).map(|x| x.value.clone());
        assert_eq!(get(&["proxy"]), Some(Value::Str("proxy.corp:8080".into())));
        assert_eq!(get(&["versions", "TLS 1.0", "accepted"]), Some(Value::Bool(false)));
        assert_eq!(get(&["versions", "TLS 1.0", "answer"]), Some(Value::Str("rst".into())));
        assert_eq!(get(&["as_host", "would_succeed"]), Some(Value::Bool(false)));
        assert_eq!(get(&["connections"]), Some(Value::Int(6)));
        let Some(Value::List(acc)) = get(&["accepted_versions"]) else { panic!("accepted_versions") };
        assert_eq!(acc.len(), 1);
    }
}
