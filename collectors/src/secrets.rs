//! Known secret values, found and masked wherever triage reads or writes them: in artifacts
//! before they go into a bundle (with or without `--redact`), and in fact maps before `run`,
//! `facts` or `explain` print anything.
//!
//! # What counts as a secret
//!
//! - **Registry values** whose name says they hold one: `DefaultPassword` and
//!   `AltDefaultPassword` (Winlogon auto-logon), any name containing `password`, `passwd` or
//!   `secret`, `Pwd`, `ProxyPass`; and every value under the keys that hold credentials as
//!   such: `HKLM\SECURITY\Cache` (cached domain logons, `NL$1`…), `HKLM\SECURITY\Policy\Secrets`
//!   (LSA secrets, where auto-logon passwords also live) and `HKLM\SAM\SAM\Domains` (password
//!   hashes). Numbers (`dword:`, `hex(4)`, `hex(b)`) are kept: `PasswordExpiryWarning`=14 is
//!   a setting, not a secret.
//! - **Connection-string and attribute passwords** in any text: `Password=…;`, `Pwd=…`,
//!   `password="…"`, `<Password>…</Password>`, JSON `"ProxyPassword": "…"`.
//! - **Credentials in URLs**: `http://user:secret@proxy:8080` (the password part).
//!
//! # How they are masked
//!
//! Every byte of the secret is replaced by `*` (hex digits of a `.reg` hex value by `0`), so the
//! text keeps its length and every provenance span still points at the same place; the value
//! itself is gone. Only the length is left, which says little. Each masking is counted per kind
//! ([`Masked`]) so a bundle's manifest can record what was dropped without recording it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::bytes::Regex;
use triage_facts::{Fact, FactMap, Value};

use crate::text::{self, TextEncoding};

/// What was masked, per kind of secret (`registry value DefaultPassword`, `connection-string
/// password`, `URL password`, …): how many values.
pub type Masked = BTreeMap<String, u64>;

/// Whether a registry value (or JSON/XML field) named `name` holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    // ASCII case-insensitive, without allocating: every fact of every input is asked.
    let n = name.as_bytes();
    contains_ci(n, b"password")
        || contains_ci(n, b"passwd")
        || contains_ci(n, b"secret")
        || n.eq_ignore_ascii_case(b"pwd")
        || n.eq_ignore_ascii_case(b"proxypass")
        || (n.len() > 3 && n[..3].eq_ignore_ascii_case(b"nl$"))
}

/// Whether `hay` contains `needle` (lower case), ASCII case-insensitively.
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether every value of the registry key at `path` (`HKLM\…` or `HKEY_LOCAL_MACHINE\…`) is a
/// credential.
pub fn is_secret_key(path: &str) -> bool {
    let p = path.as_bytes();
    let starts_ci =
        |s: &[u8], prefix: &[u8]| s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix);
    let rest = if starts_ci(p, b"hkey_local_machine") {
        &p[b"hkey_local_machine".len()..]
    } else if starts_ci(p, b"hklm") {
        &p[b"hklm".len()..]
    } else {
        return false;
    };
    [&b"\\security\\cache"[..], b"\\security\\policy\\secrets", b"\\sam\\sam\\domains"]
        .iter()
        .any(|k| starts_ci(rest, k) && (rest.len() == k.len() || rest[k.len()] == b'\\'))
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        #[allow(clippy::expect_used)] // constant patterns, covered by tests
        Regex::new(pattern).expect("constant regex")
    })
}

/// `Password=value` up to `;`, a quote, `<` or the end of the line; or quoted.
fn assignment_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r#"(?i)\b(?:password|passwd|pwd)[ \t]*=[ \t]*(?:"([^"\r\n]*)"|'([^'\r\n]*)'|&quot;(.*?)&quot;|([^;"'<>\r\n]+))"#,
    )
}

/// `<Password>value</Password>` (any element whose name contains `password`).
fn element_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)<(?:\w+:)?\w*password\w*>([^<]*)</")
}

/// JSON `"…Password…": "value"`.
fn json_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r#"(?i)"[A-Za-z_]*(?:password|passwd|secret)[A-Za-z_]*"[ \t]*:[ \t]*"((?:[^"\\\r\n]|\\.)*)""#)
}

/// `scheme://user:password@host`.
fn url_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r#"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@"'<>]+:([^@\s/"'<>]+)@"#)
}

/// Replaces `bytes[range]` by `*` and counts one `what`.
fn star(bytes: &mut [u8], range: std::ops::Range<usize>, what: &str, masked: &mut Masked) {
    if range.is_empty() || bytes[range.clone()].iter().all(|b| *b == b'*') {
        return;
    }
    bytes[range].fill(b'*');
    *masked.entry(what.to_owned()).or_insert(0) += 1;
}

/// Masks the secrets of a text's bytes in place (UTF-8, or any ASCII-compatible encoding such as
/// Windows-1252). Returns what was masked.
pub fn mask_bytes(bytes: &mut [u8]) -> Masked {
    let mut masked = Masked::new();
    if !might_hold_secrets(bytes) {
        return masked;
    }
    mask_registry(bytes, &mut masked);
    for (r, what) in [
        (assignment_re(), "connection-string password"),
        (element_re(), "XML password element"),
        (json_re(), "JSON password field"),
        (url_re(), "URL password"),
    ] {
        let spans: Vec<std::ops::Range<usize>> = r
            .captures_iter(bytes)
            .filter_map(|c| (1..c.len()).find_map(|i| c.get(i)).map(|m| m.range()))
            .collect();
        for s in spans {
            star(bytes, s, what, &mut masked);
        }
    }
    masked
}

/// A cheap test: none of the words a secret pattern needs appears.
fn might_hold_secrets(bytes: &[u8]) -> bool {
    static R: OnceLock<regex::bytes::Regex> = OnceLock::new();
    re(&R, r"(?i)pass|pwd|secret|nl\$|://[^/\s]*@|\\security\\|\\sam\\").is_match(bytes)
}

/// `.reg` text: the data of secret-named values, and of every value under a secret key. A
/// quoted string's characters become `*`; hex data's digits become `0` (so it still parses).
fn mask_registry(bytes: &mut [u8], masked: &mut Masked) {
    let mut key_is_secret = false;
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        let end = memchr_newline(bytes, i);
        let line_start = i;
        i = end + 1;
        let line = &bytes[line_start..end];
        let trimmed = trim_ascii_start(line);
        if trimmed.first() == Some(&b'[') {
            let inner = trimmed.get(1..).unwrap_or_default();
            let close = inner.iter().rposition(|b| *b == b']').unwrap_or(inner.len());
            key_is_secret = is_secret_key(&String::from_utf8_lossy(&inner[..close]));
            continue;
        }
        let Some((name, data_at)) = value_name(trimmed) else { continue };
        let offset = line_start + (line.len() - trimmed.len());
        let data_start = offset + data_at;
        if !(key_is_secret || is_secret_name(&name)) {
            continue;
        }
        // The value's data runs over continuation lines (ending in `\`).
        let mut data_end = end;
        while data_end > data_start && ends_with_backslash(&bytes[line_start..data_end]) && i < n {
            let next_end = memchr_newline(bytes, i);
            data_end = next_end;
            i = next_end + 1;
        }
        let what = if key_is_secret {
            "registry credential (SECURITY or SAM key)".to_owned()
        } else {
            format!("registry value {name}")
        };
        mask_reg_data(bytes, data_start, data_end, &what, masked);
    }
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |p| from + p)
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let k = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    &b[k..]
}

fn ends_with_backslash(b: &[u8]) -> bool {
    let t = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(&b[..0], |p| &b[..=p]);
    t.last() == Some(&b'\\')
}

/// `"Name"=…` or `@=…`: the value name and where its data starts (after `=`).
fn value_name(line: &[u8]) -> Option<(String, usize)> {
    if line.first() == Some(&b'@') {
        let eq = line.iter().position(|b| *b == b'=')?;
        return Some(("(default)".into(), eq + 1));
    }
    if line.first() != Some(&b'"') {
        return None;
    }
    let mut j = 1;
    let mut name = Vec::new();
    while j < line.len() {
        match line[j] {
            b'\\' if j + 1 < line.len() => {
                name.push(line[j + 1]);
                j += 2;
            }
            b'"' => break,
            c => {
                name.push(c);
                j += 1;
            }
        }
    }
    let rest = line.get(j + 1..)?;
    let eq = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    (rest[eq] == b'=').then(|| (String::from_utf8_lossy(&name).into_owned(), j + 1 + eq + 1))
}

fn mask_reg_data(bytes: &mut [u8], start: usize, end: usize, what: &str, masked: &mut Masked) {
    let data = &bytes[start..end];
    let t = trim_ascii_start(data);
    let at = start + (data.len() - t.len());
    let lower: Vec<u8> = t.iter().take(8).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"dword:")
        || lower.starts_with(b"hex(4):")
        || lower.starts_with(b"hex(b):")
        || t == b"-"
    {
        return;
    }
    if t.first() == Some(&b'"') {
        // A quoted string: up to the last quote.
        let close = t.iter().rposition(|b| *b == b'"').filter(|p| *p > 0).unwrap_or(t.len());
        star(bytes, at + 1..at + close, what, masked);
        return;
    }
    if lower.starts_with(b"hex") {
        let colon = t.iter().position(|b| *b == b':').map_or(0, |p| p + 1);
        let mut changed = false;
        for b in &mut bytes[at + colon..end] {
            if b.is_ascii_hexdigit() && *b != b'0' {
                *b = b'0';
                changed = true;
            }
        }
        if changed {
            *masked.entry(what.to_owned()).or_insert(0) += 1;
        }
    }
}

/// Masks the secrets of an artifact's bytes, keeping its encoding. `None` when there is nothing
/// to mask (or the bytes are binary); otherwise the new bytes and what was masked.
pub fn mask_artifact(bytes: &[u8]) -> Option<(Vec<u8>, Masked)> {
    let head = &bytes[..bytes.len().min(triage_facts::Artifact::HEAD_LEN)];
    if text::looks_binary(head) {
        return None;
    }
    let d = text::decode(bytes);
    match d.encoding {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            let mut t = d.text.into_bytes();
            let masked = mask_bytes(&mut t);
            if masked.is_empty() {
                return None;
            }
            let t = String::from_utf8(t).ok()?;
            Some((crate::bundle::redact::encode(&t, d.encoding), masked))
        }
        // UTF-8 (with or without BOM) or bytes in an ANSI code page: masked in place.
        _ => {
            let mut out = bytes.to_vec();
            let masked = mask_bytes(&mut out);
            (!masked.is_empty()).then_some((out, masked))
        }
    }
}

/// Masks a decoded text in place (same byte length: spans into it stay valid).
pub fn mask_str(s: &mut String) -> Masked {
    if !might_hold_secrets(s.as_bytes()) {
        return Masked::new();
    }
    let mut b = std::mem::take(s).into_bytes();
    let masked = mask_bytes(&mut b);
    // Only whole characters were replaced by ASCII `*`/`0`: still UTF-8.
    *s = String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    masked
}

/// `text` with its secrets masked (same length), for what is shown from an artifact.
pub fn masked(mut text: String) -> String {
    mask_str(&mut text);
    text
}

/// A function that masks the facts of a loaded input (`facts` finds them), for
/// `Result::map`: one line at the place inputs are loaded.
pub fn masked_input<T>(facts: impl Fn(&mut T) -> &mut FactMap) -> impl FnOnce(T) -> T {
    move |mut input| {
        mask_facts(facts(&mut input));
        input
    }
}

/// Masks every secret in a fact map: values of secret-named registry values (and of every value
/// under a secret key), and secrets inside any string (connection strings, URLs). Returns what
/// was masked.
pub fn mask_facts(facts: &mut FactMap) -> Masked {
    let mut masked = Masked::new();
    for (k, f) in facts.root.iter_mut() {
        walk(k, f, false, &mut masked);
    }
    masked
}

fn walk(key: &str, f: &mut Fact, secret: bool, masked: &mut Masked) {
    let secret = secret || is_secret_name(key) || is_secret_key(key);
    walk_value(key, f, secret, masked);
}

/// [`walk`] once `secret` includes `key`'s own verdict (a list's items share their key's).
fn walk_value(key: &str, f: &mut Fact, secret: bool, masked: &mut Masked) {
    match &mut f.value {
        Value::Str(s) => {
            if secret {
                if !s.is_empty() && !s.bytes().all(|b| b == b'*') {
                    *s = "*".repeat(s.len());
                    *masked.entry(format!("fact {key}")).or_insert(0) += 1;
                }
            } else {
                for (k, n) in mask_str(s) {
                    *masked.entry(k).or_insert(0) += n;
                }
            }
        }
        Value::Bytes(b) if secret && b.iter().any(|x| *x != 0) => {
            b.iter_mut().for_each(|x| *x = 0);
            *masked.entry(format!("fact {key}")).or_insert(0) += 1;
        }
        Value::List(l) => l.iter_mut().for_each(|x| walk_value(key, x, secret, masked)),
        Value::Map(m) => {
            // A registry value as a map (`{type, data}`) is named by its own key.
            for (k, v) in m.iter_mut() {
                let inner = if matches!(k.as_str(), "data" | "value") { key } else { k.as_str() };
                walk(inner, v, secret, masked);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_and_keys_are_told_apart_without_allocating() {
        for yes in ["DefaultPassword", "ProxyPASSWD", "client_secret", "PWD", "ProxyPass", "NL$1"] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in ["Pass", "pwdx", "NL$", "UserName", "PasswordExpiryWarning2"] {
            assert_eq!(is_secret_name(no), no.to_ascii_lowercase().contains("password"), "{no}");
        }
        for yes in [
            "HKLM\\SECURITY\\Cache",
            "hkey_local_machine\\security\\cache\\NL$1",
            "HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Secrets\\DefaultPassword",
            "HKLM\\SAM\\SAM\\Domains",
        ] {
            assert!(is_secret_key(yes), "{yes}");
        }
        for no in [
            "HKLM\\SECURITY\\CacheX",
            "HKLM\\SECURITY",
            "HKCU\\SECURITY\\Cache",
            "SOFTWARE\\HKLM\\SECURITY\\Cache",
            "HKLMX\\SECURITY\\Cache",
            "",
        ] {
            assert!(!is_secret_key(no), "{no}");
        }
    }

    fn masked_text(s: &str) -> (String, Masked) {
        let mut t = s.to_owned();
        let m = mask_str(&mut t);
        assert_eq!(t.len(), s.len(), "same length");
        (t, m)
    }

    #[test]
    fn winlogon_auto_logon_values_are_masked_and_settings_kept() {
        let reg = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]\r\n\"AutoAdminLogon\"=\"1\"\r\n\"DefaultUserName\"=\"svc-kiosk\"\r\n\"DefaultPassword\"=\"Winter2026!\"\r\n\"AltDefaultPassword\"=hex(1):53,00,33,00,\\\r\n  63,00\r\n\"PasswordExpiryWarning\"=dword:0000000e\r\n";
        let (out, m) = masked_text(reg);
        assert!(!out.contains("Winter2026!"), "{out}");
        assert!(out.contains("\"DefaultPassword\"=\"***********\""), "{out}");
        assert!(out.contains("\"AltDefaultPassword\"=hex(1):00,00,00,00,\\\r\n  00,00\r\n"), "{out}");
        assert!(out.contains("\"PasswordExpiryWarning\"=dword:0000000e"), "{out}");
        assert!(out.contains("svc-kiosk"), "a user name is not a secret (redaction pseudonymises it)");
        assert_eq!(m.get("registry value DefaultPassword"), Some(&1));
        assert_eq!(m.get("registry value AltDefaultPassword"), Some(&1));
        assert_eq!(m.len(), 2, "{m:?}");
    }

    #[test]
    fn cached_credentials_and_lsa_secrets_are_masked_whatever_their_names() {
        let reg = "[HKEY_LOCAL_MACHINE\\SECURITY\\Cache]\r\n\"NL$1\"=hex:0a,1b,2c\r\n\"NL$Control\"=hex:ff\r\n[HKEY_LOCAL_MACHINE\\SECURITY\\Policy\\Secrets\\DefaultPassword\\CurrVal]\r\n@=hex(0):41,42\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\r\n\"Data\"=hex:0a\r\n";
        let (out, m) = masked_text(reg);
        assert!(out.contains("\"NL$1\"=hex:00,00,00"), "{out}");
        assert!(out.contains("\"NL$Control\"=hex:00"), "{out}");
        assert!(out.contains("@=hex(0):00,00"), "{out}");
        assert!(out.contains("\"Data\"=hex:0a"), "other keys are kept: {out}");
        assert_eq!(m.get("registry credential (SECURITY or SAM key)"), Some(&3), "{m:?}");
    }

    #[test]
    fn connection_strings_urls_xml_and_json() {
        let (out, m) = masked_text(concat!(
            "Data Source=SQL01;Initial Catalog=SUSDB;User ID=sa;Password=Pa55;Encrypt=true\r\n",
            "<add name=\"x\" connectionString=\"Server=db;Pwd='q r';\" password=\"hunter2\" />\r\n",
            "<ProxyPassword>s3cr3t</ProxyPassword>\r\n",
            "{\"ProxyPassword\":  \"j\\\"son\", \"HasProxyPassword\":  true}\r\n",
            "proxy http://bob:topsecret@proxy01:8080/ and https://example.invalid/path@x\r\n",
        ));
        for secret in ["Pa55", "q r", "hunter2", "s3cr3t", "j\\\"son", "topsecret"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("User ID=sa;Password=****;Encrypt=true"), "{out}");
        assert!(out.contains("\"HasProxyPassword\":  true"), "{out}");
        assert!(out.contains("http://bob:*********@proxy01:8080/"), "{out}");
        assert!(out.contains("https://example.invalid/path@x"), "{out}");
        assert_eq!(m.get("connection-string password"), Some(&3), "{m:?}");
        assert_eq!(m.get("XML password element"), Some(&1), "{m:?}");
        assert_eq!(m.get("JSON password field"), Some(&1), "{m:?}");
        assert_eq!(m.get("URL password"), Some(&1), "{m:?}");
    }

    #[test]
    fn utf16_artifacts_stay_utf16_and_clean_ones_are_untouched() {
        let text = "\u{feff}Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]\r\n\"DefaultPassword\"=\"pässwörd\"\r\n";
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (out, m) = mask_artifact(&bytes).expect("masked");
        assert!(out.starts_with(&[0xFF, 0xFE]));
        let d = text::decode(&out);
        assert!(d.text.contains("\"DefaultPassword\"=\"**********\""), "{}", d.text);
        assert_eq!(m.values().sum::<u64>(), 1);
        assert!(mask_artifact(b"nothing to see\r\n").is_none());
        assert!(mask_artifact(b"\xD4\xC3\xB2\xA1\x02\x00\x04\x00\x00\x00password").is_none());
    }

    #[test]
    fn facts_are_masked_by_name_and_by_content() {
        let mut facts = FactMap::from_json_str(
            r#"{"registry":{"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon":{"DefaultPassword":"Winter2026!","DefaultUserName":"kiosk"},
                "HKLM\\SECURITY\\Cache":{"NL$1":"abc"}},
                "wsus":{"config":{"ProxyPassword":"pp","HasProxyPassword":true,"ProxyName":"http://u:pw1@p:1"}},
                "logs":{"m":["Password=abc;x"]}}"#,
        )
        .expect("valid");
        let m = mask_facts(&mut facts);
        let json = facts.to_json_pretty();
        for secret in ["Winter2026!", "\"abc\"", "\"pp\"", "pw1", "Password=abc"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        assert!(json.contains("kiosk") && json.contains("\"HasProxyPassword\": true"), "{json}");
        assert_eq!(m.values().sum::<u64>(), 5, "{m:?}");
        assert!(mask_facts(&mut facts).is_empty(), "idempotent");
    }
}
