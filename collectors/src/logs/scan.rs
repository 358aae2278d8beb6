//! The streaming scanner shared by every log collector: decode, split into records, find every
//! signal of the file's kind in one pass, widen each hit to its record, and gather the built-in
//! facts. Memory is bounded by [`CHUNK`] + [`MAX_RECORD_BYTES`] whatever the file's size.
//!
//! The hot path per chunk:
//! - UTF-8 is read straight into the text buffer and validated there (`simdutf8`); other
//!   encodings, and UTF-8 from its first malformed sequence on, go through `encoding_rs`.
//! - A line pass: memchr for `\n` and the [`Splitter`] on each line. For WSUS,
//!   `Splitter::starts_wsus` recognises the usual header from its first 27 bytes a word at a
//!   time and keeps its time as a byte key (only the earliest and latest are converted, at the
//!   end).
//! - One search for every signal pattern of the kind and the format's built-in patterns
//!   together: a Teddy search for a rare *window* of each pattern's prefix literals
//!   ([`Windows`]), each window found checked back to its literal and the patterns run there,
//!   anchored (one `regex-automata` meta regex). Patterns without usable prefix literals fall
//!   back to two meta regex searches, signals and built-ins apart.
//!
//! Only records holding a match are looked at closer: matched signal by signal (a `memmem` for
//! the signal's literal, then its regex unless it is a plain literal; then captures) and parsed
//! into fields when a signal under its cap or a built-in fact wants them; a record without CRs
//! is matched in place, with no copy.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use regex_automata::meta;
use regex_automata::Input;
use triage_facts::scan::{
    COMBINED_SCAN_SIZE_LIMIT, MAX_RECORD_TEXT, PACK_SCAN_SIZE_LIMIT, SIGNAL_REGEX_SIZE_LIMIT,
};
use triage_facts::{
    Artifact, CollectContext, CollectionError, CollectorOutput, Fact, FactMap, Provenance, ScanPlan,
    Timestamp, Value,
};

use super::custom::CustomKind;
use super::record::{strip_eol, Rules, Splitter, TimeRange};
use super::{configmgr, softwaredistribution, Extracted, Fields, Line, Record};
use crate::text::{sniff, TextEncoding};

/// Raw bytes read at a time.
pub const CHUNK: usize = 128 << 10;
/// A record (or a line) longer than this is scanned in parts of about this size; a match that
/// straddles two parts can be missed, and the file gets a collection error saying so.
pub const MAX_RECORD_BYTES: usize = 4 << 20;
/// Collection errors kept per file; the rest are counted in one last error.
pub const MAX_ERRORS_PER_FILE: usize = 50;

/// Buffer sizes of a scan; the defaults are [`CHUNK`] and [`MAX_RECORD_BYTES`]. Tests shrink
/// them to exercise every chunk boundary.
#[derive(Clone, Copy, Debug)]
pub struct ScanLimits {
    pub chunk: usize,
    pub max_record_bytes: usize,
    /// Search signals and built-in patterns together when a prefilter for all of them can be
    /// built (the default); `false` forces the two separate searches, which must give the same
    /// facts (tests compare them).
    pub one_search: bool,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits { chunk: CHUNK, max_record_bytes: MAX_RECORD_BYTES, one_search: true }
    }
}

/// Which log format a file is read as.
#[derive(Clone, Debug)]
pub enum Format {
    Wsus,
    ConfigMgr(configmgr::Framing),
    Custom(Arc<CustomKind>),
}

impl Format {
    /// The kind name: `SignalSpec.log` and `logs.<kind>`.
    pub fn kind(&self) -> &str {
        match self {
            Format::Wsus => softwaredistribution::KIND,
            Format::ConfigMgr(_) => configmgr::KIND,
            Format::Custom(k) => &k.spec.name,
        }
    }

    pub fn collector(&self) -> &'static str {
        match self {
            Format::Wsus => softwaredistribution::COLLECTOR,
            Format::ConfigMgr(_) => configmgr::COLLECTOR,
            Format::Custom(_) => super::custom::COLLECTOR,
        }
    }

    fn rules(&self) -> Rules {
        match self {
            Format::Wsus => Rules::Wsus,
            Format::ConfigMgr(f) => Rules::ConfigMgr(*f),
            Format::Custom(k) => Rules::Custom(k.record_start.clone()),
        }
    }

    fn builtin_patterns(&self) -> &'static [&'static str] {
        match self {
            Format::Wsus => softwaredistribution::BUILTIN_PATTERNS,
            Format::ConfigMgr(_) => configmgr::BUILTIN_PATTERNS,
            Format::Custom(_) => &[],
        }
    }

    /// Literals whose matches include every match of [`Format::builtin_patterns`], for the
    /// search (a record they find is checked against the exact patterns). Plain literals: no
    /// `\b`, which would make the search's DFA give up on non-ASCII text.
    fn builtin_search(&self) -> &'static [&'static str] {
        match self {
            Format::Wsus => softwaredistribution::BUILTIN_SEARCH,
            Format::ConfigMgr(_) => configmgr::BUILTIN_SEARCH,
            Format::Custom(_) => &[],
        }
    }

    fn fields(&self, rec: &Record<'_>) -> Fields {
        match self {
            Format::Wsus => softwaredistribution::fields(rec),
            Format::ConfigMgr(_) => configmgr::fields(rec),
            Format::Custom(k) => k.fields(rec),
        }
    }

    fn extract(
        &self,
        rec: &Record<'_>,
        fields: &Fields,
        out: &mut Extracted,
        src: &dyn Fn(u64) -> Arc<Provenance>,
    ) {
        match self {
            Format::Wsus => softwaredistribution::extract(rec, fields, out, src),
            Format::ConfigMgr(_) => configmgr::extract(rec, fields, out, src),
            Format::Custom(_) => {}
        }
    }

    /// Whether [`Format::extract`] reads the fields of a record (`joined`: its lines joined
    /// with `\n`); when not, they are not parsed for it.
    fn extract_needs_fields(&self, joined: &str) -> bool {
        match self {
            Format::Wsus => softwaredistribution::extract_needs_fields(joined),
            Format::ConfigMgr(_) | Format::Custom(_) => true,
        }
    }

    /// The time of a record from one of its lines, where the format puts it there (WSUS: the
    /// header; ConfigMgr: the line that closes the record).
    fn line_time(&self, line: &[u8], starts: bool) -> Option<Timestamp> {
        match self {
            Format::Wsus => starts.then(|| softwaredistribution::record_time(line)).flatten(), // (the scanner's line pass uses `Splitter::starts_wsus`)
            Format::ConfigMgr(_) => {
                if configmgr::is_record_end(line) {
                    configmgr::record_time(std::str::from_utf8(line).ok()?)
                } else {
                    None
                }
            }
            Format::Custom(k) => starts.then(|| k.line_time(line)).flatten(),
        }
    }
}

/// The signals of one kind with the format's built-in patterns, compiled once per run and shared
/// by every file, input and thread that scans that kind (see [`super::compiled`]).
pub(super) struct Matcher {
    /// Where to look closer. Usually one multi-pattern regex over every signal pattern and the
    /// format's [`Format::builtin_search`] patterns, with a literal prefilter built from each
    /// pattern's own prefix literals ([`combined_prefilter`]), so the chunk is searched once;
    /// with [`Windows`] (the usual case) it only runs anchored, where a window says. When the
    /// patterns have no such literals, two regexes with the default prefilters, one
    /// over the signals and one over the built-in patterns, as separate searches (put together,
    /// the default literal optimisation would cut the literals to their first bytes).
    any: Vec<meta::Regex>,
    /// With one search: the literal windows that find its candidates (see [`Windows`]).
    windows: Option<Windows>,
    /// The built-in patterns alone: whether a record feeds the built-in facts.
    builtin: Option<meta::Regex>,
    /// Which signals a record matches, when there are no `gates` (and the set was not too
    /// large to build: then each signal's own regex tells).
    set: Option<regex::RegexSet>,
    /// Per signal, when every signal has one: the cheaper way to tell.
    gates: Option<Vec<Gate>>,
    /// Per signal (same order as `set`): its spec and its regex for captures.
    signals: Vec<(triage_facts::SignalSpec, regex::Regex)>,
}

/// Most prefix literals a combined search's prefilter may have: beyond that the prefilter's
/// fingerprints (Teddy's buckets) get crowded and two searches are cheaper.
const MAX_COMBINED_NEEDLES: usize = 32;

/// The prefix literals every match of `pattern` starts with (each at least three bytes long),
/// optimised as the regex engine would for that pattern alone, and whether the pattern is
/// nothing but one literal; `None` when no such finite set exists.
fn prefix_literals(pattern: &str) -> Option<(Vec<Vec<u8>>, bool)> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new().multi_line(true).crlf(true).build().parse(pattern).ok()?;
    let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    seq.optimize_for_prefix_by_preference();
    // Exact, too: the extractor cuts long literals (over 100 bytes) and marks them inexact, and
    // a cut literal found in a record is not a match.
    let plain = matches!(hir.kind(), regex_syntax::hir::HirKind::Literal(_))
        && seq.is_exact()
        && seq.len() == Some(1);
    let lits: Vec<Vec<u8>> = seq.literals()?.iter().map(|l| l.as_bytes().to_vec()).collect();
    if lits.is_empty() || lits.iter().any(|l| l.len() < 3) {
        return None;
    }
    Some((lits, plain))
}

/// A prefilter for one search over all of `patterns`: the union of each pattern's
/// [`prefix_literals`], each set optimised on its own (so that one pattern's many literals do
/// not shorten every other pattern's). `None` when some pattern has no such literals, or there
/// are too many: a prefilter must never miss the start of a match, and a poor one is slower
/// than two searches.
fn combined_prefilter(patterns: &[&str]) -> Option<regex_automata::util::prefilter::Prefilter> {
    let needles = combined_literals(patterns)?;
    regex_automata::util::prefilter::Prefilter::new(regex_automata::MatchKind::LeftmostFirst, &needles)
        .filter(|p| p.is_fast())
}

/// The union of every pattern's [`prefix_literals`], sorted and deduplicated; `None` when some
/// pattern has none, or there are more than [`MAX_COMBINED_NEEDLES`].
fn combined_literals(patterns: &[&str]) -> Option<Vec<Vec<u8>>> {
    let mut literals: Vec<Vec<u8>> = Vec::new();
    for p in patterns {
        literals.extend(prefix_literals(p)?.0);
    }
    literals.sort();
    literals.dedup();
    (!literals.is_empty() && literals.len() <= MAX_COMBINED_NEEDLES).then_some(literals)
}

/// Whether one signal matches a record, cheaply: the record must contain one of the pattern's
/// prefix literals (a `memmem` each); a pattern that is one plain literal then matches, any
/// other is run on the record.
struct Gate {
    finders: Vec<memchr::memmem::Finder<'static>>,
    plain: bool,
}

impl Gate {
    fn new(pattern: &str) -> Option<Gate> {
        let (lits, plain) = prefix_literals(pattern)?;
        let finders = lits.iter().map(|l| memchr::memmem::Finder::new(l).into_owned()).collect();
        Some(Gate { finders, plain })
    }

    fn is_match(&self, re: &regex::Regex, text: &str) -> bool {
        if self.plain {
            return self.finders.iter().any(|f| f.find(text.as_bytes()).is_some());
        }
        // Every match starts at a literal: the regex runs from the first one (with the text
        // before it as context for look-arounds).
        let first = self.finders.iter().filter_map(|f| f.find(text.as_bytes())).min();
        first.is_some_and(|at| re.is_match_at(text, at))
    }
}

/// The single search's candidates, found by a part of each prefix literal rather than its
/// start. A multi-literal search (Teddy) reports a candidate wherever the first four bytes of
/// a literal show, and the literals of real patterns tend to start with the words routine lines
/// are made of (`EventId=38` with `EventLogEventReporter`, `ErrorCode=` with `Error`), so most
/// of its time went into checking false candidates. Each literal is looked for by a *window*
/// that starts where its bytes are least usual in text ([`window_start`]); a window found is
/// checked back to its literal's start and the patterns are run there, anchored. A record with
/// a match holds a whole prefix literal, hence its window, so no record is missed; the record
/// of a candidate that passes is then matched exactly as before.
struct Windows {
    searcher: aho_corasick::packed::Searcher,
    /// In the searcher's pattern order.
    windows: Vec<Vec<u8>>,
    /// Per window: the literals it is taken from.
    owners: Vec<Owners>,
    literals: Vec<Vec<u8>>,
}

/// The literals a window is taken from: (index in `Windows::literals`, the window's offset in
/// the literal).
type Owners = Vec<(usize, usize)>;

/// How common a byte is in log text, roughly (higher: more common).
fn commonness(b: u8) -> u32 {
    match b {
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'h' | b'l' | b' ' => 10,
        b'a'..=b'z' => 7,
        b'0'..=b'9' => 6,
        b'A'..=b'Z' => 5,
        b'.' | b',' | b':' | b'-' | b'/' | b'\t' | b'_' => 4,
        0x80..=0xFF => 1,
        _ => 2,
    }
}

/// Where in `lit` its window starts: the four bytes least likely in text (a lower-case letter
/// followed by a capital, as inside `WebException`, counts as rare; a capital after a space, as
/// in ` Exception`, as common).
fn window_start(lit: &[u8]) -> usize {
    if lit.len() <= 4 {
        return 0;
    }
    let score = |w: &[u8]| {
        let camel = w.windows(2).filter(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase()).count();
        let word = w.windows(2).filter(|p| p[0] == b' ' && p[1].is_ascii_uppercase()).count();
        (w.iter().map(|b| commonness(*b)).sum::<u32>() + 5 * word as u32).saturating_sub(5 * camel as u32)
    };
    (0..=lit.len() - 4).min_by_key(|&k| (score(&lit[k..k + 4]), k)).unwrap_or(0)
}

impl Windows {
    /// Longest window kept: longer ones only make the check of a candidate longer.
    const MAX_LEN: usize = 16;

    fn new(patterns: &[&str]) -> Option<Windows> {
        let literals = combined_literals(patterns)?;
        let mut windows: Vec<(Vec<u8>, Owners)> = Vec::new();
        for (i, lit) in literals.iter().enumerate() {
            let k = window_start(lit);
            let w = lit[k..lit.len().min(k + Self::MAX_LEN)].to_vec();
            match windows.iter_mut().find(|(x, _)| *x == w) {
                Some((_, owners)) => owners.push((i, k)),
                None => windows.push((w, vec![(i, k)])),
            }
        }
        // Teddy puts pattern `i` in bucket `7 - i % 8` and checks every pattern of a bucket
        // whose fingerprint shows: the most common windows go where they are alone.
        let score = |w: &[u8]| w.iter().take(4).map(|b| commonness(*b)).sum::<u32>();
        windows.sort_by_key(|(w, _)| std::cmp::Reverse(score(w)));
        let n = windows.len();
        let mut slots: Vec<usize> = (0..n).collect();
        slots.sort_by_key(|&i| ((n + 7 - i % 8) / 8, i));
        let mut ordered: Vec<Option<(Vec<u8>, Owners)>> = vec![None; n];
        for (slot, w) in slots.into_iter().zip(windows) {
            ordered[slot] = Some(w);
        }
        let (windows, owners): (Vec<Vec<u8>>, Vec<Owners>) = ordered.into_iter().flatten().unzip();
        let searcher = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&windows)
            .build()?;
        Some(Windows { searcher, windows, owners, literals })
    }

    /// For a window found at `q`: where a match of `re` starts that holds it in its prefix
    /// literal, no earlier than `floor` and within `..end`.
    fn match_start(
        &self,
        text: &[u8],
        q: usize,
        floor: usize,
        end: usize,
        re: &meta::Regex,
    ) -> Option<usize> {
        for (w, owners) in self.windows.iter().zip(&self.owners) {
            if !text[q..end].starts_with(w) {
                continue;
            }
            for &(lit, k) in owners {
                let Some(s) = q.checked_sub(k).filter(|s| *s >= floor) else { continue };
                if !text[s..end].starts_with(&self.literals[lit]) {
                    continue;
                }
                let input =
                    Input::new(text).range(s..end).anchored(regex_automata::Anchored::Yes).earliest(true);
                if re.search_half(&input).is_some() {
                    return Some(s);
                }
            }
        }
        None
    }
}

/// Compiles the signals of `format`'s kind in `plan` with the format's built-in patterns. What
/// cannot be compiled is left out and said in the messages, which every file scanned with the
/// matcher reports as its collection errors. Called once per plan, log kind and `one_search`
/// ([`super::compiled`]), never per file.
pub(super) fn compile(format: &Format, plan: Option<&ScanPlan>, one_search: bool) -> (Matcher, Vec<String>) {
    let mut errors: Vec<String> = Vec::new();
    let mut signals = Vec::new();
    if let Some(plan) = plan {
        for spec in plan.signals_for(format.kind()) {
            // As the pack loader compiled it, so this does not fail for a pack that loaded.
            match regex::RegexBuilder::new(&spec.pattern)
                .multi_line(true)
                .crlf(true)
                .size_limit(SIGNAL_REGEX_SIZE_LIMIT)
                .build()
            {
                Ok(re) => signals.push((spec.clone(), re)),
                Err(e) => {
                    errors.push(format!("signal {}: pattern does not compile, not scanned: {e}", spec.id))
                }
            }
        }
    }
    let syntax = regex_automata::util::syntax::Config::new().multi_line(true).crlf(true);
    let limited = |limit: usize| meta::Config::new().nfa_size_limit(Some(limit));
    let builtin = if format.builtin_patterns().is_empty() {
        None
    } else {
        match meta::Builder::new().syntax(syntax).build_many(format.builtin_patterns()) {
            Ok(r) => Some(r),
            Err(e) => {
                errors.push(format!("cannot compile the built-in patterns: {e}"));
                None
            }
        }
    };
    // One search over everything when a good prefilter exists for it.
    let mut any = Vec::new();
    let mut windows = None;
    {
        let signal_patterns: Vec<&str> = signals.iter().map(|(s, _)| s.pattern.as_str()).collect();
        if one_search && !signal_patterns.is_empty() && builtin.is_some() {
            let all: Vec<&str> = signal_patterns.iter().chain(format.builtin_search()).copied().collect();
            if let Some(pre) = combined_prefilter(&all) {
                // When it does not compile (too large together), the searches below are built.
                if let Ok(r) = meta::Builder::new()
                    .configure(limited(COMBINED_SCAN_SIZE_LIMIT).prefilter(Some(pre)))
                    .syntax(syntax)
                    .build_many(&all)
                {
                    any.push(r);
                    windows = Windows::new(&all);
                }
            }
        }
    }
    if any.is_empty() {
        if !signals.is_empty() {
            let patterns: Vec<&str> = signals.iter().map(|(s, _)| s.pattern.as_str()).collect();
            match meta::Builder::new()
                .configure(limited(COMBINED_SCAN_SIZE_LIMIT))
                .syntax(syntax)
                .build_many(&patterns)
            {
                Ok(r) => any.push(r),
                // Too large together: one search per pack, each within the limit its pack was
                // checked against at load, so no pack's patterns can keep another's from
                // being searched. A pack whose own search fails loses its signals alone.
                Err(_) => {
                    let mut packs: Vec<&str> = signals.iter().map(|(s, _)| s.pack()).collect();
                    packs.sort_unstable();
                    packs.dedup();
                    let mut failed: Vec<String> = Vec::new();
                    for pack in packs {
                        let mine: Vec<&str> = signals
                            .iter()
                            .filter(|(s, _)| s.pack() == pack)
                            .map(|(s, _)| s.pattern.as_str())
                            .collect();
                        match meta::Builder::new()
                            .configure(limited(PACK_SCAN_SIZE_LIMIT))
                            .syntax(syntax)
                            .build_many(&mine)
                        {
                            Ok(r) => any.push(r),
                            Err(e) => {
                                errors.push(format!(
                                    "pack {pack}: cannot compile its signals, not scanned: {e}"
                                ));
                                failed.push(pack.to_owned());
                            }
                        }
                    }
                    signals.retain(|(s, _)| !failed.iter().any(|f| f == s.pack()));
                }
            }
        }
        any.extend(builtin.clone());
    }
    // Which signals a record matches: by gates when every signal has one, else by one set,
    // else (a set too large to build) by each signal's own regex.
    let gates = signals.iter().map(|(s, _)| Gate::new(&s.pattern)).collect::<Option<Vec<Gate>>>();
    let set = if gates.is_some() {
        None
    } else {
        regex::RegexSetBuilder::new(signals.iter().map(|(s, _)| s.pattern.as_str()))
            .multi_line(true)
            .crlf(true)
            .size_limit(COMBINED_SCAN_SIZE_LIMIT)
            .build()
            .ok()
    };
    (Matcher { any, windows, builtin, set, gates, signals }, errors)
}

/// What one file gave.
#[derive(Debug)]
pub struct ScanOutput {
    pub facts: FactMap,
    pub errors: Vec<CollectionError>,
    pub encoding: TextEncoding,
    pub records: u64,
    pub lines: u64,
    /// Decoded bytes.
    pub bytes: u64,
}

/// Scans the file at `path` (reported as `rel`).
pub fn scan_file(path: &Path, rel: &str, format: &Format, plan: Option<&ScanPlan>) -> ScanOutput {
    match std::fs::File::open(path) {
        Ok(f) => {
            let total = f.metadata().map_or(0, |m| m.len());
            scan_reader(f, rel, total, format, plan)
        }
        Err(e) => {
            let mut out = Scanner::new(rel, format, plan, 0, true).finish();
            out.errors.push(CollectionError::new(rel, format.collector(), format!("cannot open: {e}")));
            out
        }
    }
}

/// Scans a stream of raw bytes (`total` is its size if known, for progress only).
pub fn scan_reader<R: Read>(
    reader: R,
    rel: &str,
    total: u64,
    format: &Format,
    plan: Option<&ScanPlan>,
) -> ScanOutput {
    scan_reader_with(reader, rel, total, format, plan, ScanLimits::default())
}

/// [`scan_reader`] with explicit buffer sizes.
///
/// Chunks are small on purpose: a chunk that stays in the CPU cache between the read, the
/// decoding, the line pass and the search is much faster than a large one.
pub fn scan_reader_with<R: Read>(
    mut reader: R,
    rel: &str,
    total: u64,
    format: &Format,
    plan: Option<&ScanPlan>,
    limits: ScanLimits,
) -> ScanOutput {
    let mut sc = Scanner::new(rel, format, plan, total, limits.one_search);
    sc.max_record = limits.max_record_bytes.max(1);
    let chunk = limits.chunk.max(1);
    // The first read is at least a recognition head, so the encoding is sniffed as
    // `text::decode` and discovery sniff it, whatever the chunk size. After it, UTF-8 is read
    // straight into the text buffer and validated there; other encodings (and UTF-8 from its
    // first malformed sequence on) are read into `raw` and decoded into the text buffer.
    let mut raw = vec![0u8; chunk.max(Artifact::HEAD_LEN)];
    let mut raw_done = 0u64;
    let mut first = true;
    loop {
        let want = if first { raw.len() } else { chunk };
        let direct = !first && sc.decoder.is_none();
        let carried = if direct { sc.carry.len() } else { 0 };
        let read = if direct {
            let Scanner { text, carry, .. } = &mut sc;
            let spare = text.spare(carried + want);
            spare[..carried].copy_from_slice(carry);
            carry.clear();
            read_full(&mut reader, &mut spare[carried..])
        } else {
            read_full(&mut reader, &mut raw[..want])
        };
        let (n, failed) = match read {
            Ok(n) => (n, false),
            Err(e) => {
                sc.error_at_offset(raw_done, format!("read error, rest of the file not scanned: {e}"));
                (0, true)
            }
        };
        let last = failed || n < want;
        let before = raw_done;
        if direct {
            sc.push_utf8(carried + n, last, raw_done - carried as u64);
            raw_done += n as u64;
        } else {
            let mut src = &raw[..n];
            if first {
                let enc = sniff(src);
                sc.encoding = enc;
                let bom = enc.bom_len(src);
                src = &src[bom..];
                raw_done += bom as u64;
                if matches!(enc, TextEncoding::Utf8 | TextEncoding::Utf8Bom) {
                    sc.text.spare(src.len()).copy_from_slice(src);
                    sc.push_utf8(src.len(), last, raw_done);
                } else {
                    sc.decoder = Some(enc.encoding_rs().new_decoder_without_bom_handling());
                    sc.decode(src, last, raw_done);
                }
            } else {
                sc.decode(src, last, raw_done);
            }
            raw_done += src.len() as u64;
        }
        first = false;
        sc.process(last);
        if raw_done & !0xF_FFFF != before & !0xF_FFFF || last {
            crate::discover::file_progress(raw_done);
        }
        if last {
            break;
        }
    }
    sc.finish()
}

/// Scans the file at `path` once for several formats (the log kinds of several packs that all
/// read it): each raw chunk is read once and handed to one scanner per format, each with its
/// own records, signals and facts. One output per format, in order.
pub fn scan_file_multi(
    path: &Path,
    rel: &str,
    formats: &[Format],
    plan: Option<&ScanPlan>,
) -> Vec<ScanOutput> {
    match std::fs::File::open(path) {
        Ok(f) => {
            let total = f.metadata().map_or(0, |m| m.len());
            scan_reader_multi(f, rel, total, formats, plan, ScanLimits::default())
        }
        Err(e) => formats
            .iter()
            .map(|format| {
                let mut out = Scanner::new(rel, format, plan, 0, true).finish();
                out.errors.push(CollectionError::new(rel, format.collector(), format!("cannot open: {e}")));
                out
            })
            .collect(),
    }
}

/// [`scan_reader_with`] for several formats in one pass over the stream (see
/// [`scan_file_multi`]); one format is scanned by [`scan_reader_with`] itself.
pub fn scan_reader_multi<R: Read>(
    mut reader: R,
    rel: &str,
    total: u64,
    formats: &[Format],
    plan: Option<&ScanPlan>,
    limits: ScanLimits,
) -> Vec<ScanOutput> {
    if let [format] = formats {
        return vec![scan_reader_with(reader, rel, total, format, plan, limits)];
    }
    let mut scanners: Vec<Scanner<'_>> = formats
        .iter()
        .map(|f| {
            let mut sc = Scanner::new(rel, f, plan, total, limits.one_search);
            sc.max_record = limits.max_record_bytes.max(1);
            sc
        })
        .collect();
    let chunk = limits.chunk.max(1);
    let mut raw = vec![0u8; chunk.max(Artifact::HEAD_LEN)];
    let mut raw_done = 0u64;
    let mut first = true;
    while !scanners.is_empty() {
        let want = if first { raw.len() } else { chunk };
        let (n, failed) = match read_full(&mut reader, &mut raw[..want]) {
            Ok(n) => (n, false),
            Err(e) => {
                for sc in &mut scanners {
                    sc.error_at_offset(raw_done, format!("read error, rest of the file not scanned: {e}"));
                }
                (0, true)
            }
        };
        let last = failed || n < want;
        for sc in &mut scanners {
            sc.feed_raw(&raw[..n], first, last, raw_done);
            sc.process(last);
        }
        let before = raw_done;
        raw_done += n as u64;
        first = false;
        if raw_done & !0xF_FFFF != before & !0xF_FFFF || last {
            crate::discover::file_progress(raw_done);
        }
        if last {
            break;
        }
    }
    scanners.into_iter().map(Scanner::finish).collect()
}

/// The decoded text not yet done with: valid UTF-8 in `buf[..len]`. `buf` keeps its size (bytes
/// past `len` are stale), so reading into it costs no zeroing.
#[derive(Default)]
struct TextBuf {
    buf: Vec<u8>,
    len: usize,
}

impl TextBuf {
    fn len(&self) -> usize {
        self.len
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// `n` bytes just past the text, for [`TextBuf::commit`].
    fn spare(&mut self, n: usize) -> &mut [u8] {
        if self.buf.len() < self.len + n {
            self.buf.resize(self.len + n, 0);
        }
        &mut self.buf[self.len..self.len + n]
    }

    fn commit(&mut self, n: usize) {
        self.len += n;
    }

    fn push_str(&mut self, s: &str) {
        self.spare(s.len()).copy_from_slice(s.as_bytes());
        self.commit(s.len());
    }

    fn drain_front(&mut self, upto: usize) {
        self.buf.copy_within(upto..self.len, 0);
        self.len -= upto;
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The collector entry point shared by the log collectors.
pub(crate) fn collect_artifact(
    format: Format,
    artifact: &Artifact<'_>,
    ctx: &CollectContext<'_>,
) -> CollectorOutput {
    let out = scan_file(artifact.path, artifact.rel_path, &format, ctx.plan);
    CollectorOutput {
        facts: out.facts,
        errors: out.errors,
        encoding: Some(out.encoding.name().to_owned()),
        items: out.records,
    }
}

struct Scanner<'a> {
    rel: &'a str,
    format: &'a Format,
    matcher: Arc<Matcher>,
    splitter: Splitter,
    encoding: TextEncoding,
    errors: Vec<CollectionError>,
    errors_dropped: u64,

    /// Decoded text not yet done with; `text[0]` is at decoded offset `base`.
    text: TextBuf,
    /// The decoder, once the text is not read as UTF-8 in place (another encoding, or a
    /// malformed sequence seen).
    decoder: Option<encoding_rs::Decoder>,
    /// UTF-8 read in place: the bytes of a character cut by the end of the last read.
    carry: Vec<u8>,
    base: u64,
    /// `text[..fed]` has been fed to the splitter, line by line.
    fed: usize,
    /// Number of the line starting at `text[fed]`.
    next_line: u64,
    /// `text[0]` is in the middle of a line (a previous part of it was dropped).
    mid_line: bool,
    /// The record starting at `text[0]` began in an earlier part.
    continued: bool,
    /// When `continued`: the number of the line at `text[0]`.
    part_line: u64,
    /// Record starts in `text`: (offset in `text`, line number). Never empty once text is fed.
    starts: Vec<(usize, u64)>,
    /// `text[..searched]` has been searched for hits.
    searched: usize,
    long_record_reported: bool,
    max_record: usize,
    nul_lines_reported: u32,

    records: u64,
    lines: u64,
    /// WSUS: the header times seen by the line pass.
    range: TimeRange,
    first_time: Option<Timestamp>,
    last_time: Option<Timestamp>,
    extracted: Extracted,
    /// Per signal: matches kept and matches dropped over the cap.
    matches: Vec<(Vec<Fact>, u64)>,
}

impl<'a> Scanner<'a> {
    fn new(rel: &'a str, format: &'a Format, plan: Option<&ScanPlan>, _total: u64, one_search: bool) -> Self {
        let compiled = super::compiled::matcher(format, plan, one_search);
        let (matcher, messages) = &*compiled;
        let matcher = Arc::clone(matcher);
        let errors =
            messages.iter().map(|m| CollectionError::new(rel, format.collector(), m.as_str())).collect();
        let n = matcher.signals.len();
        Scanner {
            rel,
            format,
            matcher,
            splitter: Splitter::new(format.rules()),
            encoding: TextEncoding::Utf8,
            errors,
            errors_dropped: 0,
            text: TextBuf::default(),
            decoder: None,
            carry: Vec::new(),
            base: 0,
            fed: 0,
            next_line: 1,
            mid_line: false,
            continued: false,
            part_line: 1,
            starts: Vec::new(),
            searched: 0,
            long_record_reported: false,
            max_record: MAX_RECORD_BYTES,
            nul_lines_reported: 0,
            records: 0,
            lines: 0,
            range: TimeRange::default(),
            first_time: None,
            last_time: None,
            extracted: Extracted::default(),
            matches: vec![(Vec::new(), 0); n],
        }
    }

    fn push_error(&mut self, e: CollectionError) {
        if self.errors.len() < MAX_ERRORS_PER_FILE {
            self.errors.push(e);
        } else {
            self.errors_dropped += 1;
        }
    }

    fn error_at_offset(&mut self, offset: u64, msg: String) {
        let e = CollectionError::new(self.rel, self.format.collector(), msg).at_offset(offset);
        self.push_error(e);
    }

    fn error_at_line(&mut self, line: u64, msg: String) {
        let e = CollectionError::new(self.rel, self.format.collector(), msg).at_line(line);
        self.push_error(e);
    }

    /// Takes the `added` bytes just past the text (`text.spare`), read as UTF-8 and starting at
    /// raw offset `raw_at`, into the text when they are valid UTF-8; a character cut by the end
    /// of the read waits in `carry`. From the first malformed sequence on, the bytes go through
    /// the decoder instead, as any other encoding does: the same text and errors, only slower.
    fn push_utf8(&mut self, added: usize, last: bool, raw_at: u64) {
        let start = self.text.len();
        let new = &self.text.spare(added)[..];
        // (`simdutf8`: several times faster than `std::str::from_utf8`, same answers.)
        let (good, rest) = match simdutf8::compat::from_utf8(new) {
            Ok(_) => (added, false),
            Err(e) if e.error_len().is_none() && !last => {
                let good = e.valid_up_to();
                self.carry.extend_from_slice(&new[good..]);
                (good, false)
            }
            Err(e) => (e.valid_up_to(), true),
        };
        self.text.commit(good);
        if rest {
            let tail = self.text.buf[start + good..start + added].to_vec();
            self.decoder = Some(encoding_rs::UTF_8.new_decoder_without_bom_handling());
            self.decode(&tail, last, raw_at + good as u64);
        }
    }

    /// Takes one raw chunk (starting at raw offset `raw_at`) into the text, as
    /// [`scan_reader_with`] does: the first chunk sniffs the encoding and skips its BOM; UTF-8
    /// is validated in place (after any character cut by the previous chunk), other encodings
    /// are decoded.
    fn feed_raw(&mut self, src: &[u8], first: bool, last: bool, raw_at: u64) {
        if first {
            let enc = sniff(src);
            self.encoding = enc;
            let bom = enc.bom_len(src);
            let (src, raw_at) = (&src[bom..], raw_at + bom as u64);
            if matches!(enc, TextEncoding::Utf8 | TextEncoding::Utf8Bom) {
                self.text.spare(src.len()).copy_from_slice(src);
                self.push_utf8(src.len(), last, raw_at);
            } else {
                self.decoder = Some(enc.encoding_rs().new_decoder_without_bom_handling());
                self.decode(src, last, raw_at);
            }
        } else if self.decoder.is_none() {
            let Scanner { text, carry, .. } = self;
            let carried = carry.len();
            let spare = text.spare(carried + src.len());
            spare[..carried].copy_from_slice(carry);
            spare[carried..].copy_from_slice(src);
            carry.clear();
            self.push_utf8(carried + src.len(), last, raw_at - carried as u64);
        } else {
            self.decode(src, last, raw_at);
        }
    }

    /// Appends the decoding of `src` (which starts at raw offset `raw_at`) to `text`; each
    /// malformed sequence becomes U+FFFD and an error with its raw offset.
    fn decode(&mut self, mut src: &[u8], last: bool, mut raw_at: u64) {
        let Some(mut dec) = self.decoder.take() else { return };
        loop {
            let need =
                dec.max_utf8_buffer_length_without_replacement(src.len()).unwrap_or(src.len() * 3 + 16);
            let (res, read, written) =
                dec.decode_to_utf8_without_replacement(src, self.text.spare(need.max(16)), last);
            self.text.commit(written);
            match res {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(bad, extra) => {
                    let at = (raw_at + read as u64).saturating_sub(u64::from(bad) + u64::from(extra));
                    self.error_at_offset(
                        at,
                        format!("malformed {} sequence, replaced by U+FFFD", self.encoding.name()),
                    );
                    self.text.push_str("\u{FFFD}");
                }
            }
            src = &src[read..];
            raw_at += read as u64;
        }
        self.decoder = Some(dec);
    }

    /// Feeds the new complete lines to the splitter, handles every record known to be complete,
    /// and drops what is done with. At `last`, everything is complete.
    fn process(&mut self, last: bool) {
        self.feed_lines(last);
        // Records before the last start are complete; at the end of input the last one is too.
        let complete_end = if last { self.text.len() } else { self.starts.last().map_or(0, |s| s.0) };
        self.search(complete_end);
        if last {
            return;
        }
        let keep_from = self.starts.last().map_or(self.fed, |s| s.0).min(self.searched);
        let pending = self.text.len() - keep_from;
        if pending > self.max_record {
            self.flush_long_record(keep_from);
        } else {
            self.drain(keep_from);
        }
    }

    fn feed_lines(&mut self, last: bool) {
        let text = self.text.as_bytes();
        let from = self.fed;
        let region = &text[from..];
        let has_nul = memchr::memchr(0, region).is_some();
        let is_wsus = matches!(self.format, Format::Wsus);
        let mut pos = from;
        let mut nul_lines = Vec::new();
        let tail = (last && !text.ends_with(b"\n") && from < text.len()).then_some(text.len());
        if is_wsus {
            // The WSUS line pass: nothing but where records start and the header times.
            let first_line = self.next_line;
            let mut line = first_line;
            let mut mid_line = std::mem::take(&mut self.mid_line);
            let (splitter, range, starts) = (&mut self.splitter, &mut self.range, &mut self.starts);
            let known = starts.len();
            let mut pass = WsusPass { text, from, pos, line, mid_line, splitter, range, starts };
            // memchr's AVX2 searcher used directly where the CPU has it: one call per line, so
            // the per-call dispatch of `memchr_iter` shows.
            #[cfg(target_arch = "x86_64")]
            let done =
                memchr::arch::x86_64::avx2::memchr::One::new(b'\n').map(|one| pass.run(one.iter(region)));
            #[cfg(not(target_arch = "x86_64"))]
            let done: Option<()> = None;
            if done.is_none() {
                pass.run(memchr::memchr_iter(b'\n', region));
            }
            let WsusPass { pos: p, line: l, mid_line: m, splitter, range, starts, .. } = pass;
            (pos, line, mid_line) = (p, l, m);
            if let Some(end) = tail {
                if !mid_line && splitter.starts_wsus(&text[pos..end], range) {
                    starts.push((pos, line));
                }
                mid_line = false;
                line += 1;
                pos = end;
            }
            self.records += (starts.len() - known) as u64;
            if has_nul {
                let mut at = from;
                for (l, end) in
                    (first_line..).zip(memchr::memchr_iter(b'\n', region).map(|i| from + i + 1).chain(tail))
                {
                    if memchr::memchr(0, &text[at..end]).is_some() {
                        nul_lines.push(l);
                    }
                    at = end;
                }
            }
            self.mid_line = mid_line;
            self.next_line = line;
        }
        let (mut lo, mut hi) = (self.first_time, self.last_time);
        let generic = if is_wsus { &region[..0] } else { region };
        let tail = tail.filter(|_| !is_wsus);
        for end in memchr::memchr_iter(b'\n', generic).map(|i| from + i + 1).chain(tail) {
            let content = strip_eol(&text[pos..end]);
            let line = self.next_line;
            let starts =
                if std::mem::take(&mut self.mid_line) { false } else { self.splitter.starts_record(content) };
            if starts {
                self.starts.push((pos, line));
                self.records += 1;
            }
            let time = self.format.line_time(content, starts);
            if let Some(t) = time {
                lo = Some(lo.map_or(t, |f| f.min(t)));
                hi = Some(hi.map_or(t, |l| l.max(t)));
            }
            if has_nul && memchr::memchr(0, content).is_some() {
                nul_lines.push(line);
            }
            self.next_line += 1;
            pos = end;
        }
        self.lines = self.next_line - 1;
        (self.first_time, self.last_time) = (lo, hi);
        self.fed = pos;
        for line in nul_lines {
            if self.nul_lines_reported < 10 {
                self.error_at_line(line, "NUL bytes in the line (binary data or a wrong encoding)".into());
            }
            self.nul_lines_reported += 1;
        }
    }

    /// Finds hits in `text[searched..end]`, handling each hit's record.
    fn search(&mut self, end: usize) {
        if self.matcher.windows.is_some() {
            return self.search_windows(end);
        }
        // Shared, read-only: held apart from `self`, which the loop needs mutably.
        let matcher = Arc::clone(&self.matcher);
        let any = &matcher.any;
        let text_len = self.text.len();
        let mut at = self.searched;
        // Per search: the next hit at or after `at` (`None`: none before `end`).
        let mut next: Vec<Option<usize>> = vec![Some(at); any.len()];
        let mut stale = vec![true; any.len()];
        while at < end {
            for (i, re) in any.iter().enumerate() {
                if stale[i] || next[i].is_some_and(|n| n < at) {
                    // Where a match ends is enough to find its record: no reverse scan.
                    let input = Input::new(self.text.as_bytes()).range(at..end).earliest(true);
                    next[i] = re.search_half(&input).map(|m| m.offset().saturating_sub(1).max(at));
                    stale[i] = false;
                }
            }
            let Some(hit) = next.iter().flatten().copied().min() else { break };
            let (ri, rstart) = self.record_of(hit);
            let rend = self.starts.get(ri + 1).map_or(text_len, |s| s.0);
            let record_line = self.starts[ri].1;
            let continued = ri == 0 && self.continued;
            let part_line = if continued { self.part_line } else { record_line };
            self.handle_record(rstart, rend, record_line, part_line, continued);
            // Resume after the record: every pattern was tried on all of it.
            at = rend.max(hit + 1);
        }
        self.searched = self.searched.max(end);
    }

    /// [`Scanner::search`] by [`Windows`]: every record that holds the start of a match.
    fn search_windows(&mut self, end: usize) {
        // Shared, read-only: held apart from `self`, which the loop needs mutably.
        let matcher = Arc::clone(&self.matcher);
        let (Some(windows), Some(re)) = (matcher.windows.as_ref(), matcher.any.first()) else {
            return;
        };
        let text_len = self.text.len();
        let mut at = self.searched;
        // Records before `floor` are done with.
        let mut floor = at;
        while at < end {
            let found = windows.searcher.find_in(self.text.as_bytes(), aho_corasick::Span::from(at..end));
            let Some(q) = found.map(|m| m.start()) else { break };
            let Some(start) = windows.match_start(self.text.as_bytes(), q, floor, end, re) else {
                at = q + 1;
                continue;
            };
            let (ri, rstart) = self.record_of(start);
            let rend = self.starts.get(ri + 1).map_or(text_len, |s| s.0);
            let record_line = self.starts[ri].1;
            let continued = ri == 0 && self.continued;
            let part_line = if continued { self.part_line } else { record_line };
            self.handle_record(rstart, rend, record_line, part_line, continued);
            // Every pattern was tried on all of the record.
            floor = rend;
            at = at.max(rend);
        }
        self.searched = self.searched.max(end);
    }

    /// The record containing text offset `pos`: (index in `starts`, start offset).
    fn record_of(&self, pos: usize) -> (usize, usize) {
        let i = self.starts.partition_point(|s| s.0 <= pos).saturating_sub(1);
        (i, self.starts.get(i).map_or(0, |s| s.0))
    }

    /// Parses the record at `text[start..end]` (whose first line is `first_line`), gathers its
    /// built-in facts and matches it against every signal.
    fn handle_record(&mut self, start: usize, end: usize, record_line: u64, part_line: u64, continued: bool) {
        // Valid UTF-8 (`TextBuf`), and records start and end at line boundaries.
        let bytes = &self.text.as_bytes()[start..end];
        let text =
            simdutf8::basic::from_utf8(bytes).map_or_else(|_| String::from_utf8_lossy(bytes), Cow::Borrowed);
        let text: &str = &text;
        // The record's text, lines joined with `\n`: the text itself unless it has a CR.
        let body = text.strip_suffix('\n').unwrap_or(text);
        let borrowed = memchr::memchr(b'\r', body.as_bytes()).is_none().then_some(body);
        let lines_of = || {
            let mut lines = Vec::new();
            let mut off = 0usize;
            let mut number = part_line;
            while off < text.len() {
                let len = memchr::memchr(b'\n', &text.as_bytes()[off..]).map_or(text.len() - off, |i| i + 1);
                let raw = &text[off..off + len];
                let content = raw.strip_suffix('\n').unwrap_or(raw);
                let content = content.strip_suffix('\r').unwrap_or(content);
                lines.push(Line { number, offset: self.base + (start + off) as u64, text: content });
                number += 1;
                off += len;
            }
            lines
        };
        let joined: Cow<'_, str> = match borrowed {
            Some(b) => Cow::Borrowed(b),
            None => Cow::Owned(Record { lines: lines_of(), continued }.joined()),
        };
        // Signals still under their cap (the others only count), and whether the built-in facts
        // look at this record: when neither, the record is not parsed at all.
        let mut hits = Vec::new();
        let set_matches = match (&self.matcher.gates, &self.matcher.set) {
            (None, Some(set)) => Some(set.matches(&joined)),
            _ => None,
        };
        for i in 0..self.matcher.signals.len() {
            let matched = match (&self.matcher.gates, &set_matches) {
                (Some(gates), _) => gates[i].is_match(&self.matcher.signals[i].1, &joined),
                (None, Some(m)) => m.matched(i),
                (None, None) => self.matcher.signals[i].1.is_match(&joined),
            };
            if !matched {
                continue;
            }
            let max = self.matcher.signals[i].0.max_matches;
            let max = if max == 0 { usize::MAX } else { max };
            if self.matches[i].0.len() >= max {
                self.matches[i].1 += 1;
            } else {
                hits.push(i);
            }
        }
        let builtin = self.matcher.builtin.as_ref().is_some_and(|b| b.is_match(joined.as_bytes()));
        if hits.is_empty() && !builtin {
            return;
        }
        let rec = Record { lines: lines_of(), continued };
        let fields = if hits.is_empty() && !self.format.extract_needs_fields(&joined) {
            Fields::new()
        } else {
            self.format.fields(&rec)
        };
        let rel = self.rel;
        let collector = self.format.collector();
        if builtin {
            let src = |line: u64| Arc::new(Provenance::new(rel, collector).at_line(line));
            self.format.extract(&rec, &fields, &mut self.extracted, &src);
        }
        for i in hits {
            let re = &self.matcher.signals[i].1;
            let Some(caps) = re.captures(&joined) else { continue };
            let whole = caps.get(0).map_or(0..0, |m| m.range());
            let line_idx = joined[..whole.start].bytes().filter(|b| *b == b'\n').count();
            let line = rec.lines.get(line_idx).copied().unwrap_or(rec.lines[0]);
            let mut captures = Fields::new();
            for name in re.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    captures.insert(name.to_owned(), Fact::new(m.as_str()));
                }
            }
            let mut m = Fields::new();
            m.insert("line".into(), Fact::new(record_line as i64));
            m.insert("match_line".into(), Fact::new(line.number as i64));
            m.insert("text".into(), Fact::new(cap_text(&joined, MAX_RECORD_TEXT)));
            m.insert("fields".into(), Fact::new(Value::Map(fields.clone())));
            m.insert("captures".into(), Fact::new(Value::Map(captures)));
            m.insert("artifact".into(), Fact::new(rel));
            let prov = Provenance::new(rel, collector)
                .lines(line.number, rec.last_line())
                .span(line.offset, line.offset + line.text.len() as u64);
            self.matches[i].0.push(Fact::with_source(Value::Map(m), Arc::new(prov)));
        }
    }

    /// Drops `text[..upto]` (everything there is done with).
    fn drain(&mut self, upto: usize) {
        if upto == 0 {
            return;
        }
        if self.starts.first().is_some_and(|s| s.0 < upto) {
            // The record at `upto` (if any) starts a fresh part.
            self.continued = false;
        }
        self.text.drain_front(upto);
        self.base += upto as u64;
        self.fed -= upto;
        self.searched -= upto.min(self.searched);
        self.starts.retain(|s| s.0 >= upto);
        for s in &mut self.starts {
            s.0 -= upto;
        }
    }

    /// The pending record (from `text[from]`) is longer than [`MAX_RECORD_BYTES`]: search it
    /// as it is, then drop it and go on with the rest of it as a continued part.
    fn flush_long_record(&mut self, from: usize) {
        self.drain(from);
        let record_line = self.starts.first().map_or(self.next_line, |s| s.1);
        if !self.long_record_reported {
            self.long_record_reported = true;
            self.error_at_line(
                record_line,
                format!(
                    "record longer than {} bytes, scanned in parts (a match across two parts can be missed)",
                    self.max_record
                ),
            );
        }
        if self.starts.is_empty() {
            self.starts.push((0, record_line));
        }
        // A partial last line is included: decoding stops at char boundaries.
        let end = self.text.len();
        self.search(end);
        self.mid_line = self.fed < end;
        self.base += end as u64;
        self.text.clear();
        self.fed = 0;
        self.searched = 0;
        self.starts.clear();
        self.starts.push((0, record_line));
        self.continued = true;
        self.part_line = self.next_line;
    }

    fn finish(mut self) -> ScanOutput {
        if self.errors_dropped > 0 {
            let n = self.errors_dropped;
            self.errors.push(CollectionError::new(
                self.rel,
                self.format.collector(),
                format!("{n} more errors in this file not listed"),
            ));
        }
        let rel = self.rel;
        let collector = self.format.collector();
        let kind = self.format.kind().to_owned();
        let src = Arc::new(Provenance::new(rel, collector));
        let mut facts = FactMap::new();

        // signals.<id>
        for ((spec, _), (kept, dropped)) in self.matcher.signals.iter().zip(std::mem::take(&mut self.matches))
        {
            facts.insert(&["signals", spec.id.as_str()], Fact::new(Value::List(kept)));
            if dropped > 0 {
                // Per file, so that several files' counts merge instead of conflicting.
                facts.insert(&["signals_truncated", spec.id.as_str(), rel], Fact::new(dropped as i64));
            }
        }

        // logs.<kind>
        let ex = std::mem::take(&mut self.extracted);
        let mut by_file = Fields::new();
        by_file.insert("records".into(), Fact::new(self.records as i64));
        by_file.insert("lines".into(), Fact::new(self.lines as i64));
        by_file.insert("bytes".into(), Fact::new((self.base + self.text.len() as u64) as i64));
        by_file.insert("encoding".into(), Fact::new(self.encoding.name()));
        let (lo, hi) = self.range.get();
        for t in [lo, hi].into_iter().flatten() {
            self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
            self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
        }
        if let Some(t) = self.first_time {
            by_file.insert("first_time".into(), Fact::new(t));
        }
        if let Some(t) = self.last_time {
            by_file.insert("last_time".into(), Fact::new(t));
        }
        let mut truncated: BTreeMap<String, Fact> =
            ex.truncated.iter().map(|(k, v)| ((*k).to_owned(), Fact::new(*v))).collect();
        truncated.retain(|_, v| v.value != Value::Int(0));
        if !truncated.is_empty() {
            by_file.insert("truncated".into(), Fact::new(Value::Map(truncated)));
        }
        let with_artifact = |mut f: Fact| {
            if let Some(m) = f.as_map_mut() {
                m.insert("artifact".into(), Fact::new(rel));
            }
            f
        };
        let endpoints: Vec<Fact> = ex
            .endpoints
            .into_iter()
            .map(|(url, (host, count, line))| {
                let mut m = Fields::new();
                m.insert("url".into(), Fact::new(url));
                m.insert("host".into(), Fact::new(host));
                m.insert("count".into(), Fact::new(count));
                m.insert("line".into(), Fact::new(line as i64));
                m.insert("artifact".into(), Fact::new(rel));
                Fact::with_source(Value::Map(m), Arc::new(Provenance::new(rel, collector).at_line(line)))
            })
            .collect();
        let k = kind.as_str();
        facts.insert(&["logs", k, "files"], Fact::new(vec![Fact::with_source(rel, src.clone())]));
        facts.insert(&["logs", k, "by_file", rel], Fact::with_source(Value::Map(by_file), src));
        if !matches!(self.format, Format::Custom(_)) {
            facts.insert(
                &["logs", k, "schannel"],
                Fact::new(ex.schannel.into_iter().map(with_artifact).collect::<Vec<_>>()),
            );
            facts.insert(&["logs", k, "endpoints"], Fact::new(endpoints));
            facts.insert(
                &["logs", k, "sync_events"],
                Fact::new(ex.sync_events.into_iter().map(with_artifact).collect::<Vec<_>>()),
            );
        }
        ScanOutput {
            facts,
            errors: self.errors,
            encoding: self.encoding,
            records: self.records,
            lines: self.lines,
            bytes: self.base + self.text.len() as u64,
        }
    }
}

/// The WSUS line pass over one region: where records start, and their header times.
struct WsusPass<'a> {
    text: &'a [u8],
    /// Where the region starts in `text`.
    from: usize,
    /// The start of the current line, its number, and whether it is the rest of a line whose
    /// start was dropped.
    pos: usize,
    line: u64,
    mid_line: bool,
    splitter: &'a mut Splitter,
    range: &'a mut TimeRange,
    starts: &'a mut Vec<(usize, u64)>,
}

impl WsusPass<'_> {
    /// Feeds every line that ends at one of `newlines` (offsets in the region).
    #[inline(always)]
    fn run(&mut self, newlines: impl Iterator<Item = usize>) {
        let (mut pos, mut line, mut mid_line) = (self.pos, self.line, self.mid_line);
        for i in newlines {
            let end = self.from + i + 1;
            if mid_line {
                mid_line = false;
            } else if self.splitter.starts_wsus(&self.text[pos..end], self.range) {
                self.starts.push((pos, line));
            }
            line += 1;
            pos = end;
        }
        (self.pos, self.line, self.mid_line) = (pos, line, mid_line);
    }
}

/// `s` cut to at most `max` bytes at a char boundary, with `…` when cut.
fn cap_text(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The WSUS pack's signals (as in `benches/log_scan.rs`).
    const WSUS_SIGNALS: &[&str] = &[
        "forcibly closed by the remote host",
        "do not possess a common algorithm",
        "The underlying connection was closed",
        r"System\.Net\.WebException",
        r"ProcessWebServiceProxyException found Exception was (?P<type>\w+)",
        "Retry Limit Exceeded",
        r"ErrorCode=(?P<code>[A-Za-z]+)",
        r"EventId=38[67]",
    ];

    #[test]
    fn one_search_for_the_wsus_pack() {
        let all: Vec<&str> =
            WSUS_SIGNALS.iter().chain(softwaredistribution::BUILTIN_SEARCH).copied().collect();
        let pre = combined_prefilter(&all).expect("a prefilter for the WSUS pack and the built-ins");
        // Every pattern keeps its own literal, not a cut-down first few bytes.
        let hay = b"xx EventId=364 EventLogEventReporter ErrorCodes Error Processing System.Data";
        assert_eq!(pre.find(hay, regex_automata::Span::from(0..hay.len())), None);
        let hay = b"routine EventId=386,Type=Error";
        assert_eq!(pre.find(hay, regex_automata::Span::from(0..hay.len())).map(|s| s.start), Some(8));
    }

    #[test]
    fn a_gate_matches_a_long_literal_only_when_all_of_it_is_there() {
        let pattern = "A".repeat(150);
        let re = regex::Regex::new(&pattern).expect("regex");
        let gate = Gate::new(&pattern).expect("a gate");
        assert!(!gate.plain, "the extractor cut the literal to 100 bytes");
        assert!(!gate.is_match(&re, &format!("x {} y", "A".repeat(100))));
        assert!(gate.is_match(&re, &format!("x {} y", "A".repeat(150))));
        let short = Gate::new("forcibly closed by the remote host").expect("a gate");
        assert!(short.plain, "a whole short literal needs no regex");
    }

    #[test]
    fn windows_skip_the_usual_words() {
        assert_eq!(window_start(b"EventId=38"), 4); // tId=38
        assert_eq!(window_start(b"ErrorCode="), 4); // rCode=, not Erro
        assert_eq!(window_start(b"s://"), 0);
        let all: Vec<&str> =
            WSUS_SIGNALS.iter().chain(softwaredistribution::BUILTIN_SEARCH).copied().collect();
        let w = Windows::new(&all).expect("windows for the WSUS pack");
        let re = meta::Regex::new_many(&all).expect("compiles");
        // A window is traced back to its literal and the patterns run from there.
        let text = b"x\tEventId=364,Type=Information\tErrorCode=5\nEventId=386,Type=Error\n";
        let found = |from: usize| w.searcher.find_in(&text[..], aho_corasick::Span::from(from..text.len()));
        // `EventId=364` holds no window; `ErrorCode=5` does, but no pattern matches there.
        let q = found(0).expect("a window").start();
        assert_eq!(&text[q..q + 6], b"rCode=");
        assert_eq!(w.match_start(text, q, 0, text.len(), &re), None);
        let q = found(q + 1).expect("a window").start();
        assert_eq!(w.match_start(text, q, 0, text.len(), &re), Some(43));
        assert_eq!(w.match_start(text, q, 44, text.len(), &re), None, "before the floor");
    }

    #[test]
    fn no_combined_prefilter_without_good_literals() {
        // A match can start anywhere: no prefix literal at all.
        assert!(combined_prefilter(&[r"\w+ failed", "SCHANNEL Protocol"]).is_none());
        // Can match the empty string.
        assert!(combined_prefilter(&["a*", "s://"]).is_none());
        // Literals too short to be selective.
        assert!(combined_prefilter(&[r"[ab]x", "s://"]).is_none());
        // Too many literals for one prefilter.
        assert!(combined_prefilter(&[r"[a-j][a-j]x", "s://"]).is_none());
        assert!(combined_prefilter(&["Retry Limit", "s://"]).is_some());
    }
}
