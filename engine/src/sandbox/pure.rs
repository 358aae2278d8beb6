//! The pure helpers: functions of their arguments only, shared by the registered functions and
//! the fast path (`crate::fast`).

use std::cell::RefCell;
use std::collections::HashMap;

use rhai::{Array, Dynamic, ImmutableString};

thread_local! {
    static REGEX_CACHE: RefCell<HashMap<String, Option<regex::Regex>>> = RefCell::new(HashMap::new());
}

/// Canonical lower-case form of a registry key path: hive abbreviated, single backslashes.
pub fn normalise_key(key: &str) -> String {
    let key = key.trim().trim_matches('\\');
    let (hive, rest) = key.split_once('\\').unwrap_or((key, ""));
    let short = [
        ("HKEY_LOCAL_MACHINE", "hklm"),
        ("HKEY_CURRENT_USER", "hkcu"),
        ("HKEY_CLASSES_ROOT", "hkcr"),
        ("HKEY_USERS", "hku"),
        ("HKEY_CURRENT_CONFIG", "hkcc"),
    ]
    .iter()
    .find(|(long, _)| long.eq_ignore_ascii_case(hive))
    .map(|(_, s)| *s);
    // One allocation: this runs on every registry helper call.
    let mut out = String::with_capacity(key.len());
    match short {
        Some(s) => out.push_str(s),
        None => out.extend(hive.chars().map(|c| c.to_ascii_lowercase())),
    }
    for seg in rest.split('\\').filter(|s| !s.is_empty()) {
        out.push('\\');
        if seg.is_ascii() {
            out.extend(seg.chars().map(|c| c.to_ascii_lowercase()));
        } else {
            out.push_str(&seg.to_lowercase());
        }
    }
    out
}

/// `contains_ci(list, item)`: whether a string of `list` is `item`, ignoring ASCII case.
pub(crate) fn contains_ci_list(list: &[Dynamic], item: &str) -> bool {
    let item = item.as_bytes();
    let last = item.last().map(u8::to_ascii_lowercase);
    list.iter().any(|x| {
        x.read_lock::<ImmutableString>().is_some_and(|s| {
            let s = s.as_bytes();
            // The last byte first: identifiers such as KB numbers share long prefixes.
            s.len() == item.len()
                && s.last().map(u8::to_ascii_lowercase) == last
                && s.eq_ignore_ascii_case(item)
        })
    })
}

/// `contains_ci(text, part)`: whether `text` contains `part`, ignoring case.
pub(crate) fn contains_ci_str(s: &str, item: &str) -> bool {
    s.to_lowercase().contains(&item.to_lowercase())
}

/// Compares two dotted versions as [`triage_facts::Version`] parses and orders them (missing
/// components count as 0), without allocating: `None` if either is not a version.
pub(crate) fn version_cmp(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    fn body(s: &str) -> Option<&str> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        (!s.is_empty()).then_some(s)
    }
    let (mut a, mut b) = (body(a)?.split('.'), body(b)?.split('.'));
    let mut order = std::cmp::Ordering::Equal;
    loop {
        let (x, y) = match (a.next(), b.next()) {
            (None, None) => return Some(order),
            (x, y) => {
                (x.map_or(Some(0), |p| p.parse::<u64>().ok())?, y.map_or(Some(0), |p| p.parse::<u64>().ok())?)
            }
        };
        // Every component is parsed, even after the order is known: `1.x` is not a version.
        order = order.then(x.cmp(&y));
    }
}

pub(super) fn as_str(d: &Dynamic) -> Option<String> {
    d.read_lock::<ImmutableString>().map(|s| s.to_string())
}

pub(super) fn strings(a: &Array) -> impl Iterator<Item = String> + '_ {
    a.iter().filter_map(as_str)
}

pub(super) fn with_regex<R>(
    re: &str,
    f: impl FnOnce(&regex::Regex) -> R,
) -> Result<R, Box<rhai::EvalAltResult>> {
    REGEX_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 1024 {
            c.clear();
        }
        let compiled = c
            .entry(re.to_owned())
            .or_insert_with(|| regex::RegexBuilder::new(re).size_limit(1 << 20).build().ok());
        match compiled {
            Some(r) => Ok(f(r)),
            None => Err(format!("invalid regex {re:?}").into()),
        }
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use triage_facts::Version;

    use super::version_cmp;

    fn reference(a: &str, b: &str) -> Option<std::cmp::Ordering> {
        Some(Version::parse(a)?.cmp(&Version::parse(b)?))
    }

    #[test]
    fn version_cmp_examples() {
        use std::cmp::Ordering::*;
        assert_eq!(version_cmp("6.3.9600", "6.3.9600"), Some(Equal));
        assert_eq!(version_cmp("6.3", "6.3.0.0"), Some(Equal));
        assert_eq!(version_cmp("10.0.17763", "6.3.9600"), Some(Greater));
        assert_eq!(version_cmp(" v6.2 ", "6.3"), Some(Less));
        assert_eq!(version_cmp("6.x", "6.3"), None);
        assert_eq!(version_cmp("7.0.x", "6.3"), None, "a bad component after the order is known");
        assert_eq!(version_cmp("6.3", ""), None);
        assert_eq!(version_cmp("6..3", "6.3"), None);
    }

    proptest! {
        #[test]
        fn version_cmp_agrees_with_version(a in "[vV ]?[0-9+x]{0,3}(\\.[0-9+x]{0,3}){0,4} ?", b in "[vV ]?[0-9+x]{0,3}(\\.[0-9+x]{0,3}){0,4} ?") {
            prop_assert_eq!(version_cmp(&a, &b), reference(&a, &b));
        }
    }
}
