//! File kinds taught by packs (collector `file-kind`): a [`FileKindSpec`] names the files (globs
//! over the file name or its path in the input, like log kinds'), optionally narrowed by a regex
//! over the file's first [`Artifact::HEAD_LEN`] bytes (`content`), and a format that reads the
//! whole file into a tree of facts with provenance to the line. Like pack log kinds, every kind
//! whose globs (and content) match a file reads it, beside the built-in collector that claims it
//! (see `crate::discover`); the trait's `recognise` answers `No`.
//!
//! # Fact layout
//!
//! For a kind planned as `<pack id>/<kind>` (one path segment), under `files.<pack id>/<kind>`:
//!
//! - `files`: List of Str, the rel paths read as this kind;
//! - `by_file.<rel path>`: Map with `format` Str and, by format:
//!   - `ini` ([`ini`]): `sections.<section>.<key>` Str, the first value of each key of each
//!     section (`""` is the part before the first `[section]`), and `entries`: List of Map
//!     `{section, key, value, line, artifact}` in file order;
//!   - `keyvalue` ([`keyvalue`], sshd_config and Apache style): `entries`: List of Map `{key,
//!     value, line, artifact}` of the global part, `include` lines read in place (the included
//!     files' entries follow the `Include` entry, each naming its own file); `sections`: List of
//!     Map `{keyword, args, line, artifact, entries}`, one per conditional section (`Match …`)
//!     with the entries it holds; `first.<keyword>`: Map `{value, line, artifact}`, the first
//!     global value of each keyword, lower-cased (sshd applies the first value it reads);
//!     `includes`: List of Map `{path, line, artifact, files}`, each `include` line with the
//!     input files it named, in the order read (`files` empty when none was collected);
//!   - `json` ([`json`]): `value`, the document (objects as Map, arrays as List, numbers as Int
//!     or Float, `null` left out);
//!   - `xml` ([`xml`]): `root`: Map `{name, attributes, text, children, line}`, each child an
//!     element the same way (`text`, the element's own text trimmed, only when not empty);
//!   - `csv` ([`csv`]): `header` List of Str and `rows`: List of Map `{line, fields}`, `fields`
//!     keyed by the header's names.
//!
//! Every value carries provenance (artifact, collector `file-kind`, line); an included file's
//! entries name the included file.
//!
//! # Limits
//!
//! A file over any limit is a collection error naming the file and the limit, and gives no facts
//! (a partial tree would look complete): [`MAX_FILE_BYTES`] per file, [`MAX_DEPTH`] levels of
//! JSON or XML nesting, [`MAX_ENTRIES`] values per artifact (entries, elements, attributes, rows,
//! included files' entries counted with the file that includes them), [`MAX_VALUE_BYTES`] per
//! value, [`MAX_INCLUDE_DEPTH`] levels of `include` and [`MAX_INCLUDED_FILES`] files; a file that
//! includes itself, directly or not, is an error naming the cycle. Malformed JSON, XML (a DTD
//! too: no entities are expanded) and text that is not valid in its encoding are errors with
//! their line.

mod csv;
mod include;
mod ini;
mod json;
mod keyvalue;
mod xml;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, CollectorInfo, CollectorOutput, Fact, FactDecl, FileFormat,
    FileKindSpec, Provenance, Recognition, ScanPlan, Value,
};

use crate::logs::glob_match;

pub const COLLECTOR: &str = "file-kind";

/// Largest file a file kind reads.
pub const MAX_FILE_BYTES: u64 = 32 << 20;
/// Deepest nesting of JSON arrays and objects, or of XML elements.
pub const MAX_DEPTH: usize = 64;
/// Values read from one artifact, its included files counted.
pub const MAX_ENTRIES: usize = 50_000;
/// Longest value (a string, a key, an attribute, a field).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// How deeply `include` lines may nest.
pub const MAX_INCLUDE_DEPTH: usize = 8;
/// Files one artifact's `include` lines may read, all levels together.
pub const MAX_INCLUDED_FILES: usize = 256;

/// The collectors of this module, for [`crate::all`].
pub static COLLECTORS: &[&dyn triage_facts::Collector] = &[&FileKinds];

static INFO: CollectorInfo = CollectorInfo {
    name: COLLECTOR,
    version: "1",
    reads:
        "structured files in a format a rule pack declares (`[file_kinds.<name>]`: globs, content, format)",
    typical_names: &[],
    provides: &["files"],
    // The namespace; what is under it is declared per kind and format ([`declarations`]) when
    // the catalogue is given a plan.
    facts: &[FactDecl::new(
        "files",
        &[triage_facts::FactType::Map],
        "the file kinds of the loaded packs, by `<pack id>/<kind>`",
    )],
    log_kind: None,
};

/// The fact declarations of a file kind of `format` (`{kind}` standing for its name), for the
/// catalogue (`crate::catalogue`).
pub fn declarations(format: FileFormat) -> Vec<FactDecl> {
    use triage_facts::FactType::*;
    let mut d = vec![
        FactDecl::new("files.{kind}", &[Map], "a pack's file kind"),
        FactDecl::new("files.{kind}.files", &[List], "the files read as this kind"),
        FactDecl::new("files.{kind}.files[]", &[Str], "a file's path in the input"),
        FactDecl::new("files.{kind}.by_file", &[Map], "what each file holds, by its path in the input"),
        FactDecl::new("files.{kind}.by_file.*", &[Map], "one file"),
        FactDecl::new("files.{kind}.by_file.*.format", &[Str], "`ini`, `keyvalue`, `json`, `xml` or `csv`"),
    ];
    match format {
        FileFormat::Ini => d.extend([
            FactDecl::new(
                "files.{kind}.by_file.*.sections",
                &[Map],
                "sections by name (`\"\"` before the first)",
            ),
            FactDecl::new("files.{kind}.by_file.*.sections.*", &[Map], "one section's keys"),
            FactDecl::new("files.{kind}.by_file.*.sections.*.*", &[Str], "a key's first value"),
            FactDecl::new("files.{kind}.by_file.*.entries", &[List], "every entry in file order"),
            FactDecl::new("files.{kind}.by_file.*.entries[]", &[Map], "one entry"),
            FactDecl::new("files.{kind}.by_file.*.entries[].section", &[Str], "its section"),
            FactDecl::new("files.{kind}.by_file.*.entries[].key", &[Str], "the key"),
            FactDecl::new("files.{kind}.by_file.*.entries[].value", &[Str], "the value"),
            FactDecl::new("files.{kind}.by_file.*.entries[].line", &[Int], "its line"),
            FactDecl::new("files.{kind}.by_file.*.entries[].artifact", &[Str], "the file"),
        ]),
        FileFormat::KeyValue => d.extend([
            FactDecl::new(
                "files.{kind}.by_file.*.entries",
                &[List],
                "global entries, includes read in place",
            ),
            FactDecl::new("files.{kind}.by_file.*.entries[]", &[Map], "one entry"),
            FactDecl::new("files.{kind}.by_file.*.entries[].key", &[Str], "the keyword as written"),
            FactDecl::new("files.{kind}.by_file.*.entries[].value", &[Str], "the rest of the line"),
            FactDecl::new("files.{kind}.by_file.*.entries[].line", &[Int], "its line"),
            FactDecl::new(
                "files.{kind}.by_file.*.entries[].artifact",
                &[Str],
                "the file (an included one for its entries)",
            ),
            FactDecl::new(
                "files.{kind}.by_file.*.sections",
                &[List],
                "conditional sections (`Match …`) in order",
            ),
            FactDecl::new("files.{kind}.by_file.*.sections[]", &[Map], "one section"),
            FactDecl::new("files.{kind}.by_file.*.sections[].keyword", &[Str], "the keyword that opened it"),
            FactDecl::new("files.{kind}.by_file.*.sections[].args", &[Str], "the rest of its line"),
            FactDecl::new("files.{kind}.by_file.*.sections[].line", &[Int], "its line"),
            FactDecl::new("files.{kind}.by_file.*.sections[].artifact", &[Str], "its file"),
            FactDecl::new("files.{kind}.by_file.*.sections[].entries", &[List], "the entries it holds"),
            FactDecl::new("files.{kind}.by_file.*.sections[].entries[]", &[Map], "one entry"),
            FactDecl::new(
                "files.{kind}.by_file.*.sections[].entries[].key",
                &[Str],
                "the keyword as written",
            ),
            FactDecl::new(
                "files.{kind}.by_file.*.sections[].entries[].value",
                &[Str],
                "the rest of the line",
            ),
            FactDecl::new("files.{kind}.by_file.*.sections[].entries[].line", &[Int], "its line"),
            FactDecl::new("files.{kind}.by_file.*.sections[].entries[].artifact", &[Str], "its file"),
            FactDecl::new(
                "files.{kind}.by_file.*.first",
                &[Map],
                "the first global value of each keyword, lower-cased",
            ),
            FactDecl::new("files.{kind}.by_file.*.first.*", &[Map], "one keyword's first value"),
            FactDecl::new("files.{kind}.by_file.*.first.*.value", &[Str], "the value"),
            FactDecl::new("files.{kind}.by_file.*.first.*.line", &[Int], "its line"),
            FactDecl::new("files.{kind}.by_file.*.first.*.artifact", &[Str], "its file"),
            FactDecl::new("files.{kind}.by_file.*.includes", &[List], "the include lines, in the order read"),
            FactDecl::new("files.{kind}.by_file.*.includes[]", &[Map], "one include line"),
            FactDecl::new("files.{kind}.by_file.*.includes[].path", &[Str], "the path as written"),
            FactDecl::new("files.{kind}.by_file.*.includes[].line", &[Int], "its line"),
            FactDecl::new("files.{kind}.by_file.*.includes[].artifact", &[Str], "its file"),
            FactDecl::new("files.{kind}.by_file.*.includes[].files", &[List], "the input's files it named"),
            FactDecl::new("files.{kind}.by_file.*.includes[].files[]", &[Str], "one file"),
        ]),
        FileFormat::Json => d.extend([FactDecl::new(
            "files.{kind}.by_file.*.value",
            &[Any],
            "the document: objects as Map, arrays as List, numbers as Int or Float, null left out",
        )]),
        FileFormat::Xml => d.extend([
            FactDecl::new("files.{kind}.by_file.*.root", &[Map], "the document element"),
            FactDecl::new("files.{kind}.by_file.*.root.name", &[Str], "its local name"),
            FactDecl::new("files.{kind}.by_file.*.root.attributes", &[Map], "its attributes by local name"),
            FactDecl::new("files.{kind}.by_file.*.root.attributes.*", &[Str], "an attribute's value"),
            FactDecl::new(
                "files.{kind}.by_file.*.root.text",
                &[Str],
                "its own text, trimmed (when not empty)",
            ),
            FactDecl::new("files.{kind}.by_file.*.root.line", &[Int], "its line"),
            FactDecl::new(
                "files.{kind}.by_file.*.root.children",
                &[Any],
                "child elements, each a Map like `root` (name, attributes, text, children, line)",
            ),
        ]),
        FileFormat::Csv => d.extend([
            FactDecl::new("files.{kind}.by_file.*.header", &[List], "the header row's names"),
            FactDecl::new("files.{kind}.by_file.*.header[]", &[Str], "one column name"),
            FactDecl::new("files.{kind}.by_file.*.rows", &[List], "the rows after the header"),
            FactDecl::new("files.{kind}.by_file.*.rows[]", &[Map], "one row"),
            FactDecl::new("files.{kind}.by_file.*.rows[].line", &[Int], "its line"),
            FactDecl::new("files.{kind}.by_file.*.rows[].fields", &[Map], "its values by column name"),
            FactDecl::new("files.{kind}.by_file.*.rows[].fields.*", &[Str], "one value"),
        ]),
    }
    d
}

/// Why a file gave no facts: a limit, a cycle, or malformed content, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadError {
    pub artifact: String,
    pub line: Option<u64>,
    pub message: String,
}

impl ReadError {
    pub(crate) fn new(artifact: &str, line: Option<u64>, message: impl Into<String>) -> ReadError {
        ReadError { artifact: artifact.to_owned(), line, message: message.into() }
    }

    fn into_collection_error(self, rel: &str) -> CollectionError {
        let message = if self.artifact == rel {
            self.message
        } else {
            format!("{} (in {})", self.message, self.artifact)
        };
        let e = CollectionError::new(rel, COLLECTOR, message);
        match self.line {
            Some(l) if self.artifact == rel => e.at_line(l),
            _ => e,
        }
    }
}

/// What one artifact may still read ([`MAX_ENTRIES`], [`MAX_INCLUDED_FILES`]), and the helpers
/// every format uses to make facts.
#[derive(Debug)]
pub(crate) struct Budget {
    entries: usize,
    pub(crate) included: usize,
}

impl Budget {
    fn new() -> Budget {
        Budget { entries: 0, included: 0 }
    }

    /// Counts one value; past [`MAX_ENTRIES`] an error at `line` of `rel`.
    pub(crate) fn take(&mut self, rel: &str, line: u64) -> Result<(), ReadError> {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(ReadError::new(
                rel,
                Some(line),
                format!("more than {MAX_ENTRIES} values (the limit of a file kind's artifact)"),
            ));
        }
        Ok(())
    }
}

/// `s`, when it is not longer than [`MAX_VALUE_BYTES`].
pub(crate) fn bounded<'s>(s: &'s str, rel: &str, line: u64) -> Result<&'s str, ReadError> {
    if s.len() > MAX_VALUE_BYTES {
        return Err(ReadError::new(
            rel,
            Some(line),
            format!("a value of {} bytes is longer than the {MAX_VALUE_BYTES} byte limit", s.len()),
        ));
    }
    Ok(s)
}

/// The provenance of a fact at `line` of `rel`.
pub(crate) fn at(rel: &str, line: u64) -> Arc<Provenance> {
    Arc::new(Provenance::new(rel, COLLECTOR).at_line(line))
}

/// A map of `(key, value)` pairs, each value with provenance.
pub(crate) fn map_of<const N: usize>(
    src: &Arc<Provenance>,
    items: [(&str, Value); N],
) -> BTreeMap<String, Fact> {
    items.into_iter().map(|(k, v)| (k.to_owned(), Fact::with_source(v, src.clone()))).collect()
}

/// A Map fact of `(key, value)` pairs, with provenance.
pub(crate) fn map_fact<const N: usize>(src: &Arc<Provenance>, items: [(&str, Value); N]) -> Fact {
    Fact::with_source(Value::Map(map_of(src, items)), src.clone())
}

/// Reads `path` whole, bounded by [`MAX_FILE_BYTES`], and decodes it as text; the error names
/// `rel`.
pub(crate) fn read_text(path: &Path, rel: &str) -> Result<(String, String), ReadError> {
    let f = std::fs::File::open(path).map_err(|e| ReadError::new(rel, None, format!("cannot read: {e}")))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::new(rel, None, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::new(
            rel,
            None,
            format!("larger than the {MAX_FILE_BYTES} byte limit of a file kind, not read"),
        ));
    }
    let decoded = crate::text::decode(&bytes);
    if let Some(off) = decoded.first_malformed {
        return Err(ReadError::new(
            rel,
            None,
            format!("malformed {} text at byte {off}, not read", decoded.encoding),
        ));
    }
    Ok((decoded.text, decoded.encoding.name().to_owned()))
}

/// Whether the spec's globs match `rel` (by file name or by path in the input; a `.gz`
/// suffix is not part of the name a kind recognises).
pub fn name_matches(spec: &FileKindSpec, rel: &str) -> bool {
    let rel = crate::logs::recognition_name(rel);
    let name = rel.rsplit('/').next().unwrap_or(rel);
    spec.files.iter().any(|g| glob_match(g, name) || glob_match(g, rel))
}

/// The `file-kind` collector.
#[derive(Debug)]
pub struct FileKinds;

impl FileKinds {
    /// Every file kind of `plan` that reads the artifact named `rel` with first bytes `head`:
    /// its globs match, and its `content` regex (compiled once per run) matches the head.
    pub fn kinds_for<'p>(
        plan: &'p ScanPlan,
        rel: &'p str,
        head: &'p [u8],
    ) -> impl Iterator<Item = &'p FileKindSpec> + 'p {
        plan.file_kinds.iter().filter(move |k| {
            name_matches(k, rel)
                && match crate::logs::compiled::file_kind_content(plan, k) {
                    Ok(None) => true,
                    Ok(Some(re)) => re.is_match(&crate::text::decode_head(head).text),
                    Err(_) => false,
                }
        })
    }
}

impl triage_facts::Collector for FileKinds {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    /// Always `No`: only discovery, which holds the scan plan, can tell (see the module docs).
    fn recognise(&self, _artifact: &Artifact<'_>) -> Recognition {
        Recognition::No
    }

    fn collect(&self, artifact: &Artifact<'_>, ctx: &CollectContext<'_>) -> CollectorOutput {
        let mut out = CollectorOutput::default();
        let Some(plan) = ctx.plan else { return out };
        let rel = artifact.rel_path;
        let specs: Vec<&FileKindSpec> = FileKinds::kinds_for(plan, rel, artifact.head).collect();
        if specs.is_empty() {
            out.errors.push(CollectionError::new(rel, COLLECTOR, "no pack file kind matches this file"));
            return out;
        }
        let text = match read_text(artifact.path, rel) {
            Ok((text, encoding)) => {
                out.encoding = Some(encoding);
                text
            }
            Err(e) => {
                out.errors.push(e.into_collection_error(rel));
                return out;
            }
        };
        let root = include::input_root(artifact.path, rel);
        for spec in specs {
            match read_kind(spec, rel, &text, root.as_deref()) {
                Ok((mut fields, items)) => {
                    let src = Arc::new(Provenance::new(rel, COLLECTOR));
                    fields.insert("format".to_owned(), Fact::with_source(spec.format.name(), src.clone()));
                    out.facts.insert(
                        &["files", spec.name.as_str(), "files"],
                        Fact::new(vec![Fact::with_source(rel, src.clone())]),
                    );
                    out.facts.insert(
                        &["files", spec.name.as_str(), "by_file", rel],
                        Fact::with_source(Value::Map(fields), src),
                    );
                    out.items = out.items.max(items as u64);
                }
                Err(e) => out.errors.push(e.into_collection_error(rel)),
            }
        }
        out
    }
}

/// One file read as one kind: the `by_file` map's entries (without `format`) and how many values.
fn read_kind(
    spec: &FileKindSpec,
    rel: &str,
    text: &str,
    root: Option<&Path>,
) -> Result<(BTreeMap<String, Fact>, usize), ReadError> {
    let mut budget = Budget::new();
    let fields = match spec.format {
        FileFormat::Ini => ini::read(text, rel, &mut budget)?,
        FileFormat::KeyValue => keyvalue::read(spec, text, rel, root, &mut budget)?,
        FileFormat::Json => json::read(text, rel, &mut budget)?,
        FileFormat::Xml => xml::read(text, rel, &mut budget)?,
        FileFormat::Csv => csv::read(text, rel, &mut budget)?,
    };
    Ok((fields, budget.entries))
}
