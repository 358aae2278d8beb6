//! `[log_kinds.*] year = "none"`: planned as `no_year`, and refused where it cannot work (no
//! `time` group to place, an unknown mode).

use triage_engine::{load_pack, scan_plan, Evaluator, SourceFile};

const MANIFEST: &str = "[pack]\nid = \"y\"\nversion = \"1.0.0\"\nengine = \">=0.1\"\ntitle = \"t\"\n\n";

fn load(kinds: &str) -> triage_engine::LoadResult {
    load_pack(vec![SourceFile::new("pack.toml", format!("{MANIFEST}{kinds}"))], &Evaluator::default())
}

#[test]
fn year_none_is_planned_and_checked() {
    let r = load(
        "[log_kinds.authlog]\nfiles = [\"auth.log\"]\nrecord_start = '[A-Z]'\nfields = '^(?P<time>\\S+ +\\d+ \\S+) '\nyear = \"none\"\n",
    );
    let pack = r.pack.expect("loads");
    let plan = scan_plan([&pack]);
    assert_eq!((plan.log_kinds[0].name.as_str(), plan.log_kinds[0].no_year), ("y/authlog", true));

    let r = load(
        "[log_kinds.a]\nfiles = [\"a\"]\nrecord_start = '[A-Z]'\nfields = '^(?P<when>\\S+)'\nyear = \"none\"\n\n\
         [log_kinds.b]\nfiles = [\"b\"]\nrecord_start = '[A-Z]'\nyear = \"2024\"\n",
    );
    assert!(r.pack.is_none());
    let got: Vec<String> = r.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        got,
        ["`year = \"none\"` needs a `(?P<time>…)` group in `fields`", "unknown `year` value `2024`"]
    );
}
