//! What changes between two versions of a pack, rule by rule: added, removed, and changed in
//! condition (`when`), severity, applicability (`applies_if`, `requires`), resolution, title or
//! anything else. `triage pack update` prints this before it applies anything; `triage pack
//! diff OLD NEW` prints it on demand. Outcome changes on stored bundles (`--bundles`) are
//! computed by the CLI with the engine and compared with [`outcome_changes`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::info::PackInfo;

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
    /// `condition`, `severity`, `applicability`, `resolution`, `title`, `tests` or `other`.
    pub aspect: String,
    /// The TOML key that changed.
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl PackDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// The diff as text, for terminals and logs.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "pack {}: {} -> {}", self.id, self.old_version, self.new_version);
        if self.old_engine != self.new_engine {
            let _ = writeln!(s, "  engine requirement: {} -> {}", self.old_engine, self.new_engine);
        }
        if self.is_empty() {
            let _ = writeln!(s, "  no rule changes");
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
                let show = |v: &Option<String>| v.as_deref().map(one_line).unwrap_or_else(|| "(none)".into());
                let _ = writeln!(s, "      {} ({}): {} -> {}", f.aspect, f.field, show(&f.old), show(&f.new));
            }
        }
        for p in &self.problems {
            let _ = writeln!(s, "  warning: {p}");
        }
        s
    }
}

fn one_line(v: &str) -> String {
    let flat: String = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 100 {
        format!("{}…", flat.chars().take(99).collect::<String>())
    } else {
        flat
    }
}

fn title_of(t: &toml::Table) -> String {
    t.get("title").and_then(|v| v.as_str()).unwrap_or("").to_owned()
}

fn render_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compares two versions of a pack.
pub fn diff_packs(old: &PackInfo, new: &PackInfo) -> PackDiff {
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
        let mut changes = Vec::new();
        let mut keys: Vec<&String> = t.keys().chain(n.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let (a, b) = (t.get(key), n.get(key));
            if a == b {
                continue;
            }
            let aspect = ASPECTS
                .iter()
                .find(|(_, fields)| fields.contains(&key.as_str()))
                .map(|(a, _)| *a)
                .unwrap_or("other");
            changes.push(FieldChange {
                aspect: aspect.to_owned(),
                field: key.clone(),
                old: a.map(render_value),
                new: b.map(render_value),
            });
        }
        let order =
            |c: &FieldChange| ASPECTS.iter().position(|(a, _)| *a == c.aspect).unwrap_or(ASPECTS.len());
        changes.sort_by(|x, y| order(x).cmp(&order(y)).then(x.field.cmp(&y.field)));
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
    let rules_changed = !(added.is_empty() && removed.is_empty() && changed.is_empty());
    if rules_changed && old.version == new.version {
        problems.push(format!("rules changed but the version is still {}", new.version));
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
