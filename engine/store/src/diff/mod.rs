//! Everything that changes between two versions of a pack, so a reviewer can read an update
//! before it is installed: rules added, removed and changed (condition, severity,
//! applicability, resolution, title, tests — each test case by name — and any other key), and
//! every other part of the pack — `[pack]`, `[data]` keys, derived facts, signals, log kinds,
//! `[labels]` (which change only what reports say, so affect no rule) —
//! added, removed or changed, each with the rules it can affect (rule ← derived facts ←
//! signals, data, log kinds: the engine's dependency graph, `Pack::dependencies`). A changed value is shown as a readable diff
//! ([`values`]): short values inline, long ones as the changed lines or the changed part.
//! `triage pack update` prints this before it applies anything; `triage pack diff OLD NEW`
//! prints it on demand. Outcome changes on stored bundles (`--bundles`) are computed by the CLI
//! with the engine and compared with [`outcome_changes`].

pub mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::files::PackFiles;
use crate::info::PackInfo;
use triage_engine::analysis::{Dependencies, GraphNode};

/// The aspects of a rule a diff reports, in display order.
pub const ASPECTS: &[(&str, &[&str])] = &[
    ("condition", &["when"]),
    ("severity", &["severity"]),
    ("applicability", &["applies_if", "requires"]),
    ("resolution", &["resolution"]),
    ("title", &["title"]),
    ("tests", &["test"]),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackDiff {
    pub id: String,
    pub old_version: String,
    pub new_version: String,
    pub old_engine: String,
    pub new_engine: String,
    pub added: Vec<RuleRef>,
    pub removed: Vec<RuleRef>,
    pub changed: Vec<RuleChange>,
    /// Changes to every part of the pack that is not a rule, in section order.
    pub parts: Vec<PartChange>,
    /// Versioning mistakes the diff reveals (a removed ID not retired, a retired ID reused,
    /// rules changed without a version bump).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    pub id: String,
    pub title: String,
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// For a rule: `condition`, `severity`, `applicability`, `resolution`, `title`, `tests` or
    /// `other`; for other parts, the section (`data`, `signal`, …).
    pub aspect: String,
    /// The field that changed, dotted for nested tables (`when.all`); `test "NAME".expect`
    /// for a test case's field.
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The change as readable lines (`- old`, `+ new`, context), empty when it is shown inline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<String>,
}

impl FieldChange {
    fn new(aspect: &str, field: String, old: Option<String>, new: Option<String>) -> FieldChange {
        let diff = if values::is_inline(old.as_deref(), new.as_deref()) {
            Vec::new()
        } else {
            values::diff_lines(old.as_deref(), new.as_deref())
        };
        FieldChange { aspect: aspect.to_owned(), field, old, new, diff }
    }
}

/// A part of the pack other than a rule that was added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartChange {
    /// `manifest`, `data`, `derived fact`, `signal` or `log kind`.
    pub section: String,
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    pub fields: Vec<FieldChange>,
    /// The rules this change can affect, sorted; `None` when not known (a side does not load,
    /// or the section affects no rule's outcome, as `[pack]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affects: Option<Vec<String>>,
}

impl PackDiff {
    /// No rule changes and no other changes (a new version number alone is not a change).
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty() && self.parts.is_empty()
    }

    /// The diff as text, for terminals and logs.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "pack {}: {} -> {}", self.id, self.old_version, self.new_version);
        if self.old_engine != self.new_engine {
            let _ = writeln!(s, "  engine requirement: {} -> {}", self.old_engine, self.new_engine);
        }
        if self.is_empty() {
            let _ = writeln!(s, "  no changes");
        }
        for r in &self.added {
            let _ = writeln!(s, "  + {} {}", r.id, r.title);
        }
        for r in &self.removed {
            let _ = writeln!(s, "  - {} {}", r.id, r.title);
        }
        for c in &self.changed {
            let _ = writeln!(s, "  ~ {} {}", c.id, c.title);
            for f in &c.changes {
                render_field(&mut s, &format!("{} ({})", f.aspect, f.field), f);
            }
        }
        for p in &self.parts {
            let mark = match p.change.as_str() {
                "added" => '+',
                "removed" => '-',
                _ => '~',
            };
            let _ = writeln!(s, "  {mark} {} {}", p.section, p.name);
            for f in &p.fields {
                render_field(&mut s, &f.field, f);
            }
            match &p.affects {
                Some(r) if r.is_empty() => {
                    let _ = writeln!(s, "      affects no rule");
                }
                Some(r) => {
                    let _ = writeln!(s, "      affects: {}", r.join(", "));
                }
                None if p.section == "manifest" => {}
                None => {
                    let _ = writeln!(s, "      affects: unknown (a version of the pack does not load)");
                }
            }
        }
        for p in &self.problems {
            let _ = writeln!(s, "  warning: {p}");
        }
        s
    }
}

fn render_field(s: &mut String, label: &str, f: &FieldChange) {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    if f.diff.is_empty() {
        let _ = writeln!(s, "      {label}: {} -> {}", show(&f.old), show(&f.new));
    } else {
        let _ = writeln!(s, "      {label}:");
        for l in &f.diff {
            let _ = writeln!(s, "        {l}");
        }
    }
}

fn title_of(t: &toml::Table) -> String {
    t.get("title").and_then(|v| v.as_str()).unwrap_or("").to_owned()
}

fn fields_of(v: Option<&toml::Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(v) = v {
        values::flatten("", v, &mut out);
    }
    out
}

/// Field-by-field changes between two values (either may be absent).
fn field_changes(aspect: &str, old: Option<&toml::Value>, new: Option<&toml::Value>) -> Vec<FieldChange> {
    let (a, b) = (fields_of(old), fields_of(new));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| FieldChange::new(aspect, k.clone(), a.get(k).cloned(), b.get(k).cloned()))
        .collect()
}

/// A rule's test cases by name (a case without a name is keyed by its position).
fn tests_of(rule: &toml::Table) -> BTreeMap<String, toml::Value> {
    let list = rule.get("test").and_then(|t| t.as_array()).cloned().unwrap_or_default();
    list.into_iter()
        .enumerate()
        .map(|(i, t)| {
            let name = t
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{}", i + 1));
            (name, t)
        })
        .collect()
}

fn rule_changes(old: &toml::Table, new: &toml::Table) -> Vec<FieldChange> {
    let strip = |t: &toml::Table| {
        let mut t = t.clone();
        t.remove("test");
        toml::Value::Table(t)
    };
    let mut changes: Vec<FieldChange> = field_changes("", Some(&strip(old)), Some(&strip(new)))
        .into_iter()
        .map(|mut c| {
            let top = c.field.split('.').next().unwrap_or("");
            c.aspect = ASPECTS
                .iter()
                .find(|(_, fields)| fields.contains(&top))
                .map(|(a, _)| *a)
                .unwrap_or("other")
                .to_owned();
            c
        })
        .collect();
    let (a, b) = (tests_of(old), tests_of(new));
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (x, y) = (a.get(name), b.get(name));
        if x == y {
            continue;
        }
        for mut c in field_changes("tests", x, y) {
            c.field = format!("test {name:?}.{}", c.field);
            changes.push(c);
        }
    }
    let order = |c: &FieldChange| ASPECTS.iter().position(|(a, _)| *a == c.aspect).unwrap_or(ASPECTS.len());
    changes.sort_by(|x, y| order(x).cmp(&order(y)).then(x.field.cmp(&y.field)));
    changes
}

/// Compares two versions of a pack from their files: what [`diff_packs`] finds, with the rules
/// each non-rule change affects, from both versions compiled by the engine.
pub fn diff_pack_files(old: &PackFiles, new: &PackFiles) -> crate::Result<PackDiff> {
    let (a, b) = (PackInfo::from_files(old)?, PackInfo::from_files(new)?);
    let graphs = [compile(old), compile(new)];
    Ok(diff_with(&a, &b, &graphs))
}

/// Part of a pack → the rules that read it, directly or through others.
type Affects = BTreeMap<GraphNode, BTreeSet<String>>;

/// Every part's rules, from one walk per rule (not one walk of every rule per part: a diff of
/// a large pack with many changes stays linear in rules times what each reads).
fn affects(deps: &Dependencies) -> Affects {
    let mut out = Affects::new();
    for node in deps.reads.keys() {
        if let GraphNode::Rule(id) = node {
            for part in deps.transitive(node) {
                out.entry(part).or_default().insert(id.clone());
            }
        }
    }
    out
}

/// The engine's view of a pack's files (`pack.toml` and `rules/**/*.toml`), or `None` when it
/// does not load.
fn compile(files: &PackFiles) -> Option<Affects> {
    let sources: Vec<triage_engine::SourceFile> = files
        .iter()
        .filter(|(p, _)| *p == "pack.toml" || (p.starts_with("rules/") && p.ends_with(".toml")))
        .map(|(p, b)| std::str::from_utf8(b).ok().map(|t| triage_engine::SourceFile::new(p, t)))
        .collect::<Option<_>>()?;
    let loaded = triage_engine::load_pack(sources, &triage_engine::Evaluator::default());
    if loaded.errors().next().is_some() {
        return None;
    }
    loaded.pack.map(|p| affects(&p.dependencies()))
}

/// Compares two versions of a pack (no dependency graph: non-rule changes have unknown
/// `affects`; see [`diff_pack_files`]).
pub fn diff_packs(old: &PackInfo, new: &PackInfo) -> PackDiff {
    diff_with(old, new, &[None, None])
}

/// A section of a pack outside its rules: its name, both versions' entries, its graph node.
type Section<'a> =
    (&'a str, &'a BTreeMap<String, toml::Value>, &'a BTreeMap<String, toml::Value>, fn(String) -> GraphNode);

/// The parts of a pack outside its rules, section by section.
fn part_changes(old: &PackInfo, new: &PackInfo, graphs: &[Option<Affects>; 2]) -> Vec<PartChange> {
    let mut out = Vec::new();
    let skip: [&str; 2] = ["version", "engine"]; // in the diff's header already
    let strip = |t: &toml::Table| {
        let mut t = t.clone();
        t.retain(|k, _| !skip.contains(&k));
        toml::Value::Table(t)
    };
    let fields = field_changes("manifest", Some(&strip(&old.manifest)), Some(&strip(&new.manifest)));
    if !fields.is_empty() {
        out.push(PartChange {
            section: "manifest".into(),
            name: "[pack]".into(),
            change: "changed".into(),
            fields,
            affects: None,
        });
    }
    let sections: [Section; 4] = [
        ("data", &old.data, &new.data, GraphNode::Data),
        ("derived fact", &old.derive, &new.derive, GraphNode::Derived),
        ("signal", &old.signals, &new.signals, GraphNode::Signal),
        ("log kind", &old.log_kinds, &new.log_kinds, GraphNode::LogKind),
    ];
    for (section, a, b, part) in sections {
        let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let (x, y) = (a.get(name), b.get(name));
            if x == y {
                continue;
            }
            let mut fields = field_changes(section, x, y);
            for f in &mut fields {
                if f.field.is_empty() {
                    f.field = "value".into();
                }
            }
            let change = match (x, y) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            };
            // Where it was read before, and where it is read now.
            let affects = match graphs {
                [Some(g), Some(h)] => {
                    let p = part(name.clone());
                    let mut r = g.get(&p).cloned().unwrap_or_default();
                    r.extend(h.get(&p).into_iter().flatten().cloned());
                    Some(r.into_iter().collect())
                }
                _ => None,
            };
            out.push(PartChange {
                section: section.into(),
                name: name.clone(),
                change: change.into(),
                fields,
                affects,
            });
        }
    }
    // Labels change what reports say, never an outcome: no rules to list.
    let mut names: Vec<&String> = old.labels.keys().chain(new.labels.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (x, y) = (old.labels.get(name), new.labels.get(name));
        if x == y {
            continue;
        }
        let change = match (x, y) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "changed",
        };
        out.push(PartChange {
            section: "label".into(),
            name: name.clone(),
            change: change.into(),
            fields: field_changes("label", x, y),
            affects: Some(Vec::new()),
        });
    }
    out
}

fn diff_with(old: &PackInfo, new: &PackInfo, graphs: &[Option<Affects>; 2]) -> PackDiff {
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    for (id, t) in &new.rules {
        if !old.rules.contains_key(id) {
            added.push(RuleRef { id: id.clone(), title: title_of(t) });
        }
    }
    for (id, t) in &old.rules {
        let Some(n) = new.rules.get(id) else {
            removed.push(RuleRef { id: id.clone(), title: title_of(t) });
            continue;
        };
        let changes = rule_changes(t, n);
        if !changes.is_empty() {
            changed.push(RuleChange { id: id.clone(), title: title_of(n), changes });
        }
    }
    let mut problems = Vec::new();
    for r in &removed {
        if !new.retired.contains(&r.id) {
            problems.push(format!("rule {} was removed but is not listed in [pack] retired", r.id));
        }
    }
    for r in &added {
        if old.retired.contains(&r.id) {
            problems.push(format!("rule ID {} was retired and is used again", r.id));
        }
    }
    let parts = part_changes(old, new, graphs);
    let rules_changed = !(added.is_empty() && removed.is_empty() && changed.is_empty());
    if (rules_changed || !parts.is_empty()) && old.version == new.version {
        problems.push(format!("the pack changed but the version is still {}", new.version));
    }
    if new.version < old.version {
        problems.push(format!("the new version {} is older than {}", new.version, old.version));
    }
    PackDiff {
        id: new.id.clone(),
        old_version: old.version.to_string(),
        new_version: new.version.to_string(),
        old_engine: old.engine.to_string(),
        new_engine: new.engine.to_string(),
        added,
        removed,
        changed,
        parts,
        problems,
    }
}

/// One (input, rule) whose outcome differs between two runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeChange {
    pub input: String,
    pub rule: String,
    /// `None` when the rule did not exist (or did not run) on that side.
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Compares two runs keyed by (input, rule) → outcome, returning every difference, sorted.
pub fn outcome_changes(
    old: &BTreeMap<(String, String), String>,
    new: &BTreeMap<(String, String), String>,
) -> Vec<OutcomeChange> {
    let mut keys: Vec<&(String, String)> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| OutcomeChange {
            input: k.0.clone(),
            rule: k.1.clone(),
            old: old.get(k).cloned(),
            new: new.get(k).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::PackFiles;

    fn info(version: &str, retired: &str, rules: &str) -> PackInfo {
        let mut f = PackFiles::new();
        let text = format!("[pack]\nid = \"demo\"\nversion = \"{version}\"\nengine = \"^0.1\"\nretired = [{retired}]\n{rules}");
        f.insert("pack.toml", text.into_bytes()).expect("ok");
        PackInfo::from_files(&f).expect("valid")
    }

    const R1: &str = "[[rule]]\nid = \"D001\"\ntitle = \"One\"\nseverity = \"warning\"\nwhen = 'a > 1'\nresolution = \"fix it\"\n";
    const R2: &str = "[[rule]]\nid = \"D002\"\ntitle = \"Two\"\nseverity = \"error\"\nwhen = 'b'\n";

    #[test]
    fn label_changes_are_shown_and_affect_no_rule() {
        let old = info("1.0.0", "", &format!("{R1}[labels.facts.config]\nabsent = \"no config\"\n"));
        let new = info("1.0.1", "", &format!("{R1}[labels.facts.config]\nabsent = \"no w3wp.exe.config was collected\"\n[labels.signals.reset]\nname = \"reset\"\n"));
        let d = diff_packs(&old, &new);
        let parts: Vec<(&str, &str, &str)> =
            d.parts.iter().map(|p| (p.section.as_str(), p.name.as_str(), p.change.as_str())).collect();
        assert_eq!(parts, [("label", "facts.config", "changed"), ("label", "signals.reset", "added")]);
        let text = d.render();
        assert!(text.contains("  ~ label facts.config\n"), "{text}");
        assert!(text.contains("no w3wp.exe.config was collected"), "{text}");
        assert!(text.contains("      affects no rule\n"), "{text}");
    }

    #[test]
    fn added_removed_changed() {
        let old = info("1.0.0", "", &format!("{R1}{R2}"));
        let r1b = R1.replace("a > 1", "a > 2").replace("warning", "error").replace("fix it", "fix it now")
            + "applies_if = 'os.build >= 9200'\n";
        let r3 = "[[rule]]\nid = \"D003\"\ntitle = \"Three\"\nwhen = 'c'\n";
        let new = info("1.1.0", "\"D002\"", &format!("{r1b}{r3}"));
        let d = diff_packs(&old, &new);
        assert_eq!(d.added, vec![RuleRef { id: "D003".into(), title: "Three".into() }]);
        assert_eq!(d.removed, vec![RuleRef { id: "D002".into(), title: "Two".into() }]);
        assert_eq!(d.changed.len(), 1);
        let aspects: Vec<(&str, &str)> =
            d.changed[0].changes.iter().map(|c| (c.aspect.as_str(), c.field.as_str())).collect();
        assert_eq!(
            aspects,
            [
                ("condition", "when"),
                ("severity", "severity"),
                ("applicability", "applies_if"),
                ("resolution", "resolution")
            ]
        );
        assert_eq!(d.changed[0].changes[0].old.as_deref(), Some("a > 1"));
        assert_eq!(d.changed[0].changes[2].old, None);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let text = d.render();
        assert!(text.contains("pack demo: 1.0.0 -> 1.1.0"), "{text}");
        assert!(text.contains("  + D003 Three") && text.contains("  - D002 Two"), "{text}");
        assert!(text.contains("condition (when): a > 1 -> a > 2"), "{text}");
    }

    #[test]
    fn versioning_mistakes_reported() {
        let old = info("1.0.0", "\"D009\"", &format!("{R1}{R2}"));
        let new = info("1.0.0", "", &format!("{}{}", R1.replace("a > 1", "a"), R2.replace("D002", "D009")));
        let d = diff_packs(&old, &new);
        assert_eq!(d.problems.len(), 3, "{:?}", d.problems);
        assert!(d.problems[0].contains("D002 was removed but is not listed in [pack] retired"));
        assert!(d.problems[1].contains("D009 was retired and is used again"));
        assert!(d.problems[2].contains("version is still 1.0.0"));
        assert!(diff_packs(&old, &old).is_empty());
    }

    #[test]
    fn outcome_changes_lists_differences_only() {
        let k = |i: &str, r: &str| (i.to_owned(), r.to_owned());
        let old = BTreeMap::from([
            (k("b1", "D001"), "detected".to_owned()),
            (k("b1", "D002"), "not_detected".to_owned()),
        ]);
        let new = BTreeMap::from([
            (k("b1", "D001"), "detected".to_owned()),
            (k("b1", "D002"), "detected".to_owned()),
            (k("b1", "D003"), "not_detected".to_owned()),
        ]);
        let c = outcome_changes(&old, &new);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].rule.as_str(), c[0].old.as_deref(), c[0].new.as_deref()),
            ("D002", Some("not_detected"), Some("detected"))
        );
        assert_eq!((c[1].rule.as_str(), c[1].old.as_deref()), ("D003", None));
    }
}
