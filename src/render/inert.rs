//! Terminal output made inert: text from packs and artifacts (titles, resolutions, log lines,
//! registry values) is untrusted, and a raw escape sequence in it could clear the screen, retitle
//! the terminal, hide the evidence or move the cursor over it. Every human-format writer goes
//! through [`Inert`], which passes text, `\n`, `\t` and `\r\n` through and shows every other
//! control character — C0, DEL, C1, and the bidirectional overrides that reorder what a reader
//! sees — as a visible `\u{..}` escape. The colour triage itself draws (SGR sequences,
//! `ESC [ … m`) passes only when colour is on; with colour off nothing escapes at all.
//!
//! It is a writer rather than a function over strings so that no path into the terminal can
//! forget it: miette's snippets, the resolution, notes and error lines all pass the same filter.
//! Sequences split across `write` calls (formatting writes a line in pieces) are held until they
//! are complete.

use std::io::{self, Write};

/// The longest colour sequence triage writes is `ESC[1;38;5;208m`; anything longer is not ours.
const MAX_SGR: usize = 24;

pub struct Inert<W: Write> {
    inner: W,
    colour: bool,
    /// Bytes of a sequence that may continue in the next write.
    pending: Vec<u8>,
}

impl<W: Write> Inert<W> {
    pub fn new(inner: W, colour: bool) -> Inert<W> {
        Inert { inner, colour, pending: Vec::new() }
    }

    /// Filters `pending`, keeping back a trailing sequence that may not be complete yet (unless
    /// `last`), and writes the rest.
    fn drain(&mut self, last: bool) -> io::Result<()> {
        let (out, used) = filter(&self.pending, self.colour, last);
        self.pending.drain(..used);
        self.inner.write_all(&out)
    }
}

impl<W: Write> Write for Inert<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.drain(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain(true)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Inert<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// What `bytes` becomes, and how many of them were used (the rest may be the start of a
/// sequence that continues).
fn filter(bytes: &[u8], colour: bool, last: bool) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &bytes[i..];
        // How many bytes this step needs to decide; `None` when it may need more than there are.
        let step: Option<usize> = match b {
            0x1b => match sgr_len(rest) {
                Some(Some(n)) if colour => {
                    out.extend_from_slice(&rest[..n]);
                    Some(n)
                }
                None if !last => None,
                _ => {
                    escape(&mut out, 0x1b);
                    Some(1)
                }
            },
            b'\r' => match rest.get(1) {
                Some(b'\n') => {
                    out.extend_from_slice(b"\r\n");
                    Some(2)
                }
                None if !last => None,
                _ => {
                    escape(&mut out, u32::from(b'\r'));
                    Some(1)
                }
            },
            b'\n' | b'\t' => {
                out.push(b);
                Some(1)
            }
            0x00..=0x1f | 0x7f => {
                escape(&mut out, u32::from(b));
                Some(1)
            }
            // C1 controls, U+0080..U+009F, are C2 80..C2 9F in UTF-8.
            0xc2 => match rest.get(1) {
                Some(&c @ 0x80..=0x9f) => {
                    escape(&mut out, u32::from(c));
                    Some(2)
                }
                None if !last => None,
                _ => {
                    out.push(b);
                    Some(1)
                }
            },
            // U+202A..U+202E (E2 80 AA..AE) and U+2066..U+2069 (E2 81 A6..A9): bidi overrides.
            0xe2 => match (rest.get(1), rest.get(2)) {
                (Some(0x80), Some(&c @ 0xaa..=0xae)) => {
                    escape(&mut out, 0x2000 + u32::from(c) - 0x80);
                    Some(3)
                }
                (Some(0x81), Some(&c @ 0xa6..=0xa9)) => {
                    escape(&mut out, 0x2040 + u32::from(c) - 0x80);
                    Some(3)
                }
                (None, _) | (Some(0x80 | 0x81), None) if !last => None,
                _ => {
                    out.push(b);
                    Some(1)
                }
            },
            _ => {
                out.push(b);
                Some(1)
            }
        };
        match step {
            Some(n) => i += n,
            None => break,
        }
    }
    (out, i)
}

/// For `ESC [ digits/; m`: `Some(Some(len))`; `Some(None)` when it is something else; `None` when
/// the bytes end before that is known.
fn sgr_len(rest: &[u8]) -> Option<Option<usize>> {
    match rest.get(1) {
        None => return None,
        Some(b'[') => {}
        Some(_) => return Some(None),
    }
    for (j, &c) in rest.iter().enumerate().skip(2) {
        if j >= MAX_SGR {
            return Some(None);
        }
        match c {
            b'0'..=b'9' | b';' => {}
            b'm' => return Some(Some(j + 1)),
            _ => return Some(None),
        }
    }
    if rest.len() >= MAX_SGR {
        Some(None)
    } else {
        None
    }
}

fn escape(out: &mut Vec<u8>, c: u32) {
    out.extend_from_slice(format!("\\u{{{c:x}}}").as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(pieces: &[&[u8]], colour: bool) -> String {
        let mut out = Vec::new();
        {
            let mut w = Inert::new(&mut out, colour);
            for p in pieces {
                w.write_all(p).expect("write");
            }
        }
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let text = "clears \x1b[2J the screen, \x1b]0;owned\x07 title, bell\x07, back\x08space, del\x7f";
        assert_eq!(
            through(&[text.as_bytes()], true),
            "clears \\u{1b}[2J the screen, \\u{1b}]0;owned\\u{7} title, bell\\u{7}, back\\u{8}space, del\\u{7f}"
        );
    }

    #[test]
    fn colour_passes_only_when_colour_is_on() {
        let text = b"\x1b[1;31merror\x1b[0m";
        assert_eq!(through(&[text], true), "\x1b[1;31merror\x1b[0m");
        assert_eq!(through(&[text], false), "\\u{1b}[1;31merror\\u{1b}[0m");
    }

    #[test]
    fn sequences_split_across_writes_are_judged_whole() {
        assert_eq!(through(&[b"a\x1b", b"[3", b"1mred\x1b[0", b"m"], true), "a\x1b[31mred\x1b[0m");
        assert_eq!(through(&[b"line\r", b"\nnext\r", b"over"], true), "line\r\nnext\\u{d}over");
        assert_eq!(through(&[b"x\xe2", b"\x80", b"\xaey"], true), "x\\u{202e}y");
        assert_eq!(through(&[b"end\x1b"], true), "end\\u{1b}");
    }

    #[test]
    fn c1_controls_and_bidi_overrides_are_escaped_other_text_is_not() {
        let text = "\u{9b}31m \u{202e}txt.exe \u{2066}x\u{2069} — ☞ é ü 中";
        assert_eq!(
            through(&[text.as_bytes()], false),
            "\\u{9b}31m \\u{202e}txt.exe \\u{2066}x\\u{2069} — ☞ é ü 中"
        );
        assert_eq!(through(&["tab\there\nnew line\r\n".as_bytes()], false), "tab\there\nnew line\r\n");
    }
}
