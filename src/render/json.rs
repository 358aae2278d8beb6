//! JSON output: one pretty-printed document and a newline, or JSON Lines (one compact document per
//! line). Every type written here serialises
//! deterministically (structs in declaration order, maps as `BTreeMap`), so the same input gives
//! the same bytes.

use std::io::{self, Write};

use serde::Serialize;

/// Writes `value` as one pretty JSON document followed by a newline.
pub fn write<T: Serialize + ?Sized>(out: &mut impl Write, value: &T) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")
}

/// The JSON Lines record of an input that could not be read at all (a path that does not exist,
/// a folder that cannot be listed, a bundle that fails verification), so a fleet never loses a
/// host silently. It has no `rule`: `kind` tells it from a finding.
#[derive(Debug, Serialize)]
pub struct InputError {
    /// Always `input_error`.
    pub kind: &'static str,
    /// The input as given on the command line.
    pub input: String,
    pub error: String,
}

impl InputError {
    pub fn new(path: &std::path::Path, error: &str) -> Self {
        InputError { kind: "input_error", input: path.display().to_string(), error: error.to_owned() }
    }
}

/// Writes each item as one compact JSON document per line (JSON Lines).
pub fn write_lines<T: Serialize>(out: &mut impl Write, items: &[T]) -> io::Result<()> {
    for item in items {
        let text = serde_json::to_string(item).map_err(io::Error::other)?;
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[test]
    fn output_is_pretty_sorted_and_newline_terminated() {
        let mut m = BTreeMap::new();
        m.insert("b", 1);
        m.insert("a", 2);
        let mut buf = Vec::new();
        super::write(&mut buf, &m).expect("writes to a Vec");
        assert_eq!(String::from_utf8(buf).expect("utf-8"), "{\n  \"a\": 2,\n  \"b\": 1\n}\n");
    }
}
