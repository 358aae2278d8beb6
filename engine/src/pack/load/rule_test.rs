//! `[[rule.test]]`: a rule's test cases, an artifact folder or inline facts with the outcome.

use triage_facts::{Fact, FactMap, Value};

use super::super::diagnostic::Code;
use super::super::{RuleTest, TestInput};
use super::context::{de_to_json, Cx, Val};
use super::TEST_KEYS;
use crate::Outcome;

impl Cx<'_> {
    pub(super) fn test(&mut self, item: &Val<'_>) -> Option<RuleTest> {
        let Some(t) = item.get_ref().as_table() else {
            self.wrong_type(item, "a table");
            return None;
        };
        self.check_keys(t, TEST_KEYS);
        let name = self.required_string(t, "name", "a test", item.span());
        let expect = self.required_string(t, "expect", "a test", item.span()).and_then(|(e, span)| {
            Outcome::parse(&e).or_else(|| {
                self.error(
                    Code::BadValue,
                    format!("unknown outcome `{e}`"),
                    span,
                    "here",
                    Some(format!(
                        "one of: {}",
                        Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                );
                None
            })
        });
        let input = match (t.get("input"), t.get("facts")) {
            (Some(_), None) => self.string(t, "input").map(|s| TestInput::Folder(s.0)),
            (None, Some(f)) => match f.get_ref().as_table() {
                Some(_) => match Fact::from_json(de_to_json(f.get_ref())) {
                    Ok(Fact { value: Value::Map(m), .. }) => Some(TestInput::Facts(FactMap::from(m))),
                    Ok(_) => None,
                    Err(e) => {
                        self.error(Code::BadValue, format!("inline facts: {e}"), f.span(), "here", None);
                        None
                    }
                },
                None => {
                    self.wrong_type(f, "an inline table of facts");
                    None
                }
            },
            _ => {
                self.error(
                    Code::BadValue,
                    "a test needs exactly one of `input` (an artifact folder) or `facts` (inline facts)"
                        .into(),
                    item.span(),
                    "this test",
                    None,
                );
                None
            }
        };
        let unconfirmed = match t.get("unconfirmed") {
            None => false,
            Some(v) => match v.get_ref().as_bool() {
                Some(b) => {
                    if b && expect != Some(Outcome::Detected) {
                        self.error(
                            Code::BadValue,
                            "`unconfirmed = true` needs `expect = \"detected\"`".into(),
                            v.span(),
                            "here",
                            Some("only a detection can be unconfirmed".into()),
                        );
                    }
                    b
                }
                None => {
                    self.wrong_type(v, "a bool");
                    false
                }
            },
        };
        Some(RuleTest {
            name: name?.0,
            input: input?,
            expect: expect?,
            unconfirmed,
            loc: self.loc(item.span()),
        })
    }
}
