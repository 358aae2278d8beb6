//! Windows of an artifact around the evidence a report shows, read in one streaming pass: the
//! artifact is never held whole, so rendering a finding about a 1 GB log takes the memory of its
//! snippets, and a line of any length is cut around the span it shows (miette is only ever given
//! short lines).
//!
//! Offsets are those of provenance: bytes of the text [`triage_collectors::text::decode`] makes.
//! The stream is decoded the same way (BOM sniffed from the same first bytes, UTF-8 passed
//! through while it is valid and decoded by `encoding_rs` from the first malformed sequence, as
//! `decode` does), so the spans land on the same characters.
//!
//! What is kept, per line that holds evidence and the one line of context on either side: its
//! first [`FULL_LINE`] bytes, and [`PAD`] bytes on either side of each span in it. A line longer
//! than that is shown as the kept pieces joined by `…`.

use std::io::Read;
use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use triage_collectors::text::{self, TextEncoding};

/// A line up to this many bytes is shown whole.
pub const FULL_LINE: usize = 1024;
/// Bytes kept on either side of a span inside a longer line.
pub const PAD: usize = 160;
/// Spans longer than this (bytes) are shown by their start (see `human.rs`).
pub const LONG_LABEL: usize = 100;
/// Lines of a multi-line span kept, at most (longer spans point at their start).
pub const MANY_LINES: usize = 4;
/// Lines kept on either side of a line with evidence: miette shows one, and merges two snippets
/// a line or two apart, which it can only do when the lines between them are there.
const CONTEXT: usize = 2;
/// Bytes read per step.
const CHUNK: usize = 1 << 20;
/// Bytes sniffed for the encoding and for binary content, as `human.rs` always did.
const HEAD: usize = 8192;

/// What to show: a byte span of the decoded text, or whole lines (1-based, inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Span(usize, usize),
    Lines(u64, u64),
}

/// One kept line.
#[derive(Debug, Clone)]
struct KeptLine {
    number: u64,
    start: usize,
    /// Length in bytes without the line break; known once the line ended.
    len: usize,
    /// Kept pieces: (decoded offset, text), in order, not overlapping.
    pieces: Vec<(usize, String)>,
    /// Whether the line ended with `\r\n` (kept so miette shows the same text).
    crlf: bool,
    /// Whether a line break follows it (all lines but a last one without).
    ended: bool,
}

/// The windows of one artifact: contiguous runs of kept lines, and where each target landed.
#[derive(Debug, Default)]
pub struct Excerpt {
    name: String,
    segments: Vec<Segment>,
    /// Per target: its range in excerpt coordinates (label offset and length), `None` when the
    /// artifact does not reach it.
    pub labels: Vec<Option<Range<usize>>>,
    /// Per target: whether the span crosses [`MANY_LINES`] line breaks or more.
    pub many_lines: Vec<bool>,
}

#[derive(Debug)]
struct Segment {
    /// Where the segment starts in excerpt coordinates.
    at: usize,
    text: String,
    /// 0-based number of its first line.
    first_line: usize,
}

impl Excerpt {
    /// Reads `reader` once and keeps the windows around `targets`. `None` for binary content.
    pub fn read(name: &str, reader: &mut dyn Read, targets: &[Target]) -> std::io::Result<Option<Excerpt>> {
        let mut head = Vec::with_capacity(HEAD);
        reader.take(HEAD as u64).read_to_end(&mut head)?;
        if text::looks_binary(&head) {
            return Ok(None);
        }
        let encoding = text::sniff(&head);
        let bom = encoding.bom_len(&head);
        let mut scan = Scan::new(targets);
        let mut decoder = Decoder::new(encoding);
        let mut buf = head.split_off(bom.min(head.len()));
        let mut out = String::new();
        loop {
            let last = buf.is_empty();
            out.clear();
            decoder.feed(&buf, last, &mut out);
            scan.text(&out);
            if last {
                break;
            }
            buf.clear();
            reader.take(CHUNK as u64).read_to_end(&mut buf)?;
        }
        Ok(Some(scan.finish(name)))
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let seg = self
            .segments
            .iter()
            .find(|s| span.offset() >= s.at && span.offset() + span.len() <= s.at + s.text.len())
            .ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new((span.offset() - seg.at).into(), span.len());
        let c = seg.text.as_str().read_span(&local, context_lines_before, context_lines_after)?;
        let at = SourceSpan::new((c.span().offset() + seg.at).into(), c.span().len());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            at,
            c.line() + seg.first_line,
            c.column(),
            // miette counts line breaks from the start of the source (it decides from this
            // whether two snippets merge): the same as for the whole text.
            c.line_count() + seg.first_line,
        )))
    }
}

/// UTF-8 passed through while valid (the common case, and fast), `encoding_rs` otherwise.
struct Decoder {
    utf8: bool,
    /// An incomplete UTF-8 sequence carried to the next chunk.
    carry: Vec<u8>,
    rs: Option<encoding_rs::Decoder>,
    encoding: TextEncoding,
}

impl Decoder {
    fn new(encoding: TextEncoding) -> Self {
        let utf8 = matches!(encoding, TextEncoding::Utf8 | TextEncoding::Utf8Bom);
        let rs = (!utf8).then(|| encoding.encoding_rs().new_decoder_without_bom_handling());
        Decoder { utf8, carry: Vec::new(), rs, encoding }
    }

    fn feed(&mut self, bytes: &[u8], last: bool, out: &mut String) {
        if self.rs.is_none() && self.utf8 {
            let joined;
            let input: &[u8] = if self.carry.is_empty() {
                bytes
            } else {
                let mut j = std::mem::take(&mut self.carry);
                j.extend_from_slice(bytes);
                joined = j;
                &joined
            };
            match std::str::from_utf8(input) {
                Ok(s) => {
                    out.push_str(s);
                    return;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    out.push_str(std::str::from_utf8(&input[..valid]).unwrap_or_default());
                    if e.error_len().is_none() && !last {
                        self.carry = input[valid..].to_vec();
                        return;
                    }
                    // Malformed: from here on, as `decode` does, by encoding_rs.
                    let mut d = self.encoding.encoding_rs().new_decoder_without_bom_handling();
                    push_rs(&mut d, &input[valid..], last, out);
                    self.rs = Some(d);
                    return;
                }
            }
        }
        if let Some(d) = self.rs.as_mut() {
            push_rs(d, bytes, last, out);
        }
    }
}

fn push_rs(d: &mut encoding_rs::Decoder, mut bytes: &[u8], last: bool, out: &mut String) {
    loop {
        let need = d.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len() * 3 + 16);
        out.reserve(need);
        let (result, read, _) = d.decode_to_string(bytes, out, last);
        bytes = &bytes[read..];
        if matches!(result, encoding_rs::CoderResult::InputEmpty) {
            break;
        }
    }
}

/// A span target, with what the pass learns about it.
#[derive(Debug, Clone, Copy)]
struct SpanTarget {
    index: usize,
    start: usize,
    end: usize,
    /// Line of `start` and of `end`, once passed.
    start_line: Option<u64>,
    end_line: Option<u64>,
}

/// The streaming pass: lines, which of them are kept, and the pieces kept of each.
struct Scan {
    spans: Vec<SpanTarget>,
    lines: Vec<(usize, u64, u64)>,
    /// Disjoint, sorted byte windows kept inside long lines.
    windows: Vec<Range<usize>>,
    wi: usize,
    pos: usize,
    cur: KeptLine,
    cur_wanted: bool,
    prev: std::collections::VecDeque<KeptLine>,
    /// The previous line was kept: this one is its context after.
    after_kept: usize,
    kept: Vec<KeptLine>,
    count: usize,
}

impl Scan {
    fn new(targets: &[Target]) -> Scan {
        let mut spans = Vec::new();
        let mut lines = Vec::new();
        let mut windows = Vec::new();
        for (index, t) in targets.iter().enumerate() {
            match *t {
                Target::Span(start, end) => {
                    let end = end.max(start);
                    spans.push(SpanTarget { index, start, end, start_line: None, end_line: None });
                    windows.push(start.saturating_sub(PAD)..start + LONG_LABEL.min(end - start) + PAD);
                }
                Target::Lines(first, last) => lines.push((index, first, last.max(first))),
            }
        }
        spans.sort_by_key(|s| s.start);
        windows.sort_by_key(|w| w.start);
        let mut merged: Vec<Range<usize>> = Vec::new();
        for w in windows {
            match merged.last_mut() {
                Some(m) if w.start <= m.end => m.end = m.end.max(w.end),
                _ => merged.push(w),
            }
        }
        Scan {
            spans,
            lines,
            windows: merged,
            wi: 0,
            pos: 0,
            cur: KeptLine { number: 1, start: 0, len: 0, pieces: Vec::new(), crlf: false, ended: true },
            cur_wanted: false,
            prev: std::collections::VecDeque::new(),
            after_kept: 0,
            kept: Vec::new(),
            count: targets.len(),
        }
    }

    /// Whether line `n` is asked for by a line target.
    fn line_wanted(&self, first: u64, last: u64) -> bool {
        self.lines.iter().any(|&(_, a, b)| a <= last && b >= first)
    }

    /// Whether a span window or target start falls in `a..b`.
    fn span_event(&self, a: usize, b: usize) -> bool {
        self.windows.get(self.wi..).unwrap_or_default().iter().take_while(|w| w.start < b).any(|w| w.end > a)
            || self.spans.iter().any(|s| s.start_line.is_none() && s.start < b)
    }

    fn text(&mut self, s: &str) {
        let base = self.pos;
        let end = base + s.len();
        while self.windows.get(self.wi).is_some_and(|w| w.end <= base) {
            self.wi += 1;
        }
        let mut at = 0;
        if !self.cur_wanted && self.after_kept == 0 && !self.span_event(base, end) {
            // Nothing to keep in this chunk but its last lines (the context before whatever
            // comes next): count the lines before them, without looking at them.
            let newlines = s.bytes().filter(|&b| b == b'\n').count() as u64;
            if newlines > CONTEXT as u64 && !self.line_wanted(self.cur.number, self.cur.number + newlines) {
                let mut cut = s.len();
                for _ in 0..=CONTEXT {
                    cut = s[..cut].rfind('\n').unwrap_or(0);
                }
                at = cut + 1;
                let skipped = newlines - CONTEXT as u64;
                self.cur = KeptLine {
                    number: self.cur.number + skipped,
                    start: base + at,
                    len: 0,
                    pieces: Vec::new(),
                    crlf: false,
                    ended: true,
                };
                self.prev.clear();
                self.pos = base + at;
            }
        }
        while at < s.len() {
            match s[at..].find('\n') {
                Some(nl) => {
                    self.capture(&s[at..at + nl], base + at);
                    self.pos = base + at + nl + 1;
                    self.end_line(
                        s[..at + nl].ends_with('\r')
                            || (nl == 0 && self.cur.len > 0 && self.cur_last_is_cr()),
                    );
                    at += nl + 1;
                }
                None => {
                    self.capture(&s[at..], base + at);
                    at = s.len();
                }
            }
        }
        self.pos = end;
    }

    fn cur_last_is_cr(&self) -> bool {
        self.cur
            .pieces
            .last()
            .is_some_and(|(o, t)| o + t.len() == self.cur.start + self.cur.len && t.ends_with('\r'))
    }

    /// Keeps what the policy keeps of `piece` (decoded offset `at`), part of the current line.
    fn capture(&mut self, piece: &str, at: usize) {
        let line_start = self.cur.start;
        let end = at + piece.len();
        // Targets starting here.
        for t in self.spans.iter_mut() {
            if t.start_line.is_none() && t.start <= end && t.start >= at {
                t.start_line = Some(self.cur.number);
                self.cur_wanted = true;
            }
            if t.start_line.is_some() && t.end_line.is_none() && t.end <= end {
                t.end_line = Some(self.cur.number);
            }
            if let Some(first) = t.start_line {
                let open = t.end_line.is_none_or(|l| l == self.cur.number);
                if open && self.cur.number <= first + MANY_LINES as u64 {
                    self.cur_wanted = true;
                }
            }
        }
        let mut keep: Vec<Range<usize>> = Vec::new();
        let head_end = line_start + FULL_LINE;
        if at < head_end {
            keep.push(at..end.min(head_end));
        }
        for w in self.windows.get(self.wi..).unwrap_or_default() {
            if w.start >= end {
                break;
            }
            if w.end > at {
                keep.push(w.start.max(at)..w.end.min(end));
            }
        }
        for r in keep {
            let a = floor(piece, r.start - at);
            let b = ceil(piece, r.end - at);
            if a >= b {
                continue;
            }
            let text = &piece[a..b];
            match self.cur.pieces.last_mut() {
                Some((o, t)) if *o + t.len() >= at + a => {
                    let overlap = *o + t.len() - (at + a);
                    if overlap < text.len() {
                        t.push_str(&text[overlap..]);
                    }
                }
                _ => self.cur.pieces.push((at + a, text.to_owned())),
            }
        }
        self.cur.len = end - line_start;
    }

    fn end_line(&mut self, crlf: bool) {
        let mut done = std::mem::replace(
            &mut self.cur,
            KeptLine { number: 0, start: self.pos, len: 0, pieces: Vec::new(), crlf: false, ended: true },
        );
        done.crlf = crlf;
        if crlf {
            done.len = done.len.saturating_sub(1);
            if let Some((o, t)) = done.pieces.last_mut() {
                if *o + t.len() > done.start + done.len {
                    t.pop();
                }
            }
        }
        self.cur.number = done.number + 1;
        let wanted = self.cur_wanted || self.line_wanted(done.number, done.number);
        self.cur_wanted = false;
        if wanted {
            for p in self.prev.drain(..) {
                if self.kept.last().is_none_or(|k| k.number < p.number) {
                    self.kept.push(p);
                }
            }
            self.kept.push(done);
            self.after_kept = CONTEXT;
        } else if self.after_kept > 0 {
            self.kept.push(done);
            self.after_kept -= 1;
        } else {
            self.prev.push_back(done);
            if self.prev.len() > CONTEXT {
                self.prev.pop_front();
            }
        }
    }

    fn finish(mut self, name: &str) -> Excerpt {
        // Spans past the end point at the end, as a clamped range did.
        let end = self.pos;
        let mut at_end = false;
        for t in self.spans.iter_mut().filter(|t| t.start_line.is_none()) {
            t.start = t.start.min(end);
            t.end = t.end.min(end);
            at_end = true;
        }
        if at_end {
            self.capture("", end);
        }
        // Spans that end past the end of the text end on its last line.
        let last = self.cur.number;
        for t in self.spans.iter_mut().filter(|t| t.start_line.is_some() && t.end_line.is_none()) {
            t.end_line = Some(last);
        }
        // The last line, when the text does not end with a line break.
        // (An empty last line after a final line break is context miette shows too.)
        if self.cur.len > 0 || self.cur_wanted || (self.after_kept > 0 && end > 0) {
            self.end_line(false);
            if let Some(k) = self.kept.last_mut().filter(|k| k.start + k.len == end) {
                k.ended = false;
            }
        }
        build(name, self.kept, &self.spans, &self.lines, self.count, end)
    }
}

/// Largest char boundary of `s` at or below `i`.
fn floor(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Smallest char boundary of `s` at or above `i`.
fn ceil(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Where a kept line's text is in the excerpt: (decoded offset, excerpt offset, length) per
/// piece, and where the line starts in the excerpt.
struct Placed {
    number: u64,
    start: usize,
    len: usize,
    at: usize,
    pieces: Vec<(usize, usize, usize)>,
    /// Excerpt offset just past the line's shown text, and the bytes of its line break.
    end_at: usize,
    brk: usize,
}

fn build(
    name: &str,
    kept: Vec<KeptLine>,
    spans: &[SpanTarget],
    lines: &[(usize, u64, u64)],
    count: usize,
    text_end: usize,
) -> Excerpt {
    let mut ex = Excerpt {
        name: name.to_owned(),
        labels: vec![None; count],
        many_lines: vec![false; count],
        ..Default::default()
    };
    let mut placed: Vec<Placed> = Vec::new();
    let mut cursor = 0usize;
    let mut seg: Option<Segment> = None;
    let mut last_number = 0u64;
    let mut last_crlf = false;
    let mut last_ended = false;
    for k in kept {
        let contiguous = seg.is_some() && k.number == last_number + 1;
        if !contiguous {
            if let Some(mut s) = seg.take() {
                if last_ended {
                    s.text.push_str(if last_crlf { "\r\n" } else { "\n" });
                }
                cursor = s.at + s.text.len() + 1;
                triage_collectors::secrets::mask_str(&mut s.text); // same length: offsets hold
                ex.segments.push(s);
            }
            seg = Some(Segment { at: cursor, text: String::new(), first_line: (k.number - 1) as usize });
        }
        let Some(s) = seg.as_mut() else { continue };
        if contiguous {
            s.text.push_str(if last_crlf { "\r\n" } else { "\n" });
        }
        let line_at = s.at + s.text.len();
        let brk = if k.crlf { 2 } else { 1 };
        let mut p = Placed {
            number: k.number,
            start: k.start,
            len: k.len,
            at: line_at,
            pieces: Vec::new(),
            end_at: 0,
            brk,
        };
        let mut last_end = k.start;
        for (o, t) in &k.pieces {
            let t = &t[..floor(t, (k.start + k.len).saturating_sub(*o).min(t.len()))];
            if *o > last_end {
                s.text.push('…');
            }
            p.pieces.push((*o, s.at + s.text.len(), t.len()));
            s.text.push_str(t);
            last_end = o + t.len();
        }
        if last_end < k.start + k.len {
            s.text.push('…');
        }
        p.end_at = s.at + s.text.len();
        last_crlf = k.crlf;
        last_ended = k.ended;
        last_number = k.number;
        placed.push(p);
    }
    if let Some(mut s) = seg.take() {
        if last_ended {
            s.text.push_str(if last_crlf { "\r\n" } else { "\n" });
        }
        triage_collectors::secrets::mask_str(&mut s.text); // same length: offsets hold
        ex.segments.push(s);
    }
    let map = |off: usize| -> Option<usize> {
        let line = placed.iter().rev().find(|p| p.start <= off)?;
        if off > line.start + line.len {
            // Inside the line break: after the shown line.
            return (off <= line.start + line.len + line.brk)
                .then(|| line.end_at + (off - line.start - line.len));
        }
        line.pieces
            .iter()
            .find(|&&(o, _, len)| o <= off && off <= o + len)
            .map(|&(o, at, _)| at + (off - o))
            .or((off == line.start).then_some(line.at))
    };
    // Excerpt offsets onto character boundaries (a span may point inside a character).
    let floor_at = |at: usize| -> usize {
        match ex.segments.iter().rev().find(|s| s.at <= at) {
            Some(s) => s.at + floor(&s.text, (at - s.at).min(s.text.len())),
            None => at,
        }
    };
    let map = |off: usize| map(off).map(floor_at);
    for t in spans {
        let (start, end) = (t.start.min(text_end), t.end.min(text_end));
        let Some(a) = map(start) else { continue };
        let newlines = t.end_line.unwrap_or(u64::MAX).saturating_sub(t.start_line.unwrap_or(0)) as usize;
        let many = newlines >= MANY_LINES;
        let long = end - start > LONG_LABEL && newlines == 0;
        ex.many_lines[t.index] = many;
        let len = if long || many { 0 } else { map(end).map_or(0, |b| b.saturating_sub(a)) };
        ex.labels[t.index] = Some(a..a + len);
    }
    for &(index, first, last) in lines {
        let Some(fl) = placed.iter().find(|p| p.number == first) else { continue };
        let a = fl.at;
        let end = placed.iter().find(|p| p.number == last).and_then(|l| {
            let end_off = l.start + l.len;
            l.pieces
                .iter()
                .find(|&&(o, _, len)| o + len == end_off)
                .map(|&(_, at, len)| at + len)
                .or((l.len == 0).then_some(l.at))
        });
        let many = last - first >= MANY_LINES as u64;
        let long = first == last && fl.len > LONG_LABEL;
        ex.many_lines[index] = many;
        let len = if long || many { 0 } else { end.map_or(0, |b| b.saturating_sub(a)) };
        ex.labels[index] = Some(a..a + len);
    }
    ex
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
    use proptest::prelude::*;

    fn handler() -> GraphicalReportHandler {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_links(false)
            .with_width(100)
    }

    /// What the renderer showed before windows: the whole decoded text, labels clamped onto
    /// character boundaries, long and many-line labels pointing at their start.
    fn whole(name: &str, bytes: &[u8], targets: &[Target]) -> String {
        let text = text::decode(bytes).text;
        let labels: Vec<LabeledSpan> = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let r = match *t {
                    Target::Span(a, b) => {
                        let a = floor(&text, a);
                        a..floor(&text, b.max(a)).max(a)
                    }
                    Target::Lines(first, last) => {
                        let mut start = None;
                        let mut end = None;
                        for (n, off, content) in text::lines_with_offsets(&text) {
                            if n == first {
                                start = Some(off);
                            }
                            if n == last.max(first) {
                                end = Some(off + content.len());
                                break;
                            }
                        }
                        start?..end?
                    }
                };
                let covered = &text[r.clone()];
                let long = r.len() > LONG_LABEL && !covered.contains('\n');
                let many = covered.matches('\n').count() >= MANY_LINES;
                let len = if long || many { 0 } else { r.len() };
                Some(LabeledSpan::new(Some(format!("t{i}")), r.start, len))
            })
            .collect();
        render_report(MietteDiagnostic::new("finding").with_labels(labels), NamedSource::new(name, text))
    }

    fn windowed(name: &str, bytes: &[u8], targets: &[Target]) -> String {
        let ex = Excerpt::read(name, &mut &bytes[..], targets).expect("reads").expect("text");
        let labels: Vec<LabeledSpan> = ex
            .labels
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.clone().map(|r| LabeledSpan::new(Some(format!("t{i}")), r.start, r.len())))
            .collect();
        render_report(MietteDiagnostic::new("finding").with_labels(labels), ex)
    }

    fn render_report(d: MietteDiagnostic, src: impl SourceCode + 'static) -> String {
        let report = miette::Report::new(d).with_source_code(src);
        let mut out = String::new();
        handler().render_report(&mut out, report.as_ref()).expect("renders");
        out
    }

    const LOG: &str = "2026-11-25 10:00:00 one\r\nsecond line é\r\nthird: forcibly closed by the remote host\r\nfourth\r\nfifth\r\nsixth é é\r\n";

    #[test]
    fn short_lines_render_exactly_as_the_whole_text_did() {
        let at = LOG.find("forcibly").expect("in the log");
        let targets =
            [Target::Span(at, at + 8), Target::Lines(5, 5), Target::Span(0, 4), Target::Lines(2, 4)];
        assert_eq!(windowed("a.log", LOG.as_bytes(), &targets), whole("a.log", LOG.as_bytes(), &targets));
    }

    #[test]
    fn utf16_renders_like_its_decoding() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(LOG.encode_utf16().flat_map(u16::to_le_bytes));
        let at = LOG.find("remote").expect("in the log");
        let targets = [Target::Span(at, at + 6), Target::Lines(6, 6)];
        assert_eq!(windowed("a.reg", &bytes, &targets), whole("a.reg", &bytes, &targets));
    }

    #[test]
    fn malformed_utf8_shifts_offsets_as_decode_does() {
        let mut bytes = b"ok\n\xff\xfe bad bytes\nafter: target here\n".to_vec();
        bytes.extend(b"tail\n");
        let text = text::decode(&bytes).text;
        let at = text.find("target").expect("decoded");
        let targets = [Target::Span(at, at + 6)];
        let out = windowed("m.log", &bytes, &targets);
        assert_eq!(out, whole("m.log", &bytes, &targets));
        assert!(out.contains("target here"), "{out}");
    }

    #[test]
    fn a_span_past_column_65535_is_shown_cut_around_it() {
        let mut line = "x".repeat(200_000);
        line.replace_range(150_000..150_008, "EVIDENCE");
        let text = format!("before\n{line}\nafter\n");
        let at = 7 + 150_000;
        let out = windowed("long.log", text.as_bytes(), &[Target::Span(at, at + 8)]);
        assert!(out.contains("EVIDENCE"), "{out}");
        assert!(out.contains('…'), "{out}");
        assert!(out.contains("before") && out.contains("after"), "{out}");
        assert!(out.len() < 4_000, "{} bytes", out.len());
        assert!(out.contains("[long.log:2:"), "{out}");
    }

    #[test]
    fn spans_in_different_chunks_and_past_the_end() {
        // Lines spread over several reads of CHUNK bytes.
        let mut text = String::new();
        for i in 0..300_000 {
            text.push_str(&format!("line {i:06}\n"));
        }
        let at = text.find("line 250000").expect("present");
        let targets =
            [Target::Span(at, at + 11), Target::Lines(3, 3), Target::Span(text.len() + 50, text.len() + 60)];
        let ex = Excerpt::read("big.log", &mut text.as_bytes(), &targets).expect("reads").expect("text");
        assert!(ex.labels.iter().all(Option::is_some), "{:?}", ex.labels);
        let out = windowed("big.log", text.as_bytes(), &targets[..2]);
        assert_eq!(out, whole("big.log", text.as_bytes(), &targets[..2]));
        assert!(out.contains("250001 │ line 250000"), "{out}");
    }

    #[test]
    fn binary_content_gives_nothing() {
        let bytes = [0u8, 1, 2, 3, 0, 0, 7, 8];
        assert!(Excerpt::read("b.bin", &mut &bytes[..], &[Target::Span(0, 1)]).expect("reads").is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_short_lined_text_renders_each_span_as_the_whole_text_did(
            lines in proptest::collection::vec("[a-zé€ \t]{0,40}", 1..30),
            crlf in any::<bool>(),
            spans in proptest::collection::vec((0usize..2000, 0usize..40), 1..4),
        ) {
            let sep = if crlf { "\r\n" } else { "\n" };
            let text = lines.join(sep);
            let targets: Vec<Target> = spans.iter().map(|&(a, l)| {
                let a = a % (text.len() + 1);
                Target::Span(a, a + l)
            }).collect();
            // One label at a time: miette merges two snippets over every line between them,
            // which an excerpt keeps only when they are a few lines apart.
            for t in &targets {
                let one = [*t];
                prop_assert_eq!(windowed("p.log", text.as_bytes(), &one), whole("p.log", text.as_bytes(), &one));
            }
        }
    }
}
