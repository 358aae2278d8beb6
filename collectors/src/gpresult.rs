//! The `gpresult` collector: the XML report of `gpresult /x` (the RSoP logging data, root element
//! `Rsop`), read for the applied Group Policy objects and their administrative-template policies
//! (for example *SSL Cipher Suite Order* with its *SSL Cipher Suites* text).
//!
//! `gpresult /x` writes UTF-16LE with a BOM and `encoding="utf-16"`; the text is decoded with
//! [`crate::text::decode`] and parsed with roxmltree (DTDs refused, node and nesting limits ([`crate::xml_depth`]); a malformed
//! document is reported with its line and column). Elements are matched by **namespace URI and
//! local name**, never by prefix, because prefixes (`q1:`, `q2:`, …) vary between files; an
//! element with no namespace at all is accepted too, for hand-edited files.
//!
//! Namespaces: `http://www.microsoft.com/GroupPolicy/Rsop` (`Rsop`, `ComputerResults`,
//! `UserResults`, `GPO`, `Link`, `ExtensionData`), `…/GroupPolicy/Settings` (`Extension`),
//! `…/GroupPolicy/Settings/Registry` (`Policy` and its children: the administrative templates),
//! `…/GroupPolicy/Settings/Base` (each policy's `GPO` reference and `Precedence`, inherited from
//! the base setting type; also accepted in the Registry or Settings namespace),
//! `…/GroupPolicy/Types` (`Identifier`, `Domain`).
//!
//! # Fact layout
//!
//! ```text
//! gpo.computer_name     Str    ComputerResults/Name ("CONTOSO\WSUS01$")
//! gpo.read_time         Str    Rsop/ReadTime as written
//! gpo.gpos              List of Map, one per GPO element of ComputerResults then UserResults,
//!                       in file order:
//!     scope             Str    "computer" | "user"
//!     name              Str    "Default Domain Policy"
//!     identifier        Str    "{31B2F340-016D-11D2-945F-00C04FB984F9}" (Path/Identifier)
//!     domain            Str    Path/Domain, when present
//!     enabled           Bool   GPO Enabled (true if absent)
//!     is_valid          Bool   IsValid (true if absent)
//!     access_denied     Bool   AccessDenied (false if absent): denied by security filtering
//!     filter_allowed    Bool   FilterAllowed (true if absent): false = filtered out by WMI
//!     filter_name       Str    FilterName, when present
//!     link_order        Int    Link/LinkOrder of the first link, when present
//!     applied_order     Int    Link/AppliedOrder of the first link (0 = not applied), when present
//!     som               Str    Link/SOMPath of the first link, when present
//!     applied           Bool   enabled ∧ is_valid ∧ ¬access_denied ∧ filter_allowed
//!                              ∧ (applied_order ≠ 0 when given)
//! gpo.policies          Map: policy name → Map, computer-scope administrative templates
//! gpo.user_policies     Map: the same for the user scope
//!   "SSL Cipher Suite Order"
//!     state             Str    "Enabled" | "Disabled" | … as written
//!     category          Str    "Network/SSL Configuration Settings"
//!     gpo               Str    name of the GPO it comes from (looked up by identifier in
//!                              gpo.gpos; the identifier itself when the GPO is not listed)
//!     gpo_identifier    Str    Policy/GPO/Identifier
//!     precedence        Int    Precedence, when present (1 = winning)
//!     settings          Map: element name → value
//!       "SSL Cipher Suites"   Str        EditText/Value
//!       "…"                   Int        Numeric/Value
//!       "…"                   Bool       CheckBox/State == "Enabled"
//!       "…"                   Str        DropDownList/Value/Name
//!       "…"                   List of Str  ListBox/Value/Element/(Data or Name)
//! ```
//!
//! `Text` elements are labels without a value and are not settings. When the same policy name
//! appears more than once in a scope, the lowest `Precedence` wins (the one gpresult calls
//! winning); the others are superseded and left out.
//!
//! Provenance: artifact, collector `gpresult`, `line` and `span` of the element the fact comes
//! from (the `GPO` or `Policy` element for maps; the `Value`/`State` element for settings), `key`
//! `Computer/GPO/<name>`, `Computer/Policy/<name>` or `Computer/Policy/<name>/<setting>`.

use std::collections::BTreeMap;
use std::sync::Arc;

use roxmltree::{Document, Node};
use triage_facts::{
    Artifact, CollectContext, CollectionError, Collector, CollectorInfo, CollectorOutput, Fact, Provenance,
    Recognition, Value,
};

use crate::dotnet_config::{parse_xml, root_element_name};
use crate::text;

pub const NAME: &str = "gpresult";

pub const NS_RSOP: &str = "http://www.microsoft.com/GroupPolicy/Rsop";
pub const NS_SETTINGS: &str = "http://www.microsoft.com/GroupPolicy/Settings";
pub const NS_REGISTRY: &str = "http://www.microsoft.com/GroupPolicy/Settings/Registry";
pub const NS_TYPES: &str = "http://www.microsoft.com/GroupPolicy/Types";
pub const NS_BASE: &str = "http://www.microsoft.com/GroupPolicy/Settings/Base";

/// Where a policy's `GPO` and `Precedence` may be: real files put them in `…/Settings/Base`
/// (inherited from the base setting type); be lenient about the others.
const GPO_REF_NAMESPACES: &[&str] = &[NS_BASE, NS_REGISTRY, NS_SETTINGS];

/// The `gpresult /x` collector.
#[derive(Debug)]
pub struct GpresultCollector;

static INFO: CollectorInfo = CollectorInfo {
    name: NAME,
    version: "1",
    reads: "Group Policy results: `gpresult /x` XML (root `Rsop`)",
    typical_names: &["gpresult.xml"],
    provides: &["gpo"],
    facts: FACTS,
    log_kind: None,
};

/// This collector's part of the fact catalogue (layout in the module docs).
const FACTS: &[triage_facts::FactDecl] = {
    use triage_facts::FactDecl;
    use triage_facts::FactType::*;
    &[
        FactDecl::new("gpo.computer_name", &[Str], "ComputerResults/Name (`CONTOSO\\WSUS01$`)"),
        FactDecl::new("gpo.read_time", &[Str], "Rsop/ReadTime as written"),
        FactDecl::new("gpo.gpos", &[List], "the GPOs of ComputerResults then UserResults, in file order"),
        FactDecl::new("gpo.gpos[]", &[Map], "one GPO"),
        FactDecl::new("gpo.gpos[].scope", &[Str], "`computer` or `user`"),
        FactDecl::new("gpo.gpos[].name", &[Str], "the GPO's name"),
        FactDecl::new("gpo.gpos[].identifier", &[Str], "Path/Identifier"),
        FactDecl::new("gpo.gpos[].domain", &[Str], "Path/Domain"),
        FactDecl::new("gpo.gpos[].enabled", &[Bool], "Enabled (true if absent)"),
        FactDecl::new("gpo.gpos[].is_valid", &[Bool], "IsValid (true if absent)"),
        FactDecl::new("gpo.gpos[].access_denied", &[Bool], "AccessDenied: denied by security filtering"),
        FactDecl::new("gpo.gpos[].filter_allowed", &[Bool], "FilterAllowed: false when filtered out by WMI"),
        FactDecl::new("gpo.gpos[].filter_name", &[Str], "FilterName"),
        FactDecl::new("gpo.gpos[].link_order", &[Int], "LinkOrder of the first link"),
        FactDecl::new("gpo.gpos[].applied_order", &[Int], "AppliedOrder of the first link (0 = not applied)"),
        FactDecl::new("gpo.gpos[].som", &[Str], "SOMPath of the first link"),
        FactDecl::new("gpo.gpos[].applied", &[Bool], "enabled, valid, not denied, not filtered out, and applied"),
        FactDecl::new("gpo.policies.*", &[Map], "a computer-scope administrative-template policy, by name (`SSL Cipher Suite Order`); the winning one"),
        FactDecl::new("gpo.policies.*.state", &[Str], "`Enabled`, `Disabled`, … as written"),
        FactDecl::new("gpo.policies.*.category", &[Str], "`Network/SSL Configuration Settings`"),
        FactDecl::new("gpo.policies.*.gpo", &[Str], "the name of the GPO it comes from"),
        FactDecl::new("gpo.policies.*.gpo_identifier", &[Str], "the identifier of the GPO it comes from"),
        FactDecl::new("gpo.policies.*.precedence", &[Int], "Precedence (1 = winning)"),
        FactDecl::new("gpo.policies.*.settings", &[Map], "its settings, by element name"),
        FactDecl::new("gpo.policies.*.settings.*", &[Str, Int, Bool, List], "a setting: EditText and DropDownList text, Numeric integer, CheckBox bool, ListBox list of strings"),
        FactDecl::new("gpo.policies.*.settings.*[]", &[Str], "an element of a ListBox"),
        FactDecl::new("gpo.user_policies.*", &[Map], "a user-scope administrative-template policy, by name (`SSL Cipher Suite Order`); the winning one"),
        FactDecl::new("gpo.user_policies.*.state", &[Str], "`Enabled`, `Disabled`, … as written"),
        FactDecl::new("gpo.user_policies.*.category", &[Str], "`Network/SSL Configuration Settings`"),
        FactDecl::new("gpo.user_policies.*.gpo", &[Str], "the name of the GPO it comes from"),
        FactDecl::new("gpo.user_policies.*.gpo_identifier", &[Str], "the identifier of the GPO it comes from"),
        FactDecl::new("gpo.user_policies.*.precedence", &[Int], "Precedence (1 = winning)"),
        FactDecl::new("gpo.user_policies.*.settings", &[Map], "its settings, by element name"),
        FactDecl::new("gpo.user_policies.*.settings.*", &[Str, Int, Bool, List], "a setting: EditText and DropDownList text, Numeric integer, CheckBox bool, ListBox list of strings"),
        FactDecl::new("gpo.user_policies.*.settings.*[]", &[Str], "an element of a ListBox"),
    ]
};

pub static COLLECTORS: &[&dyn Collector] = &[&GpresultCollector];

impl Collector for GpresultCollector {
    fn info(&self) -> &'static CollectorInfo {
        &INFO
    }

    fn recognise(&self, artifact: &Artifact<'_>) -> Recognition {
        let head = text::decode_head(artifact.head);
        let content = root_element_name(&head.text).is_some_and(|n| n == "Rsop");
        let named =
            artifact.file_name_lower().contains("gpresult") || artifact.file_name_lower().contains("rsop");
        match (content, named) {
            (true, true) => Recognition::ByNameAndContent,
            (true, false) => Recognition::ByContent,
            _ => Recognition::No,
        }
    }

    fn collect(&self, artifact: &Artifact<'_>, _ctx: &CollectContext<'_>) -> CollectorOutput {
        crate::read_whole(artifact, NAME, collect_bytes)
    }
}

/// Whether `node` is the element `ns:local` (or `local` without a namespace).
fn is(node: Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == local
        && node.tag_name().namespace().is_none_or(|n| n == ns)
}

/// The first child `local` in any of `namespaces` (or in none).
fn child_in<'a, 'i>(node: Node<'a, 'i>, namespaces: &[&str], local: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| {
        c.is_element()
            && c.tag_name().name() == local
            && c.tag_name().namespace().is_none_or(|n| namespaces.contains(&n))
    })
}

fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, local: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is(*c, ns, local))
}

fn children<'a, 'i>(node: Node<'a, 'i>, ns: &'a str, local: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| is(*c, ns, local))
}

/// The trimmed text of the child `ns:local`, if present and not empty.
fn child_text<'a>(node: Node<'a, '_>, ns: &str, local: &str) -> Option<&'a str> {
    child(node, ns, local).and_then(|c| c.text()).map(str::trim).filter(|t| !t.is_empty())
}

fn child_bool(node: Node<'_, '_>, ns: &str, local: &str) -> Option<bool> {
    child_text(node, ns, local).and_then(|t| match t.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })
}

fn child_int(node: Node<'_, '_>, ns: &str, local: &str) -> Option<i64> {
    child_text(node, ns, local).and_then(|t| t.parse().ok())
}

struct Ctx<'a, 'i> {
    rel_path: &'a str,
    doc: &'a Document<'i>,
}

impl Ctx<'_, '_> {
    fn source(&self, node: Node<'_, '_>, key: String) -> Arc<Provenance> {
        let r = node.range();
        let line = u64::from(self.doc.text_pos_at(r.start).row);
        Arc::new(
            Provenance::new(self.rel_path, NAME).at_line(line).span(r.start as u64, r.end as u64).key(key),
        )
    }

    fn line(&self, node: Node<'_, '_>) -> u64 {
        u64::from(self.doc.text_pos_at(node.range().start).row)
    }
}

/// Reads one `gpresult /x` file's bytes into `gpo.*`.
pub fn collect_bytes(rel_path: &str, bytes: &[u8]) -> CollectorOutput {
    let (text, mut out) = text::decode_for_collector(rel_path, NAME, bytes);
    let text = text.as_str();
    let doc = match parse_xml(rel_path, NAME, text) {
        Ok(doc) => doc,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    let root = doc.root_element();
    if !is(root, NS_RSOP, "Rsop") {
        out.errors.push(
            CollectionError::new(
                rel_path,
                NAME,
                format!(
                    "root element is `{}` in namespace `{}`, not `Rsop` in `{NS_RSOP}`",
                    root.tag_name().name(),
                    root.tag_name().namespace().unwrap_or("")
                ),
            )
            .at_line(1),
        );
        return out;
    }
    let cx = Ctx { rel_path, doc: &doc };

    if let Some(t) = child(root, NS_RSOP, "ReadTime") {
        if let Some(v) = t.text().map(str::trim).filter(|v| !v.is_empty()) {
            out.facts.insert(&["gpo", "read_time"], Fact::with_source(v, cx.source(t, "ReadTime".into())));
        }
    }
    let mut gpos = Vec::new();
    let mut names_by_id: BTreeMap<String, String> = BTreeMap::new();
    let scopes = [
        ("computer", "Computer", "ComputerResults", "policies"),
        ("user", "User", "UserResults", "user_policies"),
    ];
    for (scope, _, results, _) in scopes {
        for res in children(root, NS_RSOP, results) {
            if scope == "computer" {
                if let Some(n) = child(res, NS_RSOP, "Name") {
                    if let Some(v) = n.text().map(str::trim).filter(|v| !v.is_empty()) {
                        out.facts.insert(
                            &["gpo", "computer_name"],
                            Fact::with_source(v, cx.source(n, "Computer/Name".into())),
                        );
                    }
                }
            }
            for g in children(res, NS_RSOP, "GPO") {
                let gpo = gpo_fact(&cx, g, scope, &mut names_by_id, &mut out.errors);
                gpos.push(gpo);
            }
        }
    }
    out.items += gpos.len() as u64;
    out.facts.insert(&["gpo", "gpos"], Fact::new(gpos));

    for (_, label, results, fact_name) in scopes {
        let mut policies: BTreeMap<String, (i64, Fact)> = BTreeMap::new();
        for res in children(root, NS_RSOP, results) {
            for ext_data in children(res, NS_RSOP, "ExtensionData") {
                for ext in children(ext_data, NS_SETTINGS, "Extension") {
                    for p in ext.children().filter(|c| is(*c, NS_REGISTRY, "Policy")) {
                        let Some((name, precedence, fact)) =
                            policy_fact(&cx, p, label, &names_by_id, &mut out.errors)
                        else {
                            continue;
                        };
                        out.items += 1;
                        let rank = precedence.unwrap_or(i64::MAX);
                        match policies.get(&name) {
                            Some((existing, _)) if *existing <= rank => {}
                            _ => {
                                policies.insert(name, (rank, fact));
                            }
                        }
                    }
                }
            }
        }
        let map: BTreeMap<String, Fact> = policies.into_iter().map(|(k, (_, f))| (k, f)).collect();
        out.facts.insert(&["gpo", fact_name], Fact::new(Value::Map(map)));
    }
    out
}

fn gpo_fact(
    cx: &Ctx<'_, '_>,
    g: Node<'_, '_>,
    scope: &str,
    names_by_id: &mut BTreeMap<String, String>,
    errors: &mut Vec<CollectionError>,
) -> Fact {
    let mut m: BTreeMap<String, Fact> = BTreeMap::new();
    let name = child_text(g, NS_RSOP, "Name").unwrap_or("");
    if name.is_empty() {
        errors.push(CollectionError::new(cx.rel_path, NAME, "GPO without a name").at_line(cx.line(g)));
    }
    let label = if scope == "computer" { "Computer" } else { "User" };
    let src = cx.source(g, format!("{label}/GPO/{name}"));
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), Fact::with_source(v, src.clone()));
    };
    put("scope", Value::Str(scope.to_owned()));
    put("name", Value::Str(name.to_owned()));
    let path = child(g, NS_RSOP, "Path");
    if let Some(id) = path.and_then(|p| child_text(p, NS_TYPES, "Identifier")) {
        put("identifier", Value::Str(id.to_owned()));
        names_by_id.entry(id.to_ascii_lowercase()).or_insert_with(|| name.to_owned());
    }
    if let Some(d) = path.and_then(|p| child_text(p, NS_TYPES, "Domain")) {
        put("domain", Value::Str(d.to_owned()));
    }
    let enabled = child_bool(g, NS_RSOP, "Enabled").unwrap_or(true);
    let is_valid = child_bool(g, NS_RSOP, "IsValid").unwrap_or(true);
    let access_denied = child_bool(g, NS_RSOP, "AccessDenied").unwrap_or(false);
    let filter_allowed = child_bool(g, NS_RSOP, "FilterAllowed").unwrap_or(true);
    put("enabled", Value::Bool(enabled));
    put("is_valid", Value::Bool(is_valid));
    put("access_denied", Value::Bool(access_denied));
    put("filter_allowed", Value::Bool(filter_allowed));
    if let Some(f) = child_text(g, NS_RSOP, "FilterName") {
        put("filter_name", Value::Str(f.to_owned()));
    }
    let link = child(g, NS_RSOP, "Link");
    let applied_order = link.and_then(|l| child_int(l, NS_RSOP, "AppliedOrder"));
    if let Some(l) = link {
        if let Some(o) = child_int(l, NS_RSOP, "LinkOrder") {
            put("link_order", Value::Int(o));
        }
        if let Some(o) = applied_order {
            put("applied_order", Value::Int(o));
        }
        if let Some(s) = child_text(l, NS_RSOP, "SOMPath") {
            put("som", Value::Str(s.to_owned()));
        }
    }
    let applied =
        enabled && is_valid && !access_denied && filter_allowed && applied_order.is_none_or(|o| o != 0);
    put("applied", Value::Bool(applied));
    Fact::with_source(Value::Map(m), src)
}

/// One `Policy` element: its name, precedence and fact, or `None` (reported) without a name.
fn policy_fact(
    cx: &Ctx<'_, '_>,
    p: Node<'_, '_>,
    label: &str,
    names_by_id: &BTreeMap<String, String>,
    errors: &mut Vec<CollectionError>,
) -> Option<(String, Option<i64>, Fact)> {
    let Some(name) = child_text(p, NS_REGISTRY, "Name") else {
        errors.push(
            CollectionError::new(cx.rel_path, NAME, "administrative-template policy without a name; skipped")
                .at_line(cx.line(p)),
        );
        return None;
    };
    let key = format!("{label}/Policy/{name}");
    let src = cx.source(p, key.clone());
    let mut m: BTreeMap<String, Fact> = BTreeMap::new();
    let put = |m: &mut BTreeMap<String, Fact>, k: &str, v: Value| {
        m.insert(k.to_owned(), Fact::with_source(v, src.clone()));
    };
    if let Some(s) = child_text(p, NS_REGISTRY, "State") {
        put(&mut m, "state", Value::Str(s.to_owned()));
    }
    if let Some(c) = child_text(p, NS_REGISTRY, "Category") {
        put(&mut m, "category", Value::Str(c.to_owned()));
    }
    let precedence = child_in(p, GPO_REF_NAMESPACES, "Precedence")
        .and_then(|n| n.text())
        .and_then(|t| t.trim().parse::<i64>().ok());
    if let Some(pr) = precedence {
        put(&mut m, "precedence", Value::Int(pr));
    }
    // The GPO reference: <GPO xmlns="…/Settings/Base"><Identifier xmlns="…/Types">…</Identifier></GPO>
    if let Some(id) =
        child_in(p, GPO_REF_NAMESPACES, "GPO").and_then(|g| child_text(g, NS_TYPES, "Identifier"))
    {
        put(&mut m, "gpo_identifier", Value::Str(id.to_owned()));
        let gpo_name = names_by_id.get(&id.to_ascii_lowercase()).cloned().unwrap_or_else(|| id.to_owned());
        put(&mut m, "gpo", Value::Str(gpo_name));
    }
    let mut settings: BTreeMap<String, Fact> = BTreeMap::new();
    for el in
        p.children().filter(|c| c.is_element() && c.tag_name().namespace().is_none_or(|n| n == NS_REGISTRY))
    {
        let kind = el.tag_name().name();
        if !matches!(kind, "EditText" | "Numeric" | "CheckBox" | "DropDownList" | "ListBox") {
            continue;
        }
        let Some(sname) = child_text(el, NS_REGISTRY, "Name") else {
            errors.push(
                CollectionError::new(
                    cx.rel_path,
                    NAME,
                    format!("`{kind}` setting without a name in policy `{name}`"),
                )
                .at_line(cx.line(el)),
            );
            continue;
        };
        let (value, at) = match kind {
            "EditText" => {
                let v = child(el, NS_REGISTRY, "Value");
                (Some(Value::Str(v.and_then(|v| v.text()).unwrap_or("").to_owned())), v)
            }
            "Numeric" => {
                let v = child(el, NS_REGISTRY, "Value");
                let n = v.and_then(|v| v.text()).map(str::trim).and_then(|t| t.parse::<i64>().ok());
                if n.is_none() {
                    errors.push(
                        CollectionError::new(
                            cx.rel_path,
                            NAME,
                            format!("numeric setting `{sname}` in policy `{name}` has no integer value"),
                        )
                        .at_line(cx.line(el)),
                    );
                }
                (n.map(Value::Int), v)
            }
            "CheckBox" => {
                let v = child(el, NS_REGISTRY, "State");
                let s = v.and_then(|v| v.text()).map(str::trim).unwrap_or("");
                (Some(Value::Bool(s.eq_ignore_ascii_case("Enabled"))), v)
            }
            "DropDownList" => {
                let v = child(el, NS_REGISTRY, "Value");
                let s = v
                    .and_then(|v| child_text(v, NS_REGISTRY, "Name"))
                    .or_else(|| v.and_then(|v| v.text()).map(str::trim));
                (s.map(|s| Value::Str(s.to_owned())), v)
            }
            _ => {
                // ListBox
                let v = child(el, NS_REGISTRY, "Value");
                let items: Vec<Fact> = v
                    .into_iter()
                    .flat_map(|v| children(v, NS_REGISTRY, "Element"))
                    .filter_map(|e| {
                        child_text(e, NS_REGISTRY, "Data").or_else(|| child_text(e, NS_REGISTRY, "Name"))
                    })
                    .map(Fact::new)
                    .collect();
                (Some(Value::List(items)), v)
            }
        };
        if let Some(value) = value {
            let at = at.unwrap_or(el);
            settings
                .insert(sname.to_owned(), Fact::with_source(value, cx.source(at, format!("{key}/{sname}"))));
        }
    }
    put(&mut m, "settings", Value::Map(settings));
    Some((name.to_owned(), precedence, Fact::with_source(Value::Map(m), src.clone())))
}
