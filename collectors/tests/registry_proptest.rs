//! Property tests: a generated registry tree, written as `.reg` text the way regedit writes it
//! (UTF-16LE with BOM and CRLF for version 5.00; single-byte text for REGEDIT4; long hex data
//! wrapped with `,\` and a two-space indent), parses back to the same tree. Comments, blank lines,
//! hive spellings and line endings vary; none of them may change the result.

use std::collections::BTreeMap;

use proptest::prelude::*;
use triage_collectors::registry::{self, reg_file::RegData, reg_value};
use triage_facts::Value;

/// A key: index into [`HIVES`] and the segments below the hive.
type KeyPath = (usize, Vec<String>);
/// A value: its name (`None` for `@`) and data.
type RegValue = (Option<String>, RegData);

#[derive(Clone, Debug)]
struct Tree {
    keys: Vec<(KeyPath, Vec<RegValue>)>,
}

const HIVES: &[(&str, &str)] = &[
    ("HKEY_LOCAL_MACHINE", "HKLM"),
    ("HKEY_CURRENT_USER", "HKCU"),
    ("HKEY_USERS", "HKU"),
    ("HKEY_CLASSES_ROOT", "HKCR"),
];

/// Names that cannot collide with the well-known spellings table (which would re-spell them).
fn name() -> impl Strategy<Value = String> {
    "Kx[a-zA-Z0-9 ._\u{e9}\u{fc}-]{0,10}".prop_map(|s| s.trim_end().to_owned())
}

fn value_name() -> impl Strategy<Value = Option<String>> {
    prop_oneof![1 => Just(None), 6 => "Vx[a-zA-Z0-9 \"\\\\=\\[\\];,.\u{e9}]{0,12}".prop_map(Some)]
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 \"\\\\=%;,.:\u{e9}\u{df}\u{fc}-]{0,40}"
}

fn data() -> impl Strategy<Value = RegData> {
    prop_oneof![
        text().prop_map(RegData::Sz),
        any::<u32>().prop_map(RegData::Dword),
        any::<u64>().prop_map(RegData::Qword),
        proptest::collection::vec(any::<u8>(), 0..90).prop_map(RegData::Binary),
        text().prop_map(RegData::ExpandSz),
        proptest::collection::vec("[a-zA-Z0-9 %\\\\.\u{e9}]{1,20}", 0..5).prop_map(RegData::MultiSz),
        (
            prop_oneof![Just(0u32), Just(5), Just(6), Just(8), Just(9), Just(0xa)],
            proptest::collection::vec(any::<u8>(), 0..30)
        )
            .prop_map(|(kind, bytes)| RegData::Other { kind, bytes }),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let key = (0..HIVES.len(), proptest::collection::vec(name(), 1..4));
    let values = proptest::collection::vec((value_name(), data()), 0..6);
    proptest::collection::vec((key, values), 1..6).prop_map(|keys| {
        // Key paths and value names are case-insensitive: keep the first of each.
        let mut seen = std::collections::BTreeSet::new();
        let keys = keys
            .into_iter()
            .filter(|((h, segs), _)| seen.insert((*h, segs.join("\\").to_lowercase())))
            .map(|(k, vals)| {
                let mut names = std::collections::BTreeSet::new();
                let vals = vals
                    .into_iter()
                    .filter(|(n, _)| names.insert(n.as_ref().map(|n| n.to_lowercase())))
                    .collect();
                (k, vals)
            })
            .collect();
        Tree { keys }
    })
}

#[derive(Clone, Copy, Debug)]
struct Style {
    v5: bool,
    crlf: bool,
    long_hive: bool,
    comments: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(v5, crlf, long_hive, comments)| Style { v5, crlf, long_hive, comments })
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Bytes of a string value as the format stores them: UTF-16LE in 5.00, Windows-1252 in REGEDIT4
/// (the generated characters are all in Latin-1, where Windows-1252 agrees).
fn string_bytes(s: &str, v5: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for c in s.chars() {
        if v5 {
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                out.extend(u.to_le_bytes());
            }
        } else {
            out.push(u8::try_from(u32::from(c)).expect("latin-1 character"));
        }
    }
    out
}

/// `prefix` + hex bytes, wrapped as regedit wraps them (lines of at most 80 columns).
fn hex_lines(prefix: &str, bytes: &[u8], nl: &str) -> String {
    let mut out = prefix.to_owned();
    let mut col = prefix.chars().count();
    for (i, b) in bytes.iter().enumerate() {
        let piece = if i + 1 < bytes.len() { format!("{b:02x},") } else { format!("{b:02x}") };
        if col + piece.len() > 77 && i > 0 {
            out.push('\\');
            out.push_str(nl);
            out.push_str("  ");
            col = 2;
        }
        out.push_str(&piece);
        col += piece.len();
    }
    out
}

fn write(tree: &Tree, st: Style) -> Vec<u8> {
    let nl = if st.crlf { "\r\n" } else { "\n" };
    let mut s = String::new();
    s.push_str(if st.v5 { "Windows Registry Editor Version 5.00" } else { "REGEDIT4" });
    s.push_str(nl);
    for ((h, segs), vals) in &tree.keys {
        s.push_str(nl);
        if st.comments {
            s.push_str("; exported by a property test");
            s.push_str(nl);
        }
        let hive = if st.long_hive { HIVES[*h].0 } else { HIVES[*h].1 };
        s.push_str(&format!("[{hive}\\{}]{nl}", segs.join("\\")));
        for (name, data) in vals {
            let lhs = match name {
                Some(n) => format!("{}=", quote(n)),
                None => "@=".to_owned(),
            };
            let line = match data {
                RegData::Sz(t) => format!("{lhs}{}", quote(t)),
                RegData::Dword(d) => format!("{lhs}dword:{d:08x}"),
                RegData::Qword(q) => hex_lines(&format!("{lhs}hex(b):"), &q.to_le_bytes(), nl),
                RegData::Binary(b) => hex_lines(&format!("{lhs}hex:"), b, nl),
                RegData::ExpandSz(t) => {
                    let mut b = string_bytes(t, st.v5);
                    b.extend(if st.v5 { &[0u8, 0][..] } else { &[0u8][..] });
                    hex_lines(&format!("{lhs}hex(2):"), &b, nl)
                }
                RegData::MultiSz(items) => {
                    let zero: &[u8] = if st.v5 { &[0, 0] } else { &[0] };
                    let mut b = Vec::new();
                    for it in items {
                        b.extend(string_bytes(it, st.v5));
                        b.extend(zero);
                    }
                    b.extend(zero);
                    hex_lines(&format!("{lhs}hex(7):"), &b, nl)
                }
                RegData::Other { kind, bytes } => hex_lines(&format!("{lhs}hex({kind:x}):"), bytes, nl),
            };
            s.push_str(&line);
            if st.comments && matches!(data, RegData::Dword(_)) {
                s.push_str(" ; a trailing comment");
            }
            s.push_str(nl);
        }
    }
    if st.v5 {
        let mut out = vec![0xFF, 0xFE];
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    } else {
        s.into_bytes()
    }
}

type Plain = BTreeMap<String, BTreeMap<String, Value>>;

fn expected(tree: &Tree) -> Plain {
    // A path prefix is spelled as it was first seen in the file.
    let mut spelled: BTreeMap<String, String> = BTreeMap::new();
    tree.keys
        .iter()
        .map(|((h, segs), vals)| {
            let mut path = HIVES[*h].1.to_owned();
            for seg in segs {
                let candidate = format!("{path}\\{seg}");
                path = spelled.entry(candidate.to_lowercase()).or_insert(candidate).clone();
            }
            let values = vals
                .iter()
                .map(|(n, d)| (n.clone().unwrap_or_else(|| "(default)".into()), reg_value(d.clone())))
                .collect();
            (path, values)
        })
        .collect()
}

fn parsed(bytes: &[u8]) -> (Plain, Vec<String>) {
    let out = registry::collect_bytes("gen.reg", bytes);
    let errors = out.errors.iter().map(ToString::to_string).collect();
    let plain = out
        .facts
        .get("registry")
        .and_then(|f| f.as_map())
        .map(|keys| {
            keys.iter()
                .map(|(k, f)| {
                    let vals =
                        f.as_map().map(|m| m.iter().map(|(n, v)| (n.clone(), v.value.clone())).collect());
                    (k.clone(), vals.unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    (plain, errors)
}

/// A file that is nothing but a UTF-16 byte-order mark once overflowed `text::decode`; it has its
/// own regression test ([`bom_only_utf16_file`]), so the generators leave it to that test.
fn is_bom_only(bytes: &[u8]) -> bool {
    bytes == [0xFF, 0xFE] || bytes == [0xFE, 0xFF]
}

#[test]
fn bom_only_utf16_file() {
    let out = registry::collect_bytes("empty.reg", &[0xFF, 0xFE]);
    assert_eq!(out.encoding.as_deref(), Some("utf-16le"));
    assert!(out.facts.get("registry").and_then(|f| f.as_map()).is_some_and(BTreeMap::is_empty));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn written_trees_parse_back(tree in tree(), st in style()) {
        let bytes = write(&tree, st);
        let (got, errors) = parsed(&bytes);
        prop_assert_eq!(errors, Vec::<String>::new());
        prop_assert_eq!(got, expected(&tree));
    }

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        prop_assume!(!is_bom_only(&bytes));
        let _ = registry::collect_bytes("fuzz.reg", &bytes);
    }

    #[test]
    fn any_reg_like_text_never_panics(lines in proptest::collection::vec(
        "(\\[-?HK[A-Z_]{0,20}(\\\\[a-z ]{0,5}){0,3}\\]?|\"[a-z\\\\\"]{0,5}\"?=(dword:[0-9a-fz]{0,9}|hex(\\([0-9a-bz]{0,2}\\)?)?:?([0-9a-fz,]{0,12}\\\\?)|\"[a-z\\\\\"]{0,5}\"?|-)|  [0-9a-f,]{0,8}\\\\?|;.*|@=.{0,5}|\u{feff}?REGEDIT4|)",
        0..30,
    ), utf16 in any::<bool>()) {
        let text = lines.join("\r\n");
        let bytes = if utf16 {
            let mut v = vec![0xFF, 0xFE];
            v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            v
        } else {
            text.into_bytes()
        };
        prop_assume!(!is_bom_only(&bytes));
        let out = registry::collect_bytes("fuzz.reg", &bytes);
        // Every error points at a line of the input.
        let line_count = bytes.len() as u64 + 1;
        prop_assert!(out.errors.iter().all(|e| e.line.is_none_or(|l| l >= 1 && l <= line_count)));
    }
}
