//! The nesting bound of the XML collectors (`gpresult`, `dotnet-config`): a linear pre-scan that
//! refuses a document nested deeper than [`MAX_XML_DEPTH`] elements before any tree is built, so a
//! 140 KB file of 15,000 nested elements is a collection error of that file, not a stack
//! overflow that ends the whole run.
//!
//! The scan understands just enough XML to count elements: comments, CDATA sections, processing
//! instructions and declarations are skipped, quoted attribute values may hold `>`, and `<a/>`
//! does not nest. A document the scan misreads is still parsed by roxmltree, which reports what is
//! malformed; the scan only ever adds the depth refusal.

/// Deepest element nesting accepted. Real `gpresult /x` output nests about 12 levels, .NET
/// configuration files fewer; the recursive tree walks of roxmltree and the collectors stay far
/// inside a 2 MiB thread stack at this depth, even in a debug build.
pub const MAX_XML_DEPTH: usize = 256;

/// `Err(offset)` of the start tag that opens element number [`MAX_XML_DEPTH`] + 1 of one nesting.
pub fn check_depth(text: &str) -> Result<(), usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        let rest = &b[at..];
        let skip_to = |from: usize, end: &[u8]| -> usize {
            memchr::memmem::find(&b[from..], end).map_or(b.len(), |p| from + p + end.len())
        };
        if rest.starts_with(b"<!--") {
            i = skip_to(at + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(at + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(at + 2, b"?>");
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") {
            if rest.starts_with(b"</") {
                depth = depth.saturating_sub(1);
            }
            i = skip_to(at + 2, b">");
        } else {
            // A start tag: find its `>` outside quoted attribute values.
            let mut j = at + 1;
            let mut quote = None;
            while j < b.len() {
                match (quote, b[j]) {
                    (None, b'"' | b'\'') => quote = Some(b[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            let self_closing = j > at + 1 && b.get(j - 1) == Some(&b'/');
            if !self_closing {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(at);
                }
            }
            i = (j + 1).min(b.len());
        }
        if i >= b.len() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!("<r>{}{}</r>", "<a x='>'>".repeat(n), "</a>".repeat(n))
    }

    #[test]
    fn the_limit_is_inclusive_and_the_offset_is_the_refused_tag() {
        assert_eq!(check_depth(&nested(MAX_XML_DEPTH - 1)), Ok(()));
        let over = nested(MAX_XML_DEPTH);
        assert_eq!(check_depth(&over), Err(3 + 9 * (MAX_XML_DEPTH - 1)));
    }

    #[test]
    fn comments_cdata_self_closing_and_siblings_do_not_nest() {
        let siblings =
            format!("<r>{}</r>", "<a></a><b/><!-- <c> --><![CDATA[<d>]]><?pi <e>?>".repeat(10_000));
        assert_eq!(check_depth(&siblings), Ok(()));
    }

    #[test]
    fn unterminated_input_ends_the_scan() {
        assert_eq!(check_depth("<r><a x=\"unterminated"), Ok(()));
        assert_eq!(check_depth("<!-- never closed <a><a>"), Ok(()));
        assert_eq!(check_depth("<"), Ok(()));
    }
}
