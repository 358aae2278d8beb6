//! The `dotnet-config` collector: .NET Framework application configuration files
//! (`w3wp.exe.config`, `WsusService.exe.config`, `web.config`, any `*.exe.config`), read for the
//! `AppContextSwitchOverrides` switches the WSUS article has admins set.
//!
//! Recognised by name (a name containing `.config`, so `w3wp.exe.config` and copies such as
//! `w3wp.exe.config_old.xml`) together with content (an XML document whose root element is
//! `configuration`), or by content alone. The text is decoded with [`crate::text::decode`]
//! (UTF-16 as well as UTF-8) and parsed with roxmltree, with **DTDs refused** (so an entity
//! bomb is an error, not an outage), a node limit and a nesting limit ([`crate::xml_depth`]). A malformed document is reported with its
//! line and column and gives no facts.
//!
//! Only `configuration/runtime/AppContextSwitchOverrides/@value` is read, because that is the only
//! place .NET reads it; an `AppContextSwitchOverrides` anywhere else is reported and ignored. The
//! value is `name=value` pairs separated by `;`; the value is a boolean (`true`/`false`, any case,
//! as .NET's `bool.TryParse`). A pair that is not `name=bool` is reported and left out. A switch set
//! twice keeps the later setting (as .NET does) and the repetition is reported.
//!
//! # Fact layout
//!
//! ```text
//! config                                     Map, keyed by configuration file name
//!   "w3wp.exe.config"                        Map (present whenever the file parsed)
//!     switches                               Map (empty when nothing is overridden)
//!       "Switch.System.Net.DontEnableSystemDefaultTlsVersions"   Bool
//!       "Switch.System.Net.DontEnableSchUseStrongCrypto"         Bool
//! ```
//!
//! The file name key is the canonical spelling of a known name found at the start of the file
//! name, case-insensitively — `w3wp.exe.config`, `WsusService.exe.config`, `web.config` — so
//! `W3WP.EXE.CONFIG` and `w3wp.exe.config_backup.xml` are both `config."w3wp.exe.config"`; any
//! other file keeps its own file name. Two files with the same key (`system32` and `SysWOW64`
//! copies) merge; a switch they set differently is a recorded conflict.
//!
//! Provenance of each switch: artifact, collector `dotnet-config`, `line` of the pair, `span` of
//! the `name=value` text inside the attribute (the whole attribute value if it uses entity
//! references), `key` `configuration/runtime/AppContextSwitchOverrides/@value/<switch name>`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, Provenance,
    Recognition, Value,
};

use crate::text;

pub const NAME: &str = "dotnet-config";

/// Known configuration files, in the spelling used as their fact key.
pub const KNOWN_FILES: &[&str] = &["w3wp.exe.config", "WsusService.exe.config", "web.config"];

/// Most nodes a configuration or gpresult document may have; larger input is refused.
pub const XML_NODES_LIMIT: u32 = 1_000_000;

/// The .NET configuration collector.
#[derive(Debug)]
pub struct DotnetConfigCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: NAME,
    version: "1",
    reads: ".NET application configuration (`w3wp.exe.config`, `WsusService.exe.config`, `web.config`)",
    typical_names: &["w3wp.exe.config", "WsusService.exe.config", "web.config"],
    provides: &["config"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("config.*", &[Map], "a configuration file, by its canonical name (`w3wp.exe.config`, `WsusService.exe.config`, `web.config`) or its own"),
        FactDecl::new("config.*.switches", &[Map], "its AppContextSwitchOverrides (empty when nothing is overridden)"),
        FactDecl::new("config.*.switches.*", &[Bool], "a switch (`Switch.System.Net.DontEnableSchUseStrongCrypto`) and its setting"),
    ]
};

pub static COLLECTORS: &[&dyn Collector] = &[&DotnetConfigCollector];

impl Collector for DotnetConfigCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        // Java Flight Recorder settings (`*.jfc`, JDKs under /etc and /usr/lib/jvm) are XML with a
        // `<configuration>` root too: theirs holds `<event name="jdk.…">` elements.
        if artifact.file_name_lower().ends_with(".jfc") {
            return Recognition::No;
        }
        let head = text::decode_head(artifact.head);
        let content = root_element_name(&head.text).is_some_and(|n| n == "configuration")
            && !head.text.contains("<event name=\"jdk.");
        match (content, artifact.file_name_lower().contains(".config")) {
            (true, true) => Recognition::ByNameAndContent,
            (true, false) => Recognition::ByContent,
            _ => Recognition::No,
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        crate::read_whole(artifact, NAME, collect_bytes)
    }
}

/// The local name of the first element of an XML text (prefix dropped), skipping the
/// declaration, comments, processing instructions and a doctype. `None` if the text does not
/// start like XML. Used for recognition on a file's first bytes, so it does not parse.
pub fn root_element_name(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            rest = r.split_once("?>")?.1.trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.split_once("-->")?.1.trim_start();
        } else if let Some(r) = rest.strip_prefix("<!") {
            rest = r.split_once('>')?.1.trim_start();
        } else if let Some(r) = rest.strip_prefix('<') {
            let end = r.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(r.len());
            let qname = r.get(..end)?;
            return Some(qname.rsplit(':').next().unwrap_or(qname));
        } else {
            return None;
        }
    }
}

/// roxmltree options for untrusted input: no DTD (so no entity expansion), bounded size.
pub fn xml_options() -> roxmltree::ParsingOptions {
    roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: XML_NODES_LIMIT }
}

/// Parses untrusted XML with [`xml_options`], after the depth bound of [`crate::xml_depth`]: a
/// document nested too deep is a collection error naming the limit and the line of the refused
/// tag, before any tree is built.
pub fn parse_xml<'t>(
    rel_path: &str,
    collector: &str,
    text: &'t str,
) -> Result<roxmltree::Document<'t>, CollectionError> {
    if let Err(at) = crate::xml_depth::check_depth(text) {
        let (row, col) = line_col(text, at);
        return Err(CollectionError::new(
            rel_path,
            collector,
            format!(
                "XML nested deeper than the limit of {} elements, not read",
                crate::xml_depth::MAX_XML_DEPTH
            ),
        )
        .at_line(row)
        .at_column(col));
    }
    roxmltree::Document::parse_with_options(text, xml_options())
        .map_err(|e| xml_error(rel_path, collector, text, &e))
}

/// A parse error as a collection error with the line and column roxmltree reports; where it
/// reports none, the `<!DOCTYPE` of a refused DTD, or the end of the text for a document that
/// ends too early.
pub fn xml_error(rel_path: &str, collector: &str, text: &str, e: &roxmltree::Error) -> CollectionError {
    let (row, col) = match e {
        roxmltree::Error::DtdDetected => line_col(text, text.find("<!DOCTYPE").unwrap_or(0)),
        roxmltree::Error::UnclosedRootNode | roxmltree::Error::UnexpectedEndOfStream => {
            line_col(text, text.trim_end().len())
        }
        other => (u64::from(other.pos().row), u64::from(other.pos().col)),
    };
    let message = match e {
        roxmltree::Error::DtdDetected => {
            "malformed XML: DTDs are refused (they allow entity expansion)".to_owned()
        }
        other => format!("malformed XML: {other}"),
    };
    CollectionError::new(rel_path, collector, message).at_line(row).at_column(col)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = text.get(..offset).unwrap_or("");
    let row = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (row as u64, col as u64)
}

/// The fact key for a configuration file name (see the module docs).
pub fn config_key(file_name: &str) -> String {
    let lower = file_name.to_ascii_lowercase();
    KNOWN_FILES
        .iter()
        .find(|k| lower.starts_with(&k.to_ascii_lowercase()))
        .map_or_else(|| file_name.to_owned(), |k| (*k).to_owned())
}

/// Reads one configuration file's bytes into `config.<file>`.
pub fn collect_bytes(rel_path: &str, bytes: &[u8]) -> CollectorOutput {
    let (text, mut out) = text::decode_for_collector(rel_path, NAME, bytes);
    let text = text.as_str();
    let doc = match parse_xml(rel_path, NAME, text) {
        Ok(doc) => doc,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    let root = doc.root_element();
    if root.tag_name().name() != "configuration" {
        out.errors.push(
            CollectionError::new(
                rel_path,
                NAME,
                format!("root element is `{}`, not `configuration`", root.tag_name().name()),
            )
            .at_line(1),
        );
        return out;
    }

    let mut switches: BTreeMap<String, Fact> = BTreeMap::new();
    let mut first_line: BTreeMap<String, u64> = BTreeMap::new();
    for node in
        doc.descendants().filter(|n| n.is_element() && n.tag_name().name() == "AppContextSwitchOverrides")
    {
        let line = u64::from(doc.text_pos_at(node.range().start).row);
        let in_runtime = node.parent_element().is_some_and(|p| {
            p.tag_name().name() == "runtime" && p.parent_element().is_some_and(|c| c == root)
        });
        if !in_runtime {
            out.errors.push(
                CollectionError::new(
                    rel_path,
                    NAME,
                    "`AppContextSwitchOverrides` outside `configuration/runtime` is ignored (.NET does not read it there)",
                )
                .at_line(line),
            );
            continue;
        }
        let Some(attr) = node.attribute_node("value") else {
            out.errors.push(
                CollectionError::new(
                    rel_path,
                    NAME,
                    "`AppContextSwitchOverrides` without a `value` attribute",
                )
                .at_line(line),
            );
            continue;
        };
        for pair in split_pairs(attr.value(), text, attr.range_value()) {
            let pair_line = u64::from(doc.text_pos_at(pair.span.start).row);
            let err = |m: String| CollectionError::new(rel_path, NAME, m).at_line(pair_line);
            let Some((name, value)) = pair.text.split_once('=') else {
                out.errors.push(err(format!("switch `{}` has no `=value`; ignored", pair.text.trim())));
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() {
                out.errors.push(err(format!("switch setting `{}` has no name; ignored", pair.text.trim())));
                continue;
            }
            let Some(b) = parse_bool(value) else {
                out.errors
                    .push(err(format!("switch `{name}` has value `{value}`, not true or false; ignored")));
                continue;
            };
            if let Some(earlier) = first_line.get(name) {
                out.errors.push(err(format!(
                    "switch `{name}` is set again (first on line {earlier}); the later setting is kept"
                )));
            } else {
                first_line.insert(name.to_owned(), pair_line);
            }
            let src = Provenance::new(rel_path, NAME)
                .at_line(pair_line)
                .span(pair.span.start as u64, pair.span.end as u64)
                .key(format!("configuration/runtime/AppContextSwitchOverrides/@value/{name}"));
            switches.insert(name.to_owned(), Fact::with_source(Value::Bool(b), Arc::new(src)));
            out.items += 1;
        }
    }
    let file_name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    let src = Arc::new(Provenance::new(rel_path, NAME).at_line(1).key("configuration"));
    let mut file = BTreeMap::new();
    file.insert("switches".to_owned(), Fact::new(Value::Map(switches)));
    out.facts.insert(&["config", &config_key(file_name)], Fact::with_source(Value::Map(file), src));
    out
}

/// .NET's `bool.TryParse`: `true`/`false` in any case, surrounding blanks allowed.
fn parse_bool(s: &str) -> Option<bool> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// One `name=value` piece of the attribute, with its span in the document text.
struct Pair {
    text: String,
    span: Range<usize>,
}

/// Splits the attribute value on `;`, dropping empty pieces. Without entity references the raw
/// text in the document is the value up to whitespace normalisation (a line break in an attribute
/// reads as a space), so each piece is cut from the raw text and gets its own span; with entity
/// references, pieces come from the parsed value and each gets the span of the whole value.
fn split_pairs(value: &str, doc_text: &str, raw: Range<usize>) -> Vec<Pair> {
    let raw_text = doc_text.get(raw.clone()).unwrap_or("");
    let exact = !raw_text.contains('&');
    let source = if exact { raw_text } else { value };
    let mut pairs = Vec::new();
    let mut at = 0usize;
    for piece in source.split(';') {
        let lead = piece.len() - piece.trim_start().len();
        let t = piece.trim();
        if !t.is_empty() {
            let span =
                if exact { raw.start + at + lead..raw.start + at + lead + t.len() } else { raw.clone() };
            let text = t.chars().map(|c| if c.is_ascii_whitespace() { ' ' } else { c }).collect();
            pairs.push(Pair { text, span });
        }
        at += piece.len() + 1;
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_names_and_keys() {
        assert_eq!(
            root_element_name("\u{feff}<?xml version=\"1.0\"?>\r\n<!-- c -->\n<configuration>"),
            Some("configuration")
        );
        assert_eq!(root_element_name("<x:Rsop xmlns:x=\"u\">"), Some("Rsop"));
        assert_eq!(root_element_name("{\"MUUrl\": 1}"), None);
        assert_eq!(config_key("W3WP.EXE.CONFIG"), "w3wp.exe.config");
        assert_eq!(config_key("wsusservice.exe.config_backup.xml"), "WsusService.exe.config");
        assert_eq!(config_key("other.config"), "other.config");
    }

    #[test]
    fn pairs_have_spans() {
        let doc = "<a value=\"x=true; y=False;\"/>";
        let raw = 10..26;
        let pairs = split_pairs(&doc[raw.clone()], doc, raw);
        let got: Vec<_> = pairs.iter().map(|p| (p.text.as_str(), &doc[p.span.clone()])).collect();
        assert_eq!(got, vec![("x=true", "x=true"), ("y=False", "y=False")]);
    }
}
