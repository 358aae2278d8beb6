//! `[derive]`: derived facts, named Rhai expressions computed once per input in file order,
//! each able to use the ones before it.

use rhai::{Engine, Scope};
use toml::de::DeTable;
use toml::Spanned;

use super::super::diagnostic::Code;
use super::super::{Derived, Signal};
use super::context::Cx;

/// Every file's `[derive]`, in file order and, within a file, in the order written. Each name
/// is pushed into `scope`, so rules (and later derived facts) can use it.
pub(super) fn derived(
    cx: &mut Cx<'_>,
    engine: &Engine,
    parsed: &[Spanned<DeTable<'_>>],
    scope: &mut Scope<'_>,
    signals: &[Signal],
) -> Vec<Derived> {
    let mut derived: Vec<Derived> = Vec::new();
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let root = t.get_ref();
        if let Some(d) = root.get("derive") {
            let Some(table) = d.get_ref().as_table() else {
                cx.wrong_type(d, "a table of name = 'expression'");
                continue;
            };
            let mut entries: Vec<_> = table.iter().collect();
            entries.sort_by_key(|(k, _)| k.span().start);
            for (k, v) in entries {
                let name = k.get_ref().to_string();
                if !is_identifier(&name) {
                    cx.error(
                        Code::BadValue,
                        format!("derived fact name `{name}` is not an identifier"),
                        k.span(),
                        "use letters, digits and _",
                        None,
                    );
                    continue;
                }
                if scope.contains(name.as_str()) || name == "record" || name == "signals" {
                    cx.error(
                        Code::DuplicateName,
                        format!("derived fact `{name}` is defined twice"),
                        k.span(),
                        "again here",
                        None,
                    );
                    continue;
                }
                let expr = cx.expr(engine, scope, v, &derived, "derived fact");
                // In scope even when it failed to compile, so its uses do not cascade into
                // "unknown name" errors.
                scope.push(name.as_str(), ());
                if let Some(expr) = expr {
                    cx.check_signal_refs(&expr, signals);
                    derived.push(Derived { name, expr });
                }
            }
        }
    }
    derived
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
