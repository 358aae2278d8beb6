//! How large a pack may be. A pack is untrusted input, so loading it is bounded: a pack past any
//! of these limits is refused with `pack::too-large` naming the limit, before (files, bytes) or
//! instead of (table entries) the work it would cost. The binary reads pack folders with the
//! same limits (it stops reading at them), and the store reads archives with its own.

/// Files in a pack (`pack.toml` and every `rules/**/*.toml`).
pub const MAX_FILES: usize = 256;
/// Bytes of one pack file.
pub const MAX_FILE_BYTES: usize = 4 << 20;
/// Bytes of all of a pack's files together.
pub const MAX_PACK_BYTES: usize = 8 << 20;
/// `[[rule]]` tables in a pack.
pub const MAX_RULES: usize = 10_000;
/// `[[rule.test]]` cases of one rule.
pub const MAX_TESTS_PER_RULE: usize = 100;
/// `[signals.*]` in a pack.
pub const MAX_SIGNALS: usize = 1_000;
/// `[log_kinds.*]` in a pack.
pub const MAX_LOG_KINDS: usize = 64;
/// `[file_kinds.*]` in a pack.
pub const MAX_FILE_KINDS: usize = 64;
/// `[derive]` entries in a pack.
pub const MAX_DERIVED: usize = 1_000;
/// Values in a pack's `[data]`, counting every nested value.
pub const MAX_DATA_VALUES: usize = 100_000;
/// A signal's `max_matches`: matches kept per input (each is a record's text and fields).
pub const MAX_MATCHES: usize = 100_000;
/// How deeply arrays and tables may nest in `[data]` and in inline test facts.
pub const MAX_DATA_DEPTH: usize = 32;

/// The documented limits, for messages and docs: (what, limit).
pub const ALL: &[(&str, usize)] = &[
    ("files", MAX_FILES),
    ("bytes per file", MAX_FILE_BYTES),
    ("bytes in all", MAX_PACK_BYTES),
    ("rules", MAX_RULES),
    ("tests per rule", MAX_TESTS_PER_RULE),
    ("signals", MAX_SIGNALS),
    ("log kinds", MAX_LOG_KINDS),
    ("file kinds", MAX_FILE_KINDS),
    ("derived facts", MAX_DERIVED),
    ("data values", MAX_DATA_VALUES),
    ("max_matches of a signal", MAX_MATCHES),
    ("data nesting depth", MAX_DATA_DEPTH),
];
