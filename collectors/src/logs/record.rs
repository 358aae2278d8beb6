//! The record splitter: which lines of a log belong together.
//!
//! A log **record** is a header line plus its continuation lines (stack frames, inner-exception
//! separators, blank lines, the rest of a multi-line message). Where a record starts depends on
//! the format, and for ConfigMgr's SMS framing on where the previous one *ended*, so the
//! splitter is a small state machine fed one line at a time ([`Splitter::starts_record`]).
//!
//! The splitter never drops a byte: [`split_records`] returns contiguous ranges that cover the
//! whole input, the first line always starts a record, and a line nobody can parse simply stays
//! in the record before it (or, before any header was seen, becomes a record of its own).

use std::sync::Arc;

use triage_facts::Timestamp;

use super::softwaredistribution::{HeaderTime, TimeKey};
use super::{configmgr, softwaredistribution};

/// The rule that tells where records start, per log format.
#[derive(Clone, Debug)]
pub enum Rules {
    /// SoftwareDistribution.log: a record starts at a header line (timestamped, or a pasted
    /// header that lost its leading columns).
    Wsus,
    /// ConfigMgr logs in the framing detected for the file.
    ConfigMgr(configmgr::Framing),
    /// A pack-defined kind: a record starts at a line matching this regex (anchored at the
    /// line's start).
    Custom(Arc<regex::bytes::Regex>),
}

/// Line-at-a-time record splitter. Feed every line, in order, without its line terminator.
#[derive(Clone, Debug)]
pub struct Splitter {
    rules: Rules,
    first: bool,
    /// WSUS: a timestamped or column-lost header has been seen.
    seen_header: bool,
    /// ConfigMgr framed: the previous line closed its record (SMS `…<thread=…>` trailer).
    after_end: bool,
    /// WSUS: the time of the header line just fed, parsed once for the caller's time range.
    pub header_time: Option<triage_facts::Timestamp>,
    day: softwaredistribution::DayCache,
    /// WSUS line pass: the last valid `YYYY-MM-DD` seen by [`Splitter::starts_wsus`].
    fast_day: Option<[u8; 10]>,
}

impl Splitter {
    pub fn new(rules: Rules) -> Self {
        Splitter {
            rules,
            first: true,
            seen_header: false,
            after_end: true,
            header_time: None,
            day: None,
            fast_day: None,
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// [`Splitter::starts_record`] for [`Rules::Wsus`], the scanner's line pass: the same
    /// answer, and the header's time goes into `range` (not into `header_time`). `line` may
    /// still end with its `\n` or `\r\n`.
    ///
    /// The usual header (`YYYY-MM-DD HH:MM:SS.mmm UTC` with one space or TAB, on the day of the
    /// previous header) is recognised from its first 27 bytes with a few word operations; every
    /// other line takes [`Splitter::starts_wsus_slow`].
    #[inline(always)]
    pub fn starts_wsus(&mut self, line: &[u8], range: &mut TimeRange) -> bool {
        if let Some(key) = self.usual_header(line) {
            self.first = false;
            self.seen_header = true;
            range.add_key(key);
            return true;
        }
        self.starts_wsus_slow(strip_eol(line), range)
    }

    /// The [`TimeKey`] of a header of the usual shape on the day [`header_time_fast`]
    /// (`softwaredistribution`) last validated; `None` for anything else, which the slow path
    /// then decides (a terminator in the first 27 bytes fails the shape, so `line` may carry it).
    #[inline(always)]
    fn usual_header(&self, line: &[u8]) -> Option<TimeKey> {
        let head: &[u8; 27] = line.first_chunk()?;
        let day = self.fast_day.as_ref()?;
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&head[i * 8..i * 8 + 8]);
            u64::from_be_bytes(b)
        };
        let w = [word(0), word(1), word(2)];
        let shaped = w
            .iter()
            .zip(softwaredistribution::WORD_SHAPE)
            .all(|(x, (m, p, a, m2, p2))| (x & m) == p && (x.wrapping_add(a) & m2) == p2);
        let ok = shaped
            && head[..10] == day[..]
            && matches!(head[23], b' ' | b'\t')
            && head[24..27] == *b"UTC"
            && (head[11], head[12]) <= (b'2', b'3')
            && head[14] <= b'5'
            && (head[17], head[18]) < (b'6', b'0');
        // (A leap second, `:60`, takes the slow path, which reads it as `:59`.)
        ok.then_some([w[0], w[1], w[2] & !0xFF])
    }

    /// [`Splitter::starts_wsus`] for any line (without its terminator).
    #[inline(never)]
    pub fn starts_wsus_slow(&mut self, line: &[u8], range: &mut TimeRange) -> bool {
        let first = std::mem::replace(&mut self.first, false);
        let header = match line.first() {
            Some(b) if b.is_ascii_digit() => {
                match softwaredistribution::header_time_fast(line, &mut self.fast_day) {
                    HeaderTime::Key(k) => {
                        range.add_key(k);
                        true
                    }
                    HeaderTime::Time(t) => {
                        range.add(t);
                        true
                    }
                    HeaderTime::None => false,
                }
            }
            _ => softwaredistribution::is_header_line(line),
        };
        let starts = if header {
            self.seen_header = true;
            true
        } else {
            !self.seen_header && line.first().is_some_and(|b| !b.is_ascii_whitespace())
        };
        starts || first
    }

    /// Whether `line` (without CR/LF) starts a new record. The first line always does.
    pub fn starts_record(&mut self, line: &[u8]) -> bool {
        let first = std::mem::replace(&mut self.first, false);
        let starts = match &self.rules {
            Rules::Wsus => {
                let digit = line.first().is_some_and(u8::is_ascii_digit);
                self.header_time =
                    if digit { softwaredistribution::header_time_cached(line, &mut self.day) } else { None };
                let header = if digit {
                    self.header_time.is_some()
                } else {
                    softwaredistribution::is_header_line(line)
                };
                if header {
                    self.seen_header = true;
                    true
                } else {
                    // Before the first real header (a message-only excerpt, or a rotated file
                    // that begins mid-record) every unindented line stands on its own.
                    !self.seen_header && line.first().is_some_and(|b| !b.is_ascii_whitespace())
                }
            }
            Rules::ConfigMgr(configmgr::Framing::Plain) => true,
            Rules::ConfigMgr(_) => {
                let starts = self.after_end || configmgr::is_cmtrace_start(line);
                self.after_end = configmgr::is_record_end(line);
                starts
            }
            Rules::Custom(re) => re.is_match(line),
        };
        starts || first
    }
}

/// The earliest and latest record time of a file, kept as [`TimeKey`]s where the header has
/// the usual shape (compared as bytes, converted once at the end) and as times otherwise.
#[derive(Clone, Copy, Debug)]
pub struct TimeRange {
    /// `[u64::MAX; 3]` / `[0; 3]` while no key was seen (no header's key is either).
    lo_key: TimeKey,
    hi_key: TimeKey,
    lo: Option<Timestamp>,
    hi: Option<Timestamp>,
}

impl Default for TimeRange {
    fn default() -> Self {
        TimeRange { lo_key: [u64::MAX; 3], hi_key: [0; 3], lo: None, hi: None }
    }
}

impl TimeRange {
    #[inline]
    pub fn add_key(&mut self, k: TimeKey) {
        if k > self.hi_key {
            self.hi_key = k;
        }
        if k < self.lo_key {
            self.lo_key = k;
        }
    }

    pub fn add(&mut self, t: Timestamp) {
        self.lo = Some(self.lo.map_or(t, |l| l.min(t)));
        self.hi = Some(self.hi.map_or(t, |h| h.max(t)));
    }

    /// (earliest, latest).
    pub fn get(&self) -> (Option<Timestamp>, Option<Timestamp>) {
        let mut r = TimeRange { lo_key: [u64::MAX; 3], hi_key: [0; 3], ..*self };
        if self.hi_key != [0; 3] {
            for k in [self.lo_key, self.hi_key] {
                if let Some(t) = softwaredistribution::key_time(k) {
                    r.add(t);
                }
            }
        }
        (r.lo, r.hi)
    }
}

/// A record's place in the text: bytes `[start, end)` (terminators included) and its lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRange {
    pub start: usize,
    pub end: usize,
    /// 1-based.
    pub first_line: u64,
    pub last_line: u64,
}

/// Splits a whole text into records. Lines end at `\n`; a trailing `\r` is not part of the line
/// content the rules see. Every byte of `text` lies in exactly one returned range.
pub fn split_records(text: &[u8], splitter: &mut Splitter) -> Vec<RecordRange> {
    let mut out: Vec<RecordRange> = Vec::new();
    let mut pos = 0usize;
    let mut line_no = 0u64;
    while pos < text.len() {
        let rest = &text[pos..];
        let len = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let content = strip_eol(&rest[..len]);
        line_no += 1;
        let end = pos + len;
        match out.last_mut() {
            Some(last) if !splitter.starts_record(content) => {
                last.end = end;
                last.last_line = line_no;
            }
            _ => {
                // The first line is always a start; make sure the splitter saw it too.
                if out.is_empty() {
                    let _ = splitter.starts_record(content);
                }
                out.push(RecordRange { start: pos, end, first_line: line_no, last_line: line_no });
            }
        }
        pos = end;
    }
    out
}

/// A line without its `\n` / `\r\n` terminator.
pub fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsus_continuations_join_their_header() {
        let text = b"2020-08-01 10:00:00.000 UTC\tError\tw3wp.5\tA.B\tboom\r\n   at X.Y()\r\n\r\n2020-08-01 10:00:01.000 UTC\tInfo\tw3wp.5\tA.B\tok\r\n";
        let recs = split_records(text, &mut Splitter::new(Rules::Wsus));
        assert_eq!(recs.len(), 2);
        assert_eq!((recs[0].first_line, recs[0].last_line), (1, 3));
        assert_eq!((recs[1].first_line, recs[1].last_line), (4, 4));
        assert_eq!(recs[1].end, text.len());
    }
}
