//! Memory: the size of a Rhai value as the pack's ceiling accounts it, the ceiling itself, and
//! text rendered under a size limit (so no rendering is built past its limit and then refused).

use std::fmt::{self, Write};

use rhai::{Array, Dynamic, ImmutableString, Map};

/// Bytes accounted per value besides its contents (a `Dynamic`, and a map entry's key).
const VALUE: usize = 16;
const ENTRY: usize = 32;

/// The size of `d` as the pack's memory ceiling counts it: 16 bytes a value, plus the bytes of
/// its strings and blobs, plus 32 bytes and the key a map entry. Strings shared between values
/// are counted once per value: the count can only be too high.
pub(crate) fn size_of(d: &Dynamic) -> usize {
    if let Some(s) = d.read_lock::<ImmutableString>() {
        return VALUE + s.len();
    }
    if let Some(a) = d.read_lock::<Array>() {
        return a.iter().fold(VALUE, |n, x| n.saturating_add(size_of(x)));
    }
    if let Some(m) = d.read_lock::<Map>() {
        return m
            .iter()
            .fold(VALUE, |n, (k, v)| n.saturating_add(ENTRY + k.len()).saturating_add(size_of(v)));
    }
    if let Some(b) = d.read_lock::<rhai::Blob>() {
        return VALUE + b.len();
    }
    VALUE
}

/// `1 MiB`, `64 KiB`, `100 bytes`.
pub(crate) fn format_size(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// `string size limit (1 MiB) exceeded by replace()`.
pub(crate) fn string_limit_message(limit: usize, by: &str) -> String {
    format!("string size limit ({}) exceeded by {by}", format_size(limit))
}

/// What one pack has built up on one input: derived facts, kept signal matches, resolutions.
#[derive(Debug)]
pub(crate) struct PackMemory {
    used: usize,
    ceiling: usize,
}

impl PackMemory {
    pub(crate) fn new(ceiling: usize) -> Self {
        PackMemory { used: 0, ceiling }
    }

    /// The message of the ceiling exceeded by `by`.
    pub(crate) fn exceeded(&self, by: &str) -> String {
        format!("pack memory ceiling ({}) exceeded by {by}", format_size(self.ceiling))
    }

    /// Bytes that may still be built before the ceiling.
    pub(crate) fn remaining(&self) -> usize {
        self.ceiling.saturating_sub(self.used)
    }

    /// Accounts `bytes` more, built by `by` (`derived fact \`x\``); past the ceiling, the
    /// message naming it (`pack memory ceiling (64 MiB) exceeded by derived fact \`x\``), and
    /// nothing is accounted.
    pub(crate) fn add(&mut self, bytes: usize, by: &str) -> Result<(), String> {
        let used = self.used.saturating_add(bytes);
        if used > self.ceiling {
            return Err(self.exceeded(by));
        }
        self.used = used;
        Ok(())
    }
}

/// A `fmt::Write` that refuses to grow past `limit` bytes.
struct Bounded {
    out: String,
    limit: usize,
}

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.out.len() + s.len() > self.limit {
            return Err(fmt::Error);
        }
        self.out.push_str(s);
        Ok(())
    }
}

/// `value` formatted (`Display`, or `Debug` when `debug`), or `None` once it would pass `limit`
/// bytes: the text is never built past it.
pub(crate) fn bounded_format(value: &Dynamic, debug: bool, limit: usize) -> Option<String> {
    let mut w = Bounded { out: String::new(), limit };
    let r = if debug { write!(w, "{value:?}") } else { write!(w, "{value}") };
    r.ok().map(|()| w.out)
}

/// Appends `part` to `out` unless `out` would pass `limit` bytes.
pub(crate) fn push_bounded(out: &mut String, part: &str, limit: usize) -> Result<(), ()> {
    if out.len() + part.len() > limit {
        return Err(());
    }
    out.push_str(part);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_stops_at_the_limit() {
        let big: Array = (0..100_000).map(|i| Dynamic::from(format!("item {i}"))).collect();
        let big = Dynamic::from_array(big);
        assert_eq!(bounded_format(&big, false, 1000), None);
        assert_eq!(bounded_format(&Dynamic::from_int(42), false, 1000).as_deref(), Some("42"));
        assert_eq!(size_of(&Dynamic::from("abcd")), 20);
        assert_eq!(format_size(1 << 20), "1 MiB");
        assert_eq!(format_size(64 << 10), "64 KiB");
        assert_eq!(format_size(100), "100 bytes");
        let mut m = PackMemory::new(100);
        assert_eq!(m.add(60, "a"), Ok(()));
        assert_eq!(
            m.add(60, "derived fact `b`"),
            Err("pack memory ceiling (100 bytes) exceeded by derived fact `b`".into())
        );
        assert_eq!(m.add(40, "c"), Ok(()));
    }
}
