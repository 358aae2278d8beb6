//! Waivers: accepted findings, written down with a reason, an owner and an expiry date.
//!
//! ```toml
//! [[waiver]]
//! rule = "WSUS010"                    # the rule ID (required)
//! pack = "wsus-tls"                   # optional: the pack ID, when several packs use the rule ID
//! input = "fleet/wsus-0*"             # optional: glob (`*`, `?`) over the finding's input
//! evidence = "fe2.update.microsoft.com" # optional: text found in any piece of evidence
//! justification = "Migration to the new endpoint is CHG-1234"   # required
//! owner = "wsus-team@example.com"     # required
//! expires = 2027-03-31                # required: a TOML date; the waiver holds through that day
//! ```
//!
//! [`parse_waivers`] reports every problem in the file at once, with its line; a caller must
//! stop before running anything when it fails. [`apply_waivers`] is a pure function of the
//! findings, the waivers and "today" (which the caller supplies): a detected finding matched by
//! a live waiver is marked waived; one matched only by an expired waiver stays detected and is
//! reported as resurfaced; a live waiver that matched nothing is reported as unused.

use std::fmt;

use serde::Serialize;

/// A calendar date (no time zone: waivers expire by the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (day >= 1 && day <= days).then_some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| {
            s.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit()))?.parse::<u16>().ok()
        };
        Date::new(num(0..4)?, u8::try_from(num(5..7)?).ok()?, u8::try_from(num(8..10)?).ok()?)
    }

    /// The UTC date of a Unix time in seconds (for callers that take "today" from the clock).
    pub fn from_unix(secs: i64) -> Date {
        // Howard Hinnant's days-from-civil inverse.
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One `[[waiver]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    pub rule: String,
    /// The pack the rule belongs to; without it, the rule ID of any pack matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pack: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    pub justification: String,
    pub owner: String,
    pub expires: Date,
    /// 1-based line of the `[[waiver]]` header, for messages.
    pub line: usize,
}

impl Waiver {
    /// What the waiver names, for messages: `pack/RULE` or `RULE`.
    pub fn target(&self) -> String {
        match &self.pack {
            Some(p) => format!("{p}/{}", self.rule),
            None => self.rule.clone(),
        }
    }

    pub fn is_expired(&self, today: Date) -> bool {
        today > self.expires
    }

    fn matches<F: Waivable + ?Sized>(&self, f: &F) -> bool {
        f.rule_id() == self.rule
            && self.pack.as_deref().is_none_or(|p| p == f.pack_id())
            && self.input.as_deref().is_none_or(|g| glob_match(g, f.input()))
            && self.evidence.as_deref().is_none_or(|e| f.evidence_texts().iter().any(|t| t.contains(e)))
    }
}

/// A problem in a waivers file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for WaiverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

const WAIVER_KEYS: &[&str] = &["rule", "pack", "input", "evidence", "justification", "owner", "expires"];

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).map(|t| t.matches('\n').count() + 1).unwrap_or(1)
}

/// Parses a waivers file. Every problem is reported, each with its line.
pub fn parse_waivers(text: &str, file: &str) -> Result<Vec<Waiver>, Vec<WaiverError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let err = |line: usize, message: String| WaiverError { file: file.to_owned(), line, message };
    let root: toml::Spanned<toml::Table> = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            return Err(vec![err(line, e.message().to_owned())]);
        }
    };
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for key in root.get_ref().keys() {
        if key != "waiver" {
            errors.push(err(1, format!("unknown key `{key}` (expected [[waiver]] tables)")));
        }
    }
    // Re-read the entries with spans to report lines.
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(default)]
        waiver: Vec<toml::Spanned<toml::Table>>,
    }
    let raw: Raw = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            errors.push(err(line, format!("`waiver` must be [[waiver]] tables: {}", e.message())));
            return Err(errors);
        }
    };
    for w in raw.waiver {
        let line = line_of(text, w.span().start);
        let t = w.get_ref();
        let before = errors.len();
        for k in t.keys() {
            if !WAIVER_KEYS.contains(&k.as_str()) {
                errors.push(err(
                    line,
                    format!("unknown key `{k}` in a waiver (expected one of: {})", WAIVER_KEYS.join(", ")),
                ));
            }
        }
        let mut string = |k: &str, required: bool| -> Option<String> {
            match t.get(k) {
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
                Some(toml::Value::String(_)) => {
                    errors.push(err(line, format!("`{k}` is empty")));
                    None
                }
                Some(_) => {
                    errors.push(err(line, format!("`{k}` must be a string")));
                    None
                }
                None if required => {
                    errors.push(err(line, format!("a waiver needs `{k}`")));
                    None
                }
                None => None,
            }
        };
        let rule = string("rule", true);
        let pack = string("pack", false);
        let input = string("input", false);
        let evidence = string("evidence", false);
        let justification = string("justification", true);
        let owner = string("owner", true);
        let expires = match t.get("expires") {
            Some(toml::Value::Datetime(d)) if d.time.is_none() && d.offset.is_none() => {
                d.date.and_then(|d| Date::new(d.year, d.month, d.day))
            }
            Some(toml::Value::String(s)) => Date::parse(s),
            Some(_) => None,
            None => {
                errors.push(err(line, "a waiver needs `expires` (a date: expires = 2027-03-31)".into()));
                None
            }
        };
        if expires.is_none() && t.contains_key("expires") {
            errors.push(err(line, "`expires` must be a date such as 2027-03-31".into()));
        }
        if errors.len() == before {
            if let (Some(rule), Some(justification), Some(owner), Some(expires)) =
                (rule, justification, owner, expires)
            {
                out.push(Waiver { rule, pack, input, evidence, justification, owner, expires, line });
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// What a waiver can be applied to: one finding of a report.
pub trait Waivable {
    fn rule_id(&self) -> &str;
    /// The ID of the pack the finding's rule belongs to.
    fn pack_id(&self) -> &str;
    /// The input the finding is about (a path as the report prints it).
    fn input(&self) -> &str;
    /// Only detected findings are waived.
    fn is_detected(&self) -> bool;
    /// The texts a waiver's `evidence` is looked for in: artifacts, fact paths, values, lines.
    fn evidence_texts(&self) -> Vec<String>;
    /// Records that `waiver` covers this finding.
    fn mark_waived(&mut self, waiver: &Waiver);
}

/// What applying the waivers did. Indexes point into the findings and waivers given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WaiverReport {
    /// (finding, waiver) pairs: findings now marked waived.
    pub waived: Vec<(usize, usize)>,
    /// (finding, waiver) pairs: findings a waiver would cover but it has expired.
    pub resurfaced: Vec<(usize, usize)>,
    /// Live waivers that matched no detected finding.
    pub unused: Vec<usize>,
}

impl WaiverReport {
    /// Warnings to print: resurfaced findings and unused waivers.
    pub fn warnings(&self, waivers: &[Waiver]) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        for &(_, w) in &self.resurfaced {
            if !seen.contains(&w) {
                seen.push(w);
                let n = self.resurfaced.iter().filter(|(_, x)| *x == w).count();
                let wv = &waivers[w];
                out.push(format!(
                    "waiver for {} (line {}, owner {}) expired on {}; {n} finding(s) are reported again",
                    wv.target(),
                    wv.line,
                    wv.owner,
                    wv.expires
                ));
            }
        }
        for &w in &self.unused {
            let wv = &waivers[w];
            out.push(format!(
                "waiver for {} (line {}, owner {}) matched no finding; remove it if the problem is fixed",
                wv.target(),
                wv.line,
                wv.owner
            ));
        }
        out
    }
}

/// Applies waivers to findings as of `today`. The first live waiver that matches a detected
/// finding waives it.
pub fn apply_waivers<F: Waivable>(findings: &mut [F], waivers: &[Waiver], today: Date) -> WaiverReport {
    let mut report = WaiverReport::default();
    let mut used = vec![false; waivers.len()];
    for (fi, f) in findings.iter_mut().enumerate() {
        if !f.is_detected() {
            continue;
        }
        let live = waivers.iter().position(|w| !w.is_expired(today) && w.matches(f));
        if let Some(wi) = live {
            f.mark_waived(&waivers[wi]);
            used[wi] = true;
            report.waived.push((fi, wi));
        } else if let Some(wi) = waivers.iter().position(|w| w.is_expired(today) && w.matches(f)) {
            used[wi] = true;
            report.resurfaced.push((fi, wi));
        }
    }
    report.unused = (0..waivers.len()).filter(|&i| !used[i] && !waivers[i].is_expired(today)).collect();
    report
}

/// `*` matches any run of characters (including `/`), `?` any one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct F {
        rule: &'static str,
        pack: &'static str,
        input: &'static str,
        detected: bool,
        evidence: Vec<String>,
        waived_by: Option<String>,
    }

    impl Waivable for F {
        fn rule_id(&self) -> &str {
            self.rule
        }
        fn pack_id(&self) -> &str {
            self.pack
        }
        fn input(&self) -> &str {
            self.input
        }
        fn is_detected(&self) -> bool {
            self.detected
        }
        fn evidence_texts(&self) -> Vec<String> {
            self.evidence.clone()
        }
        fn mark_waived(&mut self, w: &Waiver) {
            self.waived_by = Some(w.owner.clone());
        }
    }

    fn f(rule: &'static str, input: &'static str, evidence: &str) -> F {
        F {
            rule,
            pack: "wsus-tls",
            input,
            detected: true,
            evidence: vec![evidence.to_owned()],
            waived_by: None,
        }
    }

    #[test]
    fn a_waiver_naming_a_pack_covers_only_that_packs_rule() {
        let text = "[[waiver]]\nrule = \"CMTLS001\"\npack = \"cm-client-tls12\"\njustification = \"j\"\nowner = \"o\"\nexpires = 2030-01-01\n";
        let waivers = parse_waivers(text, "w.toml").expect("valid");
        assert_eq!(waivers[0].pack.as_deref(), Some("cm-client-tls12"));
        let mut findings = vec![
            F { pack: "other-team", ..f("CMTLS001", "a", "") },
            F { pack: "cm-client-tls12", ..f("CMTLS001", "a", "") },
        ];
        let r = apply_waivers(&mut findings, &waivers, Date::parse("2026-11-25").expect("date"));
        assert_eq!(r.waived, vec![(1, 0)]);
        assert_eq!(findings[0].waived_by, None);
        // Without `pack`, the rule ID of every pack matches.
        let any = parse_waivers(&text.replace("pack = \"cm-client-tls12\"\n", ""), "w.toml").expect("valid");
        let mut both = vec![F { pack: "other-team", ..f("CMTLS001", "a", "") }, f("CMTLS001", "a", "")];
        assert_eq!(
            apply_waivers(&mut both, &any, Date::parse("2026-11-25").expect("date")).waived,
            vec![(0, 0), (1, 0)]
        );
        let mut none = vec![F { pack: "x", ..f("CMTLS001", "a", "") }];
        let unused = apply_waivers(&mut none, &waivers, Date::parse("2026-11-25").expect("date"));
        assert_eq!(unused.warnings(&waivers), vec!["waiver for cm-client-tls12/CMTLS001 (line 1, owner o) matched no finding; remove it if the problem is fixed".to_owned()]);
    }

    const FILE: &str = r#"
[[waiver]]
rule = "WSUS010"
input = "fleet/wsus-0*"
justification = "endpoint migration CHG-1"
owner = "team-a"
expires = 2027-03-31

[[waiver]]
rule = "WSUS001"
evidence = "forcibly closed"
justification = "known"
owner = "team-b"
expires = "2026-01-31"

[[waiver]]
rule = "WSUS005"
justification = "nothing matches this"
owner = "team-c"
expires = 2030-01-01
"#;

    #[test]
    fn waived_resurfaced_unused() {
        let waivers = parse_waivers(FILE, "waivers.toml").expect("valid");
        assert_eq!(waivers.len(), 3);
        assert_eq!((waivers[0].line, waivers[1].expires), (2, Date { year: 2026, month: 1, day: 31 }));
        let mut findings = vec![
            f("WSUS010", "fleet/wsus-01", "MUUrl"),
            f("WSUS010", "fleet/other", "MUUrl"),
            f("WSUS001", "fleet/wsus-02", "An existing connection was forcibly closed by the remote host"),
            F { detected: false, ..f("WSUS005", "x", "") },
        ];
        let today = Date::parse("2026-11-25").expect("date");
        let r = apply_waivers(&mut findings, &waivers, today);
        assert_eq!(r.waived, vec![(0, 0)]);
        assert_eq!(r.resurfaced, vec![(2, 1)]);
        assert_eq!(r.unused, vec![2]);
        assert_eq!(findings[0].waived_by.as_deref(), Some("team-a"));
        assert!(findings[1].waived_by.is_none() && findings[2].waived_by.is_none());
        let w = r.warnings(&waivers);
        assert!(w[0].contains("expired on 2026-01-31; 1 finding(s)"), "{w:?}");
        assert!(w[1].contains("WSUS005 (line 16"), "{w:?}");

        // The last day of a waiver still counts; the next day it is expired.
        let mut again = vec![f("WSUS001", "a", "forcibly closed")];
        assert_eq!(
            apply_waivers(&mut again, &waivers, Date::parse("2026-01-31").expect("d")).waived,
            vec![(0, 1)]
        );
        let mut later = vec![f("WSUS001", "a", "forcibly closed")];
        assert_eq!(
            apply_waivers(&mut later, &waivers, Date::parse("2026-02-01").expect("d")).resurfaced,
            vec![(0, 1)]
        );
    }

    #[test]
    fn malformed_files_report_every_problem() {
        let bad = r#"
[[waiver]]
rule = "WSUS001"
owner = ""
expires = "2026-02-30"
colour = "red"

[[waiver]]
justification = "x"
owner = "y"
expires = 2026-01-01T10:00:00Z
"#;
        let errs = parse_waivers(bad, "w.toml").expect_err("invalid");
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert!(msgs.iter().any(|m| m.starts_with("w.toml:2: unknown key `colour`")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m == "w.toml:2: a waiver needs `justification`"), "{msgs:?}");
        assert!(msgs.iter().any(|m| m == "w.toml:2: `owner` is empty"), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.starts_with("w.toml:2: `expires` must be a date")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m == "w.toml:8: a waiver needs `rule`"), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.starts_with("w.toml:8: `expires` must be a date")), "{msgs:?}");
        assert_eq!(msgs.len(), 6, "{msgs:?}");
        assert!(parse_waivers("[[waiver]\n", "w").is_err());
        assert!(parse_waivers("waiver = 3\n", "w").is_err());
        assert_eq!(parse_waivers("", "w").expect("empty is fine"), vec![]);
    }

    #[test]
    fn dates_and_globs() {
        assert_eq!(Date::parse("2024-02-29").map(|d| d.to_string()).as_deref(), Some("2024-02-29"));
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "24-01-01", "2024-01-00", "abcd-ef-gh"] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::from_unix(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix(1_795_609_500).to_string(), "2026-11-25");
        assert!(
            glob_match("fleet/*", "fleet/a/b") && glob_match("w?us*", "wsus-01") && !glob_match("a*b", "acd")
        );
        assert!(glob_match("*", "") && !glob_match("?", ""));
    }

    proptest::proptest! {
        #[test]
        fn from_unix_agrees_with_parse(days in 0i64..60_000) {
            let d = Date::from_unix(days * 86_400 + 3_600);
            proptest::prop_assert_eq!(Date::parse(&d.to_string()), Some(d));
        }
    }
}
