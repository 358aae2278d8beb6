//! String values a `.reg` export stores as hex — `hex(1)` (REG_SZ), `hex(2)` (REG_EXPAND_SZ,
//! how `reg export` writes a profile path) and `hex(7)` (REG_MULTI_SZ, how it writes a list of
//! domain controllers) — are UTF-16LE strings spelt as comma-separated bytes over continuation
//! lines. Redaction must see through them: [`find`] decodes each, and [`encode`] writes a
//! redacted string back in the same form, wrapped as `reg export` wraps it.

use std::ops::Range;

/// One hex-encoded string value of a `.reg` text.
#[derive(Debug)]
pub struct HexString {
    /// The value name (`(default)` for `@`).
    pub name: String,
    /// `1`, `2` or `7`.
    pub kind: u8,
    /// Bytes of the text from `hex(N):` to the last byte's digits (continuations included).
    pub range: Range<usize>,
    /// The column `hex(N):` starts at, for re-wrapping.
    pub column: usize,
    /// The decoded string (a REG_MULTI_SZ's strings separated by NUL, as stored).
    pub text: String,
    /// The data ends with a continuation `\` and nothing follows (a truncated export): kept so,
    /// so that a rewritten value is as broken as the original.
    pub unterminated: bool,
}

/// Every `hex(1)`, `hex(2)` and `hex(7)` value of a `.reg` text, in order. Linear in the text.
pub fn find(text: &str) -> Vec<HexString> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut line_start = 0;
    while line_start < b.len() {
        let line_end = b[line_start..].iter().position(|c| *c == b'\n').map_or(b.len(), |p| line_start + p);
        let next = line_end + 1;
        let line = &text[line_start..line_end];
        let Some((name, at)) = value_head(line) else {
            line_start = next;
            continue;
        };
        let rest = &line[at..];
        let lower: String = rest.chars().take(7).collect::<String>().to_ascii_lowercase();
        let kind = match lower.as_str() {
            "hex(1):" => 1,
            "hex(2):" => 2,
            "hex(7):" => 7,
            _ => {
                line_start = next;
                continue;
            }
        };
        let start = line_start + at;
        // The data runs on while a line ends with `\`.
        let mut end = line_end;
        let mut cursor = next;
        while trimmed_end(&text[line_start.max(start)..end]).ends_with('\\') && cursor < b.len() {
            let e = b[cursor..].iter().position(|c| *c == b'\n').map_or(b.len(), |p| cursor + p);
            end = e;
            cursor = e + 1;
        }
        let data = &text[start + 7..end];
        let bytes: Vec<u8> = data
            .split(|c: char| c == ',' || c == '\\' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .filter_map(|t| u8::from_str_radix(t, 16).ok())
            .collect();
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        let decoded = String::from_utf16_lossy(&units);
        let data_end = start + 7 + trimmed_end(data).len();
        let unterminated = trimmed_end(data).ends_with('\\');
        out.push(HexString { name, kind, range: start..data_end, column: at, text: decoded, unterminated });
        line_start = cursor.max(next);
    }
    out
}

fn trimmed_end(s: &str) -> &str {
    s.trim_end_matches(['\r', ' ', '\t'])
}

/// `"Name"=` or `@=` at the start of a line (after blanks): the name and where the data starts.
fn value_head(line: &str) -> Option<(String, usize)> {
    let lead = line.len() - line.trim_start().len();
    let l = &line[lead..];
    if l.starts_with("@=") {
        return Some(("(default)".into(), lead + 2));
    }
    let body = l.strip_prefix('"')?;
    let mut name = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    name.push(n);
                }
            }
            '"' => {
                return body[i + 1..].starts_with('=').then_some((name, lead + 1 + i + 2));
            }
            c => name.push(c),
        }
    }
    None
}

/// `hex(N):xx,xx,…` for `text`, UTF-16LE with its terminating NUL(s), wrapped as `reg export`
/// wraps (lines of at most 80 columns ending in `,\`, continued after two spaces). `column` is
/// where `hex(N):` starts on its line; `newline` is the file's line ending.
pub fn encode(kind: u8, text: &str, column: usize, newline: &str) -> String {
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut out = format!("hex({kind}):");
    let mut col = column + out.len();
    for (i, byte) in bytes.iter().enumerate() {
        let last = i + 1 == bytes.len();
        let piece = if last { format!("{byte:02x}") } else { format!("{byte:02x},") };
        if col + piece.len() > 78 && !last {
            out.push('\\');
            out.push_str(newline);
            out.push_str("  ");
            col = 2;
        }
        out.push_str(&piece);
        col += piece.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_of(s: &str) -> String {
        s.encode_utf16().flat_map(u16::to_le_bytes).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(",")
    }

    #[test]
    fn values_over_continuation_lines_are_decoded() {
        let text = format!(
            "[HKEY_LOCAL_MACHINE\\X]\r\n\"ProfileImagePath\"=hex(2):{},\\\r\n  {}\r\n\"Dcs\"=hex(7):{}\r\n\"N\"=dword:00000001\r\n",
            hex_of("C:\\Users\\"),
            hex_of("dave\0"),
            hex_of("dc03.contoso.local\0dc04\0\0")
        );
        let found = find(&text);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].name.as_str(), found[0].kind), ("ProfileImagePath", 2));
        assert_eq!(found[0].text, "C:\\Users\\dave\0");
        assert_eq!(found[1].text, "dc03.contoso.local\0dc04\0\0");
        assert!(text[found[0].range.clone()].starts_with("hex(2):43,00"));
        assert!(text[found[0].range.clone()].ends_with("00,00"));
    }

    #[test]
    fn encoding_round_trips_and_wraps() {
        let s = "%SystemDrive%\\Users\\user-1234abcd\\AppData\\Local\\Something long enough to wrap\0";
        let enc = encode(2, s, 20, "\r\n");
        assert!(enc.lines().all(|l| l.len() <= 80), "{enc}");
        let text = format!("\"ProfileImagePath\"={enc}\r\n");
        let found = find(&text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, s);
    }
}
