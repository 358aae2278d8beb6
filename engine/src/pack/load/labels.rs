//! `[labels]`: how reports word the facts and signals a pack's rules read, merged across its
//! files. `[labels.facts.PATH]` and `[labels.signals.NAME]` each hold `name` and `absent`; a
//! signal label must name one of the pack's signals.

use toml::de::DeTable;
use toml::Spanned;

use super::super::diagnostic::Code;
use super::super::{Label, Labels, Signal};
use super::context::Cx;
use super::{LABELS_KEYS, LABEL_KEYS};

/// Every file's `[labels]`, merged (a later file's entry replaces an earlier one's).
pub(super) fn labels(cx: &mut Cx<'_>, parsed: &[Spanned<DeTable<'_>>], signals: &[Signal]) -> Labels {
    let mut out = Labels::default();
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        let Some(l) = t.get_ref().get("labels") else { continue };
        let Some(table) = l.get_ref().as_table() else {
            cx.wrong_type(l, "a table");
            continue;
        };
        cx.check_keys(table, LABELS_KEYS);
        for (kind, map) in [("facts", &mut out.facts), ("signals", &mut out.signals)] {
            let Some(v) = table.get(kind) else { continue };
            let Some(entries) = v.get_ref().as_table() else {
                cx.wrong_type(v, "a table");
                continue;
            };
            for (k, v) in entries.iter() {
                let name = k.get_ref().to_string();
                if kind == "signals" && !signals.iter().any(|s| s.name == name) {
                    let known: Vec<&str> = signals.iter().map(|s| s.name.as_str()).collect();
                    let near = known
                        .iter()
                        .min_by_key(|c| super::context::edit_distance(&name, c))
                        .filter(|c| super::context::edit_distance(&name, c) <= 2)
                        .map(|c| format!("did you mean `{c}`?"));
                    cx.error(
                        Code::UnknownSignal,
                        format!("label for unknown signal `{name}`"),
                        k.span(),
                        "no [signals] entry of this name",
                        near,
                    );
                    continue;
                }
                if name.trim().is_empty() {
                    cx.error(Code::BadValue, "a label needs a fact path".into(), k.span(), "empty", None);
                    continue;
                }
                let Some(entry) = v.get_ref().as_table() else {
                    cx.wrong_type(v, "a table");
                    continue;
                };
                cx.check_keys(entry, LABEL_KEYS);
                let label = Label {
                    name: cx.string(entry, "name").map(|s| s.0),
                    absent: cx.string(entry, "absent").map(|s| s.0),
                };
                map.insert(name, label);
            }
        }
    }
    out
}
