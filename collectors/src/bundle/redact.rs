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
//! | `site` | `site-1a2b3c4d` (AD site) |
//! | `ou` | `ou-9f8e7d6c` (organisational unit) |
//! | `sid` | `S-1-5-21-<three pseudonym numbers>-<the original RID>` (found by pattern) |
//!
//! Addresses that identify nobody are kept: `0.0.0.0`, `127.0.0.0/8`, `255.255.255.255`, `::`,
//! `::1`, and the pseudonym ranges themselves (so redaction is idempotent). Dotted numbers after
//! `version` (`Version=4.0.0.0` in .NET configuration) are versions, not addresses. An
//! IPv4-mapped IPv6 address (`::ffff:10.44.33.22`) keeps its form around the IPv4 pseudonym.
//!
//! Also learned from text: UNC paths (`\\FILESRV07\share`), connection strings
//! (`Data Source=SQLPROD03`, `User ID=…`), the ConfigMgr site server, SQL server and other
//! server-naming registry values, `DefaultUserName`/`DefaultDomainName`, e-mail local parts,
//! AD sites (`<Site>`), OUs (`OU=…`, gpresult `SOM` paths), domains from `DC=…,DC=…`, every
//! label of a name inside a learned DNS domain (`mail.contoso.local`), and the strings a `.reg`
//! export stores as `hex(1)`/`hex(2)`/`hex(7)` ([`reg_hex`]): they are decoded, learned from,
//! redacted and written back in the same hex form. DNS names of public services
//! (`microsoft.com`, `windowsupdate.com`, …) are never learned as anyone's domain.
//!
//! # What is never replaced
//!
//! Redaction replaces values, never the names rules use. A learned value that is also a word of
//! that vocabulary ([`Redactor::protect`]: fact namespaces, collector names, log kinds, signal
//! names and the words of signal patterns) — a host called `WSUS` — is replaced only where it
//! stands as an identifier: after `\`, before `$` or `.<learned domain>`, or as a whole field
//! (`Host Name:  WSUS`, `"Hostname"="WSUS"`, `<Name>WSUS</Name>`, a fact equal to it). As a bare
//! word in free text (`the WSUS server`) it is the product's name, kept so the rules still read
//! the logs. Fact map keys go through the same test, so the `wsus` and `logs.wsus` namespaces
//! and `signals."wsus-tls/…"` survive.
//!
//! # Bounds
//!
//! A value longer than [`MAX_LEARNED_LEN`] bytes is not a name and is not learned (a 3 MiB
//! "host name" would otherwise become a 3 MiB pattern). Matching is one automaton pass per kind
//! over each text, so time and memory are linear in the input.
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

pub mod reg_hex;

/// The longest value learned (DNS names are at most 253 bytes).
pub const MAX_LEARNED_LEN: usize = 255;

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
    Site,
    Ou,
    Sid,
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
            Kind::Site => "site",
            Kind::Ou => "ou",
            Kind::Sid => "sid",
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
    "default-first-site-name",
    "computers",
    "domain controllers",
    "domain users",
    "domain computers",
    "sqlexpress",
    "mssqlserver",
];

/// DNS names of the public services rules look for: never learned as anyone's domain.
const PUBLIC_DOMAINS: &[&str] = &[
    "microsoft.com",
    "windowsupdate.com",
    "windows.com",
    "microsoft.net",
    "msft.net",
    "live.com",
    "office.com",
    "azure.com",
    "digicert.com",
    "verisign.com",
    "example",
    "example.com",
    "example.org",
    "example.net",
    "invalid",
    "localhost",
];

fn is_public_domain(lower: &str) -> bool {
    PUBLIC_DOMAINS.iter().any(|d| lower == *d || lower.ends_with(&format!(".{d}")))
}

/// Learns sensitive values, then replaces them. See the module docs.
pub struct Redactor {
    key: RedactionKey,
    /// Lower-cased value → (kind, pseudonym).
    learned: BTreeMap<String, (Kind, String)>,
    /// Every IP replaced (for the report): original → pseudonym.
    ips: std::sync::Mutex<BTreeMap<String, String>>,
    /// The SID domain pseudonyms made (`S-1-5-21-a-b-c`), so they are not pseudonymised again.
    sids: std::sync::Mutex<BTreeMap<String, String>>,
    /// Lower-cased words rules use (see [`Redactor::protect`]).
    protected: std::collections::BTreeSet<String>,
    /// Learned values replaced wherever they stand as words.
    matcher: Option<Regex>,
    /// Learned values that are also protected words: replaced only as identifiers.
    weak: Option<Regex>,
    /// Learned DNS domains, lower-case, for the `.<domain>` identifier test.
    dns_domains: Vec<String>,
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
            (r"(?mi)^[ \t]*Host Name:[ \t]+([^\s]{1,256})", Kind::Host),
            (r"(?mi)^[ \t]*Domain:[ \t]+([^\s]{1,256})", Kind::Domain),
            (r"(?mi)^[ \t]*Logon Server:[ \t]+\\\\([^\s]{1,256})", Kind::Host),
            (r"(?mi)^[ \t]*Registered Owner:[ \t]+([^\r\n]{1,256}?)[ \t]*\r?$", Kind::User),
            (r"(?mi)^[ \t]*Registered Organization:[ \t]+([^\r\n]{1,256}?)[ \t]*\r?$", Kind::Org),
            (r#"(?i)"(?:NV )?Hostname"="([^"\r\n]{1,256})""#, Kind::Host),
            (r#"(?i)"ComputerName"="([^"\r\n]{1,256})""#, Kind::Host),
            (r#"(?i)"(?:NV )?Domain"="([^"\r\n]{1,256})""#, Kind::Domain),
            (r#"(?i)"(?:MachineGuid|SusClientId)"="\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#, Kind::Guid),
            (r"(?i)<(?:\w+:)?Domain>([^<\s]{1,256})</", Kind::Domain),
            (r"(?i)<(?:\w+:)?(?:SamAccountName|UserName)>([^<\\]{1,256})</", Kind::User),
            (r#"(?i)\\{1,2}Users\\{1,2}([^\\/\r\n"<>|:*?\x00]{1,256})"#, Kind::User),
            (r#"(?i)"(?:Alt)?DefaultUserName"="([^"\r\n]{1,256})""#, Kind::User),
            (r#"(?i)"(?:Alt)?DefaultDomainName"="([^"\r\n]{1,256})""#, Kind::Domain),
            (
                r#"(?i)"(?:Server|Site ?Server|SQL ?Server ?Name|SQL ?Server|Database ?Server|Server ?Name|Upstream ?Server ?Name|WUServer|WUStatusServer|SMS ?Server|Management ?Point|Domain ?Controller|DC ?Name|Logon ?Server|Proxy ?Server|Proxy ?Name)"="(?:[a-z]+://)?([^"\r\n:/\\;,]{1,256})"#,
                Kind::Host,
            ),
            // A UNC path, `\\host\share` (in a `.reg` string `\\\\host\\share`), not the `\\`
            // of an escaped path such as `C:\\Program Files\\Update Services`.
            (r#"(?m)(?:^|[\s"'=(>,;])(?:\\\\)?\\\\([A-Za-z0-9][A-Za-z0-9_.-]{0,254}[A-Za-z0-9_])"#, Kind::Host),
            (
                r"(?i)\b(?:data source|server|address|addr|network address)[ \t]*=[ \t]*(?:tcp:|np:|lpc:)?([A-Za-z0-9_][A-Za-z0-9_.-]{0,255})",
                Kind::Host,
            ),
            (r#"(?i)\b(?:user id|uid)[ \t]*=[ \t]*([^;"'<>\r\n]{1,256})"#, Kind::User),
            (r"\b([A-Za-z0-9][A-Za-z0-9._%+-]{0,255})@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", Kind::User),
            (r"(?i)<(?:\w+:)?Site(?:Name)?>([^<\r\n]{1,256})</", Kind::Site),
            // Linux syslog (auth.log, secure, messages, journal short output): the host field
            // after the timestamp, and the user names sshd, sudo and PAM log.
            (
                r"(?m)^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*) ([A-Za-z0-9][A-Za-z0-9_.-]{0,252}) [^\s\[:]+(?:\[\d+\])?: ",
                Kind::Host,
            ),
            (
                r"\b(?:(?:Accepted|Failed|Postponed) \S+ for (?:invalid user )?|[Ii]nvalid user |(?:Connection closed by|Disconnected from|Received disconnect from|Connection reset by) (?:authenticating |invalid )?user |session (?:opened|closed) for user |user=|USER=|ruser=|sudo: +)([A-Za-z_][A-Za-z0-9_.-]{0,31})\b",
                Kind::User,
            ),
            (r#"(?i)\bOU=([^,;"<>\r\n\\/]{1,256})"#, Kind::Ou),
        ];
        list.iter()
            .map(|(p, k)| {
                #[allow(clippy::expect_used)] // constant patterns, covered by tests
                (Regex::new(p).expect("constant regex"), *k)
            })
            .collect()
    })
}

/// gpresult `<SOM>contoso.com/Servers/WSUS</SOM>` (and `SOMPath`): a domain, then OUs.
fn som_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)<(?:\w+:)?SOM(?:Path)?>([^<\r\n]{1,1024})</")
}

/// `DC=contoso,DC=local` in a distinguished name: the DNS domain.
fn dc_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)\bDC=[A-Za-z0-9-]+(?:, ?DC=[A-Za-z0-9-]+)+")
}

/// A Windows security identifier of a domain or machine account (or an Entra ID one).
fn sid_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"\bS-1-(?:5-21|12-1)-\d{1,10}-\d{1,10}-\d{1,10}(?:-\d{1,10})?\b")
}

/// `<Name>DOMAIN\account</Name>` in `gpresult /x`: the domain, and a user (or a host when the
/// account ends with `$`).
fn account_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)<(?:\w+:)?Name>([A-Za-z0-9._-]{1,256})\\([^<\\]{1,256})</")
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Redactor {
    pub fn new(key: RedactionKey) -> Self {
        Redactor {
            key,
            learned: BTreeMap::new(),
            ips: Default::default(),
            sids: Default::default(),
            protected: Default::default(),
            matcher: None,
            weak: None,
            dns_domains: Vec::new(),
        }
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
            Kind::Site => format!("site-{short}"),
            Kind::Ou => format!("ou-{short}"),
            Kind::Sid => {
                let n = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
                format!("S-1-5-21-{}-{}-{}", n(0), n(4), n(8))
            }
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
        if value.len() > MAX_LEARNED_LEN * 2 {
            return;
        }
        let v = value.trim().trim_matches(|c| c == '"' || c == '\'' || c == '{' || c == '}');
        let v = v.strip_prefix("\\\\").unwrap_or(v);
        let v = if kind == Kind::Host { v.strip_suffix('$').unwrap_or(v) } else { v };
        if matches!(kind, Kind::User | Kind::Host) {
            if let Some((d, u)) = v.split_once('\\') {
                self.learn(Kind::Domain, d);
                self.learn(if u.ends_with('$') { Kind::Host } else { Kind::User }, u);
                return;
            }
        }
        let lower = v.to_lowercase();
        if v.chars().count() < 2
            || v.len() > MAX_LEARNED_LEN
            || STOPLIST.contains(&lower.as_str())
            || ["host-", "dom-", "user-", "org-", "site-", "ou-"].iter().any(|p| lower.starts_with(p))
            || (matches!(kind, Kind::Host | Kind::Domain) && is_public_domain(&lower))
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
        if kind == Kind::Domain && lower.contains('.') {
            self.dns_domains.push(lower.clone());
        }
        let p = self.pseudonym(kind, v);
        self.learned.insert(lower, (kind, p));
        self.matcher = None;
    }

    /// Whether `value` (any case) was learned.
    pub fn is_learned(&self, value: &str) -> bool {
        self.learned.contains_key(&value.to_lowercase())
    }

    /// Words rules use — fact namespaces and names, collector names, log kinds, signal names,
    /// the words of signal patterns — lower-cased. A learned value equal to one is replaced only
    /// where it stands as an identifier (module docs).
    pub fn protect<I, S>(&mut self, words: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for w in words {
            let w = w.as_ref().to_lowercase();
            if !w.is_empty() && w.len() <= MAX_LEARNED_LEN {
                self.protected.insert(w);
            }
        }
    }

    /// The words of a name or pattern (`wsus-tls/import_reset` → the whole, `wsus`, `tls`,
    /// `import_reset`, `import`, `reset`), for [`Redactor::protect`].
    pub fn words_of(text: &str) -> Vec<String> {
        let mut out = vec![text.to_lowercase()];
        for w in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if w.len() >= 2 {
                out.push(w.to_lowercase());
                out.extend(w.split('_').filter(|p| p.len() >= 2).map(str::to_lowercase));
            }
        }
        out
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
        for c in som_re().captures_iter(text) {
            if let Some(m) = c.get(1) {
                let mut parts = m.as_str().split('/');
                if let Some(d) = parts.next() {
                    found.push((Kind::Domain, d.to_owned()));
                }
                found.extend(parts.filter(|p| !p.is_empty()).map(|p| (Kind::Ou, p.to_owned())));
            }
        }
        for m in dc_re().find_iter(text) {
            let name: Vec<&str> = m.as_str().split(',').filter_map(|p| p.trim().get(3..)).collect();
            found.push((Kind::Domain, name.join(".")));
        }
        if text.trim_start_matches('\u{feff}').starts_with("\"Host Name\"") {
            learn_systeminfo_csv(text, &mut found);
        }
        for (kind, v) in found {
            self.learn(kind, &v);
        }
    }

    /// Second pass, once every domain is known: `DOMAIN\account` anywhere in `text`, and every
    /// label of a name inside a learned DNS domain.
    pub fn learn_accounts(&mut self, text: &str) {
        self.learn_labels(text);
        self.learn_netbios_accounts(text);
    }

    fn learn_labels(&mut self, text: &str) {
        let mut doms: Vec<String> = self.dns_domains.iter().map(|d| regex::escape(d)).collect();
        if doms.is_empty() {
            return;
        }
        doms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let Ok(r) = Regex::new(&format!(r"(?i)\b((?:[A-Za-z0-9_-]+\.)+)(?:{})\b", doms.join("|"))) else {
            return;
        };
        let mut found: Vec<String> = Vec::new();
        for c in r.captures_iter(text) {
            if let Some(m) = c.get(1) {
                found.extend(m.as_str().split('.').filter(|l| !l.is_empty()).map(str::to_owned));
            }
        }
        for label in found {
            self.learn(Kind::Host, &label);
        }
    }

    fn learn_netbios_accounts(&mut self, text: &str) {
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
        let sids = self.sids.lock().map(|m| m.len()).unwrap_or(0) as u64; // one per domain
        if sids > 0 {
            out.insert(Kind::Sid.name().to_owned(), sids);
        }
        out
    }

    /// The learned values' matcher, compiled once after learning.
    pub fn prepare(&mut self) {
        let build = |mut lits: Vec<&String>| -> Option<Regex> {
            lits.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            if lits.is_empty() {
                return None;
            }
            let alt: Vec<String> = lits.iter().map(|l| regex::escape(l)).collect();
            regex::RegexBuilder::new(&format!("(?i)(?:{})", alt.join("|")))
                .size_limit(256 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .ok()
        };
        let (weak, strong): (Vec<&String>, Vec<&String>) =
            self.learned.keys().partition(|k| self.protected.contains(k.as_str()));
        self.matcher = build(strong);
        self.weak = build(weak);
    }

    /// Whether the match `s[start..end]` of a protected value stands as an identifier; `field`
    /// also takes a whole field (never for fact names: `wsus` is a namespace).
    fn is_identifier_at(&self, s: &str, start: usize, end: usize, field: bool) -> bool {
        let before = &s[..start];
        let after = &s[end..];
        // `\\HOST\share`, `DOMAIN\HOST$`, `DOMAIN\account`
        let account = after.strip_prefix('\\').is_some_and(|a| a.starts_with(|c: char| c.is_alphanumeric()));
        if before.ends_with('\\') || after.starts_with('$') || account {
            return true;
        }
        if let Some(rest) = after.strip_prefix('.') {
            let head = &rest.as_bytes()[..rest.len().min(MAX_LEARNED_LEN + 1)];
            let head = String::from_utf8_lossy(head).to_ascii_lowercase();
            let inside = self.dns_domains.iter().any(|d| {
                head.starts_with(d.as_str())
                    && !head[d.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '-')
            });
            if inside {
                return true;
            }
        }
        // `host:port`
        if after.strip_prefix(':').is_some_and(|p| p.starts_with(|c: char| c.is_ascii_digit())) {
            return true;
        }
        if !field {
            return false;
        }
        // A whole field: `Label:   VALUE`, `"Name"="VALUE"`, `"Key":  "VALUE"`, `>VALUE<`, a
        // CSV cell, or the whole string.
        let prev = before.trim_end_matches([' ', '\t']);
        let prev = prev.strip_suffix('"').unwrap_or(prev).trim_end_matches([' ', '\t']);
        let field_before = prev.is_empty() || prev.ends_with([':', '=', '>', ',', '\n', '[']);
        let next = after.trim_start_matches([' ', '\t']);
        let field_after = next.is_empty() || next.starts_with(['"', '<', '\r', '\n', ',', ';', ']', '}']);
        field_before && field_after
    }

    /// Replaces every sensitive value in `s`; returns the text and the number of replacements.
    /// Call [`Redactor::prepare`] after learning.
    pub fn redact_str(&self, s: &str) -> (String, u64) {
        if s.contains("hex(") {
            if let Some(done) = self.redact_reg_text(s) {
                return done;
            }
        }
        self.redact_plain(s)
    }

    /// Every pass but the `.reg` hex one.
    fn redact_plain(&self, s: &str) -> (String, u64) {
        self.redact_passes(s, true)
    }

    /// A fact map key: as [`Redactor::redact_str`], but a protected value is replaced only
    /// inside an identifier, never as the whole key (the `wsus` namespace stays `wsus`).
    pub fn redact_key(&self, s: &str) -> (String, u64) {
        self.redact_passes(s, false)
    }

    fn redact_passes(&self, s: &str, fields: bool) -> (String, u64) {
        let mut n = 0;
        let mut out = s.to_owned();
        let learned = |hit: &str| self.learned.get(&hit.to_lowercase()).map(|(_, p)| p.clone());
        if let Some(m) = &self.weak {
            out = replace_bounded(&out, m, &mut n, |t, a, b| self.is_identifier_at(t, a, b, fields), learned);
        }
        if let Some(m) = &self.matcher {
            out = replace_bounded(&out, m, &mut n, |_, _, _| true, learned);
        }
        if out.contains("S-1-") {
            out = replace_bounded(&out, sid_re(), &mut n, |_, _, _| true, |hit| self.sid_pseudonym(hit));
        }
        out = replace_bounded(&out, ipv4_re(), &mut n, ipv4_context, |hit| self.ip_pseudonym(hit));
        if out.contains(':') {
            out = replace_bounded(&out, ipv6_re(), &mut n, ipv6_context, |hit| self.ip_pseudonym(hit));
        }
        (out, n)
    }

    /// A `.reg` text with `hex(1)`/`hex(2)`/`hex(7)` strings: each is decoded, redacted and
    /// written back as hex; the text between them goes through the other passes, which never see
    /// the hex digits (a pair between commas could match a short learned value). `None` when the
    /// text holds no such value.
    fn redact_reg_text(&self, s: &str) -> Option<(String, u64)> {
        let found = reg_hex::find(s);
        if found.is_empty() {
            return None;
        }
        let newline = if s.contains("\r\n") { "\r\n" } else { "\n" };
        let mut out = String::with_capacity(s.len());
        let mut n = 0;
        let mut last = 0;
        for h in found {
            let (between, c) = self.redact_plain(&s[last..h.range.start]);
            out.push_str(&between);
            n += c;
            let (red, c) = self.redact_plain(&h.text);
            if c > 0 {
                out.push_str(&reg_hex::encode(h.kind, &red, h.column, newline));
                if h.unterminated {
                    out.push_str(",\\");
                }
                n += c;
            } else {
                out.push_str(&s[h.range.clone()]);
            }
            last = h.range.end;
        }
        let (tail, c) = self.redact_plain(&s[last..]);
        out.push_str(&tail);
        Some((out, n + c))
    }

    /// The decoded `hex(1)`/`hex(2)`/`hex(7)` strings of a `.reg` text as `"Name"="value"`
    /// lines (each part of a multi-string on its own), for the learners.
    pub fn reg_hex_strings(text: &str) -> String {
        let mut out = String::new();
        if !text.contains("hex(") {
            return out;
        }
        for h in reg_hex::find(text) {
            for part in h.text.split('\0').filter(|p| !p.is_empty()) {
                out.push_str(&format!("\"{}\"=\"{part}\"\r\n{part}\r\n", h.name));
            }
        }
        out
    }

    fn sid_pseudonym(&self, hit: &str) -> Option<String> {
        // S-1-5-21-a-b-c[-rid] or S-1-12-1-a-b-c[-d]: the three numbers after the authority
        // name the domain (or tenant); the RID (500 = Administrator) is kept.
        let parts: Vec<&str> = hit.split('-').collect();
        let domain = parts.get(4..7)?.join("-");
        let mut made = self.sids.lock().ok()?;
        // Already a pseudonym (facts re-read from redacted text are redacted again).
        if made.contains_key(&format!("S-1-5-21-{domain}")) {
            return None;
        }
        let base = self.pseudonym(Kind::Sid, &domain);
        made.insert(base.clone(), String::new());
        let p = match parts.get(7) {
            Some(rid) => format!("{base}-{rid}"),
            None => base,
        };
        Some(p)
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
            let (k2, c) = self.redact_key(&k);
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
                    let (k2, c) = self.redact_key(&k);
                    n += c + self.redact_fact(&mut v);
                    m.insert(k2, v);
                }
            }
            _ => {}
        }
        n
    }
}

/// Whether an IPv4 match stands as an address: not part of a longer dotted number (a
/// version), not after `version`, and after `:` only in an IPv4-mapped IPv6 address.
fn ipv4_context(s: &str, start: usize, end: usize) -> bool {
    let before = s[..start].chars().next_back();
    let dotted_after =
        s[end..].starts_with('.') && s[end + 1..].chars().next().is_some_and(|c| c.is_ascii_digit());
    let ctx_start = s.floor_char_boundary_compat(start.saturating_sub(16));
    let ctx = s[ctx_start..start].to_ascii_lowercase();
    let mapped = ctx.ends_with("ffff:");
    !(dotted_after || before == Some('.') || ctx.contains("version") || (before == Some(':') && !mapped))
}

/// Whether an IPv6 match is a whole address, not the `::ffff:` head of a mapped IPv4 one.
fn ipv6_context(s: &str, _start: usize, end: usize) -> bool {
    !(s[end..].starts_with('.') && s[end + 1..].chars().next().is_some_and(|c| c.is_ascii_digit()))
}

/// Replaces the matches of `re` in `s` that stand at word boundaries, that `accept` takes
/// (given the text and the match's range), and for which `with` gives a replacement.
fn replace_bounded(
    s: &str,
    re: &Regex,
    n: &mut u64,
    accept: impl Fn(&str, usize, usize) -> bool,
    with: impl Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for m in re.find_iter(s) {
        if m.as_str().is_empty() {
            continue;
        }
        let before = s[..m.start()].chars().next_back();
        let after = s[m.end()..].chars().next();
        if before.is_some_and(is_word) || after.is_some_and(is_word) || !accept(s, m.start(), m.end()) {
            continue;
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
        | "proxyserver"
        | "siteserver"
        | "sqlservername"
        | "sqlserver"
        | "databaseserver"
        | "managementpoint"
        | "domaincontroller"
        | "dcname" => Kind::Host,
        "domain"
        | "nvdomain"
        | "domainname"
        | "userdomain"
        | "proxyuserdomain"
        | "dnsdomain"
        | "defaultdomainname"
        | "altdefaultdomainname" => Kind::Domain,
        "username" | "user" | "registeredowner" | "proxyusername" | "accountname" | "samaccountname"
        | "defaultusername" | "altdefaultusername" => Kind::User,
        "site" | "sitename" | "adsite" => Kind::Site,
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
