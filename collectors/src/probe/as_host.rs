//! "As this host would": the ClientHello a Windows host's Schannel would send on behalf of WSUS
//! (a .NET 4 application), built from that host's collected facts.
//!
//! Inputs, all read from a [`FactMap`] (lookups are case-insensitive, as the registry is):
//!
//! - **Protocol versions** — `registry."HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\
//!   SCHANNEL\Protocols\TLS 1.x\Client"`: `Enabled` (0 = off) and `DisabledByDefault` (1 = not
//!   offered unless the application asks for it by name); a missing value is the OS default
//!   (TLS 1.0–1.2 on from Windows Server 2012, TLS 1.3 from Windows Server 2022, build 20348).
//! - **.NET** — `registry."HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319"`
//!   `SystemDefaultTlsVersions` = 1: the OS defaults above; else `SchUseStrongCrypto` = 1:
//!   TLS 1.0–1.2, asked for by name (so `DisabledByDefault` does not matter, `Enabled` = 0 does);
//!   else (missing values are **not** 1 for WSUS): TLS 1.0 only.
//! - **Cipher-suite order**, first found wins: the *SSL Cipher Suite Order* policy in
//!   `gpo.policies` (the gpresult collector's `gpo.policies."SSL Cipher Suite Order".settings.
//!   "SSL Cipher Suites"`, or any map naming that policy and holding a comma-separated list; a
//!   policy whose `state` is `Disabled` is skipped), `registry."HKLM\SOFTWARE\Policies\Microsoft\Cryptography\
//!   Configuration\SSL\00010002".Functions` (REG_SZ, comma-separated, or REG_MULTI_SZ),
//!   `registry."HKLM\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\
//!   00010002".Functions`, else the OS default list for `os.build`
//!   (`data/schannel_default_suites.txt`). Curve suffixes (`_P256`) are stripped; unknown names
//!   are noted and skipped. Suites the highest version cannot use are left out (TLS 1.2-only
//!   suites from a TLS 1.0/1.1 hello, TLS 1.3 suites without TLS 1.3), as Schannel does.

use triage_facts::{Fact, FactMap, Value};

use crate::capture::cipher_suites::{is_tls13_suite, suite_id, suite_name};
use crate::capture::tls::version_name;

const SCHANNEL_PROTOCOLS: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols";
const DOTNET4: &str = r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319";
const POLICY_ORDER: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002";
const LOCAL_ORDER: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002";

/// The OS default lists, as data.
pub const DEFAULT_SUITES_DATA: &str = include_str!("data/schannel_default_suites.txt");

/// The hello a host would send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostHello {
    /// Versions offered, lowest first; empty when the host would send no hello at all.
    pub versions: Vec<u16>,
    pub suites: Vec<u16>,
    /// `gpo`, `registry_policy`, `registry_local` or `os_default`.
    pub suite_source: String,
    pub os_build: Option<i64>,
    pub notes: Vec<String>,
}

/// Finds `key` (case-insensitive) in the `registry` namespace, then `value` in it.
fn reg_value<'a>(facts: &'a FactMap, key: &str, value: &str) -> Option<&'a Fact> {
    let reg = facts.root.get("registry")?.as_map()?;
    let k = reg.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))?.1.as_map()?;
    k.iter().find(|(n, _)| n.eq_ignore_ascii_case(value)).map(|(_, f)| f)
}

fn reg_dword(facts: &FactMap, key: &str, value: &str) -> Option<i64> {
    reg_value(facts, key, value)?.value.as_int()
}

/// The OS default list for `build` (the latest section not after it; the earliest when older).
pub fn default_suites(build: i64) -> Vec<u16> {
    let mut sections: Vec<(i64, Vec<u16>)> = Vec::new();
    for line in DEFAULT_SUITES_DATA.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(b) = line.strip_prefix("[build ").and_then(|r| r.strip_suffix(']')) {
            sections.push((b.trim().parse().unwrap_or(0), Vec::new()));
        } else if let (Some(s), Some(id)) = (sections.last_mut(), suite_id(line)) {
            if !s.1.contains(&id) {
                s.1.push(id);
            }
        }
    }
    let pick = sections.iter().rev().find(|(b, _)| *b <= build).or_else(|| sections.first());
    pick.map(|(_, l)| l.clone()).unwrap_or_default()
}

/// Parses a suite list (comma-separated, or one per item), stripping curve suffixes;
/// unknown names go to `unknown`.
fn parse_suite_list(items: &[&str], unknown: &mut Vec<String>) -> Vec<u16> {
    let mut out = Vec::new();
    for name in items.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        match suite_id(name) {
            Some(id) if !out.contains(&id) => out.push(id),
            Some(_) => {}
            None => unknown.push(name.to_owned()),
        }
    }
    out
}

fn strings_of(f: &Fact) -> Vec<&str> {
    match &f.value {
        Value::Str(s) => vec![s.as_str()],
        Value::List(l) => l.iter().filter_map(|f| f.value.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// The *SSL Cipher Suite Order* policy's list from `gpo.policies`, whatever its exact shape.
fn gpo_suites(facts: &FactMap, unknown: &mut Vec<String>) -> Option<Vec<u16>> {
    fn names_policy(m: &std::collections::BTreeMap<String, Fact>) -> bool {
        m.values().any(|f| f.value.as_str().is_some_and(|s| s.eq_ignore_ascii_case("SSL Cipher Suite Order")))
    }
    fn disabled(m: &std::collections::BTreeMap<String, Fact>) -> bool {
        m.iter().any(|(k, f)| {
            k.eq_ignore_ascii_case("state")
                && f.value.as_str().is_some_and(|s| s.eq_ignore_ascii_case("disabled"))
        })
    }
    fn lists(f: &Fact, out: &mut Vec<String>) {
        match &f.value {
            Value::Str(s) if s.contains("TLS_") => out.push(s.clone()),
            Value::List(l) => l.iter().for_each(|x| lists(x, out)),
            Value::Map(m) => m.values().for_each(|x| lists(x, out)),
            _ => {}
        }
    }
    fn find<'a>(f: &'a Fact, found: &mut Option<&'a Fact>) {
        if found.is_some() {
            return;
        }
        match &f.value {
            Value::Map(m) if names_policy(m) && !disabled(m) => *found = Some(f),
            Value::Map(m) => m.values().for_each(|x| find(x, found)),
            Value::List(l) => l.iter().for_each(|x| find(x, found)),
            Value::Str(_) => {}
            _ => {}
        }
    }
    // A policies map keyed by the policy name works too.
    let policies = facts.get("gpo.policies")?;
    let mut found = None;
    if let Some(m) = policies.as_map() {
        found = m.iter().find(|(k, _)| k.eq_ignore_ascii_case("SSL Cipher Suite Order")).map(|(_, f)| f);
    }
    if found.is_none() {
        find(policies, &mut found);
    }
    let found = found?;
    if found.as_map().is_some_and(disabled) {
        return None;
    }
    let mut texts = Vec::new();
    // The gpresult collector's layout: `settings."SSL Cipher Suites"`; else any list inside.
    match found.get_path(&["settings", "SSL Cipher Suites"]) {
        Some(f) => lists(f, &mut texts),
        None => lists(found, &mut texts),
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let l = parse_suite_list(&refs, unknown);
    (!l.is_empty()).then_some(l)
}

/// Whether a TLS 1.0–1.2 suite can only be used with TLS 1.2 (AEAD or SHA-2 MAC).
fn tls12_only(id: u16) -> bool {
    let n = suite_name(id);
    ["_GCM_", "_CCM", "CHACHA20", "_SHA256", "_SHA384"].iter().any(|p| n.contains(p))
}

/// Builds the hello the host described by `facts` would send for WSUS.
pub fn host_hello(facts: &FactMap) -> HostHello {
    let mut h = HostHello::default();
    let build = facts.get("os.build").and_then(|f| f.value.as_int());
    h.os_build = build;
    let eff_build = build.unwrap_or_else(|| {
        h.notes.push("OS build unknown (no os.build fact): Windows Server 2019 defaults assumed".into());
        17763
    });
    if !facts.root.contains_key("registry") {
        h.notes.push("no registry facts: every setting is taken as the OS default".into());
    }

    // Schannel's client protocol settings.
    let mut enabled_by_default = Vec::new();
    let mut not_off = Vec::new();
    for v in [0x0301u16, 0x0302, 0x0303, 0x0304] {
        let os_on = if v == 0x0304 { eff_build >= 20348 } else { eff_build >= 9200 };
        let key = format!(r"{SCHANNEL_PROTOCOLS}\{}\Client", version_name(v));
        let enabled = reg_dword(facts, &key, "Enabled");
        let dbd = reg_dword(facts, &key, "DisabledByDefault");
        let on = enabled.map_or(os_on, |e| e != 0);
        let by_default = on && dbd.map_or(os_on, |d| d == 0);
        if on {
            not_off.push(v);
        } else if enabled.is_some() {
            h.notes.push(format!("{} is disabled for clients (Enabled = 0)", version_name(v)));
        } else if v == 0x0304 {
            h.notes.push(format!("{} is not on by default before Windows Server 2022", version_name(v)));
        }
        if by_default {
            enabled_by_default.push(v);
        } else if on {
            h.notes.push(format!("{} is not offered by default (DisabledByDefault)", version_name(v)));
        }
    }

    // What WSUS (.NET 4) asks Schannel for.
    let sys_default = reg_dword(facts, DOTNET4, "SystemDefaultTlsVersions") == Some(1);
    let strong = reg_dword(facts, DOTNET4, "SchUseStrongCrypto") == Some(1);
    h.versions = if sys_default {
        h.notes.push(".NET SystemDefaultTlsVersions = 1: the OS default versions".into());
        enabled_by_default
    } else if strong {
        h.notes.push(".NET SchUseStrongCrypto = 1: TLS 1.0–1.2, asked for by name".into());
        not_off.into_iter().filter(|v| (0x0301..=0x0303).contains(v)).collect()
    } else {
        h.notes.push(
            ".NET SchUseStrongCrypto and SystemDefaultTlsVersions are not 1: WSUS asks for TLS 1.0 only"
                .into(),
        );
        not_off.into_iter().filter(|v| *v == 0x0301).collect()
    };

    // The cipher-suite order.
    let mut unknown = Vec::new();
    let (source, list) = if let Some(l) = gpo_suites(facts, &mut unknown) {
        ("gpo", l)
    } else if let Some(f) = reg_value(facts, POLICY_ORDER, "Functions") {
        ("registry_policy", parse_suite_list(&strings_of(f), &mut unknown))
    } else if let Some(f) = reg_value(facts, LOCAL_ORDER, "Functions") {
        ("registry_local", parse_suite_list(&strings_of(f), &mut unknown))
    } else {
        ("os_default", default_suites(eff_build))
    };
    h.suite_source = source.into();
    for u in unknown {
        h.notes.push(format!("cipher suite {u:?} is not known; left out"));
    }
    let max = h.versions.iter().copied().max().unwrap_or(0);
    h.suites = list
        .into_iter()
        .filter(|&s| if is_tls13_suite(s) { max >= 0x0304 } else { max >= 0x0303 || !tls12_only(s) })
        .collect();
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(json: &str) -> FactMap {
        FactMap::from_json_str(json).expect("valid json")
    }

    #[test]
    fn default_lists_resolve_every_name() {
        for line in DEFAULT_SUITES_DATA.lines().map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') && !line.starts_with('[') {
                assert!(suite_id(line).is_some(), "unknown suite in the data: {line}");
            }
        }
        let r2 = default_suites(9600);
        assert_eq!(r2.first(), Some(&0xC028));
        assert!(!r2.contains(&0xC030));
        assert_eq!(default_suites(17763).get(2), Some(&0xC030));
        assert_eq!(default_suites(26100).first(), Some(&0x1302));
        assert_eq!(default_suites(7601), default_suites(9200));
    }

    #[test]
    fn a_bare_2019_host_offers_tls10_only() {
        let h = host_hello(&facts(r#"{"os":{"build":17763},"registry":{}}"#));
        assert_eq!(h.versions, vec![0x0301]);
        assert_eq!(h.suite_source, "os_default");
        // TLS 1.2-only suites are not offered in a TLS 1.0 hello.
        assert!(!h.suites.contains(&0xC030));
        assert!(h.suites.contains(&0xC014));
    }

    #[test]
    fn strong_crypto_and_a_policy_order() {
        let h = host_hello(&facts(
            r#"{"os":{"build":14393},"registry":{
              "hklm\\software\\microsoft\\.netframework\\v4.0.30319":{"SchUseStrongCrypto":1},
              "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Client":{"Enabled":0},
              "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002":
                {"Functions":"TLS_RSA_WITH_AES_256_CBC_SHA256, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P384,TLS_BOGUS"}}}"#,
        ));
        assert_eq!(h.versions, vec![0x0302, 0x0303]);
        assert_eq!(h.suite_source, "registry_policy");
        assert_eq!(h.suites, vec![0x003D, 0xC028]);
        assert!(h.notes.iter().any(|n| n.contains("TLS_BOGUS")));
    }

    #[test]
    fn system_default_versions_honour_disabled_by_default_and_gpo_wins() {
        let h = host_hello(&facts(
            r#"{"os":{"build":20348},"registry":{
              "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319":{"SystemDefaultTlsVersions":1},
              "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.1\\Client":{"DisabledByDefault":1},
              "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002":{"Functions":"TLS_RSA_WITH_AES_128_CBC_SHA"}},
              "gpo":{"policies":[{"name":"SSL Cipher Suite Order","state":"Enabled",
                "settings":{"SSL Cipher Suites":"TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}]}}"#,
        ));
        assert_eq!(h.versions, vec![0x0301, 0x0303, 0x0304]);
        assert_eq!(h.suite_source, "gpo");
        assert_eq!(h.suites, vec![0x1301, 0xC02F]);
    }

    #[test]
    fn the_gpresult_layout_and_a_disabled_policy() {
        let policy = |state: &str| {
            facts(&format!(
                r#"{{"os":{{"build":17763}},"registry":{{
                  "HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319":{{"SystemDefaultTlsVersions":1}}}},
                  "gpo":{{"policies":{{"SSL Cipher Suite Order":{{"state":"{state}",
                    "category":"Network/SSL Configuration Settings","gpo":"TLS hardening",
                    "settings":{{"SSL Cipher Suites":"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256_P256,TLS_RSA_WITH_AES_128_CBC_SHA"}}}}}}}}}}"#
            ))
        };
        let h = host_hello(&policy("Enabled"));
        assert_eq!(h.suite_source, "gpo");
        assert_eq!(h.suites, vec![0xC027, 0x002F]);
        assert_eq!(h.versions, vec![0x0301, 0x0302, 0x0303]);
        let h = host_hello(&policy("Disabled"));
        assert_eq!(h.suite_source, "os_default");
    }

    #[test]
    fn every_version_disabled_means_no_hello() {
        let h = host_hello(&facts(
            r#"{"os":{"build":9600},"registry":{
              "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Client":{"Enabled":0,"DisabledByDefault":1}}}"#,
        ));
        assert!(h.versions.is_empty());
        assert!(h.suites.is_empty() || h.versions.is_empty());
    }
}
