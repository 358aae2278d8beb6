//! Pseudonymisation of bundles (`triage collect --redact`): host names, domain names, IP
//! addresses, user names, organisation names and machine GUIDs are replaced, in the artifacts and
//! in the facts, by keyed pseudonyms that keep equal values equal.
//!
//! # How
//!
//! 1. **Learn** the sensitive values: from facts whose key names them (`hostname`, `Domain`,
//!    `MachineGuid`, `ProxyUserName`, …, see [`Redactor::learn_from_facts`]) and from the text of
//!    every artifact (`systeminfo` labels, `reg export` values, `gpresult /x` account names,
//!    `C:\Users\<name>`, `DOMAIN\account` once the domain is known). IP addresses (v4 and v6)
//!    are not learned but found by pattern everywhere.
//! 2. **Replace**, case-insensitively and only at word boundaries (`_` counts as a word
//!    character; `.` and `-` do not, so `wsus01.contoso.local` becomes `host-….dom-….example`
//!    and `WSUS01-systeminfo.txt` becomes `host-…-systeminfo.txt`: privacy wins over the rare
//!    hyphenated word that starts with a host's name).
//!
//! Pseudonym = a prefix of HMAC-SHA256(key, `kind:` + lower-cased value), shaped like the
//! original so collectors and rules still read it:
//!
//! | kind | example |
//! | --- | --- |
//! | `host` | `host-3fa9c2d1` |
//! | `domain` | `dom-8e01b2c4.example` (DNS name), `dom-8e01b2c4` (NetBIOS name) |
//! | `user` | `user-5d2a9b70` |
//! | `org` | `org-0c4f7e19` |
//! | `guid` | `{6b1d…-…}` with the original's case and braces |
//! | `ip` | IPv4 in `198.18.0.0/15` (RFC 2544 benchmarking range), IPv6 in `2001:db8::/32` |
//!
//! Addresses that identify nobody are kept: `0.0.0.0`, `127.0.0.0/8`, `255.255.255.255`, `::`,
//! `::1`, and the pseudonym ranges themselves (so redaction is idempotent). Dotted numbers after
//! `version` (`Version=4.0.0.0` in .NET configuration) are versions, not addresses.
//!
//! The key is 32 random bytes kept by the collecting side in a key file
//! ([`RedactionKey::load_or_create`]); the same key gives the same pseudonyms across a fleet.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use hmac::{Hmac, Mac};
use regex::Regex;
use sha2::Sha256;
use triage_facts::{Fact, FactMap, Provenance, Value};

use crate::text::{self, TextEncoding};

/// A redaction key: 32 secret bytes.
#[derive(Clone)]
pub struct RedactionKey([u8; 32]);

impl std::fmt::Debug for RedactionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedactionKey({})", self.id())
    }
}

impl RedactionKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        RedactionKey(bytes)
    }

    /// A new random key.
    pub fn generate() -> std::io::Result<Self> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).map_err(|e| std::io::Error::other(format!("no system randomness: {e}")))?;
        Ok(RedactionKey(k))
    }

    /// Parses a key file: 64 hex digits (surrounding whitespace ignored) or 32 raw bytes.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if let Ok(text) = std::str::from_utf8(bytes) {
            let t = text.trim();
            if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
                let mut k = [0u8; 32];
                for (i, slot) in k.iter_mut().enumerate() {
                    *slot = u8::from_str_radix(t.get(i * 2..i * 2 + 2)?, 16).ok()?;
                }
                return Some(RedactionKey(k));
            }
        }
        <[u8; 32]>::try_from(bytes).ok().map(RedactionKey)
    }

    /// Reads the key file at `path`, or creates it (mode 0600 on Unix) with a new random key.
    /// Returns the key and whether it was created.
    pub fn load_or_create(path: &Path) -> std::io::Result<(Self, bool)> {
        match std::fs::read(path) {
            Ok(bytes) => RedactionKey::parse(&bytes).map(|k| (k, false)).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: not a redaction key (want 64 hex digits)", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = RedactionKey::generate()?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path)?;
                writeln!(f, "{}", super::hex(&key.0))?;
                f.sync_all()?;
                Ok((key, true))
            }
            Err(e) => Err(e),
        }
    }

    /// First 16 hex digits of SHA-256 of the key: names the key without revealing it.
    pub fn id(&self) -> String {
        super::sha256_hex(&self.0)[..16].to_owned()
    }
}

/// What a sensitive value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Host,
    Domain,
    User,
    Org,
    Guid,
    Ip,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Host => "host",
            Kind::Domain => "domain",
            Kind::User => "user",
            Kind::Org => "org",
            Kind::Guid => "guid",
            Kind::Ip => "ip",
        }
    }
}

/// Values never treated as identifying, lower-case.
const STOPLIST: &[&str] = &[
    "localhost",
    "workgroup",
    "n/a",
    "na",
    "none",
    "null",
    "unknown",
    "public",
    "default",
    "default user",
    "all users",
    "defaultapppool",
    "system",
    "local service",
    "network service",
    "administrator",
    "administrators",
    "guest",
    "users",
    "nt authority",
    "builtin",
    "microsoft",
    "true",
    "false",
];

/// Learns sensitive values, then replaces them. See the module docs.
pub struct Redactor {
    key: RedactionKey,
    /// Lower-cased value → (kind, pseudonym).
    learned: BTreeMap<String, (Kind, String)>,
    /// Every IP replaced (for the report): original → pseudonym.
    ips: std::sync::Mutex<BTreeMap<String, String>>,
    matcher: Option<Regex>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor").field("key", &self.key).field("learned", &self.learned.len()).finish()
    }
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        #[allow(clippy::expect_used)] // constant patterns, covered by tests
        Regex::new(pattern).expect("constant regex")
    })
}

fn ipv4_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b")
}

fn ipv6_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}")
}

fn text_learners() -> &'static [(Regex, Kind)] {
    static R: OnceLock<Vec<(Regex, Kind)>> = OnceLock::new();
    R.get_or_init(|| {
        let list: &[(&str, Kind)] = &[
            (r"(?mi)^[ \t]*Host Name:[ \t]+([^\s]+)", Kind::Host),
            (r"(?mi)^[ \t]*Domain:[ \t]+([^\s]+)", Kind::Domain),
            (r"(?mi)^[ \t]*Logon Server:[ \t]+\\\\([^\s]+)", Kind::Host),
            (r"(?mi)^[ \t]*Registered Owner:[ \t]+([^\r\n]+?)[ \t]*\r?$", Kind::User),
            (r"(?mi)^[ \t]*Registered Organization:[ \t]+([^\r\n]+?)[ \t]*\r?$", Kind::Org),
            (r#"(?i)"(?:NV )?Hostname"="([^"\r\n]+)""#, Kind::Host),
            (r#"(?i)"ComputerName"="([^"\r\n]+)""#, Kind::Host),
            (r#"(?i)"(?:NV )?Domain"="([^"\r\n]+)""#, Kind::Domain),
            (r#"(?i)"(?:MachineGuid|SusClientId)"="\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#, Kind::Guid),
            (r"(?i)<(?:\w+:)?Domain>([^<\s]+)</", Kind::Domain),
            (r"(?i)<(?:\w+:)?(?:SamAccountName|UserName)>([^<\\]+)</", Kind::User),
            (r#"(?i)\b[A-Z]:\\Users\\([^\\/\r\n"<>|:*?]+)"#, Kind::User),
        ];
        list.iter()
            .map(|(p, k)| {
                #[allow(clippy::expect_used)] // constant patterns, covered by tests
                (Regex::new(p).expect("constant regex"), *k)
            })
            .collect()
    })
}

/// `<Name>DOMAIN\account</Name>` in `gpresult /x`: the domain, and a user (or a host when the
/// account ends with `$`).
fn account_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)<(?:\w+:)?Name>([A-Za-z0-9._-]+)\\([^<\\]+)</")
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Redactor {
    pub fn new(key: RedactionKey) -> Self {
        Redactor { key, learned: BTreeMap::new(), ips: Default::default(), matcher: None }
    }

    fn mac(&self, kind: Kind, value: &str) -> [u8; 32] {
        #[allow(clippy::expect_used)] // HMAC takes keys of any length
        let mut m = <Hmac<Sha256>>::new_from_slice(&self.key.0).expect("any key length");
        m.update(kind.name().as_bytes());
        m.update(b":");
        m.update(value.to_lowercase().as_bytes());
        m.finalize().into_bytes().into()
    }

    /// The pseudonym of `value` as a `kind`.
    pub fn pseudonym(&self, kind: Kind, value: &str) -> String {
        let h = self.mac(kind, value);
        let short = super::hex(&h[..4]);
        match kind {
            Kind::Host => format!("host-{short}"),
            Kind::Domain if value.contains('.') => format!("dom-{short}.example"),
            Kind::Domain => format!("dom-{short}"),
            Kind::User => format!("user-{short}"),
            Kind::Org => format!("org-{short}"),
            Kind::Guid => {
                let x = super::hex(&h[..16]);
                let g = format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32]);
                if value.chars().any(|c| c.is_ascii_uppercase()) {
                    g.to_ascii_uppercase()
                } else {
                    g
                }
            }
            Kind::Ip => match value.parse::<Ipv4Addr>() {
                Ok(_) => format!("198.{}.{}.{}", 18 + (h[0] & 1), h[1], h[2]),
                Err(_) => {
                    let g: Vec<String> = h[..12]
                        .chunks(2)
                        .map(|c| format!("{:x}", u16::from_be_bytes([c[0], c[1]])))
                        .collect();
                    format!("2001:db8:{}", g.join(":"))
                }
            },
        }
    }

    /// Records `value` as sensitive. Values too short, in the stop list or already pseudonyms
    /// are ignored. A DNS name also teaches its first label (a host's short name, or a
    /// domain's NetBIOS name).
    pub fn learn(&mut self, kind: Kind, value: &str) {
        let v = value.trim().trim_matches(|c| c == '"' || c == '\'' || c == '{' || c == '}');
        let v = v.strip_prefix("\\\\").unwrap_or(v);
        let v = if kind == Kind::Host { v.strip_suffix('$').unwrap_or(v) } else { v };
        let lower = v.to_lowercase();
        if v.chars().count() < 2
            || STOPLIST.contains(&lower.as_str())
            || ["host-", "dom-", "user-", "org-"].iter().any(|p| lower.starts_with(p))
        {
            return;
        }
        if kind == Kind::Host && v.contains('.') {
            if v.parse::<Ipv4Addr>().is_ok() {
                return;
            }
            if let Some((first, rest)) = v.split_once('.') {
                self.learn(Kind::Host, first);
                self.learn(Kind::Domain, rest);
            }
            return;
        }
        if kind == Kind::Domain && v.contains('.') {
            if let Some((first, _)) = v.split_once('.') {
                self.learn(Kind::Domain, first);
            }
        }
        if self.learned.contains_key(&lower) {
            return;
        }
        let p = self.pseudonym(kind, v);
        self.learned.insert(lower, (kind, p));
        self.matcher = None;
    }

    /// Learns from facts whose key says what they hold (see the module docs).
    pub fn learn_from_facts(&mut self, facts: &FactMap) {
        let mut found = Vec::new();
        for (k, f) in &facts.root {
            walk_named(k, f, &mut found);
        }
        for (kind, v) in found {
            self.learn(kind, &v);
        }
    }

    /// Learns from an artifact's decoded text (first pass).
    pub fn learn_from_text(&mut self, text: &str) {
        let mut found = Vec::new();
        for (r, kind) in text_learners() {
            for c in r.captures_iter(text) {
                if let Some(m) = c.get(1) {
                    found.push((*kind, m.as_str().to_owned()));
                }
            }
        }
        for c in account_re().captures_iter(text) {
            if let (Some(d), Some(a)) = (c.get(1), c.get(2)) {
                found.push((Kind::Domain, d.as_str().to_owned()));
                let a = a.as_str();
                found.push((if a.ends_with('$') { Kind::Host } else { Kind::User }, a.to_owned()));
            }
        }
        if text.trim_start_matches('\u{feff}').starts_with("\"Host Name\"") {
            learn_systeminfo_csv(text, &mut found);
        }
        for (kind, v) in found {
            self.learn(kind, &v);
        }
    }

    /// Second pass, once every domain is known: `DOMAIN\account` anywhere in `text`.
    pub fn learn_accounts(&mut self, text: &str) {
        let domains: Vec<String> = self
            .learned
            .iter()
            .filter(|(k, (kind, _))| *kind == Kind::Domain && !k.contains('.'))
            .map(|(k, _)| regex::escape(k))
            .collect();
        if domains.is_empty() {
            return;
        }
        let Ok(r) = Regex::new(&format!(r"(?i)\b(?:{})\\([A-Za-z0-9._-]+\$?)", domains.join("|"))) else {
            return;
        };
        let found: Vec<String> =
            r.captures_iter(text).filter_map(|c| c.get(1)).map(|m| m.as_str().to_owned()).collect();
        for a in found {
            let kind = if a.ends_with('$') { Kind::Host } else { Kind::User };
            self.learn(kind, &a);
        }
    }

    /// Distinct values learned or found, per kind name.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (kind, _) in self.learned.values() {
            *out.entry(kind.name().to_owned()).or_insert(0) += 1;
        }
        let ips = self.ips.lock().map(|m| m.len()).unwrap_or(0) as u64;
        if ips > 0 {
            out.insert(Kind::Ip.name().to_owned(), ips);
        }
        out
    }

    /// The learned values' matcher, compiled once after learning.
    pub fn prepare(&mut self) {
        let mut lits: Vec<&String> = self.learned.keys().collect();
        lits.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        if lits.is_empty() {
            self.matcher = None;
            return;
        }
        let alt: Vec<String> = lits.iter().map(|l| regex::escape(l)).collect();
        self.matcher = Regex::new(&format!("(?i)(?:{})", alt.join("|"))).ok();
    }

    /// Replaces every sensitive value in `s`; returns the text and the number of replacements.
    /// Call [`Redactor::prepare`] after learning.
    pub fn redact_str(&self, s: &str) -> (String, u64) {
        let mut n = 0;
        let mut out = s.to_owned();
        if let Some(m) = &self.matcher {
            out = replace_bounded(&out, m, &mut n, |hit| {
                self.learned.get(&hit.to_lowercase()).map(|(_, p)| p.clone())
            });
        }
        out = replace_bounded(&out, ipv4_re(), &mut n, |hit| self.ip_pseudonym(hit));
        if out.contains(':') {
            out = replace_bounded(&out, ipv6_re(), &mut n, |hit| self.ip_pseudonym(hit));
        }
        (out, n)
    }

    fn ip_pseudonym(&self, hit: &str) -> Option<String> {
        if let Ok(v4) = hit.parse::<Ipv4Addr>() {
            let o = v4.octets();
            if v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_broadcast()
                || (o[0] == 198 && (o[1] & 0xFE) == 18)
            {
                return None;
            }
        } else {
            let v6: Ipv6Addr = hit.parse().ok()?;
            let s = v6.segments();
            if !(hit.contains("::") || hit.matches(':').count() == 7)
                || v6.is_unspecified()
                || v6.is_loopback()
                || (s[0] == 0x2001 && s[1] == 0xdb8)
            {
                return None;
            }
        }
        let p = self.pseudonym(Kind::Ip, hit);
        if let Ok(mut m) = self.ips.lock() {
            m.insert(hit.to_lowercase(), p.clone());
        }
        Some(p)
    }

    /// Redacts an artifact's bytes, keeping its encoding (BOM, UTF-16LE/BE). Returns `None` for
    /// binary content, which cannot be rewritten.
    pub fn redact_bytes(&self, bytes: &[u8]) -> Option<(Vec<u8>, u64)> {
        let head = &bytes[..bytes.len().min(triage_facts::Artifact::HEAD_LEN)];
        if text::looks_binary(head) {
            return None;
        }
        let d = text::decode(bytes);
        let (red, n) = self.redact_str(&d.text);
        if n == 0 {
            return Some((bytes.to_vec(), 0));
        }
        Some((encode(&red, d.encoding), n))
    }

    /// Redacts every string, map key and provenance in `facts`; returns the replacements made.
    pub fn redact_facts(&self, facts: &mut FactMap) -> u64 {
        let mut n = 0;
        let old = std::mem::take(&mut facts.root);
        for (k, mut f) in old {
            let (k2, c) = self.redact_str(&k);
            n += c;
            n += self.redact_fact(&mut f);
            facts.root.insert(k2, f);
        }
        n
    }

    fn redact_fact(&self, f: &mut Fact) -> u64 {
        let mut n = 0;
        if let Some(src) = &f.source {
            let (a, c1) = self.redact_str(&src.artifact);
            let key = src.key.as_ref().map(|k| self.redact_str(k));
            let c2 = key.as_ref().map(|(_, c)| *c).unwrap_or(0);
            if c1 + c2 > 0 {
                let mut p: Provenance = (**src).clone();
                p.artifact = a;
                p.key = key.map(|(k, _)| k);
                f.source = Some(Arc::new(p));
                n += c1 + c2;
            }
        }
        match &mut f.value {
            Value::Str(s) => {
                let (r, c) = self.redact_str(s);
                if c > 0 {
                    *s = r;
                    n += c;
                }
            }
            Value::List(l) => {
                for x in l {
                    n += self.redact_fact(x);
                }
            }
            Value::Map(m) => {
                let old = std::mem::take(m);
                for (k, mut v) in old {
                    let (k2, c) = self.redact_str(&k);
                    n += c + self.redact_fact(&mut v);
                    m.insert(k2, v);
                }
            }
            _ => {}
        }
        n
    }
}

/// Replaces the matches of `re` in `s` that stand at word boundaries and for which `with`
/// gives a replacement.
fn replace_bounded(s: &str, re: &Regex, n: &mut u64, with: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for m in re.find_iter(s) {
        if m.as_str().is_empty() {
            continue;
        }
        let before = s[..m.start()].chars().next_back();
        let after = s[m.end()..].chars().next();
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            continue;
        }
        let is_ip = re.as_str() == ipv4_re().as_str() || re.as_str() == ipv6_re().as_str();
        if is_ip {
            // Part of a longer dotted number (a version), or after `version`.
            let dotted_after = s[m.end()..].starts_with('.')
                && s[m.end() + 1..].chars().next().is_some_and(|c| c.is_ascii_digit());
            let dotted_before = before == Some('.');
            let ctx_start = s.floor_char_boundary_compat(m.start().saturating_sub(16));
            let ctx = s[ctx_start..m.start()].to_ascii_lowercase();
            if dotted_after || dotted_before || ctx.contains("version") || before == Some(':') {
                continue;
            }
        }
        if let Some(rep) = with(m.as_str()) {
            out.push_str(&s[last..m.start()]);
            out.push_str(&rep);
            last = m.end();
            *n += 1;
        }
    }
    out.push_str(&s[last..]);
    out
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while i > 0 && !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// Encodes `text` back into `encoding`, with the BOM the encoding implies.
pub fn encode(text: &str, encoding: TextEncoding) -> Vec<u8> {
    match encoding {
        TextEncoding::Utf8 => text.as_bytes().to_vec(),
        TextEncoding::Utf8Bom => {
            let mut v = vec![0xEF, 0xBB, 0xBF];
            v.extend_from_slice(text.as_bytes());
            v
        }
        TextEncoding::Utf16Le => {
            let mut v = vec![0xFF, 0xFE];
            v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            v
        }
        TextEncoding::Utf16Be => {
            let mut v = vec![0xFE, 0xFF];
            v.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
            v
        }
    }
}

/// Fact keys (lower-cased, spaces and `_` removed) that name a sensitive value.
fn kind_of_key(key: &str) -> Option<Kind> {
    let k: String = key.chars().filter(|c| *c != ' ' && *c != '_').collect::<String>().to_lowercase();
    Some(match k.as_str() {
        "hostname"
        | "nvhostname"
        | "computername"
        | "machinename"
        | "dnshostname"
        | "fqdn"
        | "logonserver"
        | "servername"
        | "upstreamwsusservername"
        | "proxyname"
        | "proxyserver" => Kind::Host,
        "domain" | "nvdomain" | "domainname" | "userdomain" | "proxyuserdomain" | "dnsdomain" => Kind::Domain,
        "username" | "user" | "registeredowner" | "proxyusername" | "accountname" | "samaccountname" => {
            Kind::User
        }
        "registeredorganization" | "organization" => Kind::Org,
        "machineguid" | "susclientid" => Kind::Guid,
        _ => return None,
    })
}

fn walk_named(key: &str, f: &Fact, out: &mut Vec<(Kind, String)>) {
    if let Some(kind) = kind_of_key(key) {
        collect_strings(f, kind, out);
    }
    match &f.value {
        Value::Map(m) => {
            for (k, v) in m {
                walk_named(k, v, out);
            }
        }
        Value::List(l) => {
            for x in l {
                walk_named("", x, out);
            }
        }
        _ => {}
    }
}

/// The strings of a named fact: itself, or a registry value's `data`/`value`, or list items.
fn collect_strings(f: &Fact, kind: Kind, out: &mut Vec<(Kind, String)>) {
    match &f.value {
        Value::Str(s) => out.push((kind, s.clone())),
        Value::List(l) => l.iter().for_each(|x| collect_strings(x, kind, out)),
        Value::Map(m) => {
            for k in ["data", "value"] {
                if let Some(v) = m.get(k) {
                    collect_strings(v, kind, out);
                }
            }
        }
        _ => {}
    }
}

fn learn_systeminfo_csv(text: &str, out: &mut Vec<(Kind, String)>) {
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let (Some(h), Some(r)) = (lines.next(), lines.next()) else { return };
    let split =
        |l: &str| -> Vec<String> { l.trim().trim_matches('"').split("\",\"").map(str::to_owned).collect() };
    let (h, r) = (split(h), split(r));
    for (name, v) in h.iter().zip(r.iter()) {
        let kind = match name.as_str() {
            "Host Name" | "Logon Server" => Kind::Host,
            "Domain" => Kind::Domain,
            "Registered Owner" => Kind::User,
            "Registered Organization" => Kind::Org,
            _ => continue,
        };
        out.push((kind, v.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(RedactionKey::from_bytes([7; 32]))
    }

    #[test]
    fn systeminfo_values_are_learned_and_replaced() {
        let mut r = redactor();
        let text = "Host Name:                 WSUS01\r\nDomain:                    contoso.local\r\nRegistered Owner:          Alice Smith\r\nLogon Server:              \\\\DC01\r\n";
        r.learn_from_text(text);
        r.prepare();
        let (out, n) =
            r.redact_str(&format!("{text}path C:\\Users\\alice\\x  wsus01.contoso.local CONTOSO\\alice"));
        assert!(n >= 6, "{out}");
        for original in ["WSUS01", "wsus01", "contoso", "CONTOSO", "Alice Smith", "DC01"] {
            assert!(!out.contains(original), "{original} left in {out}");
        }
        let host = r.pseudonym(Kind::Host, "wsus01");
        assert!(out.contains(&format!("{host}.dom-")), "{out}");
        assert_eq!(r.pseudonym(Kind::Host, "WSUS01"), host, "case does not matter");
    }

    #[test]
    fn ips_are_replaced_but_versions_and_loopback_are_not() {
        let r = redactor();
        let (out, n) = r.redact_str(
            "connect 10.1.2.3:8530 from 192.168.0.10; Version=4.0.0.0; build 6.3.9600.17; 127.0.0.1; fe80::1c2d:3e4f:5a6b:7c8d%12 at 10:05:07",
        );
        assert_eq!(n, 3, "{out}");
        assert!(!out.contains("10.1.2.3") && !out.contains("192.168.0.10") && !out.contains("fe80::1c2d"));
        assert!(out.contains("Version=4.0.0.0") && out.contains("6.3.9600.17") && out.contains("127.0.0.1"));
        assert!(out.contains("at 10:05:07"));
        let (again, n2) = r.redact_str(&out);
        assert_eq!((again.as_str(), n2), (out.as_str(), 0), "idempotent");
    }

    #[test]
    fn equal_values_get_equal_pseudonyms_and_keys_matter() {
        let a = redactor();
        let b = Redactor::new(RedactionKey::from_bytes([8; 32]));
        assert_eq!(a.pseudonym(Kind::Ip, "10.0.0.1"), a.pseudonym(Kind::Ip, "10.0.0.1"));
        assert_ne!(a.pseudonym(Kind::Ip, "10.0.0.1"), b.pseudonym(Kind::Ip, "10.0.0.1"));
        assert!(a.pseudonym(Kind::Ip, "10.0.0.1").parse::<Ipv4Addr>().is_ok());
        assert!(a.pseudonym(Kind::Ip, "fe80::1").parse::<Ipv6Addr>().is_ok());
        let g = a.pseudonym(Kind::Guid, "6B1D0A52-0000-4000-8000-00000000ABCD");
        assert_eq!(g.len(), 36);
        assert_eq!(g, g.to_ascii_uppercase());
    }

    #[test]
    fn words_inside_other_words_are_left_alone() {
        let mut r = redactor();
        r.learn(Kind::Host, "DC");
        r.prepare();
        let (out, n) = r.redact_str("DC2 ADCS dc.contoso DC_X DC");
        assert_eq!(n, 2, "{out}");
        assert!(out.starts_with("DC2 ADCS host-"), "{out}");
        assert!(out.contains(" DC_X host-"), "{out}");
    }

    #[test]
    fn utf16_artifacts_keep_their_encoding() {
        let mut r = redactor();
        r.learn(Kind::Host, "WSUS01");
        r.prepare();
        let src = encode("\"Hostname\"=\"WSUS01\"\r\n", TextEncoding::Utf16Le);
        let (out, n) = r.redact_bytes(&src).expect("text");
        assert_eq!(n, 1);
        assert!(out.starts_with(&[0xFF, 0xFE]));
        let d = text::decode(&out);
        assert_eq!(d.text, format!("\"Hostname\"=\"{}\"\r\n", r.pseudonym(Kind::Host, "wsus01")));
        assert!(r.redact_bytes(b"\xD4\xC3\xB2\xA1\x02\x00\x04\x00\x00\x00\x00").is_none());
    }

    #[test]
    fn facts_are_learned_by_key_and_redacted_with_provenance() {
        let mut facts = FactMap::from_json_str(
            r#"{"os":{"hostname":{"$value":"WSUS01","$source":{"artifact":"WSUS01-systeminfo.txt","collector":"systeminfo"}}},
                "wsus":{"config":{"ProxyUserName":"svc-proxy","ProxyName":"proxy01.contoso.local"}}}"#,
        )
        .expect("valid");
        let mut r = redactor();
        r.learn_from_facts(&facts);
        r.prepare();
        let n = r.redact_facts(&mut facts);
        let json = facts.to_json_pretty();
        assert!(n >= 4, "{json}");
        for original in ["WSUS01", "svc-proxy", "proxy01", "contoso"] {
            assert!(!json.to_lowercase().contains(&original.to_lowercase()), "{original} in {json}");
        }
    }

    #[test]
    fn key_files_are_created_once_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/redact.key");
        let (k1, created) = RedactionKey::load_or_create(&path).expect("create");
        assert!(created);
        let (k2, created) = RedactionKey::load_or_create(&path).expect("read");
        assert!(!created);
        assert_eq!(k1.id(), k2.id());
        std::fs::write(&path, "nope").expect("write");
        assert!(RedactionKey::load_or_create(&path).is_err());
    }
}
