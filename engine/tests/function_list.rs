//! The list of functions a condition may call, in `docs/rule-language.md` between the
//! `<!-- functions:begin -->` and `<!-- functions:end -->` markers, is generated from the
//! sandboxed engine itself (every function registered on it, Rhai's packages included). This
//! test regenerates it in memory and fails when the committed list differs;
//! `UPDATE_FUNCTION_LIST=1 cargo test -p triage-engine --test function_list` rewrites it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use triage_engine::sandbox::build_engine;
use triage_engine::Limits;

/// Symbols the engine disables: functions of these names cannot be called.
const DISABLED: &[&str] = &["print", "debug"];

const BEGIN: &str = "<!-- functions:begin -->";
const END: &str = "<!-- functions:end -->";
const STALE: &str = "the function list in docs/rule-language.md is stale, regenerate with \
                     UPDATE_FUNCTION_LIST=1 cargo test -p triage-engine --test function_list";

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/rule-language.md")
}

/// A parameter's type as a rule author knows it.
fn author_type(t: &str) -> String {
    let t = t.trim().trim_start_matches("&mut ").trim_start_matches('&').trim();
    match t {
        "ImmutableString" | "String" | "str" | "string" => "string",
        "i64" | "INT" | "int" => "int",
        "f64" | "FLOAT" | "float" => "float",
        "Array" | "array" | "Vec<Dynamic>" => "array",
        "Map" | "map" => "map",
        "Blob" | "blob" | "Vec<u8>" => "blob",
        "Dynamic" | "?" | "" => "any",
        "FnPtr" | "Fn" => "Fn",
        other => other,
    }
    .to_owned()
}

/// Function name → its parameter lists (`(string, int, char)`), sorted; property getters and
/// setters (`get$len`) as `.name`.
fn functions() -> BTreeMap<String, BTreeSet<String>> {
    let engine = build_engine(&Limits::default());
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for sig in engine.gen_fn_signatures(true) {
        let Some((name, rest)) = sig.split_once('(') else { continue };
        // Registered by Rhai's string package, but their names do not parse (disabled symbols).
        if DISABLED.contains(&name) {
            continue;
        }
        let params = rest.rsplit_once(')').map_or(rest, |(p, _)| p);
        let types: Vec<String> = if params.trim().is_empty() {
            Vec::new()
        } else {
            params.split(", ").map(|p| author_type(p.rsplit_once(": ").map_or(p, |(_, t)| t))).collect()
        };
        let name = match name.split_once('$') {
            Some(("get", prop)) => format!(".{prop}"),
            Some(("set", prop)) => format!(".{prop} ="),
            _ => name.to_owned(),
        };
        out.entry(name).or_default().insert(format!("({})", types.join(", ")));
    }
    out
}

fn generated() -> String {
    let mut s = String::from(BEGIN);
    s.push_str("\n\n| function | parameters |\n| --- | --- |\n");
    for (name, sigs) in functions() {
        let name = name.replace('|', "\\|");
        let sigs: Vec<String> = sigs.iter().map(|p| format!("`{}`", p.replace('|', "\\|"))).collect();
        s.push_str(&format!("| `{name}` | {} |\n", sigs.join(" ")));
    }
    s.push('\n');
    s.push_str(END);
    s
}

#[test]
fn function_list_is_current() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).expect("docs/rule-language.md is readable");
    let (Some(a), Some(b)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/rule-language.md has no {BEGIN} … {END} markers");
    };
    let committed = &doc[a..b + END.len()];
    let want = generated();
    if committed != want {
        if std::env::var_os("UPDATE_FUNCTION_LIST").is_some() {
            let updated = format!("{}{want}{}", &doc[..a], &doc[b + END.len()..]);
            std::fs::write(&path, updated).expect("docs/rule-language.md is writable");
        } else {
            panic!("{STALE}");
        }
    }
}

/// What must never be callable, and what must (the list is the engine's, not a copy).
#[test]
fn the_curated_set_leaves_out_the_clock_sleep_and_output() {
    let f = functions();
    for gone in ["sleep", "timestamp", "elapsed", ".elapsed", "exit", "parse_json", "print", "debug", "range"]
    {
        assert!(!f.contains_key(gone), "{gone} is callable");
    }
    for kept in ["reg_dword", "signal", "pad", "replace", "join", "len", "map", "filter", "contains_ci"] {
        assert!(f.contains_key(kept), "{kept} is missing");
    }
}
