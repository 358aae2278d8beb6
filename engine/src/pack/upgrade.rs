//! What each triage release changed in what packs mean, and how a pack written for an older
//! release is brought up to date. The loader (`[pack] engine`) and the store (`pack install`,
//! `pack update`, `run --pack ID`) both say this when a pack's requirement refuses this triage,
//! so a maintainer reads what changed instead of only "requirement not met".

/// One release that changed what existing packs mean (a `0.x` minor, or a major).
struct Release {
    /// `(major, minor)`.
    version: (u64, u64),
    /// What a pack written for the release before means differently now.
    changes: &'static [&'static str],
}

/// Newest last.
const RELEASES: &[Release] = &[Release {
    version: (0, 2),
    changes: &[
        "a rule that reads an absent fact says missing_facts whether or not it lists `requires` \
         (`?.` alone no longer hides absence: handle it with `??`, `has()` or `== ()`)",
        "applicability is decided before requirements, and `[pack] applies_if` makes a whole pack \
         not_applicable",
        "TOML integers in hex, octal or binary are read by value (they were read as 0)",
        "a run with applicable rules not evaluated exits 3, not 0",
    ],
}];

/// The releases before `this` whose line `req` accepts, as `(major, minor)`: the line the pack was
/// written for. `None` when `req` accepts none of them (a requirement on a newer triage).
fn written_for(req: &semver::VersionReq, this: &semver::Version) -> Option<(u64, u64)> {
    let mut lines: Vec<(u64, u64)> = vec![(0, 1)];
    lines.extend(RELEASES.iter().map(|r| r.version));
    lines
        .into_iter()
        .filter(|&(ma, mi)| (ma, mi) < (this.major, this.minor))
        .filter(|&(ma, mi)| {
            [0, 1, 99, u64::from(u32::MAX)].iter().any(|&p| req.matches(&semver::Version::new(ma, mi, p)))
        })
        .max()
}

/// Advice for a pack whose `engine` requirement `req` refuses triage `this`. For a pack written
/// for an older release: what changed since, and how to update the pack; otherwise what to
/// install.
pub fn engine_advice(req: &semver::VersionReq, this: &semver::Version) -> String {
    let Some(old) = written_for(req, this) else {
        return "install a newer triage or an older version of the pack".into();
    };
    let changes: Vec<&str> = RELEASES
        .iter()
        .filter(|r| r.version > old && r.version <= (this.major, this.minor))
        .flat_map(|r| r.changes.iter().copied())
        .collect();
    let line = if this.major == 0 { format!("^0.{}", this.minor) } else { format!("^{}", this.major) };
    format!(
        "the pack was written for triage {}.{}, and triage {}.{} changed what packs mean: {}. To update the \
         pack, set `engine = \"{line}\"` in [pack], then run `triage pack check` and `triage pack test` \
         on it and fix what they report (a test whose outcome changed is a rule that now means something \
         else) (docs/rule-language.md, \"Updating a pack to a new triage\"); or run it with the triage \
         it was written for",
        old.0,
        old.1,
        this.major,
        this.minor,
        changes.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advice(req: &str, this: &str) -> String {
        engine_advice(
            &semver::VersionReq::parse(req).expect("req"),
            &semver::Version::parse(this).expect("v"),
        )
    }

    #[test]
    fn a_pack_for_0_1_is_told_what_changed() {
        for req in ["^0.1", "~0.1.3", "=0.1.0", ">=0.1, <0.2"] {
            let a = advice(req, "0.2.0");
            assert!(a.starts_with("the pack was written for triage 0.1, and triage 0.2 changed what packs mean: a rule that reads an absent fact says missing_facts"), "{req}: {a}");
            assert!(a.contains("set `engine = \"^0.2\"`"), "{a}");
        }
    }

    #[test]
    fn a_pack_for_a_newer_triage_is_told_to_install_one() {
        assert_eq!(advice(">=99", "0.2.0"), "install a newer triage or an older version of the pack");
        assert_eq!(advice("^0.3", "0.2.0"), "install a newer triage or an older version of the pack");
    }
}
