//! The fact catalogue: every fact path the collectors write, its type, and the artifact that
//! provides it.
//!
//! Each collector declares its facts once, next to its code, as a `&'static [FactDecl]` in its
//! [`CollectorInfo::facts`](crate::CollectorInfo) (and the fields of its log records in
//! [`CollectorInfo::log_kind`](crate::CollectorInfo)); [`Catalogue::add_collector`] collects them
//! into one list, and pack-defined log kinds extend it ([`Catalogue::add_log_kind`]). The binary
//! prints it (`triage collectors --facts`), publishes it as a JSON Schema of the fact map
//! ([`Catalogue::json_schema`], `schema/facts.schema.json`), and `pack check` reads it to warn
//! about fact paths nothing provides; the engine uses it to say what to collect for a missing
//! fact, or that no collector provides it.
//!
//! # Declared paths
//!
//! A path is segments separated by `.`:
//!
//! - a name (`os`, `build`) is that key;
//! - `*` is any one key (a registry key path, an artifact's path, a policy name);
//! - `[]`, written right after a segment (`updates.installed[]`), is every item of a list;
//! - `{kind}` is the name of a log kind (`wsus`, `configmgr`, a pack's `<pack id>/<kind>`): a
//!   declaration holding it is a template, instantiated for every kind [`Catalogue::add_log_kind`]
//!   adds, and never matches on its own.
//!
//! The maps and lists on the way to a declared path need no declaration of their own (`os` is a
//! map because `os.build` is declared); a declaration of type [`FactType::Any`] accepts anything
//! below it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::collector::CollectorInfo;
use crate::fact_map::FactMap;
use crate::scan::ScanPlan;
use crate::value::{Fact, Value};

/// The type of a fact, as [`Value::type_name`] names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FactType {
    Bool,
    #[serde(rename = "integer")]
    Int,
    Float,
    #[serde(rename = "string")]
    Str,
    Timestamp,
    Version,
    Bytes,
    List,
    Map,
    /// Anything, including whatever lies below it (a configuration's every property).
    Any,
}

impl FactType {
    /// The name rule authors see (`integer`, `string`, …), the same as [`Value::type_name`].
    pub fn name(self) -> &'static str {
        match self {
            FactType::Bool => "bool",
            FactType::Int => "integer",
            FactType::Float => "float",
            FactType::Str => "string",
            FactType::Timestamp => "timestamp",
            FactType::Version => "version",
            FactType::Bytes => "bytes",
            FactType::List => "list",
            FactType::Map => "map",
            FactType::Any => "any",
        }
    }

    /// The type of a value.
    pub fn of(v: &Value) -> FactType {
        match v {
            Value::Bool(_) => FactType::Bool,
            Value::Int(_) => FactType::Int,
            Value::Float(_) => FactType::Float,
            Value::Str(_) => FactType::Str,
            Value::List(_) => FactType::List,
            Value::Map(_) => FactType::Map,
            Value::Timestamp(_) => FactType::Timestamp,
            Value::Version(_) => FactType::Version,
            Value::Bytes(_) => FactType::Bytes,
        }
    }

    /// The JSON Schema of a value of this type as the fact map's JSON writes it (without the
    /// children of a map or list).
    fn schema(self) -> Json {
        match self {
            FactType::Bool => json!({ "type": "boolean" }),
            FactType::Int => json!({ "type": "integer" }),
            FactType::Float => json!({ "type": "number" }),
            FactType::Str => json!({ "type": "string" }),
            FactType::Timestamp => tagged("$timestamp", "RFC 3339, UTC"),
            FactType::Version => tagged("$version", "dotted version"),
            FactType::Bytes => tagged("$bytes", "hexadecimal"),
            FactType::List => json!({ "type": "array" }),
            FactType::Map => json!({ "type": "object" }),
            FactType::Any => json!({}),
        }
    }
}

fn tagged(tag: &str, what: &str) -> Json {
    json!({
        "type": "object",
        "properties": { tag: { "type": "string", "description": what } },
        "required": [tag],
        "additionalProperties": false,
    })
}

/// One fact path a collector writes (see the [module docs](self) for the path syntax).
#[derive(Debug, Clone, Copy)]
pub struct FactDecl {
    pub path: &'static str,
    /// The types it may have (a registry value is an integer, a string, a list or bytes).
    pub types: &'static [FactType],
    /// What it is, for rule authors.
    pub doc: &'static str,
}

impl FactDecl {
    pub const fn new(path: &'static str, types: &'static [FactType], doc: &'static str) -> Self {
        FactDecl { path, types, doc }
    }
}

/// The fields of the records of a log kind a collector reads (`record.fields.<name>` in a
/// signal's `where`, `signals.<id>[].fields.<name>` in the facts).
#[derive(Debug, Clone, Copy)]
pub struct LogKindDecl {
    /// The kind's name (`SignalSpec.log`): `wsus`, `configmgr`.
    pub kind: &'static str,
    /// Each field, `path` being the field's name.
    pub fields: &'static [FactDecl],
}

/// One entry of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// As declared (`registry.*.*`, `updates.installed[]`, `logs.{kind}.files`).
    pub path: String,
    pub types: Vec<FactType>,
    pub description: String,
    /// The collector that writes it (`registry`), or `discovery` for `collection.*`.
    pub collector: String,
    /// What to collect for it, for people.
    pub artifact: String,
}

/// A log kind and the fields of its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogKind {
    pub kind: String,
    pub collector: String,
    pub artifact: String,
    pub fields: Vec<Field>,
}

/// One field of a log record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: String,
    pub types: Vec<FactType>,
    pub description: String,
}

/// Every fact path the collectors write, with its type and provider; see the [module docs](self).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalogue {
    /// In declaration order (collectors in the order they were added).
    pub facts: Vec<Entry>,
    /// By kind name.
    pub log_kinds: BTreeMap<String, LogKind>,
    #[serde(skip)]
    patterns: Vec<Vec<Seg>>,
}

/// A parsed segment of a declared path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Name(String),
    Any,
    Item,
    Kind,
}

fn parse(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for s in path.split('.') {
        let (name, items) = match s.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (s, false),
        };
        match name {
            "" => {}
            "*" => out.push(Seg::Any),
            "{kind}" => out.push(Seg::Kind),
            n => out.push(Seg::Name(n.to_owned())),
        }
        if items {
            out.push(Seg::Item);
        }
    }
    out
}

/// Whether one segment of a declaration matches a key (`Item` matches only list items,
/// represented as the key `[]`).
fn seg_matches(p: &Seg, key: &str) -> bool {
    match p {
        Seg::Name(n) => n == key,
        Seg::Any => key != "[]",
        Seg::Item => key == "[]",
        Seg::Kind => false,
    }
}

/// Dotted paths with more segments than this are known to nobody (no collector writes one that
/// deep): matching them against the declarations' `*` would take time growing with their length.
pub const MAX_SEGMENTS: usize = 64;

/// Paths and names longer than this get no did-you-mean (the edit distance is quadratic).
pub const MAX_SUGGEST_LEN: usize = 256;

/// What the catalogue knows about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Declared: its types, and the entry (index into [`Catalogue::facts`]).
    Declared { types: Vec<FactType>, entry: usize },
    /// A map or list on the way to declared paths (`os`, `logs.wsus`), or below a declaration of
    /// type `any`; the entry is one of those below or above it.
    Container { list: bool, entry: usize },
}

/// A fact the catalogue does not declare, or with a type it does not declare, found by
/// [`Catalogue::check`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Undeclared {
    /// The path, `[]` standing for a list item.
    pub path: Vec<String>,
    /// The fact's type.
    pub found: &'static str,
    /// The types declared for the path; empty when it is not declared at all.
    pub declared: Vec<&'static str>,
}

impl std::fmt::Display for Undeclared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = display_path(&self.path);
        if self.declared.is_empty() {
            write!(f, "{path} ({}) is not in the catalogue", self.found)
        } else {
            write!(f, "{path} is {}, the catalogue says {}", self.found, self.declared.join(" | "))
        }
    }
}

/// A path as segments, `[]` written after its list.
pub fn display_path(path: &[String]) -> String {
    let mut s = String::new();
    for (i, p) in path.iter().enumerate() {
        if p == "[]" {
            s.push_str("[]");
        } else {
            if i > 0 {
                s.push('.');
            }
            s.push_str(p);
        }
    }
    s
}

/// What to collect, in words, for a collector.
pub fn artifact_of(info: &CollectorInfo) -> String {
    if info.typical_names.is_empty() {
        info.reads.to_owned()
    } else {
        format!("{} ({})", info.reads, info.typical_names.join(", "))
    }
}

impl Catalogue {
    pub fn new() -> Self {
        Catalogue::default()
    }

    /// Adds a collector's declarations.
    pub fn add_collector(&mut self, info: &CollectorInfo) {
        let artifact = artifact_of(info);
        self.add(info.name, &artifact, info.facts);
        if let Some(k) = info.log_kind {
            let fields = k
                .fields
                .iter()
                .map(|f| Field {
                    name: f.path.to_owned(),
                    types: f.types.to_vec(),
                    description: f.doc.to_owned(),
                })
                .collect();
            self.log_kinds.insert(
                k.kind.to_owned(),
                LogKind {
                    kind: k.kind.to_owned(),
                    collector: info.name.to_owned(),
                    artifact: artifact.clone(),
                    fields,
                },
            );
            self.instantiate(k.kind);
        }
    }

    /// Adds declarations written by something that is not a collector (discovery's
    /// `collection.*`).
    pub fn add(&mut self, collector: &str, artifact: &str, decls: &[FactDecl]) {
        for d in decls {
            self.facts.push(Entry {
                path: d.path.to_owned(),
                types: d.types.to_vec(),
                description: d.doc.to_owned(),
                collector: collector.to_owned(),
                artifact: artifact.to_owned(),
            });
            self.patterns.push(parse(d.path));
        }
        // Templates added after a kind are instantiated for it too.
        let kinds: Vec<String> = self.log_kinds.keys().cloned().collect();
        let added = self.facts.len() - decls.len()..self.facts.len();
        for kind in kinds {
            for i in added.clone() {
                self.instantiate_entry(i, &kind);
            }
        }
    }

    /// Adds a pack-defined log kind (`<pack id>/<kind>`) whose records have `fields` (the named
    /// groups of its `fields` regex; a group named `time` may be a timestamp), read from files
    /// named like `files`.
    pub fn add_log_kind(&mut self, kind: &str, fields: &[String], files: &[String]) {
        if self.log_kinds.contains_key(kind) {
            return;
        }
        let fields = fields
            .iter()
            .map(|f| Field {
                name: f.clone(),
                types: if f == "time" {
                    vec![FactType::Timestamp, FactType::Str]
                } else {
                    vec![FactType::Str]
                },
                description: "a named group of the kind's `fields` regex".to_owned(),
            })
            .collect();
        let artifact = format!("a log file named like {}", files.join(" or "));
        self.log_kinds.insert(
            kind.to_owned(),
            LogKind { kind: kind.to_owned(), collector: "custom-log".to_owned(), artifact, fields },
        );
        self.instantiate(kind);
    }

    /// Adds a pack-defined file kind (`<pack id>/<kind>`): `decls` are its format's paths with
    /// `{kind}` standing for the kind's name (collector `file-kind`), read from files named like
    /// `files`. Not templates: they are instantiated for this kind only.
    pub fn add_file_kind(&mut self, kind: &str, files: &[String], decls: &[FactDecl]) {
        let artifact = format!("a file named like {}", files.join(" or "));
        for d in decls {
            let path = d.path.replace("{kind}", kind);
            if self.facts.iter().any(|e| e.path == path) {
                continue;
            }
            self.patterns.push(parse(&path));
            self.facts.push(Entry {
                path,
                types: d.types.to_vec(),
                description: d.doc.to_owned(),
                collector: "file-kind".to_owned(),
                artifact: artifact.clone(),
            });
        }
    }

    /// Every `{kind}` template, for one kind.
    fn instantiate(&mut self, kind: &str) {
        for i in 0..self.facts.len() {
            self.instantiate_entry(i, kind);
        }
    }

    fn instantiate_entry(&mut self, i: usize, kind: &str) {
        if !self.patterns[i].contains(&Seg::Kind) {
            return;
        }
        let path = self.facts[i].path.replace("{kind}", kind);
        if self.facts.iter().any(|e| e.path == path) {
            return;
        }
        // Built-in kinds are provided by their own collector; a pack's by custom-log.
        let (collector, artifact) = match self.log_kinds.get(kind) {
            Some(k) => (k.collector.clone(), k.artifact.clone()),
            None => (self.facts[i].collector.clone(), self.facts[i].artifact.clone()),
        };
        let mut pattern = self.patterns[i].clone();
        for s in &mut pattern {
            if *s == Seg::Kind {
                *s = Seg::Name(kind.to_owned());
            }
        }
        let e = Entry { path, collector, artifact, ..self.facts[i].clone() };
        self.facts.push(e);
        self.patterns.push(pattern);
    }

    /// What the catalogue knows about a path of exact segments (`[]` for a list item), as the
    /// fact map holds it.
    pub fn lookup(&self, path: &[String]) -> Option<Known> {
        let mut types: BTreeSet<FactType> = BTreeSet::new();
        let mut first = None;
        let mut container: Option<(bool, usize)> = None;
        for (i, p) in self.patterns.iter().enumerate() {
            if p.len() >= path.len() && p.iter().zip(path).all(|(s, k)| seg_matches(s, k)) {
                if p.len() == path.len() {
                    types.extend(self.facts[i].types.iter().copied());
                    first.get_or_insert(i);
                } else if container.is_none() {
                    container = Some((p[path.len()] == Seg::Item, i));
                }
            } else if p.len() < path.len()
                && self.facts[i].types.contains(&FactType::Any)
                && p.iter().zip(path).all(|(s, k)| seg_matches(s, k))
                && container.is_none()
            {
                container = Some((false, i));
                types.insert(FactType::Any);
                first.get_or_insert(i);
            }
        }
        if let Some(entry) = first {
            return Some(Known::Declared { types: types.into_iter().collect(), entry });
        }
        container.map(|(list, entry)| Known::Container { list, entry })
    }

    /// What the catalogue knows about a path as an expression reads it, dotted (`os.build`,
    /// `config.w3wp.exe.config.switches`): segments of keys that contain dots cannot be told
    /// apart, so a `*` of a declaration may stand for several of them. List items are never in
    /// such a path (an index ends a literal path).
    pub fn lookup_dotted(&self, dotted: &str) -> Option<Known> {
        let path: Vec<&str> = dotted.split('.').take(MAX_SEGMENTS + 1).collect();
        if path.len() > MAX_SEGMENTS {
            return None;
        }
        let mut types: BTreeSet<FactType> = BTreeSet::new();
        let mut first = None;
        let mut container = None;
        for (i, p) in self.patterns.iter().enumerate() {
            let any = self.facts[i].types.contains(&FactType::Any);
            match loose_match(p, &path, any) {
                Some(LooseMatch::Exact) => {
                    types.extend(self.facts[i].types.iter().copied());
                    first.get_or_insert(i);
                }
                Some(LooseMatch::Below) => {
                    types.insert(FactType::Any);
                    first.get_or_insert(i);
                }
                Some(LooseMatch::Prefix { list }) => {
                    container.get_or_insert((list, i));
                }
                None => {}
            }
        }
        if let Some(entry) = first {
            return Some(Known::Declared { types: types.into_iter().collect(), entry });
        }
        container.map(|(list, entry)| Known::Container { list, entry })
    }

    /// What to collect for a dotted path, when some collector provides it: every collector's
    /// artifact that writes it (or, for a map on the way, something below it), joined with
    /// `, or `, in catalogue order.
    pub fn artifact_for(&self, dotted: &str) -> Option<String> {
        let path: Vec<&str> = dotted.split('.').take(MAX_SEGMENTS + 1).collect();
        if path.len() > MAX_SEGMENTS {
            return None;
        }
        let mut exact: Vec<&str> = Vec::new();
        let mut below: Vec<&str> = Vec::new();
        for (i, p) in self.patterns.iter().enumerate() {
            let any = self.facts[i].types.contains(&FactType::Any);
            let into = match loose_match(p, &path, any) {
                Some(LooseMatch::Exact | LooseMatch::Below) => &mut exact,
                Some(LooseMatch::Prefix { .. }) => &mut below,
                None => continue,
            };
            let a = self.facts[i].artifact.as_str();
            if !into.contains(&a) {
                into.push(a);
            }
        }
        let found = if exact.is_empty() { below } else { exact };
        (!found.is_empty()).then(|| found.join(", or "))
    }

    /// The declared path closest to a dotted path nothing provides (`os.biuld` → `os.build`),
    /// when one is close enough to be a typo.
    pub fn suggest(&self, dotted: &str) -> Option<String> {
        if dotted.len() > MAX_SUGGEST_LEN {
            return None;
        }
        let path: Vec<&str> = dotted.split('.').collect();
        let mut best: Option<(usize, String)> = None;
        let mut seen = BTreeSet::new();
        for p in &self.patterns {
            if p.contains(&Seg::Kind) {
                continue;
            }
            // The declared path, or any prefix of it, with the read's own keys at `*`.
            let names: Vec<Option<&str>> = p
                .iter()
                .filter(|s| **s != Seg::Item)
                .map(|s| match s {
                    Seg::Name(n) => Some(n.as_str()),
                    _ => None,
                })
                .collect();
            if names.len() < path.len() {
                continue;
            }
            let candidate: Vec<&str> =
                names[..path.len()].iter().zip(&path).map(|(n, k)| n.unwrap_or(k)).collect();
            let candidate = candidate.join(".");
            if candidate == dotted || !seen.insert(candidate.clone()) {
                continue;
            }
            let d = edit_distance(dotted, &candidate);
            if best.as_ref().is_none_or(|(bd, bc)| d < *bd || (d == *bd && candidate < *bc)) {
                best = Some((d, candidate));
            }
        }
        let limit = (dotted.len() / 4).clamp(1, 3);
        best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
    }

    /// The fields of a log kind's records, when the kind is known.
    pub fn log_kind(&self, kind: &str) -> Option<&LogKind> {
        self.log_kinds.get(kind)
    }

    /// Every fact of `facts` the catalogue does not declare with its type (empty when the
    /// catalogue is true of them). With a scan plan, the fields of each signal's matches are
    /// checked against its log kind's fields.
    pub fn check(&self, facts: &FactMap, plan: Option<&ScanPlan>) -> Vec<Undeclared> {
        let mut out = BTreeSet::new();
        let mut path = Vec::new();
        for (k, f) in &facts.root {
            path.push(k.clone());
            self.check_fact(f, &mut path, &mut out);
            path.pop();
        }
        if let (Some(plan), Some(signals)) = (plan, facts.root.get("signals").and_then(Fact::as_map)) {
            for (id, matches) in signals {
                let Some(kind) = plan.signals.iter().find(|s| &s.id == id).map(|s| s.log.as_str()) else {
                    continue;
                };
                let known = self.log_kinds.get(kind);
                let Value::List(items) = &matches.value else { continue };
                for m in items {
                    let Some(fields) = m.as_map().and_then(|m| m.get("fields")).and_then(Fact::as_map) else {
                        continue;
                    };
                    for (name, v) in fields {
                        let declared = known.and_then(|k| k.fields.iter().find(|f| &f.name == name));
                        let t = FactType::of(&v.value);
                        if declared.is_none_or(|d| !d.types.contains(&t) && !d.types.contains(&FactType::Any))
                        {
                            out.insert(Undeclared {
                                path: vec![
                                    format!("signals.{id}"),
                                    "[]".into(),
                                    "fields".into(),
                                    name.clone(),
                                ],
                                found: t.name(),
                                declared: declared
                                    .map(|d| d.types.iter().map(|t| t.name()).collect())
                                    .unwrap_or_default(),
                            });
                        }
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    fn check_fact(&self, f: &Fact, path: &mut Vec<String>, out: &mut BTreeSet<Undeclared>) {
        let t = FactType::of(&f.value);
        match self.lookup(path) {
            Some(Known::Declared { types, .. }) => {
                if types.contains(&FactType::Any) {
                    return;
                }
                if !types.contains(&t) {
                    out.insert(Undeclared {
                        path: path.clone(),
                        found: t.name(),
                        declared: types.iter().map(|t| t.name()).collect(),
                    });
                    return;
                }
            }
            Some(Known::Container { list, .. }) => {
                let want = if list { FactType::List } else { FactType::Map };
                if t != want {
                    out.insert(Undeclared {
                        path: path.clone(),
                        found: t.name(),
                        declared: vec![want.name()],
                    });
                    return;
                }
            }
            None => {
                out.insert(Undeclared { path: path.clone(), found: t.name(), declared: Vec::new() });
                return;
            }
        }
        match &f.value {
            Value::Map(m) => {
                for (k, v) in m {
                    path.push(k.clone());
                    self.check_fact(v, path, out);
                    path.pop();
                }
            }
            Value::List(l) => {
                path.push("[]".into());
                for v in l {
                    self.check_fact(v, path, out);
                }
                path.pop();
            }
            _ => {}
        }
    }

    /// The JSON Schema (draft 2020-12) of the fact map's JSON (`triage facts --format json`,
    /// a bundle's `facts.json`) with every declared path, as pretty JSON ending in a newline.
    /// Templates (`{kind}`) stand for any log kind.
    pub fn json_schema(&self) -> String {
        let mut root = Node::default();
        for (i, p) in self.patterns.iter().enumerate() {
            let mut node = &mut root;
            for s in p {
                let key = match s {
                    Seg::Name(n) => n.clone(),
                    Seg::Any | Seg::Kind => "*".into(),
                    Seg::Item => "[]".into(),
                };
                node = node.children.entry(key).or_default();
            }
            node.types.extend(self.facts[i].types.iter().copied());
            node.doc.get_or_insert_with(|| self.facts[i].description.clone());
        }
        let mut defs = JsonMap::new();
        defs.insert(
            "source".into(),
            json!({
                "description": "Where a fact comes from.",
                "type": "object",
                "properties": {
                    "artifact": { "type": "string" },
                    "collector": { "type": "string" },
                    "line": { "type": "integer", "minimum": 0 },
                    "end_line": { "type": "integer", "minimum": 0 },
                    "span": {
                        "type": "object",
                        "properties": {
                            "start": { "type": "integer", "minimum": 0 },
                            "end": { "type": "integer", "minimum": 0 }
                        },
                        "required": ["start", "end"],
                        "additionalProperties": false
                    },
                    "key": { "type": "string" },
                    "frame": { "type": "integer", "minimum": 0 }
                },
                "required": ["artifact", "collector"],
                "additionalProperties": false
            }),
        );
        defs.insert(
            "sourced".into(),
            json!({
                "description": "A fact with its provenance: `$value` is the fact.",
                "type": "object",
                "properties": { "$source": { "$ref": "#/$defs/source" } },
                "required": ["$value"],
                "propertyNames": { "enum": ["$value", "$source"] }
            }),
        );
        let mut props = JsonMap::new();
        for (k, child) in &root.children {
            props.insert(k.clone(), child.emit(k, &mut defs));
        }
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "FactMap",
            "description": "The facts triage's collectors write, as `triage facts --format json` prints them. A fact with provenance is `{\"$value\": …, \"$source\": {…}}`; timestamps, versions and bytes are `{\"$timestamp\"|\"$version\"|\"$bytes\": \"…\"}`. Generated from the fact catalogue (`triage collectors --facts`).",
            "type": "object",
            "properties": props,
            "additionalProperties": false,
            "$defs": defs,
        });
        let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A node of the schema tree.
#[derive(Default)]
struct Node {
    types: BTreeSet<FactType>,
    doc: Option<String>,
    children: BTreeMap<String, Node>,
}

impl Node {
    /// The schema of this node: a reference to its definition, bare or wrapped with a source.
    fn emit(&self, path: &str, defs: &mut JsonMap<String, Json>) -> Json {
        let name = def_name(path);
        let mut types: Vec<FactType> = self.types.iter().copied().collect();
        if types.is_empty() {
            types.push(if self.children.contains_key("[]") { FactType::List } else { FactType::Map });
        }
        let mut variants = Vec::new();
        for t in &types {
            let mut s = t.schema();
            match t {
                FactType::Map if !self.children.is_empty() => {
                    let mut props = JsonMap::new();
                    let mut any = None;
                    for (k, c) in &self.children {
                        match k.as_str() {
                            "*" => any = Some(c.emit(&format!("{path}.*"), defs)),
                            "[]" => {}
                            _ => {
                                props.insert(k.clone(), c.emit(&format!("{path}.{k}"), defs));
                            }
                        }
                    }
                    if !props.is_empty() {
                        s["properties"] = Json::Object(props);
                    }
                    s["additionalProperties"] = any.unwrap_or(Json::Bool(false));
                }
                FactType::List => {
                    if let Some(c) = self.children.get("[]") {
                        s["items"] = c.emit(&format!("{path}[]"), defs);
                    }
                }
                _ => {}
            }
            variants.push(s);
        }
        let mut plain = if variants.len() == 1 { variants.remove(0) } else { json!({ "anyOf": variants }) };
        if let (Some(doc), Json::Object(o)) = (&self.doc, &mut plain) {
            o.insert("description".into(), Json::String(doc.clone()));
        }
        defs.insert(name.clone(), plain);
        let r = format!("#/$defs/{name}");
        json!({ "anyOf": [{ "$ref": r }, { "$ref": "#/$defs/sourced", "properties": { "$value": { "$ref": r } } }] })
    }
}

/// A definition's name for a path: `*` and `[]` spelled out, so it is a plain JSON pointer.
fn def_name(path: &str) -> String {
    path.replace("[]", ".items").replace('*', "any").replace('/', "_")
}

enum LooseMatch {
    Exact,
    /// The path lies below a declaration of type `any`.
    Below,
    /// The path is a map or list on the way to the declaration.
    Prefix {
        list: bool,
    },
}

/// Matches a declared pattern against a dotted read: list items are skipped (a read never
/// indexes), and `*` takes one or more of the read's segments.
fn loose_match(p: &[Seg], path: &[&str], any: bool) -> Option<LooseMatch> {
    let p: Vec<&Seg> = p.iter().collect();
    fn go(p: &[&Seg], path: &[&str], any: bool) -> Option<LooseMatch> {
        match (p.first(), path.first()) {
            (_, None) => match p.first() {
                None => Some(LooseMatch::Exact),
                Some(Seg::Item) if p.len() == 1 => Some(LooseMatch::Exact),
                Some(s) => Some(LooseMatch::Prefix { list: **s == Seg::Item }),
            },
            (None, Some(_)) => any.then_some(LooseMatch::Below),
            (Some(Seg::Item), Some(_)) => None,
            (Some(Seg::Kind), _) => None,
            (Some(Seg::Name(n)), Some(k)) => (n == k).then(|| go(&p[1..], &path[1..], any)).flatten(),
            (Some(Seg::Any), Some(_)) => {
                // One segment, or several joined by dots (a key with dots in it).
                (1..=path.len()).find_map(|take| go(&p[1..], &path[take..], any))
            }
        }
    }
    go(&p, path, any)
}

/// Levenshtein distance, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use FactType::*;

    fn cat() -> Catalogue {
        let mut c = Catalogue::new();
        c.add(
            "test",
            "a test artifact",
            &[
                FactDecl::new("os.build", &[Int], "build"),
                FactDecl::new("os.version", &[Version], "version"),
                FactDecl::new("registry.*.*", &[Int, Str, List, Bytes], "a value"),
                FactDecl::new("registry.*.*[]", &[Str], "an item"),
                FactDecl::new("updates.installed[]", &[Str], "a KB"),
                FactDecl::new("wsus.config.*", &[Any], "a property"),
                FactDecl::new("logs.{kind}.files[]", &[Str], "a file"),
            ],
        );
        c.add_log_kind("p/auth", &["time".into(), "host".into()], &["auth.log".into()]);
        c
    }

    fn segs(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn lookups() {
        let c = cat();
        assert!(
            matches!(c.lookup(&segs(&["os", "build"])), Some(Known::Declared { types, .. }) if types == [Int])
        );
        assert!(matches!(c.lookup(&segs(&["os"])), Some(Known::Container { list: false, .. })));
        assert!(matches!(
            c.lookup(&segs(&["updates", "installed"])),
            Some(Known::Container { list: true, .. })
        ));
        assert_eq!(c.lookup(&segs(&["os", "biuld"])), None);
        assert!(c.lookup(&segs(&["wsus", "config", "MUUrl", "deep"])).is_some());
        assert!(c.lookup(&segs(&["logs", "p/auth", "files", "[]"])).is_some());
        assert_eq!(c.lookup(&segs(&["logs", "other", "files", "[]"])), None);
        assert!(c.lookup_dotted("registry.HKLM\\SOFTWARE.x").is_some());
        assert!(c.lookup_dotted("config.w3wp.exe.config").is_none());
        assert_eq!(c.artifact_for("os.build").as_deref(), Some("a test artifact"));
        assert_eq!(c.artifact_for("os.biuld"), None);
        assert_eq!(c.artifact_for("logs.p/auth.files").as_deref(), Some("a log file named like auth.log"));
    }

    #[test]
    fn suggestions() {
        let c = cat();
        assert_eq!(c.suggest("os.biuld").as_deref(), Some("os.build"));
        assert_eq!(c.suggest("os.vresion").as_deref(), Some("os.version"));
        assert_eq!(c.suggest("updates.instaled").as_deref(), Some("updates.installed"));
        assert_eq!(c.suggest("nothing.like.it"), None);
        assert_eq!(c.suggest(&format!("os.{}", "b".repeat(100_000))), None);
    }

    #[test]
    fn hostile_paths_are_bounded() {
        let c = cat();
        // A path of 100,000 segments against `registry.*.*`: refused at once, not matched.
        let deep = format!("registry.{}", vec!["k"; 100_000].join("."));
        let t = std::time::Instant::now();
        assert_eq!(c.lookup_dotted(&deep), None);
        assert_eq!(c.artifact_for(&deep), None);
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
        // 64 segments still match (`*` takes several).
        let ok = format!("registry.{}", vec!["k"; 62].join("."));
        assert!(c.lookup_dotted(&ok).is_some());
    }

    #[test]
    fn check_finds_undeclared_facts_and_wrong_types() {
        let c = cat();
        let facts = FactMap::from_json_str(
            r#"{"os": {"build": "9600", "biuld": 1}, "updates": {"installed": ["KB1"]}}"#,
        )
        .expect("json");
        let found: Vec<String> = c.check(&facts, None).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["os.biuld (integer) is not in the catalogue", "os.build is string, the catalogue says integer"]
        );
    }
}
