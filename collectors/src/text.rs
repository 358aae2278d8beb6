//! Text encodings as Windows writes them: UTF-8 with or without BOM, UTF-16LE/BE with BOM
//! (`reg export`, `gpresult /x`, PowerShell 5.1's `>`), and UTF-16 without BOM, sniffed.
//!
//! Byte spans in provenance are offsets into the text decoded here, so every collector and the
//! report renderer must decode with [`decode`] to agree on them.

use std::fmt;

/// A text encoding triage recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
        }
    }

    /// Length of the byte-order mark this encoding was detected with, if any.
    pub fn bom_len(self, head: &[u8]) -> usize {
        match self {
            TextEncoding::Utf8Bom => 3,
            TextEncoding::Utf16Le if head.starts_with(&[0xFF, 0xFE]) => 2,
            TextEncoding::Utf16Be if head.starts_with(&[0xFE, 0xFF]) => 2,
            _ => 0,
        }
    }

    pub fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => encoding_rs::UTF_8,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Sniffs the encoding from the first bytes: a BOM decides; without one, ASCII text written as
/// UTF-16 shows NULs in every other byte.
pub fn sniff(head: &[u8]) -> TextEncoding {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return TextEncoding::Utf8Bom;
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16Le;
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16Be;
    }
    let sample = &head[..head.len().min(512) & !1];
    if sample.len() >= 4 {
        let pairs = sample.len() / 2;
        let even_nul = sample.iter().step_by(2).filter(|b| **b == 0).count();
        let odd_nul = sample.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
        if odd_nul * 10 >= pairs * 9 && even_nul * 10 < pairs {
            return TextEncoding::Utf16Le;
        }
        if even_nul * 10 >= pairs * 9 && odd_nul * 10 < pairs {
            return TextEncoding::Utf16Be;
        }
    }
    TextEncoding::Utf8
}

/// Whether the first bytes look like binary data rather than text in any encoding we read.
pub fn looks_binary(head: &[u8]) -> bool {
    match sniff(head) {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => false,
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => {
            let sample = &head[..head.len().min(4096)];
            sample.iter().filter(|b| **b == 0).count() > 0
                || sample
                    .iter()
                    .filter(|b| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
                    .count()
                    * 20
                    > sample.len().max(1)
        }
    }
}

/// A whole artifact decoded to UTF-8.
#[derive(Debug)]
pub struct DecodedText {
    /// The text without its BOM. Malformed sequences are replaced by U+FFFD.
    pub text: String,
    pub encoding: TextEncoding,
    /// Byte offset in the raw file of the first malformed sequence, if any.
    pub first_malformed: Option<u64>,
}

/// Decodes a whole artifact for a collector that reads it as text: the decoded text, and the
/// collector's output started with the encoding and, when the bytes were malformed, a collection
/// error at the offset of the first bad sequence.
pub fn decode_for_collector(
    rel_path: &str,
    collector: &str,
    bytes: &[u8],
) -> (String, triage_facts::CollectorOutput) {
    let decoded = decode(bytes);
    let mut out = triage_facts::CollectorOutput {
        encoding: Some(decoded.encoding.name().to_owned()),
        ..Default::default()
    };
    if let Some(offset) = decoded.first_malformed {
        out.errors.push(
            triage_facts::CollectionError::new(
                rel_path,
                collector,
                format!("malformed {} text (replaced with U+FFFD)", decoded.encoding),
            )
            .at_offset(offset),
        );
    }
    (decoded.text, out)
}

/// [`decode`] of an artifact's recognition head (`Artifact::head`), for `recognise`: every
/// collector is offered every file and most read its head as text, so the last head decoded on
/// this thread is kept and a head with the same bytes is not decoded again (one decode per file
/// instead of one per collector). Per thread, so nothing is shared between inputs.
pub fn decode_head(head: &[u8]) -> std::rc::Rc<DecodedText> {
    use std::cell::RefCell;
    use std::rc::Rc;
    thread_local! {
        static LAST: RefCell<Option<(Vec<u8>, Rc<DecodedText>)>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((raw, decoded)) = last.as_ref() {
            if raw.as_slice() == head {
                return Rc::clone(decoded);
            }
        }
        let decoded = Rc::new(decode(head));
        if head.len() <= triage_facts::Artifact::HEAD_LEN {
            *last = Some((head.to_vec(), Rc::clone(&decoded)));
        }
        decoded
    })
}

/// Decodes a whole artifact. Never fails: malformed input is replaced and reported.
pub fn decode(bytes: &[u8]) -> DecodedText {
    let encoding = sniff(bytes);
    let bom = encoding.bom_len(bytes);
    let body = &bytes[bom..];
    let first_malformed = first_malformed_offset(encoding, body).map(|o| o + bom as u64);
    let (text, _) = encoding.encoding_rs().decode_without_bom_handling(body);
    DecodedText { text: text.into_owned(), encoding, first_malformed }
}

fn first_malformed_offset(encoding: TextEncoding, body: &[u8]) -> Option<u64> {
    match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => {
            std::str::from_utf8(body).err().map(|e| e.valid_up_to() as u64)
        }
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            let unit = |i: usize| -> u16 {
                let (a, b) = (body[i], body[i + 1]);
                if encoding == TextEncoding::Utf16Le {
                    u16::from_le_bytes([a, b])
                } else {
                    u16::from_be_bytes([a, b])
                }
            };
            let n = body.len() / 2;
            let mut i = 0;
            while i < n {
                let u = unit(i * 2);
                if (0xD800..0xDC00).contains(&u) {
                    if i + 1 < n && (0xDC00..0xE000).contains(&unit(i * 2 + 2)) {
                        i += 2;
                        continue;
                    }
                    return Some(i as u64 * 2);
                }
                if (0xDC00..0xE000).contains(&u) {
                    return Some(i as u64 * 2);
                }
                i += 1;
            }
            (body.len() % 2 == 1).then(|| body.len() as u64 - 1)
        }
    }
}

/// Iterates over lines of decoded text as `(line number from 1, byte offset, line without its
/// CR/LF)`. Accepts CRLF, LF, and a lone CR at the end of a line.
pub fn lines_with_offsets(text: &str) -> impl Iterator<Item = (u64, usize, &str)> {
    let mut offset = 0usize;
    let mut number = 0u64;
    std::iter::from_fn(move || {
        if offset >= text.len() {
            return None;
        }
        let rest = &text[offset..];
        let (line, consumed) = match rest.find('\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        let start = offset;
        offset += consumed;
        number += 1;
        Some((number, start, line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { vec![] };
        v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        v
    }

    #[test]
    fn sniffs_boms_and_bomless_utf16() {
        assert_eq!(sniff(b"\xEF\xBB\xBFabc"), TextEncoding::Utf8Bom);
        assert_eq!(sniff(&utf16le("Windows Registry Editor", true)), TextEncoding::Utf16Le);
        assert_eq!(sniff(&utf16le("Windows Registry Editor", false)), TextEncoding::Utf16Le);
        assert_eq!(sniff(b"\xFE\xFF\x00a"), TextEncoding::Utf16Be);
        assert_eq!(sniff(b"plain text"), TextEncoding::Utf8);
    }

    #[test]
    fn decodes_utf16_with_crlf() {
        let d = decode(&utf16le("a\r\nb\r\n", true));
        assert_eq!(d.text, "a\r\nb\r\n");
        assert_eq!(d.encoding, TextEncoding::Utf16Le);
        assert_eq!(d.first_malformed, None);
        let lines: Vec<_> = lines_with_offsets(&d.text).collect();
        assert_eq!(lines, vec![(1, 0, "a"), (2, 3, "b")]);
    }

    #[test]
    fn reports_truncated_utf16_and_bad_utf8() {
        let mut bytes = utf16le("abc", true);
        bytes.push(0x41);
        let d = decode(&bytes);
        assert_eq!(d.first_malformed, Some(8));
        assert!(d.text.starts_with("abc"));
        assert_eq!(decode(b"ok\xFFno").first_malformed, Some(2));
    }

    #[test]
    fn binary_is_told_from_text() {
        assert!(looks_binary(b"\xD4\xC3\xB2\xA1\x02\x00\x04\x00\x00\x00"));
        assert!(!looks_binary(b"2020-08-01 10:00:00.000 UTC\tInfo\tw3wp.5\n"));
        assert!(!looks_binary(&utf16le("text", true)));
    }
}
