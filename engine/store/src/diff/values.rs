//! Readable diffs of TOML values: a value is flattened to fields (`when.all`, `pattern`), and a
//! changed field is shown as `old -> new` when both are short, else as the lines that changed
//! (`-`/`+`, with a line of context) or, for one long line, the changed part with the same
//! amount of context on both lines so it lines up. Everything is linear in the input and
//! bounded in output ([`MAX_LINES`], [`MAX_LINE_CHARS`]), whatever a pack holds.

use std::collections::BTreeMap;

/// Most `-` or `+` lines shown for one field; the rest are counted.
pub const MAX_LINES: usize = 200;
/// Most characters shown of one line; the rest are counted.
pub const MAX_LINE_CHARS: usize = 2_000;
/// A value this short (and on one line) is shown whole, inline: `old -> new`.
const INLINE_CHARS: usize = 60;
/// Characters of unchanged text kept on each side of a change in one long line.
const CONTEXT_CHARS: usize = 24;

/// A value as text: strings as written, arrays one element per line, the rest as TOML.
pub fn text_of(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(a) => a.iter().map(text_of_element).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

fn text_of_element(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value's fields: a table's keys, recursively (`when.all`), each with its text; any other
/// value is the one field `name`.
pub fn flatten(name: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let field = if name.is_empty() { k.clone() } else { format!("{name}.{k}") };
                flatten(&field, v, out);
            }
        }
        other => {
            out.insert(name.to_owned(), text_of(other));
        }
    }
}

/// Whether a change is shown inline (`old -> new`).
pub fn is_inline(old: Option<&str>, new: Option<&str>) -> bool {
    let short = |v: Option<&str>| v.is_none_or(|s| !s.contains('\n') && s.chars().count() <= INLINE_CHARS);
    short(old) && short(new)
}

/// The lines showing how `old` became `new` (`None`: absent), each starting with `- `, `+ `
/// or `  ` (context, or `…` for unchanged lines left out).
pub fn diff_lines(old: Option<&str>, new: Option<&str>) -> Vec<String> {
    let a: Vec<&str> = old.map(|s| s.lines().collect()).unwrap_or_default();
    let b: Vec<&str> = new.map(|s| s.lines().collect()).unwrap_or_default();
    if a.len() == 1 && b.len() == 1 {
        return one_line(a[0], b[0]);
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let rest = a.len().min(b.len()) - prefix;
    let suffix = a.iter().rev().zip(b.iter().rev()).take(rest).take_while(|(x, y)| x == y).count();
    let mut out = Vec::new();
    if prefix > 1 {
        out.push("  …".to_owned());
    }
    if prefix > 0 {
        out.push(format!("  {}", cut(a[prefix - 1])));
    }
    push_capped(&mut out, "- ", &a[prefix..a.len() - suffix]);
    push_capped(&mut out, "+ ", &b[prefix..b.len() - suffix]);
    if suffix > 0 {
        out.push(format!("  {}", cut(a[a.len() - suffix])));
    }
    if suffix > 1 {
        out.push("  …".to_owned());
    }
    out
}

fn push_capped(out: &mut Vec<String>, mark: &str, lines: &[&str]) {
    for l in lines.iter().take(MAX_LINES) {
        out.push(format!("{mark}{}", cut(l)));
    }
    if lines.len() > MAX_LINES {
        out.push(format!("{mark}… {} more line(s)", lines.len() - MAX_LINES));
    }
}

/// One line changed: the whole lines when short, else the changed part with
/// [`CONTEXT_CHARS`] of context, at the same column on both lines.
fn one_line(a: &str, b: &str) -> Vec<String> {
    if a.chars().count() <= 100 && b.chars().count() <= 100 {
        return vec![format!("- {a}"), format!("+ {b}")];
    }
    let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let prefix = ac.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let rest = ac.len().min(bc.len()) - prefix;
    let suffix = ac.iter().rev().zip(bc.iter().rev()).take(rest).take_while(|(x, y)| x == y).count();
    let show = |c: &[char]| {
        let start = prefix.saturating_sub(CONTEXT_CHARS);
        let end = (c.len() - suffix + CONTEXT_CHARS).min(c.len());
        let mut s = String::new();
        if start > 0 {
            s.push('…');
        }
        s.extend(&c[start..end]);
        if end < c.len() {
            s.push('…');
        }
        cut(&s)
    };
    vec![format!("- {}", show(&ac)), format!("+ {}", show(&bc))]
}

fn cut(s: &str) -> String {
    let n = s.chars().count();
    if n <= MAX_LINE_CHARS {
        return s.to_owned();
    }
    let kept: String = s.chars().take(MAX_LINE_CHARS).collect();
    format!("{kept}… ({} more characters)", n - MAX_LINE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_inline_long_ones_show_the_changed_part() {
        assert!(is_inline(Some("a > 1"), Some("a > 2")));
        assert!(is_inline(None, Some("x")));
        let long_a = format!("{}forcibly closed by the remote host{}", "x".repeat(80), "y".repeat(80));
        let long_b = long_a.replace("remote host", "remote server");
        assert!(!is_inline(Some(&long_a), Some(&long_b)));
        let y = "y".repeat(CONTEXT_CHARS);
        assert_eq!(
            diff_lines(Some(&long_a), Some(&long_b)),
            [
                format!("- …ly closed by the remote host{y}…"),
                format!("+ …ly closed by the remote server{y}…")
            ]
        );
    }

    #[test]
    fn long_line_context_is_the_same_on_both_sides() {
        let a = format!("{}HOST{}", "p".repeat(100), "s".repeat(100));
        let b = format!("{}SERVER{}", "p".repeat(100), "s".repeat(100));
        let d = diff_lines(Some(&a), Some(&b));
        let ctx = |c: &str| c.repeat(CONTEXT_CHARS);
        assert_eq!(
            d,
            [format!("- …{}HOST{}…", ctx("p"), ctx("s")), format!("+ …{}SERVER{}…", ctx("p"), ctx("s"))]
        );
    }

    #[test]
    fn multi_line_values_show_changed_lines_with_context() {
        let a = "one\ntwo\nthree\nfour\nfive";
        let b = "one\ntwo\nTHREE\nfour\nfive";
        assert_eq!(diff_lines(Some(a), Some(b)), ["  …", "  two", "- three", "+ THREE", "  four", "  …"]);
        assert_eq!(diff_lines(None, Some("x\ny")), ["+ x", "+ y"]);
        assert_eq!(diff_lines(Some("a\nb"), Some("a\nb\nc")), ["  …", "  b", "+ c"]);
    }

    #[test]
    fn output_is_bounded() {
        let huge: String = (0..10_000).map(|i| format!("line {i}\n")).collect();
        let d = diff_lines(None, Some(&huge));
        assert_eq!(d.len(), MAX_LINES + 1);
        assert_eq!(d[MAX_LINES], format!("+ … {} more line(s)", 10_000 - MAX_LINES));
        let wide = "w".repeat(MAX_LINE_CHARS + 5);
        let d = diff_lines(None, Some(&format!("{wide}\nx")));
        assert_eq!(d[0], format!("+ {}… (5 more characters)", "w".repeat(MAX_LINE_CHARS)));
    }

    #[test]
    fn tables_flatten_to_fields() {
        let v: toml::Value = toml::from_str::<toml::Table>("when = { all = ['a', 'b'] }\nx = 1")
            .map(toml::Value::Table)
            .expect("toml");
        let mut out = BTreeMap::new();
        flatten("", &v, &mut out);
        assert_eq!(
            out,
            BTreeMap::from([("when.all".to_owned(), "a\nb".to_owned()), ("x".to_owned(), "1".to_owned())])
        );
    }
}
