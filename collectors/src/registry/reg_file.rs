//! A line parser for `.reg` exports that keeps the line and byte span of everything it reads.
//!
//! Input is text already decoded by [`crate::text::decode`] (so spans agree with every other
//! collector). Both formats are read: `Windows Registry Editor Version 5.00` (what `reg export`
//! and regedit write, UTF-16LE with BOM and CRLF; `hex(2)`/`hex(7)` data is UTF-16LE) and
//! `REGEDIT4` (ANSI; `hex(2)`/`hex(7)` data is single-byte, read as Windows-1252). A file without
//! a header is read as 5.00 and the missing header is reported.
//!
//! Syntax handled: `[KEY]`, `[-KEY]`; `"Name"=…` and `@=…`; `"Name"=-`; `"string"` with `\\` and
//! `\"` escapes (any other backslash is kept as written); `dword:`; `hex:`; `hex(N):`; continuation
//! lines after a trailing `\` (indented or not); `;` comments on their own line or after data;
//! blank lines. The parser is best effort: a bad line becomes a [`ParseError`] with its line
//! number, and parsing resumes at the next line that is not a continuation of the bad one, so a
//! broken hex value never swallows the value after it.

use std::ops::Range;

use crate::text::lines_with_offsets;

/// Which header the file started with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegFormat {
    /// `Windows Registry Editor Version 5.00`
    V5,
    /// `REGEDIT4`
    Regedit4,
    /// No header: read as 5.00.
    Missing,
}

/// Where an entry sits in the decoded text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// 1-based first line.
    pub line: u64,
    /// 1-based last line (equal to `line` unless the value was continued).
    pub end_line: u64,
    /// Byte range in the decoded text, from the first non-blank character to the end of the
    /// last line (line terminators excluded).
    pub span: Range<usize>,
}

/// A value's data, typed as the registry types it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegData {
    /// `"text"` or `hex(1):` — REG_SZ.
    Sz(String),
    /// `hex(2):` — REG_EXPAND_SZ, decoded.
    ExpandSz(String),
    /// `hex(7):` — REG_MULTI_SZ, decoded; trailing empty strings (the terminators) dropped.
    MultiSz(Vec<String>),
    /// `dword:` or a 4-byte `hex(4):` — REG_DWORD.
    Dword(u32),
    /// An 8-byte `hex(b):` — REG_QWORD.
    Qword(u64),
    /// `hex:` or `hex(3):` — REG_BINARY.
    Binary(Vec<u8>),
    /// Any other `hex(N):`, or a `hex(4)`/`hex(b)` of the wrong length.
    Other { kind: u32, bytes: Vec<u8> },
}

/// One statement of the file, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `[PATH]`: the path exactly as written between the brackets.
    Key { path: String, at: Location },
    /// `[-PATH]`
    DeleteKey { path: String, at: Location },
    /// `"Name"=data` or `@=data` (`name` is `None` for the default value).
    Value { name: Option<String>, data: RegData, at: Location },
    /// `"Name"=-`
    DeleteValue { name: Option<String>, at: Location },
}

/// A problem on one line; the rest of the file is still read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: u64,
    pub message: String,
}

/// The result of reading one `.reg` text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegFile {
    pub format: RegFormat,
    pub entries: Vec<Entry>,
    pub errors: Vec<ParseError>,
}

pub const HEADER_V5: &str = "Windows Registry Editor Version 5.00";
pub const HEADER_REGEDIT4: &str = "REGEDIT4";

/// Which header `line` is, if any (case-insensitive, surrounding blanks and a BOM ignored).
pub fn header_of(line: &str) -> Option<RegFormat> {
    let t = line.trim_start_matches('\u{feff}').trim();
    if t.eq_ignore_ascii_case(HEADER_V5) {
        Some(RegFormat::V5)
    } else if t.eq_ignore_ascii_case(HEADER_REGEDIT4) {
        Some(RegFormat::Regedit4)
    } else {
        None
    }
}

struct Line<'a> {
    number: u64,
    offset: usize,
    text: &'a str,
}

/// Parses decoded `.reg` text. Never fails and never panics.
pub fn parse(text: &str) -> RegFile {
    let lines: Vec<Line<'_>> =
        lines_with_offsets(text).map(|(number, offset, text)| Line { number, offset, text }).collect();
    let mut out = RegFile { format: RegFormat::Missing, entries: Vec::new(), errors: Vec::new() };
    let mut seen_content = false;
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        i += 1;
        let body = line.text.trim_start_matches('\u{feff}');
        let trimmed = body.trim_start();
        let lead = line.text.len() - trimmed.len();
        if trimmed.trim_end().is_empty() || trimmed.starts_with(';') {
            continue;
        }
        if let Some(format) = header_of(trimmed) {
            if !seen_content {
                out.format = format;
            }
            seen_content = true;
            continue;
        }
        if !seen_content {
            out.errors.push(ParseError {
                line: line.number,
                message: format!(
                    "missing header (`{HEADER_V5}` or `{HEADER_REGEDIT4}`); reading as version 5.00"
                ),
            });
            seen_content = true;
        }
        let start = line.offset + lead;
        if let Some(inner) = trimmed.strip_prefix('[') {
            parse_key_line(inner, line, start, &mut out);
        } else if trimmed.starts_with('"') || trimmed.starts_with('@') {
            i = parse_value(&lines, i - 1, lead, out.format, &mut out);
        } else {
            out.errors.push(ParseError {
                line: line.number,
                message: format!("unrecognised line `{}`", abbreviate(trimmed.trim_end())),
            });
        }
    }
    out
}

fn parse_key_line(inner: &str, line: &Line<'_>, start: usize, out: &mut RegFile) {
    let Some(close) = inner.rfind(']') else {
        out.errors.push(ParseError { line: line.number, message: "key line without closing `]`".into() });
        return;
    };
    let rest = inner.get(close + 1..).unwrap_or("").trim();
    if !rest.is_empty() && !rest.starts_with(';') {
        out.errors.push(ParseError {
            line: line.number,
            message: format!("unexpected text after key: `{}`", abbreviate(rest)),
        });
    }
    let path = inner.get(..close).unwrap_or("");
    let end = start + 1 + close + 1;
    let at = Location { line: line.number, end_line: line.number, span: start..end };
    match path.strip_prefix('-') {
        Some(p) => out.entries.push(Entry::DeleteKey { path: p.trim().to_owned(), at }),
        None => out.entries.push(Entry::Key { path: path.trim().to_owned(), at }),
    }
}

/// Parses the value starting on `lines[idx]`; returns the index of the next unread line.
fn parse_value(lines: &[Line<'_>], idx: usize, lead: usize, format: RegFormat, out: &mut RegFile) -> usize {
    let Some(first) = lines.get(idx) else { return idx + 1 };
    let number = first.number;
    let body = first.text.get(lead..).unwrap_or("");
    let start = first.offset + lead;
    let err = |out: &mut RegFile, message: String| out.errors.push(ParseError { line: number, message });

    // The name.
    let (name, after_name) = if let Some(rest) = body.strip_prefix('@') {
        (None, rest)
    } else {
        match read_quoted(body) {
            Some((n, rest)) => (Some(n), rest),
            None => {
                err(out, "unterminated value name".into());
                return idx + 1;
            }
        }
    };
    let Some(data) = after_name.trim_start().strip_prefix('=') else {
        err(out, "expected `=` after the value name".into());
        return idx + 1;
    };
    let data = data.trim_start();
    let single = |end_of_line: usize| Location {
        line: number,
        end_line: number,
        span: start..first.offset + end_of_line,
    };

    if let Some(rest) = data.strip_prefix('-') {
        if !is_blank_or_comment(rest) {
            err(out, format!("unexpected text after `=-`: `{}`", abbreviate(rest.trim())));
        }
        out.entries.push(Entry::DeleteValue { name, at: single(content_end(first.text)) });
        return idx + 1;
    }
    if data.starts_with('"') {
        match read_quoted(data) {
            Some((s, rest)) => {
                if !is_blank_or_comment(rest) {
                    err(out, format!("unexpected text after string: `{}`", abbreviate(rest.trim())));
                }
                let end = first.text.len() - rest.len();
                out.entries.push(Entry::Value { name, data: RegData::Sz(s), at: single(end) });
            }
            None => err(out, "unterminated string value".into()),
        }
        return idx + 1;
    }
    let lower = data.get(..data.len().min(6)).unwrap_or("").to_ascii_lowercase();
    if lower.starts_with("dword:") {
        let digits = strip_comment(data.get(6..).unwrap_or("")).trim();
        match parse_dword(digits) {
            Some(v) => {
                out.entries.push(Entry::Value {
                    name,
                    data: RegData::Dword(v),
                    at: single(content_end(first.text)),
                });
            }
            None => err(out, format!("invalid dword `{}`", abbreviate(digits))),
        }
        return idx + 1;
    }
    if lower.starts_with("hex") {
        return parse_hex_value(lines, idx, start, name, data, format, out);
    }
    err(out, format!("unrecognised value data `{}`", abbreviate(data.trim())));
    idx + 1
}

fn parse_hex_value(
    lines: &[Line<'_>],
    idx: usize,
    start: usize,
    name: Option<String>,
    data: &str,
    format: RegFormat,
    out: &mut RegFile,
) -> usize {
    let Some(first) = lines.get(idx) else { return idx + 1 };
    let number = first.number;
    // `hex:` or `hex(N):`
    let after = data.get(3..).unwrap_or("");
    let (kind, bytes_text) = if let Some(rest) = after.strip_prefix(':') {
        (3u32, rest)
    } else if let Some(rest) = after.strip_prefix('(') {
        let Some(close) = rest.find(')') else {
            out.errors.push(ParseError { line: number, message: "`hex(` without `)`".into() });
            return skip_continuations(lines, idx);
        };
        let kind_text = rest.get(..close).unwrap_or("");
        let Ok(kind) = u32::from_str_radix(kind_text.trim(), 16) else {
            out.errors.push(ParseError {
                line: number,
                message: format!("invalid value type `hex({})`", abbreviate(kind_text)),
            });
            return skip_continuations(lines, idx);
        };
        match rest.get(close + 1..).and_then(|r| r.strip_prefix(':')) {
            Some(r) => (kind, r),
            None => {
                out.errors.push(ParseError { line: number, message: "expected `:` after `hex(N)`".into() });
                return skip_continuations(lines, idx);
            }
        }
    } else {
        out.errors.push(ParseError {
            line: number,
            message: format!("unrecognised value data `{}`", abbreviate(data.trim())),
        });
        return skip_continuations(lines, idx);
    };

    let mut bytes = Vec::new();
    let mut failed = false;
    let mut piece = bytes_text;
    let mut cur = idx;
    let mut end_line = number;
    let mut end = first.offset + content_end(first.text);
    loop {
        let (content, continued) = split_continuation(strip_comment(piece));
        let line_no = lines.get(cur).map_or(number, |l| l.number);
        for tok in content.split(',') {
            let tok = tok.trim();
            if tok.is_empty() {
                continue;
            }
            match (tok.len() <= 2).then(|| u8::from_str_radix(tok, 16).ok()).flatten() {
                Some(b) => bytes.push(b),
                None => {
                    if !failed {
                        out.errors.push(ParseError {
                            line: line_no,
                            message: format!("invalid hex byte `{}`", abbreviate(tok)),
                        });
                    }
                    failed = true;
                }
            }
        }
        if !continued {
            break;
        }
        match lines.get(cur + 1) {
            Some(next) if is_continuation(next.text) => {
                cur += 1;
                piece = next.text;
                end_line = next.number;
                end = next.offset + content_end(next.text);
            }
            Some(_) => {
                out.errors.push(ParseError {
                    line: line_no,
                    message: "value ends with `\\` but the next line does not continue it".into(),
                });
                return cur + 1;
            }
            None => {
                out.errors.push(ParseError {
                    line: line_no,
                    message: "value continues past the end of the file".into(),
                });
                return cur + 1;
            }
        }
    }
    if !failed {
        let data = typed_hex(kind, bytes, format);
        let at = Location { line: number, end_line, span: start..end };
        out.entries.push(Entry::Value { name, data, at });
    }
    cur + 1
}

/// After a malformed `hex` head, skips the lines that continue it.
fn skip_continuations(lines: &[Line<'_>], idx: usize) -> usize {
    let mut cur = idx;
    while let Some(l) = lines.get(cur) {
        let (_, continued) = split_continuation(strip_comment(l.text));
        if !continued || !lines.get(cur + 1).is_some_and(|n| is_continuation(n.text)) {
            break;
        }
        cur += 1;
    }
    cur + 1
}

/// A line that can continue hex data: hex digits, commas, blanks and a final `\`, nothing else.
fn is_continuation(line: &str) -> bool {
    let t = strip_comment(line).trim();
    !t.is_empty()
        && t.chars().all(|c| c.is_ascii_hexdigit() || c == ',' || c == '\\' || c == ' ' || c == '\t')
}

/// Splits off a trailing `\` (continuation marker).
fn split_continuation(s: &str) -> (&str, bool) {
    let t = s.trim_end();
    match t.strip_suffix('\\') {
        Some(rest) => (rest, true),
        None => (t, false),
    }
}

fn strip_comment(s: &str) -> &str {
    s.find(';').and_then(|i| s.get(..i)).unwrap_or(s)
}

fn is_blank_or_comment(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.starts_with(';')
}

/// Byte length of `line` without trailing blanks.
fn content_end(line: &str) -> usize {
    line.trim_end().len()
}

fn parse_dword(digits: &str) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// Reads `"…"` at the start of `s` with `\\` and `\"` escapes; returns the text and the rest.
fn read_quoted(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, body.get(i + 1..).unwrap_or(""))),
            '\\' => match chars.next() {
                Some((_, e @ ('\\' | '"'))) => out.push(e),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    None
}

fn typed_hex(kind: u32, bytes: Vec<u8>, format: RegFormat) -> RegData {
    match kind {
        1 => RegData::Sz(first_string(&decode_strings(&bytes, format))),
        2 => RegData::ExpandSz(first_string(&decode_strings(&bytes, format))),
        3 => RegData::Binary(bytes),
        4 => match <[u8; 4]>::try_from(bytes.as_slice()) {
            Ok(b) => RegData::Dword(u32::from_le_bytes(b)),
            Err(_) => RegData::Other { kind, bytes },
        },
        7 => {
            let mut parts: Vec<String> =
                decode_strings(&bytes, format).split('\0').map(str::to_owned).collect();
            while parts.last().is_some_and(String::is_empty) {
                parts.pop();
            }
            RegData::MultiSz(parts)
        }
        0xb => match <[u8; 8]>::try_from(bytes.as_slice()) {
            Ok(b) => RegData::Qword(u64::from_le_bytes(b)),
            Err(_) => RegData::Other { kind, bytes },
        },
        _ => RegData::Other { kind, bytes },
    }
}

fn first_string(s: &str) -> String {
    s.split('\0').next().unwrap_or("").to_owned()
}

/// Decodes string data: UTF-16LE in 5.00 files, Windows-1252 in REGEDIT4 files. NULs are kept.
fn decode_strings(bytes: &[u8], format: RegFormat) -> String {
    match format {
        RegFormat::Regedit4 => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
        RegFormat::V5 | RegFormat::Missing => {
            let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            String::from_utf16_lossy(&units)
        }
    }
}

fn abbreviate(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(f: &RegFile) -> Vec<(Option<String>, RegData)> {
        f.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Value { name, data, .. } => Some((name.clone(), data.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn reads_every_type() {
        let text = "REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\X]\n@=\"d\\\\e\\\"f\"\n\"a\"=dword:ffffffff\n\
                    \"b\"=hex(b):01,00,00,00,00,00,00,00\n\"c\"=hex(2):25,41,25,00\n\
                    \"m\"=hex(7):61,00,62,00,00\n\"x\"=hex:de,ad,\\\n  be,ef\n\"o\"=hex(0):\n\"z\"=-\n[-HKLM\\Y]\n";
        let f = parse(text);
        assert_eq!(f.format, RegFormat::Regedit4);
        assert_eq!(f.errors, vec![]);
        assert_eq!(
            values(&f),
            vec![
                (None, RegData::Sz("d\\e\"f".into())),
                (Some("a".into()), RegData::Dword(u32::MAX)),
                (Some("b".into()), RegData::Qword(1)),
                (Some("c".into()), RegData::ExpandSz("%A%".into())),
                (Some("m".into()), RegData::MultiSz(vec!["a".into(), "b".into()])),
                (Some("x".into()), RegData::Binary(vec![0xde, 0xad, 0xbe, 0xef])),
                (Some("o".into()), RegData::Other { kind: 0, bytes: vec![] }),
            ]
        );
        assert!(matches!(f.entries.last(), Some(Entry::DeleteKey { path, .. }) if path == "HKLM\\Y"));
    }

    #[test]
    fn continued_value_has_lines_and_span() {
        let text = "Windows Registry Editor Version 5.00\r\n[HKLM\\K]\r\n\"v\"=hex:01,\\\r\n  02\r\n";
        let f = parse(text);
        let Some(Entry::Value { at, .. }) = f.entries.get(1) else { panic!("value expected: {f:?}") };
        assert_eq!((at.line, at.end_line), (3, 4));
        assert_eq!(&text[at.span.clone()], "\"v\"=hex:01,\\\r\n  02");
    }
}
