//! `[data]`: a pack's constants, merged across its files, visible to conditions as `data`.

use std::collections::BTreeMap;

use toml::de::DeTable;
use toml::Spanned;
use triage_facts::Fact;

use super::super::Pack;
use super::context::{de_to_json, Cx};

/// The pack's data: as JSON (for docs and the pack's `data_json`) and as the Rhai value
/// conditions see.
pub(super) struct Data {
    pub(super) json: serde_json::Map<String, serde_json::Value>,
    pub(super) value: rhai::Dynamic,
}

/// Every file's `[data]`, merged (a later file's key replaces an earlier one's).
pub(super) fn data(cx: &mut Cx<'_>, parsed: &[Spanned<DeTable<'_>>]) -> Data {
    let mut json = serde_json::Map::new();
    for (i, t) in parsed.iter().enumerate() {
        cx.file = i;
        if let Some(d) = t.get_ref().get("data") {
            match d.get_ref().as_table() {
                Some(t) => {
                    for (k, v) in t.iter() {
                        json.insert(k.get_ref().to_string(), de_to_json(v.get_ref()));
                    }
                }
                None => cx.wrong_type(d, "a table"),
            }
        }
    }
    let fact = Fact::from_json(serde_json::Value::Object(json.clone())).unwrap_or_else(|_| Fact::map());
    let value = crate::convert::fact_to_dynamic(&fact);
    Data { json, value }
}

/// Used by docs: the data table in order.
pub fn data_keys(pack: &Pack) -> BTreeMap<String, serde_json::Value> {
    pack.data_json
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}
