//! The `registry` collector: `.reg` exports (`reg export`, regedit) turned into a typed registry
//! tree, plus the OS facts found in `Windows NT\CurrentVersion`.
//!
//! Recognised by content — the `Windows Registry Editor Version 5.00` or `REGEDIT4` header —
//! whatever the file is called (a `.reg` or `.reg.txt` name makes the bid stronger; such a file
//! whose first line is a `[HKEY_…]` key is also taken, and its missing header reported).
//!
//! # Fact layout
//!
//! ```text
//! registry                          Map, keyed by key path
//!   "HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319"   Map (empty if the key has no values)
//!     "SchUseStrongCrypto"          Int     dword:, 4-byte hex(4): unsigned (ffffffff is
//!                                           4294967295); 8-byte hex(b) QWORD as the i64 with
//!                                           the same bits
//!     "(default)"                   …       the `@` value, typed like any other
//!     "Functions"                   Str     "string", hex(1), hex(2) (REG_EXPAND_SZ, decoded,
//!                                           not expanded) — e.g. the cipher-suite policy's one
//!                                           comma-separated string
//!     "Functions"                   List of Str   hex(7) (REG_MULTI_SZ) — e.g. the local
//!                                           cipher-suite list under Control\Cryptography
//!     "Blob"                        Bytes   hex:, hex(3), hex(0), any other hex(N), and a
//!                                           hex(4)/hex(b) of the wrong length
//! registry_deletions                List of Str: `[-KEY]` → key path, `"Name"=-` → `KEY\Name`
//! registry_control_set              Map, only when the export has `HKLM\SYSTEM\ControlSet00N` keys
//!   current                         Str     the set read as `CurrentControlSet` ("ControlSet001")
//!   chosen_by                       Str     "select" (`HKLM\SYSTEM\Select` value `Current`),
//!                                           "only_set" (the one set exported) or
//!                                           "lowest_numbered" (several sets, no `Select`)
//!   copied                          Bool    false when `Select` names a set the export lacks
//!   sets                            List of Str   the numbered sets exported, in order
//! os.build                          Int     CurrentBuild (or CurrentBuildNumber)
//! os.product                        Str     from the build table in `system::os_builds`
//! os.product_name                   Str     ProductName as written
//! os.ubr                            Int     UBR
//! os.version                        Version major.minor.build (CurrentMajorVersionNumber and
//!                                           CurrentMinorVersionNumber, else CurrentVersion)
//! ```
//!
//! Key paths: the hive is abbreviated and upper-case (`HKLM`, `HKCU`, `HKCR`, `HKU`, `HKCC`;
//! `HKEY_LOCAL_MACHINE` ≡ `HKLM`), the rest `\`-separated. A segment Windows itself creates
//! (`SOFTWARE`, `SYSTEM`, `Microsoft`, `.NETFramework`, `SCHANNEL`, `TLS 1.2`, … — the table
//! [`WELL_KNOWN_NAMES`]) is always spelled as Windows spells it, whatever the file says, so that
//! `registry."HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319"` finds a hand-written
//! `[HKEY_LOCAL_MACHINE\Software\Microsoft\.NetFramework\V4.0.30319]` and two files merge into one
//! key; any other segment keeps **the case first seen in that file**. Value names likewise
//! (`SchUseStrongCrypto`, `Enabled`, `Functions`, … are in the table). The registry is
//! case-insensitive and two files may still spell an unknown name differently, so **lookups should
//! be case-insensitive** (the engine's `reg()` helper does this). Deletions apply within the file, in order; across files, facts merge through
//! [`triage_facts::FactMap::merge`], which records a value set differently by two files as a
//! conflict.
//!
//! **Control sets.** An export written from the numbered sets (`reg export HKLM\SYSTEM`, an
//! offline hive) has `HKLM\SYSTEM\ControlSet001\…` where rules read
//! `HKLM\SYSTEM\CurrentControlSet\…`: the current set's keys are also written under
//! `CurrentControlSet` (see [`control_set`] for the choice), with the provenance of the numbered
//! key — a finding cites the key as the export has it. Keys the export has under
//! `CurrentControlSet` itself keep their values. The choice is made per export file.
//!
//! Encoding: as [`crate::text::decode`] sniffs it, except that text without a BOM that is not
//! valid UTF-8 is read as Windows-1252 (an ANSI `REGEDIT4` file); the summary then says
//! `windows-1252` and spans are offsets into that decoding.
//!
//! Limits (Windows' own): a key path deeper than [`MAX_KEY_DEPTH`] segments or with a key name
//! over [`MAX_KEY_NAME`] characters is a collection error naming the limit, and its values are
//! skipped; a value name over [`MAX_VALUE_NAME`] characters or data over [`MAX_VALUE_DATA`] bytes
//! likewise skips that value. The rest of the file is read.
//!
//! Provenance: every value fact has the artifact, collector `registry`, `line` (its first line),
//! `end_line` when continued, `span` (bytes of the decoded text, from the name to the end of the
//! data) and `key` = `<key path>\<value name>`. A key's map has the line and span of the first
//! `[KEY]` line that opened it. OS facts carry the provenance of the value they come from.

pub mod control_set;
pub mod reg_file;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, FactMap,
    Provenance, Recognition, Value, Version,
};

use crate::system::os_builds;
use crate::text;
use reg_file::{Entry, Location, RegData};

pub const NAME: &str = "registry";

/// The registry collector.
#[derive(Debug)]
pub struct RegistryCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: NAME,
    version: "2",
    reads: "registry exports (`reg export`, regedit): Windows Registry Editor Version 5.00 and REGEDIT4",
    typical_names: &["*.reg"],
    provides: &["registry", "registry_deletions", "registry_control_set", "os"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("registry.*", &[Map], "a key (`HKLM\\SOFTWARE\\…`, hive abbreviated) → its values; empty when it has none"),
        FactDecl::new("registry.*.*", &[Int, Str, List, Bytes], "a value: dword/qword integer, string (REG_SZ, REG_EXPAND_SZ), list of strings (REG_MULTI_SZ) or bytes; `(default)` is the `@` value"),
        FactDecl::new("registry.*.*[]", &[Str], "one string of a REG_MULTI_SZ"),
        FactDecl::new("registry_deletions", &[List], "deletions in the exports"),
        FactDecl::new("registry_deletions[]", &[Str], "`[-KEY]` as the key path, `\"Name\"=-` as `KEY\\Name`"),
        FactDecl::new("registry_control_set.current", &[Str], "the numbered set read as `CurrentControlSet` (`ControlSet001`)"),
        FactDecl::new("registry_control_set.chosen_by", &[Str], "`select` (`HKLM\\SYSTEM\\Select` `Current`), `only_set` or `lowest_numbered`"),
        FactDecl::new("registry_control_set.copied", &[Bool], "false when `Select` names a set the export lacks"),
        FactDecl::new("registry_control_set.sets", &[List], "the numbered sets exported, in order"),
        FactDecl::new("registry_control_set.sets[]", &[Str], "a set (`ControlSet001`)"),
        FactDecl::new("os.build", &[Int], "CurrentBuild (or CurrentBuildNumber)"),
        FactDecl::new("os.product", &[Str], "the product for the build (`Windows Server 2012 R2`)"),
        FactDecl::new("os.product_name", &[Str], "ProductName as written"),
        FactDecl::new("os.ubr", &[Int], "UBR, the update build revision"),
        FactDecl::new("os.version", &[Version], "major.minor.build"),
    ]
};

pub static COLLECTORS: &[&dyn Collector] = &[&RegistryCollector];

impl Collector for RegistryCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let head = text::decode_head(artifact.head);
        let first =
            head.text.lines().map(|l| l.trim_start_matches('\u{feff}').trim()).find(|l| !l.is_empty());
        let name = artifact.file_name_lower();
        let named = name.ends_with(".reg") || name.ends_with(".reg.txt");
        match first {
            Some(l) if reg_file::header_of(l).is_some() => {
                if named {
                    Recognition::ByNameAndContent
                } else {
                    Recognition::ByContent
                }
            }
            Some(l) if named && l.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("[HKEY_")) => {
                Recognition::ByContent
            }
            _ => Recognition::No,
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        crate::read_whole(artifact, NAME, collect_bytes)
    }
}

/// Reads one `.reg` file's bytes (any encoding) into facts. `rel_path` goes into provenance.
pub fn collect_bytes(rel_path: &str, bytes: &[u8]) -> CollectorOutput {
    let decoded = text::decode(bytes);
    let mut out =
        CollectorOutput { encoding: Some(decoded.encoding.name().to_owned()), ..Default::default() };
    // REGEDIT4 files (and hand-saved 5.00 files) are often ANSI: text without a BOM that is not
    // UTF-8 is read as Windows-1252, where every byte is a character.
    let ansi = decoded.encoding == text::TextEncoding::Utf8 && decoded.first_malformed.is_some();
    let text = if ansi {
        out.encoding = Some("windows-1252".to_owned());
        encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
    } else {
        if let Some(offset) = decoded.first_malformed {
            out.errors.push(
                CollectionError::new(
                    rel_path,
                    NAME,
                    format!("malformed {} text (replaced with U+FFFD)", decoded.encoding),
                )
                .at_offset(offset),
            );
        }
        decoded.text
    };
    let parsed = reg_file::parse(&text);
    for e in &parsed.errors {
        out.errors.push(CollectionError::new(rel_path, NAME, e.message.clone()).at_line(e.line));
    }
    let mut tree = Tree::new(rel_path);
    for entry in parsed.entries {
        if let Some(err) = tree.apply(entry, &mut out.items) {
            out.errors.push(err);
        }
    }
    out.facts = tree.into_facts();
    out
}

/// Canonical form of a hive name (`HKEY_LOCAL_MACHINE` → `HKLM`), or `None` if unknown.
pub fn hive_abbreviation(hive: &str) -> Option<&'static str> {
    const HIVES: &[(&str, &str)] = &[
        ("HKEY_LOCAL_MACHINE", "HKLM"),
        ("HKEY_CURRENT_USER", "HKCU"),
        ("HKEY_CLASSES_ROOT", "HKCR"),
        ("HKEY_USERS", "HKU"),
        ("HKEY_CURRENT_CONFIG", "HKCC"),
        ("HKEY_PERFORMANCE_DATA", "HKPD"),
        ("HKEY_DYN_DATA", "HKDD"),
    ];
    HIVES
        .iter()
        .find(|(long, short)| hive.eq_ignore_ascii_case(long) || hive.eq_ignore_ascii_case(short))
        .map(|(_, short)| *short)
}

/// Splits a key path as written into its abbreviated hive and segments (empty segments from
/// doubled or trailing `\` dropped). `None` for an unknown hive.
pub fn split_key_path(path: &str) -> Option<(&'static str, Vec<&str>)> {
    let mut it = path.split('\\').filter(|s| !s.is_empty());
    let hive = hive_abbreviation(it.next()?.trim())?;
    Some((hive, it.collect()))
}

/// Case-insensitive comparison key for key paths and value names.
fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Key segments and value names as Windows spells them, for the keys triage's packs read. A
/// name found here (case-insensitively) is written in this spelling in the facts.
pub const WELL_KNOWN_NAMES: &[&str] = &[
    // key segments
    "SOFTWARE",
    "SYSTEM",
    "Microsoft",
    "Policies",
    "WOW6432Node",
    ".NETFramework",
    "v2.0.50727",
    "v4.0.30319",
    "CurrentControlSet",
    "ControlSet001",
    "Control",
    "SecurityProviders",
    "SCHANNEL",
    "Protocols",
    "Ciphers",
    "CipherSuites",
    "Hashes",
    "KeyExchangeAlgorithms",
    "Client",
    "Server",
    "SSL 2.0",
    "SSL 3.0",
    "TLS 1.0",
    "TLS 1.1",
    "TLS 1.2",
    "TLS 1.3",
    "DTLS 1.0",
    "DTLS 1.2",
    "Multi-Protocol Unified Hello",
    "PCT 1.0",
    "Cryptography",
    "Configuration",
    "Local",
    "SSL",
    "00010002",
    "00010003",
    "Windows NT",
    "CurrentVersion",
    "Windows",
    "WindowsUpdate",
    "AU",
    "Update Services",
    "Setup",
    "Services",
    "Internet Settings",
    // value names
    "SchUseStrongCrypto",
    "SystemDefaultTlsVersions",
    "Enabled",
    "DisabledByDefault",
    "Functions",
    "EccCurves",
    "ProductName",
    "EditionID",
    "InstallationType",
    "CurrentBuild",
    "CurrentBuildNumber",
    "CurrentMajorVersionNumber",
    "CurrentMinorVersionNumber",
    "UBR",
    "ReleaseId",
    "DisplayVersion",
    "WUServer",
    "WUStatusServer",
    "UseWUServer",
    "ContentDir",
    "PortNumber",
    "UsingSSL",
    "SqlServerName",
];

/// The Windows spelling of a well-known name, if `name` is one (case-insensitively).
pub fn well_known_spelling(name: &str) -> Option<&'static str> {
    WELL_KNOWN_NAMES.iter().find(|w| w.eq_ignore_ascii_case(name)).copied()
}

/// `name` in its Windows spelling if well known, else as given.
fn spelled(name: String) -> String {
    well_known_spelling(&name).map_or(name, str::to_owned)
}

/// Deepest key path accepted, in segments below the hive (Windows allows 512 levels).
pub const MAX_KEY_DEPTH: usize = 512;
/// Longest key name (one segment), in characters, as Windows allows.
pub const MAX_KEY_NAME: usize = 255;
/// Longest value name, in characters, as Windows allows.
pub const MAX_VALUE_NAME: usize = 16_383;
/// Largest value data kept, in bytes (of the decoded strings, or of the binary data): the limit
/// of the registry's standard format; larger values are reported and left out.
pub const MAX_VALUE_DATA: usize = 1 << 20;

/// The parent of the hive nodes in [`Tree::case`].
const HIVE_NODE: usize = usize::MAX;

/// Why a key path is not read.
enum KeyRefusal {
    UnknownHive,
    TooDeep(usize),
    NameTooLong(usize),
}

impl KeyRefusal {
    fn message(&self, path: &str, tail: &str) -> String {
        match self {
            KeyRefusal::UnknownHive => format!("unknown hive in key `{path}`{tail}"),
            KeyRefusal::TooDeep(n) => {
                format!("key path of {n} segments is deeper than the limit of {MAX_KEY_DEPTH}{tail}")
            }
            KeyRefusal::NameTooLong(n) => {
                format!("key name of {n} characters is longer than the limit of {MAX_KEY_NAME}{tail}")
            }
        }
    }
}

/// Why a value is not kept, if it is over a limit.
fn value_refusal(name: &str, data: &RegData) -> Option<String> {
    let chars = name.chars().count();
    if chars > MAX_VALUE_NAME {
        return Some(format!(
            "value name of {chars} characters is longer than the limit of {MAX_VALUE_NAME}; the value is skipped"
        ));
    }
    let size = match data {
        RegData::Sz(s) | RegData::ExpandSz(s) => s.len(),
        RegData::MultiSz(l) => l.iter().map(String::len).sum(),
        RegData::Dword(_) | RegData::Qword(_) => 0,
        RegData::Binary(b) | RegData::Other { bytes: b, .. } => b.len(),
    };
    (size > MAX_VALUE_DATA).then(|| {
        format!(
            "value data of {size} bytes is larger than the limit of {MAX_VALUE_DATA}; the value is skipped"
        )
    })
}

/// Where the values that follow go.
enum Current {
    /// Before the first key.
    Nothing,
    /// Folded path of the open key.
    Key(String),
    /// After a key whose hive is unknown (already reported): values are skipped silently.
    Skipped,
    /// After `[-KEY]`: values make no sense there; the first one is reported.
    Deleted { reported: bool },
}

struct Key {
    path: String,
    source: Arc<Provenance>,
    /// folded name → (name as first seen, value)
    values: BTreeMap<String, (String, Fact)>,
}

/// One file's registry tree, built by applying its entries in order.
struct Tree<'a> {
    rel_path: &'a str,
    /// folded path → key
    keys: BTreeMap<String, Key>,
    /// (parent node, folded segment) → node: the trie of key segments seen in this file
    case: HashMap<(usize, String), usize>,
    /// node → its segment in the spelling first seen
    spellings: Vec<String>,
    /// `registry_deletions`, in file order
    deletions: Vec<Fact>,
    current: Current,
}

impl<'a> Tree<'a> {
    fn new(rel_path: &'a str) -> Self {
        Tree {
            rel_path,
            keys: BTreeMap::new(),
            case: HashMap::new(),
            spellings: Vec::new(),
            deletions: Vec::new(),
            current: Current::Nothing,
        }
    }

    fn provenance(&self, at: &Location) -> Provenance {
        Provenance::new(self.rel_path, NAME)
            .lines(at.line, at.end_line)
            .span(at.span.start as u64, at.span.end as u64)
    }

    fn error(&self, at: &Location, message: String) -> CollectionError {
        CollectionError::new(self.rel_path, NAME, message).at_line(at.line)
    }

    /// Canonical (first-seen case) and folded forms of a key path, or why it is refused.
    ///
    /// The first-seen spelling is kept per segment, in a trie of (parent, folded segment), so
    /// the memory it takes is linear in the key paths read (a table of every spelled prefix was
    /// quadratic: one 30,000-segment path took 1.4 GB).
    fn canonical(&mut self, raw: &str) -> Result<(String, String), KeyRefusal> {
        let (hive, segments) = split_key_path(raw).ok_or(KeyRefusal::UnknownHive)?;
        if segments.len() > MAX_KEY_DEPTH {
            return Err(KeyRefusal::TooDeep(segments.len()));
        }
        if let Some(long) = segments.iter().find(|s| s.chars().count() > MAX_KEY_NAME) {
            return Err(KeyRefusal::NameTooLong(long.chars().count()));
        }
        let mut canonical = hive.to_owned();
        let mut folded = hive.to_ascii_lowercase();
        let mut parent = HIVE_NODE;
        let hive_id = self.segment(parent, folded.clone(), hive);
        parent = hive_id;
        for seg in segments {
            let f = fold(seg);
            folded.push('\\');
            folded.push_str(&f);
            let id = self.segment(parent, f, well_known_spelling(seg).unwrap_or(seg));
            canonical.push('\\');
            canonical.push_str(&self.spellings[id]);
            parent = id;
        }
        Ok((canonical, folded))
    }

    /// The trie node of segment `folded` under `parent`, created with `spelling` when new.
    fn segment(&mut self, parent: usize, folded: String, spelling: &str) -> usize {
        let next = self.spellings.len();
        let id = *self.case.entry((parent, folded)).or_insert(next);
        if id == next {
            self.spellings.push(spelling.to_owned());
        }
        id
    }

    /// The folded path of the key a value (or value deletion, `what`) goes to, or the error to
    /// record (if any) when it goes nowhere.
    fn target(&mut self, at: &Location, what: &str) -> Result<String, Option<CollectionError>> {
        match &mut self.current {
            Current::Key(folded) => Ok(folded.clone()),
            Current::Skipped => Err(None),
            Current::Nothing => Err(Some(self.error(at, format!("{what} before any key is skipped")))),
            Current::Deleted { reported } => {
                if *reported {
                    return Err(None);
                }
                *reported = true;
                Err(Some(self.error(at, format!("{what} under a deleted key `[-…]` is skipped"))))
            }
        }
    }

    /// Applies one entry; returns an error to record, if any.
    fn apply(&mut self, entry: Entry, items: &mut u64) -> Option<CollectionError> {
        match entry {
            Entry::Key { path, at } => {
                let (canonical, folded) = match self.canonical(&path) {
                    Ok(x) => x,
                    Err(why) => {
                        self.current = Current::Skipped;
                        return Some(self.error(&at, why.message(&path, "; its values are skipped")));
                    }
                };
                if !self.keys.contains_key(&folded) {
                    let source = Arc::new(self.provenance(&at).key(canonical.clone()));
                    self.keys
                        .insert(folded.clone(), Key { path: canonical, source, values: BTreeMap::new() });
                }
                self.current = Current::Key(folded);
                None
            }
            Entry::DeleteKey { path, at } => {
                self.current = Current::Deleted { reported: false };
                let (canonical, folded) = match self.canonical(&path) {
                    Ok(x) => x,
                    Err(KeyRefusal::UnknownHive) => {
                        return Some(self.error(&at, format!("unknown hive in deleted key `{path}`")))
                    }
                    Err(why) => return Some(self.error(&at, why.message(&path, " (deleted key)"))),
                };
                // The key and everything below it: one range of the sorted map, not a scan of
                // every key per deletion.
                self.keys.remove(&folded);
                let below = format!("{folded}\\");
                let doomed: Vec<String> = self
                    .keys
                    .range(below.clone()..)
                    .map(|(k, _)| k)
                    .take_while(|k| k.starts_with(&below))
                    .cloned()
                    .collect();
                for k in doomed {
                    self.keys.remove(&k);
                }
                let src = Arc::new(self.provenance(&at).key(canonical.clone()));
                self.deletions.push(Fact::with_source(canonical, src));
                None
            }
            Entry::Value { name, data, at } => {
                let key = match self.target(&at, "value") {
                    Ok(folded) => self.keys.get_mut(&folded)?,
                    Err(e) => return e,
                };
                let name = name.unwrap_or_else(|| "(default)".to_owned());
                if let Some(why) = value_refusal(&name, &data) {
                    return Some(self.error(&at, why));
                }
                *items += 1;
                let folded = fold(&name);
                let shown = key.values.get(&folded).map_or_else(|| spelled(name), |(n, _)| n.clone());
                let src = Provenance::new(self.rel_path, NAME)
                    .lines(at.line, at.end_line)
                    .span(at.span.start as u64, at.span.end as u64)
                    .key(format!("{}\\{shown}", key.path));
                let fact = Fact::with_source(reg_value(data), Arc::new(src));
                key.values.insert(folded, (shown, fact));
                None
            }
            Entry::DeleteValue { name, at } => {
                let key = match self.target(&at, "value deletion") {
                    Ok(folded) => self.keys.get_mut(&folded)?,
                    Err(e) => return e,
                };
                let name = name.unwrap_or_else(|| "(default)".to_owned());
                let removed = key.values.remove(&fold(&name));
                let shown = removed.map_or_else(|| spelled(name), |(n, _)| n);
                let full = format!("{}\\{shown}", key.path);
                let src = Arc::new(self.provenance(&at).key(full.clone()));
                self.deletions.push(Fact::with_source(full, src));
                None
            }
        }
    }

    fn into_facts(mut self) -> FactMap {
        let mut facts = FactMap::new();
        let mut registry = BTreeMap::new();
        for key in std::mem::take(&mut self.keys).into_values() {
            let values: BTreeMap<String, Fact> = key.values.into_values().collect();
            registry.insert(key.path, Fact { value: Value::Map(values), source: Some(key.source) });
        }
        if let Some(choice) = control_set::alias_current(&mut registry, &mut self.deletions) {
            facts.insert(&["registry_control_set"], choice);
        }
        os_facts(&registry, &mut facts);
        facts.insert(&["registry"], Fact::new(Value::Map(registry)));
        if !self.deletions.is_empty() {
            facts.insert(&["registry_deletions"], Fact::new(self.deletions));
        }
        facts
    }
}

/// The fact value of a registry value.
pub fn reg_value(data: RegData) -> Value {
    match data {
        RegData::Sz(s) | RegData::ExpandSz(s) => Value::Str(s),
        RegData::MultiSz(l) => Value::List(l.into_iter().map(Fact::new).collect()),
        RegData::Dword(d) => Value::Int(i64::from(d)),
        RegData::Qword(q) => Value::Int(i64::from_ne_bytes(q.to_ne_bytes())),
        RegData::Binary(b) | RegData::Other { bytes: b, .. } => Value::Bytes(b),
    }
}

const CURRENT_VERSION: &str = "hklm\\software\\microsoft\\windows nt\\currentversion";

/// `os.*` from `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`, when the file has it.
fn os_facts(registry: &BTreeMap<String, Fact>, facts: &mut FactMap) {
    let Some(values) =
        registry.iter().find(|(k, _)| fold(k) == CURRENT_VERSION).and_then(|(_, f)| f.as_map())
    else {
        return;
    };
    let get = |name: &str| values.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, f)| f);
    let str_of = |name: &str| get(name).and_then(|f| f.value.as_str().map(|s| (s.trim(), f)));
    let int_of = |name: &str| {
        get(name).and_then(|f| match &f.value {
            Value::Int(i) => Some((*i, f)),
            Value::Str(s) => s.trim().parse::<i64>().ok().map(|i| (i, f)),
            _ => None,
        })
    };
    let with = |v: Value, f: &Fact| Fact { value: v, source: f.source.clone() };

    let product_name = str_of("ProductName");
    if let Some((name, f)) = product_name {
        facts.insert(&["os", "product_name"], with(Value::Str(name.to_owned()), f));
    }
    let build = int_of("CurrentBuild").or_else(|| int_of("CurrentBuildNumber"));
    if let Some((build, f)) = build {
        facts.insert(&["os", "build"], with(Value::Int(build), f));
        let hint = str_of("InstallationType").or(product_name).map(|(s, _)| s);
        let product = os_builds::product_for_build(build.unsigned_abs(), os_builds::is_server_name(hint));
        facts.insert(&["os", "product"], with(Value::Str(product), f));
        let major_minor = match (int_of("CurrentMajorVersionNumber"), int_of("CurrentMinorVersionNumber")) {
            (Some((a, _)), Some((b, _))) => Some((a.unsigned_abs(), b.unsigned_abs())),
            _ => str_of("CurrentVersion").and_then(|(s, _)| {
                let (a, b) = s.split_once('.')?;
                Some((a.parse().ok()?, b.parse().ok()?))
            }),
        };
        if let Some((major, minor)) = major_minor {
            let v = Version(vec![major, minor, build.unsigned_abs()]);
            facts.insert(&["os", "version"], with(Value::Version(v), f));
        }
    }
    if let Some((ubr, f)) = int_of("UBR") {
        facts.insert(&["os", "ubr"], with(Value::Int(ubr), f));
    }
}
