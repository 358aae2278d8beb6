//! JUnit XML for `triage pack test --junit FILE`, the format CI systems (GitLab, Jenkins, Azure
//! Pipelines, GitHub test reporters) display test results from.
//!
//! Layout: one `<testsuites>` named after the pack; one `<testsuite>` per rule, in pack order;
//! one `<testcase>` per test case (`classname` = `PACK.RULE`), with a `<failure message=…>`
//! when it failed. A rule lacking a `detected` or `not_detected` case gets a failing testcase
//! saying so. The output is deterministic: no timestamps, no durations, no host names; every
//! attribute and text is XML-escaped, and characters XML 1.0 cannot carry become U+FFFD.

use std::fmt::Write as _;

/// One test case's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The suite (the rule ID).
    pub suite: String,
    pub name: String,
    pub failure: Option<Failure>,
}

/// Why a case failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// A short `type` attribute (`wrong_outcome`, `could_not_run`, `missing_case`).
    pub kind: &'static str,
    /// One line: the `message` attribute.
    pub message: String,
    /// Details: the element's text (may be empty).
    pub details: String,
}

/// Renders the JUnit document. Suites appear in the order their first case appears in `cases`.
pub fn render(pack: &str, cases: &[Case]) -> String {
    let mut suites: Vec<(&str, Vec<&Case>)> = Vec::new();
    for c in cases {
        match suites.iter_mut().find(|(s, _)| *s == c.suite) {
            Some((_, v)) => v.push(c),
            None => suites.push((&c.suite, vec![c])),
        }
    }
    let failures = |cs: &[&Case]| cs.iter().filter(|c| c.failure.is_some()).count();
    let total_failures: usize = suites.iter().map(|(_, cs)| failures(cs)).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // `write!` into a String cannot fail.
    let _ = writeln!(
        x,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{total_failures}\" errors=\"0\">",
        esc(pack),
        cases.len()
    );
    for (suite, cs) in &suites {
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            esc(suite),
            cs.len(),
            failures(cs)
        );
        for c in cs {
            let open = format!(
                "    <testcase name=\"{}\" classname=\"{}.{}\"",
                esc(&c.name),
                esc(pack),
                esc(&c.suite)
            );
            match &c.failure {
                None => {
                    let _ = writeln!(x, "{open}/>");
                }
                Some(f) => {
                    let _ = writeln!(x, "{open}>");
                    let _ = writeln!(
                        x,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        esc(f.kind),
                        esc(&f.message),
                        esc(&f.details)
                    );
                    let _ = writeln!(x, "    </testcase>");
                }
            }
        }
        let _ = writeln!(x, "  </testsuite>");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Escapes text for an attribute value or element content.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Kept through attribute-value normalisation.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // Not allowed anywhere in XML 1.0, even as a character reference.
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_group_cases_and_count_failures() {
        let cases = vec![
            Case { suite: "R1".into(), name: "a".into(), failure: None },
            Case {
                suite: "R2".into(),
                name: "b <x> & \"y\"".into(),
                failure: Some(Failure {
                    kind: "wrong_outcome",
                    message: "expected detected, got not_detected".into(),
                    details: "line1\nline2\u{1}".into(),
                }),
            },
            Case { suite: "R1".into(), name: "c".into(), failure: None },
        ];
        let x = render("demo", &cases);
        let expected = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<testsuites name=\"demo\" tests=\"3\" failures=\"1\" errors=\"0\">",
            "  <testsuite name=\"R1\" tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"0\">",
            "    <testcase name=\"a\" classname=\"demo.R1\"/>",
            "    <testcase name=\"c\" classname=\"demo.R1\"/>",
            "  </testsuite>",
            "  <testsuite name=\"R2\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\">",
            "    <testcase name=\"b &lt;x&gt; &amp; &quot;y&quot;\" classname=\"demo.R2\">",
            "      <failure type=\"wrong_outcome\" message=\"expected detected, got not_detected\">line1&#10;line2\u{FFFD}</failure>",
            "    </testcase>",
            "  </testsuite>",
            "</testsuites>",
        ];
        assert_eq!(x, expected.map(|l| format!("{l}\n")).concat());
    }

    proptest::proptest! {
        #[test]
        fn escaped_text_has_no_markup(s in "\\PC*") {
            let e = esc(&s);
            proptest::prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
            proptest::prop_assert!(e.chars().all(|c| c as u32 >= 0x20));
        }
    }
}
