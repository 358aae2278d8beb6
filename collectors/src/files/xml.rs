//! `format = "xml"`: a tree of elements and attributes (`root`), each element a Map `{name,
//! attributes, text, children, line}` with local names (namespace prefixes dropped). Parsed as
//! the other XML collectors parse untrusted XML ([`crate::dotnet_config::parse_xml`]: no DTD, so
//! no entity expansion; nesting past [`crate::xml_depth::MAX_XML_DEPTH`] refused before a tree
//! is built), then held to this module's own [`MAX_DEPTH`] and the artifact's budget.

use std::collections::BTreeMap;

use triage_facts::{Fact, Value};

use super::{at, bounded, Budget, ReadError, COLLECTOR, MAX_DEPTH};

pub(super) fn read(text: &str, rel: &str, budget: &mut Budget) -> Result<BTreeMap<String, Fact>, ReadError> {
    let doc = crate::dotnet_config::parse_xml(rel, COLLECTOR, text).map_err(|e| ReadError {
        artifact: e.artifact,
        line: e.line,
        message: e.message,
    })?;
    let root = element(&doc, doc.root_element(), rel, 1, budget)?;
    Ok(BTreeMap::from([("root".to_owned(), root)]))
}

fn element(
    doc: &roxmltree::Document<'_>,
    node: roxmltree::Node<'_, '_>,
    rel: &str,
    depth: usize,
    budget: &mut Budget,
) -> Result<Fact, ReadError> {
    let line = u64::from(doc.text_pos_at(node.range().start).row);
    if depth > MAX_DEPTH {
        return Err(ReadError::new(
            rel,
            Some(line),
            format!("XML nested deeper than {MAX_DEPTH} elements (the limit of a file kind)"),
        ));
    }
    budget.take(rel, line)?;
    let src = at(rel, line);
    let mut attributes = BTreeMap::new();
    for a in node.attributes() {
        budget.take(rel, line)?;
        attributes.insert(
            bounded(a.name(), rel, line)?.to_owned(),
            Fact::with_source(bounded(a.value(), rel, line)?, src.clone()),
        );
    }
    let mut text = String::new();
    let mut children = Vec::new();
    for c in node.children() {
        if c.is_element() {
            children.push(element(doc, c, rel, depth + 1, budget)?);
        } else if c.is_text() {
            text.push_str(c.text().unwrap_or(""));
            bounded(&text, rel, line)?;
        }
    }
    let mut m = BTreeMap::from([
        ("name".to_owned(), Fact::with_source(node.tag_name().name(), src.clone())),
        ("attributes".to_owned(), Fact::with_source(Value::Map(attributes), src.clone())),
        ("children".to_owned(), Fact::with_source(children, src.clone())),
        ("line".to_owned(), Fact::with_source(line as i64, src.clone())),
    ]);
    let text = text.trim();
    if !text.is_empty() {
        m.insert("text".to_owned(), Fact::with_source(text, src.clone()));
    }
    Ok(Fact::with_source(Value::Map(m), src))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<BTreeMap<String, Fact>, ReadError> {
        read(text, "a.xml", &mut Budget::new())
    }

    #[test]
    fn elements_attributes_text_and_lines() {
        let m = parse("<?xml version=\"1.0\"?>\n<c:config xmlns:c=\"urn:x\" v=\"2\">\n  <item key=\"a\">  one </item>\n  <item key=\"b\"/>\n</c:config>")
            .expect("reads");
        let root = &m["root"];
        assert_eq!(root.get_path(&["name"]).map(|f| &f.value), Some(&Value::Str("config".into())));
        assert_eq!(root.get_path(&["attributes", "v"]).map(|f| &f.value), Some(&Value::Str("2".into())));
        let Value::List(items) = &root.get_path(&["children"]).expect("children").value else {
            panic!("list")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].get_path(&["text"]).map(|f| &f.value), Some(&Value::Str("one".into())));
        assert_eq!(items[1].get_path(&["line"]).map(|f| &f.value), Some(&Value::Int(4)));
        assert!(items[1].get_path(&["text"]).is_none());
    }

    #[test]
    fn deep_documents_and_dtds_are_refused() {
        let deep = format!("{}{}", "<a>".repeat(65), "</a>".repeat(65));
        assert_eq!(
            parse(&deep).expect_err("deep").message,
            "XML nested deeper than 64 elements (the limit of a file kind)"
        );
        let very_deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        assert_eq!(
            parse(&very_deep).expect_err("very deep").message,
            "XML nested deeper than the limit of 256 elements, not read"
        );
        let bomb = "<!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>\n<l>&b;</l>";
        assert_eq!(
            parse(bomb).expect_err("dtd").message,
            "malformed XML: DTDs are refused (they allow entity expansion)"
        );
        let ok = format!("{}{}", "<a>".repeat(64), "</a>".repeat(64));
        assert!(parse(&ok).is_ok());
    }
}
