//! A pack file's text as load diagnostics point into it: shared by every diagnostic of the
//! file, with its line starts computed once, so that showing a diagnostic costs the lines it
//! shows, not the whole file before them (miette's own `SourceCode` for `str` scans from the
//! start of the text for every snippet: ten thousand warnings on one large file were
//! quadratic).

use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// One pack file's text and the byte offset where each of its lines starts.
#[derive(Debug, Clone)]
pub struct PackText {
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl PackText {
    pub fn new(text: &str) -> PackText {
        let line_starts: Vec<usize> =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        PackText { text: Arc::from(text), line_starts: line_starts.into() }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// 0-based index of the line holding byte `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).saturating_sub(1)
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(0, |t| t.chars().count());
        (line + 1, col + 1)
    }

    /// Byte offset where 0-based line `line` starts (the text's end past the last line).
    fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.text.len())
    }
}

impl SourceCode for PackText {
    /// miette's reading of the span, on only the lines around it (the context asked for, and
    /// one more either side), with the line numbers and offsets of the whole text.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset().min(self.text.len());
        let end = (span.offset() + span.len()).min(self.text.len());
        let first = self.line_index(start).saturating_sub(context_lines_before + 1);
        let last = self.line_index(end) + context_lines_after + 2;
        let (from, to) = (self.line_start(first), self.line_start(last));
        let window = &self.text[from..to];
        let inner = SourceSpan::new((start - from).into(), end - start);
        let c = window.read_span(&inner, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new(
            c.data(),
            SourceSpan::new((c.span().offset() + from).into(), c.span().len()),
            c.line() + first,
            c.column(),
            c.line_count() + first,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The windowed reading gives what miette's reading of the whole text gives.
    #[test]
    fn windowed_spans_are_those_of_the_whole_text() {
        let text: String = (0..200).map(|i| format!("line {i} = \"value {i}\"\r\n")).collect();
        let pack = PackText::new(&text);
        for (offset, len) in [(0, 4), (5, 0), (230, 12), (1500, 40), (text.len() - 3, 1), (text.len(), 0)] {
            for (before, after) in [(0, 0), (1, 1), (3, 2)] {
                let span = SourceSpan::new(offset.into(), len);
                let whole = text.as_str().read_span(&span, before, after).expect("whole");
                let window = pack.read_span(&span, before, after).expect("window");
                assert_eq!(
                    (window.data(), window.span(), window.line(), window.column(), window.line_count()),
                    (whole.data(), whole.span(), whole.line(), whole.column(), whole.line_count()),
                    "offset {offset} len {len} context {before}/{after}"
                );
            }
        }
        assert_eq!(pack.line_col(0), (1, 1));
        assert_eq!(pack.line_col(text.find("line 3 ").expect("there") + 5), (4, 6));
    }
}
