//! `format = "json"`: the document as one fact (`value`), every value with the line it starts
//! on. A small parser of RFC 8259 rather than `serde_json`, for the lines and for the limits:
//! nesting past [`MAX_DEPTH`] is refused before it is descended into, every value counts
//! against the artifact's budget and strings against [`MAX_VALUE_BYTES`](super::MAX_VALUE_BYTES).
//! `null` has no fact value: a member or item that is `null` is left out. A repeated member keeps
//! its last value (as JavaScript does). A number without a fraction or exponent that fits an
//! i64 is an Int, any other a Float.

use std::collections::BTreeMap;

use triage_facts::{Fact, Value};

use super::{at, bounded, Budget, ReadError, MAX_DEPTH};

pub(super) fn read(text: &str, rel: &str, budget: &mut Budget) -> Result<BTreeMap<String, Fact>, ReadError> {
    let mut p = Parser { b: text.as_bytes(), text, i: 0, line: 1, rel, budget };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("unexpected text after the JSON document"));
    }
    let mut m = BTreeMap::new();
    if let Some(v) = v {
        m.insert("value".to_owned(), v);
    }
    Ok(m)
}

struct Parser<'a, 'b> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
    line: u64,
    rel: &'a str,
    budget: &'b mut Budget,
}

impl Parser<'_, '_> {
    fn err(&self, what: &str) -> ReadError {
        ReadError::new(self.rel, Some(self.line), format!("malformed JSON: {what}"))
    }

    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// One value; `None` for `null`.
    fn value(&mut self, depth: usize) -> Result<Option<Fact>, ReadError> {
        let line = self.line;
        self.budget.take(self.rel, line)?;
        let src = at(self.rel, line);
        let v = match self.b.get(self.i) {
            None => return Err(self.err("unexpected end of the document")),
            Some(b'{' | b'[') if depth >= MAX_DEPTH => {
                return Err(ReadError::new(
                    self.rel,
                    Some(line),
                    format!("JSON nested deeper than {MAX_DEPTH} levels (the limit of a file kind)"),
                ))
            }
            Some(b'{') => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        if self.b.get(self.i) != Some(&b'"') {
                            return Err(self.err("expected a member name"));
                        }
                        let key = self.string()?;
                        self.ws();
                        if !self.eat(b':') {
                            return Err(self.err("expected `:`"));
                        }
                        self.ws();
                        match self.value(depth + 1)? {
                            Some(v) => {
                                m.insert(key, v);
                            }
                            None => {
                                m.remove(&key);
                            }
                        }
                        self.ws();
                        if self.eat(b',') {
                            continue;
                        }
                        if self.eat(b'}') {
                            break;
                        }
                        return Err(self.err("expected `,` or `}`"));
                    }
                }
                Value::Map(m)
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if !self.eat(b']') {
                    loop {
                        self.ws();
                        if let Some(v) = self.value(depth + 1)? {
                            items.push(v);
                        }
                        self.ws();
                        if self.eat(b',') {
                            continue;
                        }
                        if self.eat(b']') {
                            break;
                        }
                        return Err(self.err("expected `,` or `]`"));
                    }
                }
                Value::List(items)
            }
            Some(b'"') => Value::Str(self.string()?),
            Some(b't') if self.b[self.i..].starts_with(b"true") => {
                self.i += 4;
                Value::Bool(true)
            }
            Some(b'f') if self.b[self.i..].starts_with(b"false") => {
                self.i += 5;
                Value::Bool(false)
            }
            Some(b'n') if self.b[self.i..].starts_with(b"null") => {
                self.i += 4;
                return Ok(None);
            }
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.err("expected a value")),
        };
        Ok(Some(Fact::with_source(v, src)))
    }

    fn number(&mut self) -> Result<Value, ReadError> {
        let start = self.i;
        let mut integer = true;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'0'..=b'9' | b'-' | b'+' => {}
                b'.' | b'e' | b'E' => integer = false,
                _ => break,
            }
            self.i += 1;
        }
        let s = &self.text[start..self.i];
        bounded(s, self.rel, self.line)?;
        if integer {
            if let Ok(n) = s.parse::<i64>() {
                return Ok(Value::Int(n));
            }
        }
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() && !s.ends_with('.') && !s.starts_with('+') => Ok(Value::Float(f)),
            _ => Err(self.err(&format!("`{}` is not a number", s.chars().take(40).collect::<String>()))),
        }
    }

    /// A string starting at its opening quote.
    fn string(&mut self) -> Result<String, ReadError> {
        self.i += 1;
        let line = self.line;
        let mut s = String::new();
        loop {
            let Some(&c) = self.b.get(self.i) else { return Err(self.err("unterminated string")) };
            match c {
                b'"' => {
                    self.i += 1;
                    break;
                }
                b'\\' => {
                    let esc = *self.b.get(self.i + 1).ok_or_else(|| self.err("unterminated string"))?;
                    self.i += 2;
                    match esc {
                        b'"' => s.push('"'),
                        b'\\' => s.push('\\'),
                        b'/' => s.push('/'),
                        b'b' => s.push('\u{8}'),
                        b'f' => s.push('\u{c}'),
                        b'n' => s.push('\n'),
                        b'r' => s.push('\r'),
                        b't' => s.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let ch = if (0xD800..0xDC00).contains(&hi) && self.b[self.i..].starts_with(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            s.push(ch.unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(self.err("bad escape in a string")),
                    }
                }
                b'\n' => return Err(self.err("line break inside a string")),
                _ => {
                    // Copy the run up to the next quote, backslash or line break at once.
                    let end = self.b[self.i..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c == b'\n')
                        .map_or(self.b.len(), |p| self.i + p);
                    s.push_str(&self.text[self.i..end]);
                    self.i = end;
                }
            }
            if s.len() > super::MAX_VALUE_BYTES {
                bounded(&s, self.rel, line)?;
            }
        }
        Ok(s)
    }

    fn hex4(&mut self) -> Result<u32, ReadError> {
        let h = self.text.get(self.i..self.i + 4).ok_or_else(|| self.err("bad \\u escape"))?;
        let v = u32::from_str_radix(h, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<BTreeMap<String, Fact>, ReadError> {
        read(text, "a.json", &mut Budget::new())
    }

    #[test]
    fn values_lines_and_nulls() {
        let m = parse("{\n \"a\": [1, 2.5, \"x\\u00e9\\ud83d\\ude00\", true, null],\n \"b\": null,\n \"c\": {\"d\": -7}\n}")
            .expect("reads");
        let v = &m["value"];
        let Value::List(a) = &v.get_path(&["a"]).expect("a").value else { panic!("list") };
        assert_eq!(
            a.iter().map(|f| f.value.clone()).collect::<Vec<_>>(),
            [Value::Int(1), Value::Float(2.5), Value::Str("xé😀".into()), Value::Bool(true)]
        );
        assert!(v.get_path(&["b"]).is_none());
        let d = v.get_path(&["c", "d"]).expect("d");
        assert_eq!((d.value.clone(), d.source.as_ref().and_then(|s| s.line)), (Value::Int(-7), Some(4)));
    }

    #[test]
    fn malformed_and_deep_documents_are_errors_with_their_line() {
        let e = parse("{\n\"a\": [1,\n}").expect_err("malformed");
        assert_eq!((e.line, e.message.as_str()), (Some(3), "malformed JSON: expected a value"));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = parse(&deep).expect_err("deep");
        assert_eq!(e.message, "JSON nested deeper than 64 levels (the limit of a file kind)");
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(parse(&ok).is_ok());
        assert_eq!(
            parse("1 2").expect_err("trailing").message,
            "malformed JSON: unexpected text after the JSON document"
        );
        assert_eq!(parse("\"abc").expect_err("open").message, "malformed JSON: unterminated string");
        assert_eq!(
            parse("01x").expect_err("junk").message,
            "malformed JSON: unexpected text after the JSON document"
        );
    }

    #[test]
    fn too_many_values_is_an_error() {
        let many = format!("[{}]", vec!["1"; super::super::MAX_ENTRIES + 1].join(","));
        let e = parse(&many).expect_err("many");
        assert_eq!(e.message, "more than 50000 values (the limit of a file kind's artifact)");
    }
}
