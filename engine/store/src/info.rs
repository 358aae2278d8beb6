//! The little of a pack's TOML the store needs, read without compiling anything: the `[pack]`
//! table (id, version, engine requirement, retired rule IDs) and every `[[rule]]` as a plain
//! TOML table, from `pack.toml` and `rules/**/*.toml`. Full validation (conditions, regexes,
//! references) is the engine's `load_pack`; this is enough to name, order, gate and diff packs.

use std::collections::BTreeMap;

use crate::files::PackFiles;
use crate::{Error, Result};

/// A pack's identity and rules.
#[derive(Debug, Clone)]
pub struct PackInfo {
    pub id: String,
    pub version: semver::Version,
    pub engine: semver::VersionReq,
    pub title: Option<String>,
    pub retired: Vec<String>,
    /// Rule ID → the rule's table (as written, `test` included).
    pub rules: BTreeMap<String, toml::Table>,
    /// The changelog's text, if the pack has one (`CHANGELOG.md`).
    pub changelog: Option<String>,
    /// The `[pack]` table as written.
    pub manifest: toml::Table,
    /// `[data]`, `[derive]`, `[signals]` and `[log_kinds]` entries of every file, by name (the
    /// first definition when a name repeats; the loader reports the repeat).
    pub data: BTreeMap<String, toml::Value>,
    pub derive: BTreeMap<String, toml::Value>,
    pub signals: BTreeMap<String, toml::Value>,
    pub log_kinds: BTreeMap<String, toml::Value>,
    /// `[labels]` entries of every file, by `facts.PATH` and `signals.NAME` (a later file's
    /// entry replaces an earlier one's, as the loader merges them).
    pub labels: BTreeMap<String, toml::Value>,
}

/// The changelog's file name inside a pack.
pub const CHANGELOG_NAME: &str = "CHANGELOG.md";

/// The pack ID rule in words (the one definition is the engine's `pack::format`).
pub const ID_RULE: &str = triage_engine::pack::format::PACK_ID_RULE;

/// Whether a pack ID is valid, and so can name a folder in the store: the engine's
/// [`triage_engine::pack::format::is_pack_id`].
pub fn valid_id(id: &str) -> bool {
    triage_engine::pack::format::is_pack_id(id)
}

impl PackInfo {
    /// Reads the pack's TOML files. Errors name the file.
    pub fn from_files(files: &PackFiles) -> Result<Self> {
        let text = |path: &str| -> Result<Option<String>> {
            files
                .get(path)
                .map(|b| {
                    String::from_utf8(b.to_vec())
                        .map(|s| s.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(s))
                        .map_err(|_| Error::Pack { file: path.into(), reason: "not UTF-8".into() })
                })
                .transpose()
        };
        let pack_text = text("pack.toml")?.ok_or_else(|| Error::Pack {
            file: "pack.toml".into(),
            reason: "missing: a pack folder needs a pack.toml at its root".into(),
        })?;
        let parse = |name: &str, t: &str| -> Result<toml::Table> {
            t.parse::<toml::Table>().map_err(|e| Error::Pack { file: name.into(), reason: e.to_string() })
        };
        let root = parse("pack.toml", &pack_text)?;
        let bad = |reason: String| Error::Pack { file: "pack.toml".into(), reason };
        let pack =
            root.get("pack").and_then(|v| v.as_table()).ok_or_else(|| bad("no [pack] table".into()))?;
        let string = |key: &str| pack.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let id = string("id").ok_or_else(|| bad("[pack] has no `id`".into()))?;
        if !valid_id(&id) {
            return Err(bad(format!("pack id `{id}` is not valid: {ID_RULE}")));
        }
        let version = string("version").ok_or_else(|| bad("[pack] has no `version`".into()))?;
        let version = semver::Version::parse(&version)
            .map_err(|e| bad(format!("version `{version}` is not semver: {e}")))?;
        let engine = string("engine").ok_or_else(|| bad("[pack] has no `engine` requirement".into()))?;
        let engine = semver::VersionReq::parse(&engine)
            .map_err(|e| bad(format!("engine requirement `{engine}` is not valid: {e}")))?;
        let retired = pack
            .get("retired")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();

        let manifest = pack.clone();
        let mut rules = BTreeMap::new();
        let mut sections: [BTreeMap<String, toml::Value>; 4] = Default::default();
        let mut labels = BTreeMap::new();
        let mut sources = vec![("pack.toml".to_owned(), root.clone())];
        for (path, _) in files.iter() {
            if path.starts_with("rules/") && path.ends_with(".toml") {
                let t = text(path)?.unwrap_or_default();
                sources.push((path.to_owned(), parse(path, &t)?));
            }
        }
        for (file, table) in sources {
            for (section, out) in ["data", "derive", "signals", "log_kinds"].iter().zip(sections.iter_mut()) {
                if let Some(t) = table.get(*section).and_then(|v| v.as_table()) {
                    for (k, v) in t {
                        out.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            if let Some(t) = table.get("labels").and_then(|v| v.as_table()) {
                for kind in ["facts", "signals"] {
                    for (k, v) in t.get(kind).and_then(|v| v.as_table()).into_iter().flatten() {
                        labels.insert(format!("{kind}.{k}"), v.clone());
                    }
                }
            }
            let Some(list) = table.get("rule") else { continue };
            let list = list.as_array().ok_or_else(|| Error::Pack {
                file: file.clone(),
                reason: "`rule` must be [[rule]] tables".into(),
            })?;
            for r in list {
                let Some(t) = r.as_table() else { continue };
                let Some(rid) = t.get("id").and_then(|v| v.as_str()) else { continue };
                if rules.insert(rid.to_owned(), t.clone()).is_some() {
                    return Err(Error::Pack {
                        file: file.clone(),
                        reason: format!("duplicate rule ID {rid}"),
                    });
                }
            }
        }
        let [data, derive, signals, log_kinds] = sections;
        Ok(PackInfo {
            id,
            version,
            engine,
            title: string("title"),
            retired,
            rules,
            changelog: text(CHANGELOG_NAME)?,
            manifest,
            data,
            derive,
            signals,
            log_kinds,
            labels,
        })
    }

    /// Refuses a pack this triage cannot run, with a message that says what to do.
    pub fn check_engine(&self, this: &semver::Version) -> Result<()> {
        if self.engine.matches(this) {
            Ok(())
        } else {
            Err(Error::Engine {
                id: self.id.clone(),
                version: self.version.to_string(),
                requirement: self.engine.to_string(),
                this: this.to_string(),
                advice: triage_engine::pack::upgrade::engine_advice(&self.engine, this),
            })
        }
    }

    /// Versioning problems `pack check` reports: retired IDs reused, no changelog, or a
    /// changelog with no entry for this version.
    pub fn versioning_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for id in &self.retired {
            if self.rules.contains_key(id) {
                out.push(format!("rule ID {id} is retired ([pack] retired) and must not be reused"));
            }
        }
        match &self.changelog {
            None => out.push(format!("the pack has no {CHANGELOG_NAME}")),
            Some(text) => {
                let v = self.version.to_string();
                let has = text.lines().any(|l| {
                    l.starts_with('#')
                        && l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+'))
                            .any(|w| w == v)
                });
                if !has {
                    out.push(format!("{CHANGELOG_NAME} has no heading for version {v}"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn pack(toml: &str, extra: &[(&str, &str)]) -> PackFiles {
        let mut f = PackFiles::new();
        f.insert("pack.toml", toml.as_bytes().to_vec()).expect("ok");
        for (p, c) in extra {
            f.insert(p, c.as_bytes().to_vec()).expect("ok");
        }
        f
    }

    const HEAD: &str = "[pack]\nid = \"demo\"\nversion = \"1.2.0\"\nengine = \">=0.1, <0.2\"\ntitle = \"Demo\"\nretired = [\"DEMO002\"]\n";

    #[test]
    fn reads_header_and_rules_from_all_files() {
        let f = pack(
            &format!("{HEAD}[[rule]]\nid = \"DEMO001\"\nwhen = 'x'\n"),
            &[
                ("rules/more.toml", "[[rule]]\nid = \"DEMO003\"\nwhen = 'y'\n"),
                (CHANGELOG_NAME, "# Changelog\n\n## 1.2.0\n- x\n"),
            ],
        );
        let info = PackInfo::from_files(&f).expect("reads");
        assert_eq!((info.id.as_str(), info.version.to_string().as_str()), ("demo", "1.2.0"));
        assert_eq!(info.rules.keys().collect::<Vec<_>>(), ["DEMO001", "DEMO003"]);
        assert_eq!(info.retired, ["DEMO002"]);
        assert!(info.versioning_problems().is_empty(), "{:?}", info.versioning_problems());
        info.check_engine(&semver::Version::new(0, 1, 5)).expect("matches");
        let err = info.check_engine(&semver::Version::new(0, 2, 0)).expect_err("too new");
        assert!(
            err.to_string().starts_with(
                "pack demo 1.2.0 requires triage >=0.1, <0.2, but this is triage 0.2.0; the pack was written for triage 0.1, and triage 0.2 changed what packs mean: "
            ),
            "{err}"
        );
    }

    #[test]
    fn versioning_problems_found() {
        let f = pack(&format!("{HEAD}[[rule]]\nid = \"DEMO002\"\n"), &[(CHANGELOG_NAME, "## 1.1.0\n")]);
        let p = PackInfo::from_files(&f).expect("reads").versioning_problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("DEMO002 is retired"));
        assert!(p[1].contains("no heading for version 1.2.0"));
    }

    #[test]
    fn bad_headers_refused() {
        for bad in [
            "",
            "[pack]\nid = \"../x\"\nversion = \"1.0.0\"\nengine = \"*\"\n",
            "[pack]\nid = \"x\"\nversion = \"1.0\"\nengine = \"*\"\n",
            "[pack]\nid = \"x\"\nversion = \"1.0.0\"\n",
            "[pack]\nid = \"x\"\nversion = \"1.0.0\"\nengine = \"~~\"\n",
            "[pack\n",
        ] {
            assert!(PackInfo::from_files(&pack(bad, &[])).is_err(), "{bad:?}");
        }
        assert!(valid_id("wsus-tls") && !valid_id("a.b") && !valid_id("my_pack") && !valid_id("A"));
        let err = PackInfo::from_files(&pack(
            "[pack]\nid = \"my_pack\"\nversion = \"1.0.0\"\nengine = \"*\"\n",
            &[],
        ))
        .expect_err("my_pack");
        assert_eq!(err.to_string(), format!("pack.toml: pack id `my_pack` is not valid: {ID_RULE}"));
    }
}
