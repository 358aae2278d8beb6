//! `triage_engine::lint` is bounded by the worst pack: 10,000 rules that each read a fact path
//! nothing provides (with a long name, so each did-you-mean costs the most it may) give at most
//! `MAX_WARNINGS` warnings and one that counts the rest, in bounded time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use triage_engine::lint::{lint, MAX_WARNINGS};
use triage_engine::{load_pack, Evaluator, SourceFile};
use triage_facts::{Catalogue, FactDecl, FactType};

#[test]
fn the_most_warnings_a_pack_can_earn_are_capped() {
    let mut text =
        String::from("[pack]\nid = \"many\"\nversion = \"0.1.0\"\nengine = \"^0.2\"\ntitle = \"t\"\n");
    let long = "x".repeat(200);
    for i in 0..10_000 {
        text.push_str(&format!(
            "[[rule]]\nid = \"M{i:05}\"\ntitle = \"t\"\nseverity = \"info\"\nwhen = 'facts.os.{long}{i} == 1'\nresolution = \"r\"\n"
        ));
    }
    let ev = Evaluator::default();
    let loaded = load_pack(vec![SourceFile::new("pack.toml", text)], &ev);
    let pack = loaded.pack.expect("loads");
    let mut c = Catalogue::new();
    c.add("systeminfo", "systeminfo output", &[FactDecl::new("os.build", &[FactType::Int], "build")]);
    let c = Arc::new(c);
    let t = Instant::now();
    let warnings = lint(&pack, &c, ev.engine());
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    assert_eq!(warnings.len(), MAX_WARNINGS + 1);
    assert_eq!(
        warnings[MAX_WARNINGS].message,
        format!("{} more catalogue warning(s) not shown", 10_000 - MAX_WARNINGS)
    );
    assert!(
        warnings[0].message.starts_with("no collector provides the fact `os.xxx"),
        "{}",
        warnings[0].message
    );
}
